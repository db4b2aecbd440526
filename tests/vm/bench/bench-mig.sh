# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `make bench`, 2 guests: moving a job with 64 MiB of touched memory from node 1 to
# node 2. The baseline, in the same run: the same move by hand (criu dump to tmpfs, the
# image folder through a plain TCP connection, criu restore), and raw TCP between the
# same guests. For mosix: `mosctl migrate`'s total, the time the job's output stopped
# at home (its frozen time, seen where it matters), and the image stream's MB/s from
# the helper's log. Three rounds of each; figures (min / median / max) go to
# $MOSIX_SCRATCH/bench-mig.out. Not a pass/fail test; skips where criu cannot run.
# shellcheck disable=SC2034 # read by run-vm.sh
NODES_REQUIRED=2
CASE_TIMEOUT=900
source "$MOSIX_TOP/tests/vm/cluster-lib.sh"
source "$MOSIX_TOP/tests/vm/criu-lib.sh"
out=$MOSIX_SCRATCH/bench-mig.out
rounds=3

# the job: 64 MiB, every page touched, a line every 0.1 s
# shellcheck disable=SC2016 # (perl's own variables)
big_job='$0 = "bench-job"; $| = 1; my $x = "a" x (64 << 20);
	for (my $i = 0; $i < length $x; $i += 4096) { substr($x, $i, 1) = chr(($i >> 12) & 255) }
	for (my $i = 0; ; $i++) { print "$i\n"; select(undef, undef, undef, 0.1) }'

# min / median / max of the numbers on stdin
spread() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_us() { echo "${EPOCHREALTIME/./}"; }

# by hand: the job in a PID namespace of its own, dumped, copied, restored on node 2
hand_round() {	# $1: round
	local r=$1 init t0 t1 t2 port=$((7320 + r))
	if [ "$MOSIX_NODE" = 1 ]; then
		rm -rf /dev/shm/hand && mkdir -p /dev/shm/hand
		setsid unshare --pid --fork setsid perl -e "$big_job" < /dev/null > /dev/null 2>&1 &
		wait_for 30 sh -c 'pgrep -f bench-job > /dev/null' || fail "the by-hand job does not start"
		init=''
		wait_for 30 sh -c 'for p in $(pgrep -f bench-job); do grep -q "^NSpid:.*[[:space:]]1$" /proc/$p/status && exit 0; done; exit 1' ||
			fail "no namespace init"
		for init in $(pgrep -f bench-job); do grep -q "^NSpid:.*[[:space:]]1$" "/proc/$init/status" && break; done
		# its 64 MiB touched
		wait_for 60 sh -c "[ \$(awk '/^VmRSS/ {print \$2}' /proc/$init/status) -gt 65536 ]" ||
			fail "the by-hand job never reached 64 MiB"
		barrier "hand-ready-$r"
		t0=$(now_us)
		criu dump -t "$init" -D /dev/shm/hand -o /tmp/hand-dump.log ||
			fail "by-hand dump: $(tail -n 3 /dev/shm/hand/hand-dump.log /tmp/hand-dump.log 2> /dev/null)"
		t1=$(now_us)
		tar -C /dev/shm/hand -cf - . | python3 -S "$MOSIX_TOP/tests/vm/tcpcopy.py" send 10.99.0.2 "$port" - \
			> "$MOSIX_SCRATCH/hand-copy.$r" || fail "by-hand copy failed"
		t2=$(now_us)
		echo "$(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))" > "$MOSIX_SCRATCH/hand-src.$r"
		rm -rf /dev/shm/hand
		barrier "hand-done-$r" 120
	else
		rm -rf /dev/shm/hand && mkdir -p /dev/shm/hand
		python3 -S "$MOSIX_TOP/tests/vm/tcpcopy.py" recv "$port" - | tar -C /dev/shm/hand -xf - &
		local copy=$!
		barrier "hand-ready-$r"
		wait "$copy" || fail "by-hand receive failed"
		t0=$(now_us)
		criu restore -D /dev/shm/hand -d -o /tmp/hand-restore.log ||
			fail "by-hand restore: $(tail -n 3 /dev/shm/hand/hand-restore.log 2> /dev/null)"
		t1=$(now_us)
		echo "$(( (t1 - t0) / 1000 ))" > "$MOSIX_SCRATCH/hand-dst.$r"
		pgrep -f bench-job > /dev/null || fail "the by-hand job does not run on node 2"
		pkill -KILL -f bench-job
		rm -rf /dev/shm/hand
		barrier "hand-done-$r" 120
	fi
}

