// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine of one move (see mosix_mig_move.h for the rule it keeps).
 * Shared by the module and the unit tests. Every transition is in the tables
 * of on_source_msg()/on_target_msg()/mosix_mig_on_event()/mosix_mig_on_timer():
 * what is not there leaves the move as it was.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "mosix_mig_move.h"

static const char * const state_names[] = {
	[MOSIX_MIG_S_OFFERED]		= "offered",
	[MOSIX_MIG_S_STREAMING]		= "streaming",
	[MOSIX_MIG_S_COMMITTING]	= "committing",
	[MOSIX_MIG_T_RECEIVING]		= "receiving",
	[MOSIX_MIG_T_PREPARED]		= "prepared",
	[MOSIX_MIG_DONE]		= "done",
};

static const char * const action_names[] = {
	[MOSIX_MIG_ACT_NONE]		= "none",
	[MOSIX_MIG_ACT_STREAM]		= "stream",
	[MOSIX_MIG_ACT_RESUME]		= "resume",
	[MOSIX_MIG_ACT_KILL_COPY]	= "kill_copy",
	[MOSIX_MIG_ACT_RECEIVE]		= "receive",
	[MOSIX_MIG_ACT_DISCARD]		= "discard",
	[MOSIX_MIG_ACT_RUN]		= "run",
	[MOSIX_MIG_ACT_FORGET]		= "forget",
};

const char *mosix_mig_state_name(unsigned int state)
{
	if (state >= ARRAY_SIZE(state_names) || !state_names[state])
		return "unknown";
	return state_names[state];
}

const char *mosix_mig_action_name(unsigned int action)
{
	if (action >= ARRAY_SIZE(action_names))
		return "unknown";
	return action_names[action];
}

static bool timeouts_ok(const struct mosix_mig_timeouts *t)
{
	return t->rto_ms && t->offer_ms && t->stream_ms && t->prepared_ms && t->keep_ms;
}

static void clear(struct mosix_mig_step *out)
{
	memset(out, 0, sizeof(*out));
}

/* the message of this move of the given type, to the peer */
static void say(const struct mosix_mig_move *m, struct mosix_mig_step *out,
		u8 type, u16 code, u64 arg)
{
	struct mosix_mig_msg *o = &out->msg;

	out->send = true;
	memset(o, 0, sizeof(*o));
	o->type = type;
	o->id = m->id;
	o->home_pe = m->home_pe;
	o->job_num = m->job_num;
	o->to_pe = m->peer_pe;
	o->code = code;
	o->arg = arg;
	memcpy(o->nonce_s, m->nonce_s, sizeof(o->nonce_s));
	if (type == MOSIX_MIG_TYPE_OFFER) {
		o->uid = m->uid;
		return;
	}
	if (type != MOSIX_MIG_TYPE_REFUSE)
		memcpy(o->nonce_t, m->nonce_t, sizeof(o->nonce_t));
}

static void enter(struct mosix_mig_move *m, u8 state, s64 now_ms, bool resend)
{
	m->state = state;
	m->state_ms = now_ms;
	m->next_tx_ms = resend ? now_ms + m->t.rto_ms : 0;
}

/* the move ends: an outcome, kept for keep_ms to answer repeated messages */
static void finish(struct mosix_mig_move *m, u8 outcome, u16 reason, s64 now_ms,
		   struct mosix_mig_step *out, u8 action)
{
	m->outcome = outcome;
	m->reason = reason;
	enter(m, MOSIX_MIG_DONE, now_ms, false);
	out->action = action;
}

static void abort_move(struct mosix_mig_move *m, u16 reason, s64 now_ms,
		       struct mosix_mig_step *out, u8 action)
{
	say(m, out, MOSIX_MIG_TYPE_ABORT, reason, 0);
	finish(m, MOSIX_MIG_OUTCOME_ABORTED, reason, now_ms, out, action);
}

