#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh: userspace tests of khoinspect, printed as KTAP (one result per
# check). khoinspect is built with ASan and UBSan when the compiler has
# them, into a temporary directory, from the kernel tree this script is in
# (make srctree=, as for the Makefile, from out/linux/tools/kho).
#
# - every root tree of the fuzz seed corpus (tools/testing/kho/fuzz/
#   corpus/root): text and --json outputs are produced, the JSON parses
#   (python3's json module), the exit status is 0 or 1 and is 1 exactly
#   when problems are listed; the seeds the next kernel refuses give 1;
# - damaged copies of each (truncated at several lengths, bytes flipped):
#   exit status 1 for a tree cut short, 0 or 1 for flips, and never a
#   crash or a sanitizer report;
# - a fake sysfs (--sysfs) with the ftrace, reserve_mem and liveupdate
#   clients, stats, scratch, kexec metadata and live update sessions:
#   every value decoded is checked in the JSON; --save copies it, and
#   --dir prints the copy as the live tree;
# - usage errors and unreadable files give exit status 2.
#
# Needs dtc and python3. Exit status non-zero if a check failed. KEEP=1
# keeps the temporary directory with every output.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srctree=${srctree:-$(cd "$here/../.." && pwd)}
seeds=$srctree/tools/testing/kho/fuzz/corpus/root
tmp=$(mktemp -d)
# KEEP=1 keeps the outputs, for a look at a failure.
if [ "${KEEP:-0}" = 1 ]; then
	echo "# outputs in $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi

n=0
failed=0
results=$tmp/results
# result OK DESCRIPTION [DIAGNOSTIC...]: printed after the plan, at the end.
result() {
	local ok=$1 desc=$2
	shift 2
	n=$((n + 1))
	if [ "$ok" = 0 ]; then
		echo "ok $n $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n $desc"
		printf '# %s\n' "$@" | grep -v '^# $'
	fi >> "$results"
}

# A string macro of a kho header: names are never written twice.
hdr_str() {
	sed -n "s/^#define[[:space:]]*$1[[:space:]]*\"\(.*\)\".*/\1/p" \
		"$srctree/include/linux/kho/$2"
}

echo "KTAP version 1"
echo "# inspector: tools/kho/khoinspect"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if ! make -s -C "$here" srctree="$srctree" OUTPUT="$tmp/bin" \
	CFLAGS="-O1 -g $san" LDFLAGS="$san" > "$tmp/build.log" 2>&1; then
	echo "# no sanitizers: $(head -n 1 "$tmp/build.log")"
	san=
	if ! make -s -C "$here" srctree="$srctree" OUTPUT="$tmp/bin" \
		LDFLAGS= > "$tmp/build.log" 2>&1; then
		echo "1..1"
		echo "not ok 1 build"
		sed 's/^/# /' "$tmp/build.log"
		exit 1
	fi
