// SPDX-License-Identifier: GPL-2.0

//! PCI driver glue for VFIO bus drivers.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! A VFIO PCI driver differs from an ordinary PCI driver in three ways that
//! [`crate::pci::Adapter`] does not cover:
//!
//! - it matches devices only through `driver_override`: its ID table holds a
//!   single "any device" entry flagged `PCI_ID_F_VFIO_DRIVER_OVERRIDE`, so
//!   writing the driver's name to a device's `driver_override` and probing
//!   binds it, while no device ever binds to it by accident;
//! - it manages DMA itself (`driver_managed_dma`): the device's DMA is owned
//!   by userspace through the IOMMU group, not by the kernel's DMA API, so
//!   binding must not claim the group's default domain;
//! - the driver name (`vfio-pci`) is part of the uapi and is independent of
//!   the module name, so that a Rust module can stand in for the C one.

use crate::{
    bindings,
    device,
    device_id::{
        IdArray,
        IdTable, //
    },
    driver,
    error::{
        from_result,
        to_result, //
    },
    pci,
    prelude::*,
    types::Opaque,
    ThisModule, //
};
use core::marker::PhantomData;

/// The ID table of every VFIO PCI driver: any vendor, any device, matched
/// only through `driver_override`.
static OVERRIDE_ONLY_TABLE: IdArray<pci::DeviceId, (), 1> =
    IdArray::new_without_index([pci::DeviceId::vfio_driver_override(
        pci::DeviceId::ANY,
        pci::DeviceId::ANY,
    )]);

/// A VFIO PCI driver.
///
/// Implementers are bound to devices only through `driver_override` (see the
/// [module documentation](self)).
pub trait Driver {
    /// The driver's per-device data, owned by the binding.
    ///
    /// It may borrow the bound device for `'bound` (a [`crate::vfio::Registration`] does), so
    /// nothing in it can outlive the binding.
    type Data<'bound>: Send + 'bound;

    /// Binds the driver to `pdev`.
    ///
    /// Called when userspace asks the PCI core to probe a device whose
    /// `driver_override` names this driver.
    fn probe<'bound>(
        pdev: &'bound pci::Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// Called before the device is unbound; the data is dropped afterwards.
    fn unbind<'bound>(pdev: &'bound pci::Device<device::Core<'_>>, data: Pin<&Self::Data<'bound>>) {
        let _ = (pdev, data);
    }
}

/// Registration glue between the PCI core and a VFIO PCI [`Driver`].
///
/// Used through [`crate::driver::Registration`]:
/// `driver::Registration<vfio::pci::Adapter<MyDriver>>`.
pub struct Adapter<T: Driver>(PhantomData<T>);

// SAFETY:
// - `bindings::pci_driver` is a C type declared as `repr(C)`.
// - `T::Data` is the type of the driver's device private data: `probe_callback` stores exactly that
//   type with `set_drvdata`.
// - `DEVICE_DRIVER_OFFSET` is the byte offset of the `struct device_driver` embedded in
//   `struct pci_driver`.
unsafe impl<T: Driver + 'static> driver::DriverLayout for Adapter<T> {
    type DriverType = bindings::pci_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = core::mem::offset_of!(Self::DriverType, driver);
}

// SAFETY: `unregister` is only ever called for a driver that `register` registered successfully,
// as `driver::Registration` guarantees.
unsafe impl<T: Driver + 'static> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        pdrv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        // SAFETY: The driver is not registered yet, so nothing else reads `pdrv` while its fields
        // are set.
        unsafe {
            let drv = pdrv.get();
            (*drv).name = name.as_char_ptr();
            (*drv).probe = Some(Self::probe_callback);
            (*drv).remove = Some(Self::remove_callback);
            (*drv).id_table = OVERRIDE_ONLY_TABLE.as_ptr();
            (*drv).driver_managed_dma = true;
        }

        // SAFETY: `pdrv` is a valid `struct pci_driver`, pinned until `unregister` by the
        // safety requirements of `RegistrationOps::register`.
        to_result(unsafe {
            bindings::__pci_register_driver(pdrv.get(), module.as_ptr(), name.as_char_ptr())
        })
        .inspect_err(|e| {
            pr_err!(
                "cannot register PCI driver '{}' (error {}): is another driver of that name loaded?\n",
                name,
                e.to_errno()
            )
        })
    }

    unsafe fn unregister(pdrv: &Opaque<Self::DriverType>) {
        // SAFETY: `pdrv` was registered by `register`, as the safety requirements state.
        unsafe { bindings::pci_unregister_driver(pdrv.get()) }
    }
}

impl<T: Driver + 'static> Adapter<T> {
    extern "C" fn probe_callback(
        pdev: *mut bindings::pci_dev,
        _id: *const bindings::pci_device_id,
    ) -> c_int {
        // SAFETY: The PCI core calls `probe` with a valid `struct pci_dev`, with the device lock
        // held.
        //
        // INVARIANT: `pdev` is valid and bound to this driver for the duration of the callback.
        let pdev = unsafe { &*pdev.cast::<pci::Device<device::CoreInternal<'_>>>() };

        from_result(|| {
            let data = T::probe(pdev);
            pdev.as_ref().set_drvdata(data)?;
            Ok(0)
        })
    }

    extern "C" fn remove_callback(pdev: *mut bindings::pci_dev) {
        // SAFETY: The PCI core calls `remove` with a valid `struct pci_dev`, with the device lock
        // held.
        //
        // INVARIANT: `pdev` is valid for the duration of the callback.
        let pdev = unsafe { &*pdev.cast::<pci::Device<device::CoreInternal<'_>>>() };

        // SAFETY: `remove` only follows a successful `probe`, which stored a
        // `Pin<KBox<T::Data<'_>>>` with `set_drvdata`; the data is only taken back after `remove`
        // returns.
        let data = unsafe { pdev.as_ref().drvdata_borrow::<T::Data<'_>>() };

        T::unbind(pdev, data);
    }
}
