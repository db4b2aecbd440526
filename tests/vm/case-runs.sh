# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The VM case files sorted into boots (sourced by tests/check.sh and
# tests/debug-check.sh, so that both boot the same way). sort_case_files, run
# from the top of the tree, sets:
#   single single_own   NODES_REQUIRED absent or 1: the single-guest boot; ENDS_GUEST=1:
#                       a boot of its own each
#   multi multi_end     NODES_REQUIRED=3: the 3-node boot; ENDS_GUEST=1 ones at its end,
#                       each with its own ENDS_NODE (2 or 3: node 1 stays up to the end)
#   systemd_files       GUEST_INIT=systemd (NODES_REQUIRED=3): the 3-node boot under
#                       systemd, on the kernels whose headers the host has (tests/check.sh)
#   case_errors         a line per case file that fits no boot (each fails make check)
#   debug_check_only    the files with DEBUG_KERNEL=debug-check: on the debug kernel,
#                       make check's 3-node boot leaves them out (make debug-check runs
#                       them); the stock kernels run them as any other
# Within a boot: smoke and net3 first (the quickest signs that the guests and their
# network work at all), then the rest by name.
sort_case_files() {
	local c n own e vm_first=(tests/vm/cases/smoke.sh tests/vm/cases/net3.sh) case_files
	local -A ends_node=()	# node -> the case file that ends its guest
	single=() single_own=() multi=() multi_end=() systemd_files=() case_errors=()
	debug_check_only=()
	case_files=("${vm_first[@]}")
	for c in tests/vm/cases/*.sh; do
		[ -e "$c" ] || continue
		case " ${vm_first[*]} " in *" $c "*) ;; *) case_files+=("$c") ;; esac
	done
	for c in "${case_files[@]}"; do
		if [ ! -f "$c" ]; then
			case_errors+=("case file $c, named in tests/vm/case-runs.sh, is missing")
			continue
		fi
		n=$(sed -n 's/^NODES_REQUIRED=\([0-9][0-9]*\).*/\1/p' "$c" | tail -n 1)
		if grep -qE '^GUEST_INIT=systemd([^a-z]|$)' "$c"; then
			if [ "${n:-1}" = 3 ]; then
				systemd_files+=("$c")
			else
				case_errors+=("case file $c is in no VM run (GUEST_INIT=systemd needs NODES_REQUIRED=3)")
			fi
			continue
		fi
		own=
		grep -qE '^ENDS_GUEST=1([^0-9]|$)' "$c" && own=1
		grep -qE '^DEBUG_KERNEL=debug-check([^a-z-]|$)' "$c" && debug_check_only+=("$c")
		case ${n:-1}/$own in
		1/) single+=("$c") ;;
		1/1) single_own+=("$c") ;;
		3/) multi+=("$c") ;;
		3/1)
			e=$(sed -n 's/^ENDS_NODE=\([0-9][0-9]*\).*/\1/p' "$c" | tail -n 1)
			if [ -z "$e" ] || [ "$e" -lt 2 ] || [ "$e" -gt 3 ]; then
				case_errors+=("case file $c is in no VM run (ENDS_GUEST=1 with 3 nodes needs ENDS_NODE=2 or 3, not '${e}')")
			elif [ -n "${ends_node[$e]:-}" ]; then
				case_errors+=("case file $c is in no VM run (it ends node $e, which ${ends_node[$e]} ends already)")
			else
				ends_node[$e]=$c
				multi_end+=("$c")
			fi
			;;
		*) case_errors+=("case file $c is in no VM run (NODES_REQUIRED=$n: make check runs 1 and 3)") ;;
		esac
	done
}

# debug_boot_files FILE...: those FILEs that make check boots on the debug kernel (all
# but debug_check_only), into the array debug_files
debug_boot_files() {
	local c
	debug_files=()
	for c in "$@"; do
		case " ${debug_check_only[*]} " in *" $c "*) ;; *) debug_files+=("$c") ;; esac
	done
}
