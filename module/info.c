// SPDX-License-Identifier: GPL-2.0
/*
 * The info daemon (kthread mosix_info): every tick it samples this node's
 * load and sends ONE authenticated datagram to ONE random peer with its own
 * entry and the newest entries it holds about others (MOSIX, Barak 2001);
 * datagrams it receives are verified (HMAC-SHA256 first, then format,
 * sender, source address, replay) and merged into its bounded view. Going
 * down it sends a leave notice to the peers it knows.
 *
 * What a forged datagram can cost is bounded. In softirq, before it is
 * queued, the socket's encap hook screens each datagram (WireGuard's
 * model): length and header, the sender in the table at that source
 * address, a per-peer budget (peer.c); what fails is dropped there, so a
 * flood cannot fill the socket's queue and crowd out honest peers. The
 * data_ready callback only wakes the thread, which alone pays for the HMAC
 * and the merge, takes a bounded batch per jiffy and yields between them.
 *
 * Locks (order: mosix_config_lock > io_lock > info_lock): io_lock is a
 * mutex held by everything that uses the socket, the peers or the buffers
 * (sending and receiving sleep, so RCU cannot cover the socket); closing
 * or swapping the socket takes it too, so no reader outlives the socket.
 * The peer set is published with RCU for the softirq screening; it is
 * replaced under io_lock (and the config lock), so io_lock holders read it.
 * info_lock (spinlock, BH) guards the view and the epoch, which dumps read.
 */
#include <crypto/hash.h>
#include <crypto/algapi.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched/loadavg.h>
#include <linux/slab.h>
#include <linux/tick.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>
#include <net/ipv6.h>
#include "mosix.h"

/* configuration, changed through configfs */
unsigned int mosix_info_interval_ms = MOSIX_INFO_INTERVAL_DEFAULT_MS;
unsigned int mosix_info_window = MOSIX_INFO_WINDOW_DEFAULT;

/* a bounded batch of datagrams per wake-up, then at least a jiffy's pause */
#define RX_BATCH		64
/* the reboot path: each copy of the leave notice gets this long to leave */
#define REBOOT_DRAIN_MS		40
#define REBOOT_DEVICE_MS	15

static struct crypto_shash *info_tfm;	/* keyed; changes only while off */
static DEFINE_SPINLOCK(info_lock);

enum { INFO_RX_READY, INFO_TICK_NOW, INFO_RX_THROTTLED };

static struct {
	struct mosix_thread thread;
	struct mutex io_lock;		/* sock, peers, buffers */
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
	struct mosix_addr addr;		/* the socket's: this node's table address */
	struct mosix_peers __rcu *peers;
	struct socket *next_sock;	/* table swap: prepared, then committed */
	struct mosix_addr next_addr;
	struct mosix_peers *next_peers;
	struct mosix_info_view view;	/* info_lock */
	u64 epoch;			/* info_lock: this boot's */
	u64 last_epoch;			/* config lock: newest used in this load */
	u64 epoch_floor;		/* config lock: handed in, 0: none */
	atomic64_t seq;
	struct mosix_info_entry *rx_entries, *tx_entries;
	u8 *rx_buf, *tx_buf;
	u64 idle_us, wall_us;		/* last utilisation sample */
	unsigned long flags;		/* INFO_RX_READY, ... */
	unsigned long next_tick;	/* thread: jiffies */
	u32 acked_gen;			/* thread: generation applied */
	bool active;			/* thread: ticking and receiving */
	bool running;			/* state allocated */
} info = {
	.thread = { .wq = __WAIT_QUEUE_HEAD_INITIALIZER(info.thread.wq) },
	.io_lock = __MUTEX_INITIALIZER(info.io_lock),
};

static atomic64_t stats[MOSIX_STAT_DROP_BASE + __MOSIX_INFO_DROP_MAX];

static void stat_add(unsigned int stat, u64 n)
{
	atomic64_add(n, &stats[stat]);
}

void mosix_info_stat_add(unsigned int stat, u64 n)
{
	if (stat < ARRAY_SIZE(stats))
		stat_add(stat, n);
}

u64 mosix_info_stat(unsigned int stat)
{
	return stat < ARRAY_SIZE(stats) ? atomic64_read(&stats[stat]) : 0;
}

static s64 now_ms(void)
{
	return ktime_to_ms(ktime_get());
}

/* ---- the key ---------------------------------------------------------- */

bool mosix_info_key_set(void)
{
	return info_tfm;
}

/* caller holds mosix_config_lock and the node is off; len 0 clears */
int mosix_info_set_key(const u8 *key, unsigned int len)
{
	struct crypto_shash *tfm = NULL;
	int err;

	if (len) {
		tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
		if (IS_ERR(tfm))
			return PTR_ERR(tfm);
		err = crypto_shash_setkey(tfm, key, len);
		if (err) {
			crypto_free_shash(tfm);
			return err;
		}
	}
	if (info_tfm)
		crypto_free_shash(info_tfm);
	info_tfm = tfm;
	return 0;
}

