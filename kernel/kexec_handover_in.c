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
 * 3. A core initcall finishes the walk; clients restore from then on. Each
 *    block is stamped with its owner: the core or one client.
 * 4. A client that comes registers under its name, restores what it wants
 *    and finishes: the rest of its memory is released. Memory of clients
 *    that never come is released by the policy (kho_release=, or
 *    /sys/kernel/kho/in/release); once every client is done, the rest.
 *
 * Anything wrong in the handover is reported in one line and the kernel
 * boots on without it.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/math64.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/sections.h>

#include "kexec_handover_internal.h"
#include "../mm/internal.h"

/*
 * page->private of the first page of a preserved block not yet claimed:
 * the owner (0: the core, n: incoming client n - 1), a magic, the order.
 */
#define KHO_STAMP_MAGIC		0x4b484f50UL	/* "KHOP" */
#define KHO_STAMP(owner, order)	(((unsigned long)(owner) << 40) |	\
				 (KHO_STAMP_MAGIC << 8) | (order))
#define KHO_STAMP_NODE(owner)	KHO_STAMP(owner, 0xff)
#define KHO_STAMP_OWNER(stamp)	((stamp) >> 40)
#define KHO_STAMP_ORDER(stamp)	((stamp) & 0xff)
#define KHO_STAMP_OK(stamp)	((((stamp) >> 8) & 0xffffffffUL) == KHO_STAMP_MAGIC)

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
	void *root;
	size_t root_size;
	struct kho_tracker tracker;	/* the core's: owner 0 */
	struct kho_in_client *clients;	/* owner n: clients[n - 1] */
	unsigned int nr_clients;
	struct kho_tracker **trackers;	/* by owner, NULL when unusable */
	struct kho_in_range *ranges;
	unsigned int nr_ranges;
} kho_in = {
	.lock = __MUTEX_INITIALIZER(kho_in.lock),
};

struct kho_in_stats kho_in_stats;

/* Why the handover was not taken, for sysfs; NULL when taken or none. */
static const char *kho_in_why;
static char kho_in_why_tracker[80];

/*
 * Seconds after boot when memory of clients that never came is released;
 * KHO_RELEASE_NEVER: only through sysfs.
 */
#define KHO_RELEASE_NEVER	UINT_MAX
static unsigned int kho_release_delay = 300;

static int __init kho_parse_release(char *p)
{
	unsigned int v;

	if (p && !strcmp(p, "never"))
		kho_release_delay = KHO_RELEASE_NEVER;
	else if (!p || kstrtouint(p, 0, &v) || v == KHO_RELEASE_NEVER)
		pr_err("malformed kho_release=, expected seconds or never: using %u\n",
		       kho_release_delay);
	else
		kho_release_delay = v;
	return 0;
}
early_param("kho_release", kho_parse_release);

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

/*
 * RAM the kernel maps: one memblock region holds the whole range (regions
 * of different flags are not merged), and it is not NOMAP.
 */
static bool __init kho_phys_is_ram(phys_addr_t start, phys_addr_t size)
{
	return size && start + size > start &&
	       memblock_is_region_memory(start, size) &&
	       memblock_is_map_memory(start);
}

/* RAM nothing else holds: not NOMAP, not reserved, not scratch. */
static bool __init kho_phys_is_free_ram(phys_addr_t start, phys_addr_t size)
{
	return kho_phys_is_ram(start, size) &&
	       !memblock_is_region_reserved(start, size) &&
	       !kho_phys_in_scratch(start, size);
}

/**
 * kho_early_blob() - a blob of the incoming handover, before the initcalls
 * @client: the client's name
 * @compatible: the version of the client's state the caller reads
 * @name: the blob's name
 * @phys: its physical address
 * @size: its size
 *
 * For memblock code that decides before the page allocator starts, such as
 * where a reserve_mem= region goes. The blob lies in RAM outside scratch,
 * but whether it is memory @client preserved is only known later: the
 * caller checks everything it reads, and claims what it keeps through the
 * client API once its client registered.
 *
 * Context: early boot, after kho_populate(), before kho_memory_init().
 * Return: 0; -ENOENT if there is no handover, no such client or blob, or
 * the client's state is not @compatible; -EINVAL for a blob outside RAM
 * or in scratch memory.
 */
