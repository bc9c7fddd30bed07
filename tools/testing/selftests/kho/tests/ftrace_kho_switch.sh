# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 10 5
# khotest-machines: small
# khotest-cmdline: kho=on
#
# An existing instance switched to preserved at run time, through its
# "kho" file (CONFIG_TRACE_KHO):
#   gen0: creates instance rt, loads the next kernel (kexec -s -l), then
#         writes 1 to instances/rt/kho: the buffer moves onto preservable
#         memory and, the image being loaded already, is handed over at
#         once. A switch is refused while another file of the instance is
#         open; writing 0 undoes it for a second instance. Markers, jump;
#   gen1: rt exists with its marker; the undone instance does not.

T=/sys/kernel/tracing
I=$T/instances

fs_tok() { echo "$(cut -c1-8 /proc/sys/kernel/random/boot_id)-$1"; }

fs_busy() {	# the switch of rt2 with its trace file open: EBUSY
	local rc
	mkdir $I/rt2 || return 1
	exec 3< $I/rt2/trace
	echo 1 > $I/rt2/kho 2>/dev/null
	rc=$?
	exec 3<&-
	[ $rc != 0 ] && [ "$(cat $I/rt2/kho)" = 0 ]
}

fs_undo() {	# rt3: on, then off again
	mkdir $I/rt3 && echo 1 > $I/rt3/kho && echo 0 > $I/rt3/kho &&
		[ "$(cat $I/rt3/kho)" = 0 ] && echo rt3-marker > $I/rt3/trace_marker
}

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "a new instance is not preserved" \
			sh -c "mkdir $I/rt && [ \$(cat $I/rt/kho) = 0 ]"
		echo before-switch > $I/rt/trace_marker
		# Events keep firing into rt while its buffer is replaced.
		echo 1 > $I/rt/events/sched/sched_switch/enable
		khotest_check "kexec -s -l" khotest_kexec_load
		khotest_check "echo 1 > instances/rt/kho" sh -c "echo 1 > $I/rt/kho"
		khotest_check "rt is preserved now" test "$(cat $I/rt/kho)" = 1
		khotest_check "its buffer moved (records so far dropped)" \
			sh -c "! grep -q before-switch $I/rt/trace &&
			       dmesg | grep -q 'tracing: kho: instance rt moved onto'"
		fs_tok rt > /kho/prev-tok
		khotest_check "a marker in rt" sh -c "cat /kho/prev-tok > $I/rt/trace_marker"
		khotest_check "its events go on into the new buffer" \
			grep -q "sched_switch:" $I/rt/trace
		khotest_check "refused while another file is open" fs_busy
		khotest_check "switched on and off again" fs_undo
		khotest_kexec_exec ;;
	1)
		khotest_check "rt is restored with its marker" \
			grep -q "$(cat /kho/prev-tok)" $I/rt/trace
		khotest_check "rt3, switched off again, is not" test ! -d $I/rt3
		khotest_check "rt2, never switched, is not" test ! -d $I/rt2
		khotest_check "rt is not handed over again without asking" \
			test "$(cat $I/rt/kho)" = 0 ;;
	esac
}
