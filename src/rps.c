// SPDX-License-Identifier: GPL-2.0
/*
 * Receive packet steering: per-rx-queue CPU masks and the CPU choice by
 * flow hash.
 */

#include <linux/cpumask.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "rxsteer/logic.h"
#include "rxsteer/rxsteer.h"

/**
 * rxs_rps_pick_cpu() - the CPU of @map that a flow hash maps to
 * @map: CPU map of an rx queue, not empty
 * @hash: the flow hash
 *
 * When that CPU has gone offline since the mask was set, the next online
 * CPU of the map takes its flows, until it comes back.
 *
 * Return: the CPU number, or -1 if no CPU of @map is online.
 */
int rxs_rps_pick_cpu(const struct rxs_map *map, u32 hash)
{
	u32 i = rxs_scale(hash, map->len), n;

	for (n = 0; n < map->len; n++, i = (i + 1 == map->len) ? 0 : i + 1) {
		unsigned int cpu = map->cpus[i];

		if (likely(cpu_online(cpu)))
			return cpu;
	}
	return -1;
}

static struct rxs_map *rxs_rps_map_alloc(const struct cpumask *mask)
{
	unsigned int cpu, n = cpumask_weight(mask);
	struct rxs_map *map;

	if (!n)
		return NULL;
	map = kzalloc(struct_size(map, cpus, n), GFP_KERNEL_ACCOUNT);
	if (!map)
		return ERR_PTR(-ENOMEM);
	for_each_cpu(cpu, mask)
		map->cpus[map->len++] = cpu;
	return map;
}

/**
 * rxs_rps_set_mask() - replace an rx queue's CPU mask
 * @q: the queue
 * @mask: new mask; every CPU in it must be online, empty stops steering
 *
 * Caller holds RTNL. Readers switch over under RCU.
 *
 * Return: 0, -EINVAL if @mask names an offline CPU, or -ENOMEM; on error
 * the old mask stays in place.
 */
int rxs_rps_set_mask(struct rxs_queue *q, const struct cpumask *mask)
{
	struct rxs_map *map, *old;

	ASSERT_RTNL();
	if (!cpumask_subset(mask, cpu_online_mask))
		return -EINVAL;
	map = rxs_rps_map_alloc(mask);
	if (IS_ERR(map))
		return PTR_ERR(map);
	old = rcu_replace_pointer(q->map, map, lockdep_rtnl_is_held());
	cpumask_copy(q->mask, mask);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * rxs_rps_clear() - free an rx queue's CPU map
 * @q: a queue no reader can reach any more
 */
void rxs_rps_clear(struct rxs_queue *q)
{
	kfree(rcu_dereference_protected(q->map, 1));
	RCU_INIT_POINTER(q->map, NULL);
}
