/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of the module. */
#ifndef MOSIX_H
#define MOSIX_H

#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include "mosix_map.h"
#include "mosix_info.h"
#include "mosix_mig_wire.h"

/*
 * Lock order: mosix_config_lock (node.c) > info's io_lock > info_lock
 * (info.c); the table pointer is published with RCU under the first.
 * The migration daemon's moves_lock (mig.c) comes after mosix_config_lock
 * and before io_lock; jobs_lock (jobs.c) is a leaf, taken under moves_lock
 * only, none taken under it.
 */

struct netlink_ext_ack;
struct pid;

/* table.c: the node table as readers see it */
struct mosix_table {
	struct rcu_head rcu;
	u32 gen;		/* bumped by every install */
	struct mosix_map map;
};

/* NULL when no table is installed; call under rcu_read_lock() */
struct mosix_table *mosix_table_get(void);
struct mosix_table *mosix_table_locked(void);
int mosix_table_parse(const char *text, size_t len, struct mosix_table **out,
		      struct mosix_map_error *error);
void mosix_table_discard(struct mosix_table *t);
/* caller holds mosix_config_lock; frees the old table after a grace period */
void mosix_table_publish(struct mosix_table *t);
void mosix_table_exit(void);

/* thread.c: the daemons' kthread, after md_thread */
struct mosix_thread {
	struct task_struct *task;
	wait_queue_head_t wq;		/* initialised by the owner, statically */
	unsigned long flags;
	long timeout;			/* next wait, in jiffies; set by run() */
	void (*run)(struct mosix_thread *t);
};

int mosix_thread_start(struct mosix_thread *t,
		       void (*run)(struct mosix_thread *t), const char *name);
void mosix_thread_stop(struct mosix_thread *t);
void mosix_thread_wake(struct mosix_thread *t);
bool mosix_thread_running(const struct mosix_thread *t);

/* peer.c: the other nodes of the table, as the info daemon knows them */
struct mosix_peer {
	struct kref ref;
	u32 pe;
	bool has_addr;			/* an address in the socket's family */
	struct mosix_addr addr;		/* where datagrams to it go */
	/* the info daemon's, under its io_lock */
	bool heard;			/* replay holds its last datagram */
	struct mosix_info_replay replay;
	struct mosix_info_replay mig_replay;	/* its control messages' */
	/* the receive path's, in softirq */
	spinlock_t budget_lock;
	u64 budget_ns;
	u64 budget_stamp_ns;
	/*
	 * datagrams sent to it; arrived from its address claiming its PE
	 * (softirq, before the budget and the tag); accepted (tag, replay):
	 * what tells a datagram lost on the way from one the node dropped
	 */
	atomic64_t tx_packets;
	atomic64_t rx_packets;
	atomic64_t rx_accepted;
};

struct mosix_peers {
	struct rcu_head rcu;
	u32 nr;
	struct mosix_peer *p[];		/* sorted by PE */
};

struct mosix_peer *mosix_peer_get(struct mosix_peer *p);
void mosix_peer_put(struct mosix_peer *p);
struct mosix_peer *mosix_peers_find(const struct mosix_peers *ps, u32 pe);
struct mosix_peers *mosix_peers_build(const struct mosix_map *map, u32 self_pe,
				      u8 family, const struct mosix_peers *old);
void mosix_peers_carry(struct mosix_peers *ps, const struct mosix_peers *old);
void mosix_peers_free(struct mosix_peers *ps);
bool mosix_peer_budget(struct mosix_peer *p, u32 interval_ms);

struct mosix_peer_counters {
	u64 tx_packets, rx_packets, rx_accepted;
};

/* node.c: the node, its stage table and the configuration lock */
struct mosix_node {
	u32 pe;				/* 0 while off; the joining PE in bring-up */
	enum mosix_state state;
	unsigned int shutdown_timeout_ms;	/* bound of the quiesce stage */
	char last_shutdown[96];
};

enum mosix_state mosix_node_state(void);
const char *mosix_state_name(enum mosix_state state);
u32 mosix_node_pe(void);
int mosix_node_set_pe(u32 pe);
int mosix_node_set_table(const char *text, size_t len, const char *source,
			 struct mosix_map_error *error);
