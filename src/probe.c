// SPDX-License-Identifier: GPL-2.0
/*
 * The probes that feed RFS's sock-flow table: where an application reads
 * a flow, note the CPU. Registered only while the sock-flow table exists.
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
 * selftests/rxsteer_lifecycle.sh. A late int3 at an address without a
 * kprobe is skipped by the kernel. An ftrace_ops is also cheaper: no
 * kprobe lookup.
 */

#include <linux/ftrace.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/trace_recursion.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "rxsteer/rxsteer.h"

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
 * One ftrace_ops for both functions, so that turning RFS off waits for
 * one set of grace periods, not one per function. SAVE_REGS: the
 * arguments in a struct pt_regs on every kernel we build for. RECURSION:
 * the callback guards itself (above); ftrace still calls an ops of a
 * module through ftrace_ops_assist_func(), for its RCU-tasks safety.
 */
static struct ftrace_ops rxs_probe_ops = {
	.func = rxs_probe_recvmsg,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
};

/*
 * Empty the filter, freeing its hash the way ftrace replaces one. Not
 * ftrace_free_filter(): it frees the hashes but leaves the ops pointing
 * at them, for an ops that is never used again; the next
 * ftrace_set_filter() on it would free them a second time (an oops in
 * free_ftrace_hash() from an RCU callback, seen on 6.1 when RFS went off
 * and on again).
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

/* Per function: 0 probed, 1 off, negative: the error. */
static int rxs_probe_state[ARRAY_SIZE(rxs_probe_symbols)] = { 1, 1 };
static bool rxs_probe_registered;

/**
 * rxs_probe_enable() - probe every function that can be
 *
 * A function that cannot be probed is reported in the kernel log and in
 * /sys/kernel/rxsteer/probes; flows it would record fall back to RPS.
 *
 * Return: 0.
 */
int rxs_probe_enable(void)
{
	unsigned int i, n = 0;
	int err = -EOPNOTSUPP;

	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++) {
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
		char name[32];

		/* ftrace_set_filter() takes a writable buffer. */
		strscpy(name, rxs_probe_symbols[i], sizeof(name));
		err = ftrace_set_filter(&rxs_probe_ops, name, strlen(name),
					!n);
#endif
		rxs_probe_state[i] = err;
		n += !err;
	}
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
	/* An ops without a filter would trace every function: never. */
	err = n ? register_ftrace_function(&rxs_probe_ops) : 0;
	if (!n || err)
		rxs_probe_clear_filter();
	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
		if (!rxs_probe_state[i])
			rxs_probe_state[i] = err;
	rxs_probe_registered = n && !err;
#endif
	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
		if (rxs_probe_state[i])
			pr_warn("RFS: cannot probe %s: %d; its flows use RPS\n",
				rxs_probe_symbols[i], rxs_probe_state[i]);
	return 0;
}

/**
 * rxs_probe_disable() - remove the probes; none runs after return
 */
void rxs_probe_disable(void)
{
	unsigned int i;

#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
	if (rxs_probe_registered) {
		/*
		 * Returns once no CPU can be in the callback or in a
		 * trampoline that calls it (an ops of a module waits for RCU
		 * tasks), so the module may go after this.
		 */
		unregister_ftrace_function(&rxs_probe_ops);
		rxs_probe_clear_filter();
	}
#endif
	rxs_probe_registered = false;
	for (i = 0; i < ARRAY_SIZE(rxs_probe_symbols); i++)
		rxs_probe_state[i] = 1;
}

/**
 * rxs_probe_exit() - free what the probes' ftrace_ops holds
 *
 * Called at module exit, after rxs_probe_disable(); the ops is not used
 * again.
 */
void rxs_probe_exit(void)
{
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
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
					     st ? "off" : "registered");
	}
	return len;
}
