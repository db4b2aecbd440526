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
 *
 * When the job moves (migsvc.c), its pipes here end (the kernel killed the
 * frozen copy) and its new node's helper connects back to the keeper's TCP
 * port, authenticated with the job's relay key (relay.c), which went there
 * inside the encrypted image stream. The keeper reads one place at a time,
 * in order: the local pipes to their end, then each connection to its end,
 * so that the job's output stays in order, without a gap or a repeat.
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
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include "mosctl.h"
#include "relay.h"

/* relay connections waiting their turn, beyond the one read now */
#define KEEPER_CONNS	8
/*
 * A job elsewhere is lost with its node when the cluster view has held that
 * node down for this long while no relay connection from it is open (TCP
 * keepalive closes one whose peer stopped answering): a node only starved of
 * CPU for a while still answers keepalives, a crashed one does not.
 */
#define KEEPER_CHECK_MS	2000
#define KEEPER_LOST_S	15
#define KEEPER_KEEPIDLE_S	5
#define KEEPER_KEEPINTVL_S	5
#define KEEPER_KEEPCNT	3
/*
 * Relay connections whose handshake is under way: the keeper sends its hello
 * and goes on relaying; the reply (a fixed MOSCTL_RELAY_REPLY_LEN bytes) is
 * read once all of it is there, or the connection goes after this long. A
 * peer that connects and says nothing costs a slot, never the job's output.
 */
#define KEEPER_PENDING		4
#define KEEPER_HANDSHAKE_S	10

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
	/* the job's way home when it runs elsewhere */
	int lfd;			/* the relay port; -1: none */
	char ticket[160];		/* its ticket's path; "" when none written */
	char init_dir[80];		/* the init's working folder; "" when none */
	uint8_t key[MOSCTL_RELAY_KEY_LEN];
	struct mosctl_relay conns[KEEPER_CONNS];	/* [0]: the one read now */
	int nconns;
	struct mosctl_relay pend[KEEPER_PENDING];	/* hello sent, no reply yet */
	time_t pend_until[KEEPER_PENDING];
	int npend;
	bool away;			/* the local copy left */
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

/*
 * The init's working folder, its owner's: MOSCTL_JOBS_DIR/<16 random hex>.
 * A job that moves finds it again at the same path (the target's helper
 * makes it); without one the job runs, but cannot move.
 */
static void make_init_dir(struct keeper *k, struct mosctl_jobinit *ji)
{
	unsigned char r[8];
	char *p = k->init_dir;
	int i;

	mkdir(MOSCTL_RUN_DIR, 0755);
	mkdir(MOSCTL_JOBS_DIR, 0755);
	randombytes_buf(r, sizeof(r));
	p += snprintf(p, sizeof(k->init_dir), "%s/", MOSCTL_JOBS_DIR);
	for (i = 0; i < 8; i++)
		p += sprintf(p, "%02x", r[i]);
	if (mkdir(k->init_dir, 0700) < 0 || chown(k->init_dir, ji->uid, ji->gid) < 0) {
		klog("cannot make %s, the job will not move: %s", k->init_dir, strerror(errno));
		rmdir(k->init_dir);
		k->init_dir[0] = '\0';
		return;
	}
	ji->init_dir = k->init_dir;
}

static void write_ticket(struct keeper *k);

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
	make_init_dir(k, ji);
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
	/* the ticket first: mosctl run --node moves the job as soon as it hears of it */
	write_ticket(k);
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

static void signal_job(struct keeper *k, int sig);

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
			signal_job(k, SIGHUP);
		return;
	}
	if (mosctl_msg_check(&m, (size_t)n, &reason) || m.type != MOSCTL_MSG_SIGNAL ||
	    !m.a || m.a >= (uint32_t)NSIG) {
		klog("job %" PRIu32 ".%" PRIu32 ": a bad record from the client ignored: %s",
		     k->home, k->num, mosctl_msg_check(&m, (size_t)n, &reason) ? reason :
		     "not a signal of 1..64");
		return;
	}
	signal_job(k, (int)m.a);
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
		k->status = init_status(k->init);	/* (an away job always has one) */
	e = mosctl_nl_open(&nl);
	if (!e) {
		e = mosctl_nl_job_exit(&nl, 0, k->num, k->status);
		mosctl_nl_close(&nl);
	}
	if (e)
		klog("job %" PRIu32 ".%" PRIu32 ": cannot report its end to the kernel: %s",
		     k->home, k->num, strerror(-e));
	while (!k->away && waitpid(k->init, NULL, 0) < 0 && errno == EINTR)
		;
	klog("job %" PRIu32 ".%" PRIu32 " %s", k->home, k->num,
	     mosctl_fmt_wait_status(how, sizeof(how), k->status));
	send_msg(k, MOSCTL_MSG_EXITED, k->status, 0, NULL);
}

