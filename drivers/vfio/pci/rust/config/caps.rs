// SPDX-License-Identifier: GPL-2.0

//! The read and write handlers with side effects: the header (BAR sizing,
//! memory and I/O decode, INTx disable), power management, VPD, PCI Express
//! and advanced features (FLR, read request size) and MSI flags.
//!
//! The handlers that change memory decode, the power state or reset the
//! function hold the write side of `memory_lock` while they do, so that no
//! BAR access reaches a device that cannot answer it, and leave
//! the memory enable bit of [`crate::memory::MemoryState`] in step with the
//! virtual command register. The handlers of the INTx disable bit and the
//! MSI flags use the interrupt state, locked through [`Access::irqs`].

use super::{
    perm::update,
    regs::*,
    Access,
    Config, //
};
use crate::{
    memory::{
        MemoryWrite,
        MemoryWriteGuard, //
    },
    pci_core::Device, //
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::{
            PowerState,
            RESOURCE_IO,
            RESOURCE_MEM_64,
            RESOURCE_PREFETCH,
            ROM_RESOURCE,
            STD_NUM_BARS, //
        },
    },
    prelude::*,
};

/// Whether `offset` in the header falls in a BAR or the ROM BAR.
fn is_bar(offset: u16) -> bool {
    (BASE_ADDRESS_0..BASE_ADDRESS_5 + 4).contains(&offset)
        || (ROM_ADDRESS..ROM_ADDRESS + 4).contains(&offset)
}

/// The low bits of a BAR that describe it, from its resource flags (C:
/// `vfio_generate_bar_flags`).
fn bar_flags(flags: u64) -> u32 {
    if flags & RESOURCE_IO != 0 {
        return BASE_ADDRESS_SPACE_IO;
    }
    let mut v = BASE_ADDRESS_SPACE_MEMORY;
    if flags & RESOURCE_PREFETCH != 0 {
        v |= BASE_ADDRESS_MEM_PREFETCH;
    }
    if flags & RESOURCE_MEM_64 != 0 {
        v |= BASE_ADDRESS_MEM_TYPE_64;
    }
    v
}