int mosix_mig_source_start(struct mosix_mig_move *m, u64 id, u16 self_pe,
			   u16 peer_pe, u16 home_pe, u32 job_num, u32 uid,
			   u64 image_kb, const u8 *nonce_s,
			   const struct mosix_mig_timeouts *t, s64 now_ms,
			   struct mosix_mig_step *out)
{
	clear(out);
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->role = MOSIX_MIG_SOURCE;
	m->self_pe = self_pe;
	m->peer_pe = peer_pe;
	m->home_pe = home_pe;
	m->job_num = job_num;
	m->uid = uid;
	m->image_kb = image_kb;
	m->t = *t;
	memcpy(m->nonce_s, nonce_s, sizeof(m->nonce_s));
	say(m, out, MOSIX_MIG_TYPE_OFFER, 0, image_kb);
	if (!self_pe || self_pe == peer_pe || !timeouts_ok(t) ||
	    !mosix_mig_body_ok(&out->msg)) {
		clear(out);
		return -EINVAL;
	}
	enter(m, MOSIX_MIG_S_OFFERED, now_ms, true);
	return 0;
}

int mosix_mig_target_accept(struct mosix_mig_move *m,
			    const struct mosix_mig_msg *offer, u16 self_pe,
			    const u8 *nonce_t, u16 port,
			    const struct mosix_mig_timeouts *t, s64 now_ms,
			    struct mosix_mig_step *out)
{
	static const u8 zero[MOSIX_MIG_NONCE_LEN];

	clear(out);
	if (offer->type != MOSIX_MIG_TYPE_OFFER || offer->to_pe != self_pe ||
	    !port || !timeouts_ok(t) || !memcmp(nonce_t, zero, sizeof(zero)))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->id = offer->id;
	m->role = MOSIX_MIG_TARGET;
	m->self_pe = self_pe;
	m->peer_pe = offer->sender_pe;
	m->home_pe = offer->home_pe;
	m->job_num = offer->job_num;
	m->uid = offer->uid;
	m->image_kb = offer->arg;
	m->port = port;
	m->t = *t;
	memcpy(m->nonce_s, offer->nonce_s, sizeof(m->nonce_s));
	memcpy(m->nonce_t, nonce_t, sizeof(m->nonce_t));
	say(m, out, MOSIX_MIG_TYPE_ACCEPT, 0, port);
	out->action = MOSIX_MIG_ACT_RECEIVE;
	enter(m, MOSIX_MIG_T_RECEIVING, now_ms, false);
	return 0;
}

void mosix_mig_answer_unknown(const struct mosix_mig_msg *in, u16 self_pe,
			      u16 reason, struct mosix_mig_step *out)
{
	struct mosix_mig_move m = {
		.id = in->id, .self_pe = self_pe, .peer_pe = in->sender_pe,
		.home_pe = in->home_pe, .job_num = in->job_num,
	};

	clear(out);
	memcpy(m.nonce_s, in->nonce_s, sizeof(m.nonce_s));
	memcpy(m.nonce_t, in->nonce_t, sizeof(m.nonce_t));
	switch (in->type) {
	case MOSIX_MIG_TYPE_OFFER:
		say(&m, out, MOSIX_MIG_TYPE_REFUSE, reason, 0);
		break;
	case MOSIX_MIG_TYPE_PREPARED:
	case MOSIX_MIG_TYPE_QUERY:
		say(&m, out, MOSIX_MIG_TYPE_ABORT, MOSIX_MIG_R_UNKNOWN_MOVE, 0);
		break;
	case MOSIX_MIG_TYPE_COMMIT:
		/* only ever sent after our PREPARED: we ran it and forgot */
		say(&m, out, MOSIX_MIG_TYPE_COMMITTED, 0, 0);
		break;
	case MOSIX_MIG_TYPE_OUTCOME:
		if (in->code == MOSIX_MIG_OUTCOME_COMMITTED)
			say(&m, out, MOSIX_MIG_TYPE_COMMITTED, 0, 0);
		else
			out->drop = MOSIX_MIG_DROP_STATE;
		break;
	default:
		out->drop = MOSIX_MIG_DROP_STATE;
		break;
	}
}

static int dropped(struct mosix_mig_step *out, u8 why)
{
	out->drop = why;
	return -EAGAIN;
}

/* the answer to PREPARED (COMMIT/ABORT) or QUERY (OUTCOME) once decided */
static void tell_outcome(struct mosix_mig_move *m, u8 asked,
			 struct mosix_mig_step *out)
{
	bool committed = m->state == MOSIX_MIG_S_COMMITTING ||
			 m->outcome == MOSIX_MIG_OUTCOME_COMMITTED;

