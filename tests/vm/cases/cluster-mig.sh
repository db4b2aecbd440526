# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The kernel's half of moving a job, on a real 3-node cluster: mosctl migrate asks the
# migration daemon, which offers the job to the target over the authenticated info
# channel; the target refuses with the reason the user sees, or accepts and both ends
# hand the work to their helper. The helper here is a test driver of that protocol
# (mighelper.py: it registers, logs what the kernel asks, fetches the move's key and
# reports what the test tells it to), so that every decision the kernels take is
# checked: a refusal or a failed move leaves the job running where it was, a committed
# move kills the source's copy and lets the target's run, both ends derive the same
# one-time key, and forged or replayed control messages change nothing and are counted.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=240

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

GENL="$MOSIX_TOP/tests/vm/genl.py"
MIGH="$MOSIX_TOP/tests/vm/mighelper.py"
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
KEYS=$MOSIX_SCRATCH/mig-keys
MIGLOG=$MOSIX_SCRATCH/migh.$MOSIX_NODE.log

stat_of() { awk -v k="$1" '$1 == k {print $2}' "$CFG/stats"; }

# mig_helper ARGS...: the protocol test helper, registered with this node's kernel
mig_helper() {
	mig_helper_stop
	mkdir -p "$KEYS"
	: > "$MIGLOG"
	python3 -S "$MIGH" --log "$MIGLOG" --keydir "$KEYS" "$@" &
	echo $! > "$MOSIX_SCRATCH/migh.pid.$MOSIX_NODE"
	wait_for 30 grep -q '^registered -> OK' "$MIGLOG" || fail "test helper: $(<"$MIGLOG")"
}

mig_helper_stop() {
	local p
	[ -f "$MOSIX_SCRATCH/migh.pid.$MOSIX_NODE" ] || return 0
	p=$(<"$MOSIX_SCRATCH/migh.pid.$MOSIX_NODE")
	kill "$p" 2> /dev/null
	wait "$p" 2> /dev/null
	rm -f "$MOSIX_SCRATCH/migh.pid.$MOSIX_NODE"
}

# ns_init [USER-OPTS] CMD...: CMD as the init of a PID namespace of its own (as nobody
# unless USER-OPTS is "-"); prints the init's pid once it runs as its user
ns_init() {
	local as=$AS_NOBODY uid=65534 parent child
	if [ "$1" = - ]; then as='' uid=0; shift; fi
	# shellcheck disable=SC2086 # (the setpriv options)
	unshare --pid --fork $as "$@" > /dev/null 2>&1 &
	parent=$!
	_ns_child() {
		child=$(<"/proc/$parent/task/$parent/children") 2> /dev/null || return 1
		child=${child%% *}
		[ -n "$child" ] && grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "/proc/$child/status" 2> /dev/null
	}
	wait_for 10 _ns_child || fail "no namespace init for $*"
	echo "$child"
}

# job_add PID UID: PID registered as a job of this node; prints its NUM
job_add() {
	local out
	out=$(python3 -S "$GENL" job-add "$1" "$2" mjob "test job") || fail "job-add: $out"
	[[ $out == "OK home $MOSIX_NODE num "* ]] || fail "job-add: $out"
	echo "${out##* }"
}

job_json() { "$MOSCTL" ps --json | jq -c --arg id "$1" '.[] | select(.id == $id) | {where, state}'; }

# migrate_expect JOB TO RC TEXT: mosctl migrate exits RC and says TEXT
migrate_expect() {
	local out rc=0
	out=$("$MOSCTL" migrate "$1" "$2" 2>&1) || rc=$?
	[ "$rc" = "$3" ] || fail "migrate $1 $2: exit $rc, not $3: $out"
	[[ $out == *"$4"* ]] || fail "migrate $1 $2 says: $out (not: $4)"
	log "migrate $1 $2: $out"
}

# the job ran on, here, untouched
job_here() {
	kill -0 "$1" 2> /dev/null || fail "job $2's init $1 is gone"
	[ "$(job_json "$2")" = '{"where":1,"state":"running"}' ] ||
		fail "job $2 in ps: $(job_json "$2")"
}

