// SPDX-License-Identifier: GPL-2.0
/*
 * The migration control messages' codec: round trip of every type, the byte
 * layout, each per-type field rule, the frame checks before any tag, the
 * message's addressee, the names and errnos of the reasons, and the input
 * of a move's key.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include "mosix_mig_wire.h"

/* a valid message of each type, from node 3 to node 5, about job 1.42 */
static struct mosix_mig_msg msg(u8 type)
{
	struct mosix_mig_msg m = {
		.type = type, .sender_pe = 3, .epoch = 1ULL << 21, .seq = 77,
		.id = 0x0123456789abcdefULL, .home_pe = 1, .job_num = 42, .to_pe = 5,
	};

	memset(m.nonce_s, 0xa5, sizeof(m.nonce_s));
	memset(m.nonce_t, 0x5a, sizeof(m.nonce_t));
	switch (type) {
	case MOSIX_MIG_TYPE_OFFER:
		m.uid = 1000;
		m.arg = 65536;
		memset(m.nonce_t, 0, sizeof(m.nonce_t));
		break;
	case MOSIX_MIG_TYPE_ACCEPT:
		m.arg = 40000;
		break;
	case MOSIX_MIG_TYPE_REFUSE:
		m.code = MOSIX_MIG_R_BLOCKED;
		memset(m.nonce_t, 0, sizeof(m.nonce_t));
		break;
	case MOSIX_MIG_TYPE_PREPARED:
	case MOSIX_MIG_TYPE_QUERY:
		m.arg = 4321;
		break;
	case MOSIX_MIG_TYPE_ABORT:
		m.code = MOSIX_MIG_R_STREAM;
		break;
	case MOSIX_MIG_TYPE_OUTCOME:
		m.code = MOSIX_MIG_OUTCOME_COMMITTED;
		break;
	case MOSIX_MIG_TYPE_ASK:	/* from the job's home, node 3 */
		m.home_pe = 3;
		m.uid = 1000;
		m.arg = 7;
		memset(m.nonce_t, 0, sizeof(m.nonce_t));
		break;
	case MOSIX_MIG_TYPE_ASKED:	/* to the job's home, node 5 */
		m.home_pe = 5;
		m.code = MOSIX_MIG_R_BLOCKED;
		m.arg = 3;
		memset(m.nonce_t, 0, sizeof(m.nonce_t));
		break;
	case MOSIX_MIG_TYPE_PROGRESS:	/* to the job's home, node 5: 1 MiB of 2 */
		m.home_pe = 5;
		m.code = MOSIX_MIG_PHASE_STREAMING;
		m.total_kib = 2048;
		m.arg = 1024;
		memset(m.nonce_t, 0, sizeof(m.nonce_t));
		break;
	}
	return m;
}

static bool same(const struct mosix_mig_msg *a, const struct mosix_mig_msg *b)
{
	return a->type == b->type && a->sender_pe == b->sender_pe &&
	       a->epoch == b->epoch && a->seq == b->seq && a->id == b->id &&
	       a->home_pe == b->home_pe && a->job_num == b->job_num &&
	       a->to_pe == b->to_pe && a->uid == b->uid && a->code == b->code &&
	       !memcmp(a->nonce_s, b->nonce_s, sizeof(a->nonce_s)) &&
	       !memcmp(a->nonce_t, b->nonce_t, sizeof(a->nonce_t)) &&
	       a->arg == b->arg;
}

/* encodes m with a dummy tag: the full message */
static void wire(const struct mosix_mig_msg *m, u8 buf[MOSIX_MIG_MSG_LEN])
{
	ck_assert_int_eq(mosix_mig_encode(m, buf, MOSIX_MIG_MSG_LEN), MOSIX_MIG_TAG_OFF);
	memset(buf + MOSIX_MIG_TAG_OFF, 0xee, MOSIX_INFO_TAG_LEN);
}

START_TEST(test_every_type_round_trips)
{
	struct mosix_mig_msg m = msg((u8)_i), back;
	enum mosix_info_drop why = MOSIX_INFO_DROP_BAD_TAG;
	u8 buf[MOSIX_MIG_MSG_LEN];

	wire(&m, buf);
	memset(&back, 0x33, sizeof(back));
	ck_assert_int_eq(mosix_mig_decode(buf, sizeof(buf), &back, &why), 0);
	ck_assert_msg(same(&m, &back), "%s does not round-trip", mosix_mig_type_name(m.type));
	ck_assert_str_ne(mosix_mig_type_name(m.type), "unknown");
}
END_TEST

