// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of Kexec HandOver (KHO): the tracker, the root tree, the
 * scratch table checks and the preservation API inside one kernel.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

#define kt_ops kho_out_tracker_ops

/* Versions of the test clients' state. */
#define KT_V1	"kunit-v1"
#define KT_V2	"kunit-v2"

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

static const struct kho_root_blob kt_root_blobs[] = {
	{ "trace", 0x100000, 4096 },
	{ "meta", 0x200000, 100 },
};

/* A tree with the clients "ftrace" (two blobs) and "vmm" (none). */
static int kho_test_build_root(void *buf, size_t size)
{
	struct kho_root_meta meta = { "6.12.0-kho", 3, 0 };
	int err;

	err = kho_root_begin(buf, size, PAGE_SHIFT, 0x300000, &meta);
	err = err ?: kho_root_begin_client(buf, "ftrace", "ftrace-kho-v1",
					   0x400000);
	err = err ?: kho_root_add_blob(buf, kt_root_blobs[0].name,
				       kt_root_blobs[0].phys,
				       kt_root_blobs[0].size);
	err = err ?: kho_root_add_blob(buf, kt_root_blobs[1].name,
				       kt_root_blobs[1].phys,
				       kt_root_blobs[1].size);
	err = err ?: kho_root_end_client(buf);
	err = err ?: kho_root_begin_client(buf, "vmm", "vmm-v2", 0x500000);
	err = err ?: kho_root_end_client(buf);
	return err ?: kho_root_finish(buf);
}

/* kho_root_check() of a tree whose "ftrace" client has one more blob. */
static int kho_test_bad_blob(struct kunit *test, u64 phys, u64 size)
{
	struct kho_root_meta meta = { "6.12.0-kho", 3, 0 };
	void *buf = kunit_kzalloc(test, KHO_ROOT_MAX_SIZE, GFP_KERNEL);
	const char *why = NULL;
	u64 tracker;
	int err;

	if (!buf)
		return -ENOMEM;
	err = kho_root_begin(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT, 0x300000,
			     &meta);
	err = err ?: kho_root_begin_client(buf, "ftrace", "ftrace-kho-v1",
					   0x400000);
	err = err ?: kho_root_add_blob(buf, "trace", 0x100000, 4096);
	err = err ?: kho_root_add_blob(buf, "extra", phys, size);
	err = err ?: kho_root_end_client(buf);
	err = err ?: kho_root_finish(buf);
	KUNIT_ASSERT_EQ(test, err, 0);
	err = kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT, &tracker, &why);
	if (err)
		KUNIT_EXPECT_TRUE(test, !strcmp(why, "overlapping blobs") ||
				  !strcmp(why, "bad blob node"));
	return err;
}

