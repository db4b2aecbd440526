#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the build and the tests need, idempotently:
#  - host packages (compiler, qemu, busybox, vde2, libmnl, check, sparse, dkms, ...)
#  - kernel headers of the test matrix: 6.1 LTS (bookworm), 6.12 LTS (bookworm-backports),
#    newest 7.x (trixie-backports, inside a debootstrap'ed trixie chroot: needs gcc-14)
#  - the matching stock kernel images, unpacked under .deps/kernels/KVER (git-ignored)
# Exact versions are resolved from the mirror now and recorded in .deps/matrix: the
# package lists (host and chroot) are refreshed first on every run, so a .deps made
# weeks ago still resolves today's kernels. Quiet: one line per step on stdout, the
# steps' own output in .deps/setup.log; a step that fails shows its output in full.
#   tests/setup-deps.sh          all of it (.deps/matrix: make check, make deb, ...)
#   tests/setup-deps.sh --demo   what make demo needs: the host packages to build and
#                                boot, and the first kernel of the matrix (bookworm's
#                                6.1) in .deps/matrix.demo; no 6.12, 7.x, nor chroot
set -euo pipefail
demo=
case ${1:-} in
"") ;;
--demo) demo=1 ;;
*) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
deps=$top/.deps
mkdir -p "$deps/dl" "$deps/kernels"
setup_log=$deps/setup.log
step_prefix=deps step_log=$setup_log
# shellcheck source=tools/step.sh
source "$top/tools/step.sh"

[ "$(id -u)" = 0 ] || { echo "deps: must run as root (apt-get, debootstrap)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

# make demo's: build the module and mosctl (libmnl, libsodium), boot the guests
host_pkgs=(build-essential bc bison flex libelf-dev kmod cpio xz-utils zstd
	qemu-system-x86 busybox-static vde2 libmnl-dev libsodium-dev pkg-config iproute2 python3
	procps)
# and the tests': unit tests, sparse, dkms, the trixie chroot, the fuzzers, the debug
# kernel (tests/debug-kernel), jq (the VM tests read mosctl's JSON: python is slow
# to start under emulation), criu (the migration tests)
[ -n "$demo" ] || host_pkgs+=(check sparse dkms debootstrap clang libclang-rt-14-dev
	libssl-dev linux-source-6.12 jq criu)

src=/etc/apt/sources.list.d/mosix-test.sources
if [ ! -f "$src" ]; then
	log "adding bookworm-backports (pinned at priority 100)"
	cat > "$src" <<'EOS'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	cat > /etc/apt/preferences.d/mosix-test <<'EOS'
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
EOS
fi
rm -f "$deps/.apt-updated"	# (once a stamp: the lists were refreshed once per .deps)
step "refreshing the package lists" apt-get update -q

missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

has_candidate() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; }

# $1: kernel release; unpack its image package(s) into .deps/kernels/$1
# (run as a step: every command checked, errexit does not hold inside it)
unpack_image() {
	local kver=$1 dir=$deps/kernels/$1; shift
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	local f
	for f in "$@"; do dpkg -x "$f" "$dir" || return 1; done
	# 7.x keeps the kernel and modules under usr/lib; give every kernel the same layout
	if [ -d "$dir/usr/lib/modules/$kver" ]; then
		mkdir -p "$dir/lib/modules" && mv "$dir/usr/lib/modules/$kver" "$dir/lib/modules/" || return 1
	fi
	local img
	img=$(ls "$dir"/boot/vmlinuz-* "$dir"/lib/modules/"$kver"/vmlinuz 2>/dev/null | head -n1 || true)
	[ -n "$img" ] || { echo "deps: no vmlinuz in image of $kver"; return 1; }
	ln -sf "${img#"$dir"/}" "$dir/vmlinuz" && depmod -b "$dir" "$kver" && touch "$dir/.done"
}

# (bookworm-backports first: 6.12)
install_headers() {
	apt-get install -y -q --no-install-recommends -t bookworm-backports "linux-headers-$1" ||
		apt-get install -y -q --no-install-recommends "linux-headers-$1"
}
download_to() ( cd "$1" && apt-get download -q "$2" )

