// SPDX-License-Identifier: GPL-2.0

//! SR-IOV: a physical function (PF) creating virtual functions (VFs), and the driver the VFs get.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! A driver that enables SR-IOV from its `sriov_configure` callback (the `sriov_numvfs` sysfs
//! file) uses [`Device::enable_sriov`] and [`Device::disable_sriov`]. A driver that hands its PF
//! to userspace (vfio-pci) must not let the VFs bind to whatever host driver matches them: while
//! a [`VfDriverOverride`] of the PF exists, every VF the PF creates gets the PF's driver in its
//! `driver_override`, so that only that driver binds it.

use super::Device;
use crate::{
    bindings,
    device,
    error::to_result,
    prelude::*,
    sync::aref::ARef,
    types::Opaque, //
};
use core::marker::PhantomPinned;

impl Device<device::Core<'_>> {
    /// Enables `nr_virtfn` VFs (`pci_enable_sriov`): they are added to the bus, and probed if
    /// VF autoprobe is on, before this returns.
    ///
    /// With the device lock held (the `Core` context), as the PCI core holds it around the
    /// driver's `sriov_configure` and `remove`.
    pub fn enable_sriov(&self, nr_virtfn: u16) -> Result {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, bound, with its device lock held.
        to_result(unsafe { bindings::pci_enable_sriov(self.as_raw(), nr_virtfn.into()) })
    }

    /// Disables SR-IOV (`pci_disable_sriov`): removes every VF, which unbinds their drivers and
    /// waits for them. Nothing happens if no VF is enabled.
    pub fn disable_sriov(&self) {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, bound, with its device lock held.
        unsafe { bindings::pci_disable_sriov(self.as_raw()) }
    }
}

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns whether this function is a VF of `pf`.
    pub fn is_virtfn_of<Ctx2: device::DeviceContext>(&self, pf: &Device<Ctx2>) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; `pci_physfn` returns it or, for a
        // VF, its PF.
        self.is_virtfn()
            && core::ptr::eq(unsafe { bindings::pci_physfn(self.as_raw()) }, pf.as_raw())
    }

    /// Returns an identifier of the function's PF if it is a VF (never dereferenced): equal to
    /// [`Device::function_id`] of that PF.
    pub fn physfn_id(&self) -> Option<usize> {
        if !self.is_virtfn() {
            return None;
        }
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let pf = unsafe { bindings::pci_physfn(self.as_raw()) };
        Some(pf.addr())
    }

    /// Returns an identifier of the function (never dereferenced), unique while the function
    /// exists.
    pub fn function_id(&self) -> usize {
        self.as_raw().addr()
    }

    /// Returns the name of the PCI driver the function is bound to, if any.
    fn driver_name(&self) -> Option<&CStr> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let drv = unsafe { bindings::pci_dev_driver(self.as_raw()) };
        if drv.is_null() {
            return None;
        }
        // SAFETY: A registered driver has a valid, NUL-terminated name that outlives its
        // binding; the callers use it while the function is bound.
        Some(unsafe { CStr::from_char_ptr((*drv).name) })
    }
}

