# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `poweroff -f` of node 3 while up, after a shutdown that failed and rolled back: its
# reboot notifier (registered again by the rollback) sends the leave notice without
# waiting on anyone, and nodes 1 and 2 see it leaving.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=120
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
# ticks of 1 s: without a notice node 3 would stay up for 11 s, then show down; only
# the notice shows it leaving earlier (running poweroff itself takes a while here)
INTERVAL=1000

t_poweroff_after_a_rollback_still_sends_the_leave_notice() {
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		echo notifier > /sys/module/mosix/parameters/fault_stage
		write_expect "$CFG/pe" 0 EIO
		[ "$(cat "$CFG/state")" = up ] || fail "not up after the rollback"
		barrier rolled-back
		barrier seen-up
		end_guest poweroff
	fi
	barrier rolled-back
	# the rollback announced a new epoch: up again, not the first notice's leaving
	wait_for 15 status_is 3 up || fail "node 3 not up again after its rollback: $(node_field 3 status)"
	barrier seen-up
	wait_ending 3
	wait_for 8 status_is 3 leaving ||
		fail "node 3 still $(node_field 3 status) here: $(cat "$CFG/stats"; dmesg | tail -n 5)"
	unload_mosix
}
