// SPDX-License-Identifier: GPL-2.0
/*
 * How the node hands a new configuration to its two daemons (mosix_info,
 * mosix_mig) and learns that they applied it: a generation number. A waker
 * sets the configuration, bumps the generation (release) and wakes them; a
 * daemon reads the generation (acquire), then the configuration, applies it
 * and acknowledges the generation it applied, saying whether it is idle (no
 * work in flight). The shutdown's quiesce stage waits for both.
 *
 * fault_stall=info|mig (root, tests only) makes that daemon withhold its
 * acknowledgment until the parameter is cleared; a write wakes both daemons,
 * so nobody polls for it.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/wait.h>
#include "mosix.h"

static char fault_stall[16];

static int fault_stall_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_copystring(val, kp);

	mosix_info_wake();
	mosix_mig_wake();
	return err;
}

static const struct kernel_param_ops fault_stall_ops = {
	.set = fault_stall_set,
	.get = param_get_string,
};

static struct kparam_string fault_stall_kps = {
	.maxlen = sizeof(fault_stall),
	.string = fault_stall,
};

module_param_cb(fault_stall, &fault_stall_ops, &fault_stall_kps, 0600);
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

/*
 * The current generation and its configuration. The acquire pairs with the
 * release in publish(): a daemon that sees a new generation sees its
 * `active` flag too, never the old one.
 */
u32 mosix_daemons_config(bool *active)
{
	/* acquire: pairs with the release in publish() */
	u32 gen = smp_load_acquire(&cur_gen);

	if (active)
		*active = READ_ONCE(cur_active);
	return gen;
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

/* caller serialises wakers (mosix_config_lock or the transition it runs) */
static void publish(bool active)
{
	u32 gen = cur_gen + 1;

	WRITE_ONCE(cur_active, active);
	/* release: pairs with the acquire in mosix_daemons_config() */
	smp_store_release(&cur_gen, gen ? gen : 1);
}

/* a new configuration: active (node up) or not (node leaving) */
void mosix_daemons_wake(bool active)
{
	publish(active);
	mosix_info_wake();
	mosix_mig_wake();
}

static bool all_acked(void)
{
	u32 gen = mosix_daemons_config(NULL);
	int d;

	for (d = 0; d < MOSIX_NR_DAEMONS; d++) {
		u32 acked;
		bool idle;

		mosix_daemon_acked(d, &acked, &idle);
		if (acked != gen || !idle)
			return false;
	}
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
 * Before the daemons start: nothing acknowledged (a new daemon has applied
 * generation 0, which is never current) and an inactive configuration; the
 * wake stage then hands them the active one.
 */
void mosix_daemons_reset(void)
{
	int d;

	for (d = 0; d < MOSIX_NR_DAEMONS; d++) {
		WRITE_ONCE(acks[d].idle, false);
		/* release: as in mosix_daemon_ack() */
		smp_store_release(&acks[d].gen, 0);
	}
	publish(false);
}
