// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl setpe: the openMosix verb. -w installs a map (and, with -k, the
 * cluster key) and sets this node's number, -r prints the table, -c checks
 * a map, -off takes the node down.
 *
 * -w validates the map with the kernel's own parser first, so a bad map
 * never reaches the kernel. The table goes in over generic netlink
 * (MOSIX_CMD_SET_TABLE, any size, one message) whenever the family is
 * there; only without it does a table of at most
 * MOSIX_CONFIGFS_TABLE_MAX bytes go to configfs `table` in one write.
 * A key file given with -k is read and checked before anything else
 * happens and goes to configfs `key` (one write) before the table; the PE
 * goes to configfs `pe` last.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mosctl.h"

enum mode { MODE_NONE, MODE_WRITE, MODE_READ, MODE_CHECK, MODE_OFF };

static const char *const mode_option[] = {
	[MODE_WRITE] = "-w",
	[MODE_READ] = "-r",
	[MODE_CHECK] = "-c",
	[MODE_OFF] = "-off",
};

struct setpe_args {
	enum mode mode;
	const char *file;
	const char *key_file;
	bool have_pe;
	uint32_t pe;
};

/*
 * openMosix spelled it "-off", which getopt would take for -o -f f: a copy
 * of argv with a "-off" that is not an option's argument made "--off".
 */
static char **rewrite_off(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	bool arg_next = false;
	int i;

	if (!v)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		v[i] = argv[i];
		if (!i || arg_next) {
			arg_next = false;
			continue;
		}
		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				v[i] = argv[i];
			break;
		}
		if (!strcmp(a, "-off")) {
			v[i] = (char *)"--off";
		} else if (!strncmp(a, "--", 2)) {
			size_t l = strlen(a + 2);

			arg_next = !strchr(a, '=') && l &&
				   (!strncmp(a + 2, "file", l) || !strncmp(a + 2, "pe", l) ||
				    !strncmp(a + 2, "key-file", l));
		} else if (a[0] == '-') {
			const char *p;

			/* a cluster like -wf: an option argument may follow */
			for (p = a + 1; *p; p++) {
				if (*p == 'f' || *p == 'p' || *p == 'k') {
					arg_next = !p[1];
					break;
				}
			}
		}
	}
	return v;
}

static int set_mode(struct setpe_args *a, enum mode mode)
{
	if (a->mode != MODE_NONE && a->mode != mode)
		return mosctl_usage("setpe", "%s and %s do not go together",
				    mode_option[a->mode], mode_option[mode]);
	a->mode = mode;
	return 0;
}

/* getopt_long over argv (already rewritten); exit status or -1 to go on */
static int parse_args(int argc, char **argv, struct setpe_args *a)
{
	enum { OPT_OFF = 256 };
	static const struct option options[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "read", no_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "pe", required_argument, NULL, 'p' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "off", no_argument, NULL, OPT_OFF },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":wWrcf:p:k:h", options, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'w':
		case 'W':
			ret = set_mode(a, MODE_WRITE);
			break;
		case 'r':
			ret = set_mode(a, MODE_READ);
			break;
		case 'c':
			ret = set_mode(a, MODE_CHECK);
			break;
		case OPT_OFF:
			ret = set_mode(a, MODE_OFF);
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'k':
			a->key_file = optarg;
			break;
		case 'p':
			if (mosix_parse_decimal(optarg, strlen(optarg), MOSIX_PE_MAX,
						&a->pe) || !a->pe)
				return mosctl_usage("setpe", "-p: '%s' is not a PE number (1..65535)",
						    optarg);
			a->have_pe = true;
			break;
		case 'h':
			mosctl_help("setpe", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("setpe", argv, c);
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return mosctl_usage("setpe", "unexpected argument '%s'", argv[optind]);
	if (a->mode == MODE_NONE)
		return mosctl_usage("setpe", "missing -w, -r, -c or -off");
	if (a->have_pe && a->mode != MODE_WRITE)
		return mosctl_usage("setpe", "-p goes only with -w");
	if (a->key_file && a->mode != MODE_WRITE)
		return mosctl_usage("setpe", "-k goes only with -w");
	if (a->file && (a->mode == MODE_READ || a->mode == MODE_OFF))
		return mosctl_usage("setpe", "-f goes only with -w or -c");
	if (!a->file && (a->mode == MODE_WRITE || a->mode == MODE_CHECK))
		return mosctl_usage("setpe", "%s needs -f MAP (- for standard input)",
				    mode_option[a->mode]);
	return -1;
}

/* the whole file, at most MOSIX_TABLE_TEXT_MAX bytes, NUL-terminated */
static int read_text(const char *path, const char *name, char **text,
		     size_t *len)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		mosctl_err("%s: %s", name, strerror(errno));
		return -1;
	}
	err = mosctl_read_all(fd, MOSIX_TABLE_TEXT_MAX, text, len);
	if (!is_stdin)
		close(fd);
	if (err == -EFBIG)
		mosctl_err("%s: larger than %d bytes, the most the kernel takes",
			   name, MOSIX_TABLE_TEXT_MAX);
	else if (err)
		mosctl_err("%s: %s", name, strerror(-err));
	return err ? -1 : 0;
}

