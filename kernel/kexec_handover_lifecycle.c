// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO): the lifecycle of the outgoing handover around
 * kexec: clients prepare when an image is loaded, the image's segments go
 * to scratch, clients freeze at the jump and thaw or abort after it
 * (Documentation/kho/concepts.rst).
 */
#define pr_fmt(fmt) "kho: " fmt

#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>

#include "kexec_handover_internal.h"
#include "kexec_internal.h"

/* Does a client preserve or publish anything; kho_out.lock held. */
static bool kho_out_busy(void)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (!c->dropped &&
		    (c->nr_blobs || kho_tracker_blocks(&c->tracker, NULL)))
			return true;
	}
	return false;
}

/*
 * Does a client have state to hand over that only its prepare callback
 * preserves; the clients lock held, kho_out.lock not.
 */
static bool kho_clients_pending(void)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (c->ops && c->ops->pending && c->ops->pending(c, c->data)) {
			pr_err("client %s has state to hand over\n", c->name);
			return true;
		}
	}
	return false;
}

/*
 * Call @ops->abort of the prepared clients (@fresh: only those the current
 * load prepared); the clients lock held.
 */
static void kho_abort_clients(bool fresh)
{
	struct kho_client *c;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (fresh && !c->fresh)
			continue;
		if (c->prepared && c->ops && c->ops->abort)
			c->ops->abort(c, c->data);
		c->prepared = false;
		c->fresh = false;
	}
}

/*
 * Call @ops->prepare of every client. On failure only the clients this
 * call prepared for the first time abort: those prepared for an image that
 * stays loaded keep their state (a failed prepare leaves it as it was).
 */
static int kho_prepare_clients(void)
{
	struct kho_client *c;
	int err;

	list_for_each_entry(c, &kho_out.clients, list) {
		err = c->ops && c->ops->prepare ? c->ops->prepare(c, c->data) : 0;
		if (err) {
			pr_err("client %s failed to prepare the handover (%d): kexec load refused; abort the handover in /sys/kernel/kho/abort to kexec without it\n",
			       c->name, err);
			kho_abort_clients(true);
			return err;
		}
		c->fresh = !c->prepared;
		c->prepared = true;
	}
	list_for_each_entry(c, &kho_out.clients, list)
		c->fresh = false;
	return 0;
}

/*
 * Abort or re-enable the outgoing handover. Aborted, the next kernel finds
 * no valid root tree and kexec_load is allowed; clients keep what they
 * preserve and hear of it (abort; prepare again on re-enable with an image
 * loaded). Takes the kexec lock. 0, -EOPNOTSUPP (KHO off), -EBUSY (jump
 * under way) or a client's prepare error (the handover stays aborted).
 */
int kho_set_aborted(bool abort)
{
	int err = 0;

	if (!kho_out.ready)
		return -EOPNOTSUPP;
	/* Keeps the loaded image and the clients stable. */
	if (!kexec_trylock())
		return -EBUSY;
	kho_clients_lock();
	if (kho_out.frozen || kho_out.aborted == abort)
		goto out;
	if (!abort && kexec_image && !kexec_image->file_mode) {
		/* That image was loaded without the handover. */
		pr_err("cannot re-enable the handover: a kexec_load image is loaded; unload it first\n");
		err = -EBUSY;
		goto out;
	}
	if (abort)
		kho_abort_clients(false);
	else if (kho_out.loaded)
		err = kho_prepare_clients();
	if (err)
		goto out;
	mutex_lock(&kho_out.lock);
	kho_out.aborted = abort;
	err = kho_update_root();
	if (err) {
		/* Re-enabling failed: the handover stays aborted. */
		kho_out.aborted = true;
		kho_update_root();
	}
	mutex_unlock(&kho_out.lock);
	if (err) {
		pr_err("cannot re-enable the handover (%d): it stays aborted\n",
		       err);
		if (kho_out.loaded)
			kho_abort_clients(false);
		goto out;
	}
	pr_info("outgoing handover %s\n", abort ? "aborted" : "re-enabled");
out:
	kho_clients_unlock();
	kexec_unlock();
	return err;
}

