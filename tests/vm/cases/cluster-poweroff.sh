# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `poweroff -f` of node 3 while up: its reboot notifier sends the leave notice (without
# waiting on anyone) and nodes 1 and 2 see it leaving within two ticks.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=120
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

t_poweroff_of_node3_is_seen_leaving_within_two_ticks() {
	join
	barrier up
	local n
	for n in $(others); do wait_for 15 status_is "$n" up || fail "node $n never up"; done
	barrier all-up
	if [ "$MOSIX_NODE" = 3 ]; then
		end_guest poweroff
	fi
	# two ticks plus the time one mosctl call takes in an emulated guest
	wait_for 3 status_in 3 "leaving down" || fail "node 3 still $(node_field 3 status) here"
	unload_mosix
}
