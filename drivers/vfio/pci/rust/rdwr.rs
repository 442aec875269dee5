// SPDX-License-Identifier: GPL-2.0

//! Region information and `read()`/`write()` on the regions: what
//! `vfio_pci_rdwr.c` (and the region-info ioctl of `vfio_pci_core.c`) do in C.
//!
//! The file offset selects the region (`index << 40`) and the offset inside
//! it. Config space goes through [`crate::config`]; BARs and the ROM are read
//! and written in the largest naturally aligned chunks that fit (8, 4, 2 or 1
//! bytes), each chunk under the read side of `memory_lock` and only while
//! memory decode is enabled in the virtual command register; consecutive
//! 8-byte accesses to a BAR go in runs of up to 64 bytes under one hold of
//! the lock, with one user copy per run. The MSI-X table is a hole: reads
//! return all ones, writes are dropped.

#![forbid(unsafe_code)]

use crate::{
    memory::{
        MemoryState,
        MemoryWrite, //
    },
    pci_core::{
        index_to_offset,
        Device,
        MsixTable,
        OFFSET_MASK,
        OFFSET_SHIFT, //
    },
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::{
            IoMapping,
            RESOURCE_MEM,
            ROM_RESOURCE,
            STD_NUM_BARS, //
        },
    },
    pm_runtime::ActiveGuard,
    prelude::*,
    uaccess::{
        UserSliceReader,
        UserSliceWriter, //
    },
    uapi, vfio,
};

/// Where a read or write of a region goes.
enum Target {
    Config,
    Bar(u32),
    Rom,
    Vga,
}

fn target(offset: i64) -> Result<(Target, u64)> {
    let offset = u64::try_from(offset).map_err(|_| EINVAL)?;
    // CAST: An offset shifted right by 40 fits in 24 bits.
    let index = (offset >> OFFSET_SHIFT) as u32;
    let pos = offset & OFFSET_MASK;
    let t = match index {
        uapi::VFIO_PCI_CONFIG_REGION_INDEX => Target::Config,
        uapi::VFIO_PCI_ROM_REGION_INDEX => Target::Rom,
        uapi::VFIO_PCI_VGA_REGION_INDEX => Target::Vga,
        i if i < STD_NUM_BARS => Target::Bar(i),
        _ => return Err(EINVAL),
    };
    Ok((t, pos))
}

/// One direction of a copy between userspace and the device.
pub(crate) enum UserBuf {
    /// `read()`: device to user.
    Read(UserSliceWriter),
    /// `write()`: user to device.
    Write(UserSliceReader),
}

impl UserBuf {
    fn is_write(&self) -> bool {
        matches!(self, UserBuf::Write(_))
    }

    /// Copies the next `N` bytes in from userspace (for a write).
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        match self {
            UserBuf::Write(r) => r.read_slice(&mut b).map_err(|_| EFAULT)?,
            UserBuf::Read(_) => return Err(EINVAL),
        }
        Ok(b)
    }

    /// Copies `bytes` out to userspace (for a read).
    fn put(&mut self, bytes: &[u8]) -> Result {
        match self {
            UserBuf::Read(w) => w.write_slice(bytes).map_err(|_| EFAULT),
            UserBuf::Write(_) => Err(EINVAL),
        }
    }

    /// Skips `n` bytes of the user buffer (a write into a hole is dropped).
    fn skip(&mut self, n: usize) -> Result {
        match self {
            UserBuf::Write(r) => r.skip(n).map_err(|_| EFAULT),
            UserBuf::Read(w) => {
                // Holes read as all ones.
                let ones = [0xffu8; 64];
                let mut left = n;
                while left > 0 {
                    let k = left.min(ones.len());
                    w.write_slice(&ones[..k]).map_err(|_| EFAULT)?;
                    left -= k;
                }
                Ok(())
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            UserBuf::Read(w) => w.len(),
            UserBuf::Write(r) => r.len(),
        }
    }
}

/// `read()` on the device file.
pub(crate) fn read(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    buf: UserSliceWriter,
    offset: &mut i64,
) -> Result<usize> {
    rw(dev, pdev, UserBuf::Read(buf), offset)
}

/// `write()` on the device file.
pub(crate) fn write(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    buf: UserSliceReader,
    offset: &mut i64,
) -> Result<usize> {
    rw(dev, pdev, UserBuf::Write(buf), offset)
}