# mosctl migrate of the same job, started with mosctl run on node 1; its output
# stamped as it arrives at home
mosix_round() {	# $1: round; the job moves 1 -> 2, then back home unmeasured
	local r=$1 id t0 t1 ms
	if [ "$MOSIX_NODE" = 1 ]; then
		id=$(<"$MOSIX_SCRATCH/bench.id")
		sleep 1
		t0=$(now_us)
		migrate_ok "$id" 2
		t1=$(now_us)
		sleep 1
		# the longest pause in the output at home around the move, less the job's own 0.1 s
		ms=$(awk -v a="$t0" -v b="$((t1 + 1000000))" '$1 >= a && $1 <= b {
			if (p && $1 - p > g) g = $1 - p; p = $1 } END { printf "%d", (g - 100000) / 1000 }' /tmp/stamped)
		echo "$(( (t1 - t0) / 1000 )) $ms" > "$MOSIX_SCRATCH/mosix.$r"
		barrier "moved-$r" 120
		barrier "home-$r" 120
		wait_for 20 sh -c "[ \"\$($MOSCTL ps --json | jq -r '.[] | select(.id == \"$id\") | .where')\" = 1 ]" ||
			fail "the job did not come home"
	else
		barrier "moved-$r" 120
		migrate_ok "$(<"$MOSIX_SCRATCH/bench.id")" home
		barrier "home-$r" 120
	fi
}

t_bench_moving_a_64_MiB_job() {
	join_all
	helper_up
	local r
	for r in $(seq "$rounds"); do hand_round "$r"; done
	if [ "$MOSIX_NODE" = 1 ]; then
		cd / || fail "no /"
		# shellcheck disable=SC2086 # (AS_NOBODY is a command)
		dfl $AS_NOBODY "$MOSCTL" run --name bench -- perl -e "$big_job" 2> /tmp/run.err |
			while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done > /tmp/stamped &
		wait_for 60 sh -c '[ $(wc -l < /tmp/stamped) -gt 3 ]' || fail "the job says nothing: $(cat /tmp/run.err)"
		"$MOSCTL" ps --json | jq -r '.[] | select(.name == "bench") | .id' > "$MOSIX_SCRATCH/bench.id"
	fi
	barrier started
	for r in $(seq "$rounds"); do mosix_round "$r"; done
	if [ "$MOSIX_NODE" = 1 ]; then
		pkill -INT -f "mosctl run --name bench"
		local dump copy restore hand
		for r in $(seq "$rounds"); do
			read -r dump copy < "$MOSIX_SCRATCH/hand-src.$r"
			restore=$(<"$MOSIX_SCRATCH/hand-dst.$r")
			echo "$((dump + copy + restore)) $dump $copy $restore"
		done > /tmp/hand
		hand=$(awk '{print $1}' /tmp/hand | spread)
		{
			echo "moving a job with 64 MiB of touched memory, node 1 -> node 2, $rounds rounds (min / median / max):"
			echo "  raw TCP, the by-hand image folder (baseline): $(awk '{print $(NF-1)}' "$MOSIX_SCRATCH"/hand-copy.* | tr -d '(' | spread) MB/s"
			echo "  image stream of mosctl migrate, encrypted:    $(grep -ho '([0-9.]* MB/s)' "$HLOG" | tr -d '(' | awk '{print $1}' | spread) MB/s"
			echo "  by hand (criu dump to tmpfs, TCP, criu restore; frozen throughout), total: $hand ms"
			echo "    dump $(awk '{print $2}' /tmp/hand | spread) ms, copy $(awk '{print $3}' /tmp/hand | spread) ms, restore $(awk '{print $4}' /tmp/hand | spread) ms"
			echo "  mosctl migrate, total: $(awk '{print $1}' "$MOSIX_SCRATCH"/mosix.* | spread) ms; its output stopped at home for: $(awk '{print $2}' "$MOSIX_SCRATCH"/mosix.* | spread) ms"
			local mh mm
			mh=$(awk '{print $1}' /tmp/hand | median)
			mm=$(awk '{print $1}' "$MOSIX_SCRATCH"/mosix.* | median)
			awk -v a="$mm" -v b="$mh" 'BEGIN { printf "  mosctl migrate / by hand (medians): %.2fx (target: within 1.30x)\n", a / b }'
		} > "$out"
		cat "$out"
	fi
	barrier done 60
	helper_down
	unload_mosix
}
