// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of Kexec HandOver (KHO).
 *
 * With test_kho.size=SIZE on the command line of a kernel with kho=on, it
 * preserves folios of random orders adding up to SIZE bytes, filled with
 * pseudo-random data, plus a range of order-0 pages, and publishes the
 * list with checksums in its blob "test-kho" (an FDT, compatible
 * "kho-test-v1"). It also preserves one folio and unpreserves it again.
 *
 * It also preserves a "high" range of MAX_ORDER_NR_PAGES pages as close to
 * the end of memory as it can get one (alloc_contig_range()), so that the
 * next kernel finds preserved memory where deferred struct page init
 * happens (CONFIG_DEFERRED_STRUCT_PAGE_INIT defers the end of each node).
 *
 * In the next kernel it restores and checks everything: every checksum,
 * and that the unpreserved folio did not come back. Then it frees what it
 * restored and preserves a new set for the next generation.
 *
 * Results are printed as "test_kho: generation N: ..." lines.
 */
#define pr_fmt(fmt) "test_kho: " fmt

#include <linux/crc32.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#define TEST_KHO_BLOB		"test-kho"
#define TEST_KHO_COMPATIBLE	"kho-test-v1"
#define TEST_KHO_MAX_FOLIOS	4096
#define TEST_KHO_NR_PAGES	5

static char *size_param;
static struct kho_client *test_kho_client;
module_param_named(size, size_param, charp, 0400);
MODULE_PARM_DESC(size, "bytes of folios to preserve (K, M, G suffixes)");

/* One preserved item, as stored in the blob. */
struct test_kho_item {
	u64 phys;
	u64 order_or_nr;
	u64 csum;
};

static u32 test_kho_fill(void *p, size_t len, u64 seed)
{
	u64 *w = p, x = seed | 1;
	size_t i;

	for (i = 0; i < len / sizeof(u64); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	return crc32(0, p, len);
}

/*
 * A range of MAX_ORDER_NR_PAGES pages near the end of memory, preserved:
 * scratch (MIGRATE_CMA) and busy ranges are skipped on the way down. The
 * top of memory may be taken by early allocations (a KASAN kernel's
 * shadow is an eighth of memory): the search covers up to 16 GiB with
 * 4 KiB pages.
 */
static int test_kho_preserve_high(u32 gen, struct test_kho_item *it)
{
	unsigned long nr = MAX_ORDER_NR_PAGES, pfn = ALIGN_DOWN(max_pfn, nr);
	unsigned int tries;

	for (tries = 0; tries < 4096 && pfn >= nr; tries++) {
		struct page *page;

		pfn -= nr;
		if (!pfn_valid(pfn) || !pfn_valid(pfn + nr - 1) ||
		    alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
				       GFP_KERNEL | __GFP_NOWARN))
			continue;
		page = pfn_to_page(pfn);
		it->phys = PFN_PHYS(pfn);
		it->order_or_nr = nr;
		it->csum = test_kho_fill(page_address(page), nr * PAGE_SIZE,
					 it->phys ^ gen);
		if (!kho_preserve_pages(test_kho_client, page, nr))
			return 0;
		free_contig_range(pfn, nr);
	}
	return -ENOMEM;
}

static unsigned int giant_order = MAX_PAGE_ORDER + 1;
module_param(giant_order, uint, 0400);
MODULE_PARM_DESC(giant_order, "order of the gigantic folio (default MAX_PAGE_ORDER + 1)");

/* A folio beyond the page allocator's orders (a "gigantic" one). */
static int test_kho_preserve_giant(u32 gen, struct test_kho_item *it)
{
	unsigned int order = giant_order;
	struct folio *folio = NULL;

	if (order > MAX_PAGE_ORDER && order <= 30 - PAGE_SHIFT)
		folio = folio_alloc_gigantic(order, GFP_KERNEL | __GFP_COMP |
					     __GFP_NOWARN, numa_node_id(), NULL);
	if (!folio) {
		pr_err("generation %u: FAILED: no gigantic folio of order %u\n",
		       gen, order);
		return -ENOMEM;
	}
	it->phys = PFN_PHYS(folio_pfn(folio));
	it->order_or_nr = order;
	it->csum = test_kho_fill(folio_address(folio), folio_size(folio),
				 it->phys ^ gen);
	return kho_preserve_folio(test_kho_client, folio);
}

/*
 * A range reserved at boot with test_kho_reserve=SIZE@ADDR (the first
 * kernel of a chain only; later kernels get it back from the handover),
 * preserved as the first test_kho.resv_first bytes and the rest. Put
 * across the start of a node's deferred memory map, its blocks are larger
 * than a section and cross it: the page allocator cannot give a folio
 * there, as the zone's first section holds early unmovable allocations.
 * One word per page is checked, which is cheap for a gigantic range.
 */
