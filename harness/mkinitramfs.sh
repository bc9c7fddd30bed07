#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh [--vm] ARCH [KERNEL_IMAGE [CPIO]]: build
# out/initramfs-ARCH.cpio (or CPIO), the guest userspace of the KHO
# selftests: busybox-static,
# kexec-tools, dtc and trace-cmd (with the libtraceevent plugins) with the
# shared libraries they need, the kernel image to kexec into (/boot/vmlinuz)
# with the modules built beside it, the guest side of
# tools/testing/selftests/kho (/init, /kho, with luo_test built static;
# khomark in /usr/bin),
# tools/liveupdate/luoctl and tools/kho/khoinspect (/usr/bin, static).
#
# x86_64 takes busybox, kexec, dtc and trace-cmd from this machine; arm64
# takes them from Debian's arm64 packages (downloaded once into
# out/debs/arm64).
#
# --vm (x86_64 only; default CPIO out/initramfs-ARCH-vm.cpio): the variant
# for the scenarios that run a VM in the guest ("# khotest-initramfs: vm"):
# on top, this machine's qemu-system-x86_64 with its shared libraries, its
# TCG module and the firmware that -M pc -kernel loads, and the tick VM
# (tools/testing/selftests/kho/vm) as /kho/tickvm.elf. About 60 MiB more,
# which the other scenarios do not carry.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

vm=0
if [ "${1:-}" = --vm ]; then
	vm=1
	shift
fi
arch=${1:?usage: mkinitramfs.sh [--vm] ARCH [KERNEL_IMAGE [CPIO]]}
image=${2:-$(arch_image "$arch")}
kst=$TOP/tools/testing/selftests/kho
variant=
[ $vm = 0 ] || variant=-vm
cpio_out=${3:-$OUT/initramfs-$arch$variant.cpio}
[ $vm = 0 ] || [ "$arch" = x86_64 ] || die "--vm: x86_64 only"

[ -f "$image" ] || die "$image missing: build the $arch kernel first"

case "$arch" in
x86_64)
	sysroot=/
	multiarch=x86_64-linux-gnu
	libdirs="/lib/$multiarch /usr/lib/$multiarch /lib64"
	debarch=amd64 ;;
arm64)
	sysroot=$OUT/debs/arm64/root
	multiarch=aarch64-linux-gnu
	libdirs="$sysroot/lib/$multiarch $sysroot/usr/lib/$multiarch $sysroot/lib"
	debarch=arm64 ;;
*) die "unknown arch $arch" ;;
esac
# libtraceevent loads its event format plugins from here (trace-cmd report).
tep_plugins=usr/lib/$multiarch/traceevent/plugins

needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
interp() { readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p'; }

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

fetch_arm64_userspace() {
	local dir=$OUT/debs/arm64 pkgs=(busybox-static kexec-tools device-tree-compiler libc6
					 trace-cmd libtraceevent1-plugin)
	local miss pkg l round
	mkdir -p "$dir/root"
	for round in 1 2 3 4 5; do
		(cd "$dir" && for pkg in "${pkgs[@]}"; do
			ls "${pkg}"_*_arm64.deb >/dev/null 2>&1 || apt-get download -q "$pkg:arm64" >/dev/null 2>&1 ||
				{ echo "cannot download $pkg:arm64 (is arm64 in dpkg --print-foreign-architectures? run harness/deps.sh)" >&2; exit 1; }
		done)
		for pkg in "$dir"/*.deb; do
			[ -f "$pkg.x" ] || { dpkg-deb -x "$pkg" "$dir/root" && touch "$pkg.x"; }
		done
		miss=$(lib_closure "$dir/root/sbin/kexec" "$dir/root/usr/bin/dtc" \
				   "$dir/root/usr/bin/trace-cmd" "$dir/root/$tep_plugins"/*.so |
		       sed -n 's/^missing://p' | sort -u)
		[ -z "$miss" ] && return 0
		# The host has the same libraries for amd64: ask dpkg who ships them.
		for l in $miss; do
			pkg=$(dpkg -S "*/$l" 2>/dev/null | head -n 1 | cut -d: -f1)
			[ -n "$pkg" ] || die "no package found for $l"
			pkgs+=("$pkg")
		done
	done
	die "could not resolve the libraries of the arm64 guest programs"
}

[ "$arch" = arm64 ] && fetch_arm64_userspace

stage=$(mktemp -d "$OUT/initramfs-$arch.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,boot,kho,etc}
cp "$sysroot/bin/busybox" "$stage/bin/busybox"
kexec_bin=$sysroot/sbin/kexec
[ -e "$kexec_bin" ] || kexec_bin=$sysroot/usr/sbin/kexec
cp "$kexec_bin" "$stage/sbin/kexec"

dtc_bin=$sysroot/usr/bin/dtc
[ -e "$dtc_bin" ] || die "$dtc_bin missing (device-tree-compiler)"
cp "$dtc_bin" "$stage/usr/bin/dtc"

tracecmd_bin=$sysroot/usr/bin/trace-cmd
[ -e "$tracecmd_bin" ] || die "$tracecmd_bin missing (trace-cmd: run harness/deps.sh)"
cp "$tracecmd_bin" "$stage/usr/bin/trace-cmd"
[ -d "$sysroot/$tep_plugins" ] || die "$sysroot/$tep_plugins missing (libtraceevent1-plugin)"
mkdir -p "$stage/$tep_plugins"
cp -L "$sysroot/$tep_plugins"/*.so "$stage/$tep_plugins/"

ldso=$(interp "$kexec_bin")
[ -n "$ldso" ] || die "cannot read the interpreter of $kexec_bin"
mkdir -p "$stage/$(dirname "$ldso")"
cp -L "$sysroot/$ldso" "$stage/$ldso"
for l in $(lib_closure "$kexec_bin" "$dtc_bin" "$tracecmd_bin" \
			"$sysroot/$tep_plugins"/*.so | sort -u); do
	case "$l" in missing:*) die "a guest program needs ${l#missing:}, not found" ;; esac
	rel=${l#"$sysroot"}
	rel=/${rel#/}
	mkdir -p "$stage/$(dirname "$rel")"
	cp -L "$l" "$stage/$rel"
done

cp "$image" "$stage/boot/vmlinuz"
# A second kernel with another page size, when built (arm64).
extra64k=$OUT/build/$arch-64k/arch/arm64/boot/Image
[ "$arch" = arm64 ] && [ -f "$extra64k" ] && cp "$extra64k" "$stage/boot/vmlinuz-64k"
# The module test clients (CONFIG_TEST_KEXEC_HANDOVER_MODULE=m).
for ko in test_kho_module test_kho_stress test_kho_bench; do
	ko=$(dirname "$image")/../../../lib/$ko.ko
	[ -f "$ko" ] && cp "$ko" "$stage/kho/"
done
# The live update tools, static: luoctl, and luo_test of the liveupdate
# scenario; linux/liveupdate.h comes from this repository.
build_static() {
	# shellcheck disable=SC2046
	$(arch_cc "$arch") -O2 -Wall -static -I"$TOP/include/uapi" -o "$stage/$2" "$1" ||
		die "cannot build $1 for $arch (static libc: libc6-dev, libc6-dev-arm64-cross)"
}
build_static "$TOP/tools/liveupdate/luoctl.c" usr/bin/luoctl
build_static "$kst/luo_test.c" kho/luo_test
build_static "$kst/khomark.c" usr/bin/khomark
# The handover inspector, static, with the libfdt of the prepared tree.
make -s -C "$TOP/tools/kho" srctree="$TREE" CC="$(arch_cc "$arch")" \
	OUTPUT="$stage/usr/bin/" >&2 || die "cannot build khoinspect for $arch"
cp "$kst/guest/init" "$stage/init"
chmod 755 "$stage/init"
cp -r "$kst/guest/." "$stage/kho/"
rm -f "$stage/kho/init"
mkdir -p "$stage/kho/tests"
cp "$kst"/tests/*.sh "$stage/kho/tests/"
echo "$arch" > "$stage/etc/kho-arch"

# QEMU inside the guest, as this machine has it. QEMU 7.2 loads TCG as a
# module; the firmware paths are those it looks up (relative to the
# binary: ../share/qemu, ../share/seabios).
if [ $vm = 1 ]; then
	qemu_bin=/usr/bin/qemu-system-x86_64
	qemu_mod=/usr/lib/$multiarch/qemu/accel-tcg-x86_64.so
	qemu_fw="/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin
		 /usr/share/qemu/multiboot_dma.bin /usr/share/qemu/linuxboot_dma.bin"
	for f in $qemu_bin $qemu_mod $qemu_fw; do
		[ -e "$f" ] || die "$f missing (qemu-system-x86, seabios)"
	done
	for l in $(lib_closure $qemu_bin $qemu_mod | sort -u); do
		case "$l" in missing:*) die "QEMU needs ${l#missing:}, not found" ;; esac
		mkdir -p "$stage/$(dirname "$l")"
		cp -L "$l" "$stage/$l"
	done
	for f in $qemu_bin $qemu_mod $qemu_fw; do
		mkdir -p "$stage/$(dirname "$f")"
		cp -L "$f" "$stage/$f"
	done
	tickvm=$OUT/tickvm
	mkdir -p "$tickvm"
	make -s -C "$kst/vm" OUT="$tickvm" CC=gcc >&2 || die "cannot build the tick VM"
	cp "$tickvm/tickvm.elf" "$stage/kho/tickvm.elf"
fi

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) > "$cpio_out.tmp"
mv "$cpio_out.tmp" "$cpio_out"
note "initramfs $(du -h "$cpio_out" | cut -f1) -> ${cpio_out#"$TOP"/}"
