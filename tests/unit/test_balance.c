// SPDX-License-Identifier: GPL-2.0
/*
 * Placement and balancing decisions (module/mosix_balance.c): the fast load
 * figure, the cost, placement, the per-tick decision (hysteresis, residency,
 * stay, repay, memory, one move, spreading) and the target's admission.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include "mosix_balance.h"

#define MIB	1024ULL		/* in KiB */
#define GIB	(1024 * MIB)

static struct mosix_balance_tun tun(void)
{
	struct mosix_balance_tun t;

	mosix_balance_tun_default(&t);
	return t;
}

static struct mosix_balance_node node(u32 pe, u32 cpus, u32 speed, u32 load,
				      u64 free_kb)
{
	struct mosix_balance_node n = {
		.pe = pe, .up = true, .cpus = cpus, .speed = speed,
		.load = load, .free_kb = free_kb,
	};
	return n;
}

static struct mosix_balance_job job(u64 mem_kb, u32 cpu_ms, u32 residency_ms)
{
	struct mosix_balance_job j = {
		.mem_kb = mem_kb, .cpu_ms = cpu_ms, .residency_ms = residency_ms,
	};
	return j;
}

/* ---- the load figure ---- */

START_TEST(test_hog_reads_one_within_a_few_ticks)
{
	u32 l = 0, i;

	l = mosix_balance_load_update(l, 1, 1);
	ck_assert_uint_eq(l, 500);
	l = mosix_balance_load_update(l, 1, 1);
	l = mosix_balance_load_update(l, 1, 1);
	ck_assert_uint_ge(l, 850);		/* 3 ticks: 87.5% */
	l = mosix_balance_load_update(l, 1, 1);
	ck_assert_uint_ge(l, 900);		/* 4 ticks: 94% */
	for (i = 4; i < 10; i++) {
		l = mosix_balance_load_update(l, 1, 1);
		ck_assert_uint_le(l, 1000);
	}
	ck_assert_uint_eq(l, 1000);		/* reached exactly */
	for (i = 0; i < 100; i++)
		l = mosix_balance_load_update(l, 1, 1);
	ck_assert_uint_eq(l, 1000);
}
END_TEST

START_TEST(test_idle_node_falls_to_zero)
{
	u32 l = 1000, i;

	l = mosix_balance_load_update(l, 0, 1);
	l = mosix_balance_load_update(l, 0, 1);
	l = mosix_balance_load_update(l, 0, 1);
	ck_assert_uint_le(l, 150);
	for (i = 3; i < 10; i++)
		l = mosix_balance_load_update(l, 0, 1);
	ck_assert_uint_eq(l, 0);
	ck_assert_uint_eq(mosix_balance_load_update(0, 0, 4), 0);
}
END_TEST

START_TEST(test_reported_load_rises_at_once_and_falls_with_the_decay)
{
	u32 l = 0;

	/* two hogs start on a 2-CPU node: the report reads 1.0 at once */
	l = mosix_balance_load_update(l, 2, 2);
	ck_assert_uint_eq(l, 500);
	ck_assert_uint_eq(mosix_balance_load_report(l, 2, 2), 1000);
	/* they leave: the report follows the decayed figure down */
	l = 1000;
	l = mosix_balance_load_update(l, 0, 2);
	ck_assert_uint_eq(mosix_balance_load_report(l, 0, 2), 500);
	ck_assert_uint_eq(mosix_balance_load_report(0, 3, 0), 3000);
	ck_assert_uint_eq(mosix_balance_load_report(UINT32_MAX, UINT32_MAX, 1),
			  MOSIX_BALANCE_LOAD_CAP);
}
END_TEST