static int compute_tag(const u8 *data, unsigned int len, u8 *tag)
{
	return crypto_shash_tfm_digest(info_tfm, data, len, tag);
}

/*
 * HMAC-SHA256 with the cluster key, for keys derived from it (a move's):
 * -ENOKEY without one. The key changes only while the node is off, when no
 * move is under way.
 */
int mosix_info_hmac(const u8 *data, unsigned int len, u8 *out)
{
	if (!info_tfm)
		return -ENOKEY;
	return compute_tag(data, len, out);
}

/* ---- the boot epoch --------------------------------------------------- */

/* what the next bring-up uses; caller holds mosix_config_lock */
static u64 next_epoch(void)
{
	u64 e = info.epoch_floor;

	/* the clock only when nothing was handed in: it may lie (no RTC) */
	if (!e)
		e = (u64)max_t(time64_t, ktime_get_real_seconds(), 1) << 20;
	return min_t(u64, max(e, info.last_epoch + 1), MOSIX_EPOCH_MAX);
}

/* caller holds mosix_config_lock and the node is off */
void mosix_info_set_epoch_floor(u64 floor)
{
	info.epoch_floor = floor;
}

/* while up: this boot's epoch; else what the next bring-up will use */
u64 mosix_info_epoch(void)
{
	u64 e;

	spin_lock_bh(&info_lock);
	e = READ_ONCE(info.running) ? info.epoch : 0;
	spin_unlock_bh(&info_lock);
	return e ? e : next_epoch();
}

/* a new epoch for this node, newer than every earlier one of this load */
static void start_epoch(void)
{
	u64 e = next_epoch();

	info.epoch_floor = 0;
	info.last_epoch = e;
	spin_lock_bh(&info_lock);
	info.epoch = e;
	spin_unlock_bh(&info_lock);
	atomic64_set(&info.seq, 0);
}

/* ---- addresses and peers ---------------------------------------------- */

static int to_sockaddr(const struct mosix_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == MOSIX_ADDR_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(MOSIX_INFO_PORT);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(MOSIX_INFO_PORT);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		return sizeof(*sin6);
	}
}

static bool from_sockaddr(const struct sockaddr_storage *ss,
			  struct mosix_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = MOSIX_ADDR_V4;
		memcpy(a->bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		a->family = MOSIX_ADDR_V6;
		memcpy(a->bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return true;
	}
	return false;
}

/* the peer set, for its users under io_lock (its writers hold it too) */
static struct mosix_peers *peers_locked(void)
{
	return rcu_dereference_protected(info.peers,
					 lockdep_is_held(&info.io_lock));
}

/* ---- sending (io_lock held) ------------------------------------------- */

static int send_to(struct mosix_peer *to, const u8 *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };
	int err;

	lockdep_assert_held(&info.io_lock);
	if (!info.sock)
		return -ENOTCONN;
	msg.msg_name = &ss;
	msg.msg_namelen = to_sockaddr(&to->addr, &ss);
	err = kernel_sendmsg(info.sock, &msg, &vec, 1, len);
	if (err < 0) {
		stat_add(MOSIX_STAT_TX_ERRORS, 1);
		return err;
	}
	stat_add(MOSIX_STAT_TX_PACKETS, 1);
	stat_add(MOSIX_STAT_TX_BYTES, len);
	atomic64_inc(&to->tx_packets);
	return 0;
}

/*
 * A migration control message to m->to_pe: the header's sender, epoch and
 * sequence are this node's, the tag the cluster key's. -ENOTCONN while the
 * socket is closed, -EHOSTUNREACH for a PE without a peer address.
 */
int mosix_info_send_mig(struct mosix_mig_msg *m)
{
	u8 buf[MOSIX_MIG_MSG_LEN];
	struct mosix_peer *p;
	int len, err = -ENOTCONN;

	mutex_lock(&info.io_lock);
	if (!info.sock || !info_tfm)
		goto out;
	err = -EHOSTUNREACH;
	p = mosix_peers_find(peers_locked(), m->to_pe);
	if (!p || !p->has_addr)
		goto out;
	spin_lock_bh(&info_lock);
	m->sender_pe = (u16)info.view.self_pe;
	m->epoch = info.epoch;
	m->seq = atomic64_inc_return(&info.seq);
	spin_unlock_bh(&info_lock);
	len = mosix_mig_encode(m, buf, sizeof(buf));
	if (len < 0) {
		err = len;
		goto out;
	}
	err = compute_tag(buf, len, buf + len);
	if (!err)
		err = send_to(p, buf, len + MOSIX_INFO_TAG_LEN);
	if (!err)
		stat_add(MOSIX_STAT_MIG_TX, 1);
out:
	mutex_unlock(&info.io_lock);
	return err;
}

/* what this node's view says of pe now: UNKNOWN if nothing */
enum mosix_info_status mosix_info_node_status(u32 pe)
{
	struct mosix_info_entry e;
	bool known = false;

