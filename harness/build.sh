#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh ARCH [TREE [BUILD_DIR]]: build a test kernel out of tree.
# The configuration is allnoconfig plus the kselftest config fragments
# (tools/testing/selftests/kho/config and config.ARCH) plus any file named
# in EXTRA_CONFIG; it is regenerated only when a fragment changes, and every
# symbol a fragment asks for must end up set as asked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: build.sh ARCH [TREE [BUILD_DIR]]}
src=${2:-$TREE}
obj=${3:-$OUT/build/$arch}
# One job more than CPUs keeps them busy while others wait for I/O.
jobs=${JOBS:-$(($(nproc) + 1))}
src=$(realpath -m "$src")
obj=$(realpath -m "$obj")

read -r -a flags <<< "$(arch_make_flags "$arch")"
cc=$(arch_cc "$arch")
# The compiler cache lives outside the clone, so that another clone (or CI)
# on the same machine builds warm.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kho-ccache}
export CCACHE_BASEDIR=$OUT
export KBUILD_BUILD_TIMESTAMP="1970-01-01" KBUILD_BUILD_USER=kho KBUILD_BUILD_HOST=kho

mkdir -p "$obj"
frag=$obj/kho.config
# KHO_CONFIG_DIR: fragments from elsewhere (check-series builds patches
# that come before the selftests); KHO_CONFIG_STRICT=0 accepts symbols a
# partial series cannot set yet.
dir=${KHO_CONFIG_DIR:-$src/tools/testing/selftests/kho}
cat "$dir/config" "$dir/config.$arch" ${EXTRA_CONFIG:-} > "$frag.new"

kmake() {
	make -s -C "$src" O="$obj" "${flags[@]}" CC="$cc" -j"$jobs" "$@"
}

if ! cmp -s "$frag.new" "$frag" || [ ! -f "$obj/.config" ]; then
	note "configuring $arch"
	kmake KCONFIG_ALLCONFIG="$frag.new" allnoconfig >/dev/null
	missing=0
	# The last line about a symbol wins, as in Kconfig fragments.
	declare -A want=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) want[${line%%=*}]=$line ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			want[${sym%% *}]=$line ;;
		esac
	done < "$frag.new"
	for sym in "${!want[@]}"; do
		line=${want[$sym]}
		case "$line" in
		CONFIG_*)
			if ! grep -qx -- "$line" "$obj/.config"; then
				echo "config: $line requested but not set" >&2
				missing=1
			fi ;;
		*)
			if grep -q "^$sym=" "$obj/.config"; then
				echo "config: $sym requested off but set" >&2
				missing=1
			fi ;;
		esac
	done
	[ "${KHO_CONFIG_STRICT:-1}" = 0 ] && missing=0
	[ $missing = 0 ] || { rm -f "$frag"; die "config fragment not satisfied for $arch"; }
	mv "$frag.new" "$frag"
else
	rm -f "$frag.new"
fi

note "building $arch kernel in ${obj#"$TOP"/}"
case "$arch" in
x86_64) kmake bzImage ;;
arm64) kmake Image ;;
esac
# The module test client, loaded by the guests after boot.
if grep -q "^CONFIG_MODULES=y" "$obj/.config"; then
	kmake modules
fi
