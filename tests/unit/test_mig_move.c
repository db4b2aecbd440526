// SPDX-License-Identifier: GPL-2.0
/*
 * One move's state machine, both ends: the paths of docs/migration-design.md
 * one by one (accepted and committed, refused, each failure, lost messages,
 * the peer's reboot, messages that do not belong), then both ends driven
 * together through random loss, reordering, timeouts, helper failures and
 * cancels, checking after every step that the job never runs twice and is
 * never lost, and at the end that it runs exactly once and both ends forgot
 * the move. Every message goes through the wire codec.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "mosix_mig_move.h"

#define SRC	3
#define DST	5

static const struct mosix_mig_timeouts tmo = {
	.rto_ms = 200, .offer_ms = 2000, .stream_ms = 10000,
	.prepared_ms = 3000, .keep_ms = 30000,
};

static u8 ns[MOSIX_MIG_NONCE_LEN], nt[MOSIX_MIG_NONCE_LEN];

static void nonces(void)
{
	memset(ns, 0x11, sizeof(ns));
	memset(nt, 0x22, sizeof(nt));
}

/* what a step sent, as the peer decodes it: through the codec */
static struct mosix_mig_msg wire(const struct mosix_mig_step *st, u16 from)
{
	static u64 seq;
	struct mosix_mig_msg m = st->msg, back;
	enum mosix_info_drop why;
	u8 buf[MOSIX_MIG_MSG_LEN];

	ck_assert(st->send);
	m.sender_pe = from;
	m.epoch = 1;
	m.seq = ++seq;
	ck_assert_msg(mosix_mig_encode(&m, buf, sizeof(buf)) == MOSIX_MIG_TAG_OFF,
		      "a %s that does not encode", mosix_mig_type_name(m.type));
	memset(buf + MOSIX_MIG_TAG_OFF, 0, MOSIX_INFO_TAG_LEN);
	ck_assert_int_eq(mosix_mig_decode(buf, sizeof(buf), &back, &why), 0);
	return back;
}

static void start(struct mosix_mig_move *s, struct mosix_mig_move *t,
		  struct mosix_mig_msg *accept)
{
	struct mosix_mig_step st;
	struct mosix_mig_msg offer;

	nonces();
	ck_assert_int_eq(mosix_mig_source_start(s, 99, SRC, DST, 1, 42, 1000, 512, ns,
						&tmo, 0, &st), 0);
	offer = wire(&st, SRC);
	ck_assert_int_eq(offer.type, MOSIX_MIG_TYPE_OFFER);
	ck_assert_int_eq(offer.uid, 1000);
	ck_assert_int_eq(mosix_mig_target_accept(t, &offer, DST, nt, 40000, &tmo, 10, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RECEIVE);
	*accept = wire(&st, DST);
	ck_assert_int_eq(accept->arg, 40000);
}

START_TEST(test_an_accepted_move_commits_once_on_both_ends)
{
	struct mosix_mig_move s, t;
	struct mosix_mig_step st;
	struct mosix_mig_msg m;

	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_STREAM);
	ck_assert(!st.send);
	ck_assert_int_eq(s.port, 40000);
	ck_assert_int_eq(s.state, MOSIX_MIG_S_STREAMING);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 777, 500, &st), 0);
	m = wire(&st, DST);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_PREPARED);
	ck_assert_int_eq(m.arg, 777);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 510, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_KILL_COPY);
	ck_assert_int_eq(s.state, MOSIX_MIG_S_COMMITTING);
	m = wire(&st, SRC);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_COMMIT);
	ck_assert_int_eq(mosix_mig_on_msg(&t, &m, 520, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RUN);
	ck_assert_int_eq(t.outcome, MOSIX_MIG_OUTCOME_COMMITTED);
	m = wire(&st, DST);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_COMMITTED);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 530, &st), 0);
	ck_assert_int_eq(s.state, MOSIX_MIG_DONE);
	ck_assert_int_eq(s.outcome, MOSIX_MIG_OUTCOME_COMMITTED);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
	/* kept to answer, then forgotten */
	mosix_mig_on_timer(&s, 530 + tmo.keep_ms - 1, &st);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
	mosix_mig_on_timer(&s, 530 + tmo.keep_ms, &st);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_FORGET);
}
END_TEST