/// While it exists, every VF that `pf` creates is given the PF's driver as its
/// `driver_override`, when it is added to the bus and before any driver may probe it (a PCI bus
/// notifier; C's `vfio_pci_bus_notifier`). A VF that binds another driver anyway (its
/// `driver_override` changed by hand) is reported.
///
/// Made by the PF's driver while it is bound to the PF, dropped before it unbinds.
///
/// # Invariants
///
/// `nb` is registered on the PCI bus for as long as `self` exists, and its callback is
/// [`Self::notify`].
#[pin_data(PinnedDrop)]
pub struct VfDriverOverride {
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    /// The PF.
    pf: ARef<Device>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The notifier block is only touched by the notifier chain, under its own lock; the PF
// reference may be used and dropped from any thread.
unsafe impl Send for VfDriverOverride {}
// SAFETY: No method of `&VfDriverOverride` touches anything.
unsafe impl Sync for VfDriverOverride {}

impl VfDriverOverride {
    /// Starts capturing the VFs of `pf`, which must stay bound to its driver for as long as the
    /// returned object exists.
    pub fn new(pf: &Device<device::Bound>) -> impl PinInit<Self, Error> + '_ {
        try_pin_init!(Self {
            pf: pf.into(),
            // SAFETY: `slot` is the pinned, uninitialised notifier block of this object, which
            // stays in place until `drop` unregisters it.
            nb <- unsafe {
                Opaque::try_ffi_init(|slot: *mut bindings::notifier_block| {
                    slot.write(bindings::notifier_block {
                        notifier_call: Some(Self::notify),
                        ..Default::default()
                    });
                    // INVARIANT: Registered here, with `notify` as its callback.
                    to_result(bindings::bus_register_notifier(&raw const bindings::pci_bus_type, slot))
                })
            },
            _pin: PhantomPinned,
        })
    }

    /// The bus notifier's callback.
    ///
    /// # Safety
    ///
    /// Called by the PCI bus notifier chain with `nb` of a live `VfDriverOverride` and, for the
    /// actions handled, `data` the `struct device` of a PCI device.
    unsafe extern "C" fn notify(
        nb: *mut bindings::notifier_block,
        action: usize,
        data: *mut c_void,
    ) -> c_int {
        // CAST: Small enumerators.
        const ADD: usize = bindings::bus_notifier_event_BUS_NOTIFY_ADD_DEVICE as usize;
        // CAST: As above.
        const BOUND: usize = bindings::bus_notifier_event_BUS_NOTIFY_BOUND_DRIVER as usize;
        // CAST: `NOTIFY_DONE` is 0.
        const DONE: c_int = bindings::NOTIFY_DONE as c_int;
        if action != ADD && action != BOUND {
            return DONE;
        }
        // `Opaque` is a transparent wrapper.
        let nb: *mut Opaque<bindings::notifier_block> = nb.cast();
        // SAFETY: `nb` is the `nb` field of a live `VfDriverOverride` (the callback is only ever
        // registered there, and unregistered before it goes).
        let this = unsafe { &*crate::container_of!(nb, Self, nb) };
        // SAFETY: The bus passes a valid `struct device` for the duration of the call.
        let dev = unsafe { device::Device::from_raw(data.cast()) };
        let Ok(vf) = <&Device>::try_from(dev) else {
            return DONE;
        };
        if !vf.is_virtfn_of(&*this.pf) {
            return DONE;
        }
        let pf: &device::Device = this.pf.as_ref();
        // The PF is bound to its driver while `this` exists.
        let Some(pf_driver) = this.pf.driver_name() else {
            return DONE;
        };
        if action == ADD {
            dev_info!(pf, "Captured SR-IOV VF {} driver_override\n", dev.name());
            let name = pf_driver.to_bytes();
            // SAFETY: `dev` is valid; `name` is valid for `name.len()` bytes, copied by the
            // callee.
            let ret = unsafe {
                bindings::__device_set_driver_override(
                    dev.as_raw(),
                    name.as_ptr().cast(),
                    name.len(),
                )
            };
            if ret != 0 {
                dev_warn!(
                    pf,
                    "cannot set driver_override of VF {}: {}\n",
                    dev.name(),
                    ret
                );
            }
        } else if let Some(vf_driver) = vf.driver_name() {
            if vf_driver != pf_driver {
                dev_warn!(
                    pf,
                    "VF {} bound to driver {} while PF bound to driver {}\n",
                    dev.name(),
                    vf_driver,
                    pf_driver
                );
            }
        }
        DONE
    }
}

#[pinned_drop]
impl PinnedDrop for VfDriverOverride {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant, `nb` is registered on the PCI bus. Unregistering waits
        // for callbacks in progress: none runs once this returns.
        unsafe {
            bindings::bus_unregister_notifier(&raw const bindings::pci_bus_type, self.nb.get())
        };
    }
}
