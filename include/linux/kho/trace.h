/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: ftrace handover format
 *
 * The ftrace client ("ftrace", kernel/trace/trace_kho.c) hands the ring
 * buffers of preserved trace instances to the next kernel. It publishes
 * one blob, "trace", a flattened device tree::
 *
 *	/ {
 *		compatible = "ftrace-kho-v1";
 *		events = <u64>;		kho_array of struct kho_trace_event
 *		instance-0 {
 *			name = "NAME";
 *			nr-cpus = <u32>;	CPU chunks in the range
 *			cpu-pages = <u32>;	pages per chunk
 *			pages = <u64>;		kho_array of u64 page addresses
 *		};
 *		instance-1 { ... };
 *	};
 *
 * The range of an instance is nr-cpus * cpu-pages order-0 pages, each
 * preserved on its own; "pages" lists their physical addresses in the
 * order they are mapped. Chunk n (pages n * cpu-pages and on) is CPU n's
 * ring buffer meta data followed by its sub-buffers, in the layout of
 * kernel/trace/ring_buffer.c (struct ring_buffer_meta, checked by its
 * magic and size), with no padding after it: see
 * ring_buffer_range_cpu_size(). A chunk is therefore self-contained and
 * the next kernel may map it as any CPU's chunk.
 *
 * "events" lists the trace events of the kernel that wrote the buffer,
 * one record per event type: the id written in the records and a hash of
 * the event's system, name and field layout. The next kernel decodes a
 * record only when its own event with that id has the same hash.
 *
 * Every value is checked by the next kernel; an instance that fails a
 * check is dropped with a message and its pages are released.
 */
#ifndef _LINUX_KHO_TRACE_H
#define _LINUX_KHO_TRACE_H

#include <linux/bits.h>
#include <linux/types.h>

#define KHO_TRACE_CLIENT	"ftrace"
#define KHO_TRACE_COMPATIBLE	"ftrace-kho-v1"
#define KHO_TRACE_BLOB		"trace"

#define KHO_TRACE_PROP_NAME	"name"
#define KHO_TRACE_PROP_NR_CPUS	"nr-cpus"
#define KHO_TRACE_PROP_CPU_PAGES "cpu-pages"
#define KHO_TRACE_PROP_PAGES	"pages"
#define KHO_TRACE_PROP_EVENTS	"events"

/* Limits the next kernel enforces. */
#define KHO_TRACE_MAX_INSTANCES	64
#define KHO_TRACE_MAX_NAME	256	/* bytes, with the final NUL */
#define KHO_TRACE_MAX_CPUS	8192
#define KHO_TRACE_MIN_CPU_PAGES	5
#define KHO_TRACE_MAX_CPU_PAGES	BIT(20)
#define KHO_TRACE_MAX_EVENTS	65536

/**
 * struct kho_trace_event - an event type of the kernel that wrote a buffer
 * @id: the type written in its records
 * @hash: jhash() chained over the system and event names and, for every
 *	field, its name and type, then jhash_3words() of its offset, size
 *	and signedness
 */
struct kho_trace_event {
	u32 id;
	u32 hash;
};

#endif /* _LINUX_KHO_TRACE_H */
