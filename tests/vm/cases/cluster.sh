# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The info daemon on a real 3-node cluster (three guests on one virtual switch):
# views converge, load travels, a leaving node is seen leaving, a silent one is marked
# down by age, loss is tolerated, and hostile or wrongly keyed datagrams change nothing.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
CASE_TIMEOUT=120

source "$MOSIX_TOP/tests/vm/cluster-lib.sh"

t_every_node_sees_every_other_up_with_plausible_load() {
	join
	barrier up
	local n
	for n in $(others); do
		wait_for 15 status_is "$n" up || fail "node $n not up here: $($MOSCTL status)"
		[ "$(node_field "$n" cpus)" -ge 1 ] || fail "node $n cpus $(node_field "$n" cpus)"
		[ "$(node_field "$n" mem)" -gt 100000 ] || fail "node $n mem $(node_field "$n" mem)"
		[ "$(node_field "$n" age_ms)" -lt 10000 ] || fail "node $n age $(node_field "$n" age_ms)"
	done
	log "$($MOSCTL status)"
	barrier checked
	unload_mosix
}

t_cpu_hog_on_node2_shows_on_nodes_1_and_3() {
	join
	barrier up
	if [ "$MOSIX_NODE" = 2 ]; then
		timeout 20 sh -c 'while :; do :; done' &
		barrier hog-running
		barrier seen
	else
		barrier hog-running
		# util is a percentage in mosctl's JSON
		high() { local u; u=$(node_field 2 util); u=${u%%.*}; [[ $u =~ ^[0-9]+$ ]] && [ "$u" -ge 60 ]; }
		wait_for 15 high || fail "node 2 util here: $(node_field 2 util)"
		log "node 2 seen busy: util $(node_field 2 util), load $(node_field 2 load)"
		barrier seen
	fi
	unload_mosix
}

t_pe_0_on_node3_is_seen_leaving_within_two_ticks() {
	# 1 s ticks: two of them cover a status query in an emulated guest
	local INTERVAL=1000
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		write_expect "$CFG/pe" 0 OK
		barrier left
		barrier seen
	else
		barrier left
		wait_for 2 status_is 3 leaving || fail "node 3 still $(node_field 3 status) here"
		barrier seen
	fi
	unload_mosix
}

t_silent_node_is_marked_down_by_age() {
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		# as if the guest died: no leave notice, nothing more on the wire
		ip link set eth0 down
		barrier seen 90
		ip link set eth0 up
		# a link down drops the IPv6 addresses (keep_addr_on_down is 0): put it back
		ip -6 addr show dev eth0 | grep -q "fd99::$MOSIX_NODE/" ||
			ip -6 addr add "fd99::$MOSIX_NODE/64" dev eth0 nodad || fail "cannot restore fd99::$MOSIX_NODE"
	else
		wait_for 30 status_is 3 down || fail "node 3 still $(node_field 3 status) here"
		status_is 3 down || fail "not down"
		barrier seen 90
	fi
	unload_mosix
}

t_views_converge_with_5_percent_loss() {
	modprobe sch_netem || fail "cannot load sch_netem"
	tc qdisc add dev eth0 root netem loss 5% || fail "cannot add netem"
	join
	barrier up
	local n
	for n in $(others); do wait_for 20 status_is "$n" up || fail "node $n not up under loss"; done
	barrier checked
	tc qdisc del dev eth0 root
	unload_mosix
}

t_nodes_with_different_keys_never_accept_each_other() {
	if [ "$MOSIX_NODE" = 3 ]; then
		join ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
	else
		join
	fi
	barrier up
	sleep 3
	local n
	if [ "$MOSIX_NODE" = 3 ]; then
		for n in 1 2; do status_is "$n" unknown || fail "node 3 accepted node $n: $(node_field "$n" status)"; done
	else
		status_is 3 unknown || fail "node $MOSIX_NODE accepted node 3: $(node_field 3 status)"
	fi
	grep -q 'drop_bad_tag [1-9]' "$CFG/stats" || fail "no bad_tag drops: $(<"$CFG/stats")"
	barrier checked
	unload_mosix
}

# node 1 is attacked by a raw UDP sender on node 2 (the real daemon on node 2 is off)
t_hostile_datagrams_are_dropped_counted_and_change_nothing() {
	if [ "$MOSIX_NODE" = 2 ]; then
		barrier up
		python3 -S "$MOSIX_TOP/tests/vm/hostile.py" 10.99.0.1 "$MOSIX_TEST_KEY" > "$MOSIX_SCRATCH/hostile.out" 2>&1 ||
			fail "hostile.py: $(<"$MOSIX_SCRATCH/hostile.out")"
		barrier sent
		barrier checked
		return 0
	fi
	join
	barrier up
	barrier sent
	if [ "$MOSIX_NODE" = 1 ]; then
		sleep 1
		local s reason
		s=$(<"$CFG/stats")
		log "$s"
		for reason in bad_tag truncated oversized bad_version unknown_pe spoofed_source replay bad_field; do
			grep -q "^drop_$reason [1-9]" <<<"$s" || fail "no drop counted as $reason: $s"
		done
		# the one valid datagram (load 4.242) stands; the hostile ones changed nothing
		[ "$(node_field 2 load)" = 4.242 ] || fail "node 2 load here: $(node_field 2 load)"
		[ "$(node_field 3 load)" != 7.777 ] || fail "the spoofed entry for node 3 was taken"
	fi
	barrier checked
	unload_mosix
}

t_node3_shutdown_failing_at_transport_rolls_back_and_stays_up() {
	join_all
	if [ "$MOSIX_NODE" = 3 ]; then
		# a stalled info daemon holds the quiesce 8 s: the peers see the leaving
		local p=/sys/module/mosix/parameters
		echo transport > $p/fault_stage
		echo info > $p/fault_stall
		# (not a child of this shell: its end would be a SIGCHLD to the writer,
		# and a signal aborts the shutdown with EINTR)
		setsid -f sh -c "sleep 8; echo > $p/fault_stall"
		write_expect "$CFG/pe" 0 EIO
		wait_for 10 sh -c "[ -z \"\$(cat $p/fault_stall)\" ]" || fail "fault_stall still $(<$p/fault_stall)"
		[ "$(<"$CFG/last_shutdown")" = "rolled-back stage=transport error=EIO" ] ||
			fail "last_shutdown $(<"$CFG/last_shutdown")"
		barrier rolled-back
		barrier seen
		# and a clean shutdown afterwards succeeds
		write_expect "$CFG/pe" 0 OK
	else
		# the leave notice went out, then the rollback announced a new epoch
		wait_for 20 status_is 3 leaving || fail "node 3 never seen leaving: $(node_field 3 status)"
		barrier rolled-back
		wait_for 10 status_is 3 up || fail "node 3 not up again here: $(node_field 3 status)"
		sleep 1
		status_is 3 up || fail "node 3 flapped to $(node_field 3 status)"
		barrier seen
	fi
	unload_mosix
}
