# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: the guest kernel crashes (sysrq-c); qemu must end (panic=-1,
# -no-reboot) and the run must fail: no result, "Kernel panic" on the console, no taint.

t_selftest_crashes_the_kernel() {
	sync
	echo c > /proc/sysrq-trigger
	sleep 30
}

t_selftest_never_runs() {
	true
}
