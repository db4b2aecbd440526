# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the criu case files (cluster-criu.sh, cluster-criu-faults.sh) share: the
# node's migration helper, a job of nobody's started with mosctl run and its output
# in $OUT, and the checks of where it runs and what is left. Sourced after
# cluster-lib.sh.

AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
HLOG=$MOSIX_SCRATCH/criu-helper.$MOSIX_NODE.log
HPID=$MOSIX_SCRATCH/criu-helper.$MOSIX_NODE.pid
OUT=/tmp/counter.out

# helper_up [VAR=VALUE...]: the node's helper (with those in its environment: the
# migration helper's test hooks), registered as its migration helper with a working criu
helper_up() {
	helper_down
	# (a test hook's pause marker an earlier failure left)
	rm -f /run/mosix/test-pause.*
	# criu check wants these (notes/migration.md)
	modprobe nf_tables 2> /dev/null
	ip link set lo up
	env MOSCTL_MIG_DEBUG=1 "$@" setsid "$MOSCTL" helper >> "$HLOG" 2>&1 < /dev/null &
	echo $! > "$HPID"
	wait_for 60 grep -q "helper port=7311 criu=[01]" "$CFG/daemons" ||
		fail "no migration helper: $(<"$CFG/daemons") $(<"$HLOG")"
	# bookworm's criu 3.17 fails its check on 6.13 and later (criu#2532): those
	# kernels need trixie's criu 4.1 in a trixie userspace (make check boots 7.x
	# clusters with run-vm.sh --userspace trixie; a run without it skips here)
	if ! grep -q "helper port=7311 criu=1" "$CFG/daemons"; then
		case $(uname -r) in
		6.[0-9].* | 6.1[0-2].*) fail "criu does not work here: $(<"$HLOG")" ;;
		*)
			grep -q '^VERSION_CODENAME=bookworm' /etc/os-release ||
				fail "criu $(criu --version | sed -n 's/Version: //p') does not work here: $(<"$HLOG")"
			skip "bookworm's criu $(criu --version | sed -n 's/Version: //p') cannot run on $(uname -r) (needs trixie's criu 4.1: run-vm.sh --userspace trixie)" ;;
		esac
	fi
}

helper_down() {
	[ -f "$HPID" ] || return 0
	kill "$(<"$HPID")" 2> /dev/null
	wait_for 10 test ! -e /run/mosix/helper.sock
	rm -f "$HPID"
}

# dfl CMD... &: CMD with SIGINT and SIGQUIT at their defaults (a script's & ignores
# them); it execs, so that $! is CMD's pid: only in the background
dfl() {
	exec perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "exec: $!"' "$@"
}

stat_of() { awk -v k="$1" '$1 == k {print $2}' "$CFG/stats"; }

job_field() { "$MOSCTL" ps --json | jq -r --arg id "$1" ".[] | select(.id == \$id) | .$2"; }

# the job's init here: a process of nobody, PID 1 of its own namespace, running
job_runs_here() {
	local pid
	pid=$(job_field "$1" pid)
	[ -n "$pid" ] && [ "$pid" != null ] || fail "job $1 has no pid here: $("$MOSCTL" ps)"
	grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status" || fail "job $1's $pid is no namespace init"
	grep -q "^Uid:[[:space:]]*65534[[:space:]]" "/proc/$pid/status" || fail "job $1 is not nobody's"
	[ "$(awk '{print $3}' "/proc/$pid/stat")" != T ] || fail "job $1 is stopped here"
	[ "$(job_field "$1" where)" = "$MOSIX_NODE" ] || fail "job $1 where: $(job_field "$1" where)"
}

# nothing of the job left on this node: no process of nobody (but the home mosctl
# run: RUN), no images
job_gone_here() {
	wait_for 10 sh -c "! pgrep -u 65534 | grep -vx ${RUN:-0} > /dev/null" ||
		fail "processes of nobody left: $(pgrep -a -u 65534)"
	[ -z "$(ls -A /run/mosix/mig 2> /dev/null)" ] || fail "left in /run/mosix/mig: $(ls -A /run/mosix/mig)"
}

migrate_ok() {
	local out rc=0
	out=$("$MOSCTL" migrate "$1" "$2" 2>&1) || rc=$?
	[ "$rc" = 0 ] || fail "migrate $1 $2: exit $rc: $out (helper: $(tail -n 5 "$HLOG"))"
	log "migrate $1 $2: $out"
}

# migrate_on_tty ID PE: mosctl migrate ID PE on a terminal (script's pty), as a user
# watching the move would run it, with the kernel's events (mosctl monitor --json) in
# /tmp/events.json meanwhile; fails unless it exits 0. TTY_OUT: what the terminal showed,
# one line per carriage return, without the bare clear-line lines
migrate_on_tty() {
	local mon ts=/tmp/migrate.ts
	"$MOSCTL" monitor --json > /tmp/events.json &
	mon=$!
	sleep 0.5
	script -qec "$MOSCTL migrate $1 $2" "$ts" < /dev/null > /dev/null ||
		fail "migrate $1 $2 (on a terminal): $(tr '\r' '\n' < "$ts")"
	kill "$mon"
	wait "$mon"
	TTY_OUT=$(tr '\r' '\n' < "$ts" | grep -v '^.\[K$')
	log "migrate $1 $2 on a terminal: $(tail -n 4 <<< "$TTY_OUT" | tr '\n' '|')"
}

# the counter's output so far is 0..N-1, in order, nothing missing or twice
counter_continuous() {
	awk 'NR - 1 != $1 { print "line " NR " is " $1; bad = 1; exit } END { exit bad }' "$OUT" ||
		fail "output not continuous: $(awk 'NR - 1 != $1 { print NR ": " $1; exit }' "$OUT")"
}
lines() { wc -l < "$OUT"; }
grows() { local n; n=$(lines); wait_for 20 sh -c "[ \$(wc -l < $OUT) -gt $((n + 3)) ]"; }

# start_job NAME CMD...: CMD as nobody's job through mosctl run on this node, its
# output in $OUT; sets RUN (mosctl run's pid) and prints nothing; the id in $MOSIX_SCRATCH/NAME.id
# (RUN_NODE=PE start_job ...: mosctl run --node PE, the job moves there at once: it
# may be migrating already when ps is read)
start_job() {
	local name=$1
	shift
	cd / || fail "no /"
	: > "$OUT"
	dfl $AS_NOBODY "$MOSCTL" run ${RUN_NODE:+--node "$RUN_NODE"} --name "$name" -- "$@" > "$OUT" 2> /tmp/run.err &
	RUN=$!
	wait_for 20 sh -c "[ \$(wc -l < $OUT) -gt 2 ]" || fail "job $name says nothing: $(cat /tmp/run.err)"
	"$MOSCTL" ps --json | jq -r --arg n "$name" '.[] | select(.name == $n and (.state == "running" or .state == "migrating")) | .id' \
		> "$MOSIX_SCRATCH/$name.id"
	[ -s "$MOSIX_SCRATCH/$name.id" ] || fail "no job $name in ps: $("$MOSCTL" ps)"
}
