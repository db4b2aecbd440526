// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl without the module: the command line (exit status 0/1/2 and
 * messages, through mosctl_main() with stdout/stderr captured), map checks,
 * setpe (with a key file) and whois against a fake configfs directory
 * ($MOSIX_CONFIGFS with plain files) while the netlink family is missing
 * ($MOSIX_GENL_FAMILY names none), and the pure helpers: PE from local
 * addresses, netlink chunks, errors and decoding of fake status and node
 * messages, the cluster view, status output in text and JSON (checked by a
 * small JSON parser), the key file format.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <sys/mount.h>
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
static char etc[128];		/* $MOSIX_ETC, made by start_setup() only */
static char state_dir[128];	/* $MOSIX_STATE_DIR, made by start itself */

/* the fake module's proposal in configfs `epoch`: a clock-derived epoch */
#define PROPOSAL "1782411121459200"

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
	cfs_set("key", "none\n");
	cfs_set("epoch", PROPOSAL "\n");
	snprintf(good_map, sizeof(good_map), "%s/good.map", dir);
	snprintf(bad_map, sizeof(bad_map), "%s/bad.map", dir);
	write_str(good_map, GOOD_MAP);
	write_str(bad_map, BAD_MAP);
	setenv(MOSCTL_ENV_CONFIGFS, cfs, 1);
	/* whatever the host runs: no such family, as without the module */
	setenv(MOSCTL_ENV_FAMILY, "mosix-unit-none", 1);
	/* start: never the host's /etc/mosix, never a real modprobe */
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	setenv(MOSCTL_ENV_ETC, etc, 1);
	setenv(MOSCTL_ENV_MODPROBE, "/bin/false", 1);
	/* never the host's /var/lib/mosix */
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	setenv(MOSCTL_ENV_STATE_DIR, state_dir, 1);
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
	/* the lifecycle: help */
	{ { "help" }, 0, "  shutdown  ", NULL },
	{ { "help" }, 0, "  monitor  ", NULL },
	{ { "help" }, 0, "  start  ", NULL },
	{ { "help", "shutdown" }, 0, "Usage: mosctl shutdown [--timeout SEC]\n", NULL },
	{ { "shutdown", "-h" }, 0, "130 interrupted", NULL },
	{ { "shutdown", "--help" }, 0, "-t, --timeout SEC", NULL },
	{ { "help", "monitor" }, 0, "Usage: mosctl monitor [--json]\n", NULL },
	{ { "monitor", "-h" }, 0, "stage-begin", NULL },
	{ { "help", "start" }, 0, "Usage: mosctl start [--map MAP] [--key-file KEYFILE] [--pe PE] "
	  "[--state-dir DIR]\n", NULL },
	{ { "start", "--help" }, 0, "$MOSIX_ETC", NULL },
	{ { "start", "--help" }, 0, "  --state-dir DIR  where the boot epoch is kept (default /var/lib/mosix,\n", NULL },
	{ { "start", "--help" }, 0, "max(saved + 2^20, the module's proposal)", NULL },
	/* the lifecycle: usage errors 2 */
	{ { "shutdown", "--timeout", "0" }, 2, NULL,
	  "mosctl: shutdown: --timeout: '0' is not a number of seconds (1..3600) (see 'mosctl help shutdown')\n" },
	{ { "shutdown", "--timeout", "3601" }, 2, NULL, "'3601' is not a number of seconds" },
	{ { "shutdown", "--timeout=x" }, 2, NULL, "'x' is not a number of seconds" },
	{ { "shutdown", "-t", "" }, 2, NULL, "'' is not a number of seconds" },
	{ { "shutdown", "-t", "-1" }, 2, NULL, "'-1' is not a number of seconds" },
	{ { "shutdown", "-t", "1.5" }, 2, NULL, "'1.5' is not a number of seconds" },
	{ { "shutdown", "--timeout" }, 2, NULL, "shutdown: option '--timeout' needs an argument" },
	{ { "shutdown", "-t" }, 2, NULL, "shutdown: option '-t' needs an argument" },
	{ { "shutdown", "now" }, 2, NULL, "mosctl: shutdown: unexpected argument 'now'" },
	{ { "shutdown", "-f" }, 2, NULL, "shutdown: unknown option '-f'" },
	{ { "shutdown", "--force" }, 2, NULL, "shutdown: unknown or ambiguous option '--force'" },
	{ { "monitor", "x" }, 2, NULL, "mosctl: monitor: unexpected argument 'x'" },
	{ { "monitor", "--json=1" }, 2, NULL, "monitor: option '--json=1' takes no argument" },
	{ { "monitor", "-j" }, 2, NULL, "monitor: unknown option '-j'" },
	{ { "monitor", "--bogus" }, 2, NULL, "monitor: unknown or ambiguous option '--bogus'" },
	{ { "start", "x" }, 2, NULL, "mosctl: start: unexpected argument 'x'" },
	{ { "start", "--pe", "0" }, 2, NULL, "mosctl: start: --pe: '0' is not a PE number (1..65535)" },
	{ { "start", "--pe=65536" }, 2, NULL, "start: --pe: '65536' is not a PE number" },
	{ { "start", "--pe", "x" }, 2, NULL, "start: --pe: 'x' is not a PE number" },
	{ { "start", "--map" }, 2, NULL, "start: option '--map' needs an argument" },
	{ { "start", "--map", "" }, 2, NULL, "start: an empty file name" },
	{ { "start", "--key-file=" }, 2, NULL, "start: an empty file name" },
	{ { "start", "-p", "1" }, 2, NULL, "start: unknown option '-p'" },
	{ { "start", "--state-dir" }, 2, NULL, "start: option '--state-dir' needs an argument" },
	{ { "start", "--state-dir=" }, 2, NULL, "start: an empty file name" },
	/* the lifecycle: commands that run */
	{ { "shutdown" }, 0, "node is already off\n", NULL },
	{ { "monitor" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "monitor", "--json" }, 1, NULL, "mosctl: the mosix module is not loaded\n" },
	{ { "start" }, 1, NULL, "/etc/mosix.map: No such file or directory (the node table" },
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
	{ "pe", ENOKEY, "1", "no cluster key is set: give one with 'mosctl setpe -w -f MAP -k KEYFILE'" },
	{ "key", EBUSY, "", "the key cannot change while the node is up: 'mosctl setpe -off' first" },
	{ "key", EINVAL, "", "not a key: 32..128 hex digits" },
	{ "key", EPERM, "", "must be root" },
	{ "key", ENOSPC, "", NULL },
	{ "epoch", EBUSY, "1048576", "the node is up: its epoch is set while it is off" },
	{ "epoch", EINVAL, "x", "not a decimal number" },
	{ "epoch", ERANGE, "0", "0, or 2^63 and above" },
	{ "epoch", EPERM, "1", "must be root" },
	{ "epoch", ENOSPC, "1", NULL },
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
	{ { .state = MOSIX_STATE_OFF },
	  "state: off\npe: 0\nnodes: 0\nentries: 0\ntable generation: 0\n",
	  "{\"state\":\"off\",\"pe\":0,\"node_count\":0,\"entries\":0,\"table_gen\":0," NO_INFO_JSON },
	{ { .state = MOSIX_STATE_UP, .pe = 3, .nodes = 65535, .entries = 131072,
	    .table_gen = 4294967295U },
	  "state: up\npe: 3\nnodes: 65535\nentries: 131072\ntable generation: 4294967295\n",
	  "{\"state\":\"up\",\"pe\":3,\"node_count\":65535,\"entries\":131072,\"table_gen\":4294967295," NO_INFO_JSON },
	{ { .state = MOSIX_STATE_ROLLING_BACK, .pe = 7, .nodes = 5, .entries = 3, .table_gen = 2 },
	  "state: rolling-back\npe: 7\nnodes: 5\nentries: 3\ntable generation: 2\n",
	  "{\"state\":\"rolling-back\",\"pe\":7,\"node_count\":5,\"entries\":3,\"table_gen\":2," NO_INFO_JSON },
	{ { .state = 99, .pe = 1, .nodes = 1, .entries = 1, .table_gen = 1 },
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

/* --- issue 3: the cluster view, the verbs, the key file ------------------------ */

/*
 * A tiny JSON checker (RFC 8259 grammar, no semantics): returns the end of
 * the value at p, or NULL if it is not one.
 */
static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			int i;

			for (i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_digits(const char *p)
{
	const char *q = p;

	while (*q >= '0' && *q <= '9')
		q++;
	return q > p ? q : NULL;
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = json_digits(p)))
		return NULL;
	if (*p == '.' && !(p = json_digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(p = json_digits(p)))
			return NULL;
	}
	return p;
}

static const char *json_value(const char *p, int depth)
{
	char close;

	if (depth > 32)
		return NULL;
	p = json_ws(p);
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	if (*p != '{' && *p != '[')
		return json_number(p);
	close = *p == '{' ? '}' : ']';
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static bool json_valid(const char *s)
{
	const char *end = json_value(s, 0);

	return end && !*json_ws(end);
}

START_TEST(test_json_checker_itself)
{
	ck_assert(json_valid("{\"a\":[1,-2.5e3,true,false,null,\"x\\\"\\u00e9\"],\"b\":{}}\n"));
	ck_assert(json_valid("[]"));
	ck_assert(!json_valid("{\"a\":1,}"));
	ck_assert(!json_valid("{\"a\" 1}"));
	ck_assert(!json_valid("[1 2]"));
	ck_assert(!json_valid("{\"a\":01}"));
	ck_assert(!json_valid("{\"a\":.5}"));
	ck_assert(!json_valid("{\"a\":\"\n\"}"));
	ck_assert(!json_valid("{\"a\":1}}"));
	ck_assert(!json_valid("{\"a\":1"));
	ck_assert(!json_valid("{a:1}"));
}
END_TEST

/* the fake cluster of the rendering tests */
static const struct mosctl_node fake_nodes[] = {
	{ .pe = 1, .status = MOSIX_INFO_STATUS_UP, .load = 250, .cpus = 4, .util = 125,
	  .speed = 4800, .mem_kb = 8049456, .free_kb = 3355443, .age_ms = 700,
	  .has_traffic = true, .tx_packets = 612, .rx_packets = 598, .rx_accepted = 590 },
	{ .pe = 2, .status = MOSIX_INFO_STATUS_UP, .self = true, .load = 1500, .cpus = 8,
	  .util = 1000, .speed = 5200, .mem_kb = 16777216, .free_kb = 524288, .age_ms = 0 },
	{ .pe = 3, .status = MOSIX_INFO_STATUS_LEAVING, .load = 0, .cpus = 1, .util = 0,
	  .speed = 1, .mem_kb = 1024, .free_kb = 0, .age_ms = 1950,
	  .has_traffic = true, .tx_packets = 10, .rx_packets = 9, .rx_accepted = 9 },
	{ .pe = 4, .status = MOSIX_INFO_STATUS_DOWN, .load = 1234567, .cpus = 2, .util = 5,
	  .speed = 10000000, .mem_kb = 1ULL << 42, .free_kb = 1000, .age_ms = 3600000,
	  .has_traffic = true, .tx_packets = 18446744073709551615ULL, .rx_packets = 0 },
	{ .pe = 5, .status = MOSIX_INFO_STATUS_UNKNOWN },
};

static void fake_status(struct mosctl_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = MOSIX_STATE_UP;
	st->pe = 2;
	st->nodes = 5;
	st->entries = 3;
	st->table_gen = 7;
	st->has_info = true;
	st->key_set = true;
	st->info_interval_ms = 1000;
	st->window = 16;
	st->has_stats = true;
	st->stats.counter[MOSIX_STAT_TICKS] = 1234;
	st->stats.counter[MOSIX_STAT_TX_PACKETS] = 1200;
	st->stats.counter[MOSIX_STAT_TX_BYTES] = 964800;
	st->stats.counter[MOSIX_STAT_TX_ERRORS] = 3;
	st->stats.counter[MOSIX_STAT_RX_ACCEPTED] = 1100;
	st->stats.counter[MOSIX_STAT_RX_BYTES] = 884400;
	st->stats.counter[MOSIX_STAT_LEAVE_SENT] = 1;
	st->stats.drop[MOSIX_INFO_DROP_BAD_TAG] = 5;
	st->stats.drop[MOSIX_INFO_DROP_REPLAY] = 2;
}

static void render(char *buf, const struct mosctl_status *st,
		   const struct mosctl_view *v, unsigned int flags)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	mosctl_status_print(f, st, v, flags);
	slurp(f, buf);
}

#define FAKE_HEAD "state: up\npe: 2\nnodes: 5\nentries: 3\ntable generation: 7\n" \
		  "key: set\ninfo interval: 1000 ms\nwindow: 16\n\n"
#define FAKE_TABLE \
	"     PE  STATUS      LOAD  CPUS     SPEED        MEM       FREE  UTIL      AGE\n" \
	"      1  up          0.25     4      4800     7.7GiB     3.2GiB   13%     0.7s\n" \
	"*     2  up          1.50     8      5200    16.0GiB     512MiB  100%     0.0s\n" \
	"      3  leaving     0.00     1         1       1MiB       0KiB    0%     2.0s\n" \
	"      4  down     1234.57     2  10000000     4.0PiB    1000KiB    1%  3600.0s\n" \
	"      5  unknown        -     -         -          -          -     -        -\n"
#define FAKE_COUNTERS "\nticks: 1234\n" \
	"sent: 1200 datagrams, 964800 bytes, 3 errors, 1 leave notices\n" \
	"accepted: 1100 datagrams, 884400 bytes\n"

