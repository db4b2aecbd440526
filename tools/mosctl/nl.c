// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "mosix" over libmnl: resolve the family,
 * send one request, read its replies up to the ack, the error or the end of
 * the dump, and keep the kernel's extended-ack message for the user.
 *
 * The receive loop is ours rather than mnl_cb_run(): that one gives up at
 * the first NLM_F_DUMP_INTR message and leaves the rest of the dump in the
 * socket, while an interrupted table dump must be read to its end and
 * started again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include "mosctl.h"

/* a dump message holds a page of text: the kernel sizes it by our buffer */
#define RECV_BUF_MIN	32768
#define DUMP_RETRIES	5
/* the canonical text of the largest table is below 8 MiB; allow slack */
#define TABLE_READ_MAX	(2 * MOSIX_TABLE_TEXT_MAX)
/* receive buffer of an events socket: a burst of events fits */
#define EVENTS_RCVBUF	(1 << 20)

const char *mosctl_nl_family_name(void)
{
	const char *name = getenv(MOSCTL_ENV_FAMILY);

	return name && *name ? name : MOSIX_GENL_NAME;
}

static struct nlmsghdr *put_request(void *buf, uint16_t type, uint16_t flags,
				    uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int ext_attr_cb(const struct nlattr *attr, void *data)
{
	struct mosctl_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* the extended-ack TLVs that start offset bytes into the payload */
static void parse_extack(struct mosctl_nl *nl, const struct nlmsghdr *nlh,
			 size_t offset)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    MNL_ALIGN(offset) >= mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, (unsigned int)offset, ext_attr_cb, nl);
}

int mosctl_nl_parse_error(struct mosctl_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	/* without NETLINK_CAP_ACK the request follows its header */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_extack(nl, nlh, offset);
	if (e->error == INT_MIN)
		return -EPROTO;
	return e->error > 0 ? -e->error : e->error;
}

/* NLMSG_DONE: carries the dump's final status */
static int handle_done(struct mosctl_nl *nl, const struct nlmsghdr *nlh)
{
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		parse_extack(nl, nlh, sizeof(err));
	}
	return err < 0 && err != INT_MIN ? err : 0;
}

typedef int (*reply_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Send req, then hand each reply to cb (if any) until the ack, an error or
 * NLMSG_DONE. *intr (if given) tells whether a message was marked
 * NLM_F_DUMP_INTR. Returns 0 or -errno.
 */
static int transact(struct mosctl_nl *nl, const struct nlmsghdr *req,
		    reply_cb cb, void *data, bool *intr)
{
	uint32_t seq = req->nlmsg_seq;

	nl->ext_msg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh = (const void *)nl->buf;
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, nl->buf_size);
		int len, err;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (len = (int)n; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* the kernel's own messages (MIG_WORK) to whoever wants them */
			if (!nlh->nlmsg_seq && nl->unsolicited &&
			    nlh->nlmsg_type == nl->family) {
				nl->unsolicited(nlh, nl->unsolicited_arg);
				continue;
			}
			/* replies to an earlier, abandoned request */
			if (nlh->nlmsg_seq != seq ||
			    !mnl_nlmsg_portid_ok(nlh, nl->portid))
				continue;
			if (intr && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				*intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR:
				return mosctl_nl_parse_error(nl, nlh);
			case NLMSG_DONE:
				return handle_done(nl, nlh);
			case NLMSG_OVERRUN:
				return -EOVERFLOW;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !cb)
				continue;
			err = cb(nlh, data);
			if (err)
				return err;
		}
		if (len)
			return -EBADMSG;
	}
}

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int collect_cb(const struct nlattr *attr, void *data)
{
	const struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* the attributes of a generic netlink message, by type */
static int parse_genl(const struct nlmsghdr *nlh, const struct nlattr **tb,
		      unsigned int max)
{
	struct attrs a = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EBADMSG;
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_cb, &a) < 0 ?
	       -EBADMSG : 0;
}

