/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One move of a job between two nodes, as either end sees it: the state
 * machine of docs/migration-design.md. Pure logic, compiled into the module
 * and the unit tests (which drive both ends through lost, repeated and
 * reordered messages); the caller owns the clock, the random nonces, the
 * socket and the helpers, and does what each step's output says.
 *
 * The rule that makes "nothing lost, nothing run twice" hold: the source
 * decides. Until it sends COMMIT the job is the source's (frozen while its
 * image streams); the target's restored copy stays frozen until it hears
 * COMMIT (run it) or ABORT (discard it), and asks again (PREPARED, then
 * QUERY) for as long as it takes, never deciding on its own, but for one
 * case: the source's boot epoch changed, so its frozen copy died with it and
 * the target's copy is the only one left (run it). A source forgets a
 * committed move only once the target said COMMITTED, an aborted one after
 * keep_ms: "I know of no such move" (ABORT, unknown_move) from the same boot
 * of the source then always means "never committed".
 *
 * Each step fills one struct mosix_mig_step: at most one message to send to
 * the peer (the caller sets sender, epoch, seq and the tag) and at most one
 * action for the caller.
 */
#ifndef MOSIX_MIG_MOVE_H
#define MOSIX_MIG_MOVE_H

#include "mosix_mig_wire.h"

enum mosix_mig_role {
	MOSIX_MIG_SOURCE = 1,
	MOSIX_MIG_TARGET,
};

enum mosix_mig_state {
	MOSIX_MIG_S_OFFERED = 1,	/* source: OFFER sent, awaiting the answer */
	MOSIX_MIG_S_STREAMING,		/* source: accepted, dumping and streaming */
	MOSIX_MIG_S_COMMITTING,		/* source: COMMIT sent, awaiting COMMITTED */
	MOSIX_MIG_T_RECEIVING,		/* target: ACCEPT sent, receiving, restoring */
	MOSIX_MIG_T_PREPARED,		/* target: restored frozen, awaiting the word */
	MOSIX_MIG_DONE,			/* either: outcome known, kept for answers */
};

/* what the caller must do after a step */
enum mosix_mig_action {
	MOSIX_MIG_ACT_NONE,
	MOSIX_MIG_ACT_STREAM,		/* source: dump (held frozen) and stream to port */
	MOSIX_MIG_ACT_RESUME,		/* source: let the job go on here, drop the images */
	MOSIX_MIG_ACT_KILL_COPY,	/* source: kill the frozen copy, the job left */
	MOSIX_MIG_ACT_RECEIVE,		/* target: receive on port, then restore frozen */
	MOSIX_MIG_ACT_DISCARD,		/* target: kill the frozen copy, drop the images */
	MOSIX_MIG_ACT_RUN,		/* target: let the restored job run, it arrived */
	MOSIX_MIG_ACT_FORGET,		/* either: the move can be freed */
};

/* things the caller's helper reports */
enum mosix_mig_event {
	MOSIX_MIG_EV_DUMP_FAILED = 1,	/* source: criu dump or the stream failed */
	MOSIX_MIG_EV_CANCEL,		/* source: the operator or a shutdown */
	MOSIX_MIG_EV_RESTORED,		/* target: restored frozen (arg: its pid) */
	MOSIX_MIG_EV_RECEIVE_FAILED,	/* target: the stream did not verify */
	MOSIX_MIG_EV_RESTORE_FAILED,	/* target: criu restore failed */
	MOSIX_MIG_EV_PEER_REBOOTED,	/* either: the peer has a new boot epoch */
};

/* why a message was not taken (counted by the caller) */
enum mosix_mig_drop {
	MOSIX_MIG_DROP_NONE,
	MOSIX_MIG_DROP_PEER,		/* not from this move's other end, or about another job */
	MOSIX_MIG_DROP_NONCE,		/* a nonce that is not this move's */
	MOSIX_MIG_DROP_STATE,		/* a type this state does not take */
};

