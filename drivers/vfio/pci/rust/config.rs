// SPDX-License-Identifier: GPL-2.0

//! Config space virtualization: what `vfio_pci_config.c` does in C.
//!
//! The user gets a config space that looks like the device's but cannot
//! take the device away from the host: BARs are virtual (the user sizes and
//! programs copies), capabilities the user has no business with are left
//! out of the chain, and writes that need the host to act (power state,
//! function level reset, memory decode, MSI) are trapped and carried out on
//! the user's behalf.
//!
//! The state, [`Config`], lives in the open device's state
//! ([`crate::pci_core::OpenState`]), under the `open` mutex. Lock order, outermost
//! first:
//!
//! 1. `open` ([`crate::pci_core::CoreDevice::open`]): every config space access;
//! 2. `igate` ([`crate::pci_core::CoreDevice::igate`]): the interrupt state, taken
//!    by the handlers that need it (the command register's INTx disable bit,
//!    the MSI flags) and only by them, on first use ([`Access::irqs`]), so
//!    that plain accesses take no other lock. `VFIO_DEVICE_SET_IRQS` takes
//!    `igate` without `open`;
//! 3. `memory_lock` ([`crate::memory`]): the write side, with the user's BAR
//!    mappings revoked ([`crate::memory::MemoryWrite::memory_write_revoke`]),
//!    while a handler turns memory decode off, changes the power state or
//!    resets the function.
//!
//! Never the other way round: no path holding `igate` or `memory_lock` takes
//! `open`, and none holding `memory_lock` takes `igate`.
//!
//! Every byte of config space belongs to a region (the header, a capability,
//! or the gaps between them), recorded in a byte map; the region's
//! [`perm::Perm`] says which bits are virtual, which are writable and which
//! handlers read and write it. Submodules: [`regs`] (register names),
//! [`perm`] (permission tables), [`caplen`] (capability lengths), [`init`]
//! (building the virtual config space at open), [`caps`] (the handlers),
//! [`pm`] (power state changes).

#![forbid(unsafe_code)]

mod caplen;
mod caps;
mod init;
mod perm;
mod pm;
mod regs;
#[cfg(CONFIG_VFIO_PCI_RUST_KUNIT_TEST)]
mod tests;

use self::{
    perm::{
        bytes_mask,
        merge,
        update,
        Perm,
        PermBits,
        Read,
        Write, //
    },
    regs::*,
};
use crate::{
    intrs::IrqState,
    memory::MemoryWriteGuard,
    pci_core::Device, //
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::PowerState, //
    },
    prelude::*,
    sync::MutexGuard,
};

pub(crate) use self::pm::PmRestore;

/// Map entry of the standard header (C's fake `PCI_CAP_ID_BASIC`).
const CAP_ID_BASIC: u8 = 0;
/// Map entry of bytes outside any capability: raw access.
const CAP_ID_INVALID: u8 = 0xff;
/// Map entry of bytes emulated entirely (used by variant drivers in C).
const CAP_ID_INVALID_VIRT: u8 = 0xfe;

/// The virtual config space of an open device (C: the `vconfig`, `pci_config_map`, `rbar`,
/// `bardirty`, `extended_caps`, `msi_perm` and `nointx` fields of `struct
/// vfio_pci_core_device`).
///
/// Protected by the `open` mutex of [`crate::pci_core::CoreDevice`], like all open state. The
/// interrupt state config space reflects (`msi_qmax`, `virq_disabled`, ...) is in
/// [`IrqState`], under `igate`.
pub(crate) struct Config {
    /// The size of config space: 256 or 4096 bytes.
    size: u16,
    /// The virtual config space, little-endian, `size` bytes.
    vconfig: KVec<u8>,
    /// For each byte of config space, the ID of the capability it belongs to (standard or
    /// extended, by position), [`CAP_ID_BASIC`] for the header, [`CAP_ID_INVALID`] for gaps.
    map: KVec<u8>,
    /// The BARs and ROM BAR as the host programmed them, to restore after a reset the device
    /// went through behind our back.
    rbar: [u32; 7],
    /// Whether the virtual BARs were written since they were last sized.
    bardirty: bool,
    /// Whether the function has extended config space with something in it.
    extended_caps: bool,
    /// The permissions of the MSI capability, which depend on its layout.
    msi_perm: Option<&'static Perm>,
    /// INTx is hidden from the user (a device with broken INTx, C: `nointx`).
    nointx: bool,
}

