// SPDX-License-Identifier: GPL-2.0

//! PCI operations for drivers that hand a device to userspace (VFIO).
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! A pass-through driver does what an ordinary driver leaves to the PCI core
//! or never does: config space accesses on behalf of the user (the "user"
//! accessors, which respect config-access blocking during resets), function,
//! slot and bus resets, saving and restoring the whole device state, power
//! state changes, INTx masking through the command register, and access to
//! BARs of either kind (memory or I/O port) with the same accessors.

pub mod irq;

use super::Device;
use crate::{
    bindings,
    device,
    devres::Devres,
    error::to_result,
    mm::pfnmap::IoPfns,
    prelude::*,
    types::Opaque, //
};
use core::ptr::NonNull;

/// Number of standard BARs of a type 0 function.
pub const STD_NUM_BARS: u32 = 6;

/// Index of the expansion ROM resource.
pub const ROM_RESOURCE: u32 = 6;

/// Resource flag: the BAR decodes I/O port space.
pub const RESOURCE_IO: u64 = 0x100;
/// Resource flag: the BAR decodes memory space.
pub const RESOURCE_MEM: u64 = 0x200;
/// Resource flag: the memory BAR is prefetchable.
pub const RESOURCE_PREFETCH: u64 = 0x2000;
/// Resource flag: the memory BAR is 64-bit.
pub const RESOURCE_MEM_64: u64 = 0x0010_0000;

mod private {
    pub trait Sealed {}
}

/// A unit config space is accessed in on the user's behalf: `u8`, `u16` or `u32`.
pub trait ConfigValue: Copy + private::Sealed {
    /// Reads one at `off` (`pci_user_read_config_*`).
    ///
    /// # Safety
    ///
    /// `pdev` must be a valid `struct pci_dev`.
    #[doc(hidden)]
    unsafe fn user_read(pdev: *mut bindings::pci_dev, off: c_int) -> Result<Self>;

    /// Writes one at `off` (`pci_user_write_config_*`).
    ///
    /// # Safety
    ///
    /// `pdev` must be a valid `struct pci_dev`.
    #[doc(hidden)]
    unsafe fn user_write(pdev: *mut bindings::pci_dev, off: c_int, v: Self) -> Result;
}

macro_rules! config_value {
    ($($t:ty => $read:ident, $write:ident;)*) => {
        $(
            impl private::Sealed for $t {}

            impl ConfigValue for $t {
                #[inline]
                unsafe fn user_read(pdev: *mut bindings::pci_dev, off: c_int) -> Result<Self> {
                    let mut v: $t = 0;
                    // SAFETY: `pdev` is valid (safety requirements); `v` is a valid output.
                    to_result(unsafe { bindings::$read(pdev, off, &mut v) })?;
                    Ok(v)
                }

                #[inline]
                unsafe fn user_write(pdev: *mut bindings::pci_dev, off: c_int, v: Self) -> Result {
                    // SAFETY: `pdev` is valid (safety requirements).
                    to_result(unsafe { bindings::$write(pdev, off, v) })
                }
            }
        )*
    };
}

config_value! {
    u8 => pci_user_read_config_byte, pci_user_write_config_byte;
    u16 => pci_user_read_config_word, pci_user_write_config_word;
    u32 => pci_user_read_config_dword, pci_user_write_config_dword;
}

/// A PCI power state (C's `pci_power_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub enum PowerState {
    /// Fully on.
    D0 = 0,
    /// Light sleep.
    D1 = 1,
    /// Deeper sleep.
    D2 = 2,
    /// Off, but config space reachable.
    D3Hot = 3,
}