t_refusals_say_why_and_leave_the_job_where_it_was() {
	join_all
	local pid root big num rnum bnum
	case $MOSIX_NODE in
	1)
		pid=$(ns_init sleep 600)
		num=$(job_add "$pid" 65534)
		migrate_expect "1.$num" 2 1 "no migration helper runs on this node"
		mig_helper
		migrate_expect "1.$num" 2 1 "job 1.$num stayed on node 1: node 2 has no usable criu"
		barrier no-criu
		barrier blocked
		migrate_expect "1.$num" 2 1 "node 2 takes no guests (blocked)"
		barrier blocked-done
		barrier small
		root=$(ns_init - sleep 600)
		rnum=$(job_add "$root" 0)
		migrate_expect "1.$rnum" 2 1 "node 2 takes no root jobs"
		big=$(ns_init perl -e '$x = "a" x (8 << 20); sleep 600')
		bnum=$(job_add "$big" 65534)
		migrate_expect "1.$bnum" 2 1 "the job is larger than node 2 takes"
		barrier small-done
		barrier off
		wait_for 10 status_in 3 "leaving down" || fail "node 3 still $(node_status 3)"
		migrate_expect "1.$num" 3 1 "that node is not up"
		# what the request itself gets wrong
		migrate_expect 1.4242 2 1 "no such job"
		migrate_expect "1.$num" 1 1 "the job runs on that node already"
		migrate_expect "1.$num" 9 1 "that node is not in the table"
		migrate_expect "2.$num" 2 1 "no such job"
		local out rc=0
		out=$($AS_NOBODY "$MOSCTL" migrate "1.$rnum" 2 2>&1) || rc=$?
		[ "$rc" = 1 ] && [[ $out == *"another user's"* ]] || fail "nobody moving root's job: $rc $out"
		migrate_expect x 2 2 "not a job id"
		migrate_expect "1.$num" nowhere 2 "not a node"
		job_here "$pid" "1.$num"
		job_here "$root" "1.$rnum"
		job_here "$big" "1.$bnum"
		[ "$(stat_of mig_started) $(stat_of mig_stayed) $(stat_of mig_moved)" = "4 4 0" ] ||
			fail "counters: $(grep mig_ "$CFG/stats" | tr '\n' ' ')"
		kill -9 "$pid" "$root" "$big"
		mig_helper_stop
		;;
	2)
		barrier no-criu
		mig_helper
		write_expect "$CFG/block" 1 OK
		write_expect "$CFG/block" 2 ERANGE
		[ "$(<"$CFG/block")" = 1 ] || fail "block reads $(<"$CFG/block")"
		barrier blocked
		barrier blocked-done
		write_expect "$CFG/block" 0 OK
		write_expect "$CFG/mig_max_image_mb" 1 OK
		write_expect "$CFG/mig_max_image_mb" 0 ERANGE
		write_expect "$CFG/mig_allow_root" 2 ERANGE
		barrier small
		barrier small-done
		[ "$(stat_of mig_refused)" = 4 ] || fail "mig_refused $(stat_of mig_refused)"
		dmesg | grep -q "mig: refused job 1\.[0-9]* from node 1: blocked" || fail "no log line"
		grep -q "^work" "$MIGLOG" && fail "the helper was asked to work: $(<"$MIGLOG")"
		mig_helper_stop
		barrier off
		;;
	3)
		barrier no-criu
		barrier blocked
		barrier blocked-done
		barrier small
		barrier small-done
		write_expect "$CFG/pe" 0 OK
		barrier off
		;;
	esac
	barrier done 120
	unload_mosix
}

t_a_committed_move_kills_the_source_copy_and_runs_the_target_copy() {
	join_all
	local pid num copy id
	case $MOSIX_NODE in
	1)
		pid=$(ns_init sleep 600)
		num=$(job_add "$pid" 65534)
		mig_helper
		barrier ready
		migrate_expect "1.$num" 2 0 "job 1.$num moved from node 1 to node 2"
		wait_for 5 sh -c "! kill -0 $pid 2> /dev/null" || fail "the source copy $pid still runs"
		[ "$(job_json "1.$num")" = '{"where":2,"state":"running"}' ] ||
			fail "job 1.$num in ps: $(job_json "1.$num")"
		grep -q "^work stream id [0-9a-f]* job 1\.$num uid 65534 peer 10.99.0.2 port 7312 image [0-9]* pid $pid" "$MIGLOG" ||
			fail "no stream work: $(<"$MIGLOG")"
		grep -q "^key [0-9a-f]* source [0-9a-f]\{64\} len 32" "$MIGLOG" || fail "no key: $(<"$MIGLOG")"
		grep -q "^key-again [0-9a-f]* -> ENOENT" "$MIGLOG" || fail "the key was given twice: $(<"$MIGLOG")"
		wait_for 5 grep -q "^work commit" "$MIGLOG" || fail "no commit work: $(<"$MIGLOG")"
		[ "$(stat_of mig_moved)" = 1 ] || fail "mig_moved $(stat_of mig_moved)"
		# a job that left: its home asks node 2, whose offer node 3 (no helper) refuses
		migrate_expect "1.$num" 3 1 "job 1.$num stayed on node 2: node 3 has no usable criu"
		barrier moved
		barrier checked
		;;
	2)
		copy=$(ns_init sleep 600)
		kill -STOP "$copy"
		echo "$copy" > "$MOSIX_SCRATCH/copy.pid"
		mig_helper --port 7312 --on-receive "restore:$MOSIX_SCRATCH/copy.pid"
		barrier ready
		barrier moved
		grep -q "^work receive id [0-9a-f]* job 1\.[0-9]* uid 65534 peer 10.99.0.1 port 7312" "$MIGLOG" ||
			fail "no receive work: $(<"$MIGLOG")"
		grep -q "^report restored [0-9a-f]* -> OK" "$MIGLOG" || fail "restore report: $(<"$MIGLOG")"
		wait_for 5 grep -q "^work run" "$MIGLOG" || fail "no run work: $(<"$MIGLOG")"
		_running() { [ "$(awk '{print $3}' "/proc/$copy/stat")" != T ]; }
		wait_for 5 _running || fail "the restored copy is still stopped"
		id=$(sed -n 's/^key \([0-9a-f]*\) target .*/\1/p' "$MIGLOG")
		[ -n "$id" ] && [ -s "$KEYS/$id.source" ] || fail "no keys for move $id: $(ls "$KEYS")"
		[ "$(<"$KEYS/$id.source")" = "$(<"$KEYS/$id.target")" ] || fail "the two ends' keys differ"
		[ "$(stat_of mig_arrived)" = 1 ] || fail "mig_arrived $(stat_of mig_arrived)"
		dmesg | grep -q "mig: job 1\.[0-9]* arrived from node 1" || fail "no log line"
		kill -9 "$copy"
		barrier checked
		;;
	3)
		barrier ready
		barrier moved
		barrier checked
		;;
	esac
	mig_helper_stop
	barrier done 60
	unload_mosix
}