/* read and validate the map; errors as "MAP:LINE: REASON" */
int mosctl_map_file_load(const char *path, struct mosctl_map_file *m)
{
	struct mosix_map_error e;

	memset(m, 0, sizeof(*m));
	m->name = strcmp(path, "-") ? path : "<stdin>";
	if (read_text(path, m->name, &m->text, &m->len))
		return -1;
	if (mosix_map_parse(m->text, m->len, &m->map, &e)) {
		if (e.line)
			mosctl_err("%s:%u: %s", m->name, e.line, e.reason);
		else
			mosctl_err("%s: %s", m->name, e.reason);
		free(m->text);
		m->text = NULL;
		return -1;
	}
	return 0;
}

void mosctl_map_file_free(struct mosctl_map_file *m)
{
	mosix_map_free(&m->map);
	free(m->text);
}

/* this node's PE: the one PE of the map that holds a local address */
int mosctl_find_own_pe(const struct mosctl_map_file *m, const char *pe_option,
		       uint32_t *pe)
{
	struct mosctl_match *matches;
	struct mosix_addr *addrs;
	size_t n, nmatches, i;
	int err = mosctl_local_addrs(&addrs, &n);

	if (err) {
		mosctl_err("reading the local addresses: %s", strerror(-err));
		return -1;
	}
	matches = calloc(n ? n : 1, sizeof(*matches));
	if (!matches) {
		free(addrs);
		mosctl_err("%s", strerror(ENOMEM));
		return -1;
	}
	err = mosctl_pick_pe(&m->map, addrs, n, pe, matches, &nmatches);
	if (err == -ENOENT) {
		mosctl_err("%s: no local address is in the map, use %s PE", m->name,
			   pe_option);
	} else if (err) {
		mosctl_err("%s: local addresses of several nodes are in the map, use %s PE; candidates (PE ADDRESS):",
			   m->name, pe_option);
		for (i = 0; i < nmatches; i++) {
			char a[MOSIX_ADDR_STRLEN];

			mosix_addr_format(&matches[i].addr, a, sizeof(a));
			fprintf(stderr, "%u %s\n", matches[i].pe, a);
		}
	}
	free(matches);
	free(addrs);
	return err ? -1 : 0;
}

