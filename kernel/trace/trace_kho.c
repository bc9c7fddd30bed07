// SPDX-License-Identifier: GPL-2.0
/*
 * Trace instances that survive kexec, through the kexec handover (KHO).
 *
 * A preserved instance ("trace_instance=NAME^kho") is an ordinary range
 * instance (like the boot instances on reserve_mem= regions) whose range
 * is made of pages allocated at run time and mapped with vmap(): no memory
 * is carved out at boot. When a kexec image carrying the handover is
 * loaded, this client preserves the pages and publishes their addresses
 * (include/linux/kho/trace.h); the ring buffer keeps its own meta data in
 * the range, so it records up to the jump. The next kernel maps the same
 * pages again and creates the instance, whose ring buffer code validates
 * the meta data and every event of the previous kernel before it shows
 * them.
 *
 * Copyright (C) 2026 The KHO project
 */

#define pr_fmt(fmt) "tracing: kho: " fmt

#include <linux/debugfs.h>
#include <linux/jhash.h>
#include <linux/kexec_handover.h>
#include <linux/kho/trace.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/ring_buffer.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/trace.h>
#include <linux/vmalloc.h>

#include "trace.h"
#include "trace_kho.h"
#include "trace_output.h"

/**
 * struct tkho_instance - a trace instance on a range of KHO pages
 * @list: in tkho_instances
 * @tr: the instance
 * @pages: the pages of the range, in mapping order
 * @nr_cpus: CPU chunks in the range
 * @cpu_pages: pages per chunk
 * @vaddr: the mapping of @pages
 * @preserve: hand it over at the next kexec
 * @preserved: its pages are preserved (between prepare and abort)
 * @addrs: the page addresses the next kernel reads, while @preserved
 * @events: ids of the previous kernel's events this kernel decodes the
 *	same way, or NULL when the instance holds no previous kernel's data
 */
struct tkho_instance {
	struct list_head list;
	struct trace_array *tr;
	struct page **pages;
	unsigned int nr_cpus;
	unsigned int cpu_pages;
	void *vaddr;
	bool preserve;
	bool preserved;
	struct kho_array addrs;
	unsigned long *events;
};

/* A trace_instance=NAME^kho request, served once the handover is read. */
struct tkho_boot {
	struct list_head list;
	char *name;
	char *events;
	bool traceoff;
};

static LIST_HEAD(tkho_instances);
static DEFINE_MUTEX(tkho_mutex);
static LIST_HEAD(tkho_boot_list);
static struct kho_client *tkho_client;
static void *tkho_fdt;
static struct kho_array tkho_events;
static unsigned long tkho_buf_size;
/* Between a successful prepare and the abort. */
static bool tkho_prepared;

static unsigned long tkho_nr_pages(const struct tkho_instance *ti)
{
	return (unsigned long)ti->nr_cpus * ti->cpu_pages;
}

static void tkho_free_pages(struct page **pages, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		if (pages[i])
			__free_page(pages[i]);
}

