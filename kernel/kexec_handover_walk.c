// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO): taking the handover over at boot, walking the
 * trackers in address order (Documentation/kho/concepts.rst).
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kho_pages.h>
#include <linux/libfdt.h>
#include <linux/math64.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timex.h>

#include "kexec_handover_internal.h"

struct kho_in_stats kho_in_stats;

static char kho_in_why_tracker[80];

/*
 * Incoming tracker pages are only read where they may be: RAM that this
 * kernel does not use (its image, initrd, firmware tables and early
 * allocations are reserved; scratch is its own).
 */
static void *__init kho_in_map_checked(void *ctx, u64 phys)
{
	if (!PAGE_ALIGNED(phys) || !kho_phys_is_free_ram(phys, PAGE_SIZE))
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
bool kho_in_ready(void)
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
	unsigned int owner;		/* of the nodes being marked */
	struct kho_tracker_merge m;	/* arrays: one entry per tracker */
	struct kho_in_stats stats;	/* merged into kho_in_stats */
};

static unsigned int kho_in_nr_trackers(void)
{
	return kho_in.nr_clients + 1;
}

static void __init kho_in_mark_node(void *arg, u64 phys)
{
	struct kho_in_walk *w = arg;
	phys_addr_t s = phys, e = phys + PAGE_SIZE;

	/* Only pages kept out of the allocator are ours to mark. */
	if (!kho_in_ranges(PHYS_PFN(phys), 1) || !kho_in_part(&s, &e, w->nid))
		return;
	kho_page_set_stamp(PHYS_PFN(phys), KHO_STAMP_NODE(w->owner));
	w->stats.tracker_bytes += PAGE_SIZE;
}

/* The free pages [@spfn, @epfn) between preserved blocks, if any. */
static void __init kho_in_release_gap(u64 spfn, u64 epfn)
{
	if (spfn < epfn)
		kho_pages_release(PFN_PHYS(spfn), PFN_PHYS(epfn - spfn));
}

/*
 * Walk the trackers over [@start, @end), a part of a kept range, in
 * address order, merged: stamp each preserved block in its first struct
 * page with its owner and order, and give the gaps between blocks to the
 * page allocator, one call per gap.
 */
static void __init kho_in_walk_part(struct kho_in_walk *w, phys_addr_t start,
				    phys_addr_t end)
{
	unsigned long stamp, node, pfn;
	struct kho_tracker_merged b;
	u64 i, n;

	kho_tracker_merge_start(&w->m,
				(const struct kho_tracker *const *)kho_in.trackers,
				kho_in_nr_trackers(), PHYS_PFN(start),
				PHYS_PFN(end));
	while (kho_tracker_merge_next(&w->m, &b)) {
		kho_in_release_gap(b.gap_start, b.gap_end);
		if (!b.ok) {
			/* Not in free memory, or overlapping. */
			w->stats.bad_blocks++;
			continue;
		}
		stamp = KHO_STAMP(b.owner, b.order);
		node = KHO_STAMP_NODE(b.owner);
		for (i = 0, n = 0; i < b.nr; i++) {
			pfn = b.pfn + (i << b.order);
			if (kho_page_stamp(pfn) == node)
				continue;
			kho_page_set_stamp(pfn, stamp);
			n++;
		}
		w->stats.blocks[b.order] += n;
		w->stats.preserved_bytes += (u64)n << (PAGE_SHIFT + b.order);
	}
	kho_in_release_gap(b.gap_start, b.gap_end);
}

