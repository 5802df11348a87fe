// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pure decision logic shared with the module: mask
 * parsing (both knob formats), the hash-to-CPU scaling, RFS's entries and
 * move rule, and the flow-limit history. Prints TAP.
 */
#include <stdio.h>
#include <string.h>

#include "rxsteer/logic.h"

static int ntest, nfail;

static void check(int cond, const char *what)
{
	ntest++;
	if (!cond)
		nfail++;
	printf("%sok %d %s\n", cond ? "" : "not ", ntest, what);
}

typedef int (*parser)(const char *, size_t, unsigned long *, unsigned int);

/* Parse @in with @nbits bits; check the errno and, on success, the mask. */
static void case_mask(parser p, const char *name, const char *in,
		      unsigned int nbits, int want_err, unsigned long want)
{
	unsigned long bits[2] = { 0xdead, 0xbeef };
	char what[128], shown[48];
	int err = p(in, strlen(in), bits, nbits);
	size_t i, j = 0;

	/* Show the input on one line: newlines as \n, long input cut. */
	for (i = 0; in[i] && j < sizeof(shown) - 4; i++) {
		if (in[i] == '\n') {
			shown[j++] = '\\';
			shown[j++] = 'n';
		} else {
			shown[j++] = in[i];
		}
	}
	shown[j] = '\0';
	snprintf(what, sizeof(what), "%s(\"%s%s\", %u) = %d mask %#lx",
		 name, shown, in[i] ? "..." : "", nbits, want_err, want);
	check(err == want_err && (err || bits[0] == want), what);
}

static void test_hexmask(void)
{
	static char big[RXS_MASK_MAX_INPUT + 2];
	parser p = rxs_parse_hexmask;

	case_mask(p, "hex", "f", 4, 0, 0xf);
	case_mask(p, "hex", "f\n", 4, 0, 0xf);
	case_mask(p, "hex", "0", 4, 0, 0);
	case_mask(p, "hex", "0000000e", 4, 0, 0xe);
	case_mask(p, "hex", "1,00000003", 64, 0, 0x100000003UL);
	case_mask(p, "hex", "A", 4, 0, 0xa);
	case_mask(p, "hex", "1,3", 64, 0, 0x100000003UL);
	case_mask(p, "hex", "f,0", 64, 0, 0xf00000000UL);
	case_mask(p, "hex", "0,0,1", 64, 0, 0x1);
	case_mask(p, "hex", "1,0,0", 64, -ERANGE, 0);
	case_mask(p, "hex", "10", 4, -ERANGE, 0);
	case_mask(p, "hex", "8", 3, -ERANGE, 0);
	case_mask(p, "hex", "", 4, -EINVAL, 0);
	case_mask(p, "hex", "\n", 4, -EINVAL, 0);
	case_mask(p, "hex", "xyz", 4, -EINVAL, 0);
	case_mask(p, "hex", "0x3", 4, -EINVAL, 0);
	case_mask(p, "hex", "-1", 4, -EINVAL, 0);
	case_mask(p, "hex", "1,,2", 64, -EINVAL, 0);
	case_mask(p, "hex", ",1", 64, -EINVAL, 0);
	case_mask(p, "hex", "1,", 64, -EINVAL, 0);
	case_mask(p, "hex", "123456789", 64, -EINVAL, 0);
	case_mask(p, "hex", "123456789", 4, -EINVAL, 0);
	case_mask(p, "hex", "100000000,00000000", 4, -EINVAL, 0);
	case_mask(p, "hex", "1,00000000", 4, -ERANGE, 0);
	case_mask(p, "hex", "3 ", 4, -EINVAL, 0);
	case_mask(p, "hex", "3\n\n", 4, -EINVAL, 0);
	memset(big, '0', sizeof(big) - 1);
	case_mask(p, "hex", big, 4, -EINVAL, 0);
}

static void test_cpulist(void)
{
	parser p = rxs_parse_cpulist;

	case_mask(p, "list", "0-3,6", 8, 0, 0x4f);
	case_mask(p, "list", "1", 4, 0, 0x2);
	case_mask(p, "list", "1\n", 4, 0, 0x2);
	case_mask(p, "list", "", 4, 0, 0);
	case_mask(p, "list", "\n", 4, 0, 0);
	case_mask(p, "list", "2-2", 4, 0, 0x4);
	case_mask(p, "list", "0,2", 4, 0, 0x5);
	case_mask(p, "list", "4", 4, -ERANGE, 0);
	case_mask(p, "list", "0-64", 64, -ERANGE, 0);
	case_mask(p, "list", "99999999", 64, -ERANGE, 0);
	case_mask(p, "list", "3-1", 4, -EINVAL, 0);
	case_mask(p, "list", "0-", 4, -EINVAL, 0);
	case_mask(p, "list", "-1", 4, -EINVAL, 0);
	case_mask(p, "list", "a", 4, -EINVAL, 0);
	case_mask(p, "list", "0,,1", 4, -EINVAL, 0);
	case_mask(p, "list", "0,", 4, -EINVAL, 0);
	case_mask(p, "list", ",0", 4, -EINVAL, 0);
	case_mask(p, "list", "1 2", 4, -EINVAL, 0);
}

