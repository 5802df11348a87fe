// SPDX-License-Identifier: GPL-2.0
/*
 * rxs_flows - UDP/TCP traffic source and locality/order checker for the
 * rxsteer selftests.
 *
 * "send" generates NFLOWS UDP flows (one connected socket, i.e. one distinct
 * 4-tuple, per flow); each datagram carries the flow id and a per-flow
 * sequence number.  "recv" binds one socket per flow, reads them from a
 * single (optionally pinned or migrating) thread, or with -R from one
 * pinned (optionally migrating) thread per listed CPU, flow i being read by
 * thread i mod NTHREADS, and reports per flow how many packets arrived, how
 * many were reordered or duplicated and on which CPU(s) the kernel
 * processed them (SO_INCOMING_CPU), so the test scripts can check that
 * rxsteer keeps a flow on one CPU, follows the consuming thread (RFS) and
 * preserves per-flow ordering.
 *
 * With -T, "send" and "recv" use one TCP connection per flow instead; the
 * byte stream is a sequence of fixed-size records laid out like the UDP
 * payload, and the CPU reported after each recv() is attributed to the
 * records completed by that call.
 *
 * "tun" emulates a multiqueue NIC: it attaches NQUEUES queues of a
 * multiqueue TUN device and writes raw IPv4/IPv6 UDP packets (same payload
 * as "send") into each queue from a thread pinned to that queue's CPU.  The
 * kernel processes a packet written to a TUN queue on the writing CPU with
 * the queue recorded as the rx queue, as if that CPU had taken the
 * interrupt of a NIC queue.  Flow ids are global: queue q carries flows
 * q*FLOWS_PER_QUEUE .. (q+1)*FLOWS_PER_QUEUE-1.
 *
 * UDP only updates SO_INCOMING_CPU (and sk_rxhash, which RFS relies on) for
 * connected sockets.  With -A/-P, "recv" connect()s flow i's socket to
 * PEER_ADDR:PEER_BASE_PORT+i before it signals readiness, and "send -P" /
 * "tun" use exactly these source ports, so every packet is accounted to its
 * CPU.  Otherwise the receiver connect()s each flow socket to the peer of
 * its first datagram, packets queued before that are reported as cpu -1,
 * and the sender therefore pauses after its first round (-w) by default.
 * SO_INCOMING_CPU is the CPU that queued the latest packet on the socket, so
 * it is exact per packet only while the receive queue stays shallow.
 *
 * With -m, "recv" also measures how quickly steering follows a migrating
 * reader: after each move of a reader thread to a different cpu, for every
 * flow it reads, it counts the packets (-T: records) read from that flow up
 * to and including the first one whose SO_INCOMING_CPU is the thread's new
 * cpu.  A flow-migration that never got there before the next move (or the
 * end of the run) is "unfollowed".
 *
 * With -F N, "recv" attaches to every socket a classic BPF filter of N
 * loads of the payload offset (SKF_AD_PAY_OFFSET: one flow dissection of
 * the packet each) that then accepts the whole packet: a fixed, large
 * amount of work per packet on the CPU that delivers it to the socket, so
 * that a test can make that CPU the slow end of a pipeline by
 * construction rather than by timing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_INCOMING_CPU
#define SO_INCOMING_CPU 49
#endif

#define RCVBUF_SIZE	(4 << 20)
#define HDR_LEN		8		/* u32 flow id + u32 seq */
#define MAX_PAYLOAD	65507
#define SEEN_MAX_BITS	(1UL << 26)	/* dup tracking limit per flow */
#define MAX_EVENTS	64
#define RX_BUF_SIZE	65536		/* per reader thread */
#define TCP_READS	16		/* recv() calls per -T socket and event */
#define STOP_EVENT	UINT32_MAX	/* epoll data of the stop eventfd */
#define SEQ_SPACE	(1ULL << 32)	/* send -D without -n: u32 seq limit */
#define CACHELINE	64
#define TUN_PAYLOAD	64		/* payload size of "tun" packets */
#define TUN_MAX_QUEUES	256		/* MAX_TAP_QUEUES in the kernel */
#define TUN_PKT_MAX	(sizeof(struct ip6_hdr) + sizeof(struct udphdr) + \
			 TUN_PAYLOAD)
#define WAIT_TIMEOUT_MS	30000		/* tun -W */
#define WAIT_POLL_US	10000

typedef unsigned long long ull;

struct opts {
	int family;
	int cpu;			/* -c, -1 if not given */
	const char *addr;		/* -a */
	const char *src;		/* -S (tun: -s) */
	const char *peer;		/* -A */
	const char *ready_file;		/* -r */
	const char *wait_file;		/* -W */
	const char *cpulist;		/* -C (tun: -c) */
	const char *dev;		/* -d */
	const char *readers;		/* recv -R */
	bool tcp;			/* -T */
	bool count_given;		/* -n given (it may be 0) */
	unsigned long port, nflows, count, timeout_ms, migrate_ms;
	unsigned long psize, interval_us, burst, warmup_ms;
	unsigned long src_port;		/* -P, 0 if not given */
	unsigned long nqueues;		/* -q */
	unsigned long duration_ms;	/* send -D, 0 if not given */
	unsigned long filter_len;	/* recv -F, 0 if not given */
};

/*
 * A flow is only ever touched by the reader thread it is assigned to (and
 * by the main thread before the readers start and after they have ended).
 */
struct flow {
	int fd;			/* UDP socket; -T: connection, -1 before accept */
	int lfd;		/* -T: listening socket until accept, else -1 */
	bool connected;		/* UDP: connected to its peer */
	bool closed;		/* -T: the peer closed the connection */
	ull rx, inversions, dups;
	int64_t max_seq;	/* -1: nothing seen yet */
	uint64_t *seen;		/* bitmap of received sequence numbers */
	size_t seen_bits;
	ull *cpu_cnt;		/* indexed by cpu + 1, slot 0 = unknown */
	size_t rec_off;		/* -T: bytes of the current record read */
	unsigned char hdr[HDR_LEN];	/* -T: header of the current record */
	unsigned int follow_gen;	/* -m: reader's mig_gen last seen */
	bool follow_open;	/* -m: not local yet since that migration */
	ull follow_cnt;		/* -m: packets read since that migration */
} __attribute__((aligned(CACHELINE)));

/* Shared by the readers; read-only while they run, except @last_rx. */
struct rx_state {
	struct flow *flows;
	unsigned int nflows;
	int nslots;		/* possible cpus + 1 */
	ull expected;		/* per flow, 0: none */
	bool tcp;
	size_t psize;		/* -T: record size */
	unsigned long timeout_ms, migrate_ms;
	int *cpulist, ncpulist;	/* -C */
	bool check_peer;	/* -T with -A/-P */
	struct sockaddr_storage peer;
	const char *peer_str;
	unsigned long peer_port;
	uint64_t start;
	uint64_t last_rx;	/* latest rx of any reader (atomic), 0: none */
};

