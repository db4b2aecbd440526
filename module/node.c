// SPDX-License-Identifier: GPL-2.0
/*
 * The node: its number (PE), its state and every change to its
 * configuration. mosix_config_lock serialises configuration writers; a
 * transition marks the state (starting/stopping) and runs without the lock,
 * so other writers get -EBUSY at once instead of queueing behind it, while
 * readers never wait.
 */
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include "mosix.h"

static DEFINE_MUTEX(mosix_config_lock);
static enum mosix_state cur_state = MOSIX_STATE_OFF;
static u32 cur_pe;

static const char *const state_names[__MOSIX_STATE_MAX] = {
	[MOSIX_STATE_OFF] = "off",
	[MOSIX_STATE_STARTING] = "starting",
	[MOSIX_STATE_UP] = "up",
	[MOSIX_STATE_STOPPING] = "stopping",
	[MOSIX_STATE_ROLLING_BACK] = "rolling-back",
};

const char *mosix_state_name(enum mosix_state state)
{
	return state < __MOSIX_STATE_MAX ? state_names[state] : "?";
}

enum mosix_state mosix_node_state(void)
{
	return READ_ONCE(cur_state);
}

u32 mosix_node_pe(void)
{
	return READ_ONCE(cur_pe);
}

static bool in_transition(void)
{
	lockdep_assert_held(&mosix_config_lock);
	return cur_state != MOSIX_STATE_OFF && cur_state != MOSIX_STATE_UP;
}

static void set_state(enum mosix_state state)
{
	lockdep_assert_held(&mosix_config_lock);
	if (cur_state == state)
		return;
	WRITE_ONCE(cur_state, state);
	mosix_event_state(state, cur_pe);
}

static bool table_has_pe(u32 pe)
{
	struct mosix_table *t;
	bool found;

	rcu_read_lock();
	t = mosix_table_get();
	found = t && mosix_map_find_pe(&t->map, pe);
	rcu_read_unlock();
	return found;
}

/*
 * Reboot or poweroff while up: tell the peers and stop the daemons, fast and
 * without waiting on anything remote (user space is already gone, there is
 * nothing to migrate). A transition holding the lock is left alone.
 */
static int node_reboot(struct notifier_block *nb, unsigned long action,
		       void *data)
{
	if (!mutex_trylock(&mosix_config_lock))
		return NOTIFY_DONE;
	if (cur_state == MOSIX_STATE_UP) {
		u64 sent = mosix_info_stat(MOSIX_STAT_LEAVE_SENT);

		set_state(MOSIX_STATE_STOPPING);
		mosix_info_reboot();
		mosix_mig_stop();
		pr_info("node %u: leave notice sent on reboot to %llu peers\n", cur_pe,
			mosix_info_stat(MOSIX_STAT_LEAVE_SENT) - sent);
	}
	mutex_unlock(&mosix_config_lock);
	return NOTIFY_DONE;
}

static struct notifier_block reboot_nb = {
	.notifier_call = node_reboot,
};

/* ---- bring-up stages ---------------------------------------------------- */

static u32 joining_pe;

static int up_transport(void)
{
	return mosix_info_open(joining_pe);
}

static int up_daemons(void)
{
	int err;

	mosix_daemons_reset();
	err = mosix_info_thread_start();
	if (err)
		return err;
	err = mosix_mig_start();
	if (err)
		mosix_info_thread_stop();
	return err;
}

static void down_daemons(void)
{
	mosix_mig_stop();
	mosix_info_thread_stop();
}

static int up_notifier(void)
{
	return register_reboot_notifier(&reboot_nb);
}

static void down_notifier(void)
{
	unregister_reboot_notifier(&reboot_nb);
}

static int up_announce(void)
{
	mosix_info_announce();
	return 0;
}

static void withdraw_announce(void)
{
	mosix_info_withdraw();
}

static const struct mosix_stage bringup_stages[] = {
	{ "transport", up_transport, mosix_info_release },
	{ "daemons", up_daemons, down_daemons },
	{ "notifier", up_notifier, down_notifier },
	{ "announce", up_announce, withdraw_announce },
};

