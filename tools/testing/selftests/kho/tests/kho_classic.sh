# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 6 3 3
# khotest-machines: small host
# khotest-cmdline: kho=on
#
# kexec_load (kexec -l) cannot carry the handover: it leaves segment
# placement to userspace and passes no root tree. It is allowed while
# nothing is preserved; a client that preserves afterwards must not lose
# its state without a word:
#   gen0: kexec -l while nothing is preserved, then the module client
#         preserves (prepare_now=1): the jump is refused, the handover is
#         intact; kexec -s -l then carries it;
#   gen1: the module restores its state; nothing is preserved any more,
#         and kexec -l jumps without a handover;
#   gen2: boots without a handover, although on arm64 kexec-tools passed
#         on the device tree whose /chosen names the previous one.

KO=/kho/test_kho_module.ko
CLO=/sys/kernel/kho/out/clients/test-kho-mod/stats
BLOB=/sys/kernel/kho/out/clients/test-kho-mod/blobs/test-kho-mod

kcl_log() { dmesg | grep -q "$1"; }
kcl_none() {
	! kcl_log "kho: handover from the previous" && test ! -e /sys/kernel/kho/in
}
kcl_preserved() { ! grep -q '^bytes 0$' $CLO && test -s $BLOB; }
kcl_restored() {
	insmod $KO && kcl_log "test_kho_module: restored the state of kho-test-mod-v1"
}

kcl_load_classic() {
	khotest_make_initrd &&
		kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)"
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "kexec -l allowed while nothing is preserved" \
			kcl_load_classic
		khotest_check "the module client preserves after the load" \
			sh -c "insmod $KO prepare_now=1 && ! grep -q '^bytes 0$' $CLO"
		khotest_log "kexec gen0: expecting a refusal"
		sync
		kexec -e 2>/dev/null
		khotest_check "the jump with the kexec_load image is refused" \
			kcl_log "kho: kexec jump refused: the image was loaded with kexec_load"
		khotest_check "the handover is intact after the refusal" kcl_preserved
		kexec -u
		khotest_kexec_next "kexec -s -l carries the handover" ;;
	1)
		khotest_check "the module restores its state" kcl_restored
		khotest_check "nothing preserved: kexec -l allowed" kcl_load_classic
		khotest_log "kexec gen1 -> gen2 (kexec_load, no handover)"
		sync
		kexec -e
		khotest_fail "kexec -e returned" ;;
	2)
		khotest_check "no handover taken" kcl_none
		if [ "$(cat /etc/kho-arch)" = arm64 ]; then
			khotest_check "the stale handover in /chosen is ignored" \
				kcl_log "kho: ignoring the handover from the previous kernel"
		else
			khotest_check "no stale handover in setup_data" \
				sh -c '! dmesg | grep -q "kho: ignoring the handover"'
		fi ;;
	esac
}
