// SPDX-License-Identifier: GPL-2.0
/*
 * rxsteerctl - configure the rxsteer module and show its counters.
 *
 * A front end to the files of Documentation/sysfs-abi.rst: every setting is
 * one write(2) to one sysfs file, every value shown is read from sysfs or
 * /proc/net/rxsteer_stat. Values are checked here first (CPU lists with the
 * module's own parser, include/rxsteer/logic.h), so that a mistake gets a
 * precise message; the kernel still has the last word, and its errors are
 * reported as such. Devices are those of the network namespace rxsteerctl
 * runs in (run it under `ip netns exec NS` for another one).
 *
 * Exit status: 0 success, 1 error, 2 usage. See `rxsteerctl --help`.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rxsteer/logic.h"

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef RXSTEERCTL_VERSION
#define RXSTEERCTL_VERSION "0.1.0"
#endif

#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_USAGE	2

#define SYS_NET		"/sys/class/net"
#define SYS_RXS		"/sys/kernel/rxsteer"
#define SYS_MODVER	"/sys/module/rxsteer/version"
#define SYS_LINGER	"/sys/module/rxsteer/parameters/poll_linger_us"
#define SYS_CPU		"/sys/devices/system/cpu"
#define PROC_STAT	"/proc/net/rxsteer_stat"

/* Ranges of the knobs, as in include/rxsteer/rxsteer.h. */
#define BACKLOG_LIMIT_MAX	(1024U * 1024U)
#define FLOW_CNT_MAX		(1024U * 1024U)
#define SOCK_FLOW_MAX		(16U * 1024U * 1024U)
#define POLL_LINGER_MAX_US	1000U
/* Largest CPU number rxs_parse_cpulist() reads before it says ERANGE. */
#define CPULIST_NUM_MAX		1000000U
#define IFNAME_MAX		15	/* IFNAMSIZ - 1 */
#define SMALL			4096	/* a sysfs read returns at most a page */

static const char *prog = "rxsteerctl";

static struct {
	bool json;
	bool no_check;
	double interval;
	long count;
	bool interval_set;
	bool count_set;
} opt = { .interval = 1.0, .count = -1 };

static const char help_text[] =
"NAME\n"
"    rxsteerctl - configure rxsteer receive steering and show its counters\n"
"\n"
"SYNOPSIS\n"
"    rxsteerctl attach DEV\n"
"    rxsteerctl detach DEV\n"
"    rxsteerctl set [--no-check] DEV [rx N|all] cpus CPULIST\n"
"    rxsteerctl set [--no-check] DEV [rx N|all] flow_cnt N\n"
"    rxsteerctl set [--no-check] DEV backlog_limit N\n"
"    rxsteerctl set [--no-check] DEV flow_limit 0|1\n"
"    rxsteerctl set [--no-check] sock_flow_entries N\n"
"    rxsteerctl set [--no-check] poll_linger_us N\n"
"    rxsteerctl show [--json] [DEV]\n"
"    rxsteerctl stats [--json] [DEV]\n"
"    rxsteerctl watch [--json] [-i SEC] [-n COUNT]\n"
"    rxsteerctl help | --help | --version\n"
"\n"
"DESCRIPTION\n"
"    rxsteerctl configures the rxsteer kernel module, which steers received\n"
"    packets to other CPUs (RPS) or to the CPU where the application reads\n"
"    them (RFS), and shows its configuration and counters. It is a front end\n"
"    to the module's sysfs and procfs files: each setting is one write to\n"
"    one file, done only after the value passed the same checks as in the\n"
"    kernel, and a write the kernel refuses changes nothing.\n"
"\n"
"    Devices are those of the network namespace rxsteerctl runs in, as\n"
"    /sys/class/net shows them. For a device of another namespace, run it\n"
"    under ip netns exec, which mounts that namespace's sysfs:\n"
"        ip netns exec NS rxsteerctl attach veth1\n"
"    The module-wide files (sock_flow_entries, probes, counters) are the\n"
"    same in every namespace.\n"
"\n"
"    Reading needs no privilege. Writing a device's files needs\n"
"    CAP_NET_ADMIN in the user namespace owning the device's network\n"
"    namespace; writing sock_flow_entries or poll_linger_us needs\n"
"    CAP_NET_ADMIN of the host.\n"
"\n"
"COMMANDS\n"
"    attach DEV\n"
"        Attach rxsteer to DEV. Its rx queues start with empty CPU masks:\n"
"        nothing is steered until a mask (or RFS) is set. Attaching an\n"
"        attached device does nothing. Refused (EBUSY) on a bridge, bond or\n"
"        macvlan port and while kernel RPS or RFS is set on DEV; the kernel\n"
"        log says which.\n"
"\n"
"    detach DEV\n"
"        Detach DEV: its rx queues' masks, flow tables and counters go.\n"
"        Detaching a detached device does nothing.\n"
"\n"
"    set DEV [rx N|all] cpus CPULIST\n"
"        Set the CPUs the packets of rx queue N of DEV are steered to\n"
"        (rx-N/cpus_list; default queue 0, all for every rx queue). CPULIST\n"
"        is comma-separated CPU numbers and ranges, such as 0-2,5; none (or\n"
"        an empty string) is the empty mask, which stops steering; all is\n"
"        every online CPU. Every CPU must exist and be online. DEV must be\n"
"        attached. cpus_list is accepted for cpus.\n"
"\n"
"    set DEV [rx N|all] flow_cnt N\n"
"        Size of the RFS dev-flow table of rx queue N, 0 to 1048576,\n"
"        rounded up to a power of two by the module; 0 removes it. DEV\n"
"        must be attached.\n"
"\n"
"    set DEV backlog_limit N\n"
"        Packets a CPU's rxsteer backlog may hold before DEV's packets are\n"
"        dropped, 1 to 1048576. Also while DEV is not attached.\n"
"\n"
"    set DEV flow_limit 0|1\n"
"        1: once a CPU's backlog is half full, drop the packets of DEV's\n"
"        flows that take more than half of its recent arrivals (like the\n"
"        kernel's flow_limit). Also while DEV is not attached.\n"
"\n"
"    set sock_flow_entries N\n"
"        Size of the host-wide RFS sock-flow table, 0 to 16777216, rounded\n"
"        up to a power of two; non-zero turns RFS on (and registers the\n"
"        recvmsg probes), 0 turns it off.\n"
"\n"
"    set poll_linger_us N\n"
"        The module parameter poll_linger_us, 0 to 1000: how long a CPU's\n"
"        backlog poll that emptied its queue waits for more packets before\n"
"        it needs an IPI again; 0 (the default) turns lingering off.\n"
"\n"
"    With rx all, the value is written to every rx queue in turn; if the\n"
"    kernel refuses it for one, the queues already written get their old\n"
"    value back. A successful set prints nothing.\n"
"\n"
"    show [DEV]\n"
"        The configuration: module version, sock_flow_entries,\n"
"        poll_linger_us, the state of the probes, and for each attached\n"
"        device of the namespace (or for DEV, attached or not)\n"
"        backlog_limit, flow_limit and per rx queue cpus_list, cpus and\n"
"        flow_cnt. Devices not attached are named.\n"
"\n"
"    stats [DEV]\n"
"        The counters of /proc/net/rxsteer_stat: one row per counter, one\n"
"        column per possible CPU, and their total; backlog is the current\n"
"        length of each CPU's backlog. Then for each attached device (or\n"
"        DEV, which must be attached) kernel_rps_conflicts and per rx queue\n"
"        seen and steered.\n"
"\n"
"    watch [-i SEC] [-n COUNT]\n"
"        Every SEC seconds, the per-second rates of the main counters, for\n"
"        all CPUs together and per CPU, and of seen and steered per rx queue\n"
"        of the attached devices, as mpstat or sar print them; backlog is\n"
"        the current length, not a rate. Stops after COUNT reports, or when\n"
"        interrupted.\n"
"\n"
"    help\n"
"        This text.\n"
"\n"
"OPTIONS\n"
"    Options may be given anywhere on the command line, before --.\n"
"\n"
"    -j, --json\n"
"        show, stats, watch: print JSON instead of tables, one object on\n"
"        one line (watch: one object per report, JSON Lines). Numbers are\n"
"        JSON integers; watch gives the increase of each counter over the\n"
"        report's interval (elapsed, in seconds), not a rate.\n"
"\n"
"    --no-check\n"
"        set: skip rxsteerctl's own checks of the value and write it as\n"
"        given (after none, all and the empty string are resolved); errors\n"
"        are then the kernel's.\n"
"\n"
"    -i, --interval SEC\n"
"        watch: seconds between reports, a decimal number such as 0.5;\n"
"        default 1.\n"
"\n"
"    -n, --count COUNT\n"
"        watch: number of reports; default unlimited.\n"
"\n"
"    -h, --help\n"
"        This text.\n"
"\n"
"    -V, --version\n"
"        rxsteerctl's version.\n"
"\n"
"    --  The next arguments are not options (a device named -x).\n"
"\n"
"EXIT STATUS\n"
"    0   Success.\n"
"    1   Error: the module is not loaded, no such device (in this network\n"
"        namespace), the device is not attached, no such rx queue,\n"
"        permission denied (EPERM or EACCES), a number or CPU out of range\n"
"        or a CPU offline, a write the kernel refused (EINVAL, ERANGE,\n"
"        EBUSY, ...), or any other failed read or write.\n"
"    2   Usage: unknown command or option, a missing or extra argument, a\n"
"        malformed number or CPU list.\n"
"    Every error prints one line on standard error and nothing on standard\n"
"    output.\n"
"\n"
"FILES\n"
"    /sys/class/net/DEV/rxsteer/{enabled,backlog_limit,flow_limit,kernel_rps_conflicts}\n"
"    /sys/class/net/DEV/rxsteer/rx-N/{cpus,cpus_list,flow_cnt,seen,steered}\n"
"    /sys/kernel/rxsteer/{sock_flow_entries,probes}\n"
"    /proc/net/rxsteer_stat\n"
"    /sys/module/rxsteer/{version,parameters/poll_linger_us}\n"
"    /sys/devices/system/cpu/{possible,online}\n"
"\n"
"EXAMPLES\n"
"    Spread eth0's packets over CPUs 1 to 3, then look:\n"
"        rxsteerctl attach eth0\n"
"        rxsteerctl set eth0 cpus 1-3\n"
"        rxsteerctl show eth0\n"
"        rxsteerctl stats eth0\n"
"\n"
"    Every rx queue of a multiqueue device, and RFS:\n"
"        rxsteerctl set eth1 rx all cpus 0-7\n"
"        rxsteerctl set sock_flow_entries 32768\n"
"        rxsteerctl set eth1 rx all flow_cnt 4096\n"
"\n"
"    A device in network namespace blue; rates every 2 s, 5 times:\n"
"        ip netns exec blue rxsteerctl attach veth1\n"
"        ip netns exec blue rxsteerctl set veth1 cpus 0,2\n"
"        rxsteerctl watch -i 2 -n 5\n"
"\n"
"    For scripts:\n"
"        rxsteerctl stats --json | python3 -m json.tool\n"
"\n"
"SEE ALSO\n"
"    Documentation/cli.rst, Documentation/sysfs-abi.rst, ip-netns(8)\n";

