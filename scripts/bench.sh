#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rxsteer benchmark (Documentation/benchmark.rst): installs what it
# needs, builds the module and tools/bench, counts the cost of a steering
# decision with callgrind, boots ONE VM and runs the matrix of steering
# modes x scenarios there (scripts/bench-guest.sh), then writes
# build/bench/results.json and build/bench/results.md and prints the table.
#
# Usage: scripts/bench.sh [--quick] [-k KVER|LANE] [-c CPUS] [--reps N]
#                         [--scenarios "S1sat S2 ..."] [--modes "none ..."]
#                         [--warmup MS] [--duration MS] [--update-docs]
#                         [--report-only] [--profile]
#        scripts/bench.sh --probe [-k KVER|LANE] [-c CPUS] [--reps N]
#
#   --quick        1 repetition of S1sat, S1half, S2 and S6, short windows
#                  (about 10 minutes); for development
#   -k             kernel version or lane (default: lane 6.1)
#   -c             vCPUs (default 4)
#   --update-docs  copy the table into Documentation/benchmark.rst
#                  (between its RESULTS markers)
#   --report-only  no build, no VM: make the table again from the last
#                  run's build/bench/console.log and cost.json
#   --profile      perf record over each cell's window (installs
#                  linux-perf); the top symbols per cell go to the
#                  console ("# profile" lines). It slows the cells: use
#                  it to explain a table, not to make one
#   --probe        only the cost of a read with the RFS record points in
#                  their states (scripts/bench-probe-guest.sh; 2 vCPUs
#                  and 15 repetitions unless -c or --reps say otherwise,
#                  about 4 minutes); the table goes to build/bench/probe.txt
#
# The default (5 repetitions of every scenario) takes about 36 minutes on
# an otherwise idle 2-core host under TCG (49 when other VMs share it).
# Exit status: 0 when the VM run completed.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
start=$(date +%s)
cmdline="scripts/bench.sh${*:+ $*}"

lane=6.1
cpus=4
update_docs=0
report_only=0
profile=0
probe=0
reps=5 reps_set=0 cpus_set=0
gargs=()
quick=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; gargs+=(--quick); shift ;;
	-k) lane=$2; shift 2 ;;
	-c) cpus=$2; cpus_set=1; shift 2 ;;
	--reps|--scenarios|--modes|--warmup|--duration)
		[ "$1" = --reps ] && reps=$2 reps_set=1
		gargs+=("$1" "$2"); shift 2 ;;
	--probe) probe=1; shift ;;
	--update-docs) update_docs=1; shift ;;
	--profile) profile=1; gargs+=(--profile); shift ;;
	--report-only) report_only=1; shift ;;
	-h|--help) sed -n '3,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; exit 2 ;;
	esac
done
note() { echo "bench: $*"; }
out=$top/build/bench
console=$out/console.log

# The table from the console log (and the cost figures), and, on request,
# into Documentation/benchmark.rst.
report()
{
	local cmd=$1 wall=$2 rc doc
	/usr/bin/python3 tools/bench/report.py "$console" --cost "$out/cost.json" \
		--json-out "$out/results.json" --md-out "$out/results.md" \
		--command "$cmd" --wall "$wall" --host "$(uname -r) $(nproc) cores"
	rc=$?
	note "wrote $out/results.json and $out/results.md"
	if [ $update_docs = 1 ] && [ $rc -eq 0 ]; then
		doc=Documentation/benchmark.rst
		/usr/bin/python3 - "$doc" "$out/results.md" <<-'EOF'
			import sys
			doc, md = sys.argv[1], sys.argv[2]
			text = open(doc).read()
			begin, end = ".. RESULTS BEGIN", ".. RESULTS END"
			i, j = text.index(begin), text.index(end)
			body = "".join("   " + l if l.strip() else "\n"
			               for l in open(md).read().splitlines(True))
			open(doc, "w").write(text[:i] + begin + "\n\n::\n\n" + body +
			                     "\n" + text[j:])
		EOF
		note "updated $doc"
	fi
	return $rc
}

