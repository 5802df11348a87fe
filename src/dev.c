// SPDX-License-Identifier: GPL-2.0
/*
 * Per-device state: one rxs_dev (and its sysfs directory) for every
 * net_device, attach and detach of the rx_handler, and the netdevice
 * notifier that follows devices as they come and go.
 *
 * What is allocated for a device, its rx queues and their masks and
 * dev-flow tables is charged to the memory cgroup of the task that causes
 * it (GFP_KERNEL_ACCOUNT), as the kernel charges a net_device and its rx
 * queues: root of an unprivileged user namespace may attach its own
 * devices and size their tables (see rxs_sysfs_may_write()), and must not
 * pin host memory beyond its cgroup's limit that way.
 */

#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "rxsteer/compat.h"
#include "rxsteer/rxsteer.h"

static char *attach;
module_param(attach, charp, 0444);
MODULE_PARM_DESC(attach,
		 "Comma-separated devices of the initial network namespace to attach at load");

static int rxs_param_set_backlog_limit(const char *val,
				       const struct kernel_param *kp)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err)
		return err;
	if (v < 1 || v > RXS_BACKLOG_LIMIT_MAX)
		return -ERANGE;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops rxs_param_backlog_limit_ops = {
	.set = rxs_param_set_backlog_limit,
	.get = param_get_uint,
};

static unsigned int backlog_limit = RXS_BACKLOG_LIMIT_DEFAULT;
module_param_cb(backlog_limit, &rxs_param_backlog_limit_ops, &backlog_limit,
		0444);
MODULE_PARM_DESC(backlog_limit,
		 "Initial backlog_limit of every device's rxsteer directory, 1..1048576 packets (default 1000)");

/* Every rxs_dev, keyed by its net_device; under RTNL. */
static DEFINE_HASHTABLE(rxs_devs, 8);

static struct rxs_dev *rxs_dev_find(const struct net_device *dev)
{
	struct rxs_dev *rdev;

	hash_for_each_possible(rxs_devs, rdev, node, (unsigned long)dev)
		if (rdev->dev == dev)
			return rdev;
	return NULL;
}

/* Kernel RPS or RFS on any rx queue of @dev: report the first one. */
static int rxs_dev_kernel_rps_queue(const struct net_device *dev)
{
#ifdef CONFIG_RPS
	unsigned int i;

	for (i = 0; i < dev->num_rx_queues; i++)
		if (rcu_access_pointer(dev->_rx[i].rps_map) ||
		    rcu_access_pointer(dev->_rx[i].rps_flow_table))
			return i;
#endif
	return -1;
}

/**
 * rxs_dev_queue_free() - free an rx queue's state
 * @q: the queue, unreachable from the datapath (its kobject's release)
 */
void rxs_dev_queue_free(struct rxs_queue *q)
{
	rxs_rps_clear(q);
	rxs_rfs_clear(q);
	free_percpu(q->stats);
	free_cpumask_var(q->mask);
	kfree(q);
}

static struct rxs_queue *rxs_queue_alloc(struct rxs_dev *rdev,
					 unsigned int index)
{
	struct rxs_queue *q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);

	if (!q)
		return NULL;
	q->rdev = rdev;
	q->index = index;
	q->stats = alloc_percpu_gfp(struct rxs_queue_stats, GFP_KERNEL_ACCOUNT);
	if (!q->stats || !zalloc_cpumask_var(&q->mask, GFP_KERNEL_ACCOUNT)) {
		free_percpu(q->stats);
		kfree(q);
		return NULL;
	}
	return q;
}

static void rxs_dev_queues_del(struct rxs_dev *rdev, unsigned int n)
{
	while (n--)
		rxs_sysfs_queue_del(rdev->queues[n]);
	kfree(rdev->queues);
	rdev->queues = NULL;
	rdev->nqueues = 0;
}

static int rxs_dev_queues_add(struct rxs_dev *rdev)
{
	unsigned int i, n = rdev->dev->num_rx_queues;
	int err;

	rdev->queues = kcalloc(n, sizeof(*rdev->queues), GFP_KERNEL_ACCOUNT);
	if (!rdev->queues)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct rxs_queue *q = rxs_queue_alloc(rdev, i);

		if (!q) {
			err = -ENOMEM;
			goto err_queues;
		}
		rdev->queues[i] = q;
		err = rxs_sysfs_queue_add(q);
		if (err)	/* the kobject's release freed q */
			goto err_queues;
	}
	rdev->nqueues = n;
	return 0;

err_queues:
	rxs_dev_queues_del(rdev, i);
	return err;
}

/**
 * rxs_dev_attach() - start steering a device's received packets
 * @rdev: the device's state
 *
 * Caller holds RTNL.
 *
 * Return: 0; -EBUSY if the device already has an rx_handler (bridge, bond,
 * macvlan... port) or kernel RPS is configured on one of its rx queues;
 * -ENOMEM.
 */
