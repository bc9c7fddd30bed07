# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 6
# khotest-results: 11 10 8 5 9 5
# khotest-machines: small host
# khotest-cmdline: kho=on test_kho.size=4M
#
# The client lifecycle with a module client (test_kho_module.ko, loaded
# after boot) next to the built-in test client:
#   gen0: the module prepares its state when the image is loaded; an abort
#         drops it, re-enabling prepares it again;
#   gen1: its state waits (pending) until the module is loaded; the module
#         restores a buffer of 32 pages and an array of records, and
#         finishes: everything is released;
#   gen2: the module loaded with another version rejects the state, which
#         is released at once; its freeze callback then fails;
#   gen3: the client whose freeze failed was dropped alone (state dropped);
#   gen4: the module never comes: root releases its state through sysfs;
#   gen5: the module never comes: kho_release=4 releases it after boot.

KO=/kho/test_kho_module.ko
CLI=/sys/kernel/kho/in/clients/test-kho-mod/stats
CLO=/sys/kernel/kho/out/clients/test-kho-mod/stats

kc_has() { dmesg | grep -q "$1"; }
kc_count() { dmesg | grep -c "$1"; }
kc_in() { grep -q "^$1$" "$CLI"; }
kc_out() { grep -q "^$1$" "$CLO"; }
kc_stat() { grep -q "^$1$" /sys/kernel/kho/in/stats; }

# Load the next kernel (the module prepares); KC_LOADED: the load worked.
kc_load() {
	KC_LOADED=0
	khotest_kexec_load "$@" && KC_LOADED=1
	khotest_check "kexec -s -l with the module client loaded" test $KC_LOADED = 1
}

kc_jump() {
	[ $KC_LOADED = 1 ] && khotest_kexec_exec
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "module loads" insmod $KO
		khotest_check "module found no incoming state" \
			kc_has "test_kho_module: no incoming state (-2)"
		khotest_check "out/clients/test-kho-mod exists, nothing preserved" \
			sh -c "grep -q '^bytes 0$' $CLO && grep -q '^prepared 0$' $CLO"
		kc_load
		khotest_check "prepare callback ran at kexec load" \
			kc_has "test_kho_module: prepared kho-test-mod-v1"
		khotest_check "the prepared state is preserved" \
			sh -c "grep -q '^prepared 1$' $CLO && ! grep -q '^bytes 0$' $CLO"
		khotest_check "its blob is published" \
			test -s /sys/kernel/kho/out/clients/test-kho-mod/blobs/test-kho-mod
		echo 1 > /sys/kernel/kho/abort
		khotest_check "abort callback ran when the handover was aborted" \
			kc_has "test_kho_module: handover aborted: state dropped"
		khotest_check "aborted: the module's state is dropped" kc_out "bytes 0"
		echo 0 > /sys/kernel/kho/abort
		khotest_check "re-enabled with the image loaded: prepared again" \
			test "$(kc_count 'test_kho_module: prepared')" = 2
		kc_jump
		;;
	1)
		khotest_check "the module's state waits for it" kc_in "state pending"
		khotest_check "nothing released while a client may come" \
			kc_stat "released 0"
		khotest_check "module loads" insmod $KO
		khotest_check "module restored its buffer" \
			kc_has "test_kho_module: verified the buffer of 32 pages"
		khotest_check "module read back its records" \
			kc_has "test_kho_module: verified 1000 records"
		khotest_check "no module failure" \
			sh -c '! dmesg | grep -q "test_kho_module: FAILED"'
		khotest_check "the module finished" kc_in "state finished"
		khotest_check "every client done: the handover is released" \
			kc_stat "released 1"
		khotest_diag "$(tr '\n' ' ' < $CLI)"
		kc_load
		kc_jump
		;;
	2)
		khotest_check "module loads with another version" \
			insmod $KO compat=kho-test-mod-v2 fail_freeze=1
		khotest_check "the incompatible state is refused, loudly" \
			kc_has "test-kho-mod: incoming state is kho-test-mod-v1, which it does"
		khotest_check "the module heard it (-EPROTO)" \
			kc_has "incoming state kho-test-mod-v1 is not kho-test-mod-v2: rejected"
		khotest_check "in/clients/test-kho-mod: rejected" kc_in "state rejected"
		khotest_check "counted as released_incompatible" \
			kc_stat "released_incompatible 1"
		khotest_check "the built-in client was not affected" \
			kc_has "test_kho: generation 2: verified"
		kc_load
		kc_jump
		;;
	3)
		khotest_check "the client that failed to freeze was dropped: nothing handed over" \
			kc_in "state dropped"
		khotest_check "the other client's state came through" \
			kc_has "test_kho: generation 3: verified"
		khotest_check "module loads" insmod $KO compat=kho-test-mod-v2
		kc_load
		kc_jump
		;;
	4)
		khotest_check "the v2 state waits for its module" kc_in "state pending"
		khotest_check "in/release releases it" \
			sh -c 'echo 1 > /sys/kernel/kho/in/release'
		khotest_check "in/clients/test-kho-mod: released" kc_in "state released"
		khotest_check "counted as released_sysfs" kc_stat "released_sysfs 1"
		khotest_check "released twice is refused" \
			sh -c '! echo 1 > /sys/kernel/kho/in/release 2>/dev/null'
		khotest_check "module loads late" insmod $KO compat=kho-test-mod-v2
		khotest_check "the module is told its state is gone (-ESTALE)" \
			kc_has "test_kho_module: no incoming state (-116)"
		kc_load kho_release=4
		kc_jump
		;;
	5)
		khotest_check "the state waits for its module" kc_in "state pending"
		sleep 6
		khotest_check "kho_release=4: released after boot" kc_in "state released"
		khotest_check "counted as released_timeout" kc_stat "released_timeout 1"
		khotest_check "then the whole handover is released" kc_stat "released 1"
		;;
	esac
}