/* One reader thread and its private statistics, merged at the end. */
struct reader {
	struct rx_state *st;
	pthread_t thread;
	unsigned int index;
	int cpu;		/* initial cpu, -1: not pinned */
	int mig_idx;		/* position in -C */
	int cur_cpu;		/* -m: cpu currently pinned to */
	unsigned int mig_gen;	/* -m: moves to a different cpu so far */
	int ep;
	unsigned int nflows, flows_done, flows_closed;
	ull rx, local, bad;
	ull f_moves, f_followed, f_sum, f_max;	/* -m: follow counters */
	ull *cpu_total;		/* indexed like flow.cpu_cnt */
	char *buf;
} __attribute__((aligned(CACHELINE)));

static const char *prog = "rxs_flows";
static volatile sig_atomic_t stop_requested;
static int stop_fd = -1;	/* recv: eventfd in every reader's epoll set */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define die_errno(fmt, ...) die(fmt ": %s", ##__VA_ARGS__, strerror(errno))

static void __attribute__((noreturn)) usage(FILE *out, int code)
{
	fprintf(out,
"usage:\n"
"  rxs_flows recv -4|-6 -a LOCAL_ADDR -p BASE_PORT -f NFLOWS\n"
"                 [-c CPU | -R CPULIST] [-t TIMEOUT_MS] [-n EXPECTED_PER_FLOW]\n"
"                 [-r READY_FILE] [-m MIGRATE_MS -C CPULIST]\n"
"                 [-A PEER_ADDR -P PEER_BASE_PORT] [-T [-s RECORD_SIZE]]\n"
"                 [-F FILTER_LEN]\n"
"  rxs_flows send -4|-6 -a DEST_ADDR -p BASE_PORT -f NFLOWS\n"
"                 {-n PACKETS_PER_FLOW | -D DURATION_MS [-n MAX_PER_FLOW]}\n"
"                 [-c CPU] [-s PAYLOAD_SIZE] [-S SRC_ADDR] [-P SRC_BASE_PORT]\n"
"                 [-i INTERVAL_US] [-b BURST] [-w WARMUP_MS] [-T]\n"
"  rxs_flows tun [-4|-6] -d TUNDEV -q NQUEUES -c CPU0,CPU1,...\n"
"                -s SRC_ADDR -a DEST_ADDR -p DEST_BASE_PORT\n"
"                -P SRC_BASE_PORT -f FLOWS_PER_QUEUE -n PACKETS_PER_FLOW\n"
"                [-i INTERVAL_US] [-r READY_FILE] [-W WAIT_FILE]\n"
"  rxs_flows --help\n");
	if (code) {
		fprintf(out, "Try 'rxs_flows --help' for details.\n");
		exit(code);
	}
	fprintf(out,
"\n  -4, -6         address family (inferred from -a if omitted)\n"
"  -a ADDR        recv: local address; send, tun: destination\n"
"                 (fe80::1%%eth0 ok)\n"
"  -p BASE_PORT   flow i uses UDP (-T: TCP) port BASE_PORT+i\n"
"  -f NFLOWS      number of flows (one socket, -T: connection, each)\n"
"  -c CPU         pin the reader/sender thread to CPU\n"
"  -T             TCP: one connection per flow; the stream is a sequence\n"
"                 of SIZE byte records laid out like the UDP payload\n"
"recv:\n"
"  -t MS          stop after MS without packets once traffic started, or\n"
"                 after 10*MS if nothing arrives at all (default 2000)\n"
"  -n EXPECTED    stop once every flow has received EXPECTED packets\n"
"                 (-T: records); 0 or not given: no expected count\n"
"  -r FILE        create FILE when all sockets are bound (and connected;\n"
"                 -T: listening)\n"
"  -R CPULIST     one reader thread per listed cpu (e.g. 1,2 or 1-3),\n"
"                 pinned to it, with its own epoll set; flow i is read by\n"
"                 thread i mod NTHREADS; excludes -c\n"
"  -m MS -C LIST  re-pin the reader every MS, round-robin over LIST\n"
"                 (e.g. 1,2,3 or 1-3); with -R, every thread migrates:\n"
"                 thread t starts on the t-th cpu of -R and at the t-th\n"
"                 entry of LIST (mod its length), and every MS moves on to\n"
"                 the next cpu of LIST, round-robin\n"
"  -A ADDR -P PORT  connect flow i's socket to ADDR port PORT+i right away;\n"
"                 without them, each socket is connected to the peer of its\n"
"                 first datagram, which is then reported as cpu -1;\n"
"                 -T: warn if flow i's connection does not come from there\n"
"  -s SIZE        -T: record size, as given to send (default 64)\n"
"  -T             listen on port BASE_PORT+i for flow i and accept exactly\n"
"                 one connection; stop also once all peers have closed\n"
"  -F N           UDP: attach to every socket a classic BPF filter (1..%d)\n"
"                 of N loads of SKF_AD_PAY_OFFSET, each a flow dissection\n"
"                 of the packet, then accept it whole: fixed extra work\n"
"                 per packet on the CPU that delivers it to the socket\n"
"                 (the filter's size counts against net.core.optmem_max:\n"
"                 about 32 bytes per load)\n"
"  output: flow ID rx N inversions N dups N cpu C cpus C1:N1,C2:N2\n"
"          cpu C rx N\n"
"          reader T cpu C flows N rx N local N   (-R only, per thread)\n"
"          follow moves N followed F unfollowed U max P avg A   (-m only)\n"
"          local N\n"
"          total rx N inversions N dups N flows_seen N\n"
"  cpu: majority cpu (-1 = unknown); cpus: \"-\" if the flow got nothing;\n"
"  inversions: seq <= highest seq so far (duplicates counted apart);\n"
"  local: packets with SO_INCOMING_CPU == cpu of the reading thread at the\n"
"  time of the read; reader: C = initial cpu, flows = flows assigned\n"
"  follow: after each move of a reader to a different cpu, per flow it\n"
"  reads: packets (-T: records) read up to the first one with\n"
"  SO_INCOMING_CPU == the new cpu; N = flow-migrations with a packet read,\n"
"  F = those that got there (before the next move or the end), U = N - F,\n"
"  P = largest count of those F, A = their mean, rounded (0: none)\n"
"  -T: all records completed by a recv() call count for the cpu that\n"
"  SO_INCOMING_CPU reports right after it\n"
"  exit: 0 packets received, 1 error, 2 nothing received\n"
"send:\n"
"  -n PACKETS     packets (-T: records) per flow; with -D an upper bound,\n"
"                 0 or not given: unlimited\n"
"  -D MS          keep sending rounds until MS milliseconds have elapsed\n"
"                 or SIGINT/SIGTERM comes (then the output is printed)\n"
"  -s SIZE        UDP payload (-T: record) size, >= 8 (default 64)\n"
"  -S SRC_ADDR    bind the sockets to SRC_ADDR\n"
"  -P PORT        bind flow i's socket to source port PORT+i (default:\n"
"                 ephemeral); pair with recv -A/-P\n"
"  -i US          sleep US microseconds between rounds (default 0)\n"
"  -b BURST       packets per flow per round (default 1)\n"
"  -w MS          pause after the first round so the receiver can connect\n"
"                 its sockets and see SO_INCOMING_CPU, or read each flow\n"
"                 once before the bulk follows (default 50, 0: off)\n"
"  -T             connect (SO_REUSEADDR, TCP_NODELAY) flow i to port\n"
"                 BASE_PORT+i, blocking writes of one record each\n"
"  payload: u32 flow id, u32 seq (network order), zero padding\n"
"  output: sent N retries N\n"
"tun: emulate a multiqueue NIC with a multiqueue TUN device\n"
"  -d TUNDEV      device name; created (not persistent) by the first queue,\n"
"                 removed when the last queue is closed on exit\n"
"  -q NQUEUES     queues to attach (1..%d); queue index = attach order\n"
"  -c CPULIST     one cpu per queue (e.g. 0,1 or 0-1): queue q is written\n"
"                 by a thread pinned to the q-th cpu, which thus processes\n"
"                 its packets like a NIC queue's interrupt cpu\n"
"  -s SRC_ADDR    source address of the packets\n"
"  -P PORT        source port base; flow f uses PORT+f\n"
"  -a, -p         destination address and port base; flow f uses port+f\n"
"  -f FLOWS       flows per queue: queue q carries the flows\n"
"                 f = q*FLOWS+i, i = 0..FLOWS-1 (receive all of them with\n"
"                 recv -f NQUEUES*FLOWS -A SRC_ADDR -P PORT)\n"
"  -n PACKETS     packets per flow, round-robin over the queue's flows\n"
"  -i US          sleep US microseconds between rounds (default 0)\n"
"  -r FILE        create FILE once all queues are attached; then the\n"
"                 caller configures TUNDEV (ip addr add, ip link set up)\n"
"  -W FILE        before sending, wait (up to %d s) until FILE exists\n"
"  packets: IPv4 (DF, valid checksums) or IPv6, UDP with checksum,\n"
"           %d byte payload as for send\n"
"  output: queue Q sent N (per queue)\n"
"          sent N retries N (retries: writes failing with EAGAIN/ENOBUFS)\n",
		BPF_MAXINSNS - 1, TUN_MAX_QUEUES, WAIT_TIMEOUT_MS / 1000,
		TUN_PAYLOAD);
	exit(code);
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		die("invalid %s '%s' (expected %lu..%lu)", what, s, min, max);
	return v;
}

static void check_port_range(unsigned long base, unsigned long n,
			     const char *what)
{
	if (base + n - 1 > 65535)
		die("%s range %lu..%lu exceeds 65535", what, base, base + n - 1);
}

/*
 * @tun: parse for the "tun" subcommand, where -c is a cpu list (like -C)
 * and -s the source address (like -S).
 */
static void parse_opts(int argc, char **argv, const char *optstr, bool tun,
		       struct opts *o)
{
	const struct {
		int opt;
		unsigned long *val;
		const char *what;
		unsigned long min, max;
	} nums[] = {
		{ 'p', &o->port, "port", 1, 65535 },
		{ 'f', &o->nflows, "flow count", 1, 65535 },
		{ 'n', &o->count, "packet count", 0, UINT32_MAX },
		{ 't', &o->timeout_ms, "timeout", 1, 3600000 },
		{ 'm', &o->migrate_ms, "migration interval", 1, 3600000 },
		{ 's', &o->psize, "payload size", HDR_LEN, MAX_PAYLOAD },
		{ 'i', &o->interval_us, "interval", 0, 60000000 },
		{ 'b', &o->burst, "burst", 1, 1000000 },
		{ 'w', &o->warmup_ms, "warm-up time", 0, 60000 },
		{ 'P', &o->src_port, "source/peer port", 1, 65535 },
		{ 'q', &o->nqueues, "queue count", 1, TUN_MAX_QUEUES },
		{ 'D', &o->duration_ms, "duration", 1, 86400000 },
		{ 'F', &o->filter_len, "filter length", 1, BPF_MAXINSNS - 1 },
	};
	unsigned long n;
	size_t j;
	int c;

	memset(o, 0, sizeof(*o));
	o->cpu = -1;
	o->timeout_ms = 2000;
	o->psize = 64;
	o->burst = 1;
	o->warmup_ms = 50;

	while ((c = getopt(argc, argv, optstr)) != -1) {
		if (tun && c == 'c')
			c = 'C';
		else if (tun && c == 's')
			c = 'S';
		switch (c) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'S':
			o->src = optarg;
			break;
		case 'A':
			o->peer = optarg;
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'W':
			o->wait_file = optarg;
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 'C':
			o->cpulist = optarg;
			break;
		case 'R':
			o->readers = optarg;
			break;
		case 'T':
			o->tcp = true;
			break;
		case 'c':
			o->cpu = parse_num(optarg, "cpu", 0, CPU_SETSIZE - 1);
			break;
		case 'h':
			usage(stdout, 0);
		default:
			for (j = 0; j < sizeof(nums) / sizeof(nums[0]); j++)
				if (nums[j].opt == c)
					break;
			if (c == '?' || j == sizeof(nums) / sizeof(nums[0]))
				usage(stderr, 1);
			*nums[j].val = parse_num(optarg, nums[j].what,
						 nums[j].min, nums[j].max);
			if (c == 'n')
				o->count_given = true;
		}
	}
	if (optind != argc || !o->addr || !o->port || !o->nflows) {
		fprintf(stderr, "%s: -a, -p and -f are required\n", prog);
		usage(stderr, 1);
	}
	/* "tun": -f is per queue, flow ids and ports span all queues */
	n = o->nflows * (o->nqueues ? o->nqueues : 1);
	check_port_range(o->port, n, "port");
	if (o->src_port)
		check_port_range(o->src_port, n, "source/peer port");
	if (!o->family)
		o->family = strchr(o->addr, ':') ? AF_INET6 : AF_INET;
}

