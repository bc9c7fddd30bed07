// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the KHO preserved-memory tracker. Prints KTAP.
 *
 * Node memory is a simulated physical address space: page i of a "sim"
 * has physical address base + i * stride pages, and map() accepts exactly
 * the live pages of the sim. Block pfns used by the tests are below
 * TEST_PFN_TOP; node pages are far above it, so the two never collide.
 *
 * KHO_TEST_SEED=N in the environment fixes the seed of the random tests;
 * KHO_TEST_ONLY=name runs one test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/bits.h>
#include <linux/types.h>
#include "kexec_handover_tracker.h"

#define NR_ORDERS	11
#define SIM_BASE	BIT_ULL(47)	/* pfn 2^35 with 4 KiB pages */
#define TEST_PFN_TOP	BIT_ULL(34)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- sim */

struct sim {
	unsigned int page_shift;
	u64 base;
	u64 stride;		/* pages between consecutive sim pages */
	void **page;		/* virt of each page, NULL once freed */
	size_t nr, cap;
	long attempts;		/* alloc_page() calls */
	long live;		/* pages allocated, not freed */
	long fail_at;		/* attempt number that fails, 0: none */
	long errors;		/* bad free_page() calls */
};

static void *sim_alloc(void *ctx, u64 *phys)
{
	struct sim *s = ctx;
	size_t psz = 1UL << s->page_shift;
	void *p;

	s->attempts++;
	if (s->fail_at && s->attempts == s->fail_at)
		return NULL;
	if (s->nr == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->page = realloc(s->page, s->cap * sizeof(*s->page));
		if (!s->page)
			abort();
	}
	p = aligned_alloc(psz, psz);
	if (!p)
		abort();
	memset(p, 0, psz);
	*phys = s->base + ((u64)s->nr * s->stride << s->page_shift);
	s->page[s->nr++] = p;
	s->live++;
	return p;
}

static long sim_index(const struct sim *s, u64 phys)
{
	u64 q;

	if (phys < s->base || (phys & ((1ULL << s->page_shift) - 1)))
		return -1;
	q = (phys - s->base) >> s->page_shift;
	if (s->stride != 1) {
		if (q % s->stride)
			return -1;
		q /= s->stride;
	}
	return q < s->nr ? (long)q : -1;
}

static void *sim_map(void *ctx, u64 phys)
{
	struct sim *s = ctx;
	long i = sim_index(s, phys);

	return i < 0 ? NULL : s->page[i];
}

static void sim_free(void *ctx, void *virt, u64 phys)
{
	struct sim *s = ctx;
	long i = sim_index(s, phys);

	if (i < 0 || !virt || s->page[i] != virt) {
		s->errors++;
		return;
	}
	free(virt);
	s->page[i] = NULL;
	s->live--;
}

static void sim_init(struct sim *s, struct kho_tracker_ops *ops,
		     unsigned int page_shift, u64 stride)
{
	memset(s, 0, sizeof(*s));
	s->page_shift = page_shift;
	s->base = SIM_BASE;
	s->stride = stride;
	ops->alloc_page = sim_alloc;
	ops->free_page = sim_free;
	ops->map = sim_map;
	ops->ctx = s;
}

static void sim_fini(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		free(s->page[i]);
	free(s->page);
	s->page = NULL;
	s->nr = 0;
}

/* Copy of every live page, to undo corruptions. */
static void **sim_snapshot(const struct sim *s)
{
	size_t psz = 1UL << s->page_shift, i;
	void **snap = calloc(s->nr + 1, sizeof(*snap));

	for (i = 0; i < s->nr; i++) {
		if (!s->page[i])
			continue;
		snap[i] = malloc(psz);
		memcpy(snap[i], s->page[i], psz);
	}
	return snap;
}

/* Restore (and compare, returning the number of differing pages). */
static int sim_restore(struct sim *s, void **snap, bool drop)
{
	size_t psz = 1UL << s->page_shift, i;
	int diff = 0;

	for (i = 0; i < s->nr; i++) {
		if (!snap[i])
			continue;
		if (memcmp(s->page[i], snap[i], psz)) {
			diff++;
			memcpy(s->page[i], snap[i], psz);
		}
		if (drop)
			free(snap[i]);
	}
	if (drop)
		free(snap);
	return diff;
}

static u64 sim_phys(const struct sim *s, size_t i)
{
	return s->base + ((u64)i * s->stride << s->page_shift);
}

/* -------------------------------------------------------- test helpers */

static int test_failed;

static bool check_head(const char *func, int line, const char *cond)
{
	printf("# %s:%d: check failed: %s: ", func, line, cond);
	test_failed = 1;
	return true;
}

