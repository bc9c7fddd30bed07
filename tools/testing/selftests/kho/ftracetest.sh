#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's own ftrace selftests (tools/testing/selftests/ftrace,
# ftracetest) in a QEMU guest (TCG) on a test kernel, and report their counts.
#
# A second cpio archive is appended to the given initramfs: the ftrace
# selftests directory and an /init that replaces the initramfs's own (with
# -S bash also bash and the libraries it needs, from this machine for
# x86_64, from Debian's arm64 packages for arm64). That /init mounts proc, sysfs, tracefs and
# debugfs, runs ftracetest, prints its results to the console as lines
# "FTRACETEST: ..." and powers the guest off.
#
# usage: ftracetest.sh -a ARCH -k KERNEL -i INITRAMFS [options]
#   -a ARCH      x86_64 or arm64
#   -k KERNEL    the kernel image (bzImage, arm64 Image)
#   -i INITRAMFS a busybox-static initramfs (/bin/busybox), such as the KHO
#                selftests' out/initramfs-ARCH.cpio
#   -l FILE      serial log (default: out/logs/ftracetest.ARCH.log of the KHO
#                repository, or $TMPDIR/kho-selftests/ outside one); emptied
#                before the run. FILE.results gets one line per test case,
#                "RESULT [N] description", to compare two runs with diff(1);
#                QEMU's own output goes to FILE.qemu
#   -T SECONDS   timeout of the whole run (default 3600, 600 with -s)
#   -s PATTERNS  run only these test cases: words relative to ftrace's
#                test.d, each a directory, a .tc file or a glob, e.g.
#                "00basic ftrace/func_set_ftrace_file.tc event/*.tc";
#                "-s quick" is the subset for a regular test suite (QUICK
#                below)
#   -S SHELL     the guest shell that runs ftracetest: busybox (default,
#                its ash) or bash. ftracetest and its test cases are POSIX
#                shell; both give the same results, busybox is faster.
#   -F DIR       the ftrace selftests (default: ../ftrace beside this
#                script, else out/linux/tools/testing/selftests/ftrace of
#                the KHO repository)
#   -c WORDS     extra kernel command line
#   -m SIZE      guest memory (default 2G)
#   -n CPUS      guest CPUs (default 2)
#   -v           also print the guest's whole console output when done
# Environment: KHO_KVM=1 uses KVM instead of TCG.
#
# Prints the ftracetest counts (passed, failed, unresolved, untested,
# unsupported, xfailed, undefined), the test cases that did not pass or
# were not supported, and the slowest ones. Exits 0 when ftracetest ran to
# its end, whatever it counted; 1 when the guest did not finish (timeout,
# crash, no summary); 2 on a usage error; 4 when QEMU is not installed.

set -u

ksft_skip=4

# The quick subset (-s quick), for a regular test suite: the tracing files,
# ring buffer, trace_marker, events, the function tracer with its filters
# and triggers, and instances. It leaves out what takes long under TCG
# (00basic/test_ownership.tc takes 20-35 s) and what needs modules.
QUICK="00basic/basic[1-4].tc 00basic/ringbuffer_size.tc 00basic/trace_marker.tc
00basic/trace_pipe.tc event/event-enable.tc event/event-pid.tc
ftrace/func-filter-glob.tc ftrace/func-filter-stacktrace.tc
ftrace/func_set_ftrace_file.tc ftrace/func_traceonoff_triggers.tc
instances/instance.tc trigger/trigger-eventonoff.tc"

arch= kernel= initrd= log= timeout= subset= gshell=busybox ftdir= extra= mem=2G
verbose=0 cpus=2

while getopts "a:k:i:l:T:s:S:F:c:m:n:v" opt; do
	case "$opt" in
	a) arch=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	l) log=$OPTARG ;;
	T) timeout=$OPTARG ;;
	s) subset=$OPTARG ;;
	S) gshell=$OPTARG ;;
	F) ftdir=$OPTARG ;;
	c) extra=$OPTARG ;;
	m) mem=$OPTARG ;;
	n) cpus=$OPTARG ;;
	v) verbose=1 ;;
	*) exit 2 ;;
	esac
done

usage() {
	echo "usage: $0 -a ARCH -k KERNEL -i INITRAMFS [-l LOG] [-T TIMEOUT]" \
	     "[-s PATTERNS] [-S bash|busybox] [-F DIR] [-c WORDS] [-m SIZE] [-n CPUS] [-v]" >&2
	exit 2
}
die() { echo "$0: $*" >&2; exit 2; }