/* Fill the slots of @pages that are still empty with zeroed pages. */
static int tkho_fill(struct page **pages, unsigned int nr_cpus,
		     unsigned int cpu_pages)
{
	unsigned int cpu, i;
	struct page **p;
	int nid;

	for (cpu = 0; cpu < nr_cpus; cpu++) {
		p = pages + (unsigned long)cpu * cpu_pages;
		nid = cpu_possible(cpu) ? cpu_to_node(cpu) : NUMA_NO_NODE;
		for (i = 0; i < cpu_pages; i++) {
			if (p[i])
				continue;
			p[i] = alloc_pages_node(nid, GFP_KERNEL | __GFP_ZERO, 0);
			if (!p[i])
				return -ENOMEM;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Create the instance @name on @pages (nr_cpus * cpu_pages, taken over by
 * the instance on success). @events is taken over in any case.
 */
static struct tkho_instance *tkho_create(const char *name, struct page **pages,
					 unsigned int nr_cpus,
					 unsigned int cpu_pages,
					 unsigned long *events)
{
	struct tkho_instance *ti;
	unsigned long nr = (unsigned long)nr_cpus * cpu_pages;
	struct trace_array *tr;
	int err = -ENOMEM;

	ti = kzalloc(sizeof(*ti), GFP_KERNEL);
	if (!ti)
		goto fail;
	ti->nr_cpus = nr_cpus;
	ti->cpu_pages = cpu_pages;
	ti->vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	if (!ti->vaddr)
		goto fail;
	tr = trace_array_create_mapped(name, (unsigned long)ti->vaddr,
				       nr << PAGE_SHIFT);
	if (IS_ERR(tr)) {
		err = PTR_ERR(tr);
		goto fail;
	}
	ti->tr = tr;
	ti->pages = pages;
	ti->events = (tr->flags & TRACE_ARRAY_FL_LAST_BOOT) ? events : NULL;
	if (!ti->events)
		bitmap_free(events);
	mutex_lock(&tkho_mutex);
	list_add_tail_rcu(&ti->list, &tkho_instances);
	mutex_unlock(&tkho_mutex);
	return ti;
fail:
	pr_err("cannot create instance %s (%d)\n", name, err);
	bitmap_free(events);
	if (ti && ti->vaddr)
		vunmap(ti->vaddr);
	kfree(ti);
	return ERR_PTR(err);
}

static struct tkho_instance *tkho_find(const char *name)
{
	struct tkho_instance *ti;

	list_for_each_entry(ti, &tkho_instances, list)
		if (!strcmp(ti->tr->name, name))
			return ti;
	return NULL;
}

/* ---- Event types: what this kernel can decode of the previous one ---- */

static u32 tkho_event_hash(struct trace_event_call *call)
{
	struct ftrace_event_field *field;
	const char *name = trace_event_name(call);
	const char *system = call->class->system;
	struct list_head *fields;
	u32 h = 0;

	if (system)
		h = jhash(system, strlen(system), h);
	if (name)
		h = jhash(name, strlen(name), h);
	fields = trace_get_fields(call);
	if (!fields)
		return h;
	list_for_each_entry(field, fields, link) {
		h = jhash(field->name, strlen(field->name), h);
		h = jhash(field->type, strlen(field->type), h);
		h = jhash_3words(field->offset, field->size, field->is_signed, h);
	}
	return h;
}

static int tkho_events_save(void)
{
	struct trace_event_call *call;
	struct kho_trace_event *rec;
	int err = 0;

	guard(mutex)(&event_mutex);
	list_for_each_entry(call, &ftrace_events, list) {
		if (!call->event.type || call->event.type >= KHO_TRACE_MAX_EVENTS)
			continue;
		rec = kho_array_add(&tkho_events);
		if (!rec) {
			err = -ENOMEM;
			break;
		}
		rec->id = call->event.type;
		rec->hash = tkho_event_hash(call);
	}
	return err;
}

static int tkho_event_check(void *arg, const void *rec, unsigned long i)
{
	const struct kho_trace_event *e = rec;
	struct trace_event_call *call;
	unsigned long *ok = arg;

	if (e->id >= KHO_TRACE_MAX_EVENTS)
		return -EINVAL;
	/* Records that point into the previous kernel: never decoded. */
	if (e->id == TRACE_BPRINT || e->id == TRACE_BPUTS)
		return 0;
	list_for_each_entry(call, &ftrace_events, list) {
		if (call->event.type == e->id) {
			if (tkho_event_hash(call) == e->hash)
				__set_bit(e->id, ok);
			break;
		}
	}
	return 0;
}

static unsigned long *tkho_events_restore(phys_addr_t phys)
{
	unsigned long *ok;
	long n;

	ok = bitmap_zalloc(KHO_TRACE_MAX_EVENTS, GFP_KERNEL);
	if (!ok)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&event_mutex);
	n = kho_array_restore(tkho_client, phys, sizeof(struct kho_trace_event),
			      tkho_event_check, ok);
	mutex_unlock(&event_mutex);
	if (n < 0 || n > KHO_TRACE_MAX_EVENTS) {
		bitmap_free(ok);
		return ERR_PTR(n < 0 ? n : -E2BIG);
	}
	return ok;
}

/**
 * trace_kho_event_foreign - is a record of the previous kernel undecodable?
 * @tr: the instance the record is in
 * @type: the record's type
 *
 * Context: any context.
 * Return: true if @tr holds the previous kernel's records and this kernel
 * has no event of type @type with the same layout.
 */
bool trace_kho_event_foreign(struct trace_array *tr, int type)
{
	struct tkho_instance *ti;
	bool foreign = false;

	rcu_read_lock();
	list_for_each_entry_rcu(ti, &tkho_instances, list) {
		if (ti->tr != tr)
			continue;
		foreign = ti->events &&
			(type <= 0 || type >= KHO_TRACE_MAX_EVENTS ||
			 !test_bit(type, ti->events));
		break;
	}
	rcu_read_unlock();
	return foreign;
}

/**
 * trace_kho_print_foreign - print a record this kernel cannot decode
 * @iter: the iterator at the record
 *
 * Context: reading a trace file.
 * Return: the print status of the line.
 */
enum print_line_t trace_kho_print_foreign(struct trace_iterator *iter)
{
	struct trace_seq *s = &iter->seq;

	if (iter->tr->trace_flags & TRACE_ITER_CONTEXT_INFO)
		trace_print_context(iter);
	trace_seq_printf(s, "[event type %d of the previous kernel: not decoded here]\n",
			 iter->ent->type);
	return trace_handle_return(s);
}

/* ---- Handing the instances over ---- */

static void tkho_unpreserve(struct tkho_instance *ti)
{
	unsigned long i;

	if (!ti->preserved)
		return;
	for (i = 0; i < tkho_nr_pages(ti); i++)
		kho_unpreserve_pages(tkho_client, ti->pages[i], 1);
	kho_array_destroy(&ti->addrs);
	ti->preserved = false;
}

static int tkho_preserve(struct tkho_instance *ti)
{
	unsigned long i;
	u64 *rec;
	int err;

	err = kho_array_init(&ti->addrs, tkho_client, sizeof(u64));
	if (err)
		return err;
	for (i = 0; i < tkho_nr_pages(ti); i++) {
		rec = kho_array_add(&ti->addrs);
		err = rec ? kho_preserve_pages(tkho_client, ti->pages[i], 1) :
			    -ENOMEM;
		if (err)
			break;
		*rec = page_to_phys(ti->pages[i]);
	}
	if (err) {
		while (i--)
			kho_unpreserve_pages(tkho_client, ti->pages[i], 1);
		kho_array_destroy(&ti->addrs);
		return err;
	}
	ti->preserved = true;
	return 0;
}

static void tkho_drop(void)
{
	struct tkho_instance *ti;

	lockdep_assert_held(&tkho_mutex);
	if (tkho_fdt) {
		kho_remove_blob(tkho_client, KHO_TRACE_BLOB);
		kho_unpreserve_free(tkho_client, tkho_fdt);
		tkho_fdt = NULL;
	}
	list_for_each_entry(ti, &tkho_instances, list)
		tkho_unpreserve(ti);
	kho_array_destroy(&tkho_events);
}

static int tkho_build_fdt(void *fdt, size_t size)
{
	struct tkho_instance *ti;
	char node[24];
	int err, n = 0;

	err = fdt_create(fdt, size);
	err = err ?: fdt_finish_reservemap(fdt);
	err = err ?: fdt_begin_node(fdt, "");
	err = err ?: fdt_property_string(fdt, "compatible", KHO_TRACE_COMPATIBLE);
	err = err ?: fdt_property_u64(fdt, KHO_TRACE_PROP_EVENTS,
				      kho_array_phys(&tkho_events));
	list_for_each_entry(ti, &tkho_instances, list) {
		if (!ti->preserved)
			continue;
		snprintf(node, sizeof(node), "instance-%d", n++);
		err = err ?: fdt_begin_node(fdt, node);
		err = err ?: fdt_property_string(fdt, KHO_TRACE_PROP_NAME,
						 ti->tr->name);
		err = err ?: fdt_property_u32(fdt, KHO_TRACE_PROP_NR_CPUS,
					      ti->nr_cpus);
		err = err ?: fdt_property_u32(fdt, KHO_TRACE_PROP_CPU_PAGES,
					      ti->cpu_pages);
		err = err ?: fdt_property_u64(fdt, KHO_TRACE_PROP_PAGES,
					      kho_array_phys(&ti->addrs));
		err = err ?: fdt_end_node(fdt);
	}
	err = err ?: fdt_end_node(fdt);
	err = err ?: fdt_finish(fdt);
	return err ? -ENOSPC : 0;
}

static int __tkho_prepare(struct kho_client *client)
{
	struct tkho_instance *ti;
	unsigned int n = 0;
	size_t size;
	int err = 0;

	lockdep_assert_held(&tkho_mutex);
	/* Called on every load: start from scratch. */
	tkho_drop();
	list_for_each_entry(ti, &tkho_instances, list) {
		if (!ti->preserve)
			continue;
		if (n == KHO_TRACE_MAX_INSTANCES) {
			pr_warn("instance %s not handed over: more than %d\n",
				ti->tr->name, KHO_TRACE_MAX_INSTANCES);
			continue;
		}
		err = tkho_preserve(ti);
		if (err)
			goto fail;
		n++;
	}
	tkho_prepared = true;
	if (!n)
		return 0;
	err = kho_array_init(&tkho_events, client,
			     sizeof(struct kho_trace_event));
	err = err ?: tkho_events_save();
	if (err)
		goto fail;
	size = PAGE_SIZE + n * (128 + KHO_TRACE_MAX_NAME);
	tkho_fdt = kho_alloc_preserve(client, size);
	if (IS_ERR(tkho_fdt)) {
		err = PTR_ERR(tkho_fdt);
		tkho_fdt = NULL;
		goto fail;
	}
	err = tkho_build_fdt(tkho_fdt, size);
	err = err ?: kho_add_blob(client, KHO_TRACE_BLOB, tkho_fdt,
				  fdt_totalsize(tkho_fdt));
	if (err)
		goto fail;
	pr_info("%u instance(s) prepared for the handover\n", n);
	return 0;
fail:
	pr_err("cannot prepare the trace instances for the handover (%d)\n",
	       err);
	tkho_drop();
	tkho_prepared = false;
	return err;
}

static int tkho_prepare(struct kho_client *client, void *data)
{
	guard(mutex)(&tkho_mutex);
	return __tkho_prepare(client);
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
/*
 * For tests only: /sys/kernel/debug/trace_kho/corrupt arms a damage done
 * at the end of the freeze to the first handed over instance: "meta N"
 * (CPU N's ring buffer meta data), "events N" (the events of CPU N)
 * or "blob" (its nr-cpus in the blob). The next kernel must reject it.
 */
enum { TKHO_CORRUPT_NONE, TKHO_CORRUPT_META, TKHO_CORRUPT_EVENTS,
	TKHO_CORRUPT_BLOB };
static int tkho_corrupt, tkho_corrupt_cpu;

static void tkho_corrupt_apply(struct tkho_instance *ti)
{
	void *chunk;
	unsigned int i;
	int node;

	if (tkho_corrupt_cpu >= ti->nr_cpus)
		return;
	chunk = ti->vaddr + ((unsigned long)tkho_corrupt_cpu * ti->cpu_pages <<
			     PAGE_SHIFT);
	switch (tkho_corrupt) {
	case TKHO_CORRUPT_META:
		*(u32 *)chunk ^= 0x5a5a5a5a;	/* its magic */
		break;
	case TKHO_CORRUPT_EVENTS:
		/*
		 * The first event of every sub-buffer (after its time stamp
		 * and commit): a data event longer than the sub-buffer.
		 */
		for (i = 1; i < ti->cpu_pages; i++) {
			u32 *ev = chunk + i * PAGE_SIZE + 2 * sizeof(u64);

			ev[0] = 0;
			ev[1] = 0x7ffffff0;
		}
		break;
	case TKHO_CORRUPT_BLOB:
		node = fdt_subnode_offset(tkho_fdt, 0, "instance-0");
		if (node >= 0)
			fdt_setprop_inplace_u32(tkho_fdt, node,
						KHO_TRACE_PROP_NR_CPUS, 0);
		break;
	}
	pr_warn("corrupted the handover of instance %s on purpose\n",
		ti->tr->name);
}

static ssize_t tkho_corrupt_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	char buf[32];
	int cpu = 0;

	if (count >= sizeof(buf) || copy_from_user(buf, ubuf, count))
		return -EINVAL;
	buf[count] = '\0';
	guard(mutex)(&tkho_mutex);
	if (sscanf(buf, "meta %d", &cpu) == 1)
		tkho_corrupt = TKHO_CORRUPT_META;
	else if (sscanf(buf, "events %d", &cpu) == 1)
		tkho_corrupt = TKHO_CORRUPT_EVENTS;
	else if (!strcmp(strim(buf), "blob"))
		tkho_corrupt = TKHO_CORRUPT_BLOB;
	else if (!strcmp(strim(buf), "none"))
		tkho_corrupt = TKHO_CORRUPT_NONE;
	else
		return -EINVAL;
	if (cpu < 0)
		return -EINVAL;
	tkho_corrupt_cpu = cpu;
	return count;
}

static const struct file_operations tkho_corrupt_fops = {
	.write = tkho_corrupt_write,
};

static void __init tkho_debug_init(void)
{
	struct dentry *dir = debugfs_create_dir("trace_kho", NULL);

	debugfs_create_file("corrupt", 0200, dir, NULL, &tkho_corrupt_fops);
}
#else
static inline void tkho_corrupt_apply(struct tkho_instance *ti)
{
}

static inline void tkho_debug_init(void)
{
}

#define tkho_corrupt 0
#endif

static int tkho_freeze(struct kho_client *client, void *data)
{
	struct tkho_instance *ti;
	bool first = true;

	/* No allocation: a last record in each handed over instance. */
	guard(mutex)(&tkho_mutex);
	list_for_each_entry(ti, &tkho_instances, list) {
		if (!ti->preserved)
			continue;
		trace_array_puts(ti->tr, "kexec handover: jumping to the next kernel\n");
		if (tkho_corrupt && first)
			tkho_corrupt_apply(ti);
		first = false;
	}
	return 0;
}

static void tkho_abort(struct kho_client *client, void *data)
{
	guard(mutex)(&tkho_mutex);
	tkho_drop();
	tkho_prepared = false;
}

/*
 * Is an instance marked for the handover? prepare would preserve it, so
 * kexec_load, which cannot carry it, must be refused even while nothing
 * is preserved yet.
 */
static bool tkho_pending(struct kho_client *client, void *data)
{
	struct tkho_instance *ti;

	guard(mutex)(&tkho_mutex);
	list_for_each_entry(ti, &tkho_instances, list)
		if (ti->preserve)
			return true;
	return false;
}

static const struct kho_client_ops tkho_ops = {
	.prepare = tkho_prepare,
	.freeze = tkho_freeze,
	.abort = tkho_abort,
	.pending = tkho_pending,
};

/* ---- instances/NAME/kho: preserving an instance at run time ---- */

static struct tkho_instance *tkho_find_tr(struct trace_array *tr)
{
	struct tkho_instance *ti;

	list_for_each_entry(ti, &tkho_instances, list)
		if (ti->tr == tr)
			return ti;
	return NULL;
}

/* Move @tr onto KHO pages of the same size per CPU. */
static int tkho_switch(struct trace_array *tr)
{
	unsigned long size = 0, nr;
	unsigned int cpu_pages;
	struct tkho_instance *ti;
	struct page **pages;
	int cpu, err;

	for_each_possible_cpu(cpu)
		size = max(size, ring_buffer_size(tr->array_buffer.buffer, cpu));
	cpu_pages = ring_buffer_range_cpu_size(size) >> PAGE_SHIFT;
	nr = (unsigned long)nr_cpu_ids * cpu_pages;
	ti = kzalloc(sizeof(*ti), GFP_KERNEL);
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	err = ti && pages ? tkho_fill(pages, nr_cpu_ids, cpu_pages) : -ENOMEM;
	if (!err) {
		ti->vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
		err = ti->vaddr ? trace_array_switch_to_range(tr,
				(unsigned long)ti->vaddr, nr << PAGE_SHIFT) :
				-ENOMEM;
	}
	if (err) {
		if (ti && ti->vaddr)
			vunmap(ti->vaddr);
		if (pages)
			tkho_free_pages(pages, nr);
		kvfree(pages);
		kfree(ti);
		return err;
	}
	ti->tr = tr;
	ti->pages = pages;
	ti->nr_cpus = nr_cpu_ids;
	ti->cpu_pages = cpu_pages;
	list_add_tail_rcu(&ti->list, &tkho_instances);
	pr_info("instance %s moved onto %u KiB per CPU of preservable memory\n",
		tr->name, cpu_pages << (PAGE_SHIFT - 10));
	return 0;
}

static ssize_t tkho_file_read(struct file *filp, char __user *ubuf,
			      size_t cnt, loff_t *ppos)
{
	struct trace_array *tr = filp->private_data;
	struct tkho_instance *ti;
	char buf[4];

	mutex_lock(&tkho_mutex);
	ti = tkho_find_tr(tr);
	snprintf(buf, sizeof(buf), "%d\n", ti && ti->preserve);
	mutex_unlock(&tkho_mutex);
	return simple_read_from_buffer(ubuf, cnt, ppos, buf, strlen(buf));
}

static ssize_t tkho_file_write(struct file *filp, const char __user *ubuf,
			       size_t cnt, loff_t *ppos)
{
	struct trace_array *tr = filp->private_data;
	struct tkho_instance *ti;
	bool on;
	int err;

	err = kstrtobool_from_user(ubuf, cnt, &on);
	if (err)
		return err;
	guard(mutex)(&tkho_mutex);
	if (!tkho_client)
		return -EOPNOTSUPP;
	ti = tkho_find_tr(tr);
	if (!ti && !on)
		return cnt;
	if (!ti) {
		if (tr->range_addr_start)
			return -EINVAL;	/* a reserve_mem= instance */
		err = tkho_switch(tr);
		if (err)
			return err;
		ti = tkho_find_tr(tr);
	}
	if (ti->preserve == on)
		return cnt;
	ti->preserve = on;
	/* An image is loaded already: hand over what is asked now. */
	if (tkho_prepared) {
		err = __tkho_prepare(tkho_client);
		if (err) {
			ti->preserve = !on;
			return err;
		}
	}
	pr_info("instance %s %s handed over at kexec\n", tr->name,
		on ? "is" : "is no longer");
	return cnt;
}

static const struct file_operations tkho_file_fops = {
	.open		= tracing_open_generic_tr,
	.read		= tkho_file_read,
	.write		= tkho_file_write,
	.release	= tracing_release_generic_tr,
	.llseek		= generic_file_llseek,
};

/**
 * trace_kho_create_file - create the "kho" file of an instance
 * @tr: the instance
 * @dir: its directory
 *
 * Reading the file tells whether the instance is handed over at the next
 * kexec; writing 1 makes it so (moving its buffer onto preservable memory
 * first: its records so far are dropped), writing 0 undoes it.
 *
 * Context: process context, while the instance's files are created.
 */
void trace_kho_create_file(struct trace_array *tr, struct dentry *dir)
{
	trace_create_file("kho", TRACE_MODE_WRITE, dir, tr, &tkho_file_fops);
}

/* ---- Taking the instances over in the next kernel ---- */

struct tkho_restore {
	struct page **pages;
	unsigned long nr;
};

static int tkho_restore_page(void *arg, const void *rec, unsigned long i)
{
	struct tkho_restore *r = arg;
	u64 phys = *(const u64 *)rec;
	struct page *page;

	if (i >= r->nr)
		return -E2BIG;
	page = kho_restore_pages(tkho_client, phys, 1);
	if (IS_ERR(page))
		return PTR_ERR(page);
	r->pages[i] = page;
	return 0;
}

static int tkho_get_u32(const void *fdt, int node, const char *name, u32 *v)
{
	const fdt32_t *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != sizeof(*p))
		return -EINVAL;
	*v = fdt32_to_cpu(*p);
	return 0;
}

static int tkho_get_u64(const void *fdt, int node, const char *name, u64 *v)
{
	const fdt64_t *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != sizeof(*p))
		return -EINVAL;
	*v = fdt64_to_cpu(*p);
	return 0;
}

