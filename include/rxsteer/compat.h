/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference rxsteer copes with, in one place. Each
 * shim names the kernel version and upstream commit that made it needed.
 * Supported: Debian's 6.1 and 6.12 kernels.
 */
#ifndef _RXSTEER_COMPAT_H
#define _RXSTEER_COMPAT_H

#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "rxsteer needs Linux 6.1 or later"
#endif

/*
 * v6.6, "net: move struct netdev_rx_queue out of netdevice.h": the rx
 * queue, and its kernel-RPS rps_map, got a header of its own.
 * v6.9, "net: introduce struct net_hotdata" and the move of RPS
 * declarations to <net/rps.h>: rps_needed is declared there.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#include <net/netdev_rx_queue.h>
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#include <net/rps.h>
#endif

/*
 * v6.10, "net: create a dummy net_device allocator" added
 * alloc_netdev_dummy(); struct net_device then stopped being embeddable.
 * Before it, a dummy device is allocated by hand and set up with
 * init_dummy_netdev().
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
static inline struct net_device *rxs_alloc_dummy_netdev(void)
{
	struct net_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (dev)
		init_dummy_netdev(dev);
	return dev;
}

static inline void rxs_free_dummy_netdev(struct net_device *dev)
{
	kfree(dev);
}
#else
static inline struct net_device *rxs_alloc_dummy_netdev(void)
{
	return alloc_netdev_dummy(0);
}

static inline void rxs_free_dummy_netdev(struct net_device *dev)
{
	free_netdev(dev);
}
#endif

/*
 * v6.10, "tracing/treewide: Remove second parameter of __assign_str()"
 * (commit 2c92ca849fcc): the source comes from __string() alone.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define rxs_assign_str(dst, src)	__assign_str(dst, src)
#else
#define rxs_assign_str(dst, src)	__assign_str(dst)
#endif

/*
 * v6.2, "kobject: make get_ownership take a const struct kobject *":
 * kobj_type callbacks take a const kobject from then on.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define rxs_kobj_const
#else
#define rxs_kobj_const const
#endif

/*
 * Mark a re-delivered skb so that __netif_receive_skb_core() skips packet
 * taps, tc ingress and netfilter ingress once (skb_skip_tc_classify()
 * tests and clears the bit; ifb uses it the same way). The test exists only
 * with CONFIG_NET_CLS_ACT. In 6.12 the bit itself is under CONFIG_NET_XGRESS,
 * which skb_skip_tc_classify() then needs too, so NET_CLS_ACT implies it.
 * Without NET_CLS_ACT taps see a steered packet twice, which
 * Documentation/limitations.rst explains.
 */
static inline void rxs_skb_skip_taps(struct sk_buff *skb)
{
#ifdef CONFIG_NET_CLS_ACT
	skb->tc_skip_classify = 1;
#endif
}

#endif /* _RXSTEER_COMPAT_H */
