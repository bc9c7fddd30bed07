// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) core: clients and the outgoing side.
 *
 * Each registered client marks the memory it wants to keep in its own
 * tracker and publishes blobs; the core keeps the root tree (at a fixed
 * physical address, in memory its own tracker preserves) up to date after
 * every change. Both are live: there is no serialization step, so whatever
 * is preserved when the kexec jump happens reaches the next kernel,
 * however long after kexec_file_load.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "kexec_handover_internal.h"

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
	.clients = LIST_HEAD_INIT(kho_out.clients),
};

/* page->private of outgoing tracker pages: clients cannot unpreserve them. */
#define KHO_NODE_PRIVATE	0x4b484f4e4f444521UL	/* "KHONODE!" */

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

	if (p) {
		*phys = virt_to_phys(p);
		set_page_private(virt_to_page(p), KHO_NODE_PRIVATE);
	}
	return p;
}

static void kho_tracker_free_page(void *ctx, void *virt, u64 phys)
{
	set_page_private(virt_to_page(virt), 0);
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

/*
 * Registration and the lifecycle callbacks: the client list changes only
 * with this lock and kho_out.lock held, so callbacks may be called with
 * this one alone, and may preserve.
 */
static DEFINE_MUTEX(kho_clients_mutex);

void kho_clients_lock(void)
{
	mutex_lock(&kho_clients_mutex);
}

void kho_clients_unlock(void)
{
	mutex_unlock(&kho_clients_mutex);
}

/* Told of clients that come and go and of their blobs (enum kho_client_event). */
static BLOCKING_NOTIFIER_HEAD(kho_client_chain);

int kho_client_notifier_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&kho_client_chain, nb);
}

/* The tree is built here and copied over the live one when complete. */
static u8 kho_root_buf[KHO_ROOT_MAX_SIZE];
/* The names of the dropped clients, as the root tree lists them. */
static char kho_root_dropped[KHO_CLIENTS_MAX * KHO_NAME_MAX];

/*
 * Rebuild the root tree; the caller holds kho_out.lock. Allocates nothing,
 * so it also runs at freeze time. On failure the live tree is unchanged.
 */
int kho_update_root(void)
{
	struct kho_root_meta meta = {
		.release = init_utsname()->release,
		.boot_count = kho_out.boot_count + 1,
	};
	struct kho_client *c;
	struct kho_blob *b;
	void *buf = kho_root_buf;
	int err;

	if (kho_out.aborted || kho_out.cleared) {
		/* The next kernel finds no FDT here and boots without KHO. */
		memset(kho_out.root, 0, KHO_ROOT_MAX_SIZE);
		return 0;
	}
	meta.dropped = kho_root_dropped;
	list_for_each_entry(c, &kho_out.clients, list) {
		if (c->dropped)
			meta.dropped_len += strscpy(kho_root_dropped + meta.dropped_len,
						    c->name, KHO_NAME_MAX) + 1;
	}
	err = kho_root_begin(buf, KHO_ROOT_MAX_SIZE, PAGE_SHIFT,
			     kho_out.tracker.hdr_phys, &meta);
	list_for_each_entry(c, &kho_out.clients, list) {
		if (c->dropped)
			continue;
		err = err ?: kho_root_begin_client(buf, c->name, c->compatible,
						   c->tracker.hdr_phys);
		list_for_each_entry(b, &c->blobs, list)
			err = err ?: kho_root_add_blob(buf, b->name, b->phys,
						       b->size);
		err = err ?: kho_root_end_client(buf);
	}
	err = err ?: kho_root_finish(buf);
	if (!err)
		memcpy(kho_out.root, buf, fdt_totalsize(buf));
	return err;
}

/* Preserving and publishing are allowed; the caller holds kho_out.lock. */
static int kho_check_open(struct kho_client *client)
{
	if (!kho_out.ready)
		return -EOPNOTSUPP;
	if (kho_out.frozen)
		return -EBUSY;
	if (WARN_ON_ONCE(!client))
		return -EINVAL;
	return 0;
}

/* Does a tracker other than @client's hold this exact block. */
static bool kho_owned_by_other(struct kho_client *client, unsigned long pfn,
			       unsigned int order)
{
	struct kho_client *c;

	if (kho_tracker_test(&kho_out.tracker, pfn, order))
		return true;
	list_for_each_entry(c, &kho_out.clients, list) {
		if (c != client && kho_tracker_test(&c->tracker, pfn, order))
			return true;
	}
	return false;
}

/* Does @t hold a block of @order that overlaps the pages [@start, @end). */
static bool kho_tracker_any(const struct kho_tracker *t, u64 start, u64 end,
			    unsigned int order)
{
	u64 p = round_down(start, 1ULL << order), s, e, b0, b1;
	const u64 *leaf;

	if (!t->nr_blocks[order])
		return false;
	while (p < end) {
		leaf = kho_tracker_leaf(t, p, order, &s, &e);
		if (s == e)
			return false;
		if (leaf) {
			b0 = (max(p, s) - s) >> order;
			b1 = (min(end, e) - s + (1ULL << order) - 1) >> order;
			if (find_next_bit((const unsigned long *)leaf, b1, b0) < b1)
				return true;
		}
		p = e;
	}
	return false;
}