START_TEST(test_wire_bytes_sit_at_the_documented_offsets)
{
	static const u8 head[] = {
		'M', 'X', 1, MOSIX_MIG_TYPE_OFFER, 0, 3, 0, 0,
		0, 0, 0, 0, 0, 0x20, 0, 0,		/* epoch 2^21 */
		0, 0, 0, 0, 0, 0, 0, 77,		/* seq */
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,	/* id */
		0, 1, 0, 5, 0, 0, 0, 42,		/* home, to, job */
		0, 0, 0x03, 0xe8, 0, 0, 0, 0,		/* uid 1000, code, reserved */
	};
	struct mosix_mig_msg m = msg(MOSIX_MIG_TYPE_OFFER);
	u8 buf[MOSIX_MIG_MSG_LEN];
	unsigned int i;

	ck_assert_int_eq(MOSIX_MIG_MSG_LEN, 120);
	wire(&m, buf);
	ck_assert_int_eq(memcmp(buf, head, sizeof(head)), 0);
	for (i = 48; i < 64; i++)
		ck_assert_int_eq(buf[i], 0xa5);
	for (i = 64; i < 80; i++)
		ck_assert_int_eq(buf[i], 0);
	for (i = 80; i < 88; i++)	/* image 65536 KiB */
		ck_assert_int_eq(buf[i], i == 85 ? 1 : 0);
}
END_TEST

START_TEST(test_every_byte_counts)
{
	/* any change of one byte before the tag is refused or decodes differently */
	static const u8 types[] = {
		MOSIX_MIG_TYPE_OFFER, MOSIX_MIG_TYPE_ACCEPT, MOSIX_MIG_TYPE_ABORT,
		MOSIX_MIG_TYPE_OUTCOME, MOSIX_MIG_TYPE_ASK, MOSIX_MIG_TYPE_ASKED,
		MOSIX_MIG_TYPE_PROGRESS,
	};
	unsigned int t, i;

	for (t = 0; t < sizeof(types); t++) {
		struct mosix_mig_msg m = msg(types[t]), back;
		enum mosix_info_drop why;
		u8 buf[MOSIX_MIG_MSG_LEN];

		for (i = 0; i < MOSIX_MIG_TAG_OFF; i++) {
			wire(&m, buf);
			buf[i] ^= 0x01;
			if (!mosix_mig_decode(buf, sizeof(buf), &back, &why))
				ck_assert_msg(!same(&m, &back), "byte %u of %s ignored", i,
					      mosix_mig_type_name(m.type));
		}
	}
}
END_TEST

/* one field set to a value its type does not allow */
enum field { F_ID, F_HOME, F_JOB, F_TO, F_EPOCH, F_SEQ, F_SENDER, F_TO_SENDER,
	     F_NONCE_S_ZERO, F_NONCE_T_ZERO, F_NONCE_T_SET, F_CODE, F_UID, F_ARG };

