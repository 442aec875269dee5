// SPDX-License-Identifier: GPL-2.0

//! Device memory mapped into userspace on fault.
//!
//! A driver that lets userspace `mmap()` device memory (a PCI BAR, say) does not fill the page
//! tables when the mapping is made. It makes the new VMA a PFN map served by a
//! [`VmOperations`] implementation ([`VmaNew::set_io_pfnmap`]); the kernel then calls
//! [`VmOperations::huge_fault`] for each address userspace touches, and the handler decides at
//! that moment whether the memory may be reached, inserting the page frames with
//! [`VmFault::insert_io`] or refusing with [`VmFaultResult::SIGBUS`]. Zapping the page table
//! entries (`unmap_mapping_range()` on the file's address space, see
//! [`crate::dma_buf::DmaBuf::zap_mappings`]) makes the next access fault again, which is how
//! access is revoked.
//!
//! Fault handlers may run under the per-VMA lock without `mmap_lock`; nothing here assumes
//! either.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/huge_mm.h`](srctree/include/linux/huge_mm.h)

use crate::{
    bindings,
    error::{
        code::EINVAL,
        Result, //
    },
    fs::File,
    mm::virt::{
        flags,
        vm_flags_t,
        VmaNew,
        VmaRef, //
    },
    prelude::*,
};
use core::marker::PhantomData;

/// The order of a fault served with one page table entry of the PMD level (2 MiB on x86-64).
pub const PMD_ORDER: u32 = bindings::PMD_SHIFT - bindings::PAGE_SHIFT;

/// The order of a fault served with one page table entry of the PUD level (1 GiB on x86-64).
pub const PUD_ORDER: u32 = bindings::PUD_SHIFT - bindings::PAGE_SHIFT;

/// The outcome of a fault handler (C's `vm_fault_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VmFaultResult(bindings::vm_fault_t);

impl VmFaultResult {
    /// The access is refused: the faulting thread gets `SIGBUS`.
    pub const SIGBUS: Self = Self(bindings::vm_fault_reason_VM_FAULT_SIGBUS);
    /// The page tables were filled in: the access is retried and succeeds.
    pub const NOPAGE: Self = Self(bindings::vm_fault_reason_VM_FAULT_NOPAGE);
    /// A huge fault cannot be served at that order: the kernel retries with a smaller one.
    pub const FALLBACK: Self = Self(bindings::vm_fault_reason_VM_FAULT_FALLBACK);
    /// Out of memory for the page tables.
    pub const OOM: Self = Self(bindings::vm_fault_reason_VM_FAULT_OOM);

    /// Returns the C value.
    #[inline]
    pub fn as_raw(self) -> bindings::vm_fault_t {
        self.0
    }

    /// Returns whether the access was served (the page tables hold the frame now).
    #[inline]
    pub fn is_mapped(self) -> bool {
        self == Self::NOPAGE
    }
}

/// Page frames of device memory that a driver may map into userspace.
///
/// # Invariants
///
/// `first..first + count` are page frames of device memory (MMIO), never RAM that the kernel
/// manages, which the driver that made this value had claimed when it made it.
#[derive(Clone, Copy, Debug)]
pub struct IoPfns {
    first: usize,
    count: usize,
}

impl IoPfns {
    /// Makes the range of `count` page frames starting at `first`.
    ///
    /// # Safety
    ///
    /// The frames are device memory (MMIO), not RAM, and the caller's driver has claimed them
    /// (requested the resource they belong to).
    #[inline]
    pub unsafe fn new(first: usize, count: usize) -> Self {
        // INVARIANT: By the safety requirements.
        Self { first, count }
    }

    /// Returns the number of page frames.
    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    /// Returns whether the range is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Returns the `count` frames starting `offset` frames in, or `None` if they are not all in
    /// this range.
    #[inline]
    pub fn sub(&self, offset: usize, count: usize) -> Option<Self> {
        let end = offset.checked_add(count)?;
        if end > self.count {
            return None;
        }
        // INVARIANT: A part of a range that satisfies the invariant.
        Some(Self {
            first: self.first + offset,
            count,
        })
    }
}

/// The operations of a VMA of device memory (the fault handler).
///
/// Installed with [`VmaNew::set_io_pfnmap`], which keeps `Data` at the VMA's private data.
#[vtable]
pub trait VmOperations: 'static {
    /// What the VMA's private data points to.
    type Data: Sync + 'static;

    /// Serves a fault at [`VmFault::address`] with one entry of `2^order` pages: order 0 for
    /// one page, [`PMD_ORDER`] or [`PUD_ORDER`] for a huge entry, which the handler may refuse
    /// with [`VmFaultResult::FALLBACK`] (the kernel then asks for a smaller order).
    fn huge_fault(data: &Self::Data, vmf: &VmFault<'_>, order: u32) -> VmFaultResult;
}