#define TEST_KHO_RESV_ITEMS	2
static phys_addr_t test_kho_resv_start, test_kho_resv_size;
static unsigned long long resv_first;
module_param(resv_first, ullong, 0400);
MODULE_PARM_DESC(resv_first, "bytes of the reserved range preserved as its first part");

static int __init test_kho_parse_reserve(char *p)
{
	u64 size, start;
	char *at;

	size = memparse(p, &at);
	if (*at != '@')
		return -EINVAL;
	start = memparse(at + 1, NULL);
	/* Memory the kernel already uses (its image, the initrd) is not ours. */
	if (!size || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(size) ||
	    memblock_is_region_reserved(start, size) ||
	    memblock_reserve(start, size)) {
		pr_err("test_kho_reserve=%s: cannot reserve it\n", p);
		return -EINVAL;
	}
	test_kho_resv_start = start;
	test_kho_resv_size = size;
	return 0;
}
early_param("test_kho_reserve", test_kho_parse_reserve);

static u32 test_kho_stamp_pages(phys_addr_t start, u64 size, u32 gen,
				bool write)
{
	u64 off, *w;
	u32 bad = 0;

	for (off = 0; off < size; off += PAGE_SIZE) {
		w = phys_to_virt(start + off);
		if (write)
			*w = (start + off) ^ gen;
		else if (*w != ((start + off) ^ gen))
			bad++;
		cond_resched();
	}
	return bad;
}

static int test_kho_preserve_resv(u32 gen, struct test_kho_item *it)
{
	phys_addr_t start = test_kho_resv_start, size = test_kho_resv_size;
	u64 first = resv_first && resv_first < size ? resv_first : size;
	unsigned int i;
	int err = 0;

	if (!size)
		return 0;
	it[0].phys = start;
	it[0].order_or_nr = first;
	it[1].phys = start + first;
	it[1].order_or_nr = size - first;
	for (i = 0; !err && i < TEST_KHO_RESV_ITEMS; i++) {
		if (!it[i].order_or_nr)
			continue;
		test_kho_stamp_pages(it[i].phys, it[i].order_or_nr, gen, true);
		err = kho_preserve_phys(test_kho_client, it[i].phys,
					it[i].order_or_nr);
	}
	return err;
}

/*
 * A range outside the page allocator: the reserve_mem=SIZE:ALIGN:test_kho
 * region on the first boot; later, the range the previous kernel handed
 * over (this kernel's reserve_mem= region lies in scratch memory).
 */
static phys_addr_t test_kho_phys_start, test_kho_phys_size;

static int test_kho_preserve_phys(u32 gen, struct test_kho_item *it)
{
	phys_addr_t start = test_kho_phys_start, size = test_kho_phys_size;

	if (!size && !reserve_mem_find_by_name("test_kho", &start, &size))
		return 0;
	it->phys = start;
	it->order_or_nr = size;
	it->csum = test_kho_fill(phys_to_virt(start), size, start ^ gen);
	return kho_preserve_phys(test_kho_client, start, size);
}