/* one CTRL_ATTR_MCAST_GROUPS entry: the id of the events group, if it is */
static int mcast_group_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];
	struct attrs a = { tb, CTRL_ATTR_MCAST_GRP_MAX };
	uint32_t *group = data;

	memset(tb, 0, sizeof(tb));
	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(attr, collect_cb, &a) < 0)
		return MNL_CB_ERROR;
	if (!tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID] ||
	    mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_NAME], MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_ID], MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (!strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]),
		    MOSIX_GENL_MCGRP_EVENTS))
		*group = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return MNL_CB_OK;
}

int mosctl_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id,
			   uint32_t *events_group)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	*id = 0;
	*events_group = 0;
	if (parse_genl(nlh, tb, CTRL_ATTR_MAX) || !tb[CTRL_ATTR_FAMILY_ID] ||
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) < 0)
		return -EBADMSG;
	*id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!*id)
		return -EBADMSG;
	/* a module without the group (older than the events): group 0 */
	if (tb[CTRL_ATTR_MCAST_GROUPS] &&
	    (mnl_attr_validate(tb[CTRL_ATTR_MCAST_GROUPS], MNL_TYPE_NESTED) < 0 ||
	     mnl_attr_parse_nested(tb[CTRL_ATTR_MCAST_GROUPS], mcast_group_cb,
				   events_group) < 0))
		return -EBADMSG;
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mosctl_nl *nl = data;

	return mosctl_nl_parse_family(nlh, &nl->family, &nl->events_group);
}

static int resolve_family(struct mosctl_nl *nl)
{
	char buf[MNL_NLMSG_HDRLEN + 64 + GENL_NAMSIZ] = { 0 };
	const char *name = mosctl_nl_family_name();
	struct nlmsghdr *nlh;
	int err;

	if (strlen(name) >= GENL_NAMSIZ)
		return -ENOENT;
	nlh = put_request(buf, GENL_ID_CTRL, NLM_F_ACK, ++nl->seq,
			  CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = transact(nl, nlh, family_cb, nl, NULL);
	if (err)
		return err;
	return nl->family ? 0 : -EBADMSG;
}

int mosctl_nl_subscribe_events(struct mosctl_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock), size = EVENTS_RCVBUF;
	unsigned int group = nl->events_group;

	if (!group)
		return -ENOPROTOOPT;
	/* room for a burst of events; FORCE only works for root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

int mosctl_nl_recv_events(struct mosctl_nl *nl,
			  void (*cb)(const struct mosctl_event *ev, void *data),
			  void *data)
{
	struct sockaddr_nl sender;
	struct iovec iov = { nl->buf, nl->buf_size };
	struct msghdr msg = {
		.msg_name = &sender, .msg_namelen = sizeof(sender),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n = recvmsg(mnl_socket_get_fd(nl->sock), &msg, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	/* only the kernel sends to the group */
	if (msg.msg_namelen != sizeof(sender) || sender.nl_pid)
		return 0;
	return mosctl_events_dispatch(nl->buf, (size_t)n, nl->family, cb, data);
}

int mosctl_nl_open(struct mosctl_nl *nl)
{
	long page = sysconf(_SC_PAGESIZE);
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->buf_size = page > 0 && (size_t)page * 8 > RECV_BUF_MIN ?
		       (size_t)page * 8 : RECV_BUF_MIN;
	nl->buf = malloc(nl->buf_size);
	if (!nl->buf)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock)
		goto fail;
	/* errors no longer echo the request; they carry the kernel's reason */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	err = resolve_family(nl);
	if (err) {
		mosctl_nl_close(nl);
		return err;
	}
	return 0;

fail:
	err = -errno;
	mosctl_nl_close(nl);
	return err ? err : -EIO;
}

void mosctl_nl_close(struct mosctl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	nl->sock = NULL;
	nl->buf = NULL;
}

void mosctl_nl_perror(const struct mosctl_nl *nl, const char *what, int err)
{
	if (err < 0)
		err = -err;
	if (nl && nl->ext_msg[0])
		mosctl_err("%s: %s: %s", what, strerror(err), nl->ext_msg);
	else if (err == EPERM || err == EACCES)
		mosctl_err("%s: %s (must be root)", what, strerror(err));
	else
		mosctl_err("%s: %s", what, strerror(err));
}

