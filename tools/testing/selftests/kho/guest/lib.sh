# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the guest side of the KHO selftests; sourced by /init.
#
# Results go to /dev/kmsg so that each line reaches the serial console whole,
# prefixed with "KHOTEST: ". The host runner (vmtest.sh) collects them and
# numbers them into KTAP.

KHOTEST_GEN=0

khotest_log() {
	echo "KHOTEST: $*" > /dev/kmsg
}

khotest_param() {
	local word line

	read -r line < /proc/cmdline
	for word in $line; do
		case "$word" in
		"$1="*) echo "${word#*=}"; return 0 ;;
		esac
	done
	return 1
}

khotest_ok() { khotest_log "ok gen$KHOTEST_GEN: $*"; }
khotest_fail() { khotest_log "not ok gen$KHOTEST_GEN: $*"; }
khotest_skip() { khotest_log "ok gen$KHOTEST_GEN: $1 # SKIP $2"; }
khotest_diag() { khotest_log "# gen$KHOTEST_GEN: $*"; }

# khotest_check DESCRIPTION COMMAND...: one result from a command's status.
khotest_check() {
	local desc=$1
	shift
	if "$@"; then
		khotest_ok "$desc"
	else
		khotest_fail "$desc"
	fi
}

# The last line of a scenario's output: no more results will come.
khotest_finish() {
	khotest_log "done gen$KHOTEST_GEN"
	sync
	reboot -f
	sleep 60
}

# The command line for the next generation: ours, with khotest_gen bumped
# and any extra words appended.
khotest_next_cmdline() {
	local word line out=""

	read -r line < /proc/cmdline
	for word in $line; do
		case "$word" in
		khotest_gen=*) ;;
		*) out="$out $word" ;;
		esac
	done
	echo "${out# } khotest_gen=$((KHOTEST_GEN + 1)) $*"
}

# Rebuild an initramfs from our own root file system, so that every
# generation can kexec into the next one with the same userspace.
khotest_make_initrd() {
	(cd / && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \) \
		-prune -o -print | cpio -o -H newc 2>/dev/null) > /tmp/initrd.cpio
}

# khotest_kexec_load [EXTRA_CMDLINE...]: load the next kernel, /boot/vmlinuz
# or $KHOTEST_KERNEL, with kexec_file_load.
khotest_kexec_load() {
	khotest_make_initrd || return 1
	kexec -s -l "${KHOTEST_KERNEL:-/boot/vmlinuz}" --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline "$@")"
}

# khotest_kexec_exec: jump into the loaded kernel; returns only on failure.
khotest_kexec_exec() {
	khotest_log "kexec gen$KHOTEST_GEN -> gen$((KHOTEST_GEN + 1))"
	sync
	kexec -e
	khotest_fail "kexec -e returned"
	return 1
}

# khotest_kexec_next DESCRIPTION [EXTRA_CMDLINE...]: load the next kernel and
# jump into it, reporting the load as one result.
khotest_kexec_next() {
	local desc=$1
	shift
	if khotest_kexec_load "$@" $(khotest_break_words); then
		khotest_ok "$desc"
		khotest_kexec_exec
	else
		khotest_fail "$desc"
	fi
}

# khotest_kexec_load_refused DESCRIPTION [LOG_TEXT]: kexec_load (kexec -l,
# no -s) of the next kernel must fail, and the kernel must have said why,
# with LOG_TEXT (default: its kexec_load message): kexec-tools giving up
# before the system call is a failure too. One result.
khotest_kexec_load_refused() {
	local desc=$1 msg=${2:-"kexec_load cannot carry the handover"} before

	before=$(dmesg | grep -c "$msg")
	[ -f /tmp/initrd.cpio ] || khotest_make_initrd
	if kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline)" 2>/tmp/kexec.err; then
		khotest_fail "$desc"
		kexec -u
	elif [ "$(dmesg | grep -c "$msg")" -gt "$before" ]; then
		khotest_ok "$desc"
	else
		khotest_fail "$desc: kexec-tools failed first: $(tail -n 1 /tmp/kexec.err)"
	fi
}

# The runner sets khotest_break=1 to check that a next kernel which never
# comes up is reported: the next generation then gets an init that does
# not exist and a panic that reboots at once.
khotest_break_words() {
	[ "$(khotest_param khotest_break)" = 1 ] &&
		echo "rdinit=/nonexistent root=/dev/nonexistent panic=-1"
}

# A size with a K, M or G suffix, in bytes.
khotest_bytes() {
	case "$1" in
	*K) echo $((${1%K} << 10)) ;;
	*M) echo $((${1%M} << 20)) ;;
	*G) echo $((${1%G} << 30)) ;;
	*) echo "$1" ;;
	esac
}

# khotest_luoctl NAME ARG...: /usr/bin/luoctl ARG..., its output in
# /tmp/NAME.out and /tmp/NAME.err; the last error line as a diagnostic on
# failure.
khotest_luoctl() {
	local name=$1

	shift
	/usr/bin/luoctl "$@" > /tmp/$name.out 2> /tmp/$name.err && return 0
	khotest_diag "luoctl $1 $name: $(tail -n 1 /tmp/$name.err)"
	return 1
}
