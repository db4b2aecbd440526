// SPDX-License-Identifier: GPL-2.0
/*
 * Migration control messages: codec, names, the key's input. Shared by the
 * module, the unit tests and the fuzzer (see mosix_mig_wire.h). A message
 * names its move (id), its job (HOME.NUM) and the node it is for, and
 * carries the nonces known so far, so that a receiver can tell a stale or
 * misdirected message from the one its state expects without trusting
 * anything the tag does not cover.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "mosix_mig_wire.h"
#include "mosix_be.h"

#define NR_TYPES	(__MOSIX_MIG_TYPE_END - MOSIX_MIG_TYPE_OFFER)

static const char * const type_names[NR_TYPES] = {
	[MOSIX_MIG_TYPE_OFFER - MOSIX_MIG_TYPE_OFFER]		= "offer",
	[MOSIX_MIG_TYPE_ACCEPT - MOSIX_MIG_TYPE_OFFER]		= "accept",
	[MOSIX_MIG_TYPE_REFUSE - MOSIX_MIG_TYPE_OFFER]		= "refuse",
	[MOSIX_MIG_TYPE_PREPARED - MOSIX_MIG_TYPE_OFFER]	= "prepared",
	[MOSIX_MIG_TYPE_COMMIT - MOSIX_MIG_TYPE_OFFER]		= "commit",
	[MOSIX_MIG_TYPE_COMMITTED - MOSIX_MIG_TYPE_OFFER]	= "committed",
	[MOSIX_MIG_TYPE_ABORT - MOSIX_MIG_TYPE_OFFER]		= "abort",
	[MOSIX_MIG_TYPE_QUERY - MOSIX_MIG_TYPE_OFFER]		= "query",
	[MOSIX_MIG_TYPE_OUTCOME - MOSIX_MIG_TYPE_OFFER]		= "outcome",
	[MOSIX_MIG_TYPE_ASK - MOSIX_MIG_TYPE_OFFER]		= "ask",
	[MOSIX_MIG_TYPE_ASKED - MOSIX_MIG_TYPE_OFFER]		= "asked",
	[MOSIX_MIG_TYPE_PROGRESS - MOSIX_MIG_TYPE_OFFER]	= "progress",
};

/* name and the errno a user sees, per reason */
static const struct {
	const char *name;
	int err;
} reasons[__MOSIX_MIG_R_END] = {
	[MOSIX_MIG_R_NONE]		= { "none", 0 },
	[MOSIX_MIG_R_BLOCKED]		= { "blocked", -EPERM },
	[MOSIX_MIG_R_NOT_UP]		= { "not_up", -ENETDOWN },
	[MOSIX_MIG_R_STOPPING]		= { "stopping", -ESHUTDOWN },
	[MOSIX_MIG_R_NO_CRIU]		= { "no_criu", -ENOPKG },
	[MOSIX_MIG_R_NO_MEMORY]		= { "no_memory", -ENOMEM },
	[MOSIX_MIG_R_TOO_BIG]		= { "too_big", -EFBIG },
	[MOSIX_MIG_R_ROOT_REFUSED]	= { "root_refused", -EACCES },
	[MOSIX_MIG_R_BUSY]		= { "busy", -EBUSY },
	[MOSIX_MIG_R_TIMEOUT]		= { "timeout", -ETIMEDOUT },
	[MOSIX_MIG_R_STREAM]		= { "stream", -EBADMSG },
	[MOSIX_MIG_R_RESTORE]		= { "restore", -EIO },
	[MOSIX_MIG_R_DUMP]		= { "dump", -EIO },
	[MOSIX_MIG_R_CANCELLED]		= { "cancelled", -ECANCELED },
	[MOSIX_MIG_R_UNKNOWN_MOVE]	= { "unknown_move", -ENOENT },
	[MOSIX_MIG_R_NOT_HERE]		= { "not_here", -ESRCH },
	[MOSIX_MIG_R_HOST]		= { "host", -EAGAIN },
};

bool mosix_mig_type_ok(unsigned int type)
{
	return type >= MOSIX_MIG_TYPE_OFFER && type < __MOSIX_MIG_TYPE_END;
}

const char *mosix_mig_type_name(unsigned int type)
{
	return mosix_mig_type_ok(type) ? type_names[type - MOSIX_MIG_TYPE_OFFER] : "unknown";
}

