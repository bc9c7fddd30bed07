// SPDX-License-Identifier: GPL-2.0
/*
 * Race test client of Kexec HandOver (KHO), built as a module.
 *
 * With threads=N (default 4), N kernel threads preserve and unpreserve
 * folios of orders 0 to 3 as fast as they can, each into its own part of
 * a slot table, until the kexec jump, while user space loads and unloads
 * images, aborts and re-enables the handover and reads sysfs. Every slot
 * holds a folio that is preserved exactly as long as the slot names it:
 * an operation and its slot update happen under the thread's mutex, and
 * the freeze callback takes every thread's mutex and stops the threads.
 *
 * The slot table and a header are preserved from the start and published
 * as the blob "test-kho-stress". Loaded in the next kernel, the module
 * restores every folio the table names and checks its contents; the
 * handover's statistics then tell whether the core kept anything the
 * table does not name (a lost unpreserve) or lost something it names.
 * Results are printed as "test_kho_stress: ..." lines.
 */
#define pr_fmt(fmt) "test_kho_stress: " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#define TKS_NAME		"test-kho-stress"
#define TKS_COMPAT		"kho-test-stress-v1"
#define TKS_MAGIC		0x544b5354524553ULL	/* "TKSTRES" */
#define TKS_MAX_ORDER		3
#define TKS_MAX_THREADS		16
#define TKS_MAX_SLOTS		1024

static unsigned int threads = 4;
module_param(threads, uint, 0400);
MODULE_PARM_DESC(threads, "threads that preserve and unpreserve (0: only restore)");

static unsigned int slots = 64;
module_param(slots, uint, 0400);
MODULE_PARM_DESC(slots, "slots of each thread");

/* One preserved folio: the slot is free while phys is 0. */
struct tks_slot {
	u64 phys;
	u32 order;
	u32 seed;
};

/* The blob: the table's address and what the threads did. */
struct tks_blob {
	u64 magic;
	u64 table;
	u32 threads;
	u32 slots;
	u64 preserves;
	u64 unpreserves;
	u64 busy;
	u64 errors;
	u32 frozen;
	u32 pad;
};

struct tks_thread {
	struct task_struct *task;
	struct mutex lock;	/* an operation with its slot update */
	struct tks_slot *slot;
	struct rnd_state rnd;
	bool stopped;
	u64 preserves;
	u64 unpreserves;
	u64 busy;
	u64 errors;
};

static struct kho_client *tks_client;
static struct tks_blob *tks_blob;
static struct tks_slot *tks_table;
static struct tks_thread *tks_threads;
static DEFINE_MUTEX(tks_run_lock);	/* starting and stopping threads */
static bool tks_running;

/* The value of word @i of a folio preserved with @seed. */
static u64 tks_word(u32 seed, unsigned long i)
{
	return ((u64)seed << 32 | i) * 0x9e3779b97f4a7c15ULL;
}

/* The first and last word of every page carry the pattern. */
static void tks_fill(struct folio *folio, u32 seed)
{
	unsigned long i, last = PAGE_SIZE / sizeof(u64) - 1;

	for (i = 0; i < folio_nr_pages(folio); i++) {
		u64 *p = kmap_local_folio(folio, i * PAGE_SIZE);

		p[0] = tks_word(seed, 2 * i);
		p[last] = tks_word(seed, 2 * i + 1);
		kunmap_local(p);
	}
}

static bool tks_check(struct folio *folio, u32 seed)
{
	unsigned long i, last = PAGE_SIZE / sizeof(u64) - 1;
	bool ok = true;

	for (i = 0; ok && i < folio_nr_pages(folio); i++) {
		u64 *p = kmap_local_folio(folio, i * PAGE_SIZE);

		ok = p[0] == tks_word(seed, 2 * i) &&
		     p[last] == tks_word(seed, 2 * i + 1);
		kunmap_local(p);
	}
	return ok;
}

static void tks_count(struct tks_thread *t, int err)
{
	if (err == -EBUSY)
		t->busy++;
	else if (err != -ENOMEM)
		t->errors++;
	if (err != -EBUSY && err != -ENOMEM)
		pr_err_ratelimited("FAILED: unexpected error %d\n", err);
}

