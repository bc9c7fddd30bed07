# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers of the harness scripts; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$TOP/out}
TREE=$OUT/linux
BASE_TARBALL=${BASE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PATCHES=$TOP/patches

die() { echo "error: $*" >&2; exit 1; }
note() { echo "==> $*" >&2; }

tgit() { git -C "$TREE" "$@"; }

# Repository files that are not part of the kernel series.
is_harness_path() {
	case "$1" in
	harness/* | patches/* | out/* | .ci/* | Makefile | README.md | .gitignore | .gitattributes)
		return 0 ;;
	esac
	return 1
}

# Overlay files: every tracked or new (not ignored) file of this repository
# that is not part of the harness. Each is a new file of the series, at its
# in-tree path.
overlay_files() {
	local f
	git -C "$TOP" ls-files --cached --others --exclude-standard |
	while read -r f; do
		is_harness_path "$f" && continue
		[ -e "$TOP/$f" ] || continue
		echo "$f"
	done | sort -u
}

# Patches of patches/series, in order.
series_patches() {
	[ -f "$PATCHES/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series"
}

# Overlay files a patch claims, from its "Overlay:" header lines (a path or
# a directory prefix ending in /).
patch_overlay_claims() {
	sed -n '/^---$/q; s/^Overlay:[[:space:]]*//p' "$1"
}

arch_kernel_arch() {
	case "$1" in
	x86_64) echo x86 ;;
	arm64) echo arm64 ;;
	*) die "unknown arch $1" ;;
	esac
}

# arch_build_dir ARCH [VARIANT]: out/build/ARCH, or out/build/ARCH-VARIANT
# (debug: the kernel of make test-debug).
arch_build_dir() {
	echo "$OUT/build/$1${2:+-$2}"
}

arch_image() {
	case "$1" in
	x86_64) echo "$(arch_build_dir "$@")/arch/x86/boot/bzImage" ;;
	arm64) echo "$(arch_build_dir "$@")/arch/arm64/boot/Image" ;;
	esac
}

arch_initramfs() {
	echo "$OUT/initramfs-$1${2:+-$2}.cpio"
}

arch_make_flags() {
	case "$1" in
	x86_64) echo "ARCH=x86_64" ;;
	arm64) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	esac
}

arch_cc() {
	case "$1" in
	x86_64) echo "ccache gcc" ;;
	arm64) echo "ccache aarch64-linux-gnu-gcc" ;;
	esac
}
