/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mosctl: the userspace CLI of mosix. Interfaces between the files of the
 * tool, and what the unit tests (tests/unit/test_mosctl.c) drive directly.
 *
 * Errors are printed where they are found, as one line "mosctl: ..." on
 * stderr. No file keeps state between two calls of mosctl_main(): getopt
 * starts over and the environment is read on every use.
 */
#ifndef MOSCTL_H
#define MOSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mosix_map.h"

#define MOSCTL_VERSION		"0.1.0"

/* exit status of mosctl_main() and of every command */
enum {
	MOSCTL_EXIT_OK = 0,
	MOSCTL_EXIT_FAIL = 1,	/* the command ran and failed */
	MOSCTL_EXIT_USAGE = 2,	/* bad command line; nothing was done */
};

/* environment: configfs directory (default below) and generic netlink family */
#define MOSCTL_ENV_CONFIGFS	"MOSIX_CONFIGFS"
#define MOSCTL_CONFIGFS_DIR	"/sys/kernel/config/mosix"
#define MOSCTL_ENV_FAMILY	"MOSIX_GENL_FAMILY"

/* cli.c */
int mosctl_main(int argc, char **argv);
/* "mosctl: " + message + "\n" on stderr */
void mosctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A usage error of command cmd (NULL: mosctl itself): prints
 * "mosctl: [CMD: ]MESSAGE (see 'mosctl help [CMD]')", returns
 * MOSCTL_EXIT_USAGE.
 */
int mosctl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the usage error for what getopt_long() returned as c ('?' or ':') */
int mosctl_bad_option(const char *cmd, char **argv, int c);
/* the help of command cmd (NULL: of mosctl) to f */
void mosctl_help(const char *cmd, FILE *f);
/* each command: argv[0] is its name; returns an exit status */
int mosctl_cmd_setpe(int argc, char **argv);
int mosctl_cmd_status(int argc, char **argv);

/* configfs.c: files of the configfs directory (pe, table, state) */
/* the directory: $MOSIX_CONFIGFS if set and not empty, else the default */
const char *mosctl_configfs_dir(void);
bool mosctl_configfs_present(void);
/*
 * Replace FILE with len bytes of text in one write(2). On error, prints
 * "mosctl: [WHAT: ]PATH: STRERROR (what it means for FILE)" and returns
 * -errno.
 */
int mosctl_configfs_write(const char *file, const char *text, size_t len,
			  const char *what);
/* whole FILE, NUL-terminated (free it); prints the error, returns -errno */
int mosctl_configfs_read(const char *file, char **text, size_t *len);
/* FILE holds one decimal number 0..max (blanks around it allowed) */
int mosctl_configfs_read_u32(const char *file, uint32_t max, uint32_t *val);
/* what errno err means for a write of value to FILE, or NULL */
const char *mosctl_configfs_explain(const char *file, int err,
				    const char *value, char *buf, size_t size);

/* nl.c: the generic netlink family "mosix" over libmnl */
struct mnl_socket;
struct nlmsghdr;
struct mosctl_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	char *buf;		/* receive buffer */
	size_t buf_size;
	char ext_msg[256];	/* extended ack message of the last reply */
};

struct mosctl_status {
	uint32_t state;		/* enum mosix_state */
	uint32_t pe;
	uint32_t nodes;
	uint32_t entries;
	uint32_t table_gen;
};

/* the family name: $MOSIX_GENL_FAMILY if set (tests), else "mosix" */
const char *mosctl_nl_family_name(void);
/* 0, -ENOENT if the family does not exist, other -errno */
int mosctl_nl_open(struct mosctl_nl *nl);
void mosctl_nl_close(struct mosctl_nl *nl);
/* "mosctl: WHAT: STRERROR[: kernel's extack message]" */
void mosctl_nl_perror(const struct mosctl_nl *nl, const char *what, int err);
/* an NLMSG_ERROR: 0 for an ack, else -errno; its extack message to ext_msg */
int mosctl_nl_parse_error(struct mosctl_nl *nl, const struct nlmsghdr *nlh);
int mosctl_nl_get_status(struct mosctl_nl *nl, struct mosctl_status *st);
/* the whole text in one MOSIX_CMD_SET_TABLE message */
int mosctl_nl_set_table(struct mosctl_nl *nl, const char *text, size_t len);
/* MOSIX_CMD_GET_TABLE dump, restarted when interrupted; free *text */
int mosctl_nl_get_table(struct mosctl_nl *nl, char **text, size_t *len);
/*
 * Length of the next MOSIX_A_TABLE_TEXT chunk of text[0..len): the longest
 * run of whole lines of at most max bytes; max bytes when a single line is
 * longer than that (the kernel joins the chunks before it parses).
 */
size_t mosctl_table_chunk(const char *text, size_t len, size_t max);

/* local.c: which PE of a map is this machine */
struct mosctl_match {
	uint32_t pe;
	struct mosix_addr addr;
};

/* the machine's IPv4 and IPv6 interface addresses (getifaddrs); free *addrs */
int mosctl_local_addrs(struct mosix_addr **addrs, size_t *n);
/*
 * The (PE, address) pairs of the map that hold one of addrs, without
 * duplicates, in matches[] (room for n) and *nmatches. Returns 0 and sets
 * *pe if they all name one PE, -ENOENT if none, -ENOTUNIQ if several.
 */
int mosctl_pick_pe(const struct mosix_map *map, const struct mosix_addr *addrs,
		   size_t n, uint32_t *pe, struct mosctl_match *matches,
		   size_t *nmatches);

/* status.c */
const char *mosctl_state_name(uint32_t state);
void mosctl_status_print(FILE *f, const struct mosctl_status *st, bool json);

#endif /* MOSCTL_H */