static void kho_test_root_tree(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, KHO_ROOT_MAX_SIZE, GFP_KERNEL);
	struct kho_root_client c[3];
	struct kho_root_meta meta;
	struct kho_root_blob b;
	const char *why = NULL;
	u64 tracker, phys, size;
	char *compat;
	int cur, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kho_test_build_root(buf, KHO_ROOT_MAX_SIZE), 0);
	KUNIT_ASSERT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), 0);
	KUNIT_EXPECT_EQ(test, tracker, 0x300000);
	KUNIT_ASSERT_EQ(test, kho_root_get_meta(buf, &meta), 0);
	KUNIT_EXPECT_STREQ(test, meta.release, "6.12.0-kho");
	KUNIT_EXPECT_EQ(test, meta.boot_count, 3);
	KUNIT_EXPECT_EQ(test, meta.frozen_at, 0);
	KUNIT_EXPECT_EQ(test, kho_root_set_frozen_at(buf, 1234), 0);
	KUNIT_ASSERT_EQ(test, kho_root_get_meta(buf, &meta), 0);
	KUNIT_EXPECT_EQ(test, meta.frozen_at, 1234);

	for (cur = 0; n < 3 && (cur = kho_root_next_client(buf, cur, &c[n])) > 0; )
		n++;
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_STREQ(test, c[0].name, "ftrace");
	KUNIT_EXPECT_STREQ(test, c[0].compatible, "ftrace-kho-v1");
	KUNIT_EXPECT_EQ(test, c[0].tracker, 0x400000);
	KUNIT_EXPECT_STREQ(test, c[1].name, "vmm");
	KUNIT_EXPECT_EQ(test, kho_root_find_blob(buf, c[0].node, "meta", &phys,
						 &size), 0);
	KUNIT_EXPECT_EQ(test, phys, 0x200000);
	KUNIT_EXPECT_EQ(test, size, 100);
	KUNIT_EXPECT_EQ(test, kho_root_find_blob(buf, c[1].node, "meta", &phys,
						 &size), -ENOENT);
	n = 0;
	for (cur = 0; (cur = kho_root_next_blob(buf, c[0].node, cur, &b)) > 0; n++)
		KUNIT_EXPECT_STREQ(test, b.name, kt_root_blobs[n].name);
	KUNIT_EXPECT_EQ(test, n, 2);

	/* Overlapping blobs, and a blob larger than any block. */
	KUNIT_EXPECT_EQ(test, kho_test_bad_blob(test, 0x100800, 100),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_bad_blob(test, 0x300000,
						1ULL << (PAGE_SHIFT + 40)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_bad_blob(test, 0x300000, 4096), 0);

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
	/* The version digit: the next version is another layout. */
	compat[strlen(KHO_ROOT_COMPATIBLE) - 1]++;
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	compat[strlen(KHO_ROOT_COMPATIBLE) - 1]--;
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), 0);
	/* A client tracker that is not page aligned. */
	KUNIT_ASSERT_EQ(test, fdt_setprop_inplace_u64(buf, c[1].node,
						      KHO_PROP_TRACKER, 0x500001), 0);
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "bad client node");
	((struct fdt_header *)buf)->off_dt_struct = cpu_to_fdt32(0xfffff000);
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	memset(buf, 0, KHO_ROOT_MAX_SIZE);
	KUNIT_EXPECT_EQ(test, kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
					     &tracker, &why), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "aborted by the previous kernel");

	/* A tree that does not fit. */
	KUNIT_EXPECT_EQ(test, kho_test_build_root(buf, 128), -ENOSPC);
}

/* A tree with one client, "a", and @dropped (@len bytes) as dropped list. */
static int kho_test_dropped_tree(void *buf, const char *dropped, int len)
{
	struct kho_root_meta meta = {
		.release = "6.12.0-kho", .boot_count = 1,
		.dropped = dropped, .dropped_len = len,
	};
	const char *why;
	u64 tracker;
	int err;

	err = kho_root_begin(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT, 0x300000, &meta);
	err = err ?: kho_root_begin_client(buf, "a", "a-v1", 0x400000);
	err = err ?: kho_root_end_client(buf);
	err = err ?: kho_root_finish(buf);
	return err ?: kho_root_check(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
				     &tracker, &why);
}