static int test_kho_preserve(u32 gen, u64 bytes)
{
	struct test_kho_item high, giant, phys = { };
	struct test_kho_item resv[TEST_KHO_RESV_ITEMS] = { };
	struct test_kho_item *items = NULL;
	struct folio **folios = NULL;
	struct folio *folio, *gone;
	unsigned int n = 0, i;
	struct page *pages;
	void *blob = NULL;
	size_t blob_size;
	u64 done = 0;
	const char *what = "the item list";
	int err = -ENOMEM;

	items = kcalloc(TEST_KHO_MAX_FOLIOS, sizeof(*items), GFP_KERNEL);
	folios = kcalloc(TEST_KHO_MAX_FOLIOS, sizeof(*folios), GFP_KERNEL);
	if (!items || !folios)
		goto fail;

	/* One item stays for the page range. */
	while (done < bytes && n < TEST_KHO_MAX_FOLIOS - 1) {
		unsigned int order = get_random_u32_below(MAX_PAGE_ORDER + 1);

		while (order && (PAGE_SIZE << order) > bytes - done)
			order--;
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!folio)
			goto fail;
		items[n].phys = PFN_PHYS(folio_pfn(folio));
		items[n].order_or_nr = order;
		items[n].csum = test_kho_fill(folio_address(folio),
					      folio_size(folio),
					      items[n].phys ^ gen);
		folios[n++] = folio;
		done += folio_size(folio);
	}
	/* All of them in one call. */
	what = "the folios";
	err = kho_preserve_folios(test_kho_client, folios, n);
	if (err)
		goto fail;

	/* A page range that is not a power of two. */
	pages = alloc_pages(GFP_KERNEL, 3);
	if (!pages)
		goto fail;
	split_page(pages, 3);
	for (i = TEST_KHO_NR_PAGES; i < 8; i++)
		__free_page(pages + i);
	items[n].phys = PFN_PHYS(page_to_pfn(pages));
	items[n].order_or_nr = TEST_KHO_NR_PAGES;
	items[n].csum = test_kho_fill(page_address(pages),
				      TEST_KHO_NR_PAGES * PAGE_SIZE,
				      items[n].phys ^ gen);
	err = kho_preserve_pages(test_kho_client, pages, TEST_KHO_NR_PAGES);
	if (err)
		goto fail;
	n++;

	what = "the high range";
	err = test_kho_preserve_high(gen, &high);
	if (err)
		goto fail;
	what = "the gigantic folio";
	err = test_kho_preserve_giant(gen, &giant);
	if (err)
		goto fail;
	what = "the physical range";
	err = test_kho_preserve_phys(gen, &phys);
	if (err)
		goto fail;
	what = "the reserved range";
	err = test_kho_preserve_resv(gen, resv);
	if (err)
		goto fail;
	what = "the blob";

	/* Preserved, then unpreserved: must not reach the next kernel. */
	gone = folio_alloc(GFP_KERNEL, 0);
	if (!gone)
		goto fail;
	err = kho_preserve_folio(test_kho_client, gone);
	err = err ?: kho_unpreserve_folio(test_kho_client, gone);
	if (err)
		goto fail;

	blob_size = PAGE_ALIGN(n * sizeof(*items) + 1024);
	blob = kho_alloc_preserve(test_kho_client, blob_size);
	if (IS_ERR(blob)) {
		err = PTR_ERR(blob);
		blob = NULL;
		goto fail;
	}
	err = fdt_create(blob, blob_size);
	err = err ?: fdt_finish_reservemap(blob);
	err = err ?: fdt_begin_node(blob, "");
	err = err ?: fdt_property_string(blob, "compatible", TEST_KHO_COMPATIBLE);
	err = err ?: fdt_property_u32(blob, "generation", gen);
	err = err ?: fdt_property_u64(blob, "unpreserved",
				      PFN_PHYS(folio_pfn(gone)));
	err = err ?: fdt_property(blob, "items", items, n * sizeof(*items));
	err = err ?: fdt_property(blob, "high", &high, sizeof(high));
	err = err ?: fdt_property(blob, "giant", &giant, sizeof(giant));
	if (phys.phys)
		err = err ?: fdt_property(blob, "phys", &phys, sizeof(phys));
	if (resv[0].phys)
		err = err ?: fdt_property(blob, "resv", resv, sizeof(resv));
	err = err ?: fdt_property_u32(blob, "items-crc",
				      crc32(0, items, n * sizeof(*items)));
	err = err ?: fdt_end_node(blob);
	err = err ?: fdt_finish(blob);
	if (err) {
		err = -EINVAL;
		goto fail;
	}
	err = kho_add_blob(test_kho_client, TEST_KHO_BLOB, blob,
			   fdt_totalsize(blob));
	if (err)
		goto fail;
	/* Keep the unpreserved folio allocated so nothing else preserves it. */
	pr_info("generation %u: preserved %u folios and %u pages, %llu bytes, high range at %#llx\n",
		gen, n - 1, TEST_KHO_NR_PAGES, done, high.phys);
	kfree(folios);
	kfree(items);
	return 0;

fail:
	pr_err("generation %u: FAILED to preserve %s (%d)\n", gen, what, err);
	kho_unpreserve_free(test_kho_client, blob);
	kfree(folios);
	kfree(items);
	return err;
}

/* Restore and check the high range; the number of bad items. */
static unsigned int test_kho_verify_high(const void *prop, u32 gen)
{
	struct test_kho_item it;
	struct page *pg;
	unsigned long k;
	u32 csum;

	memcpy(&it, prop, sizeof(it));
	pg = it.order_or_nr <= MAX_ORDER_NR_PAGES ?
	     kho_restore_pages(test_kho_client, it.phys, it.order_or_nr) :
	     ERR_PTR(-EINVAL);
	if (IS_ERR(pg)) {
		pr_err("generation %u: cannot restore the high range at %#llx\n",
		       gen, it.phys);
		return 1;
	}
	csum = crc32(0, page_address(pg), it.order_or_nr * PAGE_SIZE);
	for (k = 0; k < it.order_or_nr; k++)
		__free_page(pg + k);
	if (csum != it.csum) {
		pr_err("generation %u: checksum mismatch in the high range at %#llx\n",
		       gen, it.phys);
		return 1;
	}
	pr_info("generation %u: verified the high range at %#llx\n", gen,
		it.phys);
	return 0;
}

