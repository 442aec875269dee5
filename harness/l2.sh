#!/usr/bin/env bash
# Builds what the qemu runs (harness/guest/suites/qemu) and `make run` need
# beside the test kernel, all under build/l2/ (kernel objects in build/obj-l2):
#
#  1. the nested guest's (L2) kernel: tinyconfig + harness/kernel-l2.config,
#     from the same build/tree as the test kernel, no Rust, out of tree in
#     build/obj-l2, incremental;
#  2. harness/l2/edu_l2.c, an external module against it (L2's edu checks);
#  3. L2's initramfs (busybox, harness/l2/init, the module, harness/l2/mmio.c
#     built static), uncompressed;
#  4. the payload L1 needs to run L2: the host's qemu-system-x86_64 (found on
#     the PATH), the shared libraries ldd lists for it, the firmware files
#     it opens for `-M q35 -nodefaults -kernel`, L2's kernel and initramfs;
#     packed as one uncompressed cpio archive, build/l2/payload.cpio;
#  5. build/initramfs-qemu.cpio.gz: the test initramfs with the payload
#     appended (the kernel unpacks concatenated archives), which only the
#     runs that start QEMU in L1 boot (vm.sh, RVFIO_INITRAMFS); every other
#     run keeps the small initramfs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RVFIO_CACHE:-$HOME/.cache/rvfio}
b=$top/build
src=$b/tree
obj=$b/obj-l2
l2=$b/l2
frag=$top/harness/kernel-l2.config
[ -f "$src/Makefile" ] || { echo "l2: no source tree in $src: run 'make kernel' first" >&2; exit 1; }

mkdir -p "$b"
exec 9>"${RVFIO_LOCK:-$b/.busy.lock}"
flock 9
jobs=${JOBS:-$(nproc)}
# GCC: the L2 kernel has no Rust, and GCC builds it faster than clang here.
kmake() { make -C "$src" O="$obj" "$@"; }

# 1. The L2 kernel.
cfgsum=$( (cat "$frag"; cat "$b/.tree") | sha1sum | cut -c1-16)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.rvfio-config" 2>/dev/null)" != "$cfgsum" ]; then
	echo "l2: configuring the L2 kernel"
	mkdir -p "$obj"
	kmake -s tinyconfig
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null)
	kmake -s olddefconfig
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) opt=${line%%=*}
			grep -q "^$opt=" "$obj/.config" && { echo "l2: $opt is set, wanted n"; bad=1; } ;;
		CONFIG_*=*) grep -qxF "$line" "$obj/.config" || { echo "l2: $line did not survive ($(grep "^${line%%=*}=" "$obj/.config" || echo unset))"; bad=1; } ;;
		esac
	done < "$frag"
	[ $bad = 0 ] || { echo "l2: configuration incomplete" >&2; exit 1; }
	echo "$cfgsum" > "$obj/.rvfio-config"
fi
echo "l2: building the L2 kernel (-j$jobs)"
t0=$(date +%s)
kmake -s -j"$jobs" bzImage modules
echo "l2: L2 kernel built in $(( $(date +%s) - t0 ))s ($(cat "$obj/include/config/kernel.release"))"

# 2. The edu module, built in a copy of harness/l2 (Kbuild writes beside the
#    sources).
mkdir -p "$l2/mod"
rsync -c "$top/harness/l2/edu_l2.c" "$top/harness/l2/Kbuild" "$l2/mod/"
kmake -s M="$l2/mod" modules

# 3. L2's root filesystem.
root=$l2/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$top/harness/l2/init" "$root/init"
chmod +x "$root/init"
cp "$l2/mod/edu_l2.ko" "$root/"
gcc -static -Os -s -o "$root/bin/mmio" "$top/harness/l2/mmio.c"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$l2/initramfs.cpio"

# 4. The payload: QEMU, its libraries, its firmware, L2's kernel and
#    initramfs. The firmware files are the ones QEMU 10 opens for
#    `-M q35 -nodefaults -vga none -kernel`: SeaBIOS, the option ROM that
#    boots the kernel through fw_cfg DMA, and the TPR patching ROM (loaded
#    under TCG too, with an error message when missing). QEMU
#    looks for them in the directory given with -L (L1 passes
#    /rvfio/l2/qemu).
qemu=$(command -v qemu-system-x86_64) || { echo "l2: no qemu-system-x86_64 on the PATH" >&2; exit 1; }
pay=$l2/payload
rm -rf "$pay"
mkdir -p "$pay/rvfio/l2/qemu" "$pay$(dirname "$qemu")"
cp -L "$qemu" "$pay$qemu"
ldd "$qemu" | grep -oE '/[^ ]+' | sort -u | while read -r lib; do
	mkdir -p "$pay$(dirname "$lib")"
	cp -L "$lib" "$pay$lib"
done
fw=$(qemu_fw_dirs() { "$qemu" -L help 2>/dev/null; }; qemu_fw_dirs)
for f in bios-256k.bin linuxboot_dma.bin kvmvapic.bin; do
	found=
	for d in $fw; do
		[ -f "$d/$f" ] && { cp -L "$d/$f" "$pay/rvfio/l2/qemu/$f"; found=1; break; }
	done
	[ -n "$found" ] || { echo "l2: QEMU's $f not found in: $fw" >&2; exit 1; }
done
cp "$top/harness/guest/nested.sh" "$pay/rvfio/nested.sh"
cp "$obj/arch/x86/boot/bzImage" "$pay/rvfio/l2/bzImage"
cp "$l2/initramfs.cpio" "$pay/rvfio/l2/initramfs.cpio"
"$qemu" --version | head -1 > "$pay/rvfio/l2/qemu-version"
(cd "$pay" && find . -mindepth 1 | cpio -o -H newc --quiet) > "$l2/payload.cpio"
echo "l2: payload $(du -h "$l2/payload.cpio" | cut -f1) (QEMU, $(ldd "$qemu" | grep -c /) libraries, firmware, L2 kernel $(du -h "$obj/arch/x86/boot/bzImage" | cut -f1), L2 initramfs $(du -h "$l2/initramfs.cpio" | cut -f1))"

# 5. The test initramfs with the payload appended. A compressed archive may
#    be followed by another one at the next 4-byte boundary (the kernel skips
#    the zero padding).
out=$b/initramfs-qemu.cpio.gz
[ -f "$b/initramfs.cpio.gz" ] || { echo "l2: no $b/initramfs.cpio.gz: run 'make initramfs' first" >&2; exit 1; }
{
	cat "$b/initramfs.cpio.gz"
	pad=$(( (512 - $(stat -c %s "$b/initramfs.cpio.gz") % 512) % 512 ))
	head -c $pad /dev/zero
	cat "$l2/payload.cpio"
} > "$out"
echo "l2: $(basename "$out"): $(du -h "$out" | cut -f1)"
