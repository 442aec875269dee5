// SPDX-License-Identifier: GPL-2.0

//! Hot reset: resetting the slot or bus of a device, with every device the
//! reset reaches (`VFIO_DEVICE_GET_PCI_HOT_RESET_INFO` and
//! `VFIO_DEVICE_PCI_HOT_RESET`), as `vfio_pci_core.c` does.
//!
//! Every function a slot or bus reset reaches must be in the device's device
//! set (the VFIO devices that share the reset) and owned by the caller: in
//! the group form, each must belong to one of the VFIO group files passed;
//! in the cdev form, each must be bound to the caller's iommufd context (or
//! sit in an IOMMU group that context owns).
//!
//! Order, for each device of the set: take its `memory_lock` write side by
//! trylock (a contended lock fails the reset with `EBUSY` instead of risking
//! a deadlock across devices), bring it to D0; then reset; then release the
//! locks in reverse order.

#![forbid(unsafe_code)]

use crate::{
    memory::{
        MemoryWrite,
        MemoryWriteGuard, //
    },
    pci_core::{
        Device,
        VfioPciCore, //
    },
};
use kernel::{
    device::Bound,
    fs::LocalFile,
    pci::{
        self,
        passthrough::PowerState, //
    },
    pm_runtime::ActiveRef,
    prelude::*,
    sync::aref::ARef,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi,
    vfio::{
        self,
        uapi::{
            minsz,
            read_prefix,
            write_prefix, //
        },
    },
};

/// Whether a slot reset is possible (`true`), else a bus reset (`false`); `ENODEV` if neither.
fn reset_scope(pdev: &pci::Device<Bound>) -> Result<bool> {
    if pdev.can_reset_slot() {
        Ok(true)
    } else if pdev.can_reset_bus() {
        Ok(false)
    } else {
        Err(ENODEV)
    }
}

