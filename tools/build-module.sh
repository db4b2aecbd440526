#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build mosix.ko for one kernel into build/KVER/mosix.ko.
#   build-module.sh KVER [kbuild args, e.g. C=2]
#   KDIR=/path/to/headers build-module.sh - [kbuild args]
# Headers found on the host are used directly; kernels whose headers live in
# the trixie chroot made by `make deps` (7.x needs gcc-14) are built there.
# Each kernel builds in its own copy of the sources, so builds never mix.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: build-module.sh KVER|- [kbuild args]}
shift
chroot_dir=$top/.deps/trixie

if [ -n "${KDIR:-}" ]; then
	kver=$(make -s -C "$KDIR" kernelrelease)
	kdir=$KDIR
elif [ -d "/lib/modules/$kver/build" ]; then
	kdir=/lib/modules/$kver/build
elif [ -d "/usr/src/linux-headers-$kver" ]; then
	kdir=/usr/src/linux-headers-$kver
elif [ -d "$chroot_dir/usr/src/linux-headers-$kver" ]; then
	kdir=
else
	echo "build-module: no headers for $kver (run 'make deps', or pass KDIR=)" >&2
	exit 1
fi

out=$top/build/$kver
mkdir -p "$out"
copy_sources() {
	# -p keeps times, so unchanged files are not rebuilt
	rm -rf "$1/module/"*.c "$1/module/"*.h
	mkdir -p "$1"
	cp -rp "$top/Kbuild" "$top/module" "$top/include" "$1/"
}

if [ -n "$kdir" ]; then
	copy_sources "$out"
	make -C "$kdir" M="$out" "$@" modules
else
	copy_sources "$chroot_dir/build/$kver"
	# objtool reads /proc: mount it in a private namespace, nothing leaks
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$@"' \
		"$chroot_dir" "$chroot_dir" make -C "/usr/src/linux-headers-$kver" M="/build/$kver" "$@" modules
	cp "$chroot_dir/build/$kver/mosix.ko" "$out/mosix.ko"
fi
