#!/usr/bin/env bash
# Packs the guest's root filesystem: busybox, the guest scripts, the kernel
# modules, the test binaries built on the host and the shared libraries they
# need. Small and rebuilt every time (a second or two).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
root=$b/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,lib,lib64,rvfio/upstream,rvfio/bin,rvfio/suites}

cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$top/harness/guest/init" "$root/init"
cp "$top/harness/guest/lib.sh" "$root/rvfio/"
cp "$top"/harness/guest/suites/* "$root/rvfio/suites/"
chmod +x "$root/init" "$root"/rvfio/suites/*
cp -a "$b/modroot/lib/modules" "$root/lib/"

# Upstream's selftests (unchanged) and the project's own.
for t in "$b"/selftests/vfio/vfio_*_test; do
	[ -x "$t" ] && cp "$t" "$root/rvfio/upstream/"
done
if [ -d "$b/selftests/rvfio" ]; then
	find "$b/selftests/rvfio" -maxdepth 1 -type f -executable -exec cp {} "$root/rvfio/bin/" \;
fi

# Shared libraries of every dynamic binary, at the same paths.
for f in "$root"/rvfio/upstream/* "$root"/rvfio/bin/*; do
	[ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

echo "root:x:0:0:root:/tmp:/bin/sh" > "$root/etc/passwd"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$b/initramfs.cpio.gz"
echo "initramfs: $(du -h "$b/initramfs.cpio.gz" | cut -f1)"
