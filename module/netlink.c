// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "mosix": status, the node table in and out, the
 * job registry (jobs.c) and the events.
 * SET_TABLE exists because configfs cannot take a table larger than one
 * page atomically; it shares parsing, validation and the swap with the
 * configfs `table` file (mosix_node_set_table()).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "mosix.h"

static const struct nla_policy set_table_policy[MOSIX_A_MAX + 1] = {
	[MOSIX_A_TABLE_TEXT] = { .type = NLA_BINARY, .len = MOSIX_TABLE_CHUNK_MAX },
};

/*
 * Each command takes its own attributes and refuses every other one
 * (NLA_REJECT): the policies below list what they take, and
 * reject_the_rest() fills in the rest at init, so that an attribute added
 * to the UAPI is refused by every command that does not list it.
 */
static struct nla_policy no_attr_policy[MOSIX_A_MAX + 1] __ro_after_init;

/* JOB_ADD: the four attributes of a new job */
static struct nla_policy job_add_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_JOB_PID] = { .type = NLA_U32 },
	[MOSIX_A_JOB_UID] = { .type = NLA_U32 },
	[MOSIX_A_JOB_NAME] = { .type = NLA_NUL_STRING,
			       .len = MOSIX_JOB_NAME_MAX - 1 },
	[MOSIX_A_JOB_CMD] = { .type = NLA_NUL_STRING,
			      .len = MOSIX_JOB_CMD_MAX - 1 },
};

/* JOB_EXIT: the job and its status */
static struct nla_policy job_exit_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_JOB_HOME] = { .type = NLA_U32 },
	[MOSIX_A_JOB_NUM] = { .type = NLA_U32 },
	[MOSIX_A_JOB_STATUS] = { .type = NLA_U32 },
};

/* JOB_WHERE: the job and where it runs */
static struct nla_policy job_where_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_JOB_NUM] = { .type = NLA_U32 },
	[MOSIX_A_JOB_WHERE] = { .type = NLA_U32 },
};

/* MIGRATE: the job and where to */
static struct nla_policy migrate_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_JOB_HOME] = { .type = NLA_U32 },
	[MOSIX_A_JOB_NUM] = { .type = NLA_U32 },
	[MOSIX_A_MIG_TO] = { .type = NLA_U32 },
};

#define MIG_TEXT_MAX	255

/* MIG_HELPER: its receiver's port and whether its criu works */
static struct nla_policy mig_helper_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_MIG_PORT] = { .type = NLA_U32 },
	[MOSIX_A_MIG_CRIU] = { .type = NLA_U32 },
	[MOSIX_A_MIG_TEXT] = { .type = NLA_NUL_STRING, .len = MIG_TEXT_MAX },
};

/* MIG_REPORT: the move, what happened, the restored init */
static struct nla_policy mig_report_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_MIG_ID] = { .type = NLA_U64 },
	[MOSIX_A_MIG_REPORT] = { .type = NLA_U32 },
	[MOSIX_A_JOB_PID] = { .type = NLA_U32 },
	[MOSIX_A_JOB_NAME] = { .type = NLA_NUL_STRING,
			       .len = MOSIX_JOB_NAME_MAX - 1 },
	[MOSIX_A_JOB_CMD] = { .type = NLA_NUL_STRING,
			      .len = MOSIX_JOB_CMD_MAX - 1 },
	[MOSIX_A_MIG_TEXT] = { .type = NLA_NUL_STRING, .len = MIG_TEXT_MAX },
	[MOSIX_A_MIG_PHASE] = NLA_POLICY_RANGE(NLA_U32, MOSIX_MIG_PHASE_DUMPING,
					       __MOSIX_MIG_PHASE_END - 1),
	[MOSIX_A_MIG_DONE_BYTES] = { .type = NLA_U64 },
	[MOSIX_A_MIG_TOTAL_BYTES] = { .type = NLA_U64 },
};

/* MIG_KEY: the move */
static struct nla_policy mig_key_policy[MOSIX_A_MAX + 1] __ro_after_init = {
	[MOSIX_A_MIG_ID] = { .type = NLA_U64 },
};

static void reject_the_rest(void)
{
	struct nla_policy *const policies[] = {
		no_attr_policy, job_add_policy, job_exit_policy, job_where_policy, migrate_policy,
		mig_helper_policy, mig_report_policy, mig_key_policy,
	};
	unsigned int i, a;

	for (i = 0; i < ARRAY_SIZE(policies); i++)
		for (a = 1; a <= MOSIX_A_MAX; a++)
			if (policies[i][a].type == NLA_UNSPEC)
				policies[i][a].type = NLA_REJECT;
}

