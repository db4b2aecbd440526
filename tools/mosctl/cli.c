// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: global options, the command table, help and version.
 * A new verb is one line in commands[] and one function.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "mosctl.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for the command list */
	const char *usage;	/* after "mosctl ", one line per form */
	const char *help;	/* the options, or NULL */
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{
		.name = "setpe",
		.fn = mosctl_cmd_setpe,
		.summary = "install, read or check the node table; set this node's number",
		.usage = "setpe -w|-W -f MAP [-p PE] [-k KEYFILE]\n"
			 "       mosctl setpe -r\n"
			 "       mosctl setpe -c -f MAP\n"
			 "       mosctl setpe -off",
		.help = "  -w, -W, --write  validate MAP, install it as the node table, then make\n"
			"                   this node PE (the node must be off or already PE)\n"
			"  -f, --file MAP   the map file, - for standard input\n"
			"  -p, --pe PE      this node's number, 1..65535; without -p it is the\n"
			"                   one PE of MAP that holds a local address\n"
			"  -k, --key-file KEYFILE\n"
			"                   with -w: install the cluster key of KEYFILE first\n"
			"                   (32..128 hex digits; the key cannot change while\n"
			"                   the node is up)\n"
			"  -r, --read       print the installed table\n"
			"  -c, --check      only validate MAP (works without the module)\n"
			"  -off, --off      take this node out of the cluster (PE 0)\n"
			"  -h, --help       show this help\n"
			"\n"
			"MAP lines: FIRST-PE ADDRESS COUNT, PE ADDRESS ALIAS, # comments.\n",
	},
	{
		.name = "status",
		.fn = mosctl_cmd_status,
		.summary = "show this node, the nodes it knows about and its counters",
		.usage = "status [--json] [-v]",
		.help = "  --json           one JSON object: state, pe, node_count, entries,\n"
			"                   table_gen, key_set, info_interval_ms, window,\n"
			"                   nodes (pe, status, self, load, cpus, speed, mem,\n"
			"                   free, util, age_ms, and for peers tx_packets,\n"
			"                   rx_packets, rx_accepted), more_unknown, stats\n"
			"  -v, --verbose    also each peer's datagrams (sent to it, arrived from\n"
			"                   it, accepted, dropped here) and every drop reason,\n"
			"                   not only those that occurred\n"
			"  -h, --help       show this help\n"
			"\n"
			"The table lists every node of the node table (up to 1024 nodes; of a\n"
			"larger one only the nodes this node knows about): STATUS is up, down,\n"
			"leaving or unknown, LOAD the load average, UTIL the CPU utilisation,\n"
			"AGE how old the information is; * marks this node.\n",
	},
	{
		.name = "isup",
		.fn = mosctl_cmd_isup,
		.summary = "tell whether node PE is up (exit 0) or not (exit 1)",
		.usage = "isup PE",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Prints \"PE is up\" (or down, leaving, unknown), from this node's view\n"
			"of the cluster.\n",
	},
	{
		.name = "getload",
		.fn = mosctl_cmd_getload,
		.summary = "print the load of node PE",
		.usage = "getload PE",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Prints the load average of node PE with two decimals, e.g. 0.25;\n"
			"fails (exit 1) unless the node is up.\n",
	},
	{
		.name = "getspeed",
		.fn = mosctl_cmd_getspeed,
		.summary = "print the speed of node PE",
		.usage = "getspeed PE",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Prints the speed figure of node PE; fails (exit 1) unless the node is up.\n",
	},
	{
		.name = "whois",
		.fn = mosctl_cmd_whois,
		.summary = "print the address of node PE, or the PE of ADDRESS",
		.usage = "whois PE|ADDRESS",
		.help = "  -h, --help       show this help\n"
			"\n"
			"A PE gives its primary address, an address (primary or ALIAS) its PE,\n"
			"from the installed node table; exit 1 if the table does not have it.\n",
	},
	{
		.name = "block",
		.fn = mosctl_cmd_block,
		.summary = "take no new guests here (their offers are refused: blocked)",
		.usage = "block",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Writes 1 to configfs's block: offers of jobs from other nodes are\n"
			"answered \"blocked\" from now on; the guests running here stay, and\n"
			"this node's own jobs still come home (mosctl noblock undoes it). Needs\n"
			"CAP_SYS_ADMIN.\n",
	},
	{
		.name = "noblock",
		.fn = mosctl_cmd_noblock,
		.summary = "take guests here again",
		.usage = "noblock",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Writes 0 to configfs's block: this node takes guests again (if it is up\n"
			"and has a migration helper with a working criu). Needs CAP_SYS_ADMIN.\n",
	},
	{
		.name = "expel",
		.fn = mosctl_cmd_expel,
		.summary = "send every guest running here away, and take no new ones",
		.usage = "expel",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Blocks new guests (as mosctl block), then moves each guest running\n"
			"here, one at a time: home if its home is up, else (or if home refuses)\n"
			"to the other up nodes, the least loaded per CPU first. Prints a line per\n"
			"move (job, from, to, time) or per refusal (why), then how many moved.\n"
			"A guest no node takes stays here. Ctrl-C stops after the move under way:\n"
			"what moved stays where it now runs, the rest runs on here. Needs root.\n"
			"Exit status: 0 if every guest moved (or there were none), 1 otherwise.\n",
	},
	{
		.name = "bring",
		.fn = mosctl_cmd_bring,
		.summary = "call every job of this node home",
		.usage = "bring",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Moves each job whose home is this node and that runs elsewhere back\n"
			"here, one at a time, printing a line per job (moved, or why it stayed).\n"
			"A user brings their own jobs; root brings all. Ctrl-C stops after the\n"
			"move under way. New jobs start here, and stay unless moved (mosctl run\n"
			"--node, mosctl migrate). Exit status: 0 if every job came home (or none\n"
			"was away), 1 otherwise.\n",
	},
	{
		.name = "shutdown",
		.fn = mosctl_cmd_shutdown,
		.summary = "take this node out of the cluster, showing every stage live",
		.usage = "shutdown [--timeout SEC]",
		.help = "  -t, --timeout SEC\n"
			"                   bound the quiesce stage by SEC seconds (1..3600)\n"
			"                   for this shutdown (configfs shutdown_timeout_ms,\n"
			"                   restored afterwards); default: its current value\n"
			"  -h, --help       show this help\n"
			"\n"
			"Writes 0 to configfs pe and prints the stages as the kernel runs them:\n"
			"evacuate, withdraw, wake, quiesce, notifier, daemons, transport. If one\n"
			"fails, the kernel undoes the finished ones and the node stays up: the failed\n"
			"stage and the reason are printed. Ctrl-C interrupts the wait of quiesce\n"
			"and rolls back. Exit status: 0 the node left the cluster (or was already\n"
			"off), 1 failed and rolled back, 2 usage, 130 interrupted and rolled back.\n",
	},
	{
		.name = "monitor",
		.fn = mosctl_cmd_monitor,
		.summary = "print the module's events as they happen, until interrupted",
		.usage = "monitor [--json]",
		.help = "  --json           one JSON object per line: event (stage-begin,\n"
			"                   stage-done, stage-failed, stage-undone, state,\n"
			"                   job-exited, mig-done, mig-progress), op (bringup,\n"
			"                   shutdown, none), stage, duration_us, errno, error,\n"
			"                   state, pe; job, uid, wait_status; move, from, to,\n"
			"                   moved, reason; phase, done_bytes, total_bytes;\n"
			"                   absent fields are left out\n"
			"  -h, --help       show this help\n"
			"\n"
			"Streams the stages of every bring-up and shutdown, every state\n"
			"change, jobs' ends, and moves' progress and ends; SIGINT or SIGTERM\n"
			"ends it (exit 0).\n",
	},
	{
		.name = "start",
		.fn = mosctl_cmd_start,
		.summary = "load the module and bring this node up from /etc/mosix",
		.usage = "start [--map MAP] [--key-file KEYFILE] [--pe PE] [--state-dir DIR]",
		.help = "  --map MAP        the node table (default /etc/mosix/mosix.map)\n"
			"  --key-file KEYFILE\n"
			"                   the cluster key (default /etc/mosix/key)\n"
			"  --pe PE          this node's number; default: the one PE of MAP\n"
			"                   that holds a local address\n"
			"  --state-dir DIR  where the boot epoch is kept (default /var/lib/mosix,\n"
			"                   or $MOSIX_STATE_DIR); it must be writable\n"
			"  -h, --help       show this help\n"
			"\n"
			"What mosix.service runs: checks MAP and KEYFILE, loads the module\n"
			"(modprobe mosix) unless it is loaded, installs the key and the table and\n"
			"brings the node up, printing the stages. A node already up as that PE\n"
			"with that table is left alone (\"already up\"). $MOSIX_ETC replaces\n"
			"/etc/mosix.\n"
			"\n"
			"Peers ignore a node whose boot epoch is not newer than the last they\n"
			"saw, even after the clock went back: before each bring-up, start saves\n"
			"the new epoch, max(saved + 2^20, the module's proposal), in DIR/epoch\n"
			"(fsync'd), then hands it to the module (configfs epoch).\n",
	},
	{
		.name = "run",
		.fn = mosctl_cmd_run,
		.summary = "run a command as a mosix job whose home is this node",
		.usage = "run [--node PE] [--name NAME] [-o FILE] [-e FILE] [--detach] [--] CMD [ARGS...]",
		.help = "  --node PE        run it on node PE: started here, it moves there at\n"
			"                   once (a line on stderr says so, or why it stayed:\n"
			"                   then it runs here); its home is this node all the same\n"
			"  --name NAME      the job's name in ps (1-31 of A-Z a-z 0-9 . _ + -;\n"
			"                   default: the command's file name)\n"
			"  -o, --output FILE\n"
			"                   the job's stdout goes to FILE (created, truncated)\n"
			"  -e, --error FILE the job's stderr goes to FILE\n"
			"  -d, --detach     print the job's id and return at once; the job's\n"
			"                   stdin is /dev/null, its output goes to -o and -e\n"
			"                   (without them it is discarded)\n"
			"  -h, --help       show this help\n"
			"\n"
			"The job runs as you, in your working directory, with your environment\n"
			"and umask, as the init's child in a PID namespace of its own, started by\n"
			"the root helper (mosctl helper, which must be running). It behaves like\n"
			"the command itself: stdin, stdout and stderr are relayed to and from\n"
			"this mosctl run, the signals it gets (HUP INT QUIT TERM USR1 USR2 ALRM\n"
			"WINCH CONT TSTP) go on to the job's process group, and it exits with the\n"
			"job's status: its exit code, 128 + N if signal N killed it, 127 if the\n"
			"command could not be started. If mosctl run itself is killed, the job\n"
			"gets SIGHUP, as from a closed terminal. The node must be up.\n",
	},
	{
		.name = "ps",
		.fn = mosctl_cmd_ps,
		.summary = "list the jobs whose home is this node",
		.usage = "ps [--json]",
		.help = "  --json           a JSON list of objects: id, name, home, where, pid\n"
			"                   (null when not visible), state (running, migrating,\n"
			"                   exited),\n"
			"                   user, uid, cmd, age_ms, and for an exited job its\n"
			"                   wait_status and exit (\"exited 3\", \"killed by SIGINT\")\n"
			"  -h, --help       show this help\n"
			"\n"
			"ID is HOME.NUM, valid cluster-wide: what wait takes. WHERE is the node\n"
			"the job runs on, PID its init's pid. STATE is running, migrating (a\n"
			"move is under way), how it ended, or lost (its helper died). The last\n"
			"256 exited jobs are kept.\n",
	},
	{
		.name = "migrate",
		.fn = mosctl_cmd_migrate,
		.summary = "move job HOME.NUM to node PE (or home); exit 0 if it moved",
		.usage = "migrate JOB PE|home",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Asks this node's migration daemon to move the job, which runs here\n"
			"or, for a job of this node (its home), anywhere: home then asks the\n"
			"node where it runs. Waits until the move ended: prints where the job runs\n"
			"and, if it stayed, why (the target is blocked, not up, leaving, has no\n"
			"usable criu or not enough memory, the job is too large or root's, a\n"
			"step failed or took too long). A move that fails leaves the job running\n"
			"where it was. Your own jobs only, unless root. Ctrl-C stops waiting,\n"
			"not the move. Exit status: 0 moved, 1 stayed or error, 2 usage.\n",
	},
	{
		.name = "wait",
		.fn = mosctl_cmd_wait,
		.summary = "wait for job HOME.NUM to end; exit with its status",
		.usage = "wait JOB",
		.help = "  -h, --help       show this help\n"
			"\n"
			"Returns at once if the job already ended. Exit status: the job's (its\n"
			"exit code, or 128 + N for signal N); 1 if there is no such job or it\n"
			"ended without a status; 2 usage.\n",
	},
	{
		.name = "helper",
		.fn = mosctl_cmd_helper,
		.summary = "the root service that starts and moves jobs",
		.usage = "helper [--socket PATH] [--mig-port PORT | --no-migration]",
		.help = "  -s, --socket PATH\n"
			"                   listen on PATH (default /run/mosix/helper.sock, or\n"
			"                   $MOSIX_HELPER_SOCKET)\n"
			"  -P, --mig-port PORT\n"
			"                   receive moving jobs' images on TCP PORT (default\n"
			"                   7311; the cluster's nodes only, encrypted)\n"
			"  -N, --no-migration\n"
			"                   start jobs only: this node neither sends nor takes\n"
			"                   jobs (mosctl migrate fails with ENOPKG)\n"
			"  -h, --help       show this help\n"
			"\n"
			"Runs as root, in the foreground. Anyone may connect; each job\n"
			"runs as the uid, gid and groups the kernel reports for the connecting\n"
			"process. One keeper process per job relays its stdio and signals and\n"
			"reports its end to the kernel; keepers outlive the helper. SIGTERM\n"
			"stops it (exit 0); running jobs go on.\n",
	},
	{
		.name = "mig-hook",
		.fn = mosctl_cmd_mig_hook,
		.summary = "(internal) criu's action script while mosctl helper moves a job",
		.usage = "mig-hook",
		.help = "  Run by criu (CRTOOLS_SCRIPT_ACTION) for mosctl helper only: at\n"
			"  post-dump it holds the frozen job until the kernel decides the move.\n",
	},
	{
		.name = "help",
		.fn = cmd_help,
		.summary = "show the commands, or the help of one command",
		.usage = "help [COMMAND]",
		.help = NULL,
	},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void mosctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("mosctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int mosctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("mosctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'mosctl %s%s')\n", cmd ? "help " : "--help",
		cmd ? cmd : "");
	return MOSCTL_EXIT_USAGE;
}

