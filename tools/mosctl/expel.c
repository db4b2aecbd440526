// SPDX-License-Identifier: GPL-2.0
/*
 * Guests away, jobs home: `mosctl expel` (openMosix's expel: every guest
 * running here goes away, and no new ones come) and `mosctl bring` (every
 * job of this node comes home). One move at a time, each waited for to its
 * end, so that Ctrl-C never leaves a job half-moved: it stops the command
 * after the move under way, and what moved stays where it now runs.
 *
 * Where a guest goes: home, if its home is up; else, or if home refuses, the
 * up nodes by load per CPU, the least loaded first. A guest no node takes
 * stays here, and the command says so.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mosctl.h"

struct counts {
	unsigned int moved, stayed;
};

static int by_load(const void *a, const void *b)
{
	const struct mosctl_node *x = a, *y = b;
	uint64_t lx = (uint64_t)x->load * (y->cpus ? y->cpus : 1);
	uint64_t ly = (uint64_t)y->load * (x->cpus ? x->cpus : 1);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->pe < y->pe ? -1 : x->pe > y->pe;
}

/* the up peers (not this node) moved to the front, least loaded per CPU first */
static size_t up_peers(struct mosctl_node *nodes, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!nodes[i].self && nodes[i].status == MOSIX_INFO_STATUS_UP)
			nodes[k++] = nodes[i];
	qsort(nodes, k, sizeof(*nodes), by_load);
	return k;
}

static bool is_up(const struct mosctl_node *peers, size_t n, uint32_t pe)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (peers[i].pe == pe)
			return true;
	return false;
}

/*
 * One guest: home first if it is up, then the others, until one takes it.
 * An error of the request itself (printed: the job ended meanwhile, a move
 * of it is under way...) ends the tries of this job, not of the others.
 */
static void send_away(struct mosctl_nl *req, struct mosctl_nl *ev, const struct mosctl_job *j,
		      const struct mosctl_node *peers, size_t n, struct counts *c)
{
	bool home_up = is_up(peers, n, j->home);
	size_t i;
	int r = 1;

	if (home_up)
		r = mosctl_move(req, ev, "expel", j->home, j->num, j->home, true, stdout);
	for (i = 0; i < n && r > 0 && !mosctl_move_interrupted(); i++)
		if (peers[i].pe != j->home)
			r = mosctl_move(req, ev, "expel", j->home, j->num, peers[i].pe, true,
					stdout);
	if (r == 0) {
		c->moved++;
		return;
	}
	c->stayed++;
	if (r > 0)
		printf("job %" PRIu32 ".%" PRIu32 " stays here: %s\n", j->home, j->num,
		       mosctl_move_interrupted() ? "interrupted" :
		       !n ? "no other node is up" : home_up ? "no node took it" :
		       "its home is not up and no other node took it");
}

static int summary(const char *cmd, const char *what, const struct counts *c, size_t total)
{
	unsigned int left = (unsigned int)total - c->moved - c->stayed;

	if (!total) {
		printf("%s: no %s\n", cmd, what);
		return MOSCTL_EXIT_OK;
	}
	printf("%s: %u of %zu moved", cmd, c->moved, total);
	if (c->stayed)
		printf(", %u stayed", c->stayed);
	if (left)
		printf(", %u not tried (interrupted)", left);
	putchar('\n');
	return c->moved == total ? MOSCTL_EXIT_OK : MOSCTL_EXIT_FAIL;
}

/* the registry and, if nodes, the cluster view; 0 or -1 (printed) */
static int read_state(const char *cmd, struct mosctl_job **jobs, size_t *nj,
		      struct mosctl_node **nodes, size_t *nn)
{
	struct mosctl_nl nl;
	int err;

	*jobs = NULL;
	if (nodes)
		*nodes = NULL;
	if (mosctl_nl_connect(&nl))
		return -1;
	err = mosctl_nl_get_jobs(&nl, jobs, nj);
	if (err) {
		mosctl_nl_dump_perror(&nl, cmd, err);
	} else if (nodes) {
		err = mosctl_nl_get_nodes(&nl, nodes, nn);
		if (err)
			mosctl_nl_dump_perror(&nl, cmd, err);
	}
	mosctl_nl_close(&nl);
	return err ? -1 : 0;
}

