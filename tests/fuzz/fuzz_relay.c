// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the relay (tools/mosctl/relay.c): the receiving side
 * of either end of a connection, and the ticket parser. Blind bytes never
 * get past authentication, so the input is mostly plaintext that this
 * target encrypts with the relay's key, as the peer would:
 *
 *   byte 0   bit 0: the end under test: 0 the keeper (the target forges the
 *            remote end's reply and up records), 1 the remote end (the
 *            target forges the keeper's hello and down records)
 *            bit 1: raw, the rest follows the handshake as it is
 *            bit 2: keeper only: no HELLO of the target's, the input's first
 *            record is the first up record (with the clear hello as its
 *            additional data, as HELLO has)
 *   then     records: tag u8 (its low 2 bits: MESSAGE, PUSH, REKEY, FINAL),
 *            length u16 BE, plaintext; a last incomplete one goes as raw bytes
 *
 * One memfd is the connection: the end under test writes its hello or reply
 * at the file position, the target pwrite()s the peer's bytes after it, so
 * the end reads them from where it stands.
 *
 * Besides crashes and sanitizer reports it checks that a refusal has one of
 * the documented errnos and a reason, that every record received is exactly
 * the next one the target encrypted, of a type and length its direction
 * allows, and that a clean end (1) came only after CLOSE. The whole input
 * also goes to mosctl_relay_ticket_parse(): a refusal leaves the ticket
 * zero, an accepted ticket formats back to exactly the input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sodium.h>
#include "relay.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x
#define HOME	3
#define NUM	77
#define MAX_RECS	(70000 / 3 + 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[MOSCTL_RELAY_KEY_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static uint8_t ct[MOSCTL_RELAY_REC_MAX + 0x10000];
static uint8_t pt[1 + 0x10000];
static uint8_t rbuf[MOSCTL_RELAY_CHUNK];
/* the plaintexts the target encrypted, in order: offsets and lengths in the input */
static size_t rec_off[MAX_RECS], rec_len[MAX_RECS];

struct peer {
	int fd;
	off_t at;		/* where the peer's next byte goes */
	SS(state) ss;
	uint8_t ad[MOSCTL_RELAY_AD_LEN];
};

static void put(struct peer *p, const void *buf, size_t len)
{
	if (len && pwrite(p->fd, buf, len, p->at) != (ssize_t)len)
		abort();
	p->at += (off_t)len;
}

static void get(struct peer *p, void *buf, size_t len, off_t at)
{
	if (pread(p->fd, buf, len, at) != (ssize_t)len)
		abort();
}

static void push(struct peer *p, const uint8_t *m, size_t len, size_t adlen, uint8_t tag)
{
	unsigned long long clen;
	uint8_t l[4];

	SS(push)(&p->ss, ct, &clen, m, len, p->ad, adlen, tag);
	l[0] = (uint8_t)(clen >> 24), l[1] = (uint8_t)(clen >> 16);
	l[2] = (uint8_t)(clen >> 8), l[3] = (uint8_t)clen;
	put(p, l, 4);
	put(p, ct, (size_t)clen);
}

static void derive(uint8_t sub[32], uint64_t id)
{
	crypto_kdf_derive_from_key(sub, 32, id, "mosixrly", key);
}

/* the keeper under test: its hello sent, the forged remote end's header (and HELLO) after it */
static void keeper_start(struct mosctl_relay *r, struct peer *p, bool hello, char *err)
{
	uint8_t h[MOSCTL_RELAY_HELLO_LEN], sub[32];

	if (mosctl_relay_accept_begin(r, p->fd, key, HOME, NUM, err, 256))
		abort();
	p->at = MOSCTL_RELAY_HELLO_LEN;
	get(p, h, sizeof(h), 0);
	memcpy(p->ad, h, MOSCTL_RELAY_CLEAR_LEN);
	derive(sub, 1);
	SS(init_push)(&p->ss, p->ad + MOSCTL_RELAY_CLEAR_LEN, sub);
	put(p, p->ad + MOSCTL_RELAY_CLEAR_LEN, MOSCTL_RELAY_SS_HEADER_LEN);
	if (hello) {
		pt[0] = MOSCTL_RELAY_HELLO;
		memcpy(pt + 1, h + 20, MOSCTL_RELAY_CHALLENGE_LEN);
		push(p, pt, 1 + MOSCTL_RELAY_CHALLENGE_LEN, MOSCTL_RELAY_CLEAR_LEN,
		     SS(TAG_MESSAGE));
	}
}

/* the remote end under test: the forged keeper's hello, its reply, then room for records */
static void remote_start(struct mosctl_relay *r, struct peer *p, char *err)
{
	uint8_t h[MOSCTL_RELAY_HELLO_LEN] = "MOSIXRLY\0\1\0\0\0\0\0\3\0\0\0\x4d", sub[32];

	derive(sub, 2);
	SS(init_push)(&p->ss, h + MOSCTL_RELAY_CLEAR_LEN, sub);
	put(p, h, sizeof(h));
	if (mosctl_relay_connect(r, p->fd, key, HOME, NUM, err, 256))
		abort();
	memcpy(p->ad, h, MOSCTL_RELAY_CLEAR_LEN);
	get(p, p->ad + MOSCTL_RELAY_CLEAR_LEN, MOSCTL_RELAY_SS_HEADER_LEN, p->at);
	p->at += MOSCTL_RELAY_REPLY_LEN;
}

/* a record the end accepted: the next one encrypted, and one its direction may carry */
static void check_record(bool home, uint8_t type, size_t len, size_t i, const uint8_t *data)
{
	bool up = type >= MOSCTL_RELAY_OUT && type <= MOSCTL_RELAY_STATUS;
	bool down = type >= MOSCTL_RELAY_IN && type <= MOSCTL_RELAY_SIGNAL;

	if (rec_len[i] != 1 + len || data[rec_off[i]] != type ||
	    memcmp(rbuf, data + rec_off[i] + 1, len))
		abort();
	if (type != MOSCTL_RELAY_CLOSE && (home ? !up : !down))
		abort();
	if ((type == MOSCTL_RELAY_OUT || type == MOSCTL_RELAY_ERR || type == MOSCTL_RELAY_IN) &&
	    !len)
		abort();
	if (type == MOSCTL_RELAY_STATUS && len != MOSCTL_RELAY_STATUS_LEN)
		abort();
	if (type == MOSCTL_RELAY_SIGNAL) {
		uint32_t sig;

		if (mosctl_relay_signal_decode(rbuf, len, &sig))
			abort();
	}
}

static void fuzz_ticket(const uint8_t *data, size_t size)
{
	static const struct mosctl_relay_ticket zero;
	struct mosctl_relay_ticket t;
	char err[256], buf[MOSCTL_RELAY_TICKET_STRLEN];
	int n;

	memset(&t, 0x5a, sizeof(t));
	if (mosctl_relay_ticket_parse((const char *)data, size, &t, err, sizeof(err))) {
		if (strncmp(err, "relay ticket", 12) || t.home || t.num || t.port || t.have_addr ||
		    memcmp(t.key, zero.key, sizeof(t.key)) ||
		    memcmp(t.pipe_ino, zero.pipe_ino, sizeof(t.pipe_ino)))
			abort();
		return;
	}
	n = mosctl_relay_ticket_format(&t, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer p = { .fd = -1 };
	struct mosctl_relay r;
	size_t at = 1, nrec = 0, got = 0, len;
	bool home, closed = false;
	uint8_t type;
	char err[256];
	int rc;

	if (sodium_init() < 0)
		abort();
	fuzz_ticket(data, size);
	if (size < 1)
		return 0;
	home = !(data[0] & 1);
	p.fd = memfd_create("fuzz-relay", MFD_CLOEXEC);
	if (p.fd < 0)
		abort();
	if (home)
		keeper_start(&r, &p, !(data[0] & 4), err);
	else
		remote_start(&r, &p, err);
	while (!(data[0] & 2) && at + 3 <= size && nrec < MAX_RECS) {
		size_t n = (size_t)data[at + 1] << 8 | data[at + 2];
		/* the keeper's first record without the target's HELLO: HELLO's additional data */
		size_t adlen = home && (data[0] & 4) && !nrec ? MOSCTL_RELAY_CLEAR_LEN :
			       MOSCTL_RELAY_AD_LEN;

		if (at + 3 + n > size)
			break;
		rec_off[nrec] = at + 3;
		rec_len[nrec++] = n;
		push(&p, data + at + 3, n, adlen, data[at] & 3);
		at += 3 + n;
	}
	put(&p, data + at, size - at);
	err[0] = 'x';
	rc = home ? mosctl_relay_accept_end(&r, key, err, sizeof(err)) : 0;
	/* the keeper's first input record without the target's HELLO was that HELLO */
	got = home && (data[0] & 4) ? 1 : 0;
	while (!rc && !(rc = mosctl_relay_recv(&r, &type, rbuf, sizeof(rbuf), &len, err,
					       sizeof(err)))) {
		if (closed || got >= nrec)
			abort();
		check_record(home, type, len, got++, data);
		closed = type == MOSCTL_RELAY_CLOSE;
	}
	if (rc == 1 ? !closed || err[0] :
	    (rc != -EBADMSG && rc != -EPROTO && rc != -ECONNRESET) || strncmp(err, "relay: ", 7))
		abort();
	mosctl_relay_wipe(&r);
	close(p.fd);
	return 0;
}
