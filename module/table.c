// SPDX-License-Identifier: GPL-2.0
/*
 * The live node table. Writers build a complete table, then swap the RCU
 * pointer; readers (configfs, netlink dumps, later the packet path) never
 * see a half-installed table. The old one is freed after a grace period.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include "mosix.h"

static struct mosix_table __rcu *live_table;
static u32 table_gen;

struct mosix_table *mosix_table_get(void)
{
	return rcu_dereference(live_table);
}

/* for a holder of mosix_config_lock, which every writer holds: may sleep */
struct mosix_table *mosix_table_locked(void)
{
	return rcu_dereference_protected(live_table, true);
}

int mosix_table_parse(const char *text, size_t len, struct mosix_table **out,
		      struct mosix_map_error *error)
{
	struct mosix_table *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int err;

	if (!t) {
		error->err = -ENOMEM;
		error->line = 0;
		error->reason = "out of memory";
		return -ENOMEM;
	}
	err = mosix_map_parse(text, len, &t->map, error);
	if (err) {
		kfree(t);
		return err;
	}
	*out = t;
	return 0;
}

void mosix_table_discard(struct mosix_table *t)
{
	if (!t)
		return;
	mosix_map_free(&t->map);
	kfree(t);
}

static void table_free_rcu(struct rcu_head *head)
{
	mosix_table_discard(container_of(head, struct mosix_table, rcu));
}

void mosix_table_publish(struct mosix_table *t)
{
	struct mosix_table *old;

	t->gen = ++table_gen;
	old = rcu_replace_pointer(live_table, t, true);
	if (old)
		call_rcu(&old->rcu, table_free_rcu);
}

void mosix_table_exit(void)
{
	mosix_table_discard(rcu_replace_pointer(live_table, NULL, true));
	/* wait for the callbacks of earlier swaps before the code goes away */
	rcu_barrier();
}
