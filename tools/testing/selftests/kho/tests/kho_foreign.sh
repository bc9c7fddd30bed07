# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 3 4 4
# khotest-machines: small host
# khotest-cmdline: kho=on test_kho.size=1M
#
# Handovers of the other kind (Documentation/kho/abi.rst, "Identity").
# Upstream Linux's KHO uses other layouts under its own identifiers; a
# kernel of either kind must boot the other's handover as no handover.
# Generation 0 arms other-handoff (CONFIG_KEXEC_HANDOVER_DEBUG_CORRUPT):
# the image it loads carries its handover under upstream's identifiers and
# in upstream's layout (x86 setup_data type 10, arm64 linux,kho-fdt and
# linux,kho-scratch). Generation 1 must say so, show the rejection in
# /sys/kernel/kho/incoming and not read it; it then hands a sound handover
# on. Generation 2 accepts it and checks that what it received carries
# this handover's identifiers and none of upstream's, so that an upstream
# kernel would see no handover at all.

KFO_WHY="handover of another KHO implementation"
KFO_LINE="kho: ignoring the handover from the previous kernel: $KFO_WHY"

kfo_rejected() {
	grep -qF "rejected: $KFO_WHY" /sys/kernel/kho/incoming &&
		test ! -e /sys/kernel/kho/in
}

# The boot handoff this kernel received carries only our identifiers.
kfo_handoff_is_ours() {
	local t types=

	case "$(cat /etc/kho-arch)" in
	x86_64)
		for t in /sys/kernel/boot_params/setup_data/*/type; do
			types="$types $(cat "$t")"
		done
		khotest_diag "setup_data types:$types"
		case " $types " in *" 0xa "*) return 1 ;; esac
		case " $types " in *" 0xb "*) return 0 ;; esac
		return 1
		;;
	*)
		dtc -I dtb -O dts /sys/firmware/fdt 2>/dev/null > /tmp/kfo.dts || return 1
		khotest_diag "$(grep -E 'linux,(kho|kexec-handover)' /tmp/kfo.dts |
			tr -s ' \t' ' ')"
		grep -q 'linux,kexec-handover = ' /tmp/kfo.dts &&
			grep -q 'linux,kexec-handover-scratch = ' /tmp/kfo.dts &&
			! grep -qE 'linux,kho-(fdt|scratch)' /tmp/kfo.dts
		;;
	esac
}

kfo_root_is_ours() {
	dtc -I dtb -O dts /sys/kernel/kho/in/fdt 2>/dev/null > /tmp/kfo-root.dts &&
		grep -q 'compatible = "kexec-handover-v1";' /tmp/kfo-root.dts &&
		! grep -qE 'compatible = "kho-v[0-9]+"' /tmp/kfo-root.dts
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "arm other-handoff" \
			sh -c "echo other-handoff > /sys/kernel/debug/kho/corrupt"
		khotest_kexec_next "kexec -s -l"
		;;
	1)
		khotest_diag "$(dmesg | grep -E 'kho: ignoring' | head -n 2 | tr '\n' ' ')"
		khotest_check "the kernel log names a handover of another implementation" \
			sh -c "dmesg | grep -qF '$KFO_LINE'"
		khotest_check "/sys/kernel/kho/incoming shows the rejection" kfo_rejected
		khotest_kexec_next "kexec -s -l"
		;;
	2)
		khotest_diag "incoming: $(tr '\n' ' ' < /sys/kernel/kho/incoming)"
		khotest_check "the sound handover is accepted" \
			grep -qx accepted /sys/kernel/kho/incoming
		khotest_check "the boot handoff carries our identifiers, none of upstream KHO's" \
			kfo_handoff_is_ours
		khotest_check "the root tree is kexec-handover-v1, not upstream's kho-vN" \
			kfo_root_is_ours
		;;
	esac
}
