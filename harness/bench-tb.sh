#!/usr/bin/env bash
# Where the per-access rows' work goes, C against Rust: the translated blocks
# each kernel function runs per call, from QEMU's execution log, switched on
# through the monitor only while a row runs (harness/tbcount.py). Bench
# kernel; writes build/results/bench-tb.md.
#   RVFIO_SAMPLE_ROWS=row,row   the rows (default: the rows above 1.00)
#   RVFIO_SAMPLE_CALLS=N        calls per row and driver (default 500)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
RVFIO_KERNEL=bench "$top/harness/kernel.sh"
RVFIO_MODROOT=$b/modroot-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz "$top/harness/initramfs.sh"
mon=$b/logs/bench-tb.mon dir=$b/logs/bench-tb
rm -rf "$mon" "$dir" "$b/logs/bench-tb.tests.log"
export RVFIO_OBJ=$b/obj-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz RVFIO_BENCH=full
export RVFIO_SAMPLE_CALLS=${RVFIO_SAMPLE_CALLS:-500}
# vm.sh gives every run a monitor at build/logs/NAME.mon.
export RVFIO_QEMU_EXTRA="-D $dir/none.log"
mkdir -p "$dir"
python3 "$top/harness/tbcount.py" record "$mon" "$b/logs/bench-tb.tests.log" "$dir" &
rec=$!
"$top/harness/vm.sh" --name bench-tb --driver c --plan bench-sample --timeout 1200 \
	>"$b/logs/bench-tb.vm.out" 2>&1 || true
wait $rec || true
python3 "$top/harness/tbcount.py" report "$b/logs/bench-tb.tests.log" "$dir" \
	"$b/obj-bench/System.map" | tee "$b/results/bench-tb.md"