static socklen_t parse_addr(int family, const char *str, uint16_t port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char *scope;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, str, &sin->sin_addr) != 1)
			die("invalid IPv4 address '%s'", str);
		return sizeof(*sin);
	}

	/* IPv6, optionally with a %scope (interface name) */
	if (strlen(str) >= sizeof(buf))
		die("invalid IPv6 address '%s'", str);
	strcpy(buf, str);
	scope = strchr(buf, '%');
	if (scope)
		*scope++ = '\0';
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		die("invalid IPv6 address '%s'", str);
	if (scope) {
		sin6->sin6_scope_id = if_nametoindex(scope);
		if (!sin6->sin6_scope_id)
			die_errno("if_nametoindex(%s)", scope);
	}
	return sizeof(*sin6);
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die_errno("sched_setaffinity(cpu %d)", cpu);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die_errno("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* Zeroed, cache line aligned: entries used by different threads. */
static void *xcalloc_aligned(size_t n, size_t size)
{
	size_t len = (n ? n : 1) * size;
	void *p;

	if (posix_memalign(&p, CACHELINE, len))
		die("out of memory");
	memset(p, 0, len);
	return p;
}

static void create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die_errno("open(%s)", path);
	close(fd);
}

/* ------------------------------------------------------------------ recv */

static void on_signal(int sig)
{
	uint64_t one = 1;
	int saved_errno = errno;
	ssize_t r;

	(void)sig;
	stop_requested = 1;
	/* wake up every reader, whichever thread got the signal */
	if (stop_fd >= 0) {
		r = write(stop_fd, &one, sizeof(one));
		(void)r;
	}
	errno = saved_errno;
}

