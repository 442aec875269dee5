#!/usr/bin/env bash
# Builds the test kernel: pristine Linux 7.3 source + patches/ + the
# project's overlay, configured from harness/kernel.config, built out of
# tree into build/obj. Incremental: only what changed is copied, and Kbuild
# rebuilds only what depends on it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RVFIO_CACHE:-$HOME/.cache/rvfio}
b=$top/build

# One kernel build or VM run at a time (2 cores): wait for the other.
mkdir -p "$b"
exec 9>"${RVFIO_LOCK:-$b/.busy.lock}"
flock 9
src=$b/tree         # patched + overlaid source tree
obj=$b/obj          # Kbuild output
modroot=$b/modroot  # installed modules, for the initramfs
frag=$top/harness/kernel.config
# RVFIO_KERNEL=bench: the bench kernel (harness/kernel-bench.config), same
# tree, its own obj dir and modules.
if [ "${RVFIO_KERNEL:-test}" = bench ]; then
	obj=$b/obj-bench modroot=$b/modroot-bench
fi
# RVFIO_KERNEL=kasan: the test kernel with KASAN (harness/kernel-kasan.config
# added to the fragment), its own obj dir and modules; no run of make check
# uses it (README).
if [ "${RVFIO_KERNEL:-test}" = kasan ]; then
	obj=$b/obj-kasan modroot=$b/modroot-kasan
fi
jobs=${JOBS:-$(nproc)}

deb=$(ls "$cache"/debs/linux-source-7.3_*.deb | sort -V | tail -1)
# The pristine tree, kept as build/linux-7.3 (what a reviewer's tools compare
# the project's files with).
pristine=$b/linux-7.3

# 1. The pristine tree, unpacked once per source package.
if [ "$(cat "$b/linux-7.3.deb" 2>/dev/null)" != "$(basename "$deb")" ]; then
	echo "kernel: unpacking $(basename "$deb")"
	rm -rf "$pristine" "$b/unpack"; mkdir -p "$b/unpack"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/linux-source-7.3.tar.xz' | tar -xJ -C "$b/unpack"
	mv "$b/unpack/linux-source-7.3" "$pristine"
	rm -rf "$b/unpack"
	basename "$deb" > "$b/linux-7.3.deb"
fi

