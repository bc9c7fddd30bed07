#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: boot the x86_64 kernel under QEMU with kho=on; the KHO test
# client preserves 16 MiB of memory and a blob; the guest kexecs into the
# next kernel, which restores and verifies everything and hands it on
# again, for three handovers; the last kernel boots with kho=off. Then tell
# what happened from the serial log.
# DEMO_ARCH=arm64 shows the same on arm64; DEMO_SCENARIO=kexec_basic shows
# a plain kexec; DEMO_MACHINE=host runs it on the UEFI, 6 GiB, NUMA guest
# with crashkernel= (see vmtest.sh -M).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${DEMO_ARCH:-x86_64}
scenario=${DEMO_SCENARIO:-kho_basic}
machine=${DEMO_MACHINE:-small}
log=$OUT/logs/demo-$arch.log
mkdir -p "$OUT/logs"

note "building the $arch kernel and guest initramfs (incremental after the first run)"
"$TOP/harness/build.sh" "$arch" > "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "build failed"; }
"$TOP/harness/mkinitramfs.sh" "$arch" >> "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "initramfs failed"; }

note "booting generation 0 under QEMU ($scenario, $machine machine); each generation kexecs into the next"
rc=0
"$TOP/tools/testing/selftests/kho/vmtest.sh" -a "$arch" -M "$machine" -k "$(arch_image "$arch")" \
	-i "$OUT/initramfs-$arch.cpio" -t "$scenario" -l "$log" > "$log.ktap" || rc=$?

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
	*"] kho: "* | *"] test_kho: "*)
		echo "    kernel: ${line#*] }" | cut -c1-110 ;;
	*"KHOTEST: "*)
		echo "    test:   ${line#*KHOTEST: }" | cut -c1-110 ;;
	esac
done
echo
echo "Result (KTAP):"
cat "$log.ktap"
exit $rc
