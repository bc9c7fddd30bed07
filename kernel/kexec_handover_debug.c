// SPDX-License-Identifier: GPL-2.0
/*
 * KHO corruption injection, for testing only: /sys/kernel/debug/kho/corrupt
 * (Documentation/kho/testing.rst). Breaks what this kernel hands over.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kexec_handover_internal.h"

/* The kinds of damage, and their names in debugfs. */
enum kho_corrupt {
	KHO_CORRUPT_NONE,
	KHO_CORRUPT_FDT_MAGIC,
	KHO_CORRUPT_FDT_TRUNCATED,
	KHO_CORRUPT_COMPATIBLE,
	KHO_CORRUPT_PAGE_SIZE,
	KHO_CORRUPT_TRACKER_ADDR,
	KHO_CORRUPT_CLIENT_TRACKER_ADDR,
	KHO_CORRUPT_TRACKER_LOOP,
	KHO_CORRUPT_TRACKER_ORDERS,
	KHO_CORRUPT_CORE_TRACKER_ORDERS,
	KHO_CORRUPT_TRACKER_SCRATCH,
	KHO_CORRUPT_BLOB_OVERLAP,
	KHO_CORRUPT_BLOB_SIZE,
	KHO_CORRUPT_SCRATCH_RAM,
	KHO_CORRUPT_SCRATCH_OVERLAP,
	KHO_CORRUPT_HANDOFF_SCRATCH,
	KHO_CORRUPT_HANDOFF_LENGTH,
	KHO_CORRUPT_ROOT_BLOCK,
	KHO_CORRUPT_OTHER_HANDOFF,
};

static const char * const kho_corrupt_names[] = {
	[KHO_CORRUPT_NONE] = "none",
	[KHO_CORRUPT_FDT_MAGIC] = "fdt-magic",
	[KHO_CORRUPT_FDT_TRUNCATED] = "fdt-truncated",
	[KHO_CORRUPT_COMPATIBLE] = "compatible",
	[KHO_CORRUPT_PAGE_SIZE] = "page-size",
	[KHO_CORRUPT_TRACKER_ADDR] = "tracker-address",
	[KHO_CORRUPT_CLIENT_TRACKER_ADDR] = "client-tracker-address",
	[KHO_CORRUPT_TRACKER_LOOP] = "tracker-loop",
	[KHO_CORRUPT_TRACKER_ORDERS] = "tracker-orders",
	[KHO_CORRUPT_CORE_TRACKER_ORDERS] = "core-tracker-orders",
	[KHO_CORRUPT_TRACKER_SCRATCH] = "tracker-scratch",
	[KHO_CORRUPT_BLOB_OVERLAP] = "blob-overlap",
	[KHO_CORRUPT_BLOB_SIZE] = "blob-size",
	[KHO_CORRUPT_SCRATCH_RAM] = "scratch-outside-ram",
	[KHO_CORRUPT_SCRATCH_OVERLAP] = "scratch-overlap",
	[KHO_CORRUPT_HANDOFF_SCRATCH] = "handoff-scratch",
	[KHO_CORRUPT_HANDOFF_LENGTH] = "handoff-length",
	[KHO_CORRUPT_ROOT_BLOCK] = "root-block",
	[KHO_CORRUPT_OTHER_HANDOFF] = "other-handoff",
};

static enum kho_corrupt kho_corrupt_armed;

/* An address no machine has RAM at, page aligned for any page size. */
#define KHO_CORRUPT_NOWHERE	BIT_ULL(51)

/* The first client that preserves memory and publishes a blob. */
static struct kho_client *kho_corrupt_victim(void)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (!c->dropped && c->nr_blobs && c->tracker.nr_nodes)
			return c;
	}
	return NULL;
}

/* The root tree node of @c. */
static int kho_corrupt_node(void *fdt, struct kho_client *c)
{
	return fdt_subnode_offset(fdt, 0, c->name);
}

