#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracepoints, enabled through tracefs: rxs_steer reports each steering
# decision (CPU within the mask, how it was chosen), rxs_flow_move each RFS
# flow move (done or deferred, new CPU a reader's CPU), rxs_drop each drop
# with its reason; each event count equals its counter's delta.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"

rxs_require_tracefs
tr=$RXS_TRACEFS

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
# IPv4 only: IPv6 control packets (MLD, ND) would add decisions of their
# own, from whatever CPU sent them, to the events counted below.
for ns in "$RXS_NS_TX" "$RXS_NS_RX"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$ns" sh -c 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done'
done
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
g=/sys/kernel/rxsteer
last=$(( $(nproc) - 1 ))
readers="1-$last"
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/rx-0/cpus_list" "$readers" >/dev/null
rxs_write "$d/backlog_limit" 100000 >/dev/null

rxs_trace_restore_at_exit

# trace_run EVENTS CMD...: trace EVENTS (under events/rxsteer/) while CMD
# runs, and one second more so that packets still in flight are traced
# too (the counters read afterwards count them); the trace lands in
# $rxs_tmp/trace.
trace_run()
{
	local ev
	rxs_trace_end
	for ev in $1; do
		echo 1 > "$tr/events/rxsteer/$ev/enable"
	done
	shift
	echo 1 > "$tr/tracing_on"
	"$@"
	sleep 1
	echo 0 > "$tr/tracing_on"
	cat "$tr/trace" > "$rxs_tmp/trace"
	rxs_trace_end
}

echo 8192 > "$tr/buffer_size_kb"
rxs_check "events/rxsteer has rxs_steer, rxs_flow_move, rxs_drop" \
	test -d "$tr/events/rxsteer/rxs_steer" -a \
	-d "$tr/events/rxsteer/rxs_flow_move" -a -d "$tr/events/rxsteer/rxs_drop"
rxs_check "rxs_steer format names its fields" \
	sh -c "grep -q 'field:unsigned int cpu' $tr/events/rxsteer/rxs_steer/format &&
	       grep -q 'field:u32 hash' $tr/events/rxsteer/rxs_steer/format"

# 1. RPS: one rxs_steer per steered packet, CPU in the mask, how=rps.
s0=$(rxs_stat_total steered_out)
trace_run rxs_steer rxs_flows_run rps 4 16 25 0
steered=$(( $(rxs_stat_total steered_out) - s0 ))
ev=$(grep -c 'rxs_steer: dev=vrx' "$rxs_tmp/trace")
bad=$(grep 'rxs_steer: dev=vrx' "$rxs_tmp/trace" |
	awk -v last="$last" '{ for (i = 1; i <= NF; i++) if ($i ~ /^(cpu|how)=/) {
		split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["cpu"] < 1 || f["cpu"] > last || f["how"] != "rps") n++ }
		END { print n + 0 }')
rxs_log "RPS: $steered packets steered, $ev rxs_steer events, $bad off the mask"
rxs_check "rxs_steer: one event per steered packet" \
	test "$ev" = "$steered" -a "$steered" -ge 400
rxs_check "rxs_steer: every CPU in the mask, how=rps" test "$bad" = 0
rxs_check "rxs_steer: events fired on the arrival CPU 0" \
	test "$(grep 'rxs_steer: dev=vrx' "$rxs_tmp/trace" | grep -vc '\[000\]')" = 0

# 2. RFS: flow moves to the readers' CPUs, counted as the counters count.
RXS_NS="" rxs_write "$g/sock_flow_entries" 4096 >/dev/null
rxs_write "$d/rx-0/flow_cnt" 4096 >/dev/null
m0=$(rxs_stat_total flow_move)
f0=$(rxs_stat_total flow_move_deferred)
h0=$(rxs_stat_total rfs_hit)
trace_run "rxs_steer rxs_flow_move" \
	rxs_flows_run rfs 4 16 0 0 -D 3000 -i 2000 -- -R "$readers" -m 100 -C "$readers"
moves=$(( $(rxs_stat_total flow_move) - m0 ))
deferred=$(( $(rxs_stat_total flow_move_deferred) - f0 ))
hits=$(( $(rxs_stat_total rfs_hit) - h0 ))
ev_move=$(grep -c 'rxs_flow_move:.*deferred=0' "$rxs_tmp/trace")
ev_def=$(grep -c 'rxs_flow_move:.*deferred=1' "$rxs_tmp/trace")
ev_rfs=$(grep -c 'rxs_steer: dev=vrx.*how=rfs' "$rxs_tmp/trace")
bad=$(grep 'rxs_flow_move:' "$rxs_tmp/trace" |
	sed -n 's/.*new_cpu=\([0-9]*\).*/\1/p' |
	awk -v last="$last" '$1 < 1 || $1 > last { n++ } END { print n + 0 }')
rxs_log "RFS, migrating readers: flow_move $moves ($ev_move events)," \
	"deferred $deferred ($ev_def events), rfs_hit $hits ($ev_rfs how=rfs)"
rxs_check "rxs_flow_move: one event per move" \
	test "$ev_move" = "$moves" -a "$moves" -gt 0
rxs_check "rxs_flow_move: one event per deferred move" test "$ev_def" = "$deferred"
rxs_check "rxs_flow_move: every new CPU is a reader's CPU" test "$bad" = 0
rxs_check "rxs_steer: how=rfs for every RFS hit" test "$ev_rfs" = "$hits"
RXS_NS="" rxs_write "$g/sock_flow_entries" 0 >/dev/null
rxs_write "$d/rx-0/flow_cnt" 0 >/dev/null

# 3. Drops: a flood into an 8-packet backlog.
rxs_write "$d/backlog_limit" 8 >/dev/null
b0=$(rxs_stat_total drop_backlog)
trace_run rxs_drop rxs_flows_run drop 4 16 200 0 -i 0 -b 64 -- -t 1500
drops=$(( $(rxs_stat_total drop_backlog) - b0 ))
ev=$(grep -c 'rxs_drop: dev=vrx .*reason=backlog_full' "$rxs_tmp/trace")
rxs_log "flood into an 8-packet backlog: drop_backlog $drops, $ev rxs_drop events"
rxs_check "rxs_drop: one backlog_full event per counted drop" \
	test "$ev" = "$drops" -a "$drops" -gt 0
rxs_write "$d/backlog_limit" 100000 >/dev/null

rxs_dmesg_check
rxs_finish
