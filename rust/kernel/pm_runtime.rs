// SPDX-License-Identifier: GPL-2.0

//! Runtime power management: a device's usage count, and suspending the device while nobody
//! uses it.
//!
//! C header: [`include/linux/pm_runtime.h`](srctree/include/linux/pm_runtime.h)
//!
//! The PM core suspends a device (through its bus and driver callbacks, see
//! [`crate::vfio::pci::Driver::runtime_suspend`] for a PCI driver) once runtime PM is allowed
//! for it and its usage count drops to zero, and resumes it before the count goes up again
//! through [`ActiveRef::get`].
//!
//! The common pattern, "keep the device awake while I use it", is [`ActiveRef`]. The counting
//! functions are for the references that outlive one call, as a driver's probe reference or the
//! reference a user gives up to put an open device into low power: misuse unbalances the count
//! (the PM core warns about an underflow) but is memory safe.

use crate::{
    bindings,
    device::Device,
    error::to_result,
    prelude::*,
    sync::aref::ARef, //
};

/// A reference on a device's runtime PM usage count, taken by resuming the device: while it
/// exists the device is active.
///
/// Dropping it gives the reference back; if it was the last, the PM core checks, from a work
/// item, whether the device may be suspended.
///
/// # Examples
///
/// ```
/// use kernel::{device::Device, pm_runtime::ActiveRef};
///
/// fn poke(dev: &Device) -> Result {
///     let _awake = ActiveRef::get(dev)?;
///     // ... talk to the device: it cannot be runtime suspended here ...
///     Ok(())
/// }
/// ```
///
/// # Invariants
///
/// `self` owns one reference on `dev`'s runtime PM usage count.
pub struct ActiveRef {
    dev: ARef<Device>,
}

impl ActiveRef {
    /// Resumes `dev` if it is suspended and takes a reference on its usage count; the error of
    /// the resume otherwise, with the count unchanged.
    pub fn get(dev: &Device) -> Result<Self> {
        // SAFETY: `dev` is a valid device.
        to_result(unsafe { bindings::pm_runtime_resume_and_get(dev.as_raw()) })?;
        // INVARIANT: The call above took a reference on success.
        Ok(Self { dev: dev.into() })
    }
}

impl Drop for ActiveRef {
    fn drop(&mut self) {
        put(&self.dev);
    }
}

/// The reference of an [`ActiveRef`] for the span of a borrow of the device, for a path that
/// keeps the device awake for one call: the borrow keeps the device alive, so no reference on
/// the device itself is taken (an [`ActiveRef`] takes one, to outlive any borrow).
///
/// # Examples
///
/// ```
/// use kernel::{device::Device, pm_runtime::ActiveGuard};
///
/// fn poke(dev: &Device) -> Result {
///     let _awake = ActiveGuard::get(dev)?;
///     // ... one access to the device: it cannot be runtime suspended here ...
///     Ok(())
/// }
/// ```
///
/// # Invariants
///
/// `self` owns one reference on `dev`'s runtime PM usage count.
pub struct ActiveGuard<'a> {
    dev: &'a Device,
}

impl<'a> ActiveGuard<'a> {
    /// Resumes `dev` if it is suspended and takes a reference on its usage count, as
    /// [`ActiveRef::get`].
    #[inline]
    pub fn get(dev: &'a Device) -> Result<Self> {
        // SAFETY: `dev` is a valid device.
        to_result(unsafe { bindings::pm_runtime_resume_and_get(dev.as_raw()) })?;
        // INVARIANT: The call above took a reference on success.
        Ok(Self { dev })
    }
}

impl Drop for ActiveGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        put(self.dev);
    }
}

/// Lets the PM core suspend `dev` when its usage count is zero (`pm_runtime_allow`): drops the
/// reference that [`forbid`] (or the bus, at device creation) took.
pub fn allow(dev: &Device) {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::pm_runtime_allow(dev.as_raw()) }
}

/// Resumes `dev` and keeps it from being suspended (`pm_runtime_forbid`): takes a reference on
/// its usage count, which [`allow`] gives back. Returns once the device is active.
pub fn forbid(dev: &Device) {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::pm_runtime_forbid(dev.as_raw()) }
}

/// Takes a reference on `dev`'s usage count without resuming it (`pm_runtime_get_noresume`):
/// the device stays in whatever state it is in, and is not suspended from here on.
pub fn get_noresume(dev: &Device) {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::pm_runtime_get_noresume(dev.as_raw()) }
}

/// Gives back a reference on `dev`'s usage count taken by [`get_noresume`] or by the bus
/// (`pm_runtime_put`); if it was the last, the PM core checks from a work item whether the
/// device may be suspended.
#[inline]
pub fn put(dev: &Device) {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::pm_runtime_put(dev.as_raw()) }
}

/// Gives back a reference on `dev`'s usage count without checking whether the device is idle
/// (`pm_runtime_put_noidle`): it is suspended at the next idle check, for instance when a caller
/// that holds an [`ActiveRef`] drops it.
pub fn put_noidle(dev: &Device) {
    // SAFETY: `dev` is a valid device.
    unsafe { bindings::pm_runtime_put_noidle(dev.as_raw()) }
}

/// Resumes `dev` synchronously if it is suspended (`pm_runtime_resume`), leaving its usage
/// count alone.
pub fn resume(dev: &Device) -> Result {
    // SAFETY: `dev` is a valid device.
    to_result(unsafe { bindings::pm_runtime_resume(dev.as_raw()) })
}
