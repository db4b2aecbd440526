# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Jobs at home: mosctl run through the root helper (mosctl helper) starts a command in a
# PID namespace of its own, registered in the kernel's job registry; it behaves like the
# command (stdio, signals, exit status), runs as whoever asked, shows in mosctl ps, and
# mosctl wait returns its status. Every refusal says why and registers nothing.
CASE_TIMEOUT=120
add_local_addr 10.99.0.1

SOCK=/run/mosix/helper.sock
WORK=/tmp/jobs
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# the node up as PE 1 and a helper listening
up() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 1" OK
	write_expect "$CFG/pe" 1 OK
	helper_up
	mkdir -p "$WORK" && chmod 1777 "$WORK" && cd "$WORK" || fail "no $WORK"
}

helper_up() {
	# (a helper left by a failed test is stopped first)
	helper_down
	setsid "$MOSCTL" helper >> "$MOSIX_SCRATCH/helper.log" 2>&1 < /dev/null &
	echo $! > "$MOSIX_SCRATCH/helper.pid"
	wait_for 10 test -S "$SOCK" || fail "the helper does not listen on $SOCK: $(<"$MOSIX_SCRATCH/helper.log")"
}

helper_down() {
	local pid
	pid=$(cat "$MOSIX_SCRATCH/helper.pid" 2> /dev/null) || return 0
	kill "$pid" 2> /dev/null
	wait_for 10 test ! -e "$SOCK" || fail "the helper did not stop"
	rm -f "$MOSIX_SCRATCH/helper.pid"
}

# down: no job left running, the helper stopped, the module unloaded
down() {
	local left j
	left=$("$MOSCTL" ps --json | jq -r '.[] | select(.state == "running") | "\(.id):\(.pid)"')
	if [ -n "$left" ]; then
		for j in $left; do kill -9 "${j#*:}"; done
		fail "jobs left running: $left"
	fi
	helper_down
	unload_mosix
}

# dfl CMD... &: CMD with SIGINT and SIGQUIT at their defaults (a script's & ignores
# them); it execs, so that $! is CMD's pid: only in the background
dfl() {
	exec perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or die "exec: $!"' "$@"
}

# job_field ID KEY: KEY of job ID in mosctl ps --json (null: absent; nothing: no job)
job_field() {
	"$MOSCTL" ps --json | jq -r --arg id "$1" --arg k "$2" '.[] | select(.id == $id) | .[$k]'
}

# the id of the newest job in ps
last_job() {
	"$MOSCTL" ps --json | jq -r 'last | .id // empty'
}

# for wait_for, which runs its command again each time
have_job() { [ -n "$(last_job)" ]; }
job_is() { [ "$(job_field "$1" state)" = "$2" ]; }

t_run_relays_stdout_stderr_and_the_exit_status() {
	up
	local rc=0
	"$MOSCTL" run -- sh -c 'echo to-out; echo to-err >&2; exit 7' > out 2> err || rc=$?
	[ "$rc" = 7 ] || fail "exit status $rc, not 7"
	[ "$(<out)" = to-out ] || fail "stdout: $(<out)"
	[ "$(<err)" = to-err ] || fail "stderr: $(<err)"
	[ "$(job_field 1.1 exit)" = "exited 7" ] || fail "ps: $("$MOSCTL" ps)"
	down
}

