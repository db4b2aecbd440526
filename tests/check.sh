#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything, on every kernel of the matrix, ending with one line
# "N passed, N failed". Steps: module build (warning- and sparse-clean) for each
# kernel, mosctl build, Check unit tests (ASan/UBSan), a short fuzz run, dkms
# add/build/install, then the VM suites (at most JOBS guests' worth at a time).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=build/check
rm -rf "$out"
mkdir -p "$out"
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0 failed=0
t0=$(date +%s)

say() { printf '[%4ds] %s\n' $(( $(date +%s) - t0 )) "$*"; }
record() {	# record NAME STATUS [LOG]
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); say "ok - $1"
	else
		failed=$((failed + 1)); say "not ok - $1${3:+ (log: $3)}"
		[ -n "${3:-}" ] && tail -n 20 "$3" | sed 's/^/#   /'
	fi
}
# tally TAPFILE: add its ok / not ok lines
tally() {
	local ok nok
	ok=$(grep -c '^ok ' "$1")
	nok=$(grep -c '^not ok ' "$1")
	passed=$((passed + ok)); failed=$((failed + nok))
}

mapfile -t kernels < <(awk '{print $1}' .deps/matrix)
say "kernels: ${kernels[*]}"

# --- builds: every kernel, with sparse (C=2); any compiler or sparse warning fails
for k in "${kernels[@]}"; do
	log=$out/build-$k.log
	tools/build-module.sh "$k" C=2 > "$log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -E 'warning:|error:' "$log" | grep -v 'Skipping BTF' > /dev/null; then rc=1; fi
	record "build mosix.ko for $k, warning- and sparse-clean" $rc "$log"
done
make -s mosctl > "$out/mosctl.log" 2>&1 && ! grep -q 'warning:' "$out/mosctl.log"
record "build mosctl, -Wall -Wextra clean" $? "$out/mosctl.log"

# --- unit tests (Check, ASan/UBSan)
make -s unit > "$out/unit.log" 2>&1
rc=$?
if [ -f build/tests/unit.tap ]; then
	tally build/tests/unit.tap
	say "unit: $(grep -c '^ok ' build/tests/unit.tap) passed, $(grep -c '^not ok ' build/tests/unit.tap) failed"
	grep '^not ok' build/tests/unit.tap
fi
record "unit test run (sanitizers clean)" $rc "$out/unit.log"

# --- fuzz the shared parser briefly (crash or round-trip failure fails)
make -s fuzz FUZZ_SECONDS="$FUZZ_SECONDS" > "$out/fuzz.log" 2>&1
record "fuzz the map parser for ${FUZZ_SECONDS}s" $? "$out/fuzz.log"
make -s fuzz-info FUZZ_SECONDS="$FUZZ_SECONDS" > "$out/fuzz-info.log" 2>&1
record "fuzz the info datagram decoder for ${FUZZ_SECONDS}s" $? "$out/fuzz-info.log"

# --- dkms add/build/install for every kernel
tests/dkms.sh "${kernels[@]}" > "$out/dkms.log" 2>&1
record "dkms add, build and install for every kernel" $? "$out/dkms.log"

# --- VM suites
single=(tests/vm/cases/smoke.sh tests/vm/cases/configfs.sh tests/vm/cases/netlink.sh tests/vm/cases/shutdown.sh tests/vm/cases/lifecycle.sh)
[ -f tests/vm/cases/mosctl.sh ] && single+=(tests/vm/cases/mosctl.sh)
single+=(tests/vm/cases/dkms.sh)
multi=(tests/vm/cases/net3.sh tests/vm/cases/cluster.sh)
# each ends node 3's guest: a boot of its own
ending=(tests/vm/cases/cluster-poweroff.sh tests/vm/cases/cluster-crash.sh)

vm_run() {	# vm_run NAME KVER CASEFILES...: TAP to $out/vm-NAME-KVER.tap
	local name=$1 k=$2; shift 2
	tests/vm/run-vm.sh --kernel "$k" --name "$name" --timeout 900 "$@" \
		> "$out/vm-$name-$k.tap" 2> "$out/vm-$name-$k.log"
	echo $? > "$out/vm-$name-$k.rc"
}
vm_report() {
	local f=$out/vm-$1-$2
	tally "$f.tap"
	grep -v '^ok ' "$f.tap" | grep -v '^#.*\(passed\|1\.\.\)' | head -n 60
	say "vm $1 on $2: $(grep -c '^ok ' "$f.tap") passed, $(grep -c '^not ok ' "$f.tap") failed (rc $(cat "$f.rc"))"
	# a run that died before reporting anything still counts as a failure
	if [ "$(cat "$f.rc")" != 0 ] && ! grep -q '^not ok ' "$f.tap"; then
		failed=$((failed + 1)); tail -n 20 "$f.log" | sed 's/^/#   /'
	fi
}

say "VM suite: ${#single[@]} case files on ${#kernels[@]} kernels, $JOBS guest(s) at a time"
running=()
for k in "${kernels[@]}"; do
	vm_run single "$k" "${single[@]}" &
	running+=($!)
	if [ ${#running[@]} -ge "$JOBS" ]; then wait "${running[0]}"; running=("${running[@]:1}"); fi
done
wait
for k in "${kernels[@]}"; do vm_report single "$k"; done

say "VM suite: 3-node cluster on ${#kernels[@]} kernels"
for k in "${kernels[@]}"; do
	vm_run cluster "$k" "${multi[@]}"
	vm_report cluster "$k"
	for f in "${ending[@]}"; do
		n=$(basename "$f" .sh)
		vm_run "$n" "$k" "$f"
		vm_report "$n" "$k"
	done
done

say "done in $(( $(date +%s) - t0 ))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
