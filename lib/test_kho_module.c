// SPDX-License-Identifier: GPL-2.0
/*
 * Second test client of Kexec HandOver (KHO), built as a module and loaded
 * after boot.
 *
 * Its state is prepared when an image carrying the handover is loaded
 * (the prepare callback): a vmalloc area and an array of records spanning
 * several pages, both filled with pseudo-random data, and a blob (a plain
 * struct: libfdt is not available to modules) with their descriptors and
 * checksums; with prepare_now=1 also at module load. The client's version
 * is "kho-test-mod-v1", or test_kho_module.compat=. The freeze callback
 * stamps the blob in place; the abort callback drops everything.
 *
 * Loaded in the next kernel, it restores the vmalloc area into a new
 * mapping and reads the records back, checks them, and finishes. Results
 * are printed as "test_kho_module: ..." lines.
 */
#define pr_fmt(fmt) "test_kho_module: " fmt

#include <linux/crc32.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/vmalloc.h>

#define TKM_NAME		"test-kho-mod"
#define TKM_VM_PAGES		37
#define TKM_NR_RECORDS		1000

static char *compat = "kho-test-mod-v1";
module_param(compat, charp, 0400);
MODULE_PARM_DESC(compat, "version of the state this module writes");

/* The blob. */
struct tkm_blob {
	u64 magic;
	u64 vm_desc;
	u64 records;
	u32 vm_crc;
	u32 frozen;
};

#define TKM_MAGIC		0x544b4d424c4f4231ULL	/* "TKMBLOB1" */

static bool fail_freeze;
module_param(fail_freeze, bool, 0400);
MODULE_PARM_DESC(fail_freeze, "make the freeze callback fail");

static bool prepare_now;
module_param(prepare_now, bool, 0400);
MODULE_PARM_DESC(prepare_now, "preserve the state at module load, before any image is loaded");

struct tkm_record {
	u64 index;
	u64 value;
	u32 crc;
};

static struct kho_client *tkm_client;
static void *tkm_vm;
static phys_addr_t tkm_vm_desc;
static struct kho_array tkm_records;
static struct tkm_blob *tkm_blob;

