// SPDX-License-Identifier: GPL-2.0
/*
 * The info daemon's shared logic: wire codec (round trip, byte layout, every
 * drop reason, every field range), replay rule, the view (freshness, self,
 * eviction, max age, leave notices) and the choice of a peer. The receive
 * path of the module is mirrored by rx_packet() with a userspace HMAC.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hmac_sha256.h"
#include "mosix_info.h"

static const char key[] = "cluster key for the unit tests";
static const char map_text[] =
	"1 10.0.0.1 8\n100 10.0.1.1 4\n2 192.168.0.2 ALIAS\n";

static struct mosix_info_entry entry(u16 pe, u8 status, u64 epoch, u32 age)
{
	struct mosix_info_entry e = {
		.pe = pe, .status = status, .age_ms = age, .load = 1500,
		.cpus = 4, .util = 250, .speed = 5000, .epoch = epoch,
		.mem_kb = 8388608, .free_kb = 4194304,
	};
	return e;
}

static struct mosix_info_entry up(u16 pe, u32 age)
{
	return entry(pe, MOSIX_INFO_STATUS_UP, 1000 + pe, age);
}

static struct mosix_info_msg_hdr hdr(u16 sender, u8 type, u64 seq)
{
	struct mosix_info_msg_hdr h = {
		.type = type, .sender_pe = sender, .epoch = 1000 + sender,
		.seq = seq,
	};
	return h;
}

static void tag(u8 *buf, size_t body)
{
	hmac_sha256(key, sizeof(key) - 1, buf, body, buf + body);
}

/* encode and tag: the datagram's length */
static size_t dgram(const struct mosix_info_msg_hdr *h,
		    const struct mosix_info_entry *e, unsigned int n, u8 *buf)
{
	int len = mosix_info_encode(h, e, n, buf, MOSIX_INFO_DGRAM_MAX);

	ck_assert_int_gt(len, 0);
	tag(buf, (size_t)len);
	return (size_t)len + MOSIX_INFO_TAG_LEN;
}

/* a valid INFO from PE 2 with entries about 3, 5 and 100 */
static size_t sample(u8 *buf, u64 seq)
{
	struct mosix_info_msg_hdr h = hdr(2, MOSIX_INFO_TYPE_INFO, seq);
	struct mosix_info_entry e[4] = { up(2, 0), up(3, 10), up(5, 20),
					 up(100, 30) };

	return dgram(&h, e, 4, buf);
}

static void put_be(u8 *p, unsigned int width, u64 v)
{
	unsigned int i;

	for (i = 0; i < width; i++)
		p[i] = (u8)(v >> (8 * (width - 1 - i)));
}

/* ---- the module's receive path, in userspace ---- */

struct rx {
	struct mosix_map map;
	struct mosix_info_view view;
	struct mosix_info_replay replay[MOSIX_PE_MAX + 1];
	unsigned int drops[__MOSIX_INFO_DROP_MAX];
	unsigned int accepted;
	s64 now;
};

static struct rx *rx_new(void)
{
	struct rx *r = calloc(1, sizeof(*r));
	struct mosix_map_error err;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mosix_map_parse(map_text, sizeof(map_text) - 1,
					 &r->map, &err), 0);
	ck_assert_int_eq(mosix_info_view_init(&r->view, 1, 16, 10000), 0);
	r->now = 100000;
	return r;
}

static void rx_free(struct rx *r)
{
	mosix_info_view_free(&r->view);
	mosix_map_free(&r->map);
	free(r);
}

/* -1 if accepted, else the drop reason (counted) */
static int rx_packet(struct rx *r, const u8 *buf, size_t len, const char *src)
{
	struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX];
	struct mosix_info_msg_hdr h;
	enum mosix_info_drop why;
	struct mosix_addr a;
	u8 t[SHA256_LEN];
	int n;

	u32 sender;

	/* the checks that need no key come first, as in the module */
	if (mosix_info_peek(buf, len, &sender, &why))
		goto drop;
	ck_assert_int_eq(mosix_addr_parse(src, strlen(src), &a), 0);
	if (mosix_info_check_sender(&r->map, r->view.self_pe, sender, &a, &why))
		goto drop;
	hmac_sha256(key, sizeof(key) - 1, buf, len - MOSIX_INFO_TAG_LEN, t);
	if (memcmp(t, buf + len - MOSIX_INFO_TAG_LEN, MOSIX_INFO_TAG_LEN)) {
		why = MOSIX_INFO_DROP_BAD_TAG;
		goto drop;
	}
	n = mosix_info_decode(buf, len, &h, e, MOSIX_INFO_ENTRIES_MAX, &why);
	if (n < 0)
		goto drop;
	ck_assert_uint_eq(h.sender_pe, sender);
	if (!mosix_info_replay_ok(&r->replay[h.sender_pe], h.epoch, h.seq)) {
		why = MOSIX_INFO_DROP_REPLAY;
		goto drop;
	}
	mosix_info_view_merge_direct(&r->view, e, (unsigned int)n, &r->map, r->now);
	r->accepted++;
	return -1;
drop:
	r->drops[why]++;
	return (int)why;
}

/* ---- codec ---- */

START_TEST(test_hmac_sha256_rfc4231_vectors)
{
	static const u8 exp1[32] = {
		0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf,
		0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83,
		0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7,
	};
	static const u8 exp2[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
		0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
		0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	static const u8 exp6[32] = {
		0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26,
		0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28,
		0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54,
	};
	static const char data6[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	u8 k[131], out[32];

	memset(k, 0x0b, 20);
	hmac_sha256(k, 20, "Hi There", 8, out);
	ck_assert_mem_eq(out, exp1, 32);
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
	ck_assert_mem_eq(out, exp2, 32);
	memset(k, 0xaa, sizeof(k));
	hmac_sha256(k, sizeof(k), data6, sizeof(data6) - 1, out);
	ck_assert_mem_eq(out, exp6, 32);
}
END_TEST

START_TEST(test_round_trip_keeps_every_field)
{
	struct mosix_info_msg_hdr h = hdr(7, MOSIX_INFO_TYPE_INFO, 42), h2;
	struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX], d[MOSIX_INFO_ENTRIES_MAX];
	enum mosix_info_drop why;
	u8 buf[MOSIX_INFO_DGRAM_MAX];
	unsigned int i, n = 17;
	int len;

	e[0] = up(7, 0);
	for (i = 1; i < n; i++) {
		e[i] = entry((u16)(100 + 3 * i), (u8)(1 + i % 3), 5000 + i, i * 77);
		e[i].load = MOSIX_INFO_LOAD_MAX - i;
		e[i].cpus = (u16)(MOSIX_INFO_CPUS_MAX - i);
		e[i].util = (u16)(MOSIX_INFO_UTIL_MAX - i);
		e[i].speed = MOSIX_INFO_SPEED_MAX - i;
		e[i].mem_kb = MOSIX_INFO_MEM_MAX_KB - i;
		e[i].free_kb = MOSIX_INFO_MEM_MAX_KB - 2 * i;
	}
	len = mosix_info_encode(&h, e, n, buf, sizeof(buf));
	ck_assert_int_eq(len, MOSIX_INFO_HDR_LEN + n * MOSIX_INFO_ENTRY_LEN);
	tag(buf, (size_t)len);
	/* the default window: 804 bytes on the wire */
	ck_assert_int_eq(len + MOSIX_INFO_TAG_LEN, 804);
	ck_assert_int_eq(mosix_info_decode(buf, (size_t)len + MOSIX_INFO_TAG_LEN,
					   &h2, d, MOSIX_INFO_ENTRIES_MAX, &why),
			 (int)n);
	ck_assert_int_eq(h2.type, h.type);
	ck_assert_int_eq(h2.sender_pe, h.sender_pe);
	ck_assert_uint_eq(h2.epoch, h.epoch);
	ck_assert_uint_eq(h2.seq, h.seq);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(d[i].pe, e[i].pe);
		ck_assert_int_eq(d[i].status, e[i].status);
		ck_assert_uint_eq(d[i].age_ms, e[i].age_ms);
		ck_assert_uint_eq(d[i].load, e[i].load);
		ck_assert_int_eq(d[i].cpus, e[i].cpus);
		ck_assert_int_eq(d[i].util, e[i].util);
		ck_assert_uint_eq(d[i].speed, e[i].speed);
		ck_assert_uint_eq(d[i].epoch, e[i].epoch);
		ck_assert_uint_eq(d[i].mem_kb, e[i].mem_kb);
		ck_assert_uint_eq(d[i].free_kb, e[i].free_kb);
	}
}
END_TEST

