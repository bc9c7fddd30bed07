// SPDX-License-Identifier: GPL-2.0
/*
 * luo_test: checks of the /dev/liveupdate interface, one case per run.
 *
 *   luo_test CASE [ARG...]
 *
 * Exits 0 when the kernel behaves as specified, 1 on the first difference
 * (with one line saying what was expected and what came), 4 when the case
 * cannot run here (skip), 2 on a usage error. Each case cleans up by
 * exiting: its sessions are closed, so nothing it creates is handed over.
 * /dev/liveupdate has one opener at a time: no other process may hold it
 * while a case runs. Run as root; "luo_test list" names the cases.
 *
 * The calls are raw ioctl()s on the structs of <linux/liveupdate.h>, also
 * with other sizes than the header's, as older and newer user space would
 * pass them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>

#define LUO_DEV		"/dev/liveupdate"
#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4
#define TMPFS_MAGIC_NR	0x01021994
#define HUGETLBFS_MAGIC_NR	0x958458f6
#define HPAGE_2M	(2 << 20)
#define HUGEPAGES_2M	"/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define PATTERN_MUL	0x9E3779B97F4A7C15ULL
#define NAME_LEN	LIVEUPDATE_SESSION_NAME_LENGTH
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *case_name = "?";

/* An ioctl argument of any size, aligned for the __u64 fields. */
union raw {
	__u64 align;
	unsigned char b[512];
};

static void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "luo_test %s: FAIL: ", case_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(KSFT_FAIL);
}

static void skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "luo_test %s: SKIP: ", case_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(KSFT_SKIP);
}

static const char *ename(int err)
{
	static char buf[96];
	const char *name;

	switch (err) {
	case 0:
		return "success";
#define E(x) case x: name = #x; break
	E(EPERM); E(ENOENT); E(ESRCH); E(EINTR); E(EIO); E(ENXIO); E(E2BIG);
	E(EBADF); E(EAGAIN); E(ENOMEM); E(EACCES); E(EFAULT); E(EBUSY);
	E(EEXIST); E(ENODEV); E(EINVAL); E(EMFILE); E(ENOTTY); E(EFBIG);
	E(ENOSPC); E(ESPIPE); E(EROFS); E(EOVERFLOW); E(EOPNOTSUPP);
	E(ESTALE); E(ECANCELED);
#undef E
	default:
		name = "errno";
		break;
	}
	snprintf(buf, sizeof(buf), "%s (%d, %s)", name, err, strerror(err));
	return buf;
}

/* The errno of a system call's result: 0 for success. */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* expect(GOT, WANT, WHAT...): fail unless the call gave errno WANT (0: success). */
static void expect(int got, int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail("%s: expected %s, got %s", what, want ? ename(want) : "success",
	     got ? ename(got) : "success");
}

static int open_dev(void)
{
	int fd = open(LUO_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open " LUO_DEV ": %s", ename(errno));
	return fd;
}

static void set_name(__u8 *dst, const char *name)
{
	memset(dst, 0, NAME_LEN);
	memcpy(dst, name, strnlen(name, NAME_LEN));
}

static int create_session(int dev, const char *name, int *sfd)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	set_name(a.name, name);
	if (ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a) < 0)
		return errno;
	*sfd = a.fd;
	return 0;
}

static int retrieve_session(int dev, const char *name, int *sfd)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a) };

	set_name(a.name, name);
	if (ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a) < 0)
		return errno;
	*sfd = a.fd;
	return 0;
}

static int preserve(int sfd, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a),
		.fd = fd,
		.token = token,
	};

	return err_of(ioctl(sfd, LIVEUPDATE_SESSION_PRESERVE_FD, &a));
}

static int retrieve(int sfd, __u64 token, int *fd)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a),
		.token = token,
	};

	if (ioctl(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) < 0)
		return errno;
	*fd = a.fd;
	return 0;
}

/*
 * ioctl() with a copy of @arg on a read-only page: the result cannot be
 * written back. The errno, or 0.
 */
static int readonly_ioctl(int fd, unsigned long nr, const void *arg, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		fail("mmap: %s", ename(errno));
	memcpy(p, arg, len);
	if (mprotect(p, pg, PROT_READ))
		fail("mprotect: %s", ename(errno));
	err = ioctl(fd, nr, p) < 0 ? errno : 0;
	munmap(p, pg);
	return err;
}

static int finish(int sfd, __u32 reserved)
{
	struct liveupdate_session_finish a = {
		.size = sizeof(a),
		.reserved = reserved,
	};

	return err_of(ioctl(sfd, LIVEUPDATE_SESSION_FINISH, &a));
}

static int get_name(int sfd, __u32 reserved, struct liveupdate_session_get_name *a)
{
	memset(a, 0xa5, sizeof(*a));
	a->size = sizeof(*a);
	a->reserved = reserved;
	return err_of(ioctl(sfd, LIVEUPDATE_SESSION_GET_NAME, a));
}

/* A session that must be created. */
static int session(int dev, const char *name)
{
	int sfd = -1;

	expect(create_session(dev, name, &sfd), 0, "CREATE_SESSION %s", name);
	return sfd;
}

/* A new memfd of @size bytes with data in its first page. */
static int memfd(const char *name, off_t size)
{
	char data[64];
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		fail("memfd_create %s: %s", name, ename(errno));
	if (ftruncate(fd, size))
		fail("ftruncate %s: %s", name, ename(errno));
	if (size) {
		snprintf(data, sizeof(data), "luo_test %s", name);
		if (pwrite(fd, data, strlen(data), 0) != (ssize_t)strlen(data))
			fail("write %s: %s", name, ename(errno));
	}
	return fd;
}

static off_t file_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		fail("fstat: %s", ename(errno));
	return st.st_size;
}

static void expect_cloexec(int fd, const char *what)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		fail("%s: fd %d is not open: %s", what, fd, ename(errno));
	if (!(flags & FD_CLOEXEC))
		fail("%s: fd %d is not close-on-exec", what, fd);
}

/* The commands and their structs, for the size and pointer checks. */
struct cmd {
	const char *name;
	unsigned long nr;
	size_t size;
	bool session;	/* a command of session fds, else of /dev/liveupdate */
};

static const struct cmd cmds[] = {
	{ "CREATE_SESSION", LIVEUPDATE_IOCTL_CREATE_SESSION,
	  sizeof(struct liveupdate_ioctl_create_session), false },
	{ "RETRIEVE_SESSION", LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
	  sizeof(struct liveupdate_ioctl_retrieve_session), false },
	{ "PRESERVE_FD", LIVEUPDATE_SESSION_PRESERVE_FD,
	  sizeof(struct liveupdate_session_preserve_fd), true },
	{ "RETRIEVE_FD", LIVEUPDATE_SESSION_RETRIEVE_FD,
	  sizeof(struct liveupdate_session_retrieve_fd), true },
	{ "FINISH", LIVEUPDATE_SESSION_FINISH,
	  sizeof(struct liveupdate_session_finish), true },
	{ "GET_NAME", LIVEUPDATE_SESSION_GET_NAME,
	  sizeof(struct liveupdate_session_get_name), true },
};

#define NR_CMDS ARRAY_SIZE(cmds)