int rxs_dev_attach(struct rxs_dev *rdev)
{
	struct net_device *dev = rdev->dev;
	int err, q;

	ASSERT_RTNL();
	if (rdev->attached)
		return 0;
	if (rtnl_dereference(dev->rx_handler)) {
		netdev_warn(dev, "rxsteer: cannot attach: the device already has an rx_handler (bridge, bond, macvlan or similar port)\n");
		return -EBUSY;
	}
	q = rxs_dev_kernel_rps_queue(dev);
	if (q >= 0) {
		netdev_warn(dev, "rxsteer: cannot attach: kernel RPS is enabled on rx-%d (rps_cpus or rps_flow_cnt); clear it first\n",
			    q);
		return -EBUSY;
	}

	err = rxs_dev_queues_add(rdev);
	if (err)
		return err;
	err = netdev_rx_handler_register(dev, rxs_handle_frame, rdev);
	if (err)
		goto err_queues;
	rdev->attached = true;
	netdev_info(dev, "rxsteer: attached, %u rx queues\n", rdev->nqueues);
	return 0;

err_queues:
	rxs_dev_queues_del(rdev, rdev->nqueues);
	return err;
}

/**
 * rxs_dev_detach() - stop steering a device and drop what it left queued
 * @rdev: the device's state
 *
 * Caller holds RTNL. Packets of the device still in a backlog are dropped
 * and counted as drop_detached.
 */
void rxs_dev_detach(struct rxs_dev *rdev)
{
	ASSERT_RTNL();
	if (!rdev->attached)
		return;
	/* Includes synchronize_net(): no rx_handler call is left running. */
	netdev_rx_handler_unregister(rdev->dev);
	rxs_backlog_purge_dev(rdev->dev);
	/* A poll may still be re-delivering a batch it took before. */
	synchronize_net();
	rxs_dev_queues_del(rdev, rdev->nqueues);
	rdev->attached = false;
	netdev_info(rdev->dev, "rxsteer: detached\n");
}

static int rxs_dev_register(struct net_device *dev)
{
	struct rxs_dev *rdev;
	int err;

	rdev = kzalloc(sizeof(*rdev), GFP_KERNEL_ACCOUNT);
	if (!rdev)
		return -ENOMEM;
	rdev->dev = dev;
	rdev->rps_conflicts = alloc_percpu_gfp(unsigned long,
					       GFP_KERNEL_ACCOUNT);
	if (!rdev->rps_conflicts) {
		kfree(rdev);
		return -ENOMEM;
	}
	rdev->backlog_limit = backlog_limit;
	err = rxs_sysfs_dev_add(rdev);	/* on error, freed by release */
	if (err)
		return err;
	hash_add(rxs_devs, &rdev->node, (unsigned long)dev);
	return 0;
}

static void rxs_dev_unregister(struct net_device *dev)
{
	struct rxs_dev *rdev = rxs_dev_find(dev);

	if (!rdev)
		return;
	rxs_dev_detach(rdev);
	hash_del(&rdev->node);
	rxs_sysfs_dev_del(rdev);
}

static int rxs_dev_event(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	int err;

	switch (event) {
	case NETDEV_REGISTER:
		err = rxs_dev_register(dev);
		if (err)
			netdev_warn(dev, "rxsteer: no sysfs directory: %d\n",
				    err);
		break;
	case NETDEV_UNREGISTER:
		rxs_dev_unregister(dev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block rxs_dev_notifier = {
	.notifier_call = rxs_dev_event,
};

static void rxs_dev_attach_param(void)
{
	char *names, *p, *name;

	if (!attach || !*attach)
		return;
	names = kstrdup(attach, GFP_KERNEL);
	if (!names)
		return;
	p = names;
	rtnl_lock();
	while ((name = strsep(&p, ","))) {
		struct net_device *dev;
		struct rxs_dev *rdev;
		int err = -ENODEV;

		if (!*name)
			continue;
		name = strim(name);
		dev = __dev_get_by_name(&init_net, name);
		rdev = dev ? rxs_dev_find(dev) : NULL;
		if (rdev)
			err = rxs_dev_attach(rdev);
		if (err)
			pr_warn("cannot attach %s: %d\n", name, err);
	}
	rtnl_unlock();
	kfree(names);
}

/**
 * rxs_dev_init() - follow every net_device, attach those of @attach
 *
 * Return: 0 or the notifier's error.
 */
int rxs_dev_init(void)
{
	int err;

	/* Replays NETDEV_REGISTER for the devices of every namespace. */
	err = register_netdevice_notifier(&rxs_dev_notifier);
	if (err)
		return err;
	rxs_dev_attach_param();
	return 0;
}

/**
 * rxs_dev_exit() - detach every device and remove every sysfs directory
 */
void rxs_dev_exit(void)
{
	/* Replays NETDEV_UNREGISTER for every device. */
	unregister_netdevice_notifier(&rxs_dev_notifier);
}
