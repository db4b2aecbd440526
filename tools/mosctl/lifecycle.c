// SPDX-License-Identifier: GPL-2.0
/*
 * The node's lifecycle: mosctl shutdown (the staged shutdown, shown live
 * from the "events" multicast group), mosctl monitor (every event until
 * interrupted) and mosctl start (what mosix.service runs: load the module,
 * install /etc/mosix/mosix.map and /etc/mosix/key, come up with a boot
 * epoch newer than any before, see epoch.c).
 *
 * shutdown subscribes to the events before it writes 0 to configfs `pe`.
 * The write blocks while the kernel runs the stages, so it is made by a
 * second thread while this one prints the events as they come. SIGINT and
 * SIGTERM are blocked everywhere but in that thread, and their handler has
 * no SA_RESTART: a Ctrl-C lands in the writer, interrupts the kernel's wait
 * in `quiesce`, the write returns EINTR and the kernel rolls back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"

#define TIMEOUT_MAX_S		3600
/* after the write: read events until none came for this long, at most MAX */
#define DRAIN_QUIET_MS		50
#define DRAIN_MAX_MS		1000
/* a signal that came just before the write began is sent again this often */
#define KICK_MS			500
/* start: how long the configfs directory may take to appear */
#define CONFIGFS_WAIT_MS	5000
#define SYS_MODULE		"/sys/module/mosix"

/* --- small helpers ---------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- the events socket --------------------------------------------------------- */

struct live {
	struct mosctl_nl nl;
	bool on;			/* subscribed */
	bool lost;			/* events were dropped */
	struct mosctl_event_printer pr;
	/* the first stage that failed */
	bool failed_seen;
	char failed_stage[32];
	uint32_t failed_err;
};

/*
 * Open a socket and join the events group; *why (if not NULL) tells why
 * not. Without the events everything still works, only without progress.
 */
static void live_open(struct live *l, FILE *f, unsigned int flags,
		      const char **why)
{
	int err;

	memset(l, 0, sizeof(*l));
	mosctl_event_printer_init(&l->pr, f, flags);
	*why = NULL;
	err = mosctl_nl_open(&l->nl);
	if (err) {
		*why = err == -ENOENT ? "the generic netlink family does not exist" :
		       strerror(-err);
		return;
	}
	err = mosctl_nl_subscribe_events(&l->nl);
	if (err) {
		*why = err == -ENOPROTOOPT ?
		       "the module has no events group (older than mosctl)" :
		       strerror(-err);
		mosctl_nl_close(&l->nl);
		return;
	}
	l->on = true;
}

static void live_close(struct live *l)
{
	mosctl_event_printer_end(&l->pr);
	if (l->on)
		mosctl_nl_close(&l->nl);
	l->on = false;
}

static void live_cb(const struct mosctl_event *ev, void *data)
{
	struct live *l = data;

	mosctl_event_print(&l->pr, ev);
	if (ev->kind == MOSIX_EVENT_STAGE_FAILED && !l->failed_seen) {
		l->failed_seen = true;
		snprintf(l->failed_stage, sizeof(l->failed_stage), "%s", ev->stage);
		l->failed_err = ev->has_errno ? ev->err : 0;
	}
}

/* everything waiting on the socket; false once the socket is unusable */
static bool live_read(struct live *l)
{
	for (;;) {
		int n = mosctl_nl_recv_events(&l->nl, live_cb, l);

		if (n >= 0)
			continue;
		if (n == -EAGAIN || n == -EINTR)
			return true;
		mosctl_event_printer_end(&l->pr);
		if (n == -ENOBUFS) {
			if (!l->lost)
				mosctl_err("some events were lost (the receive buffer ran full)");
			l->lost = true;
			continue;
		}
		mosctl_err("reading the events: %s", strerror(-n));
		mosctl_nl_close(&l->nl);
		l->on = false;
		return false;
	}
}

/* after the write: what the kernel sent until then, then a short quiet */
static void live_drain(struct live *l)
{
	uint64_t end = now_ms() + DRAIN_MAX_MS;

	while (l->on && live_read(l) && now_ms() < end) {
		struct pollfd p = { mnl_socket_get_fd(l->nl.sock), POLLIN, 0 };

		if (poll(&p, 1, DRAIN_QUIET_MS) <= 0)
			break;
	}
	mosctl_event_printer_end(&l->pr);
}

