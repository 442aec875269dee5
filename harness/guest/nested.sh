# QEMU as the real client (sourced by the `qemu` and `run` suites, after
# lib.sh; packed into the qemu runs' initramfs by harness/l2.sh, with
# QEMU, its libraries and firmware and the nested guest under /rvfio/l2).
#
# nested_run EDU_BDF IGB_BDF UNPLUG: runs the host's qemu-system-x86_64 in this
# VM (L1) with both devices, bound to vfio-pci, assigned to a nested guest
# (L2: harness/kernel-l2.config, harness/l2/init), each behind a PCIe root
# port so that L2's pciehp can give it back. L2's console is
# /tmp/l2.console, QEMU's messages /tmp/l2.qemu. With UNPLUG=1, once L2 says
# it is ready, edu is unbound from vfio-pci here: the driver's request (the
# REQ eventfd) makes QEMU ask L2 for the device, L2 releases it, QEMU closes
# it and the unbind completes (/tmp/l2.unbind: exit status and seconds).
# Sets nested_rc (QEMU's exit status), nested_boot (seconds until L2's init
# ran), nested_secs (QEMU's run time), nested_igb_vecs and nested_igb_l1
# (the most MSI-X vectors of igb's that L1's vfio handlers held, and the
# most interrupts they had taken on them, sampled each second).
L2=/rvfio/l2

# l1_vfio_irqs [BDF]: L1's vfio interrupt handlers (only BDF's, if given),
# a "NAME COUNT" line each, COUNT summed over the CPUs.
l1_vfio_irqs() {
	awk -v d="${1:+($1)}" '/vfio/ && (d == "" || index($0, d)) {
		s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print $NF, s }' /proc/interrupts
}
# l1_msix BDF: "VECTORS INTERRUPTS" for BDF's MSI-X vectors that L1's vfio
# handlers hold.
l1_msix() {
	l1_vfio_irqs $1 | awk '/^vfio-msix/ { v++; s += $2 } END { print v + 0, s + 0 }'
}
# cfg_byte BDF OFFSET, cfg_word BDF OFFSET: a device's config space, as L1
# reads it.
cfg_byte() { od -An -tu1 -j$2 -N1 /sys/bus/pci/devices/$1/config | tr -d ' '; }
cfg_word() { od -An -tx2 -j$2 -N2 /sys/bus/pci/devices/$1/config | tr -d ' '; }
# l1_irq_state BDF: the device's command register and MSI-X message control
# (bus master, MSI-X enable and function mask), for a lost interrupt.
l1_irq_state() {
	local p n=0
	p=$(cfg_byte $1 52)
	while [ -n "$p" ] && [ "$p" != 0 ] && [ $n -lt 48 ]; do
		if [ "$(cfg_byte $1 $p)" = 17 ]; then
			echo "command 0x$(cfg_word $1 4) msix-control 0x$(cfg_word $1 $((p + 2)))"
			return
		fi
		p=$(cfg_byte $1 $((p + 1))); n=$((n + 1))
	done
	echo "command 0x$(cfg_word $1 4) no MSI-X capability"
}
NESTED_TIMEOUT=${NESTED_TIMEOUT:-420}

nested_run() {
	local edu=$1 igb=$2 unplug=$3 t0 now pid unplugging=0 last=0 devs="" n
	rm -f /tmp/l2.console /tmp/l2.qemu /tmp/l2.unbind
	: > /tmp/l2.console
	# One root port per device (pciehp, attention button); ACPI PCI hotplug
	# is off so that QEMU asks through the root port, which L2 (no ACPI)
	# handles. No option ROMs: L2 boots its kernel directly.
	[ -n "$edu" ] && devs="$devs -device pcie-root-port,id=rp1,chassis=1,slot=1
		-device vfio-pci,host=$edu,bus=rp1,id=edu0,rombar=0"
	[ -n "$igb" ] && devs="$devs -device pcie-root-port,id=rp2,chassis=2,slot=2
		-device vfio-pci,host=$igb,bus=rp2,id=igb0,rombar=0"
	t0=$(date +%s)
	timeout -s KILL $NESTED_TIMEOUT qemu-system-x86_64 -L $L2/qemu \
		-machine q35 -accel tcg -cpu qemu64 -smp 1 -m 256M \
		-nodefaults -no-reboot -display none -vga none \
		-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
		-serial file:/tmp/l2.console \
		$devs \
		-kernel $L2/bzImage -initrd $L2/initramfs.cpio \
		-append "console=ttyS0 quiet reboot=t panic=-1 RVFIO_L2_UNPLUG=$unplug" \
		</dev/null >/tmp/l2.qemu 2>&1 &
	pid=$!
	nested_boot=-
	nested_igb_vecs=0 nested_igb_l1=0
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		now=$(( $(date +%s) - t0 ))
		if [ -n "$igb" ]; then
			n=$(l1_msix $igb)
			[ "${n% *}" -gt "$nested_igb_vecs" ] && nested_igb_vecs=${n% *}
			[ "${n#* }" -gt "$nested_igb_l1" ] && nested_igb_l1=${n#* }
		fi
		if [ "$nested_boot" = - ] && grep -q '^L2-BOOTED' /tmp/l2.console; then
			nested_boot=$now
			echo "# nested: L2's init started ${now}s after QEMU"
		fi
		if [ $unplugging = 0 ] && [ "$unplug" = 1 ] && grep -q '^L2-UNPLUG-READY' /tmp/l2.console; then
			unplugging=1
			echo "# nested: L2 is ready (${now}s); unbinding $edu from vfio-pci"
			( s=$(date +%s)
			  echo $edu > /sys/bus/pci/devices/$edu/driver/unbind
			  echo "$? $(( $(date +%s) - s ))" > /tmp/l2.unbind ) &
		fi
		# Keep the host's stall detector informed.
		if [ $((now - last)) -ge 30 ]; then
			last=$now
			# and, for a lost interrupt, what reached L1's vfio handlers.
			echo "# nested: L2 running, ${now}s; L1's vfio interrupts: $(l1_vfio_irqs | tr '\n' ';')${igb:+ igb: $(l1_irq_state $igb)}"
		fi
	done
	wait $pid
	nested_rc=$?
	nested_secs=$(( $(date +%s) - t0 ))
	echo "# nested: QEMU exited with $nested_rc after ${nested_secs}s"
	[ -s /tmp/l2.qemu ] && sed 's/^/# qemu: /' /tmp/l2.qemu
	# The unbind, if started, must complete now that QEMU is gone.
	if [ $unplugging = 1 ]; then
		n=0
		while [ ! -s /tmp/l2.unbind ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
	fi
	return 0
}

# nested_tap DEVICE: L2's results for one device, as TAP lines (lib.sh's
# counter), each case named l2.<case>.
nested_tap() {
	tr -d '\r' < /tmp/l2.console | sed -n "s/^L2TAP $1 //p" > /tmp/l2.tap
	while read -r a b c; do
		if [ "$a" = ok ]; then
			ok "l2.$b"
		elif [ "$1 $c" = "igb interrupts" ] && [ "$nested_igb_vecs" -gt 0 ] &&
		     [ "$nested_igb_l1" = 0 ]; then
			# Seen now and then with either driver: the driver held
			# igb's MSI-X vectors, but not one interrupt reached its
			# handlers, so the loss is between L0's igb and L1.
			skip "l2.$c" "no igb interrupt reached L1's vfio handlers either, on $nested_igb_vecs vector(s) (lost between L0's igb and L1, before vfio-pci)"
		else
			notok "l2.$c"
		fi
	done < /tmp/l2.tap
}