/* Two orders share a top node: the tracker links a node twice. */
static int kho_corrupt_loop(struct kho_tracker_hdr *hdr)
{
	unsigned int a, b;

	for (a = 0; a < hdr->nr_orders; a++) {
		if (!hdr->root[a])
			continue;
		for (b = 0; b < hdr->nr_orders; b++) {
			if (b != a) {
				hdr->root[b] = hdr->root[a];
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* A copy of the first blob of @c, under another name, at the same place. */
static int kho_corrupt_blob_overlap(void *fdt, struct kho_client *c)
{
	struct kho_blob *b = list_first_entry(&c->blobs, struct kho_blob, list);
	int node, err;

	err = fdt_open_into(fdt, fdt, KHO_ROOT_MAX_SIZE);
	node = err ?: kho_corrupt_node(fdt, c);
	if (node < 0)
		return node;
	node = fdt_add_subnode(fdt, node, "kho-corrupt-overlap");
	if (node < 0)
		return node;
	err = fdt_setprop_u64(fdt, node, KHO_PROP_BLOB_ADDR, b->phys);
	err = err ?: fdt_setprop_u64(fdt, node, KHO_PROP_BLOB_SIZE, b->size);
	return err ?: fdt_pack(fdt);
}

/*
 * Damage the frozen handover as armed: from kho_freeze(), kho_out.lock held,
 * once the handover is final.
 */
void kho_debug_corrupt_root(void)
{
	enum kho_corrupt what = kho_corrupt_armed;
	void *fdt = kho_out.root;
	struct kho_client *c = kho_corrupt_victim();
	struct fdt_header *hdr = fdt;
	int err = 0, node;

	switch (what) {
	case KHO_CORRUPT_NONE:
	case KHO_CORRUPT_SCRATCH_RAM:
	case KHO_CORRUPT_SCRATCH_OVERLAP:
	case KHO_CORRUPT_HANDOFF_SCRATCH:
	case KHO_CORRUPT_HANDOFF_LENGTH:
	case KHO_CORRUPT_OTHER_HANDOFF:
		return;
	case KHO_CORRUPT_FDT_MAGIC:
		hdr->magic = cpu_to_fdt32(0x4b484f21);
		break;
	case KHO_CORRUPT_FDT_TRUNCATED:
		/* The strings block ends past the tree's end. */
		fdt_set_totalsize(fdt, fdt_off_dt_strings(fdt) + 1);
		break;
	case KHO_CORRUPT_COMPATIBLE:
		err = fdt_setprop_inplace(fdt, 0, KHO_PROP_COMPATIBLE,
					  "kexec-handover-v0",
					  sizeof("kexec-handover-v0"));
		break;
	case KHO_CORRUPT_PAGE_SIZE:
		err = fdt_setprop_inplace_u32(fdt, 0, KHO_PROP_PAGE_SHIFT,
					      PAGE_SHIFT + 2);
		break;
	case KHO_CORRUPT_TRACKER_ADDR:
		err = fdt_setprop_inplace_u64(fdt, 0, KHO_PROP_TRACKER,
					      KHO_CORRUPT_NOWHERE);
		break;
	case KHO_CORRUPT_CORE_TRACKER_ORDERS:
		/* Found only once the next kernel opens the trackers. */
		kho_out.tracker.hdr->nr_orders = 1000;
		break;
	case KHO_CORRUPT_ROOT_BLOCK:
		/* The core preserves only the first page of the root tree. */
		err = kho_tracker_clear(&kho_out.tracker,
					PHYS_PFN(kho_out.root_phys),
					get_order(KHO_ROOT_MAX_SIZE));
		err = err ?: kho_tracker_set(&kho_out.tracker,
					     PHYS_PFN(kho_out.root_phys), 0);
		break;
	default:
		if (!c) {
			err = -ENOENT;
			break;
		}
		node = kho_corrupt_node(fdt, c);
		switch (what) {
		case KHO_CORRUPT_CLIENT_TRACKER_ADDR:
			err = node < 0 ? node :
			      fdt_setprop_inplace_u64(fdt, node, KHO_PROP_TRACKER,
						      KHO_CORRUPT_NOWHERE);
			break;
		case KHO_CORRUPT_TRACKER_LOOP:
			err = kho_corrupt_loop(c->tracker.hdr);
			break;
		case KHO_CORRUPT_TRACKER_ORDERS:
			c->tracker.hdr->nr_orders = 1000;
			break;
		case KHO_CORRUPT_TRACKER_SCRATCH:
			err = kho_tracker_set(&c->tracker,
					      PHYS_PFN(kho_scratch[0].addr), 0);
			break;
		case KHO_CORRUPT_BLOB_OVERLAP:
			err = kho_corrupt_blob_overlap(fdt, c);
			break;
		case KHO_CORRUPT_BLOB_SIZE:
			node = node < 0 ? node :
			       fdt_first_subnode(fdt, node);
			err = node < 0 ? node :
			      fdt_setprop_inplace_u64(fdt, node, KHO_PROP_BLOB_SIZE,
						      1ULL << 62);
			break;
		default:
			err = -EINVAL;
		}
	}
	if (err)
		pr_err("corruption %s not applied (%d)\n",
		       kho_corrupt_names[what], err);
	else
		pr_warn("corrupted the outgoing handover on purpose: %s\n",
			kho_corrupt_names[what]);
}

static struct kho_scratch_entry kho_corrupt_table[KHO_SCRATCH_MAX_ENTRIES];

/*
 * The scratch table an image carries (kexec_file_load, kexec lock held):
 * @table, or a copy whose last entry is damaged (the x86 decompressor places
 * the kernel in the first), or *@nr 0 for handoff-scratch.
 */
const struct kho_scratch_entry *
kho_debug_corrupt_scratch(const struct kho_scratch_entry *table,
			  unsigned int *nr)
{
	enum kho_corrupt what = kho_corrupt_armed;

	if (!*nr || (what != KHO_CORRUPT_SCRATCH_RAM &&
		     what != KHO_CORRUPT_SCRATCH_OVERLAP &&
		     what != KHO_CORRUPT_HANDOFF_SCRATCH))
		return table;
	memcpy(kho_corrupt_table, table, *nr * sizeof(*table));
	if (what == KHO_CORRUPT_SCRATCH_RAM)
		kho_corrupt_table[*nr - 1].addr = KHO_CORRUPT_NOWHERE;
	else if (what == KHO_CORRUPT_SCRATCH_OVERLAP)
		kho_corrupt_table[*nr - 1] = table[0];
	else
		*nr = 0;
	pr_warn("corrupted the outgoing scratch table on purpose: %s\n",
		kho_corrupt_names[what]);
	return kho_corrupt_table;
}

/*
 * Far beyond any real entry: 512 KiB, more than early_memremap() maps
 * (NR_FIX_BTMAPS pages), yet small enough for the early boot code that
 * trusts setup_data lengths (it reserves and maps the entry whole).
 */
#define KHO_CORRUPT_HANDOFF_LEN	0x80000U

/*
 * The length the x86 handoff declares (kexec lock held): @len, or for
 * handoff-length one the next kernel must refuse without mapping it.
 */
u32 kho_debug_handoff_len(u32 len)
{
	if (kho_corrupt_armed != KHO_CORRUPT_HANDOFF_LENGTH)
		return len;
	pr_warn("corrupted the outgoing handover on purpose: %s\n",
		kho_corrupt_names[KHO_CORRUPT_HANDOFF_LENGTH]);
	return KHO_CORRUPT_HANDOFF_LEN;
}

/*
 * Whether the handoff uses upstream KHO's identifiers and layout
 * (other-handoff), which the next kernel must report and ignore.
 */
bool kho_debug_other_handoff(void)
{
	if (kho_corrupt_armed != KHO_CORRUPT_OTHER_HANDOFF)
		return false;
	pr_warn("corrupted the outgoing handover on purpose: %s\n",
		kho_corrupt_names[KHO_CORRUPT_OTHER_HANDOFF]);
	return true;
}

static ssize_t kho_corrupt_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[512];
	int len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kho_corrupt_names); i++)
		len += scnprintf(buf + len, sizeof(buf) - len,
				 i == kho_corrupt_armed ? "[%s] " : "%s ",
				 kho_corrupt_names[i]);
	buf[len - 1] = '\n';
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t kho_corrupt_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[32];
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	i = sysfs_match_string(kho_corrupt_names, strim(buf));
	if (i < 0)
		return i;
	WRITE_ONCE(kho_corrupt_armed, i);
	pr_warn("corruption of the outgoing handover armed: %s\n",
		kho_corrupt_names[i]);
	return count;
}

static const struct file_operations kho_corrupt_fops = {
	.owner = THIS_MODULE,
	.read = kho_corrupt_read,
	.write = kho_corrupt_write,
	.llseek = default_llseek,
};

static int __init kho_debug_init(void)
{
	struct dentry *dir;

	if (!kho_is_enabled())
		return 0;
	dir = debugfs_create_dir("kho", NULL);
	debugfs_create_file("corrupt", 0600, dir, NULL, &kho_corrupt_fops);
	return 0;
}
late_initcall(kho_debug_init);
