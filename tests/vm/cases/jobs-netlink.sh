# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The job registry (MOSIX_CMD_JOB_ADD, _JOB_EXIT, _GET_JOBS), driven by the raw client
# tests/vm/genl.py so that the kernel's own validation is what is tested, not mosctl's.
# Slow emulated guests: every python start costs seconds, so the requests of a step go
# through one `genl.py batch` and its whole output is compared.
# shellcheck disable=SC2034 # read by guest.sh
CASE_TIMEOUT=240

GENL_PY=$MOSIX_TOP/tests/vm/genl.py
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

genl() { python3 -S "$GENL_PY" "$@"; }

# noage: genl.py jobs lines (stdin) without their ages
noage() { sed 's/ age [0-9]*$//'; }

# up [PE]: the module loaded, the node up as PE (default 1) at this guest's 10.99.0.1
up() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "${1:-1} 10.99.0.1 1" OK
	write_expect "$CFG/pe" "${1:-1}" OK
}

is_sleep() { [ "$(cat "/proc/$1/comm" 2> /dev/null)" = sleep ]; }

# start_sleep [nobody]: a `sleep 1000` in the background, as root or as nobody; its pid
# in SLEEP_PID once it runs sleep (before that it is not yet of its final uid)
start_sleep() {
	if [ "${1:-}" = nobody ]; then
		"${NOBODY[@]}" sleep 1000 &
	else
		sleep 1000 &
	fi
	SLEEP_PID=$!
	wait_for 10 is_sleep "$SLEEP_PID" || fail "sleep $SLEEP_PID did not start"
}

# batch WANT: genl.py batch runs stdin's requests; their output must be WANT
batch() {
	local want=$1 out
	out=$(genl batch 2>&1)
	[ "$out" = "$want" ] ||
		fail "genl.py batch, got (<) and want (>): $(diff <(printf '%s\n' "$out") <(printf '%s\n' "$want"))"
}

# as PREFIX... -- WANT: like batch, the batch run under PREFIX (setpriv ...); the
# trailing blank of an error without extended ack dropped
as() {
	local prefix=() out want
	while [ "$1" != -- ]; do
		prefix+=("$1")
		shift
	done
	want=$2
	out=$("${prefix[@]}" python3 -S "$GENL_PY" batch 2>&1 | sed 's/ $//')
	[ "$out" = "$want" ] ||
		fail "${prefix[*]} genl.py batch, got (<) and want (>): $(diff <(printf '%s\n' "$out") <(printf '%s\n' "$want"))"
}

# le32 N: N as the hex of a little-endian u32 (genl.py raw)
le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}

t_job_add_while_off_is_enetdown_and_registers_nothing() {
	load_mosix
	start_sleep
	batch "ENETDOWN this node is not up" <<< "job-add $SLEEP_PID 0 j cmd"
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 1" OK
	batch "ENETDOWN this node is not up" <<- EOF
		job-add $SLEEP_PID 0 j cmd
		jobs
	EOF
	unload_mosix
}

