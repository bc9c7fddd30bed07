# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 3 5
# khotest-machines: small
# khotest-cmdline: kho=on initcall_debug log_buf_len=1M
#
# The kexec blackout, marked piece by piece: with initcall_debug, the old
# kernel logs the cycle counter at each step of kexec -e ("kexec_core: jump
# STEP cycles=N") and the new kernel at its boot milestones ("boot cycles
# ..."; "kho: early walk cycles=A,B" for the handover walk); khomark logs it
# from user space. The counter is not reset by kexec: harness/bench.sh
# (make bench) reads the pieces from the serial log, under -icount shift=0
# in instructions. khotest_blackout= picks the case:
#
#   plain  a kexec with kho=off after the kho=on above (nothing handed
#          over, every segment copied at the jump)
#   empty  kho=on, nothing preserved from user space
#   memfd  (default) kho=on and a memfd of khotest_blackout_size= bytes
#          (default 64M; khotest_blackout_kind=4k or hugetlb, 2 MiB pages)
#          filled and preserved through /dev/liveupdate, retrieved and
#          verified in the next kernel: the stand-in for a VM's RAM.
#          khotest_blackout_fill=held boots the next kernel with
#          memfd_kho.fill_hold=1 and lets the fill go on after
#          "retrieve-done": under -icount the CPUs run one at a time, so a
#          fill running on another CPU would count inside the blackout,
#          which it is not on a host with CPUs to spare
#
# gen0: the memfd is preserved, then the counter is read and passed on the
#       next command line (khotest_blackout_t0=), the next kernel loaded,
#       "khomark exec" and kexec -e.
# gen1: "khomark up" first, then the memfd retrieved between "khomark
#       retrieve-start" and "retrieve-done" (the blackout ends there) and
#       its data verified; when a 4 KiB memfd was filled after
#       RETRIEVE_FD, a diagnostic says when the fill ended ("BLACKOUT
#       gen=1 fill_after_retrieve_start_us="). The marks are checked:
#       present, in order, and later than gen0's.

KB_SEED=4242

kb_case() {
	local c

	c=$(khotest_param khotest_blackout) || c=memfd
	echo "$c"
}

kb_size() {
	khotest_param khotest_blackout_size || echo 64M
}

kb_spec() {
	local spec=1=memfd:blackout:$(kb_size)

	case "$(khotest_param khotest_blackout_kind)" in
	hugetlb) spec=$spec:hugetlb=2M ;;
	esac
	echo "$spec:fill=$KB_SEED"
}

# The "boot cycles" values of this kernel, one per line in the order
# image entry mm mm_done deferred deferred_done initcalls init; image only
# where the architecture records it (arm64).
kb_boot_marks() {
	dmesg | sed -n 's/.*boot cycles \(image=[0-9]* entry=.*\)$/\1/p' |
		tr ' ,' '\n\n' | sed 's/^[a-z_]*=//; 1{/^0$/d}'
	dmesg | sed -n 's/.*boot cycles init=\([0-9]*\)$/\1/p'
}

# Is every value of stdin (at least N of them) larger than the one before.
kb_increasing() {
	awk -v n="$1" 'NR > 1 && $1 + 0 <= prev { bad = 1 } { prev = $1 + 0 }
		END { exit bad || NR < n }'
}

kb_marks_in_order() {
	local up

	up=$(dmesg | sed -n 's/.*khomark: up cycles=\([0-9]*\)$/\1/p')
	{ kb_boot_marks; echo "$up"; } > /tmp/kb.marks
	khotest_diag "boot marks: $(tr '\n' ' ' < /tmp/kb.marks)"
	[ "$(cat /etc/kho-arch)" = arm64 ] && [ "$(wc -l < /tmp/kb.marks)" != 9 ] &&
		return 1
	kb_increasing 8 < /tmp/kb.marks
}

# The new kernel's first mark is later than gen0's read before the load.
kb_counter_continues() {
	local t0 entry

	t0=$(khotest_param khotest_blackout_t0) || return 1
	entry=$(head -n 1 /tmp/kb.marks)
	khotest_diag "counter: $t0 in gen0 before the load, $entry at entry"
	[ -n "$entry" ] && printf '%s\n%s\n' "$t0" "$entry" | kb_increasing 2
}

