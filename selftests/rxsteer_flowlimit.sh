#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow limit: with a small backlog_limit, one heavy UDP flow flooding and
# four light flows steered to the same CPU. With flow_limit 0 the heavy
# flow fills the backlog and the light flows lose packets in drop_backlog;
# with flow_limit 1 the heavy flow's excess is dropped in drop_flow_limit
# (one rxs_drop reason=flow_limit event each) and the light flows lose
# nothing. In both, sent = delivered + counted drops. The knob's parsing
# and errors leave the old value in place.
#
# The backlog must fill whatever the machine's speed (these tests run
# under TCG, where a guest's relative costs are not a native machine's):
# the target CPU has to be the slow end of the pipeline by construction.
# Packets arrive on the senders' CPUs, where rxsteer's rx_handler only
# queues them; IP, UDP and the socket's filter run on the target CPU when
# its backlog poll re-delivers them. Every receiving socket carries a
# classic BPF filter (rxs_flows recv -F) of FILTER_LEN loads of
# SKF_AD_PAY_OFFSET, each a run of the kernel's flow dissector over the
# packet: per packet, the target does FILTER_LEN times the work of a flow
# dissection, far more than the whole send, veth and rx_handler path of
# the sender's CPU (measured: 40 times more natively, about 50 times
# under TCG: 5 ms against 0.1 ms), so the sender outpaces it. No busy
# loop, priority or scheduler behaviour is involved (a SCHED_FIFO hog on
# the target slowed its poll on 6.1 only: on 6.12 network softirqs run at
# irq exit even with ksoftirqd pending).
#
# The sender must not be paced by the target either: a packet stays
# charged to the sending socket until the target CPU's ip_rcv() orphans
# it, so the test raises net.core.wmem_default far above what LIMIT
# packets take (with the default, about 270 packets in flight block the
# sender, the backlog never reaches LIMIT and flow_limit 0 never drops).
#
# What is checked only depends on counts, and no step waits for a time to
# pass: the light flows start once a drop counter moved (the backlog is
# full, or the heavy flow limited), the heavy flow stops once they are
# done, and the receivers are stopped once the target has processed every
# packet steered to it and no socket holds an unread one (the 30 s and
# 60 s bounds of those waits are failure exits, far from the few seconds
# they take).
#
# The flow-limit bucket of a flow is its hash modulo 4096, and veth
# traffic carries the hash of the sending socket (sk_txhash, random per
# connect()): a light flow shares the heavy flow's bucket with odds of
# about 1 in 1000 per run, and is then limited with it, as in the
# kernel's skb_flow_limit(). Ports cannot avoid that; the rxs_steer and
# rxs_drop events tell each flow's hash and its flow-limit drops, so the
# flow_limit 1 half accounts for such a light flow exactly and says so.

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
# IPv4 only: IPv6 control packets (MLD, ND) would be steered, and maybe
# dropped, with the test's packets and upset sent = delivered + drops.
for ns in "$RXS_NS_TX" "$RXS_NS_RX"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$ns" sh -c 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done'
done
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
fl=$d/flow_limit
# Every flow to one CPU, the last: packets arrive on the senders' CPUs, 0
# (heavy) and 1 (light), the readers run on CPU 1.
target=$(( $(nproc) - 1 ))
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/rx-0/cpus_list" "$target" >/dev/null

# 1. The knob and the counter.
rxs_check "flow_limit exists and is 0 by default" \
	test "$(rxs_rx_get flow_limit)" = 0
rxs_check "flow_limit takes 1" rxs_write "$fl" 1
rxs_check "flow_limit reads 1" test "$(rxs_rx_get flow_limit)" = 1
for v in abc -1 " 1" "1 " $'\n' 0x 1x; do
	rxs_expect_errno "flow_limit '${v//$'\n'/\\n}': EINVAL" EINVAL "$fl" "$v"
done
for v in 2 256 4294967296; do
	rxs_expect_errno "flow_limit '$v': ERANGE" ERANGE "$fl" "$v"
done
rxs_check "flow_limit: failed writes kept 1" test "$(rxs_rx_get flow_limit)" = 1
rxs_write "$fl" $'0\n' >/dev/null
rxs_check "flow_limit takes 0 with a newline" test "$(rxs_rx_get flow_limit)" = 0
rxs_write "$fl" 0x1 >/dev/null
rxs_check "flow_limit takes 0x1" test "$(rxs_rx_get flow_limit)" = 1
rxs_write "$fl" 0 >/dev/null
rxs_check "counter drop_flow_limit in /sys/kernel/rxsteer/stats" \
	test "$(rxs_stat_total drop_flow_limit)" = 0
