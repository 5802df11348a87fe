#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege: every rxsteer knob needs CAP_NET_ADMIN in the user namespace
# that owns the device's network namespace (ns_capable(), as net-sysfs'
# netdev_store() checks), and the host-wide sock_flow_entries and module
# parameter poll_linger_us need it in the initial user namespace
# (capable()); reading needs nothing
# (Documentation/sysfs-abi.rst, "Writing"). Actors:
#
#   (a) a non-root user (nobody): open(2) for writing fails with EACCES
#       (modes 0644, owner root); a knob fd that root opened and handed
#       over fails with EPERM; every file reads;
#   (b) root without CAP_NET_ADMIN: EPERM on every knob; reads work;
#   (c) root of a user namespace that is not the initial one, on a device
#       of a network namespace owned by the initial one: EACCES from
#       open(2) when its uid 0 is not global root, EPERM on a handed-over
#       fd, EPERM when its uid 0 maps to global root;
#   (c') "container root": an unprivileged user namespace with a network
#       namespace of its own and sysfs mounted there: its devices' files
#       belong to it and every per-device and per-queue knob takes its
#       writes (also on a device moved in from the host, detached by the
#       move), but not without CAP_NET_ADMIN in its namespace; the host-wide
#       sock_flow_entries and poll_linger_us and the host's devices refuse
#       it;
#   (d) after every refused write, every knob reads as before;
#   (e) a dev-flow table is charged to the writer's memory cgroup: over
#       its memory.max the write fails with ENOMEM and changes nothing.
#
# Positive controls: root with CAP_NET_ADMIN as its only capability, and
# nobody with an ambient CAP_NET_ADMIN writing through handed-over fds,
# can write every knob.
#
# The per-queue knobs follow the documented model, not the kernel's own
# rps_cpus and rps_flow_cnt: net-sysfs checks those with capable() (the
# initial user namespace: store_rps_map(), store_rps_dev_flow_table_cnt()),
# so a container root that may set rxsteer's cpus and flow_cnt on its
# devices may not set the kernel's; the test logs the kernel's answer.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 2
rxs_require_cmd ip setpriv unshare stat

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
NS=$RXS_NS_RX
d=/sys/class/net/vrx/rxsteer
q=$d/rx-0
g=/sys/kernel/rxsteer
p=/sys/module/rxsteer/parameters/poll_linger_us
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
NOADMIN="setpriv --bounding-set=-net_admin --inh-caps=-net_admin --"

# The knobs, as listed in src/sysfs.c (every file with a store method),
# and the writable module parameter; for each a valid value that differs
# from the set-up below.
KNOBS=("$d/enabled" "$d/backlog_limit" "$q/cpus" "$q/cpus_list"
       "$q/flow_cnt" "$g/sock_flow_entries" "$d/flow_limit" "$p")
NEW=(0 77 1 0-1 64 2048 1 50)

setup_values()
{
	rxs_nsfs "$NS" "echo 1 > $d/enabled && echo 500 > $d/backlog_limit &&
		echo 1 > $q/cpus_list && echo 128 > $q/flow_cnt &&
		echo 1024 > $g/sock_flow_entries && echo 0 > $d/flow_limit &&
		echo 0 > $p"
}
setup_values || rxs_skip_all "cannot attach and configure vrx"

# knob_state: every knob's value, in the order of KNOBS, on one line.
knob_state()
{
	rxs_nsfs "$NS" "cat ${KNOBS[*]} 2>&1" | xargs
}

# priv_ops: runs as the actor. Reads lines "OP ARG [VALUE]" and prints one
# line each: "OK" or "OK <output>" on success, else "ERR <error text>".
#   w FILE VALUE   write VALUE to FILE (open + write)
#   f FD VALUE     write VALUE to the already open file descriptor FD
#   x FILE VALUE   write VALUE to FILE from a child without CAP_NET_ADMIN
#   r FILE         read FILE (an empty file fails)
#   R NAME FILE... read every FILE (an empty one fails): "OK", or "ERR"
#                  and the files that did not read
#   g FILE         read FILE, print its content
#   s FILE         print FILE's owner and mode, uid:gid:mode
priv_ops()
{
	local op a v out rc f line err
	# Builtins only where they do: forks are slow under TCG.
	err=$(mktemp) || return 1
	while read -r op a v; do
		out=""
		case $op in
		w) { printf '%s' "$v" > "$a"; } 2> "$err" ;;
		f) { printf '%s' "$v" >&"$a"; } 2> "$err" ;;
		x) setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
			-- bash -c 'printf "%s" "$2" > "$1"' _ "$a" "$v" 2> "$err" ;;
		r) { IFS= read -r line || [ -n "$line" ]; } 2> "$err" < "$a" ;;
		R) for f in $v; do
			{ IFS= read -r line || [ -n "$line" ]; } 2>/dev/null < "$f" ||
				out="$out $f"
		   done
		   [ -z "$out" ] || { out="not read:$out"; false; } ;;
		g) { IFS= read -r out || [ -n "$out" ]; } 2> "$err" < "$a" ;;
		s) out=$(stat -c '%u:%g:%a' "$a" 2> "$err") ;;
		*) echo "bad op $op" > "$err"; false ;;
		esac
		rc=$?
		if [ $rc = 0 ]; then
			echo "OK${out:+ $out}"
		elif [ "$op" = R ]; then
			echo "ERR$out"
		else
			line=""
			IFS= read -r line < "$err"
			echo "ERR ${line##*: }"
		fi
	done
	rm -f "$err"
}