/*
 * Fill @r with valid fields for @c (the name @name, the file @fd under
 * token 1, an unknown token 0xdead0001) and @size.
 */
static void raw_args(union raw *r, const struct cmd *c, __u32 size, const char *name,
		     int fd)
{
	struct liveupdate_ioctl_create_session *cs = (void *)r->b;
	struct liveupdate_session_preserve_fd *pf = (void *)r->b;

	memset(r, 0, sizeof(*r));
	switch (c->nr) {
	case LIVEUPDATE_IOCTL_CREATE_SESSION:
	case LIVEUPDATE_IOCTL_RETRIEVE_SESSION:
		set_name(cs->name, name);
		break;
	case LIVEUPDATE_SESSION_PRESERVE_FD:
		pf->fd = fd;
		pf->token = 1;
		break;
	case LIVEUPDATE_SESSION_RETRIEVE_FD:
		pf->token = 0xdead0001;
		break;
	}
	memcpy(r->b, &size, sizeof(size));
}

static int raw_ioctl(int fd, const struct cmd *c, union raw *r)
{
	return err_of(ioctl(fd, c->nr, r->b));
}

/* dev-busy: one opener at a time; sessions do not hold the device. */
static int t_dev_busy(int argc, char **argv)
{
	int dev = open_dev(), status, sfd;
	pid_t pid;

	expect(err_of(open(LUO_DEV, O_RDWR | O_CLOEXEC)), EBUSY,
	       "second open of " LUO_DEV " by its opener");
	pid = fork();
	if (pid < 0)
		fail("fork: %s", ename(errno));
	if (!pid) {
		case_name = "dev-busy (child)";
		expect(err_of(open(LUO_DEV, O_RDWR | O_CLOEXEC)), EBUSY,
		       "open of " LUO_DEV " by another process");
		exit(KSFT_PASS);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		exit(KSFT_FAIL);
	sfd = session(dev, "luo-test-busy");
	close(dev);
	dev = open(LUO_DEV, O_RDWR | O_CLOEXEC);
	expect(err_of(dev), 0, "open of " LUO_DEV " after its opener closed it, a session open");
	close(dev);
	close(sfd);
	return KSFT_PASS;
}

/* In a child: drop CAP_SYS_ADMIN (or become nobody), then open the device. */
static void open_unprivileged(bool nobody)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	__u32 bit = 1U << (CAP_SYS_ADMIN % 32);
	int i = CAP_SYS_ADMIN / 32;

	if (nobody) {
		case_name = "not-root (uid 65534)";
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			fail("dropping root: %s", ename(errno));
	} else {
		case_name = "not-root (uid 0 without CAP_SYS_ADMIN)";
		if (syscall(SYS_capget, &hdr, data))
			fail("capget: %s", ename(errno));
		data[i].effective &= ~bit;
		data[i].permitted &= ~bit;
		data[i].inheritable &= ~bit;
		if (syscall(SYS_capset, &hdr, data))
			fail("capset: %s", ename(errno));
	}
	expect(err_of(open(LUO_DEV, O_RDWR | O_CLOEXEC)), EPERM, "open of " LUO_DEV);
	exit(KSFT_PASS);
}

static bool child_passed(bool nobody)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		fail("fork: %s", ename(errno));
	if (!pid)
		open_unprivileged(nobody);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == KSFT_PASS;
}

/*
 * not-root: opening needs CAP_SYS_ADMIN. The device node is root's alone
 * (0600): nobody's open is checked with the node opened to everyone for the
 * time of the check, so that the kernel's check is the one that answers.
 */
static int t_not_root(int argc, char **argv)
{
	struct stat st;
	bool ok;

	if (stat(LUO_DEV, &st))
		fail("stat " LUO_DEV ": %s", ename(errno));
	if (!child_passed(false))
		return KSFT_FAIL;
	if (chmod(LUO_DEV, 0666))
		fail("chmod " LUO_DEV ": %s", ename(errno));
	ok = child_passed(true);
	if (chmod(LUO_DEV, st.st_mode & 07777))
		fail("chmod " LUO_DEV " back: %s", ename(errno));
	if (!ok)
		return KSFT_FAIL;
	close(open_dev());
	return KSFT_PASS;
}

/* unknown-ioctl: commands that are not ours, on both kinds of fd. */
static int t_unknown_ioctl(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned long nr;
	} dev_cmds[] = {
		{ "_IO(0xBA, 0x02)", _IO(LIVEUPDATE_IOCTL_TYPE, 0x02) },
		{ "_IO(0xBA, 0x3f)", _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f) },
		{ "PRESERVE_FD", LIVEUPDATE_SESSION_PRESERVE_FD },
		{ "RETRIEVE_FD", LIVEUPDATE_SESSION_RETRIEVE_FD },
		{ "FINISH", LIVEUPDATE_SESSION_FINISH },
		{ "GET_NAME", LIVEUPDATE_SESSION_GET_NAME },
		{ "_IOWR(0xBA, 0x00, struct)",
		  _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x00, struct liveupdate_ioctl_create_session) },
		{ "_IO(0xBB, 0x00)", _IO(LIVEUPDATE_IOCTL_TYPE + 1, 0x00) },
		{ "TCGETS", TCGETS },
	}, session_cmds[] = {
		{ "CREATE_SESSION", LIVEUPDATE_IOCTL_CREATE_SESSION },
		{ "RETRIEVE_SESSION", LIVEUPDATE_IOCTL_RETRIEVE_SESSION },
		{ "_IO(0xBA, 0x44)", _IO(LIVEUPDATE_IOCTL_TYPE, 0x44) },
		{ "_IO(0xBA, 0xff)", _IO(LIVEUPDATE_IOCTL_TYPE, 0xff) },
		{ "_IOWR(0xBA, 0x40, struct)",
		  _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x40, struct liveupdate_session_preserve_fd) },
		{ "_IO(0xBB, 0x40)", _IO(LIVEUPDATE_IOCTL_TYPE + 1, 0x40) },
		{ "TCGETS", TCGETS },
	};
	int dev = open_dev(), sfd = session(dev, "luo-test-unknown-ioctl");
	union raw r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dev_cmds); i++) {
		memset(&r, 0, sizeof(r));
		r.b[0] = 72;
		expect(err_of(ioctl(dev, dev_cmds[i].nr, r.b)), ENOTTY,
		       "%s on " LUO_DEV, dev_cmds[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(session_cmds); i++) {
		memset(&r, 0, sizeof(r));
		r.b[0] = 72;
		set_name(r.b + 8, "luo-test-unknown-ioctl-2");
		expect(err_of(ioctl(sfd, session_cmds[i].nr, r.b)), ENOTTY,
		       "%s on a session fd", session_cmds[i].name);
	}
	return KSFT_PASS;
}

/* size-small: a size short of the last field is refused, with no effect. */
static int t_size_small(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-size-small-0");
	int m = memfd("luo-test-size-small", 4096), fd;
	const struct cmd *c;
	union raw r;
	__u32 sizes[4];
	size_t i, j;

	for (i = 0; i < NR_CMDS; i++) {
		c = &cmds[i];
		sizes[0] = 0;
		sizes[1] = 4;
		sizes[2] = c->size - 8;
		sizes[3] = c->size - 1;
		for (j = 0; j < 4; j++) {
			raw_args(&r, c, sizes[j], "luo-test-size-small", m);
			expect(raw_ioctl(c->session ? sfd : dev, c, &r), EINVAL,
			       "%s with size %u (struct of %zu bytes)", c->name,
			       sizes[j], c->size);
		}
	}
	expect(create_session(dev, "luo-test-size-small", &fd), 0,
	       "CREATE_SESSION of the name refused with a small size");
	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD of the file refused with a small size");
	return KSFT_PASS;
}

/* size-big-zero-tail: a larger struct whose extra bytes are zero works. */
static int t_size_big_zero_tail(int argc, char **argv)
{
	static const __u32 extra[] = { 8, 440 };
	int dev = open_dev(), sfd, m, other;
	struct liveupdate_ioctl_create_session *cs;
	struct liveupdate_session_get_name *gn;
	char name[NAME_LEN];
	const struct cmd *c;
	union raw r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		snprintf(name, sizeof(name), "luo-test-big-zero-%u", extra[i]);
		c = &cmds[0];
		raw_args(&r, c, c->size + extra[i], name, -1);
		expect(raw_ioctl(dev, c, &r), 0, "CREATE_SESSION with size %zu, zero tail",
		       c->size + extra[i]);
		cs = (void *)r.b;
		sfd = cs->fd;
		expect_cloexec(sfd, "CREATE_SESSION's fd");

		c = &cmds[1];
		raw_args(&r, c, c->size + extra[i], "luo-test-big-zero-missing", -1);
		expect(raw_ioctl(dev, c, &r), ENOENT,
		       "RETRIEVE_SESSION of an unknown name with size %zu, zero tail",
		       c->size + extra[i]);

		m = memfd(name, 4096);
		c = &cmds[2];
		raw_args(&r, c, c->size + extra[i], NULL, m);
		expect(raw_ioctl(sfd, c, &r), 0, "PRESERVE_FD with size %zu, zero tail",
		       c->size + extra[i]);
		other = memfd(name, 4096);
		expect(preserve(sfd, other, 1), EEXIST,
		       "PRESERVE_FD under the token taken with a zero tail");

		c = &cmds[5];
		raw_args(&r, c, c->size + extra[i], NULL, -1);
		expect(raw_ioctl(sfd, c, &r), 0, "GET_NAME with size %zu, zero tail",
		       c->size + extra[i]);
		gn = (void *)r.b;
		if (strncmp((char *)gn->name, name, NAME_LEN))
			fail("GET_NAME with size %zu: \"%.64s\", expected \"%s\"",
			     c->size + extra[i], (char *)gn->name, name);

		c = &cmds[4];
		raw_args(&r, c, c->size + extra[i], NULL, -1);
		expect(raw_ioctl(sfd, c, &r), 0, "FINISH with size %zu, zero tail",
		       c->size + extra[i]);
	}
	return KSFT_PASS;
}

