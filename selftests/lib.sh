#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the rxsteer selftests: KTAP-style subtest reporting,
# module load/unload, network namespaces with automatic cleanup, kernel log
# checks and counter reading. Source it; it installs `trap rxs_cleanup EXIT`.

# kselftest exit codes
readonly KSFT_PASS=0
readonly KSFT_FAIL=1
readonly KSFT_SKIP=4

RXS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RXS_KO=${RXSTEER_KO:-$RXS_DIR/../build/$(uname -r)/rxsteer.ko}
RXS_FLOWS=$RXS_DIR/rxs_flows
RXS_TAG=rxs$$

rxs_npass=0
rxs_nfail=0
rxs_nskip=0
rxs_ntest=0
rxs_loaded=0
rxs_dmesg_start=0
rxs_tmp=$(mktemp -d /tmp/rxsteer-test.XXXXXX)

rxs_log() { echo "# $*"; }

rxs_pass()
{
	rxs_ntest=$((rxs_ntest + 1)); rxs_npass=$((rxs_npass + 1))
	echo "ok $rxs_ntest $1"
}

rxs_fail()
{
	rxs_ntest=$((rxs_ntest + 1)); rxs_nfail=$((rxs_nfail + 1))
	echo "not ok $rxs_ntest $1${2:+ # $2}"
}

rxs_skip()
{
	rxs_ntest=$((rxs_ntest + 1)); rxs_nskip=$((rxs_nskip + 1))
	echo "ok $rxs_ntest $1 # SKIP $2"
}

# rxs_check DESC CMD...: a subtest that passes when CMD succeeds.
rxs_check()
{
	local desc=$1
	shift
	if "$@"; then
		rxs_pass "$desc"
	else
		rxs_fail "$desc"
	fi
}

# rxs_write FILE VALUE: write VALUE (as is) to FILE, in namespace $RXS_NS
# when set; prints the shell's error message on failure.
rxs_write()
{
	local run="" f=$1 m
	if m=$(rxs_ns_sysfs "${RXS_NS:-}") && [ "${f#/sys/}" != "$f" ]; then
		f=$m/${f#/sys/}
		{ printf '%s' "$2" > "$f"; } 2>&1
		return
	fi
	[ -n "${RXS_NS:-}" ] && run="ip netns exec $RXS_NS"
	$run bash -c 'printf "%s" "$1" > "$2"' _ "$2" "$f" 2>&1
}

# rxs_expect_errno DESC ERRNO_NAME FILE VALUE: a write must fail with ERRNO.
rxs_expect_errno()
{
	local desc=$1 want=$2 file=$3 val=$4 out
	out=$(rxs_write "$file" "$val") && {
		rxs_fail "$desc" "write succeeded, want $want"
		return
	}
	case "$out" in
	*"$(rxs_strerror "$want")"*) rxs_pass "$desc" ;;
	*) rxs_fail "$desc" "want $want, got: ${out##*: }" ;;
	esac
}

rxs_strerror()
{
	case $1 in
	EINVAL) echo "Invalid argument" ;;
	ERANGE) echo "Numerical result out of range" ;;
	EBUSY) echo "Device or resource busy" ;;
	EPERM) echo "Operation not permitted" ;;
	E2BIG) echo "Argument list too long" ;;
	*) echo "$1" ;;
	esac
}

# Exit with the kselftest code for what was reported.
rxs_finish()
{
	echo "1..$rxs_ntest"
	echo "# Totals: pass:$rxs_npass fail:$rxs_nfail skip:$rxs_nskip"
	[ "$rxs_nfail" -gt 0 ] && exit $KSFT_FAIL
	[ "$rxs_npass" -eq 0 ] && [ "$rxs_nskip" -gt 0 ] && exit $KSFT_SKIP
	exit $KSFT_PASS
}

# Skip the whole test with a reason.
rxs_skip_all()
{
	echo "# SKIP: $*"
	exit $KSFT_SKIP
}

rxs_require_root()
{
	[ "$(id -u)" = 0 ] || rxs_skip_all "needs root"
}

rxs_require_ko()
{
	[ -f "$RXS_KO" ] ||
		rxs_skip_all "no module built for $(uname -r) at $RXS_KO (run make check)"
}

rxs_require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || rxs_skip_all "$c not installed"
	done
}

rxs_require_cpus()
{
	[ "$(nproc)" -ge "$1" ] || rxs_skip_all "needs $1 CPUs, have $(nproc)"
}

