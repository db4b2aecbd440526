#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-guest part of `make bench`: table install times and memory per node, the info
# daemon's CPU share idle and flooded, the reboot path's time, a 64 MiB job's move
# beside the same move by hand, on each kernel of the matrix (KVER= for one). Prints
# figures; not a pass/fail test.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kvers=${KVER:-$(awk '{print $1}' "$top/.deps/matrix")}
case_file=$top/tests/vm/bench/bench.sh
for k in $kvers; do
	echo "== guest benchmarks on $k (QEMU TCG: software emulation, expect 10-50x real hardware)"
	"$top/tests/vm/run-vm.sh" --kernel "$k" --name bench --case-timeout 600 "$case_file" >/dev/null 2>&1 ||
		echo "bench run failed on $k: see build/vm-logs/"
	cat "$top/build/vm/bench-$k/bench.out" 2>/dev/null
	"$top/tests/vm/run-vm.sh" --kernel "$k" --name bench3 --timeout 900 "$top/tests/vm/bench/bench3.sh" >/dev/null 2>&1 ||
		echo "3-guest bench run failed on $k: see build/vm-logs/"
	cat "$top/build/vm/bench3-$k/bench3.out" 2>/dev/null
	"$top/tests/vm/run-vm.sh" --kernel "$k" --nodes 2 --name benchmig --timeout 1200 "$top/tests/vm/bench/bench-mig.sh" \
		> "$top/build/bench-mig.log" 2>&1 || echo "migration bench run failed on $k: see build/vm-logs/"
	if [ -s "$top/build/vm/benchmig-$k/bench-mig.out" ]; then
		cat "$top/build/vm/benchmig-$k/bench-mig.out"
	else
		echo "migration bench on $k: $(grep -m1 -o 'SKIP.*' "$top/build/bench-mig.log" || echo "no figures (see build/bench-mig.log)")"
	fi
done
