#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [-t SECONDS] [-o DIR] TARGET...: fuzz each target of this
# directory (fuzz_root, fuzz_scratch, fuzz_tracker, fuzz_inspect) for
# SECONDS (default 60), starting from its seeds (corpus/NAME) and its work
# corpus (DIR/corpus/NAME, which keeps what the runs find), and print one
# line per target: executions, coverage, corpus size, crashes. A crash
# input goes to DIR/crashes/NAME/, the fuzzer's output to
# DIR/logs/NAME.log (DIR defaults to out). FUZZ_FLAGS adds libFuzzer
# options.
#
# Exit status: non-zero if a target crashed or could not run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
time=60
out=out
while getopts "t:o:" opt; do
	case $opt in
	t) time=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t SECONDS] [-o DIR] TARGET..." >&2; exit 2; }

# Options of each target.
target_flags() {
	case $1 in
	fuzz_root) echo "-max_len=16384 -dict=$here/fuzz_root.dict" ;;
	fuzz_scratch) echo "-max_len=1088" ;;
	fuzz_tracker) echo "-use_value_profile=1" ;;
	fuzz_inspect) echo "-max_len=32768 -dict=$here/fuzz_root.dict" ;;
	esac
}

# Seed directories of each target besides corpus/NAME: fuzz_inspect reads
# root trees too.
target_seeds() {
	case $1 in
	fuzz_inspect) echo "$here/corpus/root" ;;
	esac
}

# A figure of libFuzzer's final statistics in $log.
stat() {
	sed -n "s/^stat::$1: *//p" "$log" | tail -n 1
}

failed=0
for t in "$@"; do
	name=${t#fuzz_}
	log=$out/logs/$t.log
	mkdir -p "$out/corpus/$name" "$out/crashes/$name" "$out/logs"
	start=$SECONDS
	# shellcheck disable=SC2046,SC2086 # options are split into words
	"$here/$t" -max_total_time="$time" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$name/" $(target_flags "$t") \
		${FUZZ_FLAGS:-} "$out/corpus/$name" "$here/corpus/$name" \
		$(target_seeds "$t") \
		> "$log" 2>&1
	rc=$?
	elapsed=$((SECONDS - start))
	# The last status line: "#N DONE cov: C ft: F corp: U/SIZE ...".
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	crash=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log")
	printf '%s: %s executions in %s s (%s/s), ' "$t" \
		"$(stat number_of_executed_units)" "$elapsed" \
		"$(stat average_exec_per_sec)"
	printf 'coverage %s edges, %s features, corpus %s (%s new), crashes %s\n' \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$(stat new_units_added)" \
		"$([ -n "$crash" ] && echo "$crash" | wc -l || echo 0)"
	if [ $rc != 0 ]; then
		failed=1
		grep -m 3 -E 'ERROR:|SUMMARY:|check failed|runtime error' "$log" | sed 's/^/  /'
		echo "$crash" | sed -n 's/^./  input: &/p'
		echo "  log: $log"
	fi
done
exit $failed
