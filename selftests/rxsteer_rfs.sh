#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFS: flows are processed on the CPU where their reader runs (UDP and TCP,
# IPv4 and IPv6, through the recvmsg probes); steering follows a reader
# that moves; readers migrating every 50 ms under load see no reordering;
# more flows than table entries stay in order; table size 0 is plain RPS;
# resizing the tables under traffic is safe and loses nothing uncounted.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
# Through a bridge namespace that funnels every packet to CPU 0 in send
# order (lib.sh), since a TCP sender transmits from several CPUs.
RXS_FUNNEL=1 rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
g=/sys/kernel/rxsteer
last=$(( $(nproc) - 1 ))
readers="1-$last"
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/backlog_limit" 100000 >/dev/null
rxs_write "$d/rx-0/cpus_list" "$readers" >/dev/null

# --- knobs ---
RXS_NS=""
rxs_check "probes off before RFS is first on" \
	sh -c "grep -q 'inet_recvmsg off' $g/probes"
rxs_check "no recvmsg probe attached before RFS is first on" \
	test -z "$(rxs_recvmsg_probes)"
rxs_check "sock_flow_entries accepts 1000" rxs_write "$g/sock_flow_entries" 1000
rxs_check "sock_flow_entries rounds up to 1024" \
	test "$(cat $g/sock_flow_entries)" = 1024
rxs_check "probes registered once RFS is on" \
	sh -c "grep -q 'inet_recvmsg registered' $g/probes && grep -q 'inet6_recvmsg registered' $g/probes"
rxs_log "ftrace: $(rxs_recvmsg_probes | xargs)"
rxs_check "probes attached to both call sites" \
	test "$(rxs_recvmsg_probes | wc -l)" = 2
rxs_expect_errno "sock_flow_entries rejects abc with EINVAL" EINVAL \
	"$g/sock_flow_entries" abc
rxs_expect_errno "sock_flow_entries rejects 99999999 with ERANGE" ERANGE \
	"$g/sock_flow_entries" 99999999
rxs_check "sock_flow_entries unchanged after bad writes" \
	test "$(cat $g/sock_flow_entries)" = 1024
RXS_NS=$RXS_NS_RX
rxs_check "flow_cnt accepts 100" rxs_write "$d/rx-0/flow_cnt" 100
rxs_check "flow_cnt rounds up to 128" test "$(rxs_rx_get rx-0/flow_cnt)" = 128
rxs_expect_errno "flow_cnt rejects 2000000 with ERANGE" ERANGE \
	"$d/rx-0/flow_cnt" 2000000
rxs_expect_errno "flow_cnt rejects -1 with EINVAL" EINVAL "$d/rx-0/flow_cnt" -1
rxs_check "flow_cnt unchanged after bad writes" \
	test "$(rxs_rx_get rx-0/flow_cnt)" = 128

# Two flows sharing a table entry fight over it, as in the kernel's RFS,
# and one of them can lose half its locality (1% of the packets here). With
# 64 flows in 32768 entries that happens in one run out of 16 per table;
# with 2^20 entries in one run out of 500: the locality checks measure
# steering, not table collisions ("more flows than entries" tests those).
rxs_write "$d/rx-0/flow_cnt" 1048576 >/dev/null
RXS_NS="" rxs_write "$g/sock_flow_entries" 1048576 >/dev/null

# locality TAG: percentage of packets processed on their reader's CPU.
locality()
{
	awk '$1 == "local" { l = $2 } $1 == "total" { t = $3 }
	     END { printf "%d", t ? 100 * l / t : 0 }' "$rxs_tmp/$1.out"
}
locality_x100()
{
	awk '$1 == "local" { l = $2 } $1 == "total" { t = $3 }
	     END { printf "%d", t ? 10000 * l / t : 0 }' "$rxs_tmp/$1.out"
}
inversions()
{
	awk '$1 == "total" { print $5 }' "$rxs_tmp/$1.out"
}

# The kernel's backlog on CPU 0 takes every packet twice (bridge, vrx):
# netdev_max_backlog (1000) must not drop there.
mb_old=$(cat /proc/sys/net/core/netdev_max_backlog)
max_backlog_restore() { echo "$mb_old" > /proc/sys/net/core/netdev_max_backlog; }
rxs_on_cleanup max_backlog_restore
echo 100000 > /proc/sys/net/core/netdev_max_backlog

# locality_runs PREFIX: readers on CPUs 1..last, packets arriving on CPU
# 0; 64 UDP flows and 16 TCP flows, IPv4 and IPv6.
locality_runs()
{
	local fam
	for fam in 4 6; do
		rxs_flows_run "$1u$fam" "$fam" 64 200 0 -w 300 -- -R "$readers"
		rxs_flows_run "$1t$fam" "$fam" 16 800 0 -T -w 300 -- -R "$readers"
	done
}

