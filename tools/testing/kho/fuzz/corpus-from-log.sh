#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# corpus-from-log.sh [-o DIR] LOG...: take the handovers that the QEMU
# selftests (tools/testing/selftests/kho) print into their serial logs as
# seeds: each "scratch: ADDR SIZE ..." line, a scratch table as
# /sys/kernel/kho/scratch shows it, becomes DIR/scratch/NAME, and the
# "in/fdt base64: ..." lines of a generation, the root tree it received,
# DIR/root/NAME. NAME is the log's name and the generation (and a number
# if taken); a seed whose content is already in DIR is skipped. DIR defaults to corpus/ next to
# this script (the file a symbolic link points to).
set -euo pipefail

dir=$(dirname "$(readlink -f "$0")")/corpus
if [ "${1:-}" = -o ]; then
	dir=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [-o DIR] LOG..." >&2; exit 1; }
mkdir -p "$dir/scratch" "$dir/root"

# Native (little) endian u64, as struct kho_scratch_entry holds it.
le64() {
	local v=$1 i

	for i in 0 1 2 3 4 5 6 7; do
		# shellcheck disable=SC2059 # the format is the byte
		printf "\\$(printf %03o $(((v >> (8 * i)) & 255)))"
	done
}

# save FILE TARGET NAME: keep FILE as a seed unless its content is known;
# a name already taken gets a number.
save() {
	local f name=$3 n=1

	for f in "$dir/$2"/*; do
		[ -f "$f" ] && cmp -s "$1" "$f" && return 0
	done
	while [ -e "$dir/$2/$name" ]; do
		n=$((n + 1))
		name=$3-$n
	done
	chmod 644 "$1"
	mv "$1" "$dir/$2/$name"
	echo "$2/$name"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for log in "$@"; do
	name=$(basename "$log" .log)
	tr -d '\r' < "$log" | sed -n 's/.*KHOTEST: # gen\([0-9]*\): scratch: \(0x.*\)/\1 \2/p' |
	while read -r gen list; do
		: > "$tmp"
		for v in $list; do
			le64 "$v" >> "$tmp"
		done
		save "$tmp" scratch "$name-gen$gen"
	done
	fdt='in\/fdt base64:'
	for gen in $(tr -d '\r' < "$log" |
		     sed -n "s/.*KHOTEST: # gen\([0-9]*\): $fdt .*/\1/p" | sort -un); do
		tr -d '\r' < "$log" |
			sed -n "s/.*KHOTEST: # gen$gen: $fdt *//p" |
			tr -d ' \n' | base64 -d > "$tmp"
		save "$tmp" root "$name-gen$gen"
	done
done
