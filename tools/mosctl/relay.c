// SPDX-License-Identifier: GPL-2.0
/*
 * The relay of a migrated job's stdio, signals and status between its keeper
 * at home and its remote end: the relay ticket (text) and the records of
 * the connection, encrypted and authenticated with libsodium's
 * secretstream. Format and contract in relay.h. Self-contained (libc,
 * libsodium, mosctl_read_full() and the shared address and job id parsers)
 * so that the unit tests and the fuzzer take it alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include "relay.h"
#include "mosctl.h"	/* mosctl_read_full(), mosctl_fail() */
#include "mosix_be.h"
#include "mosix_job.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x

_Static_assert(MOSCTL_RELAY_SS_HEADER_LEN == SS(HEADERBYTES), "secretstream header length");
_Static_assert(MOSCTL_RELAY_ABYTES == SS(ABYTES), "secretstream overhead");
_Static_assert(MOSCTL_RELAY_KEY_LEN == SS(KEYBYTES), "secretstream key length");
_Static_assert(MOSCTL_RELAY_KEY_LEN == crypto_kdf_KEYBYTES, "kdf key length");
_Static_assert(sizeof(MOSCTL_RELAY_MAGIC) - 1 == 8, "magic length");
_Static_assert(MOSCTL_RELAY_CLEAR_LEN == 8 + 2 + 2 + 4 + 4 + MOSCTL_RELAY_CHALLENGE_LEN,
	       "clear hello length");

#define KDF_CONTEXT	"mosixrly"
#define KDF_UP		1
#define KDF_DOWN	2
#define HELLO_PT_LEN	(1 + MOSCTL_RELAY_CHALLENGE_LEN)
#define TICKET_LINES	6
/* the EOF bits of rx_eofs, tx_eofs: OUT and IN share one, each in its own direction */
#define EOF_OUT		1
#define EOF_ERR		2

enum { PHASE_NONE, PHASE_BEGUN, PHASE_READY };

static void clear_err(char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
}

/* ---- the relay ticket ---- */

/* digits, no leading zero, 1..max: 0, -EINVAL (not such a number) or -ERANGE */
static int parse_num(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	int rc;

	if (len > 1 && s[0] == '0')
		return -EINVAL;
	rc = mosix_parse_decimal_u64(s, len, max, v);
	if (!rc && !*v)
		rc = -ERANGE;
	return rc;
}

static bool addr_unspecified(const struct mosix_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->bytes, zero, a->family == MOSIX_ADDR_V4 ? 4 : 16);
}

/* what the parser accepts; the formatter prints nothing else */
static bool ticket_ok(const struct mosctl_relay_ticket *t)
{
	int i;

	if (!t->home || t->home > MOSIX_PE_MAX || !t->num || !t->port)
		return false;
	if (t->have_addr && ((t->home_addr.family != MOSIX_ADDR_V4 &&
			      t->home_addr.family != MOSIX_ADDR_V6) ||
			     addr_unspecified(&t->home_addr)))
		return false;
	for (i = 0; i < MOSCTL_RELAY_PIPES; i++)
		if (!t->pipe_ino[i])
			return false;
	return true;
}

int mosctl_relay_ticket_format(const struct mosctl_relay_ticket *t, char *buf, size_t size)
{
	char addr[MOSIX_ADDR_STRLEN] = "-", hex[2 * MOSCTL_RELAY_KEY_LEN + 1];
	int n;

	if (!ticket_ok(t))
		return -EINVAL;
	if (t->have_addr)
		mosix_addr_format(&t->home_addr, addr, sizeof(addr));
	sodium_bin2hex(hex, sizeof(hex), t->key, sizeof(t->key));
	n = snprintf(buf, size,
		     "mosix-relay 1\njob %" PRIu32 ".%" PRIu32 "\nhome %s\nport %u\nkey %s\n"
		     "pipes %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		     t->home, t->num, addr, t->port, hex, t->pipe_ino[0], t->pipe_ino[1],
		     t->pipe_ino[2], t->pipe_ino[3]);
	sodium_memzero(hex, sizeof(hex));
	if (n < 0 || (size_t)n >= size) {
		/* a truncated ticket would hold part of the key */
		if (size)
			sodium_memzero(buf, size);
		return -ENOSPC;
	}
	return n;
}

/* one line's value (after "WORD "), into t: 0 or a reason */
typedef const char *(*ticket_field_fn)(const char *s, size_t len,
				       struct mosctl_relay_ticket *t);

static const char *field_version(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	(void)t;
	return len == 1 && s[0] == '1' ? NULL : "version is not 1";
}

