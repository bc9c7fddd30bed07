/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _MEMBLOCK_KHO_SCRATCH_H
#define _MEMBLOCK_KHO_SCRATCH_H

#include "common.h"

/* defined in internal.h, next to the memblock_free_pages() stub */
extern bool mirrored_kernelcore;
extern unsigned long memblock_freed_pages;
extern unsigned int memblock_freed_max_order;

int memblock_kho_scratch_checks(void);
int __memblock_kho_scratch_numa_checks(void);

#ifdef CONFIG_NUMA
static inline int memblock_kho_scratch_numa_checks(void)
{
	__memblock_kho_scratch_numa_checks();
	return 0;
}

#else
static inline int memblock_kho_scratch_numa_checks(void)
{
	return 0;
}

#endif /* CONFIG_NUMA */

#endif
