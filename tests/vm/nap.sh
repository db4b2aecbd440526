# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# nap SECS: sleep without starting a process (a read with a timeout on a pipe that
# nobody writes to). On the debug kernel under emulation an exec costs most of a second
# of CPU: a polling loop that ran sleep(1) each round took it from what it waited for.
# Sourced by guest.sh (its barriers) and lib.sh (the tests' polls).
nap() {
	[ -n "${_nap_fd:-}" ] || exec {_nap_fd}<> <(:)
	read -r -t "$1" -u "$_nap_fd" || :
}
