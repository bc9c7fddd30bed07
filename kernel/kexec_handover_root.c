// SPDX-License-Identifier: GPL-2.0
/*
 * KHO root tree and scratch table: build them, and check the ones written
 * by another kernel (include/linux/kho/abi.h). Pure libfdt logic on a
 * buffer: also built in userspace for tests and fuzzing.
 */
#include <linux/errno.h>
#include <linux/kho/abi.h>
#include <linux/libfdt.h>
#include <linux/string.h>
#include <linux/types.h>

#include "kexec_handover_root.h"

/*
 * A client or blob name is a root tree node name: 1 to KHO_NAME_MAX - 1
 * characters out of letters, digits and ",._+-", not starting with ".".
 */
bool kho_name_valid(const char *name)
{
	size_t i, len = strnlen(name, KHO_NAME_MAX);

	if (!len || len >= KHO_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(",._+-", c))
			continue;
		return false;
	}
	return true;
}

static int kho_fdt_err(int err)
{
	if (err == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return err ? -EINVAL : 0;
}

/*
 * Start writing a root tree into @buf, allocating nothing; then, per client,
 * kho_root_begin_client(), kho_root_add_blob()..., kho_root_end_client(), and
 * kho_root_finish(). These return 0, -ENOSPC (does not fit) or -EINVAL.
 */
int kho_root_begin(void *buf, size_t size, unsigned int page_shift,
		   u64 tracker_phys, const struct kho_root_meta *meta)
{
	int err;

	err = fdt_create(buf, size);
	err = err ?: fdt_finish_reservemap(buf);
	err = err ?: fdt_begin_node(buf, "");
	err = err ?: fdt_property_string(buf, KHO_PROP_COMPATIBLE,
					 KHO_ROOT_COMPATIBLE);
	err = err ?: fdt_property_u32(buf, KHO_PROP_PAGE_SHIFT, page_shift);
	err = err ?: fdt_property_u64(buf, KHO_PROP_TRACKER, tracker_phys);
	err = err ?: fdt_property_string(buf, KHO_PROP_RELEASE, meta->release);
	err = err ?: fdt_property_u32(buf, KHO_PROP_BOOT_COUNT,
				      meta->boot_count);
	err = err ?: fdt_property_u64(buf, KHO_PROP_FROZEN_AT, meta->frozen_at);
	if (meta->dropped_len)
		err = err ?: fdt_property(buf, KHO_PROP_DROPPED, meta->dropped,
					  meta->dropped_len);
	return kho_fdt_err(err);
}

/* Open a client node in the tree being built. */
int kho_root_begin_client(void *buf, const char *name, const char *compatible,
			  u64 tracker_phys)
{
	int err;

	err = fdt_begin_node(buf, name);
	err = err ?: fdt_property_string(buf, KHO_PROP_COMPATIBLE, compatible);
	err = err ?: fdt_property_u64(buf, KHO_PROP_TRACKER, tracker_phys);
	return kho_fdt_err(err);
}

/* Add a blob to the client node being written. */
int kho_root_add_blob(void *buf, const char *name, u64 phys, u64 size)
{
	int err;

	err = fdt_begin_node(buf, name);
	err = err ?: fdt_property_u64(buf, KHO_PROP_BLOB_ADDR, phys);
	err = err ?: fdt_property_u64(buf, KHO_PROP_BLOB_SIZE, size);
	err = err ?: fdt_end_node(buf);
	return kho_fdt_err(err);
}

/* Close the client node being written. */
int kho_root_end_client(void *buf)
{
	return kho_fdt_err(fdt_end_node(buf));
}

/* End a root tree. */
int kho_root_finish(void *buf)
{
	int err = fdt_end_node(buf);

	return kho_fdt_err(err ?: fdt_finish(buf));
}

/* Record the freeze time in a finished tree, in place: 0 or -EINVAL. */
int kho_root_set_frozen_at(void *buf, u64 seconds)
{
	return fdt_setprop_inplace_u64(buf, 0, KHO_PROP_FROZEN_AT, seconds) ?
	       -EINVAL : 0;
}

static int kho_get_u64(const void *fdt, int node, const char *name, u64 *val)
{
	const void *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len != sizeof(fdt64_t))
		return -EINVAL;
	*val = fdt64_ld(p);
	return 0;
}