rxs_check "column drop_flow_limit in /proc/net/rxsteer_stat" \
	test "$(rxs_stat_col 0 drop_flow_limit)" = 0
rxs_check "rxs_drop knows reason flow_limit" \
	grep -q '"flow_limit"' "$tr/events/rxsteer/rxs_drop/format"

# 2. Traffic: a heavy flow and four light ones, all to CPU $target.
rxs_trace_restore_at_exit
# Per CPU; the heavy flow's events are all on CPU 0: an rxs_steer (about
# 40 bytes) per packet and an rxs_drop (about 32) per drop, for at most
# HMAX_ON heavy packets.
echo 20480 > "$tr/buffer_size_kb"

# The slow filter (see the top), charged to the sockets' optmem.
FILTER_LEN=2000
rxs_optmem_raise "$RXS_NS_RX"

# A packet stays charged to the sending socket across veth (neither
# veth_xmit() nor skb_scrub_packet() orphans it) until ip_rcv_core() does,
# on the target CPU: with the default SO_SNDBUF (net.core.wmem_default, 208 KB,
# about 270 such packets) the sender blocks while that many wait in the
# backlog, fewer than LIMIT / 2, and the backlog never fills: the sender
# runs at the target's pace. 4 MB lets thousands be in flight. Global in
# 6.1 and 6.12; the receiver sets its own SO_RCVBUF.
wmem_old=$(cat /proc/sys/net/core/wmem_default)
wmem_cleanup() { echo "$wmem_old" > /proc/sys/net/core/wmem_default; }
rxs_on_cleanup wmem_cleanup
echo 4194304 > /proc/sys/net/core/wmem_default

# With flow_limit 1 the heavy flow is noted from LIMIT / 2 queued packets
# on and limited once it holds more than half of the 128-entry history:
# it never holds more than LIMIT / 2 + 65 slots. The NL * NP light packets
# fit in the rest even if the target CPU processed none of them: their
# loss is 0 by construction, not by timing.
LIMIT=512
NL=4		# light flows
NP=40		# packets per light flow, 4 a round, one round each 20 ms
[ $((NL * NP)) -lt $((LIMIT / 2 - 65)) ] || rxs_skip_all "light flows too big"
HMAX_ON=120000	# flow_limit 1: at most this many heavy packets (the trace)
HDUR=60000	# ms the heavy flow floods at most: it is stopped once the
		# light flows are done
rxs_write "$d/backlog_limit" $LIMIT >/dev/null

all_drops() { rxs_drops "$RXS_NS_RX" vrx | awk '{ print $1 + $2 + $3 }'; }
# drops_now: sets drops to drop_backlog + drop_flow_limit; now_ms: sets ms
# to CLOCK_REALTIME in ms. Without forks: one costs milliseconds under TCG.
drops_now()
{
	local b f
	read -r b < /sys/kernel/rxsteer/stats/drop_backlog
	read -r f < /sys/kernel/rxsteer/stats/drop_flow_limit
	drops=$((b + f))
}
now_ms() { local t=${EPOCHREALTIME/[.,]/}; ms=$((t / 1000)); }