[ -n "$arch" ] && [ -n "$kernel" ] && [ -n "$initrd" ] || usage
[ -f "$kernel" ] || die "$kernel: no such kernel image"
[ -f "$initrd" ] || die "$initrd: no such initramfs"
case "$gshell" in bash | busybox) ;; *) usage ;; esac

dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../../../.." && pwd)
# The KHO repository has out/ (with the kernel tree in out/linux); nothing
# is ever written into the source tree itself.
if [ -d "$top/out" ] && [ -f "$top/harness/lib.sh" ]; then
	outdir=$top/out
else
	outdir=
fi
if [ -z "$ftdir" ]; then
	ftdir=$dir/../ftrace
	[ -x "$ftdir/ftracetest" ] ||
		ftdir=${outdir:-/nonexistent}/linux/tools/testing/selftests/ftrace
fi
[ -x "$ftdir/ftracetest" ] || die "no ftracetest found (give its directory with -F)"
ftdir=$(cd "$ftdir" && pwd)

case "$arch" in
x86_64)
	qemu=qemu-system-x86_64
	machine="-M pc"
	console=ttyS0
	sysroot=
	libdirs="/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64" ;;
arm64)
	qemu=qemu-system-aarch64
	machine="-M virt -cpu cortex-a72"
	console=ttyAMA0
	# Debian's arm64 packages, downloaded once (as harness/mkinitramfs.sh).
	debs=${outdir:+$outdir/debs/arm64}
	debs=${debs:-${TMPDIR:-/tmp}/kho-selftests/debs/arm64}
	sysroot=$debs/root
	libdirs="$sysroot/lib/aarch64-linux-gnu $sysroot/usr/lib/aarch64-linux-gnu $sysroot/lib" ;;
*)
	die "unknown arch $arch" ;;
esac

if [ -z "$log" ]; then
	if [ -n "$outdir" ]; then
		logdir=$outdir/logs
	else
		logdir=${TMPDIR:-/tmp}/kho-selftests
	fi
	mkdir -p "$logdir"
	log=$logdir/ftracetest.$arch.log
fi

