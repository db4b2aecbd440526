# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The generic netlink family "mosix", driven by a raw client (tests/vm/genl.py) so the
# kernel's own validation is what is tested, not mosctl's.
# Slow emulated guests: every genl.py run costs a python start.
# shellcheck disable=SC2034 # read by guest.sh
CASE_TIMEOUT=120

GENL="python3 -S $MOSIX_TOP/tests/vm/genl.py"

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
	grep -q 'File too large' /tmp/err || fail "read error: $(</tmp/err)"
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
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
	big_map 300 /tmp/dup.map
	echo "7 10.0.0.1 1" >> /tmp/dup.map
	out=$($GENL set-table /tmp/dup.map) && fail "overlapping table accepted"
	case $out in EEXIST*) ;; *) fail "overlap got: $out" ;; esac
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
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
	[ -z "$(<"$CFG/table")" ] || fail "table changed"
	unload_mosix
}

# SET_TABLE is GENL_ADMIN_PERM (CAP_NET_ADMIN, checked by genetlink before the command
# runs) and the command itself wants CAP_SYS_ADMIN too (it says so in the extack)
t_set_table_needs_net_admin_and_sys_admin() {
	load_mosix
	set_test_key
	printf '1 10.99.0.1 3\n' > /tmp/t.map
	local out py=(python3 -S "$MOSIX_TOP/tests/vm/genl.py")
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups "${py[@]}")
	local no_sys=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)
	local no_net=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin)
	log "without sys_admin: $("${no_sys[@]}" grep CapEff /proc/self/status)"
	log "without net_admin: $("${no_net[@]}" grep CapEff /proc/self/status)"
	# neither: refused by genetlink, the command never runs (no extack of its own)
	out=$("${nobody[@]}" set-table /tmp/t.map) && fail "nobody could set the table"
	case $out in *CAP_SYS_ADMIN*) fail "nobody reached the command: $out" ;; EPERM*) ;; *) fail "nobody: $out" ;; esac
	# CAP_SYS_ADMIN without CAP_NET_ADMIN: refused by genetlink as well
	out=$("${no_net[@]}" "${py[@]}" set-table /tmp/t.map) && fail "CAP_SYS_ADMIN alone could set the table"
	case $out in *CAP_SYS_ADMIN*) fail "reached the command without CAP_NET_ADMIN: $out" ;; EPERM*) ;; *) fail "no net_admin: $out" ;; esac
	# CAP_NET_ADMIN without CAP_SYS_ADMIN: past genetlink, refused by the command
	out=$("${no_sys[@]}" "${py[@]}" set-table /tmp/t.map) && fail "CAP_NET_ADMIN alone could set the table"
	[ "$out" = "EPERM changing the table needs CAP_SYS_ADMIN" ] || fail "no sys_admin: $out"
	[ -z "$(<"$CFG/table")" ] || fail "a refused request changed the table: $(<"$CFG/table")"
	# both
	out=$($GENL set-table /tmp/t.map) || fail "root: $out"
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "table not installed: $(<"$CFG/table")"
	# reading needs nothing
	out=$("${nobody[@]}" status) || fail "nobody cannot read status: $out"
	grep -qx '3 3' <<<"$out" || fail "nobody's status: $out"
	out=$("${nobody[@]}" dump-table) || fail "nobody cannot dump the table: $out"
	grep -q '^done flags 0x[0-9a-f]* error 0$' <<<"$out" || fail "nobody's dump: $out"
	unload_mosix
}

# dump_map FILE: PE 1 at this guest's 10.99.0.1, then PEs 2..3000 a line each: the
# canonical text (about 50 KiB) takes a dozen dump messages of at most a page
dump_map() {
	{
		echo "1 10.99.0.1 1"
		awk 'BEGIN { for (i = 2; i <= 3000; i++) printf "%d 10.%d.%d.1 1\n", i, int(i / 256), i % 256 }'
	} > "$1"
}

# intr_msgs: the messages of a `genl.py dump-table` listing (stdin) that carry
# NLM_F_DUMP_INTR (0x10), as "msg N" or "done"
intr_msgs() {
	local what a b c rest
	while read -r what a b c rest; do
		case $what in
		msg) if ((c & 0x10)); then echo "msg $a"; fi ;;
		"done") if ((b & 0x10)); then echo "done"; fi ;;
		esac
	done
}

t_get_table_dump_is_complete_without_a_change() {
	load_mosix
	set_test_key
	dump_map /tmp/big.map
	$MOSCTL setpe -w -f /tmp/big.map -p 1 || fail "setpe -w of 3000 nodes failed"
	local out n
	out=$($GENL dump-table --out /tmp/dump.txt) || fail "dump: $out"
	log "dump: $(head -n 2 <<<"$out" | tr '\n' ' ')... $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	n=$(grep -c '^msg ' <<<"$out")
	[ "$n" -ge 5 ] || fail "the text took only $n messages: $out"
	[ -z "$(intr_msgs <<<"$out")" ] || fail "NLM_F_DUMP_INTR without a table change: $out"
	grep -q '^done flags 0x[0-9a-f]* error 0$' <<<"$out" || fail "no clean end: $out"
	[ "$(awk '$1 == "msg" { print $6 }' <<<"$out" | sort -u | wc -l)" = 1 ] ||
		fail "messages of several generations: $out"
	$MOSCTL setpe -r > /tmp/r.txt || fail "setpe -r failed"
	cmp /tmp/dump.txt /tmp/r.txt || fail "the dump's text differs from setpe -r"
	cmp /tmp/dump.txt /tmp/big.map || fail "the dump's text is not the canonical map"
	unload_mosix
}

