// SPDX-License-Identifier: GPL-2.0
/*
 * Placement and load balancing decisions shared by the module, the unit
 * tests and the placement simulator; the rules and tunables are described
 * in mosix_balance.h. Pure functions of their arguments: no I/O, no locks,
 * no allocation, no floating point. Products are bounded (load figures at
 * MOSIX_BALANCE_LOAD_CAP, memory at MOSIX_INFO_MEM_MAX_KB, times at
 * BAL_TIME_CAP) so that no u64 expression can overflow, and 64-bit
 * divisions go through div_u64()/div64_u64() for 32-bit kernels.
 */
#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#else
#include "../tools/include/mosix_user.h"

static inline u64 div_u64(u64 a, u32 b)
{
	return a / b;
}

static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}
#endif

#include "mosix_balance.h"
#include "../include/uapi/linux/mosix.h"

/* ms: longer expected times are all "very long" (about 35 years) */
#define BAL_TIME_CAP	0x10000000000ULL	/* 2^40 */
/*
 * Per mille tunables are used up to these: a cost (< 2^52) times
 * (1000 + BAL_PM_CAP) and a move (< 2^40 ms) times BAL_REPAY_CAP fit a u64.
 */
#define BAL_PM_CAP	2000U
/* the largest cost: MOSIX_BALANCE_LOAD_CAP << 24 at speed 1 */
#define BAL_COST_CAP	((u64)MOSIX_BALANCE_LOAD_CAP << 24)
#define BAL_REPAY_CAP	100000U

static u64 min64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static u32 pm(u32 v)
{
	return v < BAL_PM_CAP ? v : BAL_PM_CAP;
}

static u32 ncpus(const struct mosix_balance_node *nd)
{
	return nd->cpus ? nd->cpus : 1;
}

/* a 32-bit mix (the murmur3 finaliser): tie-breaks from one random number */
static u32 mix32(u32 x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bU;
	x ^= x >> 13;
	x *= 0xc2b2ae35U;
	x ^= x >> 16;
	return x;
}

/* floor(sum * random / 2^32) for any u64 sum: a uniform pick in [0, sum) */
static u64 scale_random(u64 sum, u32 random)
{
	return (sum >> 32) * random + (((sum & 0xffffffffULL) * random) >> 32);
}

void mosix_balance_tun_default(struct mosix_balance_tun *t)
{
	t->hyst_pm = 300;
	t->min_residency_ms = 3000;
	t->repay_pm = 2000;
	t->move_fixed_ms = 100;
	t->rate_bytes = 100000000ULL;
	t->mem_margin_kb = 64 << 10;
	t->mem_low_kb = 128 << 10;
	t->admit_per_cpu = 1;
	t->admit_hyst_pm = 300;
	t->place_tol_pm = 150;
	t->spread = true;
}

u32 mosix_balance_load_update(u32 prev, u32 runnable, u32 cpus)
{
	u64 sample = div_u64((u64)runnable * MOSIX_BALANCE_LOAD_ONE,
			     cpus ? cpus : 1);

	sample = min64(sample, MOSIX_BALANCE_LOAD_CAP);
	prev = (u32)min64(prev, MOSIX_BALANCE_LOAD_CAP);
	/*
	 * Half the old figure, half the sample: 94% of a step within 4
	 * ticks. Rounding towards the sample makes a constant sample be
	 * reached exactly instead of stopping one short of it.
	 */
	if (sample > prev)
		return (u32)((prev + sample + 1) / 2);
	return (u32)((prev + sample) / 2);
}

u32 mosix_balance_load_report(u32 figure, u32 runnable, u32 cpus)
{
	u64 now = div_u64((u64)runnable * MOSIX_BALANCE_LOAD_ONE, cpus ? cpus : 1);

	/*
	 * A node that has just taken jobs must not look idle for the ticks
	 * its figure needs to rise: every node of the round would send it
	 * more. Falling, the decay still smooths a momentary dip.
	 */
	return (u32)min64(figure > now ? figure : now, MOSIX_BALANCE_LOAD_CAP);
}

