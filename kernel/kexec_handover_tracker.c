// SPDX-License-Identifier: GPL-2.0
/*
 * KHO preserved-memory tracker: per-order sparse bitmaps in radix trees of
 * page-sized nodes (ABI: include/linux/kho/abi.h); a leaf has height 0,
 * hdr->root[order] has height t->levels. The tracker marks its own pages
 * as order-0 blocks; an operation that allocates nodes is undone completely
 * if an allocation fails, so between calls the tracker is always complete
 * and self-consistent.
 */

#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>

#include "kexec_handover_tracker.h"

/* Page sizes supported: 1 KiB (header fits) to 1 MiB (2^31 pages fit). */
#define KT_MIN_PAGE_SHIFT	10
#define KT_MAX_PAGE_SHIFT	20
/* Largest kt_levels() over the supported page sizes (5 at 1 KiB pages). */
#define KT_MAX_LEVELS		5
/* Pages one operation may allocate before it gives up with -ENOMEM. */
#define KT_TXN_MAX		24
/* A page of the transaction whose own bit the transaction set. */
#define KT_TXN_MARKED		1ULL
/* No block: the end of an order in an iteration. */
#define KT_NONE			(~0ULL)

static unsigned int kt_pfn_bits(unsigned int page_shift)
{
	return KHO_TRACKER_PHYS_BITS - page_shift;
}

/* Interior levels so that order 0 covers KHO_TRACKER_PHYS_BITS. */
static unsigned int kt_levels(unsigned int page_shift)
{
	unsigned int bits = kt_pfn_bits(page_shift);
	unsigned int leaf_bits = page_shift + 3;
	unsigned int fan_bits = page_shift - 3;

	if (bits <= leaf_bits)
		return 1;
	return (bits - leaf_bits + fan_bits - 1) / fan_bits;
}

static bool kt_page_shift_ok(unsigned int page_shift)
{
	return page_shift >= KT_MIN_PAGE_SHIFT &&
	       page_shift <= KT_MAX_PAGE_SHIFT &&
	       kt_levels(page_shift) <= KT_MAX_LEVELS;
}

/* log2 of the bits in a leaf, of the fan-out of an interior node */
static unsigned int kt_lb(const struct kho_tracker *t)
{
	return t->page_shift + 3;
}

static unsigned int kt_fb(const struct kho_tracker *t)
{
	return t->page_shift - 3;
}

/* Number of block indexes of @order inside the physical address space. */
static u64 kt_lim(const struct kho_tracker *t, unsigned int order)
{
	return 1ULL << (kt_pfn_bits(t->page_shift) - order);
}

/* Index bits below one child slot of a node of height @h (h >= 1). */
static unsigned int kt_shift(const struct kho_tracker *t, unsigned int h)
{
	return kt_lb(t) + (h - 1) * kt_fb(t);
}

/*
 * Map a node, checking what can be checked: alignment, the physical
 * address space, and the caller's map(). Sets *why on failure.
 */
static void *kt_node(const struct kho_tracker *t, u64 phys, const char **why)
{
	void *node;

	if (phys & ((1ULL << t->page_shift) - 1)) {
		*why = "misaligned node";
		return NULL;
	}
	if ((phys >> t->page_shift) >= kt_lim(t, 0)) {
		*why = "node beyond address space";
		return NULL;
	}
	node = t->ops->map(t->ops->ctx, phys);
	if (!node)
		*why = "node outside memory";
	return node;
}

/* The leaf holding block @idx of @order, or NULL. No allocation. */
static u64 *kt_leaf(const struct kho_tracker *t, unsigned int order, u64 idx,
		    const char **why)
{
	unsigned int fan_mask = (1U << kt_fb(t)) - 1;
	u64 phys = t->hdr->root[order];
	unsigned int h;
	u64 *node;

	for (h = t->levels; ; h--) {
		if (!phys)
			return NULL;
		node = kt_node(t, phys, why);
		if (!node || !h)
			return node;
		phys = node[(idx >> kt_shift(t, h)) & fan_mask];
	}
}

static u64 *kt_word(const struct kho_tracker *t, u64 *leaf, u64 idx)
{
	return &leaf[(idx & ((1ULL << kt_lb(t)) - 1)) / 64];
}

/*
 * Check arguments of set/clear/test and return the block index in *idx.
 */
static int kt_index(const struct kho_tracker *t, u64 pfn, unsigned int order,
		    u64 *idx)
{
	if (order >= t->nr_orders || (pfn & ((1ULL << order) - 1)))
		return -EINVAL;
	if (pfn >= kt_lim(t, 0))
		return -ERANGE;
	*idx = pfn >> order;
	return 0;
}

