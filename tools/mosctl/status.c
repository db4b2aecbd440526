// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl status: the node's state, number and table (MOSIX_CMD_GET_STATUS),
 * the cluster view of the info daemon (MOSIX_CMD_GET_NODES) merged with the
 * node table (MOSIX_CMD_GET_TABLE), and the daemon's counters.
 *
 * Fetching (mosctl_cmd_status) and rendering (mosctl_status_print, from
 * decoded structures only) are apart, so the output is tested without a
 * kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
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

const char *mosctl_node_status_name(uint32_t status)
{
	switch (status) {
	case MOSIX_INFO_STATUS_UP:
		return "up";
	case MOSIX_INFO_STATUS_LEAVING:
		return "leaving";
	case MOSIX_INFO_STATUS_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

/* --- the view: dump merged with the table ----------------------------------- */

static int cmp_node(const void *a, const void *b)
{
	const struct mosctl_node *x = a, *y = b;

	if (x->pe != y->pe)
		return x->pe < y->pe ? -1 : 1;
	/* the same PE twice: the self entry first, it is kept */
	return (int)y->self - (int)x->self;
}

void mosctl_view_free(struct mosctl_view *v)
{
	free(v->node);
	v->node = NULL;
	v->nr = 0;
}

const struct mosctl_node *mosctl_view_find(const struct mosctl_view *v,
					   uint32_t pe)
{
	size_t lo = 0, hi = v->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->node[mid].pe == pe)
			return &v->node[mid];
		if (v->node[mid].pe < pe)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int mosctl_view_build(struct mosctl_view *v, const struct mosctl_node *dump,
		      size_t n, const struct mosix_map *map,
		      uint32_t table_nodes)
{
	bool list_table = map && map->nr_nodes <= MOSCTL_VIEW_TABLE_MAX;
	size_t cap = n + (list_table ? map->nr_nodes : 0), i, k, in_table = 0;
	struct mosctl_node *node;

	memset(v, 0, sizeof(*v));
	node = calloc(cap ? cap : 1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	if (n)
		memcpy(node, dump, n * sizeof(*node));
	qsort(node, n, sizeof(*node), cmp_node);
	/* one per PE */
	for (i = 0, k = 0; i < n; i++)
		if (!k || node[k - 1].pe != node[i].pe)
			node[k++] = node[i];
	v->node = node;
	v->nr = k;

	if (list_table) {
		size_t known = v->nr;
		uint32_t r;

		for (r = 0; r < map->nr_ranges; r++) {
			const struct mosix_map_entry *e = &map->entries[r];
			uint32_t pe;

			for (pe = e->pe; pe < (uint32_t)e->pe + e->count; pe++) {
				struct mosctl_view dumped = { node, known, 0 };

				if (mosctl_view_find(&dumped, pe))
					continue;
				memset(&node[v->nr], 0, sizeof(node[0]));
				node[v->nr].pe = pe;
				node[v->nr].status = MOSIX_INFO_STATUS_UNKNOWN;
				v->nr++;
			}
		}
		qsort(node, v->nr, sizeof(*node), cmp_node);
		return 0;
	}
	/* a table too large to list: count what is not shown */
	if (map)
		table_nodes = map->nr_nodes;
	for (i = 0; i < v->nr; i++)
		if (!map || mosix_map_find_pe(map, node[i].pe))
			in_table++;
	v->unlisted = table_nodes > in_table ? table_nodes - (uint32_t)in_table : 0;
	return 0;
}

/* --- number formats -------------------------------------------------------- */

char *mosctl_fmt_load(char *buf, size_t size, uint32_t load)
{
	uint64_t h = ((uint64_t)load + 5) / 10;

	snprintf(buf, size, "%" PRIu64 ".%02" PRIu64, h / 100, h % 100);
	return buf;
}

char *mosctl_fmt_age(char *buf, size_t size, uint32_t ms)
{
	uint64_t t = ((uint64_t)ms + 50) / 100;

	snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", t / 10, t % 10);
	return buf;
}

/* v rounded to an integer (decimals 0) or to tenths (1); v < 2^52 */
static double round_to(double v, int decimals)
{
	double scale = decimals ? 10 : 1;

	return (double)(uint64_t)(v * scale + 0.5) / scale;
}

char *mosctl_fmt_kib(char *buf, size_t size, uint64_t kib)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)kib, shown;
	unsigned int u = 0;

	/* KiB and MiB as integers, larger units with one decimal */
	while (u < 5 && v >= 1024) {
		v /= 1024;
		u++;
	}
	shown = round_to(v, u >= 2);
	if (shown >= 1024 && u < 5) {
		/* 1023.97MiB: rounds up to the next unit */
		v /= 1024;
		u++;
		shown = round_to(v, u >= 2);
	}
	snprintf(buf, size, u >= 2 ? "%.1f%s" : "%.0f%s", shown, unit[u]);
	return buf;
}

char *mosctl_fmt_fixed(char *buf, size_t size, uint64_t v, uint32_t div)
{
	uint64_t frac = v % div;
	int digits = 0, n;
	uint32_t d;

	for (d = div; d > 1; d /= 10)
		digits++;
	n = snprintf(buf, size, "%" PRIu64, v / div);
	if (frac && n > 0 && (size_t)n < size) {
		/* the fraction, then its trailing zeros gone */
		while (!(frac % 10)) {
			frac /= 10;
			digits--;
		}
		snprintf(buf + n, size - (size_t)n, ".%0*" PRIu64, digits, frac);
	}
	return buf;
}

void mosctl_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* --- rendering --------------------------------------------------------------- */



static bool node_known(const struct mosctl_node *n)
{
	return n->status == MOSIX_INFO_STATUS_UP ||
	       n->status == MOSIX_INFO_STATUS_LEAVING ||
	       n->status == MOSIX_INFO_STATUS_DOWN;
}

static void json_node(FILE *f, const struct mosctl_node *n)
{
	char load[32], util[32];

	fprintf(f, "{\"pe\":%" PRIu32 ",\"status\":", n->pe);
	mosctl_json_str(f, mosctl_node_status_name(n->status));
	fprintf(f, ",\"self\":%s", n->self ? "true" : "false");
	if (n->has_traffic)
		fprintf(f, ",\"tx_packets\":%" PRIu64 ",\"rx_packets\":%" PRIu64
			",\"rx_accepted\":%" PRIu64, n->tx_packets, n->rx_packets,
			n->rx_accepted);
	else
		fputs(",\"tx_packets\":null,\"rx_packets\":null,\"rx_accepted\":null", f);
	if (!node_known(n)) {
		fputs(",\"load\":null,\"cpus\":null,\"speed\":null,\"mem\":null,"
		      "\"free\":null,\"util\":null,\"age_ms\":null}", f);
		return;
	}
	fprintf(f, ",\"load\":%s,\"cpus\":%" PRIu32 ",\"speed\":%" PRIu32
		",\"mem\":%" PRIu64 ",\"free\":%" PRIu64 ",\"util\":%s"
		",\"age_ms\":%" PRIu32 "}",
		mosctl_fmt_fixed(load, sizeof(load), n->load, 1000), n->cpus,
		n->speed, n->mem_kb, n->free_kb,
		mosctl_fmt_fixed(util, sizeof(util), n->util, 10), n->age_ms);
}

static void json_stats(FILE *f, const struct mosctl_stats *s)
{
	const char *sep = "";
	size_t i;

	fputc('{', f);
	for (i = 0; i < MOSIX_STAT_DROP_BASE; i++) {
		const char *name = mosix_info_stat_name((unsigned int)i);

		if (!name)
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, name, s->counter[i]);
		sep = ",";
	}
	fputs(",\"drops\":{", f);
	for (i = 0; i < MOSCTL_NR_DROPS; i++) {
		if (i)
			fputc(',', f);
		mosctl_json_str(f, mosix_info_drop_name((unsigned int)i));
		fprintf(f, ":%" PRIu64, s->drop[i]);
	}
	fputs("}}", f);
}