	spin_lock_bh(&info_lock);
	if (info.running)
		known = mosix_info_view_lookup(&info.view, pe, now_ms(), &e);
	spin_unlock_bh(&info_lock);
	return known ? e.status : MOSIX_INFO_STATUS_UNKNOWN;
}

/* the table address of peer pe; false if it has none */
bool mosix_info_peer_addr(u32 pe, struct mosix_addr *peer)
{
	struct mosix_peer *p;
	bool ok = false;

	mutex_lock(&info.io_lock);
	p = info.sock ? mosix_peers_find(peers_locked(), pe) : NULL;
	if (p && p->has_addr) {
		*peer = p->addr;
		ok = true;
	}
	mutex_unlock(&info.io_lock);
	return ok;
}

/* the next datagram of this node (INFO, or LEAVE once marked leaving) */
static int build_datagram(u8 *buf)
{
	struct mosix_info_msg_hdr h;
	int n, len;

	lockdep_assert_held(&info.io_lock);
	spin_lock_bh(&info_lock);
	n = mosix_info_view_pick_window(&info.view, now_ms(), info.tx_entries,
					1 + info.view.window);
	if (n > 0)
		mosix_info_view_fill_hdr(&info.view,
					 atomic64_inc_return(&info.seq), &h);
	spin_unlock_bh(&info_lock);
	if (n < 0)
		return n;
	len = mosix_info_encode(&h, info.tx_entries, n, buf,
				MOSIX_INFO_DGRAM_MAX - MOSIX_INFO_TAG_LEN);
	if (len < 0)
		return len;
	if (compute_tag(buf, len, buf + len))
		return -EIO;
	return len + MOSIX_INFO_TAG_LEN;
}

static void sample_self(struct mosix_info_entry *e)
{
	u64 idle = 0, wall = 0, t, busy;
	struct sysinfo si;
	unsigned int cpu, cpus = num_online_cpus();

	for_each_online_cpu(cpu) {
		u64 w, i = get_cpu_idle_time_us(cpu, &w);

		if (i != (u64)-1) {
			idle += i;
			wall = w;
		}
	}
	t = wall - info.wall_us;
	busy = 0;
	if (wall && info.wall_us && t) {
		u64 idle_d = idle - info.idle_us, total = t * cpus;

		busy = idle_d >= total ? 0 : (total - idle_d) * 1000 / total;
	}
	info.idle_us = idle;
	info.wall_us = wall;

	si_meminfo(&si);
	memset(e, 0, sizeof(*e));
	e->pe = info.view.self_pe;
	e->status = MOSIX_INFO_STATUS_UP;
	e->load = min_t(u64, ((u64)avenrun[0] * 1000 + FIXED_1 / 2) >> FSHIFT,
			MOSIX_INFO_LOAD_MAX);
	e->cpus = clamp_t(unsigned int, cpus, 1, MOSIX_INFO_CPUS_MAX);
	e->util = min_t(u64, busy, MOSIX_INFO_UTIL_MAX);
	e->speed = clamp_t(u64, (u64)loops_per_jiffy * HZ / 500000, 1,
			   MOSIX_INFO_SPEED_MAX);
	e->mem_kb = max_t(u64, (u64)si.totalram * si.mem_unit / 1024, 1);
	e->free_kb = min_t(u64, (u64)si.freeram * si.mem_unit / 1024, e->mem_kb);
}

static bool self_leaving(void)
{
	lockdep_assert_held(&info_lock);
	return info.view.self_set &&
	       info.view.self.status == MOSIX_INFO_STATUS_LEAVING;
}

static void tick(void)
{
	struct mosix_info_entry self;
	struct mosix_peers *ps;
	struct mosix_peer *p;
	int len;

	stat_add(MOSIX_STAT_TICKS, 1);
	sample_self(&self);
	spin_lock_bh(&info_lock);
	self.epoch = info.epoch;
	/* withdrawn: the zeroed, leaving entry stays as it is */
	if (!self_leaving())
		mosix_info_view_set_self(&info.view, &self);
	spin_unlock_bh(&info_lock);

	mutex_lock(&info.io_lock);
	ps = peers_locked();
	p = ps && ps->nr ? ps->p[get_random_u32_below(ps->nr)] : NULL;
	if (p && !p->has_addr)
		stat_add(MOSIX_STAT_TX_ERRORS, 1);
	if (p && p->has_addr) {
		len = build_datagram(info.tx_buf);
		if (len > 0)
			send_to(p, info.tx_buf, len);
	}
	mutex_unlock(&info.io_lock);
}

/* ---- receiving (io_lock held) ----------------------------------------- */

static void drop(enum mosix_info_drop why, const struct sockaddr_storage *ss)
{
	stat_add(MOSIX_STAT_DROP_BASE + why, 1);
	pr_info_ratelimited("info: dropped a datagram from %pISpc: %s\n", ss,
			    mosix_info_drop_name(why));
}