/*
 * Pages allocated by one operation: physical address (| KT_TXN_MARKED once
 * this operation set its bit) and the slot linking it (NULL: the header).
 */
struct kt_txn {
	unsigned int nr;
	struct {
		u64 phys;
		u64 *slot;
	} pg[KT_TXN_MAX];
};

static u64 kt_txn_phys(const struct kt_txn *x, unsigned int i)
{
	return x->pg[i].phys & ~KT_TXN_MARKED;
}

/* Allocate a node for the empty @slot (may be NULL for the header). */
static void *kt_txn_alloc(struct kho_tracker *t, struct kt_txn *x, u64 *slot)
{
	const struct kho_tracker_ops *ops = t->ops;
	void *virt;
	u64 phys;

	if (x->nr >= KT_TXN_MAX || !ops->alloc_page)
		return NULL;
	virt = ops->alloc_page(ops->ctx, &phys);
	if (!virt)
		return NULL;
	/* 0 means "no child"; the rest must fit the layout. */
	if (!phys || (phys & ((1ULL << t->page_shift) - 1)) ||
	    (phys >> t->page_shift) >= kt_lim(t, 0)) {
		ops->free_page(ops->ctx, virt, phys);
		return NULL;
	}
	x->pg[x->nr].phys = phys;
	x->pg[x->nr].slot = slot;
	x->nr++;
	if (slot)
		*slot = phys;
	return virt;
}

/* The leaf holding block @idx of @order, created (in @x) if missing. */
static u64 *kt_txn_leaf(struct kho_tracker *t, struct kt_txn *x,
			unsigned int order, u64 idx)
{
	unsigned int fan_mask = (1U << kt_fb(t)) - 1;
	u64 *slot = &t->hdr->root[order];
	const char *why;
	unsigned int h;
	u64 *node;

	for (h = t->levels; ; h--) {
		if (!*slot && !kt_txn_alloc(t, x, slot))
			return NULL;
		node = kt_node(t, *slot, &why);
		if (!node || !h)
			return node;
		slot = &node[(idx >> kt_shift(t, h)) & fan_mask];
	}
}

/*
 * Mark every page of @x as an order-0 block. Marking may allocate more
 * pages, which are appended to @x and marked in turn: the loop ends when
 * all are marked, or fails when @x is full (an allocator scattering pages
 * so that each needs new nodes) or an allocation fails.
 */
static int kt_txn_mark(struct kho_tracker *t, struct kt_txn *x)
{
	unsigned int i;
	u64 *leaf, *w, m, pfn;

	for (i = 0; i < x->nr; i++) {
		pfn = kt_txn_phys(x, i) >> t->page_shift;
		leaf = kt_txn_leaf(t, x, 0, pfn);
		if (!leaf)
			return -ENOMEM;
		w = kt_word(t, leaf, pfn);
		m = BIT_ULL(pfn % 64);
		if (!(*w & m)) {
			*w |= m;
			x->pg[i].phys |= KT_TXN_MARKED;
		}
	}
	return 0;
}

/* Undo a failed transaction: clear the bits it set, unlink, free. */
static void kt_txn_abort(struct kho_tracker *t, struct kt_txn *x)
{
	const struct kho_tracker_ops *ops = t->ops;
	const char *why;
	unsigned int i;
	u64 *leaf, pfn, phys;

	for (i = 0; i < x->nr; i++) {
		if (!(x->pg[i].phys & KT_TXN_MARKED))
			continue;
		pfn = kt_txn_phys(x, i) >> t->page_shift;
		leaf = kt_leaf(t, 0, pfn, &why);
		if (leaf)
			*kt_word(t, leaf, pfn) &= ~BIT_ULL(pfn % 64);
	}
	/* Children were allocated after their parents: free them first. */
	for (i = x->nr; i--; ) {
		phys = kt_txn_phys(x, i);
		if (x->pg[i].slot)
			*x->pg[i].slot = 0;
		ops->free_page(ops->ctx, ops->map(ops->ctx, phys), phys);
	}
	x->nr = 0;
}

/*
 * Create an empty outgoing tracker: the header page and the nodes marking it.
 * @ops needs alloc_page, free_page and map. 0, -EINVAL or -ENOMEM.
 */