static u64 tkm_value(u64 i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

static void tkm_drop(void)
{
	if (tkm_blob) {
		kho_remove_blob(tkm_client, TKM_NAME);
		kho_unpreserve_free(tkm_client, tkm_blob);
		tkm_blob = NULL;
	}
	if (tkm_vm_desc)
		kho_unpreserve_vmalloc(tkm_client, tkm_vm_desc);
	tkm_vm_desc = 0;
	kho_array_destroy(&tkm_records);
	vfree(tkm_vm);
	tkm_vm = NULL;
}

static int tkm_prepare(struct kho_client *client, void *data)
{
	struct tkm_record *r;
	unsigned int i;
	u32 vm_crc;
	int err;

	/* Called on every load: start from scratch. */
	tkm_drop();
	tkm_vm = vmalloc(TKM_VM_PAGES * PAGE_SIZE);
	if (!tkm_vm)
		return -ENOMEM;
	for (i = 0; i < TKM_VM_PAGES * PAGE_SIZE / sizeof(u64); i++)
		((u64 *)tkm_vm)[i] = tkm_value(i);
	vm_crc = crc32(0, tkm_vm, TKM_VM_PAGES * PAGE_SIZE);
	err = kho_preserve_vmalloc(client, tkm_vm, &tkm_vm_desc);
	if (err)
		goto fail;
	for (i = 0; i < TKM_NR_RECORDS; i++) {
		r = kho_array_add(&tkm_records);
		if (!r) {
			err = -ENOMEM;
			goto fail;
		}
		r->index = i;
		r->value = tkm_value(i) ^ 0x55;
		r->crc = crc32(0, r, offsetof(struct tkm_record, crc));
	}
	tkm_blob = kho_alloc_preserve(client, sizeof(*tkm_blob));
	if (!tkm_blob) {
		err = -ENOMEM;
		goto fail;
	}
	tkm_blob->magic = TKM_MAGIC;
	tkm_blob->vm_desc = tkm_vm_desc;
	tkm_blob->vm_crc = vm_crc;
	tkm_blob->records = kho_array_phys(&tkm_records);
	err = kho_add_blob(client, TKM_NAME, tkm_blob, sizeof(*tkm_blob));
	if (err)
		goto fail;
	pr_info("prepared %s: vmalloc area of %u pages, %u records\n",
		compat, TKM_VM_PAGES, TKM_NR_RECORDS);
	return 0;
fail:
	pr_err("FAILED to prepare (%d)\n", err);
	tkm_drop();
	return err;
}

static int tkm_freeze(struct kho_client *client, void *data)
{
	/* No allocation here: the blob is updated in place. */
	if (fail_freeze)
		return -EIO;
	if (tkm_blob)
		WRITE_ONCE(tkm_blob->frozen, 1);
	return 0;
}

static void tkm_abort(struct kho_client *client, void *data)
{
	pr_info("handover aborted: state dropped\n");
	tkm_drop();
}

static const struct kho_client_ops tkm_ops = {
	.prepare = tkm_prepare,
	.freeze = tkm_freeze,
	.abort = tkm_abort,
};

static int tkm_check_record(void *arg, const void *rec, unsigned long i)
{
	const struct tkm_record *r = rec;

	if (r->index != i || r->value != (tkm_value(i) ^ 0x55) ||
	    r->crc != crc32(0, r, offsetof(struct tkm_record, crc)))
		return -EIO;
	return 0;
}

static int tkm_restore(void)
{
	const struct tkm_blob *blob;
	unsigned long nr_pages;
	phys_addr_t phys;
	size_t size;
	long n;
	void *vm;
	int err;

	err = kho_get_blob(tkm_client, TKM_NAME, &phys, &size);
	if (err)
		return err;
	/* Read in place: kho_finish() releases it. */
	blob = phys_to_virt(phys);
	if (size != sizeof(*blob) || blob->magic != TKM_MAGIC)
		return -EINVAL;
	if (blob->frozen != 1) {
		pr_err("FAILED: the freeze callback did not run\n");
		return -EINVAL;
	}
	vm = kho_restore_vmalloc(tkm_client, blob->vm_desc, &nr_pages);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	if (nr_pages != TKM_VM_PAGES ||
	    crc32(0, vm, nr_pages * PAGE_SIZE) != blob->vm_crc) {
		vfree(vm);
		pr_err("FAILED: vmalloc area differs\n");
		return -EIO;
	}
	vfree(vm);
	pr_info("verified the vmalloc area of %lu pages in a new mapping\n",
		nr_pages);
	n = kho_array_restore(tkm_client, blob->records, sizeof(struct tkm_record),
			      tkm_check_record, NULL);
	if (n != TKM_NR_RECORDS) {
		pr_err("FAILED: records: %ld\n", n);
		return n < 0 ? n : -EIO;
	}
	pr_info("verified %ld records\n", n);
	return 0;
}

static int __init tkm_init(void)
{
	struct kho_client_desc desc = {
		.name = TKM_NAME,
		.compatible = compat,
		.ops = &tkm_ops,
	};
	const char *in;
	int err;

	tkm_client = kho_client_register(&desc);
	if (IS_ERR(tkm_client))
		return PTR_ERR(tkm_client);
	kho_array_init(&tkm_records, tkm_client, sizeof(struct tkm_record));
	err = kho_client_incoming(tkm_client, &in);
	if (!err) {
		err = tkm_restore();
		if (err)
			pr_err("FAILED to restore (%d)\n", err);
		else
			pr_info("restored the state of %s\n", in);
	} else if (err == -EPROTO) {
		pr_info("incoming state %s is not %s: rejected\n", in, compat);
	} else {
		pr_info("no incoming state (%d)\n", err);
	}
	kho_finish(tkm_client);
	if (prepare_now)
		tkm_prepare(tkm_client, NULL);
	return 0;
}
module_init(tkm_init);

static void __exit tkm_exit(void)
{
	tkm_drop();
	kho_client_unregister(tkm_client);
}
module_exit(tkm_exit);

MODULE_DESCRIPTION("Module test client of kexec handover");
MODULE_LICENSE("GPL");
