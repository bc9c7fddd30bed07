// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the KHO tracker and of the next kernel's boot-time walk,
 * side by side with the naive strategy, on identical inputs. Built with
 * the real tracker (kernel/kexec_handover_tracker.c) and the real
 * mm/memblock.c of the memblock simulator (tools/testing/memblock).
 *
 * Phases, for each input (a set of preserved blocks):
 *
 *   preserve-single  kho_tracker_set() per block, each call under a lock
 *                    of its own (the kernel's kho_preserve_folio());
 *   preserve-batch   one lock for the whole input, and the tracker calls
 *                    of the kernel's kho_preserve_folios(): the leaf of
 *                    each leaf range from kho_tracker_leaf(), then a bit
 *                    test and kho_tracker_leaf_set() per block; the first
 *                    block of a leaf that does not exist yet goes through
 *                    kho_tracker_set();
 *   walk-ours        the next kernel's takeover as KHO does it: one
 *                    memblock reservation for the free range, then the
 *                    merged tracker walk that stamps each block and hands
 *                    each gap to the page allocator;
 *   walk-naive       one memblock_reserve() per preserved block, then
 *                    memblock's own free-range walk hands out the rest.
 *
 * Both walks end in the same state (same stamps, same pages released, in
 * the same number of calls); the bench checks it. Gaps are "released" to
 * a counter, the same function for both, as stamps go to a byte array.
 *
 * Each measured phase is bracketed by callgrind client requests: under
 * valgrind --tool=callgrind --collect-atstart=no each phase is dumped with
 * its label, and its instruction count is read from the dump. Run natively,
 * the bench prints nanoseconds (best of the repetitions) instead.
 *
 * With -w ours|naive only that walk runs, REPS times, after one untimed
 * preservation: make bench times two such processes side by side with
 * farm-bench.
 *
 * Output: one line per phase,
 *   RESULT input=NAME blocks=N pages=N span=BYTES strategy=S phase=P ns=NS
 *          meta=BYTES
 * and "# ..." comments; the exit status is non-zero if a check fails.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include <limits.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <linux/seq_file.h>
#include <linux/memblock.h>
#include <linux/slab.h>
#include "kexec_handover_tracker.h"

#define BENCH_PAGE_SHIFT	12
#define BENCH_ORDERS		11
/* Preserved memory starts at 4 GiB, as on a host. */
#define BENCH_BASE_PFN		BIT_ULL(20)
/* Tracker nodes live far above any input. */
#define BENCH_NODE_BASE		BIT_ULL(46)

struct blk {
	u64 pfn;
	unsigned int order;
};

struct input {
	const char *name;
	struct blk *b;
	size_t nr;
	u64 pages;
	u64 span;	/* pfns from BENCH_BASE_PFN to the end of the last block */
};

/* --------------------------------------------------------- tracker memory */

struct node_mem {
	void **page;
	size_t nr, cap;
};

static void *nm_alloc(void *ctx, u64 *phys)
{
	struct node_mem *m = ctx;
	void *p;

	if (m->nr == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->page = realloc(m->page, m->cap * sizeof(*m->page));
		if (!m->page)
			abort();
	}
	p = aligned_alloc(1UL << BENCH_PAGE_SHIFT, 1UL << BENCH_PAGE_SHIFT);
	if (!p)
		abort();
	memset(p, 0, 1UL << BENCH_PAGE_SHIFT);
	*phys = BENCH_NODE_BASE + ((u64)m->nr << BENCH_PAGE_SHIFT);
	m->page[m->nr++] = p;
	return p;
}

static void *nm_map(void *ctx, u64 phys)
{
	struct node_mem *m = ctx;
	u64 i = (phys - BENCH_NODE_BASE) >> BENCH_PAGE_SHIFT;

	return phys >= BENCH_NODE_BASE && i < m->nr ? m->page[i] : NULL;
}

static void nm_free(void *ctx, void *virt, u64 phys)
{
	struct node_mem *m = ctx;
	u64 i = (phys - BENCH_NODE_BASE) >> BENCH_PAGE_SHIFT;

	if (phys >= BENCH_NODE_BASE && i < m->nr && m->page[i] == virt) {
		free(virt);
		m->page[i] = NULL;
	}
}

static void nm_fini(struct node_mem *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		free(m->page[i]);
	free(m->page);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- inputs */

/* lib/slab.c of the simulator: memblock's arrays grow with kmalloc(). */
extern enum slab_state slab_state;
/* Defined by the simulator's tests, which the bench does not link. */
bool movable_node_enabled;

static u64 rng = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	u64 z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void in_add(struct input *in, u64 pfn, unsigned int order)
{
	in->b[in->nr].pfn = pfn;
	in->b[in->nr].order = order;
	in->nr++;
	in->pages += 1ULL << order;
	in->span = pfn + (1ULL << order) - BENCH_BASE_PFN;
}

/*
 * The inputs, @n blocks each (@n is what "twice the size" doubles):
 * scattered  order-0 pages, every other page (1M pages: 8 GiB);
 * dense      contiguous order-0 pages (1M pages: 4 GiB);
 * folio2m    contiguous 2 MiB folios (32K folios: 64 GiB);
 * mixed      orders 0-10, geometric (half of them order 0), each after a
 *            random gap of 0-3 blocks of its order;
 * sparse     one order-0 page every 128 MiB (8K pages: 1 TiB), the worst
 *            case of the tracker: a leaf per page.
 */
static int make_input(struct input *in, const char *name, size_t n)
{
	u64 pfn = BENCH_BASE_PFN;
	unsigned int o;
	size_t i;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->b = calloc(n ? n : 1, sizeof(*in->b));
	if (!in->b)
		abort();
	rng = 0x2545f4914f6cdd1dULL;
	for (i = 0; i < n; i++) {
		if (!strcmp(name, "scattered")) {
			in_add(in, pfn + 2 * i, 0);
		} else if (!strcmp(name, "dense")) {
			in_add(in, pfn + i, 0);
		} else if (!strcmp(name, "folio2m")) {
			in_add(in, pfn + 512 * i, 9);
		} else if (!strcmp(name, "mixed")) {
			o = __builtin_ctzll(rnd() | (1ULL << 10));
			pfn += (rnd() % 4) << o;
			pfn = (pfn + (1ULL << o) - 1) & ~((1ULL << o) - 1);
			in_add(in, pfn, o);
			pfn += 1ULL << o;
		} else if (!strcmp(name, "sparse")) {
			in_add(in, pfn + (i << 15), 0);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- measurement */

static unsigned int reps = 3;
static int failed;
/* -w: only the walk of one strategy, reps times, for whole-process timing. */
static const char *walk_only;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define ULLV(x)	((unsigned long long)(x))

static char label[160];

static void phase_begin(const struct input *in, const char *strategy,
			const char *phase)
{
	snprintf(label, sizeof(label), "%s/%zu/%s/%s", in->name, in->nr,
		 strategy, phase);
	CALLGRIND_ZERO_STATS;
	CALLGRIND_TOGGLE_COLLECT;
}

static void phase_end(void)
{
	CALLGRIND_TOGGLE_COLLECT;
	CALLGRIND_DUMP_STATS_AT(label);
}

static void result(const struct input *in, const char *strategy,
		   const char *phase, double ns, u64 meta)
{
	printf("RESULT input=%s blocks=%zu pages=%llu span=%llu ", in->name,
	       in->nr, ULLV(in->pages), ULLV(in->span << BENCH_PAGE_SHIFT));
	printf("strategy=%s phase=%s ns=%.0f meta=%llu label=%s/%zu/%s/%s\n",
	       strategy, phase, ns, ULLV(meta), in->name, in->nr, strategy,
	       phase);
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# check failed: %s: ", #cond);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failed++;						\
	}								\
} while (0)

/* ------------------------------------------------------------- preserve */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static noinline int
preserve_single(struct kho_tracker *t, const struct input *in)
{
	int err = 0;
	size_t i;

	for (i = 0; i < in->nr && !err; i++) {
		pthread_mutex_lock(&lock);
		err = kho_tracker_set(t, in->b[i].pfn, in->b[i].order);
		pthread_mutex_unlock(&lock);
	}
	return err;
}

/*
 * The tracker's part of kho_preserve_batch() in kernel/kexec_handover.c,
 * without the checks against other trackers: this input has only one.
 */
static noinline int
preserve_batch(struct kho_tracker *t, const struct input *in)
{
	unsigned int order = UINT_MAX;
	u64 start = 0, end = 0, b;
	const struct blk *k;
	u64 *leaf = NULL;
	int err = 0;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < in->nr && !err; i++) {
		k = &in->b[i];
		if (k->order != order || k->pfn - start >= end - start) {
			order = k->order;
			leaf = kho_tracker_leaf(t, k->pfn, order, &start, &end);
		}
		b = (k->pfn - start) >> order;
		if (!leaf || kho_tracker_leaf_test(leaf, b)) {
			/* Creates the leaf, or says what is wrong. */
			err = kho_tracker_set(t, k->pfn, order);
			if (!err && !leaf)
				leaf = kho_tracker_leaf(t, k->pfn, order,
							&start, &end);
			continue;
		}
		kho_tracker_leaf_set(t, leaf, b, order);
	}
	pthread_mutex_unlock(&lock);
	return err;
}

static void bench_preserve(const struct input *in, bool batch,
			   struct kho_tracker *keep, struct node_mem *keep_mem)
{
	const char *phase = batch ? "preserve-batch" : "preserve-single";
	struct kho_tracker_ops ops = {
		.alloc_page = nm_alloc, .free_page = nm_free, .map = nm_map,
	};
	double best = 0, ns;
	struct kho_tracker t;
	struct node_mem mem;
	unsigned int r;
	u64 meta = 0;
	int err;

	for (r = 0; r < (walk_only ? 1 : reps); r++) {
		memset(&mem, 0, sizeof(mem));
		ops.ctx = &mem;
		if (kho_tracker_init(&t, &ops, BENCH_PAGE_SHIFT, BENCH_ORDERS))
			abort();
		meta = t.nr_nodes;
		if (!r)
			phase_begin(in, "ours", phase);
		ns = now_ns();
		err = batch ? preserve_batch(&t, in) : preserve_single(&t, in);
		ns = now_ns() - ns;
		if (!r)
			phase_end();
		CHECK(!err, "%s: %s: error %d", in->name, phase, err);
		meta = (t.nr_nodes - meta) << BENCH_PAGE_SHIFT;
		if (!r || ns < best)
			best = ns;
		if (keep && r == (walk_only ? 1 : reps) - 1) {
			*keep = t;
			*keep_mem = mem;
			/* ops lives on this stack: give the tracker a copy. */
			continue;
		}
		kho_tracker_destroy(&t);
		nm_fini(&mem);
	}
	result(in, "ours", phase, best, meta);
}

/* ----------------------------------------------------------------- walks */

/* What the next kernel ends with: a stamp per block, the pages released. */
struct outcome {
	unsigned char *stamp;	/* per pfn of the span: order + 1 */
	u64 released;		/* pages */
	u64 calls;		/* release calls */
	u64 blocks;
};

static struct outcome *cur_out;

static noinline void release(u64 start_pfn, u64 end_pfn)
{
	cur_out->released += end_pfn - start_pfn;
	cur_out->calls++;
}

static void memblock_start(const struct input *in)
{
	memblock.memory.cnt = 0;
	memblock.memory.total_size = 0;
	memblock.reserved.cnt = 0;
	memblock.reserved.total_size = 0;
	memblock_add(BENCH_BASE_PFN << BENCH_PAGE_SHIFT,
		     in->span << BENCH_PAGE_SHIFT);
}

/* memblock_free_all(): what memblock itself hands out of free memory. */
static void memblock_free_ranges(void)
{
	phys_addr_t s, e;
	u64 i;

	for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, NULL)
		release(s >> BENCH_PAGE_SHIFT, e >> BENCH_PAGE_SHIFT);
}

static noinline void
walk_ours(const struct kho_tracker *t, const struct input *in,
	  struct outcome *o)
{
	const struct kho_tracker *trackers[1] = { t };
	u64 start = BENCH_BASE_PFN, end = BENCH_BASE_PFN + in->span;
	struct kho_tracker_iter its[1];
	struct kho_tracker_merged b;
	struct kho_tracker_merge m;
	unsigned int order[1];
	u64 pfn[1], nr[1], i;

	m.its = its;
	m.pfn = pfn;
	m.nr = nr;
	m.order = order;
	/* One reservation per free range, kept from memblock_free_all(). */
	memblock_reserve(start << BENCH_PAGE_SHIFT, in->span << BENCH_PAGE_SHIFT);
	memblock_reserved_mark_noinit(start << BENCH_PAGE_SHIFT,
				      in->span << BENCH_PAGE_SHIFT);
	kho_tracker_merge_start(&m, trackers, 1, start, end);
	while (kho_tracker_merge_next(&m, &b)) {
		if (b.gap_end > b.gap_start)
			release(b.gap_start, b.gap_end);
		if (!b.ok)
			continue;
		for (i = 0; i < b.nr; i++)
			o->stamp[b.pfn + (i << b.order) - start] = b.order + 1;
		o->blocks += b.nr;
	}
	if (b.gap_end > b.gap_start)
		release(b.gap_start, b.gap_end);
	memblock_free_ranges();
}

static noinline void
walk_naive(const struct kho_tracker *t, const struct input *in,
	   struct outcome *o)
{
	u64 start = BENCH_BASE_PFN, end = BENCH_BASE_PFN + in->span, pfn;
	struct kho_tracker_iter it;
	unsigned int order;

	kho_tracker_iter_start(&it, t, start, end);
	while (kho_tracker_iter_next(&it, &pfn, &order)) {
		memblock_reserve(pfn << BENCH_PAGE_SHIFT,
				 (phys_addr_t)1 << (order + BENCH_PAGE_SHIFT));
		o->stamp[pfn - start] = order + 1;
		o->blocks++;
	}
	memblock_free_ranges();
}

static void bench_walk(const struct kho_tracker *t, const struct input *in,
		       bool naive, struct outcome *o)
{
	const char *strategy = naive ? "naive" : "ours";
	double best = 0, ns;
	unsigned int r;

	for (r = 0; r < reps; r++) {
		memset(o->stamp, 0, in->span);
		o->released = 0;
		o->calls = 0;
		o->blocks = 0;
		cur_out = o;
		memblock_start(in);
		if (!r)
			phase_begin(in, strategy, "walk");
		ns = now_ns();
		if (naive)
			walk_naive(t, in, o);
		else
			walk_ours(t, in, o);
		ns = now_ns() - ns;
		if (!r)
			phase_end();
		if (!r || ns < best)
			best = ns;
	}
	result(in, strategy, "walk", best, 0);
}

/* ------------------------------------------------------------------ main */

static void run(const char *name, size_t n, bool naive)
{
	struct outcome ours = { 0 }, base = { 0 };
	struct kho_tracker_ops ops = {
		.alloc_page = nm_alloc, .free_page = nm_free, .map = nm_map,
	};
	struct node_mem mem;
	struct kho_tracker t;
	struct input in;

	if (make_input(&in, name, n)) {
		printf("# unknown input %s\n", name);
		failed++;
		return;
	}
	if (!walk_only)
		bench_preserve(&in, false, NULL, NULL);
	bench_preserve(&in, true, &t, &mem);
	ops.ctx = &mem;
	t.ops = &ops;

	ours.stamp = calloc(in.span, 1);
	base.stamp = calloc(in.span, 1);
	if (!ours.stamp || !base.stamp)
		abort();
	if (walk_only && !strcmp(walk_only, "naive"))
		bench_walk(&t, &in, true, &base);
	else
		bench_walk(&t, &in, false, &ours);
	if (walk_only)
		goto out;
	CHECK(ours.blocks == in.nr && ours.released == in.span - in.pages,
	      "%s/%zu: ours: %llu blocks, %llu pages released", name, n,
	      ULLV(ours.blocks), ULLV(ours.released));
	if (naive) {
		bench_walk(&t, &in, true, &base);
		CHECK(base.blocks == ours.blocks &&
		      base.released == ours.released &&
		      base.calls == ours.calls &&
		      !memcmp(base.stamp, ours.stamp, in.span),
		      "%s/%zu: naive and ours differ: %llu/%llu blocks, %llu/%llu pages, %llu/%llu calls",
		      name, n, ULLV(base.blocks), ULLV(ours.blocks),
		      ULLV(base.released), ULLV(ours.released), ULLV(base.calls),
		      ULLV(ours.calls));
	}
out:
	free(ours.stamp);
	free(base.stamp);
	kho_tracker_destroy(&t);
	nm_fini(&mem);
	free(in.b);
}

static void help(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-r REPS] [-w ours|naive] INPUT:BLOCKS[:naive] ...\n"
		"  INPUT: scattered dense folio2m mixed sparse\n"
		"  naive: also run the per-block memblock_reserve() walk\n"
		"  -w: only the walk of one strategy, REPS times (no checks),\n"
		"      to time whole processes side by side\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	char *name, *p;
	size_t n;
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (i + 1 < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-r"))
			reps = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "-w"))
			walk_only = argv[i + 1];
		else
			help(argv[0]);
		i += 2;
	}
	if (i >= argc || !reps)
		help(argv[0]);
	/* memblock arrays grow with kmalloc(), as after slab is up. */
	slab_state = UP;
	memblock_allow_resize();
	for (; i < argc; i++) {
		name = strdup(argv[i]);
		p = strchr(name, ':');
		if (!p)
			help(argv[0]);
		*p++ = '\0';
		n = strtoul(p, &p, 0);
		run(name, n, *p == ':' && !strcmp(p + 1, "naive"));
		free(name);
	}
	printf("# %s\n", failed ? "FAILED" : "all checks passed");
	return failed ? 1 : 0;
}
