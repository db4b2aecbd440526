#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot N QEMU guests (TCG) on a stock Debian kernel of the test matrix, run the t_*
# functions of the given case files in each, and judge the run: every test passed and
# reported, no kernel splat on any console, taint limited to O/E. The guests run on the
# host's own root file system (9p, read-only), so the build output and host tools are
# usable in them; they share a read-write scratch folder and one vde_switch.
# Nothing is ever loaded into the host's kernel.
#
# Usage: run-vm.sh --kernel KVER [--nodes N] [--timeout SEC] [--case-timeout SEC]
#                  [--time-scale N] [--name NAME] [--append "kernel args"] CASEFILE...
# A debug kernel (one with KASAN: tests/debug-kernel/) is 5-10x slower under TCG; for
# it the defaults change: --time-scale 4, acpi=noirq, no slub_debug (KASAN
# finds what they find), and each guest's end must show a clean kmemleak scan and
# lockdep still on (tests/debug-kernel/README.md).
# Output: TAP on stdout, progress on stderr. Exit 0: all good; 1: a failure (logs are
# copied to build/vm-logs/); 2: usage or setup error.
set -uo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
deps=$top/.deps

usage() {
	cat >&2 <<EOF
usage: $0 --kernel KVER [--nodes N] [--timeout SEC] [--case-timeout SEC]
          [--time-scale N] [--name NAME] [--append "extra kernel args"]
          [--userspace host|trixie] CASEFILE...
  --kernel KVER       a kernel of $deps/matrix (unpacked under .deps/kernels/KVER)
  --nodes N           guests to start (1-9; default: the largest NODES_REQUIRED of the
                      case files, else 1)
  --timeout SEC       hard limit for each guest, boot to poweroff (default 300, times
                      --time-scale; a given value is not scaled)
  --case-timeout SEC  default limit for each t_* function (default 60; a case file can
                      set CASE_TIMEOUT=SEC at its top)
  --time-scale N      for slow kernels (1-20; default 1, 4 on a kernel with KASAN):
                      every case timeout (the default and each CASE_TIMEOUT) is
                      multiplied by N, and so are the limits of wait_for and barrier in
                      the guests (mosixtest.time_scale=N)
  --name NAME         run name: scratch build/vm/NAME-KVER/ (default: the case names)
  --append ARGS       extra kernel command line arguments
  --userspace U       the guests' root: host (default: the host's root, read-only) or
                      trixie (the trixie chroot of make deps, read-only, with this tree
                      at its path and build/trixie/tools/mosctl as build/tools/mosctl:
                      a 7.x node runs trixie, whose criu 4.1 works there)
A case file with GUEST_INIT=systemd boots its guests with systemd as PID 1 over a
writable overlay of the host root (tests/vm/README.md); all files of a run agree.
Environment: MOSIX_VM_MAX_GUESTS (default 4): guests running at once on this machine,
  counted over all run-vm.sh invocations (a run waits until it gets --nodes slots).
  MOSIX_VM_DEBUG_OBJECTS=0: the debug kernel boots with no_debug_objects.
  MOSIX_VM_SLUB_OWNER=1: slub_debug=FZPU instead of FZP on the stock kernels (a
  SLUB report then carries the allocating and freeing stacks; about 40% slower).
  MOSIX_VM_CPU (default qemu64: about 11% less host CPU than max under TCG,
  measured; the same model on every guest): the guests' QEMU CPU model.
  --root-cache MODE   9p cache mode of the read-only host root in the guests: none
                      (default, always coherent) or loose (about 1.5x faster; a host
                      file changed during the run may be seen stale by the guests)
EOF
	exit 2
}
die() { echo "run-vm: $*" >&2; exit 2; }

