// SPDX-License-Identifier: GPL-2.0
/*
 * KHO scratch memory: the areas a kernel booted by KHO uses for its early
 * allocations. Layout and sizes: Documentation/kho/concepts.rst and
 * Documentation/kho/admin.rst (kho_scratch=).
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/kernel.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/memblock.h>
#include <linux/nodemask.h>
#include <linux/pageblock-flags.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/sections.h>

#include "kexec_handover_internal.h"

#define KHO_SCRATCH_MIN		SZ_16M
#define KHO_SCRATCH_DEFAULT_PCT	125

struct kho_scratch_entry kho_scratch[KHO_SCRATCH_MAX_ENTRIES];
unsigned int kho_nr_scratch;
/* What this kernel's early boot allocated, for kho_check_image(). */
phys_addr_t kho_scratch_boot_need __ro_after_init;

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
	phys_addr_t align = PAGE_SIZE << pageblock_order;
	phys_addr_t addr;
	char name[16];

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

/*
 * Reserve scratch on a boot without handover, once this boot's own
 * allocations are known: the kexec area first, then lowmem and one per node.
 * A node or lowmem area that cannot be reserved or is not needed is skipped
 * (the next kernel falls back to the others); without a kexec area KHO is
 * disabled.
 */
void __init kho_reserve_scratch(void)
{
	phys_addr_t image = _end - _text;
	phys_addr_t initrd = 0, low_need, low, global;
	struct kho_scratch_entry global_entry;
	int nid;

#ifdef CONFIG_BLK_DEV_INITRD
	if (initrd_end > initrd_start)
		initrd = initrd_end - initrd_start;
#endif
	/* Measure everything first: scratch allocations count as well. */
	low_need = memblock_allocated_low_size();
	global = image + initrd;
	if (!scratch_is_fixed)
		pr_info("scratch at %u%% of this boot: low allocations %pa, kernel image and initrd %pa\n",
			scratch_pct, &low_need, &global);
	low = scratch_size(0, low_need);
	/*
	 * Room for two: from the second kernel of a chain on, the running
	 * kernel lies in the kexec area, and the next one is loaded beside
	 * it, in place (kho_locate_mem_hole()).
	 */
	global = scratch_size(1, 2 * global);
	for_each_node_state(nid, N_MEMORY) {
		phys_addr_t need = memblock_allocated_size(nid);

		if (!scratch_is_fixed)
			pr_info("node %d allocations %pa\n", nid, &need);
		scratch_need[nid] = scratch_size(2, need);
	}

	if (!scratch_add(low, ARCH_LOW_ADDRESS_LIMIT, NUMA_NO_NODE, "lowmem")) {
		if (low_need)
			goto fail;
		pr_info("no lowmem scratch: this boot asked for no low memory\n");
	}
	for_each_node_state(nid, N_MEMORY) {
		/* The last entry is the kexec area's. */
		if (kho_nr_scratch + 1 >= KHO_SCRATCH_MAX_ENTRIES ||
		    !scratch_add(scratch_need[nid], MEMBLOCK_ALLOC_ACCESSIBLE,
				 nid, "node"))
			pr_warn("node %d has no scratch area: the next kernel allocates its early memory on other nodes\n",
				nid);
	}
	/*
	 * The kexec area last, so below the others: a KHO boot allocates
	 * top-down from scratch, and its early allocations should fill the
	 * other areas first, not the room the next kernel is loaded into in
	 * place. It stays first in the table.
	 */
	if (!scratch_add(global, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE,
			 "global"))
		goto fail;
	global_entry = kho_scratch[kho_nr_scratch - 1];
	memmove(&kho_scratch[1], &kho_scratch[0],
		(kho_nr_scratch - 1) * sizeof(kho_scratch[0]));
	kho_scratch[0] = global_entry;
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

/*
 * Fill @order with the @nr indexes kexec_file tries: the kexec area first,
 * then by address, descending for @top_down, so that a segment needed above
 * another (arm64: initrd above the kernel) finds room. Returns @nr.
 */
unsigned int kho_scratch_order(const struct kho_scratch_entry *table,
			       unsigned int nr, unsigned int *order,
			       bool top_down)
{
	unsigned int i, j;

	for (i = 1; i < nr; i++) {
		u64 a = table[i].addr;

		/* Insert i among the sorted order[1..i-1]. */
		for (j = i - 1; j; j--) {
			u64 b = table[order[j]].addr;

			if (top_down ? b >= a : b <= a)
				break;
			order[j + 1] = order[j];
		}
		order[j + 1] = i;
	}
	if (nr)
		order[0] = 0;
	return nr;
}

/* Does any byte of [@start, @end) lie in a scratch area. */
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

/*
 * Does [@start, @end) lie wholly inside one scratch area of the outgoing
 * handover; false when KHO is not enabled. kexec loads such a segment in
 * place (kimage_take_destinations()).
 */
bool kho_range_inside_scratch(phys_addr_t start, phys_addr_t end)
{
	unsigned int i;

	if (!kho_out.ready || start >= end)
		return false;
	for (i = 0; i < kho_nr_scratch; i++) {
		if (start >= kho_scratch[i].addr &&
		    end <= kho_scratch[i].addr + kho_scratch[i].size)
			return true;
	}
	return false;
}
