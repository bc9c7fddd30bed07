// SPDX-License-Identifier: GPL-2.0-or-later
#include <limits.h>
#include <linux/math.h>
#include "kho_scratch_api.h"

#define FUNC_NAME			"memblock_kho_scratch"

/*
 * contains the fraction of MEM_SIZE contained in each node in basis point
 * units (one hundredth of 1% or 1/10000)
 */
static const unsigned int node_fractions[] = {
	2500, /* 1/4  */
	 625, /* 1/16 */
	1250, /* 1/8  */
	1250, /* 1/8  */
	 625, /* 1/16 */
	 625, /* 1/16 */
	2500, /* 1/4  */
	 625, /* 1/16 */
};

/* Check that [@base, @base + @size) lies inside a single scratch region */
static bool in_kho_scratch(phys_addr_t base, phys_addr_t size)
{
	struct memblock_region *rgn;

	for_each_mem_region(rgn) {
		if (!memblock_is_kho_scratch(rgn))
			continue;
		if (base >= rgn->base && base + size <= region_end(rgn))
			return true;
	}

	return false;
}

static inline phys_addr_t region_base_end(struct region *r)
{
	return r->base + r->size;
}

/*
 * A test that marks the middle of a memory region as KHO scratch and clears
 * it again in two steps:
 *
 *  |    +-----------------------------------+    |
 *  |    |                rgn                |    |
 *  +----+-----------------------------------+----+
 *
 *  |    +--------+-----------------+--------+    |
 *  |    |        |     scratch     |        |    |
 *  +----+--------+-----------------+--------+----+
 *
 * Expect the region to be split in three with only the middle one flagged,
 * then the unflagged parts to merge back into one region. The total size of
 * memory does not change.
 */
static int kho_scratch_mark_split_check(void)
{
	struct memblock_region *rgn = memblock.memory.regions;
	struct region r = {
		.base = SZ_1G,
		.size = SZ_64K
	};
	struct region s = {
		.base = SZ_1G + SZ_16K,
		.size = SZ_32K
	};

	PREFIX_PUSH();

	reset_memblock_regions();
	memblock_add(r.base, r.size);

	ASSERT_EQ(memblock_mark_kho_scratch(s.base, s.size), 0);

	ASSERT_EQ(memblock.memory.cnt, 3);
	ASSERT_EQ(memblock.memory.total_size, r.size);

	ASSERT_EQ(rgn[0].base, r.base);
	ASSERT_EQ(rgn[0].size, s.base - r.base);
	ASSERT_EQ(rgn[0].flags, MEMBLOCK_NONE);
	ASSERT_FALSE(memblock_is_kho_scratch(&rgn[0]));

	ASSERT_EQ(rgn[1].base, s.base);
	ASSERT_EQ(rgn[1].size, s.size);
	ASSERT_EQ(rgn[1].flags, MEMBLOCK_KHO_SCRATCH);
	ASSERT_TRUE(memblock_is_kho_scratch(&rgn[1]));

	ASSERT_EQ(rgn[2].base, region_base_end(&s));
	ASSERT_EQ(rgn[2].size, region_base_end(&r) - region_base_end(&s));
	ASSERT_EQ(rgn[2].flags, MEMBLOCK_NONE);

	/* clearing the lower half merges it with the first region */
	ASSERT_EQ(memblock_clear_kho_scratch(s.base, s.size / 2), 0);

	ASSERT_EQ(memblock.memory.cnt, 3);
	ASSERT_EQ(rgn[0].base, r.base);
	ASSERT_EQ(rgn[0].size, s.base + s.size / 2 - r.base);
	ASSERT_EQ(rgn[0].flags, MEMBLOCK_NONE);
	ASSERT_EQ(rgn[1].base, s.base + s.size / 2);
	ASSERT_EQ(rgn[1].size, s.size / 2);
	ASSERT_EQ(rgn[1].flags, MEMBLOCK_KHO_SCRATCH);

	ASSERT_EQ(memblock_clear_kho_scratch(s.base, s.size), 0);

	ASSERT_EQ(memblock.memory.cnt, 1);
	ASSERT_EQ(rgn[0].base, r.base);
	ASSERT_EQ(rgn[0].size, r.size);
	ASSERT_EQ(rgn[0].flags, MEMBLOCK_NONE);
	ASSERT_EQ(memblock.memory.total_size, r.size);

	test_pass_pop();

	return 0;
}

