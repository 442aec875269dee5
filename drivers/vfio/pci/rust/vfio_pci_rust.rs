// SPDX-License-Identifier: GPL-2.0

//! The `vfio-pci` driver, in Rust.
//!
//! A drop-in for the C driver of [`drivers/vfio/pci/vfio_pci.c`]: it registers
//! the PCI driver `vfio-pci`, which binds a device only when userspace names
//! it in the device's `driver_override`.
//!
//! [`drivers/vfio/pci/vfio_pci.c`]: srctree/drivers/vfio/pci/vfio_pci.c

use kernel::{
    device::Core,
    driver,
    pci,
    prelude::*,
    vfio, //
};

module! {
    type: VfioPciModule,
    name: "vfio_pci_rust",
    authors: ["rvfio developers"],
    description: "VFIO PCI - User Level meta-driver (Rust)",
    license: "GPL v2",
}

/// The name of the PCI driver: part of the uapi (`driver_override`, sysfs), hence the C driver's.
const DRIVER_NAME: &CStr = c"vfio-pci";

/// The plain `vfio-pci` driver: no device-specific behaviour.
struct VfioPci;

/// What the driver keeps for each bound device.
struct VfioPciDevice {
    /// The device's PCI address as `dev_id()` reports it, for the unbind message.
    devfn: u16,
}

impl vfio::pci::Driver for VfioPci {
    type Data = VfioPciDevice;

    fn probe(pdev: &pci::Device<Core<'_>>) -> impl PinInit<Self::Data, Error> {
        dev_dbg!(
            pdev,
            "bound {:04x}:{:04x}\n",
            pdev.vendor_id().as_raw(),
            pdev.device_id()
        );
        Ok(VfioPciDevice {
            devfn: pdev.dev_id(),
        })
    }

    fn unbind(pdev: &pci::Device<Core<'_>>, data: Pin<&Self::Data>) {
        dev_dbg!(pdev, "unbound (id {:#06x})\n", data.devfn);
    }
}

/// The module: one registration of the `vfio-pci` PCI driver.
#[pin_data]
struct VfioPciModule {
    #[pin]
    driver: driver::Registration<vfio::pci::Adapter<VfioPci>>,
}

impl kernel::InPlaceModule for VfioPciModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            driver <- driver::Registration::new(DRIVER_NAME, module),
        })
    }
}
