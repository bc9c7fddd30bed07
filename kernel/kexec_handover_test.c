// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of Kexec HandOver (KHO): the tracker, the root tree, the
 * scratch table checks and the preservation API inside one kernel.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

#define kt_ops kho_out_tracker_ops

/* Blocks in ascending address order, as the iterator must return them. */
static const struct {
	u64 pfn;
	unsigned int order;
} kt_blocks[] = {
	{ 0x10, 0 }, { 0x11, 0 }, { 0x200, 9 }, { 0x401, 0 },
	{ 0x100000, MAX_PAGE_ORDER }, { 0x3fffffffULL, 0 },
};

static void kho_test_tracker_set_clear(struct kunit *test)
{
	struct kho_tracker t;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, &kt_ops, PAGE_SHIFT,
					       MAX_PAGE_ORDER + 1), 0);
	for (i = 0; i < ARRAY_SIZE(kt_blocks); i++)
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, kt_blocks[i].pfn,
						      kt_blocks[i].order), 0);
	for (i = 0; i < ARRAY_SIZE(kt_blocks); i++) {
		KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, kt_blocks[i].pfn,
							 kt_blocks[i].order));
		KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, kt_blocks[i].pfn,
						      kt_blocks[i].order),
				-EEXIST);
	}
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, 0x12, 0));
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, 0x200, 8));
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 0x201, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tracker_set(&t, 0, MAX_PAGE_ORDER + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 0x12, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, t.nr_blocks[0], 4);
	KUNIT_EXPECT_EQ(test, kho_tracker_clear(&t, 0x10, 0), 0);
	KUNIT_EXPECT_FALSE(test, kho_tracker_test(&t, 0x10, 0));
	KUNIT_EXPECT_TRUE(test, kho_tracker_test(&t, 0x11, 0));
	KUNIT_EXPECT_EQ(test, t.nr_blocks[0], 3);
	KUNIT_EXPECT_GT(test, t.nr_nodes, 1);
	kho_tracker_destroy(&t);
}

static void kho_test_count_node(void *arg, u64 phys)
{
	(*(unsigned long *)arg)++;
}

