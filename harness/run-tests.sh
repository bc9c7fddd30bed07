#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh [SUITE...]: every test suite of the project, each printed as
# KTAP, then one line "N passed, N failed" counting the top-level results
# of all suites. Exit status is non-zero when anything failed.
#
# Suites: memblock and memblock-numa (userspace simulator, without and
# with NUMA), xarray (tools/testing/radix-tree: the XArray's suite and
# the tests of xas_store_leaf()), tracker (userspace tests of the KHO tracker), bench (a smoke
# run of make bench: small inputs, the bench's own checks), fuzz (a short
# libFuzzer run of each target of tools/testing/kho/fuzz), inspector
# (tools/kho/test.sh: khoinspect over the fuzz seeds, damaged copies of
# them and a fake sysfs), series
# (export and checkpatch), kconfig (the series' Kconfig rules), docs
# (make htmldocs SPHINXDIRS=kho and the sysfs ABI files, no warning),
# selftests-x86_64, selftests-arm64 (QEMU, KUnit
# included), ftrace-x86_64, ftrace-arm64 (6.12's ftracetest on the test
# kernel: its quick subset, all of it with FTRACETEST_FULL=1, as make
# test-ftrace does), w1-x86_64, w1-arm64 (the series' C files with W=1);
# debug-x86_64, debug-arm64 (make test-debug: the selftests on a debug
# kernel, not part of the default suites).
# ARCHS="x86_64" limits the architectures.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ARCHS=${ARCHS:-x86_64 arm64}
LOGDIR=$OUT/logs
mkdir -p "$LOGDIR"
passed=0
failed=0
skipped=0
failures=()
failure_details=()
suites=("$@")
[ ${#suites[@]} -gt 0 ] || {
	# SCENARIO="NAME...": those selftest scenarios only.
	[ -n "${SCENARIO:-}" ] || suites=(memblock memblock-numa xarray tracker fuzz inspector series kconfig docs)
	for a in $ARCHS; do
		suites+=("selftests-$a")
		[ -n "${SCENARIO:-}" ] || suites+=("ftrace-$a" "w1-$a")
	done
	# bench boots the x86_64 kernel the selftests have built by then.
	[ -n "${SCENARIO:-}" ] || suites+=(bench)
}

# Print a suite's KTAP and count its top-level results. A skip anywhere,
# a subtest of a scenario included, counts as a skip (and the scenario
# that contains it still counts as passed when nothing failed).
# A failed result keeps its failed subtests, each with the diagnostics
# after it, for the end of the output.
report() {
	local line detail="" keep=0
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		" "*"not ok "*) detail+="$line"$'\n'; keep=12 ;;
		" "*"# "*)
			[ $keep -gt 0 ] && detail+="$line"$'\n' && keep=$((keep - 1)) ;;
		*) keep=0 ;;
		esac
		case "$line" in
		"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*)
			failed=$((failed + 1))
			failures+=("${line#not ok }")
			failure_details+=("$detail") ;;
		*"# SKIP"*)
			# A subtest result, not a diagnostic quoting one.
			[[ $line =~ ^\ +ok\ [0-9]+\  ]] && skipped=$((skipped + 1)) ;;
		esac
		case "$line" in
		"ok "* | "not ok "*) detail="" keep=0 ;;
		esac
	done
}

# A step that must work before a suite can run: its failure is one result.
setup_failed() {
	echo "KTAP version 1"
	echo "# $1: setup failed: $2 (log: ${3#"$TOP"/})"
	tail -n 20 "$3" | sed 's/^/# /'
	echo "1..1"
	echo "not ok 1 $1"
}

# suite_memblock [1]: the simulator, with NUMA=1 as the NUMA build.
suite_memblock() {
	local numa=${1:-0} name=memblock dir=$TREE/tools/testing/memblock log out n=0 line rc
	[ "$numa" = 1 ] && name=memblock-numa
	log=$LOGDIR/$name.log
	# Both builds share the directory: start from a clean one.
	if ! { make -s -C "$dir" clean && make -s -C "$dir" -j"$(nproc)" NUMA="$numa" main; } > "$log" 2>&1; then
		setup_failed "$name" "build" "$log"
		return
	fi
	# A failed check aborts the simulator: that is one more failed result.
	out=$( (cd "$dir" && ./main -v) 2>&1) && rc=0 || rc=$?
	echo "$out" >> "$log"
	[ $rc = 0 ] || out=$(printf '%s\nnot ok 0 : simulator exited with status %s\n' "$out" "$rc")
	echo "KTAP version 1"
	echo "# $name: tools/testing/memblock simulator (ASan/UBSan, NUMA=$numa)"
	echo "1..$(echo "$out" | grep -cE '^(not )?ok ')"
	echo "$out" | while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			n=$((n + 1))
			echo "$line" | sed -E "s/^(not )?ok [0-9]+ :? */\1ok $n /" ;;
		esac
	done
}

