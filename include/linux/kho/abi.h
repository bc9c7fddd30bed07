/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kexec HandOver (KHO) wire format: what one kernel hands to the next.
 *
 * Everything in this file is ABI between two kernels that may be built from
 * different sources. Any change to a layout or to the meaning of a field
 * bumps the version it belongs to; a kernel refuses a handover whose
 * versions it does not know.
 */
#ifndef _LINUX_KHO_ABI_H
#define _LINUX_KHO_ABI_H

#include <linux/types.h>

/**
 * DOC: KHO root tree
 *
 * The handover starts at the root tree: a flattened device tree (FDT) of
 * at most %KHO_ROOT_MAX_SIZE bytes at a fixed, page aligned physical address
 * that is passed to the next kernel by the architecture (x86: setup_data of
 * type %SETUP_KEXEC_HANDOVER; arm64: the %KHO_CHOSEN_ROOT property of
 * ``/chosen``). Integers in the tree are big endian, as in any FDT; the
 * trackers it points to are native endian, so both kernels must use the
 * same page size and endianness.
 *
 * The root node has:
 *
 * - ``compatible``: the string %KHO_ROOT_COMPATIBLE. Any change to this
 *   layout changes the string.
 * - ``page-shift``: u32, PAGE_SHIFT of the kernel that wrote the handover.
 * - ``tracker``: u64, physical address of the core's own preserved-memory
 *   tracker (&struct kho_tracker_hdr): the root tree's memory.
 * - ``release``: string, the release (``uname -r``) of the kernel that
 *   wrote the handover, at most %KHO_RELEASE_MAX bytes with the NUL.
 * - ``boot-count``: u32, how many kexec handovers the chain went through,
 *   this one included: 1 for the handover written by a kernel that was not
 *   itself booted through KHO.
 * - ``frozen-at``: u64, the writer's CLOCK_REALTIME in seconds when the
 *   handover was frozen for the jump, 0 if it was not (it always is when a
 *   kernel reads it).
 * - ``dropped``: optional string list, the names of the clients the writer
 *   dropped from the handover because their freeze callback failed; none
 *   of them has a client node, no name appears twice, and clients plus
 *   dropped names are at most %KHO_CLIENTS_MAX. Their memory is not
 *   handed over; the next kernel tells such a client that it was dropped.
 *   A reader that ignores the list sees those clients as absent.
 *
 * and one child node per client, named after the client, with:
 *
 * - ``compatible``: string, the version of the client's state, chosen by
 *   the client, at most %KHO_COMPATIBLE_MAX bytes with the NUL;
 * - ``tracker``: u64, physical address of the client's tracker: exactly
 *   the memory the client preserved (plus the tracker's own pages);
 *
 * and one child node per blob the client published, named after the blob,
 * with:
 *
 * - ``addr``: u64, physical address of the blob;
 * - ``size``: u64, size of the blob in bytes.
 *
 * A blob is opaque to KHO: by convention a client's own FDT. Blob memory
 * is memory preserved by the same client. Client and blob names are node
 * names: 1 to %KHO_NAME_MAX - 1 characters out of letters, digits and
 * ``,._+-``, not starting with ``.``; there are at most
 * %KHO_CLIENTS_MAX clients. A block of memory belongs to at most one
 * tracker; the next kernel ignores a block that overlaps another.
 */
#define KHO_ROOT_COMPATIBLE	"kexec-handover-v1"
#define KHO_ROOT_MAX_SIZE	(16 * 1024)
#define KHO_PROP_PAGE_SHIFT	"page-shift"
#define KHO_PROP_TRACKER	"tracker"
#define KHO_PROP_RELEASE	"release"
#define KHO_PROP_BOOT_COUNT	"boot-count"
#define KHO_PROP_FROZEN_AT	"frozen-at"
#define KHO_PROP_DROPPED	"dropped"
#define KHO_PROP_COMPATIBLE	"compatible"
#define KHO_PROP_BLOB_ADDR	"addr"
#define KHO_PROP_BLOB_SIZE	"size"
#define KHO_NAME_MAX		64
#define KHO_COMPATIBLE_MAX	64
#define KHO_RELEASE_MAX		65
#define KHO_CLIENTS_MAX		64

/**
 * DOC: KHO scratch table
 *
 * The scratch areas are the memory the next kernel may use for everything
 * it allocates before its page allocator runs. They are passed as a table
 * of &struct kho_scratch_entry (x86: in the same setup_data entry as the
 * root tree; arm64: the %KHO_CHOSEN_SCRATCH property of ``/chosen``).
 * Entries are page aligned, non-empty and do not overlap; there are at most
 * %KHO_SCRATCH_MAX_ENTRIES of them. The first entry is the area meant for
 * the kexec segments of the next handover; every kernel passes the table
 * on in the order it received it.
 */