static struct genl_family mosix_family;

static const struct genl_multicast_group mosix_mcgrps[] = {
	{ .name = MOSIX_GENL_MCGRP_EVENTS },
};

static void send_event(struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&mosix_family, msg, 0, 0, GFP_KERNEL);
}

/* events only cost something while someone listens */
static struct sk_buff *new_event(void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&mosix_family, &init_net, 0))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &mosix_family, 0, MOSIX_CMD_EVENT);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void mosix_event_stage(enum mosix_event_kind kind, enum mosix_event_op op,
		       const char *stage, u32 duration_us, int err)
{
	void *hdr;
	struct sk_buff *msg = new_event(&hdr);

	if (!msg)
		return;
	if (nla_put_u32(msg, MOSIX_A_EVENT_KIND, kind) ||
	    nla_put_u32(msg, MOSIX_A_EVENT_OP, op) ||
	    nla_put_string(msg, MOSIX_A_EVENT_STAGE, stage) ||
	    ((kind == MOSIX_EVENT_STAGE_DONE || kind == MOSIX_EVENT_STAGE_UNDONE) &&
	     nla_put_u32(msg, MOSIX_A_EVENT_DURATION_US, duration_us)) ||
	    (kind == MOSIX_EVENT_STAGE_FAILED &&
	     nla_put_u32(msg, MOSIX_A_EVENT_ERRNO, err))) {
		nlmsg_free(msg);
		return;
	}
	send_event(msg, hdr);
}

void mosix_event_state(enum mosix_state state, u32 pe)
{
	void *hdr;
	struct sk_buff *msg = new_event(&hdr);

	if (!msg)
		return;
	if (nla_put_u32(msg, MOSIX_A_EVENT_KIND, MOSIX_EVENT_STATE) ||
	    nla_put_u32(msg, MOSIX_A_STATE, state) ||
	    nla_put_u32(msg, MOSIX_A_PE, pe)) {
		nlmsg_free(msg);
		return;
	}
	send_event(msg, hdr);
}

void mosix_event_job_exited(u32 home, u32 num, u32 uid, u32 status)
{
	void *hdr;
	struct sk_buff *msg = new_event(&hdr);

	if (!msg)
		return;
	if (nla_put_u32(msg, MOSIX_A_EVENT_KIND, MOSIX_EVENT_JOB_EXITED) ||
	    nla_put_u32(msg, MOSIX_A_JOB_HOME, home) ||
	    nla_put_u32(msg, MOSIX_A_JOB_NUM, num) ||
	    nla_put_u32(msg, MOSIX_A_JOB_UID, uid) ||
	    nla_put_u32(msg, MOSIX_A_JOB_STATUS, status)) {
		nlmsg_free(msg);
		return;
	}
	send_event(msg, hdr);
}

void mosix_event_mig_done(const struct mosix_mig_done *d)
{
	void *hdr;
	struct sk_buff *msg = new_event(&hdr);

	if (!msg)
		return;
	if (nla_put_u32(msg, MOSIX_A_EVENT_KIND, MOSIX_EVENT_MIG_DONE) ||
	    nla_put_u64_64bit(msg, MOSIX_A_MIG_ID, d->id, MOSIX_A_PAD) ||
	    nla_put_u32(msg, MOSIX_A_JOB_HOME, d->home) ||
	    nla_put_u32(msg, MOSIX_A_JOB_NUM, d->num) ||
	    nla_put_u32(msg, MOSIX_A_JOB_UID, d->uid) ||
	    nla_put_u32(msg, MOSIX_A_MIG_FROM, d->from) ||
	    nla_put_u32(msg, MOSIX_A_MIG_TO, d->to) ||
	    nla_put_u32(msg, MOSIX_A_MIG_OUTCOME, d->outcome) ||
	    nla_put_u32(msg, MOSIX_A_MIG_REASON, d->reason) ||
	    nla_put_u32(msg, MOSIX_A_EVENT_ERRNO, d->err) ||
	    nla_put_u32(msg, MOSIX_A_EVENT_DURATION_US, d->duration_us)) {
		nlmsg_free(msg);
		return;
	}
	send_event(msg, hdr);
}

