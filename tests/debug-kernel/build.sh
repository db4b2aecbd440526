#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the mosix debug kernel (KASAN, lockdep, kmemleak, KFENCE, debug objects...)
# from Debian's linux-source-6.12 and install it into the VM harness' layout:
#   .deps/kernels/KVER/vmlinuz, .deps/kernels/KVER/lib/modules/KVER/{modules.dep,...}
#   /usr/src/linux-headers-KVER -> the built tree (tools/build-module.sh KVER uses it)
#   /lib/modules/KVER/build -> /usr/src/linux-headers-KVER (dkms' default, as a
#   linux-headers package would have it)
# KVER is the tree's `make kernelrelease`, e.g. 6.12.117-mosix-debug.
#
# The tree is unpacked and built once under $MOSIX_DEBUG_KERNEL_CACHE (default
# /var/cache/mosix/debug-kernel), in a folder keyed by the hash of config.fragment,
# the linux-source-6.12 package version and build_format below: a second run with the
# same key only (re)installs the result (seconds). A new key builds anew (about 12
# CPU-minutes: 7 min on 2 idle cores; at nice 19) and removes the trees of the older
# keys.
#   tests/debug-kernel/build.sh        (as root; MOSIX_DEBUG_KERNEL_JOBS=N, default 2;
#                                      MOSIX_DEBUG_KERNEL_NICE=N, default 19)
# Prints one line per step; everything else goes to the log (its tail on failure).
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../.." && pwd)
frag=$here/config.fragment
cache=${MOSIX_DEBUG_KERNEL_CACHE:-/var/cache/mosix/debug-kernel}
jobs=${MOSIX_DEBUG_KERNEL_JOBS:-2}
nice=${MOSIX_DEBUG_KERNEL_NICE:-19}
# part of the cache key: bump it when a change to this script changes what it builds
build_format=2
srcpkg=linux-source-6.12
build_pkgs=(build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils "$srcpkg")

t0=$SECONDS
step() { printf 'debug-kernel: [%4ss] %s\n' "$((SECONDS - t0))" "$*"; echo "=== [$(date +%T)] $*" >> "$log"; }
fail() {
	echo "debug-kernel: FAILED: $*" >&2
	if [ -n "${log:-}" ] && [ -f "$log" ]; then
		echo "debug-kernel: last lines of $log:" >&2
		tail -n 40 "$log" | sed 's/^/  | /' >&2
	fi
	exit 1
}
run() { "$@" >> "$log" 2>&1; }	# a command, its output in the log

[ "$(id -u)" = 0 ] || { echo "debug-kernel: must run as root (apt-get, $cache)" >&2; exit 1; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "debug-kernel: bad MOSIX_DEBUG_KERNEL_JOBS '$jobs'" >&2; exit 1; }
[[ $nice =~ ^-?[0-9]+$ ]] || { echo "debug-kernel: bad MOSIX_DEBUG_KERNEL_NICE '$nice'" >&2; exit 1; }
[ -f "$frag" ] || { echo "debug-kernel: no $frag" >&2; exit 1; }
mkdir -p "$cache" || exit 1
# one build at a time on this machine
exec {lockfd}> "$cache/.lock"
if ! flock -n "$lockfd"; then
	echo "debug-kernel: another build.sh holds $cache/.lock: waiting" >&2
	flock "$lockfd"
fi
log=$cache/build.log
: > "$log"
echo "debug-kernel: log: $log"

