// SPDX-License-Identifier: GPL-2.0

//! BAR mappings as DMA buffers: what `vfio_pci_dmabuf.c` and the mmap half of
//! `vfio_pci_core.c` do in C.
//!
//! Every `mmap()` of a BAR through the device file makes a DMA buffer of one range, the part of
//! the BAR being mapped, and hands the new VMA to it: the VMA's file becomes the buffer's, and
//! the buffer holds the device file, so that the mapping keeps the device open after the user
//! closes its fd, as a mapping of the device file itself would. Faults are served by the
//! buffer, under the read side of `memory_lock` ([`BarBuf::fault`]); revoking the device's
//! buffers ([`crate::memory::MemoryWriteGuard::zap_revoke_bars`]) zaps their mappings, and the
//! next access faults and is refused until the buffers are given back.
//!
//! Lock order: `memory_lock`, then the registry of buffers (the dma-buf abstraction's lock),
//! then a buffer's reservation lock, then the page table locks of `unmap_mapping_range`. Faults
//! come in holding the VMA or mmap lock and take only the read side of `memory_lock`; importers
//! call in holding a reservation lock and take nothing of ours.

#![forbid(unsafe_code)]

use crate::{
    memory::{
        MemoryLock,
        MemoryState,
        MemoryWriteGuard, //
    },
    pci_core::{
        Device,
        OFFSET_SHIFT, //
    },
};
use kernel::{
    device::Bound,
    dma_buf::{
        self,
        Attachment,
        DmaBuf,
        ResvHeld, //
    },
    fs::File,
    mm::{
        pfnmap::{
            VmFault,
            PMD_ORDER,
            PUD_ORDER,
            VmFaultResult, //
        },
        virt::VmaNew,
    },
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    pci::{
        self,
        passthrough::{
            RESOURCE_MEM,
            STD_NUM_BARS, //
        },
    },
    alloc::flags::__GFP_NOWARN,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            AtomicFlag,
            Relaxed, //
        },
        Arc,
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    uapi,
    vfio::uapi::{
        check_feature,
        read_prefix,
        FeatureCheck, //
    },
};

/// The operations of the driver's buffers.
static BUF_OPS: dma_buf::Ops<BarBuf> = dma_buf::Ops::new();

/// The registry of a device's buffers.
pub(crate) type Registry = dma_buf::Registry<BarBuf>;

/// Pages of one BAR in a buffer.
#[derive(Clone, Copy)]
struct Range {
    /// The BAR.
    bar: u32,
    /// The first page, counted from the start of the BAR.
    first: usize,
    /// The number of pages.
    pages: usize,
}

/// A DMA buffer of BAR pages: its ranges, one after the other, make up the buffer.
pub(crate) struct BarBuf {
    /// The device's `memory_lock`, which faults take for read.
    memory: Arc<MemoryLock>,
    /// The function, for its power state.
    pdev: ARef<pci::Device>,
    /// The pages of the buffer.
    ranges: KVec<Range>,
    /// Whether access through the buffer is revoked. Written with the write side of
    /// `memory_lock` and the buffer's reservation lock both held, read with either one held:
    /// faults read it under `memory_lock`, importers under the reservation lock. A buffer made
    /// by `mmap()` ([`Self::file`] is set) has no importers: the write side of `memory_lock`
    /// alone guards its mark.
    revoked: AtomicFlag,
    /// Whether the device was closed after the buffer was exported: it is revoked for good.
    /// Written with the write side of `memory_lock` (and the reservation lock) held.
    detached: AtomicFlag,
    /// The device file whose mapping the buffer took over, kept open while the mapping lives;
    /// `None` for an exported buffer. A buffer made by `mmap()` never has a file descriptor, so
    /// nobody can import it.
    file: Option<ARef<File>>,
    /// The bus address and length of an exported buffer of one range, which iommufd may map.
    phys: Option<(u64, usize)>,
}

