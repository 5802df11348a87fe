// SPDX-License-Identifier: GPL-2.0
/*
 * cost - a user-space model of one rxsteer steering decision and one probe
 * record, to be counted with callgrind (tools/bench/cost-run.sh):
 * instructions per steered packet and per probe hit, independent of the
 * host's noise.
 *
 * The pure pieces come from include/rxsteer/logic.h, the header the module
 * itself uses (rxs_scale(), rxs_flow_index(), rxs_sock_ident(),
 * rxs_sock_match(), rxs_flow_may_move()). Around them this file mirrors,
 * step by step, the decision of src/rx.c rxs_handle_frame() up to the
 * choice of the CPU, and src/probe.c rxs_probe_recvmsg() with src/rfs.c
 * rxs_rfs_record(), with user-space stand-ins for the kernel's primitives:
 *
 *   cpu_online(c)          a bit test on an online bitmap
 *   __this_cpu_inc()       an increment of a thread-local (fs-relative)
 *                          counter, like the kernel's gs-relative one
 *   rcu_dereference()      a plain load
 *   skb_get_hash()         the reuse of a hash already in the skb (the
 *                          sender's or the NIC's: l4_hash or sw_hash set);
 *                          computing one (the flow dissector) is not
 *                          modelled
 *   smp_processor_id()     a thread-local variable
 *
 * Functions that live in another .c file of the module (rps.c, rfs.c,
 * backlog.c) are kept out of line here too, so that call overhead is
 * counted as in the module. Not modelled: the rx_handler call itself, the
 * kernel-RPS conflict test (a static branch, a NOP while kernel RPS is
 * off), skb_share_check(), the backlog enqueue (spinlock, list append),
 * the batched kick and IPI, the re-delivery, and the probe's ftrace entry
 * (trampoline, pt_regs) around the probe handler.
 *
 * Usage: cost [ITERATIONS]   (default 1000000): runs each case ITERATIONS
 * times and prints the call counts and what the calls did; cost-run.sh
 * divides callgrind's instruction counts by them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxsteer/logic.h"

#define NOINLINE	__attribute__((noinline, noclone))
#define ALWAYS_INLINE	inline __attribute__((always_inline))
#define NR_CPUS		4	/* the benchmark VM */
#define NFLOWS		4096	/* S1 */
#define SOCK_ENTRIES	32768	/* the benchmark's sock_flow_entries */
#define FLOW_CNT	32768	/* and flow_cnt */
#define NO_CPU		0xffff
#define MSG_ERRQUEUE_	0x2000
#define ESTABLISHED	1
#define ETH_P_IP_BE	0x0008	/* htons(ETH_P_IP) on little endian */
#define ETH_P_IPV6_BE	0xdd86	/* htons(ETH_P_IPV6) */

enum stat { NO_STEER, NON_IP, NO_HASH, PASSED_LOCAL, TARGET_OFFLINE,
	    RFS_HIT, RFS_MISS, FLOW_MOVE, FLOW_MOVE_DEFERRED, PROBE_HIT,
	    PROBE_STORE, NSTAT };

/* Kernel state stand-ins. */
static __thread unsigned long stats[NSTAT];	/* __this_cpu_inc() */
static __thread unsigned int this_cpu;		/* smp_processor_id() */
static unsigned long online_mask = (1UL << NR_CPUS) - 1;
static unsigned int nr_cpu_ids = NR_CPUS;
static u32 cpu_mask_bits;			/* rxs_cpu_mask */

struct queue;

struct rdev {
	unsigned int nqueues;
	struct queue **queues;
};

struct netdev {
	struct rdev *rx_handler_data;
};

struct skb {
	struct netdev *dev;
	u32 hash;
	uint8_t l4_hash, sw_hash;
	uint16_t protocol;
	uint16_t queue_mapping;	/* rx queue + 1, 0: none recorded */
};

struct map {
	unsigned int len;
	uint16_t cpus[NR_CPUS];
};

struct sock_table {
	u32 mask;
	u32 ents[SOCK_ENTRIES];
};

struct rflow {
	uint16_t cpu;
	u32 last_qtail;
};

