// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of shmem_insert_folios(), the one entry point of the memfd
 * live update handler into shmem: a run of folios goes into the file
 * whole, accounted as if allocated for it; a run of consecutive indices
 * steps from slot to slot across the xarray's nodes, or goes in a whole
 * leaf at a time; a conflict stops the run where it is, and the folios
 * from there on stay the caller's.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>

#define MKT_NR	4U

struct mkt {
	struct file *file;
	struct inode *inode;
	struct folio *folios[MKT_NR];
};

static void mkt_setup(struct kunit *test, struct mkt *t)
{
	unsigned int i;

	t->file = shmem_file_setup("memfd_kho_test", 16 * PAGE_SIZE,
				   VM_NORESERVE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->file));
	t->inode = file_inode(t->file);
	for (i = 0; i < MKT_NR; i++) {
		t->folios[i] = folio_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, t->folios[i]);
		memset(folio_address(t->folios[i]), 0xa0 + i, PAGE_SIZE);
	}
}

static int mkt_insert(struct mkt *t, struct folio **folios,
		      const pgoff_t *index, unsigned int nr, bool dirty,
		      unsigned int *done)
{
	int err;

	inode_lock(t->inode);
	err = shmem_insert_folios(t->inode, folios, index, nr, dirty, done);
	inode_unlock(t->inode);
	return err;
}

/*
 * The folio at @index is @folio, uptodate, dirty as asked, with its data,
 * and on an evictable LRU list already: not left in a per-CPU batch.
 */
static void mkt_expect_at(struct kunit *test, struct mkt *t, pgoff_t index,
			  struct folio *folio, bool dirty, u8 fill)
{
	struct folio *f = filemap_get_folio(t->inode->i_mapping, index);

	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_PTR_EQ(test, f, folio);
	KUNIT_EXPECT_TRUE(test, folio_test_uptodate(f));
	KUNIT_EXPECT_EQ(test, folio_test_dirty(f), dirty);
	KUNIT_EXPECT_TRUE(test, folio_test_swapbacked(f));
	KUNIT_EXPECT_TRUE(test, folio_test_lru(f));
	KUNIT_EXPECT_FALSE(test, folio_test_unevictable(f));
	KUNIT_EXPECT_EQ(test, ((u8 *)folio_address(f))[PAGE_SIZE - 1], fill);
	folio_put(f);
}

/* The file holds @pages pages, counted in its mapping, inode and blocks. */
static void mkt_expect_pages(struct kunit *test, struct mkt *t,
			     unsigned long pages)
{
	KUNIT_EXPECT_EQ(test, t->inode->i_mapping->nrpages, pages);
	KUNIT_EXPECT_EQ(test, SHMEM_I(t->inode)->alloced, pages);
	KUNIT_EXPECT_EQ(test, (unsigned long)t->inode->i_blocks,
			pages * (PAGE_SIZE >> 9));
}

/* A run goes in whole: every folio at its index, counted once each. */
static void memfd_kho_test_run(struct kunit *test)
{
	const pgoff_t index[MKT_NR] = { 0, 1, 5, 15 };
	unsigned int i, done = 99;
	struct mkt t;

	mkt_setup(test, &t);
	KUNIT_EXPECT_EQ(test, mkt_insert(&t, t.folios, index, MKT_NR, true,
					 &done), 0);
	KUNIT_EXPECT_EQ(test, done, MKT_NR);
	mkt_expect_pages(test, &t, MKT_NR);
	for (i = 0; i < MKT_NR; i++)
		mkt_expect_at(test, &t, index[i], t.folios[i], true, 0xa0 + i);
	KUNIT_EXPECT_TRUE(test, IS_ERR(filemap_get_folio(t.inode->i_mapping,
							 2)));
	fput(t.file);
}

/*
 * A folio already at one index stops the run there with -EEXIST: those
 * before it are in, it and those after it are still the caller's, with
 * their one reference, unlocked and in no mapping.
 */
