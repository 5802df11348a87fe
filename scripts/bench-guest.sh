#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark VM (scripts/bench.sh): the matrix of steering
# modes x scenarios, as described in Documentation/benchmark.rst.
#
# Traffic: tools/bench/rxs_load between two network namespaces joined by a
# veth pair (vtx -> vrx, GRO on vrx, so vrx is received in NAPI context like
# a NIC queue). Every sender thread is pinned to the arrival CPU (0): all
# packets enter vrx's NAPI poll on CPU 0, as from a single-queue NIC whose
# interrupt goes to CPU 0.
#
# Each cell (scenario x mode x repetition) sets its mode up, runs the
# traffic, snapshots the counters at the edges of the measured window
# (rxs_load server -S), tears the mode down and checks that nothing is left
# (no rxsteer module, no rps_cpus/rps_flow_cnt, rps_sock_flow_entries 0, no
# XDP program). The network namespaces and the veth pair are created anew
# for each scenario of each repetition.
#
# Output: progress lines starting with "# ", one "@@rxsbench-meta {json}"
# line, one "@@rxsbench-scenario {json}" line per scenario, one
# "@@rxsbench-cell BASE64" line per cell (the cell's raw files, tar.gz:
# tools/bench/collect.py turns them into a record on the host) and
# "@@rxsbench-end" at the end.
#
# Usage: bench-guest.sh [--quick] [--reps N] [--scenarios "S1sat S2 ..."]
#                       [--modes "none krps ..."] [--warmup MS]
#                       [--duration MS] [--profile]
#
# --profile: perf record (cpu-clock, every CPU) over each cell's measured
# window; prints "# profile" lines, the top kernel symbols on the arrival
# CPU and on the others. It perturbs the rates: a separate run.
# Environment: RXSTEER_KO (the module), RXS_LOAD (the load tool).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
KO=${RXSTEER_KO:-$top/build/$(uname -r)/rxsteer.ko}
LOAD=${RXS_LOAD:-$top/tools/bench/rxs_load}

ALL_SCEN="S1sat S1half S2 S3 S3t S4 S5a S5b S6"
ALL_MODES="none krps krfs xdp rxrps rxrpsl rxrfs"
QUICK_SCEN="S1sat S1half S2 S6"
reps=5
scen=$ALL_SCEN
modes=$ALL_MODES
warm=1000
dur=2500
quick=0
profile=0

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; reps=1; scen=$QUICK_SCEN; warm=500; dur=1500; shift ;;
	--reps) reps=$2; shift 2 ;;
	--scenarios) scen=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--warmup) warm=$2; shift 2 ;;
	--duration) dur=$2; shift 2 ;;
	--profile) profile=1; shift ;;
	*) echo "bench-guest: unknown argument $1" >&2; exit 2 ;;
	esac
done

NCPU=$(nproc)
ARR=0				# arrival CPU: every sender thread runs here
LAST=$((NCPU - 1))
OTHERS="1-$LAST"		# readers, masks and XDP targets
OTHERS_HEX=$(printf '%x' $(( (1 << NCPU) - 2 )))
SOCK_ENTRIES=32768		# RFS tables, both kernels' and rxsteer's
FLOW_CNT=32768
BACKLOG=10000			# netdev_max_backlog and rxsteer backlog_limit
LINGER=50			# poll_linger_us of mode rxrpsl
NS_TX=rxsb-tx
NS_RX=rxsb-rx
TX4=198.51.100.1
RX4=198.51.100.2
MAC_TX=02:00:00:00:00:01
MAC_RX=02:00:00:00:00:02
PORT=10000
SPORT=30000
# The receiving namespace's sysfs, mounted once per namespace, so that its
# knobs are plain files here: no "ip netns exec" (a fork and a sysfs mount
# each time, slow under TCG) per read or write.
RXSYS=/run/rxsb-sys
Q=$RXSYS/class/net/vrx/queues/rx-0
RXS=$RXSYS/class/net/vrx/rxsteer
SOCKFLOW=/proc/sys/net/core/rps_sock_flow_entries
tmp=$(mktemp -d /tmp/rxsbench.XXXXXX)
xdp_pid=""

log() { echo "# $*"; }