# tools/testing/radix-tree's xarray (ASan, UBSan): the XArray's own suite
# (lib/test_xarray.c) on the series' lib/xarray.c, then the checks of
# xas_store_leaf(). One result each.
suite_xarray() {
	local dir=$TREE/tools/testing/radix-tree log=$LOGDIR/xarray.log out rc
	echo "KTAP version 1"
	echo "# xarray: tools/testing/radix-tree xarray (ASan/UBSan)"
	echo "1..2"
	# Its Makefile does not know that xarray.o includes lib/test_xarray.c.
	if ! { rm -f "$dir"/xarray.o && make -s -C "$dir" -j"$(nproc)" xarray; } > "$log" 2>&1; then
		tail -n 20 "$log" | sed 's/^/# /'
		echo "not ok 1 xarray: test_xarray: build failed (log: ${log#"$TOP"/})"
		echo "not ok 2 xarray: xas_store_leaf: build failed"
		return
	fi
	out=$( (cd "$dir" && ./xarray) 2>&1) && rc=0 || rc=$?
	echo "$out" >> "$log"
	echo "$out" | tail -n 3 | sed 's/^/# /'
	[ $rc = 0 ] || echo "# xarray exited with status $rc (log: ${log#"$TOP"/})"
	# A leaked node is printed as nr_allocated; a failed assert aborts.
	if echo "$out" | grep -q '^XArray: \([0-9]*\) of \1 tests passed'; then
		echo "ok 1 xarray: test_xarray"
	else
		echo "not ok 1 xarray: test_xarray"
	fi
	if [ $rc = 0 ] && echo "$out" | grep -q '^xas_store_leaf: all checks passed' &&
	   ! echo "$out" | grep -q '^nr_allocated'; then
		echo "ok 2 xarray: xas_store_leaf"
	else
		echo "not ok 2 xarray: xas_store_leaf"
	fi
}

suite_tracker() {
	local log=$LOGDIR/tracker.log out rc
	if ! make -s -C "$TREE/tools/testing/kho" kho_tracker_test > "$log" 2>&1; then
		setup_failed tracker "build" "$log"
		return
	fi
	out=$( (cd "$TREE/tools/testing/kho" && ./kho_tracker_test) 2>&1) && rc=0 || rc=$?
	echo "$out" >> "$log"
	echo "$out" | grep -v '^# [0-9]* passed, '
	# A crash (sanitizer abort) before the plan is complete is a failure.
	[ $rc = 0 ] || echo "not ok 0 tracker test program exited with status $rc"
}

# The libFuzzer targets of tools/testing/kho/fuzz, FUZZ_SMOKE_TIME seconds
# each (default 3) from their seeds and the work corpus in out/fuzz: one
# result per target, failed when it crashed.
suite_fuzz() {
	local dir=$TREE/tools/testing/kho/fuzz log=$LOGDIR/fuzz.log n=0 t f out rc
	local time=${FUZZ_SMOKE_TIME:-3} targets=()
	if ! make -s -C "$dir" all > "$log" 2>&1; then
		setup_failed fuzz "build" "$log"
		return
	fi
	for f in "$dir"/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
	echo "KTAP version 1"
	echo "# fuzz: tools/testing/kho/fuzz (libFuzzer, ASan/UBSan), ${time}s per target"
	echo "1..${#targets[@]}"
	for t in "${targets[@]}"; do
		n=$((n + 1))
		out=$("$dir/run.sh" -t "$time" -o "$OUT/fuzz" "$t" 2>&1) && rc=0 || rc=$?
		echo "$out" >> "$log"
		echo "$out" | sed 's/^/# /'
		if [ $rc = 0 ]; then
			echo "ok $n $t"
		else
			echo "not ok $n $t"
		fi
	done
}

