/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO root tree and scratch table (kexec_handover_root.c): pure libfdt
 * logic on buffers, with no other kernel dependency, so that it also
 * builds in userspace (tools/testing/kho/fuzz).
 */
#ifndef _KEXEC_HANDOVER_ROOT_H
#define _KEXEC_HANDOVER_ROOT_H

#include <linux/kho/abi.h>
#include <linux/types.h>

struct kho_root_meta {
	const char *release;
	u32 boot_count;
	u64 frozen_at;
	const char *dropped;	/* NUL-separated client names, or NULL */
	int dropped_len;	/* bytes of @dropped, NULs included */
};

struct kho_root_client {
	const char *name;
	const char *compatible;
	u64 tracker;
	int node;
};

struct kho_root_blob {
	const char *name;
	u64 phys;
	u64 size;
};

int kho_root_begin(void *buf, size_t size, unsigned int page_shift,
		   u64 tracker_phys, const struct kho_root_meta *meta);
int kho_root_begin_client(void *buf, const char *name, const char *compatible,
			  u64 tracker_phys);
int kho_root_add_blob(void *buf, const char *name, u64 phys, u64 size);
int kho_root_end_client(void *buf);
int kho_root_finish(void *buf);
int kho_root_set_frozen_at(void *buf, u64 seconds);
int kho_root_check(const void *fdt, size_t max_size, unsigned int page_shift,
		   u64 *tracker_phys, const char **why);
int kho_root_get_meta(const void *fdt, struct kho_root_meta *meta);
int kho_root_next_client(const void *fdt, int prev,
			 struct kho_root_client *client);
int kho_root_next_dropped(const void *fdt, int prev, const char **name);
int kho_root_find_blob(const void *fdt, int client_node, const char *name,
		       u64 *phys, u64 *size);
int kho_root_next_blob(const void *fdt, int client_node, int prev,
		       struct kho_root_blob *blob);
bool kho_name_valid(const char *name);
int kho_scratch_check(const struct kho_scratch_entry *table, unsigned int nr,
		      u64 page_size, const char **why);

#endif /* _KEXEC_HANDOVER_ROOT_H */