START_TEST(test_status_text_with_view_and_counters)
{
	struct mosctl_view v = { (struct mosctl_node *)fake_nodes, N(fake_nodes), 0 };
	struct mosctl_status st;
	char buf[OUT_MAX], want[OUT_MAX];
	size_t i, n;

	fake_status(&st);
	render(buf, &st, &v, 0);
	ck_assert_str_eq(buf, FAKE_HEAD FAKE_TABLE FAKE_COUNTERS
			 "dropped:\n  bad_tag: 5\n  replay: 2\n");

	/* -v: each peer's traffic, every reason by the names of mosix_info_drop_name() */
	render(buf, &st, &v, MOSCTL_PRINT_VERBOSE);
	n = (size_t)snprintf(want, sizeof(want), "%s", FAKE_HEAD FAKE_TABLE "\n"
		"   PEER          SENT       ARRIVED      ACCEPTED       DROPPED\n"
		"      1           612           598           590             8\n"
		"      3            10             9             9             0\n"
		"      4  18446744073709551615             0             0             0\n"
		FAKE_COUNTERS "dropped:\n");
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "  %s: %u\n",
				      mosix_info_drop_name((unsigned int)i),
				      i == MOSIX_INFO_DROP_BAD_TAG ? 5 :
				      i == MOSIX_INFO_DROP_REPLAY ? 2 : 0);
	ck_assert_str_eq(buf, want);

	/* no drops at all */
	memset(st.stats.drop, 0, sizeof(st.stats.drop));
	render(buf, &st, &v, 0);
	ck_assert_str_eq(buf, FAKE_HEAD FAKE_TABLE FAKE_COUNTERS "dropped: none\n");

	/* a large table: only what the view holds, and how many more */
	v.nr = 2;
	v.unlisted = 65533;
	st.has_stats = false;
	render(buf, &st, &v, 0);
	ck_assert_ptr_nonnull(strstr(buf, "      1  up   "));
	ck_assert_ptr_null(strstr(buf, "      3  leaving"));
	ck_assert_ptr_nonnull(strstr(buf, "100%     0.0s\n(65533 more nodes unknown)\n"));
	ck_assert_ptr_null(strstr(buf, "ticks"));

	v.nr = 0;
	render(buf, &st, &v, 0);
	ck_assert_str_eq(buf, FAKE_HEAD "(65533 nodes unknown)\n");
	v.unlisted = 0;
	render(buf, &st, &v, 0);
	ck_assert_str_eq(buf, FAKE_HEAD "no nodes\n");
}
END_TEST

START_TEST(test_status_json_with_view_and_counters)
{
	struct mosctl_view v = { (struct mosctl_node *)fake_nodes, N(fake_nodes), 0 };
	struct mosctl_status st;
	char buf[OUT_MAX], want[OUT_MAX];
	size_t i, n;

	fake_status(&st);
	render(buf, &st, &v, MOSCTL_PRINT_JSON);
	n = (size_t)snprintf(want, sizeof(want), "%s",
		"{\"state\":\"up\",\"pe\":2,\"node_count\":5,\"entries\":3,\"table_gen\":7,"
		"\"key_set\":true,\"info_interval_ms\":1000,\"window\":16,\"nodes\":["
		"{\"pe\":1,\"status\":\"up\",\"self\":false,"
		"\"tx_packets\":612,\"rx_packets\":598,\"rx_accepted\":590,\"load\":0.25,\"cpus\":4,\"speed\":4800,"
		"\"mem\":8049456,\"free\":3355443,\"util\":12.5,\"age_ms\":700},"
		"{\"pe\":2,\"status\":\"up\",\"self\":true,"
		"\"tx_packets\":null,\"rx_packets\":null,\"rx_accepted\":null,\"load\":1.5,\"cpus\":8,\"speed\":5200,"
		"\"mem\":16777216,\"free\":524288,\"util\":100,\"age_ms\":0},"
		"{\"pe\":3,\"status\":\"leaving\",\"self\":false,"
		"\"tx_packets\":10,\"rx_packets\":9,\"rx_accepted\":9,\"load\":0,\"cpus\":1,\"speed\":1,"
		"\"mem\":1024,\"free\":0,\"util\":0,\"age_ms\":1950},"
		"{\"pe\":4,\"status\":\"down\",\"self\":false,"
		"\"tx_packets\":18446744073709551615,\"rx_packets\":0,\"rx_accepted\":0,\"load\":1234.567,\"cpus\":2,"
		"\"speed\":10000000,\"mem\":4398046511104,\"free\":1000,\"util\":0.5,"
		"\"age_ms\":3600000},"
		"{\"pe\":5,\"status\":\"unknown\",\"self\":false,"
		"\"tx_packets\":null,\"rx_packets\":null,\"rx_accepted\":null,\"load\":null,\"cpus\":null,"
		"\"speed\":null,\"mem\":null,\"free\":null,\"util\":null,\"age_ms\":null}],"
		"\"more_unknown\":0,\"stats\":{\"ticks\":1234,\"tx_packets\":1200,"
		"\"tx_bytes\":964800,\"tx_errors\":3,\"rx_accepted\":1100,\"rx_bytes\":884400,"
		"\"leave_sent\":1,\"relay_refused\":0,\"mig_tx\":0,\"mig_rx\":0,"
		"\"mig_drop_peer\":0,\"mig_drop_nonce\":0,\"mig_drop_state\":0,"
		"\"mig_drop_unknown\":0,\"mig_drop_queue\":0,\"mig_started\":0,"
		"\"mig_moved\":0,\"mig_stayed\":0,\"mig_refused\":0,\"mig_arrived\":0,"
		"\"drops\":{");
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s\"%s\":%u", i ? "," : "",
				      mosix_info_drop_name((unsigned int)i),
				      i == MOSIX_INFO_DROP_BAD_TAG ? 5 :
				      i == MOSIX_INFO_DROP_REPLAY ? 2 : 0);
	snprintf(want + n, sizeof(want) - n, "}}}\n");
	ck_assert_str_eq(buf, want);
	ck_assert_msg(json_valid(buf), "not JSON: %s", buf);
	/* the issue's keys, spelled as it does */
	ck_assert_ptr_nonnull(strstr(buf, "\"drops\":{\"bad_tag\":5,\"truncated\":0,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"spoofed_source\":0,\"replay\":2"));

	/* -v changes nothing in JSON; every variant is valid */
	render(want, &st, &v, MOSCTL_PRINT_JSON | MOSCTL_PRINT_VERBOSE);
	ck_assert_str_eq(want, buf);
	v.nr = 1;
	v.unlisted = 70000;
	st.has_stats = false;
	st.has_info = false;
	render(buf, &st, &v, MOSCTL_PRINT_JSON);
	ck_assert_msg(json_valid(buf), "not JSON: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"key_set\":null,\"info_interval_ms\":null,\"window\":null,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"age_ms\":700}],\"more_unknown\":70000,\"stats\":null}\n"));
	render(buf, &st, NULL, MOSCTL_PRINT_JSON);
	ck_assert_msg(json_valid(buf), "not JSON: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"nodes\":[],\"more_unknown\":0,"));
}
END_TEST

/* extreme values: still valid JSON, and exact */
START_TEST(test_status_json_extremes)
{
	struct mosctl_node node = {
		.pe = 65535, .status = MOSIX_INFO_STATUS_UP, .self = true,
		.load = UINT32_MAX, .cpus = UINT32_MAX, .util = UINT32_MAX,
		.speed = UINT32_MAX, .mem_kb = UINT64_MAX, .free_kb = UINT64_MAX,
		.age_ms = UINT32_MAX,
	};
	struct mosctl_view v = { &node, 1, UINT32_MAX };
	struct mosctl_status st;
	char buf[OUT_MAX];
	unsigned int i;

	fake_status(&st);
	st.state = UINT32_MAX;
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		st.stats.drop[i] = UINT64_MAX;
	render(buf, &st, &v, MOSCTL_PRINT_JSON);
	ck_assert_msg(json_valid(buf), "not JSON: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "{\"state\":\"unknown\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"load\":4294967.295,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"util\":429496729.5,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"mem\":18446744073709551615,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"more_unknown\":4294967295,"));
	/* a status outside the enum is unknown, its figures null */
	node.status = 77;
	render(buf, &st, &v, MOSCTL_PRINT_JSON);
	ck_assert_msg(json_valid(buf), "not JSON: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"status\":\"unknown\",\"self\":true,\"tx_packets\":null,\"rx_packets\":null,"
				"\"rx_accepted\":null,\"load\":null,"));
	/* text: the row is still one line */
	render(buf, &st, &v, 0);
	ck_assert_ptr_nonnull(strstr(buf, "* 65535  unknown        -"));
}
END_TEST

START_TEST(test_json_strings_are_escaped)
{
	FILE *f = tmpfile();
	char buf[256];

	ck_assert_ptr_nonnull(f);
	mosctl_json_str(f, "a\"b\\c\nd\te\x01" "f\x7f/\xc3\xa9");
	slurp(f, buf);
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f/\xc3\xa9\"");
	ck_assert(json_valid(buf));
}
END_TEST

struct fmt_case {
	uint64_t v;
	const char *load, *kib, *age, *fixed1000;
};

static const struct fmt_case fmt_cases[] = {
	{ 0, "0.00", "0KiB", "0.0s", "0" },
	{ 4, "0.00", "4KiB", "0.0s", "0.004" },
	{ 5, "0.01", "5KiB", "0.0s", "0.005" },
	{ 49, "0.05", "49KiB", "0.0s", "0.049" },
	{ 50, "0.05", "50KiB", "0.1s", "0.05" },
	{ 250, "0.25", "250KiB", "0.3s", "0.25" },
	{ 1000, "1.00", "1000KiB", "1.0s", "1" },
	{ 1023, "1.02", "1023KiB", "1.0s", "1.023" },
	{ 1024, "1.02", "1MiB", "1.0s", "1.024" },
	{ 1536, "1.54", "2MiB", "1.5s", "1.536" },
	{ 1048575, "1048.58", "1.0GiB", "1048.6s", "1048.575" },
	{ 1048576, "1048.58", "1.0GiB", "1048.6s", "1048.576" },
	{ 8049456, "8049.46", "7.7GiB", "8049.5s", "8049.456" },
	{ 1073741824, "1073741.82", "1.0TiB", "1073741.8s", "1073741.824" },
	{ 4294967295U, "4294967.30", "4.0TiB", "4294967.3s", "4294967.295" },
};

START_TEST(test_number_formats)
{
	const struct fmt_case *c = &fmt_cases[_i];
	char buf[64];

	ck_assert_str_eq(mosctl_fmt_load(buf, sizeof(buf), (uint32_t)c->v), c->load);
	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), c->v), c->kib);
	ck_assert_str_eq(mosctl_fmt_age(buf, sizeof(buf), (uint32_t)c->v), c->age);
	ck_assert_str_eq(mosctl_fmt_fixed(buf, sizeof(buf), c->v, 1000), c->fixed1000);
}
END_TEST

START_TEST(test_number_formats_more)
{
	char buf[64];

	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), 1ULL << 42), "4.0PiB");
	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), UINT64_MAX), "16384.0EiB");
	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), 1047552), "1023MiB");
	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), 1048064), "1.0GiB");	/* 1023.5MiB */
	ck_assert_str_eq(mosctl_fmt_kib(buf, sizeof(buf), 1023ULL << 30), "1023.0TiB");
	ck_assert_str_eq(mosctl_fmt_fixed(buf, sizeof(buf), 125, 10), "12.5");
	ck_assert_str_eq(mosctl_fmt_fixed(buf, sizeof(buf), 1000, 10), "100");
	ck_assert_str_eq(mosctl_fmt_fixed(buf, sizeof(buf), 7, 1), "7");
	ck_assert_str_eq(mosctl_fmt_fixed(buf, sizeof(buf), UINT64_MAX, 1000),
			 "18446744073709551.615");
	ck_assert_str_eq(mosctl_node_status_name(MOSIX_INFO_STATUS_UP), "up");
	ck_assert_str_eq(mosctl_node_status_name(MOSIX_INFO_STATUS_DOWN), "down");
	ck_assert_str_eq(mosctl_node_status_name(MOSIX_INFO_STATUS_LEAVING), "leaving");
	ck_assert_str_eq(mosctl_node_status_name(MOSIX_INFO_STATUS_UNKNOWN), "unknown");
	ck_assert_str_eq(mosctl_node_status_name(4), "unknown");
}
END_TEST

static void parse_map(const char *text, struct mosix_map *map)
{
	struct mosix_map_error e;

	ck_assert_int_eq(mosix_map_parse(text, strlen(text), map, &e), 0);
}

START_TEST(test_view_merges_dump_and_table)
{
	const struct mosctl_node dump[] = {
		{ .pe = 9, .status = MOSIX_INFO_STATUS_UP, .load = 9 },	/* not in the table (any more) */
		{ .pe = 2, .status = MOSIX_INFO_STATUS_DOWN, .load = 1 },
		{ .pe = 4, .status = MOSIX_INFO_STATUS_UP, .self = true, .load = 4 },
		{ .pe = 2, .status = MOSIX_INFO_STATUS_UP, .self = true, .load = 2 },
	};
	static const uint32_t want_pe[] = { 1, 2, 3, 4, 5, 9 };
	static const uint32_t want_status[] = {
		MOSIX_INFO_STATUS_UNKNOWN, MOSIX_INFO_STATUS_UP, MOSIX_INFO_STATUS_UNKNOWN,
		MOSIX_INFO_STATUS_UP, MOSIX_INFO_STATUS_UNKNOWN, MOSIX_INFO_STATUS_UP,
	};
	struct mosctl_view v;
	struct mosix_map map;
	size_t i;

	parse_map(GOOD_MAP, &map);
	ck_assert_int_eq(mosctl_view_build(&v, dump, N(dump), &map, 5), 0);
	ck_assert_uint_eq(v.nr, N(want_pe));
	ck_assert_uint_eq(v.unlisted, 0);
	for (i = 0; i < v.nr; i++) {
		ck_assert_uint_eq(v.node[i].pe, want_pe[i]);
		ck_assert_uint_eq(v.node[i].status, want_status[i]);
	}
	/* the same PE twice: the self entry is kept */
	ck_assert(v.node[1].self);
	ck_assert_uint_eq(v.node[1].load, 2);
	ck_assert(!v.node[0].self && !v.node[2].self);
	ck_assert_ptr_eq(mosctl_view_find(&v, 4), &v.node[3]);
	ck_assert_ptr_eq(mosctl_view_find(&v, 9), &v.node[5]);
	ck_assert_ptr_null(mosctl_view_find(&v, 6));
	ck_assert_ptr_null(mosctl_view_find(&v, 0));
	mosctl_view_free(&v);
	mosix_map_free(&map);

	/* an empty dump (the node is off): the table, all unknown */
	parse_map("1 10.0.0.1 3\n", &map);
	ck_assert_int_eq(mosctl_view_build(&v, NULL, 0, &map, 3), 0);
	ck_assert_uint_eq(v.nr, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(v.node[i].pe, i + 1);
		ck_assert_uint_eq(v.node[i].status, MOSIX_INFO_STATUS_UNKNOWN);
	}
	mosctl_view_free(&v);
	mosix_map_free(&map);

	/* nothing at all */
	ck_assert_int_eq(mosctl_view_build(&v, NULL, 0, NULL, 0), 0);
	ck_assert_uint_eq(v.nr, 0);
	ck_assert_uint_eq(v.unlisted, 0);
	mosctl_view_free(&v);
}
END_TEST

