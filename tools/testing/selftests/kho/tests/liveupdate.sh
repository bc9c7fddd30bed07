# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 35 9 5
# khotest-machines: small host
# khotest-cmdline: kho=on
#
# /dev/liveupdate: its interface, case by case (luo_test, one result per
# case), and memfds carried through two kexecs by the operator tool
# (luoctl, which holds sessions in the background):
#   gen0: 24 pages in the 2 MiB hugetlb pool. Every outgoing-side case of
#         luo_test: one opener, CAP_SYS_ADMIN, ENOTTY, the size rules
#         (EINVAL, zero tail, E2BIG), EFAULT, names, GET_NAME, FINISH of an
#         outgoing session, files that cannot be preserved (bad fd, pipe,
#         /dev/null, tmpfs, session fds), a 2 MiB hugetlb memfd preserved
#         (frozen, holes kept, thawed with its session), a file preserved
#         twice, tokens, the frozen size of a preserved memfd, the
#         preservation dropped with its session. Then luoctl preserves
#         session "vm": token 1 a 64 MiB memfd (pattern seed 7), token 2 a
#         32 MiB memfd filled through a MADV_HUGEPAGE mapping (seed 8; on
#         huge pages where shmem THP exists, shmem_enabled set to advise),
#         token 3 a 1 GiB memfd with 4 KiB of data every 16 MiB (seed 10,
#         the rest holes), token 4 a 16 MiB hugetlb memfd of 2 MiB pages
#         with 4 KiB of data every 4 MiB (seed 11: pages 0, 2, 4 and 6,
#         the other 4 holes), and on the host machine, where a 1 GiB page
#         can be had, token 5 a hugetlb memfd of one 1 GiB page (seed 12);
#         and session "other": token 9 a 4 MiB memfd (seed 9) sealed with
#         F_SEAL_SHRINK and F_SEAL_GROW. Both stay open, held by luoctl, at
#         the jump. Tokens 4 and 5 give a result each, a skip where their
#         pages could not be had; the next kernels learn which went from
#         khotest_lu_hugetlb= and skip the same;
#   gen1: vm and other came through, not retrieved yet: other's name is
#         taken (EEXIST); luo_test retrieves other and token 9 once each
#         (then ENOENT), checks its seals and data, that nothing can be
#         preserved before FINISH (EPERM) and again after it, and closes
#         it. luoctl retrieves vm, verifies its files (data, size, holes,
#         hugetlbfs page size), FINISHes it and preserves them again under
#         the same tokens, holding the session through the next jump. The
#         restored huge pages joined their pools in use: nr_hugepages grew
#         by 4 (2 MiB) and 1 (1 GiB) since boot, free and resv did not;
#   gen2: luoctl retrieves vm a second time, verifies it and FINISHes it;
#         the memfds it gives luo_test (luoctl ... -- luo_test restored)
#         are ordinary memfds again: they grow and shrink. Once they are
#         closed, the restored huge pages are free pages of their pools
#         (nr_hugepages and free_hugepages 4 and 1 above boot, resv as at
#         boot). other, closed in gen1, was not handed over.

LUOCTL=/usr/bin/luoctl
LUO_TEST=/kho/luo_test
LU_SESSIONS=/sys/kernel/liveupdate/sessions
LU_THP=/sys/kernel/mm/transparent_hugepage/shmem_enabled
LU_HP2M=/sys/kernel/mm/hugepages/hugepages-2048kB
LU_HP1G=/sys/kernel/mm/hugepages/hugepages-1048576kB
LU_HP2M_POOL=24

# Session vm as preserved in gen0 and as checked when retrieved.
LU_VM_FILES="1=memfd:vm-ram:64M:fill=7 2=memfd:vm-thp:32M:thp:fill=8
	     3=memfd:vm-sparse:1G:fill=10:sparse=16M"
LU_VM_CHECKS="1:x=7:size=64M 2:x=8:size=32M 3:x=10:sparse=16M:size=1G"
LU_VM_TOKENS="1 2 3"
LU_VM_ARGS="@1 @2 @3"
# The hugetlb files of vm, where gen0 could have their pages: token 4 holds
# 4 of its 8 pages of 2 MiB, token 5 a page of 1 GiB.
LU_HUGE4_FILE=4=memfd:vm-huge:16M:hugetlb=2M:fill=11:sparse=4M
LU_HUGE4_CHECK=4:x=11:sparse=4M:size=16M:hugetlb=2M
LU_HUGE5_FILE=5=memfd:vm-giant:1G:hugetlb=1G:fill=12
LU_HUGE5_CHECK=5:x=12:size=1G:hugetlb=1G
# The hugetlb tokens of vm (comma-separated, "none"), and in gen0 why the
# others are not.
LU_HUGE=none
LU_WHY4="vm token 4 was not preserved in gen0"
LU_WHY5="vm token 5 was not preserved in gen0"