/// Config space accesses done on behalf of userspace, and device properties.
///
/// The accessors go through `pci_user_{read,write}_config_*`, which wait while config access is
/// blocked (during a reset) and fail for a disconnected device; errors come back as errno, like
/// the C functions return them.
impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Reads a byte, word or dword (`T`) of config space for the user (`pci_user_read_config_*`);
    /// `off` must be aligned to the size of `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{device::Bound, pci, prelude::*};
    ///
    /// // Turns memory decode on, as a user's write to the command register would.
    /// fn enable_memory(pdev: &pci::Device<Bound>) -> Result {
    ///     let cmd: u16 = pdev.user_read_config(0x04)?;
    ///     pdev.user_write_config(0x04, cmd | 0x2)
    /// }
    /// # let _ = enable_memory;
    /// ```
    pub fn user_read_config<T: ConfigValue>(&self, off: u16) -> Result<T> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { T::user_read(self.as_raw(), off.into()) }
    }

    /// Writes a byte, word or dword (`T`) of config space for the user
    /// (`pci_user_write_config_*`); `off` must be aligned to the size of `T`.
    pub fn user_write_config<T: ConfigValue>(&self, off: u16, v: T) -> Result {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { T::user_write(self.as_raw(), off.into(), v) }
    }

    /// Returns the header type (`PCI_HEADER_TYPE_*`, without the multi-function bit).
    #[inline]
    pub fn hdr_type(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).hdr_type }
    }

    /// Returns whether the function is an SR-IOV virtual function.
    #[inline]
    pub fn is_virtfn(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).is_virtfn() != 0 }
    }

    /// Returns whether the function is PCI Express.
    #[inline]
    pub fn is_pcie(&self) -> bool {
        self.pcie_cap() != 0
    }

    /// Returns the offset of the PCI Express capability, or 0.
    #[inline]
    pub fn pcie_cap(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).pcie_cap }
    }

    /// Returns the offset of the MSI capability, or 0.
    #[inline]
    pub fn msi_cap(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).msi_cap }
    }

    /// Returns the offset of the MSI-X capability, or 0.
    #[inline]
    pub fn msix_cap(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).msix_cap }
    }

    /// Returns the legacy interrupt pin (1 = INTA .. 4 = INTD), or 0 if none.
    #[inline]
    pub fn interrupt_pin(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).pin }
    }

    /// Returns the IRQ number the legacy interrupt is routed to, or 0.
    #[inline]
    pub fn irq(&self) -> u32 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).irq }
    }

    /// Returns whether INTx can be masked through the command register (PCI 2.3).
    #[inline]
    pub fn intx_mask_supported(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).broken_intx_masking() == 0 }
    }

    /// Returns whether the BARs must not be mapped (a quirk of some devices).
    #[inline]
    pub fn non_mappable_bars(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).non_mappable_bars() != 0 }
    }

    /// Returns where resource `bar` starts, its length and its `IORESOURCE_*` flags, as the
    /// PCI core assigned them (C: `pci_resource_start`, `pci_resource_len` and the resource's
    /// flags), read straight from the `struct pci_dev`; `None` for an index out of range.
    ///
    /// For hot paths: one inlined read of three fields instead of three calls.
    #[inline]
    pub fn resource_span(&self, bar: u32) -> Option<ResourceSpan> {
        if bar >= bindings::PCI_NUM_RESOURCES {
            return None;
        }
        let i = usize::try_from(bar).ok()?;
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; `i` is in bounds.
        let r = unsafe { &(*self.as_raw()).resource[i] };
        let (start, end): (u64, u64) = (r.start.into(), r.end.into());
        // As `pci_resource_len`: zero while the resource has no end.
        let len = if end == 0 { 0 } else { end.wrapping_sub(start).wrapping_add(1) };
        Some(ResourceSpan {
            start,
            len,
            // CAST: `unsigned long` is 64 bits on every architecture VFIO PCI supports.
            flags: r.flags as u64,
        })
    }

    /// Returns the `IORESOURCE_*` flags of resource `bar` (0 for an index out of range).
    #[inline]
    pub fn resource_flags(&self, bar: u32) -> u64 {
        let Ok(i) = usize::try_from(bar) else {
            return 0;
        };
        if bar >= bindings::PCI_NUM_RESOURCES {
            return 0;
        }
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; `i` is in bounds.
        let flags = unsafe { (*self.as_raw()).resource[i].flags };
        // CAST: `unsigned long` is 64 bits on every architecture VFIO PCI supports.
        flags as u64
    }

    /// Returns the offset of standard capability `cap` in config space, if present.
    #[inline]
    pub fn find_capability(&self, cap: u8) -> Option<u8> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let pos = unsafe { bindings::pci_find_capability(self.as_raw(), cap.into()) };
        (pos != 0).then_some(pos)
    }

    /// Returns the offset of extended capability `cap` in config space, if present.
    #[inline]
    pub fn find_ext_capability(&self, cap: u16) -> Option<u16> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let pos = unsafe { bindings::pci_find_ext_capability(self.as_raw(), cap.into()) };
        (pos != 0).then_some(pos)
    }

    /// Returns the number of enabled SR-IOV virtual functions.
    #[inline]
    pub fn num_vf(&self) -> u32 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let n = unsafe { bindings::pci_num_vf(self.as_raw()) };
        n.try_into().unwrap_or(0)
    }

    /// Returns whether the function sits on a root bus (no bridge above it).
    #[inline]
    pub fn on_root_bus(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, whose `bus` is valid.
        unsafe { (*(*self.as_raw()).bus).self_.is_null() }
    }

    /// Returns an identifier of the function's bus, for grouping (never dereferenced).
    #[inline]
    pub fn bus_id(&self) -> *const c_void {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).bus.cast_const().cast() }
    }

    /// Returns an identifier of the function's hot-plug slot, if it has one.
    #[inline]
    pub fn slot_id(&self) -> Option<*const c_void> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let slot = unsafe { (*self.as_raw()).slot };
        (!slot.is_null()).then_some(slot.cast_const().cast())
    }

    /// Returns whether a slot reset of the function's slot is possible.
    #[inline]
    pub fn can_reset_slot(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; a NULL slot is allowed.
        unsafe { bindings::pci_probe_reset_slot((*self.as_raw()).slot) == 0 }
    }


    /// Returns whether a secondary bus reset of the function's bus is possible.
    #[inline]
    pub fn can_reset_bus(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, whose `bus` is valid.
        unsafe { bindings::pci_probe_reset_bus((*self.as_raw()).bus) == 0 }
    }
}

