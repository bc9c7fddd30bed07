/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 handoff of Kexec HandOver (KHO) through setup_data.
 */
#ifndef _ASM_X86_KEXEC_KHO_H
#define _ASM_X86_KEXEC_KHO_H

#include <linux/types.h>

struct boot_params;
struct kimage;

/*
 * SETUP_KEXEC_KHO of upstream's Kexec HandOver: another layout, never
 * read, only reported (Documentation/kho/abi.rst, "KHO identity").
 */
#define KHO_X86_OTHER_SETUP_TYPE	10

#ifdef CONFIG_KEXEC_HANDOVER
void kho_x86_note_setup_data(u64 pa_data, u32 data_len);
void kho_x86_note_other_setup_data(void);
void kho_x86_populate(void);
unsigned int kho_x86_setup_data_size(const struct kimage *image);
unsigned int kho_x86_add_setup_data(const struct kimage *image,
				    struct boot_params *params,
				    unsigned long params_load_addr,
				    unsigned int offset);
#else
static inline void kho_x86_note_setup_data(u64 pa_data, u32 data_len)
{
}

static inline void kho_x86_note_other_setup_data(void)
{
}

static inline void kho_x86_populate(void)
{
}

static inline unsigned int kho_x86_setup_data_size(const struct kimage *image)
{
	return 0;
}

static inline unsigned int kho_x86_add_setup_data(const struct kimage *image,
						  struct boot_params *params,
						  unsigned long params_load_addr,
						  unsigned int offset)
{
	return 0;
}
#endif

#endif /* _ASM_X86_KEXEC_KHO_H */
