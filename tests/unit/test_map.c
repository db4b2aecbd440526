// SPDX-License-Identifier: GPL-2.0
/* The shared map parser: accepted and refused maps, lookups, canonical text. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosix_map.h"

struct map_case {
	const char *text;
	int err;	/* 0 or negative errno */
	unsigned int line;
	unsigned int nodes;
	size_t len;
};

/* sizeof, not strlen: a case may hold a NUL byte */
#define C(text, err, line, nodes) { text, err, line, nodes, sizeof(text) - 1 }

static const struct map_case cases[] = {
	/* accepted */
	C("", 0, 0, 0),
	C("\n\n# only a comment\n   \t\n", 0, 0, 0),
	C("1 10.0.0.1 1", 0, 0, 1),
	C("1 10.0.0.1 1\n", 0, 0, 1),
	C("  1\t10.0.0.1   3   # three nodes\r\n", 0, 0, 3),
	C("1 10.0.0.1 3\n4 10.0.1.1 2\n2 192.168.0.9 ALIAS\n", 0, 0, 5),
	C("1 10.0.0.1 1\n1 10.0.0.2 alias\n", 0, 0, 1),
	C("65535 10.0.0.1 1\n", 0, 0, 1),
	C("1 10.0.0.1 65535\n", 0, 0, 65535),
	C("1 fd00::1 4\n5 ::ffff:10.0.0.1 1\n", 0, 0, 5),
	C("1 255.255.255.254 2\n", 0, 0, 2),
	C("1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 2\n", 0, 0, 2),
	C("1 10.0.0.1 1\n2 fd00::a 1\n", 0, 0, 2),
	C("3 10.0.0.3 1\n1 10.0.0.1 2\n", 0, 0, 3),
	C("1 1:2:3:4:5:6:7:8 1\n2 1::8 1\n3 :: 1\n", 0, 0, 3),
	/* syntax: -EINVAL */
	C("1 10.0.0.1\n", -EINVAL, 1, 0),
	C("\n1\n", -EINVAL, 2, 0),
	C("1 10.0.0.1 1 extra\n", -EINVAL, 1, 0),
	C("x 10.0.0.1 1\n", -EINVAL, 1, 0),
	C("+1 10.0.0.1 1\n", -EINVAL, 1, 0),
	C("-1 10.0.0.1 1\n", -EINVAL, 1, 0),
	C("1 10.0.0.1 -1\n", -EINVAL, 1, 0),
	C("1 10.0.0.1 1x\n", -EINVAL, 1, 0),
	C("1 10.0.0.1 aliases\n", -EINVAL, 1, 0),
	C("1 10.0.0 1\n", -EINVAL, 1, 0),
	C("1 10.0.0.256 1\n", -EINVAL, 1, 0),
	C("1 10.0.0.01 1\n", -EINVAL, 1, 0),
	C("1 10.0.0.1. 1\n", -EINVAL, 1, 0),
	C("1 host.example 1\n", -EINVAL, 1, 0),
	C("1 fd00::1::2 1\n", -EINVAL, 1, 0),
	C("1 fd00:1 1\n", -EINVAL, 1, 0),
	C("1 :fd00::1 1\n", -EINVAL, 1, 0),
	C("1 fd00::1: 1\n", -EINVAL, 1, 0),
	C("1 12345::1 1\n", -EINVAL, 1, 0),
	C("1 1:2:3:4:5:6:7:8:9 1\n", -EINVAL, 1, 0),
	C("1 1:2:3:4:5:6:7::8 1\n", -EINVAL, 1, 0),
	C("1 fd00::1%eth0 1\n", -EINVAL, 1, 0),
	C("1 10.0.0.1 1\n2 10.0.0.2 1\0\n", -EINVAL, 2, 0),
	/* ranges: -ERANGE */
	C("0 10.0.0.1 1\n", -ERANGE, 1, 0),
	C("65536 10.0.0.1 1\n", -ERANGE, 1, 0),
	C("99999999999999999999999 10.0.0.1 1\n", -ERANGE, 1, 0),
	C("1 10.0.0.1 0\n", -ERANGE, 1, 0),
	C("1 10.0.0.1 65536\n", -ERANGE, 1, 0),
	C("65535 10.0.0.1 2\n", -ERANGE, 1, 0),
	C("2 10.0.0.1 65535\n", -ERANGE, 1, 0),
	C("1 255.255.255.255 2\n", -ERANGE, 1, 0),
	C("1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 2\n", -ERANGE, 1, 0),
	C("# c\n1 10.0.0.1 1\n0 10.0.0.9 ALIAS\n", -ERANGE, 3, 0),
	/* conflicts: -EEXIST, -ENOENT */
	C("1 10.0.0.1 3\n3 10.0.1.1 1\n", -EEXIST, 2, 0),
	C("3 10.0.1.1 1\n1 10.0.0.1 3\n", -EEXIST, 2, 0),
	C("1 10.0.0.1 10\n20 10.1.0.1 1\n5 10.2.0.1 1\n", -EEXIST, 3, 0),
	C("1 10.0.0.1 2\n3 10.0.0.2 1\n", -EEXIST, 2, 0),
	C("1 10.0.0.1 1\n2 10.0.0.1 1\n", -EEXIST, 2, 0),
	C("1 10.0.0.1 1\n1 10.0.0.1 ALIAS\n", -EEXIST, 2, 0),
	C("1 10.0.0.1 2\n1 10.0.0.9 ALIAS\n2 10.0.0.9 ALIAS\n", -EEXIST, 3, 0),
	C("1 fd00::1 1\n2 FD00:0::1 1\n", -EEXIST, 2, 0),
	C("1 10.0.0.1 1\n2 10.0.0.9 ALIAS\n", -ENOENT, 2, 0),
	/* the smallest conflicting line is reported */
	C("1 10.0.0.1 1\n2 10.0.0.9 ALIAS\n3 10.0.0.1 1\n", -ENOENT, 2, 0),
};

