// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) core: the incoming side.
 *
 * 1. Early, before the first memblock allocation, the architecture hands
 *    the root tree address and the scratch table to kho_populate(). They
 *    are validated; the scratch areas are marked in memblock and memblock
 *    switches to scratch-only allocation.
 * 2. When memblock_free_all() starts, kho_memory_init() validates the
 *    tracker and keeps every free page outside scratch reserved, with one
 *    memblock reservation per free range (not per preserved page). It walks
 *    the tracker in address order: the gaps between preserved blocks go to
 *    the page allocator in large chunks, and each preserved block is
 *    stamped with its order in its first struct page, so clients can
 *    restore it.
 * 3. An early initcall keeps a copy of the root tree for clients.
 * 4. Preserved memory no client claimed is released after the initcalls
 *    (or on request through sysfs with kho_keep_unclaimed).
 *
 * Anything wrong in the handover is reported in one line and the kernel
 * boots on without it.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kexec_handover_internal.h"
#include "../mm/internal.h"

/* page->private of the first page of a preserved block not yet claimed */
#define KHO_STAMP_MAGIC		0x4b484f50UL	/* "KHOP" */
#define KHO_STAMP(order)	((KHO_STAMP_MAGIC << 8) | (order))
#define KHO_STAMP_NODE		KHO_STAMP(0xff)

struct kho_in_range {
	phys_addr_t start;
	phys_addr_t end;
};

static struct {
	struct mutex lock;	/* claims against the release of unclaimed memory */
	phys_addr_t root_phys;
	u64 tracker_phys;
	bool found;
	bool valid;
	bool keep_unclaimed;
	void *root;
	size_t root_size;
	struct kho_tracker tracker;
	struct kho_in_range *ranges;
	unsigned int nr_ranges;
} kho_in = {
	.lock = __MUTEX_INITIALIZER(kho_in.lock),
};

struct kho_in_stats kho_in_stats;

static int __init kho_parse_keep_unclaimed(char *p)
{
	kho_in.keep_unclaimed = true;
	return 0;
}
early_param("kho_keep_unclaimed", kho_parse_keep_unclaimed);

/**
 * is_kho_boot() - was this kernel booted with a valid handover
 *
 * Return: true when the previous kernel handed memory over and this kernel
 * accepted it.
 */
bool is_kho_boot(void)
{
	return kho_in.valid;
}
EXPORT_SYMBOL_GPL(is_kho_boot);

static bool __init kho_phys_in_scratch(phys_addr_t start, phys_addr_t size)
{
	return kho_range_in_scratch(start, start + size);
}

/**
 * kho_populate() - take the handover found by the architecture code
 * @root_phys: physical address of the root tree
 * @root_size: size of the memory holding it
 * @scratch: scratch table, mapped by the caller
 * @nr: entries in @scratch
 *
 * Called before the first memblock allocation, once memblock knows the
 * memory. On success memblock allocates only from scratch from now on.
 *
 * Return: true if the handover was accepted.
 */
