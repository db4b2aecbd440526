# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# mosctl expel and bring on a 3-node cluster (openMosix's verbs): node 2 holds three
# guests (two from node 1, one from node 3); expel, interrupted by Ctrl-C during its
# first move, moves that one and leaves the others running here; a second expel sends
# them home. A guest whose home refuses goes to the other node; one that no node takes
# stays, running; bring calls a job home, even to a home that blocks guests. Every
# counter's output at home stays 0, 1, 2, ... across it all.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
# the CLI's loop over moves that cluster-criu.sh tests on the debug kernel (make
# debug-check runs this there too: a move takes minutes on it)
DEBUG_KERNEL=debug-check
CASE_TIMEOUT=420

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
source "$MOSIX_TOP/tests/vm/criu-lib.sh"

# shellcheck disable=SC2016 # (the job's own script)
COUNTER='i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done'

# guests_here: how many guests run on this node (ps: home elsewhere, where here)
guests_here() {
	"$MOSCTL" ps --json | jq --argjson me "$MOSIX_NODE" \
		'[.[] | select(.home != $me and .where == $me and .state != "exited")] | length'
}

# start_guest NAME [CMD...]: a job of nobody's (CMD, or a counter) started here that
# moves to node 2 at once (mosctl run --node 2); its output in /tmp/NAME.out, mosctl
# run's pid in RUN_NAME
start_guest() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- sh -c "$COUNTER"
	OUT=/tmp/$name.out RUN_NODE=2 start_job "$name" "$@"
	printf -v "RUN_$name" %s "$RUN"
	local id
	id=$(<"$MOSIX_SCRATCH/$name.id")
	wait_for 60 sh -c "[ \"\$($MOSCTL ps --json | jq -r '.[] | select(.id == \"$id\") | (.where | tostring) + .state')\" = 2running ]" ||
		fail "job $name ($id) is not running on node 2: $("$MOSCTL" ps) $(cat /tmp/run.err)"
}

# home_checks NAME: job NAME (started here) runs here again, its output continuous
home_checks() {
	local id
	id=$(<"$MOSIX_SCRATCH/$1.id")
	job_runs_here "$id"
	OUT=/tmp/$1.out grows || fail "no output from job $1 back home"
	OUT=/tmp/$1.out counter_continuous
}

# end_run NAME: Ctrl-C to job NAME's mosctl run; it ends with 130
end_run() {
	local v="RUN_$1" rc=0
	kill -INT "${!v}"
	wait_for 30 sh -c "! kill -0 ${!v} 2> /dev/null" || fail "mosctl run of $1 goes on after SIGINT"
	wait "${!v}" || rc=$?
	[ "$rc" = 130 ] || fail "mosctl run of $1 exited $rc, not 130"
}

# verb WHAT CMD...: mosctl CMD; its output (stderr too) in out, its exit status in rc,
# both logged as WHAT
verb() {
	local what=$1
	shift
	rc=0
	out=$("$MOSCTL" "$@" 2>&1) || rc=$?
	log "$what: exit $rc: $(tr '\n' '|' <<< "$out")"
}

# no guest's process is stopped here (the frozen source of a move resumed)
none_stopped() {
	local p
	for p in $(pgrep -u 65534); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2> /dev/null)" != T ] ||
			fail "process $p of nobody is stopped: $(pgrep -a -u 65534)"
	done
}

t_expel_sends_the_guests_home_and_ctrl_c_stops_it_after_the_move_under_way() {
	join_all
	helper_up
	# (every node's helper up before a job moves anywhere)
	barrier helpers 60
	local out rc pid
	case $MOSIX_NODE in
	1)
		start_guest a
		start_guest b
		barrier started-1 120
		barrier started 120
		barrier expelled 300
		home_checks a
		home_checks b
		end_run a
		end_run b
		;;
	3)
		barrier started-1 120
		start_guest c
		barrier started 120
		barrier expelled 300
		home_checks c
		end_run c
		;;
	2)
		barrier started-1 120
		barrier started 120
		[ "$(guests_here)" = 3 ] || fail "not 3 guests here: $("$MOSCTL" ps)"
		# Ctrl-C while the first move is under way: that move ends, no other starts
		"$MOSCTL" expel > /tmp/expel.out 2>&1 &
		pid=$!
		wait_for 60 sh -c "$MOSCTL ps --json | jq -e 'any(.[]; .state == \"migrating\")' > /dev/null" ||
			fail "no move under way: $(cat /tmp/expel.out)"
		kill -INT "$pid"
		rc=0
		wait "$pid" || rc=$?
		out=$(</tmp/expel.out)
		log "expel, interrupted: $(tr '\n' '|' <<< "$out")"
		[ "$rc" = 1 ] || fail "an interrupted expel exited $rc: $out"
		[ "$(grep -c ' moved from node 2 to node [13] ' <<< "$out")" = 1 ] || fail "not one move: $out"
		grep -qx "expel: 1 of 3 moved, 2 not tried (interrupted)" <<< "$out" || fail "the summary: $out"
		grep -qx "node 2 takes no new guests (mosctl noblock undoes it)" <<< "$out" || fail "no block line: $out"
		[ "$(<"$CFG/block")" = 1 ] || fail "expel did not block guests"
		[ "$(guests_here)" = 2 ] || fail "not 2 guests left here: $("$MOSCTL" ps)"
		none_stopped
		# the rest
		verb "expel" expel
		[ "$rc" = 0 ] || fail "expel exited $rc: $out"
		[ "$(grep -c ' moved from node 2 to node [13] ' <<< "$out")" = 2 ] || fail "not two moves: $out"
		grep -qx "expel: 2 of 2 moved" <<< "$out" || fail "the summary: $out"
		[ "$(guests_here)" = 0 ] || fail "guests left here: $("$MOSCTL" ps)"
		RUN='' job_gone_here
		out=$("$MOSCTL" expel 2>&1) || fail "expel with no guests failed: $out"
		grep -qx "expel: no guests here" <<< "$out" || fail "expel with no guests: $out"
		write_expect "$CFG/block" 0 OK
		barrier expelled 300
		;;
	esac
	barrier done 60
	helper_down
	unload_mosix
}

