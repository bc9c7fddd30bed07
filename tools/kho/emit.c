// SPDX-License-Identifier: GPL-2.0
/*
 * khoinspect's output: the same calls print indented "key: value" text,
 * with "- " before each element of a list, or one JSON object.
 *
 * Every string is printed with at most KHOI_STR_MAX bytes, escaped: in
 * text, bytes that are not printable ASCII as \xNN; in JSON, as \u00NN
 * (bytes read as Latin-1, so that the output is always valid UTF-8).
 * Nesting deeper than KHOI_MAX_DEPTH is flattened, never overflowed.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "khoinspect.h"

#define KHOI_STR_MAX	256

void khoi_out_init(struct khoi_out *o, FILE *f, bool json)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	o->first[0] = true;
}

/*
 * Text: a line at @depth is indented by two spaces per level below the
 * top object; @dash replaces the last two with "- ", starting an element.
 */
static void text_line(struct khoi_out *o, int depth, bool dash)
{
	int i, n = depth - 1 - dash;

	for (i = 0; i < n; i++)
		fputs("  ", o->f);
	if (dash)
		fputs("- ", o->f);
}

static void json_string(struct khoi_out *o, const char *s, size_t len)
{
	size_t i;

	fputc('"', o->f);
	for (i = 0; i < len && i < KHOI_STR_MAX; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(o->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", o->f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o->f, "\\u%04x", c);
		else
			fputc(c, o->f);
	}
	if (len > KHOI_STR_MAX)
		fputs("...", o->f);
	fputc('"', o->f);
}

static void text_string(struct khoi_out *o, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < KHOI_STR_MAX; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(o->f, "\\x%02x", c);
		else
			fputc(c, o->f);
	}
	if (len > KHOI_STR_MAX)
		fputs("...", o->f);
}

/* Keys may come from the input (stats files): escaped too. */
static void text_key(struct khoi_out *o, const char *key)
{
	if (!key)
		key = "?";
	text_string(o, key, strnlen(key, KHOI_STR_MAX + 1));
}

/* Text: print the key of a list that was empty so far. */
static void text_flush(struct khoi_out *o)
{
	if (!o->pend)
		return;
	text_line(o, o->pend_depth, o->pend_dash);
	text_key(o, o->pend);
	fputs(":\n", o->f);
	o->pend = NULL;
}

/* Start a member (@key) or an element (@key NULL, in a list). */
static void begin_item(struct khoi_out *o, const char *key)
{
	int d = o->depth;

	if (o->json) {
		if (d > 0 && !o->first[d])
			fputc(',', o->f);
		o->first[d] = false;
		if (key && !o->array[d]) {
			json_string(o, key, strlen(key));
			fputc(':', o->f);
		}
		return;
	}
	text_flush(o);
	if (o->array[d]) {
		text_line(o, d + 1, true);
		return;
	}
	text_line(o, d, o->dash);
	o->dash = false;
	text_key(o, key);
	fputs(": ", o->f);
}

static void end_item(struct khoi_out *o)
{
	if (!o->json)
		fputc('\n', o->f);
}

static void open_level(struct khoi_out *o, const char *key, bool array)
{
	int d = o->depth;

	if (!o->json)
		text_flush(o);
	if (o->json) {
		begin_item(o, key);
		fputc(array ? '[' : '{', o->f);
	} else if (d > 0 && o->array[d] && array) {
		text_line(o, d + 1, true);
		fputs("-\n", o->f);
	} else if (d > 0 && !o->array[d] && array) {
		/* Printed with the first element, or as "key: none". */
		o->pend = key ? key : "?";
		o->pend_depth = d;
		o->pend_dash = o->dash;
	} else if (d > 0 && !o->array[d]) {
		text_line(o, d, o->dash);
		text_key(o, key);
		fputs(":\n", o->f);
	}
	o->dash = !o->json && d > 0 && o->array[d] && !array;
	if (d + 1 >= KHOI_MAX_DEPTH) {
		/* Deeper than any caller goes: stay, the text just flattens. */
		o->overflow++;
		return;
	}
	o->depth = d + 1;
	o->first[d + 1] = true;
	o->array[d + 1] = array;
}