/* True (and the failure printed) when @cond does not hold. */
#define CHECK(cond, ...)						\
	(!(cond) && check_head(__func__, __LINE__, #cond) &&		\
	 printf(__VA_ARGS__) >= 0 && printf("\n") >= 0)

static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct blk {
	u64 pfn;
	unsigned int order;
};

struct blkset {
	struct blk *b;
	size_t nr, cap;
};

static void bs_add(struct blkset *s, u64 pfn, unsigned int order)
{
	if (s->nr == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->b = realloc(s->b, s->cap * sizeof(*s->b));
		if (!s->b)
			abort();
	}
	s->b[s->nr].pfn = pfn;
	s->b[s->nr].order = order;
	s->nr++;
}

static int blk_cmp(const void *a, const void *b)
{
	const struct blk *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	if (x->order != y->order)
		return x->order > y->order ? -1 : 1;
	return 0;
}

static void bs_sort(struct blkset *s)
{
	qsort(s->b, s->nr, sizeof(*s->b), blk_cmp);
}

static void bs_free(struct blkset *s)
{
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static void add_node_cb(void *arg, u64 phys)
{
	struct blkset *s = arg;

	bs_add(s, phys >> 12, 0);	/* fixed up by the caller's shift */
	s->b[s->nr - 1].pfn = phys;
}

/* Reference set = @client blocks + the tracker's own pages, sorted. */
static void ref_with_nodes(const struct kho_tracker *t,
			   const struct blkset *client, struct blkset *ref)
{
	size_t i, first;

	memset(ref, 0, sizeof(*ref));
	for (i = 0; i < client->nr; i++)
		bs_add(ref, client->b[i].pfn, client->b[i].order);
	first = ref->nr;
	kho_tracker_walk_nodes(t, add_node_cb, ref);
	for (i = first; i < ref->nr; i++)
		ref->b[i].pfn >>= t->page_shift;
	bs_sort(ref);
}

/* The walk over [s, e) returns exactly the blocks of @ref meeting it. */
static bool check_iter(const struct kho_tracker *t, const struct blkset *ref,
		       u64 s, u64 e)
{
	struct kho_tracker_iter it;
	unsigned int order;
	size_t i = 0;
	u64 pfn;

	kho_tracker_iter_start(&it, t, s, e);
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		if (CHECK(s < e, "[%#llx,%#llx): block %#llx/%u", s, e, pfn,
			  order))
			goto out;
		while (i < ref->nr &&
		       !(ref->b[i].pfn < e &&
			 ref->b[i].pfn + (1ULL << ref->b[i].order) > s))
			i++;
		if (CHECK(i < ref->nr, "[%#llx,%#llx): extra block %#llx/%u", s, e,
			  pfn, order))
			goto out;
		if (CHECK(ref->b[i].pfn == pfn && ref->b[i].order == order,
			  "[%#llx,%#llx): got %#llx/%u, want %#llx/%u", s, e, pfn,
			  order, ref->b[i].pfn, ref->b[i].order))
			goto out;
		i++;
	}
	for (; i < ref->nr && s < e; i++)
		if (CHECK(!(ref->b[i].pfn < e &&
			    ref->b[i].pfn + (1ULL << ref->b[i].order) > s),
			  "[%#llx,%#llx): missing %#llx/%u", s, e, ref->b[i].pfn,
			  ref->b[i].order))
			goto out;
	return true;
out:
	return false;
}

struct node_check {
	const struct kho_tracker *t;
	long nr, unset;
	u64 last;
};

static void node_check_cb(void *arg, u64 phys)
{
	struct node_check *c = arg;

	c->nr++;
	if (!kho_tracker_test(c->t, phys >> c->t->page_shift, 0))
		c->unset++;
}

/*
 * Full consistency check of an outgoing tracker: every node marked,
 * nr_nodes equals the live pages of the sim, @client blocks are set and
 * counted, and an incoming view (open) agrees and iterates exactly.
 */
static bool check_tracker(const struct kho_tracker *t, struct sim *sim,
			  const struct blkset *client)
{
	const struct kho_tracker_ops in_ops = { .map = sim_map, .ctx = sim };
	unsigned long per_order[KHO_TRACKER_MAX_ORDERS] = { 0 };
	struct node_check nc = { .t = t };
	struct blkset ref = { 0 };
	struct kho_tracker in;
	const char *why = NULL;
	unsigned int o;
	void **snap;
	size_t i;
	int ret;

	kho_tracker_walk_nodes(t, node_check_cb, &nc);
	if (CHECK(nc.unset == 0, "%ld nodes not marked", nc.unset))
		goto out;
	if (CHECK(nc.nr == (long)t->nr_nodes, "walk %ld nodes, nr_nodes %lu",
		  nc.nr, t->nr_nodes))
		goto out;
	if (CHECK((long)t->nr_nodes == sim->live, "nr_nodes %lu, live pages %ld",
		  t->nr_nodes, sim->live))
		goto out;
	for (i = 0; i < client->nr; i++) {
		if (CHECK(kho_tracker_test(t, client->b[i].pfn, client->b[i].order),
			  "block %#llx/%u not set", client->b[i].pfn,
			  client->b[i].order))
			goto out;
		per_order[client->b[i].order]++;
	}
	for (o = 0; o < KHO_TRACKER_MAX_ORDERS; o++)
		if (CHECK(t->nr_blocks[o] == per_order[o], "order %u: %lu != %lu",
			  o, t->nr_blocks[o], per_order[o]))
			goto out;

	snap = sim_snapshot(sim);
	ret = kho_tracker_open(&in, &in_ops, t->hdr_phys, t->page_shift,
			       KHO_TRACKER_MAX_ORDERS, &why);
	i = sim_restore(sim, snap, true);
	if (CHECK(ret == 0, "open: %d (%s)", ret, why))
		goto out;
	if (CHECK(i == 0, "open changed %zu pages", i))
		goto out;
	if (CHECK(in.nr_nodes == t->nr_nodes, "incoming nr_nodes %lu != %lu",
		  in.nr_nodes, t->nr_nodes))
		goto out;
	for (o = 0; o < KHO_TRACKER_MAX_ORDERS; o++)
		if (CHECK(in.nr_blocks[o] == per_order[o],
			  "incoming order %u: %lu != %lu", o, in.nr_blocks[o],
			  per_order[o]))
			goto out;

	ref_with_nodes(t, client, &ref);
	if (!check_iter(t, &ref, 0, ~0ULL) || !check_iter(&in, &ref, 0, ~0ULL))
		goto out;
	kho_tracker_destroy(&in);
	bs_free(&ref);
	return true;
out:
	bs_free(&ref);
	return false;
}

/* -------------------------------------------------------------- tests */

static bool test_init(void)
{
	struct kho_tracker_ops ops;
	struct kho_tracker t;
	struct sim sim;
	unsigned int ps;

	sim_init(&sim, &ops, 12, 1);
	if (CHECK(kho_tracker_init(&t, &ops, 12, 0) == -EINVAL, "0 orders"))
		goto out;
	if (CHECK(kho_tracker_init(&t, &ops, 12, KHO_TRACKER_MAX_ORDERS + 1) ==
		  -EINVAL, "too many orders"))
		goto out;
	if (CHECK(kho_tracker_init(&t, &ops, 8, 4) == -EINVAL, "page shift 8"))
		goto out;
	if (CHECK(kho_tracker_init(&t, &ops, 21, 4) == -EINVAL, "page shift 21"))
		goto out;
	if (CHECK(sim.live == 0, "leak after bad init"))
		goto out;
	sim_fini(&sim);

	for (ps = 10; ps <= 20; ps++) {
		unsigned int lb = ps + 3, fb = ps - 3, lv;

		sim_init(&sim, &ops, ps, 1);
		if (CHECK(kho_tracker_init(&t, &ops, ps, KHO_TRACKER_MAX_ORDERS) ==
			  0, "init page shift %u", ps))
			goto out;
		lv = t.hdr->levels;
		if (CHECK(t.hdr->magic == KHO_TRACKER_MAGIC &&
			  t.hdr->version == KHO_TRACKER_VERSION &&
			  t.hdr->page_shift == ps &&
			  t.hdr->nr_orders == KHO_TRACKER_MAX_ORDERS, "header"))
			goto out;
		/* Enough levels for 52 bits, and not one more. */
		if (CHECK(lv >= 1 && lb + lv * fb >= KHO_TRACKER_PHYS_BITS - ps &&
			  (lv == 1 || lb + (lv - 1) * fb < KHO_TRACKER_PHYS_BITS - ps),
			  "page shift %u: %u levels", ps, lv))
			goto out;
		if (CHECK(ps != 12 || lv == 3, "4K pages: %u levels", lv))
			goto out;
		if (CHECK(t.nr_nodes == (unsigned long)sim.live &&
			  t.nr_nodes == lv + 2,
			  "empty tracker: %lu nodes, %ld pages", t.nr_nodes,
			  sim.live))
			goto out;
		if (CHECK(kho_tracker_test(&t, t.hdr_phys >> ps, 0),
			  "header not marked"))
			goto out;
		if (CHECK(t.nr_blocks[0] == 0, "self counted"))
			goto out;
		kho_tracker_destroy(&t);
		if (CHECK(sim.live == 0 && sim.errors == 0, "destroy: %ld left",
			  sim.live))
			goto out;
		sim_fini(&sim);
	}
	return true;
out:
	sim_fini(&sim);
	return false;
}

static bool test_set_clear(void)
{
	struct kho_tracker_ops ops;
	struct blk one_blk;
	struct blkset none = { 0 }, one = { &one_blk, 1, 1 };
	struct kho_tracker t;
	unsigned int o, o2, k;
	struct sim sim;
	u64 lim = 1ULL << (KHO_TRACKER_PHYS_BITS - 12);

	sim_init(&sim, &ops, 12, 1);
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	for (o = 0; o < NR_ORDERS; o++) {
		u64 pfns[] = { 0, 1ULL << o, 0x12345ULL << o, 1ULL << 32,
			       lim - (1ULL << o) };

		for (k = 0; k < ARRAY_SIZE(pfns); k++) {
			u64 p = pfns[k];

			if (CHECK(!kho_tracker_test(&t, p, o), "%#llx/%u early",
				  p, o))
				goto out;
			if (CHECK(kho_tracker_set(&t, p, o) == 0, "set %#llx/%u",
				  p, o))
				goto out;
			if (CHECK(kho_tracker_test(&t, p, o), "test %#llx/%u", p, o))
				goto out;
			for (o2 = 0; o2 < NR_ORDERS; o2++)
				if (CHECK(o2 == o || !kho_tracker_test(&t, p, o2),
					  "%#llx set at order %u too", p, o2))
					goto out;
			if (CHECK(t.nr_blocks[o] == 1, "count"))
				goto out;
			if (CHECK(kho_tracker_set(&t, p, o) == -EEXIST, "EEXIST"))
				goto out;
			one_blk.pfn = p;
			one_blk.order = o;
			if (CHECK(check_tracker(&t, &sim, &one), "consistency"))
				goto out;
			if (CHECK(kho_tracker_clear(&t, p, o) == 0, "clear"))
				goto out;
			if (CHECK(!kho_tracker_test(&t, p, o), "still set"))
				goto out;
			if (CHECK(kho_tracker_clear(&t, p, o) == -ENOENT, "ENOENT"))
				goto out;
			if (CHECK(t.nr_blocks[o] == 0, "count after clear"))
				goto out;
		}
		if (o) {
			if (CHECK(kho_tracker_set(&t, 1, o) == -EINVAL, "misaligned"))
				goto out;
			if (CHECK(kho_tracker_clear(&t, 1ULL << (o - 1), o) ==
				  -EINVAL, "misaligned clear"))
				goto out;
			if (CHECK(!kho_tracker_test(&t, 1, o), "misaligned test"))
				goto out;
		}
		if (CHECK(kho_tracker_set(&t, lim, o) == -ERANGE, "ERANGE"))
			goto out;
		if (CHECK(kho_tracker_set(&t, ~0ULL << o, o) == -ERANGE, "ERANGE ~0"))
			goto out;
		if (CHECK(kho_tracker_clear(&t, lim, o) == -ERANGE, "ERANGE clear"))
			goto out;
		if (CHECK(!kho_tracker_test(&t, lim, o), "test beyond range"))
			goto out;
	}
	if (CHECK(kho_tracker_set(&t, 0, NR_ORDERS) == -EINVAL, "bad order"))
		goto out;
	if (CHECK(kho_tracker_set(&t, 0, 100) == -EINVAL, "bad order 100"))
		goto out;
	if (CHECK(kho_tracker_clear(&t, 0, NR_ORDERS) == -EINVAL, "bad order"))
		goto out;
	if (CHECK(!kho_tracker_test(&t, 0, NR_ORDERS), "bad order test"))
		goto out;
	/* A node page is set: preserving it again is refused. */
	if (CHECK(kho_tracker_set(&t, t.hdr_phys >> 12, 0) == -EEXIST, "header"))
		goto out;
	if (CHECK(check_tracker(&t, &sim, &none), "consistency"))
		goto out;
	kho_tracker_destroy(&t);
	if (CHECK(sim.live == 0 && sim.errors == 0, "destroy"))
		goto out;
	sim_fini(&sim);
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	return false;
}

/* Random blocks: clusters (dense leaves) and far-flung ones. */
static void random_block(u64 *pfn, unsigned int *order)
{
	static const u64 clusters[] = { 0, 0x40000, 0x7ff8000, 0x123400000ULL };
	unsigned int o = rnd() % 4 ? 0 : rnd() % NR_ORDERS;
	u64 p;

	if (rnd() % 8)
		p = clusters[rnd() % 4] + rnd() % (1 << 17);
	else
		p = rnd() % TEST_PFN_TOP;
	*pfn = p & ~((1ULL << o) - 1);
	*order = o;
}

static bool test_self_tracking(void)
{
	struct kho_tracker_ops ops;
	struct blkset set = { 0 };
	struct kho_tracker t;
	unsigned int order;
	struct sim sim;
	u64 stride, pfn;
	int i, ret;

	for (stride = 1; stride <= 4096; stride *= 64) {
		sim_init(&sim, &ops, 12, stride);
		if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0,
			  "init stride %llu", stride))
			goto out;
		for (i = 0; i < 20000; i++) {
			random_block(&pfn, &order);
			ret = kho_tracker_set(&t, pfn, order);
			if (CHECK(ret == 0 || ret == -EEXIST, "set: %d", ret))
				goto out;
			if (!ret)
				bs_add(&set, pfn, order);
		}
		printf("# stride %llu: %zu blocks, %lu nodes\n", stride,
		       set.nr, t.nr_nodes);
		if (CHECK(check_tracker(&t, &sim, &set), "stride %llu", stride))
			goto out;
		kho_tracker_destroy(&t);
		if (CHECK(sim.live == 0 && sim.errors == 0, "destroy"))
			goto out;
		sim_fini(&sim);
		bs_free(&set);
	}
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	bs_free(&set);
	return false;
}

