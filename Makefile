# SPDX-License-Identifier: GPL-2.0
#
# make              mosix.ko for KVER (default: the running kernel if its
#                   headers are installed, else every kernel of the test
#                   matrix) and mosctl
# make deps         install everything the build and tests need
# make check        unit tests + VM tests on every kernel of the matrix
# make demo         a guest running the module, driven by mosctl
# make unit|vm|bench|fuzz|sparse|checkpatch|install|dkms-install|clean

KVER ?=
KDIR ?=
PREFIX ?= /usr/local
DESTDIR ?=
# mosix.service runs $(PREFIX)/sbin/mosctl as /usr/local/sbin/mosctl: change both
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
V ?= 0

top := $(CURDIR)
matrix_file := $(top)/.deps/matrix
matrix = $(shell awk '{print $$1}' $(matrix_file) 2>/dev/null)

ifneq ($(KDIR),)
kvers := -
else ifneq ($(KVER),)
kvers := $(KVER)
else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
kvers := $(shell uname -r)
else
kvers = $(matrix)
endif

CC ?= cc
USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-I$(top)/include -I$(top)/module $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

map_src := module/mosix_map.c
info_src := module/mosix_info.c
balance_src := module/mosix_balance.c
job_src := module/mosix_job.c
mig_wire_src := module/mosix_mig_wire.c
mig_src := $(mig_wire_src) module/mosix_mig_move.c
mosctl_src := $(filter-out tools/mosctl/main.c,$(wildcard tools/mosctl/*.c))
mosctl_hdr := $(wildcard tools/mosctl/*.h) module/mosix_map.h module/mosix_job.h module/mosix_info.h \
	module/mosix_be.h module/mosix_mig_wire.h module/mosix_mig_move.h include/uapi/linux/mosix.h tools/include/mosix_user.h
unit_src := $(wildcard tests/unit/*.c)

.PHONY: all module mosctl mosctl-trixie deps deps-if-missing deps-demo-if-missing systemd-check unit vm check demo bench fuzz \
	sparse checkpatch install dkms-install clean debug-kernel debug-check debug-vm

all: module mosctl

module: deps-if-missing
	@set -e; for k in $(kvers); do \
		echo "  KBUILD  mosix.ko for $${k}"; \
		KDIR="$(KDIR)" $(top)/tools/build-module.sh $$k $(if $(filter 1,$(V)),,-s) $(if $(C),C=$(C)); \
	done

# the sparse-clean check on every kernel of the matrix
sparse:
	$(MAKE) module KVER= C=2 kvers="$(matrix)"

mosctl: build/tools/mosctl

build/tools/mosctl: tools/mosctl/main.c $(mosctl_src) $(map_src) $(info_src) $(job_src) $(mig_wire_src) $(mosctl_hdr)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ tools/mosctl/main.c $(mosctl_src) $(map_src) $(info_src) $(job_src) $(mig_wire_src) \
		-lmnl -lsodium

# trixie's mosctl, for the 7.x guests' trixie userspace (built in the trixie chroot)
mosctl-trixie: build/trixie/tools/mosctl

build/trixie/tools/mosctl: tools/mosctl/main.c $(mosctl_src) $(map_src) $(info_src) $(job_src) $(mig_wire_src) $(mosctl_hdr)
	tools/build-mosctl-trixie.sh

build/tests/unit: $(unit_src) $(mosctl_src) $(map_src) $(info_src) $(job_src) $(mig_src) $(balance_src) \
		module/mosix_balance.h $(mosctl_hdr)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -I$(top)/tools/mosctl -o $@ \
		$(unit_src) $(mosctl_src) $(map_src) $(info_src) $(job_src) $(mig_src) $(balance_src) $$(pkg-config --cflags --libs check libsodium) -lmnl

# Check unit tests under ASan/UBSan; TAP in build/tests/unit.tap
unit: deps-if-missing build/tests/unit
	CK_TAP_LOG_FILE_NAME=build/tests/unit.tap ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1 build/tests/unit

build/tests/fuzz_map: tests/fuzz/fuzz_map.c $(map_src) $(mosctl_hdr)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I$(top)/include -I$(top)/module \
		-o $@ tests/fuzz/fuzz_map.c $(map_src)

# FUZZ_SECONDS=N for a longer run
FUZZ_SECONDS ?= 60
fuzz: deps-if-missing build/tests/fuzz_map
	@mkdir -p build/fuzz-corpus
	build/tests/fuzz_map -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		build/fuzz-corpus tests/fuzz/seeds

build/tests/bench_map: tests/bench/bench_map.c $(map_src) $(mosctl_hdr)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -O2 -o $@ tests/bench/bench_map.c $(map_src)

bench: all build/tests/bench_map build/tests/sim_info build/tests/sim_place
	build/tests/bench_map
	build/tests/sim_info
	build/tests/sim_place
	tests/vm/bench.sh

deps:
	tests/setup-deps.sh

# what every target that needs the toolchain or the kernels runs first
deps-if-missing:
	@[ -f $(matrix_file) ] && command -v qemu-system-x86_64 >/dev/null && \
		pkg-config --exists check libmnl libsodium || $(top)/tests/setup-deps.sh

# the VM suites of make check (with the module builds and dkms layout they use)
vm: deps-if-missing
	@tests/check.sh --vm-only

check: deps-if-missing
	@tests/check.sh

# the GUEST_INIT=systemd suite (packages installed in 3-guest clusters under systemd on
# 6.1 and 6.12): not yet part of make check (tests/check.sh says why)
systemd-check: deps-if-missing
	@CHECK_ONLY=builds,vm-systemd tests/check.sh

# the demo's set-up is only what it needs (one kernel, no chroot), unless make deps ran
deps-demo-if-missing:
	@{ [ -f $(matrix_file) ] || [ -f $(top)/.deps/matrix.demo ]; } && \
		command -v qemu-system-x86_64 >/dev/null && pkg-config --exists libmnl libsodium || \
		$(top)/tests/setup-deps.sh --demo

demo: deps-demo-if-missing
	@$(MAKE) -s mosctl
	tests/vm/demo.sh

checkpatch:
	tests/checkpatch.sh

install: mosctl
	install -D -m 0755 build/tools/mosctl $(DESTDIR)$(PREFIX)/sbin/mosctl
	install -D -m 0644 tools/mosctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/mosctl.8
	install -D -m 0644 tools/mosix.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/mosix.service
	install -D -m 0644 tools/mosix-helper.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/mosix-helper.service

dkms-install:
	tests/dkms.sh

# the Debian packages mosix-dkms and mosctl, for this host's release and for
# trixie (in the build chroot): build/deb/RELEASE/*.deb (tools/build-deb.sh);
# DEB_RELEASES=bookworm for one; deb-check: contents, lintian, reproducibility
.PHONY: deb deb-check
DEB_RELEASES ?=
deb:
	@tools/build-deb.sh $(DEB_RELEASES)

deb-check:
	@tests/deb.sh

clean:
	rm -rf build

# info daemon: libFuzzer on the decoder and merge, and the dissemination simulator
.PHONY: fuzz-info sim
build/tests/fuzz_info: tests/fuzz/fuzz_info.c $(map_src) $(info_src) module/mosix_info.h $(mosctl_hdr)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I$(top)/include -I$(top)/module \
		-o $@ tests/fuzz/fuzz_info.c $(map_src) $(info_src)

fuzz-info: build/tests/fuzz_info
	@mkdir -p build/fuzz-corpus-info
	build/tests/fuzz_info -max_total_time=$(FUZZ_SECONDS) -max_len=$$((24 + 258 * 44 + 64)) \
		build/fuzz-corpus-info tests/fuzz/seeds-info

# migration control messages: libFuzzer on the decoder (round trip, peek agrees)
.PHONY: fuzz-mig fuzz-imgstream fuzz-relay
build/tests/fuzz_mig: tests/fuzz/fuzz_mig.c $(mig_src) $(mosctl_hdr)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I$(top)/include -I$(top)/module \
		-o $@ tests/fuzz/fuzz_mig.c $(mig_src)

fuzz-mig: build/tests/fuzz_mig
	@mkdir -p build/fuzz-corpus-mig
	build/tests/fuzz_mig -max_total_time=$(FUZZ_SECONDS) -max_len=256 \
		build/fuzz-corpus-mig tests/fuzz/seeds-mig

# the image stream's receiver: plaintext records from the input, encrypted by the
# target, so that the fuzzer gets past authentication to the record parser
build/tests/fuzz_imgstream: tests/fuzz/fuzz_imgstream.c tools/mosctl/imgstream.c tools/mosctl/imgstream.h \
		tools/mosctl/util.c
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I$(top)/tools/mosctl -I$(top)/include \
		-I$(top)/module -o $@ tests/fuzz/fuzz_imgstream.c tools/mosctl/imgstream.c \
		tools/mosctl/util.c $$(pkg-config --cflags --libs libsodium)

fuzz-imgstream: build/tests/fuzz_imgstream
	@mkdir -p build/fuzz-corpus-imgstream
	build/tests/fuzz_imgstream -max_total_time=$(FUZZ_SECONDS) -max_len=70000 \
		build/fuzz-corpus-imgstream tests/fuzz/seeds-imgstream

# the relay's receiving ends and its ticket parser: plaintext records from the input,
# encrypted by the target, so that the fuzzer gets past authentication to the record parser
build/tests/fuzz_relay: tests/fuzz/fuzz_relay.c tools/mosctl/relay.c tools/mosctl/relay.h \
		tools/mosctl/util.c $(map_src) $(job_src) $(mosctl_hdr)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I$(top)/tools/mosctl -I$(top)/include \
		-I$(top)/module -o $@ tests/fuzz/fuzz_relay.c tools/mosctl/relay.c \
		tools/mosctl/util.c $(map_src) $(job_src) $$(pkg-config --cflags --libs libsodium)

fuzz-relay: build/tests/fuzz_relay
	@mkdir -p build/fuzz-corpus-relay
	build/tests/fuzz_relay -max_total_time=$(FUZZ_SECONDS) -max_len=70000 \
		build/fuzz-corpus-relay tests/fuzz/seeds-relay

build/tests/sim_info: tests/sim/sim_info.c $(map_src) $(info_src) module/mosix_info.h $(mosctl_hdr)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -O2 -o $@ tests/sim/sim_info.c $(map_src) $(info_src) -lm

build/tests/sim_place: tests/sim/sim_place.c $(balance_src) module/mosix_balance.h tools/include/mosix_user.h \
		include/uapi/linux/mosix.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -O2 -o $@ tests/sim/sim_place.c $(balance_src) -lm

# N = 64 .. 65535 simulated nodes, window 16: mean age, leave spread, msgs per tick;
# then placement and balancing on N = 4 .. 4096 against no balancing and an oracle
sim: build/tests/sim_info build/tests/sim_place
	build/tests/sim_info
	build/tests/sim_place

# the debug kernel (KASAN, lockdep, kmemleak, KFENCE; tests/debug-kernel/README.md),
# built once per machine under /var/cache/mosix, and the single-guest suites on it
DEBUG_KVER ?= $(shell $(top)/tests/debug-check.sh --kver)
debug-kernel: deps-if-missing
	tests/debug-kernel/build.sh

# every VM suite on the debug kernel: the single-guest boot and the 3-node boot
debug-check: deps-if-missing
	tests/debug-check.sh

debug-vm: debug-kernel mosctl
	tools/build-module.sh $(DEBUG_KVER) -s
	tests/vm/run-vm.sh --kernel $(DEBUG_KVER) --name debug --timeout 3600 \
		--append acpi=noirq tests/vm/cases/smoke.sh tests/vm/cases/shutdown.sh
