# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test (kernels with KFENCE): a read of a freed object that KFENCE
# sampled (the self-test module, mode=kfence). Only KFENCE sees it, and only when
# kfence.sample_interval is set: the run must fail on "BUG: KFENCE: use-after-free".

t_selftest_reads_after_free() {
	insmod "$MOSIX_TOP/build/selftest/$MOSIX_KVER/mosix_selftest.ko" mode=kfence ||
		fail "insmod mosix_selftest.ko mode=kfence failed: $(dmesg | grep mosix_selftest | tail -n 1)"
	sleep 1
}