static void kho_test_tracker_open_iterate(struct kunit *test)
{
	struct kho_tracker t, in;
	struct kho_tracker_iter it;
	const char *why = NULL;
	unsigned long nodes = 0;
	unsigned int i, order;
	u64 pfn, last = 0;

	KUNIT_ASSERT_EQ(test, kho_tracker_init(&t, &kt_ops, PAGE_SHIFT,
					       MAX_PAGE_ORDER + 1), 0);
	for (i = 0; i < ARRAY_SIZE(kt_blocks); i++)
		KUNIT_ASSERT_EQ(test, kho_tracker_set(&t, kt_blocks[i].pfn,
						      kt_blocks[i].order), 0);

	/* Read it back as the next kernel would. */
	KUNIT_ASSERT_EQ(test, kho_tracker_open(&in, &kt_ops, t.hdr_phys,
					       PAGE_SHIFT, MAX_PAGE_ORDER + 1,
					       &why), 0);
	KUNIT_EXPECT_EQ(test, in.nr_nodes, t.nr_nodes);
	kho_tracker_walk_nodes(&in, kho_test_count_node, &nodes);
	KUNIT_EXPECT_EQ(test, nodes, t.nr_nodes);

	/* Every block in ascending order, the tracker's own pages among them. */
	kho_tracker_iter_start(&it, &in, 0, 1ULL << 40);
	i = 0;
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		KUNIT_EXPECT_GE(test, pfn, last);
		last = pfn;
		if (i < ARRAY_SIZE(kt_blocks) && pfn == kt_blocks[i].pfn &&
		    order == kt_blocks[i].order)
			i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(kt_blocks));

	/* A sub-range sees only what intersects it. */
	kho_tracker_iter_start(&it, &in, 0x201, 0x402);
	KUNIT_ASSERT_TRUE(test, kho_tracker_iter_next(&it, &pfn, &order));
	KUNIT_EXPECT_EQ(test, pfn, 0x200);
	KUNIT_EXPECT_EQ(test, order, 9);
	KUNIT_ASSERT_TRUE(test, kho_tracker_iter_next(&it, &pfn, &order));
	KUNIT_EXPECT_EQ(test, pfn, 0x401);

	/* A corrupted header is refused with a reason. */
	t.hdr->magic ^= 1;
	why = NULL;
	KUNIT_EXPECT_EQ(test, kho_tracker_open(&in, &kt_ops, t.hdr_phys,
					       PAGE_SHIFT, MAX_PAGE_ORDER + 1,
					       &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
	t.hdr->magic ^= 1;
	KUNIT_EXPECT_EQ(test, kho_tracker_open(&in, &kt_ops, t.hdr_phys,
					       PAGE_SHIFT + 1,
					       MAX_PAGE_ORDER + 1, &why), -EINVAL);
	kho_tracker_destroy(&t);
}

static void kho_test_root_tree(struct kunit *test)
{
	struct kho_root_blob blobs[] = {
		{ "ftrace", 0x100000, 4096 },
		{ "test-kho", 0x200000, 100 },
	}, b;
	void *buf = kunit_kzalloc(test, KHO_ROOT_MAX_SIZE, GFP_KERNEL);
	const char *why = NULL;
	u64 tracker, phys, size;
	char *compat;
	int cur, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kho_root_build(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     0x300000, blobs, 2), 0);
	KUNIT_ASSERT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), 0);
	KUNIT_EXPECT_EQ(test, tracker, 0x300000);
	KUNIT_EXPECT_EQ(test, kho_root_find_blob(buf, "test-kho", &phys, &size), 0);
	KUNIT_EXPECT_EQ(test, phys, 0x200000);
	KUNIT_EXPECT_EQ(test, size, 100);
	KUNIT_EXPECT_EQ(test, kho_root_find_blob(buf, "nope", &phys, &size),
			-ENOENT);
	for (cur = 0; (cur = kho_root_next_blob(buf, cur, &b)) > 0; n++)
		KUNIT_EXPECT_STREQ(test, b.name, blobs[n].name);
	KUNIT_EXPECT_EQ(test, n, 2);

	/* Each kind of damage is refused. */
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE,
					     PAGE_SHIFT + 1, &tracker, &why),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "page size differs");
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, fdt_totalsize(buf) - 1,
					     PAGE_SHIFT, &tracker, &why), -EINVAL);
	compat = memchr(buf, 'k', fdt_totalsize(buf));
	while (compat && strcmp(compat, KHO_ROOT_COMPATIBLE))
		compat = memchr(compat + 1, 'k',
				fdt_totalsize(buf) - (compat + 1 - (char *)buf));
	KUNIT_ASSERT_NOT_NULL(test, compat);
	compat[5] = '9';
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	compat[5] = '1';
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), 0);
	((struct fdt_header *)buf)->off_dt_struct = cpu_to_fdt32(0xfffff000);
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	memset(buf, 0, KHO_ROOT_MAX_SIZE);
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "aborted by the previous kernel");

	/* A tree that does not fit. */
	KUNIT_EXPECT_EQ(test, kho_root_build(buf, 128, PAGE_SHIFT, 0x300000,
					     blobs, 2), -ENOSPC);
}