/* Returns the previous state of bit @seq, or -1 if it is not tracked. */
static int seen_test_and_set(struct flow *f, uint32_t seq)
{
	uint64_t mask = 1ULL << (seq % 64);
	int old;

	if (seq >= f->seen_bits) {
		size_t nbits = f->seen_bits ? f->seen_bits : 4096;
		uint64_t *p;

		if (seq >= SEEN_MAX_BITS)
			return -1;
		while (nbits <= seq)
			nbits *= 2;
		p = realloc(f->seen, nbits / 8);
		if (!p)
			die("out of memory");
		memset((char *)p + f->seen_bits / 8, 0,
		       (nbits - f->seen_bits) / 8);
		f->seen = p;
		f->seen_bits = nbits;
	}
	old = !!(f->seen[seq / 64] & mask);
	f->seen[seq / 64] |= mask;
	return old;
}

/*
 * "1,2,5-7" -> {1, 2, 5, 6, 7}; returns the number of entries.
 * @opt: the option, for error messages.
 */
static int parse_cpulist(const char *s, const char *opt, int **out)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int *list = NULL, n = 0;
	char what[32];

	if (!copy)
		die("out of memory");
	snprintf(what, sizeof(what), "cpu in %s", opt);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned long lo, hi, c;

		if (dash)
			*dash++ = '\0';
		lo = parse_num(tok, what, 0, CPU_SETSIZE - 1);
		hi = dash ? parse_num(dash, what, lo, CPU_SETSIZE - 1) : lo;
		for (c = lo; c <= hi; c++) {
			list = realloc(list, (n + 1) * sizeof(*list));
			if (!list)
				die("out of memory");
			list[n++] = c;
		}
	}
	free(copy);
	if (!n)
		die("empty cpu list '%s'", s);
	*out = list;
	return n;
}

/*
 * -F: @len loads of the payload offset, each a call into the kernel's flow
 * dissector (skb_get_poff()) when the filter runs, then "ret all".
 */
static void attach_slow_filter(int fd, unsigned long len)
{
	struct sock_filter *insns = xcalloc(len + 1, sizeof(*insns));
	struct sock_fprog prog = { .len = len + 1, .filter = insns };
	unsigned long i;

	for (i = 0; i < len; i++)
		insns[i] = (struct sock_filter)
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				 SKF_AD_OFF + SKF_AD_PAY_OFFSET);
	insns[len] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, UINT32_MAX);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))) {
		if (errno == ENOMEM)
			die("setsockopt(SO_ATTACH_FILTER, %lu loads): %s (raise net.core.optmem_max)",
			    len, strerror(errno));
		die_errno("setsockopt(SO_ATTACH_FILTER, %lu loads)", len);
	}
	free(insns);
}

/* Bind flow @idx's socket and, with -A/-P, connect it to its peer. */
static int open_rx_socket(const struct opts *o, unsigned int idx)
{
	int one = 1, sz = RCVBUF_SIZE, fd;
	unsigned int port = o->port + idx;
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(o->family, o->addr, port, &ss);

	fd = socket(o->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die_errno("setsockopt(SO_REUSEADDR)");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)))
		die_errno("setsockopt(SO_RCVBUF)");
	if (o->filter_len)
		attach_slow_filter(fd, o->filter_len);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die_errno("bind(%s port %u)", o->addr, port);
	if (o->peer) {
		len = parse_addr(o->family, o->peer, o->src_port + idx, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len))
			die_errno("connect(flow %u to %s port %lu)", idx,
				  o->peer, o->src_port + idx);
	}
	return fd;
}

/* -T: the listening socket of flow @idx (non-blocking, for epoll). */
static int open_tcp_listener(const struct opts *o, unsigned int idx)
{
	unsigned int port = o->port + idx;
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(o->family, o->addr, port, &ss);
	int one = 1, fd;

	fd = socket(o->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die_errno("setsockopt(SO_REUSEADDR)");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die_errno("bind(%s port %u)", o->addr, port);
	if (listen(fd, 4))
		die_errno("listen(%s port %u)", o->addr, port);
	return fd;
}

/* Record that some reader received something at @now (ms). */
static void note_rx(struct rx_state *st, uint64_t now)
{
	uint64_t old = __atomic_load_n(&st->last_rx, __ATOMIC_RELAXED);

	while (old < now &&
	       !__atomic_compare_exchange_n(&st->last_rx, &old, now, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void account(struct reader *r, struct flow *f, uint32_t seq,
		    int cpu, int me)
{
	const struct rx_state *st = r->st;
	int slot = (cpu >= 0 && cpu < st->nslots - 1) ? cpu + 1 : 0;
	int old;

	/*
	 * -m: the first packet of @f read since the reader's latest move
	 * opens a flow-migration; it stays open (counting packets) until a
	 * packet comes in on the reader's cpu.  One still open at the next
	 * move or at the end is unfollowed: f_moves - f_followed.
	 */
	if (r->mig_gen && f->follow_gen != r->mig_gen) {
		f->follow_gen = r->mig_gen;
		f->follow_open = true;
		f->follow_cnt = 0;
		r->f_moves++;
	}
	if (f->follow_open) {
		f->follow_cnt++;
		if (cpu == me) {
			f->follow_open = false;
			r->f_followed++;
			r->f_sum += f->follow_cnt;
			if (f->follow_cnt > r->f_max)
				r->f_max = f->follow_cnt;
		}
	}

	f->cpu_cnt[slot]++;
	r->cpu_total[slot]++;
	if (cpu == me)
		r->local++;
	r->rx++;
	if (++f->rx == st->expected)
		r->flows_done++;

	old = seen_test_and_set(f, seq);
	if ((int64_t)seq > f->max_seq)
		f->max_seq = seq;
	else if (old == 1)
		f->dups++;
	else
		f->inversions++;
}

/* SO_INCOMING_CPU of @fd and the cpu we are running on. */
static void get_cpus(int fd, int *cpu, int *me)
{
	socklen_t olen = sizeof(*cpu);

	if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, cpu, &olen))
		die_errno("getsockopt(SO_INCOMING_CPU)");
	*me = sched_getcpu();
	if (*me < 0)
		die_errno("sched_getcpu");
}

/* Read everything queued on the UDP socket of flow @idx. */
static void drain_udp(struct reader *r, unsigned int idx)
{
	struct flow *f = &r->st->flows[idx];
	char *buf = r->buf;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		uint32_t id, seq;
		int cpu, me;
		ssize_t n;

		n = recvfrom(f->fd, buf, RX_BUF_SIZE, 0,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			die_errno("recv(flow %u)", idx);
		}
		get_cpus(f->fd, &cpu, &me);
		note_rx(r->st, now_ms());

		memcpy(&id, buf, sizeof(id));
		memcpy(&seq, buf + 4, sizeof(seq));
		if (n < HDR_LEN || ntohl(id) != idx) {
			r->bad++;
			continue;
		}
		if (!f->connected) {
			if (connect(f->fd, (struct sockaddr *)&peer, plen))
				die_errno("connect(flow %u to its peer)", idx);
			f->connected = true;
		}
		account(r, f, ntohl(seq), cpu, me);
	}
}

/* -T: the peer of flow @idx closed (or reset) its connection. */
static void tcp_closed(struct reader *r, unsigned int idx)
{
	struct flow *f = &r->st->flows[idx];

	if (epoll_ctl(r->ep, EPOLL_CTL_DEL, f->fd, NULL))
		die_errno("epoll_ctl(EPOLL_CTL_DEL)");
	f->closed = true;
	r->flows_closed++;
	if (f->rec_off) {
		fprintf(stderr, "%s: warning: flow %u: stream ends in a partial record (%zu of %zu bytes)\n",
			prog, idx, f->rec_off, r->st->psize);
		r->bad++;
	}
}

/*
 * -T: read (a bounded number of times, epoll is level-triggered) from the
 * connection of flow @idx and account every record completed by a recv()
 * call to the cpu SO_INCOMING_CPU reports right after it.
 */
static void drain_tcp(struct reader *r, unsigned int idx)
{
	struct flow *f = &r->st->flows[idx];
	size_t psize = r->st->psize;
	const char *buf = r->buf;
	int calls;

	for (calls = 0; calls < TCP_READS && !f->closed; calls++) {
		size_t off = 0, len;
		int cpu, me;
		ssize_t n;

		n = recv(f->fd, r->buf, RX_BUF_SIZE, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET) {
				fprintf(stderr, "%s: warning: flow %u: connection reset\n",
					prog, idx);
				tcp_closed(r, idx);
				return;
			}
			die_errno("recv(flow %u)", idx);
		}
		if (!n) {
			tcp_closed(r, idx);
			return;
		}
		get_cpus(f->fd, &cpu, &me);
		note_rx(r->st, now_ms());

		len = n;
		while (off < len) {
			size_t take = psize - f->rec_off;
			uint32_t id, seq;

			if (take > len - off)
				take = len - off;
			if (f->rec_off < HDR_LEN)
				memcpy(f->hdr + f->rec_off, buf + off,
				       take < HDR_LEN - f->rec_off ?
				       take : HDR_LEN - f->rec_off);
			f->rec_off += take;
			off += take;
			if (f->rec_off < psize)
				break;
			f->rec_off = 0;

			memcpy(&id, f->hdr, sizeof(id));
			memcpy(&seq, f->hdr + 4, sizeof(seq));
			if (ntohl(id) != idx)
				r->bad++;
			else
				account(r, f, ntohl(seq), cpu, me);
		}
	}
}

