# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers of the 3-node cluster case files (sourced after lib.sh).

INTERVAL=250

# node_field PE FIELD: FIELD of node PE in this node's view ("unknown" status if absent)
node_field() {
	"$MOSCTL" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in d["nodes"]:
    if n["pe"] == int(sys.argv[1]):
        print(n[sys.argv[2]]); break
else:
    print("unknown" if sys.argv[2] == "status" else "")' "$1" "$2"
}
# node_status PE: its status in this node's view, from the text of `mosctl status` (awk,
# not python: in a busy emulated guest every poll counts)
node_status() {
	"$MOSCTL" status | awk -v pe="$1" '
		$1 == "*" { $1 = "" ; $0 = $0 }
		$1 == pe && NF >= 9 { print $2; found = 1 }
		END { if (!found) print "unknown" }'
}
status_is() { [ "$(node_status "$1")" = "$2" ]; }
status_in() { local s; s=$(node_status "$1"); case " $2 " in *" $s "*) return 0 ;; esac; return 1; }

# join [KEY]: load, configure and bring this node up as PE $MOSIX_NODE
join() {
	load_mosix
	write_expect "$CFG/key" "${1:-$MOSIX_TEST_KEY}" OK
	write_expect "$CFG/info_interval_ms" "$INTERVAL" OK
	write_expect "$CFG/table" "1 10.99.0.1 3" OK
	write_expect "$CFG/pe" "$MOSIX_NODE" OK
}

# others: the other nodes whose guests still run (one that ended its guest in an
# earlier test, end_guest, is left out: see node_ended)
others() { local n; for n in 1 2 3; do [ "$n" = "$MOSIX_NODE" ] || node_ended "$n" || echo "$n"; done; }


# join_all [KEY]: join, then wait until this node sees the others up (those whose guests
# still run)
join_all() {
	local n
	join "$@"
	barrier up
	for n in $(others); do wait_for 15 status_is "$n" up || fail "node $n never up"; done
	barrier all-up
}