START_TEST(test_load_is_per_cpu_and_saturates)
{
	u32 l = 0, i;

	for (i = 0; i < 20; i++)
		l = mosix_balance_load_update(l, 2, 4);
	ck_assert_uint_eq(l, 500);		/* 2 tasks on 4 CPUs */
	for (i = 0; i < 20; i++)
		l = mosix_balance_load_update(l, 6, 4);
	ck_assert_uint_eq(l, 1500);
	/* 0 CPUs is taken as 1; huge figures are capped, never wrap */
	ck_assert_uint_eq(mosix_balance_load_update(1000, 1, 0), 1000);
	l = mosix_balance_load_update(UINT32_MAX, UINT32_MAX, 1);
	ck_assert_uint_eq(l, MOSIX_BALANCE_LOAD_CAP);
}
END_TEST

/* ---- cost ---- */

START_TEST(test_cost_is_slowdown_over_speed)
{
	struct mosix_balance_node idle = node(1, 1, 1000, 0, GIB);
	struct mosix_balance_node busy = node(2, 1, 1000, 1000, GIB);
	struct mosix_balance_node quad = node(3, 4, 1000, 500, GIB);

	/* below one task per CPU: the node's full speed */
	ck_assert_uint_eq(mosix_balance_cost(0, 1000), mosix_balance_cost(1000, 1000));
	ck_assert_uint_eq(mosix_balance_cost(1000, 1), MOSIX_BALANCE_COST_ONE);
	/* twice the speed: half the cost; twice the load: twice the cost */
	ck_assert_uint_eq(mosix_balance_cost(2000, 2000), mosix_balance_cost(1000, 1000));
	ck_assert_uint_eq(mosix_balance_cost(4000, 1000), 2 * mosix_balance_cost(2000, 1000));
	/* one more job: idle -> 1, one hog -> 2, 2 of 4 CPUs busy -> 1 */
	ck_assert_uint_eq(mosix_balance_cost_after(&idle, 0), mosix_balance_cost(1000, 1000));
	ck_assert_uint_eq(mosix_balance_cost_after(&busy, 0), mosix_balance_cost(2000, 1000));
	ck_assert_uint_eq(mosix_balance_cost_after(&busy, 1), mosix_balance_cost(3000, 1000));
	ck_assert_uint_eq(mosix_balance_cost_after(&quad, 0), mosix_balance_cost(1000, 1000));
	ck_assert_uint_eq(mosix_balance_cost_after(&quad, 2), mosix_balance_cost(1250, 1000));
	/* speed 0 is taken as 1, extremes do not wrap */
	ck_assert_uint_eq(mosix_balance_cost(1000, 0), MOSIX_BALANCE_COST_ONE);
	ck_assert_uint_eq(mosix_balance_cost(UINT64_MAX, 1),
			  (u64)MOSIX_BALANCE_LOAD_CAP << 24);
}
END_TEST

START_TEST(test_move_time_from_memory_and_rate)
{
	struct mosix_balance_tun t = tun();

	/* 100 MiB at the default 100 MB/s: 1048 ms plus the fixed 100 */
	ck_assert_uint_eq(mosix_balance_move_ms(&t, 100 * MIB, 0), 100 + 1048);
	/* a measured rate replaces the default */
	ck_assert_uint_eq(mosix_balance_move_ms(&t, 100 * MIB, 1048576000), 200);
	ck_assert_uint_eq(mosix_balance_move_ms(&t, 0, 0), 100);
	ck_assert_uint_gt(mosix_balance_move_ms(&t, UINT64_MAX, 1), 0);
}
END_TEST

/* ---- placement ---- */

