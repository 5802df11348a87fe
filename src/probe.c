// SPDX-License-Identifier: GPL-2.0
/*
 * The probes that feed RFS's sock-flow table: where an application reads
 * a flow, note the CPU. Registered only while the sock-flow table exists.
 *
 * Record points: inet_recvmsg() and inet6_recvmsg(), where the kernel
 * itself calls sock_rps_record_flow() for IPv4 and IPv6 reads. The other
 * kernel record points (sendmsg, accept, splice, TCP zerocopy receive) are
 * left out: see Documentation/design.rst.
 */

#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "rxsteer/rxsteer.h"

static int rxs_probe_recvmsg(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	int flags = (int)regs_get_kernel_argument(regs, 3);
	struct sock *sk;

	/* As inet_recvmsg(): error-queue reads do not move a flow. */
	if (unlikely(flags & MSG_ERRQUEUE) || !sock)
		return 0;
	sk = READ_ONCE(sock->sk);
	/* As sock_rps_record_flow(): established TCP and connected UDP. */
	if (sk && READ_ONCE(sk->sk_state) == TCP_ESTABLISHED)
		rxs_rfs_record(READ_ONCE(sk->sk_rxhash));
	return 0;
}

static struct kprobe rxs_probes[] = {
	{ .symbol_name = "inet_recvmsg", .pre_handler = rxs_probe_recvmsg },
	{ .symbol_name = "inet6_recvmsg", .pre_handler = rxs_probe_recvmsg },
};

/* Per probe: 0 registered, 1 off, negative: the registration error. */
static int rxs_probe_state[ARRAY_SIZE(rxs_probes)] = { 1, 1 };

/**
 * rxs_probe_enable() - register every probe that can be
 *
 * A probe that cannot be registered is reported in the kernel log and in
 * /sys/kernel/rxsteer/probes; flows it would record fall back to RPS.
 *
 * Return: 0.
 */
int rxs_probe_enable(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(rxs_probes); i++) {
		struct kprobe *p = &rxs_probes[i];
		const char *name = p->symbol_name;

		/* register_kprobe() needs a clean struct each time. */
		memset(p, 0, sizeof(*p));
		p->symbol_name = name;
		p->pre_handler = rxs_probe_recvmsg;
		err = register_kprobe(p);
		if (err)
			pr_warn("RFS: cannot probe %s: %d; its flows use RPS\n",
				name, err);
		rxs_probe_state[i] = err;
	}
	return 0;
}

/**
 * rxs_probe_disable() - unregister the probes; none runs after return
 */
void rxs_probe_disable(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rxs_probes); i++) {
		if (!rxs_probe_state[i])
			unregister_kprobe(&rxs_probes[i]);
		rxs_probe_state[i] = 1;
	}
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

	for (i = 0; i < ARRAY_SIZE(rxs_probes); i++) {
		int st = rxs_probe_state[i];

		if (st < 0)
			len += sysfs_emit_at(buf, len, "%s missing %d\n",
					     rxs_probes[i].symbol_name, st);
		else
			len += sysfs_emit_at(buf, len, "%s %s\n",
					     rxs_probes[i].symbol_name,
					     st ? "off" : "registered");
	}
	return len;
}
