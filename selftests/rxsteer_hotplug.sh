#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CPU hotplug: an offline CPU is never chosen (its flows go to the next
# online CPU of the mask) and is chosen again once back online; taking a
# CPU offline and online again and again under a UDP flood, with RPS and
# with RFS, and with RFS and poll_linger_us (a dead CPU's linger timer is
# migrated and must find nothing to do), loses nothing uncounted: sent =
# delivered + counted drops, and what a dead CPU's backlog held is moved
# (hotplug_moved), not leaked.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
last=$(( $(nproc) - 1 ))
online=/sys/devices/system/cpu/cpu$last/online
[ -w "$online" ] || rxs_skip_all "CPU $last cannot be taken offline"

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$d/backlog_limit" 100000 >/dev/null
rxs_write "$d/rx-0/cpus_list" "1-$last" >/dev/null
restore_cpu() { echo 1 > "$online" 2>/dev/null; }
trap 'restore_cpu; rxs_cleanup' EXIT

# Drops a user can read: rxsteer's, the UDP sockets' and the device's
# (lib.sh; not softnet_stat, which counts the kernel's backlog drops that
# the device's rx_dropped counts too).
drops() { rxs_drops_total "$RXS_NS_RX" vrx; }

# 1. Offline: the CPU gets nothing; its flows go to another mask CPU.
echo 0 > "$online"
rxs_snap "$rxs_tmp/off.before"
rxs_flows_run off 4 64 20 0
rxs_snap "$rxs_tmp/off.after"
n=$(rxs_snap_delta "$rxs_tmp/off.before" "$rxs_tmp/off.after" processed |
	awk -v c="$last" '$1 == c { print $2 }')
rxs_check "CPU $last offline: all packets delivered" \
	test "$(rxs_flows_total off)" = 1280
rxs_check "CPU $last offline: it processed nothing" test "${n:-0}" = 0
rxs_check "CPU $last offline: every flow still on one CPU" \
	test "$(rxs_flows_split off)" = 0

# 2. Online again: chosen again.
echo 1 > "$online"
rxs_flows_run on 4 64 20 0
rxs_check "CPU $last online again: it processes its flows again" \
	test "$(awk -v c="$last" '$1 == "cpu" && $2 == c { print $4 }' "$rxs_tmp/on.out")" -gt 0

# 3. Offline/online cycles under a flood, RPS then RFS.
cycle()
{
	local i
	for i in $(seq 6); do
		sleep 0.4
		echo 0 > "$online"
		sleep 0.4
		echo 1 > "$online"
	done
}
linger=/sys/module/rxsteer/parameters/poll_linger_us
for mode in RPS RFS RFS+linger; do
	if [ $mode = RFS+linger ]; then
		if ! [ -w $linger ]; then
			rxs_skip "$mode: sent = delivered + counted drops across hotplug" "no poll_linger_us"
			continue
		fi
		echo 1000 > $linger
	elif [ $mode = RFS ]; then
		RXS_NS="" rxs_write /sys/kernel/rxsteer/sock_flow_entries 4096 >/dev/null
		rxs_write "$d/rx-0/flow_cnt" 4096 >/dev/null
	fi
	# Readers stay unpinned: a pinned reader cannot be placed on a CPU
	# that the cycle has just taken offline.
	rargs=()
	d0=$(drops)
	m0=$(rxs_stat_total hotplug_moved)
	cycle &
	rxs_flows_run "flood$mode" 4 64 0 0 -D 5000 -- "${rargs[@]}"
	wait
	restore_cpu
	sent=$(awk '{ print $2 }' "$rxs_tmp/flood$mode.send")
	got=$(rxs_flows_total "flood$mode")
	dropped=$(( $(drops) - d0 ))
	rxs_log "$mode flood with CPU $last cycling: sent $sent delivered $got" \
		"dropped(counted) $dropped hotplug_moved $(( $(rxs_stat_total hotplug_moved) - m0 ))"
	rxs_check "$mode: sent = delivered + counted drops across hotplug" \
		test "$sent" = $((got + dropped))
	rxs_check "$mode: nothing left in any backlog" \
		test "$(awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/rxsteer_stat)" = 0
done
[ -w $linger ] && rxs_log "linger polls: $(rxs_stat_total linger_polls)"
rxs_dmesg_check
rxs_finish
