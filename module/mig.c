// SPDX-License-Identifier: GPL-2.0
/*
 * The migration daemon (kthread mosix_mig). It owns every move of a job
 * between this node and another: one state machine per move, at each end
 * (mosix_mig_move.c, docs/migration-design.md), fed by the control messages
 * the info daemon authenticated, by the node's helper's reports and by its
 * own timers. The helper (mosctl helper, root) dumps, streams and restores
 * what it is told to; what decides whether a job runs here or there stays
 * in the kernel: at the source the kernel itself kills the job's frozen copy
 * before it says COMMIT, at the target it lets the restored copy run
 * (SIGCONT) or kills it, so a helper that dies changes nothing of that.
 *
 * Locks: moves_lock (mutex) guards the moves and the helper's registration;
 * it is taken before info's io_lock (sending) and jobs_lock. The info
 * thread hands messages over through the inbox (a spinlock) and never takes
 * moves_lock; the netlink notifier, which may not sleep, only clears the
 * helper's portid under helper_lock and wakes the daemon.
 */
#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include "mosix.h"
#include "mosix_mig_move.h"

/* configfs */
unsigned int mosix_mig_timeout_ms = MOSIX_MIG_TIMEOUT_DEFAULT_MS;
unsigned int mosix_mig_max_image_mb = MOSIX_MIG_MAX_IMAGE_DEFAULT_MB;
bool mosix_mig_allow_root;

#define INBOX_LEN		64
#define MIG_RTO_MS		500
#define MIG_OFFER_MS		5000
#define MIG_PREPARED_MS		5000
#define MIG_KEEP_MS		60000
/* moves asked of other nodes (home) and by other homes (the job's node) */
#define MIG_ASKS_MAX		16
#define MIG_ASK_RTO_MS		1000
/* a phase's first progress report goes home at once, the others at most this often */
#define MIG_PROGRESS_FWD_MS	500
#define MIG_ASK_SLACK_MS	10000

/* one move, this node's end */
struct mig {
	struct list_head node;
	struct mosix_mig_move m;
	u64 peer_epoch;		/* the peer's boot, from its first message */
	struct pid *pid;	/* source: the job's init; target: the restored one */
	struct mosix_job *arrival;	/* target: its registry entry, made ahead */
	u64 start_ns;
	bool ended;		/* reached DONE: counted, reported */
	bool key_ready;		/* derived and not yet fetched by the helper */
	u8 key[MOSIX_MIG_KEY_LEN];
};

static DEFINE_MUTEX(moves_lock);
static LIST_HEAD(moves);
static unsigned int nr_active;		/* moves not DONE */

static DEFINE_SPINLOCK(helper_lock);
static struct {
	u32 portid;		/* 0: none; helper_lock (the notifier clears it) */
	u16 port;		/* moves_lock */
	bool criu;
} helper;

static DEFINE_SPINLOCK(inbox_lock);
static struct mosix_mig_msg inbox[INBOX_LEN];
static unsigned int inbox_head, inbox_count;

static atomic_t nr_registered = ATOMIC_INIT(0);	/* guests + away */
static bool guests_blocked;		/* by a shutdown's evacuate stage */
static bool operator_blocked;		/* configfs block */

static struct mosix_thread mig_thread = {
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(mig_thread.wq),
};

static u32 mig_acked;			/* thread: generation applied */
static bool mig_acked_idle;

enum { MIG_HELPER_LOST };
static unsigned long mig_flags;

static s64 now_ms(void)
{
	return ktime_to_ms(ktime_get());
}

static void stat(unsigned int s)
{
	mosix_info_stat_add(s, 1);
}

bool mosix_mig_guests_blocked(void)
{
	return READ_ONCE(guests_blocked);
}

void mosix_mig_block_guests(bool block)
{
	WRITE_ONCE(guests_blocked, block);
}

bool mosix_mig_blocked(void)
{
	return READ_ONCE(operator_blocked);
}

void mosix_mig_set_blocked(bool block)
{
	WRITE_ONCE(operator_blocked, block);
	pr_info("mig: guests %s by the operator\n", block ? "blocked" : "accepted");
}

unsigned int mosix_mig_registered(void)
{
	return atomic_read(&nr_registered);
}

static u32 helper_portid(void)
{
	u32 portid;

	spin_lock_bh(&helper_lock);
	portid = helper.portid;
	spin_unlock_bh(&helper_lock);
	return portid;
}

static struct mosix_mig_timeouts timeouts(void)
{
	return (struct mosix_mig_timeouts) {
		.rto_ms = MIG_RTO_MS,
		.offer_ms = MIG_OFFER_MS,
		.stream_ms = READ_ONCE(mosix_mig_timeout_ms),
		.prepared_ms = MIG_PREPARED_MS,
		.keep_ms = MIG_KEEP_MS,
	};
}

/* the node the job leaves and the one it goes to */
/*
 * Home: a move of one of this node's jobs asked of the node where it runs
 * (MOSIX_MIG_TYPE_ASK, repeated until that node answers ASKED or deadline).
 */
struct mig_ask {
	bool used;
	u64 id;
	u8 nonce[MOSIX_MIG_NONCE_LEN];
	u16 host, dest;
	u32 num, uid;
	s64 next_ms, deadline_ms;
	u64 start_ns;
};

/*
 * The job's node: a move its home asked for, remembered so that a repeated
 * ASK gets the same answer and never a second move.
 */
struct mig_asked {
	bool used, answered;
	u64 id, move_id;	/* home's request; this node's move, 0: none */
	u8 nonce[MOSIX_MIG_NONCE_LEN];
	u16 home, code, where;
	u32 num;
	s64 forget_ms;		/* answered: kept until then */
	u16 fwd_phase;		/* the progress last sent home, and when */
	s64 fwd_ms;
};

/* under moves_lock */
static struct mig_ask asks[MIG_ASKS_MAX];
static struct mig_asked asked[MIG_ASKS_MAX];

static u16 source_pe(const struct mig *g)
{
	return g->m.role == MOSIX_MIG_SOURCE ? g->m.self_pe : g->m.peer_pe;
}

static u16 target_pe(const struct mig *g)
{
	return g->m.role == MOSIX_MIG_SOURCE ? g->m.peer_pe : g->m.self_pe;
}

static struct mig *find_move(u64 id, u16 peer_pe)
{
	struct mig *g;