/*
 * A test that marks a range spanning the end of one memory region, a hole
 * and the start of the next region as KHO scratch:
 *
 *  |  +-----------+           +-----------+  |
 *  |  |    r1     |           |    r2     |  |
 *  +--+-----+-----+-----------+-----+-----+--+
 *           ^                       ^
 *           |                       |
 *           scratch start           scratch end
 *
 * Expect both regions to be split, the parts inside the range to be flagged,
 * and the hole not to be added as memory.
 */
static int kho_scratch_mark_across_regions_check(void)
{
	struct memblock_region *rgn = memblock.memory.regions;
	struct region r1 = {
		.base = SZ_1G,
		.size = SZ_16K
	};
	struct region r2 = {
		.base = SZ_1G + SZ_32K,
		.size = SZ_16K
	};
	phys_addr_t s_base = r1.base + SZ_8K;
	phys_addr_t s_end = r2.base + SZ_8K;
	struct memblock_region *r;
	phys_addr_t scratch = 0;

	PREFIX_PUSH();

	reset_memblock_regions();
	memblock_add(r1.base, r1.size);
	memblock_add(r2.base, r2.size);

	ASSERT_EQ(memblock_mark_kho_scratch(s_base, s_end - s_base), 0);

	ASSERT_EQ(memblock.memory.cnt, 4);
	ASSERT_EQ(memblock.memory.total_size, r1.size + r2.size);

	ASSERT_EQ(rgn[0].base, r1.base);
	ASSERT_FALSE(memblock_is_kho_scratch(&rgn[0]));
	ASSERT_EQ(rgn[1].base, s_base);
	ASSERT_EQ(region_end(&rgn[1]), region_base_end(&r1));
	ASSERT_TRUE(memblock_is_kho_scratch(&rgn[1]));
	ASSERT_EQ(rgn[2].base, r2.base);
	ASSERT_EQ(region_end(&rgn[2]), s_end);
	ASSERT_TRUE(memblock_is_kho_scratch(&rgn[2]));
	ASSERT_EQ(region_end(&rgn[3]), region_base_end(&r2));
	ASSERT_FALSE(memblock_is_kho_scratch(&rgn[3]));

	for_each_mem_region(r)
		if (memblock_is_kho_scratch(r))
			scratch += r->size;
	ASSERT_EQ(scratch, SZ_16K);

	test_pass_pop();

	return 0;
}

/*
 * A test that allocates with several memblock APIs in scratch-only mode,
 * with two scratch areas in the middle of the available memory:
 *
 *  |    +------+        +------+            |
 *  |    |  A   |        |  B   |            |
 *  +----+------+--------+------+------------+
 *
 * Expect every allocation to land in a scratch area, at its end for
 * top-down and at its start for bottom-up, moving on to the other area when
 * the first one is full. memblock_alloc_from() with a lower limit above all
 * scratch memory retries without the limit and stays in scratch.
 */