void mosix_event_mig_progress(const struct mosix_mig_progress *p)
{
	void *hdr;
	struct sk_buff *msg = new_event(&hdr);

	if (!msg)
		return;
	if (nla_put_u32(msg, MOSIX_A_EVENT_KIND, MOSIX_EVENT_MIG_PROGRESS) ||
	    nla_put_u64_64bit(msg, MOSIX_A_MIG_ID, p->id, MOSIX_A_PAD) ||
	    nla_put_u32(msg, MOSIX_A_JOB_HOME, p->home) ||
	    nla_put_u32(msg, MOSIX_A_JOB_NUM, p->num) ||
	    nla_put_u32(msg, MOSIX_A_JOB_UID, p->uid) ||
	    nla_put_u32(msg, MOSIX_A_MIG_TO, p->to) ||
	    nla_put_u32(msg, MOSIX_A_MIG_PHASE, p->phase) ||
	    nla_put_u64_64bit(msg, MOSIX_A_MIG_DONE_BYTES, p->done, MOSIX_A_PAD) ||
	    nla_put_u64_64bit(msg, MOSIX_A_MIG_TOTAL_BYTES, p->total, MOSIX_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	send_event(msg, hdr);
}

/* a MIG_WORK message to the registered helper: -ECONNREFUSED once it went */
int mosix_netlink_mig_work(u32 portid, const struct mosix_mig_work_req *w)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &mosix_family, 0, MOSIX_CMD_MIG_WORK);
	if (!hdr)
		goto too_big;
	if (nla_put_u64_64bit(msg, MOSIX_A_MIG_ID, w->id, MOSIX_A_PAD) ||
	    nla_put_u32(msg, MOSIX_A_MIG_WORK, w->work) ||
	    nla_put_u32(msg, MOSIX_A_JOB_HOME, w->home) ||
	    nla_put_u32(msg, MOSIX_A_JOB_NUM, w->num) ||
	    nla_put_u32(msg, MOSIX_A_JOB_UID, w->uid))
		goto too_big;
	if (w->peer &&
	    (nla_put(msg, MOSIX_A_MIG_PEER_ADDR,
		     w->peer->family == MOSIX_ADDR_V4 ? 4 : 16, w->peer->bytes) ||
	     nla_put_u32(msg, MOSIX_A_MIG_PORT, w->port) ||
	     nla_put_u64_64bit(msg, MOSIX_A_MIG_IMAGE_KB, w->image_kb, MOSIX_A_PAD)))
		goto too_big;
	if (w->pid && nla_put_u32(msg, MOSIX_A_JOB_PID, w->pid))
		goto too_big;
	genlmsg_end(msg, hdr);
	return genlmsg_unicast(&init_net, msg, portid);
too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int put_stats(struct sk_buff *msg)
{
	struct nlattr *nest = nla_nest_start(msg, MOSIX_A_STATS);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = MOSIX_STAT_TICKS; i < __MOSIX_STAT_LAST; i++)
		if (nla_put_u64_64bit(msg, i, mosix_info_stat(i), MOSIX_STAT_PAD))
			return -EMSGSIZE;
	for (i = 0; i < __MOSIX_INFO_DROP_MAX; i++)
		if (nla_put_u64_64bit(msg, MOSIX_STAT_DROP_BASE + i,
				      mosix_info_stat(MOSIX_STAT_DROP_BASE + i),
				      MOSIX_STAT_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mosix_table *t;
	struct sk_buff *msg;
	u32 nodes = 0, entries = 0, gen = 0;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mosix_family, 0, MOSIX_CMD_GET_STATUS);
	if (!hdr)
		goto nospace;

	rcu_read_lock();
	t = mosix_table_get();
	if (t) {
		nodes = t->map.nr_nodes;
		entries = mosix_map_nr_entries(&t->map);
		gen = t->gen;
	}
	rcu_read_unlock();

	if (nla_put_u32(msg, MOSIX_A_STATE, mosix_node_state()) ||
	    nla_put_u32(msg, MOSIX_A_PE, mosix_node_pe()) ||
	    nla_put_u32(msg, MOSIX_A_NODES, nodes) ||
	    nla_put_u32(msg, MOSIX_A_ENTRIES, entries) ||
	    nla_put_u32(msg, MOSIX_A_TABLE_GEN, gen) ||
	    nla_put_u32(msg, MOSIX_A_KEY_SET, mosix_info_key_set()) ||
	    nla_put_u32(msg, MOSIX_A_INFO_INTERVAL_MS, READ_ONCE(mosix_info_interval_ms)) ||
	    nla_put_u32(msg, MOSIX_A_WINDOW, READ_ONCE(mosix_info_window)) ||
	    put_stats(msg))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int set_table_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct mosix_map_error error;
	const struct nlattr *a;
	size_t total = 0;
	char *text;
	int rem, err;

	if (!capable(CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(extack, "changing the table needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, MOSIX_A_TABLE_TEXT))
		return -EINVAL;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem)
		if (nla_type(a) == MOSIX_A_TABLE_TEXT)
			total += nla_len(a);
	if (total > MOSIX_TABLE_TEXT_MAX) {
		NL_SET_ERR_MSG(extack, "map text larger than 8 MiB");
		pr_info_ratelimited("netlink: table rejected: %zu bytes of text, at most %d\n",
				    total, MOSIX_TABLE_TEXT_MAX);
		return -EFBIG;
	}

	text = kvmalloc(total + 1, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	total = 0;
	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != MOSIX_A_TABLE_TEXT)
			continue;
		memcpy(text + total, nla_data(a), nla_len(a));
		total += nla_len(a);
	}

	err = mosix_node_set_table(text, total, "netlink", &error);
	if (err && error.line)
		mosix_set_err_line(extack, error.line, error.reason);
	else if (err)
		extack->_msg = error.reason;
	kvfree(text);
	return err;
}

/*
 * A dump is consistent when every message comes from the generation its
 * first message came from. cb->seq carries the generation to the netlink
 * core, which flags a message NLM_F_DUMP_INTR when cb->seq differs from the
 * previous message's, NLMSG_DONE included; the generation of the first
 * message is kept here too, so that a change is noticed whatever cb->seq
 * looks like.
 */
struct table_dump {
	u32 next;	/* next entry to send */
	u32 gen;	/* generation of the first message */
	bool started;	/* the first message is out */
	bool done;	/* the dump ended early: the table changed */
	char *buf;
};

static int get_table_start(struct netlink_callback *cb)
{
	struct table_dump *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	d->buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!d->buf) {
		kfree(d);
		return -ENOMEM;
	}
	cb->args[0] = (long)d;
	return 0;
}

static int get_table_done(struct netlink_callback *cb)
{
	struct table_dump *d = (struct table_dump *)cb->args[0];

	if (d) {
		kfree(d->buf);
		kfree(d);
	}
	return 0;
}

/*
 * cb->seq 0 turns the check off: the generations map to non-zero values,
 * consecutive ones to different values (0 and 2^31 share one).
 */
static unsigned int table_dump_seq(u32 gen)
{
	return gen ?: 1U << 31;
}

/*
 * One message per call: as many whole canonical lines as fit (at most a
 * page). If the table changed since the first message, the dump ends with
 * a message without lines flagged NLM_F_DUMP_INTR: the reader starts again.
 */
static int get_table_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct table_dump *d = (struct table_dump *)cb->args[0];
	/* what the text attribute, header and padding, may take of the message */
	int room = skb_tailroom(skb) - (int)nlmsg_total_size(GENL_HDRLEN) -
		   nla_total_size(sizeof(u32));
	struct mosix_table *t;
	u32 nr, gen, next;
	bool changed;
	int len = 0;
	void *hdr;

	rcu_read_lock();
	t = mosix_table_get();
	nr = t ? mosix_map_nr_entries(&t->map) : 0;
	gen = t ? t->gen : 0;
	/* on every call, the last one too: NLMSG_DONE is checked against it */
	cb->seq = table_dump_seq(gen);
	changed = d->started && gen != d->gen;
	for (next = d->next; !changed && !d->done && next < nr; next++) {
		char line[MOSIX_MAP_LINE_MAX];
		int n = mosix_map_format_entry(&t->map, next, line, sizeof(line));

		if (len + n > PAGE_SIZE || nla_total_size(len + n) > room)
			break;
		memcpy(d->buf + len, line, n);
		len += n;
	}
	rcu_read_unlock();

	/* done; an empty table still gets one message */
	if (d->done || (!len && d->started && !changed))
		return 0;
	/* not even one line fits */
	if (!len && !changed && next < nr)
		return -EMSGSIZE;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mosix_family, NLM_F_MULTI, MOSIX_CMD_GET_TABLE);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, MOSIX_A_TABLE_GEN, gen) ||
	    nla_put(skb, MOSIX_A_TABLE_TEXT, len, d->buf)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	if (changed) {
		/* whatever cb->seq did: the end of an inconsistent dump */
		genlmsg_nlhdr(hdr)->nlmsg_flags |= NLM_F_DUMP_INTR;
		d->done = true;
	}
	genlmsg_end(skb, hdr);
	if (!d->started) {
		d->started = true;
		d->gen = gen;
	}
	d->next = next;
	return skb->len;
}