# tools/kho/test.sh: khoinspect (ASan/UBSan) over the root trees of the
# fuzz seed corpus, damaged copies of them and a fake sysfs; its KTAP, one
# result per check.
suite_inspector() {
	local log=$LOGDIR/inspector.log out rc
	out=$("$TREE/tools/kho/test.sh" 2>&1) && rc=0 || rc=$?
	echo "$out" > "$log"
	echo "$out" | grep -v '^# [0-9]* passed, '
	# A failure without a result of its own (the script died) is one more.
	[ $rc = 0 ] || echo "$out" | grep -q '^not ok ' ||
		echo "not ok 0 inspector test exited with status $rc"
}

# The exported series: overlay files map one to one onto patches, and
# every patch is checkpatch --strict clean (one result per patch). The
# per-patch builds (make check-series, about 18 minutes) do not fit the
# budget of make test and are run separately.
suite_series() {
	local log=$LOGDIR/series.log p n=0 out
	if ! KHO_SERIES_NO_CHECKPATCH=1 "$TOP/harness/series.sh" > "$log" 2>&1; then
		setup_failed series "export (make series)" "$log"
		return
	fi
	echo "KTAP version 1"
	echo "# series: checkpatch --strict on every exported patch"
	echo "1..$(find "$OUT/series" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | wc -l)"
	# checkpatch on all CPUs, one output and status file per patch; the
	# results are then printed in series order.
	rm -rf "$OUT/series-checkpatch"
	mkdir -p "$OUT/series-checkpatch"
	find "$OUT/series" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' -print0 |
		(cd "$OUT/series-tree" && PATH=/usr/bin:$PATH xargs -0 -P "$(nproc)" -I{} sh -c \
			'o=$1/$(basename "$2"); scripts/checkpatch.pl --strict --quiet "$2" > "$o" 2>&1; echo $? > "$o.rc"' \
			sh "$OUT/series-checkpatch" {})
	for p in "$OUT"/series/[0-9][0-9][0-9][0-9]-*.patch; do
		case "$p" in *0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		out=$OUT/series-checkpatch/$(basename "$p")
		if [ "$(cat "$out.rc" 2>/dev/null)" = 0 ]; then
			echo "ok $n $(basename "$p")"
		else
			echo "not ok $n $(basename "$p")"
			head -n 20 "$out" | sed 's/^/# /'
		fi
		cat "$out" >> "$log"
	done
}

# Kconfig rules of the series: the configuration is resolved (no build)
# for x86_64 with the test fragments, once as is and once with a symbol a
# rule depends on turned off. One result per rule.
suite_kconfig() {
	local obj=$OUT/build/kconfig-check frag flags kst=$TOP/tools/testing/selftests/kho
	read -r -a flags <<< "$(arch_make_flags x86_64)"
	mkdir -p "$obj"
	frag=$obj/frag
	kconf() {
		make -s -C "$TREE" O="$obj" "${flags[@]}" KCONFIG_ALLCONFIG="$frag" \
			allnoconfig > "$obj/log" 2>&1
	}
	echo "KTAP version 1"
	echo "# kconfig: dependencies of the series, resolved for x86_64"
	echo "1..2"
	cat "$kst/config" "$kst/config.x86_64" > "$frag"
	if kconf && grep -qx CONFIG_KEXEC_HANDOVER=y "$obj/.config"; then
		echo "ok 1 the test configuration enables KEXEC_HANDOVER"
	else
		echo "not ok 1 the test configuration enables KEXEC_HANDOVER"
	fi
	# Blocks up to 1 GiB walk their struct pages as one array.
	echo "# CONFIG_SPARSEMEM_VMEMMAP is not set" >> "$frag"
	if kconf && ! grep -q "^CONFIG_KEXEC_HANDOVER=" "$obj/.config"; then
		echo "ok 2 KEXEC_HANDOVER needs SPARSEMEM_VMEMMAP"
	else
		echo "not ok 2 KEXEC_HANDOVER needs SPARSEMEM_VMEMMAP"
	fi
}

