/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64 handoff of Kexec HandOver (KHO) through the device tree.
 */
#ifndef _ASM_ARM64_KEXEC_KHO_H
#define _ASM_ARM64_KEXEC_KHO_H

#ifdef CONFIG_KEXEC_HANDOVER
void kho_arm64_populate(void);
#else
static inline void kho_arm64_populate(void)
{
}
#endif

#endif /* _ASM_ARM64_KEXEC_KHO_H */
