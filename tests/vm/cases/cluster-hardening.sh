# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What a code review found in the info daemon, on a real 3-node cluster: a node whose
# clock went back a day rejoins with a handed-in epoch, a table that moves every node to
# IPv6 while up rebinds (gossip goes on over IPv6), a table that moves this node to an
# address of no interface is refused, nodes that leave the table leave the view, a
# raised tick interval does not expire the peers, and a flood of forged datagrams
# neither pins the info daemon nor stales the view of honest peers.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=180

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

stat_of() { awk -v k="$1" '$1 == k {print $2}' "$CFG/stats"; }

t_node_rejoining_with_its_clock_a_day_behind_needs_its_epoch_handed_in() {
	join_all
	local e1 r0
	if [ "$MOSIX_NODE" = 3 ]; then
		e1=$(cat "$CFG/epoch")
		log "epoch while up: $e1"
		unload_mosix
		date -s "@$(( $(date +%s) - 86400 ))" > /dev/null || fail "cannot set the clock back"
		# the later tests need the right time, whatever happens here
		trap 'date -s "@$(( $(date +%s) + 86400 ))" > /dev/null' EXIT
		# the clock alone: an older epoch, which the peers must take for a replay
		join
		barrier clock-only
		barrier judged-clock-only
		write_expect "$CFG/pe" 0 OK
		# what mosctl start does with its counter: the last epoch plus a boot's room
		write_expect "$CFG/epoch" "$(( e1 + (1 << 20) ))" OK
		[ "$(cat "$CFG/epoch")" = $(( e1 + (1 << 20) )) ] || fail "epoch reads $(cat "$CFG/epoch")"
		write_expect "$CFG/pe" 3 OK
		[ "$(cat "$CFG/epoch")" = $(( e1 + (1 << 20) )) ] || fail "epoch in use $(cat "$CFG/epoch")"
		write_expect "$CFG/epoch" 5 EBUSY
		barrier handed-in
		barrier judged
	else
		r0=$(stat_of drop_replay)
		barrier clock-only
		replays_above() { [ "$(stat_of drop_replay)" -gt "$1" ]; }
		wait_for 10 replays_above "$r0" ||
			fail "no replay drops from node 3's clock epoch: $(cat "$CFG/stats")"
		status_is 3 up && fail "node 3 taken up with an older epoch"
		barrier judged-clock-only
		barrier handed-in
		wait_for 15 status_is 3 up || fail "node 3 still $(node_field 3 status) with its epoch handed in"
		barrier judged
	fi
	unload_mosix
}

t_epoch_is_validated_and_fixed_while_up() {
	load_mosix
	local e
	e=$(cat "$CFG/epoch")
	# the clock's proposal: real-time seconds << 20
	[ $(( e >> 20 )) -ge $(( $(date +%s) - 5 )) ] || fail "epoch proposal $e"
	write_expect "$CFG/epoch" 4242 OK
	# once handed in, the floor alone counts: the clock is far above
	[ "$(cat "$CFG/epoch")" = 4242 ] || fail "floor not taken: $(cat "$CFG/epoch")"
	write_expect "$CFG/epoch" 0 ERANGE
	write_expect "$CFG/epoch" 9223372036854775808 ERANGE
	write_expect "$CFG/epoch" 99999999999999999999999 ERANGE
	write_expect "$CFG/epoch" -1 EINVAL
	write_expect "$CFG/epoch" 12x EINVAL
	[ "$(cat "$CFG/epoch")" = 4242 ] || fail "a refused write changed the epoch: $(cat "$CFG/epoch")"
	dmesg | grep -q "epoch: '12x' refused: not a decimal number" || fail "no log line"
	unload_mosix
}