#define KHO_SCRATCH_MAX_ENTRIES	64

/**
 * DOC: KHO identity
 *
 * Upstream Linux has a Kexec HandOver of its own, with other layouts under
 * other identifiers: x86 setup_data type 10 (``SETUP_KEXEC_KHO``), the
 * ``/chosen`` properties ``linux,kho-fdt`` and ``linux,kho-scratch``, and
 * root compatibles ``kho-v1``, ``kho-v2``, ``kho-v3``. This handover uses
 * none of them, so that each kind of kernel ignores the other's handover
 * instead of misreading it: setup_data type %SETUP_KEXEC_HANDOVER, whose
 * payload starts with %KHO_SETUP_DATA_MAGIC; the ``/chosen`` properties
 * %KHO_CHOSEN_ROOT and %KHO_CHOSEN_SCRATCH; root compatible
 * %KHO_ROOT_COMPATIBLE. A kernel that finds upstream's identifiers and
 * not these boots without a handover and says so.
 */
#define KHO_CHOSEN_ROOT		"linux,kexec-handover"
#define KHO_CHOSEN_SCRATCH	"linux,kexec-handover-scratch"
#define KHO_OTHER_HANDOVER	"handover of another KHO implementation"
#define KHO_OTHER_CHOSEN_ROOT	"linux,kho-fdt"
#define KHO_OTHER_CHOSEN_SCRATCH "linux,kho-scratch"

/**
 * struct kho_scratch_entry - one scratch area
 * @addr: physical start, page aligned
 * @size: size in bytes, page aligned, non-zero
 */
struct kho_scratch_entry {
	__u64 addr;
	__u64 size;
};

/**
 * DOC: KHO preserved-memory tracker
 *
 * Preserved memory is a set of naturally aligned blocks of 2^order pages,
 * 0 <= order < @nr_orders; @nr_orders may exceed the page allocator's
 * orders, for blocks such as 1 GiB folios. For each order the tracker is a sparse bitmap
 * with one bit per block (bit index = pfn >> order), stored as a radix
 * tree of page-sized nodes linked by physical address:
 *
 * - a leaf is one page of bits: bit b of the leaf covers block index
 *   (leaf_index << (page_shift + 3)) + b, counted in unsigned longs as
 *   the kernel's bitmap helpers do (bit b is bit b % 64 of u64 word b / 64);
 * - an interior node is one page of u64 physical addresses of its children
 *   (0: no child), 2^(page_shift - 3) of them;
 * - every order has the same number of interior levels, @levels, enough to
 *   cover %KHO_TRACKER_PHYS_BITS of physical address space at order 0.
 *
 * Entry order of @root is the top interior node of that order, or 0 when
 * nothing of that order is preserved. The tracker preserves its own pages
 * (header and nodes) as order-0 blocks, so the next kernel can read it at
 * any time.
 *
 * The tracker is live: it is updated in place as memory is preserved, so
 * whatever is preserved until the jump into the next kernel is handed over.
 */
#define KHO_TRACKER_MAGIC	0x4b484f5452414b31ULL	/* "KHOTRAK1" */
#define KHO_TRACKER_VERSION	1
#define KHO_TRACKER_PHYS_BITS	52
#define KHO_TRACKER_MAX_ORDERS	32

/**
 * struct kho_tracker_hdr - tracker header, the first page of the tracker
 * @magic: %KHO_TRACKER_MAGIC
 * @version: %KHO_TRACKER_VERSION
 * @page_shift: PAGE_SHIFT of the writer
 * @nr_orders: number of orders tracked
 * @levels: interior levels per order
 * @root: physical address of each order's top node, 0 if empty
 */
struct kho_tracker_hdr {
	__u64 magic;
	__u32 version;
	__u32 page_shift;
	__u32 nr_orders;
	__u32 levels;
	__u64 root[KHO_TRACKER_MAX_ORDERS];
};

/**
 * DOC: KHO record arrays
 *
 * A helper for clients (kho_array_init() and friends) stores an array of
 * fixed-size records in a chain of preserved pages, each starting with a
 * &struct kho_array_page followed by @nr records of @rec_size bytes. The
 * client publishes the physical address of the first page, in its blob for
 * instance; the next kernel walks the chain.
 */
#define KHO_ARRAY_MAGIC		0x4b484f4152523031ULL	/* "KHOARR01" */

/**
 * struct kho_array_page - header of each page of a record array
 * @magic: %KHO_ARRAY_MAGIC
 * @next: physical address of the next page, 0 in the last one
 * @rec_size: bytes per record, the same in every page
 * @nr: records in this page
 */
struct kho_array_page {
	__u64 magic;
	__u64 next;
	__u32 rec_size;
	__u32 nr;
};

#endif /* _LINUX_KHO_ABI_H */
