# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 9 9
# khotest-machines: small host
# khotest-arch: x86_64
# khotest-cmdline: kho=on
# khotest-initramfs: vm
# khotest-timeout: 600
#
# The headline use case: a VM keeps running across a kexec of its host.
# An unmodified QEMU runs the tick VM (vm/tickvm.c: it counts seconds in
# its RAM and checks 32 MiB of a pattern) with its 128 MiB of RAM on a
# memfd that luoctl preserves through /dev/liveupdate (see
# guest/vm_lib.sh):
#   gen0: luoctl preserve -d vm 1=memfd:guest-ram:128M, 2 (a 4 KiB memfd
#         for the clock and what gen1 needs) and 3 (16 MiB for the device
#         state); QEMU on /proc/PID/fd/N; once it ticks, kexec -s -l with
#         the session held and the VM running; then stop, migrate with
#         x-ignore-shared into memfd 3 (device state only: it must stay
#         under 16 MiB), quit; the memfd holds the VM's pattern; kexec -e;
#   gen1: luoctl retrieve -d -f vm 1 2 3 (the memfds, FINISHed); a new
#         QEMU on the RAM memfd with -incoming defer loads the state and
#         continues: the ticks go on from gen0's last one, all ok (the VM
#         checks all its 32 MiB in four ticks), it did not start again,
#         and the memfd holds the pattern. The blackout, from stop to the
#         first tick after the kexec, is reported.
#
# make bench (harness/bench.sh) runs it on an 8 GiB host machine with
# khotest_vm_ram=4G, and once more with khotest_vm_baseline=1: the same
# host kexec with no VM (only the 4 KiB clock memfd is handed over; the
# VM's results are skipped), whose blackout ends when this kernel's user
# space is up. Both report "BENCH gen=1 blackout_ms=...".
#
# khomark (see kexec_blackout.sh) logs the cycle counter at the VM's
# steps: vm-stop and vm-saved (stopped, state saved, QEMU gone) in gen0
# around the save, exec before kexec -e; up, retrieve-start,
# retrieve-done, vm-loaded and vm-running (dated by QEMU's RESUME event)
# in gen1. With initcall_debug the kernels add theirs, and
# harness/blackout.py reads the VM's blackout piece by piece (make
# bench-blackout). Inside the blackout the scenario does what an operator
# would, and checks only what needs the stopped VM: the rest is looked at
# before the stop or after the VM runs again. khotest_vm_fill=SEED fills
# the whole of the VM's RAM before QEMU starts, as a guest that has
# touched all its memory would have it populated. khotest_vm_fill_held=1
# holds the fill of the memfds until the VM has run and quit, for runs
# under -icount (vm_hold_words).

. /kho/vm_lib.sh

VM_RAM=$(khotest_param khotest_vm_ram)
VM_RAM=${VM_RAM:-128M}
VM_BASELINE=$(khotest_param khotest_vm_baseline)
VM_FILL=$(khotest_param khotest_vm_fill)

# vm_skip N WHY: N results of the VM skipped, in the baseline run.
vm_skip() {
	local i

	for i in $(seq "$1"); do
		khotest_skip "VM result $i of this generation" "$2"
	done
}

# vm_clock_put KEY=VALUE...: what gen1 needs, into the clock memfd.
vm_clock_put() {
	vm_clock_write "$(vm_ram_path vm 2)" "$(printf '%s\n' "$@")"
}

# The baseline: the same kexec, a 4 KiB memfd and no VM. Its gen0 stops
# nothing: the time from "stop" on is the jump alone.
vm_baseline_gen0() {
	local t_stop t_load

	khotest_check "luoctl preserve -d vm $VM_CLOCK (no VM)" \
		vm_luoctl vm preserve -d -p /tmp/holder.pid vm $VM_CLOCK
	vm_skip 6 "khotest_vm_baseline=1: a host kexec with no VM"
	vm_initrd_base
	t_load=$(vm_uptime)
	if vm_kexec_load; then
		khotest_ok "kexec -s -l with session vm held (4 KiB, no VM)"
		t_stop=$(vm_uptime)
		vm_clock_put "stop_wall=$(date +%s)" \
			"kexec_load=$(vm_elapsed "$t_load" "$t_stop")" \
			"stop_to_exec=$(vm_elapsed "$t_stop")"
		khomark exec > /dev/null
		khotest_kexec_exec
	else
		khotest_fail "kexec -s -l with session vm held (4 KiB, no VM)"
	fi
}