/*
 * An allocator that places each page in its own leaf span: marking a page
 * always needs a new leaf, which needs marking... The tracker must give
 * up with -ENOMEM and leave nothing behind.
 */
static bool test_adversarial_alloc(void)
{
	struct kho_tracker_ops ops;
	struct kho_tracker t;
	struct sim sim;

	sim_init(&sim, &ops, 12, 1ULL << 15);
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == -ENOMEM, "init"))
		goto out;
	if (CHECK(sim.live == 0 && sim.errors == 0, "leak: %ld", sim.live))
		goto out;
	sim_fini(&sim);
	return true;
out:
	sim_fini(&sim);
	return false;
}

static bool test_alloc_failure(void)
{
	struct kho_tracker_ops ops;
	struct blkset set = { 0 };
	struct kho_tracker t;
	long n, fails_seen = 0;
	unsigned int order;
	bool failed;
	struct sim sim;
	u64 pfn;
	int i, ret;

	for (n = 1; n < 2000; n++) {
		sim_init(&sim, &ops, 12, 97);
		sim.fail_at = n;
		rng_state = 42;
		ret = kho_tracker_init(&t, &ops, 12, NR_ORDERS);
		if (ret) {
			if (CHECK(ret == -ENOMEM, "init: %d", ret))
				goto out;
			if (CHECK(sim.live == 0 && sim.errors == 0, "init leak"))
				goto out;
			sim_fini(&sim);
			fails_seen++;
			continue;
		}
		failed = false;
		for (i = 0; i < 300; i++) {
			random_block(&pfn, &order);
			ret = kho_tracker_set(&t, pfn, order);
			if (ret == -ENOMEM && !failed) {
				failed = true;
				fails_seen++;
				if (CHECK(!kho_tracker_test(&t, pfn, order),
					  "N=%ld: failed block set", n))
					goto out;
				if (CHECK(check_tracker(&t, &sim, &set),
					  "N=%ld: after failure", n))
					goto out;
				/* Allocation works again: retry. */
				ret = kho_tracker_set(&t, pfn, order);
			}
			if (CHECK(ret == 0 || ret == -EEXIST, "N=%ld: set %d", n,
				  ret))
				goto out;
			if (!ret)
				bs_add(&set, pfn, order);
		}
		if (CHECK(check_tracker(&t, &sim, &set), "N=%ld: end", n))
			goto out;
		kho_tracker_destroy(&t);
		if (CHECK(sim.live == 0 && sim.errors == 0, "N=%ld: leak %ld", n,
			  sim.live))
			goto out;
		sim_fini(&sim);
		bs_free(&set);
		if (!failed)
			break;
	}
	printf("# %ld allocation failures injected, all recovered\n",
	       fails_seen);
	if (CHECK(fails_seen > 20, "too few failures exercised"))
		goto out;
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	bs_free(&set);
	return false;
}