t_a_move_the_target_fails_leaves_the_job_running_here() {
	join_all
	local pid num
	case $MOSIX_NODE in
	1)
		pid=$(ns_init sleep 600)
		num=$(job_add "$pid" 65534)
		mig_helper
		barrier bad-pid
		migrate_expect "1.$num" 2 1 "job 1.$num stayed on node 1: criu restore failed on node 2"
		wait_for 5 grep -q "^work resume" "$MIGLOG" || fail "no resume work: $(<"$MIGLOG")"
		job_here "$pid" "1.$num"
		barrier fail-stream
		migrate_expect "1.$num" 2 1 "the image stream failed"
		job_here "$pid" "1.$num"
		barrier fail-stream-done
		barrier silent
		write_expect "$CFG/mig_timeout_ms" 2000 OK
		write_expect "$CFG/mig_timeout_ms" 999 ERANGE
		migrate_expect "1.$num" 2 1 "a step took too long"
		job_here "$pid" "1.$num"
		[ "$(stat_of mig_stayed)" = 3 ] || fail "mig_stayed $(stat_of mig_stayed)"
		kill -9 "$pid"
		barrier checked
		;;
	2)
		# a helper that names a process which is no job's restored init
		mig_helper --on-receive bad-pid
		barrier bad-pid
		wait_for 20 grep -q "^report restore_failed" "$MIGLOG" || fail "$(<"$MIGLOG")"
		grep -q "^report restored [0-9a-f]* -> EPERM that process is not the init of a job" "$MIGLOG" ||
			fail "a bad restored pid taken: $(<"$MIGLOG")"
		wait_for 5 grep -q "^work discard" "$MIGLOG" || fail "no discard work: $(<"$MIGLOG")"
		mig_helper --on-receive fail
		barrier fail-stream
		barrier fail-stream-done
		mig_helper --on-receive none
		barrier silent
		barrier checked
		grep -q "^work discard" "$MIGLOG" || fail "the timed-out move not discarded: $(<"$MIGLOG")"
		;;
	3)
		barrier bad-pid
		barrier fail-stream
		barrier fail-stream-done
		barrier silent
		barrier checked
		;;
	esac
	mig_helper_stop
	barrier done 60
	unload_mosix
}

t_forged_and_replayed_control_messages_change_nothing_and_are_counted() {
	join_all
	local tag0 rep0 unk0 ref0
	case $MOSIX_NODE in
	1)
		barrier counted
		python3 -S "$MOSIX_TOP/tests/vm/migforge.py" 10.99.0.1 1 10.99.0.2 2 \
			"$(<"$CFG/epoch")" "$MOSIX_TEST_KEY" || fail "migforge failed"
		barrier sent
		# node 2's answers to messages about moves this node never made
		wait_for 10 sh -c "[ \$(awk '\$1 == \"mig_drop_unknown\" {print \$2}' $CFG/stats) -ge 2 ]" ||
			fail "answers not dropped here: $(grep mig_ "$CFG/stats" | tr '\n' ' ')"
		[ "$(stat_of mig_started)" = 0 ] || fail "a move started here"
		barrier checked
		;;
	2)
		tag0=$(stat_of drop_bad_tag) rep0=$(stat_of drop_replay)
		unk0=$(stat_of mig_drop_unknown) ref0=$(stat_of mig_refused)
		barrier counted
		barrier sent
		_counted() {
			[ "$(stat_of drop_bad_tag)" = $((tag0 + 1)) ] && [ "$(stat_of drop_replay)" = $((rep0 + 1)) ] &&
				[ "$(stat_of mig_drop_unknown)" = $((unk0 + 1)) ] && [ "$(stat_of mig_refused)" = $((ref0 + 1)) ]
		}
		wait_for 10 _counted || fail "counters: $(grep -E 'bad_tag|replay|mig_' "$CFG/stats" | tr '\n' ' ')"
		dmesg | grep -q "mig: refused job 1.777 from node 1: no_criu" || fail "the valid offer not refused"
		[ "$(stat_of mig_arrived)" = 0 ] || fail "something arrived"
		barrier checked
		;;
	3)
		barrier counted
		barrier sent
		barrier checked
		;;
	esac
	barrier done 60
	unload_mosix
}
