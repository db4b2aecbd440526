# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# mosctl against the real module: setpe -w/-r/-c/-off and status, small and
# 65535-node tables, errors reported with the map line before the kernel is touched.
# on the debug kernel only in make debug-check (the CLI: userspace whose kernel
# paths configfs.sh and netlink.sh cover there; 330 s of that boot)
DEBUG_KERNEL=debug-check

add_local_addr 10.99.0.1 10.99.0.2 10.99.0.3 10.50.0.7 10.255.255.1

# big_map N FILE: N one-node lines, already in canonical form
big_map() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "%d 10.%d.%d.1 1\n", i, int(i / 256), i % 256 }' > "$2"
}

t_setpe_w_with_p_installs_map_and_brings_node_up() {
	load_mosix
	set_test_key
	printf '# test\n1 10.99.0.1 3\n7 10.50.0.7 1\n' > /tmp/m.map
	$MOSCTL setpe -w -f /tmp/m.map -p 7 || fail "setpe -w failed"
	[ "$(<"$CFG/pe")" = 7 ] || fail "pe is $(<"$CFG/pe")"
	[ "$(<"$CFG/state")" = up ] || fail "state is $(<"$CFG/state")"
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3
7 10.50.0.7 1" ] || fail "table: $(<"$CFG/table")"
	unload_mosix
}

t_setpe_w_finds_own_pe_from_interface_addresses() {
	load_mosix
	set_test_key
	printf '5 10.99.0.%s 1\n1 10.50.0.1 2\n' "$MOSIX_NODE" | $MOSCTL setpe -w -f - || fail "setpe -w from stdin failed"
	[ "$(<"$CFG/pe")" = 5 ] || fail "pe is $(<"$CFG/pe"), this node's address is PE 5"
	unload_mosix
}

t_setpe_w_with_two_matching_nodes_lists_candidates() {
	load_mosix
	set_test_key
	printf '1 10.99.0.%s 1\n2 fd99::%s 1\n' "$MOSIX_NODE" "$MOSIX_NODE" > /tmp/m.map
	local out rc=0
	out=$($MOSCTL setpe -w -f /tmp/m.map 2>&1) || rc=$?
	[ $rc = 1 ] || fail "exit $rc: $out"
	grep -q "10.99.0.$MOSIX_NODE" <<<"$out" && grep -q "fd99::$MOSIX_NODE" <<<"$out" ||
		fail "candidates not listed: $out"
	[ "$(<"$CFG/pe")" = 0 ] || fail "pe changed"
	[ -z "$(<"$CFG/table")" ] || fail "table changed"
	unload_mosix
}

