// SPDX-License-Identifier: GPL-2.0

//! PCI driver glue for VFIO bus drivers.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! A VFIO PCI driver differs from an ordinary PCI driver in three ways that
//! [`crate::pci::Adapter`] does not cover:
//!
//! - it matches devices only through `driver_override`: every entry of its ID
//!   table is flagged `PCI_ID_F_VFIO_DRIVER_OVERRIDE`, so writing the
//!   driver's name to a device's `driver_override` and probing binds it,
//!   while no device ever binds to it by accident. The plain driver's table
//!   ([`ANY_DEVICE`]) has a single "any device" entry; a variant driver
//!   lists the devices it knows ([`Driver::ID_TABLE`]);
//! - it manages DMA itself (`driver_managed_dma`): the device's DMA is owned
//!   by userspace through the IOMMU group, not by the kernel's DMA API, so
//!   binding must not claim the group's default domain;
//! - the driver name (`vfio-pci`) is part of the uapi and is independent of
//!   the module name, so that a Rust module can stand in for the C one.

use crate::{
    bindings,
    device,
    device_id::{
        IdArray as DeviceIdArray,
        IdTable as DeviceIdTable, //
    },
    driver,
    error::{
        from_result,
        to_result, //
    },
    pci,
    pm_runtime,
    prelude::*,
    types::Opaque,
    ThisModule, //
};
use core::marker::PhantomData;

/// The ID table of a VFIO PCI driver: entries made with
/// [`pci::DeviceId::vfio_driver_override`], so that they match only through `driver_override`.
pub type IdTable = &'static dyn DeviceIdTable<pci::DeviceId, ()>;

/// An ID table of `N` devices for a VFIO PCI driver ([`Driver::ID_TABLE`]), each matched only
/// through `driver_override`.
///
/// ```
/// use kernel::vfio;
///
/// const EDU: vfio::pci::IdArray<1> = vfio::pci::id_array([(0x1234, 0x11e8)]);
/// let table: vfio::pci::IdTable = &EDU;
/// # let _ = table;
/// ```
pub type IdArray<const N: usize> = DeviceIdArray<pci::DeviceId, (), N>;

/// Makes the ID table of a driver for the `(vendor, device)` pairs of `ids`, each matched only
/// through `driver_override` (C's `PCI_DRIVER_OVERRIDE_DEVICE_VFIO`); either ID may be
/// [`pci::DeviceId::ANY`].
pub const fn id_array<const N: usize>(ids: [(u32, u32); N]) -> IdArray<N> {
    let mut raw = [const { pci::DeviceId::vfio_driver_override(0, 0) }; N];
    let mut i = 0;
    while i < N {
        raw[i] = pci::DeviceId::vfio_driver_override(ids[i].0, ids[i].1);
        i += 1;
    }
    DeviceIdArray::new_without_index(raw)
}

/// The ID table of the plain `vfio-pci` driver: any vendor, any device, matched only through
/// `driver_override`. The default [`Driver::ID_TABLE`].
pub const ANY_DEVICE: IdArray<1> = id_array([(pci::DeviceId::ANY, pci::DeviceId::ANY)]);

/// A VFIO PCI driver.
///
/// Implementers are bound to devices only through `driver_override` (see the
/// [module documentation](self)).
///
/// # Runtime power management
///
/// A driver that implements [`Driver::runtime_suspend`] gets runtime PM: after a successful
/// probe, runtime PM is allowed for the device and, if [`Driver::idle_suspend`] says so, the
/// reference the PCI core holds across probe is given back, so that the device is suspended
/// (into D3hot, by the PCI core) as soon as nobody holds a reference on its usage count (see
/// [`crate::pm_runtime`]). The VFIO core takes a reference around each ioctl of such a driver;
/// the driver takes its own for the rest of its accesses. Before `unbind`, the reference is
/// taken again and runtime PM forbidden, which resumes the device.
#[vtable]
pub trait Driver {
    /// The driver's per-device data, owned by the binding.
    ///
    /// It may borrow the bound device for `'bound` (a [`crate::vfio::Registration`] does), so
    /// nothing in it can outlive the binding.
    type Data<'bound>: Send + 'bound;