/* -T with -A/-P: warn if flow @idx's connection comes from elsewhere. */
static void check_tcp_peer(const struct rx_state *st, unsigned int idx,
			   const struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned int port;
	bool same;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		const struct sockaddr_in *b = (const void *)&st->peer;

		port = ntohs(a->sin_port);
		same = a->sin_addr.s_addr == b->sin_addr.s_addr;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;
		const struct sockaddr_in6 *b = (const void *)&st->peer;

		port = ntohs(a->sin6_port);
		same = !memcmp(&a->sin6_addr, &b->sin6_addr,
			       sizeof(a->sin6_addr));
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
	}
	if (!same || port != st->peer_port + idx)
		fprintf(stderr, "%s: warning: flow %u: connection from %s port %u, expected %s port %lu\n",
			prog, idx, addr, port, st->peer_str,
			st->peer_port + idx);
}

/* -T: accept the one connection of flow @idx, then close its listener. */
static void accept_flow(struct reader *r, unsigned int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
	struct flow *f = &r->st->flows[idx];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	fd = accept4(f->lfd, (struct sockaddr *)&ss, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return;
		die_errno("accept(flow %u)", idx);
	}
	if (epoll_ctl(r->ep, EPOLL_CTL_DEL, f->lfd, NULL))
		die_errno("epoll_ctl(EPOLL_CTL_DEL)");
	close(f->lfd);
	f->lfd = -1;
	f->fd = fd;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev))
		die_errno("epoll_ctl(EPOLL_CTL_ADD)");
	if (r->st->check_peer)
		check_tcp_peer(r->st, idx, &ss);
}

static bool reader_done(const struct reader *r)
{
	const struct rx_state *st = r->st;

	return !r->nflows ||
	       (st->expected && r->flows_done == r->nflows) ||
	       (st->tcp && r->flows_closed == r->nflows);
}

/*
 * The receive loop of one reader: runs in the main thread without -R, in
 * its own thread (created pinned to r->cpu) with -R.
 */
static void *reader_run(void *arg)
{
	struct epoll_event events[MAX_EVENTS];
	struct reader *r = arg;
	struct rx_state *st = r->st;
	uint64_t next_mig = now_ms() + st->migrate_ms;
	bool stop = false;

	while (!stop && !stop_requested && !reader_done(r)) {
		uint64_t now = now_ms(), deadline, last;
		int n, k;

		if (st->migrate_ms && now >= next_mig) {
			r->mig_idx = (r->mig_idx + 1) % st->ncpulist;
			pin_to_cpu(st->cpulist[r->mig_idx]);
			/* re-pinning to the same cpu is no migration */
			if (st->cpulist[r->mig_idx] != r->cur_cpu) {
				r->cur_cpu = st->cpulist[r->mig_idx];
				r->mig_gen++;
			}
			next_mig += st->migrate_ms;
			if (next_mig <= now)
				next_mig = now + st->migrate_ms;
		}
		/* the idle timeout is global: any reader's traffic counts */
		last = __atomic_load_n(&st->last_rx, __ATOMIC_RELAXED);
		deadline = last ? last + st->timeout_ms
				: st->start + st->timeout_ms * 10;
		if (now >= deadline)
			break;
		if (st->migrate_ms && next_mig < deadline)
			deadline = next_mig;

		n = epoll_wait(r->ep, events, MAX_EVENTS, deadline - now);
		if (n < 0 && errno != EINTR)
			die_errno("epoll_wait");
		for (k = 0; k < n; k++) {
			uint32_t idx = events[k].data.u32;
			struct flow *f;

			if (idx == STOP_EVENT) {
				stop = true;
				break;
			}
			f = &st->flows[idx];
			if (f->lfd >= 0)
				accept_flow(r, idx);
			else if (st->tcp)
				drain_tcp(r, idx);
			else
				drain_udp(r, idx);
		}
	}
	return NULL;
}