	lockdep_assert_held(&moves_lock);
	list_for_each_entry(g, &moves, node)
		if (g->m.id == id && (!peer_pe || g->m.peer_pe == peer_pe))
			return g;
	return NULL;
}

static void free_move(struct mig *g)
{
	list_del(&g->node);
	put_pid(g->pid);
	mosix_jobs_drop_arrival(g->arrival);
	memzero_explicit(g->key, sizeof(g->key));
	kfree(g);
}

/* K = HMAC-SHA256(cluster key, "mosix-mig-v1" || id || nonces || PEs) */
static void derive_key(struct mig *g)
{
	u8 in[MOSIX_MIG_KEY_INPUT_LEN];

	mosix_mig_key_input(g->m.id, g->m.nonce_s, g->m.nonce_t, source_pe(g),
			    target_pe(g), in);
	g->key_ready = !mosix_info_hmac(in, sizeof(in), g->key);
}

static void send_step(struct mosix_mig_step *st)
{
	int err;

	if (!st->send)
		return;
	err = mosix_info_send_mig(&st->msg);
	if (err)
		pr_info_ratelimited("mig: cannot send %s of move %016llx to node %u: %d\n",
				    mosix_mig_type_name(st->msg.type), st->msg.id,
				    st->msg.to_pe, err);
}

static void helper_lost(u32 portid)
{
	bool lost = false;

	spin_lock_bh(&helper_lock);
	if (portid && helper.portid == portid) {
		helper.portid = 0;
		lost = true;
	}
	spin_unlock_bh(&helper_lock);
	if (lost) {
		set_bit(MIG_HELPER_LOST, &mig_flags);
		mosix_thread_wake(&mig_thread);
	}
}

/* tell the helper what to do for g: 0 or why it cannot be told */
static int tell_helper(struct mig *g, enum mosix_mig_work work)
{
	struct mosix_mig_work_req w = {
		.id = g->m.id,
		.work = work,
		.home = g->m.home_pe,
		.num = g->m.job_num,
		.uid = g->m.uid,
	};
	struct mosix_addr peer;
	u32 portid = helper_portid();
	int err;

	lockdep_assert_held(&moves_lock);
	if (!portid)
		return -ENOPKG;
	if (work == MOSIX_MIG_WORK_STREAM || work == MOSIX_MIG_WORK_RECEIVE) {
		if (!mosix_info_peer_addr(g->m.peer_pe, &peer))
			return -EHOSTUNREACH;
		w.peer = &peer;
		w.port = g->m.port;
		if (work == MOSIX_MIG_WORK_STREAM) {
			w.image_kb = g->m.image_kb;
			w.pid = pid_nr(g->pid);
		} else {
			w.image_kb = (u64)READ_ONCE(mosix_mig_max_image_mb) * 1024;
		}
	}
	err = mosix_netlink_mig_work(portid, &w);
	if (err == -ECONNREFUSED)
		helper_lost(portid);
	return err;
}

static void do_step(struct mig *g, struct mosix_mig_step *st);

/* an event of the move (a report, a failure to reach the helper) */
static void move_event(struct mig *g, enum mosix_mig_event ev, u32 arg)
{
	struct mosix_mig_step st;

	if (!mosix_mig_on_event(&g->m, ev, arg, now_ms(), &st))
		do_step(g, &st);
}

/* is p in the PID namespace ns or one below it */
static bool in_ns(struct task_struct *p, struct pid_namespace *ns)
{
	struct pid_namespace *n = task_active_pid_ns(p);

	while (n && n != ns)
		n = n->parent;
	return n;
}

/*
 * SIGKILL to the init ends the whole namespace; SIGCONT must reach every
 * process of it, since criu left each one stopped.
 */
static void signal_copy(struct mig *g, int sig)
{
	struct task_struct *init, *p;
	struct pid_namespace *ns;

	if (!g->pid)
		return;
	if (sig != SIGCONT) {
		kill_pid(g->pid, sig, 1);
		return;
	}
	rcu_read_lock();
	init = pid_task(g->pid, PIDTYPE_PID);
	if (init) {
		ns = task_active_pid_ns(init);
		for_each_process(p)
			if (in_ns(p, ns))
				kill_pid(task_tgid(p), SIGCONT, 1);
	}
	rcu_read_unlock();
}

static void act(struct mig *g, u8 action)
{
	int err;

	switch (action) {
	case MOSIX_MIG_ACT_STREAM:
		derive_key(g);
		err = g->key_ready ? tell_helper(g, MOSIX_MIG_WORK_STREAM) : -ENOKEY;
		if (err) {
			pr_info("mig: move %016llx: cannot ask the helper to dump job %u.%u: %d\n",
				g->m.id, g->m.home_pe, g->m.job_num, err);
			move_event(g, MOSIX_MIG_EV_DUMP_FAILED, 0);
		}
		break;
	case MOSIX_MIG_ACT_RESUME:
		/* the helper's criu resumes the job; without a helper it never froze */
		tell_helper(g, MOSIX_MIG_WORK_RESUME);
		break;
	case MOSIX_MIG_ACT_KILL_COPY:
		/* the registry first: the job runs there from now on */
		mosix_jobs_move_end(g->m.home_pe, g->m.job_num, g->m.peer_pe);
		signal_copy(g, SIGKILL);
		tell_helper(g, MOSIX_MIG_WORK_COMMIT);
		break;
	case MOSIX_MIG_ACT_RECEIVE:
		derive_key(g);
		err = g->key_ready ? tell_helper(g, MOSIX_MIG_WORK_RECEIVE) : -ENOKEY;
		if (err) {
			pr_info("mig: move %016llx: cannot ask the helper to receive job %u.%u: %d\n",
				g->m.id, g->m.home_pe, g->m.job_num, err);
			move_event(g, MOSIX_MIG_EV_RECEIVE_FAILED, 0);
		}
		break;
	case MOSIX_MIG_ACT_DISCARD:
		signal_copy(g, SIGKILL);
		tell_helper(g, MOSIX_MIG_WORK_DISCARD);
		break;
	case MOSIX_MIG_ACT_RUN:
		/* the registry first: a move on or an exit finds it */
		if (g->arrival && g->pid)
			mosix_jobs_arrived(g->arrival, g->pid, g->m.self_pe);
		g->arrival = NULL;
		signal_copy(g, SIGCONT);
		tell_helper(g, MOSIX_MIG_WORK_RUN);
		stat(MOSIX_STAT_MIG_ARRIVED);
		pr_info("mig: job %u.%u arrived from node %u\n", g->m.home_pe,
			g->m.job_num, g->m.peer_pe);
		break;
	default:
		break;
	}
}