impl BarBuf {
    /// Returns the BAR and the page in it of page `page` of the buffer, if the `pages` pages
    /// from there all lie in one range.
    fn find(&self, mut page: usize, pages: usize) -> Option<(u32, usize)> {
        for r in self.ranges.iter() {
            if page < r.pages {
                let end = page.checked_add(pages)?;
                return (end <= r.pages).then(|| (r.bar, r.first + page));
            }
            page -= r.pages;
        }
        None
    }

    /// Returns whether access through the buffer is revoked; `_state` (the read or write side
    /// of `memory_lock`) proves the value is stable.
    fn revoked(&self, _state: &MemoryState) -> bool {
        // Relaxed: written only with `memory_lock`'s write side held, which orders it.
        self.revoked.load(Relaxed)
    }

    /// Returns whether access through the buffer is revoked; `_resv` (the buffer's reservation
    /// lock, held by the caller of an importer's operation) proves the value is stable.
    fn revoked_resv(&self, _resv: &ResvHeld<'_, Self>) -> bool {
        // Relaxed: a buffer an importer can reach is exported, and the mark of an exported
        // buffer is written only with the reservation lock held, which orders it.
        self.revoked.load(Relaxed)
    }

    /// Revokes the buffer, or gives it back; `mem` proves the write side of `memory_lock` is
    /// held, so no fault is in flight and none can start until it is dropped.
    ///
    /// Revoking marks the buffer under its reservation lock, so that no importer maps it from
    /// then on, tells the importers to unmap it and waits for them, then zaps every CPU mapping
    /// of it. Giving it back only clears the mark: importers and faults map it again on demand.
    /// A buffer made by `mmap()` has no importers: marking and zapping it is all there is.
    pub(crate) fn set_revoked(buf: &DmaBuf<Self>, revoke: bool, mem: &MemoryWriteGuard<'_>) {
        let this = buf.data();
        if this.revoked(mem) == revoke || (!revoke && this.detached.load(Relaxed)) {
            return;
        }
        if this.file.is_some() {
            // Relaxed: faults read the mark under `memory_lock`, whose write side `mem` holds.
            this.revoked.store(revoke, Relaxed);
            if revoke {
                buf.zap_mappings();
            }
            return;
        }
        let resv = buf.lock_resv();
        this.revoked.store(revoke, Relaxed);
        if revoke {
            resv.invalidate_mappings();
            resv.wait_idle();
            drop(resv);
            buf.zap_mappings();
        }
    }

    /// Exports a buffer of `size` bytes made of `ranges` of `dev`'s BARs, opened with `flags`,
    /// into the device's registry. `mem`, the read side of `memory_lock` held, keeps any
    /// revocation out until the buffer is in the registry, so that its initial state (revoked
    /// if the device's mappings are) cannot miss one.
    #[expect(clippy::too_many_arguments)]
    fn export(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        mem: &MemoryState,
        ranges: KVec<Range>,
        size: usize,
        flags: u32,
        file: Option<ARef<File>>,
        phys: Option<(u64, usize)>,
    ) -> Result<ARef<DmaBuf<Self>>> {
        let data = BarBuf {
            memory: dev.memory_lock(),
            pdev: dev.pdev.clone(),
            ranges,
            revoked: AtomicFlag::new(mem.revoked_for_new() || !mem.user_access(pdev)),
            detached: AtomicFlag::new(false),
            file,
            phys,
        };
        DmaBuf::export(c"vfio-pci", data, size, flags, Some(mem.registry()))
    }

    /// Revokes the buffer for good: the device it belongs to is being closed.
    pub(crate) fn detach(buf: &DmaBuf<Self>, mem: &MemoryWriteGuard<'_>) {
        Self::set_revoked(buf, true, mem);
        buf.data().detached.store(true, Relaxed);
    }
}

#[vtable]
impl dma_buf::Exporter for BarBuf {
    const OPS: &'static dma_buf::Ops<Self> = &BUF_OPS;

    fn phys(buf: &DmaBuf<Self>, resv: &ResvHeld<'_, Self>) -> Result<(u64, usize)> {
        let this = buf.data();
        if this.revoked_resv(resv) {
            return Err(ENODEV);
        }
        this.phys.ok_or(EOPNOTSUPP)
    }

