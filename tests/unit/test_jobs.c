// SPDX-License-Identifier: GPL-2.0
/*
 * Jobs without a kernel: names, command lines and ids as the module checks
 * them (module/mosix_job.c), the run request between mosctl run and the
 * helper (tools/mosctl/request.c) against hostile input, GET_JOBS and
 * JOB_EXITED decoding, and what ps and wait print.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- shared validation --------------------------------------------------- */

static const struct {
	const char *name;
	int err;
} name_cases[] = {
	{ "sim", 0 }, { "a.b_c+d-e", 0 }, { "0123456789012345678901234567890", 0 },
	{ "", -EINVAL }, { "01234567890123456789012345678901", -EINVAL },
	{ "with space", -EINVAL }, { "tab\t", -EINVAL }, { "slash/", -EINVAL },
	{ "\x1b[31m", -EINVAL }, { "caf\xc3\xa9", -EINVAL },
};

START_TEST(test_job_name_check)
{
	const char *reason = NULL;
	int err = mosix_job_name_check(name_cases[_i].name,
				       strlen(name_cases[_i].name), &reason);

	ck_assert_int_eq(err, name_cases[_i].err);
	if (err)
		ck_assert_ptr_nonnull(reason);
}
END_TEST

START_TEST(test_job_cmd_check)
{
	char longcmd[MOSIX_JOB_CMD_MAX + 1];
	const char *reason;

	ck_assert_int_eq(mosix_job_cmd_check("sh -c 'echo hi'", 15, &reason), 0);
	ck_assert_int_eq(mosix_job_cmd_check("", 0, &reason), 0);
	ck_assert_int_eq(mosix_job_cmd_check("caf\xc3\xa9", 5, &reason), 0);
	ck_assert_int_eq(mosix_job_cmd_check("a\nb", 3, &reason), -EINVAL);
	ck_assert_str_eq(reason, "the command line has a control character");
	ck_assert_int_eq(mosix_job_cmd_check("\x1b]0;x", 5, &reason), -EINVAL);
	ck_assert_int_eq(mosix_job_cmd_check("a\x7f", 2, &reason), -EINVAL);
	memset(longcmd, 'x', sizeof(longcmd));
	ck_assert_int_eq(mosix_job_cmd_check(longcmd, MOSIX_JOB_CMD_MAX - 1, &reason), 0);
	ck_assert_int_eq(mosix_job_cmd_check(longcmd, MOSIX_JOB_CMD_MAX, &reason),
			 -EINVAL);
}
END_TEST

static const struct {
	const char *id;
	int err;
	uint32_t home, num;
} id_cases[] = {
	{ "1.1", 0, 1, 1 }, { "65535.4294967295", 0, 65535, 4294967295u },
	{ "12.345", 0, 12, 345 }, { "0.1", -EINVAL, 0, 0 }, { "1.0", -EINVAL, 0, 0 },
	{ "65536.1", -ERANGE, 0, 0 }, { "1.4294967296", -ERANGE, 0, 0 },
	{ "1.99999999999999999999", -ERANGE, 0, 0 }, { "01.1", -EINVAL, 0, 0 },
	{ "1.01", -EINVAL, 0, 0 }, { "1", -EINVAL, 0, 0 }, { "1.", -EINVAL, 0, 0 },
	{ ".1", -EINVAL, 0, 0 }, { "1.2.3", -EINVAL, 0, 0 }, { "+1.2", -EINVAL, 0, 0 },
	{ "1.-2", -EINVAL, 0, 0 }, { " 1.2", -EINVAL, 0, 0 }, { "1.2 ", -EINVAL, 0, 0 },
	{ "", -EINVAL, 0, 0 },
};

START_TEST(test_job_id_parse)
{
	uint32_t home = 7, num = 7;
	int err = mosix_job_id_parse(id_cases[_i].id, &home, &num);

	ck_assert_msg(err == id_cases[_i].err, "%s: %d", id_cases[_i].id, err);
	if (!err) {
		ck_assert_uint_eq(home, id_cases[_i].home);
		ck_assert_uint_eq(num, id_cases[_i].num);
	} else {
		/* nothing written on error */
		ck_assert_uint_eq(home, 7);
		ck_assert_uint_eq(num, 7);
	}
}
END_TEST

/* --- the run request ------------------------------------------------------ */

