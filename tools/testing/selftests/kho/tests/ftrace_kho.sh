# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 6 14 7
# khotest-machines: small host
# khotest-cmdline: kho=on trace_instance=kt^kho,sched:sched_switch trace_instance=k2^kho
#
# A trace instance that survives kexec (CONFIG_TRACE_KHO): the ftrace
# client hands the pages of instance "kt" over; the next kernel shows the
# previous kernel's records, up to the jump.
#   gen0: writes a unique marker from each CPU into kt, and one into a
#         second preserved instance k2, kexecs;
#   gen1: finds both markers, each in its CPU's buffer, the last record the
#         freeze callback wrote, the scheduler events of the old kernel,
#         and reads them with trace-cmd; then clears kt by enabling an
#         event, writes new markers and kexecs again;
#   gen2: finds the markers of gen1 and none of gen0, through trace_pipe.

T=/sys/kernel/tracing
KT=$T/instances/kt

fk_marker() {	# CPU TOKEN
	taskset -c "$1" sh -c "echo $2 > $KT/trace_marker"
}
fk_has() { [ -n "$2" ] && grep -q -- "$2" "$1"; }
fk_log() { dmesg | grep -q "$1"; }
fk_tok() { echo "$(cat /proc/sys/kernel/random/boot_id | cut -c1-8)-$1"; }

fk_mark_all() {	# PREFIX
	fk_marker 0 "$1-cpu0" && fk_marker 1 "$1-cpu1" &&
		echo "$1-cpu0" > /tmp/fk-tok0 && echo "$1-cpu1" > /tmp/fk-tok1
}

fk_mark0() {
	fk_mark_all "$(fk_tok gen0)" &&
		echo "$(fk_tok gen0-k2)" > $T/instances/k2/trace_marker
}

fk_tracecmd() {
	[ -s /kho/prev-tok0 ] && [ -s /kho/prev-tok1 ] &&
		trace-cmd extract -B kt -o /tmp/kt.dat >/dev/null 2>&1 &&
		trace-cmd report -i /tmp/kt.dat 2>/dev/null > /tmp/kt.txt &&
		grep -q "$(cat /kho/prev-tok0)" /tmp/kt.txt &&
		grep -q "$(cat /kho/prev-tok1)" /tmp/kt.txt
}

fk_pipe() {
	[ -s /kho/prev-tok0 ] && [ -s /kho/prev-tok1 ] || return 1
	timeout 5 cat $KT/trace_pipe > /tmp/kt.pipe
	grep -q "$(cat /kho/prev-tok0)" /tmp/kt.pipe &&
		grep -q "$(cat /kho/prev-tok1)" /tmp/kt.pipe
}

fk_next() {	# DESCRIPTION: keep this generation's tokens for the next
	cp /tmp/fk-tok0 /kho/prev-tok0 && cp /tmp/fk-tok1 /kho/prev-tok1
	khotest_kexec_next "$1"
}

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "instance kt created for the handover" \
			fk_log "tracing: kho: instance kt: .* KiB per CPU, handed over at kexec"
		khotest_check "markers written from CPU 0 and CPU 1, and in k2" \
			fk_mark0
		khotest_check "kt records the scheduler" fk_has $KT/trace "sched_switch:"
		khotest_check "the ftrace client is a KHO client" \
			test -d /sys/kernel/kho/out/clients/ftrace
		fk_next "kexec -s with instance kt" ;;
	1)
		khotest_check "kt restored from the previous kernel" \
			fk_log "tracing: kho: instance kt: CPUs 0-1 of the previous kernel$"
		khotest_check "kt holds the previous kernel's trace, kept for the next" \
			fk_log "instance kt holds the previous kernel's trace and is handed over"
		khotest_check "the CPU 0 marker of gen0 in trace" \
			fk_has $KT/trace "$(cat /kho/prev-tok0)"
		khotest_check "the CPU 1 marker of gen0 in trace" \
			fk_has $KT/trace "$(cat /kho/prev-tok1)"
		khotest_check "the CPU 0 marker in per_cpu/cpu0" \
			fk_has $KT/per_cpu/cpu0/trace "$(cat /kho/prev-tok0)"
		khotest_check "the CPU 1 marker in per_cpu/cpu1" \
			fk_has $KT/per_cpu/cpu1/trace "$(cat /kho/prev-tok1)"
		khotest_check "the kexec path is in the trace (freeze record)" \
			fk_has $KT/trace "kexec handover: jumping to the next kernel"
		khotest_check "scheduler events of the old kernel decode" \
			fk_has $KT/trace "sched_switch: prev_comm="
		khotest_check "last_boot_info is there" test -r $KT/last_boot_info
		khotest_check "the second instance k2 is restored too" \
			grep -q -- "-gen0-k2" $T/instances/k2/trace
		khotest_check "trace-cmd reads both markers" fk_tracecmd
		grep -c . $KT/trace > /dev/null
		khotest_check "enabling an event clears the old trace" \
			sh -c "echo 1 > $KT/events/sched/sched_switch/enable &&
			       ! grep -q '$(cat /kho/prev-tok0)' $KT/trace"
		khotest_diag "kt tracing_on after trace-cmd: $(cat $KT/tracing_on)"
		echo 1 > $KT/tracing_on
		fk_mark_all "$(fk_tok gen1)"
		fk_next "kexec -s again" ;;
	2)
		khotest_check "kt restored again" \
			fk_log "tracing: kho: instance kt: CPUs 0-1 of the previous kernel$"
		khotest_check "gen1's CPU 0 marker in trace" \
			fk_has $KT/trace "$(cat /kho/prev-tok0)"
		khotest_check "no record of gen0" \
			sh -c "! grep -q -- '-gen0-' $KT/trace"
		khotest_check "trace_pipe gives gen1's markers" fk_pipe
		khotest_check "trace_pipe consumed them" \
			sh -c "! grep -q '$(cat /kho/prev-tok0)' $KT/trace"
		khotest_check "the ftrace client finished its incoming state" \
			grep -q "^state finished" /sys/kernel/kho/in/clients/ftrace/stats ;;
	esac
}