# --- locality: RFS ---
locality_runs ""
for fam in 4 6; do
	rxs_log "UDP IPv$fam: 64 flows, locality $(locality_x100 "u$fam")/10000," \
		"$(rxs_flows_total "u$fam") packets"
	rxs_check "UDP IPv$fam: all packets delivered" \
		test "$(rxs_flows_total "u$fam")" = 12800
	rxs_check "UDP IPv$fam: >= 99% processed on the reader's CPU" \
		test "$(locality_x100 "u$fam")" -ge 9900
	rxs_log "TCP IPv$fam: 16 flows, locality $(locality_x100 "t$fam")/10000"
	rxs_check "TCP IPv$fam: all records delivered" \
		test "$(rxs_flows_total "t$fam")" = 12800
	rxs_check "TCP IPv$fam: >= 99% processed on the reader's CPU" \
		test "$(locality_x100 "t$fam")" -ge 9900
done

# --- the same runs with RFS off: rxsteer RPS over the readers' CPUs ---
RXS_NS="" rxs_write "$g/sock_flow_entries" 0 >/dev/null
locality_runs rps-
RXS_NS="" rxs_write "$g/sock_flow_entries" 1048576 >/dev/null
for t in u4 u6 t4 t6; do
	rxs_log "RFS off (RPS only), $t: locality $(locality_x100 "rps-$t")/10000," \
		"$(rxs_flows_total "rps-$t") delivered"
	rxs_check "RFS off, $t: all delivered" \
		test "$(rxs_flows_total "rps-$t")" = 12800
	rxs_check "RFS off, $t: RFS locality above RPS's" \
		test "$(locality_x100 "$t")" -gt "$(locality_x100 "rps-$t")"
done

# --- follow: one reader moving between CPUs every second ---
rxs_flows_run follow 4 8 0 0 -D 4000 -i 2000 -- -m 1000 -C "$readers"
fl=$(awk '$1 == "follow"' "$rxs_tmp/follow.out")
rxs_log "follow: reader moving every 1 s: locality $(locality "follow")%," \
	"$(rxs_flows_total follow) packets; $fl (packets until local)"
# Each flow's last move may still be open when the traffic ends.
rxs_check "follow: steering followed every move of the reader" \
	test -n "$fl" -a "$(echo "$fl" | awk '{ print ($3 > 0 && $7 <= 8) }')" = 1
rxs_check "follow: within 64 packets of a move, per flow" \
	test "$(echo "$fl" | awk '{ print $9 }')" -le 64

# --- order: readers migrating every 50 ms under load for 10 s ---
# Receive-memory pruning also reorders TCP (and makes the sender
# retransmit): the load is paced so that readers keep up, and pruning is
# reported, so that OFO queueing measures steering alone.
tcpc() { ip netns exec "$1" nstat -az "$2" | awk -v k="$2" '$1 == k { print $2 + 0 }'; }
tcp_counters()
{
	local k
	for k in TcpExtTCPOFOQueue TcpExtPruneCalled TcpExtTCPBacklogDrop \
		 TcpExtTCPRcvQDrop TcpExtTCPOFODrop; do
		echo "$k $(tcpc "$RXS_NS_RX" $k)"
	done
	echo "sender:TcpRetransSegs $(tcpc "$RXS_NS_TX" TcpRetransSegs)"
	echo "softnet_dropped $(rxs_drops "$RXS_NS_RX" vrx | awk '{ print $4 }')"
}

