/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO preserved-memory tracker: per-order sparse bitmaps in page-sized
 * nodes (layout: include/linux/kho/abi.h, "KHO preserved-memory tracker").
 *
 * Pure logic: no locking, no knowledge of FDTs, kexec or the page
 * allocator. Memory for nodes and access to nodes by physical address go
 * through &struct kho_tracker_ops, so the same file builds in the kernel
 * and in userspace (tools/testing/kho) for tests, benchmarks and fuzzing.
 * Callers serialize all calls on one tracker.
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

int kho_tracker_open(struct kho_tracker *t, const struct kho_tracker_ops *ops,
		     u64 hdr_phys, unsigned int page_shift,
		     unsigned int max_orders, const char **why);

/**
 * struct kho_tracker_iter - blocks of all orders in ascending address order
 * @t: tracker
 * @end_pfn: end of the walk (exclusive)
 * @next: per order, the next block index to look at once @cur is returned
 * @cur: per order, the next block index to return, or ~0 when none
 * @leaf: per order, the leaf holding @cur (a cache), or NULL
 * @active: bit per order whose @cur is valid
 */
struct kho_tracker_iter {
	const struct kho_tracker *t;
	u64 end_pfn;
	u64 next[KHO_TRACKER_MAX_ORDERS];
	u64 cur[KHO_TRACKER_MAX_ORDERS];
	const u64 *leaf[KHO_TRACKER_MAX_ORDERS];
	unsigned long active;
};

void kho_tracker_iter_start(struct kho_tracker_iter *it,
			    const struct kho_tracker *t, u64 start_pfn,
			    u64 end_pfn);
bool kho_tracker_iter_next(struct kho_tracker_iter *it, u64 *pfn,
			   unsigned int *order);

void kho_tracker_walk_nodes(const struct kho_tracker *t,
			    void (*fn)(void *arg, u64 phys), void *arg);

#endif /* _KEXEC_HANDOVER_TRACKER_H */
