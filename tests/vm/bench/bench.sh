# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Run by tests/vm/bench.sh in a guest: figures go to the scratch folder.

t_bench_table_install() {
	load_mosix
	python3 "$MOSIX_TOP/tests/vm/bench_table.py" > "$MOSIX_SCRATCH/bench.out" 2>&1 ||
		fail "$(cat "$MOSIX_SCRATCH/bench.out")"
	unload_mosix
}
