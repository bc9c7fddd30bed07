/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Kexec HandOver (KHO) client API
 *
 * A client (a driver or subsystem) registers under a unique name with
 * kho_client_register() and gets a handle. With it, it preserves the
 * memory it wants to keep (folios of any order, page ranges, physical
 * ranges outside the page allocator, arrays of records) and
 * publishes small named blobs, usually its own FDT. Everything a client
 * preserves belongs to it: no other client can unpreserve it, and
 * unregistering drops it. Optional callbacks tell the client when a kexec
 * image carrying the handover is loaded (prepare), when the jump is about
 * to happen (freeze) and when the handover is called off (abort).
 *
 * In the next kernel the client registers again under the same name, at
 * any time (a module loaded late is fine), checks its incoming state with
 * kho_client_incoming(), restores what it wants and calls kho_finish():
 * what it did not restore is released. Incoming state of a client that
 * never comes is released by the policy of Documentation/kho/admin.rst.
 *
 * See Documentation/kho/api.rst for a complete client, and
 * include/linux/kho/abi.h for the wire format.
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/types.h>
#include <linux/err.h>
#include <linux/errno.h>

struct folio;
struct kexec_buf;
struct kho_client;
struct kho_scratch_entry;
struct kimage;
struct page;
struct resource;

/**
 * struct kho_client_ops - lifecycle callbacks of a client, all optional
 * @prepare: an image carrying the handover was loaded with kexec_file_load
 *	(called again on every load). The client may allocate, preserve and
 *	publish its state here. Process context, may sleep. A non-zero
 *	return fails the load with that error, after @abort was called for
 *	the clients already prepared.
 * @sync: the kexec jump is about to happen and preserving is still open:
 *	the client preserves what changed since @prepare or since it last
 *	preserved (memory its users filled in meanwhile, say). Process
 *	context, may sleep and allocate. A non-zero return refuses the jump
 *	(the kexec reboot fails with it) and the kernel goes on, nothing
 *	lost.
 * @freeze: the kexec jump is about to happen: preserving, unpreserving
 *	and publishing fail from now on. The client updates its blobs in
 *	place and must not allocate memory. Process context. A client that
 *	returns an error is dropped from the handover, alone and loudly: the
 *	next kernel finds none of its state and the jump goes on.
 * @abort: what @prepare or @freeze did will not be used: the handover was
 *	aborted through sysfs, the loaded image was unloaded or replaced by
 *	one without the handover, or the jump returned. Process context.
 * @pending: does the client have state to hand over that only @prepare
 *	preserves (a trace instance marked for the handover, say), even
 *	though it preserves nothing yet. While it does, kexec_load, which
 *	cannot carry a handover, is refused, and so is a jump into an image
 *	loaded with it, as when memory is preserved. Process context, may
 *	take the client's own locks; must not call into KHO.
 *
 * @prepare runs for every client registered when an image is loaded, and
 * at registration for a client that registers while an image is loaded.
 * A @prepare that fails must leave the client's state as it was before
 * the call: on a reload that fails, the clients already prepared for the
 * image that stays loaded stay prepared.
 */
struct kho_client_ops {
	int (*prepare)(struct kho_client *client, void *data);
	int (*sync)(struct kho_client *client, void *data);
	int (*freeze)(struct kho_client *client, void *data);
	void (*abort)(struct kho_client *client, void *data);
	bool (*pending)(struct kho_client *client, void *data);
};

/**
 * struct kho_client_desc - how a client registers
 * @name: unique name, 1 to 63 characters out of letters, digits and
 *	",._+-", not starting with "."
 * @compatible: version of the state this kernel writes, for example
 *	"foo-v2"; at most 63 characters
 * @accept: NULL-terminated list of other incoming versions the client can
 *	read, or NULL: incoming state of any other version is rejected and
 *	released at registration
 * @ops: callbacks, or NULL
 * @data: passed to every callback
 */
struct kho_client_desc {
	const char *name;
	const char *compatible;
	const char * const *accept;
	const struct kho_client_ops *ops;
	void *data;
};

/**
 * struct kho_array - an array of fixed-size records in preserved pages
 * @client: owner of the pages
 * @rec_size: bytes per record
 * @nr: records so far
 * @head: first page, whose physical address the next kernel needs
 * @tail: last page, where records are added
 *
 * Records are appended with kho_array_add(), one allocation per page of
 * records; the next kernel reads them with kho_array_restore().
 */
struct kho_array {
	struct kho_client *client;
	size_t rec_size;
	unsigned long nr;
	void *head;
	void *tail;
};

/**
 * struct kho_array_map - every page of an incoming record array, taken
 *	at once for random access
 * @nr: records
 * @rec_size: bytes per record
 * @per_page: records in each page (the last may have fewer)
 * @nr_pages: pages
 * @pages: the records of each page
 */
struct kho_array_map {
	unsigned long nr;
	size_t rec_size;
	unsigned int per_page;
	unsigned int nr_pages;
	void **pages;
};

/* Record @i of @map, which has more than @i records. */
static inline void *kho_array_map_rec(const struct kho_array_map *map,
				      unsigned long i)
{
	return map->pages[i / map->per_page] +
	       (i % map->per_page) * map->rec_size;
}

#ifdef CONFIG_KEXEC_HANDOVER

bool kho_is_enabled(void);

struct kho_client *kho_client_register(const struct kho_client_desc *desc);
void kho_client_unregister(struct kho_client *client);

