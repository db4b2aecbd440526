# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Node 3's guest dies outright (an immediate reset, no reboot notifier, no leave
# notice): nodes 1 and 2 mark it down once its information is older than the maximum
# age, and never report it leaving.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
ENDS_GUEST=1
CASE_TIMEOUT=120
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

t_dead_node3_is_marked_down_by_age() {
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		end_guest crash
	fi
	wait_ending 3
	wait_for 30 status_in 3 "down leaving" || fail "node 3 still $(node_field 3 status) here"
	status_is 3 down || fail "a dead node reported $(node_field 3 status), not down"
	unload_mosix
}
