// SPDX-License-Identifier: GPL-2.0
/*
 * Placement and load-balancing simulator: runs the module's own decision
 * code (module/mosix_balance.c: load figure, placement, per-tick decision,
 * admission) for N simulated nodes and compares it with no balancing and
 * with two central greedy oracles.
 *
 * Cluster: node i has speed (1 + i % 4) x 1000 (work units per second: 1
 * to 4 times the base), 1, 2 or 4 CPUs ((i / 4) % 3) and 2 GiB per CPU.
 * Jobs arrive as a Poisson process at a node chosen uniformly at random,
 * with an offered load of -r (0.75) of the cluster's capacity; CPU time is
 * bounded Pareto (alpha 1.5, 30 s mean and 10.75 s .. 2150 s at base speed:
 * heavy-tailed), memory lognormal (median 64 MiB, cap 1.5 GiB). Time goes
 * in ticks of 1 s; within a tick each node runs its jobs processor-shared
 * over its CPUs at its speed (exactly: completions and joins are events).
 * A remote start costs 50 ms, a move 100 ms plus the memory at 100 MB/s,
 * during which the job makes no progress; a moved job's memory is held by
 * its target from the start of the move.
 *
 * Policies, on the same cluster and the same jobs:
 *   none    a job runs where it arrives
 *   ours    the arrival node places the job (mosix_balance_place() over
 *           its own entry and its view), the target admits or refuses
 *           (mosix_balance_admit(); after a refusal the next choice, at
 *           most 3 offers, then the job stays); every tick every node
 *           takes its own mosix_balance_decide() (at most one move) and
 *           offers the move, which the target admits or refuses. The
 *           view: W (-w, 16) other nodes drawn at random each tick (the
 *           info daemon's window), as they published themselves at the
 *           start of the previous tick (mosix_balance_load_update() and
 *           _report() on the jobs they held); its own state a node knows
 *           now, the target of an offer too.
 *   oracle  central and greedy, knowing every job's remaining work and
 *           every node's state now: each arriving job goes to the node
 *           where it finishes first (processor sharing with the jobs there,
 *           no later arrivals, start cost included); every tick, the
 *           largest jobs of overloaded nodes (more jobs than CPUs) and the
 *           largest job of every other busy node move, largest first, to
 *           the fastest free CPUs while that makes them finish earlier,
 *           move cost included.
 *   mc      the same, but an arriving job goes where it adds the least to
 *           the sum of slowdowns: its own plus the time it takes from the
 *           jobs already there, each over its ideal time (the marginal
 *           cost; stronger than "finishes first", which is selfish).
 *
 * Printed per N: mean slowdown (time in system / CPU time on an idle node
 * of the fastest speed) of the jobs arriving after a warm-up of 20% of the
 * arrival period (-j, 60 jobs per node arrive in all) for each policy, ours
 * over each oracle, moves (after the start) per job, ours and the finish-
 * first oracle's, and the share of our offers (placements and moves) that
 * their targets refused. The targets of issue 11 are checked against the
 * better of the two oracles (exit status 1 if one fails):
 *   ours within 1.25x the oracle's mean slowdown at N = 64
 *   ours within 1.5x at N = 4096
 *   fewer than 2 moves per job (ours) at every N
 *
 * usage: sim_place [-s SEED] [-w WINDOW] [-r LOAD] [-j JOBS_PER_NODE]
 *                  [-t name=value] [-v] [N ...]   (default N: 4 .. 4096)
 * -t sets a tunable of struct mosix_balance_tun (hyst, residency, repay,
 * fixed, margin, low, admit, admit_hyst, tol, spread); -v prints more.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mosix_balance.h"

#define SPEED_BASE	1000
#define RATE_BPS	100e6
#define MOVE_FIXED_S	0.1
#define PLACE_S		0.05
#define WORK_ALPHA	1.5
#define WORK_MIN	10.75
#define WORK_MAX	2150.0
#define MEM_MEDIAN_KB	65536.0
#define MEM_SIGMA	1.2
#define MEM_CAP_KB	(1536ULL << 10)
#define EPS		1e-9

enum policy { P_NONE, P_OURS, P_ORACLE, P_MC, P_NR };
static const char *const policy_name[P_NR] = { "none", "ours", "oracle", "mc" };

struct job {
	double arrive, work;
	u64 mem_kb;
	u32 origin;
	/* per run */
	double rem, ready, here_since, done;
	u32 node, moves;
};