void mosctl_nl_dump_perror(const struct mosctl_nl *nl, const char *what, int err)
{
	if (err == -EAGAIN || err == EAGAIN)
		mosctl_err("%s: it kept changing while it was read, try again", what);
	else
		mosctl_nl_perror(nl, what, err);
}

int mosctl_nl_connect(struct mosctl_nl *nl)
{
	int err = mosctl_nl_open(nl);

	if (err == -ENOENT)
		mosctl_err("the mosix module is not loaded");
	else if (err)
		mosctl_nl_perror(NULL, "generic netlink", err);
	return err ? -1 : 0;
}

/* an optional u32 attribute: false if absent, -EBADMSG if malformed */
static int get_u32(const struct nlattr *a, uint32_t *v, bool *present)
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

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a)
		return 0;	/* absent: *v unchanged */
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return -EBADMSG;
	*v = mnl_attr_get_u64(a);
	return 0;
}

static int stats_cb(const struct nlattr *attr, void *data)
{
	struct mosctl_stats *s = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint64_t *slot = NULL;

	if (type >= MOSIX_STAT_TICKS && type < MOSIX_STAT_DROP_BASE)
		slot = &s->counter[type];
	else if (type >= MOSIX_STAT_DROP_BASE &&
		 type - MOSIX_STAT_DROP_BASE < MOSCTL_NR_DROPS)
		slot = &s->drop[type - MOSIX_STAT_DROP_BASE];
	/* MOSIX_STAT_PAD and counters of a newer kernel: skipped */
	if (!slot)
		return MNL_CB_OK;
	return get_u64(attr, slot) ? MNL_CB_ERROR : MNL_CB_OK;
}

int mosctl_nl_parse_status(const struct nlmsghdr *nlh, struct mosctl_status *st)
{
	static const int fields[] = {
		MOSIX_A_STATE, MOSIX_A_PE, MOSIX_A_NODES, MOSIX_A_ENTRIES,
		MOSIX_A_TABLE_GEN,
	};
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	uint32_t v[sizeof(fields) / sizeof(fields[0])], key_set = 0;
	bool have[3];
	size_t i;

	memset(st, 0, sizeof(*st));
	if (parse_genl(nlh, tb, MOSIX_A_MAX))
		return -EBADMSG;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct nlattr *a = tb[fields[i]];

		if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		v[i] = mnl_attr_get_u32(a);
	}
	st->state = v[0];
	st->pe = v[1];
	st->nodes = v[2];
	st->entries = v[3];
	st->table_gen = v[4];

	/* the info daemon's attributes come together, or not at all */
	if (get_u32(tb[MOSIX_A_KEY_SET], &key_set, &have[0]) ||
	    get_u32(tb[MOSIX_A_INFO_INTERVAL_MS], &st->info_interval_ms, &have[1]) ||
	    get_u32(tb[MOSIX_A_WINDOW], &st->window, &have[2]))
		return -EBADMSG;
	st->has_info = have[0] && have[1] && have[2];
	st->key_set = key_set != 0;
	if (tb[MOSIX_A_STATS]) {
		if (mnl_attr_validate(tb[MOSIX_A_STATS], MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(tb[MOSIX_A_STATS], stats_cb,
					  &st->stats) < 0)
			return -EBADMSG;
		st->has_stats = true;
	}
	return 0;
}

struct status_reply {
	struct mosctl_status *st;
	bool got;
};

static int status_cb(const struct nlmsghdr *nlh, void *data)
{
	struct status_reply *reply = data;
	int err = mosctl_nl_parse_status(nlh, reply->st);

	if (err)
		return err;
	reply->got = true;
	return 0;
}

int mosctl_nl_get_status(struct mosctl_nl *nl, struct mosctl_status *st)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct status_reply reply = { st, false };
	struct nlmsghdr *nlh;
	int err;

	memset(st, 0, sizeof(*st));
	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_GET_STATUS, MOSIX_GENL_VERSION);
	err = transact(nl, nlh, status_cb, &reply, NULL);
	if (!err && !reply.got)
		err = -EBADMSG;	/* acked without a reply */
	return err;
}