# rxs_tcg_multi: true in a QEMU guest that may run multi-threaded TCG (one
# host thread per vCPU, QEMU's default). There, code patching under load
# (text_poke_bp(): ftrace call sites, jump labels) can leave a vCPU running
# a translation of the page made while the patch's int3 was in it: "Oops:
# int3" or a CPU stuck at the patched site, with or without rxsteer
# (Documentation/limitations.rst). scripts/vm-run.sh runs single-threaded
# TCG by default and says which on the kernel command line (rxs.tcg=);
# a QEMU guest without that word is taken to be multi-threaded. KVM
# guests say kvm to systemd-detect-virt.
rxs_tcg_multi()
{
	[ "$(systemd-detect-virt --vm 2>/dev/null)" = qemu ] || return 1
	! grep -qw 'rxs.tcg=single' /proc/cmdline
}

rxs_require_tun()
{
	[ -c /dev/net/tun ] || modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] || rxs_skip_all "no /dev/net/tun"
}

rxs_load()
{
	insmod "$RXS_KO" "$@" || return 1
	rxs_loaded=1
}

rxs_unload()
{
	rmmod rxsteer || return 1
	rxs_loaded=0
}

# The ftrace call sites of inet_recvmsg and inet6_recvmsg that have a
# callback attached (rxsteer's RFS probes, in a VM where nothing else
# traces them), one line each from tracefs' enabled_functions.
rxs_recvmsg_probes()
{
	rxs_tracefs &&
		grep -E '^inet6?_recvmsg ' "$RXS_TRACEFS/enabled_functions" 2>/dev/null
}

# rxs_probes_are STATE: both lines of /sys/kernel/rxsteer/probes say
# STATE (registered, idle, off).
rxs_probes_are()
{
	test "$(cat /sys/kernel/rxsteer/probes 2>/dev/null | xargs)" = \
		"inet_recvmsg $1 inet6_recvmsg $1"
}

# rxs_tracefs: mount tracefs at $RXS_TRACEFS unless it is there; fails
# without one. rxs_require_tracefs: skip the test without one.
RXS_TRACEFS=/sys/kernel/tracing
rxs_tracefs()
{
	[ -d "$RXS_TRACEFS/events" ] ||
		mount -t tracefs nodev "$RXS_TRACEFS" 2>/dev/null
	[ -d "$RXS_TRACEFS/events" ]
}

rxs_require_tracefs()
{
	rxs_tracefs || rxs_skip_all "no tracefs at $RXS_TRACEFS"
}

# rxs_trace_end: rxsteer's trace events off, tracing off, ring emptied.
rxs_trace_end()
{
	echo 0 > "$RXS_TRACEFS/events/rxsteer/enable" 2>/dev/null
	echo 0 > "$RXS_TRACEFS/tracing_on"
	echo > "$RXS_TRACEFS/trace"
}

# rxs_trace_restore_at_exit: for a test that traces (and may resize the
# ring): at exit, rxs_trace_end, then the ring's size and tracing_on as
# they were.
rxs_trace_restore_at_exit()
{
	# Reads "7 (expanded: 1408)" before the buffer was first used.
	rxs_trace_size=$(sed 's/.*expanded: \([0-9]*\).*/\1/' \
		"$RXS_TRACEFS/buffer_size_kb")
	rxs_on_cleanup rxs_trace_restore
}

rxs_trace_restore()
{
	rxs_trace_end
	echo "$rxs_trace_size" > "$RXS_TRACEFS/buffer_size_kb"
	echo 1 > "$RXS_TRACEFS/tracing_on"
}

# Kernel log: remember where this test starts, and check what it added.
rxs_dmesg_mark()
{
	rxs_dmesg_start=$(dmesg | wc -l)
}

rxs_dmesg_new()
{
	dmesg | tail -n +"$((rxs_dmesg_start + 1))"
}

# Fails the subtest when the kernel warned, oopsed or reported a leak.
rxs_dmesg_check()
{
	local bad
	bad=$(rxs_dmesg_new | grep -E 'WARNING:|BUG:|Oops|general protection|KASAN|kmemleak|lockdep|possible circular|refcount_t|Call Trace|stack segment')
	if [ -n "$bad" ]; then
		echo "$bad" | sed 's/^/# dmesg: /'
		rxs_fail "kernel log clean"
	else
		rxs_pass "kernel log clean"
	fi
}

