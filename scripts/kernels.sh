#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Resolve the supported kernel lanes to installed kernel versions.
#
#   scripts/kernels.sh             print "LANE KVER" for every lane
#   scripts/kernels.sh LANE        print KVER of one lane (6.1, 6.12)
#
# A lane whose kernel image or headers are not installed prints "LANE -".

set -eu

LANES="6.1 6.12"

lane_kver() {
	local pat
	case "$1" in
	6.1) pat='6.1.*-amd64' ;;
	6.12) pat='6.12.*+deb12-amd64' ;;
	*) echo "kernels.sh: unknown lane $1" >&2; return 1 ;;
	esac
	# Newest installed image of the lane (not RT) that also has headers.
	local img kver best
	best=$(for img in /boot/vmlinuz-$pat; do
		[ -e "$img" ] || continue
		kver=${img#/boot/vmlinuz-}
		case "$kver" in *-rt-*) continue ;; esac
		[ -d "/lib/modules/$kver/build" ] && echo "$kver"
	done | sort -V | tail -n 1)
	echo "${best:--}"
}

if [ $# -ge 1 ]; then
	lane_kver "$1"
else
	for l in $LANES; do
		echo "$l $(lane_kver "$l")"
	done
fi
