#!/usr/bin/env bash
# make check's VM runs, then the summary over them.
#
#   check.sh NAME:DRIVER:SUITE[+SUITE...] ...
#
# Each argument is one boot (vm.sh --name NAME --driver DRIVER --plan
# "SUITE ..."). QEMU runs TCG single-threaded (vm.sh), so a run keeps one
# host core busy: RVFIO_CHECK_JOBS runs (default: the number of cores, at
# most 2) go side by side, started in the order given, each taking the next
# free place. Put the long runs first. A run's output (build/logs/NAME.vm.out)
# is printed whole when it ends; the exit status is non-zero if any run
# failed or the summary has a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
mkdir -p "$b/logs" "$b/results"

jobs=${RVFIO_CHECK_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 2 ] || jobs=2

# The check holds the lock that each vm.sh would take for its one run.
exec 9>"${RVFIO_LOCK:-$b/.busy.lock}"
flock 9
export RVFIO_LOCK_HELD=1

rm -f "$b"/results/*.tsv
fail=0
declare -A live=()

# Wait for a run to end, then print and forget the runs that have ended.
# A run whose shell died without its status (no child is left) failed.
wait_one() {
	local n
	wait -n
	if [ $? = 127 ]; then
		for n in "${!live[@]}"; do
			[ -e "$b/logs/$n.vm.rc" ] || echo 1 > "$b/logs/$n.vm.rc"
		done
	fi
	for n in "${!live[@]}"; do
		[ -e "$b/logs/$n.vm.rc" ] || continue
		cat "$b/logs/$n.vm.out"
		[ "$(cat "$b/logs/$n.vm.rc")" = 0 ] || fail=1
		unset "live[$n]"
	done
}

start=$(date +%s)
for r in "$@"; do
	IFS=: read -r name driver plan <<< "$r"
	while [ ${#live[@]} -ge "$jobs" ]; do wait_one; done
	rm -f "$b/logs/$name.vm.rc"
	echo "check: $name starts at $(( $(date +%s) - start ))s"
	(
		"$top/harness/vm.sh" --name "$name" --driver "$driver" --plan "${plan//+/ }" \
			>"$b/logs/$name.vm.out" 2>&1
		echo $? > "$b/logs/$name.vm.rc"
	) &
	live[$name]=1
done
while [ ${#live[@]} -gt 0 ]; do wait_one; done
echo "check: the VM runs took $(( $(date +%s) - start ))s, $jobs at a time"

python3 "$top/harness/summary.py" "$b"/results/*.tsv | tee "$b/results/summary.txt"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
exit $fail