/* Does @t hold a block of an order but @skip that overlaps [@start, @end). */
static bool kho_tracker_any_order(const struct kho_tracker *t, u64 start,
				  u64 end, unsigned int skip)
{
	unsigned int o;

	for (o = 0; o < t->nr_orders; o++) {
		if (o != skip && kho_tracker_any(t, start, end, o))
			return true;
	}
	return false;
}

/*
 * Does any tracker hold a block that overlaps [@pfn, @pfn + 2^@order):
 * -EEXIST when @client's own does (the same block preserved twice, or
 * inside or around one of its other blocks), -EPERM when another client's
 * or the core's does. Blocks of one tracker never overlap, and blocks of
 * different trackers never do: the next kernel could not hand the memory
 * to both.
 */
static int kho_overlap(struct kho_client *client, unsigned long pfn,
		       unsigned int order)
{
	u64 end = pfn + (1ULL << order);
	struct kho_client *c;

	if (kho_tracker_any_order(&client->tracker, pfn, end, KHO_NR_ORDERS))
		return -EEXIST;
	if (kho_tracker_any_order(&kho_out.tracker, pfn, end, KHO_NR_ORDERS))
		return -EPERM;
	list_for_each_entry(c, &kho_out.clients, list) {
		if (c != client &&
		    kho_tracker_any_order(&c->tracker, pfn, end, KHO_NR_ORDERS))
			return -EPERM;
	}
	return 0;
}

/*
 * Memory the kernel may move elsewhere behind the client's back: on the
 * LRU, a movable (non-LRU) page, or in ZONE_MOVABLE, which may go offline.
 * Preserving it would hand over whatever lands there after a migration.
 * A folio pinned long-term (FOLL_LONGTERM semantics, as memfd_pin_folios()
 * pins: never in ZONE_MOVABLE or CMA) stays where it is while the pin is
 * held, LRU or not: page cache folios of files handed over are such.
 */
static __always_inline bool kho_folio_may_migrate(struct folio *folio)
{
	if (!folio_test_lru(folio) && !__folio_test_movable(folio) &&
	    !folio_is_zone_movable(folio))
		return false;
	return !folio_test_lru(folio) || !folio_maybe_dma_pinned(folio) ||
	       !folio_is_longterm_pinnable(folio);
}

/* Mark or unmark one block of @client; the caller holds kho_out.lock. */
static int kho_mark_locked(struct kho_client *client, unsigned long pfn,
			   unsigned int order, bool set)
{
	phys_addr_t start = PFN_PHYS(pfn), end = PFN_PHYS(pfn + (1UL << order));
	int err;

	if (order >= KHO_NR_ORDERS)
		return -EINVAL;
	if (!set) {
		if (!kho_tracker_test(&client->tracker, pfn, order))
			return kho_owned_by_other(client, pfn, order) ?
			       -EPERM : -ENOENT;
		/* The tracker's own pages are the core's. */
		if (!order && page_private(pfn_to_page(pfn)) == KHO_NODE_PRIVATE)
			return -EPERM;
		return kho_tracker_clear(&client->tracker, pfn, order);
	}
	if (kho_range_in_scratch(start, end)) {
		pr_warn_ratelimited("%s: cannot preserve %pa..%pa: scratch memory\n",
				    client->name, &start, &end);
		return -EINVAL;
	}
	if (kho_folio_may_migrate(pfn_folio(pfn))) {
		pr_warn_ratelimited("%s: cannot preserve %pa..%pa: the kernel may migrate it (allocate it without __GFP_MOVABLE)\n",
				    client->name, &start, &end);
		return -EINVAL;
	}
	err = kho_overlap(client, pfn, order);
	if (err == -EPERM)
		pr_warn_ratelimited("%s: cannot preserve %pa..%pa: it overlaps memory another client or the core preserves\n",
				    client->name, &start, &end);
	if (err)
		return err;
	return kho_tracker_set(&client->tracker, pfn, order);
}

/* The largest naturally aligned block at @pfn that fits into @nr pages. */
static unsigned int kho_block_order(unsigned long pfn, unsigned long nr)
{
	unsigned int order = min_t(unsigned int, KHO_NR_ORDERS - 1, ilog2(nr));

	if (pfn)
		order = min_t(unsigned int, order, __ffs(pfn));
	return order;
}

/*
 * Mark or unmark a run of pages as naturally aligned blocks; the caller
 * holds kho_out.lock. A failed preserve undoes what it did.
 */