START_TEST(test_place_picks_the_fast_idle_node)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node v[] = {
		node(1, 1, 1000, 0, 4 * GIB),		/* idle, slow */
		node(2, 1, 4000, 2000, 4 * GIB),	/* fast but 2 hogs: 3/4 = 0.75 */
		node(3, 2, 3000, 0, 4 * GIB),		/* idle, fast */
		node(4, 4, 4000, 1500, 4 * GIB),	/* fast, 6 tasks on 4 CPUs */
	};
	u64 c = 0;
	u32 r;

	for (r = 0; r < 64; r++) {
		ck_assert_uint_eq(mosix_balance_place(&t, v, 4, 0, 100 * MIB, r * 0x9e3779b9U, &c), 3);
		ck_assert_uint_eq(c, mosix_balance_cost(1000, 3000));
	}
	/* without the idle fast ones, the faster busy node beats the slow idle one */
	v[2].load = 3000;
	v[3].up = false;
	ck_assert_uint_eq(mosix_balance_place(&t, v, 4, 0, 100 * MIB, 7, NULL), 2);
}
END_TEST

START_TEST(test_place_skips_nodes_short_of_memory_or_down)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node v[] = {
		node(1, 1, 1000, 0, 4 * GIB),
		node(2, 4, 4000, 0, 1 * GIB),		/* best, too little memory */
		node(3, 4, 4000, 0, 8 * GIB),		/* best, down */
		node(0, 4, 4000, 0, 8 * GIB),		/* no PE */
	};

	v[2].up = false;
	ck_assert_uint_eq(mosix_balance_place(&t, v, 4, 0, 2 * GIB, 0, NULL), 1);
	/* the margin counts: job + 64 MiB must be free */
	ck_assert_uint_eq(mosix_balance_place(&t, v, 2, 0, 1 * GIB - 32 * MIB, 0, NULL), 1);
	ck_assert_uint_eq(mosix_balance_place(&t, v, 2, 0, 1 * GIB - 64 * MIB, 0, NULL), 2);
}
END_TEST

START_TEST(test_place_returns_0_when_no_node_fits)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node v[] = {
		node(1, 1, 1000, 0, 1 * GIB),
		node(2, 4, 4000, 0, 2 * GIB),
	};
	u64 c = 12345;

	ck_assert_uint_eq(mosix_balance_place(&t, v, 2, 0, 4 * GIB, 0, &c), 0);
	ck_assert_uint_eq(c, 12345);
	ck_assert_uint_eq(mosix_balance_place(&t, v, 0, 0, 1, 0, NULL), 0);
	v[0].up = v[1].up = false;
	ck_assert_uint_eq(mosix_balance_place(&t, v, 2, 0, 1, 0, NULL), 0);
}
END_TEST

START_TEST(test_place_spreads_over_equally_good_nodes)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node v[] = {
		node(1, 1, 4000, 0, 4 * GIB),
		node(2, 1, 4000, 0, 4 * GIB),
		node(3, 1, 3600, 0, 4 * GIB),		/* within 15% */
		node(4, 1, 3000, 0, 4 * GIB),		/* not: 33% */
	};
	unsigned int hits[5] = { 0 };
	u32 r;

	for (r = 0; r < 300; r++)
		hits[mosix_balance_place(&t, v, 4, 0, MIB, r * 2654435761U, NULL)]++;
	ck_assert_uint_eq(hits[0], 0);
	ck_assert_uint_gt(hits[1], 50);
	ck_assert_uint_gt(hits[2], 50);
	ck_assert_uint_gt(hits[3], 50);
	ck_assert_uint_eq(hits[4], 0);
	/* and the same random number gives the same answer */
	ck_assert_uint_eq(mosix_balance_place(&t, v, 4, 0, MIB, 99, NULL),
			  mosix_balance_place(&t, v, 4, 0, MIB, 99, NULL));
}
END_TEST

