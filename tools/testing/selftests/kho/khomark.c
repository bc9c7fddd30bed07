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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int mark(const char *name, uint64_t now)
{
	char line[256];
	int fd, len, ret = 0;

	len = snprintf(line, sizeof(line), "khomark: %s cycles=%llu\n", name,
		       (unsigned long long)now);
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
	if (argc == 2 && argv[1][0] != '-') {
		uint64_t now = cycles();

		if (mark(argv[1], now))
			return 1;
		printf("%llu\n", (unsigned long long)now);
		return 0;
	}
	fprintf(stderr, "usage: khomark NAME\n");
	return 2;
}