static void kho_test_names_and_scratch(struct kunit *test)
{
	struct kho_scratch_entry s[3] = {
		{ 0x1000000, 0x400000 }, { 0x2000000, 0x200000 },
		{ 0x3000000, 0x1000 },
	};
	const char *why;

	KUNIT_EXPECT_TRUE(test, kho_blob_name_valid("ftrace"));
	KUNIT_EXPECT_TRUE(test, kho_blob_name_valid("a,b.c_d+e-f1"));
	KUNIT_EXPECT_FALSE(test, kho_blob_name_valid(""));
	KUNIT_EXPECT_FALSE(test, kho_blob_name_valid(".hidden"));
	KUNIT_EXPECT_FALSE(test, kho_blob_name_valid("a/b"));
	KUNIT_EXPECT_FALSE(test, kho_blob_name_valid("a@1"));

	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 3, PAGE_SIZE, &why), 0);
	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 0, PAGE_SIZE, &why), -EINVAL);
	s[1].addr = 0x1200000;
	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 3, PAGE_SIZE, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "overlapping scratch areas");
	s[1].addr = 0x2000000;
	s[2].size = 0;
	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 3, PAGE_SIZE, &why), -EINVAL);
	s[2].size = 0x800;
	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 3, PAGE_SIZE, &why), -EINVAL);
	s[2].addr = ~0ULL & PAGE_MASK;
	s[2].size = PAGE_SIZE * 2;
	KUNIT_EXPECT_EQ(test, kho_scratch_check(s, 3, PAGE_SIZE, &why), -EINVAL);
}

/* kexec_file tries the kexec area first, then the others by address. */
static void kho_test_scratch_order(struct kunit *test)
{
	static const struct kho_scratch_entry t[] = {
		{ 0x5000000, 0x400000 }, { 0x1000000, 0x400000 },
		{ 0x9000000, 0x400000 }, { 0x3000000, 0x400000 },
	};
	static const unsigned int up[] = { 0, 1, 3, 2 }, down[] = { 0, 2, 3, 1 };
	unsigned int order[ARRAY_SIZE(t)], i;

	KUNIT_ASSERT_EQ(test, kho_scratch_order(t, 4, order, false), 4U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, order[i], up[i]);
	KUNIT_ASSERT_EQ(test, kho_scratch_order(t, 4, order, true), 4U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, order[i], down[i]);
	KUNIT_ASSERT_EQ(test, kho_scratch_order(t, 1, order, true), 1U);
	KUNIT_EXPECT_EQ(test, order[0], 0U);
	KUNIT_EXPECT_EQ(test, kho_scratch_order(t, 0, order, false), 0U);
}

static void kho_test_api(struct kunit *test)
{
	struct folio *folio;
	void *blob;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the preservation API");

	folio = folio_alloc(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(folio), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(folio), -ENOENT);

	/* A blob must be preserved memory with a valid, unused name. */
	KUNIT_EXPECT_EQ(test, kho_add_blob("kunit", folio_address(folio), 64),
			-EINVAL);
	blob = kho_alloc_preserve(64);
	KUNIT_ASSERT_NOT_NULL(test, blob);
	KUNIT_EXPECT_EQ(test, kho_add_blob("bad/name", blob, 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_add_blob("kunit", blob, PAGE_SIZE + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_add_blob("kunit", blob, 64), 0);
	KUNIT_EXPECT_EQ(test, kho_add_blob("kunit", blob, 64), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_remove_blob("kunit"), 0);
	KUNIT_EXPECT_EQ(test, kho_remove_blob("kunit"), -ENOENT);
	kho_unpreserve_free(blob);

	/* Page ranges that are not a power of two. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(folio, 1), 3), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(folio, 1), 1),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(folio_page(folio, 1), 3), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(folio, 0), 0),
			-EINVAL);
	folio_put(folio);
}

static struct kunit_case kho_test_cases[] = {
	KUNIT_CASE(kho_test_tracker_set_clear),
	KUNIT_CASE(kho_test_tracker_open_iterate),
	KUNIT_CASE(kho_test_root_tree),
	KUNIT_CASE(kho_test_names_and_scratch),
	KUNIT_CASE(kho_test_scratch_order),
	KUNIT_CASE(kho_test_api),
	{}
};

static struct kunit_suite kho_test_suite = {
	.name = "kexec_handover",
	.test_cases = kho_test_cases,
};

kunit_test_suite(kho_test_suite);

MODULE_DESCRIPTION("KUnit tests of kexec handover");
MODULE_LICENSE("GPL");
