// SPDX-License-Identifier: GPL-2.0
/*
 * The daemons' thread helper, after drivers/md's md_thread: a kthread that
 * sleeps until woken (a flag bit + wake_up) or until the timeout its run
 * function asked for, then calls that function. Both daemons (mosix_info,
 * mosix_mig) use it, so neither polls.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include "mosix.h"

enum { THREAD_WAKEUP };

static int thread_main(void *arg)
{
	struct mosix_thread *t = arg;

	while (!kthread_should_stop()) {
		wait_event_interruptible_timeout(t->wq,
						 test_bit(THREAD_WAKEUP, &t->flags) ||
						 kthread_should_stop(),
						 READ_ONCE(t->timeout));
		clear_bit(THREAD_WAKEUP, &t->flags);
		if (kthread_should_stop())
			break;
		t->run(t);
	}
	return 0;
}

/* starts t running run(t) at once, then whenever woken or timed out */
int mosix_thread_start(struct mosix_thread *t,
		       void (*run)(struct mosix_thread *t), const char *name)
{
	struct task_struct *task;

	t->run = run;
	t->timeout = MAX_SCHEDULE_TIMEOUT;
	t->flags = BIT(THREAD_WAKEUP);
	task = kthread_run(thread_main, t, "%s", name);
	if (IS_ERR(task))
		return PTR_ERR(task);
	WRITE_ONCE(t->task, task);
	return 0;
}

void mosix_thread_stop(struct mosix_thread *t)
{
	struct task_struct *task = t->task;

	if (!task)
		return;
	kthread_stop(task);
	WRITE_ONCE(t->task, NULL);
}

void mosix_thread_wake(struct mosix_thread *t)
{
	set_bit(THREAD_WAKEUP, &t->flags);
	wake_up(&t->wq);
}

bool mosix_thread_running(const struct mosix_thread *t)
{
	return READ_ONCE(t->task);
}