errtext()
{
	case $1 in
	EACCES) echo "Permission denied" ;;
	ENOENT) echo "No such file or directory" ;;
	*) rxs_strerror "$1" ;;
	esac
}

# short PATH: a file's name for a subtest description.
short()
{
	local p=${1#/sys/class/net/}
	p=${p#/sys/module/rxsteer/}
	echo "${p#/sys/kernel/}"
}

# actor NAME OPSFILE CMD...: run the ops of OPSFILE (lines "WANT OP ARG
# [VALUE]") through priv_ops under CMD (a command prefix that ends in
# something executing its arguments), with $PRELUDE run first in the
# actor's shell. One subtest per op: WANT is OK, an errno name, "=TEXT"
# (the output of g or s) or "?" (the outcome is logged only). Descriptor
# N is ${KNOBS[N - 3]} (see fds_open).
actor()
{
	local name=$1 ops=$2 want op a v i got ok desc
	local -a wants=() descs=() res=()
	shift 2
	while read -r want op a v; do
		wants+=("$want")
		case $op in
		w) desc="write '$v' to $(short "$a")" ;;
		f) desc="write '$v' to $(short "${KNOBS[a - 3]}") (fd opened by root)" ;;
		x) desc="write '$v' to $(short "$a") without CAP_NET_ADMIN" ;;
		r) desc="read $(short "$a")" ;;
		R) desc="read every one of the $(echo $v | wc -w) $a files" ;;
		g) desc="$(short "$a") reads" ;;
		s) desc="$(short "$a") owner:group:mode" ;;
		esac
		descs+=("$desc")
		echo "$op $a $v"
	done < "$ops" > "$rxs_tmp/ops.in"
	mapfile -t res < <("$@" bash -c "${PRELUDE:-}
$(declare -f priv_ops)
priv_ops" < "$rxs_tmp/ops.in" 2>"$rxs_tmp/actor.err")
	sed 's/^/# stderr: /' "$rxs_tmp/actor.err"
	for i in "${!wants[@]}"; do
		want=${wants[i]} got=${res[i]:-"(no result)"}
		desc="$name: ${descs[i]}"
		case $want in
		OK) ok=OK; [ "${got%% *}" = OK ] && got=OK ;;
		=*) ok="OK ${want#=}" ;;
		"?") rxs_log "$desc: $got"; continue ;;
		*) ok="ERR $(errtext "$want")" ;;
		esac
		if [ "$got" = "$ok" ]; then
			rxs_pass "$desc: ${want/#=/}"
		else
			rxs_fail "$desc: ${want/#=/}" "got: $got"
		fi
	done
	return 0
}

# ops_writes WANT [fd]: one write op per knob, with its new value; with
# "fd", through descriptors 3.. (see fds_open).
ops_writes()
{
	local i
	for i in "${!KNOBS[@]}"; do
		if [ "${2:-}" = fd ]; then
			echo "$1 f $((i + 3)) ${NEW[i]}"
		else
			echo "$1 w ${KNOBS[i]} ${NEW[i]}"
		fi
	done
}

# fds_open: shell code opening every knob for writing as descriptors 3..,
# then running its arguments (root opens, the actor writes).
fds_open()
{
	local i s=""
	for i in "${!KNOBS[@]}"; do
		s="$s $((i + 3))>${KNOBS[i]}"
	done
	echo "exec $s && exec \"\$@\""
}

# unchanged NAME: (d) every knob reads as before the actor.
unchanged()
{
	local now
	now=$(knob_state)
	if [ "$now" = "$BASE" ]; then
		rxs_pass "$1: every knob unchanged after the refused writes"
	else
		rxs_fail "$1: every knob unchanged after the refused writes" \
			"before: $BASE, after: $now"
	fi
}