t_setpe_r_prints_canonical_table_and_c_checks_only() {
	load_mosix
	set_test_key
	printf '3 10.99.0.3 1\n1 FD99::1 2\n' > /tmp/m.map
	$MOSCTL setpe -c -f /tmp/m.map > /tmp/out || fail "setpe -c failed"
	grep -q 'OK, 3 nodes, 2 entries' /tmp/out || fail "-c said: $(</tmp/out)"
	[ -z "$(<"$CFG/table")" ] || fail "-c changed the table"
	$MOSCTL setpe -w -f /tmp/m.map -p 1 || fail "setpe -w failed"
	[ "$($MOSCTL setpe -r)" = "1 fd99::1 2
3 10.99.0.3 1" ] || fail "setpe -r: $($MOSCTL setpe -r)"
	unload_mosix
}

t_setpe_off_and_status() {
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/m.map
	$MOSCTL setpe -w -f /tmp/m.map -p 2 || fail "setpe -w failed"
	local s
	s=$($MOSCTL status) || fail "status failed"
	grep -q 'up' <<<"$s" && grep -q '2' <<<"$s" || fail "status: $s"
	s=$($MOSCTL status --json) || fail "status --json failed"
	python3 -S -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["pe"]==2 and d["state"]=="up" and d["node_count"]==3 and [(n["pe"], n["status"], n["self"]) for n in d["nodes"]]==[(1, "unknown", False), (2, "up", True), (3, "unknown", False)], d' "$s" ||
		fail "json: $s"
	$MOSCTL setpe -off || fail "setpe -off failed"
	[ "$(<"$CFG/state")" = off ] || fail "state $(<"$CFG/state")"
	s=$($MOSCTL status --json) || fail "status --json failed"
	python3 -S -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["pe"]==0 and d["state"]=="off", d' "$s" || fail "json: $s"
	unload_mosix
	local rc=0
	$MOSCTL status 2>/tmp/err || rc=$?
	[ $rc = 1 ] && grep -q 'not loaded' /tmp/err || fail "status without module: rc $rc, $(</tmp/err)"
}

t_setpe_w_while_up_as_another_pe_is_refused() {
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/m.map
	$MOSCTL setpe -w -f /tmp/m.map -p 2 || fail "setpe -w failed"
	printf '1 10.99.0.1 9\n' > /tmp/n.map
	local rc=0
	$MOSCTL setpe -w -f /tmp/n.map -p 3 2>/tmp/err || rc=$?
	[ $rc = 1 ] || fail "exit $rc"
	[ "$(<"$CFG/pe")" = 2 ] && [ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "state changed"
	unload_mosix
}

t_mosctl_installs_and_reads_back_65535_nodes() {
	load_mosix
	set_test_key
	big_map 65535 /tmp/big.map
	$MOSCTL setpe -w -f /tmp/big.map -p 65535 || fail "setpe -w of 65535 nodes failed"
	[ "$(<"$CFG/pe")" = 65535 ] || fail "pe $(<"$CFG/pe")"
	$MOSCTL status --json | python3 -S -c 'import json,sys; d=json.load(sys.stdin); assert d["node_count"]==65535, d' ||
		fail "status does not show 65535 nodes"
	$MOSCTL setpe -r > /tmp/back.map || fail "setpe -r failed"
	cmp -s /tmp/big.map /tmp/back.map || fail "read back differs: $(diff /tmp/big.map /tmp/back.map | head -5)"
	unload_mosix
}

t_mosctl_map_error_names_file_and_line_and_changes_nothing() {
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/m.map
	$MOSCTL setpe -w -f /tmp/m.map -p 1 || fail "setpe -w failed"
	big_map 50000 /tmp/bad.map
	sed -i '40000s/.*/40000 10.0.0.1 0/' /tmp/bad.map
	local rc=0
	$MOSCTL setpe -w -f /tmp/bad.map -p 1 2>/tmp/err || rc=$?
	[ $rc = 1 ] || fail "exit $rc"
	grep -q '/tmp/bad.map:40000: COUNT out of range' /tmp/err || fail "message: $(</tmp/err)"
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
	unload_mosix
}

t_block_and_noblock_set_whether_guests_are_taken() {
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/m.map
	$MOSCTL setpe -w -f /tmp/m.map -p 2 || fail "setpe -w failed"
	local out rc=0
	[ "$(<"$CFG/block")" = 0 ] || fail "block is $(<"$CFG/block") at first"
	out=$($MOSCTL block) || fail "block failed: $out"
	[ "$out" = "node 2 takes no new guests; the guests running here stay" ] || fail "block said: $out"
	[ "$(<"$CFG/block")" = 1 ] || fail "block is $(<"$CFG/block") after mosctl block"
	dmesg | tail -n 20 | grep -q "mig: guests blocked by the operator" || fail "no kernel log line for the block"
	out=$($MOSCTL block) || fail "block again failed: $out"
	[[ $out == *"(it was blocked already)"* ]] || fail "block again said: $out"
	# not root: refused with the reason, nothing changes
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MOSCTL" noblock 2>&1) || rc=$?
	[ "$rc" = 1 ] && [[ $out == *"noblock: "*"/block: Permission denied"* ]] ||
		fail "noblock as nobody: exit $rc: $out"
	[ "$(<"$CFG/block")" = 1 ] || fail "block changed by a refused noblock"
	rc=0
	out=$($MOSCTL noblock extra 2>&1) || rc=$?
	[ "$rc" = 2 ] && [[ $out == *"unexpected argument 'extra'"* ]] || fail "noblock extra: exit $rc: $out"
	[ "$(<"$CFG/block")" = 1 ] || fail "block changed by a bad command line"
	out=$($MOSCTL noblock) || fail "noblock failed: $out"
	[ "$out" = "node 2 takes guests again" ] || fail "noblock said: $out"
	[ "$(<"$CFG/block")" = 0 ] || fail "block is $(<"$CFG/block") after mosctl noblock"
	dmesg | tail -n 20 | grep -q "mig: guests accepted by the operator" || fail "no kernel log line for noblock"
	$MOSCTL setpe -off || fail "setpe -off failed"
	unload_mosix
	rc=0
	out=$($MOSCTL block 2>&1) || rc=$?
	[ "$rc" = 1 ] && [[ $out == *"is the mosix module loaded?"* ]] || fail "block without the module: exit $rc: $out"
}

# expel and bring with nothing to move (cluster-expel.sh moves real jobs): the
# summaries, expel's block, a user refused, bad command lines, no module
t_expel_and_bring_with_nothing_to_move_and_their_errors() {
	local out rc=0
	out=$($MOSCTL expel 2>&1) || rc=$?
	[ "$rc" = 1 ] && [ "$out" = "mosctl: expel: this node is not up (pe is 0 or unreadable)" ] ||
		fail "expel without the module: exit $rc: $out"
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/m.map
	rc=0
	out=$($MOSCTL bring 2>&1) || rc=$?
	[ "$rc" = 1 ] && [[ $out == *"bring: this node is not up"* ]] || fail "bring while off: exit $rc: $out"
	$MOSCTL setpe -w -f /tmp/m.map -p 2 || fail "setpe -w failed"
	# not root: expel cannot block, and changes nothing
	rc=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MOSCTL" expel 2>&1) || rc=$?
	[ "$rc" = 1 ] && [[ $out == *"expel: "*"/block: Permission denied"* ]] ||
		fail "expel as nobody: exit $rc: $out"
	[ "$(<"$CFG/block")" = 0 ] || fail "block changed by a refused expel"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MOSCTL" bring 2>&1) ||
		fail "bring as nobody: $out"
	[ "$out" = "bring: no jobs of yours elsewhere" ] || fail "bring as nobody said: $out"
	rc=0
	out=$($MOSCTL expel now 2>&1) || rc=$?
	[ "$rc" = 2 ] && [[ $out == *"unexpected argument 'now'"* ]] || fail "expel now: exit $rc: $out"
	rc=0
	out=$($MOSCTL bring --all 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "bring --all: exit $rc: $out"
	[ "$(<"$CFG/block")" = 0 ] || fail "block changed by a bad command line"
	out=$($MOSCTL expel) || fail "expel failed: $out"
	[ "$out" = $'expel: no guests here\nnode 2 takes no new guests (mosctl noblock undoes it)' ] ||
		fail "expel said: $out"
	[ "$(<"$CFG/block")" = 1 ] || fail "expel did not block"
	out=$($MOSCTL bring) || fail "bring failed: $out"
	[ "$out" = "bring: no jobs of this node elsewhere" ] || fail "bring said: $out"
	$MOSCTL noblock > /dev/null || fail "noblock failed"
	$MOSCTL setpe -off || fail "setpe -off failed"
	unload_mosix
}
