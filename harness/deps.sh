#!/usr/bin/env bash
# Installs everything the build and the VM need, from package registries only.
#
# Debian packages come from the machine's own mirror (read from its apt
# configuration, never written down here), with a private apt state so the
# machine's own configuration is left alone. The Linux 7.3 source package is
# downloaded (not installed) and cached under ~/.cache/rvfio.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RVFIO_CACHE:-$HOME/.cache/rvfio}
state=$cache/apt
mkdir -p "$state/lists/partial" "$state/archives/partial" "$cache/debs"

sudo_=""
[ "$(id -u)" = 0 ] || sudo_=sudo

# The mirror the machine already uses, and its security mirror.
srcfile=/etc/apt/sources.list.d/debian.sources
mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$srcfile" 2>/dev/null || true)
secmirror=$(awk '/^URIs:/ && $2 ~ /security/ {print $2; exit}' "$srcfile" 2>/dev/null || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
	secmirror=$(awk '$1=="deb" && $0 ~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "deps: no Debian mirror found in the apt configuration" >&2; exit 1; }
key="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"

# Installing state: bookworm plus bookworm-backports (QEMU >= 8 for igb).
{
	echo "deb $key $mirror bookworm main"
	echo "deb $key $mirror bookworm-updates main"
	[ -n "$secmirror" ] && echo "deb $key $secmirror bookworm-security main"
	echo "deb $key $mirror bookworm-backports main"
} > "$state/install.list"
# Source state: where linux-source-7.3 lives (backports of the next
# release first, then the development suites).
{
	echo "deb $key $mirror trixie-backports main"
	echo "deb $key $mirror forky main"
	echo "deb $key $mirror sid main"
} > "$state/source.list"

aptopts() { # $1 = which list
	echo -o Dir::State::Lists="$state/lists-$1" \
	     -o Dir::Etc::sourcelist="$state/$1.list" \
	     -o Dir::Etc::sourceparts=- \
	     -o Dir::Cache::archives="$state/archives" \
	     -o APT::Get::List-Cleanup=0 -o Acquire::Retries=3
}
mkdir -p "$state/lists-install/partial" "$state/lists-source/partial"

stamp=$cache/deps-$(sha1sum "$0" | cut -c1-12).stamp
pkgs="build-essential flex bison bc libelf-dev libssl-dev cpio kmod rsync
      busybox-static python3 file uuid-dev gnuplot-nox
      rustc-web rust-web-src
      clang-19 lld-19 llvm-19 libclang-19-dev"

fresh() { [ -n "$(find "$1" -mmin -720 2>/dev/null)" ]; }

# bindgen is built with cargo. A machine without one (no rustup) gets
# Debian's cargo-web: the cargo of the same release as rustc-web (the two
# are installed together, so apt picks matching versions).
bindgen_root=$cache/bindgen
need_cargo=0
if [ ! -x "$bindgen_root/bin/bindgen" ] && ! command -v cargo >/dev/null; then
	need_cargo=1
	pkgs="$pkgs cargo-web"
fi

if [ ! -f "$stamp" ] || [ $need_cargo = 1 ] || ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /usr/bin/rustc ]; then
	fresh "$state/lists-install/updated" || {
		$sudo_ apt-get $(aptopts install) update -qq
		touch "$state/lists-install/updated"
	}
	$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get $(aptopts install) install -y -q --no-install-recommends $pkgs
	$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get $(aptopts install) install -y -q --no-install-recommends \
		-t bookworm-backports qemu-system-x86 qemu-utils
	touch "$stamp"
fi

# bindgen from the Rust crate registry, built against LLVM 19's libclang.
if [ ! -x "$bindgen_root/bin/bindgen" ]; then
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --locked --root "$bindgen_root" \
		bindgen-cli --version '^0.71.1'
fi

# The newest linux-source-7.3 .deb, cached.
if ! ls "$cache"/debs/linux-source-7.3_*.deb >/dev/null 2>&1 || ! fresh "$state/lists-source/updated"; then
	# One suite failing to update (a mirror snapshot whose sid or forky
	# Release file has expired) must not hide the others.
	apt-get $(aptopts source) update -qq 2>"$state/source-update.err" \
		|| sed 's/^/deps: (source suites) /' "$state/source-update.err" >&2
	touch "$state/lists-source/updated"
	ver=$(apt-cache $(aptopts source) madison linux-source-7.3 2>/dev/null | awk '{print $3}' | sort -V | tail -1)
	if [ -n "$ver" ] && [ ! -f "$cache/debs/linux-source-7.3_${ver//:/%3a}_all.deb" ]; then
		(cd "$cache/debs" && apt-get $(aptopts source) download "linux-source-7.3=$ver")
	fi
fi
ls "$cache"/debs/linux-source-7.3_*.deb >/dev/null 2>&1 || {
	echo "deps: linux-source-7.3 not found in any suite" >&2; exit 1; }
echo "deps: ok"
