# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# mosctl start/shutdown/monitor against the real module (issue 4, mosctl part)
# on the debug kernel only in make debug-check (mosctl start, shutdown, monitor:
# userspace whose kernel paths shutdown.sh covers there; 150 s of that boot)
DEBUG_KERNEL=debug-check
CASE_TIMEOUT=120
M=$MOSCTL
PARAM=/sys/module/mosix/parameters
# only this node's own address: earlier case files may have added others to lo,
# and `mosctl start` must find exactly one PE of the map here
ip -4 addr flush dev lo scope global
ip -6 addr flush dev lo scope global
add_local_addr 10.99.0.1
export MOSIX_ETC=/tmp/etc MOSIX_MODPROBE=$MOSIX_TOP/tests/vm/modprobe-build-tree.sh MOSIX_STATE_DIR=/tmp/state

setup_etc() {
	mkdir -p /tmp/etc
	echo "1 10.99.0.1 3" > /tmp/etc/mosix.map
	echo "$MOSIX_TEST_KEY" > /tmp/etc/key
}

t_start_shutdown_cycle() {
	setup_etc
	[ -d /sys/module/mosix ] && rmmod mosix
	out=$($M start 2>&1); rc=$?
	echo "--- start rc=$rc"; echo "$out"
	[ $rc = 0 ] || fail "start rc $rc"
	grep -q '^loaded the mosix module$' <<<"$out" || fail "no module load line"
	grep -q '^transport ... done (' <<<"$out" || fail "no transport stage"
	grep -q '^announce ... done (' <<<"$out" || fail "no announce stage"
	grep -q '^node is up as PE 1$' <<<"$out" || fail "not up"
	[ "$(<$CFG/state)" = up ] || fail "state"
	out=$($M start 2>&1); rc=$?
	echo "--- start again rc=$rc"; echo "$out"
	[ "$out" = "already up as PE 1" ] && [ $rc = 0 ] || fail "already up"
	out=$($M shutdown 2>&1); rc=$?
	echo "--- shutdown rc=$rc"; echo "$out"
	[ $rc = 0 ] || fail "shutdown rc $rc"
	for st in evacuate withdraw wake quiesce notifier daemons transport; do
		grep -q "^$st ... done (" <<<"$out" || fail "no $st"
	done
	[ "$(tail -1 <<<"$out")" = "node left the cluster" ] || fail "last line"
	[ "$(<$CFG/state)" = off ] || fail "state"
	out=$($M shutdown 2>&1); rc=$?
	echo "--- shutdown again rc=$rc: $out"
	[ "$out" = "node is already off" ] && [ $rc = 0 ] || fail "already off"
	out=$($M start 2>&1); rc=$?
	echo "--- start (module loaded) rc=$rc"; echo "$out"
	[ $rc = 0 ] && ! grep -q loaded <<<"$out" || fail "start 2"
	$M shutdown >/dev/null || fail "shutdown 2"
	rmmod mosix
}

t_fault_timeout_interrupt_busy() {
	setup_etc
	[ -d /sys/module/mosix ] && rmmod mosix
	$M start >/dev/null || fail start
	echo transport > $PARAM/fault_stage
	out=$($M shutdown 2>&1); rc=$?
	echo "--- fault transport rc=$rc"; echo "$out"
	[ $rc = 1 ] || fail "rc $rc"
	grep -q '^transport ... FAILED: Input/output error$' <<<"$out" || fail "failed line"
	grep -q '^notifier ... undone (' <<<"$out" || fail "undo line"
	grep -qx 'mosctl: shutdown failed at stage transport: Input/output error (EIO); everything was rolled back: node is up again as PE 1' <<<"$out" || fail "verdict"
	[ "$(<$CFG/state)" = up ] || fail state

	echo info > $PARAM/fault_stall
	out=$($M shutdown --timeout 1 2>&1); rc=$?
	echo "--- stall, --timeout 1 rc=$rc"; echo "$out"
	[ $rc = 1 ] || fail "rc $rc"
	grep -q '^quiesce ... FAILED: Connection timed out$' <<<"$out" || fail "failed line"
	grep -q 'within shutdown_timeout_ms (1000 ms); everything was rolled back: node is up again as PE 1$' <<<"$out" || fail verdict
	[ "$(<$CFG/shutdown_timeout_ms)" = 30000 ] || fail "timeout not restored: $(<$CFG/shutdown_timeout_ms)"

	# Ctrl-C (SIGINT to the process) during quiesce
	$M shutdown > /tmp/sd.out 2>&1 &
	pid=$!
	wait_for 10 grep -q '^quiesce \.\.\.' /tmp/sd.out || fail "no quiesce: $(</tmp/sd.out)"
	# a concurrent shutdown meanwhile: a transition is running
	out=$($M shutdown 2>&1); rc=$?
	echo "--- concurrent rc=$rc: $out"
	[ $rc = 1 ] && grep -q 'a transition is running (state stopping)' <<<"$out" || fail concurrent
	kill -INT $pid
	wait $pid; rc=$?
	echo "--- interrupted rc=$rc"; cat /tmp/sd.out
	[ $rc = 130 ] || fail "rc $rc"
	grep -qx 'mosctl: interrupted: rolled back (at stage quiesce): node is up again as PE 1' /tmp/sd.out || fail verdict
	[ "$(<$CFG/last_shutdown)" = "rolled-back stage=quiesce error=EINTR" ] || fail "last_shutdown"

	# SIGTERM (systemd's stop timeout) likewise
	$M shutdown > /tmp/sd.out 2>&1 &
	pid=$!
	wait_for 10 grep -q '^quiesce \.\.\.' /tmp/sd.out || fail "no quiesce"
	kill -TERM $pid
	wait $pid; rc=$?
	echo "--- SIGTERM rc=$rc"; cat /tmp/sd.out
	[ $rc = 143 ] || fail "rc $rc"
	echo > $PARAM/fault_stall
	[ "$(<$CFG/state)" = up ] || fail state
	out=$($M shutdown 2>&1) || fail "clean shutdown after rollbacks: $out"
	rmmod mosix
}