static bool roundtrip(unsigned int ps, int nr, int nr_ranges)
{
	struct kho_tracker_ops ops;
	struct kho_tracker_ops in_ops = { .map = sim_map };
	struct blkset set = { 0 }, ref = { 0 };
	struct kho_tracker t, in;
	const char *why = NULL;
	unsigned int order;
	struct sim sim;
	u64 pfn, s, e;
	int i, ret;

	sim_init(&sim, &ops, ps, 1);
	in_ops.ctx = &sim;
	memset(&in, 0, sizeof(in));
	if (CHECK(kho_tracker_init(&t, &ops, ps, NR_ORDERS) == 0, "init"))
		goto out;
	for (i = 0; i < nr; i++) {
		random_block(&pfn, &order);
		if (pfn >= 1ULL << (KHO_TRACKER_PHYS_BITS - ps))
			continue;
		ret = kho_tracker_set(&t, pfn, order);
		if (CHECK(ret == 0 || ret == -EEXIST, "set: %d", ret))
			goto out;
		if (!ret)
			bs_add(&set, pfn, order);
	}
	/* Clear a tenth again. */
	for (i = set.nr - 1; i >= 0; i -= 10) {
		if (CHECK(kho_tracker_clear(&t, set.b[i].pfn, set.b[i].order) == 0,
			  "clear"))
			goto out;
		set.b[i] = set.b[--set.nr];
	}
	if (CHECK(check_tracker(&t, &sim, &set), "page shift %u", ps))
		goto out;
	ret = kho_tracker_open(&in, &in_ops, t.hdr_phys, ps, NR_ORDERS, &why);
	if (CHECK(ret == 0, "open: %s", why))
		goto out;
	ref_with_nodes(&t, &set, &ref);
	printf("# page shift %u: %zu blocks, %lu nodes\n", ps, set.nr,
	       in.nr_nodes);
	for (i = 0; i < nr_ranges; i++) {
		switch (rnd() % 4) {
		case 0:	/* around a block */
			s = ref.b[rnd() % ref.nr].pfn + rnd() % 3 - 1;
			e = s + rnd() % 4096;
			break;
		case 1:	/* small */
			s = rnd() % TEST_PFN_TOP;
			e = s + rnd() % (1 << 20);
			break;
		case 2:	/* the tracker's own pages */
			s = (SIM_BASE >> ps) + rnd() % 64;
			e = s + rnd() % 64;
			break;
		default:
			s = rnd() % TEST_PFN_TOP;
			e = rnd() % 2 ? ~0ULL : s + rnd() % TEST_PFN_TOP;
			break;
		}
		if (CHECK(check_iter(&in, &ref, s, e), "range %d", i))
			goto out;
	}
	if (CHECK(check_iter(&in, &ref, 5, 5), "empty"))
		goto out;
	if (CHECK(check_iter(&in, &ref, 9, 3), "reversed"))
		goto out;
	kho_tracker_destroy(&in);
	if (CHECK(sim.live == (long)t.nr_nodes, "incoming destroy freed pages"))
		goto out;
	kho_tracker_destroy(&t);
	if (CHECK(sim.live == 0 && sim.errors == 0, "destroy"))
		goto out;
	sim_fini(&sim);
	bs_free(&set);
	bs_free(&ref);
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	bs_free(&set);
	bs_free(&ref);
	return false;
}

static bool test_roundtrip(void)
{
	return roundtrip(12, 50000, 3000);
}

static bool test_roundtrip_page_sizes(void)
{
	return roundtrip(10, 5000, 300) && roundtrip(14, 5000, 300) &&
	       roundtrip(16, 5000, 300);
}

static bool test_iter_ties(void)
{
	static const struct blk want[] = {
		{ 0, 10 }, { 0, 3 }, { 0, 0 }, { 1, 0 }, { 8, 3 },
	};
	struct kho_tracker_ops ops;
	struct kho_tracker_iter it;
	struct blkset set = { 0 }, ref = { 0 };
	struct kho_tracker t;
	unsigned int order, i;
	struct sim sim;
	u64 pfn;

	sim_init(&sim, &ops, 12, 1);
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	for (i = 0; i < 5; i++) {
		if (CHECK(kho_tracker_set(&t, want[4 - i].pfn, want[4 - i].order) ==
			  0, "set"))
			goto out;
		bs_add(&set, want[4 - i].pfn, want[4 - i].order);
	}
	kho_tracker_iter_start(&it, &t, 0, 1024);
	for (i = 0; i < 5; i++) {
		if (CHECK(kho_tracker_iter_next(&it, &pfn, &order), "short"))
			goto out;
		if (CHECK(pfn == want[i].pfn && order == want[i].order,
			  "%u: %#llx/%u", i, pfn, order))
			goto out;
	}
	if (CHECK(!kho_tracker_iter_next(&it, &pfn, &order), "long"))
		goto out;
	/* [5, 6) meets the order-10 and the order-3 block at 0. */
	kho_tracker_iter_start(&it, &t, 5, 6);
	if (CHECK(kho_tracker_iter_next(&it, &pfn, &order) && order == 10, "10"))
		goto out;
	if (CHECK(kho_tracker_iter_next(&it, &pfn, &order) && order == 3, "3"))
		goto out;
	if (CHECK(!kho_tracker_iter_next(&it, &pfn, &order), "end"))
		goto out;
	ref_with_nodes(&t, &set, &ref);
	for (pfn = 0; pfn < 20; pfn++)
		for (i = pfn; i < 20; i++)
			if (CHECK(check_iter(&t, &ref, pfn, i), "range"))
				goto out;
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	bs_free(&set);
	bs_free(&ref);
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	bs_free(&set);
	bs_free(&ref);
	return false;
}

