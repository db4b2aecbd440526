/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of the module. */
#ifndef MOSIX_H
#define MOSIX_H

#include <linux/rcupdate.h>
#include <linux/types.h>
#include "mosix_map.h"
#include "mosix_info.h"

/*
 * Lock order: mosix_config_lock (node.c) is the outermost lock; the
 * table pointer is published with RCU under it.
 */

/* table.c: the node table as readers see it */
struct mosix_table {
	struct rcu_head rcu;
	u32 gen;		/* bumped by every install */
	struct mosix_map map;
};

/* NULL when no table is installed; call under rcu_read_lock() */
struct mosix_table *mosix_table_get(void);
int mosix_table_parse(const char *text, size_t len, struct mosix_table **out,
		      struct mosix_map_error *error);
void mosix_table_discard(struct mosix_table *t);
/* caller holds mosix_config_lock; frees the old table after a grace period */
void mosix_table_publish(struct mosix_table *t);
void mosix_table_exit(void);

/* node.c: node number, state and the configuration lock */
enum mosix_state mosix_node_state(void);
const char *mosix_state_name(enum mosix_state state);
u32 mosix_node_pe(void);
int mosix_node_set_pe(u32 pe);
int mosix_node_set_table(const char *text, size_t len, const char *source,
			 struct mosix_map_error *error);
int mosix_node_set_key(const u8 *key, unsigned int len);
int mosix_node_set_window(u32 window);
void mosix_node_exit(void);

/* info.c: the info daemon */
extern unsigned int mosix_info_interval_ms;
extern unsigned int mosix_info_window;
bool mosix_info_key_set(void);
int mosix_info_set_key(const u8 *key, unsigned int len);
int mosix_info_open(u32 pe);
void mosix_info_release(void);
void mosix_info_close_socket(void);
int mosix_info_reopen_socket(void);
int mosix_info_thread_start(void);
void mosix_info_thread_stop(void);
void mosix_info_wake(void);
void mosix_info_announce(void);
int mosix_info_withdraw(void);
void mosix_info_restore(void);
void mosix_info_reboot(void);
void mosix_info_daemon_state(bool *running, u32 *acked, bool *active);
u64 mosix_info_stat(unsigned int stat);
unsigned int mosix_info_snapshot(struct mosix_info_entry *out, unsigned int max);
void mosix_info_exit(void);

/* daemons.c: configuration generations handed to the daemons */
enum mosix_daemon { MOSIX_DAEMON_INFO, MOSIX_DAEMON_MIG, MOSIX_NR_DAEMONS };
u32 mosix_daemons_gen(void);
bool mosix_daemons_active(void);
bool mosix_daemon_stalled(enum mosix_daemon d);
void mosix_daemon_ack(enum mosix_daemon d, u32 gen, bool idle);
void mosix_daemon_acked(enum mosix_daemon d, u32 *gen, bool *idle);
void mosix_daemons_wake(bool active);
int mosix_daemons_quiesce(unsigned int timeout_ms);
void mosix_daemons_reset(void);

/* mig.c: the migration daemon and its registry */
int mosix_mig_start(void);
void mosix_mig_stop(void);
void mosix_mig_wake(void);
bool mosix_mig_running(void);
void mosix_mig_block_guests(bool block);
bool mosix_mig_guests_blocked(void);
unsigned int mosix_mig_registered(void);
int mosix_mig_evacuate(void);

/* stages.c: staged transitions with rollback */
struct mosix_stage {
	const char *name;
	int (*forward)(void);
	void (*undo)(void);
};

int mosix_stages_run(const struct mosix_stage *stages, unsigned int n,
		     enum mosix_event_op op, bool rollback,
		     void (*on_rollback)(void), const char **failed);
const char *mosix_errno_name(int err);

/* node.c, for configfs */
const char *mosix_node_last_shutdown(void);
unsigned int mosix_node_shutdown_timeout(void);
void mosix_node_set_shutdown_timeout(unsigned int ms);

/* configfs.c */
int mosix_configfs_init(void);
void mosix_configfs_exit(void);

/* netlink.c */
void mosix_event_stage(enum mosix_event_kind kind, enum mosix_event_op op,
		       const char *stage, u32 duration_us, int err);
void mosix_event_state(enum mosix_state state, u32 pe);
int mosix_netlink_init(void);
void mosix_netlink_exit(void);

#endif /* MOSIX_H */
