#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per steering decision and per probe hit, counted by
# callgrind on cost.c, the user-space model of rxsteer's decision built on
# include/rxsteer/logic.h (see the comment at the top of cost.c and
# Documentation/benchmark.rst). Deterministic: the same binary gives the
# same counts on any host, loaded or not.
#
# Usage: tools/bench/cost-run.sh [ITERATIONS]  (default 200000)
# Prints one JSON object on stdout.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-200000}
command -v valgrind >/dev/null || { echo "cost-run: valgrind not installed" >&2; exit 2; }
make -s -C "$here" cost >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/cost" "$n" >"$tmp/calls"
json=""
for fn in steer_rps steer_rfs probe_steady probe_moved; do
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$fn" \
		--collect-atstart=no --toggle-collect="$fn" \
		"$here/cost" "$n" >/dev/null 2>"$tmp/log.$fn"
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.$fn")
	[ -n "$ir" ] || ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/cg.$fn")
	calls=$(awk -v f="$fn" '$1 == f && $2 == "calls" { print $3 }' "$tmp/calls")
	detail=$(awk -v f="$fn" '$1 == f {
		s = ""; for (i = 4; i < NF; i += 2) s = s sprintf(",\"%s\":%s", $i, $(i + 1)); print s }' "$tmp/calls")
	per=$(awk -v a="$ir" -v b="$calls" 'BEGIN { printf "%.2f", a / b }')
	json+="${json:+,}\"$fn\":{\"instructions\":$ir,\"calls\":$calls,\"per_call\":$per$detail}"
done
vg=$(valgrind --version)
cc=$(${CC:-cc} --version | head -n 1)
printf '{"method":"callgrind (valgrind --tool=callgrind --toggle-collect=FN) on tools/bench/cost.c, a user-space model of the decision built on include/rxsteer/logic.h","valgrind":"%s","compiler":"%s","cflags":"-O2 -fno-ipa-icf","iterations":%s,%s}\n' \
	"$vg" "$cc" "$n" "$json"