START_TEST(test_a_refusal_leaves_the_job_untouched_with_its_reason)
{
	struct mosix_mig_move s;
	struct mosix_mig_step st;
	struct mosix_mig_msg offer, m;

	nonces();
	ck_assert_int_eq(mosix_mig_source_start(&s, 7, SRC, DST, SRC, 1, 0, 1, ns, &tmo, 0, &st), 0);
	offer = wire(&st, SRC);
	mosix_mig_answer_unknown(&offer, DST, MOSIX_MIG_R_BLOCKED, &st);
	m = wire(&st, DST);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_REFUSE);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 5, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
	ck_assert_int_eq(s.outcome, MOSIX_MIG_OUTCOME_ABORTED);
	ck_assert_int_eq(s.reason, MOSIX_MIG_R_BLOCKED);
	ck_assert_int_eq(mosix_mig_reason_errno(s.reason), -EPERM);
}
END_TEST

START_TEST(test_no_answer_to_an_offer_times_out_after_retransmits)
{
	struct mosix_mig_move s;
	struct mosix_mig_step st;
	int offers = 0;
	s64 now = 0;

	nonces();
	ck_assert_int_eq(mosix_mig_source_start(&s, 7, SRC, DST, SRC, 1, 0, 1, ns, &tmo, 0, &st), 0);
	while (s.state == MOSIX_MIG_S_OFFERED) {
		now = mosix_mig_next_ms(&s);
		mosix_mig_on_timer(&s, now, &st);
		if (st.send && st.msg.type == MOSIX_MIG_TYPE_OFFER)
			offers++;
	}
	ck_assert_int_eq(offers, tmo.offer_ms / tmo.rto_ms - 1);
	ck_assert_int_eq(now, tmo.offer_ms);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
	ck_assert_int_eq(wire(&st, SRC).type, MOSIX_MIG_TYPE_ABORT);
	ck_assert_int_eq(s.reason, MOSIX_MIG_R_TIMEOUT);
}
END_TEST

START_TEST(test_each_failure_before_the_decision_resumes_the_source)
{
	/* _i: 0 dump fails, 1 the stream does not verify, 2 restore fails, 3 cancel,
	 * 4 the source's stream timeout, 5 the target's receive timeout */
	struct mosix_mig_move s, t;
	struct mosix_mig_step st;
	struct mosix_mig_msg m;

	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), 0);
	switch (_i) {
	case 0:
	case 3:
		ck_assert_int_eq(mosix_mig_on_event(&s, _i ? MOSIX_MIG_EV_CANCEL :
						    MOSIX_MIG_EV_DUMP_FAILED, 0, 30, &st), 0);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RESUME);
		m = wire(&st, SRC);
		ck_assert_int_eq(mosix_mig_on_msg(&t, &m, 40, &st), 0);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_DISCARD);
		break;
	case 1:
	case 2:
	case 5:
		if (_i == 5) {
			mosix_mig_on_timer(&t, 10 + tmo.stream_ms - 1, &st);
			ck_assert(!st.send);
			mosix_mig_on_timer(&t, 10 + tmo.stream_ms, &st);
		} else {
			ck_assert_int_eq(mosix_mig_on_event(&t, _i == 1 ? MOSIX_MIG_EV_RECEIVE_FAILED :
							    MOSIX_MIG_EV_RESTORE_FAILED, 0, 30, &st), 0);
		}
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_DISCARD);
		m = wire(&st, DST);
		ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_ABORT);
		ck_assert_int_eq(m.code, _i == 1 ? MOSIX_MIG_R_STREAM : _i == 2 ?
				 MOSIX_MIG_R_RESTORE : MOSIX_MIG_R_TIMEOUT);
		ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 40, &st), 0);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RESUME);
		ck_assert_int_eq(s.reason, m.code);
		break;
	case 4:
		mosix_mig_on_timer(&s, 20 + tmo.stream_ms, &st);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RESUME);
		ck_assert_int_eq(wire(&st, SRC).code, MOSIX_MIG_R_TIMEOUT);
		/* the ABORT lost; the target's late PREPARED is answered: abort */
		ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 9, 30 + tmo.stream_ms, &st), 0);
		m = wire(&st, DST);
		ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 40 + tmo.stream_ms, &st), 0);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
		m = wire(&st, SRC);
		ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_ABORT);
		ck_assert_int_eq(mosix_mig_on_msg(&t, &m, 50 + tmo.stream_ms, &st), 0);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_DISCARD);
		break;
	}
	ck_assert_int_eq(s.state, MOSIX_MIG_DONE);
	ck_assert_int_eq(s.outcome, MOSIX_MIG_OUTCOME_ABORTED);
	/* too late for the decision to change */
	ck_assert_int_eq(mosix_mig_on_event(&s, MOSIX_MIG_EV_CANCEL, 0, 50, &st), -EAGAIN);
}
END_TEST

