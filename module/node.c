// SPDX-License-Identifier: GPL-2.0
/*
 * The node: its number (PE), its state, its stage table and every change to
 * its configuration. mosix_config_lock serialises configuration writers; a
 * transition marks the state (starting/stopping) and runs without the lock,
 * so other writers get -EBUSY at once instead of queueing behind it, while
 * readers never wait.
 *
 * Lock order: mosix_config_lock > info's io_lock > info_lock (info.c).
 */
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include <linux/suspend.h>
#include "mosix.h"

static DEFINE_MUTEX(mosix_config_lock);

/* the one node this kernel runs; its facts are held here and nowhere else */
static struct mosix_node the_node = {
	.state = MOSIX_STATE_OFF,
	.last_shutdown = "none",
	.shutdown_timeout_ms = MOSIX_SHUTDOWN_TIMEOUT_DEFAULT_MS,
};

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
	return READ_ONCE(the_node.state);
}

/* this node's number while it is not off (during bring-up: the joining one) */
u32 mosix_node_pe(void)
{
	return READ_ONCE(the_node.pe);
}

static bool in_transition(const struct mosix_node *node)
{
	lockdep_assert_held(&mosix_config_lock);
	return node->state != MOSIX_STATE_OFF && node->state != MOSIX_STATE_UP;
}

static void set_state(struct mosix_node *node, enum mosix_state state)
{
	lockdep_assert_held(&mosix_config_lock);
	if (node->state == state)
		return;
	WRITE_ONCE(node->state, state);
	mosix_event_state(state, node->pe);
}

void mosix_node_rolling_back(struct mosix_node *node)
{
	mutex_lock(&mosix_config_lock);
	set_state(node, MOSIX_STATE_ROLLING_BACK);
	mutex_unlock(&mosix_config_lock);
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
 * Reboot or poweroff while up (md_notify_reboot): tell the peers and stop
 * the daemons, bounded (at most about 100 ms) and without waiting on
 * anything remote; user space is gone, there is nothing to migrate. A
 * transition holding the node is left alone (trylock). The config lock is
 * held so that no transition starts meanwhile.
 */
static int node_reboot(struct notifier_block *nb, unsigned long action,
		       void *data)
{
	struct mosix_node *node = &the_node;

	if (!mutex_trylock(&mosix_config_lock))
		return NOTIFY_DONE;
	if (node->state == MOSIX_STATE_UP) {
		u64 sent = mosix_info_stat(MOSIX_STAT_LEAVE_SENT);
		ktime_t t0 = ktime_get();

		set_state(node, MOSIX_STATE_STOPPING);
		mosix_info_reboot();
		mosix_mig_stop();
		pr_info("node %u: leave notice sent on reboot to %llu peers in %lld us\n",
			node->pe, mosix_info_stat(MOSIX_STAT_LEAVE_SENT) - sent,
			ktime_us_delta(ktime_get(), t0));
	}
	mutex_unlock(&mosix_config_lock);
	return NOTIFY_DONE;
}

static struct notifier_block reboot_nb = {
	.notifier_call = node_reboot,
};

/*
 * Back from hibernation: the image was saved while up, then the reboot
 * notifier told the peers this epoch was leaving. A new epoch, announced,
 * makes the node up again for them.
 */
static int node_pm(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action != PM_POST_HIBERNATION)
		return NOTIFY_DONE;
	mutex_lock(&mosix_config_lock);
	if (the_node.state == MOSIX_STATE_UP) {
		pr_info("node %u: back from hibernation, new epoch\n", the_node.pe);
		mosix_info_new_epoch();
	}
	mutex_unlock(&mosix_config_lock);
	return NOTIFY_DONE;
}

static struct notifier_block pm_nb = {
	.notifier_call = node_pm,
};

/* ---- the stages: bring-up runs them down the table, shutdown up it ----- */

static int transport_open(struct mosix_node *node)
{
	return mosix_info_open(node->pe);
}

static int transport_close(struct mosix_node *node)
{
	mosix_info_close();
	return 0;
}

static int daemons_start(struct mosix_node *node)
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

