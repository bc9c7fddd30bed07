# SPDX-License-Identifier: GPL-2.0
#
# A VM on guest RAM kept across kexec: helpers of the scenarios vm_kexec
# and demo_vm; sourced by them.
#
# An unmodified QEMU (the one of the machine that built the initramfs,
# harness/mkinitramfs.sh --vm) runs /kho/tickvm.elf (vm/tickvm.c) on a
# memfd that luoctl preserves through /dev/liveupdate. The next kernel is
# loaded while the VM runs; then QEMU stops the VM and saves only its
# device state (x-ignore-shared: the RAM is the shared memfd) into the
# session's 16 MiB state memfd (token 3, VM_STATE_FD), and quits. After
# the kexec, a new QEMU maps the retrieved RAM memfd (token 1), loads the
# state and continues. QEMU is driven as a management tool would drive it,
# through QMP, here on two fifos (its stdin and stdout: the guest kernel
# has no sockets), and every wait is for QEMU's answer or event (STOP,
# MIGRATION completed, RESUME), not a poll: under -icount a poll's sleep
# counts as instructions in the blackout. Times
# are seconds of /proc/uptime; what the next generation needs (the last
# tick, the state's size, the times of the jump) is written into the
# session's 4 KiB clock memfd (token 2, VM_CLOCK) right before kexec -e:
# memfds are preserved in place, so what is written after the load
# reaches the next kernel.

VM_QEMU=/usr/bin/qemu-system-x86_64
VM_ELF=/kho/tickvm.elf
VM_RAM=128M
VM_CLOCK="2=memfd:vm-clock:4K"
VM_STATE_FD="3=memfd:vm-state:16M"
# tickvm's pattern (vm/tickvm.c): the word at a is a ^ 0x9e3779b9, from
# 4 MiB to 36 MiB; guest physical address = offset in the memfd.
VM_PAT_BASE=$((4 << 20))
VM_PAT_END=$((36 << 20))
VM_STATE=/tmp/vmstate
# QMP: commands into VM_QMP_IN, replies and events out of VM_QMP_OUT (fds
# 3 and 4 of the shell), each line of them logged in VM_QMP_LOG.
VM_QMP_IN=/tmp/vm-qmp.in
VM_QMP_OUT=/tmp/vm-qmp.out
VM_QMP_LOG=/tmp/vm-qmp.log
VM_QEMU_ERR=/tmp/vm-qemu.err
VM_PID=
# Seconds between two looks at the VM's console (its ticks).
VM_POLL=0.05
# The state holds device state only: far less than this, or RAM got in.
VM_STATE_MAX=$((16 << 20))

# vm_story: each line of stdin for the reader of make demo ("DEMO: "
# lines, see tests/demo_vm.sh), when VM_DEMO=1.
vm_story() {
	local line

	[ "${VM_DEMO:-0}" = 1 ] || { cat > /dev/null; return 0; }
	while IFS= read -r line; do
		echo "DEMO: $line" > /dev/kmsg
	done
}

# vm_console SERIAL: the VM's serial output so far, for the story.
vm_console() {
	tr -d '\r' < "$1" | sed 's/^/  | /' | vm_story
}

# vm_populated PATH: MiB of the memfd that hold pages.
vm_populated() {
	echo $(($(stat -L -c %b "$1") * 512 >> 20))
}

vm_uptime() {
	cut -d' ' -f1 /proc/uptime
}