/* The list of clients dropped because their freeze failed. */
static void kho_test_root_dropped(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, KHO_ROOT_MAX_SIZE, GFP_KERNEL);
	const char *name;
	int cur;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kho_test_dropped_tree(buf, "x\0yy", 5), 0);
	cur = kho_root_next_dropped(buf, 0, &name);
	KUNIT_ASSERT_GT(test, cur, 0);
	KUNIT_EXPECT_STREQ(test, name, "x");
	cur = kho_root_next_dropped(buf, cur, &name);
	KUNIT_ASSERT_GT(test, cur, 0);
	KUNIT_EXPECT_STREQ(test, name, "yy");
	KUNIT_EXPECT_EQ(test, kho_root_next_dropped(buf, cur, &name), -ENOENT);
	/* None: the list is absent. */
	KUNIT_ASSERT_EQ(test, kho_test_dropped_tree(buf, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_root_next_dropped(buf, 0, &name), -ENOENT);
	/* Twice the same name, a client's name, a bad name, no NUL. */
	KUNIT_EXPECT_EQ(test, kho_test_dropped_tree(buf, "x\0x", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_dropped_tree(buf, "a", 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_dropped_tree(buf, "b/c", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_dropped_tree(buf, "x\0y", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_test_dropped_tree(buf, "", 1), -EINVAL);
}

static void kho_test_names_and_scratch(struct kunit *test)
{
	struct kho_scratch_entry s[3] = {
		{ 0x1000000, 0x400000 }, { 0x2000000, 0x200000 },
		{ 0x3000000, 0x1000 },
	};
	const char *why;

	KUNIT_EXPECT_TRUE(test, kho_name_valid("ftrace"));
	KUNIT_EXPECT_TRUE(test, kho_name_valid("a,b.c_d+e-f1"));
	KUNIT_EXPECT_FALSE(test, kho_name_valid(""));
	KUNIT_EXPECT_FALSE(test, kho_name_valid(".hidden"));
	KUNIT_EXPECT_FALSE(test, kho_name_valid("a/b"));
	KUNIT_EXPECT_FALSE(test, kho_name_valid("a@1"));

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

static struct kho_client *kho_test_register(struct kunit *test,
					    const char *name)
{
	struct kho_client_desc desc = { .name = name, .compatible = KT_V1 };
	struct kho_client *c = kho_client_register(&desc);

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	return c;
}

/* Registration: names, versions, uniqueness. */
static void kho_test_clients(struct kunit *test)
{
	struct kho_client_desc desc = { .name = "kunit-a", .compatible = KT_V1 };
	struct kho_client *a;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the client API");
	a = kho_test_register(test, "kunit-a");
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_client_register(&desc)), -EEXIST);
	desc.name = "bad/name";
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_client_register(&desc)), -EINVAL);
	desc.name = "kunit-b";
	desc.compatible = "";
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_client_register(&desc)), -EINVAL);
	/* Not a client of the previous kernel: nothing to restore. */
	KUNIT_EXPECT_EQ(test, kho_client_incoming(a, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, 0x100000)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_get_blob(a, "x", &(phys_addr_t){0},
					   &(size_t){0}), -ENOENT);
	kho_client_unregister(a);
	/* The name is free again. */
	a = kho_test_register(test, "kunit-a");
	kho_client_unregister(a);
}

