#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree under out/linux:
#   - first run: unpack the pristine base, commit it (tag "base");
#   - apply patches/series, one commit per patch, on branch "kho";
#   - symlink every overlay file of this repository into the tree.
#
# Patches are re-applied only when patches/ changed. Applying is all or
# nothing: a patch that fails restores the previous state. Edits made to
# upstream files in the tree and not captured with "make capture" are never
# discarded (FORCE=1 overrides).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FORCE=${FORCE:-0}

unpack_base() {
	[ -d "$TREE/.git" ] && return 0
	[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing: run harness/deps.sh"
	local ver tmp=$TREE.tmp
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
	note "unpacking $BASE_TARBALL ($ver)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$BASE_TARBALL" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q -b kho
	git -C "$tmp" config user.name "KHO harness"
	git -C "$tmp" config user.email "kho-harness@localhost"
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" add -A -f .
	git -C "$tmp" commit -q -m "base: Debian linux-source-6.12 $ver"
	git -C "$tmp" tag base
	mv "$tmp" "$TREE"
}

stamp_of_patches() {
	{
		cat "$PATCHES/series" 2>/dev/null || true
		series_patches | while read -r p; do cat "$PATCHES/$p"; done
	} | sha256sum | cut -d' ' -f1
}

# Modified tracked files, or a HEAD that is not what we applied.
uncaptured_edits() {
	tgit status --porcelain --untracked-files=no
	local tip
	tip=$(cat "$TREE/.git/kho-applied-tip" 2>/dev/null || true)
	if [ -n "$tip" ] && [ "$(tgit rev-parse HEAD)" != "$tip" ]; then
		echo "HEAD moved: commits made in out/linux are not captured"
	fi
}

apply_series() {
	local prev p subj
	prev=$(tgit rev-parse HEAD)
	tgit checkout -q -f -B kho base
	while read -r p; do
		[ -f "$PATCHES/$p" ] || { tgit checkout -q -f -B kho "$prev"; die "patches/$p listed in series but missing"; }
		if grep -q '^diff --git ' "$PATCHES/$p"; then
			if ! tgit apply --index --whitespace=nowarn "$PATCHES/$p"; then
				tgit checkout -q -f -B kho "$prev"
				die "patches/$p does not apply; tree left as it was"
			fi
		fi
		subj=$(sed -n 's/^Subject: *\(\[[^]]*\] *\)\{0,1\}//p' "$PATCHES/$p" | head -n 1)
		tgit commit -q --allow-empty -m "${subj:-$p}" -m "X-Kho-Patch: $p"
	done < <(series_patches)
	tgit rev-parse HEAD > "$TREE/.git/kho-applied-tip"
}

link_overlay() {
	local list=$TREE/.git/kho-overlay new f
	new=$(mktemp)
	overlay_files > "$new"
	# Drop links of files that left the overlay.
	if [ -f "$list" ]; then
		comm -23 "$list" "$new" | while read -r f; do
			if [ -L "$TREE/$f" ]; then rm -f "$TREE/$f"; fi
		done
	fi
	while read -r f; do
		if tgit cat-file -e "base:$f" 2>/dev/null; then
			rm -f "$new"
			die "$f exists upstream: change it with a patch (make capture), not an overlay copy"
		fi
		mkdir -p "$TREE/$(dirname "$f")"
		if [ "$(readlink "$TREE/$f" 2>/dev/null)" != "$TOP/$f" ]; then
			rm -rf "$TREE/$f"
			ln -s "$TOP/$f" "$TREE/$f"
		fi
	done < "$new"
	mv "$new" "$list"
	sed 's|^|/|' "$list" > "$TREE/.git/info/exclude"
}

unpack_base

want=$(stamp_of_patches)
have=$(cat "$TREE/.git/kho-applied-stamp" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	dirty=$(uncaptured_edits)
	if [ -n "$dirty" ] && [ "$FORCE" != 1 ]; then
		echo "$dirty" >&2
		die "out/linux has edits not captured into patches/: run 'make capture' first (or FORCE=1 to discard them)"
	fi
	note "applying patches/series"
	apply_series
	echo "$want" > "$TREE/.git/kho-applied-stamp"
fi
link_overlay

stray=$(tgit status --porcelain | sed -n 's/^?? //p')
if [ -n "$stray" ]; then
	echo "warning: new files in out/linux that are not overlay files (move them into the repository):" >&2
	echo "$stray" | sed 's/^/  /' >&2
fi
exit 0