START_TEST(test_view_of_a_large_table)
{
	const struct mosctl_node dump[] = {
		{ .pe = 1, .status = MOSIX_INFO_STATUS_UP },
		{ .pe = 1500, .status = MOSIX_INFO_STATUS_UP, .self = true },
		{ .pe = 3000, .status = MOSIX_INFO_STATUS_DOWN },	/* not in the table */
	};
	struct mosctl_view v;
	struct mosix_map map;

	/* at the limit: listed whole */
	parse_map("1 10.0.0.1 1024\n", &map);
	ck_assert_int_eq(mosctl_view_build(&v, dump, N(dump), &map, 1024), 0);
	ck_assert_uint_eq(v.nr, 1024 + 2);
	ck_assert_uint_eq(v.unlisted, 0);
	mosctl_view_free(&v);
	mosix_map_free(&map);

	/* one more: the dump only, and the count of the rest */
	parse_map("1 10.0.0.1 1025\n1500 10.1.0.1 1\n", &map);
	ck_assert_int_eq(mosctl_view_build(&v, dump, N(dump), &map, 1026), 0);
	ck_assert_uint_eq(v.nr, 3);
	ck_assert_uint_eq(v.unlisted, 1026 - 2);
	mosctl_view_free(&v);
	mosix_map_free(&map);

	/* the table not read (too large to fetch): the status reply's count */
	ck_assert_int_eq(mosctl_view_build(&v, dump, N(dump), NULL, 65535), 0);
	ck_assert_uint_eq(v.nr, 3);
	ck_assert_uint_eq(v.unlisted, 65535 - 3);
	mosctl_view_free(&v);
	ck_assert_int_eq(mosctl_view_build(&v, dump, N(dump), NULL, 2), 0);
	ck_assert_uint_eq(v.unlisted, 0);
	mosctl_view_free(&v);
}
END_TEST

/* a generic netlink message of family 0x20 as the kernel would send it */
static struct nlmsghdr *put_genl(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = MOSIX_GENL_VERSION;
	return nlh;
}

static void put_node_attrs(struct nlmsghdr *nlh, uint32_t pe, bool self)
{
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, pe);
	if (self)
		mnl_attr_put(nlh, MOSIX_A_NODE_SELF, 0, "");
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, MOSIX_INFO_STATUS_LEAVING);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_LOAD, 250);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_CPUS, 4);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_UTIL, 125);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_SPEED, 4800);
	/* nla_put_u64_64bit pads with MOSIX_A_PAD where needed */
	mnl_attr_put(nlh, MOSIX_A_PAD, 0, "");
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_MEM_KB, 1ULL << 40);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_FREE_KB, 12345);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_AGE_MS, 700);
}

/* a fresh GET_NODES message about peer pe (not this node), all figures in it */
static struct nlmsghdr *node_message(char *buf, size_t size, uint32_t pe)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, size);
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	put_node_attrs(nlh, pe, false);
	return nlh;
}

START_TEST(test_netlink_node_message)
{
	char buf[1024] __attribute__((aligned(8))) = { 0 };
	struct nlmsghdr *nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	struct mosctl_node n;

	put_node_attrs(nlh, 3, true);
	mnl_attr_put_u32(nlh, 200, 1);	/* a newer kernel's attribute */
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), 0);
	ck_assert_uint_eq(n.pe, 3);
	ck_assert(n.self);
	ck_assert_uint_eq(n.status, MOSIX_INFO_STATUS_LEAVING);
	ck_assert_uint_eq(n.load, 250);
	ck_assert_uint_eq(n.cpus, 4);
	ck_assert_uint_eq(n.util, 125);
	ck_assert_uint_eq(n.speed, 4800);
	ck_assert_uint_eq(n.mem_kb, 1ULL << 40);
	ck_assert_uint_eq(n.free_kb, 12345);
	ck_assert_uint_eq(n.age_ms, 700);

	ck_assert(!n.has_traffic);

	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	put_node_attrs(nlh, 65535, false);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), 0);
	ck_assert(!n.self);
	ck_assert_uint_eq(n.pe, 65535);

	/* a peer's traffic: the three counters together */
	nlh = node_message(buf, sizeof(buf), 2);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_TX_PACKETS, 1ULL << 33);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_RX_PACKETS, 41);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_RX_ACCEPTED, 40);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), 0);
	ck_assert(n.has_traffic);
	ck_assert_uint_eq(n.tx_packets, 1ULL << 33);
	ck_assert_uint_eq(n.rx_packets, 41);
	ck_assert_uint_eq(n.rx_accepted, 40);
	/* one missing, or one of the wrong size: -EBADMSG */
	nlh = node_message(buf, sizeof(buf), 2);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_TX_PACKETS, 1);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_RX_PACKETS, 1);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	nlh = node_message(buf, sizeof(buf), 2);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_TX_PACKETS, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_RX_PACKETS, 1);
	mnl_attr_put_u64(nlh, MOSIX_A_NODE_RX_ACCEPTED, 1);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);

	/* PE out of range, missing PE or status, wrong sizes: -EBADMSG */
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	put_node_attrs(nlh, 0, false);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	put_node_attrs(nlh, 65536, false);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, 1);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, 1);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_MEM_KB, 1);	/* a u64 as u32 */
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, 1);
	mnl_attr_put_u16(nlh, MOSIX_A_NODE_LOAD, 1);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_SELF, 1);	/* a flag has no payload */
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), -EBADMSG);
	/* only the PE and the status are required */
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_NODES);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_PE, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_NODE_STATUS, MOSIX_INFO_STATUS_DOWN);
	ck_assert_int_eq(mosctl_nl_parse_node(nlh, &n), 0);
	ck_assert_uint_eq(n.status, MOSIX_INFO_STATUS_DOWN);
	ck_assert_uint_eq(n.mem_kb, 0);
}
END_TEST

static struct nlmsghdr *put_status(char *buf, bool info)
{
	struct nlmsghdr *nlh = put_genl(buf, MOSIX_CMD_GET_STATUS);

	mnl_attr_put_u32(nlh, MOSIX_A_STATE, MOSIX_STATE_UP);
	mnl_attr_put_u32(nlh, MOSIX_A_PE, 2);
	mnl_attr_put_u32(nlh, MOSIX_A_NODES, 5);
	mnl_attr_put_u32(nlh, MOSIX_A_ENTRIES, 3);
	mnl_attr_put_u32(nlh, MOSIX_A_TABLE_GEN, 7);
	if (info) {
		mnl_attr_put_u32(nlh, MOSIX_A_KEY_SET, 1);
		mnl_attr_put_u32(nlh, MOSIX_A_INFO_INTERVAL_MS, 250);
		mnl_attr_put_u32(nlh, MOSIX_A_WINDOW, 16);
	}
	return nlh;
}

START_TEST(test_netlink_status_message)
{
	char buf[2048] __attribute__((aligned(8))) = { 0 };
	struct nlmsghdr *nlh = put_status(buf, true);
	struct mosctl_status st;
	struct nlattr *nest;
	unsigned int i;

	nest = mnl_attr_nest_start(nlh, MOSIX_A_STATS);
	mnl_attr_put(nlh, MOSIX_STAT_PAD, 0, "");
	mnl_attr_put_u64(nlh, MOSIX_STAT_TICKS, 1234);
	mnl_attr_put_u64(nlh, MOSIX_STAT_TX_PACKETS, 1200);
	mnl_attr_put_u64(nlh, MOSIX_STAT_LEAVE_SENT, 1);
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		mnl_attr_put_u64(nlh, (uint16_t)(MOSIX_STAT_DROP_BASE + i), 100 + i);
	/* counters of a newer kernel: kept below the drops, skipped above */
	mnl_attr_put_u64(nlh, (uint16_t)(MOSIX_STAT_DROP_BASE + MOSCTL_NR_DROPS + 3), 9);
	mnl_attr_put_u64(nlh, MOSIX_STAT_DROP_BASE - 1, 9);
	mnl_attr_nest_end(nlh, nest);

	ck_assert_int_eq(mosctl_nl_parse_status(nlh, &st), 0);
	ck_assert_uint_eq(st.state, MOSIX_STATE_UP);
	ck_assert_uint_eq(st.pe, 2);
	ck_assert_uint_eq(st.nodes, 5);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.table_gen, 7);
	ck_assert(st.has_info && st.key_set);
	ck_assert_uint_eq(st.info_interval_ms, 250);
	ck_assert_uint_eq(st.window, 16);
	ck_assert(st.has_stats);
	ck_assert_uint_eq(st.stats.counter[MOSIX_STAT_TICKS], 1234);
	ck_assert_uint_eq(st.stats.counter[MOSIX_STAT_TX_PACKETS], 1200);
	ck_assert_uint_eq(st.stats.counter[MOSIX_STAT_TX_BYTES], 0);
	ck_assert_uint_eq(st.stats.counter[MOSIX_STAT_LEAVE_SENT], 1);
	ck_assert_uint_eq(st.stats.counter[MOSIX_STAT_DROP_BASE - 1], 9);
	for (i = 0; i < MOSCTL_NR_DROPS; i++)
		ck_assert_uint_eq(st.stats.drop[i], 100 + i);

	/* an older kernel: the foundation's attributes only */
	memset(buf, 0, sizeof(buf));
	nlh = put_status(buf, false);
	ck_assert_int_eq(mosctl_nl_parse_status(nlh, &st), 0);
	ck_assert(!st.has_info && !st.has_stats);
	ck_assert_uint_eq(st.pe, 2);

	/* a malformed counter or nest, a missing foundation attribute */
	memset(buf, 0, sizeof(buf));
	nlh = put_status(buf, true);
	nest = mnl_attr_nest_start(nlh, MOSIX_A_STATS);
	mnl_attr_put_u32(nlh, MOSIX_STAT_TICKS, 1);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mosctl_nl_parse_status(nlh, &st), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_status(buf, true);
	mnl_attr_put_u16(nlh, MOSIX_A_WINDOW, 1);	/* the last one counts */
	ck_assert_int_eq(mosctl_nl_parse_status(nlh, &st), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, MOSIX_A_STATE, MOSIX_STATE_UP);
	ck_assert_int_eq(mosctl_nl_parse_status(nlh, &st), -EBADMSG);
}
END_TEST

/* the man page lists every counter and drop reason, by the names mosctl prints */
START_TEST(test_man_page_lists_counters_and_drop_reasons)
{
	static const char *const counter_names[] = {
		"ticks", "tx_packets", "tx_bytes", "tx_errors", "rx_accepted", "rx_bytes",
		"leave_sent",
	};
	FILE *f = fopen("tools/mosctl.8", "r");
	char *man, want[64];
	size_t i;

	if (!f)
		return;	/* not run from the top of the tree */
	fclose(f);
	man = read_file("tools/mosctl.8", NULL);
	for (i = 0; i < MOSCTL_NR_DROPS; i++) {
		const char *name = mosix_info_drop_name((unsigned int)i);

		ck_assert_str_ne(name, "unknown");
		snprintf(want, sizeof(want), "\n.B %s\n", name);
		ck_assert_msg(strstr(man, want), "mosctl.8 does not list drop reason %s", name);
	}
	for (i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++)
		ck_assert_msg(strstr(man, counter_names[i]), "mosctl.8 lacks %s", counter_names[i]);
	free(man);
}
END_TEST

/* --- whois against the fake configfs `table` (no netlink family) ----------- */

struct whois_case {
	const char *arg;
	int status;
	const char *out;	/* exact stdout */
	const char *err;	/* exact stderr */
};

static const struct whois_case whois_cases[] = {
	{ "1", 0, "10.0.0.1\n", "" },
	{ "3", 0, "10.0.0.3\n", "" },
	{ "2", 0, "10.0.0.2\n", "" },		/* the primary address, not the alias */
	{ "4", 0, "fd00::1\n", "" },
	{ "5", 0, "fd00::2\n", "" },
	{ "10.0.0.1", 0, "1\n", "" },
	{ "10.0.0.3", 0, "3\n", "" },
	{ "10.9.9.9", 0, "2\n", "" },		/* an alias */
	{ "fd00::2", 0, "5\n", "" },
	{ "FD00:0::0:1", 0, "4\n", "" },
	{ "6", 1, "", "mosctl: whois: PE 6 is not in the node table\n" },
	{ "65535", 1, "", "mosctl: whois: PE 65535 is not in the node table\n" },
	{ "10.0.0.4", 1, "", "mosctl: whois: 10.0.0.4 is not in the node table\n" },
	{ "FD00::3", 1, "", "mosctl: whois: fd00::3 is not in the node table\n" },
	{ "0", 2, "", "mosctl: whois: '0' is not a PE number (1..65535) (see 'mosctl help whois')\n" },
	{ "x", 2, "", "mosctl: whois: 'x' is neither a PE number (1..65535) nor an IPv4 or IPv6 address (see 'mosctl help whois')\n" },
};

START_TEST(test_whois_from_configfs_table)
{
	const struct whois_case *c = &whois_cases[_i];
	struct run r;

	cfs_set("table", GOOD_MAP);
	RUN(&r, NULL, "whois", c->arg);
	ck_assert_msg(r.status == c->status, "whois %s: status %d; stderr %s", c->arg,
		      r.status, r.err);
	ck_assert_str_eq(r.out, c->out);
	ck_assert_str_eq(r.err, c->err);
}
END_TEST

START_TEST(test_whois_failures)
{
	struct run r;

	/* no table installed */
	RUN(&r, NULL, "whois", "1");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: whois: PE 1 is not in the node table\n");
	/* a table the parser refuses (no kernel would hold it) */
	cfs_set("table", "1 10.0.0.1 3\njunk\n");
	RUN(&r, NULL, "whois", "1");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: the installed table does not parse: line 2: missing fields (expected PE ADDRESS COUNT|ALIAS)\n");
	ck_assert_str_eq(r.out, "");
	/* no module at all */
	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	RUN(&r, NULL, "whois", "10.0.0.1");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: the mosix module is not loaded\n");
	ck_assert_str_eq(r.out, "");
	/* the usage error comes first */
	RUN(&r, NULL, "whois", "nohost");
	ck_assert_int_eq(r.status, 2);
}
END_TEST

/* the view needs netlink even when configfs is there: a clear error */
START_TEST(test_view_verbs_without_module)
{
	static const char *const verbs[] = { "isup", "getload", "getspeed" };
	struct run r;

	cfs_set("table", GOOD_MAP);
	cfs_set("pe", "1\n");
	RUN(&r, NULL, verbs[_i], "1");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "mosctl: the mosix module is not loaded\n");
	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	RUN(&r, NULL, verbs[_i], "3");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: the mosix module is not loaded\n");
	RUN(&r, NULL, verbs[_i], "0");
	ck_assert_int_eq(r.status, 2);
}
END_TEST

/* --- the key file ------------------------------------------------------------ */

#define HEX32 "00112233445566778899aabbccddeeff"
#define HEX128 HEX32 HEX32 "0123456789ABCDEFabcdef0123456789" HEX32

struct key_case {
	const char *text;
	size_t len;		/* 0: strlen */
	const char *key;	/* the digits, or NULL: refused */
	const char *reason;	/* part of the reason */
};

