# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 1
# khotest-results: 5
# khotest-cmdline: kho=on test_kho.size=1M kho_scratch=16M,2M,24M
#
# Scratch too small for the next kernel: the global (kexec) area is one
# pageblock (2 or 4 MiB), so the kexec segments would have to take room
# from the areas meant for the next kernel's early allocations (or do not
# fit at all). kexec -s -l must fail with a message that names
# kho_scratch=, rather than let the next kernel run out of scratch in its
# early boot; the kernel goes on with its handover intact.

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	khotest_diag "scratch: $(tr '\n' ' ' < /sys/kernel/kho/scratch)"
	read -r addr size < /sys/kernel/kho/scratch
	khotest_check "the kexec area is first and at most 4 MiB" \
		test "$((size))" -le $((4 << 20))
	khotest_make_initrd
	if kexec -s -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline)" 2>/tmp/kexec.err; then
		khotest_fail "kexec -s -l refused"
		kexec -u
	else
		khotest_ok "kexec -s -l refused"
	fi
	khotest_diag "$(dmesg | grep 'kho: kexec segment' | tail -n 1)"
	khotest_check "the refusal names kho_scratch=" \
		sh -c 'dmesg | grep "kho: kexec segment" | grep -q "kho_scratch="'
	khotest_check "the handover is intact" \
		sh -c 'dtc -I dtb -O dts /sys/kernel/kho/out/fdt | grep -q test-kho'
}