int kho_tracker_init(struct kho_tracker *t, const struct kho_tracker_ops *ops,
		     unsigned int page_shift, unsigned int nr_orders)
{
	struct kt_txn x = { 0 };
	struct kho_tracker_hdr *hdr;
	int err;

	memset(t, 0, sizeof(*t));
	if (!ops || !ops->alloc_page || !ops->free_page || !ops->map ||
	    !kt_page_shift_ok(page_shift) || !nr_orders ||
	    nr_orders > KHO_TRACKER_MAX_ORDERS)
		return -EINVAL;

	t->ops = ops;
	t->page_shift = page_shift;
	t->nr_orders = nr_orders;
	t->levels = kt_levels(page_shift);

	hdr = kt_txn_alloc(t, &x, NULL);
	if (!hdr)
		return -ENOMEM;
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = KHO_TRACKER_MAGIC;
	hdr->version = KHO_TRACKER_VERSION;
	hdr->page_shift = page_shift;
	hdr->nr_orders = nr_orders;
	hdr->levels = t->levels;
	t->hdr = hdr;
	t->hdr_phys = kt_txn_phys(&x, 0);

	err = kt_txn_mark(t, &x);
	if (err) {
		kt_txn_abort(t, &x);
		memset(t, 0, sizeof(*t));
		return err;
	}
	t->nr_nodes = x.nr;
	return 0;
}

/*
 * Mark a block as preserved, creating the nodes it needs; on failure the
 * tracker is as before the call. 0, -EINVAL (bad order, misaligned @pfn),
 * -ERANGE (beyond KHO_TRACKER_PHYS_BITS), -EEXIST or -ENOMEM.
 */
int kho_tracker_set(struct kho_tracker *t, u64 pfn, unsigned int order)
{
	u64 *leaf, *w, idx;
	const char *why;
	struct kt_txn x;
	int err;

	err = kt_index(t, pfn, order, &idx);
	if (err)
		return err;

	x.nr = 0;
	leaf = kt_leaf(t, order, idx, &why);
	if (!leaf) {
		leaf = kt_txn_leaf(t, &x, order, idx);
		err = leaf ? kt_txn_mark(t, &x) : -ENOMEM;
		if (err) {
			kt_txn_abort(t, &x);
			return err;
		}
	}
	t->nr_nodes += x.nr;
	/* Leaves never move: @leaf is still the block's leaf. */
	w = kt_word(t, leaf, idx);
	if (*w & BIT_ULL(idx % 64))
		return -EEXIST;
	*w |= BIT_ULL(idx % 64);
	t->nr_blocks[order]++;
	return 0;
}

/*
 * Unmark a block set with kho_tracker_set() (never the tracker's own pages);
 * empty nodes are kept. 0, -EINVAL, -ERANGE or -ENOENT.
 */
int kho_tracker_clear(struct kho_tracker *t, u64 pfn, unsigned int order)
{
	const char *why;
	u64 *leaf, *w, idx;
	int err;

	err = kt_index(t, pfn, order, &idx);
	if (err)
		return err;
	leaf = kt_leaf(t, order, idx, &why);
	if (!leaf)
		return -ENOENT;
	w = kt_word(t, leaf, idx);
	if (!(*w & BIT_ULL(idx % 64)))
		return -ENOENT;
	*w &= ~BIT_ULL(idx % 64);
	t->nr_blocks[order]--;
	return 0;
}

/* Is exactly (@pfn, @order) set; false for bad arguments. */
bool kho_tracker_test(const struct kho_tracker *t, u64 pfn,
		      unsigned int order)
{
	const char *why;
	u64 *leaf, idx;

	if (kt_index(t, pfn, order, &idx))
		return false;
	leaf = kt_leaf(t, order, idx, &why);
	return leaf && (*kt_word(t, leaf, idx) & BIT_ULL(idx % 64));
}

/*
 * The leaf of @order covering @pfn, and the pages [*@start, *@end) it covers:
 * every tracker of one page size splits the address space the same way. NULL
 * when @t has no such leaf (*@start == *@end for bad arguments). The leaf
 * stays valid while the tracker lives; a caller serializing with
 * kho_tracker_set() may set blocks in it with kho_tracker_leaf_set().
 */
u64 *kho_tracker_leaf(const struct kho_tracker *t, u64 pfn,
		      unsigned int order, u64 *start, u64 *end)
{
	unsigned int shift = kt_lb(t) + order;
	const char *why;

	*start = 0;
	*end = 0;
	if (order >= t->nr_orders || pfn >= kt_lim(t, 0))
		return NULL;
	*start = pfn >> shift << shift;
	*end = *start + (1ULL << shift);
	if (*end > kt_lim(t, 0))
		*end = kt_lim(t, 0);
	return kt_leaf(t, order, pfn >> order, &why);
}

