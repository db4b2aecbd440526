// SPDX-License-Identifier: GPL-2.0
/*
 * mosix: openMosix's cluster-node machinery as a loadable module.
 * Init is a ladder; exit climbs it down in reverse, with the teardown of
 * what the interfaces built (the node, the info daemon's state, the table)
 * where it must come.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include "mosix.h"

#define MOSIX_VERSION "0.1.0"

static int __init mosix_init(void)
{
	int err;

	err = mosix_mig_init();
	if (err)
		goto err_mig;
	err = mosix_netlink_init();
	if (err)
		goto err_netlink;
	err = mosix_configfs_init();
	if (err)
		goto err_configfs;
	pr_info("version %s loaded\n", MOSIX_VERSION);
	return 0;

err_configfs:
	mosix_netlink_exit();
err_netlink:
	mosix_mig_exit();
err_mig:
	return err;
}

/*
 * The ladder backwards. configfs goes first: no write can start a
 * transition any more. The node is taken down (a shutdown if it is up)
 * while the generic netlink family is still registered, so that the
 * shutdown's stage and state events reach the listeners of the events
 * group; only then does the family go (waiting for the ops still running),
 * and after it what the ops read: the info daemon's state, the table and
 * the job registry.
 */
static void __exit mosix_exit(void)
{
	mosix_configfs_exit();
	mosix_node_exit();
	mosix_netlink_exit();
	mosix_info_exit();
	mosix_table_exit();
	mosix_mig_exit();
	mosix_jobs_exit();
	pr_info("unloaded\n");
}

module_init(mosix_init);
module_exit(mosix_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The mosix developers");
MODULE_DESCRIPTION("openMosix cluster-node machinery: node number, node table, staged shutdown");
MODULE_VERSION(MOSIX_VERSION);
MODULE_ALIAS_GENL_FAMILY(MOSIX_GENL_NAME);
MODULE_SOFTDEP("pre: configfs");