# microseconds now, and seconds between two of them, without a fork
now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { local d=$(( $2 - $1 )); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

# text as the inside of a JSON string
json_str() { printf '%s' "$1" | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# nsx NS CMD...: CMD in network namespace NS (only the network namespace:
# /proc/net follows it, /sys does not)
nsx() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

# wait_file FILE PID TRIES PAUSE: until FILE exists, PID dies, or TRIES
# pauses of PAUSE seconds have passed; true if FILE exists
wait_file()
{
	local i
	for i in $(seq "$3"); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep "$4"
	done
	[ -e "$1" ]
}

put() { echo "$2" > "$1"; }

# xdp-bench detaches its program on SIGINT or SIGTERM (SIGINT is ignored
# by a job started with & in a script); killed, it would leave its lock
# file behind and the next one would refuse to start.
XDP_LOCK=/run/xdp-bench.lck
xdp_stop()
{
	local i
	[ -n "$xdp_pid" ] || return 0
	kill -TERM "$xdp_pid" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$xdp_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$xdp_pid" 2>/dev/null && echo "xdp-bench: no exit 20 s after SIGTERM, killed"
	kill -KILL "$xdp_pid" 2>/dev/null
	wait "$xdp_pid" 2>/dev/null
	xdp_pid=""
	rm -f $XDP_LOCK
}

cleanup()
{
	xdp_stop
	put $SOCKFLOW 0
	[ -d /sys/kernel/rxsteer ] && put /sys/kernel/rxsteer/sock_flow_entries 0
	[ -d /sys/module/rxsteer ] && rmmod rxsteer
	net_teardown
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$NCPU" -ge 2 ] || { echo "bench-guest: needs 2 CPUs or more" >&2; exit 2; }
[ -f "$KO" ] || { echo "bench-guest: no module at $KO" >&2; exit 2; }
[ -x "$LOAD" ] || { echo "bench-guest: no load tool at $LOAD" >&2; exit 2; }

# Keep kernel messages off the console the results are read from.
dmesg -n 1
sysctl -qw net.core.netdev_max_backlog=$BACKLOG
ulimit -n 65536

# ---------------------------------------------------------------- network

# Few commands: each one is a fork and an exec, slow under TCG.
net_setup()
{
	printf 'netns add %s\nnetns add %s\n' "$NS_TX" "$NS_RX" | ip -b - ||
		return 1
	ip link add vtx netns "$NS_TX" address $MAC_TX type veth \
		peer name vrx netns "$NS_RX" address $MAC_RX || return 1
	ip -n "$NS_TX" -b - <<-EOF || return 1
		link set lo up
		addr add $TX4/24 dev vtx
		neigh replace $RX4 lladdr $MAC_RX dev vtx nud permanent
	EOF
	ip -n "$NS_RX" -b - <<-EOF || return 1
		link set lo up
		addr add $RX4/24 dev vrx
		neigh replace $TX4 lladdr $MAC_TX dev vrx nud permanent
	EOF
	# GRO on the receiving veth: its packets go through a NAPI poll
	# (veth_poll) on the sender's CPU, like a NIC queue's.
	nsx "$NS_RX" ethtool -K vrx gro on >/dev/null || return 1
	# Checksums computed by the sender, in every mode: a CHECKSUM_PARTIAL
	# skb that XDP turns into an xdp_frame and cpumap back into an skb
	# arrives with a checksum never filled in, and UDP and TCP drop it.
	nsx "$NS_TX" ethtool -K vtx tx off >/dev/null || return 1
	printf 'link set vtx up\n' | ip -n "$NS_TX" -b - &&
	printf 'link set vrx up\n' | ip -n "$NS_RX" -b - || return 1
	mkdir -p $RXSYS
	# sysfs shows the devices of the namespace of whoever mounts it
	nsx "$NS_RX" mount -t sysfs sysfs $RXSYS || return 1
	[ -d $Q ] || { echo "bench-guest: $Q missing" >&2; return 1; }
}

net_teardown()
{
	local i
	[ -d $RXSYS/class ] && umount $RXSYS
	printf 'netns del %s\nnetns del %s\n' "$NS_TX" "$NS_RX" |
		ip -force -b - 2>/dev/null
	# veth and netns removal finish asynchronously
	for i in $(seq 50); do
		[ -e /run/netns/$NS_TX ] || [ -e /run/netns/$NS_RX ] || break
		sleep 0.1
	done
}

# ------------------------------------------------------------------ modes

# Per-scenario parameters, set by scen_params.
S_PROTO='' S_FLOWS='' S_READERS='' S_MIG='' S_RR='' S_SIZE='' S_BURST=''
S_RATE='' S_SOCK='' S_FC='' S_MASK='' S_MASKHEX='' S_XDPCPUS='' S_DESC=

scen_params()
{
	S_PROTO=udp S_RR=0 S_SIZE=64 S_BURST=1 S_RATE=0 S_MIG=""
	S_READERS=$OTHERS S_SOCK=$SOCK_ENTRIES S_FC=$FLOW_CNT
	S_MASK=$OTHERS S_MASKHEX=$OTHERS_HEX S_XDPCPUS=$OTHERS
	case "$1" in
	S1sat) S_FLOWS=2048
	       S_DESC="2048 UDP flows, 64 B, at saturation" ;;
	S1half) S_FLOWS=2048 S_RATE=${half_rate:-0}
		S_DESC="2048 UDP flows, 64 B, at half of kernel RPS's S1sat rate" ;;
	S2) S_PROTO=tcp S_RR=1 S_FLOWS=64
	    S_DESC="64 TCP connections, 64 B request/response, readers on CPUs $OTHERS" ;;
	S3) S_FLOWS=256 S_MIG=50
	    S_DESC="256 UDP flows at saturation, readers move every 50 ms" ;;
	S3t) S_PROTO=tcp S_FLOWS=16 S_SIZE=1000 S_BURST=16 S_MIG=50
	     S_DESC="16 TCP streams, readers move every 50 ms" ;;
	S4) S_PROTO=tcp S_FLOWS=1 S_SIZE=1000 S_BURST=64 S_READERS=$LAST
	    S_DESC="one TCP stream (1000 B records, 64 KB writes), reader on CPU $LAST" ;;
	S5a) S_FLOWS=4096 S_SOCK=256 S_FC=256
	     S_DESC="4096 UDP flows over RFS tables of 256 entries" ;;
	S5b) S_FLOWS=64 S_SOCK=2 S_FC=2
	     S_DESC="64 UDP flows over RFS tables of 2 entries: every slot shared by flows read on different CPUs" ;;
	S6) S_FLOWS=1 S_READERS=$ARR S_MASK=$ARR S_MASKHEX=1 S_XDPCPUS=$ARR
	    S_DESC="one UDP flow read on the arrival CPU $ARR, masks = CPU $ARR" ;;
	*) return 1 ;;
	esac
}

