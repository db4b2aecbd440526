// SPDX-License-Identifier: GPL-2.0
/*
 * The info daemon (kthread mosix_info): every tick it samples this node's
 * load and sends ONE authenticated datagram to ONE random peer with its own
 * entry and the newest entries it holds about others (MOSIX, Barak 2001);
 * datagrams it receives are verified (HMAC-SHA256 first, then format,
 * sender, source address, replay) and merged into its bounded view. Going
 * down it sends a leave notice to the peers it knows.
 *
 * The socket's data_ready callback only wakes the thread: all parsing and
 * crypto run in the thread, never in softirq, so the receive path never
 * blocks a sender. Lock order: mosix_config_lock > info_lock (spinlock,
 * guards the view and the replay state).
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
#include <linux/xarray.h>
#include <net/sock.h>
#include "mosix.h"

/* configuration, changed through configfs */
unsigned int mosix_info_interval_ms = MOSIX_INFO_INTERVAL_DEFAULT_MS;
unsigned int mosix_info_window = MOSIX_INFO_WINDOW_DEFAULT;

static struct crypto_shash *info_tfm;	/* keyed; changes only while off */
static DEFINE_SPINLOCK(info_lock);

static struct {
	struct task_struct *thread;
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
	struct mosix_info_view view;
	struct xarray replay;		/* PE -> struct mosix_info_replay */
	struct mosix_info_entry *rx_entries, *tx_entries;
	u8 *rx_buf, *tx_buf;
	u32 pe;
	struct mosix_addr addr;
	u64 epoch;
	atomic64_t seq;
	u64 idle_us, wall_us;		/* last utilisation sample */
	unsigned long flags;		/* INFO_RX_READY, INFO_TICK_NOW */
	wait_queue_head_t wq;
	struct mutex tx_mutex;		/* tx_buf, tx_entries */
	u32 acked_gen;			/* thread: generation applied */
	bool active;			/* thread: ticking and receiving */
	bool withdrawn;			/* load info zeroed, leaving */
	bool running;			/* state allocated */
} info;

enum { INFO_RX_READY, INFO_TICK_NOW };

static atomic64_t stats[MOSIX_STAT_DROP_BASE + __MOSIX_INFO_DROP_MAX];

static void stat_add(unsigned int stat, u64 n)
{
	atomic64_add(n, &stats[stat]);
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

/* ---- addresses -------------------------------------------------------- */

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

/* the address of pe this node's socket can reach: same family */
static bool peer_addr(const struct mosix_map *map, u32 pe, struct mosix_addr *a)
{
	u32 i;

	if (mosix_map_pe_addr(map, pe, a) && a->family == info.addr.family)
		return true;
	for (i = map->nr_ranges; i < mosix_map_nr_entries(map); i++) {
		if (map->entries[i].pe == pe &&
		    map->entries[i].addr.family == info.addr.family) {
			*a = map->entries[i].addr;
			return true;
		}
	}
	return false;
}

/* ---- sending ---------------------------------------------------------- */

static int send_to(const struct mosix_addr *to, const u8 *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };
	int err;

	msg.msg_name = &ss;
	msg.msg_namelen = to_sockaddr(to, &ss);
	err = kernel_sendmsg(info.sock, &msg, &vec, 1, len);
	if (err < 0) {
		stat_add(MOSIX_STAT_TX_ERRORS, 1);
		return err;
	}
	stat_add(MOSIX_STAT_TX_PACKETS, 1);
	stat_add(MOSIX_STAT_TX_BYTES, len);
	return 0;
}

/* the next datagram of this node (INFO, or LEAVE once marked leaving) */
static int build_datagram(u8 *buf)
{
	struct mosix_info_msg_hdr h;
	int n, len;

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
	e->pe = info.pe;
	e->status = MOSIX_INFO_STATUS_UP;
	e->epoch = info.epoch;
	e->load = min_t(u64, ((u64)avenrun[0] * 1000 + FIXED_1 / 2) >> FSHIFT,
			MOSIX_INFO_LOAD_MAX);
	e->cpus = clamp_t(unsigned int, cpus, 1, MOSIX_INFO_CPUS_MAX);
	e->util = min_t(u64, busy, MOSIX_INFO_UTIL_MAX);
	e->speed = clamp_t(u64, (u64)loops_per_jiffy * HZ / 500000, 1,
			   MOSIX_INFO_SPEED_MAX);
	e->mem_kb = max_t(u64, (u64)si.totalram * si.mem_unit / 1024, 1);
	e->free_kb = min_t(u64, (u64)si.freeram * si.mem_unit / 1024, e->mem_kb);
}

