#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of a VM started by scripts/vm-run.sh --plain: a minimal init for
# the debug lane's kernel. virtme-ng's init waits for udev to coldplug
# every device and creates its script I/O ports from udev rules; under
# KASAN, lockdep and TCG that coldplug outlasts udevadm's 120 s settle
# timeout, the ports are missing, and the guest powers off before the
# command runs. This init needs no udev: it mounts what the selftests
# use, runs the command from a file in a shared directory with its output
# on the serial console, and leaves its exit status in that directory.
#
# The root file system is the host's, read-only (9p). Kernel parameters:
#   rxs.share=DIR    guest path of the shared read-write directory (9p tag
#                    rxs.share): cmd (the command), rc (written here)
#   rxs.klogdir=DIR  optional: a second share (tag rxs.klog), for the
#                    kernel log that the command itself writes there

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

mount -t proc -o nosuid,noexec,nodev proc /proc
share="" klogdir=""
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rxs.share=*) share=${arg#rxs.share=} ;;
	rxs.klogdir=*) klogdir=${arg#rxs.klogdir=} ;;
	esac
done
mount -t sysfs -o nosuid,noexec,nodev sys /sys
grep -q ' /dev devtmpfs' /proc/mounts ||
	mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
# What udev (or systemd) would add to devtmpfs: bash's process
# substitution, <(...), opens /dev/fd/N.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for f in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${f#*:}" ] || ln -s "/proc/self/fd/${f%%:*}" "/dev/${f#*:}"
done
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,noexec,nosuid devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
for d in /run /tmp /var/tmp /var/log /var/cache; do
	[ -d "$d" ] && mount -t tmpfs -o mode=1777 tmpfs "$d"
done
chmod 0755 /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null

hostname rxsteer-vm
ip link set dev lo up

halt_vm() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}

if [ -z "$share" ] || ! mkdir -p "$share" ||
	! mount -t 9p -o version=9p2000.L,trans=virtio,access=any rxs.share "$share"; then
	echo "vm-init: cannot mount the shared directory (rxs.share=$share)" >/dev/console
	halt_vm
fi
if [ -n "$klogdir" ] &&
	! mount -t 9p -o version=9p2000.L,trans=virtio,access=any rxs.klog "$klogdir"; then
	echo "vm-init: cannot mount the kernel log directory $klogdir" >/dev/console
	echo 1 >"$share/rc"
	halt_vm
fi

# No CR before each LF on the console: the host parses the output.
stty -onlcr </dev/console 2>/dev/null
cd / || exit 1
bash "$share/cmd" </dev/null >/dev/console 2>&1
echo $? >"$share/rc"
halt_vm
