// SPDX-License-Identifier: GPL-2.0
/*
 * gen_seeds DIR: write the generated seeds of the fuzz targets into
 * DIR/root, DIR/scratch and DIR/tracker.
 *
 * The seeds are made by the kernel's own code, built here unchanged: root
 * trees by kho_root_begin() and friends, called as kho_update_root()
 * calls them; trackers by kho_tracker_init() and kho_tracker_set(), filled
 * as the KHO core and the test client fill theirs. The shapes, addresses
 * and block counts are those of the QEMU selftests (their serial logs).
 * Seeds captured from the guests themselves come from corpus-from-log.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kho/abi.h>
#include <linux/libfdt.h>
#include <linux/types.h>
#include "kexec_handover_root.h"
#include "kexec_handover_tracker.h"
#include "kho_fuzz.h"
#include "kho_fuzz_arena.h"

#define RELEASE		"6.12.117+"
#define FROZEN_AT	1763917200ULL	/* 2025-11-23, when the logs were taken */

static const char *dir;

static void die(const char *what)
{
	fprintf(stderr, "gen_seeds: %s\n", what);
	exit(1);
}

static void save(const char *target, const char *name, const void *a,
		 size_t alen, const void *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f))
		die(path);
}

/* ---------------------------------------------------------- root tree */

struct seed_blob {
	const char *name;
	u64 phys, size;
};

struct seed_client {
	const char *name, *compatible;
	u64 tracker;
	unsigned int nr_blobs;
	const struct seed_blob *blobs;
};

/* What kho_update_root() does with its clients and blobs. */
static int build_root(void *buf, unsigned int page_shift, u64 tracker,
		      const struct kho_root_meta *meta,
		      const struct seed_client *c, unsigned int nr)
{
	unsigned int i, j;
	int err;

	err = kho_root_begin(buf, KHO_ROOT_MAX_SIZE, page_shift, tracker, meta);
	for (i = 0; i < nr; i++) {
		err = err ?: kho_root_begin_client(buf, c[i].name,
						   c[i].compatible,
						   c[i].tracker);
		for (j = 0; j < c[i].nr_blobs; j++)
			err = err ?: kho_root_add_blob(buf, c[i].blobs[j].name,
						       c[i].blobs[j].phys,
						       c[i].blobs[j].size);
		err = err ?: kho_root_end_client(buf);
	}
	return err ?: kho_root_finish(buf);
}

/* The tree as /sys/kernel/kho/in/fdt shows it, and as mapped (16 KiB). */
static void save_root(const char *name, unsigned int page_shift, u64 tracker,
		      const struct kho_root_meta *meta,
		      const struct seed_client *c, unsigned int nr,
		      bool mapped)
{
	static u8 buf[KHO_ROOT_MAX_SIZE];
	const char *why;
	u64 phys;

	memset(buf, 0, sizeof(buf));
	if (build_root(buf, page_shift, tracker, meta, c, nr))
		die(name);
	if (!kho_root_check(buf, sizeof(buf), page_shift, &phys, &why))
		why = "accepted";
	printf("root/%s: %u bytes, %s\n", name, fdt_totalsize(buf), why);
	save("root", name, buf, mapped ? sizeof(buf) : fdt_totalsize(buf),
	     NULL, 0);
}

/* The longest string @size bytes hold, starting with @prefix. */
static char *fill(char *s, size_t size, const char *prefix)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._+-";
	size_t i;

	snprintf(s, size, "%s", prefix);
	for (i = strlen(s); i < size - 1; i++)
		s[i] = chars[i % (sizeof(chars) - 1)];
	s[size - 1] = 0;
	return s;
}

static const struct seed_blob test_kho_blob[] = {
	{ "test-kho", 0x1c5a000, 0x23a },
};

static const struct seed_blob test_kho_mod_blob[] = {
	{ "test-kho-mod", 0x1d21000, 0x1000 },
};

static const struct seed_blob ftrace_blobs[] = {
	{ "trace", 0x100000, 4096 },
	{ "meta", 0x200000, 100 },
};

