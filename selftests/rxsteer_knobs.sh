#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every knob accepts its documented formats and reads back in both mask
# forms; every malformed, out-of-range, offline-CPU or overlong write fails
# with the right errno and leaves the old value in place.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
q=$d/rx-0

rxs_write "$d/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"

# Good writes and their read-back in both forms.
rxs_check "cpus accepts hex 6" rxs_write "$q/cpus" 6
rxs_check "cpus_list reads 1-2" test "$(rxs_rx_get rx-0/cpus_list)" = 1-2
rxs_check "cpus_list accepts 0,2" rxs_write "$q/cpus_list" "0,2"
rxs_check "cpus reads 5" test "$(rxs_rx_get rx-0/cpus)" = 5
rxs_check "cpus accepts grouped 00000000,00000003" \
	rxs_write "$q/cpus" "00000000,00000003"
rxs_check "cpus_list reads 0-1" test "$(rxs_rx_get rx-0/cpus_list)" = 0-1
rxs_check "backlog_limit accepts 500" rxs_write "$d/backlog_limit" 500
rxs_check "backlog_limit reads 500" test "$(rxs_rx_get backlog_limit)" = 500

# The old values stay: cpus=3 (0-1), backlog_limit=500, enabled=1.
nbig=$(printf '%0*d' 2000 0)
beyond=$(( $(nproc --all) ))
while read -r file err val; do
	val=${val//NL/$'\n'}
	rxs_expect_errno "$(basename "$file") rejects '${val//$'\n'/\\n}' with $err" \
		"$err" "$d/$file" "$val"
done <<EOT
rx-0/cpus EINVAL xyz
rx-0/cpus EINVAL NL
rx-0/cpus EINVAL 1,,2
rx-0/cpus EINVAL 123456789
rx-0/cpus EINVAL 0x3
rx-0/cpus EINVAL -1
rx-0/cpus EINVAL 3NLNL
rx-0/cpus EINVAL 100000000,00000000
rx-0/cpus ERANGE 1,00000000
rx-0/cpus_list EINVAL 0-
rx-0/cpus_list EINVAL 2-1
rx-0/cpus_list EINVAL a
rx-0/cpus_list EINVAL 0,,1
rx-0/cpus_list EINVAL 0,
rx-0/cpus_list ERANGE $beyond
rx-0/cpus_list ERANGE 0-4096
rx-0/cpus_list ERANGE 99999999
enabled EINVAL 2
enabled EINVAL maybe
backlog_limit ERANGE 0
backlog_limit ERANGE 99999999
backlog_limit EINVAL abc
backlog_limit EINVAL -5
EOT
rxs_expect_errno "cpus rejects 2000 characters with EINVAL" EINVAL \
	"$q/cpus" "$nbig"
rxs_expect_errno "cpus_list rejects 2000 characters with EINVAL" EINVAL \
	"$q/cpus_list" "$nbig"

rxs_check "cpus unchanged after bad writes" \
	test "$(rxs_rx_get rx-0/cpus_list)" = 0-1
rxs_check "backlog_limit unchanged after bad writes" \
	test "$(rxs_rx_get backlog_limit)" = 500
rxs_check "enabled unchanged after bad writes" \
	test "$(rxs_rx_get enabled)" = 1

# An offline CPU is refused; online again, it is accepted.
last=$(( $(nproc) - 1 ))
if [ -w /sys/devices/system/cpu/cpu$last/online ]; then
	echo 0 > /sys/devices/system/cpu/cpu$last/online
	rxs_expect_errno "cpus_list rejects offline CPU $last with EINVAL" \
		EINVAL "$q/cpus_list" "$last"
	rxs_check "cpus unchanged after offline-CPU write" \
		test "$(rxs_rx_get rx-0/cpus_list)" = 0-1
	echo 1 > /sys/devices/system/cpu/cpu$last/online
	rxs_check "cpus_list accepts CPU $last once online" \
		rxs_write "$q/cpus_list" "$last"
else
	rxs_skip "cpus_list rejects an offline CPU" "CPU hotplug not available"
	rxs_skip "cpus unchanged after offline-CPU write" "CPU hotplug not available"
	rxs_skip "cpus_list accepts a CPU once online" "CPU hotplug not available"
fi
# Writes need CAP_NET_ADMIN (in the device's netns owner user namespace);
# reads do not.
if command -v setpriv >/dev/null; then
	old=$(rxs_rx_get rx-0/cpus_list)
	out=$(ip netns exec "$RXS_NS_RX" setpriv --bounding-set=-net_admin \
		--inh-caps=-net_admin -- bash -c "printf 3 > $q/cpus" 2>&1)
	case "$out" in
	*"Operation not permitted"*) rxs_pass "write without CAP_NET_ADMIN fails with EPERM" ;;
	*) rxs_fail "write without CAP_NET_ADMIN fails with EPERM" "got: $out" ;;
	esac
	rxs_check "mask unchanged after the refused write" \
		test "$(rxs_rx_get rx-0/cpus_list)" = "$old"
	rxs_check "read without CAP_NET_ADMIN works" \
		ip netns exec "$RXS_NS_RX" setpriv --bounding-set=-net_admin \
		--inh-caps=-net_admin -- cat "$q/cpus" "$d/enabled"
else
	rxs_skip "write without CAP_NET_ADMIN fails with EPERM" "no setpriv"
fi
rxs_check "empty cpus_list clears the mask" rxs_write "$q/cpus_list" $'\n'
rxs_check "cpus reads 0 when cleared" test "$(rxs_rx_get rx-0/cpus)" = 0
rxs_dmesg_check
rxs_finish