/* One operation on a random slot of @t; the caller holds t->lock. */
static void tks_step(struct tks_thread *t)
{
	struct tks_slot *s = &t->slot[prandom_u32_state(&t->rnd) % slots];
	struct folio *folio;
	u32 seed;
	int err;

	if (s->phys) {
		folio = pfn_folio(PHYS_PFN(s->phys));
		err = kho_unpreserve_folio(tks_client, folio);
		if (err) {
			tks_count(t, err);
			return;
		}
		WRITE_ONCE(s->phys, 0);
		folio_put(folio);
		t->unpreserves++;
		return;
	}
	folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN,
			    prandom_u32_state(&t->rnd) % (TKS_MAX_ORDER + 1));
	if (!folio)
		return;
	seed = prandom_u32_state(&t->rnd);
	tks_fill(folio, seed);
	err = kho_preserve_folio(tks_client, folio);
	if (err) {
		tks_count(t, err);
		folio_put(folio);
		return;
	}
	s->order = folio_order(folio);
	s->seed = seed;
	WRITE_ONCE(s->phys, PFN_PHYS(folio_pfn(folio)));
	t->preserves++;
}

static int tks_thread_fn(void *arg)
{
	struct tks_thread *t = arg;

	while (!kthread_should_stop()) {
		mutex_lock(&t->lock);
		if (!t->stopped)
			tks_step(t);
		mutex_unlock(&t->lock);
		cond_resched();
	}
	return 0;
}

static void tks_start(void)
{
	unsigned int i;

	mutex_lock(&tks_run_lock);
	for (i = 0; !tks_running && i < threads; i++) {
		struct tks_thread *t = &tks_threads[i];

		t->stopped = false;
		t->task = kthread_run(tks_thread_fn, t, "kho-stress/%u", i);
		if (IS_ERR(t->task)) {
			pr_err("FAILED to start thread %u\n", i);
			t->task = NULL;
		}
	}
	tks_running = true;
	mutex_unlock(&tks_run_lock);
}

/* Every thread finishes its operation and stops. */
static void tks_stop(void)
{
	unsigned int i;

	mutex_lock(&tks_run_lock);
	for (i = 0; tks_running && i < threads; i++) {
		struct tks_thread *t = &tks_threads[i];

		mutex_lock(&t->lock);
		t->stopped = true;
		mutex_unlock(&t->lock);
		if (t->task)
			kthread_stop(t->task);
		t->task = NULL;
	}
	tks_running = false;
	mutex_unlock(&tks_run_lock);
}

static int tks_freeze(struct kho_client *client, void *data)
{
	unsigned int i;

	if (!tks_blob)
		return 0;
	/* No allocation: the threads stop and the blob is updated in place. */
	tks_stop();
	tks_blob->preserves = 0;
	tks_blob->unpreserves = 0;
	tks_blob->busy = 0;
	tks_blob->errors = 0;
	for (i = 0; i < threads; i++) {
		tks_blob->preserves += tks_threads[i].preserves;
		tks_blob->unpreserves += tks_threads[i].unpreserves;
		tks_blob->busy += tks_threads[i].busy;
		tks_blob->errors += tks_threads[i].errors;
	}
	tks_blob->frozen = 1;
	pr_info("frozen after %llu preserves, %llu unpreserves, %llu refused while frozen, %llu errors\n",
		tks_blob->preserves, tks_blob->unpreserves, tks_blob->busy,
		tks_blob->errors);
	return 0;
}

/* The jump did not happen: the threads go on. */
static void tks_abort(struct kho_client *client, void *data)
{
	if (!tks_blob)
		return;
	tks_blob->frozen = 0;
	tks_start();
}

static const struct kho_client_ops tks_ops = {
	.freeze = tks_freeze,
	.abort = tks_abort,
};

/* Take back and check every folio the incoming table names. */
static int tks_restore_table(const struct tks_blob *blob)
{
	unsigned long nr = (unsigned long)blob->threads * blob->slots;
	unsigned long i, folios = 0, pages = 0, bad = 0;
	struct tks_slot *table;
	struct folio *folio;

	table = kho_restore_preserved(tks_client, blob->table,
				      nr * sizeof(*table));
	if (IS_ERR(table))
		return PTR_ERR(table);
	for (i = 0; i < nr; i++) {
		if (!table[i].phys)
			continue;
		folio = kho_restore_folio(tks_client, table[i].phys);
		if (IS_ERR(folio) || folio_order(folio) != table[i].order ||
		    !tks_check(folio, table[i].seed)) {
			pr_err("FAILED: slot %lu: folio at 0x%llx of order %u: %ld\n",
			       i, table[i].phys, table[i].order,
			       IS_ERR(folio) ? PTR_ERR(folio) : 0L);
			bad++;
		} else {
			folios++;
			pages += folio_nr_pages(folio);
		}
		if (!IS_ERR(folio))
			folio_put(folio);
	}
	folio_put(virt_to_folio(table));
	pr_info("verified %lu folios (%lu pages) of %u threads after %llu preserves, %llu unpreserves, %llu refused while frozen, %llu errors\n",
		folios, pages, blob->threads, blob->preserves,
		blob->unpreserves, blob->busy, blob->errors);
	if (bad || blob->errors)
		return -EIO;
	return 0;
}

