# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 5 9 2
# khotest-machines: small
# khotest-cmdline: kho=on
#
# A memfd handed out before its folios are back in it (memfd_kho.fill_later,
# the default), caught while its fill worker waits:
#   gen0: session "fill" is preserved and held: token 1 a 256 MiB memfd
#         (pattern seed 21), token 2 a 4 MiB one (seed 22) whose sixth folio
#         record the freeze points at page frame 0 (memfd_kho.lose_folio);
#         session "badidx" holds token 3, a 1 MiB memfd whose sixth folio
#         record the freeze moves past the end of the file
#         (memfd_kho.bad_index); session "unsorted" holds token 4, a 16
#         MiB memfd (seed 24) whose first ten pairs of folio records the
#         freeze swaps (memfd_kho.unsort): more runs of records sorted by
#         index than a lookup searches.
#   gen1: booted with memfd_kho.fill_hold=1, so only lookups put folios in.
#         RETRIEVE_FD of token 3 fails with EINVAL, the kernel saying why.
#         RETRIEVE_FD of token 4 fills it before it returns, the caller and
#         a worker (fill_hold holds only a fill behind RETRIEVE_FD): its
#         data is intact.
#         luoctl retrieves and FINISHes fill, and luo_test fill-later checks
#         that 16 pages read from token 1 come in alone (Shmem grows by less
#         than 4 MiB), that token 2 reads EIO at page 5 and is fine around
#         it; then it lets the workers go on, and SEEK_DATA, the whole
#         pattern of token 1, a punched hole, the rest of token 2 (still
#         EIO at page 5) and its truncation. The kernel logged the lost
#         folio; token 1 was filled by as many workers as restore_threads
#         picks (one per 2048 folios, at most 8, at most the CPUs: 2 here),
#         each its part of the records; and the handover was released only
#         once the fill was done. Session "lostnow" is preserved and held:
#         token 5, a 4 MiB memfd whose sixth folio record the freeze points
#         at page frame 0 (memfd_kho.lose_folio).
#   gen2: booted with memfd_kho.fill_later=0: RETRIEVE_FD of token 5 fills
#         it before it returns, and fails with EIO for the lost folio, the
#         kernel saying so.

LUOCTL=/usr/bin/luoctl
LUO_TEST=/kho/luo_test
LF_PARAMS=/sys/module/memfd_kho/parameters

lf_fill_later() {
	$LUOCTL retrieve -f fill 1 2 -- $LUO_TEST fill-later @1 21 @2 22 5 \
		> /tmp/fill.out 2>&1
}

# lf_bad_index: RETRIEVE_FD refuses the memfd with a record past its end;
# closing the session releases it.
lf_bad_index() {
	! $LUOCTL retrieve badidx 3 > /dev/null 2> /tmp/badidx.err &&
		grep -q "RETRIEVE_FD badidx 3: Invalid argument" /tmp/badidx.err &&
		dmesg | grep -q "token 3: bad folio record"
}

# lf_unsorted: token 4, its records out of order, is filled in
# RETRIEVE_FD by two parts (4096 folios: two threads) and reads back whole.
lf_unsorted() {
	$LUOCTL retrieve -f unsorted 4:x=24:size=16M -- true &&
		dmesg | grep -q "token 4: filled: 4096 folios in 2 parts, 0 of them on access"
}

# lf_lost_now: with fill_later=0 a lost folio fails RETRIEVE_FD of token 5
# with EIO, and the file is not handed out.
lf_lost_now() {
	! $LUOCTL retrieve lostnow 5 > /dev/null 2> /tmp/lostnow.err &&
		grep -q "RETRIEVE_FD lostnow 5: Input/output error" /tmp/lostnow.err &&
		dmesg | grep -q "token 5: 1 folios could not be put back: the file is not"
}

# lf_parts: token 1 (256 MiB of 4 KiB folios) was filled in as many parts
# as the online CPUs, 8 at most, and no fill worker is left.
lf_parts() {
	local cpus parts

	cpus=$(nproc)
	[ "$cpus" -gt 8 ] && cpus=8
	parts=$(dmesg | sed -n 's/.*token 1: filled: [0-9]* folios in \([0-9]*\) parts.*/\1/p')
	echo "token 1: $parts parts, $cpus CPUs"
	[ "$parts" = "$cpus" ] || return 1
	# The last worker exits right after the fill's end.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -qs memfd_fill /proc/[0-9]*/comm || return 0
		sleep 0.5
	done
	return 1
}

# The release follows the end of token 2's fill in the kernel log.
lf_released_after_fill() {
	dmesg | awk '/token 2: 1 folios could not be put back/ { lost = NR }
		/every incoming session is finished and no restore needs/ { done = NR }
		END { exit !(lost && done > lost) }'
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		khotest_check "session fill preserved and held; token 2 to lose a folio" sh -c \
			"$LUOCTL preserve -d fill 1=memfd:fill-ram:256M:fill=21 \
				2=memfd:fill-lossy:4M:fill=22 > /dev/null &&
			 echo 2 > $LF_PARAMS/lose_folio"
		khotest_check "session badidx preserved and held; token 3 to be damaged" sh -c \
			"$LUOCTL preserve -d badidx 3=memfd:fill-badidx:1M:fill=23 > /dev/null &&
			 echo 3 > $LF_PARAMS/bad_index"
		khotest_check "session unsorted preserved and held; token 4 to be unsorted" sh -c \
			"$LUOCTL preserve -d unsorted \
				4=memfd:fill-unsorted:16M:fill=24 > /dev/null &&
			 echo 4 > $LF_PARAMS/unsort"
		khotest_kexec_next "kexec -s -l, the freeze damages records of tokens 2, 3 and 4" \
			"memfd_kho.fill_hold=1"
		;;
	1)
		khotest_check "a record past the end fails RETRIEVE_FD with EINVAL" \
			lf_bad_index
		khotest_check "records out of order: filled in RETRIEVE_FD, data intact" \
			lf_unsorted
		khotest_check "filled on access, EIO at the lost page; then the rest" \
			lf_fill_later
		khotest_diag "$(tr '\n' ' ' < /tmp/fill.out)"
		khotest_check "the kernel logged the lost folio" \
			sh -c "dmesg | grep -q 'token 2: 1 folios could not be put back'"
		khotest_check "token 1 filled in a part per CPU, its workers gone" \
			lf_parts
		# luoctl FINISHed fill before luo_test let the workers go on.
		khotest_check "the handover was released after the fill, not at FINISH" \
			lf_released_after_fill
		khotest_check "session lostnow preserved and held; token 5 to lose a folio" sh -c \
			"$LUOCTL preserve -d lostnow 5=memfd:fill-lostnow:4M:fill=25 > /dev/null &&
			 echo 5 > $LF_PARAMS/lose_folio"
		khotest_kexec_next "kexec -s -l, the freeze damages a record of token 5" \
			"memfd_kho.fill_later=0"
		;;
	2)
		khotest_check "fill_later=0: a lost folio fails RETRIEVE_FD with EIO" \
			lf_lost_now
		;;
	esac
}
