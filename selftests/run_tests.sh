#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Minimal kselftest runner: runs each test with the timeout from
# `settings` and prints the KTAP lines kselftest's runner.sh prints:
#
#   TAP version 13
#   1..N
#   # selftests: rxsteer: TEST      (test output follows, "# "-prefixed)
#   ok N selftests: rxsteer: TEST [# SKIP]
#   not ok N selftests: rxsteer: TEST # exit=RC | # TIMEOUT S seconds
#
# Usage: run_tests.sh [TEST...]   (default: TEST_PROGS of the Makefile)

set -u
cd "$(dirname "$0")" || exit 1

timeout=45
[ -f settings ] && timeout=$(sed -n 's/^timeout=//p' settings)

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(make -s list)
fi

echo "TAP version 13"
echo "1..$#"
n=0
rc_all=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: rxsteer: $t"
	timeout --kill-after=10 "$timeout" "./$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	case $rc in
	0) echo "ok $n selftests: rxsteer: $t" ;;
	4) echo "ok $n selftests: rxsteer: $t # SKIP" ;;
	124|137) echo "not ok $n selftests: rxsteer: $t # TIMEOUT $timeout seconds"
	   rc_all=1 ;;
	*) echo "not ok $n selftests: rxsteer: $t # exit=$rc"
	   rc_all=1 ;;
	esac
done
exit $rc_all