/* Ownership and the error cases of preserving. */
static void kho_test_api(struct kunit *test)
{
	struct kho_client *a, *b;
	struct folio *folio, *many[3];
	struct page *pg;
	unsigned int i;
	void *blob;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the preservation API");
	a = kho_test_register(test, "kunit-a");
	b = kho_test_register(test, "kunit-b");

	folio = folio_alloc(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, folio), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, folio), -EEXIST);
	/* Another client can neither take nor drop it. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(b, folio), -EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(b, folio), -EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, folio), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, folio), -ENOENT);
	/* Nor can a client drop the root tree. */
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(a, virt_to_page(kho_out.root),
						   1UL << get_order(KHO_ROOT_MAX_SIZE)),
			-EPERM);
	/* Nor the tracker's own pages. */
	pg = pfn_to_page(PHYS_PFN(a->tracker.hdr_phys));
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(a, pg, 1), -EPERM);

	/* A blob must be preserved by its client, with a valid, unused name. */
	KUNIT_EXPECT_EQ(test, kho_add_blob(a, "kunit", folio_address(folio), 64),
			-EINVAL);
	blob = kho_alloc_preserve(a, 64);
	KUNIT_ASSERT_FALSE(test, IS_ERR(blob));
	KUNIT_EXPECT_EQ(test, kho_add_blob(b, "kunit", blob, 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_add_blob(a, "bad/name", blob, 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_add_blob(a, "kunit", blob, PAGE_SIZE + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_add_blob(a, "kunit", blob, 64), 0);
	KUNIT_EXPECT_EQ(test, kho_add_blob(a, "kunit", blob, 64), -EEXIST);
	/* Blob names are per client. */
	KUNIT_EXPECT_EQ(test, kho_remove_blob(b, "kunit"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_remove_blob(a, "kunit"), 0);
	KUNIT_EXPECT_EQ(test, kho_remove_blob(a, "kunit"), -ENOENT);
	kho_unpreserve_free(a, blob);

	/* Page ranges that are not a power of two. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, folio_page(folio, 1), 3), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, folio_page(folio, 1), 1),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(b, folio_page(folio, 1), 3),
			-EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(a, folio_page(folio, 1), 3), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, folio_page(folio, 0), 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_preserve_phys(a, folio_pfn(folio) << PAGE_SHIFT,
						100), -EINVAL);
	folio_put(folio);

	/* A batch is all or nothing. */
	for (i = 0; i < ARRAY_SIZE(many); i++) {
		many[i] = folio_alloc(GFP_KERNEL, i);
		KUNIT_ASSERT_NOT_NULL(test, many[i]);
	}
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(b, many[2]), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(a, many, 3), -EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, many[0]), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(b, many[2]), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(a, many, 3), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folios(a, many, 3), 0);

	/* Unregistering drops what the client preserves. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(b, many, 3), 0);
	kho_client_unregister(b);
	b = kho_test_register(test, "kunit-b");
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(b, many, 3), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(a, many, 1), -EPERM);
	kho_client_unregister(b);
	for (i = 0; i < ARRAY_SIZE(many); i++)
		folio_put(many[i]);

	kho_client_unregister(a);
}

static void *kho_test_no_page(void *ctx, u64 *phys)
{
	return NULL;
}

/*
 * Out of memory while preserving: the client's tracker cannot grow. The
 * call fails with -ENOMEM and leaves nothing behind, batches included.
 */
/*
 * Blocks of different orders and clients never overlap; memory that cannot
 * be unpreserved is not freed; errors come as error pointers.
 */
static void kho_test_overlap(struct kunit *test)
{
	struct folio *big, *many[16];
	struct kho_client *a, *b;
	struct page *pages;
	unsigned int i;
	void *blob;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the preservation API");
	a = kho_test_register(test, "kunit-a");
	b = kho_test_register(test, "kunit-b");
	big = folio_alloc(GFP_KERNEL, 10);
	KUNIT_ASSERT_NOT_NULL(test, big);

	/* Half of the folio as an order-9 block of a's. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, folio_page(big, 0), 512), 0);
	/* The folio around it, by another client or by a itself. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(b, big), -EPERM);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, big), -EEXIST);
	/* A page inside it. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(b, folio_page(big, 3), 1),
			-EPERM);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, folio_page(big, 3), 1),
			-EEXIST);
	/* The other half is free to take. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(b, folio_page(big, 512), 512),
			0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(b, folio_page(big, 512), 512),
			0);
	/* The batch path: the overlapping folio fails it, all of it undone. */
	for (i = 0; i < ARRAY_SIZE(many) - 1; i++) {
		many[i] = folio_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, many[i]);
	}
	many[i] = big;
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(b, many, ARRAY_SIZE(many)),
			-EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(b, many[0]), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(a, folio_page(big, 0), 512),
			0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(b, many, ARRAY_SIZE(many)),
			0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folios(b, many, ARRAY_SIZE(many)),
			0);
	for (i = 0; i < ARRAY_SIZE(many) - 1; i++)
		folio_put(many[i]);
	folio_put(big);

	/* A high-order allocation without __GFP_COMP: pages, not a folio. */
	pages = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, page_folio(pages + 1)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(a, pages, 4), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(b, pages + 3, 1), -EPERM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_pages(a, pages, 4), 0);
	__free_pages(pages, 2);

	/* Errors of kho_alloc_preserve(). */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_alloc_preserve(a, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_alloc_preserve(a, SIZE_MAX)), -EINVAL);

	/* b cannot unpreserve a's memory: it stays allocated and preserved. */
	blob = kho_alloc_preserve(a, 64);
	KUNIT_ASSERT_FALSE(test, IS_ERR(blob));
	kho_unpreserve_free(b, blob);
	KUNIT_EXPECT_EQ(test, folio_ref_count(virt_to_folio(blob)), 1);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, virt_to_folio(blob)),
			-EEXIST);
	kho_unpreserve_free(a, blob);
	kho_client_unregister(b);
	kho_client_unregister(a);
}

