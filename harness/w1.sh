#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# w1.sh ARCH: compile the series' C files with W=1, as KTAP.
#
# Every C file the series adds (overlay) or changes (patches/), that the
# test configuration builds, is compiled again in a build directory of its
# own (out/build/ARCH-w1, same .config as out/build/ARCH) with W=1; the
# test kernel itself is not touched. One result per file: it fails on an
# error, or on a warning located in a file of the overlay (the file or our
# headers) or on a line the patches added to an upstream file. Other
# warnings are upstream's: they are in the log. Needs harness/build.sh ARCH first.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: w1.sh ARCH}
main=$OUT/build/$arch
obj=$OUT/build/$arch-w1
log=$OUT/logs/w1-$arch.log
jobs=${JOBS:-$(($(nproc) + 1))}

read -r -a flags <<< "$(arch_make_flags "$arch")"
cc=$(arch_cc "$arch")
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kho-ccache}
export CCACHE_BASEDIR=$OUT
export KBUILD_BUILD_TIMESTAMP="1970-01-01" KBUILD_BUILD_USER=kho KBUILD_BUILD_HOST=kho

kmake() {
	make -s -C "$TREE" O="$obj" "${flags[@]}" CC="$cc" -j"$jobs" "$@"
}

echo "KTAP version 1"
echo "# w1-$arch: the series' C files with W=1, warnings in them fatal (log: ${log#"$TOP"/})"
mkdir -p "$obj" "$(dirname "$log")"
: > "$log"
if [ ! -f "$main/.config" ]; then
	echo "1..1"
	echo "not ok 1 w1-$arch # no configured build in ${main#"$TOP"/}"
	exit 0
fi
cmp -s "$main/.config" "$obj/.config" || cp "$main/.config" "$obj/.config"
# Made by the link of vmlinux, needed by single objects of the boot stub.
mkdir -p "$obj/include/generated"
cp -p "$main/include/generated/utsversion.h" "$obj/include/generated/" 2>/dev/null
ours=$(overlay_files | grep -E '\.[ch]$')

# The files: what the overlay adds and what the patches touch, where the
# test kernel built an object for them.
files=$( { overlay_files; sed -n 's|^+++ b/||p' "$PATCHES"/*.patch; } |
	grep '\.c$' | sort -u |
	while read -r f; do [ -f "$main/${f%.c}.o" ] && echo "$f"; done)
n=$(echo "$files" | grep -c .)
echo "1..$n"
i=0
for f in $files; do
	i=$((i + 1))
	o=${f%.c}.o
	rm -f "$obj/$o"
	# Lines of an upstream file that the patches added.
	added=$(git -C "$TREE" diff -U0 base -- "$f" 2>/dev/null |
		awk '/^@@/ { split($3, a, ","); n = substr(a[1], 2); c = (a[2] == "" ? 1 : a[2]);
			     for (j = 0; j < c; j++) print n + j }')
	out=$(kmake W=1 "$o" 2>&1)
	rc=$?
	bad=$(echo "$out" | grep -E '(warning|error):' |
	      while IFS= read -r line; do
		      loc=${line%%:*}
		      # Relative to the build directory: in out/linux, or an
		      # overlay file of the repository its symlink points to.
		      loc=$(cd "$obj" && realpath -m "$loc")
		      case "$loc" in
		      "$TREE"/*) loc=${loc#"$TREE"/} ;;
		      "$TOP"/*) loc=${loc#"$TOP"/} ;;
		      esac
		      num=${line#*:}
		      num=${num%%:*}
		      if echo "$ours" | grep -qxF "$loc" ||
			 { [ "$loc" = "$f" ] && echo "$added" | grep -qx "$num"; }; then
			      echo "$line"
		      fi
	      done)
	if [ $rc = 0 ] && [ -z "$bad" ]; then
		echo "ok $i $f"
	else
		echo "not ok $i $f"
		{ echo "$bad"; [ $rc = 0 ] || echo "$out" | grep -E 'error' ; } |
			grep . | head -n 10 | sed 's/^/# /'
	fi
	echo "== $f" >> "$log"
	echo "$out" >> "$log"
done