START_TEST(test_wire_bytes_are_big_endian_at_documented_offsets)
{
	struct mosix_info_msg_hdr h = {
		.type = MOSIX_INFO_TYPE_LEAVE, .sender_pe = 0x1234,
		.epoch = 0x0102030405060708ULL, .seq = 0x1112131415161718ULL,
	};
	struct mosix_info_entry e = {
		.pe = 0x1234, .status = MOSIX_INFO_STATUS_LEAVING, .age_ms = 0,
		.load = 0x0a0b0c0d, .cpus = 0x0102, .util = 0x0304,
		.speed = 0x00212223, .epoch = 0x0102030405060708ULL,
		.mem_kb = 0x0000031415161718ULL, .free_kb = 0x0000021222324252ULL,
	};
	static const u8 want[68] = {
		'M', 'X', 1, 2, 0x12, 0x34, 0x00, 0x01,
		1, 2, 3, 4, 5, 6, 7, 8,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x12, 0x34, 2, 0, 0, 0, 0, 0,
		0x0a, 0x0b, 0x0c, 0x0d, 0x01, 0x02, 0x03, 0x04,
		0x00, 0x21, 0x22, 0x23, 1, 2, 3, 4, 5, 6, 7, 8,
		0, 0, 0x03, 0x14, 0x15, 0x16, 0x17, 0x18,
		0, 0, 0x02, 0x12, 0x22, 0x32, 0x42, 0x52,
	};
	u8 buf[68 + MOSIX_INFO_TAG_LEN];

	ck_assert_int_eq(mosix_info_encode(&h, &e, 1, buf, sizeof(buf)), 68);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_int_eq(MOSIX_INFO_DGRAM_MIN, 100);
	ck_assert_int_eq(MOSIX_INFO_DGRAM_MAX, 24 + 257 * 44 + 32);
}
END_TEST