static int kho_scratch_only_alloc_generic_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	phys_addr_t e1, e2, e3, e4, mem;
	struct region a, b;
	void *p1, *p3, *p4;
	phys_addr_t p2;

	PREFIX_PUSH();
	setup_memblock();

	mem = memblock_start_of_DRAM();
	a.base = mem + SZ_4K;
	a.size = SZ_4K;
	b.base = mem + SZ_16K;
	b.size = SZ_4K;

	memblock_mark_kho_scratch(a.base, a.size);
	memblock_mark_kho_scratch(b.base, b.size);
	memblock_set_kho_scratch_only();
	ASSERT_TRUE(memblock_is_kho_scratch_only());

	if (memblock_bottom_up()) {
		e1 = round_up(a.base, align);
		e2 = round_up(e1 + SZ_1K, align);
		e3 = round_up(b.base, align);
		e4 = round_up(e2 + SZ_2K, align);
	} else {
		e1 = round_down(region_base_end(&b) - SZ_1K, align);
		e2 = round_down(e1 - SZ_2K, align);
		e3 = round_down(region_base_end(&a) - SZ_2K, align);
		e4 = round_down(e2 - SZ_512, align);
	}

	p1 = memblock_alloc(SZ_1K, align);
	ASSERT_NE(p1, NULL);
	ASSERT_EQ((phys_addr_t)p1, e1);
	ASSERT_MEM_EQ(p1, 0, SZ_1K);

	p2 = memblock_phys_alloc(SZ_2K, align);
	ASSERT_EQ(p2, e2);

	/* the first area cannot hold it anymore */
	p3 = memblock_alloc_try_nid_raw(SZ_2K, align, MEMBLOCK_LOW_LIMIT,
					MEMBLOCK_ALLOC_ACCESSIBLE,
					NUMA_NO_NODE);
	ASSERT_NE(p3, NULL);
	ASSERT_EQ((phys_addr_t)p3, e3);
	ASSERT_MEM_NE(p3, 0, SZ_2K);

	/* no scratch above min_addr: retry without the lower limit */
	p4 = memblock_alloc_from(SZ_512, align, mem + SZ_16K + SZ_8K);
	ASSERT_NE(p4, NULL);
	ASSERT_EQ((phys_addr_t)p4, e4);
	ASSERT_MEM_EQ(p4, 0, SZ_512);

	ASSERT_TRUE(in_kho_scratch((phys_addr_t)p1, SZ_1K));
	ASSERT_TRUE(in_kho_scratch(p2, SZ_2K));
	ASSERT_TRUE(in_kho_scratch((phys_addr_t)p3, SZ_2K));
	ASSERT_TRUE(in_kho_scratch((phys_addr_t)p4, SZ_512));

	ASSERT_EQ(memblock.reserved.total_size, SZ_1K + SZ_2K + SZ_2K + SZ_512);

	memblock_clear_kho_scratch_only();

	test_pass_pop();

	return 0;
}

/*
 * A test that tries to allocate more than the free scratch memory in
 * scratch-only mode, while most of the memory is free:
 *
 *  |        +---+                           |
 *  |        | S |                           |
 *  +--------+---+---------------------------+
 *
 * Expect the allocations that do not fit in the scratch area to fail with
 * every API and nothing to be reserved outside of it.
 */
static int kho_scratch_only_fail_generic_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	struct region s;
	void *ptr;

	PREFIX_PUSH();
	setup_memblock();

	s.base = memblock_start_of_DRAM() + SZ_8K;
	s.size = SZ_1K;
	memblock_mark_kho_scratch(s.base, s.size);
	memblock_set_kho_scratch_only();

	ASSERT_EQ(memblock_alloc(SZ_2K, align), NULL);
	ASSERT_EQ(memblock_alloc_raw(SZ_2K, align), NULL);
	ASSERT_EQ(memblock_phys_alloc_range(SZ_2K, align, 0,
					    MEMBLOCK_ALLOC_ANYWHERE), 0);
	ASSERT_EQ(memblock_phys_alloc_try_nid(SZ_2K, align, 0), 0);
	ASSERT_EQ(memblock_alloc_exact_nid_raw(SZ_2K, align, 0,
					       MEMBLOCK_ALLOC_ACCESSIBLE, 0),
		  NULL);
	ASSERT_EQ(memblock.reserved.cnt, 0);
	ASSERT_EQ(memblock.reserved.total_size, 0);

	/* a small allocation fits, a second one no longer does */
	ptr = memblock_alloc(SZ_512, align);
	ASSERT_NE(ptr, NULL);
	ASSERT_TRUE(in_kho_scratch((phys_addr_t)ptr, SZ_512));
	ASSERT_EQ(memblock_alloc(SZ_1K, align), NULL);

	ASSERT_EQ(memblock.reserved.cnt, 1);
	ASSERT_EQ(memblock.reserved.total_size, SZ_512);

	memblock_clear_kho_scratch_only();

	test_pass_pop();

	return 0;
}