bool __init kho_populate(phys_addr_t root_phys, size_t root_size,
			 const struct kho_scratch_entry *scratch,
			 unsigned int nr)
{
	phys_addr_t early;
	const char *why;
	unsigned int i;
	u64 tracker;
	void *fdt;
	int err;

	if (!kho_enable) {
		pr_info("kho=off: ignoring the handover from the previous kernel\n");
		return false;
	}
	if (is_kdump_kernel()) {
		pr_info("crash kernel: ignoring the handover\n");
		return false;
	}
	if (!root_size || root_size > KHO_ROOT_MAX_SIZE ||
	    !memblock_is_region_memory(root_phys, root_size)) {
		why = "bad root tree address";
		goto fail;
	}
	/* The root tree first: it tells a page size mismatch. */
	fdt = early_memremap(root_phys, root_size);
	if (!fdt) {
		why = "cannot map the root tree";
		goto fail;
	}
	err = kho_root_check(fdt, root_size, PAGE_SHIFT, &tracker, &why);
	early_memunmap(fdt, root_size);
	if (err)
		goto fail;
	if (!PAGE_ALIGNED(root_phys)) {
		why = "bad root tree address";
		goto fail;
	}
	if (kho_scratch_check(scratch, nr, PAGE_SIZE, &why))
		goto fail;
	for (i = 0; i < nr; i++) {
		if (!memblock_is_region_memory(scratch[i].addr, scratch[i].size)) {
			why = "scratch area outside memory";
			goto fail;
		}
		if (root_phys < scratch[i].addr + scratch[i].size &&
		    scratch[i].addr < root_phys + root_size) {
			why = "root tree in scratch memory";
			goto fail;
		}
	}

	/* Kept in the order received: the first entry is the kexec area. */
	memcpy(kho_scratch, scratch, nr * sizeof(*scratch));
	kho_nr_scratch = nr;
	if (!memblock_is_region_memory(tracker, PAGE_SIZE) ||
	    kho_phys_in_scratch(tracker, PAGE_SIZE)) {
		kho_nr_scratch = 0;
		why = "bad tracker address";
		goto fail;
	}
	for (i = 0; i < nr; i++)
		memblock_mark_kho_scratch(scratch[i].addr, scratch[i].size);
	memblock_set_kho_scratch_only();
	early = memblock_allocated_size(NUMA_NO_NODE);
	if (early)
		pr_warn("%pa bytes were allocated before the handover was taken: they may overlap preserved memory\n",
			&early);
	kho_in.root_phys = root_phys;
	kho_in.root_size = root_size;
	kho_in.tracker_phys = tracker;
	kho_in.found = true;
	pr_info("handover from the previous kernel: root tree at %pa, %u scratch areas\n",
		&root_phys, nr);
	return true;
fail:
	pr_err("ignoring the handover from the previous kernel: %s\n", why);
	return false;
}

/* Incoming tracker pages are only read where they may be. */
static void *__init kho_in_map_checked(void *ctx, u64 phys)
{
	if (!PAGE_ALIGNED(phys) || !memblock_is_region_memory(phys, PAGE_SIZE) ||
	    kho_phys_in_scratch(phys, PAGE_SIZE))
		return NULL;
	return phys_to_virt(phys);
}

/* After kho_tracker_open() checked every node. */
static void *kho_in_map(void *ctx, u64 phys)
{
	return phys_to_virt(phys);
}

static const struct kho_tracker_ops kho_in_checked_ops __initconst = {
	.map = kho_in_map_checked,
};

static const struct kho_tracker_ops kho_in_ops = {
	.map = kho_in_map,
};

struct kho_node_check {
	const struct kho_tracker *t;
	bool ok;
};

static void __init kho_in_check_node(void *arg, u64 phys)
{
	struct kho_node_check *c = arg;

	if (!kho_tracker_test(c->t, phys >> PAGE_SHIFT, 0))
		c->ok = false;
}

/* The free ranges of [s, e) outside scratch, page aligned. */
static unsigned int __init kho_in_split(phys_addr_t s, phys_addr_t e,
					struct kho_in_range *out,
					unsigned int room)
{
	unsigned int i, n = 0;

	s = PAGE_ALIGN(s);
	e = PAGE_ALIGN_DOWN(e);
	while (s < e) {
		phys_addr_t next = e;
		bool inside = false;

		for (i = 0; i < kho_nr_scratch; i++) {
			phys_addr_t a = kho_scratch[i].addr;
			phys_addr_t b = a + kho_scratch[i].size;

			if (a <= s && s < b) {
				s = b;
				inside = true;
				break;
			}
			if (a > s && a < next)
				next = a;
		}
		if (inside)
			continue;
		if (out && n < room)
			out[n] = (struct kho_in_range){ s, next };
		n++;
		s = next;
	}
	return n;
}

static void __init kho_in_release_gap(phys_addr_t start, phys_addr_t end)
{
	if (start < end)
		memblock_release_pages(start, end - start);
}

