/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Automatic placement and load balancing (issue 11): the pure decision
 * logic, compiled into the module, the unit tests and the placement
 * simulator (tests/sim/sim_place.c, which runs exactly this code). No I/O,
 * no locking, no allocation, integer arithmetic only.
 *
 * Every decision is local to one node, made from its own state and its view
 * of the cluster (the info daemon's window: a few other nodes, a tick or so
 * old); there is no central scheduler (MOSIX, Barak et al.).
 *
 * Load. mosix_balance_load_update() keeps a fast load figure: every tick
 * the runnable tasks per CPU, x1000, decayed by one half per tick. A CPU hog
 * on an idle 1-CPU node reads 500, 750, 875, 938 (94%) after 1..4 ticks and
 * an idle node falls to 0 as fast: it follows moves within a few ticks where
 * the kernel's 1-minute load average would take a minute. What a node
 * publishes and decides with is mosix_balance_load_report(): that figure,
 * but never below the runnable tasks now, so that a node which has just
 * taken jobs does not look idle to the whole cluster for three more ticks
 * (in the simulator: 4% lower mean slowdown than the decayed figure alone).
 *
 * Cost. What one more job pays on a node is its expected slowdown divided
 * by the node's speed: max(1, runnable per CPU after adding it) / speed, in
 * fixed point (mosix_balance_cost()): under processor sharing that is the
 * wall time one unit of work takes there. Lower is better; it is comparable
 * between nodes of any speed and CPU count.
 *
 * Placement (mosctl run --node auto, mosix_balance_place()): the node of the
 * view with the lowest cost after adding the job, among those up and with
 * free memory for the job plus mem_margin_kb: the job is expected to finish
 * first there. The figures about others are old, so nodes within
 * place_tol_pm of the best are as good: the placing node itself if it is
 * one of them (a local start costs nothing), else one picked by a caller's
 * random number, so that nodes placing at the same time spread.
 *
 * Balancing (mosix_balance_decide(), once per tick per node): at most ONE
 * outgoing move, following the opportunity-cost rule (Amir, Awerbuch, Barak,
 * Borgstrom, Keren 2000): a job moves when the cost it would pay on another
 * node is well below the cost it pays here and the time gained repays the
 * move. For a job j and a target t:
 *   - j is not pinned (stay) and has stayed min_residency_ms here since it
 *     arrived or moved in (no ping-pong on stale load figures);
 *   - hysteresis: cost(t, with j) * (1000 + hyst_pm) < cost(here) * 1000,
 *     i.e. j would run 1.3 times faster there;
 *   - t has free memory for j plus mem_margin_kb;
 *   - repay: gain * 1000 > move * repay_pm, where the gain is j's expected
 *     remaining wall time here minus there, the remaining CPU time being
 *     predicted by the CPU time j has used so far (a job that has run T is
 *     expected to run about T more: Harchol-Balter and Downey 1997), and the
 *     move is move_fixed_ms plus j's memory over the measured transfer rate.
 * Of all (job, target) pairs the job with the largest net gain (gain minus
 * repay times the move) is moved; when this node's free memory is below
 * mem_low_kb, the largest job that another node has room for (its free
 * memory minus the job stays above mem_low_kb + mem_margin_kb) moves first,
 * to the cheapest such node, whatever the CPU gain.
 *
 * Spreading. Decisions of one round are taken by all nodes from the same
 * views; without care every loaded node would send to the same idle node.
 * Two rules prevent it:
 *   - the sender picks the target of its chosen job at random among the
 *     good ones (net gain at least half the best), weighted by net gain;
 *   - the target, which knows its state now, admits an offer
 *     (mosix_balance_admit(), placements and moves alike) only while it has
 *     accepted fewer than admit_per_cpu per CPU this round and, counting
 *     what it accepted, the job would run at least (1000 + admit_hyst_pm) /
 *     1000 times faster than where it is (the offer carries that cost), and
 *     it has the memory. A node never takes more than its share from one
 *     round of all its peers; a refused sender keeps the job (placement
 *     tries its next choice) and decides again next tick.
 * The admission check is what makes decisions on old figures safe: in the
 * simulator about 2/3 of the offers are refused, mostly moves towards nodes
 * that others filled in the same tick, and a strict admit_hyst_pm gave the
 * lowest slowdown.
 *
 * Tunables (struct mosix_balance_tun, mosix_balance_tun_default()):
 *   hyst_pm          300     a move: the job runs 1.3x faster there
 *   min_residency_ms 3000    a job stays 3 s where it arrived before moving
 *   repay_pm         2000    the gain must be twice the move's cost
 *   move_fixed_ms    100     per-move overhead beside the memory transfer
 *   rate_bytes       100e6   bytes/s until a rate is measured (~1 Gb/s)
 *   mem_margin_kb    64 MiB  free memory a target keeps after taking a job
 *   mem_low_kb       128 MiB below this a node moves jobs out for memory
 *   admit_per_cpu    1       offers a node accepts per CPU and round
 *   admit_hyst_pm    300     admission: the job runs 1.3x faster here
 *   place_tol_pm     150     placement: within 15% of the best is as good
 *   spread           true    the randomised choice of target (else: best)
 * hyst_pm, admit_hyst_pm and place_tol_pm are used up to 2000, repay_pm up
 * to 100000. The defaults were tuned with tests/sim/sim_place.c (the mean
 * slowdown moves by a few per cent over hyst 200..500, residency 1..10 s,
 * repay 1..4x); see the table printed there.
 */
#ifndef MOSIX_BALANCE_H
#define MOSIX_BALANCE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "../tools/include/mosix_user.h"
#endif