/* the view, copied once when the dump starts, then sent a node a message */
struct nodes_dump {
	unsigned int next, nr;
	struct mosix_info_entry e[];
};

static int get_nodes_start(struct netlink_callback *cb)
{
	struct nodes_dump *d;

	d = kvzalloc(struct_size(d, e, MOSIX_INFO_ENTRIES_MAX), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->nr = mosix_info_snapshot(d->e, MOSIX_INFO_ENTRIES_MAX);
	cb->args[0] = (long)d;
	return 0;
}

static int get_nodes_done(struct netlink_callback *cb)
{
	kvfree((void *)cb->args[0]);
	return 0;
}

static int put_node(struct sk_buff *skb, const struct mosix_info_entry *e,
		    bool self)
{
	struct mosix_peer_counters c;

	if (nla_put_u32(skb, MOSIX_A_NODE_PE, e->pe) ||
	    (self && nla_put_flag(skb, MOSIX_A_NODE_SELF)) ||
	    nla_put_u32(skb, MOSIX_A_NODE_STATUS, e->status) ||
	    nla_put_u32(skb, MOSIX_A_NODE_LOAD, e->load) ||
	    nla_put_u32(skb, MOSIX_A_NODE_CPUS, e->cpus) ||
	    nla_put_u32(skb, MOSIX_A_NODE_UTIL, e->util) ||
	    nla_put_u32(skb, MOSIX_A_NODE_SPEED, e->speed) ||
	    nla_put_u64_64bit(skb, MOSIX_A_NODE_MEM_KB, e->mem_kb, MOSIX_A_PAD) ||
	    nla_put_u64_64bit(skb, MOSIX_A_NODE_FREE_KB, e->free_kb, MOSIX_A_PAD) ||
	    nla_put_u32(skb, MOSIX_A_NODE_AGE_MS, e->age_ms))
		return -EMSGSIZE;
	/* a peer's traffic (read now: the view was copied when the dump began) */
	if (!self && mosix_info_peer_counters(e->pe, &c) &&
	    (nla_put_u64_64bit(skb, MOSIX_A_NODE_TX_PACKETS, c.tx_packets,
			       MOSIX_A_PAD) ||
	     nla_put_u64_64bit(skb, MOSIX_A_NODE_RX_PACKETS, c.rx_packets,
			       MOSIX_A_PAD) ||
	     nla_put_u64_64bit(skb, MOSIX_A_NODE_RX_ACCEPTED, c.rx_accepted,
			       MOSIX_A_PAD)))
		return -EMSGSIZE;
	return 0;
}

static int get_nodes_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nodes_dump *d = (struct nodes_dump *)cb->args[0];
	u32 self = mosix_node_pe();

	for (; d->next < d->nr; d->next++) {
		const struct mosix_info_entry *e = &d->e[d->next];
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &mosix_family,
					NLM_F_MULTI, MOSIX_CMD_GET_NODES);

		if (!hdr)
			break;
		if (put_node(skb, e, e->pe == self)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	return skb->len;
}

/* a required attribute missing: EINVAL, the extack names it */
static bool attr_missing(struct genl_info *info, int type, const char *msg)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	if (info->extack)
		info->extack->_msg = msg;
	return true;
}

