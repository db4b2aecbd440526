#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages of `make deb`, checked: one version everywhere, each
# release's packages (the host's and trixie, built in the chroot) hold exactly
# the files expected and nothing of build/, the maintainer scripts neither enable
# nor start the unit, the packaged mosctl runs, lintian finds no warning or
# error, a second build gives the same bytes, and systemd-analyze verify passes
# on the unit. TAP-ish: `ok N - ...` / `not ok N - ...` with the reason below it
# (`#` lines); exits 1 if any check failed.
#   tests/deb.sh            build into build/deb (make deb), then check
#   tests/deb.sh --reuse    check the packages already in build/deb (built if missing)
# DEB_RELEASES (as for make deb): the releases to check, default the host's and trixie.
# Takes 1-2 minutes on 2 idle cores (two builds of each release, side by side).
# (the checks are functions that check() runs; sh -c scripts expand later;
# A && B || C: B does not fail; the words of Kbuild's object list)
# shellcheck disable=SC2317,SC2016,SC2015,SC2013
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reuse=
[ "${1:-}" = --reuse ] && reuse=1
out=$top/build/deb
rebuild_out=$top/build/deb-rebuild
chroot_dir=$top/.deps/trixie
# shellcheck source=/dev/null
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
read -r -a releases <<< "${DEB_RELEASES:-}"
if [ ${#releases[@]} -eq 0 ]; then
	releases=("$host_release")
	[ "$host_release" = trixie ] || releases+=(trixie)
fi
arch=$(dpkg --print-architecture)
mkdir -p "$top/build"
tmp=$(mktemp -d "$top/build/deb-check.XXXXXX")
rebuild_pid=
trap '[ -z "$rebuild_pid" ] || kill "$rebuild_pid" 2> /dev/null; rm -rf "$tmp"' EXIT

n=0 failed=0
# check DESCRIPTION COMMAND...: ok, or not ok with the command's output below
check() {
	local what=$1 rc=0
	shift
	"$@" > "$tmp/out" 2>&1 || rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
	fi
	sed 's/^/#   /' "$tmp/out"
	return "$rc"
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
fail() { echo "$*"; return 1; }
finish() {
	echo "1..$n"
	if [ $failed -gt 0 ]; then
		echo "deb: $failed of $n checks failed"
		exit 1
	fi
	echo "deb: all $n checks passed"
	exit 0
}

# --- one version: debian/changelog's, everywhere
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
versions_agree() {
	local v bad=0
	[[ $version =~ ^[0-9][0-9.]*$ ]] ||
		{ echo "debian/changelog: version $version is not a native upstream version"; bad=1; }
	v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
	[ "$v" = "$version" ] || { echo "dkms.conf: PACKAGE_VERSION \"$v\", debian/changelog: $version"; bad=1; }
	v=$(sed -n 's/^#define MOSIX_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$top/module/main.c")
	[ "$v" = "$version" ] || { echo "module/main.c: MOSIX_VERSION \"$v\", debian/changelog: $version"; bad=1; }
	v=$(sed -n 's/^#define MOSCTL_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$top/tools/mosctl/mosctl.h")
	[ "$v" = "$version" ] || { echo "tools/mosctl/mosctl.h: MOSCTL_VERSION \"$v\", debian/changelog: $version"; bad=1; }
	v=$(sed -n 's/^\.TH MOSCTL 8 [^"]*"mosctl \([^"]*\)".*/\1/p' "$top/tools/mosctl.8")
	[ "$v" = "$version" ] || { echo "tools/mosctl.8: .TH says mosctl \"$v\", debian/changelog: $version"; bad=1; }
	[ "$bad" = 1 ] ||
		echo "version $version (debian/changelog, dkms.conf, module/main.c, tools/mosctl/mosctl.h, tools/mosctl.8)"
	return "$bad"
}
check "one version: debian/changelog, dkms.conf, MOSIX_VERSION, MOSCTL_VERSION, mosctl(8)" versions_agree

# --- the build
have_all() {
	local r
	for r in "${releases[@]}"; do
		[ -f "$1/$r/mosctl_${version}_$arch.deb" ] && [ -f "$1/$r/mosix-dkms_${version}_all.deb" ] || return 1
	done
}
if [ -z "$reuse" ] || ! have_all "$out"; then
	start=$(date +%s)
	check "make deb (${releases[*]}) builds" "$top/tools/build-deb.sh" "${releases[@]}" || finish
	echo "# make deb took $(($(date +%s) - start)) s"
fi

# --- each release's packages
extract() {	# $1: .deb, $2: dir: files and control files
	rm -rf "$2" && mkdir -p "$2/root" "$2/DEBIAN" &&
		dpkg-deb -x "$1" "$2/root" && dpkg-deb -e "$1" "$2/DEBIAN"
}
files_of() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort); }
no_build_leaks() {	# $1: a listing (one path a line)
	if grep -E '(^|/)(build|\.deps|\.git)/|\.(o|ko|cmd|mod|mod\.c|a|tap)$|(^|/)(Module\.symvers|modules\.order)$' "$1"; then
		echo "(build products or build/ files above: they do not belong in the package)"
		return 1
	fi
}

dkms_contents() {	# $1: release dir, $2: work dir
	local d=$1 w=$2 src=mosix-$version bad=0
	tar -xf "$d/mosix_$version.tar.xz" -C "$w" || return 1
	extract "$d/mosix-dkms_${version}_all.deb" "$w/dkms" || return 1
	# exactly Kbuild, dkms.conf, module/ and include/ of the source package
	{
		printf '%s\n' usr/share/doc/mosix-dkms/changelog.gz usr/share/doc/mosix-dkms/copyright \
			"usr/src/$src/Kbuild" "usr/src/$src/dkms.conf"
		(cd "$w/$src" && find module include \( -type f -o -type l \) -printf "usr/src/$src/%p\n")
	} | LC_ALL=C sort > "$w/dkms.want"
	files_of "$w/dkms/root" > "$w/dkms.have"
	diff -u "$w/dkms.want" "$w/dkms.have" > "$w/dkms.diff" ||
		{ echo "mosix-dkms: files (- expected, + in the package):"; tail -n +3 "$w/dkms.diff"; bad=1; }
	no_build_leaks "$w/dkms.have" || bad=1
	local f
	for f in Kbuild dkms.conf module include; do
		diff -r "$w/$src/$f" "$w/dkms/root/usr/src/$src/$f" > /dev/null 2>&1 ||
			{ echo "mosix-dkms: usr/src/$src/$f differs from the source package's"; bad=1; }
	done
	# dkms can build it: every object of Kbuild has its source
	for f in $(sed -n 's/^mosix-y[[:space:]]*:\?=//; T; :a; /\\$/ { N; s/\\\n//; ba }; p' \
			"$w/dkms/root/usr/src/$src/Kbuild"); do
		[ -f "$w/dkms/root/usr/src/$src/${f%.o}.c" ] ||
			{ echo "mosix-dkms: Kbuild builds $f, but usr/src/$src/${f%.o}.c is missing"; bad=1; }
	done
	grep -qx "PACKAGE_NAME=\"mosix\"" "$w/dkms/root/usr/src/$src/dkms.conf" &&
		grep -qx "PACKAGE_VERSION=\"$version\"" "$w/dkms/root/usr/src/$src/dkms.conf" ||
		{ echo "mosix-dkms: dkms.conf is not mosix/$version"; bad=1; }
	dpkg-deb -f "$d/mosix-dkms_${version}_all.deb" Depends | grep -qw dkms ||
		{ echo "mosix-dkms: does not depend on dkms"; bad=1; }
	grep -q 'common.postinst' "$w/dkms/DEBIAN/postinst" &&
		grep -q 'autoinstall_all_kernels=1' "$w/dkms/DEBIAN/postinst" ||
		{ echo "mosix-dkms: postinst does not run dkms for every kernel"; bad=1; }
	grep -q 'dkms remove' "$w/dkms/DEBIAN/prerm" ||
		{ echo "mosix-dkms: prerm does not run dkms remove"; bad=1; }
	# and the source package holds nothing of build/ either
	tar -tf "$d/mosix_$version.tar.xz" | sed "s,^$src/,," > "$w/src.list"
	no_build_leaks "$w/src.list" || { echo "(in mosix_$version.tar.xz)"; bad=1; }
	echo "mosix-dkms: $(wc -l < "$w/dkms.have") files, as the source package's Kbuild, dkms.conf, module/, include/"
	return "$bad"
}

mosctl_contents() {	# $1: release dir, $2: work dir
	local d=$1 w=$2 deb=$1/mosctl_${version}_$arch.deb bad=0 unitdir f
	extract "$deb" "$w/mosctl" || return 1
	local r=$w/mosctl/root
	unitdir=lib/systemd/system
	[ -d "$r/usr/lib/systemd/system" ] && unitdir=usr/lib/systemd/system
	printf '%s\n' etc/mosix/mosix.map "$unitdir/mosix.service" "$unitdir/mosix-helper.service" usr/sbin/mosctl \
		usr/share/bash-completion/completions/mosctl usr/share/doc/mosctl/README.md.gz \
		usr/share/doc/mosctl/changelog.gz usr/share/doc/mosctl/copyright \
		usr/share/man/man8/mosctl.8.gz | LC_ALL=C sort > "$w/mosctl.want"
	files_of "$r" > "$w/mosctl.have"
	diff -u "$w/mosctl.want" "$w/mosctl.have" > "$w/mosctl.diff" ||
		{ echo "mosctl: files (- expected, + in the package):"; tail -n +3 "$w/mosctl.diff"; bad=1; }
	no_build_leaks "$w/mosctl.have" || bad=1
	for f in var/lib/mosix etc/mosix; do
		[ -d "$r/$f" ] || { echo "mosctl: no directory /$f"; bad=1; }
	done
	cmp -s "$r/etc/mosix/mosix.map" "$top/tools/mosix.map.example" ||
		{ echo "mosctl: /etc/mosix/mosix.map is not tools/mosix.map.example"; bad=1; }
	cmp -s "$r/usr/share/bash-completion/completions/mosctl" "$top/tools/mosctl.bash-completion" ||
		{ echo "mosctl: the bash completion is not tools/mosctl.bash-completion"; bad=1; }
	zcat "$r/usr/share/man/man8/mosctl.8.gz" | cmp -s - "$top/tools/mosctl.8" ||
		{ echo "mosctl: mosctl.8.gz is not tools/mosctl.8"; bad=1; }
	[ "$(cat "$w/mosctl/DEBIAN/conffiles" 2> /dev/null)" = /etc/mosix/mosix.map ] ||
		{ echo "mosctl: conffiles is not exactly /etc/mosix/mosix.map: $(cat "$w/mosctl/DEBIAN/conffiles" 2>&1)"; bad=1; }
	local dep rec
	dep=$(dpkg-deb -f "$deb" Depends)
	rec=$(dpkg-deb -f "$deb" Recommends)
	for f in libc6 libmnl0 kmod; do
		[[ ", $dep," =~ ,\ ${f}[\ ,] ]] || { echo "mosctl: Depends ($dep) lacks $f"; bad=1; }
	done
	[ "$rec" = mosix-dkms ] || { echo "mosctl: Recommends is \"$rec\", not mosix-dkms"; bad=1; }
	# the units run the packaged mosctl and are otherwise tools/'s
	local unit=$r/$unitdir/mosix.service helper=$r/$unitdir/mosix-helper.service u pi=$w/mosctl/DEBIAN/postinst
	grep -qx 'ExecStart=/usr/sbin/mosctl start' "$unit" && grep -qx 'ExecStop=/usr/sbin/mosctl shutdown' "$unit" ||
		{ echo "mosctl: the unit does not run /usr/sbin/mosctl start/shutdown:"; grep '^Exec' "$unit"; bad=1; }
	grep -qx 'ExecStart=/usr/sbin/mosctl helper' "$helper" && grep -qx 'KillMode=process' "$helper" ||
		{ echo "mosctl: mosix-helper.service does not run /usr/sbin/mosctl helper with KillMode=process"; bad=1; }
	for u in mosix mosix-helper; do
		diff <(grep -v '^#' "$r/$unitdir/$u.service") <(grep -v '^#' "$top/tools/$u.service" |
			sed 's,/usr/local/sbin/mosctl,/usr/sbin/mosctl,g') > /dev/null ||
			{ echo "mosctl: $u.service differs from tools/$u.service beyond the mosctl path"; bad=1; }
		grep -n '/usr/local' "$r/$unitdir/$u.service" | grep -v ':#' &&
			{ echo "mosctl: $u.service still uses /usr/local"; bad=1; }
	done
	# mosix.service: neither enabled nor started on installation, not stopped on
	# upgrades, stopped on removal. mosix-helper.service: not enabled (mosix.service
	# wants it); started or restarted through deb-systemd-invoke only, which leaves a
	# unit alone that is neither enabled nor running (a fresh installation), so that
	# an upgrade restarts a running helper (its jobs go on: KillMode=process)
	grep -q 'debian-installed' "$pi" &&
		! grep -E 'deb-systemd-invoke.*mosix\.service|systemctl .*(start|restart|enable)' "$pi" ||
		{ echo "mosctl: postinst enables or starts mosix.service"; bad=1; }
	grep -q "deb-systemd-invoke \$_dh_action 'mosix-helper.service'" "$pi" ||
		{ echo "mosctl: postinst does not restart a running mosix-helper.service on upgrades"; bad=1; }
	if [ -f "$w/mosctl/DEBIAN/preinst" ] && grep -q 'deb-systemd-invoke' "$w/mosctl/DEBIAN/preinst"; then
		echo "mosctl: preinst stops mosix.service on upgrades (the node would leave the cluster)"
		bad=1
	fi
	grep -q 'deb-systemd-invoke stop mosix.service' "$w/mosctl/DEBIAN/prerm" 2> /dev/null ||
		{ echo "mosctl: prerm does not stop mosix.service on removal"; bad=1; }
	grep -q "deb-systemd-invoke stop 'mosix-helper.service'" "$w/mosctl/DEBIAN/prerm" 2> /dev/null ||
		{ echo "mosctl: prerm does not stop mosix-helper.service on removal"; bad=1; }
	grep -q 'rm -rf /var/lib/mosix' "$w/mosctl/DEBIAN/postrm" ||
		{ echo "mosctl: postrm does not remove /var/lib/mosix on purge"; bad=1; }
	echo "mosctl: $(wc -l < "$w/mosctl.have") files, unit in /$unitdir; Depends: $dep; Recommends: $rec"
	return "$bad"
}

# the bash completion, with bash-completion's two helpers stubbed
completes() {
	bash -c '
		_init_completion() { words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
			cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}; }
		_filedir() { COMPREPLY=("FILES$*"); }
		. "$0" || { echo "the bash completion does not load"; exit 1; }
		bad=0
		expect() {	# WANT WORD...
			local want=$1
			shift
			COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
			_mosctl
			[ "${COMPREPLY[*]}" = "$want" ] ||
				{ echo "completing \"$*\": \"${COMPREPLY[*]}\", not \"$want\""; bad=1; }
		}
		expect "setpe status shutdown start" mosctl s
		expect "--version" mosctl --v
		expect "--file" mosctl setpe --f
		expect "FILES" mosctl setpe -f ""
		expect "--json --verbose --help" mosctl status ""
		expect "--map --key-file --pe --state-dir --help" mosctl start -
		expect "FILES-d" mosctl start --state-dir ""
		expect "status start" mosctl help st
		expect "--name --output --error --detach --help" mosctl run -
		expect "FILES" mosctl run -o ""
		expect "ps" mosctl p
		exit $bad' "$1"
}

mosctl_runs() {	# $1: release, $2: work dir (mosctl extracted)
	local rel=$1 w=$2 bad=0 v at=$2
	local -a pre=()
	# trixie's mosctl needs trixie's libc: it runs in the chroot, on a copy
	if [ "$rel" != "$host_release" ]; then
		at=/build/mosix-deb/run-$rel
		rm -rf "${chroot_dir:?}$at" && mkdir -p "$chroot_dir$at" && cp -a "$w/mosctl" "$chroot_dir$at/" ||
			{ echo "cannot copy the package's files into the chroot"; return 1; }
		w=$chroot_dir$at
		pre=(in_chroot)
	fi
	local r=$at/mosctl/root
	v=$("${pre[@]}" "$r/usr/sbin/mosctl" --version 2>&1)
	[ "$v" = "mosctl $version" ] || { echo "mosctl --version: \"$v\", not \"mosctl $version\""; bad=1; }
	"${pre[@]}" "$r/usr/sbin/mosctl" setpe -c -f "$r/etc/mosix/mosix.map" || { echo "the example map (as shipped) is refused"; bad=1; }
	sed 's/^#\([0-9]\)/\1/' "$w/mosctl/root/etc/mosix/mosix.map" > "$w/map.uncommented"
	"${pre[@]}" "$r/usr/sbin/mosctl" setpe -c -f "$at/map.uncommented" ||
		{ echo "the example map with its example lines uncommented is refused"; bad=1; }
	completes "$w/mosctl/root/usr/share/bash-completion/completions/mosctl" || bad=1
	[ "$at" = "$2" ] || rm -rf "${chroot_dir:?}$at"
	return "$bad"
}

in_chroot() {
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$chroot_dir" "$@"
}
lintian_of() {	# $1: release, $2: release dir; lintian of that release (the chroot's for trixie)
	local r=$1 d=$2 changes=mosix_${version}_$arch.changes rc=0
	local -a as=()
	# (lintian warns when it runs as root)
	[ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
	if [ "$r" = "$host_release" ]; then
		(cd "$d" && "${as[@]}" env HOME=/tmp lintian --fail-on warning,error -I "$changes") || rc=$?
	else
		local inside=/build/mosix-deb/lintian-$r
		rm -rf "$chroot_dir$inside" && mkdir -p "$chroot_dir$inside" && cp -p "$d"/* "$chroot_dir$inside/" || return 1
		in_chroot "${as[@]}" env HOME=/tmp sh -c 'cd "$0" && exec lintian --fail-on warning,error -I "$1"' \
			"$inside" "$changes" || rc=$?
		rm -rf "${chroot_dir:?}$inside"
	fi
	echo "lintian $( ([ "$r" = "$host_release" ] && lintian --version) || in_chroot lintian --version): status $rc"
	return "$rc"
}

# the second build (for the reproducibility check below) runs meanwhile, from the
# first one's source packages: the work tree may have changed since
start=$(date +%s)
"$top/tools/build-deb.sh" --out "$rebuild_out" --source-dir "$out" "${releases[@]}" > "$tmp/rebuild.out" 2>&1 &
rebuild_pid=$!

for r in "${releases[@]}"; do
	d=$out/$r
	w=$tmp/$r
	mkdir -p "$w"
	check "$r: mosix-dkms: the module's sources and dkms.conf, nothing else" dkms_contents "$d" "$w"
	check "$r: mosctl: binary, unit, man page, completion, example map, state dir; dependencies; unit not enabled" \
		mosctl_contents "$d" "$w"
	check "$r: the packaged mosctl runs, the example map validates, the bash completion completes" mosctl_runs "$r" "$w"
	check "$r: lintian --fail-on warning,error (.changes: .dsc, both .debs)" lintian_of "$r" "$d"
done

# --- reproducible: the second build, byte for byte
rebuilt() { wait "$rebuild_pid"; local rc=$?; cat "$tmp/rebuild.out"; return "$rc"; }
if check "a second build, from the first one's source packages (into build/deb-rebuild)" rebuilt; then
	echo "# the second build took $(($(date +%s) - start)) s (alongside the checks above)"
	for r in "${releases[@]}"; do
		same() {
			local f bad=0
			for f in "mosix-dkms_${version}_all.deb" "mosctl_${version}_$arch.deb" "mosix_$version.dsc" "mosix_$version.tar.xz"; do
				if cmp -s "$out/$r/$f" "$rebuild_out/$r/$f"; then
					echo "$(sha256sum < "$out/$r/$f" | cut -d' ' -f1)  $f (both builds)"
				else
					echo "$f differs: $(sha256sum "$out/$r/$f" "$rebuild_out/$r/$f" | tr '\n' ' ')"
					bad=1
				fi
			done
			return "$bad"
		}
		check "$r: reproducible: both builds give the same bytes" same
	done
fi

# --- systemd-analyze verify of the packaged unit, run by the packaged mosctl:
# in a private mount namespace /usr/sbin is overlaid with the package's (and
# man finds its mosctl(8)), so nothing is installed on the host
if ! command -v systemd-analyze > /dev/null && [ "$(id -u)" = 0 ]; then
	# (the package only: it does not become this machine's init)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd \
		> "$tmp/apt-systemd.log" 2>&1 || cat "$tmp/apt-systemd.log" >&2
fi
for r in "${releases[@]}"; do
	if ! command -v systemd-analyze > /dev/null; then
		skip "$r: systemd-analyze verify mosix.service and mosix-helper.service" "no systemd-analyze on this host"
	elif [ "$(id -u)" != 0 ] || ! grep -qw overlay /proc/filesystems; then
		skip "$r: systemd-analyze verify mosix.service and mosix-helper.service" "needs root and overlayfs (a private mount namespace)"
	else
		verify() {
			local root=$tmp/$r/mosctl/root unit units=() u
			for u in mosix mosix-helper; do
				for unit in "$root"/lib/systemd/system/$u.service "$root"/usr/lib/systemd/system/$u.service; do
					[ -f "$unit" ] && break
				done
				[ -f "$unit" ] || fail "no $u.service in the package"
				units+=("$unit")
			done
			# (systemd-analyze prints nothing when the units are clean; the helper's
			# unit is beside mosix.service, which names it)
			unshare -m sh -c 'mount --make-rprivate / && mount -t overlay overlay -o lowerdir="$0/usr/sbin:/usr/sbin" /usr/sbin &&
				MANPATH="$0/usr/share/man:" exec systemd-analyze verify "$1" "$2"' "$root" "${units[@]}" &&
				echo "systemd-analyze verify ${units[*]#"$root"}: clean ($(systemd-analyze --version | head -n1))"
		}
		check "$r: systemd-analyze verify mosix.service and mosix-helper.service (with the packaged mosctl and man page)" verify
	fi
done
finish