static void print_json(FILE *f, const struct mosctl_status *st,
		       const struct mosctl_view *view)
{
	size_t i;

	fputs("{\"state\":", f);
	mosctl_json_str(f, mosctl_state_name(st->state));
	fprintf(f, ",\"pe\":%" PRIu32 ",\"node_count\":%" PRIu32
		",\"entries\":%" PRIu32 ",\"table_gen\":%" PRIu32,
		st->pe, st->nodes, st->entries, st->table_gen);
	if (st->has_info)
		fprintf(f, ",\"key_set\":%s,\"info_interval_ms\":%" PRIu32
			",\"window\":%" PRIu32, st->key_set ? "true" : "false",
			st->info_interval_ms, st->window);
	else
		fputs(",\"key_set\":null,\"info_interval_ms\":null,\"window\":null", f);
	fputs(",\"nodes\":[", f);
	for (i = 0; view && i < view->nr; i++) {
		if (i)
			fputc(',', f);
		json_node(f, &view->node[i]);
	}
	fprintf(f, "],\"more_unknown\":%" PRIu32 ",\"stats\":",
		view ? view->unlisted : 0);
	if (st->has_stats)
		json_stats(f, &st->stats);
	else
		fputs("null", f);
	fputs("}\n", f);
}

static void print_table(FILE *f, const struct mosctl_view *view)
{
	size_t i;

	if (!view->nr) {
		if (view->unlisted)
			fprintf(f, "(%" PRIu32 " nodes unknown)\n", view->unlisted);
		else
			fputs("no nodes\n", f);
		return;
	}
	fprintf(f, "%7s  %-7s  %7s  %4s  %8s  %9s  %9s  %4s  %7s\n", "PE",
		"STATUS", "LOAD", "CPUS", "SPEED", "MEM", "FREE", "UTIL", "AGE");
	for (i = 0; i < view->nr; i++) {
		const struct mosctl_node *n = &view->node[i];
		char load[32], mem[32], free_kb[32], age[32], util[16];

		if (!node_known(n)) {
			fprintf(f, "%c%6" PRIu32 "  %-7s  %7s  %4s  %8s  %9s  %9s  %4s  %7s\n",
				n->self ? '*' : ' ', n->pe,
				mosctl_node_status_name(n->status), "-", "-", "-",
				"-", "-", "-", "-");
			continue;
		}
		snprintf(util, sizeof(util), "%" PRIu32 "%%", (n->util + 5) / 10);
		fprintf(f, "%c%6" PRIu32 "  %-7s  %7s  %4" PRIu32 "  %8" PRIu32
			"  %9s  %9s  %4s  %7s\n",
			n->self ? '*' : ' ', n->pe, mosctl_node_status_name(n->status),
			mosctl_fmt_load(load, sizeof(load), n->load), n->cpus,
			n->speed, mosctl_fmt_kib(mem, sizeof(mem), n->mem_kb),
			mosctl_fmt_kib(free_kb, sizeof(free_kb), n->free_kb),
			util, mosctl_fmt_age(age, sizeof(age), n->age_ms));
	}
	if (view->unlisted)
		fprintf(f, "(%" PRIu32 " more nodes unknown)\n", view->unlisted);
}