START_TEST(test_place_keeps_the_job_home_unless_another_is_clearly_better)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node v[] = {
		node(1, 1, 4000, 0, 4 * GIB),
		node(2, 1, 3600, 0, 4 * GIB),		/* the placing node: 11% slower */
		node(3, 1, 1000, 0, 4 * GIB),
	};
	u64 c = 0;
	u32 r;

	for (r = 0; r < 64; r++) {
		ck_assert_uint_eq(mosix_balance_place(&t, v, 3, 2, MIB, r * 2654435761U, &c), 2);
		ck_assert_uint_eq(c, mosix_balance_cost(1000, 3600));
	}
	/* 33% slower: the faster node wins */
	v[1].speed = 3000;
	ck_assert_uint_eq(mosix_balance_place(&t, v, 3, 2, MIB, 5, NULL), 1);
	/* at home short of memory: elsewhere */
	v[1].speed = 4000;
	v[1].free_kb = MIB;
	ck_assert_uint_eq(mosix_balance_place(&t, v, 3, 2, MIB, 5, NULL), 1);
	/* a self_pe that is not in the view changes nothing */
	ck_assert_uint_eq(mosix_balance_place(&t, v, 3, 9, MIB, 5, NULL), 1);
}
END_TEST

/* ---- balancing ---- */

/* me: PE 1, one slow CPU, `jobs` hogs on it */
static struct mosix_balance_node me(u32 jobs)
{
	return node(1, 1, 1000, jobs * 1000, 4 * GIB);
}

START_TEST(test_no_move_under_the_hysteresis)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = node(1, 1, 1000, 1200, 4 * GIB);
	struct mosix_balance_node v[] = { node(2, 1, 1000, 0, 4 * GIB) };
	struct mosix_balance_job j[] = { job(MIB, 3600000, 60000) };
	struct mosix_balance_move mv;

	/* 1.2 here, 1.0 there: less than 30% better */
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	/* alone on a node of the same speed: never */
	self.load = 1000;
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	/* 1.0 vs 1.0 x 1000/1250: 20% better, still under */
	v[0].speed = 1250;
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	/* twice as loaded as the target would be: moves */
	self.load = 2000;
	v[0].speed = 1000;
	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	ck_assert_uint_eq(mv.pe, 2);
	ck_assert_int_eq(mv.why, MOSIX_BALANCE_CPU);
}
END_TEST

START_TEST(test_a_move_when_the_gain_repays_the_cost)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(2);
	struct mosix_balance_node v[] = { node(2, 1, 4000, 0, 4 * GIB) };
	/* 60 s used, 64 MiB: 120 s expected here, 15 s there, a 0.8 s move */
	struct mosix_balance_job j[] = { job(64 * MIB, 60000, 5000) };
	struct mosix_balance_move mv;

	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 1, &mv));
	ck_assert_uint_eq(mv.job, 0);
	ck_assert_uint_eq(mv.pe, 2);
	ck_assert_int_eq(mv.why, MOSIX_BALANCE_CPU);
	ck_assert_uint_eq(mv.cost_here, mosix_balance_cost(2000, 1000));
	ck_assert_uint_eq(mv.move_ms, mosix_balance_move_ms(&t, 64 * MIB, 0));
	/* 120 s here, 15 s there (speed 4, alone): 105 s saved */
	ck_assert_uint_ge(mv.gain_ms, 104000);
	ck_assert_uint_le(mv.gain_ms, 106000);
}
END_TEST

START_TEST(test_no_move_when_the_gain_does_not_repay)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(2);
	struct mosix_balance_node v[] = { node(2, 1, 4000, 0, 8 * GIB) };
	/* 2 s used (3.5 s to gain) but 1 GiB to move: 10.8 s */
	struct mosix_balance_job j[] = { job(GIB, 2000, 5000) };
	struct mosix_balance_move mv;

	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	/* over a 10x faster link it repays (0.2 s move) */
	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 1, 10000000000ULL, 0, &mv));
	/* a brand-new job (no CPU time yet) never repays */
	j[0] = job(MIB, 0, 5000);
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
}
END_TEST

START_TEST(test_no_move_before_the_minimum_residency)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(3);
	struct mosix_balance_node v[] = { node(2, 4, 4000, 0, 4 * GIB) };
	struct mosix_balance_job j[] = { job(MIB, 600000, 2999) };
	struct mosix_balance_move mv;

	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
	j[0].residency_ms = 3000;
	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 1, 0, 0, &mv));
}
END_TEST