/* The walk of the early part (@nid -1) or of @nid's deferred part. */
static void __init kho_in_walk(int nid)
{
	struct kho_in_walk w = { .nid = nid };
	struct kho_in_stats *st = &kho_in_stats;
	u64 t0 = local_clock();
	unsigned int i, order, n = kho_in_nr_trackers();
	size_t cur_size = n * (sizeof(*w.m.its) + sizeof(*w.m.pfn) +
			       sizeof(*w.m.nr) + sizeof(*w.m.order));
	void *cur;

	BUILD_BUG_ON(KHO_CLIENTS_MAX + 1 > KHO_TRACKER_MERGE_MAX);

	/* Deferred struct pages first: stamps go into initialized pages. */
	for (i = 0; nid >= 0 && i < kho_in.nr_ranges; i++) {
		phys_addr_t s = kho_in.ranges[i].start, e = kho_in.ranges[i].end;

		if (!kho_in_part(&s, &e, nid) ||
		    kho_pages_init_deferred(PHYS_PFN(s), PHYS_PFN(e), nid))
			continue;
		/* Never walk uninitialized struct pages: keep the part. */
		pr_err("node %d: cannot initialize %pa-%pa: its memory stays reserved\n",
		       nid, &s, &e);
		kho_in.ranges[i].end = s;
	}
	/* The deferred parts run in kthreads, with the slab allocator up. */
	cur = nid < 0 ? memblock_alloc(cur_size, SMP_CACHE_BYTES) :
			kvmalloc(cur_size, GFP_KERNEL);
	if (!cur) {
		/* Lose nothing: the memory stays reserved. */
		pr_err("out of memory for the walk of the handover: preserved and free memory stay reserved\n");
		return;
	}
	w.m.its = cur;
	w.m.pfn = (u64 *)(w.m.its + n);
	w.m.nr = w.m.pfn + n;
	w.m.order = (unsigned int *)(w.m.nr + n);
	for (w.owner = 0; w.owner < n; w.owner++) {
		if (kho_in.trackers[w.owner])
			kho_tracker_walk_nodes(kho_in.trackers[w.owner],
					       kho_in_mark_node, &w);
	}
	for (i = 0; i < kho_in.nr_ranges; i++) {
		phys_addr_t s = kho_in.ranges[i].start, e = kho_in.ranges[i].end;

		if (!kho_in_part(&s, &e, nid))
			continue;
		kho_in_walk_part(&w, s, e);
		if (nid >= 0)
			cond_resched();
	}
	if (nid < 0)
		memblock_free(cur, cur_size);
	else
		kvfree(cur);

	spin_lock(&kho_in_stats_lock);
	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++)
		st->blocks[order] += w.stats.blocks[order];
	st->preserved_bytes += w.stats.preserved_bytes;
	if (nid >= 0)
		st->deferred_bytes += w.stats.preserved_bytes;
	st->tracker_bytes += w.stats.tracker_bytes;
	st->bad_blocks += w.stats.bad_blocks;
	/* The early part is timed with the rest of kho_in_open(). */
	if (nid >= 0) {
		t0 = local_clock() - t0;
		st->walk_ns += t0;
		st->deferred_ns += t0;
	}
	spin_unlock(&kho_in_stats_lock);
}

/* One node's part is done; the last one opens the incoming handover. */
static void __init kho_in_node_done(int nid)
{
	kho_in_node_pending[nid] = false;
	if (atomic_dec_and_test(&kho_in_nodes_pending))
		kho_in_set_ready();
}

/*
 * From @nid's deferred struct page init kthread, once its free memory is
 * initialized, before page_alloc_init_late() returns: initialize and walk the
 * ranges kept on the node. Other nodes may run this concurrently.
 */
void __init kho_memory_init_deferred(int nid)
{
	if (!kho_in.valid || !kho_in_node_pending[nid])
		return;
	kho_in_walk(nid);
	kho_in_node_done(nid);
}

/*
 * Where the walk of @nid splits into its early and deferred parts: where
 * the node's deferred memory map starts (@pfn), moved down to the start of
 * a preserved block that crosses it (blocks beyond a section can), so that
 * every block is walked whole by one part: the deferred one, which
 * initializes the struct pages of its ranges first.
 */
static unsigned long __init kho_in_split_pfn(int nid, unsigned long pfn)
{
	unsigned long split = pfn, b;
	unsigned int k, order;

	if (pfn == ULONG_MAX)
		return pfn;
	for (k = 0; k < kho_in_nr_trackers(); k++) {
		const struct kho_tracker *t = kho_in.trackers[k];

		for (order = 1; t && order < t->nr_orders; order++) {
			b = round_down(pfn, 1UL << order);
			if (b < split && kho_tracker_test(t, b, order) &&
			    early_pfn_to_nid(b) == nid)
				split = b;
		}
	}
	return split;
}

/*
 * Record where each node's deferred memory map starts and which nodes
 * have kept ranges there, then walk what is initialized.
 */
static void __init kho_in_walk_ranges(void)
{
	unsigned int i;
	int nid, pending = 0;

	for_each_node(nid) {
		unsigned long d = kho_pages_deferred_start(nid);

		kho_in_deferred_pfn[nid] = kho_in_split_pfn(nid, d);
		if (kho_in_deferred_pfn[nid] != d) {
			phys_addr_t a = PFN_PHYS(kho_in_deferred_pfn[nid]);
			phys_addr_t b = PFN_PHYS(d);

			pr_info("node %d: a preserved block crosses the deferred memory map at %pa: walked from %pa with it\n",
				nid, &b, &a);
		}
	}
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

		if (kho_pages_keep(base, size))
			goto undo;
	}
	kho_in_walk_ranges();
	return true;
