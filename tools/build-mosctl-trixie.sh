#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build mosctl for trixie's userspace into build/trixie/tools/mosctl: in the trixie
# chroot made by `make deps` (trixie's libc, libmnl, libsodium), from a copy of the
# sources there. The 7.x guests run trixie (run-vm.sh --userspace trixie) and need it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
chroot_dir=$top/.deps/trixie
[ -f "$chroot_dir/.done" ] || { echo "build-mosctl-trixie: no trixie chroot $chroot_dir (run 'make deps')" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "build-mosctl-trixie: builds in the chroot $chroot_dir: run as root" >&2; exit 1; }
src=$chroot_dir/build/mosctl
rm -rf "$src"
mkdir -p "$src/tools" "$top/build/trixie/tools"
cp -rp "$top/Makefile" "$top/include" "$top/module" "$src/"
cp -rp "$top/tools/mosctl" "$top/tools/include" "$src/tools/"
chroot "$chroot_dir" make -s -C /build/mosctl CC=gcc-14 build/tools/mosctl
cp "$src/build/tools/mosctl" "$top/build/trixie/tools/mosctl.new"
mv "$top/build/trixie/tools/mosctl.new" "$top/build/trixie/tools/mosctl"
rm -rf "$src"
