// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl without the module: the command line (exit status 0/1/2 and
 * messages, through mosctl_main() with stdout/stderr captured), map checks,
 * setpe against a fake configfs directory ($MOSIX_CONFIGFS with plain files)
 * while the netlink family is missing ($MOSIX_GENL_FAMILY names none), and
 * the pure helpers: PE from local addresses, netlink chunks and errors,
 * status output.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <sys/stat.h>
#include "mosctl.h"

#define OUT_MAX 16384

struct run {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

/* per test (Check forks each one): a scratch directory and its files */
static char dir[64];
static char cfs[128];		/* fake configfs directory */
static char good_map[128];	/* GOOD_MAP */
static char bad_map[128];	/* BAD_MAP */

#define GOOD_MAP "# three nodes at 10.0.0.1.., two at fd00::1..\n" \
		 "1 10.0.0.1 3\n\n4 fd00::1 2\n2 10.9.9.9 ALIAS\n"
#define BAD_MAP "1 10.0.0.1 3\n2 10.0.1.1 2\n"
#define BAD_MAP_ERR "2: node numbers overlap those of another line"
/* documentation addresses (RFC 5737, RFC 3849): rarely a machine's own */
#define FOREIGN_MAP "1 203.0.113.201 4\n5 2001:db8:5:7::1 4\n"

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_str(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* the whole file, NUL-terminated; free it */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void cfs_path(char *buf, size_t size, const char *file)
{
	snprintf(buf, size, "%s/%s", cfs, file);
}

static void cfs_set(const char *file, const char *text)
{
	char p[256];

	cfs_path(p, sizeof(p), file);
	write_str(p, text);
}

static char *cfs_get(const char *file)
{
	char p[256];

	cfs_path(p, sizeof(p), file);
	return read_file(p, NULL);
}

static void ck_cfs(const char *file, const char *want)
{
	char *got = cfs_get(file);

	ck_assert_str_eq(got, want);
	free(got);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mosctl-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cfs, sizeof(cfs), "%s/mosix", dir);
	ck_assert_int_eq(mkdir(cfs, 0755), 0);
	cfs_set("pe", "0\n");
	cfs_set("table", "");
	cfs_set("state", "off\n");
	snprintf(good_map, sizeof(good_map), "%s/good.map", dir);
	snprintf(bad_map, sizeof(bad_map), "%s/bad.map", dir);
	write_str(good_map, GOOD_MAP);
	write_str(bad_map, BAD_MAP);
	setenv(MOSCTL_ENV_CONFIGFS, cfs, 1);
	/* whatever the host runs: no such family, as without the module */
	setenv(MOSCTL_ENV_FAMILY, "mosix-unit-none", 1);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void slurp(FILE *f, char *buf)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, OUT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * mosctl ARGS... (NULL-terminated) with stdin from in (NULL: empty), stdout
 * and stderr captured. "@GOOD" and "@BAD" in an argument become the paths
 * of the good and the bad map.
 */
static void run_argv(struct run *r, const char *in, const char *const *args)
{
	char *argv[32], *owned[32];
	FILE *fin = tmpfile(), *fout = tmpfile(), *ferr = tmpfile();
	int saved[3], argc = 0, i;

	ck_assert(fin && fout && ferr);
	argv[argc] = (char *)"mosctl";
	owned[argc++] = NULL;
	for (; *args; args++) {
		const char *at = strchr(*args, '@');
		char *a = NULL;

		ck_assert_int_lt(argc, 31);
		if (at && !strncmp(at, "@GOOD", 5))
			ck_assert_int_ge(asprintf(&a, "%.*s%s%s", (int)(at - *args), *args,
						  good_map, at + 5), 0);
		else if (at && !strncmp(at, "@BAD", 4))
			ck_assert_int_ge(asprintf(&a, "%.*s%s%s", (int)(at - *args), *args,
						  bad_map, at + 4), 0);
		owned[argc] = a;
		argv[argc++] = a ? a : (char *)*args;
	}
	argv[argc] = NULL;
	if (in)
		fputs(in, fin);
	rewind(fin);

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++)
		saved[i] = dup(i);
	dup2(fileno(fin), 0);
	dup2(fileno(fout), 1);
	dup2(fileno(ferr), 2);
	r->status = mosctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	fclose(fin);
	slurp(fout, r->out);
	slurp(ferr, r->err);
	for (i = 0; i < argc; i++)
		free(owned[i]);
}

#define RUN(r, in, ...) run_argv(r, in, (const char *const[]){ __VA_ARGS__, NULL })

/* --- the command line ---------------------------------------------------- */

struct cli_case {
	const char *args[9];
	int status;
	const char *out;	/* in stdout; NULL: stdout is empty */
	const char *err;	/* in stderr; NULL: stderr is empty */
};

static const struct cli_case cli_cases[] = {
	/* help and version: stdout, 0 */
	{ { "--help" }, 0, "Usage: mosctl [--help | --version] COMMAND", NULL },
	{ { "-h" }, 0, "\nCommands:\n", NULL },
	{ { "help" }, 0, "  setpe ", NULL },
	{ { "help" }, 0, "  status ", NULL },
	{ { "help", "setpe" }, 0, "-off, --off", NULL },
	{ { "help", "setpe" }, 0, "Usage: mosctl setpe -w|-W -f MAP [-p PE] [-k KEYFILE]\n", NULL },
	{ { "help", "setpe" }, 0, "-k, --key-file KEYFILE", NULL },
	{ { "help", "status" }, 0, "--json", NULL },
	{ { "help", "help" }, 0, "Usage: mosctl help [COMMAND]\n", NULL },
	{ { "setpe", "--help" }, 0, "Usage: mosctl setpe", NULL },
	{ { "setpe", "-h" }, 0, "-p, --pe PE", NULL },
	{ { "status", "-h" }, 0, "Usage: mosctl status [--json] [-v]\n", NULL },
	{ { "help", "status" }, 0, "-v, --verbose", NULL },
	{ { "help" }, 0, "  isup ", NULL },
	{ { "help" }, 0, "  getload ", NULL },
	{ { "help" }, 0, "  getspeed ", NULL },
	{ { "help" }, 0, "  whois ", NULL },
	{ { "help", "isup" }, 0, "Usage: mosctl isup PE\n", NULL },
	{ { "help", "getload" }, 0, "Usage: mosctl getload PE\n", NULL },
	{ { "help", "getspeed" }, 0, "Usage: mosctl getspeed PE\n", NULL },
	{ { "help", "whois" }, 0, "Usage: mosctl whois PE|ADDRESS\n", NULL },
	{ { "isup", "-h" }, 0, "Usage: mosctl isup PE\n", NULL },
	{ { "getload", "--help" }, 0, "Usage: mosctl getload PE\n", NULL },
	{ { "getspeed", "-h" }, 0, "Usage: mosctl getspeed PE\n", NULL },
	{ { "whois", "-h" }, 0, "Usage: mosctl whois PE|ADDRESS\n", NULL },
	{ { "--version" }, 0, "mosctl " MOSCTL_VERSION "\n", NULL },
	/* mosctl's own usage errors: 2 */
	{ { NULL }, 2, NULL, "Usage: mosctl" },
	{ { "nosuch" }, 2, NULL, "mosctl: unknown command 'nosuch' (see 'mosctl --help')\n" },
	{ { "help", "nosuch" }, 2, NULL, "mosctl: unknown command 'nosuch'" },
	{ { "help", "setpe", "x" }, 2, NULL, "mosctl: help: unexpected argument 'x'" },
	{ { "--bogus" }, 2, NULL, "mosctl: unknown or ambiguous option '--bogus'" },
	{ { "-x" }, 2, NULL, "mosctl: unknown option '-x'" },
	{ { "-x", "setpe", "-r" }, 2, NULL, "unknown option '-x'" },
	{ { "--version=1" }, 2, NULL, "mosctl: option '--version=1' takes no argument" },
	/* setpe usage errors: 2 */
	{ { "setpe" }, 2, NULL, "mosctl: setpe: missing -w, -r, -c or -off (see 'mosctl help setpe')\n" },
	{ { "setpe", "-w" }, 2, NULL, "setpe: -w needs -f MAP" },
	{ { "setpe", "-W", "-p", "1" }, 2, NULL, "setpe: -w needs -f MAP" },
	{ { "setpe", "-c" }, 2, NULL, "setpe: -c needs -f MAP" },
	{ { "setpe", "-c", "-f" }, 2, NULL, "setpe: option '-f' needs an argument" },
	{ { "setpe", "-w", "--file" }, 2, NULL, "setpe: option '--file' needs an argument" },
	{ { "setpe", "-w", "-f", "@GOOD", "-p" }, 2, NULL, "option '-p' needs an argument" },
	{ { "setpe", "-w", "-r", "-f", "@GOOD" }, 2, NULL, "setpe: -w and -r do not go together" },
	{ { "setpe", "-W", "-c", "-f", "@GOOD" }, 2, NULL, "-w and -c do not go together" },
	{ { "setpe", "-r", "-c" }, 2, NULL, "-r and -c do not go together" },
	{ { "setpe", "-c", "-off", "-f", "@GOOD" }, 2, NULL, "-c and -off do not go together" },
	{ { "setpe", "-off", "-W", "-f", "@GOOD" }, 2, NULL, "-off and -w do not go together" },
	{ { "setpe", "--off", "-r" }, 2, NULL, "-off and -r do not go together" },
	{ { "setpe", "-c", "-f", "@GOOD", "-p", "1" }, 2, NULL, "setpe: -p goes only with -w" },
	{ { "setpe", "-r", "-p", "1" }, 2, NULL, "-p goes only with -w" },
	{ { "setpe", "-off", "-p", "1" }, 2, NULL, "-p goes only with -w" },
	{ { "setpe", "-r", "-f", "@GOOD" }, 2, NULL, "setpe: -f goes only with -w or -c" },
	{ { "setpe", "-off", "-f", "@GOOD" }, 2, NULL, "-f goes only with -w or -c" },
	{ { "setpe", "-r", "extra" }, 2, NULL, "setpe: unexpected argument 'extra'" },
	{ { "setpe", "-c", "-f", "@GOOD", "extra" }, 2, NULL, "unexpected argument 'extra'" },
	{ { "setpe", "-q" }, 2, NULL, "setpe: unknown option '-q'" },
	{ { "setpe", "-o" }, 2, NULL, "setpe: unknown option '-o'" },
	{ { "setpe", "-offx" }, 2, NULL, "setpe: unknown option '-o'" },
	{ { "setpe", "--bogus" }, 2, NULL, "setpe: unknown or ambiguous option '--bogus'" },
	{ { "setpe", "--off=1" }, 2, NULL, "setpe: option '--off=1' takes no argument" },
	/* status usage errors: 2 */
	{ { "status", "extra" }, 2, NULL, "mosctl: status: unexpected argument 'extra'" },
	{ { "status", "--bogus" }, 2, NULL, "status: unknown or ambiguous option '--bogus'" },
	{ { "status", "-j" }, 2, NULL, "status: unknown option '-j'" },
	{ { "status", "-v", "x" }, 2, NULL, "mosctl: status: unexpected argument 'x'" },
	{ { "status", "--verbose=1" }, 2, NULL, "status: option '--verbose=1' takes no argument" },
	/* setpe -k usage errors: 2 */
	{ { "setpe", "-c", "-f", "@GOOD", "-k", "k" }, 2, NULL, "mosctl: setpe: -k goes only with -w" },
	{ { "setpe", "-r", "--key-file=k" }, 2, NULL, "setpe: -k goes only with -w" },
	{ { "setpe", "-off", "-k", "k" }, 2, NULL, "setpe: -k goes only with -w" },
	{ { "setpe", "-w", "-f", "@GOOD", "-k" }, 2, NULL, "setpe: option '-k' needs an argument" },
	{ { "setpe", "-w", "-f", "@GOOD", "--key-file" }, 2, NULL,
	  "setpe: option '--key-file' needs an argument" },
	/* the verbs: usage errors 2 */
	{ { "isup" }, 2, NULL, "mosctl: isup: missing PE (see 'mosctl help isup')\n" },
	{ { "isup", "0" }, 2, NULL, "mosctl: isup: '0' is not a PE number (1..65535)" },
	{ { "isup", "65536" }, 2, NULL, "isup: '65536' is not a PE number (1..65535)" },
	{ { "isup", "x" }, 2, NULL, "isup: 'x' is not a PE number" },
	{ { "isup", "" }, 2, NULL, "isup: '' is not a PE number" },
	{ { "isup", "10.0.0.1" }, 2, NULL, "isup: '10.0.0.1' is not a PE number" },
	{ { "isup", "1", "2" }, 2, NULL, "mosctl: isup: unexpected argument '2'" },
	{ { "isup", "-x" }, 2, NULL, "mosctl: isup: unknown option '-x'" },
	{ { "isup", "-1" }, 2, NULL, "isup: unknown option '-1'" },
	{ { "isup", "--bogus" }, 2, NULL, "isup: unknown or ambiguous option '--bogus'" },
	{ { "getload" }, 2, NULL, "mosctl: getload: missing PE" },
	{ { "getload", "0" }, 2, NULL, "getload: '0' is not a PE number (1..65535)" },
	{ { "getload", "1", "x" }, 2, NULL, "getload: unexpected argument 'x'" },
	{ { "getspeed" }, 2, NULL, "mosctl: getspeed: missing PE" },
	{ { "getspeed", "99999999999" }, 2, NULL, "getspeed: '99999999999' is not a PE number" },
	{ { "whois" }, 2, NULL, "mosctl: whois: missing PE or ADDRESS" },
	{ { "whois", "0" }, 2, NULL, "mosctl: whois: '0' is not a PE number (1..65535)" },
	{ { "whois", "65536" }, 2, NULL, "whois: '65536' is not a PE number" },
	{ { "whois", "host.example" }, 2, NULL,
	  "mosctl: whois: 'host.example' is neither a PE number (1..65535) nor an IPv4 or IPv6 address" },
	{ { "whois", "10.0.0.256" }, 2, NULL, "whois: '10.0.0.256' is neither" },
	{ { "whois", "1", "2" }, 2, NULL, "whois: unexpected argument '2'" },
	/* the view needs the netlink family: without it, 1 */
	{ { "isup", "1" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "isup", "65535" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "getload", "1" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "getspeed", "2" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "status", "-v" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	/* commands that run */
	{ { "setpe", "-c", "-f", "@GOOD" }, 0, ": OK, 5 nodes, 3 entries\n", NULL },
	{ { "setpe", "-cf", "@GOOD" }, 0, ": OK, 5 nodes, 3 entries\n", NULL },
	{ { "setpe", "--check", "--file=@GOOD" }, 0, ": OK, 5 nodes, 3 entries\n", NULL },
	{ { "setpe", "-c", "-f", "@BAD" }, 1, NULL, ":" BAD_MAP_ERR "\n" },
	{ { "setpe", "-c", "-f", "/nonexistent/m" }, 1, NULL,
	  "mosctl: /nonexistent/m: No such file or directory\n" },
	/* the file name "-off" is an argument, not the option */
	{ { "setpe", "-c", "-f", "-off" }, 1, NULL, "mosctl: -off: No such file" },
	{ { "setpe", "-cf", "-off" }, 1, NULL, "mosctl: -off: No such file" },
	{ { "setpe", "-w", "-f", "@GOOD", "-p", "9" }, 1, NULL, ": PE 9 is not in the map\n" },
	{ { "setpe", "-w", "-f", "@GOOD", "-p", "65535" }, 1, NULL, ": PE 65535 is not in the map\n" },
	{ { "setpe", "-w", "-f", "@BAD", "-p", "1" }, 1, NULL, ":" BAD_MAP_ERR "\n" },
	{ { "status" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
};

START_TEST(test_cli_exit_status_and_messages)
{
	const struct cli_case *c = &cli_cases[_i];
	struct run r;

	run_argv(&r, NULL, c->args);
	ck_assert_msg(r.status == c->status, "case %d (%s %s): status %d, want %d; stderr: %s",
		      _i, c->args[0] ? c->args[0] : "", c->args[0] && c->args[1] ? c->args[1] : "",
		      r.status, c->status, r.err);
	if (c->out)
		ck_assert_msg(strstr(r.out, c->out), "case %d: stdout '%s' lacks '%s'",
			      _i, r.out, c->out);
	else
		ck_assert_msg(!r.out[0], "case %d: stdout not empty: '%s'", _i, r.out);
	if (c->err)
		ck_assert_msg(strstr(r.err, c->err), "case %d: stderr '%s' lacks '%s'",
			      _i, r.err, c->err);
	else
		ck_assert_msg(!r.err[0], "case %d: stderr not empty: '%s'", _i, r.err);
	/* an error is one line "mosctl: ..." (the bare usage aside) */
	if (c->status && c->args[0])
		ck_assert_msg(!strncmp(r.err, "mosctl: ", 8) &&
			      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
			      "case %d: not one 'mosctl: ' line: '%s'", _i, r.err);
}
END_TEST

START_TEST(test_version_is_exact)
{
	struct run r;

	RUN(&r, NULL, "--version");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "mosctl 0.1.0\n");
	ck_assert_str_eq(r.err, "");
}
END_TEST

/* -p that is not a number 1..65535: a usage error (2), checked first */
static const char *const bad_pe_args[] = {
	"0", "65536", "99999999999999999999", "x", "", "-1", "+1", " 1", "1 ",
	"0x10", "1e3", "1.0",
};

START_TEST(test_pe_option_out_of_range_is_usage_error)
{
	struct run r;

	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", bad_pe_args[_i]);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "is not a PE number (1..65535)"));
	ck_cfs("pe", "0\n");
	ck_cfs("table", "");
}
END_TEST

/* getopt state (optind, a half-read "-wx" cluster) must not leak */
START_TEST(test_main_is_reentrant)
{
	struct run r;
	int round;

	for (round = 0; round < 3; round++) {
		RUN(&r, NULL, "setpe", "-wx");
		ck_assert_int_eq(r.status, 2);
		ck_assert_ptr_nonnull(strstr(r.err, "unknown option '-x'"));
		RUN(&r, NULL, "setpe", "-c", "-f", "@GOOD");
		ck_assert_int_eq(r.status, 0);
		RUN(&r, NULL, "-hx");
		ck_assert_int_eq(r.status, 0);
		RUN(&r, NULL, "--version");
		ck_assert_str_eq(r.out, "mosctl 0.1.0\n");
		RUN(&r, NULL, "setpe", "-r", "-c");
		ck_assert_int_eq(r.status, 2);
		RUN(&r, NULL, "status", "--json", "x");
		ck_assert_int_eq(r.status, 2);
		RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "2");
		ck_assert_int_eq(r.status, 0);
		RUN(&r, NULL, "setpe", "-off");
		ck_assert_int_eq(r.status, 0);
	}
}
END_TEST

START_TEST(test_output_write_error_fails)
{
	int saved[2] = { dup(1), dup(2) }, full = open("/dev/full", O_WRONLY);
	char *argv[] = { (char *)"mosctl", (char *)"--help", NULL };
	FILE *err = tmpfile();
	char buf[OUT_MAX];
	int status;

	if (full < 0)
		return;	/* no /dev/full here */
	ck_assert_ptr_nonnull(err);
	fflush(stdout);
	fflush(stderr);
	dup2(full, 1);
	dup2(fileno(err), 2);
	status = mosctl_main(2, argv);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
	close(full);
	slurp(err, buf);
	ck_assert_int_eq(status, 1);
	ck_assert_str_eq(buf, "mosctl: writing the output: No space left on device\n");
}
END_TEST

/* --- setpe -c: the map check ----------------------------------------------- */

struct check_case {
	const char *text;
	size_t len;
	int status;
	const char *msg;	/* after "NAME" on stdout (0) or "mosctl: NAME" (1) */
};

#define CHK(text, status, msg) { text, sizeof(text) - 1, status, msg }

static const struct check_case check_cases[] = {
	CHK("", 0, ": OK, 0 nodes, 0 entries\n"),
	CHK("# nothing\n\n", 0, ": OK, 0 nodes, 0 entries\n"),
	CHK("1 10.0.0.1 1", 0, ": OK, 1 nodes, 1 entries\n"),
	CHK(GOOD_MAP, 0, ": OK, 5 nodes, 3 entries\n"),
	CHK("1 10.0.0.1 65535\n", 0, ": OK, 65535 nodes, 1 entries\n"),
	CHK("1 10.0.0.1\n", 1, ":1: missing fields (expected PE ADDRESS COUNT|ALIAS)\n"),
	CHK("1 10.0.0.1 1 1\n", 1, ":1: too many fields (expected PE ADDRESS COUNT|ALIAS)\n"),
	CHK("x 10.0.0.1 1\n", 1, ":1: PE is not a decimal number\n"),
	CHK("\n\n0 10.0.0.1 1\n", 1, ":3: PE out of range 1..65535\n"),
	CHK("65536 10.0.0.1 1\n", 1, ":1: PE out of range 1..65535\n"),
	CHK("1 host.example 1\n", 1, ":1: not an IPv4 or IPv6 address\n"),
	CHK("1 10.0.0.1 many\n", 1, ":1: COUNT is not a decimal number or ALIAS\n"),
	CHK("1 10.0.0.1 0\n", 1, ":1: COUNT out of range 1..65535\n"),
	CHK("65535 10.0.0.1 2\n", 1, ":1: node range ends above PE 65535\n"),
	CHK("1 255.255.255.255 2\n", 1, ":1: address range wraps past the end of the address space\n"),
	CHK(BAD_MAP, 1, ":" BAD_MAP_ERR "\n"),
	CHK("1 10.0.0.1 1\n2 10.0.0.1 1\n", 1, ":2: address used twice (by another line's range or alias)\n"),
	CHK("1 10.0.0.1 1\n# x\n7 10.0.0.9 ALIAS\n", 1, ":3: ALIAS for a PE that no line defines\n"),
	CHK("1 10.0.0.1 1\n2 10.0\0.2 1\n", 1, ":2: NUL byte in map text\n"),
};

static void check_one(const struct check_case *c, bool use_stdin)
{
	char path[128], want[512];
	const char *name = use_stdin ? "<stdin>" : path;
	struct run r;

	snprintf(path, sizeof(path), "%s/case.map", dir);
	write_file(path, c->text, c->len);
	if (use_stdin) {
		/* stdin is text here: the NUL case only goes through a file */
		if (memchr(c->text, '\0', c->len))
			return;
		RUN(&r, c->text, "setpe", "-c", "-f", "-");
	} else {
		RUN(&r, NULL, "setpe", "-c", "-f", path);
	}
	snprintf(want, sizeof(want), "%s%s%s", c->status ? "mosctl: " : "", name, c->msg);
	ck_assert_int_eq(r.status, c->status);
	ck_assert_str_eq(c->status ? r.err : r.out, want);
	ck_assert_str_eq(c->status ? r.out : r.err, "");
}

START_TEST(test_check_map_file)
{
	check_one(&check_cases[_i], false);
}
END_TEST

START_TEST(test_check_map_stdin)
{
	check_one(&check_cases[_i], true);
}
END_TEST

START_TEST(test_check_too_many_entries)
{
	size_t n = MOSIX_TABLE_ENTRIES_MAX + 1, i, len = 0;
	char *text = malloc(n * 24), path[128], want[256];
	struct run r;

	ck_assert_ptr_nonnull(text);
	len += (size_t)sprintf(text, "1 10.0.0.1 1\n");
	for (i = 1; i < n; i++)
		len += (size_t)sprintf(text + len, "1 11.%zu.%zu.%zu ALIAS\n",
				       i >> 16, (i >> 8) & 255, i & 255);
	snprintf(path, sizeof(path), "%s/huge.map", dir);
	write_file(path, text, len);
	free(text);
	RUN(&r, NULL, "setpe", "-c", "-f", path);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: %s:%zu: too many entries (more than 131072 lines)\n",
		 path, n);
	ck_assert_str_eq(r.err, want);
}
END_TEST

START_TEST(test_check_larger_than_kernel_takes)
{
	size_t len = MOSIX_TABLE_TEXT_MAX + 1;
	char *text = malloc(len), path[128], want[256];
	struct run r;

	ck_assert_ptr_nonnull(text);
	memset(text, '#', len);
	text[len - 1] = '\n';
	snprintf(path, sizeof(path), "%s/big.map", dir);
	write_file(path, text, len);
	free(text);
	RUN(&r, NULL, "setpe", "-c", "-f", path);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: %s: larger than 8388608 bytes, the most the kernel takes\n",
		 path);
	ck_assert_str_eq(r.err, want);
}
END_TEST

/* --- setpe -w / -r / -off against a fake configfs, no netlink family ---------- */

struct write_case {
	const char *name;
	const char *pe_before;	/* content of `pe` */
	const char *map;	/* NULL: a generated map of map_len bytes */
	size_t map_len;
	const char *pe_arg;	/* -p, or NULL */
	int status;
	bool installed;		/* `table` holds the map afterwards */
	const char *pe_after;
	const char *err;	/* in stderr; NULL: stderr is empty */
};

static const struct write_case write_cases[] = {
	{ "first node", "0\n", GOOD_MAP, 0, "1", 0, true, "1", NULL },
	{ "alias holder", "0\n", GOOD_MAP, 0, "2", 0, true, "2", NULL },
	{ "IPv6 node", "0\n", GOOD_MAP, 0, "5", 0, true, "5", NULL },
	{ "already up as the same PE", "2\n", GOOD_MAP, 0, "2", 0, true, "2", NULL },
	{ "up as another PE", "3\n", GOOD_MAP, 0, "2", 1, false, "3\n",
	  "mosctl: this node is up as PE 3: take it down with 'mosctl setpe -off' before it can become PE 2\n" },
	{ "PE not in the map", "0\n", GOOD_MAP, 0, "6", 1, false, "0\n", ": PE 6 is not in the map\n" },
	{ "invalid map", "0\n", BAD_MAP, 0, "1", 1, false, "0\n", ":" BAD_MAP_ERR "\n" },
	{ "no local address in the map", "0\n", FOREIGN_MAP, 0, NULL, 1, false, "0\n",
	  ": no local address is in the map, use -p PE\n" },
	{ "largest configfs table", "0\n", NULL, MOSIX_CONFIGFS_TABLE_MAX, "1", 0, true, "1", NULL },
	{ "one byte too large for configfs", "0\n", NULL, MOSIX_CONFIGFS_TABLE_MAX + 1, "1", 1,
	  false, "0\n", "bytes need the generic netlink family 'mosix-unit-none' (configfs takes at most 4094)" },
	{ "pe file holds junk", "junk\n", GOOD_MAP, 0, "1", 1, false, "junk\n",
	  "/pe: unexpected content 'junk'\n" },
};

/* "1 10.0.0.1 1\n" padded with comment lines to exactly len bytes */
static char *padded_map(size_t len)
{
	static const char head[] = "1 10.0.0.1 1\n";
	char *text = malloc(len + 1);
	size_t off = sizeof(head) - 1;

	ck_assert_ptr_nonnull(text);
	memcpy(text, head, off);
	while (off < len) {
		size_t line = len - off < 80 ? len - off : 80;

		memset(text + off, '#', line);
		text[off + line - 1] = '\n';
		off += line;
	}
	text[len] = '\0';
	return text;
}

/* whether a local address is in the map text */
static bool map_has_local_addr(const char *text)
{
	struct mosix_addr *addrs;
	struct mosctl_match *matches;
	struct mosix_map_error e;
	struct mosix_map map;
	size_t n, nmatches;
	uint32_t pe;
	int err;

	ck_assert_int_eq(mosix_map_parse(text, strlen(text), &map, &e), 0);
	ck_assert_int_eq(mosctl_local_addrs(&addrs, &n), 0);
	matches = calloc(n + 1, sizeof(*matches));
	ck_assert_ptr_nonnull(matches);
	err = mosctl_pick_pe(&map, addrs, n, &pe, matches, &nmatches);
	free(matches);
	free(addrs);
	mosix_map_free(&map);
	return err != -ENOENT;
}

START_TEST(test_setpe_write_through_configfs)
{
	const struct write_case *c = &write_cases[_i];
	char path[128], *map = c->map ? strdup(c->map) : padded_map(c->map_len);
	struct run r;

	if (!c->pe_arg && map_has_local_addr(map)) {
		free(map);
		return;	/* this machine has a documentation address */
	}

	cfs_set("pe", c->pe_before);
	snprintf(path, sizeof(path), "%s/w.map", dir);
	write_str(path, map);
	if (c->pe_arg)
		RUN(&r, NULL, "setpe", "-w", "-f", path, "-p", c->pe_arg);
	else
		RUN(&r, NULL, "setpe", "-w", "-f", path);
	ck_assert_msg(r.status == c->status, "%s: status %d, want %d; stderr: %s",
		      c->name, r.status, c->status, r.err);
	ck_cfs("table", c->installed ? map : "");
	ck_cfs("pe", c->pe_after);
	ck_cfs("state", "off\n");
	if (c->err)
		ck_assert_msg(strstr(r.err, c->err), "%s: stderr '%s' lacks '%s'",
			      c->name, r.err, c->err);
	else
		ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "");
	free(map);
}
END_TEST

