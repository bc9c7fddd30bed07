// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of memfds: the folios of a memfd, shmem or hugetlbfs, stay
 * where they are across kexec, and come back as the same file in the next
 * kernel.
 *
 * PRESERVE_FD freezes the file's size (no truncate, no fallocate, no
 * write past the end), keeps shmem folios off the evictable LRU, pins
 * every folio present (swapped-out pages are brought in, holes stay holes)
 * and preserves each at its order. Writes go on landing in those folios
 * until the jump; folios that appear in holes meanwhile are preserved by
 * the sync step right before it. The next kernel puts each folio back
 * into a new memfd at its index: shmem folios charged to the retriever's
 * memory cgroup, huge pages adopted into the pool of their size, in use
 * by the file (HugePages_Total grows by them; they go to the pool's free
 * list when the file lets go of them).
 *
 * Format: struct luo_kho_memfd in include/linux/kho/liveupdate.h.
 */

#define pr_fmt(fmt) "liveupdate memfd: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/kho/liveupdate.h>
#include <linux/kthread.h>
#include <linux/liveupdate.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#define MEMFD_PREFIX	"memfd:"
#define MEMFD_KHO_BATCH	(PAGE_SIZE / sizeof(struct folio *))
#define MEMFD_KHO_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/* An outgoing memfd. */
struct memfd_kho {
	struct luo_kho_memfd *rec;
	struct kho_array folios;	/* struct luo_kho_memfd_folio */
	struct folio **pinned;		/* every folio preserved, pinned */
	unsigned long nr, cap;
	unsigned long nr_pages;
};

/* The live update's fields of a shmem or hugetlbfs inode. */
static bool *memfd_kho_frozen(struct file *file)
{
#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return &HUGETLBFS_I(file_inode(file))->frozen;
#endif
	return &SHMEM_I(file_inode(file))->frozen;
}

static unsigned int *memfd_kho_seals(struct file *file)
{
#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return &HUGETLBFS_I(file_inode(file))->seals;
#endif
	return &SHMEM_I(file_inode(file))->seals;
}

/* Base pages per folio of the file's page cache, the smallest kind. */
static pgoff_t memfd_kho_step(struct file *file)
{
	if (is_file_hugepages(file))
		return pages_per_huge_page(hstate_file(file));
	return 1;
}

static bool memfd_kho_can_preserve(struct file *file)
{
	struct inode *inode = file_inode(file);

	/* A memfd: on one of the kernel's internal mounts, named so. */
	return (shmem_file(file) || is_file_hugepages(file)) &&
	       (inode->i_sb->s_flags & SB_KERNMOUNT) &&
	       !strncmp(file_dentry(file)->d_name.name, MEMFD_PREFIX,
			strlen(MEMFD_PREFIX));
}

