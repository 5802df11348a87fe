// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU backlogs: enqueue on the target CPU, batched IPI kicks, the NAPI
 * poll that re-delivers, and draining at detach and unload.
 *
 * Kicks are batched like the kernel's rps_ipi_queued(): the enqueuing CPU
 * only notes the target on a local list and schedules a NAPI of its own
 * ("kick NAPI"). That NAPI runs after the current receive batch, in a later
 * round of the same NET_RX softirq, and sends one IPI per noted target. A
 * target whose backlog poll is already pending is not noted again: the
 * kick_pending flag, under the backlog lock, is set by the first enqueuer
 * and cleared only by the poll when it finds the backlog empty.
 *
 * The kick itself is an IPI whose handler schedules the target's backlog
 * NAPI. On PREEMPT_RT it is a work item bound to the target CPU instead:
 * RT forbids raising a softirq from the IPI function queue when it is
 * flushed outside a hard interrupt (from the idle loop, say), which
 * do_softirq_post_smp_call_flush() warns about; there, NAPI polls run in
 * threads anyway, as the kernel's own backlog NAPI does with
 * use_backlog_threads() since v6.10.
 *
 * Positions for RFS's move-in-order rule, as the kernel's input_queue_head
 * and input_queue_tail: tail counts packets queued (the position of the
 * last one is recorded in the flow's dev-flow entry), head counts packets
 * the poll has re-delivered, counted once netif_receive_skb() returns as
 * process_backlog() does, so that a flow never moves while its last packet
 * is still on its way up; plus those a purge dropped.
 *
 * Flow limit, per device (flow_limit), as the kernel's skb_flow_limit():
 * once a backlog holds half its device's limit, every packet queued on it
 * is noted in the backlog's flow history, and a packet whose flow holds
 * more than half of that history is dropped. The history belongs to the
 * target backlog, not to the enqueuing CPU as in the kernel: it sees the
 * packets of every arrival CPU that fill that backlog, and the queue lock
 * the enqueue takes anyway guards it. It is allocated once, for every
 * possible CPU, at init: 4 KB per CPU is too much for module per-CPU space.
 *
 * Linger (module parameter poll_linger_us, 0 = off): a poll that empties
 * its backlog does not end the busy period at once. It arms a timer pinned
 * to its CPU and keeps kick_pending set, so that packets queued meanwhile
 * need no IPI; the timer polls again, and only a poll that finds the
 * backlog empty a second time in a row clears kick_pending. Under a steady
 * stream the target polls itself every poll_linger_us with local timer
 * interrupts instead of being sent an IPI per busy period, at the price of
 * up to poll_linger_us of extra latency for a packet that arrives while it
 * lingers, and one timer interrupt per busy period when traffic stops. The
 * kernel's gro_flush_timeout with napi_defer_hard_irqs does the same for a
 * NIC's interrupts.
 */

#include <linux/capability.h>
#include <linux/cpuhotplug.h>
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "rxsteer/compat.h"
#include "rxsteer/logic.h"
#include "rxsteer/rxsteer.h"
#include "rxsteer/trace.h"

struct rxs_cpu {
	/* Target side: filled by any CPU, drained by this CPU's poll. */
	struct sk_buff_head queue;	/* its lock guards the fields below */
	bool kick_pending;
	bool lingering;			/* emptied once, the linger timer runs */
	u32 tail;			/* packets ever queued */
	u32 purged;			/* packets ever dropped by a purge */
	u32 head;			/* packets ever dequeued by the poll */
	struct rxs_flow_limit *fl;	/* in rxs_flow_limits; under the lock */
	struct napi_struct napi;
	struct hrtimer linger_timer;
#ifdef CONFIG_PREEMPT_RT
	struct work_struct kick_work;
#else
	call_single_data_t csd;
#endif
	unsigned int cpu;

	/* Source side: touched only by this CPU, in BH context. */
	struct rxs_cpu *kick_next;	/* link in a source CPU's kick list */
	struct rxs_cpu *kick_list;	/* targets to kick after this batch */
	struct napi_struct kick_napi;
};

static DEFINE_PER_CPU_ALIGNED(struct rxs_cpu, rxs_cpus);

/* The skb this CPU is re-delivering now: the rx_handler lets it pass. */
static DEFINE_PER_CPU(const struct sk_buff *, rxs_redelivering);

/* One flow-limit history per possible CPU, cache-line apart. */
struct rxs_flow_limit_slot {
	struct rxs_flow_limit fl;
} ____cacheline_aligned_in_smp;

static struct rxs_flow_limit_slot *rxs_flow_limits;

static unsigned int poll_linger_us;

static int rxs_param_set_poll_linger(const char *val,
				     const struct kernel_param *kp)
{
	unsigned int v;
	int err;

	/*
	 * As for sock_flow_entries: module-wide, so CAP_NET_ADMIN in the
	 * initial user namespace, checked before the input. The file's mode
	 * alone would let a uid-0 process without it through. A value given
	 * at load comes here too, from insmod's caller.
	 */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v > RXS_POLL_LINGER_MAX_US)
		return -ERANGE;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops rxs_param_poll_linger_ops = {
	.set = rxs_param_set_poll_linger,
	.get = param_get_uint,
};

module_param_cb(poll_linger_us, &rxs_param_poll_linger_ops, &poll_linger_us,
		0644);
MODULE_PARM_DESC(poll_linger_us,
		 "After a backlog poll empties its queue, poll again after this long before waiting for an IPI, 0..1000 microseconds (default 0: off)");

static struct net_device *rxs_napi_dev;
static int rxs_cpuhp_state;

/**
 * rxs_backlog_is_redelivery() - is @skb being re-delivered by our poll?
 * @skb: the skb the rx_handler sees
 *
 * Return: true when this CPU's backlog poll is re-delivering @skb, which
 * must then pass through unsteered.
 */
bool rxs_backlog_is_redelivery(const struct sk_buff *skb)
{
	return __this_cpu_read(rxs_redelivering) == skb;
}

#ifdef CONFIG_PREEMPT_RT
/* Work item bound to the target CPU (a kworker thread on RT). */
static void rxs_backlog_kicked(struct work_struct *work)
{
	struct rxs_cpu *rc = container_of(work, struct rxs_cpu, kick_work);

	/* The NAPI poll runs at local_bh_enable(), in this thread. */
	local_bh_disable();
	rxs_stat_inc(RXS_STAT_IPI_RECV);
	napi_schedule(&rc->napi);
	local_bh_enable();
}

static void rxs_backlog_kick_init(struct rxs_cpu *rc)
{
	INIT_WORK(&rc->kick_work, rxs_backlog_kicked);
}

/* Kick @rc's CPU. Return: false when the CPU is offline. */
static bool rxs_backlog_kick(struct rxs_cpu *rc)
{
	if (!cpu_online(rc->cpu))
		return false;
	queue_work_on(rc->cpu, system_highpri_wq, &rc->kick_work);
	return true;
}

/* After every NAPI is disabled: no kick is left running or pending. */
static void rxs_backlog_kick_sync(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		cancel_work_sync(&per_cpu_ptr(&rxs_cpus, cpu)->kick_work);
}
#else
/* IPI handler, hard interrupt context on the target CPU. */
static void rxs_backlog_kicked(void *info)
{
	struct rxs_cpu *rc = info;

	rxs_stat_inc(RXS_STAT_IPI_RECV);
	napi_schedule_irqoff(&rc->napi);
}

static void rxs_backlog_kick_init(struct rxs_cpu *rc)
{
	INIT_CSD(&rc->csd, rxs_backlog_kicked, rc);
}

/* Kick @rc's CPU. Return: false when the CPU is offline. */
static bool rxs_backlog_kick(struct rxs_cpu *rc)
{
	return !smp_call_function_single_async(rc->cpu, &rc->csd);
}

static void rxs_backlog_sync_ipi(void *info)
{
}

/* After every NAPI is disabled: no kick is left running or pending. */
static void rxs_backlog_kick_sync(void)
{
	/*
	 * An IPI sent before may still be queued. Async calls queued on a
	 * CPU are run by the flush that runs the next synchronous call at the
	 * latest, or the one before it: two rounds leave none behind.
	 */
	on_each_cpu(rxs_backlog_sync_ipi, NULL, 1);
	on_each_cpu(rxs_backlog_sync_ipi, NULL, 1);
}
#endif

/* Linger timer, on the backlog's CPU: poll again, no IPI needed. */
static enum hrtimer_restart rxs_backlog_linger_end(struct hrtimer *t)
{
	struct rxs_cpu *rc = container_of(t, struct rxs_cpu, linger_timer);

	rxs_stat_inc(RXS_STAT_LINGER_POLLS);
	napi_schedule(&rc->napi);
	return HRTIMER_NORESTART;
}

static int rxs_backlog_poll(struct napi_struct *napi, int budget)
{
	struct rxs_cpu *rc = container_of(napi, struct rxs_cpu, napi);
	int work = 0;

	rxs_stat_inc(RXS_STAT_POLLS);
	while (work < budget) {
		struct sk_buff_head batch;
		struct sk_buff *skb;

		__skb_queue_head_init(&batch);
		spin_lock(&rc->queue.lock);
		if (skb_queue_empty(&rc->queue)) {
			unsigned int linger = READ_ONCE(poll_linger_us);
			/*
			 * Linger once: enqueuers still need no kick (see the
			 * top). Otherwise the next enqueuer kicks us again.
			 */
			bool arm = linger && !rc->lingering && rc->kick_pending;

			rc->lingering = arm;
			rc->kick_pending = arm;
			spin_unlock(&rc->queue.lock);
			napi_complete_done(napi, work);
			if (arm)
				hrtimer_start(&rc->linger_timer,
					      ns_to_ktime(linger * NSEC_PER_USEC),
					      HRTIMER_MODE_REL_PINNED);
			return work;
		}
		/* Work found: the next empty queue lingers again. */
		rc->lingering = false;
		while (work + skb_queue_len(&batch) < budget &&
		       (skb = __skb_dequeue(&rc->queue)))
			__skb_queue_tail(&batch, skb);
		spin_unlock(&rc->queue.lock);

		while ((skb = __skb_dequeue(&batch))) {
			/* Taps, tc and nf ingress saw it on the arrival CPU. */
			rxs_skb_skip_taps(skb);
			__this_cpu_write(rxs_redelivering, skb);
			netif_receive_skb(skb);
			__this_cpu_write(rxs_redelivering, NULL);
			/*
			 * Only now, with the packet in its socket: RFS may move
			 * its flow once head passes the flow's last packet.
			 */
			WRITE_ONCE(rc->head, rc->head + 1);
			rxs_stat_inc(RXS_STAT_PROCESSED);
			work++;
		}
	}
	return work;
}

/* Runs on a source CPU after its receive batch: one IPI per target. */
static int rxs_backlog_kick_poll(struct napi_struct *napi, int budget)
{
	struct rxs_cpu *src = container_of(napi, struct rxs_cpu, kick_napi);
	struct rxs_cpu *rc = src->kick_list;

	src->kick_list = NULL;
	while (rc) {
		struct rxs_cpu *next = rc->kick_next;

		if (rxs_backlog_kick(rc)) {
			rxs_stat_inc(RXS_STAT_IPI_SENT);
		} else {
			/*
			 * The target went offline: drain its backlog here.
			 * The poll works on any CPU, under the backlog lock.
			 */
			napi_schedule(&rc->napi);
		}
		rc = next;
	}
	napi_complete_done(napi, 0);
	return 0;
}

/**
 * rxs_backlog_enqueue() - queue @skb on @cpu's backlog and arrange a kick
 * @skb: the packet; consumed in every case
 * @cpu: target CPU; the current one only to queue behind packets there
 * @limit: drop when the target backlog already holds this many packets
 * @flow_limit: the device's flow_limit: from half of @limit on, drop a
 *	packet whose flow holds more than half of the backlog's flow history
 * @hash: the packet's flow hash, for @flow_limit
 * @qtail: set to the backlog position of @skb when queued
 *
 * Called from the rx_handler with BH disabled.
 *
 * Return: true if queued, false if dropped (and counted).
 */
bool rxs_backlog_enqueue(struct sk_buff *skb, unsigned int cpu,
			 unsigned int limit, bool flow_limit, u32 hash,
			 u32 *qtail)
{
	struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, cpu);
	enum rxs_trace_drop why;
	struct rxs_cpu *src;
	unsigned int qlen;
	bool kick;

	spin_lock(&rc->queue.lock);
	qlen = skb_queue_len(&rc->queue);
	if (unlikely(qlen >= limit)) {
		why = RXS_DROP_BACKLOG;
		goto drop;
	}
	if (flow_limit && qlen >= limit / 2 &&
	    rxs_flow_limit_note(rc->fl, hash)) {
		why = RXS_DROP_FLOW_LIMIT;
		goto drop;
	}
	__skb_queue_tail(&rc->queue, skb);
	WRITE_ONCE(rc->tail, rc->tail + 1);
	*qtail = rc->tail;
	per_cpu_ptr(&rxs_stats, cpu)->v[RXS_STAT_STEERED_IN]++;
	kick = !rc->kick_pending;
	rc->kick_pending = true;
	spin_unlock(&rc->queue.lock);
	rxs_stat_inc(RXS_STAT_STEERED_OUT);

	if (kick && cpu == smp_processor_id()) {
		napi_schedule(&rc->napi);
	} else if (kick) {
		src = this_cpu_ptr(&rxs_cpus);
		rc->kick_next = src->kick_list;
		src->kick_list = rc;
		napi_schedule(&src->kick_napi);
	}
	return true;

drop:
	spin_unlock(&rc->queue.lock);
	trace_rxs_drop(skb->dev, skb, cpu, why);
	rxs_stat_inc(why == RXS_DROP_BACKLOG ? RXS_STAT_DROP_BACKLOG :
			RXS_STAT_DROP_FLOW_LIMIT);
	kfree_skb(skb);
	return false;
}

