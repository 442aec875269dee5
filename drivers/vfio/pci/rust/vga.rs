// SPDX-License-Identifier: GPL-2.0

//! VGA: the legacy VGA ranges as region `VFIO_PCI_VGA_REGION_INDEX`, and the device's part in
//! VGA arbitration. What `vfio_pci_core.c` (`vfio_pci_vga_init`, `vfio_pci_set_decode`, the VGA
//! region info) and `vfio_pci_rdwr.c` (`vfio_pci_vga_rw`) do in C.
//!
//! The region is offered for VGA-class devices unless the `disable_vga` parameter is set (and
//! only with the VGA arbiter, `CONFIG_VGA_ARB`, on x86, as `CONFIG_VFIO_PCI_VGA` requires in C).
//! Its offsets are the legacy addresses themselves: the memory window `0xa0000..0xc0000` and the
//! I/O ports `0x3b0..0x3bc` and `0x3c0..0x3e0`; everything else in it is invalid. Every access
//! takes the arbiter's lock on the range for the device, for the whole `read()` or `write()`.
//! Legacy memory is not a BAR: it is accessed whatever the memory enable bit says.
//!
//! Every VGA-class device bound to the driver, offered the region or not, is registered with the
//! arbiter: it decodes everything, except that with `disable_vga` the legacy ranges of a device
//! behind a bridge that no other VGA device shares are reported as not decoded (the user cannot
//! reach them, and the bridge can stop routing them).

#![forbid(unsafe_code)]

use crate::{
    pci_core::index_to_offset,
    rdwr::UserBuf, //
};
use kernel::{
    device::Bound,
    pci::{
        self,
        vga::{
            self,
            Decodes,
            LegacyRange, //
        },
    },
    prelude::*,
    sync::aref::ARef,
    uapi,
    vfio, //
};

/// The size of the VGA region: it spans offsets `0..0xc0000`, though only the legacy ranges in
/// it are valid.
const REGION_SIZE: u64 = 0xc0000;

/// Whether VGA access is disabled for every device (the `disable_vga` parameter, or no VGA
/// support in the kernel).
///
/// The parameter is read-only, so reading it now is reading the value latched at load.
fn vga_disabled() -> bool {
    !cfg!(all(CONFIG_X86, CONFIG_VGA_ARB)) || crate::module_parameters::disable_vga.value()
}

/// Whether the VGA region is offered for `pdev` (C's `has_vga`).
pub(crate) fn has_vga(pdev: &pci::Device<Bound>) -> bool {
    !vga_disabled() && pdev.is_vga()
}

/// `VFIO_DEVICE_GET_REGION_INFO` for `VFIO_PCI_VGA_REGION_INDEX`.
pub(crate) fn region_info(pdev: &pci::Device<Bound>, info: &mut vfio::RegionInfo) -> Result {
    if !has_vga(pdev) {
        return Err(EINVAL);
    }
    info.offset = index_to_offset(info.index);
    info.size = REGION_SIZE;
    info.flags = uapi::VFIO_REGION_INFO_FLAG_READ | uapi::VFIO_REGION_INFO_FLAG_WRITE;
    Ok(())
}

/// `read()` or `write()` at `pos` of the VGA region: C's `vfio_pci_vga_rw`.
///
/// The access stops at the end of the legacy range `pos` is in; it is split into naturally
/// aligned chunks of at most 4 bytes.
pub(crate) fn rw(pdev: &pci::Device<Bound>, mut buf: UserBuf, pos: u64) -> Result<usize> {
    if !has_vga(pdev) || pos >= REGION_SIZE {
        return Err(EINVAL);
    }
    let range = LegacyRange::containing(pos).ok_or(EINVAL)?;
    // CAST: `pos` is inside the range, whose length is a `usize`.
    let off = (pos - range.start()) as usize;
    let count = user_len(&buf).min(range.size() - off);
    let io = pdev.vga_legacy_access(range)?;
    io_rw(&mut buf, off, count, 0..0, |off, n, access| match access {
        Access::Read => Ok(match n {
            4 => io.read32(off)?,
            2 => io.read16(off)?.into(),
            _ => io.read8(off)?.into(),
        }),
        Access::Write(v) => {
            // CAST: Each arm writes the `n` low bytes of `v`, which came from `n` user bytes.
            match n {
                4 => io.write32(v, off)?,
                2 => io.write16(v as u16, off)?,
                _ => io.write8(v as u8, off)?,
            }
            Ok(0)
        }
    })
}

/// Returns how many bytes the user buffer holds (a write) or has room for (a read).
pub(crate) fn user_len(buf: &UserBuf) -> usize {
    match buf {
        UserBuf::Read(w) => w.len(),
        UserBuf::Write(r) => r.len(),
    }
}

