# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 17
# khotest-results: 3 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 3
# khotest-machines: small:arm64 host:x86_64
# khotest-cmdline: kho=on test_kho.size=1M
#
# Hostile handovers: each generation arms one way of damaging the outgoing
# handover (CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT, /sys/kernel/debug/kho/
# corrupt) and kexecs; the next kernel must boot to user space, log one
# line naming the problem, and show the rejection in sysfs: the whole
# handover in /sys/kernel/kho/incoming, or only the damaged client, in
# /sys/kernel/kho/in/clients/NAME/stats. Either way the kernel hands a
# sound handover on to the next generation.

# case|expected kernel log line (after "kho: "; "-" for "ignoring the
# handover from the previous kernel: ")|what sysfs shows
KCR_IGNORING="ignoring the handover from the previous kernel: "
KCR_CASES='fdt-magic|-not an FDT|handover
fdt-truncated|-corrupted FDT|handover
compatible|-incompatible version|handover
page-size|-page size differs|handover
tracker-address|-bad tracker address|handover
client-tracker-address|client test-kho: bad tracker address: its state is lost|client
tracker-loop|client test-kho: node linked twice: its state is lost|client
tracker-orders|client test-kho: bad number of orders: its state is lost|client
core-tracker-orders|-tracker: bad number of orders|handover
root-block|-tracker: root tree not preserved|handover
tracker-scratch|client test-kho: its tracker preserves scratch memory: its state is lost|client
blob-overlap|-overlapping blobs|handover
blob-size|-bad blob node|handover
scratch-outside-ram|-scratch area outside memory|handover
scratch-overlap|-overlapping scratch areas|handover
handoff-scratch|-bad scratch table in the handoff|handover'

kcr_case() { echo "$KCR_CASES" | sed -n "$1p"; }

kcr_rejected() {
	grep -qF "rejected: $1" /sys/kernel/kho/incoming && test ! -e /sys/kernel/kho/in
}

kcr_client_rejected() {
	local st=/sys/kernel/kho/in/clients/test-kho/stats

	grep -qx accepted /sys/kernel/kho/incoming &&
		grep -qx 'state rejected' $st && grep -qx 'released_by bad tracker' $st
}

khotest_run() {
	local prev next name line shows why

	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	if [ "$1" -gt 0 ]; then
		prev=$(kcr_case "$1")
		name=${prev%%|*}
		line=${prev#*|}
		shows=${line#*|}
		line=${line%|*}
		case "$line" in -*) line="$KCR_IGNORING${line#-}" ;; esac
		khotest_diag "$name: $(dmesg | grep -E 'kho: (ignoring|client)' |
				      head -n 2 | tr '\n' ' ')"
		khotest_check "$name: the kernel log names the problem" \
			sh -c "dmesg | grep -qF 'kho: $line'"
		why=${line#"$KCR_IGNORING"}
		if [ "$shows" = handover ]; then
			khotest_check "$name: /sys/kernel/kho/incoming shows the rejection" \
				kcr_rejected "$why"
		else
			khotest_check "$name: only the client is rejected, in sysfs" \
				kcr_client_rejected
		fi
	fi
	next=$(kcr_case $(($1 + 1)))
	[ -n "$next" ] || return
	khotest_check "arm ${next%%|*}" \
		sh -c "echo ${next%%|*} > /sys/kernel/debug/kho/corrupt"
	khotest_kexec_next "kexec -s -l"
}