/* Restore and check the gigantic folio; the number of bad items. */
static unsigned int test_kho_verify_giant(const void *prop, u32 gen)
{
	struct test_kho_item it;
	struct folio *folio;
	bool ok;

	memcpy(&it, prop, sizeof(it));
	folio = kho_restore_folio(test_kho_client, it.phys);
	if (IS_ERR(folio)) {
		pr_err("generation %u: cannot restore the gigantic folio (%ld)\n",
		       gen, PTR_ERR(folio));
		return 1;
	}
	ok = folio_order(folio) == it.order_or_nr &&
	     crc32(0, folio_address(folio), folio_size(folio)) == it.csum;
	/* A large folio as any other: the page allocator takes it back. */
	folio_put(folio);
	if (!ok) {
		pr_err("generation %u: gigantic folio differs\n", gen);
		return 1;
	}
	pr_info("generation %u: verified the gigantic folio of order %llu\n",
		gen, it.order_or_nr);
	return 0;
}

/* Restore and check the physical range, kept for the next generation. */
static unsigned int test_kho_verify_phys(const void *prop, u32 gen)
{
	struct test_kho_item it;
	int err;

	memcpy(&it, prop, sizeof(it));
	err = PTR_ERR_OR_ZERO(kho_restore_pages(test_kho_client, it.phys,
						PHYS_PFN(it.order_or_nr)));
	if (err) {
		pr_err("generation %u: cannot restore the physical range (%d)\n",
		       gen, err);
		return 1;
	}
	if (crc32(0, phys_to_virt(it.phys), it.order_or_nr) != it.csum) {
		pr_err("generation %u: physical range differs\n", gen);
		return 1;
	}
	test_kho_phys_start = it.phys;
	test_kho_phys_size = it.order_or_nr;
	pr_info("generation %u: verified the reserved physical range at %#llx\n",
		gen, it.phys);
	return 0;
}

/* Restore and check the reserved range, kept for the next generation. */
static unsigned int test_kho_verify_resv(const void *prop, u32 gen)
{
	struct test_kho_item it[TEST_KHO_RESV_ITEMS];
	unsigned int i, bad = 0;
	int err;

	memcpy(it, prop, sizeof(it));
	for (i = 0; i < TEST_KHO_RESV_ITEMS; i++) {
		if (!it[i].order_or_nr)
			continue;
		err = PTR_ERR_OR_ZERO(kho_restore_pages(test_kho_client,
							it[i].phys,
							PHYS_PFN(it[i].order_or_nr)));
		if (err ||
		    test_kho_stamp_pages(it[i].phys, it[i].order_or_nr, gen - 1,
					 false)) {
			pr_err("generation %u: reserved range at %#llx, %llu bytes: %s (%d)\n",
			       gen, it[i].phys, it[i].order_or_nr,
			       err ? "cannot restore it" : "it differs", err);
			bad++;
			continue;
		}
		pr_info("generation %u: verified the reserved range at %#llx, %llu bytes\n",
			gen, it[i].phys, it[i].order_or_nr);
	}
	if (!bad) {
		test_kho_resv_start = it[0].phys;
		test_kho_resv_size = it[0].order_or_nr + it[1].order_or_nr;
	}
	return bad;
}