/// One access to config space, as the handlers see it (C: the arguments of the `readfn` and
/// `writefn` callbacks): the device, where the access is, and the permissions of the region
/// it falls in.
///
/// An access is naturally aligned and stays inside one region (see [`Config::chunk`]).
struct Access<'a> {
    /// The device.
    dev: &'a Device,
    /// Its PCI function.
    pdev: &'a pci::Device<Bound>,
    /// Where the access starts in config space.
    pos: u16,
    /// Its size: 1, 2 or 4 bytes.
    n: usize,
    /// Where the region it falls in starts.
    start: u16,
    /// Where it starts in the region (`pos - start`).
    offset: u16,
    /// The virtual and writable bits of the region.
    bits: &'static PermBits,
    /// The interrupt state, once a handler asked for it ([`Access::irqs`]); held until the
    /// access ends.
    irqs: Option<MutexGuard<'a, IrqState>>,
}

impl<'a> Access<'a> {
    /// Returns the interrupt state, locking `igate` on first use.
    ///
    /// Lock order: `open` is held (the caller has the [`Config`]); `memory_lock` must not be.
    fn irqs(&mut self) -> &mut IrqState {
        let dev = self.dev;
        self.irqs.get_or_insert_with(|| dev.igate.lock())
    }

    /// Returns whether the access covers `off` (an offset in the region).
    fn covers(&self, off: u16) -> bool {
        // CAST: `n <= 4`.
        (self.offset..self.offset + self.n as u16).contains(&off)
    }
}

impl Config {
    /// Returns the `n` bytes of virtual config space at `pos`, little-endian.
    fn vget(&self, pos: u16, n: usize) -> u32 {
        let pos = usize::from(pos);
        let mut v = 0u32;
        for i in (0..n.min(4)).rev() {
            v = (v << 8) | u32::from(self.vconfig.get(pos + i).copied().unwrap_or(0));
        }
        v
    }

    /// Sets the `n` bytes of virtual config space at `pos` to the low bytes of `v`.
    fn vset(&mut self, pos: u16, n: usize, v: u32) {
        let pos = usize::from(pos);
        for i in 0..n.min(4) {
            if let Some(b) = self.vconfig.get_mut(pos + i) {
                // CAST: Byte `i` of `v`, on purpose.
                *b = (v >> (8 * i)) as u8;
            }
        }
    }

    /// Reads `n` bytes of the device's config space at `pos` (C: `vfio_user_config_read`).
    fn phys_read(pdev: &pci::Device<Bound>, pos: u16, n: usize) -> Result<u32> {
        match n {
            1 => pdev.user_read_config::<u8>(pos).map(u32::from),
            2 => pdev.user_read_config::<u16>(pos).map(u32::from),
            4 => pdev.user_read_config::<u32>(pos),
            _ => Err(EINVAL),
        }
    }

    /// Writes the low `n` bytes of `v` to the device's config space at `pos` (C:
    /// `vfio_user_config_write`).
    fn phys_write(pdev: &pci::Device<Bound>, pos: u16, n: usize, v: u32) -> Result {
        // CAST: Each arm keeps the `n` bytes the access is about.
        match n {
            1 => pdev.user_write_config::<u8>(pos, v as u8),
            2 => pdev.user_write_config::<u16>(pos, v as u16),
            4 => pdev.user_write_config::<u32>(pos, v),
            _ => Err(EINVAL),
        }
    }

    /// Returns the memory enable bit of the virtual command register.
    pub(crate) fn cmd_memory(&self) -> bool {
        self.vget(COMMAND, 2) & COMMAND_MEMORY != 0
    }

    /// Moves the function to `state` on the user's behalf, with the write side of
    /// `memory_lock` held (`mem`), keeping the function's state across D3hot (C:
    /// `vfio_pci_set_power_state`, see [`PmRestore`]), and brings `mem` in step.
    ///
    /// Called by the PM control register's write handler and, with [`PowerState::D0`], before
    /// a function reset. Like C, a failure is not reported: the user reads the state back.
    pub(crate) fn set_power_state(
        &mut self,
        pdev: &pci::Device<Bound>,
        mem: &mut MemoryWriteGuard<'_>,
        state: PowerState,
    ) {
        let _ = mem.set_power_state(pdev, state);
        mem.set_cmd_memory(self.cmd_memory());
    }