struct flow_table {
	unsigned int log;
	struct rflow flows[FLOW_CNT];
};

struct queue {
	struct map *map;
	struct flow_table *flows;
	unsigned long *seen;	/* per-CPU in the module */
};

struct backlog {
	u32 head, purged, tail, len;
} __attribute__((aligned(64)));

struct sk {
	int state;
	u32 rxhash;
};

struct socket {
	struct sk *sk;
};

static struct backlog backlogs[NR_CPUS];
static struct sock_table *volatile sock_table;
static struct map the_map;
static struct flow_table the_ft;
static struct queue the_queue;
static struct queue *queues[1] = { &the_queue };
static struct rdev the_rdev = { .nqueues = 1, .queues = queues };
static struct netdev the_dev = { .rx_handler_data = &the_rdev };
static __thread unsigned long seen_pcpu;
static __thread struct skb *redelivering;	/* rxs_redelivering */

static inline int cpu_online(unsigned int cpu)
{
	return (*(volatile unsigned long *)&online_mask >> cpu) & 1;
}

static inline void stat_inc(enum stat s)
{
	stats[s]++;
}

/* rps.c: rxs_rps_pick_cpu() */
static NOINLINE int rps_pick_cpu(const struct map *map, u32 hash)
{
	u32 i = rxs_scale(hash, map->len), n;

	for (n = 0; n < map->len; n++, i = (i + 1 == map->len) ? 0 : i + 1) {
		unsigned int cpu = map->cpus[i];

		if (cpu_online(cpu))
			return cpu;
	}
	return -1;
}

/* backlog.c: rxs_backlog_head(), rxs_backlog_tail(), rxs_backlog_len() */
static NOINLINE u32 backlog_head(unsigned int cpu)
{
	return *(volatile u32 *)&backlogs[cpu].head +
	       *(volatile u32 *)&backlogs[cpu].purged;
}

static NOINLINE u32 backlog_tail(unsigned int cpu)
{
	return *(volatile u32 *)&backlogs[cpu].tail;
}

static NOINLINE unsigned int backlog_len(unsigned int cpu)
{
	return *(volatile u32 *)&backlogs[cpu].len;
}

static NOINLINE int backlog_is_redelivery(const struct skb *skb)
{
	return redelivering == skb;
}

/* rfs.c: rxs_rfs_on(), rxs_rfs_sock_cpu(), rxs_rfs_follow() */
static NOINLINE int rfs_on(void)
{
	return sock_table != NULL;
}

static NOINLINE int rfs_sock_cpu(u32 hash)
{
	struct sock_table *t = sock_table;
	unsigned int cpu;
	u32 ident;

	if (!t)
		return -1;
	ident = *(volatile u32 *)&t->ents[hash & t->mask];
	cpu = ident & cpu_mask_bits;
	if (!rxs_sock_match(ident, hash, cpu_mask_bits) ||
	    cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		stat_inc(RFS_MISS);
		return -1;
	}
	stat_inc(RFS_HIT);
	return cpu;
}

static NOINLINE unsigned int rfs_follow(struct flow_table *ft, u32 hash,
					unsigned int want,
					struct rflow **rflowp)
{
	struct rflow *rflow = &ft->flows[rxs_flow_index(hash, ft->log)];
	unsigned int cur = *(volatile uint16_t *)&rflow->cpu;

	*rflowp = rflow;
	if (cur == want)
		return cur;
	if (cur >= nr_cpu_ids || !cpu_online(cur) ||
	    rxs_flow_may_move(backlog_head(cur),
			      *(volatile u32 *)&rflow->last_qtail)) {
		rflow->cpu = want;
		rflow->last_qtail = backlog_tail(want);
		stat_inc(FLOW_MOVE);
		return want;
	}
	stat_inc(FLOW_MOVE_DEFERRED);
	return cur;
}

static inline u32 skb_get_hash(struct skb *skb)
{
	if (!skb->l4_hash && !skb->sw_hash)
		abort();	/* the flow dissector: not modelled */
	return skb->hash;
}

/*
 * rx.c: rxs_handle_frame() from its entry to the chosen CPU. Returns the
 * CPU, or -1 for "pass on this CPU". Compiled into steer_rps() and
 * steer_rfs(), so that callgrind counts the two cases apart.
 */