static const char *field_job(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	char id[MOSIX_JOB_ID_STRLEN];

	/* mosix_job_id_parse() reads a C string: the value has no NUL (checked before) */
	if (len >= sizeof(id))
		return "job is not HOME.NUM (1..65535.1..4294967295)";
	memcpy(id, s, len);
	id[len] = '\0';
	if (mosix_job_id_parse(id, &t->home, &t->num))
		return "job is not HOME.NUM (1..65535.1..4294967295)";
	return NULL;
}

static const char *field_home(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	char canon[MOSIX_ADDR_STRLEN];

	if (len == 1 && s[0] == '-')
		return NULL;
	if (len >= MOSIX_ADDR_STRLEN || mosix_addr_parse(s, len, &t->home_addr))
		return "home is not an IPv4 or IPv6 address, nor -";
	/* one text per address: what the formatter prints */
	mosix_addr_format(&t->home_addr, canon, sizeof(canon));
	if (strlen(canon) != len || memcmp(canon, s, len))
		return "home address is not in its canonical form";
	if (addr_unspecified(&t->home_addr))
		return "home address is unspecified (0.0.0.0 or ::)";
	t->have_addr = true;
	return NULL;
}

static const char *field_port(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	uint64_t v;
	int rc = parse_num(s, len, 65535, &v);

	if (rc == -EINVAL)
		return "port is not a decimal number (without leading zeros)";
	if (rc)
		return "port is out of range 1..65535";
	t->port = (uint16_t)v;
	return NULL;
}

static const char *field_key(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	size_t i, n;

	if (len != 2 * MOSCTL_RELAY_KEY_LEN)
		return "key is not 64 lowercase hexadecimal digits";
	/* sodium_hex2bin() takes upper case too: one text per key */
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return "key is not 64 lowercase hexadecimal digits";
	if (sodium_hex2bin(t->key, sizeof(t->key), s, len, NULL, &n, NULL) ||
	    n != sizeof(t->key))
		return "key is not 64 lowercase hexadecimal digits";
	return NULL;
}

static const char *field_pipes(const char *s, size_t len, struct mosctl_relay_ticket *t)
{
	static const char *const why[MOSCTL_RELAY_PIPES][2] = {
		{ "pipes: IN is not a decimal number (without leading zeros)",
		  "pipes: IN is out of range 1..18446744073709551615" },
		{ "pipes: OUT is not a decimal number (without leading zeros)",
		  "pipes: OUT is out of range 1..18446744073709551615" },
		{ "pipes: ERR is not a decimal number (without leading zeros)",
		  "pipes: ERR is out of range 1..18446744073709551615" },
		{ "pipes: STATUS is not a decimal number (without leading zeros)",
		  "pipes: STATUS is out of range 1..18446744073709551615" },
	};
	const char *end = s + len;
	int i, rc;

	for (i = 0; i < MOSCTL_RELAY_PIPES; i++) {
		const char *sp = memchr(s, ' ', (size_t)(end - s));
		const char *e = i < MOSCTL_RELAY_PIPES - 1 ? sp : end;

		if (!e)
			return "pipes: fewer than four inode numbers";
		if (i == MOSCTL_RELAY_PIPES - 1 && sp)
			return "pipes: more than four inode numbers";
		rc = parse_num(s, (size_t)(e - s), UINT64_MAX, &t->pipe_ino[i]);
		if (rc)
			return why[i][rc == -ERANGE];
		s = e + 1;
	}
	return NULL;
}

static const struct {
	const char *word;
	ticket_field_fn parse;
	const char *other;	/* the reason for a line that is not this one */
} ticket_lines[TICKET_LINES] = {
	{ "mosix-relay", field_version, "not a relay ticket (no \"mosix-relay 1\")" },
	{ "job", field_job, "not the \"job\" line" },
	{ "home", field_home, "not the \"home\" line" },
	{ "port", field_port, "not the \"port\" line" },
	{ "key", field_key, "not the \"key\" line" },
	{ "pipes", field_pipes, "not the \"pipes\" line" },
};

/* line i (from 0) of the ticket, s[0..len) without its newline */
static const char *ticket_line(unsigned int i, const char *s, size_t len,
			       struct mosctl_relay_ticket *t)
{
	size_t w = strlen(ticket_lines[i].word);

	if (len <= w || memcmp(s, ticket_lines[i].word, w) || s[w] != ' ')
		return ticket_lines[i].other;
	return ticket_lines[i].parse(s + w + 1, len - w - 1, t);
}

static unsigned int line_of(const char *text, const char *at)
{
	unsigned int n = 1;

	for (; text < at; text++)
		n += *text == '\n';
	return n;
}

/* the six lines into v: 0, or the reason and *line */
static const char *ticket_lines_parse(const char *text, size_t len,
				      struct mosctl_relay_ticket *v, unsigned int *line)
{
	const char *p = text, *end = text + len, *why;
	unsigned int i;

