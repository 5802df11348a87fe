#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-rx-queue masks: a multiqueue TUN records each packet's rx queue, with
# one writer pinned per queue (its "interrupt CPU"). With different masks on
# rx-0 and rx-1, each queue's flows go to its own mask's CPUs.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
rxs_require_tun

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
ns=$(rxs_ns_add tun) || rxs_skip_all "cannot create a namespace"
RXS_NS=$ns
last=$(( $(nproc) - 1 ))
FPQ=16
NP=20
tun=rxstun0
d=/sys/class/net/$tun/rxsteer

# A persistent device, so that its counters outlive the writer.
ip -n "$ns" tuntap add dev $tun mode tun multi_queue ||
	rxs_skip_all "cannot create a multiqueue TUN device"

# Queue 0 is written on CPU 0 and steered to CPU 1; queue 1 is written on
# CPU 1 and steered to CPU $last (2 with 3 vCPUs).
ip netns exec "$ns" "$RXS_FLOWS" tun -4 -d $tun -q 2 -c 0,1 \
	-s 198.51.100.2 -a 198.51.100.1 -p 9000 -P 20000 -f $FPQ -n $NP \
	-r "$rxs_tmp/tun.ready" -W "$rxs_tmp/tun.go" >"$rxs_tmp/tun.send" &
tpid=$!
for i in $(seq 100); do
	[ -e "$rxs_tmp/tun.ready" ] && break
	sleep 0.1
done
ip -n "$ns" addr add 198.51.100.1/24 dev $tun
ip -n "$ns" link set $tun up
rxs_check "attach the TUN device" rxs_write "$d/enabled" 1
rxs_check "two rx queue directories" \
	rxs_nsfs "$ns" "test -d $d/rx-0 -a -d $d/rx-1"
rxs_write "$d/rx-0/cpus_list" 1 >/dev/null
rxs_write "$d/rx-1/cpus_list" "$last" >/dev/null
rxs_write "$d/backlog_limit" 100000 >/dev/null

ip netns exec "$ns" "$RXS_FLOWS" recv -4 -a 198.51.100.1 -p 9000 \
	-f $((2 * FPQ)) -n $NP -A 198.51.100.2 -P 20000 -t 3000 \
	-r "$rxs_tmp/recv.ready" >"$rxs_tmp/q.out" &
rpid=$!
for i in $(seq 100); do
	[ -e "$rxs_tmp/recv.ready" ] && break
	sleep 0.1
done
touch "$rxs_tmp/tun.go"
wait "$tpid"
wait "$rpid"
sed 's/^/#   /' "$rxs_tmp/q.out" | grep -v '^#   flow'

rxs_check "all packets delivered" \
	test "$(awk '$1 == "total" { print $3 }' "$rxs_tmp/q.out")" = $((2 * FPQ * NP))
# Flows 0..FPQ-1 came in on queue 0, the rest on queue 1.
bad=$(awk -v fpq=$FPQ -v c0=1 -v c1="$last" '
	$1 == "flow" { want = ($2 < fpq) ? c0 : c1;
		       if ($10 != want || $12 ~ /,/) n++ }
	END { print n + 0 }' "$rxs_tmp/q.out")
rxs_check "queue 0 flows on CPU 1, queue 1 flows on CPU $last" test "$bad" = 0
seen0=$(rxs_nsfs "$ns" "cat $d/rx-0/seen")
seen1=$(rxs_nsfs "$ns" "cat $d/rx-1/seen")
rxs_log "rx-0 seen $seen0 steered $(rxs_nsfs "$ns" "cat $d/rx-0/steered")," \
	"rx-1 seen $seen1 steered $(rxs_nsfs "$ns" "cat $d/rx-1/steered")"
rxs_check "per-queue counters saw each queue's packets" \
	test "$seen0" -ge $((FPQ * NP)) -a "$seen1" -ge $((FPQ * NP))

# Queue counts change at run time (ethtool -L): the per-queue state covers
# every possible rx queue, so nothing dangles and traffic keeps flowing.
if command -v ethtool >/dev/null; then
	rxs_veth_setup 4 || rxs_skip_all "cannot create veth namespaces"
	RXS_NS=$RXS_NS_RX
	vd=/sys/class/net/vrx/rxsteer
	rxs_write "$vd/enabled" 1 >/dev/null
	rxs_write "$vd/backlog_limit" 100000 >/dev/null
	for qi in 0 1 2 3; do
		rxs_write "$vd/rx-$qi/cpus_list" "1-$last" >/dev/null
	done
	ok=1
	for n in 1 4 2 3 1; do
		ip netns exec "$RXS_NS_RX" ethtool -L vrx rx "$n" ||
			{ ok=0; break; }
		rxs_flows_run "chan$n" 4 16 10 0 || true
		[ "$(rxs_flows_total "chan$n")" = 160 ] || {
			rxs_log "after ethtool -L rx $n: $(rxs_flows_total "chan$n") of 160"
			ok=0
		}
	done
	rxs_check "ethtool -L while attached: traffic keeps flowing" test $ok = 1
	rxs_check "ethtool -L: queue directories of every possible queue stay" \
		rxs_nsfs "$RXS_NS_RX" "test -d $vd/rx-3"
	rxs_check "detach after ethtool -L" rxs_write "$vd/enabled" 0
else
	rxs_skip "ethtool -L while attached" "ethtool not installed"
fi
rxs_dmesg_check
rxs_finish