/*
 * Map the previous kernel's CPU chunks first..first+nr_cpu_ids-1 of @old
 * (old_cpus of them) as the instance @name, zeroed chunks in the slots
 * beyond old_cpus.
 */
static int tkho_place(const char *name, struct page **old,
		      unsigned int old_cpus, unsigned int cpu_pages,
		      unsigned int first, const unsigned long *events)
{
	unsigned int n = min(old_cpus - first, nr_cpu_ids);
	struct tkho_instance *ti;
	unsigned long *copy;
	struct page **pages;
	int err;

	pages = kvcalloc((unsigned long)nr_cpu_ids * cpu_pages, sizeof(*pages),
			 GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	memcpy(pages, old + (unsigned long)first * cpu_pages,
	       (unsigned long)n * cpu_pages * sizeof(*pages));
	err = tkho_fill(pages, nr_cpu_ids, cpu_pages);
	if (err)
		goto fail;
	copy = bitmap_zalloc(KHO_TRACE_MAX_EVENTS, GFP_KERNEL);
	if (!copy) {
		err = -ENOMEM;
		goto fail;
	}
	bitmap_copy(copy, events, KHO_TRACE_MAX_EVENTS);
	ti = tkho_create(name, pages, nr_cpu_ids, cpu_pages, copy);
	if (IS_ERR(ti)) {
		err = PTR_ERR(ti);
		goto fail;
	}
	/* The old pages are the instance's now. */
	memset(old + (unsigned long)first * cpu_pages, 0,
	       (unsigned long)n * cpu_pages * sizeof(*pages));
	pr_info("instance %s: CPUs %u-%u of the previous kernel%s\n", name,
		first, first + n - 1,
		ti->tr->flags & TRACE_ARRAY_FL_LAST_BOOT ? "" :
		": no valid data (see the ring buffer messages above)");
	return 0;
fail:
	/* Free only the pages this call allocated. */
	memset(pages, 0, (unsigned long)n * cpu_pages * sizeof(*pages));
	tkho_free_pages(pages, (unsigned long)nr_cpu_ids * cpu_pages);
	kvfree(pages);
	return err;
}

static int tkho_restore_instance(const void *fdt, int node,
				 const unsigned long *events)
{
	u32 old_cpus, cpu_pages, first;
	struct tkho_restore r = { };
	const char *name;
	char *alt = NULL;
	u64 pages;
	long got;
	int err, len;

	name = fdt_getprop(fdt, node, KHO_TRACE_PROP_NAME, &len);
	if (!name || len < 2 || len > KHO_TRACE_MAX_NAME || name[len - 1] ||
	    strlen(name) != len - 1 || strchr(name, '/'))
		return -EINVAL;
	if (tkho_get_u32(fdt, node, KHO_TRACE_PROP_NR_CPUS, &old_cpus) ||
	    tkho_get_u32(fdt, node, KHO_TRACE_PROP_CPU_PAGES, &cpu_pages) ||
	    tkho_get_u64(fdt, node, KHO_TRACE_PROP_PAGES, &pages))
		return -EINVAL;
	if (!old_cpus || old_cpus > KHO_TRACE_MAX_CPUS ||
	    cpu_pages < KHO_TRACE_MIN_CPU_PAGES ||
	    cpu_pages > KHO_TRACE_MAX_CPU_PAGES ||
	    ring_buffer_range_cpu_size(0) > (unsigned long)cpu_pages << PAGE_SHIFT)
		return -EINVAL;

	r.nr = (unsigned long)old_cpus * cpu_pages;
	r.pages = kvcalloc(r.nr, sizeof(*r.pages), GFP_KERNEL);
	if (!r.pages)
		return -ENOMEM;
	got = kho_array_restore(tkho_client, pages, sizeof(u64),
				tkho_restore_page, &r);
	if (got != r.nr) {
		err = got < 0 ? got : -EINVAL;
		goto out;
	}

	if (old_cpus > nr_cpu_ids)
		pr_info("instance %s: the previous kernel had %u CPUs, this one %u: CPUs %u and up are in instances %s-cpuN\n",
			name, old_cpus, nr_cpu_ids, nr_cpu_ids, name);
	for (first = 0, err = 0; first < old_cpus && !err;
	     first += nr_cpu_ids) {
		const char *iname = name;

		if (first) {
			kfree(alt);
			alt = kasprintf(GFP_KERNEL, "%s-cpu%u", name, first);
			if (!alt) {
				err = -ENOMEM;
				break;
			}
			iname = alt;
		}
		err = tkho_place(iname, r.pages, old_cpus, cpu_pages, first,
				 events);
		if (err == -EEXIST && !first) {
			/* An instance of that name exists already. */
			alt = kasprintf(GFP_KERNEL, "%s-prev", name);
			err = alt ? tkho_place(alt, r.pages, old_cpus, cpu_pages,
					       first, events) : -ENOMEM;
		}
	}
	if (err)
		pr_err("instance %s: CPUs %u and up of the previous kernel dropped (%d)\n",
		       name, first, err);
out:
	kfree(alt);
	/* Pages no instance took. */
	tkho_free_pages(r.pages, r.nr);
	kvfree(r.pages);
	return err;
}

static void __init tkho_restore(void)
{
	unsigned long *events;
	const void *fdt;
	phys_addr_t phys;
	size_t size;
	int node, err, n = 0;
	u64 ev;

	err = kho_get_blob(tkho_client, KHO_TRACE_BLOB, &phys, &size);
	if (err == -ENOENT) {
		/* The previous kernel had no instance to hand over. */
		pr_info("no trace instance was handed over\n");
		return;
	}
	if (err) {
		pr_err("no %s blob in the incoming state (%d)\n",
		       KHO_TRACE_BLOB, err);
		return;
	}
	fdt = phys_to_virt(phys);
	if (size < sizeof(struct fdt_header) || fdt_check_header(fdt) ||
	    fdt_totalsize(fdt) > size) {
		pr_err("malformed %s blob: nothing restored\n", KHO_TRACE_BLOB);
		return;
	}
	/* One table of event types for all instances. */
	events = ERR_PTR(-EINVAL);
	if (!tkho_get_u64(fdt, 0, KHO_TRACE_PROP_EVENTS, &ev))
		events = tkho_events_restore(ev);
	if (IS_ERR(events)) {
		pr_err("no valid table of event types (%ld): nothing restored\n",
		       PTR_ERR(events));
		return;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		if (n++ == KHO_TRACE_MAX_INSTANCES) {
			pr_err("more than %d instances: the rest is dropped\n",
			       KHO_TRACE_MAX_INSTANCES);
			break;
		}
		err = tkho_restore_instance(fdt, node, events);
		if (err == -EINVAL)
			pr_err("malformed instance %s: dropped\n",
			       fdt_get_name(fdt, node, NULL) ?: "?");
		else if (err)
			pr_err("instance %s not restored (%d)\n",
			       fdt_get_name(fdt, node, NULL) ?: "?", err);
	}
	bitmap_free(events);
}

/**
 * trace_kho_boot_instance - note a trace_instance=NAME^kho request
 * @name: the instance
 * @traceoff: created with tracing off
 * @events: comma-separated events to enable, or NULL
 *
 * The instance is created by trace_kho_init(), once the previous kernel's
 * instance of that name, if any, is known.
 *
 * Context: early boot (trace_init()).
 */
void __init trace_kho_boot_instance(const char *name, bool traceoff,
				    const char *events)
{
	struct tkho_boot *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		goto fail;
	b->name = kstrdup(name, GFP_KERNEL);
	b->events = events ? kstrdup(events, GFP_KERNEL) : NULL;
	if (!b->name || (events && !b->events))
		goto fail;
	b->traceoff = traceoff;
	list_add_tail(&b->list, &tkho_boot_list);
	return;
fail:
	if (b) {
		kfree(b->name);
		kfree(b);
	}
	pr_err("instance %s: out of memory\n", name);
}

static void __init tkho_boot_one(struct tkho_boot *b)
{
	struct tkho_instance *ti = tkho_find(b->name);
	unsigned int cpu_pages;
	struct page **pages;
	int err = -ENOMEM;

	if (ti && (ti->tr->flags & TRACE_ARRAY_FL_LAST_BOOT)) {
		/* Read it first: enabling events would clear it. */
		ti->preserve = true;
		pr_info("instance %s holds the previous kernel's trace and is handed over again; %s%s\n",
			b->name,
			b->events ? "enable its events once it is read: " :
				    "read it, then trace",
			b->events ?: "");
		return;
	}
	if (!ti) {
		cpu_pages = ring_buffer_range_cpu_size(tkho_buf_size) >>
			    PAGE_SHIFT;
		pages = kvcalloc((unsigned long)nr_cpu_ids * cpu_pages,
				 sizeof(*pages), GFP_KERNEL);
		if (pages)
			err = tkho_fill(pages, nr_cpu_ids, cpu_pages);
		if (!err)
			ti = tkho_create(b->name, pages, nr_cpu_ids, cpu_pages,
					 NULL);
		if (err || IS_ERR(ti)) {
			if (pages)
				tkho_free_pages(pages,
						(unsigned long)nr_cpu_ids * cpu_pages);
			kvfree(pages);
			pr_err("instance %s not created (%d)\n", b->name,
			       err ?: (int)PTR_ERR(ti));
			return;
		}
	}
	ti->preserve = true;
	if (b->traceoff)
		tracer_tracing_off(ti->tr);
	if (b->events)
		early_enable_events(ti->tr, b->events, true);
	pr_info("instance %s: %u KiB per CPU, handed over at kexec\n", b->name,
		ti->cpu_pages << (PAGE_SHIFT - 10));
}

/**
 * trace_kho_init - restore the previous kernel's instances, create ours
 * @buf_size: bytes per CPU of a new instance (trace_buf_size=)
 *
 * Context: boot, once tracefs is set up.
 */
void __init trace_kho_init(unsigned long buf_size)
{
	struct kho_client_desc desc = {
		.name = KHO_TRACE_CLIENT,
		.compatible = KHO_TRACE_COMPATIBLE,
		.ops = &tkho_ops,
	};
	struct tkho_boot *b, *tmp;
	const char *in;
	int err;

	tkho_buf_size = buf_size;
	tkho_debug_init();
	if (security_locked_down(LOCKDOWN_TRACEFS)) {
		pr_info("tracing is locked down: no instance is restored or handed over\n");
		goto out;
	}
	tkho_client = kho_client_register(&desc);
	if (IS_ERR(tkho_client)) {
		if (!list_empty(&tkho_boot_list))
			pr_warn("the handover is off (%ld): instances are not preserved\n",
				PTR_ERR(tkho_client));
		tkho_client = NULL;
	} else {
		kho_array_init(&tkho_events, tkho_client,
			       sizeof(struct kho_trace_event));
		err = kho_client_incoming(tkho_client, &in);
		if (!err)
			tkho_restore();
		else if (err == -EPROTO)
			pr_warn("incoming trace state %s is not %s: dropped\n",
				in, KHO_TRACE_COMPATIBLE);
		kho_finish(tkho_client);
	}
	list_for_each_entry(b, &tkho_boot_list, list)
		tkho_boot_one(b);
out:
	list_for_each_entry_safe(b, tmp, &tkho_boot_list, list) {
		kfree(b->name);
		kfree(b->events);
		kfree(b);
	}
}
