// SPDX-License-Identifier: GPL-2.0

//! `VFIO_DEVICE_IOEVENTFD`: writes to a BAR triggered by an eventfd, so that a
//! hypervisor can forward a guest's doorbell write without a trip through
//! userspace (`vfio_pci_rdwr.c` in C).
//!
//! The write happens in the eventfd's wake-up if the read side of
//! `memory_lock` can be taken without waiting, else from a worker that
//! waits for it; either way only while memory decode is enabled.

use crate::core::{
    Device,
    MemoryState,
    MsixTable, //
};
use kernel::{
    pci::{
        self,
        passthrough::{
            RESOURCE_MEM,
            STD_NUM_BARS, //
        },
    },
    prelude::*,
    sync::aref::ARef,
    vfio::virqfd::{
        VirqFd,
        VirqHandler, //
    },
};

/// The most ioeventfds a device may have (as in C).
const MAX: usize = 1000;

/// One triggered write.
struct Write {
    dev: ARef<Device>,
    bar: u32,
    pos: usize,
    data: u64,
    count: u8,
    /// Memory BARs are written only while memory decode is on.
    test_mem: bool,
}

impl Write {
    /// Writes `data` to the BAR; `mem` proves the read side of `memory_lock` is held.
    fn write(&self, mem: &MemoryState) {
        if self.test_mem && !mem.memory_enabled {
            return;
        }
        // CAST: `bar < STD_NUM_BARS`.
        let Some(Ok(map)) = mem.bars.get(self.bar as usize) else {
            return;
        };
        let Some(io) = map.try_access() else {
            return;
        };
        // CAST: Each width writes the low bytes of `data`, as the C driver does.
        let _ = match self.count {
            1 => io.write8(self.data as u8, self.pos),
            2 => io.write16(self.data as u16, self.pos),
            4 => io.write32(self.data as u32, self.pos),
            _ => io.write64(self.data, self.pos),
        };
    }
}

impl VirqHandler for Write {
    fn handler(&self) -> bool {
        match self.dev.memory.try_read() {
            Some(mem) => {
                self.write(&mem);
                false
            }
            // Contended (a reset or a memory-enable change): wait for it in the worker.
            None => true,
        }
    }

    fn thread(&self) {
        let mem = self.dev.memory.read();
        self.write(&mem);
    }
}

/// An attached ioeventfd, identified by what it writes where.
pub(crate) struct IoEventFd {
    bar: u32,
    pos: usize,
    data: u64,
    count: u8,
    _virq: VirqFd<Write>,
}

/// Adds (`fd >= 0`) or removes (`fd == -1`) an ioeventfd: C's `vfio_pci_ioeventfd`.
pub(crate) fn set(
    dev: &Device,
    pdev: &pci::Device<kernel::device::Bound>,
    msix: Option<MsixTable>,
    offset: u64,
    data: u64,
    count: u8,
    fd: i32,
) -> Result {
    // CAST: An offset shifted right by 40 fits in 24 bits.
    let bar = (offset >> crate::core::OFFSET_SHIFT) as u32;
    let pos = offset & crate::core::OFFSET_MASK;
    // Only BARs.
    if bar >= STD_NUM_BARS {
        return Err(EINVAL);
    }
    if pos + u64::from(count) > pdev.resource_len(bar)? {
        return Err(EINVAL);
    }
    // Not around the MSI-X table's write protection.
    if let Some(m) = msix {
        let end = pos + u64::from(count);
        if m.bar == bar && !(end <= m.offset || pos >= m.offset + m.size) {
            return Err(EINVAL);
        }
    }
    // The BAR must be mapped; why it is not is reported now.
    {
        let mem = dev.memory.read();
        // CAST: `bar < STD_NUM_BARS`.
        if let Some(Err(e)) = mem.bars.get(bar as usize) {
            return Err(*e);
        }
    }
    let pos = usize::try_from(pos)?;

    let mut list = dev.ioeventfds.lock();
    if let Some(i) = list
        .iter()
        .position(|e| e.bar == bar && e.pos == pos && e.data == data && e.count == count)
    {
        if fd != -1 {
            return Err(EEXIST);
        }
        // Dropping it detaches and flushes the handlers.
        drop(list.remove(i).map_err(|_| EINVAL)?);
        return Ok(());
    }
    if fd < 0 {
        return Err(ENODEV);
    }
    if list.len() >= MAX {
        return Err(ENOSPC);
    }
    let write = Write {
        dev: dev.into(),
        bar,
        pos,
        data,
        count,
        test_mem: pdev.resource_flags(bar) & RESOURCE_MEM != 0,
    };
    let virq = VirqFd::new(fd, write)?;
    list.push(
        IoEventFd {
            bar,
            pos,
            data,
            count,
            _virq: virq,
        },
        GFP_KERNEL,
    )?;
    Ok(())
}
