#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Resolve the supported kernel lanes to kernel versions, build trees and
# images.
#
#   scripts/kernels.sh             print "LANE KVER" for every distribution
#                                  lane (6.1, 6.12, 6.12-rt)
#   scripts/kernels.sh LANE        print KVER of one lane; LANE may also be
#                                  "debug", the kernel built by
#                                  scripts/debug-kernel.sh
#   scripts/kernels.sh --kdir KVER print the tree to build modules against
#   scripts/kernels.sh --image KVER
#                                  print what to boot (an image or a tree)
#
# A lane whose kernel image or headers are not installed (or, for debug,
# not built) prints "LANE -" (or "-").

set -eu

here=$(cd "$(dirname "$0")" && pwd)
LANES="6.1 6.12 6.12-rt"

debug_tree() {
	"$here/debug-kernel.sh" --path 2>/dev/null
}

debug_kver() {
	local tree
	tree=$(debug_tree) || return 1
	cat "$tree/include/config/kernel.release"
}

lane_kver() {
	local pat rt=0
	case "$1" in
	6.1) pat='6.1.*-amd64' ;;
	6.12) pat='6.12.*+deb12-amd64' ;;
	6.12-rt) pat='6.12.*+deb12-rt-amd64'; rt=1 ;;
	debug) debug_kver || echo -; return 0 ;;
	*) echo "kernels.sh: unknown lane $1" >&2; return 1 ;;
	esac
	# Newest installed image of the lane that also has headers.
	local img kver best
	best=$(for img in /boot/vmlinuz-$pat; do
		[ -e "$img" ] || continue
		kver=${img#/boot/vmlinuz-}
		case "$kver" in *-rt-*) [ "$rt" = 1 ] || continue ;; esac
		[ -d "/lib/modules/$kver/build" ] && echo "$kver"
	done | sort -V | tail -n 1)
	echo "${best:--}"
}

case "${1:-}" in
--kdir|--image)
	kver=${2:?usage: kernels.sh $1 KVER}
	if [ -e "/boot/vmlinuz-$kver" ]; then
		[ "$1" = --kdir ] && echo "/lib/modules/$kver/build" ||
			echo "/boot/vmlinuz-$kver"
	elif [ "$(debug_kver 2>/dev/null)" = "$kver" ]; then
		debug_tree
	else
		echo "kernels.sh: no kernel $kver" >&2
		exit 1
	fi
	;;
"")
	for l in $LANES; do
		echo "$l $(lane_kver "$l")"
	done
	;;
*)
	lane_kver "$1"
	;;
esac
