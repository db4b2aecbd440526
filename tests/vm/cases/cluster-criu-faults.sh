# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Moves that fail at every point, on a 3-node cluster with the real migration helper
# (criu): the target's process killed mid-stream, the link cut mid-stream, a byte of
# the stream altered, the source's process killed while the job is held frozen, the
# target's killed with the restored copy held, the source's whole helper killed
# mid-stream. Each ends with the job running at the source (node 1), its output
# continuous, no image and no stopped process left on either node. And the commit
# message lost on its way to the target: the job moves, and runs once.
# The helper's test hooks (migsvc.c) pause a move's process at a phase, or flip a byte.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
# on the debug kernel only in make debug-check: each move there takes minutes (the
# counter's three moves: 242 s against 36 s on the stock 6.12; these files' 13 cases
# would take about 45 minutes of make check's 2-core machine)
DEBUG_KERNEL=debug-check
CASE_TIMEOUT=600

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
source "$MOSIX_TOP/tests/vm/criu-lib.sh"

# a counter with 32 MiB of touched memory: its stream outgrows the sockets' buffers,
# so that a target paused at "receive" leaves the source mid-stream
start_big_counter() {
	# shellcheck disable=SC2016 # (the job's own script)
	start_job "$1" perl -e '$| = 1; my $x = "a" x (32 << 20);
		for (my $i = 0; $i < length $x; $i += 4096) { substr($x, $i, 1) = chr(($i >> 12) & 255) }
		for (my $i = 0; ; $i++) { print "$i\n"; select(undef, undef, undef, 0.1) }'
}
start_counter() {
	# shellcheck disable=SC2016 # (the job's own script)
	start_job "$1" sh -c 'i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done'
}

# paused_pid PHASE SECS: the pid of this node's move process paused at PHASE
paused_pid() {
	wait_for "$2" test -s "/run/mosix/test-pause.$1" ||
		fail "no move paused at $1: $(tail -n 5 "$HLOG")"
	cat "/run/mosix/test-pause.$1"
}

# migrate_stays ID PE PATTERN: the move fails, says so and why (PATTERN, a glob)
migrate_stays() {
	local out rc=0
	out=$("$MOSCTL" migrate "$1" "$2" 2>&1) || rc=$?
	# shellcheck disable=SC2053 # ($3 is a glob)
	[ "$rc" = 1 ] && [[ $out == *"stayed on node 1"* ]] && [[ $out == $3 ]] ||
		fail "migrate $1 $2: exit $rc: $out, not: stayed on node 1 ($3) (helper: $(tail -n 5 "$HLOG"))"
	log "migrate $1 $2: $out"
}

# at the source after a failed move: the job runs here, its output goes on, continuous
still_here() {
	job_runs_here "$1"
	grows || fail "the job does not go on here"
	counter_continuous
}

# the job ended by Ctrl-C at home, then nothing of it anywhere; every node calls it
end_and_check() {
	local rc=0
	if [ "$MOSIX_NODE" = 1 ]; then
		kill -INT "$RUN"
		wait_for 30 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		wait "$RUN" || rc=$?
		[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130: $(cat /tmp/run.err)"
		RUN=
	fi
	barrier ended 120
	# what a move's process left is gone once the service saw it end
	wait_for 60 sh -c '[ -z "$(ls -A /run/mosix/mig 2> /dev/null)" ]' ||
		fail "left in /run/mosix/mig: $(ls -A /run/mosix/mig)"
	job_gone_here
	rm -f /run/mosix/test-pause.*
	barrier done 60
	helper_down
	unload_mosix
}

t_target_killed_mid_stream_leaves_the_job_at_the_source() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up
		start_big_counter killed-in
		id=$(<"$MOSIX_SCRATCH/killed-in.id")
		barrier ready
		migrate_stays "$id" 2 "*"
		still_here "$id"
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=receive MOSCTL_MIG_TEST_PAUSE_S=60
		barrier ready
		kill -KILL "$(paused_pid receive 60)"
		log "the target's move process killed mid-stream"
		;;
	*)
		helper_up
		barrier ready
		;;
	esac
	end_and_check
}

t_link_cut_mid_stream_leaves_the_job_at_the_source() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up
		start_big_counter cut
		id=$(<"$MOSIX_SCRATCH/cut.id")
		barrier ready
		# the source gives up on a stream that does not move for 30 s
		migrate_stays "$id" 2 "*"
		barrier gave-up
		still_here "$id"
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=receive MOSCTL_MIG_TEST_PAUSE_S=3
		barrier ready
		paused_pid receive 60 > /dev/null
		# nothing of node 1 arrives here any more
		tc qdisc add dev eth0 handle ffff: ingress &&
			tc filter add dev eth0 parent ffff: protocol ip prio 1 u32 \
				match ip src 10.99.0.1/32 action drop ||
			fail "cannot cut the link"
		log "the link from node 1 cut mid-stream"
		barrier gave-up 120
		tc qdisc del dev eth0 handle ffff: ingress || fail "cannot mend the link"
		;;
	*)
		helper_up
		barrier ready
		barrier gave-up 120
		;;
	esac
	end_and_check
}

t_a_byte_altered_on_the_way_is_refused_and_the_job_stays() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up MOSCTL_MIG_TEST_FLIP=1000
		start_counter flipped
		id=$(<"$MOSIX_SCRATCH/flipped.id")
		migrate_stays "$id" 2 "*"
		still_here "$id"
		barrier tried
		;;
	2)
		helper_up
		barrier tried
		grep -q "does not verify" "$HLOG" || fail "the target's helper: $(tail -n 5 "$HLOG")"
		;;
	*)
		helper_up
		barrier tried
		;;
	esac
	end_and_check
}

