# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2317 # _barrier_full is called through wait_for
# Helpers for the VM test cases (tests/vm/cases/*.sh). guest.sh sources this file, then
# the case file, then runs one t_* function, each t_* in its own bash process, so
# `fail` (exit 1) ends only the current test. Nothing here runs on the host.
#
# Conventions: helpers that assert something call `fail` (which exits the test) when the
# assertion does not hold. Inside $(...) or a ( subshell ), exit leaves only the subshell:
# check the status there (`x=$(...) || fail ...`).

# --- run context (exported by guest.sh; defaults only matter for syntax checks)
MOSIX_NODE=${MOSIX_NODE:-1}
MOSIX_NODES=${MOSIX_NODES:-1}
MOSIX_KVER=${MOSIX_KVER:-$(uname -r)}
MOSIX_TOP=${MOSIX_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MOSIX_SCRATCH=${MOSIX_SCRATCH:-/run/mosix-test}
MOSIX_KO=$MOSIX_TOP/build/$MOSIX_KVER/mosix.ko
MOSCTL=$MOSIX_TOP/build/tools/mosctl
CFG=/sys/kernel/config/mosix
# MOSIX_CASE (case file name without .sh) and MOSIX_TEST (t_* name) are set by guest.sh
MOSIX_CASE=${MOSIX_CASE:-case}
MOSIX_TEST=${MOSIX_TEST:-test}
export MOSIX_NODE MOSIX_NODES MOSIX_KVER MOSIX_TOP MOSIX_SCRATCH MOSIX_KO MOSCTL CFG

# fail MSG...: print MSG to stderr and end the test as failed (exit 1)
fail() {
	echo "FAIL: ${*:-(no message)}" >&2
	exit 1
}

# skip MSG...: end the test as skipped (reported "ok N - t_x # SKIP MSG")
skip() {
	echo "SKIP: ${*:-(no reason)}" >&2
	exit 77
}

# log MSG...: a line in the test's log, prefixed with the node
log() {
	echo "node$MOSIX_NODE: $*"
}

# errno_name TEXT: map a strerror() text (glibc, C locale) to its errno name; prints
# TEXT itself when it is not in the table. errno_var TEXT: the same into ERRNO_NAME
# (no subshell: write_expect runs it for every refused write)
errno_name() { errno_var "$1"; echo "$ERRNO_NAME"; }
errno_var() {
	case $1 in
	"Invalid argument") ERRNO_NAME=EINVAL ;;
	"Numerical result out of range") ERRNO_NAME=ERANGE ;;
	"File exists") ERRNO_NAME=EEXIST ;;
	"No such file or directory") ERRNO_NAME=ENOENT ;;
	"Device or resource busy") ERRNO_NAME=EBUSY ;;
	"File too large") ERRNO_NAME=EFBIG ;;
	"Operation not permitted") ERRNO_NAME=EPERM ;;
	"Required key not available") ERRNO_NAME=ENOKEY ;;
	"Key was rejected by service") ERRNO_NAME=EKEYREJECTED ;;
	"Input/output error") ERRNO_NAME=EIO ;;
	"Interrupted system call") ERRNO_NAME=EINTR ;;
	"Connection timed out") ERRNO_NAME=ETIMEDOUT ;;
	"Argument list too long") ERRNO_NAME=E2BIG ;;
	"No space left on device") ERRNO_NAME=ENOSPC ;;
	"Permission denied") ERRNO_NAME=EACCES ;;
	"No such device") ERRNO_NAME=ENODEV ;;
	"No such device or address") ERRNO_NAME=ENXIO ;;
	"No such process") ERRNO_NAME=ESRCH ;;
	"Resource temporarily unavailable") ERRNO_NAME=EAGAIN ;;
	"Cannot allocate memory") ERRNO_NAME=ENOMEM ;;
	"Operation not supported") ERRNO_NAME=EOPNOTSUPP ;;
	"Function not implemented") ERRNO_NAME=ENOSYS ;;
	"Bad address") ERRNO_NAME=EFAULT ;;
	"Bad message") ERRNO_NAME=EBADMSG ;;
	"Protocol error") ERRNO_NAME=EPROTO ;;
	"Message too long") ERRNO_NAME=EMSGSIZE ;;
	"Value too large for defined data type") ERRNO_NAME=EOVERFLOW ;;
	"Transport endpoint is not connected") ERRNO_NAME=ENOTCONN ;;
	"Connection refused") ERRNO_NAME=ECONNREFUSED ;;
	"Connection reset by peer") ERRNO_NAME=ECONNRESET ;;
	"Address already in use") ERRNO_NAME=EADDRINUSE ;;
	"Operation already in progress") ERRNO_NAME=EALREADY ;;
	"Operation now in progress") ERRNO_NAME=EINPROGRESS ;;
	"Operation canceled") ERRNO_NAME=ECANCELED ;;
	"No data available") ERRNO_NAME=ENODATA ;;
	"Read-only file system") ERRNO_NAME=EROFS ;;
	"Not a directory") ERRNO_NAME=ENOTDIR ;;
	"Is a directory") ERRNO_NAME=EISDIR ;;
	"Directory not empty") ERRNO_NAME=ENOTEMPTY ;;
	"Too many open files") ERRNO_NAME=EMFILE ;;
	"Network is unreachable") ERRNO_NAME=ENETUNREACH ;;
	"No route to host") ERRNO_NAME=EHOSTUNREACH ;;
	"Stale file handle") ERRNO_NAME=ESTALE ;;
	"Bad file descriptor") ERRNO_NAME=EBADF ;;
	"Cannot assign requested address") ERRNO_NAME=EADDRNOTAVAIL ;;
	*) ERRNO_NAME=$1 ;;
	esac
}