int mosix_node_set_key(const u8 *key, unsigned int len);
int mosix_node_set_window(u32 window);
int mosix_node_set_epoch(u64 floor);
int mosix_node_set_interval(u32 ms);
void mosix_node_last_shutdown(char *buf, size_t size);
unsigned int mosix_node_shutdown_timeout(void);
void mosix_node_set_shutdown_timeout(unsigned int ms);
void mosix_node_rolling_back(struct mosix_node *node);
void mosix_node_exit(void);

/* info.c: the info daemon */
extern unsigned int mosix_info_interval_ms;
extern unsigned int mosix_info_window;
bool mosix_info_key_set(void);
int mosix_info_set_key(const u8 *key, unsigned int len);
void mosix_info_set_epoch_floor(u64 floor);
u64 mosix_info_epoch(void);
int mosix_info_open(u32 pe);
void mosix_info_close(void);
int mosix_info_thread_start(void);
void mosix_info_thread_stop(void);
void mosix_info_wake(void);
void mosix_info_announce(void);
void mosix_info_withdraw(void);
void mosix_info_new_epoch(void);
void mosix_info_reboot(void);
int mosix_info_table_prepare(const struct mosix_map *map, const char **reason);
void mosix_info_table_commit(const struct mosix_map *map);
void mosix_info_interval_changed(void);
void mosix_info_daemon_state(bool *running, u32 *acked, bool *active);
u64 mosix_info_stat(unsigned int stat);
unsigned int mosix_info_snapshot(struct mosix_info_entry *out, unsigned int max);
bool mosix_info_peer_counters(u32 pe, struct mosix_peer_counters *c);
void mosix_info_exit(void);
void mosix_info_stat_add(unsigned int stat, u64 n);
int mosix_info_hmac(const u8 *data, unsigned int len, u8 *out);
int mosix_info_send_mig(struct mosix_mig_msg *m);
enum mosix_info_status mosix_info_node_status(u32 pe);
bool mosix_info_peer_addr(u32 pe, struct mosix_addr *peer);

/* daemons.c: configuration generations handed to the daemons */
enum mosix_daemon { MOSIX_DAEMON_INFO, MOSIX_DAEMON_MIG, MOSIX_NR_DAEMONS };
u32 mosix_daemons_config(bool *active);
bool mosix_daemon_stalled(enum mosix_daemon d);
void mosix_daemon_ack(enum mosix_daemon d, u32 gen, bool idle);
void mosix_daemon_acked(enum mosix_daemon d, u32 *gen, bool *idle);
void mosix_daemons_wake(bool active);
int mosix_daemons_quiesce(unsigned int timeout_ms);
void mosix_daemons_reset(void);

/* mig.c: the migration daemon */
extern unsigned int mosix_mig_timeout_ms;
extern unsigned int mosix_mig_max_image_mb;
extern bool mosix_mig_allow_root;

/* a MOSIX_CMD_MIG_WORK message for the helper */
struct mosix_mig_work_req {
	u64 id;
	u32 work;			/* enum mosix_mig_work */
	u32 home, num, uid;
	u32 pid;			/* STREAM */
	const struct mosix_addr *peer;	/* STREAM, RECEIVE */
	u16 port;
	u64 image_kb;
};

/* a MOSIX_EVENT_MIG_DONE event */
struct mosix_mig_done {
	u64 id;
	u32 home, num, uid, from, to;
	u32 outcome, reason;
	int err;			/* positive errno, 0 */
	u32 duration_us;
};

/* a MOSIX_EVENT_MIG_PROGRESS event */
struct mosix_mig_progress {
	u64 id;
	u32 home, num, uid, to;
	u32 phase;
	u64 done, total;
};

int mosix_mig_init(void);
void mosix_mig_exit(void);
int mosix_mig_request(u32 home, u32 num, u32 to, kuid_t who, bool admin,
		      u64 *id, struct netlink_ext_ack *extack);
