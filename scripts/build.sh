#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rxsteer.ko for one kernel into build/KVER/, W=1, and fail on any
# compiler warning. Kbuild writes objects next to the sources, so each
# kernel gets its own copy of the sources.
#
# Usage: scripts/build.sh KVER [extra make arguments, e.g. C=2]

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: build.sh KVER}
shift
kdir=$("$top/scripts/kernels.sh" --kdir "$kver") || exit 2
out=$top/build/$kver

[ -d "$kdir" ] || { echo "build: no headers at $kdir" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
cp -r "$top/Kbuild" "$top/src" "$top/include" "$out/"
version=$(git -C "$top" describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

log=$out/build.log
if ! make -C "$kdir" M="$out" W=1 RXS_VERSION="$version" "$@" modules \
	>"$log" 2>&1; then
	cat "$log" >&2
	echo "build: $kver: FAILED" >&2
	exit 1
fi
# Warnings from our sources (not the skipped-BTF notice) fail the build.
if grep -E "warning:|error:" "$log" | grep -v "Skipping BTF" >&2; then
	echo "build: $kver: warnings" >&2
	exit 1
fi
echo "build: $kver: $out/rxsteer.ko"
