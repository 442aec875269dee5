#!/usr/bin/env bash
# make bench: the bench kernel (built once into build/obj-bench, then
# incrementally), its initramfs, one VM running harness/guest/suites/bench
# (C, Rust, Rust, C), then the table (build/results/bench.md), the raw
# figures (bench.csv) and the growth graph (bench-growth.svg).
#
#   RVFIO_BENCH_KERNEL=test   run on the test kernel instead (lockdep, kmemleak)
#   RVFIO_BENCH_REPS=N        repetitions per row and phase (default 7)
#   RVFIO_BENCH_ROWS=PREFIX[,PREFIX...]   only the rows whose id starts with one of them
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
kind=${RVFIO_BENCH_KERNEL:-bench}

if [ "$kind" = bench ]; then
	RVFIO_KERNEL=bench "$top/harness/kernel.sh"
	RVFIO_MODROOT=$b/modroot-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz "$top/harness/initramfs.sh"
	export RVFIO_OBJ=$b/obj-bench RVFIO_INITRAMFS=$b/initramfs-bench.cpio.gz
fi
start=$(date +%s)
RVFIO_BENCH=full "$top/harness/vm.sh" --name bench --driver c --plan bench --timeout 900 \
	>"$b/logs/bench.vm.out" 2>&1 || true
# The test kernel's checks (console splats) still apply; a bench kernel has
# no kmemleak, so that one case is expected to fail there.
grep -E "^ +FAIL" "$b/logs/bench.vm.out" | grep -v kmemleak || true
echo "bench: the VM ran $(( $(date +%s) - start ))s"

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit+dirty"
python3 "$top/harness/bench.py" --log "$b/logs/bench.tests.log" --out "$b/results/bench" \
	--kernel-kind "$kind" --commit "$commit" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	--qemu "$(qemu-system-x86_64 --version | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+[^ ]*' | head -1)"