/*
 * A test that iterates over memory while scratch-only mode is enabled, as
 * memblock_free_all() and architecture code do:
 *
 *  | +--+  +------+        +------+        |
 *  | |r |  |  A   |        |  B   |        |
 *  +-+--+--+------+--------+------+--------+
 *
 * Expect for_each_mem_range() and for_each_free_mem_range() with
 * %MEMBLOCK_NONE to see all memory, and for_each_free_mem_range() with
 * %MEMBLOCK_KHO_SCRATCH to see only the free scratch memory.
 */
static int kho_scratch_only_iterate_check(void)
{
	phys_addr_t start, end, mem, total = 0, scratch = 0;
	bool outside = false;
	struct region a, b;
	int ranges = 0;
	void *ptr;
	u64 i;

	PREFIX_PUSH();
	setup_memblock();

	mem = memblock_start_of_DRAM();
	a.base = mem + SZ_4K;
	a.size = SZ_4K;
	b.base = mem + SZ_16K;
	b.size = SZ_4K;
	memblock_mark_kho_scratch(a.base, a.size);
	memblock_mark_kho_scratch(b.base, b.size);
	memblock_reserve(mem, SZ_1K);
	memblock_set_kho_scratch_only();

	ptr = memblock_alloc(SZ_1K, SMP_CACHE_BYTES);
	ASSERT_NE(ptr, NULL);

	for_each_mem_range(i, &start, &end) {
		total += end - start;
		ranges++;
	}
	ASSERT_EQ(ranges, 5);
	ASSERT_EQ(total, MEM_SIZE);

	total = 0;
	for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &start, &end,
				NULL) {
		total += end - start;
		if (!in_kho_scratch(start, end - start))
			outside = true;
	}
	ASSERT_EQ(total, MEM_SIZE - memblock.reserved.total_size);
	ASSERT_TRUE(outside);

	for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_KHO_SCRATCH, &start,
				&end, NULL) {
		ASSERT_TRUE(in_kho_scratch(start, end - start));
		scratch += end - start;
	}
	ASSERT_EQ(scratch, a.size + b.size - SZ_1K);

	memblock_clear_kho_scratch_only();

	test_pass_pop();

	return 0;
}

/*
 * A test that leaves scratch-only mode:
 *
 *  |        +------+                        |
 *  |        |  S   |                        |
 *  +--------+------+------------------------+
 *
 * Expect allocations to land in scratch while the mode is set and at the
 * usual place (end of memory for top-down, start for bottom-up) after it is
 * cleared.
 */
static int kho_scratch_clear_only_generic_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	phys_addr_t expected;
	struct region s;
	void *ptr;

	PREFIX_PUSH();
	setup_memblock();

	s.base = memblock_start_of_DRAM() + SZ_8K;
	s.size = SZ_4K;
	memblock_mark_kho_scratch(s.base, s.size);

	memblock_set_kho_scratch_only();
	ptr = memblock_alloc(SZ_1K, align);
	ASSERT_NE(ptr, NULL);
	ASSERT_TRUE(in_kho_scratch((phys_addr_t)ptr, SZ_1K));

	memblock_clear_kho_scratch_only();
	ASSERT_FALSE(memblock_is_kho_scratch_only());

	if (memblock_bottom_up())
		expected = round_up(memblock_start_of_DRAM(), align);
	else
		expected = round_down(memblock_end_of_DRAM() - SZ_1K, align);

	ptr = memblock_alloc(SZ_1K, align);
	ASSERT_NE(ptr, NULL);
	ASSERT_EQ((phys_addr_t)ptr, expected);
	ASSERT_FALSE(in_kho_scratch((phys_addr_t)ptr, SZ_1K));

	ASSERT_EQ(memblock.reserved.cnt, 2);

	test_pass_pop();

	return 0;
}

