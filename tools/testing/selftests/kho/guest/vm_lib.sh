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
# state and continues. QEMU's monitor is driven through a fifo on its
# stdin (the guest kernel has no sockets); its replies go to a file. Times
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
VM_MON=/tmp/vm-monitor
VM_MON_OUT=/tmp/vm-monitor.out
VM_PID=
# Seconds between two looks at QEMU's monitor or console: the granularity
# of the VM's marks (vm_kexec.sh).
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

# vm_elapsed FROM [TO]: seconds from uptime FROM to TO (default now).
vm_elapsed() {
	awk -v a="$1" -v b="${2:-$(vm_uptime)}" 'BEGIN { printf "%.2f", b - a }'
}

# vm_ram_path NAME [TOKEN]: the /proc/PID/fd/N of TOKEN (default 1, the
# RAM) that luoctl printed into /tmp/NAME.out.
vm_ram_path() {
	awk -v t="${2:-1}" '$1 == t { print $2 }' /tmp/$1.out
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

# vm_state_get SIZE: VM_STATE back from the retrieved state memfd.
vm_state_get() {
	head -c "$1" "$(vm_ram_path vm 3)" > $VM_STATE &&
		[ "$(vm_size $VM_STATE)" = "$1" ]
}

# vm_clock_write PATH LINE: LINE into the clock memfd (its size is frozen:
# no truncation).
vm_clock_write() {
	echo "$2" | dd of="$1" conv=notrunc 2>/dev/null
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

# vm_start SERIAL MEM_PATH [QEMU_ARG...]: QEMU in the background, 1 CPU,
# VM_RAM of RAM on MEM_PATH (shared), tickvm as the kernel, the serial
# port into the file SERIAL, the monitor on fd 3.
vm_start() {
	local serial=$1 mem=$2

	shift 2
	rm -f $VM_MON
	mkfifo $VM_MON || return 1
	: > "$serial"
	: > $VM_MON_OUT
	# A QEMU that died must not take the shell along when it writes.
	trap '' PIPE
	$VM_QEMU -nodefaults -no-user-config -display none -vga none \
		-accel tcg,tb-size=32 -smp 1 -m $VM_RAM \
		-object memory-backend-file,id=ram,size=$VM_RAM,mem-path="$mem",share=on \
		-machine pc,memory-backend=ram -kernel $VM_ELF \
		-serial file:"$serial" -monitor stdio "$@" \
		< $VM_MON > $VM_MON_OUT 2>&1 &
	VM_PID=$!
	# Opening the write end lets QEMU's open of the read end finish.
	exec 3> $VM_MON
}

vm_alive() {
	[ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null
}

# vm_mon COMMAND: one monitor command (its reply lands in VM_MON_OUT).
vm_mon() {
	vm_alive || return 1
	echo "$*" >&3
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

# vm_mon_says TEXT: a line of the monitor's replies is TEXT.
vm_mon_says() {
	tr -d '\r' < $VM_MON_OUT | grep -qx "$1"
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

# vm_clean_run SERIAL: one start, ticks, every one ok.
vm_clean_run() {
	[ "$(vm_starts "$1")" = 1 ] && [ -n "$(vm_last_tick "$1")" ] && vm_all_ok "$1"
}

# vm_consecutive SERIAL FIRST: the ticks are FIRST, FIRST + 1, ...
vm_consecutive() {
	vm_ticks "$1" | awk -v n="$2" '$1 != n++ { bad = 1 } END { exit bad || NR == 0 }'
}

# vm_save: stop the VM and save its device state into VM_STATE, without
# the RAM (x-ignore-shared); waits for the migration to complete.
vm_save() {
	vm_mon stop &&
	vm_mon "migrate_set_capability x-ignore-shared on" &&
	vm_mon "migrate \"exec:cat > $VM_STATE\"" || return 1
	vm_wait 60 vm_migrated
	vm_mon_says "Migration status: completed"
}

vm_migrated() {
	vm_mon "info migrate"
	sleep $VM_POLL
	vm_mon_says "Migration status: completed" ||
		vm_mon_says "Migration status: failed"
}

# vm_load: with QEMU started with -incoming defer, load VM_STATE; the VM
# is paused then, as it was when saved.
vm_load() {
	vm_mon "migrate_set_capability x-ignore-shared on" &&
	vm_mon "migrate_incoming \"exec:cat $VM_STATE\"" || return 1
	vm_wait 60 vm_loaded
}

vm_loaded() {
	vm_mon "info status"
	sleep $VM_POLL
	vm_mon_says "VM status: paused"
}

# vm_running: after cont, the monitor says the VM runs.
vm_running() {
	vm_mon "info status"
	sleep $VM_POLL
	vm_mon_says "VM status: running"
}

# vm_quit: QEMU quits; waits up to 30 s for it to exit.
vm_quit() {
	local end

	vm_mon quit
	end=$(awk -v u="$(vm_uptime)" 'BEGIN { print u + 30 }')
	while vm_alive && awk -v e="$end" -v u="$(vm_uptime)" 'BEGIN { exit u > e }'; do
		sleep $VM_POLL
	done
	exec 3>&-
	if vm_alive; then
		kill "$VM_PID"
		return 1
	fi
	wait "$VM_PID" 2>/dev/null
	VM_PID=
}

vm_qemu_diag() {
	khotest_diag "qemu: $(tr -d '\r' < $VM_MON_OUT | grep -v '^(qemu)' |
		grep -iE 'error|qemu-system|warning' | tail -n 3 | tr '\n' ' ')"
}

vm_size() {
	stat -c %s "$1"
}

# vm_meta KEY: a value gen0 wrote into the clock memfd.
vm_meta() {
	vm_clock_read "$(vm_ram_path vm 2)" "$1"
}
