# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: a write into a freed kmalloc-64 object (the self-test module,
# mode=uaf). Only slub_debug's poisoning sees it: the run must fail on the SLUB report
# ("BUG kmalloc-64 (Tainted: ...): Poison overwritten") and on the taint.

t_selftest_writes_after_free() {
	insmod "$MOSIX_TOP/build/selftest/$MOSIX_KVER/mosix_selftest.ko" mode=uaf ||
		fail "insmod mosix_selftest.ko mode=uaf failed"
	local v
	for v in /sys/kernel/slab/kmalloc*-64/validate; do
		echo 1 > "$v"
	done
	sleep 1
}
