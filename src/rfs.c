// SPDX-License-Identifier: GPL-2.0
/*
 * Receive flow steering: the global sock-flow table (where applications
 * last read each flow, fed by probe.c), the per-rx-queue dev-flow tables
 * (where each flow is processed now and how far it is queued there), and
 * the decision that moves a flow only when that keeps it in order.
 */

#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/vmalloc.h>

#include "rxsteer/logic.h"
#include "rxsteer/rxsteer.h"
#include "rxsteer/trace.h"

static struct rxs_sock_flow_table __rcu *rxs_sock_table;
static DEFINE_MUTEX(rxs_sock_table_lock);
static u32 rxs_cpu_mask;	/* roundup_pow_of_two(nr_cpu_ids) - 1 */

/**
 * rxs_rfs_record() - note that this CPU just read the flow @hash
 * @hash: the socket's sk_rxhash
 *
 * Called by the probes with preemption disabled. One store, and only when
 * the entry changes, so that a flow read on one CPU keeps its cache line
 * shared.
 */
void rxs_rfs_record(u32 hash)
{
	struct rxs_sock_flow_table *t;
	u32 val, *ent;

	if (!hash)
		return;
	rcu_read_lock();
	t = rcu_dereference(rxs_sock_table);
	if (t) {
		rxs_stat_inc(RXS_STAT_PROBE_HIT);
		ent = &t->ents[hash & t->mask];
		val = rxs_sock_ident(hash, rxs_cpu_mask, raw_smp_processor_id());
		if (READ_ONCE(*ent) != val) {
			WRITE_ONCE(*ent, val);
			rxs_stat_inc(RXS_STAT_PROBE_STORE);
		}
	}
	rcu_read_unlock();
}

/**
 * rxs_rfs_table() - the sock-flow table, or NULL when RFS is off
 *
 * Runs in the rx_handler, under RCU. Without the sock-flow table,
 * dev-flow tables are ignored and a queue steers by its RPS mask alone, as
 * the kernel does. The caller loads it once per packet and passes it to
 * rxs_rfs_sock_cpu(), so that a resize in between cannot split a decision.
 *
 * Return: the table.
 */
struct rxs_sock_flow_table *rxs_rfs_table(void)
{
	return rcu_dereference(rxs_sock_table);
}

/**
 * rxs_rfs_sock_cpu() - the CPU where the application last read a flow
 * @t: the sock-flow table, from rxs_rfs_table()
 * @hash: the flow hash
 *
 * Runs in the rx_handler, under RCU. Counts an RFS hit or miss.
 *
 * Return: the CPU, or -1 when the slot holds another flow or names a CPU
 * that is offline.
 */
int rxs_rfs_sock_cpu(const struct rxs_sock_flow_table *t, u32 hash)
{
	unsigned int cpu;
	u32 ident;

	ident = READ_ONCE(t->ents[hash & t->mask]);
	cpu = ident & rxs_cpu_mask;
	if (!rxs_sock_match(ident, hash, rxs_cpu_mask) ||
	    cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		rxs_stat_inc(RXS_STAT_RFS_MISS);
		return -1;
	}
	rxs_stat_inc(RXS_STAT_RFS_HIT);
	return cpu;
}

/**
 * rxs_rfs_follow() - move a flow towards @want if that keeps it in order
 * @ft: the rx queue's dev-flow table
 * @hash: the flow hash
 * @want: where the flow should be processed (RFS, else RPS, else here)
 * @rflowp: set to the flow's dev-flow entry
 *
 * Runs in the rx_handler, under RCU. The flow leaves the CPU processing it
 * only when that CPU's backlog has re-delivered every packet of the flow
 * it holds (or the CPU is offline or unset); otherwise it stays, and the
 * move is retried on the next packet. Every steered packet of a queue with
 * a dev-flow table goes through here, whatever chose @want, so no switch
 * between RFS, RPS and local processing can reorder a flow.
 *
 * Return: the CPU to process this packet on.
 */
unsigned int rxs_rfs_follow(struct rxs_flow_table *ft, u32 hash,
			    unsigned int want, struct rxs_flow **rflowp)
{
	struct rxs_flow *rflow = &ft->flows[rxs_flow_index(hash, ft->log)];
	unsigned int cur = READ_ONCE(rflow->cpu);

	*rflowp = rflow;
	if (cur == want)
		return cur;
	if (cur >= nr_cpu_ids || !cpu_online(cur) ||
	    rxs_flow_may_move(rxs_backlog_head(cur),
			      READ_ONCE(rflow->last_qtail))) {
		WRITE_ONCE(rflow->cpu, want);
		WRITE_ONCE(rflow->last_qtail, rxs_backlog_tail(want));
		trace_rxs_flow_move(hash, cur, want, false);
		rxs_stat_inc(RXS_STAT_FLOW_MOVE);
		return want;
	}
	trace_rxs_flow_move(hash, cur, want, true);
	rxs_stat_inc(RXS_STAT_FLOW_MOVE_DEFERRED);
	return cur;
}