/* size-big-nonzero-tail: E2BIG when a byte past the kernel's struct is set. */
static int t_size_big_nonzero_tail(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-e2big-0");
	int m = memfd("luo-test-e2big", 4096), fd;
	const struct cmd *c;
	union raw r;
	size_t i;

	for (i = 0; i < NR_CMDS; i++) {
		c = &cmds[i];
		raw_args(&r, c, c->size + 8, "luo-test-e2big", m);
		r.b[c->size + 3] = 0x5a;
		expect(raw_ioctl(c->session ? sfd : dev, c, &r), E2BIG,
		       "%s with size %zu, byte %zu set", c->name, c->size + 8,
		       c->size + 3);
		raw_args(&r, c, sizeof(r.b), "luo-test-e2big", m);
		r.b[sizeof(r.b) - 1] = 1;
		expect(raw_ioctl(c->session ? sfd : dev, c, &r), E2BIG,
		       "%s with size %zu, its last byte set", c->name, sizeof(r.b));
	}
	expect(create_session(dev, "luo-test-e2big", &fd), 0,
	       "CREATE_SESSION of the name refused with E2BIG");
	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD of the file refused with E2BIG");
	return KSFT_PASS;
}

/* bad-pointer: EFAULT for arguments that cannot be read or written. */
static int t_bad_pointer(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	int dev = open_dev(), sfd = session(dev, "luo-test-efault-0"), fd;
	struct liveupdate_ioctl_create_session *cs;
	struct liveupdate_session_get_name *gn;
	const struct cmd *c;
	unsigned char *p;
	__u32 size;
	size_t i;

	for (i = 0; i < NR_CMDS; i++) {
		c = &cmds[i];
		expect(err_of(ioctl(c->session ? sfd : dev, c->nr, NULL)), EFAULT,
		       "%s with a NULL argument", c->name);
	}
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap: %s", ename(errno));
	if (mprotect(p + pg, pg, PROT_NONE))
		fail("mprotect: %s", ename(errno));
	/* The name lies in the page that cannot be read. */
	size = sizeof(*cs);
	memcpy(p + pg - 8, &size, sizeof(size));
	memset(p + pg - 4, 0, 4);
	expect(err_of(ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, p + pg - 8)), EFAULT,
	       "CREATE_SESSION whose name cannot be read");

	/* Read-only arguments: the result cannot be written back. */
	cs = (void *)p;
	memset(p, 0, pg);
	cs->size = sizeof(*cs);
	set_name(cs->name, "luo-test-efault");
	if (mprotect(p, pg, PROT_READ))
		fail("mprotect: %s", ename(errno));
	expect(err_of(ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, cs)), EFAULT,
	       "CREATE_SESSION whose fd cannot be written back");
	expect(create_session(dev, "luo-test-efault", &fd), 0,
	       "CREATE_SESSION of the name whose fd could not be written back");
	if (mprotect(p, pg, PROT_READ | PROT_WRITE))
		fail("mprotect: %s", ename(errno));
	gn = (void *)p;
	memset(p, 0, pg);
	gn->size = sizeof(*gn);
	if (mprotect(p, pg, PROT_READ))
		fail("mprotect: %s", ename(errno));
	expect(err_of(ioctl(sfd, LIVEUPDATE_SESSION_GET_NAME, gn)), EFAULT,
	       "GET_NAME whose name cannot be written back");
	return KSFT_PASS;
}

/* name-unterminated: 64 name bytes without a NUL. */
static int t_name_unterminated(int argc, char **argv)
{
	int dev = open_dev();
	const struct cmd *c = &cmds[0];
	union raw r;

	raw_args(&r, c, c->size, "", -1);
	memset(r.b + offsetof(struct liveupdate_ioctl_create_session, name), 'x', NAME_LEN);
	expect(raw_ioctl(dev, c, &r), EINVAL, "CREATE_SESSION of 64 bytes without a NUL");
	/* The zero tail is past the name: it does not terminate it. */
	raw_args(&r, c, c->size + 8, "", -1);
	memset(r.b + offsetof(struct liveupdate_ioctl_create_session, name), 'x', NAME_LEN);
	expect(raw_ioctl(dev, c, &r), EINVAL,
	       "CREATE_SESSION of 64 bytes without a NUL, zero tail after them");
	return KSFT_PASS;
}

