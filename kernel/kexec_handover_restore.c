// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO): clients take back what they preserved.
 *
 * Every block a client may restore was stamped by the walk at boot with
 * its owner and order (kexec_handover_walk.c); a claim checks the stamp,
 * and mm turns the block into pages or a folio (mm/kho_pages.c).
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_pages.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

/*
 * Is [pfn, pfn + nr) inside one of the ranges kept at boot. The range
 * found last is tried first: a client restores its blocks in the order it
 * preserved them, mostly near each other. The hint is only a hint, read
 * and written racily by concurrent lookups.
 */
bool kho_in_ranges(unsigned long pfn, unsigned long nr)
{
	phys_addr_t s = PFN_PHYS(pfn), e = PFN_PHYS(pfn + nr);
	unsigned int lo = READ_ONCE(kho_in.last_range), hi = kho_in.nr_ranges;

	if (lo < hi && kho_in.ranges[lo].start <= s && e <= kho_in.ranges[lo].end)
		return true;
	lo = 0;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (kho_in.ranges[mid].end <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= kho_in.nr_ranges || kho_in.ranges[lo].start > s ||
	    e > kho_in.ranges[lo].end)
		return false;
	WRITE_ONCE(kho_in.last_range, lo);
	return true;
}

/* The stamp of the unclaimed block at @pfn, or 0. */
unsigned long kho_in_stamp(unsigned long pfn)
{
	unsigned long priv;
	unsigned int order;

	if (!kho_in_ready() || !kho_in_ranges(pfn, 1) || !pfn_valid(pfn))
		return 0;
	priv = kho_page_stamp(pfn);
	if (!KHO_STAMP_OK(priv) || KHO_STAMP_OWNER(priv) > kho_in.nr_clients)
		return 0;
	order = KHO_STAMP_ORDER(priv);
	/* A tracker page: one page, kept. */
	if (order == 0xff)
		return priv;
	if (order >= KHO_NR_ORDERS ||
	    (order && !kho_in_ranges(pfn, 1UL << order)))
		return 0;
	return priv;
}

/* The incoming state of @client, if it may restore; kho_in.lock held. */
static struct kho_in_client *kho_in_usable(struct kho_client *client, int *err)
{
	struct kho_in_client *ic = client ? client->in : NULL;

	if (!ic) {
		*err = -ENOENT;
		return NULL;
	}
	if (ic->state != KHO_IN_ACTIVE) {
		*err = -ESTALE;
		return NULL;
	}
	*err = 0;
	return ic;
}

/*
 * The order of @client's unclaimed block at @pfn, its stamp in *@stamp;
 * kho_in.lock held.
 */
static int kho_in_stamp_of(struct kho_in_client *ic, unsigned long pfn,
			   unsigned long *stamp_out)
{
	unsigned long stamp = kho_in_stamp(pfn);

	*stamp_out = stamp;
	if (!stamp || KHO_STAMP_ORDER(stamp) == 0xff)
		return -ENOENT;
	if (KHO_STAMP_OWNER(stamp) != ic->id)
		return -EPERM;
	return KHO_STAMP_ORDER(stamp);
}

/* The order of @client's unclaimed block at @pfn; kho_in.lock held. */
static int kho_in_block_of(struct kho_in_client *ic, unsigned long pfn)
{
	unsigned long stamp;

	return kho_in_stamp_of(ic, pfn, &stamp);
}

/*
 * Claim @client's blocks exactly covering [@pfn, @pfn + @nr), all or
 * nothing; the caller holds kho_in.lock for writing. Each page gets one
 * reference.
 */
