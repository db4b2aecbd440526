#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run tests/vm/run-vm.sh once for every kernel of .deps/matrix, one kernel after the
# other (so at most --nodes guests run at once).
# Usage: run-matrix.sh [run-vm.sh options but --kernel] CASEFILE...
# Exit: 0 if every kernel passed, 1 if one failed, 2 on a usage/setup error.
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
[ -f "$top/.deps/matrix" ] || { echo "run-matrix: no $top/.deps/matrix: run tests/setup-deps.sh" >&2; exit 2; }
for a in "$@"; do
	case $a in -k | --kernel | --kernel=*) echo "run-matrix: --kernel comes from .deps/matrix" >&2; exit 2 ;; esac
done
rc=0 summary=()
while read -r k _; do
	[ -n "$k" ] || continue
	"$here/run-vm.sh" --kernel "$k" "$@" < /dev/null
	r=$?
	case $r in
	0) summary+=("PASS $k") ;;
	1) summary+=("FAIL $k"); [ "$rc" = 2 ] || rc=1 ;;
	*) summary+=("ERROR $k (status $r)"); rc=2 ;;
	esac
done < "$top/.deps/matrix"
printf 'run-matrix: %s\n' "${summary[@]}" >&2
exit "$rc"
