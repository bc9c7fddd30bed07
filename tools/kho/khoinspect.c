// SPDX-License-Identifier: GPL-2.0
/*
 * khoinspect: print what a Kexec HandOver holds.
 *
 *   khoinspect [--json] [--in]             the live handover, from sysfs
 *   khoinspect [--json] --dir DIR          a copy saved with --save
 *   khoinspect [--json] [--in] --fdt FILE  a root tree alone
 *   khoinspect [--in] --save DIR           copy the live handover into DIR
 *
 * --sysfs DIR reads the live files under DIR instead of /sys (tests).
 *
 * The live handover is /sys/kernel/kho/out (what this kernel will hand
 * over) or, with --in, /sys/kernel/kho/in (what the previous kernel handed
 * over): the root tree, the clients' stats and blobs, the statistics, and
 * /sys/kernel/kho/scratch, incoming, abort, the kexec metadata of in/ and
 * the sessions of /sys/kernel/liveupdate. A saved copy has the same files
 * in DIR: fdt, stats, clients/CLIENT/stats, clients/CLIENT/blobs/BLOB,
 * scratch, incoming, abort, previous_release, boot_count, frozen_at,
 * liveupdate/sessions/NAME/{state,tokens}, and side ("in" or "out").
 *
 * Exit status: 0 when everything checked out, 1 when something was
 * damaged or would be refused by the next kernel (what could be read is
 * printed, the problems last), 2 for a usage or I/O error. See
 * Documentation/kho/inspector.rst.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khoinspect.h"

/* Under /sys, or under the directory of --sysfs (for tests). */
#define KHO_SYSFS	"kernel/kho"
#define LUO_SESSIONS	"kernel/liveupdate/sessions"

#define MAX_TREE	(1024 * 1024)	/* a root tree given with --fdt */
#define MAX_BLOB	(64 * 1024 * 1024)
#define MAX_TEXT	(1024 * 1024)
#define MAX_ENTRIES	1024		/* of a directory */

static const char *prog = "khoinspect";

/* Where each part of the input is. */
struct paths {
	char base[PATH_MAX];	/* fdt, stats and clients/ */
	char kho[PATH_MAX];	/* scratch, incoming, abort */
	char meta[PATH_MAX];	/* previous_release, boot_count, frozen_at */
	char sessions[PATH_MAX];
};

static void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(2);
	}
	return p;
}

static void *xcalloc(size_t nr, size_t size)
{
	void *p = calloc(nr ? nr : 1, size);

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

static void join(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		fprintf(stderr, "%s: path too long: %s/%s\n", prog, dir, name);
		exit(2);
	}
}

/*
 * Read a whole file, at most @max bytes, into a buffer of exactly its
 * size plus a NUL (not counted). Sysfs files do not know their size.
 */
static void read_file(const char *path, size_t max, struct khoi_file *f)
{
	size_t cap = 4096, len = 0;
	char *buf;
	ssize_t n;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		f->err = errno;
		return;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				f->err = EFBIG;
				break;
			}
			cap *= 2;
			buf = realloc(buf, cap + 1);
			if (!buf) {
				fprintf(stderr, "%s: out of memory\n", prog);
				exit(2);
			}
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				f->err = errno;
			break;
		}
		len += n;
	}
	close(fd);
	if (!f->err && len > max)
		f->err = EFBIG;
	if (f->err) {
		free(buf);
		return;
	}
	buf[len] = '\0';
	f->data = buf;
	f->size = len;
}

static void read_at(const char *dir, const char *name, size_t max,
		    struct khoi_file *f)
{
	char path[PATH_MAX];

	join(path, dir, name);
	read_file(path, max, f);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted, without those starting with '.'. */
static char **list_dir(const char *path, unsigned int *nr, int *err)
{
	char **names = NULL;
	struct dirent *d;
	DIR *dir;

	*nr = 0;
	*err = 0;
	dir = opendir(path);
	if (!dir) {
		*err = errno;
		return NULL;
	}
	names = xmalloc(MAX_ENTRIES * sizeof(*names));
	while ((d = readdir(dir)) && *nr < MAX_ENTRIES) {
		if (d->d_name[0] == '.')
			continue;
		names[(*nr)++] = xstrdup(d->d_name);
	}
	closedir(dir);
	qsort(names, *nr, sizeof(*names), cmp_names);
	return names;
}

static void read_client(const char *clients, const char *name,
			struct khoi_client *c)
{
	char dir[PATH_MAX], blobs[PATH_MAX];
	char **names;
	unsigned int i;
	int err;

