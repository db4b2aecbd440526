/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mosix: the user-kernel contract.
 *
 * Configuration lives in configfs, /sys/kernel/config/mosix/:
 *   pe     (rw) this node's number, 1..MOSIX_PE_MAX, 0 = off
 *   table  (rw) the node table in openMosix map syntax (at most
 *               MOSIX_CONFIGFS_TABLE_MAX bytes through configfs)
 *   state  (ro) off | starting | up | stopping | rolling-back
 *
 * Generic netlink family MOSIX_GENL_NAME, version MOSIX_GENL_VERSION:
 *
 * MOSIX_CMD_GET_STATUS (doit, anyone)
 *   reply: MOSIX_A_STATE (u32, enum mosix_state), MOSIX_A_PE (u32),
 *          MOSIX_A_NODES (u32, nodes in the table), MOSIX_A_ENTRIES (u32,
 *          table lines: ranges plus aliases), MOSIX_A_TABLE_GEN (u32, bumped
 *          on every table change).
 *
 * MOSIX_CMD_SET_TABLE (doit, CAP_NET_ADMIN)
 *   request: one or more MOSIX_A_TABLE_TEXT (binary, at most
 *          MOSIX_TABLE_CHUNK_MAX bytes each); their concatenation, at most
 *          MOSIX_TABLE_TEXT_MAX bytes, is the whole map text. It is parsed and
 *          validated completely, then installed atomically, exactly as a write
 *          to configfs `table` is. On error the extended ack carries the
 *          reason and map line number; nothing changes.
 *   Large requests need a send buffer to match (SO_SNDBUFFORCE) and
 *   NETLINK_CAP_ACK so the error does not echo the request back.
 *
 * MOSIX_CMD_GET_TABLE (dumpit, anyone)
 *   Each message carries one MOSIX_A_TABLE_TEXT with whole lines of the
 *   canonical map text and MOSIX_A_TABLE_GEN. A table change during the dump
 *   sets NLM_F_DUMP_INTR on the messages that follow it: start again.
 */
#ifndef _UAPI_LINUX_MOSIX_H
#define _UAPI_LINUX_MOSIX_H

#include <linux/types.h>

#define MOSIX_GENL_NAME		"mosix"
#define MOSIX_GENL_VERSION	1

#define MOSIX_PE_MAX		65535
/* a configfs store gets at most 4095 bytes: anything that fills it is refused */
#define MOSIX_CONFIGFS_TABLE_MAX	4094
#define MOSIX_TABLE_CHUNK_MAX	65000
#define MOSIX_TABLE_TEXT_MAX	(8 << 20)
/* node ranges plus aliases */
#define MOSIX_TABLE_ENTRIES_MAX	131072

enum mosix_state {
	MOSIX_STATE_OFF,
	MOSIX_STATE_STARTING,
	MOSIX_STATE_UP,
	MOSIX_STATE_STOPPING,
	MOSIX_STATE_ROLLING_BACK,
	__MOSIX_STATE_MAX
};

enum mosix_cmd {
	MOSIX_CMD_UNSPEC,
	MOSIX_CMD_GET_STATUS,
	MOSIX_CMD_SET_TABLE,
	MOSIX_CMD_GET_TABLE,
	__MOSIX_CMD_MAX
};
#define MOSIX_CMD_MAX (__MOSIX_CMD_MAX - 1)

enum mosix_attr {
	MOSIX_A_UNSPEC,
	MOSIX_A_STATE,		/* u32, enum mosix_state */
	MOSIX_A_PE,		/* u32 */
	MOSIX_A_NODES,		/* u32 */
	MOSIX_A_ENTRIES,	/* u32 */
	MOSIX_A_TABLE_GEN,	/* u32 */
	MOSIX_A_TABLE_TEXT,	/* binary: map text */
	__MOSIX_A_MAX
};
#define MOSIX_A_MAX (__MOSIX_A_MAX - 1)

#endif /* _UAPI_LINUX_MOSIX_H */
