/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the parts of rxsteer.ko.
 *
 * The way of one packet: rx.c (rx_handler) asks rps.c for a CPU, then either
 * passes the skb up locally or hands it to backlog.c, which queues it on the
 * target CPU, kicks that CPU with a batched IPI and re-delivers the skb from
 * a NAPI poll there. dev.c owns per-device state, sysfs.c the knobs,
 * stats.c the counters.
 */
#ifndef _RXSTEER_H
#define _RXSTEER_H

#include <linux/cpumask.h>
#include <linux/kobject.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>

/* Default per-CPU backlog limit of a newly attached device, in packets. */
#define RXS_BACKLOG_LIMIT_DEFAULT	1000
#define RXS_BACKLOG_LIMIT_MAX		(1024U * 1024U)

/* Upper bound of the poll_linger_us module parameter. */
#define RXS_POLL_LINGER_MAX_US		1000

/* Per-CPU event counters; see Documentation/sysfs-abi.rst. */
enum rxs_stat {
	RXS_STAT_STEERED_OUT,
	RXS_STAT_STEERED_IN,
	RXS_STAT_PROCESSED,
	RXS_STAT_PASSED_LOCAL,
	RXS_STAT_NO_STEER,
	RXS_STAT_NON_IP,
	RXS_STAT_NO_HASH,
	RXS_STAT_TARGET_OFFLINE,
	RXS_STAT_REDELIVERED,
	RXS_STAT_IPI_SENT,
	RXS_STAT_IPI_RECV,
	RXS_STAT_POLLS,
	RXS_STAT_DROP_BACKLOG,
	RXS_STAT_DROP_NOMEM,
	RXS_STAT_DROP_DETACHED,
	RXS_STAT_RFS_HIT,
	RXS_STAT_RFS_MISS,
	RXS_STAT_FLOW_MOVE,
	RXS_STAT_FLOW_MOVE_DEFERRED,
	RXS_STAT_PROBE_HIT,
	RXS_STAT_PROBE_STORE,
	RXS_STAT_HOTPLUG_MOVED,
	RXS_STAT_DROP_FLOW_LIMIT,
	RXS_STAT_LINGER_POLLS,
	RXS_STAT_NR
};

struct rxs_cpu_stats {
	unsigned long v[RXS_STAT_NR];
};

DECLARE_PER_CPU_ALIGNED(struct rxs_cpu_stats, rxs_stats);

/*
 * Count an event on this CPU. Callers run with BH or preemption disabled;
 * each counter is only counted from one of those contexts.
 */
static inline void rxs_stat_inc(enum rxs_stat s)
{
	__this_cpu_inc(rxs_stats.v[s]);
}

/* An rx queue's CPU choice: the CPUs of its mask that were online. */
struct rxs_map {
	struct rcu_head rcu;
	unsigned int len;
	u16 cpus[];
};

/* RFS: the CPU where the application last read each flow (global). */
struct rxs_sock_flow_table {
	struct rcu_head rcu;
	u32 mask;
	u32 ents[];
};

#define RXS_NO_CPU	0xffff

/* RFS: where one rx queue's flows are processed now, and how far queued. */
struct rxs_flow {
	u16 cpu;
	u32 last_qtail;
};

struct rxs_flow_table {
	struct rcu_head rcu;
	unsigned int log;
	struct rxs_flow flows[];
};

#define RXS_SOCK_FLOW_MAX	(16U * 1024U * 1024U)
#define RXS_FLOW_CNT_MAX	(1024U * 1024U)

struct rxs_queue_stats {
	unsigned long seen;
	unsigned long steered;
};

struct rxs_dev;

/* Steering state of one rx queue of an attached device. */
struct rxs_queue {
	struct kobject kobj;
	struct rxs_dev *rdev;
	struct rxs_map __rcu *map;
	struct rxs_flow_table __rcu *flows;
	cpumask_var_t mask;		/* as configured; under RTNL */
	struct rxs_queue_stats __percpu *stats;
	unsigned int index;
};

/* Per-device state: exists for every net_device, steering only if attached. */
struct rxs_dev {
	struct kobject kobj;		/* /sys/class/net/DEV/rxsteer */
	struct hlist_node node;		/* in the device table; under RTNL */
	struct net_device *dev;
	struct rxs_queue **queues;	/* num_rx_queues entries when attached */
	unsigned int nqueues;
	unsigned int backlog_limit;
	bool flow_limit;		/* limit a flow that fills a backlog */
	unsigned long __percpu *rps_conflicts;
	bool attached;
};

/* dev.c */
int rxs_dev_init(void);
void rxs_dev_exit(void);
int rxs_dev_attach(struct rxs_dev *rdev);
void rxs_dev_detach(struct rxs_dev *rdev);
void rxs_dev_queue_free(struct rxs_queue *q);

/* rx.c */
rx_handler_result_t rxs_handle_frame(struct sk_buff **pskb);

/* rps.c */
int rxs_rps_set_mask(struct rxs_queue *q, const struct cpumask *mask);
void rxs_rps_clear(struct rxs_queue *q);
int rxs_rps_pick_cpu(const struct rxs_map *map, u32 hash);

/* rfs.c */
int rxs_rfs_init(void);
void rxs_rfs_exit(void);
int rxs_rfs_set_sock_entries(unsigned int n);
unsigned int rxs_rfs_sock_entries(void);
int rxs_rfs_set_flow_cnt(struct rxs_queue *q, unsigned int n);
unsigned int rxs_rfs_flow_cnt(struct rxs_queue *q);
void rxs_rfs_clear(struct rxs_queue *q);
void rxs_rfs_record(u32 hash);
struct rxs_sock_flow_table *rxs_rfs_table(void);
int rxs_rfs_sock_cpu(const struct rxs_sock_flow_table *t, u32 hash);
unsigned int rxs_rfs_follow(struct rxs_flow_table *ft, u32 hash,
			    unsigned int want, struct rxs_flow **rflowp);

/* probe.c */
int rxs_probe_enable(void);
void rxs_probe_disable(void);
void rxs_probe_exit(void);
ssize_t rxs_probe_status(char *buf);

/* backlog.c */
int rxs_backlog_init(void);
void rxs_backlog_exit(void);
bool rxs_backlog_enqueue(struct sk_buff *skb, unsigned int cpu,
			 unsigned int limit, bool flow_limit, u32 hash,
			 u32 *qtail);
u32 rxs_backlog_head(unsigned int cpu);
u32 rxs_backlog_tail(unsigned int cpu);
void rxs_backlog_purge_dev(const struct net_device *dev);
bool rxs_backlog_is_redelivery(const struct sk_buff *skb);
unsigned int rxs_backlog_len(unsigned int cpu);

/* sysfs.c */
int rxs_sysfs_init(void);
void rxs_sysfs_exit(void);
int rxs_sysfs_dev_add(struct rxs_dev *rdev);
void rxs_sysfs_dev_del(struct rxs_dev *rdev);
int rxs_sysfs_queue_add(struct rxs_queue *q);
void rxs_sysfs_queue_del(struct rxs_queue *q);

/* stats.c */
extern const char *const rxs_stat_names[RXS_STAT_NR];
unsigned long rxs_stat_sum(enum rxs_stat s);
int rxs_stats_init(void);
void rxs_stats_exit(void);

#endif /* _RXSTEER_H */
