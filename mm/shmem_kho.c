// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of memfds: the folios of a shmem memfd stay where they are
 * across kexec, and come back as the same file in the next kernel.
 *
 * PRESERVE_FD freezes the file's size (no truncate, no fallocate, no
 * write past the end), keeps its folios off the evictable LRU, pins every
 * folio present (swapped-out pages are brought in, holes stay holes) and
 * preserves each at its order. Writes go on landing in those folios until
 * the jump; folios that appear in holes meanwhile are preserved by the
 * sync step right before it. The next kernel puts each folio back into a
 * new memfd at its index, charged to the retriever's memory cgroup.
 *
 * Format: struct luo_kho_memfd in include/linux/kho/liveupdate.h.
 */

#define pr_fmt(fmt) "liveupdate memfd: " fmt

#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/liveupdate.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>

#define MEMFD_PREFIX	"memfd:"
#define SHMEM_KHO_BATCH	(PAGE_SIZE / sizeof(struct folio *))
#define SHMEM_KHO_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/* An outgoing memfd. */
struct shmem_kho {
	struct luo_kho_memfd *rec;
	struct kho_array folios;	/* struct luo_kho_memfd_folio */
	struct folio **pinned;		/* every folio preserved, pinned */
	unsigned long nr, cap;
	unsigned long nr_pages;
};

static bool shmem_kho_can_preserve(struct file *file)
{
	struct inode *inode = file_inode(file);

	/* A memfd: on the kernel's internal shmem mount, named so. */
	return shmem_file(file) && (inode->i_sb->s_flags & SB_KERNMOUNT) &&
	       !strncmp(file_dentry(file)->d_name.name, MEMFD_PREFIX,
			strlen(MEMFD_PREFIX));
}