START_TEST(test_a_prepared_target_asks_until_it_hears_and_never_decides_alone)
{
	struct mosix_mig_move s, t;
	struct mosix_mig_step st;
	struct mosix_mig_msg m;
	int prepared = 0, queries = 0;
	s64 now;

	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), 0);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 31, 100, &st), 0);
	/* every answer lost for ten minutes */
	for (now = 100; now < 600000; now = mosix_mig_next_ms(&t)) {
		mosix_mig_on_timer(&t, now, &st);
		ck_assert_int_eq(st.action, MOSIX_MIG_ACT_NONE);
		if (st.send)
			*(st.msg.type == MOSIX_MIG_TYPE_QUERY ? &queries : &prepared) += 1;
	}
	ck_assert_int_eq(t.state, MOSIX_MIG_T_PREPARED);
	ck_assert_int_ge(prepared, 10);
	ck_assert_int_ge(queries, 100);
	/* a QUERY decides for the source; its OUTCOME for the target */
	m = wire(&st, DST);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_QUERY);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, now, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_KILL_COPY);
	m = wire(&st, SRC);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_OUTCOME);
	ck_assert_int_eq(m.code, MOSIX_MIG_OUTCOME_COMMITTED);
	ck_assert_int_eq(mosix_mig_on_msg(&t, &m, now, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RUN);
}
END_TEST

START_TEST(test_a_lost_commit_is_sent_again_and_a_forgotten_move_still_confirms)
{
	struct mosix_mig_move s, t;
	struct mosix_mig_step st;
	struct mosix_mig_msg m, commit, unknown = { 0 };

	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), 0);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 31, 100, &st), 0);
	m = wire(&st, DST);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 110, &st), 0);	/* COMMIT, lost */
	mosix_mig_on_timer(&s, 110 + tmo.rto_ms, &st);
	commit = wire(&st, SRC);
	ck_assert_int_eq(commit.type, MOSIX_MIG_TYPE_COMMIT);
	ck_assert_int_eq(mosix_mig_on_msg(&t, &commit, 320, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RUN);
	/* COMMITTED lost, the target forgot: the next COMMIT is still confirmed */
	mosix_mig_answer_unknown(&commit, DST, 0, &st);
	m = wire(&st, DST);
	ck_assert_int_eq(m.type, MOSIX_MIG_TYPE_COMMITTED);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 400, &st), 0);
	ck_assert_int_eq(s.outcome, MOSIX_MIG_OUTCOME_COMMITTED);
	/* a source that knows no such move: the target discards (never committed) */
	unknown = m;
	unknown.type = MOSIX_MIG_TYPE_QUERY;
	unknown.arg = 5;
	mosix_mig_answer_unknown(&unknown, SRC, 0, &st);
	ck_assert_int_eq(st.msg.type, MOSIX_MIG_TYPE_ABORT);
	ck_assert_int_eq(st.msg.code, MOSIX_MIG_R_UNKNOWN_MOVE);
	unknown.type = MOSIX_MIG_TYPE_ABORT;
	unknown.code = MOSIX_MIG_R_BUSY;
	unknown.arg = 0;
	mosix_mig_answer_unknown(&unknown, SRC, 0, &st);
	ck_assert(!st.send);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_STATE);
}
END_TEST

START_TEST(test_a_reboot_of_the_source_after_prepared_runs_the_only_copy)
{
	struct mosix_mig_move s, t;
	struct mosix_mig_step st;
	struct mosix_mig_msg m;

	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_PEER_REBOOTED, 0, 30, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_DISCARD);	/* nothing restored yet */
	start(&s, &t, &m);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 31, 100, &st), 0);
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_PEER_REBOOTED, 0, 130, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RUN);
	ck_assert_int_eq(t.outcome, MOSIX_MIG_OUTCOME_COMMITTED);
	/* and the target's reboot while streaming: the source resumes */
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), 0);
	ck_assert_int_eq(mosix_mig_on_event(&s, MOSIX_MIG_EV_PEER_REBOOTED, 0, 140, &st), 0);
	ck_assert_int_eq(st.action, MOSIX_MIG_ACT_RESUME);
}
END_TEST