/* the job's node: its answer to home's ASK */
static void send_asked(const struct mig_asked *a)
{
	struct mosix_mig_step st = { .send = true };

	st.msg.type = MOSIX_MIG_TYPE_ASKED;
	st.msg.id = a->id;
	st.msg.home_pe = a->home;
	st.msg.job_num = a->num;
	st.msg.to_pe = a->home;
	st.msg.code = a->code;
	memcpy(st.msg.nonce_s, a->nonce, MOSIX_MIG_NONCE_LEN);
	st.msg.arg = a->where;
	send_step(&st);
}

static void answer_ask(struct mig_asked *a, u16 code, u16 where)
{
	a->answered = true;
	a->code = code;
	a->where = where;
	a->forget_ms = now_ms() + MIG_KEEP_MS;
	send_asked(a);
}

/* a move that home asked for ended: tell home how */
static void asked_move_ended(const struct mig *g, bool moved)
{
	unsigned int i;

	for (i = 0; i < MIG_ASKS_MAX; i++) {
		struct mig_asked *a = &asked[i];

		if (a->used && !a->answered && a->move_id == g->m.id) {
			answer_ask(a, moved ? MOSIX_MIG_R_NONE : g->m.reason,
				   moved ? target_pe(g) : g->m.self_pe);
			return;
		}
	}
}

/*
 * A move that home asked for is under way: how far it is, to home (it passes
 * it on to its mosctl migrate), in KiB rounded up (all sent stays all sent).
 * A report lost is no matter: no repeat.
 */
static void forward_progress(const struct mig *g, u32 phase, u64 done, u64 total)
{
	struct mosix_mig_step st = { .send = true };
	u64 total_kib = DIV_ROUND_UP_ULL(total, 1024);
	s64 now = now_ms();
	unsigned int i;

	lockdep_assert_held(&moves_lock);
	for (i = 0; i < MIG_ASKS_MAX; i++) {
		struct mig_asked *a = &asked[i];

		if (!a->used || a->answered || a->move_id != g->m.id)
			continue;
		if (total_kib > U32_MAX)
			return;
		/* (a phase's first report and the last of all at once) */
		if (a->fwd_phase == phase && done != total &&
		    now < a->fwd_ms + MIG_PROGRESS_FWD_MS)
			return;
		a->fwd_phase = (u16)phase;
		a->fwd_ms = now;
		st.msg.type = MOSIX_MIG_TYPE_PROGRESS;
		st.msg.id = a->id;
		st.msg.home_pe = a->home;
		st.msg.job_num = a->num;
		st.msg.to_pe = a->home;
		st.msg.code = (u16)phase;
		st.msg.total_kib = (u32)total_kib;
		st.msg.arg = DIV_ROUND_UP_ULL(done, 1024);
		memcpy(st.msg.nonce_s, a->nonce, MOSIX_MIG_NONCE_LEN);
		send_step(&st);
		return;
	}
}

/* the move reached DONE: the registry, the counters, the event */
static void ended(struct mig *g)
{
	struct mosix_mig_done d = {
		.id = g->m.id,
		.home = g->m.home_pe,
		.num = g->m.job_num,
		.uid = g->m.uid,
		.from = source_pe(g),
		.to = target_pe(g),
		.outcome = g->m.outcome,
		.reason = g->m.reason,
		.duration_us = div_u64(ktime_get_ns() - g->start_ns, NSEC_PER_USEC),
	};
	bool moved = g->m.outcome == MOSIX_MIG_OUTCOME_COMMITTED;

	g->ended = true;
	nr_active--;
	g->key_ready = false;
	memzero_explicit(g->key, sizeof(g->key));
	if (g->m.role != MOSIX_MIG_SOURCE)
		return;
	if (!moved)
		mosix_jobs_move_end(g->m.home_pe, g->m.job_num, g->m.self_pe);
	put_pid(g->pid);
	g->pid = NULL;
	stat(moved ? MOSIX_STAT_MIG_MOVED : MOSIX_STAT_MIG_STAYED);
	d.err = -mosix_mig_reason_errno(g->m.reason);
	pr_info("mig: job %u.%u %s node %u: %s\n", d.home, d.num,
		moved ? "moved to" : "stayed, not moved to", d.to,
		moved ? "done" : mosix_mig_reason_name(d.reason));
	mosix_event_mig_done(&d);
	asked_move_ended(g, moved);
}

/* what a step says: its action first (a copy is killed before COMMIT), then its message */
static void do_step(struct mig *g, struct mosix_mig_step *st)
{
	lockdep_assert_held(&moves_lock);
	act(g, st->action);
	send_step(st);
	if (g->m.state == MOSIX_MIG_DONE && !g->ended)
		ended(g);
	if (st->action == MOSIX_MIG_ACT_FORGET)
		free_move(g);
}

/* ---- the source: a move asked for through netlink ---------------------- */

/* what the job's processes hold in memory, in KiB: the image's size, about */
static u64 job_rss_kb(struct pid *pid)
{
	struct task_struct *init, *p;
	struct pid_namespace *ns;
	u64 pages = 0;

	rcu_read_lock();
	init = pid_task(pid, PIDTYPE_PID);
	if (init) {
		ns = task_active_pid_ns(init);
		for_each_process(p) {
			if (!in_ns(p, ns))
				continue;
			task_lock(p);
			if (p->mm)
				pages += get_mm_rss(p->mm);
			task_unlock(p);
		}
	}
	rcu_read_unlock();
	return max_t(u64, pages << (PAGE_SHIFT - 10), 1);
}

static u64 new_id(void)
{
	u64 id;

	do
		id = get_random_u64();
	while (!id || find_move(id, 0));
	return id;
}

static void random_nonce(u8 *nonce)
{
	static const u8 zero[MOSIX_MIG_NONCE_LEN];

	do
		get_random_bytes(nonce, MOSIX_MIG_NONCE_LEN);
	while (!memcmp(nonce, zero, MOSIX_MIG_NONCE_LEN));
}