START_TEST(test_request_round_trip)
{
	char *argv[] = { "/usr/bin/sim", "-n", "3", NULL };
	char *envp[] = { "PATH=/bin", "HOME=/root", NULL };
	struct mosctl_run_req req;
	const char *reason;
	char *buf;
	size_t len;

	ck_assert_int_eq(mosctl_req_encode(NULL, MOSCTL_REQ_DETACH, 1ULL << (SIGHUP - 1), 022,
					   argv, envp, &buf, &len), 0);
	ck_assert_int_eq(mosctl_req_decode(buf, len, &req, &reason), 0);
	ck_assert_str_eq(req.name, "sim");
	ck_assert_str_eq(req.cmd, "/usr/bin/sim -n 3");
	ck_assert_str_eq(req.argv[0], "/usr/bin/sim");
	ck_assert_str_eq(req.argv[2], "3");
	ck_assert_ptr_null(req.argv[3]);
	ck_assert_str_eq(req.envp[1], "HOME=/root");
	ck_assert_ptr_null(req.envp[2]);
	ck_assert_uint_eq(req.flags, MOSCTL_REQ_DETACH);
	ck_assert_uint_eq(req.umask, 022);
	ck_assert_uint_eq(req.sigign, 1ULL << (SIGHUP - 1));
	mosctl_req_free(&req);
	free(buf);

	ck_assert_int_eq(mosctl_req_encode("mine", 0, 0, 0, argv, NULL, &buf, &len), 0);
	ck_assert_int_eq(mosctl_req_decode(buf, len, &req, &reason), 0);
	ck_assert_str_eq(req.name, "mine");
	ck_assert_ptr_null(req.envp[0]);
	mosctl_req_free(&req);
	free(buf);
}
END_TEST

START_TEST(test_request_too_large_is_e2big)
{
	char *big = malloc(MOSCTL_REQ_MAX);
	char *argv[] = { "x", big, NULL };
	char *buf = NULL;
	size_t len;

	memset(big, 'a', MOSCTL_REQ_MAX - 1);
	big[MOSCTL_REQ_MAX - 1] = '\0';
	ck_assert_int_eq(mosctl_req_encode(NULL, 0, 0, 0, argv, NULL, &buf, &len), -E2BIG);
	ck_assert_ptr_null(buf);
	free(big);
}
END_TEST

/* a valid request, then one field broken per case */
enum { BAD_MAGIC, BAD_VERSION, BAD_SHORT, BAD_ARGC0, BAD_ARGC_HUGE, BAD_ENVC_HUGE,
       BAD_UNTERMINATED, BAD_TRAILING, BAD_FLAGS, BAD_UMASK, BAD_NAME_CHARS,
       BAD_NAME_UNTERMINATED, BAD_EMPTY_ARGV0, BAD_RESERVED, NR_BAD };

START_TEST(test_request_hostile_is_refused)
{
	char *argv[] = { "sleep", "1", NULL };
	char *envp[] = { "A=1", NULL };
	struct mosctl_req_hdr hdr;
	struct mosctl_run_req req;
	const char *reason = NULL;
	char *buf, *big;
	size_t len;
	int err, want = -EINVAL;

	ck_assert_int_eq(mosctl_req_encode(NULL, 0, 0, 0, argv, envp, &buf, &len), 0);
	big = malloc(len + 8);
	memcpy(big, buf, len);
	memcpy(&hdr, buf, sizeof(hdr));
	switch (_i) {
	case BAD_MAGIC:
		hdr.magic ^= 1;
		want = -EPROTO;
		break;
	case BAD_VERSION:
		hdr.version = 2;
		want = -EPROTO;
		break;
	case BAD_SHORT:
		len = sizeof(hdr) - 1;
		want = -EPROTO;
		break;
	case BAD_ARGC0:
		hdr.argc = 0;
		break;
	case BAD_ARGC_HUGE:
		hdr.argc = 0xffffffffu;
		break;
	case BAD_ENVC_HUGE:
		hdr.envc = 0xffffffffu;
		break;
	case BAD_UNTERMINATED:
		big[len - 1] = 'x';
		break;
	case BAD_TRAILING:
		big[len++] = 'z';
		big[len++] = '\0';
		break;
	case BAD_FLAGS:
		hdr.flags = 0x80;
		break;
	case BAD_UMASK:
		hdr.umask = 01000;
		break;
	case BAD_NAME_CHARS:
		strcpy(hdr.name, "a b");
		break;
	case BAD_NAME_UNTERMINATED:
		memset(hdr.name, 'a', sizeof(hdr.name));
		break;
	case BAD_RESERVED:
		hdr.reserved = 1;
		break;
	case BAD_EMPTY_ARGV0:
		big[sizeof(hdr)] = '\0';	/* "sleep" -> "" + "leep" */
		hdr.argc = 3;
		break;
	}
	memcpy(big, &hdr, sizeof(hdr));
	err = mosctl_req_decode(big, len, &req, &reason);
	ck_assert_msg(err == want, "case %d: %d", _i, err);
	ck_assert_ptr_nonnull(reason);
	ck_assert_ptr_null(req.buf);
	ck_assert_ptr_null(req.argv);
	free(big);
	free(buf);
}
END_TEST

