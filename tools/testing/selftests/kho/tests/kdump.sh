# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 4
# khotest-results: 4 6 7 4
# khotest-machines: host
# khotest-cmdline: kho=on test_kho.size=16M
#
# kdump after handovers: the machine reserves a crash kernel
# (crashkernel=256M, set by the host machine). Generations 0 and 1 preserve
# memory and kexec with a handover; every kernel of the chain must still
# reserve the crash kernel in full. Generation 2, booted by two handovers,
# loads a dump kernel with kexec -s -p and crashes on purpose; generation 3
# is the dump kernel: it ignores any handover and sees /proc/vmcore.

kdump_crash_reserved() {
	local size
	size=$(cat /sys/kernel/kexec_crash_size 2>/dev/null)
	khotest_diag "kexec_crash_size ${size:-missing}"
	[ "${size:-0}" -ge $((256 << 20)) ]
}

kdump_no_alloc_failure() {
	! dmesg | grep -q "cannot allocate crashkernel"
}

# The dump kernel's initramfs: the same userspace without the kernels.
kdump_make_initrd() {
	(cd / && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o \
		-path ./tmp -o -path ./boot \) -prune -o -print |
		cpio -o -H newc 2>/dev/null) > /tmp/kdump.cpio
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	if [ "$1" = 3 ]; then
		# x86 passes elfcorehdr= on the command line, arm64 in /chosen.
		khotest_check "running as the dump kernel" test -e /proc/vmcore
		khotest_check "/proc/vmcore is an ELF core" \
			sh -c 'head -c 4 /proc/vmcore | grep -q ELF'
		khotest_check "no handover taken by the dump kernel" \
			test ! -e /sys/kernel/kho/in
		return
	fi

	khotest_check "crash kernel reserved in full" kdump_crash_reserved
	khotest_check "no crash kernel allocation failure" kdump_no_alloc_failure
	khotest_diag "scratch: $(tr '\n' ' ' < /sys/kernel/kho/scratch)"
	if [ "$1" -gt 0 ]; then
		khotest_check "handover accepted" \
			sh -c 'dmesg | grep -q "kho: handover from the previous kernel"'
		khotest_check "test client verified generation $1" \
			sh -c "dmesg | grep -q 'test_kho: generation $1: verified'"
	fi
	if [ "$1" -lt 2 ]; then
		khotest_kexec_next "kexec -s -l"
		return
	fi

	kdump_make_initrd
	if kexec -s -p /boot/vmlinuz --initrd=/tmp/kdump.cpio \
		--command-line="$(khotest_next_cmdline nr_cpus=1 reset_devices)" \
		2>/tmp/kexec.err; then
		khotest_ok "kexec -s -p loads the dump kernel"
	else
		khotest_fail "kexec -s -p loads the dump kernel: $(tail -n 1 /tmp/kexec.err)"
		return
	fi
	khotest_check "crash kernel loaded" \
		grep -q 1 /sys/kernel/kexec_crash_loaded
	# vmtest.sh ignores the panic between this line and the next kernel.
	khotest_log "crashing on purpose"
	sync
	echo c > /proc/sysrq-trigger
	khotest_fail "still alive after the crash"
}
