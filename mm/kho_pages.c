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
#include <linux/page-isolation.h>

#include "internal.h"

/*
 * Keep a free, page-aligned range from memblock_free_all(), its struct pages
 * left by memmap init without PG_reserved and with one reference each. Boot,
 * before memblock_free_all(). 0 or memblock's error.
 */
int __init kho_pages_keep(phys_addr_t base, phys_addr_t size)
{
	return memblock_reserve(base, size) ?:
	       memblock_reserved_mark_noinit(base, size);
}

/*
 * Drop the reservation of a kept range whose pages were released or claimed
 * (boot).
 */
void __init kho_pages_unkeep(phys_addr_t base, phys_addr_t size)
{
	memblock_phys_free(base, size);
}

/*
 * Give the whole pages of part of a kept range to the page allocator, in
 * the largest aligned orders as memblock_free_all() does, so that the cost
 * is per range, not per page (boot: the walk, early or in deferred memmap
 * init). memblock still records the range as reserved.
 */
void __init kho_pages_release(phys_addr_t base, phys_addr_t size)
{
	unsigned long pfn = PFN_UP(base), end = PFN_DOWN(base + size);

	if (pfn >= end)
		return;
	totalram_pages_add(end - pfn);
	__free_pages_memory(pfn, end);
}

#ifdef CONFIG_CMA
/*
 * The zone of @pfn. Deferred memmap init covers only the highest zone of a
 * node; setting the migratetype looks at the head page's zone, so such a
 * page is initialized now and again by deferred init.
 */
static struct zone * __init kho_pages_zone(unsigned long pfn)
{
#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
	int nid = early_pfn_to_nid(pfn);
	pg_data_t *pgdat = NODE_DATA(nid);

	if (node_online(nid) && pfn >= pgdat->first_deferred_pfn) {
		struct zone *zone = pgdat->node_zones + pgdat->nr_zones - 1;

		if (zone_spans_pfn(zone, pfn))
			__init_single_page(pfn_to_page(pfn), pfn,
					   zone_idx(zone), nid);
		return zone;
	}
#endif
	return page_zone(pfn_to_page(pfn));
}

/*
 * Pageblocks entirely inside [@start, @end) and one zone become
 * MIGRATE_CMA. The pageblock bitmap does not need initialized struct
 * pages, and deferred_free_pages() keeps the migratetype.
 */
static void __init kho_pages_cma_range(phys_addr_t start, phys_addr_t end)
{
	unsigned long pfn = pageblock_align(PFN_UP(start));
	unsigned long end_pfn = pageblock_start_pfn(PFN_DOWN(end));

	for (; pfn < end_pfn; pfn += pageblock_nr_pages) {
		struct zone *zone = kho_pages_zone(pfn);

		if (!zone_spans_pfn(zone, pfn) ||
		    !zone_spans_pfn(zone, pfn + pageblock_nr_pages - 1))
			continue;
		set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_CMA);
		zone->cma_pages += pageblock_nr_pages;
	}
}

/*
 * Make scratch memory MIGRATE_CMA, so that the pages memblock_free_all()
 * and deferred init release there go to the CMA free lists and only
 * movable allocations, which can be migrated away, land in scratch
 * (boot, after free_area_init(), before memblock_free_all()). Adjacent
 * scratch regions are one area; partial pageblocks at its edges keep their
 * migratetype.
 */
void __init kho_pages_init_cma(void)
{
	phys_addr_t start = 0, end = 0;
	struct memblock_region *r;

	for_each_mem_region(r) {
		if (!memblock_is_kho_scratch(r))
			continue;
		if (r->base == end) {
			end += r->size;
			continue;
		}
		kho_pages_cma_range(start, end);
		start = r->base;
		end = r->base + r->size;
	}
	kho_pages_cma_range(start, end);
}
#else
void __init kho_pages_init_cma(void)
{
}
#endif /* CONFIG_CMA */

/*
 * First pfn deferred memmap init of @nid initializes, or ULONG_MAX (boot,
 * before memblock_free_all()).
 */
unsigned long __init kho_pages_deferred_start(int nid)
{
	return deferred_memmap_start_pfn(nid);
}

/*
 * Initialize the struct pages of a kept range at or above
 * kho_pages_deferred_start(), from the node's deferred init thread.
 */
bool __init kho_pages_init_deferred(unsigned long spfn, unsigned long epfn,
				    int nid)
{
	return deferred_init_reserved_pages(spfn, epfn, nid);
}

/*
 * Take a stamped block out of the handover: it becomes what a fresh
 * allocation of @order is before prep_compound_page() (one reference on the
 * head, none on tails, no stamp), counted in its zone's managed pages. The
 * caller serializes claims.
 */
struct page *kho_pages_claim(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i, nr = 1UL << order;

	for (i = 1; i < nr; i++)
		set_page_count(page + i, 0);
	set_page_private(page, 0);
	set_page_count(page, 1);
	adjust_managed_page_count(page, nr);
	return page;
}

/* One reference on every page of a claimed block, handed back as pages. */
void kho_pages_claim_split(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i;

	for (i = 1; i < (1UL << order); i++)
		set_page_count(page + i, 1);
}

/* A claimed block as a folio of its order, gigantic orders included. */
struct folio *kho_pages_folio(struct page *page, unsigned int order)
{
	if (order)
		prep_compound_page(page, order);
	return page_folio(page);
}

/*
 * Give a claimed block to the page allocator, in pieces above
 * MAX_PAGE_ORDER; from any context that may free pages.
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
