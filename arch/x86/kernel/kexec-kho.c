// SPDX-License-Identifier: GPL-2.0
/*
 * x86 handoff of Kexec HandOver (KHO).
 *
 * The outgoing kernel adds a setup_data entry of type SETUP_KEXEC_HANDOVER to
 * the boot parameters that kexec_file_load builds: the root tree address
 * and the scratch table. The incoming kernel notes the entry while it
 * parses setup_data and hands it to the KHO core right after memblock
 * learns the memory map, before the first memblock allocation.
 */

#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi.h>
#include <linux/memblock.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <asm/bootparam.h>
#include <asm/kexec-kho.h>
#include <asm/setup_data.h>

static u64 kho_sd_phys __initdata;
static bool kho_sd_other __initdata;
/* setup_data.len: the length of struct kho_setup_data and its table. */
static u32 kho_sd_len __initdata;
static struct kho_scratch_entry kho_sd_scratch[KHO_SCRATCH_MAX_ENTRIES] __initdata;

/**
 * kho_x86_note_setup_data() - remember the KHO setup_data entry
 * @pa_data: physical address of the entry (struct setup_data header)
 * @data_len: its length, header included, as parse_setup_data() computes
 *	it: setup_data.len + sizeof(struct setup_data) in u32, which wraps
 *	around for a len close to 4 GiB
 *
 * Nothing is mapped or trusted yet. Only the length of the payload,
 * setup_data.len, is kept: the subtraction in u32 gives it back exactly,
 * wrapped sum or not.
 */
void __init kho_x86_note_setup_data(u64 pa_data, u32 data_len)
{
	kho_sd_phys = pa_data;
	kho_sd_len = (u32)(data_len - sizeof(struct setup_data));
}

/**
 * kho_x86_note_other_setup_data() - note a handover this kernel cannot read
 *
 * setup_data of upstream KHO's type: the previous kernel handed memory
 * over in a layout this kernel does not speak. It is reported, not read.
 */
void __init kho_x86_note_other_setup_data(void)
{
	kho_sd_other = true;
}

/**
 * kho_x86_populate() - hand the noted handover to the KHO core
 *
 * Called once memblock knows the memory and before it allocates anything.
 * The entry comes from the previous kernel: only its fixed header is mapped
 * first. Once the version, the number of scratch areas and the length
 * agree, the header and the table it declares are mapped and copied, at
 * most KHO_SCRATCH_MAX_ENTRIES entries. A length that disagrees is refused,
 * never mapped.
 */
void __init kho_x86_populate(void)
{
	const size_t hdr = sizeof(struct setup_data) +
			   sizeof(struct kho_setup_data);
	struct kho_setup_data *sd;
	unsigned int nr;
	u64 root, size, magic;
	u32 version;
	size_t len;
	void *p;

	if (!kho_sd_phys) {
		if (kho_sd_other)
			kho_populate_refused(KHO_OTHER_HANDOVER " (setup_data type 10)");
		return;
	}
	if (kho_sd_len < sizeof(struct kho_setup_data)) {
		kho_populate_refused("setup_data too short");
		return;
	}
	p = early_memremap(kho_sd_phys, hdr);
	if (!p) {
		kho_populate_refused("cannot map setup_data");
		return;
	}
	sd = p + sizeof(struct setup_data);
	magic = sd->magic;
	version = sd->version;
	nr = sd->nr_scratch;
	root = sd->root_addr;
	size = sd->root_size;
	early_memunmap(p, hdr);

	if (magic != KHO_SETUP_DATA_MAGIC) {
		kho_populate_refused("bad setup_data magic");
		return;
	}
	if (version != KHO_SETUP_DATA_VERSION) {
		kho_populate_refused("bad setup_data version");
		return;
	}
	if (!nr || nr > KHO_SCRATCH_MAX_ENTRIES) {
		kho_populate_refused("bad scratch table in the handoff");
		return;
	}
	/* Version 1 is the header and the table, nothing else. */
	if (kho_sd_len != sizeof(*sd) + nr * sizeof(sd->scratch[0])) {
		kho_populate_refused("bad setup_data length");
		return;
	}

	len = hdr + nr * sizeof(sd->scratch[0]);
	p = early_memremap(kho_sd_phys, len);
	if (!p) {
		kho_populate_refused("cannot map setup_data");
		return;
	}
	sd = p + sizeof(struct setup_data);
	BUILD_BUG_ON(sizeof(struct kho_setup_scratch) !=
		     sizeof(struct kho_scratch_entry));
	BUILD_BUG_ON(KHO_SETUP_MAX_SCRATCH != KHO_SCRATCH_MAX_ENTRIES);
	memcpy(kho_sd_scratch, sd->scratch, nr * sizeof(*kho_sd_scratch));
	early_memunmap(p, len);

	if (!kho_populate(root, size, kho_sd_scratch, nr))
		return;
	/*
	 * The real-mode trampoline must be allocated below 1 MiB. No kernel
	 * ever hands memory there over (it is never given to the page
	 * allocator), so it is scratch too.
	 */
	memblock_mark_kho_scratch(0, SZ_1M);
}

