// SPDX-License-Identifier: GPL-2.0
/*
 * rxs_load - load tool of the rxsteer benchmark, in the spirit of neper.
 *
 * Two roles, run in two processes (usually in two network namespaces):
 *
 *   rxs_load server   F flows (UDP: one connected socket per flow; TCP:
 *                     one accepted connection per flow) read by R reader
 *                     threads pinned to chosen CPUs (flow i by reader
 *                     i mod R), optionally migrating every N ms
 *                     (sched_setaffinity). For each read, SO_INCOMING_CPU
 *                     (the CPU that queued the packet on the socket) is
 *                     compared with sched_getcpu() to count locality.
 *                     Per-flow sequence numbers count inversions.
 *                     In --rr mode every request is answered.
 *   rxs_load client   F flows over T threads pinned to chosen CPUs:
 *                     UDP datagrams or TCP records at saturation or at a
 *                     fixed rate, or request/response transactions with a
 *                     latency histogram.
 *
 * Measurement window: the server starts its clock at the first packet,
 * discards a warm-up (--warmup), then measures for --duration. At the
 * window's edges it snapshots the files given with --snap (for example
 * /proc/interrupts, /proc/net/softnet_stat, /proc/net/netstat) into
 * PREFIX.start and PREFIX.end, so counter deltas cover exactly the window
 * the packet counts cover. The client uses the same warm-up and duration
 * from its own start for its counters and the latency histogram.
 *
 * Both roles print one JSON object on stdout. See --help.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_INCOMING_CPU
#define SO_INCOMING_CPU 49
#endif

#define HDR_LEN		16		/* be32 flow, be32 seq, u64 ns */
#define MAX_SIZE	65000
#define MAX_SNAPS	16
#define MAX_CPUS	1024
#define MAX_BATCH	64
#define EV_MAX		64
#define STOP_TAG	UINT64_MAX
#define RX_BUF		(256 * 1024)
#define HIST_SUB	8		/* sub-buckets per power of two */
#define HIST_N		(HIST_SUB + 40 * HIST_SUB)
#define CACHELINE	64

typedef unsigned long long ull;

enum phase { WARM, WIN, POST, NPHASE };

struct cfg {
	int family;
	bool tcp, rr;
	const char *addr, *src, *peer;
	unsigned int port, sport, peer_port;
	unsigned int nflows;
	int *cpus, ncpus;		/* client -c, server -R */
	int *mig, nmig;			/* server -C */
	unsigned int mig_ms;		/* server -m */
	unsigned int size, burst, batch;
	unsigned long rate;		/* client: total packets/s, 0: max */
	unsigned int warm_ms, dur_ms, quiet_ms, timeout_ms, tail_ms;
	const char *ready, *done, *snap_out, *snaps[MAX_SNAPS];
	int nsnap;
};

static const char *prog = "rxs_load";
static struct cfg cfg;

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = t / 1000000000ull,
		.tv_nsec = t % 1000000000ull,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void *xcalloc(size_t n, size_t sz)
{
	size_t len = n * sz;
	void *p;

	if (!len)
		len = 1;
	if (posix_memalign(&p, CACHELINE, len))
		die("out of memory");
	memset(p, 0, len);
	return p;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die_errno("sched_setaffinity(cpu %d)", cpu);
}

static unsigned long num(const char *s, const char *what, unsigned long min,
			 unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		die("invalid %s '%s' (expected %lu..%lu)", what, s, min, max);
	return v;
}

/* "0,2-3" -> {0, 2, 3} */
static int cpulist(const char *s, const char *opt, int **out)
{
	int *v = xcalloc(MAX_CPUS, sizeof(*v)), n = 0;
	const char *p = s;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;

		if (end == p || a < 0 || a >= MAX_CPUS)
			die("%s: bad cpu list '%s'", opt, s);
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= MAX_CPUS)
				die("%s: bad cpu list '%s'", opt, s);
			p = end;
		}
		for (; a <= b; a++) {
			if (n == MAX_CPUS)
				die("%s: too many cpus", opt);
			v[n++] = a;
		}
		if (*p == ',')
			p++;
		else if (*p)
			die("%s: bad cpu list '%s'", opt, s);
	}
	if (!n)
		die("%s: empty cpu list", opt);
	*out = v;
	return n;
}

static socklen_t sockaddr(const char *addr, unsigned int port,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (cfg.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			die("bad IPv4 address '%s'", addr);
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			die("bad IPv6 address '%s'", addr);
		return sizeof(*s6);
	}
}

static void put_hdr(char *buf, uint32_t flow, uint32_t seq, uint64_t ts)
{
	uint32_t f = htonl(flow), s = htonl(seq);

	memcpy(buf, &f, 4);
	memcpy(buf + 4, &s, 4);
	memcpy(buf + 8, &ts, 8);
}

static void get_hdr(const char *buf, uint32_t *flow, uint32_t *seq,
		    uint64_t *ts)
{
	uint32_t f, s;

	memcpy(&f, buf, 4);
	memcpy(&s, buf + 4, 4);
	memcpy(ts, buf + 8, 8);
	*flow = ntohl(f);
	*seq = ntohl(s);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die_errno("fcntl(O_NONBLOCK)");
}

/* Write all of @len bytes to a (possibly non-blocking) socket. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, 100);
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET ||
			    errno == ECONNREFUSED)
				return;	/* the peer went away: end of run */
			die_errno("send");
		}
		buf += r;
		len -= r;
	}
}

/* ---------------------------------------------------------- histogram */

static unsigned int hist_bucket(uint64_t us)
{
	unsigned int e;

	if (us < HIST_SUB)
		return us;
	e = 63 - __builtin_clzll(us);	/* >= 3 */
	us = HIST_SUB + (e - 3) * HIST_SUB + ((us >> (e - 3)) & (HIST_SUB - 1));
	return us < HIST_N ? us : HIST_N - 1;
}

