#!/usr/bin/env bash
# Counts the device accesses (MMIO, port I/O, config space) each call of the
# bench's rows makes, C against Rust, from a QEMU trace of the bench VM
# (bench-sample suite with RVFIO_SAMPLE_CALLS calls per row); writes
# build/results/bench-count.md.
#   RVFIO_SAMPLE_ROWS=row,row   the rows
#   RVFIO_SAMPLE_CALLS=N        calls per row and driver (default 2000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
RVFIO_KERNEL=bench "$top/harness/kernel.sh"
RVFIO_MODROOT=$b/modroot-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz "$top/harness/initramfs.sh"
trace=$b/logs/bench-count.trace
rm -f "$trace"
export RVFIO_OBJ=$b/obj-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz RVFIO_BENCH=full
export RVFIO_SAMPLE_CALLS=${RVFIO_SAMPLE_CALLS:-2000}
export RVFIO_QEMU_EXTRA="-trace enable=memory_region_ops_read -trace enable=memory_region_ops_write -trace enable=pci_cfg_read -trace enable=pci_cfg_write -D $trace"
"$top/harness/vm.sh" --name bench-count --driver c --plan bench-sample --timeout 1200 \
	>"$b/logs/bench-count.vm.out" 2>&1 || true
python3 "$top/harness/bench-count.py" "$trace" | tee "$b/results/bench-count.md"