/*
 * Walking every node. The walk is iterative and bounded by the fixed
 * height of the trees; every child address is checked with kt_node()
 * before use, so it is safe on a tracker that was not validated.
 */
enum kt_walk_mode {
	KT_CLAIM,	/* validate, clear each node's own bit */
	KT_COUNT,	/* count the bits of each order */
	KT_RESTORE,	/* set the bit of the first @limit nodes again */
	KT_EACH,	/* call @fn */
	KT_FREE,	/* free every node, children first */
};

struct kt_walk {
	struct kho_tracker *t;
	enum kt_walk_mode mode;
	unsigned long n;
	unsigned long limit;
	void (*fn)(void *arg, u64 phys);
	void *arg;
	const char *why;
	u64 unmarked;		/* KT_CLAIM: node found with its bit clear */
};

/*
 * KT_CLAIM: the node at @phys must be preserved (its order-0 bit set) and
 * seen for the first time: clear its bit, which marks it as seen. A node
 * linked twice, or a cycle, finds its bit clear on the second visit.
 */
static int kt_claim(struct kt_walk *w, u64 phys)
{
	struct kho_tracker *t = w->t;
	u64 pfn = phys >> t->page_shift;
	const char *why = "node not preserved";
	u64 *leaf, *word;

	leaf = kt_leaf(t, 0, pfn, &why);
	if (!leaf) {
		w->why = why;
		return -EINVAL;
	}
	word = kt_word(t, leaf, pfn);
	if (!(*word & BIT_ULL(pfn % 64))) {
		w->why = "node not preserved";
		w->unmarked = phys;
		return -EINVAL;
	}
	*word &= ~BIT_ULL(pfn % 64);
	return 0;
}

static void kt_unclaim(struct kho_tracker *t, u64 phys)
{
	u64 pfn = phys >> t->page_shift;
	const char *why;
	u64 *leaf;

	leaf = kt_leaf(t, 0, pfn, &why);
	if (leaf)
		*kt_word(t, leaf, pfn) |= BIT_ULL(pfn % 64);
}

/* Bits of a leaf at or beyond block index @lim must be clear. */
static bool kt_leaf_tail_clear(const struct kho_tracker *t, const u64 *leaf,
			       u64 base, u64 lim)
{
	u64 nbits = 1ULL << kt_lb(t);
	u64 b;

	if (base + nbits <= lim)
		return true;
	b = lim - base;
	if (leaf[b / 64] & ~(BIT_ULL(b % 64) - 1))
		return false;
	for (b = b / 64 + 1; b < nbits / 64; b++)
		if (leaf[b])
			return false;
	return true;
}

static u64 kt_leaf_weight(const struct kho_tracker *t, const u64 *leaf)
{
	unsigned int i, nw = 1U << kt_fb(t);
	u64 n = 0;

	for (i = 0; i < nw; i++)
		n += hweight64(leaf[i]);
	return n;
}

/* Visit one node; > 0 stops the walk, < 0 fails it. */
static int kt_visit(struct kt_walk *w, u64 phys, u64 *node,
		    unsigned int order, unsigned int h, u64 base)
{
	struct kho_tracker *t = w->t;
	const struct kho_tracker_ops *ops = t->ops;

	switch (w->mode) {
	case KT_CLAIM:
		if (kt_claim(w, phys))
			return -EINVAL;
		w->n++;
		if (!h && !kt_leaf_tail_clear(t, node, base,
					      kt_lim(t, order))) {
			w->why = "block beyond address space";
			return -EINVAL;
		}
		break;
	case KT_COUNT:
		if (!h)
			t->nr_blocks[order] += kt_leaf_weight(t, node);
		break;
	case KT_RESTORE:
		if (w->n >= w->limit)
			return 1;
		kt_unclaim(t, phys);
		w->n++;
		break;
	case KT_EACH:
		w->fn(w->arg, phys);
		break;
	case KT_FREE:
		ops->free_page(ops->ctx, node, phys);
		break;
	}
	return 0;
}

