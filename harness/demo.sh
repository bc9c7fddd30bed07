#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: boot the x86_64 kernel under QEMU, kexec into the next kernel
# from inside the guest, and tell what happened from the serial log.
# DEMO_ARCH=arm64 shows the same on arm64.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${DEMO_ARCH:-x86_64}
log=$OUT/logs/demo-$arch.log
mkdir -p "$OUT/logs"

note "building the $arch kernel and guest initramfs (incremental after the first run)"
"$TOP/harness/build.sh" "$arch" > "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "build failed"; }
"$TOP/harness/mkinitramfs.sh" "$arch" >> "$OUT/logs/demo-build-$arch.log" 2>&1 ||
	{ tail -n 30 "$OUT/logs/demo-build-$arch.log"; die "initramfs failed"; }

note "booting generation 0 under QEMU; the guest kexecs into generation 1"
rc=0
"$TOP/tools/testing/selftests/kho/vmtest.sh" -a "$arch" -k "$(arch_image "$arch")" \
	-i "$OUT/initramfs-$arch.cpio" -t kexec_basic -l "$log" > "$log.ktap" || rc=$?

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
	*"KHOTEST: "*)
		echo "    ${line#*KHOTEST: }" ;;
	esac
done
echo
echo "Result (KTAP):"
cat "$log.ktap"
exit $rc