BASE=$(knob_state)
rxs_log "knobs (${KNOBS[*]##*/}): $BASE"
rxs_check "set-up: enabled 1, backlog_limit 500, CPU 1, flow_cnt 128, sock_flow_entries 1024, flow_limit 0, poll_linger_us 0" \
	test "$(echo "$BASE" | cut -d' ' -f1,2,4-)" = "1 500 1 128 1024 0 0"

# --- the file modes: exactly the knobs are writable ---
readable=$(rxs_nsfs "$NS" "find $d $g $p -type f | sort")
writable=$(rxs_nsfs "$NS" "find $d $g $p -type f -perm /222 | sort")
rxs_check "the writable files are exactly the knobs of src/sysfs.c and poll_linger_us" \
	test "$writable" = "$(printf '%s\n' "${KNOBS[@]}" | sort)"
[ "$writable" = "$(printf '%s\n' "${KNOBS[@]}" | sort)" ] ||
	rxs_log "writable: $(echo "$writable" | xargs)"
bad=$(rxs_nsfs "$NS" "stat -c '%a %u %g %n' ${KNOBS[*]}" | grep -v '^644 0 0 ')
rxs_check "every knob is mode 0644, owner 0:0" test -z "$bad"
bad=$(rxs_nsfs "$NS" "find $d $g -type f ! -perm /222 -exec stat -c '%a %u %g %n' {} + ;
	stat -L -c '%a %u %g %n' /proc/net/rxsteer_stat" | grep -v '^444 0 0 ')
rxs_check "every other file is mode 0444, owner 0:0" test -z "$bad"
[ -n "$bad" ] && echo "$bad" | sed 's/^/# /'
rxs_log "$(echo "$readable" | wc -l) files, $(echo "$writable" | wc -l) knobs"

# ops_reads: one op reading every file (counters, status, knobs) and
# /proc/net/rxsteer_stat.
ops_reads()
{
	echo "OK R rxsteer $(echo $readable) /proc/net/rxsteer_stat"
}

# --- (a) a non-root user ---
{ ops_writes EACCES; ops_reads; } > "$rxs_tmp/a.ops"
actor nobody "$rxs_tmp/a.ops" ip netns exec "$NS" $NOBODY
unchanged nobody
ops_writes EPERM fd > "$rxs_tmp/a-fd.ops"
actor "nobody, fds opened by root" "$rxs_tmp/a-fd.ops" \
	ip netns exec "$NS" bash -c "$(fds_open)" _ $NOBODY
unchanged "nobody, fds opened by root"

# --- (b) root without CAP_NET_ADMIN ---
{ ops_writes EPERM; ops_reads; } > "$rxs_tmp/b.ops"
actor "root without CAP_NET_ADMIN" "$rxs_tmp/b.ops" \
	ip netns exec "$NS" $NOADMIN
unchanged "root without CAP_NET_ADMIN"

# --- (c) root of another user namespace, device of the initial one's ---
if ! $NOBODY unshare -U -r true 2>/dev/null; then
	rxs_skip "user namespace root: writes refused" \
		"unprivileged user namespaces are not available"
	userns=0
else
	userns=1
	{ ops_writes EACCES; ops_reads; } > "$rxs_tmp/c.ops"
	actor "userns root (uid 0 = nobody)" "$rxs_tmp/c.ops" \
		ip netns exec "$NS" $NOBODY unshare -U -r --
	unchanged "userns root (uid 0 = nobody)"
	ops_writes EPERM fd > "$rxs_tmp/c-fd.ops"
	actor "userns root (uid 0 = nobody), fds opened by root" \
		"$rxs_tmp/c-fd.ops" \
		ip netns exec "$NS" bash -c "$(fds_open)" _ $NOBODY unshare -U -r --
	unchanged "userns root (uid 0 = nobody), fds opened by root"
	# Created by root: its uid 0 is global root, so open(2) passes the
	# mode check; it has no capability in the initial user namespace.
	{ ops_writes EPERM; ops_reads; } > "$rxs_tmp/c-root.ops"
	actor "userns root (uid 0 = root)" "$rxs_tmp/c-root.ops" \
		ip netns exec "$NS" unshare -U -r --
	unchanged "userns root (uid 0 = root)"
fi

# --- (c') container root: its own netns and devices ---
if [ "$userns" = 1 ]; then
	share=$rxs_tmp/share
	mkdir -p "$share" && chmod 0755 "$rxs_tmp" && chmod 0777 "$share"
	# A host device, attached here, that the host moves into the
	# container's namespace once that exists.
	ip -n "$NS" link add mv0 type veth peer name mv1
	rxs_nsfs "$NS" "echo 1 > /sys/class/net/mv0/rxsteer/enabled &&
		echo 321 > /sys/class/net/mv0/rxsteer/backlog_limit"
	c=/sys/class/net/ca/rxsteer
	m=/sys/class/net/mv0/rxsteer
	cat > "$rxs_tmp/ct.ops" <<-EOT
		=0:0:644 s $c/enabled
		=0:0:644 s $c/backlog_limit
		=0:0:644 s $c/flow_limit
		=0:0:444 s $c/kernel_rps_conflicts
		=0 g $c/enabled
		OK w $c/enabled 1
		=1 g $c/enabled
		=0:0:644 s $c/rx-0/cpus_list
		=0:0:644 s $c/rx-0/flow_cnt
		OK w $c/backlog_limit 77
		=77 g $c/backlog_limit
		OK w $c/flow_limit 1
		=1 g $c/flow_limit
		OK w $c/rx-0/cpus_list 1
		=1 g $c/rx-0/cpus_list
		OK w $c/rx-0/cpus 1
		=0 g $c/rx-0/cpus_list
		OK w $c/rx-0/flow_cnt 64
		=64 g $c/rx-0/flow_cnt
		OK r $c/kernel_rps_conflicts
		OK r $c/rx-0/seen
		OK r $c/rx-0/steered
		OK r /proc/net/rxsteer_stat
		EPERM x $c/backlog_limit 88
		EPERM x $c/flow_limit 0
		EPERM x $c/rx-0/cpus_list 0-1
		EPERM x $c/rx-0/flow_cnt 32
		EPERM x $c/enabled 0
		=77 g $c/backlog_limit
		=1 g $c/flow_limit
		=0 g $c/rx-0/cpus_list
		=64 g $c/rx-0/flow_cnt
		=1 g $c/enabled
		OK w $c/enabled 0
		=0 g $c/enabled
		EACCES w $g/sock_flow_entries 4096
		EPERM f 8 4096
		EACCES w $p 50
		EPERM f 10 50
		OK r $g/probes
		OK r $g/stats/steered_out
		EPERM f 3 0
		EPERM f 4 77
		EPERM f 5 1
		EPERM f 6 0-1
		EPERM f 7 64
		EPERM f 9 1
		=0:0:644 s $m/enabled
		=0 g $m/enabled
		=1000 g $m/backlog_limit
		OK w $m/enabled 1
		=1 g $m/enabled
		OK w $m/rx-0/cpus_list 1
		=1 g $m/rx-0/cpus_list
		OK w $m/enabled 0
		? w /sys/class/net/cb/queues/rx-0/rps_cpus 1
	EOT
	echo "OK R host-wide $(echo "$readable" | grep "^$g/" | xargs)" >> "$rxs_tmp/ct.ops"
	# The container's shell: mount its netns' sysfs, make a veth pair,
	# tell the host its pid, wait for mv0, then run the ops.
	PRELUDE="
		mount -t sysfs sysfs /sys || echo 'sysfs mount failed' >&2
		ip link add ca type veth peer name cb || echo 'ip link add failed' >&2
		echo \$\$ > $share/pid
		for i in \$(seq 200); do [ -e $share/moved ] && break; sleep 0.1; done
	"
	# The host moves mv0 in once the container's namespace exists.
	(
		for i in $(seq 200); do
			[ -s "$share/pid" ] && break
			sleep 0.1
		done
		ip -n "$NS" link set mv0 netns "$(cat "$share/pid")" ||
			echo "could not move mv0 into the container's namespace"
		touch "$share/moved"
	) &
	actor "container root" "$rxs_tmp/ct.ops" ip netns exec "$NS" \
		bash -c "$(fds_open)" _ $NOBODY unshare -U -r -n -m --
	wait
	unset PRELUDE
	unchanged "container root"
	rxs_check "container root: mv0 left the host's namespace" \
		sh -c "! ip -n '$NS' link show mv0 >/dev/null 2>&1"
else
	rxs_skip "container root: own devices writable, host-wide knob refused" \
		"unprivileged user namespaces are not available"
fi

# --- positive controls ---
# ops_control [fd]: every knob written with its new value and read back
# (enabled last: detaching removes rx-0); with "fd", through descriptors.
ops_control()
{
	local i
	for i in 2 3 4 1 5 6 7 0; do
		if [ "${1:-}" = fd ]; then
			echo "OK f $((i + 3)) ${NEW[i]}"
		else
			echo "OK w ${KNOBS[i]} ${NEW[i]}"
		fi
		case $i in
		2) echo "=0 g $q/cpus_list" ;;
		*) echo "=${NEW[i]} g ${KNOBS[i]}" ;;
		esac
	done
}