	for (i = 0; i < TICKET_LINES; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		*line = i + 1;
		if (!nl)
			return p == end ? "missing" : "not ended by a newline";
		why = ticket_line(i, p, (size_t)(nl - p), v);
		if (why)
			return why;
		p = nl + 1;
	}
	*line = TICKET_LINES + 1;
	return p == end ? NULL : "text after the last line";
}

int mosctl_relay_ticket_parse(const char *text, size_t len, struct mosctl_relay_ticket *t,
			      char *err, size_t errlen)
{
	struct mosctl_relay_ticket v;
	unsigned int line = 0;
	const char *why, *nul;

	memset(t, 0, sizeof(*t));
	memset(&v, 0, sizeof(v));
	clear_err(err, errlen);
	if (len > MOSCTL_RELAY_TICKET_MAX)
		return mosctl_fail(err, errlen, -EINVAL, "relay ticket: %zu bytes, more than %d",
			    len, MOSCTL_RELAY_TICKET_MAX);
	nul = memchr(text, '\0', len);
	if (nul)
		return mosctl_fail(err, errlen, -EINVAL, "relay ticket line %u: a NUL byte",
			    line_of(text, nul));
	why = ticket_lines_parse(text, len, &v, &line);
	if (!why)
		*t = v;
	sodium_memzero(&v, sizeof(v));
	if (why)
		return mosctl_fail(err, errlen, -EINVAL, "relay ticket line %u: %s", line, why);
	return 0;
}

/* ---- the connection: plumbing ---- */

static int lib_init(char *err, size_t errlen)
{
	/* 0: done now, 1: done before */
	if (sodium_init() < 0)
		return mosctl_fail(err, errlen, -EIO, "relay: libsodium does not initialise");
	return 0;
}

static const char *rx_dir(const struct mosctl_relay *r)
{
	return r->home ? "up" : "down";
}

static const char *tx_dir(const struct mosctl_relay *r)
{
	return r->home ? "down" : "up";
}

static const char *peer(const struct mosctl_relay *r)
{
	return r->home ? "the remote end" : "the keeper";
}

static void derive(uint8_t sub[MOSCTL_RELAY_KEY_LEN], uint64_t id,
		   const uint8_t key[MOSCTL_RELAY_KEY_LEN])
{
	crypto_kdf_derive_from_key(sub, MOSCTL_RELAY_KEY_LEN, id, KDF_CONTEXT, key);
}

/*
 * All of buf to r->fd: send(MSG_NOSIGNAL) while it is a socket (a closed
 * peer is -EPIPE, not a signal), write(2) once it is known not to be one.
 */
static int write_all(struct mosctl_relay *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (!r->nosock) {
			n = send(r->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				r->nosock = true;
				continue;
			}
		} else {
			n = write(r->fd, p, len);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		len -= (size_t)n;
		r->tx_bytes += (uint64_t)n;
	}
	return 0;
}

/* exactly len bytes; where: what was cut short, for the reason */
static int rx_read(struct mosctl_relay *r, void *buf, size_t len, const char *where,
		   char *err, size_t errlen)
{
	ssize_t n = mosctl_read_full(r->fd, buf, len);

	if (n < 0)
		return mosctl_fail(err, errlen, (int)n, "relay: cannot receive: %s", strerror((int)-n));
	r->rx_bytes += (uint64_t)n;
	if ((size_t)n < len)
		return mosctl_fail(err, errlen, -ECONNRESET, "relay: %s's stream ended %s (truncated)",
			    peer(r), where);
	return 0;
}

/*
 * prefix (may be empty) and the record of plaintext pt as one write: a
 * second small write would wait for the peer's delayed ACK under Nagle.
 */
static int tx_record(struct mosctl_relay *r, const uint8_t *prefix, size_t plen,
		     const uint8_t *pt, size_t ptlen, size_t adlen, uint8_t tag,
		     char *err, size_t errlen)
{
	size_t clen = ptlen + MOSCTL_RELAY_ABYTES;
	uint8_t *wire = malloc(plen + 4 + clen);
	int rc;

	if (!wire)
		return mosctl_fail(err, errlen, -ENOMEM, "relay: out of memory");
	if (plen)
		memcpy(wire, prefix, plen);
	put_be32(wire + plen, (uint32_t)clen);
	SS(push)(&r->tx, wire + plen + 4, NULL, pt, ptlen, r->ad, adlen, tag);
	rc = write_all(r, wire, plen + 4 + clen);
	free(wire);
	if (rc)
		return mosctl_fail(err, errlen, rc, "relay: cannot send: %s", strerror(-rc));
	r->tx_recs++;
	return 0;
}

static void pt_free(uint8_t *pt, size_t len)
{
	if (pt) {
		sodium_memzero(pt, len);
		free(pt);
	}
}