START_TEST(test_default_name_and_cmdline)
{
	char name[MOSIX_JOB_NAME_MAX], cmd[MOSIX_JOB_CMD_MAX], *longarg;
	char *argv[] = { "./a b\x1b", "x\ny", NULL };
	const char *reason;

	mosctl_job_default_name("/usr/bin/python3.11", name);
	ck_assert_str_eq(name, "python3.11");
	mosctl_job_default_name("dir/", name);
	ck_assert_str_eq(name, "job");
	mosctl_job_default_name("./a b\x1b", name);
	ck_assert_str_eq(name, "a_b_");
	mosctl_job_default_name("/x/0123456789012345678901234567890123456789", name);
	ck_assert_uint_eq(strlen(name), MOSIX_JOB_NAME_MAX - 1);
	ck_assert_int_eq(mosix_job_name_check(name, strlen(name), &reason), 0);

	mosctl_job_cmdline(argv, cmd);
	ck_assert_str_eq(cmd, "./a b? x?y");
	longarg = malloc(400);
	memset(longarg, 'q', 399);
	longarg[399] = '\0';
	argv[1] = longarg;
	mosctl_job_cmdline(argv, cmd);
	ck_assert_uint_eq(strlen(cmd), MOSIX_JOB_CMD_MAX - 1);
	ck_assert_str_eq(cmd + MOSIX_JOB_CMD_MAX - 4, "...");
	ck_assert_int_eq(mosix_job_cmd_check(cmd, strlen(cmd), &reason), 0);
	/* exactly full: no "..." */
	longarg[MOSIX_JOB_CMD_MAX - 1 - 7] = '\0';
	mosctl_job_cmdline(argv, cmd);
	ck_assert_uint_eq(strlen(cmd), MOSIX_JOB_CMD_MAX - 1);
	ck_assert_int_eq(cmd[MOSIX_JOB_CMD_MAX - 2], 'q');
	free(longarg);
}
END_TEST

START_TEST(test_msg_check)
{
	struct mosctl_msg m;
	const char *reason;

	memset(&m, 0, sizeof(m));
	m.magic = MOSCTL_REQ_MAGIC;
	m.type = MOSCTL_MSG_SIGNAL;
	ck_assert_int_eq(mosctl_msg_check(&m, sizeof(m), &reason), 0);
	ck_assert_int_eq(mosctl_msg_check(&m, sizeof(m) - 1, &reason), -EPROTO);
	m.type = 99;
	ck_assert_int_eq(mosctl_msg_check(&m, sizeof(m), &reason), -EPROTO);
	m.type = MOSCTL_MSG_ERROR;
	memset(m.text, 'x', sizeof(m.text));
	ck_assert_int_eq(mosctl_msg_check(&m, sizeof(m), &reason), -EPROTO);
	ck_assert_str_eq(reason, "a record whose text is not terminated");
}
END_TEST

/* --- netlink decoding ------------------------------------------------------ */

static struct nlmsghdr *job_msg(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 0x20;
	g->cmd = cmd;
	g->version = MOSIX_GENL_VERSION;
	return nlh;
}

enum { JOB_OK, JOB_EXITED, JOB_NO_HOME, JOB_HOME_0, JOB_WHERE_BIG, JOB_NUM_0,
       JOB_NO_NAME, JOB_BAD_NAME, JOB_CTRL_CMD, JOB_SHORT_UID, NR_JOB_CASES };