static uint64_t hist_lower(unsigned int b)
{
	unsigned int e, sub;

	if (b < HIST_SUB)
		return b;
	e = (b - HIST_SUB) / HIST_SUB + 3;
	sub = (b - HIST_SUB) % HIST_SUB;
	return (uint64_t)(HIST_SUB | sub) << (e - 3);
}

static uint64_t hist_upper(unsigned int b)
{
	return b + 1 < HIST_N ? hist_lower(b + 1) : hist_lower(b) * 2;
}

/* ------------------------------------------------------------- server */

struct sflow {
	int fd;
	uint32_t id;		/* UDP: index; TCP: from the first record */
	bool id_known, closed;
	int64_t max_seq;	/* -1: nothing yet */
	ull rx, inv, bad;
	size_t off;		/* TCP: bytes of the current record */
	char *rec;		/* TCP: the current record */
} __attribute__((aligned(CACHELINE)));

struct reader {
	pthread_t th;
	int idx, cpu, mig_pos;
	int ep;
	ull rx[NPHASE], local[NPHASE], reads[NPHASE], bytes[NPHASE];
	ull inv, bad, moves, replies;
	ull *incpu;		/* window: packets per SO_INCOMING_CPU */
	ull unknown_cpu;	/* window: SO_INCOMING_CPU -1 */
	char *buf;
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
} __attribute__((aligned(CACHELINE)));

static struct {
	struct sflow *flows;
	struct reader *rd;
	int nrd, ncpu_slots;
	atomic_int phase;
	atomic_int stop;
	atomic_ullong first_rx, last_rx;
	atomic_uint closed;
	int stop_fd;
} S;

static void snapshot(const char *tag)
{
	char path[4096], buf[65536];
	FILE *out;
	int i;

	if (!cfg.snap_out)
		return;
	snprintf(path, sizeof(path), "%s.%s", cfg.snap_out, tag);
	out = fopen(path, "w");
	if (!out)
		die_errno("fopen(%s)", path);
	fprintf(out, "time_ns %llu\n", (ull)now_ns());
	for (i = 0; i < cfg.nsnap; i++) {
		int fd = open(cfg.snaps[i], O_RDONLY | O_CLOEXEC);
		ssize_t r;

		fprintf(out, "==> %s <==\n", cfg.snaps[i]);
		if (fd < 0)
			continue;	/* e.g. rxsteer_stat without rxsteer */
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, r, out);
		close(fd);
	}
	if (fclose(out))
		die_errno("write(%s)", path);
}

static void note_rx(uint64_t t)
{
	ull zero = 0;

	if (!atomic_load_explicit(&S.first_rx, memory_order_relaxed))
		atomic_compare_exchange_strong(&S.first_rx, &zero, t);
	atomic_store_explicit(&S.last_rx, t, memory_order_relaxed);
}

static int incoming_cpu(int fd)
{
	int cpu = -1;
	socklen_t len = sizeof(cpu);

	if (getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len))
		return -1;
	return cpu;
}

static void account(struct reader *r, int fd, ull n, ull bytes)
{
	int ph = atomic_load_explicit(&S.phase, memory_order_relaxed);
	int in = incoming_cpu(fd), me = sched_getcpu();

	r->reads[ph]++;
	r->rx[ph] += n;
	r->bytes[ph] += bytes;
	if (in >= 0 && in == me)
		r->local[ph] += n;
	if (ph == WIN) {
		if (in >= 0 && in < S.ncpu_slots)
			r->incpu[in] += n;
		else
			r->unknown_cpu += n;
	}
}

static void check_seq(struct reader *r, struct sflow *f, uint32_t id,
		      uint32_t seq)
{
	if (!f->id_known) {
		f->id = id;
		f->id_known = true;
	}
	if (id != f->id) {
		f->bad++;
		r->bad++;
		return;
	}
	if ((int64_t)seq <= f->max_seq) {
		f->inv++;
		r->inv++;
	} else {
		f->max_seq = seq;
	}
	f->rx++;
}

static void serve_udp(struct reader *r, struct sflow *f)
{
	unsigned int rounds, i;
	uint64_t ts;

	for (rounds = 0; rounds < 8; rounds++) {
		int m = recvmmsg(f->fd, r->msgs, cfg.batch, MSG_DONTWAIT, NULL);
		ull bytes = 0;

		if (m <= 0) {
			if (m < 0 && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED)
				die_errno("recvmmsg");
			return;
		}
		note_rx(now_ns());
		for (i = 0; i < (unsigned int)m; i++) {
			const char *p = r->iov[i].iov_base;
			uint32_t id, seq;

			bytes += r->msgs[i].msg_len;
			if (r->msgs[i].msg_len < HDR_LEN) {
				f->bad++;
				r->bad++;
				continue;
			}
			get_hdr(p, &id, &seq, &ts);
			check_seq(r, f, id, seq);
			if (cfg.rr) {
				if (send(f->fd, p, r->msgs[i].msg_len,
					 MSG_DONTWAIT) >= 0)
					r->replies++;
			}
		}
		account(r, f->fd, m, bytes);
		if ((unsigned int)m < cfg.batch)
			return;
	}
}

