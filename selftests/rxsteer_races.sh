#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Races: knob writes from several concurrent shell loops against a UDP
# flood over a 2-queue veth, for RXS_RACE_SECONDS (default 25) seconds:
# two loops changing both queues' masks (cpus and cpus_list), flow_cnt
# resizes, sock_flow_entries resizes (RFS turned on and off under
# readers), backlog_limit changes, attach/detach, and a
# loop reading every counter while the queue directories come and go.
# Then: no kernel report; no racer hung; no write failed but the open or
# write of a queue file that a detach or attach was removing or creating
# (ENOENT, EACCES, ENODEV); sent = delivered + counted drops; no packet
# delivered twice; the counter invariants of sysfs-abi.rst hold with every
# backlog empty; RFS, its probes and RPS still work; and the module
# unloads leaving nothing behind.
#
# At 9c66311 it panicked 6.1 and 6.12 within seconds of the
# sock_flow_entries racer starting: turning RFS off and on again freed the
# recvmsg probes' ftrace filter hash twice (ftrace_free_filter() at RFS
# off, then ftrace_set_filter() at RFS on; "kernel BUG at mm/slub.c" or a
# general protection fault in free_ftrace_hash() from rcu_do_batch()),
# fixed by 35c1974. The probes now stay registered from the first RFS on
# until unload, so RFS on/off patches no code under the readers, and this
# test turns RFS on before the flood starts: ftrace patching under
# readers oopsed 6.12 guests under QEMU TCG, twice in a row here, when
# RFS off still unregistered the probes.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
rxs_require_cmd ip nstat
[ -x "$RXS_FLOWS" ] || rxs_skip_all "rxs_flows not built (make -C selftests)"
last=$(( $(nproc) - 1 ))
DUR=${RXS_RACE_SECONDS:-25}

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup 2 || rxs_skip_all "cannot create veth namespaces"
RXS_NS=$RXS_NS_RX
NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
g=/sys/kernel/rxsteer

# Only the test's UDP on the link: no IPv6 control packets whose drops
# (drop_detached, drop_backlog) would count against the flood.
for ns in "$RXS_NS_TX" "$RXS_NS_RX"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
# The kernel's own backlog on the arrival CPU must not be the bottleneck
# (its drops would be counted, but the flood should reach rxsteer).
mb_old=$(cat /proc/sys/net/core/netdev_max_backlog)
max_backlog_restore() { echo "$mb_old" > /proc/sys/net/core/netdev_max_backlog; }
rxs_on_cleanup max_backlog_restore
echo 100000 > /proc/sys/net/core/netdev_max_backlog

rxs_nsfs "$NS" "echo 1 > $d/enabled && echo 1-$last > $d/rx-0/cpus_list &&
	echo 1-$last > $d/rx-1/cpus_list && echo 1024 > $g/sock_flow_entries" ||
	rxs_skip_all "cannot attach"
# Registered here, before any reader runs: the racers' RFS on and off
# only flip the probes between registered and idle.
rxs_check "RFS on before the flood: probes registered" rxs_probes_are registered

# drops: rxs_drops for vrx (lib.sh), "RXSTEER UDP DEV SOFTNET".
drops() { rxs_drops "$NS" vrx; }

# drops_since "A B C D": the increase of each, "a b c d".
drops_since()
{
	local -a old new
	read -r -a old <<< "$1"
	read -r -a new <<< "$(drops)"
	echo $((new[0] - old[0])) $((new[1] - old[1])) $((new[2] - old[2])) \
		$((new[3] - old[3]))
}

backlog_sum()
{
	awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/rxsteer_stat
}