/* --- shutdown ---------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct writer {
	int fd;			/* configfs pe, open for writing */
	int done_pipe[2];
	int err;		/* errno of the write, 0: success */
	bool skipped;		/* a signal came before it began */
	atomic_bool done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	sigset_t set;
	ssize_t n;

	/* the one thread that takes SIGINT and SIGTERM */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (got_signal) {
		w->skipped = true;
	} else {
		n = write(w->fd, "0", 1);
		w->err = n < 0 ? errno : n != 1 ? EIO : 0;
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	atomic_store(&w->done, true);
	while (write(w->done_pipe[1], "x", 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int parse_timeout(const char *s, uint32_t *sec)
{
	if (mosix_parse_decimal(s, strlen(s), TIMEOUT_MAX_S, sec) || !*sec)
		return mosctl_usage("shutdown",
				    "--timeout: '%s' is not a number of seconds (1..%d)",
				    s, TIMEOUT_MAX_S);
	return 0;
}

static bool prestage_errno(int err)
{
	return err == EPERM || err == EACCES || err == EBUSY || err == EINVAL ||
	       err == ERANGE || err == EROFS;
}

int mosctl_shutdown_conclude(FILE *out, FILE *errf,
			     const struct mosctl_shutdown_outcome *o)
{
	struct mosctl_last_shutdown ls;
	const char *stage = NULL, *meaning;
	char name[32], after[96], hint[96], buf[96];
	int e = o->err;

	if (!o->err) {
		fprintf(out, "node left the cluster%s\n", o->signo ?
			" (the interrupt came too late to stop it)" : "");
		return MOSCTL_EXIT_OK;
	}
	if (o->failed_seen) {
		stage = o->failed_stage;
		if (o->failed_err)
			e = (int)(o->failed_err & 0x7fffffff);
	} else if (o->last_shutdown &&
		   !mosctl_last_shutdown_parse(o->last_shutdown,
					       strlen(o->last_shutdown), &ls) &&
		   ls.result == MOSCTL_LAST_ROLLED_BACK &&
		   (!ls.err || ls.err == o->err) &&
		   !(prestage_errno(o->err) && !o->signo)) {
		stage = ls.stage;
	}

	/* ": node is up again as PE 3", or why that cannot be said */
	if (!o->state)
		snprintf(after, sizeof(after), ", but the state of the node cannot be read");
	else if (!strcmp(o->state, "up"))
		snprintf(after, sizeof(after), ": node is up again as PE %" PRIu32, o->pe);
	else
		snprintf(after, sizeof(after),
			 ", but the node is %.32s, not up: see the kernel log", o->state);

	if (o->signo && e == EINTR) {
		fprintf(errf, "mosctl: interrupted: rolled back%s%s%s%s\n",
			stage ? " (at stage " : "", stage ? stage : "",
			stage ? ")" : "", after);
		return 128 + o->signo;
	}
	if (!stage && prestage_errno(o->err)) {
		meaning = mosctl_configfs_explain("pe", o->err, "0", buf, sizeof(buf));
		fprintf(errf, "mosctl: shutdown refused: %s (%s)%s%s; nothing was changed\n",
			strerror(o->err), mosctl_errno_name(o->err, name, sizeof(name)),
			meaning ? ": " : "", meaning ? meaning : "");
		return MOSCTL_EXIT_FAIL;
	}
	hint[0] = '\0';
	if (e == ETIMEDOUT && o->timeout_ms)
		snprintf(hint, sizeof(hint),
			 ": the daemons did not go idle within shutdown_timeout_ms (%" PRIu32 " ms)",
			 o->timeout_ms);
	else if (e == EINTR)
		snprintf(hint, sizeof(hint), ": a signal interrupted the write");
	fprintf(errf, "mosctl: shutdown failed at stage %s: %s (%s)%s; everything was rolled back%s\n",
		stage ? stage : "(unknown)", strerror(e),
		mosctl_errno_name(e, name, sizeof(name)), hint, after);
	return MOSCTL_EXIT_FAIL;
}

struct shutdown_args {
	bool have_timeout;
	uint32_t timeout_s;
};

static int shutdown_parse(int argc, char **argv, struct shutdown_args *a)
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:h", options, NULL)) != -1) {
		switch (c) {
		case 't':
			ret = parse_timeout(optarg, &a->timeout_s);
			if (ret)
				return ret;
			a->have_timeout = true;
			break;
		case 'h':
			mosctl_help("shutdown", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("shutdown", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("shutdown", "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* SIGINT and SIGTERM: blocked here, handled (no SA_RESTART) in the writer */
struct signals {
	sigset_t set, old_mask;
	struct sigaction old_int, old_term;
};

static void signals_take(struct signals *s)
{
	struct sigaction sa;

	sigemptyset(&s->set);
	sigaddset(&s->set, SIGINT);
	sigaddset(&s->set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s->set, &s->old_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the write must return EINTR */
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	got_signal = 0;
}

static void signals_give_back(struct signals *s)
{
	struct timespec zero = { 0, 0 };

	/* a second Ctrl-C during the rollback must not kill us now */
	while (sigtimedwait(&s->set, NULL, &zero) > 0)
		;
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
}

/* the write in its thread, the events here; false if the thread failed */
static bool run_writer(struct writer *w, struct live *l)
{
	uint64_t kicked = 0;
	pthread_t thread;
	int err;

	if (pipe2(w->done_pipe, O_CLOEXEC)) {
		mosctl_err("shutdown: pipe: %s", strerror(errno));
		return false;
	}
	err = pthread_create(&thread, NULL, writer_main, w);
	if (err) {
		mosctl_err("shutdown: starting a thread: %s", strerror(err));
		close(w->done_pipe[0]);
		close(w->done_pipe[1]);
		return false;
	}
	for (;;) {
		struct pollfd p[2] = {
			{ w->done_pipe[0], POLLIN, 0 },
			{ l->on ? mnl_socket_get_fd(l->nl.sock) : -1, POLLIN, 0 },
		};
		int n = poll(p, 2, got_signal ? 100 : 1000);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[1].revents)
			live_read(l);
		if (n > 0 && p[0].revents)
			break;
		/*
		 * A signal that arrived between the writer's check and its
		 * write(2) did not interrupt it: send it again.
		 */
		if (got_signal && !atomic_load(&w->done) &&
		    now_ms() - kicked >= KICK_MS) {
			kicked = now_ms();
			pthread_kill(thread, got_signal);
		}
	}
	pthread_join(thread, NULL);
	close(w->done_pipe[0]);
	close(w->done_pipe[1]);
	return true;
}

int mosctl_cmd_shutdown(int argc, char **argv)
{
	struct shutdown_args a = { false, 0 };
	struct mosctl_shutdown_outcome o;
	struct writer w;
	struct signals sig;
	struct live l;
	char state[64], last[128], old_timeout[32], path[PATH_MAX], value[16];
	const char *why;
	uint32_t pe;
	int ret, err;
	bool ran, taken = false;

	ret = shutdown_parse(argc, argv, &a);
	if (ret >= 0)
		return ret;
	memset(&o, 0, sizeof(o));
	if (!mosctl_configfs_present()) {
		printf("node is already off (the mosix module is not loaded)\n");
		return MOSCTL_EXIT_OK;
	}
	err = mosctl_configfs_read_quiet("state", state, sizeof(state));
	if (err) {
		mosctl_err("shutdown: %s/state: %s", mosctl_configfs_dir(),
			   strerror(-err));
		return MOSCTL_EXIT_FAIL;
	}
	if (!strcmp(state, "off")) {
		printf("node is already off\n");
		return MOSCTL_EXIT_OK;
	}
	if (strcmp(state, "up")) {
		mosctl_err("shutdown: a transition is running (state %s): try again when it is over",
			   state);
		return MOSCTL_EXIT_FAIL;
	}
	if (mosctl_configfs_read_u32("pe", MOSIX_PE_MAX, &pe))
		return MOSCTL_EXIT_FAIL;
	if (!pe) {
		printf("node is already off\n");
		return MOSCTL_EXIT_OK;
	}
	o.pe = pe;
	if (!mosctl_configfs_read_quiet("shutdown_timeout_ms", old_timeout,
					sizeof(old_timeout)))
		mosix_parse_decimal(old_timeout, strlen(old_timeout), UINT32_MAX,
				    &o.timeout_ms);
	else
		old_timeout[0] = '\0';
	if (a.have_timeout) {
		if (!old_timeout[0]) {
			mosctl_err("shutdown: --timeout: %s/shutdown_timeout_ms cannot be read: the module does not support it",
				   mosctl_configfs_dir());
			return MOSCTL_EXIT_FAIL;
		}
		snprintf(value, sizeof(value), "%" PRIu32, a.timeout_s * 1000);
		if (mosctl_configfs_write("shutdown_timeout_ms", value, strlen(value),
					  "shutdown: --timeout"))
			return MOSCTL_EXIT_FAIL;
		o.timeout_ms = a.timeout_s * 1000;
	}

	/* subscribed before the write: no event of this shutdown is missed */
	live_open(&l, stdout, 0, &why);
	if (why)
		mosctl_err("shutdown: no live progress: %s", why);

	ret = MOSCTL_EXIT_FAIL;
	memset(&w, 0, sizeof(w));
	snprintf(path, sizeof(path), "%s/pe", mosctl_configfs_dir());
	w.fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (w.fd < 0) {
		char buf[96];
		const char *meaning;

		err = errno;
		meaning = mosctl_configfs_explain("pe", err, NULL, buf, sizeof(buf));
		mosctl_err("shutdown: %s: %s%s%s%s", path, strerror(err),
			   meaning ? " (" : "", meaning ? meaning : "",
			   meaning ? ")" : "");
		goto restore;
	}
	if (o.timeout_ms)
		printf("shutting down PE %" PRIu32 " (quiesce timeout %" PRIu32 " ms)\n",
		       pe, o.timeout_ms);
	else
		printf("shutting down PE %" PRIu32 "\n", pe);
	fflush(stdout);

	/* blocked from here to the end: a second Ctrl-C cannot cut the report */
	signals_take(&sig);
	taken = true;
	ran = run_writer(&w, &l);
	o.signo = got_signal;
	if (close(w.fd) && ran && !w.skipped && !w.err && errno != EINTR)
		w.err = errno;
	if (!ran)
		goto restore;
	live_drain(&l);

	if (w.skipped) {
		mosctl_err("interrupted before the shutdown began: nothing was changed; node is still up as PE %" PRIu32,
			   pe);
		ret = 128 + o.signo;
		goto restore;
	}
	o.err = w.err;
	o.failed_seen = l.failed_seen;
	memcpy(o.failed_stage, l.failed_stage, sizeof(o.failed_stage));
	o.failed_err = l.failed_err;
	if (o.err) {
		o.last_shutdown = mosctl_configfs_read_quiet("last_shutdown", last,
							     sizeof(last)) ? NULL : last;
		o.state = mosctl_configfs_read_quiet("state", state, sizeof(state)) ?
			  NULL : state;
	}
	ret = mosctl_shutdown_conclude(stdout, stderr, &o);
restore:
	live_close(&l);
	/* --timeout holds for this shutdown only */
	if (a.have_timeout &&
	    mosctl_configfs_write("shutdown_timeout_ms", old_timeout,
				  strlen(old_timeout),
				  "shutdown: restoring shutdown_timeout_ms"))
		ret = ret ? ret : MOSCTL_EXIT_FAIL;
	if (taken)
		signals_give_back(&sig);
	return ret;
}

/* --- monitor ----------------------------------------------------------------- */

int mosctl_cmd_monitor(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int flags = MOSCTL_EVENTS_OP;
	sigset_t set, old_mask;
	struct live l;
	int c, err, sfd, ret = MOSCTL_EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			flags = MOSCTL_EVENTS_JSON;
			break;
		case 'h':
			mosctl_help("monitor", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("monitor", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("monitor", "unexpected argument '%s'", argv[optind]);

	memset(&l, 0, sizeof(l));
	mosctl_event_printer_init(&l.pr, stdout, flags);
	if (mosctl_nl_connect(&l.nl))
		return MOSCTL_EXIT_FAIL;
	err = mosctl_nl_subscribe_events(&l.nl);
	if (err) {
		if (err == -ENOPROTOOPT)
			mosctl_err("monitor: the mosix module has no events group (it is older than mosctl)");
		else
			mosctl_err("monitor: joining the events group: %s", strerror(-err));
		mosctl_nl_close(&l.nl);
		return MOSCTL_EXIT_FAIL;
	}
	l.on = true;

	/* SIGINT and SIGTERM end the stream, read from a signalfd */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old_mask);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		mosctl_err("monitor: signalfd: %s", strerror(errno));
		ret = MOSCTL_EXIT_FAIL;
	}
	while (sfd >= 0 && l.on) {
		struct pollfd p[2] = {
			{ sfd, POLLIN, 0 },
			{ mnl_socket_get_fd(l.nl.sock), POLLIN, 0 },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			mosctl_err("monitor: poll: %s", strerror(errno));
			ret = MOSCTL_EXIT_FAIL;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && !live_read(&l))
			ret = MOSCTL_EXIT_FAIL;
		if (ferror(stdout))
			break;	/* reported by the caller */
	}
	if (sfd >= 0) {
		struct timespec zero = { 0, 0 };

		close(sfd);
		while (sigtimedwait(&set, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	live_close(&l);
	return ret;
}

/* --- start ----------------------------------------------------------------- */

struct start_args {
	const char *map;
	const char *key;
	const char *state_dir;
	bool have_pe;
	uint32_t pe;
};

static int start_parse(int argc, char **argv, struct start_args *a)
{
	static const struct option options[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "pe", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'm':
			a->map = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'p':
			if (!mosctl_parse_pe(optarg, &a->pe))
				return mosctl_usage("start", "--pe: '%s' is not a PE number (1..65535)",
						    optarg);
			a->have_pe = true;
			break;
		case 's':
			a->state_dir = optarg;
			break;
		case 'h':
			mosctl_help("start", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("start", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("start", "unexpected argument '%s'", argv[optind]);
	if ((a->map && !*a->map) || (a->key && !*a->key) ||
	    (a->state_dir && !*a->state_dir))
		return mosctl_usage("start", "an empty file name");
	return -1;
}

/* "$MOSIX_ETC/NAME", the default /etc/mosix/NAME */
static char *etc_path(const char *name)
{
	const char *dir = getenv(MOSCTL_ENV_ETC);
	char *p;

	if (!dir || !*dir)
		dir = MOSCTL_ETC_DIR;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* a file start needs: missing or unreadable is said in its own terms */
static bool file_there(const char *path, const char *what)
{
	if (!access(path, R_OK))
		return true;
	mosctl_err("start: %s: %s (%s)", path, strerror(errno), what);
	return false;
}

static bool module_loaded(void)
{
	struct stat st;

	return mosctl_configfs_present() || !stat(SYS_MODULE, &st);
}

/* modprobe mosix unless the module is loaded; 0 or -1 */
static int load_module(bool *loaded)
{
	const char *prog = getenv(MOSCTL_ENV_MODPROBE);
	int status;
	pid_t pid;

	*loaded = false;
	if (module_loaded())
		return 0;
	if (!prog || !*prog)
		prog = MOSCTL_MODPROBE;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		mosctl_err("start: fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		execl(prog, prog, "mosix", (char *)NULL);
		dprintf(STDERR_FILENO, "mosctl: start: %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			mosctl_err("start: waiting for %s: %s", prog, strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		*loaded = true;
		return 0;
	}
	if (WIFEXITED(status))
		mosctl_err("start: loading the module: '%s mosix' failed (exit status %d)",
			   prog, WEXITSTATUS(status));
	else
		mosctl_err("start: loading the module: '%s mosix' was killed by signal %d",
			   prog, WTERMSIG(status));
	return -1;
}

static int wait_configfs(void)
{
	uint64_t end = now_ms() + CONFIGFS_WAIT_MS;

	while (!mosctl_configfs_present()) {
		struct timespec ts = { 0, 50 * 1000000L };

		if (now_ms() >= end) {
			mosctl_err("start: %s did not appear within %d s: is configfs mounted on /sys/kernel/config?",
				   mosctl_configfs_dir(), CONFIGFS_WAIT_MS / 1000);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

static bool same_map(const struct mosix_map *a, const struct mosix_map *b)
{
	uint32_t i, n = mosix_map_nr_entries(a);

	if (a->nr_ranges != b->nr_ranges || a->nr_aliases != b->nr_aliases)
		return false;
	for (i = 0; i < n; i++) {
		const struct mosix_map_entry *x = &a->entries[i], *y = &b->entries[i];

		if (x->pe != y->pe || x->count != y->count ||
		    mosix_addr_cmp(&x->addr, &y->addr))
			return false;
	}
	return true;
}

/*
 * Already up as pe: the same table, or install the new one. The key cannot
 * change while up (the kernel refuses any key then) nor be read back: it is
 * left as it is.
 */
static int start_already_up(const struct mosctl_map_file *m, uint32_t pe)
{
	struct mosix_map installed;
	bool same;

	if (mosctl_load_table(&installed))
		return MOSCTL_EXIT_FAIL;
	same = same_map(&installed, &m->map);
	mosix_map_free(&installed);
	if (same) {
		printf("already up as PE %" PRIu32 "\n", pe);
		return MOSCTL_EXIT_OK;
	}
	if (mosctl_install_table(m))
		return MOSCTL_EXIT_FAIL;
	printf("installed the node table of %s; up as PE %" PRIu32 "\n", m->name, pe);
	return MOSCTL_EXIT_OK;
}

/* the node comes up with an epoch newer than any it used: see epoch.c */
static int start_node(const struct mosctl_map_file *m,
		      const struct mosctl_key *key, uint32_t pe,
		      const char *state_dir, uint64_t saved_epoch)
{
	char state[64], value[16], what[64];
	const char *why;
	struct live l;
	uint32_t cur;
	int err, ret;

	err = mosctl_configfs_read_quiet("state", state, sizeof(state));
	if (err) {
		mosctl_err("start: %s/state: %s", mosctl_configfs_dir(), strerror(-err));
		return MOSCTL_EXIT_FAIL;
	}
	if (strcmp(state, "off") && strcmp(state, "up")) {
		mosctl_err("start: a transition is running (state %s): try again when it is over",
			   state);
		return MOSCTL_EXIT_FAIL;
	}
	if (mosctl_configfs_read_u32("pe", MOSIX_PE_MAX, &cur))
		return MOSCTL_EXIT_FAIL;
	if (cur && cur != pe) {
		mosctl_err("start: this node is up as PE %" PRIu32 ", but %s makes it PE %" PRIu32 ": run 'mosctl shutdown' first",
			   cur, m->name, pe);
		return MOSCTL_EXIT_FAIL;
	}
	if (cur)
		return start_already_up(m, pe);

	if (mosctl_epoch_handover(state_dir, saved_epoch) ||
	    mosctl_configfs_write("key", key->hex, key->len,
				  "start: setting the cluster key") ||
	    mosctl_install_table(m))
		return MOSCTL_EXIT_FAIL;
	/* the bring-up's stages, printed once the write returned */
	live_open(&l, stdout, 0, &why);
	snprintf(value, sizeof(value), "%" PRIu32, pe);
	snprintf(what, sizeof(what), "start: bringing the node up as PE %" PRIu32, pe);
	ret = mosctl_configfs_write("pe", value, strlen(value), what) ?
	      MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK;
	if (l.on)
		live_drain(&l);
	live_close(&l);
	if (!ret)
		printf("node is up as PE %" PRIu32 "\n", pe);
	return ret;
}

int mosctl_cmd_start(int argc, char **argv)
{
	struct start_args a = { NULL, NULL, NULL, false, 0 };
	struct mosctl_map_file m;
	struct mosctl_key key;
	char *map_path = NULL, *key_path = NULL;
	const char *state_dir;
	int ret = MOSCTL_EXIT_FAIL;
	bool loaded, have_map = false;
	uint64_t saved_epoch;
	uint32_t pe = 0;

	ret = start_parse(argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = MOSCTL_EXIT_FAIL;
	memset(&key, 0, sizeof(key));
	map_path = a.map ? strdup(a.map) : etc_path("mosix.map");
	key_path = a.key ? strdup(a.key) : etc_path("key");
	if (!map_path || !key_path) {
		mosctl_err("%s", strerror(ENOMEM));
		goto out;
	}

	/* the configuration first: a node that cannot come up loads nothing */
	if (!file_there(map_path, "the node table: the cluster's map, the same on every node"))
		goto out;
	if (mosctl_map_file_load(map_path, &m))
		goto out;
	have_map = true;
	if (!file_there(key_path, "the cluster key: 32..128 hex digits, e.g. from 'openssl rand -hex 32'") ||
	    mosctl_key_load(key_path, &key))
		goto out;
	if (a.have_pe) {
		pe = a.pe;
		if (!mosix_map_find_pe(&m.map, pe)) {
			mosctl_err("start: %s: PE %" PRIu32 " is not in the map", m.name, pe);
			goto out;
		}
	} else if (mosctl_find_own_pe(&m, "--pe", &pe)) {
		goto out;
	}
	/*
	 * The saved epoch too; and, where the node is surely off (the module
	 * is not loaded), that it can be saved again.
	 */
	state_dir = mosctl_state_dir(a.state_dir);
	if (mosctl_epoch_load(state_dir, &saved_epoch) ||
	    (!module_loaded() && mosctl_state_dir_ready(state_dir)))
		goto out;

	if (load_module(&loaded) || wait_configfs())
		goto out;
	if (loaded)
		printf("loaded the mosix module\n");
	ret = start_node(&m, &key, pe, state_dir, saved_epoch);
out:
	mosctl_key_wipe(&key);
	if (have_map)
		mosctl_map_file_free(&m);
	free(map_path);
	free(key_path);
	return ret;
}
