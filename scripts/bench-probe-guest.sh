#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of the RFS record points, inside the VM (scripts/bench.sh
# --probe runs it; Documentation/benchmark.rst, "The probes' cost").
# tools/bench/rxs_recvcost times a read on a connected UDP socket over
# loopback, pinned to CPU 1, in five states, in this order in each
# repetition so that the host's drift spreads over all of them:
#
#   none        no RFS at all, rxsteer not loaded
#   kernel-rfs  the kernel's own RFS (net.core.rps_sock_flow_entries)
#   loaded      rxsteer loaded, RFS never on: no probe registered
#   rxs-on      rxsteer's RFS on (sock_flow_entries): the probes record
#   rxs-idle    rxsteer's RFS off again: the probes stay registered
#               (until unload) and return after a flag test
#
# Prints "# " progress lines, then a table: per state the median over the
# repetitions of ns per send+recv pair and per empty recv (EAGAIN), and
# each as a ratio to "none" and to "kernel-rfs".
#
# Environment: RXSTEER_KO (the module), RXS_RECVCOST (the tool),
# RXS_REPS (default 5), RXS_ITER (iterations per measurement, default
# 100000).

set -u
KO=${RXSTEER_KO:?}
COST=${RXS_RECVCOST:?}
REPS=${RXS_REPS:-5}
ITER=${RXS_ITER:-100000}
G=/sys/kernel/rxsteer
STATES="none kernel-rfs loaded rxs-on rxs-idle"
tmp=$(mktemp -d)
sfe_old=$(cat /proc/sys/net/core/rps_sock_flow_entries)

log() { echo "# $*"; }
cleanup()
{
	echo "$sfe_old" > /proc/sys/net/core/rps_sock_flow_entries
	[ -e /sys/module/rxsteer ] && rmmod rxsteer
	rm -rf "$tmp"
}
trap cleanup EXIT

# measure STATE REP: one run of the tool, appended to $tmp/STATE.
measure()
{
	local out
	out=$("$COST" -n "$ITER" -c 1) || { log "rxs_recvcost failed in $1"; exit 1; }
	log "rep $2 $1: $out"
	echo "$out" >> "$tmp/$1"
}

fail() { log "FAILED: $*"; exit 1; }

[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs"
[ -e /sys/module/rxsteer ] && rmmod rxsteer
log "probe cost: $REPS repetitions of $ITER iterations per state, kernel $(uname -r), $(nproc) CPUs"
for rep in $(seq "$REPS"); do
	echo 0 > /proc/sys/net/core/rps_sock_flow_entries
	measure none "$rep"

	echo 32768 > /proc/sys/net/core/rps_sock_flow_entries
	measure kernel-rfs "$rep"
	echo 0 > /proc/sys/net/core/rps_sock_flow_entries

	insmod "$KO" || fail "insmod $KO"
	grep -q 'inet_recvmsg off' "$G/probes" || fail "probes not off after load"
	measure loaded "$rep"

	echo 32768 > "$G/sock_flow_entries"
	grep -q 'inet_recvmsg registered' "$G/probes" || fail "probes not registered"
	h0=$(cat "$G/stats/probe_hit")
	measure rxs-on "$rep"
	h1=$(cat "$G/stats/probe_hit")
	[ "$h1" -ge $((h0 + ITER)) ] ||
		fail "rxs-on: probe_hit grew by $((h1 - h0)), not by $ITER or more"

	echo 0 > "$G/sock_flow_entries"
	grep -q 'inet_recvmsg idle' "$G/probes" || fail "probes not idle"
	measure rxs-idle "$rep"
	[ "$(cat "$G/stats/probe_hit")" = "$h1" ] || fail "rxs-idle: idle probes recorded"

	rmmod rxsteer || fail "rmmod"
done

# The table: medians, ratios to none and to kernel-rfs.
median()
{
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
declare -A pair empty
for s in $STATES; do
	pair[$s]=$(awk '{ print $2 }' "$tmp/$s" | median)
	empty[$s]=$(awk '{ print $4 }' "$tmp/$s" | median)
done
echo
echo "probe cost, $(uname -r), median of $REPS repetitions, ns per iteration under TCG"
printf '%-11s %9s %8s %8s %9s %8s %8s\n' state pair_ns /none /krfs empty_ns /none /krfs
for s in $STATES; do
	awk -v s="$s" -v p="${pair[$s]}" -v e="${empty[$s]}" \
		-v p0="${pair[none]}" -v e0="${empty[none]}" \
		-v pk="${pair[kernel-rfs]}" -v ek="${empty[kernel-rfs]}" 'BEGIN {
		printf "%-11s %9.0f %8.3f %8.3f %9.0f %8.3f %8.3f\n",
			s, p, p / p0, p / pk, e, e / e0, e / ek }'
done
for s in $STATES; do
	printf '# spread %s: pair %s; empty %s\n' "$s" \
		"$(awk '{ print $2 }' "$tmp/$s" | sort -n | xargs)" \
		"$(awk '{ print $4 }' "$tmp/$s" | sort -n | xargs)"
done
