# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Jobs really moving, on a 3-node cluster: `mosctl helper` on every node is the
# migration helper (criu dump at the source, the images streamed encrypted over TCP,
# criu restore at the target), and the job's stdio follows it home through the relay.
# A counter started with `mosctl run` on node 1 moves 1 -> 2 -> 3 -> home: its output at
# home stays 0, 1, 2, ... (no gap, no repeat), on each node it runs in a PID namespace
# of its own and is gone from the one it left, `mosctl ps` shows where it is, and Ctrl-C
# to the home `mosctl run` ends it (exit 130). Failed moves leave it where it was.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=420

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
HLOG=$MOSIX_SCRATCH/criu-helper.$MOSIX_NODE.log
HPID=$MOSIX_SCRATCH/criu-helper.$MOSIX_NODE.pid
OUT=/tmp/counter.out

# the node's helper, registered as its migration helper with a working criu
helper_up() {
	helper_down
	# criu check wants these (notes/migration.md)
	modprobe nf_tables 2> /dev/null
	ip link set lo up
	MOSCTL_MIG_DEBUG=1 setsid "$MOSCTL" helper >> "$HLOG" 2>&1 < /dev/null &
	echo $! > "$HPID"
	wait_for 60 grep -q "helper port=7311 criu=[01]" "$CFG/daemons" ||
		fail "no migration helper: $(<"$CFG/daemons") $(<"$HLOG")"
	# bookworm's criu 3.17 fails its check on 6.13 and later (criu#2532): those
	# kernels need trixie's criu 4.1 in a trixie userspace, which these guests lack
	if ! grep -q "helper port=7311 criu=1" "$CFG/daemons"; then
		case $(uname -r) in
		*-mosix-debug)
			# (its allnoconfig base lacks what criu checks for: hugetlbfs first)
			skip "criu cannot run on the debug kernel's minimal config: $(grep -m1 Error "$HLOG")" ;;
		6.[0-9].* | 6.1[0-2].*) fail "criu does not work here: $(<"$HLOG")" ;;
		*) skip "bookworm's criu $(criu --version | sed -n 's/Version: //p') cannot run on $(uname -r) (needs trixie's criu 4.1)" ;;
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

# the counter's output so far is 0..N-1, in order, nothing missing or twice
counter_continuous() {
	awk 'NR - 1 != $1 { print "line " NR " is " $1; bad = 1; exit } END { exit bad }' "$OUT" ||
		fail "output not continuous: $(awk 'NR - 1 != $1 { print NR ": " $1; exit }' "$OUT")"
}
lines() { wc -l < "$OUT"; }
grows() { local n; n=$(lines); wait_for 20 sh -c "[ \$(wc -l < $OUT) -gt $((n + 3)) ]"; }

t_a_counter_moves_1_2_3_home_with_continuous_output() {
	join_all
	helper_up
	local id run
	case $MOSIX_NODE in
	1)
		cd / || fail "no /"
		# shellcheck disable=SC2016 # (the job's own script)
		dfl $AS_NOBODY "$MOSCTL" run --name counter -- \
			sh -c 'i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done' > "$OUT" 2> /tmp/run.err &
		run=$!
		RUN=$run
		wait_for 20 sh -c "[ \$(wc -l < $OUT) -gt 5 ]" || fail "the counter does not count: $(cat /tmp/run.err)"
		id=$("$MOSCTL" ps --json | jq -r '.[] | select(.name == "counter") | .id')
		echo "$id" > "$MOSIX_SCRATCH/counter.id"
		job_runs_here "$id"
		migrate_ok "$id" 2
		job_gone_here
		[ "$(job_field "$id" where)" = 2 ] || fail "home's ps: $("$MOSCTL" ps)"
		grows || fail "no output from node 2"
		counter_continuous
		barrier on-2
		barrier on-3 120
		# home knows where its job is, though it did not take part in that move
		wait_for 10 sh -c "[ \"\$($MOSCTL ps --json | jq -r '.[] | select(.id == \"$id\") | .where')\" = 3 ]" ||
			fail "home's ps after the move to 3: $("$MOSCTL" ps)"
		[ "$(job_field "$id" state)" = running ] || fail "home's ps: $("$MOSCTL" ps)"
		barrier home 120
		job_runs_here "$id"
		grows || fail "no output back home"
		counter_continuous
		kill -INT "$run"
		local rc=0
		wait_for 30 sh -c "! kill -0 $run 2> /dev/null" ||
			fail "mosctl run goes on after SIGINT: $(tail -n 5 "$HLOG")"
		wait "$run" || rc=$?
		[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130: $(cat /tmp/run.err)"
		RUN=
		job_gone_here
		counter_continuous
		log "the counter counted to $(tail -n 1 "$OUT") over 3 moves"
		;;
	2)
		barrier on-2
		id=$(<"$MOSIX_SCRATCH/counter.id")
		job_runs_here "$id"
		[ "$(job_field "$id" home)" = 1 ] || fail "the guest's home: $("$MOSCTL" ps)"
		migrate_ok "$id" 3
		job_gone_here
		barrier on-3 120
		barrier home 120
		;;
	3)
		barrier on-2
		barrier on-3 120
		id=$(<"$MOSIX_SCRATCH/counter.id")
		job_runs_here "$id"
		migrate_ok "$id" home
		job_gone_here
		barrier home 120
		;;
	esac
	barrier done 60
	helper_down
	unload_mosix
}

