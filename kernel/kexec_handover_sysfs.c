// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/kho: the administrator's view of the handover, root only.
 * Documented in Documentation/ABI/testing/sysfs-kernel-kho.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/init.h>
#include <linux/io.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "kexec_handover_internal.h"

static struct kobject *kho_kobj, *kho_out_kobj, *kho_in_kobj;
static struct kobject *kho_out_blobs_kobj, *kho_in_blobs_kobj;

struct kho_blob_attr {
	struct bin_attribute attr;
	char name[KHO_BLOB_NAME_MAX];
	u64 phys;
	u64 size;
};

/* Outgoing blob views, rebuilt when the set of blobs changes. */
static DEFINE_MUTEX(kho_sysfs_lock);
static struct kho_blob_attr *kho_out_views;
static unsigned int kho_out_nr_views;

static ssize_t abort_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", kho_out.aborted);
}

static ssize_t abort_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool val;
	int err;

	err = kstrtobool(buf, &val);
	if (err)
		return err;
	err = kho_set_aborted(val);
	return err ?: count;
}

static struct kobj_attribute abort_attr = __ATTR_RW_MODE(abort, 0600);

static ssize_t scratch_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < kho_nr_scratch; i++)
		len += sysfs_emit_at(buf, len, "0x%llx 0x%llx\n",
				     kho_scratch[i].addr, kho_scratch[i].size);
	return len;
}

static struct kobj_attribute scratch_attr = __ATTR_RO_MODE(scratch, 0400);

static struct attribute *kho_attrs[] = {
	&abort_attr.attr,
	&scratch_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kho);

static ssize_t out_fdt_read(struct file *file, struct kobject *kobj,
			    struct bin_attribute *attr, char *buf,
			    loff_t off, size_t count)
{
	ssize_t ret;

	mutex_lock(&kho_out.lock);
	ret = memory_read_from_buffer(buf, count, &off, kho_out.root,
				      kho_out.aborted ? 0 :
				      fdt_totalsize(kho_out.root));
	mutex_unlock(&kho_out.lock);
	return ret;
}

static struct bin_attribute out_fdt_attr =
	__BIN_ATTR(fdt, 0400, out_fdt_read, NULL, KHO_ROOT_MAX_SIZE);

static ssize_t out_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	unsigned long blocks, nodes;
	u64 bytes = 0;
	unsigned int order;
	int len = 0;

	mutex_lock(&kho_out.lock);
	for (order = 0; order < kho_out.tracker.nr_orders; order++) {
		blocks = kho_out.tracker.nr_blocks[order];
		bytes += (u64)blocks << (PAGE_SHIFT + order);
		if (blocks)
			len += sysfs_emit_at(buf, len, "order %u: %lu blocks\n",
					     order, blocks);
	}
	nodes = kho_out.tracker.nr_nodes;
	len += sysfs_emit_at(buf, len, "preserved_bytes %llu\n", bytes);
	len += sysfs_emit_at(buf, len, "metadata_bytes %lu\n",
			     nodes << PAGE_SHIFT);
	len += sysfs_emit_at(buf, len, "blobs %u\n", kho_out.nr_blobs);
	len += sysfs_emit_at(buf, len, "aborted %d\n", kho_out.aborted);
	mutex_unlock(&kho_out.lock);
	return len;
}

static struct kobj_attribute out_stats_attr = __ATTR(stats, 0400,
						      out_stats_show, NULL);

static ssize_t in_fdt_read(struct file *file, struct kobject *kobj,
			   struct bin_attribute *attr, char *buf,
			   loff_t off, size_t count)
{
	size_t size;
	const void *root = kho_in_root(&size);

	return memory_read_from_buffer(buf, count, &off, root, size);
}

static struct bin_attribute in_fdt_attr =
	__BIN_ATTR(fdt, 0400, in_fdt_read, NULL, KHO_ROOT_MAX_SIZE);

static ssize_t in_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct kho_in_stats *s = &kho_in_stats;
	unsigned int order;
	int len = 0;

	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++) {
		if (s->blocks[order])
			len += sysfs_emit_at(buf, len, "order %u: %lu blocks\n",
					     order, s->blocks[order]);
	}
	len += sysfs_emit_at(buf, len, "preserved_bytes %llu\n",
			     s->preserved_bytes);
	len += sysfs_emit_at(buf, len, "deferred_bytes %llu\n",
			     s->deferred_bytes);
	len += sysfs_emit_at(buf, len, "claimed_bytes %llu\n", s->claimed_bytes);
	len += sysfs_emit_at(buf, len, "released_bytes %llu\n",
			     s->released_bytes);
	len += sysfs_emit_at(buf, len, "metadata_bytes %llu\n",
			     s->tracker_bytes);
	len += sysfs_emit_at(buf, len, "bad_blocks %lu\n", s->bad_blocks);
	len += sysfs_emit_at(buf, len, "released %d\n", s->released);
	return len;
}

static struct kobj_attribute in_stats_attr = __ATTR(stats, 0400,
						     in_stats_show, NULL);