static int check_target(u32 self, u32 to, const char **reason)
{
	struct mosix_table *t;
	struct mosix_addr addr;
	bool known;

	if (to == self) {
		*reason = "the job runs on that node already";
		return -EINVAL;
	}
	rcu_read_lock();
	t = mosix_table_get();
	known = t && mosix_map_pe_addr(&t->map, to, &addr);
	rcu_read_unlock();
	if (!known) {
		*reason = "that node is not in the table";
		return -ENXIO;
	}
	if (mosix_info_node_status(to) != MOSIX_INFO_STATUS_UP) {
		*reason = "that node is not up";
		return -EHOSTDOWN;
	}
	return 0;
}

/*
 * Home: job num runs on node host; ask host to move it to node to (this
 * node: home). The move is host's; its end comes back as ASKED, and this
 * node sends the MIG_DONE event of the request.
 */
static int ask_host(u32 self, u32 num, u32 to, kuid_t who, u32 host, u64 *id,
		    const char **reason)
{
	struct mosix_mig_timeouts t = timeouts();
	struct mig_ask *a = NULL;
	unsigned int i;
	int err;

	if (to == host) {
		*reason = "the job runs on that node already";
		return -EINVAL;
	}
	if (to != self) {
		err = check_target(self, to, reason);
		if (err)
			return err;
	}
	if (mosix_info_node_status(host) != MOSIX_INFO_STATUS_UP) {
		*reason = "the node where the job runs is not up";
		return -EHOSTDOWN;
	}
	mutex_lock(&moves_lock);
	for (i = 0; i < MIG_ASKS_MAX && !a; i++)
		if (!asks[i].used)
			a = &asks[i];
	if (!a) {
		mutex_unlock(&moves_lock);
		*reason = "too many moves are asked of other nodes already";
		return -EBUSY;
	}
	memset(a, 0, sizeof(*a));
	a->used = true;
	a->id = new_id();
	random_nonce(a->nonce);
	a->host = host;
	a->dest = to;
	a->num = num;
	a->uid = from_kuid_munged(&init_user_ns, who);
	a->next_ms = now_ms();
	a->deadline_ms = a->next_ms + t.offer_ms + t.stream_ms + 2 * t.prepared_ms +
			 MIG_ASK_SLACK_MS;
	a->start_ns = ktime_get_ns();
	*id = a->id;
	pr_info("mig: asking node %u to move job %u.%u to node %u (request %016llx)\n",
		host, self, num, to, a->id);
	mutex_unlock(&moves_lock);
	mosix_thread_wake(&mig_thread);	/* it sends the ASK */
	return 0;
}

/* the source's side of a move, with moves_lock held */
static int start_move(u32 self, u32 home, u32 num, u32 to, kuid_t who, bool admin,
		      u64 *id, const char **reason)
{
	struct mosix_mig_timeouts t = timeouts();
	u8 nonce_s[MOSIX_MIG_NONCE_LEN];
	struct mosix_mig_step st;
	struct pid *pid = NULL;
	struct mig *g;
	kuid_t owner;
	int err;

	lockdep_assert_held(&moves_lock);
	err = check_target(self, to, reason);
	if (err)
		return err;
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	random_nonce(nonce_s);

	if (!helper_portid()) {
		*reason = "no migration helper runs on this node (mosctl helper)";
		err = -ENOPKG;
		goto unlock;
	}
	if (nr_active >= MOSIX_MIG_MOVES_MAX) {
		*reason = "too many moves are under way on this node";
		err = -EBUSY;
		goto unlock;
	}
	err = mosix_jobs_move_begin(home, num, who, admin, &pid, &owner, reason);
	if (err)
		goto unlock;
	err = mosix_mig_source_start(&g->m, new_id(), self, to, home, num,
				     from_kuid_munged(&init_user_ns, owner),
				     min_t(u64, job_rss_kb(pid), MOSIX_MIG_IMAGE_MAX_KB),
				     nonce_s, &t, now_ms(), &st);
	if (err) {
		mosix_jobs_move_end(home, num, self);
		put_pid(pid);
		*reason = "the move cannot be described";
		goto unlock;
	}
	g->pid = pid;
	g->start_ns = ktime_get_ns();
	list_add_tail(&g->node, &moves);
	nr_active++;
	*id = g->m.id;
	stat(MOSIX_STAT_MIG_STARTED);
	pr_info("mig: moving job %u.%u to node %u (move %016llx, about %llu KiB)\n",
		home, num, to, g->m.id, g->m.image_kb);
	do_step(g, &st);
	g = NULL;
unlock:
	kfree(g);
	return err;
}

static int request(u32 home, u32 num, u32 to, kuid_t who, bool admin,
		   u64 *id, const char **reason)
{
	u32 self, host = 0;
	int err;

	self = mosix_node_pe();
	if (mosix_node_state() != MOSIX_STATE_UP || !self) {
		*reason = "this node is not up";
		return -ENETDOWN;
	}
	/* a job of this node that runs elsewhere: that node moves it */
	if (home == self) {
		err = mosix_jobs_away_at(home, num, who, admin, &host, reason);
		if (err < 0)
			return err;
		if (!err)
			return ask_host(self, num, to, who, host, id, reason);
	}
	mutex_lock(&moves_lock);
	err = start_move(self, home, num, to, who, admin, id, reason);
	mutex_unlock(&moves_lock);
	mosix_thread_wake(&mig_thread);
	return err;
}

int mosix_mig_request(u32 home, u32 num, u32 to, kuid_t who, bool admin,
		      u64 *id, struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	int err = request(home, num, to, who, admin, id, &reason);

	if (err) {
		if (extack)
			extack->_msg = reason;
		pr_info_ratelimited("mig: move of job %u.%u to node %u refused: %s (%d)\n",
				    home, num, to, reason, err);
	}
	return err;
}

/* ---- the target: offers ------------------------------------------------ */