static void print_recv_report(const struct rx_state *st,
			      const struct reader *readers,
			      unsigned int nreaders, bool per_reader)
{
	ull rx = 0, inv = 0, dups = 0, seen = 0, local = 0, *cpu_total;
	ull f_moves = 0, f_followed = 0, f_sum = 0, f_max = 0;
	unsigned int i;
	int s;

	cpu_total = xcalloc(st->nslots, sizeof(*cpu_total));
	for (i = 0; i < nreaders; i++) {
		for (s = 0; s < st->nslots; s++)
			cpu_total[s] += readers[i].cpu_total[s];
		local += readers[i].local;
		f_moves += readers[i].f_moves;
		f_followed += readers[i].f_followed;
		f_sum += readers[i].f_sum;
		if (readers[i].f_max > f_max)
			f_max = readers[i].f_max;
	}

	for (i = 0; i < st->nflows; i++) {
		const struct flow *f = &st->flows[i];
		const char *sep = "";
		int best = 0;

		/* majority cpu; "unknown" (slot 0) only if nothing else */
		for (s = 1; s < st->nslots; s++)
			if (f->cpu_cnt[s] > f->cpu_cnt[best] ||
			    (best == 0 && f->cpu_cnt[s]))
				best = s;
		printf("flow %u rx %llu inversions %llu dups %llu cpu %d cpus ",
		       i, f->rx, f->inversions, f->dups, best - 1);
		for (s = 0; s < st->nslots; s++) {
			if (!f->cpu_cnt[s])
				continue;
			printf("%s%d:%llu", sep, s - 1, f->cpu_cnt[s]);
			sep = ",";
		}
		printf("%s\n", f->rx ? "" : "-");
		rx += f->rx;
		inv += f->inversions;
		dups += f->dups;
		seen += !!f->rx;
	}
	for (s = 0; s < st->nslots; s++)
		if (cpu_total[s])
			printf("cpu %d rx %llu\n", s - 1, cpu_total[s]);
	for (i = 0; per_reader && i < nreaders; i++)
		printf("reader %u cpu %d flows %u rx %llu local %llu\n", i,
		       readers[i].cpu, readers[i].nflows, readers[i].rx,
		       readers[i].local);
	if (st->migrate_ms)
		printf("follow moves %llu followed %llu unfollowed %llu max %llu avg %llu\n",
		       f_moves, f_followed, f_moves - f_followed, f_max,
		       f_followed ? (f_sum + f_followed / 2) / f_followed : 0);
	printf("local %llu\n", local);
	printf("total rx %llu inversions %llu dups %llu flows_seen %llu\n",
	       rx, inv, dups, seen);
	if (fflush(stdout))
		die_errno("write(stdout)");
	free(cpu_total);
}

static void start_readers(struct reader *readers, unsigned int nreaders)
{
	pthread_attr_t attr;
	unsigned int t;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		die("pthread_attr_init: %s", strerror(err));
	for (t = 0; t < nreaders; t++) {
		cpu_set_t set;

		/* created pinned: never reads on another cpu */
		CPU_ZERO(&set);
		CPU_SET(readers[t].cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!err)
			err = pthread_create(&readers[t].thread, &attr,
					     reader_run, &readers[t]);
		if (err)
			die("reader %u: thread on cpu %d: %s", t,
			    readers[t].cpu, strerror(err));
	}
	pthread_attr_destroy(&attr);
	for (t = 0; t < nreaders; t++) {
		err = pthread_join(readers[t].thread, NULL);
		if (err)
			die("pthread_join: %s", strerror(err));
	}
}

static int do_recv(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct epoll_event ev = { .events = EPOLLIN };
	int *rcpus = NULL, nreaders = 1, t;
	struct rx_state st = { 0 };
	struct reader *readers;
	ull rx = 0, bad = 0;
	struct opts o;
	unsigned int i;

	parse_opts(argc, argv, "46a:p:f:c:t:n:r:m:C:A:P:R:s:F:Th", false, &o);
	if (!o.migrate_ms != !o.cpulist)
		die("-m and -C must be given together");
	if (!o.peer != !o.src_port)
		die("-A and -P must be given together");
	if (o.readers && o.cpu >= 0)
		die("-R and -c are mutually exclusive");
	if (o.filter_len && o.tcp)
		die("-F is for UDP sockets, not -T");

	st.expected = o.count;
	st.nflows = o.nflows;
	st.tcp = o.tcp;
	st.psize = o.psize;
	st.timeout_ms = o.timeout_ms;
	st.migrate_ms = o.migrate_ms;
	st.nslots = sysconf(_SC_NPROCESSORS_CONF);
	if (st.nslots < 1)
		st.nslots = CPU_SETSIZE;
	st.nslots++;
	st.flows = xcalloc_aligned(st.nflows, sizeof(*st.flows));
	if (o.tcp && o.peer) {
		st.check_peer = true;
		st.peer_str = o.peer;
		st.peer_port = o.src_port;
		parse_addr(o.family, o.peer, 0, &st.peer);
	}

	if (o.cpulist) {
		st.ncpulist = parse_cpulist(o.cpulist, "-C", &st.cpulist);
		if (!o.readers && o.cpu < 0)
			o.cpu = st.cpulist[0];
	}
	if (o.readers)
		nreaders = parse_cpulist(o.readers, "-R", &rcpus);
	else if (o.cpu >= 0)
		pin_to_cpu(o.cpu);

	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (stop_fd < 0)
		die_errno("eventfd");
	readers = xcalloc_aligned(nreaders, sizeof(*readers));
	for (t = 0; t < nreaders; t++) {
		struct reader *r = &readers[t];

		r->st = &st;
		r->index = t;
		r->cpu = rcpus ? rcpus[t] : o.cpu;
		r->cur_cpu = r->cpu;
		r->mig_idx = st.ncpulist ? t % st.ncpulist : 0;
		r->cpu_total = xcalloc(st.nslots, sizeof(*r->cpu_total));
		r->buf = xcalloc(1, RX_BUF_SIZE);
		r->ep = epoll_create1(EPOLL_CLOEXEC);
		if (r->ep < 0)
			die_errno("epoll_create1");
		ev.data.u32 = STOP_EVENT;
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, stop_fd, &ev))
			die_errno("epoll_ctl");
	}
	for (i = 0; i < st.nflows; i++) {
		struct reader *r = &readers[i % nreaders];
		struct flow *f = &st.flows[i];

		f->max_seq = -1;
		f->cpu_cnt = xcalloc(st.nslots, sizeof(*f->cpu_cnt));
		if (o.tcp) {
			f->fd = -1;
			f->lfd = open_tcp_listener(&o, i);
		} else {
			f->fd = open_rx_socket(&o, i);
			f->lfd = -1;
			f->connected = !!o.peer;
		}
		ev.data.u32 = i;
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, o.tcp ? f->lfd : f->fd,
			      &ev))
			die_errno("epoll_ctl");
		r->nflows++;
	}
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		die_errno("sigaction");
	if (o.ready_file)
		create_file(o.ready_file);

	st.start = now_ms();
	if (o.readers)
		start_readers(readers, nreaders);
	else
		reader_run(&readers[0]);

	for (t = 0; t < nreaders; t++) {
		rx += readers[t].rx;
		bad += readers[t].bad;
	}
	if (bad)
		fprintf(stderr, "%s: warning: %llu malformed %s\n", prog, bad,
			o.tcp ? "records" : "datagrams");
	print_recv_report(&st, readers, nreaders, !!o.readers);

	for (i = 0; i < st.nflows; i++) {
		if (st.flows[i].fd >= 0)
			close(st.flows[i].fd);
		if (st.flows[i].lfd >= 0)
			close(st.flows[i].lfd);
		free(st.flows[i].seen);
		free(st.flows[i].cpu_cnt);
	}
	for (t = 0; t < nreaders; t++) {
		close(readers[t].ep);
		free(readers[t].cpu_total);
		free(readers[t].buf);
	}
	close(stop_fd);
	stop_fd = -1;
	free(readers);
	free(st.flows);
	free(st.cpulist);
	free(rcpus);
	return rx ? 0 : 2;
}

