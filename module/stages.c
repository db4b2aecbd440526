// SPDX-License-Identifier: GPL-2.0
/*
 * Staged transitions with rollback (after kernel/cpu.c's hotplug states):
 * a table of stages, each with a forward step and an undo, one loop each
 * way. If a forward step fails, the finished stages are undone in reverse
 * order and the caller gets that stage's error. Every step is reported on
 * the events multicast group.
 *
 * fault_stage=NAME (root, tests only) makes the forward step of the next
 * run of stage NAME fail with -EIO, then clears itself.
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

/*
 * Runs stages[0..n) forward. With rollback, a failure undoes the finished
 * stages (calling on_rollback() first) and returns the error, *failed
 * naming the stage; without (module unload), failures are logged and the
 * run goes on.
 */
int mosix_stages_run(const struct mosix_stage *stages, unsigned int n,
		     enum mosix_event_op op, bool rollback,
		     void (*on_rollback)(void), const char **failed)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++) {
		const struct mosix_stage *st = &stages[i];
		ktime_t t0 = ktime_get();
		int e;

		mosix_event_stage(MOSIX_EVENT_STAGE_BEGIN, op, st->name, 0, 0);
		e = fault_injected(st->name) ? -EIO : st->forward();
		if (!e) {
			mosix_event_stage(MOSIX_EVENT_STAGE_DONE, op, st->name,
					  since_us(t0), 0);
			continue;
		}
		mosix_event_stage(MOSIX_EVENT_STAGE_FAILED, op, st->name, 0, -e);
		pr_info("%s: stage %s failed: %d%s\n",
			op == MOSIX_EVENT_OP_SHUTDOWN ? "shutdown" : "bring-up",
			st->name, e, rollback ? ", rolling back" : "");
		if (!err) {
			err = e;
			*failed = st->name;
		}
		if (rollback)
			break;
	}
	if (!err || !rollback)
		return err;

	if (on_rollback)
		on_rollback();
	while (i--) {
		const struct mosix_stage *st = &stages[i];
		ktime_t t0 = ktime_get();

		if (st->undo)
			st->undo();
		mosix_event_stage(MOSIX_EVENT_STAGE_UNDONE, op, st->name,
				  since_us(t0), 0);
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