static int kho_claim_range(struct kho_in_client *ic, unsigned long pfn,
			   unsigned long nr)
{
	unsigned long end = pfn + nr, p;
	int order;

	if (!nr || end < pfn ||
	    end > PHYS_PFN(1ULL << KHO_TRACKER_PHYS_BITS))
		return -EINVAL;
	for (p = pfn; p < end; p += 1UL << order) {
		order = kho_in_block_of(ic, p);
		if (order < 0)
			return order;
		if (p + (1UL << order) > end)
			return -EINVAL;
	}
	for (p = pfn; p < end; p += 1UL << order) {
		order = KHO_STAMP_ORDER(kho_page_stamp(p));
		kho_pages_claim(p, order);
		kho_pages_claim_split(p, order);
	}
	atomic64_add(PFN_PHYS(nr), &ic->restored_bytes);
	atomic64_add(PFN_PHYS(nr), &kho_in_stats.claimed_bytes);
	return 0;
}

/*
 * Claim @ic's block at @phys, if it holds @size bytes, and its order in
 * *@order; kho_in.lock held, shared or not: the block is taken by clearing
 * its stamp with a cmpxchg, so that of two claims of one block only one
 * gets it. The caller counts the bytes. Return: its first page, or an
 * ERR_PTR().
 */
static struct page *kho_claim_block(struct kho_in_client *ic,
				    phys_addr_t phys, size_t size, int *order)
{
	unsigned long stamp;

	if (!PAGE_ALIGNED(phys))
		return ERR_PTR(-EINVAL);
	*order = kho_in_stamp_of(ic, PHYS_PFN(phys), &stamp);
	if (*order >= 0 && size > PAGE_SIZE << *order)
		*order = -EINVAL;
	if (*order >= 0 && !kho_page_take_stamp(PHYS_PFN(phys), stamp))
		*order = -ENOENT;
	if (*order < 0)
		return ERR_PTR(*order);
	return kho_pages_claim(PHYS_PFN(phys), *order);
}

/* Count @bytes claimed by @ic. */
static void kho_claimed(struct kho_in_client *ic, u64 bytes)
{
	atomic64_add(bytes, &ic->restored_bytes);
	atomic64_add(bytes, &kho_in_stats.claimed_bytes);
}

/* Claim @client's block at @phys, if it holds @size bytes, as a folio. */
static struct folio *kho_restore_block(struct kho_client *client,
				       phys_addr_t phys, size_t size)
{
	struct kho_in_client *ic;
	struct page *page;
	int order;

	down_read(&kho_in.lock);
	ic = kho_in_usable(client, &order);
	page = ic ? kho_claim_block(ic, phys, size, &order) : ERR_PTR(order);
	if (!IS_ERR(page))
		kho_claimed(ic, PAGE_SIZE << order);
	up_read(&kho_in.lock);
	if (IS_ERR(page))
		return ERR_CAST(page);
	/* Outside the lock: a gigantic folio has many pages to set up. */
	return kho_pages_folio(page, order);
}

/**
 * kho_restore_folio() - take back a folio preserved by the previous kernel
 * @client: the client that preserved it
 * @phys: its physical address
 *
 * Context: process context; may sleep.
 * Return: the folio, at the order it was preserved with (gigantic folios
 * included), with one reference; ERR_PTR(-EINVAL) for an unaligned @phys;
 * ERR_PTR(-ENOENT) if @client has no unclaimed block starting at @phys
 * (never preserved, already restored, or not a block's start);
 * ERR_PTR(-EPERM) if another client preserved it; ERR_PTR(-ESTALE) after
 * kho_finish() or once @client's state was released.
 */
struct folio *kho_restore_folio(struct kho_client *client, phys_addr_t phys)
{
	return kho_restore_block(client, phys, 0);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_folios() - take back several folios preserved by the
 *	previous kernel
 * @client: the client that preserved them
 * @phys: their physical addresses
 * @nr: how many
 * @folios: filled in: each folio, or ERR_PTR() of the error
 *	kho_restore_folio() would have returned for its address
 *
 * kho_restore_folio() for each address, under one shared hold of the
 * core's lock: threads that restore at once claim side by side, each block
 * taken by a cmpxchg of its stamp. For folios of a few pages: large ones
 * are set up under the lock.
 *
 * Context: process context; may sleep.
 * Return: the number of folios restored.
 */
unsigned int kho_restore_folios(struct kho_client *client,
				const phys_addr_t *phys, unsigned int nr,
				struct folio **folios)
{
	struct kho_in_client *ic;
	unsigned int i, done = 0;
	struct page *page;
	u64 bytes = 0;
	int order;

