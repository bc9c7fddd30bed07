# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 7 7 5
# khotest-machines: small host
# khotest-cmdline: kho=on
#
# Races: the stress client's four threads preserve and unpreserve folios
# without pause while user space loads and unloads images with
# kexec_file_load (which runs the module client's prepare and abort), a
# second loop aborts and re-enables the handover, and a third reads every
# file under /sys/kernel/kho. The jump freezes the threads. The next
# kernel restores every folio the stress client's slot table names and
# checks its contents, and the core's statistics show that nothing else
# of that client was handed over: a preserve or unpreserve lost to a race
# on either side fails the generation. Each kernel stresses again for the
# next one.

KS=/kho/test_kho_stress.ko
KM=/kho/test_kho_module.ko
IN=/sys/kernel/kho/in/clients/test-kho-stress/stats
ROUNDS=6

kst_log() { dmesg | grep -q "$1"; }

# The sysfs reader and the abort toggler run until /tmp/kst-stop exists.
kst_background() {
	rm -f /tmp/kst-stop
	(while [ ! -e /tmp/kst-stop ]; do
		find /sys/kernel/kho -type f -exec cat {} + > /dev/null 2>&1
	done) &
	KST_READER=$!
	# A write fails with EBUSY while a load holds the kexec lock.
	(while [ ! -e /tmp/kst-stop ]; do
		echo 1 2> /dev/null > /sys/kernel/kho/abort
		sleep 0.2
		echo 0 2> /dev/null > /sys/kernel/kho/abort
		sleep 0.3
	done) &
	KST_TOGGLER=$!
}

kst_background_stop() {
	touch /tmp/kst-stop
	wait $KST_READER $KST_TOGGLER
	echo 0 > /sys/kernel/kho/abort
}

# kst_kexec ARGS...: kexec, again while the kexec lock is taken (EBUSY:
# the abort toggler holds it for a moment); any other error fails.
kst_kexec() {
	local try out

	for try in $(seq 50); do
		out=$(kexec "$@" 2>&1) && return 0
		echo "$out" | grep -q 'Device or resource busy' || break
		KST_BUSY=$((KST_BUSY + 1))
		sleep 0.1
	done
	echo "$out" >&2
	return 1
}

# ROUNDS loads and unloads; KST_BAD counts those that failed.
kst_rounds() {
	local i

	KST_BAD=0
	KST_BUSY=0
	for i in $(seq $ROUNDS); do
		kst_kexec -s -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)" ||
			KST_BAD=$((KST_BAD + 1))
		kst_kexec -s -u || KST_BAD=$((KST_BAD + 1))
	done
	khotest_diag "$ROUNDS rounds: $KST_BAD failed, $KST_BUSY retries on a busy kexec lock"
}

# The restore of the previous generation's stress state.
kst_restore_checks() {
	khotest_check "the stress client restores every folio of its slot table" \
		sh -c "insmod $KS && dmesg |
		       grep -q 'test_kho_stress: restored the state of kho-test-stress-v1'"
	khotest_diag "$(dmesg | grep -o 'test_kho_stress: verified.*' | head -1)"
	khotest_check "the handover held nothing else of the stress client" \
		kst_exact
}

# Every byte the core kept for the client was restored, none released.
kst_exact() {
	local bytes restored released

	bytes=$(awk '$1 == "bytes" { print $2 }' $IN)
	restored=$(awk '$1 == "restored_bytes" { print $2 }' $IN)
	released=$(awk '$1 == "released_bytes" { print $2 }' $IN)
	khotest_diag "in stats: bytes $bytes restored_bytes $restored released_bytes $released"
	[ -n "$bytes" ] && [ "$bytes" -gt 0 ] && [ "$bytes" = "$restored" ] &&
		[ "$released" = 0 ]
}

kst_module_restores() {
	khotest_check "the module client restores its state" \
		sh -c "insmod $KM && dmesg | grep -q 'test_kho_module: restored the state'"
}

# The stress of this generation, and the jump.
kst_stress_and_jump() {
	khotest_make_initrd
	kst_background
	kst_rounds
	kst_background_stop
	khotest_check "$ROUNDS loads and unloads under stress, with abort toggled and sysfs read" \
		test "$KST_BAD" = 0
	khotest_check "no client failure in the log" \
		sh -c "! dmesg | grep -qE 'test_kho_(stress|module): FAILED'"
	khotest_kexec_next "kexec -s -l"
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "the stress client starts its threads" \
			sh -c "insmod $KS && dmesg | grep -q 'test_kho_stress: 4 threads'"
		khotest_check "nothing came from a previous kernel" \
			kst_log 'test_kho_stress: no incoming state'
		khotest_check "the module client loads" insmod $KM
		kst_stress_and_jump ;;
	1)
		kst_restore_checks
		kst_module_restores
		kst_stress_and_jump ;;
	2)
		kst_restore_checks
		kst_module_restores
		khotest_check "no client failure in the log" \
			sh -c "! dmesg | grep -qE 'test_kho_(stress|module): FAILED'" ;;
	esac
}