undo:
	/* Lose nothing: memblock_free_all() frees all of it again. */
	do {
		kho_pages_unkeep(kho_in.ranges[i].start,
				 kho_in.ranges[i].end - kho_in.ranges[i].start);
	} while (i--);
	return false;
}

/*
 * Open a tracker written by the previous kernel and check it; the open
 * also requires every node to be preserved in the tracker itself.
 */
static int __init kho_in_open_tracker(struct kho_tracker *t, u64 phys,
				      const char **why)
{
	if (!PAGE_ALIGNED(phys) || !kho_phys_is_free_ram(phys, PAGE_SIZE)) {
		*why = "bad tracker address";
		return -EINVAL;
	}
	if (kho_tracker_open(t, &kho_in_checked_ops, phys, PAGE_SHIFT,
			     KHO_NR_ORDERS, why))
		return -EINVAL;
	t->ops = &kho_in_ops;
	return 0;
}

/* A client whose tracker cannot be trusted: its state is lost. */
static void __init kho_in_reject(struct kho_in_client *ic, const char *why)
{
	pr_err("client %s: %s: its state is lost\n", ic->name, why);
	ic->state = KHO_IN_REJECTED;
	ic->released_by = "bad tracker";
	kho_in.trackers[ic->id] = NULL;
}

/*
 * The clients of the handover, each with its tracker. A client whose
 * tracker is unusable loses its state (its memory is free memory here);
 * the others are not affected.
 */
static bool __init kho_in_open_clients(void)
{
	unsigned int n = 0, nr_nodes;
	struct kho_root_client rc;
	const char *why, *name;
	int cur = 0;

	while ((cur = kho_root_next_client(kho_in.root, cur, &rc)) > 0)
		n++;
	nr_nodes = n;
	cur = 0;
	while ((cur = kho_root_next_dropped(kho_in.root, cur, &name)) > 0)
		n++;
	kho_in.trackers = memblock_alloc((n + 1) * sizeof(*kho_in.trackers),
					 SMP_CACHE_BYTES);
	kho_in.clients = n ? memblock_alloc(n * sizeof(*kho_in.clients),
					    SMP_CACHE_BYTES) : NULL;
	if (!kho_in.trackers || (n && !kho_in.clients))
		return false;
	kho_in.trackers[0] = &kho_in.tracker;
	kho_in.nr_clients = n;
	cur = 0;
	for (n = 0; (cur = kho_root_next_client(kho_in.root, cur, &rc)) > 0; n++) {
		struct kho_in_client *ic = &kho_in.clients[n];

		ic->name = rc.name;
		ic->compatible = rc.compatible;
		ic->node = rc.node;
		ic->id = n + 1;
		ic->state = KHO_IN_PENDING;
		if (kho_in_open_tracker(&ic->tracker, rc.tracker, &why)) {
			kho_in_reject(ic, why);
			continue;
		}
		kho_in.trackers[ic->id] = &ic->tracker;
	}
	/* Clients whose freeze failed: known, with nothing handed over. */
	cur = 0;
	for (n = nr_nodes; (cur = kho_root_next_dropped(kho_in.root, cur, &name)) > 0; n++) {
		struct kho_in_client *ic = &kho_in.clients[n];

		ic->name = name;
		ic->compatible = "-";
		ic->node = -1;
		ic->id = n + 1;
		ic->state = KHO_IN_DROPPED;
		ic->released_by = "freeze failed in the previous kernel";
		pr_warn("client %s: dropped by the previous kernel (its freeze failed): nothing of it was handed over\n",
			name);
	}
	return true;
}

/* Does a block of @t cover the page at @pfn; @self: @t's own page. */
static bool __init kho_in_covers(const struct kho_tracker *t, u64 pfn,
				 bool self)
{
	unsigned int order;

	for (order = self ? 1 : 0; order < t->nr_orders; order++) {
		if (kho_tracker_test(t, ALIGN_DOWN(pfn, 1ULL << order), order))
			return true;
	}
	return false;
}

struct kho_node_cover {
	unsigned int owner;
	int by;		/* the tracker covering a page of @owner's, or -1 */
};

