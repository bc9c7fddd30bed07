/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kexec HandOver (KHO) internals shared by the files of the core.
 */
#ifndef _KEXEC_HANDOVER_INTERNAL_H
#define _KEXEC_HANDOVER_INTERNAL_H

#include <linux/kho/abi.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "kexec_handover_tracker.h"

/* kexec_handover_root.c: the root tree, pure libfdt logic */
struct kho_root_blob {
	const char *name;
	u64 phys;
	u64 size;
};

int kho_root_build(void *buf, size_t size, unsigned int page_shift,
		   u64 tracker_phys, const struct kho_root_blob *blobs,
		   unsigned int nr_blobs);
int kho_root_check(const void *fdt, size_t max_size, unsigned int page_shift,
		   u64 *tracker_phys, const char **why);
int kho_root_find_blob(const void *fdt, const char *name, u64 *phys,
		       u64 *size);
int kho_root_next_blob(const void *fdt, int prev, struct kho_root_blob *blob);
bool kho_blob_name_valid(const char *name);
int kho_scratch_check(const struct kho_scratch_entry *table, unsigned int nr,
		      u64 page_size, const char **why);

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
	char name[KHO_BLOB_NAME_MAX];
	u64 phys;
	u64 size;
};

struct kho_out {
	struct mutex lock;	/* tracker, root tree, blobs and state */
	struct kho_tracker tracker;
	void *root;
	phys_addr_t root_phys;
	struct list_head blobs;
	unsigned int nr_blobs;
	bool ready;
	bool aborted;
	bool frozen;
};

extern struct kho_out kho_out;
/* Tracker pages from the page allocator, addressed through the direct map. */
extern const struct kho_tracker_ops kho_out_tracker_ops;
extern bool kho_enable;

int kho_set_aborted(bool abort);

/* kexec_handover_in.c: incoming side */
struct kho_in_stats {
	unsigned long blocks[KHO_TRACKER_MAX_ORDERS];
	u64 preserved_bytes;
	u64 deferred_bytes;	/* of which taken during deferred memmap init */
	u64 claimed_bytes;
	u64 released_bytes;
	u64 tracker_bytes;
	unsigned long bad_blocks;
	bool released;
};

extern struct kho_in_stats kho_in_stats;
const void *kho_in_root(size_t *size);
int kho_in_release_unclaimed(void);
ssize_t kho_in_read_blob(u64 phys, u64 size, char *buf, loff_t off,
			 size_t count);

/* kexec_handover_sysfs.c */
void kho_sysfs_blobs_changed(void);

#endif /* _KEXEC_HANDOVER_INTERNAL_H */
