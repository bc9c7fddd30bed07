# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 9 3
# khotest-machines: small host
# khotest-cmdline: kho=on test_kho.size=1M kmemleak=on
#
# Faults on the way out: kexec -s -l runs the module client's prepare
# callback, which preserves a buffer, an array of records and a
# blob, and publishes the blob. With failslab and fail_page_alloc limited
# by their stack filter to what runs under kho_image_loaded(), the n-th
# allocation there fails, for every n until the load no longer meets a
# failure: each failed load must return an error and leave the handover as
# it was (the oops check of the runner covers the kernel log; the
# allocation failure traces of the injected faults are expected). Then a
# plain retry works, kmemleak finds nothing leaked by KHO or kexec, and the
# next kernel restores the state.

KO=/kho/test_kho_module.ko
CLO=/sys/kernel/kho/out/clients/test-kho-mod/stats
BLOB=/sys/kernel/kho/out/clients/test-kho-mod/blobs/test-kho-mod
FI=/sys/kernel/debug

# The address range of a kernel function, from kallsyms: "START END".
kfl_range() {
	awk -v f="$1" '$3 == f { a = $1; getline; print "0x" a, "0x" $1; exit }' \
		/proc/kallsyms
}

kfl_setup() {
	local d range

	range=$(kfl_range kho_image_loaded)
	[ -n "$range" ] || return 1
	khotest_diag "stack filter: kho_image_loaded at $range"
	for d in failslab fail_page_alloc; do
		echo 0 > $FI/$d/probability || return 1
		echo 0 > $FI/$d/verbose
		echo N > $FI/$d/ignore-gfp-wait
		echo -1 > $FI/$d/times
		echo "${range% *}" > $FI/$d/require-start || return 1
		echo "${range#* }" > $FI/$d/require-end || return 1
		echo 10 > $FI/$d/stacktrace-depth
	done
	echo 0 > $FI/fail_page_alloc/min-order
	echo N > $FI/fail_page_alloc/ignore-gfp-highmem
}

kfl_load() {
	kexec -s -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline)" 2>/dev/null
}

# kfl_sweep: fail the n-th allocation, n = 1, 2, ... until three loads in
# a row meet no failure. KFL_FAILED: loads that failed; KFL_BAD: states
# left wrong.
kfl_sweep() {
	local n=1 ok=0

	KFL_FAILED=0
	KFL_BAD=0
	while [ $ok -lt 3 ] && [ $n -le 300 ]; do
		if sh -c "echo $n > /proc/thread-self/fail-nth && exec kexec -s -l \
			/boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line='$(khotest_next_cmdline)'" 2>/dev/null; then
			ok=$((ok + 1))
			kexec -s -u
		else
			ok=0
			KFL_FAILED=$((KFL_FAILED + 1))
			# A failed load leaves nothing prepared.
			grep -q '^prepared 0$' $CLO || KFL_BAD=$((KFL_BAD + 1))
		fi
		n=$((n + 1))
	done
	KFL_N=$n
}

kfl_leaks() {
	local d=$FI/kmemleak

	[ -w $d ] || return 1
	echo scan > $d
	sleep 6
	echo scan > $d
	cat $d > /tmp/kmemleak
	khotest_diag "kmemleak: $(grep -c unreferenced /tmp/kmemleak) unreferenced objects in all"
	! grep -qE 'kho|kexec' /tmp/kmemleak
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "module client loads" insmod $KO
		khotest_check "fault injection set up" kfl_setup
		khotest_make_initrd
		khotest_log "faults injected from here"
		kfl_sweep
		khotest_log "faults injected until here"
		khotest_diag "fail-nth sweep: $KFL_N loads, $KFL_FAILED failed"
		khotest_check "allocation failures made kexec -s -l fail ($KFL_FAILED times)" \
			test "$KFL_FAILED" -gt 0
		khotest_check "every failed load left nothing prepared" test "$KFL_BAD" = 0
		khotest_check "the sweep reached loads without failure" test "$KFL_N" -le 300
		khotest_check "kmemleak: nothing leaked by kho or kexec" kfl_leaks
		kfl_load
		khotest_check "a retry without faults prepares the state" \
			sh -c "grep -q '^prepared 1$' $CLO && test -s $BLOB"
		kexec -s -u
		khotest_kexec_next "kexec -s -l" ;;
	1)
		khotest_check "the module restores its state" \
			sh -c "insmod $KO && dmesg |
			       grep -q 'test_kho_module: restored the state of kho-test-mod-v1'"
		khotest_check "no failure left in the log of the restore" \
			sh -c "! dmesg | grep -q 'test_kho_module: FAILED'" ;;
	esac
}
