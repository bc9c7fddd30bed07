# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 2 2
# khotest-machines: small host
#
# Plain kexec: generation 0 boots and loads the same kernel with
# kexec_file_load (kexec -s); generation 1 boots and reports.

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)," \
		"$(grep -c ^processor /proc/cpuinfo) cpus"
	case "$1" in
	0)
		khotest_kexec_next "kexec -s -l" ;;
	1)
		khotest_check "booted by kexec" grep -q "khotest_gen=1" /proc/cmdline ;;
	esac
}