static bool kho_in_ranges(unsigned long pfn, unsigned long nr);

/*
 * With CONFIG_DEFERRED_STRUCT_PAGE_INIT, the struct pages of a node from
 * deferred_memmap_start_pfn() on are not initialized when memblock_free_all()
 * runs, and deferred init skips the ranges kept here (they are reserved).
 * The walk is done in two parts: what is initialized, from
 * kho_memory_init(); the rest of each node from that node's deferred init
 * thread, kho_memory_init_deferred(), which initializes the struct pages of
 * the kept ranges first. Nothing forces an early init of the memory map.
 */
static unsigned long kho_in_deferred_pfn[MAX_NUMNODES] __initdata;
static bool kho_in_node_pending[MAX_NUMNODES] __initdata;
static atomic_t kho_in_nodes_pending = ATOMIC_INIT(0);
static bool kho_in_walk_done;
static DEFINE_SPINLOCK(kho_in_stats_lock);

/* Is the walk of the whole handover over: may struct pages be read. */
static bool kho_in_ready(void)
{
	/* Pairs with kho_in_set_ready(): the stamps are visible. */
	return smp_load_acquire(&kho_in_walk_done);
}

static void __init kho_in_set_ready(void)
{
	/* Every stamp of every part is written before the flag. */
	smp_store_release(&kho_in_walk_done, true);
}

/* The part of [@s, @e) (one node) the walk of @nid, or of -1, does. */
static bool __init kho_in_part(phys_addr_t *s, phys_addr_t *e, int nid)
{
	int node = early_pfn_to_nid(PHYS_PFN(*s));
	phys_addr_t split;

	if (kho_in_deferred_pfn[node] == ULONG_MAX)
		split = *e;
	else
		split = clamp_t(phys_addr_t, PFN_PHYS(kho_in_deferred_pfn[node]),
				*s, *e);
	if (nid < 0) {
		*e = split;
	} else {
		if (node != nid)
			return false;
		*s = split;
	}
	return *s < *e;
}

struct kho_in_walk {
	int nid;			/* -1: the early part */
	struct kho_in_stats stats;	/* merged into kho_in_stats */
};

static void __init kho_in_mark_node(void *arg, u64 phys)
{
	struct kho_in_walk *w = arg;
	phys_addr_t s = phys, e = phys + PAGE_SIZE;

	/* Only pages kept out of the allocator are ours to mark. */
	if (!kho_in_ranges(PHYS_PFN(phys), 1) || !kho_in_part(&s, &e, w->nid))
		return;
	set_page_private(pfn_to_page(PHYS_PFN(phys)), KHO_STAMP_NODE);
	w->stats.tracker_bytes += PAGE_SIZE;
}

/*
 * Walk the tracker over [@start, @end), a part of a kept range, in
 * address order: stamp each preserved block in its first struct page and
 * give the gaps between blocks to the page allocator, one call per gap.
 */
static void __init kho_in_walk_part(struct kho_in_walk *w, phys_addr_t start,
				    phys_addr_t end)
{
	struct kho_tracker_iter it;
	phys_addr_t cur = start;
	unsigned int order;
	u64 pfn;

	kho_tracker_iter_start(&it, &kho_in.tracker, PHYS_PFN(start),
			       PHYS_PFN(end));
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		phys_addr_t bs = PFN_PHYS(pfn);
		phys_addr_t be = bs + (PAGE_SIZE << order);
		struct page *page = pfn_to_page(pfn);

		if (bs < start || be > end || bs < cur) {
			/* Not in free memory, or overlapping. */
			w->stats.bad_blocks++;
			cur = max(cur, min(be, end));
			continue;
		}
		kho_in_release_gap(cur, bs);
		cur = be;
		if (page_private(page) == KHO_STAMP_NODE)
			continue;
		set_page_private(page, KHO_STAMP(order));
		w->stats.blocks[order]++;
		w->stats.preserved_bytes += PAGE_SIZE << order;
	}
	kho_in_release_gap(cur, end);
}