fi
ki=$tmp/bin/khoinspect
# A sanitizer report exits with 99, never with our 0, 1 or 2.
export ASAN_OPTIONS=exitcode=99:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:exitcode=99:print_stacktrace=1
if ! ls "$seeds"/* > /dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 seed corpus $seeds"
	exit 1
fi

# run NAME ARGS...: khoinspect into $tmp/NAME.out, .err; sets $rc.
run() {
	local name=$1
	shift
	"$ki" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	rc=$?
}

# Whether a run ended in 0 or 1 without a crash or sanitizer report.
sane() {
	[ "$rc" -le 1 ] && [ -s "$tmp/$1.out" ] &&
		! grep -qE 'Sanitizer|runtime error' "$tmp/$1.err"
}

# Keep the JSON of a run: json_check parses all of them at once (python3
# starts slowly), and checks that problems are listed exactly when the
# exit status is 1.
nr_json=0
json_keep() {
	local k=$tmp/json/$((nr_json += 1))
	cp "$tmp/$1.out" "$k"
	echo "$k $rc $2" >> "$tmp/json.list"
}
mkdir -p "$tmp/json"
: > "$tmp/json.list"

json_check() {
	python3 - "$tmp/json.list" > "$tmp/json.log" 2>&1 <<-'EOF'
	import json, sys
	bad = 0
	for line in open(sys.argv[1]):
	    path, rc, label = line.rstrip("\n").split(" ", 2)
	    try:
	        d = json.load(open(path, encoding="utf-8"))
	        if (len(d["problems"]) > 0) != (rc == "1"):
	            raise ValueError("exit %s, problems %s" % (rc, d["problems"]))
	    except Exception as e:
	        bad += 1
	        print("%s: %s" % (label, e))
	sys.exit(1 if bad else 0)
	EOF
}

# --- the seeds
for f in "$seeds"/*; do
	s=$(basename "$f")
	run "$s" --fdt "$f"
	text_rc=$rc
	sane "$s"
	result $? "seed $s: text (exit $text_rc)" "$(head -n 5 "$tmp/$s.err")"
	run "$s.json" --json --fdt "$f"
	sane "$s.json" && [ "$rc" = "$text_rc" ]
	result $? "seed $s: json (exit $rc)" "$(head -n 5 "$tmp/$s.json.err")"
	json_keep "$s.json" "seed $s"
done
for s in aborted too-many-clients; do
	[ -f "$seeds/$s" ] || continue
	run "$s" --fdt "$seeds/$s"
	[ "$rc" = 1 ]
	result $? "seed $s: refused, exit 1"
done

# --- damaged copies: cut short, bytes flipped
for f in "$seeds"/*; do
	s=$(basename "$f")
	size=$(stat -c %s "$f")
	bad=
	for len in 0 39 56 $((size / 2)) $((size - 1)); do
		[ "$len" -lt "$size" ] || continue
		head -c "$len" "$f" > "$tmp/cut"
		for j in "" --json; do
			run cut $j --fdt "$tmp/cut"
			# Zeros past the tree (a mapped seed) may go unnoticed.
			if ! sane cut || { [ "$rc" != 1 ] &&
			   [ "$(tail -c +$((len + 1)) "$f" | tr -d '\0' | wc -c)" != 0 ]; }; then
				bad="$bad cut at $len$j: exit $rc"
			elif [ -n "$j" ]; then
				json_keep cut "seed $s cut at $len"
			fi
		done
	done
	result "$([ -z "$bad" ] && echo 0 || echo 1)" "seed $s: cut short" "$bad"

	bad=
	for i in $(seq 1 10); do
		cp "$f" "$tmp/flip"
		# A deterministic spread of offsets, the header first.
		off=$(((i * 7919 + i * i) % (size < 64 ? size : (i < 6 ? 64 : size))))
		# shellcheck disable=SC2059 # the byte, as an escape
		printf "\\x$(printf %02x $(((i * 37 + 0x5a) & 0xff)))" |
			dd of="$tmp/flip" bs=1 seek="$off" conv=notrunc status=none
		for j in "" --json; do
			run flip $j --fdt "$tmp/flip"
			if ! sane flip; then
				bad="$bad flip at $off$j: exit $rc"
			elif [ -n "$j" ]; then
				json_keep flip "seed $s flip at $off"
			fi
		done
	done
	result "$([ -z "$bad" ] && echo 0 || echo 1)" "seed $s: bytes flipped" "$bad"
done

# --- a fake sysfs with every decoded client
sys=$tmp/sys
kho=$sys/kernel/kho
in=$kho/in
mkdir -p "$in/clients" "$sys/kernel/liveupdate/sessions"
root_compat=$(hdr_str KHO_ROOT_COMPATIBLE abi.h)
trace_compat=$(hdr_str KHO_TRACE_COMPATIBLE trace.h)
trace_client=$(hdr_str KHO_TRACE_CLIENT trace.h)
trace_blob=$(hdr_str KHO_TRACE_BLOB trace.h)
rm_compat=$(hdr_str KHO_RESERVE_MEM_COMPATIBLE reserve_mem.h)
rm_client=$(hdr_str KHO_RESERVE_MEM_CLIENT reserve_mem.h)
rm_blob=$(hdr_str KHO_RESERVE_MEM_BLOB reserve_mem.h)
luo_compat=$(hdr_str LUO_KHO_COMPATIBLE liveupdate.h)
luo_client=$(hdr_str LUO_KHO_CLIENT liveupdate.h)
luo_blob=$(hdr_str LUO_KHO_BLOB liveupdate.h)
luo_magic=$(sed -n 's/^#define[[:space:]]*LUO_KHO_HEADER_MAGIC[[:space:]]*\(0x[0-9a-f]*\).*/\1/p' \
	"$srctree/include/linux/kho/liveupdate.h")
