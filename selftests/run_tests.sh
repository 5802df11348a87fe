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
# After each test the kernel log is scanned for reports (WARN, BUG, oops,
# KASAN, lockdep, RCU stalls...) and, on a kernel with kmemleak, a
# kmemleak scan runs: either kind of report fails the test that ran,
# whatever its own result ("not ok N ... # kernel report").
#
# Usage: run_tests.sh [TEST...]   (default: TEST_PROGS of the Makefile)

set -u
cd "$(dirname "$0")" || exit 1

timeout=45
[ -f settings ] && timeout=$(sed -n 's/^timeout=//p' settings)
# A slower kernel (the debug lane) may stretch it.
timeout=${RXS_TEST_TIMEOUT:-$timeout}

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(make -s list)
fi

kmemleak=/sys/kernel/debug/kmemleak
[ -w "$kmemleak" ] || kmemleak=""
# Leaks from boot are not ours.
[ -n "$kmemleak" ] && echo clear >"$kmemleak"
bad_re='WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|kmemleak|lockdep|possible circular|possible recursive|inconsistent lock|suspicious RCU|rcu_sched detected stall|rcu: INFO|soft lockup|hung_task|blocked for more than|refcount_t|list_add corruption|list_del corruption|ODEBUG|unregister_netdevice: waiting'

# test_kernel_log: what the kernel logged since the current test began.
test_kernel_log()
{
	dmesg | tail -n +"$((log_start + 1))"
}

# kernel_reports: new kernel log reports and kmemleak findings.
kernel_reports()
{
	test_kernel_log | grep -E "$bad_re" | head -n 20
	if [ -n "$kmemleak" ]; then
		echo scan >"$kmemleak"
		grep -E 'unreferenced object|comm |backtrace|\[<' "$kmemleak" | head -n 40
		echo clear >"$kmemleak"
	fi
}

echo "TAP version 13"
echo "1..$#"
[ -n "$kmemleak" ] && echo "# kmemleak: on, a scan after each test"
n=0
rc_all=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: rxsteer: $t"
	log_start=$(dmesg | wc -l)
	t0=$SECONDS
	timeout --kill-after=10 "$timeout" "./$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t: $((SECONDS - t0)) s"
	reports=$(kernel_reports)
	if [ -n "$reports" ]; then
		echo "$reports" | sed 's/^/# kernel report: /'
		echo "not ok $n selftests: rxsteer: $t # kernel report"
		rc_all=1
		continue
	fi
	case $rc in
	0) echo "ok $n selftests: rxsteer: $t" ;;
	4) echo "ok $n selftests: rxsteer: $t # SKIP" ;;
	124|137) test_kernel_log | tail -n 20 | sed 's/^/# kernel log: /'
	   echo "not ok $n selftests: rxsteer: $t # TIMEOUT $timeout seconds"
	   rc_all=1 ;;
	*) echo "not ok $n selftests: rxsteer: $t # exit=$rc"
	   rc_all=1 ;;
	esac
done
exit $rc_all