START_TEST(test_map_cases)
{
	const struct map_case *c = &cases[_i];
	size_t len = c->len;
	struct mosix_map map;
	struct mosix_map_error e;
	int err;

	err = mosix_map_parse(c->text, len, &map, &e);
	ck_assert_msg(err == c->err, "case %d \"%s\": err %d (%s), expected %d",
		      _i, c->text, err, e.reason ? e.reason : "", c->err);
	ck_assert_int_eq(e.err, c->err);
	if (err) {
		ck_assert_msg(e.line == c->line, "case %d: line %u, expected %u",
			      _i, e.line, c->line);
		ck_assert_ptr_nonnull(e.reason);
		ck_assert_ptr_null(map.entries);
	} else {
		ck_assert_uint_eq(map.nr_nodes, c->nodes);
		mosix_map_free(&map);
	}
}
END_TEST

static void parse_ok(const char *text, struct mosix_map *map)
{
	struct mosix_map_error e;
	int err = mosix_map_parse(text, strlen(text), map, &e);

	ck_assert_msg(!err, "parse: line %u: %s", e.line, e.reason);
}

static struct mosix_addr addr(const char *s)
{
	struct mosix_addr a;

	ck_assert_int_eq(mosix_addr_parse(s, strlen(s), &a), 0);
	return a;
}

START_TEST(test_lookup_by_pe_and_address)
{
	struct mosix_map m;
	struct mosix_addr a, b;
	char buf[MOSIX_ADDR_STRLEN];

	parse_ok("10 10.0.0.250 10\n1 fd00::fffe 4\n3 192.168.1.1 ALIAS\n", &m);
	ck_assert_uint_eq(m.nr_nodes, 14);
	ck_assert_ptr_null(mosix_map_find_pe(&m, 5));
	ck_assert_ptr_nonnull(mosix_map_find_pe(&m, 19));
	ck_assert_ptr_null(mosix_map_find_pe(&m, 20));
	ck_assert(mosix_map_pe_addr(&m, 19, &a));
	mosix_addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.1.3");	/* carry into the third byte */
	ck_assert(mosix_map_pe_addr(&m, 4, &a));
	mosix_addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "fd00::1:1");
	b = addr("10.0.1.3");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 19);
	b = addr("10.0.1.4");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 0);
	b = addr("10.0.0.249");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 0);
	b = addr("fd00::1:0");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 3);
	b = addr("192.168.1.1");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 3);
	b = addr("0.0.0.0");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &b), 0);
	mosix_map_free(&m);
}
END_TEST

static const struct {
	const char *in, *out;
} addr_cases[] = {
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "::", "::" },
	{ "::1", "::1" },
	{ "1::", "1::" },
	{ "FD00:0:0:0:0:0:0:1", "fd00::1" },
	{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
	{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },
	{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },
	{ "::ffff:10.1.2.3", "::ffff:a01:203" },
	{ "0001:0002::00ff", "1:2::ff" },
};

START_TEST(test_address_canonical_text)
{
	struct mosix_addr a = addr(addr_cases[_i].in), b;
	char buf[MOSIX_ADDR_STRLEN];

	mosix_addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, addr_cases[_i].out);
	b = addr(buf);
	ck_assert_int_eq(mosix_addr_cmp(&a, &b), 0);
}
END_TEST

START_TEST(test_address_arithmetic_wraps)
{
	struct mosix_addr a = addr("10.0.0.255"), r;
	char buf[MOSIX_ADDR_STRLEN];

	ck_assert(mosix_addr_add(&a, 1, &r));
	mosix_addr_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10.0.1.0");
	a = addr("255.255.255.255");
	ck_assert(mosix_addr_add(&a, 0, &r));
	ck_assert(!mosix_addr_add(&a, 1, &r));
	a = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:0");
	ck_assert(mosix_addr_add(&a, 65535, &r));
	ck_assert(!mosix_addr_add(&a, 65536, &r));
	a = addr("::ffff:ffff");
	ck_assert(mosix_addr_add(&a, 1, &r));
	mosix_addr_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::1:0:0");	/* IPv6 carries past 32 bits */
}
END_TEST

