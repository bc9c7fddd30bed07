/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

/* The simulator has no kexec handover: memblock_free_all() calls this. */
static inline void kho_memory_init(void)
{
}

#endif
