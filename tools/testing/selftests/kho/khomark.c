// SPDX-License-Identifier: GPL-2.0
/*
 * khomark: log the cycle counter from user space, for the kexec blackout.
 *
 * The kernel logs the same counter (the TSC on x86_64, the virtual counter
 * on arm64) at each step of kexec -e and at its boot milestones when booted
 * with initcall_debug. kexec does not reset it, so the marks of user space
 * and of both kernels are on one time line.
 *
 *   khomark NAME    log "khomark: NAME cycles=N" to /dev/kmsg, and N to stdout
 *   khomark NAME SEC USEC
 *                   the same for a moment of the last ten seconds, given
 *                   as CLOCK_REALTIME (the time stamp of a QMP event, say):
 *                   N is the counter's value then, worked out from two
 *                   readings of both clocks 10 ms apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC	1000000000LL
#define PAST_MAX_NS	(10 * NSEC_PER_SEC)

static uint64_t cycles(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
#else
#error "khomark: no cycle counter for this architecture"
#endif
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * The counter's value at CLOCK_REALTIME @at_ns, in the past: its rate is
 * taken over a 10 ms sleep, both of its readings inside the two of the
 * clock.
 */
static int cycles_at(int64_t at_ns, uint64_t *val)
{
	struct timespec pause = { 0, 10000000 };
	uint64_t c0, c1;
	int64_t t0, t1, ago;

	t0 = realtime_ns();
	c0 = cycles();
	nanosleep(&pause, NULL);
	c1 = cycles();
	t1 = realtime_ns();
	ago = t0 - at_ns;
	if (ago < 0 || ago > PAST_MAX_NS || t1 <= t0 || c1 <= c0)
		return -1;
	*val = c0 - (uint64_t)((double)ago * (double)(c1 - c0) / (double)(t1 - t0));
	return 0;
}

static int mark(const char *name, uint64_t now, const char *at)
{
	char line[256];
	int fd, len, ret = 0;

	len = snprintf(line, sizeof(line), "khomark: %s cycles=%llu%s%s\n", name,
		       (unsigned long long)now, at ? " at realtime " : "",
		       at ? at : "");
	if (len < 0 || len >= (int)sizeof(line)) {
		fprintf(stderr, "khomark: name too long\n");
		return 1;
	}
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, line, len) != len) {
		fprintf(stderr, "khomark: /dev/kmsg: %s\n", strerror(errno));
		ret = 1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	char at[48];
	uint64_t now;

	if (argc == 2 && argv[1][0] != '-') {
		now = cycles();
		if (mark(argv[1], now, NULL))
			return 1;
		printf("%llu\n", (unsigned long long)now);
		return 0;
	}
	if (argc == 4 && argv[1][0] != '-') {
		char *end1, *end2;
		long long sec = strtoll(argv[2], &end1, 10);
		long long usec = strtoll(argv[3], &end2, 10);

		if (*end1 || *end2 || end1 == argv[2] || end2 == argv[3] ||
		    sec < 0 || usec < 0 || usec >= 1000000) {
			fprintf(stderr, "khomark: bad time %s %s\n", argv[2], argv[3]);
			return 2;
		}
		if (cycles_at(sec * NSEC_PER_SEC + usec * 1000, &now)) {
			fprintf(stderr, "khomark: %s.%06lld is not of the last 10 s\n",
				argv[2], usec);
			return 1;
		}
		snprintf(at, sizeof(at), "%lld.%06lld", sec, usec);
		if (mark(argv[1], now, at))
			return 1;
		printf("%llu\n", (unsigned long long)now);
		return 0;
	}
	fprintf(stderr, "usage: khomark NAME [SEC USEC]\n");
	return 2;
}