    /// The devices the driver may bind, each only when its `driver_override` names the driver
    /// (see [`id_array`]). By default any device, as the plain `vfio-pci` driver does; a variant
    /// driver lists the devices it knows, so that `driver_override` cannot hand it another.
    const ID_TABLE: IdTable = &ANY_DEVICE;

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

    /// Enables `nr_virtfn` VFs of the bound PF `pdev`, or disables them all if `nr_virtfn` is 0
    /// (the PCI driver's `sriov_configure`, called with the device lock held when userspace
    /// writes the device's `sriov_numvfs`). Returns how many VFs are enabled.
    ///
    /// Without it, writing `sriov_numvfs` of a device bound to the driver fails.
    fn sriov_configure<'bound>(
        pdev: &'bound pci::Device<device::Core<'_>>,
        data: Pin<&Self::Data<'bound>>,
        nr_virtfn: u16,
    ) -> Result<u16> {
        let _ = (pdev, data, nr_virtfn);
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called when the PCI core's error recovery (PCIe AER, DPC) reports an error of the bound
    /// device `pdev` or of a device sharing its upstream port, with the device lock held, before
    /// any reset (the PCI driver's `error_detected`). `state` says whether I/O to the device
    /// still works. A VFIO driver tells the user (the ERR eventfd) and lets the user recover.
    ///
    /// Without it, the PCI core cannot recover a device bound to the driver: it reports a
    /// permanent failure.
    fn error_detected<'bound>(
        pdev: &'bound pci::Device<device::Core<'_>>,
        data: Pin<&Self::Data<'bound>>,
        state: pci::ChannelState,
    ) -> pci::ErsResult {
        let _ = (pdev, data, state);
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Whether a bound device that nobody uses may be suspended (with runtime PM only: see the
    /// [trait documentation](Driver#runtime-power-management)). Asked once, after probe; the
    /// answer holds until the device is unbound.
    fn idle_suspend() -> bool {
        true
    }

    /// Called by the PM core before the PCI core saves the state of the device and puts it into
    /// a low-power state, once the usage count of the device dropped to zero. An error keeps the
    /// device active. Never called concurrently with [`Driver::runtime_resume`].
    fn runtime_suspend(pdev: &pci::Device<device::Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        let _ = (pdev, data);
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called by the PM core after the PCI core brought a suspended device back to D0 and
    /// restored its state.
    fn runtime_resume(pdev: &pci::Device<device::Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        let _ = (pdev, data);
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
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
            (*drv).id_table = T::ID_TABLE.as_ptr();
            (*drv).driver_managed_dma = true;
            if T::HAS_RUNTIME_SUSPEND {
                (*drv).driver.pm = &Self::PM_OPS;
            }
            if T::HAS_SRIOV_CONFIGURE {
                (*drv).sriov_configure = Some(Self::sriov_configure_callback);
            }
            if T::HAS_ERROR_DETECTED {
                (*drv).err_handler = &Self::ERR_HANDLERS;
            }
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
    /// The runtime PM callbacks, used only if `T` implements them.
    const PM_OPS: bindings::dev_pm_ops = {
        const { assert!(T::HAS_RUNTIME_SUSPEND == T::HAS_RUNTIME_RESUME) };
        // SAFETY: All fields of `dev_pm_ops` are optional function pointers, for which zero is
        // `None`.
        let mut ops: bindings::dev_pm_ops = unsafe { core::mem::zeroed() };
        ops.runtime_suspend = Some(Self::runtime_suspend_callback);
        ops.runtime_resume = Some(Self::runtime_resume_callback);
        ops
    };

    /// The error recovery callbacks, used only if `T` implements [`Driver::error_detected`].
    const ERR_HANDLERS: bindings::pci_error_handlers = bindings::pci_error_handlers {
        error_detected: Some(Self::error_detected_callback),
        mmio_enabled: None,
        slot_reset: None,
        reset_prepare: None,
        reset_done: None,
        resume: None,
        cor_error_detected: None,
    };

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
            // From here on the runtime PM callbacks may run: the data they borrow is in place.
            if T::HAS_RUNTIME_SUSPEND {
                let dev: &device::Device = pdev.as_ref();
                pm_runtime::allow(dev);
                if T::idle_suspend() {
                    // The reference `local_pci_probe` took for the probe.
                    pm_runtime::put(dev);
                }
            }
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

        if T::HAS_RUNTIME_SUSPEND {
            let dev: &device::Device = pdev.as_ref();
            if T::idle_suspend() {
                pm_runtime::get_noresume(dev);
            }
            // Resumes the device and waits for any callback in progress: none runs after this.
            pm_runtime::forbid(dev);
        }
        T::unbind(pdev, data);
    }

    extern "C" fn sriov_configure_callback(
        pdev: *mut bindings::pci_dev,
        nr_virtfn: c_int,
    ) -> c_int {
        // SAFETY: The PCI core calls `sriov_configure` with a valid `struct pci_dev` bound to this
        // driver, with the device lock held.
        //
        // INVARIANT: `pdev` is valid and bound to this driver for the duration of the callback.
        let pdev = unsafe { &*pdev.cast::<pci::Device<device::CoreInternal<'_>>>() };

        // SAFETY: The device is bound to this driver (the PCI core checks, under the device lock,
        // that it has one with this callback), so `probe_callback` stored a
        // `Pin<KBox<T::Data<'_>>>`, which is only taken back after `remove`, under the same lock.
        let data = unsafe { pdev.as_ref().drvdata_borrow::<T::Data<'_>>() };
        from_result(|| {
            // The PCI core passes what userspace wrote, checked against `sriov_totalvfs`.
            let nr = u16::try_from(nr_virtfn).map_err(|_| EINVAL)?;
            Ok(T::sriov_configure(pdev, data, nr)?.into())
        })
    }

    extern "C" fn error_detected_callback(
        pdev: *mut bindings::pci_dev,
        state: bindings::pci_channel_state_t,
    ) -> bindings::pci_ers_result_t {
        // SAFETY: The PCI core calls `error_detected` with a valid `struct pci_dev` whose driver
        // is this one, with the device lock held (`report_error_detected`).
        //
        // INVARIANT: `pdev` is valid and bound to this driver for the duration of the callback.
        let pdev = unsafe { &*pdev.cast::<pci::Device<device::CoreInternal<'_>>>() };

        // SAFETY: The device is bound to this driver (the PCI core checked its driver under the
        // device lock), so `probe_callback` stored a `Pin<KBox<T::Data<'_>>>`, which is only
        // taken back after `remove`, under the same lock.
        let data = unsafe { pdev.as_ref().drvdata_borrow::<T::Data<'_>>() };
        match pci::ChannelState::from_raw(state) {
            Some(state) => T::error_detected(pdev, data, state).into_raw(),
            None => pci::ErsResult::None.into_raw(),
        }
    }

    /// Borrows the data of a bound device for a runtime PM callback.
    ///
    /// # Safety
    ///
    /// `dev` must be the `struct device` of a PCI device bound to this driver, passed by the PM
    /// core to a runtime PM callback.
    unsafe fn pm_borrow<'a>(
        dev: *mut bindings::device,
    ) -> Option<(&'a pci::Device<device::Bound>, Pin<&'a T::Data<'a>>)> {
        // SAFETY: The PM core passes a valid device and holds a reference on it for the call.
        //
        // INVARIANT: The driver is bound for the duration of the callback: the callbacks only
        // run between `allow` in `probe_callback` and `forbid` in `remove_callback`.
        let dev = unsafe { &*dev.cast::<device::Device<device::BoundInternal>>() };
        let pdev: &pci::Device<device::BoundInternal> = dev.try_into().ok()?;
        let pdev: &pci::Device<device::Bound> = pdev;
        // SAFETY: `probe_callback` stored a `Pin<KBox<T::Data<'_>>>` before allowing runtime PM,
        // and `remove_callback` forbids it (waiting for callbacks in progress) before the data
        // is dropped.
        let data = unsafe { dev.drvdata_borrow::<T::Data<'a>>() };
        Some((pdev, data))
    }

    extern "C" fn runtime_suspend_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: The PM core calls this with a device bound to this driver (`PM_OPS` is set
        // only on this driver).
        let Some((pdev, data)) = (unsafe { Self::pm_borrow(dev) }) else {
            return 0;
        };
        from_result(|| T::runtime_suspend(pdev, data).map(|()| 0))
    }

    extern "C" fn runtime_resume_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: As in `runtime_suspend_callback`.
        let Some((pdev, data)) = (unsafe { Self::pm_borrow(dev) }) else {
            return 0;
        };
        from_result(|| T::runtime_resume(pdev, data).map(|()| 0))
    }
}
