# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 2 7 6
# khotest-machines: host
# khotest-cmdline: kho=on nokaslr test_kho.size=1M test_kho.giant_order=16 test_kho_reserve=1G@4G
#
# Preserved blocks larger than a section across the start of a node's
# deferred memory map (CONFIG_DEFERRED_STRUCT_PAGE_INIT). On the host
# machine node 0's highest zone starts at 4 GiB and only its first section
# is initialized early, so a block of 256 MiB or more at 4 GiB crosses
# where the deferred init starts: it must be walked whole and come back
# like any other. The page allocator cannot give a folio there (the
# zone's first section holds early unmovable allocations), so the first
# kernel reserves 1 GiB at 4 GiB at boot (test_kho_reserve=) and the test
# client preserves it as physical ranges (nokaslr: the EFI stub would
# otherwise place the kernel anywhere, at 4 GiB too, and the reservation
# fails now and then); a gigantic folio of 256 MiB,
# wherever the page allocator finds one, is preserved and restored too.
#   gen0: preserves the 1 GiB at 4 GiB as one block;
#   gen1: gets it back; preserves it as 256 MiB at 4 GiB and the rest;
#   gen2: gets both back.

kg_has() { dmesg | grep -q "$1"; }

# The next kernel gets the reserved range from the handover, not by
# reserving it again (that would keep the preserved block from it).
kg_cmdline_words() {
	khotest_next_cmdline "$@" | tr ' ' '\n' | grep -v '^test_kho_reserve=' | tr '\n' ' '
}

kg_kexec() {
	khotest_make_initrd &&
		kexec -s -l /boot/vmlinuz --initrd=/tmp/initrd.cpio \
			--command-line="$(kg_cmdline_words "$@")"
}

kg_next() {
	local desc=$1

	shift
	if kg_kexec "$@"; then
		khotest_ok "$desc"
		khotest_kexec_exec
	else
		khotest_fail "$desc"
	fi
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	if [ "$1" -gt 0 ]; then
		khotest_diag "$(dmesg | grep -E 'kho: node|test_kho: generation' | tr '\n' ' ')"
		khotest_check "the walk takes the block across the deferred memory map whole" \
			kg_has "kho: node 0: a preserved block crosses the deferred memory map"
		khotest_check "no preserved block was ignored" \
			grep -qx 'bad_blocks 0' /sys/kernel/kho/in/stats
		khotest_check "the range at 4 GiB came back" \
			kg_has "test_kho: generation $1: verified the reserved range at 0x100000000"
		khotest_check "the gigantic folio of 256 MiB came back" \
			kg_has "test_kho: generation $1: verified the gigantic folio of order 16"
		khotest_check "the test client verified everything" \
			sh -c "! dmesg | grep -q 'test_kho: generation $1: FAILED'"
	fi
	case "$1" in
	0) kg_next "kexec -s -l with 1 GiB preserved at 4 GiB" ;;
	1) kg_next "kexec -s -l with 256 MiB preserved at 4 GiB" test_kho.resv_first=0x10000000 ;;
	esac
}
