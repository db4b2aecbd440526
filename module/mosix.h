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
int mosix_info_start(u32 pe);
void mosix_info_stop(bool leave);
void mosix_info_reboot(void);
u64 mosix_info_stat(unsigned int stat);
unsigned int mosix_info_snapshot(struct mosix_info_entry *out, unsigned int max);
void mosix_info_exit(void);

/* configfs.c */
int mosix_configfs_init(void);
void mosix_configfs_exit(void);

/* netlink.c */
int mosix_netlink_init(void);
void mosix_netlink_exit(void);

#endif /* MOSIX_H */
