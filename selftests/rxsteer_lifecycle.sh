#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle under traffic: 50 cycles of load, attach, unload while packets
# are in flight; 50 attach/detach cycles under a flood without
# unloading; deleting an attached device and deleting the namespace that
# holds it while packets flow. After each, the kernel log has no warning,
# oops or leak report, and nothing of rxsteer is left behind.
#
# It found a kernel oops (a call to address 0 in __sys_recvfrom of the
# receiving rxs_flows, in about one cycle out of 24 on 6.1) that came from
# the RFS probes being kprobes; see src/probe.c.
#
# Each unload cycle turns RFS on, so it registers the recvmsg probes and
# rmmod unregisters them: ftrace patches inet_recvmsg() under the reader.
# Under multi-threaded QEMU TCG that patching fails with or without
# rxsteer (scripts/patch-control.sh, Documentation/limitations.rst): there
# the cycles leave RFS off, and that part is a visible skip.
# scripts/vm-run.sh runs single-threaded TCG, where the cycles turn RFS on.
#
# Not in TEST_PROGS: 4 to 13 minutes per kernel under TCG, more than make
# check's time budget leaves; `make check-lifecycle` runs it on every lane.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
last=$(( $(nproc) - 1 ))

echo "TAP version 13"
rxs_dmesg_mark
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
rfs=1
if rxs_tcg_multi; then
	rfs=0
	rxs_skip "RFS on in the cycles: probes registered and unregistered under readers" \
		"multi-threaded QEMU TCG: code patching under load fails without rxsteer (limitations.rst)"
fi

# flood SECONDS: UDP from CPU 0 of the sender namespace to a receiver,
# both in the background; flood_stop ends both.
flood()
{
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9000 \
		-f 32 -n 0 -t 1000 >/dev/null 2>&1 &
	rpid=$!
	sleep 0.2
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9000 \
		-f 32 -n 0 -D "$(( $1 * 1000 ))" -c 0 -w 0 >/dev/null 2>&1 &
	spid=$!
}

flood_stop()
{
	kill "$spid" "$rpid" 2>/dev/null
	wait
}

attach_steer()
{
	ip netns exec "$RXS_NS_RX" sh -c "echo 1 > $d/enabled &&
		echo 1-$last > $d/rx-0/cpus_list &&
		echo 256 > $d/rx-0/flow_cnt" &&
	echo 1024 > /sys/kernel/rxsteer/sock_flow_entries
}

# cycles LOAD: 50 cycles of [insmod,] attach with RPS and RFS (RFS only
# if $rfs is 1), 0.1 s of traffic, [rmmod | detach], each followed by a
# look at the kernel log.
# The loop runs in one shell inside the receiving namespace (where vrx's
# sysfs directory is; /sys/kernel/rxsteer is the same in every
# namespace): an `ip netns exec` per write would take most of the time
# under TCG. Prints "cycles N" after the last clean cycle, or why not.
cycles()
{
	ip netns exec "$RXS_NS_RX" bash -c '
		load=$1 ko=$2 d=$3 last=$4 start=$5 bad=$6 rfs=$7
		for i in $(seq 50); do
			if [ "$load" = 1 ]; then
				insmod "$ko" || { echo "insmod failed at cycle $i"; exit 1; }
			fi
			{ echo 1 > $d/enabled &&
			  echo 1-$last > $d/rx-0/cpus_list &&
			  echo 256 > $d/rx-0/flow_cnt &&
			  { [ "$rfs" = 0 ] ||
			    echo 1024 > /sys/kernel/rxsteer/sock_flow_entries; }; } ||
				{ echo "attach failed at cycle $i"; exit 1; }
			sleep 0.1
			if [ "$load" = 1 ]; then
				rmmod rxsteer || { echo "rmmod failed at cycle $i"; exit 1; }
				[ -e /sys/module/rxsteer ] &&
					{ echo "module left at cycle $i"; exit 1; }
			else
				echo 0 > $d/enabled ||
					{ echo "detach failed at cycle $i"; exit 1; }
			fi
			b=$(dmesg | tail -n +"$start" | grep -E "$bad" | head -n 5)
			[ -n "$b" ] && { echo "kernel log at cycle $i: $b"; exit 1; }
			echo "cycles $i"
		done' _ "$1" "$RXS_KO" "$d" "$last" "$((rxs_dmesg_start + 1))" \
		'WARNING:|BUG:|Oops|general protection|KASAN|kmemleak|lockdep|possible circular|refcount_t|Call Trace' \
		"$rfs" |
		tail -n 1
}

# 1. load, attach, unload with packets in flight, under one long flood.
t0=$SECONDS
flood 600
out=$(cycles 1)
flood_stop
[ -e /sys/module/rxsteer ] && rxs_loaded=1
rxs_log "load, attach, RFS $([ $rfs = 1 ] && echo on || echo off), unload under a flood: $out, $((SECONDS - t0)) s"
rxs_check "50 cycles of load, attach, unload under traffic" \
	test "$out" = "cycles 50"

# 2. attach and detach under a flood, without unloading.
[ -e /sys/module/rxsteer ] || rxs_load || rxs_skip_all "insmod failed"
t0=$SECONDS
flood 600
out=$(cycles 0)
flood_stop
rxs_log "attach, detach under a flood: $out, $((SECONDS - t0)) s," \
	"drop_detached $(rxs_stat_total drop_detached)"
rxs_check "50 attach/detach cycles under a flood" test "$out" = "cycles 50"
rxs_check "detached: every backlog empty" \
	test "$(awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/rxsteer_stat)" = 0

# 3. delete an attached device with packets in flight.
attach_steer
flood 3
sleep 0.5
rxs_check "ip link del of an attached device under traffic" \
	ip -n "$RXS_NS_RX" link del vrx
flood_stop

# 4. delete the namespace holding an attached device, in flight.
rxs_ns_del "$RXS_NS_TX"
rxs_ns_del "$RXS_NS_RX"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
attach_steer
flood 3
sleep 0.5
rxs_check "deleting the namespace of an attached device under traffic" \
	rxs_ns_del "$RXS_NS_RX"
flood_stop
rxs_check "unload after device and namespace deletion" rxs_unload
rxs_dmesg_check
rxs_finish
