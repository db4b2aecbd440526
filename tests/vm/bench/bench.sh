# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Run by tests/vm/bench.sh in a guest: figures go to the scratch folder.

t_bench_table_install() {
	load_mosix
	: > "$MOSIX_SCRATCH/bench.out"
	python3 "$MOSIX_TOP/tests/vm/bench_table.py" >> "$MOSIX_SCRATCH/bench.out" 2>&1 ||
		fail "$(cat "$MOSIX_SCRATCH/bench.out")"
	unload_mosix
}

# the info daemon's cost: CPU time of the mosix_info kthread per tick over a minute,
# datagrams and bytes sent per tick (a 3-node table; the peers need not answer)
t_bench_info_daemon_cost() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 3" OK
	write_expect "$CFG/pe" 1 OK
	local pid secs=${BENCH_INFO_SECONDS:-60} hz s0 s1 c0 c1
	pid=$(pgrep -x mosix_info) || fail "no mosix_info thread"
	hz=$(getconf CLK_TCK)
	cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
	stat_of() { awk -v k="$1" '$1 == k {print $2}' "$CFG/stats"; }
	c0=$(cpu); s0="$(stat_of ticks) $(stat_of tx_packets) $(stat_of tx_bytes)"
	sleep "$secs"
	c1=$(cpu); s1="$(stat_of ticks) $(stat_of tx_packets) $(stat_of tx_bytes)"
	python3 - "$hz" "$c0" "$c1" $s0 $s1 >> "$MOSIX_SCRATCH/bench.out" <<'PY'
import sys
hz, c0, c1, t0, p0, b0, t1, p1, b1 = map(int, sys.argv[1:])
ticks = t1 - t0
print("info daemon over %d ticks: %.3f ms CPU per tick (kthread utime+stime), "
      "%.2f datagrams and %.0f bytes sent per tick"
      % (ticks, (c1 - c0) * 1000 / hz / ticks, (p1 - p0) / ticks, (b1 - b0) / ticks))
PY
	unload_mosix
}

# bring-up and shutdown latency of an idle node, with the stage breakdown
t_bench_bringup_and_shutdown_latency() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 3" OK
	python3 "$MOSIX_TOP/tests/vm/bench_shutdown.py" >> "$MOSIX_SCRATCH/bench.out" 2>&1 ||
		fail "$(tail -n 5 "$MOSIX_SCRATCH/bench.out")"
	unload_mosix
}