/* the job's relay ticket: how its helper elsewhere reaches this keeper */
static void write_ticket(struct keeper *k)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	socklen_t len = sizeof(sa);
	struct mosctl_relay_ticket t;
	const int fds[MOSCTL_RELAY_PIPES] = { k->jin, k->jout, k->jerr, k->st };
	char text[1024];
	struct stat sb;
	int i, zero = 0, n, e;

	memset(&t, 0, sizeof(t));
	k->lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (k->lfd < 0 || setsockopt(k->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(k->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(k->lfd, KEEPER_CONNS) ||
	    getsockname(k->lfd, (struct sockaddr *)&sa, &len)) {
		klog("job %" PRIu32 ".%" PRIu32 ": no relay port, it cannot move: %s", k->home,
		     k->num, strerror(errno));
		if (k->lfd >= 0)
			close(k->lfd);
		k->lfd = -1;
		return;
	}
	randombytes_buf(k->key, sizeof(k->key));
	t.home = k->home;
	t.num = k->num;
	t.port = ntohs(sa.sin6_port);
	memcpy(t.key, k->key, sizeof(t.key));
	for (i = 0; i < MOSCTL_RELAY_PIPES; i++)
		t.pipe_ino[i] = fstat(fds[i], &sb) ? 0 : (uint64_t)sb.st_ino;
	n = mosctl_relay_ticket_format(&t, text, sizeof(text));
	sodium_memzero(&t, sizeof(t));
	if (n < 0)
		return;
	mkdir(MOSCTL_RUN_DIR, 0755);
	mkdir(MOSCTL_RELAY_DIR, 0700);
	snprintf(k->ticket, sizeof(k->ticket), "%s/%" PRIu32 ".%" PRIu32, MOSCTL_RELAY_DIR,
		 k->home, k->num);
	e = mosctl_write_file(k->ticket, text, (size_t)n);
	if (e) {
		klog("job %" PRIu32 ".%" PRIu32 ": cannot write %s, it cannot move: %s", k->home,
		     k->num, k->ticket, strerror(-e));
		k->ticket[0] = '\0';
	}
	sodium_memzero(text, sizeof(text));
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* pend[i] leaves the list (the slot it leaves at the end is wiped) */
static void unlist_pending(struct keeper *k, int i)
{
	k->npend--;
	memmove(k->pend + i, k->pend + i + 1, (size_t)(k->npend - i) * sizeof(k->pend[0]));
	memmove(k->pend_until + i, k->pend_until + i + 1,
		(size_t)(k->npend - i) * sizeof(k->pend_until[0]));
	sodium_memzero(&k->pend[k->npend], sizeof(k->pend[0]));
}

static void drop_pending(struct keeper *k, int i)
{
	close(k->pend[i].fd);
	mosctl_relay_wipe(&k->pend[i]);
	unlist_pending(k, i);
}

/* the handshakes past their time go */
static void expire_pending(struct keeper *k)
{
	time_t now = now_s();
	int i = 0;

	while (i < k->npend) {
		if (now < k->pend_until[i]) {
			i++;
			continue;
		}
		klog("job %" PRIu32 ".%" PRIu32 ": a relay connection refused: no reply to the hello in %d s",
		     k->home, k->num, KEEPER_HANDSHAKE_S);
		drop_pending(k, i);
	}
}

/* a helper elsewhere connects for the job: the keeper's hello, the reply later */
static void accept_relay(struct keeper *k)
{
	struct timeval tv = { 10, 0 };
	int lowat = MOSCTL_RELAY_REPLY_LEN;
	char err[200];
	int c = accept4(k->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	if (k->npend == KEEPER_PENDING || k->nconns + k->npend >= KEEPER_CONNS) {
		klog("job %" PRIu32 ".%" PRIu32 ": a relay connection refused: %d open already",
		     k->home, k->num, k->nconns + k->npend);
		close(c);
		return;
	}
	/* (the hello fits in a new socket's buffer; poll wakes for the whole reply) */
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	if (mosctl_relay_accept_begin(&k->pend[k->npend], c, k->key, k->home, k->num, err,
				      sizeof(err))) {
		klog("job %" PRIu32 ".%" PRIu32 ": a relay connection refused: %s", k->home,
		     k->num, err);
		close(c);
		return;
	}
	k->pend_until[k->npend++] = now_s() + KEEPER_HANDSHAKE_S;
}

/* pend[i] has its whole reply (or closed): it joins the others, its turn after theirs */
static void finish_relay(struct keeper *k, int i)
{
	struct mosctl_relay *r = &k->pend[i];
	int c = r->fd, lowat = 1;
	char err[200];

	if (mosctl_relay_accept_end(r, k->key, err, sizeof(err))) {
		klog("job %" PRIu32 ".%" PRIu32 ": a relay connection refused: %s", k->home,
		     k->num, err);
		drop_pending(k, i);
		return;
	}
	setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	k->conns[k->nconns] = *r;
	unlist_pending(k, i);
	/* a peer that crashed sends nothing more: keepalive ends the connection */
	setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 }, sizeof(int));
	setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &(int){ KEEPER_KEEPIDLE_S }, sizeof(int));
	setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &(int){ KEEPER_KEEPINTVL_S }, sizeof(int));
	setsockopt(c, IPPROTO_TCP, TCP_KEEPCNT, &(int){ KEEPER_KEEPCNT }, sizeof(int));
	k->nconns++;
}