static void kho_test_alloc_failure(struct kunit *test)
{
	struct kho_tracker_ops ops = kho_out_tracker_ops;
	const struct kho_tracker_ops *saved;
	struct folio *f[2];
	struct kho_client *a;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the client API");
	a = kho_test_register(test, "kunit-a");
	f[0] = folio_alloc(GFP_KERNEL, 0);
	f[1] = folio_alloc(GFP_KERNEL, 2);
	KUNIT_ASSERT_TRUE(test, f[0] && f[1]);
	/* The nodes for f[0] exist from now on (nodes are kept). */
	KUNIT_ASSERT_EQ(test, kho_preserve_folio(a, f[0]), 0);
	KUNIT_ASSERT_EQ(test, kho_unpreserve_folio(a, f[0]), 0);
	ops.alloc_page = kho_test_no_page;
	mutex_lock(&kho_out.lock);
	saved = a->tracker.ops;
	a->tracker.ops = &ops;
	mutex_unlock(&kho_out.lock);
	/* An order-2 block needs nodes of its own: none can be had. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, f[1]), -ENOMEM);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_alloc_preserve(a, 3 * PAGE_SIZE)),
			-ENOMEM);
	/* A batch is undone: f[0] went in first, and is out again. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folios(a, f, 2), -ENOMEM);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, f[0]), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, f[1]), -ENOENT);
	/* What needs no new node still works. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(a, f[0]), 0);
	KUNIT_EXPECT_EQ(test, kho_unpreserve_folio(a, f[0]), 0);
	mutex_lock(&kho_out.lock);
	a->tracker.ops = saved;
	mutex_unlock(&kho_out.lock);
	folio_put(f[0]);
	folio_put(f[1]);
	kho_client_unregister(a);
}

/* Record arrays span pages and come back in order. */
static void kho_test_array(struct kunit *test)
{
	struct kho_array arr;
	struct kho_client *a;
	unsigned int i;
	u64 *rec;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to test the client API");
	a = kho_test_register(test, "kunit-a");
	KUNIT_EXPECT_EQ(test, kho_array_init(&arr, a, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_array_init(&arr, a, PAGE_SIZE), -EINVAL);
	KUNIT_ASSERT_EQ(test, kho_array_init(&arr, a, sizeof(u64)), 0);
	KUNIT_EXPECT_EQ(test, kho_array_phys(&arr), 0);
	for (i = 0; i < 3 * PAGE_SIZE / sizeof(u64); i++) {
		rec = kho_array_add(&arr);
		KUNIT_ASSERT_NOT_NULL(test, rec);
		*rec = i;
	}
	KUNIT_EXPECT_EQ(test, arr.nr, 3 * PAGE_SIZE / sizeof(u64));
	KUNIT_EXPECT_NE(test, kho_array_phys(&arr), 0);
	KUNIT_EXPECT_NE(test, (unsigned long)arr.head, (unsigned long)arr.tail);
	kho_array_destroy(&arr);
	KUNIT_EXPECT_EQ(test, kho_array_phys(&arr), 0);
	kho_client_unregister(a);
}

/*
 * The restore side needs a previous kernel: kho_test_handover leaves state
 * for the next kernel under two clients, which stay registered; booted
 * from that kernel, kho_test_restore exercises every error of restoring.
 */
#define KT_IN_A		"kunit-in-a"
#define KT_IN_B		"kunit-in-b"

/* Records of each array: a few pages of them, record i holding i. */
#define KT_ARRAY_NR	2000
#define KT_ARRAY_FAIL	700

struct kho_test_state {
	u64 folio;	/* order 2, client A */
	u64 pages;	/* order-1 folio preserved as 2 pages, client A */
	u64 other;	/* order 0, client B */
	u64 array[3];	/* kho_array_phys() of three arrays, client A */
};

/* Fill @n arrays of KT_ARRAY_NR records for the next kernel. */
static void kho_test_fill_arrays(struct kunit *test, struct kho_client *c,
				 u64 *phys, unsigned int n)
{
	struct kho_array arr;
	unsigned int a, i;
	u64 *rec;

	for (a = 0; a < n; a++) {
		KUNIT_ASSERT_EQ(test, kho_array_init(&arr, c, sizeof(u64)), 0);
		for (i = 0; i < KT_ARRAY_NR; i++) {
			rec = kho_array_add(&arr);
			KUNIT_ASSERT_NOT_NULL(test, rec);
			*rec = i;
		}
		phys[a] = kho_array_phys(&arr);
	}
}

struct kho_test_seen {
	unsigned long *bits;	/* the indices seen */
	unsigned long fail_at;	/* fail at this index */
	atomic_t bad;		/* records seen twice or out of place */
};

/* Called by several threads at once. */
static int kho_test_array_rec(void *arg, const void *rec, unsigned long i)
{
	struct kho_test_seen *s = arg;

	if (i == s->fail_at)
		return -EIO;
	if (i >= KT_ARRAY_NR || *(const u64 *)rec != i ||
	    test_and_set_bit(i, s->bits))
		atomic_inc(&s->bad);
	return 0;
}

static int kho_test_array_page(void *arg, const void *recs, unsigned int nr,
			       unsigned long first)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr && !err; i++)
		err = kho_test_array_rec(arg, recs + i * sizeof(u64), first + i);
	return err;
}

