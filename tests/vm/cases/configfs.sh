# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The configfs contract of /sys/kernel/config/mosix (pe, table, state): every rule,
# every errno, and "a rejected write changes nothing".

CASE_TIMEOUT=120
MAP3='1 10.99.0.1 3
'
# every node of the tables below must be able to come up on this guest
add_local_addr 10.99.0.1 10.99.0.2 10.99.0.3

# snapshot of everything a write could change
config_state() {
	local pe state table
	pe=$(<"$CFG/pe") state=$(<"$CFG/state") table=$(<"$CFG/table")
	STATE="pe=$pe state=$state
$table"
}

# write_rejected FILE VALUE ERRNAME: the write fails with ERRNAME and changes nothing
# (config_state sets STATE: no subshell per call, this runs hundreds of times)
write_rejected() {
	local before
	config_state
	before=$STATE
	write_expect "$1" "$2" "$3"
	config_state
	[ "$before" = "$STATE" ] || fail "'$2' > $1 was refused with $3 but changed the state:
before: $before
after:  $STATE"
}

t_module_load_creates_configfs_files() {
	load_mosix
	for f in pe table state; do
		[ -e "$CFG/$f" ] || fail "$CFG/$f missing"
	done
	[ "$(<"$CFG/pe")" = 0 ] || fail "pe is $(<"$CFG/pe") at load"
	[ "$(<"$CFG/state")" = off ] || fail "state is $(<"$CFG/state") at load"
	[ -z "$(<"$CFG/table")" ] || fail "table not empty at load"
	write_expect "$CFG/state" up EACCES
	unload_mosix
	[ ! -e "$CFG" ] || fail "$CFG still there after rmmod"
}

t_pe_rejects_junk_with_einval() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	for v in abc -1 +1 1x 0x10 ' ' '1 2' '1.0' '２'; do
		write_rejected "$CFG/pe" "$v" EINVAL
	done
	grep -q 'mosix: pe: .* refused: not a decimal number' <(dmesg) || fail "no log line for a junk pe"
	unload_mosix
}

t_pe_above_65535_gets_erange() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	for v in 65536 4294967296 18446744073709551616 99999999999999999999999999; do
		write_rejected "$CFG/pe" "$v" ERANGE
	done
	unload_mosix
}

t_pe_not_in_table_gets_enoent() {
	load_mosix
	set_test_key
	write_rejected "$CFG/pe" 1 ENOENT
	write_expect "$CFG/table" "$MAP3" OK
	write_rejected "$CFG/pe" 4 ENOENT
	write_rejected "$CFG/pe" 65535 ENOENT
	unload_mosix
}

t_pe_up_same_noop_other_ebusy_zero_off() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	write_expect "$CFG/pe" " 2
" OK
	[ "$(<"$CFG/pe")" = 2 ] || fail "pe reads $(<"$CFG/pe")"
	[ "$(<"$CFG/state")" = up ] || fail "state $(<"$CFG/state") after pe=2"
	write_expect "$CFG/pe" "2" OK
	write_rejected "$CFG/pe" 3 EBUSY
	write_rejected "$CFG/pe" 9 EBUSY
	write_expect "$CFG/pe" "0
" OK
	[ "$(<"$CFG/state")" = off ] || fail "state $(<"$CFG/state") after pe=0"
	[ "$(<"$CFG/pe")" = 0 ] || fail "pe reads $(<"$CFG/pe") after 0"
	write_expect "$CFG/pe" 0 OK
	write_expect "$CFG/pe" 3 OK
	[ "$(<"$CFG/state")" = up ] || fail "state $(<"$CFG/state") after pe=3"
	unload_mosix
}

