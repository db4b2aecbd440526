// SPDX-License-Identifier: GPL-2.0
/*
 * The relay of a migrated job (tools/mosctl/relay.c): the ticket's codec
 * (round trips, limits, every malformed variant), the handshake and records
 * both ways over socketpairs (in one process: the split accept lets the
 * test run both ends; a forked remote end for the large exchange), the wire
 * layout, and the refusals: wrong key, another job, a replayed up or down
 * transcript, every byte flipped and every truncation of both directions,
 * records of the other direction or out of format (forged here with
 * libsodium and the test's key, independently of the library), data after
 * CLOSE, the chunk bound, the sender's own refusals.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>
#include "relay.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x
#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define HOME	7
#define NUM	4242
#define T_MSG	SS(TAG_MESSAGE)
#define T_PUSH	SS(TAG_PUSH)
#define T_REKEY	SS(TAG_REKEY)
#define T_FIN	SS(TAG_FINAL)
#define HELLO	MOSCTL_RELAY_HELLO_LEN
#define CLEAR	MOSCTL_RELAY_CLEAR_LEN
#define ERRLEN	256

static const uint8_t key[MOSCTL_RELAY_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
#define KEY_HEX	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static uint8_t rbuf[MOSCTL_RELAY_CHUNK];

static void setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
}

/* ---- the ticket ---- */

#define L1	"mosix-relay 1\n"
#define L2	"job 7.4242\n"
#define L3	"home 192.0.2.1\n"
#define L4	"port 40000\n"
#define L5	"key " KEY_HEX "\n"
#define L6	"pipes 11 12 13 14\n"
#define GOOD	L1 L2 L3 L4 L5 L6

static struct mosctl_relay_ticket good_ticket(void)
{
	struct mosctl_relay_ticket t = {
		.home = HOME, .num = NUM, .have_addr = true, .port = 40000,
		.home_addr = { .family = MOSIX_ADDR_V4, .bytes = { 192, 0, 2, 1 } },
		.pipe_ino = { 11, 12, 13, 14 },
	};

	memcpy(t.key, key, sizeof(t.key));
	return t;
}

static void ck_ticket_eq(const struct mosctl_relay_ticket *a, const struct mosctl_relay_ticket *b)
{
	ck_assert_uint_eq(a->home, b->home);
	ck_assert_uint_eq(a->num, b->num);
	ck_assert_int_eq(a->have_addr, b->have_addr);
	ck_assert_uint_eq(a->home_addr.family, b->home_addr.family);
	ck_assert(!memcmp(a->home_addr.bytes, b->home_addr.bytes, sizeof(a->home_addr.bytes)));
	ck_assert_uint_eq(a->port, b->port);
	ck_assert(!memcmp(a->key, b->key, sizeof(a->key)));
	for (int i = 0; i < MOSCTL_RELAY_PIPES; i++)
		ck_assert_uint_eq(a->pipe_ino[i], b->pipe_ino[i]);
}

