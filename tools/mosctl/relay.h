/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay: the connection between a job's keeper at its home node and the
 * "remote end" that holds the job's pipes on the node it migrated to, and
 * the relay ticket that tells the remote end how to reach the keeper.
 *
 * The relay ticket, text, at most MOSCTL_RELAY_TICKET_MAX bytes: exactly
 * these six lines in this order, each ended by '\n', single spaces, nothing
 * before, between or after them:
 *
 *	mosix-relay 1
 *	job HOME.NUM		HOME 1..65535, NUM 1..4294967295
 *	home ADDR		or "home -": the home address is the move's
 *				source address. ADDR in the form
 *				mosix_addr_format() prints (canonical: RFC 5952
 *				for IPv6), not 0.0.0.0 nor ::
 *	port PORT		1..65535
 *	key HEX			64 lowercase hexadecimal digits: 32 bytes
 *	pipes IN OUT ERR STATUS	inode numbers 1..2^64-1
 * Every number is decimal without a sign or a leading zero. The parser
 * accepts exactly what the formatter prints, nothing else.
 *
 * The connection, all integers big-endian. SS = libsodium's
 * crypto_secretstream_xchacha20poly1305. From the ticket's key, two subkeys:
 * crypto_kdf_derive_from_key(sub, 32, id, "mosixrly", key), id 1 for the
 * "up" direction (remote end to keeper), id 2 for "down" (keeper to remote
 * end). Each direction is one SS stream under its subkey.
 *
 *   the keeper's hello (keeper -> remote end, right after accept), 60 bytes:
 *	clear hello, 36 bytes:
 *	    magic "MOSIXRLY" (8) | version u16 = 1 | reserved u16 = 0 |
 *	    home u32 | num u32 | challenge (16 random bytes)
 *	the down stream's SS header (24)
 *   the remote end's reply, 62 bytes: the up stream's SS header (24) | the
 *	first up record, HELLO, whose plaintext is HELLO | the challenge, with
 *	the clear hello as its additional data: a recorded reply does not
 *	answer another challenge, nor another job.
 *   then records, both directions at once, each:
 *	length u32 (of the ciphertext: MOSCTL_RELAY_REC_MIN..MOSCTL_RELAY_REC_MAX)
 *	ciphertext: SS push of the plaintext, with the connection's transcript
 *	as additional data: the clear hello | the up SS header (60 bytes). The
 *	header is the remote end's fresh randomness: a recorded down stream
 *	does not replay against another remote end, as the challenge stops a
 *	recorded up stream at another keeper.
 *   plaintext of a record: type u8 | payload:
 *	up	HELLO (first record only, 16 bytes), OUT and ERR (the job's
 *		stdout and stderr, 1..MOSCTL_RELAY_CHUNK bytes), OUT_EOF and
 *		ERR_EOF (empty; no OUT, ERR after its own), STATUS (kind u32 |
 *		value u32, any number of them), CLOSE
 *	down	IN (stdin, 1..MOSCTL_RELAY_CHUNK bytes), IN_EOF (empty; no IN
 *		after it), SIGNAL (u32 1..MOSCTL_RELAY_SIGNAL_MAX), CLOSE
 *	Every record carries TAG_MESSAGE but CLOSE (empty), which carries
 *	TAG_FINAL and ends its direction: its sender shuts the socket's write
 *	side down, and its receiver reads on to end of file (a byte after
 *	CLOSE is -EPROTO). The other direction goes on until its own CLOSE.
 * Records are numbered from 1 in each direction in the reasons (HELLO is up
 * record 1).
 *
 * Every function returns 0 or a negative errno with a one-line reason in
 * err (err may be NULL):
 *	-EBADMSG	a record does not verify (wrong key, changed on the way,
 *			replayed, reordered, dropped), or HELLO answers another
 *			challenge
 *	-EPROTO		a format error: magic, version, reserved, another job,
 *			lengths, a type of the other direction or unknown, a
 *			second HELLO or none first, tags, payload lengths, a
 *			signal out of range, data after its EOF, data after CLOSE
 *	-ECONNRESET	the peer's stream ended before its CLOSE (or truncated)
 *	-EINVAL		the caller's mistake: a record its direction may not
 *			send, a bad length, no handshake, sending after CLOSE
 *	other		the fd's own errors (-EPIPE, -ECONNRESET, -EAGAIN, ...)
 * A receiving or sending direction that failed once (but for -EINVAL) fails
 * every later call with the same errno. Plain blocking I/O on fd, EINTR
 * retried, no threads, no buffering: a call reads exactly the bytes of one
 * record, so poll(2) on fd between calls tells whether one is coming. A
 * timeout (SO_RCVTIMEO) inside a record fails the direction. Sends to a
 * socket use MSG_NOSIGNAL (a gone peer is -EPIPE, not SIGPIPE); one record
 * is one send (interactive callers on TCP may want TCP_NODELAY).
 */
