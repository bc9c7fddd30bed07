// SPDX-License-Identifier: GPL-2.0
/*
 * Second test client of Kexec HandOver (KHO), built as a module and loaded
 * after boot.
 *
 * Its state is prepared when an image carrying the handover is loaded
 * (the prepare callback): a buffer of several pages from
 * kho_alloc_preserve() and an array of records spanning several pages, both
 * filled with pseudo-random data, and a blob (a plain
 * struct: libfdt is not available to modules) with their descriptors and
 * checksums; with prepare_now=1 also at module load. The client's version
 * is "kho-test-mod-v1", or test_kho_module.compat=. The freeze callback
 * stamps the blob in place; the abort callback drops everything.
 *
 * Loaded in the next kernel, it prints what kho_client_incoming() says,
 * takes the buffer back with kho_restore_preserved(), reads the records back,
 * checks them, and finishes. Results are printed as "test_kho_module: ..."
 * lines.
 *
 * Knobs for the lifecycle tests: fail_prepare (writable at run time in
 * /sys/module/test_kho_module/parameters) makes the prepare callback fail
 * before it touches any state; empty_prepare makes it preserve nothing;
 * hold keeps the incoming state without restoring it until 1 is written
 * to /sys/kernel/debug/test_kho_module/restore; unregister_at_reboot
 * unregisters the client from a reboot notifier, which runs during the
 * kexec jump after the freeze.
 */
#define pr_fmt(fmt) "test_kho_module: " fmt

#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/reboot.h>

#define TKM_NAME		"test-kho-mod"
#define TKM_BUF_PAGES		32
#define TKM_NR_RECORDS		1000

static char *compat = "kho-test-mod-v1";
module_param(compat, charp, 0400);
MODULE_PARM_DESC(compat, "version of the state this module writes");

/* The blob. */
struct tkm_blob {
	u64 magic;
	u64 buf;
	u64 records;
	u32 buf_crc;
	u32 frozen;
};

#define TKM_MAGIC		0x544b4d424c4f4231ULL	/* "TKMBLOB1" */

static bool fail_freeze;
module_param(fail_freeze, bool, 0400);
MODULE_PARM_DESC(fail_freeze, "make the freeze callback fail");

static bool prepare_now;
module_param(prepare_now, bool, 0400);
MODULE_PARM_DESC(prepare_now, "preserve the state at module load, before any image is loaded");

static bool fail_prepare;
module_param(fail_prepare, bool, 0600);
MODULE_PARM_DESC(fail_prepare, "make the prepare callback fail, leaving the state as it was");

static bool empty_prepare;
module_param(empty_prepare, bool, 0400);
MODULE_PARM_DESC(empty_prepare, "make the prepare callback preserve nothing");

static bool hold;
module_param(hold, bool, 0400);
MODULE_PARM_DESC(hold, "restore only when 1 is written to debugfs test_kho_module/restore");

static bool unregister_at_reboot;
module_param(unregister_at_reboot, bool, 0400);
MODULE_PARM_DESC(unregister_at_reboot,
		 "unregister the client from a reboot notifier (in the kexec jump)");

struct tkm_record {
	u64 index;
	u64 value;
	u32 crc;
};

/* NULL once the reboot notifier unregistered the client. */
static struct kho_client *tkm_client;
static void *tkm_buf;
static struct kho_array tkm_records;
static struct tkm_blob *tkm_blob;
static struct dentry *tkm_debugfs;
/* Serializes restores through debugfs. */
static DEFINE_MUTEX(tkm_restore_lock);