	if (asked == MOSIX_MIG_TYPE_QUERY)
		say(m, out, MOSIX_MIG_TYPE_OUTCOME, committed ?
		    MOSIX_MIG_OUTCOME_COMMITTED : MOSIX_MIG_OUTCOME_ABORTED, 0);
	else if (committed)
		say(m, out, MOSIX_MIG_TYPE_COMMIT, 0, 0);
	else
		say(m, out, MOSIX_MIG_TYPE_ABORT, m->reason ? m->reason : MOSIX_MIG_R_CANCELLED, 0);
}

static int on_source_msg(struct mosix_mig_move *m, const struct mosix_mig_msg *in,
			 s64 now_ms, struct mosix_mig_step *out)
{
	switch (m->state) {
	case MOSIX_MIG_S_OFFERED:
		switch (in->type) {
		case MOSIX_MIG_TYPE_ACCEPT:
			memcpy(m->nonce_t, in->nonce_t, sizeof(m->nonce_t));
			m->port = (u16)in->arg;
			enter(m, MOSIX_MIG_S_STREAMING, now_ms, false);
			out->action = MOSIX_MIG_ACT_STREAM;
			return 0;
		case MOSIX_MIG_TYPE_REFUSE:
		case MOSIX_MIG_TYPE_ABORT:
			/* the job was never touched: nothing to resume */
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, in->code, now_ms, out,
			       MOSIX_MIG_ACT_NONE);
			return 0;
		}
		break;
	case MOSIX_MIG_S_STREAMING:
		switch (in->type) {
		case MOSIX_MIG_TYPE_PREPARED:
		case MOSIX_MIG_TYPE_QUERY:
			/* the decision: from here on the job is the target's */
			m->pid = (u32)in->arg;
			enter(m, MOSIX_MIG_S_COMMITTING, now_ms, true);
			tell_outcome(m, in->type, out);
			out->action = MOSIX_MIG_ACT_KILL_COPY;
			return 0;
		case MOSIX_MIG_TYPE_ABORT:
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, in->code, now_ms, out,
			       MOSIX_MIG_ACT_RESUME);
			return 0;
		}
		break;
	case MOSIX_MIG_S_COMMITTING:
		switch (in->type) {
		case MOSIX_MIG_TYPE_PREPARED:
		case MOSIX_MIG_TYPE_QUERY:
			tell_outcome(m, in->type, out);
			return 0;
		case MOSIX_MIG_TYPE_COMMITTED:
			finish(m, MOSIX_MIG_OUTCOME_COMMITTED, 0, now_ms, out,
			       MOSIX_MIG_ACT_NONE);
			return 0;
		}
		break;
	case MOSIX_MIG_DONE:
		if (in->type == MOSIX_MIG_TYPE_PREPARED || in->type == MOSIX_MIG_TYPE_QUERY) {
			tell_outcome(m, in->type, out);
			return 0;
		}
		if (in->type == MOSIX_MIG_TYPE_ACCEPT &&
		    m->outcome == MOSIX_MIG_OUTCOME_ABORTED) {
			/* accepted after we gave up: free the target at once */
			say(m, out, MOSIX_MIG_TYPE_ABORT, m->reason, 0);
			memcpy(out->msg.nonce_t, in->nonce_t, sizeof(out->msg.nonce_t));
			return 0;
		}
		break;
	}
	return dropped(out, MOSIX_MIG_DROP_STATE);
}

static int on_target_msg(struct mosix_mig_move *m, const struct mosix_mig_msg *in,
			 s64 now_ms, struct mosix_mig_step *out)
{
	bool commit = in->type == MOSIX_MIG_TYPE_COMMIT ||
		      (in->type == MOSIX_MIG_TYPE_OUTCOME &&
		       in->code == MOSIX_MIG_OUTCOME_COMMITTED);
	bool abort = in->type == MOSIX_MIG_TYPE_ABORT ||
		     (in->type == MOSIX_MIG_TYPE_OUTCOME &&
		      in->code == MOSIX_MIG_OUTCOME_ABORTED);

	switch (m->state) {
	case MOSIX_MIG_T_RECEIVING:
		if (in->type == MOSIX_MIG_TYPE_OFFER) {	/* our ACCEPT was lost */
			say(m, out, MOSIX_MIG_TYPE_ACCEPT, 0, m->port);
			return 0;
		}
		if (abort) {
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, in->code, now_ms, out,
			       MOSIX_MIG_ACT_DISCARD);
			return 0;
		}
		break;
	case MOSIX_MIG_T_PREPARED:
		if (commit) {
			say(m, out, MOSIX_MIG_TYPE_COMMITTED, 0, 0);
			finish(m, MOSIX_MIG_OUTCOME_COMMITTED, 0, now_ms, out,
			       MOSIX_MIG_ACT_RUN);
			return 0;
		}
		if (abort) {
			finish(m, MOSIX_MIG_OUTCOME_ABORTED,
			       in->type == MOSIX_MIG_TYPE_ABORT ? in->code : MOSIX_MIG_R_CANCELLED,
			       now_ms, out, MOSIX_MIG_ACT_DISCARD);
			return 0;
		}
		break;
	case MOSIX_MIG_DONE:
		if (commit && m->outcome == MOSIX_MIG_OUTCOME_COMMITTED) {
			say(m, out, MOSIX_MIG_TYPE_COMMITTED, 0, 0);	/* it was lost */
			return 0;
		}
		break;
	}
	return dropped(out, MOSIX_MIG_DROP_STATE);
}

