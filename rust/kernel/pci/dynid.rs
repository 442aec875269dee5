// SPDX-License-Identifier: GPL-2.0

//! Dynamic IDs: devices a registered PCI driver binds besides those of its ID table.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! A dynamic ID matches like an entry of the ID table, but is added at run time, by userspace
//! (the driver's `new_id` file) or by the driver itself (from a module parameter, say). The PCI
//! core looks at the dynamic IDs first; unlike a table entry flagged for `driver_override` only,
//! a dynamic ID binds a matching device that names no driver in `driver_override`.

use crate::{
    bindings,
    driver,
    error::to_result,
    prelude::*, //
};

/// A dynamic PCI device ID: the fields of `struct pci_device_id` that matching looks at.
///
/// A field set to [`super::DeviceId::ANY`] matches any value; the class matches where the bits of
/// `class_mask` agree.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DynamicId {
    /// The vendor ID.
    pub vendor: u32,
    /// The device ID.
    pub device: u32,
    /// The subsystem vendor ID.
    pub subvendor: u32,
    /// The subsystem device ID.
    pub subdevice: u32,
    /// The class code (base class, subclass, programming interface).
    pub class: u32,
    /// The bits of `class` that must match.
    pub class_mask: u32,
}

impl DynamicId {
    /// An ID matching `vendor`:`device` with any subsystem IDs and any class.
    pub const fn new(vendor: u32, device: u32) -> Self {
        Self {
            vendor,
            device,
            subvendor: super::DeviceId::ANY,
            subdevice: super::DeviceId::ANY,
            class: 0,
            class_mask: 0,
        }
    }
}

impl<T> driver::Registration<T>
where
    T: driver::RegistrationOps + driver::DriverLayout<DriverType = bindings::pci_driver>,
{
    /// Adds `id` to the driver's dynamic IDs and probes the devices it matches that have no
    /// driver (`pci_add_dynid`), as a write to the driver's `new_id` file does.
    ///
    /// May sleep: the probes run before it returns.
    pub fn add_dynid(&self, id: &DynamicId) -> Result {
        // SAFETY: `self.as_raw()` is a registered `struct pci_driver`, which stays registered
        // while `self` lives.
        to_result(unsafe {
            bindings::pci_add_dynid(
                self.as_raw(),
                id.vendor,
                id.device,
                id.subvendor,
                id.subdevice,
                id.class,
                id.class_mask,
                0,
            )
        })
    }
}
