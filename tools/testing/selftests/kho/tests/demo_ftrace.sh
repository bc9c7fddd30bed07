# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 4 6
# khotest-machines: small
# khotest-cmdline: kho=on trace_instance=kt^kho,sched:sched_switch,sched:sched_process_exec
#
# The story of make demo: the kernel that booted you left its trace.
#   gen0: boots with a preserved trace instance "kt" recording scheduler
#         events; the function tracer of kt also follows the kexec path;
#         a small workload runs and writes unique markers to trace_marker;
#         then kexec -s into the next kernel;
#   gen1: prints the last records of gen0 with trace-cmd (markers, the
#         workload, the kexec path up to the jump) and a summary of what
#         the handover carried. Lines for the reader start with "DEMO:".

T=/sys/kernel/tracing
KT=$T/instances/kt

demo_say() {	# each line of stdin, for the reader
	while IFS= read -r line; do
		echo "DEMO: $line" > /dev/kmsg
	done
}

demo_trace_kexec_path() {
	local f
	for f in kernel_kexec machine_kexec machine_shutdown kho_freeze \
		 syscore_shutdown device_shutdown; do
		echo "$f" >> $KT/set_ftrace_filter 2>/dev/null
	done
	echo function > $KT/current_tracer
}

demo_workload() {	# TOKEN
	local i
	for i in 1 2 3; do
		echo "KHO-DEMO $1 step $i of 3: listing /proc" > $KT/trace_marker
		ls /proc > /dev/null
	done
	echo "KHO-DEMO $1 last marker before kexec" > $KT/trace_marker
}

demo_summary() {
	local c
	echo "handover summary (/sys/kernel/kho/in):"
	echo "  $(grep -E '^(clients|preserved_bytes|claimed_bytes|released_bytes) ' \
		/sys/kernel/kho/in/stats | tr '\n' ' ')"
	for c in /sys/kernel/kho/in/clients/*; do
		echo "  client $(basename "$c"): $(tr '\n' ' ' < "$c/stats")"
	done
}

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		echo "gen0: instance kt records sched events;" \
			"its function tracer follows the kexec path" |
			demo_say
		khotest_check "function tracer on the kexec path" demo_trace_kexec_path
		cut -c1-8 /proc/sys/kernel/random/boot_id > /kho/demo-token
		khotest_check "workload and markers" demo_workload "$(cat /kho/demo-token)"
		echo "gen0: wrote markers KHO-DEMO $(cat /kho/demo-token); now kexec -s" | demo_say
		khotest_kexec_next "kexec -s into the next kernel" ;;
	1)
		trace-cmd show -B kt > /tmp/kt.txt 2>&1
		echo "gen1: the markers the previous kernel wrote" \
			"(trace-cmd show -B kt | grep KHO-DEMO):" |
			demo_say
		grep KHO-DEMO /tmp/kt.txt | cut -c1-150 | demo_say
		echo "gen1: its last records, up to the jump (trace-cmd show -B kt | tail):" |
			demo_say
		grep -v "^#" /tmp/kt.txt | tail -n 8 | cut -c1-150 | demo_say
		khotest_check "trace-cmd shows the markers of gen0" \
			grep -q "KHO-DEMO $(cat /kho/demo-token) last marker" /tmp/kt.txt
		khotest_check "the kexec path is traced" \
			grep -q "kexec handover: jumping to the next kernel" /tmp/kt.txt
		khotest_check "the function tracer saw kernel_kexec" \
			grep -q "kernel_kexec" /tmp/kt.txt
		echo "gen1: $(grep -c . /tmp/kt.txt) records of the previous kernel in kt;" \
			"$(grep 'text delta' $KT/last_boot_info)" | demo_say
		demo_summary | demo_say
		khotest_check "the summary reads" test -r /sys/kernel/kho/in/stats
		khotest_check "the ftrace client is done" \
			grep -q "^state finished" /sys/kernel/kho/in/clients/ftrace/stats ;;
	esac
}