t_source_killed_while_the_job_is_frozen_resumes_it_there() {
	join_all
	local id pid
	case $MOSIX_NODE in
	1)
		helper_up MOSCTL_MIG_TEST_PAUSE=hold MOSCTL_MIG_TEST_PAUSE_S=60
		start_counter frozen
		id=$(<"$MOSIX_SCRATCH/frozen.id")
		"$MOSCTL" migrate "$id" 2 > /tmp/migrate.out 2>&1 &
		pid=$!
		# the images sent, the job frozen, the target holding its copy: the source's
		# process dies; the move is aborted and the job resumes, once
		kill -KILL "$(paused_pid hold 60)"
		log "the source's move process killed with the job frozen"
		wait "$pid" && fail "migrate succeeded: $(cat /tmp/migrate.out)"
		grep -q "stayed on node 1" /tmp/migrate.out || fail "migrate: $(cat /tmp/migrate.out)"
		log "migrate: $(cat /tmp/migrate.out)"
		still_here "$id"
		barrier tried 120
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=restore MOSCTL_MIG_TEST_PAUSE_S=15
		barrier tried 120
		;;
	*)
		helper_up
		barrier tried 120
		;;
	esac
	end_and_check
}

t_target_killed_with_its_copy_held_leaves_the_job_at_the_source() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up
		start_counter held
		id=$(<"$MOSIX_SCRATCH/held.id")
		migrate_stays "$id" 2 "*"
		still_here "$id"
		barrier tried 120
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=restore MOSCTL_MIG_TEST_PAUSE_S=60
		kill -KILL "$(paused_pid restore 120)"
		log "the target's move process killed with the restored copy held"
		barrier tried 120
		grep -q "its restored copy (pid [0-9]*) killed" "$HLOG" ||
			fail "the held copy: $(tail -n 5 "$HLOG")"
		;;
	*)
		helper_up
		barrier tried 120
		;;
	esac
	end_and_check
}

t_source_helper_killed_mid_stream_leaves_the_job_at_the_source() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up
		start_big_counter helper-gone
		id=$(<"$MOSIX_SCRATCH/helper-gone.id")
		"$MOSCTL" migrate "$id" 2 > /tmp/migrate.out 2>&1 &
		local pid=$!
		barrier paused 120
		# the whole service, not its move process: the kernel aborts the move
		kill -KILL "$(<"$HPID")"
		log "the source's helper killed mid-stream"
		wait "$pid" && fail "migrate succeeded: $(cat /tmp/migrate.out)"
		grep -q "stayed on node 1" /tmp/migrate.out || fail "migrate: $(cat /tmp/migrate.out)"
		log "migrate: $(cat /tmp/migrate.out)"
		still_here "$id"
		barrier tried 120
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=receive MOSCTL_MIG_TEST_PAUSE_S=10
		paused_pid receive 120 > /dev/null
		barrier paused 120
		barrier tried 120
		;;
	*)
		helper_up
		barrier paused 120
		barrier tried 120
		;;
	esac
	end_and_check
}

t_a_lost_commit_moves_the_job_once() {
	join_all
	local id
	case $MOSIX_NODE in
	1)
		helper_up
		start_counter lost-commit
		id=$(<"$MOSIX_SCRATCH/lost-commit.id")
		migrate_ok "$id" 2
		job_gone_here
		grows || fail "no output from node 2"
		counter_continuous
		barrier moved 120
		;;
	2)
		helper_up MOSCTL_MIG_TEST_PAUSE=restore MOSCTL_MIG_TEST_PAUSE_S=4
		paused_pid restore 120 > /dev/null
		# node 1's control messages (and gossip) dropped here from now on: its
		# COMMIT is lost; the target asks, and learns the outcome, once they pass
		tc qdisc add dev eth0 handle ffff: ingress &&
			tc filter add dev eth0 parent ffff: protocol ip prio 1 u32 \
				match ip src 10.99.0.1/32 match ip protocol 17 0xff action drop ||
			fail "cannot drop node 1's datagrams"
		wait_for 30 test ! -e /run/mosix/test-pause.restore || fail "the pause does not end"
		sleep 2
		tc qdisc del dev eth0 handle ffff: ingress || fail "cannot mend the link"
		id=$(<"$MOSIX_SCRATCH/lost-commit.id")
		# it runs here once the outcome came through
		wait_for 30 sh -c "$MOSCTL ps --json | jq -e '.[] | select(.id == \"$id\" and .pid != null)' > /dev/null" ||
			fail "the job does not run here: $("$MOSCTL" ps)"
		job_runs_here "$id"
		log "node 2: $(grep '^mig_' "$CFG/stats" | tr '\n' ' ')"
		barrier moved 120
		;;
	*)
		helper_up
		barrier moved 120
		;;
	esac
	# Ctrl-C at home ends it on node 2
	if [ "$MOSIX_NODE" = 1 ]; then
		local rc=0
		kill -INT "$RUN"
		wait_for 30 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		wait "$RUN" || rc=$?
		[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130: $(cat /tmp/run.err)"
		RUN=
		counter_continuous
	fi
	barrier ended 120
	wait_for 60 sh -c '[ -z "$(ls -A /run/mosix/mig 2> /dev/null)" ]' ||
		fail "left in /run/mosix/mig: $(ls -A /run/mosix/mig)"
	job_gone_here
	barrier done 60
	helper_down
	unload_mosix
}