static void gen_root(void)
{
	const struct seed_client basic[] = {
		{ "test-kho", "kho-test-v1", 0x1c3e000, 1, test_kho_blob },
	};
	const struct seed_client clients[] = {
		{ "test-kho", "kho-test-v1", 0x1c3e000, 1, test_kho_blob },
		{ "test-kho-mod", "kho-test-mod-v1", 0x1d20000, 1,
		  test_kho_mod_blob },
	};
	const struct seed_client arm64[] = {
		{ "test-kho", "kho-test-v1", 0x41d00000, 1, test_kho_blob },
	};
	const struct seed_client kunit[] = {
		{ "ftrace", "ftrace-kho-v1", 0x400000, 2, ftrace_blobs },
		{ "vmm", "vmm-v2", 0x500000, 0, NULL },
	};
	static struct seed_client many[KHO_CLIENTS_MAX + 1];
	static struct seed_blob blobs[400];
	static char names[KHO_CLIENTS_MAX + 1][16], bnames[400][KHO_NAME_MAX];
	static char cname[KHO_NAME_MAX], compat[KHO_COMPATIBLE_MAX];
	static char release[KHO_RELEASE_MAX];
	char prefix[16];
	struct kho_root_meta meta = { RELEASE, 1, FROZEN_AT };
	struct kho_root_meta out = { RELEASE, 2, 0 };
	struct kho_root_meta lng = { release, 7, ~0ULL };
	static u8 buf[KHO_ROOT_MAX_SIZE];
	unsigned int i, n;

	/* kho_basic: generation 0 hands over to 1; the tree it reads. */
	save_root("kho_basic-gen1", 12, 0x1c3b000, &meta, basic, 1, false);
	/* ... as the kernel maps it: KHO_ROOT_MAX_SIZE bytes. */
	save_root("kho_basic-gen1-mapped", 12, 0x1c3b000, &meta, basic, 1, true);
	/* /sys/kernel/kho/out/fdt of generation 1: not frozen yet. */
	save_root("kho_basic-gen1-out", 12, 0x1c3b000, &out, basic, 1, false);
	/* kexec_basic with kho=on and no client. */
	save_root("no-clients", 12, 0x1c3b000, &meta, NULL, 0, false);
	/* kho_clients: the built-in and the module client. */
	meta.boot_count = 2;
	save_root("kho_clients", 12, 0x1c3b000, &meta, clients, 2, false);
	/* The KUnit suite's tree (kernel/kexec_handover_test.c). */
	save_root("kunit", 12, 0x300000, &(struct kho_root_meta){ "6.12.0-kho", 3, 0 },
		  kunit, 2, false);
	/* arm64 with 16 KiB and 64 KiB pages. */
	save_root("arm64-16k", 14, 0x41c3c000, &meta, arm64, 1, false);
	meta.release = "6.12.117-64k+";
	save_root("arm64-64k", 16, 0x41c40000, &meta, arm64, 1, false);
	meta.release = RELEASE;

	/* KHO_CLIENTS_MAX clients, and one more (refused). */
	for (i = 0; i < ARRAY_SIZE(many); i++) {
		snprintf(names[i], sizeof(names[i]), "client-%02u", i);
		many[i] = (struct seed_client){ names[i], "v1",
						0x10000000 + i * 0x1000ULL,
						i % 2, test_kho_blob };
	}
	save_root("max-clients", 12, 0x1c3b000, &meta, many, KHO_CLIENTS_MAX,
		  false);
	save_root("too-many-clients", 12, 0x1c3b000, &meta, many,
		  KHO_CLIENTS_MAX + 1, false);

	/* As many blobs as fit, with the longest names. */
	for (i = 0; i < ARRAY_SIZE(blobs); i++) {
		snprintf(prefix, sizeof(prefix), "blob_%03u.", i);
		fill(bnames[i], sizeof(bnames[i]), prefix);
		blobs[i] = (struct seed_blob){ bnames[i],
					       0x20000000 + i * 0x2000ULL,
					       0x1800 };
	}
	fill(cname, sizeof(cname), "client-");
	fill(compat, sizeof(compat), "compatible-");
	fill(release, sizeof(release), "6.12.117-");
	many[0] = (struct seed_client){ cname, compat, 0xfffffffff000ULL, 0,
					blobs };
	for (n = 1; n < ARRAY_SIZE(blobs); n++) {
		many[0].nr_blobs = n;
		if (build_root(buf, 12, 0x1c3b000, &lng, many, 1))
			break;
	}
	many[0].nr_blobs = n - 1;
	save_root("full-tree", 12, 0x1c3b000, &lng, many, 1, false);

	/* A handover aborted by the previous kernel: the tree is zeroed. */
	memset(buf, 0, sizeof(buf));
	save("root", "aborted", buf, sizeof(buf), NULL, 0);
}