static const struct field_case {
	const char *what;
	u8 type;
	enum field field;
	u64 value;
	enum mosix_info_drop why;
} field_cases[] = {
#define CASE(t, w, f, v, reason) \
	{ w, MOSIX_MIG_TYPE_##t, f, v, MOSIX_INFO_DROP_##reason }
	CASE(OFFER, "id 0", F_ID, 0, BAD_FIELD),
	CASE(OFFER, "home 0", F_HOME, 0, BAD_FIELD),
	CASE(OFFER, "job 0", F_JOB, 0, BAD_FIELD),
	CASE(OFFER, "to 0", F_TO, 0, BAD_FIELD),
	CASE(OFFER, "epoch 0", F_EPOCH, 0, BAD_FIELD),
	CASE(OFFER, "seq 0", F_SEQ, 0, BAD_FIELD),
	CASE(OFFER, "sender 0", F_SENDER, 0, BAD_FIELD),
	CASE(OFFER, "to the sender", F_TO_SENDER, 0, BAD_SENDER),
	CASE(OFFER, "no source nonce", F_NONCE_S_ZERO, 0, BAD_FIELD),
	CASE(OFFER, "a target nonce", F_NONCE_T_SET, 0, BAD_FIELD),
	CASE(OFFER, "a code", F_CODE, MOSIX_MIG_R_BUSY, BAD_FIELD),
	CASE(OFFER, "uid -1", F_UID, 0xffffffffU, BAD_FIELD),
	CASE(OFFER, "image 0", F_ARG, 0, BAD_FIELD),
	CASE(OFFER, "image too big", F_ARG, MOSIX_MIG_IMAGE_MAX_KB + 1, BAD_FIELD),
	CASE(ACCEPT, "port 0", F_ARG, 0, BAD_FIELD),
	CASE(ACCEPT, "port 65536", F_ARG, 65536, BAD_FIELD),
	CASE(ACCEPT, "no target nonce", F_NONCE_T_ZERO, 0, BAD_FIELD),
	CASE(ACCEPT, "a uid", F_UID, 1000, BAD_FIELD),
	CASE(REFUSE, "no reason", F_CODE, 0, BAD_FIELD),
	CASE(REFUSE, "reason past the end", F_CODE, __MOSIX_MIG_R_END, BAD_FIELD),
	CASE(REFUSE, "a target nonce", F_NONCE_T_SET, 0, BAD_FIELD),
	CASE(REFUSE, "an arg", F_ARG, 1, BAD_FIELD),
	CASE(PREPARED, "pid 0", F_ARG, 0, BAD_FIELD),
	CASE(PREPARED, "pid past the limit", F_ARG, MOSIX_MIG_PID_MAX + 1, BAD_FIELD),
	CASE(PREPARED, "a code", F_CODE, 1, BAD_FIELD),
	CASE(COMMIT, "no target nonce", F_NONCE_T_ZERO, 0, BAD_FIELD),
	CASE(COMMIT, "an arg", F_ARG, 9, BAD_FIELD),
	CASE(COMMIT, "a code", F_CODE, 1, BAD_FIELD),
	CASE(COMMITTED, "a uid", F_UID, 1, BAD_FIELD),
	CASE(ABORT, "no reason", F_CODE, 0, BAD_FIELD),
	CASE(ABORT, "an arg", F_ARG, 1, BAD_FIELD),
	CASE(QUERY, "no target nonce", F_NONCE_T_ZERO, 0, BAD_FIELD),
	CASE(QUERY, "pid 0", F_ARG, 0, BAD_FIELD),
	CASE(OUTCOME, "outcome 0", F_CODE, 0, BAD_FIELD),
	CASE(OUTCOME, "outcome 3", F_CODE, 3, BAD_FIELD),
	CASE(ASK, "not from the job's home", F_HOME, 1, BAD_SENDER),
	CASE(ASK, "uid -1", F_UID, 0xffffffffU, BAD_FIELD),
	CASE(ASK, "to node 0", F_ARG, 0, BAD_FIELD),
	CASE(ASK, "to node 65536", F_ARG, 65536, BAD_FIELD),
	CASE(ASK, "a target nonce", F_NONCE_T_SET, 0, BAD_FIELD),
	CASE(ASK, "a code", F_CODE, MOSIX_MIG_R_BUSY, BAD_FIELD),
	CASE(ASKED, "not to the job's home", F_HOME, 1, BAD_SENDER),
	CASE(ASKED, "reason past the end", F_CODE, __MOSIX_MIG_R_END, BAD_FIELD),
	CASE(ASKED, "a uid", F_UID, 1000, BAD_FIELD),
	CASE(ASKED, "where 0", F_ARG, 0, BAD_FIELD),
	CASE(ASKED, "a target nonce", F_NONCE_T_SET, 0, BAD_FIELD),
	CASE(PROGRESS, "not to the job's home", F_HOME, 1, BAD_SENDER),
	CASE(PROGRESS, "phase 0", F_CODE, 0, BAD_FIELD),
	CASE(PROGRESS, "phase past the end", F_CODE, __MOSIX_MIG_PHASE_END, BAD_FIELD),
	CASE(PROGRESS, "more bytes sent than in all", F_ARG, 2049, BAD_FIELD),
	CASE(PROGRESS, "bytes sent of an unknown size", F_UID, 0, BAD_FIELD),
	CASE(PROGRESS, "a target nonce", F_NONCE_T_SET, 0, BAD_FIELD),
#undef CASE
};

static void spoil(struct mosix_mig_msg *m, const struct field_case *c)
{
	switch (c->field) {
	case F_ID: m->id = c->value; break;
	case F_HOME: m->home_pe = (u16)c->value; break;
	case F_JOB: m->job_num = (u32)c->value; break;
	case F_TO: m->to_pe = (u16)c->value; break;
	case F_EPOCH: m->epoch = c->value; break;
	case F_SEQ: m->seq = c->value; break;
	case F_SENDER: m->sender_pe = (u16)c->value; break;
	case F_TO_SENDER: m->to_pe = m->sender_pe; break;
	case F_NONCE_S_ZERO: memset(m->nonce_s, 0, sizeof(m->nonce_s)); break;
	case F_NONCE_T_ZERO: memset(m->nonce_t, 0, sizeof(m->nonce_t)); break;
	case F_NONCE_T_SET: m->nonce_t[15] = 1; break;
	case F_CODE: m->code = (u16)c->value; break;
	case F_UID: m->uid = (u32)c->value; break;
	case F_ARG: m->arg = c->value; break;
	}
}

START_TEST(test_every_field_rule_is_checked_both_ways)
{
	const struct field_case *c = &field_cases[_i];
	struct mosix_mig_msg m = msg(c->type), back;
	enum mosix_info_drop why = MOSIX_INFO_DROP_BAD_TAG;
	u8 buf[MOSIX_MIG_MSG_LEN];

	spoil(&m, c);
	ck_assert_msg(mosix_mig_validate(&m, &why) < 0, "%s %s accepted",
		      mosix_mig_type_name(c->type), c->what);
	ck_assert_int_eq(why, c->why);
	ck_assert_int_eq(mosix_mig_encode(&m, buf, sizeof(buf)), -EINVAL);
	/* the same bytes forged on the wire: refused by the decoder */
	{
		struct mosix_mig_msg ok = msg(c->type);
		u8 *b = buf + MOSIX_INFO_HDR_LEN;

		wire(&ok, buf);
		buf[4] = (u8)(m.sender_pe >> 8);
		buf[5] = (u8)m.sender_pe;
		for (int i = 0; i < 8; i++) {
			buf[8 + i] = (u8)(m.epoch >> (56 - 8 * i));
			buf[16 + i] = (u8)(m.seq >> (56 - 8 * i));
			b[i] = (u8)(m.id >> (56 - 8 * i));
			b[56 + i] = (u8)(m.arg >> (56 - 8 * i));
		}
		b[8] = (u8)(m.home_pe >> 8), b[9] = (u8)m.home_pe;
		b[10] = (u8)(m.to_pe >> 8), b[11] = (u8)m.to_pe;
		for (int i = 0; i < 4; i++) {
			b[12 + i] = (u8)(m.job_num >> (24 - 8 * i));
			b[16 + i] = (u8)(m.uid >> (24 - 8 * i));
		}
		b[20] = (u8)(m.code >> 8), b[21] = (u8)m.code;
		memcpy(b + 24, m.nonce_s, 16);
		memcpy(b + 40, m.nonce_t, 16);
		why = MOSIX_INFO_DROP_BAD_TAG;
		ck_assert_int_lt(mosix_mig_decode(buf, sizeof(buf), &back, &why), 0);
		ck_assert_int_eq(why, c->why);
	}
}
END_TEST

START_TEST(test_frame_is_checked_before_any_tag)
{
	struct mosix_mig_msg m = msg(MOSIX_MIG_TYPE_COMMIT), back;
	u8 buf[MOSIX_MIG_MSG_LEN + 1];
	enum mosix_info_drop why;
	u32 sender = 0;
	int err = 1;

	wire(&m, buf);
	ck_assert_int_eq(mosix_mig_peek(buf, MOSIX_MIG_MSG_LEN, &sender, &err, &why), 1);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(sender, 3);

	ck_assert_int_eq(mosix_mig_peek(buf, MOSIX_MIG_MSG_LEN - 1, &sender, &err, &why), 1);
	ck_assert_int_eq(err, -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_TRUNCATED);
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN + 1, &back, &why), -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_OVERSIZED);

	buf[1] = 'Y';
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN, &back, &why), -EPROTO);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_MAGIC);
	buf[1] = 'X', buf[2] = 2;
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN, &back, &why), -EPROTONOSUPPORT);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_VERSION);
	buf[2] = 1, buf[7] = 1;
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN, &back, &why), -E2BIG);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_COUNT);
	buf[7] = 0, buf[MOSIX_INFO_HDR_LEN + 23] = 1;	/* reserved */
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN, &back, &why), -ERANGE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_FIELD);
	buf[MOSIX_INFO_HDR_LEN + 23] = 0, buf[3] = __MOSIX_MIG_TYPE_END;
	ck_assert_int_eq(mosix_mig_decode(buf, MOSIX_MIG_MSG_LEN, &back, &why), -EPROTO);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_TYPE);
	/* not a control message: the info decoder's to judge */
	ck_assert_int_eq(mosix_mig_peek(buf, MOSIX_MIG_MSG_LEN, &sender, &err, &why), 0);
	buf[3] = MOSIX_INFO_TYPE_INFO;
	ck_assert_int_eq(mosix_mig_peek(buf, MOSIX_MIG_MSG_LEN, &sender, &err, &why), 0);
	ck_assert_int_eq(mosix_mig_peek(buf, 3, &sender, &err, &why), 0);
	ck_assert_int_eq(mosix_mig_encode(&m, buf, MOSIX_MIG_MSG_LEN - 1), -EMSGSIZE);
}
END_TEST