int mosctl_nl_parse_node(const struct nlmsghdr *nlh, struct mosctl_node *node)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	bool have_pe, have_status, have;

	memset(node, 0, sizeof(*node));
	if (parse_genl(nlh, tb, MOSIX_A_MAX))
		return -EBADMSG;
	if (get_u32(tb[MOSIX_A_NODE_PE], &node->pe, &have_pe) ||
	    get_u32(tb[MOSIX_A_NODE_STATUS], &node->status, &have_status) ||
	    get_u32(tb[MOSIX_A_NODE_LOAD], &node->load, &have) ||
	    get_u32(tb[MOSIX_A_NODE_CPUS], &node->cpus, &have) ||
	    get_u32(tb[MOSIX_A_NODE_UTIL], &node->util, &have) ||
	    get_u32(tb[MOSIX_A_NODE_SPEED], &node->speed, &have) ||
	    get_u32(tb[MOSIX_A_NODE_AGE_MS], &node->age_ms, &have) ||
	    get_u64(tb[MOSIX_A_NODE_MEM_KB], &node->mem_kb) ||
	    get_u64(tb[MOSIX_A_NODE_FREE_KB], &node->free_kb))
		return -EBADMSG;
	if (!have_pe || !have_status || !node->pe || node->pe > MOSIX_PE_MAX)
		return -EBADMSG;
	/* the traffic counters: all three or none */
	have = tb[MOSIX_A_NODE_TX_PACKETS] || tb[MOSIX_A_NODE_RX_PACKETS] ||
	       tb[MOSIX_A_NODE_RX_ACCEPTED];
	if (have) {
		if (!tb[MOSIX_A_NODE_TX_PACKETS] || !tb[MOSIX_A_NODE_RX_PACKETS] ||
		    !tb[MOSIX_A_NODE_RX_ACCEPTED] ||
		    get_u64(tb[MOSIX_A_NODE_TX_PACKETS], &node->tx_packets) ||
		    get_u64(tb[MOSIX_A_NODE_RX_PACKETS], &node->rx_packets) ||
		    get_u64(tb[MOSIX_A_NODE_RX_ACCEPTED], &node->rx_accepted))
			return -EBADMSG;
		node->has_traffic = true;
	}
	if (tb[MOSIX_A_NODE_SELF]) {
		if (mnl_attr_validate(tb[MOSIX_A_NODE_SELF], MNL_TYPE_FLAG) < 0)
			return -EBADMSG;
		node->self = true;
	}
	return 0;
}

struct node_list {
	struct mosctl_node *node;
	size_t nr;
	size_t size;
};