# the kernel sizes a dump's messages by the reader's reads (from NLMSG_GOODSIZE up): at
# every read size around a page each message holds the lines that fit, header and
# padding included, and the whole text arrives
t_get_table_dump_is_whole_at_every_read_size() {
	load_mosix
	dump_map /tmp/big.map
	local out want bad
	out=$($GENL set-table /tmp/big.map) || fail "set-table: $out"
	want="bytes $(stat -c %s /tmp/big.map) error 0 intr 0 md5 $(md5sum < /tmp/big.map | cut -d ' ' -f 1)"
	out=$($GENL dump-sizes 3800 4130) || fail "dump-sizes: $out"
	[ "$(grep -c '^recv ' <<<"$out")" = 331 ] || fail "not 331 dumps: $out"
	bad=$(grep -v " $want\$" <<<"$out")
	[ -z "$bad" ] || fail "$(wc -l <<<"$bad") of 331 read sizes did not get the text ($want): $(head -n 5 <<<"$bad")"
	unload_mosix
}

# the dump is read one message at a time; after the first the table is replaced:
# a later message (or the end) must carry NLM_F_DUMP_INTR, whatever the new size
t_get_table_dump_marks_a_table_change_dump_intr() {
	load_mosix
	set_test_key
	dump_map /tmp/big.map
	$MOSCTL setpe -w -f /tmp/big.map -p 1 || fail "setpe -w of 3000 nodes failed"
	sed '2,$s/^\([0-9]*\) 10\./\1 11./' /tmp/big.map > /tmp/big2.map
	local out how intr
	for how in "netlink, 3000 other lines" "configfs, 1 line"; do
		case $how in
		configfs*) out=$($GENL dump-table --then "printf '1 10.99.0.1 1' > $CFG/table") ;;
		netlink*) out=$($GENL dump-table --then "$GENL set-table /tmp/big2.map") ;;
		esac || fail "$how: dump: $out"
		log "$how: $(tr '\n' ' ' <<<"$out")"
		grep -qx 'then rc 0' <<<"$out" || fail "$how: the replacement failed: $out"
		intr=$(intr_msgs <<<"$out")
		[ -n "$intr" ] || fail "$how: the table changed during the dump, no NLM_F_DUMP_INTR: $out"
		case $intr in "msg 1"*) fail "$how: the first message, read before the change, is flagged: $out" ;; esac
		# back to the big table for the next round
		$MOSCTL setpe -w -f /tmp/big.map -p 1 || fail "setpe -w of 3000 nodes failed"
	done
	$MOSCTL setpe -r > /tmp/r.txt || fail "setpe -r failed"
	cmp /tmp/r.txt /tmp/big.map || fail "setpe -r after the rounds is not the map"
	unload_mosix
}

# rmmod while up: the node's shutdown runs before the family goes, so a listener of
# the events group sees its stages
t_rmmod_while_up_sends_the_shutdown_events() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 1" OK
	write_expect "$CFG/pe" 1 OK
	$MOSCTL monitor --json > /tmp/mon.json 2> /tmp/mon.err &
	local mon=$! mark
	# a shutdown that fails in its first stage is rolled back at once: once the
	# monitor shows one, it listens
	for _ in $(seq 30); do
		echo evacuate > /sys/module/mosix/parameters/fault_stage
		write_expect "$CFG/pe" 0 EIO
		wait_for 1 grep -q '"stage-failed"' /tmp/mon.json && break
	done
	grep -q '"stage-failed"' /tmp/mon.json || fail "the monitor hears nothing: $(</tmp/mon.err)"
	[ "$(<"$CFG/state")" = up ] || fail "state $(<"$CFG/state") after the rollback"
	mark=$(wc -l < /tmp/mon.json)
	unload_mosix
	wait_for 10 grep -q '"event":"stage-done","op":"shutdown","stage":"transport"' /tmp/mon.json
	kill -TERM $mon
	wait $mon || fail "monitor: status $? $(</tmp/mon.err)"
	log "events after rmmod: $(tail -n +$((mark + 1)) /tmp/mon.json | tr '\n' ' ')"
	tail -n +$((mark + 1)) /tmp/mon.json | python3 -S -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
sd = [(e["event"], e["stage"]) for e in ev if e.get("op") == "shutdown"]
for st in ("evacuate", "transport"):
    for k in ("stage-begin", "stage-done"):
        assert (k, st) in sd, ("no %s of %s" % (k, st), sd)
assert sd.index(("stage-done", "evacuate")) < sd.index(("stage-begin", "transport")), sd
assert not [e for e in ev if e["event"] == "stage-failed"], ev
states = [e["state"] for e in ev if e["event"] == "state"]
assert states and states[0] == "stopping" and states[-1] == "off", states
' || fail "the shutdown events of the rmmod: $(tail -n +$((mark + 1)) /tmp/mon.json)"
}