static void __init kho_in_check_cover(void *arg, u64 phys)
{
	struct kho_node_cover *c = arg;
	unsigned int k;

	for (k = 0; c->by < 0 && k < kho_in_nr_trackers(); k++) {
		if (kho_in.trackers[k] &&
		    kho_in_covers(kho_in.trackers[k], PHYS_PFN(phys), k == c->owner))
			c->by = k;
	}
}

/*
 * A tracker's own pages must not lie in a block a client could restore
 * and write while the tracker is still read: a client whose blocks cover
 * one is dropped (its memory is free memory here); when the core's own
 * tracker does, the handover is refused.
 */
static bool __init kho_in_check_trackers(void)
{
	struct kho_node_cover c;
	unsigned int k = 0;

	while (k < kho_in_nr_trackers()) {
		c = (struct kho_node_cover){ .owner = k, .by = -1 };
		if (kho_in.trackers[k])
			kho_tracker_walk_nodes(kho_in.trackers[k],
					       kho_in_check_cover, &c);
		if (c.by < 0) {
			k++;
			continue;
		}
		if (!c.by)
			return false;
		kho_in_reject(&kho_in.clients[c.by - 1],
			      "its memory covers a tracker page");
		/* Check again without it. */
		k = 0;
	}
	return true;
}

/* Does @t preserve a block that overlaps a scratch area. */
static bool __init kho_in_claims_scratch(const struct kho_tracker *t)
{
	struct kho_tracker_iter it;
	unsigned int i, order;
	u64 pfn, s, e;

	for (i = 0; i < kho_nr_scratch; i++) {
		s = PHYS_PFN(kho_scratch[i].addr);
		e = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		/*
		 * A block that starts below the area and reaches into it
		 * holds its first page, so it starts at that page rounded
		 * down to the block's size: one test per order.
		 */
		for (order = 1; order < t->nr_orders; order++) {
			pfn = round_down(s, 1ULL << order);
			if (pfn < s && kho_tracker_test(t, pfn, order))
				return true;
		}
		kho_tracker_iter_start(&it, t, s, e);
		if (kho_tracker_iter_next(&it, &pfn, &order))
			return true;
	}
	return false;
}

/*
 * Scratch memory is this kernel's own (its image, its early allocations):
 * a tracker that preserves any of it is corrupt. A client's is dropped;
 * the core's refuses the handover.
 */
static bool __init kho_in_check_claims(void)
{
	unsigned int k;

	for (k = 0; k < kho_in_nr_trackers(); k++) {
		struct kho_in_client *ic = k ? &kho_in.clients[k - 1] : NULL;

		if (!kho_in.trackers[k] ||
		    !kho_in_claims_scratch(kho_in.trackers[k]))
			continue;
		if (!ic)
			return false;
		kho_in_reject(ic, "its tracker preserves scratch memory");
	}
	return true;
}

/*
 * The order of the core's block that starts at the root tree and holds
 * all of it, or -1: anything else is not the core's to read and clear.
 */
static int __init kho_in_root_order(void)
{
	unsigned long pfn = PHYS_PFN(kho_in.root_phys);
	unsigned int order;

	for (order = 0; order < kho_in.tracker.nr_orders; order++) {
		if (kho_tracker_test(&kho_in.tracker, pfn, order))
			return kho_in.root_size <= PAGE_SIZE << order ? order : -1;
	}
	return -1;
}

static bool __init kho_in_open(void)
{
	const char *why = "out of memory";
	const void *root;

	if (kho_in_open_tracker(&kho_in.tracker, kho_in.tracker_phys, &why))
		goto fail;
	why = "root tree not preserved";
	if (kho_in_root_order() < 0)
		goto fail;
	why = "out of memory";
	/* Keep a copy of the root tree before any of its memory is freed. */
	root = phys_to_virt(kho_in.root_phys);
	kho_in.root = memblock_alloc(fdt_totalsize(root), SMP_CACHE_BYTES);
	if (!kho_in.root)
		goto fail;
	memcpy(kho_in.root, root, fdt_totalsize(root));
	why = "out of memory";
	if (!kho_in_open_clients())
		goto fail;
	why = "the core's tracker preserves scratch memory";
	if (!kho_in_check_claims())
		goto fail;
	why = "the core's memory covers a tracker page";
	if (!kho_in_check_trackers())
		goto fail;
	why = "out of memory";
	if (!kho_in_keep_free_memory())
		goto fail;
	return true;
fail:
	pr_err("ignoring the handover from the previous kernel: tracker: %s\n",
	       why);
	snprintf(kho_in_why_tracker, sizeof(kho_in_why_tracker), "tracker: %s",
		 why);
	kho_in_why = kho_in_why_tracker;
	return false;
}

