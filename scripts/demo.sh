#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: install what is missing, build rxsteer for Debian's 6.1
# kernel (or RXS_LANE), boot it in a VM with 3 vCPUs (RXS_VM_CPUS) and show,
# in a few lines per phase (scripts/demo-guest.sh), where received packets
# are processed: without rxsteer, with rxsteer RPS, with rxsteer RFS, and
# with RFS following a reader that moves to another CPU.

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
lane=${RXS_LANE:-6.1}

scripts/install-deps.sh
kver=$(scripts/kernels.sh "$lane")
[ "$kver" != - ] || { echo "demo: no $lane kernel installed" >&2; exit 1; }
scripts/build.sh "$kver" >/dev/null
make -s -C selftests all
echo "demo: booting $kver with ${RXS_VM_CPUS:-3} vCPUs (TCG, about a minute)"
scripts/vm-run.sh -k "$kver" -c "${RXS_VM_CPUS:-3}" -t 900 -- \
	"RXSTEER_KO='$top/build/$kver/rxsteer.ko' '$top/scripts/demo-guest.sh'"