/* ---------------------------------------------------------- corruption */

struct corrupt_ctx {
	struct sim sim;
	struct kho_tracker t;
	struct kho_tracker_ops ops, in_ops;
	u64 inner2, inner1, leaf0;	/* order-0 path of block 0 */
	u64 leaf9;			/* order-9 leaf of block 512 */
};

static u64 *cc_virt(struct corrupt_ctx *c, u64 phys)
{
	return sim_map(&c->sim, phys);
}

static int cc_open(struct corrupt_ctx *c, u64 hdr_phys, unsigned int ps,
		   unsigned int max_orders, const char **why)
{
	struct kho_tracker in;
	int ret;

	*why = NULL;
	ret = kho_tracker_open(&in, &c->in_ops, hdr_phys, ps, max_orders, why);
	if (!ret)
		kho_tracker_destroy(&in);
	return ret;
}

static int cc_setup(struct corrupt_ctx *c, unsigned int nr_orders)
{
	u64 *n;

	sim_init(&c->sim, &c->ops, 12, 1);
	c->in_ops.map = sim_map;
	c->in_ops.ctx = &c->sim;
	if (kho_tracker_init(&c->t, &c->ops, 12, nr_orders) ||
	    kho_tracker_set(&c->t, 0, 0) ||
	    kho_tracker_set(&c->t, 0x1000000, 0) ||
	    kho_tracker_set(&c->t, 512, 9))
		return -1;
	n = cc_virt(c, c->t.hdr->root[0]);
	c->inner2 = n[0];
	n = cc_virt(c, n[0]);
	c->inner1 = n[0];
	c->leaf0 = cc_virt(c, n[0])[0];
	n = cc_virt(c, c->t.hdr->root[9]);
	n = cc_virt(c, n[0]);
	c->leaf9 = cc_virt(c, n[0])[0];
	return 0;
}

enum {
	C_MAGIC, C_VERSION, C_PAGE_SHIFT, C_OUR_PAGE_SHIFT, C_NR_ORDERS_0,
	C_NR_ORDERS_BIG, C_NR_ORDERS_MAX, C_LEVELS, C_ROOT_UNALIGNED,
	C_ROOT_UNMAPPED, C_ROOT_FFFF, C_ROOT_BEYOND, C_CHILD_UNMAPPED,
	C_CHILD_UNALIGNED, C_CHILD_HUGE, C_CYCLE_SELF, C_CYCLE_PARENT,
	C_CYCLE_ROOT, C_SHARED, C_CHILD_IS_HEADER, C_LEAF_AS_INNER,
	C_NOT_MARKED, C_HDR_NOT_MARKED, C_CHILD_BEYOND, C_BIT_BEYOND,
	C_HDR_UNALIGNED, C_HDR_UNMAPPED, C_HDR_ZERO, C_NR_CASES
};

static const char *const corruption_name[C_NR_CASES] = {
	"magic", "version", "page_shift", "our page_shift", "nr_orders 0",
	"nr_orders 33", "nr_orders > max_orders", "levels", "root unaligned",
	"root unmapped", "root 0xffff...", "root beyond nr_orders",
	"child unmapped", "child unaligned", "child 0xffff...",
	"child is itself (cycle)", "child is its parent (cycle)",
	"child is the root (cycle)", "child linked twice",
	"child is the header", "leaf linked as interior node",
	"node not marked", "header not marked", "child beyond 52 bits",
	"bit beyond 52 bits", "header unaligned", "header unmapped",
	"header 0",
};

/* What open() must say about each. */
static const char *const corruption_why[C_NR_CASES] = {
	"bad magic", "unsupported version", "page size differs",
	"page size differs", "bad number of orders", "bad number of orders",
	"bad number of orders", "bad levels", "misaligned node",
	"node outside memory", "misaligned node",
	"root beyond number of orders", "node outside memory",
	"misaligned node", "node beyond address space", "node linked twice",
	"node linked twice", "node linked twice", "node linked twice",
	"node linked twice", "misaligned node", "node not preserved",
	"node not preserved", "subtree beyond address space",
	"block beyond address space", "misaligned header",
	"header outside memory", "no header",
};

