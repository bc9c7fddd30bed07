/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of fuzz_tracker: physical memory left by "the previous kernel",
 * holding a tracker.
 *
 * struct kho_fuzz_arena, then the pages of the arena: 2^page_shift bytes
 * each, at physical addresses base, base + page size, and so on; a partial
 * last page is padded with zeros. Native endian, like the tracker.
 */
#ifndef _KHO_FUZZ_ARENA_H
#define _KHO_FUZZ_ARENA_H

#include <linux/kho/abi.h>
#include <linux/types.h>

#define KHO_FUZZ_MIN_PAGE_SHIFT	10
#define KHO_FUZZ_MAX_PAGE_SHIFT	16
#define KHO_FUZZ_MAX_PAGES	1024

/**
 * struct kho_fuzz_arena - header of a fuzz_tracker input
 * @page_shift: page size of both kernels, %KHO_FUZZ_MIN_PAGE_SHIFT to
 *	%KHO_FUZZ_MAX_PAGE_SHIFT (other values are folded into that range)
 * @max_orders: the reader's number of orders, 1 to 32 (others: 1 + value % 32)
 * @hole_first: first page of the arena that map() refuses, as the kernel
 *	refuses scratch memory
 * @hole_count: number of such pages
 * @reserved: 0
 * @base: physical address of the first page (rounded down to a page)
 * @hdr_phys: the tracker header, as the root tree names it
 * @start_pfn: start of a second walk over the blocks
 * @end_pfn: end (exclusive) of that walk
 */
struct kho_fuzz_arena {
	__u8 page_shift;
	__u8 max_orders;
	__u8 hole_first;
	__u8 hole_count;
	__u32 reserved;
	__u64 base;
	__u64 hdr_phys;
	__u64 start_pfn;
	__u64 end_pfn;
};

static inline unsigned int kho_fuzz_page_shift(const struct kho_fuzz_arena *h)
{
	unsigned int n = KHO_FUZZ_MAX_PAGE_SHIFT - KHO_FUZZ_MIN_PAGE_SHIFT + 1;

	if (h->page_shift >= KHO_FUZZ_MIN_PAGE_SHIFT &&
	    h->page_shift <= KHO_FUZZ_MAX_PAGE_SHIFT)
		return h->page_shift;
	return KHO_FUZZ_MIN_PAGE_SHIFT + h->page_shift % n;
}

static inline unsigned int kho_fuzz_max_orders(const struct kho_fuzz_arena *h)
{
	if (h->max_orders >= 1 && h->max_orders <= KHO_TRACKER_MAX_ORDERS)
		return h->max_orders;
	return 1 + h->max_orders % KHO_TRACKER_MAX_ORDERS;
}

#endif /* _KHO_FUZZ_ARENA_H */
