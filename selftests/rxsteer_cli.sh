#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rxsteerctl (tools/) against the real module: every subcommand, in the
# device's network namespace through ip netns exec; its output checked
# against sysfs and procfs, its JSON parsed; every error path exits with
# the documented status and one line on stderr, and a refused write
# changes nothing: module not loaded, usage, no such device, not
# attached, no such rx queue, bad number, bad CPU list (local check and
# the kernel's EINVAL/ERANGE with --no-check), offline CPU, EBUSY, and
# permission denied (EACCES as nobody, EPERM without CAP_NET_ADMIN).

source "$(dirname "$0")/lib.sh"

CTL=$RXS_DIR/../tools/rxsteerctl
[ -x "$CTL" ] || rxs_skip_all "no rxsteerctl binary at $CTL (run make -C tools)"
rxs_require_root
rxs_require_ko
rxs_require_cpus 3
rxs_require_cmd python3 setpriv

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
NOCAP=(setpriv --bounding-set=-net_admin --inh-caps=-net_admin)

# ctl [PREFIX...] -- ARGS...: run rxsteerctl, with PREFIX (setpriv, ip
# netns exec) in front; sets $rc, and $rxs_tmp/out and $rxs_tmp/err. With
# the PREFIX "@rx", rxsteerctl runs in the receiver's namespace: started
# by the bash that `ip netns exec $RXS_NS_RX bash` started once (see
# rx_shell), it has the namespace and the /sys that ip netns exec gives,
# without an ip netns exec per call, which costs a second under TCG.
ctl()
{
	local -a pre=()
	local line
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	if [ "${pre[0]:-}" = @rx ]; then
		printf '%q ' "${pre[@]:1}" "$CTL" "$@" >&"${RXSH[1]}"
		printf '</dev/null >%q 2>%q; echo "rc=$?"\n' \
			"$rxs_tmp/out" "$rxs_tmp/err" >&"${RXSH[1]}"
		IFS= read -r line <&"${RXSH[0]}"
		rc=${line#rc=}
		return
	fi
	"${pre[@]}" "$CTL" "$@" >"$rxs_tmp/out" 2>"$rxs_tmp/err"
	rc=$?
}

# rx_shell: the shell in the receiver's namespace that runs "@rx" commands.
rx_shell()
{
	coproc RXSH { exec ip netns exec "$RXS_NS_RX" bash; }
	rxsh_pid=$RXSH_PID rxsh_fd=${RXSH[1]}
}

rx_shell_end()
{
	[ -n "${rxsh_pid:-}" ] || return 0
	eval "exec ${rxsh_fd}>&-"
	wait "$rxsh_pid" 2>/dev/null
	rxsh_pid=""
}

# Show what a failed subtest got.
ctl_diag()
{
	echo "# rc=$rc"
	sed 's/^/# stdout: /' "$rxs_tmp/out" | head -n 5
	sed 's/^/# stderr: /' "$rxs_tmp/err" | head -n 5
}

# ok DESC [PREFIX...] -- ARGS...: exit 0, nothing on stderr.
ok()
{
	local desc=$1
	shift
	ctl "$@"
	if [ "$rc" = 0 ] && [ ! -s "$rxs_tmp/err" ]; then
		rxs_pass "$desc"
	else
		ctl_diag
		rxs_fail "$desc"
	fi
}

# fails DESC RC REGEX [PREFIX...] -- ARGS...: exit RC, nothing on stdout,
# exactly one line on stderr, matching REGEX (extended).
fails()
{
	local desc=$1 want=$2 re=$3
	local -a lines=()
	shift 3
	ctl "$@"
	mapfile -t lines <"$rxs_tmp/err"
	if [ "$rc" = "$want" ] && [ ! -s "$rxs_tmp/out" ] &&
		[ "${#lines[@]}" = 1 ] && [[ ${lines[0]} =~ $re ]]; then
		rxs_pass "$desc"
	else
		echo "# want rc=$want, one line matching: $re"
		ctl_diag
		rxs_fail "$desc"
	fi
}

# get FILE: a file of vrx's rxsteer directory, through the sysfs of its
# namespace mounted at $rxsys; is FILE WANT: FILE (there, or an absolute
# path) reads WANT. Bash builtins only: under TCG every process counts.
get()
{
	local v
	IFS= read -r v <"$D/$1"
	printf '%s' "$v"
}

is()
{
	local f=$1 v
	[ "${f#/}" = "$f" ] && f=$D/$f
	IFS= read -r v <"$f" && [ "$v" = "$2" ]
}

# Every knob of vrx and of the module, in $STATE.
state()
{
	local f v
	STATE=""
	for f in "$D/enabled" "$D/backlog_limit" "$D/flow_limit" "$D"/rx-*/cpus "$D"/rx-*/flow_cnt \
		/sys/kernel/rxsteer/sock_flow_entries /sys/kernel/rxsteer/probes \
		/sys/module/rxsteer/parameters/poll_linger_us; do
		[ -e "$f" ] || continue
		while IFS= read -r v; do
			STATE+="${f#"$D"/}=$v "
		done <"$f"
	done
}

# refused DESC RC REGEX [PREFIX...] -- ARGS...: as fails, and no knob
# changed.
refused()
{
	local before after
	state
	before=$STATE
	fails "$@"
	state
	after=$STATE
	if [ "$before" = "$after" ]; then
		rxs_pass "$1: nothing changed"
	else
		echo "# before: $before"
		echo "# after:  $after"
		rxs_fail "$1: nothing changed"
	fi
}

# pycheck DESC FILE EXPR: a subtest, run later by pychecks_run with all
# the others in one python3 run (python3 is slow to start under TCG): EXPR
# is true with d the JSON document in FILE (for FILE.jsonl, the list of the
# documents of its lines), or, for EXPR "valid", FILE parses.
pyq=()
pycheck() { pyq+=("$1" "$2" "$3"); }

pychecks_run()
{
	local line n=0
	while IFS= read -r line; do
		case $line in
		"ok "*) rxs_pass "${line#ok }"; n=$((n + 1)) ;;
		"not ok "*) rxs_fail "${line#not ok }"; n=$((n + 1)) ;;
		*) echo "# $line" ;;
		esac
	done < <(RXS_TMP=$rxs_tmp python3 -c '
import json, os, sys

# Helpers for the stats checks: the /proc/net/rxsteer_stat snapshots
# "pre" and "post", the text table of `stats`.
def proc(name):
    try:
        rows = [l.split() for l in open(os.path.join(os.environ["RXS_TMP"], name))]
    except OSError:
        return [], {}
    return rows[0][1:], {int(r[0]): dict(zip(rows[0][1:], map(int, r[1:]))) for r in rows[1:]}
names, pre = proc("pre")
_, post = proc("post")
def between(k, cpu, v):
    return v >= 0 if k == "backlog" else pre[cpu][k] <= v <= post[cpu][k]
def qbetween(v, lo, hi):
    return len(v) == len(lo) and all(a <= b <= c for a, b, c in zip(lo, v, hi))
def tab():
    text = open(os.path.join(os.environ["RXS_TMP"], "stats")).read()
    return [l.split() for l in text.split("\n\n")[0].splitlines()]

docs = {}
def load(f):
    if f not in docs:
        try:
            if f.endswith(".jsonl"):
                docs[f] = [json.loads(l) for l in open(f)]
            else:
                docs[f] = json.load(open(f))
        except Exception as e:
            print("%s: %s" % (f, e))
            docs[f] = None
    return docs[f]

a = sys.argv[1:]
for desc, f, expr in zip(a[0::3], a[1::3], a[2::3]):
    d = load(f)
    try:
        good = d is not None and (expr == "valid" or bool(eval(expr)))
    except Exception as e:
        print("%s: %r" % (desc, e))
        good = False
    print(("ok " if good else "not ok ") + desc)
' "${pyq[@]}")
	[ "$n" = $((${#pyq[@]} / 3)) ] ||
		rxs_fail "python3 ran every JSON check" "$n of $((${#pyq[@]} / 3))"
}

has_line() { [[ $'\n'$help$'\n' == *$'\n'"$1"$'\n'* ]]; }
has_text() { [[ $help == *"$1"* ]]; }

# The lines of FILE from the one starting with WORD to the next empty one
# all have the same length and number of fields (an aligned table).
aligned()
{
	awk -v w="$2" '
		!on && $1 == w { on = 1; len = length($0); nf = NF; next }
		on && $0 == "" { exit }
		on && (length($0) != len || NF != nf) { bad = 1 }
		END { exit !(on && !bad) }' "$1"
}

echo "TAP version 13"
rxs_dmesg_mark

# Without the module. ----------------------------------------------------
[ -d /sys/kernel/rxsteer ] && rmmod rxsteer 2>/dev/null
if [ -d /sys/kernel/rxsteer ]; then
	rxs_skip "errors without the module" "rxsteer is loaded and cannot be unloaded"
else
	for args in "show" "stats" "show lo" "attach lo" "detach lo" \
		"set lo cpus 0" "set lo backlog_limit 10" \
		"set sock_flow_entries 0" "set poll_linger_us 0" "watch -i 0.1 -n 1"; do
		# shellcheck disable=SC2086
		fails "$args: module not loaded" 1 "rxsteer module not loaded" -- $args
	done
fi

# Help and usage errors need no module. ----------------------------------
ok "--help" -- --help
cp "$rxs_tmp/out" "$rxs_tmp/help"
help=$(<"$rxs_tmp/help")
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
	rxs_check "help has $sec" has_line "$sec"
done
for sub in "attach DEV" "detach DEV" "set DEV [rx N|all] cpus" "flow_cnt N" \
	"backlog_limit N" "set sock_flow_entries" "set poll_linger_us" "show [DEV]" "stats [DEV]" \
	"watch [-i SEC] [-n COUNT]" --json --no-check "ip netns exec"; do
	rxs_check "help documents $sub" has_text "$sub"
done
ok "help" -- help
rxs_check "help prints the same as --help" cmp -s "$rxs_tmp/out" "$rxs_tmp/help"
ok "--version" -- --version
while IFS='|' read -r args re; do
	# shellcheck disable=SC2086
	fails "usage: '$args' exits 2" 2 "$re" -- $args
done <<'EOT'
|no command
bogus|unknown command 'bogus'
show --bogus|unknown option '--bogus'
attach|attach: missing device
attach a b|too many arguments
show a b|too many arguments
watch x|too many arguments
set|set: missing
set lo|missing setting
set lo cpus|missing value for cpus
set lo rx|missing queue
set lo rx x cpus 0|bad rx queue 'x'
set lo frob 1|unknown setting 'frob'
set lo cpus 0 1|too many arguments
set lo rx 0 backlog_limit 5|per device
set lo flow_cnt abc|bad number 'abc'
set lo flow_cnt -1|bad number '-1'
set lo backlog_limit 0x10|bad number '0x10'
set sock_flow_entries 1k|bad number '1k'
set poll_linger_us|missing value for poll_linger_us
set poll_linger_us 1 2|too many arguments
set poll_linger_us 5us|bad number '5us' for poll_linger_us
set lo cpus 1-0|bad CPU list '1-0'
set lo cpus 0,,1|bad CPU list
set lo cpus a|bad CPU list
watch -i 0|bad number '0' for -i
watch -i abc|bad number 'abc' for -i
watch -n 0|bad number '0' for -n
watch -i|missing seconds
attach lo --json|--json applies
show -n 2|apply to watch only
stats --no-check|--no-check applies
EOT

# With the module. --------------------------------------------------------
rxs_load || rxs_skip_all "insmod failed"
rxs_veth_setup 2 || rxs_skip_all "cannot create veth namespaces"
RX=(@rx)
rx_shell
# The namespace's sysfs, to read vrx's files without a process per read.
rxsys=$rxs_tmp/rxsys
mkdir -p "$rxsys"
nsenter --net="/run/netns/$RXS_NS_RX" mount -t sysfs sysfs "$rxsys" ||
	rxs_skip_all "cannot mount the sysfs of $RXS_NS_RX"
trap 'rx_shell_end; umount "$rxsys" 2>/dev/null; rxs_cleanup' EXIT
D=$rxsys/class/net/vrx/rxsteer

fails "no such device" 1 "no such device: nosuch0" -- attach nosuch0
fails "no such device: invalid name" 1 "no such device" -- show ../x
fails "a device of another namespace is not found without ip netns exec" \
	1 "no such device: vrx .*ip netns exec" -- show vrx
fails "no such device after --" 1 "no such device" -- show -- -x

ok "show before attach" "${RX[@]}" -- show
rxs_check "show names vrx as not attached" grep -qE '^not attached:.* vrx' "$rxs_tmp/out"
ok "show vrx before attach" "${RX[@]}" -- show vrx
rxs_check "show vrx says not attached" grep -q '^vrx: not attached, backlog_limit 1000, flow_limit off' "$rxs_tmp/out"
fails "stats on a detached device" 1 "vrx: not attached" "${RX[@]}" -- stats vrx
fails "set cpus on a detached device" 1 "vrx: not attached" "${RX[@]}" -- set vrx cpus 0

ok "attach (ip netns exec NS rxsteerctl)" ip netns exec "$RXS_NS_RX" -- attach vrx
rxs_check "attach: enabled reads 1" is enabled 1
ok "attach an attached device" "${RX[@]}" -- attach vrx

ok "set cpus (queue 0 by default)" "${RX[@]}" -- set vrx cpus 0-1
rxs_check "rx-0 cpus_list reads 0-1" is rx-0/cpus_list 0-1
rxs_check "rx-1 untouched" is rx-1/cpus 0
ok "set rx 1 cpus" "${RX[@]}" -- set vrx rx 1 cpus 2
rxs_check "rx-1 cpus_list reads 2" is rx-1/cpus_list 2
ok "set rx all cpus" "${RX[@]}" -- set vrx rx all cpus 0,2
rxs_check "rx all: rx-0 reads 0,2" is rx-0/cpus_list 0,2
rxs_check "rx all: rx-1 reads 0,2" is rx-1/cpus_list 0,2
ok "set cpus_list (alias)" "${RX[@]}" -- set vrx cpus_list 1
rxs_check "rx-0 cpus_list reads 1" is rx-0/cpus_list 1
ok "set cpus none" "${RX[@]}" -- set vrx cpus none
rxs_check "cpus none empties the mask" is rx-0/cpus 0
ok "set cpus all" "${RX[@]}" -- set vrx rx 0 cpus all
rxs_check "cpus all is every online CPU" \
	is rx-0/cpus_list "$(</sys/devices/system/cpu/online)"
ok "set cpus ''" "${RX[@]}" -- set vrx cpus ""
rxs_check "an empty list empties the mask" is rx-0/cpus 0
ok "set rx all flow_cnt" "${RX[@]}" -- set vrx rx all flow_cnt 100
rxs_check "flow_cnt 100 rounded up to 128 on rx-0" is rx-0/flow_cnt 128
rxs_check "flow_cnt 100 rounded up to 128 on rx-1" is rx-1/flow_cnt 128
ok "set backlog_limit" "${RX[@]}" -- set vrx backlog_limit 500
rxs_check "backlog_limit reads 500" is backlog_limit 500
ok "set flow_limit" "${RX[@]}" -- set vrx flow_limit 1
rxs_check "flow_limit reads 1" is flow_limit 1
ok "set sock_flow_entries" -- set sock_flow_entries 1000
rxs_check "sock_flow_entries reads 1024" \
	test "$(</sys/kernel/rxsteer/sock_flow_entries)" = 1024
ok "set sock_flow_entries inside a namespace" "${RX[@]}" -- set sock_flow_entries 1024
ok "set poll_linger_us" -- set poll_linger_us 50
rxs_check "poll_linger_us reads 50" \
	test "$(</sys/module/rxsteer/parameters/poll_linger_us)" = 50
ok "set rx 0 cpus 0-1 again" "${RX[@]}" -- set vrx rx 0 cpus 0-1

# show, text and JSON, against sysfs.
ok "show vrx (ip netns exec NS rxsteerctl)" ip netns exec "$RXS_NS_RX" -- show vrx
cp "$rxs_tmp/out" "$rxs_tmp/show"
rxs_check "show: sock_flow_entries 1024, RFS on" \
	grep -q '^sock_flow_entries  1024 (RFS on)' "$rxs_tmp/show"
rxs_check "show: poll_linger_us 50, lingering on" \
	grep -q '^poll_linger_us     50 (lingering on)' "$rxs_tmp/show"
rxs_check "show: probes registered" \
	grep -q '^probes  *inet_recvmsg registered, inet6_recvmsg registered' "$rxs_tmp/show"
rxs_check "show: vrx attached, backlog_limit 500, flow_limit on, 2 rx queues" \
	grep -q '^vrx: attached, backlog_limit 500, flow_limit on, 2 rx queues' "$rxs_tmp/show"
rxs_check "show: rx-0 row" grep -qE '^  rx-0 +0-1 +3 +128$' "$rxs_tmp/show"
rxs_check "show: rx-1 row" grep -qE '^  rx-1 +0,2 +5 +128$' "$rxs_tmp/show"
rxs_check "show: queue table aligned" aligned "$rxs_tmp/show" queue
ok "show --json" "${RX[@]}" -- show --json
cp "$rxs_tmp/out" "$rxs_tmp/show.json"
f=$rxs_tmp/show.json
pycheck "show --json is valid JSON" "$f" valid
pycheck "show --json: module values" "$f" \
	'd["sock_flow_entries"] == 1024 and d["rfs"] and d["poll_linger_us"] == 50 and [p["state"] for p in d["probes"]] == ["registered", "registered"]'
pycheck "show --json: vrx values" "$f" \
	'[(v["attached"], v["backlog_limit"], v["flow_limit"], [(q["queue"], q["cpus_list"], q["cpus"], q["flow_cnt"]) for q in v["queues"]]) for v in d["devices"] if v["name"] == "vrx"] == [(True, 500, True, [(0, "0-1", "3", 128), (1, "0,2", "5", 128)])]'
pycheck "show --json: lo listed, not attached" "$f" \
	'[v["attached"] for v in d["devices"] if v["name"] == "lo"] == [False]'
ok "set flow_limit 0" "${RX[@]}" -- set vrx flow_limit 0
rxs_check "flow_limit reads 0" is flow_limit 0
ok "show -j vrx" "${RX[@]}" -- -j show vrx
cp "$rxs_tmp/out" "$rxs_tmp/show-vrx.json"
pycheck "show -j vrx: only vrx" "$rxs_tmp/show-vrx.json" \
	'[v["name"] for v in d["devices"]] == ["vrx"]'

# Refused before any write, by rxsteerctl's own checks.
refused "bad CPU list (syntax)" 2 "bad CPU list '2-1'" "${RX[@]}" -- set vrx cpus 2-1
refused "bad CPU list (trailing comma)" 2 "bad CPU list '0,'" "${RX[@]}" -- set vrx rx all cpus 0,
refused "bad CPU list (a space)" 2 "bad CPU list '0 1'" "${RX[@]}" -- set vrx cpus "0 1"
long=$(printf '0,%.0s' $(seq 600))0
refused "bad CPU list (too long)" 2 "bad CPU list .*longer than 1023" "${RX[@]}" -- set vrx cpus "$long"
refused "CPU that does not exist" 1 "bad CPU list '4096': CPU 4096 does not exist" \
	"${RX[@]}" -- set vrx cpus 4096
refused "CPU number beyond any" 1 "bad CPU list '0,99999999': .*does not exist" \
	"${RX[@]}" -- set vrx cpus 0,99999999
refused "bad number for flow_cnt" 2 "bad number 'x1' for flow_cnt" \
	"${RX[@]}" -- set vrx flow_cnt x1
refused "flow_cnt out of range" 1 "flow_cnt 2000000: out of range \(0\.\.1048576\)" \
	"${RX[@]}" -- set vrx rx all flow_cnt 2000000
refused "backlog_limit 0 out of range" 1 "backlog_limit 0: out of range \(1\.\.1048576\)" \
	"${RX[@]}" -- set vrx backlog_limit 0
refused "backlog_limit beyond 64 bits" 1 "out of range" \
	"${RX[@]}" -- set vrx backlog_limit 99999999999999999999999
refused "flow_limit 2 out of range" 1 "flow_limit 2: out of range \(0\.\.1\)" \
	"${RX[@]}" -- set vrx flow_limit 2
refused "flow_limit per rx queue" 2 "flow_limit is per device" \
	"${RX[@]}" -- set vrx rx 0 flow_limit 1
refused "sock_flow_entries out of range" 1 "sock_flow_entries 99999999: out of range" \
	-- set sock_flow_entries 99999999
refused "poll_linger_us out of range" 1 "poll_linger_us 1001: out of range \(0\.\.1000\)" \
	-- set poll_linger_us 1001
refused "no such rx queue" 1 "vrx: no rx queue 2 \(it has rx-0 to rx-1\)" \
	"${RX[@]}" -- set vrx rx 2 cpus 0

# Refused by the kernel (--no-check): its errno is reported.
refused "kernel EINVAL for a CPU list" 1 "vrx rx-0 cpus_list: the kernel refused '2-1': .*\(EINVAL\)" \
	"${RX[@]}" -- set --no-check vrx cpus 2-1
refused "kernel ERANGE for a CPU list" 1 "vrx rx-0 cpus_list: the kernel refused '4096': .*\(ERANGE\)" \
	"${RX[@]}" -- set vrx cpus 4096 --no-check
refused "kernel ERANGE with rx all" 1 "vrx rx-0 cpus_list: the kernel refused '4096': .*\(ERANGE\)" \
	"${RX[@]}" -- set vrx rx all cpus 4096 --no-check
refused "kernel EINVAL for flow_cnt" 1 "vrx rx-1 flow_cnt: the kernel refused 'x1': .*\(EINVAL\)" \
	"${RX[@]}" -- set --no-check vrx rx 1 flow_cnt x1
refused "kernel ERANGE for flow_cnt" 1 "vrx rx-0 flow_cnt: the kernel refused '2000000': .*\(ERANGE\)" \
	"${RX[@]}" -- set --no-check vrx flow_cnt 2000000
refused "kernel ERANGE for backlog_limit" 1 "vrx backlog_limit: the kernel refused '0': .*\(ERANGE\)" \
	"${RX[@]}" -- set --no-check vrx backlog_limit 0
refused "kernel EINVAL for backlog_limit" 1 "vrx backlog_limit: the kernel refused '-5': .*\(EINVAL\)" \
	"${RX[@]}" -- set --no-check vrx backlog_limit -5
refused "kernel ERANGE for flow_limit" 1 "vrx flow_limit: the kernel refused '2': .*\(ERANGE\).*allowed 0 or 1" \
	"${RX[@]}" -- set --no-check vrx flow_limit 2
refused "kernel ERANGE for sock_flow_entries" 1 "sock_flow_entries: the kernel refused '99999999': .*\(ERANGE\)" \
	-- set --no-check sock_flow_entries 99999999
refused "kernel ERANGE for poll_linger_us" 1 "poll_linger_us: the kernel refused '1001': .*\(ERANGE\).*allowed 0\.\.1000" \
	-- set --no-check poll_linger_us 1001
refused "kernel EINVAL for poll_linger_us" 1 "poll_linger_us: the kernel refused '5us': .*\(EINVAL\)" \
	-- set --no-check poll_linger_us 5us

# An offline CPU: refused locally, and by the kernel with --no-check.
last=$(( $(nproc) - 1 ))
if [ -w "/sys/devices/system/cpu/cpu$last/online" ] &&
	echo 0 > "/sys/devices/system/cpu/cpu$last/online"; then
	refused "offline CPU" 1 "bad CPU list '$last': CPU $last is offline" \
		"${RX[@]}" -- set vrx cpus "$last"
	refused "kernel EINVAL for an offline CPU" 1 "the kernel refused '$last': .*\(EINVAL\)" \
		"${RX[@]}" -- set vrx cpus "$last" --no-check
	echo 1 > "/sys/devices/system/cpu/cpu$last/online"
	ok "CPU $last accepted once online" "${RX[@]}" -- set vrx rx 1 cpus "$last"
else
	rxs_skip "offline CPU" "CPU hotplug not available"
fi

# Permission denied: as nobody the open(2) fails with EACCES; as root
# without CAP_NET_ADMIN the write fails with EPERM. Reading works.
for who in NOBODY NOCAP; do
	if [ "$who" = NOBODY ]; then
		pre=("${NOBODY[@]}") err=EACCES
	else
		pre=("${NOCAP[@]}") err=EPERM
	fi
	refused "$who: set cpus: $err" 1 "vrx rx-0 cpus_list: permission denied \($err\)" \
		"${RX[@]}" "${pre[@]}" -- set vrx cpus 0
	refused "$who: set rx all flow_cnt: $err" 1 "vrx rx-0 flow_cnt: permission denied \($err\)" \
		"${RX[@]}" "${pre[@]}" -- set vrx rx all flow_cnt 64
	refused "$who: set backlog_limit: $err" 1 "vrx backlog_limit: permission denied \($err\)" \
		"${RX[@]}" "${pre[@]}" -- set vrx backlog_limit 600
	refused "$who: detach: $err" 1 "vrx: permission denied \($err\)" \
		"${RX[@]}" "${pre[@]}" -- detach vrx
	refused "$who: set sock_flow_entries: $err" 1 "sock_flow_entries: permission denied \($err\).* of the host" \
		"${pre[@]}" -- set sock_flow_entries 0
	refused "$who: set poll_linger_us: $err" 1 "poll_linger_us: permission denied \($err\).* of the host" \
		"${pre[@]}" -- set poll_linger_us 0
	ok "$who: show" "${RX[@]}" "${pre[@]}" -- show vrx
	ok "$who: stats --json" "${RX[@]}" "${pre[@]}" -- stats --json
	cp "$rxs_tmp/out" "$rxs_tmp/stats-$who.json"
	pycheck "$who: stats --json is valid JSON" "$rxs_tmp/stats-$who.json" valid
done

# Counters: RPS to CPUs 1-2, packets arriving on CPU 0.
ok "set sock_flow_entries 0 (RFS off)" -- set sock_flow_entries 0
ok "set rx all cpus 1-2" "${RX[@]}" -- set vrx rx all cpus 1-2
rxs_flows_run rps 4 16 50 0
rxs_check "traffic received" test "$(rxs_flows_total rps)" -gt 0
# Counters may still move (a late packet): each value shown must lie
# between a snapshot taken before and one taken after.
q_pre="$(get rx-0/seen), $(get rx-0/steered), $(get rx-1/seen), $(get rx-1/steered)"
rxs_snap "$rxs_tmp/pre"
ok "stats vrx" "${RX[@]}" -- stats vrx
cp "$rxs_tmp/out" "$rxs_tmp/stats"
ok "stats --json vrx" "${RX[@]}" -- stats --json vrx
cp "$rxs_tmp/out" "$rxs_tmp/stats.json"
rxs_snap "$rxs_tmp/post"
q_post="$(get rx-0/seen), $(get rx-0/steered), $(get rx-1/seen), $(get rx-1/steered)"
rxs_check "stats: counter table aligned" aligned "$rxs_tmp/stats" counter
rxs_check "stats: queue table aligned" aligned "$rxs_tmp/stats" queue
f=$rxs_tmp/stats.json
pycheck "stats: header has every CPU and total" "$f" \
	'tab()[0] == ["counter"] + ["cpu%d" % c for c in sorted(pre)] + ["total"]'
pycheck "stats: one row per counter, in the order of /proc/net/rxsteer_stat" "$f" \
	'[r[0] for r in tab()[1:]] == names'
pycheck "stats: per-CPU values as in /proc/net/rxsteer_stat" "$f" \
	'all(between(r[0], c, int(r[1 + i])) for r in tab()[1:] for i, c in enumerate(sorted(pre)))'
pycheck "stats: totals are the sums over CPUs" "$f" \
	'all(int(r[-1]) == sum(map(int, r[1:-1])) for r in tab()[1:])'
pycheck "stats: steered_out moved" "$f" \
	'[int(r[-1]) for r in tab() if r[0] == "steered_out"][0] > 0'
pycheck "stats: vrx queues as in sysfs" "$f" \
	"qbetween([int(x) for l in open('$rxs_tmp/stats') if l.startswith('  rx-') for x in l.split()[1:]], [$q_pre], [$q_post])"
pycheck "stats --json is valid JSON" "$f" valid
pycheck "stats --json: every counter of every CPU as in /proc/net/rxsteer_stat" "$f" \
	'[c["cpu"] for c in d["cpus"]] == sorted(pre) and all(list(c)[1:] == names and all(between(k, c["cpu"], c[k]) for k in names) for c in d["cpus"])'
pycheck "stats --json: totals are the sums over CPUs" "$f" \
	'list(d["total"]) == names and all(d["total"][k] == sum(c[k] for c in d["cpus"]) for k in names)'
pycheck "stats --json: vrx queues as in sysfs" "$f" \
	"[v['name'] for v in d['devices']] == ['vrx'] and [q['queue'] for q in d['devices'][0]['queues']] == [0, 1] and qbetween([x for q in d['devices'][0]['queues'] for x in (q['seen'], q['steered'])], [$q_pre], [$q_post])"
ok "stats (every attached device)" "${RX[@]}" -- stats
rxs_check "stats: vrx listed" grep -q '^vrx: kernel_rps_conflicts 0' "$rxs_tmp/out"

# watch: reports, their layout, and deltas that add up.
ok "watch -i 0.2 -n 2" "${RX[@]}" -- watch -i 0.2 -n 2
cp "$rxs_tmp/out" "$rxs_tmp/watch"
rxs_check "watch: two reports" test "$(grep -cE '^[0-9:]{8} +all ' "$rxs_tmp/watch")" = 2
rxs_check "watch: one row per CPU" test "$(grep -cE '^[0-9:]{8} +[0-9]+ ' "$rxs_tmp/watch")" = \
	"$((2 * $(($(wc -l </proc/net/rxsteer_stat) - 1))))"
rxs_check "watch: CPU table aligned" aligned "$rxs_tmp/watch" "$(head -c 8 "$rxs_tmp/watch")"
rxs_check "watch: vrx queues shown" grep -qE '^[0-9:]{8} +vrx/rx-1 ' "$rxs_tmp/watch"
ok "watch --json -i 0.2 -n 3" "${RX[@]}" -- watch --json -i 0.2 -n 3
cp "$rxs_tmp/out" "$rxs_tmp/watch.jsonl"
f=$rxs_tmp/watch.jsonl
pycheck "watch --json: every line valid JSON" "$f" valid
pycheck "watch --json: 3 lines" "$f" 'len(d) == 3'
# In seconds (not ms). watch keeps a fixed rate: report k is taken at or
# after start + k * interval, so one report late (a guest under TCG can
# stall for seconds) makes the next interval shorter, but the three add up
# to at least 3 x 0.2 s (less the rounding to ms). No tight upper bound.
pycheck "watch --json: elapsed in seconds, 3 of them at least 0.6 s in all" "$f" \
	'all(0 < r["elapsed"] < 60 for r in d) and sum(r["elapsed"] for r in d) >= 0.598'
pycheck "watch --json: every CPU, every counter" "$f" \
	'all([c["cpu"] for c in r["cpus"]] == sorted(pre) and list(r["total"]) == names and all(list(c)[1:] == names for c in r["cpus"]) for r in d)'
pycheck "watch --json: vrx queues" "$f" \
	'all([(v["name"], [q["queue"] for q in v["queues"]]) for v in r["devices"]] == [("vrx", [0, 1])] for r in d)'

sum_seen()
{
	local f v
	SEEN=0
	for f in "$D"/rx-*/seen; do
		read -r v <"$f"
		SEEN=$((SEEN + v))
	done
}
sum_seen
seen0=$SEEN
ip netns exec "$RXS_NS_RX" "$CTL" watch --json -i 0.5 -n 600 >"$rxs_tmp/live.jsonl" &
wpid=$!
for _ in $(seq 100); do
	[ -s "$rxs_tmp/live.jsonl" ] && break
	sleep 0.2
done
rxs_flows_run live 4 16 50 0
n=$(wc -l <"$rxs_tmp/live.jsonl")
for _ in $(seq 100); do
	[ "$(wc -l <"$rxs_tmp/live.jsonl")" -ge $((n + 2)) ] && break
	sleep 0.2
done
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
sum_seen
seen1=$SEEN
got=$(rxs_flows_total live)
f=$rxs_tmp/live.jsonl
pycheck "watch --json under traffic: every line valid JSON" "$f" valid
pycheck "watch --json: seen deltas cover the $got packets received, within +$((seen1 - seen0)) seen" "$f" \
	"$got <= sum(q['seen'] for r in d for v in r['devices'] if v['name'] == 'vrx' for q in v['queues']) <= $((seen1 - seen0))"
pycheck "watch --json: steered deltas cover the traffic too" "$f" \
	"$got <= sum(q['steered'] for r in d for v in r['devices'] if v['name'] == 'vrx' for q in v['queues'])"
pycheck "watch --json: total steered_out deltas cover the traffic" "$f" \
	"$got <= sum(r['total']['steered_out'] for r in d)"

# Detach, and what needs an attached device.
ip -n "$RXS_NS_RX" link add rxsbr type bridge
ip -n "$RXS_NS_RX" link add rxsb0 type veth peer name rxsb1
ip -n "$RXS_NS_RX" link set rxsb0 master rxsbr
fails "attach a bridge port: EBUSY" 1 "rxsb0: cannot attach: .*\(EBUSY\)" \
	"${RX[@]}" -- attach rxsb0
rxs_check "bridge port stays detached" \
	is "$rxsys/class/net/rxsb0/rxsteer/enabled" 0
ok "detach (ip netns exec NS rxsteerctl)" ip netns exec "$RXS_NS_RX" -- detach vrx
rxs_check "detach: enabled reads 0" is enabled 0
ok "detach a detached device" "${RX[@]}" -- detach vrx
refused "set cpus when not attached" 1 "vrx: not attached" "${RX[@]}" -- set vrx cpus 1
refused "set flow_cnt when not attached" 1 "vrx: not attached" "${RX[@]}" -- set vrx rx all flow_cnt 8
fails "stats vrx when not attached" 1 "vrx: not attached" "${RX[@]}" -- stats vrx
ok "set backlog_limit while detached" "${RX[@]}" -- set vrx backlog_limit 600
rxs_check "backlog_limit reads 600" is backlog_limit 600
ok "show vrx detached" "${RX[@]}" -- show vrx
rxs_check "show: vrx not attached, backlog_limit 600, flow_limit off" \
	grep -q '^vrx: not attached, backlog_limit 600, flow_limit off$' "$rxs_tmp/out"
ok "show --json vrx detached" "${RX[@]}" -- show --json vrx
cp "$rxs_tmp/out" "$rxs_tmp/show-detached.json"
pycheck "show --json: detached, no queues" "$rxs_tmp/show-detached.json" \
	'd["devices"] == [{"name": "vrx", "attached": False, "backlog_limit": 600, "flow_limit": False, "queues": []}]'

# Every JSON output through python3 -m json.tool, then the checks above.
rx_shell_end
rxs_check "every --json output passes python3 -m json.tool" sh -c \
	"cat '$rxs_tmp'/*.json '$rxs_tmp'/*.jsonl | python3 -m json.tool --json-lines >/dev/null"
pychecks_run

rxs_dmesg_check
rxs_check "unload" rxs_unload
fails "show after unload: module not loaded" 1 "rxsteer module not loaded" -- show
rxs_finish
