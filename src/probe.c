// SPDX-License-Identifier: GPL-2.0
/*
 * The probes that feed RFS's sock-flow table: where an application reads
 * a flow, note the CPU. Registered when RFS is first turned on and kept
 * until the module is unloaded; while RFS is off they record nothing.
 *
 * Record points: inet_recvmsg() and inet6_recvmsg(), where the kernel
 * itself calls sock_rps_record_flow() for IPv4 and IPv6 reads. The other
 * kernel record points (sendmsg, accept, splice, TCP zerocopy receive) are
 * left out: see Documentation/design.rst.
 *
 * The probes are an ftrace_ops on the functions' entries (their
 * __fentry__ call sites), not kprobes. A kprobe there is an ftrace-based
 * kprobe, which has no instruction slot. On 6.1 under QEMU, a reading CPU
 * trapped on the int3 that ftrace writes while it patches that call site
 * after the patching was over; the int3 handler found the kprobe at that
 * address, ran it and single-stepped into its NULL slot: an oops at
 * address 0 in the reading task, once in 24 load-attach-unload cycles of
 * selftests/rxsteer_lifecycle.sh. An ftrace_ops is also cheaper: no
 * kprobe lookup.
 *
 * Such a late int3 is still an oops when no handler claims it (6.12 and
 * 6.12-rt under QEMU TCG, also with the kernel's own function tracer), so
 * the ops is registered once and RFS off is a flag the callback tests:
 * turning RFS on and off patches no code while applications read.
 */

#include <linux/ftrace.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/trace_recursion.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "rxsteer/rxsteer.h"

/* RFS is on: the callback records. */
static bool rxs_probe_on;

#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
static void notrace rxs_probe_recvmsg(unsigned long ip,
				      unsigned long parent_ip,
				      struct ftrace_ops *op,
				      struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct socket *sock;
	struct sock *sk;
	int bit, flags;

	/* RFS off: the ops stays registered, the probes record nothing. */
	if (!READ_ONCE(rxs_probe_on))
		return;
	/* Also disables preemption, which rxs_rfs_record() needs. */
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	if (unlikely(!regs))
		goto out;
	/* inet_recvmsg(sock, msg, size, flags), and so inet6_recvmsg(). */
	sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	flags = (int)regs_get_kernel_argument(regs, 3);
	/* As inet_recvmsg(): error-queue reads do not move a flow. */
	if (unlikely(flags & MSG_ERRQUEUE) || !sock)
		goto out;
	sk = READ_ONCE(sock->sk);
	/* As sock_rps_record_flow(): established TCP and connected UDP. */
	if (sk && READ_ONCE(sk->sk_state) == TCP_ESTABLISHED)
		rxs_rfs_record(READ_ONCE(sk->sk_rxhash));
out:
	ftrace_test_recursion_unlock(bit);
}

/*
 * One ftrace_ops for both functions, so that unloading waits for one set
 * of grace periods, not one per function. SAVE_REGS: the
 * arguments in a struct pt_regs on every kernel we build for. RECURSION
 * asks ftrace for recursion protection: it calls the callback through
 * ftrace_ops_assist_func(), which adds a guard to the callback's own.
 * Dropping both (arguments from struct ftrace_regs, a direct call) makes
 * the entry cheaper, but the first unload cycles with that ops hung a
 * reader on 6.1 under TCG (a soft lockup at inet_recvmsg+0x0 during
 * rmmod), and with both flags the next run oopsed there on a stale
 * int3: see the benchmark's "The probes' cost". To be retried.
 */
static struct ftrace_ops rxs_probe_ops = {
	.func = rxs_probe_recvmsg,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
};

/*
 * Empty the filter of an ops that failed to register, freeing its hash
 * the way ftrace replaces one, so that the next RFS on starts afresh. Not
 * ftrace_free_filter(): it frees the hashes but leaves the ops pointing
 * at them, for an ops that is never used again; the next
 * ftrace_set_filter() on it would free them a second time (an oops in
 * free_ftrace_hash() from an RCU callback, seen on 6.1 when RFS went off
 * and on again while RFS off still unregistered the ops).
 */
static void rxs_probe_clear_filter(void)
{
	ftrace_set_filter(&rxs_probe_ops, NULL, 0, 1);
}
#endif

