#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Attach and detach through /sys/class/net/DEV/rxsteer/enabled and the
# `attach` module parameter; refusal on a bridge port (-EBUSY) and with
# kernel RPS on (-EBUSY, message naming the queue); kernel RPS enabled later
# is counted; device deletion, namespace moves and renames.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cmd ip

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer

in_rx() { rxs_nsfs "$RXS_NS_RX" "$1"; }

rxs_check "not attached at first" test "$(rxs_rx_get enabled)" = 0
rxs_check "no queue directory before attach" in_rx "! test -e $d/rx-0"
rxs_check "attach" rxs_write "$d/enabled" 1
rxs_check "enabled reads 1" test "$(rxs_rx_get enabled)" = 1
rxs_check "queue directory after attach" in_rx "test -f $d/rx-0/cpus"
rxs_check "attach logged" sh -c "dmesg | tail -n 5 | grep -q 'vrx: rxsteer: attached'"
rxs_check "attach twice is a no-op" rxs_write "$d/enabled" 1
rxs_check "detach" rxs_write "$d/enabled" 0
rxs_check "queue directory gone after detach" in_rx "! test -e $d/rx-0"

# A bridge port has the bridge's rx_handler.
ip -n "$RXS_NS_RX" link add rxsbr type bridge
ip -n "$RXS_NS_RX" link add rxsb0 type veth peer name rxsb1
ip -n "$RXS_NS_RX" link set rxsb0 master rxsbr
rxs_expect_errno "bridge port refused" EBUSY \
	/sys/class/net/rxsb0/rxsteer/enabled 1
rxs_check "bridge refusal explained in the log" \
	sh -c "dmesg | tail -n 5 | grep -q 'rxsb0: rxsteer: cannot attach: the device already has an rx_handler'"

# Kernel RPS on a queue: refused, naming the queue.
in_rx "echo 1 > /sys/class/net/vrx/queues/rx-0/rps_cpus"
rxs_expect_errno "attach refused with kernel RPS on" EBUSY "$d/enabled" 1
rxs_check "kernel RPS refusal names rx-0" \
	sh -c "dmesg | tail -n 5 | grep -q 'vrx: rxsteer: cannot attach: kernel RPS is enabled on rx-0'"
in_rx "echo 0 > /sys/class/net/vrx/queues/rx-0/rps_cpus"
in_rx "echo 64 > /sys/class/net/vrx/queues/rx-0/rps_flow_cnt"
rxs_expect_errno "attach refused with kernel RFS on (rps_flow_cnt)" EBUSY \
	"$d/enabled" 1
in_rx "echo 0 > /sys/class/net/vrx/queues/rx-0/rps_flow_cnt"
rxs_write "$d/enabled" 1 >/dev/null
rxs_write "$d/rx-0/cpus_list" "1-$(( $(nproc) - 1 ))" >/dev/null
in_rx "echo 1 > /sys/class/net/vrx/queues/rx-0/rps_cpus"
rxs_check "with kernel RPS enabled later, packets still get through" \
	ip netns exec "$RXS_NS_TX" ping -q -c 3 -i 0.2 -W 2 "$RXS_RX4"
rxs_check "kernel RPS enabled later is counted" \
	test "$(rxs_rx_get kernel_rps_conflicts)" -ge 3
in_rx "echo 0 > /sys/class/net/vrx/queues/rx-0/rps_cpus"

# Rename keeps the attachment; a namespace move detaches.
ip -n "$RXS_NS_RX" link set vrx down
ip -n "$RXS_NS_RX" link set vrx name vrxr
rxs_check "renamed device stays attached" \
	test "$(in_rx 'cat /sys/class/net/vrxr/rxsteer/enabled')" = 1
ip -n "$RXS_NS_RX" link set vrxr name vrx
ip -n "$RXS_NS_RX" link set vrx up
ns2=$(rxs_ns_add moved)
ip -n "$RXS_NS_RX" link set vrx netns "$ns2"
rxs_check "moved device is detached in its new namespace" \
	test "$(rxs_nsfs "$ns2" "cat $d/enabled")" = 0
RXS_NS=$ns2
rxs_check "moved device can attach again" rxs_write "$d/enabled" 1
rxs_check "deleting an attached device" ip -n "$ns2" link del vrx
rxs_check "unload with nothing attached" rxs_unload

# The attach parameter, for devices of the initial namespace.
RXS_NS=""
ip link add "$RXS_TAG-p0" type veth peer name "$RXS_TAG-p1"
rxs_load attach="$RXS_TAG-p0,rxsnosuchdev"
rxs_check "attach= parameter attaches" \
	test "$(cat /sys/class/net/$RXS_TAG-p0/rxsteer/enabled)" = 1
rxs_check "attach= parameter reports a missing device" \
	sh -c "dmesg | tail -n 5 | grep -q 'cannot attach rxsnosuchdev: -19'"
ip link del "$RXS_TAG-p0"
rxs_dmesg_check
rxs_finish