static void serve_tcp(struct reader *r, struct sflow *f)
{
	unsigned int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		ssize_t n = recv(f->fd, r->buf, RX_BUF, MSG_DONTWAIT);
		ull recs = 0;
		ssize_t i = 0;
		uint64_t ts;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno != ECONNRESET)
				die_errno("recv");
			n = 0;
		}
		if (n == 0) {
			epoll_ctl(r->ep, EPOLL_CTL_DEL, f->fd, NULL);
			f->closed = true;
			atomic_fetch_add(&S.closed, 1);
			return;
		}
		note_rx(now_ns());
		while (i < n) {
			size_t take = cfg.size - f->off;
			uint32_t id, seq;

			if (take > (size_t)(n - i))
				take = n - i;
			memcpy(f->rec + f->off, r->buf + i, take);
			f->off += take;
			i += take;
			if (f->off < cfg.size)
				break;
			f->off = 0;
			recs++;
			get_hdr(f->rec, &id, &seq, &ts);
			check_seq(r, f, id, seq);
			if (cfg.rr) {
				send_all(f->fd, f->rec, cfg.size);
				r->replies++;
			}
		}
		account(r, f->fd, recs, n);
		if (n < RX_BUF)
			return;
	}
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct epoll_event ev[EV_MAX];
	uint64_t next_mig = 0;
	int i, n;

	for (i = 0; i < MAX_BATCH; i++) {
		r->iov[i].iov_base = r->buf + (size_t)i * (MAX_SIZE + 64);
		r->iov[i].iov_len = MAX_SIZE + 64;
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (cfg.mig_ms)
		next_mig = now_ns() + cfg.mig_ms * 1000000ull;
	while (!atomic_load(&S.stop)) {
		int tmo = 100;
		uint64_t t;

		if (next_mig) {
			t = now_ns();
			if (t >= next_mig) {
				int cpu;

				r->mig_pos = (r->mig_pos + 1) % cfg.nmig;
				cpu = cfg.mig[r->mig_pos];
				if (cpu != sched_getcpu())
					r->moves++;
				pin_self(cpu);
				next_mig += cfg.mig_ms * 1000000ull;
				if (next_mig < t)
					next_mig = t + cfg.mig_ms * 1000000ull;
			}
			tmo = (next_mig - now_ns()) / 1000000 + 1;
			if (tmo > 100)
				tmo = 100;
		}
		n = epoll_wait(r->ep, ev, EV_MAX, tmo);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			struct sflow *f;

			if (ev[i].data.u64 == STOP_TAG)
				return NULL;
			f = &S.flows[ev[i].data.u64];
			if (cfg.tcp)
				serve_tcp(r, f);
			else
				serve_udp(r, f);
		}
	}
	return NULL;
}