# 2. The working tree: a copy of the pristine tree with patches/ applied.
#    Copies keep the pristine mtimes, so recreating it does not force a
#    full rebuild.
want=$( (basename "$deb"; cat "$top"/patches/*.patch 2>/dev/null) | sha1sum | cut -c1-16)
if [ "$(cat "$b/.tree" 2>/dev/null)" != "$want" ]; then
	echo "kernel: preparing the source tree"
	# The old tree goes in the background; the new one is hard links to the
	# pristine files (patch and rsync write new files and rename them over,
	# so the pristine tree is never written through a link).
	if [ -d "$src" ]; then
		mv "$src" "$src.old.$$" && (rm -rf "$src.old.$$" &)
	fi
	rm -f "$b/overlay.list"
	cp -al "$pristine" "$src"
	for p in "$top"/patches/*.patch; do
		[ -e "$p" ] || continue
		echo "kernel: applying $(basename "$p")"
		patch -d "$src" -p1 -s --no-backup-if-mismatch < "$p"
	done
	echo "$want" > "$b/.tree"
fi

# 3. The overlay: the project's own files at their kernel-tree paths.
#    Content-compared, so untouched files keep their mtime. A file that
#    left the project is restored from the pristine tree (or removed).
(cd "$top" && git ls-files -co --exclude-standard -- rust drivers include tools Documentation MAINTAINERS 2>/dev/null | sort) > "$b/overlay.new"
if [ -f "$b/overlay.list" ]; then
	comm -23 "$b/overlay.list" "$b/overlay.new" | while read -r f; do
		rm -f "$src/$f"
		if [ -f "$pristine/$f" ]; then cp -a "$pristine/$f" "$src/$f"; fi
	done
fi
(cd "$top" && rsync -rlc --files-from="$b/overlay.new" . "$src/")
mv "$b/overlay.new" "$b/overlay.list"

# KASAN, in the KASAN kernel, instruments the code under test only (see
# harness/kernel-kasan.config): KASAN_SANITIZE=n on the command line turns it off
# everywhere; a per-object KASAN_SANITIZE_<stem>.o=y (which Kbuild reads
# before the directory's setting) turns it back on for the C files of the
# VFIO core and of the C vfio-pci; and RUSTFLAGS_<stem>.o hands the
# sanitizer's flags to every Rust object (rustc wants them on all the
# crates it links or on none; a Rust object missing here fails the build
# with an ABI-mismatch error). Stems are file names without a directory:
# the Rust ones go through RUSTFLAGS_, which no C file reads, because a C
# stem such as "core" would also instrument kernel/sched/core.c and a dozen
# others. The few C stems that
# recur elsewhere (group, container, debugfs, iommufd) instrument a handful
# of unrelated files; that costs little.
kasan=()
if [ "${RVFIO_KERNEL:-test}" = kasan ]; then
	kasan=(KASAN_SANITIZE=n)
	for o in vfio_main device_cdev group iommufd container virqfd debugfs \
		vfio_iommu_type1 vfio_pci_core vfio_pci_intrs vfio_pci_rdwr \
		vfio_pci_config vfio_pci_dmabuf vfio_pci; do
		kasan+=("KASAN_SANITIZE_$o.o=y")
	done
	for o in core compiler_builtins ffi build_error pin_init zerocopy \
		bindings uapi kernel doctests_kernel_generated vfio_pci_rust; do
		kasan+=("RUSTFLAGS_$o.o=\$(RUSTFLAGS_KASAN)")
	done
fi

kmake() {
	make -C "$src" O="$obj" LLVM=-19 \
		RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
		BINDGEN="$cache/bindgen/bin/bindgen" \
		RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library \
		${kasan[@]+"${kasan[@]}"} "$@"
}
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

# 4. Configuration: tinyconfig + the fragment, redone when it changes.
if [ "${RVFIO_KERNEL:-test}" = bench ]; then
	# The test fragment less what the bench fragment names, then the latter.
	mkdir -p "$obj"
	bfrag=$top/harness/kernel-bench.config
	names=$(grep -oE '^CONFIG_[A-Za-z0-9_]+' "$bfrag" | paste -sd'|')
	{ grep -vE "^($names)(_[A-Za-z0-9_]*)?=" "$frag"; cat "$bfrag"; } > "$obj/rvfio-fragment.config"
	frag=$obj/rvfio-fragment.config
fi
if [ "${RVFIO_KERNEL:-test}" = kasan ]; then
	mkdir -p "$obj"
	cat "$frag" "$top/harness/kernel-kasan.config" > "$obj/rvfio-fragment.config"
	frag=$obj/rvfio-fragment.config
fi
cfgsum=$( (cat "$frag"; cat "$b/.tree") | sha1sum | cut -c1-16)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.rvfio-config" 2>/dev/null)" != "$cfgsum" ]; then
	echo "kernel: configuring"
	mkdir -p "$obj"
	kmake -s tinyconfig
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null)
	kmake -s olddefconfig
	# Every option the fragment asks for must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) opt=${line%%=*}
			grep -q "^$opt=" "$obj/.config" && { echo "kernel: $opt is set, wanted n"; bad=1; } ;;
		CONFIG_*=*) grep -qxF "$line" "$obj/.config" || { echo "kernel: $line did not survive ($(grep "^${line%%=*}=" "$obj/.config" || echo unset))"; bad=1; } ;;
		esac
	done < "$frag"
	[ $bad = 0 ] || { echo "kernel: configuration incomplete" >&2; exit 1; }
	echo "$cfgsum" > "$obj/.rvfio-config"
fi

# 5. Build, install modules and uapi headers for the guest and the tests.
echo "kernel: building (-j$jobs)"
kmake -j"$jobs" bzImage modules
rm -rf "$modroot"
kmake -s INSTALL_MOD_PATH="$modroot" INSTALL_MOD_STRIP=1 modules_install DEPMOD=/sbin/depmod
[ "${RVFIO_KERNEL:-test}" = test ] && kmake -s headers_install INSTALL_HDR_PATH="$b/headers" >/dev/null
echo "kernel: ok ($(cat "$obj/include/config/kernel.release"))"
