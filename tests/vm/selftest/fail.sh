# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: one test passes, one fails, one returns non-zero without fail;
# the run must fail and report exactly the last two.

t_selftest_passes() {
	true
}

t_selftest_fails() {
	echo "some output before failing"
	fail "failing on purpose"
	echo "not reached"
}

t_selftest_returns_nonzero() {
	false
}
