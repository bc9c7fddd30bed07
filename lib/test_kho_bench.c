// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark client of Kexec HandOver (KHO), built as a module.
 *
 * Loaded with size=SIZE, it allocates SIZE bytes as folios of order=ORDER
 * (0: single pages, as the page allocator hands them out) and preserves
 * them through the batch interface, kho_preserve_folios(), or with
 * single=1 one kho_preserve_folio() call per folio, and prints the time it
 * took. The physical addresses go into a record array published in the
 * blob "test-kho-bench"; neither is timed.
 *
 * Loaded in the next kernel, it takes every folio back with
 * kho_restore_folio(), frees them and prints the time, and how many came
 * back. Results are "test_kho_bench: ..." lines.
 */
#define pr_fmt(fmt) "test_kho_bench: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#define TKB_NAME	"test-kho-bench"
#define TKB_COMPAT	"kho-test-bench-v1"
#define TKB_MAGIC	0x544b4242454e4348ULL	/* "TKBBENCH" */

static char *size_param;
module_param_named(size, size_param, charp, 0400);
MODULE_PARM_DESC(size, "bytes to preserve (K, M, G suffixes); none: only restore");

static unsigned int order;
module_param(order, uint, 0400);
MODULE_PARM_DESC(order, "order of the folios");

static bool single;
module_param(single, bool, 0400);
MODULE_PARM_DESC(single, "one kho_preserve_folio() call per folio instead of one batch");

/*
 * Under QEMU with -icount shift=0 the guest clock advances one nanosecond
 * per instruction, so the times above are instruction counts. This loop of
 * a known number of instructions shows whether that holds.
 */
static void tkb_calibrate(void)
{
	unsigned long n = 1000000, insns = 0;
	u64 t;

	t = ktime_get_ns();
#if defined(CONFIG_X86_64)
	asm volatile("1: dec %0\n\tjnz 1b" : "+r" (n));
	insns = 2000000;
#elif defined(CONFIG_ARM64)
	asm volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r" (n));
	insns = 2000000;
#endif
	t = ktime_get_ns() - t;
	if (insns)
		pr_info("calibration: %lu instructions in %llu ns\n", insns, t);
}

struct tkb_blob {
	u64 magic;
	u64 array;	/* kho_array of u64 physical addresses */
	u64 nr;
	u32 order;
	u32 pad;
};

static struct kho_client *tkb_client;
static struct kho_array tkb_array;
static struct folio **tkb_folios;
static unsigned long tkb_nr;

struct tkb_restore {
	unsigned long restored;
	unsigned long failed;
};

static int tkb_restore_one(void *arg, const void *rec, unsigned long i)
{
	struct tkb_restore *r = arg;
	struct folio *folio = kho_restore_folio(tkb_client, *(const u64 *)rec);

	if (IS_ERR(folio)) {
		r->failed++;
	} else {
		r->restored++;
		folio_put(folio);
	}
	if (!(i % 4096))
		cond_resched();
	return 0;
}

static void tkb_restore(void)
{
	struct tkb_restore r = { 0 };
	const struct tkb_blob *blob;
	phys_addr_t phys;
	size_t size;
	long n;
	u64 t;

	if (kho_get_blob(tkb_client, TKB_NAME, &phys, &size) ||
	    size != sizeof(*blob)) {
		pr_err("FAILED: no blob\n");
		return;
	}
	blob = phys_to_virt(phys);
	if (blob->magic != TKB_MAGIC) {
		pr_err("FAILED: bad blob\n");
		return;
	}
	t = ktime_get_ns();
	n = kho_array_restore(tkb_client, blob->array, sizeof(u64),
			      tkb_restore_one, &r);
	t = ktime_get_ns() - t;
	pr_info("restored %lu of %llu folios of order %u (%lu failed, array %ld) in %llu us\n",
		r.restored, blob->nr, blob->order, r.failed, n, t / 1000);
}

static void tkb_free(void)
{
	unsigned long i;

	for (i = 0; i < tkb_nr; i++)
		folio_put(tkb_folios[i]);
	kvfree(tkb_folios);
	tkb_folios = NULL;
	tkb_nr = 0;
}

static int tkb_preserve(u64 bytes)
{
	unsigned long i, n = bytes >> (PAGE_SHIFT + order);
	struct tkb_blob *blob;
	int err = 0;
	u64 t, *rec;

	tkb_folios = kvcalloc(n, sizeof(*tkb_folios), GFP_KERNEL);
	if (!tkb_folios)
		return -ENOMEM;
	for (tkb_nr = 0; tkb_nr < n; tkb_nr++) {
		tkb_folios[tkb_nr] = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!tkb_folios[tkb_nr])
			return -ENOMEM;
		if (!(tkb_nr % 4096))
			cond_resched();
	}
	t = ktime_get_ns();
	if (single) {
		for (i = 0; i < n && !err; i++)
			err = kho_preserve_folio(tkb_client, tkb_folios[i]);
	} else {
		err = kho_preserve_folios(tkb_client, tkb_folios, n);
	}
	t = ktime_get_ns() - t;
	if (err)
		return err;
	pr_info("preserved %lu folios of order %u (%llu bytes) in %llu us with %s\n",
		n, order, bytes, t / 1000,
		single ? "kho_preserve_folio() per folio" : "kho_preserve_folios()");

	kho_array_init(&tkb_array, tkb_client, sizeof(u64));
	for (i = 0; i < n; i++) {
		rec = kho_array_add(&tkb_array);
		if (!rec)
			return -ENOMEM;
		*rec = PFN_PHYS(folio_pfn(tkb_folios[i]));
	}
	blob = kho_alloc_preserve(tkb_client, sizeof(*blob));
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	blob->magic = TKB_MAGIC;
	blob->array = kho_array_phys(&tkb_array);
	blob->nr = n;
	blob->order = order;
	return kho_add_blob(tkb_client, TKB_NAME, blob, sizeof(*blob));
}

static int __init tkb_init(void)
{
	struct kho_client_desc desc = {
		.name = TKB_NAME,
		.compatible = TKB_COMPAT,
	};
	u64 bytes = 0;
	char *end;
	int err;

	if (size_param) {
		bytes = memparse(size_param, &end);
		if (*end || order > MAX_PAGE_ORDER) {
			pr_err("bad size= or order=\n");
			return -EINVAL;
		}
	}
	tkb_calibrate();
	tkb_client = kho_client_register(&desc);
	if (IS_ERR(tkb_client))
		return PTR_ERR(tkb_client);
	if (!kho_client_incoming(tkb_client, NULL))
		tkb_restore();
	kho_finish(tkb_client);
	if (!bytes)
		return 0;
	err = tkb_preserve(bytes);
	if (err) {
		pr_err("FAILED to preserve %llu bytes (%d)\n", bytes, err);
		kho_array_destroy(&tkb_array);
		tkb_free();
		kho_client_unregister(tkb_client);
		return err;
	}
	return 0;
}
module_init(tkb_init);

static void __exit tkb_exit(void)
{
	kho_client_unregister(tkb_client);
	kho_array_destroy(&tkb_array);
	tkb_free();
}
module_exit(tkb_exit);

MODULE_DESCRIPTION("Benchmark client of kexec handover");
MODULE_LICENSE("GPL");
