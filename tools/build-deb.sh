#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian packages, mosix-dkms_V_all.deb and mosctl_V_ARCH.deb (and the
# source package mosix_V.dsc/.tar.xz), with dpkg-buildpackage from debian/:
# for the host's release on the host (build/deb/bookworm/ on bookworm) and for
# trixie in the build chroot .deps/trixie that `make deps` makes (build/deb/trixie/).
#   tools/build-deb.sh [--out DIR] [--source-dir SDIR] [RELEASE...]
#     RELEASE   the host's codename (built on the host) or trixie (built in the
#               chroot); default: both
#     --out DIR the packages go to DIR/RELEASE/ (default build/deb)
#     --source-dir SDIR
#               build each RELEASE from the source package of an earlier build,
#               SDIR/RELEASE/mosix_VERSION.tar.xz, instead of the work tree
#               (tests/deb.sh: a second build of the same sources)
#   --version V   build the work tree as version V instead of debian/changelog's
#               (a changelog entry on top, and V wherever the version is kept):
#               the newer packages of the VM upgrade test (tests/vm/systemd-debs.sh)
# The sources are the work tree as git sees it (tracked and untracked files,
# not the ignored ones: nothing of build/ or .deps/), copied to a scratch tree
# with every time set to debian/changelog's date, so that a build gives the same
# bytes each time. The releases build side by side. Missing build dependencies (debian/control's Build-Depends,
# and lintian for tests/deb.sh) are installed with apt-get, on the host or in
# the chroot (as root). Quiet: one line per step; the steps' output goes to
# DIR/build.log, and a step that fails shows its output in full.
# (sh -c scripts and formats: expanded later; functions run by step)
# shellcheck disable=SC2016,SC2317
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
source_dir='' new_version=''
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
	--source-dir) source_dir=$(cd "$2" && pwd); shift 2 ;;
	--version)
		[[ ${2:-} =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "deb: bad --version '${2:-}'" >&2; exit 2; }
		new_version=$2; shift 2 ;;
	*) break ;;
	esac
done
chroot_dir=$top/.deps/trixie
# shellcheck source=/dev/null
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
if [ $# -eq 0 ]; then
	set -- "$host_release"
	[ "$host_release" = trixie ] || set -- "$@" trixie
fi
# one build at a time (the chroot's scratch trees, apt)
mkdir -p "$out" "$top/build"
exec 9> "$top/build/.deb.lock"
flock 9
log_file=$out/build.log
: > "$log_file"

step_prefix=deb step_log=$log_file
# shellcheck source=tools/step.sh
source "$top/tools/step.sh"
die() { printf 'deb: %s\n' "$*" >&2; exit 1; }

command -v dpkg-parsechangelog > /dev/null ||
	die "dpkg-parsechangelog is missing: apt-get install dpkg-dev"
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
sde=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Timestamp)
base_version=$version
[ -z "$new_version" ] || [ -z "$source_dir" ] || die "--version builds the work tree, not --source-dir"
version=${new_version:-$version}
name=mosix-$version

