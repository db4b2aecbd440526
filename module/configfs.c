// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/config/mosix/: pe (rw), table (rw), state (ro).
 * Values are decimal; surrounding blanks and a trailing newline are
 * accepted. Only CAP_SYS_ADMIN may write.
 */
#include <linux/capability.h>
#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include "mosix.h"

static struct config_item_type mosix_subsys_type;

static struct configfs_subsystem mosix_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "mosix",
			.ci_type = &mosix_subsys_type,
		},
	},
};

static bool may_write(const char *attr)
{
	if (capable(CAP_SYS_ADMIN))
		return true;
	pr_info_ratelimited("%s: write refused: needs CAP_SYS_ADMIN\n", attr);
	return false;
}

/* blanks around a value are accepted: give the inside */
static size_t trim(const char **s, size_t count)
{
	const char *end = *s + count;

	while (*s < end && isspace(**s))
		(*s)++;
	while (end > *s && isspace(end[-1]))
		end--;
	return end - *s;
}

/* a decimal in [min, max] for attribute name: -EINVAL or -ERANGE, logged */
static int parse_number(const char *name, const char *page, size_t count,
			u32 min, u32 max, u32 *val)
{
	const char *s = page;
	size_t len = trim(&s, count);
	int err = mosix_parse_decimal(s, len, max, val);

	if (!err && *val < min)
		err = -ERANGE;
	if (err)
		pr_info_ratelimited("%s: '%.*s' refused: %s %u..%u\n", name,
				    (int)min_t(size_t, len, 32), s,
				    err == -EINVAL ? "not a decimal number in" :
				    "out of range", min, max);
	return err;
}

static ssize_t pe_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", mosix_node_pe());
}

static ssize_t pe_store(struct config_item *item, const char *page,
			size_t count)
{
	const char *s = page;
	size_t len;
	u32 pe;
	int err;

	if (!may_write("pe"))
		return -EPERM;
	len = trim(&s, count);
	err = mosix_parse_decimal(s, len, MOSIX_PE_MAX, &pe);
	if (err) {
		pr_info_ratelimited("pe: '%.*s' refused: %s\n",
				    (int)min_t(size_t, len, 32), s,
				    err == -ERANGE ? "above 65535" :
				    "not a decimal number");
		return err;
	}
	err = mosix_node_set_pe(pe);
	return err ? err : (ssize_t)count;
}

static ssize_t table_show(struct config_item *item, char *page)
{
	struct mosix_table *t;
	ssize_t len = 0;
	u32 i;

	rcu_read_lock();
	t = mosix_table_get();
	for (i = 0; t && i < mosix_map_nr_entries(&t->map); i++) {
		char line[MOSIX_MAP_LINE_MAX];
		int n = mosix_map_format_entry(&t->map, i, line, sizeof(line));

		if (len + n >= PAGE_SIZE) {
			len = -EFBIG;
			break;
		}
		memcpy(page + len, line, n);
		len += n;
	}
	rcu_read_unlock();
	if (len == -EFBIG)
		pr_info_ratelimited("table: too large to read through configfs, use 'mosctl setpe -r'\n");
	return len;
}

static ssize_t table_store(struct config_item *item, const char *page,
			   size_t count)
{
	struct mosix_map_error error;
	int err;

	if (!may_write("table"))
		return -EPERM;
	/*
	 * configfs passes at most one page less a byte and silently drops the
	 * rest of a longer write: a store that fills it may be a truncated
	 * table, so refuse it whole rather than install a part.
	 */
	if (count > MOSIX_CONFIGFS_TABLE_MAX) {
		pr_info_ratelimited("table: refused: %zu bytes or more do not fit one configfs write, use 'mosctl setpe -w'\n",
				    count);
		return -EFBIG;
	}
	err = mosix_node_set_table(page, count, "table", &error);
	return err ? err : (ssize_t)count;
}

static ssize_t key_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n", mosix_info_key_set() ? "set" : "none");
}

/* the cluster key as hex digits; an empty write clears it */
static ssize_t key_store(struct config_item *item, const char *page,
			 size_t count)
{
	u8 key[MOSIX_KEY_MAX];
	const char *s = page;
	size_t len = trim(&s, count);
	int err;

	if (!may_write("key"))
		return -EPERM;
	if (len && (len % 2 || len < 2 * MOSIX_KEY_MIN || len > 2 * MOSIX_KEY_MAX ||
		    hex2bin(key, s, len / 2))) {
		pr_info_ratelimited("key: refused: not %d..%d hex digits\n",
				    2 * MOSIX_KEY_MIN, 2 * MOSIX_KEY_MAX);
		return -EINVAL;
	}
	err = mosix_node_set_key(key, len / 2);
	memzero_explicit(key, sizeof(key));
	return err ? err : (ssize_t)count;
}