static void test_scale(void)
{
	unsigned int counts[3] = { 0 }, i;
	int ok = 1;

	check(rxs_scale(0, 3) == 0, "scale(0, 3) = 0");
	check(rxs_scale(0xffffffffu, 3) == 2, "scale(max, 3) = 2");
	check(rxs_scale(0x80000000u, 2) == 1, "scale(2^31, 2) = 1");
	check(rxs_scale(12345, 1) == 0, "scale(x, 1) = 0");
	/* Evenly spread hashes land evenly. */
	for (i = 0; i < 3000; i++)
		counts[rxs_scale(i * 1431656u, 3)]++;
	for (i = 0; i < 3; i++)
		ok &= counts[i] == 1000;
	check(ok, "scale spreads a uniform range evenly over 3");
}

static void test_rfs(void)
{
	unsigned int i, slots[16] = { 0 }, used = 0;
	u32 mask = 3, id;

	id = rxs_sock_ident(0xabcdef12u, mask, 2);
	check(id == 0xabcdef12u, "sock ident keeps high bits, cpu in low bits");
	check((id & mask) == 2, "sock ident cpu");
	check(rxs_sock_match(id, 0xabcdef11u, mask), "same high bits match");
	check(!rxs_sock_match(id, 0xabcdee12u, mask), "other high bits do not");
	check(rxs_flow_may_move(10, 10), "may move once head reached tail");
	check(!rxs_flow_may_move(9, 10), "may not move before");
	check(rxs_flow_may_move(5, 0xfffffff0u), "may move across wrap");
	check(!rxs_flow_may_move(0xfffffff0u, 5), "may not move across wrap");
	/* RSS-like hashes differing only in high bits still spread. */
	for (i = 0; i < 16; i++)
		slots[rxs_flow_index(i << 28, 4)]++;
	for (i = 0; i < 16; i++)
		used += slots[i] != 0;
	check(used >= 8, "flow index mixes high bits into the slot");
	check(rxs_flow_index(0xffffffffu, 4) < 16, "flow index in range");
}

static void test_flow_limit(void)
{
	static struct rxs_flow_limit fl;
	unsigned int i, sum, dropped = 0;
	int ok = 1;

	/* One flow alone: limited once it holds more than half. */
	for (i = 0; i < RXS_FLOW_LIMIT_HISTORY / 2; i++)
		ok &= !rxs_flow_limit_note(&fl, 0x1001);
	check(ok, "flow limit: a flow with half of the history passes");
	check(rxs_flow_limit_note(&fl, 0x1001),
	      "flow limit: one more and it is limited");
	/* A light flow next to it is never limited. */
	memset(&fl, 0, sizeof(fl));
	for (i = 0; i < 10000; i++) {
		if (i % 8 == 0)
			ok &= !rxs_flow_limit_note(&fl, 0x2002 + i / 8 % 4);
		else
			dropped += rxs_flow_limit_note(&fl, 0x1001);
	}
	check(ok, "flow limit: four light flows beside a heavy one pass");
	check(dropped > 8000, "flow limit: the heavy flow is limited");
	check(fl.head < RXS_FLOW_LIMIT_HISTORY, "flow limit: head wraps");
	for (i = 0, sum = 0; i < RXS_FLOW_LIMIT_BUCKETS; i++)
		sum += fl.buckets[i];
	check(sum == RXS_FLOW_LIMIT_HISTORY,
	      "flow limit: the buckets count the history exactly");
	/* Hashes differing only above the bucket bits share a bucket. */
	memset(&fl, 0, sizeof(fl));
	for (i = 0; i < RXS_FLOW_LIMIT_HISTORY / 2; i++)
		rxs_flow_limit_note(&fl, 0x10000 * i + 7);
	check(rxs_flow_limit_note(&fl, 7),
	      "flow limit: buckets are the low bits of the hash");
	/* Two flows with half each: neither is limited. */
	memset(&fl, 0, sizeof(fl));
	for (i = 0; i < 1000; i++)
		ok &= !rxs_flow_limit_note(&fl, 1 + i % 2);
	check(ok, "flow limit: two even flows are never limited");
}

int main(void)
{
	printf("TAP version 13\n");
	test_hexmask();
	test_cpulist();
	test_scale();
	test_rfs();
	test_flow_limit();
	printf("1..%d\n", ntest);
	printf("%d passed, %d failed\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