const char *mosix_mig_reason_name(unsigned int reason)
{
	return reason < __MOSIX_MIG_R_END ? reasons[reason].name : "unknown";
}

int mosix_mig_reason_errno(unsigned int reason)
{
	return reason < __MOSIX_MIG_R_END ? reasons[reason].err : -EPROTO;
}

static bool nonce_zero(const u8 *n)
{
	unsigned int i;
	u8 acc = 0;

	for (i = 0; i < MOSIX_MIG_NONCE_LEN; i++)
		acc |= n[i];
	return !acc;
}

/* the per-type rules: code, target nonce, arg, uid */
static bool fields_ok(const struct mosix_mig_msg *m)
{
	bool t_zero = nonce_zero(m->nonce_t);

	if (m->type != MOSIX_MIG_TYPE_OFFER && m->type != MOSIX_MIG_TYPE_ASK &&
	    m->type != MOSIX_MIG_TYPE_PROGRESS && m->uid)
		return false;
	switch (m->type) {
	case MOSIX_MIG_TYPE_PROGRESS:
		return m->code >= MOSIX_MIG_PHASE_DUMPING && m->code < __MOSIX_MIG_PHASE_END &&
		       t_zero && m->arg <= m->total_kib;
	case MOSIX_MIG_TYPE_ASK:
		return !m->code && t_zero && m->uid != 0xffffffffU &&
		       m->arg >= 1 && m->arg <= 65535;
	case MOSIX_MIG_TYPE_ASKED:
		return m->code < __MOSIX_MIG_R_END && t_zero && m->arg >= 1 && m->arg <= 65535;
	case MOSIX_MIG_TYPE_OFFER:
		return !m->code && t_zero && m->uid != 0xffffffffU &&
		       m->arg >= 1 && m->arg <= MOSIX_MIG_IMAGE_MAX_KB;
	case MOSIX_MIG_TYPE_ACCEPT:
		return !m->code && !t_zero && m->arg >= 1 && m->arg <= 65535;
	case MOSIX_MIG_TYPE_REFUSE:
		return m->code >= 1 && m->code < __MOSIX_MIG_R_END && t_zero && !m->arg;
	case MOSIX_MIG_TYPE_PREPARED:
	case MOSIX_MIG_TYPE_QUERY:
		return !m->code && !t_zero && m->arg >= 1 && m->arg <= MOSIX_MIG_PID_MAX;
	case MOSIX_MIG_TYPE_ABORT:
		return m->code >= 1 && m->code < __MOSIX_MIG_R_END && !m->arg;
	case MOSIX_MIG_TYPE_OUTCOME:
		return (m->code == MOSIX_MIG_OUTCOME_COMMITTED ||
			m->code == MOSIX_MIG_OUTCOME_ABORTED) && !t_zero && !m->arg;
	default:	/* COMMIT, COMMITTED */
		return !m->code && !t_zero && !m->arg;
	}
}

bool mosix_mig_body_ok(const struct mosix_mig_msg *m)
{
	return mosix_mig_type_ok(m->type) && m->id && m->home_pe && m->job_num &&
	       m->to_pe && !nonce_zero(m->nonce_s) && fields_ok(m);
}

int mosix_mig_validate(const struct mosix_mig_msg *m, enum mosix_info_drop *why)
{
	if (!mosix_mig_type_ok(m->type))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_TYPE, -EPROTO);
	if (!m->sender_pe || !m->epoch || !m->seq || !mosix_mig_body_ok(m))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_FIELD, -ERANGE);
	if (m->to_pe == m->sender_pe)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_SENDER, -EINVAL);
	/* only a job's home asks for it, and only its home hears how it goes */
	if ((m->type == MOSIX_MIG_TYPE_ASK && m->home_pe != m->sender_pe) ||
	    ((m->type == MOSIX_MIG_TYPE_ASKED || m->type == MOSIX_MIG_TYPE_PROGRESS) &&
	     m->home_pe != m->to_pe))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_SENDER, -EINVAL);
	return 0;
}

