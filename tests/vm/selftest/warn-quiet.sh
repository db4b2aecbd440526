# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: a real WARN() that neither the console nor the final dmesg shows
# (panic_on_warn off, console log level 1, dmesg -C afterwards): the test passes, the
# run must fail on "console clean" from guest.sh's kmsg.log, and on the W taint.

t_selftest_warns_off_the_console() {
	echo 0 > /proc/sys/kernel/panic_on_warn || fail "cannot turn panic_on_warn off"
	dmesg -n 1 || fail "dmesg -n 1"
	insmod "$MOSIX_TOP/build/selftest/$MOSIX_KVER/mosix_selftest.ko" mode=warn ||
		fail "insmod mosix_selftest.ko mode=warn failed"
	dmesg -n 5
	dmesg | grep -q 'mosix_selftest: a WARN on purpose' || fail "no WARN in dmesg"
	dmesg -C || fail "dmesg -C"
	! dmesg | grep -q 'mosix_selftest' || fail "dmesg -C did not clear the log"
}
