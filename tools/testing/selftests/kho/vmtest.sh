#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one KHO selftest scenario in a QEMU guest and report it as KTAP.
#
# The guest (guest/init with tests/NAME.sh) kexecs through the generations
# the scenario declares ("# khotest-generations: N") inside one QEMU
# process. Everything it reports reaches the serial console as lines
# "KHOTEST: ..."; the serial log is kept in a file. The scenario passes when
# every generation came up and reported as many results as the scenario
# declares ("# khotest-results: N0 N1 ..."), no check failed, the last
# generation finished, QEMU exited by itself with status 0, and the kernel
# log shows no oops, BUG, WARNING or panic.
#
# usage: vmtest.sh -a ARCH -k KERNEL -i INITRAMFS -t NAME [options]
#   -M MACHINE  the guest machine (default small):
#               small: 1 GiB, one node; x86_64 -M pc with SeaBIOS, arm64
#                      -M virt booted from a device tree
#               host:  like the hosts KHO is for: UEFI firmware (OVMF with
#                      -M q35; qemu-efi-aarch64, which boots arm64 through
#                      ACPI), 6 GiB (memory above 4 GiB), two NUMA nodes of
#                      which node 1 has a CPU and no memory, crashkernel=256M
#   -c WORDS    extra kernel command line for generation 0
#   -l FILE     serial log (default: out/logs/NAME.ARCH.MACHINE.log of the
#               KHO repository, or $TMPDIR/kho-selftests/ outside one);
#               emptied before the run, QEMU's own output goes to FILE.qemu
#   -m SIZE     guest memory (default: the machine's)
#   -s N        guest CPUs (default 2)
#   -T SECONDS  timeout for the whole run (default: the scenario's
#               "# khotest-timeout: N", else 60 + 60 per generation)
#   -q ARGS     extra QEMU arguments
#   -n N        test number in the enclosing KTAP plan (default 1)
#   -b          break the next kernel on purpose (checks that the runner
#               reports a generation that never comes up)
# Environment: KHO_KVM=1 uses KVM instead of TCG; KHO_TIMEOUT_SCALE=N
# multiplies the default timeout (a debug kernel under TCG is slower).

set -u

ksft_skip=4
arch= kernel= initrd= name= extra= log= mem= smp=2 timeout= qextra= num=1 brk=0
machine_name=small

while getopts "a:k:i:t:M:c:l:m:s:T:q:n:b" opt; do
	case "$opt" in
	a) arch=$OPTARG ;;
	M) machine_name=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	t) name=$OPTARG ;;
	c) extra=$OPTARG ;;
	l) log=$OPTARG ;;
	m) mem=$OPTARG ;;
	s) smp=$OPTARG ;;
	T) timeout=$OPTARG ;;
	q) qextra=$OPTARG ;;
	n) num=$OPTARG ;;
	b) brk=1 ;;
	*) exit 2 ;;
	esac
done

dir=$(cd "$(dirname "$0")" && pwd)
script=$dir/tests/$name.sh
if [ -z "$arch" ] || [ -z "$kernel" ] || [ -z "$initrd" ] || [ ! -f "$script" ]; then
	echo "usage: $0 -a ARCH -k KERNEL -i INITRAMFS -t NAME [options]" >&2
	exit 2
fi
gens=$(sed -n 's/^# khotest-generations: *\([0-9]*\).*/\1/p' "$script")
gens=${gens:-1}
# Results each generation reports, in order.
read -r -a want_results <<< "$(sed -n 's/^# khotest-results: *//p' "$script")"
if [ ${#want_results[@]} != "$gens" ]; then
	echo "$script: khotest-results must give one count per generation ($gens)" >&2
	exit 2
fi
# A scenario that needs longer than the default says so.
if [ -z "$timeout" ]; then
	timeout=$(sed -n 's/^# khotest-timeout: *\([0-9]*\).*/\1/p' "$script")
	[ -z "$timeout" ] || timeout=$((timeout * ${KHO_TIMEOUT_SCALE:-1}))
fi
# Words the scenario wants on the first kernel's command line.
extra="$(sed -n 's/^# khotest-cmdline: *//p' "$script") $extra"
id=$name.$arch.$machine_name
[ $brk = 1 ] && id=$id.broken-next
if [ -z "$log" ]; then
	top=$(cd "$dir/../../../.." && pwd)
	# The KHO repository (or kernel tree prepared by it) has out/;
	# nothing is ever written into the source tree itself.
	if [ -d "$top/out" ] && [ -f "$top/harness/lib.sh" ]; then
		logdir=$top/out/logs
	else
		logdir=${TMPDIR:-/tmp}/kho-selftests
	fi
	mkdir -p "$logdir"
	log=$logdir/$id.log
fi

case "$arch" in
x86_64)
	qemu=qemu-system-x86_64
	console=ttyS0 ;;
arm64)
	qemu=qemu-system-aarch64
	console=ttyAMA0 ;;