/* the handshakes under way, into p from n on: how many */
static int watch_pending(const struct keeper *k, struct pollfd *p, int n)
{
	int i;

	for (i = 0; i < k->npend; i++) {
		p[n + i].fd = k->pend[i].fd;
		p[n + i].events = POLLIN;
		p[n + i].revents = 0;
	}
	return k->npend;
}

/* the count handshakes watched from p[first] on: finished or expired */
static void serve_pending(struct keeper *k, const struct pollfd *p, int first, int count)
{
	int i;

	/* (from the last: a finished one leaves the list) */
	for (i = count - 1; i >= 0; i--)
		if (p[first + i].revents)
			finish_relay(k, i);
	expire_pending(k);
}

static void pop_relay(struct keeper *k)
{
	close(k->conns[0].fd);
	mosctl_relay_wipe(&k->conns[0]);
	memmove(k->conns, k->conns + 1, (size_t)(k->nconns - 1) * sizeof(k->conns[0]));
	k->nconns--;
}

/* did the job leave: the registry says it runs elsewhere */
static bool job_left(struct keeper *k)
{
	struct mosctl_job *jobs = NULL;
	struct mosctl_nl nl;
	size_t n = 0, i;
	bool left = false;

	if (mosctl_nl_open(&nl))
		return false;
	if (!mosctl_nl_get_jobs(&nl, &jobs, &n))
		for (i = 0; i < n; i++)
			if (jobs[i].home == k->home && jobs[i].num == k->num)
				left = jobs[i].state != MOSIX_JOB_EXITED &&
				       jobs[i].where != k->home;
	free(jobs);
	mosctl_nl_close(&nl);
	return left;
}

/* (a reader gone at home: what the job writes is dropped, as relay_out does) */
static void write_all(int *to, const void *buf, size_t len)
{
	if (*to >= 0 && mosctl_write_full(*to, buf, len))
		close_fd(to);
}

/* the home registry learns where its job runs now */
static void tell_where(struct keeper *k, uint32_t pe)
{
	struct mosctl_nl nl;
	int e = mosctl_nl_open(&nl);

	if (!e) {
		e = mosctl_nl_job_where(&nl, k->num, pe);
		mosctl_nl_close(&nl);
	}
	/* (EBUSY: it came home, the move said so already) */
	if (e && e != -EBUSY)
		klog("job %" PRIu32 ".%" PRIu32 ": cannot record that it runs on node %" PRIu32 ": %s",
		     k->home, k->num, pe, strerror(-e));
}