struct snode {
	u32 pe, mult, cpus;
	u64 mem_kb, used_kb;
	u32 *jobs, nr, cap;		/* by remaining work, ascending */
	u32 load;			/* mosix_balance_load_update() */
	struct mosix_balance_round round;
};

struct result {
	double slow_sum;
	u64 measured, moves, remote, refused, offers, move_offers, move_refused;
	double ticks;
};

struct sim {
	u32 n, window, njobs, max_mult;
	double rho, t_arr, warm;
	struct snode *node;
	struct job *job;
	struct mosix_balance_tun tun;
	struct mosix_balance_node *pub, *pub_prev, *view;
	struct mosix_balance_job *cand;
	u32 *cand_idx, cand_cap;
	u32 *order, *by_speed;
	u64 rng;
	/* oracle scratch */
	u32 *slot;
	u32 *ocand;
};

static u64 rng_next(u64 *st)
{
	/* xorshift64* */
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 2685821657736338717ULL;
}

static u32 rnd(struct sim *s)
{
	return (u32)(rng_next(&s->rng) >> 32);
}

/* uniform in (0, 1) */
static double unif(struct sim *s)
{
	return ((double)(rng_next(&s->rng) >> 11) + 0.5) / 9007199254740992.0;
}

static void die(const char *what)
{
	fprintf(stderr, "sim_place: %s\n", what);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* bounded Pareto: mean of the distribution */
static double work_mean(void)
{
	double a = WORK_ALPHA, k = WORK_MIN, p = WORK_MAX;

	return pow(k, a) / (1 - pow(k / p, a)) * a / (a - 1) *
	       (pow(k, 1 - a) - pow(p, 1 - a));
}

static double work_draw(struct sim *s)
{
	double a = WORK_ALPHA, k = WORK_MIN, p = WORK_MAX, u = unif(s);

	/* inverse CDF */
	return k / pow(1 - u * (1 - pow(k / p, a)), 1 / a);
}

static double normal(struct sim *s)
{
	/* Box-Muller */
	return sqrt(-2 * log(unif(s))) * cos(2 * M_PI * unif(s));
}

static void sim_init(struct sim *s, u32 n, u32 window, double rho,
		     u32 jobs_per_node, u64 seed)
{
	double cap = 0, t = 0, lambda;
	u32 i, k, m;

	s->n = n;
	s->window = window < n - 1 ? window : n - 1;
	s->rho = rho;
	s->rng = seed * 0x9e3779b97f4a7c15ULL + n * 0x2545f4914f6cdd1dULL + 1;
	s->node = xcalloc(n, sizeof(*s->node));
	s->pub = xcalloc(n, sizeof(*s->pub));
	s->pub_prev = xcalloc(n, sizeof(*s->pub_prev));
	s->view = xcalloc(s->window + 1, sizeof(*s->view));
	s->order = xcalloc(n, sizeof(*s->order));
	s->by_speed = xcalloc(n, sizeof(*s->by_speed));
	s->max_mult = 1;
	for (i = 0; i < n; i++) {
		struct snode *nd = &s->node[i];

		nd->pe = i + 1;
		nd->mult = 1 + i % 4;
		nd->cpus = 1U << ((i / 4) % 3);
		nd->mem_kb = (u64)nd->cpus * (2ULL << 20);
		cap += nd->mult * nd->cpus;
		if (nd->mult > s->max_mult)
			s->max_mult = nd->mult;
		s->order[i] = i;
	}
	/* nodes by speed, fastest first (ties by index) */
	for (k = 0, m = 4; m >= 1; m--)
		for (i = 0; i < n; i++)
			if (s->node[i].mult == m)
				s->by_speed[k++] = i;
	s->njobs = n * jobs_per_node;
	s->job = xcalloc(s->njobs, sizeof(*s->job));
	lambda = rho * cap / work_mean();
	for (i = 0; i < s->njobs; i++) {
		struct job *j = &s->job[i];
		double mem;

		t += -log(unif(s)) / lambda;
		j->arrive = t;
		j->work = work_draw(s);
		mem = MEM_MEDIAN_KB * exp(MEM_SIGMA * normal(s));
		j->mem_kb = mem > (double)MEM_CAP_KB ? MEM_CAP_KB : (u64)mem + 1;
		j->origin = rnd(s) % n;
	}
	s->t_arr = t;
	s->warm = 0.2 * t;
	s->slot = xcalloc(n * 4 + 1, sizeof(*s->slot));
	s->ocand = xcalloc(s->njobs + 1, sizeof(*s->ocand));
}

static void sim_free(struct sim *s)
{
	u32 i;

	for (i = 0; i < s->n; i++)
		free(s->node[i].jobs);
	free(s->node);
	free(s->pub);
	free(s->pub_prev);
	free(s->view);
	free(s->order);
	free(s->by_speed);
	free(s->job);
	free(s->cand);
	free(s->cand_idx);
	free(s->slot);
	free(s->ocand);
}

/* ---- the nodes' job lists ---- */

static void list_insert(struct sim *s, struct snode *nd, u32 ji)
{
	u32 k;

	if (nd->nr == nd->cap) {
		nd->cap = nd->cap ? 2 * nd->cap : 8;
		nd->jobs = realloc(nd->jobs, nd->cap * sizeof(*nd->jobs));
		if (!nd->jobs)
			die("out of memory");
	}
	for (k = nd->nr; k && s->job[nd->jobs[k - 1]].rem > s->job[ji].rem; k--)
		nd->jobs[k] = nd->jobs[k - 1];
	nd->jobs[k] = ji;
	nd->nr++;
}

static void list_remove(struct snode *nd, u32 ji)
{
	u32 k;

	for (k = 0; k < nd->nr && nd->jobs[k] != ji; k++)
		;
	if (k == nd->nr)
		die("job not on its node");
	memmove(&nd->jobs[k], &nd->jobs[k + 1], (nd->nr - k - 1) * sizeof(u32));
	nd->nr--;
}

static void list_sort(struct sim *s, struct snode *nd)
{
	u32 i, k, ji;

	for (i = 1; i < nd->nr; i++) {
		ji = nd->jobs[i];
		for (k = i; k && s->job[nd->jobs[k - 1]].rem > s->job[ji].rem; k--)
			nd->jobs[k] = nd->jobs[k - 1];
		nd->jobs[k] = ji;
	}
}

static void put_job(struct sim *s, u32 ji, u32 node, double ready)
{
	struct job *j = &s->job[ji];

	j->node = node;
	j->ready = ready;
	j->here_since = ready;
	s->node[node].used_kb += j->mem_kb;
	list_insert(s, &s->node[node], ji);
}

static void take_job(struct sim *s, u32 ji)
{
	struct snode *nd = &s->node[s->job[ji].node];

	nd->used_kb -= s->job[ji].mem_kb;
	list_remove(nd, ji);
}

static double move_s(const struct job *j)
{
	return MOVE_FIXED_S + (double)j->mem_kb * 1024 / RATE_BPS;
}

static void move_job(struct sim *s, u32 ji, u32 to, double now,
		     struct result *r)
{
	take_job(s, ji);
	s->job[ji].moves++;
	r->moves++;
	put_job(s, ji, to, now + move_s(&s->job[ji]));
}

/* ---- processor sharing within one tick ---- */

static void run_tick(struct sim *s, struct snode *nd, double now,
		     struct result *r)
{
	double t = now, end = now + 1;
	u32 k, n, q;

	while (nd->nr && t < end - EPS) {
		double join = end, min_rem = INFINITY, rate, step;

		for (n = 0, k = 0; k < nd->nr; k++) {
			const struct job *j = &s->job[nd->jobs[k]];

			if (j->ready <= t + EPS) {
				n++;
				if (j->rem < min_rem)
					min_rem = j->rem;
			} else if (j->ready < join) {
				join = j->ready;
			}
		}
		if (!n) {
			t = join;
			continue;
		}
		rate = (double)nd->mult * (n <= nd->cpus ? 1.0 : (double)nd->cpus / n);
		step = min_rem / rate;
		if (t + step > join)
			step = join - t;
		for (q = 0, k = 0; k < nd->nr; k++) {
			u32 ji = nd->jobs[k];
			struct job *j = &s->job[ji];

			if (j->ready <= t + EPS) {
				j->rem -= rate * step;
				if (j->rem <= EPS * j->work) {
					j->rem = 0;
					j->done = t + step;
					s->node[j->node].used_kb -= j->mem_kb;
					if (j->arrive >= s->warm && j->arrive < s->t_arr) {
						r->slow_sum += (j->done - j->arrive) /
							       (j->work / s->max_mult);
						r->measured++;
					}
					continue;
				}
			}
			nd->jobs[q++] = ji;
		}
		nd->nr = q;
		t += step;
	}
	list_sort(s, nd);
}

/* ---- ours: the module's code ---- */

static void entry_of(const struct sim *s, u32 i, struct mosix_balance_node *e)
{
	const struct snode *nd = &s->node[i];

	e->pe = nd->pe;
	e->up = true;
	e->cpus = nd->cpus;
	e->speed = nd->mult * SPEED_BASE;
	e->load = mosix_balance_load_report(nd->load, nd->nr, nd->cpus);
	e->free_kb = nd->mem_kb > nd->used_kb ? nd->mem_kb - nd->used_kb : 0;
}

/*
 * A node's own state, as it knows it now: its load figure, but never below
 * the tasks it holds now, those on their way to it included; for the
 * admission (round) without those it accepted this round, which the round
 * counts itself.
 */
static void self_of(const struct sim *s, u32 i, struct mosix_balance_node *e,
		    bool round)
{
	const struct snode *nd = &s->node[i];
	u32 nr = nd->nr - (round ? nd->round.accepted : 0);

	entry_of(s, i, e);
	e->load = mosix_balance_load_report(nd->load, nr, nd->cpus);
	if (round)
		e->free_kb += nd->round.accepted_kb;
}

/* view[0] = self, then W others as published a tick ago; returns the count */
static u32 make_view(struct sim *s, u32 i)
{
	u32 k = 1, m, tries;

	self_of(s, i, &s->view[0], false);
	if (s->window >= s->n - 1) {
		for (m = 0; m < s->n; m++)
			if (m != i)
				s->view[k++] = s->pub_prev[m];
		return k;
	}
	while (k < s->window + 1) {
		for (tries = 0; tries < 8; tries++) {
			u32 c = rnd(s) % s->n, q;

			if (c == i)
				continue;
			for (q = 1; q < k && s->view[q].pe != c + 1; q++)
				;
			if (q == k) {
				s->view[k++] = s->pub_prev[c];
				break;
			}
		}
	}
	return k;
}

static bool offer(struct sim *s, u32 to, u64 mem_kb, u64 cost_from,
		  struct result *r)
{
	struct mosix_balance_node tgt;
	struct mosix_balance_offer o = { .mem_kb = mem_kb, .cost_from = cost_from };

	r->offers++;
	self_of(s, to, &tgt, true);
	if (mosix_balance_admit(&s->tun, &tgt, &s->node[to].round, &o))
		return true;
	r->refused++;
	return false;
}

static void arrive_ours(struct sim *s, u32 ji, double now, struct result *r)
{
	struct job *j = &s->job[ji];
	u32 me = j->origin, nv = make_view(s, me), tries, pe, k;
	double start = j->arrive > now ? j->arrive : now;
	u64 c;

	for (tries = 0; tries < 3; tries++) {
		pe = mosix_balance_place(&s->tun, s->view, nv, me + 1, j->mem_kb,
					 rnd(s), &c);
		if (!pe || pe == me + 1)
			break;
		if (offer(s, pe - 1, j->mem_kb,
			  mosix_balance_cost_after(&s->view[0], 0), r)) {
			r->remote++;
			put_job(s, ji, pe - 1, start + PLACE_S);
			return;
		}
		for (k = 1; k < nv; k++)
			if (s->view[k].pe == pe)
				s->view[k].up = false;
	}
	put_job(s, ji, me, start);
}

static void balance_ours(struct sim *s, double now, struct result *r)
{
	struct mosix_balance_move mv;
	u32 x, i, k, nc, nv;

	/* a different order every tick: no node always offers first */
	for (x = s->n; x > 1; x--) {
		u32 y = rnd(s) % x, t = s->order[x - 1];

		s->order[x - 1] = s->order[y];
		s->order[y] = t;
	}
	for (x = 0; x < s->n; x++) {
		struct snode *nd = &s->node[i = s->order[x]];

		if (!nd->nr)
			continue;
		if (nd->nr > s->cand_cap) {
			s->cand_cap = nd->nr * 2;
			free(s->cand);
			free(s->cand_idx);
			s->cand = xcalloc(s->cand_cap, sizeof(*s->cand));
			s->cand_idx = xcalloc(s->cand_cap, sizeof(*s->cand_idx));
		}
		for (nc = 0, k = 0; k < nd->nr; k++) {
			const struct job *j = &s->job[nd->jobs[k]];

			if (j->ready > now)
				continue;	/* still on its way here */
			s->cand[nc].mem_kb = j->mem_kb;
			s->cand[nc].cpu_ms = (u32)((j->work - j->rem) / nd->mult * 1000);
			s->cand[nc].residency_ms = (u32)((now - j->here_since) * 1000);
			s->cand[nc].stay = false;
			s->cand_idx[nc++] = nd->jobs[k];
		}
		if (!nc)
			continue;
		nv = make_view(s, i);
		if (!mosix_balance_decide(&s->tun, &s->view[0], s->view + 1, nv - 1,
					  s->cand, nc, 0, rnd(s), &mv))
			continue;
		r->move_offers++;
		if (offer(s, mv.pe - 1, s->cand[mv.job].mem_kb, mv.cost_here, r))
			move_job(s, s->cand_idx[mv.job], mv.pe - 1, now, r);
		else
			r->move_refused++;
	}
}

/* ---- the oracle ---- */

/*
 * When a job of work w started now on nd would finish (from now), under
 * processor sharing with the jobs there (all of them served equally, no
 * later arrivals); skip: a job of nd to leave out (or UINT32_MAX).
 */
static double ps_finish(const struct sim *s, const struct snode *nd, double w,
			u32 skip)
{
	double t = 0, x = 0;
	u32 m = nd->nr + 1 - (skip != UINT32_MAX), k;

	for (k = 0; k < nd->nr; k++) {
		double rem = s->job[nd->jobs[k]].rem;

		if (nd->jobs[k] == skip)
			continue;
		if (rem >= w)
			break;
		t += (rem - x) * (m > nd->cpus ? (double)m / nd->cpus : 1.0) / nd->mult;
		x = rem;
		m--;
	}
	return t + (w - x) * (m > nd->cpus ? (double)m / nd->cpus : 1.0) / nd->mult;
}

static bool fits(const struct sim *s, const struct snode *nd, u64 mem_kb)
{
	return nd->mem_kb >= nd->used_kb + mem_kb + s->tun.mem_margin_kb;
}

static void arrive_oracle(struct sim *s, u32 ji, double now, struct result *r)
{
	struct job *j = &s->job[ji];
	double start = j->arrive > now ? j->arrive : now;
	double best = ps_finish(s, &s->node[j->origin], j->work, UINT32_MAX), f;
	u32 best_i = j->origin, x, i;

	for (x = 0; x < s->n; x++) {
		const struct snode *nd = &s->node[i = s->by_speed[x]];

		/* nodes come fastest first: none of the rest can do better */
		if (PLACE_S + j->work / nd->mult >= best)
			break;
		if (i == j->origin || !fits(s, nd, j->mem_kb))
			continue;
		f = PLACE_S + ps_finish(s, nd, j->work, UINT32_MAX);
		if (f < best) {
			best = f;
			best_i = i;
		}
	}
	if (best_i != j->origin) {
		r->remote++;
		put_job(s, ji, best_i, start + PLACE_S);
	} else {
		put_job(s, ji, best_i, start);
	}
}

/*
 * What starting a job of work w on nd after delay adds to the sum of the
 * slowdowns: its own, plus the time it takes from every job there (the
 * same processor-sharing horizon as ps_finish()), each over its ideal time.
 */
static double ps_marginal(const struct sim *s, const struct snode *nd, double w,
			  double delay)
{
	double x = 0, t = 0, extra = 0, alive = 0, f_new, f_old, hi, rem;
	double c = nd->cpus, sp = nd->mult;
	u32 m = nd->nr, k;
	bool done = false;

	for (k = 0; k < nd->nr; k++)
		alive += s->max_mult / s->job[nd->jobs[k]].work;
	for (k = 0; k < nd->nr; k++) {
		rem = s->job[nd->jobs[k]].rem;
		hi = rem < w ? rem : w;
		f_new = m + 1 > c ? (m + 1) / c : 1.0;
		f_old = m > c ? m / c : 1.0;
		t += (hi - x) * f_new / sp;
		extra += (hi - x) * (f_new - f_old) / sp * alive;
		x = hi;
		if (rem >= w) {
			done = true;
			break;
		}
		alive -= s->max_mult / s->job[nd->jobs[k]].work;
		m--;
	}
	if (!done)
		t += (w - x) / sp;
	return (delay + t) / (w / s->max_mult) + extra;
}

static void arrive_mc(struct sim *s, u32 ji, double now, struct result *r)
{
	struct job *j = &s->job[ji];
	double start = j->arrive > now ? j->arrive : now, ideal = j->work / s->max_mult;
	double best = ps_marginal(s, &s->node[j->origin], j->work, 0), f;
	u32 best_i = j->origin, x, i;

	for (x = 0; x < s->n; x++) {
		const struct snode *nd = &s->node[i = s->by_speed[x]];

		/* its own slowdown alone bounds the cost: none of the rest can do better */
		if ((PLACE_S + j->work / nd->mult) / ideal >= best)
			break;
		if (i == j->origin || !fits(s, nd, j->mem_kb))
			continue;
		f = ps_marginal(s, nd, j->work, PLACE_S);
		if (f < best) {
			best = f;
			best_i = i;
		}
	}
	if (best_i != j->origin) {
		r->remote++;
		put_job(s, ji, best_i, start + PLACE_S);
	} else {
		put_job(s, ji, best_i, start);
	}
}

static struct sim *sort_sim;

static int by_rem_desc(const void *a, const void *b)
{
	double ra = sort_sim->job[*(const u32 *)a].rem;
	double rb = sort_sim->job[*(const u32 *)b].rem;

	return ra < rb ? 1 : ra > rb ? -1 : (*(const u32 *)a > *(const u32 *)b) -
	       (*(const u32 *)a < *(const u32 *)b);
}

static void balance_oracle(struct sim *s, double now, struct result *r)
{
	u32 x, i, k, ns = 0, nc = 0, sl = 0, c, q;

	/* free CPUs, fastest first */
	for (x = 0; x < s->n; x++) {
		const struct snode *nd = &s->node[i = s->by_speed[x]];

		for (k = nd->nr; k < nd->cpus; k++)
			s->slot[ns++] = i;
	}
	if (!ns)
		return;
	/* candidates: the jobs beyond the CPUs of a node, or its largest */
	for (i = 0; i < s->n; i++) {
		const struct snode *nd = &s->node[i];
		u32 from = nd->nr > nd->cpus ? nd->cpus - 1 : nd->nr - 1;

		if (!nd->nr)
			continue;
		for (k = from; k < nd->nr; k++)
			if (s->job[nd->jobs[k]].ready <= now)
				s->ocand[nc++] = nd->jobs[k];
	}
	sort_sim = s;
	qsort(s->ocand, nc, sizeof(*s->ocand), by_rem_desc);
	for (c = 0; c < nc && sl < ns; c++) {
		u32 ji = s->ocand[c];
		struct job *j = &s->job[ji];
		const struct snode *here = &s->node[j->node];
		double stay = ps_finish(s, here, j->rem, ji);

		/* the fastest free CPU with room that makes it finish earlier */
		for (q = sl; q < ns; q++) {
			const struct snode *t;

			if (s->slot[q] == UINT32_MAX)
				continue;	/* taken */
			t = &s->node[s->slot[q]];
			if (move_s(j) + j->rem / t->mult >= stay)
				break;
			if (s->slot[q] == j->node || !fits(s, t, j->mem_kb) ||
			    t->nr >= t->cpus)
				continue;
			move_job(s, ji, s->slot[q], now, r);
			s->slot[q] = UINT32_MAX;
			break;
		}
		while (sl < ns && s->slot[sl] == UINT32_MAX)
			sl++;
	}
}

/* ---- one run ---- */

static void run(struct sim *s, enum policy p, struct result *r)
{
	u32 next = 0, i, tick;
	u64 live = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < s->n; i++) {
		struct snode *nd = &s->node[i];

		nd->nr = 0;
		nd->used_kb = 0;
		nd->load = 0;
		entry_of(s, i, &s->pub[i]);
		s->pub_prev[i] = s->pub[i];
	}
	for (i = 0; i < s->njobs; i++) {
		s->job[i].rem = s->job[i].work;
		s->job[i].done = -1;
		s->job[i].moves = 0;
	}
	s->rng ^= 0x5851f42d4c957f2dULL * (p + 1);
	for (tick = 0; next < s->njobs || live; tick++) {
		double now = tick;
		u64 held = 0;

		for (i = 0; i < s->n; i++) {
			struct snode *nd = &s->node[i];

			memset(&nd->round, 0, sizeof(nd->round));
			if (p == P_OURS) {
				nd->load = mosix_balance_load_update(nd->load, nd->nr,
								     nd->cpus);
				s->pub_prev[i] = s->pub[i];
				entry_of(s, i, &s->pub[i]);
			}
		}
		for (; next < s->njobs && s->job[next].arrive < now + 1; next++) {
			if (p == P_OURS)
				arrive_ours(s, next, now, r);
			else if (p == P_ORACLE)
				arrive_oracle(s, next, now, r);
			else if (p == P_MC)
				arrive_mc(s, next, now, r);
			else
				put_job(s, next, s->job[next].origin,
					s->job[next].arrive);
		}
		if (p == P_OURS)
			balance_ours(s, now, r);
		else if (p == P_ORACLE || p == P_MC)
			balance_oracle(s, now, r);
		for (i = 0; i < s->n; i++) {
			run_tick(s, &s->node[i], now, r);
			held += s->node[i].nr;
		}
		live = held;
	}
	r->ticks = tick;
}

