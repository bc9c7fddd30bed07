#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one KHO selftest scenario in a QEMU guest and report it as KTAP.
#
# The guest (guest/init with tests/NAME.sh) kexecs through the generations
# the scenario declares ("# khotest-generations: N") inside one QEMU
# process. Everything it reports reaches the serial console as lines
# "KHOTEST: ..."; the serial log is kept in a file. The scenario passes when
# every generation came up, no check failed, the last generation finished,
# and the kernel log shows no oops, BUG, WARNING or panic.
#
# usage: vmtest.sh -a ARCH -k KERNEL -i INITRAMFS -t NAME [options]
#   -c WORDS    extra kernel command line for generation 0
#   -l FILE     serial log (default: ./NAME.ARCH.log)
#   -m SIZE     guest memory (default 1G)
#   -s N        guest CPUs (default 2)
#   -T SECONDS  timeout for the whole run (default 60 + 60 per generation)
#   -q ARGS     extra QEMU arguments
#   -n N        test number in the enclosing KTAP plan (default 1)
#   -b          break the next kernel on purpose (checks that the runner
#               reports a generation that never comes up)
# Environment: KHO_KVM=1 uses KVM instead of TCG.

set -u

ksft_skip=4
arch= kernel= initrd= name= extra= log= mem=1G smp=2 timeout= qextra= num=1 brk=0

while getopts "a:k:i:t:c:l:m:s:T:q:n:b" opt; do
	case "$opt" in
	a) arch=$OPTARG ;;
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
# Words the scenario wants on the first kernel's command line.
extra="$(sed -n 's/^# khotest-cmdline: *//p' "$script") $extra"
timeout=${timeout:-$((60 + 60 * gens))}
log=${log:-./$name.$arch.log}
id=$name.$arch
[ $brk = 1 ] && id=$id.broken-next

case "$arch" in
x86_64)
	qemu=qemu-system-x86_64
	machine="-M pc"
	console=ttyS0 ;;
arm64)
	qemu=qemu-system-aarch64
	machine="-M virt -cpu cortex-a72"
	console=ttyAMA0 ;;
*)
	echo "unknown arch $arch" >&2
	exit 2 ;;
esac

if ! command -v "$qemu" >/dev/null; then
	echo "not ok $num $id # SKIP $qemu not installed"
	exit $ksft_skip
fi

accel="-accel tcg"
[ "${KHO_KVM:-0}" = 1 ] && accel="-accel kvm"

cmdline="console=$console panic=-1 khotest_name=$name $extra"
[ $brk = 1 ] && cmdline="$cmdline khotest_break=1"

start=$(date +%s)
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

last_done=$(tr -d '\r' < "$log" | sed -n 's/.*KHOTEST: done gen\([0-9]*\).*/\1/p' | tail -n 1)
want=$((gens - 1))
if [ $rc = 124 ] || [ $rc = 137 ]; then
	add "not ok timeout: no end after ${timeout}s"
fi
if [ "$last_done" = "$want" ]; then
	add "ok all $gens generation(s) came up and finished"
else
	got=$(tr -d '\r' < "$log" | grep -o 'KHOTEST: ok gen[0-9]*: booted' |
	      tail -n 1 | sed 's/.*gen\([0-9]*\).*/\1/')
	add "not ok generation $want did not finish" \
	    "(last generation that booted: ${got:-none}, qemu status $rc)"
fi
oops=$(tr -d '\r' < "$log" |
       grep -E 'Kernel panic|Oops|BUG:|WARNING:|Call Trace:|UBSAN:|KASAN:' | head -n 5)
if [ -z "$oops" ]; then
	add "ok kernel log has no oops, BUG, WARNING or panic"
else
	add "not ok kernel log has no oops, BUG, WARNING or panic"
fi

echo "    KTAP version 1"
echo "    # $id: $arch, $smp cpus, $mem, ${elapsed}s, log ${log}"
echo "    1..${#results[@]}"
i=0
for r in "${results[@]}"; do
	i=$((i + 1))
	case "$r" in
	"not ok "*) echo "    not ok $i ${r#not ok }" ;;
	"ok "*) echo "    ok $i ${r#ok }" ;;
	esac
done
if [ $fail = 1 ]; then
	[ -n "$oops" ] && echo "$oops" | sed 's/^/    # /'
	echo "    # last lines of the serial log:"
	tr -d '\r' < "$log" | tail -n 15 | sed 's/^/    # /'
	echo "not ok $num $id"
	exit 1
fi
echo "ok $num $id"
exit 0