u64 mosix_balance_cost(u64 load, u32 speed)
{
	/* below one task per CPU a job runs at the node's full speed */
	if (load < MOSIX_BALANCE_LOAD_ONE)
		load = MOSIX_BALANCE_LOAD_ONE;
	load = min64(load, MOSIX_BALANCE_LOAD_CAP);
	return div_u64(load << 24, speed ? speed : 1);
}

u64 mosix_balance_cost_after(const struct mosix_balance_node *nd, u32 extra)
{
	u32 cpus = ncpus(nd);
	/* rounded up: on a huge node one job still adds something */
	u64 add = div_u64(((u64)extra + 1) * MOSIX_BALANCE_LOAD_ONE + cpus - 1,
			  cpus);

	return mosix_balance_cost((u64)nd->load + add, nd->speed);
}

u64 mosix_balance_move_ms(const struct mosix_balance_tun *t, u64 mem_kb,
			  u64 rate_bytes)
{
	u64 rate = rate_bytes ? rate_bytes : t->rate_bytes;

	mem_kb = min64(mem_kb, MOSIX_INFO_MEM_MAX_KB);
	/* mem_kb * 1024 bytes * 1000 ms/s fits: 2^42 * 2^20 */
	return min64((u64)t->move_fixed_ms +
		     div64_u64(mem_kb * 1024 * 1000, rate ? rate : 1),
		     BAL_TIME_CAP);
}

/* room for mem_kb on nd, beside the margin and `reserve` */
static bool mem_fits(const struct mosix_balance_node *nd, u64 mem_kb,
		     u64 margin_kb, u64 reserve_kb)
{
	u64 need = min64(mem_kb, MOSIX_INFO_MEM_MAX_KB) +
		   min64(margin_kb, MOSIX_INFO_MEM_MAX_KB) +
		   min64(reserve_kb, MOSIX_INFO_MEM_MAX_KB);

	return nd->free_kb >= need;
}

static bool usable(const struct mosix_balance_node *nd)
{
	return nd->up && nd->pe;
}

u32 mosix_balance_place(const struct mosix_balance_tun *t,
			const struct mosix_balance_node *view, unsigned int n,
			u32 self_pe, u64 job_kb, u32 random, u64 *cost)
{
	u64 best = 0, c, best_c = 0, self_c = 0;
	u32 pe = 0, key, best_key = 0, tol = pm(t->place_tol_pm);
	unsigned int i;
	bool any = false, self_ok = false;

	for (i = 0; i < n; i++) {
		if (!usable(&view[i]) ||
		    !mem_fits(&view[i], job_kb, t->mem_margin_kb, 0))
			continue;
		c = mosix_balance_cost_after(&view[i], 0);
		if (!any || c < best)
			best = c;
		any = true;
		if (self_pe && view[i].pe == self_pe) {
			self_ok = true;
			self_c = c;
		}
	}
	if (!any)
		return 0;
	/*
	 * Starting here costs nothing and the figures about the others are a
	 * tick or more old: another node must do better by the tolerance.
	 */
	if (self_ok && self_c * 1000 <= best * (1000 + tol)) {
		pe = self_pe;
		best_c = self_c;
		goto out;
	}
	/*
	 * Every node within the tolerance of the best is as good a guess: the
	 * one whose PE hashes lowest with random, so that nodes placing in the
	 * same tick spread.
	 */
	for (i = 0; i < n; i++) {
		if (!usable(&view[i]) ||
		    !mem_fits(&view[i], job_kb, t->mem_margin_kb, 0))
			continue;
		c = mosix_balance_cost_after(&view[i], 0);
		if (c * 1000 > best * (1000 + tol))
			continue;
		key = mix32(view[i].pe ^ mix32(random));
		if (!pe || key < best_key ||
		    (key == best_key && view[i].pe < pe)) {
			pe = view[i].pe;
			best_key = key;
			best_c = c;
		}
	}
out:
	if (cost)
		*cost = best_c;
	return pe;
}