/**
 * rxs_backlog_head() - packets @cpu's backlog has ever dequeued or purged
 * @cpu: the CPU
 *
 * Return: the position, read without the lock.
 */
u32 rxs_backlog_head(unsigned int cpu)
{
	const struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, cpu);

	return READ_ONCE(rc->head) + READ_ONCE(rc->purged);
}

/**
 * rxs_backlog_tail() - packets ever queued on @cpu's backlog
 * @cpu: the CPU
 *
 * Return: the position, read without the lock.
 */
u32 rxs_backlog_tail(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(&rxs_cpus, cpu)->tail);
}

/**
 * rxs_backlog_len() - packets now waiting in @cpu's backlog
 * @cpu: the CPU
 *
 * Return: the queue length, read without the lock.
 */
unsigned int rxs_backlog_len(unsigned int cpu)
{
	return skb_queue_len_lockless(&per_cpu_ptr(&rxs_cpus, cpu)->queue);
}

static unsigned int rxs_backlog_purge(struct rxs_cpu *rc,
				      const struct net_device *dev)
{
	struct sk_buff *skb, *tmp;
	struct sk_buff_head drop;
	unsigned int n;

	__skb_queue_head_init(&drop);
	spin_lock_bh(&rc->queue.lock);
	skb_queue_walk_safe(&rc->queue, skb, tmp) {
		if (!dev || skb->dev == dev) {
			__skb_unlink(skb, &rc->queue);
			__skb_queue_tail(&drop, skb);
		}
	}
	n = skb_queue_len(&drop);
	WRITE_ONCE(rc->purged, rc->purged + n);
	spin_unlock_bh(&rc->queue.lock);
	skb_queue_walk(&drop, skb)
		trace_rxs_drop(skb->dev, skb, rc->cpu, RXS_DROP_DETACHED);
	__skb_queue_purge(&drop);
	return n;
}

