/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node table ("map"): parser, validator, lookups and canonical printing.
 * Pure logic, compiled into the module, into mosctl and into the unit tests,
 * so that every tool reports exactly the errors the kernel does.
 */
#ifndef MOSIX_MAP_H
#define MOSIX_MAP_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "../tools/include/mosix_user.h"
#endif

#include "../include/uapi/linux/mosix.h"

#define MOSIX_ADDR_V4	4
#define MOSIX_ADDR_V6	6
/* longest text form: IPv6 with embedded IPv4, plus NUL */
#define MOSIX_ADDR_STRLEN	46
/* longest canonical line: "65535 <addr> 65535\n" plus NUL */
#define MOSIX_MAP_LINE_MAX	(6 + MOSIX_ADDR_STRLEN + 7 + 1)

/* IPv4 uses bytes[0..3]; both are big-endian numbers */
struct mosix_addr {
	u8 family;
	u8 bytes[16];
};

/* One table line: COUNT nodes PE.. at consecutive addresses, or an alias */
struct mosix_map_entry {
	u16 pe;
	u16 count;		/* 0: ALIAS, an extra address of node pe */
	struct mosix_addr addr;
};

/*
 * entries[0 .. nr_ranges) are ranges sorted by first PE, followed by
 * nr_aliases aliases sorted by PE then address. by_addr holds the indices
 * of all entries sorted by address, for lookup of a packet's sender.
 */
struct mosix_map {
	u32 nr_ranges;
	u32 nr_aliases;
	u32 nr_nodes;
	struct mosix_map_entry *entries;
	u32 *by_addr;
};

struct mosix_map_error {
	int err;		/* negative errno */
	u32 line;		/* 1-based line of the map text, 0: whole map */
	const char *reason;	/* static string */
};

/* digits only (no sign, no blanks): -EINVAL, or -ERANGE above max */
int mosix_parse_decimal(const char *s, size_t len, u32 max, u32 *val);
int mosix_parse_decimal_u64(const char *s, size_t len, u64 max, u64 *val);

int mosix_addr_parse(const char *s, size_t len, struct mosix_addr *addr);
int mosix_addr_format(const struct mosix_addr *addr, char *buf, size_t size);
int mosix_addr_cmp(const struct mosix_addr *a, const struct mosix_addr *b);
/* a + n; false if the result leaves the address space */
bool mosix_addr_add(const struct mosix_addr *a, u32 n, struct mosix_addr *out);

int mosix_map_parse(const char *text, size_t len, struct mosix_map *map,
		    struct mosix_map_error *error);
void mosix_map_free(struct mosix_map *map);

static inline u32 mosix_map_nr_entries(const struct mosix_map *map)
{
	return map->nr_ranges + map->nr_aliases;
}

/* the range holding pe, or NULL */
const struct mosix_map_entry *mosix_map_find_pe(const struct mosix_map *map,
						u32 pe);
/* the node's primary address */
bool mosix_map_pe_addr(const struct mosix_map *map, u32 pe,
		       struct mosix_addr *addr);
/* the PE owning addr (range or alias), 0 if none */
u32 mosix_map_find_addr(const struct mosix_map *map,
			const struct mosix_addr *addr);
/* canonical text of entry i, NUL-terminated; returns its length */
int mosix_map_format_entry(const struct mosix_map *map, u32 i, char *buf,
			   size_t size);

#endif /* MOSIX_MAP_H */