/* ---- shutdown stages ---------------------------------------------------- */

static unsigned int shutdown_timeout = MOSIX_SHUTDOWN_TIMEOUT_DEFAULT_MS;

static int evacuate(void)
{
	int err;

	mosix_mig_block_guests(true);
	err = mosix_mig_evacuate();
	if (err)
		mosix_mig_block_guests(false);
	return err;
}

static void undo_evacuate(void)
{
	mosix_mig_block_guests(false);
}

static int wake(void)
{
	mosix_daemons_wake(false);
	return 0;
}

static void undo_wake(void)
{
	mosix_daemons_wake(true);
}

static int quiesce(void)
{
	return mosix_daemons_quiesce(READ_ONCE(shutdown_timeout));
}

static int down_notifier_stage(void)
{
	down_notifier();
	return 0;
}

static void undo_down_notifier(void)
{
	up_notifier();
}

static int close_transport(void)
{
	mosix_info_close_socket();
	return 0;
}

static void reopen_transport(void)
{
	int err = mosix_info_reopen_socket();

	if (err)
		pr_warn("rollback: cannot reopen the cluster socket: %d\n", err);
}

static const struct mosix_stage shutdown_stages[] = {
	{ "evacuate", evacuate, undo_evacuate },
	{ "withdraw", mosix_info_withdraw, mosix_info_restore },
	{ "wake", wake, undo_wake },
	{ "quiesce", quiesce, NULL },
	{ "notifier", down_notifier_stage, undo_down_notifier },
	{ "transport", close_transport, reopen_transport },
};

/* after the last stage: nothing can fail any more */
static void shutdown_commit(void)
{
	down_daemons();
	mosix_info_release();
	mosix_mig_block_guests(false);
}

static char last_shutdown[64] = "none";

const char *mosix_node_last_shutdown(void)
{
	return last_shutdown;
}

unsigned int mosix_node_shutdown_timeout(void)
{
	return READ_ONCE(shutdown_timeout);
}

void mosix_node_set_shutdown_timeout(unsigned int ms)
{
	WRITE_ONCE(shutdown_timeout, ms);
}

static void transition_state(enum mosix_state state)
{
	mutex_lock(&mosix_config_lock);
	set_state(state);
	mutex_unlock(&mosix_config_lock);
}

static void rolling_back(void)
{
	transition_state(MOSIX_STATE_ROLLING_BACK);
}

/* bring-up: the node joins with number pe; a failure undoes what was done */
static int node_up(u32 pe)
{
	const char *failed = NULL;
	int err;

	joining_pe = pe;
	err = mosix_stages_run(bringup_stages, ARRAY_SIZE(bringup_stages),
			       MOSIX_EVENT_OP_BRINGUP, true, rolling_back, &failed);
	if (err)
		pr_info("node %u: bring-up failed at %s (%d), undone\n", pe, failed, err);
	else
		pr_info("node %u up\n", pe);
	return err;
}

/*
 * The shutdown: the node leaves the cluster. With rollback a failed stage
 * puts everything back and its error is returned; without (module unload)
 * every stage is tried and the node ends down.
 */
static int node_down(u32 pe, bool rollback)
{
	const char *failed = NULL;
	int err;

	err = mosix_stages_run(shutdown_stages, ARRAY_SIZE(shutdown_stages),
			       MOSIX_EVENT_OP_SHUTDOWN, rollback, rolling_back,
			       &failed);
	if (err && rollback) {
		snprintf(last_shutdown, sizeof(last_shutdown),
			 "rolled-back stage=%s error=%s", failed,
			 mosix_errno_name(err));
		pr_info("node %u: shutdown failed at %s (%d), rolled back\n",
			pe, failed, err);
		return err;
	}
	shutdown_commit();
	strscpy(last_shutdown, "ok", sizeof(last_shutdown));
	pr_info("node %u down\n", pe);
	return 0;
}

