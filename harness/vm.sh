#!/usr/bin/env bash
# Boots the test VM once and collects what happened.
#
#   vm.sh --name NAME --driver c|rust --plan "SUITE..." [--timeout SECONDS] [--shell]
#   RVFIO_RVFIO_TESTS=a,b (comma-separated) limits the rvfio plan to those binaries.
#
# QEMU (TCG) q35 with an emulated VT-d IOMMU and the devices vfio-pci is
# tested on: igb (behind a PCIe root port; SR-IOV, MSI-X, FLR), edu (small
# MMIO BAR, INTx/MSI) and ivshmem-plain (a 1 GiB 64-bit prefetchable BAR);
# plus two more edu functions behind a PCIe-to-PCI bridge, which share one
# IOMMU group and one bus reset (the hot reset tests).
# QEMU's standard VGA (1234:1111), the only display, is the boot VGA device:
# legacy VGA ranges and a shadowed ROM (the VGA region and ROM tests).
# The kernel console goes to build/logs/NAME.console.log, the tests' output
# (second serial port) to build/logs/NAME.tests.log; results.py turns the
# latter into build/results/NAME.tsv and checks the former for splats.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build

# One kernel build or VM run at a time (2 cores): wait for the other. Not
# when the caller holds the lock for us (check.sh, which runs two at once).
mkdir -p "$b"
if [ "${RVFIO_LOCK_HELD:-0}" != 1 ]; then
	exec 9>"${RVFIO_LOCK:-$b/.busy.lock}"
	flock 9
fi
name=run driver=rust plan=run timeout=1800 shell=0
while [ $# -gt 0 ]; do
	case "$1" in
	--name) name=$2; shift ;;
	--driver) driver=$2; shift ;;
	--plan) plan=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--shell) shell=1 ;;
	*) echo "vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
# A shell in the guest only makes sense with a terminal to type into; without
# one, `--shell` just shows the console and powers off.
interactive=0
if [ $shell = 1 ] && [ -t 0 ]; then interactive=1; fi
mkdir -p "$b/logs" "$b/results"
con=$b/logs/$name.console.log
tests=$b/logs/$name.tests.log

qemu=$(command -v qemu-system-x86_64)

# A small, valid expansion ROM for edu (which has none), so that the ROM BAR
# and ROM reads are tested: one 4 KiB image, 0x55AA signature, a "PCIR"
# structure marking it as the last image, then a recognisable pattern.
rom=$b/edu-rom.bin
python3 - "$rom.$$" <<'PY'
import struct, sys
img = bytearray(4096)
img[0:3] = bytes([0x55, 0xAA, len(img) // 512])
struct.pack_into("<H", img, 0x18, 0x20)               # offset of the PCI data structure
struct.pack_into("<4sHHHHB3sHHBBH", img, 0x20, b"PCIR", 0x1234, 0x11e8, 0, 0x18, 0,
                 bytes([0, 0, 0xff]), len(img) // 512, 1, 0, 0x80, 0)
for i in range(0x40, len(img)):
    img[i] = i & 0xff
open(sys.argv[1], "wb").write(img)
PY
mv -f "$rom.$$" "$rom"	# whole, for a QEMU of another run reading it
# KUnit: the kernel crate's doctests are built in and would run at every
# boot; only a run with the `doctests` suite runs them. KUnit filters module
# suites with the same glob when a module loads: every other boot keeps the
# Rust driver's suites (named vfio_pci_rust*), and the host checks that the
# suites a run must show did run.
kunit_glob='vfio_pci_rust*' kunit_expect=
[ "$driver" = rust ] && case " $plan " in *" rvfio "*|*" upstream "*|*" rust-bind "*) kunit_expect=vfio_pci_rust_config ;; esac
case " $plan " in *" doctests "*)
	kunit_glob=${RVFIO_DOCTESTS:-rust_doctests_kernel.rust_doctest_kernel_*}
	kunit_expect="$kunit_expect rust_doctests_kernel" ;;
esac
append="console=ttyS0,115200 loglevel=7 panic=-1 oops=panic intel_iommu=on iommu=force
 hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=16 hung_task_panic=0
 kunit.filter_glob=$kunit_glob
 RVFIO_DRIVER=$driver RVFIO_PLAN=${plan// /,} RVFIO_SHELL=$interactive"
# The benchmark (harness/bench.sh): its mode and options travel the same way;
# a bench run without a mode (make check's) is the quick one.
case " $plan " in *" bench "*) RVFIO_BENCH=${RVFIO_BENCH:-quick} ;; esac
for v in RVFIO_BENCH RVFIO_BENCH_REPS RVFIO_BENCH_ROWS RVFIO_RVFIO_TESTS RVFIO_FUZZ_SEED RVFIO_FUZZ_CALLS RVFIO_FUZZ_TRACE RVFIO_FINJ_OPEN RVFIO_SAMPLE_SECS RVFIO_SAMPLE_ROWS RVFIO_SAMPLE_CALLS RVFIO_TRACE_ROWS RVFIO_UNBIND_ROUNDS RVFIO_UNPLUG_ROUNDS; do
	[ -n "${!v:-}" ] && append="$append $v=${!v}"
done
# QEMU's human monitor, for the requests of the guest (host_requests below).
mon=$b/logs/$name.mon
# The kernel and initramfs (RVFIO_OBJ, RVFIO_INITRAMFS: the bench kernel's).
obj=${RVFIO_OBJ:-$b/obj}
# The kernel's HZ, for the guest's kmemleak baseline (jiffies from its uptime).
append="$append RVFIO_HZ=$(sed -n 's/^CONFIG_HZ=//p' "$obj/.config")"
initrd=${RVFIO_INITRAMFS:-$b/initramfs.cpio.gz}
# The runs that start QEMU inside the VM (the `qemu` suite, `make run`) boot
# the initramfs with QEMU and the nested guest appended (harness/l2.sh).
case " $plan " in *" qemu "*|*" run "*)
	[ -z "${RVFIO_INITRAMFS:-}" ] && [ -f "$b/initramfs-qemu.cpio.gz" ] && initrd=$b/initramfs-qemu.cpio.gz ;;
