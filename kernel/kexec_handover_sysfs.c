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
#include <linux/notifier.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "kexec_handover_internal.h"

static struct kobject *kho_kobj, *kho_out_kobj, *kho_in_kobj;
static struct kobject *kho_out_clients_kobj, *kho_in_clients_kobj;

struct kho_blob_attr {
	struct bin_attribute attr;
	char name[KHO_NAME_MAX];
	u64 phys;
	u64 size;
	bool incoming;
};

/* The sysfs side of an outgoing client: out/clients/NAME. */
struct kho_client_sysfs {
	struct kobject *kobj;
	struct kobject *blobs_kobj;
	struct kho_blob_attr *views;
	unsigned int nr_views;
};

/*
 * Every file is root's. Those that show memory contents or physical
 * addresses (trees, blobs, scratch) are also closed under kernel lockdown
 * (confidentiality).
 */
static int kho_sysfs_locked_down(void)
{
	return security_locked_down(LOCKDOWN_KHO_READ);
}

/* Client directories and blob views; sysfs is set up at late_initcall. */
static DEFINE_MUTEX(kho_sysfs_lock);

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

	len = kho_sysfs_locked_down();
	if (len)
		return len;
	for (i = 0; i < kho_nr_scratch; i++)
		len += sysfs_emit_at(buf, len, "0x%llx 0x%llx\n",
				     kho_scratch[i].addr, kho_scratch[i].size);
	return len;
}

static struct kobj_attribute scratch_attr = __ATTR_RO_MODE(scratch, 0400);

static ssize_t incoming_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	const char *why;

	if (kho_in_status(&why))
		return sysfs_emit(buf, "accepted\n");
	if (why)
		return sysfs_emit(buf, "rejected: %s\n", why);
	return sysfs_emit(buf, "none\n");
}

static struct kobj_attribute incoming_attr = __ATTR_RO_MODE(incoming, 0400);

static struct attribute *kho_attrs[] = {
	&abort_attr.attr,
	&scratch_attr.attr,
	&incoming_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kho);

static ssize_t out_fdt_read(struct file *file, struct kobject *kobj,
			    struct bin_attribute *attr, char *buf,
			    loff_t off, size_t count)
{
	ssize_t ret;

	ret = kho_sysfs_locked_down();
	if (ret)
		return ret;
	mutex_lock(&kho_out.lock);
	ret = memory_read_from_buffer(buf, count, &off, kho_out.root,
				      kho_out.aborted ? 0 :
				      fdt_totalsize(kho_out.root));
	mutex_unlock(&kho_out.lock);
	return ret;
}

static struct bin_attribute out_fdt_attr =
	__BIN_ATTR(fdt, 0400, out_fdt_read, NULL, KHO_ROOT_MAX_SIZE);

static void kho_add_tracker(const struct kho_tracker *t, unsigned long *blocks,
			    u64 *bytes, u64 *meta)
{
	unsigned int order;

	for (order = 0; order < t->nr_orders; order++) {
		blocks[order] += t->nr_blocks[order];
		*bytes += (u64)t->nr_blocks[order] << (PAGE_SHIFT + order);
	}
	*meta += (u64)t->nr_nodes << PAGE_SHIFT;
}

static ssize_t out_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	unsigned long blocks[KHO_TRACKER_MAX_ORDERS] = { };
	struct kho_client *c;
	u64 bytes = 0, meta = 0;
	unsigned int order, nr_blobs = 0;
	int len = 0;

	mutex_lock(&kho_out.lock);
	kho_add_tracker(&kho_out.tracker, blocks, &bytes, &meta);
	list_for_each_entry(c, &kho_out.clients, list) {
		kho_add_tracker(&c->tracker, blocks, &bytes, &meta);
		nr_blobs += c->nr_blobs;
	}
	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++) {
		if (blocks[order])
			len += sysfs_emit_at(buf, len, "order %u: %lu blocks\n",
					     order, blocks[order]);
	}
	len += sysfs_emit_at(buf, len, "preserved_bytes %llu\n", bytes);
	len += sysfs_emit_at(buf, len, "metadata_bytes %llu\n", meta);
	len += sysfs_emit_at(buf, len, "clients %u\n", kho_out.nr_clients);
	len += sysfs_emit_at(buf, len, "blobs %u\n", nr_blobs);
	len += sysfs_emit_at(buf, len, "aborted %d\n", kho_out.aborted);
	mutex_unlock(&kho_out.lock);
	return len;
}

static struct kobj_attribute out_stats_attr = __ATTR(stats, 0400,
						      out_stats_show, NULL);

/* The outgoing client behind out/clients/NAME; kho_out.lock held. */
static struct kho_client *kho_sysfs_out_client(struct kobject *kobj)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (c->sysfs && c->sysfs->kobj == kobj)
			return c;
	}
	return NULL;
}

