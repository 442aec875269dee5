// SPDX-License-Identifier: GPL-2.0

//! Legacy VGA: the VGA arbiter and the fixed legacy VGA ranges.
//!
//! C header: [`include/linux/vgaarb.h`](srctree/include/linux/vgaarb.h)
//!
//! A VGA-compatible display controller answers, besides its BARs, at addresses fixed since the
//! first PCs: the memory window `0xa0000..0xc0000` and the I/O ports `0x3b0..0x3bc` and
//! `0x3c0..0x3e0`. Only one device at a time can receive them; the VGA arbiter routes them,
//! through the command registers of the devices and the VGA enable bits of the bridges, to
//! whichever device asks for them. A driver that owns a VGA device registers as an arbiter client
//! to say which of these resources its device decodes ([`ClientRegistration`]) and holds the
//! arbiter's lock on a range while it accesses it ([`LegacyAccess`]).
//!
//! Without `CONFIG_VGA_ARB` the arbiter calls do nothing and succeed.

use super::Device;
use crate::{
    bindings,
    device,
    error::to_result,
    prelude::*,
    sync::aref::ARef, //
};
use core::{
    marker::PhantomData,
    ops::BitOr,
    ptr::NonNull, //
};

/// A set of legacy and normal resources a VGA device may decode (C's `VGA_RSRC_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Decodes(u32);

impl Decodes {
    /// Nothing.
    pub const NONE: Self = Self(bindings::VGA_RSRC_NONE);
    /// The legacy I/O ports.
    pub const LEGACY_IO: Self = Self(bindings::VGA_RSRC_LEGACY_IO);
    /// The legacy memory window.
    pub const LEGACY_MEM: Self = Self(bindings::VGA_RSRC_LEGACY_MEM);
    /// The device's own I/O BARs.
    pub const NORMAL_IO: Self = Self(bindings::VGA_RSRC_NORMAL_IO);
    /// The device's own memory BARs.
    pub const NORMAL_MEM: Self = Self(bindings::VGA_RSRC_NORMAL_MEM);
    /// Everything: what the arbiter assumes of a device until told otherwise.
    pub const ALL: Self = Self(
        bindings::VGA_RSRC_LEGACY_IO
            | bindings::VGA_RSRC_LEGACY_MEM
            | bindings::VGA_RSRC_NORMAL_IO
            | bindings::VGA_RSRC_NORMAL_MEM,
    );

    /// Returns the C bit mask.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Returns whether every resource of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Decodes {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// One of the legacy VGA ranges.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LegacyRange {
    /// The memory window `0xa0000..0xc0000`.
    Memory,
    /// The I/O ports `0x3b0..0x3bc` (registers of the monochrome adapter).
    MonoIo,
    /// The I/O ports `0x3c0..0x3e0` (registers of the colour adapter, and the common ones).
    ColorIo,
}

impl LegacyRange {
    /// Returns the first address (memory) or port (I/O) of the range.
    pub const fn start(self) -> u64 {
        match self {
            Self::Memory => 0xa0000,
            Self::MonoIo => 0x3b0,
            Self::ColorIo => 0x3c0,
        }
    }

    /// Returns the size of the range in bytes.
    pub const fn size(self) -> usize {
        match self {
            Self::Memory => 0x20000,
            Self::MonoIo => 0xc,
            Self::ColorIo => 0x20,
        }
    }

    /// Returns the range holding `addr`, an address or a port number, if any.
    pub fn containing(addr: u64) -> Option<Self> {
        [Self::Memory, Self::MonoIo, Self::ColorIo]
            .into_iter()
            // CAST: A range's size is below 1 MiB.
            .find(|r| addr >= r.start() && addr - r.start() < r.size() as u64)
    }

    /// Returns whether the range is I/O port space.
    pub const fn is_io(self) -> bool {
        !matches!(self, Self::Memory)
    }

    /// The arbiter resource that routes this range.
    const fn resource(self) -> Decodes {
        if self.is_io() {
            Decodes::LEGACY_IO
        } else {
            Decodes::LEGACY_MEM
        }
    }
}

/// The class code (base class and subclass) of a VGA-compatible display controller.
const CLASS_DISPLAY_VGA: u32 = bindings::PCI_CLASS_DISPLAY_VGA;

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns whether the function is a VGA-compatible display controller (any programming
    /// interface).
    pub fn is_vga(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let class = unsafe { (*self.as_raw()).class };
        class >> 8 == CLASS_DISPLAY_VGA
    }

    /// Tells the arbiter which resources the device decodes (`vga_set_legacy_decoding`).
    pub fn vga_set_legacy_decoding(&self, decodes: Decodes) {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`; a device the arbiter does not know
        // is ignored.
        unsafe { bindings::vga_set_legacy_decoding(self.as_raw(), decodes.bits()) }
    }

    /// Returns whether the device is the arbiter's default VGA device, the boot display
    /// (`vga_default_device`).
    pub fn is_vga_default_device(&self) -> bool {
        // SAFETY: No requirements; the pointer is only compared.
        let default = unsafe { bindings::vga_default_device() };
        core::ptr::eq(default, self.as_raw())
    }

    /// Returns whether the function's bus is a root bus (`pci_is_root_bus`).
    pub fn is_on_root_bus(&self) -> bool {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, with a valid `bus`.
        unsafe { bindings::pci_is_root_bus((*self.as_raw()).bus) }
    }

    /// Returns the highest bus number behind the function's bus (`pci_bus_max_busnr`).
    pub fn bus_max_busnr(&self) -> u8 {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`, with a valid `bus`.
        unsafe { bindings::pci_bus_max_busnr((*self.as_raw()).bus) }
    }
}

