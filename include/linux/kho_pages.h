/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KHO core asks of mm (mm/kho_pages.c) for handed-over memory:
 * keeping ranges from the page allocator at boot, stamping preserved
 * blocks in their struct pages, and claiming blocks as pages or folios.
 */
#ifndef _LINUX_KHO_PAGES_H
#define _LINUX_KHO_PAGES_H

#include <linux/mm.h>
#include <linux/types.h>

/*
 * A stamp, in page->private of the first page of a block that was handed
 * over and is not claimed yet: its owner (0: the core, n: the incoming
 * client n - 1), a magic and its order, or KHO_STAMP_NODE_ORDER for a page
 * of a tracker.
 */
#define KHO_STAMP_MAGIC		0x4b484f50UL	/* "KHOP" */
#define KHO_STAMP_NODE_ORDER	0xff
#define KHO_STAMP(owner, order)	(((unsigned long)(owner) << 40) |	\
				 (KHO_STAMP_MAGIC << 8) | (order))
#define KHO_STAMP_NODE(owner)	KHO_STAMP(owner, KHO_STAMP_NODE_ORDER)
#define KHO_STAMP_OWNER(stamp)	((stamp) >> 40)
#define KHO_STAMP_ORDER(stamp)	((stamp) & 0xff)
#define KHO_STAMP_OK(stamp)	((((stamp) >> 8) & 0xffffffffUL) == KHO_STAMP_MAGIC)

/* The stamp of the page at @pfn: its struct page must be initialized. */
static inline unsigned long kho_page_stamp(unsigned long pfn)
{
	return page_private(pfn_to_page(pfn));
}

static inline void kho_page_set_stamp(unsigned long pfn, unsigned long stamp)
{
	set_page_private(pfn_to_page(pfn), stamp);
}

/* Clear the stamp at @pfn if it is still @stamp: true for one caller only. */
static inline bool kho_page_take_stamp(unsigned long pfn, unsigned long stamp)
{
	return try_cmpxchg(&pfn_to_page(pfn)->private, &stamp, 0);
}

#ifdef CONFIG_KEXEC_HANDOVER
int kho_pages_keep(phys_addr_t base, phys_addr_t size);
void kho_pages_unkeep(phys_addr_t base, phys_addr_t size);
void kho_pages_release(phys_addr_t base, phys_addr_t size);
void kho_pages_init_cma(void);
unsigned long kho_pages_deferred_start(int nid);
bool kho_pages_init_deferred(unsigned long spfn, unsigned long epfn, int nid);

struct page *kho_pages_claim(unsigned long pfn, unsigned int order);
void kho_pages_claim_split(unsigned long pfn, unsigned int order);
struct folio *kho_pages_folio(struct page *page, unsigned int order);
void kho_pages_free(struct page *page, unsigned int order);
#endif

#endif /* _LINUX_KHO_PAGES_H */