# rxs_ns_add NAME: a network namespace removed again at exit (every
# namespace named $RXS_TAG-*: callers run this in $(...)); prints its full
# name. Its sysfs is mounted once under $rxs_tmp/sys/ for rxs_write and
# rxs_rx_get/set: an `ip netns exec` per access mounts a fresh sysfs and
# costs most of a second under TCG.
rxs_ns_add()
{
	local ns="$RXS_TAG-$1"
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	mkdir -p "$rxs_tmp/sys/$ns" &&
		nsenter --net="/run/netns/$ns" mount -t sysfs sysfs \
		"$rxs_tmp/sys/$ns" || rmdir "$rxs_tmp/sys/$ns" 2>/dev/null
	echo "$ns"
}

# rxs_ns_sysfs NS: where NS's sysfs is mounted, if it is.
rxs_ns_sysfs()
{
	[ -n "$1" ] && [ -d "$rxs_tmp/sys/$1/class" ] && echo "$rxs_tmp/sys/$1"
}

# rxs_ns_del NS: delete NS (its sysfs mount first: it holds the namespace).
rxs_ns_del()
{
	umount "$rxs_tmp/sys/$1" 2>/dev/null
	rmdir "$rxs_tmp/sys/$1" 2>/dev/null
	ip netns del "$1"
}

# rxs_on_cleanup CMD: run CMD at exit, before namespaces go (for global
# settings a test changed).
rxs_cleanup_cmds=""
rxs_on_cleanup()
{
	rxs_cleanup_cmds="$rxs_cleanup_cmds $1"
}

# rxs_optmem_raise NS: net.core.optmem_max at least 256 KB, in the initial
# namespace and in NS, until the test's cleanup. rxs_flows recv -F's
# filters need it: a load is 4 eBPF instructions once converted, charged
# to the socket's optmem (2000 loads: about 64 KB a socket). The sysctl is
# global on 6.1 and per namespace since 6.9 (128 KB by default there).
rxs_optmem_raise()
{
	# Keep the value found first: a second call must not restore ours.
	if [ -z "${rxs_optmem_old:-}" ]; then
		rxs_optmem_old=$(cat /proc/sys/net/core/optmem_max)
		rxs_on_cleanup rxs_optmem_restore
	fi
	[ "$rxs_optmem_old" -ge 262144 ] ||
		echo 262144 > /proc/sys/net/core/optmem_max
	ip netns exec "$1" sh -c \
		'[ "$(cat /proc/sys/net/core/optmem_max)" -ge 262144 ] ||
		echo 262144 > /proc/sys/net/core/optmem_max' 2>/dev/null
}

rxs_optmem_restore()
{
	echo "$rxs_optmem_old" > /proc/sys/net/core/optmem_max
}

rxs_cleanup()
{
	local ns c
	for c in $rxs_cleanup_cmds; do
		"$c"
	done
	for ns in $(ip netns list | awk -v t="$RXS_TAG-" 'index($1, t) == 1 { print $1 }'); do
		rxs_ns_del "$ns" 2>/dev/null
	done
	[ "$rxs_loaded" = 1 ] && rmmod rxsteer 2>/dev/null
	rm -rf "$rxs_tmp"
}
trap rxs_cleanup EXIT

# rxs_stat_col CPU NAME: one column of /proc/net/rxsteer_stat for one CPU.
rxs_stat_col()
{
	awk -v cpu="$1" -v name="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == cpu { print $col[name] }' /proc/net/rxsteer_stat
}

# rxs_stat_total NAME: a counter summed over CPUs (/sys/kernel/rxsteer).
rxs_stat_total()
{
	cat "/sys/kernel/rxsteer/stats/$1"
}