static bool epoch_too_far(const struct mosix_peer *p, u64 epoch)
{
	return p && p->heard && epoch > p->replay.epoch &&
	       epoch - p->replay.epoch > MOSIX_EPOCH_AHEAD_MAX;
}

/*
 * Relayed entries (all but the sender's own) may not carry a node's epoch
 * implausibly far past what that node itself last said: compacts them out.
 */
static unsigned int refuse_far_relays(struct mosix_info_entry *e, unsigned int n)
{
	unsigned int i, k = 1;

	for (i = 1; i < n; i++) {
		if (epoch_too_far(mosix_peers_find(peers_locked(), e[i].pe),
				  e[i].epoch)) {
			stat_add(MOSIX_STAT_RELAY_REFUSED, 1);
			continue;
		}
		e[k++] = e[i];
	}
	return k;
}

/*
 * The cheap checks, before any crypto: length and header (head holds at
 * least the header's bytes of a datagram of len), the sender in the table
 * at that source address, one of ps. The sender's peer, or NULL and why.
 * Under rcu_read_lock().
 */
static struct mosix_peer *screen(const u8 *head, size_t len,
				 const struct mosix_addr *src,
				 struct mosix_peers *ps, enum mosix_info_drop *why)
{
	struct mosix_table *t;
	struct mosix_peer *p;
	u32 sender;
	int err;

	if (mosix_mig_peek(head, len, &sender, &err, why)) {
		if (err)
			return NULL;
	} else if (mosix_info_peek(head, len, &sender, why)) {
		return NULL;
	}
	t = mosix_table_get();
	if (!t) {
		*why = MOSIX_INFO_DROP_UNKNOWN_PE;
		return NULL;
	}
	if (mosix_info_check_sender(&t->map, READ_ONCE(info.view.self_pe),
				    sender, src, why))
		return NULL;
	p = mosix_peers_find(ps, sender);
	if (!p)
		*why = MOSIX_INFO_DROP_UNKNOWN_PE;
	return p;
}

/* where an skb came from, as a socket address and as a table address */
static bool skb_source(const struct sk_buff *skb, struct sockaddr_storage *ss,
		       struct mosix_addr *src)
{
	memset(ss, 0, sizeof(*ss));
	if (ip_hdr(skb)->version == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		sin->sin_port = udp_hdr(skb)->source;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = ipv6_hdr(skb)->saddr;
		sin6->sin6_port = udp_hdr(skb)->source;
	}
	return from_sockaddr(ss, src);
}

/*
 * The socket's encap hook, in softirq, before the datagram is queued: what
 * fails the cheap checks or exceeds its sender's budget is dropped here.
 * 1: on to the socket's queue (the daemon verifies the tag); 0: consumed.
 */
static int info_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	u8 head[MOSIX_INFO_HDR_LEN];
	struct sockaddr_storage ss;
	enum mosix_info_drop why;
	struct mosix_addr src;
	struct mosix_peer *p;
	const u8 *buf;
	size_t len;

	if (skb->len < off)
		return 1;	/* UDP's own business */
	len = skb->len - off;
	buf = skb_header_pointer(skb, off, min_t(size_t, len, sizeof(head)), head);
	if (!buf)
		return 1;
	if (!skb_source(skb, &ss, &src)) {
		why = MOSIX_INFO_DROP_SPOOFED_SOURCE;
		goto drop;
	}
	rcu_read_lock();
	p = screen(buf, len, &src, rcu_dereference(info.peers), &why);
	if (p)
		atomic64_inc(&p->rx_packets);
	if (p && !mosix_peer_budget(p, READ_ONCE(mosix_info_interval_ms))) {
		rcu_read_unlock();
		/* a flood: not even a log line each */
		stat_add(MOSIX_STAT_DROP_BASE + MOSIX_INFO_DROP_RATELIMITED, 1);
		kfree_skb(skb);
		return 0;
	}
	rcu_read_unlock();
	if (p)
		return 1;
drop:
	drop(why, &ss);
	kfree_skb(skb);
	return 0;
}

/*
 * An authenticated migration control message from p: the format, the
 * addressee and its own replay rule (control messages and gossip are
 * separate streams of one sequence counter, sent from two threads), then
 * on to the migration daemon's queue.
 */
static void receive_mig(struct mosix_peer *p, size_t len,
			const struct sockaddr_storage *ss)
{
	enum mosix_info_drop why;
	struct mosix_mig_msg m;

	if (mosix_mig_decode(info.rx_buf, len, &m, &why)) {
		drop(why, ss);
		return;
	}
	if (mosix_mig_check_to(&m, READ_ONCE(info.view.self_pe))) {
		drop(MOSIX_INFO_DROP_BAD_SENDER, ss);
		return;
	}
	if (epoch_too_far(p, m.epoch)) {
		drop(MOSIX_INFO_DROP_EPOCH_AHEAD, ss);
		return;
	}
	if (!mosix_info_replay_ok(&p->mig_replay, m.epoch, m.seq)) {
		drop(MOSIX_INFO_DROP_REPLAY, ss);
		return;
	}
	atomic64_inc(&p->rx_accepted);
	mosix_mig_deliver(&m);
}

