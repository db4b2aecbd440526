#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The packages the systemd VM suite (tests/vm/cases/systemd.sh) installs in its guests,
# for the host's release only (the guests run on the host's root):
#   build/deb-systemd/base/RELEASE/     the work tree as debian/changelog's VERSION
#   build/deb-systemd/upgrade/RELEASE/  the same sources as VERSION+upgrade1 (the upgrade)
# tools/build-deb.sh does the building (quiet, one line per step). As root when build
# dependencies are missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
release=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
"$top/tools/build-deb.sh" --out "$top/build/deb-systemd/base" "$release"
"$top/tools/build-deb.sh" --out "$top/build/deb-systemd/upgrade" --version "$version+upgrade1" "$release"