# Modes per scenario: S5 is about RFS tables; rxsteer RPS with lingering
# where rates, interrupts and latency tell its cost (S3, S3t and S4 are
# about order, which lingering does not touch); kernel RPS is every
# scenario's baseline.
scen_modes()
{
	case "$1" in
	S5a|S5b) echo "krps krfs rxrfs" ;;
	S3|S3t|S4) echo "${ALL_MODES/ rxrpsl/}" ;;
	*) echo "$ALL_MODES" ;;
	esac
}

# Something a cell left behind? Prints what.
check_clean()
{
	local bad="" v
	[ -d /sys/module/rxsteer ] && bad+=" rxsteer-loaded"
	[ "$(< $SOCKFLOW)" = 0 ] || bad+=" rps_sock_flow_entries"
	if [ -e $Q/rps_cpus ]; then
		v=$(< $Q/rps_cpus)
		v=${v//[0,]/}
		[ -z "$v" ] || bad+=" rps_cpus"
		[ "$(< $Q/rps_flow_cnt)" = 0 ] || bad+=" rps_flow_cnt"
		v=$(ip -n "$NS_RX" -o link show vrx)
		[[ "$v" == *" xdp"* ]] && bad+=" xdp"
	fi
	echo "$bad"
}

xdp_attached() { [[ "$(ip -n "$NS_RX" -o link show vrx)" == *" xdp"* ]]; }

# mode_setup MODE: prints why it failed
mode_setup()
{
	local mode=$1 i args=""
	case "$mode" in
	none) ;;
	krps)
		put $Q/rps_cpus "$S_MASKHEX" ;;
	krfs)
		put $SOCKFLOW "$S_SOCK" && put $Q/rps_flow_cnt "$S_FC" &&
		put $Q/rps_cpus "$S_MASKHEX" ;;
	xdp)
		command -v xdp-bench >/dev/null ||
			{ echo "xdp-bench not installed (Debian package xdp-tools)"; return 1; }
		for i in $(seq "${S_XDPCPUS%-*}" "${S_XDPCPUS#*-}"); do
			args+=" -c $i"
		done
		rm -f $XDP_LOCK
		# shellcheck disable=SC2086
		nsx "$NS_RX" xdp-bench redirect-cpu $args -p l4-hash -i 1 vrx \
			>"$tmp/xdp.log" 2>&1 &
		xdp_pid=$!
		for i in $(seq 200); do
			xdp_attached && break
			kill -0 "$xdp_pid" 2>/dev/null || break
			sleep 0.1
		done
		if ! xdp_attached; then
			xdp_stop
			echo "xdp-bench redirect-cpu did not attach: $(grep -v '^ *$' "$tmp/xdp.log" | tail -n 2 | tr '\n' ' ')"
			return 1
		fi ;;
	rxrps|rxrpsl|rxrfs)
		args=""
		[ "$mode" = rxrpsl ] && args="poll_linger_us=$LINGER"
		# shellcheck disable=SC2086
		insmod "$KO" backlog_limit=$BACKLOG $args ||
			{ echo "insmod failed"; return 1; }
		put $RXS/enabled 1 && put $RXS/rx-0/cpus_list "$S_MASK" ||
			{ echo "rxsteer attach failed"; return 1; }
		if [ "$mode" = rxrfs ]; then
			put /sys/kernel/rxsteer/sock_flow_entries "$S_SOCK" &&
			put $RXS/rx-0/flow_cnt "$S_FC" ||
				{ echo "rxsteer RFS set-up failed"; return 1; }
		fi ;;
	*) echo "unknown mode $mode"; return 1 ;;
	esac
}