START_TEST(test_setpe_write_from_stdin)
{
	struct run r;

	RUN(&r, GOOD_MAP, "setpe", "-W", "-f", "-", "-p", "4");
	ck_assert_int_eq(r.status, 0);
	ck_cfs("table", GOOD_MAP);
	ck_cfs("pe", "4");
}
END_TEST

/* without -p: the PE that holds one of this machine's addresses */
START_TEST(test_setpe_write_finds_own_pe)
{
	struct mosix_addr *addrs;
	char a0[MOSIX_ADDR_STRLEN], a1[MOSIX_ADDR_STRLEN], map[256], path[128];
	char want0[128], want1[128];
	size_t n, i;
	struct run r;

	ck_assert_int_eq(mosctl_local_addrs(&addrs, &n), 0);
	if (!n) {
		free(addrs);
		return;	/* a machine without addresses: nothing to find */
	}
	mosix_addr_format(&addrs[0], a0, sizeof(a0));
	snprintf(map, sizeof(map), "%s100 %s 1\n", FOREIGN_MAP, a0);
	snprintf(path, sizeof(path), "%s/own.map", dir);
	write_str(path, map);
	RUN(&r, NULL, "setpe", "-w", "-f", path);
	ck_assert_msg(r.status == 0, "stderr: %s", r.err);
	ck_cfs("pe", "100");
	ck_cfs("table", map);

	/* two local addresses as two nodes: ambiguous, both listed */
	for (i = 1; i < n && !mosix_addr_cmp(&addrs[i], &addrs[0]); i++)
		;
	if (i < n) {
		mosix_addr_format(&addrs[i], a1, sizeof(a1));
		snprintf(map, sizeof(map), "7 %s 1\n9 %s 1\n", a0, a1);
		write_str(path, map);
		cfs_set("pe", "0\n");
		cfs_set("table", "");
		RUN(&r, NULL, "setpe", "-w", "-f", path);
		ck_assert_int_eq(r.status, 1);
		ck_assert_ptr_nonnull(strstr(r.err, "several nodes are in the map, use -p PE"));
		snprintf(want0, sizeof(want0), "\n7 %s\n", a0);
		snprintf(want1, sizeof(want1), "\n9 %s\n", a1);
		ck_assert_msg(strstr(r.err, want0) && strstr(r.err, want1), "stderr: %s", r.err);
		ck_cfs("pe", "0\n");
		ck_cfs("table", "");
	}
	free(addrs);
}
END_TEST

