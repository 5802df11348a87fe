#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make style`: checkpatch.pl --strict and kernel-doc -Werror over src/ and
# include/, both taken from Debian's linux-source-6.1 tarball (unpacked
# once into ~/.cache/rxsteer).

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/rxsteer/checkpatch
cp=$cache/linux-source-6.1/scripts/checkpatch.pl
kd=$cache/linux-source-6.1/scripts/kernel-doc

if [ ! -x "$cp" ] || [ ! -x "$kd" ]; then
	if [ -z "$tarball" ]; then
		echo "style: no /usr/src/linux-source-6.1.tar.xz (scripts/install-deps.sh)" >&2
		exit 2
	fi
	mkdir -p "$cache"
	tar -C "$cache" -xf "$tarball" \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/kernel-doc
fi

cd "$top"
opts="--strict --no-tree --quiet --show-types"
"$cp" $opts -f src/*.c include/rxsteer/logic.h include/rxsteer/rxsteer.h
# The compat header exists to test kernel versions: that one warning is its
# purpose there, so only it is waived, and only in that file.
"$cp" $opts --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
	-f include/rxsteer/compat.h
"$kd" -none -Werror src/*.c include/rxsteer/*.h
echo "style: checkpatch --strict and kernel-doc clean"