static int node_cb(const struct nlmsghdr *nlh, void *data)
{
	struct node_list *l = data;
	struct mosctl_node node;
	int err = mosctl_nl_parse_node(nlh, &node);

	if (err)
		return err;
	/* one message per node, at most one per PE */
	if (l->nr > MOSIX_PE_MAX)
		return -EFBIG;
	if (l->nr == l->size) {
		size_t size = l->size ? 2 * l->size : 64;
		struct mosctl_node *p = realloc(l->node, size * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->node = p;
		l->size = size;
	}
	l->node[l->nr++] = node;
	return 0;
}

/*
 * A dump of cmd, each message to cb. *collected is what cb gathered: it is
 * zeroed before every attempt, as a dump that the kernel marks
 * NLM_F_DUMP_INTR (the data changed under it) is read to its end and
 * started again, at most DUMP_RETRIES times; then -EAGAIN.
 */
static int dump(struct mosctl_nl *nl, uint8_t cmd, reply_cb cb, void *data,
		size_t *collected)
{
	char buf[MNL_NLMSG_HDRLEN + 64];
	int attempt, err = 0;

	for (attempt = 0; attempt <= DUMP_RETRIES; attempt++) {
		struct nlmsghdr *nlh;
		bool intr = false;

		memset(buf, 0, sizeof(buf));
		nlh = put_request(buf, nl->family, NLM_F_DUMP, ++nl->seq, cmd,
				  MOSIX_GENL_VERSION);
		*collected = 0;
		err = transact(nl, nlh, cb, data, &intr);
		if (err || !intr)
			return err;
		err = -EAGAIN;
	}
	return err;
}

int mosctl_nl_get_nodes(struct mosctl_nl *nl, struct mosctl_node **nodes,
			size_t *n)
{
	struct node_list l = { NULL, 0, 0 };
	int err = dump(nl, MOSIX_CMD_GET_NODES, node_cb, &l, &l.nr);

	if (err) {
		free(l.node);
		return err;
	}
	*nodes = l.node;
	*n = l.nr;
	return 0;
}

size_t mosctl_table_chunk(const char *text, size_t len, size_t max)
{
	const char *nl;

	if (len <= max)
		return len;
	nl = memrchr(text, '\n', max);
	return nl ? (size_t)(nl - text) + 1 : max;
}

int mosctl_nl_set_table(struct mosctl_nl *nl, const char *text, size_t len)
{
	size_t size = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));
	size_t off, n;
	struct nlmsghdr *nlh;
	void *buf;
	int sndbuf, fd = mnl_socket_get_fd(nl->sock), err;

	for (off = 0; off < len; off += n) {
		n = mosctl_table_chunk(text + off, len - off, MOSIX_TABLE_CHUNK_MAX);
		size += MNL_ATTR_HDRLEN + MNL_ALIGN(n);
	}
	if (!len)
		size += MNL_ATTR_HDRLEN;	/* one empty chunk: the empty map */
	if (size > INT_MAX / 2 - 65536)
		return -EFBIG;
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_SET_TABLE, MOSIX_GENL_VERSION);
	for (off = 0; off < len; off += n) {
		n = mosctl_table_chunk(text + off, len - off, MOSIX_TABLE_CHUNK_MAX);
		mnl_attr_put(nlh, MOSIX_A_TABLE_TEXT, n, text + off);
	}
	if (!len)
		mnl_attr_put(nlh, MOSIX_A_TABLE_TEXT, 0, "");

	/*
	 * The whole table is one message: the send buffer must hold it. FORCE
	 * needs CAP_NET_ADMIN, which SET_TABLE needs anyway; without it the
	 * ordinary limit applies and a large table gets EMSGSIZE.
	 */
	sndbuf = (int)size + 65536;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	err = transact(nl, nlh, NULL, NULL, NULL);
	free(buf);
	return err;
}

struct text_buf {
	char *text;
	size_t len;
	size_t size;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	struct text_buf *t = data;
	const struct nlattr *a;
	size_t n;

	if (parse_genl(nlh, tb, MOSIX_A_MAX))
		return -EBADMSG;
	a = tb[MOSIX_A_TABLE_TEXT];
	if (!a)
		return 0;
	n = mnl_attr_get_payload_len(a);
	if (t->len + n > TABLE_READ_MAX)
		return -EFBIG;
	if (t->len + n + 1 > t->size) {
		size_t size = 2 * (t->len + n + 1);
		char *p = realloc(t->text, size);

		if (!p)
			return -ENOMEM;
		t->text = p;
		t->size = size;
	}
	memcpy(t->text + t->len, mnl_attr_get_payload(a), n);
	t->len += n;
	t->text[t->len] = '\0';
	return 0;
}

int mosctl_nl_get_table(struct mosctl_nl *nl, char **text, size_t *len)
{
	struct text_buf t = { NULL, 0, 0 };
	int err = dump(nl, MOSIX_CMD_GET_TABLE, table_cb, &t, &t.len);

	if (!err && !t.text) {
		t.text = calloc(1, 1);	/* the empty table */
		if (!t.text)
			err = -ENOMEM;
	}
	if (err) {
		free(t.text);
		return err;
	}
	*text = t.text;
	*len = t.len;
	return 0;
}

/* --- jobs ------------------------------------------------------------------ */

static int get_string(const struct nlattr *a, char *buf, size_t size)
{
	const char *s;

	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	s = mnl_attr_get_str(a);
	if (strlen(s) >= size)
		return -EBADMSG;
	strcpy(buf, s);
	return 0;
}