t_table_rejections_carry_errno_and_change_nothing() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	local -a bad=(
		"1 10.0.0.1|EINVAL"
		"1 10.0.0.1 1 x|EINVAL"
		"one 10.0.0.1 1|EINVAL"
		"1 10.0.0.256 1|EINVAL"
		"1 fd00::1::2 1|EINVAL"
		"1 10.0.0.1 many|EINVAL"
		"0 10.0.0.1 1|ERANGE"
		"65536 10.0.0.1 1|ERANGE"
		"65535 10.0.0.1 2|ERANGE"
		"1 10.0.0.1 0|ERANGE"
		"1 255.255.255.255 2|ERANGE"
		"1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 3|ERANGE"
		"1 10.0.0.1 3
3 10.0.1.1 1|EEXIST"
		"1 10.0.0.1 2
3 10.0.0.2 1|EEXIST"
		"1 10.0.0.1 1
1 10.0.0.1 ALIAS|EEXIST"
		"1 10.0.0.1 1
7 10.0.0.7 ALIAS|ENOENT"
	)
	local c
	for c in "${bad[@]}"; do
		write_rejected "$CFG/table" "${c%|*}" "${c##*|}"
	done
	# the same while up
	write_expect "$CFG/pe" 1 OK
	for c in "${bad[@]}"; do
		write_rejected "$CFG/table" "${c%|*}" "${c##*|}"
	done
	unload_mosix
}

t_table_rejection_logs_line_and_reason() {
	load_mosix
	set_test_key
	dmesg -C
	write_expect "$CFG/table" "# nodes
1 10.0.0.1 2

2 10.0.5.5 1
" EEXIST
	dmesg | grep -q 'mosix: table: table rejected: line 4: node numbers overlap' ||
		fail "no log line naming line 4: $(dmesg | tail -n 3)"
	unload_mosix
}

t_table_canonical_text_round_trips() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "# a cluster
  9 10.0.0.9   2   # two
1	FD00:0:0::1 4
2 10.9.9.9 alias

2 10.9.9.8 ALIAS
" OK
	local want='1 fd00::1 4
9 10.0.0.9 2
2 10.9.9.8 ALIAS
2 10.9.9.9 ALIAS'
	local got
	got=$(<"$CFG/table")
	[ "$got" = "$want" ] || fail "canonical text:
$got"
	write_expect "$CFG/table" "$got" OK
	[ "$(<"$CFG/table")" = "$want" ] || fail "written back, it reads $(<"$CFG/table")"
	unload_mosix
}

t_table_without_own_pe_while_up_gets_enoent() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	write_expect "$CFG/pe" 2 OK
	write_rejected "$CFG/table" "1 10.99.0.1 1
3 10.99.0.3 1" ENOENT
	write_rejected "$CFG/table" $'\n' ENOENT
	write_expect "$CFG/table" "2 10.99.0.2 1" OK
	[ "$(<"$CFG/table")" = "2 10.99.0.2 1" ] || fail "table is $(<"$CFG/table")"
	[ "$(<"$CFG/state")" = up ] || fail "state $(<"$CFG/state")"
	unload_mosix
}

t_empty_table_clears_while_off() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	printf '\n' > "$CFG/table" || fail "writing an empty table failed"
	[ -z "$(<"$CFG/table")" ] || fail "table not cleared: $(<"$CFG/table")"
	write_rejected "$CFG/pe" 1 ENOENT
	unload_mosix
}

