#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [smoke]: the KHO benchmarks (make bench), written to out/bench/:
# table.txt (the table, each target met or MISSED), results.json and
# cost.png (instructions per preserved block against blocks, KHO and the
# naive strategy). "smoke" (make test) runs small inputs into
# out/bench-smoke/ and prints KTAP: the bench's own checks and the report.
#
# 1. tools/testing/kho/kho_bench (the real tracker and mm/memblock.c in
#    userspace) under callgrind: instructions of each phase; natively:
#    nanoseconds, best of BENCH_REPS (default 5); and whole processes that
#    run only the naive or only KHO's walk, timed side by side by
#    farm-bench (skipped in smoke).
# 2. The default scratch size of a 1 GiB and an 8 GiB x86_64 guest next to
#    the 200% heuristic, from the first kernel's log (skipped in smoke).
# 3. The selftest scenario kho_bench (tools/testing/selftests/kho/tests/
#    kho_bench.sh) on an 8 GiB x86_64 host machine: 4 GiB preserved as
#    order-0 pages and as order-10 folios, BENCH_GUEST_RUNS (default 3)
#    runs each; and again under -icount shift=0, where the guest clock
#    counts instructions: 4 GiB of order-0 pages by batch and by single
#    calls (skipped in smoke; make test runs the scenario with 64 MiB).
# 4. The selftest scenario liveupdate_bench on the same machine: one memfd
#    of BENCH_LU_SIZE (default 4G) of 4 KiB pages, then one of 2 MiB THP,
#    each preserved alone (PRESERVE_FD) and restored (RETRIEVE_FD) across a
#    kexec, under -icount shift=0 (instructions) and under TCG (time)
#    (skipped in smoke; make test runs the scenario with 64 MiB of each).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-full}
reps=${BENCH_REPS:-5}
dir=$TREE/tools/testing/kho
if [ "$mode" = smoke ]; then
	res=$OUT/bench-smoke
	# input:blocks[:naive], small enough for a few seconds under callgrind
	inputs=(scattered:2048:naive scattered:4096:naive dense:8192:naive
		dense:16384:naive folio2m:512:naive folio2m:1024:naive
		mixed:1024:naive mixed:2048:naive sparse:256:naive sparse:512:naive)
else
	res=$OUT/bench
	# The naive walk is quadratic on scattered blocks: it runs on the
	# smaller inputs, KHO on those and on the full ones.
	inputs=(scattered:8192:naive scattered:16384:naive scattered:524288
		scattered:1048576 dense:524288:naive dense:1048576:naive
		folio2m:16384:naive folio2m:32768:naive mixed:4096:naive
		mixed:8192:naive mixed:131072 mixed:262144 sparse:4096:naive
		sparse:8192:naive)