static int kho_mark_range_locked(struct kho_client *client, unsigned long pfn,
				 unsigned long nr, bool set)
{
	unsigned long p = pfn, left = nr;
	int err = 0;

	while (left) {
		unsigned int order = kho_block_order(p, left);

		err = kho_mark_locked(client, p, order, set);
		if (err)
			break;
		p += 1UL << order;
		left -= 1UL << order;
	}
	while (err && set && pfn < p) {
		unsigned int order = kho_block_order(pfn, nr);

		kho_tracker_clear(&client->tracker, pfn, order);
		pfn += 1UL << order;
		nr -= 1UL << order;
	}
	return err;
}

static int kho_mark_range(struct kho_client *client, unsigned long pfn,
			  unsigned long nr, bool set)
{
	int err;

	if (!nr)
		return -EINVAL;
	mutex_lock(&kho_out.lock);
	err = kho_check_open(client);
	err = err ?: kho_mark_range_locked(client, pfn, nr, set);
	mutex_unlock(&kho_out.lock);
	return err;
}

/*
 * The batch path. The checks of kho_mark_locked() that depend on where a
 * block lies (scratch memory, another tracker holding the same block) are
 * prepared once for all the blocks of one order that one leaf of the
 * client's tracker covers (all trackers split memory alike): whether
 * scratch is there, and the union of the other trackers' leaves there
 * (usually none: the zero page), with the blocks of other orders of every
 * tracker there folded in. A block then costs its migration check, a bit
 * test in its leaf and in that union, and the bit set. Anything else (the
 * first block of a leaf, a block already set, held by another tracker or
 * overlapping a block of another order) goes through kho_mark_locked(),
 * which also says what is wrong.
 */
#define KHO_BATCH_MIN	16

struct kho_batch {
	u64 start;		/* pfns the leaf covers: [start, end) */
	u64 end;
	unsigned int order;
	bool slow;		/* every block through kho_mark_locked() */
	u64 *own;		/* the client's leaf, NULL until it exists */
	const u64 *others;	/* the other trackers' blocks */
	u64 *merged;		/* a page for the union of several leaves */
};

/* Make r->others a copy that takes more bits; false without memory. */
static bool kho_batch_private(struct kho_batch *r)
{
	if (r->others == r->merged)
		return true;
	if (!r->merged)
		r->merged = (u64 *)__get_free_page(GFP_KERNEL);
	if (!r->merged)
		return false;
	memcpy(r->merged, r->others, PAGE_SIZE);
	r->others = r->merged;
	return true;
}

/* Add the leaf of @t's blocks of the batch order there to the union. */
static void kho_batch_other(struct kho_batch *r, const struct kho_tracker *t,
			    unsigned long pfn)
{
	const u64 *zero = page_address(ZERO_PAGE(0));
	const u64 *leaf;
	unsigned int i;
	u64 s, e;

	leaf = kho_tracker_leaf(t, pfn, r->order, &s, &e);
	if (!leaf || r->slow)
		return;
	if (r->others == zero) {
		r->others = leaf;
		return;
	}
	if (!kho_batch_private(r)) {
		r->slow = true;
		return;
	}
	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		r->merged[i] |= leaf[i];
}

/*
 * Add @t's blocks of order @o (not the batch order) in the leaf range to
 * the union, as the batch-order blocks they overlap: those then go through
 * kho_mark_locked(), which finds the overlap. Usually there are none, or a
 * few (the core's root tree, a client's blobs).
 */
static void kho_batch_fold(struct kho_batch *r, const struct kho_tracker *t,
			   unsigned int o)
{
	u64 p = round_down(r->start, 1ULL << o), s, e, b, b1, first, last;
	const u64 *leaf;

	if (!t->nr_blocks[o])
		return;
	while (p < r->end && !r->slow) {
		leaf = kho_tracker_leaf(t, p, o, &s, &e);
		if (s == e)
			return;
		p = e;
		if (!leaf)
			continue;
		b1 = (min(r->end, e) - s + (1ULL << o) - 1) >> o;
		b = (max(r->start, s) - s) >> o;
		for (b = find_next_bit((const unsigned long *)leaf, b1, b); b < b1;
		     b = find_next_bit((const unsigned long *)leaf, b1, b + 1)) {
			if (!kho_batch_private(r)) {
				r->slow = true;
				return;
			}
			first = (max(s + (b << o), r->start) - r->start) >> r->order;
			last = (min(s + ((b + 1) << o), r->end) - 1 - r->start) >>
			       r->order;
			bitmap_set((unsigned long *)r->merged, first,
				   last - first + 1);
		}
	}
}

