#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [smoke|blackout]: the KHO benchmarks (make bench), written to out/bench/:
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
# 4b. The same scenario: RETRIEVE_FD of a memfd of BENCH_PR_SIZE (default
#    1G) of 4 KiB pages by 1 and by 2 threads (memfd_kho.restore_threads),
#    BENCH_PR_RUNS (default 5) pairs under TCG with -smp 2 (wall time),
#    one pair under -icount shift=0 (no more instructions with 2 threads;
#    the per-page figure extrapolated to 1 TiB on 64 CPUs) (skipped in
#    smoke; make test checks the threads picked with 64 MiB).
# 4c. The same with the memfd filled after RETRIEVE_FD (the default,
#    khotest_lubench_fill=later): RETRIEVE_FD checks the records by 1 and
#    by 2 threads, and 1 and 2 workers fill it (luoctl -w waits for the
#    fill); the same pairs and clocks as 4b, the check's instructions per
#    page extrapolated to 1 TiB on 64 CPUs (skipped in smoke; make test
#    runs liveupdate_fill).
# 4d. The same fill by 2 threads with CPU 0 kept busy by a shell loop at
#    the default priority (khotest_lubench_busy=0), as a VM's vCPU would
#    be, BENCH_PR_RUNS runs under TCG; no target (skipped in smoke).
# 5. The selftest scenario vm_kexec: a VM of 4 GiB across a host kexec
#    (skipped in smoke).
# 6. The kexec blackout piece by piece (scenario kexec_blackout, parsed by
#    harness/blackout.py): on x86_64 and arm64 with 8 GiB, a plain kexec
#    (kho=off), KHO with nothing preserved, and KHO with a filled memfd of
#    BENCH_BO_SIZE (default 4G) and of 1G of 4 KiB pages and one of
#    BENCH_BO_SIZE of 2 MiB hugetlb pages, under -icount shift=0
#    (instructions) and under TCG (time; no 1G or hugetlb run); drawn as stacked bars
#    in blackout.png; the plain, empty and BENCH_BO_SIZE memfd cases
#    and the VM and its plain kexec under -icount BENCH_BO_RUNS times
#    (default 3), each stood for by its run of the median blackout; and
#    on x86_64 a VM (scenario vm_kexec) with
#    BENCH_BO_SIZE of RAM, all written, from its stop to its running again
#    after the kexec (BENCH_BO_VM_ONLY=1: the VM and its plain kexec
#    alone). Smoke: one TCG run on the small x86_64 machine with a 64 MiB
#    memfd, its pieces checked.
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
# "blackout": section 6 alone, into out/bench-blackout/.
[ "$mode" = blackout ] && res=$OUT/bench-blackout
mkdir -p "$res"
rm -rf "$res/callgrind"
rm -f "$res"/*.txt "$res"/*.json "$res"/*.png "$res"/*.log* "$res"/*.dat
[ "$mode" = blackout ] || mkdir -p "$res/callgrind"

step() {
	[ "$mode" = smoke ] || note "$*"
}

# bo_guest LOG ARCH MACHINE:MEMORY CLOCK CASE SIZE [INITRAMFS]: one
# kexec_blackout run; its KTAP in LOG.ktap.
bo_guest() {
	local q= words="khotest_blackout=$5 khotest_blackout_size=$6"
	[ "$4" = icount ] && q="-icount shift=0,sleep=off"
	[ "$5" = plain ] && words="$words kho=off"
	# Under -icount the CPUs take turns: the memfd's fill, which runs
	# on another CPU, is let go only after the blackout.
	[ "$4:$5" = icount:memfd ] && words="$words khotest_blackout_fill=held"
	[ "$5" = hugetlb ] &&
		words="khotest_blackout=memfd khotest_blackout_kind=hugetlb khotest_blackout_size=$6"
	"$TOP/tools/testing/selftests/kho/vmtest.sh" -a "$2" -M "${3%%:*}" -m "${3#*:}" \
		-k "$(arch_image "$2")" -i "${7:-$(arch_initramfs "$2")}" -t kexec_blackout \
		-T 1800 -l "$1" ${q:+-q "$q"} -c "$words" > "$1.ktap" 2>&1
}

# blackout_runs: section 6 (see the top), each run added to bo.
blackout_runs() {
	local log arch machine clock c bo_size n r
	if [ "$mode" = smoke ]; then
		log=$res/blackout-x86_64-tcg-memfd-64M.log
		# make test builds the kernel before this suite; alone, build it.
		if [ ! -f "$(arch_image x86_64)" ] || [ ! -f "$(arch_initramfs x86_64)" ]; then
			"$TOP/harness/build.sh" x86_64 > "$log.build" 2>&1 &&
				"$TOP/harness/mkinitramfs.sh" x86_64 >> "$log.build" 2>&1 ||
				echo "# bench: the x86_64 kernel did not build (log ${log#"$TOP"/}.build)"
		fi
		bo_guest "$log" x86_64 small:1G tcg memfd 64M
		bo+=("--kexec-blackout=x86_64:tcg:memfd:64M=$log")
	else
		bo_size=${BENCH_BO_SIZE:-4G}
		for arch in x86_64 arm64; do
			[ -n "${BENCH_BO_VM_ONLY:-}" ] && break
			# x86_64: the host machine; arm64: the small one with 8 GiB,
			# booted directly (firmware is not part of the blackout).
			machine=host:8G
			[ $arch = arm64 ] && machine=small:8G
			step "QEMU $arch, 8 GiB: the kexec blackout piece by piece: plain kexec, KHO with nothing preserved, KHO with a $bo_size (and a 1G) memfd of 4 KiB pages and one of 2 MiB hugetlb pages; -icount shift=0 and TCG"
			for clock in icount tcg; do
				for c in plain:64M empty:64M memfd:$bo_size memfd:1G hugetlb:$bo_size; do
					case $clock:$c in
					tcg:memfd:1G | tcg:hugetlb:*) continue ;;
					esac
					# The ratio's cases, several runs: arm64's
					# CPU hotplug is mostly waiting, by tens of
					# M instructions more or less.
					n=1
					case $clock:$c in
					icount:plain:* | icount:empty:* | icount:memfd:"$bo_size")
						n=${BENCH_BO_RUNS:-3} ;;
					esac
					for r in $(seq "$n"); do
						log=$res/blackout-$arch-$clock-${c%%:*}-${c#*:}.log
						[ "$r" = 1 ] || log=${log%.log}-r$r.log
						bo_guest "$log" $arch $machine $clock "${c%%:*}" "${c#*:}"
						bo+=("--kexec-blackout=$arch:$clock:$c:$r=$log")
					done
				done
			done
		done
		bo_vm_runs "$bo_size"
	fi
}

# bo_vm_runs SIZE: the VM itself (scenario vm_kexec, x86_64 only) with
# SIZE of RAM, all of it filled, marked piece by piece from the VM's stop
# to its running again; and the plain kexec to compare it with: the same
# initramfs (QEMU makes it 4 times as large, and purgatory hashes all of
# it), kho=off; -icount shift=0 and TCG.
bo_vm_runs() {
	local log clock q words cpio

	cpio=$(arch_initramfs x86_64 vm)
	step "QEMU x86_64, 8 GiB: the blackout of a VM with $1 of RAM (all written) across the host's kexec, piece by piece; -icount shift=0 and TCG"
	log=$res/blackout-x86_64-vm-initramfs.log
	if ! "$TOP/harness/mkinitramfs.sh" --vm x86_64 "$(arch_image x86_64)" "$cpio" > "$log" 2>&1; then
		echo "# bench: the VM initramfs did not build (log ${log#"$TOP"/})"
		return
	fi
	for clock in icount tcg; do
		q= words="khotest_vm_ram=$1 khotest_vm_fill=4242 initcall_debug log_buf_len=1M"
		n=1
		if [ $clock = icount ]; then
			q="-icount shift=0,sleep=off"
			words="$words khotest_vm_fill_held=1"
			n=${BENCH_BO_RUNS:-3}
		fi
		for r in $(seq "$n"); do
			log=$res/blackout-x86_64-$clock-vm-$1.log
			[ "$r" = 1 ] || log=${log%.log}-r$r.log
			"$TOP/tools/testing/selftests/kho/vmtest.sh" -a x86_64 -M host -m 8G \
				-k "$(arch_image x86_64)" -i "$cpio" -t vm_kexec -T 1800 -l "$log" \
				${q:+-q "$q"} -c "$words" > "$log.ktap" 2>&1
			bo+=("--kexec-blackout=x86_64:$clock:vm:$1:$r=$log")
			log=$res/blackout-x86_64-$clock-plainvm-64M.log
			[ "$r" = 1 ] || log=${log%.log}-r$r.log
			bo_guest "$log" x86_64 host:8G $clock plain 64M "$cpio"
			bo+=("--kexec-blackout=x86_64:$clock:plainvm:64M:$r=$log")
		done
	done
}

if [ "$mode" = blackout ]; then
	bo=()
	blackout_runs
	python3 "$TOP/harness/blackout.py" --out "$res" "${bo[@]#--kexec-blackout=}"
	exit
fi

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

# pr_pairs NAME WORDS: 4b and 4c, BENCH_PR_RUNS pairs of runs by 1 and by 2
# threads under TCG, one under -icount, each added to pr as --NAME.
pr_pairs() {
	local clock q n r t log

	for clock in tcg icount; do
		q= n=$pr_runs
		[ $clock = icount ] && q="-icount shift=0,sleep=off" n=1
		for r in $(seq "$n"); do
			for t in 1 2; do
				log=$res/$1-$clock-t$t-$r.log
				host_guest "$log" liveupdate_bench 1200 "$(arch_initramfs x86_64)" \
					"khotest_lubench_size=$pr_size khotest_lubench_kind=4k $2 memfd_kho.restore_threads=$t" "$q"
				pr+=("--$1=$clock:$t:$r=$log")
			done
		done
	done
}

pr=()
pr_size=${BENCH_PR_SIZE:-1G}
if [ "$mode" != smoke ]; then
	pr_runs=${BENCH_PR_RUNS:-5}
	step "QEMU x86_64 -smp 2, 8 GiB: RETRIEVE_FD of a $pr_size memfd of 4 KiB pages by 1 and by 2 threads, $pr_runs pairs under TCG, one under -icount shift=0"
	pr_pairs restore ""
	pr+=("--restore-size=$pr_size")
	step "QEMU x86_64 -smp 2, 8 GiB: the same $pr_size memfd filled after RETRIEVE_FD, checked and filled by 1 and by 2 threads, $pr_runs pairs under TCG, one under -icount shift=0"
	pr_pairs fill khotest_lubench_fill=later
	step "QEMU x86_64 -smp 2, 8 GiB: the same fill by 2 threads with CPU 0 kept busy, $pr_runs runs under TCG"
	for r in $(seq "$pr_runs"); do
		log=$res/fill-busy-tcg-t2-$r.log
		host_guest "$log" liveupdate_bench 1200 "$(arch_initramfs x86_64)" \
			"khotest_lubench_size=$pr_size khotest_lubench_kind=4k khotest_lubench_fill=later khotest_lubench_busy=0 memfd_kho.restore_threads=2"
		pr+=("--fill-busy=tcg:2:$r=$log")
	done
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

bo=()
blackout_runs

python3 "$TOP/harness/bench_report.py" --mode "$mode" --out "$res" \
	--callgrind "$res/callgrind/out" --native "$res/native.txt" \
	--cg-rc "$cg_rc" --native-rc "$native_rc" "${scratch[@]/#/--scratch=}" \
	"${guests[@]}" "${farm[@]}" "${lu[@]}" "${pr[@]}" "${vmb[@]}" "${bo[@]}"
