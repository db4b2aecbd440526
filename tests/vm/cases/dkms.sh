# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The module as dkms built and installed it (tests/dkms.sh lays out
# build/dkms-root/KVER: the stock modules plus updates/dkms/mosix.ko, depmod'ed)
# loads with a plain modprobe, which also resolves its configfs dependency.

t_modprobe_loads_the_dkms_installed_module() {
	local root=$MOSIX_TOP/build/dkms-root/$MOSIX_KVER
	local ko
	ko=$(ls "$root/lib/modules/$MOSIX_KVER/updates/dkms/"mosix.ko* 2>/dev/null | head -n1)
	[ -f "$ko" ] || fail "no dkms-installed module under $root (run tests/dkms.sh)"
	[ ! -d /sys/module/mosix ] || rmmod mosix
	modprobe -d "$root" --show-depends mosix | grep -q 'configfs' ||
		fail "modprobe does not pull in configfs: $(modprobe -d "$root" --show-depends mosix)"
	modprobe -d "$root" mosix || fail "modprobe mosix failed"
	[ -d /sys/module/mosix ] || fail "mosix not loaded"
	[ "$(</sys/module/mosix/srcversion)" = "$(modinfo -F srcversion "$ko")" ] ||
		fail "the loaded module is not the dkms-installed one"
	[ -d "$CFG" ] || fail "$CFG missing"
	set_test_key
	write_expect "$CFG/table" "1 10.99.0.1 2" OK
	write_expect "$CFG/pe" 1 OK
	rmmod mosix || fail "rmmod mosix failed"
	[ ! -d /sys/module/mosix ] || fail "mosix still loaded"
}
