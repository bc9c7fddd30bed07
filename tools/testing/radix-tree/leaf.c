// SPDX-License-Identifier: GPL-2.0
/*
 * leaf.c: tests of xas_store_leaf(), which stores a whole leaf of entries
 * at once, against lib/xarray.c built in userspace.
 *
 * Each check is an assert(): the first that fails aborts the program with
 * its line. At the end, every node must be back in the slab: the leaves
 * stored at once are ordinary nodes that erasing frees.
 */
#include <assert.h>
#include <stdio.h>
#include <linux/xarray.h>

#include "test.h"

static DEFINE_XARRAY(array);

static void *leaf_entry(unsigned long index)
{
	return xa_mk_value(index & LONG_MAX);
}

/* Store @entries at @index under the lock, allocating as needed. */
static int leaf_store(struct xarray *xa, unsigned long index,
		      void * const *entries, unsigned long *last)
{
	XA_STATE(xas, xa, index);

	do {
		xas_lock(&xas);
		xas_set(&xas, index);
		xas_store_leaf(&xas, entries);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	if (last)
		*last = xas.xa_index;
	return xas_error(&xas);
}

/* Every @skip-th index from @base left empty (none when @skip is 0). */
static void leaf_fill(void **entries, unsigned long base, unsigned int skip)
{
	unsigned int i;

	for (i = 0; i < XA_CHUNK_SIZE; i++)
		entries[i] = skip && i % skip == 0 ? NULL :
			     leaf_entry(base + i);
}

/*
 * A leaf at @base in an empty array: every entry is where it belongs and
 * nothing else is there; storing it again fails with -EEXIST; erasing
 * every entry empties the array.
 */
static void check_leaf_alone(struct xarray *xa, unsigned long base,
			     unsigned int skip)
{
	void *entries[XA_CHUNK_SIZE];
	unsigned long index, last = 0;
	unsigned int i, seen = 0;
	void *entry;

	leaf_fill(entries, base, skip);
	assert(leaf_store(xa, base, entries, &last) == 0);
	assert(last == base + XA_CHUNK_MASK);
	for (i = 0; i < XA_CHUNK_SIZE; i++)
		assert(xa_load(xa, base + i) == entries[i]);
	xa_for_each(xa, index, entry) {
		assert(index >= base && index <= base + XA_CHUNK_MASK);
		assert(entry == leaf_entry(index));
		seen++;
	}
	assert(seen == XA_CHUNK_SIZE -
	       (skip ? DIV_ROUND_UP(XA_CHUNK_SIZE, skip) : 0));

	assert(leaf_store(xa, base, entries, NULL) == -EEXIST);

	for (i = 0; i < XA_CHUNK_SIZE; i++)
		assert(xa_erase(xa, base + i) == entries[i]);
	assert(xa_empty(xa));
}

/* Beside entries the tree holds already, and where one is in the way. */
static void check_leaf_neighbours(struct xarray *xa)
{
	void *entries[XA_CHUNK_SIZE];
	unsigned long base = 2 * XA_CHUNK_SIZE, far = 7 * XA_CHUNK_SIZE + 1;
	unsigned int i;

	assert(!xa_store(xa, 3, leaf_entry(3), GFP_KERNEL));
	assert(!xa_store(xa, far, leaf_entry(far), GFP_KERNEL));
	leaf_fill(entries, base, 0);
	assert(leaf_store(xa, base, entries, NULL) == 0);
	assert(xa_load(xa, 3) == leaf_entry(3));
	assert(xa_load(xa, far) == leaf_entry(far));
	for (i = 0; i < XA_CHUNK_SIZE; i++)
		assert(xa_load(xa, base + i) == entries[i]);

	/* An entry anywhere in the range: nothing is stored. */
	leaf_fill(entries, 0, 0);
	assert(leaf_store(xa, 0, entries, NULL) == -EEXIST);
	assert(!xa_load(xa, 0) && !xa_load(xa, 4));
	leaf_fill(entries, 6 * XA_CHUNK_SIZE, 0);
	assert(leaf_store(xa, 7 * XA_CHUNK_SIZE, entries, NULL) == -EEXIST);
	assert(!xa_load(xa, 7 * XA_CHUNK_SIZE));

	/* Not at the start of a leaf. */
	assert(leaf_store(xa, 3 * XA_CHUNK_SIZE + 1, entries, NULL) == -EINVAL);
	assert(!xa_load(xa, 3 * XA_CHUNK_SIZE + 1));

	/* Nothing to store. */
	for (i = 0; i < XA_CHUNK_SIZE; i++)
		entries[i] = NULL;
	assert(leaf_store(xa, 4 * XA_CHUNK_SIZE, entries, NULL) == 0);
	assert(!xa_load(xa, 4 * XA_CHUNK_SIZE));

	assert(xa_erase(xa, 3) == leaf_entry(3));
	assert(xa_erase(xa, far) == leaf_entry(far));
	for (i = 0; i < XA_CHUNK_SIZE; i++)
		assert(xa_erase(xa, base + i) == leaf_entry(base + i));
	assert(xa_empty(xa));
}

/* Leaves side by side make the same tree as single stores. */
static void check_leaf_many(struct xarray *xa)
{
	void *entries[XA_CHUNK_SIZE];
	unsigned long index, n = 0;
	unsigned int leaf;
	void *entry;

	for (leaf = 0; leaf < 3 * XA_CHUNK_SIZE; leaf++) {
		leaf_fill(entries, leaf * XA_CHUNK_SIZE, 0);
		assert(leaf_store(xa, leaf * XA_CHUNK_SIZE, entries, NULL) == 0);
	}
	xa_for_each(xa, index, entry) {
		assert(index == n);
		assert(entry == leaf_entry(index));
		n++;
	}
	assert(n == 3 * XA_CHUNK_SIZE * XA_CHUNK_SIZE);
	xa_destroy(xa);
	assert(xa_empty(xa));
}

/* An allocating XArray marks its free slots: it is refused. */
static void check_leaf_alloc(void)
{
	DEFINE_XARRAY_ALLOC(xa);
	void *entries[XA_CHUNK_SIZE];

	leaf_fill(entries, 0, 0);
	assert(leaf_store(&xa, 0, entries, NULL) == -EINVAL);
	assert(xa_empty(&xa));
}

int main(void)
{
	unsigned long base;

	rcu_register_thread();
	radix_tree_init();

	for (base = 0; base < 4 * XA_CHUNK_SIZE; base += XA_CHUNK_SIZE) {
		check_leaf_alone(&array, base, 0);
		check_leaf_alone(&array, base, 3);
	}
	check_leaf_alone(&array, XA_CHUNK_SIZE * XA_CHUNK_SIZE * 5, 0);
	check_leaf_alone(&array, ULONG_MAX - XA_CHUNK_MASK, 2);
	check_leaf_neighbours(&array);
	check_leaf_many(&array);
	check_leaf_alloc();

	radix_tree_cpu_dead(1);
	rcu_barrier();
	assert(nr_allocated == 0);
	rcu_unregister_thread();
	printf("xas_store_leaf: all checks passed\n");
	return 0;
}