START_TEST(test_setpe_off_writes_zero)
{
	static const char *const spellings[] = { "-off", "--off" };
	struct run r;

	cfs_set("pe", "4\n");
	RUN(&r, NULL, "setpe", spellings[_i]);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "");
	ck_cfs("pe", "0");
	ck_cfs("table", "");
}
END_TEST

START_TEST(test_setpe_read_falls_back_to_configfs)
{
	struct run r;

	cfs_set("table", "1 10.0.0.1 3\n4 fd00::1 2\n");
	RUN(&r, NULL, "setpe", "-r");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "1 10.0.0.1 3\n4 fd00::1 2\n");
	ck_assert_str_eq(r.err, "");
}
END_TEST

START_TEST(test_without_configfs)
{
	struct run r;

	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	RUN(&r, NULL, "setpe", "-off");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: setting PE 0: /nonexistent/mosix does not exist: is the mosix module loaded?\n");
	RUN(&r, NULL, "setpe", "-r");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: the mosix module is not loaded\n");
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/mosix does not exist"));
	/* -c does not need the module */
	RUN(&r, NULL, "setpe", "-c", "-f", "@GOOD");
	ck_assert_int_eq(r.status, 0);
}
END_TEST

START_TEST(test_configfs_write_errors_are_reported)
{
	char p[256];
	struct run r;

	/* a full disk: the errno text */
	cfs_path(p, sizeof(p), "pe");
	unlink(p);
	if (!symlink("/dev/full", p)) {
		RUN(&r, NULL, "setpe", "-off");
		ck_assert_int_eq(r.status, 1);
		ck_assert_msg(strstr(r.err, "mosctl: setting PE 0: ") &&
			      strstr(r.err, "/pe: No space left on device\n"), "stderr: %s", r.err);
		unlink(p);
	}
	/* not a file */
	ck_assert_int_eq(mkdir(p, 0755), 0);
	RUN(&r, NULL, "setpe", "-off");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "/pe: Is a directory\n"));
}
END_TEST

