// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl: hand files to the next kernel through /dev/liveupdate.
 *
 *   luoctl preserve [-d] [-p PIDFILE] [-t] SESSION TOKEN=FILE...
 *   luoctl retrieve [-d] [-p PIDFILE] [-t] [-f] [-r] [-x SEED[:sparse=STRIDE]]
 *                   [--size BYTES] SESSION [TOKEN[:OPT]...] [-- CMD [ARG]...]
 *   luoctl fill FILE SEED [sparse=STRIDE]
 *   luoctl verify FILE SEED [sparse=STRIDE]
 *   luoctl list
 *
 * A session lives as long as its file descriptor: preserve and retrieve
 * keep theirs open until SIGTERM or SIGINT (or hand them to CMD), and
 * /dev/liveupdate only while they create or retrieve the session, since it
 * has one opener at a time. See show_usage() for the details.
 *
 * The verification pattern: the 8-byte word at byte offset o of a file
 * holds o ^ (SEED * 0x9E3779B97F4A7C15), in the machine's byte order. With
 * sparse=STRIDE, only the first 4 KiB of every STRIDE bytes are written and
 * checked, and the rest stays a hole.
 *
 * hugetlbfs files (memfd:...:hugetlb=PAGE, or any file on hugetlbfs) have
 * no write(): fill stores through shared mappings of the huge pages it
 * touches, one at a time, so that only those are reserved; verify reads,
 * which allocates nothing. A 4 KiB written there holds a whole huge page:
 * the holes of a sparse file are the huge pages no stride touches.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/liveupdate.h>
#include <linux/magic.h>
#include <linux/memfd.h>

#define LUO_DEV		"/dev/liveupdate"
#define LUO_SESSIONS	"/sys/kernel/liveupdate/sessions"

typedef unsigned long long u64;

#define CHUNK		(1024 * 1024)	/* bytes per pread/pwrite */
#define PATTERN_PAGE	4096UL		/* bytes written per sparse stride */
#define PATTERN_MUL	0x9E3779B97F4A7C15ULL
#define HOLE_SLACK	(2UL << 20)	/* allocated beyond the pattern, at most */

/* What the daemon child tells its parent through the status pipe. */
#define STATUS_READY	0
#define STATUS_EXEC	-1

struct pattern {
	u64 seed;
	u64 stride;	/* 0: every byte */
};

/* One file of a session. */
struct item {
	u64 token;
	const char *spec;	/* as given on the command line */
	int fd;
	/* preserve: a path, or a memfd to create */
	const char *path;
	char *memfd_name;
	u64 size;
	u64 hugetlb;	/* huge page size: of the memfd to create, or to check */
	bool thp;
	bool seal;
	bool fill;
	/* retrieve: what to check */
	bool check_size;
	bool verify;
	/* fill or verify */
	struct pattern pat;
};