/*
 * A test that makes memblock double its reserved regions array in
 * scratch-only mode, with enough memory above the scratch area for the new
 * array:
 *
 *  |    +----------------+                  |
 *  |    |       S        |                  |
 *  +----+----------------+------------------+
 *
 * Expect the new array to be allocated top-down from the scratch area and to
 * be accounted as allocated memory.
 */
static int kho_scratch_double_array_check(void)
{
	phys_addr_t fake_base = SZ_128K;
	phys_addr_t new_size, allocated, addr;
	void *orig_region;
	struct region s;
	int i;

	PREFIX_PUSH();

	reset_memblock_regions();
	memblock_set_bottom_up(false);
	memblock_allow_resize();
	memblock_add(dummy_physical_memory_base(), MEM_SIZE);

	s.base = memblock_start_of_DRAM() + SZ_4K;
	s.size = SZ_8K + SZ_4K;
	memblock_mark_kho_scratch(s.base, s.size);
	memblock_set_kho_scratch_only();

	/* fill the reserved array with fake disjoint regions */
	for (i = 0; i < INIT_MEMBLOCK_RESERVED_REGIONS; i++) {
		memblock_reserve(fake_base, SZ_1K);
		fake_base += SZ_2K;
	}
	ASSERT_EQ(memblock.reserved.cnt, INIT_MEMBLOCK_RESERVED_REGIONS);

	orig_region = memblock.reserved.regions;
	allocated = memblock_allocated_size(NUMA_NO_NODE);

	memblock_reserve(fake_base, SZ_1K);

	new_size = PAGE_ALIGN(INIT_MEMBLOCK_RESERVED_REGIONS * 2 *
			      sizeof(struct memblock_region));
	addr = (phys_addr_t)memblock.reserved.regions;

	ASSERT_NE(memblock.reserved.regions, orig_region);
	ASSERT_EQ(memblock.reserved.max, INIT_MEMBLOCK_RESERVED_REGIONS * 2);
	ASSERT_EQ(memblock.reserved.cnt, INIT_MEMBLOCK_RESERVED_REGIONS + 2);
	ASSERT_TRUE(in_kho_scratch(addr, new_size));
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), allocated + new_size);

	memblock_clear_kho_scratch_only();

	/* the new array lives in the dummy memory: restore the static one */
	memblock.reserved.regions = orig_region;
	memblock.reserved.cnt = INIT_MEMBLOCK_RESERVED_REGIONS;

	test_pass_pop();

	return 0;
}

/*
 * A test that checks memblock_allocated_size() and
 * memblock_allocated_low_size() with memory above the low address limit
 * (the dummy memory) and fake memory below 1M:
 *
 *  |  +-----+                      +---------+  |
 *  |  | low |                      |  dummy  |  |
 *  +--+-----+----------------------+---------+--+
 *     ^                            ^
 *     SZ_256K                      dummy_physical_memory_base()
 *
 * Expect successful allocations to be counted in the total, allocations
 * that asked for memory below ARCH_LOW_ADDRESS_LIMIT (an end up to the
 * limit + 1, not a low current limit) to be counted as low and not for
 * their node, failed allocations, reservations and frees not to change the
 * counters. Without NUMA all memory is node 0, with NUMA memory added
 * without a node is only counted in the total.
 */
