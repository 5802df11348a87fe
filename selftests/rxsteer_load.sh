#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads and unloads cleanly: modinfo fields, one kernel log line
# each way, a second load fails cleanly, and unload leaves nothing behind.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cmd modinfo insmod rmmod

echo "TAP version 13"
rxs_dmesg_mark

mi()
{
	modinfo -F "$1" "$RXS_KO"
}
rxs_check "modinfo description" test -n "$(mi description)"
rxs_check "modinfo license GPL" test "$(mi license)" = GPL
rxs_check "modinfo version" test -n "$(mi version)"
rxs_check "modinfo vermagic matches $(uname -r)" \
	test "$(mi vermagic | awk '{print $1}')" = "$(uname -r)"
rxs_check "modinfo describes parameter attach" \
	sh -c "modinfo -F parm '$RXS_KO' | grep -q '^attach:.\{10,\}'"
rxs_check "modinfo describes parameter backlog_limit" \
	sh -c "modinfo -F parm '$RXS_KO' | grep -q '^backlog_limit:.\{10,\}'"
rxs_check "modinfo describes parameter poll_linger_us" \
	sh -c "modinfo -F parm '$RXS_KO' | grep -q '^poll_linger_us:.\{10,\}'"

rxs_check "insmod succeeds" rxs_load
rxs_check "load logs one line" \
	sh -c "dmesg | tail -n 20 | grep -q 'rxsteer: rxsteer .* loaded'"
rxs_check "sysfs and proc entries present" \
	test -f /sys/kernel/rxsteer/stats/steered_out -a \
	-f /proc/net/rxsteer_stat -a -f /sys/class/net/lo/rxsteer/enabled
rxs_check "loopback not attached by default" \
	test "$(cat /sys/class/net/lo/rxsteer/enabled)" = 0

out=$(insmod "$RXS_KO" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "File exists"; then
	rxs_pass "second insmod fails with EEXIST"
else
	rxs_fail "second insmod fails with EEXIST" "rc=$rc: $out"
fi
rxs_check "still loaded once" \
	test "$(grep -c '^rxsteer ' /proc/modules)" = 1

rxs_check "rmmod succeeds" rxs_unload
rxs_check "unload logs one line" \
	sh -c "dmesg | tail -n 20 | grep -q 'rxsteer: rxsteer .* unloaded'"

leftovers()
{
	local found=0 f
	for f in /sys/module/rxsteer /sys/kernel/rxsteer \
		 /proc/net/rxsteer_stat /sys/class/net/lo/rxsteer; do
		[ -e "$f" ] && { echo "# left behind: $f"; found=1; }
	done
	if [ -n "$(rxs_recvmsg_probes)" ]; then
		echo "# left behind: recvmsg probes: $(rxs_recvmsg_probes)"
		found=1
	fi
	return $found
}
rxs_check "unload leaves nothing behind" leftovers

cycles()
{
	local i
	for i in 1 2 3 4 5; do
		insmod "$RXS_KO" && rmmod rxsteer || return 1
	done
}
rxs_check "5 load/unload cycles" cycles
rxs_check "no rxsteer taint or leftover module" \
	sh -c "! grep -q '^rxsteer ' /proc/modules"
rxs_dmesg_check
rxs_finish