int mosctl_bad_option(const char *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];
	bool is_long = !strncmp(arg, "--", 2);

	if (c == ':') {
		if (is_long || !optopt)
			return mosctl_usage(cmd, "option '%s' needs an argument", arg);
		return mosctl_usage(cmd, "option '-%c' needs an argument", optopt);
	}
	if (optopt && is_long)
		return mosctl_usage(cmd, "option '%s' takes no argument", arg);
	if (optopt)
		return mosctl_usage(cmd, "unknown option '-%c'", optopt);
	return mosctl_usage(cmd, "unknown or ambiguous option '%s'", arg);
}

int mosctl_help_only(int argc, char **argv, int max_args)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	int c;

	optind = 0;
	opterr = 0;
	/* "+": a PE or address never looks like an option; stop at it */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		if (c == 'h') {
			mosctl_help(cmd, stdout);
			return MOSCTL_EXIT_OK;
		}
		return mosctl_bad_option(cmd, argv, c);
	}
	if (argc - optind > max_args)
		return mosctl_usage(cmd, "unexpected argument '%s'", argv[optind + max_args]);
	return -1;
}

void mosctl_help(const char *cmd, FILE *f)
{
	const struct command *c = cmd ? find_command(cmd) : NULL;
	size_t i;

	if (c) {
		fprintf(f, "Usage: mosctl %s\n\n%c%s.\n", c->usage,
			toupper((unsigned char)c->summary[0]), c->summary + 1);
		if (c->help)
			fprintf(f, "\n%s", c->help);
		return;
	}
	fputs("Usage: mosctl [--help | --version] COMMAND [ARGUMENTS]\n\n"
	      "Control the mosix cluster node of this machine.\n\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'mosctl help COMMAND' for the options of a command.\n", f);
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return mosctl_usage("help", "unexpected argument '%s'", argv[2]);
	if (argc == 2 && !find_command(argv[1]))
		return mosctl_usage(NULL, "unknown command '%s'", argv[1]);
	mosctl_help(argc == 2 ? argv[1] : NULL, stdout);
	return MOSCTL_EXIT_OK;
}

/* stdout may be a full disk or a closed pipe: that is a failure too */
static int finish(int ret)
{
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		mosctl_err("writing the output: %s", strerror(errno ? errno : EIO));
		clearerr(stdout);
		return ret ? ret : MOSCTL_EXIT_FAIL;
	}
	return ret;
}

int mosctl_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	int c;

	clearerr(stdout);
	/* 0, not 1: getopt starts over, for the next call in the same process */
	optind = 0;
	opterr = 0;
	/* "+": stop at the command, its options are its own */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			mosctl_help(NULL, stdout);
			return finish(MOSCTL_EXIT_OK);
		case 'V':
			printf("mosctl %s\n", MOSCTL_VERSION);
			return finish(MOSCTL_EXIT_OK);
		default:
			return mosctl_bad_option(NULL, argv, c);
		}
	}
	if (optind >= argc) {
		mosctl_help(NULL, stderr);
		return MOSCTL_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return mosctl_usage(NULL, "unknown command '%s'", argv[optind]);
	return finish(cmd->fn(argc - optind, argv + optind));
}
