// SPDX-License-Identifier: GPL-2.0
/*
 * Node table parser and validator, shared by the module, mosctl and the
 * tests. Map syntax (openMosix):
 *
 *   FIRST-PE ADDRESS COUNT   COUNT nodes FIRST-PE.. at consecutive addresses
 *   PE ADDRESS ALIAS         an extra address of a node defined elsewhere
 *   # comment, blank lines
 *
 * A map is parsed completely and validated before anyone may use it; errors
 * carry an errno, the 1-based line and a static reason.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#define map_alloc_array(n, size)	kvmalloc_array(n, size, GFP_KERNEL)
#define map_free(p)			kvfree(p)
#define map_sort(base, n, size, cmp)	sort(base, n, size, cmp, NULL)
#define map_sort_r(base, n, size, cmp, priv) \
	sort_r(base, n, size, cmp, NULL, priv)
#define SORT_PRIV const void *
#else
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define map_alloc_array(n, size)	calloc(n, size)
#define map_free(p)			free(p)
#define map_sort(base, n, size, cmp)	qsort(base, n, size, cmp)
#define map_sort_r(base, n, size, cmp, priv)	qsort_r(base, n, size, cmp, priv)
#define SORT_PRIV void *
#endif

#include "mosix_map.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* strict dotted quad: four decimal parts 0..255, no leading zeros */
static int parse_v4(const char *s, size_t len, u8 out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t start = i;
		u32 v = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 4)
			v = v * 10 + (u32)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255 ||
		    (i - start > 1 && s[start] == '0'))
			return -EINVAL;
		out[part] = (u8)v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
	}
	return i == len ? 0 : -EINVAL;
}

/* RFC 4291 text form: groups of 1-4 hex digits, one "::", optional IPv4 tail */
static int parse_v6(const char *s, size_t len, u8 out[16])
{
	u16 words[8];
	int n = 0, gap = -1, k;
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (len && s[0] == ':') {
		return -EINVAL;
	}
	while (i < len) {
		size_t j = i;
		u32 v = 0;

		while (j < len && hex_value(s[j]) >= 0 && j - i < 5)
			v = v * 16 + (u32)hex_value(s[j++]);
		if (j < len && s[j] == '.') {
			u8 v4[4];

			if (n > 6 || parse_v4(s + i, len - i, v4))
				return -EINVAL;
			words[n++] = (u16)(v4[0] << 8 | v4[1]);
			words[n++] = (u16)(v4[2] << 8 | v4[3]);
			break;
		}
		if (j == i || j - i > 4 || n == 8)
			return -EINVAL;
		words[n++] = (u16)v;
		if (j == len)
			break;
		if (s[j] != ':')
			return -EINVAL;
		j++;
		if (j < len && s[j] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = n;
			j++;
		} else if (j == len) {
			return -EINVAL;
		}
		i = j;
	}
	if (gap < 0 ? n != 8 : n > 7)
		return -EINVAL;
	memset(out, 0, 16);
	for (k = 0; k < n; k++) {
		int pos = (gap >= 0 && k >= gap) ? 8 - n + k : k;

		out[2 * pos] = (u8)(words[k] >> 8);
		out[2 * pos + 1] = (u8)words[k];
	}
	return 0;
}

int mosix_addr_parse(const char *s, size_t len, struct mosix_addr *addr)
{
	size_t i;

	memset(addr, 0, sizeof(*addr));
	for (i = 0; i < len; i++) {
		if (s[i] == ':') {
			addr->family = MOSIX_ADDR_V6;
			return parse_v6(s, len, addr->bytes);
		}
	}
	addr->family = MOSIX_ADDR_V4;
	return parse_v4(s, len, addr->bytes);
}

