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
# on the debug kernel only in make debug-check: each move there takes minutes (the
# counter's three moves: 242 s against 36 s on the stock 6.12; these files' 13 cases
# would take about 45 minutes of make check's 2-core machine)
DEBUG_KERNEL=debug-check
CASE_TIMEOUT=420

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
source "$MOSIX_TOP/tests/vm/criu-lib.sh"

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

# mosctl migrate at home of a job that runs elsewhere: home asks that node, which
# moves it and says how it went; another user cannot; another node cannot ask
t_home_moves_its_job_wherever_it_runs() {
	join_all
	# (node 3's restores pause 2 s, so that the move 2 -> 3 lasts past the second after
	# which mosctl migrate draws its progress: on an idle host it took 1.0 s)
	if [ "$MOSIX_NODE" = 3 ]; then
		helper_up MOSCTL_MIG_TEST_PAUSE=restore MOSCTL_MIG_TEST_PAUSE_S=2
	else
		helper_up
	fi
	local id out rc
	case $MOSIX_NODE in
	1)
		# shellcheck disable=SC2016 # (the job's own script)
		start_job roamer sh -c 'i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done'
		id=$(<"$MOSIX_SCRATCH/roamer.id")
		migrate_ok "$id" 2
		grows || fail "no output from node 2"
		# from home, while it runs on node 2, on a terminal (script's pty): the
		# progress node 2 sends home (PROGRESS messages) shows there as the move's
		migrate_on_tty "$id" 3
		grep -q "moved from node 2 to node 3" <<< "$TTY_OUT" || fail "migrate from home said: $TTY_OUT"
		grep -Eq "^.\[Kjob $id: (dumping|streaming [0-9.]+ of [0-9.]+ [KM]iB.*|restoring) \([1-9][0-9]*\.[0-9] s\)" <<< "$TTY_OUT" ||
			fail "no progress line at home: $TTY_OUT"
		# home's events: the move's progress, dumping first, the stream's bytes all sent
		jq -e -s --arg id "$id" 'map(select(.event == "mig-progress" and .job == $id)) |
			length > 0 and (.[0].phase == "dumping") and
			(map(select(.phase == "restoring" and .done_bytes == .total_bytes and
				.total_bytes > 0)) | length) == 1' /tmp/events.json > /dev/null ||
			fail "home's mig-progress events: $(grep mig-progress /tmp/events.json | head -n 20)"
		wait_for 10 sh -c "[ \"\$($MOSCTL ps --json | jq -r '.[] | select(.id == \"$id\") | .where')\" = 3 ]" ||
			fail "home's ps after the move 2 -> 3: $("$MOSCTL" ps)"
		grows || fail "no output from node 3"
		counter_continuous
		: > "$MOSIX_SCRATCH/roamer.on3"
		barrier on-3 120
		# not another user's to move, from home either
		rc=0
		out=$(setpriv --reuid=1 --regid=1 --clear-groups "$MOSCTL" migrate "$id" 2 2>&1) || rc=$?
		[ "$rc" = 1 ] && [[ $out == *"another user's"* ]] ||
			fail "another user's migrate from home: exit $rc: $out"
		barrier other-asked 60
		migrate_ok "$id" home
		job_runs_here "$id"
		grows || fail "no output back home"
		counter_continuous
		kill -INT "$RUN"
		wait_for 30 sh -c "! kill -0 $RUN 2> /dev/null" || fail "mosctl run goes on after SIGINT"
		rc=0
		wait "$RUN" || rc=$?
		[ "$rc" = 130 ] || fail "mosctl run exited $rc, not 130: $(cat /tmp/run.err)"
		RUN=
		counter_continuous
		;;
	2)
		barrier on-3 120
		# node 2 is not the job's home, and the job left: nothing to ask
		id=$(<"$MOSIX_SCRATCH/roamer.id")
		rc=0
		out=$("$MOSCTL" migrate "$id" 1 2>&1) || rc=$?
		[ "$rc" = 1 ] && [[ $out == *"no such job"* ]] ||
			fail "migrate of a job that left, from node 2: exit $rc: $out"
		barrier other-asked 60
		;;
	3)
		barrier on-3 120
		id=$(<"$MOSIX_SCRATCH/roamer.id")
		job_runs_here "$id"
		barrier other-asked 60
		;;
	esac
	job_gone_here
	barrier done 120
	helper_down
	unload_mosix
}

t_a_job_ending_elsewhere_delivers_its_status_home() {
	join_all
	helper_up
	# (node 2's helper up before the job moves there at once)
	barrier helpers 60
	local id rc=0
	case $MOSIX_NODE in
	1)
		# started with mosctl run --node 2: it moves there at once, stderr says so
		# shellcheck disable=SC2016 # (the job's own script)
		RUN_NODE=2 start_job ender sh -c 'i=0; while [ $i -lt 150 ]; do echo $i; i=$((i + 1)); sleep 0.1; done; exit 7'
		id=$(<"$MOSIX_SCRATCH/ender.id")
		wait_for 30 grep -q "^mosctl: job $id moved from node 1 to node 2 (" /tmp/run.err ||
			fail "run --node 2: $(cat /tmp/run.err)"
		[ "$(job_field "$id" where)" = 2 ] || fail "home's ps after run --node 2: $("$MOSCTL" ps)"
		wait_for 60 sh -c "! kill -0 $RUN 2> /dev/null" || fail "the job does not end"
		wait "$RUN" || rc=$?
		[ "$rc" = 7 ] || fail "mosctl run exited $rc, not 7: $(cat /tmp/run.err)"
		[ "$(lines)" = 150 ] || fail "$(lines) lines, not 150"
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
		# on a terminal (script's pty), migrate shows the move's progress; the
		# kernel's mig-progress events carry it
		migrate_on_tty "$id" 2
		grep -q "moved from node 1 to node 2" <<< "$TTY_OUT" || fail "migrate: $TTY_OUT"
		grep -Eq "^.\[Kjob $id: (dumping|streaming [0-9.]+ of 6[4-9]\.[0-9] MiB.*|restoring) \([1-9][0-9]*\.[0-9] s\)" <<< "$TTY_OUT" ||
			fail "no progress line: $TTY_OUT"
		# the stream's progress, from 0 to all of the images (64 MiB and more)
		jq -e -s --arg id "$id" 'map(select(.event == "mig-progress" and .job == $id)) |
			(map(select(.phase == "streaming" and .done_bytes == 0)) | length) == 1 and
			(map(select(.phase == "restoring" and .done_bytes == .total_bytes and
				.total_bytes >= 67108864)) | length) == 1 and
			(.[0].phase == "dumping")' /tmp/events.json > /dev/null ||
			fail "mig-progress events: $(grep mig-progress /tmp/events.json | head -n 20)"
		log "$(grep -c mig-progress /tmp/events.json) mig-progress events"
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
