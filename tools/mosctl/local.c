// SPDX-License-Identifier: GPL-2.0
/*
 * Which node of a map is this machine: the PE that owns one of the
 * machine's own interface addresses (openMosix setpe did the same).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "mosctl.h"

static bool to_addr(const struct sockaddr *sa, struct mosix_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		addr->family = MOSIX_ADDR_V4;
		memcpy(addr->bytes, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		addr->family = MOSIX_ADDR_V6;
		memcpy(addr->bytes, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

int mosctl_local_addrs(struct mosix_addr **addrs, size_t *n)
{
	struct ifaddrs *list, *i;
	struct mosix_addr a, *out;
	size_t count = 0;

	if (getifaddrs(&list))
		return -errno;
	for (i = list; i; i = i->ifa_next)
		if (to_addr(i->ifa_addr, &a))
			count++;
	out = calloc(count ? count : 1, sizeof(*out));
	if (!out) {
		freeifaddrs(list);
		return -ENOMEM;
	}
	count = 0;
	for (i = list; i; i = i->ifa_next)
		if (to_addr(i->ifa_addr, &out[count]))
			count++;
	freeifaddrs(list);
	*addrs = out;
	*n = count;
	return 0;
}

static int cmp_match(const void *a, const void *b)
{
	const struct mosctl_match *x = a, *y = b;

	if (x->pe != y->pe)
		return x->pe < y->pe ? -1 : 1;
	return mosix_addr_cmp(&x->addr, &y->addr);
}

int mosctl_pick_pe(const struct mosix_map *map, const struct mosix_addr *addrs,
		   size_t n, uint32_t *pe, struct mosctl_match *matches,
		   size_t *nmatches)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		uint32_t p = mosix_map_find_addr(map, &addrs[i]);

		if (!p)
			continue;
		for (j = 0; j < k; j++)
			if (!mosix_addr_cmp(&matches[j].addr, &addrs[i]))
				break;
		if (j < k)
			continue;	/* the same address on two interfaces */
		matches[k].pe = p;
		matches[k].addr = addrs[i];
		k++;
	}
	qsort(matches, k, sizeof(*matches), cmp_match);
	*nmatches = k;
	if (!k)
		return -ENOENT;
	if (matches[0].pe != matches[k - 1].pe)
		return -ENOTUNIQ;
	*pe = matches[0].pe;
	return 0;
}
