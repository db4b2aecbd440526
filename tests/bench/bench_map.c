// SPDX-License-Identifier: GPL-2.0
/*
 * Parse+validate throughput of the shared map parser in userspace.
 * Worst case: 65535 nodes, one line each (IPv6, the longest lines); and a
 * 256-line IPv4 map. Prints MB/s and ns per node; not a pass/fail test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "mosix_map.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *make_map(unsigned int lines, int v6, size_t *len)
{
	size_t size = (size_t)lines * 64 + 1;
	char *s = malloc(size);
	unsigned int pe;

	if (!s)
		exit(1);
	*len = 0;
	for (pe = 1; pe <= lines; pe++)
		*len += (size_t)(v6 ?
			snprintf(s + *len, size - *len, "%u fd00:1234:5678:9abc:def0:%x:%x:1 1\n",
				 pe, pe >> 8, pe & 255) :
			snprintf(s + *len, size - *len, "%u 10.%u.%u.1 1\n",
				 pe, pe >> 8, pe & 255));
	return s;
}

static void bench(const char *name, unsigned int lines, int v6, int reps)
{
	struct mosix_map map;
	struct mosix_map_error e;
	double t0, dt, best = 1e9;
	size_t len;
	char *text = make_map(lines, v6, &len);
	int r;

	for (r = 0; r < reps; r++) {
		t0 = now();
		if (mosix_map_parse(text, len, &map, &e)) {
			fprintf(stderr, "bench: line %u: %s\n", e.line, e.reason);
			exit(1);
		}
		dt = now() - t0;
		mosix_map_free(&map);
		if (dt < best)
			best = dt;
	}
	printf("parse %-26s %8zu bytes %6u nodes: %8.1f MB/s %7.1f ns/node (best of %d)\n",
	       name, len, lines, (double)len / best / 1e6, best * 1e9 / lines, reps);
	free(text);
}

int main(void)
{
	bench("65535 lines IPv6 (worst)", 65535, 1, 20);
	bench("65535 lines IPv4", 65535, 0, 20);
	bench("256 lines IPv4", 256, 0, 2000);
	return 0;
}