static const struct key_case key_cases[] = {
	{ HEX32, 0, HEX32, NULL },
	{ HEX32 "\n", 0, HEX32, NULL },
	{ " \t\r\n" HEX32 "\r\n\n ", 0, HEX32, NULL },
	{ HEX128, 0, HEX128, NULL },
	{ HEX128 "\n", 0, HEX128, NULL },
	{ HEX32 "ab", 0, HEX32 "ab", NULL },
	{ "", 0, NULL, "no key: the file holds no hex digits" },
	{ " \n\n", 0, NULL, "no key" },
	{ "0011223344556677889900aabbccdde", 0, NULL, "key too short: fewer than 32 hex digits" },
	{ "00112233445566778899aabbccddee", 0, NULL, "key too short" },
	{ HEX128 "00", 0, NULL, "key too long: more than 128 hex digits" },
	{ HEX128 "0", 0, NULL, "key too long" },
	{ HEX32 "a", 0, NULL, "an odd number of hex digits" },
	{ "0x" HEX32, 0, NULL, "not a hex digit" },
	{ HEX32 "g0", 0, NULL, "not a hex digit" },
	{ "0011223344556677 8899aabbccddeeff", 0, NULL, "blanks inside the hex digits" },
	{ HEX32 "\n" HEX32, 0, NULL, "blanks inside" },
	{ HEX32 "\0" "00", sizeof(HEX32) + 2, NULL, "not a hex digit" },
	{ "-----BEGIN KEY-----\n" HEX32 "\n", 0, NULL, "not a hex digit" },
	{ "\xff\xfe" HEX32, 0, NULL, "not a hex digit" },
};

START_TEST(test_key_parse)
{
	const struct key_case *c = &key_cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	const char *reason = NULL;
	struct mosctl_key key;
	int ret = mosctl_key_parse(c->text, len, &key, &reason);

	if (c->key) {
		ck_assert_int_eq(ret, 0);
		ck_assert_str_eq(key.hex, c->key);
		ck_assert_uint_eq(key.len, strlen(c->key));
	} else {
		ck_assert_int_eq(ret, -EINVAL);
		ck_assert_ptr_nonnull(reason);
		ck_assert_msg(strstr(reason, c->reason), "reason '%s' lacks '%s'", reason, c->reason);
		/* a reason never shows key material */
		ck_assert_ptr_null(strstr(reason, "0011"));
	}
	mosctl_key_wipe(&key);
	ck_assert_uint_eq(key.len, 0);
	ck_assert_int_eq(key.hex[0], 0);
}
END_TEST

START_TEST(test_key_load_errors_name_the_file)
{
	char path[128], want[512], *big;
	struct mosctl_key key;
	struct run r;

	snprintf(path, sizeof(path), "%s/k", dir);
	write_str(path, "  " HEX32 "\n");
	ck_assert_int_eq(mosctl_key_load(path, &key), 0);
	ck_assert_str_eq(key.hex, HEX32);

	/* through the command, so that stderr is captured */
	write_str(path, "abc\n");
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", path);
	snprintf(want, sizeof(want), "mosctl: key file %s: key too short: fewer than 32 hex digits (16 bytes)\n", path);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, want);

	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", "/nonexistent/key");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: key file /nonexistent/key: No such file or directory\n");

	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", dir);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: key file %s: Is a directory\n", dir);
	ck_assert_str_eq(r.err, want);

	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, '0', 5000);
	write_file(path, big, 5000);
	free(big);
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", path);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: key file %s: larger than 4096 bytes: not a key file\n", path);
	ck_assert_str_eq(r.err, want);

	/* "-off" after -k is the key file's name, not the option */
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", "-off");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: key file -off: No such file or directory\n");

	/* nothing was touched by any of these */
	ck_cfs("pe", "0\n");
	ck_cfs("table", "");
	ck_cfs("key", "none\n");
}
END_TEST

struct key_write_case {
	const char *name;
	const char *key_text;	/* the key file */
	const char *args[4];	/* after "setpe -w -f GOOD" (then -k FILE) */
	const char *pe_before;
	int status;
	const char *key_after;	/* `key` afterwards */
	bool installed;		/* `table` holds the map afterwards */
	const char *pe_after;
	const char *err;	/* in stderr, NULL: empty */
};

static const struct key_write_case key_write_cases[] = {
	{ "short option", HEX32 "\n", { "-p", "1", "-k" }, "0\n", 0, HEX32, true, "1", NULL },
	{ "long option", "\n" HEX128 "  \n", { "-p", "5", "--key-file" }, "0\n", 0, HEX128, true, "5",
	  NULL },
	{ "cluster -wk", HEX32, { "-p", "2", "-Wk" }, "0\n", 0, HEX32, true, "2", NULL },
	{ "up as the same PE, the same key", HEX32, { "-p", "2", "-k" }, "2\n", 0, HEX32, true, "2",
	  NULL },
	{ "bad key: nothing changes", HEX32 "x", { "-p", "1", "-k" }, "0\n", 1, "none\n", false,
	  "0\n", ": not a key: a character that is not a hex digit" },
	{ "up as another PE: the key is not written", HEX32, { "-p", "1", "-k" }, "3\n", 1, "none\n",
	  false, "3\n", "this node is up as PE 3" },
	{ "PE not in the map: the key is not written", HEX32, { "-p", "9", "-k" }, "0\n", 1,
	  "none\n", false, "0\n", ": PE 9 is not in the map\n" },
};

START_TEST(test_setpe_write_with_key_file)
{
	const struct key_write_case *c = &key_write_cases[_i];
	char path[128];
	const char *args[12];
	int n = 0, i;
	struct run r;

	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	write_str(path, c->key_text);
	cfs_set("pe", c->pe_before);
	args[n++] = "setpe";
	args[n++] = "-w";
	args[n++] = "-f";
	args[n++] = "@GOOD";
	for (i = 0; i < 4 && c->args[i]; i++)
		args[n++] = c->args[i];
	args[n++] = path;
	args[n] = NULL;
	run_argv(&r, NULL, args);
	ck_assert_msg(r.status == c->status, "%s: status %d; stderr %s", c->name, r.status, r.err);
	ck_cfs("key", c->key_after);
	ck_cfs("table", c->installed ? GOOD_MAP : "");
	ck_cfs("pe", c->pe_after);
	if (c->err)
		ck_assert_msg(strstr(r.err, c->err), "%s: stderr '%s' lacks '%s'", c->name, r.err,
			      c->err);
	else
		ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "");
}
END_TEST

/* the key goes in before the table: if the kernel refuses it, nothing else */
START_TEST(test_setpe_key_refused_changes_nothing)
{
	char path[128], p[256];
	struct run r;

	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	write_str(path, HEX32 "\n");
	cfs_path(p, sizeof(p), "key");
	unlink(p);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", path);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "mosctl: setting the cluster key: ") &&
		      strstr(r.err, "/key: Is a directory\n"), "stderr: %s", r.err);
	/* the key never shows in a message */
	ck_assert_ptr_null(strstr(r.err, "00112233"));
	ck_cfs("pe", "0\n");
	ck_cfs("table", "");

	/* a module without `key` (older): the missing file is named */
	ck_assert_int_eq(rmdir(p), 0);
	RUN(&r, NULL, "setpe", "-w", "-f", "@GOOD", "-p", "1", "-k", path);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "/key: No such file or directory\n"));
	ck_cfs("pe", "0\n");
}
END_TEST


/* --- the lifecycle: events, shutdown, monitor, start ------------------------ */

/* an absent attribute of put_event() */
#define NONE_ (-1LL)

/* a MOSIX_CMD_EVENT message as the kernel sends it to the "events" group */
static struct nlmsghdr *put_event(char *buf, long long kind, long long op,
				  const char *stage, long long dur, long long err,
				  long long state, long long pe)
{
	struct nlmsghdr *nlh = put_genl(buf, MOSIX_CMD_EVENT);

	if (kind != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, (uint32_t)kind);
	if (op != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_EVENT_OP, (uint32_t)op);
	if (stage)
		mnl_attr_put_strz(nlh, MOSIX_A_EVENT_STAGE, stage);
	if (dur != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_EVENT_DURATION_US, (uint32_t)dur);
	if (err != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_EVENT_ERRNO, (uint32_t)err);
	if (state != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_STATE, (uint32_t)state);
	if (pe != NONE_)
		mnl_attr_put_u32(nlh, MOSIX_A_PE, (uint32_t)pe);
	return nlh;
}

struct event_case {
	long long kind, op;
	const char *stage;
	long long dur, err, state, pe;
	const char *text;	/* shutdown's rendering, the line ended */
	const char *text_op;	/* monitor's */
	const char *json;
};

#define SD MOSIX_EVENT_OP_SHUTDOWN
#define BU MOSIX_EVENT_OP_BRINGUP

static const struct event_case event_cases[] = {
	{ MOSIX_EVENT_STAGE_BEGIN, SD, "evacuate", NONE_, NONE_, NONE_, NONE_,
	  "evacuate ...\n", "shutdown: evacuate ...\n",
	  "{\"event\":\"stage-begin\",\"op\":\"shutdown\",\"stage\":\"evacuate\"}\n" },
	{ MOSIX_EVENT_STAGE_DONE, SD, "evacuate", 312, NONE_, NONE_, NONE_,
	  "evacuate ... done (0.3 ms)\n", "shutdown: evacuate ... done (0.3 ms)\n",
	  "{\"event\":\"stage-done\",\"op\":\"shutdown\",\"stage\":\"evacuate\",\"duration_us\":312}\n" },
	{ MOSIX_EVENT_STAGE_DONE, SD, "withdraw", NONE_, NONE_, NONE_, NONE_,
	  "withdraw ... done\n", "shutdown: withdraw ... done\n",
	  "{\"event\":\"stage-done\",\"op\":\"shutdown\",\"stage\":\"withdraw\"}\n" },
	{ MOSIX_EVENT_STAGE_FAILED, SD, "quiesce", 30000123, ETIMEDOUT, NONE_, NONE_,
	  "quiesce ... FAILED: Connection timed out (30.0 s)\n",
	  "shutdown: quiesce ... FAILED: Connection timed out (30.0 s)\n",
	  "{\"event\":\"stage-failed\",\"op\":\"shutdown\",\"stage\":\"quiesce\",\"duration_us\":30000123,"
	  "\"errno\":110,\"error\":\"ETIMEDOUT\"}\n" },
	{ MOSIX_EVENT_STAGE_FAILED, SD, "transport", NONE_, EIO, NONE_, NONE_,
	  "transport ... FAILED: Input/output error\n",
	  "shutdown: transport ... FAILED: Input/output error\n",
	  "{\"event\":\"stage-failed\",\"op\":\"shutdown\",\"stage\":\"transport\",\"errno\":5,\"error\":\"EIO\"}\n" },
	{ MOSIX_EVENT_STAGE_FAILED, SD, "quiesce", NONE_, EINTR, NONE_, NONE_,
	  "quiesce ... FAILED: Interrupted system call\n",
	  "shutdown: quiesce ... FAILED: Interrupted system call\n",
	  "{\"event\":\"stage-failed\",\"op\":\"shutdown\",\"stage\":\"quiesce\",\"errno\":4,\"error\":\"EINTR\"}\n" },
	{ MOSIX_EVENT_STAGE_FAILED, BU, "daemons", NONE_, 524, NONE_, NONE_,
	  "daemons ... FAILED: Unknown error 524\n",
	  "bring-up: daemons ... FAILED: Unknown error 524\n",
	  "{\"event\":\"stage-failed\",\"op\":\"bringup\",\"stage\":\"daemons\",\"errno\":524,\"error\":\"ENOTSUPP\"}\n" },
	{ MOSIX_EVENT_STAGE_UNDONE, SD, "notifier", 40, NONE_, NONE_, NONE_,
	  "notifier ... undone (0.0 ms)\n", "shutdown: notifier ... undone (0.0 ms)\n",
	  "{\"event\":\"stage-undone\",\"op\":\"shutdown\",\"stage\":\"notifier\",\"duration_us\":40}\n" },
	{ MOSIX_EVENT_STAGE_DONE, BU, "transport", 1500, NONE_, NONE_, NONE_,
	  "transport ... done (1.5 ms)\n", "bring-up: transport ... done (1.5 ms)\n",
	  "{\"event\":\"stage-done\",\"op\":\"bringup\",\"stage\":\"transport\",\"duration_us\":1500}\n" },
	{ MOSIX_EVENT_STATE, SD, NULL, NONE_, NONE_, MOSIX_STATE_STOPPING, 3,
	  "state: stopping (PE 3)\n", "state: stopping (PE 3)\n",
	  "{\"event\":\"state\",\"op\":\"shutdown\",\"state\":\"stopping\",\"pe\":3}\n" },
	{ MOSIX_EVENT_STATE, MOSIX_EVENT_OP_NONE, NULL, NONE_, NONE_, MOSIX_STATE_OFF, 0,
	  "state: off\n", "state: off\n",
	  "{\"event\":\"state\",\"op\":\"none\",\"state\":\"off\",\"pe\":0}\n" },
	{ MOSIX_EVENT_STATE, NONE_, NULL, NONE_, NONE_, MOSIX_STATE_ROLLING_BACK, 65535,
	  "state: rolling-back (PE 65535)\n", "state: rolling-back (PE 65535)\n",
	  "{\"event\":\"state\",\"state\":\"rolling-back\",\"pe\":65535}\n" },
	{ MOSIX_EVENT_STATE, 7, NULL, NONE_, NONE_, 42, NONE_,
	  "state: unknown\n", "state: unknown\n",
	  "{\"event\":\"state\",\"op\":\"unknown\",\"state\":\"unknown\"}\n" },
	{ 9, NONE_, NULL, NONE_, NONE_, NONE_, NONE_,
	  "event of unknown kind 9\n", "event of unknown kind 9\n",
	  "{\"event\":\"unknown\",\"kind\":9}\n" },
	/* a stage name that would disturb a terminal */
	{ MOSIX_EVENT_STAGE_DONE, SD, "a b\033[0m\"", NONE_, NONE_, NONE_, NONE_,
	  "a?b??0m? ... done\n", "shutdown: a?b??0m? ... done\n",
	  "{\"event\":\"stage-done\",\"op\":\"shutdown\",\"stage\":\"a?b??0m?\"}\n" },
};

static void render_event(char *out, const struct mosctl_event *ev, unsigned int flags)
{
	struct mosctl_event_printer p;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	mosctl_event_printer_init(&p, f, flags);
	mosctl_event_print(&p, ev);
	mosctl_event_printer_end(&p);
	slurp(f, out);
}

