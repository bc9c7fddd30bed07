# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 10 9
# khotest-machines: small host
# khotest-kernel: debug
# khotest-cmdline: kho=on test_kho.size=1M
#
# Kernel lockdown (confidentiality) closes what shows memory contents or
# physical addresses: out/fdt, in/fdt, the blobs and the scratch list;
# the statistics and the state of the handover stay readable, and the
# handover itself works. Needs the lockdown LSM, so it runs on the debug
# kernel (make test-debug):
#   gen0: reads everything, loads the next kernel (loading is closed
#         under lockdown), raises lockdown at run time and reads again;
#   gen1: booted with lockdown=confidentiality: the incoming side is
#         closed the same way, the test client restored its state, and
#         kexec_load is refused.

SEC=/sys/kernel/security
K=/sys/kernel/kho

# kld_denied FILE: reading FILE fails with EPERM.
kld_denied() {
	cat "$1" 2>&1 > /dev/null | grep -q 'Operation not permitted'
}

kld_readable() { cat "$1" > /dev/null; }

# Every closed file of DIR (out or in) is denied, or all are readable.
kld_all() {
	local how=$1 dir=$2 f

	for f in $K/$dir/fdt $K/$dir/clients/test-kho/blobs/* $K/scratch; do
		[ -e "$f" ] || return 1
		$how "$f" || return 1
	done
}

# kexec_load is closed under lockdown (kexec_file_load only without
# CONFIG_KEXEC_SIG's signature check, which the test kernels leave out).
kld_load_denied() {
	khotest_make_initrd &&
		! kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)" 2> /dev/null &&
		dmesg | grep -q 'kexec: kexec of unsigned images is restricted'
}

kld_level() { grep -q "\[$1\]" $SEC/lockdown; }

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	mount -t securityfs none $SEC 2>/dev/null
	khotest_check "the kernel has the lockdown LSM" test -e $SEC/lockdown
	case "$1" in
	0)
		khotest_check "without lockdown the trees, blobs and scratch list are readable" \
			kld_all kld_readable out
		khotest_check "the next kernel loads before lockdown" \
			khotest_kexec_load lockdown=confidentiality
		khotest_check "lockdown raised to confidentiality at run time" \
			sh -c "echo confidentiality > $SEC/lockdown"
		khotest_check "under lockdown out/fdt, the blobs and scratch are closed" \
			kld_all kld_denied out
		khotest_check "the lockdown message names kexec handover state" \
			sh -c "dmesg | grep -q 'reading kexec handover state is restricted'"
		khotest_check "out/stats stays readable" kld_readable $K/out/stats
		khotest_check "the handover stays enabled" grep -q '^aborted 0$' $K/out/stats
		khotest_ok "kexec -s -l"
		khotest_kexec_exec ;;
	1)
		khotest_check "booted under lockdown (confidentiality)" kld_level confidentiality
		khotest_check "the handover was accepted" grep -q '^accepted$' $K/incoming
		khotest_check "under lockdown in/fdt, the blobs and scratch are closed" \
			kld_all kld_denied in
		khotest_check "in/stats and the client's stats stay readable" \
			sh -c "cat $K/in/stats $K/in/clients/test-kho/stats > /dev/null"
		khotest_check "the test client verified its state" \
			sh -c "dmesg | grep -q 'test_kho: generation 1: verified'"
		khotest_check "no test client failure" \
			sh -c '! dmesg | grep -q "test_kho: .*FAILED"'
		khotest_check "kexec_load is closed under lockdown" \
			kld_load_denied ;;
	esac
}
