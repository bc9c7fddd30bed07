# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 1
# khotest-results: 14
# khotest-machines: small
# khotest-cmdline: kho=on trace_instance=kt^kho
#
# kexec_load (kexec -l without -s) cannot carry the handover. A trace
# instance marked for it (CONFIG_TRACE_KHO) is preserved only when an
# image is loaded with kexec_file_load, so nothing is preserved before:
# the ftrace client's pending callback must still make kexec_load fail,
# in either order, rather than let the trace be lost without a word:
#   - kt marked (^kho), nothing preserved yet: kexec -l is refused;
#   - kt switched off: kexec -l is accepted; kt switched on again: the
#     jump into that image is refused; kexec -u;
#   - handover aborted: kexec -l is accepted; re-enabled: refused again.
# No kexec happens: the generation finishes.

T=/sys/kernel/tracing
KT=$T/instances/kt
FCL=/sys/kernel/kho/out/clients/ftrace/stats
MSG_LOAD="kho: kexec_load cannot carry the handover"
MSG_JUMP="kho: kexec jump refused: the image was loaded with kexec_load"

fc_count() { dmesg | grep -c "$1"; }

fc_load_classic() {
	kexec -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
		--command-line="$(khotest_next_cmdline)" 2>/tmp/kexec.err
}

fc_load_refused() {
	khotest_kexec_load_refused "$1" "$MSG_LOAD"
}

# Marked for the handover, but the ftrace client preserves nothing yet.
fc_marked_only() {
	[ "$(cat $KT/kho)" = 1 ] && grep -q '^bytes 0$' $FCL &&
		grep -q '^blobs 0$' $FCL
}

fc_set_kho() {	# 0|1
	echo "$1" > $KT/kho && [ "$(cat $KT/kho)" = "$1" ]
}

# kexec -e returns, and the kernel refused the jump.
fc_jump_refused() {
	local before

	before=$(fc_count "$MSG_JUMP")
	khotest_log "kexec gen0: expecting a refusal"
	sync
	kexec -e 2>/dev/null
	[ "$(fc_count "$MSG_JUMP")" -gt "$before" ]
}

fc_marker() {
	echo "$1" > $KT/trace_marker && grep -q -- "$1" $KT/trace
}

khotest_run() {
	local tok

	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	tok="$(cut -c1-8 /proc/sys/kernel/random/boot_id)-classic"
	khotest_check "kt is marked for the handover, nothing preserved yet" \
		fc_marked_only
	khotest_check "a marker in kt" fc_marker "$tok"
	khotest_make_initrd
	# (a) A marked instance and nothing preserved: kexec_load refused.
	fc_load_refused "kexec -l refused while kt is marked"
	# (b) The other order: loaded first, then marked.
	khotest_check "echo 0 > instances/kt/kho" fc_set_kho 0
	khotest_check "nothing marked: kexec -l accepted" fc_load_classic
	khotest_check "echo 1 > instances/kt/kho with the image loaded" \
		fc_set_kho 1
	khotest_check "the jump into the kexec_load image is refused" \
		fc_jump_refused
	khotest_check "kt still holds its marker" grep -q -- "$tok" $KT/trace
	khotest_check "kexec -u" kexec -u
	# (c) Aborted: kexec_load allowed whatever is marked.
	khotest_check "abort the handover" \
		sh -c 'echo 1 > /sys/kernel/kho/abort'
	khotest_check "handover aborted: kexec -l accepted" fc_load_classic
	kexec -u
	khotest_check "re-enable the handover" \
		sh -c 'echo 0 > /sys/kernel/kho/abort'
	fc_load_refused "re-enabled: kexec -l refused again"
}