kver='' nodes='' timeout='' case_timeout=60 name='' append='' root_cache=none time_scale='' userspace=host
while [ $# -gt 0 ]; do
	case $1 in
	-k | --kernel) [ $# -ge 2 ] || usage; kver=$2; shift 2 ;;
	-n | --nodes) [ $# -ge 2 ] || usage; nodes=$2; shift 2 ;;
	-t | --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--case-timeout) [ $# -ge 2 ] || usage; case_timeout=$2; shift 2 ;;
	--time-scale) [ $# -ge 2 ] || usage; time_scale=$2; shift 2 ;;
	--name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; append=$2; shift 2 ;;
	--root-cache) [ $# -ge 2 ] || usage; root_cache=$2; shift 2 ;;
	--userspace) [ $# -ge 2 ] || usage; userspace=$2; shift 2 ;;
	--userspace=*) userspace=${1#*=}; shift ;;
	--kernel=*) kver=${1#*=}; shift ;;
	--nodes=*) nodes=${1#*=}; shift ;;
	--timeout=*) timeout=${1#*=}; shift ;;
	--case-timeout=*) case_timeout=${1#*=}; shift ;;
	--time-scale=*) time_scale=${1#*=}; shift ;;
	--name=*) name=${1#*=}; shift ;;
	--append=*) append=${1#*=}; shift ;;
	--root-cache=*) root_cache=${1#*=}; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "run-vm: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ -n "$kver" ] || { echo "run-vm: --kernel is required" >&2; usage; }
[ $# -ge 1 ] || { echo "run-vm: no case file given" >&2; usage; }
[ -z "$timeout" ] || [[ $timeout =~ ^[1-9][0-9]*$ ]] || die "bad --timeout '$timeout'"
[ -z "$time_scale" ] || [[ $time_scale =~ ^([1-9]|1[0-9]|20)$ ]] || die "bad --time-scale '$time_scale' (1-20)"
[[ $case_timeout =~ ^[1-9][0-9]*$ ]] || die "bad --case-timeout '$case_timeout'"
case $root_cache in none | loose) ;; *) die "bad --root-cache '$root_cache' (none or loose)" ;; esac
case $userspace in host | trixie) ;; *) die "bad --userspace '$userspace' (host or trixie)" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (qemu exports / over 9p with security_model=none)"
for tool in qemu-system-x86_64 vde_switch cpio gzip xz zstd timeout flock; do
	command -v "$tool" > /dev/null || die "missing $tool: run tests/setup-deps.sh"
done
if ! dpkg-query -W -f='${Status}' busybox-static 2> /dev/null | grep -q 'ok installed' || [ ! -x /bin/busybox ]; then
	die "needs busybox-static (/bin/busybox): run tests/setup-deps.sh"
fi

kdir=$deps/kernels/$kver
mdir=$kdir/lib/modules/$kver
if [ ! -e "$kdir/vmlinuz" ] || [ ! -f "$mdir/modules.dep" ]; then
	echo "run-vm: kernel $kver is not unpacked under $kdir (run tests/setup-deps.sh)" >&2
	[ -f "$deps/matrix" ] && echo "run-vm: the matrix has: $(awk '{print $1}' "$deps/matrix" | tr '\n' ' ')" >&2
	exit 2
fi

# the kernel's config: what it has built in decides some defaults (below)
kconfig=
for f in "$kdir/boot/config-$kver" "/usr/src/linux-headers-$kver/.config" \
	"$deps/trixie/usr/src/linux-headers-$kver/.config"; do
	[ -f "$f" ] && { kconfig=$f; break; }
done
kconfig_on() { [ -n "$kconfig" ] && grep -q "^$1=y" "$kconfig"; }
# a debug kernel (KASAN, lockdep, kmemleak...: tests/debug-kernel/) is 5-10x slower
# under TCG: longer limits (the test cases do the same work, they are given more time)
debug_kernel=
kconfig_on CONFIG_KASAN && debug_kernel=1
[ -n "$time_scale" ] || time_scale=${debug_kernel:+4}
time_scale=${time_scale:-1}
timeout=${timeout:-$((300 * time_scale))}

# --- case files: absolute paths, their t_* functions in definition order, node needs
case_funcs() { sed -n 's/^\(t_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$1"; }
cases=() need=1 guest_init='' init_of=''
for c in "$@"; do
	[ -f "$c" ] || die "no case file $c"
	c=$(readlink -f "$c")
	bash -n "$c" || die "syntax error in $c"
	[ -n "$(case_funcs "$c")" ] || die "no t_* function in $c"
	r=$(sed -n 's/^NODES_REQUIRED=\([0-9][0-9]*\).*/\1/p' "$c" | tail -n 1)
	[ -n "$r" ] && [ "$r" -gt "$need" ] && need=$r
	# GUEST_INIT=systemd: the guests boot systemd over a writable overlay root (every
	# case file of the run says the same)
	r=$(sed -n 's/^GUEST_INIT=\([a-z]*\).*/\1/p' "$c" | tail -n 1)
	case $r in "" | systemd) ;; *) die "$c: GUEST_INIT=$r (only systemd, or none)" ;; esac
	[ -z "$init_of" ] || [ "$r" = "$guest_init" ] ||
		die "$c: GUEST_INIT='$r', but $init_of says '$guest_init' (one init per run)"
	guest_init=$r init_of=$c
	cases+=("$c")
