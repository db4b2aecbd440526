/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The migration control messages (format in the UAPI header, protocol in
 * docs/migration-design.md): codec, names, and the input of the per-move
 * key. Pure logic, compiled into the module, the unit tests and a fuzzer; no
 * sockets, no crypto: the caller computes and checks the HMAC-SHA256 tag,
 * and keeps the replay state (mosix_info_replay_ok()) per sender.
 *
 * Receive path: mosix_mig_peek() (no crypto yet: length, magic, version,
 * type; the claimed sender), verify the tag over [0, MOSIX_MIG_TAG_OFF),
 * mosix_mig_decode(), mosix_info_check_sender(), mosix_mig_check_to(), the
 * replay rule. Send path: mosix_mig_encode(), append the tag at the offset
 * it returns.
 */
#ifndef MOSIX_MIG_WIRE_H
#define MOSIX_MIG_WIRE_H

#include "mosix_info.h"

#define MOSIX_MIG_TAG_OFF	(MOSIX_INFO_HDR_LEN + MOSIX_MIG_BODY_LEN)
/* "mosix-mig-v1" || id || nonce_s || nonce_t || source PE || target PE */
#define MOSIX_MIG_KEY_INPUT_LEN	(12 + 8 + 2 * MOSIX_MIG_NONCE_LEN + 2 + 2)

struct mosix_mig_msg {
	u8 type;			/* enum mosix_mig_type */
	u16 sender_pe;
	u64 epoch;			/* the sender's boot epoch */
	u64 seq;
	u64 id;				/* the move */
	u16 home_pe;			/* the job: HOME.NUM */
	u32 job_num;
	u16 to_pe;
	union {
		u32 uid;		/* OFFER, ASK */
		u32 total_kib;		/* PROGRESS: the images' size */
	};
	u16 code;			/* reason, outcome or phase, by type */
	u8 nonce_s[MOSIX_MIG_NONCE_LEN];
	u8 nonce_t[MOSIX_MIG_NONCE_LEN];
	u64 arg;			/* size estimate, port, pid, PE, KiB sent, by type */
};

/* true for the types of enum mosix_mig_type */
bool mosix_mig_type_ok(unsigned int type);
/* "offer", ...; "unknown" for any other value */
const char *mosix_mig_type_name(unsigned int type);
/* "blocked", ...; "unknown" for any other value */
const char *mosix_mig_reason_name(unsigned int reason);
/*
 * The errno a user sees for a reason (negative: -EPERM for blocked, ...);
 * -EPROTO for a value outside the enum, 0 for MOSIX_MIG_R_NONE.
 */
int mosix_mig_reason_errno(unsigned int reason);

/* the body's rules alone (id, job, addressee, nonces, per-type fields) */
bool mosix_mig_body_ok(const struct mosix_mig_msg *m);

/*
 * Every rule of the format on the decoded form: 0, or -EPROTO (bad_type),
 * -ERANGE (bad_field: a value out of range or a field the type leaves
 * zero that is not), -EINVAL (bad_sender: to_pe is the sender) with *why.
 */
int mosix_mig_validate(const struct mosix_mig_msg *m, enum mosix_info_drop *why);

/*
 * Writes the message (without its tag) into buf: MOSIX_MIG_TAG_OFF, the
 * offset where the caller appends the tag (size must leave room for it:
 * MOSIX_MIG_MSG_LEN); -EINVAL if it would not validate, -EMSGSIZE if buf is
 * too small.
 */
int mosix_mig_encode(const struct mosix_mig_msg *m, u8 *buf, size_t size);

/*
 * Before any crypto: 1 if buf is a control message by its type byte (then
 * length, magic, version and count checked: 0 or a negative errno with *why
 * as mosix_info_peek()), and *sender_pe the claimed sender; 0 if it is not
 * one (an info datagram, or garbage for mosix_info_peek() to reject).
 */
int mosix_mig_peek(const u8 *buf, size_t len, u32 *sender_pe, int *err,
		   enum mosix_info_drop *why);

/*
 * Parses a message of len bytes (tag included, already verified): 0, or
 * -EMSGSIZE (truncated, oversized), -EPROTO (bad_magic, bad_type),
 * -EPROTONOSUPPORT (bad_version), -E2BIG (bad_count), -ERANGE (bad_field),
 * -EINVAL (bad_sender), with *why. *m may be clobbered on failure.
 */
int mosix_mig_decode(const u8 *buf, size_t len, struct mosix_mig_msg *m,
		     enum mosix_info_drop *why);

/* 0 if the message is for self_pe; -EXDEV otherwise (a reflected message) */
int mosix_mig_check_to(const struct mosix_mig_msg *m, u32 self_pe);

/*
 * The HMAC input of a move's key, K = HMAC-SHA256(cluster key, input):
 * writes MOSIX_MIG_KEY_INPUT_LEN bytes to out. Both ends compute it once
 * both nonces are known; source_pe is the node the job leaves.
 */
void mosix_mig_key_input(u64 id, const u8 *nonce_s, const u8 *nonce_t,
			 u16 source_pe, u16 target_pe,
			 u8 out[MOSIX_MIG_KEY_INPUT_LEN]);

#endif /* MOSIX_MIG_WIRE_H */