static void tick(void)
{
	struct mosix_info_entry self;
	struct mosix_table *t;
	struct mosix_addr to;
	u32 peer;
	int len;

	stat_add(MOSIX_STAT_TICKS, 1);
	sample_self(&self);
	spin_lock_bh(&info_lock);
	/* withdrawn: the zeroed, leaving entry stays as it is */
	if (!info.withdrawn)
		mosix_info_view_set_self(&info.view, &self);
	spin_unlock_bh(&info_lock);

	rcu_read_lock();
	t = mosix_table_get();
	peer = t ? mosix_info_pick_peer(&t->map, info.pe, get_random_u32()) : 0;
	if (!peer || !peer_addr(&t->map, peer, &to)) {
		rcu_read_unlock();
		if (peer)
			stat_add(MOSIX_STAT_TX_ERRORS, 1);
		return;
	}
	rcu_read_unlock();

	mutex_lock(&info.tx_mutex);
	len = build_datagram(info.tx_buf);
	if (len > 0)
		send_to(&to, info.tx_buf, len);
	mutex_unlock(&info.tx_mutex);
}

/* ---- receiving -------------------------------------------------------- */

static void drop(enum mosix_info_drop why, const struct sockaddr_storage *ss)
{
	stat_add(MOSIX_STAT_DROP_BASE + why, 1);
	pr_info_ratelimited("info: dropped a datagram from %pISpc: %s\n", ss,
			    mosix_info_drop_name(why));
}

static bool replay_ok(u32 pe, u64 epoch, u64 seq)
{
	struct mosix_info_replay *st = xa_load(&info.replay, pe);

	if (!st) {
		st = kzalloc(sizeof(*st), GFP_KERNEL);
		if (!st || xa_err(xa_store(&info.replay, pe, st, GFP_KERNEL))) {
			kfree(st);
			return false;
		}
	}
	return mosix_info_replay_ok(st, epoch, seq);
}

static void receive_one(size_t len, const struct sockaddr_storage *ss)
{
	enum mosix_info_drop why;
	struct mosix_info_msg_hdr h;
	struct mosix_addr src;
	struct mosix_table *t;
	u8 tag[MOSIX_INFO_TAG_LEN];
	int n;

	if (mosix_info_precheck(len, &why)) {
		drop(why, ss);
		return;
	}
	/* authenticate before anything else is parsed */
	if (compute_tag(info.rx_buf, len - MOSIX_INFO_TAG_LEN, tag) ||
	    crypto_memneq(tag, info.rx_buf + len - MOSIX_INFO_TAG_LEN, sizeof(tag))) {
		drop(MOSIX_INFO_DROP_BAD_TAG, ss);
		return;
	}
	n = mosix_info_decode(info.rx_buf, len, &h, info.rx_entries,
			      MOSIX_INFO_ENTRIES_MAX, &why);
	if (n < 0) {
		drop(why, ss);
		return;
	}
	if (!from_sockaddr(ss, &src)) {
		drop(MOSIX_INFO_DROP_SPOOFED_SOURCE, ss);
		return;
	}

	rcu_read_lock();
	t = mosix_table_get();
	if (!t) {
		rcu_read_unlock();
		drop(MOSIX_INFO_DROP_UNKNOWN_PE, ss);
		return;
	}
	if (mosix_info_check_sender(&t->map, info.pe, h.sender_pe, &src, &why)) {
		rcu_read_unlock();
		drop(why, ss);
		return;
	}
	rcu_read_unlock();

	if (!replay_ok(h.sender_pe, h.epoch, h.seq)) {
		drop(MOSIX_INFO_DROP_REPLAY, ss);
		return;
	}

	rcu_read_lock();
	t = mosix_table_get();
	spin_lock_bh(&info_lock);
	mosix_info_view_merge(&info.view, info.rx_entries, n, t ? &t->map : NULL,
			      now_ms());
	spin_unlock_bh(&info_lock);
	rcu_read_unlock();
	stat_add(MOSIX_STAT_RX_ACCEPTED, 1);
	stat_add(MOSIX_STAT_RX_BYTES, len);
}

/* drain what is queued, at most a bounded batch so ticks stay on time */
static void receive_batch(void)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		struct msghdr msg = { .msg_name = &ss, .msg_namelen = sizeof(ss) };
		struct kvec vec = { .iov_base = info.rx_buf,
				    .iov_len = MOSIX_INFO_DGRAM_MAX };
		int len;

		/* MSG_TRUNC: the real length, so oversized datagrams are seen */
		len = kernel_recvmsg(info.sock, &msg, &vec, 1, MOSIX_INFO_DGRAM_MAX,
				     MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0)
			return;
		if (len > MOSIX_INFO_DGRAM_MAX) {
			drop(MOSIX_INFO_DROP_OVERSIZED, &ss);
			continue;
		}
		receive_one(len, &ss);
	}
	set_bit(INFO_RX_READY, &info.flags);	/* more may be waiting */
}