static ALWAYS_INLINE int steer_body(struct skb *skb)
{
	struct rflow *rflow = NULL;
	struct flow_table *flows;
	unsigned int cpu, index = 0;
	struct rdev *rdev;
	struct queue *q;
	struct map *map;
	u32 hash;
	int ret;

	if (backlog_is_redelivery(skb))
		return -1;
	rdev = *(struct rdev *volatile *)&skb->dev->rx_handler_data;
	if (skb->queue_mapping) {		/* skb_rx_queue_recorded() */
		index = skb->queue_mapping - 1;
		if (index >= rdev->nqueues)
			index = 0;
	}
	q = rdev->queues[index];
	(*(unsigned long *volatile *)&q->seen)[0]++;	/* __this_cpu_inc() */
	/* kernel RPS test: a static branch, a NOP while rps_needed is off */
	map = q->map;
	flows = rfs_on() ? q->flows : NULL;
	if (!map && !flows) {
		stat_inc(NO_STEER);
		return -1;
	}
	if (skb->protocol != ETH_P_IP_BE && skb->protocol != ETH_P_IPV6_BE) {
		stat_inc(NON_IP);
		return -1;
	}
	hash = skb_get_hash(skb);
	if (!hash) {
		stat_inc(NO_HASH);
		return -1;
	}
	if (flows) {
		ret = rfs_sock_cpu(hash);
		if (ret < 0 && map)
			ret = rps_pick_cpu(map, hash);
		if (ret < 0)
			ret = this_cpu;
		cpu = rfs_follow(flows, hash, ret, &rflow);
	} else {
		ret = rps_pick_cpu(map, hash);
		if (ret < 0) {
			stat_inc(TARGET_OFFLINE);
			return -1;
		}
		cpu = ret;
	}
	if (cpu == this_cpu) {
		if (!rflow && !backlog_len(cpu)) {
			stat_inc(PASSED_LOCAL);
			return -1;
		}
	} else if (!cpu_online(cpu)) {
		stat_inc(TARGET_OFFLINE);
		return -1;
	}
	return cpu;
}

static NOINLINE int steer_rps(struct skb *skb)
{
	return steer_body(skb);
}

static NOINLINE int steer_rfs(struct skb *skb)
{
	return steer_body(skb);
}

/* The same, for placing the dev-flow entries before the measured loop. */
static NOINLINE int steer_place(struct skb *skb)
{
	return steer_body(skb);
}

/* rfs.c: rxs_rfs_record() */
static NOINLINE void rfs_record(u32 hash)
{
	struct sock_table *t;
	u32 val, *ent;

	if (!hash)
		return;
	t = sock_table;
	if (t) {
		stat_inc(PROBE_HIT);
		ent = &t->ents[hash & t->mask];
		val = rxs_sock_ident(hash, cpu_mask_bits, this_cpu);
		if (*(volatile u32 *)ent != val) {
			*(volatile u32 *)ent = val;
			stat_inc(PROBE_STORE);
		}
	}
}

/*
 * probe.c: rxs_probe_recvmsg(), the ftrace_ops callback. Compiled into
 * probe_steady() and probe_moved() to count the two cases apart.
 */
static ALWAYS_INLINE int probe_body(struct socket *sock, int flags)
{
	struct sk *sk;

	if (flags & MSG_ERRQUEUE_ || !sock)
		return 0;
	sk = *(struct sk *volatile *)&sock->sk;
	if (sk && *(volatile int *)&sk->state == ESTABLISHED)
		rfs_record(*(volatile u32 *)&sk->rxhash);
	return 0;
}

static NOINLINE int probe_steady(struct socket *sock, int flags)
{
	return probe_body(sock, flags);
}

static NOINLINE int probe_moved(struct socket *sock, int flags)
{
	return probe_body(sock, flags);
}

static u32 xorshift(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static NOINLINE unsigned long bench_rps(struct skb *skbs, unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++)
		sum += steer_rps(&skbs[i % NFLOWS]);
	return sum;
}