int mosctl_nl_parse_job(const struct nlmsghdr *nlh, struct mosctl_job *job)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	bool have_home, have_num, have_where, have_uid, have_state;
	const char *reason;

	memset(job, 0, sizeof(*job));
	if (parse_genl(nlh, tb, MOSIX_A_MAX))
		return -EBADMSG;
	if (get_u32(tb[MOSIX_A_JOB_HOME], &job->home, &have_home) ||
	    get_u32(tb[MOSIX_A_JOB_NUM], &job->num, &have_num) ||
	    get_u32(tb[MOSIX_A_JOB_WHERE], &job->where, &have_where) ||
	    get_u32(tb[MOSIX_A_JOB_UID], &job->uid, &have_uid) ||
	    get_u32(tb[MOSIX_A_JOB_STATE], &job->state, &have_state) ||
	    get_u32(tb[MOSIX_A_JOB_PID], &job->pid, &job->has_pid) ||
	    get_u32(tb[MOSIX_A_JOB_STATUS], &job->status, &job->has_status) ||
	    get_u64(tb[MOSIX_A_JOB_AGE_MS], &job->age_ms))
		return -EBADMSG;
	if (!have_home || !have_num || !have_where || !have_uid || !have_state ||
	    !job->home || job->home > MOSIX_PE_MAX || !job->num ||
	    !job->where || job->where > MOSIX_PE_MAX)
		return -EBADMSG;
	if (get_string(tb[MOSIX_A_JOB_NAME], job->name, sizeof(job->name)) ||
	    get_string(tb[MOSIX_A_JOB_CMD], job->cmd, sizeof(job->cmd)))
		return -EBADMSG;
	/* what reaches a terminal: only what the kernel checks it accepted */
	if (mosix_job_name_check(job->name, strlen(job->name), &reason) ||
	    mosix_job_cmd_check(job->cmd, strlen(job->cmd), &reason))
		return -EBADMSG;
	return 0;
}

struct job_list {
	struct mosctl_job *job;
	size_t nr, size;
};

static int job_cb(const struct nlmsghdr *nlh, void *data)
{
	struct job_list *l = data;
	struct mosctl_job job;
	int err = mosctl_nl_parse_job(nlh, &job);

	if (err)
		return err;
	if (l->nr >= MOSIX_JOBS_MAX + MOSIX_JOBS_EXITED_KEEP)
		return -EFBIG;
	if (l->nr == l->size) {
		size_t size = l->size ? 2 * l->size : 16;
		struct mosctl_job *p = realloc(l->job, size * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->job = p;
		l->size = size;
	}
	l->job[l->nr++] = job;
	return 0;
}

int mosctl_nl_get_jobs(struct mosctl_nl *nl, struct mosctl_job **jobs,
		       size_t *n)
{
	struct job_list l = { NULL, 0, 0 };
	int err = dump(nl, MOSIX_CMD_GET_JOBS, job_cb, &l, &l.nr);

	if (err) {
		free(l.job);
		return err;
	}
	*jobs = l.job;
	*n = l.nr;
	return 0;
}

struct job_id_reply {
	uint32_t home, num;
	bool got;
};

static int job_id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	struct job_id_reply *r = data;
	bool have_home, have_num;

	if (parse_genl(nlh, tb, MOSIX_A_MAX) ||
	    get_u32(tb[MOSIX_A_JOB_HOME], &r->home, &have_home) ||
	    get_u32(tb[MOSIX_A_JOB_NUM], &r->num, &have_num) ||
	    !have_home || !have_num)
		return -EBADMSG;
	r->got = true;
	return 0;
}

int mosctl_nl_job_add(struct mosctl_nl *nl, uint32_t pid, uint32_t uid,
		      const char *name, const char *cmd, uint32_t *home,
		      uint32_t *num)
{
	char buf[MNL_NLMSG_HDRLEN + 64 + MOSIX_JOB_NAME_MAX + MOSIX_JOB_CMD_MAX];
	struct job_id_reply r = { 0, 0, false };
	struct nlmsghdr *nlh;
	int err;

	memset(buf, 0, sizeof(buf));
	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_JOB_ADD, MOSIX_GENL_VERSION);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_PID, pid);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_UID, uid);
	mnl_attr_put_strz(nlh, MOSIX_A_JOB_NAME, name);
	mnl_attr_put_strz(nlh, MOSIX_A_JOB_CMD, cmd);
	err = transact(nl, nlh, job_id_cb, &r, NULL);
	if (!err && !r.got)
		err = -EBADMSG;
	if (!err) {
		*home = r.home;
		*num = r.num;
	}
	return err;
}

