// SPDX-License-Identifier: GPL-2.0
/*
 * The migration helper: the part of `mosctl helper` that does a move's data
 * work for the kernel (docs/migration-design.md). It registers its netlink
 * socket as the node's helper (MIG_HELPER, with the result of `criu check`)
 * and does what each MIG_WORK says, one child process per move:
 *
 *  source (STREAM): `criu dump` of the job's namespace init into a private
 *	folder under /run/mosix/mig; criu's post-dump action script (`mosctl
 *	mig-hook`) asks the child, which streams the images, encrypted with the
 *	move's key (imgstream.c), to the target's helper and then holds the
 *	job frozen there (criu keeps it under ptrace) until the kernel decides:
 *	COMMIT (the kernel killed it already) or RESUME (criu lets it go on).
 *  target (RECEIVE): takes the stream of that move, and only from the
 *	source's table address, verifies all of it, `criu restore
 *	--leave-stopped` with the job's stdio replaced by new pipes, connects
 *	them back to the job's keeper at home (relay.c) and reports RESTORED;
 *	the kernel then lets the copy run (SIGCONT) or kills it. The child stays
 *	as the job's end of the relay while the job runs here.
 *
 * The images are removed on every path, as soon as they served. The kernel
 * holds every decision: whatever this process or its children do or fail to
 * do, the job runs exactly once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include <sodium.h>
#include "mosctl.h"
#include "imgstream.h"
#include "relay.h"
#include "mosix_be.h"

#define MIG_DIR		MOSCTL_RUN_DIR "/mig"
#define MOVES_MAX	MOSIX_MIG_MOVES_MAX
#define WORK_QUEUE	64
/* a source told to resume has this long to end by itself (it may be mid-stream) */
#define STOP_GRACE_MS	2000
/* a stream that moves no byte for this long failed (a cut link, a peer gone) */
#define STALL_S		30
/* between two progress reports of a stream */
#define PROGRESS_MS	250

/* what a move's child tells the service (one datagram) */
struct child_msg {
	uint32_t report;	/* enum mosix_mig_report, 0: nothing to report */
	uint32_t pid;		/* with report 0: a restored copy held stopped, in cmd's folder */
	char name[MOSIX_JOB_NAME_MAX];
	char cmd[MOSIX_JOB_CMD_MAX];
	char text[200];
	uint32_t phase;		/* MOSIX_MIG_REPORT_PROGRESS: enum mosix_mig_phase */
	uint64_t done, total;
};

/* what the service tells a move's child: one byte */
enum { DECIDE_COMMIT = 'C', DECIDE_RESUME = 'R', DECIDE_RUN = 'U', DECIDE_DISCARD = 'D' };

struct move {
	bool used;
	uint64_t id;
	bool source;
	struct mosctl_mig_work w;	/* the STREAM or RECEIVE that began it */
	uint8_t key[MOSIX_MIG_KEY_LEN];
	pid_t child;			/* 0: none yet (a target waiting for its stream) */
	int ctl;			/* to the child; -1: none */
	bool reported;			/* the child said how its part ended */
	bool decided;			/* the kernel's decision was passed on */
	int64_t stop_at_ms;		/* a source told the decision: ended by then */
	pid_t held;			/* a target's restored copy not reported yet */
	char held_dir[MOSIX_JOB_CMD_MAX];	/* its init's folder (its cwd) */
};

static struct {
	struct mosctl_nl nl;
	bool registered;
	uint16_t port;
	int listen_fd;
	bool criu_ok;
	char criu_why[200];
	char exe[4096];
	struct move moves[MOVES_MAX];
	struct mosctl_mig_work queue[WORK_QUEUE];
	unsigned int queued;
} svc = { .listen_fd = -1 };

static void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void slog(const char *fmt, ...)
{
	static const char pre[] = "mosctl helper: migration: ";
	char line[600];
	va_list ap;
	int n;

	/* one write: the service and its move processes share stderr */
	memcpy(line, pre, sizeof(pre) - 1);
	va_start(ap, fmt);
	n = vsnprintf(line + sizeof(pre) - 1, sizeof(line) - sizeof(pre) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* ---- small file and process helpers ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Test hooks (tests/vm/cases/cluster-criu.sh), from the helper's environment:
 * MOSCTL_MIG_TEST_PAUSE names the phases (receive, restore, hold) at which a
 * move's process waits MOSCTL_MIG_TEST_PAUSE_S seconds (default 5), its pid in
 * /run/mosix/test-pause.PHASE meanwhile, for a test to kill or cut it there;
 * MOSCTL_MIG_TEST_FLIP=N sends the stream's byte N inverted.
 */
static void test_pause(const char *phase)
{
	const char *list = getenv("MOSCTL_MIG_TEST_PAUSE"), *secs;
	char path[64], pid[16];
	size_t len = strlen(phase);
	const char *p;

	for (p = list; p && (p = strstr(p, phase)); p += len)
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			break;
	if (!p)
		return;
	secs = getenv("MOSCTL_MIG_TEST_PAUSE_S");
	snprintf(path, sizeof(path), "/run/mosix/test-pause.%s", phase);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	mosctl_write_file(path, pid, strlen(pid));
	slog("test: paused at %s", phase);
	sleep(secs ? (unsigned int)atoi(secs) : 5);
	unlink(path);
}

static uint64_t test_flip_at(void)
{
	const char *v = getenv("MOSCTL_MIG_TEST_FLIP");

	return v ? strtoull(v, NULL, 10) : 0;
}

/* a folder of files (criu writes no deeper), or a file */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d && errno == ENOTDIR) {
		unlink(path);
		return;
	}
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	rmdir(path);
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return chmod(path, 0700) < 0 ? -errno : 0;
}

/* the first line of criu's log that says what failed (the cause), for the user */
static void criu_error(const char *log, char *out, size_t size)
{
	char line[512];
	FILE *f = fopen(log, "r");

	snprintf(out, size, "criu failed (no log)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *e = strstr(line, "Error");

		if (!e)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, "criu: %s", e);
		break;
	}
	fclose(f);
	/* the whole log in the helper's, for the tests' post-mortems */
	if (getenv("MOSCTL_MIG_DEBUG")) {
		char *all;
		size_t n;
		int fd = open(log, O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && !mosctl_read_all(fd, 1 << 20, &all, &n)) {
			fwrite(all, 1, n, stderr);
			free(all);
		}
		if (fd >= 0)
			close(fd);
	}
}