static int kt_walk_order(struct kt_walk *w, unsigned int order)
{
	struct {
		u64 *node;
		u64 phys;
		u64 base;
		unsigned int slot;
	} st[KT_MAX_LEVELS], *f;
	struct kho_tracker *t = w->t;
	unsigned int fan = 1U << kt_fb(t);
	bool post = w->mode == KT_FREE;
	u64 lim = kt_lim(t, order);
	u64 phys, base, *node;
	unsigned int h, s;
	int sp, ret;

	phys = t->hdr->root[order];
	if (!phys)
		return 0;
	node = kt_node(t, phys, &w->why);
	if (!node)
		return -EINVAL;
	if (!post) {
		ret = kt_visit(w, phys, node, order, t->levels, 0);
		if (ret)
			return ret;
	}
	sp = 0;
	st[0].node = node;
	st[0].phys = phys;
	st[0].base = 0;
	st[0].slot = 0;
	while (sp >= 0) {
		f = &st[sp];
		h = t->levels - sp;
		if (f->slot == fan) {
			if (post) {
				ret = kt_visit(w, f->phys, f->node, order, h,
					       f->base);
				if (ret)
					return ret;
			}
			sp--;
			continue;
		}
		s = f->slot++;
		phys = f->node[s];
		if (!phys)
			continue;
		base = f->base + ((u64)s << kt_shift(t, h));
		if (base >= lim) {
			w->why = "subtree beyond address space";
			return -EINVAL;
		}
		node = kt_node(t, phys, &w->why);
		if (!node)
			return -EINVAL;
		if (h == 1 || !post) {
			ret = kt_visit(w, phys, node, order, h - 1, base);
			if (ret)
				return ret;
		}
		if (h == 1)
			continue;
		f = &st[++sp];
		f->node = node;
		f->phys = phys;
		f->base = base;
		f->slot = 0;
	}
	return 0;
}

/* Every node: the header first (last when freeing), then order by order. */
static int kt_walk(struct kt_walk *w)
{
	unsigned int o;
	int ret;

	if (w->mode != KT_FREE) {
		ret = kt_visit(w, w->t->hdr_phys, (u64 *)w->t->hdr, 0,
			       w->t->levels + 1, 0);
		if (ret)
			return ret;
	}
	for (o = 0; o < w->t->nr_orders; o++) {
		ret = kt_walk_order(w, o);
		if (ret)
			return ret;
	}
	if (w->mode == KT_FREE)
		kt_visit(w, w->t->hdr_phys, (u64 *)w->t->hdr, 0,
			 w->t->levels + 1, 0);
	return 0;
}

/*
 * Free an outgoing tracker and zero @t. An incoming one's pages belong to
 * the caller (kho_tracker_walk_nodes()): nothing is freed.
 */
void kho_tracker_destroy(struct kho_tracker *t)
{
	struct kt_walk w = { .t = t, .mode = KT_FREE };

	if (t->hdr && !t->incoming && t->ops->free_page)
		kt_walk(&w);
	memset(t, 0, sizeof(*t));
}

/*
 * Attach to a tracker written by another kernel. Everything is validated
 * before use: the header, and every node of every order (aligned, accepted by
 * @ops->map, which must refuse non-RAM and scratch and return writable memory;
 * inside the address space; linked once; marked as preserved). Counts
 * nr_nodes and nr_blocks (own pages excluded).
 *
 * Nodes linked twice are found without allocating: the walk clears each
 * node's order-0 bit and sets them again afterwards, leaving the tracker
 * unchanged on success. A tracker that failed to open must not be used. Each
 * page is visited once: the walk is bounded whatever the garbage.
 * 0 or -EINVAL, with a static reason in *@why.
 */