impl Config {
    /// Takes the write side of `memory_lock` before memory decode may go off, the power state
    /// changes or the function is reset, revoking the user's BAR mappings (C:
    /// `vfio_pci_zap_and_down_write_memory_lock`); they come back as the guard goes, if memory
    /// decode is on by then.
    fn memory_write_revoke(dev: &Device) -> MemoryWriteGuard<'_> {
        dev.memory_write_revoke()
    }

    /// Resets the function on the user's behalf (an initiated FLR), with `memory_lock` held.
    fn user_reset(&self, a: &Access<'_>) {
        let _mem = Self::memory_write_revoke(a.dev);
        // Like C, whatever the reset did: the bit reads back as zero either way.
        let _ = a.pdev.try_reset_function();
    }

    /// Sizes the virtual BARs: keeps only the address bits each BAR implements and sets its
    /// type bits, so that a user writing all ones reads back the size (C: `vfio_bar_fixup`).
    fn bar_fixup(&mut self, pdev: &pci::Device<Bound>) {
        if !self.bardirty {
            return;
        }
        let mut i = 0;
        while i < STD_NUM_BARS {
            // CAST: `i < 6`.
            let vpos = BASE_ADDRESS_0 + 4 * i as u16;
            if pdev.resource_start(i).unwrap_or(0) == 0 {
                // A BAR the host did not map does not exist for the user.
                self.vset(vpos, 4, 0);
                i += 1;
                continue;
            }
            let mask = !pdev.resource_len(i).unwrap_or(0).wrapping_sub(1);
            // CAST: The low half of the mask, on purpose.
            let v = (self.vget(vpos, 4) & mask as u32) | bar_flags(pdev.resource_flags(i));
            self.vset(vpos, 4, v);
            if v & BASE_ADDRESS_MEM_TYPE_64 != 0 && i + 1 < STD_NUM_BARS {
                // The upper half of a 64-bit BAR. (C would also mask the dword after BAR 5 for
                // a bogus 64-bit BAR 5: the CardBus CIS pointer, which reads through.)
                // CAST: The high half of the mask.
                let hi = self.vget(vpos + 4, 4) & (mask >> 32) as u32;
                self.vset(vpos + 4, 4, hi);
                i += 1;
            }
            i += 1;
        }

        // The ROM BAR reports its size even when the ROM could not be read (its region then
        // has size zero), or the size of the platform's shadow copy.
        let rom = if pdev.resource_start(ROM_RESOURCE).unwrap_or(0) != 0 {
            let len = pdev.resource_len(ROM_RESOURCE).unwrap_or(0);
            // CAST: The low half of the mask.
            let mask = !len.wrapping_sub(1) as u32 | ROM_ADDRESS_ENABLE;
            self.vget(ROM_ADDRESS, 4) & mask
        } else if pdev.shadow_rom_len() != 0 {
            let len = pdev.shadow_rom_len().next_power_of_two();
            // CAST: The low half of the mask.
            let mask = !len.wrapping_sub(1) as u32 | ROM_ADDRESS_ENABLE;
            self.vget(ROM_ADDRESS, 4) & mask
        } else {
            0
        };
        self.vset(ROM_ADDRESS, 4, rom);
        self.bardirty = false;
    }

    /// Returns whether the device's BARs differ from what the host programmed (C:
    /// `vfio_need_bar_restore`).
    fn need_bar_restore(&self, pdev: &pci::Device<Bound>) -> bool {
        (BASE_ADDRESS_0..=BASE_ADDRESS_5)
            .step_by(4)
            .zip(self.rbar.iter())
            .filter(|(_, r)| **r != 0)
            .any(|(pos, r)| pdev.user_read_config::<u32>(pos) != Ok(*r))
    }

    /// Puts the host's BARs back after a reset the device went through without us (an FLR
    /// through some device-specific door, say) (C: `vfio_bar_restore`).
    fn bar_restore(&self, pdev: &pci::Device<Bound>) {
        // The PF's SR-IOV capability places VF BARs; there is nothing to restore.
        if pdev.is_virtfn() {
            return;
        }
        dev_info!(
            pdev.as_ref(),
            "vfio_bar_restore: reset recovery - restoring BARs\n"
        );
        for (pos, &r) in (BASE_ADDRESS_0..=BASE_ADDRESS_5)
            .step_by(4)
            .zip(self.rbar.iter())
        {
            let _ = pdev.user_write_config::<u32>(pos, r);
        }
        let _ = pdev.user_write_config::<u32>(ROM_ADDRESS, self.rbar[6]);
        if self.nointx {
            if let Ok(cmd) = pdev.user_read_config::<u16>(COMMAND) {
                // CAST: The INTx disable bit fits a command word.
                let _ = pdev.user_write_config::<u16>(COMMAND, cmd | COMMAND_INTX_DISABLE as u16);
            }
        }
    }

    /// Reads the header (C: `vfio_basic_config_read`): BARs are sized first; on devices
    /// without a memory enable bit, the virtual one shows.
    pub(super) fn basic_read(&mut self, a: &Access<'_>) -> Result<u32> {
        if is_bar(a.offset) {
            self.bar_fixup(a.pdev);
        }
        let mut v = self.default_read(a)?;
        if a.offset == COMMAND && a.pdev.no_command_memory() {
            v |= self.vget(COMMAND, 2) & COMMAND_MEMORY;
        }
        Ok(v)
    }

    /// Writes the header (C: `vfio_basic_config_write`).
    ///
    /// A write starting at the command register holds the write side of `memory_lock` across
    /// the change of memory and I/O decode, restores the BARs if the device lost them, and
    /// records the decode bits in the virtual register. The virtual INTx disable bit is acted
    /// upon after any write to the command register (see [`Config::intx_disable_changed`]); a
    /// write to a BAR marks the BARs for sizing.
    pub(super) fn basic_write(&mut self, a: &mut Access<'_>, val: u32) -> Result {
        let (dev, pdev, offset) = (a.dev, a.pdev, a.offset);
        let intx = (COMMAND..=COMMAND + 1).contains(&offset);
        if intx {
            // Lock order: `igate` before `memory_lock`.
            a.irqs();
        }

        let mut command = None;
        if offset == COMMAND {
            let phys_cmd = u32::from(pdev.user_read_config::<u16>(COMMAND)?);
            let virt_cmd = self.vget(COMMAND, 2);
            let new_cmd = val & 0xffff;
            let bit = |cmd: u32, b: u32| cmd & b != 0;
            let (phys_mem, virt_mem, new_mem) = (
                bit(phys_cmd, COMMAND_MEMORY),
                bit(virt_cmd, COMMAND_MEMORY),
                bit(new_cmd, COMMAND_MEMORY),
            );
            let (phys_io, virt_io, new_io) = (
                bit(phys_cmd, COMMAND_IO),
                bit(virt_cmd, COMMAND_IO),
                bit(new_cmd, COMMAND_IO),
            );

            let mem = if new_mem {
                dev.memory_write()
            } else {
                Self::memory_write_revoke(dev)
            };
            // Decode the user believes on but the device has off: the device was reset behind
            // our back (SR-IOV does this), and its BARs need restoring before decode goes on.
            if (new_mem && virt_mem && !phys_mem && !pdev.no_command_memory())
                || (new_io && virt_io && !phys_io)
                || self.need_bar_restore(pdev)
            {
                self.bar_restore(pdev);
            }
            command = Some((mem, new_cmd));
        }

        // On failure the guard, if any, is dropped on the way out.
        self.default_write(a, val)?;

        if let Some((mut mem, new_cmd)) = command {
            // Remember the decode bits the user asked for, for the test above next time.
            let mask = COMMAND_MEMORY | COMMAND_IO;
            let cmd = update(self.vget(COMMAND, 2), new_cmd, mask);
            self.vset(COMMAND, 2, cmd);
            mem.set_cmd_memory(self.cmd_memory());
        }

        if intx {
            let disable = self.vget(COMMAND, 2) & COMMAND_INTX_DISABLE != 0;
            let irqs = a.irqs();
            if disable != irqs.virq_disabled {
                irqs.intx_disable_changed(pdev, disable);
            }
        }

        if is_bar(offset) {
            self.bardirty = true;
        }
        Ok(())
    }

    /// After a write to the power management capability (C: `vfio_pm_config_write`): a write
    /// to the control register moves the function to the power state it names.
    pub(super) fn pm_written(&mut self, a: &mut Access<'_>, val: u32) -> Result {
        if a.offset != PM_CTRL {
            return Ok(());
        }
        let state = match val & PM_CTRL_STATE_MASK {
            0 => PowerState::D0,
            1 => PowerState::D1,
            2 => PowerState::D2,
            _ => PowerState::D3Hot,
        };
        // C: `vfio_lock_and_set_power_state`.
        let mut mem = Self::memory_write_revoke(a.dev);
        self.set_power_state(a.pdev, &mut mem, state);
        Ok(())
    }

    /// After a write to the VPD capability (C: `vfio_vpd_config_write`). Address and data are
    /// virtual; a write reaching the flag bit (the address register's high byte) starts the
    /// transfer, done synchronously, and completion is signalled by toggling the flag. On
    /// failure the flag stays, and the user times out.
    pub(super) fn vpd_written(&mut self, a: &mut Access<'_>, _val: u32) -> Result {
        if !a.covers(VPD_ADDR + 1) {
            return Ok(());
        }
        let pdev = a.pdev;
        let mut addr = self.vget(a.start + VPD_ADDR, 2);
        if addr & VPD_ADDR_F != 0 {
            let data = self.vget(a.start + VPD_DATA, 4);
            if pdev.write_vpd(addr & !VPD_ADDR_F, &data.to_ne_bytes()) != Ok(4) {
                return Ok(());
            }
        } else {
            let mut data = [0u8; 4];
            if pdev.read_vpd(addr, &mut data).is_err() {
                return Ok(());
            }
            self.vset(a.start + VPD_DATA, 4, u32::from_ne_bytes(data));
        }
        addr ^= VPD_ADDR_F;
        self.vset(a.start + VPD_ADDR, 2, addr);
        Ok(())
    }

    /// After a write to the PCI Express capability (C: `vfio_exp_config_write`); `readrq` is
    /// the virtual read request size before the write.
    ///
    /// The FLR bit is virtual: setting it resets the function (by whatever method the PCI core
    /// picks) if the device advertises FLR, and it always reads back as zero, as the spec
    /// wants. The read request size goes to the device too, but never below the payload size,
    /// which the user cannot change, so that full-size TLPs remain possible.
    pub(super) fn exp_written(&mut self, a: &mut Access<'_>, readrq: u32) -> Result {
        let pdev = a.pdev;
        let ctrl_pos = a.start + EXP_DEVCTL;
        let mut ctrl = self.vget(ctrl_pos, 2);
        if ctrl & EXP_DEVCTL_BCR_FLR != 0 {
            ctrl &= !EXP_DEVCTL_BCR_FLR;
            self.vset(ctrl_pos, 2, ctrl);
            let devcap = pdev.user_read_config::<u32>(a.start + EXP_DEVCAP);
            if devcap.is_ok_and(|cap| cap & EXP_DEVCAP_FLR != 0) {
                self.user_reset(a);
            }
        }

        if readrq != ctrl & EXP_DEVCTL_READRQ {
            // CAST: A 3-bit field.
            let rq = 128i32 << ((ctrl & EXP_DEVCTL_READRQ) >> 12) as i32;
            let _ = pdev.pcie_set_readrq(rq.max(pdev.pcie_get_mps()));
        }
        Ok(())
    }

    /// After a write to the advanced features capability (C: `vfio_af_config_write`): the FLR
    /// bit is virtual, resets the function if the device advertises FLR and transactions
    /// pending, and reads back as zero.
    pub(super) fn af_written(&mut self, a: &mut Access<'_>, _val: u32) -> Result {
        let ctrl_pos = a.start + AF_CTRL;
        let ctrl = self.vget(ctrl_pos, 1);
        if ctrl & AF_CTRL_FLR != 0 {
            self.vset(ctrl_pos, 1, ctrl & !AF_CTRL_FLR);
            let cap = a.pdev.user_read_config::<u8>(a.start + AF_CAP).map(u32::from);
            if cap.is_ok_and(|c| c & AF_CAP_FLR != 0 && c & AF_CAP_TP != 0) {
                self.user_reset(a);
            }
        }
        Ok(())
    }

    /// After a write to the MSI capability (C: `vfio_msi_config_write`).
    ///
    /// Address and data are virtual. A write that reaches the flags (or ends right below
    /// them, as in C) writes the virtual flags to the device, with the enable bit cleared
    /// unless the interrupt code enabled MSI, and the queue size capped at what it allocated.
    ///
    /// Reads are the default: the virtual flags read back as the device's at open, then with
    /// the writable bits as written. (C's read side, `vfio_msi_config_read`, means to store
    /// `msi_qmax` into Multiple Message Capable, but writes it at the capability's first word,
    /// ID and next pointer, where no read can see it: the ID is read from the device and the
    /// field's bits miss the next pointer. Doing what it means would make a device look
    /// single-vector until MSI is first enabled; not doing it but keeping the field writable,
    /// as C does, lets a user's value read back. Here the field is read-only: see
    /// `perm::MSI_FLAGS_WRITABLE`.)
    pub(super) fn msi_written(&mut self, a: &mut Access<'_>, _val: u32) -> Result {
        // CAST: `n <= 4`.
        if a.offset > MSI_FLAGS || a.offset + (a.n as u16) < MSI_FLAGS {
            return Ok(());
        }
        let fpos = a.start + MSI_FLAGS;
        let mut flags = self.vget(fpos, 2);
        let irqs = a.irqs();
        if !irqs.is_msi() {
            flags &= !MSI_FLAGS_ENABLE;
        }
        if (flags & MSI_FLAGS_QSIZE) >> 4 > irqs.msi_qmax {
            flags = (flags & !MSI_FLAGS_QSIZE) | (irqs.msi_qmax << 4);
        }
        self.vset(fpos, 2, flags);
        // CAST: The flags are a word.
        a.pdev.user_write_config::<u16>(fpos, flags as u16)
    }
}
