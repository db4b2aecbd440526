#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot three guests on the first kernel of the matrix (.deps/matrix of make
# deps, or .deps/matrix.demo of tests/setup-deps.sh --demo), build mosix.ko for it, load
# it, drive it with mosctl and configfs, and print what happens as it happens.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${KVER:-$(cat "$top/.deps/matrix" "$top/.deps/matrix.demo" 2> /dev/null | awk 'NR == 1 {print $1}')}
[ -n "$kver" ] || { echo "mosix demo: no kernel: run tests/setup-deps.sh --demo (as root) first" >&2; exit 1; }
echo "mosix demo: building mosix.ko for $kver"
"$top/tools/build-module.sh" "$kver" -s > "$top/build/demo-build.log" 2>&1 ||
	{ echo "mosix demo: building mosix.ko failed:"; cat "$top/build/demo-build.log"; exit 1; }
out=$top/build/vm/demo-$kver/demo.out
echo "mosix demo: booting three QEMU guests with the stock Debian kernel $kver (a few minutes)"
"$top/tests/vm/run-vm.sh" --kernel "$kver" --name demo "$top/tests/vm/demo/node.sh" > "$top/build/demo.tap" 2>/dev/null &
vm=$!
# follow the narration the guest writes into the shared scratch folder
# (as long as the run lives: it may wait for guest slots other runs of this machine hold)
while [ ! -f "$out" ] && kill -0 $vm 2>/dev/null; do sleep 0.5; done
tail -n +1 -f "$out" --pid=$vm 2>/dev/null
wait $vm
rc=$?
[ $rc = 0 ] || { echo "demo failed:"; cat "$top/build/demo.tap"; }
exit $rc