/// The sizes of atomic operations a function can complete (see
/// [`Device::atomic_ops_to_root`]).
#[derive(Clone, Copy, Default)]
pub struct AtomicOps {
    /// 32-bit atomic operations.
    pub comp32: bool,
    /// 64-bit atomic operations.
    pub comp64: bool,
    /// 128-bit compare-and-swap.
    pub comp128: bool,
}

/// A saved copy of the device's whole state (`struct pci_saved_state`).
///
/// # Invariants
///
/// `ptr` comes from `pci_store_saved_state` and is owned by this object.
pub struct SavedState {
    ptr: NonNull<bindings::pci_saved_state>,
}

// SAFETY: The saved state is a plain kernel allocation, usable from any thread.
unsafe impl Send for SavedState {}
// SAFETY: `&SavedState` allows nothing.
unsafe impl Sync for SavedState {}

impl Drop for SavedState {
    fn drop(&mut self) {
        // SAFETY: `ptr` is owned by `self` (type invariant); it is a `kmalloc` allocation.
        unsafe { bindings::kfree(self.ptr.as_ptr().cast()) };
    }
}

impl Device<device::Bound> {
    /// Sets the power state (`pci_set_power_state`).
    ///
    /// Only for a bound device: the power state belongs to the driver that has the device.
    #[inline]
    pub fn set_power_state(&self, state: PowerState) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        to_result(unsafe { bindings::pci_set_power_state(self.as_raw(), state as i32) })
    }

    /// Returns which sizes of atomic operations routed from the root port the function (or, for
    /// a VF, its PF) can complete, enabling the routing for each (`pci_enable_atomic_ops_to_root`).
    pub fn atomic_ops_to_root(&self) -> AtomicOps {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; `pci_physfn` returns it or its PF,
        // which a VF holds a reference to.
        let pf = unsafe { bindings::pci_physfn(self.as_raw()) };
        let mut cap2 = 0u32;
        // CAST: A config space offset, small.
        let pos = bindings::PCI_EXP_DEVCAP2 as c_int;
        // SAFETY: `pf` is a valid `struct pci_dev`; `cap2` is a valid output. On failure it
        // stays zero: nothing is supported.
        let _ = unsafe { bindings::pcie_capability_read_dword(pf, pos, &mut cap2) };
        let routed = |bit: u32| {
            // SAFETY: `pf` is a valid `struct pci_dev`.
            cap2 & bit != 0 && unsafe { bindings::pci_enable_atomic_ops_to_root(pf, bit) } == 0
        };
        AtomicOps {
            comp32: routed(bindings::PCI_EXP_DEVCAP2_ATOMIC_COMP32),
            comp64: routed(bindings::PCI_EXP_DEVCAP2_ATOMIC_COMP64),
            comp128: routed(bindings::PCI_EXP_DEVCAP2_ATOMIC_COMP128),
        }
    }

    /// Enables the device (`pci_enable_device`): wakes it up and turns on I/O and memory.
    #[inline]
    pub fn enable_device(&self) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        to_result(unsafe { bindings::pci_enable_device(self.as_raw()) })
    }

    /// Disables the device (`pci_disable_device`), balancing [`Device::enable_device`].
    #[inline]
    pub fn disable_device(&self) {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pci_disable_device(self.as_raw()) }
    }

    /// Clears bus mastering.
    #[inline]
    pub fn clear_master(&self) {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pci_clear_master(self.as_raw()) }
    }

    /// Enables or disables INTx through the command register.
    #[inline]
    pub fn intx(&self, enable: bool) {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pci_intx(self.as_raw(), enable.into()) }
    }

    /// Resets the function if nothing else holds its lock (`pci_try_reset_function`).
    ///
    /// Fails with `EAGAIN` if the device lock is contended, `ENOTTY` if no reset method works.
    #[inline]
    pub fn try_reset_function(&self) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        to_result(unsafe { bindings::pci_try_reset_function(self.as_raw()) })
    }

    /// Resets the slot or bus of the function, and every function below it (`pci_reset_bus`).
    #[inline]
    pub fn reset_bus(&self) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        to_result(unsafe { bindings::pci_reset_bus(self.as_raw()) })
    }

    /// Saves the device's state into the PCI core (`pci_save_state`).
    #[inline]
    pub fn save_state(&self) {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pci_save_state(self.as_raw()) };
    }

    /// Restores the state last saved into the PCI core (`pci_restore_state`).
    #[inline]
    pub fn restore_state(&self) {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pci_restore_state(self.as_raw()) }
    }

    /// Copies the state saved in the PCI core out, to be loaded back later.
    #[inline]
    pub fn store_saved_state(&self) -> Option<SavedState> {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        let ptr = unsafe { bindings::pci_store_saved_state(self.as_raw()) };
        // INVARIANT: The new allocation is owned by the returned object.
        NonNull::new(ptr).map(|ptr| SavedState { ptr })
    }

    /// Loads `state` back into the PCI core (to be applied by [`Device::restore_state`]).
    #[inline]
    pub fn load_saved_state(&self, state: SavedState) -> Result {
        let mut ptr = state.ptr.as_ptr();
        core::mem::forget(state);
        // SAFETY: `ptr` is owned (it came from `SavedState`); the function frees it and sets
        // it to NULL, whatever it returns.
        to_result(unsafe { bindings::pci_load_and_free_saved_state(self.as_raw(), &mut ptr) })
    }

    /// Requests BAR `bar` for the caller and maps it, memory or I/O port alike.
    ///
    /// The mapping is released when the returned object is dropped or, at the latest, when the
    /// device is unbound.
    pub fn map_bar(&self, bar: u32, name: &'static CStr) -> Result<Devres<IoMapping>> {
        if bar >= STD_NUM_BARS {
            return Err(EINVAL);
        }
        let len = self.resource_len(bar)?;
        if len == 0 {
            return Err(ENODEV);
        }
        // Before anything is requested or mapped: nothing to undo if it does not fit.
        let len = usize::try_from(len)?;
        let mask = 1i32 << bar;
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`; `name` is static.
        let ret = unsafe {
            bindings::pci_request_selected_regions(self.as_raw(), mask, name.as_char_ptr())
        };
        if ret != 0 {
            return Err(EBUSY);
        }
        // CAST: `bar` is below `STD_NUM_BARS`.
        let index = bar as i32;
        // SAFETY: The region is requested; `bar` is a valid standard BAR.
        let addr = unsafe { bindings::pci_iomap(self.as_raw(), index, 0) };
        let Some(addr) = NonNull::new(addr) else {
            // SAFETY: Requested just above.
            unsafe { bindings::pci_release_selected_regions(self.as_raw(), mask) };
            return Err(ENOMEM);
        };
        let (pfns, tail) = self.mappable_pages(bar, len);
        // INVARIANT: Requested and mapped above; `len` is the resource's length, which fits in
        // `usize` (checked before anything was requested); `pfns` cover the requested region
        // and, for a BAR smaller than a page, the reserved `tail`.
        let map = IoMapping {
            pdev: self.as_raw(),
            addr,
            len,
            bar,
            pfns,
            tail,
        };
        Devres::new(self.as_ref(), map)
    }

    /// Returns the page frames of memory BAR `bar` (of `len` bytes, requested) that userspace
    /// may map, and the reservation of the rest of its page that it needs to be mappable if it
    /// is smaller than a page.
    ///
    /// Userspace maps whole pages: a BAR of a page or more (sized and aligned to a power of
    /// two) is made of whole pages; a smaller one is mappable only if it starts a page and the
    /// rest of that page can be reserved, so that no BAR of another device can ever be put
    /// there. One that does not start a page is not mappable: userspace could not tell where
    /// in the page it is.
    fn mappable_pages(
        &self,
        bar: u32,
        len: usize,
    ) -> (Option<IoPfns>, Option<KBox<Opaque<bindings::resource>>>) {
        let flags = self.resource_flags(bar);
        let Ok(start) = self.resource_start(bar) else {
            return (None, None);
        };
        if self.non_mappable_bars() || flags & u64::from(bindings::IORESOURCE_MEM) == 0 {
            return (None, None);
        }
        // CAST: Widening.
        let page = bindings::PAGE_SIZE as u64;
        let start: u64 = start;
        if start % page != 0 {
            return (None, None);
        }
        let Ok(first) = usize::try_from(start >> bindings::PAGE_SHIFT) else {
            return (None, None);
        };
        let count = len.div_ceil(bindings::PAGE_SIZE);
        // SAFETY: Memory BAR `bar` of this device, requested by the caller: MMIO, not RAM.
        let pfns = unsafe { IoPfns::new(first, count) };
        // CAST: Widening.
        let len = len as u64;
        if len >= page {
            return (Some(pfns), None);
        }
        match self.reserve_page_tail(bar, start + len, start + page - 1, flags) {
            Some(tail) => (Some(pfns), Some(tail)),
            None => (None, None),
        }
    }

    /// Reserves `[start, end]`, the rest of the page of sub-page memory BAR `bar`, in the
    /// parent resource of that BAR.
    fn reserve_page_tail(
        &self,
        bar: u32,
        start: u64,
        end: u64,
        flags: u64,
    ) -> Option<KBox<Opaque<bindings::resource>>> {
        let res = KBox::new(Opaque::<bindings::resource>::zeroed(), GFP_KERNEL).ok()?;
        // CAST: `bar` is a standard BAR index, below `PCI_NUM_RESOURCES`.
        let i = bar as usize;
        // SAFETY: `res` is ours, not yet published; the device is valid and bound, so its
        // resource `i` and that resource's parent are stable.
        let ret = unsafe {
            let r = res.get();
            (*r).name = c"vfio sub-page reserved".as_char_ptr();
            (*r).start = start;
            (*r).end = end;
            // CAST: The flags came from an `unsigned long`.
            (*r).flags = flags as c_ulong;
            let parent = (*self.as_raw()).resource[i].parent;
            if parent.is_null() {
                return None;
            }
            bindings::request_resource(parent, r)
        };
        (ret == 0).then_some(res)
    }
}

/// A resource of a function as [`Device::resource_span`] reads it.
#[derive(Clone, Copy, Debug)]
pub struct ResourceSpan {
    /// The start address (C: `pci_resource_start`); 0 when the resource is not assigned.
    pub start: u64,
    /// The length in bytes (C: `pci_resource_len`).
    pub len: u64,
    /// The `IORESOURCE_*` flags.
    pub flags: u64,
}

/// A requested and mapped BAR, memory or I/O port, accessed with `ioread*`/`iowrite*`.
///
/// # Invariants
///
/// `addr` is the `pci_iomap` cookie of BAR `bar` of `pdev`, covering `len` bytes, and the
/// region is requested; both are undone by `Drop`, which `Devres` runs no later than the
/// unbinding of `pdev`.
pub struct IoMapping {
    pdev: *mut bindings::pci_dev,
    addr: NonNull<c_void>,
    len: usize,
    bar: u32,
    /// Where userspace may map the BAR, if it may (see [`IoMapping::pfns`]).
    pfns: Option<IoPfns>,
    /// For a memory BAR smaller than a page that starts a page: the rest of that page, reserved
    /// so that no other BAR can be placed in it, which lets the whole page be mapped.
    tail: Option<KBox<Opaque<bindings::resource>>>,
}

// SAFETY: The mapping is a cookie usable from any thread.
unsafe impl Send for IoMapping {}
// SAFETY: `ioread*`/`iowrite*` may be called concurrently; device-level ordering is the user's.
unsafe impl Sync for IoMapping {}

macro_rules! io_read_accessors {
    ($(($read:ident, $ty:ty, $cread:ident)),* $(,)?) => {
        $(
            #[doc = concat!("Reads a `", stringify!($ty), "` at `off` (little-endian device).")]
            #[inline]
            pub fn $read(&self, off: usize) -> Result<$ty> {
                let p = self.at(off, size_of::<$ty>())?;
                // SAFETY: `p` is inside the mapping (checked by `at`), suitably aligned.
                let v = unsafe { bindings::$cread(p.cast_const()) };
                // CAST: `ioreadN` returns the N-bit value zero-extended to `unsigned int`.
                Ok(v as $ty)
            }
        )*
    };
}

macro_rules! io_write_accessors {
    ($(($write:ident, $ty:ty, $cwrite:ident)),* $(,)?) => {
        $(
            #[doc = concat!("Writes a `", stringify!($ty), "` at `off` (little-endian device).")]
            #[inline]
            pub fn $write(&self, v: $ty, off: usize) -> Result {
                let p = self.at(off, size_of::<$ty>())?;
                // SAFETY: `p` is inside the mapping (checked by `at`), suitably aligned.
                unsafe { bindings::$cwrite(v, p) };
                Ok(())
            }
        )*
    };
}

/// Returns `base + off` if `[off, off + size)` lies inside `len` bytes and `off` is aligned.
#[inline]
fn io_at(base: NonNull<c_void>, len: usize, off: usize, size: usize) -> Result<*mut c_void> {
    if off % size != 0 || off.checked_add(size).is_none_or(|end| end > len) {
        return Err(EINVAL);
    }
    // SAFETY: `off + size <= len`: the result stays inside the mapping of `len` bytes.
    Ok(unsafe { base.as_ptr().cast::<u8>().add(off).cast() })
}

impl IoMapping {
    /// Returns the mapped length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the mapping is empty (never: BARs have a size).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the BAR index.
    #[inline]
    pub fn bar(&self) -> u32 {
        self.bar
    }

    /// Returns the page frames userspace may map for this BAR, or `None` if it may not (an I/O
    /// port BAR, a device whose BARs must not be mapped, a BAR smaller than a page that does
    /// not start one or whose page could not be reserved).
    #[inline]
    pub fn pfns(&self) -> Option<IoPfns> {
        self.pfns
    }

    #[inline]
    fn at(&self, off: usize, size: usize) -> Result<*mut c_void> {
        io_at(self.addr, self.len, off, size)
    }

    io_read_accessors!(
        (read8, u8, ioread8),
        (read16, u16, ioread16),
        (read32, u32, ioread32),
    );
    io_write_accessors!(
        (write8, u8, iowrite8),
        (write16, u16, iowrite16),
        (write32, u32, iowrite32),
    );

    /// Reads a `u64` at `off`: one 8-byte access on a memory BAR, two dwords (low first) on an
    /// I/O port BAR, which has no 8-byte accesses (`ioread64_lo_hi`).
    #[inline]
    pub fn read64(&self, off: usize) -> Result<u64> {
        let p = self.at(off, 8)?;
        // SAFETY: `p` is inside the mapping (checked by `at`), suitably aligned.
        Ok(unsafe { bindings::__ioread64_lo_hi(p.cast_const()) })
    }

    /// Writes a `u64` at `off`, as [`IoMapping::read64`] reads one (`iowrite64_lo_hi`).
    #[inline]
    pub fn write64(&self, v: u64, off: usize) -> Result {
        let p = self.at(off, 8)?;
        // SAFETY: `p` is inside the mapping (checked by `at`), suitably aligned.
        unsafe { bindings::__iowrite64_lo_hi(v, p) };
        Ok(())
    }

    /// Writes the low `size` (1, 2, 4 or 8) bytes of `v` at `off`, which need not be aligned to
    /// `size`: what an ioeventfd registered at any offset inside the BAR does, as in C. (On
    /// x86, where VFIO PCI runs, unaligned MMIO is allowed; the device sees what it sees.)
    pub fn write_unaligned(&self, v: u64, off: usize, size: usize) -> Result {
        if !matches!(size, 1 | 2 | 4 | 8) || off.checked_add(size).is_none_or(|e| e > self.len) {
            return Err(EINVAL);
        }
        // SAFETY: `off + size <= len`: inside the mapping.
        let p = unsafe { self.addr.as_ptr().cast::<u8>().add(off).cast::<c_void>() };
        // SAFETY: `p` is inside the mapping, with room for `size` bytes. CAST: each width writes
        // the low bytes of `v`.
        unsafe {
            match size {
                1 => bindings::iowrite8(v as u8, p),
                2 => bindings::iowrite16(v as u16, p),
                4 => bindings::iowrite32(v as u32, p),
                _ => bindings::__iowrite64_lo_hi(v, p),
            }
        };
        Ok(())
    }
}

impl Drop for IoMapping {
    fn drop(&mut self) {
        // SAFETY: Mapped and requested, by the type invariants; the device is still bound
        // (`Devres` drops the mapping no later than unbind).
        unsafe {
            bindings::pci_iounmap(self.pdev, self.addr.as_ptr());
            bindings::pci_release_selected_regions(self.pdev, 1 << self.bar);
        }
        if let Some(tail) = &self.tail {
            // SAFETY: Requested by `reserve_page_tail`, released only here.
            unsafe { bindings::release_resource(tail.get()) };
        }
    }
}

impl Device<device::Bound> {
    /// Resets the function with its lock, and its upstream bridge's, taken by trylock, without
    /// saving and restoring its state around the reset (`__pci_reset_function_locked`).
    ///
    /// Fails with `EAGAIN` if a lock is contended, `ENOTTY` if no reset method works.
    pub fn reset_function_trylock(&self) -> Result {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let bridge = unsafe { bindings::pci_upstream_bridge(self.as_raw()) };
        // SAFETY: `bridge`, if not NULL, is a valid device (the parent of ours).
        if !bridge.is_null() && unsafe { bindings::pci_dev_trylock(bridge) } == 0 {
            return Err(EAGAIN);
        }
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let ret = if unsafe { bindings::pci_dev_trylock(self.as_raw()) } != 0 {
            // SAFETY: The device lock is held, as the function requires.
            let r = to_result(unsafe { bindings::__pci_reset_function_locked(self.as_raw()) });
            // SAFETY: Locked just above.
            unsafe { bindings::pci_dev_unlock(self.as_raw()) };
            r
        } else {
            Err(EAGAIN)
        };
        if !bridge.is_null() {
            // SAFETY: Locked above.
            unsafe { bindings::pci_dev_unlock(bridge) };
        }
        ret
    }
}

/// The expansion ROM, mapped for reading (`pci_map_rom`).
///
/// # Invariants
///
/// `addr` is the mapping `pci_map_rom` returned for `pdev`, of `len` bytes (the ROM images, not
/// the whole BAR); `Drop` unmaps it.
pub struct RomMapping<'a> {
    pdev: &'a Device<device::Bound>,
    addr: NonNull<c_void>,
    len: usize,
}

impl Device<device::Bound> {
    /// Maps the expansion ROM for reading, if it has a valid image. Memory decode must be on.
    pub fn map_rom(&self) -> Option<RomMapping<'_>> {
        let mut len = 0usize;
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`; `len` is a valid output.
        let addr = unsafe { bindings::pci_map_rom(self.as_raw(), &mut len) };
        // INVARIANT: Mapped just above, with its size.
        NonNull::new(addr.cast()).map(|addr| RomMapping {
            pdev: self,
            addr,
            len,
        })
    }
}