static bool may_move(const struct mosix_balance_tun *t,
		     const struct mosix_balance_job *j)
{
	return !j->stay && j->residency_ms >= t->min_residency_ms;
}

static bool is_target(const struct mosix_balance_node *self,
		      const struct mosix_balance_node *nd)
{
	return usable(nd) && nd->pe != self->pe;
}

/*
 * Under memory pressure: the largest movable job some node has room for
 * (keeping itself above mem_low_kb), to the cheapest such node.
 */
static bool decide_mem(const struct mosix_balance_tun *t,
		       const struct mosix_balance_node *self,
		       const struct mosix_balance_node *view, unsigned int n,
		       const struct mosix_balance_job *jobs,
		       unsigned int nr_jobs, u64 rate_bytes,
		       struct mosix_balance_move *out)
{
	unsigned int i, k, best_j = 0;
	u64 c, best_c = 0;
	u32 pe = 0;

	for (k = 0; k < nr_jobs; k++) {
		if (!may_move(t, &jobs[k]))
			continue;
		if (pe && (jobs[k].mem_kb < jobs[best_j].mem_kb ||
			   (jobs[k].mem_kb == jobs[best_j].mem_kb &&
			    jobs[k].cpu_ms <= jobs[best_j].cpu_ms)))
			continue;
		for (i = 0; i < n; i++) {
			if (!is_target(self, &view[i]) ||
			    !mem_fits(&view[i], jobs[k].mem_kb,
				      t->mem_margin_kb, t->mem_low_kb))
				continue;
			c = mosix_balance_cost_after(&view[i], 0);
			if (best_j != k || !pe || c < best_c) {
				best_j = k;
				best_c = c;
				pe = view[i].pe;
			}
		}
	}
	if (!pe)
		return false;
	out->job = best_j;
	out->pe = pe;
	out->why = MOSIX_BALANCE_MEM;
	out->cost_here = mosix_balance_cost(self->load, self->speed);
	out->gain_ms = 0;
	out->move_ms = mosix_balance_move_ms(t, jobs[best_j].mem_kb, rate_bytes);
	return true;
}

/* the job-independent part of the CPU rule */
struct cpu_eval {
	u64 cost_here;
	u64 slow_here;		/* the slowdown here x 1000 */
	u32 hyst;
	u32 repay;
};

/*
 * Net gain (gain minus repay_pm times the move, > 0) of moving job j to a
 * target whose cost after taking it is c, given ratio = the share of the
 * cost saved x 1024; 0 if a rule says no.
 */
static u64 net_gain(const struct mosix_balance_tun *t,
		    const struct cpu_eval *ev,
		    const struct mosix_balance_node *nd, u64 ratio,
		    const struct mosix_balance_job *j, u64 rate_bytes,
		    u64 *gain_ms, u64 *move_ms)
{
	u64 wall, gain, mv, price;

	if (!may_move(t, j) || !mem_fits(nd, j->mem_kb, t->mem_margin_kb, 0))
		return 0;
	/* the expected remaining wall time here: as much CPU time again */
	wall = div_u64((u64)j->cpu_ms * ev->slow_here, MOSIX_BALANCE_LOAD_ONE);
	wall = min64(wall, BAL_TIME_CAP);
	gain = (wall * ratio) >> 10;
	mv = mosix_balance_move_ms(t, j->mem_kb, rate_bytes);
	price = div_u64(mv * ev->repay, 1000);
	if (gain <= price)
		return 0;
	*gain_ms = gain;
	*move_ms = mv;
	return gain - price;
}

/* the share of the cost saved on nd x 1024, 0 if under the hysteresis */
static u64 saved_ratio(const struct cpu_eval *ev,
		       const struct mosix_balance_node *nd)
{
	u64 c = mosix_balance_cost_after(nd, 0);

	if (c * (1000 + ev->hyst) >= ev->cost_here * 1000)
		return 0;
	return div64_u64((ev->cost_here - c) << 10, ev->cost_here);
}