static int shmem_kho_grow(struct shmem_kho *sk, unsigned long more)
{
	unsigned long cap = max_t(unsigned long, sk->cap * 2, SHMEM_KHO_BATCH);
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
static void shmem_kho_uptodate(struct folio *folio)
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
static int shmem_kho_add(struct liveupdate_file *lf, struct shmem_kho *sk,
			 struct folio **folios, unsigned int n)
{
	struct luo_kho_memfd_folio *rec;
	unsigned int i, kept = 0;
	int err;

	err = shmem_kho_grow(sk, n);
	if (err)
		goto unpin;
	for (i = 0; i < n; i++)
		shmem_kho_uptodate(folios[i]);
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

/* The first index in [@idx, @max) with neither a folio nor a swap entry. */
static pgoff_t shmem_kho_next_hole(struct address_space *mapping,
				   pgoff_t idx, pgoff_t max)
{
	XA_STATE(xas, &mapping->i_pages, idx);
	void *entry;

	rcu_read_lock();
	while (idx < max) {
		entry = xas_next(&xas);
		if (xas_retry(&xas, entry))
			continue;
		if (!entry)
			break;
		if (!(++idx % SHMEM_KHO_BATCH)) {
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
static int shmem_kho_scan(struct liveupdate_file *lf, struct shmem_kho *sk)
{
	struct file *file = lf->file;
	struct address_space *mapping = file->f_mapping;
	loff_t size = i_size_read(file_inode(file));
	pgoff_t idx = 0, end, npages = DIV_ROUND_UP(size, PAGE_SIZE), found;
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
		end = shmem_kho_next_hole(mapping, idx, npages);
		if (end == idx) {
			/* Gone meanwhile: cannot be, the size is frozen. */
			idx++;
			continue;
		}
		cond_resched();
		while (idx < end) {
			n = memfd_pin_folios(file, (loff_t)idx << PAGE_SHIFT,
					     min_t(loff_t, size,
						   (loff_t)end << PAGE_SHIFT) - 1,
					     batch, SHMEM_KHO_BATCH, &offset);
			if (n <= 0) {
				err = n ? n : -EIO;
				goto out;
			}
			idx = folio_next_index(batch[n - 1]);
			err = shmem_kho_add(lf, sk, batch, n);
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
static void shmem_kho_unpin(struct liveupdate_file *lf, struct shmem_kho *sk)
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

static void shmem_kho_thaw_inode(struct inode *inode)
{
	struct shmem_inode_info *info = SHMEM_I(inode);

	info->frozen = false;
	if (!(info->flags & VM_LOCKED)) {
		mapping_clear_unevictable(inode->i_mapping);
		shmem_unlock_mapping(inode->i_mapping);
	}
}

static void shmem_kho_free(struct liveupdate_file *lf, struct shmem_kho *sk)
{
	if (sk->rec)
		kho_unpreserve_free(lf->client, sk->rec);
	kvfree(sk->pinned);
	kfree(sk);
}

static int shmem_kho_preserve(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct shmem_inode_info *info = SHMEM_I(inode);
	const char *name = file_dentry(lf->file)->d_name.name;
	struct shmem_kho *sk;
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

	inode_lock(inode);
	if (info->frozen) {
		inode_unlock(inode);
		err = -EBUSY;
		goto out_free;
	}
	info->frozen = true;
	mapping_set_unevictable(inode->i_mapping);
	err = shmem_kho_scan(lf, sk);
	if (err) {
		shmem_kho_unpin(lf, sk);
		shmem_kho_thaw_inode(inode);
		inode_unlock(inode);
		goto out_free;
	}
	sk->rec->magic = LUO_KHO_MEMFD_MAGIC;
	sk->rec->size = i_size_read(inode);
	sk->rec->seals = info->seals;
	if (!(inode->i_mode & 0111))
		sk->rec->flags |= LUO_KHO_MEMFD_NOEXEC;
	inode_unlock(inode);
	strscpy(sk->rec->name, name + strlen(MEMFD_PREFIX),
		sizeof(sk->rec->name));
	lf->private = sk;
	lf->data = virt_to_phys(sk->rec);
	return 0;

out_free:
	shmem_kho_free(lf, sk);
	return err;
}

/* Before the jump: folios written into holes since PRESERVE_FD. */
static int shmem_kho_sync(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct shmem_kho *sk = lf->private;
	int err = 0;

	inode_lock(inode);
	if (READ_ONCE(inode->i_mapping->nrpages) != sk->nr_pages)
		err = shmem_kho_scan(lf, sk);
	inode_unlock(inode);
	return err;
}

static int shmem_kho_freeze(struct liveupdate_file *lf)
{
	struct shmem_kho *sk = lf->private;

	if (READ_ONCE(lf->file->f_mapping->nrpages) != sk->nr_pages)
		pr_warn("token %llu: pages written into holes during the jump are not handed over\n",
			lf->token);
	sk->rec->nr_folios = sk->nr;
	sk->rec->nr_pages = sk->nr_pages;
	sk->rec->folios = kho_array_phys(&sk->folios);
	return 0;
}

static void shmem_kho_unpreserve(struct liveupdate_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct shmem_kho *sk = lf->private;

	inode_lock(inode);
	shmem_kho_unpin(lf, sk);
	shmem_kho_thaw_inode(inode);
	inode_unlock(inode);
	shmem_kho_free(lf, sk);
	lf->private = NULL;
}

#define SHMEM_KHO_IN_BATCH	64

/* Folios of an incoming memfd, restored SHMEM_KHO_IN_BATCH at a time. */
struct shmem_kho_in {
	struct kho_client *client;
	struct inode *inode;	/* NULL: release the folios */
	pgoff_t npages;
	unsigned long nr_pages;
	unsigned int n;
	phys_addr_t phys[SHMEM_KHO_IN_BATCH];
	pgoff_t index[SHMEM_KHO_IN_BATCH];
	bool dirty[SHMEM_KHO_IN_BATCH];
	struct folio *folios[SHMEM_KHO_IN_BATCH];
};

/* Restore the folios collected so far and put them into the file. */
static int shmem_kho_flush(struct shmem_kho_in *in)
{
	unsigned int i, done;
	unsigned long nr;
	struct folio *folio;
	int err;

	err = kho_restore_folios(in->client, in->phys, in->n, in->folios,
				 &done);
	for (i = 0; i < done; i++) {
		folio = in->folios[i];
		if (!in->inode || err) {
			folio_put(folio);
			continue;
		}
		nr = folio_nr_pages(folio);
		in->nr_pages += nr;
		if (in->index[i] & (nr - 1) || in->index[i] >= in->npages)
			err = -EINVAL;
		else
			err = shmem_insert_folio(in->inode, folio,
						 in->index[i], in->dirty[i]);
		if (err)
			folio_put(folio);
	}
	in->n = 0;
	return err;
}

static int shmem_kho_folio_in(void *arg, const void *data, unsigned long i)
{
	const struct luo_kho_memfd_folio *rec = data;
	struct shmem_kho_in *in = arg;

	if (in->inode &&
	    (rec->reserved || !(rec->flags & LUO_KHO_FOLIO_UPTODATE)))
		return -EINVAL;
	in->phys[in->n] = PFN_PHYS(rec->pfn);
	in->index[in->n] = rec->index;
	in->dirty[in->n] = rec->flags & LUO_KHO_FOLIO_DIRTY;
	if (++in->n == SHMEM_KHO_IN_BATCH)
		return shmem_kho_flush(in);
	return 0;
}

/* Walk the folio records of @rec into @in, the last batch included. */
static long shmem_kho_folios_in(struct shmem_kho_in *in,
				const struct luo_kho_memfd *rec)
{
	long n = kho_array_restore(in->client, rec->folios,
				   sizeof(struct luo_kho_memfd_folio),
				   shmem_kho_folio_in, in);
	int err = shmem_kho_flush(in);

	return n < 0 ? n : err ?: n;
}

static const char *shmem_kho_check(const struct luo_kho_memfd *rec)
{
	if (rec->magic != LUO_KHO_MEMFD_MAGIC)
		return "bad magic";
	if (rec->size > MAX_LFS_FILESIZE)
		return "bad size";
	if (rec->seals & ~SHMEM_KHO_SEALS)
		return "unknown seals";
	if (rec->flags & ~LUO_KHO_MEMFD_NOEXEC)
		return "unknown flags";
	if (rec->nr_pages > DIV_ROUND_UP(rec->size, PAGE_SIZE) ||
	    rec->nr_folios > rec->nr_pages || !rec->nr_folios != !rec->folios)
		return "bad folio counts";
	if (!memchr(rec->name, 0, sizeof(rec->name)))
		return "bad name";
	return NULL;
}

/* Give the folios of a memfd that is not restored back to the allocator. */
static void shmem_kho_drop(struct liveupdate_file *lf,
			   struct luo_kho_memfd *rec)
{
	struct shmem_kho_in *in = kzalloc(sizeof(*in), GFP_KERNEL);

	/* Without memory, kho_finish() releases them later. */
	if (in && rec->magic == LUO_KHO_MEMFD_MAGIC) {
		in->client = lf->client;
		shmem_kho_folios_in(in, rec);
	}
	kfree(in);
	folio_put(virt_to_folio(rec));
}

static int shmem_kho_retrieve(struct liveupdate_file *lf)
{
	struct shmem_kho_in *in;
	struct luo_kho_memfd *rec;
	struct inode *inode;
	struct file *file;
	const char *why;
	char *name;
	long n;

	rec = kho_restore_preserved(lf->client, lf->data, sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	why = shmem_kho_check(rec);
	if (why) {
		pr_err("token %llu: %s: its memory is released\n", lf->token,
		       why);
		shmem_kho_drop(lf, rec);
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	name = kasprintf(GFP_KERNEL, MEMFD_PREFIX "%s", rec->name);
	file = name && in ? shmem_file_setup(name, 0, VM_NORESERVE) :
			    ERR_PTR(-ENOMEM);
	kfree(name);
	if (IS_ERR(file)) {
		kfree(in);
		shmem_kho_drop(lf, rec);
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	inode = file_inode(file);
	in->client = lf->client;
	in->inode = inode;
	in->npages = DIV_ROUND_UP(rec->size, PAGE_SIZE);

	inode_lock(inode);
	i_size_write(inode, rec->size);
	n = shmem_kho_folios_in(in, rec);
	if (n >= 0 && (n != rec->nr_folios || in->nr_pages != rec->nr_pages))
		n = -EINVAL;
	kfree(in);
	if (n >= 0) {
		SHMEM_I(inode)->seals = rec->seals;
		if (rec->flags & LUO_KHO_MEMFD_NOEXEC)
			inode->i_mode &= ~0111;
	}
	inode_unlock(inode);
	folio_put(virt_to_folio(rec));
	if (n < 0) {
		pr_err("token %llu: folios not restored (%ld)\n", lf->token, n);
		fput(file);
		return n;
	}
	lf->file = file;
	return 0;
}

static void shmem_kho_release(struct liveupdate_file *lf)
{
	struct luo_kho_memfd *rec;

	rec = kho_restore_preserved(lf->client, lf->data, sizeof(*rec));
	if (!IS_ERR(rec))
		shmem_kho_drop(lf, rec);
}

static struct liveupdate_file_handler shmem_kho_handler = {
	.compatible = LUO_KHO_MEMFD_COMPATIBLE,
	.owner = THIS_MODULE,
	.can_preserve = shmem_kho_can_preserve,
	.preserve = shmem_kho_preserve,
	.sync = shmem_kho_sync,
	.freeze = shmem_kho_freeze,
	.unpreserve = shmem_kho_unpreserve,
	.retrieve = shmem_kho_retrieve,
	.release = shmem_kho_release,
};

static int __init shmem_kho_init(void)
{
	if (!kho_is_enabled())
		return 0;
	return liveupdate_register_handler(&shmem_kho_handler);
}
late_initcall(shmem_kho_init);
