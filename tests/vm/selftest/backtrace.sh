# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: the kernel prints a backtrace ("Call Trace:"); the run must fail
# on "console clean" although this test itself passes.

t_sysrq_l_prints_a_kernel_backtrace() {
	echo l > /proc/sysrq-trigger || fail "cannot write /proc/sysrq-trigger"
	wait_for 10 grep -q 'Call Trace' <(dmesg) || fail "no Call Trace in dmesg after sysrq-l"
}
