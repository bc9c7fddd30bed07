#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Capture edits of upstream files made in out/linux back into patches/.
#
# An edited file goes into the last patch of the series that already
# changes it, so the series still applies in order. Files no patch touches
# yet go into PATCH=NAME (a new patch appended to patches/series needs
# SUBJECT="subsystem: what it does"). FILES="path ..." captures only those
# files and keeps other edits in the tree. The tree is then re-prepared from
# patches/, which reproduces the edited files exactly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no prepared tree: run make prepare"
[ "$(tgit rev-parse HEAD)" = "$(cat "$TREE/.git/kho-applied-tip")" ] ||
	die "HEAD of out/linux moved; commits there are not supported, reset them into the work tree"

# FILES="a b" limits the capture to those paths.
# shellcheck disable=SC2086
mapfile -t edited < <(tgit diff --name-only HEAD -- ${FILES:-})
[ ${#edited[@]} -gt 0 ] || { note "nothing to capture"; exit 0; }

# commit -> patch file, from the X-Kho-Patch trailer prepare.sh writes.
declare -A patch_of owner
while read -r c; do
	patch_of[$c]=$(tgit log -1 --format=%B "$c" | sed -n 's/^X-Kho-Patch: //p')
done < <(tgit rev-list base..HEAD)

orphans=()
for f in "${edited[@]}"; do
	c=$(tgit log -1 --format=%H base..HEAD -- "$f")
	if [ -n "$c" ]; then
		owner[$f]=$c
	else
		orphans+=("$f")
	fi
done

new_patch=
if [ ${#orphans[@]} -gt 0 ]; then
	new_patch=${PATCH:-}
	[ -n "$new_patch" ] || die "no patch changes ${orphans[*]} yet: name one with PATCH=NAME.patch"
	if ! series_patches | grep -qx "$new_patch"; then
		[ -n "${SUBJECT:-}" ] || die "new patch $new_patch needs SUBJECT=\"...\""
		{
			echo "From: $(git -C "$TOP" config user.name) <$(git -C "$TOP" config user.email)>"
			echo "Subject: [PATCH] $SUBJECT"
			echo
			echo "${BODY:-$SUBJECT.}"
			echo
			echo "Signed-off-by: $(git -C "$TOP" config user.name) <$(git -C "$TOP" config user.email)>"
			echo "---"
		} > "$PATCHES/$new_patch"
		echo "$new_patch" >> "$PATCHES/series"
	fi
fi

# Rewrite the diff part of one patch file: its files as the commit left
# them, except the edited files it owns, taken from the work tree.
rewrite() {
	local p=$1 c=$2 extra=$3 f files tmp
	tmp=$(mktemp)
	sed '/^---$/q' "$PATCHES/$p" > "$tmp"
	grep -qx -- '---' "$tmp" || echo "---" >> "$tmp"
	if [ -n "$c" ]; then
		files=$( (tgit diff --name-only "$c^" "$c"; printf '%s\n' $extra) | sort -u)
	else
		files=$(printf '%s\n' $extra | sort -u)
	fi
	for f in $files; do
		if [ -n "$c" ] && [ "${owner[$f]:-}" != "$c" ] && ! printf '%s\n' $extra | grep -qx "$f"; then
			tgit diff "$c^" "$c" -- "$f"
		elif [ -n "$c" ]; then
			tgit diff "$c^" -- "$f"
		else
			tgit diff HEAD -- "$f"
		fi
	done >> "$tmp"
	mv "$tmp" "$PATCHES/$p"
	note "captured into patches/$p"
}

declare -A touched=()
for f in "${!owner[@]}"; do touched[${owner[$f]}]=1; done
for c in "${!touched[@]}"; do
	rewrite "${patch_of[$c]}" "$c" ""
done
if [ -n "$new_patch" ]; then
	c=
	for k in "${!patch_of[@]}"; do [ "${patch_of[$k]}" = "$new_patch" ] && c=$k; done
	if [ -n "$c" ]; then
		rewrite "$new_patch" "$c" "${orphans[*]}"
	else
		rewrite "$new_patch" "" "${orphans[*]}"
	fi
fi

# Re-prepare from patches/, keeping the edits that were not captured.
keep=$(mktemp)
mapfile -t all < <(tgit diff --name-only HEAD)
others=()
for f in "${all[@]}"; do
	printf '%s\n' "${edited[@]}" | grep -qx -- "$f" || others+=("$f")
done
[ ${#others[@]} -eq 0 ] || tgit diff --binary HEAD -- "${others[@]}" > "$keep"
FORCE=1 "$TOP/harness/prepare.sh"
if [ -s "$keep" ]; then
	tgit apply "$keep" || die "could not restore uncaptured edits; they are in $keep"
fi
rm -f "$keep"
