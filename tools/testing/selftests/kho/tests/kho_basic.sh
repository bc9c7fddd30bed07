# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 4
# khotest-results: 12 31 31 4
# khotest-machines: small host
# khotest-cmdline: kho=on test_kho.size=16M memtest=1 reserve_mem=1M:4096:test_kho
#
# Kexec HandOver end to end with the test client (CONFIG_TEST_KEXEC_HANDOVER):
# generation 0 preserves 16 MiB of folios of random orders and a blob;
# generations 1 and 2 verify what the previous kernel preserved and
# preserve a new set; generation 3 boots with kho=off and must come up
# cleanly, ignoring the handover. Along the way: the root trees in
# /sys/kernel/kho decode with dtc, and kexec_load (kexec without -s) is
# refused while memory is preserved. The test client preserves folios in
# one batch, a page range, a gigantic folio (beyond the page allocator's
# orders) and the reserve_mem= region (then the range it restored). Every
# kernel runs the early memory test (memtest=1), which must leave preserved memory alone. The test
# client's high range lies where the struct pages are initialized by the
# deferred memory map init (CONFIG_DEFERRED_STRUCT_PAGE_INIT), which must
# take it over.

IN_CL=/sys/kernel/kho/in/clients/test-kho
OUT_CL=/sys/kernel/kho/out/clients/test-kho

kho_check_fdt() {
	# $1: fdt file, $2: text that must appear in the decoded tree
	dtc -I dtb -O dts "$1" > /tmp/tree.dts 2>/tmp/dtc.err &&
		grep -q "$2" /tmp/tree.dts
}

# Kexec placed the kernel in the kexec scratch area (the first one) and
# KASLR may only have moved it within that area: the others are sized for
# the early allocations (the lowmem one holds the crash kernel).
kho_kernel_in_scratch() {
	local start end addr size
	start=$(grep "Kernel code" /proc/iomem | head -n 1 |
		sed 's/^ *\([0-9a-f]*\)-.*/\1/')
	end=$(grep " : Kernel " /proc/iomem | tail -n 1 |
		sed 's/^ *[0-9a-f]*-\([0-9a-f]*\) .*/\1/')
	[ -n "$start" ] && [ -n "$end" ] || return 1
	khotest_diag "kernel at 0x$start-0x$end"
	read -r addr size < /sys/kernel/kho/scratch
	[ $((0x$start)) -ge $((addr)) ] && [ $((0x$end)) -lt $((addr + size)) ]
}

# kexec_load (kexec-tools without -s) must be refused by the kernel, not
# by kexec-tools giving up first (it places segments itself in the free
# memory /proc/iomem shows): a KHO boot must leave /proc/iomem as a normal
# boot does (arm64 once showed the kept free memory as reserved).
kho_check_kexec_load_refused() {
	khotest_kexec_load_refused "kexec_load without -s refused while memory is preserved"
}