START_TEST(test_encode_refuses_invalid_messages_and_small_buffers)
{
	struct mosix_info_msg_hdr h = hdr(2, MOSIX_INFO_TYPE_INFO, 1);
	struct mosix_info_entry e[2] = { up(2, 0), up(3, 0) };
	u8 buf[MOSIX_INFO_DGRAM_MAX];
	size_t need = MOSIX_INFO_HDR_LEN + 2 * MOSIX_INFO_ENTRY_LEN;

	ck_assert_int_eq(mosix_info_encode(&h, e, 2, buf, need + 32), (int)need);
	ck_assert_int_eq(mosix_info_encode(&h, e, 2, buf, need + 31), -EMSGSIZE);
	ck_assert_int_eq(mosix_info_encode(&h, e, 0, buf, sizeof(buf)), -EINVAL);
	e[1].util = 1001;
	ck_assert_int_eq(mosix_info_encode(&h, e, 2, buf, sizeof(buf)), -EINVAL);
	e[1] = up(3, 0);
	h.type = 3;
	ck_assert_int_eq(mosix_info_encode(&h, e, 2, buf, sizeof(buf)), -EINVAL);
	h = hdr(2, MOSIX_INFO_TYPE_LEAVE, 1);
	ck_assert_int_eq(mosix_info_encode(&h, e, 2, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_drop_names_cover_every_reason)
{
	unsigned int i, j;

	for (i = 0; i < __MOSIX_INFO_DROP_MAX; i++) {
		ck_assert_ptr_nonnull(mosix_info_drop_name(i));
		ck_assert_str_ne(mosix_info_drop_name(i), "unknown");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(mosix_info_drop_name(i),
					 mosix_info_drop_name(j));
	}
	ck_assert_str_eq(mosix_info_drop_name(MOSIX_INFO_DROP_BAD_TAG), "bad_tag");
	ck_assert_str_eq(mosix_info_drop_name(MOSIX_INFO_DROP_REPLAY), "replay");
	ck_assert_str_eq(mosix_info_drop_name(__MOSIX_INFO_DROP_MAX), "unknown");
	ck_assert_str_eq(mosix_info_drop_name(~0U), "unknown");
}
END_TEST

/* each crafted datagram: how to spoil a valid sample, expected reason */
enum spoil {
	FLIP_BODY, FLIP_TAG, SHORT_MIN, SHORT_ONE, TRAILING, HUGE, MAGIC,
	VERSION, TYPE, COUNT_ZERO, COUNT_BIG, COUNT_MORE, FIELD, SENDER, ORDER,
	UNKNOWN, SPOOF, SPOOF_SELF, REPLAY, __SPOIL_MAX
};

static const struct {
	enum spoil how;
	enum mosix_info_drop why;
} drop_cases[] = {
	{ FLIP_BODY, MOSIX_INFO_DROP_BAD_TAG },
	{ FLIP_TAG, MOSIX_INFO_DROP_BAD_TAG },
	{ SHORT_MIN, MOSIX_INFO_DROP_TRUNCATED },
	{ SHORT_ONE, MOSIX_INFO_DROP_TRUNCATED },
	{ TRAILING, MOSIX_INFO_DROP_OVERSIZED },
	{ HUGE, MOSIX_INFO_DROP_OVERSIZED },
	{ MAGIC, MOSIX_INFO_DROP_BAD_MAGIC },
	{ VERSION, MOSIX_INFO_DROP_BAD_VERSION },
	{ TYPE, MOSIX_INFO_DROP_BAD_TYPE },
	{ COUNT_ZERO, MOSIX_INFO_DROP_BAD_COUNT },
	{ COUNT_BIG, MOSIX_INFO_DROP_BAD_COUNT },
	{ COUNT_MORE, MOSIX_INFO_DROP_TRUNCATED },
	{ FIELD, MOSIX_INFO_DROP_BAD_FIELD },
	{ SENDER, MOSIX_INFO_DROP_BAD_SENDER },
	{ ORDER, MOSIX_INFO_DROP_BAD_ORDER },
	{ UNKNOWN, MOSIX_INFO_DROP_UNKNOWN_PE },
	{ SPOOF, MOSIX_INFO_DROP_SPOOFED_SOURCE },
	{ SPOOF_SELF, MOSIX_INFO_DROP_SPOOFED_SOURCE },
	{ REPLAY, MOSIX_INFO_DROP_REPLAY },
};

/* builds the spoiled datagram; the tag is valid unless the case is a tag's */
static size_t spoiled(enum spoil how, u8 *buf, const char **src)
{
	size_t len = sample(buf, 5), body = len - MOSIX_INFO_TAG_LEN;
	struct mosix_info_msg_hdr h;
	struct mosix_info_entry e[3];

	*src = "10.0.0.2";
	switch (how) {
	case FLIP_BODY:
		buf[30] ^= 1;
		return len;
	case FLIP_TAG:
		buf[len - 1] ^= 0x80;
		return len;
	case SHORT_MIN:
		return MOSIX_INFO_DGRAM_MIN - 1;
	case SHORT_ONE:
		body -= 1;
		break;
	case TRAILING:
		buf[body + MOSIX_INFO_TAG_LEN] = 0;
		body += 1;
		break;
	case HUGE:
		memset(buf + body, 0, MOSIX_INFO_DGRAM_MAX + 1 - body);
		body = MOSIX_INFO_DGRAM_MAX + 1 - MOSIX_INFO_TAG_LEN;
		break;
	case MAGIC:
		buf[1] = 'Y';
		break;
	case VERSION:
		buf[2] = 2;
		break;
	case TYPE:
		buf[3] = 0;
		break;
	case COUNT_ZERO:
		put_be(buf + 6, 2, 0);
		break;
	case COUNT_BIG:
		put_be(buf + 6, 2, MOSIX_INFO_ENTRIES_MAX + 1);
		break;
	case COUNT_MORE:
		put_be(buf + 6, 2, 5);
		break;
	case FIELD:
		put_be(buf + MOSIX_INFO_HDR_LEN + MOSIX_INFO_ENTRY_LEN + 14, 2, 1001);
		break;
	case SENDER:
		/* from node 3's address: past the sender check, caught by decode */
		put_be(buf + 4, 2, 3);
		*src = "10.0.0.3";
		break;
	case ORDER:
		put_be(buf + MOSIX_INFO_HDR_LEN + 2 * MOSIX_INFO_ENTRY_LEN, 2, 3);
		break;
	case UNKNOWN:
		h = hdr(50, MOSIX_INFO_TYPE_INFO, 1);
		e[0] = up(50, 0);
		return dgram(&h, e, 1, buf);
	case SPOOF:
		*src = "10.0.0.3";
		return len;
	case SPOOF_SELF:
		h = hdr(1, MOSIX_INFO_TYPE_INFO, 1);
		e[0] = up(1, 0);
		*src = "10.0.0.1";
		return dgram(&h, e, 1, buf);
	case REPLAY:
		return len;
	default:
		ck_abort();
	}
	tag(buf, body);
	return body + MOSIX_INFO_TAG_LEN;
}

START_TEST(test_every_drop_reason_is_counted_and_changes_nothing)
{
	enum spoil how = drop_cases[_i].how;
	enum mosix_info_drop why = drop_cases[_i].why;
	struct mosix_info_slot before[16];
	static u8 buf[2 * MOSIX_INFO_DGRAM_MAX];
	struct rx *r = rx_new();
	unsigned int i, nr;
	const char *src;
	size_t len;

	/* an accepted INFO first: the view holds something, replay has state */
	len = sample(buf, 5);
	ck_assert_int_eq(rx_packet(r, buf, len, "10.0.0.2"), -1);
	ck_assert_uint_eq(r->view.nr, 4);
	nr = r->view.nr;
	memcpy(before, r->view.slot, nr * sizeof(before[0]));
	r->now += 1000;

	len = spoiled(how, buf, &src);
	ck_assert_int_eq(rx_packet(r, buf, len, src), (int)why);
	for (i = 0; i < __MOSIX_INFO_DROP_MAX; i++)
		ck_assert_uint_eq(r->drops[i], i == why);
	ck_assert_uint_eq(r->accepted, 1);
	ck_assert_uint_eq(r->view.nr, nr);
	ck_assert_mem_eq(r->view.slot, before, nr * sizeof(before[0]));
	rx_free(r);
}
END_TEST

START_TEST(test_alias_source_and_next_sequence_are_accepted)
{
	struct rx *r = rx_new();
	static u8 buf[MOSIX_INFO_DGRAM_MAX];
	size_t len = sample(buf, 5);

	ck_assert_int_eq(rx_packet(r, buf, len, "192.168.0.2"), -1);
	len = sample(buf, 6);
	ck_assert_int_eq(rx_packet(r, buf, len, "10.0.0.2"), -1);
	ck_assert_int_eq(rx_packet(r, buf, len, "10.0.0.2"),
			 MOSIX_INFO_DROP_REPLAY);
	ck_assert_uint_eq(r->accepted, 2);
	rx_free(r);
}
END_TEST

START_TEST(test_decode_refuses_more_entries_than_the_caller_holds)
{
	struct mosix_info_entry e[4];
	struct mosix_info_msg_hdr h;
	enum mosix_info_drop why;
	u8 buf[MOSIX_INFO_DGRAM_MAX];
	size_t len = sample(buf, 1);

	ck_assert_int_eq(mosix_info_decode(buf, len, &h, e, 3, &why), -E2BIG);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_COUNT);
	ck_assert_int_eq(mosix_info_decode(buf, len, &h, e, 4, &why), 4);
	ck_assert_int_eq(mosix_info_decode(buf, len, &h, e, 0, &why), -E2BIG);
}
END_TEST

START_TEST(test_precheck_bounds)
{
	enum mosix_info_drop why = MOSIX_INFO_DROP_REPLAY;

	ck_assert_int_eq(mosix_info_precheck(0, &why), -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_TRUNCATED);
	ck_assert_int_eq(mosix_info_precheck(MOSIX_INFO_DGRAM_MIN - 1, &why), -EMSGSIZE);
	ck_assert_int_eq(mosix_info_precheck(MOSIX_INFO_DGRAM_MIN, &why), 0);
	ck_assert_int_eq(mosix_info_precheck(MOSIX_INFO_DGRAM_MAX, &why), 0);
	ck_assert_int_eq(mosix_info_precheck(MOSIX_INFO_DGRAM_MAX + 1, &why), -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_OVERSIZED);
	ck_assert_int_eq(mosix_info_precheck(65536, &why), -EMSGSIZE);
}
END_TEST

/* one field of the header or of entry 1 set to a value; ok or bad_field */
static const struct field_case {
	const char *what;
	int entry;		/* -1: header */
	unsigned int off, width;
	u64 value;
	bool ok;
} field_cases[] = {
	{ "sender 0", -1, 4, 2, 0, false },
	{ "epoch 0", -1, 8, 8, 0, false },
	{ "seq 0", -1, 16, 8, 0, false },
	{ "seq max", -1, 16, 8, ~0ULL, true },
	{ "pe 0", 1, 0, 2, 0, false },
	{ "pe 65535", 3, 0, 2, 65535, true },
	{ "status 0", 1, 2, 1, 0, false },
	{ "status down", 1, 2, 1, 3, true },
	{ "status 4", 1, 2, 1, 4, false },
	{ "status 255", 1, 2, 1, 255, false },
	{ "reserved 1", 1, 3, 1, 1, false },
	{ "reserved of entry 0", 0, 3, 1, 0x80, false },
	{ "age max", 1, 4, 4, MOSIX_INFO_AGE_MAX_MS, true },
	{ "age max+1", 1, 4, 4, MOSIX_INFO_AGE_MAX_MS + 1, false },
	{ "age 2^32-1", 1, 4, 4, 0xffffffffULL, false },
	{ "load 0", 1, 8, 4, 0, true },
	{ "load max", 1, 8, 4, MOSIX_INFO_LOAD_MAX, true },
	{ "load max+1", 1, 8, 4, MOSIX_INFO_LOAD_MAX + 1ULL, false },
	{ "cpus 0", 1, 12, 2, 0, false },
	{ "cpus 1", 1, 12, 2, 1, true },
	{ "cpus max", 1, 12, 2, MOSIX_INFO_CPUS_MAX, true },
	{ "cpus max+1", 1, 12, 2, MOSIX_INFO_CPUS_MAX + 1, false },
	{ "util 0", 1, 14, 2, 0, true },
	{ "util 1000", 1, 14, 2, 1000, true },
	{ "util 1001", 1, 14, 2, 1001, false },
	{ "speed 0", 1, 16, 4, 0, false },
	{ "speed 1", 1, 16, 4, 1, true },
	{ "speed max", 1, 16, 4, MOSIX_INFO_SPEED_MAX, true },
	{ "speed max+1", 1, 16, 4, MOSIX_INFO_SPEED_MAX + 1, false },
	{ "epoch 0", 1, 20, 8, 0, false },
	{ "epoch max", 1, 20, 8, ~0ULL, true },
	{ "entry 0 epoch 0", 0, 20, 8, 0, false },
	{ "mem 0", 1, 28, 8, 0, false },
	{ "mem = free", 1, 28, 8, 1, true },
	{ "mem max", 1, 28, 8, MOSIX_INFO_MEM_MAX_KB, true },
	{ "mem max+1", 1, 28, 8, MOSIX_INFO_MEM_MAX_KB + 1, false },
	{ "mem 2^64-1", 1, 28, 8, ~0ULL, false },
	{ "free 0", 1, 36, 8, 0, true },
	{ "free = mem", 1, 36, 8, 8388608, true },
	{ "free > mem", 1, 36, 8, 8388609, false },
	{ "free 2^64-1", 1, 36, 8, ~0ULL, false },
};

START_TEST(test_peek_checks_the_header_before_any_tag)
{
	static u8 buf[MOSIX_INFO_DGRAM_MAX];
	enum mosix_info_drop why = __MOSIX_INFO_DROP_MAX;
	size_t len = sample(buf, 5);
	u32 sender = 0;

	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), 0);
	ck_assert_uint_eq(sender, 2);
	/* a wrong tag passes: peek never looks at it */
	buf[len - 1] ^= 1;
	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), 0);
	ck_assert_int_eq(mosix_info_peek(buf, len - 1, &sender, &why), -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_TRUNCATED);
	ck_assert_int_eq(mosix_info_peek(buf, len + 1, &sender, &why), -EMSGSIZE);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_OVERSIZED);
	buf[0] = 'N';
	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), -EPROTO);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_MAGIC);
	buf[0] = MOSIX_INFO_MAGIC0;
	buf[2] = 7;
	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), -EPROTONOSUPPORT);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_VERSION);
	buf[2] = MOSIX_INFO_VERSION;
	buf[3] = 9;
	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), -EPROTO);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_TYPE);
	buf[3] = MOSIX_INFO_TYPE_INFO;
	put_be(buf + 6, 2, 0);
	ck_assert_int_eq(mosix_info_peek(buf, len, &sender, &why), -E2BIG);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_COUNT);
}
END_TEST