START_TEST(test_no_move_for_a_stay_job)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(3);
	struct mosix_balance_node v[] = { node(2, 4, 4000, 0, 4 * GIB) };
	struct mosix_balance_job j[] = { job(MIB, 600000, 60000),
					 job(MIB, 1000, 60000) };
	struct mosix_balance_move mv;

	j[0].stay = true;
	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 2, 0, 0, &mv));
	ck_assert_uint_eq(mv.job, 1);		/* the other one */
	j[1].stay = true;
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 2, 0, 0, &mv));
	/* not even for memory */
	self.free_kb = 0;
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 2, 0, 0, &mv));
}
END_TEST

START_TEST(test_at_most_one_move_the_best_one)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(6);
	struct mosix_balance_node v[] = {
		node(2, 1, 2000, 0, 4 * GIB),
		node(3, 4, 4000, 0, 4 * GIB),
		node(4, 1, 1000, 0, 4 * GIB),
	};
	struct mosix_balance_job j[] = {
		job(MIB, 10000, 60000),
		job(MIB, 500000, 60000),		/* the longest-running */
		job(1500 * MIB, 600000, 60000),	/* longest, worth a 16 s move */
		job(MIB, 1000, 60000),
		job(MIB, 500000, 1000),		/* just arrived */
		job(MIB, 30000, 60000),
	};
	struct mosix_balance_move mv;

	t.spread = false;
	ck_assert(mosix_balance_decide(&t, &self, v, 3, j, 6, 0, 0, &mv));
	/* one answer: the job whose net gain is largest, to the best node */
	ck_assert_uint_eq(mv.job, 2);
	ck_assert_uint_eq(mv.pe, 3);
	j[2].mem_kb = 4 * GIB;		/* no longer fits anywhere */
	ck_assert(mosix_balance_decide(&t, &self, v, 3, j, 6, 0, 0, &mv));
	ck_assert_uint_eq(mv.job, 1);
	ck_assert_uint_eq(mv.pe, 3);
}
END_TEST

START_TEST(test_targets_short_of_memory_self_and_down_are_skipped)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(3);
	struct mosix_balance_node v[] = {
		node(1, 4, 4000, 0, 4 * GIB),		/* about self */
		node(2, 4, 4000, 0, 64 * MIB),		/* no room */
		node(3, 4, 4000, 0, 4 * GIB),		/* down */
		node(0, 4, 4000, 0, 4 * GIB),		/* no PE */
		node(5, 1, 2000, 0, 4 * GIB),		/* the only target */
	};
	struct mosix_balance_job j[] = { job(32 * MIB, 600000, 60000) };
	struct mosix_balance_move mv;
	u32 r;

	v[2].up = false;
	for (r = 0; r < 32; r++) {
		ck_assert(mosix_balance_decide(&t, &self, v, 5, j, 1, 0, r << 27, &mv));
		ck_assert_uint_eq(mv.pe, 5);
	}
	v[4].free_kb = 0;
	ck_assert(!mosix_balance_decide(&t, &self, v, 5, j, 1, 0, 0, &mv));
	ck_assert(!mosix_balance_decide(&t, &self, v, 0, j, 1, 0, 0, &mv));
	ck_assert(!mosix_balance_decide(&t, &self, v, 5, j, 0, 0, 0, &mv));
}
END_TEST