t_table_moving_every_node_to_ipv6_while_up_rebinds() {
	# an earlier link down/up leaves the address tentative (DAD) a while: not bindable
	wait_for 20 sh -c '! ip -6 addr show dev eth0 | grep -q tentative' ||
		fail "fd99::$MOSIX_NODE stays tentative: $(ip -6 addr show dev eth0)"
	join_all
	write_expect "$CFG/table" "1 fd99::1 3" OK
	ss -uln | grep -q "\[fd99::$MOSIX_NODE\]:7310" || fail "not rebound: $(ss -uln)"
	! ss -uln | grep -q "10.99.0.$MOSIX_NODE:7310" || fail "old socket left: $(ss -uln)"
	barrier moved
	local n a0
	a0=$(stat_of rx_accepted)
	sleep 8
	for n in $(others); do
		status_is "$n" up || fail "node $n $(node_field "$n" status) after the move: $($MOSCTL status)"
		[ "$(node_field "$n" age_ms)" -lt 3000 ] || fail "node $n stale: $(node_field "$n" age_ms) ms"
	done
	[ "$(stat_of rx_accepted)" -gt "$a0" ] || fail "nothing accepted over IPv6"
	log "after the move to IPv6: $($MOSCTL status)"
	barrier checked
	if [ "$MOSIX_NODE" = 1 ]; then
		# an address of no interface here: refused, nothing changes
		write_expect "$CFG/table" "1 fd99::101 3" EADDRNOTAVAIL
		[ "$(cat "$CFG/table")" = "1 fd99::1 3" ] || fail "table changed: $(cat "$CFG/table")"
		dmesg | grep -q 'table rejected: .*no interface' || fail "no log line"
		# node 3 leaves the table: it leaves this node's view at once
		write_expect "$CFG/table" "1 fd99::1 2" OK
		status_is 3 unknown || fail "node 3 still in the view: $(node_field 3 status)"
		status_is 2 up || fail "node 2 lost"
	fi
	barrier done
	unload_mosix
}

t_interval_raised_while_up_keeps_the_peers_up() {
	local INTERVAL=100
	join_all
	write_expect "$CFG/info_interval_ms" 5000 OK
	barrier raised
	sleep 6
	local n
	for n in $(others); do
		status_is "$n" up || fail "node $n $(node_field "$n" status) after the interval went up"
	done
	barrier checked
	unload_mosix
}