# --- packages
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${build_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "apt-get install ${missing[*]}"
	if ! run apt-get install -y -q --no-install-recommends "${missing[@]}"; then
		run apt-get update -q || fail "apt-get update"
		run apt-get install -y -q --no-install-recommends "${missing[@]}" ||
			fail "apt-get install ${missing[*]}"
	fi
fi
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg") || fail "no version of $srcpkg"
tarball=/usr/src/$srcpkg.tar.xz
[ -f "$tarball" ] || fail "$srcpkg $srcver is installed but $tarball is missing"

# --- the cache key
key=$( { echo "$srcpkg $srcver"; echo "build format $build_format"; cat "$frag"; } | sha256sum | cut -c1-16)
work=$cache/$key
tree=$work/$srcpkg
inst=$work/install
step "$srcpkg $srcver, key $key ($work)"

# fragment lines: CONFIG_X=VALUE or "# CONFIG_X is not set"
frag_lines() { grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$frag"; }
apply_fragment() {
	local l s v args=()
	while IFS= read -r l; do
		case $l in
		"# CONFIG_"*) s=${l#\# CONFIG_}; args+=(--disable "${s%% is not set}") ;;
		CONFIG_*=y) s=${l%%=*}; args+=(--enable "${s#CONFIG_}") ;;
		CONFIG_*=m) s=${l%%=*}; args+=(--module "${s#CONFIG_}") ;;
		CONFIG_*=\"*\") s=${l%%=*}; v=${l#*=\"}; args+=(--set-str "${s#CONFIG_}" "${v%\"}") ;;
		CONFIG_*=*) s=${l%%=*}; args+=(--set-val "${s#CONFIG_}" "${l#*=}") ;;
		esac
	done < <(frag_lines)
	(cd "$tree" && scripts/config --file .config "${args[@]}")
}
check_fragment() {	# prints the lines of the fragment that .config does not satisfy
	local l s have
	while IFS= read -r l; do
		case $l in
		"# CONFIG_"*)
			s=${l#\# }; s=${s%% is not set}
			have=$(grep -E "^$s=" "$tree/.config")
			[ -z "$have" ] || echo "  want '$l', have '$have'"
			;;
		*)
			grep -qxF -- "$l" "$tree/.config" && continue
			have=$(grep -E "^${l%%=*}=|^# ${l%%=*} is not set" "$tree/.config")
			echo "  want '$l', have '${have:-nothing (its dependencies are not met)}'"
			;;
		esac
	done < <(frag_lines)
}

if [ -f "$work/.done" ]; then
	kver=$(cat "$work/kver")
	step "already built: $kver (${work})"
else
	# --- unpack
	rm -rf "$work"
	mkdir -p "$work" || fail "mkdir $work"
	step "unpacking $tarball"
	run nice -n "$nice" tar -xf "$tarball" -C "$work" || fail "tar -xf $tarball"
	[ -f "$tree/Makefile" ] || fail "no $tree/Makefile after unpacking"

	# --- config: allnoconfig with the fragment, then the fragment again and
	# olddefconfig until nothing changes (an option may need one enabled later)
	step "config: allnoconfig + $(frag_lines | wc -l) options of config.fragment"
	run make -C "$tree" allnoconfig KCONFIG_ALLCONFIG="$frag" || fail "make allnoconfig"
	stable=
	for i in 1 2 3 4 5; do
		cp "$tree/.config" "$work/config.prev"
		apply_fragment >> "$log" 2>&1 || fail "scripts/config"
		run make -C "$tree" olddefconfig || fail "make olddefconfig"
		if cmp -s "$tree/.config" "$work/config.prev"; then stable=$i; break; fi
	done
	[ -n "$stable" ] || fail "the config does not settle after 5 rounds of olddefconfig"
	bad=$(check_fragment)
	if [ -n "$bad" ]; then
		printf 'debug-kernel: these options of %s do not hold after olddefconfig:\n%s\n' \
			"$frag" "$bad" >&2
		echo "$bad" >> "$log"
		fail "config (fix config.fragment: add the missing dependencies)"
	fi
	cp "$tree/.config" "$work/config"
	kver=$(make -s -C "$tree" kernelrelease 2>> "$log") || fail "make kernelrelease"
	[ -n "$kver" ] || fail "empty kernelrelease"
	step "config ok (stable after $i round(s)): $(grep -c '=y$' "$tree/.config") built in, $(grep -c '=m$' "$tree/.config") modules; KVER $kver"

	# --- build
	step "building bzImage and modules (nice -n $nice make -j$jobs; about 12 CPU-minutes)"
	tb=$SECONDS
	run nice -n "$nice" make -C "$tree" -j"$jobs" bzImage modules || fail "make bzImage modules"
	build_secs=$((SECONDS - tb))
	# CPU time of everything run so far (unpacking and config included): `times`
	# prints the shell's, then its children's user and system time (0m12.345s); not
	# in a pipe (a subshell has no children's times)
	times > "$work/times"
	cpu_secs=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } }
		END { printf "%d", s }' "$work/times")
	rm -f "$work/times"
	step "built in $((build_secs / 60)) min $((build_secs % 60)) s, $((cpu_secs / 60)) CPU-minutes so far: $(du -h "$tree/arch/x86/boot/bzImage" | cut -f1) bzImage"

	# --- modules_install into the cache; the harness layout is copied from there
	step "modules_install"
	rm -rf "$inst"
	run nice -n "$nice" make -C "$tree" modules_install INSTALL_MOD_PATH="$inst" ||
		fail "make modules_install"
	mkdir -p "$inst/boot"
	cp "$tree/arch/x86/boot/bzImage" "$inst/boot/vmlinuz-$kver" &&
		cp "$tree/.config" "$inst/boot/config-$kver" &&
		cp "$tree/System.map" "$inst/boot/System.map-$kver" || fail "copying the image"

	# --- the tree must build an out-of-tree module (what build-module.sh does)
	step "checking that an out-of-tree module builds against the tree"
	mod=$work/oot-check
	rm -rf "$mod"; mkdir -p "$mod"
	cat > "$mod/oot_check.c" <<'EOF'