    fn attach(buf: &DmaBuf<Self>, attachment: &Attachment) -> Result {
        if !attachment.peer2peer() {
            return Err(EOPNOTSUPP);
        }
        // Relaxed: a racing revocation invalidates the attachment once it exists.
        if buf.data().revoked.load(Relaxed) {
            return Err(ENODEV);
        }
        if !attachment.is_revocable() {
            return Err(EOPNOTSUPP);
        }
        Ok(())
    }

    fn fault(buf: &DmaBuf<Self>, vmf: &VmFault<'_>, order: u32) -> VmFaultResult {
        let this = buf.data();
        // The block of the fault does not fit in the VMA: a smaller order may.
        let Some(page) = vmf.file_page(order) else {
            return VmFaultResult::FALLBACK;
        };
        let Some(pages) = 1usize.checked_shl(order) else {
            return VmFaultResult::FALLBACK;
        };
        let ret = {
            let mem = this.memory.read();
            if this.revoked(&mem) || !mem.user_access(&this.pdev) {
                VmFaultResult::SIGBUS
            } else {
                match this.find(page, pages) {
                    Some((bar, index)) => match mem.bar_pfns(bar) {
                        Some(pfns) => vmf.insert_io(&pfns, index, order),
                        None => VmFaultResult::SIGBUS,
                    },
                    None if order > 0 => VmFaultResult::FALLBACK,
                    None => VmFaultResult::SIGBUS,
                }
            }
        };
        let slot = match order {
            0 => Some(0),
            PMD_ORDER => Some(1),
            PUD_ORDER => Some(2),
            _ => None,
        };
        if let Some(i) = slot.filter(|_| ret.is_mapped()) {
            this.memory.faults[i].fetch_add(1, Relaxed);
        } else if ret == VmFaultResult::SIGBUS {
            this.memory.faults[3].fetch_add(1, Relaxed);
        }
        // Logged outside `memory_lock`.
        if ret == VmFaultResult::SIGBUS {
            dev_dbg!(
                this.pdev.as_ref(),
                "fault (order {}) at buffer page {:#x} refused\n",
                order,
                page
            );
        }
        ret
    }
}

/// What debugfs shows of a device's mappings: the faults served by entry size, and each DMA
/// buffer with its ranges and state.
pub(crate) struct DebugView(pub(crate) Arc<MemoryLock>);

impl core::fmt::Debug for DebugView {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let n = |i: usize| self.0.faults[i].load(Relaxed);
        writeln!(f, "faults_4k: {}", n(0))?;
        writeln!(f, "faults_2m: {}", n(1))?;
        writeln!(f, "faults_1g: {}", n(2))?;
        writeln!(f, "faults_refused: {}", n(3))?;
        // The registry is below `memory_lock`: take it with the lock dropped.
        let bufs = self.0.read().registry().clone();
        let mut res = Ok(());
        bufs.for_each(|buf| {
            let this = buf.data();
            let kind = if this.file.is_some() { "mmap" } else { "export" };
            res = res.and_then(|()| {
                write!(
                    f,
                    "dmabuf {} size {:#x} revoked {} detached {}",
                    kind,
                    buf.size(),
                    u8::from(this.revoked.load(Relaxed)),
                    u8::from(this.detached.load(Relaxed)),
                )?;
                for r in this.ranges.iter() {
                    write!(f, " bar{}:{:#x}+{:#x}", r.bar, r.first, r.pages)?;
                }
                writeln!(f)
            });
        });
        res
    }
}

