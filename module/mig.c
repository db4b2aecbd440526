// SPDX-License-Identifier: GPL-2.0
/*
 * The migration daemon (kthread mosix_mig) and its registry of the
 * processes that arrived here from other nodes (guests) or left this node
 * for others (away). Moving processes arrives in a later step; here the
 * daemon follows the node's configuration generation, and evacuation walks
 * the registry: with nothing registered it completes at once.
 *
 * Lock order: mosix_config_lock > mig_lock.
 */
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "mosix.h"

struct mig_proc {
	struct list_head node;
	pid_t pid;
	u32 home_pe;		/* where it belongs */
	u32 where_pe;		/* where it runs */
	bool guest;		/* runs here, belongs elsewhere */
};

static DEFINE_SPINLOCK(mig_lock);
static LIST_HEAD(registry);
static unsigned int in_flight;	/* migrations under way */
static bool guests_blocked;

static struct task_struct *mig_thread;
static DECLARE_WAIT_QUEUE_HEAD(mig_wq);

bool mosix_mig_guests_blocked(void)
{
	return READ_ONCE(guests_blocked);
}

void mosix_mig_block_guests(bool block)
{
	WRITE_ONCE(guests_blocked, block);
}

/* processes registered as guests (here) or away (elsewhere) */
unsigned int mosix_mig_registered(void)
{
	struct mig_proc *p;
	unsigned int n = 0;

	spin_lock(&mig_lock);
	list_for_each_entry(p, &registry, node)
		n++;
	spin_unlock(&mig_lock);
	return n;
}

/*
 * Send guests home and call this node's own processes back. Nothing can
 * be registered before processes can move, so this completes at once; a
 * registered process that cannot be moved fails the stage.
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
	return READ_ONCE(mig_thread);
}

void mosix_mig_wake(void)
{
	wake_up(&mig_wq);
}

static int mig_thread_fn(void *unused)
{
	u32 acked = 0;

	while (!kthread_should_stop()) {
		u32 gen = mosix_daemons_gen();

		if (gen != acked && !mosix_daemon_stalled(MOSIX_DAEMON_MIG)) {
			bool idle;

			spin_lock(&mig_lock);
			idle = !in_flight;
			spin_unlock(&mig_lock);
			acked = gen;
			mosix_daemon_ack(MOSIX_DAEMON_MIG, gen, idle);
		}
		/* a pending generation is polled: a stall may be lifted */
		wait_event_interruptible_timeout(mig_wq, kthread_should_stop() ||
						 mosix_daemons_gen() != acked,
						 gen != acked ? HZ / 10 : HZ);
	}
	return 0;
}

int mosix_mig_start(void)
{
	struct task_struct *t = kthread_run(mig_thread_fn, NULL, "mosix_mig");

	if (IS_ERR(t))
		return PTR_ERR(t);
	mig_thread = t;
	return 0;
}

void mosix_mig_stop(void)
{
	if (!mig_thread)
		return;
	kthread_stop(mig_thread);
	mig_thread = NULL;
}