static void receive_one(size_t len, const struct sockaddr_storage *ss)
{
	enum mosix_info_drop why;
	struct mosix_info_msg_hdr h;
	struct mosix_addr src;
	struct mosix_table *t;
	struct mosix_peer *p;
	u8 tag[MOSIX_INFO_TAG_LEN];
	int n;

	lockdep_assert_held(&info.io_lock);
	/*
	 * Screened in softirq before it was queued; again here, cheaply, for
	 * a table that changed since (and the peer, which the replay needs)
	 */
	if (!from_sockaddr(ss, &src)) {
		drop(MOSIX_INFO_DROP_SPOOFED_SOURCE, ss);
		return;
	}
	rcu_read_lock();
	p = screen(info.rx_buf, len, &src, peers_locked(), &why);
	rcu_read_unlock();
	if (!p) {
		drop(why, ss);
		return;
	}

	if (compute_tag(info.rx_buf, len - MOSIX_INFO_TAG_LEN, tag) ||
	    crypto_memneq(tag, info.rx_buf + len - MOSIX_INFO_TAG_LEN, sizeof(tag))) {
		drop(MOSIX_INFO_DROP_BAD_TAG, ss);
		return;
	}
	if (mosix_mig_type_ok(info.rx_buf[3])) {
		receive_mig(p, len, ss);
		return;
	}
	n = mosix_info_decode(info.rx_buf, len, &h, info.rx_entries,
			      MOSIX_INFO_ENTRIES_MAX, &why);
	if (n < 0) {
		drop(why, ss);
		return;
	}
	if (epoch_too_far(p, h.epoch)) {
		drop(MOSIX_INFO_DROP_EPOCH_AHEAD, ss);
		return;
	}
	if (!mosix_info_replay_ok(&p->replay, h.epoch, h.seq)) {
		drop(MOSIX_INFO_DROP_REPLAY, ss);
		return;
	}
	p->heard = true;
	n = refuse_far_relays(info.rx_entries, n);

	rcu_read_lock();
	t = mosix_table_get();
	spin_lock_bh(&info_lock);
	mosix_info_view_merge_direct(&info.view, info.rx_entries, n,
				     t ? &t->map : NULL, now_ms());
	spin_unlock_bh(&info_lock);
	rcu_read_unlock();
	stat_add(MOSIX_STAT_RX_ACCEPTED, 1);
	stat_add(MOSIX_STAT_RX_BYTES, len);
	atomic64_inc(&p->rx_accepted);
}

/* at most RX_BATCH datagrams; true if that many came (more may wait) */
static bool receive_batch(void)
{
	int i;

	mutex_lock(&info.io_lock);
	for (i = 0; info.sock && i < RX_BATCH; i++) {
		struct sockaddr_storage ss;
		struct msghdr msg = { .msg_name = &ss, .msg_namelen = sizeof(ss) };
		struct kvec vec = { .iov_base = info.rx_buf,
				    .iov_len = MOSIX_INFO_DGRAM_MAX };
		int len;

		/* MSG_TRUNC: the real length, so oversized datagrams are seen */
		len = kernel_recvmsg(info.sock, &msg, &vec, 1, MOSIX_INFO_DGRAM_MAX,
				     MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0)
			break;
		if (len > MOSIX_INFO_DGRAM_MAX) {
			drop(MOSIX_INFO_DROP_OVERSIZED, &ss);
			continue;
		}
		receive_one(len, &ss);
	}
	mutex_unlock(&info.io_lock);
	return i == RX_BATCH;
}

static void info_data_ready(struct sock *sk)
{
	set_bit(INFO_RX_READY, &info.flags);
	if (!test_bit(INFO_RX_THROTTLED, &info.flags))
		mosix_thread_wake(&info.thread);
}

/* apply a new configuration generation, unless a test stalls us */
static void apply_generation(void)
{
	bool active;
	u32 gen = mosix_daemons_config(&active);

	if (gen == info.acked_gen || mosix_daemon_stalled(MOSIX_DAEMON_INFO))
		return;
	if (active && !info.active)
		info.next_tick = jiffies;
	info.active = active;
	info.acked_gen = gen;
	/* between ticks nothing is in flight: idle unless still active */
	mosix_daemon_ack(MOSIX_DAEMON_INFO, gen, !active);
}