mode_teardown()
{
	case "$1" in
	krps|krfs)
		put $Q/rps_cpus 0
		put $Q/rps_flow_cnt 0
		put $SOCKFLOW 0 ;;
	xdp)
		xdp_stop
		xdp_attached && ip -n "$NS_RX" link set vrx xdp off ;;
	rxrps|rxrpsl|rxrfs)
		[ -d /sys/kernel/rxsteer ] && put /sys/kernel/rxsteer/sock_flow_entries 0
		[ -d /sys/module/rxsteer ] && rmmod rxsteer ;;
	esac
}

# ------------------------------------------------------------------- cells

run_traffic()
{
	local d=$1 sargs=() cargs=() rc spid i
	sargs=(-a "$RX4" -p "$PORT" -f "$S_FLOWS" -R "$S_READERS" -s "$S_SIZE"
	       -w "$warm" -d "$dur" -q 300 -t $(( (warm + dur) / 1000 + 60 ))000
	       -r "$d/ready" -W "$d/done" -o "$d/snap"
	       -S /proc/interrupts -S /proc/net/softnet_stat -S /proc/stat
	       -S /proc/net/netstat -S /proc/net/snmp -S /proc/net/rxsteer_stat
	       -S /proc/net/dev
	       -S "$RXSYS/class/net/vrx/statistics/rx_packets")
	cargs=(-a "$RX4" -p "$PORT" -f "$S_FLOWS" -c "$ARR" -s "$S_SIZE"
	       -b "$S_BURST" -w "$warm" -d "$dur" --snap /proc/net/snmp
	       --snap /proc/net/dev
	       -o "$d/tx")
	if [ "$S_PROTO" = tcp ]; then
		sargs+=(-T); cargs+=(-T)
	else
		sargs+=(-A "$TX4" -P "$SPORT"); cargs+=(-S "$TX4" -P "$SPORT")
	fi
	[ "$S_RR" = 1 ] && { sargs+=(--rr); cargs+=(--rr); }
	[ -n "$S_MIG" ] && sargs+=(-m "$S_MIG" -C "$S_READERS")
	[ "$S_RATE" != 0 ] && cargs+=(-r "$S_RATE")

	local ta tb tc ppid=""
	if [ $profile = 1 ]; then
		# From before the server starts to the client's end. perf
		# takes seconds under TCG to start sampling every CPU; it
		# starts its workload once it samples, and stops when the
		# workload ends (a signal could come before its handler is
		# set, and background jobs ignore SIGINT).
		rm -f "$d/perf.on" "$d/perf.off"
		perf record -q -e cpu-clock -F 999 -a -o "$d/perf.data" -- \
			sh -c ': >"$0/perf.on"; while [ ! -e "$0/perf.off" ]; do sleep 0.1; done' \
			"$d" >"$d/perf.log" 2>&1 &
		ppid=$!
		wait_file "$d/perf.on" "$ppid" 600 0.1
	fi
	# ends perf's workload, so perf writes its data and exits
	perf_stop() { [ -z "$ppid" ] || { : >"$d/perf.off"; wait "$ppid"; }; }
	ta=$(now_us)
	nsx "$NS_RX" "$LOAD" server "${sargs[@]}" >"$d/server.json" \
		2>"$d/server.err" &
	spid=$!
	if ! wait_file "$d/ready" "$spid" 600 0.05; then
		echo "server did not start" >>"$d/server.err"
		perf_stop
		kill -KILL "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		return 1
	fi
	tb=$(now_us)
	nsx "$NS_TX" "$LOAD" client "${cargs[@]}" >"$d/client.json" \
		2>"$d/client.err"
	rc=$?
	perf_stop
	tc=$(now_us)
	: >"$d/done"
	[ $rc -eq 0 ] || kill -KILL "$spid" 2>/dev/null
	wait "$spid" || rc=1
	echo "server start $(secs "$ta" "$tb") client $(secs "$tb" "$tc") server end $(secs "$tc" "$(now_us)")" >"$d/timing"
	return $rc
}