int mosix_addr_format(const struct mosix_addr *addr, char *buf, size_t size)
{
	const u8 *b = addr->bytes;
	int best = -1, best_len = 1, run = 0, i, n = 0;

	if (addr->family == MOSIX_ADDR_V4)
		return snprintf(buf, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);

	/* RFC 5952: compress the first longest run of two or more zero groups */
	for (i = 0; i < 8; i++) {
		if (b[2 * i] || b[2 * i + 1]) {
			run = 0;
			continue;
		}
		if (++run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	for (i = 0; i < 8 && (size_t)n < size; i++) {
		if (i == best) {
			n += snprintf(buf + n, size - (size_t)n, "::");
			i += best_len - 1;
			continue;
		}
		n += snprintf(buf + n, size - (size_t)n, "%s%x",
			      (i && i != best + best_len) ? ":" : "",
			      (unsigned int)(b[2 * i] << 8 | b[2 * i + 1]));
	}
	if (!n && size)
		buf[0] = '\0';
	return n;
}

static size_t addr_len(const struct mosix_addr *a)
{
	return a->family == MOSIX_ADDR_V4 ? 4 : 16;
}

int mosix_addr_cmp(const struct mosix_addr *a, const struct mosix_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, addr_len(a));
}

bool mosix_addr_add(const struct mosix_addr *a, u32 n, struct mosix_addr *out)
{
	int i = (int)addr_len(a) - 1;
	u64 carry = n;

	*out = *a;
	for (; i >= 0 && carry; i--) {
		carry += out->bytes[i];
		out->bytes[i] = (u8)carry;
		carry >>= 8;
	}
	return carry == 0;
}

/* low 32 bits of the address as a number: exact for small differences */
static u32 addr_low32(const struct mosix_addr *a)
{
	const u8 *b = a->bytes + addr_len(a) - 4;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static void entry_last_addr(const struct mosix_map_entry *e,
			    struct mosix_addr *last)
{
	/* validated at parse time: cannot wrap */
	mosix_addr_add(&e->addr, e->count ? e->count - 1U : 0, last);
}

/* a decimal number without sign; -ERANGE above max (also past 64 bits) */
int mosix_parse_decimal_u64(const char *s, size_t len, u64 max, u64 *val)
{
	u64 v = 0;
	bool big = false;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned int)(s[i] - '0');
		/* v * 10 + d > max, without overflow (d > max: max - d would wrap) */
		if (big || d > max || v > (max - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (big)
		return -ERANGE;
	*val = v;
	return 0;
}

int mosix_parse_decimal(const char *s, size_t len, u32 max, u32 *val)
{
	u64 v;
	int err = mosix_parse_decimal_u64(s, len, max, &v);

	if (!err)
		*val = (u32)v;
	return err;
}

static bool is_alias_word(const char *s, size_t len)
{
	static const char word[] = "alias";
	size_t i;

	if (len != sizeof(word) - 1)
		return false;
	for (i = 0; i < len; i++)
		if ((s[i] | 0x20) != word[i])
			return false;
	return true;
}

struct parsed_entry {
	struct mosix_map_entry e;
	u32 line;
};

static int set_error(struct mosix_map_error *error, int err, u32 line,
		     const char *reason)
{
	error->err = err;
	error->line = line;
	error->reason = reason;
	return err;
}

/* ranges before aliases, then by PE, then by address */
static int cmp_by_pe(const void *a, const void *b)
{
	const struct parsed_entry *x = a, *y = b;
	int r;

	if (!x->e.count != !y->e.count)
		return x->e.count ? -1 : 1;
	if (x->e.pe != y->e.pe)
		return x->e.pe < y->e.pe ? -1 : 1;
	r = mosix_addr_cmp(&x->e.addr, &y->e.addr);
	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* split one line into at most 4 fields (a 4th means too many) */
static int split_fields(const char *s, size_t len, const char **field,
			size_t *flen)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		size_t start;

		while (i < len && is_blank(s[i]))
			i++;
		if (i == len || s[i] == '#' || n == 4)
			return n;
		start = i;
		while (i < len && !is_blank(s[i]) && s[i] != '#')
			i++;
		field[n] = s + start;
		flen[n++] = i - start;
	}
}

static int parse_line(const char *s, size_t len, u32 line,
		      struct parsed_entry *out, struct mosix_map_error *error)
{
	const char *field[4];
	size_t flen[4];
	u32 pe, count;
	struct mosix_addr last;
	int n = split_fields(s, len, field, flen), err;

	if (n > 3)
		return set_error(error, -EINVAL, line,
				 "too many fields (expected PE ADDRESS COUNT|ALIAS)");
	if (n < 3)
		return set_error(error, -EINVAL, line,
				 "missing fields (expected PE ADDRESS COUNT|ALIAS)");

	err = mosix_parse_decimal(field[0], flen[0], MOSIX_PE_MAX, &pe);
	if (err == -EINVAL)
		return set_error(error, err, line, "PE is not a decimal number");
	if (err || pe == 0)
		return set_error(error, -ERANGE, line,
				 "PE out of range 1..65535");

	if (flen[1] >= MOSIX_ADDR_STRLEN ||
	    mosix_addr_parse(field[1], flen[1], &out->e.addr))
		return set_error(error, -EINVAL, line,
				 "not an IPv4 or IPv6 address");

	if (is_alias_word(field[2], flen[2])) {
		count = 0;
	} else {
		err = mosix_parse_decimal(field[2], flen[2], MOSIX_PE_MAX, &count);
		if (err == -EINVAL)
			return set_error(error, err, line,
					 "COUNT is not a decimal number or ALIAS");
		if (err || count == 0)
			return set_error(error, -ERANGE, line,
				 "COUNT out of range 1..65535");
		if (pe + count - 1 > MOSIX_PE_MAX)
			return set_error(error, -ERANGE, line,
				 "node range ends above PE 65535");
		if (!mosix_addr_add(&out->e.addr, count - 1, &last))
			return set_error(error, -ERANGE, line,
				 "address range wraps past the end of the address space");
	}
	out->e.pe = (u16)pe;
	out->e.count = (u16)count;
	out->line = line;
	return 0;
}

static const char *next_line(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*len = (size_t)((nl ? nl : end) - p);
	return nl ? nl + 1 : end;
}

static bool has_content(const char *s, size_t len)
{
	const char *field[4];
	size_t flen[4];

	return split_fields(s, len, field, flen) > 0;
}

/* first pass: reject NUL bytes, count the lines that hold an entry */
static int count_entries(const char *text, size_t len, u32 *count,
			 struct mosix_map_error *error)
{
	const char *p = text, *end = text + len;
	u32 line = 0, n = 0;

	while (p < end) {
		size_t l;
		const char *next = next_line(p, end, &l);

		line++;
		if (memchr(p, '\0', l))
			return set_error(error, -EINVAL, line,
				 "NUL byte in map text");
		if (has_content(p, l) && ++n > MOSIX_TABLE_ENTRIES_MAX)
			return set_error(error, -E2BIG, line,
				 "too many entries (more than 131072 lines)");
		p = next;
	}
	*count = n;
	return 0;
}

/* keep the error with the smallest line number */
static void note_conflict(struct mosix_map_error *best, int err, u32 line,
			  const char *reason)
{
	if (!best->err || line < best->line)
		set_error(best, err, line, reason);
}

static u32 max_u32(u32 a, u32 b)
{
	return a > b ? a : b;
}

static void check_pe_overlap(const struct parsed_entry *pe_sorted, u32 nr,
			     struct mosix_map_error *best)
{
	u32 i, end = 0, end_line = 0;

	for (i = 0; i < nr; i++) {
		const struct parsed_entry *p = &pe_sorted[i];

		if (i && p->e.pe <= end)
			note_conflict(best, -EEXIST, max_u32(p->line, end_line),
				      "node numbers overlap those of another line");
		if (!i || p->e.pe + p->e.count - 1U > end) {
			end = p->e.pe + p->e.count - 1U;
			end_line = p->line;
		}
	}
}

static const struct mosix_map_entry *find_range(const struct mosix_map_entry *r,
						u32 nr, u32 pe)
{
	u32 lo = 0, hi = nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (pe < r[mid].pe)
			hi = mid;
		else if (pe > r[mid].pe + r[mid].count - 1U)
			lo = mid + 1;
		else
			return &r[mid];
	}
	return NULL;
}

static int cmp_by_addr_tmp(const void *a, const void *b, SORT_PRIV priv)
{
	const struct parsed_entry *all = priv;
	const struct parsed_entry *x = &all[*(const u32 *)a];
	const struct parsed_entry *y = &all[*(const u32 *)b];
	int r = mosix_addr_cmp(&x->e.addr, &y->e.addr);

	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void check_addr_overlap(const struct parsed_entry *all, const u32 *idx,
			       u32 nr, struct mosix_map_error *best)
{
	struct mosix_addr end = { 0 };
	u32 i, end_line = 0;

	for (i = 0; i < nr; i++) {
		const struct parsed_entry *p = &all[idx[i]];
		struct mosix_addr last;

		if (i && p->e.addr.family == end.family &&
		    mosix_addr_cmp(&p->e.addr, &end) <= 0)
			note_conflict(best, -EEXIST, max_u32(p->line, end_line),
				      "address used twice (by another line's range or alias)");
		entry_last_addr(&p->e, &last);
		if (!i || mosix_addr_cmp(&last, &end) > 0) {
			end = last;
			end_line = p->line;
		}
	}
}

static void sort_by_addr(const struct parsed_entry *all, u32 *idx, u32 nr)
{
	map_sort_r(idx, nr, sizeof(*idx), cmp_by_addr_tmp, (SORT_PRIV)all);
}

int mosix_map_parse(const char *text, size_t len, struct mosix_map *map,
		    struct mosix_map_error *error)
{
	const char *p = text, *end = text + len;
	struct parsed_entry *tmp = NULL;
	struct mosix_map_error best = { 0 };
	u32 nr = 0, n = 0, line = 0, i;
	int err;

	memset(map, 0, sizeof(*map));
	set_error(error, 0, 0, NULL);
	err = count_entries(text, len, &nr, error);
	if (err || !nr)
		return err;

	tmp = map_alloc_array(nr, sizeof(*tmp));
	map->entries = map_alloc_array(nr, sizeof(*map->entries));
	map->by_addr = map_alloc_array(nr, sizeof(*map->by_addr));
	if (!tmp || !map->entries || !map->by_addr) {
		err = set_error(error, -ENOMEM, 0, "out of memory");
		goto out;
	}

	while (p < end) {
		size_t l;
		const char *next = next_line(p, end, &l);

		line++;
		if (has_content(p, l)) {
			err = parse_line(p, l, line, &tmp[n], error);
			if (err)
				goto out;
			n++;
		}
		p = next;
	}

	map_sort(tmp, nr, sizeof(*tmp), cmp_by_pe);
	for (i = 0; i < nr && tmp[i].e.count; i++)
		map->nr_nodes += tmp[i].e.count;
	map->nr_ranges = i;
	map->nr_aliases = nr - i;
	for (i = 0; i < nr; i++)
		map->entries[i] = tmp[i].e;

	check_pe_overlap(tmp, map->nr_ranges, &best);
	for (i = map->nr_ranges; i < nr; i++)
		if (!find_range(map->entries, map->nr_ranges, tmp[i].e.pe))
			note_conflict(&best, -ENOENT, tmp[i].line,
				      "ALIAS for a PE that no line defines");
	for (i = 0; i < nr; i++)
		map->by_addr[i] = i;
	sort_by_addr(tmp, map->by_addr, nr);
	check_addr_overlap(tmp, map->by_addr, nr, &best);
	if (best.err) {
		*error = best;
		err = best.err;
	}
out:
	map_free(tmp);
	if (err)
		mosix_map_free(map);
	return err;
}

void mosix_map_free(struct mosix_map *map)
{
	map_free(map->entries);
	map_free(map->by_addr);
	memset(map, 0, sizeof(*map));
}

const struct mosix_map_entry *mosix_map_find_pe(const struct mosix_map *map,
						u32 pe)
{
	return find_range(map->entries, map->nr_ranges, pe);
}

bool mosix_map_pe_addr(const struct mosix_map *map, u32 pe,
		       struct mosix_addr *addr)
{
	const struct mosix_map_entry *e = mosix_map_find_pe(map, pe);

	return e && mosix_addr_add(&e->addr, pe - e->pe, addr);
}

u32 mosix_map_find_addr(const struct mosix_map *map,
			const struct mosix_addr *addr)
{
	u32 lo = 0, hi = mosix_map_nr_entries(map);
	const struct mosix_map_entry *e;
	struct mosix_addr last;

	/* the last entry starting at or below addr */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (mosix_addr_cmp(&map->entries[map->by_addr[mid]].addr, addr) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	e = &map->entries[map->by_addr[lo - 1]];
	if (e->addr.family != addr->family)
		return 0;
	entry_last_addr(e, &last);
	if (mosix_addr_cmp(addr, &last) > 0)
		return 0;
	return e->pe + (addr_low32(addr) - addr_low32(&e->addr));
}

int mosix_map_format_entry(const struct mosix_map *map, u32 i, char *buf,
			   size_t size)
{
	const struct mosix_map_entry *e = &map->entries[i];
	char a[MOSIX_ADDR_STRLEN];

	mosix_addr_format(&e->addr, a, sizeof(a));
	if (!e->count)
		return snprintf(buf, size, "%u %s ALIAS\n", e->pe, a);
	return snprintf(buf, size, "%u %s %u\n", e->pe, a, e->count);
}