START_TEST(test_event_rendering)
{
	const struct event_case *c = &event_cases[_i];
	char buf[1024] __attribute__((aligned(8))) = { 0 }, out[OUT_MAX];
	struct nlmsghdr *nlh = put_event(buf, c->kind, c->op, c->stage, c->dur, c->err,
					 c->state, c->pe);
	struct mosctl_event ev;

	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	render_event(out, &ev, 0);
	ck_assert_str_eq(out, c->text);
	render_event(out, &ev, MOSCTL_EVENTS_OP);
	ck_assert_str_eq(out, c->text_op);
	render_event(out, &ev, MOSCTL_EVENTS_JSON);
	ck_assert_str_eq(out, c->json);
	ck_assert_msg(json_valid(out), "not JSON: %s", out);
	/* JSON wins over the op prefix */
	render_event(out, &ev, MOSCTL_EVENTS_JSON | MOSCTL_EVENTS_OP);
	ck_assert_str_eq(out, c->json);
}
END_TEST

/* a failed shutdown as mosctl shutdown shows it: begin and outcome on one line */
START_TEST(test_event_sequence_text)
{
	static const struct {
		long long kind;
		const char *stage;
		long long dur, err, state;
	} seq[] = {
		{ MOSIX_EVENT_STATE, NULL, NONE_, NONE_, MOSIX_STATE_STOPPING },
		{ MOSIX_EVENT_STAGE_BEGIN, "evacuate", NONE_, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_DONE, "evacuate", 312, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_BEGIN, "withdraw", NONE_, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_DONE, "withdraw", 95, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_BEGIN, "quiesce", NONE_, NONE_, NONE_ },
		/* something between the begin and the outcome */
		{ MOSIX_EVENT_STATE, NULL, NONE_, NONE_, MOSIX_STATE_STOPPING },
		{ MOSIX_EVENT_STAGE_FAILED, "quiesce", 5000000, ETIMEDOUT, NONE_ },
		{ MOSIX_EVENT_STATE, NULL, NONE_, NONE_, MOSIX_STATE_ROLLING_BACK },
		{ MOSIX_EVENT_STAGE_UNDONE, "withdraw", 120, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_BEGIN, "evacuate", NONE_, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_UNDONE, "evacuate", 10, NONE_, NONE_ },
		{ MOSIX_EVENT_STAGE_BEGIN, "x", NONE_, NONE_, NONE_ },
		{ MOSIX_EVENT_STATE, NULL, NONE_, NONE_, MOSIX_STATE_UP },
	};
	static const char want[] =
		"state: stopping (PE 3)\n"
		"evacuate ... done (0.3 ms)\n"
		"withdraw ... done (0.1 ms)\n"
		"quiesce ...\n"
		"state: stopping (PE 3)\n"
		"quiesce ... FAILED: Connection timed out (5.0 s)\n"
		"state: rolling-back (PE 3)\n"
		"withdraw ... undone (0.1 ms)\n"
		"evacuate ... undone (0.0 ms)\n"
		"x ...\n"
		"state: up (PE 3)\n";
	struct mosctl_event_printer p;
	char out[OUT_MAX];
	FILE *f = tmpfile();
	size_t i;

	ck_assert_ptr_nonnull(f);
	mosctl_event_printer_init(&p, f, 0);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		char buf[512] __attribute__((aligned(8))) = { 0 };
		struct mosctl_event ev;
		struct nlmsghdr *nlh = put_event(buf, seq[i].kind, SD, seq[i].stage,
						 seq[i].dur, seq[i].err, seq[i].state,
						 seq[i].state == NONE_ ? NONE_ : 3);

		ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
		mosctl_event_print(&p, &ev);
	}
	mosctl_event_printer_end(&p);
	slurp(f, out);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_event_parse_rejects)
{
	char buf[512] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	struct mosctl_event ev;

	/* no kind; a stage event without its stage */
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, NONE_, SD, "evacuate", NONE_, NONE_, NONE_, NONE_);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_DONE, SD, NULL, 1, NONE_, NONE_, NONE_);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	/* wrong sizes */
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_EVENT);
	mnl_attr_put_u16(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_STATE);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_DONE, SD, "wake", NONE_, NONE_, NONE_, NONE_);
	mnl_attr_put_u64(nlh, MOSIX_A_EVENT_DURATION_US, 1);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	/* a stage name without its NUL, empty, or of 32 bytes */
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_BEGIN, SD, NULL, NONE_, NONE_, NONE_, NONE_);
	mnl_attr_put(nlh, MOSIX_A_EVENT_STAGE, 4, "wake");
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_BEGIN, SD, "", NONE_, NONE_, NONE_, NONE_);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_BEGIN, SD, "0123456789abcdef0123456789abcdef",
			NONE_, NONE_, NONE_, NONE_);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STAGE_BEGIN, SD, "0123456789abcdef0123456789abcde",
			NONE_, NONE_, NONE_, NONE_);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	ck_assert_str_eq(ev.stage, "0123456789abcdef0123456789abcde");
	/* another command; a message too short for its genl header */
	memset(buf, 0, sizeof(buf));
	nlh = put_genl(buf, MOSIX_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_STATE);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -ENOMSG);
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = 0x20;
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	/* a newer kernel's attribute is skipped; only the kind is required */
	memset(buf, 0, sizeof(buf));
	nlh = put_event(buf, MOSIX_EVENT_STATE, NONE_, NULL, NONE_, NONE_, NONE_, NONE_);
	mnl_attr_put_u32(nlh, 250, 7);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	ck_assert_uint_eq(ev.kind, MOSIX_EVENT_STATE);
	ck_assert(!ev.has_op && !ev.has_stage && !ev.has_duration && !ev.has_errno &&
		  !ev.has_state && !ev.has_pe);
}
END_TEST

static void count_cb(const struct mosctl_event *ev, void *data)
{
	char *seen = data;

	strcat(seen, ev->has_stage ? ev->stage : mosctl_event_kind_name(ev->kind));
	strcat(seen, ",");
}

/* several messages in one datagram: only this family's events */
START_TEST(test_events_dispatch)
{
	char buf[2048] __attribute__((aligned(8))) = { 0 }, seen[256] = "";
	char *p = buf;
	struct nlmsghdr *nlh;

	nlh = put_event(p, MOSIX_EVENT_STAGE_BEGIN, SD, "wake", NONE_, NONE_, NONE_, NONE_);
	p += nlh->nlmsg_len;
	nlh = put_event(p, MOSIX_EVENT_STAGE_DONE, SD, "other", 1, NONE_, NONE_, NONE_);
	nlh->nlmsg_type = 0x21;	/* another family */
	p += nlh->nlmsg_len;
	nlh = put_genl(p, MOSIX_CMD_GET_STATUS);	/* not an event */
	p += nlh->nlmsg_len;
	nlh = put_event(p, MOSIX_EVENT_STAGE_DONE, SD, NULL, 1, NONE_, NONE_, NONE_);
	p += nlh->nlmsg_len;	/* malformed: skipped */
	nlh = put_event(p, MOSIX_EVENT_STATE, SD, NULL, NONE_, NONE_, MOSIX_STATE_UP, 2);
	p += nlh->nlmsg_len;
	ck_assert_int_eq(mosctl_events_dispatch(buf, (size_t)(p - buf), 0x20, count_cb, seen), 2);
	ck_assert_str_eq(seen, "wake,state,");
	/* a truncated tail is ignored */
	seen[0] = '\0';
	ck_assert_int_eq(mosctl_events_dispatch(buf, 20, 0x20, count_cb, seen), 0);
	ck_assert_str_eq(seen, "");
}
END_TEST

/* CTRL_CMD_GETFAMILY reply: family id and the "events" group */
static struct nlmsghdr *put_family(char *buf, bool groups, bool bad_group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *all, *one;

	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x25);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "mosix");
	if (!groups)
		return nlh;
	all = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	one = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events-old");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 7);
	mnl_attr_nest_end(nlh, one);
	one = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, MOSIX_GENL_MCGRP_EVENTS);
	if (bad_group)
		mnl_attr_put_u16(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	else
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, one);
	mnl_attr_nest_end(nlh, all);
	return nlh;
}

START_TEST(test_family_reply_events_group)
{
	char buf[1024] __attribute__((aligned(8))) = { 0 };
	uint32_t group;
	uint16_t id;

	ck_assert_int_eq(mosctl_nl_parse_family(put_family(buf, true, false), &id, &group), 0);
	ck_assert_uint_eq(id, 0x25);
	ck_assert_uint_eq(group, 9);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(mosctl_nl_parse_family(put_family(buf, false, false), &id, &group), 0);
	ck_assert_uint_eq(id, 0x25);
	ck_assert_uint_eq(group, 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(mosctl_nl_parse_family(put_family(buf, true, true), &id, &group),
			 -EBADMSG);
	/* no family id */
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(mosctl_nl_parse_family(put_genl(buf, CTRL_CMD_NEWFAMILY), &id, &group),
			 -EBADMSG);
}
END_TEST

START_TEST(test_errno_names)
{
	char buf[32];

	ck_assert_str_eq(mosctl_errno_name(ETIMEDOUT, buf, sizeof(buf)), "ETIMEDOUT");
	ck_assert_str_eq(mosctl_errno_name(-EIO, buf, sizeof(buf)), "EIO");
	ck_assert_str_eq(mosctl_errno_name(EINTR, buf, sizeof(buf)), "EINTR");
	ck_assert_str_eq(mosctl_errno_name(EBUSY, buf, sizeof(buf)), "EBUSY");
	ck_assert_str_eq(mosctl_errno_name(524, buf, sizeof(buf)), "ENOTSUPP");
	ck_assert_str_eq(mosctl_errno_name(512, buf, sizeof(buf)), "ERESTARTSYS");
	ck_assert_str_eq(mosctl_errno_name(4000, buf, sizeof(buf)), "errno 4000");
	ck_assert_str_eq(mosctl_errno_name(0, buf, sizeof(buf)), "errno 0");
	ck_assert_int_eq(mosctl_errno_from_name("ETIMEDOUT"), ETIMEDOUT);
	ck_assert_int_eq(mosctl_errno_from_name("EINTR"), EINTR);
	ck_assert_int_eq(mosctl_errno_from_name("EIO"), EIO);
	ck_assert_int_eq(mosctl_errno_from_name("-110"), 110);
	ck_assert_int_eq(mosctl_errno_from_name("5"), 5);
	ck_assert_int_eq(mosctl_errno_from_name("EWOULDBLOCK"), EAGAIN);
	ck_assert_int_eq(mosctl_errno_from_name("ENOTSUPP"), 524);
	ck_assert_int_eq(mosctl_errno_from_name("EBOGUS"), 0);
	ck_assert_int_eq(mosctl_errno_from_name("x"), 0);
	ck_assert_int_eq(mosctl_errno_from_name(""), 0);
	ck_assert_int_eq(mosctl_errno_from_name("-0"), 0);
	ck_assert_int_eq(mosctl_errno_from_name("99999"), 0);
	ck_assert_int_eq(mosctl_errno_from_name("-"), 0);
}
END_TEST

START_TEST(test_duration_format)
{
	static const struct {
		uint32_t us;
		const char *want;
	} cases[] = {
		{ 0, "0.0 ms" }, { 49, "0.0 ms" }, { 50, "0.1 ms" }, { 312, "0.3 ms" },
		{ 1500, "1.5 ms" }, { 999949, "999.9 ms" }, { 999950, "1.0 s" },
		{ 30000000, "30.0 s" }, { 4294967295U, "4295.0 s" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(mosctl_fmt_duration(buf, sizeof(buf), cases[i].us),
				 cases[i].want);
}
END_TEST

struct last_case {
	const char *text;
	int ret;
	enum mosctl_last_result result;
	const char *stage, *error;
	int err;
};

static const struct last_case last_cases[] = {
	{ "none\n", 0, MOSCTL_LAST_NONE, "", "", 0 },
	{ "ok\n", 0, MOSCTL_LAST_OK, "", "", 0 },
	{ "  ok", 0, MOSCTL_LAST_OK, "", "", 0 },
	{ "rolled-back stage=quiesce error=ETIMEDOUT\n", 0, MOSCTL_LAST_ROLLED_BACK,
	  "quiesce", "ETIMEDOUT", ETIMEDOUT },
	{ "rolled-back stage=quiesce error=EINTR", 0, MOSCTL_LAST_ROLLED_BACK,
	  "quiesce", "EINTR", EINTR },
	{ "rolled-back stage=transport error=EIO\n", 0, MOSCTL_LAST_ROLLED_BACK,
	  "transport", "EIO", EIO },
	{ "rolled-back stage=evacuate error=-5\n", 0, MOSCTL_LAST_ROLLED_BACK,
	  "evacuate", "-5", EIO },
	{ "rolled-back stage=notifier error=ENEWTHING\n", 0, MOSCTL_LAST_ROLLED_BACK,
	  "notifier", "ENEWTHING", 0 },
	{ "", -EINVAL, 0, "", "", 0 },
	{ "OK", -EINVAL, 0, "", "", 0 },
	{ "nonex", -EINVAL, 0, "", "", 0 },
	{ "rolled-back", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage= error=EIO", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=quiesce", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=quiesce error=", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=quiesce error=EIO extra", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=qu\tiesce error=EIO", -EINVAL, 0, "", "", 0 },
	{ "rolled-back stage=0123456789abcdef0123456789abcdef error=EIO", -EINVAL, 0, "", "", 0 },
	{ "rolled-back  stage=quiesce error=EIO", -EINVAL, 0, "", "", 0 },
};

START_TEST(test_last_shutdown_parse)
{
	const struct last_case *c = &last_cases[_i];
	struct mosctl_last_shutdown ls;

	ck_assert_int_eq(mosctl_last_shutdown_parse(c->text, strlen(c->text), &ls), c->ret);
	if (c->ret)
		return;
	ck_assert_int_eq(ls.result, c->result);
	ck_assert_str_eq(ls.stage, c->stage);
	ck_assert_str_eq(ls.error, c->error);
	ck_assert_int_eq(ls.err, c->err);
}
END_TEST

struct conclude_case {
	struct mosctl_shutdown_outcome o;
	int status;
	const char *out, *err;
};

static const struct conclude_case conclude_cases[] = {
	{ { .pe = 3 }, 0, "node left the cluster\n", "" },
	{ { .pe = 3, .signo = SIGINT }, 0,
	  "node left the cluster (the interrupt came too late to stop it)\n", "" },
	{ { .err = ETIMEDOUT, .pe = 3, .failed_seen = true, .failed_stage = "quiesce",
	    .failed_err = ETIMEDOUT, .state = "up", .timeout_ms = 30000,
	    .last_shutdown = "rolled-back stage=quiesce error=ETIMEDOUT" }, 1, "",
	  "mosctl: shutdown failed at stage quiesce: Connection timed out (ETIMEDOUT): "
	  "the daemons did not go idle within shutdown_timeout_ms (30000 ms); "
	  "everything was rolled back: node is up again as PE 3\n" },
	/* without events: the stage from last_shutdown */
	{ { .err = EIO, .pe = 7, .state = "up",
	    .last_shutdown = "rolled-back stage=transport error=EIO\n" }, 1, "",
	  "mosctl: shutdown failed at stage transport: Input/output error (EIO); "
	  "everything was rolled back: node is up again as PE 7\n" },
	/* a stale last_shutdown of another error is not believed */
	{ { .err = ETIMEDOUT, .pe = 7, .state = "up",
	    .last_shutdown = "rolled-back stage=wake error=EIO\n" }, 1, "",
	  "mosctl: shutdown failed at stage (unknown): Connection timed out (ETIMEDOUT); "
	  "everything was rolled back: node is up again as PE 7\n" },
	{ { .err = EIO, .pe = 2, .failed_seen = true, .failed_stage = "evacuate",
	    .failed_err = EIO, .state = "off" }, 1, "",
	  "mosctl: shutdown failed at stage evacuate: Input/output error (EIO); "
	  "everything was rolled back, but the node is off, not up: see the kernel log\n" },
	{ { .err = EIO, .pe = 2, .failed_seen = true, .failed_stage = "notifier",
	    .failed_err = EIO }, 1, "",
	  "mosctl: shutdown failed at stage notifier: Input/output error (EIO); "
	  "everything was rolled back, but the state of the node cannot be read\n" },
	/* Ctrl-C and SIGTERM */
	{ { .err = EINTR, .signo = SIGINT, .pe = 3, .state = "up",
	    .last_shutdown = "rolled-back stage=quiesce error=EINTR" }, 130, "",
	  "mosctl: interrupted: rolled back (at stage quiesce): node is up again as PE 3\n" },
	{ { .err = EINTR, .signo = SIGTERM, .pe = 3, .state = "up", .failed_seen = true,
	    .failed_stage = "quiesce", .failed_err = EINTR }, 143, "",
	  "mosctl: interrupted: rolled back (at stage quiesce): node is up again as PE 3\n" },
	{ { .err = EINTR, .signo = SIGINT, .pe = 3, .state = "up" }, 130, "",
	  "mosctl: interrupted: rolled back: node is up again as PE 3\n" },
	/* EINTR without our signal: a failure like any other */
	{ { .err = EINTR, .pe = 3, .state = "up", .failed_seen = true,
	    .failed_stage = "quiesce", .failed_err = EINTR }, 1, "",
	  "mosctl: shutdown failed at stage quiesce: Interrupted system call (EINTR): "
	  "a signal interrupted the write; everything was rolled back: node is up again as PE 3\n" },
	/* refused before any stage ran */
	{ { .err = EBUSY, .pe = 3, .state = "stopping",
	    .last_shutdown = "rolled-back stage=wake error=EBUSY" }, 1, "",
	  "mosctl: shutdown refused: Device or resource busy (EBUSY): a transition is "
	  "running or the node is up with another PE; nothing was changed\n" },
	{ { .err = EPERM, .pe = 3, .state = "up" }, 1, "",
	  "mosctl: shutdown refused: Operation not permitted (EPERM): must be root; "
	  "nothing was changed\n" },
	/* the event's errno names the failure */
	{ { .err = EIO, .pe = 1, .state = "up", .failed_seen = true,
	    .failed_stage = "withdraw", .failed_err = ENETUNREACH }, 1, "",
	  "mosctl: shutdown failed at stage withdraw: Network is unreachable (ENETUNREACH); "
	  "everything was rolled back: node is up again as PE 1\n" },
};

START_TEST(test_shutdown_conclusion)
{
	const struct conclude_case *c = &conclude_cases[_i];
	FILE *out = tmpfile(), *err = tmpfile();
	char obuf[OUT_MAX], ebuf[OUT_MAX];
	int status;

	ck_assert(out && err);
	status = mosctl_shutdown_conclude(out, err, &c->o);
	slurp(out, obuf);
	slurp(err, ebuf);
	ck_assert_int_eq(status, c->status);
	ck_assert_str_eq(obuf, c->out);
	ck_assert_str_eq(ebuf, c->err);
}
END_TEST

/* a node that is up in the fake configfs directory */
static void cfs_node_up(const char *pe)
{
	cfs_set("pe", pe);
	cfs_set("state", "up\n");
	cfs_set("last_shutdown", "none\n");
	cfs_set("shutdown_timeout_ms", "30000\n");
}

START_TEST(test_shutdown_through_configfs)
{
	struct run r;

	cfs_node_up("3\n");
	RUN(&r, NULL, "shutdown", "--timeout", "5");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "shutting down PE 3 (quiesce timeout 5000 ms)\n"
				"node left the cluster\n");
	/* no such family here: it says why there is no progress */
	ck_assert_str_eq(r.err, "mosctl: shutdown: no live progress: the generic netlink "
				"family does not exist\n");
	ck_cfs("pe", "0");
	/* --timeout holds for one shutdown */
	ck_cfs("shutdown_timeout_ms", "30000");

	cfs_node_up("65535\n");
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "shutting down PE 65535 (quiesce timeout 30000 ms)\n"
				"node left the cluster\n");
	ck_cfs("pe", "0");
	ck_cfs("shutdown_timeout_ms", "30000\n");
}
END_TEST

START_TEST(test_shutdown_states)
{
	char p[256];
	struct run r;

	/* off: by state, by PE, without the module */
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "node is already off\n");
	ck_assert_str_eq(r.err, "");
	cfs_node_up("0\n");
	RUN(&r, NULL, "shutdown", "-t", "1");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "node is already off\n");
	ck_cfs("shutdown_timeout_ms", "30000\n");
	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "node is already off (the mosix module is not loaded)\n");
	setenv(MOSCTL_ENV_CONFIGFS, cfs, 1);

	/* a transition */
	cfs_node_up("3\n");
	cfs_set("state", "stopping\n");
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: shutdown: a transition is running (state stopping): "
				"try again when it is over\n");
	ck_cfs("pe", "3\n");

	/* --timeout needs shutdown_timeout_ms */
	cfs_node_up("3\n");
	cfs_path(p, sizeof(p), "shutdown_timeout_ms");
	ck_assert_int_eq(unlink(p), 0);
	RUN(&r, NULL, "shutdown", "--timeout=10");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "shutdown_timeout_ms cannot be read: the module "
					    "does not support it\n"));
	ck_cfs("pe", "3\n");
	/* without it, a shutdown still works */
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "shutting down PE 3\nnode left the cluster\n");

	/* no state file */
	cfs_path(p, sizeof(p), "state");
	ck_assert_int_eq(unlink(p), 0);
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "/state: No such file or directory\n"));
}
END_TEST