/* the threads end before the transport's socket can go */
static int daemons_stop(struct mosix_node *node)
{
	mosix_mig_stop();
	mosix_info_thread_stop();
	return 0;
}

static int notifiers_register(struct mosix_node *node)
{
	int err = register_reboot_notifier(&reboot_nb);

	if (err)
		return err;
	err = register_pm_notifier(&pm_nb);
	if (err)
		unregister_reboot_notifier(&reboot_nb);
	return err;
}

static int notifiers_unregister(struct mosix_node *node)
{
	unregister_pm_notifier(&pm_nb);
	unregister_reboot_notifier(&reboot_nb);
	return 0;
}

static int quiesce(struct mosix_node *node)
{
	return mosix_daemons_quiesce(READ_ONCE(node->shutdown_timeout_ms));
}

static int wake_active(struct mosix_node *node)
{
	mosix_daemons_wake(true);
	return 0;
}

static int wake_leaving(struct mosix_node *node)
{
	mosix_daemons_wake(false);
	return 0;
}

static int announce(struct mosix_node *node)
{
	mosix_info_announce();
	return 0;
}

static int withdraw(struct mosix_node *node)
{
	mosix_info_withdraw();
	return 0;
}

static int guests_accept(struct mosix_node *node)
{
	mosix_mig_block_guests(false);
	return 0;
}

/* a failed evacuation accepts guests again itself: it did not finish */
static int evacuate(struct mosix_node *node)
{
	int err;

	mosix_mig_block_guests(true);
	err = mosix_mig_evacuate();
	if (err)
		mosix_mig_block_guests(false);
	return err;
}

static const struct mosix_stage node_stages[] = {
	{ .name = "transport", .startup = transport_open, .teardown = transport_close },
	{ .name = "daemons", .startup = daemons_start, .teardown = daemons_stop },
	{ .name = "notifier", .startup = notifiers_register,
	  .teardown = notifiers_unregister },
	{ .name = "quiesce", .teardown = quiesce, .drain = true },
	{ .name = "wake", .startup = wake_active, .teardown = wake_leaving },
	{ .name = "withdraw", .up_name = "announce", .startup = announce,
	  .teardown = withdraw },
	{ .name = "evacuate", .up_name = "guests", .startup = guests_accept,
	  .teardown = evacuate, .drain = true },
};

void mosix_node_last_shutdown(char *buf, size_t size)
{
	mutex_lock(&mosix_config_lock);
	strscpy(buf, the_node.last_shutdown, size);
	mutex_unlock(&mosix_config_lock);
}

unsigned int mosix_node_shutdown_timeout(void)
{
	return READ_ONCE(the_node.shutdown_timeout_ms);
}

void mosix_node_set_shutdown_timeout(unsigned int ms)
{
	WRITE_ONCE(the_node.shutdown_timeout_ms, ms);
}

/* bring-up: node->pe joins; a failure undoes what was done */
static int node_up(struct mosix_node *node)
{
	const char *failed = NULL;
	int err;

	err = mosix_stages_up(node_stages, ARRAY_SIZE(node_stages), node, &failed);
	if (err)
		pr_info("node %u: bring-up failed at %s (%d), undone\n", node->pe,
			failed, err);
	else
		pr_info("node %u up\n", node->pe);
	return err;
}

/*
 * The shutdown: the node leaves the cluster. With rollback a failed stage
 * puts everything back and its error is returned (*still_up true); without
 * (module unload), or if a stage cannot start again, every stage is torn
 * down and the node ends off.
 */
static int node_down(struct mosix_node *node, bool rollback, bool *still_up)
{
	const char *failed = NULL, *restart = NULL;
	char result[sizeof(node->last_shutdown)];
	int err;

	err = mosix_stages_down(node_stages, ARRAY_SIZE(node_stages), node,
				rollback, &failed, &restart);
	*still_up = err && rollback && !restart;
	if (!err)
		strscpy(result, "ok", sizeof(result));
	else if (restart)
		snprintf(result, sizeof(result),
			 "failed stage=%s error=%s rollback-failed=%s",
			 failed, mosix_errno_name(err), restart);
	else if (rollback)
		snprintf(result, sizeof(result), "rolled-back stage=%s error=%s",
			 failed, mosix_errno_name(err));
	else
		snprintf(result, sizeof(result), "forced stage=%s error=%s",
			 failed, mosix_errno_name(err));

	mutex_lock(&mosix_config_lock);
	strscpy(node->last_shutdown, result, sizeof(node->last_shutdown));
	mutex_unlock(&mosix_config_lock);
	if (*still_up)
		pr_info("node %u: shutdown failed at %s (%d), rolled back\n",
			node->pe, failed, err);
	else
		pr_info("node %u down (%s)\n", node->pe, result);
	return *still_up ? err : 0;
}

