# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 3 4 2
# khotest-machines: small host
# khotest-arch: x86_64
# khotest-cmdline: kho=on test_kho.size=1M
#
# A hostile length in the x86 handoff: generation 0 arms handoff-length
# (CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT), so that the setup_data entry of
# the image it loads declares 512 KiB instead of its real length, and
# kexecs. Generation 1 must refuse the entry without mapping it (mapping
# 512 KiB early would WARN, which fails the run), name the problem in its
# log and show the rejection in /sys/kernel/kho/incoming; it then hands a
# sound handover on, which generation 2 accepts.

KHH_LINE="kho: ignoring the handover from the previous kernel: bad setup_data length"

khh_rejected() {
	grep -qF "rejected: bad setup_data length" /sys/kernel/kho/incoming &&
		test ! -e /sys/kernel/kho/in
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "arm handoff-length" \
			sh -c "echo handoff-length > /sys/kernel/debug/kho/corrupt"
		khotest_kexec_next "kexec -s -l"
		;;
	1)
		khotest_diag "$(dmesg | grep -E 'kho: (ignoring|handover)' | head -n 2 |
				tr '\n' ' ')"
		khotest_check "the kernel log names the bad setup_data length" \
			sh -c "dmesg | grep -qF '$KHH_LINE'"
		khotest_check "/sys/kernel/kho/incoming shows the rejection" khh_rejected
		khotest_kexec_next "kexec -s -l"
		;;
	2)
		khotest_diag "incoming: $(tr '\n' ' ' < /sys/kernel/kho/incoming)"
		khotest_check "the sound handover is accepted" \
			grep -qx accepted /sys/kernel/kho/incoming
		;;
	esac
}