/*
 * From memblock_free_all(), before it frees memory: on a KHO boot keep
 * preserved memory from the page allocator and free the rest outside scratch;
 * otherwise reserve scratch on the first boot of a chain; scratch pageblocks
 * become MIGRATE_CMA.
 */
void __init kho_memory_init(void)
{
	struct kho_root_meta meta;
	unsigned int i;

	/* Before any scratch area is reserved. */
	kho_scratch_boot_need = memblock_allocated_size(NUMA_NO_NODE);
	if (kho_in.found) {
		u64 t0 = local_clock();

		/* local_clock() may not run yet: the counter always does. */
		kho_in_stats.early_cycles[0] = get_cycles();
		kho_in.valid = kho_in_open();
		kho_in_stats.early_cycles[1] = get_cycles();
		kho_in_stats.walk_ns += local_clock() - t0;
	}
	/*
	 * The chain goes on from an accepted handover only. A handover
	 * refused after kho_populate() took it (its tracker) leaves the
	 * inherited scratch areas in place, still validated and in use:
	 * they stay this kernel's scratch.
	 */
	if (kho_in.valid && !kho_root_get_meta(kho_in.root, &meta))
		kho_out.boot_count = meta.boot_count;
	else if (kho_enable && !is_kdump_kernel() && !kho_in.found)
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
	kho_pages_init_cma();
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
		kho_pages_unkeep(kho_in.ranges[i].start,
				 kho_in.ranges[i].end - kho_in.ranges[i].start);
}

/* The previous kernel's root tree: the core's block at kho_in.root_phys. */
static void __init kho_in_free_root(void)
{
	unsigned long pfn = PHYS_PFN(kho_in.root_phys), stamp;
	struct page *page;

	down_write(&kho_in.lock);
	stamp = kho_in_stamp(pfn);
	if (stamp && KHO_STAMP_OWNER(stamp) == 0 &&
	    KHO_STAMP_ORDER(stamp) != 0xff) {
		page = kho_pages_claim(pfn, KHO_STAMP_ORDER(stamp));
		/*
		 * Cleared, so that a stale reference to it (a device tree
		 * reused by kexec_load) finds no handover there; never past
		 * the block (kho_in_open() checked that it holds the tree).
		 */
		memset(page_address(page), 0,
		       min_t(size_t, kho_in.root_size,
			     PAGE_SIZE << KHO_STAMP_ORDER(stamp)));
		kho_pages_free(page, KHO_STAMP_ORDER(stamp));
	}
	up_write(&kho_in.lock);
}

/*
 * Finish taking the handover once the memory map is complete: every node's
 * deferred init ran (page_alloc_init_late() waited for them), so this runs
 * from a core initcall; clients restore from then on.
 */
static int __init kho_in_init(void)
{
	struct kho_root_blob blob;
	unsigned long blocks = 0;
	unsigned int order, i;
	int nid, cur;

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
	kho_in_free_root();
	for (i = 0; i < kho_in.nr_clients; i++) {
		struct kho_in_client *ic = &kho_in.clients[i];
		u64 bytes;

		ic->blocks += kho_tracker_blocks(&ic->tracker, &bytes);
		ic->preserved_bytes += bytes;
		cur = 0;
		while ((cur = kho_root_next_blob(kho_in.root, ic->node, cur,
						 &blob)) > 0)
			ic->nr_blobs++;
	}
	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++)
		blocks += kho_in_stats.blocks[order];
	if (kho_in_stats.bad_blocks)
		pr_warn("%lu preserved blocks outside free memory ignored\n",
			kho_in_stats.bad_blocks);
	pr_info("%llu bytes preserved by the previous kernel in %lu blocks for %u clients, tracker %llu bytes\n",
		kho_in_stats.preserved_bytes, blocks, kho_in.nr_clients,
		kho_in_stats.tracker_bytes);
	pr_info("took the handover over in %llu us (%llu us of it in deferred memmap init)\n",
		div_u64(kho_in_stats.walk_ns, NSEC_PER_USEC),
		div_u64(kho_in_stats.deferred_ns, NSEC_PER_USEC));
	/* With the boot marks of init/main.c (the kexec blackout). */
	if (initcall_debug)
		pr_info("early walk cycles=%llu,%llu\n",
			kho_in_stats.early_cycles[0],
			kho_in_stats.early_cycles[1]);
	return 0;
}
core_initcall(kho_in_init);
