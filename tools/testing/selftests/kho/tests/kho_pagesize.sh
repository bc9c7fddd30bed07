# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 3 4
# khotest-arch: arm64
# khotest-cmdline: kho=on test_kho.size=4M
#
# A kernel with another page size must refuse a handover and boot: a 4K-page
# arm64 kernel preserves memory and kexecs into a 64K-page kernel
# (/boot/vmlinuz-64k, built from config.arm64-64k), which reports the
# mismatch in one line and comes up without KHO.

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		if [ ! -f /boot/vmlinuz-64k ]; then
			khotest_fail "64K-page kernel in the initramfs"
			return
		fi
		khotest_check "test client preserved" \
			sh -c 'dmesg | grep -q "test_kho: generation 0: preserved"'
		KHOTEST_KERNEL=/boot/vmlinuz-64k
		khotest_kexec_next "kexec -s -l of the 64K-page kernel" ;;
	1)
		khotest_check "running the 64K-page kernel" \
			sh -c 'uname -r | grep -q -- -64k'
		khotest_check "page size mismatch reported" sh -c \
			'dmesg | grep -q "the previous kernel: page size differs"'
		khotest_check "no incoming handover in sysfs" \
			test ! -e /sys/kernel/kho/in ;;
	esac
}