/**
 * rxs_backlog_purge_dev() - drop every queued skb of @dev, counting them
 * @dev: a device whose rx_handler is already unregistered
 *
 * After this and a grace period (a poll re-delivering a batch it took
 * before holds the RCU read side), no skb of @dev is left in rxsteer.
 */
void rxs_backlog_purge_dev(const struct net_device *dev)
{
	unsigned int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += rxs_backlog_purge(per_cpu_ptr(&rxs_cpus, cpu), dev);
	if (n) {
		local_bh_disable();
		__this_cpu_add(rxs_stats.v[RXS_STAT_DROP_DETACHED], n);
		local_bh_enable();
	}
}

/*
 * CPU hotplug: once a CPU is dead, move what its backlog still holds to
 * this (control) CPU's backlog, in order, and kick it: nothing is left
 * behind on an offline CPU. Runs on a control CPU in process context.
 * The dead CPU's NAPIs, if scheduled, were moved by the kernel
 * (dev_cpu_dead()) and find the backlog empty or drain it first; both
 * sides take the backlog lock. Flows RFS kept on the dead CPU move on
 * their next packet, as an offline CPU no longer holds them.
 */
static int rxs_backlog_cpu_dead(unsigned int dead)
{
	struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, dead), *dst;
	struct sk_buff_head moved;
	unsigned int n;
	bool kick;

	__skb_queue_head_init(&moved);
	local_bh_disable();
	dst = this_cpu_ptr(&rxs_cpus);
	spin_lock(&rc->queue.lock);
	skb_queue_splice_tail_init(&rc->queue, &moved);
	n = skb_queue_len(&moved);
	WRITE_ONCE(rc->purged, rc->purged + n);
	rc->kick_pending = false;
	rc->lingering = false;
	spin_unlock(&rc->queue.lock);
	if (n) {
		spin_lock(&dst->queue.lock);
		skb_queue_splice_tail_init(&moved, &dst->queue);
		WRITE_ONCE(dst->tail, dst->tail + n);
		kick = !dst->kick_pending;
		dst->kick_pending = true;
		spin_unlock(&dst->queue.lock);
		__this_cpu_add(rxs_stats.v[RXS_STAT_HOTPLUG_MOVED], n);
		if (kick)
			napi_schedule(&dst->napi);
	}
	local_bh_enable();
	return 0;
}

