// SPDX-License-Identifier: GPL-2.0
/*
 * Struct pages of memory handed over with KHO: the mm side of
 * include/linux/kho_pages.h (Documentation/kho/concepts.rst).
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/init.h>
#include <linux/kho_pages.h>
#include <linux/memblock.h>
#include <linux/mm.h>

#include "internal.h"

/**
 * kho_pages_keep() - keep a free range away from the page allocator
 * @base: start, page aligned
 * @size: bytes, page aligned
 *
 * The range is reserved so that memblock_free_all() does not free it, and
 * marked so that memmap init leaves its struct pages as they are: without
 * PG_reserved, with one reference each.
 *
 * Context: boot, before memblock_free_all() frees memory.
 * Return: 0, or the error of memblock.
 */
int __init kho_pages_keep(phys_addr_t base, phys_addr_t size)
{
	return memblock_reserve(base, size) ?:
	       memblock_reserved_mark_noinit(base, size);
}

/**
 * kho_pages_unkeep() - drop the reservation of a kept range
 * @base: start, as kept
 * @size: bytes, as kept
 *
 * Context: boot; the pages themselves were released or claimed.
 */
void __init kho_pages_unkeep(phys_addr_t base, phys_addr_t size)
{
	memblock_phys_free(base, size);
}

/**
 * kho_pages_release() - give part of a kept range to the page allocator
 * @base: start, page aligned
 * @size: bytes, page aligned; nothing is done for 0
 *
 * Context: boot: the walk of the handover, early or in deferred memmap init.
 */
void __init kho_pages_release(phys_addr_t base, phys_addr_t size)
{
	if (size)
		memblock_release_pages(base, size);
}

/**
 * kho_pages_deferred_start() - where a node's deferred memmap init starts
 * @nid: the node
 *
 * Context: boot, before memblock_free_all() frees memory.
 * Return: the first pfn whose struct page deferred init will initialize, or
 * ULONG_MAX when the node has no deferred part.
 */
unsigned long __init kho_pages_deferred_start(int nid)
{
	return deferred_memmap_start_pfn(nid);
}

/**
 * kho_pages_init_deferred() - initialize the struct pages of a kept range
 * @spfn: first pfn, at or above the node's kho_pages_deferred_start()
 * @epfn: end pfn
 * @nid: the node
 *
 * Context: the node's deferred init thread.
 * Return: true when the struct pages are initialized.
 */
bool __init kho_pages_init_deferred(unsigned long spfn, unsigned long epfn,
				    int nid)
{
	return deferred_init_reserved_pages(spfn, epfn, nid);
}

/**
 * kho_pages_claim() - take a preserved block out of the handover
 * @pfn: its first page, stamped
 * @order: its order
 * @managed: count its pages in the zone's managed pages now (otherwise
 *	the caller counts them, kho_pages_batch_add())
 *
 * The block becomes what a fresh allocation of @order would be before
 * prep_compound_page(): one reference on its head, none on its tails, no
 * stamp.
 *
 * Context: any; the caller serializes claims of the handover.
 * Return: the first page.
 */
struct page *kho_pages_claim(unsigned long pfn, unsigned int order,
			     bool managed)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i, nr = 1UL << order;

	for (i = 1; i < nr; i++)
		set_page_count(page + i, 0);
	set_page_private(page, 0);
	set_page_count(page, 1);
	if (managed)
		adjust_managed_page_count(page, nr);
	return page;
}

/**
 * kho_pages_claim_split() - one reference on every page of a claimed block
 * @pfn: its first page
 * @order: its order
 *
 * For blocks handed back as order-0 pages rather than as a folio.
 *
 * Context: any.
 */
void kho_pages_claim_split(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i;

	for (i = 1; i < (1UL << order); i++)
		set_page_count(page + i, 1);
}

/**
 * kho_pages_folio() - a claimed block as a folio of its order
 * @page: the block's first page, from kho_pages_claim()
 * @order: its order, gigantic orders included
 *
 * Context: any.
 * Return: the folio.
 */
struct folio *kho_pages_folio(struct page *page, unsigned int order)
{
	if (order)
		prep_compound_page(page, order);
	return page_folio(page);
}

/**
 * kho_pages_batch_add() - count a claimed block's managed pages later
 * @b: the batch, zeroed at first
 * @page: the block's first page, claimed with @managed false
 * @order: its order
 *
 * Context: any; kho_pages_batch_end() ends the batch.
 */
void kho_pages_batch_add(struct kho_pages_batch *b, struct page *page,
			 unsigned int order)
{
	if (b->managed && page_zone(page) != page_zone(b->zone_page)) {
		adjust_managed_page_count(b->zone_page, b->managed);
		b->managed = 0;
	}
	if (!b->managed)
		b->zone_page = page;
	b->managed += 1UL << order;
}

/**
 * kho_pages_batch_end() - count the managed pages of a batch
 * @b: the batch
 *
 * Context: any.
 */
void kho_pages_batch_end(struct kho_pages_batch *b)
{
	if (b->managed)
		adjust_managed_page_count(b->zone_page, b->managed);
	b->managed = 0;
}

/**
 * kho_pages_set_reserved() - claimed pages as reserved memory
 * @pfn: first page
 * @nr: pages
 *
 * As memblock_free_all() leaves reserved memory: PG_reserved, outside the
 * page allocator until free_reserved_area().
 *
 * Context: any.
 */
void kho_pages_set_reserved(unsigned long pfn, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		__set_bit(PG_reserved, &pfn_to_page(pfn + i)->flags);
}

/**
 * kho_pages_free() - give a claimed block to the page allocator
 * @page: its first page, from kho_pages_claim()
 * @order: its order; blocks larger than MAX_PAGE_ORDER go in pieces
 *
 * Context: any context that may free pages.
 */
void kho_pages_free(struct page *page, unsigned int order)
{
	unsigned int chunk = min_t(unsigned int, order, MAX_PAGE_ORDER);
	unsigned long i;

	for (i = 0; i < (1UL << order); i += 1UL << chunk) {
		set_page_count(page + i, 1);
		__free_pages(page + i, chunk);
	}
}
