// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 handoff of Kexec HandOver (KHO).
 *
 * kexec_file_load writes the handover into /chosen of the next kernel's
 * device tree (drivers/of/kexec.c): "linux,kexec-handover" is the root tree
 * and "linux,kexec-handover-scratch" the scratch table, each as address/size
 * cells of the root node. Upstream KHO's "linux,kho-fdt" is another layout:
 * it is reported, never read. The incoming kernel reads them from the flattened tree in
 * arm64_memblock_init(), once memory is final (a UEFI boot rebuilds it from
 * the EFI memory map in efi_init()) and before the first memblock
 * allocation.
 */

#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/of_fdt.h>
#include <linux/printk.h>

#include <asm/kexec-kho.h>

static struct kho_scratch_entry kho_dt_scratch[KHO_SCRATCH_MAX_ENTRIES] __initdata;

/**
 * kho_arm64_populate() - hand the handover in /chosen to the KHO core
 */
void __init kho_arm64_populate(void)
{
	int cells = dt_root_addr_cells + dt_root_size_cells;
	const __be32 *prop;
	unsigned long node;
	u64 root, size;
	int len, i, nr;

	node = of_get_flat_dt_subnode_by_name(of_get_flat_dt_root(), "chosen");
	if ((long)node < 0)
		return;
	prop = of_get_flat_dt_prop(node, KHO_CHOSEN_ROOT, &len);
	if (!prop) {
		if (of_get_flat_dt_prop(node, KHO_OTHER_CHOSEN_ROOT, NULL))
			kho_populate_refused(KHO_OTHER_HANDOVER " (" KHO_OTHER_CHOSEN_ROOT ")");
		return;
	}
	if (len != cells * sizeof(__be32)) {
		kho_populate_refused("bad " KHO_CHOSEN_ROOT);
		return;
	}
	root = dt_mem_next_cell(dt_root_addr_cells, &prop);
	size = dt_mem_next_cell(dt_root_size_cells, &prop);

	prop = of_get_flat_dt_prop(node, KHO_CHOSEN_SCRATCH, &len);
	nr = prop ? len / (cells * sizeof(__be32)) : 0;
	if (!prop || !nr || len % (cells * sizeof(__be32)) ||
	    nr > KHO_SCRATCH_MAX_ENTRIES) {
		kho_populate_refused("bad scratch table in the handoff");
		return;
	}
	for (i = 0; i < nr; i++) {
		kho_dt_scratch[i].addr = dt_mem_next_cell(dt_root_addr_cells, &prop);
		kho_dt_scratch[i].size = dt_mem_next_cell(dt_root_size_cells, &prop);
	}
	kho_populate(root, size, kho_dt_scratch, nr);
}