# migration_runs PREFIX WHAT: 64 UDP flows, then 16 TCP flows, for 10 s
# each, their readers moving between CPUs 1..last every 50 ms.
migration_runs()
{
	local p=$1 what=$2 moves0 deferred0 ofo0 ofo1 ns

	moves0=$(rxs_stat_total flow_move)
	deferred0=$(rxs_stat_total flow_move_deferred)
	rxs_flows_run "${p}mig" 4 64 0 0 -D 10000 -- -R "$readers" -m 50 -C "$readers"
	rxs_log "$what, UDP migrating readers: $(rxs_flows_total "${p}mig") packets," \
		"locality $(locality "${p}mig")%, inversions $(inversions "${p}mig")," \
		"flow moves $(( $(rxs_stat_total flow_move) - moves0 ))," \
		"deferred $(( $(rxs_stat_total flow_move_deferred) - deferred0 ))"
	rxs_check "$what, UDP, readers migrating every 50 ms: zero inversions" \
		test "$(inversions "${p}mig")" = 0

	tcp_counters > "$rxs_tmp/${p}tcp0"
	rxs_flows_run "${p}tmig" 4 16 0 0 -T -D 10000 -i 500 -- -R "$readers" -m 50 -C "$readers"
	tcp_counters > "$rxs_tmp/${p}tcp1"
	rxs_log "$what, TCP migrating readers, counter deltas:" \
		"$(paste "$rxs_tmp/${p}tcp0" "$rxs_tmp/${p}tcp1" | awk '{ printf "%s +%d ", $1, $4 - $2 }')"
	ofo0=$(awk '$1 == "TcpExtTCPOFOQueue" { print $2 }' "$rxs_tmp/${p}tcp0")
	ofo1=$(awk '$1 == "TcpExtTCPOFOQueue" { print $2 }' "$rxs_tmp/${p}tcp1")
	rxs_log "$what, TCP migrating readers: $(rxs_flows_total "${p}tmig") records," \
		"locality $(locality "${p}tmig")%, inversions $(inversions "${p}tmig")," \
		"TcpExtTCPOFOQueue +$(( ${ofo1:-0} - ${ofo0:-0} ))"
	rxs_check "$what, TCP, readers migrating every 50 ms: no out-of-order queueing" \
		test "${ofo1:-0}" = "${ofo0:-0}"
	if [ "${ofo1:-0}" != "${ofo0:-0}" ]; then
		# Every TCP and IP counter that is not 0 (the namespaces are
		# this test's own), both sides: where did segments go?
		for ns in "$RXS_NS_RX" "$RXS_NS_TX"; do
			rxs_log "$ns: $(ip netns exec "$ns" nstat -az 2>/dev/null |
				awk '$2 != 0 && $1 ~ /^(Tcp|TcpExt|Ip|IpExt|Ip6)/ { printf "%s %s ", $1, $2 }')"
		done
	fi
	rxs_check "$what, TCP, readers migrating: zero inversions" \
		test "$(inversions "${p}tmig")" = 0
}
migration_runs "" RFS
RXS_NS="" rxs_write "$g/sock_flow_entries" 0 >/dev/null
migration_runs rps- "RFS off (RPS only)"

# --- more flows than entries ---
RXS_NS="" rxs_write "$g/sock_flow_entries" 16 >/dev/null
rxs_write "$d/rx-0/flow_cnt" 16 >/dev/null
rxs_flows_run small 4 64 100 0 -R "$readers" -m 50 -C "$readers"
rxs_log "64 flows, 16 entries: locality $(locality small)%"
rxs_check "more flows than entries: all delivered" \
	test "$(rxs_flows_total small)" = 6400
rxs_check "more flows than entries: zero inversions" \
	test "$(inversions small)" = 0

# --- size 0 is RPS ---
RXS_NS="" rxs_write "$g/sock_flow_entries" 0 >/dev/null
hits0=$(rxs_stat_total rfs_hit)
probe0=$(rxs_stat_total probe_hit)
rxs_flows_run off 4 64 40 0 -R "$readers"
# The probes stay attached until unload: RFS on and off patch no code.
rxs_check "sock_flow_entries 0: probes idle" rxs_probes_are idle
rxs_check "sock_flow_entries 0: both call sites still attached" \
	test "$(rxs_recvmsg_probes | wc -l)" = 2
rxs_check "sock_flow_entries 0: idle probes record nothing" \
	test "$(rxs_stat_total probe_hit)" = "$probe0"
rxs_check "sock_flow_entries 0: no RFS decision" \
	test "$(rxs_stat_total rfs_hit)" = "$hits0"
rxs_check "sock_flow_entries 0: every flow on one CPU of the RPS mask" \
	test "$(rxs_flows_split off)" = 0 -a \
	"$(awk '$1 == "cpu" && $2 == 0' "$rxs_tmp/off.out" | wc -l)" = 0

# --- resize under traffic ---
# Both tables go through 0: RFS turns on and off under the readers,
# which patches no code once the probes are registered (src/probe.c).
resize()
{
	local i
	for i in $(seq 30); do
		RXS_NS="" rxs_write "$g/sock_flow_entries" $(( (i % 4) * 1024 )) >/dev/null
		rxs_write "$d/rx-0/flow_cnt" $(( (i % 3) * 512 )) >/dev/null
		sleep 0.1
	done
}
RXS_NS="" rxs_write "$g/sock_flow_entries" 1024 >/dev/null
drops0=$(rxs_drops_total "$RXS_NS_RX" vrx)
resize &
rxs_flows_run resize 4 64 0 0 -D 4000 -- -R "$readers"
wait
drops=$(( $(rxs_drops_total "$RXS_NS_RX" vrx) - drops0 ))
sent=$(awk '{ print $2 }' "$rxs_tmp/resize.send")
rxs_log "resize under traffic: sent $sent delivered $(rxs_flows_total resize) dropped $drops"
rxs_check "resize under traffic: sent = delivered + counted drops" \
	test "$sent" = $(( $(rxs_flows_total resize) + drops ))

rxs_check "after the resizes: RFS back on, probes registered" \
	rxs_probes_are registered

# --- no probe left after unload ---
RXS_NS="" rxs_write "$g/sock_flow_entries" 256 >/dev/null
rxs_unload
rxs_check "unload with RFS on leaves no probe" \
	test -z "$(rxs_recvmsg_probes)"
rxs_dmesg_check
rxs_finish
