#!/bin/bash
# shellcheck disable=SC2317 # functions run from traps
# SPDX-License-Identifier: GPL-2.0
# PID 1 of a test guest (started by the initramfs' /init through switch_root onto the
# host root, which is mounted read-only over 9p). Sets the guest up, runs every t_*
# function of the case files that run-vm.sh copied to the scratch folder, records the
# results there, then powers off. Whatever happens, it ends in a poweroff (EXIT trap;
# if even that fails, PID 1 exits, the kernel panics, panic=-1 + -no-reboot end qemu).
#
# Results, under $MOSIX_SCRATCH/nodeN/ (read by run-vm.sh on the host):
#   results       one line per test: NUM<TAB>ok|fail|skip|timeout<TAB>CASEID<TAB>t_name<TAB>SECONDS
#   tap           the same as TAP, with the output of failed tests as # diagnostics
#   logs/CASEID.t_name.log   stdout+stderr of that test
#   setup-errors  what went wrong while setting the guest up (absent if nothing)
#   plan          the tests of the run: NUM<TAB>CASEID<TAB>t_name (for end_guest in lib.sh)
#   dmesg.log     the kernel log at the end; tainted: /proc/sys/kernel/tainted at the end
#   kmsg.log      the kernel log as it grows, from boot (dmesg --follow: whole although a
#                 test runs dmesg -C, and up to the moment a guest dies)
# Under systemd (MOSIX_GUEST_INIT=systemd: run-vm.sh's GUEST_INIT=systemd; the initramfs
# made the root writable and starts this as mosix-test.service): systemd has mounted the
# basic file systems and networkd configures eth0, so those steps are checks here; a
# SIGTERM once this node is ending its guest (end_guest systemctl) lets systemd go on.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LC_ALL=C TERM=dumb
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/vm/nap.sh
source "$here/nap.sh"

MOSIX_SCRATCH=/run/mosix-test
MOSIX_NODE=1
MOSIX_NODES=1
MOSIX_KVER=$(uname -r)
MOSIX_TOP=$(cd "$here/../.." && pwd)
case_timeout=60
time_scale=1
outdir=

say() { local u; read -r u _ < /proc/uptime 2>/dev/null; echo "mosixtest: [${u:-?}] $*"; }

setup_error() {
	say "setup error: $*"
	[ -n "$outdir" ] && echo "$*" >> "$outdir/setup-errors"
	setup_errors+=("$*")
}
setup_errors=()
kmsg_pid=

poweroff_now() {
	sync
	if [ -x /bin/busybox ]; then
		/bin/busybox poweroff -f
	else
		poweroff -f
	fi
	sleep 3
	echo o > /proc/sysrq-trigger
	sleep 10
}