/* a short read of a record: where the stream ended, for the reason */
static int rx_short(struct mosctl_relay *r, ssize_t n, bool boundary, unsigned long long no,
		    char *err, size_t errlen)
{
	if (n < 0)
		return mosctl_fail(err, errlen, (int)n, "relay: cannot receive: %s", strerror((int)-n));
	if (!n && boundary && r->phase == PHASE_READY)
		return mosctl_fail(err, errlen, -ECONNRESET, "relay: %s's stream ended without CLOSE",
			    peer(r));
	return mosctl_fail(err, errlen, -ECONNRESET,
		    "relay: %s's stream ended inside %s record %llu (truncated)", peer(r),
		    rx_dir(r), no);
}

/*
 * The next record, verified: its plaintext in *pt (wipe and free it, *ptlen
 * bytes, at least 1) and its tag; on failure *pt is NULL.
 */
static int rx_record(struct mosctl_relay *r, size_t adlen, uint8_t **pt, size_t *ptlen,
		     uint8_t *tag, char *err, size_t errlen)
{
	unsigned long long no = ++r->rx_recs;
	uint8_t lenbuf[4], *ct;
	uint32_t clen;
	ssize_t n;
	int rc = 0;

	*pt = NULL;
	*ptlen = 0;
	n = mosctl_read_full(r->fd, (char *)lenbuf, 4);
	if (n > 0)
		r->rx_bytes += (uint64_t)n;
	if (n != 4)
		return rx_short(r, n, true, no, err, errlen);
	clen = get_be32(lenbuf);
	if (clen < MOSCTL_RELAY_REC_MIN || clen > MOSCTL_RELAY_REC_MAX)
		return mosctl_fail(err, errlen, -EPROTO,
			    "relay: %s record %llu has a length of %" PRIu32
			    " bytes (%d..%d allowed)",
			    rx_dir(r), no, clen, MOSCTL_RELAY_REC_MIN, MOSCTL_RELAY_REC_MAX);
	ct = malloc(clen);
	if (!ct)
		return mosctl_fail(err, errlen, -ENOMEM, "relay: out of memory");
	n = mosctl_read_full(r->fd, (char *)ct, clen);
	if (n > 0)
		r->rx_bytes += (uint64_t)n;
	if (n != (ssize_t)clen)
		rc = rx_short(r, n, false, no, err, errlen);
	*ptlen = clen - MOSCTL_RELAY_ABYTES;
	if (!rc)
		*pt = malloc(*ptlen);
	if (!rc && !*pt)
		rc = mosctl_fail(err, errlen, -ENOMEM, "relay: out of memory");
	if (!rc && SS(pull)(&r->rx, *pt, NULL, tag, ct, clen, r->ad, adlen))
		rc = mosctl_fail(err, errlen, -EBADMSG,
			  "relay: %s record %llu does not verify "
			  "(wrong key, or changed on the way)",
			  rx_dir(r), no);
	free(ct);
	if (rc) {
		pt_free(*pt, *ptlen);
		*pt = NULL;
		*ptlen = 0;
	}
	return rc;
}

/* ---- records ---- */

