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

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"

tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
[ -d "$tr/events" ] || rxs_skip_all "no tracefs at $tr"
rxs_require_cmd chrt taskset
# The busy loop below runs SCHED_FIFO: only RT throttling bounds it.
rt=$(cat /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null)
[ "${rt:--1}" -ge 0 ] && [ "$rt" -le 950000 ] ||
	rxs_skip_all "RT throttling is off (sched_rt_runtime_us ${rt:-unset})"

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
# Every flow to one CPU, the last: packets arrive on the sender's CPU 0,
# the readers run on CPU 1.
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
trace_end()
{
	echo 0 > "$tr/events/rxsteer/enable" 2>/dev/null
	echo 0 > "$tr/tracing_on"
	echo > "$tr/trace"
}
trace_old_size=$(sed 's/.*expanded: \([0-9]*\).*/\1/' "$tr/buffer_size_kb")
trace_cleanup()
{
	trace_end
	echo "$trace_old_size" > "$tr/buffer_size_kb"
	echo 1 > "$tr/tracing_on"
}
rxs_on_cleanup trace_cleanup
echo 8192 > "$tr/buffer_size_kb"

# With flow_limit 1 the heavy flow is noted from LIMIT / 2 queued packets
# on and limited once it holds more than half of the 128-entry history:
# it never holds more than LIMIT / 2 + 65 slots. The NL * NP light packets
# fit in the rest even if the target CPU processed none of them: their
# loss is 0 by construction, not by timing.
LIMIT=512
NL=4		# light flows
NP=40		# packets per light flow, one round each 50 ms
[ $((NL * NP)) -lt $((LIMIT / 2 - 65)) ] || rxs_skip_all "light flows too big"
HMAX=40000	# at most this many heavy packets: the trace buffer holds them
rxs_write "$d/backlog_limit" $LIMIT >/dev/null

# run_mix TAG: the heavy flow floods for 5 s from CPU 0; 1.5 s in (once
# the backlog's flow history has filled), the light flows send NP packets
# each, also from CPU 0, for about 2 s. Meanwhile a SCHED_FIFO busy loop
# on the target CPU keeps its backlog poll, once the kernel hands it to
# ksoftirqd (or, on PREEMPT_RT, a thread), to the 5% that RT throttling
# leaves: the target falls behind the sender whatever the host's speed,
# and the backlog fills. Results in $rxs_tmp/TAG.{heavy,light}.*.
# The busy loop is killed directly: a helper of the same SCHED_FIFO
# priority on its CPU (timeout(1), say) would never run to do it. A
# watchdog off that CPU kills it after 15 s whatever happens.
hog_pid=""
hog_wd=""
hog_stop()
{
	[ -n "$hog_pid" ] && kill -KILL "$hog_pid" 2>/dev/null
	[ -n "$hog_wd" ] && kill "$hog_wd" 2>/dev/null
	wait $hog_pid $hog_wd 2>/dev/null
	hog_pid="" hog_wd=""
}
rxs_on_cleanup hog_stop
mix_seq=0
run_mix()
{
	local tag=$1 hs ls hpid lpid spid i
	mix_seq=$((mix_seq + 1))
	hs=$((30000 + 100 * mix_seq)) ls=$((30050 + 100 * mix_seq))
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9000 \
		-f 1 -A "$RXS_TX4" -P "$hs" -t 2000 -c 1 \
		-r "$rxs_tmp/$tag.heavy.ready" >"$rxs_tmp/$tag.heavy.out" &
	hpid=$!
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9100 \
		-f $NL -n $NP -A "$RXS_TX4" -P "$ls" -t 2000 -c 1 \
		-r "$rxs_tmp/$tag.light.ready" >"$rxs_tmp/$tag.light.out" &
	lpid=$!
	for i in $(seq 100); do
		[ -e "$rxs_tmp/$tag.heavy.ready" ] &&
			[ -e "$rxs_tmp/$tag.light.ready" ] && break
		sleep 0.1
	done
	taskset -c "$target" chrt -f 1 sh -c 'while :; do :; done' &
	hog_pid=$!
	taskset -c 0 sh -c "sleep 15; kill -KILL $hog_pid" 2>/dev/null &
	hog_wd=$!
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9000 \
		-S "$RXS_TX4" -P "$hs" -f 1 -D 5000 -n $HMAX -b 16 -c 0 -w 0 \
		>"$rxs_tmp/$tag.heavy.send" &
	spid=$!
	sleep 1.5
	ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9100 \
		-S "$RXS_TX4" -P "$ls" -f $NL -n $NP -i 50000 -c 0 -w 0 \
		>"$rxs_tmp/$tag.light.send"
	wait "$spid"
	hog_stop
	wait "$hpid" "$lpid"
}