done
if [ -z "$nodes" ]; then
	nodes=$need
else
	[[ $nodes =~ ^[1-9]$ ]] || die "--nodes must be 1..9"
	[ "$nodes" -ge "$need" ] || die "a case file needs NODES_REQUIRED=$need nodes, --nodes is $nodes"
fi
# a trixie userspace: the chroot, the tree's mountpoint in it, trixie's mosctl
if [ "$userspace" = trixie ]; then
	[ "$guest_init" != systemd ] || die "--userspace trixie with GUEST_INIT=systemd is not supported"
	[ -f "$deps/trixie/.done" ] || die "no trixie chroot $deps/trixie: run tests/setup-deps.sh"
	command -v "$deps/trixie/usr/sbin/criu" > /dev/null ||
		die "the trixie chroot has no criu: run tests/setup-deps.sh"
	[ -x "$top/build/trixie/tools/mosctl" ] && [ -x "$top/build/tools/mosctl" ] ||
		die "no build/trixie/tools/mosctl (make mosctl-trixie) or build/tools/mosctl (make mosctl)"
	mkdir -p "$deps/trixie$top" || die "cannot make $top's mountpoint in the trixie chroot"
fi
max_guests=${MOSIX_VM_MAX_GUESTS:-4}
vm_cpu=${MOSIX_VM_CPU:-qemu64}
[[ $vm_cpu =~ ^[A-Za-z0-9_.+,=-]+$ ]] || die "bad MOSIX_VM_CPU '$vm_cpu'"
[[ $max_guests =~ ^[1-9][0-9]*$ ]] || die "bad MOSIX_VM_MAX_GUESTS '$max_guests'"
[ "$nodes" -le "$max_guests" ] || die "--nodes $nodes exceeds MOSIX_VM_MAX_GUESTS=$max_guests"

if [ -z "$name" ]; then
	name=$(for c in "${cases[@]}"; do basename "$c" .sh; done | paste -sd+)
	[ ${#name} -le 24 ] || name=${name:0:24}
fi
[[ $name =~ ^[A-Za-z0-9_+][A-Za-z0-9._+-]*$ ]] || die "bad --name '$name' (letters, digits, . _ + -)"

t_start=${EPOCHREALTIME/./}
elapsed() { local d=$(( ${EPOCHREALTIME/./} - t_start )); printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10)); }
progress() { printf '[%6ss] %s\n' "$(elapsed)" "$*" >&2; }

# --- initramfs: busybox + /init + the guest kernel's virtio/9p/net modules, decompressed
want_mods=(virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_pci_legacy_dev
	netfs fscache 9pnet 9pnet_virtio 9p configfs failover net_failover virtio_net overlay)
