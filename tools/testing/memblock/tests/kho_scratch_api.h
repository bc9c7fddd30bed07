/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _MEMBLOCK_KHO_SCRATCH_H
#define _MEMBLOCK_KHO_SCRATCH_H

#include "common.h"

/* defined in internal.h */
extern bool mirrored_kernelcore;

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
