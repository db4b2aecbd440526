// SPDX-License-Identifier: GPL-2.0
/*
 * A job's keeper: the helper forks one per `mosctl run` connection. It
 * reads the request, starts the job's init in a PID namespace of its own
 * (jobinit.c), registers the job with the kernel once the init runs as the
 * owner, and from then on is the job's home end: it relays the client's
 * stdin to the job and the job's stdout and stderr to the client's
 * descriptors, delivers the signals the client forwards, and when the job
 * ended tells the kernel (MOSIX_CMD_JOB_EXIT) and the client its status.
 * The job's stdio are pipes to the keeper, never the client's own files, so
 * that where the job runs can change while its output still lands at home.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "mosctl.h"

struct keeper {
	int conn;		/* the client; -1 once it went */
	bool detach;
	bool nohup;		/* the client ignored SIGHUP (nohup) */
	pid_t init;
	uint32_t home, num;
	bool registered;
	int cin, cout, cerr;	/* the client's descriptors */
	int jin, jout, jerr, st;	/* pipes to the job; -1 once closed */
	char ibuf[65536];	/* client stdin waiting for the job */
	size_t ilen, ioff;
	bool have_status;
	uint32_t status;
	const char *cmd;
};

static void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void klog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mosctl helper: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void send_msg(struct keeper *k, uint16_t type, uint32_t a, uint32_t b,
		     const char *text)
{
	struct mosctl_msg m;

	if (k->conn < 0)
		return;
	memset(&m, 0, sizeof(m));
	m.magic = MOSCTL_REQ_MAGIC;
	m.type = type;
	m.a = a;
	m.b = b;
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	if (send(k->conn, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
		close(k->conn);
		k->conn = -1;
	}
}

/* nothing runs: say why to the client and the log, and end */
static void __attribute__((noreturn)) refuse(struct keeper *k, int err,
					     const char *fmt, ...)
{
	char text[MOSCTL_MSG_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	klog("refused a job: %s", text);
	send_msg(k, MOSCTL_MSG_ERROR, (uint32_t)err, 0, text);
	_exit(1);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* the request and its four descriptors */
static void receive_request(struct keeper *k, struct mosctl_run_req *req,
			    int fds[MOSCTL_REQ_FDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (MOSCTL_REQ_FDS + 4))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	const char *reason;
	char *buf = malloc(MOSCTL_REQ_MAX + 1);
	int nfds = 0, err, i;
	ssize_t n;
	struct stat sb;

	if (!buf)
		refuse(k, ENOMEM, "out of memory");
	iov.iov_base = buf;
	iov.iov_len = MOSCTL_REQ_MAX + 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(k->conn, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(0);	/* the client went before asking anything */
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < (int)cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < MOSCTL_REQ_FDS)
				fds[nfds] = fd;
			else
				close(fd);
			nfds++;
		}
	}
	if ((msg.msg_flags & MSG_TRUNC) || (size_t)n > MOSCTL_REQ_MAX)
		refuse(k, E2BIG, "the request is larger than %d bytes", MOSCTL_REQ_MAX);
	if ((msg.msg_flags & MSG_CTRUNC) || nfds != MOSCTL_REQ_FDS)
		refuse(k, EPROTO, "a run request carries %d descriptors (working directory, stdin, stdout, stderr), not %d",
		       MOSCTL_REQ_FDS, nfds);
	err = mosctl_req_decode(buf, (size_t)n, req, &reason);
	free(buf);
	if (err)
		refuse(k, -err, "%s", reason);
	if (fstat(fds[0], &sb) < 0 || !S_ISDIR(sb.st_mode))
		refuse(k, ENOTDIR, "the working directory descriptor is not a directory");
}

/* the client's uid, gid and groups: only what the kernel says of the socket */
static void peer_identity(struct keeper *k, struct mosctl_jobinit *ji)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups = NULL;
	size_t size = 64;

	if (getsockopt(k->conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		refuse(k, errno, "cannot read the client's credentials: %s",
		       strerror(errno));
	for (;;) {
		gid_t *g = realloc(groups, size * sizeof(*g));

		if (!g)
			refuse(k, ENOMEM, "out of memory");
		groups = g;
		len = (socklen_t)(size * sizeof(*g));
		if (!getsockopt(k->conn, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
			break;
		if (errno != ERANGE || size >= 65536)
			refuse(k, errno, "cannot read the client's groups: %s",
			       strerror(errno));
		size = len / sizeof(*g) + 1;
	}
	ji->uid = cred.uid;
	ji->gid = cred.gid;
	ji->groups = groups;
	ji->ngroups = (int)(len / sizeof(*groups));
}

static bool read_status(int fd, struct mosctl_jobinit_status *st)
{
	ssize_t n;

	do
		n = read(fd, st, sizeof(*st));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*st);
}

static void start_job(struct keeper *k, const struct mosctl_run_req *req,
		      int fds[MOSCTL_REQ_FDS], struct mosctl_jobinit *ji)
{
	int in[2], out[2], err[2], st[2], go[2];
	struct mosctl_jobinit_status s = { 0, 0 };
	struct mosctl_nl nl;
	int e;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(st, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		refuse(k, errno, "cannot make the job's pipes: %s", strerror(errno));
	if (unshare(CLONE_NEWPID) < 0)
		refuse(k, errno, "cannot make the job's PID namespace: %s", strerror(errno));
	ji->go_fd = go[0];
	ji->status_fd = st[1];
	ji->cwd_fd = fds[0];
	ji->stdio[0] = in[0];
	ji->stdio[1] = out[1];
	ji->stdio[2] = err[1];
	ji->req = req;
	k->init = fork();
	if (k->init < 0)
		refuse(k, errno, "cannot start the job: %s", strerror(errno));
	if (!k->init)
		mosctl_jobinit(ji);
	close(go[0]);
	close(st[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(fds[0]);
	k->jin = in[1];
	k->jout = out[0];
	k->jerr = err[0];
	k->st = st[0];
	fcntl(k->jin, F_SETFL, O_NONBLOCK);

	/* the init runs as the owner now (or says why not) */
	if (!read_status(k->st, &s) || s.kind != MOSCTL_JOBINIT_READY) {
		kill(k->init, SIGKILL);
		waitpid(k->init, NULL, 0);
		refuse(k, s.kind == MOSCTL_JOBINIT_SETUP_FAILED ? (int)s.value : EIO,
		       "cannot become uid %u for the job: %s", (unsigned int)ji->uid,
		       strerror(s.kind == MOSCTL_JOBINIT_SETUP_FAILED ? (int)s.value : EIO));
	}
	e = mosctl_nl_open(&nl);
	if (!e) {
		e = mosctl_nl_job_add(&nl, (uint32_t)k->init, ji->uid, req->name,
				      req->cmd, &k->home, &k->num);
		if (e) {
			char why[sizeof(nl.ext_msg)];

			snprintf(why, sizeof(why), "%s", nl.ext_msg);
			mosctl_nl_close(&nl);
			kill(k->init, SIGKILL);
			waitpid(k->init, NULL, 0);
			refuse(k, -e, "the kernel refused the job: %s%s%s", strerror(-e),
			       *why ? ": " : "", why);
		}
		mosctl_nl_close(&nl);
	} else {
		kill(k->init, SIGKILL);
		waitpid(k->init, NULL, 0);
		refuse(k, -e, e == -ENOENT ? "the mosix module is not loaded" :
		       "cannot reach the mosix module: %s", strerror(-e));
	}
	k->registered = true;
	send_msg(k, MOSCTL_MSG_STARTED, k->home, k->num, NULL);
	if (k->conn < 0) {
		/*
		 * The client went before it heard of the job (Ctrl-C while it
		 * waited): the command never runs. The init dies waiting for go;
		 * the registry records the job killed.
		 */
		klog("job %" PRIu32 ".%" PRIu32 ": the client went before the job started; not run",
		     k->home, k->num);
		kill(k->init, SIGKILL);
	} else if (write(go[1], "g", 1) == 1) {
		klog("job %" PRIu32 ".%" PRIu32 " (uid %u) started: %s", k->home,
		     k->num, (unsigned int)ji->uid, req->cmd);
	}
	/* (a failed write: the init is gone, its status pipe says how) */
	close(go[1]);
}

/* copy what one job pipe holds to the client's descriptor */
static void relay_out(int *from, int *to)
{
	char buf[65536];
	ssize_t n = read(*from, buf, sizeof(buf));
	size_t off = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(from);
		return;
	}
	while (*to >= 0 && off < (size_t)n) {
		ssize_t w = write(*to, buf + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* nobody reads at home: the job gets EPIPE, as it would */
			close_fd(to);
			close_fd(from);
			return;
		}
		off += (size_t)w;
	}
	if (*to < 0)
		close_fd(from);
}

static void relay_in(struct keeper *k)
{
	ssize_t n = read(k->cin, k->ibuf, sizeof(k->ibuf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(&k->cin);
		close_fd(&k->jin);	/* EOF for the job */
		return;
	}
	k->ilen = (size_t)n;
	k->ioff = 0;
}

static void feed_job(struct keeper *k)
{
	ssize_t w = write(k->jin, k->ibuf + k->ioff, k->ilen - k->ioff);

	if (w < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (w <= 0) {
		/* the job closed its stdin: the rest is dropped */
		k->ilen = k->ioff = 0;
		close_fd(&k->jin);
		close_fd(&k->cin);
		return;
	}
	k->ioff += (size_t)w;
	if (k->ioff == k->ilen)
		k->ilen = k->ioff = 0;
}

static void client_record(struct keeper *k)
{
	struct mosctl_msg m;
	const char *reason;
	ssize_t n = recv(k->conn, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* the client is gone: a hang-up, as a closed terminal is */
		close_fd(&k->conn);
		if (!k->detach && !k->nohup)
			kill(k->init, SIGHUP);
		return;
	}
	if (mosctl_msg_check(&m, (size_t)n, &reason) || m.type != MOSCTL_MSG_SIGNAL ||
	    !m.a || m.a >= (uint32_t)NSIG) {
		klog("job %" PRIu32 ".%" PRIu32 ": a bad record from the client ignored: %s",
		     k->home, k->num, mosctl_msg_check(&m, (size_t)n, &reason) ? reason :
		     "not a signal of 1..64");
		return;
	}
	kill(k->init, (int)m.a);
}

static void job_status(struct keeper *k)
{
	struct mosctl_jobinit_status s;
	char text[MOSCTL_MSG_TEXT_MAX];

	if (read_status(k->st, &s)) {
		if (s.kind == MOSCTL_JOBINIT_EXITED) {
			k->status = s.value;
		} else {
			snprintf(text, sizeof(text), "%s: %s", k->cmd,
				 strerror((int)s.value));
			send_msg(k, MOSCTL_MSG_ERROR, s.value, 0, text);
			k->status = (s.kind == MOSCTL_JOBINIT_EXEC_FAILED ? 127 : 125) << 8;
		}
		k->have_status = true;
	}
	close_fd(&k->st);
}

/* the init's wait status, without reaping it */
static uint32_t init_status(pid_t init)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)init, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	switch (si.si_code) {
	case CLD_EXITED:
		return (uint32_t)(si.si_status & 0xff) << 8;
	case CLD_KILLED:
		return (uint32_t)si.si_status;
	case CLD_DUMPED:
		return (uint32_t)si.si_status | 0x80;
	default:
		return 125 << 8;
	}
}

static void finish(struct keeper *k)
{
	struct mosctl_nl nl;
	char how[64];
	int e;

	/*
	 * Report, then reap: until the init is reaped the kernel sees it alive,
	 * so no reader ever finds the job gone without its status.
	 */
	/* no status from the init: it was killed, and the job with it */
	if (!k->have_status)
		k->status = init_status(k->init);
	e = mosctl_nl_open(&nl);
	if (!e) {
		e = mosctl_nl_job_exit(&nl, k->num, k->status);
		mosctl_nl_close(&nl);
	}
	if (e)
		klog("job %" PRIu32 ".%" PRIu32 ": cannot report its end to the kernel: %s",
		     k->home, k->num, strerror(-e));
	while (waitpid(k->init, NULL, 0) < 0 && errno == EINTR)
		;
	klog("job %" PRIu32 ".%" PRIu32 " %s", k->home, k->num,
	     mosctl_fmt_wait_status(how, sizeof(how), k->status));
	send_msg(k, MOSCTL_MSG_EXITED, k->status, 0, NULL);
}

void mosctl_keeper(int conn)
{
	struct keeper k = { .conn = conn, .cin = -1, .cout = -1, .cerr = -1,
			    .jin = -1, .jout = -1, .jerr = -1, .st = -1 };
	struct mosctl_run_req req;
	struct mosctl_jobinit ji;
	int fds[MOSCTL_REQ_FDS];

	prctl(PR_SET_NAME, "mosix-keeper");
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	memset(&ji, 0, sizeof(ji));
	receive_request(&k, &req, fds);
	k.detach = req.flags & MOSCTL_REQ_DETACH;
	k.nohup = req.sigign >> (SIGHUP - 1) & 1;
	k.cin = fds[1];
	k.cout = fds[2];
	k.cerr = fds[3];
	k.cmd = req.argv[0];
	peer_identity(&k, &ji);
	start_job(&k, &req, fds, &ji);

	while (k.st >= 0 || k.jout >= 0 || k.jerr >= 0) {
		struct pollfd p[6];
		int n = 0, i_conn = -1, i_cin = -1, i_jin = -1, i_out = -1,
		    i_err = -1, i_st = -1;

#define WATCH(idx, f, ev) do { idx = n; p[n].fd = (f); p[n].events = (ev); \
		p[n++].revents = 0; } while (0)
		if (k.conn >= 0)
			WATCH(i_conn, k.conn, POLLIN);
		if (k.cin >= 0 && k.jin >= 0 && !k.ilen)
			WATCH(i_cin, k.cin, POLLIN);
		if (k.jin >= 0 && k.ilen)
			WATCH(i_jin, k.jin, POLLOUT);
		if (k.jout >= 0)
			WATCH(i_out, k.jout, POLLIN);
		if (k.jerr >= 0)
			WATCH(i_err, k.jerr, POLLIN);
		if (k.st >= 0)
			WATCH(i_st, k.st, POLLIN);
#undef WATCH
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (i_conn >= 0 && p[i_conn].revents)
			client_record(&k);
		if (i_cin >= 0 && p[i_cin].revents)
			relay_in(&k);
		if (i_jin >= 0 && p[i_jin].revents && k.jin >= 0)
			feed_job(&k);
		if (i_out >= 0 && p[i_out].revents)
			relay_out(&k.jout, &k.cout);
		if (i_err >= 0 && p[i_err].revents)
			relay_out(&k.jerr, &k.cerr);
		if (i_st >= 0 && p[i_st].revents)
			job_status(&k);
	}
	finish(&k);
	mosctl_req_free(&req);
	free(ji.groups);
	_exit(0);
}
