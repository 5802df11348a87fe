// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters and their table view, /proc/net/rxsteer_stat: one row
 * per possible CPU under a header line, in the spirit of softnet_stat.
 * The counters are module-wide; every network namespace shows the same.
 */

#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "rxsteer/rxsteer.h"

DEFINE_PER_CPU_ALIGNED(struct rxs_cpu_stats, rxs_stats);

const char *const rxs_stat_names[RXS_STAT_NR] = {
	[RXS_STAT_STEERED_OUT]		= "steered_out",
	[RXS_STAT_STEERED_IN]		= "steered_in",
	[RXS_STAT_PROCESSED]		= "processed",
	[RXS_STAT_PASSED_LOCAL]		= "passed_local",
	[RXS_STAT_NO_STEER]		= "no_steer",
	[RXS_STAT_NON_IP]		= "non_ip",
	[RXS_STAT_NO_HASH]		= "no_hash",
	[RXS_STAT_TARGET_OFFLINE]	= "target_offline",
	[RXS_STAT_REDELIVERED]		= "redelivered",
	[RXS_STAT_IPI_SENT]		= "ipi_sent",
	[RXS_STAT_IPI_RECV]		= "ipi_recv",
	[RXS_STAT_POLLS]		= "polls",
	[RXS_STAT_DROP_BACKLOG]		= "drop_backlog",
	[RXS_STAT_DROP_NOMEM]		= "drop_nomem",
	[RXS_STAT_DROP_DETACHED]	= "drop_detached",
	[RXS_STAT_RFS_HIT]		= "rfs_hit",
	[RXS_STAT_RFS_MISS]		= "rfs_miss",
	[RXS_STAT_FLOW_MOVE]		= "flow_move",
	[RXS_STAT_FLOW_MOVE_DEFERRED]	= "flow_move_deferred",
	[RXS_STAT_PROBE_HIT]		= "probe_hit",
	[RXS_STAT_PROBE_STORE]		= "probe_store",
	[RXS_STAT_HOTPLUG_MOVED]	= "hotplug_moved",
	[RXS_STAT_DROP_FLOW_LIMIT]	= "drop_flow_limit",
	[RXS_STAT_LINGER_POLLS]		= "linger_polls",
};

/**
 * rxs_stat_sum() - a counter summed over every possible CPU
 * @s: the counter
 *
 * Return: the sum.
 */
unsigned long rxs_stat_sum(enum rxs_stat s)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(&rxs_stats, cpu)->v[s]);
	return sum;
}

static int rxs_stats_show(struct seq_file *seq, void *v)
{
	unsigned int cpu, i;

	seq_puts(seq, "cpu");
	for (i = 0; i < RXS_STAT_NR; i++)
		seq_printf(seq, " %s", rxs_stat_names[i]);
	seq_puts(seq, " backlog\n");
	for_each_possible_cpu(cpu) {
		const struct rxs_cpu_stats *st = per_cpu_ptr(&rxs_stats, cpu);

		seq_printf(seq, "%u", cpu);
		for (i = 0; i < RXS_STAT_NR; i++)
			seq_printf(seq, " %lu", READ_ONCE(st->v[i]));
		seq_printf(seq, " %u\n", rxs_backlog_len(cpu));
	}
	return 0;
}

static int __net_init rxs_stats_net_init(struct net *net)
{
	if (!proc_create_single("rxsteer_stat", 0444, net->proc_net,
				rxs_stats_show))
		return -ENOMEM;
	return 0;
}

static void __net_exit rxs_stats_net_exit(struct net *net)
{
	remove_proc_entry("rxsteer_stat", net->proc_net);
}

static struct pernet_operations rxs_stats_net_ops = {
	.init = rxs_stats_net_init,
	.exit = rxs_stats_net_exit,
};

/**
 * rxs_stats_init() - create /proc/net/rxsteer_stat in every namespace
 *
 * Return: 0 or a negative errno.
 */
int rxs_stats_init(void)
{
	return register_pernet_subsys(&rxs_stats_net_ops);
}

/**
 * rxs_stats_exit() - remove the table files
 */
void rxs_stats_exit(void)
{
	unregister_pernet_subsys(&rxs_stats_net_ops);
}