luo_max=$(sed -n 's/^#define[[:space:]]*LUO_KHO_MAX_SESSIONS[[:space:]]*\([0-9]*\).*/\1/p' \
	"$srctree/include/linux/kho/liveupdate.h")

mkblob() {	# CLIENT BLOB: the blob file's path, its directories made
	mkdir -p "$in/clients/$1/blobs"
	echo "$in/clients/$1/blobs/$2"
}

fixture() {
	local tb rb lb
	tb=$(mkblob "$trace_client" "$trace_blob")
	rb=$(mkblob "$rm_client" "$rm_blob")
	lb=$(mkblob "$luo_client" "$luo_blob")
	dtc -E no-name_properties -I dts -O dtb -o "$tb" - <<-EOF || return 1
	/dts-v1/;
	/ {
		compatible = "$trace_compat";
		events = /bits/ 64 <0x1d40000>;
		instance-0 {
			name = "kt";
			nr-cpus = <2>;
			cpu-pages = <16>;
			pages = /bits/ 64 <0x1d41000>;
		};
	};
	EOF
	dtc -E no-name_properties -I dts -O dtb -o "$rb" - <<-EOF || return 1
	/dts-v1/;
	/ {
		compatible = "$rm_compat";
		region-0 {
			name = "oops";
			start = /bits/ 64 <0x7f000000>;
			size = /bits/ 64 <0x100000>;
			align = /bits/ 64 <0x1000>;
		};
	};
	EOF
	python3 - "$lb" "$luo_magic" "$luo_max" <<-'EOF' || return 1
	import struct, sys
	path, magic, nr = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
	pages = [0x1e00000, 0x1e01000] + [0] * (nr - 2)
	open(path, "wb").write(struct.pack("<QII%dQ" % nr, magic, 2, 0, *pages))
	EOF
	dtc -I dts -O dtb -o "$in/fdt" - <<-EOF || return 1
	/dts-v1/;
	/ {
		compatible = "$root_compat";
		page-shift = <12>;
		tracker = /bits/ 64 <0x1c3b000>;
		release = "6.12.0-kho";
		boot-count = <3>;
		frozen-at = /bits/ 64 <1763917200>;
		dropped = "gone";
		$trace_client {
			compatible = "$trace_compat";
			tracker = /bits/ 64 <0x1c3e000>;
			$trace_blob {
				addr = /bits/ 64 <0x1c5a000>;
				size = /bits/ 64 <$(stat -c %s "$tb")>;
			};
		};
		$rm_client {
			compatible = "$rm_compat";
			tracker = /bits/ 64 <0x1c60000>;
			$rm_blob {
				addr = /bits/ 64 <0x1c61000>;
				size = /bits/ 64 <$(stat -c %s "$rb")>;
			};
		};
		$luo_client {
			compatible = "$luo_compat";
			tracker = /bits/ 64 <0x1c70000>;
			$luo_blob {
				addr = /bits/ 64 <0x1c72000>;
				size = /bits/ 64 <$(stat -c %s "$lb")>;
			};
		};
	};
	EOF
	printf '%s\n' 'order 0: 12 blocks' 'order 9: 2 blocks' \
		'preserved_bytes 4243456' 'bad_blocks 0' 'release_delay -1' \
		> "$in/stats"
	printf 'compatible %s\nstate active\nreleased_by -\nblocks 3\nbytes 12288\n' \
		"$trace_compat" > "$in/clients/$trace_client/stats"
	mkdir -p "$in/clients/gone"
	printf 'compatible v1\nstate dropped\nreleased_by freeze failed in the previous kernel\n' \
		> "$in/clients/gone/stats"
	printf '0x78000000 0x4000000\n0x7c000000 0x1800000\n' > "$kho/scratch"
	echo accepted > "$kho/incoming"
	echo 0 > "$kho/abort"
	echo 6.12.0-kho > "$in/previous_release"
	echo 3 > "$in/boot_count"
	echo 1763917200 > "$in/frozen_at"
	mkdir -p "$sys/kernel/liveupdate/sessions/vm"
	echo incoming > "$sys/kernel/liveupdate/sessions/vm/state"
	printf '1 memfd-v1\n2 memfd-v1 retrieved\n' > "$sys/kernel/liveupdate/sessions/vm/tokens"
}

if ! fixture > "$tmp/fixture.log" 2>&1; then
	result 1 "fake sysfs" "$(cat "$tmp/fixture.log")"