# profile_report NAME DIR: the top symbols of DIR/perf.data, on the
# arrival CPU and on the others, as "# profile" lines. Before teardown:
# the module's symbols are still in /proc/kallsyms.
profile_report()
{
	local name=$1 d=$2 cpus
	for cpus in "$ARR" "$OTHERS"; do
		log "profile $name, CPU $cpus: top symbols, % of the samples not idle"
		perf report -i "$d/perf.data" --stdio --no-children -q \
			--sort sym --cpu "$cpus" 2>/dev/null |
			awk 'NF && $1 ~ /%$/ { p = $1; sub(/%/, "", p)
				if ($0 ~ /native_safe_halt|default_idle|cpuidle/) {
					idle += p; next }
				n++; pc[n] = p; $1 = ""; sym[n] = $0 }
			     END { busy = 100 - idle
				printf "#   idle %.1f%% of the samples\n", idle
				for (i = 1; i <= n && i <= 25; i++)
					printf "#   %6.2f%% %s\n", (busy > 0 ? 100 * pc[i] / busy : 0), sym[i] }'
	done
	rm -f "$d/perf.data"
}

# cell SCENARIO MODE REP ORDER
cell()
{
	local sc=$1 mode=$2 rep=$3 order=$4 d reason dirty rc=0 status
	local t0 t1 t2 t3
	d=$tmp/$sc.$mode.$rep
	mkdir -p "$d"
	t0=$(now_us)
	mode_setup "$mode" >"$d/setup.log" 2>&1
	rc=$?
	reason=$(< "$d/setup.log")
	t1=$(now_us)
	t2=$t1
	if [ $rc -eq 0 ]; then
		[ "$mode" = xdp ] &&
			ip -n "$NS_RX" -d link show vrx | grep -o 'prog/xdp.*' >"$d/xdp.prog"
		if ! run_traffic "$d"; then
			# once more: under TCG on a loaded host a tool can die
			# of something that is not the mode's fault
			reason="first try failed: $(cat "$d/server.err" "$d/client.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
			log "$sc/$mode: $reason; trying again"
			rm -f "$d"/*
			run_traffic "$d" || { rc=1; reason="traffic failed twice: $(cat "$d/server.err" "$d/client.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"; }
		fi
		t2=$(now_us)
	fi
	[ $profile = 1 ] && [ -s "$d/perf.data" ] && profile_report "$sc/$mode" "$d"
	mode_teardown "$mode" >>"$d/setup.log" 2>&1
	dirty=$(check_clean)
	t3=$(now_us)
	[ $rc -eq 0 ] && status=ok || status=error
	[ -n "$reason" ] && reason=$(json_str "$reason")
	printf '{"scenario":"%s","mode":"%s","rep":%d,"order":%d,"status":"%s","reason":"%s","dirty":"%s","rate":%d,"cell_seconds":%s,"phase_seconds":"%s"}\n' \
		"$sc" "$mode" "$rep" "$order" "$status" "$reason" \
		"$dirty" "$S_RATE" "$(secs "$t0" "$t3")" \
		"setup $(secs "$t0" "$t1") traffic $(secs "$t1" "$t2") teardown $(secs "$t2" "$t3")" \
		>"$d/meta.json"
	# the raw files go to the host, which computes the record
	echo "@@rxsbench-cell $(tar czf - -C "$d" . | base64 -w0)"
	if [ -n "$dirty" ]; then
		log "warning: $sc/$mode left:$dirty; cleaning up"
		mode_teardown krfs
		mode_teardown xdp
		mode_teardown rxrfs
	fi
	# S1half's fixed rate: half of kernel RPS's S1sat rate in this
	# repetition.
	if [ "$sc" = S1sat ] && [ "$mode" = krps ] && [ $rc -eq 0 ]; then
		half_rate=$(sed -n 's/.*"rate_window":\([0-9]*\).*/\1/p' "$d/server.json")
		half_rate=$(( ${half_rate:-0} / 2 ))
	fi
	rm -rf "$d"
}