#ifndef MOSCTL_RELAY_H
#define MOSCTL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "mosix_map.h"	/* struct mosix_addr */

/* ---- the relay ticket ---- */

#define MOSCTL_RELAY_KEY_LEN	32
/* the parser's bound; the longest ticket the formatter prints and its NUL fit in STRLEN */
#define MOSCTL_RELAY_TICKET_MAX	1024
#define MOSCTL_RELAY_TICKET_STRLEN	256

enum {
	MOSCTL_RELAY_PIPE_IN,
	MOSCTL_RELAY_PIPE_OUT,
	MOSCTL_RELAY_PIPE_ERR,
	MOSCTL_RELAY_PIPE_STATUS,
	MOSCTL_RELAY_PIPES
};

struct mosctl_relay_ticket {
	uint32_t home, num;		/* the job */
	bool have_addr;			/* false: the home address is the move's source address */
	struct mosix_addr home_addr;
	uint16_t port;			/* the keeper's TCP port, 1..65535 */
	uint8_t key[MOSCTL_RELAY_KEY_LEN];
	/* inode numbers of the job's pipes on the node that wrote it, each >= 1 */
	uint64_t pipe_ino[MOSCTL_RELAY_PIPES];
};

/*
 * The text of t, NUL-terminated, into buf: its length (the NUL not counted),
 * -ENOSPC if it does not fit (buf then holds an empty string, no part of the
 * key), -EINVAL for a ticket the parser would refuse.
 */
int mosctl_relay_ticket_format(const struct mosctl_relay_ticket *t, char *buf, size_t size);
/* text[0..len) into *t: 0, or -EINVAL with a reason naming the line and *t all zero */
int mosctl_relay_ticket_parse(const char *text, size_t len, struct mosctl_relay_ticket *t,
			      char *err, size_t errlen);

/* ---- the connection ---- */

#define MOSCTL_RELAY_MAGIC		"MOSIXRLY"
#define MOSCTL_RELAY_VERSION		1
#define MOSCTL_RELAY_CHALLENGE_LEN	16
#define MOSCTL_RELAY_CLEAR_LEN		36
/* crypto_secretstream_xchacha20poly1305_HEADERBYTES, _ABYTES (asserted in relay.c) */
#define MOSCTL_RELAY_SS_HEADER_LEN	24
#define MOSCTL_RELAY_ABYTES		17
/* the keeper's hello on the wire; the transcript (additional data) of later records */
#define MOSCTL_RELAY_HELLO_LEN		(MOSCTL_RELAY_CLEAR_LEN + MOSCTL_RELAY_SS_HEADER_LEN)
#define MOSCTL_RELAY_AD_LEN		(MOSCTL_RELAY_CLEAR_LEN + MOSCTL_RELAY_SS_HEADER_LEN)
/* the remote end's reply: up header, length, HELLO's ciphertext */
#define MOSCTL_RELAY_REPLY_LEN		(MOSCTL_RELAY_SS_HEADER_LEN + 4 + 1 + \
					 MOSCTL_RELAY_CHALLENGE_LEN + MOSCTL_RELAY_ABYTES)
/* the most data in one OUT, ERR or IN record */
#define MOSCTL_RELAY_CHUNK		65536
#define MOSCTL_RELAY_REC_MIN		(1 + MOSCTL_RELAY_ABYTES)
#define MOSCTL_RELAY_REC_MAX		(1 + MOSCTL_RELAY_CHUNK + MOSCTL_RELAY_ABYTES)
#define MOSCTL_RELAY_STATUS_LEN		8
#define MOSCTL_RELAY_SIGNAL_LEN		4
#define MOSCTL_RELAY_SIGNAL_MAX		64

