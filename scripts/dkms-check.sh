#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that dkms.conf builds rxsteer.ko with DKMS for every supported
# kernel lane, from a copy of the sources without .git, and leave nothing
# behind:
#
#   1. install the `dkms` package from Debian if it is missing (idempotent,
#      as scripts/install-deps.sh does for the other dependencies);
#   2. copy dkms.conf, Makefile, Kbuild, src/ and include/ to
#      /usr/src/rxsteer-VERSION and `dkms add` it;
#   3. for each lane of scripts/kernels.sh, `dkms build -k KVER` and check
#      with modinfo that the built module's vermagic is KVER and its
#      version is VERSION (the Makefile's fallback outside git);
#   4. `dkms remove --all`, remove the copy (and the signing key pair dkms
#      generated, if it did not exist before).
#
# Prints one line per lane and exits non-zero on any failure. Needs root.
# Refuses to run when rxsteer VERSION is already known to DKMS or
# /usr/src/rxsteer-VERSION exists, so that it never touches an install.
#
# Usage: scripts/dkms-check.sh
# Environment: RXS_LANES (default: every lane scripts/kernels.sh lists;
#              the debug lane, a kernel tree that is not installed, is
#              skipped), RXS_ALLOW_MISSING_LANES=1 (a lane whose kernel is
#              not installed is reported as skipped without failing).

set -u
top=$(cd "$(dirname "$0")/.." && pwd)

note() { echo "dkms-check: $*"; }
die() { echo "dkms-check: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (dkms add/build/remove)"

if ! dpkg-query -W -f='${Status}' dkms 2>/dev/null | grep -q 'install ok installed'; then
	note "installing dkms"
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update -qq &&
		apt-get install -y -q --no-install-recommends dkms >/dev/null; }; then
		die "cannot install the dkms package"
	fi
fi
command -v dkms >/dev/null || die "dkms not found after installation"

name=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$top/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$top/dkms.conf")
if [ "$name" != rxsteer ] || [ -z "$version" ]; then
	die "cannot read PACKAGE_NAME/PACKAGE_VERSION from dkms.conf"
fi
src=/usr/src/$name-$version
tree=/var/lib/dkms/$name/$version

if dkms status -m "$name" -v "$version" 2>/dev/null | grep -q .; then
	die "$name/$version is already known to DKMS (dkms status); remove it first"
fi
[ -e "$src" ] && die "$src exists; remove it first"
[ -e "$tree" ] && die "$tree exists; remove it first"

# The signing key pair dkms creates on its first build: ours to remove
# only if it did not exist before.
keys_before=0
if [ -e /var/lib/dkms/mok.key ] || [ -e /var/lib/dkms/mok.pub ]; then
	keys_before=1
fi

log=$(mktemp -d /tmp/rxsteer-dkms.XXXXXX)
added=0
# shellcheck disable=SC2317	# called through the trap
cleanup()
{
	[ "$added" = 1 ] && dkms remove -m "$name" -v "$version" --all \
		>>"$log/remove.log" 2>&1
	rm -rf "$src"
	rmdir "/var/lib/dkms/$name" 2>/dev/null
	if [ "$keys_before" = 0 ]; then
		rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	fi
	rm -rf "$log"
}
trap cleanup EXIT

# A copy without .git and without build products, as a release tarball or
# a distribution package would install it.
if ! mkdir -p "$src" ||
	! cp -r "$top/dkms.conf" "$top/Makefile" "$top/Kbuild" "$top/LICENSE" \
		"$top/src" "$top/include" "$src/"; then
	die "cannot copy the sources to $src"
fi
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod*' \) -delete
[ -e "$src/.git" ] && die "$src has a .git"

if ! dkms add -m "$name" -v "$version" >"$log/add.log" 2>&1; then
	cat "$log/add.log" >&2
	die "dkms add $name/$version failed"
fi
added=1

fail=0
nlanes=0
lanes=${RXS_LANES:-$("$top/scripts/kernels.sh" | awk '{print $1}')}
for lane in $lanes; do
	if [ "$lane" = debug ]; then
		note "debug: skipped: a kernel tree, not an installed kernel; DKMS does not apply"
		continue
	fi
	nlanes=$((nlanes + 1))
	kver=$("$top/scripts/kernels.sh" "$lane") || { fail=1; continue; }
	if [ "$kver" = - ]; then
		note "$lane: skipped: kernel image or headers not installed"
		[ "${RXS_ALLOW_MISSING_LANES:-0}" = 1 ] || fail=1
		continue
	fi
	if [ ! -d "/lib/modules/$kver/build" ]; then
		note "$lane ($kver): FAILED: no /lib/modules/$kver/build"
		fail=1
		continue
	fi
	if ! dkms build -m "$name" -v "$version" -k "$kver" \
		>"$log/build-$kver.log" 2>&1; then
		cat "$log/build-$kver.log" >&2
		cat "$tree/build/make.log" >&2 2>/dev/null
		note "$lane ($kver): FAILED: dkms build"
		fail=1
		continue
	fi
	ko=""
	for f in "$tree/$kver"/*/module/"$name".ko*; do
		[ -e "$f" ] && ko=$f && break
	done
	if [ -z "$ko" ]; then
		note "$lane ($kver): FAILED: no $name.ko under $tree/$kver"
		fail=1
		continue
	fi
	vermagic=$(modinfo -F vermagic "$ko" | sed "s/ *$//")
	modver=$(modinfo -F version "$ko")
	if [ "${vermagic%% *}" != "$kver" ]; then
		note "$lane ($kver): FAILED: vermagic '$vermagic' is not $kver"
		fail=1
	elif [ "$modver" != "$version" ]; then
		note "$lane ($kver): FAILED: modinfo version '$modver', want $version"
		fail=1
	else
		note "$lane ($kver): ok: dkms build, vermagic $vermagic, version $modver"
	fi
done
[ "$nlanes" -gt 0 ] || { note "no lanes"; fail=1; }

if ! dkms remove -m "$name" -v "$version" --all >"$log/remove.log" 2>&1; then
	cat "$log/remove.log" >&2
	note "FAILED: dkms remove $name/$version --all"
	fail=1
fi
added=0
rm -rf "$src"
rmdir "/var/lib/dkms/$name" 2>/dev/null
if dkms status -m "$name" 2>/dev/null | grep -q . || [ -e "$tree" ] ||
	[ -e "$src" ] || ls /lib/modules/*/updates/dkms/"$name".ko* >/dev/null 2>&1; then
	note "FAILED: something of $name/$version is left behind"
	fail=1
else
	note "removed: nothing of $name/$version left in DKMS, /usr/src or /lib/modules"
fi
exit $fail
