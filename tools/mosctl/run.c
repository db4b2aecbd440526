// SPDX-License-Identifier: GPL-2.0
/*
 * `mosctl run` (openMosix's mosrun): start a command as a mosix job whose
 * home is this node, through the root helper. It behaves like the command
 * itself: its stdin, stdout and stderr are handed to the job's keeper,
 * which relays them wherever the job runs; the signals a user sends it
 * (Ctrl-C, kill) go on to the job; it exits with the job's status (128 + N
 * for signal N). Signals it was started with ignored stay ignored, for the
 * job too, as they would for the command run directly (nohup). With
 * --detach it prints the job's id and returns at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "mosctl.h"

extern char **environ;

/* what a terminal or kill(1) sends that the job should get */
static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
	SIGWINCH, SIGCONT, SIGTSTP,
};
#define NR_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* full: the signal is dropped, as a pending duplicate would be */
	}
	errno = saved;
}

static int connect_helper(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = mosctl_helper_socket();
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		mosctl_err("run: helper socket path %s is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mosctl_err("run: socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			mosctl_err("run: no helper listens on %s: start it as root: mosctl helper (mosctl(8), JOBS)",
				   path);
		else
			mosctl_err("run: cannot reach the helper at %s: %s", path,
				   strerror(e));
		return -1;
	}
	return fd;
}

static int send_request(int conn, const char *buf, size_t len, const int fds[4])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MOSCTL_REQ_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * MOSCTL_REQ_FDS);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * MOSCTL_REQ_FDS);
	if (sendmsg(conn, &msg, MSG_NOSIGNAL) < 0) {
		if (errno == EMSGSIZE)
			mosctl_err("run: the command line and environment are too large for the helper (%d bytes at most)",
				   MOSCTL_REQ_MAX);
		else
			mosctl_err("run: cannot send the request to the helper: %s",
				   strerror(errno));
		return -1;
	}
	return 0;
}

static int open_output(const char *path, const char *opt)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0)
		mosctl_err("run: %s %s: %s", opt, path, strerror(errno));
	return fd;
}

/*
 * A closed stdin, stdout or stderr becomes /dev/null for the job (as nohup
 * would give it), and no descriptor opened here can take its number.
 */
static void fill_closed_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			break;	/* (a lower one closed again: cannot happen) */
}

static void forward(int conn, int sig)
{
	struct mosctl_msg m;

	memset(&m, 0, sizeof(m));
	m.magic = MOSCTL_REQ_MAGIC;
	m.type = MOSCTL_MSG_SIGNAL;
	m.a = (uint32_t)sig;
	if (send(conn, &m, sizeof(m), MSG_NOSIGNAL) < 0)
		return;
	/* Ctrl-Z: the job stops, and so does this stand-in, for the shell */
	if (sig == SIGTSTP)
		kill(getpid(), SIGSTOP);
}

/*
 * --node PE: the job, started here, moves there at once (its first output
 * may come from here). The line saying how it went is on stderr; a job that
 * cannot move runs on here. 0 moved or stayed, -1 could not ask.
 */
static int move_to(uint32_t home, uint32_t num, uint32_t pe)
{
	struct mosctl_nl req, ev;
	int r;

	if (mosctl_moves_open(&req, &ev, "run --node"))
		return -1;
	r = mosctl_move(&req, &ev, "run --node", home, num, pe, true, stderr);
	mosctl_moves_close(&req, &ev);
	return r < 0 ? -1 : 0;
}