START_TEST(test_short_of_memory_the_largest_job_moves_out)
{
	struct mosix_balance_tun t = tun();
	/* alone on its CPU: no CPU reason to move, but 100 MiB free */
	struct mosix_balance_node self = node(1, 4, 4000, 500, 100 * MIB);
	struct mosix_balance_node v[] = {
		node(2, 1, 1000, 2000, 8 * GIB),
		node(3, 1, 1000, 0, 8 * GIB),
		node(4, 4, 4000, 0, 600 * MIB),	/* would fall below 128 MiB */
	};
	struct mosix_balance_job j[] = { job(100 * MIB, 1000, 60000),
					 job(500 * MIB, 1000, 60000),
					 job(200 * MIB, 1000, 60000) };
	struct mosix_balance_move mv;

	ck_assert(mosix_balance_decide(&t, &self, v, 3, j, 3, 0, 0, &mv));
	ck_assert_int_eq(mv.why, MOSIX_BALANCE_MEM);
	ck_assert_uint_eq(mv.job, 1);
	ck_assert_uint_eq(mv.pe, 3);		/* the cheaper node with room */
	/* with enough memory nothing moves */
	self.free_kb = GIB;
	ck_assert(!mosix_balance_decide(&t, &self, v, 3, j, 3, 0, 0, &mv));
}
END_TEST

START_TEST(test_spreading_picks_among_good_targets)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = me(4);
	struct mosix_balance_node v[] = {
		node(2, 1, 4000, 0, 4 * GIB),
		node(3, 1, 4000, 0, 4 * GIB),
		node(4, 2, 1000, 2000, 4 * GIB),	/* a gain, under half */
	};
	struct mosix_balance_job j[] = { job(MIB, 600000, 60000) };
	struct mosix_balance_move mv;
	unsigned int hits[5] = { 0 };
	u32 r;

	for (r = 0; r < 256; r++) {
		ck_assert(mosix_balance_decide(&t, &self, v, 3, j, 1, 0, r << 24, &mv));
		hits[mv.pe]++;
	}
	ck_assert_uint_gt(hits[2], 80);
	ck_assert_uint_gt(hits[3], 80);
	ck_assert_uint_eq(hits[4], 0);
	/* without spreading: always the first best */
	t.spread = false;
	for (r = 0; r < 16; r++) {
		ck_assert(mosix_balance_decide(&t, &self, v, 3, j, 1, 0, r << 28, &mv));
		ck_assert_uint_eq(mv.pe, 2);
	}
}
END_TEST

START_TEST(test_extreme_values_do_not_wrap)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = node(1, 1, 1, UINT32_MAX, UINT64_MAX);
	struct mosix_balance_node v[] = { node(2, 8192, 10000000, 0, UINT64_MAX) };
	struct mosix_balance_job j[] = { job(MIB, UINT32_MAX, UINT32_MAX) };
	struct mosix_balance_move mv;

	t.hyst_pm = UINT32_MAX;		/* capped, not overflowing */
	t.repay_pm = UINT32_MAX;
	ck_assert(mosix_balance_decide(&t, &self, v, 1, j, 1, 0, UINT32_MAX, &mv));
	ck_assert_uint_gt(mv.gain_ms, mv.move_ms);
	j[0].mem_kb = UINT64_MAX;
	ck_assert(!mosix_balance_decide(&t, &self, v, 1, j, 1, 1, 0, &mv));
}
END_TEST

/* ---- admission ---- */

START_TEST(test_admission_limit_per_round)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = node(7, 2, 4000, 0, 4 * GIB);
	struct mosix_balance_round r;
	struct mosix_balance_offer o = {
		.mem_kb = 64 * MIB, .cost_from = mosix_balance_cost(4000, 1000),
	};

	memset(&r, 0, sizeof(r));
	/* two CPUs, one per CPU and round */
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
	ck_assert_uint_eq(r.accepted, 2);
	ck_assert_uint_eq(r.accepted_kb, 128 * MIB);
	/* the next round */
	memset(&r, 0, sizeof(r));
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	t.admit_per_cpu = 3;
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	ck_assert_uint_eq(r.accepted, 3);
}
END_TEST