# node 3 floods node 1 at 8000 a second with forgeries that claim node 3 from node 3's
# address (they pass every check before the HMAC); node 2 is the honest peer that must
# stay fresh. The screening in softirq drops what exceeds node 3's budget before it is
# queued: without it the flood fills the socket's queue and node 2's datagrams are lost
# with the forgeries (CI on 6.1, before). Why not as fast as node 3 can: an idle
# emulated guest sends about 20000 a second, and at that rate node 1 (one emulated
# vCPU) lost node 2's datagrams even with the screening, on 6.1 (where, not yet known:
# the device, the backlog, or the daemon starved by softirq): a known limit (README).
t_forged_flood_neither_pins_the_daemon_nor_stales_honest_peers() {
	join_all
	local secs=10
	if [ "$MOSIX_NODE" = 3 ]; then
		barrier flood
		python3 "$MOSIX_TOP/tests/vm/flood.py" 10.99.0.3 10.99.0.1 3 "$secs" 8000 > /tmp/flood.out ||
			fail "flood.py failed"
		mv /tmp/flood.out "$MOSIX_SCRATCH/flood.out"
		log "$(cat "$MOSIX_SCRATCH/flood.out")"
		barrier flooded 120
	elif [ "$MOSIX_NODE" = 1 ]; then
		local pid t0 t1 w0 w1 i b0 r0 share
		pid=$(pgrep -x mosix_info) || fail "no mosix_info"
		b0=$(stat_of drop_bad_tag)
		r0=$(stat_of drop_ratelimited)
		t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		barrier flood
		w0=${EPOCHREALTIME/./}
		# until the flooder reports: every query is slow on a guest this busy
		i=0
		local miss=0 st age
		while [ ! -s "$MOSIX_SCRATCH/flood.out" ]; do
			# a query that gets no answer in a guest this busy is a miss, not a verdict
			age=$(node_field 2 age_ms 2> /dev/null)
			st=$(node_field 2 status 2> /dev/null)
			if ! [[ $age =~ ^[0-9]+$ ]]; then miss=$((miss + 1)); continue; fi
			i=$((i + 1))
			[ "$st" = up ] || fail "node 2 $st during the flood (query $i)"
			[ "$age" -lt 2500 ] || fail "node 2 stale: $age ms (query $i)"
		done
		[ "$i" -ge 1 ] || fail "no query of node 2 answered during the flood ($miss misses)"
		t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		w1=${EPOCHREALTIME/./}
		barrier flooded 120
		share=$(( (t1 - t0) * 100 * 1000000 / ((w1 - w0) * $(getconf CLK_TCK)) ))
		log "$i queries of node 2 during the flood, all up and fresh ($miss unanswered)"
		log "flood: $(cat "$MOSIX_SCRATCH/flood.out"); mosix_info used ${share}% of a CPU;" \
			"HMACs paid $(( $(stat_of drop_bad_tag) - b0 )), ratelimited $(( $(stat_of drop_ratelimited) - r0 ))"
		printf '%s cpu_percent=%s bad_tag=%s ratelimited=%s\n' "$(cat "$MOSIX_SCRATCH/flood.out")" "$share" \
			$(( $(stat_of drop_bad_tag) - b0 )) $(( $(stat_of drop_ratelimited) - r0 )) > "$MOSIX_SCRATCH/flood.result"
		[ "$(( $(stat_of drop_ratelimited) - r0 ))" -gt 0 ] || fail "nothing rate-limited: $(cat "$CFG/stats")"
		# the budget: a burst of 32, then 50 a second (tick 250 ms)
		[ "$(( $(stat_of drop_bad_tag) - b0 ))" -le $(( 32 + 60 * secs )) ] || fail "too many HMACs paid"
		[ "$share" -lt 30 ] || fail "mosix_info used ${share}% of a CPU (bound 30%)"
	else
		barrier flood
		barrier flooded 120
	fi
	unload_mosix
}

# mosctl's queries on a live cluster: the node joins with setpe -w -k (PE found from
# its own address), then isup, getload, getspeed, whois and status -v answer for peers
t_mosctl_setpe_k_and_the_queries_on_a_live_cluster() {
	load_mosix
	echo "1 10.99.0.1 3" > /tmp/map
	echo "$MOSIX_TEST_KEY" > /tmp/key
	write_expect "$CFG/info_interval_ms" "$INTERVAL" OK
	"$MOSCTL" setpe -w -f /tmp/map -k /tmp/key || fail "setpe -w -k failed"
	[ "$(cat "$CFG/pe")" = "$MOSIX_NODE" ] || fail "pe $(cat "$CFG/pe")"
	barrier up
	local n out
	for n in $(others); do
		wait_for 15 "$MOSCTL" isup "$n" || fail "isup $n: never"
		out=$("$MOSCTL" getload "$n") || fail "getload $n"
		[[ $out =~ ^[0-9]+\.[0-9]+$ ]] || fail "getload $n: '$out'"
		out=$("$MOSCTL" getspeed "$n") || fail "getspeed $n"
		[[ $out =~ ^[1-9][0-9]*$ ]] || fail "getspeed $n: '$out'"
		[ "$("$MOSCTL" whois "$n")" = "10.99.0.$n" ] || fail "whois $n: $("$MOSCTL" whois "$n")"
		[ "$("$MOSCTL" whois "10.99.0.$n")" = "$n" ] || fail "whois 10.99.0.$n"
	done
	"$MOSCTL" isup 99 && fail "isup of a PE outside the table succeeded"
	out=$("$MOSCTL" status -v) || fail "status -v"
	grep -q 'replay' <<<"$out" || fail "status -v lists no drop reasons: $out"
	log "$out"
	barrier checked
	"$MOSCTL" setpe -off || fail "setpe -off"
	[ "$(cat "$CFG/state")" = off ] || fail "state $(cat "$CFG/state")"
	barrier done
	unload_mosix
}
