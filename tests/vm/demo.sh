#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot a guest on the first kernel of the matrix, load mosix, drive it with
# mosctl and configfs, and print what happens as it happens.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${KVER:-$(awk 'NR == 1 {print $1}' "$top/.deps/matrix")}
out=$top/build/vm/demo-$kver/demo.out
echo "mosix demo: booting three QEMU guests with the stock Debian kernel $kver (a few minutes)"
"$top/tests/vm/run-vm.sh" --kernel "$kver" --name demo "$top/tests/vm/demo/node.sh" > "$top/build/demo.tap" 2>/dev/null &
vm=$!
# follow the narration the guest writes into the shared scratch folder
for _ in $(seq 100); do [ -f "$out" ] && break; kill -0 $vm 2>/dev/null || break; sleep 0.5; done
tail -n +1 -f "$out" --pid=$vm 2>/dev/null
wait $vm
rc=$?
[ $rc = 0 ] || { echo "demo failed:"; cat "$top/build/demo.tap"; }
exit $rc
