// SPDX-License-Identifier: GPL-2.0

//! The platform's copy of a function's expansion ROM.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! Firmware may hand the kernel the ROM images of a device (on x86, EFI does for devices whose
//! ROM it ran), kept in memory at `pci_dev::rom`, `pci_dev::romlen` bytes long. Where the ROM BAR
//! is unusable (not assigned, or the image in flash is not the one the firmware used) this copy
//! is the device's ROM.

use super::Device;
use crate::{
    bindings,
    device,
    prelude::*, //
};
use core::ptr::NonNull;

impl Device<device::Bound> {
    /// Maps the platform's copy of the expansion ROM for reading, if there is one.
    pub fn map_platform_rom(&self) -> Option<PlatformRom<'_>> {
        // SAFETY: `self.as_raw()` is a valid `struct pci_dev`.
        let (rom, len) = unsafe { ((*self.as_raw()).rom, (*self.as_raw()).romlen) };
        if rom == 0 || len == 0 {
            return None;
        }
        // SAFETY: Mapping a range of physical addresses has no requirements.
        let addr = unsafe { bindings::ioremap(rom, len) };
        // INVARIANT: Mapped just above, `len` bytes.
        NonNull::new(addr).map(|addr| PlatformRom {
            _pdev: self,
            addr,
            len,
        })
    }
}

/// The platform's copy of the expansion ROM, mapped for reading.
///
/// # Invariants
///
/// `addr` is an `ioremap` of the `len` bytes of the copy; `Drop` unmaps it.
pub struct PlatformRom<'a> {
    _pdev: &'a Device<device::Bound>,
    addr: NonNull<c_void>,
    len: usize,
}

macro_rules! rom_accessors {
    ($(($read:ident, $ty:ty, $cread:ident)),* $(,)?) => {
        $(
            #[doc = concat!("Reads a `", stringify!($ty), "` at offset `off`.")]
            pub fn $read(&self, off: usize) -> Result<$ty> {
                let p = self.at(off, size_of::<$ty>())?;
                // SAFETY: `p` is inside the mapping (checked by `at`) and naturally aligned.
                let v = unsafe { bindings::$cread(p.cast_const()) };
                // CAST: `ioreadN` returns the N-bit value zero-extended.
                Ok(v as $ty)
            }
        )*
    };
}

impl PlatformRom<'_> {
    /// Returns the size of the copy in bytes (`pci_dev::romlen`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the copy is empty (never: an empty one is not mapped).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the address of `size` bytes at `off`, if they lie in the copy and are aligned.
    fn at(&self, off: usize, size: usize) -> Result<*mut c_void> {
        if off % size != 0 || off.checked_add(size).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        // SAFETY: `off + size <= len`: inside the mapping (type invariant).
        Ok(unsafe { self.addr.as_ptr().cast::<u8>().add(off).cast() })
    }

    rom_accessors!(
        (read8, u8, ioread8),
        (read16, u16, ioread16),
        (read32, u32, ioread32),
    );
}

impl Drop for PlatformRom<'_> {
    fn drop(&mut self) {
        // SAFETY: `addr` came from `ioremap` (type invariant) and is not used after this.
        unsafe { bindings::iounmap(self.addr.as_ptr()) }
    }
}