# The test cases to run, as paths relative to the ftrace directory.
cases=
if [ -n "$subset" ]; then
	[ "$subset" = quick ] && subset=$QUICK
	for pat in $subset; do
		pat=${pat#test.d/}
		found=0
		for p in "$ftdir"/test.d/$pat; do
			[ -e "$p" ] || continue
			cases="$cases test.d/${p#"$ftdir"/test.d/}"
			found=1
		done
		[ $found = 1 ] || die "-s: no test case matches $pat"
	done
fi
timeout=${timeout:-$([ -n "$subset" ] && echo 600 || echo 3600)}

if ! command -v "$qemu" >/dev/null; then
	echo "ftracetest: SKIP $qemu not installed"
	exit $ksft_skip
fi

needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
interp() { readelf -l "$1" 2>/dev/null | sed -n 's/.*program interpreter: \(.*\)\]/\1/p'; }

find_lib() {
	local d
	for d in $libdirs; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

# All shared objects an ELF file needs, transitively; unresolved names are
# printed as "missing:NAME".
lib_closure() {
	local -A seen=()
	local queue=("$@") f l p
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for l in $(needed "$f"); do
			[ -n "${seen[$l]:-}" ] && continue
			seen[$l]=1
			if p=$(find_lib "$l"); then
				echo "$p"
				queue+=("$(readlink -f "$p")")
			else
				echo "missing:$l"
			fi
		done
	done
}

# bash of Debian's arm64 packages, with the libraries it needs.
fetch_arm64_bash() {
	local pkg
	mkdir -p "$sysroot" || return 1
	for pkg in bash libtinfo6 libc6; do
		(cd "$debs" && { ls "${pkg}"_*_arm64.deb >/dev/null 2>&1 ||
			apt-get download -q "$pkg:arm64" >/dev/null 2>&1; }) ||
			{ echo "cannot download $pkg:arm64 (is arm64 a foreign" \
			       "architecture of dpkg?)" >&2; return 1; }
	done
	for pkg in "$debs"/*.deb; do
		[ -f "$pkg.x" ] || { dpkg-deb -x "$pkg" "$sysroot" && touch "$pkg.x"; } ||
			return 1
	done
}

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
stage=$tmpdir/stage
mkdir -p "$stage/bin" "$stage/etc"

# bash: the guest's shell for ftracetest, at /bin/bash.
if [ "$gshell" = bash ]; then
	if [ "$arch" = arm64 ]; then
		bash_bin=$sysroot/bin/bash
		[ -e "$bash_bin" ] || bash_bin=$sysroot/usr/bin/bash
		if [ ! -e "$bash_bin" ]; then
			fetch_arm64_bash || exit 2
			bash_bin=$sysroot/bin/bash
			[ -e "$bash_bin" ] || bash_bin=$sysroot/usr/bin/bash
		fi
	else
		bash_bin=$(readlink -f "$(command -v bash)")
	fi
	[ -e "$bash_bin" ] || die "no bash for $arch"
	cp -L "$bash_bin" "$stage/bin/bash"
	ldso=$(interp "$bash_bin")
	[ -n "$ldso" ] || die "cannot read the interpreter of $bash_bin"
	for l in "$sysroot$ldso" $(lib_closure "$bash_bin" | sort -u); do
		case "$l" in missing:*) die "bash needs ${l#missing:}, not found" ;; esac
		rel=${l#"$sysroot"}
		rel=/${rel#/}
		mkdir -p "$stage/$(dirname "$rel")"
		cp -L "$l" "$stage/$rel"
	done
fi

mkdir -p "$stage/ftrace"
cp -r "$ftdir/." "$stage/ftrace/"
rm -rf "$stage/ftrace/logs"
echo "$cases" > "$stage/etc/ftracetest-cases"
echo "$gshell" > "$stage/etc/ftracetest-shell"
# Users and groups other than root, for the ownership tests.
printf '%s\n' root:x:0:0:root:/tmp:/bin/sh daemon:x:1:1:daemon:/:/bin/false \
	nobody:x:65534:65534:nobody:/:/bin/false > "$stage/etc/passwd"
printf '%s\n' root:x:0: daemon:x:1: nogroup:x:65534: > "$stage/etc/group"

# PID 1 of the guest: runs ftracetest and reports on the console.
cat > "$stage/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
mkdir -p /proc /sys /dev /tmp
mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev 2>/dev/null
mount -t tmpfs none /tmp
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
mount -t debugfs none /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/tmp

say() { echo "FTRACETEST: $*"; }
# Uptime in centiseconds.
now() { read -r up _ < /proc/uptime; echo $((${up%.*} * 100 + 1${up#*.} - 100)); }

shell=$(cat /etc/ftracetest-shell)
cases=$(cat /etc/ftracetest-cases)
if [ "$shell" = bash ]; then
	run="bash ./ftracetest"
else
	run="sh ./ftracetest"
fi
say "start: $(uname -r) $(uname -m), shell $shell${cases:+, cases$cases}"
cd /ftrace
t0=$(now)
last=$t0
# Each result line of ftracetest ends a test case: its time is the time
# since the line before.
{ $run -k -l /tmp/ftlogs $cases 2>&1; echo $? > /tmp/ftracetest.rc; } |
while IFS= read -r line; do
	printf '%s\n' "$line"
	case "$line" in
	"["[0-9]*"]"*"["[A-Z]*"]")
		t=$(now)
		echo "$((t - last)) ${line%"	["*}" >> /tmp/times
		last=$t ;;
	esac
done
t1=$(now)
rc=$(cat /tmp/ftracetest.rc 2>/dev/null)
flog=/tmp/ftlogs/ftracetest.log
sed -n 's/^\(\[[0-9]*\].*\)	\[\([A-Z]*\)\]$/\2 \1/p' "$flog" 2>/dev/null > /tmp/results
# The end of the log of each test case that failed or was not resolved.
grep -v -e '^PASS ' -e '^UNSUPPORTED ' -e '^UNTESTED ' -e '^XFAIL ' /tmp/results |
while IFS= read -r r; do
	n=${r#*[}
	for f in /tmp/ftlogs/"${n%%]*}"-*-log.*; do
		[ -f "$f" ] || continue
		echo "---- $r: the end of its log $(head -n 1 "$f")"
		tail -n 25 "$f" | cut -c 1-200
	done
done
while IFS= read -r r; do say "result $r"; done < /tmp/results
sort -rn /tmp/times 2>/dev/null | head -n 15 |
while read -r cs name; do
	say "slow $((cs / 100)).$((cs / 10 % 10))s $name"
done
count() { sed -n "s/^# of $1: *//p" "$flog" 2>/dev/null | tr -d ' '; }
say "summary passed=$(count passed) failed=$(count failed)" \
    "unresolved=$(count unresolved) untested=$(count untested)" \
    "unsupported=$(count unsupported) xfailed=$(count xfailed)" \
    "undefined=$(count 'undefined(test bug)') rc=${rc:-none}" \
    "seconds=$(((t1 - t0) / 100))"
say done
sync
poweroff -f
sleep 10
reboot -f
EOF
chmod 755 "$stage/init"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --quiet --owner=0:0) > "$tmpdir/ftrace.cpio" ||
	die "cannot build the ftrace archive"
# The kernel unpacks both archives in turn; this /init replaces the first's.
cat "$initrd" "$tmpdir/ftrace.cpio" > "$tmpdir/initrd.cpio"

accel="-accel tcg"
[ "${KHO_KVM:-0}" = 1 ] && accel="-accel kvm"
cmdline="console=$console panic=-1 $extra"

echo "ftracetest: $arch, kernel $kernel, ${cases:+cases$cases, }shell $gshell," \
     "timeout ${timeout}s, log $log" >&2
start=$(date +%s)
: > "$log"
: > "$log.qemu"
# shellcheck disable=SC2086
timeout --foreground -k 5 "$timeout" "$qemu" $machine $accel -m "$mem" -smp "$cpus" \
	-nographic -monitor none -serial "file:$log" -no-reboot \
	-kernel "$kernel" -initrd "$tmpdir/initrd.cpio" -append "$cmdline" \
	</dev/null >"$log.qemu" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

[ $verbose = 1 ] && tr -d '\r' < "$log"

guest() { tr -d '\r' < "$log" | sed -n 's/.*FTRACETEST: //p'; }
guest | sed -n 's/^result //p' > "$log.results"
summary=$(guest | sed -n 's/^summary //p' | tail -n 1)
finished=0
guest | grep -qx 'done' && [ -n "$summary" ] && finished=1

echo "ftracetest on $arch: ${elapsed}s (wall), qemu status $rc"
if [ -n "$summary" ]; then
	# passed=N failed=N ... as ftracetest's own "# of passed: N" lines.
	for kv in $summary; do
		case "$kv" in
		rc=* | seconds=*) ;;
		*) echo "# of ${kv%%=*}: ${kv#*=}" ;;
		esac
	done
	echo "summary: $summary"