# rxs_veth_setup: a sender namespace $RXS_NS_TX (device vtx) and a receiver
# namespace $RXS_NS_RX (device vrx, numrxqueues ${1:-1}) joined by veth,
# with 198.51.100.1/.2 and 2001:db8::1/::2, static neighbours, no DAD.
RXS_TX4=198.51.100.1
RXS_RX4=198.51.100.2
RXS_TX6=2001:db8::1
RXS_RX6=2001:db8::2
#
# With RXS_FUNNEL=1, vtx and vrx are joined through a bridge in a third
# namespace $RXS_NS_BR instead (vtx - vb0 [br0] vb1 - vrx), whose kernel
# RPS sends every packet to CPU 0 when it is transmitted: packets then
# reach vrx on CPU 0 in the order the sender sent them, as from a NIC
# queue, even when the sender transmits from several CPUs (a TCP sender
# does: TSQ and timers run where the skb is freed or the timer fires).
rxs_veth_setup()
{
	local nq=${1:-1} ns
	RXS_NS_TX=$(rxs_ns_add tx) && RXS_NS_RX=$(rxs_ns_add rx) || return 1
	if [ "${RXS_FUNNEL:-0}" = 1 ]; then
		RXS_NS_BR=$(rxs_ns_add br) || return 1
		ip link add vtx netns "$RXS_NS_TX" type veth \
			peer name vb0 netns "$RXS_NS_BR" || return 1
		ip link add vb1 netns "$RXS_NS_BR" type veth peer name vrx \
			netns "$RXS_NS_RX" numrxqueues "$nq" numtxqueues "$nq" ||
			return 1
		ip -n "$RXS_NS_BR" link add br0 type bridge stp_state 0 || return 1
		for ns in vb0 vb1; do
			ip -n "$RXS_NS_BR" link set "$ns" master br0 up
			rxs_nsfs "$RXS_NS_BR" \
				"echo 1 > /sys/class/net/$ns/queues/rx-0/rps_cpus"
		done
		ip -n "$RXS_NS_BR" link set br0 up
	else
		ip link add vtx netns "$RXS_NS_TX" numrxqueues "$nq" \
			numtxqueues "$nq" type veth peer name vrx \
			netns "$RXS_NS_RX" numrxqueues "$nq" \
			numtxqueues "$nq" || return 1
	fi
	for ns in "$RXS_NS_TX" "$RXS_NS_RX"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf.default.router_solicitations=0
	done
	ip -n "$RXS_NS_TX" addr add "$RXS_TX4/24" dev vtx
	ip -n "$RXS_NS_RX" addr add "$RXS_RX4/24" dev vrx
	ip -n "$RXS_NS_TX" addr add "$RXS_TX6/64" dev vtx nodad
	ip -n "$RXS_NS_RX" addr add "$RXS_RX6/64" dev vrx nodad
	ip -n "$RXS_NS_TX" link set vtx up
	ip -n "$RXS_NS_RX" link set vrx up
	local mtx mrx
	mtx=$(ip -n "$RXS_NS_TX" -br link show vtx | awk '{print $3}')
	# (With RXS_FUNNEL the bridge is transparent: the same entries hold.)
	mrx=$(ip -n "$RXS_NS_RX" -br link show vrx | awk '{print $3}')
	ip -n "$RXS_NS_TX" neigh replace "$RXS_RX4" lladdr "$mrx" dev vtx nud permanent
	ip -n "$RXS_NS_RX" neigh replace "$RXS_TX4" lladdr "$mtx" dev vrx nud permanent
	ip -n "$RXS_NS_TX" neigh replace "$RXS_RX6" lladdr "$mrx" dev vtx nud permanent
	ip -n "$RXS_NS_RX" neigh replace "$RXS_TX6" lladdr "$mtx" dev vrx nud permanent
}

# rxs_nsfs NS CMD: run a shell command in NS, with its /sys.
rxs_nsfs()
{
	ip netns exec "$1" sh -c "$2"
}

# rxs_rx_get PATH-UNDER-rxsteer, rxs_rx_set PATH-UNDER-rxsteer VALUE: read
# or write a file of vrx, as seen from inside its namespace (sysfs shows a
# namespace's devices only there).
rxs_rx_get()
{
	local m
	m=$(rxs_ns_sysfs "$RXS_NS_RX") || {
		rxs_nsfs "$RXS_NS_RX" "cat /sys/class/net/vrx/rxsteer/$1"
		return
	}
	cat "$m/class/net/vrx/rxsteer/$1"
}

rxs_rx_set()
{
	local m
	m=$(rxs_ns_sysfs "$RXS_NS_RX") || {
		rxs_nsfs "$RXS_NS_RX" "echo '$2' > /sys/class/net/vrx/rxsteer/$1"
		return
	}
	echo "$2" > "$m/class/net/vrx/rxsteer/$1"
}

# rxs_snap FILE: save /proc/net/rxsteer_stat.
rxs_snap()
{
	cat /proc/net/rxsteer_stat > "$1"
}

# rxs_snap_delta OLD NEW NAME: "cpu delta" lines for one column.
rxs_snap_delta()
{
	awk -v name="$3" '
		FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		FILENAME == ARGV[1] { old[$1] = $col[name]; next }
		{ print $1, $col[name] - old[$1] }' "$1" "$2"
}

