#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything rxsteer needs to build, test and demo, from Debian's
# archive only. Idempotent: prints what it installs, and does nothing when
# everything is already present.
#
# Usage: scripts/install-deps.sh [--check]
#   --check  only report what is missing; exit 1 if anything is.

set -eu

# Build and test tools from bookworm itself.
PKGS="gcc make bc flex bison libelf-dev kmod sparse git
      qemu-system-x86 busybox-static
      iproute2 ethtool tcpdump procps iputils-ping util-linux xz-utils
      xdp-tools python3
      linux-source-6.1"
# Kernels of every supported lane: Debian 6.1 (bookworm's default), 6.12
# (bookworm-security's backport) and its PREEMPT_RT build. The meta
# packages pull the newest ABI.
KERNEL_PKGS="linux-image-amd64 linux-headers-amd64
	     linux-image-6.12-amd64 linux-headers-6.12-amd64
	     linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64"
# virtme-ng is packaged only in trixie: a pinned-low source lets us install
# that one package while all its dependencies come from bookworm.
TRIXIE_LIST=/etc/apt/sources.list.d/rxsteer-trixie.list
TRIXIE_PIN=/etc/apt/preferences.d/rxsteer-trixie

check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing=""
for p in $PKGS $KERNEL_PKGS virtme-ng; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi
if [ "$check_only" = 1 ]; then
	echo "install-deps: missing:$missing"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run as root to install" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive

if [ ! -f "$TRIXIE_LIST" ]; then
	echo "install-deps: adding trixie source pinned at priority 100 (for virtme-ng only)"
	echo "deb http://deb.debian.org/debian trixie main" > "$TRIXIE_LIST"
fi
if [ ! -f "$TRIXIE_PIN" ]; then
	printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > "$TRIXIE_PIN"
fi

apt-get update -qq
apt_install="apt-get install -y -q --no-install-recommends"
# shellcheck disable=SC2086
$apt_install $PKGS $KERNEL_PKGS
case "$missing" in
*virtme-ng*) $apt_install virtme-ng/trixie ;;
esac
echo "install-deps: done"