int mosix_mig_set_helper(u32 portid, u16 port, bool criu, const char *why);
bool mosix_mig_helper_state(u16 *port, bool *criu);
int mosix_mig_report(u32 portid, u64 id, u32 what, u32 pid, const char *name,
		     const char *cmd, const char *text, struct netlink_ext_ack *extack);
int mosix_mig_progress(u32 portid, u64 id, u32 phase, u64 done, u64 total,
		       struct netlink_ext_ack *extack);
int mosix_mig_take_key(u32 portid, u64 id, u8 *key, struct netlink_ext_ack *extack);
void mosix_mig_deliver(const struct mosix_mig_msg *m);
int mosix_mig_start(void);
void mosix_mig_stop(void);
void mosix_mig_wake(void);
bool mosix_mig_running(void);
void mosix_mig_block_guests(bool block);
bool mosix_mig_guests_blocked(void);
bool mosix_mig_blocked(void);
void mosix_mig_set_blocked(bool block);
unsigned int mosix_mig_registered(void);
int mosix_mig_evacuate(void);

/* jobs.c: the registry of this node's jobs */
struct mosix_job_view {
	u32 home, num, where;
	u32 pid;			/* 0: not visible to the reader, or exited */
	u32 uid;			/* in the reader's user namespace */
	enum mosix_job_state state;
	bool have_status;
	u32 status;
	u64 age_ms;
	const char *name, *cmd;		/* valid during the dump's callback */
};

int mosix_jobs_add(pid_t nr, uid_t uid, const char *name, const char *cmd,
		   u32 *home, u32 *num, struct netlink_ext_ack *extack);
int mosix_jobs_set_exited(u32 home, u32 num, u32 status,
			  struct netlink_ext_ack *extack);
int mosix_jobs_set_where(u32 num, u32 where, struct netlink_ext_ack *extack);
int mosix_jobs_dump(u64 after,
		    int (*fn)(const struct mosix_job_view *v, void *arg),
		    void *arg);
void mosix_jobs_exit(void);
int mosix_jobs_move_begin(u32 home, u32 num, kuid_t who, bool admin,
			  struct pid **pid, kuid_t *owner, const char **reason);
int mosix_jobs_away_at(u32 home, u32 num, kuid_t who, bool admin, u32 *where,
		       const char **reason);
void mosix_jobs_move_end(u32 home, u32 num, u32 where);
struct mosix_job;
struct mosix_job *mosix_jobs_prepare_arrival(u32 home, u32 num, u32 uid,
					     const char *name, const char *cmd);
void mosix_jobs_drop_arrival(struct mosix_job *job);
void mosix_jobs_arrived(struct mosix_job *job, struct pid *pid, u32 self);

/*
 * stages.c: the stage table runner (kernel/cpu.c). name: the shutdown's
 * name for the stage, also the bring-up's unless up_name is set. A NULL
 * callback is skipped. Only drain stages' teardowns may fail.
 */
struct mosix_stage {
	const char *name;
	const char *up_name;
	int (*startup)(struct mosix_node *node);
	int (*teardown)(struct mosix_node *node);
	bool drain;
};

int mosix_stages_up(const struct mosix_stage *st, unsigned int n,
		    struct mosix_node *node, const char **failed);
int mosix_stages_down(const struct mosix_stage *st, unsigned int n,
		      struct mosix_node *node, bool rollback,
		      const char **failed, const char **rollback_failed);
const char *mosix_errno_name(int err);

/* configfs.c */
int mosix_configfs_init(void);
void mosix_configfs_exit(void);

/* netlink.c */
void mosix_event_stage(enum mosix_event_kind kind, enum mosix_event_op op,
		       const char *stage, u32 duration_us, int err);
void mosix_event_state(enum mosix_state state, u32 pe);
void mosix_event_job_exited(u32 home, u32 num, u32 uid, u32 status);
void mosix_event_mig_done(const struct mosix_mig_done *d);
void mosix_event_mig_progress(const struct mosix_mig_progress *p);
int mosix_netlink_mig_work(u32 portid, const struct mosix_mig_work_req *w);
int mosix_netlink_init(void);
void mosix_netlink_exit(void);

#endif /* MOSIX_H */
