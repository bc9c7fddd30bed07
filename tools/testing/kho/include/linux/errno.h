/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/errno.h>: the uapi values. */
#ifndef _KHO_TEST_LINUX_ERRNO_H
#define _KHO_TEST_LINUX_ERRNO_H

#include_next <linux/errno.h>

#endif
