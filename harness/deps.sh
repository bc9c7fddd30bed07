#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing the KHO series needs (Debian bookworm).
# Packages already present are skipped, so a rerun costs one dpkg query.
set -euo pipefail

KSRC_VERSION=${KSRC_VERSION:-6.12.117-1~deb12u1}

pkgs=(
	"linux-source-6.12=$KSRC_VERSION"
	build-essential bc bison flex libelf-dev libssl-dev dwarves
	python3 python3-ply python3-git rsync cpio xz-utils zstd kmod git quilt
	ccache gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64
	kexec-tools busybox-static trace-cmd
	libfdt-dev device-tree-compiler
	liburcu-dev
	clang libclang-rt-14-dev
	valgrind gnuplot-nox
	# make htmldocs (the docs suite): Sphinx and its default theme
	# (alabaster), PyYAML, graphviz for kernel-figure's dot
	python3-sphinx python3-yaml graphviz
)

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ "$want" = "$p" ] || [ "${have##* }" = "$want" ] && continue ;;
	esac
	missing+=("$p")
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# The arm64 guest userspace comes from Debian's arm64 packages
# (harness/mkinitramfs.sh downloads them with apt-get download).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "deps: adding the arm64 architecture to dpkg"
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
	# The pinned source version may have left the archive: take the current one.
	echo "deps: pinned linux-source-6.12=$KSRC_VERSION unavailable, using the archive's current version" >&2
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}"
fi