/* name-empty */
static int t_name_empty(int argc, char **argv)
{
	int dev = open_dev(), fd;
	const struct cmd *c = &cmds[0];
	union raw r;

	expect(create_session(dev, "", &fd), EINVAL, "CREATE_SESSION of \"\"");
	raw_args(&r, c, c->size, "", -1);
	memset(r.b + offsetof(struct liveupdate_ioctl_create_session, name) + 1, 'x',
	       NAME_LEN - 2);
	expect(raw_ioctl(dev, c, &r), EINVAL,
	       "CREATE_SESSION of a name starting with NUL, bytes after it");
	return KSFT_PASS;
}

/* A name of 63 characters, the longest. */
static void long_name(char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	memcpy(name, prefix, len);
	memset(name + len, 'n', NAME_LEN - 1 - len);
	name[NAME_LEN - 1] = '\0';
}

/* name-dup: names are unique among open sessions; a closed one is free. */
static int t_name_dup(int argc, char **argv)
{
	int dev = open_dev(), a, b, c, fd;
	char name[NAME_LEN];

	a = session(dev, "luo-test-dup");
	expect_cloexec(a, "CREATE_SESSION's fd");
	expect(create_session(dev, "luo-test-dup", &fd), EEXIST,
	       "CREATE_SESSION of the name of an open session");
	b = session(dev, "luo-test-dup2");
	long_name(name, "luo-test-dup-");
	c = session(dev, name);
	expect(create_session(dev, name, &fd), EEXIST,
	       "CREATE_SESSION of the 63-byte name of an open session");
	close(a);
	expect(create_session(dev, "luo-test-dup", &fd), 0,
	       "CREATE_SESSION of the name of a closed session");
	close(b);
	close(c);
	return KSFT_PASS;
}

/* get-name */
static int t_get_name(int argc, char **argv)
{
	int dev = open_dev(), sfd;
	struct liveupdate_session_get_name gn;
	char name[NAME_LEN];
	size_t len, i;

	long_name(name, "luo-test-get-name-");
	sfd = session(dev, name);
	expect(get_name(sfd, 0, &gn), 0, "GET_NAME");
	if (strncmp((char *)gn.name, name, NAME_LEN))
		fail("GET_NAME: \"%.64s\", expected \"%s\"", (char *)gn.name, name);
	close(sfd);
	sfd = session(dev, "luo-test-get-name");
	expect(get_name(sfd, 0, &gn), 0, "GET_NAME");
	len = strnlen((char *)gn.name, NAME_LEN);
	if (len == NAME_LEN || strcmp((char *)gn.name, "luo-test-get-name"))
		fail("GET_NAME: \"%.64s\", expected \"luo-test-get-name\"", (char *)gn.name);
	for (i = len; i < NAME_LEN; i++)
		if (gn.name[i])
			fail("GET_NAME: byte %zu past the name's NUL is 0x%02x, not 0", i,
			     gn.name[i]);
	expect(get_name(sfd, 1, &gn), EINVAL, "GET_NAME with reserved 1");
	return KSFT_PASS;
}

/* finish-reserved */
static int t_finish_reserved(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-finish-reserved");

	expect(finish(sfd, 1), EINVAL, "FINISH with reserved 1");
	expect(finish(sfd, 0x80000000), EINVAL, "FINISH with reserved 0x80000000");
	expect(finish(sfd, 0), 0, "FINISH with reserved 0");
	return KSFT_PASS;
}

/* finish-outgoing: FINISH of a session of this kernel does nothing. */
static int t_finish_outgoing(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-finish-outgoing");
	int m = memfd("luo-test-finish-outgoing", 1 << 20);

	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD");
	expect(finish(sfd, 0), 0, "FINISH of an outgoing session");
	expect(finish(sfd, 0), 0, "FINISH of an outgoing session, again");
	expect(err_of(ftruncate(m, 2 << 20)), EPERM,
	       "ftruncate of a file still preserved after FINISH");
	expect(preserve(sfd, m, 2), EBUSY, "PRESERVE_FD of the file preserved before FINISH");
	expect(preserve(sfd, memfd("luo-test-finish-outgoing-2", 4096), 1), EEXIST,
	       "PRESERVE_FD under the token taken before FINISH");
	expect(preserve(sfd, memfd("luo-test-finish-outgoing-3", 4096), 3), 0,
	       "PRESERVE_FD after FINISH");
	return KSFT_PASS;
}

/* preserve-bad-fd */
static int t_preserve_bad_fd(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-bad-fd");
	int closed = dup(0);

	if (closed < 0)
		fail("dup: %s", ename(errno));
	close(closed);
	expect(preserve(sfd, -1, 1), EBADF, "PRESERVE_FD of fd -1");
	expect(preserve(sfd, closed, 1), EBADF, "PRESERVE_FD of a closed fd");
	expect(preserve(sfd, INT_MAX, 1), EBADF, "PRESERVE_FD of fd INT_MAX");
	expect(preserve(sfd, memfd("luo-test-bad-fd", 4096), 1), 0,
	       "PRESERVE_FD under the token the bad fds were refused with");
	return KSFT_PASS;
}

static void expect_unsupported(int sfd, int fd, const char *what)
{
	expect(preserve(sfd, fd, 1), EOPNOTSUPP, "PRESERVE_FD of %s", what);
}

/* preserve-pipe */
static int t_preserve_pipe(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-pipe"), p[2];

	if (pipe2(p, O_CLOEXEC))
		fail("pipe: %s", ename(errno));
	expect_unsupported(sfd, p[0], "a pipe's read end");
	expect_unsupported(sfd, p[1], "a pipe's write end");
	return KSFT_PASS;
}

/* preserve-devnull */
static int t_preserve_devnull(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-devnull");
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open /dev/null: %s", ename(errno));
	expect_unsupported(sfd, fd, "/dev/null");
	return KSFT_PASS;
}

