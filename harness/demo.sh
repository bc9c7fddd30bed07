#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, DEMO=vm (the default): boot the x86_64 kernel under QEMU with
# kho=on; in it, an unmodified QEMU runs a small VM (tickvm) whose RAM is
# a memfd preserved through /dev/liveupdate; the VM is stopped, its device
# state saved, the guest kexecs (kexec -s) into the next kernel, where a
# new QEMU takes the same memory back and the VM goes on ticking; the
# blackout and the bytes kept in place against copied are printed
# (tests/demo_vm.sh).
# DEMO=ftrace: boot with a trace instance preserved across kexec
# (trace_instance=kt^kho); a small workload writes markers, the guest
# kexecs into the next kernel, which prints the previous kernel's last
# records with trace-cmd, the kexec path included, and a summary of what
# the handover carried (tests/demo_ftrace.sh).
# Then tell what happened from the serial log.
# DEMO_ARCH=arm64 shows the ftrace story on arm64 (the VM story is x86_64
# only); DEMO_SCENARIO=kho_basic shows the test client preserving memory
# over three handovers, kexec_basic a plain kexec; DEMO_MACHINE=host runs
# it on the UEFI, 6 GiB, NUMA guest with crashkernel= (see vmtest.sh -M).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${DEMO_ARCH:-x86_64}
story=${DEMO:-vm}
[ "$arch" = x86_64 ] || story=${DEMO:-ftrace}
case "$story" in
vm | ftrace) ;;
*) die "DEMO=$story: vm or ftrace" ;;
esac
[ "$story" = ftrace ] || [ "$arch" = x86_64 ] || die "DEMO=$story: x86_64 only"
scenario=${DEMO_SCENARIO:-demo_$story}
machine=${DEMO_MACHINE:-small}
log=$OUT/logs/demo-$arch.log
mkdir -p "$OUT/logs"
[ -f "$TOP/tools/testing/selftests/kho/tests/$scenario.sh" ] || die "no scenario $scenario"
# The VM scenarios run on the initramfs with QEMU in it.
initramfs=$OUT/initramfs-$arch.cpio
mkinitramfs=("$TOP/harness/mkinitramfs.sh")
if grep -q '^# khotest-initramfs: vm' "$TOP/tools/testing/selftests/kho/tests/$scenario.sh"; then
	initramfs=$OUT/initramfs-$arch-vm.cpio
	mkinitramfs+=(--vm)
fi

note "building the $arch kernel and guest initramfs (incremental after the first run)"
"$TOP/harness/build.sh" "$arch" > "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "build failed"; }
"${mkinitramfs[@]}" "$arch" "$(arch_image "$arch")" "$initramfs" \
	>> "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "initramfs failed"; }

note "booting generation 0 under QEMU ($scenario, $machine machine); each generation kexecs into the next"
rc=0
"$TOP/tools/testing/selftests/kho/vmtest.sh" -a "$arch" -M "$machine" -k "$(arch_image "$arch")" \
	-i "$initramfs" -t "$scenario" -l "$log" > "$log.ktap" || rc=$?

echo
echo "What the guest went through (from ${log#"$TOP"/}):"
gen=0
tr -d '\r' < "$log" | while IFS= read -r line; do
	case "$line" in
	*"Linux version "*)
		echo
		echo "--- kernel generation $gen boots: ${line#*Linux version }" | cut -c1-110
		gen=$((gen + 1)) ;;
	*"Kernel command line: "*)
		echo "    command line: ${line#*ommand line: }" ;;
	*"] DEMO: "*)
		echo "  > ${line#*] DEMO: }" | cut -c1-150 ;;
	*"] kho: "* | *"] test_kho: "* | *"] tracing: kho: "*)
		echo "    kernel: ${line#*] }" | cut -c1-110 ;;
	*"KHOTEST: "*)
		echo "    test:   ${line#*KHOTEST: }" | cut -c1-110 ;;
	esac
done
echo
echo "Result (KTAP):"
cat "$log.ktap"
exit $rc
