#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM suites on the debug kernel (tests/debug-kernel/: KASAN, lockdep with
# PROVE_LOCKING and PROVE_RCU, DEBUG_ATOMIC_SLEEP, debug objects, kmemleak, KFENCE).
# run-vm.sh recognises that kernel (it has KASAN) and changes its defaults for it:
# case and wait_for limits times 4 (--time-scale), acpi=noirq, no slub_debug (KASAN
# sees what it sees), and two more checks per guest: guest.sh's
# kmemleak scan at its end reports nothing, lockdep is still on at the end. panic_on_warn
# and the splat search (lockdep, KASAN, KFENCE, kmemleak, "sleeping function called from
# invalid context", ...) are those of every kernel: any report fails the run.
#
#   tests/debug-check.sh            --prepare, then the single-guest boot (every case file
#                                   without NODES_REQUIRED=3; ENDS_GUEST=1 ones in boots of
#                                   their own) and the 3-node boot (the NODES_REQUIRED=3
#                                   files, the ENDS_GUEST=1 ones at its end), at the same
#                                   time; TAP in build/debug-check/, progress on stderr,
#                                   last line "N passed, N failed"
#   tests/debug-check.sh --kernel   only the kernel (tests/debug-kernel/build.sh: cached,
#                                   seconds when built; else about 12 CPU-minutes at
#                                   nice 19): start it early, in the background
#   tests/debug-check.sh --prepare  the kernel (waits for a --kernel still building),
#                                   mosix.ko for it (from clean when the kernel changed),
#                                   mosctl, and its dkms tree (tests/dkms.sh KVER, which
#                                   replaces build/dkms: not while another dkms.sh runs)
#   tests/debug-check.sh --kver     print the debug kernel's KVER
# Environment: DEBUG_CHECK_TIMEOUT (default 5400: the 3-node boot's criu moves take
# about 45 minutes there): run-vm.sh --timeout of each boot.
# tests/check.sh runs the same boots through its vm_run (see tests/debug-kernel/README.md).
# GUEST_INIT=systemd case files do not run here: their guests build the module with dkms
# (make systemd-check, on the stock kernels).
set -uo pipefail
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$top" || exit 1
# the debug kernel's release, as its make kernelrelease will say: the upstream version of
# the installed linux-source-6.12 (what build.sh builds; make deps installs it) and
# config.fragment's LOCALVERSION. Not installed yet: build.sh installs the newest, and
# kernel() below says if that is another.
srcv=$(dpkg-query -W -f='${Version}' linux-source-6.12 2> /dev/null || true)
srcv=${srcv%%-*}
kver=${srcv:-6.12.117}$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' tests/debug-kernel/config.fragment)
out=$top/build/debug-check
t0=$SECONDS
say() { printf 'debug-check: [%4ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }

# the kernel: build.sh prints KVER=... last; its progress lines go to stderr here
kernel() {
	local line k=''
	# (its progress lines to stderr, the KVER= line kept)
	while IFS= read -r line; do
		case $line in KVER=*) k=${line#KVER=} ;; *) printf '%s\n' "$line" >&2 ;; esac
	done < <(tests/debug-kernel/build.sh)
	[ -n "$k" ] || { say "the debug kernel did not build (log: /var/cache/mosix/debug-kernel/build.log)"; return 1; }
	if [ "$k" != "$kver" ]; then
		say "the debug kernel built is $k, not $kver (linux-source-6.12 $srcv when this began)"
		return 1
	fi
}

prepare() {
	local key bkey log
	kernel || return 1
	mkdir -p "$out"
	# mosix.ko, from clean when the kernel is not the one it was built for (same KVER)
	key=$(cat ".deps/kernels/$kver/.debug-kernel-key" 2> /dev/null)
	bkey=$(cat "build/$kver/.debug-kernel-key" 2> /dev/null)
	if [ "$key" != "$bkey" ]; then
		say "mosix.ko: the kernel changed (key ${key:-?}): building from clean"
		rm -rf "build/$kver"
	fi
	log=$out/build-module.log
	say "building mosix.ko for $kver"
	if ! tools/build-module.sh "$kver" > "$log" 2>&1 || [ ! -f "build/$kver/mosix.ko" ]; then
		say "mosix.ko for $kver does not build:"; tail -n 20 "$log" >&2
		return 1
	fi
	if grep -iE 'warning:|error:' "$log" | grep -v 'Skipping BTF' >&2; then
		say "mosix.ko for $kver: the build warns (log: $log)"
		return 1
	fi
	echo "$key" > "build/$kver/.debug-kernel-key"
	make -s mosctl > "$out/mosctl.log" 2>&1 || { say "make mosctl failed:"; tail -n 20 "$out/mosctl.log" >&2; return 1; }
	# the dkms case: build/dkms-root/KVER, laid out by tests/dkms.sh
	say "dkms add, build and install for $kver (tests/dkms.sh $kver)"
	if ! tests/dkms.sh "$kver" > "$out/dkms.log" 2>&1; then
		say "tests/dkms.sh $kver failed:"; tail -n 20 "$out/dkms.log" >&2
		return 1
	fi
	say "ready: $kver"
	echo "KVER=$kver"
}

case ${1:-} in
--kver) echo "$kver"; exit 0 ;;
--kernel) kernel; exit ;;
--prepare) prepare; exit ;;
"") ;;
*) sed -n '3,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac

prepare > /dev/null || { echo "0 passed, 1 failed"; exit 1; }

# --- the case files, sorted into boots as tests/check.sh sorts them
# shellcheck source=tests/vm/case-runs.sh
source tests/vm/case-runs.sh
sort_case_files
for e in "${case_errors[@]}"; do say "$e"; done

tmo=${DEBUG_CHECK_TIMEOUT:-5400}
run() {	# NAME CASEFILE...: one boot; TAP in $out/vm-NAME.tap
	local name=$1 s=$SECONDS
	shift
	say "$name: booting for $(for c in "$@"; do basename "$c"; done | paste -sd' ')"
	tests/vm/run-vm.sh --kernel "$kver" --name "debug-$name" --timeout "$tmo" --root-cache loose "$@" \
		> "$out/vm-$name.tap" 2> "$out/vm-$name.log" < /dev/null
	echo $? > "$out/vm-$name.rc"
	say "$name: run-vm.sh exited $(cat "$out/vm-$name.rc") after $((SECONDS - s)) s"
}
rm -f "$out"/vm-*
names=()
if [ ${#multi[@]} -gt 0 ] || [ ${#multi_end[@]} -gt 0 ]; then
	run cluster "${multi[@]}" "${multi_end[@]}" &
	names+=(cluster)
fi
{
	[ ${#single[@]} -eq 0 ] || run single "${single[@]}"
	for c in "${single_own[@]}"; do run "$(basename "$c" .sh)" "$c"; done
} &
[ ${#single[@]} -eq 0 ] || names+=(single)
for c in "${single_own[@]}"; do names+=("$(basename "$c" .sh)"); done
wait

# --- the tally: "ok" counts, "not ok" and an unexpected "# SKIP" fail (as in check.sh)
passed=0 failed=${#case_errors[@]}	# a case file in no boot fails, as in check.sh
for name in "${names[@]}"; do
	f=$out/vm-$name.tap
	ok=$(grep -c '^ok ' "$f" 2> /dev/null)
	skip=$(grep -ciE '^ok .*#[[:space:]]*skip' "$f" 2> /dev/null)
	nok=$(grep -c '^not ok ' "$f" 2> /dev/null)
	ok=$((${ok:-0} - ${skip:-0})) nok=$((${nok:-0} + ${skip:-0}))
	rc=$(cat "$out/vm-$name.rc" 2> /dev/null || echo '?')
	# a run that died before reporting anything still counts as a failure
	[ "$rc" = 0 ] || [ "$nok" -gt 0 ] || nok=1
	grep -E '^(not ok|ok .*#[[:space:]]*[Ss][Kk][Ii][Pp])' "$f" 2> /dev/null | head -n 40 >&2
	say "$name: $ok passed, $nok failed (run-vm.sh exit $rc; TAP $f)"
	passed=$((passed + ok)) failed=$((failed + nok))
done
say "done in $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
