// SPDX-License-Identifier: GPL-2.0
/*
 * The migration daemon (kthread mosix_mig). Moving processes arrives in a
 * later step, and with it the registry of the jobs that arrived here from
 * other nodes (guests) or left this node (away); until then the daemon
 * follows the node's configuration generation, has nothing in flight, and
 * evacuation completes at once because nothing can be registered.
 */
#include <linux/atomic.h>
#include "mosix.h"

static atomic_t nr_registered = ATOMIC_INIT(0);	/* guests + away */
static atomic_t nr_in_flight = ATOMIC_INIT(0);	/* migrations under way */
static bool guests_blocked;

static struct mosix_thread mig_thread = {
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(mig_thread.wq),
};

static u32 mig_acked;			/* thread: generation applied */

bool mosix_mig_guests_blocked(void)
{
	return READ_ONCE(guests_blocked);
}

void mosix_mig_block_guests(bool block)
{
	WRITE_ONCE(guests_blocked, block);
}

unsigned int mosix_mig_registered(void)
{
	return atomic_read(&nr_registered);
}

/*
 * Send guests home and call this node's own jobs back; a registered job
 * that cannot be moved fails the stage (-EAGAIN), leaving guests blocked to
 * the caller's undo.
 */
int mosix_mig_evacuate(void)
{
	unsigned int n = mosix_mig_registered();

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

static void mig_run(struct mosix_thread *t)
{
	u32 gen = mosix_daemons_config(NULL);

	if (gen == mig_acked || mosix_daemon_stalled(MOSIX_DAEMON_MIG))
		return;
	mig_acked = gen;
	mosix_daemon_ack(MOSIX_DAEMON_MIG, gen, !atomic_read(&nr_in_flight));
}

int mosix_mig_start(void)
{
	mig_acked = 0;
	return mosix_thread_start(&mig_thread, mig_run, "mosix_mig");
}

void mosix_mig_stop(void)
{
	mosix_thread_stop(&mig_thread);
}
