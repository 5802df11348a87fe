// SPDX-License-Identifier: GPL-2.0
/*
 * rxs_recvcost - the time of one read on a connected UDP socket, the
 * path the RFS record points (rxsteer's probes on inet_recvmsg(), the
 * kernel's sock_rps_record_flow()) sit on.
 *
 * Two connected UDP sockets on 127.0.0.1 in the current network
 * namespace; the process is pinned to one CPU. Two loops, each after a
 * warm-up of a tenth of its iterations:
 *
 *   pair   send() one byte on one socket, recv() it on the other: a read
 *          of a queued datagram (the probe records when RFS is on, since
 *          loopback packets carry the sending socket's hash)
 *   empty  recv(MSG_DONTWAIT) on the empty socket: EAGAIN, the read
 *          path with nothing to copy
 *
 * Prints one line: "pair_ns X empty_ns Y" (nanoseconds per iteration,
 * CLOCK_MONOTONIC). Usage: rxs_recvcost [-n ITERATIONS] [-c CPU]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int udp_bound(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		die("bind");
	return fd;
}

static double loop_pair(int tx, int rx, long n)
{
	char c = 0;
	double t0 = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		if (send(tx, &c, 1, 0) != 1)
			die("send");
		if (recv(rx, &c, 1, 0) != 1)
			die("recv");
	}
	return (now_ns() - t0) / n;
}

static double loop_empty(int rx, long n)
{
	double t0 = now_ns();
	char c;
	long i;

	for (i = 0; i < n; i++)
		if (recv(rx, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
			die("recv (empty)");
	return (now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a, b;
	long n = 200000;
	int opt, cpu = -1, rx, tx;
	double pair, empty;

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-n ITERATIONS] [-c CPU]\n", argv[0]);
			return 2;
		}
	}
	if (n < 10) {
		fprintf(stderr, "rxs_recvcost: -n must be at least 10\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	rx = udp_bound(&a);
	tx = udp_bound(&b);
	/* Both connected: established, as sock_rps_record_flow() wants. */
	if (connect(rx, (struct sockaddr *)&b, sizeof(b)) ||
	    connect(tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect");

	loop_pair(tx, rx, n / 10);
	pair = loop_pair(tx, rx, n);
	loop_empty(rx, n / 10);
	empty = loop_empty(rx, n);
	printf("pair_ns %.0f empty_ns %.0f\n", pair, empty);
	return 0;
}