START_TEST(test_status_without_module)
{
	static const char *const json[] = { NULL, "--json" };
	struct run r;

	if (json[_i])
		RUN(&r, NULL, "status", json[_i]);
	else
		RUN(&r, NULL, "status");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "mosctl: the mosix module is not loaded\n");
}
END_TEST

/* --- helpers ---------------------------------------------------------------- */

struct explain_case {
	const char *file;
	int err;
	const char *value;
	const char *meaning;	/* NULL: none */
};

static const struct explain_case explain_cases[] = {
	{ "pe", EBUSY, "5", "a transition is running or the node is up with another PE" },
	{ "pe", ENOENT, "5", "PE 5 is not in the node table" },
	{ "pe", EINVAL, "x", "not a decimal number" },
	{ "pe", ERANGE, "70000", "PE above 65535" },
	{ "pe", EPERM, "1", "must be root" },
	{ "pe", -EACCES, "1", "must be root" },
	{ "pe", ENOENT, NULL, NULL },
	{ "table", EFBIG, "1 10.0.0.1 1\n", "more than 4094 bytes do not fit one configfs write, use 'mosctl setpe -w'" },
	{ "table", ENOENT, "1 10.0.0.1 1\n", "the table does not contain this node's PE; take the node down first" },
	{ "table", EBUSY, "1 10.0.0.1 1\n", "a transition is running" },
	{ "table", EEXIST, "x", "overlapping PE ranges or an address used twice" },
	{ "table", E2BIG, "x", "more than 131072 entries" },
	{ "table", ERANGE, "x", "a PE, COUNT or address range out of range" },
	{ "table", EINVAL, "x", "a syntax error in the map" },
	{ "table", EFBIG, NULL, "the table is too large to read through configfs" },
	{ "table", ENOSPC, "x", NULL },
	{ "state", EACCES, "up", "state is read-only" },
};