static bool source_sends(u8 type)
{
	return type == MOSIX_MIG_TYPE_OFFER || type == MOSIX_MIG_TYPE_COMMIT ||
	       type == MOSIX_MIG_TYPE_ABORT || type == MOSIX_MIG_TYPE_OUTCOME;
}

static bool target_sends(u8 type)
{
	return type != MOSIX_MIG_TYPE_OFFER && type != MOSIX_MIG_TYPE_COMMIT &&
	       type != MOSIX_MIG_TYPE_OUTCOME && mosix_mig_type_ok(type);
}

int mosix_mig_on_msg(struct mosix_mig_move *m, const struct mosix_mig_msg *in,
		     s64 now_ms, struct mosix_mig_step *out)
{
	static const u8 zero[MOSIX_MIG_NONCE_LEN];
	bool knows_t = memcmp(m->nonce_t, zero, sizeof(zero));

	clear(out);
	if (in->id != m->id || in->sender_pe != m->peer_pe || in->to_pe != m->self_pe ||
	    in->home_pe != m->home_pe || in->job_num != m->job_num)
		return dropped(out, MOSIX_MIG_DROP_PEER);
	if (memcmp(in->nonce_s, m->nonce_s, sizeof(m->nonce_s)))
		return dropped(out, MOSIX_MIG_DROP_NONCE);
	/* once this end knows the target's nonce, every message that carries one must match */
	if (knows_t && memcmp(in->nonce_t, zero, sizeof(zero)) &&
	    memcmp(in->nonce_t, m->nonce_t, sizeof(m->nonce_t)))
		return dropped(out, MOSIX_MIG_DROP_NONCE);
	if (m->role == MOSIX_MIG_SOURCE) {
		if (!target_sends(in->type))
			return dropped(out, MOSIX_MIG_DROP_STATE);
		return on_source_msg(m, in, now_ms, out);
	}
	if (!source_sends(in->type))
		return dropped(out, MOSIX_MIG_DROP_STATE);
	return on_target_msg(m, in, now_ms, out);
}