	c->name = name;
	join(dir, clients, name);
	read_at(dir, "stats", MAX_TEXT, &c->stats);
	join(blobs, dir, "blobs");
	names = list_dir(blobs, &c->nr_blobs, &err);
	c->blobs = xcalloc(c->nr_blobs, sizeof(*c->blobs));
	for (i = 0; i < c->nr_blobs; i++) {
		c->blobs[i].name = names[i];
		read_at(blobs, names[i], MAX_BLOB, &c->blobs[i].file);
	}
	free(names);
}

static void read_sessions(const char *path, struct khoi_input *in)
{
	char dir[PATH_MAX];
	char **names;
	unsigned int i;
	int err;

	names = list_dir(path, &in->nr_sessions, &err);
	in->have_sessions = !err;
	in->sessions = xcalloc(in->nr_sessions, sizeof(*in->sessions));
	for (i = 0; i < in->nr_sessions; i++) {
		in->sessions[i].name = names[i];
		join(dir, path, names[i]);
		read_at(dir, "state", MAX_TEXT, &in->sessions[i].state);
		read_at(dir, "tokens", MAX_TEXT, &in->sessions[i].tokens);
	}
	free(names);
}

static void read_input(const struct paths *p, struct khoi_input *in)
{
	char clients[PATH_MAX];
	char **names;
	unsigned int i;
	int err;

	read_at(p->base, "fdt", MAX_TREE, &in->fdt);
	read_at(p->base, "stats", MAX_TEXT, &in->stats);
	read_at(p->kho, "scratch", MAX_TEXT, &in->scratch);
	read_at(p->kho, "incoming", MAX_TEXT, &in->incoming_status);
	read_at(p->kho, "abort", MAX_TEXT, &in->abort);
	read_at(p->meta, "previous_release", MAX_TEXT, &in->previous_release);
	read_at(p->meta, "boot_count", MAX_TEXT, &in->boot_count);
	read_at(p->meta, "frozen_at", MAX_TEXT, &in->frozen_at);
	join(clients, p->base, "clients");
	names = list_dir(clients, &in->nr_clients, &err);
	in->clients = xcalloc(in->nr_clients, sizeof(*in->clients));
	for (i = 0; i < in->nr_clients; i++)
		read_client(clients, names[i], &in->clients[i]);
	free(names);
	read_sessions(p->sessions, in);
}

/* --save: write what was read into @dir, in the layout --dir reads. */
static int save_file(const char *dir, const char *name,
		     const struct khoi_file *f)
{
	char path[PATH_MAX];
	size_t done = 0;
	ssize_t n;
	int fd;

	if (!f->data)
		return 0;
	join(path, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (done < f->size) {
		n = write(fd, f->data + done, f->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			goto fail;
		}
		done += n;
	}
	if (!close(fd))
		return 0;
fail:
	fprintf(stderr, "%s: cannot write %s: %s\n", prog, path,
		strerror(errno));
	return -1;
}

static int make_dir(const char *dir, const char *name, char *path)
{
	join(path, dir, name);
	if (!mkdir(path, 0700) || errno == EEXIST)
		return 0;
	fprintf(stderr, "%s: cannot create %s: %s\n", prog, path,
		strerror(errno));
	return -1;
}

static int save(const char *dir, const struct khoi_input *in)
{
	char clients[PATH_MAX], path[PATH_MAX], blobs[PATH_MAX];
	struct khoi_file side = {
		.data = in->incoming ? "in\n" : "out\n",
		.size = in->incoming ? 3 : 4,
	};
	unsigned int i, j;
	int err = 0;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir,
			strerror(errno));
		return -1;
	}
	err |= save_file(dir, "side", &side);
	err |= save_file(dir, "fdt", &in->fdt);
	err |= save_file(dir, "stats", &in->stats);
	err |= save_file(dir, "scratch", &in->scratch);
	err |= save_file(dir, "incoming", &in->incoming_status);
	err |= save_file(dir, "abort", &in->abort);
	err |= save_file(dir, "previous_release", &in->previous_release);
	err |= save_file(dir, "boot_count", &in->boot_count);
	err |= save_file(dir, "frozen_at", &in->frozen_at);
	err |= make_dir(dir, "clients", clients);
	for (i = 0; !err && i < in->nr_clients; i++) {
		const struct khoi_client *c = &in->clients[i];

		err |= make_dir(clients, c->name, path);
		err |= save_file(path, "stats", &c->stats);
		err |= make_dir(path, "blobs", blobs);
		for (j = 0; !err && j < c->nr_blobs; j++)
			err |= save_file(blobs, c->blobs[j].name,
					 &c->blobs[j].file);
	}
	if (!err && in->have_sessions) {
		err |= make_dir(dir, "liveupdate", path);
		err |= make_dir(path, "sessions", clients);
	}
	for (i = 0; !err && in->have_sessions && i < in->nr_sessions; i++) {
		err |= make_dir(clients, in->sessions[i].name, path);
		err |= save_file(path, "state", &in->sessions[i].state);
		err |= save_file(path, "tokens", &in->sessions[i].tokens);
	}
	return err ? -1 : 0;
}

