#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel (or the debug lane's) in a VM with virtme-ng, or
# with plain QEMU and scripts/vm-init.sh, and run one command inside.
# The guest sees the host's root file system and the current directory, so
# the module build and the selftests are visible at the same paths.
#
# Usage: scripts/vm-run.sh [-k KVER|LANE] [-c CPUS] [-m MEM] [-t SECONDS]
#                          [--kvm] [--plain] [-v] [-K FILE] -- COMMAND...
#
#   -k  kernel version (as in /boot/vmlinuz-KVER) or lane (6.1, 6.12,
#       6.12-rt, debug); default: lane 6.1
#   -c  vCPUs (default 3: steering between two non-arrival CPUs shows)
#   -m  memory (default 1G)
#   -t  timeout in seconds for the whole VM run (default 1200); on expiry
#       the VM is killed, a message says so, and the exit status is 124
#   --kvm  use KVM; the default is TCG, since on these machines /dev/kvm
#       exists but a KVM guest hangs
#   --tcg-thread single|multi  TCG's threading (default: $RXS_TCG_THREAD,
#       else single: one host thread runs every vCPU in turn). Under
#       multi (one host thread per vCPU) the kernel's code patching under
#       load can leave a vCPU running stale code (limitations.rst). The
#       guest finds the choice on its command line: rxs.tcg=single|multi
#   --print-tcg-thread  print the TCG threading a run would use (after
#       $RXS_TCG_THREAD and --tcg-thread) and exit: one place for the
#       default, which scripts/check.sh asks
#   -v  the guest kernel's console messages too (vng --verbose), mixed
#       into the output: to see why a guest hangs
#   -K FILE  follow the guest's kernel log into FILE on the host (dmesg -w
#       in the guest, FILE's directory shared read-write): what the
#       kernel said up to the moment a guest hung or was killed; and
#       (with vng) the kernel console in FILE.console, a virtio console:
#       the oops or panic of a guest that died, which dmesg -w has no
#       time to write (with --plain the console is the output itself)
#   --plain  QEMU without virtme-ng, with scripts/vm-init.sh as init (no
#       udev); the default for a kernel tree (the debug lane), where
#       virtme-ng's udev coldplug outlasts its settle timeout and the
#       guest powers off before the command runs. Needs a kernel with
#       virtio-9p built in (Debian's has it as modules)
#
# The exit status is the command's.

set -u

here=$(cd "$(dirname "$0")" && pwd)
kver=6.1
cpus=3
mem=1G
tmo=1200
accel=--disable-kvm
tcgthread=${RXS_TCG_THREAD:-single}
verbose=""
klog=""
plain=0
print_tcg=0

while [ $# -gt 0 ]; do
	case "$1" in
	-k) kver=$2; shift 2 ;;
	-c) cpus=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-t) tmo=$2; shift 2 ;;
	--kvm) accel=""; shift ;;
	--tcg-thread) tcgthread=$2; shift 2 ;;
	--print-tcg-thread) print_tcg=1; shift ;;
	-v) verbose=--verbose; shift ;;
	-K) klog=$2; shift 2 ;;
	--plain) plain=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '3,/^# The exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
case $tcgthread in
single|multi) ;;
*) echo "vm-run: --tcg-thread: single or multi, not '$tcgthread'" >&2; exit 2 ;;
esac
if [ "$print_tcg" = 1 ]; then
	echo "$tcgthread"
	exit 0
fi
[ $# -ge 1 ] || { echo "vm-run: no command given" >&2; exit 2; }
cmd="$*"
rwdir=()
console=()
if [ -n "$klog" ]; then
	klog=$(realpath -m "$klog")
	mkdir -p "$(dirname "$klog")" && : >"$klog" ||
		{ echo "vm-run: cannot write $klog" >&2; exit 2; }
	# GUEST=HOST form: with a bare host path, virtme checks the guest
	# path relative to vng's working directory and refuses a directory
	# outside its default overlays (/tmp, /home...), such as a clone in
	# /check/... ("path must be defined inside a valid overlay").
	klogdir=$(dirname "$klog")
	rwdir=(--rwdir "$klogdir=$klogdir")
	cmd="(dmesg -w >'$klog' 2>&1 &); $cmd"
fi

case "$kver" in
debug|6.1|6.12|6.12-rt) kver=$("$here/kernels.sh" "$kver") ;;
esac
if ! image=$("$here/kernels.sh" --image "$kver"); then
	echo "vm-run: no kernel $kver (run scripts/install-deps.sh, or" \
		"scripts/debug-kernel.sh for the debug lane)" >&2
	exit 2
fi
[ -d "$image" ] && plain=1

