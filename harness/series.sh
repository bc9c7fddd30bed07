#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Export the series with git format-patch into out/series/.
#
# Each patch of patches/series is one commit of the series: its diff of
# upstream files plus the overlay files it claims with "Overlay: PATH" lines
# in its header (PATH/ claims a directory). Every overlay file must be
# claimed by exactly one patch. The cover letter comes from
# patches/cover-letter (first line subject, then the body). Every exported
# patch must be checkpatch --strict clean.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

work=$OUT/series-tree
dest=$OUT/series

[ -d "$TREE/.git" ] || die "no prepared tree: run make prepare"

# Which patch claims each overlay file.
declare -A claim=()
bad=0
while read -r p; do
	while read -r c; do
		[ -n "$c" ] || continue
		matched=0
		while read -r f; do
			case "$c" in
			*/) [[ "$f" == "$c"* ]] || continue ;;
			*) [ "$f" = "$c" ] || continue ;;
			esac
			matched=1
			if [ -n "${claim[$f]:-}" ]; then
				echo "$f is claimed by ${claim[$f]} and $p" >&2
				bad=1
			fi
			claim[$f]=$p
		done < <(overlay_files)
		[ $matched = 1 ] || { echo "$p claims $c, which matches no overlay file" >&2; bad=1; }
	done < <(patch_overlay_claims "$PATCHES/$p")
done < <(series_patches)
while read -r f; do
	[ -n "${claim[$f]:-}" ] || { echo "$f is in no patch: add an Overlay: line" >&2; bad=1; }
done < <(overlay_files)
[ $bad = 0 ] || die "overlay files and patches do not map one to one"

if [ ! -d "$work/.git" ] && [ ! -f "$work/.git" ]; then
	rm -rf "$work"
	tgit worktree prune
	tgit worktree add -q --detach "$work" base
fi
wgit() { git -C "$work" "$@"; }
wgit checkout -q -f -B kho-series base
wgit clean -q -fdx

while read -r p; do
	if grep -q '^diff --git ' "$PATCHES/$p"; then
		wgit apply --index "$PATCHES/$p" || die "$p does not apply"
	fi
	for f in "${!claim[@]}"; do
		[ "${claim[$f]}" = "$p" ] || continue
		mkdir -p "$work/$(dirname "$f")"
		cp -p "$TOP/$f" "$work/$f"
		wgit add -f "$f"
	done
	author=$(sed -n '/^---$/q; s/^From: //p' "$PATCHES/$p" | head -n 1)
	subject=$(sed -n '/^---$/q; s/^Subject: *\(\[[^]]*\] *\)\{0,1\}//p' "$PATCHES/$p" | head -n 1)
	body=$(awk '/^---$/ { exit } hdr { print; next } /^$/ { hdr = 1 }' "$PATCHES/$p" | grep -v '^Overlay:')
	wgit -c user.name="${author% <*}" -c user.email="$(echo "$author" | sed 's/.*<\(.*\)>.*/\1/')" \
		commit -q --author="$author" -m "$subject" -m "$body"
done < <(series_patches)

n=$(wgit rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "empty series"
rm -rf "$dest"
cover=$PATCHES/cover-letter
wgit format-patch -q --cover-letter --thread -o "$dest" base..HEAD
if [ -f "$cover" ]; then
	subj=$(head -n 1 "$cover")
	python3 - "$dest"/0000-cover-letter.patch "$subj" "$cover" <<'PY'
import sys
path, subj, cover = sys.argv[1:]
body = open(cover).read().split("\n", 1)[1].strip("\n")
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subj).replace("*** BLURB HERE ***", body)
open(path, "w").write(text)
PY
fi

# run-tests.sh checks each patch itself, as one result per patch.
if [ "${KHO_SERIES_NO_CHECKPATCH:-0}" = 1 ]; then
	note "series of $n patch(es) in ${dest#"$TOP"/}"
	exit 0
fi
note "checkpatch --strict on $n patch(es)"
fail=0
for f in "$dest"/[0-9][0-9][0-9][0-9]-*.patch; do
	case "$f" in *0000-cover-letter.patch) continue ;; esac
	# Debian's python3 has ply and git for spdxcheck.py, whatever python3 is first.
	if ! out=$(cd "$work" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict --quiet "$f" 2>&1); then
		echo "$out" >&2
		fail=1
	fi
done
[ $fail = 0 ] || die "checkpatch found problems"
note "series of $n patch(es) in ${dest#"$TOP"/}"