static ssize_t release_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool val;
	int err;

	err = kstrtobool(buf, &val);
	if (err || !val)
		return err ?: -EINVAL;
	err = kho_in_release_unclaimed();
	return err ?: count;
}

static struct kobj_attribute release_attr = __ATTR_WO(release);

static ssize_t blob_read(struct file *file, struct kobject *kobj,
			 struct bin_attribute *attr, char *buf,
			 loff_t off, size_t count)
{
	const struct kho_blob_attr *v =
		container_of(attr, struct kho_blob_attr, attr);
	ssize_t ret;

	if (kobj == kho_in_blobs_kobj)
		return kho_in_read_blob(v->phys, v->size, buf, off, count);
	mutex_lock(&kho_out.lock);
	ret = memory_read_from_buffer(buf, count, &off, phys_to_virt(v->phys),
				      v->size);
	mutex_unlock(&kho_out.lock);
	return ret;
}

static void kho_blob_attr_init(struct kho_blob_attr *v, const char *name,
			       u64 phys, u64 size)
{
	strscpy(v->name, name, sizeof(v->name));
	v->phys = phys;
	v->size = size;
	sysfs_bin_attr_init(&v->attr);
	v->attr.attr.name = v->name;
	v->attr.attr.mode = 0400;
	v->attr.size = size;
	v->attr.read = blob_read;
}

/**
 * kho_sysfs_blobs_changed() - refresh out/blobs after kho_add_blob() or
 * kho_remove_blob()
 */
void kho_sysfs_blobs_changed(void)
{
	struct kho_blob_attr *views;
	struct kho_blob *b;
	unsigned int i, n = 0;

	mutex_lock(&kho_sysfs_lock);
	if (!kho_out_blobs_kobj)
		goto out;
	for (i = 0; i < kho_out_nr_views; i++)
		sysfs_remove_bin_file(kho_out_blobs_kobj, &kho_out_views[i].attr);
	kfree(kho_out_views);
	kho_out_views = NULL;
	kho_out_nr_views = 0;

	mutex_lock(&kho_out.lock);
	views = kcalloc(kho_out.nr_blobs, sizeof(*views), GFP_KERNEL);
	if (views) {
		list_for_each_entry(b, &kho_out.blobs, list)
			kho_blob_attr_init(&views[n++], b->name, b->phys, b->size);
	}
	mutex_unlock(&kho_out.lock);
	for (i = 0; i < n; i++) {
		if (sysfs_create_bin_file(kho_out_blobs_kobj, &views[i].attr))
			pr_warn("no sysfs view for blob %s\n", views[i].name);
	}
	kho_out_views = views;
	kho_out_nr_views = n;
out:
	mutex_unlock(&kho_sysfs_lock);
}

static int __init kho_sysfs_in_blobs(void)
{
	struct kho_root_blob blob;
	struct kho_blob_attr *v;
	const void *root;
	size_t size;
	int cur = 0;

	root = kho_in_root(&size);
	if (!root)
		return 0;
	while ((cur = kho_root_next_blob(root, cur, &blob)) > 0) {
		v = kzalloc(sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		kho_blob_attr_init(v, blob.name, blob.phys, blob.size);
		if (sysfs_create_bin_file(kho_in_blobs_kobj, &v->attr)) {
			kfree(v);
			pr_warn("no sysfs view for incoming blob %s\n", blob.name);
		}
	}
	return 0;
}

static int __init kho_sysfs_add(struct kobject **kobj, const char *name,
				struct kobject *parent)
{
	*kobj = kobject_create_and_add(name, parent);
	return *kobj ? 0 : -ENOMEM;
}

static int __init kho_sysfs_init(void)
{
	size_t size;
	int err;

	err = kho_sysfs_add(&kho_kobj, "kho", kernel_kobj);
	if (err)
		return err;
	err = sysfs_create_groups(kho_kobj, kho_groups);
	if (!err && kho_out.ready) {
		err = kho_sysfs_add(&kho_out_kobj, "out", kho_kobj);
		err = err ?: sysfs_create_bin_file(kho_out_kobj, &out_fdt_attr);
		err = err ?: sysfs_create_file(kho_out_kobj, &out_stats_attr.attr);
		err = err ?: kho_sysfs_add(&kho_out_blobs_kobj, "blobs",
					   kho_out_kobj);
	}
	if (!err && kho_in_root(&size)) {
		err = kho_sysfs_add(&kho_in_kobj, "in", kho_kobj);
		err = err ?: sysfs_create_bin_file(kho_in_kobj, &in_fdt_attr);
		err = err ?: sysfs_create_file(kho_in_kobj, &in_stats_attr.attr);
		err = err ?: sysfs_create_file(kho_in_kobj, &release_attr.attr);
		err = err ?: kho_sysfs_add(&kho_in_blobs_kobj, "blobs",
					   kho_in_kobj);
		err = err ?: kho_sysfs_in_blobs();
	}
	if (err)
		pr_err("cannot create /sys/kernel/kho: %d\n", err);
	else
		kho_sysfs_blobs_changed();
	return err;
}
late_initcall(kho_sysfs_init);
