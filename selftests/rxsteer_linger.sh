#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# poll_linger_us, the module parameter with which a backlog that empties
# polls itself once more after that long instead of waiting for an IPI:
#   - malformed and out-of-range values fail (EINVAL, ERANGE), the old
#     value stays;
#   - UDP flows arriving on CPU 0 at one round of packets every 100 us,
#     steered to CPUs 1-2: without lingering about one IPI per round; with
#     poll_linger_us 1000, linger polls instead and at most half as many
#     IPIs (counted, not timed); every packet delivered, in order, both
#     times;
#   - poll_linger_us back to 0 while backlogs linger, and rmmod right
#     after traffic with timers still armed: nothing left behind, the
#     kernel log stays clean.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"

P=/sys/module/rxsteer/parameters/poll_linger_us
NF=2
NP=500

echo "TAP version 13"
rxs_dmesg_mark
rxs_load poll_linger_us=200 || rxs_skip_all "insmod failed"
[ -e "$P" ] || rxs_skip_all "this rxsteer.ko has no poll_linger_us"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
d=/sys/class/net/vrx/rxsteer

# --- the parameter: the load-time value, then bad writes ---
rxs_check "poll_linger_us reads the insmod value 200" test "$(<"$P")" = 200
while read -r err val; do
	rxs_expect_errno "poll_linger_us rejects '$val' with $err" "$err" "$P" "$val"
done <<EOT
EINVAL abc
EINVAL -1
EINVAL 1.5
ERANGE 1001
ERANGE 4294967296
EOT
rxs_check "poll_linger_us still 200 after the bad writes" test "$(<"$P")" = 200
rxs_check "poll_linger_us accepts 0" rxs_write "$P" 0

RXS_NS=$RXS_NS_RX
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/rx-0/cpus_list" 1-2 >/dev/null ||
	rxs_skip_all "cannot set cpus_list 1-2"
RXS_NS=""

# paced TAG: NF flows x NP packets, one round every 100 us from CPU 0;
# sets IPIS, STEERED, LINGERS (deltas) and checks delivery and order.
paced()
{
	local tag=$1 inv
	rxs_snap "$rxs_tmp/$tag.before"
	rxs_flows_run "$tag" 4 $NF $NP 0 -i 100 --
	rxs_snap "$rxs_tmp/$tag.after"
	sum() {
		rxs_snap_delta "$rxs_tmp/$tag.before" "$rxs_tmp/$tag.after" "$1" |
			awk '{ n += $2 } END { print n + 0 }'
	}
	IPIS=$(sum ipi_sent) STEERED=$(sum steered_out) LINGERS=$(sum linger_polls)
	inv=$(awk '$1 == "total" { print $5 }' "$rxs_tmp/$tag.out")
	rxs_log "$tag: $STEERED packets steered, $IPIS IPIs, $LINGERS linger polls"
	rxs_check "$tag: all $((NF * NP)) packets delivered, none out of order" \
		test "$(rxs_flows_total "$tag")" = $((NF * NP)) -a "${inv:-x}" = 0
}

paced "linger 0"
ipis0=$IPIS steered0=$STEERED
rxs_check "linger 0: no linger poll" test "$LINGERS" = 0
rxs_check "linger 0: IPIs sent (the backlogs empty between rounds)" \
	test "$IPIS" -gt 0

rxs_write "$P" 1000 >/dev/null
paced "linger 1000"
rxs_check "linger 1000: backlogs lingered (linger polls)" test "$LINGERS" -gt 0
# IPIs per steered packet, in thousandths.
r0=$(( ipis0 * 1000 / (steered0 ? steered0 : 1) ))
r1=$(( IPIS * 1000 / (STEERED ? STEERED : 1) ))
rxs_log "IPIs per 1000 steered packets: $r0 without lingering, $r1 with"
rxs_check "linger 1000: at most half the IPIs per packet of linger 0" \
	test $((r1 * 2)) -le "$r0"

# Off again while the backlogs may still linger: each ends its busy
# period at its next empty poll, and the next packets are kicked again.
rxs_write "$P" 0 >/dev/null
paced "linger off again"
rxs_check "linger off again: no linger poll after the first ones" \
	test "$LINGERS" -le 2

# Unload with timers armed: traffic, then rmmod at once.
rxs_write "$P" 1000 >/dev/null
rxs_flows_run burst 4 $NF 200 0 -i 100 --
rxs_check "rmmod right after traffic, backlogs lingering" rxs_unload
rxs_check "module gone" test ! -e /sys/module/rxsteer

rxs_dmesg_check
rxs_finish
