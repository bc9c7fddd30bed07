// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the root tree as the next kernel reads it
 * (kernel/kexec_handover_root.c over the kernel's libfdt).
 *
 * The input is the memory at the root tree's address, all of it readable
 * as kho_populate() maps it, at most KHO_ROOT_MAX_SIZE bytes (the rest of
 * a longer input is ignored). kho_root_check() must refuse it with a
 * reason or accept it, for one of the page sizes of x86_64 and arm64. An
 * accepted tree is copied, fdt_totalsize() bytes as kho_in_open() copies
 * it, and read as the next kernel reads it: kho_root_get_meta(),
 * kho_root_next_client() and kho_root_next_blob() to the end, and
 * kho_root_find_blob() for some blobs and for names that are not there.
 * They must find what the check promised (Documentation/kho/abi.rst,
 * "Root tree (kho_root_check())"), in every node, or the target aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kho/abi.h>
#include <linux/libfdt.h>
#include "kexec_handover_root.h"
#include "kho_fuzz.h"

static bool phys_ok(u64 phys, unsigned int page_shift)
{
	return phys && !(phys & ((1ULL << page_shift) - 1));
}

/* libfdt's own count of the subnodes of @parent. */
static int nr_subnodes(const void *fdt, int parent)
{
	int node, nr = 0;

	fdt_for_each_subnode(node, fdt, parent)
		nr++;
	CHECK(node == -FDT_ERR_NOTFOUND);
	return nr;
}

/* Look up the first few blobs and the last: each lookup is a linear walk. */
#define FIND_FIRST	4

static void find_blob(const void *fdt, const struct kho_root_client *c,
		      const struct kho_root_blob *b, int node)
{
	u64 phys, size;

	CHECK(!kho_root_find_blob(fdt, c->node, b->name, &phys, &size));
	/* Names are unique by the ABI, but that is not checked. */
	if (fdt_subnode_offset(fdt, c->node, b->name) == node)
		CHECK(phys == b->phys && size == b->size);
}

static void read_blobs(const void *fdt, const struct kho_root_client *c)
{
	struct kho_root_blob b, last;
	int cur, prev = 0, nr = 0;
	u64 phys, size;

	for (cur = 0; (cur = kho_root_next_blob(fdt, c->node, cur, &b)) > 0; ) {
		CHECK(b.name && kho_name_valid(b.name));
		CHECK(b.size && b.phys + b.size > b.phys);
		if (nr++ < FIND_FIRST)
			find_blob(fdt, c, &b, cur);
		last = b;
		prev = cur;
	}
	CHECK(cur == -ENOENT);
	if (nr > FIND_FIRST)
		find_blob(fdt, c, &last, prev);
	CHECK(nr == nr_subnodes(fdt, c->node));
	CHECK(kho_root_find_blob(fdt, c->node, "", &phys, &size) == -ENOENT);
	CHECK(kho_root_find_blob(fdt, c->node, "no/such/blob", &phys,
				 &size) == -ENOENT);
}

static void read_tree(const void *fdt, unsigned int page_shift, u64 tracker)
{
	struct kho_root_client c;
	struct kho_root_meta meta;
	int cur, nr = 0;

	CHECK(phys_ok(tracker, page_shift));
	CHECK(!kho_root_get_meta(fdt, &meta));
	CHECK(meta.release && strlen(meta.release) < KHO_RELEASE_MAX);

	for (cur = 0; (cur = kho_root_next_client(fdt, cur, &c)) > 0; ) {
		CHECK(++nr <= KHO_CLIENTS_MAX);
		CHECK(c.node == cur);
		CHECK(c.name && kho_name_valid(c.name));
		CHECK(c.compatible &&
		      strlen(c.compatible) < KHO_COMPATIBLE_MAX);
		CHECK(phys_ok(c.tracker, page_shift));
		read_blobs(fdt, &c);
	}
	CHECK(cur == -ENOENT);
	CHECK(nr == nr_subnodes(fdt, 0));
}

int kho_fuzz_input(const uint8_t *data, size_t size)
{
	static const unsigned int page_shifts[] = { 12, 14, 16 };
	const char *why = NULL;
	unsigned int i, shift;
	void *buf, *copy;
	u64 tracker = 0;
	int err = 0;

	if (size > KHO_ROOT_MAX_SIZE)
		size = KHO_ROOT_MAX_SIZE;
	/* Exactly @size bytes: ASan sees any read beyond the mapping. */
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	/* The page sizes of x86_64 and arm64: the next until one fits. */
	for (i = 0; i < ARRAY_SIZE(page_shifts); i++) {
		shift = page_shifts[i];
		why = NULL;
		err = kho_root_check(buf, size, shift, &tracker, &why);
		CHECK(!err || (err == -EINVAL && why));
		if (!err || strcmp(why, "page size differs"))
			break;
	}
	CHECK(!memcmp(buf, data, size));
	if (!err) {
		CHECK(fdt_totalsize(buf) <= size);
		copy = malloc(fdt_totalsize(buf));
		if (!copy)
			abort();
		memcpy(copy, buf, fdt_totalsize(buf));
		read_tree(copy, shift, tracker);
		free(copy);
	}
	free(buf);
	return 0;
}