static u32 rxs_rfs_round(unsigned int n)
{
	return n ? roundup_pow_of_two(n) : 0;
}

/**
 * rxs_rfs_set_sock_entries() - resize the sock-flow table
 * @n: entries, rounded up to a power of two; 0 turns RFS off
 *
 * Turning the table on starts the recvmsg probes (registered the first
 * time, kept until unload), turning it off stops them recording. Readers
 * switch tables under RCU.
 *
 * Return: 0; -ERANGE above RXS_SOCK_FLOW_MAX; -ENOMEM. On error nothing
 * changes.
 */
int rxs_rfs_set_sock_entries(unsigned int n)
{
	struct rxs_sock_flow_table *t = NULL, *old;
	u32 size = rxs_rfs_round(n), i;
	int err = 0;

	if (n > RXS_SOCK_FLOW_MAX)
		return -ERANGE;
	mutex_lock(&rxs_sock_table_lock);
	old = rcu_dereference_protected(rxs_sock_table,
					lockdep_is_held(&rxs_sock_table_lock));
	if (old && old->mask + 1 == size)
		goto out;
	if (size) {
		t = kvmalloc(struct_size(t, ents, size), GFP_KERNEL);
		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		t->mask = size - 1;
		for (i = 0; i < size; i++)
			t->ents[i] = RXS_NO_CPU;	/* matches no flow */
		if (!old) {
			err = rxs_probe_enable();
			if (err) {
				kvfree(t);
				goto out;
			}
		}
	}
	rcu_assign_pointer(rxs_sock_table, t);
	if (old) {
		if (!t)
			rxs_probe_disable();
		kvfree_rcu(old, rcu);
	}
out:
	mutex_unlock(&rxs_sock_table_lock);
	return err;
}

/**
 * rxs_rfs_sock_entries() - size of the sock-flow table
 *
 * Return: entries, 0 when RFS is off.
 */
unsigned int rxs_rfs_sock_entries(void)
{
	struct rxs_sock_flow_table *t;
	unsigned int n;

	rcu_read_lock();
	t = rcu_dereference(rxs_sock_table);
	n = t ? t->mask + 1 : 0;
	rcu_read_unlock();
	return n;
}

/**
 * rxs_rfs_set_flow_cnt() - resize an rx queue's dev-flow table
 * @q: the queue
 * @n: entries, rounded up to a power of two; 0 turns RFS off on @q
 *
 * Caller holds RTNL.
 *
 * Return: 0; -ERANGE above RXS_FLOW_CNT_MAX; -ENOMEM. On error nothing
 * changes.
 */
int rxs_rfs_set_flow_cnt(struct rxs_queue *q, unsigned int n)
{
	struct rxs_flow_table *ft = NULL, *old;
	u32 size = rxs_rfs_round(n), i;

	ASSERT_RTNL();
	if (n > RXS_FLOW_CNT_MAX)
		return -ERANGE;
	if (size == 1)
		size = 2;	/* rxs_flow_index() needs log >= 1 */
	old = rtnl_dereference(q->flows);
	if (old && (1U << old->log) == size)
		return 0;
	if (size) {
		/* Charged to the writer's memory cgroup (see dev.c); over
		 * its limit the write fails rather than waking the OOM
		 * killer or filling the log.
		 */
		ft = kvmalloc(struct_size(ft, flows, size),
			      GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
			      __GFP_NOWARN);
		if (!ft)
			return -ENOMEM;
		ft->log = ilog2(size);
		for (i = 0; i < size; i++) {
			ft->flows[i].cpu = RXS_NO_CPU;
			ft->flows[i].last_qtail = 0;
		}
	}
	rcu_assign_pointer(q->flows, ft);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

/**
 * rxs_rfs_flow_cnt() - size of an rx queue's dev-flow table
 * @q: the queue
 *
 * Return: entries, 0 when off.
 */
unsigned int rxs_rfs_flow_cnt(struct rxs_queue *q)
{
	struct rxs_flow_table *ft;
	unsigned int n;

	rcu_read_lock();
	ft = rcu_dereference(q->flows);
	n = ft ? 1U << ft->log : 0;
	rcu_read_unlock();
	return n;
}

/**
 * rxs_rfs_clear() - free an rx queue's dev-flow table
 * @q: a queue no reader can reach any more
 */
void rxs_rfs_clear(struct rxs_queue *q)
{
	kvfree(rcu_dereference_protected(q->flows, 1));
	RCU_INIT_POINTER(q->flows, NULL);
}

/**
 * rxs_rfs_init() - RFS starts off; note the CPU bits of table entries
 *
 * Return: 0.
 */
int rxs_rfs_init(void)
{
	rxs_cpu_mask = roundup_pow_of_two(nr_cpu_ids) - 1;
	return 0;
}

/**
 * rxs_rfs_exit() - free the sock-flow table and unregister the probes
 */
void rxs_rfs_exit(void)
{
	rxs_rfs_set_sock_entries(0);
	rxs_probe_exit();
}
