// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO): what happens to the memory clients do not restore.
 *
 * A client that registers under its name restores what it wants and
 * finishes: the rest of its memory is released. State of a version the
 * client does not accept is released when it registers. Memory of clients
 * that never come is released by the policy (kho_release=, or
 * /sys/kernel/kho/in/release); once every client is done, the rest.
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kho_pages.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "kexec_handover_internal.h"

/*
 * Seconds after boot when memory of clients that never came is released;
 * KHO_RELEASE_NEVER: only through sysfs.
 */
#define KHO_RELEASE_NEVER	UINT_MAX
static unsigned int kho_release_delay = 300;

static int __init kho_parse_release(char *p)
{
	unsigned int v;

	if (p && !strcmp(p, "never"))
		kho_release_delay = KHO_RELEASE_NEVER;
	else if (!p || kstrtouint(p, 0, &v) || v == KHO_RELEASE_NEVER)
		pr_err("malformed kho_release=, expected seconds or never: using %u\n",
		       kho_release_delay);
	else
		kho_release_delay = v;
	return 0;
}
early_param("kho_release", kho_parse_release);

struct kho_node_list {
	u64 *phys;
	unsigned long n;
};

static void kho_in_collect_node(void *arg, u64 phys)
{
	struct kho_node_list *l = arg;

	l->phys[l->n++] = phys;
}

/*
 * Give back every unclaimed block of the tracker of @owner, then the
 * tracker's own pages; kho_in.lock held for writing. With @claimed_all
 * the owner has claimed every block it preserved, so the walk of its
 * blocks, some 200 instructions per block, is skipped. Return: bytes
 * released.
 */
static u64 kho_in_release_owner(unsigned int owner, bool claimed_all)
{
	struct kho_tracker *t = kho_in.trackers[owner];
	struct kho_node_list nodes = { };
	struct kho_tracker_iter it;
	unsigned int order;
	unsigned long i;
	u64 pfn, bytes = 0;

	if (!t)
		return 0;
	/* The tracker's pages hold the walk: collect them, free them last. */
	nodes.phys = kvmalloc_array(t->nr_nodes, sizeof(u64), GFP_KERNEL);
	if (nodes.phys)
		kho_tracker_walk_nodes(t, kho_in_collect_node, &nodes);
	kho_tracker_iter_start(&it, t, 0, 1ULL << (KHO_TRACKER_PHYS_BITS - PAGE_SHIFT));
	while (!claimed_all && kho_tracker_iter_next(&it, &pfn, &order)) {
		/* Possibly terabytes: let others run. */
		cond_resched();
		if (kho_in_stamp(pfn) != KHO_STAMP(owner, order))
			continue;
		kho_pages_free(kho_pages_claim(pfn, order), order);
		bytes += PAGE_SIZE << order;
	}
	for (i = 0; i < nodes.n; i++) {
		pfn = PHYS_PFN(nodes.phys[i]);
		if (kho_in_stamp(pfn) != KHO_STAMP_NODE(owner))
			continue;
		kho_pages_free(kho_pages_claim(pfn, 0), 0);
	}
	/*
	 * Without the list (out of memory) the tracker's pages stay
	 * reserved: leaking a few pages beats freeing what is being read.
	 */
	kvfree(nodes.phys);
	kho_in.trackers[owner] = NULL;
	kho_in_stats.released_bytes += bytes;
	return bytes;
}

/* Release one client's state; kho_in.lock held for writing. */
static void kho_in_release_client(struct kho_in_client *ic,
				  enum kho_in_state state, const char *by,
				  unsigned int *counter)
{
	/*
	 * A block is claimed once and only from its owner's tracker, so
	 * equal counts mean that nothing of @ic is left to give back (the
	 * count of preserved bytes is 0 until kho_in_init()).
	 */
	bool all = ic->preserved_bytes &&
		   atomic64_read(&ic->restored_bytes) == ic->preserved_bytes;

	ic->released_bytes += kho_in_release_owner(ic->id, all);
	ic->state = state;
	ic->released_by = by;
	(*counter)++;
	pr_info("client %s: %s: released %llu bytes it did not restore\n",
		ic->name, by, ic->released_bytes);
}

/* Once no client can restore any more, the core's memory goes too. */
static void kho_in_release_if_done(void)
{
	unsigned int i;

	if (kho_in_stats.released)
		return;
	for (i = 0; i < kho_in.nr_clients; i++) {
		if (kho_in.clients[i].state == KHO_IN_PENDING ||
		    kho_in.clients[i].state == KHO_IN_ACTIVE)
			return;
	}
	kho_in_release_owner(0, false);
	kho_in_stats.released = true;
	pr_info("every client is done with the handover: released %llu bytes of unclaimed preserved memory in all\n",
		kho_in_stats.released_bytes);
}

/*
 * Release the clients in @from (a state mask); kho_in.lock held for
 * writing.
 */
static void kho_in_release_clients(unsigned int from, const char *by,
				   unsigned int *counter)
{
	unsigned int i;

	for (i = 0; i < kho_in.nr_clients; i++) {
		struct kho_in_client *ic = &kho_in.clients[i];

		if (BIT(ic->state) & from)
			kho_in_release_client(ic, KHO_IN_RELEASED, by, counter);
	}
	kho_in_release_if_done();
}

