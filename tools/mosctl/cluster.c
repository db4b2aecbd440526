// SPDX-License-Identifier: GPL-2.0
/*
 * The openMosix query verbs: isup, getload, getspeed (from the cluster view,
 * MOSIX_CMD_GET_NODES) and whois (from the node table, which is read over
 * generic netlink or, without the family, from configfs `table`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "mosctl.h"

bool mosctl_parse_pe(const char *s, uint32_t *pe)
{
	uint32_t v;

	if (mosix_parse_decimal(s, strlen(s), MOSIX_PE_MAX, &v) || !v)
		return false;
	*pe = v;
	return true;
}

int mosctl_read_table(char **text, size_t *len)
{
	struct mosctl_nl nl;
	int err = mosctl_nl_open(&nl);

	if (!err) {
		err = mosctl_nl_get_table(&nl, text, len);
		if (err)
			mosctl_nl_dump_perror(&nl, "reading the table", err);
		mosctl_nl_close(&nl);
	} else if (mosctl_configfs_present()) {
		err = mosctl_configfs_read("table", text, len);
	} else {
		mosctl_err("the mosix module is not loaded");
	}
	return err ? -1 : 0;
}

/* text (freed here) as the installed table; prints the error; 0 or -1 */
static int parse_table(char *text, size_t len, struct mosix_map *map)
{
	struct mosix_map_error e;
	int err = mosix_map_parse(text, len, map, &e);

	free(text);
	if (err) {
		mosctl_err("the installed table does not parse: line %" PRIu32 ": %s",
			   e.line, e.reason);
		return -1;
	}
	return 0;
}

int mosctl_load_table(struct mosix_map *map)
{
	char *text;
	size_t len;

	if (mosctl_read_table(&text, &len))
		return -1;
	return parse_table(text, len, map);
}

int mosctl_nl_load_table(struct mosctl_nl *nl, struct mosix_map *map)
{
	char *text;
	size_t len;
	int err = mosctl_nl_get_table(nl, &text, &len);

	if (err) {
		mosctl_nl_dump_perror(nl, "reading the table", err);
		return -1;
	}
	return parse_table(text, len, map);
}

/*
 * The one argument of a verb, after -h/--help; exit status, or -1 to go on
 * with *arg set.
 */
static int one_argument(int argc, char **argv, const char *what,
			const char **arg)
{
	int ret = mosctl_help_only(argc, argv, 1);

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return mosctl_usage(argv[0], "missing %s", what);
	*arg = argv[optind];
	return -1;
}

enum node_verb { VERB_ISUP, VERB_GETLOAD, VERB_GETSPEED };

/*
 * What the cluster view holds about pe (status UNKNOWN if nothing); for a PE
 * the view does not hold, whether the table has it. Prints the error; 0/-1.
 */
static int query_node(const char *cmd, uint32_t pe, struct mosctl_node *out)
{
	struct mosctl_node *nodes = NULL;
	struct mosix_map map;
	struct mosctl_nl nl;
	bool found = false;
	size_t n = 0, i;
	int err;

	memset(out, 0, sizeof(*out));
	out->pe = pe;
	out->status = MOSIX_INFO_STATUS_UNKNOWN;
	if (mosctl_nl_connect(&nl))
		return -1;
	err = mosctl_nl_get_nodes(&nl, &nodes, &n);
	if (err) {
		mosctl_nl_dump_perror(&nl, "reading the cluster view", err);
		mosctl_nl_close(&nl);
		return -1;
	}
	/* this node's own PE: its self entry wins over any other */
	for (i = 0; i < n; i++) {
		if (nodes[i].pe != pe || (found && !nodes[i].self))
			continue;
		*out = nodes[i];
		found = true;
	}
	free(nodes);
	/* unknown, or not a node at all? */
	if (!found) {
		err = mosctl_nl_load_table(&nl, &map);
		if (!err) {
			if (!mosix_map_find_pe(&map, pe)) {
				mosctl_err("%s: PE %" PRIu32 " is not in the node table",
					   cmd, pe);
				err = -ENOENT;
			}
			mosix_map_free(&map);
		}
	}
	mosctl_nl_close(&nl);
	return err ? -1 : 0;
}

static int node_verb(int argc, char **argv, enum node_verb verb)
{
	const char *cmd = argv[0], *arg = NULL;
	struct mosctl_node node;
	uint32_t pe;
	int ret = one_argument(argc, argv, "PE", &arg);

	if (ret >= 0)
		return ret;
	if (!mosctl_parse_pe(arg, &pe))
		return mosctl_usage(cmd, "'%s' is not a PE number (1..65535)", arg);
	if (query_node(cmd, pe, &node))
		return MOSCTL_EXIT_FAIL;

	if (verb == VERB_ISUP) {
		printf("%" PRIu32 " is %s\n", pe, mosctl_node_status_name(node.status));
		return node.status == MOSIX_INFO_STATUS_UP ? MOSCTL_EXIT_OK :
		       MOSCTL_EXIT_FAIL;
	}
	if (node.status != MOSIX_INFO_STATUS_UP) {
		mosctl_err("%s: %" PRIu32 " is %s", cmd, pe,
			   mosctl_node_status_name(node.status));
		return MOSCTL_EXIT_FAIL;
	}
	if (verb == VERB_GETLOAD) {
		char load[32];

		printf("%s\n", mosctl_fmt_load(load, sizeof(load), node.load));
	} else {
		printf("%" PRIu32 "\n", node.speed);
	}
	return MOSCTL_EXIT_OK;
}

int mosctl_cmd_isup(int argc, char **argv)
{
	return node_verb(argc, argv, VERB_ISUP);
}

int mosctl_cmd_getload(int argc, char **argv)
{
	return node_verb(argc, argv, VERB_GETLOAD);
}

int mosctl_cmd_getspeed(int argc, char **argv)
{
	return node_verb(argc, argv, VERB_GETSPEED);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int mosctl_cmd_whois(int argc, char **argv)
{
	const char *arg = NULL;
	struct mosix_addr addr;
	struct mosix_map map;
	char text[MOSIX_ADDR_STRLEN];
	bool by_pe;
	uint32_t pe = 0;
	int ret = one_argument(argc, argv, "PE or ADDRESS", &arg);

	if (ret >= 0)
		return ret;
	by_pe = all_digits(arg);
	if (by_pe && !mosctl_parse_pe(arg, &pe))
		return mosctl_usage("whois", "'%s' is not a PE number (1..65535)", arg);
	if (!by_pe && mosix_addr_parse(arg, strlen(arg), &addr))
		return mosctl_usage("whois", "'%s' is neither a PE number (1..65535) nor an IPv4 or IPv6 address",
				    arg);
	if (mosctl_load_table(&map))
		return MOSCTL_EXIT_FAIL;

	ret = MOSCTL_EXIT_OK;
	if (by_pe) {
		if (mosix_map_pe_addr(&map, pe, &addr) &&
		    mosix_addr_format(&addr, text, sizeof(text)) >= 0) {
			printf("%s\n", text);
		} else {
			mosctl_err("whois: PE %" PRIu32 " is not in the node table", pe);
			ret = MOSCTL_EXIT_FAIL;
		}
	} else {
		pe = mosix_map_find_addr(&map, &addr);
		if (pe) {
			printf("%" PRIu32 "\n", pe);
		} else {
			mosix_addr_format(&addr, text, sizeof(text));
			mosctl_err("whois: %s is not in the node table", text);
			ret = MOSCTL_EXIT_FAIL;
		}
	}
	mosix_map_free(&map);
	return ret;
}
