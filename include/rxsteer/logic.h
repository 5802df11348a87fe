/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure decision logic of rxsteer: CPU-mask parsing, CPU choice by hash, and
 * the flow-limit history.
 *
 * Nothing here touches kernel state, so the same code is compiled into the
 * module and into the user-space unit tests in selftests/unit/.
 */
#ifndef _RXSTEER_LOGIC_H
#define _RXSTEER_LOGIC_H

#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#define BITS_PER_LONG (sizeof(long) * CHAR_BIT)
#endif

/* Longest text a mask knob accepts, newline included. */
#define RXS_MASK_MAX_INPUT	1024

/**
 * rxs_scale() - map a 32-bit hash onto [0, n)
 * @hash: flow hash
 * @n: number of slots
 *
 * The same multiply-shift as the kernel's reciprocal_scale(), which RPS
 * uses, so a flow lands on the CPU that kernel RPS would pick with the same
 * mask.
 *
 * Return: the slot index.
 */
static inline u32 rxs_scale(u32 hash, u32 n)
{
	return (u32)(((u64)hash * n) >> 32);
}

/* Dev-flow table slot of a flow: hash_32() of the flow hash, as the kernel
 * indexes rps_dev_flow_table since 2025: a NIC's RSS hash has little
 * entropy in its low bits within one rx queue.
 */
#define RXS_GOLDEN_RATIO_32	0x61C88647u

/**
 * rxs_flow_index() - dev-flow table slot of a flow hash
 * @hash: flow hash
 * @log: log2 of the table size, 1..31
 *
 * Return: the slot, in [0, 1 << @log).
 */
static inline u32 rxs_flow_index(u32 hash, unsigned int log)
{
	return (u32)(hash * RXS_GOLDEN_RATIO_32) >> (32 - log);
}

/**
 * rxs_sock_ident() - sock-flow table entry for a flow read on a CPU
 * @hash: flow hash (the socket's sk_rxhash)
 * @cpu_mask: roundup_pow_of_two(nr_cpu_ids) - 1
 * @cpu: the CPU the application read on
 *
 * The high bits of the hash identify the flow, the low bits hold the CPU,
 * as in the kernel's rps_sock_flow_table.
 *
 * Return: the entry value.
 */
static inline u32 rxs_sock_ident(u32 hash, u32 cpu_mask, u32 cpu)
{
	return (hash & ~cpu_mask) | cpu;
}

/**
 * rxs_sock_match() - does a sock-flow entry belong to this flow?
 * @ident: the entry
 * @hash: flow hash of the packet
 * @cpu_mask: roundup_pow_of_two(nr_cpu_ids) - 1
 *
 * Return: true if the high bits agree.
 */
static inline bool rxs_sock_match(u32 ident, u32 hash, u32 cpu_mask)
{
	return !((ident ^ hash) & ~cpu_mask);
}

/**
 * rxs_flow_may_move() - the move-in-order rule
 * @head: packets the old CPU's backlog has dequeued so far
 * @last_qtail: backlog position of the flow's last packet queued there
 *
 * A flow may leave its CPU only once every packet it queued there has been
 * dequeued, so that no later packet overtakes an earlier one. Counters
 * wrap; the signed difference handles it.
 *
 * Return: true if the flow may move.
 */
static inline bool rxs_flow_may_move(u32 head, u32 last_qtail)
{
	return (int)(head - last_qtail) >= 0;
}

/*
 * Flow limit, as the kernel's skb_flow_limit() (net/core/dev.c): the
 * flow buckets of the last RXS_FLOW_LIMIT_HISTORY packets queued on a
 * backlog while it was at least half full, and how many of those each
 * bucket holds. Both sizes are powers of two; a bucket count never exceeds
 * the history length, so it fits a u8.
 */
#define RXS_FLOW_LIMIT_HISTORY	128
#define RXS_FLOW_LIMIT_BUCKETS	4096

struct rxs_flow_limit {
	unsigned int head;			/* next history slot to reuse */
	u16 history[RXS_FLOW_LIMIT_HISTORY];	/* bucket of each packet */
	u8 buckets[RXS_FLOW_LIMIT_BUCKETS];	/* packets in the history */
};

/**
 * rxs_flow_limit_note() - record a packet in the history and judge its flow
 * @fl: the backlog's flow-limit state, zeroed at first
 * @hash: the packet's flow hash
 *
 * The packet's bucket (@hash modulo the number of buckets) replaces the
 * oldest entry of the history. Buckets that collide share their count, as
 * in the kernel. Like the kernel, a zeroed history starts out as
 * RXS_FLOW_LIMIT_HISTORY entries of bucket 0 that were never counted.
 *
 * Return: true if the packet's bucket now holds more than half of the
 * history: the packet belongs to a flow that dominates the backlog.
 */
static inline bool rxs_flow_limit_note(struct rxs_flow_limit *fl, u32 hash)
{
	unsigned int new_flow = hash & (RXS_FLOW_LIMIT_BUCKETS - 1);
	unsigned int old_flow = fl->history[fl->head];

	fl->history[fl->head] = new_flow;
	fl->head = (fl->head + 1) & (RXS_FLOW_LIMIT_HISTORY - 1);
	if (fl->buckets[old_flow])
		fl->buckets[old_flow]--;
	return ++fl->buckets[new_flow] > RXS_FLOW_LIMIT_HISTORY / 2;
}