START_TEST(test_admission_refuses_when_the_job_would_lose)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = node(7, 1, 1000, 1000, 4 * GIB);
	struct mosix_balance_round r = { 0 };
	struct mosix_balance_offer o = {
		.mem_kb = MIB, .cost_from = mosix_balance_cost(2000, 1000),
	};

	t.admit_per_cpu = 8;
	/* one hog here: the job would pay 2, not 30% less than where it is */
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
	/* it pays 3 where it is: 2 * 1.3 <= 3, accepted once */
	o.cost_from = mosix_balance_cost(3000, 1000);
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	/* a second would pay 3 here too */
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
	/* without the hysteresis, equal is enough */
	memset(&r, 0, sizeof(r));
	t.admit_hyst_pm = 0;
	o.cost_from = mosix_balance_cost(2000, 1000);
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
	/* a forged huge cost does not wrap */
	memset(&r, 0, sizeof(r));
	o.cost_from = UINT64_MAX;
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
}
END_TEST

START_TEST(test_admission_counts_memory_and_status)
{
	struct mosix_balance_tun t = tun();
	struct mosix_balance_node self = node(7, 8, 4000, 0, 1 * GIB);
	struct mosix_balance_round r = { 0 };
	struct mosix_balance_offer o = {
		.mem_kb = 400 * MIB, .cost_from = mosix_balance_cost(3000, 1000),
	};

	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	/* 624 MiB left minus the 64 MiB margin: 560 */
	o.mem_kb = 561 * MIB;
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
	o.mem_kb = 560 * MIB;
	ck_assert(mosix_balance_admit(&t, &self, &r, &o));
	self.up = false;
	memset(&r, 0, sizeof(r));
	o.mem_kb = 1;
	ck_assert(!mosix_balance_admit(&t, &self, &r, &o));
}
END_TEST

Suite *balance_suite(void);

Suite *balance_suite(void)
{
	Suite *s = suite_create("balance");
	TCase *load = tcase_create("load"), *place = tcase_create("place");
	TCase *dec = tcase_create("decide"), *adm = tcase_create("admit");

	tcase_add_test(load, test_hog_reads_one_within_a_few_ticks);
	tcase_add_test(load, test_idle_node_falls_to_zero);
	tcase_add_test(load, test_load_is_per_cpu_and_saturates);
	tcase_add_test(load, test_reported_load_rises_at_once_and_falls_with_the_decay);
	tcase_add_test(load, test_cost_is_slowdown_over_speed);
	tcase_add_test(load, test_move_time_from_memory_and_rate);
	suite_add_tcase(s, load);

	tcase_add_test(place, test_place_picks_the_fast_idle_node);
	tcase_add_test(place, test_place_skips_nodes_short_of_memory_or_down);
	tcase_add_test(place, test_place_returns_0_when_no_node_fits);
	tcase_add_test(place, test_place_spreads_over_equally_good_nodes);
	tcase_add_test(place, test_place_keeps_the_job_home_unless_another_is_clearly_better);
	suite_add_tcase(s, place);

	tcase_add_test(dec, test_no_move_under_the_hysteresis);
	tcase_add_test(dec, test_a_move_when_the_gain_repays_the_cost);
	tcase_add_test(dec, test_no_move_when_the_gain_does_not_repay);
	tcase_add_test(dec, test_no_move_before_the_minimum_residency);
	tcase_add_test(dec, test_no_move_for_a_stay_job);
	tcase_add_test(dec, test_at_most_one_move_the_best_one);
	tcase_add_test(dec, test_targets_short_of_memory_self_and_down_are_skipped);
	tcase_add_test(dec, test_short_of_memory_the_largest_job_moves_out);
	tcase_add_test(dec, test_spreading_picks_among_good_targets);
	tcase_add_test(dec, test_extreme_values_do_not_wrap);
	suite_add_tcase(s, dec);

	tcase_add_test(adm, test_admission_limit_per_round);
	tcase_add_test(adm, test_admission_refuses_when_the_job_would_lose);
	tcase_add_test(adm, test_admission_counts_memory_and_status);
	suite_add_tcase(s, adm);
	return s;
}