int kho_preserve_folio(struct kho_client *client, struct folio *folio);
int kho_unpreserve_folio(struct kho_client *client, struct folio *folio);
int kho_preserve_folios(struct kho_client *client, struct folio **folios,
			unsigned int nr);
int kho_unpreserve_folios(struct kho_client *client, struct folio **folios,
			  unsigned int nr);
int kho_preserve_pages(struct kho_client *client, struct page *page,
		       unsigned long nr_pages);
int kho_unpreserve_pages(struct kho_client *client, struct page *page,
			 unsigned long nr_pages);
int kho_preserve_phys(struct kho_client *client, phys_addr_t phys,
		      phys_addr_t size);
int kho_unpreserve_phys(struct kho_client *client, phys_addr_t phys,
			phys_addr_t size);
void *kho_alloc_preserve(struct kho_client *client, size_t size);
void kho_unpreserve_free(struct kho_client *client, void *ptr);
int kho_add_blob(struct kho_client *client, const char *name,
		 const void *blob, size_t size);
int kho_remove_blob(struct kho_client *client, const char *name);

int kho_array_init(struct kho_array *array, struct kho_client *client,
		   size_t rec_size);
void *kho_array_add(struct kho_array *array);
phys_addr_t kho_array_phys(const struct kho_array *array);
void kho_array_destroy(struct kho_array *array);

int kho_client_incoming(struct kho_client *client, const char **compatible);
int kho_get_blob(struct kho_client *client, const char *name,
		 phys_addr_t *phys, size_t *size);
struct folio *kho_restore_folio(struct kho_client *client, phys_addr_t phys);
unsigned int kho_restore_folios(struct kho_client *client,
				const phys_addr_t *phys, unsigned int nr,
				struct folio **folios);
struct page *kho_restore_pages(struct kho_client *client, phys_addr_t phys,
			       unsigned long nr_pages);
void *kho_restore_preserved(struct kho_client *client, phys_addr_t phys,
			    size_t size);
long kho_array_restore(struct kho_client *client, phys_addr_t phys,
		       size_t rec_size,
		       int (*fn)(void *arg, const void *rec, unsigned long i),
		       void *arg);
long kho_array_restore_pages(struct kho_client *client, phys_addr_t phys,
			     size_t rec_size,
			     int (*fn)(void *arg, const void *recs,
				       unsigned int nr, unsigned long first),
			     void *arg);
int kho_array_map(struct kho_client *client, phys_addr_t phys,
		  size_t rec_size, struct kho_array_map *map);
void kho_array_unmap(struct kho_array_map *map);
long kho_array_map_parallel(const struct kho_array_map *map,
			    int (*fn)(void *arg, const void *recs,
				      unsigned int nr, unsigned long first),
			    void *arg, unsigned int threads);
void kho_finish(struct kho_client *client);

/* For kexec, mm and architecture code, not for clients. */
bool kho_populate(phys_addr_t root_phys, size_t root_size,
		  const struct kho_scratch_entry *scratch, unsigned int nr);
void kho_populate_refused(const char *why);
int kho_early_blob(const char *client, const char *compatible,
		   const char *name, phys_addr_t *phys, size_t *size);

/*
 * Hooks called from kexec, mm and drivers/of code that is built without
 * KHO too, hence the stubs; clients depend on CONFIG_KEXEC_HANDOVER.
 */
void kho_memory_init(void);
void kho_memory_init_deferred(int nid);
bool kho_kexec_load_allowed(void);
bool kho_handover_info(const struct kimage *image, phys_addr_t *root_phys,
		       size_t *root_size,
		       const struct kho_scratch_entry **scratch,
		       unsigned int *nr_scratch);
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *));
int kho_check_image(const struct kimage *image);
bool kho_range_inside_scratch(phys_addr_t start, phys_addr_t end);
int kho_image_loaded(const struct kimage *image);
void kho_image_unloaded(void);
int kho_freeze(void);
void kho_thaw(void);
#else
static inline void kho_memory_init(void)
{
}

static inline void kho_memory_init_deferred(int nid)
{
}

static inline bool kho_kexec_load_allowed(void)
{
	return true;
}

static inline bool kho_handover_info(const struct kimage *image,
				     phys_addr_t *root_phys, size_t *root_size,
				     const struct kho_scratch_entry **scratch,
				     unsigned int *nr_scratch)
{
	return false;
}

static inline int kho_locate_mem_hole(struct kexec_buf *kbuf,
				      int (*func)(struct resource *, void *))
{
	return 0;
}

static inline int kho_check_image(const struct kimage *image)
{
	return 0;
}

static inline bool kho_range_inside_scratch(phys_addr_t start, phys_addr_t end)
{
	return false;
}

static inline int kho_image_loaded(const struct kimage *image)
{
	return 0;
}

static inline void kho_image_unloaded(void)
{
}

static inline int kho_freeze(void)
{
	return 0;
}

static inline void kho_thaw(void)
{
}
#endif /* CONFIG_KEXEC_HANDOVER */

/*
 * The length the x86 handoff declares, damaged on request for tests; and
 * whether the handoff is to use upstream KHO's identifiers instead, which
 * the next kernel must refuse. KEXEC_HANDOVER_DEBUG_CORRUPT depends on
 * KEXEC_HANDOVER.
 */
#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
u32 kho_debug_handoff_len(u32 len);
bool kho_debug_other_handoff(void);
#else
static inline u32 kho_debug_handoff_len(u32 len)
{
	return len;
}

static inline bool kho_debug_other_handoff(void)
{
	return false;
}
#endif

#endif /* _LINUX_KEXEC_HANDOVER_H */