/* The walk of the early part (@nid -1) or of @nid's deferred part. */
static void __init kho_in_walk(int nid)
{
	struct kho_in_walk w = { .nid = nid };
	struct kho_in_stats *st = &kho_in_stats;
	unsigned int i, order;

	/* Deferred struct pages first: stamps go into initialized pages. */
	for (i = 0; nid >= 0 && i < kho_in.nr_ranges; i++) {
		phys_addr_t s = kho_in.ranges[i].start, e = kho_in.ranges[i].end;

		if (!kho_in_part(&s, &e, nid) ||
		    deferred_init_reserved_pages(PHYS_PFN(s), PHYS_PFN(e), nid))
			continue;
		/* Never walk uninitialized struct pages: keep the part. */
		pr_err("node %d: cannot initialize %pa-%pa: its memory stays reserved\n",
		       nid, &s, &e);
		kho_in.ranges[i].end = s;
	}
	kho_tracker_walk_nodes(&kho_in.tracker, kho_in_mark_node, &w);
	for (i = 0; i < kho_in.nr_ranges; i++) {
		phys_addr_t s = kho_in.ranges[i].start, e = kho_in.ranges[i].end;

		if (!kho_in_part(&s, &e, nid))
			continue;
		kho_in_walk_part(&w, s, e);
		/* The deferred part runs in a kthread. */
		if (nid >= 0)
			cond_resched();
	}

	spin_lock(&kho_in_stats_lock);
	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++)
		st->blocks[order] += w.stats.blocks[order];
	st->preserved_bytes += w.stats.preserved_bytes;
	if (nid >= 0)
		st->deferred_bytes += w.stats.preserved_bytes;
	st->tracker_bytes += w.stats.tracker_bytes;
	st->bad_blocks += w.stats.bad_blocks;
	spin_unlock(&kho_in_stats_lock);
}

/* One node's part is done; the last one opens the incoming handover. */
static void __init kho_in_node_done(int nid)
{
	kho_in_node_pending[nid] = false;
	if (atomic_dec_and_test(&kho_in_nodes_pending))
		kho_in_set_ready();
}

/**
 * kho_memory_init_deferred() - take over a node's deferred preserved memory
 * @nid: the node
 *
 * Called by the node's deferred struct page init thread once the node's
 * free memory is initialized: initializes the struct pages of the ranges
 * kept for the handover on that node and walks them.
 *
 * Context: the node's deferred init kthread, before page_alloc_init_late()
 * returns; other nodes may run this at the same time.
 */
void __init kho_memory_init_deferred(int nid)
{
	if (!kho_in.valid || !kho_in_node_pending[nid])
		return;
	kho_in_walk(nid);
	kho_in_node_done(nid);
}

/*
 * Record where each node's deferred memory map starts and which nodes
 * have kept ranges there, then walk what is initialized.
 */
static void __init kho_in_walk_ranges(void)
{
	unsigned int i;
	int nid, pending = 0;

	for_each_node(nid)
		kho_in_deferred_pfn[nid] = deferred_memmap_start_pfn(nid);
	for (i = 0; i < kho_in.nr_ranges; i++) {
		phys_addr_t s = kho_in.ranges[i].start, e = kho_in.ranges[i].end;

		nid = early_pfn_to_nid(PHYS_PFN(s));
		if (kho_in_part(&s, &e, nid) && !kho_in_node_pending[nid]) {
			kho_in_node_pending[nid] = true;
			pending++;
		}
	}
	/* One more for this part, so nobody finishes before it is done. */
	atomic_set(&kho_in_nodes_pending, pending + 1);
	kho_in_walk(-1);
	if (atomic_dec_and_test(&kho_in_nodes_pending))
		kho_in_set_ready();
}

/*
 * Keep every free page outside scratch away from memblock_free_all(): one
 * reservation per free range, marked so that memblock leaves their struct
 * pages alone. The walk then frees the gaps between preserved blocks.
 */