static u64 tkm_value(u64 i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

static void tkm_drop(void)
{
	if (!tkm_client) {
		/*
		 * Unregistered at reboot: nothing is preserved any more. The
		 * pages the blob, the buffer and the arrays took are leaked,
		 * not freed: only the client could unpreserve them.
		 */
		tkm_buf = NULL;
		tkm_blob = NULL;
		return;
	}
	if (tkm_blob) {
		kho_remove_blob(tkm_client, TKM_NAME);
		kho_unpreserve_free(tkm_client, tkm_blob);
		tkm_blob = NULL;
	}
	if (tkm_buf)
		kho_unpreserve_free(tkm_client, tkm_buf);
	tkm_buf = NULL;
	kho_array_destroy(&tkm_records);
}

static int tkm_prepare(struct kho_client *client, void *data)
{
	struct tkm_record *r;
	unsigned int i;
	u32 buf_crc;
	int err;

	/* A failed prepare leaves the state as it was: fail first. */
	if (fail_prepare) {
		pr_info("prepare fails on request\n");
		return -EIO;
	}
	/* At registration prepare runs before the handle is returned. */
	tkm_client = client;
	/* Called on every load: start from scratch. */
	tkm_drop();
	kho_array_init(&tkm_records, client, sizeof(struct tkm_record));
	if (empty_prepare) {
		pr_info("prepared nothing\n");
		return 0;
	}
	tkm_buf = kho_alloc_preserve(client, TKM_BUF_PAGES * PAGE_SIZE);
	if (IS_ERR(tkm_buf)) {
		err = PTR_ERR(tkm_buf);
		tkm_buf = NULL;
		goto fail;
	}
	for (i = 0; i < TKM_BUF_PAGES * PAGE_SIZE / sizeof(u64); i++)
		((u64 *)tkm_buf)[i] = tkm_value(i);
	buf_crc = crc32(0, tkm_buf, TKM_BUF_PAGES * PAGE_SIZE);
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
	if (IS_ERR(tkm_blob)) {
		err = PTR_ERR(tkm_blob);
		tkm_blob = NULL;
		goto fail;
	}
	tkm_blob->magic = TKM_MAGIC;
	tkm_blob->buf = virt_to_phys(tkm_buf);
	tkm_blob->buf_crc = buf_crc;
	tkm_blob->records = kho_array_phys(&tkm_records);
	err = kho_add_blob(client, TKM_NAME, tkm_blob, sizeof(*tkm_blob));
	if (err)
		goto fail;
	pr_info("prepared %s: buffer of %u pages, %u records\n",
		compat, TKM_BUF_PAGES, TKM_NR_RECORDS);
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
	phys_addr_t phys;
	size_t size;
	void *buf;
	long n;
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
	buf = kho_restore_preserved(tkm_client, blob->buf,
				    TKM_BUF_PAGES * PAGE_SIZE);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = crc32(0, buf, TKM_BUF_PAGES * PAGE_SIZE) != blob->buf_crc;
	folio_put(virt_to_folio(buf));
	if (err) {
		pr_err("FAILED: the buffer differs\n");
		return -EIO;
	}
	pr_info("verified the buffer of %u pages\n", TKM_BUF_PAGES);
	n = kho_array_restore(tkm_client, blob->records, sizeof(struct tkm_record),
			      tkm_check_record, NULL);
	if (n != TKM_NR_RECORDS) {
		pr_err("FAILED: records: %ld\n", n);
		return n < 0 ? n : -EIO;
	}
	pr_info("verified %ld records\n", n);
	return 0;
}

/*
 * Restore what kho_client_incoming() returned @err for, report it and
 * finish. Return: 0 when the state was restored and checked.
 */
static int tkm_take_incoming(int err, const char *in)
{
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
	return err;
}

/* hold=1: writing 1 to debugfs test_kho_module/restore restores now. */
static ssize_t tkm_restore_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	const char *in = NULL;
	bool val;
	int err;

	err = kstrtobool_from_user(ubuf, count, &val);
	if (err)
		return err;
	if (!val)
		return -EINVAL;
	mutex_lock(&tkm_restore_lock);
	err = kho_client_incoming(tkm_client, &in);
	err = tkm_take_incoming(err, in);
	mutex_unlock(&tkm_restore_lock);
	return err ?: count;
}

static const struct file_operations tkm_restore_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = tkm_restore_write,
	.llseek = noop_llseek,
};

/*
 * unregister_at_reboot=1: reboot notifiers run in kernel_restart_prepare(),
 * during the kexec jump and after the handover's freeze.
 */
static int tkm_reboot(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	if (tkm_client) {
		kho_client_unregister(tkm_client);
		tkm_client = NULL;
		pr_info("unregistered from a reboot notifier\n");
	}
	return NOTIFY_DONE;
}

static struct notifier_block tkm_reboot_nb = {
	.notifier_call = tkm_reboot,
};

static int __init tkm_init(void)
{
	struct kho_client_desc desc = {
		.name = TKM_NAME,
		.compatible = compat,
		.ops = &tkm_ops,
	};
	struct kho_client *client;
	const char *in = NULL;
	int err;

	/* With an image loaded, the prepare callback runs in there. */
	client = kho_client_register(&desc);
	if (IS_ERR(client))
		return PTR_ERR(client);
	tkm_client = client;
	if (unregister_at_reboot) {
		err = register_reboot_notifier(&tkm_reboot_nb);
		if (err) {
			tkm_drop();
			kho_client_unregister(tkm_client);
			return err;
		}
	}
	err = kho_client_incoming(tkm_client, &in);
	pr_info("incoming state: %d\n", err);
	if (!err && hold) {
		/* Active until restored: kho_get_blob() still works. */
		tkm_debugfs = debugfs_create_dir("test_kho_module", NULL);
		debugfs_create_file("restore", 0200, tkm_debugfs, NULL,
				    &tkm_restore_fops);
		pr_info("holding the incoming state of %s\n", in);
	} else {
		tkm_take_incoming(err, in);
	}
	if (prepare_now)
		tkm_prepare(tkm_client, NULL);
	return 0;
}
module_init(tkm_init);

static void __exit tkm_exit(void)
{
	/* No restore in flight or to come. */
	debugfs_remove(tkm_debugfs);
	/* Waits for a notifier that runs. */
	if (unregister_at_reboot)
		unregister_reboot_notifier(&tkm_reboot_nb);
	tkm_drop();
	kho_client_unregister(tkm_client);
}
module_exit(tkm_exit);

MODULE_DESCRIPTION("Module test client of kexec handover");
MODULE_LICENSE("GPL");