*)
	echo "unknown arch $arch" >&2
	exit 2 ;;
esac

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT

# UEFI firmware in flash, as on a real machine; the firmware writes its
# variables, so each run gets a fresh copy of them.
uefi_flash() {
	firmware=$1
	cp "$2" "$tmpdir/vars.fd" 2>/dev/null
	flash="-drive if=pflash,format=raw,readonly=on,file=$1"
	flash="$flash -drive if=pflash,format=raw,file=$tmpdir/vars.fd"
}

firmware=
case "$arch.$machine_name" in
x86_64.small)
	machine="-M pc"
	mem=${mem:-1G} ;;
arm64.small)
	machine="-M virt -cpu cortex-a72"
	mem=${mem:-1G} ;;
x86_64.host)
	uefi_flash /usr/share/OVMF/OVMF_CODE.fd /usr/share/OVMF/OVMF_VARS.fd
	machine="-M q35 $flash"
	mem=${mem:-6G} ;;
arm64.host)
	# qemu-efi-aarch64's AAVMF; it boots arm64 through ACPI.
	uefi_flash /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/AAVMF/AAVMF_VARS.fd
	machine="-M virt -cpu cortex-a72 $flash"
	mem=${mem:-6G} ;;
*)
	echo "unknown machine $machine_name" >&2
	exit 2 ;;
esac
case "$machine_name" in
small) desc="small machine: $mem, 1 node, no UEFI" ;;
host) desc="host machine: UEFI, ${mem:-6G}, 2 nodes (node 1 memoryless), crashkernel=256M" ;;
esac
if [ "$machine_name" = host ]; then
	if [ "$smp" -lt 2 ]; then
		echo "the host machine needs two CPUs, one per node" >&2
		exit 2
	fi
	# One socket per CPU: CPUs of different nodes share no cache.
	smp="$smp,sockets=$smp"
	machine="$machine -object memory-backend-ram,id=m0,size=$mem"
	machine="$machine -numa node,nodeid=0,cpus=0-$((${smp%%,*} - 2)),memdev=m0"
	machine="$machine -numa node,nodeid=1,cpus=$((${smp%%,*} - 1))"
	extra="crashkernel=256M $extra"
	# UEFI firmware under TCG takes its time before the kernel starts.
	timeout=${timeout:-$(((120 + 90 * gens) * ${KHO_TIMEOUT_SCALE:-1}))}
fi
timeout=${timeout:-$(((60 + 60 * gens) * ${KHO_TIMEOUT_SCALE:-1}))}

if ! command -v "$qemu" >/dev/null; then
	echo "ok $num $id # SKIP $qemu not installed"
	exit $ksft_skip
fi
if [ -n "$firmware" ] && [ ! -r "$firmware" ]; then
	echo "ok $num $id # SKIP $firmware not installed"
	exit $ksft_skip
fi

accel="-accel tcg"
[ "${KHO_KVM:-0}" = 1 ] && accel="-accel kvm"

# The ring buffer startup test (CONFIG_RING_BUFFER_STARTUP_TEST) takes 10 s
# of every boot: it runs in the ftracetest guest (ftracetest.sh) only.
cmdline="console=$console panic=-1 initcall_blacklist=test_ringbuffer"
cmdline="$cmdline khotest_name=$name khotest_machine=$machine_name $extra"
[ $brk = 1 ] && cmdline="$cmdline khotest_break=1"

