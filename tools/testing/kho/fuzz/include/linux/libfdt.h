/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/libfdt.h>: the kernel's libfdt
 * (scripts/dtc/libfdt, on the include path) with its userspace
 * libfdt_env.h.
 */
#ifndef _KHO_FUZZ_LINUX_LIBFDT_H
#define _KHO_FUZZ_LINUX_LIBFDT_H

#include <libfdt.h>

#endif
