#!/usr/bin/env bash
# Checks the README's promise on a clean Debian 12: a fresh bookworm root
# made with debootstrap from the machine's own mirror, holding only what the
# README says a user brings (git, make, sudo, CA certificates), a clean clone
# of this repository's committed HEAD, and the README's commands run in it.
#
#   harness/clean-root.sh [--until deps|check] [--keep] [DIR]
#
#   --until deps   (default) run `make deps` (harness/deps.sh) only: the
#                  network-bound part, a few minutes
#   --until check  run `make check`: adds a cold kernel build (~15 min of
#                  every core) and the VM runs; it takes the build/VM lock
#                  ($RVFIO_LOCK) like any other build
#   --keep         keep DIR afterwards (default: removed on success)
#   DIR            where the root goes (default /var/tmp/rvfio-clean-root);
#                  an existing one is removed first
#
# Needs root (debootstrap, chroot, mounts) and installs debootstrap on the
# host if it is missing. The mounts the root needs (/proc, /sys, /dev) live
# in a private mount namespace and vanish with it. Timings go to stdout and
# to DIR.times.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
until=deps keep=0 root=/var/tmp/rvfio-clean-root
while [ $# -gt 0 ]; do
	case "$1" in
	--until) until=$2; shift ;;
	--keep) keep=1 ;;
	-*) echo "clean-root: unknown option $1" >&2; exit 2 ;;
	*) root=$1 ;;
	esac
	shift
done
case "$until" in deps|check) ;; *) echo "clean-root: --until deps|check" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "clean-root: needs root" >&2; exit 1; }

# The machine's own Debian mirror, read from its apt configuration (never
# written into this repository).
srcfile=/etc/apt/sources.list.d/debian.sources
mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$srcfile" 2>/dev/null || true)
[ -n "$mirror" ] || { echo "clean-root: no mirror in $srcfile" >&2; exit 1; }

command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap

times=$root.times
: > "$times"
stamp() { # LABEL START
	local s=$(( $(date +%s) - $2 ))
	printf '%-40s %4dm%02ds\n' "$1" $((s / 60)) $((s % 60)) | tee -a "$times"
}

rm -rf "$root"
t=$(date +%s)
echo "clean-root: debootstrap bookworm into $root"
debootstrap --variant=minbase --include=git,make,sudo,ca-certificates \
	bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
	|| { tail -20 "$root.debootstrap.log"; exit 1; }
# A Debian 12 machine as installed: the same apt sources as this one
# (bookworm, -updates, -security), DNS and certificate authorities as here.
rm -f "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d"
cp "$srcfile" "$root/etc/apt/sources.list.d/debian.sources"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's network may need its own certificate authorities (a TLS
# proxy): they belong to the machine, not to what the user installs.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
	chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
stamp "debootstrap (minbase + git make sudo)" "$t"

# A clean clone of the committed HEAD, as a user would get it.
git clone -q --no-hardlinks "$top" "$root/root/rvfio"
echo "clean-root: $(git -C "$root/root/rvfio" log -1 --format='%h %s')"

case "$until" in
deps) cmd="make deps" ;;
check) cmd="make check" ;;
esac
t=$(date +%s)
echo "clean-root: running '$cmd' in the root"
set +e
unshare -m --propagation private bash -c '
	set -e
	r=$1; shift
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --rbind /dev "$r/dev"
	lock=
	# The host'"'"'s build/VM lock, if one is shared, is the root'"'"'s too.
	if [ -n "${RVFIO_LOCK:-}" ]; then
		touch "$RVFIO_LOCK" "$r/run/rvfio.lock"
		mount --bind "$RVFIO_LOCK" "$r/run/rvfio.lock"
		lock=RVFIO_LOCK=/run/rvfio.lock
	fi
	exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin $lock \
		bash -lc "cd /root/rvfio && $*"
' clean-root "$root" "$cmd" 2>&1 | tee "$root.run.log"
rc=${PIPESTATUS[0]}
set -e
stamp "$cmd in the clean root (exit $rc)" "$t"
du -sh "$root" | tee -a "$times"
if [ $rc = 0 ] && [ $keep = 0 ]; then
	rm -rf "$root"
fi
exit $rc