/* why this node will not take the offered job; MOSIX_MIG_R_NONE: it will */
static u16 refusal(const struct mosix_mig_msg *in)
{
	enum mosix_state state = mosix_node_state();
	u64 avail_kb;

	lockdep_assert_held(&moves_lock);
	if (state == MOSIX_STATE_STOPPING || state == MOSIX_STATE_ROLLING_BACK)
		return MOSIX_MIG_R_STOPPING;
	if (state != MOSIX_STATE_UP)
		return MOSIX_MIG_R_NOT_UP;
	/* a blocked node takes no guests, but its own jobs come home */
	if ((mosix_mig_guests_blocked() || mosix_mig_blocked()) && in->home_pe != in->to_pe)
		return MOSIX_MIG_R_BLOCKED;
	if (!in->uid && !READ_ONCE(mosix_mig_allow_root))
		return MOSIX_MIG_R_ROOT_REFUSED;
	if (in->arg > (u64)READ_ONCE(mosix_mig_max_image_mb) * 1024)
		return MOSIX_MIG_R_TOO_BIG;
	if (!helper_portid() || !helper.criu)
		return MOSIX_MIG_R_NO_CRIU;
	/* the images in the helper's tmpfs and the restored job, both */
	avail_kb = (u64)si_mem_available() << (PAGE_SHIFT - 10);
	if (in->arg > avail_kb / 2)
		return MOSIX_MIG_R_NO_MEMORY;
	if (nr_active >= MOSIX_MIG_MOVES_MAX || find_move(in->id, 0))
		return MOSIX_MIG_R_BUSY;
	return MOSIX_MIG_R_NONE;
}

static void offered(const struct mosix_mig_msg *in)
{
	struct mosix_mig_timeouts t = timeouts();
	u8 nonce_t[MOSIX_MIG_NONCE_LEN];
	struct mosix_mig_step st;
	u16 reason = refusal(in);
	struct mig *g = NULL;

	if (!reason) {
		g = kzalloc(sizeof(*g), GFP_KERNEL);
		if (!g)
			reason = MOSIX_MIG_R_NO_MEMORY;
	}
	if (!reason) {
		random_nonce(nonce_t);
		if (mosix_mig_target_accept(&g->m, in, in->to_pe, nonce_t, helper.port,
					    &t, now_ms(), &st))
			reason = MOSIX_MIG_R_BUSY;
	}
	if (reason) {
		kfree(g);
		stat(MOSIX_STAT_MIG_REFUSED);
		pr_info_ratelimited("mig: refused job %u.%u from node %u: %s\n",
				    in->home_pe, in->job_num, in->sender_pe,
				    mosix_mig_reason_name(reason));
		mosix_mig_answer_unknown(in, in->to_pe, reason, &st);
		send_step(&st);
		return;
	}
	g->peer_epoch = in->epoch;
	g->start_ns = ktime_get_ns();
	list_add_tail(&g->node, &moves);
	nr_active++;
	pr_info("mig: receiving job %u.%u from node %u (move %016llx)\n",
		in->home_pe, in->job_num, in->sender_pe, in->id);
	do_step(g, &st);
}

/* ---- moves a job's home asks of the node where it runs ------------------ */

static void count_drop(u8 why);