# configfs hands a store at most 4095 bytes and drops the rest: refuse, never install part
t_table_too_big_for_one_write_gets_efbig() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	local big fits n=1
	big=$(while [ $n -le 400 ]; do echo "$n 10.1.$((n / 256)).$((n % 256)) 1"; n=$((n + 1)); done)
	[ ${#big} -gt 4096 ] || fail "test table too small (${#big})"
	local before
	config_state
	before=$STATE
	if cat > "$CFG/table" <<<"$big" 2>/dev/null; then fail "cat of a ${#big}-byte table succeeded"; fi
	config_state
	[ "$STATE" = "$before" ] || fail "a refused big table changed the table"
	# the boundary: 4094 bytes fit, 4095 (a full store) does not
	fits=$(head -c 4000 <<<"$big" | sed '$d')
	fits="$fits$(printf '%*s' $((4094 - ${#fits})) '')"
	[ ${#fits} = 4094 ] || fail "boundary table is ${#fits} bytes"
	write_expect "$CFG/table" "$fits" OK
	write_rejected "$CFG/table" "$fits " EFBIG
	dmesg | grep -q 'mosix: table: refused: .* do not fit one configfs write' || fail "no log line for EFBIG"
	unload_mosix
}

t_only_root_with_cap_sys_admin_can_write() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "printf 1 > $CFG/pe" 2>&1) &&
		fail "uid 65534 could write pe"
	case $out in *"Permission denied"*) ;; *) fail "uid 65534: $out" ;; esac
	out=$(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin bash -c "printf 1 > $CFG/pe" 2>&1) &&
		fail "root without CAP_SYS_ADMIN could write pe"
	case $out in *"Operation not permitted"*) ;; *) fail "no CAP_SYS_ADMIN: $out" ;; esac
	out=$(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin bash -c "printf '1 10.0.0.1 1' > $CFG/table" 2>&1) &&
		fail "root without CAP_SYS_ADMIN could write table"
	[ "$(<"$CFG/pe")" = 0 ] || fail "pe changed"
	[ "$(<"$CFG/table")" = "1 10.99.0.1 3" ] || fail "table changed"
	unload_mosix
}

t_rmmod_works_off_and_up() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	unload_mosix
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	write_expect "$CFG/pe" 1 OK
	unload_mosix
	[ ! -e "$CFG" ] || fail "configfs dir left behind"
}

t_twenty_load_unload_cycles() {
	local i start end
	start=$(settled_slab_kb)
	load_mosix
	set_test_key
	unload_mosix
	for i in $(seq 20); do
		insmod "$MOSIX_KO" || fail "cycle $i: insmod failed"
		printf '%s' "$MOSIX_TEST_KEY" > "$CFG/key" || fail "cycle $i: key"
		cat "$MOSIX_TOP/tests/vm/maps/three.map" > "$CFG/table" || fail "cycle $i: table"
		printf '%s' $((i % 3 + 1)) > "$CFG/pe" || fail "cycle $i: pe"
		if [ $((i % 2)) = 0 ]; then printf 0 > "$CFG/pe" || fail "cycle $i: pe 0"; fi
		rmmod mosix || fail "cycle $i: rmmod failed"
	done
	[ ! -e /sys/module/mosix ] || fail "module still present"
	end=$(settled_slab_kb)
	log "slab before ${start} kB, after ${end} kB"
	[ $((end - start)) -lt 2048 ] || fail "slab grew by $((end - start)) kB over 20 cycles"
}

# two writers race table and pe writes; a reader must only ever see one whole table
t_concurrent_writers_never_show_a_torn_table() {
	load_mosix
	set_test_key
	local t1 t2 n=2 reads=0 got stop=$MOSIX_SCRATCH/race.stop
	t1='1 10.99.0.1 3'
	add_local_addr 10.98.0.1
	t2=$(echo "1 10.98.0.1 1"; while [ $n -le 150 ]; do echo "$n 10.$((n % 200)).$n.7 1"; n=$((n + 1)); done)
	write_expect "$CFG/table" "$t2" OK
	t2=$(<"$CFG/table")
	[ ${#t2} -lt 4094 ] || fail "t2 too big"
	rm -f "$stop"
	(
		while [ ! -e "$stop" ]; do
			for t in "$t1" "$t2"; do
				err=$(printf '%s' "$t" | dd of="$CFG/table" bs=1M iflag=fullblock conv=notrunc status=none 2>&1) ||
					case $err in *"Device or resource busy"*) ;; *) echo "table writer: $err"; exit 1 ;; esac
			done
		done
	) > "$MOSIX_SCRATCH/tw.log" 2>&1 &
	local tw=$!
	(
		while [ ! -e "$stop" ]; do
			for p in 1 0; do
				err=$( { printf '%s' "$p" > "$CFG/pe"; } 2>&1 ) ||
					case $err in *"Device or resource busy"*) ;; *) echo "pe writer: $err"; exit 1 ;; esac
			done
		done
	) > "$MOSIX_SCRATCH/pw.log" 2>&1 &
	local pw=$!
	# a fixed number of reads, however slow the emulated guest is
	while [ $reads -lt 30 ]; do
		got=$(< "$CFG/table")
		[ "$got" = "$t1" ] || [ "$got" = "$t2" ] || { touch "$stop"; fail "torn table after $reads reads:
$got"; }
		reads=$((reads + 1))
	done
	touch "$stop"
	wait $tw || fail "table writer failed: $(<"$MOSIX_SCRATCH/tw.log")"
	wait $pw || fail "pe writer failed: $(<"$MOSIX_SCRATCH/pw.log")"
	log "$reads consistent reads while racing"
	unload_mosix
}