/// What one chunk of [`io_rw`] does.
pub(crate) enum Access {
    /// Read the chunk: the closure returns its value.
    Read,
    /// Write this value (the chunk's bytes, little-endian, zero-extended).
    Write(u32),
}

/// Moves `count` bytes between `buf` and a window at offset `off`, in naturally aligned chunks
/// of 4, 2 or 1 bytes, each through `access(offset, size, what)`; the part of the window in
/// `hole` is not accessed: it reads as all ones and drops writes. C's `vfio_pci_core_do_io_rw`
/// with a maximum width of 4 bytes.
pub(crate) fn io_rw(
    buf: &mut UserBuf,
    mut off: usize,
    mut count: usize,
    hole: core::ops::Range<usize>,
    mut access: impl FnMut(usize, usize, Access) -> Result<u32>,
) -> Result<usize> {
    let mut done = 0;
    while count > 0 {
        let fillable = if off < hole.start {
            count.min(hole.start - off)
        } else if off >= hole.end {
            count
        } else {
            0
        };
        let n = if fillable >= 4 && off % 4 == 0 {
            4
        } else if fillable >= 2 && off % 2 == 0 {
            2
        } else if fillable > 0 {
            1
        } else {
            // Inside the hole: up to its end.
            let k = count.min(hole.end - off);
            match buf {
                UserBuf::Write(r) => r.skip(k)?,
                UserBuf::Read(w) => {
                    let ones = [0xffu8; 64];
                    let mut left = k;
                    while left > 0 {
                        let m = left.min(ones.len());
                        w.write_slice(&ones[..m])?;
                        left -= m;
                    }
                }
            }
            count -= k;
            done += k;
            off += k;
            continue;
        };
        match buf {
            UserBuf::Write(r) => {
                let mut b = [0u8; 4];
                r.read_slice(&mut b[..n])?;
                access(off, n, Access::Write(u32::from_le_bytes(b)))?;
            }
            UserBuf::Read(w) => {
                let v = access(off, n, Access::Read)?;
                w.write_slice(&v.to_le_bytes()[..n])?;
            }
        }
        count -= n;
        done += n;
        off += n;
    }
    Ok(done)
}

/// The driver as a VGA arbiter client: C's `vfio_pci_set_decode`.
struct Client;

impl vga::Client for Client {
    fn set_decode(pdev: &pci::Device, single_vga: bool) -> Decodes {
        if single_vga || !vga_disabled() || pdev.is_on_root_bus() {
            return Decodes::ALL;
        }
        // The legacy ranges are not decoded unless another VGA device (not on a root bus) sits
        // on this device's bus or below it: then the bridge must keep routing them.
        let (domain, bus, max_bus) = (pdev.domain_nr(), pdev.bus_number(), pdev.bus_max_busnr());
        let shared = vga::VgaDevices::new().any(|other| {
            !core::ptr::eq(&*other, pdev)
                && other.domain_nr() == domain
                && !other.is_on_root_bus()
                && (bus..=max_bus).contains(&other.bus_number())
        });
        let normal = Decodes::NORMAL_IO | Decodes::NORMAL_MEM;
        if shared {
            normal | Decodes::LEGACY_IO | Decodes::LEGACY_MEM
        } else {
            normal
        }
    }
}

/// A VGA device's registration with the arbiter, from probe to unbind (C's `vfio_pci_vga_init`
/// and `vfio_pci_vga_uninit`); nothing for other devices.
pub(crate) struct VgaBinding {
    /// The device and its client registration, for a VGA device.
    client: Option<(ARef<pci::Device>, vga::ClientRegistration<Client>)>,
}

impl VgaBinding {
    /// Takes over a VGA device: detaches the frame buffers and consoles that use it, and
    /// registers it with the arbiter, which is told what it decodes.
    pub(crate) fn new(pdev: &pci::Device<Bound>) -> Result<Self> {
        if !pdev.is_vga() {
            return Ok(Self { client: None });
        }
        pdev.remove_conflicting_framebuffers(crate::DRIVER_NAME)?;
        let reg = vga::ClientRegistration::<Client>::new(pdev)?;
        pdev.vga_set_legacy_decoding(<Client as vga::Client>::set_decode(pdev, false));
        Ok(Self {
            client: Some((pdev.into(), reg)),
        })
    }
}

impl Drop for VgaBinding {
    fn drop(&mut self) {
        if let Some((pdev, reg)) = self.client.take() {
            drop(reg);
            // Back to what the arbiter assumes of a device without a driver.
            pdev.vga_set_legacy_decoding(Decodes::ALL);
        }
    }
}
