/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h>. */
#ifndef _KHO_TEST_LINUX_STRING_H
#define _KHO_TEST_LINUX_STRING_H

#include <string.h>

#endif