/* one record from where the job runs now */
static void relay_record(struct keeper *k)
{
	static char buf[MOSCTL_RELAY_CHUNK];
	char err[200], text[MOSCTL_MSG_TEXT_MAX];
	uint32_t kind, value;
	uint8_t type;
	size_t len;
	int e = mosctl_relay_recv(&k->conns[0], &type, buf, sizeof(buf), &len, err, sizeof(err));

	if (e) {
		if (e < 0 && e != -ECONNRESET)
			klog("job %" PRIu32 ".%" PRIu32 ": relay: %s", k->home, k->num, err);
		pop_relay(k);
		return;
	}
	switch (type) {
	case MOSCTL_RELAY_OUT:
		write_all(&k->cout, buf, len);
		break;
	case MOSCTL_RELAY_ERR:
		write_all(&k->cerr, buf, len);
		break;
	case MOSCTL_RELAY_STATUS:
		if (mosctl_relay_status_decode(buf, len, &kind, &value) ||
		    kind == MOSCTL_JOBINIT_READY)
			break;
		if (kind == MOSCTL_STATUS_RUNS_ON) {
			tell_where(k, value);
			break;
		}
		if (kind == MOSCTL_JOBINIT_EXITED) {
			k->status = value;
		} else {
			snprintf(text, sizeof(text), "%s: %s", k->cmd, strerror((int)value));
			send_msg(k, MOSCTL_MSG_ERROR, value, 0, text);
			k->status = (kind == MOSCTL_JOBINIT_EXEC_FAILED ? 127 : 125) << 8;
		}
		k->have_status = true;
		break;
	default:
		break;
	}
}

/* a signal for the job, wherever it runs */
static void signal_job(struct keeper *k, int sig)
{
	char err[200];

	if (!k->away)
		kill(k->init, sig);
	else if (k->nconns)
		mosctl_relay_send_signal(&k->conns[k->nconns - 1], (uint32_t)sig, err, sizeof(err));
}

/* the client's stdin to where the job runs now */
static void feed_remote(struct keeper *k)
{
	char err[200];
	struct mosctl_relay *r = &k->conns[k->nconns - 1];

	if (k->cin < 0) {
		mosctl_relay_send(r, MOSCTL_RELAY_IN_EOF, NULL, 0, err, sizeof(err));
		k->ilen = k->ioff = 0;
		return;
	}
	mosctl_relay_send(r, MOSCTL_RELAY_IN, k->ibuf + k->ioff, k->ilen - k->ioff, err,
			  sizeof(err));
	k->ilen = k->ioff = 0;
}

/*
 * The node the job runs on, if the cluster view holds it down: 0 when the
 * job runs here, is moving, or its node is up (or the kernel cannot say).
 */
static uint32_t job_node_down(struct keeper *k)
{
	struct mosctl_job *jobs = NULL;
	struct mosctl_node *nodes = NULL;
	struct mosctl_nl nl;
	size_t n = 0, i;
	uint32_t where = 0, down = 0;

	if (mosctl_nl_open(&nl))
		return 0;
	if (!mosctl_nl_get_jobs(&nl, &jobs, &n))
		for (i = 0; i < n; i++)
			if (jobs[i].home == k->home && jobs[i].num == k->num &&
			    jobs[i].state == MOSIX_JOB_RUNNING && jobs[i].where != k->home)
				where = jobs[i].where;
	free(jobs);
	n = 0;
	if (where && !mosctl_nl_get_nodes(&nl, &nodes, &n))
		for (i = 0; i < n; i++)
			if (nodes[i].pe == where && nodes[i].status == MOSIX_INFO_STATUS_DOWN)
				down = where;
	free(nodes);
	mosctl_nl_close(&nl);
	return down;
}

/*
 * The job's node crashed: the job went with it. Say so to the client and the
 * log, and end it as killed (the kernel's registry gets that status), so that
 * mosctl run and mosctl wait end instead of waiting for ever.
 */
static void job_lost(struct keeper *k, uint32_t pe)
{
	char text[MOSCTL_MSG_TEXT_MAX];

	snprintf(text, sizeof(text),
		 "job %" PRIu32 ".%" PRIu32 " is lost: node %" PRIu32
		 ", where it ran, is down (nothing from it for %d s)",
		 k->home, k->num, pe, KEEPER_LOST_S);
	klog("%s", text);
	send_msg(k, MOSCTL_MSG_ERROR, EHOSTDOWN, 0, text);
	k->status = SIGKILL;
	k->have_status = true;
}