int mosctl_nl_job_exit(struct mosctl_nl *nl, uint32_t home, uint32_t num,
		       uint32_t status)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct nlmsghdr *nlh;

	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_JOB_EXIT, MOSIX_GENL_VERSION);
	if (home)
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, home);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, num);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_STATUS, status);
	return transact(nl, nlh, NULL, NULL, NULL);
}

struct mig_id_reply {
	uint64_t id;
	bool got;
};

static int mig_id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	struct mig_id_reply *r = data;

	if (parse_genl(nlh, tb, MOSIX_A_MAX) || !tb[MOSIX_A_MIG_ID] ||
	    mnl_attr_validate(tb[MOSIX_A_MIG_ID], MNL_TYPE_U64) < 0)
		return -EBADMSG;
	r->id = mnl_attr_get_u64(tb[MOSIX_A_MIG_ID]);
	r->got = r->id != 0;
	return r->got ? 0 : -EBADMSG;
}

int mosctl_nl_migrate(struct mosctl_nl *nl, uint32_t home, uint32_t num,
		      uint32_t to, uint64_t *id)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct mig_id_reply r = { 0, false };
	struct nlmsghdr *nlh;
	int err;

	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_MIGRATE, MOSIX_GENL_VERSION);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_HOME, home);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, num);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_TO, to);
	err = transact(nl, nlh, mig_id_cb, &r, NULL);
	if (!err && !r.got)
		err = -EBADMSG;
	if (!err)
		*id = r.id;
	return err;
}

int mosctl_nl_job_where(struct mosctl_nl *nl, uint32_t num, uint32_t where)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct nlmsghdr *nlh;

	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_JOB_WHERE, MOSIX_GENL_VERSION);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_NUM, num);
	mnl_attr_put_u32(nlh, MOSIX_A_JOB_WHERE, where);
	return transact(nl, nlh, NULL, NULL, NULL);
}

/* ---- the migration helper's side (migsvc.c) ---- */

int mosctl_nl_mig_helper(struct mosctl_nl *nl, uint16_t port, bool criu,
			 const char *text)
{
	char buf[MNL_NLMSG_HDRLEN + 64 + 256] = { 0 };
	struct nlmsghdr *nlh;

	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_MIG_HELPER, MOSIX_GENL_VERSION);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_PORT, port);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_CRIU, criu);
	if (text && *text)
		mnl_attr_put_strz(nlh, MOSIX_A_MIG_TEXT, text);
	return transact(nl, nlh, NULL, NULL, NULL);
}

struct key_reply {
	uint8_t *key;
	bool got;
};

static int key_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	struct key_reply *r = data;

	if (parse_genl(nlh, tb, MOSIX_A_MAX) || !tb[MOSIX_A_MIG_KEY] ||
	    mnl_attr_get_payload_len(tb[MOSIX_A_MIG_KEY]) != MOSIX_MIG_KEY_LEN)
		return -EBADMSG;
	memcpy(r->key, mnl_attr_get_payload(tb[MOSIX_A_MIG_KEY]), MOSIX_MIG_KEY_LEN);
	r->got = true;
	return 0;
}

int mosctl_nl_mig_key(struct mosctl_nl *nl, uint64_t id, uint8_t key[MOSIX_MIG_KEY_LEN])
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct key_reply r = { key, false };
	struct nlmsghdr *nlh;
	int err;

	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_MIG_KEY, MOSIX_GENL_VERSION);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, id);
	err = transact(nl, nlh, key_cb, &r, NULL);
	if (!err && !r.got)
		err = -EBADMSG;
	return err;
}