static void info_data_ready(struct sock *sk)
{
	set_bit(INFO_RX_READY, &info.flags);
	wake_up(&info.wq);
}

/* apply a new configuration generation, unless a test stalls us */
static void apply_generation(void)
{
	u32 gen = mosix_daemons_gen();

	if (gen == info.acked_gen || mosix_daemon_stalled(MOSIX_DAEMON_INFO))
		return;
	info.active = mosix_daemons_active();
	info.acked_gen = gen;
	/* between ticks nothing is in flight: idle unless still active */
	mosix_daemon_ack(MOSIX_DAEMON_INFO, gen, !info.active);
}

static int info_thread(void *unused)
{
	unsigned long next = jiffies;

	while (!kthread_should_stop()) {
		long left;

		apply_generation();
		if (info.active && (test_and_clear_bit(INFO_TICK_NOW, &info.flags) ||
				    time_after_eq(jiffies, next))) {
			tick();
			next = jiffies +
				msecs_to_jiffies(READ_ONCE(mosix_info_interval_ms));
		}
		left = info.active ? max_t(long, (long)(next - jiffies), 1) : HZ;
		/* a generation not yet applied is polled: a stall may be lifted */
		if (mosix_daemons_gen() != info.acked_gen)
			left = min_t(long, left, HZ / 10);
		wait_event_interruptible_timeout(info.wq,
						 test_bit(INFO_RX_READY, &info.flags) ||
						 test_bit(INFO_TICK_NOW, &info.flags) ||
						 mosix_daemons_gen() != info.acked_gen ||
						 kthread_should_stop(), left);
		/* an inactive daemon leaves the socket alone: it may be closing */
		if (test_and_clear_bit(INFO_RX_READY, &info.flags) && info.active)
			receive_batch();
	}
	return 0;
}

void mosix_info_wake(void)
{
	wake_up(&info.wq);
}

/* ---- start and stop --------------------------------------------------- */