t_job_add_registers_root_and_nobody_jobs_with_every_field() {
	up 1
	local root nobody out age longest
	start_sleep
	root=$SLEEP_PID
	start_sleep nobody
	nobody=$SLEEP_PID
	batch "OK home 1 num 1
OK home 1 num 2" <<- EOF
		job-add $root 0 root-job 'sleep 1000'
		job-add $nobody 65534 N.o_b+o-dy 'sleep 1000 # as nobody, é'
	EOF
	out=$(genl jobs) || fail "jobs: $out"
	log "jobs: $out"
	[ "$(noage <<< "$out")" = "home 1 num 1 where 1 pid $root uid 0 state running status - name root-job cmd sleep 1000
home 1 num 2 where 1 pid $nobody uid 65534 state running status - name N.o_b+o-dy cmd sleep 1000 # as nobody, é" ] ||
		fail "the dump: $out"
	[ "$(grep -c ' age [0-9]*$' <<< "$out")" = 2 ] || fail "ages: $out"
	while read -r age; do
		[ "$age" -lt 600000 ] || fail "age $age ms: $out"
	done < <(sed -n 's/.* age \([0-9]*\)$/\1/p' <<< "$out")
	# the pid in the reader's PID namespace: none there
	out=$(unshare --pid --fork python3 -S "$GENL_PY" jobs --no-age) || fail "jobs in a new PID namespace: $out"
	[ "$out" = "home 1 num 1 where 1 pid - uid 0 state running status - name root-job cmd sleep 1000
home 1 num 2 where 1 pid - uid 65534 state running status - name N.o_b+o-dy cmd sleep 1000 # as nobody, é" ] ||
		fail "the dump in a new PID namespace: $out"
	# the uid in the reader's user namespace: 0 is 1000 there, 65534 is not mapped
	out=$(unshare --user --map-user=1000 --map-group=1000 python3 -S "$GENL_PY" jobs) ||
		fail "jobs in a user namespace: $out"
	grep -q "^home 1 num 1 where 1 pid $root uid 1000 " <<< "$out" || fail "root's job in a user namespace: $out"
	grep -q "^home 1 num 2 where 1 pid $nobody uid 65534 " <<< "$out" || fail "nobody's job in a user namespace: $out"
	# the pid in the caller's PID namespace: a helper's view of its child, there pid 2
	out=$(unshare --pid --fork bash -c "sleep 1000 & sleep 0.5; echo \$!; python3 -S $GENL_PY job-add \$! 0 in-ns x; kill \$!") ||
		fail "job-add in a PID namespace: $out"
	[ "$out" = "2
OK home 1 num 3" ] || fail "job-add in a PID namespace: $out"
	# limits: 31 name characters, 255 command bytes, an empty command
	longest="$(printf 'n%.0s' {1..31}) $(printf 'c%.0s' {1..255})"
	start_sleep
	batch "OK home 1 num 4" <<< "job-add $SLEEP_PID 0 $longest"
	start_sleep
	out=$(genl batch <<- EOF
		job-add $SLEEP_PID 0 e ''
		jobs --no-age
	EOF
	)
	[ "$(head -n 1 <<< "$out")" = "OK home 1 num 5" ] || fail "the empty command: $out"
	grep -qx "home 1 num 4 where 1 pid [0-9]* uid 0 state running status - name n\{31\} cmd c\{255\}" <<< "$out" ||
		fail "the longest name and command: $out"
	grep -qx "home 1 num 5 where 1 pid $SLEEP_PID uid 0 state running status - name e cmd " <<< "$out" ||
		fail "the empty command: $out"
	grep -qx "home 1 num 3 where 1 pid - uid 0 state exited status - name in-ns cmd x" <<< "$out" ||
		fail "the namespace's job, killed: $out"
	unload_mosix
}

t_job_add_of_another_uid_is_eperm() {
	up 1
	local nobody
	start_sleep nobody
	nobody=$SLEEP_PID
	start_sleep
	batch "EPERM the process does not run as that uid
EPERM the process does not run as that uid
EINVAL the uid is not mapped in the caller's user namespace" <<- EOF
		job-add $nobody 0 j c
		job-add $SLEEP_PID 65534 j c
		job-add $SLEEP_PID 4294967295 j c
		jobs
	EOF
	unload_mosix
}

t_job_add_of_a_dead_pid_or_a_thread_is_esrch() {
	up 1
	local dead tid
	sleep 0 &
	dead=$!
	wait $dead
	python3 -S -c '
import threading, time
def t():
    print(threading.get_native_id(), flush=True)
    time.sleep(1000)
threading.Thread(target=t, daemon=True).start()
time.sleep(1000)' > /tmp/tid &
	wait_for 20 test -s /tmp/tid || fail "no thread"
	tid=$(</tmp/tid)
	[ "$(awk '/^Tgid:/ {print $2}' "/proc/$tid/status")" != "$tid" ] || fail "$tid is not a thread"
	batch "ESRCH no such process
ESRCH no such process
EINVAL the pid is out of range
EINVAL the pid is out of range" <<- EOF
		job-add $dead 0 j c
		job-add $tid 0 j c
		job-add 0 0 j c
		job-add 2147483648 0 j c
		jobs
	EOF
	unload_mosix
}

t_job_add_of_a_running_job_again_is_eexist() {
	up 1
	start_sleep
	# once its entry exited, the same process may be a job again
	batch "OK home 1 num 1
EEXIST the process is already a job
home 1 num 1 where 1 pid $SLEEP_PID uid 0 state running status - name j cmd c
OK
OK home 1 num 2
EEXIST the process is already a job
home 1 num 1 where 1 pid - uid 0 state exited status 0 name j cmd c
home 1 num 2 where 1 pid $SLEEP_PID uid 0 state running status - name j2 cmd c2" <<- EOF
		job-add $SLEEP_PID 0 j c
		job-add $SLEEP_PID 0 other cmd
		jobs --no-age
		job-exit 1 0
		job-add $SLEEP_PID 0 j2 c2
		job-add $SLEEP_PID 0 j3 c3
		jobs --no-age
	EOF
	unload_mosix
}

t_malformed_requests_are_einval_with_the_reason_and_change_nothing() {
	up 1
	start_sleep
	local p=$SLEEP_PID hp before
	before="home 1 num 1 where 1 pid - uid 0 state exited status 7 name j cmd c
home 1 num 2 where 1 pid $p uid 0 state running status - name j cmd c"
	batch "OK home 1 num 1
OK
OK home 1 num 2
$before" <<- EOF
		job-add $p 0 j c
		job-exit 1 7
		job-add $p 0 j c
		jobs --no-age
	EOF
	start_sleep
	p=$SLEEP_PID
	hp=$(le32 "$p")
	# raw: a name without its NUL, a short pid, attributes JOB_ADD does not take, one
	# beyond the family's last; then JOB_EXIT's; then the older commands refuse the job
	# attributes and GET_JOBS any attribute
	batch "EINVAL missing MOSIX_A_JOB_PID
EINVAL missing MOSIX_A_JOB_UID
EINVAL missing MOSIX_A_JOB_NAME
EINVAL missing MOSIX_A_JOB_CMD
EINVAL the job name is empty
EINVAL the job name has a character outside A-Z a-z 0-9 . _ + -
EINVAL the job name has a character outside A-Z a-z 0-9 . _ + -
EINVAL the job name has a character outside A-Z a-z 0-9 . _ + -
EINVAL Attribute failed policy validation
EINVAL the command line has a control character
EINVAL the command line has a control character
EINVAL the command line has a control character
EINVAL the command line has a control character
EINVAL Attribute failed policy validation
EINVAL Attribute failed policy validation
EINVAL invalid attribute length
EINVAL Attribute failed policy validation
EINVAL Attribute failed policy validation
EINVAL Unknown attribute type
EINVAL missing MOSIX_A_JOB_NUM
EINVAL missing MOSIX_A_JOB_STATUS
EINVAL Attribute failed policy validation
EINVAL Attribute failed policy validation
EINVAL Attribute failed policy validation
EINVAL Unsupported attribute
EINVAL Attribute failed policy validation
$before" <<- EOF
		job-add - 0 j c
		job-add $p - j c
		job-add $p 0 - c
		job-add $p 0 j -
		job-add $p 0 '' c
		job-add $p 0 'a b' c
		job-add $p 0 a/b c
		job-add $p 0 é c
		job-add $p 0 $(printf 'n%.0s' {1..32}) c
		job-add $p 0 j 'a\x09b'
		job-add $p 0 j 'a\x0ab'
		job-add $p 0 j 'a\x7fb'
		job-add $p 0 j '\x1b[2J'
		job-add $p 0 j $(printf 'c%.0s' {1..256})
		raw 6 33:$hp 34:00000000 37:6a 38:6300
		raw 6 33:0100 34:00000000 37:6a00 38:6300
		raw 6 33:$hp 34:00000000 37:6a00 38:6300 2:01000000
		raw 6 33:$hp 34:00000000 37:6a00 38:6300 31:01000000
		raw 6 33:$hp 34:00000000 37:6a00 38:6300 99:00
		job-exit - 0
		job-exit 2 -
		raw 7 31:02000000 36:00000000 33:$hp
		raw 7 31:02000000 36:00000000 37:6a00
		raw 1 33:$hp
		raw 2 33:$hp 6:20
		jobs 31:01000000
		jobs --no-age
	EOF
	unload_mosix
}

t_job_exit_sets_status_and_sends_the_event_then_ealready_or_enoent() {
	up 1
	start_sleep nobody
	local exited="home 1 num 1 where 1 pid - uid 65534 state exited status 256 name j cmd sleep 1000"
	# exited by JOB_EXIT, though its init still runs: no pid
	batch "OK home 1 num 1
OK
event job-exited home 1 num 1 uid 65534 status 256
$exited
EALREADY the job has already exited
ENOENT no such job
ENOENT no such job
ENOENT no such job
$exited" <<- EOF
		job-add $SLEEP_PID 65534 j 'sleep 1000'
		job-exit 1 256 --events
		jobs --no-age
		job-exit 1 0
		job-exit 2 0
		job-exit 0 0
		job-exit 4294967295 0
		jobs --no-age
	EOF
	is_sleep "$SLEEP_PID" || fail "the process is gone"
	unload_mosix
}

# JOB_WHERE is for a job that runs elsewhere (its keeper's report): every other
# request is refused with the reason and a log line, and changes nothing
t_job_where_refuses_a_job_that_runs_here_or_ended_and_changes_nothing() {
	up 1
	start_sleep nobody
	local running="home 1 num 1 where 1 pid $SLEEP_PID uid 65534 state running status - name j cmd c"
	batch "OK home 1 num 1
EBUSY the job runs here: only a move changes that
EBUSY the job runs here: only a move changes that
ENOENT no such job
EINVAL the PE is out of range
EINVAL the PE is out of range
EINVAL missing MOSIX_A_JOB_NUM
EINVAL missing MOSIX_A_JOB_WHERE
$running
OK
EALREADY the job has exited" <<- EOF
		job-add $SLEEP_PID 65534 j c
		job-where 1 2
		job-where 1 1
		job-where 9 2
		job-where 1 0
		job-where 1 65536
		job-where - 2
		job-where 1 -
		jobs --no-age
		job-exit 1 0
		job-where 1 2
	EOF
	dmesg | grep -q "job where: 1 refused: the job runs here: only a move changes that (-16)" ||
		fail "no log line for the refusal: $(dmesg | grep 'job where' | tail -n 3)"
	# an unprivileged caller is refused by the family (admin only)
	as "${NOBODY[@]}" -- EPERM <<< "job-where 1 2"
	unload_mosix
}

t_job_killed_without_job_exit_reads_exited_without_status() {
	up 1
	start_sleep
	batch "OK home 1 num 1" <<< "job-add $SLEEP_PID 0 j c"
	kill -KILL "$SLEEP_PID"
	wait "$SLEEP_PID"
	# a late JOB_EXIT still brings the status
	batch "home 1 num 1 where 1 pid - uid 0 state exited status - name j cmd c
OK
home 1 num 1 where 1 pid - uid 0 state exited status 9 name j cmd c" <<- EOF
		jobs --no-age
		job-exit 1 9
		jobs --no-age
	EOF
	unload_mosix
}

t_unprivileged_caller_cannot_add_or_exit_but_can_dump() {
	up 1
	local no_net=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin)
	local job
	start_sleep nobody
	job="home 1 num 1 where 1 pid $SLEEP_PID uid 65534 state running status - name j cmd c"
	# refused by genetlink (GENL_ADMIN_PERM): no extended ack of the command's
	as "${NOBODY[@]}" -- "EPERM
EPERM" <<- EOF
		job-add $SLEEP_PID 65534 j c
		job-exit 1 0
		jobs
	EOF
	as "${no_net[@]}" -- EPERM <<< "job-add $SLEEP_PID 65534 j c"
	batch "OK home 1 num 1" <<< "job-add $SLEEP_PID 65534 j c"
	as "${NOBODY[@]}" -- "EPERM
$job" <<- EOF
		job-exit 1 0
		jobs --no-age
	EOF
	as "${no_net[@]}" -- EPERM <<< "job-exit 1 0"
	batch "$job" <<< "jobs --no-age"
	unload_mosix
}

t_registry_survives_pe_0_and_pe_n_and_jobs_keep_their_home() {
	up 1
	local a b c before
	start_sleep
	a=$SLEEP_PID
	start_sleep nobody
	b=$SLEEP_PID
	start_sleep
	c=$SLEEP_PID
	before="home 1 num 1 where 1 pid $a uid 0 state running status - name a cmd ca
home 1 num 2 where 1 pid - uid 65534 state exited status 3 name b cmd cb"
	batch "OK home 1 num 1
OK home 1 num 2
OK
$before" <<- EOF
		job-add $a 0 a ca
		job-add $b 65534 b cb
		job-exit 2 3
		jobs --no-age
	EOF
	write_expect "$CFG/pe" 0 OK
	batch "$before
ENETDOWN this node is not up" <<- EOF
		jobs --no-age
		job-add $c 0 c cc
	EOF
	write_expect "$CFG/pe" 1 OK
	batch "OK home 1 num 3" <<< "job-add $c 0 c cc"
	# the helper reports an exit whether the node is up or not
	write_expect "$CFG/pe" 0 OK
	batch "OK" <<< "job-exit 3 0"
	# another PE: the old jobs stay home 1, a new one is home 2; the numbers go on
	write_expect "$CFG/table" "2 10.99.0.1 1" OK
	write_expect "$CFG/pe" 2 OK
	batch "OK home 2 num 4
$before
home 1 num 3 where 1 pid - uid 0 state exited status 0 name c cmd cc
home 2 num 4 where 2 pid $b uid 65534 state running status - name b2 cmd cb2" <<- EOF
		job-add $b 65534 b2 cb2
		jobs --no-age
	EOF
	unload_mosix
}

t_exited_jobs_beyond_256_free_the_oldest_exit_first() {
	up 1
	local keep out
	start_sleep
	keep=$SLEEP_PID
	start_sleep
	# nums 2..301, exited with status 0..299: 46..301 are the newest 256 exits
	out=$(genl batch <<- EOF
		job-add $keep 0 keep k
		job-churn $SLEEP_PID 0 churn 300
		jobs --no-age
	EOF
	)
	[ "$(head -n 4 <<< "$out")" = "OK home 1 num 1
OK first 2 last 301
home 1 num 1 where 1 pid $keep uid 0 state running status - name keep cmd k
home 1 num 46 where 1 pid - uid 0 state exited status 44 name churn cmd churn 44" ] ||
		fail "the oldest kept: $(head -n 4 <<< "$out")"
	[ "$(tail -n 1 <<< "$out")" = "home 1 num 301 where 1 pid - uid 0 state exited status 299 name churn cmd churn 299" ] ||
		fail "the newest: $(tail -n 1 <<< "$out")"
	[ "$(grep -c '^home 1 num [0-9]* where 1 pid - uid 0 state exited' <<< "$out")" = 256 ] ||
		fail "not 256 exited: $(grep -c 'state exited' <<< "$out")"
	[ "$(wc -l <<< "$out")" = 259 ] || fail "$(wc -l <<< "$out") lines"
	# job 1 exits last: it stays, 46 (the oldest exit) goes
	out=$(genl batch <<- EOF
		job-exit 1 5
		jobs --no-age
	EOF
	)
	[ "$(head -n 3 <<< "$out")" = "OK
home 1 num 1 where 1 pid - uid 0 state exited status 5 name keep cmd k
home 1 num 47 where 1 pid - uid 0 state exited status 45 name churn cmd churn 45" ] ||
		fail "after job 1's exit: $(head -n 3 <<< "$out")"
	[ "$(wc -l <<< "$out")" = 257 ] || fail "not 256 kept: $(wc -l <<< "$out") lines"
	unload_mosix
}

t_rmmod_frees_running_exited_and_gone_jobs() {
	local i r
	for i in 1 2 3; do
		up 1
		start_sleep
		r=$SLEEP_PID
		start_sleep
		batch "OK home 1 num 1
OK first 2 last 281
OK home 1 num 282" <<- EOF
			job-add $r 0 running c
			job-churn $SLEEP_PID 0 exited 280
			job-add $SLEEP_PID 0 gone c
		EOF
		kill -KILL "$SLEEP_PID"
		wait "$SLEEP_PID"
		unload_mosix
	done
	# a new load starts empty, from num 1
	up 1
	batch "OK home 1 num 1" <<- EOF
		jobs
		job-add $r 0 again c
	EOF
	unload_mosix
}
