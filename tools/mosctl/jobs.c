// SPDX-License-Identifier: GPL-2.0
/*
 * The job registry read from userspace: `mosctl ps` (openMosix's mps) and
 * `mosctl wait JOB`, and how a wait(2) status is told.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"

char *mosctl_fmt_wait_status(char *buf, size_t size, uint32_t status)
{
	int st = (int)status;

	if (WIFEXITED(st)) {
		snprintf(buf, size, "exited %d", WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		const char *name = sigabbrev_np(WTERMSIG(st));

		if (name)
			snprintf(buf, size, "killed by SIG%s%s", name,
				 WCOREDUMP(st) ? " (core dumped)" : "");
		else
			snprintf(buf, size, "killed by signal %d%s", WTERMSIG(st),
				 WCOREDUMP(st) ? " (core dumped)" : "");
	} else {
		snprintf(buf, size, "wait status 0x%" PRIx32, status);
	}
	return buf;
}

int mosctl_wait_status_exit(uint32_t status)
{
	int st = (int)status;

	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return MOSCTL_EXIT_FAIL;
}

const char *mosctl_job_state_name(uint32_t state)
{
	switch (state) {
	case MOSIX_JOB_RUNNING:
		return "running";
	case MOSIX_JOB_EXITED:
		return "exited";
	case MOSIX_JOB_MIGRATING:
		return "migrating";
	default:
		return "unknown";
	}
}

static const char *user_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw && pw->pw_name && *pw->pw_name && strlen(pw->pw_name) < size) {
		snprintf(buf, size, "%s", pw->pw_name);
		/* a name that could garble the table is shown as the number */
		for (char *p = buf; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				goto number;
		return buf;
	}
number:
	snprintf(buf, size, "%" PRIu32, uid);
	return buf;
}

static char *fmt_age(char *buf, size_t size, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
	return buf;
}

static void print_json(FILE *f, const struct mosctl_job *jobs, size_t n)
{
	char id[MOSIX_JOB_ID_STRLEN], user[64], st[64];
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		const struct mosctl_job *j = &jobs[i];

		snprintf(id, sizeof(id), "%" PRIu32 ".%" PRIu32, j->home, j->num);
		fprintf(f, "%s{\"id\":\"%s\",\"name\":", i ? "," : "", id);
		mosctl_json_str(f, j->name);
		fprintf(f, ",\"home\":%" PRIu32 ",\"where\":%" PRIu32, j->home,
			j->where);
		if (j->has_pid)
			fprintf(f, ",\"pid\":%" PRIu32, j->pid);
		else
			fputs(",\"pid\":null", f);
		fputs(",\"state\":", f);
		mosctl_json_str(f, mosctl_job_state_name(j->state));
		fputs(",\"user\":", f);
		mosctl_json_str(f, user_name(j->uid, user, sizeof(user)));
		fprintf(f, ",\"uid\":%" PRIu32 ",\"cmd\":", j->uid);
		mosctl_json_str(f, j->cmd);
		fprintf(f, ",\"age_ms\":%" PRIu64, j->age_ms);
		if (j->has_status) {
			fprintf(f, ",\"wait_status\":%" PRIu32 ",\"exit\":", j->status);
			mosctl_json_str(f, mosctl_fmt_wait_status(st, sizeof(st),
								  j->status));
		}
		fputc('}', f);
	}
	fputs("]\n", f);
}

void mosctl_ps_print(FILE *f, const struct mosctl_job *jobs, size_t n,
		     unsigned int flags)
{
	char id[MOSIX_JOB_ID_STRLEN], user[64], pid[16], age[32], st[64];
	size_t i;

	if (flags & MOSCTL_PS_JSON) {
		print_json(f, jobs, n);
		return;
	}
	fprintf(f, "%-12s %-16s %5s %5s %8s %-8s %-10s %7s %s\n", "ID", "NAME",
		"HOME", "WHERE", "PID", "STATE", "USER", "AGE", "COMMAND");
	for (i = 0; i < n; i++) {
		const struct mosctl_job *j = &jobs[i];
		const char *state = mosctl_job_state_name(j->state);

		snprintf(id, sizeof(id), "%" PRIu32 ".%" PRIu32, j->home, j->num);
		if (j->has_pid)
			snprintf(pid, sizeof(pid), "%" PRIu32, j->pid);
		else
			snprintf(pid, sizeof(pid), "-");
		if (j->state == MOSIX_JOB_EXITED)
			state = j->has_status ? mosctl_fmt_wait_status(st, sizeof(st),
								       j->status) :
				"lost";
		fprintf(f, "%-12s %-16s %5" PRIu32 " %5" PRIu32 " %8s %-8s %-10s %7s %s\n",
			id, j->name, j->home, j->where, pid, state,
			user_name(j->uid, user, sizeof(user)),
			fmt_age(age, sizeof(age), j->age_ms), j->cmd);
	}
}