# start_job NAME CMD...: CMD as nobody's job through mosctl run on this node, its
# output in $OUT; sets RUN (mosctl run's pid) and prints nothing; the id in $MOSIX_SCRATCH/NAME.id
start_job() {
	local name=$1
	shift
	cd / || fail "no /"
	: > "$OUT"
	dfl $AS_NOBODY "$MOSCTL" run --name "$name" -- "$@" > "$OUT" 2> /tmp/run.err &
	RUN=$!
	wait_for 20 sh -c "[ \$(wc -l < $OUT) -gt 2 ]" || fail "job $name says nothing: $(cat /tmp/run.err)"
	"$MOSCTL" ps --json | jq -r --arg n "$name" '.[] | select(.name == $n and .state == "running") | .id' \
		> "$MOSIX_SCRATCH/$name.id"
	[ -s "$MOSIX_SCRATCH/$name.id" ] || fail "no job $name in ps: $("$MOSCTL" ps)"
}

t_a_job_ending_elsewhere_delivers_its_status_home() {
	join_all
	helper_up
	local id rc=0
	case $MOSIX_NODE in
	1)
		# shellcheck disable=SC2016 # (the job's own script)
		start_job ender sh -c 'i=0; while [ $i -lt 60 ]; do echo $i; i=$((i + 1)); sleep 0.1; done; exit 7'
		id=$(<"$MOSIX_SCRATCH/ender.id")
		migrate_ok "$id" 2
		wait_for 60 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		wait "$RUN" || rc=$?
		[ "$rc" = 7 ] || fail "mosctl run exited $rc, not 7: $(cat /tmp/run.err)"
		[ "$(lines)" = 60 ] || fail "$(lines) lines, not 60"
		counter_continuous
		[ "$(job_field "$id" state) $(job_field "$id" wait_status)" = "exited 1792" ] ||
			fail "home's ps: $("$MOSCTL" ps --json)"
		RUN=
		barrier ended
		;;
	*)
		barrier ended
		id=$(<"$MOSIX_SCRATCH/ender.id")
		if [ "$MOSIX_NODE" = 2 ]; then
			wait_for 10 sh -c "[ \"\$($MOSCTL ps --json | jq -r '.[] | select(.id == \"$id\") | .state')\" = exited ]" ||
				fail "the guest's end here: $("$MOSCTL" ps --json)"
		fi
		;;
	esac
	job_gone_here
	barrier done 60
	helper_down
	unload_mosix
}

t_a_failed_restore_leaves_the_job_running_at_the_source() {
	join_all
	helper_up
	local id out rc=0
	case $MOSIX_NODE in
	1)
		# a file only node 1 has: criu dumps it, node 2 cannot open it again
		echo here > /tmp/only-on-1
		chmod 644 /tmp/only-on-1
		# shellcheck disable=SC2016 # (the job's own script)
		start_job holder sh -c 'exec 3< /tmp/only-on-1; i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done'
		id=$(<"$MOSIX_SCRATCH/holder.id")
		out=$("$MOSCTL" migrate "$id" 2 2>&1) || rc=$?
		[ "$rc" = 1 ] && [[ $out == *"stayed on node 1"*"restore"* ]] ||
			fail "migrate: exit $rc: $out"
		log "migrate $id 2: $out"
		job_runs_here "$id"
		grows || fail "the job does not go on here"
		counter_continuous
		[ "$(stat_of mig_stayed)" -ge 1 ] || fail "mig_stayed $(stat_of mig_stayed)"
		kill -TERM "$RUN"
		wait_for 30 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		wait "$RUN" || rc=$?
		[ "$rc" = 143 ] || fail "mosctl run exited $rc, not 143"
		RUN=
		barrier tried
		;;
	*)
		barrier tried
		;;
	esac
	# nothing left: no copy, no stopped process, no images, on either node
	job_gone_here
	barrier done 60
	helper_down
	unload_mosix
}

t_a_64_MiB_job_moves_with_its_memory_intact() {
	join_all
	helper_up
	local id before after
	case $MOSIX_NODE in
	1)
		# shellcheck disable=SC2016 # (the job's own script)
		# (64 MiB in one string, every page touched with its own byte: no temporaries)
		start_job big perl -MDigest::MD5=md5_hex -e '$| = 1; my $x = "a" x (64 << 20);
			for (my $i = 0; $i < length $x; $i += 4096) { substr($x, $i, 1) = chr(($i >> 12) & 255) }
			while (1) { print length($x), " ", md5_hex($x), "\n"; sleep 1 }'
		id=$(<"$MOSIX_SCRATCH/big.id")
		before=$(tail -n 1 "$OUT")
		[[ $before == "67108864 "* ]] || fail "the job says $before"
		migrate_ok "$id" 2
		grows || fail "no output from node 2"
		after=$(tail -n 1 "$OUT")
		[ "$before" = "$after" ] || fail "memory changed: $before, then $after"
		[ "$(sort -u "$OUT" | wc -l)" = 1 ] || fail "differing lines: $(sort -u "$OUT")"
		kill -INT "$RUN"
		wait_for 30 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		RUN=
		barrier moved 120
		;;
	*)
		barrier moved 120
		;;
	esac
	job_gone_here
	barrier done 60
	helper_down
	unload_mosix
}