static int udp_server_socket(unsigned int i)
{
	struct sockaddr_storage ss;
	int fd, one = 1, rcvbuf = 4 << 20;
	socklen_t len;

	fd = socket(cfg.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die_errno("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	len = sockaddr(cfg.addr, cfg.port + i, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die_errno("bind(%s port %u)", cfg.addr, cfg.port + i);
	/* Connected: only then does UDP record SO_INCOMING_CPU and the
	 * flow hash (sk_rxhash) that RFS needs.
	 */
	len = sockaddr(cfg.peer, cfg.peer_port + i, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len))
		die_errno("connect(%s port %u)", cfg.peer, cfg.peer_port + i);
	return fd;
}

static void print_server(uint64_t t0, uint64_t t1, uint64_t tstart)
{
	ull rx[NPHASE] = { 0 }, local[NPHASE] = { 0 }, reads[NPHASE] = { 0 };
	ull bytes[NPHASE] = { 0 }, inv = 0, bad = 0, moves = 0, gaps = 0;
	ull replies = 0, unknown = 0, fmin = ~0ull, fmax = 0, fseen = 0;
	double win = (t1 - t0) / 1e9;
	unsigned int i;
	int p, c;
	bool first;

	for (i = 0; i < (unsigned int)S.nrd; i++) {
		struct reader *r = &S.rd[i];

		for (p = 0; p < NPHASE; p++) {
			rx[p] += r->rx[p];
			local[p] += r->local[p];
			reads[p] += r->reads[p];
			bytes[p] += r->bytes[p];
		}
		inv += r->inv;
		bad += r->bad;
		moves += r->moves;
		replies += r->replies;
		unknown += r->unknown_cpu;
	}
	for (i = 0; i < cfg.nflows; i++) {
		struct sflow *f = &S.flows[i];

		if (f->rx)
			fseen++;
		if (f->rx < fmin)
			fmin = f->rx;
		if (f->rx > fmax)
			fmax = f->rx;
		if (!cfg.tcp && f->max_seq >= 0 &&
		    (ull)(f->max_seq + 1) > f->rx)
			gaps += f->max_seq + 1 - f->rx;
	}
	printf("{\"role\":\"server\",\"proto\":\"%s\",\"mode\":\"%s\","
	       "\"flows\":%u,\"readers\":%d,\"size\":%u,",
	       cfg.tcp ? "tcp" : "udp", cfg.rr ? "rr" : "stream", cfg.nflows,
	       S.nrd, cfg.size);
	printf("\"warmup_ms\":%u,\"window_s\":%.6f,\"start_delay_ms\":%.1f,",
	       cfg.warm_ms, win, tstart ? (t0 - tstart) / 1e6 : 0.0);
	printf("\"rx\":%llu,\"rx_warmup\":%llu,\"rx_window\":%llu,"
	       "\"rx_after\":%llu,",
	       rx[WARM] + rx[WIN] + rx[POST], rx[WARM], rx[WIN], rx[POST]);
	printf("\"rate_window\":%.1f,\"bytes_window\":%llu,"
	       "\"reads_window\":%llu,",
	       win > 0 ? rx[WIN] / win : 0.0, bytes[WIN], reads[WIN]);
	printf("\"local_window\":%llu,\"locality_window\":%.6f,"
	       "\"local_total\":%llu,\"locality_total\":%.6f,",
	       local[WIN], rx[WIN] ? (double)local[WIN] / rx[WIN] : 0.0,
	       local[WARM] + local[WIN] + local[POST],
	       rx[WARM] + rx[WIN] + rx[POST] ?
	       (double)(local[WARM] + local[WIN] + local[POST]) /
	       (rx[WARM] + rx[WIN] + rx[POST]) : 0.0);
	printf("\"inversions\":%llu,\"gaps\":%llu,\"bad\":%llu,"
	       "\"replies\":%llu,\"moves\":%llu,",
	       inv, gaps, bad, replies, moves);
	printf("\"flows_seen\":%llu,\"flow_rx_min\":%llu,\"flow_rx_max\":%llu,",
	       fseen, fmin == ~0ull ? 0 : fmin, fmax);
	printf("\"incoming_cpu_window\":{");
	first = true;
	for (c = 0; c < S.ncpu_slots; c++) {
		ull n = 0;

		for (i = 0; i < (unsigned int)S.nrd; i++)
			n += S.rd[i].incpu[c];
		if (!n)
			continue;
		printf("%s\"%d\":%llu", first ? "" : ",", c, n);
		first = false;
	}
	printf("%s\"unknown\":%llu}}\n", first ? "" : ",", unknown);
	fflush(stdout);
}

static int do_server(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t deadline, t0 = 0, t1 = 0, tstart = 0;
	int lfd = -1, i;
	unsigned int f, accepted = 0;

	S.nrd = cfg.ncpus;
	S.ncpu_slots = sysconf(_SC_NPROCESSORS_CONF);
	if (S.ncpu_slots < 1 || S.ncpu_slots > MAX_CPUS)
		S.ncpu_slots = MAX_CPUS;
	S.flows = xcalloc(cfg.nflows, sizeof(*S.flows));
	S.rd = xcalloc(S.nrd, sizeof(*S.rd));
	S.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (S.stop_fd < 0)
		die_errno("eventfd");

	for (i = 0; i < S.nrd; i++) {
		struct reader *r = &S.rd[i];

		r->idx = i;
		r->cpu = cfg.cpus[i];
		r->mig_pos = cfg.nmig ? i % cfg.nmig : 0;
		r->incpu = xcalloc(S.ncpu_slots, sizeof(*r->incpu));
		r->buf = xcalloc(1, cfg.tcp ? RX_BUF :
				 (size_t)MAX_BATCH * (MAX_SIZE + 64));
		r->ep = epoll_create1(EPOLL_CLOEXEC);
		if (r->ep < 0)
			die_errno("epoll_create1");
		ev.data.u64 = STOP_TAG;
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, S.stop_fd, &ev))
			die_errno("epoll_ctl");
	}
	for (f = 0; f < cfg.nflows; f++) {
		S.flows[f].fd = -1;
		S.flows[f].max_seq = -1;
		S.flows[f].id = f;
		if (cfg.tcp)
			S.flows[f].rec = xcalloc(1, cfg.size);
	}

	if (cfg.tcp) {
		struct sockaddr_storage ss;
		socklen_t len = sockaddr(cfg.addr, cfg.port, &ss);
		int one = 1;

		lfd = socket(cfg.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			die_errno("socket");
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&ss, len))
			die_errno("bind(%s port %u)", cfg.addr, cfg.port);
		if (listen(lfd, cfg.nflows + 16))
			die_errno("listen");
	} else {
		for (f = 0; f < cfg.nflows; f++) {
			S.flows[f].fd = udp_server_socket(f);
			S.flows[f].id_known = true;
			ev.data.u64 = f;
			if (epoll_ctl(S.rd[f % S.nrd].ep, EPOLL_CTL_ADD,
				      S.flows[f].fd, &ev))
				die_errno("epoll_ctl");
		}
	}

	for (i = 0; i < S.nrd; i++) {
		pthread_attr_t attr;
		cpu_set_t set;
		int err;

		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET(S.rd[i].cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!err)
			err = pthread_create(&S.rd[i].th, &attr, reader_main,
					     &S.rd[i]);
		if (err)
			die("reader %d on cpu %d: %s", i, S.rd[i].cpu,
			    strerror(err));
		pthread_attr_destroy(&attr);
	}
	if (cfg.ready) {
		int fd = open(cfg.ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			die_errno("open(%s)", cfg.ready);
		close(fd);
	}
	tstart = now_ns();
	deadline = tstart + cfg.timeout_ms * 1000000ull;

	/* TCP: accept the F connections; connection j is flow j. */
	while (cfg.tcp && accepted < cfg.nflows) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int fd, one = 1;

		if (now_ns() >= deadline)
			die("timeout: %u of %u connections accepted", accepted,
			    cfg.nflows);
		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_errno("accept");
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		S.flows[accepted].fd = fd;
		ev.data.u64 = accepted;
		if (epoll_ctl(S.rd[accepted % S.nrd].ep, EPOLL_CTL_ADD, fd,
			      &ev))
			die_errno("epoll_ctl");
		accepted++;
	}

	/* The window: warm-up from the first packet, then the duration. */
	while (!atomic_load(&S.first_rx)) {
		if (now_ns() >= deadline)
			die("timeout: no traffic");
		usleep(1000);
	}
	sleep_until(atomic_load(&S.first_rx) + cfg.warm_ms * 1000000ull);
	snapshot("start");
	t0 = now_ns();
	atomic_store(&S.phase, WIN);
	sleep_until(t0 + cfg.dur_ms * 1000000ull);
	atomic_store(&S.phase, POST);
	t1 = now_ns();
	snapshot("end");

	/*
	 * Drain: once the sender is done (-W FILE exists), until every TCP
	 * peer closed or no packet came for quiet_ms.
	 */
	for (;;) {
		uint64_t t = now_ns();

		if (t >= deadline)
			break;
		if (cfg.done && access(cfg.done, F_OK)) {
			usleep(10000);
			continue;
		}
		if (cfg.tcp && atomic_load(&S.closed) >= cfg.nflows)
			break;
		if (t - atomic_load(&S.last_rx) > cfg.quiet_ms * 1000000ull)
			break;
		usleep(10000);
	}
	atomic_store(&S.stop, 1);
	{
		uint64_t one = 1;

		if (write(S.stop_fd, &one, sizeof(one)) != sizeof(one))
			die_errno("write(eventfd)");
	}
	for (i = 0; i < S.nrd; i++)
		pthread_join(S.rd[i].th, NULL);
	print_server(t0, t1, atomic_load(&S.first_rx));
	(void)tstart;
	for (f = 0; f < cfg.nflows; f++) {
		if (S.flows[f].fd >= 0)
			close(S.flows[f].fd);
		free(S.flows[f].rec);
	}
	if (lfd >= 0)
		close(lfd);
	return 0;
}