static int job_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct sk_buff *msg;
	u32 home, num;
	void *hdr;
	int err;

	if (attr_missing(info, MOSIX_A_JOB_PID, "missing MOSIX_A_JOB_PID") ||
	    attr_missing(info, MOSIX_A_JOB_UID, "missing MOSIX_A_JOB_UID") ||
	    attr_missing(info, MOSIX_A_JOB_NAME, "missing MOSIX_A_JOB_NAME") ||
	    attr_missing(info, MOSIX_A_JOB_CMD, "missing MOSIX_A_JOB_CMD"))
		return -EINVAL;

	/* the reply first: once the job is added, nothing may fail but the send */
	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mosix_family, 0, MOSIX_CMD_JOB_ADD);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = mosix_jobs_add(nla_get_u32(a[MOSIX_A_JOB_PID]),
			     nla_get_u32(a[MOSIX_A_JOB_UID]),
			     nla_data(a[MOSIX_A_JOB_NAME]),
			     nla_data(a[MOSIX_A_JOB_CMD]), &home, &num,
			     info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	/* cannot fail: the message was sized for them */
	nla_put_u32(msg, MOSIX_A_JOB_HOME, home);
	nla_put_u32(msg, MOSIX_A_JOB_NUM, num);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static bool pe_attr_ok(struct genl_info *info, u32 v, const char *msg)
{
	if (v && v <= MOSIX_PE_MAX)
		return true;
	if (info->extack)
		info->extack->_msg = msg;
	return false;
}

static int job_exit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;

	if (attr_missing(info, MOSIX_A_JOB_NUM, "missing MOSIX_A_JOB_NUM") ||
	    attr_missing(info, MOSIX_A_JOB_STATUS, "missing MOSIX_A_JOB_STATUS"))
		return -EINVAL;
	if (a[MOSIX_A_JOB_HOME] &&
	    !pe_attr_ok(info, nla_get_u32(a[MOSIX_A_JOB_HOME]),
			"the job's home PE is out of range"))
		return -EINVAL;
	return mosix_jobs_set_exited(a[MOSIX_A_JOB_HOME] ? nla_get_u32(a[MOSIX_A_JOB_HOME]) : 0,
				     nla_get_u32(a[MOSIX_A_JOB_NUM]),
				     nla_get_u32(a[MOSIX_A_JOB_STATUS]),
				     info->extack);
}

