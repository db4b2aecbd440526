# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Node 2's guest dies outright (an immediate reset, no reboot notifier, no leave
# notice): nodes 1 and 3 mark it down once its information is older than the maximum
# age, and never report it leaving. In make check it runs at the end of the 3-node boot
# (before cluster-poweroff.sh, which powers node 3 off with node 2 dead).
# Where criu works, node 1's job runs on node 2 when it dies: the job is lost with
# its node, and its home `mosctl run` says so and ends (137, as killed) instead of
# waiting for ever.
# shellcheck disable=SC2034 # read by run-vm.sh and tests/check.sh
NODES_REQUIRED=3
ENDS_GUEST=1
ENDS_NODE=2
CASE_TIMEOUT=240
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
source "$MOSIX_TOP/tests/vm/criu-lib.sh"

t_dead_node2_is_marked_down_by_age_and_its_guest_lost_at_home() {
	join_all
	local id rc=0 moved=$MOSIX_SCRATCH/crash-job.moved
	# (the job's part only where criu works on nodes 1 and 2: not on the debug kernel)
	case $MOSIX_NODE in
	1 | 2)
		if (helper_up) > /dev/null 2>&1 && grep -q "criu=1" "$CFG/daemons"; then
			: > "$MOSIX_SCRATCH/crash-criu.$MOSIX_NODE"
		fi
		;;
	esac
	barrier helpers
	if [ "$MOSIX_NODE" = 1 ] && [ -e "$MOSIX_SCRATCH/crash-criu.1" ] && [ -e "$MOSIX_SCRATCH/crash-criu.2" ]; then
		# shellcheck disable=SC2016 # (the job's own script)
		start_job crashjob sh -c 'i=0; while :; do echo $i; i=$((i + 1)); sleep 0.1; done'
		id=$(<"$MOSIX_SCRATCH/crashjob.id")
		migrate_ok "$id" 2
		grows || fail "no output from node 2"
		: > "$moved"
	fi
	barrier moved 120
	if [ "$MOSIX_NODE" = "$ENDS_NODE" ]; then
		end_guest crash
	fi
	wait_ending "$ENDS_NODE"
	wait_for 30 status_in "$ENDS_NODE" "down leaving" ||
		fail "node $ENDS_NODE still $(node_field "$ENDS_NODE" status) here"
	status_is "$ENDS_NODE" down || fail "a dead node reported $(node_field "$ENDS_NODE" status), not down"
	if [ "$MOSIX_NODE" = 1 ] && [ -e "$moved" ]; then
		# (keepalive ends the relay's connection in 20 s; then 15 s more of down)
		wait_for 90 sh -c "! kill -0 $RUN 2> /dev/null" ||
			fail "mosctl run still waits for a job on a dead node: $(tail -n 5 "$HLOG")"
		wait "$RUN" || rc=$?
		[ "$rc" = 137 ] || fail "mosctl run exited $rc, not 137: $(cat /tmp/run.err)"
		grep -q "job $id is lost: node 2, where it ran, is down" /tmp/run.err ||
			fail "mosctl run did not say the job was lost: $(cat /tmp/run.err)"
		[ "$(job_field "$id" state)" = exited ] || fail "home's ps after the loss: $("$MOSCTL" ps)"
		grep -q "job $id is lost" "$HLOG" || fail "the helper's log does not say the job was lost"
		RUN=
		job_gone_here
		log "job $id: lost with node 2, mosctl run said so and exited $rc"
	fi
	helper_down
	unload_mosix
}
