#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS packaging, with the real dkms: stage the sources, then `dkms add`,
# `dkms build -k KVER` and `dkms install -k KVER` for every kernel of the test matrix
# (7.x inside the trixie chroot, where its headers are). By default nothing touches the
# system: dkms's source, module and install trees are build/dkms/{host,trixie}/
# (--sourcetree, --dkmstree, --installtree, --no-depmod; its module signing key there
# too), so /usr/src, /var/lib/dkms and /lib/modules stay as they were. Then lay out
# build/dkms-root/KVER/lib/modules/KVER: the stock kernel's modules plus the module
# exactly as dkms installed it, depmod'ed, for the VM test that boots KVER and runs
# `modprobe -d build/dkms-root/KVER mosix`. (dkms may compress and sign it:
# mosix.ko.xz; modprobe takes either.)
#   tests/dkms.sh [KVER...]            (default: the whole matrix)
#   tests/dkms.sh --system [KVER...]   into the system's own trees instead (/usr/src,
#                                      /var/lib/dkms, /lib/modules): a real install
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
chroot_dir=$top/.deps/trixie
system=
if [ "${1:-}" = --system ]; then system=1; shift; fi
[ $# -gt 0 ] || set -- $(awk '{print $1}' "$top/.deps/matrix")

work=$top/build/dkms
chroot_work=/mnt/mosix-dkms	# build/dkms/trixie, as the chroot sees it (a bind mount)
if [ -z "$system" ]; then
	rm -rf "$work"
	mkdir -p "$work/host" "$work/trixie"
fi

stage() {	# $1: the source tree to stage into
	local src=$1/mosix-$ver
	rm -rf "$src"
	mkdir -p "$src"
	cp -rp "$top/Kbuild" "$top/dkms.conf" "$top/module" "$top/include" "$src/"
}

in_chroot() {	# objtool needs /proc: mount it in a private namespace (and build/dkms/trixie)
	local bind=
	[ -n "$system" ] || bind=$work/trixie
	# shellcheck disable=SC2016 # expanded by sh -c
	unshare -m sh -c 'mount -t proc proc "$0/proc" &&
		if [ -n "$1" ]; then mkdir -p "$0$2" && mount --bind "$1" "$0$2"; fi &&
		shift 2 && exec chroot "$0" "$@"' "$chroot_dir" "$bind" "$chroot_work" "$@"
}

dkms_cycle() {	# $1: kver, $2: the dkms work dir as dkms sees it, then the command prefix to run dkms with
	local k=$1 w=$2
	shift 2
	if [ -n "$system" ]; then
		"$@" dkms remove "mosix/$ver" --all > /dev/null 2>&1 || true
		"$@" dkms add "mosix/$ver"
		"$@" dkms build "mosix/$ver" -k "$k"
		"$@" dkms install "mosix/$ver" -k "$k"
		return
	fi
	# (dkms would make its signing key in /var/lib/dkms: it takes these from the
	# environment as from framework.conf)
	# (dkms 3.2 looks for the headers in the install tree unless told)
	local trees=(--sourcetree "$w/src" --dkmstree "$w/tree" --installtree "$w/install" --no-depmod
		--kernelsourcedir "/usr/src/linux-headers-$k")
	set -- "$@" env "mok_signing_key=$w/mok.key" "mok_certificate=$w/mok.pub"
	"$@" mkdir -p "$w/tree" "$w/install/$k"	# (dkms installs only for a kernel it finds there)
	"$@" test -d "$w/tree/mosix/$ver" || "$@" dkms add "mosix/$ver" "${trees[@]}"
	"$@" dkms build "mosix/$ver" -k "$k" "${trees[@]}"
	"$@" dkms install "mosix/$ver" -k "$k" "${trees[@]}"
}

for k in "$@"; do
	echo "dkms: $k"
	if [ -d "/usr/src/linux-headers-$k" ]; then
		if [ -n "$system" ]; then
			stage /usr/src
			dkms_cycle "$k" '' env
			installed=$(ls /lib/modules/"$k"/updates/dkms/mosix.ko* 2> /dev/null | head -n1 || true)
		else
			stage "$work/host/src"
			dkms_cycle "$k" "$work/host" env
			installed=$(ls "$work/host/install/$k/updates/dkms/"mosix.ko* 2> /dev/null | head -n1 || true)
		fi
	else
		if ! in_chroot dpkg-query -W dkms > /dev/null 2>&1; then
			in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends dkms > /dev/null
		fi
		if [ -n "$system" ]; then
			stage "$chroot_dir/usr/src"
			dkms_cycle "$k" '' in_chroot
			installed=$(ls "$chroot_dir"/lib/modules/"$k"/updates/dkms/mosix.ko* 2> /dev/null | head -n1 || true)
		else
			stage "$work/trixie/src"
			dkms_cycle "$k" "$chroot_work" in_chroot
			installed=$(ls "$work/trixie/install/$k/updates/dkms/"mosix.ko* 2> /dev/null | head -n1 || true)
		fi
	fi
	[ -f "$installed" ] || { echo "dkms: no mosix.ko* in updates/dkms after dkms install -k $k" >&2; exit 1; }

	stock=$top/.deps/kernels/$k/lib/modules/$k
	root=$top/build/dkms-root/$k
	rm -rf "$root"
	mkdir -p "$root/lib/modules/$k/updates/dkms"
	ln -s "$stock/kernel" "$root/lib/modules/$k/kernel"
	cp -p "$stock"/modules.order "$stock"/modules.builtin* "$root/lib/modules/$k/" 2> /dev/null || true
	cp -p "$installed" "$root/lib/modules/$k/updates/dkms/"
	depmod -b "$root" "$k"
	grep -q '^updates/dkms/mosix.ko[.a-z]*:' "$root/lib/modules/$k/modules.dep" ||
		{ echo "dkms: depmod did not index mosix.ko for $k" >&2; exit 1; }
done
