// SPDX-License-Identifier: GPL-2.0
/*
 * The events of the multicast group "events": decoding of MOSIX_CMD_EVENT
 * messages, their text and JSON rendering (for shutdown, start and
 * monitor), errno names, and the configfs `last_shutdown` line.
 *
 * Rendering works on decoded events only, so the output is tested with
 * hand-built messages and no kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"
#include "mosix_mig_wire.h"

/* --- names ------------------------------------------------------------------ */

const char *mosctl_event_kind_name(uint32_t kind)
{
	switch (kind) {
	case MOSIX_EVENT_STAGE_BEGIN:
		return "stage-begin";
	case MOSIX_EVENT_STAGE_DONE:
		return "stage-done";
	case MOSIX_EVENT_STAGE_FAILED:
		return "stage-failed";
	case MOSIX_EVENT_STAGE_UNDONE:
		return "stage-undone";
	case MOSIX_EVENT_STATE:
		return "state";
	case MOSIX_EVENT_JOB_EXITED:
		return "job-exited";
	case MOSIX_EVENT_MIG_DONE:
		return "mig-done";
	case MOSIX_EVENT_MIG_PROGRESS:
		return "mig-progress";
	default:
		return "unknown";
	}
}

const char *mosctl_event_op_name(uint32_t op)
{
	switch (op) {
	case MOSIX_EVENT_OP_NONE:
		return "none";
	case MOSIX_EVENT_OP_BRINGUP:
		return "bringup";
	case MOSIX_EVENT_OP_SHUTDOWN:
		return "shutdown";
	default:
		return "unknown";
	}
}

/*
 * The kernel's own error codes (include/linux/errno.h) that glibc has no
 * name for; the kernel's %pe prints these names too.
 */
static const struct {
	int err;
	const char *name;
} kernel_errnos[] = {
	{ 512, "ERESTARTSYS" }, { 513, "ERESTARTNOINTR" },
	{ 514, "ERESTARTNOHAND" }, { 515, "ENOIOCTLCMD" },
	{ 516, "ERESTART_RESTARTBLOCK" }, { 517, "EPROBE_DEFER" },
	{ 518, "EOPENSTALE" }, { 519, "ENOPARAM" }, { 521, "EBADHANDLE" },
	{ 522, "ENOTSYNC" }, { 523, "EBADCOOKIE" }, { 524, "ENOTSUPP" },
	{ 525, "ETOOSMALL" }, { 526, "ESERVERFAULT" }, { 527, "EBADTYPE" },
	{ 528, "EJUKEBOX" }, { 529, "EIOCBQUEUED" }, { 530, "ERECALLCONFLICT" },
};

#define NR_KERNEL_ERRNOS (sizeof(kernel_errnos) / sizeof(kernel_errnos[0]))
/* above every errno either knows */
#define ERRNO_MAX	4095

const char *mosctl_errno_name(int err, char *buf, size_t size)
{
	const char *name = NULL;
	size_t i;

	if (err < 0)
		err = -err;
	if (err > 0 && err <= ERRNO_MAX)
		name = strerrorname_np(err);
	for (i = 0; !name && i < NR_KERNEL_ERRNOS; i++)
		if (kernel_errnos[i].err == err)
			name = kernel_errnos[i].name;
	if (name)
		return name;
	snprintf(buf, size, "errno %d", err);
	return buf;
}

/* aliases the kernel's %pe may print for a code glibc names otherwise */
static const struct {
	int err;
	const char *name;
} errno_aliases[] = {
	{ EAGAIN, "EWOULDBLOCK" }, { EDEADLK, "EDEADLOCK" },
	{ EOPNOTSUPP, "ENOTSUP" },
};

int mosctl_errno_from_name(const char *name)
{
	const char *s = name;
	uint32_t v;
	size_t i;
	int err;

	/* "-110" or "110": %pe without CONFIG_SYMBOLIC_ERRNAME */
	if (*s == '-')
		s++;
	if (*s >= '0' && *s <= '9')
		return !mosix_parse_decimal(s, strlen(s), ERRNO_MAX, &v) && v ?
		       (int)v : 0;
	if (*s != 'E')
		return 0;
	for (err = 1; err <= ERRNO_MAX; err++) {
		const char *n = strerrorname_np(err);

		if (n && !strcmp(n, s))
			return err;
	}
	for (i = 0; i < NR_KERNEL_ERRNOS; i++)
		if (!strcmp(kernel_errnos[i].name, s))
			return kernel_errnos[i].err;
	for (i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
		if (!strcmp(errno_aliases[i].name, s))
			return errno_aliases[i].err;
	return 0;
}

char *mosctl_fmt_duration(char *buf, size_t size, uint32_t us)
{
	uint64_t tenths_ms = ((uint64_t)us + 50) / 100;
	uint64_t tenths_s = ((uint64_t)us + 50000) / 100000;

	if (tenths_ms < 10000)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " ms", tenths_ms / 10,
			 tenths_ms % 10);
	else
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " s", tenths_s / 10,
			 tenths_s % 10);
	return buf;
}

