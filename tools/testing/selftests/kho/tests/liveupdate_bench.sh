# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 2
# khotest-results: 8 10
# khotest-machines: small
# khotest-arch: x86_64
# khotest-cmdline: kho=on
#
# The memfd part of make bench (harness/bench.sh runs it on an 8 GiB host
# machine with khotest_lubench_size=4G, one kind per run), and a smoke run
# of it in make test (64 MiB of each kind). Figures go to the log as
# "# genN: BENCH key=value" lines, in nanoseconds of CLOCK_MONOTONIC
# around the ioctl alone (luoctl -t):
#
# gen0: for each kind of khotest_lubench_kind= (4k, thp, hugetlb or all,
#       the default): luoctl creates a memfd of khotest_lubench_size= bytes
#       (default 64M), fills it (4k: shmem_enabled=never, so 4 KiB pages;
#       thp: shmem_enabled=advise and a MADV_HUGEPAGE mapping, so 2 MiB
#       folios; hugetlb: MFD_HUGETLB of 2 MiB pages, from a pool of just
#       its size) and preserves it alone in its own session
#       (preserve_KIND_ns, pages_KIND, folios_KIND); the folios it holds
#       must be of the kind's size. kexec with the sessions held.
# gen1: booted with memfd_kho.fill_later=0, RETRIEVE_FD of each
#       (restore_KIND_ns: the next kernel puts every folio back into a
#       new memfd before it returns; huge pages join the pool, in use),
#       its data and size verified, the restored memfd still on folios
#       of the kind's size, and restored by as many threads as
#       memfd_kho.restore_threads picks (threads_KIND; hugetlb: 1).
#       With khotest_lubench_fill=later, booted with the default
#       memfd_kho.fill_later=1: RETRIEVE_FD checks the records with those
#       threads and hands the memfd out (restore_KIND_ns), as many workers
#       fill it, and luoctl -w waits for them (fill_KIND_ns, from the start
#       of RETRIEVE_FD; "threads" are then the fill's parts; not hugetlb,
#       which is restored in RETRIEVE_FD). The kernel logs the two steps
#       of RETRIEVE_FD: taking the pages of records, one after the other
#       (map_KIND_ns), and checking them with the threads (check_KIND_ns).
#       khotest_lubench_busy=CPU keeps that CPU busy from before
#       RETRIEVE_FD until luoctl is done: a shell loop at the default
#       priority, as a VM's vCPU would be (busy_KIND=CPU).
#
# Under QEMU's -icount shift=0 the guest clock counts instructions (1 ns
# each; see kho_bench's calibration): the figures are then instruction
# counts. A kind that khotest_lubench_kind= leaves out reports its results
# as skipped.

LUOCTL=/usr/bin/luoctl
LB_THP=/sys/kernel/mm/transparent_hugepage/shmem_enabled
LB_KINDS="4k thp hugetlb"
LB_POOL=/proc/sys/vm/nr_hugepages

lb_param() {
	khotest_param "khotest_lubench_$1"
}

# lb_selected KIND: khotest_lubench_kind= asks for it.
lb_selected() {
	local want

	want=$(lb_param kind)
	[ "${want:-all}" = all ] || [ "$want" = "$1" ]
}

# A /proc/meminfo field, in kB.
lb_meminfo() {
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}

# The seed of a kind's pattern.
lb_seed() {
	case "$1" in
	4k) echo 41 ;;
	thp) echo 42 ;;
	hugetlb) echo 43 ;;
	esac
}

# lb_huge_kb KIND: kB of the kind's 2 MiB folios in use (shmem THP, or
# huge pages of the 2 MiB pool not free).
lb_huge_kb() {
	case "$1" in
	hugetlb) echo $((($(lb_meminfo HugePages_Total) - \
		$(lb_meminfo HugePages_Free)) * $(lb_meminfo Hugepagesize))) ;;
	*) lb_meminfo ShmemHugePages ;;
	esac
}

# The ns figure of luoctl -t for token 1 in /tmp/KIND.err.
lb_ns() {
	sed -n "s/^luoctl: $2 token 1: \([0-9]*\) ns$/\1/p" /tmp/$1.err
}

lb_luoctl() { khotest_luoctl "$@"; }