static int status_fd = -1;	/* write end of the daemon's status pipe */
static const char *exec_name;	/* CMD, for the parent's error message */
static char *pidfile;		/* absolute, removed at exit */
static bool timed;		/* -t: print how long each file's ioctl took */
static bool wait_fill;		/* -w: wait until each file is filled */

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("luoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void show_usage(FILE *f, int status)
{
	fputs("usage:\n"
	      "  luoctl preserve [-d] [-p PIDFILE] [-t] SESSION TOKEN=FILE...\n"
	      "  luoctl retrieve [-d] [-p PIDFILE] [-t] [-w] [-f] [-r] [-x SEED[:sparse=STRIDE]]\n"
	      "                  [--size BYTES] SESSION [TOKEN[:OPT]...] [-- CMD [ARG]...]\n"
	      "  luoctl fill FILE SEED [sparse=STRIDE]\n"
	      "  luoctl verify FILE SEED [sparse=STRIDE]\n"
	      "  luoctl list\n"
	      "\n"
	      "preserve: create SESSION and preserve each FILE under the number TOKEN,\n"
	      "  print \"TOKEN /proc/PID/fd/N\" per file, then hold the session until\n"
	      "  SIGTERM or SIGINT (exit 0; the session is dropped). FILE is a path,\n"
	      "  opened read-write (e.g. /proc/PID/fd/N of another process), or\n"
	      "  memfd:NAME:SIZE[:OPT...] to create a memfd of SIZE bytes (suffix K, M,\n"
	      "  G or T), with OPT:\n"
	      "    thp            madvise(MADV_HUGEPAGE) a mapping of it, fill through it\n"
	      "    hugetlb=PAGE   MFD_HUGETLB with huge pages of PAGE bytes (2M, 1G, ...;\n"
	      "                   SIZE a multiple of PAGE), filled through mmap\n"
	      "    fill=SEED      write the verification pattern\n"
	      "    sparse=STRIDE  with fill: only the first 4 KiB of every STRIDE bytes\n"
	      "    seal           add F_SEAL_SHRINK and F_SEAL_GROW\n"
	      "retrieve: retrieve SESSION from the previous kernel and each TOKEN of it,\n"
	      "  then, unless CMD is given, print \"TOKEN /proc/PID/fd/N\" per file and\n"
	      "  hold them until SIGTERM or SIGINT.\n"
	      "    -x SEED[:sparse=STRIDE]  verify the pattern in every file\n"
	      "    --size BYTES             check the size of every file\n"
	      "    TOKEN:x=SEED[:sparse=STRIDE][:size=BYTES]  the same for one file\n"
	      "    TOKEN:hugetlb=PAGE  check that the file is on hugetlbfs pages of PAGE\n"
	      "    -w   wait until each file is filled (a memfd is handed out before\n"
	      "         its data is back in it); with -t print how long from the\n"
	      "         start of its RETRIEVE_FD, \"luoctl: filled token N: T ns\"\n"
	      "    -f   FINISH the session once the files are retrieved and checked\n"
	      "    -r   FINISH (implies -f), then preserve the files again under the\n"
	      "         same tokens, for the next kernel\n"
	      "  -- CMD runs CMD instead of holding: it inherits the files (env\n"
	      "  LUO_FD_<TOKEN>=N) and, unless -f without -r, the session (env\n"
	      "  LUO_SESSION_FD=N); @TOKEN in its arguments becomes /proc/PID/fd/N.\n"
	      "fill, verify: write or check the verification pattern over the size of\n"
	      "  FILE; the 8-byte word at offset o holds o ^ (SEED * 0x9E3779B97F4A7C15).\n"
	      "  verify checks that a sparse memfd kept its holes; on hugetlbfs (filled\n"
	      "  through mmap) the holes are the huge pages that no stride touches.\n"
	      "list: the sessions of " LUO_SESSIONS ".\n"
	      "\n"
	      "  -d          go to the background once everything succeeded (the exit\n"
	      "              status tells whether it did)\n"
	      "  -p PIDFILE  write the holder's process id to PIDFILE\n"
	      "  -t          print on stderr how long each PRESERVE_FD and RETRIEVE_FD\n"
	      "              took, \"luoctl: PRESERVE_FD token N: T ns\" (CLOCK_MONOTONIC\n"
	      "              around the ioctl alone)\n", f);
	exit(status);
}

/* A decimal or 0x-prefixed hexadecimal number that fits 64 bits. */
static bool parse_u64(const char *s, char **end, u64 *out)
{
	unsigned long long v;
	int base = 10;

	if (!isdigit((unsigned char)*s))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	errno = 0;
	v = strtoull(s, end, base);
	if (errno || *end == s)
		return false;
	*out = v;
	return true;
}

static bool parse_number(const char *s, u64 *out)
{
	char *end;

	return parse_u64(s, &end, out) && !*end;
}

/* A number of bytes, with an optional binary suffix K, M, G or T. */
static bool parse_size(const char *s, u64 *out)
{
	unsigned int shift = 0;
	u64 v;
	char *end;

	if (!parse_u64(s, &end, &v))
		return false;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return false;
	}
	if (shift && end[1])
		return false;
	if (v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static u64 size_arg(const char *what, const char *s)
{
	u64 v;

	if (!parse_size(s, &v))
		die("%s: not a size: %s", what, s);
	return v;
}

static void stride_arg(struct pattern *p, const char *what, const char *s)
{
	p->stride = size_arg(what, s);
	if (!p->stride || p->stride % PATTERN_PAGE)
		die("%s: the sparse stride must be a multiple of %lu: %s",
		    what, PATTERN_PAGE, s);
}

/* hugetlb=PAGE: a huge page size, a power of two. */
static u64 hugetlb_arg(const char *what, const char *s)
{
	u64 page = size_arg(what, s);

	if ((page & (page - 1)) || page < PATTERN_PAGE)
		die("%s: not a huge page size (a power of two): %s", what, s);
	return page;
}

/* SEED[:sparse=STRIDE] */
static void pattern_arg(struct pattern *p, const char *what, const char *s)
{
	u64 seed;
	char *end;

	if (!parse_u64(s, &end, &seed))
		die("%s: not a seed: %s", what, s);
	p->seed = seed;
	p->stride = 0;
	if (!*end)
		return;
	if (strncmp(end, ":sparse=", 8))
		die("%s: expected SEED[:sparse=STRIDE]: %s", what, s);
	stride_arg(p, what, end + 8);
}

/* The pattern of the file bytes [off, off + len); off is a multiple of 8. */
static void pattern_fill(unsigned char *buf, u64 off, size_t len, u64 seed)
{
	u64 key = seed * PATTERN_MUL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = (off + i) ^ key;
		memcpy(buf + i, &w, 8);
	}
	if (i < len) {
		w = (off + i) ^ key;
		memcpy(buf + i, &w, len - i);
	}
}

/*
 * The extents of a pattern over a file of @size bytes: for (off = 0;
 * extent(p, size, off, &len, &step); off += step).
 */
static bool extent(const struct pattern *p, u64 size, u64 off,
		   size_t *len, u64 *step)
{
	u64 max = p->stride ? PATTERN_PAGE : CHUNK;

	if (off >= size)
		return false;
	*len = size - off < max ? size - off : max;
	*step = p->stride ? p->stride : *len;
	return true;
}

/* Read or write all of [@off, @off + @len), or die saying what failed. */
static void io_all(int fd, void *buf, size_t len, u64 off, int write,
		   const char *what)
{
	const char *verb = write ? "write" : "read";
	ssize_t n;

	while (len) {
		n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: %s at offset %llu: %s", what, verb, off,
			    strerror(errno));
		if (!n)
			die("%s: %s at offset %llu: %s", what, verb, off,
			    write ? "no progress" : "end of file");
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, u64 off,
		       const char *what)
{
	io_all(fd, (void *)buf, len, off, 1, what);
}

static void pread_all(int fd, void *buf, size_t len, u64 off, const char *what)
{
	io_all(fd, buf, len, off, 0, what);
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len);

	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

/* The huge page size of a file of hugetlbfs, 0 for any other file. */
static u64 hugetlb_page(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) || (unsigned int)sf.f_type != HUGETLBFS_MAGIC)
		return 0;
	return sf.f_bsize;
}

