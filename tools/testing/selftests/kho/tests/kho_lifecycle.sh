# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 4
# khotest-results: 9 18 17 6
# khotest-machines: small
# khotest-cmdline: kho=on test_kho.size=1M
#
# Corners of the client lifecycle, with the module test client
# (test_kho_module.ko) and its knobs, next to the built-in test client:
#   gen0: the module prepares when the image is loaded; a second kexec -s
#         -l whose prepare fails in the module (fail_prepare=1, set at run
#         time) fails, and leaves the image loaded before and the module's
#         prepared state intact (no abort); the jump uses the first image;
#   gen1: the module, loaded with hold=1, keeps its incoming state without
#         restoring it: in/release must not release a registered client
#         (state active, nothing released), which then restores through
#         debugfs (test_kho_module/restore) and finds everything gen0
#         prepared. Reloaded with unregister_at_reboot=1, it unregisters
#         from a reboot notifier during the jump, after the freeze: the
#         jump must go on (the next generation comes up). gen2's command
#         line drops test_kho.size, so that the built-in client preserves
#         nothing there;
#   gen2: the module's client, gone during the jump, handed nothing over
#         (-ENOENT) while the built-in client's state came through. The
#         module, loaded while a kexec_file image is loaded, prepares at
#         registration. With nothing preserved (empty_prepare=1), kexec -l
#         may replace the kexec_file image: the module, prepared for that
#         image, hears abort. Then its freeze fails (fail_freeze=1) and
#         gen3 boots with kho_release=never;
#   gen3: kho_release=never is taken (release_delay -1 in in/stats); the
#         client dropped at freeze shows as "state dropped" in its
#         in/clients stats and the module is told -ECANCELED.

KO=/kho/test_kho_module.ko
PARAM=/sys/module/test_kho_module/parameters
CLI=/sys/kernel/kho/in/clients/test-kho-mod/stats
CLO=/sys/kernel/kho/out/clients/test-kho-mod/stats
RESTORE=/sys/kernel/debug/test_kho_module/restore
TKM="test_kho_module:"

kl_has() { dmesg | grep -q "$1"; }
kl_count() { dmesg | grep -c "$1"; }
kl_in() { grep -q "^$1$" "$CLI"; }
kl_stat() { grep -q "^$1$" /sys/kernel/kho/in/stats; }

# The module's state is prepared and published: memory, its blob.
kl_published() {
	grep -q '^prepared 1$' $CLO && grep -q '^blobs 1$' $CLO &&
		! grep -q '^blocks 0$' $CLO
}

# The next generation's command line; from gen1 on without test_kho.size=,
# so that the built-in client preserves nothing from gen2 on.
kl_cmdline() {
	local word out=""

	for word in $(khotest_next_cmdline "$@"); do
		case "$word" in
		test_kho.size=*) [ "$KHOTEST_GEN" -ge 1 ] && continue ;;
		esac
		out="$out $word"
	done
	echo "${out# }"
}

# One initramfs per generation, for every load.
kl_initrd() {
	[ -s /tmp/initrd.cpio ] || khotest_make_initrd
}

# kl_load [WORD...]: kexec -s -l the next generation.
kl_load() {
	kl_initrd &&
		kexec -s -l "${KHOTEST_KERNEL:-/boot/vmlinuz}" --initrd=/tmp/initrd.cpio \
			--command-line="$(kl_cmdline "$@")" 2>/tmp/kexec.err
}

# kexec -l (kexec_load), which cannot carry a handover.
kl_load_classic() {
	kl_initrd &&
		kexec -l "${KHOTEST_KERNEL:-/boot/vmlinuz}" --initrd=/tmp/initrd.cpio \
			--command-line="$(kl_cmdline)" 2>/tmp/kexec.err
}

# kl_next DESCRIPTION [WORD...]: load the next generation as one result;
# KL_LOADED: the load worked.
kl_next() {
	local desc="$1"

	shift
	KL_LOADED=0
	kl_load "$@" && KL_LOADED=1
	khotest_check "$desc" test $KL_LOADED = 1
	[ $KL_LOADED = 1 ] || khotest_diag "kexec: $(tail -n 1 /tmp/kexec.err)"
}

kl_jump() {
	[ "$KL_LOADED" = 1 ] && khotest_kexec_exec
}

# Release every client that never came; the write's status is not judged.
kl_release() {
	echo 1 > /sys/kernel/kho/in/release
}

# gen0: kexec -s -l fails, and because the module's prepare failed.
kl_reload_fails() {
	local before

	before=$(kl_count "$TKM prepare fails on request")
	! kl_load &&
		[ "$(kl_count "$TKM prepare fails on request")" -gt "$before" ]
}

# gen2: prepared at registration, with the image loaded before.
kl_insmod_prepares() {
	local before

	before=$(kl_count "$TKM prepared kho-test-mod-v1")
	insmod $KO &&
		[ "$(kl_count "$TKM prepared kho-test-mod-v1")" -gt "$before" ] &&
		kl_published
}

