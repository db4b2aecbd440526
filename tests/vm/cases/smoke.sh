# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Smoke tests of the VM harness itself (no mosix code involved).

t_guest_runs_the_matrix_kernel() {
	local r
	r=$(uname -r)
	[ "$r" = "$MOSIX_KVER" ] || fail "uname -r is $r, the run asked for $MOSIX_KVER"
	[ "$(hostname)" = "node$MOSIX_NODE" ] || fail "hostname is $(hostname), want node$MOSIX_NODE"
	grep -qw "mosixtest.node=$MOSIX_NODE" /proc/cmdline || fail "mosixtest.node=$MOSIX_NODE not in /proc/cmdline"
}

t_configfs_is_mounted() {
	mountpoint -q /sys/kernel/config || fail "/sys/kernel/config is not a mount point"
	grep -q '^configfs /sys/kernel/config configfs ' /proc/mounts || fail "no configfs in /proc/mounts"
}

t_modprobe_works() {
	modprobe dummy || fail "modprobe dummy failed"
	[ -d /sys/module/dummy ] || fail "/sys/module/dummy missing after modprobe"
	ip link add mtest0 type dummy || fail "cannot create a dummy link"
	ip link del mtest0
	modprobe -r dummy || fail "modprobe -r dummy failed"
	[ ! -d /sys/module/dummy ] || fail "dummy still loaded after modprobe -r"
}

t_scratch_is_shared_and_writable() {
	local f=$MOSIX_SCRATCH/smoke.node$MOSIX_NODE
	echo "hello from node$MOSIX_NODE" > "$f" || fail "cannot write $f"
	[ "$(<"$f")" = "hello from node$MOSIX_NODE" ] || fail "read back of $f differs"
	[ -f "$MOSIX_TOP/tests/vm/lib.sh" ] || fail "host root not visible at $MOSIX_TOP"
	! touch "$MOSIX_TOP/.ro-probe" 2>/dev/null || fail "host root is writable"
}

t_write_expect_maps_errnos() {
	write_expect /proc/sys/kernel/printk_ratelimit 5 OK
	write_expect /proc/sys/kernel/printk_ratelimit junk EINVAL
	write_expect /proc/sys/kernel/printk_ratelimit 99999999999999999999 EINVAL
	write_expect /sys/kernel/config/no-such-dir/attr 1 ENOENT
	expect_errno OK true
	expect_errno ENOENT cat /no/such/file
}

t_hung_task_timeout_is_30s() {
	[ "$(</proc/sys/kernel/hung_task_timeout_secs)" = 30 ] ||
		fail "hung_task_timeout_secs is $(</proc/sys/kernel/hung_task_timeout_secs)"
}