/* format t, compare with text, parse it back */
static void ck_round_trip(const struct mosctl_relay_ticket *t, const char *text)
{
	struct mosctl_relay_ticket back;
	char buf[MOSCTL_RELAY_TICKET_STRLEN], err[ERRLEN] = "untouched";
	size_t len = strlen(text);

	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_int_eq(mosctl_relay_ticket_format(t, buf, sizeof(buf)), (int)len);
	ck_assert_str_eq(buf, text);
	/* exactly fits, then one byte short: nothing of it left */
	ck_assert_int_eq(mosctl_relay_ticket_format(t, buf, len + 1), (int)len);
	ck_assert_int_eq(mosctl_relay_ticket_format(t, buf, len), -ENOSPC);
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(buf[i], 0);
	memset(&back, 0xa5, sizeof(back));
	ck_assert_int_eq(mosctl_relay_ticket_parse(text, len, &back, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_ticket_eq(&back, t);
}

START_TEST(test_ticket_round_trip)
{
	struct mosctl_relay_ticket t = good_ticket();

	ck_round_trip(&t, GOOD);
	t.home_addr = (struct mosix_addr){ .family = MOSIX_ADDR_V6,
		.bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	ck_round_trip(&t, L1 L2 "home 2001:db8::1\n" L4 L5 L6);
	t.have_addr = false;
	memset(&t.home_addr, 0, sizeof(t.home_addr));
	ck_round_trip(&t, L1 L2 "home -\n" L4 L5 L6);
}
END_TEST

/* the largest values, the longest address: the longest ticket fits TICKET_STRLEN */
START_TEST(test_ticket_limits)
{
	struct mosctl_relay_ticket t = good_ticket();
	static const char text[] =
		L1 "job 65535.4294967295\nhome ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
		"port 65535\nkey ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
		"pipes 18446744073709551615 18446744073709551615 18446744073709551615 "
		"18446744073709551615\n";

	t.home = 65535;
	t.num = UINT32_MAX;
	t.port = 65535;
	t.home_addr.family = MOSIX_ADDR_V6;
	memset(t.home_addr.bytes, 0xff, 16);
	memset(t.key, 0xff, sizeof(t.key));
	for (int i = 0; i < MOSCTL_RELAY_PIPES; i++)
		t.pipe_ino[i] = UINT64_MAX;
	ck_assert_uint_eq(sizeof(text), MOSCTL_RELAY_TICKET_STRLEN - 5);
	ck_round_trip(&t, text);
	/* and the smallest */
	t = good_ticket();
	t.home = 1, t.num = 1, t.port = 1;
	t.pipe_ino[0] = t.pipe_ino[1] = t.pipe_ino[2] = t.pipe_ino[3] = 1;
	ck_round_trip(&t, L1 "job 1.1\n" L3 "port 1\n" L5 "pipes 1 1 1 1\n");
}
END_TEST

/* the formatter prints nothing the parser refuses */
START_TEST(test_ticket_format_refuses)
{
	struct mosctl_relay_ticket t;
	char buf[MOSCTL_RELAY_TICKET_STRLEN];

#define REFUSED(change) do { \
		t = good_ticket(); \
		change; \
		ck_assert_int_eq(mosctl_relay_ticket_format(&t, buf, sizeof(buf)), -EINVAL); \
	} while (0)
	REFUSED(t.home = 0);
	REFUSED(t.home = 65536);
	REFUSED(t.num = 0);
	REFUSED(t.port = 0);
	REFUSED(t.pipe_ino[2] = 0);
	REFUSED(t.home_addr.family = 0);
	REFUSED(memset(t.home_addr.bytes, 0, 4));
	REFUSED(t.home_addr = (struct mosix_addr){ .family = MOSIX_ADDR_V6 });
#undef REFUSED
}
END_TEST

static const struct bad_ticket {
	const char *text;
	size_t len;		/* 0: strlen */
	unsigned int line;
	const char *why;
} bad_tickets[] = {
	{ "", 0, 1, "missing" },
	{ "Mosix-relay 1\n" L2 L3 L4 L5 L6, 0, 1, "not a relay ticket" },
	{ "mosix-relay 2\n" L2 L3 L4 L5 L6, 0, 1, "version is not 1" },
	{ "mosix-relay  1\n" L2 L3 L4 L5 L6, 0, 1, "version is not 1" },
	{ " mosix-relay 1\n" L2 L3 L4 L5 L6, 0, 1, "not a relay ticket" },
	{ L2 L3 L4 L5 L6, 0, 1, "not a relay ticket" },
	{ L1 L3 L4 L5 L6, 0, 2, "not the \"job\" line" },
	{ L1 "Job 7.4242\n" L3 L4 L5 L6, 0, 2, "not the \"job\" line" },
	{ L1 "job 7\n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 0.4242\n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 65536.1\n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 7.4294967296\n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 07.4242\n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 7.4242 \n" L3 L4 L5 L6, 0, 2, "job is not HOME.NUM" },
	{ L1 "job 7.4242\0\n" L3 L4 L5 L6, sizeof(L1 "job 7.4242\0\n" L3 L4 L5 L6) - 1, 2,
	  "a NUL byte" },
	{ L1 L2 L4 L5 L6, 0, 3, "not the \"home\" line" },
	{ L1 L2 "home\n" L4 L5 L6, 0, 3, "not the \"home\" line" },
	{ L1 L2 "home  -\n" L4 L5 L6, 0, 3, "home is not an IPv4 or IPv6 address" },
	{ L1 L2 "home 192.0.2.01\n" L4 L5 L6, 0, 3, "home is not an IPv4 or IPv6 address" },
	{ L1 L2 "home 192.0.2.256\n" L4 L5 L6, 0, 3, "home is not an IPv4 or IPv6 address" },
	{ L1 L2 "home 2001:DB8::1\n" L4 L5 L6, 0, 3, "not in its canonical form" },
	{ L1 L2 "home 2001:db8:0::1\n" L4 L5 L6, 0, 3, "not in its canonical form" },
	{ L1 L2 "home ::ffff:192.0.2.1\n" L4 L5 L6, 0, 3, "not in its canonical form" },
	{ L1 L2 "home 0.0.0.0\n" L4 L5 L6, 0, 3, "unspecified" },
	{ L1 L2 "home ::\n" L4 L5 L6, 0, 3, "unspecified" },
	{ L1 L2 L3 "port 0\n" L5 L6, 0, 4, "port is out of range 1..65535" },
	{ L1 L2 L3 "port 65536\n" L5 L6, 0, 4, "port is out of range 1..65535" },
	{ L1 L2 L3 "port 040000\n" L5 L6, 0, 4, "port is not a decimal number" },
	{ L1 L2 L3 "port -1\n" L5 L6, 0, 4, "port is not a decimal number" },
	{ L1 L2 L3 "port 40000\r\n" L5 L6, 0, 4, "port is not a decimal number" },
	{ L1 L2 L3 "port 40000 \n" L5 L6, 0, 4, "port is not a decimal number" },
	{ L1 L2 L3 "port\t40000\n" L5 L6, 0, 4, "not the \"port\" line" },
	{ L1 L2 L3 L5 L4 L6, 0, 4, "not the \"port\" line" },
	{ L1 L2 L3 L4 "key 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n" L6,
	  0, 5, "key is not 64 lowercase hexadecimal digits" },
	{ L1 L2 L3 L4 "key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n" L6,
	  0, 5, "key is not 64 lowercase hexadecimal digits" },
	{ L1 L2 L3 L4 "key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0\n" L6,
	  0, 5, "key is not 64 lowercase hexadecimal digits" },
	{ L1 L2 L3 L4 "key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n" L6,
	  0, 5, "key is not 64 lowercase hexadecimal digits" },
	{ L1 L2 L3 L4 "key 00:01\n" L6, 0, 5, "key is not 64 lowercase hexadecimal digits" },
	{ L1 L2 L3 L4 L6, 0, 5, "not the \"key\" line" },
	{ L1 L2 L3 L4 L5, 0, 6, "missing" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 13 14", 0, 6, "not ended by a newline" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 13\n", 0, 6, "pipes: fewer than four inode numbers" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 13 14 15\n", 0, 6, "pipes: more than four inode numbers" },
	{ L1 L2 L3 L4 L5 "pipes 0 12 13 14\n", 0, 6, "pipes: IN is out of range" },
	{ L1 L2 L3 L4 L5 "pipes 11 012 13 14\n", 0, 6, "pipes: OUT is not a decimal number" },
	{ L1 L2 L3 L4 L5 "pipes 11  12 13 14\n", 0, 6, "pipes: OUT is not a decimal number" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 x 14\n", 0, 6, "pipes: ERR is not a decimal number" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 13 18446744073709551616\n", 0, 6,
	  "pipes: STATUS is out of range" },
	{ L1 L2 L3 L4 L5 "pipes 11 12 13 14 \n", 0, 6, "pipes: more than four inode numbers" },
	{ GOOD "x", 0, 7, "text after the last line" },
	{ GOOD "\n", 0, 7, "text after the last line" },
	{ GOOD L6, 0, 7, "text after the last line" },
	{ GOOD "\0", sizeof(GOOD), 7, "a NUL byte" },
};

static bool ticket_zero(const struct mosctl_relay_ticket *t)
{
	static const struct mosctl_relay_ticket z;

	return !t->home && !t->num && !t->have_addr && !t->port &&
	       !memcmp(&t->home_addr, &z.home_addr, sizeof(z.home_addr)) &&
	       !memcmp(t->key, z.key, sizeof(z.key)) &&
	       !memcmp(t->pipe_ino, z.pipe_ino, sizeof(z.pipe_ino));
}

START_TEST(test_ticket_bad)
{
	const struct bad_ticket *c = &bad_tickets[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	struct mosctl_relay_ticket t;
	char err[ERRLEN], want[ERRLEN];

	memset(&t, 0xa5, sizeof(t));
	ck_assert_int_eq(mosctl_relay_ticket_parse(c->text, len, &t, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "relay ticket line %u: ", c->line);
	ck_assert_msg(!strncmp(err, want, strlen(want)) && strstr(err, c->why),
		      "case %d: \"%s\", expected line %u and \"%s\"", _i, err, c->line, c->why);
	ck_assert(ticket_zero(&t));
}
END_TEST

START_TEST(test_ticket_too_long)
{
	char text[MOSCTL_RELAY_TICKET_MAX + 1], err[ERRLEN];
	struct mosctl_relay_ticket t;

	memset(text, 'x', sizeof(text));
	memcpy(text, GOOD, strlen(GOOD));
	memset(&t, 0xa5, sizeof(t));
	ck_assert_int_eq(mosctl_relay_ticket_parse(text, sizeof(text), &t, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "relay ticket: 1025 bytes, more than 1024");
	ck_assert(ticket_zero(&t));
	/* 1024 bytes are read: the junk is refused as such */
	ck_assert_int_eq(mosctl_relay_ticket_parse(text, sizeof(text) - 1, &t, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "relay ticket line 7: text after the last line");
	/* a NULL err is fine */
	ck_assert_int_eq(mosctl_relay_ticket_parse(text, 3, &t, NULL, 0), -EINVAL);
}
END_TEST

/* ---- connections: plumbing ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void put(int fd, const void *p, size_t len)
{
	if (len)
		ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
}

static void get(int fd, void *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)p + got, len - got);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
}

/* the rest of fd, to its end of file */
static struct buf drain(int fd)
{
	struct buf b = { 0 };
	uint8_t tmp[4096];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&b, tmp, (size_t)n);
	ck_assert_int_eq(n, 0);
	return b;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int rcv(struct mosctl_relay *r, uint8_t *type, size_t *len, char *err)
{
	return mosctl_relay_recv(r, type, rbuf, sizeof(rbuf), len, err, ERRLEN);
}

static void ck_send(struct mosctl_relay *r, uint8_t type, const void *p, size_t len)
{
	char err[ERRLEN];

	ck_assert_msg(!mosctl_relay_send(r, type, p, len, err, sizeof(err)), "send: %s", err);
}

static void ck_recv(struct mosctl_relay *r, uint8_t type, const void *p, size_t len)
{
	char err[ERRLEN];
	uint8_t t;
	size_t n;

	ck_assert_msg(!rcv(r, &t, &n, err), "recv: %s", err);
	ck_assert_uint_eq(t, type);
	ck_assert_uint_eq(n, len);
	ck_assert(!len || !memcmp(rbuf, p, len));
}

/* a keeper and a remote end over one socketpair, in this process */
struct conn {
	struct mosctl_relay k, e;
	int sv[2];		/* the keeper's fd, the remote end's */
};

static void conn_open(struct conn *c)
{
	char err[ERRLEN];

	pair(c->sv);
	ck_assert_msg(!mosctl_relay_accept_begin(&c->k, c->sv[0], key, HOME, NUM, err, ERRLEN),
		      "%s", err);
	ck_assert_msg(!mosctl_relay_connect(&c->e, c->sv[1], key, HOME, NUM, err, ERRLEN),
		      "%s", err);
	ck_assert_msg(!mosctl_relay_accept_end(&c->k, key, err, ERRLEN), "%s", err);
}

static void conn_close(struct conn *c)
{
	mosctl_relay_wipe(&c->k);
	mosctl_relay_wipe(&c->e);
	close(c->sv[0]);
	close(c->sv[1]);
}

/* a record of a script: type, payload */
struct rec {
	uint8_t type;
	const char *p;
	size_t len;
};

static const struct rec up_script[] = {
	{ MOSCTL_RELAY_OUT, "hello", 5 },
	{ MOSCTL_RELAY_ERR, "oops", 4 },
	{ MOSCTL_RELAY_STATUS, "\0\0\0\1\0\0\0\x2a", 8 },
	{ MOSCTL_RELAY_OUT_EOF, NULL, 0 },
	{ MOSCTL_RELAY_ERR_EOF, NULL, 0 },
	{ MOSCTL_RELAY_CLOSE, NULL, 0 },
};

static const struct rec down_script[] = {
	{ MOSCTL_RELAY_IN, "abc", 3 },
	{ MOSCTL_RELAY_SIGNAL, "\0\0\0\x0f", 4 },
	{ MOSCTL_RELAY_IN_EOF, NULL, 0 },
	{ MOSCTL_RELAY_CLOSE, NULL, 0 },
};

/* the wire bytes of a script's records */
static size_t script_wire(const struct rec *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += 4 + 1 + s[i].len + MOSCTL_RELAY_ABYTES;
	return w;
}

static void send_script(struct mosctl_relay *r, const struct rec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_send(r, s[i].type, s[i].p, s[i].len);
}

/*
 * Receive until an error or the clean end: every record received must be
 * the next of the script (a changed stream is refused, never accepted as
 * something else); *matched of them came. The last result.
 */
static int recv_script(struct mosctl_relay *r, const struct rec *s, size_t n, size_t *matched,
		       char *err)
{
	uint8_t t;
	size_t len;
	int rc;

	*matched = 0;
	while (!(rc = rcv(r, &t, &len, err))) {
		ck_assert_uint_lt(*matched, n);
		ck_assert_uint_eq(t, s[*matched].type);
		ck_assert_uint_eq(len, s[*matched].len);
		ck_assert(!len || !memcmp(rbuf, s[*matched].p, len));
		++*matched;
	}
	if (rc == 1)
		ck_assert_uint_eq(*matched, n);
	return rc;
}

/* a keeper k on a fresh socketpair, its hello in h; the test holds sv[1] */
static void keeper_begin(struct mosctl_relay *k, int sv[2], uint8_t h[HELLO])
{
	char err[ERRLEN];

	pair(sv);
	ck_assert_msg(!mosctl_relay_accept_begin(k, sv[0], key, HOME, NUM, err, ERRLEN), "%s",
		      err);
	get(sv[1], h, HELLO);
}

/* t[0..len) to the keeper, end of file after it: its handshake, then up_script */
static int keeper_feed(struct mosctl_relay *k, int sv[2], const uint8_t *t, size_t len,
		       size_t *matched, char *err)
{
	int rc;

	put(sv[1], t, len);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	*matched = 0;
	rc = mosctl_relay_accept_end(k, key, err, ERRLEN);
	if (!rc)
		rc = recv_script(k, up_script, N(up_script), matched, err);
	mosctl_relay_wipe(k);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

/* what a real remote end with key k sends in reply to the keeper's hello h, then up_script */
static struct buf record_up(const uint8_t h[HELLO], const uint8_t *k)
{
	struct mosctl_relay e;
	char err[ERRLEN];
	struct buf b;
	int sv[2];

	pair(sv);
	put(sv[0], h, HELLO);
	ck_assert_msg(!mosctl_relay_connect(&e, sv[1], k, HOME, NUM, err, ERRLEN), "%s", err);
	send_script(&e, up_script, N(up_script));
	b = drain(sv[0]);
	mosctl_relay_wipe(&e);
	close(sv[0]);
	close(sv[1]);
	return b;
}

/*
 * One up transcript of a real remote end to a real keeper, changed on the
 * way: byte off ^= mask (mask 0: none), cut after cut bytes. The keeper's
 * result; *matched records of up_script came before it.
 */
static int up_run(size_t off, uint8_t mask, size_t cut, size_t *len, size_t *matched,
		  char *err)
{
	struct mosctl_relay k;
	uint8_t h[HELLO];
	struct buf t;
	int sv[2], rc;

	keeper_begin(&k, sv, h);
	t = record_up(h, key);
	*len = t.len;
	if (off < t.len)
		t.p[off] ^= mask;
	rc = keeper_feed(&k, sv, t.p, cut < t.len ? cut : t.len, matched, err);
	free(t.p);
	return rc;
}

/*
 * The same for the down direction: the keeper's hello and down_script, to a
 * real remote end, relayed by the test: off and cut count from the hello's
 * first byte. The remote end's result (the first failure of either end).
 */
static int down_run(size_t off, uint8_t mask, size_t cut, size_t *len, size_t *matched,
		    char *err)
{
	struct mosctl_relay k, e;
	uint8_t h[HELLO], reply[MOSCTL_RELAY_REPLY_LEN];
	struct buf d = { 0 };
	int ks[2], es[2], rc;

	*matched = 0;
	keeper_begin(&k, ks, h);
	buf_add(&d, h, HELLO);
	pair(es);
	if (off < HELLO)
		d.p[off] ^= mask;
	put(es[0], d.p, cut < HELLO ? cut : HELLO);
	if (cut < HELLO)
		shutdown(es[0], SHUT_WR);
	rc = mosctl_relay_connect(&e, es[1], key, HOME, NUM, err, ERRLEN);
	if (!rc) {
		get(es[0], reply, sizeof(reply));
		put(ks[1], reply, sizeof(reply));
		rc = mosctl_relay_accept_end(&k, key, err, ERRLEN);
		/* the keeper refused the reply: it sends nothing, the remote end sees the end */
		if (!rc) {
			struct buf more;

			send_script(&k, down_script, N(down_script));
			more = drain(ks[1]);
			buf_add(&d, more.p, more.len);
			free(more.p);
			if (off >= HELLO && off < d.len)
				d.p[off] ^= mask;
			put(es[0], d.p + HELLO, (cut < d.len ? cut : d.len) - HELLO);
		}
		shutdown(es[0], SHUT_WR);
		rc = recv_script(&e, down_script, N(down_script), matched, err);
	}
	*len = d.len;
	mosctl_relay_wipe(&k);
	mosctl_relay_wipe(&e);
	close(ks[0]), close(ks[1]), close(es[0]), close(es[1]);
	free(d.p);
	return rc;
}

/* ---- connections: what works ---- */

START_TEST(test_records_both_ways)
{
	size_t up = MOSCTL_RELAY_REPLY_LEN + script_wire(up_script, N(up_script));
	size_t down = HELLO + script_wire(down_script, N(down_script));
	char err[ERRLEN] = "untouched";
	uint32_t kind, value, sig;
	struct conn c;
	size_t len;
	uint8_t t;

	conn_open(&c);
	ck_assert(c.k.home && !c.e.home);
	/* interleaved: each direction is its own stream */
	ck_send(&c.e, MOSCTL_RELAY_OUT, "hello", 5);
	ck_send(&c.k, MOSCTL_RELAY_IN, "abc", 3);
	ck_recv(&c.k, MOSCTL_RELAY_OUT, "hello", 5);
	ck_assert_int_eq(mosctl_relay_send_signal(&c.k, 15, err, ERRLEN), 0);
	ck_send(&c.e, MOSCTL_RELAY_ERR, "oops", 4);
	ck_assert_int_eq(mosctl_relay_send_status(&c.e, 1, 42, err, ERRLEN), 0);
	ck_recv(&c.e, MOSCTL_RELAY_IN, "abc", 3);
	ck_recv(&c.e, MOSCTL_RELAY_SIGNAL, "\0\0\0\x0f", 4);
	ck_assert_int_eq(mosctl_relay_signal_decode(rbuf, 4, &sig), 0);
	ck_assert_uint_eq(sig, 15);
	ck_recv(&c.k, MOSCTL_RELAY_ERR, "oops", 4);
	ck_assert_int_eq(rcv(&c.k, &t, &len, err), 0);
	ck_assert_uint_eq(t, MOSCTL_RELAY_STATUS);
	ck_assert_int_eq(mosctl_relay_status_decode(rbuf, len, &kind, &value), 0);
	ck_assert_uint_eq(kind, 1);
	ck_assert_uint_eq(value, 42);
	send_script(&c.k, down_script + 2, 2);
	send_script(&c.e, up_script + 3, 3);
	ck_recv(&c.k, MOSCTL_RELAY_OUT_EOF, NULL, 0);
	ck_recv(&c.k, MOSCTL_RELAY_ERR_EOF, NULL, 0);
	ck_assert(!c.k.rx_closed);
	ck_recv(&c.k, MOSCTL_RELAY_CLOSE, NULL, 0);
	ck_assert(c.k.rx_closed && c.e.tx_closed);
	ck_recv(&c.e, MOSCTL_RELAY_IN_EOF, NULL, 0);
	ck_recv(&c.e, MOSCTL_RELAY_CLOSE, NULL, 0);
	/* then the clean end, once and for good */
	ck_assert_int_eq(rcv(&c.k, &t, &len, err), 1);
	ck_assert_int_eq(rcv(&c.k, &t, &len, err), 1);
	ck_assert_int_eq(rcv(&c.e, &t, &len, err), 1);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.k.rx_bytes, up);
	ck_assert_uint_eq(c.e.tx_bytes, up);
	ck_assert_uint_eq(c.k.tx_bytes, down);
	ck_assert_uint_eq(c.e.rx_bytes, down);
	ck_assert_uint_eq(c.k.rx_recs, N(up_script) + 1);
	conn_close(&c);
}
END_TEST

/* the largest record both ways, and the sender's refusal of one byte more */
START_TEST(test_chunk_bound)
{
	uint8_t *data = malloc(MOSCTL_RELAY_CHUNK + 1);
	char err[ERRLEN];
	struct conn c;
	uint64_t tx;
	size_t len;
	uint8_t t;

	randombytes_buf(data, MOSCTL_RELAY_CHUNK + 1);
	conn_open(&c);
	ck_send(&c.e, MOSCTL_RELAY_OUT, data, MOSCTL_RELAY_CHUNK);
	ck_recv(&c.k, MOSCTL_RELAY_OUT, data, MOSCTL_RELAY_CHUNK);
	ck_assert_uint_eq(c.k.rx_bytes, MOSCTL_RELAY_REPLY_LEN + 4 + MOSCTL_RELAY_REC_MAX);
	ck_send(&c.k, MOSCTL_RELAY_IN, data + 1, MOSCTL_RELAY_CHUNK);
	ck_recv(&c.e, MOSCTL_RELAY_IN, data + 1, MOSCTL_RELAY_CHUNK);
	tx = c.e.tx_bytes;
	ck_assert_int_eq(mosctl_relay_send(&c.e, MOSCTL_RELAY_ERR, data, MOSCTL_RELAY_CHUNK + 1,
					   err, ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: cannot send ERR of 65537 bytes (1..65536 allowed)");
	ck_assert_int_eq(mosctl_relay_send(&c.k, MOSCTL_RELAY_IN, data, MOSCTL_RELAY_CHUNK + 1,
					   err, ERRLEN), -EINVAL);
	/* nothing went, and the direction still works */
	ck_assert_uint_eq(c.e.tx_bytes, tx);
	ck_send(&c.e, MOSCTL_RELAY_ERR, data, 1);
	ck_recv(&c.k, MOSCTL_RELAY_ERR, data, 1);
	/* a receiver must hold a chunk */
	ck_assert_int_eq(mosctl_relay_recv(&c.k, &t, rbuf, MOSCTL_RELAY_CHUNK - 1, &len, err,
					   ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: a receive buffer of 65535 bytes (65536 needed)");
	conn_close(&c);
	free(data);
}
END_TEST

/* the child of test_forked_echo: the remote end, echoing IN as OUT, SIGNAL as STATUS */
static int echo_child(int fd)
{
	struct mosctl_relay e;
	char err[ERRLEN];
	size_t len;
	uint8_t t;
	int rc;

	if (mosctl_relay_connect(&e, fd, key, HOME, NUM, err, ERRLEN))
		return 1;
	while (!(rc = mosctl_relay_recv(&e, &t, rbuf, sizeof(rbuf), &len, err, ERRLEN))) {
		uint32_t sig;

		if (t == MOSCTL_RELAY_IN)
			rc = mosctl_relay_send(&e, MOSCTL_RELAY_OUT, rbuf, len, err, ERRLEN);
		else if (t == MOSCTL_RELAY_IN_EOF)
			rc = mosctl_relay_send(&e, MOSCTL_RELAY_OUT_EOF, NULL, 0, err, ERRLEN);
		else if (t == MOSCTL_RELAY_SIGNAL && !mosctl_relay_signal_decode(rbuf, len, &sig))
			rc = mosctl_relay_send_status(&e, 2, sig, err, ERRLEN);
		if (rc)
			return 2;
	}
	if (rc != 1 || mosctl_relay_send(&e, MOSCTL_RELAY_CLOSE, NULL, 0, err, ERRLEN))
		return 3;
	mosctl_relay_wipe(&e);
	return 0;
}

/* a megabyte through a forked remote end and back: blocking I/O, the whole accept */
START_TEST(test_forked_echo)
{
	static const size_t sizes[] = { 1, 100, MOSCTL_RELAY_CHUNK, 4096, MOSCTL_RELAY_CHUNK - 1 };
	uint8_t *data = malloc(1 << 20);
	struct mosctl_relay k;
	uint32_t kind, value;
	size_t off = 0, i = 0, len;
	int sv[2], status;
	char err[ERRLEN];
	uint8_t t;
	pid_t pid;

	randombytes_buf(data, 1 << 20);
	pair(sv);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(sv[0]);
		_exit(echo_child(sv[1]));
	}
	close(sv[1]);
	ck_assert_msg(!mosctl_relay_accept(&k, sv[0], key, HOME, NUM, err, ERRLEN), "%s", err);
	while (off < (1 << 20)) {
		size_t n = sizes[i++ % N(sizes)];

		if (n > (1 << 20) - off)
			n = (1 << 20) - off;
		ck_send(&k, MOSCTL_RELAY_IN, data + off, n);
		ck_recv(&k, MOSCTL_RELAY_OUT, data + off, n);
		off += n;
	}
	ck_assert_int_eq(mosctl_relay_send_signal(&k, 64, err, ERRLEN), 0);
	ck_assert_int_eq(rcv(&k, &t, &len, err), 0);
	ck_assert_uint_eq(t, MOSCTL_RELAY_STATUS);
	ck_assert_int_eq(mosctl_relay_status_decode(rbuf, len, &kind, &value), 0);
	ck_assert(kind == 2 && value == 64);
	ck_send(&k, MOSCTL_RELAY_IN_EOF, NULL, 0);
	ck_recv(&k, MOSCTL_RELAY_OUT_EOF, NULL, 0);
	ck_send(&k, MOSCTL_RELAY_CLOSE, NULL, 0);
	ck_recv(&k, MOSCTL_RELAY_CLOSE, NULL, 0);
	ck_assert_int_eq(rcv(&k, &t, &len, err), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status), "child: %d", status);
	mosctl_relay_wipe(&k);
	close(sv[0]);
	free(data);
}
END_TEST

/* the layout of relay.h, checked with libsodium alone */
START_TEST(test_wire_layout)
{
	static const uint8_t head[] = { 'M', 'O', 'S', 'I', 'X', 'R', 'L', 'Y', 0, 1, 0, 0,
					0, 0, 0, HOME, 0, 0, NUM >> 8, NUM & 0xff };
	uint8_t h[HELLO], h2[HELLO], ad[MOSCTL_RELAY_AD_LEN], sub[32], pt[32], tag;
	unsigned long long mlen;
	struct mosctl_relay k, k2;
	SS(state) ss;
	struct buf t;
	int sv[2], sv2[2];

	keeper_begin(&k, sv, h);
	keeper_begin(&k2, sv2, h2);
	ck_assert(!memcmp(h, head, sizeof(head)) && !memcmp(h2, head, sizeof(head)));
	/* fresh challenge and down header each time */
	ck_assert(memcmp(h + 20, h2 + 20, 16) && memcmp(h + CLEAR, h2 + CLEAR, 24));
	ck_assert_uint_eq(k.tx_bytes, 60);
	/* the reply: up header | length 34 | HELLO + challenge under the clear hello */
	t = record_up(h, key);
	ck_assert_uint_eq(t.len, 62 + script_wire(up_script, N(up_script)));
	ck_assert_uint_eq(get_be32(t.p + 24), 34);
	crypto_kdf_derive_from_key(sub, 32, 1, "mosixrly", key);
	ck_assert_int_eq(SS(init_pull)(&ss, t.p, sub), 0);
	ck_assert_int_eq(SS(pull)(&ss, pt, &mlen, &tag, t.p + 28, 34, h, CLEAR), 0);
	ck_assert(mlen == 17 && pt[0] == MOSCTL_RELAY_HELLO && tag == T_MSG);
	ck_assert(!memcmp(pt + 1, h + 20, 16));
	/* OUT "hello": the transcript (clear hello | up header) as additional data */
	memcpy(ad, h, CLEAR);
	memcpy(ad + CLEAR, t.p, 24);
	ck_assert_uint_eq(get_be32(t.p + 62), 1 + 5 + 17);
	ck_assert_int_eq(SS(pull)(&ss, pt, &mlen, &tag, t.p + 66, 23, ad, sizeof(ad)), 0);
	ck_assert(mlen == 6 && pt[0] == MOSCTL_RELAY_OUT && !memcmp(pt + 1, "hello", 5));
	/* the keeper takes it, and sends down: IN "x", CLOSE (TAG_FINAL), end of file */
	put(sv[1], t.p, MOSCTL_RELAY_REPLY_LEN);
	ck_assert_int_eq(mosctl_relay_accept_end(&k, key, NULL, 0), 0);
	ck_send(&k, MOSCTL_RELAY_IN, "x", 1);
	ck_send(&k, MOSCTL_RELAY_CLOSE, NULL, 0);
	free(t.p);
	t = drain(sv[1]);
	ck_assert_uint_eq(t.len, 2 * 4 + 2 * 17 + 2 + 1);
	ck_assert_uint_eq(get_be32(t.p), 19);
	crypto_kdf_derive_from_key(sub, 32, 2, "mosixrly", key);
	ck_assert_int_eq(SS(init_pull)(&ss, h + CLEAR, sub), 0);
	ck_assert_int_eq(SS(pull)(&ss, pt, &mlen, &tag, t.p + 4, 19, ad, sizeof(ad)), 0);
	ck_assert(mlen == 2 && pt[0] == MOSCTL_RELAY_IN && pt[1] == 'x' && tag == T_MSG);
	ck_assert_uint_eq(get_be32(t.p + 23), 18);
	ck_assert_int_eq(SS(pull)(&ss, pt, &mlen, &tag, t.p + 27, 18, ad, sizeof(ad)), 0);
	ck_assert(mlen == 1 && pt[0] == MOSCTL_RELAY_CLOSE && tag == T_FIN);
	free(t.p);
	mosctl_relay_wipe(&k);
	mosctl_relay_wipe(&k2);
	close(sv[0]), close(sv[1]), close(sv2[0]), close(sv2[1]);
}
END_TEST

/* ---- connections: refusals ---- */

START_TEST(test_wrong_key)
{
	uint8_t k2[MOSCTL_RELAY_KEY_LEN], h[HELLO];
	struct mosctl_relay k;
	char err[ERRLEN];
	size_t matched;
	struct buf t;
	int sv[2];

	memcpy(k2, key, sizeof(k2));
	k2[31] ^= 1;
	keeper_begin(&k, sv, h);
	t = record_up(h, k2);
	ck_assert_int_eq(keeper_feed(&k, sv, t.p, t.len, &matched, err), -EBADMSG);
	ck_assert_str_eq(err, "relay: the remote end's HELLO does not verify "
			 "(wrong key, or a reply to another hello)");
	ck_assert_uint_eq(matched, 0);
	free(t.p);
}
END_TEST

START_TEST(test_wrong_job)
{
	struct mosctl_relay k, e;
	char err[ERRLEN];
	int sv[2];

	pair(sv);
	ck_assert_int_eq(mosctl_relay_accept_begin(&k, sv[0], key, HOME, NUM, err, ERRLEN), 0);
	ck_assert_int_eq(mosctl_relay_connect(&e, sv[1], key, HOME, NUM + 1, err, ERRLEN), -EPROTO);
	ck_assert_str_eq(err, "relay: the keeper relays job 7.4242, not 7.4243");
	/* nothing usable is left, the fd stays */
	ck_assert_int_eq(e.phase, 0);
	ck_assert_int_eq(e.fd, sv[1]);
	ck_assert_uint_eq(e.tx_bytes, 0);
	ck_assert_int_eq(mosctl_relay_send(&e, MOSCTL_RELAY_OUT, "x", 1, err, ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: the connection has no handshake");
	mosctl_relay_wipe(&k);
	close(sv[0]), close(sv[1]);
}
END_TEST

/* the keeper's clear hello, changed: the remote end refuses it before any key is used */
static const struct {
	size_t off;
	uint8_t val;
	const char *why;
} bad_hellos[] = {
	{ 0, 'm', "relay: not a relay connection (bad magic)" },
	{ 7, 'X', "relay: not a relay connection (bad magic)" },
	{ 9, 2, "relay: version 2 is not supported (only 1)" },
	{ 8, 1, "relay: version 257 is not supported (only 1)" },
	{ 11, 1, "relay: the hello's reserved field is 0x1, not 0" },
	{ 15, 8, "relay: the keeper relays job 8.4242, not 7.4242" },
	{ 12, 1, "relay: the keeper relays job 16777223.4242, not 7.4242" },
	{ 19, 0x93, "relay: the keeper relays job 7.4243, not 7.4242" },
};

START_TEST(test_bad_hello)
{
	struct mosctl_relay k, e;
	char err[ERRLEN];
	uint8_t h[HELLO];
	int sv[2], es[2];

	keeper_begin(&k, sv, h);
	h[bad_hellos[_i].off] = bad_hellos[_i].val;
	pair(es);
	put(es[0], h, HELLO);
	ck_assert_int_eq(mosctl_relay_connect(&e, es[1], key, HOME, NUM, err, ERRLEN), -EPROTO);
	ck_assert_str_eq(err, bad_hellos[_i].why);
	mosctl_relay_wipe(&k);
	close(sv[0]), close(sv[1]), close(es[0]), close(es[1]);
}
END_TEST

START_TEST(test_truncated_hello)
{
	struct mosctl_relay e;
	char err[ERRLEN];
	uint8_t h[HELLO];
	int sv[2];

	for (size_t cut = 0; cut < HELLO; cut++) {
		memset(h, 0, sizeof(h));
		pair(sv);
		put(sv[0], h, cut);
		shutdown(sv[0], SHUT_WR);
		ck_assert_int_eq(mosctl_relay_connect(&e, sv[1], key, HOME, NUM, err, ERRLEN),
				 -ECONNRESET);
		ck_assert_str_eq(err,
				 "relay: the keeper's stream ended inside its hello (truncated)");
		close(sv[0]), close(sv[1]);
	}
}
END_TEST

/* a real remote end's reply to one keeper, replayed to another: another challenge */
START_TEST(test_replay_up)
{
	struct mosctl_relay k;
	uint8_t h[HELLO];
	char err[ERRLEN];
	size_t matched;
	struct buf t;
	int sv[2];

	keeper_begin(&k, sv, h);
	t = record_up(h, key);
	ck_assert_int_eq(keeper_feed(&k, sv, t.p, t.len, &matched, err), 1);
	ck_assert_uint_eq(matched, N(up_script));
	keeper_begin(&k, sv, h);
	ck_assert_int_eq(keeper_feed(&k, sv, t.p, t.len, &matched, err), -EBADMSG);
	ck_assert_str_eq(err, "relay: the remote end's HELLO does not verify "
			 "(wrong key, or a reply to another hello)");
	ck_assert_uint_eq(matched, 0);
	free(t.p);
}
END_TEST

/*
 * A keeper's hello and down records, recorded, replayed to another remote
 * end: the remote end's fresh up header is in every record's additional
 * data, so even stdin and signals of a whole recorded session do not replay.
 */
START_TEST(test_replay_down)
{
	struct mosctl_relay k, e;
	uint8_t h[HELLO], reply[MOSCTL_RELAY_REPLY_LEN];
	char err[ERRLEN];
	struct buf d;
	size_t matched;
	int ks[2], es[2];

	keeper_begin(&k, ks, h);
	pair(es);
	put(es[0], h, HELLO);
	ck_assert_int_eq(mosctl_relay_connect(&e, es[1], key, HOME, NUM, err, ERRLEN), 0);
	get(es[0], reply, sizeof(reply));
	put(ks[1], reply, sizeof(reply));
	ck_assert_int_eq(mosctl_relay_accept_end(&k, key, err, ERRLEN), 0);
	send_script(&k, down_script, N(down_script));
	d = drain(ks[1]);
	put(es[0], d.p, d.len);
	shutdown(es[0], SHUT_WR);
	ck_assert_int_eq(recv_script(&e, down_script, N(down_script), &matched, err), 1);
	mosctl_relay_wipe(&e);
	close(es[0]), close(es[1]);
	/* the same bytes to a new remote end */
	pair(es);
	put(es[0], h, HELLO);
	ck_assert_int_eq(mosctl_relay_connect(&e, es[1], key, HOME, NUM, err, ERRLEN), 0);
	put(es[0], d.p, d.len);
	shutdown(es[0], SHUT_WR);
	ck_assert_int_eq(recv_script(&e, down_script, N(down_script), &matched, err), -EBADMSG);
	ck_assert_str_eq(err, "relay: down record 1 does not verify "
			 "(wrong key, or changed on the way)");
	ck_assert_uint_eq(matched, 0);
	mosctl_relay_wipe(&k);
	mosctl_relay_wipe(&e);
	close(ks[0]), close(ks[1]), close(es[0]), close(es[1]);
	free(d.p);
}
END_TEST

static bool relay_errno(int rc)
{
	return rc == -EBADMSG || rc == -EPROTO || rc == -ECONNRESET;
}

START_TEST(test_up_every_flip)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	size_t want = MOSCTL_RELAY_REPLY_LEN + script_wire(up_script, N(up_script));
	size_t len = 0, matched;
	char err[ERRLEN];

	for (size_t off = 0; off < want; off++) {
		for (size_t m = 0; m < N(masks); m++) {
			int rc = up_run(off, masks[m], SIZE_MAX, &len, &matched, err);

			ck_assert_uint_eq(len, want);
			ck_assert_msg(relay_errno(rc), "byte %zu ^ 0x%02x: %d %s", off, masks[m],
				      rc, err);
		}
	}
}
END_TEST

START_TEST(test_down_every_flip)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	size_t want = HELLO + script_wire(down_script, N(down_script));
	size_t len, matched;
	char err[ERRLEN];

	for (size_t off = 0; off < want; off++) {
		for (size_t m = 0; m < N(masks); m++) {
			int rc = down_run(off, masks[m], SIZE_MAX, &len, &matched, err);

			ck_assert_msg(relay_errno(rc), "byte %zu ^ 0x%02x: %d %s", off, masks[m],
				      rc, err);
			/* a changed hello may end the handshake before the records */
			ck_assert(len == want || (off < HELLO && len == HELLO));
		}
	}
}
END_TEST

/* the records of script s wholly within cut bytes of a transcript whose records start at base */
static size_t whole_records(const struct rec *s, size_t n, size_t base, size_t cut)
{
	size_t i, at = base;

	for (i = 0; i < n; i++) {
		at += 4 + 1 + s[i].len + MOSCTL_RELAY_ABYTES;
		if (at > cut)
			break;
	}
	return i;
}

START_TEST(test_up_every_truncation)
{
	size_t want = MOSCTL_RELAY_REPLY_LEN + script_wire(up_script, N(up_script));
	size_t len, matched;
	char err[ERRLEN];

	for (size_t cut = 0; cut <= want; cut++) {
		int rc = up_run(SIZE_MAX, 0, cut, &len, &matched, err);

		ck_assert_int_eq(rc, cut == want ? 1 : -ECONNRESET);
		ck_assert_uint_eq(matched, whole_records(up_script, N(up_script),
							 MOSCTL_RELAY_REPLY_LEN, cut));
	}
}
END_TEST

START_TEST(test_down_every_truncation)
{
	size_t want = HELLO + script_wire(down_script, N(down_script));
	size_t len, matched;
	char err[ERRLEN];

	for (size_t cut = 0; cut <= want; cut++) {
		int rc = down_run(SIZE_MAX, 0, cut, &len, &matched, err);

		ck_assert_msg(rc == (cut == want ? 1 : -ECONNRESET), "cut %zu: %d %s", cut, rc,
			      err);
		ck_assert_uint_eq(matched, cut < HELLO ? 0 :
				  whole_records(down_script, N(down_script), HELLO, cut));
	}
}
END_TEST

/* ---- forged records: the test's own encoder ---- */

/* the first up record, as forged */
enum { H_OK, H_NONE, H_SHORT, H_FINAL, H_CHALLENGE, H_AD };

struct frec {
	uint8_t type;
	uint8_t tag;
	uint8_t adlen;		/* 0: the transcript's 60 bytes */
	size_t len;
	const char *p;
};

static const struct forged {
	bool down;		/* forge the keeper (down records), else the remote end */
	int hello;		/* up only */
	struct frec recs[3];
	size_t nrecs;
	const char *raw;	/* then these bytes (NULL: none) */
	size_t rawlen;
	size_t ok;		/* records accepted before the refusal */
	int rc;
	const char *why;
} forged[] = {
	/* up, at the keeper */
	{ false, H_OK, { { MOSCTL_RELAY_IN, T_MSG, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: IN, a record of the down direction" },
	{ false, H_OK, { { MOSCTL_RELAY_IN_EOF, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: IN_EOF, a record of the down direction" },
	{ false, H_OK, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\0\0\0\x09" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: up record 2: SIGNAL, a record of the down direction" },
	{ false, H_OK, { { MOSCTL_RELAY_HELLO, T_MSG, 0, 16, "0123456789abcdef" } }, 1, NULL, 0,
	  0, -EPROTO, "relay: up record 2: HELLO after the first record" },
	{ false, H_OK, { { 0, T_MSG, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: the unknown type 0" },
	{ false, H_OK, { { 11, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: the unknown type 11" },
	{ false, H_OK, { { 255, T_FIN, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: the unknown type 255" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: OUT of 0 bytes (1..65536 allowed)" },
	{ false, H_OK, { { MOSCTL_RELAY_ERR, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: ERR of 0 bytes (1..65536 allowed)" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT_EOF, T_MSG, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: OUT_EOF of 1 bytes (0 expected)" },
	{ false, H_OK, { { MOSCTL_RELAY_STATUS, T_MSG, 0, 7, "1234567" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: up record 2: STATUS of 7 bytes (8 expected)" },
	{ false, H_OK, { { MOSCTL_RELAY_STATUS, T_MSG, 0, 9, "123456789" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: up record 2: STATUS of 9 bytes (8 expected)" },
	{ false, H_OK, { { MOSCTL_RELAY_CLOSE, T_FIN, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2: CLOSE of 1 bytes (0 expected)" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT, T_FIN, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2 (OUT) carries the tag FINAL" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT, T_PUSH, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2 (OUT) carries the tag PUSH" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT, T_REKEY, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2 (OUT) carries the tag REKEY" },
	{ false, H_OK, { { MOSCTL_RELAY_CLOSE, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 2 (CLOSE) carries the tag MESSAGE" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT_EOF, T_MSG, 0, 0, NULL },
			 { MOSCTL_RELAY_OUT, T_MSG, 0, 1, "x" } }, 2, NULL, 0, 1, -EPROTO,
	  "relay: up record 3: OUT after its EOF" },
	{ false, H_OK, { { MOSCTL_RELAY_ERR_EOF, T_MSG, 0, 0, NULL },
			 { MOSCTL_RELAY_OUT, T_MSG, 0, 1, "x" },
			 { MOSCTL_RELAY_ERR, T_MSG, 0, 1, "y" } }, 3, NULL, 0, 2, -EPROTO,
	  "relay: up record 4: ERR after its EOF" },
	{ false, H_OK, { { MOSCTL_RELAY_ERR_EOF, T_MSG, 0, 0, NULL },
			 { MOSCTL_RELAY_ERR_EOF, T_MSG, 0, 0, NULL } }, 2, NULL, 0, 1, -EPROTO,
	  "relay: up record 3: a second ERR_EOF" },
	{ false, H_OK, { { MOSCTL_RELAY_OUT, T_MSG, 36, 1, "x" } }, 1, NULL, 0, 0, -EBADMSG,
	  "relay: up record 2 does not verify (wrong key, or changed on the way)" },
	{ false, H_OK, { { MOSCTL_RELAY_CLOSE, T_FIN, 0, 0, NULL } }, 1, "x", 1, 1, -EPROTO,
	  "relay: data after the up stream's CLOSE" },
	{ false, H_OK, { { MOSCTL_RELAY_CLOSE, T_FIN, 0, 0, NULL },
			 { MOSCTL_RELAY_OUT, T_MSG, 0, 1, "x" } }, 2, NULL, 0, 1, -EPROTO,
	  "relay: data after the up stream's CLOSE" },
	{ false, H_OK, { { 0 } }, 0, "\0\0\0\x11", 4, 0, -EPROTO,
	  "relay: up record 2 has a length of 17 bytes (18..65554 allowed)" },
	{ false, H_OK, { { 0 } }, 0, "\0\1\0\x13", 4, 0, -EPROTO,
	  "relay: up record 2 has a length of 65555 bytes (18..65554 allowed)" },
	{ false, H_OK, { { 0 } }, 0, "\xff\xff\xff\xff", 4, 0, -EPROTO,
	  "relay: up record 2 has a length of 4294967295 bytes (18..65554 allowed)" },
	{ false, H_OK, { { 0 } }, 0, "\0\0\0", 3, 0, -ECONNRESET,
	  "relay: the remote end's stream ended inside up record 2 (truncated)" },
	{ false, H_OK, { { 0 } }, 0, NULL, 0, 0, -ECONNRESET,
	  "relay: the remote end's stream ended without CLOSE" },
	/* up, the first record */
	{ false, H_NONE, { { MOSCTL_RELAY_OUT, T_MSG, 36, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 1 is OUT (type 2), not HELLO" },
	{ false, H_NONE, { { MOSCTL_RELAY_CLOSE, T_FIN, 36, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: up record 1 is CLOSE (type 10), not HELLO" },
	{ false, H_NONE, { { 0 } }, 0, NULL, 0, 0, -ECONNRESET,
	  "relay: the remote end's stream ended inside up record 1 (truncated)" },
	{ false, H_SHORT, { { 0 } }, 0, NULL, 0, 0, -EPROTO,
	  "relay: up record 1: HELLO of 15 bytes (16 expected)" },
	{ false, H_FINAL, { { 0 } }, 0, NULL, 0, 0, -EPROTO,
	  "relay: up record 1 (HELLO) carries the tag FINAL" },
	{ false, H_CHALLENGE, { { 0 } }, 0, NULL, 0, 0, -EBADMSG,
	  "relay: the remote end's HELLO answers another challenge" },
	{ false, H_AD, { { 0 } }, 0, NULL, 0, 0, -EBADMSG,
	  "relay: the remote end's HELLO does not verify "
	  "(wrong key, or a reply to another hello)" },
	/* down, at the remote end */
	{ true, 0, { { MOSCTL_RELAY_OUT, T_MSG, 0, 1, "x" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: OUT, a record of the up direction" },
	{ true, 0, { { MOSCTL_RELAY_STATUS, T_MSG, 0, 8, "12345678" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: STATUS, a record of the up direction" },
	{ true, 0, { { MOSCTL_RELAY_HELLO, T_MSG, 0, 16, "0123456789abcdef" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: down record 1: HELLO, a record of the up direction" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\0\0\0\0" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: SIGNAL 0 (1..64 allowed)" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\0\0\0\x41" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: SIGNAL 65 (1..64 allowed)" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\xff\0\0\x09" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: down record 1: SIGNAL 4278190089 (1..64 allowed)" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 3, "\0\0\x09" } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: SIGNAL of 3 bytes (4 expected)" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 5, "\0\0\0\x09\0" } }, 1, NULL, 0, 0,
	  -EPROTO, "relay: down record 1: SIGNAL of 5 bytes (4 expected)" },
	{ true, 0, { { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\0\0\0\x01" },
		     { MOSCTL_RELAY_SIGNAL, T_MSG, 0, 4, "\0\0\0\x40" },
		     { MOSCTL_RELAY_CLOSE, T_FIN, 0, 0, NULL } }, 3, NULL, 0, 3, 1, "" },
	{ true, 0, { { MOSCTL_RELAY_IN, T_MSG, 0, 0, NULL } }, 1, NULL, 0, 0, -EPROTO,
	  "relay: down record 1: IN of 0 bytes (1..65536 allowed)" },
	{ true, 0, { { MOSCTL_RELAY_IN_EOF, T_MSG, 0, 0, NULL },
		     { MOSCTL_RELAY_IN, T_MSG, 0, 1, "x" } }, 2, NULL, 0, 1, -EPROTO,
	  "relay: down record 2: IN after its EOF" },
	{ true, 0, { { MOSCTL_RELAY_IN_EOF, T_MSG, 0, 0, NULL },
		     { MOSCTL_RELAY_IN_EOF, T_MSG, 0, 0, NULL } }, 2, NULL, 0, 1, -EPROTO,
	  "relay: down record 2: a second IN_EOF" },
	{ true, 0, { { MOSCTL_RELAY_IN, T_MSG, 36, 1, "x" } }, 1, NULL, 0, 0, -EBADMSG,
	  "relay: down record 1 does not verify (wrong key, or changed on the way)" },
	{ true, 0, { { MOSCTL_RELAY_CLOSE, T_FIN, 0, 0, NULL } }, 1, "\0", 1, 1, -EPROTO,
	  "relay: data after the down stream's CLOSE" },
	{ true, 0, { { 0 } }, 0, NULL, 0, 0, -ECONNRESET,
	  "relay: the keeper's stream ended without CLOSE" },
};

struct forge {
	SS(state) ss;
	uint8_t ad[MOSCTL_RELAY_AD_LEN];
	struct buf b;
};

static void forge_rec(struct forge *f, const struct frec *r)
{
	uint8_t pt[64], c[64 + 17], l[4];
	size_t adlen = r->adlen ? r->adlen : sizeof(f->ad);
	unsigned long long clen;

	pt[0] = r->type;
	if (r->len)
		memcpy(pt + 1, r->p, r->len);
	SS(push)(&f->ss, c, &clen, pt, 1 + r->len, f->ad, adlen, r->tag);
	be32(l, (uint32_t)clen);
	buf_add(&f->b, l, 4);
	buf_add(&f->b, c, (size_t)clen);
}

/* a forged remote end's reply to hello h: up header, then HELLO as c->hello says */
static void forge_reply(struct forge *f, const struct forged *c, const uint8_t h[HELLO])
{
	struct frec hello = { MOSCTL_RELAY_HELLO, T_MSG, CLEAR, 16, (const char *)h + 20 };
	uint8_t sub[32], chal[16];

	memcpy(f->ad, h, CLEAR);
	crypto_kdf_derive_from_key(sub, 32, 1, "mosixrly", key);
	SS(init_push)(&f->ss, f->ad + CLEAR, sub);
	buf_add(&f->b, f->ad + CLEAR, 24);
	if (c->hello == H_NONE)
		return;
	if (c->hello == H_SHORT)
		hello.len = 15;
	if (c->hello == H_FINAL)
		hello.tag = T_FIN;
	if (c->hello == H_AD)
		hello.adlen = 0;
	if (c->hello == H_CHALLENGE) {
		memcpy(chal, h + 20, 16);
		chal[5] ^= 1;
		hello.p = (const char *)chal;
	}
	forge_rec(f, &hello);
}

/* the keeper, fed a forged reply and records */
static int forged_up(const struct forged *c, size_t *matched, char *err)
{
	struct forge f = { 0 };
	struct mosctl_relay k;
	uint8_t h[HELLO], t;
	size_t len;
	int sv[2], rc;

	keeper_begin(&k, sv, h);
	forge_reply(&f, c, h);
	for (size_t i = 0; i < c->nrecs; i++)
		forge_rec(&f, &c->recs[i]);
	buf_add(&f.b, c->raw, c->rawlen);
	put(sv[1], f.b.p, f.b.len);
	shutdown(sv[1], SHUT_WR);
	*matched = 0;
	rc = mosctl_relay_accept_end(&k, key, err, ERRLEN);
	while (!rc && !(rc = rcv(&k, &t, &len, err)))
		ck_assert_uint_eq(t, c->recs[(*matched)++].type);
	mosctl_relay_wipe(&k);
	close(sv[0]), close(sv[1]);
	free(f.b.p);
	return rc;
}

/* the remote end, fed a forged keeper's hello and records */
static int forged_down(const struct forged *c, size_t *matched, char *err)
{
	uint8_t h[HELLO], sub[32], reply[MOSCTL_RELAY_REPLY_LEN], t;
	struct forge f = { 0 };
	struct mosctl_relay e;
	size_t len;
	int sv[2], rc;

	memcpy(h, "MOSIXRLY\0\1\0\0", 12);
	be32(h + 12, HOME);
	be32(h + 16, NUM);
	randombytes_buf(h + 20, 16);
	crypto_kdf_derive_from_key(sub, 32, 2, "mosixrly", key);
	SS(init_push)(&f.ss, h + CLEAR, sub);
	pair(sv);
	put(sv[0], h, HELLO);
	ck_assert_int_eq(mosctl_relay_connect(&e, sv[1], key, HOME, NUM, err, ERRLEN), 0);
	get(sv[0], reply, sizeof(reply));
	memcpy(f.ad, h, CLEAR);
	memcpy(f.ad + CLEAR, reply, 24);
	for (size_t i = 0; i < c->nrecs; i++)
		forge_rec(&f, &c->recs[i]);
	buf_add(&f.b, c->raw, c->rawlen);
	put(sv[0], f.b.p, f.b.len);
	shutdown(sv[0], SHUT_WR);
	*matched = 0;
	while (!(rc = rcv(&e, &t, &len, err)))
		ck_assert_uint_eq(t, c->recs[(*matched)++].type);
	mosctl_relay_wipe(&e);
	close(sv[0]), close(sv[1]);
	free(f.b.p);
	return rc;
}

START_TEST(test_forged)
{
	const struct forged *c = &forged[_i];
	char err[ERRLEN] = "";
	size_t matched;
	int rc = c->down ? forged_down(c, &matched, err) : forged_up(c, &matched, err);

	ck_assert_msg(rc == c->rc, "case %d: %d %s", _i, rc, err);
	ck_assert_str_eq(err, c->why);
	ck_assert_uint_eq(matched, c->ok);
}
END_TEST

/* ---- the sender's and the API's refusals ---- */

START_TEST(test_send_refusals)
{
	char err[ERRLEN];
	struct conn c;
	uint64_t ktx, etx;

	conn_open(&c);
	ktx = c.k.tx_bytes, etx = c.e.tx_bytes;
#define NO(r, type, p, len, why) do { \
		ck_assert_int_eq(mosctl_relay_send(r, type, p, len, err, ERRLEN), -EINVAL); \
		ck_assert_str_eq(err, why); \
	} while (0)
	NO(&c.k, MOSCTL_RELAY_OUT, "x", 1, "relay: cannot send OUT, a record of the up direction");
	NO(&c.k, MOSCTL_RELAY_STATUS, "12345678", 8,
	   "relay: cannot send STATUS, a record of the up direction");
	NO(&c.k, MOSCTL_RELAY_HELLO, "0123456789abcdef", 16,
	   "relay: cannot send HELLO, a record of the up direction");
	NO(&c.e, MOSCTL_RELAY_IN, "x", 1, "relay: cannot send IN, a record of the down direction");
	NO(&c.e, MOSCTL_RELAY_SIGNAL, "\0\0\0\1", 4,
	   "relay: cannot send SIGNAL, a record of the down direction");
	NO(&c.e, MOSCTL_RELAY_HELLO, "0123456789abcdef", 16,
	   "relay: cannot send HELLO after the first record");
	NO(&c.e, 0, NULL, 0, "relay: cannot send the unknown type 0");
	NO(&c.e, 11, NULL, 0, "relay: cannot send the unknown type 11");
	NO(&c.e, MOSCTL_RELAY_OUT, NULL, 0, "relay: cannot send OUT of 0 bytes (1..65536 allowed)");
	NO(&c.e, MOSCTL_RELAY_OUT_EOF, "x", 1,
	   "relay: cannot send OUT_EOF of 1 bytes (0 expected)");
	NO(&c.e, MOSCTL_RELAY_STATUS, "1234567", 7,
	   "relay: cannot send STATUS of 7 bytes (8 expected)");
	NO(&c.e, MOSCTL_RELAY_CLOSE, "x", 1, "relay: cannot send CLOSE of 1 bytes (0 expected)");
	NO(&c.k, MOSCTL_RELAY_SIGNAL, "\0\0\0", 3,
	   "relay: cannot send SIGNAL of 3 bytes (4 expected)");
	ck_assert_int_eq(mosctl_relay_send_signal(&c.k, 0, err, ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: cannot send SIGNAL 0 (1..64 allowed)");
	ck_assert_int_eq(mosctl_relay_send_signal(&c.k, 65, err, ERRLEN), -EINVAL);
	/* nothing went; the EOFs' order */
	ck_assert(c.k.tx_bytes == ktx && c.e.tx_bytes == etx);
	ck_send(&c.e, MOSCTL_RELAY_OUT_EOF, NULL, 0);
	NO(&c.e, MOSCTL_RELAY_OUT, "x", 1, "relay: cannot send OUT after its EOF");
	NO(&c.e, MOSCTL_RELAY_OUT_EOF, NULL, 0, "relay: cannot send a second OUT_EOF");
	ck_send(&c.e, MOSCTL_RELAY_ERR, "x", 1);
	ck_send(&c.k, MOSCTL_RELAY_IN_EOF, NULL, 0);
	NO(&c.k, MOSCTL_RELAY_IN, "x", 1, "relay: cannot send IN after its EOF");
	ck_send(&c.k, MOSCTL_RELAY_SIGNAL, "\0\0\0\x09", 4);
	ck_send(&c.e, MOSCTL_RELAY_CLOSE, NULL, 0);
	NO(&c.e, MOSCTL_RELAY_ERR, "x", 1, "relay: the up stream is closed");
	NO(&c.e, MOSCTL_RELAY_CLOSE, NULL, 0, "relay: the up stream is closed");
	/* what did go arrives as it went */
	ck_recv(&c.k, MOSCTL_RELAY_OUT_EOF, NULL, 0);
	ck_recv(&c.k, MOSCTL_RELAY_ERR, "x", 1);
	ck_recv(&c.k, MOSCTL_RELAY_CLOSE, NULL, 0);
	ck_recv(&c.e, MOSCTL_RELAY_IN_EOF, NULL, 0);
	ck_recv(&c.e, MOSCTL_RELAY_SIGNAL, "\0\0\0\x09", 4);
#undef NO
	conn_close(&c);
}
END_TEST

START_TEST(test_no_handshake)
{
	struct mosctl_relay r;
	char err[ERRLEN];
	size_t len;
	uint8_t t;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mosctl_relay_send(&r, MOSCTL_RELAY_CLOSE, NULL, 0, err, ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: the connection has no handshake");
	ck_assert_int_eq(rcv(&r, &t, &len, err), -EINVAL);
	ck_assert_str_eq(err, "relay: the connection has no handshake");
	ck_assert_int_eq(mosctl_relay_accept_end(&r, key, err, ERRLEN), -EINVAL);
	ck_assert_str_eq(err, "relay: no hello was sent on this connection");
}
END_TEST

/* a peer gone without CLOSE: -ECONNRESET for good; sending: -EPIPE, no SIGPIPE */
START_TEST(test_peer_gone)
{
	char err[ERRLEN];
	struct conn c;
	size_t len;
	uint8_t t;

	conn_open(&c);
	ck_send(&c.e, MOSCTL_RELAY_OUT, "x", 1);
	close(c.sv[1]);
	ck_recv(&c.k, MOSCTL_RELAY_OUT, "x", 1);
	ck_assert_int_eq(rcv(&c.k, &t, &len, err), -ECONNRESET);
	ck_assert_str_eq(err, "relay: the remote end's stream ended without CLOSE");
	ck_assert_int_eq(rcv(&c.k, &t, &len, err), -ECONNRESET);
	ck_assert_str_eq(err, "relay: the up stream failed before");
	ck_assert_int_eq(mosctl_relay_send(&c.k, MOSCTL_RELAY_IN, "x", 1, err, ERRLEN), -EPIPE);
	ck_assert_str_eq(err, "relay: cannot send: Broken pipe");
	ck_assert_int_eq(mosctl_relay_send(&c.k, MOSCTL_RELAY_CLOSE, NULL, 0, err, ERRLEN), -EPIPE);
	ck_assert_str_eq(err, "relay: the down stream failed before");
	mosctl_relay_wipe(&c.k);
	close(c.sv[0]);
	mosctl_relay_wipe(&c.e);
}
END_TEST

/* a failed handshake leaves no key behind; wipe keeps the fd */
START_TEST(test_wipe)
{
	static const uint8_t zero[sizeof(struct mosctl_relay)];
	struct mosctl_relay r;
	struct conn c;

	conn_open(&c);
	r = c.k;
	mosctl_relay_wipe(&r);
	ck_assert_int_eq(r.fd, c.sv[0]);
	r.fd = 0;
	ck_assert(!memcmp(&r, zero, sizeof(r)));
	conn_close(&c);
}
END_TEST

START_TEST(test_decode)
{
	uint32_t kind = 7, value = 7, sig = 7;

	ck_assert_int_eq(mosctl_relay_status_decode("\x12\x34\x56\x78\0\0\1\0", 8, &kind, &value),
			 0);
	ck_assert(kind == 0x12345678 && value == 256);
	ck_assert_int_eq(mosctl_relay_status_decode("1234567", 7, &kind, &value), -EINVAL);
	ck_assert_int_eq(mosctl_relay_signal_decode("\0\0\0\x40", 4, &sig), 0);
	ck_assert_uint_eq(sig, 64);
	ck_assert_int_eq(mosctl_relay_signal_decode("\0\0\0\x41", 4, &sig), -EINVAL);
	ck_assert_int_eq(mosctl_relay_signal_decode("\0\0\0\0", 4, &sig), -EINVAL);
	ck_assert_int_eq(mosctl_relay_signal_decode("\0\0\x09", 3, &sig), -EINVAL);
	ck_assert_uint_eq(sig, 64);
}
END_TEST

Suite *relay_suite(void);

Suite *relay_suite(void)
{
	Suite *s = suite_create("relay");
	TCase *tk = tcase_create("ticket"), *ok = tcase_create("connection");
	TCase *no = tcase_create("refusals");

	tcase_add_checked_fixture(tk, setup, NULL);
	tcase_add_checked_fixture(ok, setup, NULL);
	tcase_add_checked_fixture(no, setup, NULL);
	tcase_set_timeout(ok, 60);
	tcase_set_timeout(no, 120);
	tcase_add_test(tk, test_ticket_round_trip);
	tcase_add_test(tk, test_ticket_limits);
	tcase_add_test(tk, test_ticket_format_refuses);
	tcase_add_loop_test(tk, test_ticket_bad, 0, (int)N(bad_tickets));
	tcase_add_test(tk, test_ticket_too_long);
	tcase_add_test(ok, test_records_both_ways);
	tcase_add_test(ok, test_chunk_bound);
	tcase_add_test(ok, test_forked_echo);
	tcase_add_test(ok, test_wire_layout);
	tcase_add_test(ok, test_decode);
	tcase_add_test(ok, test_wipe);
	tcase_add_test(no, test_wrong_key);
	tcase_add_test(no, test_wrong_job);
	tcase_add_loop_test(no, test_bad_hello, 0, (int)N(bad_hellos));
	tcase_add_test(no, test_truncated_hello);
	tcase_add_test(no, test_replay_up);
	tcase_add_test(no, test_replay_down);
	tcase_add_test(no, test_up_every_flip);
	tcase_add_test(no, test_down_every_flip);
	tcase_add_test(no, test_up_every_truncation);
	tcase_add_test(no, test_down_every_truncation);
	tcase_add_loop_test(no, test_forged, 0, (int)N(forged));
	tcase_add_test(no, test_send_refusals);
	tcase_add_test(no, test_no_handshake);
	tcase_add_test(no, test_peer_gone);
	suite_add_tcase(s, tk);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, no);
	return s;
}