# vm_now: VM_NOW, /proc/uptime in hundredths of a second, with builtins
# only: inside the blackout the test's clock must not start processes.
vm_now() {
	local up

	read -r up _ < /proc/uptime
	VM_NOW=$((${up%.*} * 100 + 1${up#*.} - 100))
}

# vm_secs HUNDREDTHS: as seconds, with two decimals.
vm_secs() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# vm_elapsed FROM [TO]: seconds from uptime FROM to TO (default now).
vm_elapsed() {
	awk -v a="$1" -v b="${2:-$(vm_uptime)}" 'BEGIN { printf "%.2f", b - a }'
}

# vm_ram_path NAME [TOKEN]: the /proc/PID/fd/N of TOKEN (default 1, the
# RAM) that luoctl printed into /tmp/NAME.out.
vm_ram_path() {
	local token path

	while read -r token path; do
		[ "$token" = "${2:-1}" ] && echo "$path"
	done < /tmp/$1.out
}

# vm_ram_word PATH ADDR: the 32-bit word at guest physical address ADDR.
vm_ram_word() {
	od -A n -t x4 -j "$2" -N 4 "$1" | tr -d ' '
}

# vm_pattern_spots PATH: tickvm's pattern at the first, a middle and the
# last word of its range, read from the memfd itself.
vm_pattern_spots() {
	local a want got

	for a in $VM_PAT_BASE $(((VM_PAT_BASE + VM_PAT_END) / 2 + 4)) \
		 $((VM_PAT_END - 4)); do
		want=$(printf %08x $((a ^ 0x9e3779b9)))
		got=$(vm_ram_word "$1" $a)
		[ "$got" = "$want" ] && continue
		khotest_diag "RAM at $(printf 0x%x $a): $got, not $want"
		return 1
	done
}

# vm_initrd_base: the next generation's initramfs, built from our root
# while the VM still runs (QEMU and its libraries make it large).
vm_initrd_base() {
	khotest_make_initrd
}

# vm_kexec_load: load the next kernel, kexec -s, with that initramfs.
vm_kexec_load() {
	# shellcheck disable=SC2046
	kexec -s -l "${KHOTEST_KERNEL:-/boot/vmlinuz}" --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline $(vm_hold_words) $(khotest_break_words))"
}

# vm_hold_words: with khotest_vm_fill_held=1 the next kernel holds the
# memfds' fill (memfd_kho.fill_hold=1) until vm_hold_release, once the
# VM has run and quit: under -icount the CPUs take turns, so a fill
# running on another CPU would count inside the blackout (see
# kexec_blackout.sh), and beside the nested VM both crawled (lock
# waiters spin through whole turns), until RCU stalled.
vm_hold_words() {
	[ -n "$(khotest_param khotest_vm_fill_held)" ] && echo memfd_kho.fill_hold=1
}

vm_hold_release() {
	[ -z "$(vm_hold_words)" ] || echo 0 > /sys/module/memfd_kho/parameters/fill_hold
}

# vm_state_put: VM_STATE into the session's state memfd (token 3).
vm_state_put() {
	dd if=$VM_STATE of="$(vm_ram_path vm 3)" conv=notrunc 2>/dev/null
}

# vm_clock_write PATH LINES: LINES into the clock memfd, from its start
# (its size is frozen: opened read-write, not truncated).
vm_clock_write() {
	printf '%s\n' "$2" 1<> "$1"
}

vm_clock_read() {
	tr -d '\0' < "$1" | sed -n "s/^$2=//p"
}

# vm_luoctl NAME ARG...: luoctl ARG..., its output in /tmp/NAME.out and
# /tmp/NAME.err; the last error line as a diagnostic on failure.
vm_luoctl() {
	local name=$1

	shift
	/usr/bin/luoctl "$@" > /tmp/$name.out 2> /tmp/$name.err && return 0
	khotest_diag "luoctl $1: $(tail -n 1 /tmp/$name.err)"
	return 1
}

# vm_start SERIAL MEM_PATH [STATE]: QEMU in the background, 1 CPU,
# VM_RAM of RAM on MEM_PATH (shared), tickvm as the kernel, the serial
# port into the file SERIAL, QMP on fds 3 and 4, in command mode, with the
# migration capabilities set: x-ignore-shared (the RAM stays in the memfd)
# and events. With STATE, QEMU waits for an incoming migration (-incoming
# defer) that vm_load reads from STATE, open as QEMU's fd 5.
vm_start() {
	local serial=$1 mem=$2

	shift 2
	exec 5< "${1:-/dev/null}"
	[ -n "$1" ] && set -- -incoming defer
	rm -f $VM_QMP_IN $VM_QMP_OUT
	mkfifo $VM_QMP_IN $VM_QMP_OUT || return 1
	: > "$serial"
	: > $VM_QMP_LOG
	# A QEMU that died must not take the shell along when it writes.
	trap '' PIPE
	$VM_QEMU -nodefaults -no-user-config -display none -vga none \
		-accel tcg,tb-size=32 -smp 1 -m $VM_RAM \
		-object memory-backend-file,id=ram,size=$VM_RAM,mem-path="$mem",share=on \
		-machine pc,memory-backend=ram -kernel $VM_ELF \
		-serial file:"$serial" -qmp stdio "$@" \
		< $VM_QMP_IN > $VM_QMP_OUT 2> $VM_QEMU_ERR &
	VM_PID=$!
	exec 5>&-
	# Each open of a fifo waits for the other end's: QEMU's stdin first.
	exec 3> $VM_QMP_IN
	exec 4< $VM_QMP_OUT
	vm_qmp '{"execute": "qmp_capabilities"}' &&
	vm_qmp '{"execute": "migrate-set-capabilities", "arguments": {"capabilities": [
		{"capability": "x-ignore-shared", "state": true},
		{"capability": "events", "state": true}]}}'
}