START_TEST(test_every_field_is_range_checked)
{
	const struct field_case *c = &field_cases[_i];
	struct mosix_info_msg_hdr h = hdr(2, MOSIX_INFO_TYPE_INFO, 9), d;
	struct mosix_info_entry e[4] = { up(2, 0), up(3, 10), up(5, 20), up(9, 0) };
	struct mosix_info_entry out[4];
	enum mosix_info_drop why = MOSIX_INFO_DROP_BAD_TAG;
	u8 buf[MOSIX_INFO_DGRAM_MAX], *p;
	int len, n;

	e[1].free_kb = 1;
	len = mosix_info_encode(&h, e, 4, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	p = c->entry < 0 ? buf :
	    buf + MOSIX_INFO_HDR_LEN + (unsigned int)c->entry * MOSIX_INFO_ENTRY_LEN;
	put_be(p + c->off, c->width, c->value);
	n = mosix_info_decode(buf, (size_t)len + MOSIX_INFO_TAG_LEN, &d, out, 4, &why);
	if (c->ok) {
		ck_assert_msg(n == 4, "%s: refused (%s)", c->what,
			      mosix_info_drop_name(why));
		/* what decodes encodes back to the same bytes */
		ck_assert_int_eq(mosix_info_encode(&d, out, 4, buf + 2048,
						   sizeof(buf) - 2048), len);
		ck_assert_mem_eq(buf + 2048, buf, (size_t)len);
	} else {
		ck_assert_msg(n == -ERANGE && why == MOSIX_INFO_DROP_BAD_FIELD,
			      "%s: got %d (%s)", c->what, n,
			      mosix_info_drop_name(why));
	}
}
END_TEST

/* entry 0 must be the sender's own, fresh, of its epoch, status per type */
START_TEST(test_sender_entry_must_match_header_and_type)
{
	struct mosix_info_msg_hdr h;
	struct mosix_info_entry e[2];
	enum mosix_info_drop why;
	int i;

	for (i = 0; i < 7; i++) {
		h = hdr(2, MOSIX_INFO_TYPE_INFO, 1);
		e[0] = up(2, 0);
		e[1] = up(3, 0);
		switch (i) {
		case 0: e[0].pe = 4; break;
		case 1: e[0].age_ms = 1; break;
		case 2: e[0].epoch = h.epoch + 1; break;
		case 3: e[0].status = MOSIX_INFO_STATUS_LEAVING; break;
		case 4: e[0].status = MOSIX_INFO_STATUS_DOWN; break;
		case 5: h.type = MOSIX_INFO_TYPE_LEAVE; break;
		case 6:
			h.type = MOSIX_INFO_TYPE_LEAVE;
			e[0].status = MOSIX_INFO_STATUS_DOWN;
			break;
		}
		ck_assert_int_eq(mosix_info_validate(&h, e, 2, &why), -EINVAL);
		ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_SENDER);
	}
	h = hdr(2, MOSIX_INFO_TYPE_LEAVE, 1);
	e[0] = entry(2, MOSIX_INFO_STATUS_LEAVING, h.epoch, 0);
	ck_assert_int_eq(mosix_info_validate(&h, e, 2, &why), 0);
}
END_TEST

START_TEST(test_other_entries_ascend_and_exclude_the_sender)
{
	struct mosix_info_msg_hdr h = hdr(5, MOSIX_INFO_TYPE_INFO, 1);
	struct mosix_info_entry e[4] = { up(5, 0), up(2, 0), up(9, 0), up(300, 0) };
	enum mosix_info_drop why;

	ck_assert_int_eq(mosix_info_validate(&h, e, 4, &why), 0);
	e[2].pe = 2;		/* duplicate */
	ck_assert_int_eq(mosix_info_validate(&h, e, 4, &why), -EINVAL);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_ORDER);
	e[2].pe = 1;		/* descending */
	ck_assert_int_eq(mosix_info_validate(&h, e, 4, &why), -EINVAL);
	e[2].pe = 5;		/* the sender again */
	ck_assert_int_eq(mosix_info_validate(&h, e, 4, &why), -EINVAL);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_BAD_ORDER);
	e[2].pe = 9;
	e[1].pe = 5;
	ck_assert_int_eq(mosix_info_validate(&h, e, 4, &why), -EINVAL);
}
END_TEST

START_TEST(test_largest_message_round_trips_and_one_more_is_refused)
{
	static struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX + 1], d[MOSIX_INFO_ENTRIES_MAX + 1];
	static u8 buf[MOSIX_INFO_DGRAM_MAX + 64];
	struct mosix_info_msg_hdr h = hdr(1, MOSIX_INFO_TYPE_INFO, 1), h2;
	enum mosix_info_drop why;
	unsigned int i;
	int len;

	e[0] = up(1, 0);
	for (i = 1; i <= MOSIX_INFO_ENTRIES_MAX; i++)
		e[i] = up((u16)(i + 1), i);
	len = mosix_info_encode(&h, e, MOSIX_INFO_ENTRIES_MAX, buf, MOSIX_INFO_DGRAM_MAX);
	ck_assert_int_eq(len + MOSIX_INFO_TAG_LEN, MOSIX_INFO_DGRAM_MAX);
	ck_assert_int_eq(mosix_info_decode(buf, MOSIX_INFO_DGRAM_MAX, &h2, d,
					   MOSIX_INFO_ENTRIES_MAX, &why),
			 MOSIX_INFO_ENTRIES_MAX);
	ck_assert_int_eq(mosix_info_encode(&h, e, MOSIX_INFO_ENTRIES_MAX + 1, buf,
					   sizeof(buf)), -EINVAL);
}
END_TEST

/* ---- replay, sender ---- */

