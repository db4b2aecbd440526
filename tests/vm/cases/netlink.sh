# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The generic netlink family "mosix", driven by a raw client (tests/vm/genl.py) so the
# kernel's own validation is what is tested, not mosctl's.

GENL="python3 $MOSIX_TOP/tests/vm/genl.py"

add_local_addr 10.99.0.1 10.99.0.2 10.99.0.3 10.255.255.1

# big_map N FILE: N one-node lines
big_map() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "%d 10.%d.%d.1 1\n", i, int(i / 256), i % 256 }' > "$2"
}

t_status_reports_state_pe_and_counts() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 3
2 10.98.0.2 ALIAS" OK
	write_expect "$CFG/pe" 2 OK
	local out
	out=$($GENL status) || fail "status: $out"
	# attribute: 1 state, 2 pe, 3 nodes, 4 entries
	grep -qx '1 2' <<<"$out" || fail "state not up(2): $out"
	grep -qx '2 2' <<<"$out" || fail "pe not 2: $out"
	grep -qx '3 3' <<<"$out" || fail "nodes not 3: $out"
	grep -qx '4 2' <<<"$out" || fail "entries not 2: $out"
	unload_mosix
}

t_set_table_installs_a_65535_node_table_atomically() {
	load_mosix
	set_test_key
	big_map 65535 /tmp/big.map
	local out
	out=$($GENL set-table /tmp/big.map) || fail "set-table: $out"
	grep -qx '3 65535' <<<"$($GENL status)" || fail "not 65535 nodes: $($GENL status)"
	# too big for configfs reads: refused, not truncated
	if cat "$CFG/table" > /dev/null 2>/tmp/err; then fail "configfs read of a 65535-line table succeeded"; fi
	grep -q 'File too large' /tmp/err || fail "read error: $(cat /tmp/err)"
	printf 65535 > "$CFG/pe" || fail "cannot come up as 65535"
	unload_mosix
}

t_set_table_error_names_line_and_changes_nothing() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 3" OK
	big_map 50000 /tmp/bad.map
	sed -i '40000s/.*/40000 10.0.0.1 0/' /tmp/bad.map
	local out
	out=$($GENL set-table /tmp/bad.map) && fail "bad table accepted"
	case $out in ERANGE*"COUNT out of range"*) ;; *) fail "got: $out" ;; esac
	# formatted extack (6.2+) names the line; 6.1 logs it
	case $out in *"line 40000"*) ;; *) dmesg | grep -q 'netlink: table rejected: line 40000: COUNT' || fail "line 40000 not reported: $out" ;; esac
	[ "$(cat "$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
	big_map 300 /tmp/dup.map
	echo "7 10.0.0.1 1" >> /tmp/dup.map
	out=$($GENL set-table /tmp/dup.map) && fail "overlapping table accepted"
	case $out in EEXIST*) ;; *) fail "overlap got: $out" ;; esac
	[ "$(cat "$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
	unload_mosix
}

t_set_table_chunks_split_mid_line_still_parse() {
	load_mosix
	set_test_key
	big_map 3000 /tmp/m.map
	local out
	out=$($GENL set-table /tmp/m.map --chunk 7) || fail "7-byte chunks: $out"
	grep -qx '3 3000' <<<"$($GENL status)" || fail "not 3000 nodes"
	unload_mosix
}

t_policy_rejects_unknown_and_oversized_attributes() {
	load_mosix
	set_test_key
	local out
	# an attribute GET_STATUS does not take
	out=$($GENL raw 1 2:01000000) && fail "GET_STATUS with PE attribute accepted"
	case $out in EINVAL*) ;; *) fail "GET_STATUS+attr: $out" ;; esac
	# attribute type beyond the family's max
	out=$($GENL raw 2 99:00) && fail "unknown attribute accepted"
	case $out in EINVAL*) ;; *) fail "unknown attr: $out" ;; esac
	# SET_TABLE without text
	out=$($GENL raw 2) && fail "SET_TABLE without text accepted"
	case $out in EINVAL*) ;; *) fail "no text: $out" ;; esac
	# a chunk above MOSIX_TABLE_CHUNK_MAX (65000)
	out=$($GENL raw 2 "6:20*65001") &&
		fail "oversized chunk accepted"
	case $out in ERANGE*|EINVAL*) ;; *) fail "oversized chunk: $out" ;; esac
	# unknown command
	out=$($GENL raw 77) && fail "unknown command accepted"
	case $out in EOPNOTSUPP* | ENOTSUP*) ;; *) fail "unknown cmd: $out" ;; esac
	[ -z "$(cat "$CFG/table")" ] || fail "table changed"
	unload_mosix
}

t_set_table_needs_admin() {
	load_mosix
	set_test_key
	printf 'x' > /tmp/t.map
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $GENL set-table /tmp/t.map) && fail "nobody could set the table"
	case $out in EPERM*) ;; *) fail "nobody: $out" ;; esac
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $GENL status) || fail "nobody cannot read status: $out"
	unload_mosix
}