/*
 * Ctrl-C during the write. The fake `pe` is a symlink to a FIFO whose
 * opening blocks until the helper opens it too, then answers the read of
 * the PE. Meanwhile the helper points `pe` to a second FIFO, full and with
 * a reader that never reads: the write of "0" blocks there as the kernel's
 * quiesce does, until the helper sends SIGINT to the process.
 */
struct fifo_helper {
	char pe[256], fifo_a[256], fifo_b[256], tmp[256];
	int fd_b;
	bool early;	/* SIGINT before the write begins: pending until then */
};

static void *fifo_helper_main(void *arg)
{
	struct fifo_helper *h = arg;
	struct timespec wait = { 0, 300 * 1000000L };
	int fd = open(h->fifo_a, O_WRONLY);	/* mosctl is opening pe to read */

	if (fd < 0)
		abort();
	if (h->early)
		kill(getpid(), SIGINT);
	/* mosctl's later open of pe, for the write, finds the full FIFO */
	if (symlink(h->fifo_b, h->tmp) || rename(h->tmp, h->pe))
		abort();
	if (write(fd, "3\n", 2) != 2)
		abort();
	close(fd);
	if (!h->early) {
		nanosleep(&wait, NULL);
		kill(getpid(), SIGINT);
	}
	return NULL;
}

START_TEST(test_shutdown_interrupted)
{
	struct fifo_helper h;
	struct sigaction sa, old_int, old_term;
	sigset_t set, now;
	char fill[4096];
	pthread_t t;
	struct run r;

	h.early = _i == 1;
	cfs_node_up("3\n");
	cfs_set("last_shutdown", "rolled-back stage=quiesce error=EINTR\n");
	cfs_path(h.pe, sizeof(h.pe), "pe");
	cfs_path(h.fifo_a, sizeof(h.fifo_a), "pe.a");
	cfs_path(h.fifo_b, sizeof(h.fifo_b), "pe.b");
	cfs_path(h.tmp, sizeof(h.tmp), "pe.tmp");
	ck_assert_int_eq(mkfifo(h.fifo_a, 0600), 0);
	ck_assert_int_eq(mkfifo(h.fifo_b, 0600), 0);
	h.fd_b = open(h.fifo_b, O_RDWR | O_NONBLOCK);
	ck_assert_int_ge(h.fd_b, 0);
	memset(fill, 'x', sizeof(fill));
	while (write(h.fd_b, fill, sizeof(fill)) > 0)
		;
	while (write(h.fd_b, fill, 1) > 0)
		;
	ck_assert_int_eq(unlink(h.pe), 0);
	ck_assert_int_eq(symlink(h.fifo_a, h.pe), 0);

	ck_assert_int_eq(sigaction(SIGINT, NULL, &old_int), 0);
	ck_assert_int_eq(sigaction(SIGTERM, NULL, &old_term), 0);
	/* only mosctl's writer thread may take SIGINT */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, fifo_helper_main, &h), 0);
	RUN(&r, NULL, "shutdown");
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(r.status == 130, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "shutting down PE 3 (quiesce timeout 30000 ms)\n");
	ck_assert_str_eq(r.err, h.early ?
			 "mosctl: shutdown: no live progress: the generic netlink family does not exist\n"
			 "mosctl: interrupted before the shutdown began: nothing was changed; "
			 "node is still up as PE 3\n" :
			 "mosctl: shutdown: no live progress: the generic netlink family does not exist\n"
			 "mosctl: interrupted: rolled back (at stage quiesce): node is up again as PE 3\n");
	/* the full FIFO holds no "0": nothing was written */
	{
		char c = 0;

		while (read(h.fd_b, &c, 1) == 1 && c == 'x')
			;
		ck_assert_int_eq(c, 'x');
	}
	/* the mask and the handlers are as they were */
	ck_assert_int_eq(sigaction(SIGINT, NULL, &sa), 0);
	ck_assert_ptr_eq((void *)sa.sa_handler, (void *)old_int.sa_handler);
	ck_assert_int_eq(sigaction(SIGTERM, NULL, &sa), 0);
	ck_assert_ptr_eq((void *)sa.sa_handler, (void *)old_term.sa_handler);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
	ck_assert(sigismember(&now, SIGINT));
	ck_assert(!sigismember(&now, SIGTERM));
	close(h.fd_b);
}
END_TEST

/* --- start ----------------------------------------------------------------- */

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void etc_set(const char *file, const char *text)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", etc, file);
	write_str(p, text);
}

static void start_setup(void)
{
	setup();
	ck_assert_int_eq(mkdir(etc, 0755), 0);
}

START_TEST(test_start_brings_the_node_up)
{
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX "\n");
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "node is up as PE 2\n");
	ck_assert_str_eq(r.err, "");
	ck_cfs("key", KEY_HEX);
	ck_cfs("table", GOOD_MAP);
	ck_cfs("pe", "2");

	/* the same again: already up, nothing written (not even the key) */
	cfs_set("state", "up\n");
	cfs_set("key", "set\n");
	RUN(&r, NULL, "start", "--pe=2");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "already up as PE 2\n");
	ck_assert_str_eq(r.err, "");
	ck_cfs("table", GOOD_MAP);
	ck_cfs("key", "set\n");
	ck_cfs("pe", "2");

	/* the same table in another spelling is the same table */
	cfs_set("table", "1 10.0.0.1 3\n4 fd00::1 2\n2 10.9.9.9 alias\n");
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "already up as PE 2\n");

	/* another table: installed, the node stays up */
	cfs_set("table", "1 10.0.0.1 3\n");
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "installed the node table of ") == r.out &&
		      strstr(r.out, "/mosix.map; up as PE 2\n"), "stdout: %s", r.out);
	ck_cfs("table", GOOD_MAP);
	ck_cfs("key", "set\n");
}
END_TEST

START_TEST(test_start_options_override_etc)
{
	char map[256], key[256];
	struct run r;

	snprintf(map, sizeof(map), "%s/other.map", dir);
	snprintf(key, sizeof(key), "%s/other.key", dir);
	write_str(map, "7 192.0.2.7 1\n");
	write_str(key, KEY_HEX);
	RUN(&r, NULL, "start", "--map", map, "--key-file", key, "--pe", "7");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "node is up as PE 7\n");
	ck_cfs("table", "7 192.0.2.7 1\n");
	ck_cfs("pe", "7");
}
END_TEST

struct start_fail_case {
	const char *map;	/* NULL: no such file */
	const char *key;
	const char *pe;		/* --pe, or NULL */
	const char *pe_now;	/* configfs pe and state */
	const char *state;
	const char *err;	/* in stderr; %s: the etc directory */
};

static const struct start_fail_case start_fail_cases[] = {
	{ NULL, KEY_HEX, "2", "0\n", "off\n",
	  "mosctl: start: %s/mosix.map: No such file or directory (the node table: the "
	  "cluster's map, the same on every node)\n" },
	{ GOOD_MAP, NULL, "2", "0\n", "off\n",
	  "mosctl: start: %s/key: No such file or directory (the cluster key: 32..128 hex "
	  "digits, e.g. from 'openssl rand -hex 32')\n" },
	{ BAD_MAP, KEY_HEX, "2", "0\n", "off\n", "mosix.map:" BAD_MAP_ERR "\n" },
	{ GOOD_MAP, "0011", "2", "0\n", "off\n",
	  "mosctl: key file %s/key: key too short: fewer than 32 hex digits (16 bytes)\n" },
	{ GOOD_MAP, KEY_HEX, "9", "0\n", "off\n",
	  "mosctl: start: %s/mosix.map: PE 9 is not in the map\n" },
	{ FOREIGN_MAP, KEY_HEX, NULL, "0\n", "off\n",
	  "mosctl: %s/mosix.map: no local address is in the map, use --pe PE\n" },
	{ GOOD_MAP, KEY_HEX, "2", "3\n", "up\n",
	  "mosctl: start: this node is up as PE 3, but %s/mosix.map makes it PE 2: run "
	  "'mosctl shutdown' first\n" },
	{ GOOD_MAP, KEY_HEX, "2", "2\n", "stopping\n",
	  "mosctl: start: a transition is running (state stopping): try again when it is over\n" },
	{ GOOD_MAP, KEY_HEX, "2", "0\n", "rolling-back\n",
	  "mosctl: start: a transition is running (state rolling-back)" },
};