finish() {
	trap - EXIT
	set +e
	if [ -n "$outdir" ]; then
		# a debug kernel: a kmemleak scan now that the tests are over (the kernel's own
		# periodic scan is off), and whether lockdep is still on. run-vm.sh judges both:
		# any report, or a scan that failed, fails the run. (kmemleak reports an object
		# once it is 5 s old, and only from the second scan that finds it unchanged)
		if [ -e /sys/kernel/debug/kmemleak ]; then
			sleep 5
			if echo scan 2>/dev/null > /sys/kernel/debug/kmemleak &&
				echo scan 2>/dev/null > /sys/kernel/debug/kmemleak; then
				cat /sys/kernel/debug/kmemleak > "$outdir/kmemleak" 2>&1
			else
				echo "the kmemleak scan failed (kmemleak has turned itself off?)" > "$outdir/kmemleak"
			fi
		fi
		[ -r /proc/lockdep_stats ] && grep 'debug_locks:' /proc/lockdep_stats > "$outdir/lockdep"
		# several nodes: nobody powers off before everybody is done (peers may still
		# need it); a node that died is waited for 60 s at most
		if [ "$MOSIX_NODES" -gt 1 ]; then
			: > "$MOSIX_SCRATCH/barrier/__end.$MOSIX_NODE"
			local i=0 n
			local -a ends
			while [ "$i" -lt 300 ]; do
				ends=("$MOSIX_SCRATCH"/barrier/__end.*)
				[ -e "${ends[0]}" ] && [ "${#ends[@]}" -ge "$MOSIX_NODES" ] && break
				nap 0.2
				i=$((i + 1))
			done
		fi
		dmesg > "$outdir/dmesg.log" 2>&1
		if [ -n "$kmsg_pid" ]; then
			nap 0.2	# the last lines to the copy
			kill "$kmsg_pid" 2>/dev/null
		fi
		cat /proc/sys/kernel/tainted > "$outdir/tainted.tmp" &&
			mv "$outdir/tainted.tmp" "$outdir/tainted"
		say "tainted=$(</proc/sys/kernel/tainted) ($((EPOCHSECONDS - start_s)) s in guest.sh)"
	fi
	say "powering off"
	poweroff_now
}
trap finish EXIT
on_signal() {
	# systemctl poweroff from a test (end_guest systemctl): systemd stops this service
	# last (it is ordered before mosix.service); let it finish its own way
	if [ "${MOSIX_GUEST_INIT:-}" = systemd ] && [ -e "$MOSIX_SCRATCH/barrier/__ending.$MOSIX_NODE" ]; then
		trap - EXIT
		exit 0
	fi
	exit 1
}
trap on_signal INT TERM HUP
start_s=$EPOCHSECONDS

# --- the basic file systems (the host root itself is read-only)
# (no mountpoint -q before /proc is mounted: on the 9p root it can be fooled by the
# host's own /proc, /sys... directories, which are plain folders here)
mnt() { # TYPE DIR [OPTIONS]
	mkdir -p "$2" 2>/dev/null
	mount -t "$1" ${3:+-o "$3"} "$1" "$2" || setup_error "mount -t $1 $2 failed"
}
if [ "${MOSIX_GUEST_INIT:-}" = systemd ]; then
	[ "$(</proc/1/comm)" = systemd ] || setup_error "MOSIX_GUEST_INIT=systemd, but PID 1 is $(</proc/1/comm)"
	for d in /proc /sys /dev /dev/pts /run; do
		mountpoint -q "$d" || setup_error "systemd did not mount $d"
	done
else
	mnt proc /proc
	mnt sysfs /sys
	mnt devtmpfs /dev
	mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
	mnt tmpfs /dev/shm mode=1777
	ln -sfn /proc/self/fd /dev/fd
	ln -sfn /proc/self/fd/0 /dev/stdin
	ln -sfn /proc/self/fd/1 /dev/stdout
	ln -sfn /proc/self/fd/2 /dev/stderr
	mnt tmpfs /tmp mode=1777
	mnt tmpfs /run mode=755
	mkdir -p /run/lock
fi
say "base mounts done"

