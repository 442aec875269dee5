// SPDX-License-Identifier: GPL-2.0

//! Config space virtualization: what `vfio_pci_config.c` does in C.
//!
//! FIXME: this is the first step only: reads pass through to the device and,
//! of the writes, only those to the command register reach it (bus master,
//! memory and I/O decode, INTx disable), under the write side of
//! `memory_lock`; all other writes are dropped. The full virtualization
//! (BAR sizing, capability permissions, emulated fields) replaces it.

use crate::core::Device;
use kernel::{
    device::Bound,
    pci,
    prelude::*, //
};

const PCI_COMMAND: u16 = 0x04;
const PCI_COMMAND_IO: u16 = 0x1;
const PCI_COMMAND_MEMORY: u16 = 0x2;
const PCI_COMMAND_MASTER: u16 = 0x4;
const PCI_COMMAND_INTX_DISABLE: u16 = 0x400;

/// The command register bits a user may change.
const COMMAND_WRITABLE: u16 =
    PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;

/// The virtual config space of an open device.
pub(crate) struct Config {
    /// The size of config space: 256 or 4096 bytes.
    size: u16,
}

impl Config {
    /// Builds the virtual config space when the device is opened.
    pub(crate) fn new(pdev: &pci::Device<Bound>) -> Result<Self> {
        Ok(Self {
            size: crate::core::cfg_size(pdev),
        })
    }

    /// Returns whether memory decode is enabled in the (virtual) command register.
    pub(crate) fn memory_enabled(&self, pdev: &pci::Device<Bound>) -> bool {
        pdev.user_read_config_u16(PCI_COMMAND)
            .is_ok_and(|c| c & PCI_COMMAND_MEMORY != 0)
    }

    /// Reads `n` (1, 2 or 4) naturally aligned bytes at `pos`.
    pub(crate) fn read(
        &mut self,
        _dev: &Device,
        pdev: &pci::Device<Bound>,
        pos: u16,
        n: usize,
    ) -> Result<u32> {
        if pos >= self.size {
            return Err(EFAULT);
        }
        match n {
            4 => pdev.user_read_config_u32(pos),
            2 => pdev.user_read_config_u16(pos).map(u32::from),
            _ => pdev.user_read_config_u8(pos).map(u32::from),
        }
    }

    /// Writes the low `n` (1, 2 or 4) bytes of `val` at `pos`.
    pub(crate) fn write(
        &mut self,
        dev: &Device,
        pdev: &pci::Device<Bound>,
        pos: u16,
        n: usize,
        val: u32,
    ) -> Result {
        // Only a write covering the low byte (or both bytes) of the command register is
        // honoured here.
        if !(pos <= PCI_COMMAND && pos + n as u16 > PCI_COMMAND) {
            return Ok(());
        }
        let shift = 8 * u32::from(PCI_COMMAND - pos);
        let mut mask = 0xffffu16;
        if n == 1 {
            mask = 0x00ff;
        }
        // CAST: The shifted value keeps the command word in the low 16 bits.
        let new = (val >> shift) as u16 & mask;

        let mut mem = dev.memory.write();
        let cur = pdev.user_read_config_u16(PCI_COMMAND)?;
        let cmd = (cur & !(COMMAND_WRITABLE & mask)) | (new & COMMAND_WRITABLE);
        pdev.user_write_config_u16(PCI_COMMAND, cmd)?;
        mem.memory_enabled = cmd & PCI_COMMAND_MEMORY != 0;
        Ok(())
    }
}
