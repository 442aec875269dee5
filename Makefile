# rvfio: the project's driver (not the kernel's Makefile).
#
#   make run     build everything, boot the VM, bind the emulated devices to
#                the Rust vfio-pci and show the result (a shell if a terminal
#                is attached, else power off)
#   make check   build everything, run every test suite in the VM, print
#                "N passed, N failed, N skipped", exit non-zero on failure
#   make bench   build the bench kernel (once, then incrementally), boot one
#                VM, run rvfio_bench against the C and the Rust vfio-pci
#                (C, Rust, Rust, C); table in build/results/bench.md
#   make gating  check that kernel::vfio and the Rust vfio-pci build with
#                IOMMUFD, VFIO_GROUP, PCI_MSI, PM or PCI_IOV configured out (not part of
#                `make check`: five more cold builds of rust/)
#
# Everything is installed from package registries by harness/deps.sh and
# cached under ~/.cache/rvfio; everything built lands in build/.

SHELL := /bin/bash
B := $(CURDIR)/build
SRC := $(B)/tree
HEADERS := $(B)/headers/include
SELFTESTS := $(B)/selftests

# Which suites `make check` runs, one VM boot per line: name:driver:suites.
# harness/check.sh runs two at a time (one core each), in this order: the
# long ones first.
CHECK_RUNS := \
	c-rvfio:c:rvfio+ids+unplug+failinject \
	rust-rvfio:rust:rvfio+ids+unplug+failinject \
	c-upstream:c:upstream \
	rust-upstream:rust:upstream \
	c-qemu:c:qemu \
	rust-qemu:rust:qemu \
	bench-quick:c:bench \
	rust-bind:rust:rust-bind \
	doctests:rust:doctests

.PHONY: all deps kernel selftests initramfs l2 run check bench gating clean

all: initramfs l2

deps:
	@./harness/deps.sh

kernel: deps
	@./harness/kernel.sh

# Upstream's vfio selftests, unchanged, built against the new uapi headers.
selftests: kernel
	@mkdir -p $(SELFTESTS)/vfio
	@$(MAKE) -s -C $(SRC)/tools/testing/selftests/vfio \
		OUTPUT=$(SELFTESTS)/vfio KHDR_INCLUDES="-isystem $(HEADERS)" \
		CC=gcc LLVM= >$(B)/selftests.log 2>&1 \
		|| { tail -30 $(B)/selftests.log; exit 1; }
	@echo "selftests: $$(ls $(SELFTESTS)/vfio/vfio_*_test | wc -l) upstream binaries"
	@mkdir -p $(SELFTESTS)/rvfio
	@$(MAKE) -s -C $(SRC)/tools/testing/selftests/vfio/rvfio \
		OUTPUT=$(SELFTESTS)/rvfio KHDR_INCLUDES="-isystem $(HEADERS)" \
		CC=gcc LLVM= >$(B)/selftests-rvfio.log 2>&1 \
		|| { tail -30 $(B)/selftests-rvfio.log; exit 1; }
	@echo "selftests: $$(ls $(SELFTESTS)/rvfio/rvfio_*_test | wc -l) rvfio binaries"
	@mkdir -p $(SELFTESTS)/rvfio-bench
	@$(MAKE) -s -C $(SRC)/tools/testing/selftests/vfio/rvfio/bench \
		OUTPUT=$(SELFTESTS)/rvfio-bench KHDR_INCLUDES="-isystem $(HEADERS)" \
		CC=gcc LLVM= >$(B)/selftests-bench.log 2>&1 \
		|| { tail -30 $(B)/selftests-bench.log; exit 1; }

initramfs: selftests
	@./harness/initramfs.sh

# The nested guest's kernel, its initramfs, and QEMU packed for the test VM:
# build/initramfs-qemu.cpio.gz, booted by the qemu runs and `make run`.
l2: initramfs
	@./harness/l2.sh

run: all
	@./harness/vm.sh --name run --driver rust --plan run --shell --timeout 600

check: all
	@./harness/check.sh $(CHECK_RUNS)

bench: all
	@./harness/bench.sh

gating: kernel
	@./harness/gating.sh

clean:
	rm -rf $(B)
