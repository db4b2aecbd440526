# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What `make demo` runs inside the guest: narrated, every command shown with its output.

say() { printf '\n=== %s\n' "$*" >> "$MOSIX_SCRATCH/demo.out"; }
run() {
	printf '# %s\n' "$*" >> "$MOSIX_SCRATCH/demo.out"
	"$@" >> "$MOSIX_SCRATCH/demo.out" 2>&1
}

t_demo() {
	say "guest kernel $(uname -r), this node's address: 10.99.0.$MOSIX_NODE"
	say "load the module (modprobe pulls in configfs)"
	load_mosix
	run ls /sys/kernel/config/mosix
	run cat /sys/kernel/config/mosix/state
	say "describe the cluster once: a map in openMosix syntax"
	cat > /tmp/mosix.map <<'MAP'
# PE  address     count
1     10.99.0.1   3       # nodes 1-3 at 10.99.0.1-3
10    fd99::10    2       # nodes 10-11 over IPv6
2     fd99::2     ALIAS   # a second address of node 2
MAP
	run cat /tmp/mosix.map
	run "$MOSCTL" setpe -c -f /tmp/mosix.map
	say "a bad map is refused with the line and the reason, before the kernel is touched"
	printf '1 10.99.0.1 3\n3 10.99.9.9 1\n' > /tmp/bad.map
	run "$MOSCTL" setpe -c -f /tmp/bad.map || true
	say "install it; mosctl finds this node's number from its own addresses"
	run "$MOSCTL" setpe -w -f /tmp/mosix.map
	run "$MOSCTL" status
	run "$MOSCTL" setpe -r
	say "the same through configfs"
	run cat /sys/kernel/config/mosix/pe /sys/kernel/config/mosix/state
	run sh -c 'echo 2 > /sys/kernel/config/mosix/pe' || true
	say "a 65535-node table is installed atomically through generic netlink"
	awk 'BEGIN { for (i = 1; i <= 65535; i++) printf "%d 10.%d.%d.1 1\n", i, int(i / 256), i % 256 }' > /tmp/big.map
	run "$MOSCTL" setpe -off
	run "$MOSCTL" setpe -w -f /tmp/big.map -p 1
	run "$MOSCTL" status
	say "take the node down"
	run "$MOSCTL" setpe -off
	run "$MOSCTL" status
	run rmmod mosix
	say "done"
}