if [ $report_only = 1 ]; then
	[ -f "$console" ] || { note "no $console: run the benchmark first"; exit 1; }
	prev=$(/usr/bin/python3 -c 'import json, sys
try:
    h = json.load(open(sys.argv[1]))["host"]
    print(h.get("wall_s", ""), h.get("command", ""))
except Exception:
    print()' "$out/results.json")
	report "${prev#* }" "${prev%% *}"
	exit $?
fi

# 1. What it needs, idempotently: the project's dependencies, then the
# benchmark's own (XDP tools for the cpumap mode, valgrind for the cost).
scripts/install-deps.sh || { note "dependency installation failed"; exit 1; }
missing=""
perf=""
[ $profile = 1 ] && perf=linux-perf
for p in xdp-tools valgrind python3 $perf; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=" $p"
done
if [ -n "$missing" ]; then
	note "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -q -o DPkg::Lock::Timeout=600 \
		--no-install-recommends $missing >/dev/null ||
	{ apt-get update -qq -o DPkg::Lock::Timeout=600 &&
	  apt-get install -y -q -o DPkg::Lock::Timeout=600 \
		--no-install-recommends $missing >/dev/null; } ||
		{ note "cannot install$missing"; exit 1; }
fi

case "$lane" in
6.1|6.12) kver=$(scripts/kernels.sh "$lane") ;;
*) kver=$lane ;;
esac
[ "$kver" != - ] && [ -e "/boot/vmlinuz-$kver" ] ||
	{ note "no kernel for $lane"; exit 1; }

# 2. Build. The module goes to a directory of its own, so that builds
# for the tests (scripts/build.sh, which empties build/KVER) cannot pull
# it away while the VM runs.
kodir=$out/ko/$kver
mkdir -p "$out"
rm -rf "$kodir"
mkdir -p "$kodir"
cp -r Kbuild src include "$kodir/"
version=$(git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
if ! make -C "/lib/modules/$kver/build" M="$kodir" RXS_VERSION="$version" \
	modules >"$kodir/build.log" 2>&1; then
	cat "$kodir/build.log" >&2
	note "module build failed"
	exit 1
fi
make -s -C tools/bench all || { note "tools/bench build failed"; exit 1; }
note "built rxsteer $version for $kver, tools/bench/rxs_load"

# Multi-threaded TCG, one host thread per vCPU, as every figure in
# Documentation/benchmark.rst was measured: spreading packets over vCPUs
# gains nothing when one host thread runs them all in turn (the tests use
# single-threaded TCG for its safe code patching; limitations.rst). The
# benchmark patches code (RFS probes, static keys) only between cells.
tcgthread=${RXS_TCG_THREAD:-multi}

# --probe: the probes' cost alone, in one VM of its own.
if [ $probe = 1 ]; then
	# Fewer vCPUs than host cores, and more repetitions: TCG's noise.
	[ $cpus_set = 1 ] || cpus=2
	[ $reps_set = 1 ] || reps=15
	note "booting $kver with $cpus vCPUs (TCG) for the probes' cost"
	scripts/vm-run.sh -k "$kver" -c "$cpus" -m 2G -t 1500 \
		--tcg-thread "$tcgthread" -- \
		"RXSTEER_KO='$kodir/rxsteer.ko' RXS_RECVCOST='$top/tools/bench/rxs_recvcost' RXS_REPS=$reps '$top/scripts/bench-probe-guest.sh'" \
		>"$out/probe-console.log" 2>&1
	vmrc=$?
	grep -E '^# ' "$out/probe-console.log"
	sed -n '/^probe cost, /,/^# spread/p' "$out/probe-console.log" |
		grep -v '^# ' >"$out/probe.txt"
	[ -s "$out/probe.txt" ] || { note "no table (VM exited with $vmrc, see $out/probe-console.log)"; exit 1; }
	cat "$out/probe.txt"
	note "wrote $out/probe.txt; wall time $(( $(date +%s) - start )) s"
	exit 0
fi

# 3. The cost figures: deterministic, on the host.
note "counting instructions with callgrind (tools/bench/cost-run.sh)"
tools/bench/cost-run.sh >"$out/cost.json" || { note "cost-run failed"; rm -f "$out/cost.json"; }

# 4. One VM for the whole matrix.
# a safety net, beyond the 40-minute budget, for a host busy with more
tmo=3300
[ $quick = 1 ] && tmo=1500
note "booting $kver with $cpus vCPUs (TCG) for the matrix; progress below"
scripts/vm-run.sh -k "$kver" -c "$cpus" -m 2G -t "$tmo" \
	--tcg-thread "$tcgthread" -- \
	"RXSTEER_KO='$kodir/rxsteer.ko' RXS_LOAD='$top/tools/bench/rxs_load' '$top/scripts/bench-guest.sh' ${gargs[*]@Q}" \
	>"$console" 2>&1 &
vm=$!
# progress: the guest's "# " lines, until the VM is done
tail --pid="$vm" -n +1 -F "$console" 2>/dev/null |
	grep --line-buffered -E '^# |vm-run:' &
wait "$vm"
vmrc=$?
wait
[ $vmrc -eq 0 ] || note "VM exited with $vmrc (see $console)"

# 5. The table; 6. Documentation/benchmark.rst keeps the latest one.
wall=$(( $(date +%s) - start ))
note "wall time $wall s"
report "$cmdline" "$wall"