static int memfd_kho_grow(struct memfd_kho *sk, unsigned long more)
{
	unsigned long cap = max_t(unsigned long, sk->cap * 2, MEMFD_KHO_BATCH);
	struct folio **p;

	if (sk->nr + more <= sk->cap)
		return 0;
	while (cap < sk->nr + more)
		cap *= 2;
	p = kvrealloc(sk->pinned, cap * sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	sk->pinned = p;
	sk->cap = cap;
	return 0;
}

/* Data a fallocated folio does not have yet reads as zeroes: write them. */
static void memfd_kho_uptodate(struct folio *folio)
{
	if (folio_test_uptodate(folio))
		return;
	folio_lock(folio);
	if (!folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_unlock(folio);
}

/*
 * Preserve @n folios pinned for @sk and record them. A folio preserved
 * already (a rescan) loses the extra pin. On error, the folios of this
 * call are neither preserved nor pinned any more.
 */
static int memfd_kho_add(struct liveupdate_file *lf, struct memfd_kho *sk,
			 struct folio **folios, unsigned int n)
{
	struct luo_kho_memfd_folio *rec;
	unsigned int i, kept = 0;
	int err;

	err = memfd_kho_grow(sk, n);
	if (err)
		goto unpin;
	for (i = 0; i < n; i++)
		memfd_kho_uptodate(folios[i]);
	err = kho_preserve_folios(lf->client, folios, n);
	if (err == -EEXIST) {
		/* A rescan: keep the new ones. */
		for (i = 0; i < n; i++) {
			err = kho_preserve_folio(lf->client, folios[i]);
			if (err == -EEXIST) {
				unpin_folio(folios[i]);
				continue;
			}
			if (err) {
				kho_unpreserve_folios(lf->client, folios, kept);
				unpin_folios(folios, kept);
				unpin_folios(folios + i, n - i);
				return err;
			}
			folios[kept++] = folios[i];
		}
		n = kept;
	} else if (err) {
		goto unpin;
	}
	for (i = 0; i < n; i++) {
		rec = kho_array_add(&sk->folios);
		if (!rec) {
			/* Records already added stay: the count says. */
			kho_unpreserve_folios(lf->client, folios + i, n - i);
			unpin_folios(folios + i, n - i);
			return -ENOMEM;
		}
		rec->pfn = folio_pfn(folios[i]);
		rec->index = folios[i]->index;
		rec->flags = LUO_KHO_FOLIO_UPTODATE | LUO_KHO_FOLIO_DIRTY;
		sk->pinned[sk->nr++] = folios[i];
		sk->nr_pages += folio_nr_pages(folios[i]);
	}
	return 0;

unpin:
	unpin_folios(folios, n);
	return err;
}

/*
 * The first index in [@idx, @max) with neither a folio nor a swap entry;
 * huge pages are one entry each, @step indexes apart.
 */
static pgoff_t memfd_kho_next_hole(struct address_space *mapping,
				   pgoff_t idx, pgoff_t max, pgoff_t step)
{
	XA_STATE(xas, &mapping->i_pages, idx);
	void *entry;

	if (step > 1) {
		while (idx < max && xa_load(&mapping->i_pages, idx))
			idx += step;
		return min(idx, max);
	}
	rcu_read_lock();
	while (idx < max) {
		entry = xas_next(&xas);
		if (xas_retry(&xas, entry))
			continue;
		if (!entry)
			break;
		if (!(++idx % MEMFD_KHO_BATCH)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
			xas_set(&xas, idx);
		}
	}
	rcu_read_unlock();
	return idx;
}

/*
 * Pin and preserve every folio of the file not preserved yet; the caller
 * holds the inode lock, the size is frozen. Holes are skipped; swapped-out
 * pages are brought back in by memfd_pin_folios().
 */
static int memfd_kho_scan(struct liveupdate_file *lf, struct memfd_kho *sk)
{
	struct file *file = lf->file;
	struct address_space *mapping = file->f_mapping;
	loff_t size = i_size_read(file_inode(file));
	pgoff_t idx = 0, end, npages = DIV_ROUND_UP(size, PAGE_SIZE), found;
	pgoff_t step = memfd_kho_step(file);
	struct folio **batch;
	pgoff_t offset;
	long n;
	int err = 0;

	batch = (struct folio **)__get_free_page(GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	while (idx < npages) {
		found = idx;
		if (!xa_find(&mapping->i_pages, &found, npages - 1, XA_PRESENT))
			break;
		idx = max(idx, found);
		end = memfd_kho_next_hole(mapping, idx, npages, step);
		if (end == idx) {
			/* Gone meanwhile: cannot be, the size is frozen. */
			idx += step;
			continue;
		}
		cond_resched();
		while (idx < end) {
			n = memfd_pin_folios(file, (loff_t)idx << PAGE_SHIFT,
					     min_t(loff_t, size,
						   (loff_t)end << PAGE_SHIFT) - 1,
					     batch, MEMFD_KHO_BATCH, &offset);
			if (n <= 0) {
				err = n ? n : -EIO;
				goto out;
			}
			idx = folio_next_index(batch[n - 1]);
			err = memfd_kho_add(lf, sk, batch, n);
			if (err)
				goto out;
			cond_resched();
		}
	}
out:
	free_page((unsigned long)batch);
	return err;
}

/*
 * Drop everything @sk preserved and pinned. Folios that cannot be
 * unpreserved (the jump has started) keep their pin: the memory the next
 * kernel may get is never freed.
 */
static void memfd_kho_unpin(struct liveupdate_file *lf, struct memfd_kho *sk)
{
	unsigned long i, n;
	int err;

	for (i = 0; i < sk->nr; i += n) {
		n = min(sk->nr - i, (unsigned long)UINT_MAX);
		err = kho_unpreserve_folios(lf->client, sk->pinned + i, n);
		if (err) {
			pr_warn("token %llu: cannot unpreserve (%d): its folios stay pinned\n",
				lf->token, err);
			continue;
		}
		unpin_folios(sk->pinned + i, n);
	}
	sk->nr = 0;
	sk->nr_pages = 0;
	kho_array_destroy(&sk->folios);
}

static void memfd_kho_thaw(struct file *file)
{
	struct inode *inode = file_inode(file);

	*memfd_kho_frozen(file) = false;
	/* Huge pages are never on the LRU. */
	if (shmem_file(file) && !(SHMEM_I(inode)->flags & VM_LOCKED)) {
		mapping_clear_unevictable(inode->i_mapping);
		shmem_unlock_mapping(inode->i_mapping);
	}
}

static void memfd_kho_free(struct liveupdate_file *lf, struct memfd_kho *sk)
{
	if (sk->rec)
		kho_unpreserve_free(lf->client, sk->rec);
	kvfree(sk->pinned);
	kfree(sk);
}

static int memfd_kho_preserve(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	bool *frozen = memfd_kho_frozen(lf->file);
	const char *name = file_dentry(lf->file)->d_name.name;
	struct memfd_kho *sk;
	int err;

	sk = kzalloc(sizeof(*sk), GFP_KERNEL);
	if (!sk)
		return -ENOMEM;
	sk->rec = kho_alloc_preserve(lf->client, PAGE_SIZE);
	if (IS_ERR(sk->rec)) {
		err = PTR_ERR(sk->rec);
		sk->rec = NULL;
		goto out_free;
	}
	memset(sk->rec, 0, PAGE_SIZE);
	err = kho_array_init(&sk->folios, lf->client,
			     sizeof(struct luo_kho_memfd_folio));
	if (err)
		goto out_free;

	/*
	 * Only what is in the page cache is preserved; a file still filling
	 * once its fill ended lost folios, which would come back as zeroes.
	 */
	if (shmem_file(lf->file)) {
		shmem_fill_wait(inode);
		if (shmem_filling(inode)) {
			err = -EIO;
			goto out_free;
		}
	}
	inode_lock(inode);
	if (*frozen) {
		inode_unlock(inode);
		err = -EBUSY;
		goto out_free;
	}
	*frozen = true;
	if (shmem_file(lf->file))
		mapping_set_unevictable(inode->i_mapping);
	err = memfd_kho_scan(lf, sk);
	if (err) {
		memfd_kho_unpin(lf, sk);
		memfd_kho_thaw(lf->file);
		inode_unlock(inode);
		goto out_free;
	}
	sk->rec->magic = LUO_KHO_MEMFD_MAGIC;
	sk->rec->size = i_size_read(inode);
	sk->rec->seals = *memfd_kho_seals(lf->file);
	if (!(inode->i_mode & 0111))
		sk->rec->flags |= LUO_KHO_MEMFD_NOEXEC;
	if (is_file_hugepages(lf->file))
		sk->rec->flags |= LUO_KHO_MEMFD_HUGETLB |
			huge_page_shift(hstate_file(lf->file)) <<
			LUO_KHO_MEMFD_HUGE_SHIFT;
	inode_unlock(inode);
	strscpy(sk->rec->name, name + strlen(MEMFD_PREFIX),
		sizeof(sk->rec->name));
	lf->private = sk;
	lf->data = virt_to_phys(sk->rec);
	return 0;

out_free:
	memfd_kho_free(lf, sk);
	return err;
}

/* Before the jump: folios written into holes since PRESERVE_FD. */
static int memfd_kho_sync(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct memfd_kho *sk = lf->private;
	int err = 0;

	inode_lock(inode);
	if (READ_ONCE(inode->i_mapping->nrpages) != sk->nr_pages)
		err = memfd_kho_scan(lf, sk);
	inode_unlock(inode);
	return err;
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
/*
 * For the tests of a fill that loses a folio and of one caught in the act:
 * memfd_kho.lose_folio=TOKEN makes the freeze point the sixth folio record
 * of the memfd preserved under TOKEN (0: none) at page frame 0, which is
 * never preserved; memfd_kho.bad_index=TOKEN moves that record's index
 * past the end of the file; memfd_kho.fill_hold=1 makes the workers of a
 * fill behind RETRIEVE_FD wait until it is 0 again, so that only lookups
 * put folios in. For the test of a fill in RETRIEVE_FD:
 * memfd_kho.unsort=TOKEN swaps the first ten pairs of folio records, ten
 * more runs of records sorted by index than the first scan makes.
 */
static unsigned long long lose_folio, bad_index, unsort;
module_param(lose_folio, ullong, 0600);
module_param(bad_index, ullong, 0600);
module_param(unsort, ullong, 0600);
static bool fill_hold;
module_param(fill_hold, bool, 0600);

static void memfd_kho_debug_lose(struct liveupdate_file *lf,
				 struct memfd_kho *sk)
{
	bool lose = lose_folio && lf->token == lose_folio;
	bool past = bad_index && lf->token == bad_index;
	struct luo_kho_memfd_folio *rec;
	unsigned int i;

	/* The first page of the array. */
	rec = (void *)((struct kho_array_page *)sk->folios.head + 1);
	if (unsort && lf->token == unsort && sk->nr >= 20) {
		pr_warn("token %llu: folio records unsorted on request\n",
			lf->token);
		for (i = 0; i < 20; i += 2)
			swap(rec[i], rec[i + 1]);
	}
	if (sk->nr < 6 || (!lose && !past))
		return;
	/* The sixth record. */
	rec += 5;
	pr_warn("token %llu: folio at index %llu damaged on request\n",
		lf->token, rec->index);
	if (lose)
		rec->pfn = 0;
	if (past)
		rec->index = DIV_ROUND_UP(sk->rec->size, PAGE_SIZE);
}

static void memfd_kho_debug_hold(void)
{
	while (READ_ONCE(fill_hold))
		msleep(20);
}
#else
static void memfd_kho_debug_lose(struct liveupdate_file *lf,
				 struct memfd_kho *sk)
{
}

static void memfd_kho_debug_hold(void)
{
}
#endif

static int memfd_kho_freeze(struct liveupdate_file *lf)
{
	struct memfd_kho *sk = lf->private;

	if (READ_ONCE(lf->file->f_mapping->nrpages) != sk->nr_pages)
		pr_warn("token %llu: pages written into holes during the jump are not handed over\n",
			lf->token);
	memfd_kho_debug_lose(lf, sk);
	sk->rec->nr_folios = sk->nr;
	sk->rec->nr_pages = sk->nr_pages;
	sk->rec->folios = kho_array_phys(&sk->folios);
	return 0;
}

static void memfd_kho_unpreserve(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct memfd_kho *sk = lf->private;

	inode_lock(inode);
	memfd_kho_unpin(lf, sk);
	memfd_kho_thaw(lf->file);
	inode_unlock(inode);
	memfd_kho_free(lf, sk);
	lf->private = NULL;
}

/* Where the folios of an incoming memfd go. */
struct memfd_kho_in {
	struct kho_client *client;
	struct inode *inode;	/* NULL: release the folios */
	struct hstate *h;	/* a hugetlbfs memfd's page size, or NULL */
	pgoff_t npages;
	atomic_long_t nr_pages;	/* summed by the restoring threads */
};

/*
 * Threads that put a shmem memfd's folios back into it, the caller
 * included: 0 picks one per MEMFD_KHO_FOLIOS_PER_THREAD folios, up to the
 * online CPUs and MEMFD_KHO_MAX_THREADS; 1 restores in the caller alone.
 * A hugetlbfs memfd is always restored by the caller: its huge page pool
 * has one lock.
 */
static unsigned int restore_threads;
module_param(restore_threads, uint, 0644);
MODULE_PARM_DESC(restore_threads,
		 "threads restoring a memfd's folios (0: by its size)");

/*
 * A shmem memfd is handed out by RETRIEVE_FD at once and its folios go in
 * afterwards (see "Filling a shmem memfd after it is handed out" below);
 * false puts them all in before RETRIEVE_FD returns.
 */
static bool fill_later = true;
module_param(fill_later, bool, 0644);
MODULE_PARM_DESC(fill_later,
		 "hand a shmem memfd out before its folios are back in it");

#define MEMFD_KHO_FOLIOS_PER_THREAD	2048
#define MEMFD_KHO_MAX_THREADS		8

/*
 * A restored folio the file does not take: a huge page goes to the pool
 * of its size, anything else to the page allocator.
 */
static void memfd_kho_discard(struct memfd_kho_in *in, struct folio *folio)
{
#ifdef CONFIG_HUGETLBFS
	struct hstate *h = size_to_hstate(folio_size(folio));

	if (in->h && (folio_test_hugetlb(folio) ||
		      (h && !hugetlb_adopt_folio(h, folio)))) {
		folio_put(folio);
		return;
	}
#endif
	if (folio_order(folio) <= MAX_PAGE_ORDER) {
		folio_put(folio);
		return;
	}
	/* Only a damaged record gets here; kexec gets the memory back. */
	pr_err("a folio of order %u at %#lx is of no page size: left aside\n",
	       folio_order(folio), folio_pfn(folio));
}

/* Put a restored huge page into a hugetlbfs file at @index. */
static int memfd_kho_huge_insert(struct memfd_kho_in *in, struct folio *folio,
				 pgoff_t index)
{
#ifdef CONFIG_HUGETLBFS
	int err = hugetlb_adopt_folio(in->h, folio);

	return err ?: hugetlb_insert_folio(in->inode, folio,
					   index >> huge_page_order(in->h));
#else
	return -EINVAL;
#endif
}

/*
 * Put a restored huge page into the file, or release a folio of a file
 * that is not restored; its pages in *@pages.
 */
static int memfd_kho_folio_in(struct memfd_kho_in *in,
			      const struct luo_kho_memfd_folio *rec,
			      struct folio *folio, unsigned long *pages)
{
	unsigned long nr;
	int err;

	if (!in->inode) {
		memfd_kho_discard(in, folio);
		return 0;
	}
	nr = folio_nr_pages(folio);
	*pages += nr;
	if (rec->index & (nr - 1) || rec->index >= in->npages)
		err = -EINVAL;
	else
		err = memfd_kho_huge_insert(in, folio, rec->index);
	if (err)
		memfd_kho_discard(in, folio);
	return err;
}

/*
 * Folios taken at a time: a whole leaf of the page cache (XA_CHUNK_SIZE),
 * which shmem_insert_folios() links in at once.
 */
#define MEMFD_KHO_CLAIM	64

/*
 * Restore the @nr folio records at @data (a page of them) into a hugetlbfs
 * file, or release them (no file), claiming MEMFD_KHO_CLAIM folios at a
 * time; the first error stops it, and what was claimed after it is
 * released.
 */
static int memfd_kho_folios_page(void *arg, const void *data, unsigned int nr,
				 unsigned long first)
{
	const struct luo_kho_memfd_folio *recs = data, *rec;
	struct folio *folios[MEMFD_KHO_CLAIM];
	phys_addr_t phys[MEMFD_KHO_CLAIM];
	struct memfd_kho_in *in = arg;
	unsigned long pages = 0;
	unsigned int i, j, n;
	int err = 0;

	for (i = 0; i < nr && !err; i += n) {
		n = min(nr - i, MEMFD_KHO_CLAIM);
		for (j = 0, rec = recs + i; j < n; j++, rec++) {
			if (in->inode && (rec->reserved ||
					  !(rec->flags & LUO_KHO_FOLIO_UPTODATE)))
				err = -EINVAL;
			phys[j] = PFN_PHYS(rec->pfn);
		}
		if (err)
			break;
		kho_restore_folios(in->client, phys, n, folios);
		for (j = 0; j < n; j++) {
			if (IS_ERR(folios[j]))
				err = err ?: PTR_ERR(folios[j]);
			else if (err)
				memfd_kho_discard(in, folios[j]);
			else
				err = memfd_kho_folio_in(in, recs + i + j,
							 folios[j], &pages);
		}
	}
	atomic_long_add(pages, &in->nr_pages);
	return err;
}

/* How many threads restore the folios of @rec into @in. */
static unsigned int memfd_kho_threads(struct memfd_kho_in *in,
				      const struct luo_kho_memfd *rec)
{
	unsigned int threads = READ_ONCE(restore_threads);

	if (!in->inode || in->h)
		return 1;
	if (!threads)
		threads = clamp_t(u64, rec->nr_folios / MEMFD_KHO_FOLIOS_PER_THREAD,
				  1, MEMFD_KHO_MAX_THREADS);
	return min(threads, num_online_cpus());
}

/* Walk the folio records of @rec into @in, in the caller. */
static long memfd_kho_folios_in(struct memfd_kho_in *in,
				const struct luo_kho_memfd *rec)
{
	return kho_array_restore_pages(in->client, rec->folios,
				       sizeof(struct luo_kho_memfd_folio),
				       memfd_kho_folios_page, in);
}

/*
 * Filling a shmem memfd after it is handed out.
 *
 * RETRIEVE_FD takes the pages of folio records and checks every record
 * (with the threads a restore would use), then hands the file out with
 * its size and seals, holding none of its folios yet. Worker threads put
 * them in, each a part of the records in their order, chunk by chunk, then
 * chunks of the parts of others not done yet. A lookup that finds
 * a hole meanwhile (a fault, a read, a write) first puts in the folio
 * whose record is the last at or before that index in each run of records
 * sorted by index (the first scan at PRESERVE_FD makes one run, each sync
 * step one more), so a VMM can run its VM while the rest comes in. A
 * record is taken once, under the lock of its chunk. Until the workers are
 * done, liveupdate keeps the handover's memory.
 *
 * A folio that cannot be put in is lost: its index reads as -EIO, and the
 * rest of the file is fine. RETRIEVE_FD refuses what it can check before:
 * a damaged record fails it as before.
 *
 * With fill_later off, or records in more runs than a lookup searches,
 * RETRIEVE_FD fills the file before it returns, the caller a part and
 * workers the others, and fails with -EIO if a folio is lost.
 */
#define MEMFD_KHO_MAX_RUNS	8

/*
 * Records a worker claims at a time: 16 batches, 4 MiB of 4 KiB folios. A
 * worker whose CPU is taken holds the fill up by the chunk it claimed last;
 * the batches of a chunk end at leaves after a hole, so only its first
 * and last batch may miss a whole leaf. The chunks of a part take its locks
 * in turn: a worker in its own part never waits for another, and two in
 * one part take chunks one after the other, with locks of their own.
 */
#define MEMFD_KHO_FILL_CHUNK	(16 * MEMFD_KHO_CLAIM)
#define MEMFD_KHO_FILL_LOCKS	8

/*
 * A taken record's state, in its reserved field (0 before): in the file
 * or lost, and 1 + the order of its folio when that is known.
 */
#define MEMFD_KHO_REC_IN	0x1
#define MEMFD_KHO_REC_LOST	0x2
#define MEMFD_KHO_REC_STATE	0xff
#define MEMFD_KHO_REC_ORDER	8

struct memfd_kho_fill {
	struct shmem_fill fill;
	struct memfd_kho_in in;
	struct kho_array_map map;	/* the records */
	struct {
		unsigned long start, end;
	} runs[MEMFD_KHO_MAX_RUNS];	/* of records sorted by index */
	unsigned int nr_runs;	/* more than MEMFD_KHO_MAX_RUNS: not kept */
	spinlock_t runs_lock;	/* finding the runs */
	/* Lookups read the records (read), the end of the fill frees them. */
	struct rw_semaphore map_sem;
	struct memfd_kho_part {
		struct memfd_kho_fill *fl;
		atomic_long_t next;	/* its first record not claimed */
		/* Of its records' states, taken by its chunks in turn. */
		struct mutex locks[MEMFD_KHO_FILL_LOCKS];
	} *parts;
	unsigned int nr_parts;
	unsigned long per_part;	/* records, whole chunks */
	atomic_t running;	/* workers still putting folios in */
	bool now;		/* filled before RETRIEVE_FD returns */
	struct mem_cgroup *memcg;	/* the retriever's */
	struct completion finished;
	u64 token;
	u64 map_ns, check_ns;	/* taking the records, checking them */
	unsigned long nr_pages;	/* recorded */
	atomic_long_t lost;	/* folios */
	atomic_long_t on_access;	/* folios put in by lookups */
};

static struct memfd_kho_fill *to_fill(struct shmem_fill *fill)
{
	return container_of(fill, struct memfd_kho_fill, fill);
}

static struct luo_kho_memfd_folio *memfd_kho_fill_rec(struct memfd_kho_fill *fl,
						      unsigned long i)
{
	return kho_array_map_rec(&fl->map, i);
}

/* The lock of the chunk that has record @i. */
static struct mutex *memfd_kho_fill_lock(struct memfd_kho_fill *fl,
					 unsigned long i)
{
	return &fl->parts[i / fl->per_part].locks[i % fl->per_part /
						  MEMFD_KHO_FILL_CHUNK %
						  MEMFD_KHO_FILL_LOCKS];
}

/* A run of records sorted by index starts at record @i (not the first). */
static void memfd_kho_fill_run(struct memfd_kho_fill *fl, unsigned long i)
{
	spin_lock(&fl->runs_lock);
	if (fl->nr_runs < MEMFD_KHO_MAX_RUNS)
		fl->runs[fl->nr_runs].start = i;
	if (fl->nr_runs <= MEMFD_KHO_MAX_RUNS)
		fl->nr_runs++;
	spin_unlock(&fl->runs_lock);
}

/*
 * Check the @nr records at @data, records @first on; note where a run
 * starts inside them. Pages are checked in any order, by several threads.
 * Tight, a terabyte has 2^28 records: flags and reserved bits are folded
 * over the page, and an index is checked against the size only as the
 * last of its run, the largest there.
 */
static int memfd_kho_check_page(void *arg, const void *data, unsigned int nr,
				unsigned long first)
{
	const struct luo_kho_memfd_folio *recs = data, *rec;
	struct memfd_kho_fill *fl = arg;
	const pgoff_t npages = fl->in.npages;
	u32 flags = recs->flags, reserved = recs->reserved;
	u64 prev = recs->index;
	bool bad = false;

	/* A page holds one record at least. */
	for (rec = recs + 1; rec < recs + nr; prev = rec->index, rec++) {
		flags &= rec->flags;
		reserved |= rec->reserved;
		if (likely(rec->index > prev))
			continue;
		bad |= prev >= npages;
		memfd_kho_fill_run(fl, first + (rec - recs));
	}
	bad |= prev >= npages;
	if (bad || reserved || !(flags & LUO_KHO_FOLIO_UPTODATE))
		return -EINVAL;
	return 0;
}

/* Sort the starts of the runs found and set where each ends. */
static void memfd_kho_fill_runs(struct memfd_kho_fill *fl)
{
	unsigned long start;
	unsigned int r, j;

	for (r = 1; r < fl->nr_runs; r++) {
		start = fl->runs[r].start;
		for (j = r; j > 1 && fl->runs[j - 1].start > start; j--)
			fl->runs[j].start = fl->runs[j - 1].start;
		fl->runs[j].start = start;
	}
	for (r = 0; r < fl->nr_runs; r++)
		fl->runs[r].end = r + 1 < fl->nr_runs ?
				  fl->runs[r + 1].start : fl->map.nr;
}

/*
 * Check the records and find their sorted runs, with @threads; a reason
 * if damaged.
 */
static const char *memfd_kho_fill_check(struct memfd_kho_fill *fl,
					unsigned int threads)
{
	unsigned long i;
	unsigned int p;
	long n;

	if (!fl->map.nr)
		return NULL;
	fl->nr_runs = 1;	/* runs[0] starts at record 0 */
	n = kho_array_map_parallel(&fl->map, memfd_kho_check_page, fl,
				   threads);
	if (n < 0)
		return "bad folio record";
	/* Where a page of records meets the next one. */
	for (p = 1; p < fl->map.nr_pages; p++) {
		i = (unsigned long)p * fl->map.per_page;
		if (memfd_kho_fill_rec(fl, i)->index <=
		    memfd_kho_fill_rec(fl, i - 1)->index)
			memfd_kho_fill_run(fl, i);
	}
	if (fl->nr_runs <= MEMFD_KHO_MAX_RUNS)
		memfd_kho_fill_runs(fl);
	return NULL;
}

static void memfd_kho_fill_mark(struct luo_kho_memfd_folio *rec, u32 state,
				struct folio *folio)
{
	rec->reserved = state;
	if (!IS_ERR(folio))
		rec->reserved |= (folio_order(folio) + 1) << MEMFD_KHO_REC_ORDER;
}

/* Does the taken record @rec hold @index? Exactly when its size is unknown. */
static bool memfd_kho_fill_holds(const struct luo_kho_memfd_folio *rec,
				 pgoff_t index)
{
	u32 order = rec->reserved >> MEMFD_KHO_REC_ORDER;

	if (!order)
		return index == rec->index;
	return index - rec->index < 1UL << (order - 1);
}

/* A folio of @rec is not in the file, and never will be. */
static void memfd_kho_fill_lose(struct memfd_kho_fill *fl,
				struct luo_kho_memfd_folio *rec,
				struct folio *folio)
{
	memfd_kho_fill_mark(rec, MEMFD_KHO_REC_LOST, folio);
	atomic_long_inc(&fl->lost);
	if (!IS_ERR(folio))
		memfd_kho_discard(&fl->in, folio);
}

/*
 * Put the folios of the records of @recs not taken yet into the file, in
 * runs of the same dirty state; the lock of the part of each record held.
 * Return: how many went in.
 */
static unsigned int memfd_kho_fill_recs(struct memfd_kho_fill *fl,
					struct luo_kho_memfd_folio **recs,
					unsigned int n)
{
	struct luo_kho_memfd_folio *take[MEMFD_KHO_CLAIM];
	struct folio *folios[MEMFD_KHO_CLAIM];
	/* The addresses to take, then the indices of what was taken. */
	union {
		phys_addr_t phys[MEMFD_KHO_CLAIM];
		pgoff_t index[MEMFD_KHO_CLAIM];
	} u;
	u8 order[MEMFD_KHO_CLAIM];
	unsigned int i, m = 0, ok = 0, done, run, added, in = 0;
	unsigned long nr;
	bool dirty;

	for (i = 0; i < n; i++) {
		if (recs[i]->reserved)
			continue;
		take[m] = recs[i];
		u.phys[m++] = PFN_PHYS(recs[i]->pfn);
	}
	if (!m)
		return 0;
	kho_restore_folios(fl->in.client, u.phys, m, folios);
	for (i = 0; i < m; i++) {
		if (IS_ERR(folios[i]) ||
		    take[i]->index & (folio_nr_pages(folios[i]) - 1)) {
			memfd_kho_fill_lose(fl, take[i], folios[i]);
			continue;
		}
		u.index[ok] = take[i]->index;
		order[ok] = folio_order(folios[i]);
		folios[ok] = folios[i];
		take[ok++] = take[i];
	}
	for (done = 0; done < ok; done += run) {
		dirty = take[done]->flags & LUO_KHO_FOLIO_DIRTY;
		for (run = 1; done + run < ok; run++)
			if (!!(take[done + run]->flags & LUO_KHO_FOLIO_DIRTY) != dirty)
				break;
		/* It stops at a failure: the folios after it are lost too. */
		if (shmem_insert_folios(fl->in.inode, folios + done,
					u.index + done, run, dirty, &added))
			for (i = done + added; i < done + run; i++)
				memfd_kho_fill_lose(fl, take[i], folios[i]);
		for (i = done, nr = 0; i < done + added; i++) {
			take[i]->reserved = MEMFD_KHO_REC_IN |
				(order[i] + 1) << MEMFD_KHO_REC_ORDER;
			nr += 1UL << order[i];
		}
		atomic_long_add(nr, &fl->in.nr_pages);
		in += added;
	}
	return in;
}

/*
 * The record of each run that is the last at or before @index, in
 * @found; how many.
 */
static unsigned int memfd_kho_fill_find(struct memfd_kho_fill *fl,
					pgoff_t index, unsigned long *found)
{
	unsigned long lo, hi, mid;
	unsigned int r, n = 0;

	for (r = 0; r < fl->nr_runs; r++) {
		lo = fl->runs[r].start;
		hi = fl->runs[r].end;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (memfd_kho_fill_rec(fl, mid)->index <= index)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > fl->runs[r].start)
			found[n++] = lo - 1;
	}
	return n;
}

/*
 * Nothing more goes in and no folio is lost: the records can go. map_sem
 * held for writing.
 */
static void memfd_kho_fill_done(struct memfd_kho_fill *fl)
{
	/* Pairs with the acquire of shmem_filling(). */
	smp_store_release(&fl->fill.done, true);
	kho_array_unmap(&fl->map);
}

/*
 * shmem found a hole at @index: put in the folios that may cover it. A
 * folio's size is known once it is taken, so a record at or before @index
 * is taken even if its folio ends before @index; it was due anyway. If
 * its folio went in after shmem looked (or everything did), shmem looks
 * once more.
 */
static int memfd_kho_fill_index(struct shmem_fill *fill, pgoff_t index)
{
	struct memfd_kho_fill *fl = to_fill(fill);
	unsigned long found[MEMFD_KHO_MAX_RUNS];
	struct luo_kho_memfd_folio *rec;
	struct mem_cgroup *old;
	unsigned int i, n, in = 0;
	int ret = 0;
	u32 state;

	down_read(&fl->map_sem);
	if (fl->fill.done) {
		up_read(&fl->map_sem);
		return 1;
	}
	n = memfd_kho_fill_find(fl, index, found);
	old = set_active_memcg(fl->memcg);
	for (i = 0; i < n; i++) {
		rec = memfd_kho_fill_rec(fl, found[i]);
		mutex_lock(memfd_kho_fill_lock(fl, found[i]));
		in += memfd_kho_fill_recs(fl, &rec, 1);
		mutex_unlock(memfd_kho_fill_lock(fl, found[i]));
	}
	set_active_memcg(old);
	if (in) {
		atomic_long_add(in, &fl->on_access);
		ret = 1;
	}
	/* Taken now, by this lookup or by whoever held the lock before. */
	for (i = 0; i < n && !ret; i++) {
		rec = memfd_kho_fill_rec(fl, found[i]);
		if (!memfd_kho_fill_holds(rec, index))
			continue;
		state = READ_ONCE(rec->reserved) & MEMFD_KHO_REC_STATE;
		ret = state == MEMFD_KHO_REC_LOST ? -EIO : 1;
	}
	up_read(&fl->map_sem);
	return ret;
}

static void memfd_kho_fill_wait(struct shmem_fill *fill)
{
	wait_for_completion(&to_fill(fill)->finished);
}

/*
 * The file's pages in [@start, @end) are gone: so are the losses there.
 * After the fill's end.
 */
static void memfd_kho_fill_punch(struct shmem_fill *fill, pgoff_t start,
				 pgoff_t end)
{
	struct memfd_kho_fill *fl = to_fill(fill);
	struct luo_kho_memfd_folio *rec;
	unsigned long i;

	down_write(&fl->map_sem);
	for (i = 0; i < fl->map.nr && atomic_long_read(&fl->lost); i++) {
		rec = memfd_kho_fill_rec(fl, i);
		if ((rec->reserved & MEMFD_KHO_REC_STATE) != MEMFD_KHO_REC_LOST ||
		    rec->index < start || rec->index >= end)
			continue;
		rec->reserved = MEMFD_KHO_REC_IN;
		atomic_long_dec(&fl->lost);
	}
	if (!fl->fill.done && !atomic_long_read(&fl->lost))
		memfd_kho_fill_done(fl);
	up_write(&fl->map_sem);
}

static void memfd_kho_fill_free(struct shmem_fill *fill)
{
	struct memfd_kho_fill *fl = to_fill(fill);
	unsigned int i, j;

	kho_array_unmap(&fl->map);
	mem_cgroup_put(fl->memcg);
	for (i = 0; i < fl->nr_parts; i++)
		for (j = 0; j < MEMFD_KHO_FILL_LOCKS; j++)
			mutex_destroy(&fl->parts[i].locks[j]);
	kfree(fl->parts);
	kfree(fl);
}

static const struct shmem_fill_ops memfd_kho_fill_ops = {
	.fill = memfd_kho_fill_index,
	.wait = memfd_kho_fill_wait,
	.punch = memfd_kho_fill_punch,
	.free = memfd_kho_fill_free,
};

/* Put the folios of records [@i, @end), of one chunk, in, in order. */
static void memfd_kho_fill_range(struct memfd_kho_fill *fl, unsigned long i,
				 unsigned long end)
{
	struct mutex *lock = memfd_kho_fill_lock(fl, i);
	struct luo_kho_memfd_folio *recs[MEMFD_KHO_CLAIM];
	unsigned long n;
	unsigned int j;

	BUILD_BUG_ON(MEMFD_KHO_CLAIM % XA_CHUNK_SIZE);
	for (; i < end; i += n) {
		n = min_t(unsigned long, end - i, MEMFD_KHO_CLAIM);
		for (j = 0; j < n; j++) {
			recs[j] = memfd_kho_fill_rec(fl, i + j);
			/*
			 * After a hole, end the batch where a leaf of the
			 * page cache starts, so that the next ones are leaves.
			 */
			if (j && !(recs[j]->index % MEMFD_KHO_CLAIM) &&
			    recs[0]->index % MEMFD_KHO_CLAIM) {
				n = j;
				break;
			}
		}
		mutex_lock(lock);
		memfd_kho_fill_recs(fl, recs, n);
		mutex_unlock(lock);
		cond_resched();
	}
}

/*
 * Fill part @first, a chunk of records after the other, then help with
 * the parts after it: a worker whose CPU is taken (by a VM's vCPU, at a
 * higher priority) holds nobody up, the others take its chunks.
 */
static void memfd_kho_fill_part(struct memfd_kho_fill *fl, unsigned int first)
{
	struct mem_cgroup *old = set_active_memcg(fl->memcg);
	unsigned long i, end;
	unsigned int k, part;

	for (k = 0; k < fl->nr_parts; k++) {
		part = (first + k) % fl->nr_parts;
		end = min(fl->map.nr, (part + 1) * fl->per_part);
		while ((i = atomic_long_fetch_add(MEMFD_KHO_FILL_CHUNK,
						  &fl->parts[part].next)) < end)
			memfd_kho_fill_range(fl, i,
					     min(end, i + MEMFD_KHO_FILL_CHUNK));
	}
	set_active_memcg(old);
}

/* The last worker is done: say how it went, and let waiters go. */
static void memfd_kho_fill_end(struct memfd_kho_fill *fl)
{
	unsigned long pages = atomic_long_read(&fl->in.nr_pages);
	unsigned long lost = atomic_long_read(&fl->lost);

	if (lost)
		pr_err("token %llu: %lu folios could not be put back: %s\n",
		       fl->token, lost, fl->now ? "the file is not handed out" :
						  "reading them gives -EIO");
	else if (pages != fl->nr_pages)
		pr_err("token %llu: %lu pages put back, %lu recorded\n",
		       fl->token, pages, fl->nr_pages);
	else
		pr_info("token %llu: filled: %lu folios in %u parts, %lu of them on access; records taken in %llu ns, checked in %llu ns\n",
			fl->token, fl->map.nr, fl->nr_parts,
			atomic_long_read(&fl->on_access), fl->map_ns,
			fl->check_ns);
	/* Lost folios are found through the records; else they can go. */
	down_write(&fl->map_sem);
	if (!lost)
		memfd_kho_fill_done(fl);
	up_write(&fl->map_sem);
	complete_all(&fl->finished);
}

/* Fill it in the caller. */
static void memfd_kho_fill_all(struct memfd_kho_fill *fl)
{
	memfd_kho_fill_part(fl, 0);
	memfd_kho_fill_end(fl);
}

/*
 * Take the records of @rec and check them with @threads, for @in's file
 * (shmem, inode locked, size set), to fill it in as many parts. Return:
 * the fill, or an error pointer (the folios are left to kho_finish()).
 */
static struct memfd_kho_fill *memfd_kho_fill_prepare(struct memfd_kho_in *in,
						     const struct luo_kho_memfd *rec,
						     u64 token, unsigned int threads)
{
	u64 start = ktime_get_ns();
	struct memfd_kho_fill *fl;
	const char *why;
	unsigned int i, j;
	int err;

	fl = kzalloc(sizeof(*fl), GFP_KERNEL);
	if (!fl)
		return ERR_PTR(-ENOMEM);
	fl->in = *in;
	err = kho_array_map(in->client, rec->folios,
			    sizeof(struct luo_kho_memfd_folio), &fl->map);
	fl->map_ns = ktime_get_ns() - start;
	if (!err) {
		/* A part of one record at least, and at least one part. */
		fl->nr_parts = clamp_t(unsigned long, fl->map.nr, 1,
				       max(threads, 1U));
		fl->parts = kcalloc(fl->nr_parts, sizeof(*fl->parts),
				    GFP_KERNEL);
		if (!fl->parts) {
			kho_array_unmap(&fl->map);
			err = -ENOMEM;
		}
	}
	if (err) {
		kfree(fl);
		return ERR_PTR(err);
	}
	/* Parts of whole chunks, which start on a leaf in a file with no hole. */
	BUILD_BUG_ON(MEMFD_KHO_FILL_CHUNK % MEMFD_KHO_CLAIM);
	fl->per_part = round_up(max(DIV_ROUND_UP(fl->map.nr, fl->nr_parts), 1UL),
				MEMFD_KHO_FILL_CHUNK);
	for (i = 0; i < fl->nr_parts; i++) {
		fl->parts[i].fl = fl;
		atomic_long_set(&fl->parts[i].next, i * fl->per_part);
		for (j = 0; j < MEMFD_KHO_FILL_LOCKS; j++)
			mutex_init(&fl->parts[i].locks[j]);
	}
	fl->fill.ops = &memfd_kho_fill_ops;
	fl->token = token;
	fl->nr_pages = rec->nr_pages;
	spin_lock_init(&fl->runs_lock);
	init_rwsem(&fl->map_sem);
	init_completion(&fl->finished);
	fl->memcg = get_mem_cgroup_from_mm(NULL);
	start = ktime_get_ns();
	why = memfd_kho_fill_check(fl, threads);
	fl->check_ns = ktime_get_ns() - start;
	if (!why && fl->map.nr != rec->nr_folios)
		why = "bad folio counts";
	if (why) {
		pr_err("token %llu: %s\n", token, why);
		memfd_kho_fill_free(&fl->fill);
		return ERR_PTR(-EINVAL);
	}
	/* A lookup could not find its folio quickly: fill it now. */
	fl->now = fl->nr_runs > MEMFD_KHO_MAX_RUNS;
	return fl;
}

/* A part is in: the last one ends the fill. @fl may be gone after. */
static void memfd_kho_fill_part_done(struct memfd_kho_fill *fl)
{
	bool now = fl->now;

	if (!atomic_dec_and_test(&fl->running))
		return;
	memfd_kho_fill_end(fl);
	if (!now)
		liveupdate_unhold();
}

static int memfd_kho_fill_thread(void *arg)
{
	struct memfd_kho_part *p = arg;
	struct memfd_kho_fill *fl = p->fl;
	struct inode *inode = fl->in.inode;

	/* Behind a running VM, not in the way of anything. */
	if (!fl->now) {
		set_user_nice(current, MAX_NICE);
		memfd_kho_debug_hold();
	}
	memfd_kho_fill_part(fl, p - fl->parts);
	memfd_kho_fill_part_done(fl);
	/* May evict the inode, and free @fl with it. */
	iput(inode);
	return 0;
}

/*
 * Start a worker for each part from @first on, each bound to an online CPU
 * of its own while there are enough, the CPUs after the caller's first (a
 * worker left to the scheduler may stay beside another). Return: false if
 * they could not all be started; none was then.
 */
static bool memfd_kho_fill_workers(struct memfd_kho_fill *fl,
				   unsigned int first)
{
	unsigned int i, n, online = num_online_cpus(), cpu;
	struct task_struct **t;

	/* The caller's index among the online CPUs. */
	cpu = bitmap_weight(cpumask_bits(cpu_online_mask),
			    raw_smp_processor_id());
	t = kcalloc(fl->nr_parts, sizeof(*t), GFP_KERNEL);
	for (n = first; t && n < fl->nr_parts; n++) {
		t[n] = kthread_create(memfd_kho_fill_thread, &fl->parts[n],
				      "memfd_fill/%llu:%u", fl->token, n);
		if (IS_ERR(t[n]))
			break;
		i = cpumask_nth((cpu + n) % online, cpu_online_mask);
		/* A CPU gone offline meanwhile: left to the scheduler. */
		if (fl->nr_parts > 1 && i < nr_cpu_ids)
			kthread_bind(t[n], i);
	}
	if (n < fl->nr_parts) {
		/* Stopped before they ran, they touch nothing. */
		for (i = first; t && i < n; i++)
			kthread_stop(t[i]);
		kfree(t);
		return false;
	}
	atomic_set(&fl->running, fl->nr_parts);
	if (!fl->now)
		liveupdate_hold();
	for (i = first; i < n; i++) {
		ihold(fl->in.inode);
		wake_up_process(t[i]);
	}
	kfree(t);
	return true;
}

/*
 * The file goes out now: fill it behind RETRIEVE_FD, at the lowest
 * priority; without workers, fill it here. In ->retrieve(), under
 * luo_lock.
 */
static void memfd_kho_fill_start(struct memfd_kho_fill *fl)
{
	shmem_set_fill(fl->in.inode, &fl->fill);
	if (!memfd_kho_fill_workers(fl, 0))
		memfd_kho_fill_all(fl);
}

/*
 * Fill the file before it goes out, the caller the first part and workers
 * the others; nothing else sees the file yet. Return: 0, or -EIO if a
 * folio was lost. @fl is freed.
 */
static int memfd_kho_fill_now(struct memfd_kho_fill *fl)
{
	int err;

	fl->now = true;
	if (fl->nr_parts > 1 && memfd_kho_fill_workers(fl, 1)) {
		memfd_kho_fill_part(fl, 0);
		memfd_kho_fill_part_done(fl);
		wait_for_completion(&fl->finished);
	} else {
		memfd_kho_fill_all(fl);
	}
	err = atomic_long_read(&fl->lost) ? -EIO : 0;
	memfd_kho_fill_free(&fl->fill);
	return err;
}

#define MEMFD_KHO_FLAGS	(LUO_KHO_MEMFD_NOEXEC | LUO_KHO_MEMFD_HUGETLB | \
			 LUO_KHO_MEMFD_HUGE_MASK << LUO_KHO_MEMFD_HUGE_SHIFT)

/* The pool of a hugetlbfs memfd's page size, in *@h; NULL for shmem. */
static const char *memfd_kho_check_huge(const struct luo_kho_memfd *rec,
					struct hstate **h)
{
	unsigned int shift = rec->flags >> LUO_KHO_MEMFD_HUGE_SHIFT &
			     LUO_KHO_MEMFD_HUGE_MASK;

	*h = NULL;
	if (!(rec->flags & LUO_KHO_MEMFD_HUGETLB))
		return shift ? "huge page size of a shmem memfd" : NULL;
#ifdef CONFIG_HUGETLBFS
	if (shift > PAGE_SHIFT && shift < BITS_PER_LONG)
		*h = size_to_hstate(1UL << shift);
#endif
	if (!*h)
		return "no huge pages of its size";
	if (!IS_ALIGNED(rec->size, huge_page_size(*h)))
		return "size not a multiple of its huge page size";
	return NULL;
}

static const char *memfd_kho_check(const struct luo_kho_memfd *rec,
				   struct hstate **h)
{
	const char *why;

	if (rec->magic != LUO_KHO_MEMFD_MAGIC)
		return "bad magic";
	if (rec->size > MAX_LFS_FILESIZE)
		return "bad size";
	if (rec->seals & ~MEMFD_KHO_SEALS)
		return "unknown seals";
	if (rec->flags & ~MEMFD_KHO_FLAGS)
		return "unknown flags";
	why = memfd_kho_check_huge(rec, h);
	if (why)
		return why;
	if (rec->nr_pages > DIV_ROUND_UP(rec->size, PAGE_SIZE) ||
	    rec->nr_folios > rec->nr_pages || !rec->nr_folios != !rec->folios)
		return "bad folio counts";
	if (!memchr(rec->name, 0, sizeof(rec->name)))
		return "bad name";
	return NULL;
}

/* Give the folios of a memfd that is not restored back to the allocator. */
static void memfd_kho_drop(struct liveupdate_file *lf,
			   struct luo_kho_memfd *rec)
{
	struct memfd_kho_in in = { .client = lf->client };

	/* kho_finish() releases huge pages: it frees blocks of any order. */
	if (rec->magic == LUO_KHO_MEMFD_MAGIC &&
	    !(rec->flags & LUO_KHO_MEMFD_HUGETLB))
		memfd_kho_folios_in(&in, rec);
	folio_put(virt_to_folio(rec));
}

static int memfd_kho_retrieve(struct liveupdate_file *lf)
{
	struct memfd_kho_in in = { .client = lf->client };
	struct memfd_kho_fill *fl = NULL;
	struct luo_kho_memfd *rec;
	struct hstate *h;
	struct inode *inode;
	struct file *file;
	const char *why;
	char *name;
	unsigned int threads;
	long n;

	rec = kho_restore_preserved(lf->client, lf->data, sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	why = memfd_kho_check(rec, &h);
	if (why) {
		pr_err("token %llu: %s: its memory is released\n", lf->token,
		       why);
		memfd_kho_drop(lf, rec);
		lf->data = 0;
		return -EINVAL;
	}
	name = kasprintf(GFP_KERNEL, MEMFD_PREFIX "%s", rec->name);
	if (!name)
		file = ERR_PTR(-ENOMEM);
	else if (h)
		file = hugetlb_file_setup(name, 0, VM_NORESERVE,
					  HUGETLB_ANONHUGE_INODE,
					  huge_page_shift(h));
	else
		file = shmem_file_setup(name, 0, VM_NORESERVE);
	kfree(name);
	if (IS_ERR(file)) {
		memfd_kho_drop(lf, rec);
		lf->data = 0;
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	inode = file_inode(file);
	in.inode = inode;
	in.h = h;
	in.npages = DIV_ROUND_UP(rec->size, PAGE_SIZE);

	threads = memfd_kho_threads(&in, rec);

	inode_lock(inode);
	i_size_write(inode, rec->size);
	if (!h) {
		fl = memfd_kho_fill_prepare(&in, rec, lf->token, threads);
		n = IS_ERR(fl) ? PTR_ERR(fl) : rec->nr_folios;
		if (!IS_ERR(fl) && (fl->now || !READ_ONCE(fill_later))) {
			n = memfd_kho_fill_now(fl) ?: rec->nr_folios;
			fl = NULL;
		}
	} else {
		n = memfd_kho_folios_in(&in, rec);
		if (n >= 0 && (n != rec->nr_folios ||
			       atomic_long_read(&in.nr_pages) != rec->nr_pages))
			n = -EINVAL;
	}
	if (n >= 0) {
		*memfd_kho_seals(file) = rec->seals;
		if (rec->flags & LUO_KHO_MEMFD_NOEXEC)
			inode->i_mode &= ~0111;
	}
	inode_unlock(inode);
	folio_put(virt_to_folio(rec));
	if (n < 0) {
		pr_err("token %llu: folios not restored (%ld)\n", lf->token, n);
		fput(file);
		lf->data = 0;
		return n;
	}
	lf->file = file;
	if (!IS_ERR_OR_NULL(fl))
		memfd_kho_fill_start(fl);
	return 0;
}

static void memfd_kho_release(struct liveupdate_file *lf)
{
	struct luo_kho_memfd *rec;

	/* 0: a failed retrieve took the record; kho_finish() does the rest. */
	if (!lf->data)
		return;
	rec = kho_restore_preserved(lf->client, lf->data, sizeof(*rec));
	if (!IS_ERR(rec))
		memfd_kho_drop(lf, rec);
}

static struct liveupdate_file_handler memfd_kho_handler = {
	.compatible = LUO_KHO_MEMFD_COMPATIBLE,
	.owner = THIS_MODULE,
	.can_preserve = memfd_kho_can_preserve,
	.preserve = memfd_kho_preserve,
	.sync = memfd_kho_sync,
	.freeze = memfd_kho_freeze,
	.unpreserve = memfd_kho_unpreserve,
	.retrieve = memfd_kho_retrieve,
	.release = memfd_kho_release,
};

static int __init memfd_kho_init(void)
{
	if (!kho_is_enabled())
		return 0;
	return liveupdate_register_handler(&memfd_kho_handler);
}
late_initcall(memfd_kho_init);
