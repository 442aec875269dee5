#!/usr/bin/env bash
# Build gating: `kernel::vfio` and the Rust vfio-pci must build when an
# optional part of what they use is configured out. For each option below,
# configures tinyconfig + harness/kernel.config with that one option forced
# off, in its own build/gating/<OPTION> directory, and compiles the kernel
# crate and the C helpers (the `prepare` step), the kernel crate's doctests
# and the driver's object:
#
#   make O=build/gating/<OPTION> rust/doctests_kernel_generated.o \
#        drivers/vfio/pci/rust/vfio_pci_rust.o
#
# (no vmlinux, no modpost). Uses the source tree harness/kernel.sh prepared
# (`make gating` runs `make kernel` first). Prints per variant "ok" or the
# compiler's errors; the full log is build/gating/<OPTION>.log. Exits
# non-zero if any variant fails.
#
#   harness/gating.sh [OPTION...]    default: IOMMUFD VFIO_GROUP PCI_MSI PM PCI_IOV
#
# Cost: a variant stopped by an error in the kernel crate takes ~1.5 min of
# both cores; the directories are kept, so a second run only rebuilds what
# changed (~1 min per variant after a change to rust/kernel).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RVFIO_CACHE:-$HOME/.cache/rvfio}
b=$top/build
src=$b/tree
[ -f "$src/Makefile" ] || { echo "gating: no source tree in $src: run 'make kernel' first" >&2; exit 1; }

# The build/VM lock, taken per variant so that other work can run in between.
mkdir -p "$b/gating"
exec 9>"${RVFIO_LOCK:-$b/.busy.lock}"
jobs=${JOBS:-$(nproc)}
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
kmake() { # OBJ ARGS...
	local obj=$1; shift
	make -C "$src" O="$obj" LLVM=-19 \
		RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
		BINDGEN="$cache/bindgen/bin/bindgen" \
		RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library \
		"$@"
}

opts=("$@")
[ ${#opts[@]} -gt 0 ] || opts=(IOMMUFD VFIO_GROUP PCI_MSI PM PCI_IOV)
fail=0
for opt in "${opts[@]}"; do
	obj=$b/gating/$opt
	log=$b/gating/$opt.log
	flock 9
	start=$(date +%s)
	mkdir -p "$obj"
	# The fragment with the option forced off (a later line wins in merge_config).
	{ cat "$top/harness/kernel.config"; echo "CONFIG_$opt=n"; } > "$b/gating/$opt.config"
	{
		kmake "$obj" -s tinyconfig &&
		(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$b/gating/$opt.config" >/dev/null) &&
		kmake "$obj" -s olddefconfig
	} >"$log" 2>&1 || { echo "gating: $opt: configuration failed (see $log)"; fail=1; flock -u 9; continue; }
	# The variant only means something if the option is off and the driver is still built.
	if grep -q "^CONFIG_$opt=[ym]" "$obj/.config"; then
		echo "gating: $opt: CONFIG_$opt is still set (selected by another option)"; fail=1; flock -u 9; continue
	fi
	if ! grep -q "^CONFIG_VFIO_PCI_RUST=m" "$obj/.config"; then
		echo "gating: $opt: CONFIG_VFIO_PCI_RUST did not survive ($(grep -E 'CONFIG_(VFIO|RUST)=' "$obj/.config" | tr '\n' ' '))"
		fail=1; flock -u 9; continue
	fi
	# What else went with the option (for the report).
	off=$(grep -vxFf "$obj/.config" "$b/obj/.config" 2>/dev/null | grep -E '^CONFIG_(VFIO|IOMMU|PCI|IRQ_REMAP|INTEL_IOMMU)[A-Z_]*=' | sed 's/=.*//' | tr '\n' ' ')
	echo "gating: $opt: off with it: ${off:-nothing else of VFIO/IOMMU/PCI}"
	if kmake "$obj" -j"$jobs" rust/doctests_kernel_generated.o drivers/vfio/pci/rust/vfio_pci_rust.o >>"$log" 2>&1; then
		echo "gating: $opt: ok ($(( $(date +%s) - start ))s)"
	else
		echo "gating: $opt: FAILED ($(( $(date +%s) - start ))s); errors (full log: $log):"
		grep -E -A12 '^(error|warning)(\[E[0-9]+\])?:' "$log" | head -150
		grep -E '^(make|.*\.c:[0-9]+:[0-9]+: error)' "$log" | grep -v "Entering\|Leaving" | head -20
		fail=1
	fi
	flock -u 9
done
exit $fail
