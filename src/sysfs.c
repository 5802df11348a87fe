// SPDX-License-Identifier: GPL-2.0
/*
 * The sysfs knobs and counter files:
 *
 *   /sys/class/net/DEV/rxsteer/            per device (every device)
 *   /sys/class/net/DEV/rxsteer/rx-N/       per rx queue (attached devices)
 *   /sys/kernel/rxsteer/                   module-wide RFS knobs
 *   /sys/kernel/rxsteer/stats/             module-wide counters
 *
 * Every write is parsed completely before anything changes: bad input
 * returns an error and leaves the old value in place. Writes to a device's
 * files need CAP_NET_ADMIN in the user namespace owning the device's
 * netns; writes to the host-wide files, in the initial user namespace.
 */

#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <net/net_namespace.h>

#include "rxsteer/compat.h"
#include "rxsteer/logic.h"
#include "rxsteer/rxsteer.h"

static struct kobject *rxs_kobj;	/* /sys/kernel/rxsteer */
static struct kobject *rxs_stats_kobj;	/* /sys/kernel/rxsteer/stats */

static unsigned long rxs_sum_percpu(const unsigned long __percpu *p)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(p, cpu));
	return sum;
}

static int rxs_sysfs_may_write(const struct net_device *dev)
{
	if (!ns_capable(dev_net(dev)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	return 0;
}

static void rxs_sysfs_ownership(const struct net_device *dev, kuid_t *uid,
				kgid_t *gid)
{
	net_ns_get_ownership(dev_net(dev), uid, gid);
}

/* --- per device: /sys/class/net/DEV/rxsteer/ --- */

#define to_rxs_dev(k) container_of(k, struct rxs_dev, kobj)

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_rxs_dev(kobj)->attached));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct rxs_dev *rdev = to_rxs_dev(kobj);
	bool on;
	int err;

	err = rxs_sysfs_may_write(rdev->dev);
	if (err)
		return err;
	err = kstrtobool(buf, &on);
	if (err)
		return err;
	/* Detach removes sysfs files under RTNL: never sleep on it here. */
	if (!rtnl_trylock())
		return restart_syscall();
	if (on)
		err = rxs_dev_attach(rdev);
	else
		rxs_dev_detach(rdev);
	rtnl_unlock();
	return err ?: count;
}

/*
 * A device knob's write: permission, then a kstrtouint() number in
 * [@min, @max] (-ERANGE outside), parsed completely before any change.
 */
static int rxs_sysfs_dev_uint(struct rxs_dev *rdev, const char *buf,
			      unsigned int min, unsigned int max,
			      unsigned int *val)
{
	int err;

	err = rxs_sysfs_may_write(rdev->dev);
	if (err)
		return err;
	err = kstrtouint(buf, 0, val);
	if (err)
		return err;
	if (*val < min || *val > max)
		return -ERANGE;
	return 0;
}

static ssize_t backlog_limit_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_rxs_dev(kobj)->backlog_limit));
}

static ssize_t backlog_limit_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	struct rxs_dev *rdev = to_rxs_dev(kobj);
	unsigned int val;
	int err;

	err = rxs_sysfs_dev_uint(rdev, buf, 1, RXS_BACKLOG_LIMIT_MAX, &val);
	if (err)
		return err;
	WRITE_ONCE(rdev->backlog_limit, val);
	return count;
}

static ssize_t flow_limit_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_rxs_dev(kobj)->flow_limit));
}

static ssize_t flow_limit_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	struct rxs_dev *rdev = to_rxs_dev(kobj);
	unsigned int val;
	int err;

	err = rxs_sysfs_dev_uint(rdev, buf, 0, 1, &val);
	if (err)
		return err;
	WRITE_ONCE(rdev->flow_limit, val);
	return count;
}

static ssize_t kernel_rps_conflicts_show(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  rxs_sum_percpu(to_rxs_dev(kobj)->rps_conflicts));
}

static struct kobj_attribute rxs_attr_enabled = __ATTR_RW(enabled);
static struct kobj_attribute rxs_attr_backlog_limit = __ATTR_RW(backlog_limit);
static struct kobj_attribute rxs_attr_flow_limit = __ATTR_RW(flow_limit);
static struct kobj_attribute rxs_attr_kernel_rps_conflicts =
	__ATTR_RO(kernel_rps_conflicts);

static struct attribute *rxs_dev_attrs[] = {
	&rxs_attr_enabled.attr,
	&rxs_attr_backlog_limit.attr,
	&rxs_attr_flow_limit.attr,
	&rxs_attr_kernel_rps_conflicts.attr,
	NULL
};
ATTRIBUTE_GROUPS(rxs_dev);

static void rxs_dev_release(struct kobject *kobj)
{
	struct rxs_dev *rdev = to_rxs_dev(kobj);

	free_percpu(rdev->rps_conflicts);
	kfree(rdev);
}