else
	run live --json --in --sysfs "$sys"
	sane live && [ "$rc" = 0 ] &&
	python3 - "$tmp/live.out" "$trace_client" "$rm_client" "$luo_client" \
		> "$tmp/check.log" 2>&1 <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	cl = {c["name"]: c for c in d["clients"]}
	r = d["root"]
	assert d["side"] == "in" and r["check"] == "ok", r
	assert r["page-shift"] == 12 and r["boot-count"] == 3, r
	assert r["release"] == "6.12.0-kho" and r["dropped"] == ["gone"], r
	t = cl[sys.argv[2]]["blobs"][0]["contents"]
	i = t["instances"][0]
	assert t["events"] == "0x1d40000" and i["name"] == "kt", t
	assert i["nr-cpus"] == 2 and i["cpu-pages"] == 16, i
	assert i["ring-buffer-bytes"] == 2 * 16 * 4096, i
	assert cl[sys.argv[2]]["stats"]["state"] == "active"
	m = cl[sys.argv[3]]["blobs"][0]["contents"]["regions"][0]
	assert m["name"] == "oops" and m["start"] == "0x7f000000", m
	assert m["size"] == 0x100000 and m["align"] == 0x1000, m
	s = cl[sys.argv[4]]["blobs"][0]["contents"]
	assert s["nr-sessions"] == 2, s
	assert s["session-pages"] == ["0x1e00000", "0x1e01000"], s
	o = d["stats"]["orders"]
	assert o[1] == {"order": 9, "blocks": 2, "block-size": 2 << 20,
			"bytes": 4 << 20}, o
	assert d["stats"]["release_delay"] == -1
	w = d["clients-without-node"]
	assert w[0]["name"] == "gone" and w[0]["stats"]["state"] == "dropped"
	sc = d["scratch"]
	assert sc["check"] == "ok" and sc["total"] == 0x5800000, sc
	k = d["kexec"]
	assert k["incoming"] == "accepted" and k["boot-count"] == 3, k
	f = d["liveupdate"]["sessions"][0]["files"]
	assert f[1] == {"token": 2, "handler": "memfd-v1", "retrieved": True}
	EOF
	result $? "fake sysfs: every value decoded (--json --in --sysfs)" \
		"$(cat "$tmp/check.log" 2>/dev/null)" "$(head -n 5 "$tmp/live.err")"

	run live-text --in --sysfs "$sys"
	sane live-text && [ "$rc" = 0 ] &&
		grep -q "^              name: kt$" "$tmp/live-text.out" &&
		grep -q "^  total: 92274688 (88.0 MiB)$" "$tmp/live-text.out"
	result $? "fake sysfs: text"

	rm -rf "$tmp/saved"
	run save --in --sysfs "$sys" --save "$tmp/saved"
	[ "$rc" = 0 ] && run saved --json --dir "$tmp/saved" && [ "$rc" = 0 ] &&
		diff <(sed 's/"source":"[^"]*",//' "$tmp/live.out") \
		     <(sed 's/"source":"[^"]*",//' "$tmp/saved.out") > "$tmp/diff" &&
		cmp -s "$in/fdt" "$tmp/saved/fdt"
	result $? "--save, then --dir: the same output" "$(head -n 5 "$tmp/diff" 2>/dev/null)"

	# A blob damaged: still printed, exit 1.
	f=$in/clients/$trace_client/blobs/$trace_blob
	printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=4 conv=notrunc status=none
	run dmg --json --in --sysfs "$sys"
	sane dmg && [ "$rc" = 1 ] && grep -q 'blob trace' "$tmp/dmg.out"
	result $? "fake sysfs: damaged blob gives exit 1"
	json_keep dmg "damaged blob"
fi

json_check
result $? "json: all $(wc -l < "$tmp/json.list") outputs parse, problems listed iff exit 1" \
	"$(head -n 10 "$tmp/json.log")"

# --- usage and I/O errors
run usage --bogus
[ "$rc" = 2 ]
result $? "unknown option: exit 2"
run nofile --fdt "$tmp/does-not-exist"
[ "$rc" = 2 ]
result $? "missing file: exit 2"
run nosys --sysfs "$tmp/does-not-exist"
[ "$rc" = 2 ]
result $? "no sysfs: exit 2"

echo "1..$n"
cat "$results"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