/*
 * The third array, mapped: read by two threads, each record once, then
 * again until an error; its pages stay taken until unmapped.
 */
static void kho_test_map_array(struct kunit *test, struct kho_client *c,
			       u64 phys, struct kho_test_seen *s)
{
	struct kho_array_map map;

	KUNIT_ASSERT_EQ(test, kho_array_map(c, phys, sizeof(u64), &map), 0);
	KUNIT_EXPECT_EQ(test, map.nr, KT_ARRAY_NR);
	s->fail_at = ULONG_MAX;
	bitmap_zero(s->bits, KT_ARRAY_NR);
	KUNIT_EXPECT_EQ(test, kho_array_map_parallel(&map, kho_test_array_page,
						     s, 2),
			KT_ARRAY_NR);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->bad), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_full(s->bits, KT_ARRAY_NR));
	s->fail_at = KT_ARRAY_FAIL;
	bitmap_zero(s->bits, KT_ARRAY_NR);
	KUNIT_EXPECT_EQ(test, kho_array_map_parallel(&map, kho_test_array_page,
						     s, 2),
			-EIO);
	KUNIT_EXPECT_EQ(test, *(u64 *)kho_array_map_rec(&map, KT_ARRAY_NR - 1),
			KT_ARRAY_NR - 1);
	kho_array_unmap(&map);
	KUNIT_EXPECT_EQ(test, map.nr, 0);
}

/*
 * The arrays of the previous kernel, a page at a time: the first whole,
 * each record once; the second stops at an error, its unread pages are
 * left to kho_finish(); the third mapped and read by two threads.
 */