/* canonical text of a parsed map */
static char *canonical(const struct mosix_map *m)
{
	size_t n = mosix_map_nr_entries(m), len = 0, size = n * MOSIX_MAP_LINE_MAX + 1;
	char *s = malloc(size);
	uint32_t i;

	ck_assert_ptr_nonnull(s);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)mosix_map_format_entry(m, i, s + len, size - len);
	return s;
}

START_TEST(test_canonical_text_round_trips)
{
	const char *text = "# cluster\n9 10.0.0.9 2\n 1  FD00::0:1 4 # v6\n"
			   "2 10.9.9.9 alias\n2 10.9.9.8 ALIAS\n";
	struct mosix_map a, b;
	char *ta, *tb;

	parse_ok(text, &a);
	ta = canonical(&a);
	ck_assert_str_eq(ta, "1 fd00::1 4\n9 10.0.0.9 2\n"
			 "2 10.9.9.8 ALIAS\n2 10.9.9.9 ALIAS\n");
	parse_ok(ta, &b);
	tb = canonical(&b);
	ck_assert_str_eq(ta, tb);
	ck_assert_uint_eq(a.nr_nodes, b.nr_nodes);
	free(ta);
	free(tb);
	mosix_map_free(&a);
	mosix_map_free(&b);
}
END_TEST

START_TEST(test_decimal_numbers)
{
	uint32_t v = 7;

	ck_assert_int_eq(mosix_parse_decimal("65535", 5, 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(mosix_parse_decimal("65536", 5, 65535, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal("18446744073709551617", 20, 65535, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal("", 0, 65535, &v), -EINVAL);
	ck_assert_int_eq(mosix_parse_decimal("+1", 2, 65535, &v), -EINVAL);
	ck_assert_int_eq(mosix_parse_decimal("1 ", 2, 65535, &v), -EINVAL);
	ck_assert_int_eq(mosix_parse_decimal("0x10", 4, 65535, &v), -EINVAL);
	ck_assert_uint_eq(v, 65535);	/* unchanged on error */
	/* a bound below 9: a digit above it is out of range (0/1 flags) */
	ck_assert_int_eq(mosix_parse_decimal("2", 1, 1, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal("9", 1, 0, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal("12", 2, 1, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal("1", 1, 1, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(mosix_parse_decimal("01", 2, 1, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(mosix_parse_decimal("0", 1, 0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(mosix_parse_decimal("255", 3, 255, &v), 0);
	ck_assert_int_eq(mosix_parse_decimal("256", 3, 255, &v), -ERANGE);
}
END_TEST

START_TEST(test_decimal_u64_numbers)
{
	uint64_t v = 7;

	ck_assert_int_eq(mosix_parse_decimal_u64("9223372036854775807", 19,
						 MOSIX_EPOCH_MAX, &v), 0);
	ck_assert_uint_eq(v, MOSIX_EPOCH_MAX);
	ck_assert_int_eq(mosix_parse_decimal_u64("9223372036854775808", 19,
						 MOSIX_EPOCH_MAX, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal_u64("18446744073709551615", 20,
						 ~0ULL, &v), 0);
	ck_assert_uint_eq(v, ~0ULL);
	ck_assert_int_eq(mosix_parse_decimal_u64("18446744073709551616", 20,
						 ~0ULL, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal_u64("99999999999999999999999", 23,
						 ~0ULL, &v), -ERANGE);
	ck_assert_int_eq(mosix_parse_decimal_u64("12x", 3, ~0ULL, &v), -EINVAL);
	ck_assert_uint_eq(v, ~0ULL);	/* unchanged on error */
}
END_TEST

START_TEST(test_largest_map)
{
	size_t size = 65535 * 32, len = 0;
	char *text = malloc(size);
	struct mosix_map m;
	struct mosix_addr a;
	uint32_t pe;

	ck_assert_ptr_nonnull(text);
	for (pe = 1; pe <= 65535; pe++)
		len += (size_t)snprintf(text + len, size - len, "%u 10.%u.%u.1 1\n",
					pe, pe >> 8, pe & 255);
	parse_ok(text, &m);
	ck_assert_uint_eq(m.nr_nodes, 65535);
	a = addr("10.255.255.1");
	ck_assert_uint_eq(mosix_map_find_addr(&m, &a), 65535);
	mosix_map_free(&m);
	free(text);
}
END_TEST

Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("parser");

	tcase_add_loop_test(tc, test_map_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_lookup_by_pe_and_address);
	tcase_add_loop_test(tc, test_address_canonical_text, 0,
			    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_address_arithmetic_wraps);
	tcase_add_test(tc, test_canonical_text_round_trips);
	tcase_add_test(tc, test_decimal_numbers);
	tcase_add_test(tc, test_decimal_u64_numbers);
	tcase_add_test(tc, test_largest_map);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