START_TEST(test_parse_job)
{
	char buf[1024] = { 0 };
	struct nlmsghdr *nlh = job_msg(buf, MOSIX_CMD_GET_JOBS);
	struct mosctl_job j;
	int err;

	if (_i != JOB_NO_HOME)
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, _i == JOB_HOME_0 ? 0 : 3);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, _i == JOB_NUM_0 ? 0 : 17);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_WHERE, _i == JOB_WHERE_BIG ? 65536 : 3);
	if (_i == JOB_SHORT_UID)
		mnl_attr_put_u16(nlh, MOSIX_A_JOB_UID, 1000);
	else
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, 1000);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_STATE,
			 _i == JOB_EXITED ? MOSIX_JOB_EXITED : MOSIX_JOB_RUNNING);
	if (_i == JOB_EXITED)
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_STATUS, 3 << 8);
	else
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_PID, 4242);
	if (_i != JOB_NO_NAME)
		mnl_attr_put_strz(nlh, MOSIX_A_JOB_NAME, _i == JOB_BAD_NAME ? "a b" : "sim");
	mnl_attr_put_strz(nlh, MOSIX_A_JOB_CMD, _i == JOB_CTRL_CMD ? "a\x1b" : "sim -n 3");
	mnl_attr_put_u64(nlh, MOSIX_A_JOB_AGE_MS, 61000);
	err = mosctl_nl_parse_job(nlh, &j);
	if (_i != JOB_OK && _i != JOB_EXITED) {
		ck_assert_msg(err == -EBADMSG, "case %d: %d", _i, err);
		return;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(j.home, 3);
	ck_assert_uint_eq(j.num, 17);
	ck_assert_uint_eq(j.uid, 1000);
	ck_assert_str_eq(j.name, "sim");
	ck_assert_str_eq(j.cmd, "sim -n 3");
	ck_assert_uint_eq(j.age_ms, 61000);
	ck_assert(j.has_pid == (_i == JOB_OK));
	ck_assert(j.has_status == (_i == JOB_EXITED));
}
END_TEST

START_TEST(test_event_job_exited)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = job_msg(buf, MOSIX_CMD_EVENT);
	struct mosctl_event ev;
	struct mosctl_event_printer p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_JOB_EXITED);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, 2);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, 5);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, 0);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);	/* no status */
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_STATUS, SIGINT);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	ck_assert(ev.has_job);
	ck_assert_uint_eq(ev.job_num, 5);
	f = open_memstream(&text, &len);
	mosctl_event_printer_init(&p, f, 0);
	mosctl_event_print(&p, &ev);
	mosctl_event_printer_init(&p, f, MOSCTL_EVENTS_JSON);
	mosctl_event_print(&p, &ev);
	fclose(f);
	ck_assert_str_eq(text, "job 2.5 (uid 0) killed by SIGINT\n"
		"{\"event\":\"job-exited\",\"job\":\"2.5\",\"uid\":0,\"wait_status\":2}\n");
	free(text);
}
END_TEST

START_TEST(test_event_mig_done)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = job_msg(buf, MOSIX_CMD_EVENT);
	struct mosctl_event ev;
	struct mosctl_event_printer p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_MIG_DONE);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, 7);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, 1000);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_FROM, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_TO, 3);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_OUTCOME, MOSIX_MIG_OUTCOME_ABORTED);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_REASON, MOSIX_MIG_R_BLOCKED);
	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_DURATION_US, 1500);
	/* the move's id is what mosctl migrate waits for: without it, refused */
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, 0xabcdef0123456789ULL);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	ck_assert(ev.has_mig);
	ck_assert(!ev.has_job);
	ck_assert_uint_eq(ev.mig_id, 0xabcdef0123456789ULL);
	ck_assert_uint_eq(ev.mig_to, 3);
	f = open_memstream(&text, &len);
	mosctl_event_printer_init(&p, f, 0);
	mosctl_event_print(&p, &ev);
	mosctl_event_printer_init(&p, f, MOSCTL_EVENTS_JSON);
	mosctl_event_print(&p, &ev);
	fclose(f);
	ck_assert_str_eq(text, "job 1.7 (uid 1000) stayed on node 1, not moved to node 3: blocked (1.5 ms)\n"
		"{\"event\":\"mig-done\",\"duration_us\":1500,\"job\":\"1.7\",\"uid\":1000,"
		"\"move\":\"abcdef0123456789\",\"from\":1,\"to\":3,\"moved\":false,"
		"\"reason\":\"blocked\"}\n");
	free(text);
}
END_TEST