/// Every VGA-compatible display controller of the system, in the PCI core's order
/// (`pci_get_class`).
///
/// # Invariants
///
/// `cur`, if any, is the device returned last, on which the iterator holds a reference.
pub struct VgaDevices {
    cur: Option<ARef<Device>>,
}

impl VgaDevices {
    /// Starts the walk.
    pub fn new() -> Self {
        Self { cur: None }
    }
}

impl Default for VgaDevices {
    fn default() -> Self {
        Self::new()
    }
}

impl Iterator for VgaDevices {
    type Item = ARef<Device>;

    fn next(&mut self) -> Option<ARef<Device>> {
        let from = match self.cur.take() {
            Some(d) => ARef::into_raw(d).as_ptr().cast::<bindings::pci_dev>(),
            None => core::ptr::null_mut(),
        };
        // SAFETY: `from` is NULL or a device on which we own a reference (the type invariant,
        // handed over by `into_raw`); `pci_get_class` drops that reference.
        let next = unsafe { bindings::pci_get_class(CLASS_DISPLAY_VGA << 8, from) };
        let next = NonNull::new(next.cast::<Device>())?;
        // SAFETY: `pci_get_class` returns the device with a reference that is now ours; `Device`
        // is a transparent wrapper of `struct pci_dev`.
        let dev = unsafe { ARef::from_raw(next) };
        // INVARIANT: The clone keeps a reference on the device returned.
        self.cur = Some(dev.clone());
        Some(dev)
    }
}

/// A VGA arbiter client: says which resources its device decodes.
pub trait Client {
    /// Returns the resources `pdev` decodes. `single_vga` is true when the arbiter knows no other
    /// VGA device.
    ///
    /// The arbiter calls it with a spinlock held and interrupts off: it must not sleep.
    fn set_decode(pdev: &Device, single_vga: bool) -> Decodes;
}

/// The registration of a device as a client of the VGA arbiter (`vga_client_register`).
///
/// # Invariants
///
/// `pdev` is registered with the arbiter, with [`Client::set_decode`] of `T` as its callback,
/// until `Drop` unregisters it.
pub struct ClientRegistration<T: Client> {
    pdev: ARef<Device>,
    _client: PhantomData<T>,
}

impl<T: Client> ClientRegistration<T> {
    /// Registers `pdev` with the arbiter. Fails with `ENODEV` if the arbiter does not know the
    /// device.
    pub fn new(pdev: &Device<device::Bound>) -> Result<Self> {
        // SAFETY: `pdev.as_raw()` is a valid `struct pci_dev`; the callback stays valid until
        // `Drop` unregisters it (it is a function of this module).
        to_result(unsafe {
            bindings::vga_client_register(pdev.as_raw(), Some(Self::set_decode_callback))
        })?;
        // INVARIANT: Registered just above.
        Ok(Self {
            pdev: pdev.into(),
            _client: PhantomData,
        })
    }

    /// # Safety
    ///
    /// `pdev` must be a valid `struct pci_dev` (the arbiter passes the registered device).
    unsafe extern "C" fn set_decode_callback(
        pdev: *mut bindings::pci_dev,
        single_vga: bool,
    ) -> u32 {
        // SAFETY: `pdev` is valid (the function's safety requirement); `Device` is a transparent
        // wrapper of `struct pci_dev`.
        let pdev = unsafe { &*pdev.cast::<Device>() };
        T::set_decode(pdev, single_vga).bits()
    }
}

impl<T: Client> Drop for ClientRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: `pdev` is valid (we hold a reference) and registered (type invariant).
        unsafe { bindings::vga_client_unregister(self.pdev.as_raw()) }
    }
}

impl Device<device::Bound> {
    /// Detaches the firmware frame buffers and consoles that use the device's memory BARs, and
    /// for the boot display the VGA text console too (`aperture_remove_conflicting_pci_devices`):
    /// what a driver taking over a display device does first.
    pub fn remove_conflicting_framebuffers(&self, name: &'static CStr) -> Result {
        // SAFETY: `self.as_raw()` is a valid, bound `struct pci_dev`; `name` is static.
        to_result(unsafe {
            bindings::aperture_remove_conflicting_pci_devices(self.as_raw(), name.as_char_ptr())
        })
    }