static int job_where_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;

	if (attr_missing(info, MOSIX_A_JOB_NUM, "missing MOSIX_A_JOB_NUM") ||
	    attr_missing(info, MOSIX_A_JOB_WHERE, "missing MOSIX_A_JOB_WHERE"))
		return -EINVAL;
	if (!pe_attr_ok(info, nla_get_u32(a[MOSIX_A_JOB_WHERE]), "the PE is out of range"))
		return -EINVAL;
	return mosix_jobs_set_where(nla_get_u32(a[MOSIX_A_JOB_NUM]),
				    nla_get_u32(a[MOSIX_A_JOB_WHERE]), info->extack);
}

/*
 * Who asks: the credentials of whoever opened the socket, as netlink's own
 * capability checks use (a descriptor handed to someone else keeps its
 * opener's rights, no more).
 */
static kuid_t requester_uid(struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;

	if (sk && sk->sk_socket && sk->sk_socket->file)
		return sk->sk_socket->file->f_cred->euid;
	return current_euid();
}

static int migrate_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct sk_buff *msg;
	void *hdr;
	u64 id;
	int err;

	if (attr_missing(info, MOSIX_A_JOB_HOME, "missing MOSIX_A_JOB_HOME") ||
	    attr_missing(info, MOSIX_A_JOB_NUM, "missing MOSIX_A_JOB_NUM") ||
	    attr_missing(info, MOSIX_A_MIG_TO, "missing MOSIX_A_MIG_TO"))
		return -EINVAL;
	if (!pe_attr_ok(info, nla_get_u32(a[MOSIX_A_JOB_HOME]),
			"the job's home PE is out of range") ||
	    !pe_attr_ok(info, nla_get_u32(a[MOSIX_A_MIG_TO]), "the target PE is out of range"))
		return -EINVAL;
	if (!nla_get_u32(a[MOSIX_A_JOB_NUM])) {
		NL_SET_ERR_MSG(info->extack, "the job number is out of range");
		return -EINVAL;
	}
	msg = genlmsg_new(nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mosix_family, 0, MOSIX_CMD_MIGRATE);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = mosix_mig_request(nla_get_u32(a[MOSIX_A_JOB_HOME]),
				nla_get_u32(a[MOSIX_A_JOB_NUM]),
				nla_get_u32(a[MOSIX_A_MIG_TO]), requester_uid(skb),
				netlink_capable(skb, CAP_NET_ADMIN), &id, info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	/* cannot fail: the message was sized for it */
	nla_put_u64_64bit(msg, MOSIX_A_MIG_ID, id, MOSIX_A_PAD);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int mig_helper_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u32 port;

	if (attr_missing(info, MOSIX_A_MIG_PORT, "missing MOSIX_A_MIG_PORT") ||
	    attr_missing(info, MOSIX_A_MIG_CRIU, "missing MOSIX_A_MIG_CRIU"))
		return -EINVAL;
	port = nla_get_u32(a[MOSIX_A_MIG_PORT]);
	if (port > 65535) {
		NL_SET_ERR_MSG(info->extack, "the port is out of range");
		return -EINVAL;
	}
	if (nla_get_u32(a[MOSIX_A_MIG_CRIU]) > 1) {
		NL_SET_ERR_MSG(info->extack, "MOSIX_A_MIG_CRIU is 0 or 1");
		return -EINVAL;
	}
	if (mosix_mig_set_helper(info->snd_portid, port,
				 nla_get_u32(a[MOSIX_A_MIG_CRIU]),
				 a[MOSIX_A_MIG_TEXT] ? nla_data(a[MOSIX_A_MIG_TEXT]) : NULL)) {
		NL_SET_ERR_MSG(info->extack, "this socket is not the registered migration helper");
		return -ENOENT;
	}
	return 0;
}