static ssize_t out_client_stats_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	struct kho_client *c;
	unsigned long blocks;
	int len = -ENODEV;
	u64 bytes;

	mutex_lock(&kho_out.lock);
	c = kho_sysfs_out_client(kobj);
	if (c) {
		blocks = kho_tracker_blocks(&c->tracker, &bytes);
		len = sysfs_emit(buf, "compatible %s\n", c->compatible);
		len += sysfs_emit_at(buf, len, "blocks %lu\nbytes %llu\n",
				     blocks, bytes);
		len += sysfs_emit_at(buf, len, "blobs %u\nprepared %d\n",
				     c->nr_blobs, c->prepared);
	}
	mutex_unlock(&kho_out.lock);
	return len;
}

static struct kobj_attribute out_client_stats_attr =
	__ATTR(stats, 0400, out_client_stats_show, NULL);

static ssize_t in_fdt_read(struct file *file, struct kobject *kobj,
			   struct bin_attribute *attr, char *buf,
			   loff_t off, size_t count)
{
	size_t size;
	const void *root = kho_in_root(&size);
	int err = kho_sysfs_locked_down();

	return err ?: memory_read_from_buffer(buf, count, &off, root, size);
}

static struct bin_attribute in_fdt_attr =
	__BIN_ATTR(fdt, 0400, in_fdt_read, NULL, KHO_ROOT_MAX_SIZE);

static ssize_t in_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct kho_in_stats *s = &kho_in_stats;
	unsigned int order, nr;
	int len = 0;

	kho_in_clients(&nr);
	for (order = 0; order < KHO_TRACKER_MAX_ORDERS; order++) {
		if (s->blocks[order])
			len += sysfs_emit_at(buf, len, "order %u: %lu blocks\n",
					     order, s->blocks[order]);
	}
	len += sysfs_emit_at(buf, len, "preserved_bytes %llu\n",
			     s->preserved_bytes);
	len += sysfs_emit_at(buf, len, "deferred_bytes %llu\n",
			     s->deferred_bytes);
	len += sysfs_emit_at(buf, len, "claimed_bytes %llu\n",
			     (u64)atomic64_read(&s->claimed_bytes));
	len += sysfs_emit_at(buf, len, "released_bytes %llu\n",
			     s->released_bytes);
	len += sysfs_emit_at(buf, len, "metadata_bytes %llu\n",
			     s->tracker_bytes);
	len += sysfs_emit_at(buf, len, "bad_blocks %lu\n", s->bad_blocks);
	len += sysfs_emit_at(buf, len, "clients %u\n", nr);
	len += sysfs_emit_at(buf, len, "release_delay %ld\n",
			     kho_in_release_policy());
	len += sysfs_emit_at(buf, len, "released_finish %u\n",
			     s->released_finish);
	len += sysfs_emit_at(buf, len, "released_incompatible %u\n",
			     s->released_rejected);
	len += sysfs_emit_at(buf, len, "released_timeout %u\n",
			     s->released_timeout);
	len += sysfs_emit_at(buf, len, "released_sysfs %u\n",
			     s->released_sysfs);
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

static ssize_t kho_in_meta_show(char *buf, int what)
{
	struct kho_root_meta meta;
	size_t size;
	const void *root = kho_in_root(&size);

	if (!root || kho_root_get_meta(root, &meta))
		return -ENODATA;
	switch (what) {
	case 0:
		return sysfs_emit(buf, "%s\n", meta.release);
	case 1:
		return sysfs_emit(buf, "%u\n", meta.boot_count);
	default:
		return sysfs_emit(buf, "%llu\n", meta.frozen_at);
	}
}

static ssize_t previous_release_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return kho_in_meta_show(buf, 0);
}

static ssize_t boot_count_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return kho_in_meta_show(buf, 1);
}

static ssize_t frozen_at_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return kho_in_meta_show(buf, 2);
}

static struct kobj_attribute previous_release_attr =
	__ATTR_RO_MODE(previous_release, 0400);
static struct kobj_attribute boot_count_attr = __ATTR_RO_MODE(boot_count, 0400);
static struct kobj_attribute frozen_at_attr = __ATTR_RO_MODE(frozen_at, 0400);

static struct attribute *kho_in_attrs[] = {
	&in_stats_attr.attr,
	&release_attr.attr,
	&previous_release_attr.attr,
	&boot_count_attr.attr,
	&frozen_at_attr.attr,
	NULL,
};

static const struct attribute_group kho_in_group = {
	.attrs = kho_in_attrs,
};

static const char * const kho_in_state_names[] = {
	[KHO_IN_PENDING] = "pending",
	[KHO_IN_ACTIVE] = "active",
	[KHO_IN_FINISHED] = "finished",
	[KHO_IN_RELEASED] = "released",
	[KHO_IN_REJECTED] = "rejected",
	[KHO_IN_DROPPED] = "dropped",
};