START_TEST(test_replay_accepts_only_strictly_newer_epoch_and_seq)
{
	struct mosix_info_replay st = { 0, 0 };

	ck_assert(mosix_info_replay_ok(&st, 5, 1));
	ck_assert(!mosix_info_replay_ok(&st, 5, 1));
	ck_assert(mosix_info_replay_ok(&st, 5, 2));
	ck_assert(mosix_info_replay_ok(&st, 5, 10));
	ck_assert(!mosix_info_replay_ok(&st, 5, 9));
	ck_assert(!mosix_info_replay_ok(&st, 4, 100));
	ck_assert_uint_eq(st.epoch, 5);
	ck_assert_uint_eq(st.seq, 10);
	/* a new boot: any sequence, then the old epoch never again */
	ck_assert(mosix_info_replay_ok(&st, 6, 1));
	ck_assert(!mosix_info_replay_ok(&st, 5, 11));
	ck_assert(!mosix_info_replay_ok(&st, 6, 1));
	ck_assert(mosix_info_replay_ok(&st, 6, ~0ULL));
	ck_assert(!mosix_info_replay_ok(&st, 6, ~0ULL));
	ck_assert(mosix_info_replay_ok(&st, ~0ULL, 1));
	ck_assert_uint_eq(st.epoch, ~0ULL);
	ck_assert_uint_eq(st.seq, 1);
}
END_TEST

START_TEST(test_check_sender_table_source_and_self)
{
	struct mosix_map map;
	struct mosix_map_error err;
	struct mosix_addr a;
	enum mosix_info_drop why;

	ck_assert_int_eq(mosix_map_parse(map_text, sizeof(map_text) - 1, &map, &err), 0);
	ck_assert_int_eq(mosix_addr_parse("10.0.1.3", 8, &a), 0);
	ck_assert_int_eq(mosix_info_check_sender(&map, 1, 102, &a, &why), 0);
	ck_assert_int_eq(mosix_info_check_sender(&map, 1, 101, &a, &why), -EPERM);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_SPOOFED_SOURCE);
	ck_assert_int_eq(mosix_info_check_sender(&map, 1, 104, &a, &why), -ENOENT);
	ck_assert_int_eq(why, MOSIX_INFO_DROP_UNKNOWN_PE);
	ck_assert_int_eq(mosix_info_check_sender(&map, 102, 102, &a, &why), -EPERM);
	ck_assert_int_eq(mosix_addr_parse("fd00::1", 7, &a), 0);
	ck_assert_int_eq(mosix_info_check_sender(&map, 1, 102, &a, &why), -EPERM);
	mosix_map_free(&map);
}
END_TEST

/* ---- the view ---- */

static struct mosix_info_view view(u32 self, u32 window, u32 max_age)
{
	struct mosix_info_view v;

	ck_assert_int_eq(mosix_info_view_init(&v, self, window, max_age), 0);
	return v;
}

static void merge1(struct mosix_info_view *v, struct mosix_info_entry e, s64 now)
{
	mosix_info_view_merge(v, &e, 1, NULL, now);
}

static u8 status_of(const struct mosix_info_view *v, u32 pe, s64 now)
{
	struct mosix_info_entry e;

	if (!mosix_info_view_lookup(v, pe, now, &e))
		return MOSIX_INFO_STATUS_UNKNOWN;
	return e.status;
}

START_TEST(test_view_init_checks_parameters)
{
	struct mosix_info_view v;

	ck_assert_int_eq(mosix_info_view_init(&v, 0, 16, 1000), -EINVAL);
	ck_assert_int_eq(mosix_info_view_init(&v, 65536, 16, 1000), -EINVAL);
	ck_assert_int_eq(mosix_info_view_init(&v, 1, 0, 1000), -EINVAL);
	ck_assert_int_eq(mosix_info_view_init(&v, 1, MOSIX_INFO_WINDOW_MAX + 1, 1000), -EINVAL);
	ck_assert_int_eq(mosix_info_view_init(&v, 1, 16, 0), -EINVAL);
	ck_assert_int_eq(mosix_info_view_init(&v, 1, 16, MOSIX_INFO_AGE_MAX_MS + 1), -EINVAL);
	ck_assert_ptr_null(v.slot);
	ck_assert_int_eq(mosix_info_view_init(&v, 65535, MOSIX_INFO_WINDOW_MAX,
					      MOSIX_INFO_AGE_MAX_MS), 0);
	ck_assert(v.leave_priority);
	ck_assert_int_eq(mosix_info_view_set_max_age(&v, 0), -EINVAL);
	ck_assert_int_eq(mosix_info_view_set_max_age(&v, 500), 0);
	ck_assert_uint_eq(v.max_age_ms, 500);
	mosix_info_view_free(&v);
	ck_assert_ptr_null(v.slot);
}
END_TEST