int __init kho_early_blob(const char *client, const char *compatible,
			  const char *name, phys_addr_t *phys, size_t *size)
{
	struct kho_root_client c;
	const void *fdt;
	int node = 0;
	u64 p, s;

	if (!kho_in.found)
		return -ENOENT;
	fdt = phys_to_virt(kho_in.root_phys);
	while ((node = kho_root_next_client(fdt, node, &c)) > 0) {
		if (strcmp(c.name, client))
			continue;
		if (strcmp(c.compatible, compatible) ||
		    kho_root_find_blob(fdt, c.node, name, &p, &s))
			return -ENOENT;
		if (!kho_phys_is_ram(p, s) || kho_phys_in_scratch(p, s))
			return -EINVAL;
		*phys = p;
		*size = s;
		return 0;
	}
	return -ENOENT;
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
		kho_in_why = "kho=off";
		return false;
	}
	if (is_kdump_kernel()) {
		pr_info("crash kernel: ignoring the handover\n");
		kho_in_why = "crash kernel";
		return false;
	}
	if (!root_size || root_size > KHO_ROOT_MAX_SIZE ||
	    !kho_phys_is_ram(root_phys, root_size) ||
	    memblock_is_region_reserved(root_phys, root_size)) {
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
	why = "this kernel is not in scratch memory (not loaded by kexec_file_load)";
	for (i = 0; i < nr; i++) {
		if (scratch[i].addr <= __pa_symbol(_text) &&
		    __pa_symbol(_end) <= scratch[i].addr + scratch[i].size)
			why = NULL;
	}
	if (why)
		goto fail;
	for (i = 0; i < nr; i++) {
		if (!kho_phys_is_ram(scratch[i].addr, scratch[i].size)) {
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
	if (!kho_phys_is_ram(tracker, PAGE_SIZE) ||
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
	kho_populate_refused(why);
	return false;
}

/**
 * kho_populate_refused() - the architecture's handoff itself is malformed
 * @why: what is wrong, a string constant, e.g. "bad setup_data version"
 *
 * Logs one line and shows the rejection in /sys/kernel/kho/incoming, as
 * for a handover that kho_populate() refuses.
 *
 * Context: early boot, where kho_populate() would have been called.
 */
void __init kho_populate_refused(const char *why)
{
	pr_err("ignoring the handover from the previous kernel: %s\n", why);
	kho_in_why = why;
}

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
	set_page_private(pfn_to_page(PHYS_PFN(phys)), KHO_STAMP_NODE(w->owner));
	w->stats.tracker_bytes += PAGE_SIZE;
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
	unsigned long stamp, node;
	struct kho_tracker_merged b;
	struct page *page;
	u64 i, n;

	kho_tracker_merge_start(&w->m,
				(const struct kho_tracker *const *)kho_in.trackers,
				kho_in_nr_trackers(), PHYS_PFN(start),
				PHYS_PFN(end));
	while (kho_tracker_merge_next(&w->m, &b)) {
		kho_in_release_gap(PFN_PHYS(b.gap_start), PFN_PHYS(b.gap_end));
		if (!b.ok) {
			/* Not in free memory, or overlapping. */
			w->stats.bad_blocks++;
			continue;
		}
		stamp = KHO_STAMP(b.owner, b.order);
		node = KHO_STAMP_NODE(b.owner);
		for (i = 0, n = 0; i < b.nr; i++) {
			page = pfn_to_page(b.pfn + (i << b.order));
			if (page_private(page) == node)
				continue;
			set_page_private(page, stamp);
			n++;
		}
		w->stats.blocks[b.order] += n;
		w->stats.preserved_bytes += (u64)n << (PAGE_SHIFT + b.order);
	}
	kho_in_release_gap(PFN_PHYS(b.gap_start), PFN_PHYS(b.gap_end));
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
		    deferred_init_reserved_pages(PHYS_PFN(s), PHYS_PFN(e), nid))
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
		unsigned long d = deferred_memmap_start_pfn(nid);

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

/* Open a tracker written by the previous kernel and check it. */
static int __init kho_in_open_tracker(struct kho_tracker *t, u64 phys,
				      const char **why)
{
	struct kho_node_check check = { .t = t, .ok = true };

	if (!PAGE_ALIGNED(phys) || !kho_phys_is_free_ram(phys, PAGE_SIZE)) {
		*why = "bad tracker address";
		return -EINVAL;
	}
	if (kho_tracker_open(t, &kho_in_checked_ops, phys, PAGE_SHIFT,
			     KHO_NR_ORDERS, why))
		return -EINVAL;
	kho_tracker_walk_nodes(t, kho_in_check_node, &check);
	if (!check.ok) {
		*why = "tracker does not preserve itself";
		return -EINVAL;
	}
	t->ops = &kho_in_ops;
	return 0;
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
			pr_err("client %s: %s: its state is lost\n", ic->name, why);
			ic->state = KHO_IN_REJECTED;
			ic->released_by = "bad tracker";
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
		pr_err("client %s: its memory covers a tracker page: its state is lost\n",
		       kho_in.clients[c.by - 1].name);
		kho_in.clients[c.by - 1].state = KHO_IN_REJECTED;
		kho_in.clients[c.by - 1].released_by = "bad tracker";
		kho_in.trackers[c.by] = NULL;
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
		pr_err("client %s: its tracker preserves scratch memory: its state is lost\n",
		       ic->name);
		ic->state = KHO_IN_REJECTED;
		ic->released_by = "bad tracker";
		kho_in.trackers[k] = NULL;
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
	struct kho_root_meta meta;
	unsigned int i;

	/* Before any scratch area is reserved. */
	kho_scratch_boot_need = memblock_allocated_size(NUMA_NO_NODE);
	if (kho_in.found) {
		u64 t0 = local_clock();

		kho_in.valid = kho_in_open();
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

/* The stamp of the unclaimed block at @pfn, or 0. */
static unsigned long kho_in_stamp(unsigned long pfn)
{
	unsigned long priv;
	unsigned int order;

	if (!kho_in_ready() || !kho_in_ranges(pfn, 1) || !pfn_valid(pfn))
		return 0;
	priv = page_private(pfn_to_page(pfn));
	if (!KHO_STAMP_OK(priv) || KHO_STAMP_OWNER(priv) > kho_in.nr_clients)
		return 0;
	order = KHO_STAMP_ORDER(priv);
	/* A tracker page: one page, kept. */
	if (order == 0xff)
		return priv;
	if (order >= KHO_NR_ORDERS || !kho_in_ranges(pfn, 1UL << order))
		return 0;
	return priv;
}

/*
 * Claim one stamped block; the caller holds kho_in.lock and checked the
 * stamp. @managed: the pages join the page allocator's managed memory.
 */
static struct page *kho_claim_block(unsigned long pfn, unsigned int order,
				    bool managed)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i, nr = 1UL << order;

	/*
	 * memmap init left every page with one reference and, as memblock
	 * kept the range NOINIT, without PG_reserved: a block is handed out
	 * like a freshly allocated one, references on its head only.
	 */
	for (i = 1; i < nr; i++)
		set_page_count(page + i, 0);
	set_page_private(page, 0);
	set_page_count(page, 1);
	if (managed)
		adjust_managed_page_count(page, nr);
	return page;
}

/* Give a claimed block to the page allocator, in chunks it can take. */
static void kho_free_block(struct page *page, unsigned int order)
{
	unsigned int chunk = min_t(unsigned int, order, MAX_PAGE_ORDER);
	unsigned long i;

	for (i = 0; i < (1UL << order); i += 1UL << chunk) {
		set_page_count(page + i, 1);
		__free_pages(page + i, chunk);
	}
}

/* The incoming state of @client, if it may restore; kho_in.lock held. */
static struct kho_in_client *kho_in_usable(struct kho_client *client, int *err)
{
	struct kho_in_client *ic = client ? client->in : NULL;

	if (!ic) {
		*err = -ENOENT;
		return NULL;
	}
	if (ic->state != KHO_IN_ACTIVE) {
		*err = -ESTALE;
		return NULL;
	}
	*err = 0;
	return ic;
}

/* The order of @client's unclaimed block at @pfn; kho_in.lock held. */
static int kho_in_block_of(struct kho_in_client *ic, unsigned long pfn)
{
	unsigned long stamp = kho_in_stamp(pfn);

	if (!stamp || KHO_STAMP_ORDER(stamp) == 0xff)
		return -ENOENT;
	if (KHO_STAMP_OWNER(stamp) != ic->id)
		return -EPERM;
	return KHO_STAMP_ORDER(stamp);
}

/*
 * Claim @client's blocks exactly covering [@pfn, @pfn + @nr), all or
 * nothing; the caller holds kho_in.lock. Each page gets one reference.
 */
static int kho_claim_range(struct kho_in_client *ic, unsigned long pfn,
			   unsigned long nr, bool managed)
{
	unsigned long end = pfn + nr, p, i;
	struct page *page;
	int order;

	if (!nr || end < pfn ||
	    end > PHYS_PFN(1ULL << KHO_TRACKER_PHYS_BITS))
		return -EINVAL;
	for (p = pfn; p < end; p += 1UL << order) {
		order = kho_in_block_of(ic, p);
		if (order < 0)
			return order;
		if (p + (1UL << order) > end)
			return -EINVAL;
	}
	for (p = pfn; p < end; p += 1UL << order) {
		order = KHO_STAMP_ORDER(page_private(pfn_to_page(p)));
		page = kho_claim_block(p, order, managed);
		for (i = 1; i < (1UL << order); i++)
			set_page_count(page + i, 1);
	}
	ic->restored_bytes += PFN_PHYS(nr);
	kho_in_stats.claimed_bytes += PFN_PHYS(nr);
	return 0;
}

/* Claim @client's block at @phys, if it holds @size bytes, as a folio. */
static struct folio *kho_restore_block(struct kho_client *client,
				       phys_addr_t phys, size_t size)
{
	struct kho_in_client *ic;
	struct page *page = NULL;
	int order, err;

	if (!PAGE_ALIGNED(phys))
		return ERR_PTR(-EINVAL);
	mutex_lock(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	order = ic ? kho_in_block_of(ic, PHYS_PFN(phys)) : err;
	if (order >= 0 && size > PAGE_SIZE << order)
		order = -EINVAL;
	if (order >= 0) {
		page = kho_claim_block(PHYS_PFN(phys), order, true);
		ic->restored_bytes += PAGE_SIZE << order;
		kho_in_stats.claimed_bytes += PAGE_SIZE << order;
	}
	mutex_unlock(&kho_in.lock);
	if (!page)
		return ERR_PTR(order);
	if (order)
		prep_compound_page(page, order);
	return page_folio(page);
}

/**
 * kho_restore_folio() - take back a folio preserved by the previous kernel
 * @client: the client that preserved it
 * @phys: its physical address
 *
 * Context: process context; may sleep.
 * Return: the folio, at the order it was preserved with (gigantic folios
 * included), with one reference; ERR_PTR(-EINVAL) for an unaligned @phys;
 * ERR_PTR(-ENOENT) if @client has no unclaimed block starting at @phys
 * (never preserved, already restored, or not a block's start);
 * ERR_PTR(-EPERM) if another client preserved it; ERR_PTR(-ESTALE) after
 * kho_finish() or once @client's state was released.
 */
struct folio *kho_restore_folio(struct kho_client *client, phys_addr_t phys)
{
	return kho_restore_block(client, phys, 0);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_folios() - take back many folios in one call
 * @client: the client that preserved them
 * @phys: their physical addresses
 * @nr: number of @phys
 * @folios: receives the folios, in the order of @phys
 * @done: set to the number of folios restored
 *
 * kho_restore_folio() for an array, under one lock and with the managed
 * page counts adjusted once per run of a zone: a restore of many folios
 * costs a few bit operations per folio. It stops at the first address
 * that fails; the folios before it are restored.
 *
 * Context: process context; may sleep.
 * Return: 0 when all @nr came back; otherwise the error of
 * kho_restore_folio() for @phys[*@done].
 */
int kho_restore_folios(struct kho_client *client, const phys_addr_t *phys,
		       unsigned int nr, struct folio **folios,
		       unsigned int *done)
{
	unsigned long managed = 0, bytes = 0;
	struct page *page, *zone_page = NULL;
	struct kho_in_client *ic;
	unsigned int i;
	int order, err;

	mutex_lock(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	for (i = 0; ic && i < nr; i++) {
		order = PAGE_ALIGNED(phys[i]) ?
			kho_in_block_of(ic, PHYS_PFN(phys[i])) : -EINVAL;
		if (order < 0) {
			err = order;
			break;
		}
		page = kho_claim_block(PHYS_PFN(phys[i]), order, false);
		if (zone_page && page_zone(page) != page_zone(zone_page)) {
			adjust_managed_page_count(zone_page, managed);
			managed = 0;
		}
		if (!managed)
			zone_page = page;
		managed += 1UL << order;
		bytes += PAGE_SIZE << order;
		if (order)
			prep_compound_page(page, order);
		folios[i] = page_folio(page);
	}
	if (managed)
		adjust_managed_page_count(zone_page, managed);
	if (ic) {
		ic->restored_bytes += bytes;
		kho_in_stats.claimed_bytes += bytes;
	}
	mutex_unlock(&kho_in.lock);
	*done = i;
	return err;
}
EXPORT_SYMBOL_GPL(kho_restore_folios);

/**
 * kho_restore_pages() - take back pages preserved with kho_preserve_pages()
 * @client: the client that preserved them
 * @phys: physical address of the first page
 * @nr_pages: number of pages, as preserved
 *
 * Context: process context; may sleep.
 * Return: the first of @nr_pages order-0 pages with one reference each;
 * ERR_PTR(-EINVAL) if the range does not end at the end of a preserved
 * block; otherwise the errors of kho_restore_folio(). On error nothing is
 * claimed.
 */
struct page *kho_restore_pages(struct kho_client *client, phys_addr_t phys,
			       unsigned long nr_pages)
{
	struct kho_in_client *ic;
	int err;

	if (!PAGE_ALIGNED(phys) || !nr_pages)
		return ERR_PTR(-EINVAL);
	mutex_lock(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	if (ic)
		err = kho_claim_range(ic, PHYS_PFN(phys), nr_pages, true);
	mutex_unlock(&kho_in.lock);
	return err ? ERR_PTR(err) : pfn_to_page(PHYS_PFN(phys));
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_phys() - take back a range preserved with kho_preserve_phys()
 * @client: the client that preserved it
 * @phys: start, as preserved
 * @size: bytes, as preserved
 *
 * The range comes back as reserved memory, outside the page allocator, as
 * memblock reservations are after boot; free_reserved_area() gives it to
 * the page allocator.
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of kho_restore_pages().
 */
int kho_restore_phys(struct kho_client *client, phys_addr_t phys,
		     phys_addr_t size)
{
	unsigned long pfn = PHYS_PFN(phys), i;
	struct kho_in_client *ic;
	int err;

	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(size) || !size ||
	    phys + size < phys)
		return -EINVAL;
	mutex_lock(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	if (ic)
		err = kho_claim_range(ic, pfn, PHYS_PFN(size), false);
	mutex_unlock(&kho_in.lock);
	/* As memblock_free_all() leaves reserved memory: PG_reserved. */
	for (i = 0; !err && i < PHYS_PFN(size); i++)
		__set_bit(PG_reserved, &pfn_to_page(pfn + i)->flags);
	return err;
}
EXPORT_SYMBOL_GPL(kho_restore_phys);

/**
 * kho_restore_preserved() - take back memory from kho_alloc_preserve()
 * @client: the client that preserved it
 * @phys: its physical address, e.g. a blob's from kho_get_blob()
 * @size: at most the size of the preserved folio
 *
 * Free the memory with folio_put(virt_to_folio(addr)), or keep it and
 * preserve it again for the next kernel with kho_preserve_folio().
 *
 * Context: process context; may sleep.
 * Return: the kernel address of the memory; ERR_PTR(-EINVAL) if @size
 * exceeds the folio (nothing is claimed); otherwise the errors of
 * kho_restore_folio().
 */
void *kho_restore_preserved(struct kho_client *client, phys_addr_t phys,
			    size_t size)
{
	struct folio *folio = kho_restore_block(client, phys, size);

	return IS_ERR(folio) ? ERR_CAST(folio) : folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_preserved);

/**
 * kho_client_incoming() - what the previous kernel left for a client
 * @client: the client
 * @compatible: set to the version of the incoming state, or NULL
 *
 * Context: any context that may sleep.
 * Return: 0 when there is state to restore; -ENOENT when there is none
 * (not a KHO boot, or the previous kernel had no such client); -EPROTO
 * when it was of a version @client does not accept, or its tracker was
 * corrupted (it was released or lost); -ECANCELED when the previous kernel
 * dropped it from the handover because @client's freeze callback failed
 * there (nothing was handed over);
 * -ESTALE when it was already released, or @client finished.
 */
int kho_client_incoming(struct kho_client *client, const char **compatible)
{
	struct kho_in_client *ic = client ? client->in : NULL;
	int err;

	if (!ic)
		return -ENOENT;
	mutex_lock(&kho_in.lock);
	if (ic->state == KHO_IN_ACTIVE)
		err = 0;
	else if (ic->state == KHO_IN_REJECTED)
		err = -EPROTO;
	else if (ic->state == KHO_IN_DROPPED)
		err = -ECANCELED;
	else
		err = -ESTALE;
	mutex_unlock(&kho_in.lock);
	if (compatible)
		*compatible = ic->compatible;
	return err;
}
EXPORT_SYMBOL_GPL(kho_client_incoming);

/**
 * kho_get_blob() - find a blob the client published in the previous kernel
 * @client: the client
 * @name: the blob's name
 * @phys: its physical address
 * @size: its size
 *
 * The blob is preserved memory: read it in place with phys_to_virt(), or
 * own it with kho_restore_preserved(). Either must happen before
 * kho_finish().
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if there is no such blob, or its memory is no longer
 * unclaimed; -ESTALE after kho_finish().
 */
int kho_get_blob(struct kho_client *client, const char *name,
		 phys_addr_t *phys, size_t *size)
{
	struct kho_in_client *ic;
	int err, order = -ENOENT;
	u64 p, s;

	mutex_lock(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	if (ic && kho_root_find_blob(kho_in.root, ic->node, name, &p, &s))
		err = -ENOENT;
	if (!err && PAGE_ALIGNED(p))
		order = kho_in_block_of(ic, PHYS_PFN(p));
	if (!err && order < 0) {
		pr_warn("client %s: blob %s is not, or no longer, unclaimed preserved memory\n",
			ic->name, name);
		err = -ENOENT;
	}
	if (!err && s > PAGE_SIZE << order) {
		pr_warn("client %s: blob %s is larger than its preserved block\n",
			ic->name, name);
		err = -ENOENT;
	}
	mutex_unlock(&kho_in.lock);
	if (!err) {
		*phys = p;
		*size = s;
	}
	return err;
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
 * Context: process context, sysfs.
 * Return: bytes read, or -ENODATA once the blob's memory was claimed or
 * released (it may be in other hands by then).
 */
ssize_t kho_in_read_blob(u64 phys, u64 size, char *buf, loff_t off,
			 size_t count)
{
	unsigned long stamp;
	ssize_t ret = -ENODATA;

	mutex_lock(&kho_in.lock);
	stamp = kho_in.valid && PAGE_ALIGNED(phys) ? kho_in_stamp(PHYS_PFN(phys)) : 0;
	if (stamp && KHO_STAMP_ORDER(stamp) != 0xff &&
	    size <= PAGE_SIZE << KHO_STAMP_ORDER(stamp))
		ret = memory_read_from_buffer(buf, count, &off,
					      phys_to_virt(phys), size);
	mutex_unlock(&kho_in.lock);
	return ret;
}

/**
 * kho_in_root() - the incoming root tree, for sysfs
 * @size: its size
 *
 * Context: any.
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

/**
 * kho_in_status() - what became of the previous kernel's handover
 * @why: why it was not taken, as logged; NULL when there was none
 *
 * Context: any.
 * Return: true if this kernel took the handover.
 */
bool kho_in_status(const char **why)
{
	*why = kho_in.valid ? NULL : kho_in_why;
	return kho_in.valid;
}

/**
 * kho_in_root_overlaps() - does a range hold the incoming root tree
 * @phys: start
 * @size: bytes
 *
 * The outgoing root tree must not be where the incoming one was: a stale
 * reference to the old one would find a valid handover.
 *
 * Context: any.
 * Return: true if [@phys, @phys + @size) overlaps the incoming root tree.
 */
bool kho_in_root_overlaps(phys_addr_t phys, size_t size)
{
	return kho_in.found && phys < kho_in.root_phys + kho_in.root_size &&
	       kho_in.root_phys < phys + size;
}

/**
 * kho_in_clients() - the incoming clients, for sysfs
 * @nr: their number
 *
 * Context: any.
 * Return: the array, or NULL when this is not a KHO boot.
 */
struct kho_in_client *kho_in_clients(unsigned int *nr)
{
	*nr = kho_in.valid ? kho_in.nr_clients : 0;
	return kho_in.valid ? kho_in.clients : NULL;
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

/*
 * Give back every unclaimed block of the tracker of @owner, then the
 * tracker's own pages; kho_in.lock held. Return: bytes released.
 */
static u64 kho_in_release_owner(unsigned int owner)
{
	struct kho_tracker *t = kho_in.trackers[owner];
	struct kho_node_list nodes = { };
	struct kho_tracker_iter it;
	unsigned int order;
	unsigned long i;
	u64 pfn, bytes = 0;

	if (!t)
		return 0;
	/* The tracker's pages hold the walk: collect them, free them last. */
	nodes.phys = kvmalloc_array(t->nr_nodes, sizeof(u64), GFP_KERNEL);
	if (nodes.phys)
		kho_tracker_walk_nodes(t, kho_in_collect_node, &nodes);
	kho_tracker_iter_start(&it, t, 0, 1ULL << (KHO_TRACKER_PHYS_BITS - PAGE_SHIFT));
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		/* Possibly terabytes: let others run. */
		cond_resched();
		if (kho_in_stamp(pfn) != KHO_STAMP(owner, order))
			continue;
		kho_free_block(kho_claim_block(pfn, order, true), order);
		bytes += PAGE_SIZE << order;
	}
	for (i = 0; i < nodes.n; i++) {
		pfn = PHYS_PFN(nodes.phys[i]);
		if (kho_in_stamp(pfn) != KHO_STAMP_NODE(owner))
			continue;
		kho_free_block(kho_claim_block(pfn, 0, true), 0);
	}
	/*
	 * Without the list (out of memory) the tracker's pages stay
	 * reserved: leaking a few pages beats freeing what is being read.
	 */
	kvfree(nodes.phys);
	kho_in.trackers[owner] = NULL;
	kho_in_stats.released_bytes += bytes;
	return bytes;
}

/* Release one client's state; kho_in.lock held. */
static void kho_in_release_client(struct kho_in_client *ic,
				  enum kho_in_state state, const char *by,
				  unsigned int *counter)
{
	ic->released_bytes += kho_in_release_owner(ic->id);
	ic->state = state;
	ic->released_by = by;
	(*counter)++;
	pr_info("client %s: %s: released %llu bytes it did not restore\n",
		ic->name, by, ic->released_bytes);
}

/* Once no client can restore any more, the core's memory goes too. */
static void kho_in_release_if_done(void)
{
	unsigned int i;

	if (kho_in_stats.released)
		return;
	for (i = 0; i < kho_in.nr_clients; i++) {
		if (kho_in.clients[i].state == KHO_IN_PENDING ||
		    kho_in.clients[i].state == KHO_IN_ACTIVE)
			return;
	}
	kho_in_release_owner(0);
	kho_in_stats.released = true;
	pr_info("every client is done with the handover: released %llu bytes of unclaimed preserved memory in all\n",
		kho_in_stats.released_bytes);
}

/* Release the clients in @from (a state mask); kho_in.lock held. */
static void kho_in_release_clients(unsigned int from, const char *by,
				   unsigned int *counter)
{
	unsigned int i;

	for (i = 0; i < kho_in.nr_clients; i++) {
		struct kho_in_client *ic = &kho_in.clients[i];

		if (BIT(ic->state) & from)
			kho_in_release_client(ic, KHO_IN_RELEASED, by, counter);
	}
	kho_in_release_if_done();
}

/**
 * kho_finish() - a client is done restoring its incoming state
 * @client: the client
 *
 * Whatever @client preserved in the previous kernel and did not restore
 * is released now; restoring fails with -ESTALE from now on. Once every
 * incoming client finished (or was released), the handover's remaining
 * memory is released. Does nothing without incoming state, or twice.
 *
 * Context: process context; may sleep.
 */
void kho_finish(struct kho_client *client)
{
	struct kho_in_client *ic = client ? client->in : NULL;

	if (!ic)
		return;
	mutex_lock(&kho_in.lock);
	if (ic->state == KHO_IN_ACTIVE) {
		kho_in_release_client(ic, KHO_IN_FINISHED, "finished",
				      &kho_in_stats.released_finish);
		kho_in_release_if_done();
	}
	mutex_unlock(&kho_in.lock);
}
EXPORT_SYMBOL_GPL(kho_finish);

static bool kho_in_accepts(struct kho_client *client, const char *compatible)
{
	const char * const *a;

	if (!strcmp(client->compatible, compatible))
		return true;
	for (a = client->accept; a && *a; a++) {
		if (!strcmp(*a, compatible))
			return true;
	}
	return false;
}

/**
 * kho_in_attach() - find the incoming state of a client that registers
 * @client: the client
 *
 * State of a version the client does not accept is released at once.
 *
 * Context: process context, kho_client_register().
 * Return: the incoming state; NULL if there is none; ERR_PTR(-EAGAIN)
 * before the handover is taken over (core_initcall).
 */
struct kho_in_client *kho_in_attach(struct kho_client *client)
{
	struct kho_in_client *ic = NULL;
	unsigned int i;

	if (!kho_in.valid)
		return NULL;
	if (!kho_in_ready())
		return ERR_PTR(-EAGAIN);
	mutex_lock(&kho_in.lock);
	for (i = 0; i < kho_in.nr_clients; i++) {
		if (!strcmp(kho_in.clients[i].name, client->name)) {
			ic = &kho_in.clients[i];
			break;
		}
	}
	if (ic && ic->state == KHO_IN_PENDING) {
		ic->client = client;
		if (kho_in_accepts(client, ic->compatible)) {
			ic->state = KHO_IN_ACTIVE;
		} else {
			pr_err("client %s: incoming state is %s, which it does not accept (it writes %s): released\n",
			       ic->name, ic->compatible, client->compatible);
			kho_in_release_client(ic, KHO_IN_REJECTED, "incompatible",
					      &kho_in_stats.released_rejected);
			kho_in_release_if_done();
		}
	}
	mutex_unlock(&kho_in.lock);
	return ic;
}

/**
 * kho_in_detach() - a client unregisters
 * @client: the client, already finished
 *
 * Context: process context, kho_client_unregister().
 */
void kho_in_detach(struct kho_client *client)
{
	if (!client->in)
		return;
	mutex_lock(&kho_in.lock);
	client->in->client = NULL;
	mutex_unlock(&kho_in.lock);
}

/**
 * kho_in_release_unclaimed() - release the state of clients that never came
 *
 * What /sys/kernel/kho/in/release does: every client that did not register
 * loses its state now. A registered client keeps its state until it calls
 * kho_finish() (or unregisters): it may be reading its blobs in place.
 * Once no client holds anything, the handover's remaining memory goes to
 * the page allocator.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOENT when this is not a KHO boot, -EALREADY if done.
 */
int kho_in_release_unclaimed(void)
{
	unsigned int i, active = 0;
	int err = 0;

	if (!kho_in.valid)
		return -ENOENT;
	mutex_lock(&kho_in.lock);
	if (kho_in_stats.released) {
		err = -EALREADY;
	} else {
		kho_in_release_clients(BIT(KHO_IN_PENDING),
				       "released through sysfs",
				       &kho_in_stats.released_sysfs);
		for (i = 0; i < kho_in.nr_clients; i++)
			active += kho_in.clients[i].state == KHO_IN_ACTIVE;
	}
	mutex_unlock(&kho_in.lock);
	if (active)
		pr_info("release through sysfs: %u registered clients keep their state until they finish\n",
			active);
	return err;
}

/**
 * kho_in_release_policy() - when clients that never came are released
 *
 * Context: any.
 * Return: seconds after the end of boot (kho_release=), or -1 for never
 * (kho_release=never: only /sys/kernel/kho/in/release releases them).
 */
long kho_in_release_policy(void)
{
	return kho_release_delay == KHO_RELEASE_NEVER ? -1L :
	       (long)kho_release_delay;
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

/* The previous kernel's root tree: the core's block at kho_in.root_phys. */
static void __init kho_in_free_root(void)
{
	unsigned long pfn = PHYS_PFN(kho_in.root_phys), stamp;
	struct page *page;

	mutex_lock(&kho_in.lock);
	stamp = kho_in_stamp(pfn);
	if (stamp && KHO_STAMP_OWNER(stamp) == 0 &&
	    KHO_STAMP_ORDER(stamp) != 0xff) {
		page = kho_claim_block(pfn, KHO_STAMP_ORDER(stamp), true);
		/*
		 * Cleared, so that a stale reference to it (a device tree
		 * reused by kexec_load) finds no handover there; never past
		 * the block (kho_in_open() checked that it holds the tree).
		 */
		memset(page_address(page), 0,
		       min_t(size_t, kho_in.root_size,
			     PAGE_SIZE << KHO_STAMP_ORDER(stamp)));
		kho_free_block(page, KHO_STAMP_ORDER(stamp));
	}
	mutex_unlock(&kho_in.lock);
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
	unsigned int order, i, k;
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

		for (k = 0; k < ic->tracker.nr_orders; k++) {
			ic->blocks += ic->tracker.nr_blocks[k];
			ic->preserved_bytes += (u64)ic->tracker.nr_blocks[k] <<
					       (PAGE_SHIFT + k);
		}
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
	return 0;
}
core_initcall(kho_in_init);

static void kho_in_release_late(struct work_struct *work)
{
	mutex_lock(&kho_in.lock);
	if (!kho_in_stats.released)
		kho_in_release_clients(BIT(KHO_IN_PENDING),
				       "never came (kho_release=)",
				       &kho_in_stats.released_timeout);
	mutex_unlock(&kho_in.lock);
}

static DECLARE_DELAYED_WORK(kho_in_release_work, kho_in_release_late);

/*
 * Built-in clients had their chance in the initcalls; modules get
 * kho_release= seconds more.
 */
static int __init kho_in_late(void)
{
	if (!kho_in.valid)
		return 0;
	mutex_lock(&kho_in.lock);
	kho_in_release_if_done();
	mutex_unlock(&kho_in.lock);
	if (kho_release_delay == KHO_RELEASE_NEVER)
		pr_info("kho_release=never: clients that do not come keep their memory until /sys/kernel/kho/in/release\n");
	else if (!kho_release_delay)
		kho_in_release_late(NULL);
	else
		schedule_delayed_work(&kho_in_release_work,
				      (unsigned long)kho_release_delay * HZ);
	return 0;
}
late_initcall_sync(kho_in_late);
