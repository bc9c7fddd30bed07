#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Apply out/series with git am on the pristine base and build x86_64 after
# every patch: each patch of the series must build on its own. Every patch
# is built with the selftest configuration, as far as the series up to it
# can satisfy it (KHO itself needs the core and the x86 patches).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

work=$OUT/series-check
obj=$OUT/build/series-x86_64
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

i=0
for p in "$OUT"/series/[0-9][0-9][0-9][0-9]-*.patch; do
	case "$p" in *0000-cover-letter.patch) continue ;; esac
	i=$((i + 1))
	wgit -c user.name=check -c user.email=check@localhost am -q "$p" || die "git am failed on $(basename "$p")"
	note "[$i] $(wgit log -1 --format=%s): building x86_64"
	# Configure again: the symbols this patch adds must be turned on.
	rm -f "$obj/kho.config"
	KHO_CONFIG_DIR=$TOP/tools/testing/selftests/kho KHO_CONFIG_STRICT=0 \
		"$TOP/harness/build.sh" x86_64 "$work" "$obj" > "$OUT/logs/check-series-$i.log" 2>&1 ||
		{ tail -n 30 "$OUT/logs/check-series-$i.log" >&2; die "build fails after $(basename "$p")"; }
done
grep -q '^CONFIG_KEXEC_HANDOVER=y' "$obj/.config" ||
	die "the whole series built without CONFIG_KEXEC_HANDOVER"
note "all $i patch(es) apply with git am and build"