/* preserve-tmpfs: shmem, but a file of a mounted tmpfs, not a memfd. */
static int t_preserve_tmpfs(int argc, char **argv)
{
	char dir[] = "/tmp/luo-test.XXXXXX", path[64];
	int dev = open_dev(), sfd = session(dev, "luo-test-tmpfs"), fd;
	bool mounted = false;
	struct statfs sf;

	if (!statfs("/tmp", &sf) && sf.f_type == TMPFS_MAGIC_NR) {
		snprintf(path, sizeof(path), "/tmp/luo-test.XXXXXX");
	} else {
		if (!mkdtemp(dir))
			skip("mkdtemp %s: %s", dir, ename(errno));
		if (mount("luo-test", dir, "tmpfs", 0, "size=1m"))
			skip("mount tmpfs on %s: %s", dir, ename(errno));
		mounted = true;
		snprintf(path, sizeof(path), "%s/file.XXXXXX", dir);
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		fail("mkostemp %s: %s", path, ename(errno));
	unlink(path);
	if (pwrite(fd, "luo_test", 8, 0) != 8)
		fail("write %s: %s", path, ename(errno));
	expect_unsupported(sfd, fd, "a file of a mounted tmpfs");
	close(fd);
	if (mounted) {
		umount2(dir, MNT_DETACH);
		rmdir(dir);
	}
	return KSFT_PASS;
}

/* preserve-session: session fds and the device itself are not files to carry. */
static int t_preserve_session(int argc, char **argv)
{
	int dev = open_dev(), a = session(dev, "luo-test-self"), b;

	b = session(dev, "luo-test-self-2");
	expect_unsupported(a, a, "its own session fd");
	expect_unsupported(a, b, "another session's fd");
	expect_unsupported(a, dev, LUO_DEV);
	return KSFT_PASS;
}

/* The free pages of the 2 MiB hugetlb pool; -1 without one. */
static long free_hugepages_2m(void)
{
	FILE *f = fopen(HUGEPAGES_2M "free_hugepages", "re");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* A hugetlbfs file holds @pages huge pages of 2 MiB (4096 blocks each). */
static void expect_hpages(int fd, long pages, const char *when)
{
	struct stat st;

	if (fstat(fd, &st))
		fail("fstat: %s", ename(errno));
	if (st.st_blocks != pages * (HPAGE_2M / 512))
		fail("%s: %lld blocks of 512 bytes, expected %ld huge pages (%ld)", when,
		     (long long)st.st_blocks, pages, pages * (HPAGE_2M / 512));
}

static void expect_byte(int fd, off_t off, unsigned char want, const char *what)
{
	unsigned char got;

	if (pread(fd, &got, 1, off) != 1)
		fail("read at %lld: %s", (long long)off, ename(errno));
	if (got != want)
		fail("%s: byte at %lld is 0x%02x, expected 0x%02x", what, (long long)off,
		     got, want);
}

/*
 * preserve-hugetlb: a memfd on 2 MiB hugetlbfs pages, pages 0 and 2 of its
 * four written, the others holes, is preserved in place: the pool does not
 * change, the holes stay holes, the size is frozen (EPERM) like a shmem
 * memfd's, stores through its mapping land; the session closed, it thaws.
 * Needs 4 free pages in the 2 MiB pool (nr_hugepages).
 */
static int t_preserve_hugetlb(int argc, char **argv)
{
	const off_t hp = HPAGE_2M, size = 4 * hp;
	int fd = memfd_create("luo-test-hugetlb", MFD_HUGETLB | MFD_HUGE_2MB | MFD_CLOEXEC);
	long free0 = free_hugepages_2m(), free1;
	unsigned char *map;
	int dev, sfd;

	if (fd < 0)
		skip("memfd_create(MFD_HUGETLB | MFD_HUGE_2MB): %s", ename(errno));
	if (free0 < 4)
		skip("%ld free 2 MiB huge pages, 4 needed (%snr_hugepages)", free0,
		     HUGEPAGES_2M);
	if (ftruncate(fd, size))
		fail("ftruncate to 8 MiB: %s", ename(errno));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		fail("mmap: %s", ename(errno));
	memset(map, 0x3c, 4096);
	memset(map + 2 * hp, 0x5a, 4096);
	expect_hpages(fd, 2, "written");
	free1 = free_hugepages_2m();

	dev = open_dev();
	sfd = session(dev, "luo-test-hugetlb");
	expect(preserve(sfd, fd, 1), 0, "PRESERVE_FD of an MFD_HUGETLB memfd");
	if (free_hugepages_2m() != free1)
		fail("PRESERVE_FD changed the free 2 MiB huge pages: %ld, then %ld", free1,
		     free_hugepages_2m());
	expect_hpages(fd, 2, "preserved");

	expect(err_of(ftruncate(fd, size + hp)), EPERM, "ftruncate to grow");
	expect(err_of(ftruncate(fd, size - hp)), EPERM, "ftruncate to shrink");
	expect(err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, hp)),
	       EPERM, "fallocate FALLOC_FL_PUNCH_HOLE of a page");
	expect(err_of(fallocate(fd, 0, hp, hp)), EPERM, "fallocate of a hole");
	expect(err_of(fallocate(fd, 0, size, hp)), EPERM, "fallocate past the size");
	if (file_size(fd) != size)
		fail("the size changed: %lld, expected %lld", (long long)file_size(fd),
		     (long long)size);
	expect_hpages(fd, 2, "after the refused calls");
	expect_byte(fd, 100, 0x3c, "after the refused hole punch");

	map[2 * hp + 100] = 0x42;
	expect_byte(fd, 2 * hp + 100, 0x42, "a store through the mapping into a preserved page");
	munmap(map, size);

	close(sfd);
	expect(err_of(ftruncate(fd, size + hp)), 0,
	       "ftruncate to grow after the session was closed");
	expect(err_of(ftruncate(fd, size)), 0, "ftruncate back after the session was closed");
	expect(err_of(fallocate(fd, 0, hp, hp)), 0,
	       "fallocate of a hole after the session was closed");
	expect_hpages(fd, 3, "after the session was closed and a hole allocated");
	return KSFT_PASS;
}

/* preserve-twice: a file is preserved once, in one session. */
static int t_preserve_twice(int argc, char **argv)
{
	int dev = open_dev(), a = session(dev, "luo-test-twice-a");
	int b = session(dev, "luo-test-twice-b");
	int m = memfd("luo-test-twice", 4096), d = dup(m);

	if (d < 0)
		fail("dup: %s", ename(errno));
	expect(preserve(a, m, 1), 0, "PRESERVE_FD");
	expect(preserve(a, m, 2), EBUSY, "PRESERVE_FD of the same file under another token");
	expect(preserve(a, d, 3), EBUSY, "PRESERVE_FD of a dup() of the file");
	expect(preserve(b, m, 1), EBUSY, "PRESERVE_FD of the file in another session");
	expect(preserve(b, d, 4), EBUSY, "PRESERVE_FD of a dup() of it in another session");
	expect(preserve(a, memfd("luo-test-twice-2", 4096), 2), 0,
	       "PRESERVE_FD under the token a refused file asked for");
	expect(preserve(b, memfd("luo-test-twice-3", 4096), 1), 0,
	       "PRESERVE_FD in the other session under the same token");
	return KSFT_PASS;
}

/* token-reuse: tokens are unique per session, all 64 bits of them. */
static int t_token_reuse(int argc, char **argv)
{
	const __u64 high = 0x8000000000000005ULL;
	int dev = open_dev(), a = session(dev, "luo-test-token-a");
	int b = session(dev, "luo-test-token-b");
	int m2 = memfd("luo-test-token-2", 4096);

	expect(preserve(a, memfd("luo-test-token-1", 4096), 5), 0, "PRESERVE_FD token 5");
	expect(preserve(a, m2, 5), EEXIST, "PRESERVE_FD of another file under token 5");
	expect(preserve(b, m2, 5), 0,
	       "PRESERVE_FD in another session under token 5 of the refused file");
	expect(preserve(a, memfd("luo-test-token-3", 4096), high), 0,
	       "PRESERVE_FD token 0x%llx", (unsigned long long)high);
	expect(preserve(a, memfd("luo-test-token-4", 4096), high), EEXIST,
	       "PRESERVE_FD of another file under token 0x%llx", (unsigned long long)high);
	expect(preserve(a, memfd("luo-test-token-5", 4096), 0x100000005ULL), 0,
	       "PRESERVE_FD token 0x100000005 (5 in its low 32 bits)");
	expect(preserve(a, memfd("luo-test-token-6", 4096), 0), 0, "PRESERVE_FD token 0");
	return KSFT_PASS;
}