int mosix_mig_on_event(struct mosix_mig_move *m, enum mosix_mig_event ev,
		       u32 arg, s64 now_ms, struct mosix_mig_step *out)
{
	clear(out);
	switch (m->state) {
	case MOSIX_MIG_S_OFFERED:
		if (ev == MOSIX_MIG_EV_CANCEL) {
			abort_move(m, MOSIX_MIG_R_CANCELLED, now_ms, out, MOSIX_MIG_ACT_NONE);
			return 0;
		}
		if (ev == MOSIX_MIG_EV_PEER_REBOOTED) {
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, MOSIX_MIG_R_NOT_UP, now_ms, out,
			       MOSIX_MIG_ACT_NONE);
			return 0;
		}
		break;
	case MOSIX_MIG_S_STREAMING:
		if (ev == MOSIX_MIG_EV_DUMP_FAILED || ev == MOSIX_MIG_EV_CANCEL) {
			abort_move(m, ev == MOSIX_MIG_EV_CANCEL ? MOSIX_MIG_R_CANCELLED :
				   MOSIX_MIG_R_DUMP, now_ms, out, MOSIX_MIG_ACT_RESUME);
			return 0;
		}
		if (ev == MOSIX_MIG_EV_PEER_REBOOTED) {
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, MOSIX_MIG_R_NOT_UP, now_ms, out,
			       MOSIX_MIG_ACT_RESUME);
			return 0;
		}
		break;
	case MOSIX_MIG_S_COMMITTING:
		if (ev == MOSIX_MIG_EV_PEER_REBOOTED) {
			/* the job had left: it died with the target, nobody to ask */
			finish(m, MOSIX_MIG_OUTCOME_COMMITTED, MOSIX_MIG_R_NOT_UP, now_ms, out,
			       MOSIX_MIG_ACT_NONE);
			return 0;
		}
		break;
	case MOSIX_MIG_T_RECEIVING:
		switch (ev) {
		case MOSIX_MIG_EV_RESTORED:
			if (!arg || arg > MOSIX_MIG_PID_MAX)
				return -EINVAL;
			m->pid = arg;
			enter(m, MOSIX_MIG_T_PREPARED, now_ms, true);
			say(m, out, MOSIX_MIG_TYPE_PREPARED, 0, m->pid);
			return 0;
		case MOSIX_MIG_EV_RECEIVE_FAILED:
			abort_move(m, MOSIX_MIG_R_STREAM, now_ms, out, MOSIX_MIG_ACT_DISCARD);
			return 0;
		case MOSIX_MIG_EV_RESTORE_FAILED:
			abort_move(m, MOSIX_MIG_R_RESTORE, now_ms, out, MOSIX_MIG_ACT_DISCARD);
			return 0;
		case MOSIX_MIG_EV_PEER_REBOOTED:
			finish(m, MOSIX_MIG_OUTCOME_ABORTED, MOSIX_MIG_R_NOT_UP, now_ms, out,
			       MOSIX_MIG_ACT_DISCARD);
			return 0;
		default:
			break;
		}
		break;
	case MOSIX_MIG_T_PREPARED:
		if (ev == MOSIX_MIG_EV_PEER_REBOOTED) {
			/* the source's frozen copy died with it: ours is the only one */
			finish(m, MOSIX_MIG_OUTCOME_COMMITTED, 0, now_ms, out, MOSIX_MIG_ACT_RUN);
			return 0;
		}
		break;
	}
	return -EAGAIN;
}

s64 mosix_mig_next_ms(const struct mosix_mig_move *m)
{
	switch (m->state) {
	case MOSIX_MIG_S_OFFERED: {
		s64 end = m->state_ms + m->t.offer_ms;

		return m->next_tx_ms < end ? m->next_tx_ms : end;
	}
	case MOSIX_MIG_S_STREAMING:
	case MOSIX_MIG_T_RECEIVING:
		return m->state_ms + m->t.stream_ms;
	case MOSIX_MIG_S_COMMITTING:
	case MOSIX_MIG_T_PREPARED:
		return m->next_tx_ms;
	default:
		return m->state_ms + m->t.keep_ms;
	}
}

void mosix_mig_on_timer(struct mosix_mig_move *m, s64 now_ms,
			struct mosix_mig_step *out)
{
	clear(out);
	if (now_ms < mosix_mig_next_ms(m))
		return;
	switch (m->state) {
	case MOSIX_MIG_S_OFFERED:
		if (now_ms - m->state_ms >= m->t.offer_ms) {
			abort_move(m, MOSIX_MIG_R_TIMEOUT, now_ms, out, MOSIX_MIG_ACT_NONE);
			return;
		}
		say(m, out, MOSIX_MIG_TYPE_OFFER, 0, m->image_kb);
		break;
	case MOSIX_MIG_S_STREAMING:
		abort_move(m, MOSIX_MIG_R_TIMEOUT, now_ms, out, MOSIX_MIG_ACT_RESUME);
		return;
	case MOSIX_MIG_T_RECEIVING:
		abort_move(m, MOSIX_MIG_R_TIMEOUT, now_ms, out, MOSIX_MIG_ACT_DISCARD);
		return;
	case MOSIX_MIG_S_COMMITTING:
		say(m, out, MOSIX_MIG_TYPE_COMMIT, 0, 0);	/* until COMMITTED */
		break;
	case MOSIX_MIG_T_PREPARED:
		/* never decides alone: asks until the source answers */
		say(m, out, now_ms - m->state_ms < m->t.prepared_ms ?
		    MOSIX_MIG_TYPE_PREPARED : MOSIX_MIG_TYPE_QUERY, 0, m->pid);
		break;
	default:
		out->action = MOSIX_MIG_ACT_FORGET;
		return;
	}
	m->next_tx_ms = now_ms + m->t.rto_ms;
}