static bool __init kho_in_keep_free_memory(void)
{
	phys_addr_t s, e;
	unsigned int n = 0, i;
	u64 it;

	for_each_free_mem_range(it, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, NULL)
		n += kho_in_split(s, e, NULL, 0);
	/* Scratch-only is still on: this lands in scratch. */
	kho_in.ranges = memblock_alloc(max(n, 1U) * sizeof(*kho_in.ranges),
				       SMP_CACHE_BYTES);
	if (!kho_in.ranges)
		return false;
	kho_in.nr_ranges = 0;
	for_each_free_mem_range(it, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, NULL)
		kho_in.nr_ranges += kho_in_split(s, e,
						 kho_in.ranges + kho_in.nr_ranges,
						 n - kho_in.nr_ranges);
	if (kho_in.nr_ranges > n)
		return false;
	for (i = 0; i < kho_in.nr_ranges; i++) {
		phys_addr_t base = kho_in.ranges[i].start;
		phys_addr_t size = kho_in.ranges[i].end - base;

		if (memblock_reserve(base, size) ||
		    memblock_reserved_mark_noinit(base, size))
			goto undo;
	}
	kho_in_walk_ranges();
	return true;
undo:
	/* Lose nothing: memblock_free_all() frees all of it again. */
	do {
		memblock_phys_free(kho_in.ranges[i].start,
				   kho_in.ranges[i].end - kho_in.ranges[i].start);
	} while (i--);
	return false;
}

static bool __init kho_in_open(void)
{
	struct kho_node_check check = { .t = &kho_in.tracker, .ok = true };
	const char *why = "out of memory";
	const void *root;

	if (kho_tracker_open(&kho_in.tracker, &kho_in_checked_ops,
			     kho_in.tracker_phys, PAGE_SHIFT,
			     MAX_PAGE_ORDER + 1, &why))
		goto fail;
	kho_tracker_walk_nodes(&kho_in.tracker, kho_in_check_node, &check);
	if (!check.ok) {
		why = "tracker does not preserve itself";
		goto fail;
	}
	kho_in.tracker.ops = &kho_in_ops;
	/* Keep a copy of the root tree before any of its memory is freed. */
	root = phys_to_virt(kho_in.root_phys);
	kho_in.root = memblock_alloc(fdt_totalsize(root), SMP_CACHE_BYTES);
	if (!kho_in.root)
		goto fail;
	memcpy(kho_in.root, root, fdt_totalsize(root));
	if (!kho_in_keep_free_memory())
		goto fail;
	return true;
fail:
	pr_err("ignoring the handover from the previous kernel: tracker: %s\n",
	       why);
	return false;
}

/**
 * kho_memory_init() - set up memory before the page allocator starts
 *
 * Called by memblock_free_all() before it frees memory. On a KHO boot,
 * keeps preserved memory away from the page allocator and frees the rest
 * outside scratch; with KHO enabled, reserves scratch on the first boot of
 * a chain; turns scratch pageblocks into MIGRATE_CMA.
 */
void __init kho_memory_init(void)
{
	unsigned int i;

	/* Before any scratch area is reserved. */
	kho_scratch_boot_need = memblock_allocated_size(NUMA_NO_NODE);
	if (kho_in.found)
		kho_in.valid = kho_in_open();
	else if (kho_enable && !is_kdump_kernel())
		kho_reserve_scratch();
	memblock_clear_kho_scratch_only();
	if (!kho_nr_scratch)
		return;
	if (!kho_in.found) {
		/* Reserved only to find room: free it into CMA pageblocks. */
		for (i = 0; i < kho_nr_scratch; i++)
			memblock_phys_free(kho_scratch[i].addr,
					   kho_scratch[i].size);
	}
	memblock_kho_scratch_init_cma();
}

