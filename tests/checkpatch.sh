#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict over the kernel sources (module/, include/uapi/).
# checkpatch ships in Debian's linux-source-6.1; installed on demand.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=$top/.deps/checkpatch/scripts/checkpatch.pl
if [ ! -x "$cp" ]; then
	dpkg-query -W linux-source-6.1 >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-source-6.1 >/dev/null
	rm -rf "$top/.deps/checkpatch"
	mkdir -p "$top/.deps/checkpatch"
	tar -C "$top/.deps/checkpatch" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi
cd "$top"
"$cp" --no-tree --strict --show-types --terse \
	-f module/*.c module/*.h include/uapi/linux/mosix.h
