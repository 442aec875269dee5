#!/usr/bin/env bash
# Packs the guest's root filesystem: busybox, the guest scripts, the kernel
# modules, the test binaries built on the host and the shared libraries they
# need. Small and rebuilt every time (a second or two).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
# RVFIO_MODROOT / RVFIO_INITRAMFS: the bench kernel's modules and image.
modroot=${RVFIO_MODROOT:-$b/modroot}
out=${RVFIO_INITRAMFS:-$b/initramfs.cpio.gz}
root=${out%.cpio.gz}
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,lib,lib64,rvfio/upstream,rvfio/bin,rvfio/bench,rvfio/suites}

cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$top/harness/guest/init" "$root/init"
cp "$top/harness/guest/lib.sh" "$root/rvfio/"
cp "$top"/harness/guest/suites/* "$root/rvfio/suites/"
chmod +x "$root/init" "$root"/rvfio/suites/*
cp -a "$modroot/lib/modules" "$root/lib/"

# Upstream's selftests (unchanged) and the project's own.
for t in "$b"/selftests/vfio/vfio_*_test; do
	[ -x "$t" ] && cp "$t" "$root/rvfio/upstream/"
done
if [ -d "$b/selftests/rvfio" ]; then
	find "$b/selftests/rvfio" -maxdepth 1 -type f -executable -exec cp {} "$root/rvfio/bin/" \;
fi
# The benchmark, apart from the tests (the rvfio suite runs all of rvfio/bin).
[ -x "$b/selftests/rvfio-bench/rvfio_bench" ] && cp "$b/selftests/rvfio-bench/rvfio_bench" "$root/rvfio/bench/"

# Shared libraries of every dynamic binary, at the same paths.
for f in "$root"/rvfio/upstream/* "$root"/rvfio/bin/* "$root"/rvfio/bench/*; do
	[ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

echo "root:x:0:0:root:/tmp:/bin/sh" > "$root/etc/passwd"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "initramfs: $(du -h "$out" | cut -f1)"
