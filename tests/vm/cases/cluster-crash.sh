# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Node 2's guest dies outright (an immediate reset, no reboot notifier, no leave
# notice): nodes 1 and 3 mark it down once its information is older than the maximum
# age, and never report it leaving. In make check it runs at the end of the 3-node boot
# (before cluster-poweroff.sh, which powers node 3 off with node 2 dead).
# shellcheck disable=SC2034 # read by run-vm.sh and tests/check.sh
NODES_REQUIRED=3
ENDS_GUEST=1
ENDS_NODE=2
CASE_TIMEOUT=120
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

t_dead_node2_is_marked_down_by_age() {
	join_all
	if [ "$MOSIX_NODE" = "$ENDS_NODE" ]; then
		end_guest crash
	fi
	wait_ending "$ENDS_NODE"
	wait_for 30 status_in "$ENDS_NODE" "down leaving" ||
		fail "node $ENDS_NODE still $(node_field "$ENDS_NODE" status) here"
	status_is "$ENDS_NODE" down || fail "a dead node reported $(node_field "$ENDS_NODE" status), not down"
	unload_mosix
}
