// SPDX-License-Identifier: GPL-2.0
/*
 * How the node hands a new configuration to its two daemons (mosix_info,
 * mosix_mig) and learns that they applied it: a generation number. A waker
 * bumps it and wakes them; each daemon acknowledges the generation it has
 * applied and says whether it is idle (no work in flight). The shutdown's
 * quiesce stage waits for both acknowledgments.
 *
 * fault_stall=info|mig (root, tests only) makes that daemon withhold its
 * acknowledgment until the parameter is cleared.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/wait.h>
#include "mosix.h"

static char fault_stall[16];
module_param_string(fault_stall, fault_stall, sizeof(fault_stall), 0600);
MODULE_PARM_DESC(fault_stall, "tests: info|mig withholds its acknowledgment until cleared");

static DECLARE_WAIT_QUEUE_HEAD(ack_wq);
static u32 cur_gen;
static bool cur_active;

static struct {
	u32 gen;
	bool idle;
} acks[MOSIX_NR_DAEMONS];

static const char *const daemon_names[MOSIX_NR_DAEMONS] = {
	[MOSIX_DAEMON_INFO] = "info",
	[MOSIX_DAEMON_MIG] = "mig",
};

u32 mosix_daemons_gen(void)
{
	return READ_ONCE(cur_gen);
}

bool mosix_daemons_active(void)
{
	return READ_ONCE(cur_active);
}

bool mosix_daemon_stalled(enum mosix_daemon d)
{
	bool stalled;

	kernel_param_lock(THIS_MODULE);
	stalled = sysfs_streq(fault_stall, daemon_names[d]);
	kernel_param_unlock(THIS_MODULE);
	return stalled;
}

/* called by daemon d once it applied gen; idle: nothing in flight */
void mosix_daemon_ack(enum mosix_daemon d, u32 gen, bool idle)
{
	WRITE_ONCE(acks[d].idle, idle);
	/* release: whoever sees gen acknowledged also sees its idle flag */
	smp_store_release(&acks[d].gen, gen);
	wake_up_all(&ack_wq);
}

void mosix_daemon_acked(enum mosix_daemon d, u32 *gen, bool *idle)
{
	/* acquire: pairs with the release in mosix_daemon_ack() */
	*gen = smp_load_acquire(&acks[d].gen);
	*idle = READ_ONCE(acks[d].idle);
}

/* a new configuration: active (node up) or not (node leaving) */
void mosix_daemons_wake(bool active)
{
	WRITE_ONCE(cur_active, active);
	/* release: a daemon that sees the new generation sees its configuration */
	smp_store_release(&cur_gen, cur_gen + 1);
	mosix_info_wake();
	mosix_mig_wake();
}

static bool all_acked(void)
{
	u32 gen = READ_ONCE(cur_gen);
	int d;

	for (d = 0; d < MOSIX_NR_DAEMONS; d++)
		/* acquire: pairs with the release in mosix_daemon_ack() */
		if (smp_load_acquire(&acks[d].gen) != gen || !READ_ONCE(acks[d].idle))
			return false;
	return true;
}

/*
 * Wait until both daemons acknowledged the current generation and are idle.
 * A signal to the caller ends the wait with -EINTR, the timeout with
 * -ETIMEDOUT.
 */
int mosix_daemons_quiesce(unsigned int timeout_ms)
{
	long left = wait_event_interruptible_timeout(ack_wq, all_acked(),
						     msecs_to_jiffies(timeout_ms));

	if (left > 0)
		return 0;
	if (left == 0)
		return all_acked() ? 0 : -ETIMEDOUT;
	return -EINTR;
}

/*
 * Before the daemons start: a fresh, active generation for them to apply
 * first (never 0, the generation a new daemon has applied).
 */
void mosix_daemons_reset(void)
{
	int d;

	for (d = 0; d < MOSIX_NR_DAEMONS; d++) {
		WRITE_ONCE(acks[d].gen, 0);
		WRITE_ONCE(acks[d].idle, false);
	}
	WRITE_ONCE(cur_active, true);
	/* release: as in mosix_daemons_wake() */
	smp_store_release(&cur_gen, cur_gen + 1 ? cur_gen + 1 : 1);
}