/* ------------------------------------------------------ scratch table */

static void gen_scratch(void)
{
	/* Documentation/kho/abi.rst, the arm64 /chosen example. */
	const struct kho_scratch_entry doc[] = {
		{ 0x78000000, 0x4000000 },
		{ 0x7c000000, 0x1800000 },
		{ 0x7d800000, 0x1400000 },
	};
	struct kho_scratch_entry t[KHO_SCRATCH_MAX_ENTRIES + 1];
	unsigned int i;

	save("scratch", "abi-doc-arm64", doc, sizeof(doc), NULL, 0);
	/* The first kernel on a large NUMA machine: one area per node. */
	t[0] = (struct kho_scratch_entry){ 0x40000000, 0x20000000 };
	t[1] = (struct kho_scratch_entry){ 0x1000000, 0x19000000 };
	for (i = 2; i < ARRAY_SIZE(t); i++)
		t[i] = (struct kho_scratch_entry){ (u64)i << 34, 0x8000000 };
	save("scratch", "max-entries", t, KHO_SCRATCH_MAX_ENTRIES * sizeof(*t),
	     NULL, 0);
	save("scratch", "too-many-entries", t, sizeof(t), NULL, 0);
	/* The highest area that fits the u64 address space. */
	t[1] = (struct kho_scratch_entry){ ~0ULL << 30, 0x20000000 };
	save("scratch", "high-area", t, 2 * sizeof(*t), NULL, 0);
}

/* ------------------------------------------------------------ tracker */

/* Node pages handed out one after the other from @base. */
struct sim {
	unsigned int page_shift;
	u64 base;
	size_t nr, cap;
	u8 *mem;
};

static void *sim_alloc(void *ctx, u64 *phys)
{
	struct sim *s = ctx;
	size_t psz = 1UL << s->page_shift;

	if (s->nr == s->cap)
		return NULL;
	*phys = s->base + s->nr * psz;
	return s->mem + s->nr++ * psz;
}

static void sim_free(void *ctx, void *virt, u64 phys)
{
}

static void *sim_map(void *ctx, u64 phys)
{
	struct sim *s = ctx;
	size_t psz = 1UL << s->page_shift;

	if (phys < s->base || phys >= s->base + s->nr * psz)
		return NULL;
	return s->mem + (phys - s->base);
}

static u64 rng = 0x4b484f;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct seed_tracker {
	const char *name;
	unsigned int page_shift, nr_orders;
	u64 base;			/* the tracker's pages */
	u64 ram_pfn, ram_pages;		/* where the blocks are */
	unsigned int blocks[KHO_TRACKER_MAX_ORDERS];	/* per order */
	bool dense;			/* blocks one after the other */
	unsigned int extra_pages;	/* free pages after the tracker's */
	unsigned int hole_first, hole_count;
};

static void gen_tracker(const struct seed_tracker *st)
{
	struct kho_tracker_ops ops = {
		.alloc_page = sim_alloc, .free_page = sim_free,
		.map = sim_map,
	};
	struct sim s = { .page_shift = st->page_shift, .base = st->base };
	size_t psz = 1UL << st->page_shift;
	struct kho_fuzz_arena h = { 0 };
	struct kho_tracker t;
	u64 pfn = st->ram_pfn, first = 0, last = 0;
	unsigned int o, i;
	int err;

	s.cap = 256;
	s.mem = calloc(s.cap, psz);
	ops.ctx = &s;
	if (!s.mem || kho_tracker_init(&t, &ops, st->page_shift, st->nr_orders))
		die(st->name);
	/* Larger blocks first, each aligned, random gaps unless dense. */
	for (o = KHO_TRACKER_MAX_ORDERS; o--; ) {
		for (i = 0; i < st->blocks[o]; i++) {
			if (!st->dense && st->ram_pages >= 64)
				pfn += rnd() % (st->ram_pages / 64);
			pfn = (pfn + (1ULL << o) - 1) & ~((1ULL << o) - 1);
			if (pfn + (1ULL << o) > st->ram_pfn + st->ram_pages)
				die(st->name);
			err = kho_tracker_set(&t, pfn, o);
			if (err)
				die(st->name);
			if (!first)
				first = pfn;
			last = pfn;
			pfn += 1ULL << o;
		}
	}
	h.page_shift = st->page_shift;
	h.max_orders = st->nr_orders;
	h.hole_first = st->hole_first;
	h.hole_count = st->hole_count;
	h.base = st->base;
	h.hdr_phys = t.hdr_phys;
	/* The second walk covers part of the blocks. */
	h.start_pfn = first + (last - first) / 3;
	h.end_pfn = first + (last - first) / 3 * 2 + 1;
	printf("tracker/%s: %zu-byte pages, %zu tracker pages, %u orders\n",
	       st->name, psz, s.nr, st->nr_orders);
	save("tracker", st->name, &h, sizeof(h), s.mem,
	     (s.nr + st->extra_pages) * psz);
	free(s.mem);
}

