/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/stddef.h>: NULL, true, false. */
#ifndef _KHO_TEST_LINUX_STDDEF_H
#define _KHO_TEST_LINUX_STDDEF_H

#include_next <linux/stddef.h>
#include <stdbool.h>
#include <stddef.h>

#endif
