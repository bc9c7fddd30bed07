// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: khoinspect's core (tools/kho/inspect.c and emit.c),
 * which prints a handover read from sysfs or a saved copy, damaged or not.
 *
 * The input starts with a root tree: its fdt_totalsize() bytes when the
 * header says they are there, the whole input otherwise. What follows is
 * a list of chunks, each a little-endian u16 length and that many bytes,
 * handed to khoi_inspect() in the order of chunk_names[]: the blobs of the
 * clients whose blobs inspect.c decodes, then the text files. A root seed
 * (corpus/root) is an input without chunks.
 *
 * khoi_inspect() runs on exact-size copies (ASan sees any read beyond),
 * in text and in JSON. It must return 1 exactly when it listed problems,
 * its output must be printable ASCII, and its JSON well formed, whatever
 * the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <linux/kho/liveupdate.h>
#include <linux/kho/reserve_mem.h>
#include <linux/kho/trace.h>
#include "khoinspect.h"
#include "kho_fuzz.h"

enum {
	CH_TRACE, CH_REGIONS, CH_SESSIONS, CH_OTHER_BLOB, CH_STATS,
	CH_CLIENT_STATS, CH_SCRATCH, CH_INCOMING, CH_BOOT_COUNT, CH_FROZEN_AT,
	CH_RELEASE, CH_TOKENS, CH_STATE, NR_CHUNKS
};

struct chunks {
	struct khoi_file f[NR_CHUNKS];
};

/* Split the input; every chunk gets a buffer of exactly its size. */
static size_t split(const uint8_t *data, size_t size, struct khoi_file *fdt,
		    struct chunks *ch)
{
	size_t root = size, pos, len;
	unsigned int i;

	if (size >= sizeof(struct fdt_header) &&
	    fdt_magic(data) == FDT_MAGIC && fdt_totalsize(data) <= size)
		root = fdt_totalsize(data);
	fdt->data = malloc(root ? root : 1);
	if (!fdt->data)
		abort();
	memcpy((void *)fdt->data, data, root);
	fdt->size = root;
	pos = root;
	for (i = 0; i < NR_CHUNKS && pos + 2 <= size; i++) {
		len = data[pos] | data[pos + 1] << 8;
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		ch->f[i].data = malloc(len ? len : 1);
		if (!ch->f[i].data)
			abort();
		memcpy((void *)ch->f[i].data, data + pos, len);
		ch->f[i].size = len;
		pos += len;
	}
	return root;
}

/* A JSON value, RFC 8259 syntax; *p moves past it. Depth-limited. */
static bool json_value(const char **p, const char *end, int depth);

static void json_ws(const char **p, const char *end)
{
	while (*p < end && strchr(" \t\r\n", **p) && **p)
		(*p)++;
}

