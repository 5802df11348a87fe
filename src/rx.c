// SPDX-License-Identifier: GPL-2.0
/*
 * The rx_handler: for each received skb, decide between passing it up on
 * this CPU and steering it to another CPU's backlog: RFS first (rfs.c),
 * else RPS (rps.c).
 */

#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "rxsteer/compat.h"
#include "rxsteer/rxsteer.h"
#include "rxsteer/trace.h"

static bool rxs_rx_is_ip(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IP) ||
	       skb->protocol == htons(ETH_P_IPV6);
}

/*
 * Kernel RPS or RFS configured on this rx queue: get_rps_cpu() already ran
 * before the rx_handler, and runs again on every re-delivery.
 */
static bool rxs_rx_kernel_rps_on(const struct net_device *dev, u16 index)
{
#ifdef CONFIG_RPS
	const struct netdev_rx_queue *rxq;

	if (!static_branch_unlikely(&rps_needed) || index >= dev->num_rx_queues)
		return false;
	rxq = &dev->_rx[index];
	return rcu_access_pointer(rxq->rps_map) ||
	       rcu_access_pointer(rxq->rps_flow_table);
#else
	return false;
#endif
}

/**
 * rxs_handle_frame() - rx_handler of an attached device
 * @pskb: the received skb; replaced when it had to be unshared
 *
 * Runs in __netif_receive_skb_core() under rcu_read_lock with BH disabled,
 * after packet taps, tc and netfilter ingress.
 *
 * Return: RX_HANDLER_PASS to continue on this CPU, RX_HANDLER_CONSUMED when
 * the skb was queued to another CPU (or dropped there and counted).
 */
rx_handler_result_t rxs_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	enum rxs_trace_how how = RXS_HOW_RPS;
	struct rxs_sock_flow_table *socks;
	struct rxs_flow *rflow = NULL;
	struct rxs_flow_table *flows;
	struct rxs_queue *q;
	struct rxs_map *map;
	struct rxs_dev *rdev;
	unsigned int cpu;
	u32 hash, qtail;
	u16 index = 0;
	int ret;

	if (rxs_backlog_is_redelivery(skb)) {
		rxs_stat_inc(RXS_STAT_REDELIVERED);
		return RX_HANDLER_PASS;
	}

	rdev = rcu_dereference(skb->dev->rx_handler_data);
	if (skb_rx_queue_recorded(skb)) {
		index = skb_get_rx_queue(skb);
		if (unlikely(index >= rdev->nqueues))
			index = 0;
	}
	q = rdev->queues[index];
	__this_cpu_inc(q->stats->seen);
	if (unlikely(rxs_rx_kernel_rps_on(skb->dev, index))) {
		/*
		 * Steering as well would bounce the skb between the CPUs the
		 * kernel and rxsteer pick: count, and leave it to the kernel.
		 */
		__this_cpu_inc(*rdev->rps_conflicts);
		return RX_HANDLER_PASS;
	}
	map = rcu_dereference(q->map);
	socks = rxs_rfs_table();
	flows = socks ? rcu_dereference(q->flows) : NULL;
	if (!map && !flows) {
		rxs_stat_inc(RXS_STAT_NO_STEER);
		return RX_HANDLER_PASS;
	}
	if (!rxs_rx_is_ip(skb)) {
		rxs_stat_inc(RXS_STAT_NON_IP);
		return RX_HANDLER_PASS;
	}
	/* Reuses the NIC's or the sender's hash; else computes and keeps it
	 * in skb->hash, so the socket's sk_rxhash matches it later.
	 */
	hash = skb_get_hash(skb);
	if (unlikely(!hash)) {
		rxs_stat_inc(RXS_STAT_NO_HASH);
		return RX_HANDLER_PASS;
	}

	if (flows) {
		/* RFS: where the application reads the flow; else RPS;
		 * else here. The dev-flow entry keeps the flow in order.
		 */
		ret = rxs_rfs_sock_cpu(socks, hash);
		if (ret >= 0)
			how = RXS_HOW_RFS;
		else if (map)
			ret = rxs_rps_pick_cpu(map, hash);
		if (ret < 0) {
			how = RXS_HOW_LOCAL;
			ret = smp_processor_id();
		}
		cpu = rxs_rfs_follow(flows, hash, ret, &rflow);
	} else {
		ret = rxs_rps_pick_cpu(map, hash);
		if (unlikely(ret < 0)) {
			rxs_stat_inc(RXS_STAT_TARGET_OFFLINE);
			return RX_HANDLER_PASS;
		}
		cpu = ret;
	}
	trace_rxs_steer(skb->dev, index, hash, cpu, ret, how);
	if (cpu == smp_processor_id()) {
		/*
		 * Pass at once, unless packets wait in this CPU's backlog: one
		 * of them may be of this flow (it arrived on another CPU
		 * before), and this packet must not overtake it. A flow RFS
		 * tracks is queued here too, as the kernel does: a packet
		 * passed up may still wait in a GRO list when the next one
		 * arrives, and only a queued packet tells, by the backlog
		 * head, when the flow may move on.
		 */
		if (likely(!rflow && !rxs_backlog_len(cpu))) {
			rxs_stat_inc(RXS_STAT_PASSED_LOCAL);
			return RX_HANDLER_PASS;
		}
	} else if (unlikely(!cpu_online(cpu))) {
		rxs_stat_inc(RXS_STAT_TARGET_OFFLINE);
		return RX_HANDLER_PASS;
	}

	/* A tap may still hold a reference: the target CPU will modify it. */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		trace_rxs_drop(rdev->dev, *pskb, smp_processor_id(),
			       RXS_DROP_NOMEM);
		rxs_stat_inc(RXS_STAT_DROP_NOMEM);
		return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;
	if (rxs_backlog_enqueue(skb, cpu, READ_ONCE(rdev->backlog_limit),
				READ_ONCE(rdev->flow_limit), hash, &qtail)) {
		__this_cpu_inc(q->stats->steered);
		if (rflow)
			WRITE_ONCE(rflow->last_qtail, qtail);
	}
	return RX_HANDLER_CONSUMED;
}