static bool set_tunable(struct mosix_balance_tun *t, const char *arg)
{
	const char *eq = strchr(arg, '=');
	unsigned long long v;

	if (!eq)
		return false;
	v = strtoull(eq + 1, NULL, 0);
#define TUN(name, field) \
	if ((size_t)(eq - arg) == strlen(name) && !strncmp(arg, name, eq - arg)) { \
		t->field = v; \
		return true; \
	}
	TUN("hyst", hyst_pm)
	TUN("residency", min_residency_ms)
	TUN("repay", repay_pm)
	TUN("fixed", move_fixed_ms)
	TUN("margin", mem_margin_kb)
	TUN("low", mem_low_kb)
	TUN("admit", admit_per_cpu)
	TUN("admit_hyst", admit_hyst_pm)
	TUN("tol", place_tol_pm)
	TUN("spread", spread)
#undef TUN
	return false;
}

int main(int argc, char **argv)
{
	static const u32 def[] = { 4, 16, 64, 256, 1024, 4096 };
	struct mosix_balance_tun tun;
	u32 list[64], nr = 0, window = 16, jobs_per_node = 0, i;
	double rho = 0.75;
	bool verbose = false;
	u64 seed = 1;
	int a, fail = 0;

	mosix_balance_tun_default(&tun);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-s") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "-w") && a + 1 < argc)
			window = (u32)strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "-r") && a + 1 < argc)
			rho = strtod(argv[++a], NULL);
		else if (!strcmp(argv[a], "-j") && a + 1 < argc)
			jobs_per_node = (u32)strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "-t") && a + 1 < argc) {
			if (!set_tunable(&tun, argv[++a]))
				die("unknown tunable");
		} else if (!strcmp(argv[a], "-v"))
			verbose = true;
		else if (nr < 64 && atoi(argv[a]) >= 2 && atoi(argv[a]) <= 65535)
			list[nr++] = (u32)atoi(argv[a]);
		else
			die("usage: sim_place [-s SEED] [-w WINDOW] [-r LOAD] [-j JOBS_PER_NODE] "
			    "[-t name=value] [-v] [N ...] (2 <= N <= 65535)");
	}
	if (!window || rho <= 0 || rho >= 1.5)
		die("window or load out of range");
	if (!nr)
		for (nr = 0; nr < sizeof(def) / sizeof(def[0]); nr++)
			list[nr] = def[nr];

	printf("placement simulator: offered load %.2f, view W=%u, seed %llu\n",
	       rho, window, (unsigned long long)seed);
	printf("%5s %6s %8s %8s %8s %7s %8s %7s %9s %9s %7s %5s\n", "N", "jobs", "none",
	       "ours", "oracle", "ratio", "mc", "ratio", "moves/job", "or.moves",
	       "refused", "secs");
	for (i = 0; i < nr; i++) {
		struct result r[P_NR];
		struct sim s;
		double sd[P_NR], best, ratio, ratio_mc, ratio_best, mpj;
		time_t t0 = time(NULL);
		u32 jpn = jobs_per_node;
		int p;

		if (!jpn)
			jpn = 60;
		memset(&s, 0, sizeof(s));
		sim_init(&s, list[i], window, rho, jpn, seed);
		s.tun = tun;
		for (p = 0; p < P_NR; p++) {
			run(&s, p, &r[p]);
			sd[p] = r[p].measured ? r[p].slow_sum / r[p].measured : 0;
			if (verbose)
				printf("  %-6s measured %llu ticks %.0f moves %llu remote %llu "
				       "offers %llu refused %llu (moves: %llu, %llu)\n", policy_name[p],
				       (unsigned long long)r[p].measured, r[p].ticks,
				       (unsigned long long)r[p].moves,
				       (unsigned long long)r[p].remote,
				       (unsigned long long)r[p].offers,
				       (unsigned long long)r[p].refused,
				       (unsigned long long)r[p].move_offers,
				       (unsigned long long)r[p].move_refused);
		}
		best = sd[P_ORACLE] < sd[P_MC] ? sd[P_ORACLE] : sd[P_MC];
		ratio = sd[P_ORACLE] > 0 ? sd[P_OURS] / sd[P_ORACLE] : 0;
		ratio_mc = sd[P_MC] > 0 ? sd[P_OURS] / sd[P_MC] : 0;
		ratio_best = best > 0 ? sd[P_OURS] / best : 0;
		mpj = (double)r[P_OURS].moves / s.njobs;
		printf("%5u %6u %8.2f %8.2f %8.2f %7.3f %8.2f %7.3f %9.3f %9.3f %7.3f %5ld\n",
		       list[i], s.njobs, sd[P_NONE], sd[P_OURS], sd[P_ORACLE], ratio,
		       sd[P_MC], ratio_mc, mpj, (double)r[P_ORACLE].moves / s.njobs,
		       r[P_OURS].offers ? (double)r[P_OURS].refused / r[P_OURS].offers : 0,
		       (long)(time(NULL) - t0));
		fflush(stdout);
		if (list[i] == 64) {
			printf("  %s: ours / best oracle %.3f <= 1.25 at N = 64\n",
			       ratio_best <= 1.25 ? "PASS" : "FAIL", ratio_best);
			fail |= ratio_best > 1.25;
		}
		if (list[i] == 4096) {
			printf("  %s: ours / best oracle %.3f <= 1.5 at N = 4096\n",
			       ratio_best <= 1.5 ? "PASS" : "FAIL", ratio_best);
			fail |= ratio_best > 1.5;
		}
		printf("  %s: %.3f moves per job < 2\n", mpj < 2 ? "PASS" : "FAIL", mpj);
		fail |= mpj >= 2;
		sim_free(&s);
	}
	printf("slowdown: mean of time in system / CPU time on an idle fastest node, jobs\n"
	       "arriving after the warm-up; none: no balancing; oracle: central, greedy,\n"
	       "finish-first; mc: central, greedy, least added slowdown; ratio: ours over the\n"
	       "column before; moves/job: moves after the start, ours (or.moves: the oracle's);\n"
	       "refused: share of our offers that the target refused\n");
	return fail;
}