read -ra cmdline_words < /proc/cmdline
for w in "${cmdline_words[@]}"; do
	case $w in
	mosixtest.node=*) MOSIX_NODE=${w#*=} ;;
	mosixtest.nodes=*) MOSIX_NODES=${w#*=} ;;
	mosixtest.kver=*) MOSIX_KVER=${w#*=} ;;
	mosixtest.top=*) MOSIX_TOP=${w#*=} ;;
	mosixtest.case_timeout=*) case_timeout=${w#*=} ;;
	mosixtest.time_scale=*) time_scale=${w#*=} ;;
	esac
done
export MOSIX_NODE MOSIX_NODES MOSIX_KVER MOSIX_TOP MOSIX_SCRATCH

# scratch: the read-write folder shared by all nodes of this run
mkdir -p "$MOSIX_SCRATCH"
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 scratch "$MOSIX_SCRATCH"; then
	outdir=$MOSIX_SCRATCH/node$MOSIX_NODE
	mkdir -p "$outdir/logs" "$MOSIX_SCRATCH/barrier"
	for e in "${setup_errors[@]}"; do echo "$e" >> "$outdir/setup-errors"; done
else
	say "cannot mount the scratch folder (9p tag scratch): no results can be recorded"
	exit 1
fi

say "scratch mounted"
# the kernel log, copied as it grows: dmesg -C in a test clears what dmesg shows at
# the end, not what a reader of /dev/kmsg already has (run-vm.sh searches both)
dmesg --follow > "$outdir/kmsg.log" 2>&1 &
kmsg_pid=$!
# modprobe in the guest: the guest kernel's own module tree over /lib/modules
kmods=$MOSIX_TOP/.deps/kernels/$(uname -r)/lib/modules
if [ "${MOSIX_GUEST_INIT:-}" = systemd ]; then
	# (the initramfs laid the tree over /lib/modules, writable)
	[ -f "/lib/modules/$(uname -r)/modules.dep" ] || setup_error "no module tree of $(uname -r) in /lib/modules"
elif [ -d "$kmods/$(uname -r)" ]; then
	mount --bind "$kmods" /lib/modules || setup_error "bind mount of $kmods on /lib/modules failed"
else
	setup_error "no module tree at $kmods/$(uname -r)"
fi
grep -qw configfs /proc/filesystems || modprobe configfs || setup_error "modprobe configfs failed"
mountpoint -q /sys/kernel/config || mnt configfs /sys/kernel/config
mountpoint -q /sys/kernel/debug || mnt debugfs /sys/kernel/debug

# the hung task detector at 30 s (run-vm.sh also passes sysctl.kernel.hung_task_timeout_secs)
[ -w /proc/sys/kernel/hung_task_timeout_secs ] && echo 30 > /proc/sys/kernel/hung_task_timeout_secs
# the console gets warnings and worse (console log level 5 prints levels 0-4); pr_info
# and pr_notice only go to the log: through an emulated UART every line slows the test
# down. kmsg.log and dmesg.log hold everything and are searched too.
echo 5 > /proc/sys/kernel/printk

# what run-vm.sh asked for on the command line must be in force: the splat search
# relies on it (a kernel that ignores an option fails the run here, not silently)
check_debug_options() {
	local w c
	for w in "${cmdline_words[@]}"; do
		case $w in
		panic_on_warn=1)
			[ "$(cat /proc/sys/kernel/panic_on_warn 2>/dev/null)" = 1 ] ||
				setup_error "panic_on_warn=1 on the command line, but kernel.panic_on_warn is not 1" ;;
		init_on_free=1)
			dmesg | grep -q 'mem auto-init:.*heap free:on' ||
				setup_error "init_on_free=1 on the command line, but no 'heap free:on' in the boot log" ;;
		slub_debug=*P*)
			c=/sys/kernel/slab/kmalloc-64
			{ [ "$(cat "$c/poison" 2>/dev/null)" = 1 ] && [ "$(cat "$c/red_zone" 2>/dev/null)" = 1 ]; } ||
				setup_error "$w on the command line, but $c has poison=$(cat "$c/poison" 2>&1) red_zone=$(cat "$c/red_zone" 2>&1)" ;;
		kfence.sample_interval=*)
			c=$(cat /sys/module/kfence/parameters/sample_interval 2>&1)
			[ "$c" = "${w#*=}" ] ||
				setup_error "$w on the command line, but KFENCE's sample_interval is $c" ;;
		esac
	done
}
check_debug_options

say "modules and configfs done"
ip link set lo up || setup_error "ip link set lo up failed"
if [ "${MOSIX_GUEST_INIT:-}" = systemd ]; then
	# networkd's (mosix-test.service starts after network-online.target): both addresses
	# within 10 s
	eth0_has_addresses() {
		ip -4 addr show dev eth0 2> /dev/null | grep -q " 10.99.0.$MOSIX_NODE/24 " &&
			ip -6 addr show dev eth0 2> /dev/null | grep -q " fd99::$MOSIX_NODE/64 "
	}
	for ((i = 0; i < 100; i++)); do eth0_has_addresses && break; nap 0.1; done
	eth0_has_addresses ||
		setup_error "systemd-networkd did not configure eth0: $(ip addr show dev eth0 2>&1 | tr '\n' ' ')"