static ssize_t in_client_stats_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct kho_in_client *clients, *ic = NULL;
	unsigned int i, nr;
	int len;

	clients = kho_in_clients(&nr);
	for (i = 0; i < nr; i++) {
		if (clients[i].kobj == kobj)
			ic = &clients[i];
	}
	if (!ic)
		return -ENODEV;
	len = sysfs_emit(buf, "compatible %s\nstate %s\nreleased_by %s\n",
			 ic->compatible, kho_in_state_names[ic->state],
			 ic->released_by ?: "-");
	len += sysfs_emit_at(buf, len, "blocks %lu\nbytes %llu\nblobs %u\n",
			     ic->blocks, ic->preserved_bytes, ic->nr_blobs);
	len += sysfs_emit_at(buf, len, "restored_bytes %llu\nreleased_bytes %llu\n",
			     (u64)atomic64_read(&ic->restored_bytes),
			     ic->released_bytes);
	return len;
}

static struct kobj_attribute in_client_stats_attr =
	__ATTR(stats, 0400, in_client_stats_show, NULL);

static ssize_t blob_read(struct file *file, struct kobject *kobj,
			 struct bin_attribute *attr, char *buf,
			 loff_t off, size_t count)
{
	const struct kho_blob_attr *v =
		container_of(attr, struct kho_blob_attr, attr);
	ssize_t ret;

	ret = kho_sysfs_locked_down();
	if (ret)
		return ret;
	if (v->incoming)
		return kho_in_read_blob(v->phys, v->size, buf, off, count);
	mutex_lock(&kho_out.lock);
	ret = memory_read_from_buffer(buf, count, &off, phys_to_virt(v->phys),
				      v->size);
	mutex_unlock(&kho_out.lock);
	return ret;
}

static void kho_blob_attr_init(struct kho_blob_attr *v, const char *name,
			       u64 phys, u64 size, bool incoming)
{
	strscpy(v->name, name, sizeof(v->name));
	v->phys = phys;
	v->size = size;
	v->incoming = incoming;
	sysfs_bin_attr_init(&v->attr);
	v->attr.attr.name = v->name;
	v->attr.attr.mode = 0400;
	v->attr.size = size;
	v->attr.read = blob_read;
}

/* Rebuild out/clients/NAME/blobs; kho_sysfs_lock held. */
static void kho_sysfs_refresh_blobs(struct kho_client *client)
{
	struct kho_client_sysfs *cs = client->sysfs;
	struct kho_blob_attr *views;
	struct kho_blob *b;
	unsigned int i, n = 0;

	for (i = 0; i < cs->nr_views; i++)
		sysfs_remove_bin_file(cs->blobs_kobj, &cs->views[i].attr);
	kfree(cs->views);
	cs->views = NULL;
	cs->nr_views = 0;

	mutex_lock(&kho_out.lock);
	views = kcalloc(client->nr_blobs, sizeof(*views), GFP_KERNEL);
	if (views) {
		list_for_each_entry(b, &client->blobs, list)
			kho_blob_attr_init(&views[n++], b->name, b->phys,
					   b->size, false);
	}
	mutex_unlock(&kho_out.lock);
	for (i = 0; i < n; i++) {
		if (sysfs_create_bin_file(cs->blobs_kobj, &views[i].attr))
			pr_warn("no sysfs view for blob %s of %s\n",
				views[i].name, client->name);
	}
	cs->views = views;
	cs->nr_views = n;
}

/*
 * Create out/clients/NAME, unless it exists: a client that registers while
 * sysfs comes up is added by both. kho_sysfs_lock held.
 */
static void kho_sysfs_add_client(struct kho_client *client)
{
	struct kho_client_sysfs *cs;

	if (client->sysfs)
		return;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	if (!cs)
		goto fail;
	cs->kobj = kobject_create_and_add(client->name, kho_out_clients_kobj);
	if (!cs->kobj)
		goto fail;
	if (sysfs_create_file(cs->kobj, &out_client_stats_attr.attr))
		goto fail;
	cs->blobs_kobj = kobject_create_and_add("blobs", cs->kobj);
	if (!cs->blobs_kobj)
		goto fail;
	client->sysfs = cs;
	kho_sysfs_refresh_blobs(client);
	return;
fail:
	if (cs)
		kobject_put(cs->kobj);
	kfree(cs);
	pr_warn("no sysfs directory for client %s\n", client->name);
}

/* out/clients/NAME goes away with its client. kho_sysfs_lock held. */
static void kho_sysfs_remove_client(struct kho_client *client)
{
	struct kho_client_sysfs *cs = client->sysfs;
	unsigned int i;

	client->sysfs = NULL;
	if (!cs)
		return;
	for (i = 0; i < cs->nr_views; i++)
		sysfs_remove_bin_file(cs->blobs_kobj, &cs->views[i].attr);
	kobject_put(cs->blobs_kobj);
	kobject_put(cs->kobj);
	kfree(cs->views);
	kfree(cs);
}