START_TEST(test_a_message_is_for_its_addressee_only)
{
	struct mosix_mig_msg m = msg(MOSIX_MIG_TYPE_ACCEPT);

	ck_assert_int_eq(mosix_mig_check_to(&m, 5), 0);
	ck_assert_int_eq(mosix_mig_check_to(&m, 4), -EXDEV);
	ck_assert_int_eq(mosix_mig_check_to(&m, 3), -EXDEV);
}
END_TEST

START_TEST(test_every_reason_has_a_name_and_an_errno)
{
	unsigned int r, s;

	ck_assert_int_eq(mosix_mig_reason_errno(MOSIX_MIG_R_NONE), 0);
	for (r = 1; r < __MOSIX_MIG_R_END; r++) {
		ck_assert_str_ne(mosix_mig_reason_name(r), "unknown");
		ck_assert_int_lt(mosix_mig_reason_errno(r), 0);
		for (s = 0; s < r; s++)
			ck_assert_str_ne(mosix_mig_reason_name(r), mosix_mig_reason_name(s));
	}
	ck_assert_str_eq(mosix_mig_reason_name(__MOSIX_MIG_R_END), "unknown");
	ck_assert_int_eq(mosix_mig_reason_errno(__MOSIX_MIG_R_END), -EPROTO);
	ck_assert_int_eq(mosix_mig_reason_errno(MOSIX_MIG_R_BLOCKED), -EPERM);
	ck_assert_int_eq(mosix_mig_reason_errno(MOSIX_MIG_R_TIMEOUT), -ETIMEDOUT);
	ck_assert_str_eq(mosix_mig_type_name(MOSIX_MIG_TYPE_OFFER - 1), "unknown");
	ck_assert_str_eq(mosix_mig_type_name(__MOSIX_MIG_TYPE_END), "unknown");
	ck_assert_str_eq(mosix_mig_type_name(MOSIX_MIG_TYPE_OUTCOME), "outcome");
	ck_assert_str_eq(mosix_mig_type_name(MOSIX_MIG_TYPE_ASKED), "asked");
	ck_assert_str_eq(mosix_mig_type_name(MOSIX_MIG_TYPE_PROGRESS), "progress");
	ck_assert_int_eq(mosix_mig_reason_errno(MOSIX_MIG_R_NOT_HERE), -ESRCH);
}
END_TEST