static int kho_scratch_allocated_size_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	phys_addr_t total, low, node0, addr;
	struct region lowmem = {
		.base = SZ_256K,
		.size = SZ_256K
	};
	void *ptr;

	PREFIX_PUSH();

	reset_memblock_regions();
	memblock_set_bottom_up(false);
	memblock_add(lowmem.base, lowmem.size);
	memblock_add(dummy_physical_memory_base(), MEM_SIZE);

	total = memblock_allocated_size(NUMA_NO_NODE);
	low = memblock_allocated_low_size();
	node0 = memblock_allocated_size(0);

	ptr = memblock_alloc(SZ_1K, align);
	ASSERT_NE(ptr, NULL);
	ASSERT_LE(dummy_physical_memory_base(), (phys_addr_t)ptr);
	total += SZ_1K;
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);

	addr = memblock_phys_alloc_range(SZ_2K, align, 0, SZ_1M);
	ASSERT_EQ(addr, region_base_end(&lowmem) - SZ_2K);
	total += SZ_2K;
	low += SZ_2K;
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);

	/* what memblock_alloc_low() does, minus the zeroing */
	ptr = memblock_alloc_try_nid_raw(SZ_4K, align, MEMBLOCK_LOW_LIMIT,
					 ARCH_LOW_ADDRESS_LIMIT, NUMA_NO_NODE);
	ASSERT_NE(ptr, NULL);
	ASSERT_LT((phys_addr_t)ptr, region_base_end(&lowmem));
	total += SZ_4K;
	low += SZ_4K;
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);

	/*
	 * A request ending exactly at the limit + 1 (an exclusive end below
	 * 4 GiB, like crashkernel's first try) is low too.
	 */
	addr = memblock_phys_alloc_range(SZ_1K, align, 0,
					 (phys_addr_t)ARCH_LOW_ADDRESS_LIMIT + 1);
	ASSERT_NE(addr, 0);
	ASSERT_LT(addr, region_base_end(&lowmem));
	total += SZ_1K;
	low += SZ_1K;
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);

	/* failed allocations, reservations and frees are not counted */
	ASSERT_EQ(memblock_phys_alloc_range(SZ_1M, align, 0, SZ_1M), 0);
	memblock_reserve(lowmem.base, SZ_1K);
	memblock_phys_free(addr, SZ_2K);
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);

	/* a low current limit does not make a request a low one */
	memblock_set_current_limit(SZ_1M);
	addr = memblock_phys_alloc(SZ_512, align);
	ASSERT_NE(addr, 0);
	total += SZ_512;
	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total);
	ASSERT_EQ(memblock_allocated_low_size(), low);
	memblock_set_current_limit(MEMBLOCK_ALLOC_ANYWHERE);

#ifdef CONFIG_NUMA
	ASSERT_EQ(memblock_allocated_size(0), node0);
#else
	/* low requests count for lowmem only */
	ASSERT_EQ(memblock_allocated_size(0) - node0, SZ_1K + SZ_512);
#endif

	test_pass_pop();

	return 0;
}

/*
 * A test that allocates in scratch-only mode on a system with mirrored
 * memory, with a mirrored scratch area M, a scratch area A that is not
 * mirrored, and mirrored memory X that is not scratch:
 *
 *  |    +------+    +---+          +------+    |
 *  |    |  A   |    | M |          |  X   |    |
 *  +----+------+----+---+----------+------+----+
 *
 * Expect the allocations to prefer M, to fall back to A without the mirror
 * requirement, but never to use X: once the scratch memory is exhausted the
 * allocation fails.
 *
 * Marking memory as mirrored cannot be undone in the simulator, so this test
 * must run last.
 */