/* What the test client preserves (kho_basic, gen0 out/stats). */
#define TEST_KHO_BLOCKS	{ 4, 5, 5, 3, 1, 4, 5, 4, 1, 4, 2, 1 }

#define K4	.page_shift = 12, .nr_orders = 19
#define K1	.page_shift = 10, .nr_orders = 21

static const struct seed_tracker trackers[] = {
	/* The core's tracker: the root tree, 16 KiB. */
	{ "core-4k", K4, .base = 0x1c3b000, .ram_pfn = 0x11bc, .ram_pages = 4,
	  .blocks = { [2] = 1 } },
	/* An empty client tracker: only its own pages. */
	{ "empty-4k", K4, .base = 0x1d20000 },
	/* The test client in a 1 GiB guest. */
	{ "test_kho-4k", K4, .base = 0x1c3e000, .ram_pfn = 0x10000,
	  .ram_pages = 0x30000, .blocks = TEST_KHO_BLOCKS },
	/* arm64 with 16 KiB pages, memory from 1 GiB. */
	{ "test_kho-16k", .page_shift = 14, .nr_orders = 17,
	  .base = 0x41c3c000, .ram_pfn = 0x10000, .ram_pages = 0x8000,
	  .blocks = { 2, [2] = 1, [11] = 1 } },
	/* 1 KiB pages: five interior levels, small inputs. */
	{ "test_kho-1k", K1, .base = 0x1c3e000, .ram_pfn = 0x40000,
	  .ram_pages = 0xc0000, .blocks = TEST_KHO_BLOCKS },
	{ "dense-1k", K1, .base = 0x800000, .ram_pfn = 0x1000,
	  .ram_pages = 0x4000, .blocks = { 3000, 200, 50 }, .dense = true },
	/* Blocks at the top of the 52-bit physical address space. */
	{ "high-1k", K1, .base = 0x3fffff000000ULL, .ram_pfn = 0x3ffffe00000ULL,
	  .ram_pages = 0x200000, .blocks = { 2, [9] = 1, [19] = 1 } },
	/* All 32 orders: the top ones cover less than a leaf. */
	{ "orders-32-1k", .page_shift = 10, .nr_orders = 32,
	  .base = 0x1c3e000, .ram_pfn = 1ULL << 41, .ram_pages = 1ULL << 41,
	  .blocks = { 1, [20] = 1, [29] = 1, [30] = 1, [31] = 1 } },
	/* A page map() refuses, as scratch: a free page, then a node. */
	{ "hole-free-1k", K1, .base = 0x1c3e000, .ram_pfn = 0x40000,
	  .ram_pages = 0xc0000, .blocks = { 1, [9] = 1 }, .extra_pages = 2,
	  .hole_first = 14, .hole_count = 1 },
	{ "hole-node-1k", K1, .base = 0x1c3e000, .ram_pfn = 0x40000,
	  .ram_pages = 0xc0000, .blocks = { 1, [9] = 1 }, .hole_first = 3,
	  .hole_count = 1 },
};

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc != 2)
		die("usage: gen_seeds DIR");
	dir = argv[1];
	gen_root();
	gen_scratch();
	for (i = 0; i < ARRAY_SIZE(trackers); i++)
		gen_tracker(&trackers[i]);
	return 0;
}
