// SPDX-License-Identifier: GPL-2.0

//! The platform's copy of the expansion ROM (`pci_dev::rom`), for a device whose ROM BAR is not
//! assigned: what the ROM paths of `vfio_pci_core.c` (region info) and `vfio_pci_rdwr.c`
//! (`vfio_pci_bar_rw`) do for it in C.
//!
//! The ROM region then reports the copy's size rounded up to a power of two, as a BAR would be;
//! reads past the copy return all ones. (A shadow ROM that the PCI core placed in the ROM
//! resource itself, `IORESOURCE_ROM_SHADOW`, is a ROM BAR like any other to this driver:
//! `pci_map_rom` finds the copy.)

#![forbid(unsafe_code)]

use crate::{
    pci_core::{
        index_to_offset,
        Device, //
    },
    rdwr::UserBuf,
    vga::{
        io_rw,
        user_len,
        Access, //
    },
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::{
            RESOURCE_MEM,
            ROM_RESOURCE, //
        },
    },
    prelude::*,
    uapi,
    vfio, //
};

/// The size the ROM region reports for the platform's copy: its length rounded up to a power of
/// two, or `None` if there is no copy.
fn size(pdev: &pci::Device<Bound>) -> Option<u64> {
    let len = pdev.shadow_rom_len();
    if len == 0 {
        return None;
    }
    // CAST: A ROM length fits in 64 bits.
    (len as u64).checked_next_power_of_two()
}

/// Region info for a ROM region without a ROM BAR: the platform's copy, if any, else nothing
/// (size 0, no flags), as the caller has set.
pub(crate) fn region_info(pdev: &pci::Device<Bound>, info: &mut vfio::RegionInfo) {
    if let Some(size) = size(pdev) {
        info.offset = index_to_offset(info.index);
        info.flags = uapi::VFIO_REGION_INFO_FLAG_READ;
        info.size = size;
    }
}

/// `read()` of the ROM region without a ROM BAR: from the platform's copy.
pub(crate) fn read(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    mut buf: UserBuf,
    pos: u64,
) -> Result<usize> {
    let end = size(pdev).ok_or(EINVAL)?;
    if pos >= end {
        return Err(EINVAL);
    }
    // CAST: `pos < end`, a ROM size.
    let (pos, end) = (pos as usize, end as usize);
    let count = user_len(&buf).min(end - pos);
    let rom = pdev.map_platform_rom().ok_or(ENOMEM)?;
    let test_mem = pdev.resource_flags(ROM_RESOURCE) & RESOURCE_MEM != 0;
    // Past the copy, up to the power of two: all ones.
    io_rw(&mut buf, pos, count, rom.len()..end, |off, n, access| {
        if let Access::Write(_) = access {
            return Err(EINVAL);
        }
        let mem = dev.memory_read();
        if test_mem && !mem.memory_enabled(pdev) {
            return Err(EIO);
        }
        Ok(match n {
            4 => rom.read32(off)?,
            2 => rom.read16(off)?.into(),
            _ => rom.read8(off)?.into(),
        })
    })
}
