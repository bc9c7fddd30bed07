# SPDX-License-Identifier: GPL-2.0
# khotest-generations: 3
# khotest-results: 33 7 3
# khotest-machines: small host
# khotest-cmdline: kho=on
#
# /dev/liveupdate: its interface, case by case (luo_test, one result per
# case), and memfds carried through two kexecs by the operator tool
# (luoctl, which holds sessions in the background):
#   gen0: every outgoing-side case of luo_test: one opener, CAP_SYS_ADMIN,
#         ENOTTY, the size rules (EINVAL, zero tail, E2BIG), EFAULT, names,
#         GET_NAME, FINISH of an outgoing session, files that cannot be
#         preserved (bad fd, pipe, /dev/null, tmpfs, session fds, hugetlb),
#         a file preserved twice, tokens, the frozen size of a preserved
#         memfd, the preservation dropped with its session. Then luoctl
#         preserves session "vm": token 1 a 64 MiB memfd (pattern seed 7),
#         token 2 a 32 MiB memfd filled through a MADV_HUGEPAGE mapping
#         (seed 8; on huge pages where shmem THP exists, shmem_enabled set
#         to advise), token 3 a 1 GiB memfd with 4 KiB of data every 16 MiB
#         (seed 10, the rest holes); and session "other": token 9 a 4 MiB
#         memfd (seed 9) sealed with F_SEAL_SHRINK and F_SEAL_GROW. Both
#         stay open, held by luoctl, at the jump;
#   gen1: vm and other came through, not retrieved yet: other's name is
#         taken (EEXIST); luo_test retrieves other and token 9 once each
#         (then ENOENT), checks its seals and data, that nothing can be
#         preserved before FINISH (EPERM) and again after it, and closes
#         it. luoctl retrieves vm, verifies its three files (data, size,
#         holes), FINISHes it and preserves them again under the same
#         tokens, holding the session through the next jump;
#   gen2: luoctl retrieves vm a second time, verifies it and FINISHes it;
#         the memfds it gives luo_test (luoctl ... -- luo_test restored)
#         are ordinary memfds again: they grow and shrink. other, closed
#         in gen1, was not handed over.

LUOCTL=/usr/bin/luoctl
LUO_TEST=/kho/luo_test
LU_SESSIONS=/sys/kernel/liveupdate/sessions
LU_THP=/sys/kernel/mm/transparent_hugepage/shmem_enabled

# Session vm as preserved in gen0 and as checked when retrieved.
LU_VM_FILES="1=memfd:vm-ram:64M:fill=7 2=memfd:vm-thp:32M:thp:fill=8
	     3=memfd:vm-sparse:1G:fill=10:sparse=16M"
LU_VM_CHECKS="1:x=7:size=64M 2:x=8:size=32M 3:x=10:sparse=16M:size=1G"

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

lu_thp_diag() {
	khotest_diag "shmem THP: $(cat $LU_THP 2>/dev/null || echo none);" \
		"$(grep -E '^(Shmem|ShmemHugePages):' /proc/meminfo | tr -s ' \n' ' ')"
}

khotest_run() {
	KHOTEST_GEN=$1
	khotest_ok "booted $(uname -r) on $(cat /etc/kho-arch)"
	case "$1" in
	0)
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
		lu_case "PRESERVE_FD of an MFD_HUGETLB memfd: EOPNOTSUPP" preserve-hugetlb
		lu_case "a file is preserved once, in one session (EBUSY)" preserve-twice
		lu_case "tokens are unique per session, all 64 bits (EEXIST)" token-reuse
		lu_case "a preserved memfd keeps its size (EPERM), not its data" frozen
		lu_case "closing the session drops the preservation" drop-on-close
		lu_case "RETRIEVE_SESSION of an unknown name: ENOENT" retrieve-missing
		khotest_check "luoctl list, before any session" lu_list
		[ -w $LU_THP ] && echo advise > $LU_THP
		# shellcheck disable=SC2086
		khotest_check "luoctl preserve -d vm: memfds of 64M, 32M (THP), 1G sparse" \
			lu_luoctl vm preserve -d -p /tmp/vm.pid vm $LU_VM_FILES
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
		khotest_check "$LU_SESSIONS/vm exists" test -d $LU_SESSIONS/vm
		lu_list
		khotest_kexec_next "kexec -s -l with sessions vm and other held open"
		;;
	1)
		# Opens /dev/liveupdate first: the incoming sessions show in sysfs.
		lu_case "RETRIEVE_SESSION of an unknown name: ENOENT" retrieve-missing
		khotest_check "$LU_SESSIONS/vm: incoming, tokens 1 2 3" \
			lu_listed vm incoming "1 2 3"
		lu_case "CREATE_SESSION other while other waits to be retrieved: EEXIST" \
			create-incoming-name other
		lu_case "other: retrieved once, token 9 once, sealed, its data; FINISH" \
			retrieve-twice other 9 seals=shrink,grow fill=9 size=4M
		# shellcheck disable=SC2086
		khotest_check "luoctl retrieve vm: verified, FINISHed, preserved again (-r -d)" \
			lu_luoctl vm retrieve -d -r -p /tmp/vm.pid vm $LU_VM_CHECKS
		khotest_diag "$(tr '\n' ' ' < /tmp/vm.err)"
		lu_thp_diag
		khotest_kexec_next "kexec -s -l with vm preserved again"
		;;
	2)
		# shellcheck disable=SC2086
		khotest_check "luoctl retrieve vm again: verified, FINISHed; ordinary memfds" \
			lu_luoctl vm retrieve -f vm $LU_VM_CHECKS -- $LUO_TEST restored @1 @2 @3
		khotest_diag "$(tr '\n' ' ' < /tmp/vm.err)"
		lu_thp_diag
		khotest_check "other, closed in gen1, was not handed over" lu_other_gone
		;;
	esac
}
