// SPDX-License-Identifier: GPL-2.0
/*
 * `mosctl migrate JOB PE|home`: asks the kernel's migration daemon to move
 * a job (MOSIX_CMD_MIGRATE; at its home, a job that runs elsewhere too: the
 * kernel asks that node) and waits for the move's end, the
 * MOSIX_EVENT_MIG_DONE event with the move's id: it listens before it asks,
 * so the end cannot slip by. Exit status 0: the job moved; 1: it stayed
 * where it was (the line printed says why); 2: usage. A move that takes
 * longer than a second shows how far it is on stderr, when that is a
 * terminal (the MOSIX_EVENT_MIG_PROGRESS events of the move).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"
#include "mosix_job.h"
#include "mosix_mig_wire.h"

/* a progress line appears once a move took this long */
#define PROGRESS_AFTER_MS	1000
#define PROGRESS_REDRAW_MS	250

struct mig_wait {
	uint64_t id;
	bool done;
	struct mosctl_event ev;
	/* the progress the helper reported, and the stream's start for its rate */
	uint32_t phase, to;
	uint64_t done_bytes, total_bytes;
	int64_t stream_start_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mig_event_cb(const struct mosctl_event *ev, void *data)
{
	struct mig_wait *w = data;

	if (!ev->has_mig || ev->mig_id != w->id || w->done)
		return;
	if (ev->kind == MOSIX_EVENT_MIG_PROGRESS) {
		if (ev->mig_phase == MOSIX_MIG_PHASE_STREAMING && !w->stream_start_ms)
			w->stream_start_ms = now_ms();
		w->phase = ev->mig_phase;
		w->to = ev->mig_to;
		w->done_bytes = ev->mig_done;
		w->total_bytes = ev->mig_total;
	} else if (ev->kind == MOSIX_EVENT_MIG_DONE) {
		w->ev = *ev;
		w->done = true;
	}
}

/* the progress line, redrawn in place: "job 1.7 to node 2: streaming ... (2.1 s)" */
static void draw_progress(const struct mig_wait *w, const char *id, int64_t elapsed_ms)
{
	char what[96];
	uint64_t rate = 0;
	int64_t streamed_ms = w->stream_start_ms ? now_ms() - w->stream_start_ms : 0;

	if (w->phase == MOSIX_MIG_PHASE_STREAMING && streamed_ms > 0)
		rate = w->done_bytes * 1000 / (uint64_t)streamed_ms;
	if (w->phase)
		mosctl_fmt_progress(what, sizeof(what), w->phase, w->done_bytes, w->total_bytes, rate);
	else
		snprintf(what, sizeof(what), "starting");
	fprintf(stderr, "\r\033[Kjob %s: %s (%" PRId64 ".%" PRId64 " s)", id, what,
		elapsed_ms / 1000, elapsed_ms % 1000 / 100);
	fflush(stderr);
}

/* why a job stayed, as a user reads it */
static void print_reason(FILE *f, uint32_t reason, uint32_t from, uint32_t to)
{
	switch (reason) {
	case MOSIX_MIG_R_BLOCKED:
		fprintf(f, "node %" PRIu32 " takes no guests (blocked)", to);
		break;
	case MOSIX_MIG_R_NOT_UP:
		fprintf(f, "node %" PRIu32 " is not up", to);
		break;
	case MOSIX_MIG_R_STOPPING:
		fprintf(f, "node %" PRIu32 " is leaving the cluster", to);
		break;
	case MOSIX_MIG_R_NO_CRIU:
		fprintf(f, "node %" PRIu32 " has no usable criu (or no migration helper running)", to);
		break;
	case MOSIX_MIG_R_NO_MEMORY:
		fprintf(f, "node %" PRIu32 " is short of memory for it", to);
		break;
	case MOSIX_MIG_R_TOO_BIG:
		fprintf(f, "the job is larger than node %" PRIu32 " takes (mig_max_image_mb)", to);
		break;
	case MOSIX_MIG_R_ROOT_REFUSED:
		fprintf(f, "node %" PRIu32 " takes no root jobs (mig_allow_root is 0)", to);
		break;
	case MOSIX_MIG_R_BUSY:
		fprintf(f, "node %" PRIu32 " has as many moves under way as it takes", to);
		break;
	case MOSIX_MIG_R_TIMEOUT:
		fputs("a step took too long (mig_timeout_ms, or no answer)", f);
		break;
	case MOSIX_MIG_R_STREAM:
		fputs("the image stream failed or did not verify", f);
		break;
	case MOSIX_MIG_R_RESTORE:
		fprintf(f, "criu restore failed on node %" PRIu32, to);
		break;
	case MOSIX_MIG_R_DUMP:
		fputs("criu dump failed here", f);
		break;
	case MOSIX_MIG_R_CANCELLED:
		fputs("the move was cancelled", f);
		break;
	case MOSIX_MIG_R_UNKNOWN_MOVE:
		fprintf(f, "node %" PRIu32 " knew nothing of the move", to);
		break;
	case MOSIX_MIG_R_NOT_HERE:
		fprintf(f, "the job does not run on node %" PRIu32 " (mosctl ps there)", from);
		break;
	case MOSIX_MIG_R_HOST:
		fprintf(f, "node %" PRIu32 ", where it runs, cannot move it now (its kernel log says why)",
			from);
		break;
	default:
		fprintf(f, "reason %" PRIu32, reason);
		break;
	}
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/*
 * Waits for the MIG_DONE event of w->id: 0, or -1 with the error printed.
 * A SIGINT or SIGTERM ends the wait (the move goes on), unless finish: then
 * the move's end is waited for all the same (the kernel's timeouts bound it).
 */
static int wait_done(struct mosctl_nl *ev, struct mig_wait *w, const char *id, bool finish)
{
	struct pollfd pfd = { mnl_socket_get_fd(ev->sock), POLLIN, 0 };
	bool tty = isatty(STDERR_FILENO), drawn = false;
	int64_t start = now_ms();
	int rc = 0;

	while (!w->done) {
		int64_t elapsed = now_ms() - start;
		int err;

		if (tty && elapsed >= PROGRESS_AFTER_MS) {
			draw_progress(w, id, elapsed);
			drawn = true;
		}
		if (interrupted && !finish) {
			if (drawn)
				fputs("\r\033[K", stderr);
			mosctl_err("migrate: interrupted; the move of job %s goes on (mosctl ps shows where it runs)",
				   id);
			return -1;
		}
		err = poll(&pfd, 1, tty ? PROGRESS_REDRAW_MS : -1);
		if (err < 0) {
			if (errno == EINTR)
				continue;
			mosctl_err("migrate: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (!err)
			continue;
		err = mosctl_nl_recv_events(ev, mig_event_cb, w);
		if (err == -ENOBUFS) {
			/* (a progress event lost is no matter; the end lost is) */
			if (drawn)
				fputs("\r\033[K", stderr);
			mosctl_err("migrate: events were lost; see mosctl ps for where job %s runs",
				   id);
			return -1;
		}
		if (err < 0 && err != -EAGAIN) {
			if (drawn)
				fputs("\r\033[K", stderr);
			mosctl_nl_perror(ev, "migrate: reading events", err);
			return -1;
		}
	}
	if (drawn)
		fputs("\r\033[K", stderr);
	return rc;
}

bool mosctl_move_interrupted(void)
{
	return interrupted;
}

int mosctl_moves_open(struct mosctl_nl *req, struct mosctl_nl *ev, const char *what)
{
	struct sigaction sa = { .sa_handler = on_interrupt };
	char where[64];
	int err;

	if (mosctl_nl_connect(ev))
		return -1;
	if (mosctl_nl_connect(req)) {
		mosctl_nl_close(ev);
		return -1;
	}
	/* listen first: a move may end before its request's reply is read */
	err = mosctl_nl_subscribe_events(ev);
	if (err) {
		snprintf(where, sizeof(where), "%s: listening for events", what);
		mosctl_nl_perror(ev, where, err);
		mosctl_moves_close(req, ev);
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

void mosctl_moves_close(struct mosctl_nl *req, struct mosctl_nl *ev)
{
	mosctl_nl_close(req);
	mosctl_nl_close(ev);
}

int mosctl_move(struct mosctl_nl *req, struct mosctl_nl *ev, const char *what,
		uint32_t home, uint32_t num, uint32_t to, bool finish, FILE *out)
{
	struct mig_wait w = { .id = 0 };
	char id[32], dur[32];
	int err;

	snprintf(id, sizeof(id), "%" PRIu32 ".%" PRIu32, home, num);
	err = mosctl_nl_migrate(req, home, num, to, &w.id);
	if (err) {
		char where[96];

		snprintf(where, sizeof(where), "%s: job %s to node %" PRIu32, what, id, to);
		mosctl_nl_perror(req, where, err);
		return -1;
	}
	if (wait_done(ev, &w, id, finish))
		return -1;
	mosctl_fmt_duration(dur, sizeof(dur), w.ev.duration_us);
	if (w.ev.mig_outcome == MOSIX_MIG_OUTCOME_COMMITTED) {
		fprintf(out, "%sjob %s moved from node %" PRIu32 " to node %" PRIu32 " (%s)\n",
			out == stderr ? "mosctl: " : "", id, w.ev.mig_from, w.ev.mig_to, dur);
		fflush(out);
		return 0;
	}
	fprintf(out, "%sjob %s stayed on node %" PRIu32 ": ", out == stderr ? "mosctl: " : "",
		id, w.ev.mig_from);
	print_reason(out, w.ev.mig_reason, w.ev.mig_from, w.ev.mig_to);
	fprintf(out, " (%s)\n", dur);
	fflush(out);
	return 1;
}

int mosctl_cmd_migrate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mosctl_nl ev, req;
	uint32_t home, num, to;
	const char *id, *where;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 'h') {
			mosctl_help("migrate", stdout);
			return MOSCTL_EXIT_OK;
		}
		return mosctl_bad_option("migrate", argv, c);
	}
	if (optind >= argc)
		return mosctl_usage("migrate", "missing JOB (HOME.NUM, as mosctl ps shows)");
	if (optind + 1 >= argc)
		return mosctl_usage("migrate", "missing where to: a PE (1..65535) or home");
	if (optind + 2 < argc)
		return mosctl_usage("migrate", "unexpected argument '%s'", argv[optind + 2]);
	id = argv[optind];
	where = argv[optind + 1];
	if (mosix_job_id_parse(id, &home, &num))
		return mosctl_usage("migrate", "'%s' is not a job id: HOME.NUM, HOME 1..65535, NUM from 1",
				    id);
	if (!strcmp(where, "home")) {
		to = home;
	} else if (mosix_parse_decimal(where, strlen(where), MOSIX_PE_MAX, &to) || !to) {
		return mosctl_usage("migrate", "'%s' is not a node: a PE (1..65535) or home", where);
	}

	if (mosctl_moves_open(&req, &ev, "migrate"))
		return MOSCTL_EXIT_FAIL;
	ret = mosctl_move(&req, &ev, "migrate", home, num, to, false, stdout);
	mosctl_moves_close(&req, &ev);
	return ret ? MOSCTL_EXIT_FAIL : MOSCTL_EXIT_OK;
}