static void info_run(struct mosix_thread *t)
{
	long timeout = MAX_SCHEDULE_TIMEOUT;

	apply_generation();
	clear_bit(INFO_RX_THROTTLED, &info.flags);
	/* an inactive daemon leaves the socket alone: it may be closing */
	if (info.active) {
		if (test_and_clear_bit(INFO_TICK_NOW, &info.flags) ||
		    time_after_eq(jiffies, info.next_tick)) {
			tick();
			info.next_tick = jiffies +
				msecs_to_jiffies(READ_ONCE(mosix_info_interval_ms));
		}
		if (test_and_clear_bit(INFO_RX_READY, &info.flags) && receive_batch()) {
			/* a full batch: more wait; take them after a pause */
			set_bit(INFO_RX_READY, &info.flags);
			set_bit(INFO_RX_THROTTLED, &info.flags);
			cond_resched();
			timeout = 1;
		} else {
			timeout = max_t(long, (long)(info.next_tick - jiffies), 1);
		}
	}
	WRITE_ONCE(t->timeout, timeout);
}

void mosix_info_wake(void)
{
	mosix_thread_wake(&info.thread);
}

/* ---- the socket -------------------------------------------------------- */

static int open_socket(const struct mosix_addr *addr, struct socket **out)
{
	struct udp_tunnel_sock_cfg encap = {
		.encap_type = 1,	/* any non-zero: the hook is ours alone */
		.encap_rcv = info_encap_rcv,
	};
	struct sockaddr_storage ss;
	int len = to_sockaddr(addr, &ss), err;
	struct socket *sock;
	struct sock *sk;

	err = sock_create_kern(&init_net, ss.ss_family, SOCK_DGRAM, IPPROTO_UDP,
			       &sock);
	if (err)
		return err;
	err = kernel_bind(sock, mosix_sockaddr(&ss), len);
	if (err) {
		pr_info("info: cannot bind %pISpc: %d\n", &ss, err);
		sock_release(sock);
		return err;
	}
	setup_udp_tunnel_sock(&init_net, mosix_udp_tunnel_sock(sock), &encap);
	sk = sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	info.saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = info_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	*out = sock;
	return 0;
}

static void release_socket(struct socket *sock)
{
	struct sock *sk;

	if (!sock)
		return;
	sk = sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = info.saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
}

/* under io_lock: nobody uses the socket once it is gone from info.sock */
static void close_socket(void)
{
	struct socket *sock;

	mutex_lock(&info.io_lock);
	sock = info.sock;
	info.sock = NULL;
	mutex_unlock(&info.io_lock);
	release_socket(sock);
}

/*
 * Wait (bounded) until what the socket sent has left it: the device took
 * the frames. Waits on nothing remote.
 */
static void wait_sent(unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	mutex_lock(&info.io_lock);
	while (info.sock && sk_wmem_alloc_get(info.sock->sk) > 0 &&
	       time_before(jiffies, end))
		usleep_range(500, 1000);
	mutex_unlock(&info.io_lock);
}

/* ---- start and stop --------------------------------------------------- */

static void free_state(void)
{
	struct mosix_peers *ps;

	mutex_lock(&info.io_lock);
	ps = rcu_replace_pointer(info.peers, NULL, lockdep_is_held(&info.io_lock));
	mutex_unlock(&info.io_lock);
	mosix_peers_free(ps);
	mosix_info_view_free(&info.view);
	kfree(info.rx_buf);
	kfree(info.tx_buf);
	kfree(info.rx_entries);
	kfree(info.tx_entries);
	info.rx_buf = NULL;
	info.tx_buf = NULL;
	info.rx_entries = NULL;
	info.tx_entries = NULL;
}

/* entries about others older than this are reported down */
static u32 max_age_ms(u32 nodes, u32 interval)
{
	/* a leave notice reaches everyone within log2 N + ln N + 5 ticks */
	u32 lg = ilog2(max_t(u32, nodes, 2)) + 1;
	u32 ticks = lg + lg * 7 / 10 + 5 + 3;

	return min_t(u64, (u64)ticks * interval, MOSIX_INFO_AGE_MAX_MS);
}

/*
 * Bring-up, stage transport: the state, the peers and the socket, bound to
 * this node's table address (-EADDRNOTAVAIL if no interface has it).
 */
int mosix_info_open(u32 pe)
{
	struct mosix_table *t;
	struct mosix_peers *ps;
	u32 nodes;
	int err;

	if (!info_tfm)
		return -ENOKEY;
	/* a transition runs under the config lock: the table cannot change */
	t = mosix_table_locked();
	if (!t || !mosix_map_pe_addr(&t->map, pe, &info.addr))
		return -ENOENT;
	nodes = t->map.nr_nodes;
	ps = mosix_peers_build(&t->map, pe, info.addr.family, NULL);
	if (!ps)
		return -ENOMEM;
	mutex_lock(&info.io_lock);
	rcu_assign_pointer(info.peers, ps);
	mutex_unlock(&info.io_lock);
	start_epoch();
	info.idle_us = 0;
	info.wall_us = 0;
	info.flags = 0;
	err = mosix_info_view_init(&info.view, pe, READ_ONCE(mosix_info_window),
				   max_age_ms(nodes, READ_ONCE(mosix_info_interval_ms)));
	if (err)
		goto err_free;
	info.rx_buf = kmalloc(MOSIX_INFO_DGRAM_MAX, GFP_KERNEL);
	info.tx_buf = kmalloc(MOSIX_INFO_DGRAM_MAX, GFP_KERNEL);
	info.rx_entries = kcalloc(MOSIX_INFO_ENTRIES_MAX, sizeof(*info.rx_entries),
				  GFP_KERNEL);
	info.tx_entries = kcalloc(MOSIX_INFO_ENTRIES_MAX, sizeof(*info.tx_entries),
				  GFP_KERNEL);
	if (!info.rx_buf || !info.tx_buf || !info.rx_entries || !info.tx_entries) {
		err = -ENOMEM;
		goto err_free;
	}
	err = open_socket(&info.addr, &info.sock);
	if (err)
		goto err_free;
	spin_lock_bh(&info_lock);
	WRITE_ONCE(info.running, true);
	spin_unlock_bh(&info_lock);
	return 0;

err_free:
	free_state();
	return err;
}