/// Counts the functions the reset reaches.
fn count_devices(pdev: &pci::Device<Bound>, slot: bool) -> Result<usize> {
    let mut n = 0usize;
    pdev.for_each_in_slot_or_bus(slot, &mut |_| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// `VFIO_PCI_DEVID_OWNED`: owned by the caller but not bound to its iommufd context.
const DEVID_OWNED: u32 = 0;
/// `VFIO_PCI_DEVID_NOT_OWNED` (-1 in a `__u32`): not owned by the caller.
const DEVID_NOT_OWNED: u32 = u32::MAX;

const DEPENDENT_SIZE: usize = core::mem::size_of::<uapi::vfio_pci_dependent_device>();

/// `VFIO_DEVICE_GET_PCI_HOT_RESET_INFO`.
pub(crate) fn ioctl_get_info(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    arg: UserPtr,
) -> Result<isize> {
    let minsz = minsz!(uapi::vfio_pci_hot_reset_info, count);
    let mut hdr: uapi::vfio_pci_hot_reset_info = read_prefix(arg, minsz)?;
    if (hdr.argsz as usize) < minsz {
        return Err(EINVAL);
    }
    hdr.flags = 0;
    let slot = reset_scope(pdev)?;
    let max = count_devices(pdev, slot)?;

    // Not enough room: say how much is needed.
    let needed = core::mem::size_of::<uapi::vfio_pci_hot_reset_info>() + max * DEPENDENT_SIZE;
    if (hdr.argsz as usize) < needed {
        hdr.count = max.try_into()?;
        write_prefix(arg, &hdr, minsz)?;
        return Err(ENOSPC);
    }

    let mut flags = 0u32;
    if dev.cdev_opened() {
        flags |= uapi::VFIO_PCI_HOT_RESET_FLAG_DEV_ID | uapi::VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
    }

    let mut out = KVec::with_capacity(max * DEPENDENT_SIZE, GFP_KERNEL)?;
    let mut count = 0usize;
    {
        let set = dev.lock_device_set();
        let ictx = if dev.cdev_opened() {
            dev.iommufd_ctx(&set)
        } else {
            None
        };
        pdev.for_each_in_slot_or_bus(slot, &mut |other| {
            // The topology changed since the devices were counted.
            if count >= max {
                return Err(EAGAIN);
            }
            count += 1;
            let id: u32 = if flags & uapi::VFIO_PCI_HOT_RESET_FLAG_DEV_ID != 0 {
                let devid = match (set.find(other.as_ref()), ictx) {
                    (Some(member), Some(ictx)) => match member.iommufd_dev_id(ictx) {
                        Ok(id) => id,
                        Err(e) if e == ENOENT => DEVID_OWNED,
                        Err(_) => DEVID_NOT_OWNED,
                    },
                    _ => DEVID_NOT_OWNED,
                };
                if devid == DEVID_NOT_OWNED {
                    flags &= !uapi::VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
                }
                devid
            } else {
                // Devices without an IOMMU group are not isolated: no reset for them.
                let group = other.iommu_group_id().ok_or(EPERM)?;
                u32::from_ne_bytes(group.to_ne_bytes())
            };
            // `struct vfio_pci_dependent_device`: the group or device ID, segment, bus, devfn.
            let segment: u16 = other.domain_nr().try_into().unwrap_or(u16::MAX);
            out.extend_from_slice(&id.to_ne_bytes(), GFP_KERNEL)?;
            out.extend_from_slice(&segment.to_ne_bytes(), GFP_KERNEL)?;
            out.extend_from_slice(&[other.bus_number(), other.devfn()], GFP_KERNEL)?;
            Ok(())
        })?;
    }

    hdr.count = count.try_into()?;
    hdr.flags = flags;
    UserSlice::new(
        arg.wrapping_byte_add(core::mem::size_of::<uapi::vfio_pci_hot_reset_info>()),
        out.len(),
    )
    .writer()
    .write_slice(&out)?;
    write_prefix(arg, &hdr, minsz)?;
    Ok(0)
}

/// Who asks for the reset, which decides which devices they own.
enum Owner<'a> {
    /// The group form: the VFIO group files passed in.
    Groups(&'a [ARef<LocalFile>]),
    /// The cdev form: the caller's iommufd context (that of the device the ioctl came through).
    Iommufd,
}

/// `VFIO_DEVICE_PCI_HOT_RESET`.
pub(crate) fn ioctl_hot_reset(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    arg: UserPtr,
) -> Result<isize> {
    let minsz = minsz!(uapi::vfio_pci_hot_reset, count);
    let hdr: uapi::vfio_pci_hot_reset = read_prefix(arg, minsz)?;
    if (hdr.argsz as usize) < minsz || hdr.flags != 0 {
        return Err(EINVAL);
    }
    // An empty array is the cdev form, and only the cdev form.
    if (hdr.count != 0) == dev.cdev_opened() {
        return Err(EINVAL);
    }
    let slot = reset_scope(pdev)?;

    if hdr.count == 0 {
        hot_reset(dev, pdev, slot, Owner::Iommufd)?;
        return Ok(0);
    }

    // One group per function at most: refuse a longer array than could make sense.
    let n = usize::try_from(hdr.count)?;
    if n > count_devices(pdev, slot)? {
        return Err(EINVAL);
    }
    let mut raw = KVec::new();
    raw.resize(n * 4, 0u8, GFP_KERNEL)?;
    UserSlice::new(arg.wrapping_byte_add(minsz), n * 4)
        .reader()
        .read_slice(&mut raw)?;
    // Hold every group file across the reset.
    let mut files = KVec::with_capacity(n, GFP_KERNEL)?;
    for fd in raw.chunks_exact(4) {
        let fd = i32::from_ne_bytes([fd[0], fd[1], fd[2], fd[3]]);
        let file = u32::try_from(fd)
            .ok()
            .and_then(|fd| LocalFile::fget(fd).ok())
            .ok_or(EBADF)?;
        if !vfio::file_is_group(&file) {
            return Err(EINVAL);
        }
        files.push(file, GFP_KERNEL)?;
    }
    hot_reset(dev, pdev, slot, Owner::Groups(&files))?;
    Ok(0)
}

/// Resets the slot or bus of the device set of `dev`: C's `vfio_pci_dev_set_hot_reset`.
///
/// All members of a set share one reset, so `pdev` (the caller's function) stands for them.
fn hot_reset(dev: &Device, pdev: &pci::Device<Bound>, slot: bool, owner: Owner<'_>) -> Result {
    let set = dev.lock_device_set();
    let ictx = match owner {
        Owner::Iommufd => dev.iommufd_ctx(&set),
        Owner::Groups(_) => None,
    };

    // Every function the reset reaches must be in the set.
    pdev.for_each_in_slot_or_bus(slot, &mut |other| {
        set.find(other.as_ref()).map(|_| ()).ok_or(ENODEV)
    })
    .map_err(|_| EINVAL)?;

    // Wake every member from runtime suspend (idle D3, or a user's low power) and keep it
    // awake until the locks are gone: a reset from D3hot loses state, and resuming takes the
    // `memory_lock`, so it cannot happen under it.
    let _awake = wake_members(&set)?;

    // Check ownership, and take each member's `memory_lock` write side by trylock: waiting for
    // one while holding another could deadlock against a user of that one.
    let mut locked: KVec<(Option<&pci::Device<Bound>>, MemoryWriteGuard<'_>)> = KVec::new();
    for member in set.members() {
        let owned = match (&owner, ictx) {
            (Owner::Groups(files), _) => files.iter().any(|f| member.in_group_file(f)),
            (Owner::Iommufd, Some(ictx)) => match member.iommufd_dev_id(ictx) {
                Ok(_) => true,
                Err(e) => e == ENOENT,
            },
            (Owner::Iommufd, None) => false,
        };
        if !owned {
            return Err(EINVAL);
        }
        let d = member.as_driver::<VfioPciCore>().ok_or(EINVAL)?;
        let guard = d.memory_try_write().ok_or(EBUSY)?;
        // Only an open member is known to be bound (see `SetMember::bound_parent`); a closed
        // one is left in D0 by its last close.
        let bound = member
            .bound_parent()
            .and_then(|p| <&pci::Device<Bound>>::try_from(p).ok());
        locked.push((bound, guard), GFP_KERNEL)?;
    }

    // Order, for every member, as for a function reset: D0 first (a bus reset from D3 would
    // lose the config space of NoSoftRst- devices, and DMA must see the device as its user left
    // it before the mappings go), then revoke, then reset; the mappings come back (if memory
    // decode is on) as the guards go, in reverse order.
    for (bound, guard) in locked.iter_mut() {
        if let Some(p) = bound {
            let _ = guard.set_power_state(p, PowerState::D0);
        }
        guard.zap_revoke_bars();
    }
    let ret = pdev.reset_bus();

    while let Some(entry) = locked.pop() {
        drop(entry);
    }
    ret
}

/// After a close: if no member of the set is open any more and one was left without a reset,
/// reset the slot or bus now (C's `vfio_pci_dev_set_try_reset`), so that no user's state
/// reaches the next one.
///
/// `pdev` is the function being closed (still counted as open); `set` is its device set, whose
/// lock the VFIO core holds around `close_device`.
pub(crate) fn try_reset_closed_set(pdev: &pci::Device<Bound>, set: &vfio::DeviceSet<'_>) {
    if set.open_count() > 1 {
        return;
    }
    let mut needs_reset = false;
    for member in set.members() {
        // Every member must be ours: only then do we know its state.
        let Some(d) = member.as_driver::<VfioPciCore>() else {
            return;
        };
        needs_reset |= d.needs_reset(set);
    }
    if !needs_reset {
        return;
    }
    // The reset must reach only members of the set.
    let Ok(slot) = reset_scope(pdev) else {
        return;
    };
    if pdev
        .for_each_in_slot_or_bus(slot, &mut |other| {
            set.find(other.as_ref()).map(|_| ()).ok_or(ENODEV)
        })
        .is_err()
    {
        return;
    }
    let Ok(_awake) = wake_members(set) else {
        return;
    };
    if pdev.reset_bus().is_ok() {
        for member in set.members() {
            if let Some(d) = member.as_driver::<VfioPciCore>() {
                d.set_needs_reset(set, false);
            }
        }
    }
}

/// Resumes every member of `set` that is ours and takes a reference that keeps it active (C:
/// `vfio_pci_dev_set_pm_runtime_get`); the references go with the returned vector.
fn wake_members(set: &vfio::DeviceSet<'_>) -> Result<KVec<ActiveRef>> {
    let mut awake = KVec::new();
    for member in set.members() {
        if let Some(d) = member.as_driver::<VfioPciCore>() {
            awake.push(ActiveRef::get(d.pdev.as_ref())?, GFP_KERNEL)?;
        }
    }
    Ok(awake)
}