build_initramfs() {
	local out=$1 idir
	idir=$(dirname "$out")
	mkdir -p "$idir"
	local lockfd
	exec {lockfd}> "$idir/$kver.lock"
	flock "$lockfd"

	# module closure (dependencies first) from modules.dep
	local -A mpath mdeps seen
	local line p b order=() missing=()
	while IFS= read -r line; do
		p=${line%%:*}
		b=${p##*/}; b=${b%%.ko*}; b=${b//-/_}
		mpath[$b]=$p
		mdeps[$b]=${line#*:}
	done < "$mdir/modules.dep"
	visit() {
		local n=$1 d
		[ -n "${seen[$n]:-}" ] && return
		seen[$n]=1
		for d in ${mdeps[$n]}; do
			d=${d##*/}; d=${d%%.ko*}; visit "${d//-/_}"
		done
		order+=("$n")
	}
	for b in "${want_mods[@]}"; do
		if [ -n "${mpath[$b]:-}" ]; then
			visit "$b"
		elif [ -f "$mdir/modules.builtin" ] && ! grep -Eq "/${b}\.ko$" "$mdir/modules.builtin"; then
			case $b in fscache) ;; *) missing+=("$b") ;; esac	# fscache: part of netfs on 6.12+
		fi
	done
	[ ${#missing[@]} -eq 0 ] ||
		echo "run-vm: note: $kver has neither a module nor a built-in for: ${missing[*]}" >&2

	local inputs
	inputs=$(
		echo "mosix-initramfs format 1 $kver"
		sha256sum "$here/initramfs-init" /bin/busybox | awk '{print $1}'
		for b in "${order[@]}"; do
			stat -c "$b %n %s %Y" "$mdir/${mpath[$b]}"
		done
	)
	if [ -f "$out" ] && [ "$(cat "$out.inputs" 2> /dev/null)" = "$inputs" ]; then
		flock -u "$lockfd"; exec {lockfd}>&-
		return 0
	fi
	progress "building initramfs for $kver (${#order[@]} modules)"
	local st
	st=$(mktemp -d "$idir/.stage.XXXXXX") || return 1
	mkdir -p "$st"/{bin,dev,proc,sys,newroot,modules}
	cp /bin/busybox "$st/bin/busybox"
	cp "$here/initramfs-init" "$st/init"
	chmod 755 "$st/init" "$st/bin/busybox"
	mknod "$st/dev/console" c 5 1
	mknod "$st/dev/null" c 1 3
	local src
	for b in "${order[@]}"; do
		src=$mdir/${mpath[$b]}
		case $src in
		*.ko.xz) xz -dc "$src" ;;
		*.ko.zst) zstd -qdc "$src" ;;
		*.ko.gz) gzip -dc "$src" ;;
		*) cat "$src" ;;
		esac > "$st/modules/$b.ko" || { rm -rf "$st"; echo "run-vm: cannot unpack $src" >&2; return 1; }
	done
	printf '%s\n' "${order[@]}" > "$st/modules.list"
	(cd "$st" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$out.tmp" || { rm -rf "$st" "$out.tmp"; return 1; }
	rm -rf "$st"
	mv "$out.tmp" "$out"
	printf '%s\n' "$inputs" > "$out.inputs"
	flock -u "$lockfd"; exec {lockfd}>&-
}
initrd=$deps/initramfs/$kver.cpio.gz
build_initramfs "$initrd" || die "building the initramfs failed"

# --- scratch folder (exclusive per NAME-KVER)
scratch=$top/build/vm/$name-$kver
mkdir -p "$top/build/vm"
exec {runlock}> "$top/build/vm/.$name-$kver.lock"
flock -n "$runlock" || die "another run uses $scratch"
rm -rf "$scratch"
mkdir -p "$scratch/cases" "$scratch/barrier" "$scratch/vde"
i=0
declare -a exp_cid exp_func exp_name
for c in "${cases[@]}"; do
	i=$((i + 1))
	cid=$(printf '%02d-%s' "$i" "$(basename "$c" .sh)")
	if [ "$time_scale" = 1 ]; then
		cp "$c" "$scratch/cases/$cid.sh"
	else
		# (guest.sh takes a case file's limit from its CASE_TIMEOUT= line)
		awk -v k="$time_scale" '/^CASE_TIMEOUT=[0-9]+/ { v = substr($0, 14) + 0;
			sub(/^CASE_TIMEOUT=[0-9]+/, "CASE_TIMEOUT=" v * k) } { print }' "$c" > "$scratch/cases/$cid.sh"
	fi
	for f in $(case_funcs "$c"); do
		exp_cid+=("$cid"); exp_func+=("$f"); exp_name+=("$(basename "$c")")
	done
done

