#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control experiment for the "Oops: int3" seen under multi-threaded QEMU
# TCG (Documentation/limitations.rst), with no rxsteer at all: a UDP flood over
# veth read by rxs_flows, so that inet_recvmsg() runs on every vCPU, while
# the kernel's own function tracer is switched on and off for
# inet_recvmsg and inet6_recvmsg: ftrace patches the same __fentry__ call
# sites as rxsteer's probes do when RFS is turned on and off. Run it in a
# VM, with the kernel console kept (-K), for example:
#
#   scripts/vm-run.sh -k 6.12-rt --tcg-thread multi -t 1800 \
#       -K /tmp/pc.dmesg -- scripts/patch-control.sh 200
#   grep -A30 Oops /tmp/pc.dmesg.console
#
# (vm-run.sh's default, single-threaded TCG, is the other arm of the
# comparison.)
#
# Needs the selftests built (make -C selftests). Prints every 25 cycles,
# stops at the first kernel report; a guest that panics ends the VM.

source "$(dirname "$0")/../selftests/lib.sh"

rxs_require_root
rxs_require_cpus 3
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
[ -e /sys/module/rxsteer ] && rxs_skip_all "rxsteer is loaded: this is the control without it"
n=${1:-200}
t=/sys/kernel/tracing
[ -e "$t/current_tracer" ] || mount -t tracefs tracefs "$t"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"

ip netns exec "$RXS_NS_RX" "$RXS_FLOWS" recv -4 -a "$RXS_RX4" -p 9000 \
	-f 32 -n 0 -t 1000 >/dev/null 2>&1 &
rpid=$!
sleep 0.2
ip netns exec "$RXS_NS_TX" "$RXS_FLOWS" send -4 -a "$RXS_RX4" -p 9000 \
	-f 32 -n 0 -D 3600000 -c 0 -w 0 >/dev/null 2>&1 &
spid=$!
tracer_off() { echo nop > "$t/current_tracer"; : > "$t/set_ftrace_filter"; }
rxs_on_cleanup tracer_off
sleep 1
echo 'inet_recvmsg inet6_recvmsg' > "$t/set_ftrace_filter"
start=$(dmesg | wc -l)
t0=$SECONDS
for i in $(seq "$n"); do
	echo function > "$t/current_tracer"
	sleep 0.05
	echo nop > "$t/current_tracer"
	r=$(dmesg | tail -n +"$((start + 1))" | grep -E 'Oops|BUG:|WARNING:' | head -n 3)
	if [ -n "$r" ]; then
		echo "kernel report after $i on/off cycles: $r"
		break
	fi
	[ $((i % 25)) = 0 ] && echo "$i on/off cycles, $((SECONDS - t0)) s"
done
kill "$spid" "$rpid" 2>/dev/null
wait
echo "done: $i cycles in $((SECONDS - t0)) s"
[ -z "$r" ]