fn rw(dev: &Device, pdev: &pci::Device<Bound>, buf: UserBuf, offset: &mut i64) -> Result<usize> {
    // Nothing to move is done at once, wherever it points (C's `vfio_pci_core_read` and
    // `vfio_pci_core_write` return 0 before looking at the offset).
    if buf.len() == 0 {
        return Ok(0);
    }
    let (t, pos) = target(*offset)?;
    // The device may be runtime suspended (the user asked for low power): wake it for the
    // access, as C does, and let it suspend again afterwards. Taken before any lock: resuming
    // takes the `memory_lock`.
    let _awake = ActiveGuard::get(pdev.as_ref()).map_err(|_| EIO)?;
    let done = match t {
        Target::Config => config_rw(dev, pdev, buf, pos)?,
        Target::Bar(bar) => bar_rw(dev, pdev, buf, bar, pos)?,
        Target::Rom if buf.is_write() => return Err(EINVAL),
        Target::Rom => rom_read(dev, pdev, buf, pos)?,
        Target::Vga => crate::vga::rw(pdev, buf, pos)?,
    };
    // CAST: `done` is at most the length of a `read()`/`write()`, which fits in `ssize_t`.
    *offset += done as i64;
    Ok(done)
}

/// Config space: chunks of 4, 2 or 1 bytes, naturally aligned and inside one capability,
/// through the virtualization.
fn config_rw(dev: &Device, pdev: &pci::Device<Bound>, mut buf: UserBuf, pos: u64) -> Result<usize> {
    let mut count = buf.len();
    let size = u64::from(crate::pci_core::cfg_size(pdev));
    let mut pos = pos;
    let mut done = 0usize;
    let mut open = dev.open.lock();
    let state = Option::as_mut(&mut *open).ok_or(EINVAL)?;
    while count > 0 {
        // CAST: `count` is a `read()` length; the sum is only compared.
        if pos >= size || pos + count as u64 > size {
            return Err(EFAULT);
        }
        // CAST: `pos < cfg_size <= 4096`.
        let p = pos as u16;
        // Naturally aligned, and never across a dword or a capability boundary.
        let n = state.config.chunk(p, count);
        if buf.is_write() {
            let v = match n {
                4 => u32::from_le_bytes(buf.take::<4>()?),
                2 => u16::from_le_bytes(buf.take::<2>()?).into(),
                _ => buf.take::<1>()?[0].into(),
            };
            state.config.write(dev, pdev, p, n, v)?;
        } else {
            let v = state.config.read(dev, pdev, p, n)?;
            buf.put(&v.to_le_bytes()[..n])?;
        }
        count -= n;
        done += n;
        pos += n as u64;
    }
    Ok(done)
}

/// Whether memory decode is on (virtual command register, power state): BAR access needs it.
fn check_memory(mem: &MemoryState, pdev: &pci::Device<Bound>, test_mem: bool) -> Result {
    if test_mem && !mem.memory_enabled(pdev) {
        return Err(EIO);
    }
    Ok(())
}

/// Runs `f` on the mapping of `bar` with the read side of `memory_lock` held and memory decode
/// checked (for memory BARs, `test_mem`); the guard lives only as long as `f`, so no copy to or
/// from userspace can happen under it. A BAR without a mapping reports why now.
fn with_bar<R>(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    bar: u32,
    test_mem: bool,
    f: impl FnOnce(&IoMapping) -> Result<R>,
) -> Result<R> {
    let mem = dev.memory_read();
    check_memory(&mem, pdev, test_mem)?;
    f(mem.bar(pdev, bar)?)
}

/// The most bytes a BAR access moves under one hold of the read side of `memory_lock`: a run of
/// up to eight aligned 8-byte accesses, staged in a buffer on the stack, so that a large
/// `read()`/`write()` takes the lock and copies to or from userspace once per run rather than
/// once per 8 bytes. The copy stays outside the lock, as for a single access.
const RUN: usize = 64;

/// Moves one chunk of `n` bytes between the user buffer and `io` at `off`: one access of 1, 2,
/// 4 or 8 bytes, or (`n` a multiple of 8, at most [`RUN`]) a run of 8-byte accesses.
fn io_chunk(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    bar: u32,
    buf: &mut UserBuf,
    off: usize,
    n: usize,
    test_mem: bool,
) -> Result {
    if n > 8 {
        return io_run(dev, pdev, bar, buf, off, n, test_mem);
    }
    if buf.is_write() {
        // Copy from userspace before taking the lock: the copy may fault and sleep.
        let bytes: [u8; 8] = match n {
            8 => buf.take::<8>()?,
            4 => {
                let b = buf.take::<4>()?;
                [b[0], b[1], b[2], b[3], 0, 0, 0, 0]
            }
            2 => {
                let b = buf.take::<2>()?;
                [b[0], b[1], 0, 0, 0, 0, 0, 0]
            }
            _ => [buf.take::<1>()?[0], 0, 0, 0, 0, 0, 0, 0],
        };
        let v = u64::from_le_bytes(bytes);
        // CAST: Each arm writes only the low `n` bytes of `v`, which came from `n` user bytes.
        with_bar(dev, pdev, bar, test_mem, |io| match n {
            8 => io.write64(v, off),
            4 => io.write32(v as u32, off),
            2 => io.write16(v as u16, off),
            _ => io.write8(v as u8, off),
        })
    } else {
        let v = with_bar(dev, pdev, bar, test_mem, |io| {
            Ok(match n {
                8 => io.read64(off)?,
                4 => io.read32(off)?.into(),
                2 => io.read16(off)?.into(),
                _ => io.read8(off)?.into(),
            })
        })?;
        buf.put(&v.to_le_bytes()[..n])
    }
}