static const char *type_name(uint8_t type)
{
	static const char *const names[] = {
		[MOSCTL_RELAY_HELLO] = "HELLO", [MOSCTL_RELAY_OUT] = "OUT",
		[MOSCTL_RELAY_ERR] = "ERR", [MOSCTL_RELAY_OUT_EOF] = "OUT_EOF",
		[MOSCTL_RELAY_ERR_EOF] = "ERR_EOF", [MOSCTL_RELAY_STATUS] = "STATUS",
		[MOSCTL_RELAY_IN] = "IN", [MOSCTL_RELAY_IN_EOF] = "IN_EOF",
		[MOSCTL_RELAY_SIGNAL] = "SIGNAL", [MOSCTL_RELAY_CLOSE] = "CLOSE",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

static const char *tag_name(uint8_t tag)
{
	switch (tag) {
	case SS(TAG_MESSAGE):
		return "MESSAGE";
	case SS(TAG_PUSH):
		return "PUSH";
	case SS(TAG_REKEY):
		return "REKEY";
	case SS(TAG_FINAL):
		return "FINAL";
	}
	return "unknown";
}

/* the direction a known type goes: true up, false down (CLOSE: both, HELLO: up) */
static bool type_is_up(uint8_t type)
{
	return type >= MOSCTL_RELAY_HELLO && type <= MOSCTL_RELAY_STATUS;
}

static bool type_known(uint8_t type)
{
	return type >= MOSCTL_RELAY_HELLO && type <= MOSCTL_RELAY_CLOSE;
}

/* the EOF bit a type's stream has (0: none), and whether the type is that EOF */
static uint8_t eof_bit(uint8_t type, bool *is_eof)
{
	*is_eof = type == MOSCTL_RELAY_OUT_EOF || type == MOSCTL_RELAY_ERR_EOF ||
		  type == MOSCTL_RELAY_IN_EOF;
	if (type == MOSCTL_RELAY_OUT || type == MOSCTL_RELAY_OUT_EOF ||
	    type == MOSCTL_RELAY_IN || type == MOSCTL_RELAY_IN_EOF)
		return EOF_OUT;
	if (type == MOSCTL_RELAY_ERR || type == MOSCTL_RELAY_ERR_EOF)
		return EOF_ERR;
	return 0;
}

/* the payload length of type: the exact one, or -1 for data (1..CHUNK) */
static int payload_len(uint8_t type)
{
	switch (type) {
	case MOSCTL_RELAY_OUT:
	case MOSCTL_RELAY_ERR:
	case MOSCTL_RELAY_IN:
		return -1;
	case MOSCTL_RELAY_HELLO:
		return MOSCTL_RELAY_CHALLENGE_LEN;
	case MOSCTL_RELAY_STATUS:
		return MOSCTL_RELAY_STATUS_LEN;
	case MOSCTL_RELAY_SIGNAL:
		return MOSCTL_RELAY_SIGNAL_LEN;
	}
	return 0;
}

/*
 * What is wrong with a record of type and payload p[0..len) in direction up
 * after the EOFs eofs (NULL: nothing), in buf. HELLO is the handshake's.
 */
static const char *record_problem(bool up, uint8_t type, const uint8_t *p, size_t len,
				  uint8_t eofs, char *buf, size_t size)
{
	int want = payload_len(type);
	uint8_t bit;
	bool is_eof;

	if (!type_known(type))
		snprintf(buf, size, "the unknown type %u", type);
	else if (type != MOSCTL_RELAY_CLOSE && type_is_up(type) != up)
		snprintf(buf, size, "%s, a record of the %s direction", type_name(type),
			 up ? "down" : "up");
	else if (type == MOSCTL_RELAY_HELLO)
		snprintf(buf, size, "HELLO after the first record");
	else if (want < 0 && (!len || len > MOSCTL_RELAY_CHUNK))
		snprintf(buf, size, "%s of %zu bytes (1..%d allowed)", type_name(type), len,
			 MOSCTL_RELAY_CHUNK);
	else if (want >= 0 && len != (size_t)want)
		snprintf(buf, size, "%s of %zu bytes (%d expected)", type_name(type), len, want);
	else if (type == MOSCTL_RELAY_SIGNAL && (!get_be32(p) ||
						 get_be32(p) > MOSCTL_RELAY_SIGNAL_MAX))
		snprintf(buf, size, "SIGNAL %" PRIu32 " (1..%d allowed)", get_be32(p),
			 MOSCTL_RELAY_SIGNAL_MAX);
	else if ((bit = eof_bit(type, &is_eof)) && (eofs & bit))
		snprintf(buf, size, is_eof ? "a second %s" : "%s after its EOF", type_name(type));
	else
		return NULL;
	return buf;
}

/* a direction that failed stays failed: the framing is lost */
static int sticky(int *slot, int rc)
{
	if (rc < 0 && rc != -EINVAL)
		*slot = rc;
	return rc;
}

static int not_ready(const struct mosctl_relay *r, char *err, size_t errlen)
{
	if (r->phase == PHASE_READY)
		return 0;
	return mosctl_fail(err, errlen, -EINVAL, "relay: the connection has no handshake");
}

/* ---- the handshake ---- */

static void clear_hello(uint8_t *p, uint32_t home, uint32_t num)
{
	memcpy(p, MOSCTL_RELAY_MAGIC, 8);
	put_be16(p + 8, MOSCTL_RELAY_VERSION);
	put_be16(p + 10, 0);
	put_be32(p + 12, home);
	put_be32(p + 16, num);
}

static int setup(struct mosctl_relay *r, int fd, bool home, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->home = home;
	clear_err(err, errlen);
	return lib_init(err, errlen);
}

/* a failed handshake leaves nothing usable, and no key */
static int setup_failed(struct mosctl_relay *r, int rc)
{
	mosctl_relay_wipe(r);
	return rc;
}

int mosctl_relay_accept_begin(struct mosctl_relay *r, int fd,
			      const uint8_t key[MOSCTL_RELAY_KEY_LEN], uint32_t home,
			      uint32_t num, char *err, size_t errlen)
{
	uint8_t hello[MOSCTL_RELAY_HELLO_LEN], down[MOSCTL_RELAY_KEY_LEN];
	int rc = setup(r, fd, true, err, errlen);

	if (rc)
		return setup_failed(r, rc);
	clear_hello(hello, home, num);
	randombytes_buf(hello + 20, MOSCTL_RELAY_CHALLENGE_LEN);
	derive(down, KDF_DOWN, key);
	SS(init_push)(&r->tx, hello + MOSCTL_RELAY_CLEAR_LEN, down);
	sodium_memzero(down, sizeof(down));
	memcpy(r->ad, hello, MOSCTL_RELAY_CLEAR_LEN);
	rc = write_all(r, hello, sizeof(hello));
	if (rc)
		return setup_failed(r, mosctl_fail(err, errlen, rc, "relay: cannot send the hello: %s",
					    strerror(-rc)));
	r->phase = PHASE_BEGUN;
	return 0;
}

/* the first up record: HELLO, with the challenge of the clear hello */
static int check_hello(struct mosctl_relay *r, const uint8_t *pt, size_t len, uint8_t tag,
		       char *err, size_t errlen)
{
	if (pt[0] != MOSCTL_RELAY_HELLO)
		return mosctl_fail(err, errlen, -EPROTO, "relay: up record 1 is %s (type %u), not HELLO",
			    type_name(pt[0]), pt[0]);
	if (tag != SS(TAG_MESSAGE))
		return mosctl_fail(err, errlen, -EPROTO, "relay: up record 1 (HELLO) carries the tag %s",
			    tag_name(tag));
	if (len != HELLO_PT_LEN)
		return mosctl_fail(err, errlen, -EPROTO,
			    "relay: up record 1: HELLO of %zu bytes (%d expected)", len - 1,
			    MOSCTL_RELAY_CHALLENGE_LEN);
	if (sodium_memcmp(pt + 1, r->ad + 20, MOSCTL_RELAY_CHALLENGE_LEN))
		return mosctl_fail(err, errlen, -EBADMSG,
			    "relay: the remote end's HELLO answers another challenge");
	return 0;
}

int mosctl_relay_accept_end(struct mosctl_relay *r, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			    char *err, size_t errlen)
{
	uint8_t up[MOSCTL_RELAY_KEY_LEN], *pt, tag;
	size_t len;
	int rc;

	clear_err(err, errlen);
	if (r->phase != PHASE_BEGUN || !r->home)
		return mosctl_fail(err, errlen, -EINVAL, "relay: no hello was sent on this connection");
	rc = rx_read(r, r->ad + MOSCTL_RELAY_CLEAR_LEN, MOSCTL_RELAY_SS_HEADER_LEN,
		     "inside its reply", err, errlen);
	if (rc)
		return setup_failed(r, rc);
	derive(up, KDF_UP, key);
	rc = SS(init_pull)(&r->rx, r->ad + MOSCTL_RELAY_CLEAR_LEN, up);
	sodium_memzero(up, sizeof(up));
	if (rc)
		return setup_failed(r, mosctl_fail(err, errlen, -EBADMSG,
					    "relay: the up stream's header is invalid"));
	/* HELLO's additional data is the clear hello alone: the rest came with it */
	rc = rx_record(r, MOSCTL_RELAY_CLEAR_LEN, &pt, &len, &tag, err, errlen);
	if (rc == -EBADMSG)
		mosctl_fail(err, errlen, rc, "relay: the remote end's HELLO does not verify "
		     "(wrong key, or a reply to another hello)");
	if (!rc)
		rc = check_hello(r, pt, len, tag, err, errlen);
	pt_free(pt, len);
	if (rc)
		return setup_failed(r, rc);
	r->phase = PHASE_READY;
	return 0;
}

int mosctl_relay_accept(struct mosctl_relay *r, int fd, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			uint32_t home, uint32_t num, char *err, size_t errlen)
{
	int rc = mosctl_relay_accept_begin(r, fd, key, home, num, err, errlen);

	return rc ? rc : mosctl_relay_accept_end(r, key, err, errlen);
}

/* the keeper's clear hello, before any key is used: for this job and version? */
static int check_keeper_hello(const uint8_t *h, uint32_t home, uint32_t num,
			      char *err, size_t errlen)
{
	uint32_t h_home = get_be32(h + 12), h_num = get_be32(h + 16);

	if (memcmp(h, MOSCTL_RELAY_MAGIC, 8))
		return mosctl_fail(err, errlen, -EPROTO, "relay: not a relay connection (bad magic)");
	if (get_be16(h + 8) != MOSCTL_RELAY_VERSION)
		return mosctl_fail(err, errlen, -EPROTO, "relay: version %u is not supported (only %d)",
			    get_be16(h + 8), MOSCTL_RELAY_VERSION);
	if (get_be16(h + 10))
		return mosctl_fail(err, errlen, -EPROTO,
			    "relay: the hello's reserved field is 0x%x, not 0", get_be16(h + 10));
	if (h_home != home || h_num != num)
		return mosctl_fail(err, errlen, -EPROTO,
			    "relay: the keeper relays job %" PRIu32 ".%" PRIu32 ", not %" PRIu32
			    ".%" PRIu32, h_home, h_num, home, num);
	return 0;
}

int mosctl_relay_connect(struct mosctl_relay *r, int fd, const uint8_t key[MOSCTL_RELAY_KEY_LEN],
			 uint32_t home, uint32_t num, char *err, size_t errlen)
{
	uint8_t hello[MOSCTL_RELAY_HELLO_LEN], sub[MOSCTL_RELAY_KEY_LEN], pt[HELLO_PT_LEN];
	int rc = setup(r, fd, false, err, errlen);

	if (!rc)
		rc = rx_read(r, hello, sizeof(hello), "inside its hello", err, errlen);
	if (!rc)
		rc = check_keeper_hello(hello, home, num, err, errlen);
	if (rc)
		return setup_failed(r, rc);
	memcpy(r->ad, hello, MOSCTL_RELAY_CLEAR_LEN);
	derive(sub, KDF_DOWN, key);
	rc = SS(init_pull)(&r->rx, hello + MOSCTL_RELAY_CLEAR_LEN, sub);
	derive(sub, KDF_UP, key);
	/* the up header goes into the transcript: the additional data of every later record */
	SS(init_push)(&r->tx, r->ad + MOSCTL_RELAY_CLEAR_LEN, sub);
	sodium_memzero(sub, sizeof(sub));
	if (rc)
		return setup_failed(r, mosctl_fail(err, errlen, -EBADMSG,
					    "relay: the down stream's header is invalid"));
	pt[0] = MOSCTL_RELAY_HELLO;
	memcpy(pt + 1, hello + 20, MOSCTL_RELAY_CHALLENGE_LEN);
	rc = tx_record(r, r->ad + MOSCTL_RELAY_CLEAR_LEN, MOSCTL_RELAY_SS_HEADER_LEN, pt,
		       sizeof(pt), MOSCTL_RELAY_CLEAR_LEN, SS(TAG_MESSAGE), err, errlen);
	if (rc)
		return setup_failed(r, rc);
	r->phase = PHASE_READY;
	return 0;
}

/* ---- records after the handshake ---- */

/* CLOSE went: the peer reads to end of file */
static int tx_shutdown(struct mosctl_relay *r, char *err, size_t errlen)
{
	if (r->nosock || !shutdown(r->fd, SHUT_WR) || errno == ENOTSOCK)
		return 0;
	return mosctl_fail(err, errlen, -errno, "relay: cannot shut the socket down: %s",
		    strerror(errno));
}

static int do_send(struct mosctl_relay *r, uint8_t type, const void *data, size_t len,
		   char *err, size_t errlen)
{
	char why[80];
	uint8_t *pt, bit;
	bool is_eof;
	int rc;

	if (r->tx_err)
		return mosctl_fail(err, errlen, r->tx_err, "relay: the %s stream failed before",
			    tx_dir(r));
	if (r->tx_closed)
		return mosctl_fail(err, errlen, -EINVAL, "relay: the %s stream is closed", tx_dir(r));
	if (record_problem(!r->home, type, data, len, r->tx_eofs, why, sizeof(why)))
		return mosctl_fail(err, errlen, -EINVAL, "relay: cannot send %s", why);
	pt = malloc(1 + len);
	if (!pt)
		return mosctl_fail(err, errlen, -ENOMEM, "relay: out of memory");
	pt[0] = type;
	if (len)
		memcpy(pt + 1, data, len);
	rc = tx_record(r, NULL, 0, pt, 1 + len, MOSCTL_RELAY_AD_LEN,
		       type == MOSCTL_RELAY_CLOSE ? SS(TAG_FINAL) : SS(TAG_MESSAGE), err, errlen);
	pt_free(pt, 1 + len);
	if (rc)
		return rc;
	bit = eof_bit(type, &is_eof);
	if (is_eof)
		r->tx_eofs |= bit;
	if (type != MOSCTL_RELAY_CLOSE)
		return 0;
	r->tx_closed = true;
	return tx_shutdown(r, err, errlen);
}

int mosctl_relay_send(struct mosctl_relay *r, uint8_t type, const void *data, size_t len,
		      char *err, size_t errlen)
{
	clear_err(err, errlen);
	if (not_ready(r, err, errlen))
		return -EINVAL;
	return sticky(&r->tx_err, do_send(r, type, data, len, err, errlen));
}

int mosctl_relay_send_status(struct mosctl_relay *r, uint32_t kind, uint32_t value,
			     char *err, size_t errlen)
{
	uint8_t p[MOSCTL_RELAY_STATUS_LEN];

	put_be32(p, kind);
	put_be32(p + 4, value);
	return mosctl_relay_send(r, MOSCTL_RELAY_STATUS, p, sizeof(p), err, errlen);
}

int mosctl_relay_send_signal(struct mosctl_relay *r, uint32_t sig, char *err, size_t errlen)
{
	uint8_t p[MOSCTL_RELAY_SIGNAL_LEN];

	put_be32(p, sig);
	return mosctl_relay_send(r, MOSCTL_RELAY_SIGNAL, p, sizeof(p), err, errlen);
}

/* after CLOSE: end of file (1), or a byte the peer did not sign off (-EPROTO) */
static int rx_after_close(struct mosctl_relay *r, char *err, size_t errlen)
{
	uint8_t extra;
	ssize_t n = mosctl_read_full(r->fd, (char *)&extra, 1);

	if (n < 0)
		return mosctl_fail(err, errlen, (int)n, "relay: cannot receive: %s", strerror((int)-n));
	if (n) {
		r->rx_bytes++;
		return mosctl_fail(err, errlen, -EPROTO, "relay: data after the %s stream's CLOSE",
			    rx_dir(r));
	}
	r->rx_ended = true;
	return 1;
}

/* the record pt[0..len) with tag is one this end may receive now */
static int rx_check(struct mosctl_relay *r, const uint8_t *pt, size_t len, uint8_t tag,
		    char *err, size_t errlen)
{
	uint8_t want = pt[0] == MOSCTL_RELAY_CLOSE ? SS(TAG_FINAL) : SS(TAG_MESSAGE);
	char why[80];

	if (record_problem(r->home, pt[0], pt + 1, len - 1, r->rx_eofs, why, sizeof(why)))
		return mosctl_fail(err, errlen, -EPROTO, "relay: %s record %llu: %s", rx_dir(r),
			    (unsigned long long)r->rx_recs, why);
	if (tag != want)
		return mosctl_fail(err, errlen, -EPROTO, "relay: %s record %llu (%s) carries the tag %s",
			    rx_dir(r), (unsigned long long)r->rx_recs, type_name(pt[0]),
			    tag_name(tag));
	return 0;
}

static int do_recv(struct mosctl_relay *r, uint8_t *type, void *buf, size_t *len,
		   char *err, size_t errlen)
{
	uint8_t *pt, tag, bit;
	size_t ptlen;
	bool is_eof;
	int rc;

	if (r->rx_err)
		return mosctl_fail(err, errlen, r->rx_err, "relay: the %s stream failed before",
			    rx_dir(r));
	if (r->rx_ended)
		return 1;
	if (r->rx_closed)
		return rx_after_close(r, err, errlen);
	rc = rx_record(r, MOSCTL_RELAY_AD_LEN, &pt, &ptlen, &tag, err, errlen);
	if (!rc)
		rc = rx_check(r, pt, ptlen, tag, err, errlen);
	if (!rc) {
		*type = pt[0];
		*len = ptlen - 1;
		memcpy(buf, pt + 1, ptlen - 1);
		bit = eof_bit(pt[0], &is_eof);
		if (is_eof)
			r->rx_eofs |= bit;
		r->rx_closed = pt[0] == MOSCTL_RELAY_CLOSE;
	}
	pt_free(pt, ptlen);
	return rc;
}

int mosctl_relay_recv(struct mosctl_relay *r, uint8_t *type, void *buf, size_t cap, size_t *len,
		      char *err, size_t errlen)
{
	*type = 0;
	*len = 0;
	clear_err(err, errlen);
	if (not_ready(r, err, errlen))
		return -EINVAL;
	if (cap < MOSCTL_RELAY_CHUNK)
		return mosctl_fail(err, errlen, -EINVAL,
			    "relay: a receive buffer of %zu bytes (%d needed)", cap,
			    MOSCTL_RELAY_CHUNK);
	return sticky(&r->rx_err, do_recv(r, type, buf, len, err, errlen));
}

int mosctl_relay_status_decode(const void *buf, size_t len, uint32_t *kind, uint32_t *value)
{
	if (len != MOSCTL_RELAY_STATUS_LEN)
		return -EINVAL;
	*kind = get_be32(buf);
	*value = get_be32((const uint8_t *)buf + 4);
	return 0;
}

int mosctl_relay_signal_decode(const void *buf, size_t len, uint32_t *sig)
{
	uint32_t s;

	if (len != MOSCTL_RELAY_SIGNAL_LEN)
		return -EINVAL;
	s = get_be32(buf);
	if (!s || s > MOSCTL_RELAY_SIGNAL_MAX)
		return -EINVAL;
	*sig = s;
	return 0;
}

void mosctl_relay_wipe(struct mosctl_relay *r)
{
	int fd = r->fd;

	sodium_memzero(r, sizeof(*r));
	r->fd = fd;
}
