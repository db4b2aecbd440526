# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test (run with --timeout 20): the guest never finishes on its own; the
# harness must kill it at --timeout and fail the run.
# shellcheck disable=SC2034 # read by guest.sh
CASE_TIMEOUT=600

t_selftest_sleeps_past_the_guest_timeout() {
	sleep 600
}
