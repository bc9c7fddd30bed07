/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: reserve_mem handover format
 *
 * memblock's KHO client ("reserve_mem", mm/memblock.c) hands the
 * reserve_mem= regions over, so that the next kernel places a region of the
 * same name, size and alignment at the same physical address. It preserves
 * each region (kho_preserve_phys()) and publishes one blob, "regions", a
 * flattened device tree::
 *
 *	/ {
 *		compatible = "kho-reserve-mem-v1";
 *		region-0 {
 *			name = "NAME";		the reserve_mem= name
 *			start = <u64>;		physical address
 *			size = <u64>;		bytes
 *			align = <u64>;		the alignment asked for
 *		};
 *		region-1 { ... };
 *	};
 *
 * The next kernel reads it while it parses reserve_mem=, before the page
 * allocator starts, and uses a record only if its name, size and alignment
 * match the command line and its range is aligned, RAM, not reserved and
 * not scratch memory. Regions that are not page aligned, or lie in scratch
 * memory (a region first named in a kernel booted through KHO), are not
 * handed over.
 */
#ifndef _LINUX_KHO_RESERVE_MEM_H
#define _LINUX_KHO_RESERVE_MEM_H

#define KHO_RESERVE_MEM_CLIENT		"reserve_mem"
#define KHO_RESERVE_MEM_COMPATIBLE	"kho-reserve-mem-v1"
#define KHO_RESERVE_MEM_BLOB		"regions"

#define KHO_RESERVE_MEM_PROP_NAME	"name"
#define KHO_RESERVE_MEM_PROP_START	"start"
#define KHO_RESERVE_MEM_PROP_SIZE	"size"
#define KHO_RESERVE_MEM_PROP_ALIGN	"align"

#endif /* _LINUX_KHO_RESERVE_MEM_H */