/// A page fault in a VMA made by [`VmaNew::set_io_pfnmap`] (C's `struct vm_fault`).
///
/// # Invariants
///
/// `raw` is a valid fault in progress for `'a`, in a VMA with `VM_PFNMAP` set and `VM_MIXEDMAP`
/// and copy-on-write clear.
pub struct VmFault<'a> {
    raw: *mut bindings::vm_fault,
    _p: PhantomData<&'a bindings::vm_fault>,
}

impl VmFault<'_> {
    #[inline]
    fn vma(&self) -> *mut bindings::vm_area_struct {
        // SAFETY: `raw` is valid by the type invariant; the VMA is set for any fault.
        unsafe { (*self.raw).__bindgen_anon_1.vma }
    }

    /// Returns the faulting address, rounded down to a page.
    #[inline]
    pub fn address(&self) -> usize {
        // SAFETY: `raw` is valid by the type invariant.
        unsafe { (*self.raw).__bindgen_anon_1.address as usize }
    }

    /// Returns whether the access is a write.
    #[inline]
    pub fn is_write(&self) -> bool {
        // SAFETY: `raw` is valid by the type invariant.
        let flags = unsafe { (*self.raw).flags };
        flags & bindings::fault_flag_FAULT_FLAG_WRITE != 0
    }

    /// Returns the start and end of the VMA and its offset in the file, in pages.
    #[inline]
    fn vma_extent(&self) -> (usize, usize, usize) {
        // SAFETY: The VMA of a fault in progress is valid, and the fault holds its VMA or mmap
        // read lock for the duration of the call.
        let vma = unsafe { VmaRef::from_raw(self.vma()) };
        // SAFETY: As above; the offset is stable under the same lock.
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff };
        (vma.start(), vma.end(), pgoff as usize)
    }

    /// Returns the page of the VMA's file at the start of the `2^order`-page block around the
    /// faulting address, or `None` if that block does not lie wholly in the VMA (a huge entry
    /// cannot be used there).
    pub fn file_page(&self, order: u32) -> Option<usize> {
        let (start, end, pgoff) = self.vma_extent();
        let size = bindings::PAGE_SIZE.checked_shl(order)?;
        let base = self.address() & !(size - 1);
        if base < start || base.checked_add(size)? > end {
            return None;
        }
        pgoff.checked_add((base - start) >> bindings::PAGE_SHIFT)
    }

    /// Maps `pfns.sub(index, 2^order)` at the `2^order`-page block around the faulting
    /// address, read-write as the VMA allows, with one page table entry.
    ///
    /// Returns [`VmFaultResult::FALLBACK`] for a huge order that cannot be used: the block is
    /// not in the VMA, the frames are not aligned to it, or the architecture has no such
    /// entries; [`VmFaultResult::SIGBUS`] if the frames are not in `pfns`.
    pub fn insert_io(&self, pfns: &IoPfns, index: usize, order: u32) -> VmFaultResult {
        let Some(pages) = 1usize.checked_shl(order) else {
            return VmFaultResult::FALLBACK;
        };
        let Some(frames) = pfns.sub(index, pages) else {
            return if order == 0 {
                VmFaultResult::SIGBUS
            } else {
                VmFaultResult::FALLBACK
            };
        };
        if self.file_page(order).is_none() || frames.first & (pages - 1) != 0 {
            return VmFaultResult::FALLBACK;
        }
        let pfn = frames.first as c_ulong;
        if order == 0 {
            // SAFETY: The fault and its VMA are valid; the VMA is a shared PFN map (type
            // invariant), `address` lies in it, and the frame is device memory (`IoPfns`).
            return VmFaultResult(unsafe {
                bindings::vmf_insert_pfn(self.vma(), self.address() as c_ulong, pfn)
            });
        }
        #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
        if order == PMD_ORDER {
            // SAFETY: As above; the PMD-sized block lies in the VMA and the frames are aligned
            // to it (checked above).
            return VmFaultResult(unsafe { bindings::vmf_insert_pfn_pmd(self.raw, pfn, false) });
        }
        #[cfg(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)]
        if order == PUD_ORDER {
            // SAFETY: As above, for a PUD-sized block.
            return VmFaultResult(unsafe { bindings::vmf_insert_pfn_pud(self.raw, pfn, false) });
        }
        VmFaultResult::FALLBACK
    }
}

