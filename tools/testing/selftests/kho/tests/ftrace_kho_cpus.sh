# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 3 6
# khotest-machines: small
# khotest-cmdline: kho=on trace_instance=kt^kho
#
# The previous kernel had more CPUs than the next one: gen0 runs on two
# CPUs and writes a marker from each into the preserved instance kt; gen1
# boots with nr_cpus=1. Instance kt shows CPU 0's data and instance
# kt-cpu1 the data of the old CPU 1: nothing of the old kernel is lost.

T=/sys/kernel/tracing
KT=$T/instances/kt

fc_tok() { echo "$(cut -c1-8 /proc/sys/kernel/random/boot_id)-$1"; }
fc_has() { [ -n "$2" ] && grep -q -- "$2" "$1"; }
fc_log() { dmesg | grep -q "$1"; }

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch) with $(nproc) CPUs"
	case "$1" in
	0)
		echo "$(fc_tok cpu0)" > /kho/prev-tok0
		echo "$(fc_tok cpu1)" > /kho/prev-tok1
		khotest_check "markers written from CPU 0 and CPU 1" \
			sh -c "taskset -c 0 sh -c 'cat /kho/prev-tok0 > $KT/trace_marker' &&
			       taskset -c 1 sh -c 'cat /kho/prev-tok1 > $KT/trace_marker'"
		khotest_kexec_next "kexec -s into a kernel with nr_cpus=1" nr_cpus=1 ;;
	1)
		khotest_check "this kernel has one CPU id" \
			test "$(cat /sys/devices/system/cpu/possible)" = 0
		khotest_check "the split is logged" \
			fc_log "instance kt: the previous kernel had 2 CPUs, this one 1"
		khotest_check "kt has the marker of the old CPU 0" \
			fc_has $KT/trace "$(cat /kho/prev-tok0)"
		khotest_check "kt-cpu1 has the marker of the old CPU 1" \
			fc_has $T/instances/kt-cpu1/trace "$(cat /kho/prev-tok1)"
		khotest_check "kt does not have it" \
			sh -c "! grep -q '$(cat /kho/prev-tok1)' $KT/trace" ;;
	esac
}