START_TEST(test_configfs_errno_meanings)
{
	const struct explain_case *c = &explain_cases[_i];
	char buf[64];
	const char *got = mosctl_configfs_explain(c->file, c->err, c->value, buf, sizeof(buf));

	if (c->meaning)
		ck_assert_str_eq(got ? got : "(null)", c->meaning);
	else
		ck_assert_ptr_null(got);
}
END_TEST

struct pick_case {
	const char *map;
	const char *addrs[4];
	int ret;
	unsigned int pe;
	size_t nmatches;
};

static const struct pick_case pick_cases[] = {
	{ GOOD_MAP, { "10.0.0.2" }, 0, 2, 1 },
	{ GOOD_MAP, { "127.0.0.1", "fd00::2", "::1" }, 0, 5, 1 },
	/* an alias and the primary address of the same node: one PE */
	{ GOOD_MAP, { "10.9.9.9", "10.0.0.2" }, 0, 2, 2 },
	{ GOOD_MAP, { "10.0.0.2", "10.0.0.2" }, 0, 2, 1 },
	{ GOOD_MAP, { "127.0.0.1", "10.0.0.4", "fd00::3" }, -ENOENT, 0, 0 },
	{ GOOD_MAP, { NULL }, -ENOENT, 0, 0 },
	{ GOOD_MAP, { "10.0.0.1", "fd00::1" }, -ENOTUNIQ, 0, 2 },
	{ GOOD_MAP, { "10.9.9.9", "10.0.0.3", "10.0.0.1" }, -ENOTUNIQ, 0, 3 },
	{ "", { "10.0.0.1" }, -ENOENT, 0, 0 },
	/* the IPv4 address inside an IPv6 one is another address */
	{ "1 10.0.0.1 1\n", { "::ffff:10.0.0.1" }, -ENOENT, 0, 0 },
};

