/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitops.h>: what the tracker uses. */
#ifndef _KHO_TEST_LINUX_BITOPS_H
#define _KHO_TEST_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

/* Undefined for 0, as in the kernel. */
static inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

static inline unsigned int __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

static inline unsigned int hweight64(u64 w)
{
	return __builtin_popcountll(w);
}

#endif