vm_baseline_gen1() {
	local up stop_to_exec

	# User space is up: a host with no VM is back in service.
	up=$(vm_uptime)
	khotest_check "luoctl retrieve -d -f vm 2: the 4K clock memfd" \
		vm_luoctl vm retrieve -d -f -p /tmp/holder.pid vm 2:size=4K
	stop_to_exec=$(vm_meta stop_to_exec)
	vm_skip 7 "khotest_vm_baseline=1: a host kexec with no VM"
	khotest_diag "blackout with no VM: kexec -e after $stop_to_exec s" \
		"(kexec -s -l before it: $(vm_meta kexec_load) s), user space" \
		"up $up s into this kernel"
	vm_bench "$stop_to_exec" "$up" "$(vm_meta kexec_load)"
	kill "$(cat /tmp/holder.pid)" 2>/dev/null
}

# vm_bench STOP_TO_EXEC UP KEXEC_LOAD: the blackout figures, ms.
vm_bench() {
	khotest_diag "$(awk -v a="$1" -v b="$2" -v l="$3" -v r="$VM_RAM" 'BEGIN {
		printf "BENCH gen=1 blackout_ms=%d stop_to_exec_ms=%d", \
			(a + b) * 1000, a * 1000
		printf " up_ms=%d kexec_load_ms=%d vm_ram=%s", \
			b * 1000, l * 1000, r }')"
}

# vm_saved SIZE: the state, SIZE bytes, holds no RAM; into the state memfd.
vm_saved() {
	[ "$1" -gt 0 ] && [ "$1" -lt $VM_STATE_MAX ] && vm_state_put
}

