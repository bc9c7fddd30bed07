/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: live update handover format
 *
 * The live update client ("liveupdate", kernel/liveupdate/) hands the
 * sessions of /dev/liveupdate to the next kernel. It publishes one blob,
 * "sessions", a struct luo_kho_header, which lists the physical address
 * of one page per session, a struct luo_kho_session. A session lists its
 * files in a KHO record array (include/linux/kho/abi.h) of struct
 * luo_kho_file: the token, the name of the file handler that preserved the
 * file, and the handler's own value, whose format is the handler's (the
 * memfd handler's is struct luo_kho_memfd).
 *
 * All integers are little-endian on the wire as in memory (the next kernel
 * runs on the same machine). The next kernel checks every field: a header
 * that fails is ignored whole; a session that fails (bad magic, checksum,
 * name, counts, a token twice) is dropped alone, with a message, and its
 * memory is released; the other sessions survive.
 */
#ifndef _LINUX_KHO_LIVEUPDATE_H
#define _LINUX_KHO_LIVEUPDATE_H

#include <linux/types.h>

#define LUO_KHO_CLIENT		"liveupdate"
#define LUO_KHO_COMPATIBLE	"kho-liveupdate-v1"
#define LUO_KHO_BLOB		"sessions"

#define LUO_KHO_HEADER_MAGIC	0x3176734f554c4b48ULL	/* "HKLUOsv1" */
#define LUO_KHO_SESSION_MAGIC	0x31737365534f554cULL	/* "LUOSess1" */

/* Limits the next kernel enforces. */
#define LUO_KHO_MAX_SESSIONS	1024
#define LUO_KHO_MAX_FILES	65536	/* per session */
#define LUO_KHO_NAME_LEN	64	/* with the final NUL */
#define LUO_KHO_HANDLER_LEN	32	/* with the final NUL */

/**
 * struct luo_kho_header - the "sessions" blob
 * @magic: LUO_KHO_HEADER_MAGIC
 * @nr_sessions: entries used in @sessions, at most LUO_KHO_MAX_SESSIONS
 * @reserved: zero
 * @sessions: physical address of each session's page
 */
struct luo_kho_header {
	__u64 magic;
	__u32 nr_sessions;
	__u32 reserved;
	__u64 sessions[LUO_KHO_MAX_SESSIONS];
};

/**
 * struct luo_kho_session - one session, at the start of its own page
 * @magic: LUO_KHO_SESSION_MAGIC
 * @name: the session's name, NUL-terminated, not empty
 * @files: kho_array_phys() of its struct luo_kho_file records, 0 if none
 * @nr_files: records in @files, at most LUO_KHO_MAX_FILES
 * @crc: crc32_le(~0) of this struct with @crc zero
 */
struct luo_kho_session {
	__u64 magic;
	__u8 name[LUO_KHO_NAME_LEN];
	__u64 files;
	__u32 nr_files;
	__u32 crc;
};

/**
 * struct luo_kho_file - one preserved file of a session
 * @token: the token user space preserved it under, unique in its session
 * @handler: compatible string of the handler, NUL-terminated
 * @data: the handler's value
 */
struct luo_kho_file {
	__u64 token;
	__u8 handler[LUO_KHO_HANDLER_LEN];
	__u64 data;
};

/* The memfd (shmem and hugetlbfs) handler, mm/memfd_kho.c. */
#define LUO_KHO_MEMFD_COMPATIBLE	"kho-memfd-v1"
#define LUO_KHO_MEMFD_MAGIC	0x3164666d654d4b48ULL	/* "HKMemfd1" */
#define LUO_KHO_MEMFD_NAME_LEN	248	/* with the final NUL */

/**
 * struct luo_kho_memfd - a memfd, at the start of its own page; its
 * luo_kho_file's @data is the page's physical address
 * @magic: LUO_KHO_MEMFD_MAGIC
 * @size: the file size in bytes
 * @seals: F_SEAL_* of the file
 * @flags: LUO_KHO_MEMFD_* below
 * @nr_folios: records in @folios
 * @nr_pages: base pages the folios hold, at most
 *	DIV_ROUND_UP(@size, PAGE_SIZE)
 * @folios: kho_array_phys() of struct luo_kho_memfd_folio records
 * @name: the file's name without the "memfd:" prefix, NUL-terminated
 */
struct luo_kho_memfd {
	__u64 magic;
	__u64 size;
	__u32 seals;
	__u32 flags;
	__u64 nr_folios;
	__u64 nr_pages;
	__u64 folios;
	__u8 name[LUO_KHO_MEMFD_NAME_LEN];
};

#define LUO_KHO_MEMFD_NOEXEC	0x1	/* file mode had no exec bits */
/*
 * A hugetlbfs memfd: bits 26-31 of @flags hold log2 of its huge page size
 * (as MFD_HUGE_SHIFT does), its folios are huge pages of that size and
 * @size is a multiple of it.
 */
#define LUO_KHO_MEMFD_HUGETLB	0x2
#define LUO_KHO_MEMFD_HUGE_SHIFT	26
#define LUO_KHO_MEMFD_HUGE_MASK	0x3fU

/**
 * struct luo_kho_memfd_folio - one folio of a memfd
 * @pfn: the folio's first page frame, preserved at the folio's order
 * @index: its index in the file, in base pages, a multiple of its size
 * @flags: LUO_KHO_FOLIO_* below
 * @reserved: zero
 */
struct luo_kho_memfd_folio {
	__u64 pfn;
	__u64 index;
	__u32 flags;
	__u32 reserved;
};

#define LUO_KHO_FOLIO_UPTODATE	0x1
#define LUO_KHO_FOLIO_DIRTY	0x2

#endif /* _LINUX_KHO_LIVEUPDATE_H */