if [ "$plain" = 1 ]; then
	command -v qemu-system-x86_64 >/dev/null || {
		echo "vm-run: qemu-system-x86_64 not found (run scripts/install-deps.sh)" >&2
		exit 2
	}
	kernel=$image
	[ -d "$image" ] && kernel=$image/arch/x86/boot/bzImage
	# The command, and later its exit status, in a directory shared
	# read-write with the guest (the guest's /tmp is its own tmpfs).
	share=$(mktemp -d)
	printf 'cd %q || exit 1\n%s\n' "$PWD" "$cmd" >"$share/cmd"
	fsargs=()
	fs() { # ID HOSTDIR TAG [readonly]
		fsargs+=(-fsdev "local,id=$1,path=$2,security_model=none,multidevs=remap${4:+,readonly=on}"
			-device "virtio-9p-pci,fsdev=$1,mount_tag=$3")
	}
	fs root / /dev/root ro
	fs share "$share" rxs.share
	# The root is read-only and does not change under the guest: cache
	# it (cache=loose), and move 512 KiB per 9p message. Under KASAN and
	# TCG this halves the cost of an exec (20 runs of ip: 57 s -> 27 s).
	append="rootfstype=9p rootflags=version=9p2000.L,trans=virtio,access=any,cache=loose,msize=512000 ro"
	append+=" console=ttyS0 panic=-1 rxs.share=/run/rxs-share"
	[ -n "$verbose" ] || append+=" loglevel=1"
	if [ -n "$klog" ]; then
		fs klog "$klogdir" rxs.klog
		append+=" rxs.klogdir=$klogdir"
	fi
	if [ -n "$accel" ]; then
		acc=tcg,thread=$tcgthread
		append+=" rxs.tcg=$tcgthread"
	else
		acc=kvm
	fi
	run=(qemu-system-x86_64 -name rxsteer -machine q35 -accel "$acc"
		-smp "$cpus" -m "$mem" -vga none -display none -parallel none
		-net none -monitor none -serial stdio -no-reboot "${fsargs[@]}"
		-kernel "$kernel" -append "$append init=$here/vm-init.sh")
else
	command -v vng >/dev/null || {
		echo "vm-run: vng not found (run scripts/install-deps.sh)" >&2
		exit 2
	}
	if [ -n "$klog" ]; then
		# Kernel messages go to every console; an oops raises the
		# console log level, so it gets there whole even under vng's
		# loglevel=1. A virtio console (hvc0): the 8250 driver serves
		# one serial console, and vng's ttyS0 goes to /dev/null. (In
		# --plain mode ttyS0 is the VM's output: the oops is there.)
		: >"$klog.console"
		console=("--qemu-opts=-chardev file,id=rxskcon,path=$klog.console"
			"--qemu-opts=-device virtio-serial-pci,id=rxsvs"
			"--qemu-opts=-device virtconsole,chardev=rxskcon,bus=rxsvs.0"
			--append console=hvc0)
	fi
	tcg=()
	[ -n "$accel" ] && tcg=("--qemu-opts=-accel tcg,thread=$tcgthread"
		--append "rxs.tcg=$tcgthread")
	run=(vng --run "$image" ${accel:+"$accel"} ${verbose:+"$verbose"}
		"${rwdir[@]}" "${console[@]}" "${tcg[@]}" --cpus "$cpus"
		--memory "$mem" --exec "$cmd")
fi

# The VM in its own session, so that a timeout kills qemu too. Its output
# goes through a pipe: vng reopens its stdout, and with a plain file as
# stdout its writes and ours would overwrite each other.
pidfile=$(mktemp)
trap 'rm -f "$pidfile"; [ -z "${share:-}" ] || rm -rf "$share"' EXIT
(
	setsid -w sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
		"${run[@]}" </dev/null 2>&1 | cat
	exit "${PIPESTATUS[0]}"
) &
pid=$!
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep "$tmo" &
	s=$!
	wait "$s"
	echo "vm-run: VM exceeded ${tmo}s, killing it" >&2
	pg=$(cat "$pidfile")
	[ -n "$pg" ] && kill -KILL -- -"$pg" 2>/dev/null
) &
watchdog=$!
wait "$pid"
rc=$?
if kill -0 "$watchdog" 2>/dev/null; then
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
else
	rc=124
fi
if [ "$plain" = 1 ] && [ "$rc" != 124 ]; then
	# qemu exits 0 when the guest powers off: the status is the one
	# vm-init.sh left in the shared directory.
	if [ -s "$share/rc" ]; then
		rc=$(cat "$share/rc")
	else
		echo "vm-run: the guest left no exit status (qemu: $rc)" >&2
		rc=1
	fi
fi
exit "$rc"
