// SPDX-License-Identifier: GPL-2.0
/*
 * KHO scratch memory: the areas a kernel booted by KHO may use for its
 * early allocations.
 *
 * The first kernel that enables KHO reserves them: one below the low
 * memory limit, one anywhere ("global") and one per NUMA node. Every later
 * kernel of a chain inherits the same areas through the handover and hands
 * them on, so chains have no length limit. Kexec segments always go into
 * scratch, and after boot scratch pageblocks are MIGRATE_CMA, so no page
 * that can be preserved ever sits in scratch.
 *
 * Sizes: by default each area is 100% of what this kernel needed for the
 * same purpose during its own boot, with a floor of KHO_SCRATCH_MIN:
 *   lowmem:   memblock allocations asked below ARCH_LOW_ADDRESS_LIMIT;
 *   global:   the kernel image and the initrd (the next kexec segments);
 *   per node: memblock allocations that landed on that node.
 * The next kernel of a chain is normally the same kernel on the same
 * machine, so it needs about what this one needed; see
 * Documentation/kho/admin.rst for the reasoning and for kho_scratch=.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/memblock.h>
#include <linux/nodemask.h>
#include <linux/pageblock-flags.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/sections.h>

#include "kexec_handover_internal.h"

#define KHO_SCRATCH_MIN		SZ_16M
#define KHO_SCRATCH_DEFAULT_PCT	100

struct kho_scratch_entry kho_scratch[KHO_SCRATCH_MAX_ENTRIES];
unsigned int kho_nr_scratch;

static unsigned int scratch_pct __initdata = KHO_SCRATCH_DEFAULT_PCT;
static phys_addr_t scratch_fixed[3] __initdata;	/* lowmem, global, pernode */
static bool scratch_is_fixed __initdata;
static phys_addr_t scratch_need[MAX_NUMNODES] __initdata;

/*
 * kho_scratch=N%: each area is N% of what this kernel needed.
 * kho_scratch=LOW,GLOBAL,PERNODE: fixed sizes (K, M, G suffixes).
 */
static int __init kho_parse_scratch(char *p)
{
	phys_addr_t sizes[3];
	char *end;
	int i;

	if (!p)
		goto bad;
	if (p[0] && p[strlen(p) - 1] == '%') {
		char num[8];
		unsigned int pct;

		if (strscpy(num, p, sizeof(num)) < 2)
			goto bad;
		num[strlen(num) - 1] = '\0';
		if (kstrtouint(num, 10, &pct) || !pct || pct > 1000)
			goto bad;
		scratch_pct = pct;
		return 0;
	}
	for (i = 0; i < 3; i++) {
		sizes[i] = memparse(p, &end);
		if (end == p || !sizes[i] || *end != (i < 2 ? ',' : '\0'))
			goto bad;
		p = end + 1;
	}
	memcpy(scratch_fixed, sizes, sizeof(sizes));
	scratch_is_fixed = true;
	return 0;
bad:
	pr_err("malformed kho_scratch=, using the default sizes\n");
	return 0;
}
early_param("kho_scratch", kho_parse_scratch);

static phys_addr_t __init scratch_size(unsigned int which, phys_addr_t need)
{
	phys_addr_t align = PAGE_SIZE << pageblock_order;
	phys_addr_t size;

	if (scratch_is_fixed)
		size = scratch_fixed[which];
	else
		size = max_t(phys_addr_t, div_u64((u64)need * scratch_pct, 100),
			     KHO_SCRATCH_MIN);
	return round_up(size, align);
}

