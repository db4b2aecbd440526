#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything, on every kernel of the matrix, ending with one line
# "N passed, N failed". Phases:
#   builds    mosix.ko from clean for each kernel (compiler-, modpost- and sparse-clean),
#             mosctl (-Wall -Wextra clean)
#   unit      Check unit tests under ASan/UBSan
#   fuzz      short libFuzzer runs of the map parser, the info and migration message
#             decoders, the image stream's receiver and the stdio relay
#   dkms      dkms add/build/install for each kernel, in dkms trees under build/dkms
#             (nothing is left on the host: checked)
#   deb       the Debian packages (make deb, for bookworm and trixie): contents, lintian,
#             reproducibility, one version (tests/deb.sh)
#   selftest  the VM harness fails when it must (tests/vm/selftest.sh, first kernel)
#   vm-single every single-guest case file of tests/vm/cases/, one boot per kernel
#             (JOBS kernels at a time)
#   vm-cluster  every NODES_REQUIRED=3 case file, one 3-node boot per kernel
#   vm-systemd  (not by default: make systemd-check) the GUEST_INIT=systemd case files:
#             one 3-node boot under systemd per kernel whose headers the host root has
#             (the guests' dkms builds from them: 6.1 and 6.12), with the packages
#             tests/vm/systemd-debs.sh builds. Each boot takes about 12 minutes
#             (three dkms builds under emulation, 290 s each); a fresh-machine run
#             with it measured 85 minutes (2026-12-01), over the 75-minute budget: it
#             joins make check once the boots are cheaper
#   vm-debug  both boots again on the debug kernel (tests/debug-kernel/: KASAN, lockdep,
#             kmemleak, KFENCE, ...; debug objects off: no_debug_objects), but for the
#             case files with DEBUG_KERNEL=debug-check (the criu moves, minutes each
#             there; the CLI's and the unit's: make debug-check runs them): it
#             builds in the background from the start
#             (cached under /var/cache/mosix: seconds; on a fresh machine about 13
#             minutes, beside the phases above); then, still in the background,
#             mosix.ko and dkms for it (tests/debug-check.sh --prepare) and its
#             single-guest boot, beside the stock VM phases; its 3-node boot after them
# A case file with ENDS_GUEST=1 (it powers a guest off or crashes it): single-guest, a
# boot of its own; 3-node, at the end of the 3-node boot, by name, each ending the node
# its ENDS_NODE= names (2 or 3, a different one each: node 1 stays to the end; the
# later tests run without the nodes that ended). Every tests/vm/cases/*.sh runs (but the
# GUEST_INIT=systemd ones: make systemd-check, above); one
# that fits no run fails make check. A test
# reported "# SKIP" counts as failed unless it is on skip_allowed below. A suite that
# cannot start before the deadline is reported failed ("not run: deadline").
#
# Usage: tests/check.sh [--vm-only]   (--vm-only, make vm: builds, dkms and the VM suites)
# Environment:
#   JOBS=2                single-guest VM runs at once
#   FUZZ_SECONDS=20       per fuzz target
#   CHECK_DEADLINE_MIN=80 minutes from the start after which no suite starts (CI ends
#                         the job at 90); VM runs are bounded to end 5 minutes after it
#   CHECK_ONLY=a,b        only these phases (builds unit fuzz dkms deb selftest vm-single
#                         vm-cluster vm-systemd vm-debug; vm = the VM phases of make
#                         check), for partial runs by hand
#   CHECK_KERNELS="K ..." only these kernels of .deps/matrix
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

usage() { echo "usage: $0 [--vm-only]" >&2; exit 2; }
all_phases="builds unit fuzz dkms deb selftest vm-single vm-cluster vm-systemd vm-debug"
default_phases="builds unit fuzz dkms deb selftest vm-single vm-cluster vm-debug"
phases=${CHECK_ONLY:-$default_phases}
case ${1:-} in
"") ;;
--vm-only) phases="builds dkms vm-single vm-cluster vm-debug" ;;
*) usage ;;
esac
phases=" ${phases//,/ } "
phases=${phases// vm / vm-single vm-cluster vm-debug }
for p in $phases; do
	case " $all_phases " in *" $p "*) ;; *) echo "check: unknown phase '$p' (phases: $all_phases)" >&2; exit 2 ;; esac
