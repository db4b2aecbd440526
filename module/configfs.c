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

static ssize_t pe_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", mosix_node_pe());
}

static ssize_t pe_store(struct config_item *item, const char *page,
			size_t count)
{
	const char *s = page, *end = page + count;
	u32 pe;
	int err;

	if (!may_write("pe"))
		return -EPERM;
	while (s < end && isspace(*s))
		s++;
	while (end > s && isspace(end[-1]))
		end--;
	err = mosix_parse_decimal(s, (size_t)(end - s), MOSIX_PE_MAX, &pe);
	if (err) {
		pr_info_ratelimited("pe: '%.*s' refused: %s\n",
				    (int)min_t(size_t, end - s, 32), s,
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

static ssize_t state_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n", mosix_state_name(mosix_node_state()));
}

CONFIGFS_ATTR(, pe);
CONFIGFS_ATTR(, table);
CONFIGFS_ATTR_RO(, state);

static struct configfs_attribute *mosix_attrs[] = {
	&attr_pe,
	&attr_table,
	&attr_state,
	NULL,
};

static struct config_item_type mosix_subsys_type = {
	.ct_attrs = mosix_attrs,
	.ct_owner = THIS_MODULE,
};

int mosix_configfs_init(void)
{
	config_group_init(&mosix_subsys.su_group);
	mutex_init(&mosix_subsys.su_mutex);
	return configfs_register_subsystem(&mosix_subsys);
}

void mosix_configfs_exit(void)
{
	configfs_unregister_subsystem(&mosix_subsys);
}