# write_expect FILE VALUE ERRNAME: write VALUE (no newline added) to FILE with one
# write() and check the outcome: ERRNAME is OK for success, else an errno name (EINVAL,
# ERANGE...). Fails the test on a mismatch. Keep VALUE non-empty and under 1 MiB.
# A short value without a newline goes out from bash's own printf (one write(), and no
# process started: on a debug kernel each costs most of a second); anything else
# through dd, which collects the whole value (fullblock) and writes it once (bash's
# stdout is line-buffered: one write per line, and 4 KiB at most each).
write_expect() {
	[ $# = 3 ] || fail "usage: write_expect FILE VALUE ERRNAME"
	local file=$1 val=$2 want=$3 err got errf=${TMPDIR:-/tmp}/.write_expect.$BASHPID
	if [ ${#val} -le 1024 ] && [[ $val != *$'\n'* ]]; then
		{ printf '%s' "$val" > "$file"; } 2> "$errf"
		err=$(<"$errf")
	else
		err=$(printf '%s' "$val" | LC_ALL=C dd of="$file" bs=1M iflag=fullblock conv=notrunc status=none 2>&1)
	fi
	if [ -z "$err" ]; then
		got=OK
	else
		# "bash: line 1: printf: write error: Invalid argument", "bash: FILE: No such...",
		# "dd: error writing 'FILE': Invalid argument"
		errno_var "${err##*: }"
		got=$ERRNO_NAME
	fi
	[ "$got" = "$want" ] ||
		fail "write_expect: '$val' > $file: got $got, want $want${err:+ ($err)}"
}

# expect_errno ERRNAME CMD...: run CMD; ERRNAME OK expects exit status 0, any other name
# expects a non-zero status and that name (or its strerror text) in CMD's stderr, whose
# last line's text after the last ": " is mapped like write_expect does.
# Fails the test on a mismatch. CMD's stdout passes through.
expect_errno() {
	[ $# -ge 2 ] || fail "usage: expect_errno ERRNAME CMD..."
	local want=$1 err rc got line
	shift
	{ err=$(LC_ALL=C "$@" 2>&1 >&3 3>&-); } 3>&1 && rc=0 || rc=$?
	if [ "$rc" = 0 ]; then
		got=OK
	else
		line=$(printf '%s\n' "$err" | tail -n 1)
		got=$(errno_name "${line##*: }")
		case $err in *"$want"*) got=$want ;; esac
	fi
	[ "$got" = "$want" ] || fail "expect_errno: $*: got $got (status $rc), want $want${err:+: $err}"
}

# nap SECS: sleep without starting a process (nap.sh)
# shellcheck source=tests/vm/nap.sh
source "${BASH_SOURCE[0]%/*}/nap.sh"

# time_scale_init: MOSIX_TIME_SCALE, run-vm.sh's --time-scale (mosixtest.time_scale=N on
# the kernel command line; 1 if absent): what a bound on elapsed time in a test is
# multiplied by on a slow (debug) kernel
time_scale_init() {
	local w
	[ -z "${MOSIX_TIME_SCALE:-}" ] || return 0
	MOSIX_TIME_SCALE=1
	local -a words=()
	read -r -a words < /proc/cmdline 2> /dev/null
	for w in "${words[@]}"; do
		case $w in mosixtest.time_scale=*) MOSIX_TIME_SCALE=${w#*=} ;; esac
	done
	[[ $MOSIX_TIME_SCALE =~ ^[1-9][0-9]?$ ]] || MOSIX_TIME_SCALE=1
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds (return 0) or SECONDS
# pass (return 1; does not fail the test by itself: `wait_for 5 test -e F || fail ...`)
# On a slow kernel (the debug kernel: run-vm.sh's --time-scale N, mosixtest.time_scale=N
# on the kernel command line) SECONDS is multiplied by N and CMD runs every 0.1*N s
# (at most 0.5 s): a poll that forks competes with what it waits for on the one vCPU.
# (the clock is bash's EPOCHREALTIME: no fork of date(1) per round)
wait_for() {
	local secs=$1 end ival=0.1
	shift
	time_scale_init
	secs=$((secs * MOSIX_TIME_SCALE))
	[ "$MOSIX_TIME_SCALE" -le 1 ] || ival=0.$((MOSIX_TIME_SCALE < 5 ? MOSIX_TIME_SCALE : 5))
	end=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		nap "$ival"
	done
}

# barrier NAME [SECONDS]: wait (default 60 s) until every node reached this barrier of
# this test; fails the test on timeout. Names are per case file and test function, so
# the same NAME in two tests does not clash; use a name once per test.
# A node that has ended its guest (end_guest in an earlier test, see node_ended) counts
# as arrived; a node that has left this test without reaching the barrier (it failed,
# or skipped: guest.sh's __done.NUM.NODE) fails the barrier at once.
barrier() {
	local name=$1 secs=${2:-60} dir=$MOSIX_SCRATCH/barrier
	local tag=$MOSIX_CASE.$MOSIX_TEST.$name left=''
	mkdir -p "$dir"
	: > "$dir/$tag.$MOSIX_NODE" || fail "barrier $name: cannot write $dir"
	_barrier_full() {
		local n=1 full=0
		while [ "$n" -le "$MOSIX_NODES" ]; do
			if [ ! -e "$dir/$tag.$n" ]; then
				if [ -e "$dir/__done.${MOSIX_TEST_NUM:-0}.$n" ]; then
					left=$n
					return 0
				fi
				[ -e "$dir/__end.$n" ] || full=1
			fi
			n=$((n + 1))
		done
		return "$full"
	}
	wait_for "$secs" _barrier_full ||
		fail "barrier $name: not all $MOSIX_NODES nodes arrived in $secs s (present: $(cd "$dir" && echo "$tag".*))"
	[ -z "$left" ] || fail "barrier $name: node $left has left this test without reaching it (see its log)"
}

# node_ended N: true if node N has ended its guest (end_guest; or guest.sh's end of run)
node_ended() { [ -e "$MOSIX_SCRATCH/barrier/__end.$1" ]; }

# load_mosix [PARAM=VALUE...]: modprobe configfs and the dependencies mosix.ko declares,
# insmod $MOSIX_KO, check that /sys/module/mosix appeared. Fails the test otherwise.
# (what is there already is not asked for again: on the debug kernel each modprobe,
# modinfo or mountpoint costs about a second; the dependencies of a module file are
# read once per boot, into /tmp)
load_mosix() {
	local dep deps cache=/tmp/.mosix-ko-depends line=''
	[ -f "$MOSIX_KO" ] || fail "load_mosix: no module at $MOSIX_KO (not built for $MOSIX_KVER?)"
	# a failed earlier test may have left it loaded: start from a clean state
	if [ -d /sys/module/mosix ]; then
		log "load_mosix: unloading a mosix left loaded by an earlier test"
		rmmod mosix || fail "load_mosix: cannot unload the leftover mosix"
	fi
	[ -d /sys/module/configfs ] || modprobe configfs || fail "load_mosix: modprobe configfs failed"
	is_mounted /sys/kernel/config || mount -t configfs configfs /sys/kernel/config ||
		fail "load_mosix: cannot mount configfs"
	[ -f "$cache" ] && IFS= read -r line < "$cache"
	if [ "${line%%$'\t'*}" = "$MOSIX_KO" ]; then
		deps=${line#*$'\t'}
	else
		deps=$(modinfo -F depends "$MOSIX_KO") || fail "load_mosix: modinfo $MOSIX_KO failed"
		printf '%s\t%s\n' "$MOSIX_KO" "$deps" > "$cache"
	fi
	for dep in ${deps//,/ }; do
		[ -d "/sys/module/$dep" ] || modprobe "$dep" ||
			fail "load_mosix: modprobe $dep (a dependency of mosix) failed"
	done
	insmod "$MOSIX_KO" "$@" || fail "load_mosix: insmod $MOSIX_KO $* failed"
	[ -d /sys/module/mosix ] || fail "load_mosix: /sys/module/mosix missing after insmod"
}

# is_mounted DIR: something is mounted on DIR (/proc/mounts, read by bash itself)
is_mounted() {
	local dir
	while read -r _ dir _; do
		[ "$dir" = "$1" ] && return 0
	done < /proc/mounts
	return 1
}

# unload_mosix: rmmod mosix and check it is gone. Fails the test otherwise.
unload_mosix() {
	rmmod mosix || fail "unload_mosix: rmmod mosix failed"
	wait_for 5 test ! -e /sys/module/mosix || fail "unload_mosix: /sys/module/mosix still present"
}

# settled_slab_kb: the kernel's slab total (kB) once freed memory has really gone back:
# wait out the RCU grace periods that free a stopped kthread and a closed socket, then
# shrink every cache. Shrinking also empties a KASAN kernel's quarantine, which keeps
# freed objects (megabytes of them after a few hundred up/down cycles) and would
# otherwise look like a leak; on other kernels it returns the empty slabs.
settled_slab_kb() {
	local f
	nap 1
	for f in /sys/kernel/slab/*/shrink; do
		[ -L "${f%/shrink}" ] || printf 1 > "$f" 2>/dev/null
	done
	awk '/^Slab:/ {print $2}' /proc/meminfo
}

# the cluster key of the tests (32 bytes as hex); nodes cannot come up without a key
MOSIX_TEST_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export MOSIX_TEST_KEY

# set_test_key: install MOSIX_TEST_KEY through configfs. Fails the test otherwise.
set_test_key() {
	write_expect "$CFG/key" "$MOSIX_TEST_KEY" OK
}

# add_local_addr ADDR...: make each address local (on lo), so that a node whose table
# address it is can bind its sockets and come up; already present is fine
add_local_addr() {
	local a
	for a in "$@"; do
		case $a in
		*:*) ip -6 addr show dev lo | grep -q " $a/" || ip -6 addr add "$a/128" dev lo nodad ;;
		*) ip -4 addr show dev lo | grep -q " $a/" || ip addr add "$a/32" dev lo ;;
		esac || fail "add_local_addr: cannot add $a"
	done
}

# end_guest HOW: end this guest from inside the current test: record the test as
# passed, write the end-of-run files guest.sh would write, then
#   poweroff  `poweroff -f` (the kernel runs its reboot notifiers)
#   crash     an immediate reset without any notifier (sysrq b), as if the guest died
#   systemctl `systemctl poweroff` (a guest under systemd, GUEST_INIT=systemd): systemd
#             stops the units, mosix.service before this run's own, then powers off
# Several nodes: the tests after this one in the run (guest.sh's plan) are recorded as
# passed on this node without running, each with a log saying so: this node has no
# part in them (one guest: they stay unreported, which fails the run). They
# run on the nodes still up, for which it has ended (node_ended): their barriers and
# guest.sh's start of each test count it as arrived, cluster-lib's `others` leaves it
# out. So every later test must cope with this node gone (case files that end a guest
# run last, in their own order: tests/check.sh). Peers can wait for the moment with
# `wait_ending NODE`.
end_guest() {
	local out=$MOSIX_SCRATCH/node$MOSIX_NODE last=$MOSIX_TEST_NUM n cid f
	printf '%s\tok\t%s\t%s\t0.0\n' "$MOSIX_TEST_NUM" "$MOSIX_CASE" "$MOSIX_TEST" >> "$out/results"
	printf 'ok %s - %s %s\n' "$MOSIX_TEST_NUM" "$MOSIX_CASE" "$MOSIX_TEST" >> "$out/tap"
	if [ "$MOSIX_NODES" -gt 1 ] && [ -f "$out/plan" ]; then
		while IFS=$'\t' read -r n cid f; do
			[ "$n" -gt "$MOSIX_TEST_NUM" ] || continue
			echo "not run on node $MOSIX_NODE: it ended its guest ($1) in test $MOSIX_TEST_NUM, $MOSIX_CASE $MOSIX_TEST" \
				> "$out/logs/$cid.$f.log"
			printf '%s\tok\t%s\t%s\t0.0\n' "$n" "$cid" "$f" >> "$out/results"
			printf 'ok %s - %s %s # node %s ended its guest in test %s\n' "$n" "$cid" "$f" \
				"$MOSIX_NODE" "$MOSIX_TEST_NUM" >> "$out/tap"
			last=$n
		done < "$out/plan"
	fi
	echo "1..$last" >> "$out/tap"
	: > "$MOSIX_SCRATCH/barrier/__end.$MOSIX_NODE"
	dmesg > "$out/dmesg.log" 2>&1
	cat /proc/sys/kernel/tainted > "$out/tainted.tmp" && mv "$out/tainted.tmp" "$out/tainted"
	sync
	# peers may time what follows from here
	: > "$MOSIX_SCRATCH/barrier/__ending.$MOSIX_NODE"
	case $1 in
	# (a trixie userspace has no poweroff of its own but busybox's, which does the same)
	poweroff) if command -v poweroff > /dev/null; then poweroff -f; else /bin/busybox poweroff -f; fi ;;
	crash) echo 1 > /proc/sys/kernel/sysrq; echo b > /proc/sysrq-trigger ;;
	systemctl)
		systemctl poweroff || fail "end_guest systemctl: systemctl poweroff failed"
		# (systemd ends this test with SIGTERM once mosix.service has stopped)
		sleep 150
		;;
	esac
	sleep 30
	fail "end_guest $1: still running"
}

# wait_ending NODE: wait (60 s at most) until NODE is about to end its guest
wait_ending() {
	wait_for 60 test -e "$MOSIX_SCRATCH/barrier/__ending.$1" || fail "node $1 never ended its guest"
}
