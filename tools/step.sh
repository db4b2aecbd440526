# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Quiet set-up steps, shared by tests/setup-deps.sh and tools/build-deb.sh. The
# sourcing script sets step_prefix (its name in messages) and step_log (the log).
#   log MESSAGE...            one line on stdout
#   step DESCRIPTION CMD...   one line here, CMD's output to the log; on failure the
#                             whole output on stderr and the script ends
log() { printf '%s: %s\n' "$step_prefix" "$*"; }
step() {
	local what=$1 tmp rc=0
	shift
	log "$what"
	tmp=$(mktemp)
	printf '=== %s: %s\n' "$(date '+%F %T')" "$what" >> "$step_log"
	"$@" > "$tmp" 2>&1 || rc=$?
	cat "$tmp" >> "$step_log"
	if [ "$rc" != 0 ]; then
		{
			echo "$step_prefix: FAILED (status $rc): $what"
			echo "$step_prefix: the command: $*"
			echo "$step_prefix: its output (also in $step_log):"
			cat "$tmp"
		} >&2
		rm -f "$tmp"
		exit 1
	fi
	rm -f "$tmp"
}
