// SPDX-License-Identifier: GPL-2.0
/*
 * khoinspect's core: decode a handover held in memory (struct khoi_input)
 * and print it (emit.c).
 *
 * Nothing here trusts the input. Every tree is checked with
 * fdt_check_header(), its totalsize against the bytes there are, and a
 * walk of its whole structure before it is read; every libfdt call is
 * checked, every property's length too, and every list printed is
 * bounded. What does not check out is printed as far as it can be read
 * and recorded as a problem (khoi_problem()), which makes the exit status
 * 1. The root tree also gets the next kernel's own verdict:
 * kho_root_check() of kernel/kexec_handover_root.c, compiled unchanged.
 *
 * Blobs are decoded when their client and version are known here
 * (include/linux/kho/trace.h, reserve_mem.h, liveupdate.h). What a blob
 * only points to, by physical address, cannot be read from userspace: its
 * address is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>
#include <linux/kho/abi.h>
#include <linux/kho/liveupdate.h>
#include <linux/kho/reserve_mem.h>
#include <linux/kho/trace.h>

#include "kexec_handover_root.h"
#include "khoinspect.h"

/* Bounds of what is listed; the rest is counted. */
#define KHOI_MAX_NODES		256	/* clients, blobs, instances, regions */
#define KHOI_MAX_LINES		256	/* of a stats or scratch file */
#define KHOI_MAX_TOKENS		4096	/* files listed per session */
#define KHOI_LINE_MAX		256

/* What the root tree tells the rest of the output. */
struct khoi_ctx {
	const struct khoi_input *in;
	struct khoi_out *o;
	unsigned int page_shift;	/* 0: unknown */
	bool have_meta;
	const char *release;
	int release_len;
	u32 boot_count;
	u64 frozen_at;
};

static const char *err_name(int err)
{
	switch (err) {
	case ENOENT:
		return "not there";
	case ENODATA:
		return "no data (claimed or released)";
	case EPERM:
	case EACCES:
		return "permission denied";
	case EFBIG:
		return "too large to read";
	default:
		return strerror(err);
	}
}

/*
 * An integer property of @size bytes, 4 or 8: 0, -ENOENT when missing,
 * -EINVAL when malformed.
 */
static int get_int(const void *fdt, int node, const char *name, int size,
		   u64 *v)
{
	const void *p;
	int len;

	p = fdt_getprop(fdt, node, name, &len);
	if (!p)
		return -ENOENT;
	if (len != size)
		return -EINVAL;
	*v = size == sizeof(fdt32_t) ? fdt32_ld(p) : fdt64_ld(p);
	return 0;
}

/* A string property: NUL-terminated within its length. */
static int get_str(const void *fdt, int node, const char *name,
		   const char **s, int *len)
{
	const char *p;
	int l;

	p = fdt_getprop(fdt, node, name, &l);
	if (!p)
		return -ENOENT;
	*s = p;
	*len = l;
	return l > 0 && !p[l - 1] ? 0 : -EINVAL;
}

static const char *node_name(const void *fdt, int node)
{
	const char *name = fdt_get_name(fdt, node, NULL);

	return name ? name : "?";
}

/*
 * Print an integer property of @size bytes, in hexadecimal for an @addr;
 * return it, or 0 after noting a problem.
 */
static u64 print_int(struct khoi_ctx *c, const char *what, const void *fdt,
		     int node, const char *name, int size, bool addr)
{
	int err;
	u64 v;

	err = get_int(fdt, node, name, size, &v);
	if (err == -ENOENT)
		khoi_problem(c->o, "%s: %s missing", what, name);
	else if (err)
		khoi_problem(c->o, "%s: %s is not a u%d", what, name, size * 8);
	if (err)
		return 0;
	if (addr)
		khoi_hex(c->o, name, v);
	else
		khoi_u64(c->o, name, v);
	return v;
}

static int print_string(struct khoi_ctx *c, const char *what,
			const void *fdt, int node, const char *name,
			size_t max)
{
	const char *s;
	int len, err;

	err = get_str(fdt, node, name, &s, &len);
	if (err == -ENOENT) {
		khoi_problem(c->o, "%s: %s missing", what, name);
		return err;
	}
	khoi_str(c->o, name, s, len);
	if (err || (size_t)len > max) {
		khoi_problem(c->o, "%s: %s is not a string of at most %zu bytes",
			     what, name, max);
		return -EINVAL;
	}
	return 0;
}