reverse() { local out="" w; for w in $1; do out="$w $out"; done; echo $out; }

meta()
{
	local xdpv s
	xdpv=$(dpkg-query -W -f='xdp-tools ${Version}' xdp-tools 2>/dev/null)
	printf '@@rxsbench-meta {"kernel":"%s","cpus":%d,"arrival_cpu":%d,"reader_cpus":"%s","reps":%d,"warmup_ms":%d,"duration_ms":%d,"quick":%d,"scenarios":"%s","modes":"%s","sock_flow_entries":%d,"flow_cnt":%d,"backlog":%d,"poll_linger_us":%d,"xdp_bench":"%s","rxsteer":"%s","date":"%s"}\n' \
		"$(uname -r)" "$NCPU" "$ARR" "$OTHERS" "$reps" "$warm" "$dur" \
		"$quick" "$scen" "$modes" "$SOCK_ENTRIES" "$FLOW_CNT" "$BACKLOG" "$LINGER" \
		"$(json_str "$xdpv")" "$(modinfo -F version "$KO" 2>/dev/null)" \
		"$(date -u +%FT%TZ)"
	for s in $ALL_SCEN; do
		scen_params "$s"
		printf '@@rxsbench-scenario {"id":"%s","desc":"%s","proto":"%s","rr":%d,"flows":%d,"readers":"%s","migrate_ms":"%s","size":%d,"mask":"%s","sock_flow_entries":%d,"flow_cnt":%d}\n' \
			"$s" "$S_DESC" "$S_PROTO" "$S_RR" "$S_FLOWS" "$S_READERS" \
			"$S_MIG" "$S_SIZE" "$S_MASK" "$S_SOCK" "$S_FC"
	done
}

meta
log "$(uname -r), $NCPU CPUs; $reps repetition(s) of: $scen; window ${warm}+${dur} ms"

# Warm-up cell, discarded: page cache, slab caches, the first netns.
net_setup || { echo "bench-guest: network set-up failed" >&2; exit 1; }
scen_params S1sat
mode_setup krps >/dev/null 2>&1
run_traffic "$tmp" >/dev/null 2>&1
mode_teardown krps
net_teardown
log "warm-up done"

for rep in $(seq 1 "$reps"); do
	for sc in $scen; do
		scen_params "$sc" || { log "unknown scenario $sc"; continue; }
		want=$(scen_modes "$sc")
		list=""
		for m in $modes; do
			case " $want " in *" $m "*) list+=" $m" ;; esac
		done
		# alternating order: forward in odd, backward in even reps
		[ $((rep % 2)) = 0 ] && list=$(reverse "$list")
		t=$(now_us)
		net_setup || { log "network set-up failed"; net_teardown; continue; }
		log "rep $rep/$reps $sc: network set up in $(secs "$t" "$(now_us)") s"
		order=0
		for m in $list; do
			order=$((order + 1))
			log "rep $rep/$reps $sc $m"
			cell "$sc" "$m" "$rep" "$order"
		done
		net_teardown
	done
done
echo "@@rxsbench-end"