static ssize_t info_interval_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(mosix_info_interval_ms));
}

/* takes effect at the next tick, also while up (the maximum age follows) */
static ssize_t info_interval_ms_store(struct config_item *item,
				      const char *page, size_t count)
{
	u32 v;
	int err;

	if (!may_write("info_interval_ms"))
		return -EPERM;
	err = parse_number("info_interval_ms", page, count,
			   MOSIX_INFO_INTERVAL_MIN_MS, MOSIX_INFO_INTERVAL_MAX_MS, &v);
	if (err)
		return err;
	err = mosix_node_set_interval(v);
	return err ? err : (ssize_t)count;
}

static ssize_t window_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(mosix_info_window));
}

static ssize_t window_store(struct config_item *item, const char *page,
			    size_t count)
{
	u32 v;
	int err;

	if (!may_write("window"))
		return -EPERM;
	err = parse_number("window", page, count, 1, MOSIX_INFO_WINDOW_MAX, &v);
	if (!err)
		err = mosix_node_set_window(v);
	return err ? err : (ssize_t)count;
}

static ssize_t stats_show(struct config_item *item, char *page)
{
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < MOSIX_STAT_DROP_BASE; i++)
		if (mosix_info_stat_name(i))
			len += sysfs_emit_at(page, len, "%s %llu\n",
					     mosix_info_stat_name(i), mosix_info_stat(i));
	for (i = 0; i < __MOSIX_INFO_DROP_MAX; i++)
		len += sysfs_emit_at(page, len, "drop_%s %llu\n",
				     mosix_info_drop_name(i),
				     mosix_info_stat(MOSIX_STAT_DROP_BASE + i));
	return len;
}

static ssize_t last_shutdown_show(struct config_item *item, char *page)
{
	char buf[sizeof_field(struct mosix_node, last_shutdown)];

	mosix_node_last_shutdown(buf, sizeof(buf));
	return sysfs_emit(page, "%s\n", buf);
}

static ssize_t epoch_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%llu\n", mosix_info_epoch());
}

/* the floor of the next bring-up's epoch (mosctl start keeps a counter) */
static ssize_t epoch_store(struct config_item *item, const char *page,
			   size_t count)
{
	const char *s = page;
	size_t len;
	u64 v;
	int err;

	if (!may_write("epoch"))
		return -EPERM;
	len = trim(&s, count);
	err = mosix_parse_decimal_u64(s, len, MOSIX_EPOCH_MAX, &v);
	if (!err && !v)
		err = -ERANGE;
	if (err) {
		pr_info_ratelimited("epoch: '%.*s' refused: %s 1..%llu\n",
				    (int)min_t(size_t, len, 32), s,
				    err == -EINVAL ? "not a decimal number in" :
				    "out of range", MOSIX_EPOCH_MAX);
		return err;
	}
	err = mosix_node_set_epoch(v);
	return err ? err : (ssize_t)count;
}

static ssize_t shutdown_timeout_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", mosix_node_shutdown_timeout());
}

static ssize_t shutdown_timeout_ms_store(struct config_item *item,
					 const char *page, size_t count)
{
	u32 v;
	int err;

	if (!may_write("shutdown_timeout_ms"))
		return -EPERM;
	err = parse_number("shutdown_timeout_ms", page, count, 1, 3600000, &v);
	if (err)
		return err;
	mosix_node_set_shutdown_timeout(v);
	return count;
}

/* 1: this node refuses guests (offers are answered "blocked") */
static ssize_t block_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", mosix_mig_blocked());
}

static ssize_t block_store(struct config_item *item, const char *page,
			   size_t count)
{
	u32 v;
	int err;

	if (!may_write("block"))
		return -EPERM;
	err = parse_number("block", page, count, 0, 1, &v);
	if (err)
		return err;
	mosix_mig_set_blocked(v);
	return count;
}

static ssize_t mig_timeout_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(mosix_mig_timeout_ms));
}

