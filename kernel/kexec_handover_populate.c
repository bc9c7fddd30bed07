// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO): the handover the architecture found at boot.
 *
 * Early, before the first memblock allocation, the architecture hands the
 * root tree address and the scratch table to kho_populate(). They are
 * checked; the scratch areas are marked in memblock and memblock switches
 * to scratch-only allocation. Anything wrong is reported in one line and
 * the kernel boots on without the handover.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/sections.h>

#include "kexec_handover_internal.h"

struct kho_in kho_in = {
	.lock = __RWSEM_INITIALIZER(kho_in.lock),
};

const char *kho_in_why;

static bool __init kho_phys_in_scratch(phys_addr_t start, phys_addr_t size)
{
	return kho_range_in_scratch(start, start + size);
}

/*
 * RAM the kernel maps: one memblock region holds the whole range (regions
 * of different flags are not merged), and it is not NOMAP.
 */
static bool __init kho_phys_is_ram(phys_addr_t start, phys_addr_t size)
{
	return size && start + size > start &&
	       memblock_is_region_memory(start, size) &&
	       memblock_is_map_memory(start);
}

/* RAM nothing else holds: not NOMAP, not reserved, not scratch. */
bool __init kho_phys_is_free_ram(phys_addr_t start, phys_addr_t size)
{
	return kho_phys_is_ram(start, size) &&
	       !memblock_is_region_reserved(start, size) &&
	       !kho_phys_in_scratch(start, size);
}

/*
 * A blob of the incoming handover for memblock code before the initcalls
 * (reserve_mem=), after kho_populate() and before kho_memory_init(). The blob
 * lies in RAM outside scratch, but whether @client preserved it is known only
 * later: the caller checks everything it reads and claims what it keeps
 * through the client API once registered. 0; -ENOENT (no handover, client,
 * blob, or not @compatible); -EINVAL (outside RAM or in scratch).
 */
int __init kho_early_blob(const char *client, const char *compatible,
			  const char *name, phys_addr_t *phys, size_t *size)
{
	struct kho_root_client c;
	const void *fdt;
	int node = 0;
	u64 p, s;

	if (!kho_in.found)
		return -ENOENT;
	fdt = phys_to_virt(kho_in.root_phys);
	while ((node = kho_root_next_client(fdt, node, &c)) > 0) {
		if (strcmp(c.name, client))
			continue;
		if (strcmp(c.compatible, compatible) ||
		    kho_root_find_blob(fdt, c.node, name, &p, &s))
			return -ENOENT;
		if (!kho_phys_is_ram(p, s) || kho_phys_in_scratch(p, s))
			return -EINVAL;
		*phys = p;
		*size = s;
		return 0;
	}
	return -ENOENT;
}

/*
 * Take the handover found by the architecture code, before the first
 * memblock allocation; the caller maps @scratch. Accepted (true), memblock
 * allocates only from scratch from now on.
 */
bool __init kho_populate(phys_addr_t root_phys, size_t root_size,
			 const struct kho_scratch_entry *scratch,
			 unsigned int nr)
{
	phys_addr_t early;
	const char *why;
	unsigned int i;
	u64 tracker;
	void *fdt;
	int err;

	if (!kho_enable) {
		pr_info("kho=off: ignoring the handover from the previous kernel\n");
		kho_in_why = "kho=off";
		return false;
	}
	if (is_kdump_kernel()) {
		pr_info("crash kernel: ignoring the handover\n");
		kho_in_why = "crash kernel";
		return false;
	}
	if (!root_size || root_size > KHO_ROOT_MAX_SIZE ||
	    !kho_phys_is_ram(root_phys, root_size) ||
	    memblock_is_region_reserved(root_phys, root_size)) {
		why = "bad root tree address";
		goto fail;
	}
	/* The root tree first: it tells a page size mismatch. */
	fdt = early_memremap(root_phys, root_size);
	if (!fdt) {
		why = "cannot map the root tree";
		goto fail;
	}
	err = kho_root_check(fdt, root_size, PAGE_SHIFT, &tracker, &why);
	early_memunmap(fdt, root_size);
	if (err)
		goto fail;
	if (!PAGE_ALIGNED(root_phys)) {
		why = "bad root tree address";
		goto fail;
	}
	if (kho_scratch_check(scratch, nr, PAGE_SIZE, &why))
		goto fail;
	why = "this kernel is not in scratch memory (not loaded by kexec_file_load)";
	for (i = 0; i < nr; i++) {
		if (scratch[i].addr <= __pa_symbol(_text) &&
		    __pa_symbol(_end) <= scratch[i].addr + scratch[i].size)
			why = NULL;
	}
	if (why)
		goto fail;
	for (i = 0; i < nr; i++) {
		if (!kho_phys_is_ram(scratch[i].addr, scratch[i].size)) {
			why = "scratch area outside memory";
			goto fail;
		}
		if (root_phys < scratch[i].addr + scratch[i].size &&
		    scratch[i].addr < root_phys + root_size) {
			why = "root tree in scratch memory";
			goto fail;
		}
	}

	/* Kept in the order received: the first entry is the kexec area. */
	memcpy(kho_scratch, scratch, nr * sizeof(*scratch));
	kho_nr_scratch = nr;
	if (!kho_phys_is_ram(tracker, PAGE_SIZE) ||
	    kho_phys_in_scratch(tracker, PAGE_SIZE)) {
		kho_nr_scratch = 0;
		why = "bad tracker address";
		goto fail;
	}
	for (i = 0; i < nr; i++)
		memblock_mark_kho_scratch(scratch[i].addr, scratch[i].size);
	memblock_set_kho_scratch_only();
	early = memblock_allocated_size(NUMA_NO_NODE);
	if (early)
		pr_warn("%pa bytes were allocated before the handover was taken: they may overlap preserved memory\n",
			&early);
	kho_in.root_phys = root_phys;
	kho_in.root_size = root_size;
	kho_in.tracker_phys = tracker;
	kho_in.found = true;
	pr_info("handover from the previous kernel: root tree at %pa, %u scratch areas\n",
		&root_phys, nr);
	return true;
fail:
	kho_populate_refused(why);
	return false;
}

/*
 * The architecture's handoff itself is malformed (early boot, instead of
 * kho_populate()): log @why, a string constant, and show it in
 * /sys/kernel/kho/incoming.
 */
void __init kho_populate_refused(const char *why)
{
	pr_err("ignoring the handover from the previous kernel: %s\n", why);
	kho_in_why = why;
}
