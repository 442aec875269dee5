#!/usr/bin/env bash
# Developer tool: regenerates one file of patches/ from edited copies.
#   harness/mkpatch.sh PATCH EDIT-SCRIPT FILE...
# EDIT-SCRIPT is a python file that edits the copies under the directory it
# gets as argv[1] (paths relative to the kernel tree). The patch header
# (everything before the first "---" line) is kept.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
patch=$1 edit=$2; shift 2
src=$top/build/linux-7.3
t=$(mktemp -d)
for f in "$@"; do mkdir -p "$t/a/$(dirname "$f")" "$t/b/$(dirname "$f")"; cp "$src/$f" "$t/a/$f"; cp "$src/$f" "$t/b/$f"; done
python3 "$edit" "$t/b"
{
	sed '/^---$/q' "$patch"
	(cd "$t" && for f in "$@"; do diff -u "a/$f" "b/$f" || true; done) | sed -E 's/^(---|\+\+\+) ([^\t]*)\t.*/\1 \2/'
} > "$patch.new"
mv "$patch.new" "$patch"
rm -rf "$t"