int mosix_node_set_pe(u32 pe)
{
	u32 old;
	int err;

	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	old = cur_pe;
	if (in_transition()) {
		pr_info_ratelimited("pe: %u refused: a transition is running\n", pe);
		err = -EBUSY;
		goto unlock;
	}
	if (pe == old) {
		err = 0;
		goto unlock;
	}
	if (old && pe) {
		pr_info_ratelimited("pe: %u refused: node is up as %u, write 0 first\n",
				    pe, old);
		err = -EBUSY;
		goto unlock;
	}
	if (pe && !table_has_pe(pe)) {
		pr_info_ratelimited("pe: %u refused: not in the node table\n", pe);
		err = -ENOENT;
		goto unlock;
	}
	if (pe && !mosix_info_key_set()) {
		pr_info_ratelimited("pe: %u refused: no cluster key (configfs key)\n", pe);
		err = -ENOKEY;
		goto unlock;
	}

	set_state(pe ? MOSIX_STATE_STARTING : MOSIX_STATE_STOPPING);
	mutex_unlock(&mosix_config_lock);

	err = pe ? node_up(pe) : node_down(old, true);

	mutex_lock(&mosix_config_lock);
	if (!err)
		WRITE_ONCE(cur_pe, pe);
	set_state(cur_pe ? MOSIX_STATE_UP : MOSIX_STATE_OFF);
unlock:
	mutex_unlock(&mosix_config_lock);
	return err;
}

int mosix_node_set_table(const char *text, size_t len, const char *source,
			 struct mosix_map_error *error)
{
	struct mosix_table *t = NULL;
	int err;

	/* parse and validate before taking the lock: it may take a while */
	err = mosix_table_parse(text, len, &t, error);
	if (err)
		goto log;

	if (mutex_lock_interruptible(&mosix_config_lock)) {
		mosix_table_discard(t);
		return -EINTR;
	}
	if (in_transition()) {
		err = -EBUSY;
		error->line = 0;
		error->reason = "a transition is running";
	} else if (cur_pe && !mosix_map_find_pe(&t->map, cur_pe)) {
		err = -ENOENT;
		error->line = 0;
		error->reason = "the table does not contain this node's PE";
	} else {
		mosix_table_publish(t);
		t = NULL;
	}
	mutex_unlock(&mosix_config_lock);
	mosix_table_discard(t);
	error->err = err;
log:
	if (err && error->line)
		pr_info_ratelimited("%s: table rejected: line %u: %s (%d)\n",
				    source, error->line, error->reason, err);
	else if (err)
		pr_info_ratelimited("%s: table rejected: %s (%d)\n",
				    source, error->reason, err);
	return err;
}

/* key and window shape the daemon: they change only while off */
static int change_while_off(const char *what)
{
	lockdep_assert_held(&mosix_config_lock);
	if (cur_state == MOSIX_STATE_OFF)
		return 0;
	pr_info_ratelimited("%s: refused: the node is %s, write 0 to pe first\n",
			    what, mosix_state_name(cur_state));
	return -EBUSY;
}

int mosix_node_set_key(const u8 *key, unsigned int len)
{
	int err;

	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	err = change_while_off("key");
	if (!err)
		err = mosix_info_set_key(key, len);
	mutex_unlock(&mosix_config_lock);
	return err;
}

int mosix_node_set_window(u32 window)
{
	int err;

	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	err = change_while_off("window");
	if (!err)
		WRITE_ONCE(mosix_info_window, window);
	mutex_unlock(&mosix_config_lock);
	return err;
}

/*
 * Module unload: take the node down whatever state it is in, without the
 * option of rolling back (the quiesce wait is still bounded by the timeout).
 * No transition can be running: it would hold a configfs file open, and
 * with it the module.
 */
void mosix_node_exit(void)
{
	mutex_lock(&mosix_config_lock);
	if (cur_pe) {
		set_state(MOSIX_STATE_STOPPING);
		mutex_unlock(&mosix_config_lock);
		node_down(cur_pe, false);
		mutex_lock(&mosix_config_lock);
	}
	WRITE_ONCE(cur_pe, 0);
	set_state(MOSIX_STATE_OFF);
	mutex_unlock(&mosix_config_lock);
}
