# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 3 4 3
# khotest-machines: small
# khotest-arch: x86_64
# khotest-cmdline: kho=on
#
# The guest half of make bench (harness/bench.sh runs it on an 8 GiB host
# machine with khotest_bench_size=4G), and a smoke run of it in make test
# (64 MiB). Figures go to the log as "# genN: BENCH key=value" lines, in
# microseconds, from printk timestamps:
#
# gen0: kexec -s -l with nothing preserved (best of 3: load_us), then a
#       kexec into gen1 with nothing preserved.
# gen1: the boot with nothing preserved (init_us: "Run /init"; takeover_us:
#       the core's "took the handover over" line); the bench client
#       (lib/test_kho_bench.c) preserves khotest_bench_size= bytes (default
#       64M) of folios of khotest_bench_order= (default 0) through
#       kho_preserve_folios(), or one kho_preserve_folio() call each with
#       khotest_bench_single=1 (preserve_us), kexec -s -l again (load_us),
#       kexec into gen2.
# gen2: the same boot figures with all of it preserved, and the client's
#       restore time (restore_us); every folio must come back.
#
# Under QEMU's -icount shift=0 the guest clock counts instructions (1 ns
# each): the module's "calibration" line checks it, and the figures are
# then instruction counts.

KB=/kho/test_kho_bench.ko

kb_param() {
	sed -n "s/.*khotest_bench_$1=\([^ ]*\).*/\1/p" /proc/cmdline
}

# Timestamp in microseconds of the first kernel log line matching $1.
kb_stamp() {
	dmesg | grep -m1 -- "$1" |
		sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1 \2/p' |
		awk '{ printf "%d\n", $1 * 1000000 + $2 }'
}

kb_mark() {
	echo "khobench: $1" > /dev/kmsg
}

# The time between two marks, in microseconds.
kb_between() {
	echo $(($(kb_stamp "khobench: $2") - $(kb_stamp "khobench: $1")))
}

# "restored N of N folios of order O (0 failed, ...": all came back.
kb_all_back() {
	echo "$1" | awk '{ exit !($2 == $4 && $2 > 0 && $9 == "(0") }'
}

kb_diag() {
	khotest_diag "BENCH $*"
}

# kexec -s -l of the next generation, three times: the best, in us.
kb_load_time() {
	local i t best=
	khotest_make_initrd || return 1
	for i in 1 2 3; do
		kb_mark "load$KHOTEST_GEN.$i start"
		kexec -s -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(khotest_next_cmdline)" || return 1
		kb_mark "load$KHOTEST_GEN.$i end"
		t=$(kb_between "load$KHOTEST_GEN.$i start" "load$KHOTEST_GEN.$i end")
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	kexec -s -u
	kb_diag "gen=$KHOTEST_GEN load_us=$best"
}

# The boot figures of this kernel.
kb_boot() {
	local took
	kb_diag "gen=$KHOTEST_GEN init_us=$(kb_stamp 'Run /init as init process')"
	took=$(dmesg | sed -n \
		's/.*kho: took the handover over in \([0-9]*\) us (\([0-9]*\) us.*/\1 \2/p')
	[ -n "$took" ] || return 1
	kb_diag "gen=$KHOTEST_GEN takeover_us=${took% *} deferred_us=${took#* }"
}

khotest_run() {
	KHOTEST_GEN=$1
	local size order single line us
	size=$(kb_param size)
	order=$(kb_param order)
	single=$(kb_param single)
	size=${size:-64M}
	order=${order:-0}
	single=${single:-0}
	khotest_ok "booted $(uname -r), $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB"
	case "$1" in
	0)
		khotest_check "kexec -s -l timed with nothing preserved" kb_load_time
		khotest_kexec_next "kexec -s -l" ;;
	1)
		khotest_check "the handover (nothing preserved) was taken over, timed" kb_boot
		insmod $KB size="$size" order="$order" single="$single"
		us=$(dmesg | sed -n 's/.*test_kho_bench: calibration: 2000000 instructions in //p')
		kb_diag "gen=1 calib_insns=2000000 calib_ns=${us% ns}"
		line=$(dmesg | sed -n 's/.*test_kho_bench: preserved/preserved/p')
		khotest_diag "$line"
		if [ -n "$line" ]; then
			khotest_ok "the bench client preserved $size in folios of order $order"
			us=$(echo "$line" | sed -n 's/.* in \([0-9]*\) us .*/\1/p')
			kb_diag "gen=1 preserve_us=$us size=$size order=$order single=$single"
		else
			khotest_fail "the bench client preserved $size in folios of order $order"
		fi
		kb_load_time || khotest_fail "kexec -s -l timed with $size preserved"
		khotest_kexec_next "kexec -s -l" ;;
	2)
		khotest_check "the handover of $size was taken over, timed" kb_boot
		insmod $KB
		line=$(dmesg | sed -n 's/.*test_kho_bench: restored/restored/p')
		khotest_diag "$line"
		kb_diag "gen=2 restore_us=$(echo "$line" | sed -n 's/.* in \([0-9]*\) us$/\1/p')"
		khotest_check "every preserved folio came back" kb_all_back "$line"
		khotest_finish ;;
	esac
}
