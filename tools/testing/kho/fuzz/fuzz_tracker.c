// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: an incoming tracker (kernel/kexec_handover_tracker.c),
 * opened and walked as the next kernel does it.
 *
 * The input is a simulated physical memory (kho_fuzz_arena.h): every
 * tracker pointer is a physical address, and map() accepts only page
 * aligned addresses of arena pages outside the hole, as the kernel's
 * kho_in_map_checked() accepts only memory outside scratch. Each arena
 * page is an allocation of its own, so ASan sees a read past any page.
 *
 * kho_tracker_open() must refuse the tracker with a reason, or accept it
 * without changing a byte of the arena. An accepted tracker is then used
 * as the kernel uses it, through an unchecked map (kho_in_ops) that here
 * aborts unless the page is one of the nodes open() validated:
 * kho_tracker_walk_nodes() must visit each node once, each marked as
 * preserved, nr_nodes of them; kho_tracker_iter_*() must return, over the
 * whole address space, every set block once in ascending order, as many
 * as open() counted, each one kho_tracker_test() confirms; and over
 * [start_pfn, end_pfn) exactly the blocks that intersect it.
 * kho_tracker_test() must also look anywhere without touching other pages.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kho/abi.h>
#include <linux/types.h>
#include "kexec_handover_tracker.h"
#include "kho_fuzz.h"
#include "kho_fuzz_arena.h"

struct arena {
	unsigned int page_shift;
	u64 base;
	size_t nr;
	size_t hole_first, hole_end;
	u8 **page;		/* one allocation per page */
	u8 *node;		/* per page: a node of the opened tracker */
	const struct kho_tracker *t;
};

static long arena_index(const struct arena *a, u64 phys)
{
	u64 i;

	if (phys < a->base || (phys & ((1ULL << a->page_shift) - 1)))
		return -1;
	i = (phys - a->base) >> a->page_shift;
	if (i >= a->nr || (i >= a->hole_first && i < a->hole_end))
		return -1;
	return i;
}

/* kho_in_map_checked(): memory outside scratch, page aligned. */
static void *map_checked(void *ctx, u64 phys)
{
	struct arena *a = ctx;
	long i = arena_index(a, phys);

	return i < 0 ? NULL : a->page[i];
}

/* kho_in_map(): no check, so open() must have validated the page. */
static void *map_trusted(void *ctx, u64 phys)
{
	struct arena *a = ctx;
	long i = arena_index(a, phys);

	if (i < 0 || !a->node[i]) {
		fprintf(stderr, "map(%#llx): not a node of the opened tracker\n",
			(unsigned long long)phys);
		abort();
	}
	return a->page[i];
}

struct node_walk {
	struct arena *a;
	unsigned long nr;
	bool first;		/* the first walk records the nodes */
};

static void node_cb(void *arg, u64 phys)
{
	struct node_walk *w = arg;
	struct arena *a = w->a;
	long i = arena_index(a, phys);

	CHECK(i >= 0);
	if (w->first) {
		CHECK(!a->node[i]);
		a->node[i] = 1;
	} else {
		CHECK(a->node[i]);
	}
	CHECK(kho_tracker_test(a->t, phys >> a->page_shift, 0));
	w->nr++;
}

/* Blocks must come in ascending pfn, larger order first on a tie. */
static bool after(u64 pfn, unsigned int order, u64 ppfn, unsigned int porder)
{
	return pfn > ppfn || (pfn == ppfn && order < porder);
}

static void walk_blocks(const struct kho_tracker *t,
			const struct kho_fuzz_arena *h)
{
	u64 lim = 1ULL << (KHO_TRACKER_PHYS_BITS - t->page_shift);
	u64 start = h->start_pfn, end = h->end_pfn;
	unsigned long n = 0, want = t->nr_nodes, in_range = 0;
	struct kho_tracker_iter it;
	u64 pfn, ppfn = 0;
	unsigned int o, order, porder = 0;

	for (o = 0; o < KHO_TRACKER_MAX_ORDERS; o++) {
		CHECK(o < t->nr_orders || !t->nr_blocks[o]);
		want += t->nr_blocks[o];
	}
	kho_tracker_iter_start(&it, t, 0, lim);
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		CHECK(order < t->nr_orders);
		CHECK(!(pfn & ((1ULL << order) - 1)) && pfn < lim);
		CHECK(!n || after(pfn, order, ppfn, porder));
		CHECK(kho_tracker_test(t, pfn, order));
		if (start < end && pfn < end && pfn + (1ULL << order) > start)
			in_range++;
		ppfn = pfn;
		porder = order;
		n++;
	}
	CHECK(n == want);

	n = 0;
	kho_tracker_iter_start(&it, t, start, end);
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		CHECK(order < t->nr_orders);
		CHECK(pfn < end && pfn + (1ULL << order) > start);
		CHECK(!n || after(pfn, order, ppfn, porder));
		CHECK(kho_tracker_test(t, pfn, order));
		ppfn = pfn;
		porder = order;
		n++;
	}
	CHECK(n == in_range);

	/* Lookups anywhere, as kho_in_covers() makes them: no crash. */
	for (o = 0; o < t->nr_orders; o++) {
		kho_tracker_test(t, start & ~((1ULL << o) - 1), o);
		kho_tracker_test(t, end & ~((1ULL << o) - 1), o);
	}
}

