# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Three guests on one vde_switch reach each other over IPv4 and IPv6.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3

t_nodes_ping_each_other() {
	local n
	[ "$MOSIX_NODES" -ge 3 ] || fail "needs 3 nodes, have $MOSIX_NODES"
	ip -4 addr show dev eth0 | grep -q "inet 10.99.0.$MOSIX_NODE/24" || fail "eth0 has no 10.99.0.$MOSIX_NODE/24"
	barrier addresses-up
	for n in $(seq "$MOSIX_NODES"); do
		[ "$n" = "$MOSIX_NODE" ] && continue
		wait_for 20 busybox ping -c 1 -W 1 "10.99.0.$n" > /dev/null ||
			fail "node$MOSIX_NODE cannot ping 10.99.0.$n"
		wait_for 20 busybox ping -6 -c 1 -W 1 "fd99::$n" > /dev/null ||
			fail "node$MOSIX_NODE cannot ping fd99::$n"
		log "reached node$n over IPv4 and IPv6"
	done
	# nobody leaves (and powers off) while a peer may still ping it
	barrier pings-done
}
