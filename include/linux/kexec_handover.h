/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Kexec HandOver (KHO) client API
 *
 * A client (a driver or subsystem) preserves the memory it wants to keep
 * with kho_preserve_folio() or kho_preserve_pages() and publishes its own
 * small blob (usually its own FDT) under a name with kho_add_blob(). Both
 * may change at any time until the kexec jump. After kexec, the client
 * finds its blob with kho_get_blob() and takes its memory back with
 * kho_restore_folio() or kho_restore_pages().
 *
 * See Documentation/kho/ for concepts, the administration guide and the
 * wire format (include/linux/kho/abi.h).
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/types.h>
#include <linux/errno.h>

struct folio;
struct kexec_buf;
struct kho_scratch_entry;
struct kimage;
struct page;
struct resource;

#ifdef CONFIG_KEXEC_HANDOVER

bool kho_is_enabled(void);
bool is_kho_boot(void);

int kho_preserve_folio(struct folio *folio);
int kho_unpreserve_folio(struct folio *folio);
int kho_preserve_pages(struct page *page, unsigned long nr_pages);
int kho_unpreserve_pages(struct page *page, unsigned long nr_pages);
void *kho_alloc_preserve(size_t size);
void kho_unpreserve_free(void *ptr);

int kho_add_blob(const char *name, const void *blob, size_t size);
int kho_remove_blob(const char *name);

int kho_get_blob(const char *name, phys_addr_t *phys, size_t *size);
struct folio *kho_restore_folio(phys_addr_t phys);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages);
void *kho_restore_preserved(phys_addr_t phys, size_t size);

/* For kexec, mm and architecture code, not for clients. */
bool kho_populate(phys_addr_t root_phys, size_t root_size,
		  const struct kho_scratch_entry *scratch, unsigned int nr);
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
void kho_freeze(void);
void kho_thaw(void);

#else /* CONFIG_KEXEC_HANDOVER */

static inline bool kho_is_enabled(void)
{
	return false;
}

static inline bool is_kho_boot(void)
{
	return false;
}

static inline int kho_preserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline int kho_preserve_pages(struct page *page,
				     unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_pages(struct page *page,
				       unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline void *kho_alloc_preserve(size_t size)
{
	return NULL;
}

static inline void kho_unpreserve_free(void *ptr)
{
}

static inline int kho_add_blob(const char *name, const void *blob,
			       size_t size)
{
	return -EOPNOTSUPP;
}

static inline int kho_remove_blob(const char *name)
{
	return -EOPNOTSUPP;
}

static inline int kho_get_blob(const char *name, phys_addr_t *phys,
			       size_t *size)
{
	return -ENOENT;
}

static inline struct folio *kho_restore_folio(phys_addr_t phys)
{
	return NULL;
}

static inline struct page *kho_restore_pages(phys_addr_t phys,
					     unsigned long nr_pages)
{
	return NULL;
}

static inline void *kho_restore_preserved(phys_addr_t phys, size_t size)
{
	return NULL;
}

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

static inline void kho_freeze(void)
{
}

static inline void kho_thaw(void)
{
}

#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KEXEC_HANDOVER_H */