# lu_case DESCRIPTION CASE [ARG...]: one result from luo_test CASE (exit 4:
# skipped); a failure carries luo_test's diagnostic.
lu_case() {
	local desc=$1 out rc

	shift
	out=$($LUO_TEST "$@" 2>&1)
	rc=$?
	case $rc in
	0) khotest_ok "$desc" ;;
	4) khotest_skip "$desc" "$(echo "$out" | tail -n 1)" ;;
	*) khotest_fail "$desc: $(echo "$out" | tail -n 1)" ;;
	esac
}

lu_luoctl() { khotest_luoctl "$@"; }

# lu_path TOKEN NAME: the /proc/PID/fd/N of TOKEN that luoctl printed.
lu_path() {
	awk -v t="$1" '$1 == t { print $2 }' /tmp/$2.out
}

lu_list() {
	lu_luoctl sessions list && khotest_diag "luoctl list: $(tr '\n' ';' < /tmp/sessions.out)"
}

# A background preserve that fails says so with its exit status, at once.
lu_preserve_dup() {
	! $LUOCTL preserve -d vm 1=memfd:dup:4K > /dev/null 2> /tmp/dup.err &&
		grep -q "CREATE_SESSION vm: File exists" /tmp/dup.err
}

# lu_listed SESSION STATE TOKENS: what /sys/kernel/liveupdate shows of it
# (a line "TOKEN HANDLER[ retrieved]" per file). Incoming sessions show
# once /dev/liveupdate was opened in this kernel.
lu_listed() {
	khotest_diag "$1: state $(cat $LU_SESSIONS/$1/state 2>&1)," \
		"tokens $(tr '\n' ';' < $LU_SESSIONS/$1/tokens 2>&1)"
	[ "$(cat $LU_SESSIONS/$1/state)" = "$2" ] &&
		[ "$(awk '{ print $1 }' $LU_SESSIONS/$1/tokens | sort -n | tr '\n' ' ')" = "$3 " ]
}

# The other session went away with its last fd in gen1.
lu_other_gone() {
	! $LUOCTL retrieve -f other -- true 2> /tmp/other.err &&
		grep -q "RETRIEVE_SESSION other: No such file or directory" /tmp/other.err
}

# gen0: the pools for vm's hugetlb tokens; sets LU_HUGE and LU_WHY*.
lu_huge_setup() {
	local n huge=

	if [ ! -d $LU_HP2M ]; then
		LU_WHY4="no 2 MiB hugetlb pages in this kernel"
	else
		echo $LU_HP2M_POOL > $LU_HP2M/nr_hugepages
		n=$(cat $LU_HP2M/nr_hugepages)
		if [ "$n" -ge $LU_HP2M_POOL ]; then
			huge=4
		else
			LU_WHY4="only $n of $LU_HP2M_POOL 2 MiB hugetlb pages allocated"
		fi
	fi
	if [ "$(khotest_param khotest_machine)" != host ]; then
		LU_WHY5="a 1 GiB page is tried on the host machine only"
	elif [ ! -d $LU_HP1G ]; then
		LU_WHY5="no 1 GiB hugetlb pages in this kernel (x86: no pdpe1gb)"
	else
		echo 1 > $LU_HP1G/nr_hugepages
		if [ "$(cat $LU_HP1G/nr_hugepages)" -ge 1 ]; then
			huge=${huge:+$huge,}5
		else
			LU_WHY5="no 1 GiB hugetlb page could be allocated"
		fi
	fi
	LU_HUGE=${huge:-none}
}

