#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo VM (scripts/demo.sh). UDP flows sent from a thread
# pinned to CPU 0 arrive on CPU 0 of a veth device (vrx), as from a
# single-queue NIC; the readers learn from SO_INCOMING_CPU which CPU
# processed each packet. Four phases, a few lines each:
#
#   1) without rxsteer: every packet is processed on CPU 0;
#   2) rxsteer RPS, rx-0 mask = CPUs 1..N-1: spread, each flow on one CPU;
#   3) rxsteer RFS: each flow is processed on the CPU its reader is pinned
#      to;
#   4) RFS and a reader that moves from CPU 1 to CPU 2 mid-run: a timeline
#      of where packets were processed and of the flow moves.
#
# Needs 3 CPUs or more (scripts/demo.sh boots 3).

source "$(dirname "$0")/../selftests/lib.sh"
trap rxs_cleanup EXIT

NF=64		# flows of phases 1-3
NP=50		# packets per flow in phases 1-3
MF=8		# flows of phase 4
MOVE_MS=1500	# phase 4: the reader moves after this much traffic
SEND_MS=5000	# phase 4: how long the sender sends
last=$(( $(nproc) - 1 ))
readers="1-$last"
g=/sys/kernel/rxsteer
d=/sys/class/net/vrx/rxsteer

[ "$last" -ge 2 ] || { echo "demo: needs 3 CPUs, have $(nproc)" >&2; exit 1; }
[ -x "$RXS_FLOWS" ] || { echo "demo: $RXS_FLOWS not built" >&2; exit 1; }

rxs_veth_setup >/dev/null 2>&1 || { echo "demo: no veth pair" >&2; exit 1; }
RXS_NS=$RXS_NS_RX

pct()
{
	echo $(( 100 * $1 / ($2 ? $2 : 1) ))
}

# per_cpu TAG: packets per processing CPU, as a bar chart.
per_cpu()
{
	awk -v last="$last" '
		$1 == "cpu" { n[$2] = $4 }
		$1 == "total" { total = $3 }
		END {
			for (c = 0; c <= last; c++) {
				b = ""
				for (i = 0; i < int(30 * n[c] / (total ? total : 1)); i++)
					b = b "#"
				printf "   CPU %d %6d  %3d%%  %s\n", c, n[c],
					100 * n[c] / (total ? total : 1), b
			}
		}' "$rxs_tmp/$1.out"
}

# locality TAG: share of packets processed on their reader's CPU.
locality()
{
	pct "$(awk '$1 == "local" { print $2 }' "$rxs_tmp/$1.out")" \
		"$(rxs_flows_total "$1")"
}

inversions()
{
	awk '$1 == "total" { print $5 }' "$rxs_tmp/$1.out"
}

# counters_since FILE: deltas of a few rxsteer counters since a snapshot
# (rxs_snap), summed over CPUs, as "name value" lines.
counters_since()
{
	local now=$rxs_tmp/now.stat
	rxs_snap "$now"
	awk 'FNR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; next }
	     { for (i = 2; i <= NF; i++)
			v[name[i]] += (FILENAME == ARGV[1] ? -$i : $i) }
	     END { for (k in v) print k, v[k] }' "$1" "$now"
}

ctr()
{
	awk -v k="$2" '$1 == k { print $2 }' <<<"$1"
}

echo
echo "rxsteer demo on $(uname -r), $(nproc) vCPUs. UDP flows from a sender pinned"
echo "to CPU 0 arrive on CPU 0 of veth device vrx, as from a one-queue NIC; reader"
echo "threads pinned to CPUs $readers read them, and SO_INCOMING_CPU tells on which"
echo "CPU each packet was processed."

# --- 1) without rxsteer ---
echo
echo "1) Without rxsteer: $NF flows x $NP packets"
rxs_flows_run p1 4 "$NF" "$NP" 0 -- -R "$readers"
per_cpu p1
echo "   all receive work on CPU 0; $(locality p1)% processed on the reader's CPU"

# --- 2) rxsteer RPS ---
rxs_load || { echo "demo: insmod failed" >&2; exit 1; }
rxs_write "$d/enabled" 1 >/dev/null || { echo "demo: cannot attach" >&2; exit 1; }
rxs_write "$d/backlog_limit" 100000 >/dev/null
rxs_write "$d/rx-0/cpus_list" "$readers" >/dev/null
echo
echo "2) rxsteer RPS: insmod rxsteer.ko, then in vrx's $d/:"
echo "   echo 1 > enabled; echo $readers > rx-0/cpus_list"
rxs_snap "$rxs_tmp/p2.stat"
rxs_flows_run p2 4 "$NF" "$NP" 0 -- -R "$readers"
c=$(counters_since "$rxs_tmp/p2.stat")
per_cpu p2
echo "   spread by flow hash, each flow on one CPU ($(rxs_flows_split p2) flows split);" \
	"$(inversions p2) reordered"
echo "   but the hash ignores the readers: $(locality p2)% processed on the reader's CPU"
echo "   rxsteer: $(ctr "$c" steered_out) packets steered, $(ctr "$c" ipi_sent) IPIs," \
	"$(( $(ctr "$c" drop_backlog) + $(ctr "$c" drop_flow_limit) + $(ctr "$c" drop_nomem) )) dropped"