START_TEST(test_merge_newer_wins_older_ignored)
{
	struct mosix_info_view v = view(1, 4, 10000);
	struct mosix_info_entry e = up(3, 500), got;

	e.load = 111;
	merge1(&v, e, 10000);			/* stamp 9500 */
	e.load = 222;
	e.age_ms = 600;
	merge1(&v, e, 10000);			/* stamp 9400: older */
	ck_assert(mosix_info_view_lookup(&v, 3, 10000, &got));
	ck_assert_uint_eq(got.load, 111);
	ck_assert_uint_eq(got.age_ms, 500);
	e.load = 333;
	e.age_ms = 1000;
	merge1(&v, e, 11000);			/* stamp 10000: newer */
	ck_assert(mosix_info_view_lookup(&v, 3, 11000, &got));
	ck_assert_uint_eq(got.load, 333);
	ck_assert_uint_eq(got.age_ms, 1000);
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_UP);
	ck_assert_uint_eq(v.nr, 1);
	/* the age grows with time */
	ck_assert(mosix_info_view_lookup(&v, 3, 12500, &got));
	ck_assert_uint_eq(got.age_ms, 2500);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_the_senders_own_word_replaces_a_relayed_epoch)
{
	struct mosix_info_view v = view(1, 4, 10000);
	struct mosix_info_entry far = entry(3, MOSIX_INFO_STATUS_DOWN, ~0ULL >> 1, 0);
	struct mosix_info_entry own = entry(3, MOSIX_INFO_STATUS_UP, 77, 0), got;

	/* relayed by someone: node 3 down in a huge epoch */
	merge1(&v, far, 10000);
	ck_assert(mosix_info_view_lookup(&v, 3, 10000, &got));
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_DOWN);
	/* relayed again, its real epoch: not newer, ignored */
	merge1(&v, own, 10100);
	ck_assert(mosix_info_view_lookup(&v, 3, 10100, &got));
	ck_assert_uint_eq(got.epoch, far.epoch);
	/* from node 3 itself: replaces whatever the view held */
	ck_assert_uint_eq(mosix_info_view_merge_direct(&v, &own, 1, NULL, 10200), 1);
	ck_assert(mosix_info_view_lookup(&v, 3, 10200, &got));
	ck_assert_uint_eq(got.epoch, 77);
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_UP);
	/* the same epoch: the ordinary rules (leaving is final for an epoch) */
	own.status = MOSIX_INFO_STATUS_LEAVING;
	ck_assert_uint_eq(mosix_info_view_merge_direct(&v, &own, 1, NULL, 10300), 1);
	own.status = MOSIX_INFO_STATUS_UP;
	ck_assert_uint_eq(mosix_info_view_merge_direct(&v, &own, 1, NULL, 10400), 0);
	ck_assert(mosix_info_view_lookup(&v, 3, 10400, &got));
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_LEAVING);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_merge_ignores_self_unknown_pes_and_invalid_entries)
{
	struct mosix_info_view v = view(1, 4, 10000);
	struct mosix_info_entry e[4] = { up(1, 0), up(50, 0), up(3, 0), up(4, 0) };
	struct mosix_map map;
	struct mosix_map_error err;

	ck_assert_int_eq(mosix_map_parse(map_text, sizeof(map_text) - 1, &map, &err), 0);
	e[3].cpus = 0;
	ck_assert_uint_eq(mosix_info_view_merge(&v, e, 4, &map, 1000), 1);
	ck_assert_uint_eq(v.nr, 1);
	ck_assert_int_eq(status_of(&v, 1, 1000), MOSIX_INFO_STATUS_UNKNOWN);
	ck_assert_int_eq(status_of(&v, 50, 1000), MOSIX_INFO_STATUS_UNKNOWN);
	ck_assert_int_eq(status_of(&v, 3, 1000), MOSIX_INFO_STATUS_UP);
	ck_assert_int_eq(status_of(&v, 4, 1000), MOSIX_INFO_STATUS_UNKNOWN);
	/* without a table, any valid PE */
	ck_assert_uint_eq(mosix_info_view_merge(&v, e, 4, NULL, 1000), 1);
	ck_assert_int_eq(status_of(&v, 50, 1000), MOSIX_INFO_STATUS_UP);
	/* a table change prunes */
	mosix_info_view_prune(&v, &map);
	ck_assert_uint_eq(v.nr, 1);
	ck_assert_int_eq(status_of(&v, 50, 1000), MOSIX_INFO_STATUS_UNKNOWN);
	mosix_map_free(&map);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_full_view_evicts_the_oldest_for_a_newer_entry)
{
	struct mosix_info_view v = view(1, 4, 100000);
	u16 pe;

	for (pe = 2; pe <= 5; pe++)
		merge1(&v, up(pe, 100u * pe), 10000);
	ck_assert_uint_eq(v.nr, 4);
	merge1(&v, up(6, 50), 10000);
	ck_assert_uint_eq(v.nr, 4);
	ck_assert_int_eq(status_of(&v, 5, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	ck_assert_int_eq(status_of(&v, 6, 10000), MOSIX_INFO_STATUS_UP);
	/* older than everything held: not taken */
	merge1(&v, up(7, 1000), 10000);
	ck_assert_int_eq(status_of(&v, 7, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	/* as old as the oldest: not taken either (no churn on ties) */
	merge1(&v, up(7, 400), 10000);
	ck_assert_int_eq(status_of(&v, 7, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	merge1(&v, up(7, 399), 10000);
	ck_assert_int_eq(status_of(&v, 4, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	ck_assert_int_eq(status_of(&v, 7, 10000), MOSIX_INFO_STATUS_UP);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_entries_past_max_age_are_down_and_not_sent)
{
	struct mosix_info_view v = view(1, 4, 5000);
	struct mosix_info_entry self = up(1, 0), out[5], got;

	ck_assert_int_eq(mosix_info_view_set_self(&v, &self), 0);
	merge1(&v, up(2, 0), 0);
	merge1(&v, up(3, 1000), 0);		/* stamp -1000 */
	ck_assert(mosix_info_view_lookup(&v, 2, 5000, &got));
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_UP);
	ck_assert(mosix_info_view_lookup(&v, 2, 5001, &got));
	ck_assert_int_eq(got.status, MOSIX_INFO_STATUS_DOWN);
	ck_assert_uint_eq(got.age_ms, 5001);
	ck_assert_int_eq(status_of(&v, 3, 4001), MOSIX_INFO_STATUS_DOWN);
	ck_assert_int_eq(mosix_info_view_pick_window(&v, 4001, out, 5), 2);
	ck_assert_int_eq(out[1].pe, 2);
	ck_assert_int_eq(mosix_info_view_pick_window(&v, 5001, out, 5), 1);
	/* an entry that arrives already too old is held but reported down */
	merge1(&v, up(4, 6000), 10000);
	ck_assert_int_eq(status_of(&v, 4, 10000), MOSIX_INFO_STATUS_DOWN);
	/* fresh news of the same boot is up again */
	merge1(&v, up(2, 0), 20000);
	ck_assert_int_eq(status_of(&v, 2, 20000), MOSIX_INFO_STATUS_UP);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_leaving_is_not_overridden_by_up_of_the_same_boot)
{
	struct mosix_info_view v = view(1, 4, 60000);
	struct mosix_info_entry left = entry(3, MOSIX_INFO_STATUS_LEAVING, 7, 500);
	struct mosix_info_entry old = entry(3, MOSIX_INFO_STATUS_UP, 7, 0);

	merge1(&v, old, 1000);
	merge1(&v, left, 2000);			/* stamp 1500 */
	ck_assert_int_eq(status_of(&v, 3, 2000), MOSIX_INFO_STATUS_LEAVING);
	merge1(&v, old, 1000);			/* older up */
	ck_assert_int_eq(status_of(&v, 3, 2000), MOSIX_INFO_STATUS_LEAVING);
	merge1(&v, old, 3000);			/* up with a newer stamp, same boot */
	ck_assert_int_eq(status_of(&v, 3, 3000), MOSIX_INFO_STATUS_LEAVING);
	/* down is final too, and beats leaving */
	merge1(&v, entry(3, MOSIX_INFO_STATUS_DOWN, 7, 2000), 3000);
	ck_assert_int_eq(status_of(&v, 3, 3000), MOSIX_INFO_STATUS_DOWN);
	merge1(&v, left, 4000);
	ck_assert_int_eq(status_of(&v, 3, 4000), MOSIX_INFO_STATUS_DOWN);
	/* a stale boot never comes back */
	merge1(&v, entry(3, MOSIX_INFO_STATUS_UP, 6, 0), 5000);
	ck_assert_int_eq(status_of(&v, 3, 5000), MOSIX_INFO_STATUS_DOWN);
	/* the next boot is up, even if its news is older */
	merge1(&v, entry(3, MOSIX_INFO_STATUS_UP, 8, 4000), 5000);
	ck_assert_int_eq(status_of(&v, 3, 5000), MOSIX_INFO_STATUS_UP);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_fresh_leaving_entries_are_protected_from_up_entries)
{
	struct mosix_info_view v = view(1, 4, 60000);
	u16 pe;

	for (pe = 2; pe <= 5; pe++)
		merge1(&v, up(pe, 0), 10000);
	/* older than every held entry, but a leave notice: taken */
	merge1(&v, entry(9, MOSIX_INFO_STATUS_LEAVING, 9, 3000), 10000);
	ck_assert_int_eq(status_of(&v, 9, 10000), MOSIX_INFO_STATUS_LEAVING);
	for (pe = 20; pe < 40; pe++)
		merge1(&v, up(pe, 0), 11000 + pe);
	ck_assert_int_eq(status_of(&v, 9, 12000), MOSIX_INFO_STATUS_LEAVING);
	/* once past max age it is down, unprotected, and gives way */
	ck_assert_int_eq(status_of(&v, 9, 67001), MOSIX_INFO_STATUS_DOWN);
	merge1(&v, up(50, 0), 67001);
	ck_assert_int_eq(status_of(&v, 9, 67001), MOSIX_INFO_STATUS_UNKNOWN);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_without_leave_priority_a_leaving_entry_is_evicted)
{
	struct mosix_info_view v = view(1, 4, 60000);
	u16 pe;

	v.leave_priority = false;
	for (pe = 2; pe <= 5; pe++)
		merge1(&v, up(pe, 0), 10000);
	merge1(&v, entry(9, MOSIX_INFO_STATUS_LEAVING, 9, 3000), 10000);
	ck_assert_int_eq(status_of(&v, 9, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	merge1(&v, entry(9, MOSIX_INFO_STATUS_LEAVING, 9, 0), 10001);
	ck_assert_int_eq(status_of(&v, 9, 10001), MOSIX_INFO_STATUS_LEAVING);
	for (pe = 20; pe < 24; pe++)
		merge1(&v, up(pe, 0), 11000);
	ck_assert_int_eq(status_of(&v, 9, 11000), MOSIX_INFO_STATUS_UNKNOWN);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_protected_entries_fill_at_most_half_the_window)
{
	struct mosix_info_view v = view(1, 4, 60000);
	u16 pe;

	for (pe = 2; pe <= 5; pe++)
		merge1(&v, up(pe, 0), 10000);
	merge1(&v, entry(10, MOSIX_INFO_STATUS_LEAVING, 10, 100), 10000);
	merge1(&v, entry(11, MOSIX_INFO_STATUS_LEAVING, 11, 200), 10000);
	/* two of four protected: a third competes with them only */
	merge1(&v, entry(12, MOSIX_INFO_STATUS_LEAVING, 12, 50), 10000);
	ck_assert_int_eq(status_of(&v, 11, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	ck_assert_int_eq(status_of(&v, 10, 10000), MOSIX_INFO_STATUS_LEAVING);
	ck_assert_int_eq(status_of(&v, 12, 10000), MOSIX_INFO_STATUS_LEAVING);
	merge1(&v, entry(13, MOSIX_INFO_STATUS_LEAVING, 13, 5000), 10000);
	ck_assert_int_eq(status_of(&v, 13, 10000), MOSIX_INFO_STATUS_UNKNOWN);
	/* two up entries survive */
	ck_assert_uint_eq(v.nr, 4);
	ck_assert_int_eq(status_of(&v, 4, 10000) + status_of(&v, 5, 10000) +
			 status_of(&v, 2, 10000) + status_of(&v, 3, 10000),
			 2 * MOSIX_INFO_STATUS_UP);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_pick_window_own_first_protected_then_newest_ascending)
{
	struct mosix_info_view v = view(7, 8, 60000);
	struct mosix_info_entry self = up(7, 123), out[9];
	struct mosix_info_msg_hdr h;
	u8 buf[MOSIX_INFO_DGRAM_MAX];
	int n, i;

	ck_assert_int_eq(mosix_info_view_pick_window(&v, 0, out, 9), -ENODATA);
	ck_assert_int_eq(mosix_info_view_set_self(&v, &self), 0);
	ck_assert_int_eq(mosix_info_view_pick_window(&v, 0, out, 0), -EINVAL);
	for (i = 0; i < 6; i++)
		merge1(&v, up((u16)(20 - i), (u32)(100 * i)), 10000);
	merge1(&v, entry(30, MOSIX_INFO_STATUS_LEAVING, 30, 2000), 10000);
	n = mosix_info_view_pick_window(&v, 10500, out, 9);
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(out[0].pe, 7);
	ck_assert_uint_eq(out[0].age_ms, 0);
	for (i = 2; i < n; i++)
		ck_assert_int_lt(out[i - 1].pe, out[i].pe);
	ck_assert_int_eq(out[1].pe, 15);
	ck_assert_uint_eq(out[1].age_ms, 1000);
	ck_assert_int_eq(out[7].pe, 30);
	ck_assert_uint_eq(out[7].age_ms, 2500);
	/* three slots: self, the leaving one, the newest up (PE 20, age 500) */
	n = mosix_info_view_pick_window(&v, 10500, out, 3);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(out[1].pe, 20);
	ck_assert_uint_eq(out[1].age_ms, 500);
	ck_assert_int_eq(out[2].pe, 30);
	ck_assert_int_eq(mosix_info_view_pick_window(&v, 10500, out, 1), 1);
	/* what goes out always encodes */
	n = mosix_info_view_pick_window(&v, 10500, out, 9);
	mosix_info_view_fill_hdr(&v, 77, &h);
	ck_assert_int_eq(h.type, MOSIX_INFO_TYPE_INFO);
	ck_assert_int_eq(h.sender_pe, 7);
	ck_assert_uint_eq(h.epoch, 1007);
	ck_assert_uint_eq(h.seq, 77);
	ck_assert_int_gt(mosix_info_encode(&h, out, (unsigned int)n, buf, sizeof(buf)), 0);
	mosix_info_view_free(&v);
}
END_TEST

START_TEST(test_self_entry_rules_and_leaving_sticks_for_the_boot)
{
	struct mosix_info_view v = view(7, 4, 60000);
	struct mosix_info_entry e = up(8, 0), out[5];
	struct mosix_info_msg_hdr h;

	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), -EINVAL);
	e = up(7, 0);
	e.speed = 0;
	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), -EINVAL);
	e = entry(7, MOSIX_INFO_STATUS_DOWN, 1007, 0);
	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), -EINVAL);
	e = up(7, 0);
	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), 0);
	mosix_info_view_mark_self_leaving(&v);
	e.load = 4242;
	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), 0);
	ck_assert_int_eq(status_of(&v, 7, 0), MOSIX_INFO_STATUS_LEAVING);
	ck_assert_int_eq(mosix_info_view_pick_window(&v, 0, out, 5), 1);
	ck_assert_uint_eq(out[0].load, 4242);
	mosix_info_view_fill_hdr(&v, 1, &h);
	ck_assert_int_eq(h.type, MOSIX_INFO_TYPE_LEAVE);
	/* the next boot is up */
	e.epoch = 2007;
	ck_assert_int_eq(mosix_info_view_set_self(&v, &e), 0);
	ck_assert_int_eq(status_of(&v, 7, 0), MOSIX_INFO_STATUS_UP);
	mosix_info_view_free(&v);
}
END_TEST

/* A (PE 2) leaves: B hears the notice, C hears it from B by gossip only */
START_TEST(test_leave_notice_reaches_a_node_through_gossip)
{
	struct mosix_info_view a = view(2, 16, 60000), b = view(3, 16, 60000);
	struct mosix_info_view c = view(4, 16, 60000);
	struct mosix_info_entry self, out[17], stale[17];
	struct mosix_info_msg_hdr h;
	u8 buf[MOSIX_INFO_DGRAM_MAX];
	enum mosix_info_drop why;
	int n, len;

	self = up(2, 0);
	mosix_info_view_set_self(&a, &self);
	self = up(3, 0);
	mosix_info_view_set_self(&b, &self);
	/* an old INFO of A, still in flight */
	n = mosix_info_view_pick_window(&a, 1000, stale, 17);
	ck_assert_int_eq(n, 1);
	mosix_info_view_merge(&c, stale, 1, NULL, 1000);
	ck_assert_int_eq(status_of(&c, 2, 1000), MOSIX_INFO_STATUS_UP);

	mosix_info_view_mark_self_leaving(&a);
	n = mosix_info_view_pick_window(&a, 2000, out, 17);
	mosix_info_view_fill_hdr(&a, 2, &h);
	len = mosix_info_encode(&h, out, (unsigned int)n, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	n = mosix_info_decode(buf, (size_t)len + MOSIX_INFO_TAG_LEN, &h, out, 17, &why);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(h.type, MOSIX_INFO_TYPE_LEAVE);
	mosix_info_view_merge(&b, out, (unsigned int)n, NULL, 2000);
	ck_assert_int_eq(status_of(&b, 2, 2000), MOSIX_INFO_STATUS_LEAVING);

	n = mosix_info_view_pick_window(&b, 3000, out, 17);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(out[1].status, MOSIX_INFO_STATUS_LEAVING);
	ck_assert_uint_eq(out[1].age_ms, 1000);
	mosix_info_view_merge(&c, out, (unsigned int)n, NULL, 3000);
	ck_assert_int_eq(status_of(&c, 2, 3000), MOSIX_INFO_STATUS_LEAVING);
	/* the delayed INFO arrives late: still leaving */
	mosix_info_view_merge(&c, stale, 1, NULL, 3500);
	ck_assert_int_eq(status_of(&c, 2, 3500), MOSIX_INFO_STATUS_LEAVING);
	mosix_info_view_free(&a);
	mosix_info_view_free(&b);
	mosix_info_view_free(&c);
}
END_TEST

START_TEST(test_snapshot_is_sorted_with_self_and_bounded)
{
	struct mosix_info_view v = view(5, 8, 1000);
	struct mosix_info_entry self = up(5, 0), out[9];
	unsigned int n;

	mosix_info_view_set_self(&v, &self);
	merge1(&v, up(9, 0), 0);
	merge1(&v, up(2, 500), 0);
	merge1(&v, up(7, 0), 2000);
	n = mosix_info_view_snapshot(&v, 2000, out, 9);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(out[0].pe, 2);
	ck_assert_int_eq(out[0].status, MOSIX_INFO_STATUS_DOWN);
	ck_assert_uint_eq(out[0].age_ms, 2500);
	ck_assert_int_eq(out[1].pe, 5);
	ck_assert_int_eq(out[2].pe, 7);
	ck_assert_int_eq(out[2].status, MOSIX_INFO_STATUS_UP);
	ck_assert_int_eq(out[3].pe, 9);
	ck_assert_int_eq(out[3].status, MOSIX_INFO_STATUS_DOWN);
	n = mosix_info_view_snapshot(&v, 2000, out, 2);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[0].pe, 2);
	ck_assert_int_eq(out[1].pe, 5);
	ck_assert_uint_eq(mosix_info_view_snapshot(&v, 2000, out, 0), 0);
	mosix_info_view_free(&v);
}
END_TEST

/* ---- peer choice ---- */

static void parse_map(const char *text, struct mosix_map *map)
{
	struct mosix_map_error err;

	ck_assert_int_eq(mosix_map_parse(text, strlen(text), map, &err), 0);
}

START_TEST(test_pick_peer_is_uniform_over_others_across_ranges)
{
	static const u32 pes[6] = { 1, 2, 3, 10, 11, 20 };
	unsigned int count[21] = { 0 }, i, j, bad = 0, draws = 120000;
	struct mosix_map map;
	u64 x = 88172645463325252ULL;

	parse_map("10 10.0.1.1 2\n1 10.0.0.1 3\n20 10.0.2.1 1\n3 10.9.0.1 ALIAS\n", &map);
	ck_assert_uint_eq(map.nr_nodes, 6);
	for (j = 0; j < 6; j++) {
		u32 self = pes[j];

		memset(count, 0, sizeof(count));
		for (i = 0; i < draws; i++) {
			u32 pe;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pe = mosix_info_pick_peer(&map, self, (u32)(x >> 32));
			/* no ck_assert in the loop: each one writes to a pipe */
			if (pe > 20)
				bad++;
			else
				count[pe]++;
		}
		ck_assert_uint_eq(bad, 0);
		ck_assert_uint_eq(count[self], 0);
		for (i = 0; i < 6; i++) {
			if (pes[i] == self)
				continue;
			/* 24000 expected; 1000 is about 7 sigma */
			ck_assert_uint_gt(count[pes[i]], 23000);
			ck_assert_uint_lt(count[pes[i]], 25000);
		}
	}
	mosix_map_free(&map);
}
END_TEST

START_TEST(test_pick_peer_edges)
{
	struct mosix_map map;
	unsigned int i, seen[8] = { 0 };

	parse_map("1 10.0.0.1 3\n5 10.0.0.5 2\n", &map);
	/* evenly spaced randoms hit each of the four others equally */
	for (i = 0; i < 4000; i++)
		seen[mosix_info_pick_peer(&map, 3, (u32)((u64)i * (1ULL << 32) / 4000))]++;
	ck_assert_uint_eq(seen[1], 1000);
	ck_assert_uint_eq(seen[2], 1000);
	ck_assert_uint_eq(seen[5], 1000);
	ck_assert_uint_eq(seen[6], 1000);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 1, 0), 2);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 6, ~0U), 5);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 5, ~0U), 6);
	/* self outside the table: every node may be chosen */
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 9, 0), 1);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 9, ~0U), 6);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 0, ~0U), 6);
	mosix_map_free(&map);

	parse_map("7 10.0.0.7 1\n", &map);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 7, 12345), 0);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 8, 12345), 7);
	mosix_map_free(&map);
	parse_map("# empty\n", &map);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 1, 12345), 0);
	mosix_map_free(&map);
	parse_map("1 10.0.0.1 65535\n", &map);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 1, 0), 2);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 65535, ~0U), 65534);
	ck_assert_uint_eq(mosix_info_pick_peer(&map, 1, ~0U), 65535);
	mosix_map_free(&map);
}
END_TEST