# the whole transcript of mosctl shutdown, durations masked, a clean one and a
# rolled-back one, against the expected text
t_shutdown_transcripts_are_exactly_as_expected() {
	setup_etc
	[ -d /sys/module/mosix ] && rmmod mosix
	mask() { sed -E 's/\(([0-9]+(\.[0-9])?) (ms|s)\)/(D)/'; }
	$M start > /dev/null || fail start
	$M shutdown > /tmp/t1.txt 2>&1 || fail "shutdown: $(</tmp/t1.txt)"
	mask < /tmp/t1.txt > /tmp/t1.masked
	cat > /tmp/t1.want <<-'EOF2'
	shutting down PE 1 (quiesce timeout 30000 ms)
	state: stopping (PE 1)
	evacuate ... done (D)
	withdraw ... done (D)
	wake ... done (D)
	quiesce ... done (D)
	notifier ... done (D)
	daemons ... done (D)
	transport ... done (D)
	state: off
	node left the cluster
	EOF2
	diff -u /tmp/t1.want /tmp/t1.masked || fail "clean shutdown transcript differs"
	$M start > /dev/null || fail start
	echo info > $PARAM/fault_stall
	$M shutdown --timeout 1 > /tmp/t2.txt 2>&1 && fail "shutdown succeeded with a stalled daemon"
	echo > $PARAM/fault_stall
	mask < /tmp/t2.txt > /tmp/t2.masked
	cat > /tmp/t2.want <<-'EOF2'
	shutting down PE 1 (quiesce timeout 1000 ms)
	state: stopping (PE 1)
	evacuate ... done (D)
	withdraw ... done (D)
	wake ... done (D)
	quiesce ... FAILED: Connection timed out
	state: rolling-back (PE 1)
	wake ... undone (D)
	withdraw ... undone (D)
	evacuate ... undone (D)
	state: up (PE 1)
	mosctl: shutdown failed at stage quiesce: Connection timed out (ETIMEDOUT): the daemons did not go idle within shutdown_timeout_ms (D); everything was rolled back: node is up again as PE 1
	EOF2
	diff -u /tmp/t2.want /tmp/t2.masked || fail "rolled-back shutdown transcript differs"
	$M shutdown > /dev/null || fail "shutdown after the rollback"
	rmmod mosix
}

t_monitor_sees_everything() {
	setup_etc
	[ -d /sys/module/mosix ] && rmmod mosix
	$M start >/dev/null || fail start
	$M monitor --json > /tmp/mon.json 2>/tmp/mon.err &
	jpid=$!
	$M monitor > /tmp/mon.txt 2>&1 &
	tpid=$!
	sleep 1
	echo withdraw > $PARAM/fault_stage
	$M shutdown > /dev/null 2>&1
	$M shutdown > /dev/null || fail shutdown
	$M start > /dev/null || fail start
	sleep 0.5
	kill -INT $jpid; wait $jpid; jrc=$?
	kill -TERM $tpid; wait $tpid; trc=$?
	echo "--- json rc=$jrc"; cat /tmp/mon.json /tmp/mon.err
	echo "--- text rc=$trc"; cat /tmp/mon.txt
	[ $jrc = 0 ] && [ $trc = 0 ] || fail "rc $jrc $trc"
	python3 -S -c '
import json, sys
ev = [json.loads(l) for l in open("/tmp/mon.json")]
kinds = {e["event"] for e in ev}
assert kinds == {"stage-begin", "stage-done", "stage-failed", "stage-undone", "state"}, kinds
f = [e for e in ev if e["event"] == "stage-failed"]
assert f == [{"event": "stage-failed", "op": "shutdown", "stage": "withdraw", "errno": 5, "error": "EIO"}], f
done = [e["stage"] for e in ev if e["event"] == "stage-done" and e["op"] == "shutdown"]
assert done[-7:] == ["evacuate", "withdraw", "wake", "quiesce", "notifier", "daemons", "transport"], done
up = [e["stage"] for e in ev if e["event"] == "stage-done" and e["op"] == "bringup"]
assert up == ["transport", "daemons", "notifier", "wake", "announce", "guests"], up
states = [e["state"] for e in ev if e["event"] == "state"]
assert states == ["stopping", "rolling-back", "up", "stopping", "off", "starting", "up"], states
' || fail "json events"
	grep -qx 'shutdown: withdraw ... FAILED: Input/output error' /tmp/mon.txt || fail text
	grep -qx 'shutdown: evacuate ... undone (.* ms)' /tmp/mon.txt || fail text2
	grep -q '^bring-up: announce ... done (' /tmp/mon.txt || fail text3
	grep -qx 'state: up (PE 1)' /tmp/mon.txt || fail text4
	$M shutdown >/dev/null
	rmmod mosix
}

