# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 15 14
# khotest-cmdline: kho=on kunit.enable=1
#
# The KHO KUnit suite (CONFIG_KEXEC_HANDOVER_KUNIT_TEST), run at boot with
# kho=on so that the client API is tested against the live handover. Each
# KUnit case becomes one result, a skipped case a skip; the number of
# cases must match the suite's KTAP plan. Generation 0 runs
# the suite, whose kho_test_handover case leaves state for the next
# kernel, and kexecs; generation 1 runs it again, and kho_test_restore
# takes that state through every error of the restore side.

khotest_run() {
	local results=/sys/kernel/debug/kunit/kexec_handover/results line n=0 plan

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
	# The suite's own plan says how many cases it has: all must report.
	plan=$(sed -n '/# Subtest: kexec_handover$/,$ s/^ *1\.\.\([0-9]*\).*/\1/p' "$results" |
	       head -n 1)
	khotest_check "KUnit suite kexec_handover reported its plan (${plan:-none}: $n cases)" \
		test -n "$plan" -a "$n" = "$plan" -a "$n" -gt 0
	[ "$1" = 0 ] && khotest_kexec_next "kexec -s -l"
}