/* Is arena page @i still what the input holds? */
static bool page_intact(const struct arena *a, size_t i, const u8 *pages,
			size_t len)
{
	size_t psz = 1UL << a->page_shift, off = i * psz, k;
	size_t have = len - off < psz ? len - off : psz;

	if (memcmp(a->page[i], pages + off, have))
		return false;
	for (k = have; k < psz; k++)
		if (a->page[i][k])
			return false;
	return true;
}

static void fuzz_open(struct arena *a, const struct kho_fuzz_arena *h,
		      const u8 *pages, size_t len)
{
	struct kho_tracker_ops ops = { .map = map_checked, .ctx = a };
	struct node_walk w = { .a = a, .first = true };
	const char *why = NULL;
	struct kho_tracker t;
	size_t i;
	int ret;

	ret = kho_tracker_open(&t, &ops, h->hdr_phys, a->page_shift,
			       kho_fuzz_max_orders(h), &why);
	if (ret) {
		CHECK(ret == -EINVAL && why);
		return;
	}
	for (i = 0; i < a->nr; i++)
		CHECK(page_intact(a, i, pages, len));
	CHECK(t.hdr_phys == h->hdr_phys && t.nr_nodes >= 1);
	CHECK(t.nr_nodes <= a->nr);

	/* As kho_in_open_tracker(): every node preserved, checked map. */
	a->t = &t;
	kho_tracker_walk_nodes(&t, node_cb, &w);
	CHECK(w.nr == t.nr_nodes);

	/* From now on the kernel maps without checking. */
	ops.map = map_trusted;
	w.nr = 0;
	w.first = false;
	kho_tracker_walk_nodes(&t, node_cb, &w);
	CHECK(w.nr == t.nr_nodes);
	walk_blocks(&t, h);
	kho_tracker_destroy(&t);
}

/*
 * Arena pages are kept from one input to the next: fresh allocations
 * (ASan's quarantine) would cost a page fault each.
 */
static u8 *cache[KHO_FUZZ_MAX_PAGES];
static unsigned int cache_shift;

static u8 *arena_page(unsigned int page_shift, size_t i)
{
	size_t psz = 1UL << page_shift, k;

	if (page_shift != cache_shift) {
		for (k = 0; k < KHO_FUZZ_MAX_PAGES; k++) {
			free(cache[k]);
			cache[k] = NULL;
		}
		cache_shift = page_shift;
	}
	if (!cache[i])
		cache[i] = aligned_alloc(psz, psz);
	if (!cache[i])
		abort();
	return cache[i];
}

int kho_fuzz_input(const uint8_t *data, size_t size)
{
	const struct kho_fuzz_arena *h;
	struct kho_fuzz_arena hdr;
	struct arena a = { 0 };
	const u8 *pages;
	size_t psz, len, i, off;

	if (size < sizeof(hdr))
		return -1;
	memcpy(&hdr, data, sizeof(hdr));
	h = &hdr;
	pages = data + sizeof(hdr);
	len = size - sizeof(hdr);
	a.page_shift = kho_fuzz_page_shift(h);
	psz = 1UL << a.page_shift;
	a.base = h->base & ~(u64)(psz - 1);
	a.nr = (len + psz - 1) / psz;
	if (a.nr > KHO_FUZZ_MAX_PAGES)
		return -1;
	a.hole_first = h->hole_first;
	a.hole_end = a.hole_first + h->hole_count;
	a.page = calloc(a.nr + 1, sizeof(*a.page));
	a.node = calloc(a.nr + 1, 1);
	if (!a.page || !a.node)
		abort();
	for (i = 0; i < a.nr; i++) {
		off = i * psz;
		a.page[i] = arena_page(a.page_shift, i);
		memset(a.page[i], 0, psz);
		memcpy(a.page[i], pages + off, len - off < psz ? len - off : psz);
	}

	fuzz_open(&a, h, pages, len);

	free(a.page);
	free(a.node);
	return 0;
}