/* shutdown stage transport, and the undo of mosix_info_open() */
void mosix_info_close(void)
{
	if (!READ_ONCE(info.running))
		return;
	close_socket();
	spin_lock_bh(&info_lock);
	WRITE_ONCE(info.running, false);
	spin_unlock_bh(&info_lock);
	free_state();
}

int mosix_info_thread_start(void)
{
	info.acked_gen = 0;
	info.active = false;
	return mosix_thread_start(&info.thread, info_run, "mosix_info");
}

void mosix_info_thread_stop(void)
{
	mosix_thread_stop(&info.thread);
}

/*
 * Bring-up stage announce, and the undo of withdraw: this node's entry
 * goes out at once; after a withdraw in a new epoch (newer than the leave
 * notice), so that the peers take it.
 */
void mosix_info_announce(void)
{
	bool leaving;

	spin_lock_bh(&info_lock);
	leaving = self_leaving();
	spin_unlock_bh(&info_lock);
	if (leaving)
		mosix_info_new_epoch();
	set_bit(INFO_TICK_NOW, &info.flags);
	mosix_info_wake();
}

/* a new epoch, up again (after a withdraw, or hibernation), announced */
void mosix_info_new_epoch(void)
{
	start_epoch();
	spin_lock_bh(&info_lock);
	if (info.view.self_set) {
		info.view.self.status = MOSIX_INFO_STATUS_UP;
		info.view.self.epoch = info.epoch;
	}
	spin_unlock_bh(&info_lock);
	set_bit(INFO_TICK_NOW, &info.flags);
	mosix_info_wake();
}

/*
 * The leave notice: this node's own entry marked leaving, sent to every
 * peer the view holds and to a few random ones; gossip does the rest. The
 * addresses are taken from the peers under io_lock, the sends are
 * MSG_DONTWAIT: nothing waits on the network.
 */
static void send_leave(void)
{
	struct mosix_info_entry *e;
	struct mosix_peers *ps;
	unsigned int n, i, j;
	u32 *to;
	int len;

	e = kcalloc(MOSIX_INFO_ENTRIES_MAX, sizeof(*e), GFP_KERNEL);
	to = kcalloc(MOSIX_INFO_ENTRIES_MAX + 3, sizeof(*to), GFP_KERNEL);
	if (!e || !to)
		goto out;
	spin_lock_bh(&info_lock);
	mosix_info_view_mark_self_leaving(&info.view);
	n = mosix_info_view_snapshot(&info.view, now_ms(), e,
				     MOSIX_INFO_ENTRIES_MAX);
	spin_unlock_bh(&info_lock);

	mutex_lock(&info.io_lock);
	ps = peers_locked();
	len = info.sock ? build_datagram(info.tx_buf) : -ENOTCONN;
	for (i = 0; len > 0 && ps && ps->nr && i < n + 3; i++) {
		u32 pe = i < n ? e[i].pe :
			 ps->p[get_random_u32_below(ps->nr)]->pe;
		struct mosix_peer *p = mosix_peers_find(ps, pe);

		/* one copy per peer: a second would only be dropped as a replay */
		for (j = 0; p && j < i; j++)
			if (to[j] == pe)
				p = NULL;
		to[i] = pe;
		if (p && p->has_addr && !send_to(p, info.tx_buf, len))
			stat_add(MOSIX_STAT_LEAVE_SENT, 1);
	}
	mutex_unlock(&info.io_lock);
out:
	kfree(to);
	kfree(e);
}

/* shutdown stage withdraw: zero this node's load information, say so */
void mosix_info_withdraw(void)
{
	spin_lock_bh(&info_lock);
	info.view.self.load = 0;
	info.view.self.util = 0;
	info.view.self.free_kb = 0;
	spin_unlock_bh(&info_lock);
	send_leave();
}

/*
 * Reboot or poweroff while up: tell the peers and stop, without waiting on
 * anything remote. Runs in the reboot notifier; user space is gone. Two
 * copies of the notice, in case the first is lost (nobody will ask again);
 * each is given until it left the socket, then the device a moment: at
 * most 2 * REBOOT_DRAIN_MS + REBOOT_DEVICE_MS in all.
 */