/* A NUL-terminated string property of at most @max bytes, or NULL. */
static const char *kho_get_string(const void *fdt, int node, const char *name,
				  int max)
{
	const char *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p || len < 1 || len > max || strnlen(p, len) != len - 1)
		return NULL;
	return p;
}

static bool kho_phys_ok(u64 phys, unsigned int page_shift)
{
	return phys && !(phys & ((1ULL << page_shift) - 1));
}

/* Does a blob before @node in @client overlap [@phys, @phys + @size). */
static bool kho_root_blob_overlaps(const void *fdt, int client, int node,
				   u64 phys, u64 size)
{
	u64 p, s;
	int prev;

	fdt_for_each_subnode(prev, fdt, client) {
		if (prev == node)
			break;
		if (!kho_get_u64(fdt, prev, KHO_PROP_BLOB_ADDR, &p) &&
		    !kho_get_u64(fdt, prev, KHO_PROP_BLOB_SIZE, &s) &&
		    p < phys + size && phys < p + s)
			return true;
	}
	return false;
}

/*
 * A client node: name, compatible, tracker, and valid blob nodes, no two
 * of which overlap (the client would read one through the other).
 */
static int kho_root_check_client(const void *fdt, int client,
				 unsigned int page_shift, const char **why)
{
	const char *name = fdt_get_name(fdt, client, NULL);
	u64 tracker, phys, size;
	int node;

	*why = "bad client node";
	if (!name || !kho_name_valid(name) ||
	    !kho_get_string(fdt, client, KHO_PROP_COMPATIBLE,
			    KHO_COMPATIBLE_MAX) ||
	    kho_get_u64(fdt, client, KHO_PROP_TRACKER, &tracker) ||
	    !kho_phys_ok(tracker, page_shift))
		return -EINVAL;
	fdt_for_each_subnode(node, fdt, client) {
		name = fdt_get_name(fdt, node, NULL);
		*why = "bad blob node";
		if (!name || !kho_name_valid(name) ||
		    kho_get_u64(fdt, node, KHO_PROP_BLOB_ADDR, &phys) ||
		    kho_get_u64(fdt, node, KHO_PROP_BLOB_SIZE, &size) ||
		    !size || phys + size < phys ||
		    size > (1ULL << (page_shift + KHO_TRACKER_MAX_ORDERS - 1)))
			return -EINVAL;
		/* Names contain no '@': the lookup finds the first exact match. */
		*why = "duplicate blob name";
		if (fdt_subnode_offset(fdt, client, name) != node)
			return -EINVAL;
		*why = "overlapping blobs";
		if (kho_root_blob_overlaps(fdt, client, node, phys, size))
			return -EINVAL;
	}
	*why = "corrupted FDT";
	return node == -FDT_ERR_NOTFOUND ? 0 : -EINVAL;
}

/* Walk every node and property once: libfdt checks each offset it visits. */
static int kho_fdt_check_structure(const void *fdt)
{
	int node = 0, depth = 0, prop, len;

	/* fdt_next_node() leaves depth negative past the root's end. */
	while (node >= 0 && depth >= 0) {
		if (!fdt_get_name(fdt, node, &len))
			return -EINVAL;
		fdt_for_each_property_offset(prop, fdt, node) {
			if (!fdt_getprop_by_offset(fdt, prop, NULL, &len))
				return -EINVAL;
		}
		if (prop != -FDT_ERR_NOTFOUND)
			return -EINVAL;
		node = fdt_next_node(fdt, node, &depth);
		if (depth > 2)
			return -EINVAL;
	}
	return node >= 0 || node == -FDT_ERR_NOTFOUND ? 0 : -EINVAL;
}