/*
 * -v: each peer's datagrams, sent to it, arrived from it (before the rate
 * limit and the tag) and accepted: arrived but not accepted were dropped
 * here; what a peer sent that did not arrive, the network lost
 */
static void print_traffic(FILE *f, const struct mosctl_view *view)
{
	bool header = false;
	size_t i;

	for (i = 0; i < view->nr; i++) {
		const struct mosctl_node *n = &view->node[i];

		if (!n->has_traffic)
			continue;
		if (!header)
			fprintf(f, "\n%7s  %12s  %12s  %12s  %12s\n", "PEER", "SENT",
				"ARRIVED", "ACCEPTED", "DROPPED");
		header = true;
		fprintf(f, "%7" PRIu32 "  %12" PRIu64 "  %12" PRIu64 "  %12" PRIu64
			"  %12" PRIu64 "\n", n->pe, n->tx_packets, n->rx_packets,
			n->rx_accepted, n->rx_packets >= n->rx_accepted ?
			n->rx_packets - n->rx_accepted : 0);
	}
}

static void print_stats(FILE *f, const struct mosctl_stats *s, bool verbose)
{
	const uint64_t *c = s->counter;
	bool any = false;
	size_t i;

	fprintf(f, "ticks: %" PRIu64 "\n"
		"sent: %" PRIu64 " datagrams, %" PRIu64 " bytes, %" PRIu64
		" errors, %" PRIu64 " leave notices\n"
		"accepted: %" PRIu64 " datagrams, %" PRIu64 " bytes\n",
		c[MOSIX_STAT_TICKS], c[MOSIX_STAT_TX_PACKETS],
		c[MOSIX_STAT_TX_BYTES], c[MOSIX_STAT_TX_ERRORS],
		c[MOSIX_STAT_LEAVE_SENT], c[MOSIX_STAT_RX_ACCEPTED],
		c[MOSIX_STAT_RX_BYTES]);
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		any |= s->drop[i] != 0;
	if (!any && !verbose) {
		fputs("dropped: none\n", f);
		return;
	}
	fputs("dropped:\n", f);
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		if (verbose || s->drop[i])
			fprintf(f, "  %s: %" PRIu64 "\n",
				mosix_info_drop_name((unsigned int)i), s->drop[i]);
}