# rxs_flows_run TAG FAMILY NFLOWS NPKTS SENDCPU [ARGS...]: receive in
# $RXS_NS_RX, send from $RXS_NS_TX pinned to SENDCPU; the receiver report
# lands in $rxs_tmp/TAG.out, the sender's in $rxs_tmp/TAG.send. ARGS go to
# the receiver; with "SEND_ARGS -- RECV_ARGS", the part before -- goes to
# the sender. -T (TCP) goes to both. Flow i is TX:SPORT+i -> RX:9000+i,
# with a fresh SPORT range per call (no TIME_WAIT clash between runs).
# The sender's pid is in $rxs_tmp/TAG.send.pid while it runs: a sender
# with -D stops at SIGTERM and reports what it sent.
rxs_flows_seq=0
rxs_flows_run()
{
	local tag=$1 fam=$2 nflows=$3 npkts=$4 cpu=$5 src dst i a
	local -a sargs=() rargs=()
	local rpid spid
	shift 5
	if [[ " $* " == *" -- "* ]]; then
		while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
		shift
	fi
	rargs=("$@")
	for a in "${sargs[@]}" "${rargs[@]}"; do
		[ "$a" = -T ] || continue
		[[ " ${sargs[*]} " == *" -T "* ]] || sargs+=(-T)
		[[ " ${rargs[*]} " == *" -T "* ]] || rargs+=(-T)
	done
	rxs_flows_seq=$((rxs_flows_seq + 1))
	local sport=$((20000 + 200 * (rxs_flows_seq % 200)))
	if [ "$fam" = 6 ]; then src=$RXS_TX6 dst=$RXS_RX6; else src=$RXS_TX4 dst=$RXS_RX4; fi
	rm -f "$rxs_tmp/$tag.ready"
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv "-$fam" -a "$dst" -p 9000 \
		-f "$nflows" -n "$npkts" -A "$src" -P "$sport" -t 3000 \
		-r "$rxs_tmp/$tag.ready" "${rargs[@]}" >"$rxs_tmp/$tag.out" &
	rpid=$!
	for i in $(seq 100); do
		[ -e "$rxs_tmp/$tag.ready" ] && break
		sleep 0.1
	done
	# ip netns exec execs the command: $! is rxs_flows itself.
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send "-$fam" -a "$dst" -p 9000 \
		-S "$src" -P "$sport" -f "$nflows" -n "$npkts" -c "$cpu" -w 0 \
		"${sargs[@]}" >"$rxs_tmp/$tag.send" &
	spid=$!
	echo "$spid" > "$rxs_tmp/$tag.send.pid"
	wait "$spid"
	rm -f "$rxs_tmp/$tag.send.pid"
	wait "$rpid"
}

# rxs_flows_cpus TAG: "cpu count" lines of a receiver report.
rxs_flows_cpus()
{
	awk '$1 == "cpu" { print $2, $4 }' "$rxs_tmp/$1.out"
}

# rxs_flows_total TAG: packets received.
rxs_flows_total()
{
	awk '$1 == "total" { print $3 }' "$rxs_tmp/$1.out"
}

# rxs_flows_split TAG: number of flows whose packets were processed on
# more than one CPU.
rxs_flows_split()
{
	awk '$1 == "flow" && $12 ~ /,/ { n++ } END { print n + 0 }' \
		"$rxs_tmp/$1.out"
}

# rxs_drops NS DEV: the drops a user can read for traffic received on DEV
# in namespace NS, as "RXSTEER UDP DEV SOFTNET": rxsteer's (drop_backlog,
# drop_nomem, drop_detached, drop_flow_limit), the UDP sockets' of NS
# (Udp and Udp6 InErrors), DEV's rx_dropped and the kernel's own backlog
# (softnet_stat, all CPUs). A kernel backlog drop counts in both DEV and
# SOFTNET (enqueue_to_backlog()): the drops of DEV's packets are the sum
# of the first three; SOFTNET is there to be shown.
rxs_drops()
{
	local udp dev sn=0 x
	udp=$(ip netns exec "$1" nstat -az 2>/dev/null |
		awk '$1 ~ /^Udp6?InErrors$/ { n += $2 } END { print n + 0 }')
	dev=$(ip -n "$1" -s -j link show "$2" |
		sed -n 's/.*"rx":{[^}]*"dropped":\([0-9]*\).*/\1/p')
	for x in $(awk '{ print $2 }' /proc/net/softnet_stat); do
		sn=$((sn + 16#$x))
	done
	echo $(( $(rxs_stat_total drop_backlog) + $(rxs_stat_total drop_nomem) +
		 $(rxs_stat_total drop_detached) +
		 $(rxs_stat_total drop_flow_limit) )) "$udp" "${dev:-0}" "$sn"
}

# rxs_drops_total NS DEV: the drops of DEV's packets, one number (the sum
# of rxs_drops' first three).
rxs_drops_total()
{
	rxs_drops "$1" "$2" | awk '{ print $1 + $2 + $3 }'
}