/* ------------------------------------------------------------------ send */

static void send_one(int fd, const void *buf, size_t len, unsigned int flow,
		     ull *retries)
{
	for (;;) {
		ssize_t r = send(fd, buf, len, 0);

		if (r == (ssize_t)len)
			return;
		if (r >= 0)
			die("flow %u: short send (%zd of %zu bytes)",
			    flow, r, len);
		if (errno == ENOBUFS || errno == EAGAIN ||
		    errno == EWOULDBLOCK) {
			(*retries)++;
			sleep_us(50);
		} else if (errno == ECONNREFUSED) {
			die("flow %u: send: %s (is the receiver running?)",
			    flow, strerror(errno));
		} else if (errno != EINTR) {
			die_errno("flow %u: send", flow);
		}
	}
}

/* -T: write all of @len bytes (blocking socket). */
static void send_all(int fd, const char *buf, size_t len, unsigned int flow)
{
	while (len) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				die("flow %u: send: %s (did the receiver stop early?)",
				    flow, strerror(errno));
			die_errno("flow %u: send", flow);
		}
		buf += r;
		len -= r;
	}
}

/* Flow @i's socket, bound as asked and connected to its destination. */
static int open_tx_socket(const struct opts *o, unsigned int i)
{
	struct sockaddr_storage ss;
	unsigned long port;
	socklen_t len;
	int fd, one = 1;

	fd = socket(o->family,
		    (o->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (o->tcp &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	     setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))))
		die_errno("setsockopt(SO_REUSEADDR/TCP_NODELAY)");
	if (o->src || o->src_port) {
		const char *src = o->src;

		if (!src)
			src = o->family == AF_INET ? "0.0.0.0" : "::";
		port = o->src_port ? o->src_port + i : 0;
		len = parse_addr(o->family, src, port, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len))
			die_errno("bind(%s port %lu)", src, port);
	}
	len = parse_addr(o->family, o->addr, o->port + i, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno == ECONNREFUSED)
			die("flow %u: connect(%s port %lu): %s (is the receiver running?)",
			    i, o->addr, o->port + i, strerror(errno));
		die_errno("connect(%s port %lu)", o->addr, o->port + i);
	}
	return fd;
}

static int do_send(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	ull sent = 0, retries = 0, k, limit;
	unsigned long b, pause_us;
	uint64_t end = 0;
	struct opts o;
	unsigned int i;
	char *buf;
	int *fds;

	parse_opts(argc, argv, "46a:p:f:n:c:s:S:P:i:b:w:D:Th", false, &o);
	if (!o.count_given && !o.duration_ms)
		die("-n PACKETS_PER_FLOW is required");
	if (!o.count && !o.duration_ms)
		die("-n 0 (unlimited) needs -D DURATION_MS");
	if (o.cpu >= 0)
		pin_to_cpu(o.cpu);

	fds = xcalloc(o.nflows, sizeof(*fds));
	buf = xcalloc(1, o.psize);
	for (i = 0; i < o.nflows; i++)
		fds[i] = open_tx_socket(&o, i);

	/* u32 sequence numbers: "unlimited" ends where they would wrap */
	limit = o.count ? o.count : SEQ_SPACE;
	if (o.duration_ms) {
		end = now_ms() + o.duration_ms;
		/* -D: a signal ends the run like the deadline */
		if (sigaction(SIGINT, &sa, NULL) ||
		    sigaction(SIGTERM, &sa, NULL))
			die_errno("sigaction");
	}

	/* round-robin: BURST packets of each flow per round */
	for (k = 0; k < limit; k += o.burst) {
		if (end && (now_ms() >= end || stop_requested))
			break;
		for (i = 0; i < o.nflows; i++) {
			uint32_t id = htonl(i);

			memcpy(buf, &id, sizeof(id));
			for (b = 0; b < o.burst && k + b < limit; b++) {
				uint32_t seq = htonl(k + b);

				memcpy(buf + 4, &seq, sizeof(seq));
				if (o.tcp)
					send_all(fds[i], buf, o.psize, i);
				else
					send_one(fds[i], buf, o.psize, i,
						 &retries);
				sent++;
			}
		}
		pause_us = o.interval_us;
		if (!k && o.warmup_ms * 1000 > pause_us)
			pause_us = o.warmup_ms * 1000;
		if (pause_us && k + o.burst < limit)
			sleep_us(pause_us);
	}

	printf("sent %llu retries %llu\n", sent, retries);
	if (fflush(stdout))
		die_errno("write(stdout)");

	for (i = 0; i < o.nflows; i++)
		close(fds[i]);
	free(fds);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------- tun */

struct tun_ctx {
	int family;
	struct in6_addr src6, dst6;	/* IPv6 */
	struct in_addr src4, dst4;	/* IPv4 */
	unsigned long sport, dport;	/* base ports */
	unsigned long fpq, count, interval_us;
	pthread_barrier_t start;
};

struct tun_queue {
	struct tun_ctx *ctx;
	pthread_t thread;
	unsigned int index;
	int fd, cpu;
	uint16_t ip_id;
	ull sent, retries;
};

/* 16-bit one's complement sum of big-endian words; @len must be even */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Build the IP/UDP packet for @seq of @flow into @pkt, return its length. */
static size_t tun_build(struct tun_queue *q, unsigned int flow, uint32_t seq,
			uint8_t *pkt)
{
	const struct tun_ctx *t = q->ctx;
	uint16_t ulen = sizeof(struct udphdr) + TUN_PAYLOAD;
	uint8_t payload[TUN_PAYLOAD] = { 0 };
	uint32_t id = htonl(flow), sum;
	struct udphdr uh = { 0 };
	size_t iplen;

	seq = htonl(seq);
	memcpy(payload, &id, sizeof(id));
	memcpy(payload + 4, &seq, sizeof(seq));
	uh.source = htons(t->sport + flow);
	uh.dest = htons(t->dport + flow);
	uh.len = htons(ulen);

	/* pseudo header: addresses, protocol, UDP length */
	sum = IPPROTO_UDP + ulen;
	if (t->family == AF_INET) {
		struct iphdr iph = {
			.version = 4,
			.ihl = sizeof(iph) / 4,
			.tot_len = htons(sizeof(iph) + ulen),
			.id = htons(q->ip_id++),
			.frag_off = htons(IP_DF),
			.ttl = 64,
			.protocol = IPPROTO_UDP,
			.saddr = t->src4.s_addr,
			.daddr = t->dst4.s_addr,
		};

		iph.check = htons(csum_fold(csum_add(0, &iph, sizeof(iph))));
		sum = csum_add(sum, &t->src4, sizeof(t->src4));
		sum = csum_add(sum, &t->dst4, sizeof(t->dst4));
		memcpy(pkt, &iph, sizeof(iph));
		iplen = sizeof(iph);
	} else {
		struct ip6_hdr ip6h = {
			.ip6_flow = htonl(6 << 28),	/* no flow label */
			.ip6_plen = htons(ulen),
			.ip6_nxt = IPPROTO_UDP,
			.ip6_hlim = 64,
			.ip6_src = t->src6,
			.ip6_dst = t->dst6,
		};

		sum = csum_add(sum, &t->src6, sizeof(t->src6));
		sum = csum_add(sum, &t->dst6, sizeof(t->dst6));
		memcpy(pkt, &ip6h, sizeof(ip6h));
		iplen = sizeof(ip6h);
	}
	sum = csum_add(sum, &uh, sizeof(uh));
	sum = csum_add(sum, payload, sizeof(payload));
	uh.check = htons(csum_fold(sum) ?: 0xffff);
	memcpy(pkt + iplen, &uh, sizeof(uh));
	memcpy(pkt + iplen + sizeof(uh), payload, sizeof(payload));
	return iplen + ulen;
}

static void tun_write(struct tun_queue *q, const void *pkt, size_t len)
{
	for (;;) {
		ssize_t r = write(q->fd, pkt, len);

		if (r == (ssize_t)len)
			return;
		if (r >= 0)
			die("queue %u: short write (%zd of %zu bytes)",
			    q->index, r, len);
		if (errno == ENOBUFS || errno == EAGAIN ||
		    errno == EWOULDBLOCK) {
			q->retries++;
			sleep_us(50);
		} else if (errno == EIO) {
			die("queue %u: write: %s (is the device up?)",
			    q->index, strerror(errno));
		} else if (errno != EINTR) {
			die_errno("queue %u: write", q->index);
		}
	}
}

static void *tun_writer(void *arg)
{
	struct tun_queue *q = arg;
	struct tun_ctx *t = q->ctx;
	unsigned int first = q->index * t->fpq, i;
	uint8_t pkt[TUN_PKT_MAX];
	unsigned long k;
	int err;

	err = pthread_barrier_wait(&t->start);
	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(err));

	for (k = 0; k < t->count; k++) {
		for (i = 0; i < t->fpq; i++) {
			size_t len = tun_build(q, first + i, k, pkt);

			tun_write(q, pkt, len);
			q->sent++;
		}
		if (t->interval_us && k + 1 < t->count)
			sleep_us(t->interval_us);
	}
	return NULL;
}