vm_kexec_gen0() {
	local ram path t0 t_stop t_saved t_load t_loaded last size clock meta

	ram=1=memfd:guest-ram:$VM_RAM${VM_FILL:+:fill=$VM_FILL}
	khotest_check "luoctl preserve -d vm $ram $VM_CLOCK $VM_STATE_FD" \
		vm_luoctl vm preserve -d -p /tmp/holder.pid vm \
		"$ram" $VM_CLOCK $VM_STATE_FD
	path=$(vm_ram_path vm)
	khotest_diag "guest RAM: $path, held by luoctl (pid $(cat /tmp/holder.pid 2>/dev/null))"
	t0=$(vm_uptime)
	vm_start /tmp/serial0.log "$path"
	if vm_wait 300 vm_tick_past /tmp/serial0.log 2; then
		khotest_ok "QEMU runs tickvm on the preserved memfd:" \
			"3 ticks after $(vm_elapsed "$t0") s"
	else
		khotest_fail "QEMU runs tickvm on the preserved memfd"
		vm_qemu_diag
	fi
	echo "gen0: QEMU runs tickvm; its $VM_RAM of RAM is a memfd that luoctl" \
		"holds in session vm ($path); the VM's console:" | vm_story
	vm_console /tmp/serial0.log
	t_load=$(vm_uptime)
	vm_initrd_base
	if vm_kexec_load; then
		khotest_ok "kexec -s -l with session vm held, the VM running"
	else
		khotest_fail "kexec -s -l with session vm held, the VM running"
		vm_quit
		return
	fi
	t_loaded=$(vm_uptime)
	khotest_diag "initramfs built and kexec -s -l done in" \
		"$(vm_elapsed "$t_load" "$t_loaded") s, the VM running"
	# Whatever the test can look at or work out before the stop is done
	# here: the blackout holds the operator's steps and the few checks
	# that need the stopped VM. tickvm writes its pattern once, at start.
	khotest_check "the memfd holds tickvm's pattern (read with od)" \
		vm_pattern_spots "$path"
	clock=$(vm_ram_path vm 2)
	meta="kexec_load=$(vm_elapsed "$t_load" "$t_loaded")
initrd_mib=$(($(vm_size /tmp/initrd.cpio) >> 20))
stop_wall=$(date +%s)"
	# The blackout starts here.
	vm_now
	t_stop=$VM_NOW
	khomark vm-stop > /dev/null
	khotest_check "stop, migrate with x-ignore-shared into $VM_STATE: completed" vm_save
	khotest_check "QEMU quits" vm_quit
	size=$(vm_size $VM_STATE 2>/dev/null || echo 0)
	khotest_check "the state holds no RAM: $size bytes, under $VM_STATE_MAX; into memfd 3" \
		vm_saved "$size"
	khomark vm-saved > /dev/null
	vm_now
	t_saved=$VM_NOW
	# shellcheck disable=SC2046
	set -- $(vm_console_sum /tmp/serial0.log)
	last=$2
	khotest_check "tickvm started once and every tick was ok (the last $last)" \
		test "$1 $3" = "1 0" -a "$last" -gt 0
	[ "$3" = 0 ] || khotest_diag "$(grep bad /tmp/serial0.log | head -n 1)"
	khotest_diag "last tick $last; state $size bytes," \
		"saved in $(vm_secs $((t_saved - t_stop))) s"
	[ "${VM_DEMO:-0}" = 1 ] && {
		echo "gen0: the next kernel is loaded (kexec -s -l) while the VM runs;"
		echo "gen0: then stopped at tick $last; saved the device state, $size bytes," \
			"into the session's state memfd; QEMU quit"
		echo "gen0: the RAM ($(vm_populated "$path") MiB populated) stays in the" \
			"memfd; now kexec -e with session vm held"
	} | vm_story
	vm_now
	vm_clock_write "$clock" "$meta
last_tick=$last
state_size=$size
stop_to_exec=$(vm_secs $((VM_NOW - t_stop)))"
	khomark exec > /dev/null
	khotest_kexec_exec
}