/* the job runs elsewhere: relay from there until it ends */
static void keep_remote(struct keeper *k)
{
	bool sent_eof = false;
	time_t checked = now_s(), down_since = 0;

	while (!k->have_status) {
		struct pollfd p[4 + KEEPER_PENDING];
		int n = 0, i_conn = -1, i_cin = -1, i_l = -1, i_r = -1, i_p, np;

		if (k->conn >= 0) {
			i_conn = n;
			p[n].fd = k->conn;
			p[n++].events = POLLIN;
		}
		if (k->cin >= 0 && k->nconns && !k->ilen) {
			i_cin = n;
			p[n].fd = k->cin;
			p[n++].events = POLLIN;
		}
		if (k->lfd >= 0) {
			i_l = n;
			p[n].fd = k->lfd;
			p[n++].events = POLLIN;
		}
		if (k->nconns) {
			i_r = n;
			p[n].fd = k->conns[0].fd;
			p[n++].events = POLLIN;
		}
		i_p = n;
		np = watch_pending(k, p, n);
		n += np;
		if (poll(p, (nfds_t)n, np ? 1000 : KEEPER_CHECK_MS) < 0)
			continue;
		if (now_s() - checked >= KEEPER_CHECK_MS / 1000) {
			uint32_t pe = k->nconns ? 0 : job_node_down(k);

			checked = now_s();
			if (!pe) {
				down_since = 0;
			} else if (!down_since) {
				down_since = checked;
			} else if (checked - down_since >= KEEPER_LOST_S) {
				job_lost(k, pe);
				break;
			}
		}
		if (i_conn >= 0 && p[i_conn].revents)
			client_record(k);
		if (i_cin >= 0 && p[i_cin].revents) {
			relay_in(k);
			if (k->ilen || (k->cin < 0 && !sent_eof)) {
				sent_eof = k->cin < 0;
				feed_remote(k);
			}
		}
		if (i_r >= 0 && p[i_r].revents)
			relay_record(k);
		serve_pending(k, p, i_p, np);
		if (i_l >= 0 && p[i_l].revents)
			accept_relay(k);
	}
}

void mosctl_keeper(int conn)
{
	struct keeper k = { .conn = conn, .cin = -1, .cout = -1, .cerr = -1,
			    .jin = -1, .jout = -1, .jerr = -1, .st = -1, .lfd = -1 };
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
	if (sodium_init() < 0)
		refuse(&k, EIO, "libsodium does not initialise");
	start_job(&k, &req, fds, &ji);

	while (k.st >= 0 || k.jout >= 0 || k.jerr >= 0) {
		struct pollfd p[7 + KEEPER_PENDING];
		int n = 0, i_conn = -1, i_cin = -1, i_jin = -1, i_out = -1,
		    i_err = -1, i_st = -1, i_l = -1, i_p, np;

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
		if (k.lfd >= 0)
			WATCH(i_l, k.lfd, POLLIN);
#undef WATCH
		i_p = n;
		np = watch_pending(&k, p, n);
		n += np;
		/* (a handshake under way has its time: wake to end it) */
		if (poll(p, (nfds_t)n, np ? 1000 : -1) < 0)
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
		serve_pending(&k, p, i_p, np);
		if (i_l >= 0 && p[i_l].revents)
			accept_relay(&k);
	}
	/* no status and the registry says it runs elsewhere: the copy here left */
	if (!k.have_status && k.lfd >= 0 && job_left(&k)) {
		k.away = true;
		close_fd(&k.jin);
		while (waitpid(k.init, NULL, 0) < 0 && errno == EINTR)
			;
		klog("job %" PRIu32 ".%" PRIu32 " left this node; relaying from where it runs",
		     k.home, k.num);
		keep_remote(&k);
	}
	finish(&k);
	if (k.ticket[0])
		unlink(k.ticket);
	if (k.init_dir[0])
		rmdir(k.init_dir);
	close_fd(&k.lfd);
	while (k.npend)
		drop_pending(&k, 0);
	while (k.nconns)
		pop_relay(&k);
	sodium_memzero(k.key, sizeof(k.key));
	mosctl_req_free(&req);
	free(ji.groups);
	_exit(0);
}