int mosix_mig_encode(const struct mosix_mig_msg *m, u8 *buf, size_t size)
{
	enum mosix_info_drop why;
	u8 *b = buf + MOSIX_INFO_HDR_LEN;

	if (mosix_mig_validate(m, &why))
		return -EINVAL;
	if (size < MOSIX_MIG_MSG_LEN)
		return -EMSGSIZE;
	buf[0] = MOSIX_INFO_MAGIC0;
	buf[1] = MOSIX_INFO_MAGIC1;
	buf[2] = MOSIX_INFO_VERSION;
	buf[3] = m->type;
	put_be16(buf + 4, m->sender_pe);
	put_be16(buf + 6, 0);
	put_be64(buf + 8, m->epoch);
	put_be64(buf + 16, m->seq);
	put_be64(b, m->id);
	put_be16(b + 8, m->home_pe);
	put_be16(b + 10, m->to_pe);
	put_be32(b + 12, m->job_num);
	put_be32(b + 16, m->uid);
	put_be16(b + 20, m->code);
	put_be16(b + 22, 0);
	memcpy(b + 24, m->nonce_s, MOSIX_MIG_NONCE_LEN);
	memcpy(b + 40, m->nonce_t, MOSIX_MIG_NONCE_LEN);
	put_be64(b + 56, m->arg);
	return MOSIX_MIG_TAG_OFF;
}

/* the checks that need no tag: length, magic, version, count */
static int frame_ok(const u8 *buf, size_t len, enum mosix_info_drop *why)
{
	if (len < MOSIX_MIG_MSG_LEN)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_TRUNCATED, -EMSGSIZE);
	if (len > MOSIX_MIG_MSG_LEN)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_OVERSIZED, -EMSGSIZE);
	if (buf[0] != MOSIX_INFO_MAGIC0 || buf[1] != MOSIX_INFO_MAGIC1)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_MAGIC, -EPROTO);
	if (buf[2] != MOSIX_INFO_VERSION)
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_VERSION, -EPROTONOSUPPORT);
	if (!mosix_mig_type_ok(buf[3]))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_TYPE, -EPROTO);
	if (get_be16(buf + 6))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_COUNT, -E2BIG);
	return 0;
}

int mosix_mig_peek(const u8 *buf, size_t len, u32 *sender_pe, int *err,
		   enum mosix_info_drop *why)
{
	if (len < 4 || !mosix_mig_type_ok(buf[3]))
		return 0;
	*err = frame_ok(buf, len, why);
	if (!*err)
		*sender_pe = get_be16(buf + 4);
	return 1;
}

int mosix_mig_decode(const u8 *buf, size_t len, struct mosix_mig_msg *m,
		     enum mosix_info_drop *why)
{
	const u8 *b = buf + MOSIX_INFO_HDR_LEN;
	int err;

	err = frame_ok(buf, len, why);
	if (err)
		return err;
	m->type = buf[3];
	m->sender_pe = get_be16(buf + 4);
	m->epoch = get_be64(buf + 8);
	m->seq = get_be64(buf + 16);
	m->id = get_be64(b);
	m->home_pe = get_be16(b + 8);
	m->to_pe = get_be16(b + 10);
	m->job_num = get_be32(b + 12);
	m->uid = get_be32(b + 16);
	m->code = get_be16(b + 20);
	if (get_be16(b + 22))
		return mosix_info_drop_as(why, MOSIX_INFO_DROP_BAD_FIELD, -ERANGE);
	memcpy(m->nonce_s, b + 24, MOSIX_MIG_NONCE_LEN);
	memcpy(m->nonce_t, b + 40, MOSIX_MIG_NONCE_LEN);
	m->arg = get_be64(b + 56);
	return mosix_mig_validate(m, why);
}

int mosix_mig_check_to(const struct mosix_mig_msg *m, u32 self_pe)
{
	return m->to_pe == self_pe ? 0 : -EXDEV;
}

void mosix_mig_key_input(u64 id, const u8 *nonce_s, const u8 *nonce_t,
			 u16 source_pe, u16 target_pe,
			 u8 out[MOSIX_MIG_KEY_INPUT_LEN])
{
	memcpy(out, "mosix-mig-v1", 12);
	put_be64(out + 12, id);
	memcpy(out + 20, nonce_s, MOSIX_MIG_NONCE_LEN);
	memcpy(out + 36, nonce_t, MOSIX_MIG_NONCE_LEN);
	put_be16(out + 52, source_pe);
	put_be16(out + 54, target_pe);
}