/* the job's node: home asks it to move one of home's jobs */
static void ask_received(const struct mosix_mig_msg *in)
{
	struct mig_asked *a = NULL;
	const char *reason = "";
	u32 self = mosix_node_pe();
	unsigned int i;
	u64 move_id = 0;
	s64 now = now_ms();
	int err;

	lockdep_assert_held(&moves_lock);
	for (i = 0; i < MIG_ASKS_MAX; i++) {
		struct mig_asked *o = &asked[i];

		if (o->used && o->home == in->sender_pe && o->id == in->id) {
			if (memcmp(o->nonce, in->nonce_s, MOSIX_MIG_NONCE_LEN)) {
				count_drop(MOSIX_MIG_DROP_NONCE);
				return;
			}
			/* a repeat: the same answer, or none yet */
			if (o->answered)
				send_asked(o);
			return;
		}
		if (!a && (!o->used || (o->answered && o->forget_ms <= now)))
			a = o;
	}
	stat(MOSIX_STAT_MIG_RX);
	if (!a) {
		struct mig_asked busy = { .id = in->id, .home = in->sender_pe,
					  .num = in->job_num, .code = MOSIX_MIG_R_HOST,
					  .where = (u16)self };

		memcpy(busy.nonce, in->nonce_s, MOSIX_MIG_NONCE_LEN);
		pr_info_ratelimited("mig: node %u asks to move job %u.%u: too many asks here\n",
				    in->sender_pe, in->home_pe, in->job_num);
		send_asked(&busy);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->used = true;
	a->id = in->id;
	a->home = in->sender_pe;
	a->num = in->job_num;
	memcpy(a->nonce, in->nonce_s, MOSIX_MIG_NONCE_LEN);
	/* its home checked the user (in->uid) may move it */
	err = start_move(self, in->home_pe, in->job_num, (u32)in->arg, GLOBAL_ROOT_UID, true,
			 &move_id, &reason);
	if (err) {
		pr_info("mig: node %u asked to move job %u.%u to node %u (uid %u): %s (%d)\n",
			in->sender_pe, in->home_pe, in->job_num, (u32)in->arg, in->uid,
			reason, err);
		answer_ask(a, err == -ENOENT || err == -ESRCH ? MOSIX_MIG_R_NOT_HERE :
			   err == -ENXIO || err == -EHOSTDOWN ? MOSIX_MIG_R_NOT_UP :
			   MOSIX_MIG_R_HOST, (u16)self);
		return;
	}
	pr_info("mig: node %u asked to move job %u.%u to node %u (uid %u): move %016llx\n",
		in->sender_pe, in->home_pe, in->job_num, (u32)in->arg, in->uid, move_id);
	a->move_id = move_id;
}

/*
 * Home: the ask an ASKED or PROGRESS from the job's node is about, or NULL
 * (counted: a repeat of an answer taken, none of ours, a wrong nonce)
 */
static struct mig_ask *ask_of(const struct mosix_mig_msg *in)
{
	struct mig_ask *a = NULL;
	unsigned int i;

	lockdep_assert_held(&moves_lock);
	for (i = 0; i < MIG_ASKS_MAX && !a; i++)
		if (asks[i].used && asks[i].id == in->id && asks[i].host == in->sender_pe &&
		    asks[i].num == in->job_num)
			a = &asks[i];
	if (!a) {
		stat(MOSIX_STAT_MIG_DROP_UNKNOWN);
		return NULL;
	}
	if (memcmp(a->nonce, in->nonce_s, MOSIX_MIG_NONCE_LEN)) {
		count_drop(MOSIX_MIG_DROP_NONCE);
		return NULL;
	}
	stat(MOSIX_STAT_MIG_RX);
	return a;
}

/* home: how far the move it asked for is, to whoever listens (mosctl migrate) */
static void progress_received(const struct mosix_mig_msg *in)
{
	struct mig_ask *a = ask_of(in);
	struct mosix_mig_progress p;

	if (!a)
		return;
	p = (struct mosix_mig_progress) {
		.id = a->id, .home = in->home_pe, .num = a->num, .uid = a->uid,
		.to = a->dest, .phase = in->code, .done = in->arg * 1024,
		.total = (u64)in->total_kib * 1024,
	};
	mosix_event_mig_progress(&p);
}

/* home: the job's node says how the move home asked for went */
static void asked_answer(const struct mosix_mig_msg *in)
{
	struct mosix_mig_done d = { .id = in->id, .home = in->home_pe, .num = in->job_num };
	struct mig_ask *a = ask_of(in);
	bool moved = in->code == MOSIX_MIG_R_NONE;

	if (!a)
		return;
	d.uid = a->uid;
	d.from = moved ? a->host : (u32)in->arg;
	d.to = a->dest;
	d.outcome = moved ? MOSIX_MIG_OUTCOME_COMMITTED : MOSIX_MIG_OUTCOME_ABORTED;
	d.reason = in->code;
	d.err = -mosix_mig_reason_errno(in->code);
	d.duration_us = div_u64(ktime_get_ns() - a->start_ns, NSEC_PER_USEC);
	pr_info("mig: job %u.%u %s node %u (asked of node %u): %s\n", d.home, d.num,
		moved ? "moved to" : "stayed, not moved to", d.to, a->host,
		moved ? "done" : mosix_mig_reason_name(in->code));
	a->used = false;
	mosix_event_mig_done(&d);
}

/* home's asks: repeat them, give up at their deadline; the next one's time */
static s64 ask_timers(s64 now)
{
	s64 next = S64_MAX;
	unsigned int i;

	lockdep_assert_held(&moves_lock);
	for (i = 0; i < MIG_ASKS_MAX; i++) {
		struct mig_ask *a = &asks[i];
		struct mosix_mig_step st = { .send = true };

		if (!a->used)
			continue;
		if (now >= a->deadline_ms) {
			struct mosix_mig_done d = {
				.id = a->id, .home = mosix_node_pe(), .num = a->num,
				.uid = a->uid, .from = a->host, .to = a->dest,
				.outcome = MOSIX_MIG_OUTCOME_ABORTED,
				.reason = MOSIX_MIG_R_TIMEOUT, .err = ETIMEDOUT,
				.duration_us = div_u64(ktime_get_ns() - a->start_ns,
						       NSEC_PER_USEC),
			};

			pr_info("mig: node %u never said how the move of job %u.%u went (request %016llx)\n",
				a->host, d.home, a->num, a->id);
			a->used = false;
			mosix_event_mig_done(&d);
			continue;
		}
		if (now >= a->next_ms) {
			st.msg.type = MOSIX_MIG_TYPE_ASK;
			st.msg.id = a->id;
			st.msg.home_pe = (u16)mosix_node_pe();
			st.msg.job_num = a->num;
			st.msg.to_pe = a->host;
			st.msg.uid = a->uid;
			memcpy(st.msg.nonce_s, a->nonce, MOSIX_MIG_NONCE_LEN);
			st.msg.arg = a->dest;
			send_step(&st);
			a->next_ms = now + MIG_ASK_RTO_MS;
		}
		next = min(next, min(a->next_ms, a->deadline_ms));
	}
	return next;
}

/* ---- the daemon -------------------------------------------------------- */

static void count_drop(u8 why)
{
	switch (why) {
	case MOSIX_MIG_DROP_PEER:
		stat(MOSIX_STAT_MIG_DROP_PEER);
		break;
	case MOSIX_MIG_DROP_NONCE:
		stat(MOSIX_STAT_MIG_DROP_NONCE);
		break;
	default:
		stat(MOSIX_STAT_MIG_DROP_STATE);
		break;
	}
}

static void handle_msg(const struct mosix_mig_msg *in)
{
	struct mosix_mig_step st;
	struct mig *g;

	lockdep_assert_held(&moves_lock);
	if (in->type == MOSIX_MIG_TYPE_ASK) {
		ask_received(in);
		return;
	}
	if (in->type == MOSIX_MIG_TYPE_ASKED) {
		asked_answer(in);
		return;
	}
	if (in->type == MOSIX_MIG_TYPE_PROGRESS) {
		progress_received(in);
		return;
	}
	g = find_move(in->id, in->sender_pe);
	if (g && g->peer_epoch && in->epoch != g->peer_epoch) {
		if (in->epoch < g->peer_epoch) {
			count_drop(MOSIX_MIG_DROP_PEER);	/* from its earlier boot */
			return;
		}
		g->peer_epoch = in->epoch;
		move_event(g, MOSIX_MIG_EV_PEER_REBOOTED, 0);
		g = find_move(in->id, in->sender_pe);	/* it may be gone */
	}
	if (!g) {
		if (in->type == MOSIX_MIG_TYPE_OFFER) {
			offered(in);
			return;
		}
		stat(MOSIX_STAT_MIG_DROP_UNKNOWN);
		mosix_mig_answer_unknown(in, in->to_pe, MOSIX_MIG_R_NONE, &st);
		send_step(&st);
		return;
	}
	if (!g->peer_epoch)
		g->peer_epoch = in->epoch;
	if (mosix_mig_on_msg(&g->m, in, now_ms(), &st)) {
		count_drop(st.drop);
		return;
	}
	stat(MOSIX_STAT_MIG_RX);
	do_step(g, &st);
}

/* called by the info daemon with an authenticated message for this node */
void mosix_mig_deliver(const struct mosix_mig_msg *m)
{
	bool queued = false;

	spin_lock_bh(&inbox_lock);
	if (inbox_count < INBOX_LEN) {
		inbox[(inbox_head + inbox_count) % INBOX_LEN] = *m;
		inbox_count++;
		queued = true;
	}
	spin_unlock_bh(&inbox_lock);
	if (!queued) {
		stat(MOSIX_STAT_MIG_DROP_QUEUE);
		return;
	}
	mosix_thread_wake(&mig_thread);
}

static bool inbox_pop(struct mosix_mig_msg *m)
{
	bool got = false;

	spin_lock_bh(&inbox_lock);
	if (inbox_count) {
		*m = inbox[inbox_head];
		inbox_head = (inbox_head + 1) % INBOX_LEN;
		inbox_count--;
		got = true;
	}
	spin_unlock_bh(&inbox_lock);
	return got;
}

/* the helper went: what waited for it fails; prepared copies are the kernel's */
static void helper_gone(void)
{
	struct mig *g, *tmp;

	lockdep_assert_held(&moves_lock);
	pr_info("mig: the migration helper went away\n");
	list_for_each_entry_safe(g, tmp, &moves, node) {
		if (g->m.state == MOSIX_MIG_S_STREAMING)
			move_event(g, MOSIX_MIG_EV_DUMP_FAILED, 0);
		else if (g->m.state == MOSIX_MIG_T_RECEIVING)
			move_event(g, MOSIX_MIG_EV_RECEIVE_FAILED, 0);
	}
}

/* timers; returns the wait until the next one, in jiffies */
static long run_timers(void)
{
	struct mosix_mig_step st;
	struct mig *g, *tmp;
	s64 now = now_ms(), next = S64_MAX;

	lockdep_assert_held(&moves_lock);
	list_for_each_entry_safe(g, tmp, &moves, node) {
		if (mosix_mig_next_ms(&g->m) <= now) {
			mosix_mig_on_timer(&g->m, now, &st);
			do_step(g, &st);
		}
	}
	list_for_each_entry(g, &moves, node)
		next = min(next, mosix_mig_next_ms(&g->m));
	next = min(next, ask_timers(now_ms()));
	if (next == S64_MAX)
		return MAX_SCHEDULE_TIMEOUT;
	return max_t(long, msecs_to_jiffies(max_t(s64, next - now_ms(), 1)), 1);
}

static void mig_run(struct mosix_thread *t)
{
	struct mosix_mig_msg m;
	u32 gen = mosix_daemons_config(NULL);
	long timeout;

	mutex_lock(&moves_lock);
	if (test_and_clear_bit(MIG_HELPER_LOST, &mig_flags))
		helper_gone();
	while (inbox_pop(&m))
		handle_msg(&m);
	timeout = run_timers();
	/* a shutdown's quiesce waits until no move is under way */
	if ((gen != mig_acked || mig_acked_idle != !nr_active) &&
	    !mosix_daemon_stalled(MOSIX_DAEMON_MIG)) {
		mig_acked = gen;
		mig_acked_idle = !nr_active;
		mosix_daemon_ack(MOSIX_DAEMON_MIG, gen, mig_acked_idle);
	}
	mutex_unlock(&moves_lock);
	WRITE_ONCE(t->timeout, timeout);
}

/* ---- the helper --------------------------------------------------------- */

int mosix_mig_set_helper(u32 portid, u16 port, bool criu, const char *why)
{
	u32 old;

	mutex_lock(&moves_lock);
	spin_lock_bh(&helper_lock);
	old = helper.portid;
	if (port) {
		helper.portid = portid;
	} else if (old == portid) {
		helper.portid = 0;
	} else {
		spin_unlock_bh(&helper_lock);
		mutex_unlock(&moves_lock);
		return -ENOENT;
	}
	spin_unlock_bh(&helper_lock);
	helper.port = port;
	helper.criu = port && criu;
	if (old && old != portid)
		set_bit(MIG_HELPER_LOST, &mig_flags);
	mutex_unlock(&moves_lock);
	if (!port)
		pr_info("mig: the migration helper withdrew\n");
	else if (criu)
		pr_info("mig: migration helper registered, receiving on port %u\n", port);
	else
		pr_info("mig: migration helper registered without a usable criu: %s\n",
			why && *why ? why : "no reason given");
	mosix_thread_wake(&mig_thread);
	return 0;
}

bool mosix_mig_helper_state(u16 *port, bool *criu)
{
	bool on;

	mutex_lock(&moves_lock);
	on = helper_portid();
	*port = on ? helper.port : 0;
	*criu = on && helper.criu;
	mutex_unlock(&moves_lock);
	return on;
}

static int netlink_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		helper_lost(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block netlink_nb = {
	.notifier_call = netlink_event,
};

static bool is_helper(u32 portid, const char **reason)
{
	if (portid && portid == helper_portid())
		return true;
	*reason = "only the registered migration helper may do that";
	return false;
}

/*
 * The restored copy the helper names: a process of the job's owner that is
 * the init of a PID namespace of its own, so a confused or lying helper
 * cannot make the kernel stop, run or kill anything else.
 */
static int restored_pid(u32 nr, u32 uid, struct pid **out, const char **reason)
{
	struct task_struct *task;
	struct pid *pid;
	bool ok = false;

	pid = nr ? find_get_pid(nr) : NULL;
	if (!pid) {
		*reason = "no such process";
		return -ESRCH;
	}
	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (task)
		ok = from_kuid(&init_user_ns, task_uid(task)) == uid &&
		     task_active_pid_ns(task) != task_active_pid_ns(current) &&
		     task_pid_nr_ns(task, task_active_pid_ns(task)) == 1;
	rcu_read_unlock();
	if (!ok) {
		put_pid(pid);
		*reason = "that process is not the init of a job of the job's owner";
		return -EPERM;
	}
	*out = pid;
	return 0;
}

static int take_report(u32 portid, u64 id, u32 what, u32 nr, const char *name,
		       const char *cmd, const char **reason)
{
	struct mosix_job *arrival = NULL;
	static const u8 ev[] = {
		[MOSIX_MIG_REPORT_DUMP_FAILED] = MOSIX_MIG_EV_DUMP_FAILED,
		[MOSIX_MIG_REPORT_RESTORED] = MOSIX_MIG_EV_RESTORED,
		[MOSIX_MIG_REPORT_RECEIVE_FAILED] = MOSIX_MIG_EV_RECEIVE_FAILED,
		[MOSIX_MIG_REPORT_RESTORE_FAILED] = MOSIX_MIG_EV_RESTORE_FAILED,
	};
	struct mosix_mig_step st;
	struct pid *pid = NULL;
	bool source_report, source_move;
	struct mig *g;
	int err;

	if (!what || what >= ARRAY_SIZE(ev)) {
		*reason = "unknown report";
		return -EINVAL;
	}
	mutex_lock(&moves_lock);
	if (!is_helper(portid, reason)) {
		err = -EPERM;
		goto unlock;
	}
	g = find_move(id, 0);
	err = -ENOENT;
	*reason = "no such move";
	if (!g)
		goto unlock;
	source_report = what == MOSIX_MIG_REPORT_DUMP_FAILED;
	source_move = g->m.role == MOSIX_MIG_SOURCE;
	if (source_report != source_move) {
		*reason = "that report is for the other end of a move";
		err = -EINVAL;
		goto unlock;
	}
	if (what == MOSIX_MIG_REPORT_RESTORED) {
		err = restored_pid(nr, g->m.uid, &pid, reason);
		if (err)
			goto unlock;
		arrival = mosix_jobs_prepare_arrival(g->m.home_pe, g->m.job_num,
						     g->m.uid, name, cmd);
		if (!arrival) {
			put_pid(pid);
			*reason = "out of memory";
			err = -ENOMEM;
			goto unlock;
		}
	}
	err = mosix_mig_on_event(&g->m, ev[what], nr, now_ms(), &st);
	if (err) {
		put_pid(pid);
		mosix_jobs_drop_arrival(arrival);
		*reason = "the move is past that step";
		err = -EALREADY;
		goto unlock;
	}
	if (pid) {
		put_pid(g->pid);
		g->pid = pid;
		mosix_jobs_drop_arrival(g->arrival);
		g->arrival = arrival;
	}
	do_step(g, &st);
unlock:
	mutex_unlock(&moves_lock);
	mosix_thread_wake(&mig_thread);
	return err;
}

int mosix_mig_report(u32 portid, u64 id, u32 what, u32 pid, const char *name,
		     const char *cmd, const char *text, struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	int err = take_report(portid, id, what, pid, name, cmd, &reason);

	if (err) {
		if (extack)
			extack->_msg = reason;
		pr_info_ratelimited("mig: report %u on move %016llx refused: %s (%d)\n",
				    what, id, reason, err);
	} else if (text && *text) {
		pr_info("mig: move %016llx: helper: %s\n", id, text);
	}
	return err;
}

/*
 * How far a move from here is, as its helper says: passed on to whoever
 * listens (mosctl migrate), nothing in the move changes. Only while the
 * source streams (the dump, the stream, the target's restore).
 */
int mosix_mig_progress(u32 portid, u64 id, u32 phase, u64 done, u64 total,
		       struct netlink_ext_ack *extack)
{
	const char *reason = NULL;
	struct mosix_mig_progress p = {
		.id = id, .phase = phase, .done = done, .total = total,
	};
	struct mig *g;
	int err = 0;

	mutex_lock(&moves_lock);
	if (!is_helper(portid, &reason)) {
		err = -EPERM;
		goto unlock;
	}
	g = find_move(id, 0);
	if (!g || g->m.role != MOSIX_MIG_SOURCE) {
		reason = g ? "that report is for the other end of a move" : "no such move";
		err = g ? -EINVAL : -ENOENT;
	} else if (g->m.state != MOSIX_MIG_S_STREAMING) {
		reason = "the move is past that step";
		err = -EALREADY;
	} else if (done > total) {
		reason = "more bytes done than in all";
		err = -EINVAL;
	} else {
		p.home = g->m.home_pe;
		p.num = g->m.job_num;
		p.uid = g->m.uid;
		p.to = g->m.peer_pe;
		forward_progress(g, phase, done, total);
	}
unlock:
	mutex_unlock(&moves_lock);
	if (err) {
		if (extack)
			extack->_msg = reason;
		pr_info_ratelimited("mig: progress on move %016llx refused: %s (%d)\n",
				    id, reason, err);
		return err;
	}
	mosix_event_mig_progress(&p);
	return 0;
}

/* the move's key, once, to the registered helper (the kernel's copy is wiped) */
int mosix_mig_take_key(u32 portid, u64 id, u8 *key, struct netlink_ext_ack *extack)
{
	const char *reason = "no key waits for that move";
	struct mig *g;
	int err = -ENOENT;

	mutex_lock(&moves_lock);
	if (!is_helper(portid, &reason)) {
		err = -EPERM;
	} else {
		g = find_move(id, 0);
		if (g && g->key_ready) {
			memcpy(key, g->key, MOSIX_MIG_KEY_LEN);
			memzero_explicit(g->key, sizeof(g->key));
			g->key_ready = false;
			err = 0;
		}
	}
	mutex_unlock(&moves_lock);
	if (err && extack)
		extack->_msg = reason;
	return err;
}

/* ---- the shutdown's stages and the module ------------------------------ */

/*
 * Send guests home and call this node's own jobs back; a registered job
 * that cannot be moved fails the stage (-EAGAIN), leaving guests blocked to
 * the caller's undo. A move under way fails it too (-EBUSY): it ends by
 * itself, a later shutdown then goes through.
 */
int mosix_mig_evacuate(void)
{
	unsigned int n = mosix_mig_registered(), active;

	mutex_lock(&moves_lock);
	active = nr_active;
	mutex_unlock(&moves_lock);
	if (active) {
		pr_info("evacuate: %u moves are under way\n", active);
		return -EBUSY;
	}
	if (n) {
		pr_info("evacuate: %u registered processes cannot be moved\n", n);
		return -EAGAIN;
	}
	return 0;
}

bool mosix_mig_running(void)
{
	return mosix_thread_running(&mig_thread);
}

void mosix_mig_wake(void)
{
	mosix_thread_wake(&mig_thread);
}

int mosix_mig_start(void)
{
	mig_acked = 0;
	mig_acked_idle = false;
	return mosix_thread_start(&mig_thread, mig_run, "mosix_mig");
}

void mosix_mig_stop(void)
{
	mosix_thread_stop(&mig_thread);
}

int mosix_mig_init(void)
{
	return netlink_register_notifier(&netlink_nb);
}

/* module unload, once no netlink op and no daemon can run */
void mosix_mig_exit(void)
{
	struct mig *g, *tmp;

	netlink_unregister_notifier(&netlink_nb);
	mutex_lock(&moves_lock);
	list_for_each_entry_safe(g, tmp, &moves, node)
		free_move(g);
	nr_active = 0;
	inbox_count = 0;
	mutex_unlock(&moves_lock);
}