static void kho_batch_region(struct kho_client *client, struct kho_batch *r,
			     unsigned long pfn, unsigned int order)
{
	struct kho_client *c;
	unsigned int o;

	r->order = order;
	r->others = page_address(ZERO_PAGE(0));
	r->own = kho_tracker_leaf(&client->tracker, pfn, order, &r->start,
				  &r->end);
	r->slow = order >= KHO_NR_ORDERS || r->start == r->end ||
		  kho_range_in_scratch(PFN_PHYS(r->start), PFN_PHYS(r->end));
	if (r->slow)
		return;
	kho_batch_other(r, &kho_out.tracker, pfn);
	list_for_each_entry(c, &kho_out.clients, list) {
		if (c != client)
			kho_batch_other(r, &c->tracker, pfn);
	}
	/* Blocks of other orders there, in any tracker, the client's too. */
	for (o = 0; o < KHO_NR_ORDERS; o++) {
		if (o == order)
			continue;
		kho_batch_fold(r, &client->tracker, o);
		kho_batch_fold(r, &kho_out.tracker, o);
		list_for_each_entry(c, &kho_out.clients, list) {
			if (c != client)
				kho_batch_fold(r, &c->tracker, o);
		}
	}
}

/*
 * A folio nobody holds a reference to is not the caller's: a free page, or
 * a tail page of a high-order allocation made without __GFP_COMP, which
 * kho_preserve_pages() preserves whole.
 */
static int kho_folio_unowned(struct kho_client *client, struct folio *folio)
{
	if (likely(folio_ref_count(folio)))
		return 0;
	pr_warn_ratelimited("%s: cannot preserve the folio at pfn %#lx: it has no reference (a page of a high-order allocation without __GFP_COMP? use kho_preserve_pages())\n",
			    client->name, folio_pfn(folio));
	return -EINVAL;
}

/* A block the fast path does not take: checked one by one. */
static noinline int kho_batch_slow(struct kho_client *client,
				   struct kho_batch *r, struct folio *folio,
				   unsigned long pfn, unsigned int order)
{
	int err = kho_folio_unowned(client, folio);

	err = err ?: kho_mark_locked(client, pfn, order, true);

	/* The first block of the client there created its leaf. */
	if (!err && !r->own && !r->slow)
		r->own = kho_tracker_leaf(&client->tracker, pfn, order,
					  &r->start, &r->end);
	return err;
}

/*
 * Preserve @nr folios under kho_out.lock; on failure *@done is the number
 * of folios preserved before the one that failed. The fields of @r that
 * the loop reads for every folio are kept in locals.
 */
static int kho_preserve_batch(struct kho_client *client, struct kho_batch *r,
			      struct folio **folios, unsigned int nr,
			      unsigned int *done)
{
	struct folio **f, **end = folios + nr, *folio;
	struct kho_tracker *t = &client->tracker;
	unsigned int order, cur_order = UINT_MAX;
	u64 start = 0, span = 0, b, off;
	const u64 *others = NULL;
	u64 *own = NULL;
	unsigned long pfn;
	int err;

	for (f = folios; f < end; f++) {
		folio = *f;
		pfn = folio_pfn(folio);
		order = folio_order(folio);
		off = pfn - start;
		if (unlikely(order != cur_order || off >= span)) {
			kho_batch_region(client, r, pfn, order);
			cur_order = order;
			start = r->start;
			span = r->end - r->start;
			own = r->slow ? NULL : r->own;
			others = r->others;
			off = pfn - start;
		}
		b = off >> order;
		if (unlikely(!own) || kho_folio_may_migrate(folio) ||
		    !folio_ref_count(folio) ||
		    kho_tracker_leaf_test(own, b) ||
		    kho_tracker_leaf_test(others, b)) {
			err = kho_batch_slow(client, r, folio, pfn, order);
			if (err) {
				*done = f - folios;
				return err;
			}
			own = r->slow ? NULL : r->own;
			continue;
		}
		kho_tracker_leaf_set(t, own, b, order);
	}
	*done = nr;
	return 0;
}

static int kho_mark_folios(struct kho_client *client, struct folio **folios,
			   unsigned int nr, bool set)
{
	struct kho_batch r = { .order = UINT_MAX };
	unsigned int i = 0;
	int err;

	mutex_lock(&kho_out.lock);
	err = kho_check_open(client);
	if (!err && set && nr >= KHO_BATCH_MIN) {
		err = kho_preserve_batch(client, &r, folios, nr, &i);
	} else {
		/* Preparing a leaf range costs more than a few folios. */
		for (; !err && i < nr; i++) {
			if (set)
				err = kho_folio_unowned(client, folios[i]);
			err = err ?: kho_mark_locked(client, folio_pfn(folios[i]),
						     folio_order(folios[i]), set);
		}
		/* The loop went one past the folio that failed. */
		if (err && i)
			i--;
	}
	/* A failed preserve undoes the whole call: folios[0..i) are set. */
	while (err && set && i--)
		kho_tracker_clear(&client->tracker, folio_pfn(folios[i]),
				  folio_order(folios[i]));
	mutex_unlock(&kho_out.lock);
	if (r.merged)
		free_page((unsigned long)r.merged);
	return err;
}