# The handover walk, inside mm_core_init().
kb_walk_marked() {
	local walk mm

	walk=$(dmesg | sed -n 's/.*kho: early walk cycles=\([0-9]*\),\([0-9]*\)$/\1\n\2/p')
	mm=$(tail -n 7 /tmp/kb.marks | head -n 2)
	[ -n "$walk" ] && [ -n "$mm" ] &&
		printf '%s\n' "$(echo "$mm" | head -n 1)" "$walk" \
			"$(echo "$mm" | tail -n 1)" | kb_increasing 4
}

# kb_verify RC: the retrieve (status RC) gave back the pattern.
kb_verify() {
	[ "$1" = 0 ] && /usr/bin/luoctl verify \
		"$(awk '$1 == 1 { print $2 }' /tmp/kb.out)" $KB_SEED > /dev/null
}

# kb_fill: when the memfd was filled (memfd_kho.fill_later), after
# retrieve-start by the kernel log's clock (instructions under -icount),
# and how many of its folios came in on access.
kb_fill() {
	dmesg | awk '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t) }
		/khomark: retrieve-start/ { s = t }
		/token 1: filled: / { f = t; a = $0; sub(/.*parts, /, "", a); sub(/;.*/, "", a) }
		END { if (s != "" && f != "")
			printf "BLACKOUT gen=1 fill_after_retrieve_start_us=%d (%s)\n",
				(f - s) * 1e6, a }'
}

# kb_hold: the next kernel's words for khotest_blackout_fill=held.
kb_hold() {
	[ "$(khotest_param khotest_blackout_fill)" = held ] && echo memfd_kho.fill_hold=1
}

kb_gen0() {
	local c=$1 t0

	if [ "$c" = memfd ] && [ "$(khotest_param khotest_blackout_kind)" = hugetlb ]; then
		# A pool of just the memfd's size.
		echo $(($(khotest_bytes "$(kb_size)") >> 21)) > /proc/sys/vm/nr_hugepages
	fi
	if [ "$c" = memfd ]; then
		khotest_check "preserve a filled $(kb_size) memfd" \
			khotest_luoctl kb preserve -d -p /tmp/kb.pid blackout "$(kb_spec)"
	else
		khotest_skip "preserve a filled memfd" "case $c"
	fi
	t0=$(khomark load) || t0=0
	if khotest_kexec_load "khotest_blackout_t0=$t0" $(kb_hold); then
		khotest_ok "kexec -s -l"
	else
		khotest_fail "kexec -s -l"
		return
	fi
	khotest_log "kexec gen0 -> gen1"
	sync
	khomark exec > /dev/null
	kexec -e
	khotest_fail "kexec -e returned"
}

kb_gen1() {
	local c=$1 rc

	if [ "$c" = memfd ]; then
		# A VMM maps the memory it gets: the check comes after the mark.
		khomark retrieve-start > /dev/null
		khotest_luoctl kb retrieve -d -f -p /tmp/kb.pid blackout \
			"1:size=$(kb_size)"
		rc=$?
		khomark retrieve-done > /dev/null
		[ -z "$(kb_hold)" ] || echo 0 > /sys/module/memfd_kho/parameters/fill_hold
		khotest_check "retrieve the $(kb_size) memfd; data verified" \
			kb_verify $rc
		khotest_diag "$(kb_fill)"
	else
		khotest_skip "retrieve the memfd" "case $c"
	fi
	khotest_check "the boot marks are logged, in order" kb_marks_in_order
	khotest_check "the counter ran on across the jump" kb_counter_continues
	if [ "$c" = plain ]; then
		khotest_skip "the handover walk is marked inside mm_core_init" "kho=off"
	else
		khotest_check "the handover walk is marked inside mm_core_init" \
			kb_walk_marked
	fi
}

khotest_run() {
	local c

	KHOTEST_GEN=$1
	[ "$1" = 1 ] && khomark up > /dev/null
	c=$(kb_case)
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch), case $c"
	case "$1" in
	0) kb_gen0 "$c" ;;
	1) kb_gen1 "$c" ;;
	esac
}