static int open_socket(void)
{
	struct sockaddr_storage ss;
	int len = to_sockaddr(&info.addr, &ss), err;
	struct sock *sk;

	err = sock_create_kern(&init_net, ss.ss_family, SOCK_DGRAM, IPPROTO_UDP,
			       &info.sock);
	if (err)
		return err;
	err = kernel_bind(info.sock, mosix_sockaddr(&ss), len);
	if (err) {
		pr_info("info: cannot bind %pISpc: %d\n", &ss, err);
		sock_release(info.sock);
		info.sock = NULL;
		return err;
	}
	sk = info.sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	info.saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = info_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

/*
 * Before a poweroff: give the leave notice a bounded moment to leave this
 * node. Drivers may release a frame before the device has sent it (e.g.
 * virtio-net orphans it on transmit), so after the socket's queue drained
 * wait a little more for the device, whose shutdown follows at once.
 * Waits on nothing remote.
 */
static void flush_socket(unsigned int drain_ms, unsigned int device_ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(drain_ms);

	while (info.sock && sk_wmem_alloc_get(info.sock->sk) > 0 &&
	       time_before(jiffies, end))
		msleep(20);
	msleep(device_ms);
}

static void close_socket(void)
{
	struct sock *sk;

	if (!info.sock)
		return;
	sk = info.sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = info.saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	kernel_sock_shutdown(info.sock, SHUT_RDWR);
	sock_release(info.sock);
	info.sock = NULL;
}

static void free_state(void)
{
	struct mosix_info_replay *st;
	unsigned long pe;

	xa_for_each(&info.replay, pe, st)
		kfree(st);
	xa_destroy(&info.replay);
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

static void new_epoch(void)
{
	/* newer than any earlier one, so peers take it over a leave notice */
	info.epoch = max_t(u64, ktime_get_real_ns(), info.epoch + 1);
	atomic64_set(&info.seq, 0);
}

/*
 * Bring-up, stage transport: the state and the socket, bound to this node's
 * table address (-EADDRNOTAVAIL if no interface has it).
 */
int mosix_info_open(u32 pe)
{
	struct mosix_table *t;
	u32 nodes = 0;
	int err;

	if (!info_tfm)
		return -ENOKEY;
	rcu_read_lock();
	t = mosix_table_get();
	err = t && mosix_map_pe_addr(&t->map, pe, &info.addr) ? 0 : -ENOENT;
	if (t)
		nodes = t->map.nr_nodes;
	rcu_read_unlock();
	if (err)
		return err;

	info.pe = pe;
	new_epoch();
	info.idle_us = 0;
	info.wall_us = 0;
	info.flags = 0;
	info.withdrawn = false;
	xa_init(&info.replay);
	init_waitqueue_head(&info.wq);
	mutex_init(&info.tx_mutex);
	err = mosix_info_view_init(&info.view, pe, READ_ONCE(mosix_info_window),
				   max_age_ms(nodes, READ_ONCE(mosix_info_interval_ms)));
	if (err)
		return err;
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
	err = open_socket();
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

/* undo of mosix_info_open(), and the end of a shutdown */
void mosix_info_release(void)
{
	if (!READ_ONCE(info.running))
		return;
	close_socket();
	spin_lock_bh(&info_lock);
	WRITE_ONCE(info.running, false);
	spin_unlock_bh(&info_lock);
	free_state();
}

/* shutdown stage transport; the daemon is quiesced and leaves it alone */
void mosix_info_close_socket(void)
{
	close_socket();
}

/* undo of the transport stage: reopen and rebind */
int mosix_info_reopen_socket(void)
{
	return info.sock ? 0 : open_socket();
}

int mosix_info_thread_start(void)
{
	struct task_struct *t;

	info.acked_gen = 0;
	info.active = false;
	t = kthread_run(info_thread, NULL, "mosix_info");
	if (IS_ERR(t))
		return PTR_ERR(t);
	info.thread = t;
	return 0;
}

void mosix_info_thread_stop(void)
{
	if (!info.thread)
		return;
	kthread_stop(info.thread);
	info.thread = NULL;
}

/* bring-up stage announce: this node's information goes out at once */
void mosix_info_announce(void)
{
	set_bit(INFO_TICK_NOW, &info.flags);
	wake_up(&info.wq);
}

/*
 * The leave notice: this node's own entry marked leaving, sent to every
 * peer the view holds and to a few random ones; gossip does the rest.
 * Never waits on the network (MSG_DONTWAIT).
 */
static void send_leave(void)
{
	struct mosix_info_entry *e;
	struct mosix_table *t;
	unsigned int n, i;
	int len;

	e = kcalloc(MOSIX_INFO_ENTRIES_MAX, sizeof(*e), GFP_KERNEL);
	if (!e)
		return;
	mutex_lock(&info.tx_mutex);
	spin_lock_bh(&info_lock);
	mosix_info_view_mark_self_leaving(&info.view);
	n = mosix_info_view_snapshot(&info.view, now_ms(), e,
				     MOSIX_INFO_ENTRIES_MAX);
	spin_unlock_bh(&info_lock);
	len = info.sock ? build_datagram(info.tx_buf) : -ENOTCONN;

	rcu_read_lock();
	t = mosix_table_get();
	for (i = 0; len > 0 && t && i < n + 3; i++) {
		struct mosix_addr to;
		u32 pe = i < n ? e[i].pe :
			 mosix_info_pick_peer(&t->map, info.pe, get_random_u32());
		unsigned int j;

		/* one copy per peer: a second would only be dropped as a replay */
		for (j = 0; i >= n && j < n && pe; j++)
			if (e[j].pe == pe)
				pe = 0;
		if (pe && pe != info.pe && peer_addr(&t->map, pe, &to) &&
		    !send_to(&to, info.tx_buf, len))
			stat_add(MOSIX_STAT_LEAVE_SENT, 1);
	}
	rcu_read_unlock();
	mutex_unlock(&info.tx_mutex);
	kfree(e);
}

/* shutdown stage withdraw: zero this node's load information, say so */
int mosix_info_withdraw(void)
{
	spin_lock_bh(&info_lock);
	info.withdrawn = true;
	info.view.self.load = 0;
	info.view.self.util = 0;
	info.view.self.free_kb = 0;
	spin_unlock_bh(&info_lock);
	send_leave();
	return 0;
}

/* undo of withdraw: a new epoch (newer than the leave notice), announced */
void mosix_info_restore(void)
{
	spin_lock_bh(&info_lock);
	info.withdrawn = false;
	new_epoch();
	spin_unlock_bh(&info_lock);
	mosix_info_announce();
}

/*
 * Reboot or poweroff while up: tell the peers and stop, without waiting on
 * anything remote. Runs in the reboot notifier; user space is gone.
 */
void mosix_info_reboot(void)
{
	if (!READ_ONCE(info.running))
		return;
	mosix_info_thread_stop();
	/* twice, in case the first is lost: nobody will ask again */
	send_leave();
	msleep(200);
	send_leave();
	flush_socket(300, 100);
	close_socket();
}

/* for configfs `daemons`: the info daemon's generation state */
void mosix_info_daemon_state(bool *running, u32 *acked, bool *active)
{
	*running = info.thread;
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

void mosix_info_exit(void)
{
	mosix_info_set_key(NULL, 0);
}