/* Stop and remove every NAPI, drop what is left, free the NAPI device. */
static void rxs_backlog_napi_del(void)
{
	unsigned int cpu, n = 0;

	/* No kick NAPI sends an IPI, no backlog poll runs after this. */
	for_each_possible_cpu(cpu) {
		struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, cpu);

		napi_disable(&rc->kick_napi);
		napi_disable(&rc->napi);
		/* Its napi_schedule() finds the NAPI disabled: a no-op. */
		hrtimer_cancel(&rc->linger_timer);
	}
	rxs_backlog_kick_sync();

	for_each_possible_cpu(cpu) {
		struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, cpu);

		n += rxs_backlog_purge(rc, NULL);
		netif_napi_del(&rc->kick_napi);
		netif_napi_del(&rc->napi);
	}
	WARN_ON_ONCE(n);
	rxs_free_dummy_netdev(rxs_napi_dev);
}

/**
 * rxs_backlog_init() - set up every possible CPU's backlog and NAPIs
 *
 * Return: 0, -ENOMEM, or the CPU hotplug state's error.
 */
int rxs_backlog_init(void)
{
	unsigned int cpu;
	int err;

	rxs_flow_limits = kvcalloc(nr_cpu_ids, sizeof(*rxs_flow_limits),
				   GFP_KERNEL);
	if (!rxs_flow_limits)
		return -ENOMEM;
	rxs_napi_dev = rxs_alloc_dummy_netdev();
	if (!rxs_napi_dev) {
		err = -ENOMEM;
		goto err_flow_limits;
	}

	for_each_possible_cpu(cpu) {
		struct rxs_cpu *rc = per_cpu_ptr(&rxs_cpus, cpu);

		skb_queue_head_init(&rc->queue);
		rc->cpu = cpu;
		rc->fl = &rxs_flow_limits[cpu].fl;
		rxs_backlog_kick_init(rc);
		hrtimer_init(&rc->linger_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED);
		rc->linger_timer.function = rxs_backlog_linger_end;
		netif_napi_add(rxs_napi_dev, &rc->napi, rxs_backlog_poll);
		netif_napi_add(rxs_napi_dev, &rc->kick_napi,
			       rxs_backlog_kick_poll);
		napi_enable(&rc->napi);
		napi_enable(&rc->kick_napi);
	}
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "net/rxsteer:dead",
					NULL, rxs_backlog_cpu_dead);
	if (err < 0)
		goto err_napi;
	rxs_cpuhp_state = err;
	return 0;

err_napi:
	rxs_backlog_napi_del();
err_flow_limits:
	kvfree(rxs_flow_limits);
	return err;
}

/**
 * rxs_backlog_exit() - stop all polls and kicks, free what is left
 *
 * Called after every device is detached, so nothing enqueues any more.
 */
void rxs_backlog_exit(void)
{
	cpuhp_remove_state_nocalls(rxs_cpuhp_state);
	rxs_backlog_napi_del();
	kvfree(rxs_flow_limits);
}
