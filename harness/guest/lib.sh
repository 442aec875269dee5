# Shared helpers for the guest suites (busybox sh).

# The emulated devices, by vendor:device (never by address).
DEV_IGB=8086:10c9
DEV_EDU=1234:11e8
DEV_IVSHMEM=1af4:1110
DEV_VGA=1234:1111
DEV_TESTDEV=1b36:0005

# bdf_of VENDOR:DEVICE -> the first matching PCI address, or nothing.
bdf_of() {
	for d in /sys/bus/pci/devices/*; do
		v=$(cat $d/vendor); i=$(cat $d/device)
		if [ "${v#0x}:${i#0x}" = "$1" ]; then
			basename $d
			return 0
		fi
	done
	return 1
}

# driver_of BDF -> name of the bound driver, or nothing.
driver_of() {
	[ -L /sys/bus/pci/devices/$1/driver ] && basename $(readlink /sys/bus/pci/devices/$1/driver)
}

# The module that provides the PCI driver "vfio-pci" for a run.
vfio_module() {
	case "${RVFIO_DRIVER:-rust}" in
	c) echo vfio_pci ;;
	*) echo vfio_pci_rust ;;
	esac
}

# load_vfio [PARAMS...] loads the chosen vfio-pci module.
load_vfio() {
	modprobe $(vfio_module) "$@"
}

unload_vfio() {
	modprobe -r $(vfio_module)
}

# bind_vfio BDF: hand the device to whichever driver is named vfio-pci.
bind_vfio() {
	cur=$(driver_of $1)
	[ -n "$cur" ] && echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo vfio-pci > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
	[ "$(driver_of $1)" = vfio-pci ]
}

# bind_to BDF DRIVER: hand the device to DRIVER through driver_override.
bind_to() {
	cur=$(driver_of $1)
	[ -n "$cur" ] && echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $2 > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
	[ "$(driver_of $1)" = "$2" ]
}

unbind_vfio() {
	[ -n "$(driver_of $1)" ] && echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo > /sys/bus/pci/devices/$1/driver_override
}

# TAP helpers for shell suites.
tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n $*"; }
notok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n $1 # SKIP ${2:-}"; }
# check NAME CMD...: one TAP line from a command's status.
check() { n=$1; shift; if "$@" >/tmp/check.out 2>&1; then ok "$n"; else notok "$n"; sed 's/^/# /' /tmp/check.out; fi; }

# run_timed SECONDS CMD...: run CMD in a session of its own, killed after
# SECONDS; then make sure nothing of that session is left (a killed test's
# forked children may still hold the device open).
run_timed() {
	local secs=$1 rc pg n
	shift
	rm -f /tmp/run_timed.pgid
	timeout -s KILL $secs sh -c 'echo $$ > /tmp/run_timed.pgid; exec setsid "$@"' sh "$@" </dev/null
	rc=$?
	[ $rc = 137 ] && echo "# TIMEOUT: $* ran over ${secs}s and was killed"
	pg=$(cat /tmp/run_timed.pgid 2>/dev/null)
	n=0
	while [ -n "$pg" ] && kill -0 -$pg 2>/dev/null && [ $n -lt 10 ]; do
		kill -KILL -$pg 2>/dev/null
		sleep 1
		n=$((n + 1))
	done
	return $rc
}

# kmemleak. Objects allocated while booting do not count: kmemleak_baseline
# reports them once and clears them. kmemleak_report, after the suites,
# prints every unreferenced object left between RVFIO-KMEMLEAK-BEGIN/END
# lines; the host fails the run on any. kmemleak reports an object only once
# a scan has seen its contents unchanged since the scan before (a new
# object's first scan just records its checksum) and once it is older than
# 5 s at the start of the scan: hence two scans, the second starting at
# least 6 s after the last allocation that counts. Under TCG one scan takes
# several seconds of its own, so the wait is rarely needed.
KMEMLEAK=/sys/kernel/debug/kmemleak
uptime_s() { cut -d. -f1 /proc/uptime; }
kmemleak_scan() {
	local t0=$(uptime_s) left
	echo scan > $KMEMLEAK || return 1
	left=$((t0 + 6 - $(uptime_s)))
	[ $left -gt 0 ] && sleep $left
	echo scan > $KMEMLEAK
}
# The baseline: objects allocated before the suites (the boot's) are not
# theirs. Rather than scanning twice at boot and clearing what was found
# (~20 s under TCG per run), remember the jiffies now and leave out of the
# report after the suites every object kmemleak says was allocated before.
# The console marks the baseline (without naming kmemleak, which the host
# would take for a report).
KMEMLEAK_SINCE=/tmp/kmemleak.since
kmemleak_baseline() {
	[ -e $KMEMLEAK ] || return 0
	local j
	# jiffies start at INITIAL_JIFFIES, (unsigned int)(-300 * HZ), and
	# count HZ a second; a second of margin keeps the last boot objects out.
	if [ -z "${RVFIO_HZ:-}" ]; then
		echo "RVFIO-ERROR kmemleak: no RVFIO_HZ on the command line for the baseline"
		return 1
	fi
	j=$(awk -v u="$(cut -d' ' -f1 /proc/uptime)" -v hz="$RVFIO_HZ" \
		'BEGIN { printf "%.0f\n", 4294967296 - 300 * hz + int((u - 1) * hz) }')
	echo $j > $KMEMLEAK_SINCE
	echo "rvfio: leak check: objects allocated from jiffies $j on" > /dev/kmsg
	echo "# kmemleak: objects allocated before jiffies $j (the boot, $(cut -d' ' -f1 /proc/uptime)s of uptime) are left out"
}
kmemleak_report() {
	if [ ! -e $KMEMLEAK ]; then
		echo "RVFIO-ERROR kmemleak: $KMEMLEAK missing (CONFIG_DEBUG_KMEMLEAK?)"
		return 1
	fi
	local t0=$(cut -d' ' -f1 /proc/uptime)
	if ! kmemleak_scan 2>/dev/null; then
		echo "RVFIO-ERROR kmemleak: the scan after the suites failed (kmemleak disabled?)"
		return 1
	fi
	echo "RVFIO-KMEMLEAK-BEGIN"
	# Each object is a block: its "unreferenced object" line, then
	# indented lines, the second of which gives the jiffies of its
	# allocation.
	awk -v since="$(cat $KMEMLEAK_SINCE 2>/dev/null || echo 0)" '
		function flush() { if (blk != "" && (j == "" || j + 0 >= since + 0)) printf "%s", blk; else if (blk != "") old++; blk = ""; j = "" }
		/^unreferenced object/ { flush(); blk = $0 "\n"; next }
		{ blk = blk $0 "\n"; if (match($0, /jiffies [0-9]+/)) j = substr($0, RSTART + 8, RLENGTH - 8) }
		END { flush(); print old + 0 > "/tmp/kmemleak.old" }
	' $KMEMLEAK
	echo "RVFIO-KMEMLEAK-END"
	echo "# kmemleak: $(cat /tmp/kmemleak.old 2>/dev/null) object(s) allocated before the baseline left out"
	echo "# kmemleak: report took ${t0}s to $(cut -d' ' -f1 /proc/uptime)s of uptime"
}
