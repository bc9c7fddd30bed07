# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-cmdline: kho=on kunit.enable=1
#
# The KHO KUnit suite (CONFIG_KEXEC_HANDOVER_KUNIT_TEST), run at boot with
# kho=on so that the client API is tested against the live handover. Each
# KUnit case becomes one result, a skipped case a skip. Generation 0 runs
# the suite, whose kho_test_handover case leaves state for the next
# kernel, and kexecs; generation 1 runs it again, and kho_test_restore
# takes that state through every error of the restore side.

khotest_run() {
	local results=/sys/kernel/debug/kunit/kexec_handover/results line n=0

	KHOTEST_GEN=$1
	if [ ! -r "$results" ]; then
		khotest_fail "KUnit suite kexec_handover ran"
		return
	fi
	while read -r line; do
		case "$line" in
		"ok "*kho_test_* | "not ok "*kho_test_*)
			n=$((n + 1))
			# "ok 3 name # SKIP why" -> "ok genN: kunit: name # SKIP why"
			khotest_log "$(echo "$line" |
				sed -E "s/^(not )?ok [0-9]+ /\1ok gen$1: kunit: /")" ;;
		esac
	done < "$results"
	khotest_check "KUnit suite kexec_handover ran ($n cases)" test "$n" -ge 11
	[ "$1" = 0 ] && khotest_kexec_next "kexec -s -l"
}