bool mosix_balance_decide(const struct mosix_balance_tun *t,
			  const struct mosix_balance_node *self,
			  const struct mosix_balance_node *view, unsigned int n,
			  const struct mosix_balance_job *jobs,
			  unsigned int nr_jobs, u64 rate_bytes, u32 random,
			  struct mosix_balance_move *out)
{
	struct cpu_eval ev;
	u64 best = 0, net, ratio, gain = 0, mv = 0, w, sum = 0, at = 0;
	unsigned int i, k, best_j = 0, best_i = 0, shift = 0, pass;

	if (!nr_jobs || !n)
		return false;
	if (self->free_kb < t->mem_low_kb &&
	    decide_mem(t, self, view, n, jobs, nr_jobs, rate_bytes, out))
		return true;

	ev.slow_here = min64(self->load > MOSIX_BALANCE_LOAD_ONE ?
			     self->load : MOSIX_BALANCE_LOAD_ONE,
			     MOSIX_BALANCE_LOAD_CAP);
	ev.cost_here = mosix_balance_cost(self->load, self->speed);
	ev.hyst = pm(t->hyst_pm);
	ev.repay = t->repay_pm < BAL_REPAY_CAP ? t->repay_pm : BAL_REPAY_CAP;

	/* the best (job, target) pair by net gain */
	for (i = 0; i < n; i++) {
		if (!is_target(self, &view[i]))
			continue;
		ratio = saved_ratio(&ev, &view[i]);
		if (!ratio)
			continue;
		for (k = 0; k < nr_jobs; k++) {
			net = net_gain(t, &ev, &view[i], ratio, &jobs[k],
				       rate_bytes, &gain, &mv);
			if (net > best) {
				best = net;
				best_j = k;
				best_i = i;
			}
		}
	}
	if (!best)
		return false;

	/*
	 * Spreading: every loaded node of the round sees about the same idle
	 * nodes. The chosen job goes to one of the targets that give at
	 * least half the best net gain, at random weighted by that gain.
	 * Weights are scaled to at most 2^16 so that their sum cannot wrap.
	 */
	if (t->spread) {
		while ((best >> shift) >= (1U << 16))
			shift++;
		for (pass = 0; pass < 2; pass++) {
			if (pass)
				at = scale_random(sum, random);
			for (i = 0; i < n; i++) {
				if (!is_target(self, &view[i]))
					continue;
				ratio = saved_ratio(&ev, &view[i]);
				if (!ratio)
					continue;
				net = net_gain(t, &ev, &view[i], ratio,
					       &jobs[best_j], rate_bytes, &gain,
					       &mv);
				if (!net || net * 2 < best)
					continue;
				w = (net >> shift) + 1;
				if (!pass) {
					sum += w;
					continue;
				}
				if (at < w) {
					best_i = i;
					break;
				}
				at -= w;
			}
		}
	}
	ratio = saved_ratio(&ev, &view[best_i]);
	net_gain(t, &ev, &view[best_i], ratio, &jobs[best_j], rate_bytes, &gain,
		 &mv);
	out->job = best_j;
	out->pe = view[best_i].pe;
	out->why = MOSIX_BALANCE_CPU;
	out->cost_here = ev.cost_here;
	out->gain_ms = gain;
	out->move_ms = mv;
	return true;
}

bool mosix_balance_admit(const struct mosix_balance_tun *t,
			 const struct mosix_balance_node *self,
			 struct mosix_balance_round *r,
			 const struct mosix_balance_offer *o)
{
	u64 cap = (u64)ncpus(self) * t->admit_per_cpu, c;
	u64 from = min64(o->cost_from, BAL_COST_CAP);

	if (!usable(self) || r->accepted >= (cap ? cap : 1))
		return false;
	if (!mem_fits(self, o->mem_kb, t->mem_margin_kb, r->accepted_kb))
		return false;
	/* counting what it took this round, the job must not lose by coming */
	c = mosix_balance_cost_after(self, r->accepted);
	if (c * (1000 + pm(t->admit_hyst_pm)) > from * 1000)
		return false;
	r->accepted++;
	r->accepted_kb += min64(o->mem_kb, MOSIX_INFO_MEM_MAX_KB);
	return true;
}
