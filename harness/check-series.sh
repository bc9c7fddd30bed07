#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Apply out/series with git am on the pristine base and, after every patch,
# build x86_64 and arm64 and boot each kernel to user space under QEMU:
# each patch of the series must build and boot on its own. Every patch is
# built with the selftest configuration, as far as the series up to it can
# satisfy it (KHO itself needs the core and the architecture patches).
#
# The boot: the guest initramfs of the tests (built from the prepared tree
# if missing) with rdinit=/bin/busybox, which prints its help and exits, so
# the kernel reaches user space ("Run /bin/busybox as init process"), panics
# on the exit of init and QEMU stops (-no-reboot). The command line has
# kho=on: once the series has KHO, its boot-time set-up runs. The log must
# have no oops, BUG or WARNING before that line.
#
# CHECK_ARCHS="x86_64 arm64" (the default) picks the architectures;
# CHECK_BOOT=0 only builds; CHECK_ONLY="7 8" checks only those patches
# (the others are applied, not built).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

work=$OUT/series-check
archs=${CHECK_ARCHS:-x86_64 arm64}
boot=${CHECK_BOOT:-1}
[ -f "$OUT/series/0000-cover-letter.patch" ] || die "no series: run make series"

if [ ! -e "$work/.git" ]; then
	rm -rf "$work"
	tgit worktree prune
	tgit worktree add -q --detach "$work" base
fi
wgit() { git -C "$work" "$@"; }
wgit am --abort >/dev/null 2>&1 || true
wgit checkout -q -f --detach base
wgit clean -q -fdx

# The initramfs of each architecture, from the prepared tree's test kernel.
if [ "$boot" = 1 ]; then
	for a in $archs; do
		[ -f "$(arch_initramfs "$a")" ] && continue
		note "building the $a initramfs for the boots"
		"$TOP/harness/build.sh" "$a" > "$OUT/logs/check-series-initramfs-$a.log" 2>&1 &&
			"$TOP/harness/mkinitramfs.sh" "$a" "$(arch_image "$a")" \
				>> "$OUT/logs/check-series-initramfs-$a.log" 2>&1 ||
			die "no $a initramfs: see $OUT/logs/check-series-initramfs-$a.log"
	done
fi

# boot_check ARCH IMAGE LOG: boot to user space, see the header.
boot_check() {
	local arch=$1 image=$2 log=$3 qemu machine console

	case "$arch" in
	x86_64) qemu=qemu-system-x86_64 machine="-M pc" console=ttyS0 ;;
	arm64) qemu=qemu-system-aarch64 machine="-M virt -cpu cortex-a72" console=ttyAMA0 ;;
	esac
	# shellcheck disable=SC2086
	timeout 300 "$qemu" $machine -m 1G -nographic -no-reboot \
		-kernel "$image" -initrd "$(arch_initramfs "$arch")" \
		-append "console=$console rdinit=/bin/busybox panic=-1 ignore_loglevel kho=on" \
		> "$log" 2>&1 || true
	sed -n '1,/Run \/bin\/busybox as init process/p' "$log" > "$log.boot"
	grep -q 'Run /bin/busybox as init process' "$log.boot" &&
		! grep -qE 'Oops|BUG:|WARNING:|Kernel panic' "$log.boot"
}

i=0
for p in "$OUT"/series/[0-9][0-9][0-9][0-9]-*.patch; do
	case "$p" in *0000-cover-letter.patch) continue ;; esac
	i=$((i + 1))
	wgit -c user.name=check -c user.email=check@localhost am -q "$p" || die "git am failed on $(basename "$p")"
	if [ -n "${CHECK_ONLY:-}" ] && ! printf ' %s ' $CHECK_ONLY | grep -q " $i "; then
		continue
	fi
	for a in $archs; do
		obj=$OUT/build/series-$a
		log=$OUT/logs/check-series-$i-$a.log
		note "[$i] $(wgit log -1 --format=%s): building $a"
		# Configure again: the symbols this patch adds must be turned on.
		rm -f "$obj/kho.config"
		KHO_CONFIG_DIR=$TOP/tools/testing/selftests/kho KHO_CONFIG_STRICT=0 \
			"$TOP/harness/build.sh" "$a" "$work" "$obj" > "$log" 2>&1 ||
			{ tail -n 30 "$log" >&2; die "$a build fails after $(basename "$p")"; }
		[ "$boot" = 1 ] || continue
		note "[$i] booting $a"
		case "$a" in
		x86_64) image=$obj/arch/x86/boot/bzImage ;;
		arm64) image=$obj/arch/arm64/boot/Image ;;
		esac
		boot_check "$a" "$image" \
			"$OUT/logs/check-series-$i-$a-boot.log" ||
			{ tail -n 30 "$OUT/logs/check-series-$i-$a-boot.log" >&2
			  die "$a kernel does not boot after $(basename "$p")"; }
	done
done
for a in $archs; do
	[ -n "${CHECK_ONLY:-}" ] ||
		grep -q '^CONFIG_KEXEC_HANDOVER=y' "$OUT/build/series-$a/.config" ||
		die "the whole series built without CONFIG_KEXEC_HANDOVER on $a"
done
[ "$boot" = 1 ] && what="build and boot" || what="build"
if [ -n "${CHECK_ONLY:-}" ]; then
	note "all $i patch(es) apply with git am; patch(es) $CHECK_ONLY $what on $archs (the others were not built)"
else
	note "all $i patch(es) apply with git am and $what on $archs"
fi