static const char * const rxs_probe_symbols[] = {
	"inet_recvmsg",
	"inet6_recvmsg",
};

/*
 * Add @sym to the ops' filter, emptied first if @reset. On a registered
 * ops this patches only the new function's call site.
 */
static int rxs_probe_add(const char *sym, bool reset)
{
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
	char name[32];

	/* ftrace_set_filter() takes a writable buffer. */
	strscpy(name, sym, sizeof(name));
	return ftrace_set_filter(&rxs_probe_ops, name, strlen(name), reset);
#else
	return -EOPNOTSUPP;
#endif
}

/* Register the ops; on failure empty its filter for the next try. */
static int rxs_probe_register(void)
{
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
	int err = register_ftrace_function(&rxs_probe_ops);

	if (err)
		rxs_probe_clear_filter();
	return err;
#else
	return -EOPNOTSUPP;
#endif
}

/* Per function: 0 probed, 1 not probed, negative: the error. */
static int rxs_probe_state[ARRAY_SIZE(rxs_probe_symbols)] = { 1, 1 };
/* The ops is registered: from the first RFS on that probes a function. */
static bool rxs_probe_registered;

/**
 * rxs_probe_enable() - RFS on: probe every function that can be, record
 *
 * The first call registers the ops; later ones only set the flag, and try
 * again a function that could not be probed before. A function that
 * cannot be probed is reported in the kernel log and in
 * /sys/kernel/rxsteer/probes; flows it would record fall back to RPS.
 * Called under the sock-flow table's lock, before the table is published.
 *
 * Return: 0.
 */
int rxs_probe_enable(void)
{
	unsigned int i, added = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++) {
		if (!rxs_probe_state[i])
			continue;
		err = rxs_probe_add(rxs_probe_symbols[i],
				    !rxs_probe_registered && !added);
		rxs_probe_state[i] = err;
		added += !err;
	}
	/* An ops without a filter would trace every function: never. */
	if (!rxs_probe_registered && added) {
		err = rxs_probe_register();
		for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
			if (!rxs_probe_state[i])
				rxs_probe_state[i] = err;
		rxs_probe_registered = !err;
	}
	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
		if (rxs_probe_state[i] < 0)
			pr_warn("RFS: cannot probe %s: %d; its flows use RPS\n",
				rxs_probe_symbols[i], rxs_probe_state[i]);
	WRITE_ONCE(rxs_probe_on, true);
	return 0;
}

/**
 * rxs_probe_disable() - RFS off: the probes stop recording
 *
 * The ops stays registered (no code is patched under the readers) and
 * its callback returns at once; a function that could not be probed is
 * tried again at the next rxs_probe_enable(). Called under the sock-flow
 * table's lock, after the table is unpublished: a callback that still
 * records finds no table.
 */
void rxs_probe_disable(void)
{
	unsigned int i;

	WRITE_ONCE(rxs_probe_on, false);
	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
		if (rxs_probe_state[i] < 0)
			rxs_probe_state[i] = 1;
}

/**
 * rxs_probe_exit() - remove the probes; none runs after return
 *
 * Called at module exit, after RFS is off; the ops is not used again.
 */
void rxs_probe_exit(void)
{
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
	if (rxs_probe_registered) {
		/*
		 * Returns once no CPU can be in the callback or in a
		 * trampoline that calls it (an ops of a module waits for RCU
		 * tasks), so the module may go after this.
		 */
		unregister_ftrace_function(&rxs_probe_ops);
		rxs_probe_registered = false;
	}
	ftrace_free_filter(&rxs_probe_ops);
#endif
}

/**
 * rxs_probe_status() - one line per probe: name and state
 * @buf: a sysfs page
 *
 * Return: bytes written.
 */
ssize_t rxs_probe_status(char *buf)
{
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++) {
		int st = rxs_probe_state[i];

		if (st < 0)
			len += sysfs_emit_at(buf, len, "%s missing %d\n",
					     rxs_probe_symbols[i], st);
		else
			len += sysfs_emit_at(buf, len, "%s %s\n",
					     rxs_probe_symbols[i],
					     st ? "off" :
					     READ_ONCE(rxs_probe_on) ?
					     "registered" : "idle");
	}
	return len;
}
