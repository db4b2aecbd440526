# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers of the 3-node cluster case files (sourced after lib.sh).

INTERVAL=250

# node_fields PE FIELD...: those fields of node PE in this node's view, on one line, from
# one query (empty for an absent node); jq, not python: in a debug guest python's start
# alone costs seconds
node_fields() {
	"$MOSCTL" status --json | jq -r --argjson pe "$1" \
		'first(.nodes[] | select(.pe == $pe)) | [.[$ARGS.positional[]] | tostring] | join(" ")' \
		--args "${@:2}"
}
# node_field PE FIELD: one of them ("unknown" status if absent)
node_field() {
	local v
	v=$(node_fields "$1" "$2") || return
	[ -n "$v" ] || [ "$2" != status ] || v=unknown
	echo "$v"
}
# node_status PE: its status in this node's view, from the text of `mosctl status` (read
# by bash itself: in a busy emulated guest every process a poll starts counts)
node_status() {
	local out line f
	out=$("$MOSCTL" status) || { echo unknown; return; }
	while IFS= read -r line; do
		read -r -a f <<< "$line"
		[ "${f[0]:-}" != "*" ] || f=("${f[@]:1}")
		if [ "${f[0]:-}" = "$1" ] && [ "${#f[@]}" -ge 9 ]; then
			echo "${f[1]}"
			return
		fi
	done <<< "$out"
	echo unknown
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

# others: the other nodes of this boot (MOSIX_NODES: 3, or 2 for make bench's move)
# whose guests still run (one that ended its guest in an earlier test, end_guest, is
# left out: see node_ended)
others() {
	local n
	for ((n = 1; n <= ${MOSIX_NODES:-3}; n++)); do
		[ "$n" = "$MOSIX_NODE" ] || node_ended "$n" || echo "$n"
	done
}


# join_all [KEY]: join, then wait until this node sees the others up (those whose guests
# still run)
join_all() {
	local n
	join "$@"
	barrier up
	for n in $(others); do wait_for 15 status_is "$n" up || fail "node $n never up"; done
	barrier all-up
}