# The documentation, built out of tree in out/build/htmldocs (nothing is
# written into the tree: YNL_INDEX= skips the netlink pages that 6.12's
# Documentation/Makefile would generate in the source tree). Three results,
# each failed by any warning or error: make htmldocs SPHINXDIRS=kho
# (Documentation/kho and the kernel-doc comments it pulls in), get_abi.pl
# validate over Documentation/ABI, and the sysfs ABI files of the series
# rendered the way admin-guide/abi-testing.rst renders them (kernel-abi,
# :rst:), in a small Sphinx project of its own.
suite_docs() {
	local obj=$OUT/build/htmldocs log=$LOGDIR/docs.log out rc f t
	local abi=$obj/abi-check refs=()
	echo "KTAP version 1"
	echo "# docs: make htmldocs SPHINXDIRS=kho, the sysfs ABI files (log: ${log#"$TOP"/})"
	echo "1..3"
	: > "$log"
	if ! command -v sphinx-build > /dev/null; then
		echo "not ok 1 htmldocs-kho # sphinx-build missing: harness/deps.sh installs it"
		echo "not ok 2 abi-validate # not run"
		echo "not ok 3 abi-render # sphinx-build missing"
		return
	fi
	# Sphinx reports a warning only when it reads the file: start afresh.
	rm -rf "$obj/Documentation/output"
	out=$(make -s -C "$TREE" O="$obj" SPHINXDIRS=kho YNL_INDEX= YNL_RST_FILES= \
		htmldocs 2>&1) && rc=0 || rc=$?
	echo "$out" >> "$log"
	docs_result 1 htmldocs-kho "$rc" "$out"

	out=$("$TREE/scripts/get_abi.pl" validate --dir "$TREE/Documentation/ABI" 2>&1) &&
		rc=0 || rc=$?
	echo "$out" >> "$log"
	# validate prints nothing when every file is valid.
	[ -z "$out" ] || rc=1
	docs_result 2 abi-validate "$rc" "$out"

	rm -rf "$abi"
	mkdir -p "$abi/abi" "$abi/src"
	for f in sysfs-kernel-kho sysfs-kernel-liveupdate; do
		ln -s "$TREE/Documentation/ABI/testing/$f" "$abi/abi/$f"
	done
	# The documents the files name are stubs here: a name that does not
	# exist in the tree stays an unknown document, and a warning.
	cat > "$abi/src/conf.py" <<-EOF
		import os, sys
		sys.path.insert(0, os.path.join(os.environ['srctree'], 'Documentation', 'sphinx'))
		extensions = ['kernel_abi']
		project = 'kho-abi'
	EOF
	printf 'ABI\n===\n\n.. kernel-abi:: %s\n   :rst:\n\n.. toctree::\n   :hidden:\n\n' \
		"$abi/abi" > "$abi/src/index.rst"
	while read -r t; do
		[ -f "$TREE/$t" ] || continue
		t=${t#Documentation/}
		t=${t%.rst}
		mkdir -p "$abi/src/$(dirname "$t")"
		printf 'Stub\n====\n' > "$abi/src/$t.rst"
		refs+=("$t")
	done < <(grep -ho 'Documentation/[A-Za-z0-9_/.-]*\.rst' "$abi"/abi/* | sort -u)
	[ ${#refs[@]} = 0 ] || printf '   %s\n' "${refs[@]}" >> "$abi/src/index.rst"
	out=$(cd "$abi" && srctree=$TREE PYTHONDONTWRITEBYTECODE=1 sphinx-build -q \
		-b html -d "$abi/doctrees" "$abi/src" "$abi/html" 2>&1) && rc=0 || rc=$?
	echo "$out" >> "$log"
	docs_result 3 abi-render "$rc" "$out"
}

# docs_result N NAME STATUS OUTPUT: ok unless the command failed or printed
# a warning or an error.
docs_result() {
	local bad
	bad=$(echo "$4" | grep -iE 'warning|error|critical|severe')
	if [ "$3" = 0 ] && [ -z "$bad" ]; then
		echo "ok $1 $2"
	else
		echo "not ok $1 $2"
		echo "${bad:-$4}" | head -n 30 | sed 's/^/# /'
	fi
}

# Build kernel and initramfs for an architecture, or with "debug" the debug
# kernel (config.debug on top) and its initramfs; returns non-zero after
# printing a failed result.
build_arch() {
	local arch=$1 variant=${2:-} log=$LOGDIR/build-$1${2:+-$2}.log suite=selftests-$1
	if [ "$variant" = debug ]; then
		suite=debug-$arch
		if ! EXTRA_CONFIG=$TOP/tools/testing/selftests/kho/config.debug \
			"$TOP/harness/build.sh" "$arch" "$TREE" "$(arch_build_dir "$arch" debug)" > "$log" 2>&1; then
			setup_failed "$suite" "debug kernel build" "$log"
			return 1
		fi
	elif ! "$TOP/harness/build.sh" "$arch" > "$log" 2>&1; then
		setup_failed "$suite" "kernel build" "$log"
		return 1
	fi
	if [ "$arch" = arm64 ] && [ -z "$variant" ] && [[ " ${SCENARIO:-kho_pagesize} " = *" kho_pagesize "* ]] && ! EXTRA_CONFIG=$TOP/tools/testing/selftests/kho/config.arm64-64k \
		"$TOP/harness/build.sh" arm64 "$TREE" "$OUT/build/arm64-64k" >> "$log" 2>&1; then
		setup_failed "$suite" "64K-page kernel build" "$log"
		return 1
	fi
	if ! "$TOP/harness/mkinitramfs.sh" "$arch" "$(arch_image "$arch" $variant)" \
		"$(arch_initramfs "$arch" $variant)" >> "$log" 2>&1; then
		setup_failed "$suite" "initramfs" "$log"
		return 1
	fi
}

# Every scenario of tools/testing/selftests/kho/tests on every machine it
# names ("# khotest-machines: small host", default small; see vmtest.sh -M;
# "host:x86_64" names a machine for one architecture only, for scenarios
# whose checks do not depend on the machine and are too slow to run on
# all four), one line "NAME MACHINE [FLAGS]"; kexec_basic runs a second time on the
# small machine with a broken next kernel to show that the runner catches
# it. Skipped, with the reason as FLAGS: a scenario limited to other
# architectures ("# khotest-arch: ..."); one that needs the debug kernel
# ("# khotest-kernel: debug") outside make test-debug; on the debug
# kernel, kho_pagesize (its 64K kernel is not built there). SCENARIO="NAME..."
# limits the plan to those scenarios. selftest_plan ARCH [debug]
selftest_plan() {
	local f name archs machines kernel m
	for f in "$TOP"/tools/testing/selftests/kho/tests/*.sh; do
		name=$(basename "$f" .sh)
		[ -n "${SCENARIO:-}" ] && [[ " $SCENARIO " != *" $name "* ]] && continue
		archs=$(sed -n 's/^# khotest-arch: *//p' "$f")
		machines=$(sed -n 's/^# khotest-machines: *//p' "$f")
		kernel=$(sed -n 's/^# khotest-kernel: *//p' "$f")
		for m in ${machines:-small}; do
			case "$m" in
			*:"$1") m=${m%%:*} ;;
			*:*) continue ;;
			esac
			if [ -n "$archs" ] && ! echo " $archs " | grep -q " $1 "; then
				echo "$name $m skip the scenario is for other architectures"
			elif [ "$kernel" = debug ] && [ "${2:-}" != debug ]; then
				echo "$name $m skip the scenario needs the debug kernel: make test-debug"
			elif [ "${2:-}" = debug ] && [ "$name" = kho_pagesize ]; then
				echo "$name $m skip no 64K-page debug kernel"
			else
				echo "$name $m"
				[ "$name" = kexec_basic ] && [ "$m" = small ] &&
					[ "${2:-}" != debug ] && echo "$name $m -b"
			fi
		done
	done
}