	down_read(&kho_in.lock);
	ic = kho_in_usable(client, &order);
	for (i = 0; i < nr; i++) {
		page = ic ? kho_claim_block(ic, phys[i], 0, &order) :
			    ERR_PTR(order);
		if (IS_ERR(page)) {
			folios[i] = ERR_CAST(page);
			continue;
		}
		folios[i] = kho_pages_folio(page, order);
		bytes += PAGE_SIZE << order;
		done++;
	}
	if (bytes)
		kho_claimed(ic, bytes);
	up_read(&kho_in.lock);
	return done;
}
EXPORT_SYMBOL_GPL(kho_restore_folios);

/**
 * kho_restore_pages() - take back pages preserved with kho_preserve_pages()
 * @client: the client that preserved them
 * @phys: physical address of the first page
 * @nr_pages: number of pages, as preserved
 *
 * Context: process context; may sleep.
 * Return: the first of @nr_pages order-0 pages with one reference each;
 * ERR_PTR(-EINVAL) if the range does not end at the end of a preserved
 * block; otherwise the errors of kho_restore_folio(). On error nothing is
 * claimed.
 */
struct page *kho_restore_pages(struct kho_client *client, phys_addr_t phys,
			       unsigned long nr_pages)
{
	struct kho_in_client *ic;
	int err;

	if (!PAGE_ALIGNED(phys) || !nr_pages)
		return ERR_PTR(-EINVAL);
	down_write(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	if (ic)
		err = kho_claim_range(ic, PHYS_PFN(phys), nr_pages);
	up_write(&kho_in.lock);
	return err ? ERR_PTR(err) : pfn_to_page(PHYS_PFN(phys));
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_preserved() - take back memory from kho_alloc_preserve()
 * @client: the client that preserved it
 * @phys: its physical address, e.g. a blob's from kho_get_blob()
 * @size: at most the size of the preserved folio
 *
 * Free the memory with folio_put(virt_to_folio(addr)), or keep it and
 * preserve it again for the next kernel with kho_preserve_folio().
 *
 * Context: process context; may sleep.
 * Return: the kernel address of the memory; ERR_PTR(-EINVAL) if @size
 * exceeds the folio (nothing is claimed); otherwise the errors of
 * kho_restore_folio().
 */
void *kho_restore_preserved(struct kho_client *client, phys_addr_t phys,
			    size_t size)
{
	struct folio *folio = kho_restore_block(client, phys, size);

	return IS_ERR(folio) ? ERR_CAST(folio) : folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_preserved);

/**
 * kho_client_incoming() - what the previous kernel left for a client
 * @client: the client
 * @compatible: set to the version of the incoming state, or NULL
 *
 * Context: any context that may sleep.
 * Return: 0 when there is state to restore; -ENOENT when there is none
 * (not a KHO boot, or the previous kernel had no such client); -EPROTO
 * when it was of a version @client does not accept, or its tracker was
 * corrupted (it was released or lost); -ECANCELED when the previous kernel
 * dropped it from the handover because @client's freeze callback failed
 * there (nothing was handed over);
 * -ESTALE when it was already released, or @client finished.
 */
int kho_client_incoming(struct kho_client *client, const char **compatible)
{
	struct kho_in_client *ic = client ? client->in : NULL;
	int err;

	if (!ic)
		return -ENOENT;
	down_read(&kho_in.lock);
	if (ic->state == KHO_IN_ACTIVE)
		err = 0;
	else if (ic->state == KHO_IN_REJECTED)
		err = -EPROTO;
	else if (ic->state == KHO_IN_DROPPED)
		err = -ECANCELED;
	else
		err = -ESTALE;
	up_read(&kho_in.lock);
	if (compatible)
		*compatible = ic->compatible;
	return err;
}
EXPORT_SYMBOL_GPL(kho_client_incoming);

/**
 * kho_get_blob() - find a blob the client published in the previous kernel
 * @client: the client
 * @name: the blob's name
 * @phys: its physical address
 * @size: its size
 *
 * The blob is preserved memory: read it in place with phys_to_virt(), or
 * own it with kho_restore_preserved(). Either must happen before
 * kho_finish().
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if there is no such blob, or its memory is no longer
 * unclaimed; -ESTALE after kho_finish().
 */
int kho_get_blob(struct kho_client *client, const char *name,
		 phys_addr_t *phys, size_t *size)
{
	struct kho_in_client *ic;
	int err, order = -ENOENT;
	u64 p, s;

	down_read(&kho_in.lock);
	ic = kho_in_usable(client, &err);
	if (ic && kho_root_find_blob(kho_in.root, ic->node, name, &p, &s))
		err = -ENOENT;
	if (!err && PAGE_ALIGNED(p))
		order = kho_in_block_of(ic, PHYS_PFN(p));
	if (!err && order < 0) {
		pr_warn("client %s: blob %s is not, or no longer, unclaimed preserved memory\n",
			ic->name, name);
		err = -ENOENT;
	}
	if (!err && s > PAGE_SIZE << order) {
		pr_warn("client %s: blob %s is larger than its preserved block\n",
			ic->name, name);
		err = -ENOENT;
	}
	up_read(&kho_in.lock);
	if (!err) {
		*phys = p;
		*size = s;
	}
	return err;
}
EXPORT_SYMBOL_GPL(kho_get_blob);

/*
 * Read an incoming blob no client claimed yet, for sysfs: bytes read, or
 * -ENODATA once its memory was claimed or released (it may be in other hands).
 */
ssize_t kho_in_read_blob(u64 phys, u64 size, char *buf, loff_t off,
			 size_t count)
{
	unsigned long stamp;
	ssize_t ret = -ENODATA;

	/* Alone: no claim may take the blob and free it while it is read. */
	down_write(&kho_in.lock);
	stamp = kho_in.valid && PAGE_ALIGNED(phys) ? kho_in_stamp(PHYS_PFN(phys)) : 0;
	if (stamp && KHO_STAMP_ORDER(stamp) != 0xff &&
	    size <= PAGE_SIZE << KHO_STAMP_ORDER(stamp))
		ret = memory_read_from_buffer(buf, count, &off,
					      phys_to_virt(phys), size);
	up_write(&kho_in.lock);
	return ret;
}

/* The copy of the incoming root tree, for sysfs; NULL without a KHO boot. */
const void *kho_in_root(size_t *size)
{
	if (!kho_in.valid) {
		*size = 0;
		return NULL;
	}
	*size = fdt_totalsize(kho_in.root);
	return kho_in.root;
}

/*
 * Did this kernel take the previous kernel's handover; *@why says why not
 * (NULL when there was none).
 */
bool kho_in_status(const char **why)
{
	*why = kho_in.valid ? NULL : kho_in_why;
	return kho_in.valid;
}

/*
 * Does [@phys, @phys + @size) overlap the incoming root tree: the outgoing
 * one must not be there, or a stale reference would find a valid handover.
 */
bool kho_in_root_overlaps(phys_addr_t phys, size_t size)
{
	return kho_in.found && phys < kho_in.root_phys + kho_in.root_size &&
	       kho_in.root_phys < phys + size;
}

/* The incoming clients, for sysfs; NULL without a KHO boot. */
struct kho_in_client *kho_in_clients(unsigned int *nr)
{
	*nr = kho_in.valid ? kho_in.nr_clients : 0;
	return kho_in.valid ? kho_in.clients : NULL;
}