static bool json_lit(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

static bool json_string(const char **p, const char *end)
{
	if (*p >= end || **p != '"')
		return false;
	for ((*p)++; *p < end; (*p)++) {
		unsigned char c = **p;

		if (c == '"') {
			(*p)++;
			return true;
		}
		/* The emitter escapes everything but printable ASCII. */
		if (c < 0x20 || c >= 0x7f)
			return false;
		if (c != '\\')
			continue;
		if (++*p >= end)
			return false;
		if (**p == 'u') {
			if (end - *p < 5)
				return false;
			*p += 4;
		} else if (!strchr("\"\\/bfnrt", **p) || !**p) {
			return false;
		}
	}
	return false;
}

static bool json_number(const char **p, const char *end)
{
	const char *s = *p;

	if (*p < end && **p == '-')
		(*p)++;
	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	return *p > s && (*p)[-1] != '-';
}

static bool json_members(const char **p, const char *end, int depth,
			 char close, bool object)
{
	(*p)++;
	json_ws(p, end);
	if (*p < end && **p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		if (object) {
			if (!json_string(p, end))
				return false;
			json_ws(p, end);
			if (*p >= end || **p != ':')
				return false;
			(*p)++;
		}
		if (!json_value(p, end, depth + 1))
			return false;
		json_ws(p, end);
		if (*p < end && **p == ',') {
			(*p)++;
			json_ws(p, end);
			continue;
		}
		if (*p < end && **p == close) {
			(*p)++;
			return true;
		}
		return false;
	}
}

static bool json_value(const char **p, const char *end, int depth)
{
	json_ws(p, end);
	if (*p >= end || depth > 64)
		return false;
	switch (**p) {
	case '{':
		return json_members(p, end, depth, '}', true);
	case '[':
		return json_members(p, end, depth, ']', false);
	case '"':
		return json_string(p, end);
	case 't':
		return json_lit(p, end, "true");
	case 'f':
		return json_lit(p, end, "false");
	case 'n':
		return json_lit(p, end, "null");
	default:
		return json_number(p, end);
	}
}

static void inspect(const struct khoi_input *in, bool json)
{
	struct khoi_out o;
	const char *p;
	size_t len;
	char *buf;
	FILE *f;
	int ret;

	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	khoi_out_init(&o, f, json);
	ret = khoi_inspect(in, &o);
	CHECK(!fclose(f));
	CHECK(ret == (o.nr_problems ? 1 : 0));
	CHECK(o.depth == 0 && !o.overflow);
	/* Escaped: nothing but printable ASCII and newlines. */
	for (p = buf; p < buf + len; p++)
		CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	if (json) {
		p = buf;
		CHECK(json_value(&p, buf + len, 0));
		json_ws(&p, buf + len);
		CHECK(p == buf + len);
	}
	free(buf);
}

int kho_fuzz_input(const uint8_t *data, size_t size)
{
	struct khoi_blob trace = { .name = KHO_TRACE_BLOB };
	struct khoi_blob regions = { .name = KHO_RESERVE_MEM_BLOB };
	struct khoi_blob sessions = { .name = LUO_KHO_BLOB };
	struct khoi_blob other = { .name = "test-kho" };
	struct khoi_client clients[4] = {
		{ .name = KHO_TRACE_CLIENT, .blobs = &trace, .nr_blobs = 1 },
		{ .name = KHO_RESERVE_MEM_CLIENT, .blobs = &regions,
		  .nr_blobs = 1 },
		{ .name = LUO_KHO_CLIENT, .blobs = &sessions, .nr_blobs = 1 },
		{ .name = "test-kho", .blobs = &other, .nr_blobs = 1 },
	};
	struct khoi_session session = { .name = "vm" };
	struct khoi_input in = {
		.clients = clients,
		.nr_clients = ARRAY_SIZE(clients),
		.sessions = &session,
		.nr_sessions = 1,
		.have_sessions = true,
	};
	struct chunks ch = { };
	unsigned int i;

	if (size > 65536)
		return -1;
	split(data, size, &in.fdt, &ch);
	trace.file = ch.f[CH_TRACE];
	regions.file = ch.f[CH_REGIONS];
	sessions.file = ch.f[CH_SESSIONS];
	other.file = ch.f[CH_OTHER_BLOB];
	in.stats = ch.f[CH_STATS];
	clients[0].stats = ch.f[CH_CLIENT_STATS];
	in.scratch = ch.f[CH_SCRATCH];
	in.incoming_status = ch.f[CH_INCOMING];
	in.boot_count = ch.f[CH_BOOT_COUNT];
	in.frozen_at = ch.f[CH_FROZEN_AT];
	in.previous_release = ch.f[CH_RELEASE];
	session.tokens = ch.f[CH_TOKENS];
	session.state = ch.f[CH_STATE];
	/* The side changes what is compared: both, by the last byte. */
	in.incoming = size && (data[size - 1] & 1);

	inspect(&in, false);
	inspect(&in, true);

	free((void *)in.fdt.data);
	for (i = 0; i < NR_CHUNKS; i++)
		free((void *)ch.f[i].data);
	return 0;
}