# set_version DIR: $version instead of $base_version wherever the sources keep it (the
# places tests/deb.sh checks), and a changelog entry for it (same maintainer and date)
set_version() {
	local d=$1 old=${base_version//./\\.} who when f
	who=$(dpkg-parsechangelog -l "$d/debian/changelog" -S Maintainer)
	when=$(dpkg-parsechangelog -l "$d/debian/changelog" -S Date)
	sed -i "s/^PACKAGE_VERSION=\"$old\"/PACKAGE_VERSION=\"$version\"/" "$d/dkms.conf"
	sed -i "s/^#define MOSIX_VERSION \"$old\"/#define MOSIX_VERSION \"$version\"/" "$d/module/main.c"
	sed -i "s/^\(#define MOSCTL_VERSION[[:space:]]*\)\"$old\"/\1\"$version\"/" "$d/tools/mosctl/mosctl.h"
	sed -i "1,3s/\"mosctl $old\"/\"mosctl $version\"/" "$d/tools/mosctl.8"
	for f in dkms.conf module/main.c tools/mosctl/mosctl.h tools/mosctl.8; do
		grep -qF "$version\"" "$d/$f" || die "--version: no version $base_version to replace in $f"
	done
	{
		printf 'mosix (%s) unstable; urgency=medium\n\n' "$version"
		printf '  * The sources of %s, built as %s (tools/build-deb.sh --version).\n\n' \
			"$base_version" "$version"
		printf ' -- %s  %s\n\n' "$who" "$when"
		cat "$d/debian/changelog"
	} > "$d/debian/changelog.new" && mv "$d/debian/changelog.new" "$d/debian/changelog"
}

# snapshot DIR: the work tree as DIR/mosix-VERSION, once for all releases
snapshot() {
	local dest=$1/$name f
	rm -rf "$1"
	mkdir -p "$dest"
	if git -C "$top" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git -C "$top" ls-files -z --cached --others --exclude-standard
	else
		(cd "$top" && find . -path ./build -prune -o -path ./.deps -prune -o -path ./.git -prune \
			-o \( -type f -o -type l \) -printf '%P\0')
	fi | while IFS= read -r -d '' f; do
		case $f in build/* | .deps/*) continue ;; esac
		# (tracked files deleted in the work tree are listed too)
		[ -e "$top/$f" ] || [ -L "$top/$f" ] || continue
		printf '%s\0' "$f"
	done | (cd "$top" && xargs -0 -r cp -P --parents -t "$dest")
	[ -f "$dest/debian/changelog" ] || die "copying the sources to $dest failed"
	[ -z "$new_version" ] || set_version "$dest"
}

# stage DIR RELEASE: the sources to build as DIR/mosix-VERSION (the snapshot, or
# the earlier build's source package), every time set to debian/changelog's
stage() {
	local tarball=$source_dir/$2/mosix_$version.tar.xz
	rm -rf "$1"
	mkdir -p "$1"
	if [ -n "$source_dir" ]; then
		[ -f "$tarball" ] || die "no source package $tarball"
		tar -xf "$tarball" -C "$1"
	else
		cp -a "$snap/$name" "$1/"
	fi
	[ -f "$1/$name/debian/changelog" ] || die "staging the sources into $1/$name failed"
	chmod -R u+rwX,go=rX "$1/$name"
	find "$1/$name" -exec touch -h -d "@$sde" {} +
}

# the environment of a build: nothing of the caller's make or flags
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LC_ALL=C.UTF-8 TZ=UTC
	SOURCE_DATE_EPOCH="$sde")

# apt-get install in $@ (a command prefix: '' on the host, in_chroot), once
# more after refreshing the package lists if the lists are stale
apt_in() {
	local -a pre=()
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	"${pre[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" -y -q --no-install-recommends ||
		{ "${pre[@]}" apt-get update -q && "${pre[@]}" env DEBIAN_FRONTEND=noninteractive \
			apt-get "$@" -y -q --no-install-recommends; }
}

# install_deps WHERE SRCDIR-AS-SEEN COMMAND-PREFIX...: debian/control's
# Build-Depends and lintian, if missing
install_deps() {
	local where=$1 src=$2
	shift 2
	if "$@" sh -c "cd '$src' && dpkg-checkbuilddeps" > /dev/null 2>&1 &&
		"$@" dpkg-query -W -f='${Status}\n' lintian 2> /dev/null | grep -q 'ok installed'; then
		return 0
	fi
	[ "$(id -u)" = 0 ] ||
		die "build dependencies missing $where: run make deb as root, or apt-get build-dep $src && apt-get install lintian"
	step "installing the build dependencies $where (apt-get build-dep)" apt_in "$@" -- build-dep "$src"
	step "installing lintian $where" apt_in "$@" -- install lintian build-essential
}

collect() {	# $1: the build's directory, $2: the release
	rm -rf "${out:?}/$2"
	mkdir -p "$out/$2"
	cp -p "$1"/*.deb "$1"/*.dsc "$1"/*.tar.* "$1"/*.buildinfo "$1"/*.changes "$out/$2/"
	log "$2: $(cd "$out/$2" && printf '%s ' ./*.deb | sed 's,\./,,g')in ${out#"$top"/}/$2/"
}

in_chroot() {	# dpkg-buildpackage and lintian want /proc: a private mount namespace
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$chroot_dir" "$@"
}

build_host() {	# $1: the release (the host's)
	local work=$out/.work/$1
	stage "$work" "$1"
	install_deps "on the host" "$work/$name"
	step "$1: dpkg-buildpackage on the host" \
		sh -c 'cd "$0" && exec "$@"' "$work/$name" "${clean_env[@]}" dpkg-buildpackage --no-sign
	collect "$work" "$1"
}

build_chroot() {	# $1: the release (the chroot's)
	[ -f "$chroot_dir/.done" ] ||
		die "no $1 build chroot ($chroot_dir): run 'make deps' (as root) first, or build only the host's packages: make deb DEB_RELEASES=$host_release"
	[ "$(id -u)" = 0 ] || die "the $1 packages are built in the chroot $chroot_dir: run as root"
	local inside=/build/mosix-deb/${out##*/}/$1
	local work=$chroot_dir$inside
	stage "$work" "$1"
	install_deps "in the $1 chroot" "$inside/$name" in_chroot
	step "$1: dpkg-buildpackage in the chroot" in_chroot "${clean_env[@]}" \
		sh -c 'cd "$0" && exec dpkg-buildpackage --no-sign' "$inside/$name"
	collect "$work" "$1"
}

for r in "$@"; do
	[ "$r" = "$host_release" ] || [ "$r" = trixie ] ||
		die "cannot build for $r: only for the host's release ($host_release) and trixie (the chroot)"
done
snap=$out/.work/snapshot
[ -n "$source_dir" ] || snapshot "$snap"
# the releases side by side (each one mostly waits on one process at a time)
pids=()
for r in "$@"; do
	if [ "$r" = "$host_release" ]; then
		build_host "$r" &
	else
		build_chroot "$r" &
	fi
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
rm -rf "$snap"
exit $rc