/* load figures: runnable tasks per CPU x 1000 */
#define MOSIX_BALANCE_LOAD_ONE		1000U
/* above this a load figure is saturated (262144 tasks per CPU) */
#define MOSIX_BALANCE_LOAD_CAP		0x10000000U	/* 2^28 */
/* cost of a unit of work at slowdown 1 on a node of speed 1 */
#define MOSIX_BALANCE_COST_ONE		((u64)MOSIX_BALANCE_LOAD_ONE << 24)

struct mosix_balance_tun {
	u32 hyst_pm;
	u32 min_residency_ms;
	u32 repay_pm;
	u32 move_fixed_ms;
	u64 rate_bytes;
	u64 mem_margin_kb;
	u64 mem_low_kb;
	u32 admit_per_cpu;
	u32 admit_hyst_pm;
	u32 place_tol_pm;
	bool spread;
};

/* one node as the view (or the node itself) knows it */
struct mosix_balance_node {
	u32 pe;
	bool up;		/* up and accepting jobs */
	u32 cpus;		/* 0 is taken as 1 */
	u32 speed;		/* relative, bogomips-like; 0 is taken as 1 */
	u32 load;		/* runnable per CPU x 1000, the job's own included */
	u64 free_kb;
};

/* a job this node could move */
struct mosix_balance_job {
	u64 mem_kb;
	u32 cpu_ms;		/* CPU time used so far, in ms of this node's CPU */
	u32 residency_ms;	/* since it started here or moved in */
	bool stay;		/* pinned: never moved automatically */
};

enum mosix_balance_why {
	MOSIX_BALANCE_CPU = 1,	/* faster elsewhere by enough to repay */
	MOSIX_BALANCE_MEM,	/* this node is short of free memory */
};

/* the outcome of mosix_balance_decide() */
struct mosix_balance_move {
	unsigned int job;	/* index into the jobs given */
	u32 pe;			/* target */
	enum mosix_balance_why why;
	u64 cost_here;		/* for the offer: the job's cost here */
	u64 gain_ms;		/* expected remaining wall time saved */
	u64 move_ms;		/* expected cost of the move */
};

/* an offer of a job to a target, for mosix_balance_admit() */
struct mosix_balance_offer {
	u64 mem_kb;
	u64 cost_from;		/* the job's cost if the target refuses */
};

/* what a target accepted in the current round; zero it every round */
struct mosix_balance_round {
	u32 accepted;
	u64 accepted_kb;
};

void mosix_balance_tun_default(struct mosix_balance_tun *t);

/*
 * The load figure after one more tick: runnable tasks now (running or
 * waiting, on cpus CPUs) blended half and half with prev, both per CPU x
 * 1000; rounds towards the sample so that a constant sample is reached
 * exactly (a hog reads 1000 after 10 ticks, an idle node 0).
 */
u32 mosix_balance_load_update(u32 prev, u32 runnable, u32 cpus);

/*
 * The figure to publish in the info daemon's entry and to decide with: the
 * decayed figure, but never below the runnable tasks now (the same units),
 * so that it rises at once and falls with the decay.
 */
u32 mosix_balance_load_report(u32 figure, u32 runnable, u32 cpus);

/* the cost of a unit of work at load (per CPU x 1000) on a node of speed */
u64 mosix_balance_cost(u64 load, u32 speed);

/* the cost of one more job on nd, beside `extra` already on their way there */
u64 mosix_balance_cost_after(const struct mosix_balance_node *nd, u32 extra);

/* the expected time of moving mem_kb at rate_bytes (0: the tunable), in ms */
u64 mosix_balance_move_ms(const struct mosix_balance_tun *t, u64 mem_kb,
			  u64 rate_bytes);

/*
 * Placement of a new job of job_kb: the PE of the node of view[0..n) where it
 * is expected to finish first, 0 if no node is up with free memory for it
 * plus the margin. view may include the placing node, self_pe (0: none),
 * which wins if within place_tol_pm of the best; else random (a u32 from a
 * uniform source) picks among the nodes within place_tol_pm of the best.
 * *cost (if not NULL) is the chosen node's cost_after. A remote choice is
 * offered to the target with the placing node's own cost_after as
 * cost_from; on a refusal, mark the entry down and place again.
 */
u32 mosix_balance_place(const struct mosix_balance_tun *t,
			const struct mosix_balance_node *view, unsigned int n,
			u32 self_pe, u64 job_kb, u32 random, u64 *cost);

/*
 * One node's balancing decision of one tick: self is the node itself (its
 * load including its jobs), view[0..n) the others it knows (entries about
 * self->pe, down ones and those with pe 0 are skipped), jobs[0..nr_jobs)
 * those it may move. rate_bytes is the measured transfer rate (0: the
 * tunable), random a u32 from a uniform source. True with *out filled if
 * one job should move; false: none. O(n * nr_jobs) time: the caller bounds
 * nr_jobs (the longest-running few are the ones worth moving).
 */
bool mosix_balance_decide(const struct mosix_balance_tun *t,
			  const struct mosix_balance_node *self,
			  const struct mosix_balance_node *view, unsigned int n,
			  const struct mosix_balance_job *jobs,
			  unsigned int nr_jobs, u64 rate_bytes, u32 random,
			  struct mosix_balance_move *out);

/*
 * At the target: whether to accept offer o, given self (this node's state
 * before this round's acceptances) and r, what it accepted so far this
 * round. True (and r updated) to accept.
 */
bool mosix_balance_admit(const struct mosix_balance_tun *t,
			 const struct mosix_balance_node *self,
			 struct mosix_balance_round *r,
			 const struct mosix_balance_offer *o);

#endif /* MOSIX_BALANCE_H */