Suite *info_suite(void);

Suite *info_suite(void)
{
	Suite *s = suite_create("info");
	TCase *codec = tcase_create("codec"), *rx = tcase_create("receive");
	TCase *viewc = tcase_create("view"), *peer = tcase_create("peer");

	tcase_add_test(codec, test_hmac_sha256_rfc4231_vectors);
	tcase_add_test(codec, test_round_trip_keeps_every_field);
	tcase_add_test(codec, test_wire_bytes_are_big_endian_at_documented_offsets);
	tcase_add_test(codec, test_encode_refuses_invalid_messages_and_small_buffers);
	tcase_add_test(codec, test_drop_names_cover_every_reason);
	tcase_add_test(codec, test_decode_refuses_more_entries_than_the_caller_holds);
	tcase_add_test(codec, test_precheck_bounds);
	tcase_add_test(codec, test_peek_checks_the_header_before_any_tag);
	tcase_add_loop_test(codec, test_every_field_is_range_checked, 0,
			    (int)(sizeof(field_cases) / sizeof(field_cases[0])));
	tcase_add_test(codec, test_sender_entry_must_match_header_and_type);
	tcase_add_test(codec, test_other_entries_ascend_and_exclude_the_sender);
	tcase_add_test(codec, test_largest_message_round_trips_and_one_more_is_refused);
	suite_add_tcase(s, codec);

	tcase_add_loop_test(rx, test_every_drop_reason_is_counted_and_changes_nothing, 0,
			    (int)(sizeof(drop_cases) / sizeof(drop_cases[0])));
	tcase_add_test(rx, test_alias_source_and_next_sequence_are_accepted);
	tcase_add_test(rx, test_replay_accepts_only_strictly_newer_epoch_and_seq);
	tcase_add_test(rx, test_check_sender_table_source_and_self);
	suite_add_tcase(s, rx);

	tcase_add_test(viewc, test_view_init_checks_parameters);
	tcase_add_test(viewc, test_merge_newer_wins_older_ignored);
	tcase_add_test(viewc, test_the_senders_own_word_replaces_a_relayed_epoch);
	tcase_add_test(viewc, test_merge_ignores_self_unknown_pes_and_invalid_entries);
	tcase_add_test(viewc, test_full_view_evicts_the_oldest_for_a_newer_entry);
	tcase_add_test(viewc, test_entries_past_max_age_are_down_and_not_sent);
	tcase_add_test(viewc, test_leaving_is_not_overridden_by_up_of_the_same_boot);
	tcase_add_test(viewc, test_fresh_leaving_entries_are_protected_from_up_entries);
	tcase_add_test(viewc, test_without_leave_priority_a_leaving_entry_is_evicted);
	tcase_add_test(viewc, test_protected_entries_fill_at_most_half_the_window);
	tcase_add_test(viewc, test_pick_window_own_first_protected_then_newest_ascending);
	tcase_add_test(viewc, test_self_entry_rules_and_leaving_sticks_for_the_boot);
	tcase_add_test(viewc, test_leave_notice_reaches_a_node_through_gossip);
	tcase_add_test(viewc, test_snapshot_is_sorted_with_self_and_bounded);
	suite_add_tcase(s, viewc);

	/* 720000 draws under ASan: seconds on a busy machine, not Check's default 4 s */
	tcase_set_timeout(peer, 30);
	tcase_add_test(peer, test_pick_peer_is_uniform_over_others_across_ranges);
	tcase_add_test(peer, test_pick_peer_edges);
	suite_add_tcase(s, peer);
	return s;
}