/* moves started from now on get the new bound */
static ssize_t mig_timeout_ms_store(struct config_item *item, const char *page,
				    size_t count)
{
	u32 v;
	int err;

	if (!may_write("mig_timeout_ms"))
		return -EPERM;
	err = parse_number("mig_timeout_ms", page, count, MOSIX_MIG_TIMEOUT_MIN_MS,
			   MOSIX_MIG_TIMEOUT_MAX_MS, &v);
	if (err)
		return err;
	WRITE_ONCE(mosix_mig_timeout_ms, v);
	return count;
}

static ssize_t mig_max_image_mb_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(mosix_mig_max_image_mb));
}

static ssize_t mig_max_image_mb_store(struct config_item *item, const char *page,
				      size_t count)
{
	u32 v;
	int err;

	if (!may_write("mig_max_image_mb"))
		return -EPERM;
	err = parse_number("mig_max_image_mb", page, count, 1, 1048576, &v);
	if (err)
		return err;
	WRITE_ONCE(mosix_mig_max_image_mb, v);
	return count;
}

static ssize_t mig_allow_root_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(mosix_mig_allow_root));
}

static ssize_t mig_allow_root_store(struct config_item *item, const char *page,
				    size_t count)
{
	u32 v;
	int err;

	if (!may_write("mig_allow_root"))
		return -EPERM;
	err = parse_number("mig_allow_root", page, count, 0, 1, &v);
	if (err)
		return err;
	WRITE_ONCE(mosix_mig_allow_root, v);
	return count;
}

/* both daemons: running, generation acknowledged, idle */
static ssize_t daemons_show(struct config_item *item, char *page)
{
	bool running, active, idle, criu;
	u32 acked, gen;
	ssize_t len;
	u16 port;

	mosix_info_daemon_state(&running, &acked, &active);
	mosix_daemon_acked(MOSIX_DAEMON_INFO, &gen, &idle);
	len = sysfs_emit(page, "info %s acked=%u active=%d idle=%d\n",
			 running ? "running" : "stopped", gen, active, idle);
	mosix_daemon_acked(MOSIX_DAEMON_MIG, &gen, &idle);
	len += sysfs_emit_at(page, len, "mig %s acked=%u idle=%d\n",
			     mosix_mig_running() ? "running" : "stopped", gen, idle);
	len += sysfs_emit_at(page, len, "generation %u\nguests %s\n",
			     mosix_daemons_config(NULL),
			     mosix_mig_guests_blocked() ? "blocked" : "accepted");
	if (mosix_mig_helper_state(&port, &criu))
		len += sysfs_emit_at(page, len, "helper port=%u criu=%d\n", port, criu);
	else
		len += sysfs_emit_at(page, len, "helper none\n");
	return len;
}

static ssize_t state_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n", mosix_state_name(mosix_node_state()));
}

CONFIGFS_ATTR(, pe);
CONFIGFS_ATTR(, table);
CONFIGFS_ATTR_RO(, state);
CONFIGFS_ATTR(, key);
CONFIGFS_ATTR(, info_interval_ms);
CONFIGFS_ATTR(, window);
CONFIGFS_ATTR_RO(, stats);
CONFIGFS_ATTR_RO(, last_shutdown);
CONFIGFS_ATTR(, shutdown_timeout_ms);
CONFIGFS_ATTR_RO(, daemons);
CONFIGFS_ATTR(, epoch);
CONFIGFS_ATTR(, block);
CONFIGFS_ATTR(, mig_timeout_ms);
CONFIGFS_ATTR(, mig_max_image_mb);
CONFIGFS_ATTR(, mig_allow_root);

static struct configfs_attribute *mosix_attrs[] = {
	&attr_pe,
	&attr_table,
	&attr_state,
	&attr_key,
	&attr_info_interval_ms,
	&attr_window,
	&attr_stats,
	&attr_last_shutdown,
	&attr_shutdown_timeout_ms,
	&attr_daemons,
	&attr_epoch,
	&attr_block,
	&attr_mig_timeout_ms,
	&attr_mig_max_image_mb,
	&attr_mig_allow_root,
	NULL,
};

static struct config_item_type mosix_subsys_type = {
	.ct_attrs = mosix_attrs,
	.ct_owner = THIS_MODULE,
};

int mosix_configfs_init(void)
{
	/* the key file reveals nothing, but only root needs to see that */
	attr_key.ca_mode = 0600;
	config_group_init(&mosix_subsys.su_group);
	mutex_init(&mosix_subsys.su_mutex);
	return configfs_register_subsystem(&mosix_subsys);
}

void mosix_configfs_exit(void)
{
	configfs_unregister_subsystem(&mosix_subsys);
}
