#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS packaging, for real: stage the sources in /usr/src/mosix-VERSION, then
# `dkms add`, `dkms build -k KVER` and `dkms install -k KVER` for every kernel of
# the test matrix (7.x inside the trixie chroot, where its headers are). Then
# lay out build/dkms-root/KVER/lib/modules/KVER: the stock kernel's modules
# plus the module exactly as dkms installed it, depmod'ed, for the VM test
# that boots KVER and runs `modprobe -d build/dkms-root/KVER mosix`. (dkms may
# compress and sign it: mosix.ko.xz; modprobe takes either.)
#   tests/dkms.sh [KVER...]     (default: the whole matrix)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
chroot_dir=$top/.deps/trixie
[ $# -gt 0 ] || set -- $(awk '{print $1}' "$top/.deps/matrix")

stage() {	# $1: root of the system to install into
	local src=$1/usr/src/mosix-$ver
	rm -rf "$src"
	mkdir -p "$src"
	cp -rp "$top/Kbuild" "$top/dkms.conf" "$top/module" "$top/include" "$src/"
}

in_chroot() {	# objtool needs /proc: mount it in a private namespace
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$@"' \
		"$chroot_dir" "$chroot_dir" "$@"
}

dkms_cycle() {	# $1: kver, then the command prefix to run dkms with
	local k=$1; shift
	"$@" dkms remove "mosix/$ver" --all >/dev/null 2>&1 || true
	"$@" dkms add "mosix/$ver"
	"$@" dkms build "mosix/$ver" -k "$k"
	"$@" dkms install "mosix/$ver" -k "$k"
}

for k in "$@"; do
	echo "dkms: $k"
	if [ -d "/usr/src/linux-headers-$k" ]; then
		stage ""
		dkms_cycle "$k" env
		installed=$(ls /lib/modules/"$k"/updates/dkms/mosix.ko* 2>/dev/null | head -n1 || true)
	else
		if ! in_chroot dpkg-query -W dkms >/dev/null 2>&1; then
			in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends dkms >/dev/null
		fi
		stage "$chroot_dir"
		dkms_cycle "$k" in_chroot
		installed=$(ls "$chroot_dir"/lib/modules/"$k"/updates/dkms/mosix.ko* 2>/dev/null | head -n1 || true)
	fi
	[ -f "$installed" ] || { echo "dkms: no mosix.ko* in updates/dkms after dkms install -k $k" >&2; exit 1; }

	stock=$top/.deps/kernels/$k/lib/modules/$k
	root=$top/build/dkms-root/$k
	rm -rf "$root"
	mkdir -p "$root/lib/modules/$k/updates/dkms"
	ln -s "$stock/kernel" "$root/lib/modules/$k/kernel"
	cp -p "$stock"/modules.order "$stock"/modules.builtin* "$root/lib/modules/$k/" 2>/dev/null || true
	cp -p "$installed" "$root/lib/modules/$k/updates/dkms/"
	depmod -b "$root" "$k"
	grep -q '^updates/dkms/mosix.ko[.a-z]*:' "$root/lib/modules/$k/modules.dep" ||
		{ echo "dkms: depmod did not index mosix.ko for $k" >&2; exit 1; }
done
