# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 22 21
# khotest-cmdline: kho=on kunit.enable=1
#
# The KHO KUnit suite (CONFIG_KEXEC_HANDOVER_KUNIT_TEST), run at boot with
# kho=on so that the client API is tested against the live handover, and
# the memfd one (CONFIG_LIVEUPDATE_MEMFD_KUNIT_TEST). Each KUnit case
# becomes one result, a skipped case a skip; the number of cases of each
# suite must match its KTAP plan. Generation 0 runs
# the suite, whose kho_test_handover case leaves state for the next
# kernel, and kexecs; generation 1 runs it again, and kho_test_restore
# takes that state through every error of the restore side.

# kunit_suite GEN SUITE PREFIX: one result per case of SUITE (named
# PREFIX*), then one that the cases match the suite's own plan.
kunit_suite() {
	local results=/sys/kernel/debug/kunit/$2/results line n=0 plan

	if [ ! -r "$results" ]; then
		khotest_fail "KUnit suite $2 ran"
		return
	fi
	while read -r line; do
		case "$line" in
		"ok "*" $3"* | "not ok "*" $3"*)
			n=$((n + 1))
			# "ok 3 name # SKIP why" -> "ok genN: kunit: name # SKIP why"
			khotest_log "$(echo "$line" |
				sed -E "s/^(not )?ok [0-9]+ /\1ok gen$1: kunit: /")" ;;
		esac
	done < "$results"
	# The suite's own plan says how many cases it has: all must report.
	plan=$(sed -n "/# Subtest: $2\$/,\$ s/^ *1\.\.\([0-9]*\).*/\1/p" "$results" |
	       head -n 1)
	khotest_check "KUnit suite $2 reported its plan (${plan:-none}: $n cases)" \
		test -n "$plan" -a "$n" = "$plan" -a "$n" -gt 0
}

khotest_run() {
	KHOTEST_GEN=$1
	kunit_suite "$1" kexec_handover kho_test_
	kunit_suite "$1" memfd_kho memfd_kho_test_
	[ "$1" = 0 ] && khotest_kexec_next "kexec -s -l"
}