# nobody with CAP_NET_ADMIN (ambient) through fds root opened: the check
# is the capability, not the uid.
ops_control fd > "$rxs_tmp/p1.ops"
actor "nobody with CAP_NET_ADMIN" "$rxs_tmp/p1.ops" \
	ip netns exec "$NS" bash -c "$(fds_open)" _ \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=+net_admin --ambient-caps=+net_admin --
setup_values
rxs_check "knobs set back to the set-up values" test "$(knob_state)" = "$BASE"
# Root whose only capability is CAP_NET_ADMIN (it owns the files: no DAC
# override needed).
ops_control > "$rxs_tmp/p2.ops"
actor "root with only CAP_NET_ADMIN" "$rxs_tmp/p2.ops" \
	ip netns exec "$NS" setpriv --bounding-set=-all,+net_admin \
	--inh-caps=-all --

# --- memory: the tables a writer sizes are charged to its memory cgroup ---
# Root of a user namespace may size the dev-flow tables of its own devices
# (up to 8 MiB a queue): src/dev.c charges them to the writer's memory
# cgroup. Over the cgroup's limit the write fails with ENOMEM and changes
# nothing; under it, memory.current grows by at least the table.
cg_root=""
cg=""
cg_skip=""
cg_cleanup()
{
	[ -n "$cg" ] && rmdir "$cg" 2>/dev/null
	[ -n "$cg_root" ] && umount "$cg_root" 2>/dev/null
}
rxs_on_cleanup cg_cleanup