static int kho_scratch_mirror_generic_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	struct region a, m, x;
	phys_addr_t e1, e2;
	void *p1, *p2;

	PREFIX_PUSH();
	setup_memblock();

	a.base = memblock_start_of_DRAM() + SZ_4K;
	a.size = SZ_4K;
	m.base = memblock_start_of_DRAM() + SZ_8K + SZ_4K;
	m.size = SZ_2K;
	x.base = memblock_start_of_DRAM() + SZ_16K + SZ_8K;
	x.size = SZ_4K;

	mirrored_kernelcore = true;
	memblock_mark_mirror(m.base, m.size);
	memblock_mark_mirror(x.base, x.size);
	memblock_mark_kho_scratch(a.base, a.size);
	memblock_mark_kho_scratch(m.base, m.size);
	ASSERT_EQ(memblock.memory.cnt, 7);
	ASSERT_EQ(memblock.memory.regions[3].flags,
		  MEMBLOCK_MIRROR | MEMBLOCK_KHO_SCRATCH);

	memblock_set_kho_scratch_only();

	if (memblock_bottom_up()) {
		e1 = round_up(m.base, align);
		e2 = round_up(a.base, align);
	} else {
		e1 = round_down(region_base_end(&m) - SZ_1K, align);
		e2 = round_down(region_base_end(&a) - SZ_2K, align);
	}

	/* mirrored scratch memory is preferred */
	p1 = memblock_alloc(SZ_1K, align);
	ASSERT_NE(p1, NULL);
	ASSERT_EQ((phys_addr_t)p1, e1);

	/* no room in M: fall back to A, not to X */
	p2 = memblock_alloc(SZ_2K, align);
	ASSERT_NE(p2, NULL);
	ASSERT_EQ((phys_addr_t)p2, e2);

	/* X has room but is not scratch */
	ASSERT_EQ(memblock_alloc(SZ_4K, align), NULL);
	ASSERT_EQ(memblock_phys_alloc_range(SZ_4K, align, x.base,
					    region_base_end(&x)), 0);

	ASSERT_EQ(memblock.reserved.cnt, 2);
	ASSERT_EQ(memblock.reserved.total_size, SZ_1K + SZ_2K);

	memblock_clear_kho_scratch_only();
	mirrored_kernelcore = false;

	test_pass_pop();

	return 0;
}

/*
 * A test that allocates in scratch-only mode on a NUMA system, with scratch
 * areas S0 in node 0 and S6 in node 6 and none in node 3:
 *
 *  | +-----+------+-----+  ...  +-----+------+-----+  ... |
 *  | |     |  S0  |     |       |     |  S6  |     |      |
 *  +-+-----+------+-----+-------+-----+------+-----+------+
 *    ^                  ^       ^                  ^
 *    node 0                     node 6
 *
 * Expect an allocation on node 6 to land in S6, an allocation on node 3 to
 * fall back to another node's scratch, an exact allocation on node 3 to
 * fail, and the allocations to be accounted to the node they landed on.
 */