fi
grep -v '^PASS ' "$log.results" | grep -v '^UNSUPPORTED ' | sed 's/^/  /'
n_unsup=$(grep -c '^UNSUPPORTED ' "$log.results")
[ "$n_unsup" = 0 ] || echo "  ($n_unsup UNSUPPORTED: see $log.results)"
guest | sed -n 's/^slow /  slow: /p' | head -n 10
# The ring buffer startup test (CONFIG_RING_BUFFER_STARTUP_TEST) runs at
# boot; the KHO selftests' own guests skip it (initcall_blacklist).
if tr -d '\r' < "$log" | grep -q 'Ring buffer PASSED!'; then
	echo "ring buffer startup test: passed"
elif tr -d '\r' < "$log" | grep -q 'Running ring buffer tests'; then
	echo "ring buffer startup test: failed"
else
	echo "ring buffer startup test: not run (CONFIG_RING_BUFFER_STARTUP_TEST is off)"
fi
oops=$(tr -d '\r' < "$log" |
       grep -c -E 'Kernel panic|Oops|BUG:|WARNING:|UBSAN:|KASAN:|detected stalls')
[ "$oops" = 0 ] || echo "kernel log: $oops line(s) of panic, Oops, BUG or WARNING"

if [ $finished = 1 ]; then
	echo "ok ftracetest $arch: ftracetest ran to its end (log $log)"
	exit 0
fi
if [ $rc = 124 ] || [ $rc = 137 ]; then
	why="no end after ${timeout}s"
else
	why="the guest stopped before ftracetest's end"
fi
last=$(tr -d '\r' < "$log" | grep -E '^\[[0-9]+\].*	\[[A-Z]+\]$' | tail -n 1)
echo "not ok ftracetest $arch: $why (log $log)"
echo "  last test case that ended: ${last:-none}"
echo "  the last lines of the log:"
tr -d '\r' < "$log" | tail -n 15 | sed 's/^/  # /'
exit 1