# --- machine-wide guest slots: TCG guests starve each other (RCU stall warnings,
# timeouts) when there are many more than CPUs. A slot is an flock on
# /tmp/mosix-vm-slots/slot.K (K <= MOSIX_VM_MAX_GUESTS), held until the guests ended;
# all slots of a run are taken at once, or none (no deadlock between runs).
slotdir=/tmp/mosix-vm-slots
mkdir -p "$slotdir" && chmod 1777 "$slotdir" 2> /dev/null
slot_fds=()
release_slots() {
	local fd
	for fd in "${slot_fds[@]}"; do exec {fd}>&-; done
	slot_fds=()
}
acquire_slots() {
	local k fd t_wait=$SECONDS said=''
	while :; do
		for k in $(seq "$max_guests"); do
			exec {fd}>> "$slotdir/slot.$k" || continue
			if flock -n "$fd"; then
				slot_fds+=("$fd")
				[ ${#slot_fds[@]} -ge "$nodes" ] && return 0
			else
				exec {fd}>&-
			fi
		done
		release_slots
		[ $((SECONDS - t_wait)) -lt 1800 ] || die "no $nodes free guest slot(s) in 30 min"
		[ -n "$said" ] || progress "waiting for $nodes of the $max_guests guest slots of this machine"
		said=1
		sleep "1.$((RANDOM % 10))"
	done
}

# --- network switch and guests; everything is stopped on exit
declare -A qpid=()
vde_pid='' vde_tmp='' watch_pid=''
cleanup() {
	local p
	if [ -n "$watch_pid" ]; then kill "$watch_pid" 2> /dev/null; wait "$watch_pid" 2> /dev/null; watch_pid=''; fi
	for p in "${qpid[@]}"; do
		kill -TERM "$p" 2> /dev/null	# timeout(1) passes the signal on to its qemu
	done
	for p in "${qpid[@]}"; do
		wait "$p" 2> /dev/null
	done
	if [ -n "$vde_pid" ] && [ "$(cat "/proc/$vde_pid/comm" 2> /dev/null)" = vde_switch ]; then
		kill -TERM "$vde_pid" 2> /dev/null
	fi
	vde_pid=''
	qpid=()
	if [ -n "$vde_tmp" ]; then rm -rf "$vde_tmp"; vde_tmp=''; fi
	release_slots
}
trap cleanup EXIT
trap 'progress "interrupted"; exit 130' INT
trap 'progress "terminated"; exit 143' TERM HUP

sock=$scratch/vde/ctl
if [ ${#sock} -ge 80 ]; then
	# unix socket paths are limited to 107 bytes; vde adds /.NNNNN-NNNNN per port
	vde_tmp=$(mktemp -d /tmp/mosix-vde.XXXXXX) || die "mktemp failed"
	sock=$vde_tmp/ctl
fi
# (the daemon must not inherit the run lock)
vde_switch -sock "$sock" -daemon -p "$scratch/vde/pid" > "$scratch/vde/log" 2>&1 {runlock}>&- ||
	die "vde_switch failed: $(cat "$scratch/vde/log")"
for _ in $(seq 50); do
	[ -s "$scratch/vde/pid" ] && [ -e "$sock/ctl" ] && break
	sleep 0.1
done
vde_pid=$(cat "$scratch/vde/pid" 2> /dev/null)
[ -n "$vde_pid" ] || die "vde_switch did not start"

# (a bare hung_task_timeout_secs=30 is no kernel parameter: it lands in init's
# environment; the sysctl. prefix sets it from the command line)
# panic_on_warn=1: a WARN anywhere ends the guest (panic=-1 + -no-reboot: qemu exits)
# no_timer_check: on a loaded host the emulated IO-APIC timer can miss the kernel's
# early check ("IO-APIC + timer doesn't work!", a panic at 0.05 s: seen here)
cmdline="console=ttyS0 panic=-1 panic_on_warn=1 quiet loglevel=4 no_timer_check sysctl.kernel.hung_task_timeout_secs=30"
# memory debugging that the stock kernels have built in but off: SLUB sanity checks
# (F), red zones (Z), poisoning (P), KFENCE sampling every 10 ms
# where the kernel has it (not 6.1). SLUB's owner tracking (U: the allocating and
# freeing stacks in a report) finds nothing more and costs every allocation a stack
# trace (a 6.12 guest booted in 14.5 s with FZPU, 9.3 s with FZP, 7.7 s without; its
# tests took about 40% longer): off, but MOSIX_VM_SLUB_OWNER=1 adds it, to rerun a
# failure for the stacks. Decided from the kernel's config, so that the splat search
# for "BUG cache (Tainted: ...)" and "KFENCE:" has something to find; guest.sh checks
# that each is in force. Not init_on_free=1: it reports nothing (P already poisons
# freed objects; freed pages wiped only read back as zeros) and costs every free.
# On a debug kernel no slub_debug: KASAN sees every use after free and overflow that
# poisoning and red zones see, and they cost it about 25% more CPU (a fork/exec/module
# load benchmark: 80 CPU-s with slub_debug=FZP init_on_free=1, 60 without).
[ -n "$kconfig" ] || progress "note: no kernel config for $kver: slub_debug and KFENCE stay off"
kconfig_on CONFIG_KFENCE && cmdline+=" kfence.sample_interval=10"
if [ -z "$debug_kernel" ] && kconfig_on CONFIG_SLUB_DEBUG; then
	cmdline+=" slub_debug=FZP"
	[ "${MOSIX_VM_SLUB_OWNER:-0}" = 0 ] || cmdline+=U
fi
# the debug kernel under TCG with the default pc machine: ACPI's _PRT method runs into
# the 30 s AML loop timeout once per PCI device (about 95 s more to boot): no ACPI IRQ
# routing (PCI's own tables route the interrupts)
# MOSIX_VM_DEBUG_OBJECTS=0 (make check): the debug kernel without its debug objects
# (no_debug_objects: about 15% less CPU there, measured; make debug-check keeps them)
if [ -n "$debug_kernel" ] && [ "${MOSIX_VM_DEBUG_OBJECTS:-1}" = 0 ]; then
	cmdline+=" no_debug_objects"
fi
if [ -n "$debug_kernel" ] && [[ " $append " != *" acpi="* ]]; then
	cmdline+=" acpi=noirq"
fi
# a guest the host starves for a while (TCG guests share the machine's cores) sees
# time jump and takes it for a lockup: "BUG: soft lockup - CPU#0 stuck for 22s!" in
# a debug-kernel guest of a loaded make check (its clocksource watchdog saw the 23 s
# gap). On a slowed kernel the soft-lockup and RCU-stall thresholds scale with the
# time scale, as every bound of the tests does.
# (capped at the kernel's limits: 60 s and 300 s)
if [ "$time_scale" != 1 ]; then
	wd=$((10 * time_scale)) rcu=$((21 * time_scale))
	cmdline+=" watchdog_thresh=$((wd < 60 ? wd : 60)) rcupdate.rcu_cpu_stall_timeout=$((rcu < 300 ? rcu : 300))"
fi
cmdline+=" mosixtest.nodes=$nodes mosixtest.kver=$kver mosixtest.top=$top"
cmdline+=" mosixtest.case_timeout=$((case_timeout * time_scale)) mosixtest.rootcache=$root_cache"
[ "$time_scale" = 1 ] || cmdline+=" mosixtest.time_scale=$time_scale"
[ "$userspace" = host ] || cmdline+=" mosixtest.userspace=$userspace"
# (net.ifnames=0: udev would rename eth0, whose name the tests and networkd's file use)
[ "$guest_init" != systemd ] || cmdline+=" mosixtest.init=systemd systemd.unit=mosix-test.target net.ifnames=0"
acquire_slots
# the host CPU the guests use (their QEMUs are reaped through timeout: children's
# times); printed at the end beside the wall time, so a run shows whether its guests
# waited or computed, and check.sh adds it up per phase
# (times runs in this shell, not a subshell, whose children are not these)
children_cpu() {	# children_cpu VAR: centiseconds of user+system of reaped children
	local -a t
	local x m sec cs=0
	times > "$scratch/.times"
	mapfile -t t < "$scratch/.times"
	for x in ${t[1]}; do	# "0m1.500s 0m0.250s"
		m=${x%%m*} sec=${x#*m}; sec=${sec%s}
		cs=$((cs + m * 6000 + 10#${sec%.*} * 100 + 10#$(printf '%.2s' "${sec#*.}00")))
	done
	printf -v "$1" '%s' "$cs"
}
children_cpu cpu0
wall0=$(elapsed)
progress "$kver: starting $nodes guest(s), ${#exp_func[@]} test(s) each, scratch $scratch${debug_kernel:+ (debug kernel)}$( [ "$userspace" = host ] || echo ", $userspace userspace")$( [ "$time_scale" = 1 ] || echo ", time scale $time_scale")"
for n in $(seq "$nodes"); do
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-name "mosix-$name-node$n" \
		-accel tcg -cpu "$vm_cpu" -smp 1 -m 1024 -nographic -nodefaults -no-reboot \
		-serial "file:$scratch/console.node$n.log" \
		-kernel "$kdir/vmlinuz" -initrd "$initrd" \
		-append "$cmdline mosixtest.node=$n${append:+ $append}" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=scratch,path=${scratch//,/,,},security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=scratch,mount_tag=scratch \
		-netdev "vde,id=net0,sock=${sock//,/,,}" \
		-device "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:0$n,romfile=" \
		< /dev/null > "$scratch/qemu.node$n.log" 2>&1 &
	qpid[$n]=$!
	progress "node$n started"
done

# each test's result on stderr as soon as its guest records it (nodeN/results grows
# one line per test): "result nodeN ok|fail|skip|timeout CASE.sh t_name SECONDS"
watch_results() {
	local -A seen=()
	local n cnt r cid f s last='' fd parent=$$
	# (it must not keep this run's locks, nor outlive the run)
	for fd in "${slot_fds[@]}" "$runlock"; do exec {fd}>&-; done
	while :; do
		[ -e "$scratch/.guests-ended" ] && last=1
		kill -0 "$parent" 2> /dev/null || return 0
		for n in $(seq "$nodes"); do
			[ -f "$scratch/node$n/results" ] || continue
			cnt=0
			# (a line still being written has no newline yet: read fails, next round)
			while IFS=$'\t' read -r _ r cid f s; do
				cnt=$((cnt + 1))
				[ "$cnt" -le "${seen[$n]:-0}" ] && continue
				seen[$n]=$cnt
				progress "result node$n $r ${cid#[0-9][0-9]-}.sh $f ${s}s"
			done < "$scratch/node$n/results"
		done
		[ -z "$last" ] || return 0
		sleep 1
	done
}
watch_results &
watch_pid=$!

declare -A qrc=()
while [ ${#qpid[@]} -gt 0 ]; do
	done_pid=
	wait -n -p done_pid "${qpid[@]}"
	rc=$?
	if [ -z "$done_pid" ]; then
		[ "$rc" = 127 ] && break	# no child left (cannot happen)
		continue
	fi
	for n in "${!qpid[@]}"; do
		if [ "${qpid[$n]}" = "$done_pid" ]; then
			unset "qpid[$n]"
			qrc[$n]=$rc
			case $rc in
			0) progress "node$n finished" ;;
			124 | 137) progress "node$n killed: timeout after $timeout s" ;;
			*) progress "node$n: qemu exited with status $rc" ;;
			esac
		fi
	done
done
# the watcher reports what is left, then ends
: > "$scratch/.guests-ended"
wait "$watch_pid" 2> /dev/null
watch_pid=''
cleanup
children_cpu cpu1
cpu_cs=$((cpu1 - cpu0))
wall_s=$(awk -v a="$wall0" -v b="$(elapsed)" 'BEGIN { printf "%d", b - a }')
progress "cpu: guests used $((cpu_cs / 100)) CPU-s in ${wall_s} s wall ($nodes guest(s): $(( wall_s > 0 ? cpu_cs / wall_s / nodes : 0 ))% of a core each)"

# --- judge the run
tnum=0 nfail=0 ntest=0
emit() { # ok|not-ok DESCRIPTION [DIAGNOSTIC-FILE-OR-TEXT...]
	tnum=$((tnum + 1))
	if [ "$1" = ok ]; then
		echo "ok $tnum - $2"
	else
		echo "not ok $tnum - $2"
		nfail=$((nfail + 1))
	fi
}
diag() { sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/^/# /'; }

# kernel trouble in a console/dmesg log (our own "mosixtest:" lines and the echo of
# the command line, which holds hung_task_timeout_secs, are not kernel trouble)
splat_re='BUG:|WARNING:|Oops|Call Trace|hung_task|blocked for more than|general protection|[Kk]ernel panic|UBSAN:|KFENCE:|kernel BUG at|BUG [^ ]+ \((Not t|T)ainted[):]|detected stall|list_(add|del) corruption|refcount_t:|suspected memory leak|unreferenced object|KASAN:|possible circular locking|sleeping function called'
splats() {
	[ -f "$1" ] || return 0
	sed -e 's/\r$//' "$1" | grep -aE "$splat_re" |
		grep -avE '^mosixtest: |[Cc]ommand line' || true
}

for n in $(seq "$nodes"); do
	nd=$scratch/node$n
	label="$kver node$n"
	declare -A res=() secs=()
	if [ -f "$nd/results" ]; then
		while IFS=$'\t' read -r _ r cid f s; do
			res[$cid/$f]=$r
			secs[$cid/$f]=$s
		done < "$nd/results"
	fi
	for j in "${!exp_func[@]}"; do
		key=${exp_cid[$j]}/${exp_func[$j]}
		desc="$label ${exp_func[$j]} (${exp_name[$j]}"
		log=$nd/logs/${exp_cid[$j]}.${exp_func[$j]}.log
		ntest=$((ntest + 1))
		case ${res[$key]:-} in
		ok) emit ok "$desc, ${secs[$key]}s)" ;;
		skip)
			why=$(sed -n 's/^SKIP: //p' "$log" 2> /dev/null | tail -n 1)
			emit ok "$desc, ${secs[$key]}s) # SKIP ${why:-skipped}"
			;;
		fail | timeout)
			if [ "${res[$key]}" = timeout ]; then
				emit not-ok "$desc, ${secs[$key]}s): timed out"
			else
				emit not-ok "$desc, ${secs[$key]}s)"
			fi
			[ -f "$log" ] && tail -n 100 "$log" | diag
			;;
		*)
			emit not-ok "$desc): did not report"
			;;
		esac
	done
	unset res secs

	if [ -s "$nd/setup-errors" ]; then
		emit not-ok "$label guest setup"
		diag < "$nd/setup-errors"
	fi
	# qemu also ends with status 0 after a panic (panic=-1, -no-reboot): a clean end
	# is status 0 and guest.sh having recorded the taint just before its poweroff
	case ${qrc[$n]:-x} in
	0)
		if [ -f "$nd/tainted" ]; then
			emit ok "$label guest finished and powered off"
		else
			emit not-ok "$label guest finished and powered off (it ended without finishing: crash?)"
		fi
		;;
	124 | 137) emit not-ok "$label guest finished and powered off (killed after --timeout $timeout s)" ;;
	*)
		emit not-ok "$label guest finished and powered off (qemu status ${qrc[$n]:-?})"
		tail -n 20 "$scratch/qemu.node$n.log" | diag
		;;
	esac

	# (kmsg.log: guest.sh's copy of /dev/kmsg as it grows, whole although a test ran
	# dmesg -C, and holding what the console's log level kept off the console)
	s=$( { splats "$scratch/console.node$n.log"; splats "$nd/dmesg.log"; splats "$nd/kmsg.log"; } |
		awk '!seen[$0]++' | head -n 40)
	if [ -z "$s" ]; then
		emit ok "$label console clean"
	else
		emit not-ok "$label console clean"
		printf '%s\n' "$s" | diag
	fi

	if [ -f "$nd/tainted" ]; then
		t=$(tr -d ' \n' < "$nd/tainted")
		if [[ $t =~ ^[0-9]+$ ]] && [ $((t & ~(4096 | 8192))) = 0 ]; then
			emit ok "$label taint $t"
		else
			emit not-ok "$label taint $t (only O=4096 and E=8192 are allowed)"
		fi
	else
		emit not-ok "$label taint (no taint recorded: the guest did not finish)"
		[ -f "$scratch/console.node$n.log" ] && tail -n 30 "$scratch/console.node$n.log" | diag
	fi

	# a debug kernel: guest.sh's kmemleak scan at the end of the run (the kernel's own
	# scan is off) reports nothing, and lockdep is still on at the end (its first report,
	# or a table of it running full, turns it off for the rest of the boot). Not for a
	# node that ended its guest from a test (end_guest: poweroff, crash): it skips that.
	if [ -n "$debug_kernel" ] && [ ! -e "$scratch/barrier/__ending.$n" ]; then
		if kconfig_on CONFIG_DEBUG_KMEMLEAK; then
			if [ ! -f "$nd/kmemleak" ]; then
				emit not-ok "$label kmemleak scan clean (no scan recorded: the guest did not finish)"
			elif [ -s "$nd/kmemleak" ]; then
				emit not-ok "$label kmemleak scan clean ($(grep -c 'unreferenced object' "$nd/kmemleak") unreferenced object(s))"
				head -n 80 "$nd/kmemleak" | diag
			else
				emit ok "$label kmemleak scan clean"
			fi
		fi
		if kconfig_on CONFIG_PROVE_LOCKING; then
			dl=$(awk '/debug_locks:/ {print $2}' "$nd/lockdep" 2> /dev/null)
			if [ "$dl" = 1 ]; then
				emit ok "$label lockdep on to the end"
			else
				emit not-ok "$label lockdep on to the end (debug_locks ${dl:-not recorded})"
			fi
		fi
	fi
done
echo "1..$tnum"

if [ "$nfail" -eq 0 ]; then
	progress "PASS: $kver, $nodes node(s), $ntest test result(s), all checks ok"
	exit 0
fi
logs=$top/build/vm-logs/$name-$kver-$(date +%Y%m%d-%H%M%S)
mkdir -p "$logs"
cp -a "$scratch"/console.node*.log "$scratch"/qemu.node*.log "$scratch/cases" "$logs/" 2> /dev/null
for n in $(seq "$nodes"); do
	[ -d "$scratch/node$n" ] && cp -a "$scratch/node$n" "$logs/"
done
echo "# logs: $logs"
progress "FAIL: $kver, $nfail of $tnum check(s) failed; logs in $logs"
exit 1
