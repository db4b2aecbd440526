#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the VM harness: runs run-vm.sh on purpose-made case files
# (tests/vm/selftest/*.sh) and checks that it fails exactly when it must: a kernel
# backtrace on the console, a failing test, a W taint, a hanging test, a kernel panic,
# a guest that never ends, a real WARN (panic_on_warn ends the guest), a WARN that only
# guest.sh's kmsg.log holds (console quiet, dmesg -C), a use after free that only
# slub_debug sees, one that only KFENCE sees (kernels with KFENCE), and usage errors;
# plus the smoke cases as a positive control. The misbehaving module
# (selftest/module/) is built for the kernel into build/selftest/KVER/ and loaded in
# the guests only. At most 3 guests run at once. Output: TAP. Exit 0 when every
# expectation holds.
#
# Usage: selftest.sh [--kernel KVER]   (default: the first kernel of .deps/matrix)
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$here/run-vm.sh
st=$here/selftest

kver=
case ${1:-} in
--kernel) kver=${2:-} ;;
--kernel=*) kver=${1#*=} ;;
"") ;;
*) echo "usage: $0 [--kernel KVER]" >&2; exit 2 ;;
esac
if [ -z "$kver" ]; then
	kver=$(awk 'NR == 1 {print $1}' "$top/.deps/matrix" 2> /dev/null)
	[ -n "$kver" ] || { echo "selftest: no $top/.deps/matrix: run tests/setup-deps.sh" >&2; exit 2; }
fi

out=$(mktemp -d /tmp/mosix-vm-selftest.XXXXXX)
trap 'rm -rf "$out"' EXIT
t0=$SECONDS

# start NAME [run-vm args...]: one run-vm.sh in the background, output in $out/NAME.*
declare -A pid=()
start() {
	local name=$1
	shift
	"$run" --kernel "$kver" --name "selftest-$name" "$@" > "$out/$name.out" 2> "$out/$name.err" &
	pid[$name]=$!
}
# finish NAME: wait for it, record its exit status
finish() {
	wait "${pid[$1]}"
	echo $? > "$out/$1.rc"
	echo "selftest: [$((SECONDS - t0))s] $1 exited $(cat "$out/$1.rc")" >&2
}

num=0 bad=0
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	num=$((num + 1))
	if "$@"; then
		echo "ok $num - $d"
	else
		echo "not ok $num - $d"
		bad=$((bad + 1))
		return 1
	fi
}
rc_is() { [ "$(cat "$out/$1.rc")" = "$2" ]; }
has() { grep -Eq -- "$2" "$out/$1.out"; }
# expect NAME RC REGEX...: judge one run; its TAP output is shown when it surprises
expect() {
	local name=$1 want=$2 re ok=1 logs
	shift 2
	check "$name: run-vm.sh exits $want" rc_is "$name" "$want" || ok=0
	for re in "$@"; do
		check "$name: output matches /$re/" has "$name" "$re" || ok=0
	done
	logs=$(sed -n 's/^# logs: //p' "$out/$name.out")
	if [ "$ok" = 1 ]; then
		# an expected failure: its copied logs are of no interest
		case $logs in "$top"/build/vm-logs/selftest-*) rm -rf "$logs" ;; esac
	else
		sed 's/^/#   /' "$out/$name.out" "$out/$name.err"
	fi
}

# the misbehaving module, for $kver (host headers, else the trixie chroot's, as
# tools/build-module.sh does for mosix.ko)
build_module() {
	local d=$top/build/selftest/$kver kdir='' chroot_dir=$top/.deps/trixie c
	rm -rf "$d"
	mkdir -p "$d"
	cp "$st/module/Kbuild" "$st/module/mosix_selftest.c" "$d/" || return 1
	if [ -d "/lib/modules/$kver/build" ]; then
		kdir=/lib/modules/$kver/build
	elif [ -d "/usr/src/linux-headers-$kver" ]; then
		kdir=/usr/src/linux-headers-$kver
	fi
	if [ -n "$kdir" ]; then
		make -C "$kdir" M="$d" modules || return 1
	elif [ -d "$chroot_dir/usr/src/linux-headers-$kver" ]; then
		c=$chroot_dir/build/selftest-$kver
		rm -rf "$c"
		mkdir -p "$c"
		cp "$d/Kbuild" "$d/mosix_selftest.c" "$c/" || return 1
		# shellcheck disable=SC2016 # expanded by sh -c
		unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$@"' "$chroot_dir" \
			"$chroot_dir" make -C "/usr/src/linux-headers-$kver" M="/build/selftest-$kver" modules || return 1
		cp "$c/mosix_selftest.ko" "$d/" || return 1
	else
		echo "no headers for $kver"
		return 1
	fi
	[ -f "$d/mosix_selftest.ko" ]
}
build_module > "$out/module.log" 2>&1
mod_rc=$?
check "the self-test module builds for $kver" [ "$mod_rc" = 0 ] || sed 's/^/#   /' "$out/module.log"
has_kfence=
for f in "$top/.deps/kernels/$kver/boot/config-$kver" "/usr/src/linux-headers-$kver/.config" \
	"$top/.deps/trixie/usr/src/linux-headers-$kver/.config"; do
	if [ -f "$f" ]; then
		grep -q '^CONFIG_KFENCE=y' "$f" && has_kfence=1
		break
	fi
