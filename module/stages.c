// SPDX-License-Identifier: GPL-2.0
/*
 * The node's stage table runner, after kernel/cpu.c's hotplug states: one
 * table, each stage with a startup and a teardown; bring-up runs the
 * startups in table order, the shutdown the teardowns in reverse. If a step
 * fails, the steps already taken are undone by the opposite callbacks, in
 * reverse order. Teardowns cannot fail, except the drain stages (evacuate,
 * quiesce), which wait for something and can be interrupted or time out.
 * Every step is reported on the events multicast group.
 *
 * fault_stage=NAME (root, tests only) makes the next run of stage NAME (as
 * the events name it in that direction) fail with -EIO before it does
 * anything, then clears itself.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include "mosix.h"

static char fault_stage[32];
module_param_string(fault_stage, fault_stage, sizeof(fault_stage), 0600);
MODULE_PARM_DESC(fault_stage, "tests: the next run of this stage fails with -EIO");

static bool fault_injected(const char *name)
{
	bool hit;

	kernel_param_lock(THIS_MODULE);
	hit = sysfs_streq(fault_stage, name);
	if (hit)
		fault_stage[0] = '\0';
	kernel_param_unlock(THIS_MODULE);
	return hit;
}

static u32 since_us(ktime_t t0)
{
	return (u32)min_t(s64, ktime_us_delta(ktime_get(), t0), U32_MAX);
}

static const char *stage_name(const struct mosix_stage *st, bool up)
{
	return up && st->up_name ? st->up_name : st->name;
}

typedef int (*stage_fn_t)(struct mosix_node *node);

static stage_fn_t stage_fn(const struct mosix_stage *st, bool up)
{
	return up ? st->startup : st->teardown;
}

static const char *op_name(bool up)
{
	return up ? "bring-up" : "shutdown";
}

/* one forward step: begin, run, done or failed */
static int step(const struct mosix_stage *st, bool up, struct mosix_node *node)
{
	enum mosix_event_op op = up ? MOSIX_EVENT_OP_BRINGUP : MOSIX_EVENT_OP_SHUTDOWN;
	const char *name = stage_name(st, up);
	ktime_t t0 = ktime_get();
	int err;

	mosix_event_stage(MOSIX_EVENT_STAGE_BEGIN, op, name, 0, 0);
	err = fault_injected(name) ? -EIO : stage_fn(st, up)(node);
	if (!err) {
		mosix_event_stage(MOSIX_EVENT_STAGE_DONE, op, name, since_us(t0), 0);
		return 0;
	}
	if (!up && !st->drain && err != -EIO)
		pr_err("shutdown: stage %s cannot fail but did: %d\n", name, err);
	mosix_event_stage(MOSIX_EVENT_STAGE_FAILED, op, name, 0, -err);
	return err;
}

/* undo of a step taken in direction `up`: the opposite callback */
static int undo(const struct mosix_stage *st, bool up, struct mosix_node *node)
{
	enum mosix_event_op op = up ? MOSIX_EVENT_OP_BRINGUP : MOSIX_EVENT_OP_SHUTDOWN;
	stage_fn_t fn = stage_fn(st, !up);
	ktime_t t0 = ktime_get();
	int err = 0;

	/* a bring-up's rollback skips the drains: the daemons stop right after */
	if (fn && !(up && st->drain))
		err = fn(node);
	if (err)
		mosix_event_stage(MOSIX_EVENT_STAGE_FAILED, op, stage_name(st, up), 0, -err);
	else
		mosix_event_stage(MOSIX_EVENT_STAGE_UNDONE, op, stage_name(st, up),
				  since_us(t0), 0);
	return err;
}

int mosix_stages_up(const struct mosix_stage *st, unsigned int n,
		    struct mosix_node *node, const char **failed)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		if (st[i].startup)
			err = step(&st[i], true, node);
	if (!err)
		return 0;

	i--;
	*failed = stage_name(&st[i], true);
	pr_info("bring-up: stage %s failed: %d, rolling back\n", *failed, err);
	mosix_node_rolling_back(node);
	while (i--)
		if (st[i].startup)
			undo(&st[i], true, node);
	return err;
}

/*
 * Teardowns from the top of the table down. With rollback, a failed stage
 * ends the shutdown and the stages torn down are started again, in table
 * order; if one of those cannot start, the node cannot stay up: what was
 * restored is torn down again, the shutdown completes without rollback and
 * *rollback_failed names that stage. Without rollback (module unload) every
 * stage is torn down and failures are only reported.
 */
int mosix_stages_down(const struct mosix_stage *st, unsigned int n,
		      struct mosix_node *node, bool rollback,
		      const char **failed, const char **rollback_failed)
{
	unsigned int i, j;
	int err = 0;

	for (i = n; i-- > 0;) {
		int e;

		if (!st[i].teardown)
			continue;
		e = step(&st[i], false, node);
		if (!e)
			continue;
		pr_info("shutdown: stage %s failed: %d%s\n", st[i].name, e,
			rollback ? ", rolling back" : "");
		if (!err) {
			err = e;
			*failed = st[i].name;
		}
		if (rollback)
			break;
	}
	if (!err || !rollback)
		return err;

	mosix_node_rolling_back(node);
	for (j = i + 1; j < n; j++) {
		if (!st[j].teardown || !undo(&st[j], false, node))
			continue;
		*rollback_failed = st[j].name;
		pr_err("%s: rollback: stage %s cannot start again, the node goes down\n",
		       op_name(false), st[j].name);
		/* down again from what was restored, then on below the failure */
		while (j-- > i + 1)
			if (st[j].teardown)
				step(&st[j], false, node);
		while (i-- > 0)
			if (st[i].teardown)
				step(&st[i], false, node);
		break;
	}
	return err;
}

/* "EIO", ... for last_shutdown; the errors a stage can return */
const char *mosix_errno_name(int err)
{
	switch (-err) {
	case EIO: return "EIO";
	case EINTR: return "EINTR";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case ENOKEY: return "ENOKEY";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	default: return "EUNKNOWN";
	}
}
