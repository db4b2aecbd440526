# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `make bench`, 3 guests: the info daemon's CPU share idle (the baseline) and under a
# flood of forged datagrams, then the reboot path's time on `poweroff -f` beside a
# plain shutdown's. Figures go to $MOSIX_SCRATCH/bench3.out; not a pass/fail test.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=3
ENDS_GUEST=1
CASE_TIMEOUT=300
source "$MOSIX_TOP/tests/vm/cases/cluster-hardening.sh"
source "$MOSIX_TOP/tests/vm/cases/cluster-poweroff.sh"
out=$MOSIX_SCRATCH/bench3.out

t_bench_info_daemon_idle_then_flooded() {
	if [ "$MOSIX_NODE" = 1 ]; then
		join_all
		local pid t0 t1
		pid=$(pgrep -x mosix_info)
		t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		sleep 10
		t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		echo "info daemon idle (baseline): $(( (t1 - t0) * 100 / (10 * $(getconf CLK_TCK)) ))% of a CPU over 10 s" >> "$out"
		barrier idle-measured
		unload_mosix
	else
		join_all
		barrier idle-measured
		unload_mosix
	fi
	t_forged_flood_neither_pins_the_daemon_nor_stales_honest_peers
	[ "$MOSIX_NODE" = 1 ] && echo "info daemon flooded: $(cat "$MOSIX_SCRATCH/flood.result")" >> "$out"
	return 0
}

t_bench_reboot_path() {
	if [ "$MOSIX_NODE" = 1 ]; then
		join_all
		local t0 t1
		t0=${EPOCHREALTIME/./}
		write_expect "$CFG/pe" 0 OK
		t1=${EPOCHREALTIME/./}
		echo "plain shutdown (pe 0, baseline): $(( (t1 - t0) / 1000 )) ms" >> "$out"
		unload_mosix
		barrier baseline
		t_poweroff_after_a_rollback_still_sends_the_leave_notice > /tmp/po.log 2>&1
		echo "reboot path (poweroff -f, bound 100 ms): $(grep -o 'leave notice sent on reboot.*' /tmp/po.log)" >> "$out"
	else
		barrier baseline 120
		t_poweroff_after_a_rollback_still_sends_the_leave_notice
	fi
}