static int mig_report_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;

	if (attr_missing(info, MOSIX_A_MIG_ID, "missing MOSIX_A_MIG_ID") ||
	    attr_missing(info, MOSIX_A_MIG_REPORT, "missing MOSIX_A_MIG_REPORT"))
		return -EINVAL;
	if (nla_get_u32(a[MOSIX_A_MIG_REPORT]) == MOSIX_MIG_REPORT_RESTORED &&
	    attr_missing(info, MOSIX_A_JOB_PID, "missing MOSIX_A_JOB_PID"))
		return -EINVAL;
	if (nla_get_u32(a[MOSIX_A_MIG_REPORT]) == MOSIX_MIG_REPORT_PROGRESS) {
		if (attr_missing(info, MOSIX_A_MIG_PHASE, "missing MOSIX_A_MIG_PHASE"))
			return -EINVAL;
		return mosix_mig_progress(info->snd_portid, nla_get_u64(a[MOSIX_A_MIG_ID]),
					  nla_get_u32(a[MOSIX_A_MIG_PHASE]),
					  a[MOSIX_A_MIG_DONE_BYTES] ?
					  nla_get_u64(a[MOSIX_A_MIG_DONE_BYTES]) : 0,
					  a[MOSIX_A_MIG_TOTAL_BYTES] ?
					  nla_get_u64(a[MOSIX_A_MIG_TOTAL_BYTES]) : 0,
					  info->extack);
	}
	return mosix_mig_report(info->snd_portid, nla_get_u64(a[MOSIX_A_MIG_ID]),
				nla_get_u32(a[MOSIX_A_MIG_REPORT]),
				a[MOSIX_A_JOB_PID] ? nla_get_u32(a[MOSIX_A_JOB_PID]) : 0,
				a[MOSIX_A_JOB_NAME] ? nla_data(a[MOSIX_A_JOB_NAME]) : NULL,
				a[MOSIX_A_JOB_CMD] ? nla_data(a[MOSIX_A_JOB_CMD]) : NULL,
				a[MOSIX_A_MIG_TEXT] ? nla_data(a[MOSIX_A_MIG_TEXT]) : NULL,
				info->extack);
}