start=$(date +%s)
# No run reads what an earlier one left.
: > "$log"
: > "$log.qemu"
# shellcheck disable=SC2086
timeout --foreground -k 5 "$timeout" "$qemu" $machine $accel -smp "$smp" -m "$mem" \
	-display none -monitor none -no-reboot -serial "file:$log" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" $qextra \
	</dev/null >"$log.qemu" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

results=()
fail=0
add() {
	results+=("$*")
	case "$*" in "not ok"*) fail=1 ;; esac
}

# Guest results, in order, without the console's time stamps.
while IFS= read -r line; do
	case "$line" in
	"ok "* | "not ok "*) add "$line" ;;
	esac
done < <(tr -d '\r' < "$log" | sed -n 's/.*KHOTEST: //p')

# Every generation that ran reports what its scenario declares.
for ((g = 0; g < gens; g++)); do
	got=0
	for r in "${results[@]}"; do
		case "$r" in "ok gen$g: "* | "not ok gen$g: "*) got=$((got + 1)) ;; esac
	done
	if [ "$got" = "${want_results[$g]}" ]; then
		add "ok gen$g reported its ${want_results[$g]} results"
	else
		add "not ok gen$g reported $got results, expected ${want_results[$g]}"
	fi
done

last_done=$(tr -d '\r' < "$log" | sed -n 's/.*KHOTEST: done gen\([0-9]*\).*/\1/p' | tail -n 1)
want=$((gens - 1))
qemu_err=$(grep -v '^$' "$log.qemu" | head -n 5)
if [ $rc = 124 ] || [ $rc = 137 ]; then
	add "not ok timeout: no end after ${timeout}s"
elif [ $rc = 0 ]; then
	add "ok qemu exited with status 0"
else
	add "not ok qemu exited with status $rc${qemu_err:+: $(echo "$qemu_err" | head -n 1)}"
fi
if [ "$last_done" = "$want" ]; then
	add "ok all $gens generation(s) came up and finished"
else
	got=$(tr -d '\r' < "$log" | grep -o 'KHOTEST: ok gen[0-9]*: booted' |
	      tail -n 1 | sed 's/.*gen\([0-9]*\).*/\1/')
	add "not ok generation $want did not finish" \
	    "(last generation that booted: ${got:-none}, qemu status $rc)"
fi
# A scenario that crashes a kernel on purpose (kdump) says so first: the
# panic up to the next kernel's banner is not a failure.
# Allocation failures injected on purpose print a stack trace each: in
# that window only those traces are expected.
oops=$(tr -d '\r' < "$log" |
       awk '/KHOTEST: crashing on purpose/ { skip = 1 } /Linux version/ { skip = 0 }
	    /KHOTEST: faults injected from here/ { inj = 1 }
	    /KHOTEST: faults injected until here/ { inj = 0 }
	    !skip && !(inj && /Call [Tt]race:/)' |
       grep -E -e 'Kernel panic|Oops|BUG:|WARNING:|Call [Tt]race:|UBSAN:|KASAN:' \
	    -e 'blocked for more than|detected stalls' | head -n 5)
if [ -z "$oops" ]; then
	add "ok kernel log has no oops, BUG, WARNING or panic"
else
	add "not ok kernel log has no oops, BUG, WARNING or panic"
fi

echo "    KTAP version 1"
echo "    # $id: $arch, $desc, ${smp%%,*} cpus, $mem, ${elapsed}s, log ${log}"
echo "    1..${#results[@]}"
i=0
for r in "${results[@]}"; do
	i=$((i + 1))
	case "$r" in
	"not ok "*) echo "    not ok $i ${r#not ok }" ;;
	"ok "*) echo "    ok $i ${r#ok }" ;;
	esac
done
[ -z "$qemu_err" ] || echo "$qemu_err" | sed 's/^/    # qemu: /'
if [ $fail = 1 ]; then
	[ -n "$oops" ] && echo "$oops" | sed 's/^/    # /'
	echo "    # last lines of the serial log:"
	tr -d '\r' < "$log" | tail -n 15 | sed 's/^/    # /'
	echo "not ok $num $id"
	exit 1
fi
echo "ok $num $id"
exit 0
