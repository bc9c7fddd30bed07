// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) core: the outgoing side.
 *
 * Clients mark the memory they want to keep in the tracker and publish
 * blobs; the core keeps the root tree (at a fixed physical address, in
 * preserved memory) up to date after every change. Both are live: there is
 * no serialization step, so whatever is preserved when the kexec jump
 * happens reaches the next kernel, however long after kexec_file_load.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"
#include "kexec_internal.h"

bool kho_enable __ro_after_init;

static int __init kho_parse_enable(char *p)
{
	if (!p || kstrtobool(p, &kho_enable)) {
		pr_err("malformed kho=, expected on or off: KHO stays off\n");
		kho_enable = false;
	}
	return 0;
}
early_param("kho", kho_parse_enable);

struct kho_out kho_out = {
	.lock = __MUTEX_INITIALIZER(kho_out.lock),
	.blobs = LIST_HEAD_INIT(kho_out.blobs),
};

/**
 * kho_is_enabled() - is the handover to the next kernel enabled
 *
 * Return: true when this kernel booted with kho=on and has scratch memory.
 */
bool kho_is_enabled(void)
{
	return kho_enable;
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

static void *kho_tracker_alloc_page(void *ctx, u64 *phys)
{
	void *p = (void *)get_zeroed_page(GFP_KERNEL);

	if (p)
		*phys = virt_to_phys(p);
	return p;
}

static void kho_tracker_free_page(void *ctx, void *virt, u64 phys)
{
	free_page((unsigned long)virt);
}

static void *kho_tracker_map(void *ctx, u64 phys)
{
	return phys_to_virt(phys);
}

const struct kho_tracker_ops kho_out_tracker_ops = {
	.alloc_page = kho_tracker_alloc_page,
	.free_page = kho_tracker_free_page,
	.map = kho_tracker_map,
};

/* Rebuild the root tree in place; the caller holds kho_out.lock. */
static int kho_update_root(void)
{
	struct kho_root_blob *arr = NULL;
	struct kho_blob *b;
	unsigned int n = 0;
	int err;

	if (kho_out.aborted) {
		/* The next kernel finds no FDT here and boots without KHO. */
		memset(kho_out.root, 0, KHO_ROOT_MAX_SIZE);
		return 0;
	}
	if (kho_out.nr_blobs) {
		arr = kmalloc_array(kho_out.nr_blobs, sizeof(*arr), GFP_KERNEL);
		if (!arr)
			return -ENOMEM;
		list_for_each_entry(b, &kho_out.blobs, list)
			arr[n++] = (struct kho_root_blob){ b->name, b->phys, b->size };
	}
	err = kho_root_build(kho_out.root, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
			     kho_out.tracker.hdr_phys, arr, n);
	kfree(arr);
	return err;
}

static int kho_check_usable(phys_addr_t start, phys_addr_t end)
{
	if (!kho_out.ready)
		return -EOPNOTSUPP;
	if (kho_out.frozen)
		return -EBUSY;
	if (kho_range_in_scratch(start, end)) {
		pr_warn_ratelimited("cannot preserve %pa..%pa: scratch memory\n",
				    &start, &end);
		return -EINVAL;
	}
	return 0;
}

static int kho_mark(unsigned long pfn, unsigned int order, bool set)
{
	phys_addr_t start = PFN_PHYS(pfn), end = PFN_PHYS(pfn + (1UL << order));
	int err;

	mutex_lock(&kho_out.lock);
	err = kho_check_usable(start, end);
	if (!err) {
		if (set)
			err = kho_tracker_set(&kho_out.tracker, pfn, order);
		else
			err = kho_tracker_clear(&kho_out.tracker, pfn, order);
	}
	mutex_unlock(&kho_out.lock);
	return err;
}

/**
 * kho_preserve_folio() - preserve a folio for the next kernel
 * @folio: the folio, at its allocated order
 *
 * The folio's memory is kept intact across kexec and can be taken back in
 * the next kernel with kho_restore_folio() at the same physical address.
 * Its contents may keep changing until the kexec jump.
 *
 * Return: 0; -EOPNOTSUPP when KHO is off; -EINVAL for a folio in scratch
 * memory; -EEXIST if already preserved; -EBUSY once the jump has started;
 * -ENOMEM.
 */
int kho_preserve_folio(struct folio *folio)
{
	return kho_mark(folio_pfn(folio), folio_order(folio), true);
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - stop preserving a folio
 * @folio: a folio preserved with kho_preserve_folio()
 *
 * Return: 0, or -ENOENT if it was not preserved, or the errors of
 * kho_preserve_folio().
 */
int kho_unpreserve_folio(struct folio *folio)
{
	return kho_mark(folio_pfn(folio), folio_order(folio), false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/* The largest naturally aligned block at @pfn that fits into @nr pages. */
static unsigned int kho_block_order(unsigned long pfn, unsigned long nr)
{
	unsigned int order = min_t(unsigned int, MAX_PAGE_ORDER, ilog2(nr));

	if (pfn)
		order = min_t(unsigned int, order, __ffs(pfn));
	return order;
}

static int kho_mark_pages(unsigned long pfn, unsigned long nr, bool set)
{
	unsigned long p = pfn, left = nr;
	int err = 0;

	while (left) {
		unsigned int order = kho_block_order(p, left);

		err = kho_mark(p, order, set);
		if (err)
			break;
		p += 1UL << order;
		left -= 1UL << order;
	}
	if (err && set) {
		/* Undo what this call preserved. */
		while (pfn < p) {
			unsigned int order = kho_block_order(pfn, nr);

			kho_mark(pfn, order, false);
			pfn += 1UL << order;
			nr -= 1UL << order;
		}
	}
	return err;
}

/**
 * kho_preserve_pages() - preserve a range of pages for the next kernel
 * @page: first page
 * @nr_pages: number of pages
 *
 * The range is preserved as naturally aligned blocks; the next kernel takes
 * it back with kho_restore_pages() on the same range.
 *
 * Return: 0, or the errors of kho_preserve_folio(); on error nothing of the
 * range stays preserved.
 */
int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	if (!nr_pages)
		return -EINVAL;
	return kho_mark_pages(page_to_pfn(page), nr_pages, true);
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages() - stop preserving a range of pages
 * @page: first page
 * @nr_pages: number of pages, as given to kho_preserve_pages()
 *
 * Return: 0, or -ENOENT if part of the range was not preserved.
 */
int kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	if (!nr_pages)
		return -EINVAL;
	return kho_mark_pages(page_to_pfn(page), nr_pages, false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/**
 * kho_alloc_preserve() - allocate zeroed memory that is preserved
 * @size: bytes, rounded up to a power-of-two number of pages
 *
 * Typically used for a blob published with kho_add_blob() or for the
 * client's own metadata. Free it with kho_unpreserve_free().
 *
 * Return: the memory, or NULL.
 */
void *kho_alloc_preserve(size_t size)
{
	struct folio *folio;

	if (!size || !kho_out.ready)
		return NULL;
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, get_order(size));
	if (!folio)
		return NULL;
	if (kho_preserve_folio(folio)) {
		folio_put(folio);
		return NULL;
	}
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_alloc_preserve);

/**
 * kho_unpreserve_free() - free memory from kho_alloc_preserve()
 * @ptr: the memory, or NULL
 */
void kho_unpreserve_free(void *ptr)
{
	struct folio *folio;

	if (!ptr)
		return;
	folio = virt_to_folio(ptr);
	WARN_ON(kho_unpreserve_folio(folio));
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_free);

static struct kho_blob *kho_find_blob(const char *name)
{
	struct kho_blob *b;

	list_for_each_entry(b, &kho_out.blobs, list) {
		if (!strcmp(b->name, name))
			return b;
	}
	return NULL;
}

/**
 * kho_add_blob() - publish a named blob for the next kernel
 * @name: unique name, see kho_blob_name_valid()
 * @blob: start of preserved memory (kho_alloc_preserve() or a preserved
 *	folio), usually the client's own FDT
 * @size: bytes of @blob the next kernel will see
 *
 * The root tree links the blob by physical address; its contents may keep
 * changing until the kexec jump.
 *
 * Return: 0; -EINVAL for a bad name or memory that is not preserved;
 * -EEXIST if the name is taken; -ENOSPC if the root tree is full; -EBUSY
 * once the jump has started; -EOPNOTSUPP when KHO is off; -ENOMEM.
 */
int kho_add_blob(const char *name, const void *blob, size_t size)
{
	phys_addr_t phys = virt_to_phys((void *)blob);
	struct folio *folio = virt_to_folio(blob);
	struct kho_blob *b;
	int err;

	if (!kho_blob_name_valid(name) || !size || !PAGE_ALIGNED(blob) ||
	    folio_address(folio) != blob || size > folio_size(folio))
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	strscpy(b->name, name, sizeof(b->name));
	b->phys = phys;
	b->size = size;

	mutex_lock(&kho_out.lock);
	err = kho_check_usable(phys, phys + size);
	if (!err && !kho_tracker_test(&kho_out.tracker, folio_pfn(folio),
				      folio_order(folio)))
		err = -EINVAL;
	if (!err && kho_find_blob(name))
		err = -EEXIST;
	if (!err) {
		list_add_tail(&b->list, &kho_out.blobs);
		kho_out.nr_blobs++;
		err = kho_update_root();
		if (err) {
			list_del(&b->list);
			kho_out.nr_blobs--;
			kho_update_root();
		}
	}
	mutex_unlock(&kho_out.lock);
	if (err)
		kfree(b);
	else
		kho_sysfs_blobs_changed();
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_blob);

/**
 * kho_remove_blob() - withdraw a blob published with kho_add_blob()
 * @name: its name
 *
 * The blob's memory stays preserved until the client unpreserves it.
 *
 * Return: 0, -ENOENT, or -EBUSY once the jump has started.
 */
int kho_remove_blob(const char *name)
{
	struct kho_blob *b;
	int err = 0;

	mutex_lock(&kho_out.lock);
	if (kho_out.frozen) {
		err = -EBUSY;
		goto out;
	}
	b = kho_find_blob(name);
	if (!b) {
		err = -ENOENT;
		goto out;
	}
	list_del(&b->list);
	kho_out.nr_blobs--;
	kfree(b);
	/* A smaller tree always fits. */
	kho_update_root();
out:
	mutex_unlock(&kho_out.lock);
	if (!err)
		kho_sysfs_blobs_changed();
	return err;
}
EXPORT_SYMBOL_GPL(kho_remove_blob);

/**
 * kho_set_aborted() - abort or re-enable the outgoing handover
 * @abort: true to abort
 *
 * An aborted handover is still loaded with kexec_file_load, but the next
 * kernel finds no valid root tree and boots without KHO; kexec_load is
 * allowed again. Clients keep their preserved memory and blobs, so
 * re-enabling restores the handover as it was.
 *
 * Return: 0, -EOPNOTSUPP when KHO is off, or -EBUSY during the jump.
 */
int kho_set_aborted(bool abort)
{
	int err = 0;

	if (!kho_out.ready)
		return -EOPNOTSUPP;
	/* Keeps the loaded image stable while we look at it. */
	if (!kexec_trylock())
		return -EBUSY;
	mutex_lock(&kho_out.lock);
	if (kho_out.frozen) {
		err = -EBUSY;
	} else if (kho_out.aborted == abort) {
		err = 0;
	} else if (!abort && kexec_image && !kexec_image->file_mode) {
		/* That image was loaded without the handover. */
		pr_err("cannot re-enable the handover: a kexec_load image is loaded; unload it first\n");
		err = -EBUSY;
	} else {
		kho_out.aborted = abort;
		err = kho_update_root();
		pr_info("outgoing handover %s\n", abort ? "aborted" : "re-enabled");
	}
	mutex_unlock(&kho_out.lock);
	kexec_unlock();
	return err;
}

static bool kho_out_active(void)
{
	return kho_out.ready && !kho_out.aborted;
}

/**
 * kho_kexec_load_allowed() - may kexec_load replace the current image
 *
 * kexec_load leaves segment placement to userspace, so it cannot keep
 * preserved memory safe: refuse it while anything is preserved or
 * published, unless the handover was aborted.
 *
 * Return: true if kexec_load may go on.
 */
bool kho_kexec_load_allowed(void)
{
	unsigned long blocks = 0;
	unsigned int order;
	bool busy;

	if (!kho_out_active())
		return true;
	mutex_lock(&kho_out.lock);
	for (order = 0; order < kho_out.tracker.nr_orders; order++)
		blocks += kho_out.tracker.nr_blocks[order];
	/* The root tree itself is one block. */
	busy = blocks > 1 || kho_out.nr_blobs;
	mutex_unlock(&kho_out.lock);
	if (busy)
		pr_err("kexec_load cannot carry the handover of preserved memory: use kexec_file_load (kexec -s), or abort the handover in /sys/kernel/kho/abort\n");
	return !busy;
}

/**
 * kho_handover_info() - what a kexec_file image passes to the next kernel
 * @image: the image being loaded
 * @root_phys: physical address of the root tree
 * @root_size: its size
 * @scratch: the scratch table
 * @nr_scratch: entries in @scratch
 *
 * Return: true if @image carries a handover.
 */
bool kho_handover_info(const struct kimage *image, phys_addr_t *root_phys,
		       size_t *root_size,
		       const struct kho_scratch_entry **scratch,
		       unsigned int *nr_scratch)
{
	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH)
		return false;
	*root_phys = kho_out.root_phys;
	*root_size = KHO_ROOT_MAX_SIZE;
	*scratch = kho_scratch;
	*nr_scratch = kho_nr_scratch;
	return true;
}

/**
 * kho_locate_mem_hole() - place a kexec_file segment in scratch memory
 * @kbuf: the segment
 * @func: kexec_file's placement callback, called per scratch area
 *
 * The kexec area, sized for the segments, is tried first. A segment that
 * does not fit there goes into another area, with a warning: that area was
 * sized for the next kernel's early allocations.
 *
 * Return: 1 if placed, 0 if KHO does not handle this image, -ENOSPC if no
 * scratch area can hold the segment.
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *))
{
	unsigned int order[KHO_SCRATCH_MAX_ENTRIES];
	unsigned int i, n;

	if (!kho_out.ready || kbuf->image->type == KEXEC_TYPE_CRASH)
		return 0;
	n = kho_scratch_order(kho_scratch, kho_nr_scratch, order,
			      kbuf->top_down);
	for (i = 0; i < n; i++) {
		const struct kho_scratch_entry *e = &kho_scratch[order[i]];
		struct resource res = {
			.start = e->addr,
			.end = e->addr + e->size - 1,
		};

		if (func(&res, kbuf) != 1)
			continue;
		if (order[i])
			pr_warn("kexec segment of %zu bytes does not fit into the kexec scratch area (%llu bytes): placed in scratch area %u at %#llx, which the next kernel's early allocations then lack\n",
				kbuf->memsz, kho_scratch[0].size, order[i],
				e->addr);
		return 1;
	}
	pr_err("kexec segment of %zu bytes does not fit into scratch memory (kexec area %llu bytes): boot the first kernel of the chain with a larger kho_scratch=\n",
	       kbuf->memsz, n ? kho_scratch[0].size : 0);
	return -ENOSPC;
}

/**
 * kho_check_image() - check that a loaded image leaves room for early boot
 * @image: an image kexec_file_load placed, all segments placed
 *
 * Segments that did not fit into the kexec scratch area went into areas
 * sized for the next kernel's early allocations. The next kernel is
 * assumed to need about what this one needed at boot: refuse the image
 * when the spilled segments leave the other areas less room than that, so
 * that the next kernel does not run out of scratch in its early boot.
 *
 * Context: process context, kexec_file_load, with the kexec lock held.
 * Return: 0, or -ENOSPC with a message saying by how much.
 */
int kho_check_image(const struct kimage *image)
{
	const struct kho_scratch_entry *k = &kho_scratch[0];
	u64 spilled = 0, room = 0;
	unsigned long i;

	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH || !kho_nr_scratch)
		return 0;
	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *seg = &image->segment[i];

		if (seg->mem < k->addr || seg->mem + seg->memsz > k->addr + k->size)
			spilled += seg->memsz;
	}
	if (!spilled)
		return 0;
	for (i = 1; i < kho_nr_scratch; i++)
		room += kho_scratch[i].size;
	if (room >= spilled + kho_scratch_boot_need)
		return 0;
	pr_err("kexec segments take %llu bytes of the scratch areas meant for early allocations, which then lack %llu bytes of what this kernel's boot needed (%llu): boot the first kernel of the chain with a larger global area (kho_scratch=)\n",
	       spilled, spilled + kho_scratch_boot_need - room,
	       (u64)kho_scratch_boot_need);
	return -ENOSPC;
}

/**
 * kho_freeze() - the kexec jump starts: no more changes to the handover
 */
void kho_freeze(void)
{
	mutex_lock(&kho_out.lock);
	kho_out.frozen = true;
	mutex_unlock(&kho_out.lock);
}

/**
 * kho_thaw() - a kexec jump returned (preserve_context): changes allowed
 */
void kho_thaw(void)
{
	mutex_lock(&kho_out.lock);
	kho_out.frozen = false;
	mutex_unlock(&kho_out.lock);
}

static int __init kho_out_init(void)
{
	struct folio *folio;
	int err;

	err = kho_tracker_init(&kho_out.tracker, &kho_out_tracker_ops,
			       PAGE_SHIFT, MAX_PAGE_ORDER + 1);
	if (err)
		return err;
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, get_order(KHO_ROOT_MAX_SIZE));
	if (!folio) {
		err = -ENOMEM;
		goto err_tracker;
	}
	err = kho_tracker_set(&kho_out.tracker, folio_pfn(folio),
			      folio_order(folio));
	if (err)
		goto err_folio;
	kho_out.root = folio_address(folio);
	kho_out.root_phys = folio_pfn(folio) << PAGE_SHIFT;
	mutex_lock(&kho_out.lock);
	err = kho_update_root();
	mutex_unlock(&kho_out.lock);
	if (err)
		goto err_folio;
	kho_out.ready = true;
	return 0;

err_folio:
	folio_put(folio);
err_tracker:
	kho_tracker_destroy(&kho_out.tracker);
	return err;
}

static int __init kho_init(void)
{
	int err;

	if (!kho_enable)
		return 0;
	if (is_kdump_kernel() || !kho_nr_scratch) {
		kho_enable = false;
		return 0;
	}
	err = kho_out_init();
	if (err) {
		pr_err("cannot set up the outgoing handover (%d): KHO disabled\n",
		       err);
		kho_enable = false;
		return 0;
	}
	pr_info("handover enabled, root tree at %pa\n", &kho_out.root_phys);
	return 0;
}
early_initcall(kho_init);