done
want() { case $phases in *" $1 "*) return 0 ;; esac; return 1; }

out=build/check
rm -rf "$out"
mkdir -p "$out"
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
CHECK_DEADLINE_MIN=${CHECK_DEADLINE_MIN:-80}
[[ $CHECK_DEADLINE_MIN =~ ^[0-9]+$ ]] || { echo "check: bad CHECK_DEADLINE_MIN '$CHECK_DEADLINE_MIN'" >&2; exit 2; }
passed=0 failed=0
t0=$(date +%s)
deadline=$((t0 + CHECK_DEADLINE_MIN * 60))
vm_end=$((deadline + 300))	# no VM run is given a --timeout reaching past this

# TAP "ok ... # SKIP" lines that do not fail make check: a fixed part of the line
# ("t_name (case.sh" for a VM test), each with a comment saying why it may skip.
# None today: a skipped test proves nothing.
skip_allowed=(
)

say() { printf '[%4ds] %s\n' $(( $(date +%s) - t0 )) "$*"; }
record() {	# record NAME STATUS [LOG]
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); say "ok - $1"
	else
		failed=$((failed + 1)); say "not ok - $1${3:+ (log: $3)}"
		fail_list+=("$1")
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 20 "$3" | sed 's/^/#   /'
	fi
}
# before_deadline NAME: true if NAME may still start; else it is recorded as failed
before_deadline() {
	[ "$(date +%s)" -lt "$deadline" ] && return 0
	record "$1 (not run: deadline of $CHECK_DEADLINE_MIN min passed)" 1
	return 1
}
# phase times, printed as a table at the end, and the failures after it (a CI log's
# tail is all some readers get)
times=()
fail_list=()
timed() { times+=("$(printf '%-72s %5ds' "$1" "$2")"); }
since() { echo $(( $(date +%s) - $1 )); }
# the host's busy and total jiffies now (/proc/stat's cpu line), and at the end how busy
# the cores were since t0, in percent of all of them
read -r _ u n sy id io irq sirq st _ < /proc/stat
cpu_t0_busy=$((u + n + sy + irq + sirq + st)) cpu_t0_all=$((u + n + sy + id + io + irq + sirq + st))
host_cpu_busy_pct() {
	local u n sy id io irq sirq st busy all
	read -r _ u n sy id io irq sirq st _ < /proc/stat
	busy=$((u + n + sy + irq + sirq + st - cpu_t0_busy))
	all=$((u + n + sy + id + io + irq + sirq + st - cpu_t0_all))
	[ "$all" -gt 0 ] || return 1
	echo "$((busy * 100 / all))% of $(nproc) cores"
}

