# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Negative self-test: a real WARN() (the self-test module, mode=warn); run-vm.sh boots
# with panic_on_warn=1, so the guest panics and ends at once (panic=-1, -no-reboot):
# the run must fail, the test not reporting, the panic on the console.

t_selftest_warns() {
	insmod "$MOSIX_TOP/build/selftest/$MOSIX_KVER/mosix_selftest.ko" mode=warn
	sleep 30	# not reached
}

t_selftest_after_the_warn() {
	true
}