/*
 * kexec_load leaves segment placement to userspace and cannot keep preserved
 * memory safe: refuse it while a client preserves, publishes or has pending
 * state, unless the handover was aborted. Kexec lock held.
 */
bool kho_kexec_load_allowed(void)
{
	bool busy;

	if (!kho_out.ready || kho_out.aborted)
		return true;
	kho_clients_lock();
	mutex_lock(&kho_out.lock);
	busy = kho_out_busy();
	mutex_unlock(&kho_out.lock);
	busy = busy || kho_clients_pending();
	kho_clients_unlock();
	if (busy)
		pr_err("kexec_load cannot carry the handover of preserved memory: use kexec_file_load (kexec -s), or abort the handover in /sys/kernel/kho/abort\n");
	return !busy;
}

/*
 * What a kexec_file image passes to the next kernel; false if it carries no
 * handover.
 */
bool kho_handover_info(const struct kimage *image, phys_addr_t *root_phys,
		       size_t *root_size,
		       const struct kho_scratch_entry **scratch,
		       unsigned int *nr_scratch)
{
	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH)
		return false;
	*root_phys = kho_out.root_phys;
	*root_size = KHO_ROOT_MAX_SIZE;
	*nr_scratch = kho_nr_scratch;
	*scratch = kho_debug_corrupt_scratch(kho_scratch, nr_scratch);
	return true;
}

/*
 * Could kexec take the page at @pfn for a segment loaded in place: free or
 * movable memory, not memory this kernel runs from (its image, initrd and
 * early allocations are reserved) nor pages an image already took.
 */
static bool kho_page_takeable(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	return page && !PageReserved(page) &&
	       (!page_count(page) || PageLRU(page));
}

/*
 * Offer the runs of takeable pages of the kexec area first, each as it is
 * found in the direction of the search, so that a segment can be loaded
 * where it runs and nothing is copied at the jump: from the second kernel
 * of a chain on, the running kernel itself lies in the kexec area. 1
 * placed, else 0.
 */
static int kho_locate_free_run(struct kexec_buf *kbuf,
			       int (*func)(struct resource *, void *))
{
	const struct kho_scratch_entry *e = &kho_scratch[0];
	unsigned long lo = PHYS_PFN(e->addr), hi = PHYS_PFN(e->addr + e->size);
	unsigned long pfn = kbuf->top_down ? hi : lo, a, b;
	struct resource run;
	bool whole = true;

	/* Pages still in per-CPU LRU batches would break the runs. */
	lru_add_drain_all();
	for (;;) {
		if (kbuf->top_down) {
			while (pfn > lo && !kho_page_takeable(pfn - 1))
				pfn--;
			b = pfn;
			while (pfn > lo && kho_page_takeable(pfn - 1))
				pfn--;
			a = pfn;
		} else {
			while (pfn < hi && !kho_page_takeable(pfn))
				pfn++;
			a = pfn;
			while (pfn < hi && kho_page_takeable(pfn))
				pfn++;
			b = pfn;
		}
		if (a == b)
			return 0;
		/* The whole area is free: the usual pass places the same. */
		if (whole && a == lo && b == hi)
			return 0;
		whole = false;
		run.start = PFN_PHYS(a);
		run.end = PFN_PHYS(b) - 1;
		if (func(&run, kbuf) == 1)
			return 1;
		cond_resched();
	}
}