# lb_folios KIND SIZE HUGE_KB: pages and folios of a memfd of SIZE bytes
# of which HUGE_KB are in 2 MiB folios, as "PAGES FOLIOS HUGE"; true when
# all of it is on folios of the kind's size.
lb_folios() {
	local pages=$(($2 / 4096)) huge=$(($3 / 2048))

	echo "$pages $((pages - huge * 512 + huge)) $huge"
	case "$1" in
	4k) [ "$huge" = 0 ] ;;
	thp | hugetlb) [ $((huge * 512)) = "$pages" ] ;;
	esac
}

# lb_preserve KIND SIZE: create, fill and preserve, timed; two results.
lb_preserve() {
	local kind=$1 size=$2 bytes spec huge0 f ns

	if ! lb_selected "$kind"; then
		khotest_skip "$kind: preserve a filled $size memfd, timed" \
			"khotest_lubench_kind=$(lb_param kind)"
		khotest_skip "$kind: its folios" "khotest_lubench_kind=$(lb_param kind)"
		return
	fi
	spec=1=memfd:lb-$kind:$size:fill=$(lb_seed "$kind")
	case "$kind" in
	4k) echo never > $LB_THP ;;
	thp)
		echo advise > $LB_THP
		spec=1=memfd:lb-$kind:$size:thp:fill=$(lb_seed "$kind") ;;
	hugetlb)
		echo $(($(khotest_bytes "$size") >> 21)) > $LB_POOL
		khotest_diag "hugetlb pool: $(cat $LB_POOL) pages of 2 MiB for $size"
		spec=1=memfd:lb-$kind:$size:hugetlb=2M:fill=$(lb_seed "$kind") ;;
	esac
	huge0=$(lb_huge_kb "$kind")
	if ! lb_luoctl "$kind" preserve -d -t -p /tmp/$kind.pid "lb-$kind" "$spec"; then
		khotest_fail "$kind: preserve a filled $size memfd, timed"
		khotest_fail "$kind: its folios"
		return
	fi
	ns=$(lb_ns "$kind" PRESERVE_FD)
	bytes=$(stat -L -c %s "$(awk '$1 == 1 { print $2 }' /tmp/$kind.out)")
	khotest_check "$kind: preserve a filled $size memfd, timed" test -n "$ns"
	if f=$(lb_folios "$kind" "$bytes" $(($(lb_huge_kb "$kind") - huge0))); then
		khotest_ok "$kind: its folios: $(lb_describe $f)"
	else
		khotest_fail "$kind: its folios: $(lb_describe $f)"
	fi
	set -- $f
	khotest_diag "BENCH gen=0 preserve_${kind}_ns=$ns pages_$kind=$1 folios_$kind=$2" \
		"size_$kind=$bytes"
	khotest_diag "$kind: PRESERVE_FD $ns ns: $((ns / $2)) ns per folio," \
		"$((ns / $1)) ns per 4 KiB page"
}

# PAGES FOLIOS HUGE, in words.
lb_describe() {
	echo "$1 pages in $2 folios, $3 of 2 MiB"
}

# The threads of every restore of token 1 the kernel logged, in order:
# "restored by N threads" (none: 1), or a fill "in N parts".
lb_threads_logged() {
	dmesg | sed -n -e 's/.*token 1: [0-9]* folios restored by \([0-9]*\) threads$/\1/p' \
		-e 's/.*token 1: filled: [0-9]* folios in \([0-9]*\) parts.*/\1/p'
}

# "TAKEN CHECKED": the steps of the last RETRIEVE_FD of token 1 that the
# fill's end logged, in ns.
lb_fill_steps() {
	local n='\([0-9]*\) ns'

	dmesg | sed -n "s/.*token 1: filled: .*records taken in $n, checked in $n\$/\1 \2/p" |
		tail -n 1
}

# lb_later KIND: its memfd is filled after RETRIEVE_FD.
lb_later() {
	[ "$(lb_param fill)" = later ] && [ "$1" != hugetlb ]
}

# lb_threads_expected KIND FOLIOS: what memfd_kho.restore_threads picks
# (Documentation/kho/liveupdate.rst).
lb_threads_expected() {
	local t cpus

	t=$(cat /sys/module/memfd_kho/parameters/restore_threads)
	cpus=$(nproc)
	[ "$1" = hugetlb ] && t=1
	if [ "$t" = 0 ]; then
		t=$(($2 / 2048))
		[ "$t" -lt 1 ] && t=1
		[ "$t" -gt 8 ] && t=8
	fi
	[ "$t" -gt "$cpus" ] && t=$cpus
	echo "$t"
}