# scenario_initramfs ARCH NAME [debug]: set initrd to the initramfs a
# scenario runs on; fails when it cannot be built.
# "# khotest-initramfs: vm" asks for the variant with QEMU in it
# (mkinitramfs.sh --vm), built here the first time a scenario of the suite
# needs it, so that the other scenarios keep a small initramfs; vm_built
# remembers that (1) or the failure (failed), per suite.
scenario_initramfs() {
	local arch=$1 name=$2 variant=${3:-} kind cpio
	local log=$LOGDIR/build-$arch${variant:+-$variant}.log

	kind=$(sed -n 's/^# khotest-initramfs: *//p' \
		"$TOP/tools/testing/selftests/kho/tests/$name.sh")
	case "$kind" in
	"")
		initrd=$(arch_initramfs "$arch" $variant)
		return ;;
	vm) ;;
	*)
		echo "# $name: unknown khotest-initramfs $kind" >&2
		return 1 ;;
	esac
	cpio=$(arch_initramfs "$arch" "${variant:+$variant-}vm")
	if [ -z "${vm_built:-}" ]; then
		vm_built=failed
		"$TOP/harness/mkinitramfs.sh" --vm "$arch" "$(arch_image "$arch" $variant)" \
			"$cpio" >> "$log" 2>&1 && vm_built=1
	fi
	initrd=$cpio
	[ "$vm_built" = 1 ]
}

