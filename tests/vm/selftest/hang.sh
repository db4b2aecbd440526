# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: a test that hangs is stopped by its CASE_TIMEOUT and reported as
# timed out; the next test still runs.
# shellcheck disable=SC2034 # read by guest.sh
CASE_TIMEOUT=3

t_selftest_hangs() {
	sleep 1000
}

t_selftest_after_the_hang() {
	true
}