# cg_write VALUE: from a shell that first joins $cg, write VALUE to
# flow_cnt; prints the error message on failure (bash: dash's printf says
# "I/O error" whatever the errno).
cg_write()
{
	ip netns exec "$NS" bash -c 'echo $$ > "$1/cgroup.procs" &&
		printf "%s" "$2" > "$3"' _ "$cg" "$1" "$q/flow_cnt" 2>&1
}

memcg_checks()
{
	local cur max=1048576 out before after
	# Its own mount of the one cgroup2 hierarchy: ip netns exec mounts a
	# fresh /sys, without /sys/fs/cgroup.
	cg_root=$rxs_tmp/cgroup2
	mkdir -p "$cg_root" && mount -t cgroup2 none "$cg_root" ||
		{ cg_skip="cannot mount cgroup2"; return 1; }
	grep -qw memory "$cg_root/cgroup.controllers" ||
		{ cg_skip="no memory controller"; return 1; }
	echo +memory > "$cg_root/cgroup.subtree_control" 2>/dev/null
	cg=$cg_root/rxsteer-priv.$$
	mkdir "$cg" && [ -e "$cg/memory.max" ] ||
		{ cg_skip="cannot create a memory cgroup"; return 1; }
	setup_values

	# 2 MiB above what the group holds: an 8 MiB table does not fit.
	cur=$(cat "$cg/memory.current")
	echo $((cur + 2 * 1024 * 1024)) > "$cg/memory.max"
	out=$(cg_write $max) && {
		rxs_fail "flow_cnt $max over the writer's memory.max fails" \
			"write succeeded"
		return 0
	}
	case "$out" in
	*"Cannot allocate memory"*)
		rxs_pass "flow_cnt $max over the writer's memory.max: ENOMEM" ;;
	*)	rxs_fail "flow_cnt $max over the writer's memory.max: ENOMEM" \
			"got: ${out##*: }" ;;
	esac
	rxs_check "after ENOMEM, flow_cnt is still 128" \
		test "$(rxs_nsfs "$NS" "cat $q/flow_cnt")" = 128

	echo max > "$cg/memory.max"
	before=$(cat "$cg/memory.current")
	out=$(cg_write $max)
	after=$(cat "$cg/memory.current")
	rxs_check "flow_cnt $max without a limit ($out)" \
		test "$(rxs_nsfs "$NS" "cat $q/flow_cnt")" = $max
	rxs_log "memory.current of the writer's cgroup: $before -> $after bytes"
	rxs_check "the $max-entry table is charged to the writer's cgroup" \
		test $((after - before)) -ge $((max * 8))
	setup_values
	return 0
}
memcg_checks ||
	rxs_skip "flow tables charged to the writer's memory cgroup" "$cg_skip"

rxs_check "unload" rxs_unload
rxs_dmesg_check
rxs_finish
