/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kexec HandOver (KHO) internals shared by the files of the core.
 */
#ifndef _KEXEC_HANDOVER_INTERNAL_H
#define _KEXEC_HANDOVER_INTERNAL_H

#include <linux/kho/abi.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "kexec_handover_root.h"
#include "kexec_handover_tracker.h"

/*
 * Orders a tracker carries: the page allocator's, and up to 1 GiB blocks
 * (gigantic folios) where that is more.
 */
#define KHO_NR_ORDERS	min_t(unsigned int, KHO_TRACKER_MAX_ORDERS,	\
			      max_t(unsigned int, MAX_PAGE_ORDER + 1,	\
				    30 - PAGE_SHIFT + 1))

/* kexec_handover_scratch.c */
extern struct kho_scratch_entry kho_scratch[KHO_SCRATCH_MAX_ENTRIES];
extern unsigned int kho_nr_scratch;
extern phys_addr_t kho_scratch_boot_need;
void kho_reserve_scratch(void);
unsigned int kho_scratch_order(const struct kho_scratch_entry *table,
			       unsigned int nr, unsigned int *order,
			       bool top_down);
bool kho_range_in_scratch(phys_addr_t start, phys_addr_t end);

/* kexec_handover.c: outgoing side */
struct kho_blob {
	struct list_head list;
	char name[KHO_NAME_MAX];
	u64 phys;
	u64 size;
};

struct kho_in_client;
struct kho_client_sysfs;

/*
 * A registered client. Its outgoing fields are under kho_out.lock; @in is
 * set at registration when the previous kernel left state under the name.
 */
struct kho_client {
	struct list_head list;
	char name[KHO_NAME_MAX];
	char compatible[KHO_COMPATIBLE_MAX];
	const char * const *accept;
	const struct kho_client_ops *ops;
	void *data;
	struct kho_tracker tracker;
	struct list_head blobs;
	unsigned int nr_blobs;
	bool prepared;		/* @ops->prepare succeeded for the loaded image */
	bool fresh;		/* ... for the first time, in the load under way */
	bool dropped;		/* @ops->freeze failed: out of the handover */
	struct kho_in_client *in;
	struct kho_client_sysfs *sysfs;
};

struct kho_out {
	struct mutex lock;	/* trackers, root tree, clients and state */
	struct kho_tracker tracker;	/* the core's own memory: the root tree */
	void *root;
	phys_addr_t root_phys;
	struct list_head clients;
	unsigned int nr_clients;
	u32 boot_count;		/* handovers in the chain up to this kernel */
	bool ready;
	bool aborted;
	bool frozen;
	bool cleared;		/* frozen for a kexec_load image: no root tree */
	bool loaded;		/* a kexec_file image carries the handover */
};

extern struct kho_out kho_out;
/* Tracker pages from the page allocator, addressed through the direct map. */
extern const struct kho_tracker_ops kho_out_tracker_ops;
extern bool kho_enable;

/* kexec_handover_debug.c: corruption injection, for tests */
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
void kho_debug_corrupt_root(void);
const struct kho_scratch_entry *
kho_debug_corrupt_scratch(const struct kho_scratch_entry *table,
			  unsigned int *nr);
#else
static inline void kho_debug_corrupt_root(void)
{
}

static inline const struct kho_scratch_entry *
kho_debug_corrupt_scratch(const struct kho_scratch_entry *table,
			  unsigned int *nr)
{
	return table;
}
#endif

/* kexec_handover_lifecycle.c */
int kho_set_aborted(bool abort);

int kho_update_root(void);
void kho_clients_lock(void);
void kho_clients_unlock(void);
unsigned long kho_tracker_blocks(const struct kho_tracker *t, u64 *bytes);

/* The incoming side: kexec_handover_{populate,walk,restore,release}.c */
enum kho_in_state {
	KHO_IN_PENDING,		/* no client registered under the name yet */
	KHO_IN_ACTIVE,		/* registered, restoring */
	KHO_IN_FINISHED,	/* kho_finish(): the rest was released */
	KHO_IN_RELEASED,	/* never came: released by the policy */
	KHO_IN_REJECTED,	/* incompatible version: released */
	KHO_IN_DROPPED,		/* its freeze failed in the previous kernel */
};

