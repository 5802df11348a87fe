# SPDX-License-Identifier: GPL-2.0
#
# User-facing targets for rxsteer. Kbuild holds the object list and flags.
#
#   make                 build rxsteer.ko for the running kernel (or KDIR=)
#   make check           the whole test suite: every supported kernel, in VMs
#   make check-debug     the suite on the debug kernel (make debug-kernel)
#   make check-lifecycle rxsteer_lifecycle.sh on every kernel lane, in VMs
#   make bench           one VM: every steering mode x scenario, 5 repetitions
#   make bench-probe     one VM: the cost of a read with the RFS probes
#   make demo            boot a VM, load the module, show it steering traffic
#   make unit            user-space unit tests of the pure logic only
#   make style           checkpatch.pl --strict over src/ and include/
#   make sparse          build with sparse (C=1) and W=1
#   make tools           build tools/rxsteerctl (Documentation/cli.rst)
#   make dkms-check      build with DKMS for every kernel lane, then remove it
#   make debug-kernel    build the debug lane's kernel once (11 to 28 min)
#   make install         install into /lib/modules/$(KVER)/updates + depmod
#   make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD := $(shell pwd)
RXS_VERSION := $(shell git -C $(PWD) describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
export RXS_VERSION

all: module

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(PWD) C=2 W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -rf build
	$(MAKE) -C selftests clean
	$(MAKE) -C tools clean

install: module
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

uninstall:
	rm -f /lib/modules/$(KVER)/updates/rxsteer.ko*
	depmod -a $(KVER)

unit:
	$(MAKE) -C selftests/unit run

style:
	scripts/checkpatch.sh

check:
	scripts/check.sh

check-debug:
	RXS_LANES=debug scripts/check.sh

check-lifecycle:
	RXS_TESTS=rxsteer_lifecycle.sh scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

bench-probe:
	scripts/bench.sh --probe

tools:
	$(MAKE) -C tools

dkms-check:
	scripts/dkms-check.sh

debug-kernel:
	scripts/debug-kernel.sh

.PHONY: all module sparse clean install uninstall unit style check check-debug \
	check-lifecycle demo bench bench-probe tools \
	dkms-check debug-kernel