/* shmem (memfds, tmpfs) keeps holes as holes: nothing allocated. */
static bool is_shmem(int fd)
{
	struct statfs sf;

	return !fstatfs(fd, &sf) && sf.f_type == TMPFS_MAGIC;
}

/* A shared mapping of whole huge pages of a hugetlbfs file. */
struct window {
	unsigned char *map;
	u64 start;
	u64 len;
};

/*
 * Where the file bytes [@off, @off + @len) are in memory: in @w if it maps
 * them, else in a new mapping of the huge pages (of @page bytes) that hold
 * them, which replaces @w's. Mapping only those reserves only those.
 */
static unsigned char *window_at(struct window *w, int fd, u64 page, u64 off,
				size_t len, const char *what)
{
	u64 start = off / page * page;
	u64 end = (off + len + page - 1) / page * page;

	if (w->map && start >= w->start && end <= w->start + w->len)
		return w->map + (off - w->start);
	if (w->map)
		munmap(w->map, w->len);
	w->map = mmap(NULL, end - start, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
	if (w->map == MAP_FAILED)
		die("%s: mmap of the huge pages at offset %llu: %s%s", what, start,
		    strerror(errno), errno == ENOMEM ? " (too few free huge pages?)" : "");
	w->start = start;
	w->len = end - start;
	return w->map + (off - start);
}

/*
 * Write the pattern into the first @size bytes of @fd: through @map if set,
 * through mappings of its huge pages on hugetlbfs, else with pwrite().
 */
static void fill_fd(int fd, unsigned char *map, u64 size,
		    const struct pattern *p, const char *what)
{
	u64 off, step, page = map ? 0 : hugetlb_page(fd);
	struct window win = { NULL, 0, 0 };
	unsigned char *buf = NULL, *dst;
	size_t len;

	if (!map && !page)
		buf = xmalloc(CHUNK);
	for (off = 0; extent(p, size, off, &len, &step); off += step) {
		if (map)
			dst = map + off;
		else if (page)
			dst = window_at(&win, fd, page, off, len, what);
		else
			dst = buf;
		pattern_fill(dst, off, len, p->seed);
		if (dst == buf)
			pwrite_all(fd, buf, len, off, what);
	}
	if (win.map)
		munmap(win.map, win.len);
	free(buf);
}

static void report_bad(const char *what, u64 off, const unsigned char *got,
		       const unsigned char *want, size_t len)
{
	u64 g = 0, w = 0;
	size_t i, n;

	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	i &= ~(size_t)7;
	n = len - i < 8 ? len - i : 8;
	memcpy(&g, got + i, n);
	memcpy(&w, want + i, n);
	die("%s: bad word at offset %llu (0x%llx): 0x%016llx, expected 0x%016llx",
	    what, off + i, off + i, g, w);
}

/*
 * Check the pattern over the whole of @fd, and that a memfd (any shmem or
 * hugetlbfs file) holds no more memory than the pattern needs (a sparse one
 * kept its holes): the pages, or huge pages, that the pattern touches, with
 * some slack for shmem, none for hugetlbfs. Reads only: nothing is
 * allocated. Returns the size of the file.
 */
static u64 verify_fd(int fd, const struct pattern *p, const char *what)
{
	u64 off, step, start, end, counted = 0, allowed = 0, gran, slack = HOLE_SLACK;
	u64 hpage = hugetlb_page(fd), page = sysconf(_SC_PAGESIZE);
	unsigned char *got, *want;
	struct stat st;
	size_t len;

	if (fstat(fd, &st))
		die("%s: stat: %s", what, strerror(errno));
	gran = (u64)st.st_blksize > page ? (u64)st.st_blksize : page;
	if (hpage) {
		gran = hpage;
		slack = 0;
	}
	got = xmalloc(CHUNK);
	want = xmalloc(CHUNK);
	for (off = 0; extent(p, st.st_size, off, &len, &step); off += step) {
		pread_all(fd, got, len, off, what);
		pattern_fill(want, off, len, p->seed);
		if (memcmp(got, want, len))
			report_bad(what, off, got, want, len);
		/* Each page once, also where several extents share it. */
		start = off / gran * gran;
		end = (off + len + gran - 1) / gran * gran;
		if (end > counted) {
			allowed += end - (start > counted ? start : counted);
			counted = end;
		}
	}
	free(got);
	free(want);
	if ((hpage || is_shmem(fd)) && (u64)st.st_blocks * 512 > allowed + slack)
		die("%s: holes were filled: %llu bytes allocated, over pattern %llu + slack %llu",
		    what, (u64)st.st_blocks * 512, allowed, slack);
	return st.st_size;
}

static void print_pattern(FILE *f, const struct pattern *p)
{
	fprintf(f, "seed %llu", p->seed);
	if (p->stride)
		fprintf(f, ", sparse %llu", p->stride);
}

/* luoctl fill|verify FILE SEED [sparse=STRIDE] */
static int cmd_pattern(int argc, char **argv, bool verify)
{
	struct pattern p = { 0 };
	struct stat st;
	u64 size;
	int fd;

	if (argc < 3 || argc > 4)
		show_usage(stderr, 2);
	if (!parse_number(argv[2], &p.seed))
		die("not a seed: %s", argv[2]);
	if (argc == 4) {
		if (strncmp(argv[3], "sparse=", 7))
			die("expected sparse=STRIDE: %s", argv[3]);
		stride_arg(&p, argv[1], argv[3] + 7);
	}
	fd = open(argv[1], (verify ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	if (verify) {
		size = verify_fd(fd, &p, argv[1]);
		printf("%s: %llu bytes verified (", argv[1], size);
	} else {
		if (fstat(fd, &st))
			die("%s: stat: %s", argv[1], strerror(errno));
		size = st.st_size;
		fill_fd(fd, NULL, size, &p, argv[1]);
		printf("%s: %llu bytes filled (", argv[1], size);
	}
	print_pattern(stdout, &p);
	printf(")\n");
	close(fd);
	return 0;
}

static int open_dev(void)
{
	int fd = open(LUO_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open " LUO_DEV ": %s%s", strerror(errno),
		    errno == ENOENT ? " (boot with kho=on)" : "");
	return fd;
}

static void set_name(__u8 *dst, const char *name)
{
	size_t len = strlen(name);

	if (len >= LIVEUPDATE_SESSION_NAME_LENGTH)
		die("session name %s: longer than %d bytes", name,
		    LIVEUPDATE_SESSION_NAME_LENGTH - 1);
	memset(dst, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
	memcpy(dst, name, len);
}

/* CREATE_SESSION or RETRIEVE_SESSION, which take the same struct. */
static int session_ioctl(const char *name, unsigned long cmd, const char *what)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	int dev = open_dev();

	set_name(arg.name, name);
	if (ioctl(dev, cmd, &arg) < 0)
		die("%s %s: %s", what, name, strerror(errno));
	close(dev);
	return arg.fd;
}

static int create_session(const char *name)
{
	return session_ioctl(name, LIVEUPDATE_IOCTL_CREATE_SESSION, "CREATE_SESSION");
}

static int retrieve_session(const char *name)
{
	return session_ioctl(name, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, "RETRIEVE_SESSION");
}

static u64 now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", strerror(errno));
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* With -t: the time an ioctl on one file took, from @start on. */
static void print_time(const char *what, u64 token, u64 start)
{
	if (timed)
		fprintf(stderr, "luoctl: %s token %llu: %llu ns\n",
			what, token, now_ns() - start);
}

static void preserve_fd(int session, const char *name, const struct item *it)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = it->fd,
		.token = it->token,
	};
	u64 start = timed ? now_ns() : 0;

	if (ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &arg) < 0)
		die("PRESERVE_FD %s %llu=%s: %s", name, it->token, it->spec,
		    strerror(errno));
	print_time("PRESERVE_FD", it->token, start);
}