static void memfd_kho_test_conflict(struct kunit *test)
{
	const pgoff_t index[MKT_NR - 1] = { 0, 1, 2 };
	const pgoff_t taken = 2;
	unsigned int done = 99;
	struct mkt t;

	mkt_setup(test, &t);
	KUNIT_ASSERT_EQ(test, mkt_insert(&t, &t.folios[MKT_NR - 1], &taken, 1,
					 false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 1U);
	KUNIT_EXPECT_EQ(test, mkt_insert(&t, t.folios, index, MKT_NR - 1, true,
					 &done), -EEXIST);
	KUNIT_EXPECT_EQ(test, done, 2U);
	mkt_expect_pages(test, &t, 3);
	mkt_expect_at(test, &t, 0, t.folios[0], true, 0xa0);
	mkt_expect_at(test, &t, 1, t.folios[1], true, 0xa1);
	mkt_expect_at(test, &t, 2, t.folios[MKT_NR - 1], false,
		      0xa0 + MKT_NR - 1);
	KUNIT_EXPECT_EQ(test, folio_ref_count(t.folios[2]), 1);
	KUNIT_EXPECT_NULL(test, t.folios[2]->mapping);
	KUNIT_EXPECT_FALSE(test, folio_test_locked(t.folios[2]));
	folio_put(t.folios[2]);
	fput(t.file);
}

#define MKT_STEPS	200U

/*
 * @nr folios at indices @start, @start + 1, ... of a new file of
 * MKT_STEPS pages, with @taken already holding a folio of the file when
 * it is below MKT_STEPS: the error, and in *@done how many went in. Each
 * index then holds its folio, up to the conflict; the folio of the
 * conflict is still the caller's.
 */
static int mkt_steps(struct kunit *test, pgoff_t start, unsigned int nr,
		     pgoff_t taken, unsigned int *done)
{
	struct folio **folios, *obstacle = NULL;
	struct file *file;
	struct inode *inode;
	pgoff_t *index;
	unsigned int i, n = 0;
	int err;

	folios = kunit_kcalloc(test, nr, sizeof(*folios), GFP_KERNEL);
	index = kunit_kcalloc(test, nr, sizeof(*index), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, folios);
	KUNIT_ASSERT_NOT_NULL(test, index);
	file = shmem_file_setup("memfd_kho_test", MKT_STEPS * PAGE_SIZE,
				VM_NORESERVE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	inode = file_inode(file);
	for (i = 0; i < nr; i++) {
		folios[i] = folio_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, folios[i]);
		memset(folio_address(folios[i]), start + i, PAGE_SIZE);
		index[i] = start + i;
	}
	if (taken < MKT_STEPS) {
		obstacle = folio_alloc(GFP_KERNEL, 0);
		KUNIT_ASSERT_NOT_NULL(test, obstacle);
	}
	inode_lock(inode);
	err = obstacle ? shmem_insert_folios(inode, &obstacle, &taken, 1,
					     false, &n) : 0;
	if (!err)
		err = shmem_insert_folios(inode, folios, index, nr, true, done);
	inode_unlock(inode);
	KUNIT_ASSERT_TRUE(test, !obstacle || n == 1);

	KUNIT_EXPECT_EQ(test, inode->i_mapping->nrpages, *done + !!obstacle);
	for (i = 0; i < *done; i++) {
		struct folio *f = filemap_get_folio(inode->i_mapping, index[i]);

		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		KUNIT_EXPECT_PTR_EQ(test, f, folios[i]);
		KUNIT_EXPECT_EQ(test, *(u8 *)folio_address(f),
				(u8)(start + i));
		folio_put(f);
	}
	for (; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, folio_ref_count(folios[i]), 1);
		KUNIT_EXPECT_NULL(test, folios[i]->mapping);
		folio_put(folios[i]);
	}
	fput(file);
	return err;
}

/*
 * A run of consecutive order-0 folios steps from slot to slot: through
 * the file's first index (held in the root), and across the boundaries of
 * the xarray's nodes at 64 and 128.
 */
static void memfd_kho_test_steps(struct kunit *test)
{
	unsigned int done = 0;

	KUNIT_EXPECT_EQ(test, mkt_steps(test, 0, MKT_STEPS, MKT_STEPS, &done), 0);
	KUNIT_EXPECT_EQ(test, done, MKT_STEPS);
	KUNIT_EXPECT_EQ(test, mkt_steps(test, 60, 20, MKT_STEPS, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 20U);
}

/*
 * Whole leaves of the xarray (XA_CHUNK_SIZE order-0 folios from a multiple
 * of it) go in a leaf at a time, after one that is in already as well.
 */
static void memfd_kho_test_leaves(struct kunit *test)
{
	unsigned int done = 0;

	KUNIT_EXPECT_EQ(test, mkt_steps(test, 0, XA_CHUNK_SIZE, MKT_STEPS,
					&done), 0);
	KUNIT_EXPECT_EQ(test, done, XA_CHUNK_SIZE);
	KUNIT_EXPECT_EQ(test, mkt_steps(test, XA_CHUNK_SIZE, 2 * XA_CHUNK_SIZE,
					0, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 2 * XA_CHUNK_SIZE);
}

/*
 * A taken index inside a leaf stops the run right at it, whether it is in
 * the first leaf or a later one.
 */
static void memfd_kho_test_leaf_conflict(struct kunit *test)
{
	unsigned int done = 0;

	KUNIT_EXPECT_EQ(test, mkt_steps(test, 0, XA_CHUNK_SIZE, 5, &done),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, done, 5U);
	KUNIT_EXPECT_EQ(test, mkt_steps(test, 0, 3 * XA_CHUNK_SIZE,
					XA_CHUNK_SIZE + 6, &done), -EEXIST);
	KUNIT_EXPECT_EQ(test, done, XA_CHUNK_SIZE + 6);
}

/* A step onto a taken index is a conflict like any other. */
static void memfd_kho_test_step_conflict(struct kunit *test)
{
	unsigned int done = 0;

	KUNIT_EXPECT_EQ(test, mkt_steps(test, 60, 20, 70, &done), -EEXIST);
	KUNIT_EXPECT_EQ(test, done, 10U);
	KUNIT_EXPECT_EQ(test, mkt_steps(test, 0, 130, 64, &done), -EEXIST);
	KUNIT_EXPECT_EQ(test, done, 64U);
}

static struct kunit_case memfd_kho_test_cases[] = {
	KUNIT_CASE(memfd_kho_test_run),
	KUNIT_CASE(memfd_kho_test_conflict),
	KUNIT_CASE(memfd_kho_test_steps),
	KUNIT_CASE(memfd_kho_test_step_conflict),
	KUNIT_CASE(memfd_kho_test_leaves),
	KUNIT_CASE(memfd_kho_test_leaf_conflict),
	{}
};

static struct kunit_suite memfd_kho_test_suite = {
	.name = "memfd_kho",
	.test_cases = memfd_kho_test_cases,
};

kunit_test_suite(memfd_kho_test_suite);

MODULE_DESCRIPTION("KUnit tests of shmem_insert_folios()");
MODULE_LICENSE("GPL");