/* --- decoding ----------------------------------------------------------------- */

struct event_attrs {
	const struct nlattr *tb[MOSIX_A_MAX + 1];
};

static int event_attr_cb(const struct nlattr *attr, void *data)
{
	struct event_attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= MOSIX_A_MAX)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static int event_u32(const struct nlattr *a, uint32_t *v, bool *present)
{
	*present = false;
	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*v = mnl_attr_get_u32(a);
	*present = true;
	return 0;
}

/* a stage name goes to terminals and JSON: short, plain characters only */
static bool stage_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

int mosctl_event_parse(const struct nlmsghdr *nlh, struct mosctl_event *ev)
{
	struct event_attrs a;
	const struct genlmsghdr *g;
	bool have_kind;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	memset(&a, 0, sizeof(a));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != MOSIX_CMD_EVENT)
		return -ENOMSG;
	if (mnl_attr_parse(nlh, sizeof(*g), event_attr_cb, &a) < 0)
		return -EBADMSG;
	if (event_u32(a.tb[MOSIX_A_EVENT_KIND], &ev->kind, &have_kind) ||
	    event_u32(a.tb[MOSIX_A_EVENT_OP], &ev->op, &ev->has_op) ||
	    event_u32(a.tb[MOSIX_A_EVENT_DURATION_US], &ev->duration_us,
		      &ev->has_duration) ||
	    event_u32(a.tb[MOSIX_A_EVENT_ERRNO], &ev->err, &ev->has_errno) ||
	    event_u32(a.tb[MOSIX_A_STATE], &ev->state, &ev->has_state) ||
	    event_u32(a.tb[MOSIX_A_PE], &ev->pe, &ev->has_pe))
		return -EBADMSG;
	if (!have_kind)
		return -EBADMSG;
	if (ev->kind == MOSIX_EVENT_JOB_EXITED) {
		bool h, n, u, st;

		if (event_u32(a.tb[MOSIX_A_JOB_HOME], &ev->job_home, &h) ||
		    event_u32(a.tb[MOSIX_A_JOB_NUM], &ev->job_num, &n) ||
		    event_u32(a.tb[MOSIX_A_JOB_UID], &ev->job_uid, &u) ||
		    event_u32(a.tb[MOSIX_A_JOB_STATUS], &ev->job_status, &st) ||
		    !h || !n || !u || !st)
			return -EBADMSG;
		ev->has_job = true;
	}
	if (ev->kind == MOSIX_EVENT_MIG_DONE) {
		const struct nlattr *id = a.tb[MOSIX_A_MIG_ID];
		bool h, n, u, f, t, o, r;

		if (event_u32(a.tb[MOSIX_A_JOB_HOME], &ev->job_home, &h) ||
		    event_u32(a.tb[MOSIX_A_JOB_NUM], &ev->job_num, &n) ||
		    event_u32(a.tb[MOSIX_A_JOB_UID], &ev->job_uid, &u) ||
		    event_u32(a.tb[MOSIX_A_MIG_FROM], &ev->mig_from, &f) ||
		    event_u32(a.tb[MOSIX_A_MIG_TO], &ev->mig_to, &t) ||
		    event_u32(a.tb[MOSIX_A_MIG_OUTCOME], &ev->mig_outcome, &o) ||
		    event_u32(a.tb[MOSIX_A_MIG_REASON], &ev->mig_reason, &r) ||
		    !h || !n || !u || !f || !t || !o || !r || !id ||
		    mnl_attr_validate(id, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		ev->mig_id = mnl_attr_get_u64(id);
		ev->has_mig = true;
	}
	if (ev->kind == MOSIX_EVENT_MIG_PROGRESS) {
		const struct nlattr *id = a.tb[MOSIX_A_MIG_ID];
		const struct nlattr *done = a.tb[MOSIX_A_MIG_DONE_BYTES];
		const struct nlattr *total = a.tb[MOSIX_A_MIG_TOTAL_BYTES];
		bool h, n, u, t, ph;

		if (event_u32(a.tb[MOSIX_A_JOB_HOME], &ev->job_home, &h) ||
		    event_u32(a.tb[MOSIX_A_JOB_NUM], &ev->job_num, &n) ||
		    event_u32(a.tb[MOSIX_A_JOB_UID], &ev->job_uid, &u) ||
		    event_u32(a.tb[MOSIX_A_MIG_TO], &ev->mig_to, &t) ||
		    event_u32(a.tb[MOSIX_A_MIG_PHASE], &ev->mig_phase, &ph) ||
		    !h || !n || !u || !t || !ph || !id || !done || !total ||
		    mnl_attr_validate(id, MNL_TYPE_U64) < 0 ||
		    mnl_attr_validate(done, MNL_TYPE_U64) < 0 ||
		    mnl_attr_validate(total, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		ev->mig_id = mnl_attr_get_u64(id);
		ev->mig_done = mnl_attr_get_u64(done);
		ev->mig_total = mnl_attr_get_u64(total);
		if (ev->mig_done > ev->mig_total)
			return -EBADMSG;
		ev->has_mig = true;
	}
	if (a.tb[MOSIX_A_EVENT_STAGE]) {
		const struct nlattr *s = a.tb[MOSIX_A_EVENT_STAGE];
		const char *name;

		if (mnl_attr_validate(s, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		name = mnl_attr_get_str(s);
		if (!*name || strlen(name) >= sizeof(ev->stage))
			return -EBADMSG;
		for (i = 0; name[i]; i++)
			ev->stage[i] = stage_char_ok(name[i]) ? name[i] : '?';
		ev->has_stage = true;
	}
	/* a stage event names its stage */
	if (ev->kind >= MOSIX_EVENT_STAGE_BEGIN &&
	    ev->kind <= MOSIX_EVENT_STAGE_UNDONE && !ev->has_stage)
		return -EBADMSG;
	return 0;
}

int mosctl_events_dispatch(const void *buf, size_t len, uint16_t family,
			   void (*cb)(const struct mosctl_event *ev, void *data),
			   void *data)
{
	const struct nlmsghdr *nlh = buf;
	int n = len > INT32_MAX ? INT32_MAX : (int)len, count = 0;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct mosctl_event ev;

		if (nlh->nlmsg_type != family)
			continue;
		/* not an event, or one this mosctl cannot read: skipped */
		if (mosctl_event_parse(nlh, &ev))
			continue;
		cb(&ev, data);
		count++;
	}
	return count;
}

/* --- rendering ------------------------------------------------------------- */

const char *mosctl_mig_phase_name(uint32_t phase)
{
	switch (phase) {
	case MOSIX_MIG_PHASE_DUMPING:
		return "dumping";
	case MOSIX_MIG_PHASE_STREAMING:
		return "streaming";
	case MOSIX_MIG_PHASE_RESTORING:
		return "restoring";
	default:
		return "unknown";
	}
}

/* MiB with one decimal, from bytes */
static void mib(char *buf, size_t size, uint64_t bytes)
{
	uint64_t tenths = (bytes * 10 + (1 << 19)) >> 20;

	snprintf(buf, size, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
}

char *mosctl_fmt_progress(char *buf, size_t size, uint32_t phase, uint64_t done,
			  uint64_t total, uint64_t rate)
{
	char d[32], t[32];

	if (phase != MOSIX_MIG_PHASE_STREAMING) {
		snprintf(buf, size, "%s", mosctl_mig_phase_name(phase));
		return buf;
	}
	mib(d, sizeof(d), done);
	mib(t, sizeof(t), total);
	if (rate) {
		char r[32];

		mib(r, sizeof(r), rate);
		snprintf(buf, size, "streaming %s of %s MiB, %s MiB/s", d, t, r);
	} else {
		snprintf(buf, size, "streaming %s of %s MiB", d, t);
	}
	return buf;
}

void mosctl_event_printer_init(struct mosctl_event_printer *p, FILE *f,
			       unsigned int flags)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->flags = flags;
}

/* end a "STAGE ..." line still waiting for its outcome */
void mosctl_event_printer_end(struct mosctl_event_printer *p)
{
	if (p->open) {
		fputc('\n', p->f);
		p->open = false;
	}
	fflush(p->f);
}

static void print_json(FILE *f, const struct mosctl_event *ev)
{
	char buf[32];

	fputs("{\"event\":", f);
	mosctl_json_str(f, mosctl_event_kind_name(ev->kind));
	if (ev->kind > MOSIX_EVENT_MIG_PROGRESS || ev->kind == MOSIX_EVENT_UNSPEC)
		fprintf(f, ",\"kind\":%" PRIu32, ev->kind);
	if (ev->has_op) {
		fputs(",\"op\":", f);
		mosctl_json_str(f, mosctl_event_op_name(ev->op));
	}
	if (ev->has_stage) {
		fputs(",\"stage\":", f);
		mosctl_json_str(f, ev->stage);
	}
	if (ev->has_duration)
		fprintf(f, ",\"duration_us\":%" PRIu32, ev->duration_us);
	if (ev->has_errno) {
		fprintf(f, ",\"errno\":%" PRIu32 ",\"error\":", ev->err);
		mosctl_json_str(f, mosctl_errno_name((int)(ev->err & 0x7fffffff),
						     buf, sizeof(buf)));
	}
	if (ev->has_state) {
		fputs(",\"state\":", f);
		mosctl_json_str(f, mosctl_state_name(ev->state));
	}
	if (ev->has_pe)
		fprintf(f, ",\"pe\":%" PRIu32, ev->pe);
	if (ev->has_job)
		fprintf(f, ",\"job\":\"%" PRIu32 ".%" PRIu32 "\",\"uid\":%" PRIu32
			",\"wait_status\":%" PRIu32, ev->job_home, ev->job_num,
			ev->job_uid, ev->job_status);
	if (ev->has_mig && ev->kind == MOSIX_EVENT_MIG_PROGRESS) {
		fprintf(f, ",\"job\":\"%" PRIu32 ".%" PRIu32 "\",\"uid\":%" PRIu32
			",\"move\":\"%016" PRIx64 "\",\"to\":%" PRIu32 ",\"phase\":", ev->job_home,
			ev->job_num, ev->job_uid, ev->mig_id, ev->mig_to);
		mosctl_json_str(f, mosctl_mig_phase_name(ev->mig_phase));
		fprintf(f, ",\"done_bytes\":%" PRIu64 ",\"total_bytes\":%" PRIu64,
			ev->mig_done, ev->mig_total);
	} else if (ev->has_mig) {
		fprintf(f, ",\"job\":\"%" PRIu32 ".%" PRIu32 "\",\"uid\":%" PRIu32
			",\"move\":\"%016" PRIx64 "\",\"from\":%" PRIu32 ",\"to\":%" PRIu32
			",\"moved\":%s,\"reason\":", ev->job_home, ev->job_num,
			ev->job_uid, ev->mig_id, ev->mig_from, ev->mig_to,
			ev->mig_outcome == MOSIX_MIG_OUTCOME_COMMITTED ? "true" : "false");
		mosctl_json_str(f, ev->mig_reason ? mosix_mig_reason_name(ev->mig_reason) : "");
	}
	fputs("}\n", f);
}

/* "shutdown: " in front of a stage, for the monitor */
static void print_op(const struct mosctl_event_printer *p,
		     const struct mosctl_event *ev)
{
	if (!(p->flags & MOSCTL_EVENTS_OP) || !ev->has_op ||
	    ev->op == MOSIX_EVENT_OP_NONE)
		return;
	fprintf(p->f, "%s: ", ev->op == MOSIX_EVENT_OP_BRINGUP ? "bring-up" :
		mosctl_event_op_name(ev->op));
}

/* the outcome after "STAGE ...": " done (0.3 ms)" etc. */
static void print_outcome(FILE *f, const struct mosctl_event *ev)
{
	char buf[32];

	switch (ev->kind) {
	case MOSIX_EVENT_STAGE_DONE:
		fputs(" done", f);
		break;
	case MOSIX_EVENT_STAGE_UNDONE:
		fputs(" undone", f);
		break;
	case MOSIX_EVENT_STAGE_FAILED:
		fputs(" FAILED", f);
		if (ev->has_errno && ev->err)
			fprintf(f, ": %s", strerror((int)(ev->err & 0x7fffffff)));
		break;
	}
	if (ev->has_duration)
		fprintf(f, " (%s)", mosctl_fmt_duration(buf, sizeof(buf),
							ev->duration_us));
	fputc('\n', f);
}

void mosctl_event_print(struct mosctl_event_printer *p,
			const struct mosctl_event *ev)
{
	FILE *f = p->f;
	bool same;

	if (p->flags & MOSCTL_EVENTS_JSON) {
		print_json(f, ev);
		fflush(f);
		return;
	}
	same = p->open && ev->has_stage && !strcmp(p->stage, ev->stage) &&
	       p->op == ev->op;
	switch (ev->kind) {
	case MOSIX_EVENT_STAGE_BEGIN:
		mosctl_event_printer_end(p);
		print_op(p, ev);
		fprintf(f, "%s ...", ev->stage);
		snprintf(p->stage, sizeof(p->stage), "%s", ev->stage);
		p->op = ev->op;
		p->open = true;
		break;
	case MOSIX_EVENT_STAGE_DONE:
	case MOSIX_EVENT_STAGE_FAILED:
	case MOSIX_EVENT_STAGE_UNDONE:
		if (same) {
			p->open = false;
		} else {
			mosctl_event_printer_end(p);
			print_op(p, ev);
			fprintf(f, "%s ...", ev->stage);
		}
		print_outcome(f, ev);
		break;
	case MOSIX_EVENT_STATE:
		mosctl_event_printer_end(p);
		fprintf(f, "state: %s", ev->has_state ?
			mosctl_state_name(ev->state) : "unknown");
		if (ev->has_pe && ev->pe)
			fprintf(f, " (PE %" PRIu32 ")", ev->pe);
		fputc('\n', f);
		break;
	case MOSIX_EVENT_JOB_EXITED: {
		char buf[64];

		mosctl_event_printer_end(p);
		fprintf(f, "job %" PRIu32 ".%" PRIu32 " (uid %" PRIu32 ") %s\n",
			ev->job_home, ev->job_num, ev->job_uid,
			mosctl_fmt_wait_status(buf, sizeof(buf), ev->job_status));
		break;
	}
	case MOSIX_EVENT_MIG_DONE: {
		char buf[32];

		mosctl_event_printer_end(p);
		fprintf(f, "job %" PRIu32 ".%" PRIu32 " (uid %" PRIu32 ") ", ev->job_home,
			ev->job_num, ev->job_uid);
		if (ev->mig_outcome == MOSIX_MIG_OUTCOME_COMMITTED)
			fprintf(f, "moved from node %" PRIu32 " to node %" PRIu32,
				ev->mig_from, ev->mig_to);
		else
			fprintf(f, "stayed on node %" PRIu32 ", not moved to node %" PRIu32
				": %s", ev->mig_from, ev->mig_to,
				mosix_mig_reason_name(ev->mig_reason));
		if (ev->has_duration)
			fprintf(f, " (%s)", mosctl_fmt_duration(buf, sizeof(buf),
								ev->duration_us));
		fputc('\n', f);
		break;
	}
	case MOSIX_EVENT_MIG_PROGRESS: {
		char buf[96];

		mosctl_event_printer_end(p);
		fprintf(f, "job %" PRIu32 ".%" PRIu32 " (uid %" PRIu32 ") to node %" PRIu32 ": %s\n",
			ev->job_home, ev->job_num, ev->job_uid, ev->mig_to,
			mosctl_fmt_progress(buf, sizeof(buf), ev->mig_phase, ev->mig_done,
					    ev->mig_total, 0));
		break;
	}
	default:
		mosctl_event_printer_end(p);
		fprintf(f, "event of unknown kind %" PRIu32 "\n", ev->kind);
		break;
	}
	fflush(f);
}

/* --- last_shutdown ------------------------------------------------------------ */

int mosctl_last_shutdown_parse(const char *text, size_t len,
			       struct mosctl_last_shutdown *ls)
{
	static const char rolled[] = "rolled-back stage=";
	const char *s, *end, *stage, *p;
	size_t n;

	memset(ls, 0, sizeof(*ls));
	s = mosctl_trim(text, len, &n);
	end = s + n;
	if (n == 4 && !memcmp(s, "none", 4)) {
		ls->result = MOSCTL_LAST_NONE;
		return 0;
	}
	if (n == 2 && !memcmp(s, "ok", 2)) {
		ls->result = MOSCTL_LAST_OK;
		return 0;
	}
	if (n < sizeof(rolled) - 1 || memcmp(s, rolled, sizeof(rolled) - 1))
		return -EINVAL;
	stage = s + sizeof(rolled) - 1;
	for (p = stage; p < end && *p != ' '; p++)
		if (!stage_char_ok(*p))
			return -EINVAL;
	if (p == stage || (size_t)(p - stage) >= sizeof(ls->stage) ||
	    end - p < 8 || memcmp(p, " error=", 7))
		return -EINVAL;
	memcpy(ls->stage, stage, (size_t)(p - stage));
	p += 7;
	if ((size_t)(end - p) >= sizeof(ls->error))
		return -EINVAL;
	memcpy(ls->error, p, (size_t)(end - p));
	for (n = 0; ls->error[n]; n++)
		if (!stage_char_ok(ls->error[n]))
			return -EINVAL;
	ls->err = mosctl_errno_from_name(ls->error);
	ls->result = MOSCTL_LAST_ROLLED_BACK;
	return 0;
}