struct kho_in_client {
	const char *name;		/* in the copy of the root tree */
	const char *compatible;
	int node;
	unsigned int id;		/* owner of its blocks' stamps */
	struct kho_tracker tracker;
	enum kho_in_state state;
	const char *released_by;
	struct kho_client *client;
	unsigned long blocks;
	unsigned int nr_blobs;
	u64 preserved_bytes;
	atomic64_t restored_bytes;	/* claims add to it under a shared lock */
	u64 released_bytes;
	struct kobject *kobj;		/* in/clients/NAME */
};

struct kho_in_stats {
	unsigned long blocks[KHO_TRACKER_MAX_ORDERS];
	u64 preserved_bytes;
	u64 deferred_bytes;	/* of which taken during deferred memmap init */
	atomic64_t claimed_bytes;
	u64 released_bytes;
	u64 tracker_bytes;
	u64 walk_ns;		/* opening, checking and walking the handover */
	u64 deferred_ns;	/* of which walks in deferred memmap init */
	u64 early_cycles[2];	/* counter around the early part */
	unsigned long bad_blocks;
	unsigned int released_finish;	/* clients released by kho_finish() */
	unsigned int released_rejected;	/* ... as incompatible */
	unsigned int released_timeout;	/* ... by kho_release= */
	unsigned int released_sysfs;	/* ... through in/release */
	bool released;		/* everything unclaimed is released */
};

struct kho_in_range {
	phys_addr_t start;
	phys_addr_t end;
};

/* The handover this kernel received. */
struct kho_in {
	/*
	 * Claims of single blocks share it and take each block with a
	 * cmpxchg of its stamp; changes of a client's state, the release of
	 * unclaimed memory and multi-block claims take it alone.
	 */
	struct rw_semaphore lock;
	phys_addr_t root_phys;
	u64 tracker_phys;
	bool found;		/* kho_populate() took it */
	bool valid;		/* kho_memory_init() accepted it */
	void *root;		/* a copy of the root tree */
	size_t root_size;
	struct kho_tracker tracker;	/* the core's: owner 0 */
	struct kho_in_client *clients;	/* owner n: clients[n - 1] */
	unsigned int nr_clients;
	struct kho_tracker **trackers;	/* by owner, NULL when unusable */
	struct kho_in_range *ranges;	/* free memory kept at boot, sorted */
	unsigned int nr_ranges;
	unsigned int last_range;	/* where kho_in_ranges() last looked */
};

extern struct kho_in kho_in;
extern struct kho_in_stats kho_in_stats;
/* Why the handover was not taken, for sysfs; NULL when taken or none. */
extern const char *kho_in_why;

/* kexec_handover_populate.c */
bool kho_phys_is_free_ram(phys_addr_t start, phys_addr_t size);

/* kexec_handover_walk.c */
bool kho_in_ready(void);

/* kexec_handover_restore.c */
bool kho_in_ranges(unsigned long pfn, unsigned long nr);
unsigned long kho_in_stamp(unsigned long pfn);
const void *kho_in_root(size_t *size);
bool kho_in_root_overlaps(phys_addr_t phys, size_t size);
bool kho_in_status(const char **why);
struct kho_in_client *kho_in_clients(unsigned int *nr);
ssize_t kho_in_read_blob(u64 phys, u64 size, char *buf, loff_t off,
			 size_t count);

/* kexec_handover_release.c */
int kho_in_release_unclaimed(void);
struct kho_in_client *kho_in_attach(struct kho_client *client);
void kho_in_detach(struct kho_client *client);
long kho_in_release_policy(void);

/*
 * Client events, for what shows the clients (kexec_handover_sysfs.c): the
 * notifier's data is the client, called in process context with no KHO
 * lock held. ADDED comes once the client is on the list, REMOVED once it
 * is off it.
 */
enum kho_client_event {
	KHO_CLIENT_ADDED,
	KHO_CLIENT_REMOVED,
	KHO_CLIENT_BLOBS_CHANGED,
};

struct notifier_block;
int kho_client_notifier_register(struct notifier_block *nb);

#endif /* _KEXEC_HANDOVER_INTERNAL_H */