START_TEST(test_start_failures)
{
	const struct start_fail_case *c = &start_fail_cases[_i];
	char want[512];
	struct run r;

	if (c->map)
		etc_set("mosix.map", c->map);
	if (c->key)
		etc_set("key", c->key);
	cfs_set("pe", c->pe_now);
	cfs_set("state", c->state);
	if (c->pe)
		RUN(&r, NULL, "start", "--pe", c->pe);
	else
		RUN(&r, NULL, "start");
	snprintf(want, sizeof(want), c->err, etc, etc);
	ck_assert_msg(r.status == 1, "case %d: status %d: %s", _i, r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, want), "case %d: stderr '%s' lacks '%s'", _i, r.err, want);
	/* nothing changed */
	ck_cfs("pe", c->pe_now);
	ck_cfs("key", "none\n");
	ck_cfs("table", "");
}
END_TEST

/* without the module: modprobe ($MOSIX_MODPROBE here) runs, or fails */
START_TEST(test_start_loads_the_module)
{
	struct stat st;
	struct run r;

	if (!stat("/sys/module/mosix", &st))
		return;	/* loaded here: nothing to load */
	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "mosctl: start: loading the module: '/bin/false mosix' "
				"failed (exit status 1)\n");
	setenv(MOSCTL_ENV_MODPROBE, "/nonexistent/modprobe", 1);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: start: /nonexistent/modprobe: No such file or directory\n"
				"mosctl: start: loading the module: '/nonexistent/modprobe mosix' "
				"failed (exit status 127)\n");
	/* "loaded", but configfs never shows the directory */
	setenv(MOSCTL_ENV_MODPROBE, "/bin/true", 1);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "mosctl: start: /nonexistent/mosix did not appear within 5 s: "
				"is configfs mounted on /sys/kernel/config?\n");
}
END_TEST

/* --- start: the boot epoch ------------------------------------------------- */

static void state_file(char *buf, size_t size)
{
	snprintf(buf, size, "%s/epoch", state_dir);
}

/* the saved epoch before a start */
static void state_set(const char *text)
{
	char p[256];

	ck_assert(!mkdir(state_dir, 0755) || errno == EEXIST);
	state_file(p, sizeof(p));
	write_str(p, text);
}

/* the saved epoch after it; want NULL: there is no file */
static void ck_state(const char *want)
{
	char p[256], *got;
	struct stat st;

	state_file(p, sizeof(p));
	if (!want) {
		ck_assert_msg(stat(p, &st) && errno == ENOENT, "%s exists", p);
		return;
	}
	got = read_file(p, NULL);
	ck_assert_str_eq(got, want);
	free(got);
}

/* nothing of the module's configuration changed */
static void ck_cfs_untouched(void)
{
	ck_cfs("epoch", PROPOSAL "\n");
	ck_cfs("key", "none\n");
	ck_cfs("table", "");
	ck_cfs("pe", "0\n");
}

struct epoch_case {
	const char *saved;	/* state file; NULL: none */
	const char *proposal;	/* configfs epoch */
	const char *epoch;	/* what start saves and hands over */
};

static const struct epoch_case epoch_cases[] = {
	/* the first start: the module's proposal, at least 2^20 */
	{ NULL, PROPOSAL "\n", PROPOSAL },
	{ NULL, "5\n", "1048576" },
	{ NULL, "0\n", "1048576" },
	/* the clock went back: the saved epoch + 2^20 */
	{ PROPOSAL "\n", "1000\n", "1782411122507776" },
	{ PROPOSAL "\n", PROPOSAL "\n", "1782411122507776" },
	/* the module's own bumps since the last start stay within the step */
	{ PROPOSAL "\n", "1782411121459207\n", "1782411122507776" },
	/* the clock went on by more than the step: the proposal */
	{ "5000000\n", PROPOSAL "\n", PROPOSAL },
	{ PROPOSAL, "1782411122507777", "1782411122507777" },
	/* blanks around the saved number */
	{ "  42 \n\n", "0", "1048618" },
	{ "0\n", "7\n", "1048576" },
	/* the last epoch there is */
	{ "9223372036853727231\n", "1\n", "9223372036854775807" },
};

START_TEST(test_start_epoch)
{
	const struct epoch_case *c = &epoch_cases[_i];
	char want[64];
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	cfs_set("epoch", c->proposal);
	if (c->saved)
		state_set(c->saved);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 0, "case %d: status %d: %s", _i, r.status, r.err);
	ck_assert_str_eq(r.out, "node is up as PE 2\n");
	ck_assert_str_eq(r.err, "");
	snprintf(want, sizeof(want), "%s\n", c->epoch);
	ck_state(want);
	ck_cfs("epoch", c->epoch);
	ck_cfs("pe", "2");
}
END_TEST

/* boot after boot, the clock going back each time: the epoch only grows */
START_TEST(test_start_epochs_only_grow)
{
	static const char *const proposals[] = {
		PROPOSAL "\n", "1782411121459201\n", "1000\n", "1000\n", "1782411125000000\n",
	};
	static const char *const epochs[] = {
		PROPOSAL, "1782411122507776", "1782411123556352", "1782411124604928",
		"1782411125653504",
	};
	char want[64];
	struct run r;
	size_t i;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	for (i = 0; i < N(proposals); i++) {
		/* a new boot: the module off, its proposal from the clock */
		cfs_set("pe", "0\n");
		cfs_set("state", "off\n");
		cfs_set("key", "none\n");
		cfs_set("epoch", proposals[i]);
		RUN(&r, NULL, "start", "--pe", "2");
		ck_assert_msg(r.status == 0, "boot %zu: status %d: %s", i, r.status, r.err);
		snprintf(want, sizeof(want), "%s\n", epochs[i]);
		ck_state(want);
		ck_cfs("epoch", epochs[i]);
	}
}
END_TEST

struct epoch_bad_case {
	const char *saved;
	const char *proposal;	/* NULL: PROPOSAL */
	const char *err;	/* in stderr; %s: the state file */
};

#define NOT_A_NUMBER "' is not a decimal number (the boot epoch saved by the last start: " \
		     "correct it, or remove the file to start over from the clock); nothing " \
		     "was changed\n"

static const struct epoch_bad_case epoch_bad_cases[] = {
	{ "abc\n", NULL, "mosctl: start: %s: 'abc" NOT_A_NUMBER },
	{ "", NULL, "mosctl: start: %s: '" NOT_A_NUMBER },
	{ " \n", NULL, "mosctl: start: %s: '" NOT_A_NUMBER },
	{ "-5\n", NULL, "mosctl: start: %s: '-5" NOT_A_NUMBER },
	{ "+5\n", NULL, "mosctl: start: %s: '+5" NOT_A_NUMBER },
	{ "12 34\n", NULL, "mosctl: start: %s: '12 34" NOT_A_NUMBER },
	{ "0x10\n", NULL, "mosctl: start: %s: '0x10" NOT_A_NUMBER },
	{ "1.5\n", NULL, "mosctl: start: %s: '1.5" NOT_A_NUMBER },
	{ "7\x01\n", NULL, "mosctl: start: %s: '7?" NOT_A_NUMBER },
	/* above 2^64 - 1 */
	{ "18446744073709551616\n", NULL, "mosctl: start: %s: '18446744073709551616" NOT_A_NUMBER },
	/* more than a number and its blanks */
	{ "1111111111111111111111111111111111111111111111111111111111111111111111\n", NULL,
	  "mosctl: start: %s: '11111111111111111111111111111111" NOT_A_NUMBER },
	/* no epoch left after it: checked before anything changes */
	{ "9223372036853727232\n", NULL,
	  "mosctl: start: no boot epoch is left: %s holds 9223372036853727232, the module "
	  "proposes " PROPOSAL ", the largest is 9223372036854775807\n" },
	{ "18446744073709551615\n", NULL, "mosctl: start: no boot epoch is left: " },
	{ "1\n", "9223372036854775808\n", "mosctl: start: no boot epoch is left: " },
	/* the module's proposal is not a number */
	{ "1\n", "soon\n", "/mosix/epoch: unexpected content 'soon'\n" },
};

START_TEST(test_start_epoch_refused)
{
	const struct epoch_bad_case *c = &epoch_bad_cases[_i];
	char path[256], want[1024];
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	state_set(c->saved);
	if (c->proposal)
		cfs_set("epoch", c->proposal);
	state_file(path, sizeof(path));
	snprintf(want, sizeof(want), c->err, path);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 1, "case %d: status %d: %s", _i, r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, want), "case %d: stderr '%s' lacks '%s'", _i, r.err, want);
	/* nothing changed, the state file least of all */
	ck_state(c->saved);
	if (c->proposal)
		cfs_set("epoch", PROPOSAL "\n");
	ck_cfs_untouched();
}
END_TEST

/*
 * The epoch is on disk before the module sees it. The fake `epoch` is a
 * symlink to a FIFO that answers the read of the proposal; meanwhile the
 * helper points `epoch` to /dev/full, so that the write of the epoch fails
 * as a refusing module would: by then the state file must hold it.
 */
struct epoch_fifo {
	char link[256], fifo[256], tmp[256];
};

static void *epoch_fifo_main(void *arg)
{
	struct epoch_fifo *h = arg;
	int fd = open(h->fifo, O_WRONLY);	/* mosctl is opening `epoch` to read */

	if (fd < 0)
		abort();
	if (symlink("/dev/full", h->tmp) || rename(h->tmp, h->link))
		abort();
	if (write(fd, "77\n", 3) != 3)
		abort();
	close(fd);
	return NULL;
}

START_TEST(test_start_saves_the_epoch_first)
{
	struct epoch_fifo h;
	char want[512];
	pthread_t t;
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	state_set("5000000\n");
	cfs_path(h.link, sizeof(h.link), "epoch");
	cfs_path(h.fifo, sizeof(h.fifo), "epoch.fifo");
	cfs_path(h.tmp, sizeof(h.tmp), "epoch.tmp");
	ck_assert_int_eq(mkfifo(h.fifo, 0600), 0);
	ck_assert_int_eq(unlink(h.link), 0);
	ck_assert_int_eq(symlink(h.fifo, h.link), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, epoch_fifo_main, &h), 0);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "mosctl: start: setting the boot epoch: %s: No space left on device\n",
		 h.link);
	ck_assert_str_eq(r.err, want);
	/* 5000000 + 2^20, saved; and nothing else was written */
	ck_state("6048576\n");
	ck_cfs("key", "none\n");
	ck_cfs("table", "");
	ck_cfs("pe", "0\n");
}
END_TEST

/*
 * path made a read-only file system, for EROFS: a tmpfs mounted read-only
 * in a mount namespace of this test process alone (Check forks every test),
 * made private first so that nothing reaches the namespace it came from.
 * False where that is not allowed (not root, a restricted container).
 */
static bool mount_read_only(const char *path)
{
	return !unshare(CLONE_NEWNS) &&
	       !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
	       !mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16k");
}

#define DIR_HINT "(mosctl start keeps this node's boot epoch in %s; --state-dir DIR or " \
		 "$MOSIX_STATE_DIR names another, writable, directory)\n"

START_TEST(test_start_state_dir_errors)
{
	char p[256], sub[256], want[1024];
	struct stat st;
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);

	/* unreadable: below a file, or `epoch` is no file */
	snprintf(p, sizeof(p), "%s/sub", good_map);
	RUN(&r, NULL, "start", "--pe", "2", "--state-dir", p);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: start: %s/epoch: Not a directory (the boot epoch "
		 "saved by the last start); nothing was changed\n", p);
	ck_assert_str_eq(r.err, want);
	ck_assert_int_eq(mkdir(state_dir, 0755), 0);
	state_file(p, sizeof(p));
	ck_assert_int_eq(mkdir(p, 0755), 0);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: start: %s: Is a directory (the boot epoch "
		 "saved by the last start); nothing was changed\n", p);
	ck_assert_str_eq(r.err, want);
	ck_assert_int_eq(rmdir(p), 0);
	ck_cfs_untouched();

	/* unwritable: a read-only file system (or, not root, no permission) */
	if (geteuid()) {
		ck_assert_int_eq(chmod(state_dir, 0555), 0);
	} else if (!mount_read_only(state_dir)) {
		fprintf(stderr, "test_start_state_dir_errors: no read-only mount here: "
			"the EROFS part is skipped\n");
		return;
	}
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: start: state directory %s: %s " DIR_HINT, state_dir,
		 strerror(geteuid() ? EACCES : EROFS), state_dir);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, want);
	ck_cfs_untouched();
	ck_state(NULL);
	/* a directory to make there */
	snprintf(sub, sizeof(sub), "%s/sub", state_dir);
	RUN(&r, NULL, "start", "--pe", "2", "--state-dir", sub);
	ck_assert_int_eq(r.status, 1);
	snprintf(want, sizeof(want), "mosctl: start: creating %s: %s " DIR_HINT, sub,
		 strerror(geteuid() ? EACCES : EROFS), sub);
	ck_assert_str_eq(r.err, want);
	ck_cfs_untouched();
	/* without the module: said before modprobe runs, so nothing is loaded */
	setenv(MOSCTL_ENV_CONFIGFS, "/nonexistent/mosix", 1);
	if (stat("/sys/module/mosix", &st)) {
		RUN(&r, NULL, "start", "--pe", "2");
		ck_assert_int_eq(r.status, 1);
		snprintf(want, sizeof(want), "mosctl: start: state directory %s: %s " DIR_HINT,
			 state_dir, strerror(geteuid() ? EACCES : EROFS), state_dir);
		ck_assert_str_eq(r.err, want);
	}
	setenv(MOSCTL_ENV_CONFIGFS, cfs, 1);
	if (geteuid())
		chmod(state_dir, 0755);
	else
		ck_assert_int_eq(umount(state_dir), 0);
}
END_TEST