/// A run of `n / 8` aligned 8-byte accesses (`n` a multiple of 8, at most [`RUN`]) under one hold
/// of `memory_lock`, with one copy to or from userspace.
///
/// A write whose copy from userspace faults is redone one access at a time, so that, as in C,
/// the accesses before the faulting one reach the device and the call fails with `EFAULT`.
fn io_run(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    bar: u32,
    buf: &mut UserBuf,
    off: usize,
    n: usize,
    test_mem: bool,
) -> Result {
    let mut stage = [0u8; RUN];
    let stage = stage.get_mut(..n).ok_or(EINVAL)?;
    match buf {
        UserBuf::Write(r) => {
            if r.read_slice(stage).is_err() {
                // Nothing was consumed: replay the run access by access.
                let mut k = 0;
                while k < n {
                    io_chunk(dev, pdev, bar, buf, off + k, 8, test_mem)?;
                    k += 8;
                }
                return Ok(());
            }
            with_bar(dev, pdev, bar, test_mem, |io| {
                for (i, q) in stage.chunks_exact(8).enumerate() {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(q);
                    io.write64(u64::from_le_bytes(b), off + i * 8)?;
                }
                Ok(())
            })
        }
        UserBuf::Read(_) => {
            with_bar(dev, pdev, bar, test_mem, |io| {
                for (i, q) in stage.chunks_exact_mut(8).enumerate() {
                    q.copy_from_slice(&io.read64(off + i * 8)?.to_le_bytes());
                }
                Ok(())
            })?;
            buf.put(stage)
        }
    }
}

/// Splits `[off, off + count)` into accesses, skipping the hole `[x_start, x_end)`:
/// C's `vfio_pci_core_do_io_rw`. `access(buf, off, n)` moves one chunk: one access of at most
/// `max_width` bytes, or, where 8-byte accesses are allowed, a run of them of at most `max_run`
/// bytes (never across the hole).
fn do_io_rw(
    buf: &mut UserBuf,
    mut off: u64,
    mut count: usize,
    x_start: u64,
    x_end: u64,
    max_width: usize,
    max_run: usize,
    mut access: impl FnMut(&mut UserBuf, usize, usize) -> Result,
) -> Result<usize> {
    let mut done = 0usize;
    while count > 0 {
        let fillable = if off < x_start {
            // CAST: Bounded by `count`.
            count.min((x_start - off) as usize)
        } else if off >= x_end {
            count
        } else {
            0
        };
        let n = if fillable >= 8 && off % 8 == 0 && max_width >= 8 {
            // As many whole 8-byte accesses as fit in a run.
            (fillable.min(max_run.max(8)) / 8) * 8
        } else if fillable >= 4 && off % 4 == 0 && max_width >= 4 {
            4
        } else if fillable >= 2 && off % 2 == 0 && max_width >= 2 {
            2
        } else if fillable > 0 {
            1
        } else {
            0
        };
        let filled = if n > 0 {
            // CAST: `off` is below the BAR's length, which was mapped: it fits in `usize`.
            access(buf, off as usize, n)?;
            n
        } else {
            // CAST: Bounded by `count`.
            let k = count.min((x_end - off) as usize);
            buf.skip(k)?;
            k
        };
        count -= filled;
        done += filled;
        off += filled as u64;
    }
    Ok(done)
}

/// The excluded range of a BAR: the MSI-X table, if it lives there.
fn msix_hole(msix: Option<MsixTable>, bar: u32) -> (u64, u64) {
    match msix {
        Some(m) if m.bar == bar => (m.offset, m.offset + m.size),
        _ => (0, 0),
    }
}