struct mosix_mig_timeouts {
	u32 rto_ms;		/* between two sends of the same message */
	u32 offer_ms;		/* OFFERED: no answer -> nothing happened */
	u32 stream_ms;		/* STREAMING / RECEIVING: -> abort */
	u32 prepared_ms;	/* PREPARED: from PREPARED to QUERY */
	u32 keep_ms;		/* DONE: answers repeated messages, then forget */
};

struct mosix_mig_move {
	u64 id;
	u8 role;			/* enum mosix_mig_role */
	u8 state;			/* enum mosix_mig_state */
	u8 outcome;			/* DONE: enum mosix_mig_outcome */
	u16 reason;			/* aborted: enum mosix_mig_reason */
	u16 self_pe;
	u16 peer_pe;
	u16 home_pe;
	u32 job_num;
	u32 uid;
	u64 image_kb;
	u16 port;			/* the target's receiver */
	u32 pid;			/* the restored copy on the target */
	u8 nonce_s[MOSIX_MIG_NONCE_LEN];
	u8 nonce_t[MOSIX_MIG_NONCE_LEN];
	struct mosix_mig_timeouts t;
	s64 state_ms;			/* when the state was entered */
	s64 next_tx_ms;			/* when to send again; 0: nothing to send */
};

struct mosix_mig_step {
	bool send;
	struct mosix_mig_msg msg;	/* sender_pe, epoch, seq: the caller's */
	u8 action;			/* enum mosix_mig_action */
	u8 drop;			/* enum mosix_mig_drop, when nothing was taken */
};

/* "offered", ... / "stream", ... for logs and status; "unknown" otherwise */
const char *mosix_mig_state_name(unsigned int state);
const char *mosix_mig_action_name(unsigned int action);

/*
 * Source: starts a move of job home.num (owner uid, image about image_kb) to
 * peer; id and nonce_s random and non-zero. Sends OFFER. -EINVAL for a value
 * the OFFER could not carry or timeouts of 0.
 */
int mosix_mig_source_start(struct mosix_mig_move *m, u64 id, u16 self_pe,
			   u16 peer_pe, u16 home_pe, u32 job_num, u32 uid,
			   u64 image_kb, const u8 *nonce_s,
			   const struct mosix_mig_timeouts *t, s64 now_ms,
			   struct mosix_mig_step *out);

/*
 * Target: takes a decoded, authenticated OFFER addressed to self_pe with a
 * random nonce_t and the receiver's port: sends ACCEPT, action RECEIVE.
 * -EINVAL if offer is not an OFFER or a value is out of range.
 */
int mosix_mig_target_accept(struct mosix_mig_move *m,
			    const struct mosix_mig_msg *offer, u16 self_pe,
			    const u8 *nonce_t, u16 port,
			    const struct mosix_mig_timeouts *t, s64 now_ms,
			    struct mosix_mig_step *out);

/*
 * The answer to a message that names no move this node holds: REFUSE
 * (reason) to an OFFER the caller will not take; to a PREPARED or QUERY,
 * ABORT unknown_move (the source never committed it); nothing to the others.
 */
void mosix_mig_answer_unknown(const struct mosix_mig_msg *in, u16 self_pe,
			      u16 reason, struct mosix_mig_step *out);

/* a message for m (same id): -EAGAIN with out->drop set if not taken */
int mosix_mig_on_msg(struct mosix_mig_move *m, const struct mosix_mig_msg *in,
		     s64 now_ms, struct mosix_mig_step *out);

/* a helper's report, or the peer's reboot: -EAGAIN if this state ignores it */
int mosix_mig_on_event(struct mosix_mig_move *m, enum mosix_mig_event ev,
		       u32 arg, s64 now_ms, struct mosix_mig_step *out);

/* retransmits and timeouts: call at mosix_mig_next_ms() or later */
void mosix_mig_on_timer(struct mosix_mig_move *m, s64 now_ms,
			struct mosix_mig_step *out);

/* when mosix_mig_on_timer() has something to do */
s64 mosix_mig_next_ms(const struct mosix_mig_move *m);

#endif /* MOSIX_MIG_MOVE_H */