/**
 * kho_finish() - a client is done restoring its incoming state
 * @client: the client
 *
 * Whatever @client preserved in the previous kernel and did not restore
 * is released now; restoring fails with -ESTALE from now on. Once every
 * incoming client finished (or was released), the handover's remaining
 * memory is released. Does nothing without incoming state, or twice.
 *
 * Context: process context; may sleep.
 */
void kho_finish(struct kho_client *client)
{
	struct kho_in_client *ic = client ? client->in : NULL;

	if (!ic)
		return;
	down_write(&kho_in.lock);
	if (ic->state == KHO_IN_ACTIVE) {
		kho_in_release_client(ic, KHO_IN_FINISHED, "finished",
				      &kho_in_stats.released_finish);
		kho_in_release_if_done();
	}
	up_write(&kho_in.lock);
}
EXPORT_SYMBOL_GPL(kho_finish);

static bool kho_in_accepts(struct kho_client *client, const char *compatible)
{
	const char * const *a;

	if (!strcmp(client->compatible, compatible))
		return true;
	for (a = client->accept; a && *a; a++) {
		if (!strcmp(*a, compatible))
			return true;
	}
	return false;
}

/*
 * The incoming state of a registering client (kho_client_register()), or
 * NULL; ERR_PTR(-EAGAIN) before the core_initcall took the handover over.
 * State of a version the client does not accept is released at once.
 */
struct kho_in_client *kho_in_attach(struct kho_client *client)
{
	struct kho_in_client *ic = NULL;
	unsigned int i;

	if (!kho_in.valid)
		return NULL;
	if (!kho_in_ready())
		return ERR_PTR(-EAGAIN);
	down_write(&kho_in.lock);
	for (i = 0; i < kho_in.nr_clients; i++) {
		if (!strcmp(kho_in.clients[i].name, client->name)) {
			ic = &kho_in.clients[i];
			break;
		}
	}
	if (ic && ic->state == KHO_IN_PENDING) {
		ic->client = client;
		if (kho_in_accepts(client, ic->compatible)) {
			ic->state = KHO_IN_ACTIVE;
		} else {
			pr_err("client %s: incoming state is %s, which it does not accept (it writes %s): released\n",
			       ic->name, ic->compatible, client->compatible);
			kho_in_release_client(ic, KHO_IN_REJECTED, "incompatible",
					      &kho_in_stats.released_rejected);
			kho_in_release_if_done();
		}
	}
	up_write(&kho_in.lock);
	return ic;
}

/* A client that finished unregisters (kho_client_unregister()). */
void kho_in_detach(struct kho_client *client)
{
	if (!client->in)
		return;
	down_write(&kho_in.lock);
	client->in->client = NULL;
	up_write(&kho_in.lock);
}

/*
 * /sys/kernel/kho/in/release: clients that never registered lose their
 * state now; a registered one keeps it until kho_finish() or unregistering (it
 * may read its blobs in place). May sleep. 0, -ENOENT (no KHO boot) or
 * -EALREADY.
 */
int kho_in_release_unclaimed(void)
{
	unsigned int i, active = 0;
	int err = 0;

	if (!kho_in.valid)
		return -ENOENT;
	down_write(&kho_in.lock);
	if (kho_in_stats.released) {
		err = -EALREADY;
	} else {
		kho_in_release_clients(BIT(KHO_IN_PENDING),
				       "released through sysfs",
				       &kho_in_stats.released_sysfs);
		for (i = 0; i < kho_in.nr_clients; i++)
			active += kho_in.clients[i].state == KHO_IN_ACTIVE;
	}
	up_write(&kho_in.lock);
	if (active)
		pr_info("release through sysfs: %u registered clients keep their state until they finish\n",
			active);
	return err;
}

/*
 * Seconds after boot when clients that never came are released
 * (kho_release=), or -1 for never.
 */
long kho_in_release_policy(void)
{
	return kho_release_delay == KHO_RELEASE_NEVER ? -1L :
	       (long)kho_release_delay;
}

static void kho_in_release_late(struct work_struct *work)
{
	down_write(&kho_in.lock);
	if (!kho_in_stats.released)
		kho_in_release_clients(BIT(KHO_IN_PENDING),
				       "never came (kho_release=)",
				       &kho_in_stats.released_timeout);
	up_write(&kho_in.lock);
}

static DECLARE_DELAYED_WORK(kho_in_release_work, kho_in_release_late);

/*
 * Built-in clients had their chance in the initcalls; modules get
 * kho_release= seconds more.
 */
static int __init kho_in_late(void)
{
	if (!kho_in.valid)
		return 0;
	down_write(&kho_in.lock);
	kho_in_release_if_done();
	up_write(&kho_in.lock);
	if (kho_release_delay == KHO_RELEASE_NEVER)
		pr_info("kho_release=never: clients that do not come keep their memory until /sys/kernel/kho/in/release\n");
	else if (!kho_release_delay)
		kho_in_release_late(NULL);
	else
		schedule_delayed_work(&kho_in_release_work,
				      (unsigned long)kho_release_delay * HZ);
	return 0;
}
late_initcall_sync(kho_in_late);