# tcg_stale_int3 LOG: the guest died of an int3 that the kernel had already
# patched away. When text_poke_bp() rewrites a call site (a static call or a
# jump label) while another vCPU runs it, QEMU's multi-threaded TCG now and
# then lets that vCPU execute the temporary int3 after the patch is complete
# and the int3 handler has let go of the site: "Oops: int3" with the trapping
# byte, the one before <..> in the Code: line, no longer 0xcc. Seen once in
# CI at boot (a scheduler call site), and with ftracetest on an unpatched 6.12
# kernel. A real stray int3 (jumping into int3 padding) still shows cc there
# and is not run again.
tcg_stale_int3() {
	[ -z "${KHO_KVM:-}" ] && [ -f "$1" ] || return 1
	grep -q "Oops: int3" "$1" || return 1
	grep -m1 -A30 "Oops: int3" "$1" | sed -n 's/.*Code: .* \([0-9a-f][0-9a-f]\) <[0-9a-f][0-9a-f]>.*/\1/p' |
		head -1 | grep -qv '^cc$'
}

# suite_selftests ARCH [debug]: every scenario of the plan on the test
# kernel, or on the debug kernel with init_on_free=1 and a longer timeout.
suite_selftests() {
	local arch=$1 variant=${2:-} kst=$TOP/tools/testing/selftests/kho n=0 total
	local name machine flags rc out tag=${2:+.$2} what="selftests: kho" initrd log run
	local vm_built=
	build_arch "$arch" $variant || return
	total=$(selftest_plan "$arch" $variant | wc -l)
	[ "$variant" = debug ] && what="debug kernel (config.debug, init_on_free=1): kho selftests"
	echo "KTAP version 1"
	echo "# $what on $arch under QEMU (${KHO_KVM:+KVM}${KHO_KVM:-TCG})"
	echo "1..$total"
	while read -r name machine flags; do
		n=$((n + 1))
		if [ "${flags%% *}" = skip ]; then
			echo "ok $n $name.$arch.$machine$tag # SKIP ${flags#skip }"
			continue
		fi
		scenario_initramfs "$arch" "$name" $variant || {
			echo "not ok $n $name.$arch.$machine$tag # its initramfs failed to build" \
				"(log: out/logs/build-$arch${variant:+-$variant}.log)"
			continue
		}
		if [ "$variant" = debug ]; then
			log=$LOGDIR/$name.$arch.$machine.debug.log
			run=(env KHO_TIMEOUT_SCALE=3 "$kst/vmtest.sh" -a "$arch" -M "$machine"
			     -k "$(arch_image "$arch" debug)" -i "$initrd"
			     -t "$name" -n "$n" -c init_on_free=1 -l "$log")
		else
			log=$LOGDIR/$name.$arch.$machine${flags:+.broken}.log
			run=("$kst/vmtest.sh" -a "$arch" -M "$machine" -k "$(arch_image "$arch")"
			     -i "$initrd" -t "$name" -n "$n" -l "$log" $flags)
		fi
		out=$("${run[@]}")
		rc=$?
		if [ $rc != 0 ] && [ "$flags" != "-b" ] && tcg_stale_int3 "$log"; then
			mv "$log" "${log%.log}.stale-int3.log"
			echo "# $name.$arch.$machine$tag: run again: the first run hit a stale int3" \
				"of QEMU's TCG (log: ${log#"$TOP"/}, first run: .stale-int3.log)"
			out=$("${run[@]}")
			rc=$?
		fi
		if [ "$flags" = "-b" ]; then
			# Expected to fail: pass when the runner saw the dead kernel.
			echo "$out" | sed '$d'
			if [ $rc = 1 ] && echo "$out" | grep -q "not ok .*generation 1 did not finish"; then
				echo "ok $n $name.$arch.$machine.detects-dead-next-kernel"
			else
				echo "not ok $n $name.$arch.$machine.detects-dead-next-kernel"
			fi
		else
			echo "$out"
			ran+=("$name.$arch$tag: $machine")
		fi
	done < <(selftest_plan "$arch" $variant)
}

