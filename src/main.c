// SPDX-License-Identifier: GPL-2.0
/*
 * rxsteer: receive packet and flow steering in a loadable module.
 *
 * Init and exit only: the parts come up in order and go down in reverse.
 */

#include <linux/module.h>

#include "rxsteer/rxsteer.h"

static int __init rxs_init(void)
{
	int err;

	err = rxs_stats_init();
	if (err)
		return err;
	err = rxs_backlog_init();
	if (err)
		goto err_stats;
	err = rxs_rfs_init();
	if (err)
		goto err_backlog;
	err = rxs_sysfs_init();
	if (err)
		goto err_rfs;
	err = rxs_dev_init();
	if (err)
		goto err_sysfs;

	pr_info("rxsteer " RXS_VERSION " loaded\n");
	return 0;

err_sysfs:
	rxs_sysfs_exit();
err_rfs:
	rxs_rfs_exit();
err_backlog:
	rxs_backlog_exit();
err_stats:
	rxs_stats_exit();
	return err;
}

static void __exit rxs_exit(void)
{
	rxs_dev_exit();
	rxs_sysfs_exit();
	rxs_rfs_exit();
	rxs_backlog_exit();
	rxs_stats_exit();
	pr_info("rxsteer " RXS_VERSION " unloaded\n");
}

module_init(rxs_init);
module_exit(rxs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Receive packet and flow steering (RPS/RFS) done by a loadable module");
MODULE_AUTHOR("The rxsteer developers");
MODULE_VERSION(RXS_VERSION);