void mosctl_status_print(FILE *f, const struct mosctl_status *st,
			 const struct mosctl_view *view, unsigned int flags)
{
	if (flags & MOSCTL_PRINT_JSON) {
		print_json(f, st, view);
		return;
	}
	fprintf(f, "state: %s\n"
		"pe: %" PRIu32 "\n"
		"nodes: %" PRIu32 "\n"
		"entries: %" PRIu32 "\n"
		"table generation: %" PRIu32 "\n",
		mosctl_state_name(st->state), st->pe, st->nodes, st->entries,
		st->table_gen);
	if (st->has_info)
		fprintf(f, "key: %s\n"
			"info interval: %" PRIu32 " ms\n"
			"window: %" PRIu32 "\n",
			st->key_set ? "set" : "none", st->info_interval_ms,
			st->window);
	if (view) {
		fputc('\n', f);
		print_table(f, view);
		if (flags & MOSCTL_PRINT_VERBOSE)
			print_traffic(f, view);
	}
	if (st->has_stats) {
		fputc('\n', f);
		print_stats(f, &st->stats, flags & MOSCTL_PRINT_VERBOSE);
	}
}

/* --- the command -------------------------------------------------------------- */

/*
 * The view and, for a small table, the table; prints the error. 1 if the
 * module has no view (older than the info daemon): status without it.
 */
static int fetch_view(struct mosctl_nl *nl, const struct mosctl_status *st,
		      struct mosctl_view *view)
{
	struct mosctl_node *nodes = NULL;
	struct mosix_map map, *mapp = NULL;
	size_t n = 0;
	int err;

	err = mosctl_nl_get_nodes(nl, &nodes, &n);
	if (err == -EOPNOTSUPP && !st->has_info)
		return 1;
	if (err) {
		mosctl_nl_dump_perror(nl, "reading the cluster view", err);
		return -1;
	}
	/* the table only when it is small enough to be listed */
	if (st->nodes <= MOSCTL_VIEW_TABLE_MAX) {
		if (mosctl_nl_load_table(nl, &map)) {
			free(nodes);
			return -1;
		}
		mapp = &map;
	}
	err = mosctl_view_build(view, nodes, n, mapp, st->nodes);
	if (err)
		mosctl_err("%s", strerror(-err));
	if (mapp)
		mosix_map_free(mapp);
	free(nodes);
	return err ? -1 : 0;
}

int mosctl_cmd_status(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mosctl_view view = { NULL, 0, 0 };
	struct mosctl_status st;
	struct mosctl_nl nl;
	unsigned int flags = 0;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			flags |= MOSCTL_PRINT_JSON;
			break;
		case 'v':
			flags |= MOSCTL_PRINT_VERBOSE;
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

	if (mosctl_nl_connect(&nl))
		return MOSCTL_EXIT_FAIL;
	err = mosctl_nl_get_status(&nl, &st);
	if (err) {
		mosctl_nl_perror(&nl, "reading the status", err);
	} else {
		int got = fetch_view(&nl, &st, &view);

		err = got < 0 ? got : 0;
		if (!err)
			mosctl_status_print(stdout, &st, got ? NULL : &view, flags);
	}
	mosctl_view_free(&view);
	mosctl_nl_close(&nl);
	return err ? MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK;
}