static void rxs_dev_get_ownership(rxs_kobj_const struct kobject *kobj, kuid_t *uid,
				  kgid_t *gid)
{
	rxs_sysfs_ownership(to_rxs_dev(kobj)->dev, uid, gid);
}

static const struct kobj_type rxs_dev_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = rxs_dev_release,
	.default_groups = rxs_dev_groups,
	.get_ownership = rxs_dev_get_ownership,
};

/**
 * rxs_sysfs_dev_add() - create /sys/class/net/DEV/rxsteer/
 * @rdev: the device's state; freed by the kobject's release on error
 *
 * Return: 0 or a negative errno.
 */
int rxs_sysfs_dev_add(struct rxs_dev *rdev)
{
	int err;

	err = kobject_init_and_add(&rdev->kobj, &rxs_dev_ktype,
				   &rdev->dev->dev.kobj, "rxsteer");
	if (err)
		kobject_put(&rdev->kobj);
	return err;
}

/**
 * rxs_sysfs_dev_del() - remove the device directory and drop its state
 * @rdev: the device's state, detached
 */
void rxs_sysfs_dev_del(struct rxs_dev *rdev)
{
	kobject_del(&rdev->kobj);
	kobject_put(&rdev->kobj);
}

/* --- per rx queue: /sys/class/net/DEV/rxsteer/rx-N/ --- */

#define to_rxs_queue(k) container_of(k, struct rxs_queue, kobj)

typedef int (*rxs_mask_parser)(const char *buf, size_t len,
			       unsigned long *bits, unsigned int nbits);

static ssize_t rxs_queue_mask_store(struct rxs_queue *q, const char *buf,
				    size_t count, rxs_mask_parser parse)
{
	cpumask_var_t mask;
	int err;

	err = rxs_sysfs_may_write(q->rdev->dev);
	if (err)
		return err;
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	err = parse(buf, count, cpumask_bits(mask), nr_cpu_ids);
	if (err)
		goto out;
	if (!rtnl_trylock()) {
		err = restart_syscall();
		goto out;
	}
	err = rxs_rps_set_mask(q, mask);
	rtnl_unlock();
out:
	free_cpumask_var(mask);
	return err ?: count;
}

static ssize_t cpus_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%*pb\n", cpumask_pr_args(to_rxs_queue(kobj)->mask));
}

static ssize_t cpus_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	return rxs_queue_mask_store(to_rxs_queue(kobj), buf, count,
				    rxs_parse_hexmask);
}

static ssize_t cpus_list_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%*pbl\n",
			  cpumask_pr_args(to_rxs_queue(kobj)->mask));
}

static ssize_t cpus_list_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	return rxs_queue_mask_store(to_rxs_queue(kobj), buf, count,
				    rxs_parse_cpulist);
}

static ssize_t seen_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct rxs_queue *q = to_rxs_queue(kobj);

	return sysfs_emit(buf, "%lu\n", rxs_sum_percpu(&q->stats->seen));
}

static ssize_t steered_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct rxs_queue *q = to_rxs_queue(kobj);

	return sysfs_emit(buf, "%lu\n", rxs_sum_percpu(&q->stats->steered));
}

static ssize_t flow_cnt_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", rxs_rfs_flow_cnt(to_rxs_queue(kobj)));
}

static ssize_t flow_cnt_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	struct rxs_queue *q = to_rxs_queue(kobj);
	unsigned int n;
	int err;

	err = rxs_sysfs_may_write(q->rdev->dev);
	if (err)
		return err;
	err = kstrtouint(buf, 0, &n);
	if (err)
		return err;
	if (!rtnl_trylock())
		return restart_syscall();
	err = rxs_rfs_set_flow_cnt(q, n);
	rtnl_unlock();
	return err ?: count;
}

static struct kobj_attribute rxs_attr_cpus = __ATTR_RW(cpus);
static struct kobj_attribute rxs_attr_flow_cnt = __ATTR_RW(flow_cnt);
static struct kobj_attribute rxs_attr_cpus_list = __ATTR_RW(cpus_list);
static struct kobj_attribute rxs_attr_seen = __ATTR_RO(seen);
static struct kobj_attribute rxs_attr_steered = __ATTR_RO(steered);

static struct attribute *rxs_queue_attrs[] = {
	&rxs_attr_cpus.attr,
	&rxs_attr_cpus_list.attr,
	&rxs_attr_flow_cnt.attr,
	&rxs_attr_seen.attr,
	&rxs_attr_steered.attr,
	NULL
};
ATTRIBUTE_GROUPS(rxs_queue);

static void rxs_queue_release(struct kobject *kobj)
{
	rxs_dev_queue_free(to_rxs_queue(kobj));
}