    /// Returns the virtual interrupt pin: 0 when INTx is not offered to the user.
    pub(crate) fn intx_pin(&self) -> u8 {
        // CAST: One byte.
        self.vget(INTERRUPT_PIN, 1) as u8
    }

    /// Returns how many bytes (1, 2 or 4) of the `count` at `pos` the next access covers:
    /// naturally aligned, inside one dword and inside one region (C: the chunking of
    /// `vfio_pci_config_rw_single`).
    pub(crate) fn chunk(&self, pos: u16, count: usize) -> usize {
        let p = usize::from(pos);
        let region = self.map.get(p).copied();
        let mut same = 1;
        while (p + same) % 4 != 0 && self.map.get(p + same).copied() == region {
            same += 1;
        }
        let count = count.min(same);
        if count >= 4 && p % 4 == 0 {
            4
        } else if count >= 2 && p % 2 == 0 {
            2
        } else {
            1
        }
    }

    /// Returns where the region holding `pos` starts (C: `vfio_find_cap_start`): 0 for the
    /// header, else the first byte, going back, with the same map entry.
    fn find_cap_start(&self, pos: u16) -> u16 {
        let Some(&cap) = self.map.get(usize::from(pos)) else {
            return 0;
        };
        if cap == CAP_ID_BASIC {
            return 0;
        }
        let base = if pos >= CFG_SPACE_SIZE {
            CFG_SPACE_SIZE
        } else {
            STD_HEADER_SIZEOF
        };
        let mut start = pos;
        while start > base && self.map.get(usize::from(start - 1)) == Some(&cap) {
            start -= 1;
        }
        start
    }

    /// Returns the permissions of the region holding `pos` and where it starts.
    fn lookup(&self, pos: u16) -> (&'static Perm, u16) {
        let cap = self
            .map
            .get(usize::from(pos))
            .copied()
            .unwrap_or(CAP_ID_INVALID);
        match cap {
            CAP_ID_INVALID => (&perm::PERM_UNASSIGNED, pos),
            CAP_ID_INVALID_VIRT => (&perm::PERM_VIRT, pos),
            _ if pos >= CFG_SPACE_SIZE => {
                // The map holds the low byte of the ID; IDs past the table come from a hidden,
                // unknown capability at the head of the chain: read-only, header virtual.
                let perm = if u16::from(cap) > EXT_CAP_ID_MAX {
                    &perm::PERM_DIRECT_RO
                } else {
                    perm::ecap_perm(cap.into())
                };
                (perm, self.find_cap_start(pos))
            }
            CAP_ID_BASIC => (perm::cap_perm(CAP_ID_BASIC), 0),
            CAP_ID_MSI => (
                self.msi_perm.unwrap_or(&perm::PERM_DIRECT_RO),
                self.find_cap_start(pos),
            ),
            _ if cap > CAP_ID_MAX => (&perm::PERM_DIRECT_RO, self.find_cap_start(pos)),
            _ => (perm::cap_perm(cap), self.find_cap_start(pos)),
        }
    }