matrix=()
# --- 6.1 LTS: the bookworm default kernel
k61=$(apt-cache depends linux-headers-amd64 | sed -n 's/.*Depends: linux-headers-\(6\.1\..*-amd64\)$/\1/p' | head -n1)
[ -n "$k61" ] || { echo "deps: cannot resolve the bookworm 6.1 kernel" >&2; exit 1; }
# host_kernel K: the headers of K on the host, its image under .deps/kernels/K
host_kernel() {
	local k=$1 pkg
	if [ ! -d "/usr/src/linux-headers-$k" ]; then
		step "installing headers $k" install_headers "$k"
	fi
	if [ ! -f "$deps/kernels/$k/.done" ]; then
		pkg=linux-image-$k-unsigned; has_candidate "$pkg" || pkg=linux-image-$k
		rm -f "$deps/dl/${pkg}"_*.deb
		step "fetching image $k" download_to "$deps/dl" "$pkg"
		step "unpacking image $k" unpack_image "$k" "$deps/dl/${pkg}"_*.deb
	fi
}
if [ -n "$demo" ]; then
	host_kernel "$k61"
	echo "$k61 host" > "$deps/matrix.demo"
	log "the demo's kernel: $k61 (make deps or make check set up the whole matrix)"
	exit 0
fi
# --- 6.12 LTS: newest bookworm(-backports) ABI with both headers and an image
k612=
for k in $(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -rV); do
	if has_candidate "linux-image-$k-unsigned" || has_candidate "linux-image-$k"; then k612=$k; break; fi
done
[ -n "$k612" ] || { echo "deps: cannot resolve a 6.12 kernel" >&2; exit 1; }

for k in "$k61" "$k612"; do
	host_kernel "$k"
	matrix+=("$k host")
done

# --- 7.x: trixie-backports, built in a trixie chroot (its headers need gcc-14)
chroot_dir=$deps/trixie
if [ ! -f "$chroot_dir/.done" ]; then
	rm -rf "$chroot_dir"
	step "creating trixie build chroot (debootstrap, about a minute)" \
		debootstrap --variant=minbase --include=gcc-14,make,libc6-dev,bc,bison,flex,libelf-dev,kmod,sparse \
		trixie "$chroot_dir" http://deb.debian.org/debian
	cat > "$chroot_dir/etc/apt/sources.list" <<'EOS'
deb http://deb.debian.org/debian trixie main
deb http://deb.debian.org/debian trixie-backports main
EOS
	touch "$chroot_dir/.done"
fi
step "refreshing the package lists of the trixie chroot" chroot "$chroot_dir" apt-get update -q
# what the chroot needs besides debootstrap's --include, checked on every run: a
# chroot made before a package was added to the list gets it too. mosctl's libraries
# (make deb and make mosctl-trixie build it there), and what a 7.x guest running the
# chroot as its userspace (run-vm.sh --userspace trixie) needs for the cluster cases:
# trixie's criu 4.1 (bookworm's fails on 6.13 and later), the tests' tools
chroot_pkgs=(libsodium-dev libmnl-dev criu python3 iproute2 procps jq busybox-static)
missing=()
for p in "${chroot_pkgs[@]}"; do
	# shellcheck disable=SC2016 # (dpkg-query's format)
	chroot "$chroot_dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]} in the chroot" \
		chroot "$chroot_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}"
fi
k7=$(chroot "$chroot_dir" apt-cache search --names-only '^linux-headers-7\.[0-9.]+\+deb13-amd64$' |
	awk '{print $1}' | sed 's/^linux-headers-//' | sort -rV | head -n1)
[ -n "$k7" ] || { echo "deps: cannot resolve a 7.x kernel in trixie-backports" >&2; exit 1; }
if [ ! -d "$chroot_dir/usr/src/linux-headers-$k7" ]; then
	step "installing headers $k7 in the chroot" \
		chroot "$chroot_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-t trixie-backports "linux-headers-$k7"
fi
if [ ! -f "$deps/kernels/$k7/.done" ]; then
	rm -rf "$chroot_dir/tmp/dl"; mkdir -p "$chroot_dir/tmp/dl"
	# (7.x splits the image: linux-binary + linux-modules; else the one -unsigned package)
	step "fetching image $k7" chroot "$chroot_dir" sh -c "cd /tmp/dl &&
		{ apt-get download -q -t trixie-backports linux-binary-$k7 linux-modules-$k7 ||
		apt-get download -q -t trixie-backports linux-image-$k7-unsigned; }"
	step "unpacking image $k7" unpack_image "$k7" "$chroot_dir"/tmp/dl/*.deb
fi
matrix+=("$k7 trixie")

printf '%s\n' "${matrix[@]}" > "$deps/matrix.new"
mv "$deps/matrix.new" "$deps/matrix"
log "kernel matrix: $(awk '{print $1}' "$deps/matrix" | tr '\n' ' ')"