esac
# A bench boot has a third edu behind the bridge (a device set of three).
extra=()
[ -n "${RVFIO_BENCH:-}" ] && extra=(-device edu,bus=pbr,addr=3.0)
# A boot with the `unplug` suite has a hotplug-capable PCIe root port with
# an e1000e in it (qdev hp0; the guest has no driver for it and no other
# suite looks for its IDs), which the guest asks to unplug and plug back
# (host_requests); RVFIO_HOTPLUG_SLOT=0 leaves it out. Its ROM is left out,
# as on a device_add. The guest's pciehp must own the slot: q35's ACPI
# hotplug of bridges is switched off (else the firmware keeps PCIe hotplug
# in _OSC, and the test kernel has no ACPI hotplug driver); igb's root port
# then goes without a hotplug slot, so that pciehp stays away from it as in
# every other boot. pciehp's removal takes its reset_lock in an order
# lockdep reports: patches/0015 fixes that.
rp1_opts=
if [ "${RVFIO_HOTPLUG_SLOT:-1}" = 1 ]; then case " $plan " in *" unplug "*)
	rp1_opts=,hotplug=off
	extra+=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
		-device pcie-root-port,id=rp2,chassis=2,slot=2 -device e1000e,bus=rp2,id=hp0,romfile=)
	append="$append RVFIO_HOTPLUG_SLOT=1" ;;
esac; fi
# A boot with the `failinject` suite has a pci-testdev, a device without an
# INTx pin, for the sweep of a first open (suites/failinject).
case " $plan " in *" failinject "*) extra+=(-device pci-testdev) ;; esac
# The plan travels as one word; init splits it again.
qemu_args=(
	-machine q35 -accel "tcg,thread=${RVFIO_TCG_THREAD:-single}" -cpu max -smp 2 -m 4G
	-nodefaults -no-reboot -display none -vga none
	-device intel-iommu,intremap=on,caching-mode=on
	-device pcie-root-port,id=rp1,chassis=1,slot=1$rp1_opts
	-device igb,bus=rp1,id=igb0
	-device edu,romfile="$rom"
	-device pcie-pci-bridge,id=pbr,bus=pcie.0
	-device edu,bus=pbr,addr=1.0
	-device edu,bus=pbr,addr=2.0
	-object memory-backend-memfd,id=ivshm,size=1G,share=on
	-device ivshmem-plain,memdev=ivshm
	-device VGA
	"${extra[@]}"
	-monitor unix:"$mon",server=on,wait=off
	-kernel "$obj/arch/x86/boot/bzImage"
	-initrd "$initrd"
	-append "$(set -f; echo $append)"
)
# RVFIO_QEMU_EXTRA: more QEMU arguments, split at spaces (e.g. the log file of
# harness/bench-tb.sh).
[ -n "${RVFIO_QEMU_EXTRA:-}" ] && qemu_args+=(${RVFIO_QEMU_EXTRA})