START_TEST(test_start_state_dir_choice)
{
	char env_dir[256], opt_dir[256], p[512], *got;
	struct stat st;
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	/* made with its parents */
	snprintf(env_dir, sizeof(env_dir), "%s/var/lib/mosix", dir);
	setenv(MOSCTL_ENV_STATE_DIR, env_dir, 1);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_int_eq(stat(env_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	snprintf(p, sizeof(p), "%s/epoch", env_dir);
	got = read_file(p, NULL);
	ck_assert_str_eq(got, PROPOSAL "\n");
	free(got);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	/* no temporary file left behind */
	snprintf(p, sizeof(p), "ls -A '%s' | grep -qvx epoch", env_dir);
	ck_assert_int_ne(system(p), 0);

	/* the option wins over the environment */
	cfs_set("pe", "0\n");
	cfs_set("state", "off\n");
	snprintf(opt_dir, sizeof(opt_dir), "%s/opt", dir);
	RUN(&r, NULL, "start", "--pe", "2", "--state-dir", opt_dir);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	snprintf(p, sizeof(p), "%s/epoch", opt_dir);
	got = read_file(p, NULL);
	ck_assert_str_eq(got, PROPOSAL "\n");
	free(got);
	/* the environment's is as it was */
	snprintf(p, sizeof(p), "%s/epoch", env_dir);
	got = read_file(p, NULL);
	ck_assert_str_eq(got, PROPOSAL "\n");
	free(got);
	ck_state(NULL);

	/* the default, unless something overrides it */
	unsetenv(MOSCTL_ENV_STATE_DIR);
	ck_assert_str_eq(mosctl_state_dir(NULL), "/var/lib/mosix");
	ck_assert_str_eq(mosctl_state_dir(""), "/var/lib/mosix");
	setenv(MOSCTL_ENV_STATE_DIR, "", 1);
	ck_assert_str_eq(mosctl_state_dir(NULL), "/var/lib/mosix");
	setenv(MOSCTL_ENV_STATE_DIR, "/e", 1);
	ck_assert_str_eq(mosctl_state_dir(NULL), "/e");
	ck_assert_str_eq(mosctl_state_dir("/o"), "/o");
}
END_TEST

/* an older module without configfs `epoch`: one warning, the node comes up */
START_TEST(test_start_without_epoch_file)
{
	char p[256], want[512];
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	state_set("5000000\n");
	cfs_path(p, sizeof(p), "epoch");
	ck_assert_int_eq(unlink(p), 0);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "node is up as PE 2\n");
	snprintf(want, sizeof(want), "mosctl: start: warning: %s does not exist: the module is "
		 "older than mosctl and takes its boot epoch from the clock alone (after the "
		 "clock went back, peers ignore this node for a while)\n", p);
	ck_assert_str_eq(r.err, want);
	ck_cfs("pe", "2");
	ck_state("5000000\n");
}
END_TEST

/* a node already up keeps its epoch, and start writes no state */
START_TEST(test_start_already_up_keeps_the_epoch)
{
	struct run r;

	etc_set("mosix.map", GOOD_MAP);
	etc_set("key", KEY_HEX);
	cfs_set("pe", "2\n");
	cfs_set("state", "up\n");
	cfs_set("table", GOOD_MAP);
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "already up as PE 2\n");
	ck_assert_str_eq(r.err, "");
	ck_cfs("epoch", PROPOSAL "\n");
	ck_state(NULL);
	state_set("5000000\n");
	RUN(&r, NULL, "start", "--pe", "2");
	ck_assert_int_eq(r.status, 0);
	ck_state("5000000\n");
	ck_cfs("epoch", PROPOSAL "\n");
}
END_TEST

struct next_case {
	uint64_t saved, proposal;
	int ret;
	uint64_t epoch;
};

static const struct next_case next_cases[] = {
	{ 0, 0, 0, 1ULL << 20 },
	{ 0, 1, 0, 1ULL << 20 },
	{ 0, (1ULL << 20) + 1, 0, (1ULL << 20) + 1 },
	{ 100, 50, 0, 100 + (1ULL << 20) },
	{ 100, 100 + (1ULL << 20), 0, 100 + (1ULL << 20) },
	{ MOSIX_EPOCH_MAX - (1ULL << 20), 0, 0, MOSIX_EPOCH_MAX },
	{ MOSIX_EPOCH_MAX - (1ULL << 20) + 1, 0, -ERANGE, 0 },
	{ UINT64_MAX, 0, -ERANGE, 0 },
	{ 0, MOSIX_EPOCH_MAX, 0, MOSIX_EPOCH_MAX },
	{ 0, MOSIX_EPOCH_MAX + 1, -ERANGE, 0 },
	{ 0, UINT64_MAX, -ERANGE, 0 },
};

START_TEST(test_epoch_next)
{
	const struct next_case *c = &next_cases[_i];
	uint64_t e = 0;

	ck_assert_uint_eq(MOSIX_EPOCH_STEP, 1ULL << 20);
	ck_assert_int_eq(mosctl_epoch_next(c->saved, c->proposal, &e), c->ret);
	if (!c->ret)
		ck_assert_uint_eq(e, c->epoch);
}
END_TEST

/* --- util.c ---------------------------------------------------------------- */

START_TEST(test_trim_and_parse_u64)
{
	static const struct {
		const char *in, *out;
	} trims[] = {
		{ "", "" }, { " \t\r\n", "" }, { "x", "x" }, { " a b\n", "a b" },
		{ "\n\n7\n", "7" }, { "\v7\f", "\v7\f" },
	};
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} nums[] = {
		{ "0", 0, 0 }, { "007", 0, 7 }, { "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "99999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { " 1", -EINVAL, 0 }, { "1 ", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 }, { "1x", -EINVAL, 0 }, { "99999999999999999999x", -EINVAL, 0 },
	};
	size_t i, n;

	for (i = 0; i < N(trims); i++) {
		const char *s = mosctl_trim(trims[i].in, strlen(trims[i].in), &n);

		ck_assert_uint_eq(n, strlen(trims[i].out));
		ck_assert_int_eq(memcmp(s, trims[i].out, n), 0);
	}
	for (i = 0; i < N(nums); i++) {
		uint64_t v = 12345;

		ck_assert_msg(mosctl_parse_u64(nums[i].s, strlen(nums[i].s), &v) == nums[i].ret,
			      "'%s'", nums[i].s);
		ck_assert_uint_eq(v, nums[i].ret ? 12345 : nums[i].v);
	}
}
END_TEST

/* files of 0.., around the limit and around the first chunk (64 KiB) */
START_TEST(test_read_all)
{
	static const struct {
		size_t size, max;
		int ret;
	} cases[] = {
		{ 0, 10, 0 }, { 1, 10, 0 }, { 10, 10, 0 }, { 11, 10, -EFBIG }, { 0, 0, 0 },
		{ 1, 0, -EFBIG }, { 65535, 1 << 20, 0 }, { 65536, 1 << 20, 0 },
		{ 65537, 1 << 20, 0 }, { 300000, 1 << 20, 0 }, { 1 << 20, 1 << 20, 0 },
		{ (1 << 20) + 1, 1 << 20, -EFBIG }, { 100000, 99999, -EFBIG },
		{ 99999, 99999, 0 }, { 65536, 65536, 0 }, { 65537, 65536, -EFBIG },
	};
	char path[256], *data, *text;
	size_t i, j, len;

	snprintf(path, sizeof(path), "%s/data", dir);
	data = malloc((1 << 20) + 1);
	ck_assert_ptr_nonnull(data);
	for (j = 0; j < (1 << 20) + 1; j++)
		data[j] = (char)('a' + j % 26);
	for (i = 0; i < N(cases); i++) {
		int fd, ret;

		write_file(path, data, cases[i].size);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		text = NULL;
		ret = mosctl_read_all(fd, cases[i].max, &text, &len);
		close(fd);
		ck_assert_msg(ret == cases[i].ret, "case %zu: %d", i, ret);
		if (ret) {
			ck_assert_ptr_null(text);
			continue;
		}
		ck_assert_uint_eq(len, cases[i].size);
		ck_assert_int_eq(memcmp(text, data, len), 0);
		ck_assert_int_eq(text[len], '\0');
		free(text);
	}
	free(data);
	/* read errors come back as they are */
	ck_assert_int_eq(mosctl_read_all(-1, 10, &text, &len), -EBADF);
}
END_TEST

/* each of words[0..n) is in the man page (when run from the top of the tree) */
static void ck_man_page_has(const char *const *words, size_t n)
{
	FILE *f = fopen("tools/mosctl.8", "r");
	char *man;
	size_t i;

	if (!f)
		return;	/* not run from the top of the tree */
	fclose(f);
	man = read_file("tools/mosctl.8", NULL);
	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(man, words[i]), "mosctl.8 lacks '%s'", words[i]);
	free(man);
}

/* the man page explains the epoch by the names mosctl uses */
START_TEST(test_man_page_documents_the_epoch)
{
	static const char *const words[] = {
		".SH \"BOOT EPOCH\"", "\\-\\-state\\-dir", "MOSIX_STATE_DIR", "/var/lib/mosix",
		"/var/lib/mosix/epoch", "/sys/kernel/config/mosix/epoch", "max(\\fIN\\fP + 2^20, \\fIP\\fP)",
		"fsync", "rename", "replay", "ratelimited", "epoch_ahead", "relay_refused",
	};

	ck_man_page_has(words, N(words));
}
END_TEST

/* the man page documents the lifecycle by the names mosctl uses */
START_TEST(test_man_page_documents_the_lifecycle)
{
	static const char *const words[] = {
		".SH SHUTDOWN", ".SH EVENTS", ".SH SYSTEMD", "evacuate", "withdraw", "wake",
		"quiesce", "notifier", "transport", "announce", "daemons", "shutdown_timeout_ms",
		"last_shutdown", "stage\\-begin", "stage\\-done", "stage\\-failed",
		"stage\\-undone", "duration_us", "ETIMEDOUT", "EINTR", "EBUSY", "EIO",
		"fault_stage", "MOSIX_ETC", "MOSIX_MODPROBE", "mosix.service",
		"systemctl enable mosix", ".B 130", "/etc/mosix/mosix.map", "/etc/mosix/key",
	};

	ck_man_page_has(words, N(words));
}
END_TEST

/* the unit file runs what make install installs */
START_TEST(test_unit_file)
{
	static const char *const lines[] = {
		"[Unit]\n", "Documentation=man:mosctl(8)\n",
		"After=network-online.target sys-kernel-config.mount\n",
		"Wants=network-online.target\n", "[Service]\n", "Type=oneshot\n",
		"RemainAfterExit=yes\n", "ExecStart=/usr/local/sbin/mosctl start\n",
		"ExecStop=/usr/local/sbin/mosctl shutdown\n", "TimeoutStopSec=90\n",
		"[Install]\n", "WantedBy=multi-user.target\n",
	};
	FILE *f = fopen("tools/mosix.service", "r");
	char *unit;
	size_t i;

	if (!f)
		return;
	fclose(f);
	unit = read_file("tools/mosix.service", NULL);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(strstr(unit, lines[i]), "mosix.service lacks '%s'", lines[i]);
	free(unit);
}
END_TEST

Suite *mosctl_suite(void)
{
	Suite *s = suite_create("mosctl");
	TCase *cli = tcase_create("cli");
	TCase *check = tcase_create("check");
	TCase *cfg = tcase_create("configfs");
	TCase *help = tcase_create("helpers");
	TCase *life = tcase_create("lifecycle");

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
	tcase_add_loop_test(cfg, test_whois_from_configfs_table, 0, N(whois_cases));
	tcase_add_test(cfg, test_whois_failures);
	tcase_add_loop_test(cfg, test_view_verbs_without_module, 0, 3);
	tcase_add_test(cfg, test_key_load_errors_name_the_file);
	tcase_add_loop_test(cfg, test_setpe_write_with_key_file, 0, N(key_write_cases));
	tcase_add_test(cfg, test_setpe_key_refused_changes_nothing);
	suite_add_tcase(s, cfg);

	tcase_add_loop_test(help, test_configfs_errno_meanings, 0, N(explain_cases));
	tcase_add_loop_test(help, test_pick_pe_from_local_addresses, 0, N(pick_cases));
	tcase_add_loop_test(help, test_table_chunks_split_at_lines, 0, N(chunk_cases));
	tcase_add_test(help, test_table_chunks_of_a_large_map);
	tcase_add_test(help, test_netlink_error_carries_extack_message);
	tcase_add_loop_test(help, test_status_output, 0, N(status_cases));
	tcase_add_test(help, test_state_names);
	tcase_add_test(help, test_json_checker_itself);
	tcase_add_test(help, test_status_text_with_view_and_counters);
	tcase_add_test(help, test_status_json_with_view_and_counters);
	tcase_add_test(help, test_status_json_extremes);
	tcase_add_test(help, test_json_strings_are_escaped);
	tcase_add_loop_test(help, test_number_formats, 0, N(fmt_cases));
	tcase_add_test(help, test_number_formats_more);
	tcase_add_test(help, test_view_merges_dump_and_table);
	tcase_add_test(help, test_view_of_a_large_table);
	tcase_add_test(help, test_netlink_node_message);
	tcase_add_test(help, test_netlink_status_message);
	tcase_add_loop_test(help, test_key_parse, 0, N(key_cases));
	tcase_add_test(help, test_man_page_lists_counters_and_drop_reasons);
	tcase_add_loop_test(help, test_event_rendering, 0, N(event_cases));
	tcase_add_test(help, test_event_sequence_text);
	tcase_add_test(help, test_event_parse_rejects);
	tcase_add_test(help, test_events_dispatch);
	tcase_add_test(help, test_family_reply_events_group);
	tcase_add_test(help, test_errno_names);
	tcase_add_test(help, test_duration_format);
	tcase_add_loop_test(help, test_last_shutdown_parse, 0, N(last_cases));
	tcase_add_loop_test(help, test_shutdown_conclusion, 0, N(conclude_cases));
	tcase_add_test(help, test_man_page_documents_the_lifecycle);
	tcase_add_test(help, test_unit_file);
	tcase_add_test(help, test_man_page_documents_the_epoch);
	tcase_add_loop_test(help, test_epoch_next, 0, N(next_cases));
	tcase_add_test(help, test_trim_and_parse_u64);
	suite_add_tcase(s, help);

	tcase_add_checked_fixture(life, start_setup, teardown);
	tcase_add_test(life, test_shutdown_through_configfs);
	tcase_add_test(life, test_shutdown_states);
	tcase_add_loop_test(life, test_shutdown_interrupted, 0, 2);
	tcase_add_test(life, test_start_brings_the_node_up);
	tcase_add_test(life, test_start_options_override_etc);
	tcase_add_loop_test(life, test_start_failures, 0, N(start_fail_cases));
	tcase_add_test(life, test_start_loads_the_module);
	tcase_add_loop_test(life, test_start_epoch, 0, N(epoch_cases));
	tcase_add_test(life, test_start_epochs_only_grow);
	tcase_add_loop_test(life, test_start_epoch_refused, 0, N(epoch_bad_cases));
	tcase_add_test(life, test_start_saves_the_epoch_first);
	tcase_add_test(life, test_start_state_dir_errors);
	tcase_add_test(life, test_start_state_dir_choice);
	tcase_add_test(life, test_start_without_epoch_file);
	tcase_add_test(life, test_start_already_up_keeps_the_epoch);
	tcase_add_test(life, test_read_all);
	tcase_set_timeout(life, 30);
	suite_add_tcase(s, life);
	return s;
}
