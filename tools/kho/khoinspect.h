/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khoinspect: print a Kexec HandOver for a person or a script.
 *
 * The core (inspect.c) works on buffers only: the root tree, the blobs
 * and the text of the sysfs files, all already in memory, so that the
 * libFuzzer target (tools/testing/kho/fuzz/fuzz_inspect.c) runs it without
 * files. khoinspect.c reads them from sysfs or from a saved copy.
 */
#ifndef _KHOINSPECT_H
#define _KHOINSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/types.h>

/* A text file (sysfs attribute) or a binary one (tree, blob). */
struct khoi_file {
	const char *data;	/* NULL: not there or not readable */
	size_t size;
	int err;		/* errno when it could not be read, else 0 */
};

struct khoi_blob {
	const char *name;
	struct khoi_file file;
};

struct khoi_client {
	const char *name;
	struct khoi_file stats;
	struct khoi_blob *blobs;
	unsigned int nr_blobs;
};

/* /sys/kernel/liveupdate/sessions/<name>/ */
struct khoi_session {
	const char *name;
	struct khoi_file state;
	struct khoi_file tokens;
};

struct khoi_input {
	const char *source;	/* where it came from, for the output */
	bool incoming;		/* in/ (previous kernel) rather than out/ */
	struct khoi_file fdt;
	struct khoi_file stats;
	struct khoi_file scratch;
	struct khoi_file incoming_status;	/* /sys/kernel/kho/incoming */
	struct khoi_file abort;
	struct khoi_file previous_release;
	struct khoi_file boot_count;
	struct khoi_file frozen_at;
	struct khoi_client *clients;	/* the clients/ directory */
	unsigned int nr_clients;
	struct khoi_session *sessions;
	unsigned int nr_sessions;
	bool have_sessions;	/* the liveupdate sessions directory exists */
};

#define KHOI_MAX_DEPTH		16
#define KHOI_MAX_PROBLEMS	32
#define KHOI_PROBLEM_LEN	160

/* The output: indented "key: value" text, or one JSON object. */
struct khoi_out {
	FILE *f;
	bool json;
	int depth;
	bool first[KHOI_MAX_DEPTH];	/* nothing printed yet at this level */
	bool array[KHOI_MAX_DEPTH];	/* the level is an array */
	bool dash;			/* text: next line starts an element */
	int overflow;			/* levels opened beyond the last */
	const char *pend;		/* text: key of a list still empty */
	int pend_depth;
	bool pend_dash;
	unsigned int nr_problems;	/* all of them, also those not kept */
	char problems[KHOI_MAX_PROBLEMS][KHOI_PROBLEM_LEN];
};

void khoi_out_init(struct khoi_out *o, FILE *f, bool json);
void khoi_obj_begin(struct khoi_out *o, const char *key);
void khoi_obj_end(struct khoi_out *o);
void khoi_arr_begin(struct khoi_out *o, const char *key);
void khoi_arr_end(struct khoi_out *o);
void khoi_str(struct khoi_out *o, const char *key, const char *s, size_t len);
void khoi_cstr(struct khoi_out *o, const char *key, const char *s);
void khoi_u64(struct khoi_out *o, const char *key, u64 v);
void khoi_s64(struct khoi_out *o, const char *key, long long v);
void khoi_hex(struct khoi_out *o, const char *key, u64 v);
void khoi_bool(struct khoi_out *o, const char *key, bool v);
void khoi_size(struct khoi_out *o, const char *key, u64 bytes);
void khoi_time(struct khoi_out *o, const char *key, u64 seconds);
void khoi_problem(struct khoi_out *o, const char *fmt, ...);
void khoi_problems(struct khoi_out *o);

/*
 * Print everything @in holds into @o, as one top-level object. Return 0,
 * or 1 when something was damaged or refused: the problems are listed at
 * the end of the output.
 */
int khoi_inspect(const struct khoi_input *in, struct khoi_out *o);

#endif /* _KHOINSPECT_H */