elif [ -e /sys/class/net/eth0 ]; then
	if ! { ip addr add "10.99.0.$MOSIX_NODE/24" dev eth0 &&
		ip -6 addr add "fd99::$MOSIX_NODE/64" dev eth0 nodad &&
		ip link set eth0 up; }; then
		setup_error "configuring eth0 failed"
	fi
else
	setup_error "no eth0 (virtio_net not loaded?)"
fi
hostname "node$MOSIX_NODE"
uname -r > "$outdir/booted"
say "node $MOSIX_NODE/$MOSIX_NODES up on $(uname -r), running the cases"

# --- the cases
# several nodes: every test starts on all nodes together, so that one node failing a
# test (or timing out in it) does not leave the nodes out of phase for the rest of the
# run (per-test barriers would time out on every node from then on). Each node writes
# barrier/__start.NUM.NODE, then waits for every other node's, or its __end.NODE (it
# has ended its guest: end_guest, or finish), for at most as long as a peer can still
# be in the previous test: its case timeout, the 5 s of timeout -k, the clean-up after
# a failure, and a margin (before test 1: the boot of the slowest guest; the margins
# times run-vm.sh's --time-scale, which already scaled the case timeouts). A node still
# missing then is given up on for the rest of the run (its guest hangs or has died).
# After each test: barrier/__done.NUM.NODE, which lets a peer's barrier in that test
# fail at once instead of waiting for a node that has left it (lib.sh).
bdir=$MOSIX_SCRATCH/barrier
declare -A lost=()
start_barrier() { # NUM SECONDS
	local n missing w0 end
	[ "$MOSIX_NODES" -gt 1 ] || return 0
	: > "$bdir/__start.$1.$MOSIX_NODE" || say "cannot write $bdir/__start.$1.$MOSIX_NODE"
	w0=$EPOCHSECONDS
	end=$((w0 + $2))
	while :; do
		missing=
		for ((n = 1; n <= MOSIX_NODES; n++)); do
			[ -e "$bdir/__start.$1.$n" ] || [ -e "$bdir/__end.$n" ] || [ -n "${lost[$n]:-}" ] ||
				missing+=" $n"
		done
		[ -n "$missing" ] || break
		if [ "$EPOCHSECONDS" -ge "$end" ]; then
			say "test $1: node(s)$missing not at its start after $2 s: going on without them"
			for n in $missing; do lost[$n]=1; done
			return 0
		fi
		nap 0.2
	done
	[ $((EPOCHSECONDS - w0)) -lt 3 ] || say "test $1: all nodes at its start after $((EPOCHSECONDS - w0)) s"
}
# after_test SID RESULT: nothing a test started outlives it (each test runs in a
# session of its own: setsid; a background `timeout 20 hog &` has a process group of
# its own); after a failed test, the guest goes back to the state the next test starts
# from: mosix unloaded (a node left up would still be gossiping to the peers in their
# next test), eth0 up with its boot addresses, no qdisc
after_test() {
	local p i
	pkill -KILL -s "$1" > /dev/null 2>&1
	case $2 in fail | timeout) ;; *) return 0 ;; esac
	if [ -d /sys/module/mosix ]; then
		# bounded: a module wedged in its exit must not hold PID 1 forever
		rmmod mosix > /dev/null 2>&1 &
		p=$! i=0
		while kill -0 "$p" 2> /dev/null && [ "$i" -lt 200 ]; do nap 0.1; i=$((i + 1)); done
		[ -d /sys/module/mosix ] && say "after test $num: cannot unload the mosix it left loaded"
	fi
	[ -e /sys/class/net/eth0 ] || return 0
	tc qdisc del dev eth0 root > /dev/null 2>&1
	ip link set eth0 up
	ip -4 addr show dev eth0 | grep -q " 10.99.0.$MOSIX_NODE/24 " ||
		ip addr add "10.99.0.$MOSIX_NODE/24" dev eth0
	ip -6 addr show dev eth0 | grep -q " fd99::$MOSIX_NODE/64 " ||
		ip -6 addr add "fd99::$MOSIX_NODE/64" dev eth0 nodad
}
# the tests of the run, in order (end_guest records the ones after it: plan)
num=0
for cf in "$MOSIX_SCRATCH"/cases/*.sh; do
	[ -f "$cf" ] || continue
	# shellcheck disable=SC2013 # function names are single words
	for f in $(sed -n 's/^\(t_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$cf"); do
		num=$((num + 1))
		printf '%s\t%s\t%s\n' "$num" "$(basename "$cf" .sh)" "$f"
	done
done > "$outdir/plan"
num=0
[[ $time_scale =~ ^[1-9][0-9]?$ ]] || time_scale=1
prev_ct=$((60 * time_scale))	# before test 1: the boots of the guests differ by that much at most
for cf in "$MOSIX_SCRATCH"/cases/*.sh; do
	[ -f "$cf" ] || continue
	cid=$(basename "$cf" .sh)
	ct=$(sed -n 's/^CASE_TIMEOUT=\([0-9][0-9]*\).*/\1/p' "$cf" | tail -n 1)
	ct=${ct:-$case_timeout}
	# definition order (declare -F would sort them)
	# shellcheck disable=SC2013 # function names are single words
	for f in $(sed -n 's/^\(t_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$cf"); do
		num=$((num + 1))
		log=$outdir/logs/$cid.$f.log
		start_barrier "$num" $((prev_ct + 60 * time_scale))
		prev_ct=$ct
		t0=${EPOCHREALTIME/./}
		# shellcheck disable=SC2016 # expanded by the inner bash
		# (cwd /tmp: the root is read-only)
		MOSIX_CASE=$cid MOSIX_TEST=$f MOSIX_TEST_NUM=$num setsid -w timeout -k 5 "$ct" bash -c '
			cd /tmp || exit 1
			source "$1" || { echo "cannot source $1"; exit 1; }
			source "$2" || { echo "sourcing $2 failed"; exit 1; }
			declare -F "$3" >/dev/null || { echo "no function $3 in $2"; exit 1; }
			"$3"' "$cid" "$here/lib.sh" "$cf" "$f" < /dev/null > "$log" 2>&1 &
		tpid=$!
		wait "$tpid"
		rc=$?
		t1=${EPOCHREALTIME/./}
		secs=$(( (t1 - t0) / 1000000 )).$(( (t1 - t0) / 100000 % 10 ))
		case $rc in
		0) res=ok ;;
		77) res=skip ;;
		124 | 137) res=timeout; echo "(timed out after $ct s)" >> "$log" ;;
		*) res=fail; echo "(exit status $rc)" >> "$log" ;;
		esac
		printf '%s\t%s\t%s\t%s\t%s\n' "$num" "$res" "$cid" "$f" "$secs" >> "$outdir/results"
		case $res in
		ok) tap="ok $num - $cid $f" ;;
		skip) tap="ok $num - $cid $f # SKIP $(sed -n 's/^SKIP: //p' "$log" | tail -n 1)" ;;
		*) tap="not ok $num - $cid $f" ;;
		esac
		say "$tap ($res, ${secs}s)"
		echo "$tap" >> "$outdir/tap"
		case $res in fail | timeout) sed 's/^/# /' "$log" >> "$outdir/tap" ;; esac
		[ "$MOSIX_NODES" -gt 1 ] && : > "$bdir/__done.$num.$MOSIX_NODE"
		after_test "$tpid" "$res"
	done
done
echo "1..$num" >> "$outdir/tap"
sync
exit 0