t_pe_without_cluster_key_gets_enokey() {
	load_mosix
	write_expect "$CFG/table" "$MAP3" OK
	[ "$(<"$CFG/key")" = none ] || fail "key reads $(<"$CFG/key")"
	write_rejected "$CFG/pe" 1 ENOKEY
	dmesg | grep -q 'mosix: pe: 1 refused: no cluster key' || fail "no log line for ENOKEY"
	unload_mosix
}

t_key_is_validated_hidden_and_fixed_while_up() {
	load_mosix
	write_expect "$CFG/table" "$MAP3" OK
	local k
	for k in 00 0011223344556677889900112233445 zz0102030405060708090a0b0c0d0e0f \
		"$(printf '%0130d' 0)"; do
		write_expect "$CFG/key" "$k" EINVAL
	done
	[ "$(<"$CFG/key")" = none ] || fail "a refused key was set"
	write_expect "$CFG/key" " $MOSIX_TEST_KEY
" OK
	[ "$(<"$CFG/key")" = set ] || fail "key reads $(<"$CFG/key")"
	[ "$(stat -c %a "$CFG/key")" = 600 ] || fail "key mode $(stat -c %a "$CFG/key")"
	write_expect "$CFG/pe" 1 OK
	write_rejected "$CFG/key" "$MOSIX_TEST_KEY" EBUSY
	write_rejected "$CFG/key" $'\n' EBUSY
	write_expect "$CFG/pe" 0 OK
	write_expect "$CFG/key" $'\n' OK
	[ "$(<"$CFG/key")" = none ] || fail "empty write did not clear the key"
	unload_mosix
}

t_interval_and_window_are_range_checked() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "$MAP3" OK
	[ "$(<"$CFG/info_interval_ms")" = 1000 ] || fail "default interval $(<"$CFG/info_interval_ms")"
	[ "$(<"$CFG/window")" = 16 ] || fail "default window $(<"$CFG/window")"
	write_rejected "$CFG/info_interval_ms" 9 ERANGE
	write_rejected "$CFG/info_interval_ms" 60001 ERANGE
	write_rejected "$CFG/info_interval_ms" 1s EINVAL
	write_rejected "$CFG/window" 0 ERANGE
	write_rejected "$CFG/window" 257 ERANGE
	write_rejected "$CFG/window" -1 EINVAL
	write_expect "$CFG/window" 8 OK
	write_expect "$CFG/pe" 1 OK
	write_rejected "$CFG/window" 4 EBUSY
	write_expect "$CFG/info_interval_ms" 200 OK
	[ "$(<"$CFG/info_interval_ms")" = 200 ] || fail "interval not changed while up"
	unload_mosix
}

t_pe_whose_address_is_not_local_gets_eaddrnotavail() {
	load_mosix
	set_test_key
	write_expect "$CFG/table" "1 10.77.0.1 1" OK
	write_rejected "$CFG/pe" 1 EADDRNOTAVAIL
	[ "$(<"$CFG/state")" = off ] || fail "state $(<"$CFG/state")"
	unload_mosix
}