/* netlink if the family is there, else configfs for a table that fits */
int mosctl_install_table(const struct mosctl_map_file *m)
{
	char what[256];
	struct mosctl_nl nl;
	int err = mosctl_nl_open(&nl);

	snprintf(what, sizeof(what), "installing %s", m->name);
	if (!err) {
		err = mosctl_nl_set_table(&nl, m->text, m->len);
		if (err)
			mosctl_nl_perror(&nl, what, err);
		mosctl_nl_close(&nl);
		return err;
	}
	if (m->len > MOSIX_CONFIGFS_TABLE_MAX) {
		mosctl_err("%s: %zu bytes need the generic netlink family '%s' (configfs takes at most %d): %s",
			   what, m->len, mosctl_nl_family_name(),
			   MOSIX_CONFIGFS_TABLE_MAX,
			   err == -ENOENT ? "the family does not exist" : strerror(-err));
		return err;
	}
	return mosctl_configfs_write("table", m->text, m->len, what);
}

static int setpe_write(const struct setpe_args *a)
{
	struct mosctl_key key;
	struct mosctl_map_file m;
	char value[16], what[64];
	uint32_t pe = a->pe, cur;
	int ret = MOSCTL_EXIT_FAIL;

	memset(&key, 0, sizeof(key));
	if (mosctl_map_file_load(a->file, &m))
		return MOSCTL_EXIT_FAIL;
	if (a->key_file && mosctl_key_load(a->key_file, &key))
		goto out;
	if (a->have_pe && !mosix_map_find_pe(&m.map, pe)) {
		mosctl_err("%s: PE %u is not in the map", m.name, pe);
		goto out;
	}
	if (!a->have_pe && mosctl_find_own_pe(&m, "-p", &pe))
		goto out;

	/*
	 * A node that is up keeps its number: the kernel refuses another PE
	 * (EBUSY) and a table without the current one (ENOENT). Say so before
	 * anything changes rather than fail halfway.
	 */
	if (mosctl_configfs_read_u32("pe", MOSIX_PE_MAX, &cur))
		goto out;
	if (cur && cur != pe) {
		mosctl_err("this node is up as PE %u: take it down with 'mosctl setpe -off' before it can become PE %u",
			   cur, pe);
		goto out;
	}
	/* the key first: a node that comes up needs it (else ENOKEY) */
	if (a->key_file &&
	    mosctl_configfs_write("key", key.hex, key.len, "setting the cluster key"))
		goto out;
	if (mosctl_install_table(&m))
		goto out;
	snprintf(value, sizeof(value), "%u", pe);
	snprintf(what, sizeof(what), "the table is installed, but setting PE %u failed", pe);
	if (mosctl_configfs_write("pe", value, strlen(value), what))
		goto out;
	ret = MOSCTL_EXIT_OK;
out:
	mosctl_key_wipe(&key);
	mosctl_map_file_free(&m);
	return ret;
}

static int setpe_check(const struct setpe_args *a)
{
	struct mosctl_map_file m;

	if (mosctl_map_file_load(a->file, &m))
		return MOSCTL_EXIT_FAIL;
	printf("%s: OK, %u nodes, %u entries\n", m.name, m.map.nr_nodes,
	       mosix_map_nr_entries(&m.map));
	mosctl_map_file_free(&m);
	return MOSCTL_EXIT_OK;
}

static int setpe_read(void)
{
	char *text;
	size_t len;

	if (mosctl_read_table(&text, &len))
		return MOSCTL_EXIT_FAIL;
	fwrite(text, 1, len, stdout);
	free(text);
	return MOSCTL_EXIT_OK;
}

int mosctl_cmd_setpe(int argc, char **argv)
{
	struct setpe_args a = { .mode = MODE_NONE };
	char **v = rewrite_off(argc, argv);
	int ret;

	if (!v) {
		mosctl_err("%s", strerror(ENOMEM));
		return MOSCTL_EXIT_FAIL;
	}
	ret = parse_args(argc, v, &a);
	free(v);
	if (ret >= 0)
		return ret;

	switch (a.mode) {
	case MODE_WRITE:
		return setpe_write(&a);
	case MODE_CHECK:
		return setpe_check(&a);
	case MODE_READ:
		return setpe_read();
	case MODE_OFF:
		return mosctl_configfs_write("pe", "0", 1, "setting PE 0") ?
		       MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK;
	default:
		return MOSCTL_EXIT_USAGE;
	}
}