# Scratch pageblocks are MIGRATE_CMA (mm/kho_pages.c), so that only
# movable allocations land there: the zones' CMA pages (/proc/zoneinfo)
# cover the scratch areas but for partial pageblocks at their edges.
kho_scratch_is_cma() {
	local cma total=0 ps addr size

	ps=$(getconf PAGESIZE 2>/dev/null || echo 4096)
	cma=$(awk '$1 == "cma" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
	while read -r addr size; do
		total=$((total + size / ps))
	done < /sys/kernel/kho/scratch
	khotest_diag "CMA pages in zones: $cma, scratch pages: $total"
	[ "$cma" -le "$total" ] && [ "$((cma * 2))" -ge "$total" ]
}

kho_dmesg_has() {
	dmesg | grep -q "$1"
}

kho_memfree() {
	sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

# No memory lost to the handover: MemFree within 10% of generation 0's at
# the same point, which generation 0 passes on (khotest_memfree=).
kho_memfree_kept() {
	local first now
	first=$(khotest_param khotest_memfree)
	now=$(kho_memfree)
	khotest_diag "MemFree ${now} kB, generation 0 ${first} kB"
	[ -n "$first" ] && [ "$now" -ge $((first * 90 / 100)) ]
}

# tools/kho/khoinspect over the live sysfs: exit 0, the root tree passes
# the next kernel's own checks, the test client and its blob are shown.
kho_inspect() {
	khoinspect "$@" > /tmp/khoinspect.txt || return 1
	grep -q 'check: ok' /tmp/khoinspect.txt &&
		grep -q 'name: test-kho' /tmp/khoinspect.txt &&
		grep -q 'compatible: kho-test-v1' /tmp/khoinspect.txt
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"

	if [ "$1" = 3 ]; then
		khotest_check "kho=off ignores the handover" \
			kho_dmesg_has "kho: kho=off: ignoring the handover"
		khotest_check "no incoming handover in sysfs" \
			test ! -e /sys/kernel/kho/in
		khotest_check "test client found nothing to verify" \
			sh -c '! dmesg | grep -q "test_kho: generation"'
		return
	fi

	khotest_check "scratch areas listed" test -s /sys/kernel/kho/scratch
	khotest_diag "scratch: $(tr '\n' ' ' < /sys/kernel/kho/scratch)"
	khotest_check "scratch pageblocks are MIGRATE_CMA" kho_scratch_is_cma
	if [ "$1" -gt 0 ]; then
		khotest_check "handover accepted" \
			kho_dmesg_has "kho: handover from the previous kernel"
		khotest_check "kernel image placed in the kexec scratch area" kho_kernel_in_scratch
		khotest_check "in/fdt decodes with dtc" \
			kho_check_fdt /sys/kernel/kho/in/fdt 'compatible = "kexec-handover-v1"'
		khotest_check "in/fdt links the test blob" \
			kho_check_fdt /sys/kernel/kho/in/fdt 'test-kho {'
		# The tree as received: a seed of tools/testing/kho/fuzz
		# (corpus-from-log.sh), in lines that fit into /dev/kmsg.
		base64 -w 512 /sys/kernel/kho/in/fdt | while read -r l; do
			khotest_diag "in/fdt base64: $l"
		done
		khotest_check "test client verified generation $1" \
			kho_dmesg_has "test_kho: generation $1: verified"
		khotest_check "no test client failure" \
			sh -c '! dmesg | grep -q "test_kho: .*FAILED"'
		khotest_check "unclaimed memory released" \
			grep -q "^released 1" /sys/kernel/kho/in/stats
		khotest_check "test client verified its gigantic folio" \
			kho_dmesg_has "test_kho: generation $1: verified the gigantic folio"
		khotest_check "test client verified its reserved physical range" \
			kho_dmesg_has "test_kho: generation $1: verified the reserved"
		khotest_check "test client verified its high range" \
			kho_dmesg_has "test_kho: generation $1: verified the high range"
		khotest_check "preserved memory taken by the deferred memmap init" \
			sh -c '! grep -q "^deferred_bytes 0$" /sys/kernel/kho/in/stats'
		khotest_check "no memory lost to the handover" kho_memfree_kept
		khotest_check "in/boot_count counts the handovers" \
			test "$(cat /sys/kernel/kho/in/boot_count)" = "$1"
		khotest_check "in/previous_release names the previous kernel" \
			test "$(cat /sys/kernel/kho/in/previous_release)" = "$(uname -r)"
		khotest_check "in/frozen_at records when the handover was frozen" \
			test "$(cat /sys/kernel/kho/in/frozen_at)" -gt 0
		khotest_check "the test client finished: the rest of its memory was released" \
			grep -q "^state finished$" $IN_CL/stats
		khotest_check "the test client's restored bytes are counted" \
			sh -c "! grep -q '^restored_bytes 0$' $IN_CL/stats"
		khotest_check "khoinspect --in shows the handover, its test client and blob" \
			kho_inspect --in
		khotest_check "khoinspect --in --json names the test client" \
			sh -c "khoinspect --in --json | grep -q '\"name\":\"test-kho\"'"
		khotest_diag "in/clients/test-kho/stats: $(tr '\n' ' ' < $IN_CL/stats)"
		khotest_diag "in/stats: $(tr '\n' ' ' < /sys/kernel/kho/in/stats)"
	fi
	khotest_check "test client preserved generation $1" \
		kho_dmesg_has "test_kho: generation $1: preserved"
	khotest_check "out/fdt decodes with dtc" \
		kho_check_fdt /sys/kernel/kho/out/fdt 'compatible = "kexec-handover-v1"'
	khotest_check "out/fdt links the test blob" \
		kho_check_fdt /sys/kernel/kho/out/fdt 'test-kho {'
	khotest_check "out/clients/test-kho/blobs/test-kho is the client's FDT" \
		kho_check_fdt $OUT_CL/blobs/test-kho 'kho-test-v1'
	khotest_check "out/clients/test-kho/stats shows the client's memory" \
		sh -c "grep -q '^compatible kho-test-v1$' $OUT_CL/stats &&
			! grep -q '^bytes 0$' $OUT_CL/stats"
	khotest_check "khoinspect shows the outgoing handover" kho_inspect
	khotest_diag "out/stats: $(tr '\n' ' ' < /sys/kernel/kho/out/stats)"

	khotest_make_initrd
	kho_check_kexec_load_refused

	next=""
	[ "$1" = 0 ] && next="khotest_memfree=$(kho_memfree)"
	[ "$1" = 2 ] && next="kho=off"
	if ! khotest_kexec_load $next $(khotest_break_words); then
		khotest_fail "kexec -s -l"
		return
	fi
	khotest_ok "kexec -s -l"
	khotest_diag "$(dmesg | grep 'segment pages loaded in place' | tail -n 1)"
	# Every segment is written in place and nothing is copied at the jump:
	# later kernels run from the kexec area themselves, and the next one
	# is placed beside them.
	khotest_check "every segment loaded in place: 0 bytes to copy at kexec -e" \
			sh -c "dmesg | grep 'segment pages loaded in place' | tail -n 1 |
				grep -q ', 0 bytes to copy at kexec -e'"
	khotest_kexec_exec
}