lu_huge_has() {
	case ",$LU_HUGE," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# The files, checks, tokens and luo_test arguments of vm with its hugetlb
# tokens.
lu_huge_vm() {
	if lu_huge_has 4; then
		LU_VM_FILES="$LU_VM_FILES $LU_HUGE4_FILE"
		LU_VM_CHECKS="$LU_VM_CHECKS $LU_HUGE4_CHECK"
		LU_VM_TOKENS="$LU_VM_TOKENS 4"
		LU_VM_ARGS="$LU_VM_ARGS @4"
	fi
	if lu_huge_has 5; then
		LU_VM_FILES="$LU_VM_FILES $LU_HUGE5_FILE"
		LU_VM_CHECKS="$LU_VM_CHECKS $LU_HUGE5_CHECK"
		LU_VM_TOKENS="$LU_VM_TOKENS 5"
		LU_VM_ARGS="$LU_VM_ARGS @5"
	fi
}

# lu_huge_check TOKEN DESCRIPTION COMMAND...: one result, a skip (saying
# why) where vm does not hold TOKEN.
lu_huge_check() {
	local token=$1 why

	shift
	why=$LU_WHY5
	[ "$token" = 4 ] && why=$LU_WHY4
	if lu_huge_has "$token"; then
		khotest_check "$@"
	else
		khotest_skip "$1" "$why"
	fi
}

# lu_hp DIR: "nr_hugepages free_hugepages resv_hugepages" of a pool.
lu_hp() {
	if [ -d "$1" ]; then
		echo "$(cat "$1"/nr_hugepages) $(cat "$1"/free_hugepages)" \
			"$(cat "$1"/resv_hugepages)"
	else
		echo none
	fi
}

lu_hp_diag() {
	khotest_diag "hugetlb pools $1 (nr free resv): 2 MiB $(lu_hp $LU_HP2M)," \
		"1 GiB $(lu_hp $LU_HP1G)"
}

lu_hp_want() { echo "$(($1 + $4)) $(($2 + $5)) $3"; }

# gen1, gen2: vm's hugetlb tokens, from gen0, and the pools at boot (in
# LU_BOOT2M and LU_BOOT1G), before anything was retrieved.
lu_huge_boot() {
	LU_HUGE=$(khotest_param khotest_lu_hugetlb || echo none)
	lu_huge_vm
	LU_BOOT2M=$(lu_hp $LU_HP2M)
	LU_BOOT1G=$(lu_hp $LU_HP1G)
	lu_hp_diag "at boot (vm hugetlb tokens: $LU_HUGE)"
}

# lu_pool DIR BEFORE PAGES FREE: the pool DIR holds PAGES pages more than
# BEFORE ("nr free resv"), FREE more free ones, as many reserved. Freed
# pages may take a moment to come back: three tries, a second apart.
lu_pool() {
	local now want try=0

	[ -d "$1" ] && [ "$2" != none ] || return 1
	# shellcheck disable=SC2086
	want=$(lu_hp_want $2 "$3" "$4")
	while now=$(lu_hp "$1") && [ "$now" != "$want" ] && [ $try -lt 3 ]; do
		try=$((try + 1))
		sleep 1
	done
	khotest_diag "${1##*/}: nr free resv $now, expected $want (at boot $2)"
	[ "$now" = "$want" ]
}

lu_thp_diag() {
	khotest_diag "shmem THP: $(cat $LU_THP 2>/dev/null || echo none);" \
		"$(grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo | tr -s ' \n' ' ')"
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
		# Before luo_test preserve-hugetlb, which needs 4 free 2 MiB pages.
		lu_huge_setup
		lu_huge_vm
		lu_hp_diag "at boot, pools set up (vm hugetlb tokens: $LU_HUGE)"
		lu_case "one opener at a time (EBUSY); sessions do not hold the device" \
			dev-busy
		lu_case "open needs CAP_SYS_ADMIN (EPERM)" not-root
		lu_case "commands not ours: ENOTTY on the device and on a session" \
			unknown-ioctl
		lu_case "a size short of the struct: EINVAL, no effect" size-small
		lu_case "a larger struct with a zero tail is taken" size-big-zero-tail
		lu_case "a larger struct with a byte set past ours: E2BIG, no effect" \
			size-big-nonzero-tail
		lu_case "arguments that cannot be read or written back: EFAULT" bad-pointer
		lu_case "a name without a NUL in its 64 bytes: EINVAL" name-unterminated
		lu_case "an empty name: EINVAL" name-empty
		lu_case "names unique among open sessions (EEXIST), free once closed" \
			name-dup
		lu_case "GET_NAME gives the name; reserved set: EINVAL" get-name
		lu_case "FINISH with reserved set: EINVAL" finish-reserved
		lu_case "FINISH of a session of this kernel does nothing" finish-outgoing
		lu_case "PRESERVE_FD of a bad fd: EBADF" preserve-bad-fd
		lu_case "PRESERVE_FD of a pipe: EOPNOTSUPP" preserve-pipe
		lu_case "PRESERVE_FD of /dev/null: EOPNOTSUPP" preserve-devnull
		lu_case "PRESERVE_FD of a file of a mounted tmpfs: EOPNOTSUPP" preserve-tmpfs
		lu_case "PRESERVE_FD of session fds and of /dev/liveupdate: EOPNOTSUPP" \
			preserve-session
		lu_case "a 2 MiB hugetlb memfd: preserved in place, holes kept, frozen (EPERM)" \
			preserve-hugetlb
		lu_case "a file is preserved once, in one session (EBUSY)" preserve-twice
		lu_case "tokens are unique per session, all 64 bits (EEXIST)" token-reuse
		lu_case "a preserved memfd keeps its size (EPERM), not its data" frozen
		lu_case "closing the session drops the preservation" drop-on-close
		lu_case "RETRIEVE_SESSION of an unknown name: ENOENT" retrieve-missing
		khotest_check "luoctl list, before any session" lu_list
		[ -w $LU_THP ] && echo advise > $LU_THP
		# shellcheck disable=SC2086
		khotest_check \
			"luoctl preserve -d vm: memfds of 64M, 32M (THP), 1G sparse, hugetlb" \
			lu_luoctl vm preserve -d -p /tmp/vm.pid vm $LU_VM_FILES
		lu_hp_diag "vm preserved"
		khotest_check "luoctl preserve -d other: a sealed 4M memfd" \
			lu_luoctl other preserve -d -p /tmp/other.pid other \
			9=memfd:other:4M:seal:fill=9
		lu_thp_diag
		khotest_check "luoctl preserve -d of a name in use fails at once (EEXIST)" \
			lu_preserve_dup
		khotest_check "vm token 1 reads back through /proc/PID/fd (luoctl verify)" \
			$LUOCTL verify "$(lu_path 1 vm)" 7
		khotest_check "vm token 3, preserved, kept its holes" \
			$LUOCTL verify "$(lu_path 3 vm)" 10 sparse=16M
		lu_huge_check 4 \
			"vm token 4 (16M, 2 MiB hugetlb pages), preserved: data, 4 of 8 pages" \
			$LUOCTL verify "$(lu_path 4 vm)" 11 sparse=4M
		lu_huge_check 5 \
			"vm token 5 (one 1 GiB hugetlb page), preserved: its data" \
			$LUOCTL verify "$(lu_path 5 vm)" 12
		khotest_check "$LU_SESSIONS/vm exists" test -d $LU_SESSIONS/vm
		lu_list
		khotest_kexec_next "kexec -s -l with sessions vm and other held open" \
			"khotest_lu_hugetlb=$LU_HUGE"
		;;
	1)
		lu_huge_boot
		# Opens /dev/liveupdate first: the incoming sessions show in sysfs.
		lu_case "RETRIEVE_SESSION of an unknown name: ENOENT" retrieve-missing
		khotest_check "$LU_SESSIONS/vm: incoming, tokens $LU_VM_TOKENS" \
			lu_listed vm incoming "$LU_VM_TOKENS"
		lu_case "CREATE_SESSION other while other waits to be retrieved: EEXIST" \
			create-incoming-name other
		lu_case "other: retrieved once, token 9 once, sealed, its data; FINISH" \
			retrieve-twice other 9 seals=shrink,grow fill=9 size=4M
		# shellcheck disable=SC2086
		khotest_check "luoctl retrieve vm: verified, FINISHed, preserved again (-r -d)" \
			lu_luoctl vm retrieve -d -r -p /tmp/vm.pid vm $LU_VM_CHECKS
		khotest_diag "$(tr '\n' ' ' < /tmp/vm.err)"
		lu_thp_diag
		lu_huge_check 4 \
			"2 MiB pool: token 4's 4 pages joined it in use (nr +4, free/resv same)" \
			lu_pool $LU_HP2M "$LU_BOOT2M" 4 0
		lu_huge_check 5 \
			"1 GiB pool: token 5's page joined it in use (nr +1, free/resv same)" \
			lu_pool $LU_HP1G "$LU_BOOT1G" 1 0
		khotest_kexec_next "kexec -s -l with vm preserved again"
		;;
	2)
		lu_huge_boot
		# shellcheck disable=SC2086
		khotest_check "luoctl retrieve vm again: verified, FINISHed; ordinary memfds" \
			lu_luoctl vm retrieve -f vm $LU_VM_CHECKS -- $LUO_TEST restored $LU_VM_ARGS
		khotest_diag "$(tr '\n' ' ' < /tmp/vm.err)"
		lu_thp_diag
		# luo_test has exited: the restored memfds are closed.
		lu_huge_check 4 \
			"2 MiB pool: token 4's 4 pages, closed, are free (nr/free +4, resv same)" \
			lu_pool $LU_HP2M "$LU_BOOT2M" 4 4
		lu_huge_check 5 \
			"1 GiB pool: token 5's page, closed, is free (nr/free +1, resv same)" \
			lu_pool $LU_HP1G "$LU_BOOT1G" 1 1
		khotest_check "other, closed in gen1, was not handed over" lu_other_gone
		;;
	esac
}
