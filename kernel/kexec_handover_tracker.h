/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO preserved-memory tracker (layout: include/linux/kho/abi.h). Pure
 * logic, no locking: callers serialize all calls on one tracker. Memory goes
 * through &struct kho_tracker_ops, so the file also builds in userspace.
 */
#ifndef _KEXEC_HANDOVER_TRACKER_H
#define _KEXEC_HANDOVER_TRACKER_H

#include <linux/types.h>
#include <linux/kho/abi.h>

/**
 * struct kho_tracker_ops - memory behind a tracker
 * @alloc_page: return a zeroed page and its physical address in @phys,
 *	or NULL
 * @free_page: free a page returned by @alloc_page
 * @map: return the virtual address of the page at @phys, or NULL when
 *	@phys is not acceptable (an incoming tracker pointing outside
 *	memory, for instance)
 * @ctx: passed to every call
 */
struct kho_tracker_ops {
	void *(*alloc_page)(void *ctx, u64 *phys);
	void (*free_page)(void *ctx, void *virt, u64 phys);
	void *(*map)(void *ctx, u64 phys);
	void *ctx;
};

/**
 * struct kho_tracker - a tracker, outgoing (built here) or incoming (read)
 * @ops: memory access
 * @hdr: header page
 * @hdr_phys: physical address of @hdr, what the root tree records
 * @page_shift: page size of the nodes
 * @nr_orders: orders tracked
 * @levels: interior levels per order
 * @nr_nodes: pages the tracker uses, header included
 * @nr_blocks: blocks set per order, the tracker's own pages excluded
 * @incoming: opened with kho_tracker_open(); its pages are not ours to free
 */
struct kho_tracker {
	const struct kho_tracker_ops *ops;
	struct kho_tracker_hdr *hdr;
	u64 hdr_phys;
	unsigned int page_shift;
	unsigned int nr_orders;
	unsigned int levels;
	unsigned long nr_nodes;
	unsigned long nr_blocks[KHO_TRACKER_MAX_ORDERS];
	bool incoming;
};

int kho_tracker_init(struct kho_tracker *t, const struct kho_tracker_ops *ops,
		     unsigned int page_shift, unsigned int nr_orders);
void kho_tracker_destroy(struct kho_tracker *t);
int kho_tracker_set(struct kho_tracker *t, u64 pfn, unsigned int order);
int kho_tracker_clear(struct kho_tracker *t, u64 pfn, unsigned int order);
bool kho_tracker_test(const struct kho_tracker *t, u64 pfn,
		      unsigned int order);
u64 *kho_tracker_leaf(const struct kho_tracker *t, u64 pfn,
		      unsigned int order, u64 *start, u64 *end);

/*
 * Is bit @b of @leaf set; @b is (pfn - start) >> order, start from
 * kho_tracker_leaf().
 */
static inline bool kho_tracker_leaf_test(const u64 *leaf, u64 b)
{
	return leaf[b / 64] & (1ULL << (b % 64));
}

/*
 * Set bit @b, not set, of @leaf of @t: kho_tracker_set() for a loop that
 * holds the leaf and serializes with kho_tracker_set().
 */
static inline void kho_tracker_leaf_set(struct kho_tracker *t, u64 *leaf,
					u64 b, unsigned int order)
{
	leaf[b / 64] |= 1ULL << (b % 64);
	t->nr_blocks[order]++;
}

int kho_tracker_open(struct kho_tracker *t, const struct kho_tracker_ops *ops,
		     u64 hdr_phys, unsigned int page_shift,
		     unsigned int max_orders, const char **why);

/**
 * struct kho_tracker_iter - blocks of all orders in ascending address order
 * @t: tracker
 * @end_pfn: end of the walk (exclusive)
 * @end: per order, the end of the walk in block indexes (exclusive)
 * @cur: per order, the next block index to return, or ~0 when none
 * @leaf: per order, the leaf holding @cur (a cache), or NULL
 * @active: bit per order whose @cur is valid
 */
struct kho_tracker_iter {
	const struct kho_tracker *t;
	u64 end_pfn;
	u64 end[KHO_TRACKER_MAX_ORDERS];
	u64 cur[KHO_TRACKER_MAX_ORDERS];
	const u64 *leaf[KHO_TRACKER_MAX_ORDERS];
	unsigned long active;
};

void kho_tracker_iter_start(struct kho_tracker_iter *it,
			    const struct kho_tracker *t, u64 start_pfn,
			    u64 end_pfn);
bool kho_tracker_iter_next(struct kho_tracker_iter *it, u64 *pfn,
			   unsigned int *order);
bool kho_tracker_iter_next_run(struct kho_tracker_iter *it, u64 *pfn,
			       unsigned int *order, u64 *nr, u64 max);

/* Trackers one merged walk takes: the core's and every client's. */
#define KHO_TRACKER_MERGE_MAX	128
#define KHO_TRACKER_MERGE_WORDS	(KHO_TRACKER_MERGE_MAX / 64)

/**
 * struct kho_tracker_merge - several trackers walked together
 * @its: one iterator per tracker, storage given by the caller
 * @pfn: per tracker, its next block
 * @order: per tracker, the order of that block
 * @nr: per tracker, the blocks in the run that starts there
 * @have: bit per tracker whose next block is in @pfn and @order
 * @n: number of trackers
 * @pos: first pfn after everything returned so far
 * @end_pfn: end of the walk (exclusive)
 */
struct kho_tracker_merge {
	struct kho_tracker_iter *its;
	u64 *pfn;
	unsigned int *order;
	u64 *nr;
	u64 have[KHO_TRACKER_MERGE_WORDS];
	unsigned int n;
	u64 pos;
	u64 end_pfn;
};

/**
 * struct kho_tracker_merged - one step of a merged walk
 * @gap_start: first free page before the blocks (or of the tail at the end)
 * @gap_end: end of that free run (exclusive); empty when equal to @gap_start
 * @pfn: first page of the first block
 * @nr: number of blocks: @pfn, @pfn + 2^@order, ... (1 when not @ok)
 * @order: order of the blocks
 * @owner: index of the tracker holding them
 * @ok: the blocks lie inside the walk after every earlier block; when
 *	false the caller ignores the block (the gap before it is still free)
 */
struct kho_tracker_merged {
	u64 gap_start;
	u64 gap_end;
	u64 pfn;
	u64 nr;
	unsigned int order;
	unsigned int owner;
	bool ok;
};

void kho_tracker_merge_start(struct kho_tracker_merge *m,
			     const struct kho_tracker *const *trackers,
			     unsigned int n, u64 start_pfn, u64 end_pfn);
bool kho_tracker_merge_next(struct kho_tracker_merge *m,
			    struct kho_tracker_merged *b);

void kho_tracker_walk_nodes(const struct kho_tracker *t,
			    void (*fn)(void *arg, u64 phys), void *arg);

#endif /* _KEXEC_HANDOVER_TRACKER_H */
