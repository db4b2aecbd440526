// SPDX-License-Identifier: GPL-2.0
/*
 * `mosctl helper`: the root service that starts jobs for `mosctl run`.
 * Making a PID namespace needs CAP_SYS_ADMIN, which a user running a job
 * lacks, so the helper does it for them: it listens on a unix socket anyone
 * may connect to, and forks a keeper (keeper.c) for each connection, which
 * runs the job as the uid, gid and groups the kernel reports for the
 * socket's peer (SO_PEERCRED, SO_PEERGROUPS), never as anyone the request
 * names. Keepers outlive the helper, so a restart of the helper loses no
 * job (under systemd that takes KillMode=process: stop the helper only).
 * Under systemd (Type=notify) it says READY=1 once it listens, so that
 * nothing ordered after it finds the socket missing.
 *
 * It also forks the node's migration helper (migsvc.c), which registers
 * with the kernel and moves jobs when the kernel says so; --no-migration
 * leaves it out (the node then neither sends nor takes jobs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "mosctl.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		mosctl_err("helper: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* a socket bound and listening at path; -1 with the error printed */
static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		mosctl_err("helper: socket path %s is longer than %zu bytes", path,
			   sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (make_parent_dir(path))
		return -1;
	/* a socket file left by a helper that died: only if nobody answers */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
		close(probe);
		mosctl_err("helper: another helper already listens on %s", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) < 0 && errno != ENOENT) {
		mosctl_err("helper: cannot remove the old %s: %s", path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
		mosctl_err("helper: cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * sd_notify(0, "READY=1") without libsystemd: one datagram to the socket
 * systemd names in NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace). The variable goes, so that no keeper or job inherits it.
 */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(sa.sun_path)) {
		mosctl_err("helper: NOTIFY_SOCKET '%s' is not a socket path: not telling systemd", path);
		goto out;
	}
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa,
			     offsetof(struct sockaddr_un, sun_path) + len) < 0)
		mosctl_err("helper: cannot tell systemd it is ready (%s): %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
out:
	unsetenv("NOTIFY_SOCKET");
}

int mosctl_cmd_helper(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "mig-port", required_argument, NULL, 'P' },
		{ "no-migration", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = mosctl_helper_socket();
	uint16_t mig_port = MOSCTL_MIG_PORT_DEFAULT;
	bool migration = true;
	pid_t mig = 0;
	struct sigaction sa;
	int c, fd;
	uint32_t v;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:P:Nh", options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!*optarg)
				return mosctl_usage("helper", "--socket needs a path");
			path = optarg;
			break;
		case 'P':
			if (mosix_parse_decimal(optarg, strlen(optarg), 65535, &v) || !v)
				return mosctl_usage("helper", "--mig-port takes a TCP port, 1..65535, not '%s'",
						    optarg);
			mig_port = (uint16_t)v;
			break;
		case 'N':
			migration = false;
			break;
		case 'h':
			mosctl_help("helper", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("helper", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("helper", "unexpected argument '%s'", argv[optind]);
	if (geteuid() != 0) {
		mosctl_err("helper: must run as root (it starts each job as its owner, in a PID namespace of its own)");
		return MOSCTL_EXIT_FAIL;
	}
	fd = listen_at(path);
	if (fd < 0)
		return MOSCTL_EXIT_FAIL;
	/* keepers are reaped by the kernel; the helper never waits for one */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "mosctl helper: listening on %s\n", path);
	if (migration) {
		mig = fork();
		if (!mig) {
			close(fd);
			mosctl_migsvc_run(mig_port);
		}
		if (mig < 0)
			mosctl_err("helper: cannot start the migration helper: %s", strerror(errno));
	}
	notify_ready();
	while (!stop_signal) {
		int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (conn < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				mosctl_err("helper: accept: %s", strerror(errno));
			continue;
		}
		pid = fork();
		if (!pid) {
			close(fd);
			mosctl_keeper(conn);
		}
		if (pid < 0)
			mosctl_err("helper: cannot start a keeper: %s", strerror(errno));
		close(conn);
	}
	unlink(path);
	close(fd);
	if (mig > 0)
		kill(mig, SIGTERM);
	fprintf(stderr, "mosctl helper: stopped (signal %d); running jobs go on\n",
		(int)stop_signal);
	return MOSCTL_EXIT_OK;
}