/* Is [pfn, pfn + nr) inside one of the ranges kept at boot. */
static bool kho_in_ranges(unsigned long pfn, unsigned long nr)
{
	phys_addr_t s = PFN_PHYS(pfn), e = PFN_PHYS(pfn + nr);
	unsigned int lo = 0, hi = kho_in.nr_ranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (kho_in.ranges[mid].end <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kho_in.nr_ranges && kho_in.ranges[lo].start <= s &&
	       e <= kho_in.ranges[lo].end;
}

/* The order of the unclaimed block at @pfn, or -1. */
static int kho_in_stamped_order(unsigned long pfn)
{
	unsigned long priv;

	if (!kho_in_ready() || !kho_in_ranges(pfn, 1) || !pfn_valid(pfn))
		return -1;
	priv = page_private(pfn_to_page(pfn));
	if (priv >> 8 != KHO_STAMP_MAGIC || (priv & 0xff) > MAX_PAGE_ORDER ||
	    !kho_in_ranges(pfn, 1UL << (priv & 0xff)))
		return -1;
	return priv & 0xff;
}

/* Claim one stamped block; the caller holds kho_in.lock. */
static struct page *kho_claim_block(unsigned long pfn, unsigned int *order)
{
	unsigned long i, nr;
	struct page *page;
	int o = kho_in_stamped_order(pfn);

	if (o < 0)
		return NULL;
	page = pfn_to_page(pfn);
	*order = o;
	nr = 1UL << *order;
	/*
	 * memmap init left every page with one reference and, as memblock
	 * kept the range NOINIT, without PG_reserved: a block is handed out
	 * like a freshly allocated one, references on its head only.
	 */
	for (i = 1; i < nr; i++)
		set_page_count(page + i, 0);
	set_page_private(page, 0);
	set_page_count(page, 1);
	adjust_managed_page_count(page, nr);
	return page;
}

/* A blob lies in one unclaimed preserved block. */
static bool kho_in_blob_valid(u64 phys, u64 size)
{
	int order;

	if (!PAGE_ALIGNED(phys) || !size || phys + size < phys)
		return false;
	order = kho_in_stamped_order(PHYS_PFN(phys));
	return order >= 0 && size <= PAGE_SIZE << order;
}

/**
 * kho_restore_folio() - take back a folio preserved by the previous kernel
 * @phys: its physical address
 *
 * Return: the folio, at the order it was preserved with and with one
 * reference, or NULL if no preserved folio starts at @phys (or it was
 * already restored or released).
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	unsigned int order;
	struct page *page;

	if (!kho_in.valid || !PAGE_ALIGNED(phys))
		return NULL;
	mutex_lock(&kho_in.lock);
	page = kho_claim_block(PHYS_PFN(phys), &order);
	if (page)
		kho_in_stats.claimed_bytes += PAGE_SIZE << order;
	mutex_unlock(&kho_in.lock);
	if (!page)
		return NULL;
	if (order)
		prep_compound_page(page, order);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_pages() - take back pages preserved with kho_preserve_pages()
 * @phys: physical address of the first page
 * @nr_pages: number of pages, as preserved
 *
 * Return: the first of @nr_pages order-0 pages with one reference each, or
 * NULL if the range is not exactly made of unclaimed preserved blocks (then
 * nothing is claimed).
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long pfn = PHYS_PFN(phys), end = pfn + nr_pages, p, i;
	unsigned int order;
	struct page *page;

	if (!kho_in.valid || !PAGE_ALIGNED(phys) || !nr_pages)
		return NULL;
	mutex_lock(&kho_in.lock);
	for (p = pfn; p < end; p += 1UL << order) {
		int o = kho_in_stamped_order(p);

		if (o < 0 || p + (1UL << o) > end)
			goto fail;
		order = o;
	}
	for (p = pfn; p < end; p += 1UL << order) {
		page = kho_claim_block(p, &order);
		for (i = 1; i < (1UL << order); i++)
			set_page_count(page + i, 1);
		kho_in_stats.claimed_bytes += PAGE_SIZE << order;
	}
	mutex_unlock(&kho_in.lock);
	return pfn_to_page(pfn);
fail:
	mutex_unlock(&kho_in.lock);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_preserved() - take back memory from kho_alloc_preserve()
 * @phys: its physical address, e.g. a blob's from kho_get_blob()
 * @size: its size
 *
 * Free the memory with folio_put(virt_to_folio(addr)), or keep it and
 * preserve it again for the next kernel with kho_preserve_folio().
 *
 * Return: the kernel address of the memory, or NULL.
 */
void *kho_restore_preserved(phys_addr_t phys, size_t size)
{
	struct folio *folio = kho_restore_folio(phys);

	if (!folio)
		return NULL;
	if (folio_size(folio) < size) {
		folio_put(folio);
		return NULL;
	}
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_preserved);

/**
 * kho_get_blob() - find a blob the previous kernel published
 * @name: its name
 * @phys: its physical address
 * @size: its size
 *
 * The blob is preserved memory: read it in place with phys_to_virt(), or
 * own it with kho_restore_preserved(). Either must happen before unclaimed
 * memory is released.
 *
 * Return: 0, or -ENOENT.
 */
int kho_get_blob(const char *name, phys_addr_t *phys, size_t *size)
{
	u64 p, s;

	if (!kho_in.valid || !kho_in.root ||
	    kho_root_find_blob(kho_in.root, name, &p, &s))
		return -ENOENT;
	if (!kho_in_blob_valid(p, s)) {
		pr_warn("blob %s is not, or no longer, unclaimed preserved memory\n",
			name);
		return -ENOENT;
	}
	*phys = p;
	*size = s;
	return 0;
}
EXPORT_SYMBOL_GPL(kho_get_blob);

/**
 * kho_in_read_blob() - read an incoming blob that no client claimed yet
 * @phys: the blob's address
 * @size: its size
 * @buf: destination
 * @off: offset into the blob
 * @count: bytes to read
 *
 * Return: bytes read, or -ENODATA once the blob's memory was claimed or
 * released (it may be in other hands by then).
 */
ssize_t kho_in_read_blob(u64 phys, u64 size, char *buf, loff_t off,
			 size_t count)
{
	ssize_t ret = -ENODATA;

	mutex_lock(&kho_in.lock);
	if (kho_in.valid && kho_in_blob_valid(phys, size))
		ret = memory_read_from_buffer(buf, count, &off,
					      phys_to_virt(phys), size);
	mutex_unlock(&kho_in.lock);
	return ret;
}

/**
 * kho_in_root() - the incoming root tree, for sysfs
 * @size: its size
 *
 * Return: a copy of the root tree, or NULL when this is not a KHO boot.
 */
const void *kho_in_root(size_t *size)
{
	if (!kho_in.valid) {
		*size = 0;
		return NULL;
	}
	*size = fdt_totalsize(kho_in.root);
	return kho_in.root;
}

struct kho_node_list {
	u64 *phys;
	unsigned long n;
};

static void kho_in_collect_node(void *arg, u64 phys)
{
	struct kho_node_list *l = arg;

	l->phys[l->n++] = phys;
}

/**
 * kho_in_release_unclaimed() - give unclaimed preserved memory back
 *
 * Every preserved block no client restored goes to the page allocator,
 * and so do the incoming tracker's own pages.
 *
 * Return: 0, -ENOENT when this is not a KHO boot, -EALREADY if done.
 */
int kho_in_release_unclaimed(void)
{
	struct kho_node_list nodes;
	struct kho_tracker_iter it;
	unsigned int i, order;
	u64 pfn;

	if (!kho_in.valid)
		return -ENOENT;
	nodes.n = 0;
	nodes.phys = kvmalloc_array(kho_in.tracker.nr_nodes, sizeof(u64),
				    GFP_KERNEL);
	if (!nodes.phys)
		return -ENOMEM;
	mutex_lock(&kho_in.lock);
	if (kho_in_stats.released) {
		mutex_unlock(&kho_in.lock);
		kvfree(nodes.phys);
		return -EALREADY;
	}
	kho_tracker_walk_nodes(&kho_in.tracker, kho_in_collect_node, &nodes);
	for (i = 0; i < kho_in.nr_ranges; i++) {
		kho_tracker_iter_start(&it, &kho_in.tracker,
				       PHYS_PFN(kho_in.ranges[i].start),
				       PHYS_PFN(kho_in.ranges[i].end));
		while (kho_tracker_iter_next(&it, &pfn, &order)) {
			struct page *page;

			if (page_private(pfn_to_page(pfn)) != KHO_STAMP(order))
				continue;
			page = kho_claim_block(pfn, &order);
			if (!page)
				continue;
			kho_in_stats.released_bytes += PAGE_SIZE << order;
			__free_pages(page, order);
		}
	}
	/* The walk is over: the tracker's own pages can go now. */
	for (i = 0; i < nodes.n; i++) {
		struct page *page = pfn_to_page(PHYS_PFN(nodes.phys[i]));

		if (page_private(page) != KHO_STAMP_NODE)
			continue;
		set_page_private(page, KHO_STAMP(0));
		page = kho_claim_block(PHYS_PFN(nodes.phys[i]), &order);
		if (page)
			__free_pages(page, 0);
	}
	kho_in_stats.released = true;
	mutex_unlock(&kho_in.lock);
	kvfree(nodes.phys);
	pr_info("released %llu bytes of unclaimed preserved memory\n",
		kho_in_stats.released_bytes);
	return 0;
}

/*
 * Architectures that keep memblock after boot (arm64) show its reserved
 * ranges in /proc/iomem and use them to find free memory: once the walk
 * is over, the free ranges kept for it are no longer reserved.
 */
static void __init kho_in_unreserve_kept(void)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_ARCH_KEEP_MEMBLOCK))
		return;
	for (i = 0; i < kho_in.nr_ranges; i++)
		memblock_phys_free(kho_in.ranges[i].start,
				   kho_in.ranges[i].end - kho_in.ranges[i].start);
}