/* A string list (compatible, dropped): each string, NUL-terminated. */
static int print_strlist(struct khoi_out *o, const char *key, const char *p,
			 int len)
{
	int i = 0, n = 0;

	khoi_arr_begin(o, key);
	while (i < len && n < KHOI_MAX_NODES) {
		size_t l = strnlen(p + i, len - i);

		khoi_str(o, NULL, p + i, l);
		i += l + 1;
		n++;
	}
	khoi_arr_end(o);
	return len > 0 && !p[len - 1] && n < KHOI_MAX_NODES ? 0 : -EINVAL;
}

/*
 * Whether the @size bytes at @fdt hold a whole FDT whose every node and
 * property libfdt can read, no node deeper than @max_depth. On failure,
 * *why says what is wrong.
 */
static bool fdt_usable(const void *fdt, size_t size, int max_depth,
		       const char **why)
{
	int node = 0, depth = 0, prop, len;

	*why = "too small for an FDT header";
	if (size < sizeof(struct fdt_header))
		return false;
	*why = "not an FDT (bad magic)";
	if (fdt_magic(fdt) != FDT_MAGIC)
		return false;
	*why = "bad FDT header";
	if (fdt_check_header(fdt))
		return false;
	*why = "FDT totalsize beyond the data";
	if (fdt_totalsize(fdt) > size)
		return false;
	*why = "corrupted FDT structure";
	if (fdt_off_dt_struct(fdt) % FDT_TAGSIZE)
		return false;
	/* fdt_next_node() leaves depth negative past the root's end. */
	while (node >= 0 && depth >= 0) {
		if (depth > max_depth || !fdt_get_name(fdt, node, &len))
			return false;
		fdt_for_each_property_offset(prop, fdt, node) {
			if (!fdt_getprop_by_offset(fdt, prop, NULL, &len))
				return false;
		}
		if (prop != -FDT_ERR_NOTFOUND)
			return false;
		node = fdt_next_node(fdt, node, &depth);
	}
	return node >= 0 || node == -FDT_ERR_NOTFOUND;
}

/* Check a blob that should be an FDT; print its compatible. */
static bool blob_fdt(struct khoi_ctx *c, const char *what,
		     const struct khoi_file *f, const char *compatible)
{
	const char *why, *s = "";
	int len;

	if (!fdt_usable(f->data, f->size, 1, &why)) {
		khoi_problem(c->o, "%s: %s", what, why);
		return false;
	}
	khoi_u64(c->o, "fdt-totalsize", fdt_totalsize(f->data));
	if (print_string(c, what, f->data, 0, "compatible", KHO_COMPATIBLE_MAX))
		return false;
	get_str(f->data, 0, "compatible", &s, &len);
	if (strcmp(s, compatible)) {
		khoi_problem(c->o, "%s: compatible is not %s: not decoded",
			     what, compatible);
		return false;
	}
	return true;
}