static void rxs_queue_get_ownership(rxs_kobj_const struct kobject *kobj, kuid_t *uid,
				    kgid_t *gid)
{
	rxs_sysfs_ownership(to_rxs_queue(kobj)->rdev->dev, uid, gid);
}

static const struct kobj_type rxs_queue_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = rxs_queue_release,
	.default_groups = rxs_queue_groups,
	.get_ownership = rxs_queue_get_ownership,
};

/**
 * rxs_sysfs_queue_add() - create /sys/class/net/DEV/rxsteer/rx-N/
 * @q: the queue's state; freed by the kobject's release on error
 *
 * Return: 0 or a negative errno.
 */
int rxs_sysfs_queue_add(struct rxs_queue *q)
{
	int err;

	err = kobject_init_and_add(&q->kobj, &rxs_queue_ktype, &q->rdev->kobj,
				   "rx-%u", q->index);
	if (err)
		kobject_put(&q->kobj);
	return err;
}

/**
 * rxs_sysfs_queue_del() - remove a queue directory and drop its state
 * @q: the queue, unreachable from the datapath
 */
void rxs_sysfs_queue_del(struct rxs_queue *q)
{
	kobject_del(&q->kobj);
	kobject_put(&q->kobj);
}

/* --- module-wide: /sys/kernel/rxsteer/ --- */

static ssize_t sock_flow_entries_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", rxs_rfs_sock_entries());
}

static ssize_t sock_flow_entries_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned int n;
	int err;

	/* Host-wide, as the rps_sock_flow_entries sysctl. */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	err = kstrtouint(buf, 0, &n);
	if (err)
		return err;
	err = rxs_rfs_set_sock_entries(n);
	return err ?: count;
}

static ssize_t probes_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return rxs_probe_status(buf);
}

static struct kobj_attribute rxs_attr_sock_flow_entries =
	__ATTR_RW(sock_flow_entries);
static struct kobj_attribute rxs_attr_probes = __ATTR_RO(probes);

static struct attribute *rxs_global_attrs[] = {
	&rxs_attr_sock_flow_entries.attr,
	&rxs_attr_probes.attr,
	NULL
};

static const struct attribute_group rxs_global_group = {
	.attrs = rxs_global_attrs,
};

/* --- module-wide: /sys/kernel/rxsteer/stats/ --- */

struct rxs_stat_attr {
	struct kobj_attribute attr;
	enum rxs_stat stat;
};

static struct rxs_stat_attr rxs_stat_attrs[RXS_STAT_NR];
static struct attribute *rxs_stats_attrs[RXS_STAT_NR + 1];

static ssize_t rxs_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct rxs_stat_attr *sa = container_of(attr, struct rxs_stat_attr, attr);

	return sysfs_emit(buf, "%lu\n", rxs_stat_sum(sa->stat));
}

static const struct attribute_group rxs_stats_group = {
	.attrs = rxs_stats_attrs,
};

/**
 * rxs_sysfs_init() - create /sys/kernel/rxsteer/ and its counter files
 *
 * Return: 0 or a negative errno.
 */
int rxs_sysfs_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < RXS_STAT_NR; i++) {
		struct rxs_stat_attr *sa = &rxs_stat_attrs[i];

		sysfs_attr_init(&sa->attr.attr);
		sa->attr.attr.name = rxs_stat_names[i];
		sa->attr.attr.mode = 0444;
		sa->attr.show = rxs_stat_show;
		sa->stat = i;
		rxs_stats_attrs[i] = &sa->attr.attr;
	}

	rxs_kobj = kobject_create_and_add("rxsteer", kernel_kobj);
	if (!rxs_kobj)
		return -ENOMEM;
	err = sysfs_create_group(rxs_kobj, &rxs_global_group);
	if (err)
		goto err_kobj;
	rxs_stats_kobj = kobject_create_and_add("stats", rxs_kobj);
	if (!rxs_stats_kobj) {
		err = -ENOMEM;
		goto err_global;
	}
	err = sysfs_create_group(rxs_stats_kobj, &rxs_stats_group);
	if (err)
		goto err_stats_kobj;
	return 0;

err_stats_kobj:
	kobject_put(rxs_stats_kobj);
err_global:
	sysfs_remove_group(rxs_kobj, &rxs_global_group);
err_kobj:
	kobject_put(rxs_kobj);
	return err;
}

/**
 * rxs_sysfs_exit() - remove /sys/kernel/rxsteer/
 */
void rxs_sysfs_exit(void)
{
	sysfs_remove_group(rxs_stats_kobj, &rxs_stats_group);
	kobject_put(rxs_stats_kobj);
	sysfs_remove_group(rxs_kobj, &rxs_global_group);
	kobject_put(rxs_kobj);
}
