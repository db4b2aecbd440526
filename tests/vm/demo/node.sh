# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What `make demo` runs: three guests form a cluster; node 1 narrates what it sees.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=240

out() { [ "$MOSIX_NODE" = 1 ] && cat >> "$MOSIX_SCRATCH/demo.out"; return 0; }
say() { printf '\n=== %s\n' "$*" | out; }
run() {
	printf '[node%s]# %s\n' "$MOSIX_NODE" "$*" | out
	if [ "$MOSIX_NODE" = 1 ]; then "$@" 2>&1 | out; else "$@" > /dev/null 2>&1; fi
}

t_demo() {
	say "three QEMU guests on one virtual switch, kernel $(uname -r); this is node 1 (10.99.0.1)"
	say "every node: load the module, describe the cluster once, share one key"
	load_mosix
	cat > /tmp/mosix.map <<'MAP'
# PE  address     count
1     10.99.0.1   3       # nodes 1-3 at 10.99.0.1 .. 10.99.0.3
MAP
	printf '%s\n' "$MOSIX_TEST_KEY" > /tmp/mosix.key
	run cat /tmp/mosix.map
	run sh -c "echo 500 > $CFG/info_interval_ms"
	say "mosctl setpe finds this node's number from its own addresses"
	run "$MOSCTL" setpe -w -f /tmp/mosix.map --key-file /tmp/mosix.key
	run cat "$CFG/pe" "$CFG/state"
	barrier up
	say "a few ticks later every node knows the others (one datagram per node per tick)"
	sleep 4
	run "$MOSCTL" status
	say "a CPU hog starts on node 2 ..."
	if [ "$MOSIX_NODE" = 2 ]; then timeout 12 sh -c 'while :; do :; done' & fi
	barrier hog
	sleep 6
	say "... and node 1 sees node 2 busy"
	run "$MOSCTL" status
	run "$MOSCTL" getload 2
	barrier hog-seen
	say "node 3 leaves the cluster (echo 0 > pe); its leave notice reaches node 1 at once"
	[ "$MOSIX_NODE" = 3 ] && run "$MOSCTL" setpe -off
	barrier left
	sleep 1
	run "$MOSCTL" status
	run "$MOSCTL" isup 3 || true
	say "datagrams are authenticated; node 1's counters"
	run cat "$CFG/stats"
	barrier done
	run "$MOSCTL" setpe -off
	unload_mosix
	say "done: see README.md for more, and 'make check' for the tests"
}