int kho_tracker_open(struct kho_tracker *t, const struct kho_tracker_ops *ops,
		     u64 hdr_phys, unsigned int page_shift,
		     unsigned int max_orders, const char **why)
{
	struct kt_walk w = { .t = t, .mode = KT_CLAIM };
	struct kho_tracker_hdr *hdr;
	const char *reason = NULL;
	unsigned int o;
	int err;

	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->page_shift = page_shift;
	if (!ops || !ops->map)
		reason = "no map";
	else if (!kt_page_shift_ok(page_shift))
		reason = "page size unsupported";
	else if (!max_orders || max_orders > KHO_TRACKER_MAX_ORDERS)
		reason = "bad max orders";
	else if (!hdr_phys)
		reason = "no header";
	if (reason)
		goto fail;

	t->levels = kt_levels(page_shift);
	hdr = kt_node(t, hdr_phys, &reason);
	if (!hdr) {
		reason = hdr_phys & ((1ULL << page_shift) - 1) ?
			 "misaligned header" : "header outside memory";
		goto fail;
	}
	if (hdr->magic != KHO_TRACKER_MAGIC)
		reason = "bad magic";
	else if (hdr->version != KHO_TRACKER_VERSION)
		reason = "unsupported version";
	else if (hdr->page_shift != page_shift)
		reason = "page size differs";
	else if (!hdr->nr_orders || hdr->nr_orders > max_orders)
		reason = "bad number of orders";
	else if (hdr->levels != t->levels)
		reason = "bad levels";
	if (reason)
		goto fail;
	for (o = hdr->nr_orders; o < KHO_TRACKER_MAX_ORDERS; o++) {
		if (hdr->root[o]) {
			reason = "root beyond number of orders";
			goto fail;
		}
	}

	t->hdr = hdr;
	t->hdr_phys = hdr_phys;
	t->nr_orders = hdr->nr_orders;
	t->incoming = true;

	err = kt_walk(&w);
	if (err) {
		reason = w.why ? w.why : "bad tracker";
		w.mode = KT_RESTORE;
		w.limit = w.n;
		w.n = 0;
		kt_walk(&w);
		/* Set again: it was seen before, not unmarked. */
		if (w.unmarked &&
		    kho_tracker_test(t, w.unmarked >> t->page_shift, 0))
			reason = "node linked twice";
		goto fail;
	}
	t->nr_nodes = w.n;

	/* Nodes' bits are clear now: the count is the preserved blocks. */
	w.mode = KT_COUNT;
	kt_walk(&w);

	w.mode = KT_RESTORE;
	w.limit = w.n;
	w.n = 0;
	kt_walk(&w);
	return 0;

fail:
	memset(t, 0, sizeof(*t));
	if (why)
		*why = reason;
	return -EINVAL;
}

/*
 * Call @fn for every page of the tracker: the header, then order by order,
 * parents before children.
 */
void kho_tracker_walk_nodes(const struct kho_tracker *t,
			    void (*fn)(void *arg, u64 phys), void *arg)
{
	/* KT_EACH does not modify the tracker. */
	struct kt_walk w = {
		.t = (struct kho_tracker *)t,
		.mode = KT_EACH,
		.fn = fn,
		.arg = arg,
	};

	if (t->hdr)
		kt_walk(&w);
}

/*
 * Iteration. For each order the iterator keeps the next set block (cur) and
 * the leaf holding it, so finding the following block usually scans a few
 * words of that leaf. Missing subtrees are skipped whole, and a node is
 * scanned for its next child a slot at a time (one load each).
 */

/* End of the walk in block indexes of @order: blocks that start before. */
static u64 kt_iter_end(const struct kho_tracker_iter *it, unsigned int order)
{
	u64 end = (it->end_pfn >> order) +
		  !!(it->end_pfn & ((1ULL << order) - 1));
	u64 lim = kt_lim(it->t, order);

	return end < lim ? end : lim;
}

/*
 * The leaf holding the first block index >= *idx that may be set, or NULL
 * when there is none below @end. *idx moves forward over missing subtrees.
 */
static const u64 *kt_find_leaf(const struct kho_tracker *t,
			       unsigned int order, u64 *idx, u64 end)
{
	unsigned int fb = kt_fb(t), fan = 1U << fb;
	unsigned int h, s, first, shift;
	const char *why;
	const u64 *node;
	u64 i = *idx, phys;

restart:
	while (i < end) {
		phys = t->hdr->root[order];
		if (!phys)
			break;
		for (h = t->levels; h; h--) {
			node = kt_node(t, phys, &why);
			if (!node)
				goto none;
			shift = kt_shift(t, h);
			first = (i >> shift) & (fan - 1);
			for (s = first; s < fan && !node[s]; s++)
				;
			if (s == fan) {
				/* Nothing left under this node. */
				i = ((i >> (shift + fb)) + 1) << (shift + fb);
				goto restart;
			}
			if (s != first)
				i = ((i >> (shift + fb)) << (shift + fb)) +
				    ((u64)s << shift);
			phys = node[s];
		}
		*idx = i;
		return kt_node(t, phys, &why);
	}
none:
	*idx = i;
	return NULL;
}

/*
 * First set block index >= @idx of @order, or KT_NONE. Uses and updates
 * the cached leaf of the order, which holds block it->cur[order].
 */