START_TEST(test_messages_that_do_not_belong_are_dropped_and_change_nothing)
{
	struct mosix_mig_move s, t, before;
	struct mosix_mig_step st;
	struct mosix_mig_msg acc, m;

	start(&s, &t, &acc);
	before = s;
	m = acc, m.sender_pe = 4;
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_PEER);
	m = acc, m.job_num = 43;
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_PEER);
	m = acc, m.nonce_s[3] ^= 1;
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_NONCE);
	m = acc, m.type = MOSIX_MIG_TYPE_COMMIT, m.arg = 0;	/* a source's type */
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_STATE);
	m = acc, m.type = MOSIX_MIG_TYPE_COMMITTED, m.arg = 0;	/* not in this state */
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 20, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_STATE);
	ck_assert_int_eq(memcmp(&s, &before, sizeof(s)), 0);
	ck_assert_int_eq(mosix_mig_on_msg(&s, &acc, 20, &st), 0);
	/* accepted: an ACCEPT with another target nonce is not this move's */
	before = s;
	m = acc, m.nonce_t[0] ^= 1, m.type = MOSIX_MIG_TYPE_PREPARED, m.arg = 8;
	ck_assert_int_eq(mosix_mig_on_msg(&s, &m, 30, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_NONCE);
	ck_assert_int_eq(memcmp(&s, &before, sizeof(s)), 0);
	/* the target takes no target's types, and no COMMIT before PREPARED */
	before = t;
	m = acc, m.sender_pe = SRC, m.to_pe = DST;
	ck_assert_int_eq(mosix_mig_on_msg(&t, &m, 30, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_STATE);
	m.type = MOSIX_MIG_TYPE_COMMIT, m.arg = 0;
	ck_assert_int_eq(mosix_mig_on_msg(&t, &m, 30, &st), -EAGAIN);
	ck_assert_int_eq(st.drop, MOSIX_MIG_DROP_STATE);
	ck_assert_int_eq(memcmp(&t, &before, sizeof(t)), 0);
	/* bad arguments */
	ck_assert_int_eq(mosix_mig_on_event(&t, MOSIX_MIG_EV_RESTORED, 0, 40, &st), -EINVAL);
	ck_assert_int_eq(mosix_mig_source_start(&s, 0, SRC, DST, 1, 1, 0, 1, ns, &tmo, 0, &st), -EINVAL);
	ck_assert_int_eq(mosix_mig_source_start(&s, 1, SRC, SRC, 1, 1, 0, 1, ns, &tmo, 0, &st), -EINVAL);
	ck_assert_int_eq(mosix_mig_target_accept(&t, &acc, DST, nt, 1, &tmo, 0, &st), -EINVAL);
	ck_assert_str_eq(mosix_mig_state_name(MOSIX_MIG_T_PREPARED), "prepared");
	ck_assert_str_eq(mosix_mig_state_name(0), "unknown");
	ck_assert_str_eq(mosix_mig_action_name(MOSIX_MIG_ACT_KILL_COPY), "kill_copy");
}
END_TEST

/* ---- both ends through a hostile network ---- */

enum { JOB_RUNNING, JOB_FROZEN, JOB_DEAD };		/* the source's copy */
enum { COPY_NONE, COPY_FROZEN, COPY_RUNNING, COPY_GONE };	/* the target's */

struct world {
	u64 rng;
	s64 now;
	struct mosix_mig_move s, t;
	bool s_alive, t_alive, streaming;
	int job, copy;
	u8 incarnation;
	struct { u16 to; struct mosix_mig_msg m; } net[64];
	unsigned int nnet;
	u64 last_seq[2];	/* the receivers' replay rule: (epoch 1) seq */
};

static u32 rnd(struct world *w, u32 n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (u32)(w->rng % n);
}

static void post(struct world *w, const struct mosix_mig_step *st, u16 from)
{
	if (!st->send)
		return;
	if (w->nnet == sizeof(w->net) / sizeof(w->net[0]))
		return;		/* a full queue loses it */
	w->net[w->nnet].to = from == SRC ? DST : SRC;
	w->net[w->nnet++].m = wire(st, from);
}

static void check(const struct world *w)
{
	ck_assert_msg(!(w->job == JOB_RUNNING && w->copy == COPY_RUNNING), "the job runs twice");
	ck_assert_msg(!(w->job == JOB_DEAD && w->copy != COPY_FROZEN && w->copy != COPY_RUNNING),
		      "the job is lost");
}

static void act(struct world *w, bool source, const struct mosix_mig_step *st)
{
	switch (st->action) {
	case MOSIX_MIG_ACT_STREAM:
		ck_assert(source && w->job == JOB_RUNNING);
		w->job = JOB_FROZEN;
		w->streaming = true;
		break;
	case MOSIX_MIG_ACT_RESUME:
		ck_assert(source && w->job != JOB_DEAD);
		w->job = JOB_RUNNING;
		w->streaming = false;
		break;
	case MOSIX_MIG_ACT_KILL_COPY:
		ck_assert(source && w->job == JOB_FROZEN);
		w->job = JOB_DEAD;
		w->streaming = false;
		break;
	case MOSIX_MIG_ACT_RECEIVE:
		ck_assert(!source);
		break;
	case MOSIX_MIG_ACT_DISCARD:
		ck_assert_msg(!source && w->copy != COPY_RUNNING, "a running job discarded");
		w->copy = COPY_GONE;
		break;
	case MOSIX_MIG_ACT_RUN:
		ck_assert(!source && w->copy == COPY_FROZEN);
		w->copy = COPY_RUNNING;
		break;
	case MOSIX_MIG_ACT_FORGET:
		if (source)
			w->s_alive = false;
		else
			w->t_alive = false;
		break;
	}
	check(w);
}

static void deliver(struct world *w, unsigned int i, bool keep)
{
	struct mosix_mig_msg m = w->net[i].m;
	bool to_src = w->net[i].to == SRC;
	struct mosix_mig_step st;

	if (!keep) {
		w->net[i] = w->net[--w->nnet];
	}
	if (m.seq <= w->last_seq[to_src])
		return;		/* not newer than the last taken from that sender */
	w->last_seq[to_src] = m.seq;
	if (to_src) {
		if (w->s_alive) {
			mosix_mig_on_msg(&w->s, &m, w->now, &st);
			act(w, true, &st);
		} else {
			mosix_mig_answer_unknown(&m, SRC, 0, &st);
		}
		post(w, &st, SRC);
		return;
	}
	if (w->t_alive) {
		mosix_mig_on_msg(&w->t, &m, w->now, &st);
		act(w, false, &st);
	} else if (m.type == MOSIX_MIG_TYPE_OFFER && w->copy != COPY_RUNNING && rnd(w, 5)) {
		u8 n[MOSIX_MIG_NONCE_LEN];

		memset(n, 0x40 + ++w->incarnation, sizeof(n));
		ck_assert_int_eq(mosix_mig_target_accept(&w->t, &m, DST, n, 40000, &tmo, w->now, &st), 0);
		w->t_alive = true;
		w->copy = COPY_NONE;
		act(w, false, &st);
	} else {
		mosix_mig_answer_unknown(&m, DST, MOSIX_MIG_R_BUSY, &st);
	}
	post(w, &st, DST);
}

static void timers(struct world *w)
{
	struct mosix_mig_step st;

	if (w->s_alive) {
		mosix_mig_on_timer(&w->s, w->now, &st);
		act(w, true, &st);
		post(w, &st, SRC);
	}
	if (w->t_alive) {
		mosix_mig_on_timer(&w->t, w->now, &st);
		act(w, false, &st);
		post(w, &st, DST);
	}
}

/* the helpers' work: the stream ends, well or not */
static void stream_ends(struct world *w, bool well)
{
	struct mosix_mig_step st;
	bool same = w->t_alive && w->t.state == MOSIX_MIG_T_RECEIVING &&
		    !memcmp(w->t.nonce_t, w->s.nonce_t, sizeof(w->t.nonce_t));

	w->streaming = false;
	if (well && same) {
		if (mosix_mig_on_event(&w->t, MOSIX_MIG_EV_RESTORED, 1234, w->now, &st) == 0)
			w->copy = COPY_FROZEN;
		act(w, false, &st);
		post(w, &st, DST);
		return;
	}
	if (same && rnd(w, 2)) {
		mosix_mig_on_event(&w->t, rnd(w, 2) ? MOSIX_MIG_EV_RECEIVE_FAILED :
				   MOSIX_MIG_EV_RESTORE_FAILED, 0, w->now, &st);
		act(w, false, &st);
		post(w, &st, DST);
	}
	if (w->s_alive && mosix_mig_on_event(&w->s, MOSIX_MIG_EV_DUMP_FAILED, 0, w->now, &st) == 0) {
		act(w, true, &st);
		post(w, &st, SRC);
	}
}

static s64 next_timer(const struct world *w)
{
	s64 a = w->s_alive ? mosix_mig_next_ms(&w->s) : INT64_MAX;
	s64 b = w->t_alive ? mosix_mig_next_ms(&w->t) : INT64_MAX;

	return a < b ? a : b;
}

START_TEST(test_random_loss_reordering_and_failures_never_run_the_job_twice_or_lose_it)
{
	unsigned int run, step, committed = 0, aborted = 0;

	for (run = 0; run < 3000; run++) {
		struct world w = { .rng = 0x9e3779b97f4a7c15ULL * (run + 1), .job = JOB_RUNNING };
		struct mosix_mig_step st;

		nonces();
		ck_assert_int_eq(mosix_mig_source_start(&w.s, 1 + run, SRC, DST, 1, 42, 1000, 64,
							ns, &tmo, 0, &st), 0);
		w.s_alive = true;
		post(&w, &st, SRC);
		/* chaos */
		for (step = 0; step < 80; step++) {
			switch (rnd(&w, 10)) {
			case 0: case 1: case 2: case 3:
				if (w.nnet)
					deliver(&w, rnd(&w, w.nnet), false);
				break;
			case 4:
				if (w.nnet)
					deliver(&w, rnd(&w, w.nnet), true);
				break;
			case 5:
				if (w.nnet) {
					unsigned int i = rnd(&w, w.nnet);

					w.net[i] = w.net[--w.nnet];
				}
				break;
			case 6: case 7:
				w.now += rnd(&w, 3 * tmo.rto_ms);
				if (rnd(&w, 8) == 0)
					w.now += tmo.stream_ms;
				timers(&w);
				break;
			case 8:
				if (w.streaming)
					stream_ends(&w, rnd(&w, 4) != 0);
				break;
			case 9:
				if (w.s_alive && rnd(&w, 4) == 0 &&
				    mosix_mig_on_event(&w.s, MOSIX_MIG_EV_CANCEL, 0, w.now, &st) == 0) {
					act(&w, true, &st);
					post(&w, &st, SRC);
				}
				break;
			}
		}
		/* calm: everything arrives, every stream succeeds, until both forget */
		for (step = 0; step < 5000 && (w.s_alive || w.t_alive || w.nnet); step++) {
			if (w.nnet) {
				deliver(&w, 0, false);
			} else if (w.streaming) {
				stream_ends(&w, true);
			} else {
				w.now = next_timer(&w);
				timers(&w);
			}
		}
		ck_assert_msg(!w.s_alive && !w.t_alive && !w.nnet, "run %u: no end", run);
		ck_assert_msg((w.job == JOB_RUNNING) + (w.copy == COPY_RUNNING) == 1,
			      "run %u: the job runs %s", run,
			      w.job == JOB_RUNNING ? "twice" : "nowhere");
		if (w.copy == COPY_RUNNING)
			committed++;
		else
			aborted++;
	}
	/* both ends of the rule were exercised */
	ck_assert_uint_gt(committed, 300);
	ck_assert_uint_gt(aborted, 300);
}
END_TEST

Suite *mig_move_suite(void);

Suite *mig_move_suite(void)
{
	Suite *s = suite_create("mig_move");
	TCase *c = tcase_create("move");

	tcase_add_test(c, test_an_accepted_move_commits_once_on_both_ends);
	tcase_add_test(c, test_a_refusal_leaves_the_job_untouched_with_its_reason);
	tcase_add_test(c, test_no_answer_to_an_offer_times_out_after_retransmits);
	tcase_add_loop_test(c, test_each_failure_before_the_decision_resumes_the_source, 0, 6);
	tcase_add_test(c, test_a_prepared_target_asks_until_it_hears_and_never_decides_alone);
	tcase_add_test(c, test_a_lost_commit_is_sent_again_and_a_forgotten_move_still_confirms);
	tcase_add_test(c, test_a_reboot_of_the_source_after_prepared_runs_the_only_copy);
	tcase_add_test(c, test_messages_that_do_not_belong_are_dropped_and_change_nothing);
	tcase_add_test(c, test_random_loss_reordering_and_failures_never_run_the_job_twice_or_lose_it);
	suite_add_tcase(s, c);
	return s;
}