static int test_kho_verify(phys_addr_t phys, size_t size, u32 *gen)
{
	const struct test_kho_item *items;
	const void *blob, *p;
	unsigned int n, i, bad = 0;
	u64 bytes = 0, gone;
	int len;

	blob = kho_restore_preserved(test_kho_client, phys, size);
	if (IS_ERR(blob)) {
		pr_err("generation ?: FAILED: cannot restore the blob\n");
		return -EINVAL;
	}
	if (fdt_check_header(blob) || fdt_totalsize(blob) > size ||
	    fdt_node_check_compatible(blob, 0, TEST_KHO_COMPATIBLE)) {
		pr_err("generation ?: FAILED: blob is not " TEST_KHO_COMPATIBLE "\n");
		folio_put(virt_to_folio(blob));
		return -EINVAL;
	}
	p = fdt_getprop(blob, 0, "generation", &len);
	*gen = p && len == sizeof(u32) ? fdt32_to_cpu(*(fdt32_t *)p) + 1 : 0;
	items = fdt_getprop(blob, 0, "items", &len);
	p = fdt_getprop(blob, 0, "items-crc", NULL);
	if (!items || len % sizeof(*items) || !p ||
	    crc32(0, items, len) != fdt32_to_cpu(*(fdt32_t *)p)) {
		pr_err("generation %u: FAILED: item list corrupted\n", *gen);
		folio_put(virt_to_folio(blob));
		return -EINVAL;
	}
	n = len / sizeof(*items);

	for (i = 0; i < n; i++) {
		const struct test_kho_item *it = &items[i];
		bool folio = i + 1 < n;
		size_t sz = folio ? PAGE_SIZE << it->order_or_nr :
				    it->order_or_nr * PAGE_SIZE;
		struct folio *f = NULL;
		struct page *pg = NULL;
		void *addr;

		if (folio) {
			f = kho_restore_folio(test_kho_client, it->phys);
			if (IS_ERR(f))
				f = NULL;
			if (f && folio_order(f) != it->order_or_nr) {
				pr_err("generation %u: folio %pa restored at order %u, preserved at %llu\n",
				       *gen, &it->phys, folio_order(f),
				       it->order_or_nr);
				bad++;
			}
			addr = f ? folio_address(f) : NULL;
		} else {
			pg = kho_restore_pages(test_kho_client, it->phys,
					       it->order_or_nr);
			if (IS_ERR(pg))
				pg = NULL;
			addr = pg ? page_address(pg) : NULL;
		}
		if (!addr) {
			pr_err("generation %u: cannot restore %pa\n", *gen,
			       &it->phys);
			bad++;
			continue;
		}
		if (crc32(0, addr, sz) != it->csum) {
			pr_err("generation %u: checksum mismatch at %pa\n",
			       *gen, &it->phys);
			bad++;
		}
		bytes += sz;
		if (f) {
			folio_put(f);
		} else {
			unsigned long k;

			for (k = 0; k < it->order_or_nr; k++)
				__free_page(pg + k);
		}
	}

	p = fdt_getprop(blob, 0, "high", &len);
	if (p && len == sizeof(struct test_kho_item))
		bad += test_kho_verify_high(p, *gen);

	p = fdt_getprop(blob, 0, "giant", &len);
	if (p && len == sizeof(struct test_kho_item))
		bad += test_kho_verify_giant(p, *gen);
	else
		bad++;
	p = fdt_getprop(blob, 0, "phys", &len);
	if (p && len == sizeof(struct test_kho_item))
		bad += test_kho_verify_phys(p, *gen);
	p = fdt_getprop(blob, 0, "resv", &len);
	if (p && len == TEST_KHO_RESV_ITEMS * sizeof(struct test_kho_item))
		bad += test_kho_verify_resv(p, *gen);

	p = fdt_getprop(blob, 0, "unpreserved", &len);
	if (p && len == sizeof(u64)) {
		gone = fdt64_to_cpu(*(fdt64_t *)p);
		if (!IS_ERR(kho_restore_folio(test_kho_client, gone))) {
			pr_err("generation %u: unpreserved folio came back\n", *gen);
			bad++;
		}
	}
	folio_put(virt_to_folio(blob));
	if (bad) {
		pr_err("generation %u: FAILED: %u of %u items bad\n", *gen, bad, n);
		return -EIO;
	}
	pr_info("generation %u: verified %u folios and %u pages, %llu bytes\n",
		*gen, n - 1, TEST_KHO_NR_PAGES, bytes);
	return 0;
}

static const struct kho_client_desc test_kho_desc = {
	.name = TEST_KHO_BLOB,
	.compatible = TEST_KHO_COMPATIBLE,
};

static int __init test_kho_init(void)
{
	const char *compatible;
	phys_addr_t phys;
	size_t size;
	u64 bytes;
	u32 gen = 0;

	test_kho_client = kho_client_register(&test_kho_desc);
	if (IS_ERR(test_kho_client)) {
		if (kho_is_enabled())
			pr_err("cannot register (%ld)\n", PTR_ERR(test_kho_client));
		return 0;
	}
	if (!kho_client_incoming(test_kho_client, &compatible)) {
		if (kho_get_blob(test_kho_client, TEST_KHO_BLOB, &phys, &size))
			pr_info("no blob from the previous kernel\n");
		else
			test_kho_verify(phys, size, &gen);
	}
	/* What was not restored (the unpreserved folio) goes back now. */
	kho_finish(test_kho_client);
	if (!size_param)
		return 0;
	bytes = memparse(size_param, NULL);
	if (!bytes)
		return 0;
	test_kho_preserve(gen, bytes);
	return 0;
}
late_initcall(test_kho_init);
