// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) helpers for clients, built on the client API only:
 * arrays of records in chains of preserved pages, and vmalloc areas.
 * Layout: include/linux/kho/abi.h, "KHO record arrays".
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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

/**
 * kho_preserve_vmalloc() - preserve a vmalloc area
 * @client: the owner
 * @addr: start of an area from vmalloc() and friends
 * @desc: where the next kernel finds it, for kho_restore_vmalloc()
 *
 * Preserves every page of the area in one call, and a descriptor (a
 * record array: the number of pages, then each page's physical address).
 * The contents may keep changing until the jump.
 *
 * Context: process context; may sleep and allocate.
 * Return: 0; -EINVAL if @addr does not start a vmalloc area; the errors of
 * kho_preserve_folios(); -ENOMEM. On error nothing stays preserved.
 */
int kho_preserve_vmalloc(struct kho_client *client, const void *addr,
			 phys_addr_t *desc)
{
	struct vm_struct *vm = find_vm_area(addr);
	struct folio **folios;
	struct kho_array a;
	unsigned int i;
	u64 *rec;
	int err;

	if (!vm || vm->addr != addr || !vm->pages || !vm->nr_pages)
		return -EINVAL;
	folios = kvmalloc_array(vm->nr_pages, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	for (i = 0; i < vm->nr_pages; i++)
		folios[i] = page_folio(vm->pages[i]);
	err = kho_preserve_folios(client, folios, vm->nr_pages);
	if (err)
		goto out;
	kho_array_init(&a, client, sizeof(u64));
	rec = kho_array_add(&a);
	if (rec)
		*rec = vm->nr_pages;
	for (i = 0; rec && i < vm->nr_pages; i++) {
		rec = kho_array_add(&a);
		if (rec)
			*rec = page_to_phys(vm->pages[i]);
	}
	if (!rec) {
		kho_array_destroy(&a);
		kho_unpreserve_folios(client, folios, vm->nr_pages);
		err = -ENOMEM;
		goto out;
	}
	*desc = kho_array_phys(&a);
out:
	kvfree(folios);
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc() - stop preserving a vmalloc area
 * @client: the owner
 * @desc: from kho_preserve_vmalloc()
 *
 * Unpreserves the pages and frees the descriptor; the area stays as it is.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for a bad descriptor, or the first error of
 * kho_unpreserve_pages().
 */
int kho_unpreserve_vmalloc(struct kho_client *client, phys_addr_t desc)
{
	struct kho_array a;
	unsigned long i;
	int err = 0, e;

	kho_array_init(&a, client, sizeof(u64));
	a.head = desc ? phys_to_virt(desc) : NULL;
	for (a.tail = a.head; a.tail; ) {
		struct kho_array_page *h = a.tail;
		u64 *rec = kho_array_records(h);

		if (h->magic != KHO_ARRAY_MAGIC || h->rec_size != sizeof(u64))
			return -EINVAL;
		/* The first record of the first page is the count. */
		for (i = h == a.head; i < h->nr; i++) {
			e = kho_unpreserve_pages(client, pfn_to_page(PHYS_PFN(rec[i])), 1);
			err = err ?: e;
		}
		a.tail = h->next ? phys_to_virt(h->next) : NULL;
	}
	kho_array_destroy(&a);
	return err;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

struct kho_vmalloc_restore {
	struct kho_client *client;
	struct page **pages;
	unsigned long nr;
	unsigned long done;
};

static int kho_vmalloc_page(void *arg, const void *rec, unsigned long i)
{
	struct kho_vmalloc_restore *r = arg;
	u64 v = *(const u64 *)rec;
	struct page *page;

	if (!i) {
		if (!v || v > (u64)totalram_pages())
			return -EINVAL;
		r->nr = v;
		r->pages = kvmalloc_array(r->nr, sizeof(*r->pages), GFP_KERNEL);
		return r->pages ? 0 : -ENOMEM;
	}
	if (i > r->nr)
		return -EINVAL;
	page = kho_restore_pages(r->client, v, 1);
	if (IS_ERR(page))
		return PTR_ERR(page);
	r->pages[r->done++] = page;
	return 0;
}

/**
 * kho_restore_vmalloc() - map a preserved vmalloc area again
 * @client: the owner
 * @desc: the descriptor from kho_preserve_vmalloc() in the previous kernel
 * @nr_pages: set to the number of pages, or NULL
 *
 * The pages come back at the same physical addresses, in a new virtual
 * area that vfree() frees.
 *
 * Context: process context; may sleep and allocate.
 * Return: the new address; ERR_PTR(-EINVAL) for a corrupted descriptor;
 * the errors of kho_restore_pages() or kho_array_restore(); ERR_PTR(-ENOMEM).
 * On error the pages restored so far are freed.
 */
void *kho_restore_vmalloc(struct kho_client *client, phys_addr_t desc,
			  unsigned long *nr_pages)
{
	struct kho_vmalloc_restore r = { .client = client };
	long n;
	void *addr = NULL;

	n = kho_array_restore(client, desc, sizeof(u64), kho_vmalloc_page, &r);
	if (n >= 0 && (!r.nr || r.done != r.nr))
		n = -EINVAL;
	if (n >= 0) {
		/* vfree() puts the pages and frees the array. */
		addr = vmap(r.pages, r.nr, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
		if (!addr)
			n = -ENOMEM;
	}
	if (n < 0) {
		while (r.done)
			__free_page(r.pages[--r.done]);
		kvfree(r.pages);
		return ERR_PTR(n);
	}
	if (nr_pages)
		*nr_pages = r.nr;
	return addr;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);
