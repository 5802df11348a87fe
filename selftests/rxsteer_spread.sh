#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RPS spread: 64 UDP flows all arriving on CPU 0 (the sender's CPU, veth)
# are spread over the CPUs of rx-0's mask and never processed outside it,
# per SO_INCOMING_CPU and per rxsteer's own per-CPU counters, which agree;
# each flow stays on one CPU; mask changes take effect; an empty mask stops
# steering. IPv4 and IPv6.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
rxs_require_tun

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/backlog_limit" 100000 >/dev/null

last=$(( $(nproc) - 1 ))
NF=64
NP=40
table=$rxs_tmp/table

# check_spread TAG FAMILY MASK_LIST: run the flows, check against MASK.
check_spread()
{
	# Stray IPv6 ND/MLD packets from the sender's side are steered too.
	local tag=$1 fam=$2 mask=$3 slack=8 c n in_mask got bad=0
	rxs_snap "$rxs_tmp/$tag.before"
	rxs_flows_run "$tag" "$fam" $NF $NP 0
	rxs_snap "$rxs_tmp/$tag.after"
	rxs_flows_cpus "$tag" > "$rxs_tmp/$tag.cpus"
	rxs_snap_delta "$rxs_tmp/$tag.before" "$rxs_tmp/$tag.after" processed \
		> "$rxs_tmp/$tag.proc"
	rxs_log "IPv$fam mask $mask: CPU packets(SO_INCOMING_CPU) processed(rxsteer)"
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 <(sort "$rxs_tmp/$tag.cpus") \
		<(sort "$rxs_tmp/$tag.proc") | sed 's/^/#   /' | tee -a "$table"

	rxs_check "IPv$fam mask $mask: all $((NF * NP)) packets delivered" \
		test "$(rxs_flows_total "$tag")" = $((NF * NP))
	rxs_check "IPv$fam mask $mask: every flow on one CPU" \
		test "$(rxs_flows_split "$tag")" = 0
	for c in $(seq 0 "$last"); do
		n=$(awk -v c="$c" '$1 == c { print $2 }' "$rxs_tmp/$tag.cpus")
		got=$(awk -v c="$c" '$1 == c { print $2 }' "$rxs_tmp/$tag.proc")
		n=${n:-0}
		in_mask=0
		[[ ",$(expand_list "$mask")," == *",$c,"* ]] && in_mask=1
		if [ $in_mask = 1 ] && [ "$n" -eq 0 ]; then
			rxs_log "CPU $c in the mask processed nothing"; bad=1
		elif [ $in_mask = 0 ] && [ "$n" -ne 0 ]; then
			rxs_log "CPU $c outside the mask processed $n"; bad=1
		fi
		if [ $in_mask = 1 ] && { [ "$got" -lt "$n" ] ||
		   [ "$got" -gt $((n + slack)) ]; }; then
			rxs_log "CPU $c: rxsteer processed $got, socket saw $n"
			bad=1
		fi
	done
	rxs_check "IPv$fam mask $mask: every mask CPU used, none outside, counters agree" \
		test $bad = 0
	local ipis steered
	ipis=$(rxs_snap_delta "$rxs_tmp/$tag.before" "$rxs_tmp/$tag.after" ipi_sent |
		awk '{ n += $2 } END { print n }')
	steered=$(rxs_snap_delta "$rxs_tmp/$tag.before" "$rxs_tmp/$tag.after" steered_out |
		awk '{ n += $2 } END { print n }')
	rxs_log "IPv$fam mask $mask: $ipis IPIs for $steered steered packets"
	rxs_check "IPv$fam mask $mask: kicks batched (fewer IPIs than packets)" \
		test "$ipis" -lt "$steered"
}