static void kho_test_restore_arrays(struct kunit *test, struct kho_client *c,
				    const u64 *phys)
{
	struct kho_test_seen s = { .fail_at = ULONG_MAX };

	s.bits = kunit_kcalloc(test, BITS_TO_LONGS(KT_ARRAY_NR),
			       sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s.bits);
	KUNIT_EXPECT_EQ(test, kho_array_restore_pages(c, phys[0], sizeof(u64),
						      kho_test_array_page, &s),
			KT_ARRAY_NR);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.bad), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_full(s.bits, KT_ARRAY_NR));
	/* Its pages are gone. */
	KUNIT_EXPECT_EQ(test, kho_array_restore(c, phys[0], sizeof(u64),
						kho_test_array_rec, &s),
			-ENOENT);
	s.fail_at = KT_ARRAY_FAIL;
	bitmap_zero(s.bits, KT_ARRAY_NR);
	KUNIT_EXPECT_EQ(test, kho_array_restore_pages(c, phys[1], sizeof(u64),
						      kho_test_array_page, &s),
			-EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.bad), 0);
	KUNIT_EXPECT_FALSE(test, test_bit(KT_ARRAY_FAIL, s.bits));
	kho_test_map_array(test, c, phys[2], &s);
}

static struct kho_client *kho_test_in_a, *kho_test_in_b;

static void kho_test_handover(struct kunit *test)
{
	struct kho_client_desc da = { .name = KT_IN_A, .compatible = KT_V1 };
	struct kho_client_desc db = { .name = KT_IN_B, .compatible = KT_V1 };
	struct folio *f, *p, *o;
	struct kho_test_state *st;

	if (!kho_is_enabled())
		kunit_skip(test, "boot with kho=on to hand state over");
	/* Booted from a kernel that ran this: restore first (below). */
	if (kho_in.valid)
		kunit_skip(test, "the restore case takes this boot's state");
	kho_test_in_a = kho_client_register(&da);
	kho_test_in_b = kho_client_register(&db);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kho_test_in_a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(kho_test_in_b));
	f = folio_alloc(GFP_KERNEL, 2);
	p = folio_alloc(GFP_KERNEL, 1);
	o = folio_alloc(GFP_KERNEL, 0);
	st = kho_alloc_preserve(kho_test_in_a, sizeof(*st));
	KUNIT_ASSERT_TRUE(test, f && p && o && !IS_ERR(st));
	st->folio = PFN_PHYS(folio_pfn(f));
	st->pages = PFN_PHYS(folio_pfn(p));
	st->other = PFN_PHYS(folio_pfn(o));
	kho_test_fill_arrays(test, kho_test_in_a, st->array,
			     ARRAY_SIZE(st->array));
	KUNIT_ASSERT_EQ(test, kho_preserve_folio(kho_test_in_a, f), 0);
	KUNIT_ASSERT_EQ(test, kho_preserve_pages(kho_test_in_a, &p->page, 2), 0);
	KUNIT_ASSERT_EQ(test, kho_preserve_folio(kho_test_in_b, o), 0);
	KUNIT_ASSERT_EQ(test, kho_add_blob(kho_test_in_a, "state", st,
					   sizeof(*st)), 0);
	/* Kept registered, with the memory, for the next kernel. */
}

