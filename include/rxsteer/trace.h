/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rxsteer's tracepoints, under events/rxsteer/ in tracefs: one steering
 * decision per packet rxsteer steers or passes up after a decision, every
 * RFS flow move (done or deferred to keep the flow in order), and every
 * drop with its reason. Usable from perf, trace-cmd and bpftrace.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rxsteer

#if !defined(_RXSTEER_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RXSTEER_TRACE_H

#include <linux/netdevice.h>
#include <linux/tracepoint.h>

#include "rxsteer/compat.h"

/* How rx.c chose the CPU of a packet. */
#define RXS_TRACE_HOW				\
	EM(RXS_HOW_RPS, "rps")			\
	EM(RXS_HOW_RFS, "rfs")			\
	EMe(RXS_HOW_LOCAL, "local")

/* Why a packet was dropped; each has its counter in rxs_stat. */
#define RXS_TRACE_DROP					\
	EM(RXS_DROP_BACKLOG, "backlog_full")		\
	EM(RXS_DROP_NOMEM, "nomem")			\
	EM(RXS_DROP_DETACHED, "detached")		\
	EMe(RXS_DROP_FLOW_LIMIT, "flow_limit")

#ifndef _RXSTEER_TRACE_ENUMS
#define _RXSTEER_TRACE_ENUMS
#undef EM
#undef EMe
#define EM(a, b)	a,
#define EMe(a, b)	a
enum rxs_trace_how { RXS_TRACE_HOW };
enum rxs_trace_drop { RXS_TRACE_DROP };
#endif

/* Export the enum values to user space (perf, trace-cmd, bpftrace). */
#undef EM
#undef EMe
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define EMe(a, b)	TRACE_DEFINE_ENUM(a);
RXS_TRACE_HOW
RXS_TRACE_DROP
#undef EM
#undef EMe
#define EM(a, b)	{ a, b },
#define EMe(a, b)	{ a, b }

/**
 * rxs_steer - the CPU chosen for one packet
 * @dev: the arrival device
 * @queue: its rx queue
 * @hash: the flow hash
 * @cpu: the CPU chosen; the event's own CPU is the arrival CPU
 * @how: what chose it: RFS (the reader's CPU), RPS (the queue's mask) or
 *	local (no mask, RFS miss)
 * @want: the CPU RFS or RPS asked for; differs from @cpu while a flow move
 *	waits for order
 */
TRACE_EVENT(rxs_steer,
	TP_PROTO(const struct net_device *dev, u16 queue, u32 hash,
		 unsigned int cpu, unsigned int want, enum rxs_trace_how how),
	TP_ARGS(dev, queue, hash, cpu, want, how),
	TP_STRUCT__entry(
		__string(dev, dev->name)
		__field(u16, queue)
		__field(u32, hash)
		__field(unsigned int, cpu)
		__field(unsigned int, want)
		__field(unsigned int, how)
	),
	TP_fast_assign(
		rxs_assign_str(dev, dev->name);
		__entry->queue = queue;
		__entry->hash = hash;
		__entry->cpu = cpu;
		__entry->want = want;
		__entry->how = how;
	),
	TP_printk("dev=%s queue=%u hash=0x%08x cpu=%u want=%u how=%s",
		  __get_str(dev), __entry->queue, __entry->hash, __entry->cpu,
		  __entry->want, __print_symbolic(__entry->how, RXS_TRACE_HOW))
);

/**
 * rxs_flow_move - RFS wants a flow on another CPU
 * @hash: the flow hash
 * @old_cpu: the CPU processing the flow (65535, RXS_NO_CPU: none yet)
 * @new_cpu: the CPU RFS or RPS asks for
 * @deferred: true when packets of the flow still wait in @old_cpu's
 *	backlog, so the flow stays there for now
 */
TRACE_EVENT(rxs_flow_move,
	TP_PROTO(u32 hash, unsigned int old_cpu, unsigned int new_cpu,
		 bool deferred),
	TP_ARGS(hash, old_cpu, new_cpu, deferred),
	TP_STRUCT__entry(
		__field(u32, hash)
		__field(unsigned int, old_cpu)
		__field(unsigned int, new_cpu)
		__field(bool, deferred)
	),
	TP_fast_assign(
		__entry->hash = hash;
		__entry->old_cpu = old_cpu;
		__entry->new_cpu = new_cpu;
		__entry->deferred = deferred;
	),
	TP_printk("hash=0x%08x old_cpu=%u new_cpu=%u deferred=%d",
		  __entry->hash, __entry->old_cpu, __entry->new_cpu,
		  __entry->deferred)
);

/**
 * rxs_drop - rxsteer dropped a packet
 * @dev: the device it arrived on
 * @skbaddr: the skb (freed by then, for nomem)
 * @cpu: the backlog's CPU for backlog_full, flow_limit and detached; the
 *	arrival CPU for nomem
 * @reason: why; each reason has its counter (drop_backlog, drop_nomem,
 *	drop_detached, drop_flow_limit)
 */
TRACE_EVENT(rxs_drop,
	TP_PROTO(const struct net_device *dev, const void *skbaddr,
		 unsigned int cpu, enum rxs_trace_drop reason),
	TP_ARGS(dev, skbaddr, cpu, reason),
	TP_STRUCT__entry(
		__string(dev, dev->name)
		__field(const void *, skbaddr)
		__field(unsigned int, cpu)
		__field(unsigned int, reason)
	),
	TP_fast_assign(
		rxs_assign_str(dev, dev->name);
		__entry->skbaddr = skbaddr;
		__entry->cpu = cpu;
		__entry->reason = reason;
	),
	TP_printk("dev=%s skbaddr=%p cpu=%u reason=%s",
		  __get_str(dev), __entry->skbaddr, __entry->cpu,
		  __print_symbolic(__entry->reason, RXS_TRACE_DROP))
);

#endif /* _RXSTEER_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH rxsteer
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