/// The `vm_operations_struct` of a [`VmOperations`] implementation.
struct OpsTable<T: VmOperations>(PhantomData<T>);

impl<T: VmOperations> OpsTable<T> {
    const OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(Self::fault),
        #[cfg(CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP)]
        huge_fault: Some(Self::huge_fault),
        // SAFETY: All-zero is a valid `vm_operations_struct`: every other member is an optional
        // function pointer.
        ..unsafe { core::mem::zeroed() }
    };

    /// The table, in static memory.
    const OPS_REF: &'static bindings::vm_operations_struct = &Self::OPS;

    /// # Safety
    ///
    /// Called by the MM core for a fault in a VMA set up by [`VmaNew::set_io_pfnmap::<T>`].
    unsafe extern "C" fn huge_fault(vmf: *mut bindings::vm_fault, order: c_uint) -> bindings::vm_fault_t {
        // SAFETY: The fault is valid during the call.
        let vma = unsafe { (*vmf).__bindgen_anon_1.vma };
        // SAFETY: `set_io_pfnmap::<T>` stored a `T::Data` that outlives the VMA (its safety
        // requirement).
        let data = unsafe { &*(*vma).vm_private_data.cast::<T::Data>() };
        // INVARIANT: `set_io_pfnmap` made the VMA a shared PFN map without `VM_MIXEDMAP`, and
        // those flags cannot change afterwards.
        let fault = VmFault {
            raw: vmf,
            _p: PhantomData,
        };
        T::huge_fault(data, &fault, order).as_raw()
    }

    /// # Safety
    ///
    /// See [`Self::huge_fault`].
    unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: By the safety requirements.
        unsafe { Self::huge_fault(vmf, 0) }
    }
}

impl VmaNew {
    /// Returns the file being mapped.
    #[inline]
    pub fn file(&self) -> Option<&File> {
        // SAFETY: The VMA is being set up by its `mmap` handler, which holds the file.
        let file = unsafe { (*self.as_ptr()).vm_file };
        if file.is_null() {
            return None;
        }
        // SAFETY: A VMA being set up holds a reference to its file for at least as long as
        // `self` is borrowed.
        Some(unsafe { File::from_raw_file(file) })
    }

    /// Returns the offset of the mapping in its file, in pages.
    #[inline]
    pub fn pgoff(&self) -> usize {
        // SAFETY: The VMA is valid; it is not shared yet.
        unsafe { (*self.as_ptr()).vm_pgoff as usize }
    }

    /// Returns whether the mapping is shared (`MAP_SHARED`).
    #[inline]
    pub fn is_shared(&self) -> bool {
        self.flags() & flags::SHARED != 0
    }

    /// Makes this VMA a map of device memory filled on fault by `T`, with `data` as its private
    /// data: sets `VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP` (as `io_remap_pfn_range()`
    /// would), uncached and decrypted page protection, and `T`'s operations.
    ///
    /// `pgoff`, if given, replaces the offset of the mapping in its file (pages), which is what
    /// [`VmFault::file_page`] counts from.
    ///
    /// `EINVAL` for a private (copy-on-write) mapping, which cannot map device memory, or one
    /// already set up as a mixed map.
    ///
    /// # Safety
    ///
    /// `data` stays valid for as long as this VMA and every VMA split or copied from it exist:
    /// typically it is owned by the VMA's file, which each of them holds.
    pub unsafe fn set_io_pfnmap<T: VmOperations>(
        &self,
        data: *const T::Data,
        pgoff: Option<usize>,
    ) -> Result {
        if !self.is_shared() || self.flags() & flags::MIXEDMAP != 0 {
            return Err(EINVAL);
        }
        let vma = self.as_ptr();
        let set: vm_flags_t = flags::IO | flags::PFNMAP | flags::DONTEXPAND | flags::DONTDUMP;
        // SAFETY: The VMA is being set up by its `mmap` handler, so no one else looks at it yet.
        // The flags set are those of a shared PFN map, which is what the VMA becomes; the
        // operations table is `'static`; the caller guarantees the lifetime of `data`.
        unsafe {
            (*vma).__bindgen_anon_2.vm_flags |= set;
            (*vma).vm_page_prot = bindings::pgprot_decrypted(bindings::pgprot_noncached(
                (*vma).vm_page_prot,
            ));
            (*vma).vm_ops = OpsTable::<T>::OPS_REF;
            (*vma).vm_private_data = data.cast_mut().cast();
            if let Some(pgoff) = pgoff {
                (*vma).vm_pgoff = pgoff as c_ulong;
            }
        }
        Ok(())
    }
}
