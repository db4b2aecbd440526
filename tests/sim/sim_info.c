// SPDX-License-Identifier: GPL-2.0
/*
 * Simulator of the info daemon's dissemination, driving the module's own
 * code (module/mosix_info.c: pick_window, encode, decode, merge, pick_peer)
 * for N simulated nodes in synchronous ticks. Every tick each node sends
 * exactly one datagram to one peer chosen at random; all datagrams of a
 * tick are built from the views at the start of the tick, then delivered.
 * No HMAC: the tag bytes are left zero (dissemination, not crypto).
 *
 * Printed per N (window W):
 *   mean age   mean age in ticks of the entries the nodes hold about
 *              others, over the measured ticks after warm-up (aim: W/2 or
 *              less, the same for every N)
 *   spread     ticks until a leave notice sent by one node to ONE random
 *              peer is held (leaving) by every other node, through gossip
 *              alone; beside it the bound log2 N + ln N + 5
 *   +notice    the same when the leaving node also sends the notice to the
 *              peers in its view and 3 random ones (what the module does)
 *   no prio    the gossip-only notice without leave priority in the view:
 *              the largest share of nodes that ever knew (it dies out)
 *   msgs       datagrams per node per tick (exactly 1)
 *
 * usage: sim_info [-s SEED] [-w WINDOW] [N ...]   (default N: 64 .. 65535)
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mosix_info.h"

#define TICK_MS		1000
#define WARMUP_TICKS	40
#define MEASURE_TICKS	10

struct node {
	struct mosix_info_view v;
	u64 seq;
	bool gone;
	bool knew;		/* has ever held the gossip-only notice */
};

struct sim {
	u32 n, window, max_age_ms;
	struct node *node;
	struct mosix_map map;
	u8 *buf;		/* one datagram per node */
	size_t dgram;
	u32 *dest;
	int *len;
	u64 rng;
	s64 now;
	u64 sent, node_ticks;
};

static u32 rnd(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (u32)((s->rng * 2685821657736338717ULL) >> 32);
}

static void die(const char *what)
{
	fprintf(stderr, "sim_info: %s\n", what);
	exit(1);
}

/* the module's max age (module/info.c): covers the spread of a notice */
static u32 max_age_ticks(u32 nodes)
{
	u32 lg = 1, x = nodes < 2 ? 2 : nodes;

	while (x >>= 1)
		lg++;
	return lg + lg * 7 / 10 + 5 + 3;
}

static struct mosix_info_entry self_entry(struct sim *s, u32 pe)
{
	struct mosix_info_entry e = {
		.pe = (u16)pe, .status = MOSIX_INFO_STATUS_UP,
		.load = rnd(s) % 8000, .cpus = 4, .util = (u16)(rnd(s) % 1001),
		.speed = 10000, .epoch = 1000 + pe, .mem_kb = 8388608,
		.free_kb = 4194304,
	};
	return e;
}

static void sim_init(struct sim *s, u32 n, u32 window, u64 seed,
		     bool priority)
{
	char text[64];
	struct mosix_map_error err;
	u32 i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->window = window;
	s->max_age_ms = max_age_ticks(n) * TICK_MS;
	s->rng = seed * 0x9e3779b97f4a7c15ULL + n;
	snprintf(text, sizeof(text), "1 10.0.0.1 %u\n", n);
	if (mosix_map_parse(text, strlen(text), &s->map, &err))
		die("map");
	s->dgram = MOSIX_INFO_HDR_LEN + (window + 1) * MOSIX_INFO_ENTRY_LEN +
		   MOSIX_INFO_TAG_LEN;
	s->node = calloc(n + 1, sizeof(*s->node));
	s->buf = calloc(n + 1, s->dgram);
	s->dest = calloc(n + 1, sizeof(*s->dest));
	s->len = calloc(n + 1, sizeof(*s->len));
	if (!s->node || !s->buf || !s->dest || !s->len)
		die("out of memory");
	s->now = 1000000;
	for (i = 1; i <= n; i++) {
		struct mosix_info_entry e = self_entry(s, i);

		if (mosix_info_view_init(&s->node[i].v, i, window, s->max_age_ms) ||
		    mosix_info_view_set_self(&s->node[i].v, &e))
			die("view");
		s->node[i].v.leave_priority = priority;
	}
}

static void sim_free(struct sim *s)
{
	u32 i;

	for (i = 1; i <= s->n; i++)
		mosix_info_view_free(&s->node[i].v);
	mosix_map_free(&s->map);
	free(s->node);
	free(s->buf);
	free(s->dest);
	free(s->len);
}

/* node i's datagram of this tick into its buffer; returns its length */
static int build(struct sim *s, u32 i)
{
	struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX];
	struct mosix_info_msg_hdr h;
	struct node *nd = &s->node[i];
	int n, len;

	n = mosix_info_view_pick_window(&nd->v, s->now, e, s->window + 1);
	if (n < 1)
		die("pick_window");
	mosix_info_view_fill_hdr(&nd->v, ++nd->seq, &h);
	len = mosix_info_encode(&h, e, (unsigned int)n, s->buf + i * s->dgram,
				s->dgram);
	if (len < 0)
		die("encode refused what pick_window made");
	return len + MOSIX_INFO_TAG_LEN;
}

