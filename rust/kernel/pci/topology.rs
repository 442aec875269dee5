// SPDX-License-Identifier: GPL-2.0

//! Where a PCI function sits: its address, its IOMMU group, and the functions
//! a slot or bus reset reaches together with it.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)

use super::Device;
use crate::{
    bindings,
    device,
    prelude::*, //
};

/// The state of one [`Device::for_each_in_slot_or_bus`] walk, handed to the C callback.
struct Walk<'a> {
    top: *mut bindings::pci_bus,
    slot: *mut bindings::pci_slot,
    f: &'a mut dyn FnMut(&Device) -> Result,
    err: Option<Error>,
}

/// # Safety
///
/// Called by `pci_walk_bus` with a valid device and the `Walk` passed to it.
unsafe extern "C" fn walk_one(dev: *mut bindings::pci_dev, data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `Walk` that `for_each_in_slot_or_bus` passed, alive during the walk.
    let walk = unsafe { &mut *data.cast::<Walk<'_>>() };
    if !walk.slot.is_null() {
        // Only functions of the slot, and what is below them, belong to a slot reset: find the
        // ancestor of `dev` on the top bus and check its slot.
        let mut top_dev = dev;
        // SAFETY: Devices and their buses are valid while `pci_walk_bus` holds the bus lock;
        // every device below `walk.top` has an ancestor on it.
        unsafe {
            while !top_dev.is_null() && (*top_dev).bus != walk.top {
                top_dev = (*(*top_dev).bus).self_;
            }
            if top_dev.is_null() || (*top_dev).slot != walk.slot {
                return 0;
            }
        }
    }
    // SAFETY: `dev` is a valid `struct pci_dev` for the duration of the callback; `Device` is a
    // transparent wrapper of it.
    let pdev = unsafe { &*dev.cast::<Device>() };
    match (walk.f)(pdev) {
        Ok(()) => 0,
        Err(e) => {
            walk.err = Some(e);
            1
        }
    }
}

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns the PCI domain (segment) number.
    #[inline]
    pub fn domain_nr(&self) -> u32 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, with a valid `bus`.
        let nr = unsafe { bindings::pci_domain_nr((*self.as_raw()).bus) };
        nr.try_into().unwrap_or(0)
    }

    /// Returns the number of the bus the function sits on.
    #[inline]
    pub fn bus_number(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, with a valid `bus`.
        unsafe { (*(*self.as_raw()).bus).number }
    }

    /// Returns the function's device and function number (`PCI_DEVFN`).
    #[inline]
    pub fn devfn(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let devfn = unsafe { (*self.as_raw()).devfn };
        // CAST: `devfn` is an 8-bit value in an `unsigned int`.
        devfn as u8
    }

    /// Returns whether the function is an SR-IOV physical function.
    #[inline]
    pub fn is_physfn(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).is_physfn() != 0 }
    }

    /// Returns whether MSI-X vectors can be allocated after MSI-X is enabled.
    #[inline]
    pub fn msix_can_alloc_dyn(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { bindings::pci_msix_can_alloc_dyn(self.as_raw()) }
    }

    /// Returns the ID of the function's IOMMU group, if it has one.
    pub fn iommu_group_id(&self) -> Option<i32> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let group = unsafe { bindings::iommu_group_get(&raw mut (*self.as_raw()).dev) };
        if group.is_null() {
            return None;
        }
        // SAFETY: `group` is a valid group on which we hold a reference, dropped right after.
        let id = unsafe {
            let id = bindings::iommu_group_id(group);
            bindings::iommu_group_put(group);
            id
        };
        Some(id)
    }

    /// Calls `f` for every function a reset of this function's slot (`slot`) or bus (`!slot`)
    /// reaches: the functions on the same bus (only those of the same slot for a slot reset)
    /// and everything below them. Stops at, and returns, the first error of `f`.
    pub fn for_each_in_slot_or_bus(
        &self,
        slot: bool,
        f: &mut dyn FnMut(&Device) -> Result,
    ) -> Result {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let (bus, slot_ptr) = unsafe { ((*self.as_raw()).bus, (*self.as_raw()).slot) };
        if slot && slot_ptr.is_null() {
            return Err(ENODEV);
        }
        let mut walk = Walk {
            top: bus,
            slot: if slot {
                slot_ptr
            } else {
                core::ptr::null_mut()
            },
            f,
            err: None,
        };
        // SAFETY: `bus` is valid; `walk_one` matches the callback type and gets `walk`, which
        // outlives the call.
        unsafe { bindings::pci_walk_bus(bus, Some(walk_one), (&raw mut walk).cast()) };
        walk.err.map_or(Ok(()), Err)
    }
}