fn bar_rw(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    mut buf: UserBuf,
    bar: u32,
    pos: u64,
) -> Result<usize> {
    // One read of the resource's start, length and flags (C reads the same fields inline).
    let span = pdev.resource_span(bar).ok_or(EINVAL)?;
    if span.start == 0 {
        return Err(EINVAL);
    }
    let end = span.len;
    if pos >= end {
        return Err(EINVAL);
    }
    // CAST: `end - pos` is only compared with a `usize`.
    let count = buf.len().min((end - pos).try_into().unwrap_or(usize::MAX));
    let (x_start, x_end) = msix_hole(dev.msix, bar);
    let test_mem = span.flags & RESOURCE_MEM != 0;

    // Each chunk takes the read side of `memory_lock` for the access only, not for the copy
    // to or from userspace: a user page fault (on a BAR mapping, say) must not wait for the
    // lock behind a writer that waits for us.
    do_io_rw(&mut buf, pos, count, x_start, x_end, 8, RUN, |b, off, n| {
        io_chunk(dev, pdev, bar, b, off, n, test_mem)
    })
}

fn rom_read(dev: &Device, pdev: &pci::Device<Bound>, mut buf: UserBuf, pos: u64) -> Result<usize> {
    if pdev.resource_start(ROM_RESOURCE)? == 0 {
        return crate::rom::read(dev, pdev, buf, pos);
    }
    let end = pdev.resource_len(ROM_RESOURCE)?;
    if pos >= end {
        return Err(EINVAL);
    }
    let count = buf.len().min((end - pos).try_into().unwrap_or(usize::MAX));
    let test_mem = pdev.resource_flags(ROM_RESOURCE) & RESOURCE_MEM != 0;
    let rom = pdev.map_rom().ok_or(ENOMEM)?;
    // The space past the ROM images reads as all ones; no 8-byte accesses to ROMs (some devices
    // raise errors on them).
    let x_start = rom.len() as u64;
    do_io_rw(&mut buf, pos, count, x_start, end, 4, 4, |b, off, n| {
        let v: u32 = {
            let mem = dev.memory_read();
            check_memory(&mem, pdev, test_mem)?;
            match n {
                4 => rom.read32(off)?,
                2 => rom.read16(off)?.into(),
                _ => rom.read8(off)?.into(),
            }
        };
        b.put(&v.to_le_bytes()[..n])
    })
}

/// `VFIO_DEVICE_GET_REGION_INFO`: C's `vfio_pci_ioctl_get_region_info`.
pub(crate) fn region_info(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    info: &mut vfio::RegionInfo,
    caps: &mut vfio::InfoCaps<'_>,
) -> Result {
    const READ: u32 = uapi::VFIO_REGION_INFO_FLAG_READ;
    const WRITE: u32 = uapi::VFIO_REGION_INFO_FLAG_WRITE;
    match info.index {
        uapi::VFIO_PCI_CONFIG_REGION_INDEX => {
            info.offset = index_to_offset(info.index);
            info.size = crate::pci_core::cfg_size(pdev).into();
            info.flags = READ | WRITE;
        }
        i if i < STD_NUM_BARS => {
            info.offset = index_to_offset(i);
            info.size = pdev.resource_len(i)?;
            info.flags = if info.size == 0 { 0 } else { READ | WRITE };
            if info.size != 0 && crate::dmabuf::mmap_supported(dev, pdev, i) {
                info.flags |= uapi::VFIO_REGION_INFO_FLAG_MMAP;
                // The MSI-X table's BAR may be mapped whole, table included (the user's
                // writes to the table reach no interrupt of ours): say so.
                if dev.msix.is_some_and(|m| m.bar == i) {
                    // CAST: The capability's ID and version are small constants.
                    caps.add(uapi::VFIO_REGION_INFO_CAP_MSIX_MAPPABLE as u16, 1, &[])?;
                }
            }
        }
        uapi::VFIO_PCI_ROM_REGION_INDEX => {
            info.offset = index_to_offset(info.index);
            info.flags = 0;
            info.size = 0;
            if pdev.resource_start(ROM_RESOURCE)? != 0 {
                // The ROM is only readable with memory decode on: turn it on for the check.
                let _mem = dev.memory_write();
                let cmd = pdev.user_read_config::<u16>(0x04).unwrap_or(0);
                if cmd & 0x2 == 0 {
                    let _ = pdev.user_write_config::<u16>(0x04, cmd | 0x2);
                }
                if pdev.map_rom().is_some() {
                    info.flags = READ;
                    // Report the BAR's size, not the ROM images'.
                    info.size = pdev.resource_len(ROM_RESOURCE)?;
                }
                if cmd & 0x2 == 0 {
                    let _ = pdev.user_write_config::<u16>(0x04, cmd);
                }
            } else {
                crate::rom::region_info(pdev, info);
            }
        }
        uapi::VFIO_PCI_VGA_REGION_INDEX => crate::vga::region_info(pdev, info)?,
        // There are no device-specific regions: the C driver's answer for a missing region.
        _ => return Err(EINVAL),
    }
    Ok(())
}