/* Apply corruption @k; returns the header address and geometry to use. */
static void corrupt(struct corrupt_ctx *c, unsigned int k, u64 *at,
		    unsigned int *ps, unsigned int *max_orders)
{
	struct kho_tracker_hdr *hdr = c->t.hdr;
	u64 *n, pfn;

	switch (k) {
	case C_MAGIC:
		hdr->magic ^= 1ULL << 40;
		break;
	case C_VERSION:
		hdr->version = 2;
		break;
	case C_PAGE_SHIFT:
		hdr->page_shift = 14;
		break;
	case C_OUR_PAGE_SHIFT:
		*ps = 16;
		break;
	case C_NR_ORDERS_0:
		hdr->nr_orders = 0;
		break;
	case C_NR_ORDERS_BIG:
		hdr->nr_orders = 33;
		break;
	case C_NR_ORDERS_MAX:
		*max_orders = KHO_TRACKER_MAX_ORDERS - 1;
		break;
	case C_LEVELS:
		hdr->levels = 2;
		break;
	case C_ROOT_UNALIGNED:
		hdr->root[9] += 8;
		break;
	case C_ROOT_UNMAPPED:
		hdr->root[9] = SIM_BASE - 4096;
		break;
	case C_ROOT_FFFF:
		hdr->root[0] = ~0ULL;
		break;
	case C_ROOT_BEYOND:
		hdr->nr_orders = NR_ORDERS;	/* roots up to 31 are set */
		break;
	case C_CHILD_UNMAPPED:
		cc_virt(c, c->inner1)[5] = sim_phys(&c->sim, 100000);
		break;
	case C_CHILD_UNALIGNED:
		cc_virt(c, c->inner1)[0] += 1;
		break;
	case C_CHILD_HUGE:
		cc_virt(c, c->inner2)[9] = ~0ULL << 12;
		break;
	case C_CYCLE_SELF:
		cc_virt(c, c->inner1)[7] = c->inner1;
		break;
	case C_CYCLE_PARENT:
		cc_virt(c, c->inner1)[7] = c->inner2;
		break;
	case C_CYCLE_ROOT:
		cc_virt(c, c->inner2)[7] = hdr->root[0];
		break;
	case C_SHARED:
		cc_virt(c, c->inner1)[7] = c->leaf0;
		break;
	case C_CHILD_IS_HEADER:
		cc_virt(c, c->inner1)[7] = c->t.hdr_phys;
		break;
	case C_LEAF_AS_INNER:
		cc_virt(c, c->inner2)[3] = c->leaf9;
		break;
	case C_NOT_MARKED:
		pfn = c->leaf9 >> 12;
		kho_tracker_clear(&c->t, pfn, 0);
		c->t.nr_blocks[0]++;
		break;
	case C_HDR_NOT_MARKED:
		kho_tracker_clear(&c->t, c->t.hdr_phys >> 12, 0);
		c->t.nr_blocks[0]++;
		break;
	case C_CHILD_BEYOND:
		/* order 9 has 2^31 blocks; top slot 1 starts at 2^33 */
		n = cc_virt(c, hdr->root[9]);
		n[1] = n[0];
		break;
	case C_BIT_BEYOND:
		/* order 31 has 2^9 blocks, set bit 2^9 of its leaf */
		n = cc_virt(c, hdr->root[31]);
		n = cc_virt(c, cc_virt(c, n[0])[0]);
		cc_virt(c, n[0])[512 / 64] |= 1;
		break;
	case C_HDR_UNALIGNED:
		*at += 64;
		break;
	case C_HDR_UNMAPPED:
		*at = SIM_BASE - 4096;
		break;
	case C_HDR_ZERO:
		*at = 0;
		break;
	}
}

static bool test_corruption(void)
{
	struct corrupt_ctx *c = calloc(1, sizeof(*c));
	void **pre = NULL, **post = NULL;
	unsigned int k, ps, max;
	struct kho_tracker in;
	int ret, diff, changed = 0;
	const char *why;
	u64 at;

	for (k = 0; k < C_NR_CASES; k++) {
		if (CHECK(cc_setup(c, KHO_TRACKER_MAX_ORDERS) == 0, "setup"))
			goto out;
		if (CHECK(kho_tracker_set(&c->t, 0, 31) == 0, "set order 31"))
			goto out;
		if (CHECK(cc_open(c, c->t.hdr_phys, 12, 32, &why) == 0,
			  "pristine: %s", why))
			goto out;
		at = c->t.hdr_phys;
		ps = 12;
		max = KHO_TRACKER_MAX_ORDERS;
		pre = sim_snapshot(&c->sim);
		corrupt(c, k, &at, &ps, &max);
		post = sim_snapshot(&c->sim);
		why = NULL;
		ret = kho_tracker_open(&in, &c->in_ops, at, ps, max, &why);
		/* Pages open() changed and did not restore. */
		diff = sim_restore(&c->sim, post, true);
		post = NULL;
		changed += !!diff;
		printf("# %-30s -> %d '%s'\n", corruption_name[k], ret,
		       why ? why : "(none)");
		if (diff)
			printf("# %s: self bits not restored\n", corruption_name[k]);
		if (CHECK(ret == -EINVAL && why, "%s: open returned %d",
			  corruption_name[k], ret))
			goto out;
		if (CHECK(!strcmp(why, corruption_why[k]), "%s: want '%s'",
			  corruption_name[k], corruption_why[k]))
			goto out;
		sim_restore(&c->sim, pre, true);
		pre = NULL;
		if (k == C_NOT_MARKED || k == C_HDR_NOT_MARKED)
			c->t.nr_blocks[0]--;
		if (CHECK(cc_open(c, c->t.hdr_phys, 12, 32, &why) == 0,
			  "%s: undone: %s", corruption_name[k], why))
			goto out;
		kho_tracker_destroy(&c->t);
		if (CHECK(c->sim.live == 0 && c->sim.errors == 0, "destroy"))
			goto out;
		sim_fini(&c->sim);
	}
	/* Failed opens set the self bits they cleared again. */
	if (CHECK(changed == 0, "%d cases left pages changed", changed))
		goto out;
	free(c);
	return true;
out:
	if (pre)
		sim_restore(&c->sim, pre, true);
	if (post)
		sim_restore(&c->sim, post, true);
	sim_fini(&c->sim);
	free(c);
	return false;
}

/*
 * Random corruption of node pages: open() must accept or refuse without
 * crashing, and an accepted tracker must iterate to the end.
 */
static bool test_fuzz(void)
{
	struct corrupt_ctx *c = calloc(1, sizeof(*c));
	struct kho_tracker_iter it;
	long accepted = 0, refused = 0;
	struct kho_tracker in;
	unsigned int order;
	const char *why;
	void **pre = NULL;
	int i, j, ret;
	u64 pfn, *w;
	long steps;
	size_t pg;

	if (CHECK(cc_setup(c, NR_ORDERS) == 0, "setup"))
		goto out;
	for (i = 0; i < 2000; i++) {
		kho_tracker_set(&c->t, (rnd() % (1 << 22)) << (i % 3 * 4),
				i % 3 * 4);
	}
	pre = sim_snapshot(&c->sim);
	for (i = 0; i < 3000; i++) {
		for (j = 0; j <= (int)(rnd() % 3); j++) {
			pg = rnd() % c->sim.nr;
			w = (u64 *)c->sim.page[pg] + rnd() % 512;
			switch (rnd() % 6) {
			case 0:
				*w ^= 1ULL << (rnd() % 64);
				break;
			case 1:
				*w = sim_phys(&c->sim, rnd() % c->sim.nr);
				break;
			case 2:
				*w = sim_phys(&c->sim, rnd() % c->sim.nr) +
				     rnd() % 4096;
				break;
			case 3:
				*w = 0;
				break;
			case 4:
				*w = rnd();
				break;
			default:
				*w = c->t.hdr_phys;
				break;
			}
		}
		ret = kho_tracker_open(&in, &c->in_ops, c->t.hdr_phys, 12,
				       NR_ORDERS, &why);
		if (CHECK(ret == 0 || (ret == -EINVAL && why), "open: %d", ret))
			goto out;
		if (!ret) {
			accepted++;
			steps = 0;
			kho_tracker_iter_start(&it, &in, 0, ~0ULL);
			while (kho_tracker_iter_next(&it, &pfn, &order))
				if (CHECK(++steps < 100000000, "endless walk"))
					goto out;
			kho_tracker_destroy(&in);
		} else {
			refused++;
		}
		sim_restore(&c->sim, pre, false);
	}
	printf("# fuzz: %ld accepted, %ld refused\n", accepted, refused);
	sim_restore(&c->sim, pre, true);
	pre = NULL;
	kho_tracker_destroy(&c->t);
	if (CHECK(c->sim.live == 0 && c->sim.errors == 0, "destroy"))
		goto out;
	sim_fini(&c->sim);
	free(c);
	return true;
out:
	if (pre)
		sim_restore(&c->sim, pre, true);
	sim_fini(&c->sim);
	free(c);
	return false;
}

