# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 4
# khotest-results: 4 7 6 4
# khotest-machines: small
# khotest-cmdline: kho=on trace_instance=kt^kho
#
# Damaged trace state from the previous kernel is rejected cleanly, with a
# message, and loses nothing else (CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT:
# /sys/kernel/debug/trace_kho/corrupt damages the handover at the freeze):
#   gen0 -> gen1: CPU 1's ring buffer meta data: CPU 1 starts empty, CPU 0's
#                 records are there;
#   gen1 -> gen2: CPU 0's sub-buffers: the event walk rejects them, CPU 1's
#                 records are there;
#   gen2 -> gen3: the blob names zero CPUs: the instance is dropped, its
#                 pages released, a fresh kt is created.
# Every generation also runs the KHO test client, whose state must arrive.

T=/sys/kernel/tracing
KT=$T/instances/kt
D=/sys/kernel/debug/trace_kho/corrupt

fx_has() { [ -n "$2" ] && grep -q -- "$2" "$1"; }
fx_log() { dmesg | grep -q "$1"; }

fx_mark() {	# GEN: markers from both CPUs, remembered for the next kernel
	local b
	b=$(cut -c1-8 /proc/sys/kernel/random/boot_id)
	echo "$b-g$1-cpu0" > /kho/prev-tok0 && echo "$b-g$1-cpu1" > /kho/prev-tok1 &&
		echo 1 > $KT/tracing_on &&
		taskset -c 0 sh -c "cat /kho/prev-tok0 > $KT/trace_marker" &&
		taskset -c 1 sh -c "cat /kho/prev-tok1 > $KT/trace_marker"
}

fx_arm() {	# CASE
	grep -q " /sys/kernel/debug " /proc/mounts ||
		mount -t debugfs nodev /sys/kernel/debug
	echo "$1" > $D
}

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "markers written" fx_mark 0
		khotest_check "damage armed: meta 1" fx_arm "meta 1"
		khotest_kexec_next "kexec -s" ;;
	1)
		khotest_check "CPU 1's meta data rejected" \
			fx_log "Ring buffer boot meta\[1\] mismatch of magic or struct size"
		khotest_check "CPU 0's marker kept" fx_has $KT/trace "$(cat /kho/prev-tok0)"
		khotest_check "nothing of CPU 1" \
			sh -c "! grep -q '$(cat /kho/prev-tok1)' $KT/trace"
		echo > $KT/trace
		khotest_check "markers written" fx_mark 1
		khotest_check "damage armed: events 0" fx_arm "events 0"
		khotest_kexec_next "kexec -s" ;;
	2)
		khotest_check "CPU 0's events rejected" \
			fx_log "Ring buffer meta \[0\] invalid buffer page"
		khotest_check "CPU 1's marker kept" fx_has $KT/trace "$(cat /kho/prev-tok1)"
		echo > $KT/trace
		khotest_check "markers written" fx_mark 2
		khotest_check "damage armed: blob" fx_arm blob
		khotest_kexec_next "kexec -s" ;;
	3)
		khotest_check "the malformed instance is dropped" \
			fx_log "tracing: kho: malformed instance instance-0: dropped"
		khotest_check "a fresh kt is created" \
			fx_log "tracing: kho: instance kt: .* KiB per CPU"
		khotest_check "the KHO core released the dropped pages" \
			fx_log "kho: client ftrace: finished: released" ;;
	esac
}