# the unit's exact ExecStart/ExecStop lines, with /etc and /lib/modules made
# writable in the guest by overlays and mosctl at /usr/local/sbin
t_unit_command_lines() {
	local unit=$MOSIX_TOP/tools/mosix.service kv start stop
	unset MOSIX_ETC MOSIX_MODPROBE
	[ -d /sys/module/mosix ] && rmmod mosix
	kv=$(uname -r)
	mkdir -p /tmp/ov/etc /tmp/ov/etcw /tmp/ov/mod /tmp/ov/modw
	mount -t overlay overlay -o lowerdir=/etc,upperdir=/tmp/ov/etc,workdir=/tmp/ov/etcw /etc ||
		fail "no overlay on /etc"
	mount -t overlay overlay -o lowerdir=/lib/modules/$kv,upperdir=/tmp/ov/mod,workdir=/tmp/ov/modw \
		/lib/modules/$kv || { umount /etc; fail "no overlay on /lib/modules"; }
	mount -t tmpfs tmpfs /usr/local/sbin || { umount /lib/modules/$kv /etc; fail "no tmpfs on /usr/local/sbin"; }
	# whatever happens, later tests get the real /etc and /lib/modules back
	trap "umount /usr/local/sbin /lib/modules/$kv /etc 2>/dev/null" EXIT
	cp "$MOSCTL" /usr/local/sbin/mosctl
	modprobe configfs
	# a module index of mosix alone (configfs is loaded): depmod -a on 9p is slow
	mkdir -p /tmp/dm/lib/modules/$kv/extra /lib/modules/$kv/extra &&
		cp "$MOSIX_KO" /tmp/dm/lib/modules/$kv/extra/ && cp "$MOSIX_KO" /lib/modules/$kv/extra/ &&
		depmod -b /tmp/dm "$kv" 2>/dev/null && cp /tmp/dm/lib/modules/$kv/modules.* /lib/modules/$kv/ ||
		fail depmod
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
	start=$(sed -n 's/^ExecStart=//p' "$unit")
	stop=$(sed -n 's/^ExecStop=//p' "$unit")
	echo "ExecStart=$start ExecStop=$stop"
	[ "$start" = "/usr/local/sbin/mosctl start" ] && [ "$stop" = "/usr/local/sbin/mosctl shutdown" ] ||
		fail "unexpected command lines"
	out=$($start 2>&1); rc=$?
	echo "--- ExecStart without /etc/mosix rc=$rc: $out"
	[ $rc = 1 ] && [ "$out" = "mosctl: start: /etc/mosix/mosix.map: No such file or directory (the node table: the cluster's map, the same on every node)" ] ||
		fail "missing map"
	[ ! -d /sys/module/mosix ] || fail "module loaded although the map is missing"
	mkdir -p /etc/mosix && echo "1 10.99.0.1 3" > /etc/mosix/mosix.map
	out=$($start 2>&1); rc=$?
	echo "--- ExecStart without key rc=$rc: $out"
	[ $rc = 1 ] && grep -q '^mosctl: start: /etc/mosix/key: No such file or directory' <<<"$out" || fail "missing key"
	(umask 077; echo "$MOSIX_TEST_KEY" > /etc/mosix/key)
	out=$($start 2>&1); rc=$?
	echo "--- ExecStart rc=$rc"; echo "$out"
	[ $rc = 0 ] || fail "ExecStart rc $rc"
	grep -qx 'loaded the mosix module' <<<"$out" || fail "modprobe did not run"
	[ "$(<$CFG/state)" = up ] && [ "$(<$CFG/pe)" = 1 ] || fail "not up"
	out=$($stop 2>&1); rc=$?
	echo "--- ExecStop rc=$rc"; echo "$out"
	[ $rc = 0 ] && [ "$(tail -1 <<<"$out")" = "node left the cluster" ] || fail "ExecStop"
	[ "$(<$CFG/state)" = off ] || fail "not off"
	out=$($stop 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = "node is already off" ] || fail "ExecStop twice: $out"
	rmmod mosix
	out=$($stop 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = "node is already off (the mosix module is not loaded)" ] ||
		fail "ExecStop without module: $out"
}