impl RomMapping<'_> {
    /// Returns the size of the ROM images in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the ROM holds no image.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn at(&self, off: usize, size: usize) -> Result<*mut c_void> {
        io_at(self.addr, self.len, off, size)
    }

    io_read_accessors!(
        (read8, u8, ioread8),
        (read16, u16, ioread16),
        (read32, u32, ioread32),
    );
}

impl Drop for RomMapping<'_> {
    fn drop(&mut self) {
        // SAFETY: `addr` was returned by `pci_map_rom` for `pdev` (type invariant).
        unsafe { bindings::pci_unmap_rom(self.pdev.as_raw(), self.addr.as_ptr().cast()) };
    }
}

/// The value of `pci_dev::irq` when the legacy interrupt is not connected (`IRQ_NOTCONNECTED`).
pub const IRQ_NOTCONNECTED: u32 = 1 << 31;

/// Device state that config space virtualization mirrors to the user.
impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns the current power state as the PCI core tracks it (C's `pci_power_t`: `0` is D0,
    /// `3` D3hot, `4` D3cold, `5` unknown, `-1` an error).
    #[inline]
    pub fn current_power_state(&self) -> i32 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).current_state }
    }

    /// Returns whether the function does not implement the memory enable bit of the command
    /// register (SR-IOV VFs and some quirky devices).
    #[inline]
    pub fn no_command_memory(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        unsafe { (*self.as_raw()).no_command_memory() != 0 }
    }

    /// Returns the size of the platform's shadow copy of the expansion ROM, or 0 if there is
    /// none (`pdev->rom`/`pdev->romlen`).
    #[inline]
    pub fn shadow_rom_len(&self) -> usize {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let (rom, len) = unsafe { ((*self.as_raw()).rom, (*self.as_raw()).romlen) };
        if rom != 0 {
            len
        } else {
            0
        }
    }
}