START_TEST(test_event_mig_progress)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = job_msg(buf, MOSIX_CMD_EVENT);
	struct mosctl_event ev;
	struct mosctl_event_printer p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_MIG_PROGRESS);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, 7);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, 1000);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_TO, 3);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_PHASE, MOSIX_MIG_PHASE_STREAMING);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, 0xabcdef0123456789ULL);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_DONE_BYTES, 24 << 20);
	/* without its total, refused */
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_TOTAL_BYTES, 67108864 + 700000);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), 0);
	ck_assert(ev.has_mig);
	ck_assert_uint_eq(ev.mig_phase, MOSIX_MIG_PHASE_STREAMING);
	ck_assert_uint_eq(ev.mig_done, 24 << 20);
	f = open_memstream(&text, &len);
	mosctl_event_printer_init(&p, f, 0);
	mosctl_event_print(&p, &ev);
	mosctl_event_printer_init(&p, f, MOSCTL_EVENTS_JSON);
	mosctl_event_print(&p, &ev);
	fclose(f);
	ck_assert_str_eq(text, "job 1.7 (uid 1000) to node 3: streaming 24.0 of 64.7 MiB\n"
		"{\"event\":\"mig-progress\",\"job\":\"1.7\",\"uid\":1000,"
		"\"move\":\"abcdef0123456789\",\"to\":3,\"phase\":\"streaming\","
		"\"done_bytes\":25165824,\"total_bytes\":67808864}\n");
	free(text);
}
END_TEST

/* more done than in all is no progress anyone can show */
START_TEST(test_event_mig_progress_rejects)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = job_msg(buf, MOSIX_CMD_EVENT);
	struct mosctl_event ev;

	mnl_attr_put_u32(nlh, MOSIX_A_EVENT_KIND, MOSIX_EVENT_MIG_PROGRESS);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, 1);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, 7);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, 1000);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_TO, 3);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_PHASE, MOSIX_MIG_PHASE_STREAMING);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, 1);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_DONE_BYTES, 11);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_TOTAL_BYTES, 10);
	ck_assert_int_eq(mosctl_event_parse(nlh, &ev), -EBADMSG);
}
END_TEST

START_TEST(test_fmt_progress)
{
	char buf[96];

	ck_assert_str_eq(mosctl_fmt_progress(buf, sizeof(buf), MOSIX_MIG_PHASE_DUMPING, 0, 0, 0),
			 "dumping");
	ck_assert_str_eq(mosctl_fmt_progress(buf, sizeof(buf), MOSIX_MIG_PHASE_RESTORING, 9, 9, 5),
			 "restoring");
	ck_assert_str_eq(mosctl_fmt_progress(buf, sizeof(buf), 99, 0, 0, 0), "unknown");
	ck_assert_str_eq(mosctl_fmt_progress(buf, sizeof(buf), MOSIX_MIG_PHASE_STREAMING, 0,
					     1 << 20, 0), "streaming 0.0 of 1.0 MiB");
	/* rounded to the nearest tenth */
	ck_assert_str_eq(mosctl_fmt_progress(buf, sizeof(buf), MOSIX_MIG_PHASE_STREAMING,
					     (1 << 20) + 52429, 64ULL << 20, 3 << 19),
			 "streaming 1.1 of 64.0 MiB, 1.5 MiB/s");
	/* a short buffer: cut, still a string */
	ck_assert_str_eq(mosctl_fmt_progress(buf, 10, MOSIX_MIG_PHASE_STREAMING, 0, 1 << 20, 0),
			 "streaming");
}
END_TEST

