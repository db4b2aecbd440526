// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the shared map parser. Besides crashes and sanitizer
 * reports it checks that every accepted map round-trips: its canonical text
 * parses again to the same table and prints identically, and every entry's
 * address looks up to its PE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mosix_map.h"

static char *canonical(const struct mosix_map *m, size_t *len)
{
	size_t n = mosix_map_nr_entries(m), size = n * MOSIX_MAP_LINE_MAX + 1;
	char *s = malloc(size);
	u32 i;

	if (!s)
		abort();
	*len = 0;
	s[0] = '\0';
	for (i = 0; i < n; i++)
		*len += (size_t)mosix_map_format_entry(m, i, s + *len, size - *len);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mosix_map a, b;
	struct mosix_map_error e;
	size_t la, lb;
	char *ta, *tb;
	u32 i;

	if (mosix_map_parse((const char *)data, size, &a, &e)) {
		if (!e.err || !e.reason || a.entries)
			abort();
		return 0;
	}
	ta = canonical(&a, &la);
	if (mosix_map_parse(ta, la, &b, &e)) {
		fprintf(stderr, "canonical text refused: line %u: %s\n%s", e.line, e.reason, ta);
		abort();
	}
	tb = canonical(&b, &lb);
	if (la != lb || memcmp(ta, tb, la) || a.nr_nodes != b.nr_nodes ||
	    a.nr_ranges != b.nr_ranges || a.nr_aliases != b.nr_aliases)
		abort();
	for (i = 0; i < mosix_map_nr_entries(&a); i++)
		if (mosix_map_find_addr(&a, &a.entries[i].addr) != a.entries[i].pe)
			abort();
	free(ta);
	free(tb);
	mosix_map_free(&a);
	mosix_map_free(&b);
	return 0;
}