vm_alive() {
	[ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null
}

# vm_qmp JSON [TEXT]: one QMP command; waits for its return and, with TEXT,
# for a line holding TEXT as well (an event, which may come before the
# return), kept in VM_QMP_EVENT. Fails on an error reply, a failed
# migration, QEMU gone, or a minute without a line.
vm_qmp() {
	local line want=${2:-} ret=

	vm_alive || return 1
	echo "$1" >&3
	while IFS= read -r -t 60 line <&4; do
		echo "$line" >> $VM_QMP_LOG
		case $line in
		*'"error"'*|*'"status": "failed"'*) return 1 ;;
		*'"return"'*) ret=1 ;;
		esac
		[ -n "$want" ] && case $line in *"$want"*) want= VM_QMP_EVENT=$line ;; esac
		[ -n "$ret" ] && [ -z "$want" ] && return 0
	done
	return 1
}

# vm_wait SECONDS COMMAND...: poll COMMAND every VM_POLL s until it succeeds;
# fails after SECONDS or when QEMU is gone.
vm_wait() {
	local end

	end=$(awk -v n="$1" -v u="$(vm_uptime)" 'BEGIN { print u + n }')
	shift
	while ! "$@"; do
		vm_alive || return 1
		awk -v e="$end" -v u="$(vm_uptime)" 'BEGIN { exit !(u > e) }' && return 1
		sleep $VM_POLL
	done
}

# vm_ticks SERIAL: the tick numbers printed, one a line.
vm_ticks() {
	tr -d '\r' < "$1" | sed -n 's/^tickvm: tick \([0-9]*\) .*/\1/p'
}

vm_last_tick() {
	vm_ticks "$1" | tail -n 1
}

# vm_tick_past SERIAL N: a tick above N was printed.
vm_tick_past() {
	[ "$(vm_last_tick "$1")" -gt "$2" ] 2>/dev/null
}

vm_starts() {
	tr -d '\r' < "$1" | grep -c '^tickvm: start'
}

# vm_all_ok SERIAL: every tick printed says ok.
vm_all_ok() {
	! tr -d '\r' < "$1" | grep '^tickvm: tick' | grep -qv ' ok$'
}

# vm_console_sum SERIAL: "STARTS LAST BAD", the console read once: how
# often tickvm started, its last tick (0: none), how many ticks were bad.
vm_console_sum() {
	awk '{ sub(/\r$/, "") } /^tickvm: start/ { s++ }
		/^tickvm: tick/ { t = $3; if ($4 != "ok") b++ }
		END { print s + 0, t + 0, b + 0 }' "$1"
}

# vm_consecutive SERIAL FIRST: the ticks are FIRST, FIRST + 1, ...
vm_consecutive() {
	vm_ticks "$1" | awk -v n="$2" '$1 != n++ { bad = 1 } END { exit bad || NR == 0 }'
}

# vm_save: stop the VM and save its device state into VM_STATE, without
# the RAM (x-ignore-shared); waits for the migration to complete.
vm_save() {
	vm_qmp '{"execute": "stop"}' '"event": "STOP"' &&
	vm_qmp "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > $VM_STATE\"}}" \
		'"status": "completed"'
}

# vm_load: with QEMU started on a STATE (vm_start), load the state from
# it (what follows the state's end is not read); the VM is paused then, as
# it was when saved.
vm_load() {
	vm_qmp '{"execute": "migrate-incoming", "arguments": {"uri": "fd:5"}}' \
		'"status": "completed"'
}

# vm_cont: let the VM run; waits for QEMU's RESUME event.
vm_cont() {
	vm_qmp '{"execute": "cont"}' '"event": "RESUME"'
}

# vm_mark_event NAME: khomark NAME at the time stamp of VM_QMP_EVENT (the
# moment QEMU sent it); if it cannot be dated, khomark NAME now, and fails.
vm_mark_event() {
	local sec usec

	sec=${VM_QMP_EVENT#*\"seconds\": }
	sec=${sec%%,*}
	usec=${VM_QMP_EVENT#*\"microseconds\": }
	usec=${usec%%\}*}
	khomark "$1" "$sec" "$usec" > /dev/null 2>&1 && return 0
	khomark "$1" > /dev/null
	return 1
}

# vm_quit: QEMU quits (which waits for the migration's cat: VM_STATE is
# whole then); waits up to 30 s for it to exit, and kills it after that.
vm_quit() {
	local dog rc

	[ -n "$VM_PID" ] || return 1
	vm_qmp '{"execute": "quit"}'
	( sleep 30; kill -9 "$VM_PID" ) 2> /dev/null &
	dog=$!
	wait "$VM_PID"
	rc=$?
	kill "$dog" 2> /dev/null
	exec 3>&- 4<&-
	VM_PID=
	return $rc
}

vm_qemu_diag() {
	khotest_diag "qemu: $(grep -iE 'error|qemu-system|warning' $VM_QEMU_ERR $VM_QMP_LOG |
		tail -n 3 | tr -d '\r' | tr '\n' ' ')"
}

vm_size() {
	stat -c %s "$1"
}

# vm_meta KEY: a value gen0 wrote into the clock memfd.
vm_meta() {
	vm_clock_read "$(vm_ram_path vm 2)" "$1"
}