sent_of() { awk '$1 == "sent" { print $2 }' "$rxs_tmp/$1.send"; }
rx_of() { awk '$1 == "total" { print $3 }' "$rxs_tmp/$1.out"; }
all_drops() { rxs_drops "$RXS_NS_RX" vrx | awk '{ print $1 + $2 + $3 }'; }

# check_mix TAG MODE: run the mix with flow_limit MODE, report, and check
# what holds in both modes; sets light_loss, dfl, dbl.
check_mix()
{
	local tag=$1 mode=$2 d0 b0 f0 sent got dropped hs hr ls lr
	rxs_write "$fl" "$mode" >/dev/null
	d0=$(all_drops)
	b0=$(rxs_stat_total drop_backlog)
	f0=$(rxs_stat_total drop_flow_limit)
	run_mix "$tag"
	dropped=$(( $(all_drops) - d0 ))
	dbl=$(( $(rxs_stat_total drop_backlog) - b0 ))
	dfl=$(( $(rxs_stat_total drop_flow_limit) - f0 ))
	hs=$(sent_of "$tag.heavy") hr=$(rx_of "$tag.heavy")
	ls=$(sent_of "$tag.light") lr=$(rx_of "$tag.light")
	sent=$((hs + ls)) got=$((hr + lr)) light_loss=$((ls - lr))
	rxs_log "flow_limit $mode, backlog_limit $LIMIT: heavy sent $hs delivered $hr;" \
		"light ($NL flows) sent $ls delivered $lr lost $light_loss;" \
		"drop_backlog $dbl drop_flow_limit $dfl, all counted drops $dropped"
	rxs_check "flow_limit $mode: sent = delivered + counted drops" \
		test "$sent" = $((got + dropped)) -a "$ls" = $((NL * NP))
	rxs_check "flow_limit $mode: nothing left in any backlog" \
		test "$(awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/rxsteer_stat)" = 0
}

# 2a. On: the heavy flow's excess goes, the light flows lose nothing.
trace_end
echo 1 > "$tr/events/rxsteer/rxs_drop/enable"
echo 1 > "$tr/tracing_on"
check_mix on 1
sleep 1
echo 0 > "$tr/tracing_on"
ev=$(grep -c 'rxs_drop: dev=vrx .*reason=flow_limit' "$tr/trace")
trace_end
rxs_log "flow_limit 1: $ev rxs_drop reason=flow_limit events"
rxs_check "flow_limit 1: the heavy flow's excess counted in drop_flow_limit" \
	test "$dfl" -gt 0
rxs_check "flow_limit 1: light flows lose nothing" test "$light_loss" = 0
rxs_check "flow_limit 1: one rxs_drop reason=flow_limit event per drop" \
	test "$ev" = "$dfl"

# 2b. Off: the heavy flow fills the backlog, the light flows lose. It
# runs second, so that TCG has translated the code paths and the sender
# runs at full speed.
check_mix off 0
rxs_check "flow_limit 0: no drop_flow_limit" test "$dfl" = 0
rxs_check "flow_limit 0: light flows lose packets, counted in drop_backlog" \
	test "$light_loss" -gt 0 -a "$dbl" -ge "$light_loss"

rxs_dmesg_check
rxs_finish