/// `mmap()` of the device file (C: `vfio_pci_core_mmap`): maps part of a BAR, through a DMA
/// buffer made for it.
pub(crate) fn mmap(dev: &Device, pdev: &pci::Device<Bound>, vma: &VmaNew) -> Result {
    // CAST: `PAGE_SHIFT` is 12.
    let shift = OFFSET_SHIFT - PAGE_SHIFT as u32;
    let index = vma.pgoff() >> shift;
    // Region indices beyond the BARs, ROM included, cannot be mapped; nor can private
    // (copy-on-write) mappings.
    if index >= uapi::VFIO_PCI_NUM_REGIONS as usize || !vma.is_shared() {
        return Err(EINVAL);
    }
    if index >= uapi::VFIO_PCI_ROM_REGION_INDEX as usize {
        return Err(EINVAL);
    }
    // CAST: Below `VFIO_PCI_ROM_REGION_INDEX`.
    let bar = index as u32;
    if !mmap_supported(dev, pdev, bar) {
        return Err(EINVAL);
    }
    let bar_len = usize::try_from(pdev.resource_span(bar).ok_or(EINVAL)?.len)?;
    let bar_pages = bar_len.div_ceil(PAGE_SIZE);
    let first = vma.pgoff() & ((1usize << shift) - 1);
    let len = vma.end() - vma.start();
    let pages = len >> PAGE_SHIFT;
    if first.checked_add(pages).is_none_or(|end| end > bar_pages) {
        return Err(EINVAL);
    }

    // One range: allocated at its size, not grown into.
    let mut ranges = KVec::with_capacity(1, GFP_KERNEL)?;
    ranges.push(Range { bar, first, pages }, GFP_KERNEL)?;
    let file: ARef<File> = vma.file().ok_or(EINVAL)?.into();
    let buf = {
        // The read side is enough: the buffer's initial state and its entry in the registry
        // must not miss a revocation, which takes the write side.
        let mem = dev.memory_read();
        // The BAR is claimed (requested and mapped) for the open device, or why not.
        if mem.bar(pdev, bar)?.pfns().is_none() {
            return Err(EINVAL);
        }
        BarBuf::export(dev, pdev, &mem, ranges, len, uapi::O_RDWR, Some(file), None)?
    };
    buf.take_mapping(vma)
}

/// Returns the alignment for a mapping of `len` bytes at page `pgoff` of the device file: the
/// largest huge page size (1 GiB, 2 MiB) that the BAR and the mapping span, so that a plain
/// `mmap(NULL, ...)` of a large BAR lands where the fault handler can use huge entries. (A BAR
/// is aligned to its size, so its frames line up with the region offset modulo any size up to
/// the BAR's.) Zero for no preference.
pub(crate) fn mmap_alignment(dev: &Device, pdev: &pci::Device<Bound>, pgoff: usize, len: usize) -> usize {
    // CAST: `PAGE_SHIFT` is 12.
    let index = pgoff >> (OFFSET_SHIFT - PAGE_SHIFT as u32);
    if index >= uapi::VFIO_PCI_ROM_REGION_INDEX as usize {
        return 0;
    }
    // CAST: Below `VFIO_PCI_ROM_REGION_INDEX`.
    let bar = index as u32;
    if !mmap_supported(dev, pdev, bar) {
        return 0;
    }
    let Ok(bar_len) = pdev.resource_len(bar) else {
        return 0;
    };
    [PUD_ORDER, PMD_ORDER]
        .into_iter()
        .map(|order| PAGE_SIZE << order)
        // CAST: Widening.
        .find(|&size| len >= size && bar_len >= size as u64)
        .unwrap_or(0)
}