/**
 * kho_x86_setup_data_size() - room the KHO entry needs in setup_data
 * @image: the image being loaded
 *
 * Return: bytes, 0 when @image carries no handover.
 */
unsigned int kho_x86_setup_data_size(const struct kimage *image)
{
	const struct kho_scratch_entry *scratch;
	unsigned int nr;
	phys_addr_t root;
	size_t size;

	if (!kho_handover_info(image, &root, &size, &scratch, &nr))
		return 0;
	return ALIGN(sizeof(struct setup_data) + sizeof(struct kho_setup_data) +
		     nr * sizeof(struct kho_setup_scratch), 16);
}

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT
/* The payload of upstream KHO's setup_data type 10, for tests only. */
struct kho_other_setup_data {
	__u64 fdt_addr;
	__u64 fdt_size;
	__u64 scratch_addr;
	__u64 scratch_size;
} __packed;

/*
 * The other-handoff test: a handover in upstream KHO's setup_data layout,
 * which the next kernel must report and ignore. It points at this
 * handover's root tree, which such a kernel would refuse anyway.
 */
static unsigned int kho_x86_add_other_setup_data(const struct kimage *image,
						 struct boot_params *params,
						 unsigned long params_load_addr,
						 unsigned int offset)
{
	struct setup_data *sd = (void *)params + offset;
	struct kho_other_setup_data *kho = (void *)sd->data;
	const struct kho_scratch_entry *scratch;
	phys_addr_t root;
	unsigned int nr;
	size_t size;

	if (!kho_handover_info(image, &root, &size, &scratch, &nr))
		return 0;
	sd->type = KHO_X86_OTHER_SETUP_TYPE;
	sd->len = sizeof(*kho);
	kho->fdt_addr = root;
	kho->fdt_size = size;
	kho->scratch_addr = root;
	kho->scratch_size = nr * sizeof(*scratch);
	sd->next = params->hdr.setup_data;
	params->hdr.setup_data = params_load_addr + offset;
	return ALIGN(sizeof(*sd) + sizeof(*kho), 16);
}
#else
static unsigned int kho_x86_add_other_setup_data(const struct kimage *image,
						 struct boot_params *params,
						 unsigned long params_load_addr,
						 unsigned int offset)
{
	return 0;
}
#endif

/**
 * kho_x86_add_setup_data() - link the KHO entry into the boot parameters
 * @image: the image being loaded
 * @params: its boot parameters, being built
 * @params_load_addr: where @params will be in memory
 * @offset: free space in @params for the entry
 *
 * Return: bytes used at @offset, 0 when @image carries no handover.
 */
unsigned int kho_x86_add_setup_data(const struct kimage *image,
				    struct boot_params *params,
				    unsigned long params_load_addr,
				    unsigned int offset)
{
	unsigned int len = kho_x86_setup_data_size(image);
	struct setup_data *sd = (void *)params + offset;
	struct kho_setup_data *kho = (void *)sd->data;
	const struct kho_scratch_entry *scratch;
	unsigned int i, nr;
	phys_addr_t root;
	size_t size;

	if (!len || !kho_handover_info(image, &root, &size, &scratch, &nr))
		return 0;
	if (kho_debug_other_handoff())
		return kho_x86_add_other_setup_data(image, params,
						    params_load_addr, offset);
	sd->type = SETUP_KEXEC_HANDOVER;
	sd->len = kho_debug_handoff_len(sizeof(*kho) +
					 nr * sizeof(kho->scratch[0]));
	kho->magic = KHO_SETUP_DATA_MAGIC;
	kho->version = KHO_SETUP_DATA_VERSION;
	kho->root_addr = root;
	kho->root_size = size;
	kho->nr_scratch = nr;
	for (i = 0; i < nr; i++) {
		kho->scratch[i].addr = scratch[i].addr;
		kho->scratch[i].size = scratch[i].size;
	}
	sd->next = params->hdr.setup_data;
	params->hdr.setup_data = params_load_addr + offset;
	return len;
}