enum mosctl_relay_type {
	MOSCTL_RELAY_HELLO = 1,	/* up, first record only: the challenge */
	MOSCTL_RELAY_OUT,	/* up: job stdout bytes, 1..MOSCTL_RELAY_CHUNK */
	MOSCTL_RELAY_ERR,	/* up: job stderr bytes */
	MOSCTL_RELAY_OUT_EOF,	/* up: the job's stdout reached end of file, empty payload */
	MOSCTL_RELAY_ERR_EOF,	/* up */
	MOSCTL_RELAY_STATUS,	/* up: 8 bytes: kind u32 | value u32 (big-endian on the wire) */
	MOSCTL_RELAY_IN,	/* down: stdin bytes, 1..CHUNK */
	MOSCTL_RELAY_IN_EOF,	/* down: empty */
	MOSCTL_RELAY_SIGNAL,	/* down: u32 signal number 1..64 (big-endian on the wire) */
	MOSCTL_RELAY_CLOSE,	/* either: empty, TAG_FINAL */
};

/* one end of a connection */
struct mosctl_relay {
	int fd;
	bool home;			/* keeper side */
	crypto_secretstream_xchacha20poly1305_state tx, rx;
	bool rx_closed, tx_closed;	/* CLOSE received, sent */
	uint64_t rx_bytes, tx_bytes;	/* wire bytes, the handshake's included */
	/* the library's own */
	uint8_t phase;			/* 0: no handshake, 1: keeper's hello sent, 2: ready */
	bool nosock;			/* fd is not a socket: write(2), no shutdown */
	bool rx_ended;			/* end of file seen after CLOSE */
	uint8_t rx_eofs, tx_eofs;	/* the EOF records received, sent (bits) */
	int rx_err, tx_err;		/* a direction that failed: its errno */
	uint64_t rx_recs, tx_recs;	/* records received, sent (HELLO included) */
	uint8_t ad[MOSCTL_RELAY_AD_LEN];	/* clear hello | up SS header */
};

/* keeper, right after accept(2): the whole handshake (begin, then end) */
int mosctl_relay_accept(struct mosctl_relay *r, int fd, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			uint32_t home, uint32_t num, char *err, size_t errlen);
/* keeper, in two halves: send the hello (does not read) ... */
int mosctl_relay_accept_begin(struct mosctl_relay *r, int fd,
			      const uint8_t key[MOSCTL_RELAY_KEY_LEN], uint32_t home,
			      uint32_t num, char *err, size_t errlen);
/* ... then read and verify the remote end's reply (the same key) */
int mosctl_relay_accept_end(struct mosctl_relay *r, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			    char *err, size_t errlen);
/* remote end, after connect(2): the whole handshake, for job home.num only */
int mosctl_relay_connect(struct mosctl_relay *r, int fd, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			 uint32_t home, uint32_t num, char *err, size_t errlen);
/*
 * One record of a type this end sends (data may be NULL if len is 0). After
 * CLOSE, shuts down the socket's write side.
 */
int mosctl_relay_send(struct mosctl_relay *r, uint8_t type, const void *data, size_t len,
		      char *err, size_t errlen);
/* STATUS of kind and value, SIGNAL sig (host order) */
int mosctl_relay_send_status(struct mosctl_relay *r, uint32_t kind, uint32_t value,
			     char *err, size_t errlen);
int mosctl_relay_send_signal(struct mosctl_relay *r, uint32_t sig, char *err, size_t errlen);
/*
 * One record: *type, its payload into buf (cap >= MOSCTL_RELAY_CHUNK), *len.
 * 0, or -ECONNRESET if the peer's stream ended (EOF) without CLOSE, or
 * another -errno. CLOSE is returned once (0, *type CLOSE, *len 0); the next
 * call reads on: 1 ("ended cleanly") at end of file, -EPROTO if a byte
 * comes; every call after returns 1 again.
 */
int mosctl_relay_recv(struct mosctl_relay *r, uint8_t *type, void *buf, size_t cap, size_t *len,
		      char *err, size_t errlen);
/* a received STATUS or SIGNAL payload in host order: 0, or -EINVAL (length, range) */
int mosctl_relay_status_decode(const void *buf, size_t len, uint32_t *kind, uint32_t *value);
int mosctl_relay_signal_decode(const void *buf, size_t len, uint32_t *sig);
/* zero all of r but fd (the stream states with their keys): does not close fd */
void mosctl_relay_wipe(struct mosctl_relay *r);

#endif /* MOSCTL_RELAY_H */