expand_list()
{
	local part out="" a b
	IFS=, read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		a=${part%-*} b=${part#*-}
		out+=$(seq -s, "$a" "$b"),
	done
	echo "${out%,}"
}

others="1-$last"
for fam in 4 6; do
	rxs_write "$d/rx-0/cpus_list" "$others" >/dev/null
	check_spread "spread$fam" "$fam" "$others"
done

# A changed mask takes effect at once.
rxs_write "$d/rx-0/cpus_list" "$last" >/dev/null
check_spread "one4" 4 "$last"

# An empty mask stops steering: everything stays on the arrival CPU 0.
rxs_write "$d/rx-0/cpus_list" $'\n' >/dev/null
out_before=$(rxs_stat_total steered_out)
rxs_flows_run "empty4" 4 $NF $NP 0
rxs_check "empty mask: all packets delivered" \
	test "$(rxs_flows_total empty4)" = $((NF * NP))
rxs_check "empty mask: nothing steered" \
	test "$(rxs_stat_total steered_out)" = "$out_before"
rxs_check "empty mask: every packet processed on arrival CPU 0" \
	test "$(rxs_flows_cpus empty4)" = "0 $((NF * NP))"

# Non-IP traffic (ARP) is passed up locally and counted.
rxs_write "$d/rx-0/cpus_list" "1-$last" >/dev/null
nonip=$(rxs_stat_total non_ip)
ip -n "$RXS_NS_TX" neigh del "$RXS_RX4" dev vtx
rxs_check "ARP resolution works through an attached device" \
	ip netns exec "$RXS_NS_TX" ping -q -c 2 -i 0.2 -W 2 "$RXS_RX4"
rxs_check "ARP counted as non_ip" test "$(rxs_stat_total non_ip)" -gt "$nonip"

# The CPU per flow is the one the hash predicts. Oracle: the kernel's own
# RPS, which maps a hash onto the same mask the same way. A TUN device has
# no hash of its own, so both compute it from the same 4-tuple and the
# same boot-time key: run the same 64 flows through kernel RPS, then
# through rxsteer, and compare the CPU of every flow.
tun_flows()
{
	local tag=$1 i
	rm -f "$rxs_tmp/$tag".*
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a 203.0.113.1 \
		-p 9000 -f $NF -n $NP -A 203.0.113.2 -P 20000 -t 3000 \
		-r "$rxs_tmp/$tag.ready" >"$rxs_tmp/$tag.out" &
	local rpid=$!
	for i in $(seq 100); do
		[ -e "$rxs_tmp/$tag.ready" ] && break
		sleep 0.1
	done
	ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" tun -4 -d rxstun0 -q 1 -c 0 \
		-s 203.0.113.2 -a 203.0.113.1 -p 9000 -P 20000 -f $NF -n $NP \
		>"$rxs_tmp/$tag.send"
	wait "$rpid"
	# Only flows that got every packet, on one CPU, count.
	awk -v np=$NP '$1 == "flow" && $4 == np && $12 !~ /,/ { print $2, $10 }' \
		"$rxs_tmp/$tag.out"
}
t=/sys/class/net/rxstun0
ip -n "$RXS_NS_RX" tuntap add dev rxstun0 mode tun multi_queue
ip -n "$RXS_NS_RX" addr add 203.0.113.1/24 dev rxstun0
ip -n "$RXS_NS_RX" link set rxstun0 up
rxs_nsfs "$RXS_NS_RX" "printf '%x' $(( (1 << (last + 1)) - 2 )) > $t/queues/rx-0/rps_cpus"
tun_flows kernel > "$rxs_tmp/map-kernel"
rxs_nsfs "$RXS_NS_RX" "echo 0 > $t/queues/rx-0/rps_cpus"
rxs_write "$t/rxsteer/enabled" 1 >/dev/null
rxs_write "$t/rxsteer/rx-0/cpus_list" "1-$last" >/dev/null
rxs_write "$t/rxsteer/backlog_limit" 100000 >/dev/null
tun_flows rxsteer > "$rxs_tmp/map-rxsteer"
rxs_log "flows per CPU, kernel RPS:" \
	"$(awk '{ print $2 }' "$rxs_tmp/map-kernel" | sort | uniq -c | xargs)"
rxs_log "flows per CPU, rxsteer:   " \
	"$(awk '{ print $2 }' "$rxs_tmp/map-rxsteer" | sort | uniq -c | xargs)"
rxs_check "kernel RPS oracle: $NF flows, all packets, one CPU each" \
	test "$(wc -l < "$rxs_tmp/map-kernel")" = $NF
rxs_check "rxsteer: $NF flows, all packets, one CPU each" \
	test "$(wc -l < "$rxs_tmp/map-rxsteer")" = $NF
rxs_check "every flow on the CPU its hash predicts (same as kernel RPS)" \
	diff -q "$rxs_tmp/map-kernel" "$rxs_tmp/map-rxsteer"

rxs_log "per-CPU table after the run:"
sed 's/^/#   /' /proc/net/rxsteer_stat
rxs_dmesg_check
rxs_finish