/*
 * Place a kexec_file segment in scratch, the kexec area first, where it
 * can be loaded in place if possible; elsewhere with a warning (those
 * areas are sized for the next kernel's early allocations). 1 placed, 0 not
 * ours, -ENOSPC.
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *))
{
	unsigned int order[KHO_SCRATCH_MAX_ENTRIES];
	unsigned int i, n;

	if (!kho_out.ready || kbuf->image->type == KEXEC_TYPE_CRASH)
		return 0;
	if (kho_nr_scratch && kho_locate_free_run(kbuf, func) == 1)
		return 1;
	n = kho_scratch_order(kho_scratch, kho_nr_scratch, order,
			      kbuf->top_down);
	for (i = 0; i < n; i++) {
		const struct kho_scratch_entry *e = &kho_scratch[order[i]];
		struct resource res = {
			.start = e->addr,
			.end = e->addr + e->size - 1,
		};

		if (func(&res, kbuf) != 1)
			continue;
		if (order[i])
			pr_warn("kexec segment of %zu bytes does not fit into the kexec scratch area (%llu bytes): placed in scratch area %u at %#llx, which the next kernel's early allocations then lack\n",
				kbuf->memsz, kho_scratch[0].size, order[i],
				e->addr);
		return 1;
	}
	pr_err("kexec segment of %zu bytes does not fit into scratch memory (kexec area %llu bytes): boot the first kernel of the chain with a larger kho_scratch=\n",
	       kbuf->memsz, n ? kho_scratch[0].size : 0);
	return -ENOSPC;
}

/*
 * Refuse (-ENOSPC) an image whose segments spilled out of the kexec area
 * leave the other areas less room than this kernel's boot needed, so that
 * the next kernel does not run out of scratch early. Kexec lock held.
 */
int kho_check_image(const struct kimage *image)
{
	const struct kho_scratch_entry *k = &kho_scratch[0];
	u64 spilled = 0, room = 0;
	unsigned long i;

	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH || !kho_nr_scratch)
		return 0;
	for (i = 0; i < image->nr_segments; i++) {
		const struct kexec_segment *seg = &image->segment[i];

		if (seg->mem < k->addr || seg->mem + seg->memsz > k->addr + k->size)
			spilled += seg->memsz;
	}
	if (!spilled)
		return 0;
	for (i = 1; i < kho_nr_scratch; i++)
		room += kho_scratch[i].size;
	if (room >= spilled + kho_scratch_boot_need)
		return 0;
	pr_err("kexec segments take %llu bytes of the scratch areas meant for early allocations, which then lack %llu bytes of what this kernel's boot needed (%llu): boot the first kernel of the chain with a larger global area (kho_scratch=)\n",
	       spilled, spilled + kho_scratch_boot_need - room,
	       (u64)kho_scratch_boot_need);
	return -ENOSPC;
}

/*
 * kexec_file_load loaded @image, and nothing else can fail the load: every
 * client prepares. A failure fails the load; a previously loaded image stays
 * loaded with its clients prepared. Kexec lock held.
 */
int kho_image_loaded(const struct kimage *image)
{
	int err = 0;

	if (!kho_out.ready || image->type == KEXEC_TYPE_CRASH)
		return 0;
	kho_clients_lock();
	if (!kho_out.aborted)
		err = kho_prepare_clients();
	if (!err)
		kho_out.loaded = true;
	kho_clients_unlock();
	return err;
}

/*
 * The kexec_file image is unloaded, or replaced by kexec_load: clients that
 * prepared for it abort. Kexec lock held.
 */
void kho_image_unloaded(void)
{
	if (!kho_out.ready)
		return;
	kho_clients_lock();
	if (kho_out.loaded)
		kho_abort_clients(false);
	kho_out.loaded = false;
	kho_clients_unlock();
}

/*
 * The clients' last chance to preserve what changed, before the freeze;
 * the caller holds the clients lock.
 */
static int kho_clients_sync(void)
{
	struct kho_client *c;
	int err;

	list_for_each_entry(c, &kho_out.clients, list) {
		if (!c->ops || !c->ops->sync)
			continue;
		err = c->ops->sync(c, c->data);
		if (err) {
			pr_err("kexec jump refused: client %s could not bring its state up to date (%d); nothing was lost\n",
			       c->name, err);
			return err;
		}
	}
	return 0;
}