/* frozen: the size of a preserved memfd cannot change; its data can. */
static int t_frozen(int argc, char **argv)
{
	const off_t size = 1 << 20;
	int dev = open_dev(), sfd = session(dev, "luo-test-frozen");
	int m = memfd("luo-test-frozen", size);
	char buf[4096], back[4096];
	unsigned char *map;

	memset(buf, 0x3c, sizeof(buf));
	if (pwrite(m, buf, sizeof(buf), 0) != sizeof(buf))
		fail("write: %s", ename(errno));
	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD");

	expect(err_of(ftruncate(m, 2 * size)), EPERM, "ftruncate to grow");
	expect(err_of(ftruncate(m, size / 2)), EPERM, "ftruncate to shrink");
	expect(err_of(ftruncate(m, 0)), EPERM, "ftruncate to 0");
	expect(err_of(fallocate(m, 0, 0, 2 * size)), EPERM, "fallocate past the size");
	expect(err_of(fallocate(m, 0, 4096, 4096)), EPERM, "fallocate inside the size");
	expect(err_of(fallocate(m, FALLOC_FL_KEEP_SIZE, size, size)), EPERM,
	       "fallocate FALLOC_FL_KEEP_SIZE past the size");
	expect(err_of(fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)),
	       EPERM, "fallocate FALLOC_FL_PUNCH_HOLE");
	expect(err_of(pwrite(m, buf, sizeof(buf), size)), EPERM, "pwrite at the end");
	expect(err_of(pwrite(m, buf, sizeof(buf), size - 2048)), EPERM,
	       "pwrite across the end");
	if (lseek(m, 0, SEEK_END) != size)
		fail("lseek SEEK_END: %s", ename(errno));
	expect(err_of(write(m, buf, 1)), EPERM, "write at the end");
	if (file_size(m) != size)
		fail("the size changed: %lld, expected %lld", (long long)file_size(m),
		     (long long)size);
	if (pread(m, back, sizeof(back), 0) != sizeof(back) || memcmp(buf, back, sizeof(buf)))
		fail("the first page changed (after the refused hole punch)");

	memset(buf, 0x7e, sizeof(buf));
	expect(err_of(pwrite(m, buf, sizeof(buf), size - sizeof(buf))), 0,
	       "pwrite inside the size");
	if (pread(m, back, sizeof(back), size - sizeof(back)) != sizeof(back) ||
	    memcmp(buf, back, sizeof(buf)))
		fail("the pwrite inside the size did not land");
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	if (map == MAP_FAILED)
		fail("mmap of the preserved memfd: %s", ename(errno));
	map[size / 2] = 0x42;
	munmap(map, size);
	if (pread(m, back, 1, size / 2) != 1 || back[0] != 0x42)
		fail("a store through a shared mapping did not land");
	return KSFT_PASS;
}

/* drop-on-close: closing the session gives the file back as it was. */
static int t_drop_on_close(int argc, char **argv)
{
	int dev = open_dev(), sfd = session(dev, "luo-test-drop");
	int m = memfd("luo-test-drop", 1 << 20);

	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD");
	expect(err_of(ftruncate(m, 2 << 20)), EPERM, "ftruncate while preserved");
	close(sfd);
	expect(err_of(ftruncate(m, 2 << 20)), 0, "ftruncate after the session was closed");
	expect(err_of(fallocate(m, 0, 0, 3 << 20)), 0,
	       "fallocate after the session was closed");
	expect(err_of(pwrite(m, "x", 1, 3 << 20)), 0,
	       "pwrite past the end after the session was closed");
	sfd = session(dev, "luo-test-drop");
	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD again in a new session");
	return KSFT_PASS;
}

/* retrieve-missing: no such session to retrieve. */
static int t_retrieve_missing(int argc, char **argv)
{
	int dev = open_dev(), sfd, fd;

	expect(retrieve_session(dev, "luo-test-no-such-session", &fd), ENOENT,
	       "RETRIEVE_SESSION of an unknown name");
	sfd = session(dev, "luo-test-outgoing");
	expect(retrieve_session(dev, "luo-test-outgoing", &fd), ENOENT,
	       "RETRIEVE_SESSION of a session created in this kernel");
	close(sfd);
	return KSFT_PASS;
}

static bool parse_u64(const char *s, __u64 *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return false;
	*v = n;
	return true;
}

/* A number of bytes, with an optional suffix K, M or G. */
static bool parse_size(const char *s, __u64 *v)
{
	char num[32], *suffix;
	size_t len = strlen(s);
	int shift = 0;

	if (!len || len >= sizeof(num))
		return false;
	memcpy(num, s, len + 1);
	suffix = num + len - 1;
	switch (*suffix) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		*suffix = '\0';
	if (!parse_u64(num, v) || *v > (~0ULL >> shift))
		return false;
	*v <<= shift;
	return true;
}

/* shrink,grow,... as F_SEAL_* bits. */
static bool parse_seals(const char *s, int *seals)
{
	static const struct {
		const char *name;
		int bit;
	} names[] = {
		{ "seal", F_SEAL_SEAL }, { "shrink", F_SEAL_SHRINK },
		{ "grow", F_SEAL_GROW }, { "write", F_SEAL_WRITE },
		{ "future_write", F_SEAL_FUTURE_WRITE }, { "none", 0 },
	};
	char *copy = strdup(s), *rest = copy, *word;
	size_t i;

	*seals = 0;
	while (copy && (word = strsep(&rest, ","))) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(word, names[i].name))
				break;
		if (i == ARRAY_SIZE(names)) {
			free(copy);
			return false;
		}
		*seals |= names[i].bit;
	}
	free(copy);
	return true;
}

/* The pattern of luoctl fill over the whole of @fd. */
static void verify_pattern(int fd, __u64 seed)
{
	const __u64 key = seed * PATTERN_MUL;
	off_t size = file_size(fd), off;
	static __u64 buf[(1 << 20) / 8];
	size_t len, i;
	__u64 want;

	for (off = 0; off < size; off += len) {
		len = size - off < (off_t)sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		if (pread(fd, buf, len, off) != (ssize_t)len)
			fail("read of the retrieved file at %lld: %s", (long long)off,
			     ename(errno));
		for (i = 0; i < len / 8; i++) {
			want = (off + i * 8) ^ key;
			if (buf[i] != want)
				fail("retrieved: word at %lld is 0x%016llx, not 0x%016llx",
				     (long long)(off + i * 8),
				     (unsigned long long)buf[i],
				     (unsigned long long)want);
		}
	}
}

/*
 * retrieve-twice SESSION TOKEN [seals=LIST] [fill=SEED] [size=BYTES]: an
 * incoming session is retrieved once, each of its tokens once; it preserves
 * nothing before FINISH, and again after it. SESSION is finished (and
 * closed) on success.
 */