/* ------------------------------------------------------------- client */

struct cflow {
	int fd;
	uint32_t id, seq;
	char *buf;		/* TCP stream: burst records; RR: response */
	size_t off, len;	/* TCP: written / to write; RR: read */
	uint64_t t_send;	/* RR: time the request went out */
} __attribute__((aligned(CACHELINE)));

struct cthread {
	pthread_t th;
	int idx, cpu;
	struct cflow **flows;
	unsigned int nflows;
	ull sent[NPHASE], trans[NPHASE], retries, timeouts, bytes;
	ull hist[HIST_N];
	ull lat_sum_ns, lat_max_ns;
	pthread_barrier_t *start;
} __attribute__((aligned(CACHELINE)));

static uint64_t C_t0, C_stop;

static int client_phase(uint64_t t)
{
	uint64_t w = C_t0 + cfg.warm_ms * 1000000ull;

	if (t < w)
		return WARM;
	if (t < w + cfg.dur_ms * 1000000ull)
		return WIN;
	return POST;
}

static void udp_send_one(struct cthread *c, struct cflow *f, char *buf)
{
	put_hdr(buf, f->id, f->seq, 0);
	for (;;) {
		if (send(f->fd, buf, cfg.size, 0) == (ssize_t)cfg.size)
			break;
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR ||
		    errno == ECONNREFUSED) {
			c->retries++;
			sched_yield();
			continue;
		}
		die_errno("flow %u: send", f->id);
	}
	f->seq++;
}

static void run_udp_stream(struct cthread *c)
{
	char *buf = xcalloc(1, cfg.size);
	unsigned int i = 0, b, chk = 0;
	ull n = 0, ahead;
	int ph = WARM;
	double per_ns = cfg.rate ? (double)cfg.rate / cfg.ncpus / 1e9 : 0;

	/* Fixed rate: sleep in steps of at least 200 us worth of packets. */
	ahead = (ull)(per_ns * 200000);
	if (ahead < cfg.burst)
		ahead = cfg.burst;

	for (;;) {
		struct cflow *f = c->flows[i];

		for (b = 0; b < cfg.burst; b++)
			udp_send_one(c, f, buf);
		c->sent[ph] += cfg.burst;
		n += cfg.burst;
		if (++i == c->nflows)
			i = 0;
		if (per_ns) {
			/* Fixed rate: send what is due, then sleep a bit. */
			uint64_t t = now_ns();
			ull due = (ull)((t - C_t0) * per_ns);

			ph = client_phase(t);
			if (t >= C_stop)
				break;
			if (n >= due)
				sleep_until(C_t0 + (uint64_t)((n + ahead) /
							      per_ns));
		} else if (++chk == 64) {
			uint64_t t = now_ns();

			chk = 0;
			ph = client_phase(t);
			if (t >= C_stop)
				break;
		}
	}
	free(buf);
}

static void fill_records(struct cflow *f)
{
	unsigned int b;

	for (b = 0; b < cfg.burst; b++)
		put_hdr(f->buf + (size_t)b * cfg.size, f->id, f->seq++, 0);
	f->off = 0;
	f->len = (size_t)cfg.burst * cfg.size;
}

static void run_tcp_stream(struct cthread *c)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), ph = WARM;
	struct epoll_event ev[EV_MAX];
	unsigned int i;

	if (ep < 0)
		die_errno("epoll_create1");
	for (i = 0; i < c->nflows; i++) {
		struct epoll_event e = { .events = EPOLLOUT, .data.u32 = i };

		fill_records(c->flows[i]);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->flows[i]->fd, &e))
			die_errno("epoll_ctl");
	}
	for (;;) {
		bool progress = false;
		uint64_t t;

		for (i = 0; i < c->nflows; i++) {
			struct cflow *f = c->flows[i];
			ssize_t r = send(f->fd, f->buf + f->off, f->len - f->off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR ||
				    errno == ENOBUFS)
					continue;
				die_errno("flow %u: send", f->id);
			}
			progress = true;
			c->bytes += r;
			f->off += r;
			if (f->off == f->len) {
				c->sent[ph] += cfg.burst;
				fill_records(f);
			}
		}
		if (!progress)
			epoll_wait(ep, ev, EV_MAX, 10);
		t = now_ns();
		ph = client_phase(t);
		if (t >= C_stop)
			break;
	}
	close(ep);
}

static void rr_send(struct cflow *f, char *req)
{
	f->t_send = now_ns();
	put_hdr(req, f->id, f->seq++, f->t_send);
	f->off = 0;
	if (cfg.tcp)
		send_all(f->fd, req, cfg.size);
	else
		send(f->fd, req, cfg.size, 0);	/* a loss is retried later */
}