# lb_retrieve KIND SIZE: retrieve, timed, and verify; three results.
lb_retrieve() {
	local kind=$1 size=$2 huge0 f ns logged threads want what wait= fill= steps
	local busy busy_pid ok

	if ! lb_selected "$kind"; then
		khotest_skip "$kind: retrieve the $size memfd, timed; data verified" \
			"khotest_lubench_kind=$(lb_param kind)"
		khotest_skip "$kind: restored on the same folios" \
			"khotest_lubench_kind=$(lb_param kind)"
		khotest_skip "$kind: restored by the threads restore_threads picks" \
			"khotest_lubench_kind=$(lb_param kind)"
		return
	fi
	huge0=$(lb_huge_kb "$kind")
	logged=$(lb_threads_logged | wc -l)
	lb_later "$kind" && wait=-w
	busy=$(lb_param busy)
	if [ -n "$busy" ]; then
		taskset -c "$busy" sh -c 'while :; do :; done' &
		busy_pid=$!
	fi
	lb_luoctl "$kind" retrieve -d -t $wait -f -p /tmp/$kind.pid "lb-$kind" \
		"1:x=$(lb_seed "$kind"):size=$size"
	ok=$?
	[ -n "$busy" ] && kill "$busy_pid" && wait "$busy_pid"
	if [ "$ok" != 0 ]; then
		khotest_fail "$kind: retrieve the $size memfd, timed; data verified"
		khotest_fail "$kind: restored on the same folios"
		khotest_fail "$kind: restored by the threads restore_threads picks"
		return
	fi
	# No new line: one thread.
	threads=$(lb_threads_logged | sed -n "$((logged + 1))p")
	threads=${threads:-1}
	ns=$(lb_ns "$kind" RETRIEVE_FD)
	if [ -n "$wait" ]; then
		# Waited for the fill: its time and steps are part of the figures.
		fill=$(lb_ns "$kind" filled)
		steps=$(lb_fill_steps)
		[ -n "$fill" ] && [ -n "$steps" ] || ns=
		fill="$fill map_${kind}_ns=${steps% *} check_${kind}_ns=${steps#* }"
		[ -n "$busy" ] && fill="$fill busy_$kind=$busy"
	fi
	khotest_check "$kind: retrieve the $size memfd, timed; data verified" \
		test -n "$ns"
	if f=$(lb_folios "$kind" "$(khotest_bytes "$size")" \
		$(($(lb_huge_kb "$kind") - huge0))); then
		khotest_ok "$kind: restored on the same folios: $(lb_describe $f)"
	else
		khotest_fail "$kind: restored on the same folios: $(lb_describe $f)"
	fi
	set -- $f
	want=$(lb_threads_expected "$kind" "$2")
	what="$kind: restored by the threads restore_threads picks: $threads"
	if [ "$threads" = "$want" ]; then
		khotest_ok "$what"
	else
		khotest_fail "$what, not $want"
	fi
	khotest_diag "BENCH gen=1 restore_${kind}_ns=$ns pages_$kind=$1 folios_$kind=$2" \
		"threads_$kind=$threads${fill:+ fill_${kind}_ns=$fill}"
	khotest_diag "$kind: RETRIEVE_FD $ns ns: $((ns / $2)) ns per folio," \
		"$((ns / $1)) ns per 4 KiB page"
	# Its memory goes back before the next kind is retrieved.
	kill "$(cat /tmp/$kind.pid)"
}

khotest_run() {
	local size kind

	KHOTEST_GEN=$1
	size=$(lb_param size)
	size=${size:-64M}
	khotest_ok "booted $(uname -r), $(lb_meminfo MemTotal) kB"
	khotest_diag "clocksource" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
		"shmem THP: $(cat $LB_THP 2>/dev/null || echo none)"
	case "$1" in
	0)
		for kind in $LB_KINDS; do
			lb_preserve "$kind" "$size"
		done
		# The restore itself is measured: RETRIEVE_FD puts every
		# folio in before it returns.
		if [ "$(lb_param fill)" = later ]; then
			khotest_kexec_next "kexec -s -l with the sessions held"
		else
			khotest_kexec_next "kexec -s -l with the sessions held" \
				"memfd_kho.fill_later=0"
		fi
		;;
	1)
		for kind in $LB_KINDS; do
			lb_retrieve "$kind" "$size"
		done
		khotest_finish
		;;
	esac
}
