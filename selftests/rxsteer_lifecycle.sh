#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle under traffic: 50 cycles of load, attach, unload while packets
# are in flight; 50 attach/detach cycles under a flood without
# unloading; deleting an attached device and deleting the namespace that
# holds it while packets flow. After each, the kernel log has no warning,
# oops or leak report, and nothing of rxsteer is left behind.
#
# Not in TEST_PROGS yet: on 6.1 it reproduces a kernel oops (a call to NULL
# in __sys_recvfrom of the receiving rxs_flows) when rxsteer is unloaded
# while the RFS recvmsg probes are registered and sockets are being read.
# See the RFS issue's note; it joins the suite once that is fixed.

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
	rxs_write "$d/enabled" 1 >/dev/null &&
	rxs_write "$d/rx-0/cpus_list" "1-$last" >/dev/null &&
	rxs_write "$d/rx-0/flow_cnt" 256 >/dev/null &&
	RXS_NS="" rxs_write /sys/kernel/rxsteer/sock_flow_entries 1024 >/dev/null
}

bad_log()
{
	rxs_dmesg_new | grep -E 'WARNING:|BUG:|Oops|general protection|KASAN|kmemleak|lockdep|possible circular|refcount_t|Call Trace' | head -n 5
}

# 1. load, attach, unload with packets in flight, under one long flood.
fail=""
flood 600
for i in $(seq 50); do
	rxs_load || { fail="insmod failed at cycle $i"; break; }
	attach_steer || { fail="attach failed at cycle $i"; break; }
	sleep 0.1
	rxs_unload || { fail="rmmod failed at cycle $i"; break; }
	[ -e /sys/module/rxsteer ] && { fail="module left at cycle $i"; break; }
	b=$(bad_log)
	[ -n "$b" ] && { fail="kernel log at cycle $i: $b"; break; }
done
flood_stop
[ -n "$fail" ] && rxs_log "$fail"
rxs_check "50 cycles of load, attach, unload under traffic" test -z "$fail"

# 2. attach and detach under a flood, without unloading.
rxs_load || rxs_skip_all "insmod failed"
fail=""
flood 600
for i in $(seq 50); do
	attach_steer || { fail="attach failed at cycle $i"; break; }
	sleep 0.1
	rxs_write "$d/enabled" 0 >/dev/null || { fail="detach failed at cycle $i"; break; }
	b=$(bad_log)
	[ -n "$b" ] && { fail="kernel log at cycle $i: $b"; break; }
done
flood_stop
[ -n "$fail" ] && rxs_log "$fail"
rxs_check "50 attach/detach cycles under a flood" test -z "$fail"
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
ip netns del "$RXS_NS_TX"
ip netns del "$RXS_NS_RX"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
attach_steer
flood 3
sleep 0.5
rxs_check "deleting the namespace of an attached device under traffic" \
	ip netns del "$RXS_NS_RX"
flood_stop
rxs_check "unload after device and namespace deletion" rxs_unload
rxs_dmesg_check
rxs_finish