START_TEST(test_pick_pe_from_local_addresses)
{
	const struct pick_case *c = &pick_cases[_i];
	struct mosix_addr addrs[4];
	struct mosctl_match matches[4];
	struct mosix_map_error e;
	struct mosix_map map;
	size_t n = 0, nmatches = 99, i;
	uint32_t pe = 0;

	ck_assert_int_eq(mosix_map_parse(c->map, strlen(c->map), &map, &e), 0);
	for (; n < 4 && c->addrs[n]; n++)
		ck_assert_int_eq(mosix_addr_parse(c->addrs[n], strlen(c->addrs[n]), &addrs[n]), 0);
	ck_assert_int_eq(mosctl_pick_pe(&map, addrs, n, &pe, matches, &nmatches), c->ret);
	ck_assert_uint_eq(nmatches, c->nmatches);
	if (!c->ret)
		ck_assert_uint_eq(pe, c->pe);
	for (i = 1; i < nmatches; i++)	/* listed by PE */
		ck_assert_uint_le(matches[i - 1].pe, matches[i].pe);
	for (i = 0; i < nmatches; i++)
		ck_assert_uint_eq(mosix_map_find_addr(&map, &matches[i].addr), matches[i].pe);
	mosix_map_free(&map);
}
END_TEST

struct chunk_case {
	const char *text;
	size_t max;
	size_t chunks[6];	/* lengths, 0-terminated */
};

