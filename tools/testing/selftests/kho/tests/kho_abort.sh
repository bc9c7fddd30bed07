# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 11 4
# khotest-cmdline: kho=on test_kho.size=4M
#
# Aborting the handover through /sys/kernel/kho/abort: kexec_load is
# refused while memory is preserved and allowed once the handover is
# aborted; re-enabling works; the next kernel of an aborted handover
# reports it in one line and boots without KHO.

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "test client preserved" \
			sh -c 'dmesg | grep -q "test_kho: generation 0: preserved"'
		khotest_make_initrd
		if kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)" 2>/dev/null; then
			khotest_fail "kexec_load refused before the abort"
		else
			khotest_ok "kexec_load refused before the abort"
		fi
		khotest_check "abort" sh -c 'echo 1 > /sys/kernel/kho/abort'
		khotest_check "abort shows in stats" \
			grep -q "^aborted 1" /sys/kernel/kho/out/stats
		khotest_check "re-enable" sh -c 'echo 0 > /sys/kernel/kho/abort'
		khotest_check "out/fdt valid again after re-enable" \
			sh -c 'dtc -I dtb -O dts /sys/kernel/kho/out/fdt |
				grep -q kexec-handover-v1'
		khotest_check "abort again" sh -c 'echo 1 > /sys/kernel/kho/abort'
		khotest_check "out/fdt empty while aborted" \
			test "$(wc -c < /sys/kernel/kho/out/fdt)" = 0
		khotest_check "kexec_load allowed after the abort" \
			kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)"
		kexec -u
		khotest_kexec_next "kexec -s -l" ;;
	1)
		khotest_check "aborted handover reported" sh -c \
			'dmesg | grep -q "ignoring the handover from the previous kernel: aborted"'
		khotest_check "no incoming handover in sysfs" \
			test ! -e /sys/kernel/kho/in
		khotest_check "KHO enabled again with fresh scratch" \
			test -s /sys/kernel/kho/scratch ;;
	esac
}