t_run_passes_stdin_then_eof_and_a_large_stream_intact() {
	up
	local got want
	got=$(printf 'a\nb\n' | "$MOSCTL" run -- cat) || fail "cat failed"
	[ "$got" = "a
b" ] || fail "stdin came back as: $got"
	want=$(seq 1 200000 | md5sum)
	got=$("$MOSCTL" run -- seq 1 200000 | md5sum)
	[ "$got" = "$want" ] || fail "200000 lines of output arrived changed"
	got=$(seq 1 100000 | "$MOSCTL" run -- cat | md5sum)
	[ "$got" = "$(seq 1 100000 | md5sum)" ] || fail "100000 lines through stdin and back arrived changed"
	# closed descriptors: the job gets /dev/null, as nohup would give it
	got=$("$MOSCTL" run -- sh -c 'cat; echo "cat $?"' <&-) || fail "run with stdin closed failed"
	[ "$got" = "cat 0" ] || fail "stdin closed: $got"
	"$MOSCTL" run -- echo lost >&- || fail "run with stdout closed failed"
	down
}

t_job_runs_as_pid_2_of_a_namespace_of_its_own_in_the_callers_directory() {
	up
	local out outer
	mkdir -p "$WORK/sub"
	out=$(cd "$WORK/sub" && "$MOSCTL" run -- sh -c 'echo $$; readlink /proc/self/ns/pid; pwd; umask') ||
		fail "run failed"
	outer=$(readlink /proc/self/ns/pid)
	log "in the job: $(tr '\n' ' ' <<<"$out"); outside: $outer"
	[ "$(sed -n 1p <<<"$out")" = 2 ] || fail "the command is pid $(sed -n 1p <<<"$out") in its namespace, not 2 (its init is 1)"
	[ "$(sed -n 2p <<<"$out")" != "$outer" ] || fail "the job shares the caller's PID namespace"
	[ "$(sed -n 3p <<<"$out")" = "$WORK/sub" ] || fail "working directory $(sed -n 3p <<<"$out")"
	[ "$(sed -n 4p <<<"$out")" = "$(umask)" ] || fail "umask $(sed -n 4p <<<"$out"), caller's $(umask)"
	down
}

t_a_user_runs_a_job_as_themselves_and_ps_shows_it() {
	up
	local out id
	out=$($AS_NOBODY "$MOSCTL" run -- sh -c 'id -u; id -g; id -G') || fail "run as nobody failed: $out"
	log "ran as nobody"
	[ "$out" = "65534
65534
65534" ] || fail "the job ran with ids: $(tr '\n' ' ' <<<"$out")"
	id=$($AS_NOBODY "$MOSCTL" run --detach --name nap -- sleep 300) ||
		fail "detached run as nobody failed"
	log "detached $id"
	[ "$(job_field "$id" user)" = nobody ] || fail "ps user: $(job_field "$id" user)"
	[ "$(job_field "$id" uid)" = 65534 ] || fail "ps uid: $(job_field "$id" uid)"
	[ "$(job_field "$id" name)" = nap ] || fail "ps name: $(job_field "$id" name)"
	[ "$(job_field "$id" state)" = running ] || fail "ps state: $(job_field "$id" state)"
	[ "$(job_field "$id" where)" = 1 ] && [ "$(job_field "$id" home)" = 1 ] || fail "home/where"
	local pid
	pid=$(job_field "$id" pid)
	[ "$(stat -c %u "/proc/$pid")" = 65534 ] || fail "the job's init (pid $pid) is not nobody's"
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid/status" || fail "pid $pid is not its namespace's init: $(grep NSpid "/proc/$pid/status")"
	log "killing $pid"
	kill -TERM "$pid"
	local rc=0
	"$MOSCTL" wait "$id" || rc=$?
	[ "$rc" = 143 ] || fail "wait: $rc, not killed by SIGTERM: $(job_field "$id" exit)"
	down
}

t_ctrl_c_to_run_reaches_the_job_and_run_exits_130() {
	up
	dfl "$MOSCTL" run -- sleep 300 &
	local client=$! id rc=0
	wait_for 30 have_job || fail "the job did not appear in ps"
	id=$(last_job)
	wait_for 30 job_is "$id" running || fail "not running"
	kill -INT "$client"
	wait "$client" || rc=$?
	[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130"
	[ "$(job_field "$id" exit)" = "killed by SIGINT" ] || fail "ps: $(job_field "$id" exit)"
	down
}

t_a_silent_relay_connection_never_stalls_the_job_and_is_dropped() {
	up
	# shellcheck disable=SC2016 # (the job's own script)
	dfl "$MOSCTL" run -o "$WORK/count.out" -- sh -c 'i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done' &
	local client=$! id port n1 n2 rc=0 t=/tmp/silent.tcp
	wait_for 30 have_job || fail "the job did not appear in ps"
	id=$(last_job)
	port=$(sed -n 's/^port //p' "/run/mosix/relay/$id")
	[ -n "$port" ] || fail "no port in /run/mosix/relay/$id"
	# connect to the job's relay port and say nothing (not even an answer to the
	# keeper's hello): the keeper goes on relaying, and drops it after 10 s
	(exec 3<> "/dev/tcp/127.0.0.1/$port" && cat <&3 > "$t") &
	local silent=$!
	n1=$(wc -l < "$WORK/count.out")
	nap 3
	n2=$(wc -l < "$WORK/count.out")
	[ "$((n2 - n1))" -ge 5 ] || fail "the job's output stalled: $n1 lines, 3 s later $n2"
	wait_for 30 grep -q "job $id: a relay connection refused: no reply to the hello in 10 s" \
		"$MOSIX_SCRATCH/helper.log" || fail "the silent connection was not dropped: $(tail -n 5 "$MOSIX_SCRATCH/helper.log")"
	# (the keeper closed it: cat saw the end)
	wait_for 10 sh -c "! kill -0 $silent 2> /dev/null" || fail "the silent connection is still open"
	[ -s "$t" ] || fail "no hello from the keeper"
	n1=$(wc -l < "$WORK/count.out")
	wait_for 10 sh -c "[ \$(wc -l < $WORK/count.out) -gt $((n1 + 5)) ]" || fail "no output after the drop"
	kill -INT "$client"
	wait "$client" || rc=$?
	[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130"
	down
}

t_a_signal_the_job_handles_is_delivered_to_it() {
	up
	"$MOSCTL" run -o "$WORK/trap.out" -- sh -c 'trap "echo got USR1; exit 5" USR1; echo ready; while :; do sleep 0.2; done' &
	local client=$! rc=0
	wait_for 30 grep -q ready "$WORK/trap.out" || fail "the job did not start"
	kill -USR1 "$client"
	wait "$client" || rc=$?
	[ "$rc" = 5 ] || fail "exit $rc, not the trap's 5"
	grep -q 'got USR1' "$WORK/trap.out" || fail "the trap did not run: $(<"$WORK/trap.out")"
	down
}

t_detach_prints_the_id_and_wait_returns_the_status() {
	up
	local id rc=0 w
	# (the job ends when told: whether wait returned early does not hang on timing)
	rm -f "$WORK/d.go"
	# shellcheck disable=SC2016 # expanded by the job
	id=$("$MOSCTL" run --detach -o "$WORK/d.out" -e "$WORK/d.err" -- \
		sh -c 'while [ ! -e "$1" ]; do sleep 1; done; echo hi; echo oops >&2; exit 3' job "$WORK/d.go") ||
		fail "run --detach failed"
	[[ $id =~ ^1\.[0-9]+$ ]] || fail "printed '$id', not a job id"
	"$MOSCTL" wait "$id" &
	w=$!
	nap 2
	kill -0 "$w" 2> /dev/null || fail "wait returned before the job ended"
	: > "$WORK/d.go"
	wait "$w" || rc=$?
	[ "$rc" = 3 ] || fail "wait exited $rc, not 3"
	[ "$(<"$WORK/d.out")" = hi ] && [ "$(<"$WORK/d.err")" = oops ] || fail "output files"
	# a second wait returns the same at once
	rc=0
	"$MOSCTL" wait "$id" || rc=$?
	[ "$rc" = 3 ] || fail "second wait exited $rc"
	down
}

t_bad_commands_and_ids_are_refused_with_the_reason() {
	up
	local out rc=0
	out=$("$MOSCTL" run -- /nonexistent/cmd 2>&1) || rc=$?
	[ "$rc" = 127 ] || fail "exit $rc for a missing command, not 127"
	grep -q 'mosctl: run: /nonexistent/cmd: No such file or directory' <<<"$out" || fail "message: $out"
	rc=0
	out=$("$MOSCTL" wait 1.999 2>&1) || rc=$?
	[ "$rc" = 1 ] && grep -q 'no job 1.999' <<<"$out" || fail "wait on a missing job: $rc $out"
	rc=0
	out=$("$MOSCTL" wait 1.x 2>&1) || rc=$?
	[ "$rc" = 2 ] && grep -q 'not a job id' <<<"$out" || fail "wait on a bad id: $rc $out"
	rc=0
	out=$("$MOSCTL" run --name 'a b' -- true 2>&1) || rc=$?
	[ "$rc" = 2 ] && grep -q 'character outside' <<<"$out" || fail "bad name: $rc $out"
	down
}

t_run_on_a_node_that_is_off_registers_nothing_and_says_why() {
	up
	write_expect "$CFG/pe" 0 OK
	local out rc=0
	out=$("$MOSCTL" run -- touch "$WORK/ran" 2>&1) || rc=$?
	log "$out"
	[ "$rc" = 1 ] || fail "exit $rc"
	grep -q 'mosctl: run: the kernel refused the job: .*not up' <<<"$out" || fail "message: $out"
	[ ! -e "$WORK/ran" ] || fail "the command ran although the job was refused"
	[ "$("$MOSCTL" ps --json)" = "[]" ] || fail "ps: $("$MOSCTL" ps)"
	down
}

t_run_without_a_helper_says_how_to_start_one() {
	up
	helper_down
	local out rc=0
	out=$("$MOSCTL" run -- true 2>&1) || rc=$?
	[ "$rc" = 1 ] && grep -q 'no helper listens on /run/mosix/helper.sock: start it as root: mosctl helper' <<<"$out" ||
		fail "$rc: $out"
	rc=0
	out=$($AS_NOBODY "$MOSCTL" helper 2>&1) || rc=$?
	[ "$rc" = 1 ] && grep -q 'must run as root' <<<"$out" || fail "helper as nobody: $rc $out"
	unload_mosix
}

t_a_killed_run_hangs_up_its_job() {
	up
	"$MOSCTL" run -- sleep 300 &
	local client=$! id
	wait_for 30 have_job || fail "no job"
	id=$(last_job)
	wait_for 30 job_is "$id" running || fail "not running"
	kill -KILL "$client"
	wait_for 30 job_is "$id" exited || fail "the job outlived its killed mosctl run"
	[ "$(job_field "$id" exit)" = "killed by SIGHUP" ] || fail "ps: $(job_field "$id" exit)"
	down
}

t_signals_the_caller_ignored_stay_ignored_as_with_nohup() {
	up
	(trap '' HUP; exec "$MOSCTL" run -- sleep 300) &
	local client=$! id pid cmd rc=0 ign
	wait_for 30 have_job || fail "no job"
	id=$(last_job)
	wait_for 30 job_is "$id" running || fail "not running"
	pid=$(job_field "$id" pid)
	wait_for 10 pgrep -P "$pid" > /dev/null || fail "the job's init has no child"
	cmd=$(pgrep -P "$pid")
	# SigIgn: the mask of ignored signals, bit 0 SIGHUP
	ign=$(awk '/^SigIgn:/ {print $2}' "/proc/$cmd/status")
	log "the command (pid $cmd) ignores $ign"
	[ $((0x$ign & 1)) = 1 ] || fail "the job does not ignore SIGHUP: SigIgn $ign"
	kill -KILL "$client"
	sleep 2
	[ "$(job_field "$id" state)" = running ] || fail "a nohup'd job was hung up: $(job_field "$id" exit)"
	kill -TERM "$pid"
	"$MOSCTL" wait "$id" || rc=$?
	[ "$rc" = 143 ] || fail "wait: $rc"
	down
}

t_malformed_requests_are_refused_and_the_helper_serves_on() {
	up
	local out
	out=$(python3 -S - "$SOCK" <<'EOF'
import socket, struct, sys
def ask(payload, fds=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    if fds:
        s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("4i", *fds))])
    else:
        s.send(payload)
    r = s.recv(4096)
    s.close()
    magic, typ, _, a, b = struct.unpack_from("=IHHII", r)
    print(typ, a, r[16:].split(b"\0")[0].decode())
import os
d = os.open("/tmp", os.O_RDONLY)
ask(b"junk")
hdr = struct.pack("=IHHQIII32sI", 0x4d585251, 1, 0, 0, 0o22, 5, 0, b"", 0)
ask(hdr + b"true\0", None)
ask(hdr + b"true\0", [d, 0, 1, 2])
ask(struct.pack("=IHHQIII32sI", 0x4d585251, 9, 0, 0, 0o22, 1, 0, b"", 0) + b"true\0", [d, 0, 1, 2])
EOF
	) || fail "the raw client failed: $out"
	log "$out"
	[ "$(sed -n 1p <<<"$out")" = "3 71 a run request carries 4 descriptors (working directory, stdin, stdout, stderr), not 0" ] ||
		fail "junk: $(sed -n 1p <<<"$out")"
	[ "$(sed -n 2p <<<"$out")" = "3 71 a run request carries 4 descriptors (working directory, stdin, stdout, stderr), not 0" ] ||
		fail "no descriptors: $(sed -n 2p <<<"$out")"
	[ "$(sed -n 3p <<<"$out")" = "3 22 malformed run request" ] || fail "argc 5 of 1 string: $(sed -n 3p <<<"$out")"
	[ "$(sed -n 4p <<<"$out")" = "3 71 not a run request of this version: wrong magic or version" ] ||
		fail "version 9: $(sed -n 4p <<<"$out")"
	[ "$("$MOSCTL" ps --json)" = "[]" ] || fail "a refused request registered a job"
	"$MOSCTL" run -- true || fail "the helper no longer serves"
	[ "$(grep -c 'refused a job' "$MOSIX_SCRATCH/helper.log")" -ge 4 ] || fail "helper log: $(<"$MOSIX_SCRATCH/helper.log")"
	down
}

t_jobs_outlive_a_helper_restart_and_a_node_shutdown() {
	up
	local id rc=0
	# (the job ends when told, not after a time: on the debug kernel the steps below
	# took longer than any fixed sleep one would pick)
	rm -f "$WORK/r.go"
	# shellcheck disable=SC2016 # expanded by the job
	id=$("$MOSCTL" run --detach -o "$WORK/r.out" -- sh -c 'while [ ! -e "$1" ]; do sleep 1; done; echo done; exit 4' job "$WORK/r.go") ||
		fail "run failed"
	helper_down
	write_expect "$CFG/pe" 0 OK
	[ "$(job_field "$id" state)" = running ] || fail "after the helper stopped and pe 0: $(job_field "$id" state)"
	write_expect "$CFG/pe" 1 OK
	: > "$WORK/r.go"
	"$MOSCTL" wait "$id" || rc=$?
	[ "$rc" = 4 ] || fail "wait exited $rc, not 4"
	[ "$(<"$WORK/r.out")" = "done" ] || fail "output: $(<"$WORK/r.out")"
	unload_mosix
}

t_monitor_reports_a_job_exit() {
	up
	"$MOSCTL" monitor --json > "$WORK/mon" 2>&1 &
	local mon=$!
	sleep 1
	"$MOSCTL" run -- sh -c 'exit 9'
	wait_for 30 grep -q job-exited "$WORK/mon" || fail "no event: $(<"$WORK/mon")"
	kill "$mon"
	grep -q '"event":"job-exited","job":"1.1","uid":0,"wait_status":2304' "$WORK/mon" || fail "event: $(<"$WORK/mon")"
	down
}
