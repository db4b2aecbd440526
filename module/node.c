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
	WRITE_ONCE(cur_state, state);
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
		set_state(MOSIX_STATE_STOPPING);
		mosix_info_reboot();
		pr_info("node %u: leave notice sent on reboot\n", cur_pe);
	}
	mutex_unlock(&mosix_config_lock);
	return NOTIFY_DONE;
}

static struct notifier_block reboot_nb = {
	.notifier_call = node_reboot,
};

/* bring-up: the node joins with number pe; a failure undoes what was done */
static int node_up(u32 pe)
{
	int err;

	err = mosix_info_start(pe);
	if (err) {
		pr_info("node %u: info daemon did not start: %d\n", pe, err);
		return err;
	}
	err = register_reboot_notifier(&reboot_nb);
	if (err) {
		mosix_info_stop(false);
		return err;
	}
	pr_info("node %u up\n", pe);
	return 0;
}

/* teardown: the node leaves the cluster */
static void node_down(u32 pe)
{
	unregister_reboot_notifier(&reboot_nb);
	mosix_info_stop(true);
	pr_info("node %u down\n", pe);
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

	if (pe) {
		err = node_up(pe);
	} else {
		node_down(old);
		err = 0;
	}

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

/* module unload: take the node down whatever state it is in */
void mosix_node_exit(void)
{
	mutex_lock(&mosix_config_lock);
	if (cur_pe)
		node_down(cur_pe);
	WRITE_ONCE(cur_pe, 0);
	set_state(MOSIX_STATE_OFF);
	mutex_unlock(&mosix_config_lock);
}