# race_loop NAME SECONDS PAUSE ITEM...: one racer, a single bash (no fork
# per write). Until SECONDS have passed, for each ITEM "FILE|VALUE" it
# writes VALUE and a newline to FILE (an empty VALUE: the empty mask), and
# for "READ|FILE" it reads FILE, then pauses PAUSE seconds. Failed opens
# and writes append bash's message to $RACE_DIR/NAME.err; the counts go
# to $RACE_DIR/NAME.sum as "ok N err N".
race_loop()
{
	local name=$1 dur=$2 pause=$3 ok=0 err=0 it f v line
	local errf=$RACE_DIR/$name.err
	shift 3
	exec 9<>"$RACE_DIR/fifo"
	while [ "$SECONDS" -lt "$dur" ]; do
		for it in "$@"; do
			[ "$SECONDS" -lt "$dur" ] || break
			f=${it%%|*} v=${it#*|}
			if [ "$f" = READ ]; then
				if { while read -r line; do :; done; } 2>>"$errf" < "$v"; then
					ok=$((ok + 1))
				else
					err=$((err + 1))
				fi
			elif echo "$v" 2>>"$errf" > "$f"; then
				ok=$((ok + 1))
			else
				err=$((err + 1))
			fi
			read -r -t "$pause" -u 9 line
		done
	done
	echo "ok $ok err $err" > "$RACE_DIR/$name.sum"
}

RACE_DIR=$rxs_tmp/race
mkdir -p "$RACE_DIR" && mkfifo "$RACE_DIR/fifo"
racers=""
# racer NAME PAUSE ITEM...: start race_loop in the receiver's namespace.
racer()
{
	local name=$1
	shift
	: > "$RACE_DIR/$name.err"
	ip netns exec "$NS" bash -c "RACE_DIR=$RACE_DIR
$(declare -f race_loop)
race_loop \"\$@\"" _ "$name" "$DUR" "$@" &
	racers="$racers $name:$!"
}

q0=$d/rx-0 q1=$d/rx-1
all_hex=$(printf '%x' $(( (1 << (last + 1)) - 1 )))
hi_hex=$(printf '%x' $(( 1 << last )))
start_racers()
{
	racer masks-a 0.02 "$q0/cpus_list|1" "$q1/cpus|$hi_hex" "$q0/cpus_list|1-$last" \
		"$q1/cpus|$all_hex" "$q0/cpus_list|" "$q1/cpus|0" "$q0/cpus_list|0-$last" \
		"$q1/cpus|2"
	racer masks-b 0.03 "$q0/cpus|$hi_hex" "$q1/cpus_list|$last" "$q0/cpus|2" \
		"$q1/cpus_list|" "$q0/cpus|$all_hex" "$q1/cpus_list|1-$last"
	racer flow_cnt 0.03 "$q0/flow_cnt|16" "$q1/flow_cnt|256" "$q0/flow_cnt|4096" \
		"$q1/flow_cnt|65536" "$q0/flow_cnt|0" "$q1/flow_cnt|1" \
		"$q0/flow_cnt|1024" "$q1/flow_cnt|0"
	# RFS on, resized under traffic, then off.
	racer sock_flow_entries 0.3 "$g/sock_flow_entries|1024" \
		"$g/sock_flow_entries|65536" "$g/sock_flow_entries|256" \
		"$g/sock_flow_entries|4096" "$g/sock_flow_entries|0"
	racer backlog_limit 0.02 "$d/backlog_limit|10" "$d/backlog_limit|1000" \
		"$d/backlog_limit|1" "$d/backlog_limit|100000" "$d/backlog_limit|100"
	# Slower: each attach starts with empty masks and no dev-flow table.
	racer attach 0.5 "$d/enabled|0" "$d/enabled|1"
	racer counters 0.01 "READ|$q0/seen" "READ|$q1/steered" "READ|$q0/cpus" \
		"READ|$q1/flow_cnt" "READ|$d/kernel_rps_conflicts" \
		"READ|/proc/net/rxsteer_stat" "READ|$g/probes" "READ|$g/stats/steered_in"
}

# vrx's received packets (before rxsteer), to see traffic flowing.
rx_packets()
{
	ip -n "$NS" -s -j link show vrx |
		sed -n 's/.*"rx":{"bytes":[0-9]*,"packets":\([0-9]*\).*/\1/p'
}

# The racers start once the flood flows and stop after DUR s (and the
# write in progress then); the flood is stopped only after them (SIGTERM:
# rxs_flows send -D reports what it sent), so it outlasts them however
# slowly the guest runs: a flood of a fixed DUR + 15 s ended before the
# racers did on the debug kernel under single-threaded TCG (flowing after
# 88 s, racers done after 211 s). -D is only an upper bound.
d0=$(drops)
rxs_snap "$rxs_tmp/race.before"
t0=$SECONDS
rxs_flows_run race 4 64 0 0 -D "$(( (DUR + 900) * 1000 ))" -- -R "1-$last" &
fpid=$!
p0=$(rx_packets)
flowing=0
for i in $(seq 300); do
	[ "$(rx_packets)" -gt $((p0 + 1000)) ] && { flowing=1; break; }
	sleep 0.1
done
if [ "$flowing" = 1 ]; then
	rxs_log "flood flowing after $((SECONDS - t0)) s"
else
	rxs_log "flood not flowing after $((SECONDS - t0)) s: racing anyway"
fi
p1=$(rx_packets)
start_racers
# Every racer ends by itself at $DUR s: one still running 60 s later hangs.
hung=""
for r in $racers; do
	name=${r%%:*} pid=${r#*:}
	for i in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		hung="$hung $name"
		for p in "$pid" $(pgrep -P "$pid"); do
			rxs_log "$name: pid $p stack: $(tr '\n' ' ' < "/proc/$p/stack" 2>/dev/null)"
		done
		kill "$pid" 2>/dev/null
	fi
	wait "$pid"
done
p2=$(rx_packets)
rxs_log "racers done after $((SECONDS - t0)) s; vrx received $((p2 - p1)) packets while they ran"
spid=$(cat "$rxs_tmp/race.send.pid" 2>/dev/null)
[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null
wait "$fpid"
rxs_log "flood done after $((SECONDS - t0)) s"
rxs_check "every racer finished (none hung in a write)" test -z "$hung"
rxs_check "the flood ran while the racers did" test $((p2 - p1)) -gt 1000

# What each racer did, and how its failed writes failed.
for r in $racers; do
	name=${r%%:*}
	sum=$(cat "$RACE_DIR/$name.sum" 2>/dev/null)
	errs=$(sed 's/.*: //' "$RACE_DIR/$name.err" | sort | uniq -c | xargs)
	rxs_log "$name: ${sum:-no summary}${errs:+, errors: $errs}"
	rxs_check "$name: the racer ran (some operations succeeded)" \
		test "$(echo "$sum" | awk '{ print $2 }')" -gt 0 2>/dev/null
	# A queue directory comes and goes with attach and detach. Opening
	# one of its files fails with ENOENT when the directory is gone,
	# and with EACCES when the directory exists but the file does not
	# yet or no longer (a shell redirection opens with O_CREAT, and a
	# sysfs directory has no create operation: lookup_open() in
	# fs/namei.c); the open fails with ENODEV when the file was removed
	# between lookup and open (kernfs_fop_open(): kernfs_get_active()
	# fails), and a write or read when it was removed after the open.
	# Nothing else may fail, and nothing at all on the device-wide and
	# host-wide files.
	q_re="$d/rx-[0-9]+/[a-z_]+"
	case $name in
	masks-*|flow_cnt|counters)
		bad=$(grep -v -E -e ": $q_re: (No such file or directory|Permission denied|No such device)\$" \
			-e ': (write|read) error: ([0-9]+: )?No such device$' \
			"$RACE_DIR/$name.err")
		;;
	*) bad=$(cat "$RACE_DIR/$name.err") ;;
	esac
	[ -n "$bad" ] && echo "$bad" | sort | uniq -c | head -n 10 | sed 's/^/# unexpected: /'
	rxs_check "$name: no write failed unexpectedly" test -z "$bad"
done

# Leave the device attached and steering; wait for the backlogs to drain.
rxs_nsfs "$NS" "echo 1 > $d/enabled && echo 100000 > $d/backlog_limit &&
	echo 1-$last > $q0/cpus_list && echo 1-$last > $q1/cpus_list"
for i in $(seq 50); do
	[ "$(backlog_sum)" = 0 ] && break
	sleep 0.1
done

sent=$(awk '{ print $2 }' "$rxs_tmp/race.send")
got=$(rxs_flows_total race)
dups=$(awk '$1 == "total" { print $7 }' "$rxs_tmp/race.out")
read -r dr du dd ds <<< "$(drops_since "$d0")"
# vrx's rx_dropped includes the kernel backlog's drops (softnet): once.
dropped=$((dr + du + dd))
rxs_log "flood under the races: sent $sent delivered $got dropped(counted) $dropped:" \
	"rxsteer $dr, UDP InErrors $du, vrx rx_dropped $dd (softnet_stat $ds)" \
	"(rxsteer: drop_backlog $(rxs_stat_total drop_backlog)" \
	"drop_detached $(rxs_stat_total drop_detached)" \
	"drop_nomem $(rxs_stat_total drop_nomem)), steered_out $(rxs_stat_total steered_out)"
rxs_snap "$rxs_tmp/race.after"
outcomes=""
for c in steered_out passed_local no_steer non_ip no_hash target_offline \
	drop_backlog drop_detached rfs_hit rfs_miss flow_move probe_hit; do
	outcomes="$outcomes $c $(rxs_snap_delta "$rxs_tmp/race.before" \
		"$rxs_tmp/race.after" $c | awk '{ n += $2 } END { print n + 0 }')"
done
rxs_log "during the races:$outcomes"
rxs_log "processed per CPU (receiver): $(rxs_flows_cpus race | xargs)"
rxs_check "traffic flowed during the races" test "${got:-0}" -gt 0
rxs_check "rxsteer steered packets during the races" \
	test "$(rxs_snap_delta "$rxs_tmp/race.before" "$rxs_tmp/race.after" \
		steered_out | awk '{ n += $2 } END { print n + 0 }')" -gt 0
rxs_check "sent = delivered + counted drops" test "$sent" = $(( ${got:-0} + dropped ))
rxs_check "no packet delivered twice" test "${dups:-x}" = 0

# The invariants of sysfs-abi.rst, now that nothing is in flight.
s_out=$(rxs_stat_total steered_out) s_in=$(rxs_stat_total steered_in)
proc=$(rxs_stat_total processed) det=$(rxs_stat_total drop_detached)
redel=$(rxs_stat_total redelivered)
ipi_s=$(rxs_stat_total ipi_sent) ipi_r=$(rxs_stat_total ipi_recv)
rxs_log "steered_out $s_out steered_in $s_in processed $proc drop_detached $det" \
	"redelivered $redel ipi_sent $ipi_s ipi_recv $ipi_r backlog $(backlog_sum)"
rxs_check "every backlog empty" test "$(backlog_sum)" = 0
rxs_check "steered_out = steered_in" test "$s_out" = "$s_in"
rxs_check "steered_in = processed + drop_detached" \
	test "$s_in" = $((proc + det))
rxs_check "redelivered <= processed" test "$redel" -le "$proc"
rxs_check "ipi_recv = ipi_sent" test "$ipi_r" = "$ipi_s"

# Still working: RFS and its probes, then RPS alone over the mask.
RXS_NS="" rxs_write "$g/sock_flow_entries" 4096 >/dev/null
rxs_nsfs "$NS" "echo 4096 > $q0/flow_cnt && echo 4096 > $q1/flow_cnt"
rxs_check "after the races: RFS on, both recvmsg probes attached" \
	test "$(rxs_recvmsg_probes | wc -l)" = 2
hits0=$(rxs_stat_total rfs_hit)
rxs_flows_run rfs 4 16 50 0 -w 300 -- -R "1-$last"
rxs_check "after the races: RFS delivers all packets" \
	test "$(rxs_flows_total rfs)" = 800
rxs_check "after the races: RFS finds the readers" \
	test "$(rxs_stat_total rfs_hit)" -gt "$hits0"
RXS_NS="" rxs_write "$g/sock_flow_entries" 0 >/dev/null
rxs_check "after the races: RFS off, probes idle" rxs_probes_are idle
rxs_check "after the races: RFS off, both recvmsg probes still attached" \
	test "$(rxs_recvmsg_probes | wc -l)" = 2
steered0=$(rxs_stat_total steered_out)
rxs_flows_run after 4 16 50 0 -- -R "1-$last"
rxs_check "after the races: RPS delivers all packets" \
	test "$(rxs_flows_total after)" = 800
rxs_check "after the races: RPS steers every packet off the arrival CPU" \
	test "$(rxs_stat_total steered_out)" -ge $((steered0 + 800))

# Unload with the device attached: nothing left behind.
rxs_check "module unloads" rxs_unload
rxs_check "unloaded: no rxsteer module, no recvmsg probe" \
	test ! -e /sys/module/rxsteer -a -z "$(rxs_recvmsg_probes)"
rxs_check "unloaded: vrx has no rxsteer directory" \
	rxs_nsfs "$NS" "! test -e $d"
rxs_flows_run unloaded 4 16 20 0
rxs_check "unloaded: vrx still receives" test "$(rxs_flows_total unloaded)" = 320
rxs_dmesg_check
rxs_finish