/* ------------------------------------------------------- merged walks */

#define MW_TRACKERS	3
#define MW_SPAN		BIT_ULL(16)	/* pfns of the area the blocks are in */

/* Does another block cover a page of this one: @any counts blocks. */
static bool overlaps(const unsigned char *any, u64 pfn, unsigned int order)
{
	u64 p;

	for (p = pfn; p < pfn + (1ULL << order); p++)
		if (any[p] > 1)
			return true;
	return false;
}

/*
 * Three trackers with random blocks, some of them overlapping blocks of
 * another tracker; a merged walk over a random part of the area must give
 * every block intersecting it once, in address order (lower tracker first
 * on a tie), flag the ones outside or overlapping, and give every other
 * page of the part exactly once as a gap.
 */
static bool test_merge_walk(void)
{
	struct kho_tracker t[MW_TRACKERS];
	const struct kho_tracker *tp[MW_TRACKERS];
	struct kho_tracker_iter its[MW_TRACKERS];
	u64 mpfn[MW_TRACKERS], mnr[MW_TRACKERS];
	unsigned int morder[MW_TRACKERS];
	struct kho_tracker_merge m = { .its = its, .pfn = mpfn, .nr = mnr,
				       .order = morder };
	struct kho_tracker_merged b;
	struct kho_tracker_ops ops;
	struct blkset ref = { 0 };
	unsigned char *seen = NULL, *any = NULL;
	unsigned int k, round, order, runs = 0, total_runs = 0;
	u64 pfn, s, e, p, last, nr_ref;
	struct sim sim;
	bool ok = false;
	size_t i;

	sim_init(&sim, &ops, 12, 1);
	for (k = 0; k < MW_TRACKERS; k++) {
		if (CHECK(kho_tracker_init(&t[k], &ops, 12, NR_ORDERS) == 0,
			  "init"))
			goto out;
		tp[k] = &t[k];
	}
	seen = calloc(MW_SPAN, 1);
	any = calloc(MW_SPAN, 1);
	if (!seen || !any)
		abort();
	for (i = 0; i < 3000; i++) {
		k = rnd() % MW_TRACKERS;
		order = rnd() % 7 ? 0 : rnd() % 6;
		pfn = (rnd() % MW_SPAN) & ~((1ULL << order) - 1);
		if (kho_tracker_set(&t[k], pfn, order) == 0 && rnd() % 8 == 0)
			kho_tracker_clear(&t[k], pfn, order);
	}
	for (k = 0; k < MW_TRACKERS; k++) {
		kho_tracker_iter_start(&its[0], &t[k], 0, MW_SPAN);
		while (kho_tracker_iter_next(&its[0], &pfn, &order))
			for (p = pfn; p < pfn + (1ULL << order); p++)
				any[p]++;
	}

	for (round = 0; round < 40; round++) {
		s = rnd() % MW_SPAN;
		e = s + rnd() % (MW_SPAN - s + 1);
		/* Reference: each tracker's blocks intersecting [s, e). */
		ref.nr = 0;
		for (k = 0; k < MW_TRACKERS; k++) {
			kho_tracker_iter_start(&its[0], &t[k], s, e);
			while (kho_tracker_iter_next(&its[0], &pfn, &order))
				bs_add(&ref, pfn, order | k << 8);
		}
		memset(seen, 0, MW_SPAN);
		nr_ref = 0;
		last = s;
		kho_tracker_merge_start(&m, tp, MW_TRACKERS, s, e);
		while (kho_tracker_merge_next(&m, &b)) {
			/* In address order over all trackers, runs set. */
			for (i = 0; i < b.nr; i++) {
				p = b.pfn + (i << b.order);
				if (CHECK(p >= (nr_ref ? last : 0) &&
					  b.owner < MW_TRACKERS &&
					  kho_tracker_test(&t[b.owner], p,
							   b.order),
					  "block %#llx/%u of %u", p, b.order,
					  b.owner))
					goto out;
				last = p;
				nr_ref++;
			}
			if (CHECK(b.nr && (b.ok || b.nr == 1), "run of %llu",
				  (unsigned long long)b.nr))
				goto out;
			runs += b.nr > 1;
			/* Refused only when outside [s, e) or overlapping. */
			if (CHECK(b.ok || b.pfn < s ||
				  b.pfn + (1ULL << b.order) > e ||
				  overlaps(any, b.pfn, b.order),
				  "block %#llx/%u refused", b.pfn, b.order))
				goto out;
			for (p = b.gap_start; p < b.gap_end; p++) {
				if (CHECK(!any[p] && !seen[p - s]++,
					  "gap page %#llx", p))
					goto out;
			}
			if (!b.ok)
				continue;
			for (p = b.pfn; p < b.pfn + (b.nr << b.order); p++) {
				if (CHECK(!seen[p - s]++, "block page %#llx",
					  p))
					goto out;
			}
		}
		for (p = b.gap_start; p < b.gap_end; p++) {
			if (CHECK(!any[p] && !seen[p - s]++, "tail %#llx", p))
				goto out;
		}
		if (CHECK(nr_ref == ref.nr, "%llu blocks, %zu expected",
			  nr_ref, ref.nr))
			goto out;
		total_runs += runs;
		runs = 0;
		/* Every page of [s, e) outside all blocks came as a gap. */
		for (p = s; p < e; p++) {
			if (CHECK(any[p] || seen[p - s], "page %#llx lost", p))
				goto out;
		}
	}
	/* Adjacent blocks of one order came as runs. */
	ok = !CHECK(total_runs > 0, "no run of several blocks");
out:
	for (k = 0; k < MW_TRACKERS; k++)
		kho_tracker_destroy(&t[k]);
	bs_free(&ref);
	free(seen);
	free(any);
	sim_fini(&sim);
	return ok;
}

/* -------------------------------------------------- metadata and timing */