/* run argv, wait; its exit status, or -1 */
static int run_wait(char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(out_path ? out_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `criu check`: can this node take guests */
static void check_criu(void)
{
	char *argv[] = { "criu", "check", NULL };
	char log[] = MIG_DIR "/criu-check.log";
	int st = run_wait(argv, log);

	svc.criu_ok = st == 0;
	if (st == 127 || st < 0)
		snprintf(svc.criu_why, sizeof(svc.criu_why), "criu is not installed");
	else if (st)
		criu_error(log, svc.criu_why, sizeof(svc.criu_why));
	else
		svc.criu_why[0] = '\0';
	unlink(log);
	if (!svc.criu_ok)
		slog("this node takes no guests: %s", svc.criu_why);
}

static int tcp_connect(const struct mosix_addr *a, uint16_t port, int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = { timeout_s, 0 };
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (a->family == MOSIX_ADDR_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->bytes, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		len = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* the peer address of a connection, as the table writes addresses */
static void peer_of(int fd, struct mosix_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(a, 0, sizeof(*a));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		a->family = MOSIX_ADDR_V4;
		memcpy(a->bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		const uint8_t *b = (const uint8_t *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (!memcmp(b, mapped, 12)) {
			a->family = MOSIX_ADDR_V4;
			memcpy(a->bytes, b + 12, 4);
		} else {
			a->family = MOSIX_ADDR_V6;
			memcpy(a->bytes, b, 16);
		}
	}
}

static void child_say(int ctl, uint32_t report, uint32_t pid, const char *name,
		      const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void child_say(int ctl, uint32_t report, uint32_t pid, const char *name,
		      const char *cmd, const char *fmt, ...)
{
	struct child_msg m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.report = report;
	m.pid = pid;
	snprintf(m.name, sizeof(m.name), "%s", name ? name : "");
	snprintf(m.cmd, sizeof(m.cmd), "%s", cmd ? cmd : "");
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	if (send(ctl, &m, sizeof(m), MSG_NOSIGNAL) < 0)
		slog("move: cannot reach the service: %s", strerror(errno));
}

/* the service's decision, or 0 when it went; waits up to timeout_ms (-1: ever) */
static int child_decision(int ctl, int timeout_ms)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	char c;

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	if (recv(ctl, &c, 1, 0) != 1)
		return 0;
	return c;
}

/* ---- the source: dump, stream, hold ---- */

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = mosctl_read_full(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return (int)n;
}

static int write_text(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int e;

	if (fd < 0)
		return -errno;
	e = mosctl_write_full(fd, text, strlen(text));
	if (close(fd) < 0 && !e)
		e = -errno;
	return e;
}

/* the job's name and command line, from this node's registry */
static void job_names(uint32_t home, uint32_t num, char *name, size_t nsize,
		      char *cmd, size_t csize)
{
	struct mosctl_job *jobs = NULL;
	struct mosctl_nl nl;
	size_t n = 0, i;

	snprintf(name, nsize, "-");
	snprintf(cmd, csize, "-");
	if (mosctl_nl_open(&nl))
		return;
	if (!mosctl_nl_get_jobs(&nl, &jobs, &n)) {
		for (i = 0; i < n; i++) {
			if (jobs[i].home == home && jobs[i].num == num) {
				snprintf(name, nsize, "%s", jobs[i].name);
				snprintf(cmd, csize, "%s", jobs[i].cmd);
			}
		}
	}
	free(jobs);
	mosctl_nl_close(&nl);
}

static void ticket_path(uint32_t home, uint32_t num, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%" PRIu32 ".%" PRIu32, MOSCTL_RELAY_DIR, home, num);
}

struct source {
	const struct move *mv;
	int ctl;
	char dir[128], log[160], hook[100], script[160];
	char init_dir[80];
	int dirfd;
	int hook_fd;
	pid_t criu;
	bool streamed, decided;
	char decision;
	int64_t progress_ms;	/* the last progress report's */
};

/* how far the move is, to the service (and on to the kernel and migrate) */
static void source_progress(int ctl, uint32_t phase, uint64_t done, uint64_t total)
{
	struct child_msg m;

	memset(&m, 0, sizeof(m));
	m.report = MOSIX_MIG_REPORT_PROGRESS;
	m.phase = phase;
	m.done = done;
	m.total = total;
	send(ctl, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* the stream's progress: a few reports a second at most, and the last */
static void on_stream_progress(uint64_t done, uint64_t total, void *arg)
{
	struct source *s = arg;
	int64_t now = mono_ms();

	if (done && done < total && now - s->progress_ms < PROGRESS_MS)
		return;
	s->progress_ms = now;
	source_progress(s->ctl, MOSIX_MIG_PHASE_STREAMING, done, total);
}

/* criu runs an action script without arguments: a two-line one names the hook */
static int write_hook_script(struct source *s)
{
	char text[4200];
	int fd = open(s->script, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
	int len = snprintf(text, sizeof(text), "#!/bin/sh\nexec '%s' mig-hook\n", svc.exe);

	if (fd < 0)
		return -errno;
	if (strchr(svc.exe, '\'') || write(fd, text, (size_t)len) != len) {
		close(fd);
		return -EINVAL;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* is path MOSCTL_JOBS_DIR/<16 hex>, the folder of a job's init */
static bool is_init_dir(const char *path)
{
	size_t n = strlen(MOSCTL_JOBS_DIR), i;

	if (strncmp(path, MOSCTL_JOBS_DIR "/", n + 1) || strlen(path) != n + 17)
		return false;
	for (i = n + 1; path[i]; i++)
		if (!strchr("0123456789abcdef", path[i]))
			return false;
	return true;
}

/* the working folder of the job's init (pid, initial namespace) */
static int init_dir_of(uint32_t pid, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%" PRIu32 "/cwd", pid);
	n = readlink(link, buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return is_init_dir(buf) ? 0 : -1;
}

/* the job's ticket and names go with its images */
static int source_prepare(struct source *s, char *why, size_t wsize)
{
	char ticket[1024], path[160], name[MOSIX_JOB_NAME_MAX], cmd[MOSIX_JOB_CMD_MAX];
	char job[MOSIX_JOB_NAME_MAX + MOSIX_JOB_CMD_MAX + 100];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int e;

	ticket_path(s->mv->w.home, s->mv->w.num, path, sizeof(path));
	e = read_text(path, ticket, sizeof(ticket));
	if (e < 0) {
		snprintf(why, wsize, "the job has no relay ticket here (%s: %s): only jobs started with mosctl run move",
			 path, strerror(-e));
		return -1;
	}
	job_names(s->mv->w.home, s->mv->w.num, name, sizeof(name), cmd, sizeof(cmd));
	if (init_dir_of(s->mv->w.pid, s->init_dir, sizeof(s->init_dir))) {
		snprintf(why, wsize, "the job's init does not work in a folder of %s: not started by this mosctl run",
			 MOSCTL_JOBS_DIR);
		return -1;
	}
	snprintf(job, sizeof(job), "%s\n%s\n%s\n", name, cmd, s->init_dir);
	if (write_text(s->dirfd, "mosix-relay", ticket) || write_text(s->dirfd, "mosix-job", job)) {
		snprintf(why, wsize, "cannot write to %s: %s", s->dir, strerror(errno));
		return -1;
	}
	s->hook_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->hook);
	unlink(s->hook);
	if (s->hook_fd < 0 || bind(s->hook_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(s->hook, 0600) < 0 || listen(s->hook_fd, 4) < 0) {
		snprintf(why, wsize, "cannot listen on %s: %s", s->hook, strerror(errno));
		return -1;
	}
	if (write_hook_script(s)) {
		snprintf(why, wsize, "cannot write %s", s->script);
		return -1;
	}
	return 0;
}

static pid_t source_start_criu(struct source *s)
{
	char pid[16];
	pid_t p;

	snprintf(pid, sizeof(pid), "%" PRIu32, s->mv->w.pid);
	p = fork();
	if (!p) {
		char *argv[] = { "criu", "dump", "-t", pid, "-D", s->dir, "-o", s->log,
				 "-v2", "--action-script", s->script, NULL };
		char job[32];

		snprintf(job, sizeof(job), "%" PRIu32 ".%" PRIu32, s->mv->w.home, s->mv->w.num);
		setenv("MOSCTL_MIG_HOOK", s->hook, 1);
		setenv("MOSCTL_MIG_JOB", job, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return p;
}

/* post-dump: the images are complete; stream them, then hold for the kernel */
static void source_post_dump(struct source *s)
{
	struct imgstream_stats st = { 0, 0, 0 };
	struct imgstream_opts o = { .flip_at = test_flip_at(), .progress = on_stream_progress,
				    .arg = s };
	struct timespec t0, t1;
	char err[256];
	unsigned int user_timeout = STALL_S * 1000;
	int64_t us;
	int fd, e;

	fd = tcp_connect(&s->mv->w.peer, (uint16_t)s->mv->w.port, STALL_S);
	if (fd < 0) {
		child_say(s->ctl, MOSIX_MIG_REPORT_DUMP_FAILED, 0, NULL, NULL,
			  "cannot reach the target's helper: %s", strerror(-fd));
		s->decision = DECIDE_RESUME;
		return;
	}
	/* data unacknowledged that long (a cut link): the stream fails */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = imgstream_send_dir_opts(fd, s->dirfd, s->mv->key, s->mv->id, &o, &st, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	/* the images served: a resume needs none, the target has its own */
	remove_tree(s->dir);
	if (e) {
		child_say(s->ctl, MOSIX_MIG_REPORT_DUMP_FAILED, 0, NULL, NULL,
			  "the image stream failed: %s", err);
		s->decision = DECIDE_RESUME;
		return;
	}
	us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	slog("move %016" PRIx64 ": streamed %" PRIu64 " files, %" PRIu64 " bytes in %" PRId64
	     " ms (%.1f MB/s)", s->mv->id, st.files, st.bytes, us / 1000,
	     us > 0 ? (double)st.wire_bytes / (double)us : 0.0);
	s->streamed = true;
	source_progress(s->ctl, MOSIX_MIG_PHASE_RESTORING, st.bytes, st.bytes);
	test_pause("hold");
	s->decision = (char)child_decision(s->ctl, -1);
	if (s->decision != DECIDE_COMMIT)
		s->decision = DECIDE_RESUME;
}

static void __attribute__((noreturn)) source_child(const struct move *mv, int ctl)
{
	struct source s = { .mv = mv, .ctl = ctl, .dirfd = -1, .hook_fd = -1 };
	char why[300], path[160];
	int st = 0;

	prctl(PR_SET_NAME, "mosix-mig-out");
	snprintf(s.dir, sizeof(s.dir), "%s/%016" PRIx64 ".out", MIG_DIR, mv->id);
	snprintf(s.log, sizeof(s.log), "%s/%016" PRIx64 ".out.log", MIG_DIR, mv->id);
	snprintf(s.hook, sizeof(s.hook), "%s/%016" PRIx64 ".hook", MIG_DIR, mv->id);
	snprintf(s.script, sizeof(s.script), "%s/%016" PRIx64 ".hook.sh", MIG_DIR, mv->id);
	remove_tree(s.dir);
	unlink(s.script);
	if (make_dir(s.dir) || (s.dirfd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		child_say(ctl, MOSIX_MIG_REPORT_DUMP_FAILED, 0, NULL, NULL,
			  "cannot make %s: %s", s.dir, strerror(errno));
		_exit(1);
	}
	if (source_prepare(&s, why, sizeof(why))) {
		child_say(ctl, MOSIX_MIG_REPORT_DUMP_FAILED, 0, NULL, NULL, "%s", why);
		goto out;
	}
	source_progress(ctl, MOSIX_MIG_PHASE_DUMPING, 0, 0);
	s.criu = source_start_criu(&s);
	for (;;) {
		struct pollfd p = { .fd = s.hook_fd, .events = POLLIN };
		pid_t w = waitpid(s.criu, &st, WNOHANG);

		if (w == s.criu || (w < 0 && errno != EINTR))
			break;
		if (poll(&p, 1, 100) == 1) {
			int c = accept4(s.hook_fd, NULL, NULL, SOCK_CLOEXEC);
			char buf[16] = "";

			if (c < 0)
				continue;
			if (recv(c, buf, sizeof(buf) - 1, 0) > 0 && !strncmp(buf, "post-dump", 9) &&
			    !s.decision)
				source_post_dump(&s);
			send(c, s.decision == DECIDE_COMMIT ? "0" : "1", 1, MSG_NOSIGNAL);
			close(c);
		}
	}
	if (!s.decision) {
		/* criu ended before its post-dump step: the dump failed, the job ran on */
		criu_error(s.log, why, sizeof(why));
		child_say(ctl, MOSIX_MIG_REPORT_DUMP_FAILED, 0, NULL, NULL, "%s", why);
	} else if (s.decision == DECIDE_COMMIT) {
		/* it left: its ticket and folder here are stale */
		ticket_path(mv->w.home, mv->w.num, path, sizeof(path));
		unlink(path);
		rmdir(s.init_dir);
	}
out:
	remove_tree(s.dir);
	unlink(s.hook);
	unlink(s.script);
	unlink(s.log);
	_exit(0);
}

/* ---- the target: receive, restore, relay ---- */

struct target {
	const struct move *mv;
	int ctl, conn;
	char dir[128], log[160], pidfile[160];
	int dirfd;
	struct mosctl_relay_ticket t;
	char name[MOSIX_JOB_NAME_MAX], cmd[MOSIX_JOB_CMD_MAX];
	char init_dir[80];
	int job_end[MOSCTL_RELAY_PIPES];	/* given to criu, for the job */
	int our_end[MOSCTL_RELAY_PIPES];	/* the relay's */
	pid_t init;
	int init_fd;		/* a pidfd: signals never reach a recycled pid */
	struct mosctl_relay r;
};

static void target_signal(const struct target *g, int sig)
{
	if (g->init_fd >= 0)
		syscall(SYS_pidfd_send_signal, g->init_fd, sig, NULL, 0);
}

/* the stream, verified whole, then the ticket and names it carries */
static int target_receive(struct target *g, char *why, size_t wsize)
{
	char text[1100], err[256];
	struct imgstream_stats st = { 0, 0, 0 };
	char path[200], *nl;
	int e;

	e = imgstream_recv_dir(g->conn, g->dirfd, g->mv->key, g->mv->id,
			       g->mv->w.image_kb * 1024, &st, err, sizeof(err));
	close(g->conn);
	g->conn = -1;
	if (e) {
		snprintf(why, wsize, "the image stream failed: %s", err);
		return MOSIX_MIG_REPORT_RECEIVE_FAILED;
	}
	snprintf(path, sizeof(path), "%s/mosix-relay", g->dir);
	e = read_text(path, text, sizeof(text));
	if (e < 0 || mosctl_relay_ticket_parse(text, (size_t)e, &g->t, err, sizeof(err))) {
		snprintf(why, wsize, "the stream's relay ticket: %s",
			 e < 0 ? strerror(-e) : err);
		return MOSIX_MIG_REPORT_RECEIVE_FAILED;
	}
	if (g->t.home != g->mv->w.home || g->t.num != g->mv->w.num) {
		snprintf(why, wsize, "the stream's relay ticket is for another job");
		return MOSIX_MIG_REPORT_RECEIVE_FAILED;
	}
	/* no address: the job left its home for here, the source is its home */
	if (!g->t.have_addr) {
		g->t.home_addr = g->mv->w.peer;
		g->t.have_addr = true;
	}
	snprintf(path, sizeof(path), "%s/mosix-job", g->dir);
	if (read_text(path, text, sizeof(text)) > 0) {
		char *line[3] = { text, NULL, NULL };
		int i;

		for (i = 1; i < 3 && line[i - 1]; i++) {
			nl = strchr(line[i - 1], '\n');
			if (nl) {
				*nl++ = '\0';
				line[i] = nl;
			}
		}
		if (line[2]) {
			line[2][strcspn(line[2], "\n")] = '\0';
			snprintf(g->name, sizeof(g->name), "%.*s", (int)sizeof(g->name) - 1, line[0]);
			snprintf(g->cmd, sizeof(g->cmd), "%.*s", (int)sizeof(g->cmd) - 1, line[1]);
			snprintf(g->init_dir, sizeof(g->init_dir), "%.*s",
				 (int)sizeof(g->init_dir) - 1, line[2]);
		}
	}
	unlink(path);
	if (!is_init_dir(g->init_dir)) {
		snprintf(why, wsize, "the stream names no folder of %s for the job's init",
			 MOSCTL_JOBS_DIR);
		return MOSIX_MIG_REPORT_RECEIVE_FAILED;
	}
	snprintf(path, sizeof(path), "%s/mosix-relay", g->dir);
	unlink(path);
	slog("move %016" PRIx64 ": received %" PRIu64 " files, %" PRIu64 " bytes",
	     g->mv->id, st.files, st.bytes);
	return 0;
}

/* new pipes for the job, in place of the old ones criu finds in the images */
static int target_pipes(struct target *g)
{
	int i, p[2];

	for (i = 0; i < MOSCTL_RELAY_PIPES; i++) {
		if (pipe(p) < 0)
			return -errno;
		/* stdin: the job reads; the others: the job writes */
		g->job_end[i] = i == MOSCTL_RELAY_PIPE_IN ? p[0] : p[1];
		g->our_end[i] = i == MOSCTL_RELAY_PIPE_IN ? p[1] : p[0];
		fcntl(g->our_end[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

static int target_restore(struct target *g, char *why, size_t wsize)
{
	char inh[MOSCTL_RELAY_PIPES][64], buf[32];
	char *argv[32];
	int n = 0, i, st;

	argv[n++] = "criu";
	argv[n++] = "restore";
	argv[n++] = "-D";
	argv[n++] = g->dir;
	argv[n++] = "-o";
	argv[n++] = g->log;
	argv[n++] = "-v2";
	argv[n++] = "-d";
	argv[n++] = "--leave-stopped";
	argv[n++] = "--pidfile";
	argv[n++] = g->pidfile;
	for (i = 0; i < MOSCTL_RELAY_PIPES; i++) {
		snprintf(inh[i], sizeof(inh[i]), "fd[%d]:pipe:[%" PRIu64 "]", g->job_end[i],
			 g->t.pipe_ino[i]);
		argv[n++] = "--inherit-fd";
		argv[n++] = inh[i];
	}
	argv[n] = NULL;
	st = run_wait(argv, NULL);
	for (i = 0; i < MOSCTL_RELAY_PIPES; i++)
		close(g->job_end[i]);
	if (st) {
		criu_error(g->log, why, wsize);
		return -1;
	}
	if (read_text(g->pidfile, buf, sizeof(buf)) <= 0 || (g->init = atoi(buf)) <= 0) {
		snprintf(why, wsize, "criu restored the job but wrote no pid");
		return -1;
	}
	/* (held stopped by criu: it cannot have ended and been reaped) */
	g->init_fd = (int)syscall(SYS_pidfd_open, g->init, 0);
	if (g->init_fd < 0) {
		snprintf(why, wsize, "pidfd_open of the restored job: %s", strerror(errno));
		kill(g->init, SIGKILL);
		return -1;
	}
	return 0;
}

/* the ticket of the job's end here, for its next move */
static void target_write_ticket(struct target *g)
{
	struct mosctl_relay_ticket t = g->t;
	char text[1024], path[160];
	struct stat sb;
	int i, len, e;

	for (i = 0; i < MOSCTL_RELAY_PIPES; i++)
		if (!fstat(g->our_end[i], &sb))
			t.pipe_ino[i] = (uint64_t)sb.st_ino;
	len = mosctl_relay_ticket_format(&t, text, sizeof(text));
	sodium_memzero(&t, sizeof(t));
	if (len < 0)
		return;
	ticket_path(g->mv->w.home, g->mv->w.num, path, sizeof(path));
	e = mosctl_write_file(path, text, (size_t)len);
	if (e)
		slog("job %" PRIu32 ".%" PRIu32 ": cannot write its relay ticket: %s",
		     g->mv->w.home, g->mv->w.num, strerror(-e));
	sodium_memzero(text, sizeof(text));
}

/* one record from home: stdin, its end, a signal */
static int target_from_home(struct target *g, bool *done)
{
	static char buf[MOSCTL_RELAY_CHUNK];
	char err[200];
	uint8_t type;
	size_t len;
	int e = mosctl_relay_recv(&g->r, &type, buf, sizeof(buf), &len, err, sizeof(err));
	int *in = &g->our_end[MOSCTL_RELAY_PIPE_IN];

	if (e) {
		*done = true;
		return e;
	}
	if (type == MOSCTL_RELAY_IN && *in >= 0) {
		/* the job closed its stdin: the rest is dropped, as at home */
		if (mosctl_write_full(*in, buf, len)) {
			close(*in);
			*in = -1;
		}
	} else if (type == MOSCTL_RELAY_IN_EOF && *in >= 0) {
		close(*in);
		*in = -1;
	} else if (type == MOSCTL_RELAY_SIGNAL) {
		uint32_t sig;

		if (!mosctl_relay_signal_decode(buf, len, &sig))
			target_signal(g, (int)sig);
	} else if (type == MOSCTL_RELAY_CLOSE) {
		*done = true;
	}
	return 0;
}

/* a guest ended here: this node's registry learns it (home's keeper tells home's) */
static void report_guest_exit(const struct target *g, const struct mosctl_jobinit_status *js)
{
	uint32_t status = js->kind == MOSCTL_JOBINIT_EXITED ? js->value :
			  (uint32_t)(js->kind == MOSCTL_JOBINIT_EXEC_FAILED ? 127 : 125) << 8;
	struct mosctl_nl nl;
	int e = mosctl_nl_open(&nl);

	if (!e) {
		e = mosctl_nl_job_exit(&nl, g->mv->w.home, g->mv->w.num, status);
		mosctl_nl_close(&nl);
	}
	if (e)
		slog("job %" PRIu32 ".%" PRIu32 ": cannot report its end here: %s",
		     g->mv->w.home, g->mv->w.num, strerror(-e));
}

/* the job's output and status to home, until its pipes end */
static void target_relay(struct target *g)
{
	static char buf[MOSCTL_RELAY_CHUNK];
	bool home_done = false, discarded = false;
	uint32_t self = mosctl_self_pe();
	char err[200];

	/*
	 * The ticket for its next move, and home's registry, before it runs:
	 * neither waits for the service to pass RUN on. The keeper reads this
	 * connection only once the old place ended, so a copy that is
	 * discarded says nothing home believes for long.
	 */
	target_write_ticket(g);
	if (self)
		mosctl_relay_send_status(&g->r, MOSCTL_STATUS_RUNS_ON, self, err, sizeof(err));

	for (;;) {
		static const uint8_t types[] = { 0, MOSCTL_RELAY_OUT, MOSCTL_RELAY_ERR };
		static const uint8_t eofs[] = { 0, MOSCTL_RELAY_OUT_EOF, MOSCTL_RELAY_ERR_EOF };
		struct pollfd p[5];
		int i, n = 0, idx[5];

		for (i = MOSCTL_RELAY_PIPE_OUT; i < MOSCTL_RELAY_PIPES; i++) {
			if (g->our_end[i] < 0)
				continue;
			idx[n] = i;
			p[n].fd = g->our_end[i];
			p[n++].events = POLLIN;
		}
		if (!n)
			break;
		if (!home_done) {
			idx[n] = -1;
			p[n].fd = g->r.fd;
			p[n++].events = POLLIN;
		}
		if (g->ctl >= 0) {
			idx[n] = -2;
			p[n].fd = g->ctl;
			p[n++].events = POLLIN;
		}
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			int k = idx[i];

			if (!p[i].revents)
				continue;
			if (k == -1) {
				target_from_home(g, &home_done);
			} else if (k == -2) {
				int d = child_decision(g->ctl, 0);

				/* the kernel kills a copy it discards; one it never took, we do */
				if (d == DECIDE_DISCARD) {
					discarded = true;
					target_signal(g, SIGKILL);
				}
				if (!d) {
					close(g->ctl);
					g->ctl = -1;
				}
			} else if (k == MOSCTL_RELAY_PIPE_STATUS) {
				struct mosctl_jobinit_status js;
				ssize_t r = read(g->our_end[k], &js, sizeof(js));

				if (r == (ssize_t)sizeof(js)) {
					mosctl_relay_send_status(&g->r, js.kind, js.value, err,
								 sizeof(err));
					if (js.kind != MOSCTL_JOBINIT_READY && self &&
					    self != g->mv->w.home)
						report_guest_exit(g, &js);
				} else if (r <= 0) {
					close(g->our_end[k]);
					g->our_end[k] = -1;
				}
			} else {
				ssize_t r = read(g->our_end[k], buf, sizeof(buf));

				if (r > 0) {
					mosctl_relay_send(&g->r, types[k], buf, (size_t)r, err,
							  sizeof(err));
				} else if (r == 0 || errno != EINTR) {
					mosctl_relay_send(&g->r, eofs[k], NULL, 0, err, sizeof(err));
					close(g->our_end[k]);
					g->our_end[k] = -1;
				}
			}
		}
	}
	mosctl_relay_send(&g->r, MOSCTL_RELAY_CLOSE, NULL, 0, err, sizeof(err));
	if (discarded) {
		char path[160];

		ticket_path(g->mv->w.home, g->mv->w.num, path, sizeof(path));
		unlink(path);
	}
}

static void __attribute__((noreturn)) target_child(const struct move *mv, int ctl, int conn)
{
	struct target g = { .mv = mv, .ctl = ctl, .conn = conn, .init_fd = -1 };
	char why[300], err[200];
	int i, fd, report;

	prctl(PR_SET_NAME, "mosix-mig-in");
	for (i = 0; i < MOSCTL_RELAY_PIPES; i++)
		g.job_end[i] = g.our_end[i] = -1;
	snprintf(g.dir, sizeof(g.dir), "%s/%016" PRIx64 ".in", MIG_DIR, mv->id);
	snprintf(g.log, sizeof(g.log), "%s/%016" PRIx64 ".in.log", MIG_DIR, mv->id);
	snprintf(g.pidfile, sizeof(g.pidfile), "%s/%016" PRIx64 ".pid", MIG_DIR, mv->id);
	remove_tree(g.dir);
	if (make_dir(g.dir) || (g.dirfd = open(g.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		child_say(ctl, MOSIX_MIG_REPORT_RECEIVE_FAILED, 0, NULL, NULL,
			  "cannot make %s: %s", g.dir, strerror(errno));
		_exit(1);
	}
	test_pause("receive");
	report = target_receive(&g, why, sizeof(why));
	/* the init's folder, its owner's, where criu finds it */
	if (!report && (((mkdir(MOSCTL_JOBS_DIR, 0755) < 0 && errno != EEXIST) ||
			 (mkdir(g.init_dir, 0700) < 0 && errno != EEXIST) ||
			 chown(g.init_dir, mv->w.uid, (gid_t)-1) < 0))) {
		snprintf(why, sizeof(why), "cannot make %s: %s", g.init_dir, strerror(errno));
		report = MOSIX_MIG_REPORT_RESTORE_FAILED;
	}
	if (!report && target_pipes(&g)) {
		snprintf(why, sizeof(why), "cannot make the job's pipes: %s", strerror(errno));
		report = MOSIX_MIG_REPORT_RESTORE_FAILED;
	}
	if (!report && target_restore(&g, why, sizeof(why)))
		report = MOSIX_MIG_REPORT_RESTORE_FAILED;
	/* a copy exists: if this process dies now, the service ends it */
	if (!report)
		child_say(ctl, 0, (uint32_t)g.init, NULL, g.init_dir, "restored, held stopped");
	if (!report)
		test_pause("restore");
	/* restored or not, the images served */
	remove_tree(g.dir);
	unlink(g.log);
	unlink(g.pidfile);
	if (!report) {
		/* the way home first: a job nobody hears is not restored */
		fd = tcp_connect(&g.t.home_addr, g.t.port, 30);
		if (fd < 0 || mosctl_relay_connect(&g.r, fd, g.t.key, mv->w.home, mv->w.num,
						   err, sizeof(err))) {
			snprintf(why, sizeof(why), "cannot reach the job's keeper at home: %s",
				 fd < 0 ? strerror(-fd) : err);
			if (fd >= 0)
				close(fd);
			target_signal(&g, SIGKILL);
			report = MOSIX_MIG_REPORT_RESTORE_FAILED;
		}
	}
	if (report) {
		if (g.init_dir[0] && report == MOSIX_MIG_REPORT_RESTORE_FAILED)
			rmdir(g.init_dir);
		child_say(ctl, report, 0, NULL, NULL, "%s", why);
		sodium_memzero(&g.t, sizeof(g.t));
		_exit(1);
	}
	child_say(ctl, MOSIX_MIG_REPORT_RESTORED, (uint32_t)g.init, g.name, g.cmd,
		  "restored as pid %d", (int)g.init);
	target_relay(&g);
	/* the job ended here, left, or never ran: its folder here served */
	rmdir(g.init_dir);
	mosctl_relay_wipe(&g.r);
	sodium_memzero(&g.t, sizeof(g.t));
	_exit(0);
}

/* ---- the service: the kernel's work, the moves, the listener ---- */

static struct move *find_move(uint64_t id)
{
	int i;

	for (i = 0; i < MOVES_MAX; i++)
		if (svc.moves[i].used && svc.moves[i].id == id)
			return &svc.moves[i];
	return NULL;
}

static void drop_move(struct move *mv)
{
	if (mv->ctl >= 0)
		close(mv->ctl);
	sodium_memzero(mv, sizeof(*mv));
	mv->ctl = -1;
}

static int report(uint64_t id, uint32_t what, uint32_t pid, const char *name,
		  const char *cmd, const char *text)
{
	int e = mosctl_nl_mig_report(&svc.nl, id, what, pid, name, cmd, text);

	if (e)
		slog("move %016" PRIx64 ": the kernel took no report: %s%s%s", id,
		     strerror(-e), *svc.nl.ext_msg ? ": " : "", svc.nl.ext_msg);
	return e;
}

/* a child for mv, with its end of a control socket */
static int spawn(struct move *mv, int conn)
{
	int sv[2];
	pid_t p;

	pid_t parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (!p) {
		/*
		 * A move's process ends with the service: the kernel has
		 * aborted what the service's death left open, and a source's
		 * stream must not hold the job frozen meanwhile (criu's hook
		 * then asks the kernel, which says resume).
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(sv[0]);
		mnl_socket_close(svc.nl.sock);
		if (svc.listen_fd >= 0)
			close(svc.listen_fd);
		signal(SIGTERM, SIG_DFL);
		if (mv->source)
			source_child(mv, sv[1]);
		target_child(mv, sv[1], conn);
	}
	close(sv[1]);
	mv->child = p;
	mv->ctl = sv[0];
	sodium_memzero(mv->key, sizeof(mv->key));	/* the child has it */
	return 0;
}

static void tell_child(struct move *mv, char decision)
{
	mv->decided = true;
	if (mv->ctl >= 0)
		send(mv->ctl, &decision, 1, MSG_NOSIGNAL);
}

static void begin(const struct mosctl_mig_work *w)
{
	struct move *mv = NULL;
	int i, e;

	for (i = 0; i < MOVES_MAX && !mv; i++)
		if (!svc.moves[i].used)
			mv = &svc.moves[i];
	if (!mv || find_move(w->id) || !w->have_peer ||
	    (w->work == MOSIX_MIG_WORK_STREAM && !w->pid)) {
		report(w->id, w->work == MOSIX_MIG_WORK_STREAM ? MOSIX_MIG_REPORT_DUMP_FAILED :
		       MOSIX_MIG_REPORT_RECEIVE_FAILED, 0, NULL, NULL,
		       mv ? "the helper cannot take that work" : "the helper has too many moves");
		return;
	}
	memset(mv, 0, sizeof(*mv));
	mv->used = true;
	mv->id = w->id;
	mv->w = *w;
	mv->ctl = -1;
	mv->source = w->work == MOSIX_MIG_WORK_STREAM;
	e = mosctl_nl_mig_key(&svc.nl, w->id, mv->key);
	if (!e && mv->source)
		e = spawn(mv, -1);
	if (e) {
		report(w->id, mv->source ? MOSIX_MIG_REPORT_DUMP_FAILED :
		       MOSIX_MIG_REPORT_RECEIVE_FAILED, 0, NULL, NULL, strerror(-e));
		drop_move(mv);
		return;
	}
	slog("move %016" PRIx64 ": %s job %" PRIu32 ".%" PRIu32, w->id,
	     mv->source ? "sending" : "waiting for", w->home, w->num);
}

static void read_child(struct move *mv);
static void move_cleanup(struct move *mv);

/* a report the child sent and the service has not read yet, read now */
static bool read_child_pending(struct move *mv)
{
	struct pollfd p = { .fd = mv->ctl, .events = POLLIN };

	if (poll(&p, 1, 0) != 1)
		return false;
	read_child(mv);
	return mv->ctl >= 0;
}

static void do_work(const struct mosctl_mig_work *w)
{
	struct move *mv = find_move(w->id);

	switch (w->work) {
	case MOSIX_MIG_WORK_STREAM:
	case MOSIX_MIG_WORK_RECEIVE:
		begin(w);
		return;
	case MOSIX_MIG_WORK_COMMIT:
		if (mv)
			tell_child(mv, DECIDE_COMMIT);
		break;
	case MOSIX_MIG_WORK_RESUME:
		if (mv)
			tell_child(mv, DECIDE_RESUME);
		/*
		 * A child still in its stream (a stalled link) reads no decision:
		 * if it has not ended soon, it is ended, and the job's hook, finding
		 * it gone, learns the outcome from the kernel and resumes the job.
		 */
		if (mv && mv->child)
			mv->stop_at_ms = mono_ms() + STOP_GRACE_MS;
		break;
	case MOSIX_MIG_WORK_RUN:
		if (mv)
			tell_child(mv, DECIDE_RUN);
		break;
	case MOSIX_MIG_WORK_DISCARD:
		if (mv)
			tell_child(mv, DECIDE_DISCARD);
		break;
	}
	if (!mv)
		return;
	/*
	 * A target whose stream never came: nothing runs, nothing to keep. One
	 * whose copy runs or was discarded: the kernel is done with the move,
	 * the child (the job's relay while it runs here) goes on by itself, and
	 * the slot is free for the next move. A child discarded before it said
	 * how its restore went is kept to the end: a copy it restores then is
	 * one the kernel never took, and it needs the service to learn that.
	 */
	if (!mv->source && (w->work == MOSIX_MIG_WORK_RUN || w->work == MOSIX_MIG_WORK_DISCARD ||
			    !mv->child)) {
		while (mv->child && mv->ctl >= 0 && read_child_pending(mv))
			;
		if (w->work == MOSIX_MIG_WORK_DISCARD && mv->child && mv->ctl >= 0 && !mv->reported)
			return;
		/* a child already gone is not reaped as this move's any more */
		if (mv->child && mv->ctl < 0 && !mv->reported)
			move_cleanup(mv);
		drop_move(mv);
	}
}

static void queue_work(const struct nlmsghdr *nlh, void *arg)
{
	struct mosctl_mig_work w;

	(void)arg;
	if (mosctl_nl_parse_mig_work(nlh, &w)) {
		slog("a malformed work message from the kernel ignored");
		return;
	}
	if (svc.queued < WORK_QUEUE)
		svc.queue[svc.queued++] = w;
	else
		slog("move %016" PRIx64 ": work queue full, work %" PRIu32 " dropped", w.id, w.work);
}

static void run_queue(void)
{
	while (svc.queued) {
		struct mosctl_mig_work w = svc.queue[0];

		memmove(svc.queue, svc.queue + 1, --svc.queued * sizeof(w));
		do_work(&w);
	}
}

/* the kernel's messages on the helper socket */
static void read_kernel(void)
{
	ssize_t n = mnl_socket_recvfrom(svc.nl.sock, svc.nl.buf, svc.nl.buf_size);
	const struct nlmsghdr *nlh = (const void *)svc.nl.buf;
	int len;

	if (n <= 0) {
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			slog("the kernel socket failed: %s", strerror(errno));
			svc.registered = false;
		}
		return;
	}
	for (len = (int)n; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (!nlh->nlmsg_seq && nlh->nlmsg_type == svc.nl.family)
			queue_work(nlh, NULL);
	run_queue();
}

/* a stream arrives: it must be one the kernel announced, from that move's source */
static void accept_stream(void)
{
	uint8_t hdr[IMGSTREAM_CLEAR_LEN];
	struct timeval tv = { 10, 0 };
	struct mosix_addr from;
	struct move *mv;
	int c = accept4(svc.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	if (c < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do
		n = recv(c, hdr, sizeof(hdr), MSG_PEEK | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	peer_of(c, &from);
	mv = n == (ssize_t)sizeof(hdr) && !memcmp(hdr, IMGSTREAM_MAGIC, 8) ?
	     find_move(get_be64(hdr + 16)) : NULL;
	if (!mv || mv->source || mv->child || mosix_addr_cmp(&from, &mv->w.peer)) {
		char a[64] = "?";

		mosix_addr_format(&from, a, sizeof(a));
		slog("a stream from %s refused: no move of this node waits for it from there", a);
		close(c);
		return;
	}
	tv.tv_sec = STALL_S;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (spawn(mv, c)) {
		report(mv->id, MOSIX_MIG_REPORT_RECEIVE_FAILED, 0, NULL, NULL,
		       "the helper cannot start a receiver");
		drop_move(mv);
	}
	close(c);
}

static void read_child(struct move *mv)
{
	struct child_msg m;
	ssize_t n = recv(mv->ctl, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n != (ssize_t)sizeof(m)) {
		/* the child ended */
		close(mv->ctl);
		mv->ctl = -1;
		return;
	}
	m.name[sizeof(m.name) - 1] = m.cmd[sizeof(m.cmd) - 1] = m.text[sizeof(m.text) - 1] = 0;
	if (m.report == MOSIX_MIG_REPORT_PROGRESS) {
		/* (refused once the move is past streaming: nothing to say then) */
		if (mv->source)
			mosctl_nl_mig_progress(&svc.nl, mv->id, m.phase, m.done, m.total);
		return;
	}
	slog("move %016" PRIx64 ": %s", mv->id, m.text);
	if (!m.report) {
		if (!mv->source && m.pid) {
			mv->held = (pid_t)m.pid;
			snprintf(mv->held_dir, sizeof(mv->held_dir), "%s", m.cmd);
		}
		return;
	}
	mv->reported = true;
	mv->held = 0;
	/* a copy the kernel did not take (the move ended meanwhile) must not run */
	if (report(mv->id, m.report, m.pid, m.name, m.cmd, m.text) &&
	    m.report == MOSIX_MIG_REPORT_RESTORED)
		tell_child(mv, DECIDE_DISCARD);
}

/*
 * What a move's process that died left behind: a restored copy it held
 * (never reported, so not the kernel's), images (the job's memory), logs,
 * the hook. A process that ended by itself left nothing.
 */
static void move_cleanup(struct move *mv)
{
	static const char *const files[] = { "out", "in", "hook", "hook.sh", "out.log",
					     "in.log", "pid" };
	char path[160];
	size_t i;

	if (mv->held > 0) {
		/* still the copy it restored (stopped, in its folder): it must not stay */
		char cwd[96] = "";
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)mv->held);
		n = readlink(path, cwd, sizeof(cwd) - 1);
		if (n > 0 && (cwd[n] = 0, !strcmp(cwd, mv->held_dir))) {
			kill(mv->held, SIGKILL);
			slog("move %016" PRIx64 ": its restored copy (pid %d) killed", mv->id,
			     (int)mv->held);
		}
		rmdir(mv->held_dir);
		mv->held = 0;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%016" PRIx64 ".%s", MIG_DIR, mv->id, files[i]);
		remove_tree(path);
	}
}

/*
 * A child that ended without saying how (killed, or crashed): its part of
 * the move failed, and the kernel hears it now, not at the move's timeout.
 * A source that passed a decision on has nothing more to say.
 */
static void child_ended(struct move *mv, int st)
{
	char text[96];

	if (mv->reported || (mv->source && mv->decided)) {
		if (WIFSIGNALED(st) || WEXITSTATUS(st))
			move_cleanup(mv);
		return;
	}
	if (WIFSIGNALED(st))
		snprintf(text, sizeof(text), "the helper's process for the move was killed (signal %d)",
			 WTERMSIG(st));
	else
		snprintf(text, sizeof(text), "the helper's process for the move ended (status %d)",
			 WEXITSTATUS(st));
	slog("move %016" PRIx64 ": %s", mv->id, text);
	/* the kernel first: the job resumes only once the move is over */
	report(mv->id, mv->source ? MOSIX_MIG_REPORT_DUMP_FAILED : MOSIX_MIG_REPORT_RECEIVE_FAILED,
	       0, NULL, NULL, text);
	move_cleanup(mv);
}

/* sources told to resume that are still streaming */
static void stop_late_children(void)
{
	int64_t now = mono_ms();
	int i;

	for (i = 0; i < MOVES_MAX; i++) {
		struct move *mv = &svc.moves[i];

		if (mv->used && mv->child && mv->stop_at_ms && now >= mv->stop_at_ms) {
			slog("move %016" PRIx64 ": its process is still streaming: ended", mv->id);
			kill(mv->child, SIGKILL);
			mv->stop_at_ms = 0;
		}
	}
}

static void reap(void)
{
	pid_t p;
	int i, st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < MOVES_MAX; i++) {
			struct move *mv = &svc.moves[i];

			if (mv->used && mv->child == p) {
				while (mv->ctl >= 0)
					read_child(mv);
				child_ended(mv, st);
				drop_move(mv);
			}
		}
	}
}

static int listen_tcp(uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0, one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* (re)register with the kernel: at start and whenever the module came back */
static void try_register(void)
{
	int e;

	if (svc.nl.sock)
		mosctl_nl_close(&svc.nl);
	e = mosctl_nl_open(&svc.nl);
	if (!e) {
		svc.nl.unsolicited = queue_work;
		check_criu();
		e = mosctl_nl_mig_helper(&svc.nl, svc.port, svc.criu_ok, svc.criu_why);
	}
	if (e) {
		if (svc.nl.sock)
			mosctl_nl_close(&svc.nl);
		memset(&svc.nl, 0, sizeof(svc.nl));
		return;
	}
	svc.registered = true;
	slog("registered with the kernel: port %u, criu %s", svc.port,
	     svc.criu_ok ? "works" : svc.criu_why);
}

/*
 * What an earlier service left (it was killed with moves under way: the
 * kernel aborted them when it went, and the frozen jobs' hooks cleaned up
 * what they could): images and logs of moves no one runs any more.
 */
static void sweep_mig_dir(void)
{
	DIR *d = opendir(MIG_DIR);
	struct dirent *e;
	char path[300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", MIG_DIR, e->d_name);
		slog("removing %s, left by an earlier helper", path);
		remove_tree(path);
	}
	closedir(d);
}

/*
 * The service's process, forked by `mosctl helper`: never returns. It
 * stops on SIGTERM (moves under way fail and the jobs stay where they are).
 */
void mosctl_migsvc_run(uint16_t port)
{
	ssize_t n;
	int i;

	prctl(PR_SET_NAME, "mosix-mig");
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if (sodium_init() < 0) {
		slog("libsodium does not initialise: no migration on this node");
		_exit(1);
	}
	for (i = 0; i < MOVES_MAX; i++)
		svc.moves[i].ctl = -1;
	n = readlink("/proc/self/exe", svc.exe, sizeof(svc.exe) - 1);
	svc.exe[n > 0 ? n : 0] = '\0';
	/* (the run folder holds the helper's socket, which anyone may use) */
	if ((mkdir(MOSCTL_RUN_DIR, 0755) < 0 && errno != EEXIST) || make_dir(MIG_DIR) ||
	    make_dir(MOSCTL_RELAY_DIR)) {
		slog("cannot make %s: %s", MIG_DIR, strerror(errno));
		_exit(1);
	}
	sweep_mig_dir();
	svc.port = port;
	svc.listen_fd = listen_tcp(port);
	if (svc.listen_fd < 0) {
		slog("cannot listen on TCP port %u: %s", port, strerror(-svc.listen_fd));
		_exit(1);
	}
	for (;;) {
		struct pollfd p[2 + MOVES_MAX];
		struct move *which[2 + MOVES_MAX];
		int np = 0;

		if (!svc.registered)
			try_register();
		p[np].fd = svc.listen_fd;
		p[np].events = POLLIN;
		which[np++] = NULL;
		if (svc.registered) {
			p[np].fd = mnl_socket_get_fd(svc.nl.sock);
			p[np].events = POLLIN;
			which[np++] = NULL;
		}
		for (i = 0; i < MOVES_MAX; i++) {
			if (!svc.moves[i].used || svc.moves[i].ctl < 0)
				continue;
			p[np].fd = svc.moves[i].ctl;
			p[np].events = POLLIN;
			which[np++] = &svc.moves[i];
		}
		if (poll(p, (nfds_t)np, svc.registered ? 500 : 2000) > 0) {
			if (p[0].revents)
				accept_stream();
			for (i = 1; i < np; i++) {
				if (!p[i].revents)
					continue;
				if (which[i])
					read_child(which[i]);
				else
					read_kernel();
			}
		}
		/* work that came while the service waited for a reply of its own */
		run_queue();
		stop_late_children();
		reap();
	}
}

/*
 * The hook's move process went before it answered (killed, or the service
 * with it): the kernel decides alone. Its registry says how: the job still
 * migrating, not yet; back to running here, the move was aborted (resume);
 * gone from here, the kernel committed and killed the frozen copy (criu
 * then ends what is left). Resuming on a guess could let a copy that the
 * kernel commits a moment later run meanwhile: its output would be repeated.
 * No kernel to ask (the module unloaded): nothing can commit, resume.
 */
static int hook_ask_kernel(const char *job)
{
	uint32_t home, num, self = mosctl_self_pe();
	char extra;

	if (!job || sscanf(job, "%" SCNu32 ".%" SCNu32 "%c", &home, &num, &extra) != 2) {
		mosctl_err("mig-hook: MOSCTL_MIG_JOB is not HOME.NUM: the job resumes");
		return 1;
	}
	/* (no PE: the module is not up, nothing can commit; a committed copy was killed) */
	if (!self)
		return 1;
	for (;;) {
		struct mosctl_job *jobs = NULL;
		struct mosctl_nl nl;
		size_t n = 0, i;
		int answer = -1;

		if (mosctl_nl_open(&nl))
			return 1;
		if (mosctl_nl_get_jobs(&nl, &jobs, &n)) {
			mosctl_nl_close(&nl);
			return 1;
		}
		mosctl_nl_close(&nl);
		answer = 0;	/* not in the registry: it left */
		for (i = 0; i < n; i++) {
			if (jobs[i].home != home || jobs[i].num != num)
				continue;
			if (jobs[i].state == MOSIX_JOB_MIGRATING)
				answer = -1;
			else if (jobs[i].state == MOSIX_JOB_RUNNING && jobs[i].where == self)
				answer = 1;
			else
				answer = 0;
		}
		free(jobs);
		if (answer >= 0)
			return answer;
		usleep(100 * 1000);
	}
}

/*
 * The move's process went (with its whole service, which would have cleaned
 * up after it): its files go now. The images are the job's memory and criu,
 * past its dump, reads them no more; it runs this hook as root.
 */
static void hook_cleanup(const char *hook)
{
	static const char *const ends[] = { ".out", ".hook", ".hook.sh", ".out.log" };
	size_t n = strlen(hook), i;
	char path[160];

	if (n < 5 || strcmp(hook + n - 5, ".hook") || strncmp(hook, MIG_DIR "/", strlen(MIG_DIR) + 1) ||
	    n - 5 + 9 >= sizeof(path))
		return;
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		snprintf(path, sizeof(path), "%.*s%s", (int)(n - 5), hook, ends[i]);
		remove_tree(path);
	}
}

/*
 * `mosctl mig-hook`: criu's action script during a move's dump. At
 * post-dump it asks the move's process (MOSCTL_MIG_HOOK names its socket)
 * and exits 0 when the job left (criu then ends the frozen tasks, which the
 * kernel killed already) or 1 (criu resumes them); every other action, 0.
 */
int mosctl_cmd_mig_hook(int argc, char **argv)
{
	const char *action = getenv("CRTOOLS_SCRIPT_ACTION");
	const char *path = getenv("MOSCTL_MIG_HOOK");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char c = '1';
	int fd;

	(void)argc;
	(void)argv;
	if (!action || strcmp(action, "post-dump"))
		return 0;
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		mosctl_err("mig-hook: MOSCTL_MIG_HOOK is not set: run by criu for mosctl helper only");
		return 1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, "post-dump", 9, MSG_NOSIGNAL) != 9 || recv(fd, &c, 1, 0) != 1) {
		int answer;

		mosctl_err("mig-hook: the move's process went without an answer: the kernel decides");
		answer = hook_ask_kernel(getenv("MOSCTL_MIG_JOB"));
		hook_cleanup(path);
		return answer;
	}
	return c == '0' ? 0 : 1;
}