    /// Describes the access of `n` bytes at `pos`, and returns it with the handlers of its
    /// region.
    fn access<'a>(
        &self,
        dev: &'a Device,
        pdev: &'a pci::Device<Bound>,
        pos: u16,
        n: usize,
    ) -> Result<(Access<'a>, &'static Perm)> {
        if pos >= self.size {
            return Err(EFAULT);
        }
        let (perm, start) = self.lookup(pos);
        let access = Access {
            dev,
            pdev,
            pos,
            n,
            start,
            offset: pos - start,
            bits: &perm.bits,
            irqs: None,
        };
        Ok((access, perm))
    }

    /// Reads `n` (1, 2 or 4) naturally aligned bytes at `pos`, inside one region (see
    /// [`Config::chunk`]), as the user sees them.
    pub(crate) fn read(
        &mut self,
        dev: &Device,
        pdev: &pci::Device<Bound>,
        pos: u16,
        n: usize,
    ) -> Result<u32> {
        let (a, perm) = self.access(dev, pdev, pos, n)?;
        // The MSI flags read back as written: see `Config::msi_written`.
        let v = match perm.read {
            Read::Default | Read::Msi => self.default_read(&a)?,
            Read::Basic => self.basic_read(&a)?,
            Read::Direct => self.direct_read(&a)?,
            Read::Raw => Self::phys_read(pdev, pos, n)?,
            Read::Virt => self.vget(pos, n),
        };
        Ok(v & bytes_mask(n))
    }

    /// Writes the low `n` (1, 2 or 4) bytes of `val` at `pos`, inside one region (see
    /// [`Config::chunk`]), as the user asks.
    pub(crate) fn write(
        &mut self,
        dev: &Device,
        pdev: &pci::Device<Bound>,
        pos: u16,
        n: usize,
        val: u32,
    ) -> Result {
        let (mut a, perm) = self.access(dev, pdev, pos, n)?;
        let val = val & bytes_mask(n);
        match perm.write {
            Write::Drop => Ok(()),
            Write::Default => self.default_write(&a, val),
            Write::Basic => self.basic_write(&mut a, val),
            Write::Pm => self.cap_write(&mut a, val, Self::pm_written),
            Write::Vpd => self.cap_write(&mut a, val, Self::vpd_written),
            Write::Exp => {
                // Only a change of the read request size is passed on: remember it.
                let readrq = self.vget(a.start + EXP_DEVCTL, 2) & EXP_DEVCTL_READRQ;
                self.cap_write(&mut a, val, |c, a, _| c.exp_written(a, readrq))
            }
            Write::Af => self.cap_write(&mut a, val, Self::af_written),
            Write::Msi => self.cap_write(&mut a, val, Self::msi_written),
            Write::Raw => Self::phys_write(pdev, pos, n, val),
            Write::Virt => {
                self.vset(pos, n, val);
                Ok(())
            }
        }
    }

    /// A write to a capability with side effects: the default write, then `written`, which
    /// acts on what changed (C: the `writefn` of the capability, which starts with
    /// `vfio_default_config_write`).
    fn cap_write<'a>(
        &mut self,
        a: &mut Access<'a>,
        val: u32,
        written: impl FnOnce(&mut Self, &mut Access<'a>, u32) -> Result,
    ) -> Result {
        self.default_write(a, val)?;
        written(self, a, val)
    }

    /// The default read: virtual bits from the virtual config space, the others from the
    /// device (C: `vfio_default_config_read`).
    fn default_read(&self, a: &Access<'_>) -> Result<u32> {
        let vval = self.vget(a.pos, a.n);
        let virt = a.bits.virt(a.offset.into(), a.n);
        if virt == bytes_mask(a.n) {
            return Ok(vval);
        }
        let phys = Self::phys_read(a.pdev, a.pos, a.n)?;
        Ok(merge(phys, vval, virt))
    }

    /// The default write: writable virtual bits to the virtual config space, writable
    /// physical ones to the device (read, modify, write); the rest is dropped (C:
    /// `vfio_default_config_write`).
    fn default_write(&mut self, a: &Access<'_>, val: u32) -> Result {
        let (pos, n) = (a.pos, a.n);
        let write = a.bits.write(a.offset.into(), n);
        if write == 0 {
            return Ok(());
        }
        let virt = a.bits.virt(a.offset.into(), n);
        if write & virt != 0 {
            let v = update(self.vget(pos, n), val, write & virt);
            self.vset(pos, n, v);
        }
        if write & !virt != 0 {
            let phys = Self::phys_read(a.pdev, pos, n)?;
            Self::phys_write(a.pdev, pos, n, update(phys, val, write & !virt))?;
        }
        Ok(())
    }

    /// Reads the device's bits, except the capability chain (C: `vfio_direct_config_read`):
    /// the header dword of an extended capability, and the ID and next pointer of a standard
    /// one, come from the virtual config space, where hidden capabilities are skipped.
    fn direct_read(&self, a: &Access<'_>) -> Result<u32> {
        let (pos, n, offset) = (a.pos, a.n, a.offset);
        let v = Self::phys_read(a.pdev, pos, n)?;
        if pos >= CFG_SPACE_SIZE {
            if offset < 4 {
                return Ok(self.vget(pos, n));
            }
        } else if pos >= STD_HEADER_SIZEOF {
            if offset == CAP_LIST_ID && n > 1 {
                let k = n.min(usize::from(CAP_FLAGS));
                return Ok(merge(v, self.vget(pos, k), bytes_mask(k)));
            } else if offset == CAP_LIST_NEXT {
                return Ok(merge(v, self.vget(pos, 1), bytes_mask(1)));
            }
        }
        Ok(v)
    }
}