static const struct chunk_case chunk_cases[] = {
	{ "", 8, { 0 } },
	{ "abc\n", 8, { 4 } },
	{ "abc\ndef\n", 8, { 8 } },
	{ "abc\ndef\ng\n", 8, { 8, 2 } },
	{ "ab\ncd\nef\n", 7, { 6, 3 } },
	{ "abc\ndefg", 5, { 4, 4 } },
	/* a line longer than a chunk is cut, the kernel joins the chunks */
	{ "abcdefghij\nk\n", 4, { 4, 4, 3, 2 } },
	{ "\n\n\n\n\n", 2, { 2, 2, 1 } },
};

START_TEST(test_table_chunks_split_at_lines)
{
	const struct chunk_case *c = &chunk_cases[_i];
	size_t len = strlen(c->text), off = 0, k = 0;

	while (off < len) {
		size_t n = mosctl_table_chunk(c->text + off, len - off, c->max);

		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(n, c->max);
		ck_assert_uint_eq(n, c->chunks[k]);
		k++;
		off += n;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(c->chunks[k], 0);
}
END_TEST

START_TEST(test_table_chunks_of_a_large_map)
{
	size_t len = 3 * MOSIX_TABLE_CHUNK_MAX + 1234, off = 0, chunks = 0;
	char *text = padded_map(len);

	while (off < len) {
		size_t n = mosctl_table_chunk(text + off, len - off, MOSIX_TABLE_CHUNK_MAX);

		ck_assert_uint_le(n, MOSIX_TABLE_CHUNK_MAX);
		if (off + n < len) {
			/* whole lines, as many as fit */
			ck_assert_uint_ge(n, MOSIX_TABLE_CHUNK_MAX - 80);
			ck_assert_int_eq(text[off + n - 1], '\n');
		}
		off += n;
		chunks++;
	}
	ck_assert_uint_eq(chunks, 4);
	free(text);
}
END_TEST

/* an NLMSG_ERROR as the kernel sends it: errno, then the extack message */
static void put_error(char *buf, int error, bool capped, const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (msg ? NLM_F_ACK_TLVS : 0);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + (capped ? 0 : 8);
	e->msg.nlmsg_type = 0x20;
	if (!capped) {
		/* the echoed request's payload: 8 bytes that are no TLVs */
		memset(mnl_nlmsg_put_extra_header(nlh, 8), 0x41, 8);
	}
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
}

START_TEST(test_netlink_error_carries_extack_message)
{
	char buf[512] __attribute__((aligned(4))) = { 0 };
	struct mosctl_nl nl;

	memset(&nl, 0, sizeof(nl));
	put_error(buf, -ENOENT, true, "the table does not contain this node's PE");
	ck_assert_int_eq(mosctl_nl_parse_error(&nl, (struct nlmsghdr *)buf), -ENOENT);
	ck_assert_str_eq(nl.ext_msg, "the table does not contain this node's PE");

	memset(buf, 0, sizeof(buf));
	memset(&nl, 0, sizeof(nl));
	put_error(buf, -EINVAL, false, "line 3: PE out of range 1..65535");
	ck_assert_int_eq(mosctl_nl_parse_error(&nl, (struct nlmsghdr *)buf), -EINVAL);
	ck_assert_str_eq(nl.ext_msg, "line 3: PE out of range 1..65535");

	memset(buf, 0, sizeof(buf));
	memset(&nl, 0, sizeof(nl));
	put_error(buf, -EPERM, true, NULL);
	ck_assert_int_eq(mosctl_nl_parse_error(&nl, (struct nlmsghdr *)buf), -EPERM);
	ck_assert_str_eq(nl.ext_msg, "");

	memset(buf, 0, sizeof(buf));
	put_error(buf, 0, true, NULL);
	ck_assert_int_eq(mosctl_nl_parse_error(&nl, (struct nlmsghdr *)buf), 0);
}
END_TEST

/* a kernel without the info daemon's attributes, no view */
#define NO_INFO_JSON "\"key_set\":null,\"info_interval_ms\":null,\"window\":null," \
		     "\"nodes\":[],\"more_unknown\":0,\"stats\":null}\n"

struct status_case {
	struct mosctl_status st;
	const char *text;
	const char *json;
};

static const struct status_case status_cases[] = {
	{ { MOSIX_STATE_OFF, 0, 0, 0, 0 },
	  "state: off\npe: 0\nnodes: 0\nentries: 0\ntable generation: 0\n",
	  "{\"state\":\"off\",\"pe\":0,\"node_count\":0,\"entries\":0,\"table_gen\":0," NO_INFO_JSON },
	{ { MOSIX_STATE_UP, 3, 65535, 131072, 4294967295U },
	  "state: up\npe: 3\nnodes: 65535\nentries: 131072\ntable generation: 4294967295\n",
	  "{\"state\":\"up\",\"pe\":3,\"node_count\":65535,\"entries\":131072,\"table_gen\":4294967295," NO_INFO_JSON },
	{ { MOSIX_STATE_ROLLING_BACK, 7, 5, 3, 2 },
	  "state: rolling-back\npe: 7\nnodes: 5\nentries: 3\ntable generation: 2\n",
	  "{\"state\":\"rolling-back\",\"pe\":7,\"node_count\":5,\"entries\":3,\"table_gen\":2," NO_INFO_JSON },
	{ { 99, 1, 1, 1, 1 },
	  "state: unknown\npe: 1\nnodes: 1\nentries: 1\ntable generation: 1\n",
	  "{\"state\":\"unknown\",\"pe\":1,\"node_count\":1,\"entries\":1,\"table_gen\":1," NO_INFO_JSON },
};

START_TEST(test_status_output)
{
	const struct status_case *c = &status_cases[_i];
	char buf[512];
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	mosctl_status_print(f, &c->st, NULL, 0);
	slurp(f, buf);
	ck_assert_str_eq(buf, c->text);
	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	mosctl_status_print(f, &c->st, NULL, MOSCTL_PRINT_JSON);
	slurp(f, buf);
	ck_assert_str_eq(buf, c->json);
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(mosctl_state_name(MOSIX_STATE_OFF), "off");
	ck_assert_str_eq(mosctl_state_name(MOSIX_STATE_STARTING), "starting");
	ck_assert_str_eq(mosctl_state_name(MOSIX_STATE_UP), "up");
	ck_assert_str_eq(mosctl_state_name(MOSIX_STATE_STOPPING), "stopping");
	ck_assert_str_eq(mosctl_state_name(MOSIX_STATE_ROLLING_BACK), "rolling-back");
	ck_assert_str_eq(mosctl_state_name(__MOSIX_STATE_MAX), "unknown");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *mosctl_suite(void)
{
	Suite *s = suite_create("mosctl");
	TCase *cli = tcase_create("cli");
	TCase *check = tcase_create("check");
	TCase *cfg = tcase_create("configfs");
	TCase *help = tcase_create("helpers");

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_loop_test(cli, test_cli_exit_status_and_messages, 0, N(cli_cases));
	tcase_add_test(cli, test_version_is_exact);
	tcase_add_loop_test(cli, test_pe_option_out_of_range_is_usage_error, 0, N(bad_pe_args));
	tcase_add_test(cli, test_main_is_reentrant);
	tcase_add_test(cli, test_output_write_error_fails);
	suite_add_tcase(s, cli);

	tcase_add_checked_fixture(check, setup, teardown);
	tcase_add_loop_test(check, test_check_map_file, 0, N(check_cases));
	tcase_add_loop_test(check, test_check_map_stdin, 0, N(check_cases));
	tcase_add_test(check, test_check_too_many_entries);
	tcase_add_test(check, test_check_larger_than_kernel_takes);
	tcase_set_timeout(check, 30);
	suite_add_tcase(s, check);

	tcase_add_checked_fixture(cfg, setup, teardown);
	tcase_add_loop_test(cfg, test_setpe_write_through_configfs, 0, N(write_cases));
	tcase_add_test(cfg, test_setpe_write_from_stdin);
	tcase_add_test(cfg, test_setpe_write_finds_own_pe);
	tcase_add_loop_test(cfg, test_setpe_off_writes_zero, 0, 2);
	tcase_add_test(cfg, test_setpe_read_falls_back_to_configfs);
	tcase_add_test(cfg, test_without_configfs);
	tcase_add_test(cfg, test_configfs_write_errors_are_reported);
	tcase_add_loop_test(cfg, test_status_without_module, 0, 2);
	suite_add_tcase(s, cfg);

	tcase_add_loop_test(help, test_configfs_errno_meanings, 0, N(explain_cases));
	tcase_add_loop_test(help, test_pick_pe_from_local_addresses, 0, N(pick_cases));
	tcase_add_loop_test(help, test_table_chunks_split_at_lines, 0, N(chunk_cases));
	tcase_add_test(help, test_table_chunks_of_a_large_map);
	tcase_add_test(help, test_netlink_error_carries_extack_message);
	tcase_add_loop_test(help, test_status_output, 0, N(status_cases));
	tcase_add_test(help, test_state_names);
	suite_add_tcase(s, help);
	return s;
}