/* The core's client events (enum kho_client_event), once sysfs is up. */
static int kho_sysfs_client_event(struct notifier_block *nb,
				  unsigned long event, void *data)
{
	struct kho_client *client = data;

	mutex_lock(&kho_sysfs_lock);
	switch (event) {
	case KHO_CLIENT_ADDED:
		kho_sysfs_add_client(client);
		break;
	case KHO_CLIENT_REMOVED:
		kho_sysfs_remove_client(client);
		break;
	case KHO_CLIENT_BLOBS_CHANGED:
		if (client->sysfs)
			kho_sysfs_refresh_blobs(client);
		break;
	}
	mutex_unlock(&kho_sysfs_lock);
	return NOTIFY_DONE;
}

static struct notifier_block kho_sysfs_client_nb = {
	.notifier_call = kho_sysfs_client_event,
};

/* in/clients/NAME with its stats and blobs. */
static int __init kho_sysfs_in_client(const void *root, struct kho_in_client *ic)
{
	struct kho_root_blob blob;
	struct kho_blob_attr *v;
	struct kobject *blobs;
	int cur = 0;

	ic->kobj = kobject_create_and_add(ic->name, kho_in_clients_kobj);
	if (!ic->kobj || sysfs_create_file(ic->kobj, &in_client_stats_attr.attr))
		return -ENOMEM;
	blobs = kobject_create_and_add("blobs", ic->kobj);
	if (!blobs)
		return -ENOMEM;
	while ((cur = kho_root_next_blob(root, ic->node, cur, &blob)) > 0) {
		v = kzalloc(sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		kho_blob_attr_init(v, blob.name, blob.phys, blob.size, true);
		if (sysfs_create_bin_file(blobs, &v->attr)) {
			kfree(v);
			pr_warn("no sysfs view for incoming blob %s of %s\n",
				blob.name, ic->name);
		}
	}
	return 0;
}

static int __init kho_sysfs_in(void)
{
	struct kho_in_client *clients;
	unsigned int i, nr;
	const void *root;
	size_t size;
	int err;

	root = kho_in_root(&size);
	if (!root)
		return 0;
	kho_in_kobj = kobject_create_and_add("in", kho_kobj);
	if (!kho_in_kobj)
		return -ENOMEM;
	err = sysfs_create_bin_file(kho_in_kobj, &in_fdt_attr);
	err = err ?: sysfs_create_group(kho_in_kobj, &kho_in_group);
	if (err)
		return err;
	kho_in_clients_kobj = kobject_create_and_add("clients", kho_in_kobj);
	if (!kho_in_clients_kobj)
		return -ENOMEM;
	clients = kho_in_clients(&nr);
	for (i = 0; !err && i < nr; i++)
		err = kho_sysfs_in_client(root, &clients[i]);
	return err;
}

static int __init kho_sysfs_out(void)
{
	struct kho_client *c;
	int err;

	if (!kho_out.ready)
		return 0;
	kho_out_kobj = kobject_create_and_add("out", kho_kobj);
	if (!kho_out_kobj)
		return -ENOMEM;
	err = sysfs_create_bin_file(kho_out_kobj, &out_fdt_attr);
	err = err ?: sysfs_create_file(kho_out_kobj, &out_stats_attr.attr);
	if (err)
		return err;
	kho_out_clients_kobj = kobject_create_and_add("clients", kho_out_kobj);
	if (!kho_out_clients_kobj)
		return -ENOMEM;
	/*
	 * Clients that register from now on come as events; those already
	 * registered are added here (a client in both is added once). The
	 * client lock comes first: lifecycle callbacks, called with it held,
	 * publish blobs.
	 */
	err = kho_client_notifier_register(&kho_sysfs_client_nb);
	if (err)
		return err;
	kho_clients_lock();
	mutex_lock(&kho_sysfs_lock);
	list_for_each_entry(c, &kho_out.clients, list)
		kho_sysfs_add_client(c);
	mutex_unlock(&kho_sysfs_lock);
	kho_clients_unlock();
	return 0;
}

static int __init kho_sysfs_init(void)
{
	int err;

	kho_kobj = kobject_create_and_add("kho", kernel_kobj);
	if (!kho_kobj)
		return -ENOMEM;
	err = sysfs_create_groups(kho_kobj, kho_groups);
	err = err ?: kho_sysfs_out();
	err = err ?: kho_sysfs_in();
	if (err)
		pr_err("cannot create /sys/kernel/kho: %d\n", err);
	return err;
}
late_initcall(kho_sysfs_init);
