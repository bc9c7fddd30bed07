// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) helpers for clients, built on the client API only:
 * arrays of records in chains of preserved pages.
 * Layout: include/linux/kho/abi.h, "KHO record arrays".
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/mm.h>
#include <linux/slab.h>

#define KHO_ARRAY_ROOM	(PAGE_SIZE - sizeof(struct kho_array_page))

static void *kho_array_records(struct kho_array_page *h)
{
	return h + 1;
}

/**
 * kho_array_init() - start an empty array of records
 * @array: the array
 * @client: the owner of its pages
 * @rec_size: bytes per record, at most a page minus a small header
 *
 * Context: any; allocates nothing.
 * Return: 0, or -EINVAL for a bad @rec_size.
 */
int kho_array_init(struct kho_array *array, struct kho_client *client,
		   size_t rec_size)
{
	if (!rec_size || rec_size > KHO_ARRAY_ROOM)
		return -EINVAL;
	*array = (struct kho_array){ .client = client, .rec_size = rec_size };
	return 0;
}
EXPORT_SYMBOL_GPL(kho_array_init);

/**
 * kho_array_add() - append a record
 * @array: the array
 *
 * A new preserved page is allocated only when the last one is full.
 *
 * Context: process context; may sleep and allocate.
 * Return: the new record, zeroed, to be filled in; NULL when out of memory
 * or when preserving fails (the array is unchanged).
 */
void *kho_array_add(struct kho_array *array)
{
	struct kho_array_page *h = array->tail, *p;
	void *rec;

	if (!h || (h->nr + 1) * array->rec_size > KHO_ARRAY_ROOM) {
		p = kho_alloc_preserve(array->client, PAGE_SIZE);
		if (IS_ERR(p))
			return NULL;
		p->magic = KHO_ARRAY_MAGIC;
		p->rec_size = array->rec_size;
		if (h)
			h->next = virt_to_phys(p);
		else
			array->head = p;
		array->tail = p;
		h = p;
	}
	rec = kho_array_records(h) + h->nr * array->rec_size;
	h->nr++;
	array->nr++;
	return rec;
}
EXPORT_SYMBOL_GPL(kho_array_add);

/**
 * kho_array_phys() - where the next kernel finds the array
 * @array: the array
 *
 * Context: any.
 * Return: the physical address of the first page, 0 for an empty array.
 */
phys_addr_t kho_array_phys(const struct kho_array *array)
{
	return array->head ? virt_to_phys(array->head) : 0;
}
EXPORT_SYMBOL_GPL(kho_array_phys);

/**
 * kho_array_destroy() - unpreserve and free every page of an array
 * @array: the array, empty afterwards
 *
 * Context: process context; may sleep.
 */
void kho_array_destroy(struct kho_array *array)
{
	struct kho_array_page *h = array->head;

	while (h) {
		struct kho_array_page *next =
			h->next ? phys_to_virt(h->next) : NULL;

		kho_unpreserve_free(array->client, h);
		h = next;
	}
	kho_array_init(array, array->client, array->rec_size);
}
EXPORT_SYMBOL_GPL(kho_array_destroy);

/**
 * kho_array_restore() - read an array the previous kernel preserved
 * @client: the owner of its pages
 * @phys: kho_array_phys() of the array in the previous kernel, 0 if empty
 * @rec_size: bytes per record, as written
 * @fn: called for each record with @arg, the record and its index; a
 *	non-zero return stops the walk and is returned
 * @arg: passed to @fn
 *
 * Each page is taken back, checked and freed once its records were read:
 * a chain that loops, or pages not preserved by @client, stop the walk
 * with an error.
 *
 * Context: process context; may sleep.
 * Return: the number of records, or a negative error: -EINVAL for a
 * corrupted page or a different record size, the errors of
 * kho_restore_folio(), or the error of @fn.
 */
long kho_array_restore(struct kho_client *client, phys_addr_t phys,
		       size_t rec_size,
		       int (*fn)(void *arg, const void *rec, unsigned long i),
		       void *arg)
{
	unsigned long n = 0, i;
	int err = 0;

	while (phys && !err) {
		struct kho_array_page *h;

		h = kho_restore_preserved(client, phys, PAGE_SIZE);
		if (IS_ERR(h))
			return PTR_ERR(h);
		if (h->magic != KHO_ARRAY_MAGIC || h->rec_size != rec_size ||
		    (u64)h->nr * rec_size > KHO_ARRAY_ROOM)
			err = -EINVAL;
		for (i = 0; !err && i < h->nr; i++)
			err = fn(arg, kho_array_records(h) + i * rec_size, n++);
		phys = h->next;
		folio_put(virt_to_folio(h));
	}
	return err ?: n;
}
EXPORT_SYMBOL_GPL(kho_array_restore);