static NOINLINE unsigned long bench_rfs(struct skb *skbs, unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++)
		sum += steer_rfs(&skbs[i % NFLOWS]);
	return sum;
}

/*
 * Flow f is read on CPU 1 + f % 3, as in the benchmark's S1; @move: every
 * read comes from another CPU than the flow's previous read.
 */
static NOINLINE void bench_probe(struct socket *socks, unsigned long n,
				 int move)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned int f = i % NFLOWS;

		if (move) {
			this_cpu = 1 + (f + i / NFLOWS + 1) % (NR_CPUS - 1);
			probe_moved(&socks[f], 0);
		} else {
			this_cpu = 1 + f % (NR_CPUS - 1);
			probe_steady(&socks[f], 0);
		}
	}
	this_cpu = 0;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	static struct skb skbs[NFLOWS];
	static struct socket socks[NFLOWS];
	static struct sk sks[NFLOWS];
	static struct sock_table st;
	unsigned long sum = 0, s0[NSTAT];
	unsigned int i;
	u32 seed = 2463534242u;

	if (!n)
		n = 1;
	cpu_mask_bits = 3;		/* roundup_pow_of_two(4) - 1 */
	this_cpu = 0;			/* the arrival CPU */
	the_map.len = NR_CPUS - 1;	/* mask 1-3, as in the benchmark */
	for (i = 0; i < the_map.len; i++)
		the_map.cpus[i] = i + 1;
	the_queue.map = &the_map;
	the_queue.seen = &seen_pcpu;
	for (i = 0; i < NFLOWS; i++) {
		skbs[i].dev = &the_dev;
		skbs[i].queue_mapping = 1;	/* rx queue 0 recorded */
		skbs[i].hash = xorshift(&seed) ?: 1;
		skbs[i].l4_hash = 1;
		skbs[i].protocol = ETH_P_IP_BE;
		sks[i].state = ESTABLISHED;
		sks[i].rxhash = skbs[i].hash;
		socks[i].sk = &sks[i];
	}

	/* RPS: the mask alone. */
	memcpy(s0, stats, sizeof(s0));
	sum += bench_rps(skbs, n);
	printf("steer_rps calls %lu passed_local %lu\n", n,
	       stats[PASSED_LOCAL] - s0[PASSED_LOCAL]);

	/* RFS on: tables as in the benchmark. */
	st.mask = SOCK_ENTRIES - 1;
	for (i = 0; i < SOCK_ENTRIES; i++)
		st.ents[i] = NO_CPU;
	the_ft.log = __builtin_ctz(FLOW_CNT);
	for (i = 0; i < FLOW_CNT; i++)
		the_ft.flows[i].cpu = NO_CPU;
	the_queue.flows = &the_ft;
	sock_table = &st;

	/* Probe hits of readers that stay on their CPU: a load, and a
	 * store only at a flow's first read or where two flows share a slot.
	 */
	memcpy(s0, stats, sizeof(s0));
	bench_probe(socks, n, 0);
	printf("probe_steady calls %lu stores %lu\n", n,
	       stats[PROBE_STORE] - s0[PROBE_STORE]);

	/* RFS decisions once every flow was read: hits, except for flows
	 * whose sock-flow slot another flow took; a flow's dev-flow entry
	 * moves only when it is shared with a flow that wants another CPU.
	 */
	for (i = 0; i < NFLOWS; i++)
		steer_place(&skbs[i]);	/* the dev-flow entries */
	memcpy(s0, stats, sizeof(s0));
	sum += bench_rfs(skbs, n);
	printf("steer_rfs calls %lu rfs_hit %lu rfs_miss %lu flow_move %lu\n",
	       n, stats[RFS_HIT] - s0[RFS_HIT], stats[RFS_MISS] - s0[RFS_MISS],
	       stats[FLOW_MOVE] - s0[FLOW_MOVE]);

	/* Probe hits of readers that moved since their last read: each one
	 * stores.
	 */
	memcpy(s0, stats, sizeof(s0));
	bench_probe(socks, n, 1);
	printf("probe_moved calls %lu stores %lu\n", n,
	       stats[PROBE_STORE] - s0[PROBE_STORE]);

	printf("checksum %lu\n", sum);
	return 0;
}