static u64 kt_find_slow(struct kho_tracker_iter *it, unsigned int order,
			u64 idx, u64 end)
{
	const struct kho_tracker *t = it->t;
	unsigned int lb = kt_lb(t);
	u64 lmask = (1ULL << lb) - 1;
	const u64 *leaf = it->leaf[order];
	u64 lnr = it->cur[order] >> lb;
	u64 word, w, nw, last;

	while (idx < end) {
		if (!leaf || (idx >> lb) != lnr) {
			leaf = kt_find_leaf(t, order, &idx, end);
			if (!leaf)
				break;
			lnr = idx >> lb;
		}
		w = (idx & lmask) / 64;
		word = leaf[w] & (~0ULL << (idx % 64));
		if (word) {
			idx = (idx & ~63ULL) + __ffs64(word);
			if (idx >= end)
				break;
			it->leaf[order] = leaf;
			return idx;
		}
		/* Words of this leaf that may hold blocks before @end. */
		last = end - (lnr << lb);
		nw = last > lmask ? (lmask + 1) / 64 : (last + 63) / 64;
		for (w++; w < nw; w++) {
			if (leaf[w]) {
				idx = (lnr << lb) + w * 64 + __ffs64(leaf[w]);
				if (idx >= end)
					goto none;
				it->leaf[order] = leaf;
				return idx;
			}
		}
		idx = (lnr + 1) << lb;
	}
none:
	it->leaf[order] = NULL;
	return KT_NONE;
}

/* kt_find_slow(), with the common case inline: the next bit is close. */
static inline u64 kt_find(struct kho_tracker_iter *it, unsigned int order,
			  u64 idx)
{
	unsigned int lb = kt_lb(it->t);
	const u64 *leaf = it->leaf[order];
	u64 end = it->end[order];
	u64 word;

	if (leaf && (idx >> lb) == (it->cur[order] >> lb) && idx % 64) {
		word = leaf[(idx & ((1ULL << lb) - 1)) / 64] >> (idx % 64);
		if (word) {
			idx += __ffs64(word);
			return idx < end ? idx : KT_NONE;
		}
	}
	return kt_find_slow(it, order, idx, end);
}

/*
 * Walk the set blocks of every order intersecting [@start_pfn, @end_pfn),
 * the tracker's own pages included; @t must not change during the walk.
 */
void kho_tracker_iter_start(struct kho_tracker_iter *it,
			    const struct kho_tracker *t, u64 start_pfn,
			    u64 end_pfn)
{
	unsigned int o;
	u64 idx;

	it->t = t;
	it->end_pfn = end_pfn;
	it->active = 0;
	for (o = 0; o < KHO_TRACKER_MAX_ORDERS; o++) {
		it->leaf[o] = NULL;
		it->cur[o] = KT_NONE;
		it->end[o] = 0;
		if (o >= t->nr_orders || start_pfn >= end_pfn || !t->hdr)
			continue;
		it->end[o] = kt_iter_end(it, o);
		idx = start_pfn >> o;
		it->cur[o] = kt_find(it, o, idx);
		if (it->cur[o] == KT_NONE)
			continue;
		it->active |= BIT(o);
	}
}

/*
 * Next blocks of the walk as a run: *@nr (1..@max) adjacent blocks of one
 * order from *@pfn, within one word of a leaf. False at the end.
 */
bool kho_tracker_iter_next_run(struct kho_tracker_iter *it, u64 *pfn,
			       unsigned int *order, u64 *nr, u64 max)
{
	unsigned long m = it->active;
	u64 p, bp, cur, n = 1, limit = KT_NONE, word;
	unsigned int o, best;

	if (!m)
		return false;
	best = __ffs(m);
	bp = it->cur[best] << best;
	/* Ascending orders, "<=": on a tie the larger order wins. */
	for (m &= m - 1; m; m &= m - 1) {
		o = __ffs(m);
		p = it->cur[o] << o;
		if (p <= bp) {
			limit = bp;
			bp = p;
			best = o;
		} else if (p < limit) {
			limit = p;
		}
	}
	*pfn = bp;
	*order = best;

	cur = it->cur[best];
	if (max > 1 && it->leaf[best]) {
		/* Set bits from cur on in its word, before the other orders. */
		word = ~(it->leaf[best][(cur & ((1ULL << kt_lb(it->t)) - 1)) / 64] >>
			 (cur % 64));
		n = word ? __ffs64(word) : 64 - cur % 64;
		if (n > 1) {
			if (n > max)
				n = max;
			if (n > it->end[best] - cur)
				n = it->end[best] - cur;
			if (limit != KT_NONE && n > (limit - bp) >> best)
				n = (limit - bp) >> best;
			if (!n)
				n = 1;
		}
	}
	*nr = n;

	cur = kt_find(it, best, cur + n);
	it->cur[best] = cur;
	if (cur == KT_NONE)
		it->active &= ~BIT(best);
	return true;
}

/*
 * Next block: ascending @pfn, larger order first at one pfn, each set block
 * once. False at the end.
 */