/*
 * Finish taking the handover once the memory map is complete: every node's
 * deferred init ran (page_alloc_init_late() waited for them), so this runs
 * from a core initcall; clients restore from then on.
 */
static int __init kho_in_init(void)
{
	unsigned long blocks = 0;
	unsigned int order;
	void *root;
	int nid;

	if (!kho_in.valid)
		return 0;
	/* A node whose deferred init did not call back: walk it now. */
	for_each_node(nid) {
		if (kho_in_node_pending[nid]) {
			pr_warn("node %d: deferred memory map init did not take the handover, done late\n",
				nid);
			kho_in_walk(nid);
			kho_in_node_done(nid);
		}
	}
	if (WARN_ON(!kho_in_ready()))
		kho_in_set_ready();
	kho_in_unreserve_kept();
	/*
	 * The core keeps a copy: the root's own memory can go back, cleared,
	 * so that a stale reference to it (a device tree reused by kexec_load)
	 * finds no handover there.
	 */
	root = kho_restore_preserved(kho_in.root_phys, kho_in.root_size);
	if (root) {
		memset(root, 0, kho_in.root_size);
		folio_put(virt_to_folio(root));
	}
	for (order = 0; order <= MAX_PAGE_ORDER; order++)
		blocks += kho_in_stats.blocks[order];
	if (kho_in_stats.bad_blocks)
		pr_warn("%lu preserved blocks outside free memory ignored\n",
			kho_in_stats.bad_blocks);
	pr_info("%llu bytes preserved by the previous kernel in %lu blocks, tracker %llu bytes\n",
		kho_in_stats.preserved_bytes, blocks, kho_in_stats.tracker_bytes);
	return 0;
}
core_initcall(kho_in_init);

static int __init kho_in_late(void)
{
	if (kho_in.valid && !kho_in.keep_unclaimed)
		kho_in_release_unclaimed();
	return 0;
}
late_initcall_sync(kho_in_late);