static int tks_restore(void)
{
	const struct tks_blob *blob;
	phys_addr_t phys;
	size_t size;
	int err;

	err = kho_get_blob(tks_client, TKS_NAME, &phys, &size);
	if (err)
		return err;
	if (size != sizeof(*blob))
		return -EINVAL;
	/* Restored, not read in place: nothing of ours is left unclaimed. */
	blob = kho_restore_preserved(tks_client, phys, size);
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	if (blob->magic != TKS_MAGIC || blob->frozen != 1 ||
	    !blob->threads || blob->threads > TKS_MAX_THREADS ||
	    !blob->slots || blob->slots > TKS_MAX_SLOTS) {
		pr_err("FAILED: bad blob (frozen %u)\n", blob->frozen);
		err = -EINVAL;
	} else {
		err = tks_restore_table(blob);
	}
	folio_put(virt_to_folio(blob));
	return err;
}

static int tks_setup(void)
{
	unsigned int i;
	int err;

	tks_threads = kcalloc(threads, sizeof(*tks_threads), GFP_KERNEL);
	tks_table = kho_alloc_preserve(tks_client,
				       threads * slots * sizeof(*tks_table));
	tks_blob = kho_alloc_preserve(tks_client, sizeof(*tks_blob));
	if (IS_ERR(tks_table) || IS_ERR(tks_blob)) {
		kho_unpreserve_free(tks_client, tks_blob);
		kho_unpreserve_free(tks_client, tks_table);
		tks_table = NULL;
		tks_blob = NULL;
		return -ENOMEM;
	}
	if (!tks_threads)
		return -ENOMEM;
	tks_blob->magic = TKS_MAGIC;
	tks_blob->table = virt_to_phys(tks_table);
	tks_blob->threads = threads;
	tks_blob->slots = slots;
	err = kho_add_blob(tks_client, TKS_NAME, tks_blob, sizeof(*tks_blob));
	if (err)
		return err;
	for (i = 0; i < threads; i++) {
		mutex_init(&tks_threads[i].lock);
		tks_threads[i].slot = &tks_table[i * slots];
		prandom_seed_state(&tks_threads[i].rnd, get_random_u64());
	}
	tks_start();
	pr_info("%u threads preserve and unpreserve folios in %u slots each\n",
		threads, slots);
	return 0;
}

/* Unpreserve and free what the slots name, the table and the blob. */
static void tks_teardown(void)
{
	unsigned long i;

	tks_stop();
	for (i = 0; tks_table && i < (unsigned long)threads * slots; i++) {
		struct folio *folio;

		if (!tks_table[i].phys)
			continue;
		folio = pfn_folio(PHYS_PFN(tks_table[i].phys));
		if (!kho_unpreserve_folio(tks_client, folio))
			folio_put(folio);
	}
	if (tks_blob) {
		kho_remove_blob(tks_client, TKS_NAME);
		kho_unpreserve_free(tks_client, tks_blob);
	}
	if (tks_table)
		kho_unpreserve_free(tks_client, tks_table);
	kfree(tks_threads);
}

static int __init tks_init(void)
{
	struct kho_client_desc desc = {
		.name = TKS_NAME,
		.compatible = TKS_COMPAT,
		.ops = &tks_ops,
	};
	const char *in;
	int err;

	if (threads > TKS_MAX_THREADS || !slots || slots > TKS_MAX_SLOTS)
		return -EINVAL;
	tks_client = kho_client_register(&desc);
	if (IS_ERR(tks_client))
		return PTR_ERR(tks_client);
	err = kho_client_incoming(tks_client, &in);
	if (!err) {
		err = tks_restore();
		if (err)
			pr_err("FAILED to restore (%d)\n", err);
		else
			pr_info("restored the state of %s\n", in);
	} else {
		pr_info("no incoming state (%d)\n", err);
	}
	kho_finish(tks_client);
	if (!threads)
		return 0;
	err = tks_setup();
	if (err) {
		pr_err("FAILED to set up (%d)\n", err);
		tks_teardown();
		kho_client_unregister(tks_client);
	}
	return err;
}
module_init(tks_init);

static void __exit tks_exit(void)
{
	if (threads)
		tks_teardown();
	kho_client_unregister(tks_client);
}
module_exit(tks_exit);

MODULE_DESCRIPTION("Race test client of kexec handover");
MODULE_LICENSE("GPL");