vm_kexec_gen1() {
	local path clock last t_load t_cont t_first blackout stop_to_exec

	# The VM runs again before anything is checked: the checks are not
	# part of the blackout.
	khomark retrieve-start > /dev/null
	khotest_check "luoctl retrieve -d -f vm 1 2 3: the memfds of $VM_RAM, 4K and 16M" \
		vm_luoctl vm retrieve -d -f -p /tmp/holder.pid vm 1:size=$VM_RAM \
		2:size=4K 3:size=16M
	khomark retrieve-done > /dev/null
	path=$(vm_ram_path vm)
	vm_now
	t_load=$VM_NOW
	# Straight from the state memfd: QEMU stops reading at the state's end.
	vm_start /tmp/serial1.log "$path" "$(vm_ram_path vm 3)"
	khotest_check "QEMU loads the state (migrate-incoming, x-ignore-shared) from memfd 3" \
		vm_load
	khomark vm-loaded > /dev/null
	vm_now
	t_cont=$VM_NOW
	# The VM runs from QEMU's RESUME event: the mark takes its time. (A
	# mark of the shell's, after the event, would count what the VM does
	# first, such as a tick checking 8 MiB, where -icount's vCPUs take
	# turns with the shell.)
	if vm_cont; then
		vm_mark_event vm-running ||
			khotest_diag "vm-running marked after QEMU's answer:" \
				"its RESUME could not be dated"
	else
		khomark vm-running > /dev/null
		khotest_diag "cont: no RESUME event from QEMU"
	fi
	last=$(vm_meta last_tick)
	stop_to_exec=$(vm_meta stop_to_exec)
	khotest_diag "guest RAM: $path; gen0's last tick $last, state $(vm_meta state_size) bytes"
	echo "gen1: luoctl retrieved the memfds ($path, $(vm_populated "$path") MiB" \
		"populated); a new QEMU maps it, loads the state and continues:" | vm_story
	vm_wait 120 vm_tick_past /tmp/serial1.log 0
	vm_now
	t_first=$VM_NOW
	khotest_check "the VM resumed: its first tick is $((last + 1))" \
		test "$(vm_ticks /tmp/serial1.log | head -n 1)" = $((last + 1))
	# Four ticks verify all 32 MiB, 8 MiB each.
	vm_wait 60 vm_tick_past /tmp/serial1.log $((last + 4))
	khotest_check "ticks go on from gen0's: $((last + 1)) to $(vm_last_tick /tmp/serial1.log)" \
		vm_consecutive /tmp/serial1.log $((last + 1))
	khotest_check "no second start: tickvm was not restarted" \
		test "$(vm_starts /tmp/serial1.log)" = 0
	khotest_check "every tick ok: the 32 MiB pattern is intact" vm_all_ok /tmp/serial1.log
	vm_all_ok /tmp/serial1.log || khotest_diag "$(grep bad /tmp/serial1.log | head -n 1)"
	khotest_check "QEMU quits" vm_quit
	# Under -icount, a fill beside the nested VM made both crawl.
	vm_hold_release
	khotest_check "the retrieved memfd holds tickvm's pattern (read with od)" \
		vm_pattern_spots "$path"
	vm_console /tmp/serial1.log
	# From stop in gen0 to the first tick here: gen0's part, then this
	# kernel's uptime (it counts from its start; the jump itself and the
	# firmware-free boot before timekeeping are not in it).
	blackout=$(awk -v a="$stop_to_exec" -v b="$(vm_secs "$t_first")" \
		'BEGIN { printf "%.2f", a + b }')
	khotest_diag "blackout ${blackout} s: stop to kexec -e $stop_to_exec s," \
		"boot to retrieve $(vm_secs "$t_load") s, load $(vm_secs $((t_cont - t_load))) s," \
		"cont to first tick $(vm_secs $((t_first - t_cont))) s;" \
		"by the wall clock (1 s steps) $(($(date +%s) - $(vm_meta stop_wall))) s to now"
	vm_bench "$stop_to_exec" "$(vm_secs "$t_first")" "$(vm_meta kexec_load)"
	khotest_diag "RAM $VM_RAM kept in place; device state copied: $(vm_meta state_size) bytes"
	{
		echo "gen1: the VM went on from tick $((last + 1)), its RAM intact;" \
			"blackout ${blackout} s from stop to its first tick here:"
		echo "  stop, save, quit, kexec -e: $stop_to_exec s" \
			"(kexec -s -l of the test's $(vm_meta initrd_mib) MiB initramfs," \
			"$(vm_meta kexec_load) s, came before, with the VM running);"
		echo "  this kernel's boot to luoctl retrieve: $(vm_secs "$t_load") s;"
		echo "  QEMU start and state load: $(vm_secs $((t_cont - t_load))) s;" \
			"cont to the first tick: $(vm_secs $((t_first - t_cont))) s"
		echo "  kept in place: the $VM_RAM memfd ($(vm_populated "$path") MiB of pages);" \
			"copied: the device state, $(vm_meta state_size) bytes"
		echo "  handover: $(grep -E '^(preserved_bytes|claimed_bytes) ' \
			/sys/kernel/kho/in/stats 2>/dev/null | tr '\n' ' ')"
		echo "  what the previous kernel handed over, as khoinspect --in shows it:"
		khoinspect --in 2>&1 | head -n 60 | sed 's/^/    /'
	} | vm_story
	kill "$(cat /tmp/holder.pid)" 2>/dev/null
}

khotest_run() {
	KHOTEST_GEN=$1
	[ "$1" = 1 ] && khomark up > /dev/null
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1.${VM_BASELINE:-0}" in
	0.0) vm_kexec_gen0 ;;
	1.0) vm_kexec_gen1 ;;
	0.1) vm_baseline_gen0 ;;
	1.1) vm_baseline_gen1 ;;
	esac
}