/* this node's PE, or 0 with the error printed: expel and bring need it up */
static uint32_t self_up(const char *cmd)
{
	uint32_t self = mosctl_self_pe();

	if (!self)
		mosctl_err("%s: this node is not up (pe is 0 or unreadable)", cmd);
	return self;
}

int mosctl_cmd_expel(int argc, char **argv)
{
	struct mosctl_node *nodes = NULL;
	struct mosctl_job *jobs = NULL;
	struct mosctl_nl req, ev;
	struct counts c = { 0, 0 };
	size_t nj = 0, nn = 0, np, i, total = 0;
	int ret = mosctl_help_only(argc, argv, 0);
	char was[16] = "";
	uint32_t self;

	if (ret >= 0)
		return ret;
	self = self_up("expel");
	if (!self || mosctl_moves_open(&req, &ev, "expel"))
		return MOSCTL_EXIT_FAIL;
	/*
	 * No new guests first, so that none arrives behind the ones read below;
	 * if they cannot be read, the block is undone: a failed expel changes nothing.
	 */
	mosctl_configfs_read_quiet("block", was, sizeof(was));
	if (mosctl_configfs_write("block", "1", 1, "expel")) {
		mosctl_moves_close(&req, &ev);
		return MOSCTL_EXIT_FAIL;
	}
	if (read_state("expel", &jobs, &nj, &nodes, &nn)) {
		if (strcmp(was, "1"))
			mosctl_configfs_write("block", "0", 1, "expel");
		mosctl_moves_close(&req, &ev);
		free(jobs);
		free(nodes);
		return MOSCTL_EXIT_FAIL;
	}
	np = up_peers(nodes, nn);
	for (i = 0; i < nj; i++) {
		const struct mosctl_job *j = &jobs[i];

		if (j->home == self || j->where != self || j->state == MOSIX_JOB_EXITED)
			continue;
		total++;
		if (!mosctl_move_interrupted())
			send_away(&req, &ev, j, nodes, np, &c);
	}
	mosctl_moves_close(&req, &ev);
	ret = summary("expel", "guests here", &c, total);
	printf("node %" PRIu32 " takes no new guests (mosctl noblock undoes it)\n", self);
	free(jobs);
	free(nodes);
	return ret;
}

int mosctl_cmd_bring(int argc, char **argv)
{
	struct mosctl_job *jobs = NULL;
	struct mosctl_nl req, ev;
	struct counts c = { 0, 0 };
	size_t nj, i, total = 0;
	int ret = mosctl_help_only(argc, argv, 0);
	uid_t uid = getuid();
	uint32_t self;

	if (ret >= 0)
		return ret;
	self = self_up("bring");
	if (!self)
		return MOSCTL_EXIT_FAIL;
	if (read_state("bring", &jobs, &nj, NULL, NULL))
		return MOSCTL_EXIT_FAIL;
	if (mosctl_moves_open(&req, &ev, "bring")) {
		free(jobs);
		return MOSCTL_EXIT_FAIL;
	}
	for (i = 0; i < nj; i++) {
		const struct mosctl_job *j = &jobs[i];

		/* this node's jobs elsewhere; a user's own only (root: all) */
		if (j->home != self || j->where == self || j->state == MOSIX_JOB_EXITED ||
		    (uid && j->uid != uid))
			continue;
		total++;
		if (mosctl_move_interrupted())
			continue;
		/* (an error of the request is printed; the others are tried) */
		if (mosctl_move(&req, &ev, "bring", self, j->num, self, true, stdout))
			c.stayed++;
		else
			c.moved++;
	}
	mosctl_moves_close(&req, &ev);
	ret = summary("bring", uid ? "jobs of yours elsewhere" : "jobs of this node elsewhere",
		      &c, total);
	free(jobs);
	return ret;
}