static void kho_test_restore(struct kunit *test)
{
	struct kho_client_desc da = { .name = KT_IN_A, .compatible = KT_V1 };
	struct kho_client_desc db = { .name = KT_IN_B, .compatible = KT_V2 };
	struct kho_client *a, *b;
	struct kho_test_state st;
	struct folio *folio, *folios[3];
	phys_addr_t batch[3];
	struct page *pages;
	const char *compat;
	phys_addr_t phys;
	size_t size;

	if (!kho_in.valid)
		kunit_skip(test, "needs a kernel booted from one that ran kho_test_handover");
	a = kho_client_register(&da);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_EQ(test, kho_client_incoming(a, &compat), 0);
	KUNIT_EXPECT_STREQ(test, compat, KT_V1);
	KUNIT_ASSERT_EQ(test, kho_get_blob(a, "state", &phys, &size), 0);
	KUNIT_EXPECT_EQ(test, kho_get_blob(a, "nope", &phys, &size), -ENOENT);
	KUNIT_ASSERT_EQ(test, size, sizeof(st));
	memcpy(&st, phys_to_virt(phys), sizeof(st));
	/* B's block is not A's. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, st.other)), -EPERM);

	/* B comes with another version: its state is refused and released. */
	b = kho_client_register(&db);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, kho_client_incoming(b, &compat), -EPROTO);
	KUNIT_EXPECT_STREQ(test, compat, KT_V1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(b, st.folio)), -ESTALE);
	/* Released with B: nothing there any more. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, st.other)), -ENOENT);
	/* Not the start of a block. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, st.folio + PAGE_SIZE)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, st.folio + 1)),
			-EINVAL);
	/* Wrong size: nothing is claimed. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_pages(a, st.pages, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_pages(a, st.pages, 3)), -ENOENT);
	/* A range that wraps around claims nothing. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_pages(a, st.pages, ULONG_MAX)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_preserved(a, st.folio,
							    8 * PAGE_SIZE)),
			-EINVAL);
	/* Right: once; in a batch, each address gets its own result. */
	batch[0] = st.folio + 1;
	batch[1] = st.folio;
	batch[2] = st.folio;
	KUNIT_EXPECT_EQ(test, kho_restore_folios(a, batch, 3, folios), 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(folios[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(folios[2]), -ENOENT);
	folio = folios[1];
	KUNIT_ASSERT_FALSE(test, IS_ERR(folio));
	KUNIT_EXPECT_EQ(test, folio_order(folio), 2);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_folio(a, st.folio)), -ENOENT);
	folio_put(folio);
	pages = kho_restore_pages(a, st.pages, 2);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_EXPECT_EQ(test, page_ref_count(pages + 1), 1);
	__free_page(pages);
	__free_page(pages + 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_pages(a, st.pages, 2)), -ENOENT);
	kho_test_restore_arrays(test, a, st.array);
	/* After finish: the rest (the blob) is released, nothing restores. */
	kho_finish(a);
	KUNIT_EXPECT_EQ(test, kho_client_incoming(a, NULL), -ESTALE);
	KUNIT_EXPECT_EQ(test, kho_get_blob(a, "state", &phys, &size), -ESTALE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kho_restore_preserved(a, phys, size)),
			-ESTALE);
	kho_finish(a);
	kho_client_unregister(b);
	/* Gone with the first registration: a second one gets nothing. */
	kho_client_unregister(a);
	a = kho_client_register(&da);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, kho_client_incoming(a, NULL), -ESTALE);
	kho_client_unregister(a);
}

static struct kunit_case kho_test_cases[] = {
	KUNIT_CASE(kho_test_tracker_set_clear),
	KUNIT_CASE(kho_test_tracker_open_iterate),
	KUNIT_CASE(kho_test_root_tree),
	KUNIT_CASE(kho_test_root_dropped),
	KUNIT_CASE(kho_test_names_and_scratch),
	KUNIT_CASE(kho_test_scratch_order),
	KUNIT_CASE(kho_test_clients),
	KUNIT_CASE(kho_test_api),
	KUNIT_CASE(kho_test_overlap),
	KUNIT_CASE(kho_test_alloc_failure),
	KUNIT_CASE(kho_test_array),
	KUNIT_CASE(kho_test_restore),
	KUNIT_CASE(kho_test_handover),
	{}
};

static struct kunit_suite kho_test_suite = {
	.name = "kexec_handover",
	.test_cases = kho_test_cases,
};

kunit_test_suite(kho_test_suite);

MODULE_DESCRIPTION("KUnit tests of kexec handover");
MODULE_LICENSE("GPL");