static int t_retrieve_twice(int argc, char **argv)
{
	const char *name = argv[1];
	__u64 token, seed = 0, size = 0;
	bool check_seed = false, check_size = false;
	int dev, sfd, fd, fd2, seals = -1, got, i;
	struct liveupdate_ioctl_retrieve_session rs = { 0 };
	struct liveupdate_session_retrieve_fd rf = { 0 };
	struct liveupdate_session_get_name gn;

	if (!parse_u64(argv[2], &token))
		fail("not a token: %s", argv[2]);
	for (i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "seals=", 6) && parse_seals(argv[i] + 6, &seals))
			continue;
		if (!strncmp(argv[i], "fill=", 5) && parse_u64(argv[i] + 5, &seed)) {
			check_seed = true;
			continue;
		}
		if (!strncmp(argv[i], "size=", 5) && parse_size(argv[i] + 5, &size)) {
			check_size = true;
			continue;
		}
		fail("unknown argument %s", argv[i]);
	}
	dev = open_dev();
	rs.size = sizeof(rs);
	set_name(rs.name, name);
	expect(readonly_ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs, sizeof(rs)),
	       EFAULT, "RETRIEVE_SESSION %s whose fd cannot be written back", name);
	expect(retrieve_session(dev, name, &sfd), 0, "RETRIEVE_SESSION %s", name);
	expect_cloexec(sfd, "RETRIEVE_SESSION's fd");
	expect(retrieve_session(dev, name, &fd), ENOENT,
	       "RETRIEVE_SESSION %s a second time", name);
	expect(create_session(dev, name, &fd), EEXIST,
	       "CREATE_SESSION of the name of the retrieved session %s", name);
	expect(get_name(sfd, 0, &gn), 0, "GET_NAME of the retrieved session");
	if (strncmp((char *)gn.name, name, NAME_LEN))
		fail("GET_NAME: \"%.64s\", expected \"%s\"", (char *)gn.name, name);

	rf.size = sizeof(rf);
	rf.token = token;
	expect(readonly_ioctl(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf, sizeof(rf)),
	       EFAULT, "RETRIEVE_FD %llu whose fd cannot be written back",
	       (unsigned long long)token);
	expect(retrieve(sfd, token, &fd), 0, "RETRIEVE_FD %llu", (unsigned long long)token);
	expect_cloexec(fd, "RETRIEVE_FD's fd");
	expect(retrieve(sfd, token, &fd2), ENOENT, "RETRIEVE_FD %llu a second time",
	       (unsigned long long)token);
	expect(retrieve(sfd, token ^ 0xdead000000000000ULL, &fd2), ENOENT,
	       "RETRIEVE_FD of an unknown token");
	if (seals >= 0) {
		got = fcntl(fd, F_GET_SEALS);
		if (got != seals)
			fail("F_GET_SEALS of the retrieved file: 0x%x, expected 0x%x", got,
			     seals);
	}
	if (check_size && (__u64)file_size(fd) != size)
		fail("size of the retrieved file: %lld, expected %llu",
		     (long long)file_size(fd), (unsigned long long)size);
	if (check_seed)
		verify_pattern(fd, seed);

	expect(preserve(sfd, memfd("luo-test-before-finish", 4096), token + 1), EPERM,
	       "PRESERVE_FD in a retrieved session before FINISH");
	expect(finish(sfd, 1), EINVAL, "FINISH with reserved 1");
	expect(finish(sfd, 0), 0, "FINISH");
	expect(preserve(sfd, memfd("luo-test-after-finish", 4096), token + 1), 0,
	       "PRESERVE_FD in a retrieved session after FINISH");
	return KSFT_PASS;
}

/* create-incoming-name NAME: a session not yet retrieved keeps its name. */
static int t_create_incoming_name(int argc, char **argv)
{
	int dev = open_dev(), fd;

	expect(create_session(dev, argv[1], &fd), EEXIST,
	       "CREATE_SESSION %s, the name of a session not yet retrieved", argv[1]);
	return KSFT_PASS;
}

/* The huge page size of a file of hugetlbfs, 0 for any other file. */
static off_t hugetlb_page(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		fail("fstatfs: %s", ename(errno));
	return (unsigned int)sf.f_type == HUGETLBFS_MAGIC_NR ? sf.f_bsize : 0;
}

/*
 * restored FILE...: retrieved memfds are ordinary memfds again. A hugetlbfs
 * one grows by a huge page and has a hole punched there, which needs no
 * free page: the next kernel's pool may have none.
 */
static int t_restored(int argc, char **argv)
{
	char link[64], target[PATH_MAX];
	off_t size, grow;
	ssize_t n;
	int i, fd, mode;

	for (i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			fail("open %s: %s", argv[i], ename(errno));
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		if (strncmp(target, "/memfd:", 7))
			fail("%s is %s, not a memfd", argv[i], target);
		size = file_size(fd);
		grow = hugetlb_page(fd);
		mode = grow ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : 0;
		if (!grow)
			grow = 1 << 20;
		expect(err_of(ftruncate(fd, size + grow)), 0, "%s: ftruncate to grow",
		       argv[i]);
		expect(err_of(fallocate(fd, mode, size, grow)), 0, "%s: fallocate%s", argv[i],
		       mode ? " FALLOC_FL_PUNCH_HOLE" : "");
		expect(err_of(ftruncate(fd, size)), 0, "%s: ftruncate back to %lld",
		       argv[i], (long long)size);
		close(fd);
	}
	return KSFT_PASS;
}

/*
 * preserve-fault N: PRESERVE_FD of a filled 8 MiB memfd with the N-th
 * allocation of the call failing (/proc/thread-self/fail-nth; failslab
 * and fail_page_alloc must be set up). Exit 0 when no allocation failed
 * (N is past the last one), 5 when one failed and the call worked anyway
 * (a fallback), 3 when the call failed and left everything as it was: the
 * memfd is not frozen, its data is intact, and the same PRESERVE_FD then
 * works; 1 otherwise.
 */
static int t_preserve_fault(int argc, char **argv)
{
	const off_t size = 8 << 20;
	int dev = open_dev(), sfd = session(dev, "luo-test-fault");
	int m = memfd("luo-test-fault", size);
	int nth_fd, err, left;
	char buf[4096], nth[16];
	off_t off;

	memset(buf, 0x5a, sizeof(buf));
	for (off = 0; off < size; off += sizeof(buf))
		if (pwrite(m, buf, sizeof(buf), off) != sizeof(buf))
			fail("fill: %s", ename(errno));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		return KSFT_SKIP;
	snprintf(nth, sizeof(nth), "%s", argv[1]);
	if (write(nth_fd, nth, strlen(nth)) < 0)
		fail("fail-nth: %s", ename(errno));
	err = preserve(sfd, m, 1);
	memset(nth, 0, sizeof(nth));
	left = pread(nth_fd, nth, sizeof(nth) - 1, 0) > 0 ? atoi(nth) : -1;
	if (write(nth_fd, "0", 1) < 0)
		fail("fail-nth reset: %s", ename(errno));
	if (!err)
		return left > 0 ? KSFT_PASS : 5;
	printf("luo_test: PRESERVE_FD with allocation %s failing: %s\n", argv[1], ename(err));
	expect(err_of(ftruncate(m, size + 4096)), 0, "ftruncate after the failed PRESERVE_FD");
	expect(err_of(ftruncate(m, size)), 0, "ftruncate back");
	for (off = 0; off < size; off += sizeof(buf)) {
		char back[4096];

		if (pread(m, back, sizeof(back), off) != sizeof(back) ||
		    memcmp(back, buf, sizeof(buf)))
			fail("data changed at %lld after the failed PRESERVE_FD", (long long)off);
	}
	expect(preserve(sfd, m, 1), 0, "PRESERVE_FD again, without faults");
	return 3;
}