static void deliver(struct sim *s, u32 to, const u8 *buf, int len)
{
	struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX];
	struct mosix_info_msg_hdr h;
	enum mosix_info_drop why;
	int n;

	if (!to || s->node[to].gone)
		return;
	n = mosix_info_decode(buf, (size_t)len, &h, e, MOSIX_INFO_ENTRIES_MAX, &why);
	if (n < 0) {
		fprintf(stderr, "decode: %s\n", mosix_info_drop_name(why));
		die("decode refused what encode made");
	}
	mosix_info_view_merge(&s->node[to].v, e, (unsigned int)n, &s->map, s->now);
}

/* one synchronous tick: every live node builds, then all are delivered */
static void tick(struct sim *s)
{
	u32 i, k, start = rnd(s) % s->n;

	for (i = 1; i <= s->n; i++) {
		struct node *nd = &s->node[i];

		s->len[i] = 0;
		if (nd->gone)
			continue;
		s->node_ticks++;
		nd->v.self.load = rnd(s) % 8000;
		s->len[i] = build(s, i);
		s->dest[i] = mosix_info_pick_peer(&s->map, i, rnd(s));
	}
	/* delivery order rotates, so no node is always served first */
	for (k = 0; k < s->n; k++) {
		i = 1 + (start + k) % s->n;
		if (!s->len[i])
			continue;
		s->sent++;
		deliver(s, s->dest[i], s->buf + i * s->dgram, s->len[i]);
	}
	s->now += TICK_MS;
}

static void mean_age(struct sim *s, double *sum, double *count)
{
	u32 i, j;

	for (i = 1; i <= s->n; i++) {
		const struct mosix_info_view *v = &s->node[i].v;

		if (s->node[i].gone)
			continue;
		for (j = 0; j < v->nr; j++) {
			*sum += (double)(s->now - v->slot[j].stamp_ms) / TICK_MS;
			*count += 1;
		}
	}
}

/* live nodes other than pe that hold it leaving or down */
static u32 holders(struct sim *s, u32 pe, bool mark)
{
	struct mosix_info_entry e;
	u32 i, n = 0;

	for (i = 1; i <= s->n; i++) {
		if (i == pe || s->node[i].gone)
			continue;
		if (mosix_info_view_lookup(&s->node[i].v, pe, s->now, &e) &&
		    e.status != MOSIX_INFO_STATUS_UP) {
			n++;
			if (mark)
				s->node[i].knew = true;
		}
	}
	return n;
}

/*
 * Node l leaves: its LEAVE goes out as its one datagram of the next tick,
 * to one random peer, and the node is gone afterwards. With burst it is
 * also sent right away to every peer in its view and to 3 random ones, as
 * the module does.
 */
static void start_leave(struct sim *s, u32 l, bool burst)
{
	struct mosix_info_entry e[MOSIX_INFO_ENTRIES_MAX];
	unsigned int n, j;

	mosix_info_view_mark_self_leaving(&s->node[l].v);
	if (!burst)
		return;
	n = mosix_info_view_snapshot(&s->node[l].v, s->now, e, MOSIX_INFO_ENTRIES_MAX);
	s->len[l] = build(s, l);
	for (j = 0; j < n + 3; j++) {
		u32 to = j < n ? e[j].pe : mosix_info_pick_peer(&s->map, l, rnd(s));

		if (to != l)
			deliver(s, to, s->buf + l * s->dgram, s->len[l]);
	}
}

/* ticks until every other node holds l's notice; -1: not within max age */
static int leave_trial(struct sim *s, u32 l, bool burst, bool mark)
{
	u32 t, max_ticks = s->max_age_ms / TICK_MS;

	start_leave(s, l, burst);
	for (t = 1; t <= max_ticks; t++) {
		tick(s);
		s->node[l].gone = true;
		if (holders(s, l, mark) == s->n - 1)
			return (int)t;
	}
	return -1;
}

/* l boots again: a new epoch, an empty view */
static void rejoin(struct sim *s, u32 l)
{
	struct node *nd = &s->node[l];
	struct mosix_info_entry e = nd->v.self;
	bool prio = nd->v.leave_priority;

	mosix_info_view_free(&nd->v);
	if (mosix_info_view_init(&nd->v, l, s->window, s->max_age_ms))
		die("view");
	nd->v.leave_priority = prio;
	e.epoch += 1000000;
	e.status = MOSIX_INFO_STATUS_UP;
	if (mosix_info_view_set_self(&nd->v, &e))
		die("rejoin");
	nd->gone = false;
	nd->seq = 0;
}

struct stat {
	int n, max, fails;
	double sum;
};

static void stat_add(struct stat *st, int v)
{
	if (v < 0) {
		st->fails++;
		return;
	}
	st->n++;
	st->sum += v;
	if (v > st->max)
		st->max = v;
}