/* The "trace" blob of the ftrace client (include/linux/kho/trace.h). */
static void decode_trace(struct khoi_ctx *c, const char *what,
			 const struct khoi_file *f)
{
	const void *fdt = f->data;
	int node, n = 0;

	if (!blob_fdt(c, what, f, KHO_TRACE_COMPATIBLE))
		return;
	print_int(c, what, fdt, 0, KHO_TRACE_PROP_EVENTS, 8, true);
	khoi_arr_begin(c->o, "instances");
	fdt_for_each_subnode(node, fdt, 0) {
		u32 nr_cpus = 0, cpu_pages = 0;

		if (++n > KHOI_MAX_NODES)
			continue;
		khoi_obj_begin(c->o, NULL);
		khoi_cstr(c->o, "node", node_name(fdt, node));
		print_string(c, what, fdt, node, KHO_TRACE_PROP_NAME,
			     KHO_TRACE_MAX_NAME);
		nr_cpus = print_int(c, what, fdt, node, KHO_TRACE_PROP_NR_CPUS,
				    4, false);
		cpu_pages = print_int(c, what, fdt, node,
				      KHO_TRACE_PROP_CPU_PAGES, 4, false);
		print_int(c, what, fdt, node, KHO_TRACE_PROP_PAGES, 8, true);
		if (!nr_cpus || nr_cpus > KHO_TRACE_MAX_CPUS ||
		    cpu_pages < KHO_TRACE_MIN_CPU_PAGES ||
		    cpu_pages > KHO_TRACE_MAX_CPU_PAGES)
			khoi_problem(c->o, "%s: instance %s: nr-cpus or cpu-pages out of range",
				     what, node_name(fdt, node));
		else if (c->page_shift)
			khoi_size(c->o, "ring-buffer-bytes",
				  ((u64)nr_cpus * cpu_pages) << c->page_shift);
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
	if (n > KHO_TRACE_MAX_INSTANCES)
		khoi_problem(c->o, "%s: %d instances, more than %d", what, n,
			     KHO_TRACE_MAX_INSTANCES);
	khoi_cstr(c->o, "note",
		  "the event list and the ring buffer pages are preserved memory, at the addresses above");
}

/* The "regions" blob of memblock's reserve_mem client. */
static void decode_reserve_mem(struct khoi_ctx *c, const char *what,
			       const struct khoi_file *f)
{
	const void *fdt = f->data;
	int node, n = 0;

	if (!blob_fdt(c, what, f, KHO_RESERVE_MEM_COMPATIBLE))
		return;
	khoi_arr_begin(c->o, "regions");
	fdt_for_each_subnode(node, fdt, 0) {
		u64 start, size;

		if (++n > KHOI_MAX_NODES)
			continue;
		khoi_obj_begin(c->o, NULL);
		khoi_cstr(c->o, "node", node_name(fdt, node));
		print_string(c, what, fdt, node, KHO_RESERVE_MEM_PROP_NAME,
			     KHO_NAME_MAX);
		start = print_int(c, what, fdt, node,
				  KHO_RESERVE_MEM_PROP_START, 8, true);
		size = print_int(c, what, fdt, node, KHO_RESERVE_MEM_PROP_SIZE,
				 8, false);
		print_int(c, what, fdt, node, KHO_RESERVE_MEM_PROP_ALIGN, 8,
			  false);
		if (!size || start + size < start)
			khoi_problem(c->o, "%s: region %s: bad range", what,
				     node_name(fdt, node));
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
}

/* The "sessions" blob of the liveupdate client: a struct luo_kho_header. */
static void decode_luo(struct khoi_ctx *c, const char *what,
		       const struct khoi_file *f)
{
	const size_t fixed = offsetof(struct luo_kho_header, sessions);
	struct luo_kho_header hdr;
	unsigned int i, nr;
	u64 phys;

	if (f->size < fixed) {
		khoi_problem(c->o, "%s: %zu bytes, too short for a header",
			     what, f->size);
		return;
	}
	memcpy(&hdr, f->data, fixed);
	khoi_hex(c->o, "magic", hdr.magic);
	if (hdr.magic != LUO_KHO_HEADER_MAGIC) {
		khoi_problem(c->o, "%s: bad magic", what);
		return;
	}
	khoi_u64(c->o, "nr-sessions", hdr.nr_sessions);
	if (hdr.reserved)
		khoi_problem(c->o, "%s: reserved field is not zero", what);
	nr = hdr.nr_sessions;
	if (nr > LUO_KHO_MAX_SESSIONS ||
	    fixed + (size_t)nr * sizeof(phys) > f->size) {
		khoi_problem(c->o, "%s: %u sessions: more than %d or beyond the blob",
			     what, nr, LUO_KHO_MAX_SESSIONS);
		nr = (f->size - fixed) / sizeof(phys);
		if (nr > LUO_KHO_MAX_SESSIONS)
			nr = LUO_KHO_MAX_SESSIONS;
		if (nr > hdr.nr_sessions)
			nr = hdr.nr_sessions;
	}
	khoi_arr_begin(c->o, "session-pages");
	for (i = 0; i < nr; i++) {
		memcpy(&phys, (const char *)f->data + fixed + i * sizeof(phys),
		       sizeof(phys));
		khoi_hex(c->o, NULL, phys);
	}
	khoi_arr_end(c->o);
	khoi_cstr(c->o, "note",
		  "session names, file tokens and memfd records are in the session pages, preserved memory; /sys/kernel/liveupdate lists sessions");
}

/* Any other blob: whether it is an FDT, and its compatible. */
static void decode_other(struct khoi_ctx *c, const struct khoi_file *f)
{
	const char *why, *s;
	int len;

	if (!fdt_usable(f->data, f->size, 64, &why)) {
		khoi_cstr(c->o, "format", "opaque");
		return;
	}
	khoi_cstr(c->o, "format", "fdt");
	if (!get_str(f->data, 0, "compatible", &s, &len))
		khoi_str(c->o, "compatible", s, len);
}

static const struct khoi_client *find_client(const struct khoi_input *in,
					     const char *name)
{
	unsigned int i;

	for (i = 0; i < in->nr_clients; i++)
		if (in->clients[i].name && !strcmp(in->clients[i].name, name))
			return &in->clients[i];
	return NULL;
}

static const struct khoi_file *find_blob(const struct khoi_client *cl,
					 const char *name)
{
	unsigned int i;

	for (i = 0; cl && i < cl->nr_blobs; i++)
		if (cl->blobs[i].name && !strcmp(cl->blobs[i].name, name))
			return &cl->blobs[i].file;
	return NULL;
}

static void print_blob(struct khoi_ctx *c, const void *fdt, int node,
		       const char *client, const char *compatible,
		       const struct khoi_client *cl)
{
	const char *name = node_name(fdt, node);
	const struct khoi_file *f = find_blob(cl, name);
	char what[KHOI_PROBLEM_LEN];
	u64 size;

	snprintf(what, sizeof(what), "client %.63s: blob %.63s", client, name);
	khoi_cstr(c->o, "name", name);
	if (!kho_name_valid(name))
		khoi_problem(c->o, "%s: bad name", what);
	print_int(c, what, fdt, node, KHO_PROP_BLOB_ADDR, 8, true);
	size = print_int(c, what, fdt, node, KHO_PROP_BLOB_SIZE, 8, false);
	if (!f || !f->data) {
		khoi_cstr(c->o, "contents", f ? err_name(f->err) : "no file");
		return;
	}
	if (f->size != size)
		khoi_problem(c->o, "%s: the file has %zu bytes, the tree says %llu",
			     what, f->size, (unsigned long long)size);
	khoi_obj_begin(c->o, "contents");
	khoi_size(c->o, "bytes", f->size);
	if (!strcmp(client, KHO_TRACE_CLIENT) &&
	    !strcmp(name, KHO_TRACE_BLOB) &&
	    !strcmp(compatible, KHO_TRACE_COMPATIBLE))
		decode_trace(c, what, f);
	else if (!strcmp(client, KHO_RESERVE_MEM_CLIENT) &&
		 !strcmp(name, KHO_RESERVE_MEM_BLOB))
		decode_reserve_mem(c, what, f);
	else if (!strcmp(client, LUO_KHO_CLIENT) &&
		 !strcmp(name, LUO_KHO_BLOB) &&
		 !strcmp(compatible, LUO_KHO_COMPATIBLE))
		decode_luo(c, what, f);
	else
		decode_other(c, f);
	khoi_obj_end(c->o);
}

/*
 * Copy the line of @f at *@pos (up to a newline, a NUL or the end) into
 * @line and move *@pos past it. Return 0, 1 for a line too long for
 * @size (skipped), or -1 at the end.
 */
static int next_line(const struct khoi_file *f, size_t *pos, char *line,
		     size_t size)
{
	const char *p, *nl;
	size_t left, n;

	if (!f->data || *pos >= f->size)
		return -1;
	p = f->data + *pos;
	left = f->size - *pos;
	n = strnlen(p, left);
	nl = memchr(p, '\n', n);
	if (nl)
		n = nl - p;
	*pos += n + 1;
	if (n >= size)
		return 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return 0;
}

/* The first line of a text file; NULL if there is none. */
static const char *first_line(const struct khoi_file *f, char *buf,
			      size_t size)
{
	size_t pos = 0;

	return next_line(f, &pos, buf, size) ? NULL : buf;
}

static bool parse_u64(const char *s, int base, u64 *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* An "order N: M blocks" line of a stats file. */
static void print_order(struct khoi_ctx *c, unsigned int order, u64 blocks)
{
	unsigned int shift = c->page_shift + order;

	khoi_obj_begin(c->o, NULL);
	khoi_u64(c->o, "order", order);
	khoi_u64(c->o, "blocks", blocks);
	/* Bytes only when the page size is known and they fit a u64. */
	if (c->page_shift && shift < 64 && !(blocks >> (64 - shift))) {
		khoi_size(c->o, "block-size", 1ULL << shift);
		khoi_size(c->o, "bytes", blocks << shift);
	}
	khoi_obj_end(c->o);
}

/*
 * A stats file: its "order N: M blocks" lines, if any, as one list
 * "orders", then every other line "key value" as it is, a number when it
 * is one.
 */
static void print_stats(struct khoi_ctx *c, const char *key,
			const struct khoi_file *f, const char *what)
{
	unsigned long long blocks;
	char line[KHOI_LINE_MAX], *sp;
	unsigned int nr, order;
	size_t pos;
	bool has_orders;
	int pass, r;
	u64 v;

	if (!f->data) {
		if (f->err && f->err != ENOENT)
			khoi_cstr(c->o, key, err_name(f->err));
		return;
	}
	/* The kernel's stats have them; a client's have none. */
	has_orders = !strncmp(f->data, "order ", 6) ||
		     memmem(f->data, f->size, "\norder ", 7);
	khoi_obj_begin(c->o, key);
	for (pass = 0; pass < 2; pass++) {
		if (!pass && has_orders)
			khoi_arr_begin(c->o, "orders");
		pos = 0;
		nr = 0;
		while (nr++ < KHOI_MAX_LINES &&
		       (r = next_line(f, &pos, line, sizeof(line))) >= 0) {
			if (r) {
				if (pass)
					khoi_problem(c->o, "%s: line too long",
						     what);
				continue;
			}
			if (sscanf(line, "order %u: %llu blocks", &order,
				   &blocks) == 2) {
				if (!pass && has_orders)
					print_order(c, order, blocks);
				continue;
			}
			if (!pass || !*line)
				continue;
			sp = strchr(line, ' ');
			if (!sp) {
				khoi_problem(c->o, "%s: unexpected line", what);
				continue;
			}
			*sp++ = '\0';
			if (parse_u64(sp, 10, &v) && strstr(line, "bytes"))
				khoi_size(c->o, line, v);
			else if (parse_u64(sp, 10, &v))
				khoi_u64(c->o, line, v);
			else if (*sp == '-' && parse_u64(sp + 1, 10, &v) &&
				 v <= INT64_MAX)
				khoi_s64(c->o, line, -(long long)v);
			else
				khoi_cstr(c->o, line, sp);
		}
		if (!pass && has_orders)
			khoi_arr_end(c->o);
	}
	khoi_obj_end(c->o);
}

static void print_client(struct khoi_ctx *c, const void *fdt, int node)
{
	const char *name = node_name(fdt, node), *compatible = "";
	const struct khoi_client *cl = find_client(c->in, name);
	char what[KHOI_PROBLEM_LEN];
	int blob, n = 0, len;

	snprintf(what, sizeof(what), "client %.63s", name);
	khoi_cstr(c->o, "name", name);
	if (!kho_name_valid(name))
		khoi_problem(c->o, "%s: bad name", what);
	if (!print_string(c, what, fdt, node, KHO_PROP_COMPATIBLE,
			  KHO_COMPATIBLE_MAX))
		get_str(fdt, node, KHO_PROP_COMPATIBLE, &compatible, &len);
	print_int(c, what, fdt, node, KHO_PROP_TRACKER, 8, true);
	if (cl)
		print_stats(c, "stats", &cl->stats, what);
	khoi_arr_begin(c->o, "blobs");
	fdt_for_each_subnode(blob, fdt, node) {
		if (++n > KHOI_MAX_NODES)
			continue;
		khoi_obj_begin(c->o, NULL);
		print_blob(c, fdt, blob, name, compatible, cl);
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
	if (n > KHOI_MAX_NODES)
		khoi_problem(c->o, "%s: %d blobs, only %d listed", what, n,
			     KHOI_MAX_NODES);
}

static unsigned int host_page_shift(void)
{
	long size = sysconf(_SC_PAGESIZE);

	return size > 0 ? __builtin_ctzl(size) : 12;
}

/* The root node and, when the tree is usable, the clients. */
static void print_root(struct khoi_ctx *c)
{
	const struct khoi_file *f = &c->in->fdt;
	const void *fdt = f->data;
	const char *why, *s;
	int node, n = 0, len;
	u32 shift = 0;
	u64 tracker;
	char abort[8];

	khoi_obj_begin(c->o, "root");
	if (!fdt) {
		khoi_cstr(c->o, "tree", err_name(f->err));
		khoi_problem(c->o, "root tree: %s", err_name(f->err));
		goto out;
	}
	khoi_size(c->o, "file-size", f->size);
	if (!f->size && !c->in->incoming &&
	    first_line(&c->in->abort, abort, sizeof(abort)) &&
	    !strcmp(abort, "1")) {
		khoi_cstr(c->o, "tree", "none: the handover is aborted");
		goto out;
	}
	if (f->size >= sizeof(struct fdt_header) && !fdt_magic(fdt)) {
		khoi_cstr(c->o, "tree", "zeroed: aborted, no handover");
		khoi_problem(c->o, "root tree: zeroed (aborted by the previous kernel)");
		goto out;
	}
	if (!fdt_usable(fdt, f->size, 2, &why)) {
		khoi_problem(c->o, "root tree: %s", why);
		if (f->size < sizeof(struct fdt_header) ||
		    fdt_check_header(fdt) || fdt_totalsize(fdt) > f->size)
			goto out;
	}
	khoi_u64(c->o, "fdt-totalsize", fdt_totalsize(fdt));
	if (!get_str(fdt, 0, KHO_PROP_COMPATIBLE, &s, &len))
		print_strlist(c->o, KHO_PROP_COMPATIBLE, s, len);
	else
		khoi_problem(c->o, "root tree: no compatible string");
	if (fdt_node_check_compatible(fdt, 0, KHO_ROOT_COMPATIBLE))
		khoi_problem(c->o, "root tree: compatible is not %s",
			     KHO_ROOT_COMPATIBLE);
	shift = print_int(c, "root tree", fdt, 0, KHO_PROP_PAGE_SHIFT, 4,
			  false);
	if (shift >= 10 && shift <= 20) {
		c->page_shift = shift;
		khoi_size(c->o, "page-size", 1ULL << shift);
	}
	print_int(c, "root tree", fdt, 0, KHO_PROP_TRACKER, 8, true);
	if (!print_string(c, "root tree", fdt, 0, KHO_PROP_RELEASE,
			  KHO_RELEASE_MAX))
		get_str(fdt, 0, KHO_PROP_RELEASE, &c->release, &c->release_len);
	c->boot_count = print_int(c, "root tree", fdt, 0, KHO_PROP_BOOT_COUNT,
				  4, false);
	if (!get_int(fdt, 0, KHO_PROP_FROZEN_AT, 8, &c->frozen_at))
		khoi_time(c->o, KHO_PROP_FROZEN_AT, c->frozen_at);
	else
		khoi_problem(c->o, "root tree: %s missing or not a u64",
			     KHO_PROP_FROZEN_AT);
	c->have_meta = true;
	s = fdt_getprop(fdt, 0, KHO_PROP_DROPPED, &len);
	if (s && print_strlist(c->o, KHO_PROP_DROPPED, s, len))
		khoi_problem(c->o, "root tree: bad dropped list");
	if (!s) {
		khoi_arr_begin(c->o, KHO_PROP_DROPPED);
		khoi_arr_end(c->o);
	}

	/* The next kernel's verdict, for the tree's page size. */
	tracker = 0;
	why = NULL;
	if (!kho_root_check(fdt, f->size < KHO_ROOT_MAX_SIZE ?
			    f->size : KHO_ROOT_MAX_SIZE,
			    c->page_shift ? c->page_shift : host_page_shift(),
			    &tracker, &why)) {
		khoi_cstr(c->o, "check", "ok");
	} else {
		khoi_cstr(c->o, "check", why ? why : "refused");
		khoi_problem(c->o, "the next kernel refuses this tree: %s",
			     why ? why : "?");
	}
	khoi_obj_end(c->o);

	khoi_arr_begin(c->o, "clients");
	fdt_for_each_subnode(node, fdt, 0) {
		if (++n > KHOI_MAX_NODES)
			continue;
		khoi_obj_begin(c->o, NULL);
		print_client(c, fdt, node);
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
	if (n > KHOI_MAX_NODES)
		khoi_problem(c->o, "root tree: %d clients, only %d listed", n,
			     KHOI_MAX_NODES);
	return;
out:
	khoi_obj_end(c->o);
}

/* Client directories without a node in the tree (dropped, for one). */
static void print_other_clients(struct khoi_ctx *c)
{
	const struct khoi_file *f = &c->in->fdt;
	unsigned int i, n = 0;
	const char *why;
	bool usable;

	usable = f->data && fdt_usable(f->data, f->size, 2, &why);
	khoi_arr_begin(c->o, "clients-without-node");
	for (i = 0; i < c->in->nr_clients && n < KHOI_MAX_NODES; i++) {
		const struct khoi_client *cl = &c->in->clients[i];

		if (!cl->name)
			continue;
		if (usable && fdt_subnode_offset(f->data, 0, cl->name) >= 0)
			continue;
		n++;
		khoi_obj_begin(c->o, NULL);
		khoi_cstr(c->o, "name", cl->name);
		print_stats(c, "stats", &cl->stats, cl->name);
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
}

/* /sys/kernel/kho/scratch: "0x<address> 0x<size>" lines. */
static void print_scratch(struct khoi_ctx *c)
{
	struct kho_scratch_entry table[KHO_SCRATCH_MAX_ENTRIES];
	const struct khoi_file *f = &c->in->scratch;
	char line[KHOI_LINE_MAX], a[KHOI_LINE_MAX], b[KHOI_LINE_MAX];
	unsigned int nr = 0, lines = 0;
	const char *why;
	size_t pos = 0;
	u64 total = 0;
	int r;

	if (!f->data) {
		if (f->err && f->err != ENOENT)
			khoi_cstr(c->o, "scratch", err_name(f->err));
		return;
	}
	khoi_obj_begin(c->o, "scratch");
	khoi_arr_begin(c->o, "areas");
	while (lines++ < KHOI_MAX_LINES &&
	       (r = next_line(f, &pos, line, sizeof(line))) >= 0) {
		if (!r && !*line)
			continue;
		if (r || nr == KHO_SCRATCH_MAX_ENTRIES) {
			khoi_problem(c->o, "scratch: too many or too long lines");
			break;
		}
		if (sscanf(line, "%255s %255s", a, b) != 2 ||
		    strncmp(a, "0x", 2) || strncmp(b, "0x", 2) ||
		    !parse_u64(a + 2, 16, &table[nr].addr) ||
		    !parse_u64(b + 2, 16, &table[nr].size)) {
			khoi_problem(c->o, "scratch: bad line");
			continue;
		}
		khoi_obj_begin(c->o, NULL);
		khoi_hex(c->o, "addr", table[nr].addr);
		khoi_size(c->o, "size", table[nr].size);
		khoi_obj_end(c->o);
		total += table[nr].size;
		nr++;
	}
	khoi_arr_end(c->o);
	khoi_size(c->o, "total", total);
	if (nr) {
		why = NULL;
		if (kho_scratch_check(table, nr, 1ULL << (c->page_shift ?
				      c->page_shift : host_page_shift()),
				      &why)) {
			khoi_cstr(c->o, "check", why ? why : "refused");
			khoi_problem(c->o, "scratch: %s", why ? why : "refused");
		} else {
			khoi_cstr(c->o, "check", "ok");
		}
	}
	khoi_obj_end(c->o);
}

/* in/previous_release, boot_count, frozen_at, against the tree. */
static void print_kexec(struct khoi_ctx *c)
{
	const struct khoi_input *in = c->in;
	char buf[KHOI_LINE_MAX];
	const char *s;
	u64 v;

	if (!in->incoming_status.data && !in->previous_release.data &&
	    !in->boot_count.data && !in->frozen_at.data)
		return;
	khoi_obj_begin(c->o, "kexec");
	s = first_line(&in->incoming_status, buf, sizeof(buf));
	if (s)
		khoi_cstr(c->o, "incoming", s);
	s = first_line(&in->previous_release, buf, sizeof(buf));
	if (s) {
		khoi_cstr(c->o, "previous-release", s);
		if (in->incoming && c->release &&
		    strncmp(s, c->release, c->release_len))
			khoi_problem(c->o, "previous_release differs from the tree's release");
	}
	s = first_line(&in->boot_count, buf, sizeof(buf));
	if (s && parse_u64(s, 10, &v)) {
		khoi_u64(c->o, "boot-count", v);
		if (in->incoming && c->have_meta && v != c->boot_count)
			khoi_problem(c->o, "boot_count differs from the tree's");
	} else if (s) {
		khoi_problem(c->o, "boot_count is not a number");
	}
	s = first_line(&in->frozen_at, buf, sizeof(buf));
	if (s && parse_u64(s, 10, &v)) {
		khoi_time(c->o, "frozen-at", v);
		if (in->incoming && c->have_meta && v != c->frozen_at)
			khoi_problem(c->o, "frozen_at differs from the tree's");
	} else if (s) {
		khoi_problem(c->o, "frozen_at is not a number");
	}
	khoi_obj_end(c->o);
}

/* A tokens file: "<token> <handler>[ retrieved]" per line. */
static void print_tokens(struct khoi_ctx *c, const struct khoi_session *s)
{
	const struct khoi_file *f = &s->tokens;
	char line[KHOI_LINE_MAX], handler[KHOI_LINE_MAX], extra[KHOI_LINE_MAX];
	unsigned long long token;
	unsigned int nr = 0;
	size_t pos = 0;
	int got, r;

	khoi_arr_begin(c->o, "files");
	while ((r = next_line(f, &pos, line, sizeof(line))) >= 0) {
		if (!r && !*line)
			continue;
		if (++nr > KHOI_MAX_TOKENS)
			continue;
		if (r) {
			khoi_problem(c->o, "session %.63s: tokens: line too long",
				     s->name);
			continue;
		}
		extra[0] = '\0';
		got = sscanf(line, "%llu %255s %255s", &token, handler, extra);
		if (got < 2) {
			khoi_problem(c->o, "session %.63s: tokens: bad line",
				     s->name);
			continue;
		}
		khoi_obj_begin(c->o, NULL);
		khoi_u64(c->o, "token", token);
		khoi_cstr(c->o, "handler", handler);
		khoi_bool(c->o, "retrieved", !strcmp(extra, "retrieved"));
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
	if (nr > KHOI_MAX_TOKENS)
		khoi_u64(c->o, "files-not-listed", nr - KHOI_MAX_TOKENS);
}

/* /sys/kernel/liveupdate/sessions: names and tokens, from the kernel. */
static void print_sessions(struct khoi_ctx *c)
{
	const struct khoi_input *in = c->in;
	char buf[KHOI_LINE_MAX];
	unsigned int i;
	const char *s;

	if (!in->have_sessions)
		return;
	khoi_obj_begin(c->o, "liveupdate");
	khoi_arr_begin(c->o, "sessions");
	for (i = 0; i < in->nr_sessions && i < LUO_KHO_MAX_SESSIONS; i++) {
		khoi_obj_begin(c->o, NULL);
		khoi_cstr(c->o, "name", in->sessions[i].name);
		s = first_line(&in->sessions[i].state, buf, sizeof(buf));
		khoi_cstr(c->o, "state", s ? s : "?");
		print_tokens(c, &in->sessions[i]);
		khoi_obj_end(c->o);
	}
	khoi_arr_end(c->o);
	khoi_obj_end(c->o);
}

int khoi_inspect(const struct khoi_input *in, struct khoi_out *o)
{
	struct khoi_ctx c = { .in = in, .o = o };

	khoi_obj_begin(o, NULL);
	if (in->source)
		khoi_cstr(o, "source", in->source);
	khoi_cstr(o, "side", in->incoming ? "in" : "out");
	print_root(&c);
	print_other_clients(&c);
	print_stats(&c, "stats", &in->stats, "stats");
	print_scratch(&c);
	print_kexec(&c);
	print_sessions(&c);
	khoi_problems(o);
	khoi_obj_end(o);
	return o->nr_problems ? 1 : 0;
}
