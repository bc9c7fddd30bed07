# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 8 5
# khotest-machines: small
# khotest-cmdline: kho=on
#
# Bad luck on the way out, bad data on the way in:
#   gen0: with failslab and fail_page_alloc armed through
#         /proc/thread-self/fail-nth, PRESERVE_FD of a filled memfd meets
#         its n-th allocation failing, for n = 1, 2, ... until three calls
#         in a row meet no failure (luo_test preserve-fault): each call
#         that fails must leave the memfd as it was (not frozen, data
#         intact) and a retry must work; once the processes are gone the
#         live update client preserves what it did before the sweep. Then
#         sessions "good" and "bad" are preserved and held, and the freeze
#         damages "bad" after its checksum (liveupdate.corrupt_session);
#   gen1: "bad" is dropped with a message and cannot be retrieved, "good"
#         comes back intact; once good is finished, every incoming session
#         is, and the rest (bad's memory) is released.

LUOCTL=/usr/bin/luoctl
LUO_TEST=/kho/luo_test
FI=/sys/kernel/debug
STATS=/sys/kernel/kho/out/clients/liveupdate/stats

lf_setup() {
	local d

	for d in failslab fail_page_alloc; do
		echo 0 > $FI/$d/probability || return 1
		echo 0 > $FI/$d/verbose
		echo N > $FI/$d/ignore-gfp-wait
		echo -1 > $FI/$d/times
	done
	echo 0 > $FI/fail_page_alloc/min-order
	echo N > $FI/fail_page_alloc/ignore-gfp-highmem
}

lf_bytes() { sed -n 's/^bytes //p' $STATS; }

# lf_sweep: LF_FAILED calls failed cleanly, LF_FALLBACK worked despite a
# failure, LF_BAD did anything else; LF_N: the last n.
lf_sweep() {
	local n=1 ok=0 rc

	LF_FAILED=0 LF_FALLBACK=0 LF_BAD=0
	while [ $ok -lt 3 ] && [ $n -le 300 ]; do
		$LUO_TEST preserve-fault $n > /tmp/lf.out 2>&1
		rc=$?
		case $rc in
		0) ok=$((ok + 1)) ;;
		3) ok=0; LF_FAILED=$((LF_FAILED + 1)) ;;
		5) ok=0; LF_FALLBACK=$((LF_FALLBACK + 1)) ;;
		*) ok=0; LF_BAD=$((LF_BAD + 1))
		   khotest_diag "fail-nth $n: $(tail -n 1 /tmp/lf.out)" ;;
		esac
		n=$((n + 1))
	done
	LF_N=$n
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		# The first open of /dev/liveupdate registers the client.
		$LUO_TEST retrieve-missing > /dev/null 2>&1
		before=$(lf_bytes)
		khotest_check "fault injection set up" lf_setup
		khotest_log "faults injected from here"
		lf_sweep
		khotest_log "faults injected until here"
		khotest_diag "fail-nth sweep: $LF_N calls, $LF_FAILED failed," \
			"$LF_FALLBACK worked around a failure"
		khotest_check "allocation failures made PRESERVE_FD fail ($LF_FAILED times)" \
			test "$LF_FAILED" -gt 0
		khotest_check "every failed PRESERVE_FD left the memfd as it was, a retry worked" \
			test "$LF_BAD" = 0
		khotest_check "the sweep reached calls without failure" test "$LF_N" -le 300
		khotest_check "nothing stays preserved after the sweep (${before:-no} bytes)" \
			test -n "$before" -a "$(lf_bytes)" = "$before"
		khotest_check "sessions good and bad preserved and held" sh -c \
			"$LUOCTL preserve -d good 1=memfd:good:4M:fill=3 > /dev/null &&
			 $LUOCTL preserve -d bad 1=memfd:bad:4M:fill=4 > /dev/null &&
			 echo bad > /sys/module/liveupdate/parameters/corrupt_session"
		khotest_kexec_next "kexec -s -l, the freeze damages session bad"
		;;
	1)
		# The first open reads the previous kernel's sessions.
		$LUO_TEST retrieve-missing > /dev/null 2>&1
		khotest_check "the damaged session was dropped with a message" \
			sh -c "dmesg | grep -q 'liveupdate: session at .*: bad checksum: dropped'"
		khotest_check "session bad cannot be retrieved (ENOENT)" \
			sh -c "$LUOCTL retrieve bad 1 -- true 2>&1 |
			       grep -q 'RETRIEVE_SESSION bad: No such file'"
		khotest_check "session good came through intact" \
			$LUOCTL retrieve -f -x 3 --size 4194304 good 1 -- true
		khotest_check "every incoming session is finished: the rest is released" \
			sh -c "dmesg | grep -q 'session is finished and no restore needs'"
		;;
	esac
}