/*
 * Validate a scratch table from another kernel: every entry page aligned,
 * non-empty, not wrapping, overlapping no other. 0 or -EINVAL with *@why.
 */
int kho_scratch_check(const struct kho_scratch_entry *table, unsigned int nr,
		      u64 page_size, const char **why)
{
	unsigned int i, j;

	if (!nr || nr > KHO_SCRATCH_MAX_ENTRIES) {
		*why = "bad number of scratch areas";
		return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		u64 a = table[i].addr, s = table[i].size;

		if (!s || (a | s) & (page_size - 1) || a + s < a) {
			*why = "bad scratch area";
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (a < table[j].addr + table[j].size &&
			    table[j].addr < a + s) {
				*why = "overlapping scratch areas";
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * The list of dropped clients, if any: valid names, none twice, none also
 * a client node, at most %KHO_CLIENTS_MAX clients in all (@nr so far).
 */
static int kho_root_check_dropped(const void *fdt, unsigned int nr)
{
	const char *p, *end, *q, *r;
	int len;

	p = fdt_getprop(fdt, 0, KHO_PROP_DROPPED, &len);
	if (!p)
		return len == -FDT_ERR_NOTFOUND ? 0 : -EINVAL;
	if (len < 2 || p[len - 1])
		return -EINVAL;
	for (end = p + len, q = p; q < end; q += strlen(q) + 1) {
		if (++nr > KHO_CLIENTS_MAX || !kho_name_valid(q) ||
		    fdt_subnode_offset(fdt, 0, q) >= 0)
			return -EINVAL;
		for (r = p; r < q; r += strlen(r) + 1) {
			if (!strcmp(r, q))
				return -EINVAL;
		}
	}
	return 0;
}

/*
 * Validate a root tree from another kernel: FDT header and structure within
 * @max_size, compatible, page size, kexec metadata, every client node (name,
 * compatible, tracker) and blob node (name, address, size). Addresses are
 * only checked for alignment and overflow: whether they lie in preserved
 * memory is the caller's to check. 0 or -EINVAL with *@why.
 */
int kho_root_check(const void *fdt, size_t max_size, unsigned int page_shift,
		   u64 *tracker_phys, const char **why)
{
	struct kho_root_meta meta;
	unsigned int nr = 0;
	const void *p;
	int node, len;
	u32 shift;

	if (max_size < sizeof(struct fdt_header)) {
		*why = "root tree too small";
		return -EINVAL;
	}
	if (fdt_magic(fdt) != FDT_MAGIC) {
		/* kho_update_root() clears an aborted handover. */
		*why = fdt_magic(fdt) ? "not an FDT" : "aborted by the previous kernel";
		return -EINVAL;
	}
	/* libfdt reads tags in place: the structure block must be aligned. */
	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > max_size ||
	    fdt_off_dt_struct(fdt) % FDT_TAGSIZE ||
	    kho_fdt_check_structure(fdt)) {
		*why = "corrupted FDT";
		return -EINVAL;
	}
	if (fdt_node_check_compatible(fdt, 0, KHO_ROOT_COMPATIBLE)) {
		*why = "incompatible version (compatible is not " KHO_ROOT_COMPATIBLE ")";
		return -EINVAL;
	}
	p = fdt_getprop(fdt, 0, KHO_PROP_PAGE_SHIFT, &len);
	if (!p || len != sizeof(fdt32_t)) {
		*why = "missing page-shift";
		return -EINVAL;
	}
	shift = fdt32_ld(p);
	if (shift != page_shift) {
		*why = "page size differs";
		return -EINVAL;
	}
	if (kho_get_u64(fdt, 0, KHO_PROP_TRACKER, tracker_phys) ||
	    !kho_phys_ok(*tracker_phys, page_shift)) {
		*why = "bad tracker address";
		return -EINVAL;
	}
	if (kho_root_get_meta(fdt, &meta)) {
		*why = "bad kexec metadata";
		return -EINVAL;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		if (++nr > KHO_CLIENTS_MAX) {
			*why = "too many clients";
			return -EINVAL;
		}
		if (kho_root_check_client(fdt, node, page_shift, why))
			return -EINVAL;
		if (fdt_subnode_offset(fdt, 0, fdt_get_name(fdt, node, NULL)) !=
		    node) {
			*why = "duplicate client name";
			return -EINVAL;
		}
	}
	if (node != -FDT_ERR_NOTFOUND) {
		*why = "corrupted FDT";
		return -EINVAL;
	}
	if (kho_root_check_dropped(fdt, nr)) {
		*why = "bad list of dropped clients";
		return -EINVAL;
	}
	return 0;
}

/*
 * Kexec metadata of a tree checked with kho_root_check(); @meta->release
 * points into @fdt. 0 or -EINVAL.
 */
int kho_root_get_meta(const void *fdt, struct kho_root_meta *meta)
{
	const void *p;
	int len;

	meta->release = kho_get_string(fdt, 0, KHO_PROP_RELEASE,
				       KHO_RELEASE_MAX);
	p = fdt_getprop(fdt, 0, KHO_PROP_BOOT_COUNT, &len);
	if (!meta->release || !p || len != sizeof(fdt32_t) ||
	    kho_get_u64(fdt, 0, KHO_PROP_FROZEN_AT, &meta->frozen_at))
		return -EINVAL;
	meta->boot_count = fdt32_ld(p);
	return 0;
}

/*
 * Clients of a checked tree: @prev 0 to start, then the previous return;
 * strings point into @fdt. A positive cursor (also @client->node) or -ENOENT.
 */
int kho_root_next_client(const void *fdt, int prev,
			 struct kho_root_client *client)
{
	int node = prev ? fdt_next_subnode(fdt, prev) : fdt_first_subnode(fdt, 0);

	if (node < 0)
		return -ENOENT;
	client->name = fdt_get_name(fdt, node, NULL);
	client->compatible = kho_get_string(fdt, node, KHO_PROP_COMPATIBLE,
					    KHO_COMPATIBLE_MAX);
	client->node = node;
	if (!client->name || !client->compatible ||
	    kho_get_u64(fdt, node, KHO_PROP_TRACKER, &client->tracker))
		return -ENOENT;
	return node;
}

/*
 * Clients the writer dropped (their freeze failed), iterated as
 * kho_root_next_client(); *@name points into @fdt.
 */
int kho_root_next_dropped(const void *fdt, int prev, const char **name)
{
	*name = fdt_stringlist_get(fdt, 0, KHO_PROP_DROPPED, prev, NULL);
	return *name ? prev + 1 : -ENOENT;
}

/* A blob of a client of a checked tree, by name: 0 or -ENOENT. */
int kho_root_find_blob(const void *fdt, int client_node, const char *name,
		       u64 *phys, u64 *size)
{
	int node = fdt_subnode_offset(fdt, client_node, name);

	if (node < 0 || kho_get_u64(fdt, node, KHO_PROP_BLOB_ADDR, phys) ||
	    kho_get_u64(fdt, node, KHO_PROP_BLOB_SIZE, size))
		return -ENOENT;
	return 0;
}

/* Blobs of a client of a checked tree, iterated as kho_root_next_client(). */
int kho_root_next_blob(const void *fdt, int client_node, int prev,
		       struct kho_root_blob *blob)
{
	int node = prev ? fdt_next_subnode(fdt, prev) :
			  fdt_first_subnode(fdt, client_node);

	if (node < 0)
		return -ENOENT;
	blob->name = fdt_get_name(fdt, node, NULL);
	if (!blob->name ||
	    kho_get_u64(fdt, node, KHO_PROP_BLOB_ADDR, &blob->phys) ||
	    kho_get_u64(fdt, node, KHO_PROP_BLOB_SIZE, &blob->size))
		return -ENOENT;
	return node;
}