/* Shmem of /proc/meminfo, in kB. */
static long shmem_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		fail("/proc/meminfo: %s", ename(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		fail("no Shmem in /proc/meminfo");
	return kb;
}

/* The 4 KiB of @fd at @off hold luoctl's pattern of @seed. */
static void check_page(int fd, off_t off, __u64 seed, const char *what)
{
	__u64 buf[4096 / 8];
	size_t i;

	if (pread(fd, buf, sizeof(buf), off) != sizeof(buf))
		fail("%s: read at %lld: %s", what, (long long)off, ename(errno));
	for (i = 0; i < 4096 / 8; i++)
		if (buf[i] != ((off + i * 8) ^ (seed * PATTERN_MUL)))
			fail("%s: word at %lld is 0x%016llx", what,
			     (long long)(off + i * 8), (unsigned long long)buf[i]);
}

static void write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		fail("%s: %s", path, ename(errno));
	close(fd);
}

#define FILL_HOLD "/sys/module/memfd_kho/parameters/fill_hold"

/*
 * fill-later FILE SEED LOSSY LSEED LOST: memfds retrieved while their fill
 * workers wait (memfd_kho.fill_hold=1). Reading 16 pages spread over FILE
 * puts 16 pages in, not the file (Shmem grows by less than 4 MiB); LOSSY
 * (pattern LSEED) reads EIO at page LOST, whose record was damaged, and
 * its neighbours are fine. Once the workers go on: SEEK_DATA (which waits
 * for the fill) finds data at 0, FILE holds its whole pattern, a punched
 * hole reads as zeroes; LOSSY keeps EIO at LOST, the rest of it is intact,
 * and it can be truncated.
 */
static int t_fill_later(int argc, char **argv)
{
	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	int lossy = open(argv[3], O_RDWR | O_CLOEXEC);
	const off_t page = sysconf(_SC_PAGESIZE);
	__u64 seed, lseed, lost;
	off_t size, lsize, off;
	long kb0, grown;
	char buf[4096];
	int i;

	if (fd < 0 || lossy < 0)
		fail("open: %s", ename(errno));
	if (!parse_u64(argv[2], &seed) || !parse_u64(argv[4], &lseed) ||
	    !parse_u64(argv[5], &lost))
		fail("bad SEED, LSEED or LOST");
	size = file_size(fd);
	lsize = file_size(lossy);
	kb0 = shmem_kb();
	for (i = 0; i < 16; i++) {
		off = (size / 16 * i + (off_t)i * page) & ~(page - 1);
		check_page(fd, off, seed, "while filling");
	}
	grown = shmem_kb() - kb0;
	printf("luo_test: 16 pages read while filling: Shmem grew by %ld kB\n", grown);
	if (grown >= 4096)
		fail("reading 16 pages grew Shmem by %ld kB: the file was filled at once",
		     grown);
	expect(err_of(pread(lossy, buf, sizeof(buf), lost * page)), EIO,
	       "read of the lost page while filling");
	check_page(lossy, (lost + 1) * page, lseed, "after the lost page");

	write_param(FILL_HOLD, "0");
	expect(err_of(lseek(fd, 0, SEEK_DATA)), 0, "SEEK_DATA");
	verify_pattern(fd, seed);
	expect(err_of(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				1 << 20, 1 << 20)), 0, "punch a hole");
	if (pread(fd, buf, sizeof(buf), 1 << 20) != sizeof(buf))
		fail("read of the hole: %s", ename(errno));
	for (i = 0; i < (int)sizeof(buf); i++)
		if (buf[i])
			fail("the punched hole is not zeroes");
	for (off = 0; off < lsize; off += 4096)
		if (off / page != (off_t)lost)
			check_page(lossy, off, lseed, "after the fill");
	expect(err_of(pread(lossy, buf, sizeof(buf), lost * page)), EIO,
	       "read of the lost page after the fill");
	expect(err_of(ftruncate(lossy, 0)), 0, "truncate of the lossy file");
	return KSFT_PASS;
}

struct test_case {
	const char *name;
	int (*fn)(int argc, char **argv);
	int min_args;	/* after the case name */
	int max_args;
	const char *args;
};

static const struct test_case cases[] = {
	{ "dev-busy", t_dev_busy, 0, 0, "" },
	{ "not-root", t_not_root, 0, 0, "" },
	{ "unknown-ioctl", t_unknown_ioctl, 0, 0, "" },
	{ "size-small", t_size_small, 0, 0, "" },
	{ "size-big-zero-tail", t_size_big_zero_tail, 0, 0, "" },
	{ "size-big-nonzero-tail", t_size_big_nonzero_tail, 0, 0, "" },
	{ "bad-pointer", t_bad_pointer, 0, 0, "" },
	{ "name-unterminated", t_name_unterminated, 0, 0, "" },
	{ "name-empty", t_name_empty, 0, 0, "" },
	{ "name-dup", t_name_dup, 0, 0, "" },
	{ "get-name", t_get_name, 0, 0, "" },
	{ "finish-reserved", t_finish_reserved, 0, 0, "" },
	{ "finish-outgoing", t_finish_outgoing, 0, 0, "" },
	{ "preserve-bad-fd", t_preserve_bad_fd, 0, 0, "" },
	{ "preserve-pipe", t_preserve_pipe, 0, 0, "" },
	{ "preserve-devnull", t_preserve_devnull, 0, 0, "" },
	{ "preserve-tmpfs", t_preserve_tmpfs, 0, 0, "" },
	{ "preserve-session", t_preserve_session, 0, 0, "" },
	{ "preserve-hugetlb", t_preserve_hugetlb, 0, 0, "" },
	{ "preserve-twice", t_preserve_twice, 0, 0, "" },
	{ "token-reuse", t_token_reuse, 0, 0, "" },
	{ "frozen", t_frozen, 0, 0, "" },
	{ "drop-on-close", t_drop_on_close, 0, 0, "" },
	{ "retrieve-missing", t_retrieve_missing, 0, 0, "" },
	{ "retrieve-twice", t_retrieve_twice, 2, 5,
	  " SESSION TOKEN [seals=LIST] [fill=SEED] [size=BYTES]" },
	{ "create-incoming-name", t_create_incoming_name, 1, 1, " NAME" },
	{ "restored", t_restored, 1, 64, " FILE..." },
	{ "preserve-fault", t_preserve_fault, 1, 1, " N" },
	{ "fill-later", t_fill_later, 5, 5, " FILE SEED LOSSY LSEED LOST" },
};

#define NR_CASES ARRAY_SIZE(cases)

static void show_usage(FILE *f, int status)
{
	size_t i;

	fprintf(f, "usage: luo_test CASE [ARG...]; exit 0 pass, 1 fail, 4 skip\ncases:\n");
	for (i = 0; i < NR_CASES; i++)
		fprintf(f, "  %s%s\n", cases[i].name, cases[i].args);
	exit(status);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		show_usage(stderr, 2);
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		show_usage(stdout, 0);
	for (i = 0; i < NR_CASES; i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		if (argc - 2 < cases[i].min_args || argc - 2 > cases[i].max_args)
			show_usage(stderr, 2);
		case_name = cases[i].name;
		setvbuf(stdout, NULL, _IOLBF, 0);
		return cases[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "luo_test: unknown case %s\n", argv[1]);
	show_usage(stderr, 2);
}