/*
 * The kexec jump starts (kernel_kexec(), kexec lock held). Only a
 * kexec_file_load image carries the handover: with another image the jump is
 * refused (-EBUSY, no kho_thaw()) while anything is preserved or pending, and
 * otherwise the root tree is cleared so that a stale reference finds no
 * handover. Else preserving, publishing and registering fail from now on,
 * every client's freeze runs and one that fails is dropped alone, loudly.
 * No lock is held on return: a client unregistering during the jump (reboot
 * notifier, .shutdown) does not wait.
 */
int kho_freeze(void)
{
	bool carried = kexec_image && kexec_image->file_mode;
	struct kho_client *c;
	bool dropped = false, busy = false;
	int err;

	if (!kho_out.ready)
		return 0;
	kho_clients_lock();
	if (!carried && !kho_out.aborted)
		busy = kho_clients_pending();
	if (carried && !kho_out.aborted) {
		err = kho_clients_sync();
		if (err) {
			kho_clients_unlock();
			return err;
		}
	}
	mutex_lock(&kho_out.lock);
	if (!carried && !kho_out.aborted && (busy || kho_out_busy())) {
		mutex_unlock(&kho_out.lock);
		kho_clients_unlock();
		pr_err("kexec jump refused: the image was loaded with kexec_load, which cannot carry the preserved memory; load it with kexec_file_load (kexec -s), or abort the handover in /sys/kernel/kho/abort\n");
		return -EBUSY;
	}
	kho_out.frozen = true;
	if (!carried && !kho_out.aborted) {
		kho_out.cleared = true;
		memset(kho_out.root, 0, KHO_ROOT_MAX_SIZE);
		mutex_unlock(&kho_out.lock);
		kho_clients_unlock();
		pr_info("the image was loaded with kexec_load: the next kernel gets no handover\n");
		return 0;
	}
	mutex_unlock(&kho_out.lock);
	if (kho_out.aborted) {
		kho_clients_unlock();
		return 0;
	}
	list_for_each_entry(c, &kho_out.clients, list) {
		if (!c->ops || !c->ops->freeze)
			continue;
		err = c->ops->freeze(c, c->data);
		if (!err)
			continue;
		pr_err("client %s failed to freeze its state (%d): dropped from the handover, the next kernel gets none of it\n",
		       c->name, err);
		c->dropped = true;
		dropped = true;
	}
	mutex_lock(&kho_out.lock);
	if (dropped && kho_update_root()) {
		/* Cannot happen, a smaller tree fits: hand nothing over. */
		pr_err("cannot drop the clients that failed to freeze: the next kernel gets no handover\n");
		memset(kho_out.root, 0, KHO_ROOT_MAX_SIZE);
	}
	kho_root_set_frozen_at(kho_out.root, ktime_get_real_seconds());
	kho_debug_corrupt_root();
	mutex_unlock(&kho_out.lock);
	kho_clients_unlock();
	return 0;
}

/*
 * The jump did not happen or returned (after kho_freeze(), kexec lock held):
 * clients that prepared abort, dropped clients are back, the freeze time is
 * forgotten.
 */
void kho_thaw(void)
{
	struct kho_client *c;

	if (!kho_out.ready)
		return;
	kho_clients_lock();
	mutex_lock(&kho_out.lock);
	kho_out.frozen = false;
	kho_out.cleared = false;
	list_for_each_entry(c, &kho_out.clients, list)
		c->dropped = false;
	/* The tree as it was before the freeze, which fit. */
	WARN_ON_ONCE(kho_update_root());
	mutex_unlock(&kho_out.lock);
	/* After the thaw: clients may unpreserve what they prepared. */
	if (!kho_out.aborted)
		kho_abort_clients(false);
	kho_clients_unlock();
}