/* mosctl migrate refuses what is not a job and a node before it asks the kernel */
START_TEST(test_migrate_usage)
{
	static const char *const bad[][4] = {
		{ "migrate", NULL },
		{ "migrate", "1.7", NULL },
		{ "migrate", "1.7", "2", "3" },
		{ "migrate", "x", "2", NULL },
		{ "migrate", "0.7", "2", NULL },
		{ "migrate", "1.7", "0", NULL },
		{ "migrate", "1.7", "65536", NULL },
		{ "migrate", "1.7", "there", NULL },
		{ "migrate", "--bogus", "1.7", "2" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char *argv[5] = { "mosctl", NULL };
		int argc = 1;

		while (argc < 5 && bad[i][argc - 1])
			argv[argc] = (char *)bad[i][argc - 1], argc++;
		ck_assert_msg(mosctl_main(argc, argv) == MOSCTL_EXIT_USAGE, "case %zu", i);
	}
}
END_TEST

/* --- what ps and wait print ------------------------------------------------ */

START_TEST(test_wait_status_text_and_exit)
{
	char buf[64];

	ck_assert_str_eq(mosctl_fmt_wait_status(buf, sizeof(buf), 0), "exited 0");
	ck_assert_str_eq(mosctl_fmt_wait_status(buf, sizeof(buf), 7 << 8), "exited 7");
	ck_assert_str_eq(mosctl_fmt_wait_status(buf, sizeof(buf), SIGTERM),
			 "killed by SIGTERM");
	ck_assert_str_eq(mosctl_fmt_wait_status(buf, sizeof(buf), SIGSEGV | 0x80),
			 "killed by SIGSEGV (core dumped)");
	ck_assert_int_eq(mosctl_wait_status_exit(7 << 8), 7);
	ck_assert_int_eq(mosctl_wait_status_exit(SIGINT), 130);
	ck_assert_int_eq(mosctl_wait_status_exit(SIGKILL), 137);
}
END_TEST

START_TEST(test_ps_print)
{
	struct mosctl_job jobs[2];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(jobs, 0, sizeof(jobs));
	jobs[0] = (struct mosctl_job){ .home = 1, .num = 1, .where = 1, .pid = 812,
		.uid = 0, .state = MOSIX_JOB_RUNNING, .age_ms = 75000, .has_pid = true };
	strcpy(jobs[0].name, "sim");
	strcpy(jobs[0].cmd, "sim \"x\"");
	jobs[1] = (struct mosctl_job){ .home = 1, .num = 2, .where = 1, .uid = 0,
		.state = MOSIX_JOB_EXITED, .status = 3 << 8, .has_status = true };
	strcpy(jobs[1].name, "sh");
	strcpy(jobs[1].cmd, "sh -c exit 3");
	f = open_memstream(&text, &len);
	mosctl_ps_print(f, jobs, 2, 0);
	fclose(f);
	ck_assert_str_eq(text,
		"ID           NAME              HOME WHERE      PID STATE    USER           AGE COMMAND\n"
		"1.1          sim                  1     1      812 running  root         1m15s sim \"x\"\n"
		"1.2          sh                   1     1        - exited 3 root            0s sh -c exit 3\n");
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	mosctl_ps_print(f, jobs, 2, MOSCTL_PS_JSON);
	fclose(f);
	ck_assert_str_eq(text,
		"[{\"id\":\"1.1\",\"name\":\"sim\",\"home\":1,\"where\":1,\"pid\":812,"
		"\"state\":\"running\",\"user\":\"root\",\"uid\":0,\"cmd\":\"sim \\\"x\\\"\","
		"\"age_ms\":75000},"
		"{\"id\":\"1.2\",\"name\":\"sh\",\"home\":1,\"where\":1,\"pid\":null,"
		"\"state\":\"exited\",\"user\":\"root\",\"uid\":0,\"cmd\":\"sh -c exit 3\","
		"\"age_ms\":0,\"wait_status\":768,\"exit\":\"exited 3\"}]\n");
	free(text);
}
END_TEST

Suite *jobs_suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *val = tcase_create("validation");
	TCase *req = tcase_create("request");
	TCase *nl = tcase_create("netlink");
	TCase *out = tcase_create("output");

	tcase_add_loop_test(val, test_job_name_check, 0, N(name_cases));
	tcase_add_test(val, test_job_cmd_check);
	tcase_add_loop_test(val, test_job_id_parse, 0, N(id_cases));
	suite_add_tcase(s, val);
	tcase_add_test(req, test_request_round_trip);
	tcase_add_test(req, test_request_too_large_is_e2big);
	tcase_add_loop_test(req, test_request_hostile_is_refused, 0, NR_BAD);
	tcase_add_test(req, test_default_name_and_cmdline);
	tcase_add_test(req, test_msg_check);
	suite_add_tcase(s, req);
	tcase_add_loop_test(nl, test_parse_job, 0, NR_JOB_CASES);
	tcase_add_test(nl, test_event_job_exited);
	tcase_add_test(nl, test_event_mig_done);
	tcase_add_test(nl, test_event_mig_progress);
	tcase_add_test(nl, test_event_mig_progress_rejects);
	tcase_add_test(nl, test_fmt_progress);
	tcase_add_test(req, test_migrate_usage);
	suite_add_tcase(s, nl);
	tcase_add_test(out, test_wait_status_text_and_exit);
	tcase_add_test(out, test_ps_print);
	suite_add_tcase(s, out);
	return s;
}
