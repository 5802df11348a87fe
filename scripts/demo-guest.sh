#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo VM (scripts/demo.sh): 64 UDP flows arrive on CPU 0
# of a veth device; first without steering, then with rxsteer spreading
# them over the other CPUs. Prints packets per CPU and rxsteer's counters.

source "$(dirname "$0")/../selftests/lib.sh"
trap rxs_cleanup EXIT

NF=64
NP=50
last=$(( $(nproc) - 1 ))

rxs_load || exit 1
rxs_veth_setup >/dev/null 2>&1 || exit 1
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
rxs_write "$d/enabled" 1 >/dev/null || exit 1
rxs_write "$d/backlog_limit" 100000 >/dev/null

per_cpu()
{
	local tag=$1 c n total
	total=$(rxs_flows_total "$tag")
	for c in $(seq 0 "$last"); do
		n=$(awk -v c="$c" '$1 == c { print $2 }' <(rxs_flows_cpus "$tag"))
		n=${n:-0}
		printf '    CPU %d  %6d packets  %3d%%  %s\n' "$c" "$n" \
			$((100 * n / (total ? total : 1))) \
			"$(printf '%*s' $((40 * n / (total ? total : 1))) '' | tr ' ' '#')"
	done
}

counters()
{
	awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
		       printf "    %-4s %11s %10s %9s %8s %8s %5s\n", "cpu",
			"steered_out", "steered_in", "processed", "ipi_sent",
			"ipi_recv", "drops"; next }
	     { printf "    %-4s %11s %10s %9s %8s %8s %5s\n", $1,
			$col["steered_out"], $col["steered_in"],
			$col["processed"], $col["ipi_sent"], $col["ipi_recv"],
			$col["drop_backlog"] + $col["drop_nomem"] + $col["drop_detached"] }' \
		/proc/net/rxsteer_stat
}

echo
echo "rxsteer demo on $(uname -r), $(nproc) vCPUs"
echo "$NF UDP flows x $NP packets, sender pinned to CPU 0: every packet"
echo "arrives on CPU 0 (veth). SO_INCOMING_CPU tells where each was processed."
echo
echo "1) attached, rx-0 mask empty (no steering):"
rxs_flows_run off 4 $NF $NP 0
per_cpu off
echo
echo "   rxsteer counters before steering:"
counters
echo
rxs_write "$d/rx-0/cpus_list" "1-$last" >/dev/null
echo "2) echo 1-$last > $d/rx-0/cpus_list"
rxs_flows_run on 4 $NF $NP 0
per_cpu on
echo
echo "   rxsteer counters after steering:"
counters
echo
echo "   flows split across CPUs: $(rxs_flows_split on) (each flow stays on one CPU)"
echo "   reordered packets: $(awk '$1 == "total" { print $5 }' "$rxs_tmp/on.out")"
echo
