// SPDX-License-Identifier: GPL-2.0

//! An in-tree variant for QEMU's `edu` device (1234:11e8), to show and test how a variant
//! overrides `mmap`.
//!
//! The variant maps only the first page of BAR0 (the identification, liveness, factorial and
//! interrupt registers), through the device file itself with a fault handler of its own
//! ([`vfio::Device::map_io`]), instead of through a DMA buffer as the core does; and it says so
//! in `VFIO_DEVICE_GET_REGION_INFO` with a sparse mmap capability of that one page. Any other
//! mapping (another page, another BAR, a private mapping) is refused with `EINVAL`.
//!
//! It comes as two PCI drivers:
//!
//! - `vfio-pci-edu` ([`Edu`]) keeps [`Variant::ZAP_BARS_ON_REVOKE`] at its default (on, as it
//!   overrides `mmap`): turning memory decode off, a reset or a power transition zaps its
//!   mappings, and the fault handler refuses access (`SIGBUS`) until the core gives the BARs
//!   back;
//! - `vfio-pci-edu-nozap` ([`EduNoZap`]) opts out: its mappings are left in place when the core
//!   revokes the BARs, and the fault handler is asked only for pages not yet mapped. This is
//!   what a variant whose mappings are safe to keep would do; for `edu` it exists to test that
//!   the opt-out holds.

#![forbid(unsafe_code)]

use crate::{
    pci_core::Device,
    variant::{
        Core,
        Variant, //
    },
};
use kernel::{
    device::Bound,
    mm::{
        pfnmap::{
            VmFault,
            VmFaultResult,
            VmOperations, //
        },
        virt::VmaNew,
    },
    page::PAGE_SIZE,
    pci,
    prelude::*,
    uapi,
    vfio, //
};

/// The PCI driver name of [`Edu`].
pub(crate) const DRIVER_NAME: &CStr = c"vfio-pci-edu";

/// The PCI driver name of [`EduNoZap`].
pub(crate) const NOZAP_DRIVER_NAME: &CStr = c"vfio-pci-edu-nozap";

/// QEMU's `edu`.
const IDS: vfio::pci::IdArray<1> = vfio::pci::id_array([(0x1234, 0x11e8)]);

/// The BAR the variant maps.
const BAR: u32 = uapi::VFIO_PCI_BAR0_REGION_INDEX;

/// `edu` with its own mapping of BAR0's first page, zapped when the core revokes the BARs.
pub(crate) struct Edu;

/// `edu` with its own mapping of BAR0's first page, opted out of the zap.
pub(crate) struct EduNoZap;

#[vtable]
impl Variant for Edu {
    const ID_TABLE: vfio::pci::IdTable = &IDS;

    fn mmap(dev: &Device, pdev: &pci::Device<Bound>, vma: &VmaNew) -> Result {
        mmap(dev, pdev, vma)
    }

    fn region_info(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        info: &mut vfio::RegionInfo,
        caps: &mut vfio::InfoCaps<'_>,
    ) -> Result {
        region_info(dev, pdev, info, caps)
    }
}

#[vtable]
impl Variant for EduNoZap {
    const ID_TABLE: vfio::pci::IdTable = &IDS;
    const ZAP_BARS_ON_REVOKE: bool = false;

    fn mmap(dev: &Device, pdev: &pci::Device<Bound>, vma: &VmaNew) -> Result {
        mmap(dev, pdev, vma)
    }

    fn region_info(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        info: &mut vfio::RegionInfo,
        caps: &mut vfio::InfoCaps<'_>,
    ) -> Result {
        region_info(dev, pdev, info, caps)
    }
}

// The defaults the two drivers are about.
const _: () = assert!(Edu::ZAP_BARS_ON_REVOKE && !EduNoZap::ZAP_BARS_ON_REVOKE);

/// `mmap()`: BAR0's first page only, shared, through the device file.
fn mmap(dev: &Device, pdev: &pci::Device<Bound>, vma: &VmaNew) -> Result {
    // BAR0's region starts at offset 0 of the device file: its first page is page 0.
    if vma.pgoff() != 0 || vma.end() - vma.start() != PAGE_SIZE || !vma.is_shared() {
        return Err(EINVAL);
    }
    // The BAR is claimed (requested and mapped) for the open device, or why not.
    if dev.memory_read().bar(pdev, BAR)?.pfns().is_none() {
        return Err(EINVAL);
    }
    dev.map_io::<Bar0Page>(vma)
}

/// Region information: the core's, with BAR0 restricted to its first page by a sparse mmap
/// capability, and no other BAR mappable.
fn region_info(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    info: &mut vfio::RegionInfo,
    caps: &mut vfio::InfoCaps<'_>,
) -> Result {
    Core::region_info(dev, pdev, info, caps)?;
    if info.flags & uapi::VFIO_REGION_INFO_FLAG_MMAP == 0 {
        return Ok(());
    }
    if info.index != BAR {
        // `edu` has no other BAR, nor MSI-X: nothing else to say about one.
        info.flags &= !uapi::VFIO_REGION_INFO_FLAG_MMAP;
        return Ok(());
    }
    // CAST: Widening.
    caps.add_sparse_mmap(&[(0, PAGE_SIZE as u64)])
}

/// The fault handler of the variant's mappings: BAR0's first page while the user may reach the
/// device's memory, `SIGBUS` otherwise.
struct Bar0Page;

#[vtable]
impl VmOperations for Bar0Page {
    type Data = Device;

    fn huge_fault(dev: &Device, vmf: &VmFault<'_>, order: u32) -> VmFaultResult {
        // One page: never a huge entry.
        if order != 0 {
            return VmFaultResult::FALLBACK;
        }
        // The mapping is of page 0 of the device file, one page long (see `mmap`).
        if vmf.file_page(0) != Some(0) {
            return VmFaultResult::SIGBUS;
        }
        let ret = {
            let mem = dev.memory_read();
            match mem.bar_pfns(BAR) {
                Some(pfns) if mem.may_fault(&dev.pdev) => vmf.insert_io(&pfns, 0, 0),
                _ => VmFaultResult::SIGBUS,
            }
        };
        // Logged outside `memory_lock`.
        if ret == VmFaultResult::SIGBUS {
            dev_dbg!(dev.pdev.as_ref(), "edu: fault on BAR0 refused\n");
        }
        ret
    }
}