/* Errors and memory */

static void vmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Print one line on stderr and exit with @code. */
static void __noreturn __printf(2, 3)
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(code);
}

/* A usage error: one line that also points to --help; exit 2. */
static void __noreturn __printf(1, 2)
usage(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	die(EXIT_USAGE, "%s (see %s --help)", line, prog);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EXIT_ERR, "out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_ERR, "out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(EXIT_ERR, "out of memory");
	return p;
}

static __printf(1, 2) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EXIT_ERR, "out of memory");
	return s;
}

/* The symbolic name of the errnos a knob can return. */
static const char *errname(int err)
{
	static char buf[24];

	switch (err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case EAGAIN: return "EAGAIN";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/*
 * A value as it can be shown inside quotes on one line: control characters
 * escaped, long values cut.
 */
static const char *shown(const char *s)
{
	static char buf[96];
	size_t j = 0;

	for (; *s && j < sizeof(buf) - 8; s++) {
		unsigned char c = *s;

		if (c == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			j += snprintf(buf + j, sizeof(buf) - j, "\\x%02x", c);
		} else {
			buf[j++] = c;
		}
	}
	if (*s) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

/* Files */

/* Read a small file into @buf, without its trailing newlines; -errno. */
static int read_str(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return 0;
}

/* A whole file (procfs files have no size), NUL-terminated; NULL: errno. */
static char *read_all(const char *path)
{
	size_t len = 0, cap = 16384;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			free(buf);
			errno = err;
			return NULL;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* A decimal unsigned number, nothing else. */
static bool parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

static int read_u64(const char *path, unsigned long long *v)
{
	char buf[64];
	int err = read_str(path, buf, sizeof(buf));

	if (err)
		return err;
	return parse_u64(buf, v) ? 0 : -EIO;
}

/* Write @val in one write(2), as the knobs want it; 0 or -errno. */
static int write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* Module, devices, CPUs */

static void need_module(void)
{
	if (exists(SYS_RXS))
		return;
	if (errno == ENOENT)
		die(EXIT_ERR, "rxsteer module not loaded (no %s; modprobe rxsteer or insmod rxsteer.ko)",
		    SYS_RXS);
	die(EXIT_ERR, "%s: %s", SYS_RXS, strerror(errno));
}

/* A name the kernel could have given a device (dev_valid_name()). */
static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) > IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static char *dev_path(const char *dev, const char *file)
{
	return xasprintf(SYS_NET "/%s/rxsteer%s%s", dev, *file ? "/" : "", file);
}

static char *queue_path(const char *dev, unsigned int q, const char *file)
{
	return xasprintf(SYS_NET "/%s/rxsteer/rx-%u/%s", dev, q, file);
}

/* The module is loaded and @dev has an rxsteer directory, or exit 1. */
static void need_dev(const char *dev)
{
	char *p;

	need_module();
	if (!valid_ifname(dev))
		die(EXIT_ERR, "no such device: '%s' is not a valid device name", shown(dev));
	p = xasprintf(SYS_NET "/%s", dev);
	if (!exists(p))
		die(EXIT_ERR, "no such device: %s (in this network namespace; for another one, run under ip netns exec NS)",
		    dev);
	free(p);
	p = dev_path(dev, "");
	if (!exists(p))
		die(EXIT_ERR, "%s: no rxsteer directory (%s: %s; see the kernel log)",
		    dev, p, strerror(errno));
	free(p);
}

static bool dev_enabled(const char *dev)
{
	char *p = dev_path(dev, "enabled"), buf[16];
	int err = read_str(p, buf, sizeof(buf));

	if (err)
		die(EXIT_ERR, "cannot read %s: %s", p, strerror(-err));
	free(p);
	return !strcmp(buf, "1");
}

static void need_attached(const char *dev)
{
	if (!dev_enabled(dev))
		die(EXIT_ERR, "%s: not attached (rxsteerctl attach %s)", dev, dev);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The rx-N directories of @dev, in queue order; -errno. */
static int dev_queues(const char *dev, unsigned int **out)
{
	char *p = dev_path(dev, "");
	unsigned int *q = NULL;
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(p);
	free(p);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long long v;

		if (strncmp(de->d_name, "rx-", 3) || !parse_u64(de->d_name + 3, &v) ||
		    v > UINT_MAX)
			continue;
		q = xrealloc(q, (n + 1) * sizeof(*q));
		q[n++] = v;
	}
	closedir(d);
	qsort(q, n, sizeof(*q), cmp_uint);
	*out = q;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The devices of this network namespace that have an rxsteer directory. */
static int list_devs(char ***out)
{
	char **names = NULL;
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(SYS_NET);
	if (!d)
		die(EXIT_ERR, "cannot list %s: %s", SYS_NET, strerror(errno));
	while ((de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = dev_path(de->d_name, "");
		if (exists(p)) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

static void free_names(char **names, int n)
{
	while (n--)
		free(names[n]);
	free(names);
}

/* nr_cpu_ids: the last possible CPU plus one. */
static unsigned int nr_cpus(void)
{
	char buf[SMALL];
	int err = read_str(SYS_CPU "/possible", buf, sizeof(buf));
	size_t i;

	if (err)
		die(EXIT_ERR, "cannot read " SYS_CPU "/possible: %s", strerror(-err));
	i = strlen(buf);
	while (i && isdigit((unsigned char)buf[i - 1]))
		i--;
	return (unsigned int)strtoul(buf + i, NULL, 10) + 1;
}

static void cpu_file(const char *name, char *buf, size_t size)
{
	char *p = xasprintf(SYS_CPU "/%s", name);
	int err = read_str(p, buf, size);

	if (err)
		die(EXIT_ERR, "cannot read %s: %s", p, strerror(-err));
	free(p);
}

static bool test_bit(const unsigned long *bits, unsigned int bit)
{
	return bits[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG) & 1;
}

/*
 * Check a CPU list as the module will: syntax (exit 2), then every CPU
 * possible and online (exit 1).
 */
static void check_cpulist(const char *list)
{
	unsigned int nbits = CPULIST_NUM_MAX + 1, ncpu, cpu, last = 0;
	unsigned long *bits, *online;
	size_t len = strlen(list);
	char buf[SMALL];
	bool any = false;
	int err;

	if (len >= RXS_MASK_MAX_INPUT)
		die(EXIT_USAGE, "bad CPU list '%s': longer than %d characters",
		    shown(list), RXS_MASK_MAX_INPUT - 1);
	bits = xmalloc((nbits / BITS_PER_LONG + 1) * sizeof(long));
	err = rxs_parse_cpulist(list, len, bits, nbits);
	if (err == -EINVAL)
		die(EXIT_USAGE, "bad CPU list '%s': expected CPU numbers and ranges such as 0-2,5, or none, or all",
		    shown(list));
	ncpu = nr_cpus();
	if (err == -ERANGE)
		die(EXIT_ERR, "bad CPU list '%s': a CPU number above %u does not exist (possible CPUs: 0-%u)",
		    shown(list), CPULIST_NUM_MAX, ncpu - 1);
	for (cpu = 0; cpu < nbits; cpu++) {
		if (test_bit(bits, cpu)) {
			last = cpu;
			any = true;
		}
	}
	if (any && last >= ncpu)
		die(EXIT_ERR, "bad CPU list '%s': CPU %u does not exist (possible CPUs: 0-%u)",
		    shown(list), last, ncpu - 1);
	cpu_file("online", buf, sizeof(buf));
	online = xmalloc((ncpu / BITS_PER_LONG + 1) * sizeof(long));
	if (rxs_parse_cpulist(buf, strlen(buf), online, ncpu))
		die(EXIT_ERR, "cannot parse " SYS_CPU "/online: '%s'", shown(buf));
	for (cpu = 0; cpu < ncpu; cpu++)
		if (test_bit(bits, cpu) && !test_bit(online, cpu))
			die(EXIT_ERR, "bad CPU list '%s': CPU %u is offline (online CPUs: %s)",
			    shown(list), cpu, buf);
	free(online);
	free(bits);
}

/* Device state */

struct queue {
	unsigned int idx;
	char *cpus;
	char *cpus_list;
	unsigned long long flow_cnt;
	unsigned long long seen;
	unsigned long long steered;
};

struct dev {
	char *name;
	bool enabled;
	unsigned long long backlog_limit;
	unsigned long long flow_limit;
	unsigned long long conflicts;
	int nq;
	struct queue *q;
};

static void free_dev(struct dev *d)
{
	int i;

	for (i = 0; i < d->nq; i++) {
		free(d->q[i].cpus);
		free(d->q[i].cpus_list);
	}
	free(d->q);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

/* Read one device's state; on error, *@failed names the file. */
static int load_dev(const char *name, struct dev *d, char **failed)
{
	unsigned int *idx = NULL;
	char buf[SMALL], *p;
	int err, i, n;

	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	p = dev_path(name, "enabled");
	err = read_str(p, buf, sizeof(buf));
	if (err)
		goto fail;
	d->enabled = !strcmp(buf, "1");
	free(p);
	p = dev_path(name, "backlog_limit");
	err = read_u64(p, &d->backlog_limit);
	if (err)
		goto fail;
	free(p);
	p = dev_path(name, "flow_limit");
	err = read_u64(p, &d->flow_limit);
	if (err)
		goto fail;
	free(p);
	p = dev_path(name, "kernel_rps_conflicts");
	err = read_u64(p, &d->conflicts);
	if (err)
		goto fail;
	free(p);
	if (!d->enabled)
		return 0;
	p = dev_path(name, "");
	n = dev_queues(name, &idx);
	if (n < 0) {
		err = n;
		goto fail;
	}
	free(p);
	d->q = xmalloc(n * sizeof(*d->q));
	memset(d->q, 0, n * sizeof(*d->q));
	d->nq = n;
	for (i = 0; i < n; i++) {
		struct queue *q = &d->q[i];

		q->idx = idx[i];
		p = queue_path(name, q->idx, "cpus");
		err = read_str(p, buf, sizeof(buf));
		if (err)
			goto fail;
		q->cpus = xstrdup(buf);
		free(p);
		p = queue_path(name, q->idx, "cpus_list");
		err = read_str(p, buf, sizeof(buf));
		if (err)
			goto fail;
		q->cpus_list = xstrdup(buf);
		free(p);
		p = queue_path(name, q->idx, "flow_cnt");
		err = read_u64(p, &q->flow_cnt);
		if (err)
			goto fail;
		free(p);
		p = queue_path(name, q->idx, "seen");
		err = read_u64(p, &q->seen);
		if (err)
			goto fail;
		free(p);
		p = queue_path(name, q->idx, "steered");
		err = read_u64(p, &q->steered);
		if (err)
			goto fail;
		free(p);
	}
	free(idx);
	return 0;
fail:
	free(idx);
	*failed = p;
	return err;
}

static void load_dev_or_die(const char *name, struct dev *d)
{
	char *failed;
	int err = load_dev(name, d, &failed);

	if (err)
		die(EXIT_ERR, "cannot read %s: %s", failed, strerror(-err));
}

/* /proc/net/rxsteer_stat */

struct stats {
	int ncols;		/* counters, "cpu" excluded */
	char **name;
	int ncpu;
	unsigned int *cpu;
	unsigned long long *v;	/* ncpu rows of ncols */
};

static void free_stats(struct stats *s)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		free(s->name[i]);
	free(s->name);
	free(s->cpu);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void read_stats(struct stats *s)
{
	char *text, *line, *save_line, *tok, *save_tok;
	int row = 0, col;

	memset(s, 0, sizeof(*s));
	text = read_all(PROC_STAT);
	if (!text && errno == ENOENT)
		die(EXIT_ERR, "rxsteer module not loaded (no %s)", PROC_STAT);
	if (!text)
		die(EXIT_ERR, "cannot read %s: %s", PROC_STAT, strerror(errno));
	line = strtok_r(text, "\n", &save_line);
	tok = line ? strtok_r(line, " ", &save_tok) : NULL;
	if (!tok || strcmp(tok, "cpu"))
		die(EXIT_ERR, "%s: unexpected header", PROC_STAT);
	while ((tok = strtok_r(NULL, " ", &save_tok))) {
		s->name = xrealloc(s->name, (s->ncols + 1) * sizeof(*s->name));
		s->name[s->ncols++] = xstrdup(tok);
	}
	while ((line = strtok_r(NULL, "\n", &save_line))) {
		unsigned long long v;

		s->cpu = xrealloc(s->cpu, (row + 1) * sizeof(*s->cpu));
		s->v = xrealloc(s->v, (size_t)(row + 1) * s->ncols * sizeof(*s->v));
		tok = strtok_r(line, " ", &save_tok);
		if (!tok || !parse_u64(tok, &v))
			die(EXIT_ERR, "%s: unexpected line %d", PROC_STAT, row + 2);
		s->cpu[row] = v;
		for (col = 0; col < s->ncols; col++) {
			tok = strtok_r(NULL, " ", &save_tok);
			if (!tok || !parse_u64(tok, &s->v[row * s->ncols + col]))
				die(EXIT_ERR, "%s: unexpected line %d", PROC_STAT, row + 2);
		}
		if (strtok_r(NULL, " ", &save_tok))
			die(EXIT_ERR, "%s: unexpected line %d", PROC_STAT, row + 2);
		row++;
	}
	s->ncpu = row;
	free(text);
}

static int stat_col(const struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		if (!strcmp(s->name[i], name))
			return i;
	return -1;
}

static unsigned long long stat_total(const struct stats *s, int col)
{
	unsigned long long t = 0;
	int r;

	for (r = 0; r < s->ncpu; r++)
		t += s->v[r * s->ncols + col];
	return t;
}

/* The one column that is a level, not a counter. */
static bool is_gauge(const char *name)
{
	return !strcmp(name, "backlog");
}

/* Aligned tables */

struct table {
	int ncols;
	const char *align;	/* 'l' or 'r' per column */
	int ncells;
	char **cell;
};

static __printf(2, 3) void
tab_add(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die(EXIT_ERR, "out of memory");
	va_end(ap);
	t->cell = xrealloc(t->cell, (t->ncells + 1) * sizeof(*t->cell));
	t->cell[t->ncells++] = s;
}

static void tab_print(struct table *t, const char *indent)
{
	size_t *w = xmalloc(t->ncols * sizeof(*w));
	int i, c;

	for (c = 0; c < t->ncols; c++)
		w[c] = 0;
	for (i = 0; i < t->ncells; i++) {
		size_t l = strlen(t->cell[i]);

		if (l > w[i % t->ncols])
			w[i % t->ncols] = l;
	}
	for (i = 0; i < t->ncells; i++) {
		c = i % t->ncols;
		if (!c)
			fputs(indent, stdout);
		if (t->align[c] == 'r')
			printf("%*s", (int)w[c], t->cell[i]);
		else if (c == t->ncols - 1)
			fputs(t->cell[i], stdout);
		else
			printf("%-*s", (int)w[c], t->cell[i]);
		fputs(c == t->ncols - 1 ? "\n" : "  ", stdout);
	}
	for (i = 0; i < t->ncells; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->ncells = 0;
	free(w);
}

/* JSON, compact, one document per line */

static bool jfirst;

static void jsep(void)
{
	if (!jfirst)
		putchar(',');
	jfirst = false;
}

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *k)
{
	jsep();
	jstr(k);
	putchar(':');
	jfirst = true;	/* the value follows without a comma */
}

static void jopen(char c)
{
	if (!jfirst)
		jsep();
	putchar(c);
	jfirst = true;
}

static void jclose(char c)
{
	putchar(c);
	jfirst = false;
}

static void jkey_str(const char *k, const char *v)
{
	jkey(k);
	jstr(v);
	jfirst = false;
}

static void jkey_u64(const char *k, unsigned long long v)
{
	jkey(k);
	printf("%llu", v);
	jfirst = false;
}

static void jkey_bool(const char *k, bool v)
{
	jkey(k);
	fputs(v ? "true" : "false", stdout);
	jfirst = false;
}

static void jend(void)
{
	putchar('\n');
	jfirst = true;
}

/* attach, detach, set */

enum knob {
	K_ENABLED, K_CPUS, K_FLOW_CNT, K_BACKLOG, K_SOCK_FLOW, K_FLOW_LIMIT,
	K_LINGER,
};

static const char *const knob_file[] = {
	[K_ENABLED] = "enabled",
	[K_CPUS] = "cpus_list",
	[K_FLOW_CNT] = "flow_cnt",
	[K_BACKLOG] = "backlog_limit",
	[K_SOCK_FLOW] = "sock_flow_entries",
	[K_FLOW_LIMIT] = "flow_limit",
	[K_LINGER] = "poll_linger_us",
};

/* The module-wide knobs: set without a device. */
static const struct {
	enum knob k;
	const char *path;
} global_knobs[] = {
	{ K_SOCK_FLOW, SYS_RXS "/sock_flow_entries" },
	{ K_LINGER, SYS_LINGER },
};

/*
 * Report a failed write of @val to knob @k (@what names it: "eth0 rx-0
 * cpus_list") and exit 1. @note is appended (the rollback).
 */
static __noreturn void
write_failed(int err, enum knob k, const char *what, const char *val,
	     const char *note)
{
	const char *hint = "";

	err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
		die(EXIT_ERR, "%s: permission denied (%s): needs CAP_NET_ADMIN %s (run as root)%s",
		    what, errname(err),
		    k == K_SOCK_FLOW || k == K_LINGER ? "of the host" :
		    "in the device's network namespace",
		    note);
	case EINVAL:
		if (k == K_CPUS)
			hint = ": malformed CPU list or offline CPU";
		else if (k == K_ENABLED)
			hint = "";
		else
			hint = ": not a number";
		die(EXIT_ERR, "%s: the kernel refused '%s': %s (%s)%s%s", what,
		    shown(val), strerror(err), errname(err), hint, note);
	case ERANGE:
		if (k == K_CPUS)
			hint = ": a CPU at or above nr_cpu_ids";
		else if (k == K_BACKLOG)
			hint = ": allowed 1..1048576";
		else if (k == K_FLOW_CNT)
			hint = ": allowed 0..1048576";
		else if (k == K_SOCK_FLOW)
			hint = ": allowed 0..16777216";
		else if (k == K_FLOW_LIMIT)
			hint = ": allowed 0 or 1";
		else if (k == K_LINGER)
			hint = ": allowed 0..1000";
		die(EXIT_ERR, "%s: the kernel refused '%s': %s (%s)%s%s", what,
		    shown(val), strerror(err), errname(err), hint, note);
	case EBUSY:
		if (k == K_ENABLED)
			die(EXIT_ERR, "%s: cannot attach: %s (%s): %s; see the kernel log",
			    what, strerror(err), errname(err),
			    "a bridge, bond or macvlan port, or kernel RPS/RFS is on");
		break;
	case ENOENT:
		die(EXIT_ERR, "%s: %s (%s): the device was detached or removed meanwhile%s",
		    what, strerror(err), errname(err), note);
	}
	die(EXIT_ERR, "%s: writing '%s' failed: %s (%s)%s", what, shown(val),
	    strerror(err), errname(err), note);
}

/* A number knob's value: decimal (exit 2 if not), in range (exit 1). */
static void check_number(enum knob k, const char *val)
{
	unsigned long long v, lo = 0, hi;

	switch (k) {
	case K_BACKLOG:
		lo = 1;
		hi = BACKLOG_LIMIT_MAX;
		break;
	case K_FLOW_CNT:
		hi = FLOW_CNT_MAX;
		break;
	case K_FLOW_LIMIT:
		hi = 1;
		break;
	case K_LINGER:
		hi = POLL_LINGER_MAX_US;
		break;
	default:
		hi = SOCK_FLOW_MAX;
		break;
	}
	if (!parse_u64(val, &v)) {
		if (!isdigit((unsigned char)*val) || errno != ERANGE)
			die(EXIT_USAGE, "bad number '%s' for %s: expected a decimal integer",
			    shown(val), knob_file[k]);
		v = ULLONG_MAX;	/* well-formed, but does not fit */
	}
	if (v < lo || v > hi)
		die(EXIT_ERR, "%s %s: out of range (%llu..%llu)", knob_file[k], shown(val),
		    lo, hi);
}

static void cmd_enable(const char *dev, bool on)
{
	char *p, *what;
	int err;

	need_dev(dev);
	p = dev_path(dev, "enabled");
	what = xasprintf("%s", dev);
	err = write_str(p, on ? "1" : "0");
	if (err)
		write_failed(err, K_ENABLED, what, on ? "1" : "0", "");
	free(what);
	free(p);
}

/* set DEV [rx N|all] cpus|flow_cnt VALUE: every selected queue, or none. */
static void set_queues(const char *dev, const char *rx, enum knob k, const char *val)
{
	unsigned int *idx, *sel;
	char **old, *p, *what;
	unsigned long long v;
	int n, nsel = 0, i, j, err;

	need_dev(dev);
	need_attached(dev);
	n = dev_queues(dev, &idx);
	if (n < 0)
		die(EXIT_ERR, "%s: cannot list rx queues: %s", dev, strerror(-n));
	if (!n)
		die(EXIT_ERR, "%s: has no rx queue", dev);
	sel = xmalloc(n * sizeof(*sel));
	if (!strcmp(rx, "all")) {
		for (i = 0; i < n; i++)
			sel[nsel++] = idx[i];
	} else {
		parse_u64(rx, &v);	/* checked by the caller */
		for (i = 0; i < n; i++)
			if (idx[i] == v)
				sel[nsel++] = idx[i];
		if (!nsel)
			die(EXIT_ERR, "%s: no rx queue %s (it has rx-%u to rx-%u)", dev,
			    shown(rx), idx[0], idx[n - 1]);
	}
	/* The old values, to put back if the kernel refuses a later queue. */
	old = xmalloc(nsel * sizeof(*old));
	for (i = 0; i < nsel; i++) {
		char buf[SMALL];

		p = queue_path(dev, sel[i], k == K_CPUS ? "cpus" : "flow_cnt");
		err = read_str(p, buf, sizeof(buf));
		if (err)
			die(EXIT_ERR, "cannot read %s: %s", p, strerror(-err));
		old[i] = xstrdup(buf);
		free(p);
	}
	for (i = 0; i < nsel; i++) {
		p = queue_path(dev, sel[i], knob_file[k]);
		err = write_str(p, val);
		free(p);
		if (!err)
			continue;
		what = xasprintf("%s rx-%u %s", dev, sel[i], knob_file[k]);
		for (j = 0; j < i; j++) {
			p = queue_path(dev, sel[j], k == K_CPUS ? "cpus" : "flow_cnt");
			if (write_str(p, old[j]))
				write_failed(err, k, what, val,
					     "; could not restore the queues written before");
			free(p);
		}
		write_failed(err, k, what, val,
			     i ? "; the queues written before were restored" : "");
	}
	for (i = 0; i < nsel; i++)
		free(old[i]);
	free(old);
	free(sel);
	free(idx);
}

static void cmd_set(int argc, char **argv)
{
	const char *dev = NULL, *rx = NULL, *key, *val;
	char online[SMALL], *p, *what;
	enum knob k;
	unsigned int g;
	int i = 1, err;

	if (argc < 2)
		usage("set: missing arguments");
	for (g = 0; g < ARRAY_SIZE(global_knobs); g++) {
		if (strcmp(argv[1], knob_file[global_knobs[g].k]))
			continue;
		k = global_knobs[g].k;
		if (argc != 3)
			usage(argc < 3 ? "set: missing value for %s" :
			      "set: too many arguments", knob_file[k]);
		val = argv[2];
		if (!opt.no_check)
			check_number(k, val);
		need_module();
		err = write_str(global_knobs[g].path, val);
		if (err)
			write_failed(err, k, knob_file[k], val, "");
		return;
	}
	dev = argv[i++];
	if (i < argc && !strcmp(argv[i], "rx")) {
		unsigned long long v;

		if (++i >= argc)
			usage("set: missing queue number after rx");
		rx = argv[i++];
		if (strcmp(rx, "all") && (!parse_u64(rx, &v) || v > UINT_MAX))
			usage("set: bad rx queue '%s': expected a number or all", shown(rx));
	}
	if (i >= argc)
		usage("set: missing setting (cpus, flow_cnt, backlog_limit or flow_limit)");
	key = argv[i++];
	if (!strcmp(key, "cpus") || !strcmp(key, "cpus_list"))
		k = K_CPUS;
	else if (!strcmp(key, "flow_cnt"))
		k = K_FLOW_CNT;
	else if (!strcmp(key, "backlog_limit"))
		k = K_BACKLOG;
	else if (!strcmp(key, "flow_limit"))
		k = K_FLOW_LIMIT;
	else
		usage("set: unknown setting '%s' (cpus, flow_cnt, backlog_limit, flow_limit, sock_flow_entries, poll_linger_us)",
		      shown(key));
	if (i >= argc)
		usage("set: missing value for %s", key);
	val = argv[i++];
	if (i < argc)
		usage("set: too many arguments ('%s')", shown(argv[i]));
	if ((k == K_BACKLOG || k == K_FLOW_LIMIT) && rx)
		usage("set: %s is per device, not per rx queue", knob_file[k]);

	if (k == K_CPUS) {
		if (!*val || !strcmp(val, "none")) {
			val = "\n";	/* a zero-length write would not reach rxsteer */
		} else if (!strcmp(val, "all")) {
			cpu_file("online", online, sizeof(online));
			val = online;
		} else if (!opt.no_check) {
			check_cpulist(val);
		}
	} else if (!opt.no_check) {
		check_number(k, val);
	}

	if (k == K_BACKLOG || k == K_FLOW_LIMIT) {
		need_dev(dev);
		p = dev_path(dev, knob_file[k]);
		err = write_str(p, val);
		if (err) {
			what = xasprintf("%s %s", dev, knob_file[k]);
			write_failed(err, k, what, val, "");
		}
		free(p);
		return;
	}
	set_queues(dev, rx ? rx : "0", k, val);
}

/* show */

static void json_probes(const char *probes)
{
	char *copy = xstrdup(probes), *line, *save, *sym, *state, *rest;

	jkey("probes");
	jopen('[');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		sym = strtok_r(line, " ", &rest);
		state = strtok_r(NULL, " ", &rest);
		if (!sym || !state)
			continue;
		jopen('{');
		jkey_str("symbol", sym);
		jkey_str("state", state);
		if (rest && *rest) {
			jkey("error");
			printf("%ld", strtol(rest, NULL, 10));
			jfirst = false;
		}
		jclose('}');
	}
	jclose(']');
	free(copy);
}

static void cmd_show(const char *only)
{
	char version[256], probes[SMALL], *p, **names;
	unsigned long long sfe, linger;
	int n, i, err, ndetached = 0;
	struct dev *d;

	if (only)
		need_dev(only);
	else
		need_module();
	if (read_str(SYS_MODVER, version, sizeof(version)))
		strcpy(version, "unknown");
	err = read_u64(SYS_RXS "/sock_flow_entries", &sfe);
	if (err)
		die(EXIT_ERR, "cannot read " SYS_RXS "/sock_flow_entries: %s", strerror(-err));
	err = read_u64(SYS_LINGER, &linger);
	if (err)
		die(EXIT_ERR, "cannot read " SYS_LINGER ": %s", strerror(-err));
	err = read_str(SYS_RXS "/probes", probes, sizeof(probes));
	if (err)
		die(EXIT_ERR, "cannot read " SYS_RXS "/probes: %s", strerror(-err));
	if (only) {
		names = xmalloc(sizeof(*names));
		names[0] = xstrdup(only);
		n = 1;
	} else {
		n = list_devs(&names);
	}
	d = xmalloc(n * sizeof(*d));
	for (i = 0; i < n; i++)
		load_dev_or_die(names[i], &d[i]);

	if (opt.json) {
		jfirst = true;
		jopen('{');
		jkey_str("version", version);
		jkey_u64("sock_flow_entries", sfe);
		jkey_bool("rfs", sfe != 0);
		jkey_u64("poll_linger_us", linger);
		json_probes(probes);
		jkey("devices");
		jopen('[');
		for (i = 0; i < n; i++) {
			int j;

			jopen('{');
			jkey_str("name", d[i].name);
			jkey_bool("attached", d[i].enabled);
			jkey_u64("backlog_limit", d[i].backlog_limit);
			jkey_bool("flow_limit", d[i].flow_limit != 0);
			jkey("queues");
			jopen('[');
			for (j = 0; j < d[i].nq; j++) {
				jopen('{');
				jkey_u64("queue", d[i].q[j].idx);
				jkey_str("cpus", d[i].q[j].cpus);
				jkey_str("cpus_list", d[i].q[j].cpus_list);
				jkey_u64("flow_cnt", d[i].q[j].flow_cnt);
				jclose('}');
			}
			jclose(']');
			jclose('}');
		}
		jclose(']');
		jclose('}');
		jend();
		goto out;
	}

	printf("rxsteer %s\n", version);
	printf("sock_flow_entries  %llu (RFS %s)\n", sfe, sfe ? "on" : "off");
	printf("poll_linger_us     %llu (lingering %s)\n", linger, linger ? "on" : "off");
	fputs("probes             ", stdout);
	for (p = probes; *p; p++) {
		if (*p == '\n')
			fputs(", ", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
	for (i = 0; i < n; i++) {
		struct table t = { .ncols = 4, .align = "lllr" };
		int j;

		if (!d[i].enabled && !only) {
			ndetached++;
			continue;
		}
		printf("\n%s: %s, backlog_limit %llu, flow_limit %s", d[i].name,
		       d[i].enabled ? "attached" : "not attached", d[i].backlog_limit,
		       d[i].flow_limit ? "on" : "off");
		if (!d[i].enabled) {
			putchar('\n');
			continue;
		}
		printf(", %d rx queue%s\n", d[i].nq, d[i].nq == 1 ? "" : "s");
		tab_add(&t, "queue");
		tab_add(&t, "cpus_list");
		tab_add(&t, "cpus");
		tab_add(&t, "flow_cnt");
		for (j = 0; j < d[i].nq; j++) {
			tab_add(&t, "rx-%u", d[i].q[j].idx);
			tab_add(&t, "%s", *d[i].q[j].cpus_list ? d[i].q[j].cpus_list : "-");
			tab_add(&t, "%s", d[i].q[j].cpus);
			tab_add(&t, "%llu", d[i].q[j].flow_cnt);
		}
		tab_print(&t, "  ");
	}
	if (ndetached) {
		printf("\nnot attached:");
		for (i = 0; i < n; i++)
			if (!d[i].enabled)
				printf(" %s", d[i].name);
		putchar('\n');
	}
out:
	for (i = 0; i < n; i++)
		free_dev(&d[i]);
	free(d);
	free_names(names, n);
}

/* stats */

/* The attached devices, or @only (which must be attached). */
static int load_attached(const char *only, struct dev **out, bool tolerant)
{
	struct dev *d = NULL;
	char **names, *failed;
	int n, i, nd = 0;

	if (only) {
		names = xmalloc(sizeof(*names));
		names[0] = xstrdup(only);
		n = 1;
	} else {
		n = list_devs(&names);
	}
	for (i = 0; i < n; i++) {
		struct dev x;
		int err = load_dev(names[i], &x, &failed);

		if (err && tolerant) {	/* gone or detached meanwhile */
			free(failed);
			free_dev(&x);
			continue;
		}
		if (err)
			die(EXIT_ERR, "cannot read %s: %s", failed, strerror(-err));
		if (!x.enabled) {
			if (only)
				die(EXIT_ERR, "%s: not attached (rxsteerctl attach %s)",
				    only, only);
			free_dev(&x);
			continue;
		}
		d = xrealloc(d, (nd + 1) * sizeof(*d));
		d[nd++] = x;
	}
	free_names(names, n);
	*out = d;
	return nd;
}

static void free_devs(struct dev *d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free_dev(&d[i]);
	free(d);
}

static void cmd_stats(const char *only)
{
	struct stats s;
	struct dev *d;
	int nd, i, j, c;

	if (only)
		need_dev(only);
	else
		need_module();
	read_stats(&s);
	nd = load_attached(only, &d, false);

	if (opt.json) {
		jfirst = true;
		jopen('{');
		jkey("cpus");
		jopen('[');
		for (i = 0; i < s.ncpu; i++) {
			jopen('{');
			jkey_u64("cpu", s.cpu[i]);
			for (c = 0; c < s.ncols; c++)
				jkey_u64(s.name[c], s.v[i * s.ncols + c]);
			jclose('}');
		}
		jclose(']');
		jkey("total");
		jopen('{');
		for (c = 0; c < s.ncols; c++)
			jkey_u64(s.name[c], stat_total(&s, c));
		jclose('}');
		jkey("devices");
		jopen('[');
		for (i = 0; i < nd; i++) {
			jopen('{');
			jkey_str("name", d[i].name);
			jkey_u64("kernel_rps_conflicts", d[i].conflicts);
			jkey("queues");
			jopen('[');
			for (j = 0; j < d[i].nq; j++) {
				jopen('{');
				jkey_u64("queue", d[i].q[j].idx);
				jkey_u64("seen", d[i].q[j].seen);
				jkey_u64("steered", d[i].q[j].steered);
				jclose('}');
			}
			jclose(']');
			jclose('}');
		}
		jclose(']');
		jclose('}');
		jend();
	} else {
		struct table t = { .ncols = s.ncpu + 2 };
		char *align = xmalloc(t.ncols + 1);

		memset(align, 'r', t.ncols);
		align[0] = 'l';
		align[t.ncols] = '\0';
		t.align = align;
		tab_add(&t, "counter");
		for (i = 0; i < s.ncpu; i++)
			tab_add(&t, "cpu%u", s.cpu[i]);
		tab_add(&t, "total");
		for (c = 0; c < s.ncols; c++) {
			tab_add(&t, "%s", s.name[c]);
			for (i = 0; i < s.ncpu; i++)
				tab_add(&t, "%llu", s.v[i * s.ncols + c]);
			tab_add(&t, "%llu", stat_total(&s, c));
		}
		tab_print(&t, "");
		free(align);
		for (i = 0; i < nd; i++) {
			struct table q = { .ncols = 3, .align = "lrr" };

			printf("\n%s: kernel_rps_conflicts %llu\n", d[i].name, d[i].conflicts);
			tab_add(&q, "queue");
			tab_add(&q, "seen");
			tab_add(&q, "steered");
			for (j = 0; j < d[i].nq; j++) {
				tab_add(&q, "rx-%u", d[i].q[j].idx);
				tab_add(&q, "%llu", d[i].q[j].seen);
				tab_add(&q, "%llu", d[i].q[j].steered);
			}
			tab_print(&q, "  ");
		}
	}
	free_devs(d, nd);
	free_stats(&s);
}

/* watch */

struct sample {
	struct timespec mono;
	struct timespec real;
	struct stats s;
	int nd;
	struct dev *d;
};

static void take_sample(struct sample *x)
{
	need_module();
	read_stats(&x->s);
	x->nd = load_attached(NULL, &x->d, true);
	clock_gettime(CLOCK_MONOTONIC, &x->mono);
	clock_gettime(CLOCK_REALTIME, &x->real);
}

static void free_sample(struct sample *x)
{
	free_stats(&x->s);
	free_devs(x->d, x->nd);
}

/* An increase; a counter that went down started over (module reload). */
static unsigned long long delta(unsigned long long old, unsigned long long now)
{
	return now >= old ? now - old : now;
}

static const struct queue *find_queue(const struct sample *x, const char *dev,
				      unsigned int idx, const struct dev **dp)
{
	int i, j;

	for (i = 0; i < x->nd; i++) {
		if (strcmp(x->d[i].name, dev))
			continue;
		*dp = &x->d[i];
		for (j = 0; j < x->d[i].nq; j++)
			if (x->d[i].q[j].idx == idx)
				return &x->d[i].q[j];
	}
	return NULL;
}

static const char *const watch_cols[] = {
	"steered_out", "steered_in", "processed", "passed_local", "no_steer",
	"drop_backlog", "drop_flow_limit", "ipi_sent", "rfs_hit", "rfs_miss",
};

#define ARRAY_LEN_WATCH ((int)ARRAY_SIZE(watch_cols))

static void tab_rate(struct table *t, unsigned long long d, double secs)
{
	tab_add(t, "%.1f", d / secs);
}

static void watch_report(const struct sample *a, const struct sample *b)
{
	double secs = (b->mono.tv_sec - a->mono.tv_sec) +
		      (b->mono.tv_nsec - a->mono.tv_nsec) / 1e9;
	const struct stats *o = &a->s, *s = &b->s;
	int cols[ARRAY_LEN_WATCH], ncols = 0, i, j, c, r, gauge;
	char when[16];
	struct tm tm;

	if (o->ncols != s->ncols || o->ncpu != s->ncpu)
		die(EXIT_ERR, "%s changed its layout (module reloaded?)", PROC_STAT);
	if (secs <= 0)
		secs = 1.0 / 1000000000;
	gauge = stat_col(s, "backlog");

	if (opt.json) {
		jfirst = true;
		jopen('{');
		jkey("timestamp");
		printf("%lld.%03ld", (long long)b->real.tv_sec, b->real.tv_nsec / 1000000);
		jfirst = false;
		jkey("elapsed");
		printf("%.3f", secs);
		jfirst = false;
		jkey("total");
		jopen('{');
		for (c = 0; c < s->ncols; c++)
			jkey_u64(s->name[c], is_gauge(s->name[c]) ? stat_total(s, c) :
				 delta(stat_total(o, c), stat_total(s, c)));
		jclose('}');
		jkey("cpus");
		jopen('[');
		for (r = 0; r < s->ncpu; r++) {
			jopen('{');
			jkey_u64("cpu", s->cpu[r]);
			for (c = 0; c < s->ncols; c++) {
				unsigned long long now = s->v[r * s->ncols + c];

				jkey_u64(s->name[c], is_gauge(s->name[c]) ? now :
					 delta(o->v[r * o->ncols + c], now));
			}
			jclose('}');
		}
		jclose(']');
		jkey("devices");
		jopen('[');
		for (i = 0; i < b->nd; i++) {
			const struct dev *d = &b->d[i], *od = NULL;
			bool open = false;

			for (j = 0; j < d->nq; j++) {
				const struct queue *q = &d->q[j];
				const struct queue *oq = find_queue(a, d->name, q->idx, &od);

				if (!oq)
					continue;
				if (!open) {
					jopen('{');
					jkey_str("name", d->name);
					jkey_u64("kernel_rps_conflicts",
						 delta(od->conflicts, d->conflicts));
					jkey("queues");
					jopen('[');
					open = true;
				}
				jopen('{');
				jkey_u64("queue", q->idx);
				jkey_u64("seen", delta(oq->seen, q->seen));
				jkey_u64("steered", delta(oq->steered, q->steered));
				jclose('}');
			}
			if (open) {
				jclose(']');
				jclose('}');
			}
		}
		jclose(']');
		jclose('}');
		jend();
		return;
	}

	localtime_r(&b->real.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	for (i = 0; i < ARRAY_LEN_WATCH; i++) {
		c = stat_col(s, watch_cols[i]);
		if (c >= 0)
			cols[ncols++] = c;
	}
	{
		struct table t = { .ncols = ncols + 2 + (gauge >= 0) };
		char *align = xmalloc(t.ncols + 1);

		memset(align, 'r', t.ncols);
		align[t.ncols] = '\0';
		align[0] = 'l';
		t.align = align;
		tab_add(&t, "%s", when);
		tab_add(&t, "CPU");
		for (i = 0; i < ncols; i++)
			tab_add(&t, "%s/s", s->name[cols[i]]);
		if (gauge >= 0)
			tab_add(&t, "backlog");
		tab_add(&t, "%s", when);
		tab_add(&t, "all");
		for (i = 0; i < ncols; i++)
			tab_rate(&t, delta(stat_total(o, cols[i]), stat_total(s, cols[i])), secs);
		if (gauge >= 0)
			tab_add(&t, "%llu", stat_total(s, gauge));
		for (r = 0; r < s->ncpu; r++) {
			tab_add(&t, "%s", when);
			tab_add(&t, "%u", s->cpu[r]);
			for (i = 0; i < ncols; i++)
				tab_rate(&t, delta(o->v[r * o->ncols + cols[i]],
						   s->v[r * s->ncols + cols[i]]), secs);
			if (gauge >= 0)
				tab_add(&t, "%llu", s->v[r * s->ncols + gauge]);
		}
		tab_print(&t, "");
		free(align);
	}
	{
		struct table t = { .ncols = 4, .align = "llrr" };
		bool any = false;

		tab_add(&t, "%s", when);
		tab_add(&t, "queue");
		tab_add(&t, "seen/s");
		tab_add(&t, "steered/s");
		for (i = 0; i < b->nd; i++) {
			const struct dev *d = &b->d[i], *od = NULL;

			for (j = 0; j < d->nq; j++) {
				const struct queue *q = &d->q[j];
				const struct queue *oq = find_queue(a, d->name, q->idx, &od);

				if (!oq)
					continue;
				tab_add(&t, "%s", when);
				tab_add(&t, "%s/rx-%u", d->name, q->idx);
				tab_rate(&t, delta(oq->seen, q->seen), secs);
				tab_rate(&t, delta(oq->steered, q->steered), secs);
				any = true;
			}
		}
		if (any) {
			putchar('\n');
			tab_print(&t, "");
		} else {
			for (i = 0; i < t.ncells; i++)
				free(t.cell[i]);
			free(t.cell);
		}
	}
	putchar('\n');
}

static void cmd_watch(void)
{
	long long step = (long long)(opt.interval * 1e9 + 0.5), ns;
	struct sample prev, cur;
	struct timespec next;
	long n;

	take_sample(&prev);
	next = prev.mono;
	for (n = 0; opt.count < 0 || n < opt.count; n++) {
		struct timespec now;

		ns = next.tv_nsec + step;
		next.tv_sec += ns / 1000000000;
		next.tv_nsec = ns % 1000000000;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1)	/* far behind: no burst */
			next = now;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		take_sample(&cur);
		watch_report(&prev, &cur);
		if (fflush(stdout))
			die(EXIT_ERR, "writing to standard output: %s", strerror(errno));
		free_sample(&prev);
		prev = cur;
	}
	free_sample(&prev);
}

/* Command line */

static void parse_interval(const char *a, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if ((!isdigit((unsigned char)*s) && *s != '.') || *end || errno ||
	    !isfinite(v) || v <= 0 || v > 86400)
		usage("bad number '%s' for %s: expected seconds, more than 0, such as 0.5",
		      shown(s), a);
	opt.interval = v;
	opt.interval_set = true;
}

static void parse_count(const char *a, const char *s)
{
	unsigned long long v;

	if (!parse_u64(s, &v) || !v || v > LONG_MAX)
		usage("bad number '%s' for %s: expected a count of 1 or more", shown(s), a);
	opt.count = v;
	opt.count_set = true;
}

static void need_args(const char *cmd, int npos, int min, int max)
{
	if (npos - 1 < min)
		usage("%s: missing device", cmd);
	if (npos - 1 > max)
		usage("%s: too many arguments", cmd);
}

int main(int argc, char **argv)
{
	bool dashdash = false, help = false, version = false;
	char **pos = xmalloc(argc * sizeof(*pos));
	const char *cmd;
	int npos = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		/* Not an option: after --, a lone -, a negative number. */
		if (dashdash || a[0] != '-' || !a[1] || isdigit((unsigned char)a[1])) {
			pos[npos++] = argv[i];
		} else if (!strcmp(a, "--")) {
			dashdash = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			opt.json = true;
		} else if (!strcmp(a, "--no-check")) {
			opt.no_check = true;
		} else if (!strcmp(a, "-i") || !strcmp(a, "--interval")) {
			if (++i >= argc)
				usage("%s: missing seconds", a);
			parse_interval(a, argv[i]);
		} else if (!strcmp(a, "-n") || !strcmp(a, "--count")) {
			if (++i >= argc)
				usage("%s: missing count", a);
			parse_count(a, argv[i]);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			version = true;
		} else {
			usage("unknown option '%s'", shown(a));
		}
	}
	if (help || (npos && !strcmp(pos[0], "help"))) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	if (version) {
		printf("rxsteerctl %s\n", RXSTEERCTL_VERSION);
		return EXIT_OK;
	}
	if (!npos)
		usage("no command given");
	cmd = pos[0];
	if (opt.json && strcmp(cmd, "show") && strcmp(cmd, "stats") && strcmp(cmd, "watch"))
		usage("--json applies to show, stats and watch only");
	if ((opt.interval_set || opt.count_set) && strcmp(cmd, "watch"))
		usage("-i and -n apply to watch only");
	if (opt.no_check && strcmp(cmd, "set"))
		usage("--no-check applies to set only");

	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) {
		need_args(cmd, npos, 1, 1);
		cmd_enable(pos[1], !strcmp(cmd, "attach"));
	} else if (!strcmp(cmd, "set")) {
		cmd_set(npos, pos);
	} else if (!strcmp(cmd, "show")) {
		need_args(cmd, npos, 0, 1);
		cmd_show(npos > 1 ? pos[1] : NULL);
	} else if (!strcmp(cmd, "stats")) {
		need_args(cmd, npos, 0, 1);
		cmd_stats(npos > 1 ? pos[1] : NULL);
	} else if (!strcmp(cmd, "watch")) {
		need_args(cmd, npos, 0, 0);
		cmd_watch();
	} else {
		usage("unknown command '%s'", shown(cmd));
	}
	free(pos);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_ERR, "writing to standard output: %s", strerror(errno));
	return EXIT_OK;
}