void mosix_info_reboot(void)
{
	if (!READ_ONCE(info.running))
		return;
	mosix_info_thread_stop();
	send_leave();
	wait_sent(REBOOT_DRAIN_MS);
	send_leave();
	wait_sent(REBOOT_DRAIN_MS);
	msleep(REBOOT_DEVICE_MS);
	close_socket();
}

/* ---- a new table while up --------------------------------------------- */

/*
 * Before a new table is published: if it moves this node (another address
 * or family), a socket bound to the new address; and the new peers. Fails
 * with the reason for the table's refusal. Caller holds mosix_config_lock.
 */
int mosix_info_table_prepare(const struct mosix_map *map, const char **reason)
{
	u32 pe = info.view.self_pe;
	int err;

	if (!mosix_map_pe_addr(map, pe, &info.next_addr)) {
		*reason = "the table does not contain this node's PE";
		return -ENOENT;
	}
	mutex_lock(&info.io_lock);
	info.next_peers = mosix_peers_build(map, pe, info.next_addr.family,
					    peers_locked());
	mutex_unlock(&info.io_lock);
	if (!info.next_peers) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	info.next_sock = NULL;
	if (!mosix_addr_cmp(&info.next_addr, &info.addr))
		return 0;
	err = open_socket(&info.next_addr, &info.next_sock);
	if (err) {
		mosix_peers_free(info.next_peers);
		info.next_peers = NULL;
		*reason = err == -EADDRNOTAVAIL ?
			  "this node's new address is on no interface of this host" :
			  "cannot bind this node's new address";
		return err;
	}
	pr_info("info: node %u moves to its new address\n", pe);
	return 0;
}

/* after it was published: swap in what prepare made, prune the view */
void mosix_info_table_commit(const struct mosix_map *map)
{
	struct socket *old_sock = NULL;
	struct mosix_peers *old_peers;

	mutex_lock(&info.io_lock);
	if (info.next_sock) {
		old_sock = info.sock;
		info.sock = info.next_sock;
		info.addr = info.next_addr;
	}
	/* what the daemon learnt since prepare, to the peers that moved */
	old_peers = peers_locked();
	mosix_peers_carry(info.next_peers, old_peers);
	rcu_assign_pointer(info.peers, info.next_peers);
	info.next_sock = NULL;
	info.next_peers = NULL;
	mutex_unlock(&info.io_lock);
	release_socket(old_sock);
	mosix_peers_free(old_peers);

	spin_lock_bh(&info_lock);
	mosix_info_view_prune(&info.view, map);
	mosix_info_view_set_max_age(&info.view,
				    max_age_ms(map->nr_nodes,
					       READ_ONCE(mosix_info_interval_ms)));
	spin_unlock_bh(&info_lock);
	set_bit(INFO_TICK_NOW, &info.flags);
	mosix_info_wake();
}

/* a new tick interval: the maximum age follows it at once */
void mosix_info_interval_changed(void)
{
	struct mosix_table *t;
	u32 nodes = 0;

	rcu_read_lock();
	t = mosix_table_get();
	if (t)
		nodes = t->map.nr_nodes;
	rcu_read_unlock();
	spin_lock_bh(&info_lock);
	if (READ_ONCE(info.running))
		mosix_info_view_set_max_age(&info.view,
					    max_age_ms(nodes,
						       READ_ONCE(mosix_info_interval_ms)));
	spin_unlock_bh(&info_lock);
	mosix_info_wake();
}

/* for configfs `daemons`: the info daemon's generation state */
void mosix_info_daemon_state(bool *running, u32 *acked, bool *active)
{
	*running = mosix_thread_running(&info.thread);
	*acked = READ_ONCE(info.acked_gen);
	*active = READ_ONCE(info.active);
}

/* a copy of the view for dumps: returns the count, at most max */
unsigned int mosix_info_snapshot(struct mosix_info_entry *out, unsigned int max)
{
	unsigned int n = 0;

	spin_lock_bh(&info_lock);
	if (READ_ONCE(info.running))
		n = mosix_info_view_snapshot(&info.view, now_ms(), out, max);
	spin_unlock_bh(&info_lock);
	return n;
}

/* peer pe's counters, for dumps: false if pe is no peer of this node now */
bool mosix_info_peer_counters(u32 pe, struct mosix_peer_counters *c)
{
	struct mosix_peer *p;

	rcu_read_lock();
	p = mosix_peers_find(rcu_dereference(info.peers), pe);
	if (p) {
		c->tx_packets = atomic64_read(&p->tx_packets);
		c->rx_packets = atomic64_read(&p->rx_packets);
		c->rx_accepted = atomic64_read(&p->rx_accepted);
	}
	rcu_read_unlock();
	return p;
}

void mosix_info_exit(void)
{
	mosix_info_set_key(NULL, 0);
}
