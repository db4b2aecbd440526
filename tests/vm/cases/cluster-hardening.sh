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
eth0_rx_packets() { sed -n 's/^ *eth0: *[0-9]* *\([0-9]*\) .*/\1/p' /proc/net/dev; }

t_node_rejoining_with_its_clock_a_day_behind_needs_its_epoch_handed_in() {
	join_all
	local e1 r0
	if [ "$MOSIX_NODE" = 3 ]; then
		e1=$(<"$CFG/epoch")
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
		[ "$(<"$CFG/epoch")" = $(( e1 + (1 << 20) )) ] || fail "epoch reads $(<"$CFG/epoch")"
		write_expect "$CFG/pe" 3 OK
		[ "$(<"$CFG/epoch")" = $(( e1 + (1 << 20) )) ] || fail "epoch in use $(<"$CFG/epoch")"
		write_expect "$CFG/epoch" 5 EBUSY
		barrier handed-in
		barrier judged
	else
		r0=$(stat_of drop_replay)
		barrier clock-only
		replays_above() { [ "$(stat_of drop_replay)" -gt "$1" ]; }
		wait_for 10 replays_above "$r0" ||
			fail "no replay drops from node 3's clock epoch: $(<"$CFG/stats")"
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
	e=$(<"$CFG/epoch")
	# the clock's proposal: real-time seconds << 20
	[ $(( e >> 20 )) -ge $(( $(date +%s) - 5 )) ] || fail "epoch proposal $e"
	write_expect "$CFG/epoch" 4242 OK
	# once handed in, the floor alone counts: the clock is far above
	[ "$(<"$CFG/epoch")" = 4242 ] || fail "floor not taken: $(<"$CFG/epoch")"
	write_expect "$CFG/epoch" 0 ERANGE
	write_expect "$CFG/epoch" 9223372036854775808 ERANGE
	write_expect "$CFG/epoch" 99999999999999999999999 ERANGE
	write_expect "$CFG/epoch" -1 EINVAL
	write_expect "$CFG/epoch" 12x EINVAL
	[ "$(<"$CFG/epoch")" = 4242 ] || fail "a refused write changed the epoch: $(<"$CFG/epoch")"
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
		[ "$(<"$CFG/table")" = "1 fd99::1 3" ] || fail "table changed: $(<"$CFG/table")"
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

# node 3 floods node 1 for 10 s, as fast as it can send, with forgeries that claim node 3
# from node 3's address (they pass every check before the HMAC); node 2 is the honest
# peer. Judged on node 1: every datagram of node 2 that arrived was accepted (the
# screening in softirq and the budgets drop none of an honest peer's: the per-peer
# counters of mosctl status), the tags paid stay within node 3's budget, mosix_info
# stays under 30% of a CPU, and node 2 stays up, unless the network lost node 2's
# datagrams on the way (what node 2 counts as sent to node 1 against what node 1 counts
# as arrived from node 2): at a guest's full rate the emulated link into node 1 drops
# some of everything before the guest (a probe with tc counters saw it before the
# device), and no receiver can use a datagram that never came. Then the loss is
# reported, and the other checks still judge the run.
t_forged_flood_neither_pins_the_daemon_nor_stales_honest_peers() {
	join_all
	local secs=10
	# node 2 measures its own sending rate first (the barrier "baseline")
	if [ "$MOSIX_NODE" = 3 ]; then
		barrier baseline
		barrier flood
		python3 -S "$MOSIX_TOP/tests/vm/flood.py" 10.99.0.3 10.99.0.1 3 "$secs" > /tmp/flood.out ||
			fail "flood.py failed"
		mv /tmp/flood.out "$MOSIX_SCRATCH/flood.out"
		log "$(<"$MOSIX_SCRATCH/flood.out")"
		barrier flooded 120
	elif [ "$MOSIX_NODE" = 2 ]; then
		local s0 s1 b0 w0 w1 before
		# its own sending rate before the flood, the baseline for the one during it:
		# a guest the host starves (2 cores, 4 guests in make check) sends less
		b0=$(node_field 1 tx_packets)
		w0=${EPOCHREALTIME/./}
		sleep 3
		s0=$(node_field 1 tx_packets)
		w1=${EPOCHREALTIME/./}
		[[ $b0$s0 =~ ^[0-9]+$ ]] || fail "no traffic counters for node 1: '$b0' '$s0'"
		before=$(( (s0 - b0) * 1000000000 / (w1 - w0) ))
		barrier baseline
		barrier flood
		w0=${EPOCHREALTIME/./}
		while [ ! -s "$MOSIX_SCRATCH/flood.out" ]; do sleep 0.2; done
		sleep 1	# as node 1 does: what is on its way arrives
		s1=$(node_field 1 tx_packets)
		w1=${EPOCHREALTIME/./}
		[[ $s1 =~ ^[0-9]+$ ]] || fail "no traffic counters for node 1: '$s1'"
		# sent, and the rates before and during the flood (per 1000 s)
		echo "$((s1 - s0)) $before $(( (s1 - s0) * 1000000000 / (w1 - w0) ))" > "$MOSIX_SCRATCH/flood.sent2"
		barrier flooded 120
	elif [ "$MOSIX_NODE" = 1 ]; then
		local pid t0 t1 w0 w1 i b0 r0 share c0 c1 e0 e1 arrived accepted sent lost before during
		pid=$(pgrep -x mosix_info) || fail "no mosix_info"
		barrier baseline
		b0=$(stat_of drop_bad_tag)
		r0=$(stat_of drop_ratelimited)
		c0=$(node_fields 2 rx_packets rx_accepted)
		e0=$(eth0_rx_packets)
		t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		barrier flood
		w0=${EPOCHREALTIME/./}
		# until the flooder reports: every query is slow on a guest this busy
		i=0
		local miss=0 st down=''
		while [ ! -s "$MOSIX_SCRATCH/flood.out" ]; do
			# a query that gets no answer in a guest this busy is a miss, not a verdict
			st=$(node_status 2 2> /dev/null) || st=''
			case $st in
			up) i=$((i + 1)) ;;
			down | leaving | unknown) i=$((i + 1)) down+=" $st(query $i)" ;;
			*) miss=$((miss + 1)) ;;
			esac
		done
		t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		w1=${EPOCHREALTIME/./}
		sleep 1	# what is queued is read
		c1=$(node_fields 2 rx_packets rx_accepted)
		e1=$(eth0_rx_packets)
		barrier flooded 120
		[ "$i" -ge 1 ] || fail "no query of node 2 answered during the flood ($miss misses)"
		local a0 p0 a1 p1
		read -r a0 p0 <<< "$c0"
		read -r a1 p1 <<< "$c1"
		[[ $a0$p0$a1$p1 =~ ^[0-9]+$ ]] || fail "no traffic counters for node 2: '$c0' '$c1'"
		arrived=$((a1 - a0)) accepted=$((p1 - p0))
		read -r sent before during < "$MOSIX_SCRATCH/flood.sent2"
		[[ $sent$before$during =~ ^[0-9]+$ ]] || fail "node 2 wrote no counts: '$(<"$MOSIX_SCRATCH/flood.sent2")'"
		# (the two nodes read their counters a query apart: a datagram either way)
		lost=$((sent - arrived))
		[ "$lost" -ge 0 ] || lost=0
		share=$(( (t1 - t0) * 100 * 1000000 / ((w1 - w0) * $(getconf CLK_TCK)) ))
		log "flood: $(<"$MOSIX_SCRATCH/flood.out"); mosix_info used ${share}% of a CPU;" \
			"HMACs paid $(( $(stat_of drop_bad_tag) - b0 )), ratelimited $(( $(stat_of drop_ratelimited) - r0 ))"
		log "eth0 received $((e1 - e0)) packets in all (where the flood's loss is: before the device or after)"
		log "node 2: sent $sent to node 1, $arrived arrived, $accepted accepted; $i queries, down at:${down:- none} ($miss unanswered);" \
			"it sent $((during / 1000)).$(printf %03d $((during % 1000)))/s during the flood, $((before / 1000)).$(printf %03d $((before % 1000)))/s before"
		printf '%s cpu_percent=%s bad_tag=%s ratelimited=%s honest_sent=%s arrived=%s accepted=%s\n' \
			"$(<"$MOSIX_SCRATCH/flood.out")" "$share" \
			$(( $(stat_of drop_bad_tag) - b0 )) $(( $(stat_of drop_ratelimited) - r0 )) \
			"$sent" "$arrived" "$accepted" > "$MOSIX_SCRATCH/flood.result"
		[ "$arrived" -gt 0 ] || fail "nothing of node 2 arrived during the flood (it sent $sent)"
		[ "$((arrived - accepted))" -le 1 ] ||
			fail "node 1 dropped $((arrived - accepted)) of the $arrived datagrams of node 2 that arrived"
		[ "$(( $(stat_of drop_ratelimited) - r0 ))" -gt 0 ] || fail "nothing rate-limited: $(<"$CFG/stats")"
		# the budget: a burst of 32, then 50 a second (tick 250 ms)
		[ "$(( $(stat_of drop_bad_tag) - b0 ))" -le $(( 32 + 60 * secs )) ] ||
			fail "$(( $(stat_of drop_bad_tag) - b0 )) HMACs paid (bound $(( 32 + 60 * secs )))"
		# pinned is all of a CPU; an emulated guest on a loaded host charges the
		# host's preemption to whatever runs, so the bound has room for that
		[ "$share" -lt 60 ] || fail "mosix_info used ${share}% of a CPU (bound 60%)"
		if [ -n "$down" ]; then
			if [ "$lost" -gt 1 ]; then
				log "node 2 went$down: the network lost $lost of its $sent datagrams before node 1 (not judged)"
			elif [ $((during * 10)) -lt $((before * 7)) ]; then
				log "node 2 went$down: it sent at $during/1000 s during the flood against $before before (a starved guest: not judged)"
			else
				fail "node 2 went$down during the flood; it sent at its usual rate ($during against $before per 1000 s), and nothing of it was lost on the way"
			fi
		fi
	else
		barrier baseline
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
	[ "$(<"$CFG/pe")" = "$MOSIX_NODE" ] || fail "pe $(<"$CFG/pe")"
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
	# -v: each peer's datagrams (a peer known by relay only may have none yet); what
	# they add up to is what the totals below count (read a moment after the peers:
	# a tick or a datagram more)
	grep -qE '^ +PEER +SENT +ARRIVED +ACCEPTED +DROPPED$' <<<"$out" || fail "status -v: no peer table"
	local peers sent acc tx rx
	read -r peers sent acc tx rx <<<"$(awk '
		/^ +PEER +SENT / { t = 1; next }
		t && NF == 5 && $1 ~ /^[0-9]+$/ {
			if ($4 > $3 || $5 != $3 - $4) bad = 1
			n++; s += $2; a += $4; next }
		{ t = 0 }
		/^sent: / { tx = $2 } /^accepted: / { rx = $2 }
		END { print (bad ? -1 : n + 0), s + 0, a + 0, tx + 0, rx + 0 }' <<<"$out")"
	[ "$peers" = 2 ] || fail "status -v: $peers consistent peer lines, not 2"
	if [ "$sent" -lt "$tx" ] || [ "$sent" -gt $((tx + 1)) ]; then
		fail "status -v: peers sent $sent, in all $tx"
	fi
	if [ "$acc" -lt "$rx" ] || [ "$acc" -gt $((rx + 2)) ]; then
		fail "status -v: peers accepted $acc, in all $rx"
	fi
	[ "$sent" -gt 0 ] || fail "status -v: nothing sent"
	[ "$acc" -gt 0 ] || fail "status -v: nothing accepted"
	barrier checked
	"$MOSCTL" setpe -off || fail "setpe -off"
	[ "$(<"$CFG/state")" = off ] || fail "state $(<"$CFG/state")"
	barrier done
	unload_mosix
}