# Requests of the guest to the host, one line each in the tests log:
#   RVFIO-HOST aer_inject QDEV-ID ERROR   pcie_aer_inject_error QDEV-ID ERROR
#   RVFIO-HOST device_del QDEV-ID           device_del QDEV-ID (a hot-unplug: QEMU
#                                           presses the slot's attention button)
#   RVFIO-HOST device_add MODEL BUS QDEV-ID device_add MODEL,bus=BUS,id=QDEV-ID,romfile=
# (the igb is qdev igb0, behind the PCIe root port rp1 with AER; QEMU's igb
# cannot enable error reporting in its Device Control register, so errors
# injected into igb0 are never reported: rvfio_irq_test injects into rp1,
# and the AER core then calls the drivers of the devices below it). Each request is
# served once, through the monitor; the guest waits for the effect itself
# (e.g. its ERR eventfd) with a timeout. host_requests serves the new ones.
served=0
host_requests() {
	local reqs n i line id err
	reqs=$(grep -a '^RVFIO-HOST ' "$tests" 2>/dev/null | tr -d '\r')
	n=$(printf '%s' "$reqs" | grep -c . || true)
	for ((i = served + 1; i <= n; i++)); do
		line=$(printf '%s\n' "$reqs" | sed -n "${i}p")
		set -- $line
		if [ "${2:-}" = aer_inject ] && [[ "${3:-}" =~ ^[A-Za-z0-9_-]+$ ]] &&
		   [[ "${4:-}" =~ ^[A-Z_]+$ ]]; then
			hmp "pcie_aer_inject_error $3 $4" >>"$b/logs/$name.host.log" 2>&1
		elif [ "${2:-}" = device_del ] && [ $# = 3 ] && [[ "$3" =~ ^[A-Za-z0-9_-]+$ ]]; then
			hmp "device_del $3" >>"$b/logs/$name.host.log" 2>&1
		elif [ "${2:-}" = device_add ] && [ $# = 5 ] && [[ "$3" =~ ^[a-z0-9-]+$ ]] &&
		     [[ "$4" =~ ^[A-Za-z0-9_-]+$ ]] && [[ "$5" =~ ^[A-Za-z0-9_-]+$ ]]; then
			hmp "device_add $3,bus=$4,id=$5,romfile=" >>"$b/logs/$name.host.log" 2>&1
		else
			echo "vm.sh: unknown host request: $line" >>"$b/logs/$name.host.log"
		fi
	done
	served=$n
}
# hmp COMMAND: one command through the monitor socket, its answer printed.
hmp() {
	python3 - "$mon" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
out = until_prompt().decode(errors="replace")
print("hmp: %s -> %s" % (sys.argv[2], out.replace("(qemu) ", "").strip()))
PY
}

# Seconds without a new line of test output after which the guest counts as
# hung: QEMU is stopped (the per-run timeout is only the backstop).
stall=${RVFIO_STALL:-240}

boot() {
	: > "$con"; : > "$tests"
	if [ $interactive = 1 ]; then
		"$qemu" "${qemu_args[@]}" -serial mon:stdio -serial file:"$tests"
		return
	fi
	if [ $shell = 1 ]; then
		timeout -k 10 "$timeout" "$qemu" "${qemu_args[@]}" -serial stdio -serial file:"$tests" \
			</dev/null 2>"$b/logs/$name.qemu.log" | tee "$con" &
	else
		timeout -k 10 "$timeout" "$qemu" "${qemu_args[@]}" -serial file:"$con" -serial file:"$tests" \
			</dev/null 2>"$b/logs/$name.qemu.log" &
	fi
	local pid=$! last=-1 quiet=0 size
	hung=0
	served=0
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		size=$(stat -c %s "$tests" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$size; host_requests; fi
		if [ $quiet -ge "$stall" ] && ! grep -q RVFIO-DONE "$tests"; then
			hung=1
			pkill -KILL -P $pid 2>/dev/null
			pkill -KILL -f "file:$tests" 2>/dev/null
			break
		fi
	done
	wait $pid
}

start=$(date +%s)
boot; rc=$?
# A guest that stops making progress is stopped and booted once more: under
# TCG, QEMU has been seen to stall a vCPU during an igb reset (a lost wake-up,
# the RCU stall report points at an idle CPU). A second hang fails the run.
if [ "$hung" = 1 ]; then
	echo "vm.sh: $name: no test output for ${stall}s, the guest hung; booting again" | tee -a "$b/logs/$name.reruns"
	cp "$con" "$con.hung"; cp "$tests" "$tests.hung"
	boot; rc=$?
	[ "$hung" = 1 ] && echo "vm.sh: $name: hung again" | tee -a "$b/logs/$name.reruns"
fi
# QEMU 10.0.2 TCG sometimes aborts in iotlb_to_section() during a device
# reset (a QEMU race, not a guest bug): run the VM once more, and say so.
if [ $rc = 134 ] && grep -q iotlb_to_section "$con" "$tests" "$b/logs/$name.qemu.log" 2>/dev/null; then
	echo "vm.sh: QEMU aborted (iotlb_to_section, a known QEMU race); booting again" | tee -a "$b/logs/$name.reruns"
	cp "$con" "$con.aborted"; cp "$tests" "$tests.aborted"; cp "$b/logs/$name.qemu.log" "$b/logs/$name.qemu.log.aborted"
	boot; rc=$?
fi
[ $rc = 0 ] || { echo "vm.sh: QEMU's own messages:"; tail -5 "$b/logs/$name.qemu.log"; } >&2
echo "vm.sh: $name: QEMU exit $rc after $(( $(date +%s) - start ))s" >&2
python3 "$top/harness/results.py" --name "$name" --driver "$driver" --qemu-rc "$rc" \
	--console "$con" --tests "$tests" --out "$b/results/$name.tsv" --xfail "$top/harness/xfail.tsv" \
	--kunit-expect "$kunit_expect" \
	$(grep -q '^CONFIG_KASAN=y' "$obj/.config" && echo --expect-kasan)