static void run_rr(struct cthread *c)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), ph = WARM;
	struct epoll_event ev[EV_MAX];
	char *req = xcalloc(1, cfg.size);
	unsigned int i;
	int n, k;

	if (ep < 0)
		die_errno("epoll_create1");
	for (i = 0; i < c->nflows; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->flows[i]->fd, &e))
			die_errno("epoll_ctl");
		rr_send(c->flows[i], req);
		c->sent[WARM]++;
	}
	for (;;) {
		uint64_t t;

		n = epoll_wait(ep, ev, EV_MAX, 20);
		if (n < 0 && errno != EINTR)
			die_errno("epoll_wait");
		for (k = 0; k < n; k++) {
			struct cflow *f = c->flows[ev[k].data.u32];
			ssize_t r = recv(f->fd, f->buf + f->off,
					 cfg.size - f->off, MSG_DONTWAIT);
			uint64_t lat;

			if (r <= 0) {
				if (r < 0 && (errno == EAGAIN ||
					      errno == EINTR ||
					      errno == ECONNREFUSED))
					continue;
				die("flow %u: response: %s", f->id,
				    r ? strerror(errno) : "connection closed");
			}
			f->off += r;
			if (cfg.tcp && f->off < cfg.size)
				continue;
			t = now_ns();
			lat = t - f->t_send;
			ph = client_phase(t);
			c->trans[ph]++;
			if (ph == WIN) {
				c->hist[hist_bucket(lat / 1000)]++;
				c->lat_sum_ns += lat;
				if (lat > c->lat_max_ns)
					c->lat_max_ns = lat;
			}
			rr_send(f, req);
			c->sent[ph]++;
		}
		t = now_ns();
		ph = client_phase(t);
		if (t >= C_stop)
			break;
		if (!cfg.tcp) {
			/* UDP: a lost request or response stalls its flow. */
			for (i = 0; i < c->nflows; i++) {
				struct cflow *f = c->flows[i];

				if (t - f->t_send > 200000000ull) {
					c->timeouts++;
					rr_send(f, req);
				}
			}
		}
	}
	close(ep);
	free(req);
}

static void *client_main(void *arg)
{
	struct cthread *c = arg;
	int err = pthread_barrier_wait(c->start);

	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(err));
	if (cfg.rr)
		run_rr(c);
	else if (cfg.tcp)
		run_tcp_stream(c);
	else
		run_udp_stream(c);
	return NULL;
}

static int client_socket(unsigned int i)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	fd = socket(cfg.family,
		    (cfg.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (cfg.tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (cfg.src || cfg.sport) {
		const char *src = cfg.src;

		if (!src)
			src = cfg.family == AF_INET ? "0.0.0.0" : "::";
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		len = sockaddr(src, cfg.sport ? cfg.sport + i : 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len))
			die_errno("bind(%s port %u)", src,
				  cfg.sport ? cfg.sport + i : 0);
	}
	len = sockaddr(cfg.addr, cfg.tcp ? cfg.port : cfg.port + i, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len))
		die_errno("flow %u: connect(%s port %u)", i, cfg.addr,
			  cfg.tcp ? cfg.port : cfg.port + i);
	return fd;
}

static void print_client(struct cthread *ct, int nt, uint64_t t_end)
{
	ull sent[NPHASE] = { 0 }, trans[NPHASE] = { 0 }, hist[HIST_N] = { 0 };
	ull retries = 0, timeouts = 0, bytes = 0, lat_sum = 0, lat_max = 0;
	ull nlat = 0, cum = 0;
	double win = cfg.dur_ms / 1e3;
	static const double pct[] = { 0.5, 0.9, 0.99, 0.999 };
	static const char *const pname[] = { "p50", "p90", "p99", "p999" };
	unsigned int b, p = 0;
	bool first = true;
	int i, ph;

	for (i = 0; i < nt; i++) {
		for (ph = 0; ph < NPHASE; ph++) {
			sent[ph] += ct[i].sent[ph];
			trans[ph] += ct[i].trans[ph];
		}
		retries += ct[i].retries;
		timeouts += ct[i].timeouts;
		bytes += ct[i].bytes;
		lat_sum += ct[i].lat_sum_ns;
		if (ct[i].lat_max_ns > lat_max)
			lat_max = ct[i].lat_max_ns;
		for (b = 0; b < HIST_N; b++)
			hist[b] += ct[i].hist[b];
	}
	for (b = 0; b < HIST_N; b++)
		nlat += hist[b];
	printf("{\"role\":\"client\",\"proto\":\"%s\",\"mode\":\"%s\","
	       "\"flows\":%u,\"threads\":%d,\"size\":%u,\"rate\":%lu,",
	       cfg.tcp ? "tcp" : "udp", cfg.rr ? "rr" : "stream", cfg.nflows,
	       nt, cfg.size, cfg.rate);
	printf("\"sent\":%llu,\"sent_window\":%llu,\"send_rate_window\":%.1f,"
	       "\"retries\":%llu,\"timeouts\":%llu,\"bytes\":%llu,"
	       "\"elapsed_s\":%.3f,",
	       sent[WARM] + sent[WIN] + sent[POST], sent[WIN],
	       sent[WIN] / win, retries, timeouts, bytes,
	       (t_end - C_t0) / 1e9);
	printf("\"trans\":%llu,\"trans_window\":%llu,\"tps_window\":%.1f",
	       trans[WARM] + trans[WIN] + trans[POST], trans[WIN],
	       trans[WIN] / win);
	if (cfg.rr) {
		printf(",\"latency_us\":{\"n\":%llu,\"mean\":%.1f,"
		       "\"max\":%.1f", nlat,
		       nlat ? lat_sum / 1e3 / nlat : 0.0, lat_max / 1e3);
		for (b = 0; b < HIST_N && p < 4; b++) {
			cum += hist[b];
			while (p < 4 && nlat && cum >= pct[p] * nlat) {
				printf(",\"%s\":%.1f", pname[p],
				       (hist_lower(b) + hist_upper(b)) / 2.0);
				p++;
			}
		}
		printf("},\"histogram_us\":[");
		for (b = 0; b < HIST_N; b++) {
			if (!hist[b])
				continue;
			printf("%s[%llu,%llu,%llu]", first ? "" : ",",
			       (ull)hist_lower(b), (ull)hist_upper(b), hist[b]);
			first = false;
		}
		printf("]");
	}
	printf("}\n");
	fflush(stdout);
}