/* Attach one queue of multiqueue TUN device @name (created if needed). */
static int tun_open_queue(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno("open(/dev/net/tun)");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr))
		die_errno("ioctl(TUNSETIFF, %s)", name);
	return fd;
}

static void wait_for_file(const char *path)
{
	uint64_t deadline = now_ms() + WAIT_TIMEOUT_MS;

	while (access(path, F_OK)) {
		if (errno != ENOENT)
			die_errno("access(%s)", path);
		if (now_ms() >= deadline)
			die("timed out after %d s waiting for %s",
			    WAIT_TIMEOUT_MS / 1000, path);
		sleep_us(WAIT_POLL_US);
	}
}

static int do_tun(int argc, char **argv)
{
	struct sockaddr_storage ss;
	ull sent = 0, retries = 0;
	struct tun_queue *queues;
	struct tun_ctx t = { 0 };
	int *cpus, ncpus, err;
	pthread_attr_t attr;
	struct opts o;
	unsigned int q;

	parse_opts(argc, argv, "46d:q:c:s:a:p:P:f:n:i:r:W:h", true, &o);
	if (!o.dev || !o.nqueues || !o.cpulist || !o.src || !o.src_port ||
	    !o.count_given) {
		fprintf(stderr, "%s: -d, -q, -c, -s, -P and -n are required\n",
			prog);
		usage(stderr, 1);
	}
	if (!o.count)
		die("-n PACKETS_PER_FLOW must be at least 1");
	if (!*o.dev || strlen(o.dev) >= IFNAMSIZ || strchr(o.dev, '%'))
		die("invalid device name '%s'", o.dev);
	ncpus = parse_cpulist(o.cpulist, "-c", &cpus);
	if ((unsigned long)ncpus != o.nqueues)
		die("-c lists %d cpus for %lu queues", ncpus, o.nqueues);

	t.family = o.family;
	t.sport = o.src_port;
	t.dport = o.port;
	t.fpq = o.nflows;
	t.count = o.count;
	t.interval_us = o.interval_us;
	parse_addr(o.family, o.src, 0, &ss);
	if (o.family == AF_INET)
		t.src4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		t.src6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	parse_addr(o.family, o.addr, 0, &ss);
	if (o.family == AF_INET)
		t.dst4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		t.dst6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;

	queues = xcalloc(o.nqueues, sizeof(*queues));
	for (q = 0; q < o.nqueues; q++) {
		queues[q].ctx = &t;
		queues[q].index = q;
		queues[q].cpu = cpus[q];
		queues[q].fd = tun_open_queue(o.dev);
	}
	if (o.ready_file)
		create_file(o.ready_file);
	if (o.wait_file)
		wait_for_file(o.wait_file);

	err = pthread_barrier_init(&t.start, NULL, o.nqueues);
	if (err)
		die("pthread_barrier_init: %s", strerror(err));
	err = pthread_attr_init(&attr);
	if (err)
		die("pthread_attr_init: %s", strerror(err));
	for (q = 0; q < o.nqueues; q++) {
		cpu_set_t set;

		/* created pinned: never runs (and writes) on another cpu */
		CPU_ZERO(&set);
		CPU_SET(queues[q].cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!err)
			err = pthread_create(&queues[q].thread, &attr,
					     tun_writer, &queues[q]);
		if (err)
			die("queue %u: thread on cpu %d: %s", q, queues[q].cpu,
			    strerror(err));
	}
	for (q = 0; q < o.nqueues; q++) {
		err = pthread_join(queues[q].thread, NULL);
		if (err)
			die("pthread_join: %s", strerror(err));
		printf("queue %u sent %llu\n", q, queues[q].sent);
		sent += queues[q].sent;
		retries += queues[q].retries;
	}
	printf("sent %llu retries %llu\n", sent, retries);
	if (fflush(stdout))
		die_errno("write(stdout)");

	/* not persistent: the device goes away with its last queue */
	for (q = 0; q < o.nqueues; q++)
		close(queues[q].fd);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&t.start);
	free(queues);
	free(cpus);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage(stderr, 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		usage(stdout, 0);
	if (!strcmp(argv[1], "recv")) {
		prog = "rxs_flows recv";
		return do_recv(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "send")) {
		prog = "rxs_flows send";
		return do_send(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "tun")) {
		prog = "rxs_flows tun";
		return do_tun(argc - 1, argv + 1);
	}
	fprintf(stderr, "rxs_flows: unknown subcommand '%s'\n", argv[1]);
	usage(stderr, 1);
}