static int retrieve_fd(int session, const char *name, u64 token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg),
		.token = token,
	};
	u64 start = timed ? now_ns() : 0;

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg) < 0)
		die("RETRIEVE_FD %s %llu: %s", name, token, strerror(errno));
	print_time("RETRIEVE_FD", token, start);
	/*
	 * A memfd may be handed out before its data is back in it; SEEK_DATA
	 * waits for that. ENXIO: no data at all, fine; other files may not
	 * seek.
	 */
	if (wait_fill && lseek(arg.fd, 0, SEEK_DATA) < 0 && errno != ENXIO &&
	    errno != ESPIPE && errno != EINVAL)
		die("SEEK_DATA %s %llu: %s", name, token, strerror(errno));
	if (wait_fill)
		print_time("filled", token, start);
	return arg.fd;
}

static void finish_session(int session, const char *name)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	if (ioctl(session, LIVEUPDATE_SESSION_FINISH, &arg) < 0)
		die("FINISH %s: %s", name, strerror(errno));
}

/* In the daemon child: close what the caller left open, but @keep. */
static void close_inherited(int keep)
{
	int fds[256], n = 0, fd, i;
	struct dirent *de;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d)) && n < 256) {
		fd = atoi(de->d_name);
		if (fd > STDERR_FILENO && fd != keep && fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * The daemon: the child does all the work and tells the parent how it went
 * through a pipe; the parent exits with that status. Returns in the child.
 */
static void start_daemon(void)
{
	int pipefd[2], msg[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(pipefd[0]);
		status_fd = pipefd[1];
		close_inherited(status_fd);
		return;
	}
	close(pipefd[1]);
	while (got < sizeof(msg)) {
		n = read(pipefd[0], (char *)msg + got, sizeof(msg) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (got >= sizeof(int) && msg[0] == STATUS_READY)
		exit(0);
	if (got == sizeof(int) && msg[0] == STATUS_EXEC)
		exit(0);	/* the pipe closed on exec */
	if (got == sizeof(msg) && msg[0] == STATUS_EXEC)
		die("exec %s: %s", exec_name, strerror(msg[1]));
	/* The child failed before it was ready, and said why on stderr. */
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
	die("the background process died of signal %d", WTERMSIG(status));
}

/*
 * In the daemon child: leave the terminal and the caller's output, and the
 * working directory unless a command is to run in it.
 */
static void detach(bool keep_cwd)
{
	int fd;

	if (setsid() < 0)
		die("setsid: %s", strerror(errno));
	if (!keep_cwd && chdir("/"))
		die("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		die("open /dev/null: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void tell_parent(int msg)
{
	if (write(status_fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
}

/* Everything succeeded: the parent of a daemon may exit 0. */
static void ready(void)
{
	fflush(stdout);
	if (status_fd < 0)
		return;
	detach(false);
	tell_parent(STATUS_READY);
	close(status_fd);
	status_fd = -1;
}

static void write_pidfile(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
	pidfile = realpath(path, NULL);
}

/* Blocked from the start, so that none is lost before hold() waits. */
static void termination_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

static void catch_signals(void)
{
	sigset_t set;

	termination_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Hold the session until SIGTERM or SIGINT; exit 0 closes it. */
static int hold(void)
{
	sigset_t set;
	int sig;

	termination_signals(&set);
	while (sigwait(&set, &sig))
		;
	if (pidfile)
		unlink(pidfile);
	return 0;
}

/* memfd:NAME:SIZE[:thp|:hugetlb=PAGE][:seal][:fill=SEED[:sparse=STRIDE]] */
static void parse_memfd(struct item *it, const char *spec)
{
	char *copy = xstrdup(spec + strlen("memfd:")), *rest = copy, *word;
	bool sparse = false;

	it->memfd_name = strsep(&rest, ":");
	word = strsep(&rest, ":");
	if (!*it->memfd_name || !word)
		die("%s: expected memfd:NAME:SIZE[:OPT...]", spec);
	it->size = size_arg(spec, word);
	while ((word = strsep(&rest, ":"))) {
		if (!strcmp(word, "thp")) {
			it->thp = true;
		} else if (!strncmp(word, "hugetlb=", 8)) {
			it->hugetlb = hugetlb_arg(spec, word + 8);
		} else if (!strcmp(word, "seal")) {
			it->seal = true;
		} else if (!strncmp(word, "fill=", 5)) {
			if (!parse_number(word + 5, &it->pat.seed))
				die("%s: not a seed: %s", spec, word + 5);
			it->fill = true;
		} else if (!strncmp(word, "sparse=", 7)) {
			stride_arg(&it->pat, spec, word + 7);
			sparse = true;
		} else {
			die("%s: unknown option %s", spec, word);
		}
	}
	if (sparse && !it->fill)
		die("%s: sparse= without fill=", spec);
	if (it->thp && it->hugetlb)
		die("%s: thp and hugetlb= exclude each other", spec);
	if (it->hugetlb && it->size % it->hugetlb)
		die("%s: the size %llu is not a multiple of the huge page size %llu",
		    spec, it->size, it->hugetlb);
}

/* TOKEN=FILE */
static void parse_preserve_item(struct item *it, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char token[32];

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(token) || !eq[1])
		die("expected TOKEN=FILE: %s", arg);
	memcpy(token, arg, eq - arg);
	token[eq - arg] = '\0';
	if (!parse_number(token, &it->token))
		die("not a token: %s", arg);
	it->spec = eq + 1;
	if (!strncmp(it->spec, "memfd:", 6))
		parse_memfd(it, it->spec);
	else
		it->path = it->spec;
}

static void open_item(struct item *it)
{
	unsigned int flags = MFD_CLOEXEC | (it->seal ? MFD_ALLOW_SEALING : 0);
	unsigned char *map = NULL;

	if (it->path) {
		it->fd = open(it->path, O_RDWR | O_CLOEXEC);
		if (it->fd < 0)
			die("open %s: %s", it->path, strerror(errno));
		return;
	}
	/* The size as log2, as MFD_HUGE_2MB and the others encode it. */
	if (it->hugetlb)
		flags |= MFD_HUGETLB | __builtin_ctzll(it->hugetlb) << MFD_HUGE_SHIFT;
	it->fd = memfd_create(it->memfd_name, flags);
	if (it->fd < 0)
		die("%s: memfd_create: %s%s", it->spec, strerror(errno),
		    it->hugetlb && errno == ENODEV ?
		    " (no huge pages of that size: /sys/kernel/mm/hugepages)" : "");
	if (ftruncate(it->fd, it->size))
		die("%s: ftruncate: %s", it->spec, strerror(errno));
	if (it->thp && it->size) {
		map = mmap(NULL, it->size, PROT_READ | PROT_WRITE, MAP_SHARED, it->fd, 0);
		if (map == MAP_FAILED)
			die("%s: mmap: %s", it->spec, strerror(errno));
		/* A hint: a kernel without THP still gets the memfd. */
		if (madvise(map, it->size, MADV_HUGEPAGE))
			fprintf(stderr, "luoctl: %s: madvise(MADV_HUGEPAGE): %s\n",
				it->spec, strerror(errno));
	}
	if (it->fill)
		fill_fd(it->fd, map, it->size, &it->pat, it->spec);
	if (map)
		munmap(map, it->size);
	if (it->seal && fcntl(it->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		die("%s: F_ADD_SEALS: %s", it->spec, strerror(errno));
}

static void print_item(const struct item *it)
{
	printf("%llu /proc/%d/fd/%d\n", it->token, (int)getpid(), it->fd);
}

static int cmd_preserve(int argc, char **argv)
{
	const char *session, *pidpath = NULL;
	bool daemon = false;
	struct item *items;
	int i, n, opt, sfd;

	while ((opt = getopt(argc, argv, "+dp:th")) != -1) {
		switch (opt) {
		case 'd':
			daemon = true;
			break;
		case 'p':
			pidpath = optarg;
			break;
		case 't':
			timed = true;
			break;
		case 'h':
			show_usage(stdout, 0);
		default:
			show_usage(stderr, 2);
		}
	}
	if (argc - optind < 2)
		show_usage(stderr, 2);
	session = argv[optind++];
	n = argc - optind;
	items = calloc(n, sizeof(*items));
	if (!items)
		die("out of memory");
	for (i = 0; i < n; i++)
		parse_preserve_item(&items[i], argv[optind + i]);

	if (daemon)
		start_daemon();
	sfd = create_session(session);
	for (i = 0; i < n; i++) {
		open_item(&items[i]);
		preserve_fd(sfd, session, &items[i]);
		print_item(&items[i]);
	}
	write_pidfile(pidpath);
	catch_signals();
	ready();
	return hold();
}

/* TOKEN[:x=SEED][:sparse=STRIDE][:size=BYTES][:hugetlb=PAGE] */
static void parse_retrieve_item(struct item *it, const char *arg,
				const struct pattern *x, const u64 *size)
{
	char *copy = xstrdup(arg), *rest = copy, *word;
	bool sparse = false;

	it->spec = arg;
	word = strsep(&rest, ":");
	if (!parse_number(word, &it->token))
		die("not a token: %s", arg);
	if (x) {
		it->verify = true;
		it->pat = *x;
	}
	if (size) {
		it->check_size = true;
		it->size = *size;
	}
	while ((word = strsep(&rest, ":"))) {
		if (!strncmp(word, "x=", 2)) {
			if (!parse_number(word + 2, &it->pat.seed))
				die("%s: not a seed: %s", arg, word + 2);
			it->verify = true;
			if (!sparse)
				it->pat.stride = 0;
		} else if (!strncmp(word, "sparse=", 7)) {
			stride_arg(&it->pat, arg, word + 7);
			sparse = true;
		} else if (!strncmp(word, "size=", 5)) {
			it->size = size_arg(arg, word + 5);
			it->check_size = true;
		} else if (!strncmp(word, "hugetlb=", 8)) {
			it->hugetlb = hugetlb_arg(arg, word + 8);
		} else {
			die("%s: unknown option %s", arg, word);
		}
	}
	if (sparse && !it->verify)
		die("%s: sparse= without x=", arg);
	free(copy);
}

static void check_item(const char *session, struct item *it)
{
	char what[128];
	struct stat st;
	u64 page;

	snprintf(what, sizeof(what), "%s %llu", session, it->token);
	if (fstat(it->fd, &st))
		die("%s: stat: %s", what, strerror(errno));
	if (it->check_size && (u64)st.st_size != it->size)
		die("%s: size %llu, expected %llu", what,
		    (u64)st.st_size, it->size);
	page = it->hugetlb ? hugetlb_page(it->fd) : 0;
	if (it->hugetlb && !page)
		die("%s: not on hugetlbfs, expected huge pages of %llu bytes", what,
		    it->hugetlb);
	if (page != it->hugetlb)
		die("%s: on huge pages of %llu bytes, expected %llu", what, page,
		    it->hugetlb);
	if (!it->verify)
		return;
	verify_fd(it->fd, &it->pat, what);
	fprintf(stderr, "%s: %llu bytes verified (", what, (u64)st.st_size);
	print_pattern(stderr, &it->pat);
	fprintf(stderr, ")\n");
}

/* @TOKEN of a retrieved file in @arg becomes /proc/PID/fd/N. */
static char *substitute(const char *arg, const struct item *items, int n)
{
	size_t cap = strlen(arg) + 1, len = 0;
	char *out = xmalloc(cap), *end;
	const char *s = arg;
	char path[64];
	u64 token;
	int i, plen;

	while (*s) {
		path[0] = '\0';
		end = (char *)s + 1;
		if (*s == '@' && isdigit((unsigned char)s[1])) {
			errno = 0;
			token = strtoull(s + 1, &end, 10);
			for (i = 0; !errno && i < n; i++) {
				if (items[i].token == token) {
					snprintf(path, sizeof(path), "/proc/%d/fd/%d",
						 (int)getpid(), items[i].fd);
					break;
				}
			}
		}
		if (!path[0]) {
			path[0] = *s;
			path[1] = '\0';
			end = (char *)s + 1;
		}
		plen = strlen(path);
		if (len + plen + 1 > cap) {
			cap = 2 * cap + plen;
			out = realloc(out, cap);
			if (!out)
				die("out of memory");
		}
		memcpy(out + len, path, plen);
		len += plen;
		s = end;
	}
	out[len] = '\0';
	return out;
}

static void inherit(int fd, const char *var)
{
	char val[16];

	if (fcntl(fd, F_SETFD, 0))
		die("fcntl F_SETFD: %s", strerror(errno));
	snprintf(val, sizeof(val), "%d", fd);
	if (setenv(var, val, 1))
		die("setenv %s: %s", var, strerror(errno));
}

static void run_cmd(char **cmd, int ncmd, struct item *items, int n, int sfd,
		    bool keep_session)
{
	char **args = calloc(ncmd + 1, sizeof(*args));
	char var[64];
	int i, err;

	if (!args)
		die("out of memory");
	for (i = 0; i < n; i++) {
		snprintf(var, sizeof(var), "LUO_FD_%llu", items[i].token);
		inherit(items[i].fd, var);
	}
	if (keep_session)
		inherit(sfd, "LUO_SESSION_FD");
	else
		close(sfd);
	for (i = 0; i < ncmd; i++)
		args[i] = substitute(cmd[i], items, n);
	fflush(stdout);
	if (status_fd < 0) {
		execvp(args[0], args);
		die("exec %s: %s", args[0], strerror(errno));
	}
	detach(true);
	tell_parent(STATUS_EXEC);
	execvp(args[0], args);
	err = errno;
	tell_parent(err);
	_exit(1);
}

static int cmd_retrieve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool daemon = false, finish = false, represerve = false;
	const char *session, *pidpath = NULL;
	struct pattern x, *xp = NULL;
	u64 size = 0, *sizep = NULL;
	char **cmd = NULL;
	struct item *items;
	int i, n, ncmd = 0, opt, sfd;

	while ((opt = getopt_long(argc, argv, "+dp:twfrx:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			daemon = true;
			break;
		case 'p':
			pidpath = optarg;
			break;
		case 't':
			timed = true;
			break;
		case 'w':
			wait_fill = true;
			break;
		case 'f':
			finish = true;
			break;
		case 'r':
			represerve = true;
			finish = true;
			break;
		case 'x':
			pattern_arg(&x, "-x", optarg);
			xp = &x;
			break;
		case 's':
			size = size_arg("--size", optarg);
			sizep = &size;
			break;
		case 'h':
			show_usage(stdout, 0);
		default:
			show_usage(stderr, 2);
		}
	}
	if (optind >= argc)
		show_usage(stderr, 2);
	session = argv[optind++];
	for (n = 0; optind + n < argc; n++) {
		if (!strcmp(argv[optind + n], "--")) {
			cmd = &argv[optind + n + 1];
			ncmd = argc - (optind + n + 1);
			if (!ncmd)
				show_usage(stderr, 2);
			exec_name = cmd[0];
			break;
		}
	}
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		die("out of memory");
	for (i = 0; i < n; i++)
		parse_retrieve_item(&items[i], argv[optind + i], xp, sizep);

	if (daemon)
		start_daemon();
	sfd = retrieve_session(session);
	for (i = 0; i < n; i++) {
		items[i].fd = retrieve_fd(sfd, session, items[i].token);
		check_item(session, &items[i]);
	}
	if (finish)
		finish_session(sfd, session);
	for (i = 0; represerve && i < n; i++)
		preserve_fd(sfd, session, &items[i]);
	write_pidfile(pidpath);
	if (cmd)
		run_cmd(cmd, ncmd, items, n, sfd, represerve || !finish);
	for (i = 0; i < n; i++)
		print_item(&items[i]);
	catch_signals();
	ready();
	return hold();
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/*
 * The first word of each line of LUO_SESSIONS/@name/@file, joined by spaces;
 * a line that ends in "retrieved" (an incoming file retrieved) marks its
 * word with a '*'.
 */
static void read_attr(const char *name, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX], line[256];
	size_t used = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), LUO_SESSIONS "/%s/%s", name, file);
	snprintf(buf, len, "?");
	f = fopen(path, "re");
	if (!f)
		return;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		n = strcspn(line, "\n ");
		if (!n)
			continue;
		snprintf(buf + used, len - used, "%s%.*s%s", used ? " " : "", (int)n,
			 line, strstr(line, "retrieved") ? "*" : "");
		used += strlen(buf + used);
	}
	fclose(f);
}

static int cmd_list(int argc)
{
	char state[64], tokens[4096], **names = NULL;
	size_t i, n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (argc != 1)
		show_usage(stderr, 2);
	d = opendir(LUO_SESSIONS);
	if (!d && errno == ENOENT) {
		printf("no session list: %s does not exist%s\n", LUO_SESSIONS,
		       access(LUO_DEV, F_OK) ? " (no " LUO_DEV ": boot with kho=on)" : "");
		return 0;
	}
	if (!d)
		die("%s: %s", LUO_SESSIONS, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				die("out of memory");
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (!n) {
		printf("no sessions\n");
		return 0;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	printf("%-24s %-9s %s\n", "SESSION", "STATE", "TOKENS (*: retrieved)");
	for (i = 0; i < n; i++) {
		read_attr(names[i], "state", state, sizeof(state));
		read_attr(names[i], "tokens", tokens, sizeof(tokens));
		printf("%-24s %-9s %s\n", names[i], state, tokens);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* Each command parses its arguments from its own name on. */
	argc--;
	argv++;
	optind = 1;
	if (!strcmp(cmd, "preserve"))
		return cmd_preserve(argc, argv);
	if (!strcmp(cmd, "retrieve"))
		return cmd_retrieve(argc, argv);
	if (!strcmp(cmd, "fill"))
		return cmd_pattern(argc, argv, false);
	if (!strcmp(cmd, "verify"))
		return cmd_pattern(argc, argv, true);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		show_usage(stdout, 0);
	show_usage(stderr, 2);
}