int mosix_node_set_pe(u32 pe)
{
	struct mosix_node *node = &the_node;
	bool still_up = false;
	u32 old;
	int err;

	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	old = node->pe;
	if (in_transition(node)) {
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

	if (pe)
		WRITE_ONCE(node->pe, pe);
	set_state(node, pe ? MOSIX_STATE_STARTING : MOSIX_STATE_STOPPING);
	mutex_unlock(&mosix_config_lock);

	if (pe) {
		err = node_up(node);
		still_up = !err;
	} else {
		err = node_down(node, true, &still_up);
	}

	mutex_lock(&mosix_config_lock);
	if (!still_up)
		WRITE_ONCE(node->pe, 0);
	set_state(node, still_up ? MOSIX_STATE_UP : MOSIX_STATE_OFF);
unlock:
	mutex_unlock(&mosix_config_lock);
	return err;
}

/*
 * A new table. While up it may move this node (another address or family):
 * the info daemon rebinds first and the table is refused if it cannot
 * (EADDRNOTAVAIL: not an address of this host); nodes that left the table
 * leave the view and the maximum age follows the new size.
 */
int mosix_node_set_table(const char *text, size_t len, const char *source,
			 struct mosix_map_error *error)
{
	struct mosix_node *node = &the_node;
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
	error->line = 0;
	if (in_transition(node)) {
		err = -EBUSY;
		error->reason = "a transition is running";
	} else if (node->pe && !mosix_map_find_pe(&t->map, node->pe)) {
		err = -ENOENT;
		error->reason = "the table does not contain this node's PE";
	} else if (node->pe) {
		err = mosix_info_table_prepare(&t->map, &error->reason);
	}
	if (!err) {
		mosix_table_publish(t);
		if (node->pe)
			mosix_info_table_commit(&t->map);
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

/* key, window and epoch shape the daemon: they change only while off */
static int change_while_off(const char *what)
{
	lockdep_assert_held(&mosix_config_lock);
	if (the_node.state == MOSIX_STATE_OFF)
		return 0;
	pr_info_ratelimited("%s: refused: the node is %s, write 0 to pe first\n",
			    what, mosix_state_name(the_node.state));
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

int mosix_node_set_epoch(u64 floor)
{
	int err;

	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	err = change_while_off("epoch");
	if (!err)
		mosix_info_set_epoch_floor(floor);
	mutex_unlock(&mosix_config_lock);
	return err;
}

/* takes effect at the next tick; while up the maximum age follows it */
int mosix_node_set_interval(u32 ms)
{
	if (mutex_lock_interruptible(&mosix_config_lock))
		return -EINTR;
	WRITE_ONCE(mosix_info_interval_ms, ms);
	if (the_node.state == MOSIX_STATE_UP)
		mosix_info_interval_changed();
	mutex_unlock(&mosix_config_lock);
	return 0;
}

/*
 * Module unload: take the node down whatever state it is in, without the
 * option of rolling back (the quiesce wait is still bounded by the timeout).
 * No transition can be running: it would hold a configfs file open, and
 * with it the module.
 */
void mosix_node_exit(void)
{
	struct mosix_node *node = &the_node;
	bool still_up;

	mutex_lock(&mosix_config_lock);
	if (node->pe) {
		set_state(node, MOSIX_STATE_STOPPING);
		mutex_unlock(&mosix_config_lock);
		node_down(node, false, &still_up);
		mutex_lock(&mosix_config_lock);
	}
	WRITE_ONCE(node->pe, 0);
	set_state(node, MOSIX_STATE_OFF);
	mutex_unlock(&mosix_config_lock);
}
