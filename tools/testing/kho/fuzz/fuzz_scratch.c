// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the scratch table the next kernel receives
 * (kho_scratch_check() in kernel/kexec_handover_root.c).
 *
 * The input is the table as x86 setup_data carries it: native-endian
 * struct kho_scratch_entry, one every 16 bytes (a partial entry at the end
 * is ignored), possibly more than KHO_SCRATCH_MAX_ENTRIES. It is checked
 * for each page size a kernel may have, and the verdict and reason must
 * be those of a reference model that computes without wrapping.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kho/abi.h>
#include "kexec_handover_root.h"
#include "kho_fuzz.h"

#define MAX_ENTRIES	(KHO_SCRATCH_MAX_ENTRIES + 2)

/* The rules of Documentation/kho/abi.rst, in the order the kernel applies them. */
static const char *model(const struct kho_scratch_entry *t, unsigned int nr,
			 u64 page_size)
{
	unsigned int i, j;

	if (nr < 1 || nr > KHO_SCRATCH_MAX_ENTRIES)
		return "bad number of scratch areas";
	for (i = 0; i < nr; i++) {
		unsigned __int128 a = t[i].addr, e = a + t[i].size;

		/* An area may not end at or beyond 2^64: its end must be a u64. */
		if (!t[i].size || t[i].addr % page_size ||
		    t[i].size % page_size || e >= (unsigned __int128)1 << 64)
			return "bad scratch area";
		for (j = 0; j < i; j++) {
			unsigned __int128 b = t[j].addr, f = b + t[j].size;

			if (a < f && b < e)
				return "overlapping scratch areas";
		}
	}
	return NULL;
}

int kho_fuzz_input(const uint8_t *data, size_t size)
{
	static const u64 page_sizes[] = { 1 << 12, 1 << 14, 1 << 16 };
	unsigned int nr = size / sizeof(struct kho_scratch_entry), i;
	struct kho_scratch_entry *table;
	const char *why, *want;
	int err;

	if (nr > MAX_ENTRIES)
		return -1;
	/* Exactly the entries, aligned as the kernel's copy is. */
	table = malloc(nr * sizeof(*table) + 1);
	if (!table)
		abort();
	memcpy(table, data, nr * sizeof(*table));
	for (i = 0; i < ARRAY_SIZE(page_sizes); i++) {
		why = NULL;
		err = kho_scratch_check(table, nr, page_sizes[i], &why);
		want = model(table, nr, page_sizes[i]);
		if (err != (want ? -EINVAL : 0) ||
		    (want && (!why || strcmp(why, want)))) {
			fprintf(stderr, "%u entries, page size %llu: %d (%s), want %s\n",
				nr, (unsigned long long)page_sizes[i], err,
				why ? why : "no reason", want ? want : "0");
			abort();
		}
	}
	free(table);
	return 0;
}