# target_idle: the target CPU's backlog poll has re-delivered every packet
# steered to it (processed = steered_in: none queued, none in the poll's
# hands) and no UDP socket of the receiver's namespace holds an unread
# packet: every packet sent has been counted by now, delivered or dropped.
target_idle()
{
	local -a f
	local col_in=0 col_done=0 i q
	while read -r -a f; do
		if [ "${f[0]}" = cpu ]; then
			for i in "${!f[@]}"; do
				[ "${f[i]}" = steered_in ] && col_in=$i
				[ "${f[i]}" = processed ] && col_done=$i
			done
		elif [ "${f[0]}" = "$target" ]; then
			[ "${f[col_in]}" = "${f[col_done]}" ] || return 1
		fi
	done < /proc/net/rxsteer_stat
	# /proc/net follows the reading task's namespace.
	q=$(nsenter --net="/run/netns/$RXS_NS_RX" cat /proc/net/udp |
		awk 'NR > 1 { split($5, q, ":"); if (q[2] != "00000000") n++ }
			END { print n + 0 }')
	[ "$q" = 0 ]
}

# run_mix TAG HMAX: receivers on CPU 1 for the heavy flow (port 9000) and
# the NL light flows (ports 9100..), every socket with the slow filter.
# The heavy flow floods from CPU 0 (at most HMAX packets, 0: no limit);
# once an rxsteer drop shows that the backlog is full (flow_limit 0) or
# the heavy flow limited (flow_limit 1), the light flows send NP packets
# each, 4 a round, one round each 20 ms, from CPU 1: off the heavy
# sender's CPU (the flow history is the target backlog's, whatever the
# arrival CPU). Once they are done the heavy flow is stopped (SIGTERM:
# rxs_flows send -D reports what it sent), so the light flows always meet
# it, however slowly they run (a 20 ms round took about 400 ms on 6.12-rt
# under TCG). Once target_idle, the receivers are stopped and report.
# Results in $rxs_tmp/TAG.{heavy,light}.{out,send}; sets fill_ms, the
# time until that first drop (-1: none while the heavy flow sent), and
# drain_ms, the time from the end of sending to target_idle (-1: not
# within 60 s).
mix_seq=0
run_mix()
{
	local tag=$1 hmax=$2 hs ls hpid lpid spid d0 t0 i
	mix_seq=$((mix_seq + 1))
	hs=$((30000 + 100 * mix_seq)) ls=$((30050 + 100 * mix_seq))
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9000 \
		-f 1 -A "$RXS_TX4" -P "$hs" -t 60000 -c 1 -F $FILTER_LEN \
		-r "$rxs_tmp/$tag.heavy.ready" >"$rxs_tmp/$tag.heavy.out" &
	hpid=$!
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9100 \
		-f $NL -n $NP -A "$RXS_TX4" -P "$ls" -t 60000 -c 1 -F $FILTER_LEN \
		-r "$rxs_tmp/$tag.light.ready" >"$rxs_tmp/$tag.light.out" &
	lpid=$!
	for i in $(seq 100); do
		[ -e "$rxs_tmp/$tag.heavy.ready" ] &&
			[ -e "$rxs_tmp/$tag.light.ready" ] && break
		sleep 0.1
	done
	drops_now
	d0=$drops
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9000 \
		-S "$RXS_TX4" -P "$hs" -f 1 -D $HDUR -n "$hmax" -b 16 -c 0 -w 0 \
		>"$rxs_tmp/$tag.heavy.send" &
	spid=$!
	now_ms
	t0=$ms fill_ms=-1
	while :; do
		drops_now
		now_ms
		[ "$drops" -gt "$d0" ] && { fill_ms=$((ms - t0)); break; }
		[ $((ms - t0)) -lt 30000 ] && kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9100 \
		-S "$RXS_TX4" -P "$ls" -f $NL -n $NP -b 4 -i 20000 -c 1 -w 0 \
		>"$rxs_tmp/$tag.light.send"
	kill -TERM "$spid" 2>/dev/null
	wait "$spid"
	now_ms
	t0=$ms drain_ms=-1
	while :; do
		if target_idle; then
			now_ms
			drain_ms=$((ms - t0))
			break
		fi
		now_ms
		[ $((ms - t0)) -lt 60000 ] || break
		sleep 0.1
	done
	kill -TERM "$hpid" "$lpid" 2>/dev/null
	wait "$hpid" "$lpid"
}

sent_of() { awk '$1 == "sent" { print $2 }' "$rxs_tmp/$1.send"; }
rx_of() { awk '$1 == "total" { print $3 }' "$rxs_tmp/$1.out"; }

# check_mix TAG MODE HMAX: run the mix with flow_limit MODE, report, and
# check what holds in both modes; sets hs, ls, light_loss, dfl, dbl.
check_mix()
{
	local tag=$1 mode=$2 d0 b0 f0 sent got dropped hr lr t_start
	rxs_write "$fl" "$mode" >/dev/null
	t_start=$SECONDS
	d0=$(all_drops)
	b0=$(rxs_stat_total drop_backlog)
	f0=$(rxs_stat_total drop_flow_limit)
	run_mix "$tag" "$3"
	dropped=$(( $(all_drops) - d0 ))
	dbl=$(( $(rxs_stat_total drop_backlog) - b0 ))
	dfl=$(( $(rxs_stat_total drop_flow_limit) - f0 ))
	hs=$(sent_of "$tag.heavy") hr=$(rx_of "$tag.heavy")
	ls=$(sent_of "$tag.light") lr=$(rx_of "$tag.light")
	sent=$((hs + ls)) got=$((hr + lr)) light_loss=$((ls - lr))
	rxs_log "flow_limit $mode, backlog_limit $LIMIT, filter $FILTER_LEN:" \
		"first drop within $fill_ms ms, drained in $drain_ms ms; heavy sent $hs delivered $hr;" \
		"light ($NL flows) sent $ls delivered $lr lost $light_loss;" \
		"drop_backlog $dbl drop_flow_limit $dfl, all counted drops $dropped;" \
		"$((SECONDS - t_start)) s"
	rxs_check "flow_limit $mode: the backlog overflowed before the light flows started" \
		test "$fill_ms" -ge 0
	rxs_check "flow_limit $mode: every packet delivered or dropped within 60 s" \
		test "$drain_ms" -ge 0
	rxs_check "flow_limit $mode: sent = delivered + counted drops" \
		test "$sent" = $((got + dropped)) -a "$ls" = $((NL * NP))
	rxs_check "flow_limit $mode: nothing left in any backlog" \
		test "$(awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/rxsteer_stat)" = 0
}

# 2a. On: the heavy flow's excess goes, the light flows lose nothing.
rxs_trace_end
echo 1 > "$tr/events/rxsteer/rxs_drop/enable"
echo 1 > "$tr/events/rxsteer/rxs_steer/enable"
echo 1 > "$tr/tracing_on"
check_mix on 1 $HMAX_ON
sleep 1
echo 0 > "$tr/tracing_on"
# Per hash: its rxs_steer events and the flow-limit drops that followed
# one of them on the same CPU (the drop of that very packet: steering and
# enqueue run back to back with BH off).
awk '{
	if (!match($0, /\[[0-9]+\]/)) next
	cpu = substr($0, RSTART + 1, RLENGTH - 2)
	if ($0 ~ /rxs_steer: dev=vrx /) {
		match($0, /hash=0x[0-9a-f]+/)
		last[cpu] = substr($0, RSTART + 7, RLENGTH - 7)
		n[last[cpu]]++
	} else if ($0 ~ /rxs_drop: dev=vrx .*reason=flow_limit/) {
		ev++
		d[last[cpu]]++
	}
} END {
	print "events", ev + 0
	for (h in n) print "hash", h, n[h], d[h] + 0
}' "$tr/trace" > "$rxs_tmp/on.hashes"
rxs_trace_end
ev=$(awk '$1 == "events" { print $2 }' "$rxs_tmp/on.hashes")
steered=$(awk '$1 == "hash" { n += $3 } END { print n + 0 }' "$rxs_tmp/on.hashes")
rxs_log "flow_limit 1: $ev rxs_drop reason=flow_limit events, $steered rxs_steer"
rxs_check "flow_limit 1: the heavy flow's excess counted in drop_flow_limit" \
	test "$dfl" -gt 0