static int do_client(void)
{
	struct cflow *flows = xcalloc(cfg.nflows, sizeof(*flows));
	int nt = cfg.ncpus, i, err;
	struct cthread *ct = xcalloc(nt, sizeof(*ct));
	pthread_barrier_t start;
	uint64_t t_end;
	unsigned int f;

	if (cfg.rate && (cfg.tcp || cfg.rr))
		die("--rate is for UDP streams only");
	for (f = 0; f < cfg.nflows; f++) {
		flows[f].id = f;
		flows[f].fd = client_socket(f);
		if (cfg.tcp || cfg.rr)
			flows[f].buf = xcalloc(1, (size_t)cfg.burst * cfg.size +
					       cfg.size);
		if (cfg.tcp)
			set_nonblock(flows[f].fd);
	}
	for (i = 0; i < nt; i++) {
		ct[i].idx = i;
		ct[i].cpu = cfg.cpus[i];
		ct[i].flows = xcalloc(cfg.nflows / nt + 1, sizeof(void *));
	}
	for (f = 0; f < cfg.nflows; f++) {
		struct cthread *c = &ct[f % nt];

		c->flows[c->nflows++] = &flows[f];
	}
	err = pthread_barrier_init(&start, NULL, nt + 1);
	if (err)
		die("pthread_barrier_init: %s", strerror(err));
	for (i = 0; i < nt; i++) {
		pthread_attr_t attr;
		cpu_set_t set;

		if (!ct[i].nflows)
			die("more threads than flows");
		ct[i].start = &start;
		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET(ct[i].cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (!err)
			err = pthread_create(&ct[i].th, &attr, client_main,
					     &ct[i]);
		if (err)
			die("thread %d on cpu %d: %s", i, ct[i].cpu,
			    strerror(err));
		pthread_attr_destroy(&attr);
	}
	snapshot("start");
	C_t0 = now_ns();
	C_stop = C_t0 + (uint64_t)(cfg.warm_ms + cfg.dur_ms + cfg.tail_ms) *
			1000000ull;
	err = pthread_barrier_wait(&start);
	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(err));
	for (i = 0; i < nt; i++)
		pthread_join(ct[i].th, NULL);
	t_end = now_ns();
	snapshot("end");
	print_client(ct, nt, t_end);
	for (f = 0; f < cfg.nflows; f++) {
		close(flows[f].fd);
		free(flows[f].buf);
	}
	return 0;
}

/* ---------------------------------------------------------------- main */