int mosctl_nl_mig_report(struct mosctl_nl *nl, uint64_t id, uint32_t what,
			 uint32_t pid, const char *name, const char *cmd,
			 const char *text)
{
	char buf[MNL_NLMSG_HDRLEN + 128 + MOSIX_JOB_NAME_MAX + MOSIX_JOB_CMD_MAX + 256];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_MIG_REPORT, MOSIX_GENL_VERSION);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, id);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_REPORT, what);
	if (pid)
		mnl_attr_put_u32(nlh, MOSIX_A_JOB_PID, pid);
	if (name && *name)
		mnl_attr_put_strz(nlh, MOSIX_A_JOB_NAME, name);
	if (cmd && *cmd)
		mnl_attr_put_strz(nlh, MOSIX_A_JOB_CMD, cmd);
	if (text && *text) {
		char t[256];

		snprintf(t, sizeof(t), "%s", text);
		mnl_attr_put_strz(nlh, MOSIX_A_MIG_TEXT, t);
	}
	return transact(nl, nlh, NULL, NULL, NULL);
}

int mosctl_nl_mig_progress(struct mosctl_nl *nl, uint64_t id, uint32_t phase,
			   uint64_t done, uint64_t total)
{
	char buf[MNL_NLMSG_HDRLEN + 128];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = put_request(buf, nl->family, NLM_F_ACK, ++nl->seq,
			  MOSIX_CMD_MIG_REPORT, MOSIX_GENL_VERSION);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_ID, id);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_REPORT, MOSIX_MIG_REPORT_PROGRESS);
	mnl_attr_put_u32(nlh, MOSIX_A_MIG_PHASE, phase);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_DONE_BYTES, done);
	mnl_attr_put_u64(nlh, MOSIX_A_MIG_TOTAL_BYTES, total);
	return transact(nl, nlh, NULL, NULL, NULL);
}

int mosctl_nl_parse_mig_work(const struct nlmsghdr *nlh, struct mosctl_mig_work *w)
{
	const struct nlattr *tb[MOSIX_A_MAX + 1];
	bool have_work, have_home, have_num, have_uid, have_port, have_pid;
	const struct nlattr *a;

	memset(w, 0, sizeof(*w));
	if (parse_genl(nlh, tb, MOSIX_A_MAX) || !tb[MOSIX_A_MIG_ID] ||
	    mnl_attr_validate(tb[MOSIX_A_MIG_ID], MNL_TYPE_U64) < 0 ||
	    get_u32(tb[MOSIX_A_MIG_WORK], &w->work, &have_work) ||
	    get_u32(tb[MOSIX_A_JOB_HOME], &w->home, &have_home) ||
	    get_u32(tb[MOSIX_A_JOB_NUM], &w->num, &have_num) ||
	    get_u32(tb[MOSIX_A_JOB_UID], &w->uid, &have_uid) ||
	    get_u32(tb[MOSIX_A_MIG_PORT], &w->port, &have_port) ||
	    get_u32(tb[MOSIX_A_JOB_PID], &w->pid, &have_pid) ||
	    !have_work || !have_home || !have_num || !have_uid)
		return -EBADMSG;
	w->id = mnl_attr_get_u64(tb[MOSIX_A_MIG_ID]);
	a = tb[MOSIX_A_MIG_PEER_ADDR];
	if (a) {
		uint16_t len = mnl_attr_get_payload_len(a);

		if (len != 4 && len != 16)
			return -EBADMSG;
		w->peer.family = len == 4 ? MOSIX_ADDR_V4 : MOSIX_ADDR_V6;
		memcpy(w->peer.bytes, mnl_attr_get_payload(a), len);
		w->have_peer = true;
	}
	if (tb[MOSIX_A_MIG_IMAGE_KB]) {
		if (mnl_attr_validate(tb[MOSIX_A_MIG_IMAGE_KB], MNL_TYPE_U64) < 0)
			return -EBADMSG;
		w->image_kb = mnl_attr_get_u64(tb[MOSIX_A_MIG_IMAGE_KB]);
	}
	if (!w->id || !w->work || w->work >= __MOSIX_MIG_WORK_END || w->port > 65535)
		return -EBADMSG;
	return 0;
}
