# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 6 8 5
# khotest-machines: small host
# khotest-cmdline: kho=on reserve_mem=2M:4096:trace trace_instance=pb@trace
#
# 6.12's persistent ring buffer on a reserve_mem= region keeps working
# across KHO kexecs: memblock's KHO client hands the region over and the
# next kernel places the region of the same name, size and alignment at
# the same physical address (under KASLR the kernel itself moves), so the
# boot instance pb finds the previous kernel's records there.
#   gen0: writes a marker into pb; kexec_load (kexec without -s) is
#         refused, as it would lose the region; kexec -s;
#   gen1: pb is at the same address and shows gen0's marker; clears it,
#         writes its own, kexec -s;
#   gen2: the same address again, gen1's marker, none of gen0's.

T=/sys/kernel/tracing
PB=$T/instances/pb

rm_addr() {
	dmesg | sed -n 's/.*mapped boot instance pb at physical memory \(0x[0-9a-f]*\).*/\1/p' |
		head -n 1
}
rm_tok() { echo "$(cut -c1-8 /proc/sys/kernel/random/boot_id)-$1"; }
rm_has() { [ -n "$2" ] && grep -q -- "$2" "$1"; }

rm_mark() {	# GEN
	rm_tok "gen$1" > /kho/prev-tok && rm_addr > /kho/prev-addr &&
		[ -s /kho/prev-addr ] && cat /kho/prev-tok > $PB/trace_marker
}

rm_same_addr() {
	[ -s /kho/prev-addr ] && [ "$(rm_addr)" = "$(cat /kho/prev-addr)" ]
}

khotest_run() {
	KHOTEST_GEN=$1
	grep -q " $T " /proc/mounts || mount -t tracefs nodev $T
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "boot instance pb on the reserve_mem region" test -d $PB
		khotest_check "marker written" rm_mark 0
		khotest_check "memblock's client is a KHO client" \
			test -d /sys/kernel/kho/out/clients/reserve_mem
		khotest_kexec_load_refused "kexec_load refused: it cannot carry the region" \
			"kho: client reserve_mem has state to hand over"
		khotest_kexec_next "kexec -s" ;;
	1)
		khotest_check "the region is kept where it was" \
			sh -c "dmesg | grep -q 'reserve_mem trace: kept at'"
		khotest_check "pb at the same physical address" rm_same_addr
		khotest_check "gen0's marker is in pb" rm_has $PB/trace "$(cat /kho/prev-tok)"
		khotest_check "pb knows it holds the previous boot" test -r $PB/last_boot_info
		khotest_check "the client claimed the region" \
			grep -q "^state finished" /sys/kernel/kho/in/clients/reserve_mem/stats
		echo > $PB/trace
		khotest_check "marker written" rm_mark 1
		khotest_kexec_next "kexec -s" ;;
	2)
		khotest_check "pb at the same physical address" rm_same_addr
		khotest_check "gen1's marker is in pb" rm_has $PB/trace "$(cat /kho/prev-tok)"
		khotest_check "nothing of gen0" sh -c "! grep -q -- '-gen0' $PB/trace"
		khotest_check "no region lost" \
			sh -c "! dmesg | grep -q 'reserve_mem .*cannot be handed over'" ;;
	esac
}