static void __attribute__((noreturn)) usage(int code)
{
	FILE *o = code ? stderr : stdout;

	fprintf(o,
"usage: rxs_load server [-4|-6] -a LOCAL -p PORT -f FLOWS -R CPULIST\n"
"                       [-A PEER -P PEER_PORT] [-T] [--rr] [-s SIZE]\n"
"                       [-m MS -C CPULIST] [-w MS] [-d MS] [-q MS] [-t MS]\n"
"                       [-B BATCH] [-r READY_FILE] [-W DONE_FILE]\n"
"                       [-S FILE]... [-o PREFIX]\n"
"       rxs_load client [-4|-6] -a DEST -p PORT -f FLOWS -c CPULIST\n"
"                       [-S SRC] [-P SPORT] [-T] [--rr] [-s SIZE]\n"
"                       [-b BURST] [-r RATE] [-w MS] [-d MS] [-x MS]\n"
"                       [--snap FILE]... [-o PREFIX]\n"
"\n"
"common:\n"
"  -4, -6       address family (default: from -a)\n"
"  -a ADDR      server: local address; client: destination\n"
"  -p PORT      UDP: flow i uses port PORT+i; TCP: the listening port\n"
"  -f FLOWS     number of flows (UDP: connected socket pairs; TCP:\n"
"               connections)\n"
"  -T           TCP (default UDP)\n"
"  --rr         request/response: the client keeps one request of SIZE\n"
"               bytes outstanding per flow, the server echoes it; the\n"
"               client reports transactions/s and a latency histogram\n"
"  -s SIZE      UDP payload, TCP record or request size, >= %d (default 64)\n"
"  -w MS        warm-up, discarded (default 1000); server: from the first\n"
"               packet; client: from its start\n"
"  -d MS        measured window after the warm-up (default 3000)\n"
"server:\n"
"  -R CPULIST   one reader thread per listed CPU, pinned to it; flow i is\n"
"               read by reader i mod N\n"
"  -A, -P       UDP: connect flow i's socket to PEER port PEER_PORT+i\n"
"               (required for UDP: SO_INCOMING_CPU and the flow hash are\n"
"               kept only for connected sockets)\n"
"  -m MS -C LIST  every MS, each reader moves (sched_setaffinity) to the\n"
"               next CPU of LIST; reader t starts at entry t mod |LIST|\n"
"  -B BATCH     UDP: datagrams per recvmmsg() (default 16, max %d)\n"
"  -q MS        after the window, stop when no packet came for MS\n"
"               (default 500) or, TCP, when every peer closed\n"
"  -W FILE      ... but only once FILE exists (the sender is done)\n"
"  -t MS        give up after MS in all (default 120000)\n"
"  -r FILE      create FILE once the sockets are bound (TCP: listening)\n"
"  -S FILE, --snap FILE  snapshot FILE at both edges of the window\n"
"               (repeatable, up to %d; a missing file is recorded empty)\n"
"  -o PREFIX    write the snapshots to PREFIX.start and PREFIX.end\n"
"client:\n"
"  -c CPULIST   one sender thread per listed CPU, pinned to it; flow i is\n"
"               sent by thread i mod N\n"
"  -S SRC -P SPORT  bind flow i to SRC port SPORT+i (UDP: pair with the\n"
"               server's -A/-P)\n"
"  -b BURST     UDP: datagrams per flow per round (default 1); TCP: records\n"
"               per write (default 1)\n"
"  -r RATE      UDP: total datagrams per second over all threads (default\n"
"               0: as fast as possible)\n"
"  -x MS        go on for MS after the window (default 300), so that the\n"
"               server's window, which starts at its first packet, is\n"
"               covered to its end\n"
"  --snap FILE -o PREFIX  as the server's -S and -o, at the start and the\n"
"               end of the whole run\n"
"\n"
"payload: be32 flow id, be32 sequence number, u64 send time (ns,\n"
"CLOCK_MONOTONIC; RR only), zero padding. Inversions: a sequence number\n"
"not above the highest seen on its flow. Locality: packets (TCP: records)\n"
"of reads whose SO_INCOMING_CPU was the reader's CPU (sched_getcpu()); a\n"
"recvmmsg()/recv() batch counts as a whole.\n"
"output: one JSON object on stdout.\n",
		HDR_LEN, MAX_BATCH, MAX_SNAPS);
	exit(code);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rr", no_argument, NULL, 'Y' },
		{ "snap", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool server;
	const char *cpus = NULL, *mig = NULL, *sopt_s = NULL;
	int c;

	if (argc < 2)
		usage(1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage(0);
	if (!strcmp(argv[1], "server"))
		server = true;
	else if (!strcmp(argv[1], "client"))
		server = false;
	else
		usage(1);
	prog = server ? "rxs_load server" : "rxs_load client";
	argc--;
	argv++;

	cfg.size = 64;
	cfg.burst = 1;
	cfg.batch = 16;
	cfg.warm_ms = 1000;
	cfg.dur_ms = 3000;
	cfg.quiet_ms = 500;
	cfg.tail_ms = 300;
	cfg.timeout_ms = 120000;
	while ((c = getopt_long(argc, argv, "46a:p:f:R:A:P:Ts:m:C:B:q:t:r:W:S:o:c:b:w:d:x:h",
				lopts, NULL)) != -1) {
		switch (c) {
		case '4': cfg.family = AF_INET; break;
		case '6': cfg.family = AF_INET6; break;
		case 'a': cfg.addr = optarg; break;
		case 'p': cfg.port = num(optarg, "port", 1, 65535); break;
		case 'f': cfg.nflows = num(optarg, "flows", 1, 60000); break;
		case 'R': case 'c': cpus = optarg; break;
		case 'A': cfg.peer = optarg; break;
		case 'P': cfg.sport = num(optarg, "port", 1, 65535); break;
		case 'T': cfg.tcp = true; break;
		case 'Y': cfg.rr = true; break;
		case 's': cfg.size = num(optarg, "size", HDR_LEN, MAX_SIZE); break;
		case 'm': cfg.mig_ms = num(optarg, "interval", 1, 3600000); break;
		case 'C': mig = optarg; break;
		case 'B': cfg.batch = num(optarg, "batch", 1, MAX_BATCH); break;
		case 'q': cfg.quiet_ms = num(optarg, "quiet time", 1, 3600000); break;
		case 't': cfg.timeout_ms = num(optarg, "timeout", 1, 86400000); break;
		case 'w': cfg.warm_ms = num(optarg, "warm-up", 0, 3600000); break;
		case 'd': cfg.dur_ms = num(optarg, "duration", 1, 3600000); break;
		case 'b': cfg.burst = num(optarg, "burst", 1, 1024); break;
		case 'o': cfg.snap_out = optarg; break;
		case 'W': cfg.done = optarg; break;
		case 'x': cfg.tail_ms = num(optarg, "tail", 0, 3600000); break;
		case 'r':
			if (server)
				cfg.ready = optarg;
			else
				cfg.rate = num(optarg, "rate", 0, 100000000);
			break;
		case 'S':
			if (!server) {
				sopt_s = optarg;
				break;
			}
			/* fall through */
		case 'Z':
			if (cfg.nsnap == MAX_SNAPS)
				die("too many snapshot files");
			cfg.snaps[cfg.nsnap++] = optarg;
			break;
		case 'h': usage(0);
		default: usage(1);
		}
	}
	if (optind != argc || !cfg.addr || !cfg.port || !cfg.nflows || !cpus)
		usage(1);
	if (!cfg.family)
		cfg.family = strchr(cfg.addr, ':') ? AF_INET6 : AF_INET;
	cfg.ncpus = cpulist(cpus, server ? "-R" : "-c", &cfg.cpus);
	if (mig)
		cfg.nmig = cpulist(mig, "-C", &cfg.mig);
	if (!cfg.mig_ms != !cfg.nmig)
		die("-m and -C go together");
	signal(SIGPIPE, SIG_IGN);
	if (server) {
		cfg.peer_port = cfg.sport;
		if (!cfg.tcp && (!cfg.peer || !cfg.peer_port))
			die("UDP needs -A PEER -P PEER_PORT");
		if (!cfg.tcp && cfg.port + cfg.nflows - 1 > 65535)
			die("port range exceeds 65535");
		return do_server();
	}
	cfg.src = sopt_s;
	if (!cfg.tcp && cfg.port + cfg.nflows - 1 > 65535)
		die("port range exceeds 65535");
	if (cfg.sport && cfg.sport + cfg.nflows - 1 > 65535)
		die("source port range exceeds 65535");
	return do_client();
}