struct result {
	double mean_age, held;
	struct stat gossip, burst;
	u32 no_prio_knew;
	u64 sent, node_ticks;
};

static void run(u32 n, u32 window, u64 seed, unsigned int trials,
		struct result *r)
{
	struct sim s;
	double sum = 0, count = 0;
	u32 t, l, i, knew = 0;
	unsigned int k;

	memset(r, 0, sizeof(*r));
	sim_init(&s, n, window, seed, true);
	for (t = 0; t < WARMUP_TICKS; t++)
		tick(&s);
	for (t = 0; t < MEASURE_TICKS; t++) {
		tick(&s);
		mean_age(&s, &sum, &count);
	}
	r->mean_age = sum / count;
	r->held = count / MEASURE_TICKS / n;

	/* one node leaves at a time, then boots again with a new epoch */
	for (k = 0; k < 2 * trials; k++) {
		l = 1 + rnd(&s) % n;
		stat_add(k & 1 ? &r->burst : &r->gossip,
			 leave_trial(&s, l, k & 1, false));
		rejoin(&s, l);
	}

	/* the same without leave priority: the notice dies out */
	for (i = 1; i <= n; i++)
		s.node[i].v.leave_priority = false;
	l = 1 + rnd(&s) % n;
	leave_trial(&s, l, false, true);
	for (i = 1; i <= n; i++)
		knew += s.node[i].knew;
	r->no_prio_knew = knew;
	r->sent = s.sent;
	r->node_ticks = s.node_ticks;
	sim_free(&s);
}

int main(int argc, char **argv)
{
	static const u32 def[] = { 64, 256, 1024, 4096, 16384, 65535 };
	u32 list[64], nr = 0, window = MOSIX_INFO_WINDOW_DEFAULT, i;
	u64 seed = 1;
	int a, fail = 0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-s") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "-w") && a + 1 < argc)
			window = (u32)strtoul(argv[++a], NULL, 0);
		else if (nr < 64 && atoi(argv[a]) >= 3 && atoi(argv[a]) <= 65535)
			list[nr++] = (u32)atoi(argv[a]);
		else
			die("usage: sim_info [-s SEED] [-w WINDOW] [N ...] (3 <= N <= 65535)");
	}
	if (!window || window > MOSIX_INFO_WINDOW_MAX)
		die("window out of range");
	if (!nr)
		for (nr = 0; nr < sizeof(def) / sizeof(def[0]); nr++)
			list[nr] = def[nr];

	printf("info daemon simulator: window W=%u, %zu-byte datagrams, seed %llu\n",
	       window, (size_t)(MOSIX_INFO_HDR_LEN + (window + 1) * MOSIX_INFO_ENTRY_LEN +
				MOSIX_INFO_TAG_LEN), (unsigned long long)seed);
	printf("%6s %4s %8s %4s %15s %9s %6s %7s %9s %4s\n", "N", "age",
	       "mean_age", "held", "spread avg/max", "+notice", "bound",
	       "no_prio", "msgs/node", "secs");
	for (i = 0; i < nr; i++) {
		unsigned int trials = list[i] <= 4096 ? 5 : 2;
		double bound = log2(list[i]) + log(list[i]) + 5;
		time_t t0 = time(NULL);
		struct result r;

		run(list[i], window, seed, trials, &r);
		printf("%6u %4u %8.2f %4.1f %9.1f/%-2d%s %4.1f/%-2d%s %6.1f %7u %9.6f %4ld\n",
		       list[i], max_age_ticks(list[i]), r.mean_age, r.held,
		       r.gossip.sum / r.gossip.n, r.gossip.max,
		       r.gossip.fails ? "!" : " ", r.burst.sum / r.burst.n,
		       r.burst.max, r.burst.fails ? "!" : " ", bound,
		       r.no_prio_knew,
		       (double)r.sent / (double)r.node_ticks,
		       (long)(time(NULL) - t0));
		fflush(stdout);
		if (r.sent != r.node_ticks) {
			printf("  FAIL: not exactly one datagram per node per tick\n");
			fail = 1;
		}
		if (r.gossip.fails || r.burst.fails ||
		    r.gossip.sum / r.gossip.n > bound || r.burst.max > bound) {
			printf("  FAIL: a leave notice did not reach every node in time\n");
			fail = 1;
		}
		if (r.mean_age > window / 2.0) {
			printf("  FAIL: mean age above W/2\n");
			fail = 1;
		}
	}
	printf("age: the module's max age in ticks (also how long a notice is protected)\n"
	       "mean_age: ticks, entries held about others after %u warm-up ticks; held: per node\n"
	       "spread: ticks until all hold a LEAVE sent to ONE random peer (gossip only)\n"
	       "+notice: LEAVE also sent to the view's peers and 3 random ones (the module)\n"
	       "bound: log2 N + ln N + 5; no_prio: how many nodes ever learnt of a\n"
	       "gossip-only notice without leave priority in the window; !: not all reached\n",
	       WARMUP_TICKS);
	return fail;
}