START_TEST(test_key_input_binds_move_nonces_and_direction)
{
	u8 ns[16], nt[16], a[MOSIX_MIG_KEY_INPUT_LEN], b[MOSIX_MIG_KEY_INPUT_LEN];

	memset(ns, 1, 16);
	memset(nt, 2, 16);
	ck_assert_int_eq(MOSIX_MIG_KEY_INPUT_LEN, 56);
	mosix_mig_key_input(0x1122334455667788ULL, ns, nt, 3, 0x0105, a);
	ck_assert_int_eq(memcmp(a, "mosix-mig-v1", 12), 0);
	ck_assert_int_eq(a[12], 0x11);
	ck_assert_int_eq(a[19], 0x88);
	ck_assert_int_eq(a[20], 1);
	ck_assert_int_eq(a[35], 1);
	ck_assert_int_eq(a[36], 2);
	ck_assert_int_eq(a[51], 2);
	ck_assert_int_eq(a[52], 0);
	ck_assert_int_eq(a[53], 3);
	ck_assert_int_eq(a[54], 1);
	ck_assert_int_eq(a[55], 5);
	/* the other direction is another key */
	mosix_mig_key_input(0x1122334455667788ULL, ns, nt, 0x0105, 3, b);
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
}
END_TEST

Suite *mig_wire_suite(void);

Suite *mig_wire_suite(void)
{
	Suite *s = suite_create("mig_wire");
	TCase *c = tcase_create("codec");

	tcase_add_loop_test(c, test_every_type_round_trips, MOSIX_MIG_TYPE_OFFER,
			    __MOSIX_MIG_TYPE_END);
	tcase_add_test(c, test_wire_bytes_sit_at_the_documented_offsets);
	tcase_add_test(c, test_every_byte_counts);
	tcase_add_loop_test(c, test_every_field_rule_is_checked_both_ways, 0,
			    (int)(sizeof(field_cases) / sizeof(field_cases[0])));
	tcase_add_test(c, test_frame_is_checked_before_any_tag);
	tcase_add_test(c, test_a_message_is_for_its_addressee_only);
	tcase_add_test(c, test_every_reason_has_a_name_and_an_errno);
	tcase_add_test(c, test_key_input_binds_move_nonces_and_direction);
	suite_add_tcase(s, c);
	return s;
}