rxs_check "flow_limit 1: one rxs_drop reason=flow_limit event per drop" \
	test "$ev" = "$dfl"
rxs_check "flow_limit 1: one rxs_steer event per packet sent" \
	test "$steered" = $((hs + ls))
# The heavy flow's hash is the one with the most packets; a light flow in
# its bucket (hash % 4096) is limited with it: its flow-limit drops are
# its whole loss. Every other light flow loses nothing.
heavy=$(grep '^hash ' "$rxs_tmp/on.hashes" | sort -k3,3nr | awk '{ print $2; exit }')
heavy=${heavy:-0}
shared=0 shared_drops=0 other_drops=0 nh=0
# From a file, not <(...): a loop that read nothing would pass the check.
grep '^hash ' "$rxs_tmp/on.hashes" > "$rxs_tmp/on.hashlines"
while read -r _ h n dr; do
	nh=$((nh + 1))
	[ "$h" = "$heavy" ] && continue
	if [ $((16#$h & 4095)) = $((16#$heavy & 4095)) ]; then
		shared=$((shared + 1)) shared_drops=$((shared_drops + dr))
		rxs_log "flow_limit 1: light flow hash 0x$h shares bucket" \
			"$((16#$h & 4095)) with the heavy flow (0x$heavy):" \
			"$dr of its $n packets limited with it"
	else
		other_drops=$((other_drops + dr))
	fi
done < "$rxs_tmp/on.hashlines"
rxs_log "flow_limit 1: $nh flow hashes, $shared light flow(s) in the heavy" \
	"flow's bucket, $shared_drops flow-limit drops of theirs," \
	"$other_drops of the others"
rxs_check "flow_limit 1: light flows lose nothing (but for one in the heavy flow's bucket)" \
	test "$nh" -ge $((NL + 1)) -a "$light_loss" = "$shared_drops" -a "$other_drops" = 0

# 2b. Off: the heavy flow fills the backlog, the light flows lose.
check_mix off 0 0
rxs_check "flow_limit 0: no drop_flow_limit" test "$dfl" = 0
rxs_check "flow_limit 0: light flows lose packets, counted in drop_backlog" \
	test "$light_loss" -gt 0 -a "$dbl" -ge "$light_loss"

rxs_dmesg_check
rxs_finish
