// SPDX-License-Identifier: GPL-2.0

//! `VFIO_DEVICE_IOEVENTFD`: writes to a BAR triggered by an eventfd, so that a
//! hypervisor can forward a guest's doorbell write without a trip through
//! userspace (`vfio_pci_rdwr.c` in C).
//!
//! The write happens in the eventfd's wake-up if the read side of
//! `memory_lock` can be taken without waiting, else from a worker that
//! waits for it; either way only while memory decode is enabled.

#![forbid(unsafe_code)]

use crate::{
    memory::{
        MemoryLock,
        MemoryState, //
    },
    pci_core::{
        Device,
        MsixTable, //
    },
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
    sync::{
        aref::ARef,
        Arc, //
    },
    vfio::virqfd::{
        VirqFd,
        VirqHandler, //
    },
};

/// The most ioeventfds a device may have (as in C).
const MAX: usize = 1000;

/// One triggered write.
///
/// It holds the function and its `memory_lock`, not the VFIO device: the device holds its
/// ioeventfds, and a reference back would be a cycle.
struct Write {
    pdev: ARef<pci::Device>,
    memory: Arc<MemoryLock>,
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
        if self.test_mem && !mem.memory_enabled(&self.pdev) {
            return;
        }
        let Some(io) = mem.try_bar(self.bar) else {
            return;
        };
        // At any offset, aligned or not, as C does.
        let _ = io.write_unaligned(self.data, self.pos, self.count.into());
    }
}

impl VirqHandler for Write {
    fn handler(&self) -> bool {
        match self.memory.try_read() {
            Some(mem) => {
                self.write(&mem);
                false
            }
            // Contended (a reset or a memory-enable change): wait for it in the worker.
            None => true,
        }
    }

    fn thread(&self) {
        let mem = self.memory.read();
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
    let bar = (offset >> crate::pci_core::OFFSET_SHIFT) as u32;
    let pos = offset & crate::pci_core::OFFSET_MASK;
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
    if let Some(e) = dev.memory_read().bar_error(bar) {
        return Err(e);
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
        pdev: dev.pdev.clone(),
        memory: dev.memory_lock(),
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