bool kho_tracker_iter_next(struct kho_tracker_iter *it, u64 *pfn,
			   unsigned int *order)
{
	u64 nr;

	return kho_tracker_iter_next_run(it, pfn, order, &nr, 1);
}

/*
 * Merged walk: the blocks of several trackers in one ascending order, with
 * the free runs between them, as the next kernel needs them to hand the
 * free pages to its allocator and to stamp each block with its owner.
 */

/*
 * Start a walk over @n (<= KHO_TRACKER_MERGE_MAX) trackers at once; NULL
 * entries are skipped, none may change during the walk. The caller provides
 * @m->its, @m->pfn, @m->order and @m->nr of at least @n entries.
 */
void kho_tracker_merge_start(struct kho_tracker_merge *m,
			     const struct kho_tracker *const *trackers,
			     unsigned int n, u64 start_pfn, u64 end_pfn)
{
	unsigned int k;

	m->n = n < KHO_TRACKER_MERGE_MAX ? n : KHO_TRACKER_MERGE_MAX;
	memset(m->have, 0, sizeof(m->have));
	m->pos = start_pfn;
	m->end_pfn = end_pfn;
	for (k = 0; k < m->n; k++) {
		if (!trackers[k])
			continue;
		kho_tracker_iter_start(&m->its[k], trackers[k], start_pfn,
				       end_pfn);
		if (kho_tracker_iter_next_run(&m->its[k], &m->pfn[k],
					      &m->order[k], &m->nr[k], ~0ULL))
			m->have[k / 64] |= BIT_ULL(k % 64);
	}
}

/*
 * Next blocks of a merged walk, ascending over all trackers (lower index
 * first on a tie), in runs of one tracker and order that no other tracker's
 * block interrupts. A block that starts before the walk, ends after it or
 * overlaps an earlier block comes alone with @b->ok false. Uncovered pages
 * are returned once, as the gap before the next blocks. False at the end,
 * with the tail in @b->gap_start..@b->gap_end.
 */
bool kho_tracker_merge_next(struct kho_tracker_merge *m,
			    struct kho_tracker_merged *b)
{
	unsigned int w, k, best = KHO_TRACKER_MERGE_MAX, order;
	u64 have, bs, be, n, limit = ~0ULL;

	for (w = 0; w < KHO_TRACKER_MERGE_WORDS; w++) {
		for (have = m->have[w]; have; have &= have - 1) {
			k = w * 64 + __ffs64(have);
			if (best == KHO_TRACKER_MERGE_MAX ||
			    m->pfn[k] < m->pfn[best]) {
				if (best != KHO_TRACKER_MERGE_MAX)
					limit = m->pfn[best];
				best = k;
			} else if (m->pfn[k] < limit) {
				limit = m->pfn[k];
			}
		}
	}
	if (best == KHO_TRACKER_MERGE_MAX) {
		b->gap_start = m->pos;
		b->gap_end = m->pos < m->end_pfn ? m->end_pfn : m->pos;
		m->pos = b->gap_end;
		return false;
	}
	bs = m->pfn[best];
	order = m->order[best];
	/* The run stops before another tracker's block and at the end. */
	n = m->nr[best];
	if (n > 1) {
		if (limit != ~0ULL && n > (limit - bs) >> order)
			n = (limit - bs) >> order;
		if (bs < m->end_pfn && n > (m->end_pfn - bs) >> order)
			n = (m->end_pfn - bs) >> order;
		if (!n)
			n = 1;
	}
	be = bs + (n << order);
	b->ok = bs >= m->pos && be <= m->end_pfn;
	if (!b->ok && n > 1) {
		n = 1;
		be = bs + (1ULL << order);
	}
	b->pfn = bs;
	b->order = order;
	b->owner = best;
	b->nr = n;
	if (n < m->nr[best]) {
		m->pfn[best] = be;
		m->nr[best] -= n;
	} else if (!kho_tracker_iter_next_run(&m->its[best], &m->pfn[best],
					      &m->order[best], &m->nr[best],
					      ~0ULL)) {
		m->have[best / 64] &= ~BIT_ULL(best % 64);
	}

	b->gap_start = m->pos;
	b->gap_end = bs > m->pos ? bs : m->pos;
	if (b->ok) {
		m->pos = be;
		return true;
	}
	/* Outside the walk, or overlapping: skip what it covers. */
	if (b->gap_end > m->end_pfn)
		b->gap_end = m->end_pfn;
	if (be > m->pos)
		m->pos = be < m->end_pfn ? be : m->end_pfn;
	return true;
}