# gen2: a load where the module preserves nothing.
kl_load_empty() {
	local before

	before=$(kl_count "$TKM prepared nothing")
	kl_load && [ "$(kl_count "$TKM prepared nothing")" -gt "$before" ] &&
		grep -q '^bytes 0$' $CLO && grep -q '^blobs 0$' $CLO
}

khotest_run() {
	local aborts

	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "module loads" insmod $KO
		khotest_check "first boot: the module has no incoming state (-ENOENT)" \
			kl_has "$TKM incoming state: -2"
		kl_next "kexec -s -l with the module client loaded"
		khotest_check "the module prepared its state for the image" kl_published
		khotest_check "fail_prepare=1 set at run time" \
			sh -c "echo 1 > $PARAM/fail_prepare"
		khotest_check "a second kexec -s -l fails: the module's prepare fails" \
			kl_reload_fails
		echo 0 > $PARAM/fail_prepare
		khotest_diag "$(tr '\n' ' ' < $CLO)"
		khotest_check "the failed reload left the module's state prepared, no abort" \
			sh -c "grep -q '^prepared 1$' $CLO && grep -q '^blobs 1$' $CLO &&
			       ! grep -q '^blocks 0$' $CLO &&
			       ! dmesg | grep -q '$TKM handover aborted'"
		khotest_check "the image loaded before stays loaded" \
			test "$(cat /sys/kernel/kexec_loaded)" = 1
		kl_jump
		;;
	1)
		khotest_check "module loads with hold=1" insmod $KO hold=1
		khotest_check "the module's state came through (incoming state: 0)" \
			kl_has "$TKM incoming state: 0"
		khotest_check "in/clients/test-kho-mod: active while held" \
			kl_in "state active"
		kl_release 2>/dev/null
		khotest_diag "echo 1 > in/release: status $?"
		khotest_diag "$(tr '\n' ' ' < $CLI)"
		khotest_check "in/release left the registered client alone: state active" \
			kl_in "state active"
		khotest_check "nothing of the module's state was released" \
			kl_in "released_bytes 0"
		khotest_check "the handover is not released while a client is active" \
			kl_stat "released 0"
		khotest_check "debugfs test_kho_module/restore exists" test -e $RESTORE
		khotest_check "restore through debugfs" sh -c "echo 1 > $RESTORE"
		khotest_check "module restored its buffer" \
			kl_has "$TKM verified the buffer of 32 pages"
		khotest_check "module read back its records" \
			kl_has "$TKM verified 1000 records"
		khotest_check "no module failure" sh -c "! dmesg | grep -q '$TKM FAILED'"
		khotest_check "the module finished" kl_in "state finished"
		khotest_check "every client done: the handover is released" \
			kl_stat "released 1"
		khotest_check "module unloads" rmmod test_kho_module
		khotest_check "module loads with unregister_at_reboot=1" \
			insmod $KO unregister_at_reboot=1
		kl_next "kexec -s -l, the next command line without test_kho.size"
		khotest_check "the module prepared its state for the image" kl_published
		# Its reboot notifier unregisters it during the jump.
		kl_jump
		;;
	2)
		khotest_check "the jump went on: the built-in client's state came through" \
			kl_has "test_kho: generation 2: verified"
		khotest_check "module loads" insmod $KO
		khotest_diag "$(ls /sys/kernel/kho/in/clients)"
		khotest_check "unregistered during the jump: nothing handed over (-ENOENT)" \
			kl_has "$TKM incoming state: -2"
		khotest_check "module unloads" rmmod test_kho_module
		kl_next "kexec -s -l without the module"
		khotest_check "module loaded with an image loaded prepares at registration" \
			kl_insmod_prepares
		khotest_check "module unloads" rmmod test_kho_module
		khotest_check "kexec -s -u" kexec -s -u
		khotest_check "module loads with empty_prepare=1" \
			insmod $KO empty_prepare=1
		khotest_check "kexec -s -l: the module prepares nothing" kl_load_empty
		aborts=$(kl_count "$TKM handover aborted")
		khotest_check "nothing preserved: kexec -l replaces the kexec_file image" \
			kl_load_classic
		khotest_check "the module prepared for the replaced image heard abort" \
			test "$(kl_count "$TKM handover aborted")" -gt "$aborts"
		khotest_check "kexec -u" kexec -u
		rmmod test_kho_module
		khotest_check "module loads with fail_freeze=1" insmod $KO fail_freeze=1
		kl_next "kexec -s -l, the next kernel with kho_release=never" \
			kho_release=never
		khotest_check "the module prepared its state for the image" kl_published
		# Its freeze callback fails: it is dropped from the handover.
		kl_jump
		;;
	3)
		khotest_diag "$(tr '\n' ' ' < /sys/kernel/kho/in/stats)"
		khotest_check "kho_release=never: release_delay -1 in in/stats" \
			kl_stat "release_delay -1"
		khotest_check "kho_release=never is not refused as malformed" \
			sh -c '! dmesg | grep -q "malformed kho_release"'
		khotest_check "in/clients/test-kho-mod: the client dropped at freeze" \
			kl_in "state dropped"
		khotest_check "module loads" insmod $KO
		khotest_check "the module is told its state was dropped (-ECANCELED)" \
			kl_has "$TKM incoming state: -125"
		;;
	esac
}