static inline void rxs_bit_set(unsigned long *bits, unsigned int bit)
{
	bits[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline int rxs_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of @buf without one trailing newline; -EINVAL if too long. */
static inline int rxs_input_len(const char *buf, size_t len)
{
	if (len > RXS_MASK_MAX_INPUT)
		return -EINVAL;
	if (len && buf[len - 1] == '\n')
		len--;
	return (int)len;
}

/**
 * rxs_parse_hexmask() - parse a hex CPU bitmap in the format of rps_cpus
 * @buf: text, optionally ending in one newline
 * @len: length of @buf
 * @bits: output bitmap, at least @nbits bits, cleared first
 * @nbits: number of valid bits (nr_cpu_ids)
 *
 * The format is the one the kernel prints for masks: hex digits, most
 * significant first, optionally in comma-separated groups of 1 to 8 digits,
 * each group standing for 32 bits as in bitmap_parse() ("f", "0000000f",
 * "1,00000003", "1,3"). Leading zeros are allowed; unlike bitmap_parse(),
 * empty groups and whitespace are not.
 *
 * Return: 0 on success; -EINVAL for empty, malformed or overlong text;
 * -ERANGE when a bit at or above @nbits is set.
 */
static inline int rxs_parse_hexmask(const char *buf, size_t len,
				    unsigned long *bits, unsigned int nbits)
{
	unsigned int nlongs = (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG;
	unsigned int bit = 0, group = 0, i;
	int n = rxs_input_len(buf, len);

	if (n <= 0)
		return -EINVAL;
	for (i = 0; i < nlongs; i++)
		bits[i] = 0;
	/* Syntax first: groups of 1-8 hex digits separated by single commas. */
	for (i = 0; i < (unsigned int)n; i++) {
		if (buf[i] == ',') {
			if (!group)
				return -EINVAL;
			group = 0;
		} else if (rxs_hexval(buf[i]) < 0 || ++group > 8) {
			return -EINVAL;
		}
	}
	if (!group)
		return -EINVAL;
	/*
	 * Then the bits, from the last (least significant) digit upwards.
	 * As in the kernel's bitmap_parse(), each comma-separated group
	 * holds exactly 32 bits: "1,3" is CPUs 0, 1 and 32.
	 */
	while (n--) {
		int v = rxs_hexval(buf[n]), j;

		if (v < 0) {	/* a comma: next group of 32 bits */
			bit = (bit + 31) / 32 * 32;
			continue;
		}
		for (j = 0; j < 4; j++, bit++) {
			if (!(v & (1 << j)))
				continue;
			if (bit >= nbits)
				return -ERANGE;
			rxs_bit_set(bits, bit);
		}
	}
	return 0;
}

static inline int rxs_parse_uint(const char *s, int n, int *pos,
				 unsigned int *val)
{
	unsigned long v = 0;
	int start = *pos;

	while (*pos < n && s[*pos] >= '0' && s[*pos] <= '9') {
		v = v * 10 + (unsigned long)(s[*pos] - '0');
		if (v > 1000000)
			return -ERANGE;
		(*pos)++;
	}
	if (*pos == start)
		return -EINVAL;
	*val = (unsigned int)v;
	return 0;
}

/**
 * rxs_parse_cpulist() - parse a CPU list such as "0-3,6"
 * @buf: text, optionally ending in one newline
 * @len: length of @buf
 * @bits: output bitmap, at least @nbits bits, cleared first
 * @nbits: number of valid bits (nr_cpu_ids)
 *
 * Comma-separated decimal CPU numbers and inclusive ranges "a-b" with
 * a <= b. An empty list (or a lone newline) is the empty mask.
 *
 * Return: 0 on success; -EINVAL for malformed or overlong text; -ERANGE
 * when a CPU at or above @nbits is named.
 */
static inline int rxs_parse_cpulist(const char *buf, size_t len,
				    unsigned long *bits, unsigned int nbits)
{
	unsigned int nlongs = (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG;
	int n = rxs_input_len(buf, len);
	int pos = 0, err;
	unsigned int i;

	if (n < 0)
		return n;
	for (i = 0; i < nlongs; i++)
		bits[i] = 0;
	while (pos < n) {
		unsigned int a, b, c;

		err = rxs_parse_uint(buf, n, &pos, &a);
		if (err)
			return err;
		b = a;
		if (pos < n && buf[pos] == '-') {
			pos++;
			err = rxs_parse_uint(buf, n, &pos, &b);
			if (err)
				return err;
			if (b < a)
				return -EINVAL;
		}
		if (b >= nbits)
			return -ERANGE;
		for (c = a; c <= b; c++)
			rxs_bit_set(bits, c);
		if (pos < n) {
			if (buf[pos] != ',' || pos == n - 1)
				return -EINVAL;
			pos++;
		}
	}
	return 0;
}

#endif /* _RXSTEER_LOGIC_H */