static int kho_scratch_numa_generic_check(void)
{
	phys_addr_t align = SMP_CACHE_BYTES;
	phys_addr_t node_before[NUMA_NODES];
	phys_addr_t min_addr, max_addr, e1, e2, total;
	struct memblock_region *node;
	struct region s0, s6;
	void *p1, *p2, *p3;
	int i;

	PREFIX_PUSH();
	setup_numa_memblock(node_fractions);

	node = &memblock.memory.regions[0];
	s0.base = node->base + node->size / 4;
	s0.size = node->size / 2;
	node = &memblock.memory.regions[6];
	s6.base = node->base + node->size / 4;
	s6.size = node->size / 2;

	min_addr = memblock_start_of_DRAM();
	max_addr = memblock_end_of_DRAM();

	memblock_mark_kho_scratch(s0.base, s0.size);
	memblock_mark_kho_scratch(s6.base, s6.size);
	memblock_set_kho_scratch_only();

	total = memblock_allocated_size(NUMA_NO_NODE);
	for (i = 0; i < NUMA_NODES; i++)
		node_before[i] = memblock_allocated_size(i);

	if (memblock_bottom_up()) {
		e1 = round_up(s6.base, align);
		e2 = round_up(s0.base, align);
	} else {
		e1 = round_down(region_base_end(&s6) - SZ_1K, align);
		e2 = round_down(e1 - SZ_1K, align);
	}

	p1 = memblock_alloc_try_nid(SZ_1K, align, min_addr, max_addr, 6);
	ASSERT_NE(p1, NULL);
	ASSERT_EQ((phys_addr_t)p1, e1);

	/* node 3 has no scratch memory: fall back to any node's scratch */
	p2 = memblock_alloc_try_nid(SZ_1K, align, min_addr, max_addr, 3);
	ASSERT_NE(p2, NULL);
	ASSERT_EQ((phys_addr_t)p2, e2);

	ASSERT_EQ(memblock_alloc_exact_nid_raw(SZ_1K, align, min_addr,
					       max_addr, 3), NULL);

	p3 = memblock_alloc_exact_nid_raw(SZ_1K, align, min_addr, max_addr, 0);
	ASSERT_NE(p3, NULL);
	ASSERT_TRUE(in_kho_scratch((phys_addr_t)p3, SZ_1K));
	ASSERT_LE(s0.base, (phys_addr_t)p3);
	ASSERT_LE((phys_addr_t)p3 + SZ_1K, region_base_end(&s0));

	ASSERT_EQ(memblock_allocated_size(NUMA_NO_NODE), total + 3 * SZ_1K);
	ASSERT_EQ(memblock_allocated_size(3), node_before[3]);
	if (memblock_bottom_up()) {
		ASSERT_EQ(memblock_allocated_size(6), node_before[6] + SZ_1K);
		ASSERT_EQ(memblock_allocated_size(0), node_before[0] + SZ_2K);
	} else {
		ASSERT_EQ(memblock_allocated_size(6), node_before[6] + SZ_2K);
		ASSERT_EQ(memblock_allocated_size(0), node_before[0] + SZ_1K);
	}

	memblock_clear_kho_scratch_only();

	test_pass_pop();

	return 0;
}

/* Test case wrappers */
static int kho_scratch_mark_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	kho_scratch_mark_split_check();
	kho_scratch_mark_across_regions_check();

	return 0;
}

static int kho_scratch_only_alloc_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	run_top_down(kho_scratch_only_alloc_generic_check);
	run_bottom_up(kho_scratch_only_alloc_generic_check);

	return 0;
}

static int kho_scratch_only_fail_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	run_top_down(kho_scratch_only_fail_generic_check);
	run_bottom_up(kho_scratch_only_fail_generic_check);

	return 0;
}

static int kho_scratch_clear_only_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	run_top_down(kho_scratch_clear_only_generic_check);
	run_bottom_up(kho_scratch_clear_only_generic_check);

	return 0;
}

static int kho_scratch_mirror_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	run_top_down(kho_scratch_mirror_generic_check);
	run_bottom_up(kho_scratch_mirror_generic_check);

	return 0;
}

static int kho_scratch_numa_check(void)
{
	test_print("\tRunning %s...\n", __func__);
	run_top_down(kho_scratch_numa_generic_check);
	run_bottom_up(kho_scratch_numa_generic_check);

	return 0;
}

int __memblock_kho_scratch_numa_checks(void)
{
	test_print("Running %s NUMA tests...\n", FUNC_NAME);

	kho_scratch_numa_check();

	return 0;
}

int memblock_kho_scratch_checks(void)
{
	prefix_reset();
	prefix_push(FUNC_NAME);
	test_print("Running %s tests...\n", FUNC_NAME);

	reset_memblock_attributes();
	dummy_physical_memory_init();

	kho_scratch_mark_check();
	kho_scratch_only_alloc_check();
	kho_scratch_only_fail_check();
	kho_scratch_only_iterate_check();
	kho_scratch_clear_only_check();
	kho_scratch_double_array_check();
	kho_scratch_allocated_size_check();
	memblock_kho_scratch_numa_checks();
	/* leaves mirrored memory enabled: keep it last */
	kho_scratch_mirror_check();

	dummy_physical_memory_cleanup();

	prefix_pop();

	return 0;
}