# tally TAPFILE: ok lines add to passed; not ok lines, and ok # SKIP lines that are not
# on skip_allowed, to failed. Sets t_ok t_nok t_skip (the skips among t_nok).
tally() {
	local line a allowed
	t_ok=0 t_nok=0 t_skip=0
	while IFS= read -r line; do
		case $line in
		"not ok "*) t_nok=$((t_nok + 1)); fail_list+=("${1##*/}: ${line#not ok }") ;;
		"ok "*)
			if [[ ${line,,} =~ \#[[:space:]]*skip ]]; then
				allowed=
				for a in "${skip_allowed[@]}"; do
					[[ $line == *"$a"* ]] && allowed=1
				done
				if [ -n "$allowed" ]; then
					t_ok=$((t_ok + 1))
				else
					t_nok=$((t_nok + 1)) t_skip=$((t_skip + 1))
					fail_list+=("${1##*/}: skipped: ${line#ok }")
					say "not ok (skipped: counts as failed) - ${line#ok }"
				fi
			else
				t_ok=$((t_ok + 1))
			fi
			;;
		esac
	done < "$1"
	passed=$((passed + t_ok)); failed=$((failed + t_nok))
}

mapfile -t kernels < <(awk '{print $1}' .deps/matrix)
# the kernels whose nodes run trixie's userspace (7.x: bookworm's criu fails there)
mapfile -t trixie_kernels < <(awk '$2 == "trixie" {print $1}' .deps/matrix)
userspace_of() { printf '%s\n' "${trixie_kernels[@]}" | grep -qxF -- "$1" && echo trixie || echo host; }
if [ -n "${CHECK_KERNELS:-}" ]; then
	for k in $CHECK_KERNELS; do
		printf '%s\n' "${kernels[@]}" | grep -qxF -- "$k" || { echo "check: $k is not in .deps/matrix" >&2; exit 2; }
	done
	read -ra kernels <<< "$CHECK_KERNELS"
fi
say "kernels: ${kernels[*]}; phases:$phases; deadline in $CHECK_DEADLINE_MIN min"

# --- the debug kernel builds from now on, in the background, at the priority of the
# rest (at nice 19 the guests of the VM phases starved it for most of an hour); the
# phases up to the VM ones are mostly single-threaded. Cached: seconds.
if want vm-debug; then
	debug_kver=$(tests/debug-check.sh --kver)
	say "debug kernel $debug_kver: building in the background (log: $out/debug-kernel.log)"
	(
		s=$(date +%s)
		MOSIX_DEBUG_KERNEL_NICE=${MOSIX_DEBUG_KERNEL_NICE:-0} tests/debug-check.sh --kernel \
			> "$out/debug-kernel.log" 2>&1 < /dev/null
		echo $? > "$out/debug-kernel.rc"
		since "$s" > "$out/debug-kernel.secs"
	) &
	debug_kernel_job=$!
fi

# --- builds: every kernel from clean, with sparse (C=2); any compiler, modpost or
# sparse warning fails (modpost says WARNING:). From clean, or a second run would
# find the objects up to date and check an empty log: everything of build/KVER goes
# but mosix.ko itself, which the build replaces (a guest of another run in this tree
# may be loading it right now); it must be new afterwards, and goes if the build fails.
if want builds; then
	s=$(date +%s)
	for k in "${kernels[@]}"; do
		name="build mosix.ko for $k, warning- and sparse-clean"
		before_deadline "$name" || continue
		log=$out/build-$k.log
		[ ! -d "build/$k" ] || find "build/$k" -mindepth 1 ! -path "build/$k/mosix.ko" -delete
		rm -rf ".deps/trixie/build/$k"	# (where 7.x builds, in the chroot)
		stamp=$(date +%s)
		tools/build-module.sh "$k" C=2 > "$log" 2>&1
		rc=$?
		if [ ! -f "build/$k/mosix.ko" ] || [ "$(stat -c %Y "build/$k/mosix.ko")" -lt "$stamp" ]; then
			echo "check: build/$k/mosix.ko was not made by this build" >> "$log"
			rc=1
		fi
		if [ $rc = 0 ] && grep -iE 'warning:|error:' "$log" | grep -v 'Skipping BTF' > /dev/null; then rc=1; fi
		[ $rc = 0 ] || rm -f "build/$k/mosix.ko"	# no stale module for the VM runs
		record "$name" $rc "$log"
	done
	name="build mosctl, -Wall -Wextra clean"
	if before_deadline "$name"; then
		make -s -B mosctl > "$out/mosctl.log" 2>&1 && ! grep -qiE 'warning:|error:' "$out/mosctl.log"
		record "$name" $? "$out/mosctl.log"
	fi
	# (the 7.x guests run trixie's userspace: run-vm.sh --userspace trixie)
	if [ ${#trixie_kernels[@]} -gt 0 ]; then
		name="build mosctl for trixie (in the chroot), -Wall -Wextra clean"
		if before_deadline "$name"; then
			rm -f build/trixie/tools/mosctl
			make -s mosctl-trixie > "$out/mosctl-trixie.log" 2>&1 &&
				! grep -qiE 'warning:|error:' "$out/mosctl-trixie.log"
			record "$name" $? "$out/mosctl-trixie.log"
		fi
	fi
	timed "builds (${#kernels[@]} kernels from clean, mosctl)" "$(since "$s")"
fi

# --- unit tests (Check, ASan/UBSan): the TAP file must come from this run
if want unit && before_deadline "unit test run"; then
	s=$(date +%s)
	rm -f build/tests/unit.tap
	make -s unit > "$out/unit.log" 2>&1
	rc=$?
	if [ -f build/tests/unit.tap ]; then
		tally build/tests/unit.tap
		say "unit: $t_ok passed, $t_nok failed"
		grep '^not ok' build/tests/unit.tap
	else
		rc=1
		say "unit: the run wrote no build/tests/unit.tap"
	fi
	record "unit test run (sanitizers clean)" $rc "$out/unit.log"
	# (issue 11's placement and balancing code, run by its simulator: the targets
	# against the oracles and the moves per job; about 35 s)
	name="placement simulator meets its targets (tests/sim/sim_place.c)"
	if before_deadline "$name"; then
		make -s build/tests/sim_place > "$out/sim-place.log" 2>&1 && build/tests/sim_place >> "$out/sim-place.log" 2>&1
		rc=$?
		say "sim_place: $(grep -c PASS "$out/sim-place.log") targets met, $(grep -c FAIL "$out/sim-place.log") missed"
		grep FAIL "$out/sim-place.log"
		record "$name" $rc "$out/sim-place.log"
	fi
	timed "unit" "$(since "$s")"
fi

# --- fuzz the shared parsers briefly (a crash or round-trip failure fails): two
# targets at a time, one core each (a libFuzzer run is single-threaded)
fuzz_targets=(
	"fuzz|the map parser"
	"fuzz-info|the info datagram decoder"
	"fuzz-mig|the migration control message decoder"
	"fuzz-imgstream|the migration image stream's receiver"
	"fuzz-relay|the relay's receiving ends and ticket parser"
)
if want fuzz; then
	s=$(date +%s)
	for ((i = 0; i < ${#fuzz_targets[@]}; i += 2)); do
		pair=("${fuzz_targets[@]:i:2}")
		pids=() names=() logs=()
		for t in "${pair[@]}"; do
			name="fuzz ${t#*|} for ${FUZZ_SECONDS}s"
			before_deadline "$name" || continue
			log=$out/${t%%|*}.log
			make -s "${t%%|*}" FUZZ_SECONDS="$FUZZ_SECONDS" > "$log" 2>&1 &
			pids+=($!) names+=("$name") logs+=("$log")
		done
		for j in "${!pids[@]}"; do
			wait "${pids[$j]}"
			record "${names[$j]}" $? "${logs[$j]}"
		done
	done
	timed "fuzz (${#fuzz_targets[@]} targets, 2 at a time)" "$(since "$s")"
fi

# --- dkms add/build/install for every kernel, in dkms trees under build/dkms
# what dkms could leave behind: on the host, and in the trixie chroot (7.x)
dkms_leftovers() {
	local r
	for r in / .deps/trixie/; do
		find "${r}lib/modules" -name 'mosix*' 2> /dev/null
		find "${r}var/lib/dkms" "${r}usr/src" -maxdepth 1 -name 'mosix*' 2> /dev/null
	done | sort
}
if want dkms && before_deadline "dkms add, build and install for every kernel"; then
	s=$(date +%s)
	left_before=$(dkms_leftovers)
	tests/dkms.sh "${kernels[@]}" > "$out/dkms.log" 2>&1
	record "dkms add, build and install for every kernel" $? "$out/dkms.log"
	left_after=$(dkms_leftovers)
	if [ "$left_before" = "$left_after" ]; then
		record "dkms leaves nothing in /lib/modules, /var/lib/dkms, /usr/src" 0
	else
		record "dkms leaves nothing in /lib/modules, /var/lib/dkms, /usr/src" 1
		diff <(printf '%s\n' "$left_before") <(printf '%s\n' "$left_after") | sed 's/^/#   /'
	fi
	timed "dkms (${#kernels[@]} kernels)" "$(since "$s")"
fi

# --- the Debian packages: each check is a TAP line of tests/deb.sh
if want deb && before_deadline "Debian packages (tests/deb.sh)"; then
	s=$(date +%s)
	tests/deb.sh > "$out/deb.tap" 2> "$out/deb.log"
	rc=$?
	tally "$out/deb.tap"
	grep -A 8 '^not ok' "$out/deb.tap"
	say "deb: $t_ok passed, $t_nok failed (rc $rc)"
	if [ "$rc" != 0 ] && [ "$t_nok" = 0 ]; then
		record "Debian packages: tests/deb.sh ran to its end" 1 "$out/deb.log"
	fi
	timed "deb (make deb, 2 releases, twice; lintian)" "$(since "$s")"
fi

# --- VM suites. The case files sort themselves into runs: NODES_REQUIRED= absent or 1:
# the single-guest boot, 3: the 3-node boot; ENDS_GUEST=1: single-guest, a boot of its
# own; 3-node, the end of the 3-node boot (multi_end), each with ENDS_NODE=N, the node
# whose guest it ends (2..3; no two the same: a node ends once, node 1 stays up to
# read the others' consoles), in name order after every other 3-node file. Within a
# boot: smoke and net3 first, then the rest by name (tests/vm/case-runs.sh).
# shellcheck source=tests/vm/case-runs.sh
source tests/vm/case-runs.sh
sort_case_files

vm_progress() {	# KVER NAME: run-vm.sh's progress as it comes, one line per test
	local k=$1 name=$2 line node r cf t secs
	while IFS= read -r line; do
		line=${line#\[*s\] }
		case $line in
		"result "*)
			read -r _ node r cf t secs <<< "$line"
			case $r in ok) r="ok    " ;; skip) r="SKIP  " ;; fail) r="FAIL  " ;; *) r="FAIL ($r)" ;; esac
			say "$k $name $node: $r $t ($cf, $secs)"
			;;
		PASS:* | FAIL:* | cpu:* | *killed* | *"qemu exited"* | *waiting* | run-vm:* | *initramfs* | *interrupted* | *terminated*)
			say "$k $name: $line" ;;
		esac
	done
}
vm_run() {	# vm_run NAME KVER CASEFILES...: TAP to $out/vm-NAME-KVER.tap, progress to stdout
	local name=$1 k=$2 f=$out/vm-$1-$2 now tmo max=${VM_RUN_MAX:-1500}
	shift 2
	now=$(date +%s)
	if [ "$now" -ge "$deadline" ]; then
		echo deadline > "$f.rc"
		return
	fi
	tmo=$((vm_end - now))
	[ "$tmo" -le "$max" ] || tmo=$max
	[ "$tmo" -ge 120 ] || tmo=120
	say "$k $name: booting for $(for c in "$@"; do basename "$c"; done | paste -sd' ')"
	# (the guests read only files that nothing changes during the run: cache=loose;
	# what they write goes to their scratch folder, a share of its own)
	tests/vm/run-vm.sh --kernel "$k" --name "$name" --timeout "$tmo" --root-cache loose ${VM_USERSPACE:+--userspace "$VM_USERSPACE"} "$@" \
		2>&1 > "$f.tap" < /dev/null | tee "$f.log" | vm_progress "$k" "$name"
	echo "${PIPESTATUS[0]}" > "$f.rc"
	since "$now" > "$f.secs"
}
vm_report() {	# NAME KVER: tally a finished vm_run
	local name=$1 k=$2 f=$out/vm-$1-$2 rc
	rc=$(cat "$f.rc" 2> /dev/null || echo '?')
	if [ "$rc" = deadline ]; then
		record "vm $name on $k (not run: deadline of $CHECK_DEADLINE_MIN min passed)" 1
		return
	fi
	tally "$f.tap"
	grep -v -e '^ok ' -e '^1\.\.[0-9]*$' "$f.tap" | head -n 60
	say "vm $name on $k: $t_ok passed, $t_nok failed (rc $rc, $(cat "$f.secs")s)"
	# a run that died before reporting anything still counts as a failure
	if [ "$rc" != 0 ] && [ "$t_nok" = 0 ]; then
		failed=$((failed + 1)); tail -n 20 "$f.log" | sed 's/^/#   /'
	fi
}
secs_of() { cat "$out/vm-$1-$2.secs" 2> /dev/null || echo 0; }
# cpu_note NAME KVER: what the run's guests used of the host's CPU (run-vm.sh's cpu: line)
cpu_note() {
	local c
	c=$(sed -n 's/.*cpu: guests used \([0-9]*\) CPU-s.*/\1/p' "$out/vm-$1-$2.log" 2> /dev/null | tail -n 1)
	[ -z "$c" ] || echo " (guests: $c CPU-s)"
}

vm_single() {	# KVER: the single-guest boot, then each ENDS_GUEST=1 file's own boot
	[ ${#single[@]} -eq 0 ] || vm_run single "$1" "${single[@]}"
	local c
	for c in "${single_own[@]}"; do vm_run "$(basename "$c" .sh)" "$1" "$c"; done
}
vm_single_report() {	# KVER: tally vm_single's boots, one row of the time table
	local k=$1 row="vm single $1" secs=0 c n
	if [ ${#single[@]} -gt 0 ]; then vm_report single "$k"; secs=$(secs_of single "$k"); fi
	for c in "${single_own[@]}"; do
		n=$(basename "$c" .sh)
		vm_report "$n" "$k"
		secs=$((secs + $(secs_of "$n" "$k")))
		row+=" +$n"
	done
	timed "$row$(cpu_note single "$k")" "$secs"
}

if want vm-single || want vm-cluster || want vm-systemd || want vm-debug; then
	for e in "${case_errors[@]}"; do record "$e" 1; done
fi

# --- the debug kernel's single-guest boot, beside the stock VM phases: in the background,
# once its kernel has built (on a fresh machine that build takes minutes more than the
# phases above; the stock VM phases do not wait for it), mosix.ko and dkms for it
# (--prepare), then the boot. Its boots get up to 65 minutes, within the deadline (this
# kernel is about 8 times slower under TCG; on a fresh machine here its single-guest
# boot took 2965 s beside the other phases, 35 s short of the 50 minutes it had).
debug_max=3900
if want vm-debug; then
	say "debug kernel $debug_kver: its single-guest boot starts in the background once the kernel, mosix.ko and dkms for it are ready"
	(
		s=$(date +%s)
		tests/debug-check.sh --prepare > "$out/debug-prepare.log" 2>&1 < /dev/null
		echo $? > "$out/debug-prepare.rc"
		since "$s" > "$out/debug-prepare.secs"
		if [ "$(cat "$out/debug-prepare.rc")" = 0 ]; then
			debug_boot_files "${single[@]}"
			single=("${debug_files[@]}")
			say "debug kernel ready: its single-guest boot starts (not the ${#debug_check_only[@]} DEBUG_KERNEL=debug-check files: make debug-check)"
			MOSIX_VM_DEBUG_OBJECTS=0 VM_RUN_MAX=$debug_max vm_single "$debug_kver"
		else
			say "debug kernel: not ready (log: $out/debug-prepare.log)"
		fi
	) &
	debug_single_job=$!
fi

# --- the VM harness fails when it must: splat, WARN, taint, hang, panic, stuck guest
if want selftest && before_deadline "VM harness self-test on ${kernels[0]}"; then
	s=$(date +%s)
	say "VM harness self-test on ${kernels[0]}"
	tests/vm/selftest.sh --kernel "${kernels[0]}" 2>&1 > "$out/selftest.tap" < /dev/null |
		tee "$out/selftest.log" | while IFS= read -r line; do say "$line"; done
	rc=${PIPESTATUS[0]}
	tally "$out/selftest.tap"
	# the expectations that failed, with the TAP of the run that surprised
	grep -A 40 '^not ok' "$out/selftest.tap" | grep -E '^(not ok|#)' | head -n 80
	say "selftest: $t_ok passed, $t_nok failed (rc $rc)"
	if [ "$rc" != 0 ] && [ "$t_nok" = 0 ]; then
		record "VM harness self-test ran to its end" 1 "$out/selftest.log"
	fi
	timed "selftest (${kernels[0]})" "$(since "$s")"
fi

if want vm-single; then
	s=$(date +%s)
	say "VM single-guest runs: ${#single[@]} case files in one boot per kernel, ${#single_own[@]} in boots of their own; $JOBS kernel(s) at a time"
	running=()
	for k in "${kernels[@]}"; do
		vm_single "$k" &
		running+=($!)
		if [ ${#running[@]} -ge "$JOBS" ]; then wait "${running[0]}"; running=("${running[@]:1}"); fi
	done
	# (only these: the debug kernel's jobs go on)
	[ ${#running[@]} -eq 0 ] || wait "${running[@]}"
	for k in "${kernels[@]}"; do vm_single_report "$k"; done
	timed "vm single: the phase ($JOBS at a time)" "$(since "$s")"
fi

if want vm-cluster; then
	s=$(date +%s)
	say "VM 3-node runs: ${#multi[@]} case files in one boot per kernel, ending with the ${#multi_end[@]} that end a guest"
	for k in "${kernels[@]}"; do
		if [ $((${#multi[@]} + ${#multi_end[@]})) -gt 0 ]; then
			# (a 7.x cluster runs trixie's userspace, as 7.x nodes do: trixie's criu)
			VM_USERSPACE=$(userspace_of "$k") vm_run cluster "$k" "${multi[@]}" "${multi_end[@]}"
			vm_report cluster "$k"
			timed "vm cluster $k$(cpu_note cluster "$k")" "$(secs_of cluster "$k")"
		fi
	done
	timed "vm cluster: the phase" "$(since "$s")"
fi

# --- under systemd: the packages, then one 3-node boot per kernel whose headers the host
# root has (the guests' dkms builds the module from them; 7.x's are in the trixie chroot)
if want vm-systemd && [ ${#systemd_files[@]} -gt 0 ]; then
	s=$(date +%s)
	sys_kernels=()
	for k in "${kernels[@]}"; do
		[ -d "/usr/src/linux-headers-$k" ] && sys_kernels+=("$k")
	done
	# (all of the matrix: at least two, as the packages promise)
	if [ -z "${CHECK_KERNELS:-}" ] && [ ${#sys_kernels[@]} -lt 2 ]; then
		record "systemd boots on two kernels or more (those with headers on the host: ${sys_kernels[*]:-none})" 1
	fi
	name="the packages for the systemd guests (tests/vm/systemd-debs.sh)"
	debs_rc=1
	if before_deadline "$name"; then
		tests/vm/systemd-debs.sh > "$out/systemd-debs.log" 2>&1
		debs_rc=$?
		record "$name" "$debs_rc" "$out/systemd-debs.log"
	fi
	if [ "$debs_rc" = 0 ]; then
		say "VM 3-node runs under systemd: ${#systemd_files[@]} case file(s) on ${sys_kernels[*]}"
		for k in "${sys_kernels[@]}"; do
			# (three dkms builds under emulation: 12 minutes alone on one machine
			# here, over 20 on a slower one)
			VM_RUN_MAX=3600 vm_run systemd "$k" "${systemd_files[@]}"
			vm_report systemd "$k"
			timed "vm systemd $k" "$(secs_of systemd "$k")"
		done
	fi
	timed "vm systemd: the phase (packages, then the boots)" "$(since "$s")"
fi

if want vm-debug; then
	s=$(date +%s)
	# (the single-guest boot's job writes debug-prepare.rc before that boot starts)
	while [ ! -f "$out/debug-prepare.rc" ] && kill -0 "$debug_single_job" 2> /dev/null; do sleep 5; done
	prc=$(cat "$out/debug-prepare.rc" 2> /dev/null || echo '?')
	debug_boot_files "${multi[@]}" "${multi_end[@]}"
	if [ "$prc" = 0 ] && [ ${#debug_files[@]} -gt 0 ]; then
		say "VM 3-node run on the debug kernel $debug_kver (not the ${#debug_check_only[@]} DEBUG_KERNEL=debug-check files: make debug-check)"
		MOSIX_VM_DEBUG_OBJECTS=0 VM_RUN_MAX=$debug_max vm_run cluster "$debug_kver" "${debug_files[@]}"
	fi
	wait "$debug_single_job"
	wait "$debug_kernel_job"
	krc=$(cat "$out/debug-kernel.rc" 2> /dev/null || echo '?')
	record "debug kernel $debug_kver built (tests/debug-kernel/build.sh)" "$krc" "$out/debug-kernel.log"
	timed "debug kernel build (from the start, in the background; cached: seconds)" \
		"$(cat "$out/debug-kernel.secs" 2> /dev/null || echo 0)"
	timed "debug: its kernel (waited for), mosix.ko and dkms (in the background)" \
		"$(cat "$out/debug-prepare.secs" 2> /dev/null || echo 0)"
	record "mosix.ko, mosctl and dkms for $debug_kver (tests/debug-check.sh --prepare)" "$prc" "$out/debug-prepare.log"
	if [ "$prc" = 0 ]; then
		vm_single_report "$debug_kver"
		if [ ${#debug_files[@]} -gt 0 ]; then
			vm_report cluster "$debug_kver"
			timed "vm cluster $debug_kver$(cpu_note cluster "$debug_kver")" "$(secs_of cluster "$debug_kver")"
		fi
	else
		record "vm single and cluster on $debug_kver (not run: no debug kernel or mosix.ko for it)" 1
	fi
	timed "vm debug: its 3-node boot, after the stock VM phases" "$(since "$s")"
fi

# --- a digest of the VM runs that failed, last, where a CI log's tail shows it: per
# node, how many of its tests failed, its first failure's reason, and the last kernel
# lines of its console (a guest that lost its network or hung says so there)
failure_digest() {
	local f run scr c n nf
	for f in "$out"/vm-*.tap; do
		if [ ! -f "$f" ] || ! grep -q '^not ok' "$f"; then continue; fi
		run=${f##*/vm-} run=${run%.tap}
		scr=build/vm/$run
		echo "digest: $run: $(grep -c '^not ok' "$f") not ok, the first: $(grep -m 1 '^not ok' "$f" | cut -c 1-150)"
		for c in "$scr"/console.node*.log; do
			[ -f "$c" ] || continue
			n=${c##*/console.} n=${n%.log}
			nf=$(awk -F '\t' '$2 != "ok"' "$scr/$n/results" 2> /dev/null | wc -l)
			echo "digest:   $n: $nf test(s) failed; $(grep -m 1 -h '^FAIL' "$scr/$n/logs/"*.log 2> /dev/null | cut -c 1-140)"
			grep -vE 'mosixtest|callbacks suppressed|min_delta_ns' "$c" | grep -E '^\[ *[0-9]+\.[0-9]+\]' | tail -n 3 | cut -c 1-150 | sed 's/^/digest:     /'
		done
	done
}
timed "total" "$(since "$t0")"
host_cpu_busy_pct >> "$out/host-cpu" 2> /dev/null
echo "time per phase:"
printf '  %s\n' "${times[@]}"
# how busy the host's cores were over the whole run: a phase that cannot go faster
# by running more at once shows near 100 here
[ -s "$out/host-cpu" ] && echo "  host CPU busy over the run: $(<"$out/host-cpu")"
if [ "$failed" != 0 ]; then
	failure_digest 2> /dev/null | head -n 30
	echo "the failures (${#fail_list[@]}; the first 25):"
	printf '%s\n' "${fail_list[@]}" | head -n 25 | cut -c 1-160 | sed 's/^/  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