# --- 3) rxsteer RFS ---
RXS_NS="" rxs_write "$g/sock_flow_entries" 32768 >/dev/null
rxs_write "$d/rx-0/flow_cnt" 32768 >/dev/null
echo
echo "3) rxsteer RFS: echo 32768 > $g/sock_flow_entries"
echo "                echo 32768 > rx-0/flow_cnt"
echo "   ($(paste -sd, "$g/probes" | sed 's/,/, /'))"
rxs_snap "$rxs_tmp/p3.stat"
# The sender pauses 300 ms after its first round, so that each reader
# reads every flow once before the bulk follows (a flow is unknown to
# RFS until its first read).
rxs_flows_run p3 4 "$NF" "$NP" 0 -w 300 -- -R "$readers"
c=$(counters_since "$rxs_tmp/p3.stat")
per_cpu p3
awk '$1 == "reader" {
	printf "   reader pinned to CPU %d: %d flows, %d packets, %d%% processed on CPU %d\n",
		$4, $6, $8, $8 ? 100 * $10 / $8 : 0, $4 }' "$rxs_tmp/p3.out"
echo "   rfs_hit $(ctr "$c" rfs_hit), rfs_miss $(ctr "$c" rfs_miss)" \
	"(packets before a flow's first read);"
echo "   $(inversions p3) reordered," \
	"$(( $(ctr "$c" drop_backlog) + $(ctr "$c" drop_flow_limit) + $(ctr "$c" drop_nomem) )) dropped"

# --- 4) a reader that moves ---
# The reader is pinned to CPU 1; once traffic has flowed for MOVE_MS, the
# script re-pins it to CPU 2 (taskset). Sampling uses shell builtins only,
# so that it keeps time on a busy TCG guest.
echo
echo "4) RFS and a moving reader: $MF flows read by one thread pinned to CPU 1;"
echo "   after $((MOVE_MS / 1000)).$((MOVE_MS % 1000 / 100)) s of traffic: taskset -pc 2 <reader>"
# sample: "ms reader_cpu processed(cpu 0..last) flow_move flow_move_deferred"
sample()
{
	local line stat col=0 i out cpu t=${EPOCHREALTIME/./}
	read -r stat 2>/dev/null < "/proc/$rpid/stat" || stat=""
	stat=${stat##*) }		# fields from 3 on; the CPU is field 39
	read -ra f <<<"$stat"
	cpu=${f[36]:--}
	out="$(( t / 1000 - t0 )) $cpu"
	{
		read -ra hdr
		for i in "${!hdr[@]}"; do
			[ "${hdr[$i]}" = processed ] && col=$i
		done
		while read -ra f; do out="$out ${f[$col]}"; done
	} < /proc/net/rxsteer_stat
	read -r i < "$g/stats/flow_move"
	read -r line < "$g/stats/flow_move_deferred"
	SAMPLE="$out $i $line"
}
exec {tick}<> <(:)		# read -t on it: a sleep without a fork
rxs_flows_run p4 4 "$MF" 0 0 -D "$SEND_MS" -i 2000 -w 300 -- -c 1 -t 1000 &
fpid=$!
while [ ! -e "$rxs_tmp/p4.ready" ] && kill -0 "$fpid" 2>/dev/null; do
	read -t 0.1 -u "$tick"
done
# The receiver is the child of that subshell whose argv[1] is "recv"
# (builtins only: an exec can take a second on a busy TCG guest).
rpid=""
read -ra kids 2>/dev/null < "/proc/$fpid/task/$fpid/children"
for p in "${kids[@]}"; do
	mapfile -d '' -t argv 2>/dev/null < "/proc/$p/cmdline" || continue
	[ "${argv[1]:-}" = recv ] && rpid=$p
done
[ -n "$rpid" ] || { echo "demo: phase 4 receiver did not start" >&2; exit 1; }
t0=${EPOCHREALTIME/./}
t0=$(( t0 / 1000 ))
started=""
moved=0
{
	sample
	echo "$SAMPLE"
	while kill -0 "$rpid" 2>/dev/null; do
		read -t 0.5 -u "$tick"
		sample
		s=$SAMPLE
		echo "$s"
		# traffic started: the processed counters moved
		[ -z "$started" ] && [ "${s#* * }" != "${prev#* * }" ] &&
			[ -n "$prev" ] && started=${s%% *}
		if [ -n "$started" ] && [ "$moved" = 0 ] &&
		   [ $(( ${s%% *} - started )) -ge "$MOVE_MS" ]; then
			taskset -pc 2 "$rpid" >/dev/null &
			moved=1
		fi
		prev=$s
	done
} >"$rxs_tmp/p4.samples"
wait "$fpid"
echo "   every half second: the reader's CPU, packets processed on each CPU, and"
echo "   the counters flow_move and flow_move_deferred (packets kept on the old CPU"
echo "   until the flow's packets queued there were processed); the first row"
echo "   places the new flows"
printf '   %5s  %-6s' time reader
for c in $(seq 0 "$last"); do printf '%8s' "CPU $c"; done
printf '  %s\n' "moves (deferred)"
awk -v ncpu=$((last + 1)) '
	{ n = 0; for (i = 0; i < ncpu; i++) n += $(3 + i) - p[3 + i] }
	NR > 1 && n > 0 {
		printf "   %3.1f s  CPU %-2s", $1 / 1000, $2
		for (i = 0; i < ncpu; i++)
			printf "%8d", $(3 + i) - p[3 + i]
		printf "  %5d (%d)%s\n", $(3 + ncpu) - p[3 + ncpu],
			$(4 + ncpu) - p[4 + ncpu],
			($2 != pcpu && NR > 2) ? "   <- reader moved" : ""
	}
	{ for (i = 1; i <= NF; i++) p[i] = $i; pcpu = $2 }' "$rxs_tmp/p4.samples"
echo "   $(locality p4)% of the packets were processed on the CPU the reader was"
echo "   on when it read them; $(inversions p4) reordered"
echo