fi
mkdir -p "$res"
rm -rf "$res/callgrind"
rm -f "$res"/*.txt "$res"/*.json "$res"/*.png "$res"/*.log*
mkdir -p "$res/callgrind"

step() {
	[ "$mode" = smoke ] || note "$*"
}

step "building tools/testing/kho/kho_bench"
if ! make -s -C "$dir" kho_bench > "$res/build.log" 2>&1; then
	echo "KTAP version 1"
	echo "1..1"
	echo "not ok 1 bench: kho_bench does not build (log: ${res#"$TOP"/}/build.log)"
	exit 1
fi

step "instructions (callgrind, ${#inputs[@]} inputs)"
valgrind --tool=callgrind --collect-atstart=no \
	--callgrind-out-file="$res/callgrind/out" \
	"$dir/kho_bench" -r 1 "${inputs[@]}" > "$res/callgrind.txt" 2> "$res/callgrind.log"
cg_rc=$?
step "time (native, best of $reps)"
"$dir/kho_bench" -r "$reps" "${inputs[@]}" > "$res/native.txt" 2>&1
native_rc=$?

farm=()
if [ "$mode" != smoke ]; then
	step "whole processes side by side (farm-bench): the naive walk against KHO's"
	for w in scattered:16384:20 dense:1048576:5; do
		in=${w%:*}
		out=$res/farm-${in%%:*}.txt
		farm-bench -n 5 --timeout 600 \
			--vs "$dir/kho_bench -w ours -r ${w##*:} $in" \
			-- "$dir/kho_bench" -w naive -r "${w##*:}" "$in" > "$out" 2>&1
		farm+=("--farm=$in x${w##*:}=$out")
	done
fi

scratch=()
if [ "$mode" != smoke ]; then
	step "default scratch: x86_64 guests of 1 GiB and 8 GiB"
	kernel=$(arch_image x86_64)
	for m in small:1G host:8G; do
		log=$res/scratch-${m%%:*}.log
		"$TOP/tools/testing/selftests/kho/vmtest.sh" -a x86_64 -M "${m%%:*}" \
			-m "${m#*:}" -k "$kernel" -i "$(arch_initramfs x86_64)" \
			-t kexec_basic -c kho=on -l "$log" > "$log.ktap" 2>&1
		scratch+=("${m#*:}=$log")
	done
fi

# host_guest LOG SCENARIO TIMEOUT INITRD CMDLINE [QEMU_ARGS]: one run of a
# scenario on the x86_64 host machine with 8 GiB; its KTAP in LOG.ktap.
host_guest() {
	"$TOP/tools/testing/selftests/kho/vmtest.sh" -a x86_64 -M host -m 8G \
		-k "$(arch_image x86_64)" -i "$4" -t "$2" -T "$3" -l "$1" \
		${6:+-q "$6"} -c "$5" > "$1.ktap" 2>&1
}

guests=()
if [ "$mode" != smoke ]; then
	runs=${BENCH_GUEST_RUNS:-3}
	step "QEMU x86_64, 8 GiB: 4 GiB preserved as order-0 and as order-10 folios, $runs runs each"
	for order in 0 10; do
		for r in $(seq "$runs"); do
			log=$res/guest-order$order-$r.log
			host_guest "$log" kho_bench 900 "$(arch_initramfs x86_64)" \
				"khotest_bench_size=4G khotest_bench_order=$order"
			guests+=("--guest=order$order=$log")
		done
	done
	step "QEMU x86_64, 8 GiB, -icount shift=0: instructions, 4 GiB of order-0 pages, batch and single calls"
	for single in 0 1; do
		log=$res/icount-single$single.log
		host_guest "$log" kho_bench 1200 "$(arch_initramfs x86_64)" \
			"khotest_bench_size=4G khotest_bench_single=$single" \
			"-icount shift=0,sleep=off"
		guests+=("--icount=single$single=$log")
	done
fi

lu=()
lu_size=${BENCH_LU_SIZE:-4G}
if [ "$mode" != smoke ]; then
	step "QEMU x86_64, 8 GiB: memfd live update, $lu_size of 4 KiB pages, of 2 MiB THP and of 2 MiB hugetlb pages, -icount shift=0 and TCG"
	for clock in icount tcg; do
		q=
		[ $clock = icount ] && q="-icount shift=0,sleep=off"
		for kind in 4k thp hugetlb; do
			log=$res/liveupdate-$clock-$kind.log
			host_guest "$log" liveupdate_bench 1200 "$(arch_initramfs x86_64)" \
				"khotest_lubench_size=$lu_size khotest_lubench_kind=$kind" "$q"
			lu+=("--liveupdate=$clock-$kind=$log")
		done
	done
	lu+=("--liveupdate-size=$lu_size")
fi

vmb=()
if [ "$mode" != smoke ]; then
	vm_cpio=$(arch_initramfs x86_64 vm)
	step "QEMU x86_64, 8 GiB: blackout of a VM with 4 GiB of RAM across a host kexec, and of the same kexec with no VM"
	if "$TOP/harness/mkinitramfs.sh" --vm x86_64 "$(arch_image x86_64)" "$vm_cpio" \
		> "$res/vm-initramfs.log" 2>&1; then
		for run in vm:khotest_vm_ram=4G baseline:khotest_vm_baseline=1; do
			log=$res/blackout-${run%%:*}.log
			host_guest "$log" vm_kexec 900 "$vm_cpio" "${run#*:}"
			vmb+=("--blackout=${run%%:*}=$log")
		done
	else
		vmb+=("--blackout=vm=$res/vm-initramfs.log")
	fi
fi

python3 "$TOP/harness/bench_report.py" --mode "$mode" --out "$res" \
	--callgrind "$res/callgrind/out" --native "$res/native.txt" \
	--cg-rc "$cg_rc" --native-rc "$native_rc" "${scratch[@]/#/--scratch=}" \
	"${guests[@]}" "${farm[@]}" "${lu[@]}" "${vmb[@]}"