#include <linux/module.h>
static int __init oot_check_init(void) { return 0; }
static void __exit oot_check_exit(void) { }
module_init(oot_check_init);
module_exit(oot_check_exit);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := oot_check.o' > "$mod/Kbuild"
	run make -C "$tree" M="$mod" modules || fail "an out-of-tree module does not build against $tree"
	[ "$(modinfo -F vermagic "$mod/oot_check.ko" | awk '{print $1}')" = "$kver" ] ||
		fail "the out-of-tree module's vermagic is not $kver"
	rm -rf "$mod"

	echo "$kver" > "$work/kver"
	echo "$build_secs" > "$work/build-seconds"
	echo "$cpu_secs" > "$work/build-cpu-seconds"
	touch "$work/.done"
	cp "$log" "$work/build.log"	# the build's log (build.log is the last run's)
	# trees of older keys: about 3 GB each
	for old in "$cache"/*/; do
		old=${old%/}
		if [ "$old" = "$work" ] || [ ! -f "$old/kver" ]; then continue; fi
		step "removing the tree of an older key: $old"
		rm -rf "$old"
	done
fi

# --- install into the harness layout (skipped if this key is there already)
dest=$top/.deps/kernels/$kver
mdir=$dest/lib/modules/$kver
if [ "$(cat "$dest/.debug-kernel-key" 2> /dev/null)" = "$key" ] && [ -e "$dest/vmlinuz" ] &&
	[ -f "$mdir/modules.dep" ]; then
	step "harness layout up to date: $dest"
else
	step "installing into $dest"
	rm -rf "$dest"
	mkdir -p "$dest/lib/modules" || fail "mkdir $dest"
	cp -a "$inst/boot" "$dest/" && cp -a "$inst/lib/modules/$kver" "$dest/lib/modules/" ||
		fail "copying into $dest"
	ln -sfn "boot/vmlinuz-$kver" "$dest/vmlinuz"
	run depmod -b "$dest" "$kver" || fail "depmod -b $dest $kver"
	echo "$key" > "$dest/.debug-kernel-key"
fi
# (modules_install made lib/modules/KVER/build point at the tree)

# --- headers for tools/build-module.sh and dkms, as a linux-headers package has them
hdr=/usr/src/linux-headers-$kver
if [ -e "$hdr" ] && [ ! -L "$hdr" ]; then
	fail "$hdr exists and is no symlink: not replacing it"
fi
if [ "$(readlink "$hdr")" != "$tree" ]; then
	step "linking $hdr -> $tree"
	ln -sfn "$tree" "$hdr" || fail "ln -s $tree $hdr"
fi
hostb=/lib/modules/$kver/build
if [ -e "$hostb" ] && [ ! -L "$hostb" ]; then
	fail "$hostb exists and is no symlink: not replacing it"
fi
if [ "$(readlink "$hostb")" != "$hdr" ]; then
	step "linking $hostb -> $hdr"
	mkdir -p "/lib/modules/$kver" && ln -sfn "$hdr" "$hostb" || fail "ln -s $hdr $hostb"
fi

bs=$(cat "$work/build-seconds" 2> /dev/null || echo '?')
step "done: KVER $kver (kernel build time ${bs}s; this run $((SECONDS - t0))s)"
echo "KVER=$kver"