/// `VFIO_DEVICE_FEATURE_DMA_BUF` (C: `vfio_pci_core_feature_dma_buf`): exports ranges of a BAR
/// as one DMA buffer, which starts revoked if memory decode is off and is revoked with the
/// device's mappings. Returns its fd.
pub(crate) fn export(
    dev: &Device,
    pdev: &pci::Device<Bound>,
    flags: u32,
    arg: UserPtr,
    argsz: usize,
) -> Result<isize> {
    let hdr = size_of::<uapi::vfio_device_feature_dma_buf>();
    if check_feature(flags, argsz, uapi::VFIO_DEVICE_FEATURE_GET, hdr)? == FeatureCheck::Probed {
        return Ok(0);
    }
    let req: uapi::vfio_device_feature_dma_buf = read_prefix(arg, hdr)?;
    if req.nr_ranges == 0 || req.flags != 0 {
        return Err(EINVAL);
    }
    // The BAR must exist and be claimed for the open device.
    let bar = req.region_index;
    if bar >= uapi::VFIO_PCI_ROM_REGION_INDEX || dev.memory_read().bar(pdev, bar).is_err() {
        return Err(ENODEV);
    }
    let user = read_ranges(arg, hdr, req.nr_ranges)?;

    // Each range whole pages, none empty, the total representable (C's `validate_dmabuf_input`).
    let mut total: u64 = 0;
    for r in user.iter() {
        // CAST: Widening.
        let page = PAGE_SIZE as u64;
        if r.length == 0 || r.offset % page != 0 || r.length % page != 0 {
            return Err(EINVAL);
        }
        total = total.checked_add(r.length).ok_or(EINVAL)?;
    }
    // The top bit means something else to the DMA API's IOVA allocation.
    if total & (1 << 63) != 0 {
        return Err(EINVAL);
    }
    let total = usize::try_from(total).map_err(|_| EINVAL)?;

    // Peer-to-peer DMA reaches memory BARs only.
    if pdev.resource_flags(bar) & RESOURCE_MEM == 0 {
        return Err(EINVAL);
    }
    // Inside the BAR, counted in bus addresses as C does, so that the same input overflows.
    let start = pdev.resource_start(bar)?;
    let end = start.checked_add(pdev.resource_len(bar)?).ok_or(EOVERFLOW)?;
    let mut ranges = KVec::with_capacity(user.len(), GFP_KERNEL)?;
    // One range is what iommufd can map (C: `vfio_pci_dma_buf_iommufd_map`).
    let mut phys = None;
    for r in user.iter() {
        let first = start.checked_add(r.offset).ok_or(EOVERFLOW)?;
        if first.checked_add(r.length).ok_or(EOVERFLOW)? > end {
            return Err(EINVAL);
        }
        if user.len() == 1 {
            phys = Some((first, usize::try_from(r.length)?));
        }
        ranges.push(
            Range {
                bar,
                first: usize::try_from(r.offset >> PAGE_SHIFT)?,
                pages: usize::try_from(r.length >> PAGE_SHIFT)?,
            },
            GFP_KERNEL,
        )?;
    }
    drop(user);

    let buf = BarBuf::export(
        dev,
        pdev,
        &dev.memory_read(),
        ranges,
        total,
        req.open_flags,
        None,
        phys,
    )?;
    let fd = DmaBuf::into_fd(buf, req.open_flags)?;
    // CAST: An fd fits.
    Ok(fd as isize)
}

/// Reads the `n` ranges that follow the request's header (`hdr` bytes) at `arg`.
fn read_ranges(arg: UserPtr, hdr: usize, n: u32) -> Result<KVec<uapi::vfio_region_dma_range>> {
    let each = size_of::<uapi::vfio_region_dma_range>();
    // CAST: Widening.
    let n = n as usize;
    let len = n.checked_mul(each).ok_or(EOVERFLOW)?;
    // The user chooses `n`: a failed allocation is an error for the user, not a warning.
    let mut out = KVec::with_capacity(n, GFP_KERNEL | __GFP_NOWARN)?;
    let mut reader = UserSlice::new(arg.wrapping_byte_add(hdr), len).reader();
    for _ in 0..n {
        out.push(reader.read::<uapi::vfio_region_dma_range>()?, GFP_KERNEL)?;
    }
    Ok(out)
}

/// Returns whether userspace may map BAR `bar` (C: `bar_mmap_supported`): a memory BAR that
/// the device lets be mapped, a page or larger, or smaller but starting a page whose rest could
/// be reserved when the BAR was claimed at open.
pub(crate) fn mmap_supported(dev: &Device, pdev: &pci::Device<Bound>, bar: u32) -> bool {
    if bar >= STD_NUM_BARS || pdev.non_mappable_bars() {
        return false;
    }
    let Some(span) = pdev.resource_span(bar) else {
        return false;
    };
    if span.flags & RESOURCE_MEM == 0 {
        return false;
    }
    let len = span.len;
    // CAST: Widening.
    if len >= PAGE_SIZE as u64 {
        return true;
    }
    len != 0
        && dev
            .memory_read()
            .bar(pdev, bar)
            .is_ok_and(|m| m.pfns().is_some())
}
