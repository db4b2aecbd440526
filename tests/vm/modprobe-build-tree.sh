#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# MOSIX_MODPROBE of the lifecycle VM test: "modprobe mosix" from the build tree
[ "$1" = mosix ] || exit 1
modprobe configfs
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
exec insmod "$MOSIX_KO"
