/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mosix: the user-kernel contract.
 *
 * Configuration lives in configfs, /sys/kernel/config/mosix/:
 *   pe     (rw) this node's number, 1..MOSIX_PE_MAX, 0 = off
 *   table  (rw) the node table in openMosix map syntax (at most
 *               MOSIX_CONFIGFS_TABLE_MAX bytes through configfs)
 *   state  (ro) off | starting | up | stopping | rolling-back
 *   key    (rw, 0600) the cluster key as 32..128 hex digits; reads only
 *               "set" or "none"; an empty write clears it (while off)
 *   info_interval_ms (rw) the info daemon's tick, default 1000
 *   window (rw) entries about others per datagram and held, default 16
 *   stats  (ro) the info daemon's counters, "name value" per line
 *   last_shutdown (ro) none | ok | rolled-back stage=NAME error=ERRNO-NAME
 *   shutdown_timeout_ms (rw) bound of the quiesce stage, default 30000
 *   block  (rw) 1: refuse guests (offers are answered "blocked"), 0: take them
 *   mig_timeout_ms (rw) bound of a move's dump, stream and restore,
 *               MOSIX_MIG_TIMEOUT_MIN_MS..MOSIX_MIG_TIMEOUT_MAX_MS, default
 *               MOSIX_MIG_TIMEOUT_DEFAULT_MS
 *   mig_max_image_mb (rw) the largest job this node takes, 1..1048576 MiB
 *   mig_allow_root (rw) 1: take jobs of uid 0 too; default 0
 *
 * Generic netlink family MOSIX_GENL_NAME, version MOSIX_GENL_VERSION:
 *
 * MOSIX_CMD_GET_STATUS (doit, anyone)
 *   reply: MOSIX_A_STATE (u32, enum mosix_state), MOSIX_A_PE (u32),
 *          MOSIX_A_NODES (u32, nodes in the table), MOSIX_A_ENTRIES (u32,
 *          table lines: ranges plus aliases), MOSIX_A_TABLE_GEN (u32, bumped
 *          on every table change).
 *
 * MOSIX_CMD_SET_TABLE (doit, CAP_NET_ADMIN and CAP_SYS_ADMIN)
 *   Without CAP_NET_ADMIN genetlink refuses the request (GENL_ADMIN_PERM:
 *   EPERM, no extended ack message); without CAP_SYS_ADMIN the command does
 *   (EPERM, the extended ack names CAP_SYS_ADMIN).
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
 *   canonical map text and MOSIX_A_TABLE_GEN; an empty table is one message
 *   with empty text. If the table changes during the dump, the dump ends
 *   early with a message of empty text (and the new MOSIX_A_TABLE_GEN)
 *   flagged NLM_F_DUMP_INTR: start again.
 *
 * MOSIX_CMD_GET_NODES (dumpit, anyone)
 *   The cluster view of the info daemon, taken in one snapshot when the dump
 *   starts: one message per node this node holds information about, in
 *   ascending PE order (its own flagged MOSIX_A_NODE_SELF), with
 *   MOSIX_A_NODE_PE, _STATUS (enum mosix_info_status), _LOAD (load average
 *   x 1000), _CPUS, _UTIL (per mille), _SPEED, _MEM_KB and _FREE_KB (u64),
 *   _AGE_MS. Empty while off.
 *
 * Multicast group MOSIX_GENL_MCGRP_EVENTS ("events"): MOSIX_CMD_EVENT
 *   notifications, sent only while someone listens, for every stage of a
 *   bring-up or shutdown (the one a module unload runs too) and every state
 *   change:
 *   MOSIX_A_EVENT_KIND (u32, enum mosix_event_kind), MOSIX_A_EVENT_OP (u32,
 *   enum mosix_event_op), MOSIX_A_EVENT_STAGE (string, the stage name),
 *   MOSIX_A_EVENT_DURATION_US (u32, for done/undone), MOSIX_A_EVENT_ERRNO
 *   (u32, positive errno, for failed), MOSIX_A_STATE and MOSIX_A_PE (for
 *   state changes).
 *
 * The shutdown (pe = 0) runs these stages in order; if one fails, the
 * finished ones are undone in reverse order and the write returns its error:
 *   evacuate  refuse new guests, send guests home, call own processes back
 *   withdraw  zero this node's load information, send the leave notice
 *   wake      hand both daemons the new configuration (generation bump)
 *   quiesce   wait until both acknowledged it and are idle (a signal to the
 *             writer: -EINTR; shutdown_timeout_ms running out: -ETIMEDOUT)
 *   notifier  unregister the reboot notifier
 *   transport close the cluster sockets
 * Bring-up (pe = N) stages: transport (open and bind the sockets), daemons
 * (start mosix_info and mosix_mig), notifier (register the reboot notifier),
 * announce (publish this node's load information).
 * configfs `last_shutdown` reads "none", "ok" or
 * "rolled-back stage=NAME error=ERRNO-NAME".
 *
 * Jobs: the migration daemon's registry of the processes started under mosix
 * (mosctl run). A job is the init of a PID namespace of its own, held by its
 * struct pid; its id, HOME.NUM, is valid cluster-wide (HOME: the PE of the
 * node it was started on; NUM: from 1, never reused while the module is
 * loaded).
 *
 * MOSIX_CMD_JOB_ADD (doit, CAP_NET_ADMIN: the root helper, mosctl helper)
 *   request: MOSIX_A_JOB_PID (u32, the job's init, a process, not a thread,
 *          in the caller's PID namespace), MOSIX_A_JOB_UID (u32, its owner, in
 *          the caller's user namespace: the init's real uid must be it),
 *          MOSIX_A_JOB_NAME (string, 1..MOSIX_JOB_NAME_MAX-1 of
 *          [A-Za-z0-9._+-]), MOSIX_A_JOB_CMD (string, up to
 *          MOSIX_JOB_CMD_MAX-1 bytes, no control characters).
 *   reply: MOSIX_A_JOB_HOME, MOSIX_A_JOB_NUM (u32).
 *   Errors (with an extended ack message): EINVAL (an attribute missing or
 *   malformed), ENETDOWN (this node is not up), ESRCH (no such process),
 *   EPERM (it does not run as that uid), EEXIST (already a job), ENOSPC
 *   (MOSIX_JOBS_MAX jobs running).
 *
 * MOSIX_CMD_JOB_EXIT (doit, CAP_NET_ADMIN)
 *   request: MOSIX_A_JOB_NUM, MOSIX_A_JOB_STATUS (u32, the wait(2) status of
 *          the job's command), MOSIX_A_JOB_HOME (optional: a guest's home;
 *          absent, a job of this node). The job becomes exited; the registry
 *          keeps the last MOSIX_JOBS_EXITED_KEEP exited jobs (for mosctl
 *          wait, ps).
 *   Errors: EINVAL, ENOENT (no such job), EALREADY (a JOB_EXIT came already;
 *   a job whose init is gone without one still takes one).
 *   Multicast: MOSIX_CMD_EVENT with MOSIX_A_EVENT_KIND MOSIX_EVENT_JOB_EXITED,
 *   MOSIX_A_JOB_HOME, _NUM, _UID (in the initial user namespace) and _STATUS.
 *
 * MOSIX_CMD_JOB_WHERE (doit, CAP_NET_ADMIN): where a job of this node that
 *   runs elsewhere runs now (its keeper learns it from the job's relay).
 *   request: MOSIX_A_JOB_NUM, MOSIX_A_JOB_WHERE (u32, a PE, not this node's).
 *   Errors: EINVAL, ENOENT (no such job), EALREADY (it exited), EBUSY (it
 *   runs here: only a move changes that).
 *
 * MOSIX_CMD_GET_JOBS (dumpit, anyone)
 *   One message per job (guests too), in (HOME, NUM) order:
 *   MOSIX_A_JOB_HOME, _NUM, _WHERE (u32, the PE it runs on), _PID (u32, its
 *   init in the reader's PID namespace; absent when not visible there or
 *   exited), _UID (in the reader's user
 *   namespace), _STATE (u32, enum mosix_job_state), _STATUS (exited, when
 *   known), _NAME, _CMD, _AGE_MS (u64, since it was added).
 *   A job whose init is gone without a JOB_EXIT (its helper died) reads
 *   exited, without a status. Not a snapshot: each message is read whole,
 *   the dump goes on after the last job sent (jobs added meanwhile show,
 *   jobs freed meanwhile may not).
 *
 * Moving jobs (docs/migration-design.md). The migration daemon owns every
 * move; the node's root helper (mosctl helper) does the dumping, streaming
 * and restoring it is told to, and only it ever sees a move's key.
 *
 * MOSIX_CMD_MIGRATE (doit, the job's owner or CAP_NET_ADMIN)
 *   request: MOSIX_A_JOB_HOME, MOSIX_A_JOB_NUM (the job, which runs here),
 *          MOSIX_A_MIG_TO (u32, the PE to move it to).
 *   reply: MOSIX_A_MIG_ID (u64, the move's id). The move goes on in the
 *   background; its end is a MOSIX_EVENT_MIG_DONE event with that id
 *   (listen to the events group before asking, not to miss it).
 *   Errors (with an extended ack message): EINVAL (an attribute missing or
 *   malformed, or the target is this node), ENETDOWN (this node is not up),
 *   ENOENT (no such job here), EPERM (not the
 *   job's owner), ENXIO (the PE is not in the table), EHOSTDOWN (the
 *   target is not up in this node's view), EBUSY (the job is moving, or
 *   MOSIX_MIG_MOVES_MAX moves are under way), ENOPKG (no migration helper
 *   is registered on this node).
 *   A job of this node that runs on another node: home asks that node to
 *   move it (MOSIX_MIG_TYPE_ASK) and sends the MOSIX_EVENT_MIG_DONE itself,
 *   with that request's id, once that node answered (or with reason
 *   timeout when it did not, in mig_timeout_ms and 25 s more).
 *
 * MOSIX_CMD_MIG_HELPER (doit, CAP_NET_ADMIN): the calling socket becomes the
 *   node's migration helper, replacing any other, until it closes or sends
 *   MOSIX_A_MIG_PORT 0.
 *   request: MOSIX_A_MIG_PORT (u32, the TCP port its receiver listens on,
 *          1..65535, or 0 to withdraw), MOSIX_A_MIG_CRIU (u32, 1 if its
 *          `criu check` passed; 0 makes this node refuse guests with
 *          no_criu), MOSIX_A_MIG_TEXT (string, optional: why not).
 *   The kernel then sends it MOSIX_CMD_MIG_WORK messages (unicast) with
 *   MOSIX_A_MIG_ID, MOSIX_A_MIG_WORK (u32, enum mosix_mig_work),
 *   MOSIX_A_JOB_HOME, MOSIX_A_JOB_NUM, MOSIX_A_JOB_UID (the owner, initial
 *   user namespace) and, for STREAM and RECEIVE, MOSIX_A_MIG_PEER_ADDR
 *   (binary, 4 or 16 bytes: the other node's table address),
 *   MOSIX_A_MIG_PORT (the target's receiver), MOSIX_A_MIG_IMAGE_KB (u64:
 *   STREAM, the estimate; RECEIVE, the bound), MOSIX_A_JOB_PID (STREAM: the
 *   job's init, initial PID namespace). The key is not in it: the helper
 *   fetches it with MOSIX_CMD_MIG_KEY. The kernel itself kills the source's
 *   frozen copy before it commits, and lets the target's restored copy run
 *   (SIGCONT) or kills it: COMMIT, RUN and DISCARD tell the helper to clean
 *   up, nothing depends on it doing so.
 *
 * MOSIX_CMD_MIG_KEY (doit, CAP_NET_ADMIN, from the registered helper)
 *   request: MOSIX_A_MIG_ID. reply: MOSIX_A_MIG_KEY (binary,
 *   MOSIX_MIG_KEY_LEN bytes), the move's one-time key (HMAC-SHA256 of the
 *   cluster key over the move's id, both nonces and both PEs), given once:
 *   the kernel wipes its copy. Errors: EPERM (not the registered helper),
 *   ENOENT (no key waits for that move: unknown, ended or fetched).
 *
 * MOSIX_CMD_MIG_REPORT (doit, CAP_NET_ADMIN, from the registered helper)
 *   request: MOSIX_A_MIG_ID, MOSIX_A_MIG_REPORT (u32, enum
 *          mosix_mig_report), MOSIX_A_JOB_PID (RESTORED: the restored init,
 *          initial PID namespace, frozen), MOSIX_A_MIG_TEXT (optional, for
 *          the log).
 *   PROGRESS (source, while the move streams) carries MOSIX_A_MIG_PHASE,
 *   MOSIX_A_MIG_DONE_BYTES and MOSIX_A_MIG_TOTAL_BYTES (u64, image bytes
 *   sent and in all, for STREAMING) and changes nothing in the move: the
 *   kernel passes it on as a MOSIX_EVENT_MIG_PROGRESS event.
 *   Errors: EINVAL, EPERM (not the registered helper), ENOENT (no such move),
 *   EALREADY (the move's state does not take that report: it ended).
 *
 * MOSIX_EVENT_MIG_DONE (events group): MOSIX_A_MIG_ID, MOSIX_A_JOB_HOME,
 *   _NUM, _UID, MOSIX_A_MIG_FROM, MOSIX_A_MIG_TO, MOSIX_A_MIG_OUTCOME (enum
 *   mosix_mig_outcome), MOSIX_A_MIG_REASON (enum mosix_mig_reason, aborted
 *   moves), MOSIX_A_EVENT_ERRNO (positive), MOSIX_A_EVENT_DURATION_US. Sent
 *   by the source node; moved means the job runs on MOSIX_A_MIG_TO.
 *
 * MOSIX_EVENT_MIG_PROGRESS (events group): MOSIX_A_MIG_ID, MOSIX_A_JOB_HOME,
 *   _NUM, _UID, MOSIX_A_MIG_TO, MOSIX_A_MIG_PHASE, MOSIX_A_MIG_DONE_BYTES,
 *   MOSIX_A_MIG_TOTAL_BYTES: how far a move from this node is, as its
 *   helper reported (a few a second at most). mosctl migrate shows it.
 *
 * The GET_STATUS reply also carries MOSIX_A_KEY_SET (u32 0/1),
 * MOSIX_A_INFO_INTERVAL_MS, MOSIX_A_WINDOW (u32) and MOSIX_A_STATS, a nest of
 * u64 counters: MOSIX_STAT_* and, at MOSIX_STAT_DROP_BASE + reason, the
 * datagrams dropped per reason (enum mosix_info_drop of the shared
 * module/mosix_info.h, named by mosix_info_drop_name(): bad_tag, truncated,
 * ...). configfs `stats` shows the same counters as "name value" lines.
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
	MOSIX_CMD_GET_NODES,
	MOSIX_CMD_EVENT,
	MOSIX_CMD_JOB_ADD,
	MOSIX_CMD_JOB_EXIT,
	MOSIX_CMD_GET_JOBS,
	MOSIX_CMD_MIGRATE,
	MOSIX_CMD_MIG_HELPER,
	MOSIX_CMD_MIG_WORK,
	MOSIX_CMD_MIG_REPORT,
	MOSIX_CMD_MIG_KEY,
	MOSIX_CMD_JOB_WHERE,
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
	MOSIX_A_PAD,
	MOSIX_A_KEY_SET,	/* u32: 1 if a cluster key is set */
	MOSIX_A_INFO_INTERVAL_MS, /* u32 */
	MOSIX_A_WINDOW,		/* u32 */
	MOSIX_A_STATS,		/* nest: MOSIX_STAT_* u64 */
	MOSIX_A_NODE_PE,	/* u32 */
	MOSIX_A_NODE_SELF,	/* flag */
	MOSIX_A_NODE_STATUS,	/* u32, enum mosix_info_status */
	MOSIX_A_NODE_LOAD,	/* u32, load average x 1000 */
	MOSIX_A_NODE_CPUS,	/* u32 */
	MOSIX_A_NODE_UTIL,	/* u32, per mille */
	MOSIX_A_NODE_SPEED,	/* u32 */
	MOSIX_A_NODE_MEM_KB,	/* u64 */
	MOSIX_A_NODE_FREE_KB,	/* u64 */
	MOSIX_A_NODE_AGE_MS,	/* u32 */
	MOSIX_A_EVENT_KIND,	/* u32, enum mosix_event_kind */
	MOSIX_A_EVENT_OP,	/* u32, enum mosix_event_op */
	MOSIX_A_EVENT_STAGE,	/* string */
	MOSIX_A_EVENT_DURATION_US, /* u32 */
	MOSIX_A_EVENT_ERRNO,	/* u32, positive errno */
	/*
	 * GET_NODES, for each peer (not this node): datagrams sent to it;
	 * arrived from its address claiming its PE (before the rate limit and
	 * the tag); accepted. Since the node came up (or the peer joined the
	 * table). Arrived minus accepted: what this node dropped; sent by the
	 * peer minus arrived here: what the network lost.
	 */
	MOSIX_A_NODE_TX_PACKETS,	/* u64 */
	MOSIX_A_NODE_RX_PACKETS,	/* u64 */
	MOSIX_A_NODE_RX_ACCEPTED,	/* u64 */
	MOSIX_A_JOB_HOME,	/* u32, PE */
	MOSIX_A_JOB_NUM,	/* u32 */
	MOSIX_A_JOB_WHERE,	/* u32, PE */
	MOSIX_A_JOB_PID,	/* u32 */
	MOSIX_A_JOB_UID,	/* u32 */
	MOSIX_A_JOB_STATE,	/* u32, enum mosix_job_state */
	MOSIX_A_JOB_STATUS,	/* u32, wait(2) status */
	MOSIX_A_JOB_NAME,	/* string */
	MOSIX_A_JOB_CMD,	/* string */
	MOSIX_A_JOB_AGE_MS,	/* u64 */
	MOSIX_A_MIG_ID,		/* u64 */
	MOSIX_A_MIG_TO,		/* u32, PE */
	MOSIX_A_MIG_FROM,	/* u32, PE */
	MOSIX_A_MIG_WORK,	/* u32, enum mosix_mig_work */
	MOSIX_A_MIG_PEER_ADDR,	/* binary, 4 or 16 bytes */
	MOSIX_A_MIG_PORT,	/* u32 */
	MOSIX_A_MIG_KEY,	/* binary, MOSIX_MIG_KEY_LEN */
	MOSIX_A_MIG_IMAGE_KB,	/* u64 */
	MOSIX_A_MIG_REPORT,	/* u32, enum mosix_mig_report */
	MOSIX_A_MIG_OUTCOME,	/* u32, enum mosix_mig_outcome */
	MOSIX_A_MIG_REASON,	/* u32, enum mosix_mig_reason */
	MOSIX_A_MIG_CRIU,	/* u32, 0/1 */
	MOSIX_A_MIG_TEXT,	/* string */
	MOSIX_A_MIG_PHASE,	/* u32, enum mosix_mig_phase */
	MOSIX_A_MIG_DONE_BYTES,	/* u64 */
	MOSIX_A_MIG_TOTAL_BYTES,	/* u64 */
	__MOSIX_A_MAX
};

#define MOSIX_A_MAX (__MOSIX_A_MAX - 1)

#define MOSIX_GENL_MCGRP_EVENTS	"events"

enum mosix_event_kind {
	MOSIX_EVENT_UNSPEC,
	MOSIX_EVENT_STAGE_BEGIN,
	MOSIX_EVENT_STAGE_DONE,
	MOSIX_EVENT_STAGE_FAILED,
	MOSIX_EVENT_STAGE_UNDONE,
	MOSIX_EVENT_STATE,
	MOSIX_EVENT_JOB_EXITED,
	MOSIX_EVENT_MIG_DONE,
	MOSIX_EVENT_MIG_PROGRESS,
};

enum mosix_job_state {
	MOSIX_JOB_UNSPEC,
	MOSIX_JOB_RUNNING,
	MOSIX_JOB_EXITED,
	MOSIX_JOB_MIGRATING,
};

#define MOSIX_JOB_NAME_MAX	32	/* with the NUL */
#define MOSIX_JOB_CMD_MAX	256	/* with the NUL */
#define MOSIX_JOBS_MAX		4096	/* running at once */
#define MOSIX_JOBS_EXITED_KEEP	256

enum mosix_event_op {
	MOSIX_EVENT_OP_NONE,
	MOSIX_EVENT_OP_BRINGUP,
	MOSIX_EVENT_OP_SHUTDOWN,
};

#define MOSIX_SHUTDOWN_TIMEOUT_DEFAULT_MS	30000

/* counters in MOSIX_A_STATS */
enum mosix_stat {
	MOSIX_STAT_UNSPEC,
	MOSIX_STAT_PAD,
	MOSIX_STAT_TICKS,	/* ticks of the info daemon */
	MOSIX_STAT_TX_PACKETS,	/* datagrams sent (info and leave) */
	MOSIX_STAT_TX_BYTES,
	MOSIX_STAT_TX_ERRORS,	/* sends that failed or had no peer address */
	MOSIX_STAT_RX_ACCEPTED,	/* datagrams accepted and merged */
	MOSIX_STAT_RX_BYTES,	/* bytes of accepted datagrams */
	MOSIX_STAT_LEAVE_SENT,	/* leave notices sent */
	MOSIX_STAT_RELAY_REFUSED, /* relayed entries with an epoch too far ahead */
	/* migration control messages (the drops above count them too) */
	MOSIX_STAT_MIG_TX,	/* sent */
	MOSIX_STAT_MIG_RX,	/* authenticated and taken by a move */
	MOSIX_STAT_MIG_DROP_PEER,	/* not from the move's other end, or another job */
	MOSIX_STAT_MIG_DROP_NONCE,	/* a nonce that is not the move's */
	MOSIX_STAT_MIG_DROP_STATE,	/* a type the move's state does not take */
	MOSIX_STAT_MIG_DROP_UNKNOWN,	/* names no move this node holds (answered) */
	MOSIX_STAT_MIG_DROP_QUEUE,	/* the daemon's queue was full */
	MOSIX_STAT_MIG_STARTED,	/* moves this node started */
	MOSIX_STAT_MIG_MOVED,	/* ... that moved the job */
	MOSIX_STAT_MIG_STAYED,	/* ... that left it where it was */
	MOSIX_STAT_MIG_REFUSED,	/* offers this node refused */
	MOSIX_STAT_MIG_ARRIVED,	/* jobs that arrived here */
	__MOSIX_STAT_LAST,
	/* MOSIX_STAT_DROP_BASE + enum mosix_info_drop: dropped datagrams */
	MOSIX_STAT_DROP_BASE = 32,
};

/*
 * Why a datagram was dropped: MOSIX_STAT_DROP_BASE + reason in MOSIX_A_STATS,
 * `drop_NAME` in configfs `stats`. The values are ABI: new reasons go at the
 * end. The cheap checks (length, header, sender address, rate) come before
 * the tag is computed, so a flood of forgeries costs no HMAC.
 */
enum mosix_info_drop {
	MOSIX_INFO_DROP_BAD_TAG,	/* HMAC did not verify */
	MOSIX_INFO_DROP_TRUNCATED,	/* shorter than header + N entries + tag */
	MOSIX_INFO_DROP_OVERSIZED,	/* longer: trailing bytes or > DGRAM_MAX */
	MOSIX_INFO_DROP_BAD_MAGIC,
	MOSIX_INFO_DROP_BAD_VERSION,
	MOSIX_INFO_DROP_BAD_TYPE,
	MOSIX_INFO_DROP_BAD_COUNT,	/* N == 0, N > ENTRIES_MAX or > caller's max */
	MOSIX_INFO_DROP_BAD_FIELD,	/* a value out of range */
	MOSIX_INFO_DROP_BAD_SENDER,	/* entry 0 is not the sender's, per type */
	MOSIX_INFO_DROP_BAD_ORDER,	/* entries 1.. not ascending, or the sender */
	MOSIX_INFO_DROP_UNKNOWN_PE,	/* sender PE not in the table */
	MOSIX_INFO_DROP_SPOOFED_SOURCE,	/* source address is not the sender's */
	MOSIX_INFO_DROP_REPLAY,		/* (epoch, seq) not newer than the last */
	MOSIX_INFO_DROP_RATELIMITED,	/* the sender's budget before the HMAC is spent */
	MOSIX_INFO_DROP_EPOCH_AHEAD,	/* epoch implausibly far past the last one */
	__MOSIX_INFO_DROP_MAX
};

/*
 * Boot epochs: every bring-up of a node uses an epoch newer than any it used
 * before (peers drop what is not newer than the last they saw, as a replay).
 * The module never trusts the clock for that: `mosctl start` keeps a counter
 * (/var/lib/mosix/epoch) and hands it in through configfs `epoch`; each
 * boot reserves MOSIX_EPOCH_STEP epochs for the restarts within it. Without
 * one the module proposes real-time seconds << 20. A peer refuses an epoch
 * more than MOSIX_EPOCH_AHEAD_MAX past the last it heard from that node
 * itself (about two years of clock-derived epochs), so nobody can pin a node
 * "down" with an epoch of 2^64 - 1.
 */
#define MOSIX_EPOCH_STEP		(1ULL << 20)
#define MOSIX_EPOCH_AHEAD_MAX		(1ULL << 46)
#define MOSIX_EPOCH_MAX			((1ULL << 63) - 1)

/* UDP port of the info daemon, on this node's table address */
#define MOSIX_INFO_PORT		7310
/* cluster key: 16..64 bytes, written to configfs `key` as 32..128 hex digits */
#define MOSIX_KEY_MIN		16
#define MOSIX_KEY_MAX		64
#define MOSIX_INFO_INTERVAL_DEFAULT_MS	1000
#define MOSIX_INFO_INTERVAL_MIN_MS	10
#define MOSIX_INFO_INTERVAL_MAX_MS	60000

/* ---- info daemon wire format (issue 3) ---------------------------------
 *
 * Every tick each node sends ONE UDP datagram to ONE peer chosen at random:
 * its own entry plus up to `window` of the newest entries it holds about
 * others. All integers are big-endian and unaligned; fields are encoded and
 * decoded byte by byte, no native structure is ever put on the wire.
 *
 *   offset size  header (MOSIX_INFO_HDR_LEN = 24 bytes)
 *        0    2  magic "MX" (0x4d 0x58)
 *        2    1  version, MOSIX_INFO_VERSION (1)
 *        3    1  type: 1 INFO, 2 LEAVE (enum mosix_info_type)
 *        4    2  sender PE, 1..65535
 *        6    2  entry count N, 1..MOSIX_INFO_ENTRIES_MAX
 *        8    8  sender boot epoch, >= 1 (new value on every bring-up)
 *       16    8  sequence number, >= 1, strictly increasing per epoch
 *       24  N*44 entries
 *   24+N*44  32  HMAC-SHA256 tag, cluster key, over bytes [0, 24 + N*44)
 *
 *   offset size  entry (MOSIX_INFO_ENTRY_LEN = 44 bytes)
 *        0    2  PE, 1..65535
 *        2    1  status: 1 up, 2 leaving, 3 down (enum mosix_info_status)
 *        3    1  reserved, must be 0
 *        4    4  age of the information in ms, 0..MOSIX_INFO_AGE_MAX_MS
 *        8    4  load: run-queue load average x 1000, 0..MOSIX_INFO_LOAD_MAX
 *       12    2  CPUs, 1..MOSIX_INFO_CPUS_MAX
 *       14    2  utilisation, per mille, 0..MOSIX_INFO_UTIL_MAX
 *       16    4  speed (relative, bogomips-like), 1..MOSIX_INFO_SPEED_MAX
 *       20    8  boot epoch of that node, >= 1
 *       28    8  total memory in KiB, 1..MOSIX_INFO_MEM_MAX_KB
 *       36    8  free memory in KiB, 0..total
 *
 * The datagram is exactly 24 + N*44 + 32 bytes (no trailing bytes): 804 at
 * the default window of 16, MOSIX_INFO_DGRAM_MAX at the largest window.
 * Entry 0 is the sender's own: its PE and epoch equal the header's, age 0,
 * status up in an INFO and leaving in a LEAVE message (the leave notice).
 * Entries 1..N-1 are about other nodes, in strictly ascending PE order (no
 * duplicates, never the sender). A receiver verifies the tag before it
 * parses anything, then the sender PE against its table and the source
 * address, every field value above, and the replay rule: (epoch, sequence)
 * must be strictly newer than the last accepted from that sender (a newer
 * epoch resets the sequence). Anything else is dropped and counted.
 *
 * Between entries about the same node, the newer epoch wins; within an epoch
 * leaving beats up and down beats both (leaving and down are final for an
 * epoch); otherwise the fresher one (smaller age on arrival) wins. A node
 * whose newest information is older than the maximum age is reported down.
 */
#define MOSIX_INFO_MAGIC0	0x4d	/* 'M' */
#define MOSIX_INFO_MAGIC1	0x58	/* 'X' */
#define MOSIX_INFO_VERSION	1

enum mosix_info_type {
	MOSIX_INFO_TYPE_INFO = 1,
	MOSIX_INFO_TYPE_LEAVE = 2,
};

/* UNKNOWN is never on the wire: a node the view holds nothing about */
enum mosix_info_status {
	MOSIX_INFO_STATUS_UNKNOWN = 0,
	MOSIX_INFO_STATUS_UP = 1,
	MOSIX_INFO_STATUS_LEAVING = 2,
	MOSIX_INFO_STATUS_DOWN = 3,
};

#define MOSIX_INFO_HDR_LEN		24
#define MOSIX_INFO_ENTRY_LEN		44
#define MOSIX_INFO_TAG_LEN		32
#define MOSIX_INFO_WINDOW_DEFAULT	16
#define MOSIX_INFO_WINDOW_MAX		256
/* the sender's own entry plus a full window */
#define MOSIX_INFO_ENTRIES_MAX		(1 + MOSIX_INFO_WINDOW_MAX)
#define MOSIX_INFO_DGRAM_MIN \
	(MOSIX_INFO_HDR_LEN + MOSIX_INFO_ENTRY_LEN + MOSIX_INFO_TAG_LEN)
#define MOSIX_INFO_DGRAM_MAX (MOSIX_INFO_HDR_LEN + \
	MOSIX_INFO_ENTRIES_MAX * MOSIX_INFO_ENTRY_LEN + MOSIX_INFO_TAG_LEN)

#define MOSIX_INFO_AGE_MAX_MS		3600000		/* one hour */
#define MOSIX_INFO_LOAD_MAX		1000000000	/* load 1e6 */
#define MOSIX_INFO_CPUS_MAX		8192
#define MOSIX_INFO_UTIL_MAX		1000
#define MOSIX_INFO_SPEED_MAX		10000000
#define MOSIX_INFO_MEM_MAX_KB		(1ULL << 42)	/* 4 PiB */
/* ---- end of info daemon wire format ---- */

/* ---- migration control messages (issue 8; docs/migration-design.md) ------
 *
 * On the info socket, beside the info datagrams: the same 24-byte header
 * with a type of enum mosix_mig_type, an entry count of 0, the sender's boot
 * epoch and a sequence number from the sender's one counter (a receiver
 * keeps a replay state of its own per sender for these messages), then one
 * fixed body, then the HMAC-SHA256 tag over everything before it.
 *
 *   offset size  body (MOSIX_MIG_BODY_LEN = 64 bytes)
 *       24    8  move id, != 0, chosen at random by the source
 *       32    2  the job's home PE, 1..65535
 *       34    2  to: the PE this message is for (never the sender)
 *       36    4  the job's number at home, >= 1
 *       40    4  OFFER: the job owner's uid; ASK: the asking user's
 *                (home checked that it may move the job); PROGRESS: the
 *                images' whole size in KiB (rounded up; 0 while unknown);
 *                otherwise 0
 *       44    2  code: REFUSE and ABORT a reason (enum mosix_mig_reason),
 *                OUTCOME 1 committed or 2 aborted, ASKED the reason the job
 *                stayed (0: it moved), PROGRESS the phase (enum
 *                mosix_mig_phase); otherwise 0
 *       46    2  reserved, 0
 *       48   16  the source's nonce, never all zero
 *       64   16  the target's nonce: zero in OFFER and REFUSE, zero or the
 *                nonce in ABORT, never all zero in the others
 *       80    8  OFFER: the image size estimate in KiB, 1..MOSIX_MIG_IMAGE_MAX_KB;
 *                ACCEPT: the TCP port of the target's receiver, 1..65535;
 *                PREPARED and QUERY: the restored (frozen) job's pid on the
 *                target, 1..MOSIX_MIG_PID_MAX; ASK: the PE to move the job
 *                to; ASKED: the PE the job runs on now; PROGRESS: the KiB
 *                sent so far (rounded up; at most the whole size); otherwise 0
 *       88   32  HMAC-SHA256 tag over bytes [0, 88)
 *
 * ASK and ASKED are not part of a move: the job's home asks the node where
 * the job runs to move it (mosctl migrate at home; the id is home's request,
 * the source's nonce home's, the target's nonce zero; the sender is the
 * home PE), and that node, which runs the move itself, answers ASKED once
 * the move ended (or at once, when it cannot start one), with the same id
 * and nonce, to the home PE. Home repeats ASK until it has the answer or
 * gives up; the node answers a repeated ASK with its answer, never a second
 * move. While that move runs, the node tells home how far it is: PROGRESS
 * (the same id and nonce, to the home PE; each phase's first report at once,
 * then at most every half second), which home passes on as the request's
 * MOSIX_EVENT_MIG_PROGRESS; a PROGRESS lost is no matter.
 *
 * A message is exactly MOSIX_MIG_MSG_LEN bytes. Which side sends which type,
 * and in which state it is taken, is docs/migration-design.md's table and
 * module/mosix_mig_move.h's state machine.
 */
enum mosix_mig_type {
	MOSIX_MIG_TYPE_OFFER = 16,	/* source -> target */
	MOSIX_MIG_TYPE_ACCEPT,		/* target -> source */
	MOSIX_MIG_TYPE_REFUSE,		/* target -> source */
	MOSIX_MIG_TYPE_PREPARED,	/* target -> source */
	MOSIX_MIG_TYPE_COMMIT,		/* source -> target */
	MOSIX_MIG_TYPE_COMMITTED,	/* target -> source */
	MOSIX_MIG_TYPE_ABORT,		/* either */
	MOSIX_MIG_TYPE_QUERY,		/* target -> source */
	MOSIX_MIG_TYPE_OUTCOME,		/* source -> target */
	MOSIX_MIG_TYPE_ASK,		/* home -> the job's node: move it */
	MOSIX_MIG_TYPE_ASKED,		/* the job's node -> home: how it went */
	MOSIX_MIG_TYPE_PROGRESS,	/* the job's node -> home: how far it is */
	__MOSIX_MIG_TYPE_END
};

/* why a move did not happen, as REFUSE and ABORT carry it */
enum mosix_mig_reason {
	MOSIX_MIG_R_NONE,
	MOSIX_MIG_R_BLOCKED,		/* the target takes no guests */
	MOSIX_MIG_R_NOT_UP,		/* the target is not up */
	MOSIX_MIG_R_STOPPING,		/* the target is leaving the cluster */
	MOSIX_MIG_R_NO_CRIU,		/* no usable criu on the target */
	MOSIX_MIG_R_NO_MEMORY,		/* the target is short of memory */
	MOSIX_MIG_R_TOO_BIG,		/* the image exceeds the target's bound */
	MOSIX_MIG_R_ROOT_REFUSED,	/* a root job, and mig_allow_root is 0 */
	MOSIX_MIG_R_BUSY,		/* the target has as many moves as it takes */
	MOSIX_MIG_R_TIMEOUT,		/* a step took longer than its timeout */
	MOSIX_MIG_R_STREAM,		/* the image stream failed or did not verify */
	MOSIX_MIG_R_RESTORE,		/* criu restore failed on the target */
	MOSIX_MIG_R_DUMP,		/* criu dump failed on the source */
	MOSIX_MIG_R_CANCELLED,		/* cancelled by the operator or a shutdown */
	MOSIX_MIG_R_UNKNOWN_MOVE,	/* the receiver knows no such move */
	MOSIX_MIG_R_NOT_HERE,		/* ASKED: the job does not run on that node */
	MOSIX_MIG_R_HOST,		/* ASKED: the job's node cannot move it now */
	__MOSIX_MIG_R_END
};

enum mosix_mig_outcome {
	MOSIX_MIG_OUTCOME_COMMITTED = 1,
	MOSIX_MIG_OUTCOME_ABORTED = 2,
};

#define MOSIX_MIG_BODY_LEN	64
#define MOSIX_MIG_MSG_LEN	(MOSIX_INFO_HDR_LEN + MOSIX_MIG_BODY_LEN + MOSIX_INFO_TAG_LEN)
#define MOSIX_MIG_NONCE_LEN	16
#define MOSIX_MIG_IMAGE_MAX_KB	(1ULL << 40)	/* 1 PiB */
#define MOSIX_MIG_PID_MAX	(1U << 22)	/* the kernel's PID_MAX_LIMIT */
#define MOSIX_MIG_KEY_LEN	32	/* HMAC-SHA256 */
#define MOSIX_MIG_MOVES_MAX	64	/* under way on a node, both roles */
/* configfs mig_timeout_ms: how long dumping, streaming and restoring may take */
#define MOSIX_MIG_TIMEOUT_DEFAULT_MS	300000
#define MOSIX_MIG_TIMEOUT_MIN_MS	1000
#define MOSIX_MIG_TIMEOUT_MAX_MS	3600000
/* configfs mig_max_image_mb: the largest job this node takes */
#define MOSIX_MIG_MAX_IMAGE_DEFAULT_MB	4096

/* what the kernel asks its helper to do (MOSIX_CMD_MIG_WORK) */
enum mosix_mig_work {
	MOSIX_MIG_WORK_STREAM = 1,	/* source: dump the job, stream it, hold it frozen */
	MOSIX_MIG_WORK_RESUME,		/* source: the move failed: let it go on here */
	MOSIX_MIG_WORK_COMMIT,		/* source: it left (the kernel killed the copy) */
	MOSIX_MIG_WORK_RECEIVE,		/* target: take the stream, restore it frozen */
	MOSIX_MIG_WORK_DISCARD,		/* target: kill the restored copy */
	MOSIX_MIG_WORK_RUN,		/* target: let the restored job run */
	__MOSIX_MIG_WORK_END
};

/* what the helper tells the kernel (MOSIX_CMD_MIG_REPORT) */
enum mosix_mig_report {
	MOSIX_MIG_REPORT_DUMP_FAILED = 1,	/* source: criu dump or the stream failed */
	MOSIX_MIG_REPORT_RESTORED,		/* target: restored, frozen (MOSIX_A_JOB_PID) */
	MOSIX_MIG_REPORT_RECEIVE_FAILED,	/* target: the stream did not verify */
	MOSIX_MIG_REPORT_RESTORE_FAILED,	/* target: criu restore failed */
	MOSIX_MIG_REPORT_PROGRESS,		/* source: how far (changes nothing) */
	__MOSIX_MIG_REPORT_END
};

/* where a move is, in MOSIX_MIG_REPORT_PROGRESS and MOSIX_EVENT_MIG_PROGRESS */
enum mosix_mig_phase {
	MOSIX_MIG_PHASE_DUMPING = 1,	/* criu dumps the job at the source */
	MOSIX_MIG_PHASE_STREAMING,	/* the images on their way: bytes of total */
	MOSIX_MIG_PHASE_RESTORING,	/* all sent: the target verifies and restores */
	__MOSIX_MIG_PHASE_END
};

/* ---- end of migration control messages ---- */

#endif /* _UAPI_LINUX_MOSIX_H */