# suite_ftrace ARCH: 6.12's own ftrace selftests (ftracetest) in a guest on
# the test kernel that selftests-ARCH built, so that the ring buffer and
# trace changes of the series do not regress ordinary tracing. The quick
# subset by default, every test case with FTRACETEST_FULL=1. Two results:
# ftracetest ran to its end and no test case FAILED; the ring buffer
# startup test, which only this guest runs (vmtest.sh skips it), passed. x86_64 runs on one
# CPU: under TCG, enabling the function tracer on every function with two
# CPUs now and then trips an int3 in the other CPU (seen on the unpatched
# kernel too).
suite_ftrace() {
	local arch=$1 log=$LOGDIR/ftracetest.$1.log out rc failed cpus=2 subset=(-s quick)
	local what="quick subset"
	echo "KTAP version 1"
	[ "${FTRACETEST_FULL:-0}" = 1 ] && subset=() && what="every test case"
	echo "# ftrace-$arch: 6.12's ftracetest, $what, and the ring buffer startup test"
	echo "# (CONFIG_RING_BUFFER_STARTUP_TEST) on the test kernel (log: ${log#"$TOP"/})"
	echo "1..2"
	if [ ! -f "$(arch_image "$arch")" ] || [ ! -f "$(arch_initramfs "$arch")" ]; then
		echo "not ok 1 ftracetest.$arch # no test kernel: selftests-$arch builds it"
		echo "not ok 2 ring_buffer_startup_test.$arch # no test kernel"
		return
	fi
	[ "$arch" = x86_64 ] && cpus=1
	out=$("$TOP/tools/testing/selftests/kho/ftracetest.sh" -a "$arch" -n "$cpus" \
		-k "$(arch_image "$arch")" -i "$(arch_initramfs "$arch")" "${subset[@]}" -l "$log" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	failed=$(echo "$out" | sed -n 's/^# of failed: //p')
	if [ $rc = 0 ] && [ "${failed:-x}" = 0 ]; then
		echo "ok 1 ftracetest.$arch"
	else
		echo "not ok 1 ftracetest.$arch"
	fi
	if echo "$out" | grep -q "^ring buffer startup test: passed"; then
		echo "ok 2 ring_buffer_startup_test.$arch"
	else
		echo "not ok 2 ring_buffer_startup_test.$arch"
	fi
}

# Which machines each scenario ran on, for the summary.
machines_summary() {
	local f
	[ -f "$LOGDIR/machines" ] || return 0
	echo "# machines: small = 1 GiB, one node, SeaBIOS (x86_64 -M pc) or a device tree (arm64 -M virt);"
	echo "#   host = UEFI (OVMF, -M q35; qemu-efi-aarch64 through ACPI), 6 GiB, 2 NUMA nodes (node 1 memoryless), crashkernel=256M"
	sort "$LOGDIR/machines" | awk -F': ' '
		$1 != prev { if (prev != "") print line; prev = $1; line = "# " $1 " ran on: " $2; next }
		{ line = line ", " $2 }
		END { if (prev != "") print line }'
}

start=$(date +%s)
rm -f "$LOGDIR/machines"
for s in "${suites[@]}"; do
	case "$s" in
	memblock) report < <(suite_memblock 0) ;;
	memblock-numa) report < <(suite_memblock 1) ;;
	xarray) report < <(suite_xarray) ;;
	tracker) report < <(suite_tracker) ;;
	bench) report < <("$TOP/harness/bench.sh" smoke 2>&1) ;;
	fuzz) report < <(suite_fuzz) ;;
	inspector) report < <(suite_inspector) ;;
	series) report < <(suite_series) ;;
	kconfig) report < <(suite_kconfig) ;;
	docs) report < <(suite_docs) ;;
	w1-*) report < <("$TOP/harness/w1.sh" "${s#w1-}") ;;
	ftrace-*) report < <(suite_ftrace "${s#ftrace-}") ;;
	selftests-* | debug-*)
		report < <(ran=()
			   case "$s" in
			   debug-*) suite_selftests "${s#debug-}" debug ;;
			   *) suite_selftests "${s#selftests-}" ;;
			   esac
			   [ ${#ran[@]} = 0 ] ||
				   printf '%s\n' "${ran[@]}" >> "$LOGDIR/machines") ;;
	*) die "unknown suite $s" ;;
	esac
done
machines_summary
echo "# total time $(($(date +%s) - start))s"
# The failed results again, so that the end of the output names them.
for i in "${!failures[@]}"; do
	echo "# failed: ${failures[$i]}"
	printf '%s' "${failure_details[$i]}" | sed 's/^ */#   /'
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