/**
 * kho_preserve_folio() - preserve a folio for the next kernel
 * @client: the owner
 * @folio: the folio, at its allocated order (gigantic folios included)
 *
 * The folio's memory is kept intact across kexec and can be taken back in
 * the next kernel with kho_restore_folio() at the same physical address.
 * Its contents may keep changing until the kexec jump.
 *
 * A high-order allocation made without __GFP_COMP is not a folio: its
 * first page looks like an order-0 folio, and only that page would be
 * preserved. Preserve such memory with kho_preserve_pages(); a folio
 * without a reference (a tail page of such an allocation, or a free page)
 * is refused.
 *
 * Context: process context; may sleep and allocate tracker pages.
 * Return: 0; -EOPNOTSUPP when KHO is off; -EINVAL for a folio in scratch
 * memory, one the kernel may migrate (on the LRU and not pinned
 * long-term, movable, or in ZONE_MOVABLE) or one without a reference; -EEXIST if @client already
 * preserves it, or memory inside or around it; -EPERM if another client
 * or the core preserves any of it; -EBUSY once the jump has started;
 * -ENOMEM.
 */
int kho_preserve_folio(struct kho_client *client, struct folio *folio)
{
	return kho_mark_folios(client, &folio, 1, true);
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - stop preserving a folio
 * @client: the owner
 * @folio: a folio @client preserved with kho_preserve_folio()
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if nobody preserves it; -EPERM if another client or
 * the core does; -EBUSY once the jump has started; -EOPNOTSUPP.
 */
int kho_unpreserve_folio(struct kho_client *client, struct folio *folio)
{
	return kho_mark_folios(client, &folio, 1, false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/**
 * kho_preserve_folios() - preserve an array of folios in one call
 * @client: the owner
 * @folios: the folios
 * @nr: number of @folios
 *
 * Takes the lock once for the whole array.
 *
 * Context: process context; may sleep and allocate tracker pages.
 * Return: 0, or the first error of kho_preserve_folio(); on error none of
 * @folios stays preserved.
 */
int kho_preserve_folios(struct kho_client *client, struct folio **folios,
			unsigned int nr)
{
	return kho_mark_folios(client, folios, nr, true);
}
EXPORT_SYMBOL_GPL(kho_preserve_folios);

/**
 * kho_unpreserve_folios() - stop preserving an array of folios
 * @client: the owner
 * @folios: the folios
 * @nr: number of @folios
 *
 * Context: process context; may sleep.
 * Return: 0, or the first error of kho_unpreserve_folio(); the folios
 * before the failing one are unpreserved.
 */
int kho_unpreserve_folios(struct kho_client *client, struct folio **folios,
			  unsigned int nr)
{
	return kho_mark_folios(client, folios, nr, false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folios);

/**
 * kho_preserve_pages() - preserve a range of pages for the next kernel
 * @client: the owner
 * @page: first page
 * @nr_pages: number of pages
 *
 * The range is preserved as naturally aligned blocks, in one call under
 * one lock; the next kernel takes it back with kho_restore_pages() on the
 * same range.
 *
 * Context: process context; may sleep and allocate tracker pages.
 * Return: 0, -EINVAL for an empty range, or the errors of
 * kho_preserve_folio(); on error nothing of the range stays preserved.
 */
int kho_preserve_pages(struct kho_client *client, struct page *page,
		       unsigned long nr_pages)
{
	return kho_mark_range(client, page_to_pfn(page), nr_pages, true);
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages() - stop preserving a range of pages
 * @client: the owner
 * @page: first page
 * @nr_pages: number of pages, as given to kho_preserve_pages()
 *
 * Context: process context; may sleep.
 * Return: 0, or the errors of kho_unpreserve_folio() for the first block
 * that fails.
 */
int kho_unpreserve_pages(struct kho_client *client, struct page *page,
			 unsigned long nr_pages)
{
	return kho_mark_range(client, page_to_pfn(page), nr_pages, false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/**
 * kho_preserve_phys() - preserve a physical range the page allocator does
 * not own
 * @client: the owner
 * @phys: start, page aligned
 * @size: bytes, page aligned
 *
 * For memory reserved in memblock, such as a ``reserve_mem=`` region. The
 * next kernel takes it back with kho_restore_pages(), or reserves it again
 * in memblock at boot.
 *
 * Context: process context; may sleep and allocate tracker pages.
 * Return: 0, -EINVAL for an unaligned or empty range, or the errors of
 * kho_preserve_pages().
 */
int kho_preserve_phys(struct kho_client *client, phys_addr_t phys,
		      phys_addr_t size)
{
	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(size))
		return -EINVAL;
	return kho_mark_range(client, PHYS_PFN(phys), PHYS_PFN(size), true);
}
EXPORT_SYMBOL_GPL(kho_preserve_phys);

/**
 * kho_unpreserve_phys() - stop preserving a physical range
 * @client: the owner
 * @phys: start, as given to kho_preserve_phys()
 * @size: bytes, as given to kho_preserve_phys()
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL, or the errors of kho_unpreserve_pages().
 */
int kho_unpreserve_phys(struct kho_client *client, phys_addr_t phys,
			phys_addr_t size)
{
	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(size))
		return -EINVAL;
	return kho_mark_range(client, PHYS_PFN(phys), PHYS_PFN(size), false);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_phys);

/**
 * kho_alloc_preserve() - allocate zeroed memory that is preserved
 * @client: the owner
 * @size: bytes, any size; rounded up to a power-of-two number of pages
 *
 * Suits blobs and other state, up to the page allocator's largest order.
 * Free it with kho_unpreserve_free(); in the next kernel take it back with
 * kho_restore_preserved().
 *
 * Context: process context; may sleep.
 * Return: the memory; ERR_PTR(-EOPNOTSUPP) when KHO is off;
 * ERR_PTR(-EINVAL) for a size of 0 or beyond MAX_PAGE_ORDER;
 * ERR_PTR(-ENOMEM); otherwise the errors of kho_preserve_folio(). Never
 * NULL.
 */
void *kho_alloc_preserve(struct kho_client *client, size_t size)
{
	unsigned int order = get_order(size);
	struct folio *folio;
	int err;

	if (!kho_out.ready)
		return ERR_PTR(-EOPNOTSUPP);
	if (!size || order > MAX_PAGE_ORDER)
		return ERR_PTR(-EINVAL);
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	err = kho_preserve_folio(client, folio);
	if (err) {
		folio_put(folio);
		return ERR_PTR(err);
	}
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_alloc_preserve);

/**
 * kho_unpreserve_free() - free memory from kho_alloc_preserve()
 * @client: the owner
 * @ptr: the memory, NULL or an error pointer (ignored)
 *
 * When the memory cannot be unpreserved (the jump has started, or it is
 * not @client's), it stays allocated and preserved, with a warning: freed,
 * it would be reused while the next kernel treats it as preserved.
 *
 * Context: process context; may sleep.
 */
void kho_unpreserve_free(struct kho_client *client, void *ptr)
{
	struct folio *folio;
	int err;

	if (IS_ERR_OR_NULL(ptr))
		return;
	folio = virt_to_folio(ptr);
	err = kho_unpreserve_folio(client, folio);
	if (err) {
		pr_warn("%s: cannot unpreserve %p (%d): leaking it, not freeing memory the next kernel may get\n",
			client ? client->name : "?", ptr, err);
		return;
	}
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_free);

static struct kho_blob *kho_find_blob(struct kho_client *client,
				      const char *name)
{
	struct kho_blob *b;

	list_for_each_entry(b, &client->blobs, list) {
		if (!strcmp(b->name, name))
			return b;
	}
	return NULL;
}

/*
 * Does a block of @client start at @pfn and hold @size bytes: what the
 * next kernel looks for. The tracker's own pages are not the client's.
 */
static bool kho_client_block_holds(struct kho_client *client,
				   unsigned long pfn, size_t size)
{
	unsigned int order;

	if (page_private(pfn_to_page(pfn)) == KHO_NODE_PRIVATE)
		return false;
	for (order = 0; order < KHO_NR_ORDERS; order++) {
		if (kho_tracker_test(&client->tracker, pfn, order))
			return size <= PAGE_SIZE << order;
	}
	return false;
}

/**
 * kho_add_blob() - publish a named blob for the next kernel
 * @client: the owner
 * @name: name, unique among @client's blobs (see struct kho_client_desc)
 * @blob: the start of a block @client preserves (a folio, or memory from
 *	kho_alloc_preserve() of any size), usually the client's own FDT
 * @size: bytes of @blob the next kernel will see, at most the block
 *
 * The root tree links the blob by physical address; its contents may keep
 * changing until the kexec jump (the freeze callback is the last chance).
 *
 * Context: process context; may sleep and allocate.
 * Return: 0; -EINVAL for a bad name or memory @client does not preserve;
 * -EEXIST if the name is taken; -ENOSPC if the root tree is full; -EBUSY
 * once the jump has started; -EOPNOTSUPP when KHO is off; -ENOMEM.
 */
int kho_add_blob(struct kho_client *client, const char *name,
		 const void *blob, size_t size)
{
	phys_addr_t phys;
	struct kho_blob *b;
	int err;

	if (!kho_name_valid(name) || !size || !PAGE_ALIGNED(blob) ||
	    !virt_addr_valid(blob))
		return -EINVAL;
	phys = virt_to_phys((void *)blob);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	strscpy(b->name, name, sizeof(b->name));
	b->phys = phys;
	b->size = size;

	mutex_lock(&kho_out.lock);
	err = kho_check_open(client);
	if (!err && !kho_client_block_holds(client, PHYS_PFN(phys), size))
		err = -EINVAL;
	if (!err && kho_find_blob(client, name))
		err = -EEXIST;
	if (!err) {
		list_add_tail(&b->list, &client->blobs);
		client->nr_blobs++;
		err = kho_update_root();
		if (err) {
			list_del(&b->list);
			client->nr_blobs--;
		}
	}
	mutex_unlock(&kho_out.lock);
	if (err)
		kfree(b);
	else
		blocking_notifier_call_chain(&kho_client_chain,
					     KHO_CLIENT_BLOBS_CHANGED, client);
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_blob);

/**
 * kho_remove_blob() - withdraw a blob published with kho_add_blob()
 * @client: the owner
 * @name: its name
 *
 * The blob's memory stays preserved until the client unpreserves it.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOENT, -EBUSY once the jump has started, or the error of
 * rebuilding the root tree (the blob then stays published).
 */
int kho_remove_blob(struct kho_client *client, const char *name)
{
	struct kho_blob *b = NULL;
	int err;

	mutex_lock(&kho_out.lock);
	err = kho_check_open(client);
	if (!err) {
		b = kho_find_blob(client, name);
		err = b ? 0 : -ENOENT;
	}
	if (!err) {
		struct list_head *prev = b->list.prev;

		list_del(&b->list);
		client->nr_blobs--;
		/* A smaller tree fits; should it fail, nothing changes. */
		err = kho_update_root();
		if (WARN_ON_ONCE(err)) {
			list_add(&b->list, prev);
			client->nr_blobs++;
			b = NULL;
		}
	}
	mutex_unlock(&kho_out.lock);
	kfree(b);
	if (!err)
		blocking_notifier_call_chain(&kho_client_chain,
					     KHO_CLIENT_BLOBS_CHANGED, client);
	return err;
}
EXPORT_SYMBOL_GPL(kho_remove_blob);

/*
 * Blocks @t holds over all orders and, when @bytes is not NULL, their size;
 * the tracker's own pages excluded. The caller serializes with changes to
 * @t (kho_out.lock for the outgoing side).
 */
unsigned long kho_tracker_blocks(const struct kho_tracker *t, u64 *bytes)
{
	unsigned long blocks = 0;
	unsigned int order;
	u64 sum = 0;

	for (order = 0; order < t->nr_orders; order++) {
		blocks += t->nr_blocks[order];
		sum += (u64)t->nr_blocks[order] << (PAGE_SHIFT + order);
	}
	if (bytes)
		*bytes = sum;
	return blocks;
}

static struct kho_client *kho_find_client(const char *name)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (!strcmp(c->name, name))
			return c;
	}
	return NULL;
}

/*
 * A client registers while an image carrying the handover is loaded: its
 * prepare runs now, as it would have at the load. On failure the client
 * is taken off the list again. Called with the clients lock held.
 */
static int kho_prepare_registered(struct kho_client *c)
{
	int err;

	if (!kho_out.loaded || kho_out.aborted || !c->ops || !c->ops->prepare)
		return 0;
	err = c->ops->prepare(c, c->data);
	if (!err) {
		c->prepared = true;
		return 0;
	}
	pr_err("client %s failed to prepare the handover for the loaded image (%d): registration refused\n",
	       c->name, err);
	mutex_lock(&kho_out.lock);
	list_del(&c->list);
	kho_out.nr_clients--;
	/* A smaller tree always fits. */
	WARN_ON_ONCE(kho_update_root());
	mutex_unlock(&kho_out.lock);
	return err;
}

/**
 * kho_client_register() - register a client of the handover
 * @desc: name, version, callbacks; copied, except @desc->accept,
 *	@desc->ops and @desc->data, which must stay valid until
 *	kho_client_unregister()
 *
 * Registers the client for the next kernel and attaches it to the state
 * the previous kernel left under the same name, if any: see
 * kho_client_incoming(). Incoming state of a version the client does not
 * accept is released here, with an error message. While an image carrying
 * the handover is loaded, the client's prepare callback runs here.
 *
 * Context: process context; may sleep and allocate.
 * Return: the client; ERR_PTR(-EOPNOTSUPP) when KHO is off;
 * ERR_PTR(-EINVAL) for a bad name or version; ERR_PTR(-EEXIST) if the name
 * is taken; ERR_PTR(-EBUSY) once the jump has started;
 * ERR_PTR(-ENOSPC) with too many clients or a full root tree;
 * ERR_PTR(-EAGAIN) on a KHO boot before core_initcall; ERR_PTR(-ENOMEM);
 * the error of the prepare callback when an image is loaded.
 */
struct kho_client *kho_client_register(const struct kho_client_desc *desc)
{
	struct kho_client *c;
	int err;

	if (!kho_out.ready)
		return ERR_PTR(-EOPNOTSUPP);
	if (!desc->name || !kho_name_valid(desc->name) || !desc->compatible ||
	    !*desc->compatible ||
	    strlen(desc->compatible) >= KHO_COMPATIBLE_MAX)
		return ERR_PTR(-EINVAL);
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	strscpy(c->name, desc->name, sizeof(c->name));
	strscpy(c->compatible, desc->compatible, sizeof(c->compatible));
	c->accept = desc->accept;
	c->ops = desc->ops;
	c->data = desc->data;
	INIT_LIST_HEAD(&c->blobs);
	err = kho_tracker_init(&c->tracker, &kho_out_tracker_ops, PAGE_SHIFT,
			       KHO_NR_ORDERS);
	if (err) {
		kfree(c);
		return ERR_PTR(err);
	}

	kho_clients_lock();
	mutex_lock(&kho_out.lock);
	if (kho_out.frozen)
		err = -EBUSY;
	else if (kho_find_client(c->name))
		err = -EEXIST;
	else if (kho_out.nr_clients >= KHO_CLIENTS_MAX)
		err = -ENOSPC;
	if (!err) {
		list_add_tail(&c->list, &kho_out.clients);
		kho_out.nr_clients++;
		err = kho_update_root();
		if (err) {
			list_del(&c->list);
			kho_out.nr_clients--;
		}
	}
	mutex_unlock(&kho_out.lock);
	/* An image carrying the handover is loaded: prepare for it now. */
	if (!err)
		err = kho_prepare_registered(c);
	kho_clients_unlock();
	if (err) {
		kho_tracker_destroy(&c->tracker);
		kfree(c);
		return ERR_PTR(err);
	}
	c->in = kho_in_attach(c);
	if (IS_ERR(c->in)) {
		err = PTR_ERR(c->in);
		c->in = NULL;
		kho_client_unregister(c);
		return ERR_PTR(err);
	}
	blocking_notifier_call_chain(&kho_client_chain, KHO_CLIENT_ADDED, c);
	pr_info("client %s registered (%s)\n", c->name, c->compatible);
	return c;
}
EXPORT_SYMBOL_GPL(kho_client_register);

/**
 * kho_client_unregister() - drop a client and everything it preserves
 * @client: the client, or NULL or an error pointer (ignored)
 *
 * Removes the client's blobs and preserved memory from the handover (the
 * memory itself stays with the caller) and finishes its incoming state
 * (see kho_finish()). No callback runs after this returns.
 *
 * Context: process context; may sleep. During the kexec jump (from a
 * reboot notifier or a .shutdown callback) too: the client leaves the
 * frozen handover without waiting.
 */
void kho_client_unregister(struct kho_client *client)
{
	struct kho_blob *b, *tmp;

	if (IS_ERR_OR_NULL(client))
		return;
	kho_finish(client);
	kho_in_detach(client);
	kho_clients_lock();
	mutex_lock(&kho_out.lock);
	list_del(&client->list);
	kho_out.nr_clients--;
	/* A smaller tree always fits. */
	if (WARN_ON_ONCE(kho_update_root())) {
		/* The tree still names the client: hand nothing over. */
		kho_out.aborted = true;
		kho_update_root();
		pr_err("cannot update the root tree: the handover is aborted\n");
	}
	/* During the jump (a reboot notifier, a .shutdown): still frozen. */
	if (kho_out.frozen) {
		kho_root_set_frozen_at(kho_out.root, ktime_get_real_seconds());
		pr_info("client %s left the handover during the kexec jump\n",
			client->name);
	}
	mutex_unlock(&kho_out.lock);
	kho_clients_unlock();
	/* Off the list: sysfs coming up cannot add it again. */
	blocking_notifier_call_chain(&kho_client_chain, KHO_CLIENT_REMOVED,
				     client);
	list_for_each_entry_safe(b, tmp, &client->blobs, list)
		kfree(b);
	kho_tracker_destroy(&client->tracker);
	pr_info("client %s unregistered\n", client->name);
	kfree(client);
}
EXPORT_SYMBOL_GPL(kho_client_unregister);

static int __init kho_out_init(void)
{
	struct folio *folio;
	int err;

	err = kho_tracker_init(&kho_out.tracker, &kho_out_tracker_ops,
			       PAGE_SHIFT, KHO_NR_ORDERS);
	if (err)
		return err;
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, get_order(KHO_ROOT_MAX_SIZE));
	/*
	 * An accepted handover's root tree is still reserved here, but the
	 * memory of one refused after its root was found is free: never put
	 * the new tree where a stale reference to the old one would look.
	 * The first block stays allocated while the second one is taken.
	 */
	if (folio && kho_in_root_overlaps(folio_pfn(folio) << PAGE_SHIFT,
					  KHO_ROOT_MAX_SIZE)) {
		struct folio *old = folio;

		folio = folio_alloc(GFP_KERNEL | __GFP_ZERO,
				    get_order(KHO_ROOT_MAX_SIZE));
		folio_put(old);
	}
	if (!folio) {
		err = -ENOMEM;
		goto err_tracker;
	}
	if (kho_in_root_overlaps(folio_pfn(folio) << PAGE_SHIFT,
				 KHO_ROOT_MAX_SIZE)) {
		err = -EADDRINUSE;
		goto err_folio;
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