done

# usage errors: no guest involved
"$run" --kernel no-such-kernel "$here/cases/smoke.sh" > "$out/nokernel.out" 2>&1
echo $? > "$out/nokernel.rc"
expect nokernel 2 'is not unpacked'
"$run" --kernel "$kver" --nodes 2 "$here/cases/net3.sh" > "$out/fewnodes.out" 2>&1
echo $? > "$out/fewnodes.rc"
expect fewnodes 2 'needs NODES_REQUIRED=3'

# batch 1: positive control + backtrace + failing tests
start smoke "$here/cases/smoke.sh"
start backtrace "$st/backtrace.sh"
start fail "$st/fail.sh"
for n in smoke backtrace fail; do finish "$n"; done
kre=$(printf '%s' "$kver" | sed 's/[].[^$*+?(){}|\\]/\\&/g')	# as a regex
expect smoke 0 "^ok [0-9]+ - $kre node1 t_guest_runs_the_matrix_kernel " "console clean" "^1\.\.[0-9]+$"
expect backtrace 1 "^ok [0-9]+ - .* t_sysrq_l_prints_a_kernel_backtrace " \
	"^not ok [0-9]+ - .* console clean" "^# .*Call Trace" "^ok [0-9]+ - .* taint 0"
expect fail 1 "^ok [0-9]+ - .* t_selftest_passes " "^not ok [0-9]+ - .* t_selftest_fails " \
	"^# FAIL: failing on purpose" "^not ok [0-9]+ - .* t_selftest_returns_nonzero " \
	"^ok [0-9]+ - .* console clean" "^# logs: "

# batch 2: taint, hanging test, kernel panic
start taint "$st/taint.sh"
start hang "$st/hang.sh"
start panic "$st/panic.sh"
for n in taint hang panic; do finish "$n"; done
expect taint 1 "^ok [0-9]+ - .* t_taint_w_is_set " "^not ok [0-9]+ - .* taint 512 " "^ok [0-9]+ - .* console clean"
expect hang 1 "^not ok [0-9]+ - .* t_selftest_hangs .*timed out" "^ok [0-9]+ - .* t_selftest_after_the_hang "
expect panic 1 "^not ok [0-9]+ - .* t_selftest_crashes_the_kernel .*did not report" \
	"^not ok [0-9]+ - .* t_selftest_never_runs .*did not report" "^# .*Kernel panic" \
	"^not ok [0-9]+ - .* guest finished and powered off" "^not ok [0-9]+ - .* taint \(no taint recorded"

# batch 3: a guest that never ends is killed at --timeout; a real WARN, on the
# console (panic_on_warn) or only in the kernel log that guest.sh copies as it grows
start stuck --timeout 25 "$st/stuck.sh"
start warn "$st/warn.sh"
start warnquiet "$st/warn-quiet.sh"
for n in stuck warn warnquiet; do finish "$n"; done
expect stuck 1 "^not ok [0-9]+ - .*killed after --timeout 25 s" "did not report"
expect warn 1 "^not ok [0-9]+ - .* t_selftest_warns .*did not report" \
	"^not ok [0-9]+ - .* t_selftest_after_the_warn .*did not report" \
	"^# .*Kernel panic.*panic_on_warn" "^not ok [0-9]+ - .* guest finished and powered off"
expect warnquiet 1 "^ok [0-9]+ - .* t_selftest_warns_off_the_console " \
	"^not ok [0-9]+ - .* console clean" "^# .*WARNING: .*mosix_selftest" "^not ok [0-9]+ - .* taint [0-9]+ "
# (and it was caught in kmsg.log alone: neither the console nor the final dmesg has it)
wq=$top/build/vm/selftest-warnquiet-$kver
not_in() { [ -f "$2" ] && ! grep -aq "$1" "$2"; }
check "warnquiet: the WARN is not on the console" not_in 'WARNING:' "$wq/console.node1.log"
check "warnquiet: the WARN is not in the final dmesg" not_in 'WARNING:' "$wq/node1/dmesg.log"

# batch 4: use after free, seen by slub_debug; and by KFENCE where the kernel has it
start uaf "$st/uaf.sh"
[ -z "$has_kfence" ] || start kfence "$st/kfence.sh"
finish uaf
[ -z "$has_kfence" ] || finish kfence
# (the SLUB report: "BUG kmalloc-64 (Tainted: ...): Poison overwritten"; on 6.12+ it
# WARNs too, and panic_on_warn ends the guest)
expect uaf 1 "^not ok [0-9]+ - .* console clean" "^# .*BUG kmalloc-[a-z0-9-]*64 \((Not t|T)ainted[):]"
[ -z "$has_kfence" ] || expect kfence 1 "^not ok [0-9]+ - .* console clean" "^# .*BUG: KFENCE: use-after-free read"

echo "1..$num"
echo "selftest: $((num - bad))/$num expectations met in $((SECONDS - t0)) s on $kver" >&2
[ "$bad" = 0 ]