static void free_input(struct khoi_input *in)
{
	unsigned int i, j;

	free((void *)in->fdt.data);
	free((void *)in->stats.data);
	free((void *)in->scratch.data);
	free((void *)in->incoming_status.data);
	free((void *)in->abort.data);
	free((void *)in->previous_release.data);
	free((void *)in->boot_count.data);
	free((void *)in->frozen_at.data);
	for (i = 0; i < in->nr_clients; i++) {
		struct khoi_client *c = &in->clients[i];

		for (j = 0; j < c->nr_blobs; j++) {
			free((void *)c->blobs[j].name);
			free((void *)c->blobs[j].file.data);
		}
		free(c->blobs);
		free((void *)c->stats.data);
		free((void *)c->name);
	}
	free(in->clients);
	for (i = 0; i < in->nr_sessions; i++) {
		free((void *)in->sessions[i].name);
		free((void *)in->sessions[i].state.data);
		free((void *)in->sessions[i].tokens.data);
	}
	free(in->sessions);
}

static void show_help(FILE *f)
{
	fprintf(f,
		"usage: %s [--json] [--in] [--dir DIR | --fdt FILE | --save DIR]\n"
		"\n"
		"Print a Kexec HandOver: the root tree, each client with its blobs\n"
		"(decoded for known clients), statistics, scratch areas and kexec\n"
		"metadata.\n"
		"\n"
		"  --in         the handover from the previous kernel (%s/in)\n"
		"               instead of the outgoing one (%s/out)\n"
		"  --dir DIR    a copy saved with --save\n"
		"  --fdt FILE   a root tree alone\n"
		"  --save DIR   copy the live handover into DIR, print nothing\n"
		"  --json       one JSON object instead of text\n"
		"  --sysfs DIR  read the live files under DIR instead of /sys\n"
		"\n"
		"Exit status: 0 ok, 1 damaged or refused input (what could be read\n"
		"is printed), 2 usage or I/O error.\n",
		prog, "/sys/" KHO_SYSFS, "/sys/" KHO_SYSFS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "in", no_argument, NULL, 'i' },
		{ "dir", required_argument, NULL, 'd' },
		{ "fdt", required_argument, NULL, 'f' },
		{ "save", required_argument, NULL, 's' },
		{ "sysfs", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *dir = NULL, *fdt = NULL, *save_dir = NULL, *sys = "/sys";
	char kho[PATH_MAX];
	struct khoi_input in = { };
	struct khoi_file side;
	struct khoi_out o;
	bool json = false;
	struct paths p;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "jid:f:s:S:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'i':
			in.incoming = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			fdt = optarg;
			break;
		case 's':
			save_dir = optarg;
			break;
		case 'S':
			sys = optarg;
			break;
		case 'h':
			show_help(stdout);
			return 0;
		default:
			show_help(stderr);
			return 2;
		}
	}
	if (optind < argc || !!dir + !!fdt + !!save_dir > 1) {
		show_help(stderr);
		return 2;
	}

	if (fdt) {
		in.source = fdt;
		read_file(fdt, MAX_TREE, &in.fdt);
		if (!in.fdt.data) {
			fprintf(stderr, "%s: cannot read %s: %s\n", prog, fdt,
				strerror(in.fdt.err));
			return 2;
		}
	} else {
		if (dir) {
			snprintf(p.base, PATH_MAX, "%s", dir);
			snprintf(p.kho, PATH_MAX, "%s", dir);
			snprintf(p.meta, PATH_MAX, "%s", dir);
			join(p.sessions, dir, "liveupdate/sessions");
			read_at(dir, "side", MAX_TEXT, &side);
			if (side.data)
				in.incoming = !strncmp(side.data, "in", 2);
			free((void *)side.data);
		} else {
			join(kho, sys, KHO_SYSFS);
			join(p.base, kho, in.incoming ? "in" : "out");
			snprintf(p.kho, PATH_MAX, "%s", kho);
			join(p.meta, kho, "in");
			join(p.sessions, sys, LUO_SESSIONS);
		}
		in.source = dir ? dir : p.base;
		read_input(&p, &in);
		if (!in.fdt.data) {
			fprintf(stderr, "%s: cannot read %s/fdt: %s\n", prog,
				p.base, strerror(in.fdt.err));
			free_input(&in);
			return 2;
		}
	}

	if (save_dir) {
		ret = save(save_dir, &in) ? 2 : 0;
		free_input(&in);
		return ret;
	}

	khoi_out_init(&o, stdout, json);
	ret = khoi_inspect(&in, &o);
	free_input(&in);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output\n", prog);
		return 2;
	}
	if (ret)
		fprintf(stderr, "%s: damaged or refused input: %u problem%s\n",
			prog, o.nr_problems, o.nr_problems == 1 ? "" : "s");
	return ret;
}