static bool __init scratch_add(phys_addr_t size, phys_addr_t end, int nid,
			       const char *what)
{
	char name[16];

	phys_addr_t align = PAGE_SIZE << pageblock_order;
	phys_addr_t addr;

	if (nid == NUMA_NO_NODE)
		strscpy(name, what, sizeof(name));
	else
		snprintf(name, sizeof(name), "node %d", nid);
	if (kho_nr_scratch >= KHO_SCRATCH_MAX_ENTRIES) {
		pr_err("more than %d scratch areas\n", KHO_SCRATCH_MAX_ENTRIES);
		return false;
	}
	addr = memblock_alloc_range_nid(size, align, 0, end, nid, true);
	if (!addr) {
		pr_err("cannot reserve %pa bytes of %s scratch memory\n",
		       &size, name);
		return false;
	}
	memblock_mark_kho_scratch(addr, size);
	kho_scratch[kho_nr_scratch].addr = addr;
	kho_scratch[kho_nr_scratch].size = size;
	kho_nr_scratch++;
	pr_info("%s scratch: %pa + %pa\n", name, &addr, &size);
	return true;
}

/**
 * kho_reserve_scratch() - reserve scratch areas on a boot without handover
 *
 * Called late in memblock's life, when this kernel's own boot allocations
 * are known. On failure KHO is disabled: without scratch there can be no
 * handover.
 */
void __init kho_reserve_scratch(void)
{
	phys_addr_t image = _end - _text;
	phys_addr_t initrd = 0, low, global;
	int nid;

#ifdef CONFIG_BLK_DEV_INITRD
	if (initrd_end > initrd_start)
		initrd = initrd_end - initrd_start;
#endif
	/* Measure everything first: scratch allocations count as well. */
	low = memblock_allocated_low_size();
	global = image + initrd;
	if (!scratch_is_fixed)
		pr_info("scratch at %u%% of this boot: low allocations %pa, kernel image and initrd %pa\n",
			scratch_pct, &low, &global);
	low = scratch_size(0, low);
	global = scratch_size(1, global);
	for_each_online_node(nid) {
		phys_addr_t need = memblock_allocated_size(nid);

		if (!scratch_is_fixed)
			pr_info("node %d allocations %pa\n", nid, &need);
		scratch_need[nid] = scratch_size(2, need);
	}

	if (!scratch_add(low, ARCH_LOW_ADDRESS_LIMIT, NUMA_NO_NODE, "lowmem") ||
	    !scratch_add(global, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE,
			 "global"))
		goto fail;
	for_each_online_node(nid) {
		if (!scratch_add(scratch_need[nid], MEMBLOCK_ALLOC_ACCESSIBLE,
				 nid, "node"))
			goto fail;
	}
	kho_sort_scratch();
	return;

fail:
	while (kho_nr_scratch) {
		kho_nr_scratch--;
		memblock_clear_kho_scratch(kho_scratch[kho_nr_scratch].addr,
					   kho_scratch[kho_nr_scratch].size);
		memblock_phys_free(kho_scratch[kho_nr_scratch].addr,
				   kho_scratch[kho_nr_scratch].size);
	}
	pr_err("no scratch memory: KHO disabled\n");
}

/**
 * kho_sort_scratch() - order the scratch table by address
 *
 * kexec_file places segments bottom-up or top-down through the table, and
 * some loaders need a segment above another one (arm64: the initrd above
 * the kernel).
 */
void kho_sort_scratch(void)
{
	unsigned int i, j;

	for (i = 1; i < kho_nr_scratch; i++) {
		struct kho_scratch_entry e = kho_scratch[i];

		for (j = i; j && kho_scratch[j - 1].addr > e.addr; j--)
			kho_scratch[j] = kho_scratch[j - 1];
		kho_scratch[j] = e;
	}
}

/**
 * kho_range_in_scratch() - does a physical range overlap scratch memory
 * @start: first byte
 * @end: one past the last byte
 *
 * Return: true if any byte of [@start, @end) is in a scratch area.
 */
bool kho_range_in_scratch(phys_addr_t start, phys_addr_t end)
{
	unsigned int i;

	for (i = 0; i < kho_nr_scratch; i++) {
		if (start < kho_scratch[i].addr + kho_scratch[i].size &&
		    kho_scratch[i].addr < end)
			return true;
	}
	return false;
}