/// Vital product data and PCI Express device control.
impl Device<device::Bound> {
    /// Reads `buf.len()` bytes of vital product data at `pos` (`pci_read_vpd`).
    ///
    /// Returns the number of bytes read.
    pub fn read_vpd(&self, pos: u32, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`; `buf` is valid for writes
        // of `buf.len()` bytes.
        let ret = unsafe {
            bindings::pci_read_vpd(
                self.as_raw(),
                pos.into(),
                buf.len(),
                buf.as_mut_ptr().cast(),
            )
        };
        // CAST: A negative `ssize_t` is an errno, which fits in `c_int`.
        usize::try_from(ret).map_err(|_| Error::from_errno(ret as c_int))
    }

    /// Writes `buf` to the vital product data at `pos` (`pci_write_vpd`).
    ///
    /// Returns the number of bytes written.
    pub fn write_vpd(&self, pos: u32, buf: &[u8]) -> Result<usize> {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`; `buf` is valid for reads
        // of `buf.len()` bytes.
        let ret = unsafe {
            bindings::pci_write_vpd(self.as_raw(), pos.into(), buf.len(), buf.as_ptr().cast())
        };
        // CAST: A negative `ssize_t` is an errno, which fits in `c_int`.
        usize::try_from(ret).map_err(|_| Error::from_errno(ret as c_int))
    }

    /// Returns the maximum payload size the function is set to, in bytes (`pcie_get_mps`).
    #[inline]
    pub fn pcie_get_mps(&self) -> i32 {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        unsafe { bindings::pcie_get_mps(self.as_raw()) }
    }

    /// Sets the maximum read request size, in bytes (`pcie_set_readrq`).
    #[inline]
    pub fn pcie_set_readrq(&self, rq: i32) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`.
        to_result(unsafe { bindings::pcie_set_readrq(self.as_raw(), rq) })
    }
}
