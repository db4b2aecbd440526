# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `poweroff -f` of node 3 while up, after a shutdown that failed after the notifier
# stage and rolled back: its reboot notifier (registered again by the rollback) sends
# the leave notice to the peers of its table without waiting on anyone, within about
# 100 ms, and the peers still up see it leaving; they read node 3's console to the end
# for any kernel splat. In make check it runs last in the 3-node boot, after
# cluster-crash.sh has killed node 2: node 1 alone sees node 3 go, and the notice still
# goes to both peers of the table.
# shellcheck disable=SC2034 # read by run-vm.sh and tests/check.sh
NODES_REQUIRED=3
ENDS_GUEST=1
ENDS_NODE=3
CASE_TIMEOUT=120
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
# ticks of 1 s: without a notice node 3 would stay up for 11 s, then show down; only
# the notice shows it leaving earlier (running poweroff itself takes a while here)
INTERVAL=1000

t_poweroff_after_a_rollback_still_sends_the_leave_notice() {
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		# daemons comes after notifier in the shutdown: its failure re-registers it;
		# a stalled info daemon holds the quiesce 8 s, so the peers see the leaving
		local p=/sys/module/mosix/parameters
		echo daemons > $p/fault_stage
		echo info > $p/fault_stall
		# (not a child of this shell: its end would be a SIGCHLD to the writer,
		# and a signal aborts the shutdown with EINTR)
		setsid -f sh -c "sleep 8; echo > $p/fault_stall"
		write_expect "$CFG/pe" 0 EIO
		wait_for 10 sh -c "[ -z \"\$(cat $p/fault_stall)\" ]" || fail "fault_stall still $(<$p/fault_stall)"
		[ "$(<"$CFG/state")" = up ] || fail "not up after the rollback"
		[ "$(<"$CFG/last_shutdown")" = "rolled-back stage=daemons error=EIO" ] ||
			fail "last_shutdown $(<"$CFG/last_shutdown")"
		barrier rolled-back
		barrier seen-up
		# the reboot path's own line must reach the console the peers read
		dmesg -n 8
		end_guest poweroff
	fi
	# the withdraw went out before the failure: leaving, then up again in a new epoch
	wait_for 15 status_is 3 leaving || fail "node 3 never seen leaving: $(node_field 3 status)"
	barrier rolled-back
	wait_for 15 status_is 3 up || fail "node 3 not up again after its rollback: $(node_field 3 status)"
	barrier seen-up
	wait_ending 3
	wait_for 8 status_is 3 leaving ||
		fail "node 3 still $(node_field 3 status) here: $(cat "$CFG/stats"; dmesg | tail -n 5)"
	local con=$MOSIX_SCRATCH/console.node3.log line us
	wait_for 30 grep -q 'reboot: Power down' "$con" || fail "node 3 never powered down: $(tail -n 5 "$con")"
	! grep -E 'BUG:|WARNING:|Oops|Call Trace|sleeping function called' "$con" ||
		fail "node 3's console has a kernel splat"
	line=$(grep -o 'leave notice sent on reboot to [0-9]* peers in [0-9]* us' "$con") ||
		fail "no reboot line on node 3's console"
	log "node 3: $line"
	us=$(awk '{print $(NF - 1)}' <<<"$line")
	[ "$(awk '{print $7}' <<<"$line")" -ge 2 ] || fail "notice sent to fewer than 2 peers: $line"
	# (a bound that catches a notifier waiting on something, not a benchmark: 150 ms,
	# times the run's time scale on a slow kernel, where it measured 179 ms under load)
	time_scale_init
	[ "$us" -le $((150000 * MOSIX_TIME_SCALE)) ] ||
		fail "the reboot path took $us us (bound $((150000 * MOSIX_TIME_SCALE)) us)"
	unload_mosix
}