t_a_guest_goes_where_it_is_taken_or_stays_and_bring_calls_it_home() {
	join_all
	helper_up
	barrier helpers 60
	local id out rc max_mb
	case $MOSIX_NODE in
	1)
		# (8 MiB: more than this home's bound below takes back)
		# shellcheck disable=SC2016 # (the job's own script)
		start_guest d perl -e '$| = 1; my $x = "a" x (8 << 20);
			for (my $i = 0; ; $i++) { print "$i\n"; select(undef, undef, undef, 0.1) }'
		id=$(<"$MOSIX_SCRATCH/d.id")
		max_mb=$(<"$CFG/mig_max_image_mb")
		write_expect "$CFG/mig_max_image_mb" 4 OK
		barrier on-2 120
		barrier to-3 300
		[ "$(job_field "$id" where)" = 3 ] || fail "home's ps: $("$MOSCTL" ps)"
		# back to node 2, then no node takes it
		migrate_ok "$id" 2
		barrier on-2-again 120
		barrier blocked-3 60
		barrier stayed 300
		OUT=/tmp/d.out grows || fail "job d's output stopped on node 2"
		OUT=/tmp/d.out counter_continuous
		# bring: home takes its own job back though it blocks guests
		write_expect "$CFG/mig_max_image_mb" "$max_mb" OK
		write_expect "$CFG/block" 1 OK
		verb "bring" bring
		[ "$rc" = 0 ] || fail "bring exited $rc: $out"
		grep -q "^job $id moved from node 2 to node 1 " <<< "$out" || fail "bring: $out"
		grep -qx "bring: 1 of 1 moved" <<< "$out" || fail "bring's summary: $out"
		home_checks d
		out=$("$MOSCTL" bring 2>&1) || fail "bring with every job home failed: $out"
		grep -qx "bring: no jobs of this node elsewhere" <<< "$out" || fail "bring again: $out"
		write_expect "$CFG/block" 0 OK
		end_run d
		barrier brought 300
		;;
	2)
		barrier on-2 120
		id=$(<"$MOSIX_SCRATCH/d.id")
		# home refuses (too big for it): the other node takes it
		verb "expel" expel
		[ "$rc" = 0 ] || fail "expel exited $rc: $out"
		grep -q "^job $id stayed on node 2: the job is larger than node 1 takes" <<< "$out" || fail "no refusal by home: $out"
		grep -q "^job $id moved from node 2 to node 3 " <<< "$out" || fail "not moved to 3: $out"
		write_expect "$CFG/block" 0 OK
		barrier to-3 300
		barrier on-2-again 120
		# node 3 blocks, home still refuses: it stays, running
		barrier blocked-3 60
		verb "expel, nobody takes it" expel
		[ "$rc" = 1 ] || fail "expel exited $rc: $out"
		grep -q "^job $id stays here: no node took it$" <<< "$out" || fail "no stay line: $out"
		grep -qx "expel: 0 of 1 moved, 1 stayed" <<< "$out" || fail "the summary: $out"
		job_runs_here "$id"
		none_stopped
		write_expect "$CFG/block" 0 OK
		barrier stayed 300
		barrier brought 300
		RUN='' job_gone_here
		;;
	3)
		barrier on-2 120
		barrier to-3 300
		barrier on-2-again 120
		write_expect "$CFG/block" 1 OK
		barrier blocked-3 60
		barrier stayed 300
		write_expect "$CFG/block" 0 OK
		barrier brought 300
		;;
	esac
	barrier done 60
	helper_down
	unload_mosix
}
