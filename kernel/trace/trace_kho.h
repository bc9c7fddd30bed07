/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace instances preserved across kexec through the kexec handover:
 * the hooks trace.c calls (kernel/trace/trace_kho.c).
 */
#ifndef _TRACE_KHO_H
#define _TRACE_KHO_H

#include <linux/init.h>
#include <linux/trace_seq.h>
#include <linux/types.h>

struct dentry;
struct trace_array;
struct trace_iterator;

#ifdef CONFIG_TRACE_KHO
void __init trace_kho_boot_instance(const char *name, bool traceoff,
				    const char *events);
void __init trace_kho_init(unsigned long buf_size);
bool trace_kho_event_foreign(struct trace_array *tr, int type);
enum print_line_t trace_kho_print_foreign(struct trace_iterator *iter);
void trace_kho_create_file(struct trace_array *tr, struct dentry *dir);
#else
static inline void trace_kho_boot_instance(const char *name, bool traceoff,
					   const char *events)
{
}

static inline void trace_kho_init(unsigned long buf_size)
{
}

static inline bool trace_kho_event_foreign(struct trace_array *tr, int type)
{
	return false;
}

static inline enum print_line_t
trace_kho_print_foreign(struct trace_iterator *iter)
{
	return TRACE_TYPE_UNHANDLED;
}

static inline void trace_kho_create_file(struct trace_array *tr,
					 struct dentry *dir)
{
}
#endif

#endif /* _TRACE_KHO_H */
