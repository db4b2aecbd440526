// SPDX-License-Identifier: GPL-2.0
/* mosctl status: the node's state, number and table, from MOSIX_CMD_GET_STATUS. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include "mosctl.h"

static const char *const state_names[] = {
	[MOSIX_STATE_OFF] = "off",
	[MOSIX_STATE_STARTING] = "starting",
	[MOSIX_STATE_UP] = "up",
	[MOSIX_STATE_STOPPING] = "stopping",
	[MOSIX_STATE_ROLLING_BACK] = "rolling-back",
};

_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == __MOSIX_STATE_MAX,
	       "a name for every enum mosix_state");

const char *mosctl_state_name(uint32_t state)
{
	return state < __MOSIX_STATE_MAX ? state_names[state] : "unknown";
}

void mosctl_status_print(FILE *f, const struct mosctl_status *st, bool json)
{
	if (json) {
		/* "nodes" will list the nodes; for now only their number */
		fprintf(f, "{\"state\":\"%s\",\"pe\":%u,\"node_count\":%u,"
			"\"entries\":%u,\"table_gen\":%u,\"nodes\":[]}\n",
			mosctl_state_name(st->state), st->pe, st->nodes,
			st->entries, st->table_gen);
		return;
	}
	fprintf(f, "state: %s\n"
		"pe: %u\n"
		"nodes: %u\n"
		"entries: %u\n"
		"table generation: %u\n",
		mosctl_state_name(st->state), st->pe, st->nodes, st->entries,
		st->table_gen);
}

int mosctl_cmd_status(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mosctl_status st;
	struct mosctl_nl nl;
	bool json = false;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			mosctl_help("status", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("status", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("status", "unexpected argument '%s'", argv[optind]);

	err = mosctl_nl_open(&nl);
	if (err == -ENOENT) {
		mosctl_err("the mosix module is not loaded");
		return MOSCTL_EXIT_FAIL;
	}
	if (err) {
		mosctl_nl_perror(NULL, "generic netlink", err);
		return MOSCTL_EXIT_FAIL;
	}
	err = mosctl_nl_get_status(&nl, &st);
	if (err)
		mosctl_nl_perror(&nl, "reading the status", err);
	else
		mosctl_status_print(stdout, &st, json);
	mosctl_nl_close(&nl);
	return err ? MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK;
}