static bool test_metadata(void)
{
	const unsigned long gib_pages = 1UL << 18;	/* 4 KiB pages */
	const unsigned long psz = 4096;
	unsigned long before, one, one_total, sixteen, o9;
	struct kho_tracker_ops ops;
	struct kho_tracker t;
	struct sim sim;
	u64 pfn, base = 5 * gib_pages;

	sim_init(&sim, &ops, 12, 1);
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	before = t.nr_nodes;
	for (pfn = base; pfn < base + gib_pages; pfn++)
		if (CHECK(kho_tracker_set(&t, pfn, 0) == 0, "set"))
			goto out;
	one = (t.nr_nodes - before) * psz;
	one_total = t.nr_nodes * psz;
	for (; pfn < base + 16 * gib_pages; pfn++)
		if (CHECK(kho_tracker_set(&t, pfn, 0) == 0, "set"))
			goto out;
	sixteen = (t.nr_nodes - before) * psz;
	printf("# order 0: 1 GiB adds %lu bytes (whole tracker %lu bytes); ",
	       one, one_total);
	printf("16 GiB add %lu bytes = %lu bytes/GiB\n", sixteen, sixteen / 16);
	/* The bitmap (32 KiB/GiB) plus at most one node per level. */
	if (CHECK(one <= 32 * 1024 + t.levels * psz, "1 GiB: %lu bytes", one))
		goto out;
	if (CHECK(sixteen / 16 <= 33 * 1024, "%lu bytes/GiB", sixteen / 16))
		goto out;
	kho_tracker_destroy(&t);
	if (CHECK(sim.live == 0, "destroy"))
		goto out;

	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	before = t.nr_nodes;
	for (pfn = base; pfn < base + gib_pages; pfn += 512)
		if (CHECK(kho_tracker_set(&t, pfn, 9) == 0, "set"))
			goto out;
	o9 = (t.nr_nodes - before) * psz;
	for (; pfn < base + 64 * gib_pages; pfn += 512)
		if (CHECK(kho_tracker_set(&t, pfn, 9) == 0, "set"))
			goto out;
	printf("# order 9: 1 GiB adds %lu bytes; ", o9);
	printf("64 GiB add %lu bytes = %lu bytes/GiB\n",
	       (t.nr_nodes - before) * psz, (t.nr_nodes - before) * psz / 64);
	/* One leaf covers 64 GiB of 2 MiB blocks, plus the interior path. */
	if (CHECK(o9 <= (t.levels + 1) * psz, "order 9, 1 GiB: %lu bytes", o9))
		goto out;
	kho_tracker_destroy(&t);
	if (CHECK(sim.live == 0 && sim.errors == 0, "destroy"))
		goto out;
	sim_fini(&sim);
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	return false;
}

#ifdef __SANITIZE_ADDRESS__
static const char build[] = "with sanitizers, see 'make bench'";
#else
static const char build[] = "no sanitizers";
#endif

static bool test_timing(void)
{
	const unsigned long n = 1UL << 22;	/* 16 GiB of 4 KiB pages */
	struct kho_tracker_ops ops, in_ops = { .map = sim_map };
	double t0, t_set, t_iter = 0, t_in, t_sparse = 0;
	struct kho_tracker_iter it;
	struct kho_tracker t, in;
	unsigned long found = 0;
	unsigned int order;
	const char *why;
	struct sim sim;
	u64 pfn;
	int i;

	sim_init(&sim, &ops, 12, 1);
	in_ops.ctx = &sim;
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	t0 = now_ns();
	for (pfn = 0; pfn < n; pfn++) {
		if (CHECK(!kho_tracker_set(&t, pfn, 0), "set %#llx", pfn))
			goto out;
	}
	t_set = now_ns() - t0;

	/* Best of 5: the machine may be busy. */
	for (i = 0; i < 5; i++) {
		found = 0;
		t0 = now_ns();
		kho_tracker_iter_start(&it, &t, 0, ~0ULL);
		while (kho_tracker_iter_next(&it, &pfn, &order))
			found++;
		t0 = now_ns() - t0;
		if (!i || t0 < t_iter)
			t_iter = t0;
		if (CHECK(found == n + t.nr_nodes, "found %lu", found))
			goto out;
	}

	t0 = now_ns();
	if (CHECK(kho_tracker_open(&in, &in_ops, t.hdr_phys, 12, NR_ORDERS,
				   &why) == 0, "open: %s", why))
		goto out;
	t_in = now_ns() - t0;

	/* Sparse: one block every 1 MiB over 1 TiB, walked from 0 to ~0. */
	kho_tracker_destroy(&in);
	kho_tracker_destroy(&t);
	if (CHECK(kho_tracker_init(&t, &ops, 12, NR_ORDERS) == 0, "init"))
		goto out;
	for (pfn = 0; pfn < 1ULL << 28; pfn += 256)
		if (CHECK(kho_tracker_set(&t, pfn, 0) == 0, "set"))
			goto out;
	for (i = 0; i < 5; i++) {
		found = 0;
		t0 = now_ns();
		kho_tracker_iter_start(&it, &t, 0, ~0ULL);
		while (kho_tracker_iter_next(&it, &pfn, &order))
			found++;
		t0 = now_ns() - t0;
		if (!i || t0 < t_sparse)
			t_sparse = t0;
	}
	printf("# timing (%s): dense order 0: set %.1f ns/block, ", build,
	       t_set / n);
	printf("iterate %.2f ns/block, open %.2f ns/block; ", t_iter / n,
	       t_in / n);
	printf("sparse (1/256): iterate %.1f ns/block\n", t_sparse / found);
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	return true;
out:
	kho_tracker_destroy(&t);
	sim_fini(&sim);
	return false;
}

/* ---------------------------------------------------------------- main */

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "init", test_init },
	{ "set_test_clear", test_set_clear },
	{ "self_tracking", test_self_tracking },
	{ "adversarial_allocator", test_adversarial_alloc },
	{ "alloc_failure_injection", test_alloc_failure },
	{ "iter_order_and_ties", test_iter_ties },
	{ "open_roundtrip", test_roundtrip },
	{ "open_roundtrip_page_sizes", test_roundtrip_page_sizes },
	{ "merge_walk", test_merge_walk },
	{ "corruption", test_corruption },
	{ "corruption_fuzz", test_fuzz },
	{ "metadata_size", test_metadata },
	{ "dense_16g_walk", test_timing },
};

int main(void)
{
	unsigned int i, n = ARRAY_SIZE(tests), bad = 0;
	const char *env = getenv("KHO_TEST_SEED");
	const char *only = getenv("KHO_TEST_ONLY");
	u64 seed;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	seed = env ? strtoull(env, NULL, 0) : (u64)time(NULL);
	printf("KTAP version 1\n");
	printf("# kho tracker tests, seed %llu (KHO_TEST_SEED)\n", seed);
	printf("1..%u\n", n);
	for (i = 0; i < n; i++) {
		if (only && strcmp(only, tests[i].name)) {
			printf("ok %u %s # SKIP\n", i + 1, tests[i].name);
			continue;
		}
		rng_state = seed + i;
		test_failed = 0;
		ok = tests[i].fn() && !test_failed;
		printf("%sok %u %s\n", ok ? "" : "not ", i + 1, tests[i].name);
		bad += !ok;
	}
	printf("# %u passed, %u failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