int mosctl_cmd_ps(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mosctl_job *jobs = NULL;
	struct mosctl_nl nl;
	unsigned int flags = 0;
	size_t n = 0;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			flags |= MOSCTL_PS_JSON;
			break;
		case 'h':
			mosctl_help("ps", stdout);
			return MOSCTL_EXIT_OK;
		default:
			return mosctl_bad_option("ps", argv, c);
		}
	}
	if (optind < argc)
		return mosctl_usage("ps", "unexpected argument '%s'", argv[optind]);
	if (mosctl_nl_connect(&nl))
		return MOSCTL_EXIT_FAIL;
	err = mosctl_nl_get_jobs(&nl, &jobs, &n);
	mosctl_nl_close(&nl);
	if (err) {
		mosctl_nl_dump_perror(&nl, "ps: reading the jobs", err);
		return MOSCTL_EXIT_FAIL;
	}
	mosctl_ps_print(stdout, jobs, n, flags);
	free(jobs);
	return MOSCTL_EXIT_OK;
}

/* --- wait ------------------------------------------------------------------ */

struct wait_target {
	uint32_t home, num;
	bool exited;
	uint32_t status;
};

static void wait_event_cb(const struct mosctl_event *ev, void *data)
{
	struct wait_target *t = data;

	if (ev->has_job && ev->job_home == t->home && ev->job_num == t->num) {
		t->exited = true;
		t->status = ev->job_status;
	}
}

/*
 * The job in the registry: 1 running, 0 exited (t->status set), -ENOENT
 * not there, -ENODATA exited without a status, other -errno.
 */
static int wait_lookup(struct mosctl_nl *nl, struct wait_target *t)
{
	struct mosctl_job *jobs;
	size_t n, i;
	int err = mosctl_nl_get_jobs(nl, &jobs, &n);

	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++) {
		if (jobs[i].home != t->home || jobs[i].num != t->num)
			continue;
		if (jobs[i].state != MOSIX_JOB_EXITED)
			err = 1;
		else if (!jobs[i].has_status)
			err = -ENODATA;
		else
			err = 0, t->status = jobs[i].status;
	}
	free(jobs);
	return err;
}

int mosctl_cmd_wait(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wait_target t = { 0, 0, false, 0 };
	struct mosctl_nl ev, q;
	const char *id;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 'h') {
			mosctl_help("wait", stdout);
			return MOSCTL_EXIT_OK;
		}
		return mosctl_bad_option("wait", argv, c);
	}
	if (optind >= argc)
		return mosctl_usage("wait", "missing JOB (HOME.NUM, as mosctl ps shows)");
	if (optind + 1 < argc)
		return mosctl_usage("wait", "unexpected argument '%s'", argv[optind + 1]);
	id = argv[optind];
	if (mosix_job_id_parse(id, &t.home, &t.num))
		return mosctl_usage("wait", "'%s' is not a job id: HOME.NUM, HOME 1..65535, NUM from 1",
				    id);
	if (mosctl_nl_connect(&ev))
		return MOSCTL_EXIT_FAIL;
	if (mosctl_nl_connect(&q)) {
		mosctl_nl_close(&ev);
		return MOSCTL_EXIT_FAIL;
	}
	/*
	 * Listen first (on a socket of its own: a dump's reads would swallow
	 * the events), then look: an exit between the two is not missed.
	 */
	err = mosctl_nl_subscribe_events(&ev);
	if (err) {
		mosctl_nl_perror(&ev, "wait: listening for job events", err);
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { mnl_socket_get_fd(ev.sock), POLLIN, 0 };

		err = wait_lookup(&q, &t);
		if (err <= 0)
			break;
		while (!t.exited) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				err = -errno;
				mosctl_err("wait: %s", strerror(errno));
				goto out;
			}
			err = mosctl_nl_recv_events(&ev, wait_event_cb, &t);
			/* events lost: the registry tells */
			if (err == -ENOBUFS)
				break;
			if (err < 0 && err != -EAGAIN) {
				mosctl_nl_perror(&ev, "wait: reading job events", err);
				goto out;
			}
		}
		if (t.exited) {
			err = 0;
			break;
		}
	}
	if (err == -ENOENT)
		mosctl_err("wait: there is no job %s on this node (mosctl ps lists them)", id);
	else if (err == -ENODATA)
		mosctl_err("wait: job %s ended without a status: its helper (mosctl helper) died before it could report one",
			   id);
	else if (err < 0)
		mosctl_nl_dump_perror(&q, "wait: reading the jobs", err);
out:
	mosctl_nl_close(&q);
	mosctl_nl_close(&ev);
	if (err)
		return MOSCTL_EXIT_FAIL;
	return mosctl_wait_status_exit(t.status);
}