/* the same beside the relay: in a child of its own, so stdio goes on meanwhile */
static pid_t move_beside(int conn, uint32_t home, uint32_t num, uint32_t pe)
{
	pid_t pid = fork();
	unsigned int i;

	if (pid < 0) {
		mosctl_err("run: --node %" PRIu32 ": fork: %s; job %" PRIu32 ".%" PRIu32
			   " runs here", pe, strerror(errno), home, num);
		return -1;
	}
	if (pid)
		return pid;
	/* (the job's signals are the parent's to forward; this one waits the move out) */
	close(conn);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	for (i = 0; i < NR_FORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	_exit(move_to(home, num, pe) ? MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK);
}

int mosctl_cmd_run(int argc, char **argv)
{
	enum { OPT_NAME = 256, OPT_NODE };
	static const struct option options[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "detach", no_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "error", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *out = NULL, *errf = NULL, *reason;
	int fds[MOSCTL_REQ_FDS] = { -1, -1, -1, -1 };
	bool detach = false, started = false;
	int c, conn = -1, ret = MOSCTL_EXIT_FAIL, i;
	uint32_t home = 0, num = 0, node = 0;
	pid_t mover = -1;
	uint64_t sigign = 0;
	struct sigaction sa;
	mode_t mask;
	size_t len;
	char *req;

	optind = 0;
	opterr = 0;
	/* "+": the command's own options are not mosctl's */
	while ((c = getopt_long(argc, argv, "+:do:e:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			if (mosix_job_name_check(optarg, strlen(optarg), &reason))
				return mosctl_usage("run", "--name '%s': %s", optarg, reason);
			name = optarg;
			break;
		case OPT_NODE:
			if (mosix_parse_decimal(optarg, strlen(optarg), MOSIX_PE_MAX, &node) || !node)
				return mosctl_usage("run", "--node '%s': not a node (a PE, 1..65535)",
						    optarg);
			break;
		case 'd':
			detach = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'e':
			errf = optarg;
			break;
		case 'h':
			mosctl_help("run", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("run", argv, c);
		}
	}
	if (optind >= argc)
		return mosctl_usage("run", "missing the command to run (mosctl run [OPTIONS] -- CMD [ARGS...])");
	if (!*argv[optind])
		return mosctl_usage("run", "the command is an empty string");

	fill_closed_stdio();
	mask = umask(0);
	umask(mask);
	/* ignored signals: the job's too, and never forwarded (nohup, a shell's &) */
	for (i = 1; i <= 64 && i < NSIG; i++) {
		struct sigaction old;

		if (!sigaction(i, NULL, &old) && old.sa_handler == SIG_IGN)
			sigign |= 1ULL << (i - 1);
	}
	i = mosctl_req_encode(name, detach ? MOSCTL_REQ_DETACH : 0, sigign,
			      (uint32_t)mask, argv + optind, environ, &req, &len);
	if (i == -E2BIG) {
		mosctl_err("run: the command line and environment are larger than %d bytes",
			   MOSCTL_REQ_MAX);
		return MOSCTL_EXIT_FAIL;
	}
	if (i) {
		mosctl_err("run: %s", strerror(-i));
		return MOSCTL_EXIT_FAIL;
	}
	fds[0] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds[0] < 0) {
		mosctl_err("run: cannot open the working directory: %s", strerror(errno));
		goto out;
	}
	fds[1] = detach ? open("/dev/null", O_RDONLY | O_CLOEXEC) : fcntl(0, F_DUPFD_CLOEXEC, 3);
	fds[2] = out ? open_output(out, "-o") :
		 detach ? open("/dev/null", O_WRONLY | O_CLOEXEC) : fcntl(1, F_DUPFD_CLOEXEC, 3);
	fds[3] = errf ? open_output(errf, "-e") :
		 detach ? open("/dev/null", O_WRONLY | O_CLOEXEC) : fcntl(2, F_DUPFD_CLOEXEC, 3);
	for (i = 1; i < MOSCTL_REQ_FDS; i++) {
		if (fds[i] < 0) {
			if ((i != 2 || !out) && (i != 3 || !errf))
				mosctl_err("run: %s: %s",
					   i == 1 ? "stdin" : i == 2 ? "stdout" : "stderr",
					   strerror(errno));
			goto out;
		}
	}
	conn = connect_helper();
	if (conn < 0)
		goto out;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		mosctl_err("run: pipe: %s", strerror(errno));
		goto out;
	}
	/* from here on, a signal is the job's, not this stand-in's */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < (int)NR_FORWARDED; i++)
		if (!(sigign >> (forwarded[i] - 1) & 1))
			sigaction(forwarded[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (send_request(conn, req, len, fds))
		goto out;
	for (i = 0; i < MOSCTL_REQ_FDS; i++) {
		close(fds[i]);
		fds[i] = -1;
	}

	for (;;) {
		struct pollfd p[2] = { { conn, POLLIN, 0 }, { sig_pipe[0], POLLIN, 0 } };
		struct mosctl_msg m;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			mosctl_err("run: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents) {
			unsigned char s[64];
			ssize_t k = read(sig_pipe[0], s, sizeof(s));

			/* before the job runs, there is nobody to give them to */
			for (i = 0; started && i < k; i++)
				forward(conn, s[i]);
			if (!started && k > 0) {
				mosctl_err("run: interrupted before the job started");
				ret = 128 + s[0];
				break;
			}
		}
		if (!p[0].revents)
			continue;
		n = recv(conn, &m, sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (started)
				mosctl_err("run: lost the helper: job %" PRIu32 ".%" PRIu32 " goes on without this terminal (mosctl ps, mosctl wait)",
					   home, num);
			else
				mosctl_err("run: the helper closed the connection without starting the job (see its log)");
			break;
		}
		if (mosctl_msg_check(&m, (size_t)n, &reason)) {
			mosctl_err("run: the helper sent %s", reason);
			break;
		}
		if (m.type == MOSCTL_MSG_STARTED && !started) {
			started = true;
			home = m.a;
			num = m.b;
			if (node == home || node == mosctl_self_pe())
				node = 0;
			if (detach) {
				printf("%" PRIu32 ".%" PRIu32 "\n", home, num);
				fflush(stdout);
				if (node)
					move_to(home, num, node);
				ret = MOSCTL_EXIT_OK;
				break;
			}
			if (node)
				mover = move_beside(conn, home, num, node);
		} else if (m.type == MOSCTL_MSG_ERROR) {
			mosctl_err("run: %s", m.text);
			/* an exec failure comes with the job's status after it */
			if (!started)
				break;
		} else if (m.type == MOSCTL_MSG_EXITED) {
			ret = mosctl_wait_status_exit(m.a);
			break;
		}
	}
out:
	/* (the job ended or went on without us: its --node move's report is moot) */
	if (mover > 0 && !waitpid(mover, NULL, WNOHANG)) {
		kill(mover, SIGKILL);
		while (waitpid(mover, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (i = 0; i < MOSCTL_REQ_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (conn >= 0)
		close(conn);
	for (i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		sig_pipe[i] = -1;
	}
	free(req);
	return ret;
}