static int mig_key_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 key[MOSIX_MIG_KEY_LEN];
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (attr_missing(info, MOSIX_A_MIG_ID, "missing MOSIX_A_MIG_ID"))
		return -EINVAL;
	msg = genlmsg_new(nla_total_size(sizeof(key)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mosix_family, 0, MOSIX_CMD_MIG_KEY);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = mosix_mig_take_key(info->snd_portid,
				 nla_get_u64(info->attrs[MOSIX_A_MIG_ID]), key,
				 info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	nla_put(msg, MOSIX_A_MIG_KEY, sizeof(key), key);
	memzero_explicit(key, sizeof(key));
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

struct jobs_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int put_job(const struct mosix_job_view *v, void *arg)
{
	struct jobs_dump *d = arg;
	struct sk_buff *skb = d->skb;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &mosix_family, NLM_F_MULTI,
			  MOSIX_CMD_GET_JOBS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MOSIX_A_JOB_HOME, v->home) ||
	    nla_put_u32(skb, MOSIX_A_JOB_NUM, v->num) ||
	    nla_put_u32(skb, MOSIX_A_JOB_WHERE, v->where) ||
	    (v->pid && nla_put_u32(skb, MOSIX_A_JOB_PID, v->pid)) ||
	    nla_put_u32(skb, MOSIX_A_JOB_UID, v->uid) ||
	    nla_put_u32(skb, MOSIX_A_JOB_STATE, v->state) ||
	    (v->have_status && nla_put_u32(skb, MOSIX_A_JOB_STATUS, v->status)) ||
	    nla_put_string(skb, MOSIX_A_JOB_NAME, v->name) ||
	    nla_put_string(skb, MOSIX_A_JOB_CMD, v->cmd) ||
	    nla_put_u64_64bit(skb, MOSIX_A_JOB_AGE_MS, v->age_ms, MOSIX_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	/* the next call goes on after it */
	d->cb->args[0] = v->home;
	d->cb->args[1] = v->num;
	return 0;
}

/*
 * Every call goes on after the last job sent (cb->args[0]): nothing is
 * held between calls, whatever a reader leaves unread. Each job's message
 * is read as a whole under the registry's lock, in the reader's context
 * (its PID and user namespaces).
 */
static int get_jobs_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct jobs_dump d = { .skb = skb, .cb = cb };

	mosix_jobs_dump((u64)(u32)cb->args[0] << 32 | (u32)cb->args[1], put_job, &d);
	return skb->len;
}

static const struct genl_ops mosix_ops[] = {
	{
		.cmd = MOSIX_CMD_GET_STATUS,
		.doit = get_status_doit,
		.policy = no_attr_policy,
		.maxattr = MOSIX_A_MAX,
	},
	{
		.cmd = MOSIX_CMD_SET_TABLE,
		.doit = set_table_doit,
		.policy = set_table_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_GET_TABLE,
		.start = get_table_start,
		.dumpit = get_table_dumpit,
		.done = get_table_done,
		.policy = no_attr_policy,
		.maxattr = MOSIX_A_MAX,
	},
	{
		.cmd = MOSIX_CMD_GET_NODES,
		.start = get_nodes_start,
		.dumpit = get_nodes_dumpit,
		.done = get_nodes_done,
		.policy = no_attr_policy,
		.maxattr = MOSIX_A_MAX,
	},
	{
		.cmd = MOSIX_CMD_JOB_ADD,
		.doit = job_add_doit,
		.policy = job_add_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_JOB_EXIT,
		.doit = job_exit_doit,
		.policy = job_exit_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_GET_JOBS,
		.dumpit = get_jobs_dumpit,
		.policy = no_attr_policy,
		.maxattr = MOSIX_A_MAX,
	},
	{
		.cmd = MOSIX_CMD_MIGRATE,
		.doit = migrate_doit,
		.policy = migrate_policy,
		.maxattr = MOSIX_A_MAX,
	},
	{
		.cmd = MOSIX_CMD_MIG_HELPER,
		.doit = mig_helper_doit,
		.policy = mig_helper_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_MIG_REPORT,
		.doit = mig_report_doit,
		.policy = mig_report_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_MIG_KEY,
		.doit = mig_key_doit,
		.policy = mig_key_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = MOSIX_CMD_JOB_WHERE,
		.doit = job_where_doit,
		.policy = job_where_policy,
		.maxattr = MOSIX_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

/*
 * parallel_ops: genl_mutex is not taken around the ops, so that parsing a
 * table of up to 8 MiB does not stall every other generic netlink family.
 * None needs it: GET_STATUS reads under RCU and READ_ONCE, SET_TABLE
 * parses into its own memory and installs under mosix_config_lock
 * (mosix_node_set_table()), the dumps keep their state in their callback
 * (the netlink core runs one socket's dump one call at a time) and read
 * the table under RCU or the info view under its lock; the job commands
 * and GET_JOBS take the registry's lock (jobs.c), the migration commands
 * the migration daemon's (mig.c). The module cannot go
 * away under an op: genl_unregister_family() waits for those running, and
 * a dump holds a reference to the module.
 */
static struct genl_family mosix_family __ro_after_init = {
	.name = MOSIX_GENL_NAME,
	.version = MOSIX_GENL_VERSION,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.ops = mosix_ops,
	.n_ops = ARRAY_SIZE(mosix_ops),
	.mcgrps = mosix_mcgrps,
	.n_mcgrps = ARRAY_SIZE(mosix_mcgrps),
	.resv_start_op = MOSIX_CMD_MAX + 1,
	.maxattr = MOSIX_A_MAX,
	.netnsok = false,
};

int mosix_netlink_init(void)
{
	reject_the_rest();
	return genl_register_family(&mosix_family);
}

void mosix_netlink_exit(void)
{
	genl_unregister_family(&mosix_family);
}