    /// Maps legacy range `range` and takes the arbiter's lock on it for this device, waiting
    /// (interruptibly) for other users of the range to let go (`vga_get_interruptible`).
    ///
    /// Fails with `ENOMEM` if the range cannot be mapped, `EINTR` if a signal interrupts the
    /// wait, `ENODEV` if the arbiter does not know the device.
    pub fn vga_legacy_access(&self, range: LegacyRange) -> Result<LegacyAccess<'_>> {
        let addr = if range.is_io() {
            // CAST: The I/O ranges are ports below 0x400, a few bytes long.
            let (port, size) = (range.start() as usize, range.size() as u32);
            // SAFETY: Mapping a range of I/O ports has no requirements.
            unsafe { bindings::ioport_map(port, size) }
        } else {
            // SAFETY: Mapping a range of physical addresses has no requirements.
            unsafe { bindings::ioremap(range.start(), range.size()) }
        };
        let addr = NonNull::new(addr).ok_or(ENOMEM)?;
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let ret =
            unsafe { bindings::vga_get_interruptible(self.as_raw(), range.resource().bits()) };
        if let Err(e) = to_result(ret) {
            // SAFETY: Mapped just above, for `range`.
            unsafe { unmap(range, addr) };
            return Err(e);
        }
        // INVARIANT: Mapped and taken above.
        Ok(LegacyAccess {
            pdev: self,
            range,
            addr,
        })
    }
}

/// Undoes the mapping of `range` at `addr`.
///
/// # Safety
///
/// `addr` must be a live mapping of `range` made by [`Device::vga_legacy_access`] (`ioport_map`
/// for I/O, `ioremap` for memory), not used afterwards.
unsafe fn unmap(range: LegacyRange, addr: NonNull<c_void>) {
    if range.is_io() {
        // SAFETY: `addr` came from `ioport_map` (the function's safety requirement).
        unsafe { bindings::ioport_unmap(addr.as_ptr()) }
    } else {
        // SAFETY: `addr` came from `ioremap` (the function's safety requirement).
        unsafe { bindings::iounmap(addr.as_ptr()) }
    }
}

/// A legacy VGA range, mapped, routed to a device and held for it by the arbiter.
///
/// # Invariants
///
/// `addr` maps the whole of `range` (with `ioport_map` for I/O, `ioremap` for memory), and the
/// arbiter holds `range`'s resource for `pdev` until `Drop` releases it and unmaps the range.
pub struct LegacyAccess<'a> {
    pdev: &'a Device<device::Bound>,
    range: LegacyRange,
    addr: NonNull<c_void>,
}

macro_rules! legacy_accessors {
    ($(($read:ident, $write:ident, $ty:ty, $cread:ident, $cwrite:ident)),* $(,)?) => {
        $(
            #[doc = concat!("Reads a `", stringify!($ty), "` at offset `off` of the range.")]
            pub fn $read(&self, off: usize) -> Result<$ty> {
                let p = self.at(off, size_of::<$ty>())?;
                // SAFETY: `p` is inside the mapping (checked by `at`) and naturally aligned.
                let v = unsafe { bindings::$cread(p.cast_const()) };
                // CAST: `ioreadN` returns the N-bit value zero-extended.
                Ok(v as $ty)
            }

            #[doc = concat!("Writes a `", stringify!($ty), "` at offset `off` of the range.")]
            pub fn $write(&self, v: $ty, off: usize) -> Result {
                let p = self.at(off, size_of::<$ty>())?;
                // SAFETY: `p` is inside the mapping (checked by `at`) and naturally aligned.
                unsafe { bindings::$cwrite(v, p) };
                Ok(())
            }
        )*
    };
}

impl LegacyAccess<'_> {
    /// Returns the range.
    pub fn range(&self) -> LegacyRange {
        self.range
    }

    /// Returns the address of `size` bytes at `off`, if they lie in the range and are aligned.
    fn at(&self, off: usize, size: usize) -> Result<*mut c_void> {
        if off % size != 0
            || off
                .checked_add(size)
                .is_none_or(|end| end > self.range.size())
        {
            return Err(EINVAL);
        }
        // SAFETY: `off + size` is within the mapping of `range.size()` bytes (type invariant).
        Ok(unsafe { self.addr.as_ptr().cast::<u8>().add(off).cast() })
    }

    legacy_accessors!(
        (read8, write8, u8, ioread8, iowrite8),
        (read16, write16, u16, ioread16, iowrite16),
        (read32, write32, u32, ioread32, iowrite32),
    );
}

impl Drop for LegacyAccess<'_> {
    fn drop(&mut self) {
        // SAFETY: The arbiter holds the range's resource for `pdev` (type invariant).
        unsafe { bindings::vga_put(self.pdev.as_raw(), self.range.resource().bits()) };
        // SAFETY: `addr` maps `range` (type invariant) and is not used after this.
        unsafe { unmap(self.range, self.addr) };
    }
}