static void close_level(struct khoi_out *o, bool array)
{
	if (o->json) {
		fputc(array ? ']' : '}', o->f);
	} else if (o->dash) {	/* an element with no member */
		text_line(o, o->depth, true);
		fputs("{}\n", o->f);
	} else if (o->pend) {	/* a list with no element */
		text_line(o, o->pend_depth, o->pend_dash);
		text_key(o, o->pend);
		fputs(": none\n", o->f);
		o->pend = NULL;
	}
	o->dash = false;
	if (o->overflow)
		o->overflow--;
	else if (o->depth > 0)
		o->depth--;
	if (o->json && o->depth == 0)
		fputc('\n', o->f);
}

void khoi_obj_begin(struct khoi_out *o, const char *key)
{
	open_level(o, key, false);
}

void khoi_obj_end(struct khoi_out *o)
{
	close_level(o, false);
}

void khoi_arr_begin(struct khoi_out *o, const char *key)
{
	open_level(o, key, true);
}

void khoi_arr_end(struct khoi_out *o)
{
	close_level(o, true);
}

/* @s need not be NUL-terminated: @len bytes, or up to a NUL before. */
void khoi_str(struct khoi_out *o, const char *key, const char *s, size_t len)
{
	len = strnlen(s, len);
	begin_item(o, key);
	if (o->json)
		json_string(o, s, len);
	else
		text_string(o, s, len);
	end_item(o);
}

void khoi_cstr(struct khoi_out *o, const char *key, const char *s)
{
	khoi_str(o, key, s, KHOI_STR_MAX + 1);
}

void khoi_u64(struct khoi_out *o, const char *key, u64 v)
{
	begin_item(o, key);
	fprintf(o->f, "%llu", (unsigned long long)v);
	end_item(o);
}

void khoi_s64(struct khoi_out *o, const char *key, long long v)
{
	begin_item(o, key);
	fprintf(o->f, "%lld", v);
	end_item(o);
}

/* Addresses: a hexadecimal string in JSON too (no precision lost). */
void khoi_hex(struct khoi_out *o, const char *key, u64 v)
{
	begin_item(o, key);
	fprintf(o->f, o->json ? "\"0x%llx\"" : "0x%llx", (unsigned long long)v);
	end_item(o);
}

void khoi_bool(struct khoi_out *o, const char *key, bool v)
{
	begin_item(o, key);
	fputs(v ? (o->json ? "true" : "yes") : (o->json ? "false" : "no"),
	      o->f);
	end_item(o);
}

/* A byte count: a number in JSON, "N (1.5 MiB)" in text. */
void khoi_size(struct khoi_out *o, const char *key, u64 bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = bytes;
	int u = -1;

	begin_item(o, key);
	fprintf(o->f, "%llu", (unsigned long long)bytes);
	if (!o->json && bytes >= 1024) {
		while (v >= 1024 && u < 5) {
			v /= 1024;
			u++;
		}
		fprintf(o->f, " (%.1f %s)", v, units[u]);
	}
	end_item(o);
}

/* Seconds since the epoch: a number in JSON, with the UTC date in text. */
void khoi_time(struct khoi_out *o, const char *key, u64 seconds)
{
	time_t t = (time_t)seconds;
	char buf[64];
	struct tm tm;

	begin_item(o, key);
	fprintf(o->f, "%llu", (unsigned long long)seconds);
	if (!o->json && !seconds)
		fputs(" (not frozen)", o->f);
	else if (!o->json && seconds < (1ULL << 40) && gmtime_r(&t, &tm) &&
		 strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		fprintf(o->f, " (%s)", buf);
	end_item(o);
}

/* Note damage; khoi_problems() lists the first KHOI_MAX_PROBLEMS. */
void khoi_problem(struct khoi_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nr_problems < KHOI_MAX_PROBLEMS) {
		va_start(ap, fmt);
		vsnprintf(o->problems[o->nr_problems], KHOI_PROBLEM_LEN, fmt,
			  ap);
		va_end(ap);
	}
	o->nr_problems++;
}

void khoi_problems(struct khoi_out *o)
{
	unsigned int i, kept = o->nr_problems;

	if (kept > KHOI_MAX_PROBLEMS)
		kept = KHOI_MAX_PROBLEMS;
	khoi_arr_begin(o, "problems");
	for (i = 0; i < kept; i++)
		khoi_cstr(o, NULL, o->problems[i]);
	if (kept < o->nr_problems) {
		char more[48];

		snprintf(more, sizeof(more), "... and %u more",
			 o->nr_problems - kept);
		khoi_cstr(o, NULL, more);
	}
	khoi_arr_end(o);
}
