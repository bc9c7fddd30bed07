/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets share. Each defines kho_fuzz_input(), which the
 * Makefile links as libFuzzer's entry point, LLVMFuzzerTestOneInput().
 */
#ifndef _KHO_FUZZ_H
#define _KHO_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A promise of the code under test is broken: a crash for libFuzzer. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int kho_fuzz_input(const uint8_t *data, size_t size);

#endif /* _KHO_FUZZ_H */
