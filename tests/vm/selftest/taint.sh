# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: the kernel gets tainted W (512, as after a WARN); the run must
# fail on the taint check although this test itself passes.

t_taint_w_is_set() {
	echo 512 > /proc/sys/kernel/tainted || fail "cannot add taint W"
	[ $(( $(cat /proc/sys/kernel/tainted) & 512 )) = 512 ] || fail "taint W not set"
}
