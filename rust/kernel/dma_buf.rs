// SPDX-License-Identifier: GPL-2.0

//! DMA buffers: memory a driver exports to other drivers and to userspace (the exporter side).
//!
//! A [`DmaBuf<T>`] is a `struct dma_buf` whose private data is a `T`, the driver's description
//! of the memory, and whose operations are `T`'s [`Exporter`] methods. It is reference counted
//! through its file: an fd installed with [`DmaBuf::into_fd`], a VMA that maps it, an
//! importer's attachment, each holds the buffer.
//!
//! Buffers that map device memory can be `mmap()`ed, or can take over a VMA made by `mmap()`
//! of the driver's own file ([`DmaBuf::take_mapping`]); their faults are served by
//! [`Exporter::fault`] (see [`crate::mm::pfnmap`]).
//!
//! A driver that must act on all of its live buffers (to revoke access to the memory behind
//! them, say) exports them into a [`Registry`], which it can walk; a buffer leaves its registry
//! when it is released, before it is freed.
//!
//! C header: [`include/linux/dma-buf.h`](srctree/include/linux/dma-buf.h)

use crate::{
    alloc::KBox,
    bindings,
    error::{
        code::*,
        from_err_ptr,
        to_result,
        Result, //
    },
    mm::{
        pfnmap::{
            VmFault,
            VmFaultResult,
            VmOperations, //
        },
        virt::VmaNew,
    },
    prelude::*,
    str::CStr,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        new_mutex,
        Arc,
        Mutex,
    },
    types::Opaque,
    ModuleMetadata,
    ThisModule,
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// The operations of a driver's DMA buffers, `Self` being the private data of one buffer.
#[vtable]
pub trait Exporter: Send + Sync + Sized + 'static {
    /// The operations table: a `static` of the driver's, so that its address identifies the
    /// driver's buffers (see [`IommufdExporter`]).
    ///
    /// ```ignore
    /// static BUF_OPS: dma_buf::Ops<MyBuf> = dma_buf::Ops::new();
    /// // In `impl dma_buf::Exporter for MyBuf`:
    /// const OPS: &'static dma_buf::Ops<Self> = &BUF_OPS;
    /// ```
    const OPS: &'static Ops<Self>;

    /// Decides whether `attachment` (an importer) may attach. All may if not implemented.
    fn attach(buf: &DmaBuf<Self>, attachment: &Attachment) -> Result {
        let _ = (buf, attachment);
        Ok(())
    }

    /// Serves a fault in a mapping of the buffer: either `mmap()` of the buffer's own file, or a
    /// VMA it took over with [`DmaBuf::take_mapping`]. [`VmFault::file_page`] gives the page of
    /// the buffer.
    ///
    /// Without it the buffer cannot be mapped by userspace.
    fn fault(buf: &DmaBuf<Self>, vmf: &VmFault<'_>, order: u32) -> VmFaultResult {
        let _ = (buf, vmf, order);
        VmFaultResult::SIGBUS
    }

    /// Returns the physical address and length of the buffer, if it is one range of device
    /// memory that may be reached now: what iommufd maps for an importer
    /// ([`IommufdExporter`]). Called with the reservation lock held (`resv`).
    fn phys(buf: &DmaBuf<Self>, resv: &ResvHeld<'_, Self>) -> Result<(u64, usize)> {
        let _ = (buf, resv);
        Err(EOPNOTSUPP)
    }
}

/// The `struct dma_buf_ops` of exporter `T`, kept in a `static` of the driver's (see
/// [`Exporter::OPS`]).
pub struct Ops<T: Exporter>(bindings::dma_buf_ops, PhantomData<T>);

// SAFETY: The table is never written after it is built; its pointers are to functions that may
// be used from any thread.
unsafe impl<T: Exporter> Sync for Ops<T> {}

impl<T: Exporter> Ops<T> {
    /// Builds the operations table of `T`.
    pub const fn new() -> Self {
        Self(DmaBuf::<T>::OPS, PhantomData)
    }

    fn as_raw(&'static self) -> *const bindings::dma_buf_ops {
        &self.0
    }
}

impl<T: Exporter> Default for Ops<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Proof that the reservation lock of a buffer is held, by the caller of an operation.
pub struct ResvHeld<'a, T: Exporter>(PhantomData<&'a DmaBuf<T>>);

/// An importer's attachment to a buffer (C's `struct dma_buf_attachment`).
///
/// # Invariants
///
/// The inner value is a valid attachment for the lifetime of the reference.
#[repr(transparent)]
pub struct Attachment(Opaque<bindings::dma_buf_attachment>);

impl Attachment {
    /// Returns whether the importer can reach device memory peer to peer.
    #[inline]
    pub fn peer2peer(&self) -> bool {
        // SAFETY: Valid by the type invariant.
        unsafe { (*self.0.get()).peer2peer }
    }

    /// Returns whether the importer honours revocation: it stops using the buffer when its
    /// mappings are invalidated (`dma_buf_attach_revocable()`).
    #[inline]
    pub fn is_revocable(&self) -> bool {
        // SAFETY: Valid by the type invariant.
        unsafe { bindings::dma_buf_attach_revocable(self.0.get()) }
    }
}

/// What a `struct dma_buf` of [`DmaBuf<T>`] points to.
struct Inner<T: Exporter> {
    data: T,
    registry: Option<Arc<Registry<T>>>,
}

/// A DMA buffer whose private data is a `T`.
///
/// # Invariants
///
/// The inner value is a `struct dma_buf` exported by [`DmaBuf::export`] with `T`'s operations,
/// whose `priv` is a valid `Inner<T>` from a [`KBox`], freed only by the buffer's release.
#[repr(transparent)]
pub struct DmaBuf<T: Exporter> {
    raw: Opaque<bindings::dma_buf>,
    _p: PhantomData<T>,
}

// SAFETY: The buffer may be used and released from any thread; `T: Send + Sync`.
unsafe impl<T: Exporter> Send for DmaBuf<T> {}
// SAFETY: See above.
unsafe impl<T: Exporter> Sync for DmaBuf<T> {}

// SAFETY: The reference count of a buffer is that of its file.
unsafe impl<T: Exporter> AlwaysRefCounted for DmaBuf<T> {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The buffer is valid, and holding `&self` means its file has a reference.
        unsafe { bindings::get_dma_buf(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owned.
        unsafe { bindings::dma_buf_put(obj.as_ptr().cast()) };
    }
}

impl<T: Exporter> DmaBuf<T> {
    /// The operations table of `T`.
    const OPS: bindings::dma_buf_ops = bindings::dma_buf_ops {
        attach: Some(Self::attach_c),
        map_dma_buf: Some(Self::map_c),
        unmap_dma_buf: Some(Self::unmap_c),
        release: Some(Self::release_c),
        mmap: if T::HAS_FAULT { Some(Self::mmap_c) } else { None },
        // SAFETY: All-zero is a valid `dma_buf_ops`: every other member is an optional function
        // pointer or plain data.
        ..unsafe { core::mem::zeroed() }
    };

    /// The module of `T`, which the buffer holds while it exists.
    const MODULE: &'static ThisModule = &<T::OwnerModule as ModuleMetadata>::THIS_MODULE;

    /// Exports a buffer of `size` bytes described by `data`; its file is opened with `flags`
    /// (`O_RDWR`, `O_CLOEXEC`, ...). The buffer holds the module of `T` (the owner of its
    /// operations) while it exists. With `registry`, the buffer is in it until it is released.
    pub fn export(
        name: &'static CStr,
        data: T,
        size: usize,
        flags: u32,
        registry: Option<&Arc<Registry<T>>>,
    ) -> Result<ARef<Self>> {
        let inner = KBox::new(
            Inner {
                data,
                registry: registry.cloned(),
            },
            GFP_KERNEL,
        )?;
        let inner = KBox::into_raw(inner);
        let info = bindings::dma_buf_export_info {
            exp_name: name.as_char_ptr(),
            owner: Self::MODULE.as_ptr(),
            ops: T::OPS.as_raw(),
            size,
            // CAST: Open flags are small positive values.
            flags: flags as c_int,
            resv: core::ptr::null_mut(),
            priv_: inner.cast(),
        };
        // SAFETY: `info` is a valid export description; its `ops` and `exp_name` are static and
        // `owner` is the module that holds the operations.
        let raw = match from_err_ptr(unsafe { bindings::dma_buf_export(&info) }) {
            Ok(raw) => raw,
            Err(e) => {
                // SAFETY: The export failed, so nobody else saw `inner`.
                drop(unsafe { KBox::from_raw(inner) });
                return Err(e);
            }
        };
        if let Some(reg) = registry {
            let mut list = reg.list.lock();
            if let Err(e) = list.push(raw, GFP_KERNEL) {
                drop(list);
                // SAFETY: Exported just above; dropping our only reference releases the buffer,
                // whose release frees `inner` and finds it in no registry.
                unsafe { bindings::dma_buf_put(raw) };
                return Err(e.into());
            }
        }
        // SAFETY: `raw` was exported with `T`'s operations and `inner` as its private data; the
        // export's reference becomes the `ARef`'s.
        Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(raw.cast())) })
    }

    /// Returns the C buffer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::dma_buf {
        self.raw.get()
    }

    #[inline]
    fn inner(&self) -> &Inner<T> {
        // SAFETY: By the type invariant, `priv` is a valid `Inner<T>` until the release.
        unsafe { &*(*self.as_raw()).priv_.cast::<Inner<T>>() }
    }

    /// Returns the driver's description of the buffer.
    #[inline]
    pub fn data(&self) -> &T {
        &self.inner().data
    }

    /// Returns the size of the buffer in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        // SAFETY: The buffer is valid; its size never changes.
        unsafe { (*self.as_raw()).size }
    }

    /// Installs a file descriptor for the buffer in the current process (with `flags`, such as
    /// `O_CLOEXEC`), which takes over the reference.
    pub fn into_fd(this: ARef<Self>, flags: u32) -> Result<u32> {
        // CAST: Open flags are small positive values.
        // SAFETY: The buffer is valid and we own a reference, which the fd takes on success.
        let fd = unsafe { bindings::dma_buf_fd(this.as_raw(), flags as c_int) };
        to_result(fd)?;
        core::mem::forget(this);
        // CAST: Non-negative, checked above.
        Ok(fd as u32)
    }

    /// Takes the reservation lock of the buffer (its `dma_resv`), which importers hold while
    /// they map it.
    pub fn lock_resv(&self) -> ResvGuard<'_, T> {
        // SAFETY: The buffer and its reservation object are valid; without an acquire context
        // the lock cannot fail.
        unsafe { bindings::dma_resv_lock((*self.as_raw()).resv, core::ptr::null_mut()) };
        ResvGuard { buf: self }
    }

    /// Zaps every page table entry that maps the buffer, in every process: the next access
    /// faults and goes through [`Exporter::fault`] again.
    pub fn zap_mappings(&self) {
        // SAFETY: The buffer and its file are valid, and the file's address space is the
        // buffer's own (one anonymous inode per buffer).
        unsafe {
            let file = (*self.as_raw()).file;
            // CAST: `size` fits in `loff_t`.
            bindings::unmap_mapping_range((*file).f_mapping, 0, self.size() as i64, 1);
        }
    }

    /// Hands the new VMA `vma`, made by `mmap()` of another file (the driver's), to this
    /// buffer: the VMA's file becomes the buffer's, and its faults are served by
    /// [`Exporter::fault`], with offsets counted from the start of the buffer.
    ///
    /// The VMA drops its reference to the old file: a driver that needs that file to stay open
    /// while the mapping lives keeps a reference of its own, in `T`. `EINVAL` if the VMA cannot
    /// map device memory (see [`VmaNew::set_io_pfnmap`]) or is not the size of the buffer.
    pub fn take_mapping(&self, vma: &VmaNew) -> Result {
        if !T::HAS_FAULT {
            return Err(ENODEV);
        }
        if vma.end() - vma.start() != self.size() {
            return Err(EINVAL);
        }
        // SAFETY: The private data is the buffer's, which lives as long as its file, which the
        // VMA (and any VMA split or copied from it) holds once `vma_set_file` below has run.
        unsafe { vma.set_io_pfnmap::<Self>(core::ptr::from_ref(self), Some(0))? };
        // SAFETY: The VMA is being set up by its `mmap` handler; the buffer's file is valid.
        // `vma_set_file` takes a reference to the new file and drops the VMA's one to the old.
        unsafe { bindings::vma_set_file(vma.as_ptr(), (*self.as_raw()).file) };
        Ok(())
    }

    /// # Safety
    ///
    /// `dmabuf` is a buffer of ours, valid for `'a`.
    unsafe fn from_raw<'a>(dmabuf: *mut bindings::dma_buf) -> &'a Self {
        // SAFETY: `DmaBuf<T>` is a transparent wrapper of `struct dma_buf`.
        unsafe { &*dmabuf.cast() }
    }

    #[cfg(CONFIG_IOMMUFD)]
    unsafe extern "C" fn phys_c(
        attachment: *mut bindings::dma_buf_attachment,
        phys: *mut bindings::phys_vec,
    ) -> c_int {
        // SAFETY: Called by iommufd with a valid attachment to one of our buffers (it compared
        // the buffer's operations with ours), its reservation lock held, and a valid `phys`.
        let buf = unsafe { Self::from_raw((*attachment).dmabuf) };
        match T::phys(buf, &ResvHeld(PhantomData)) {
            Ok((paddr, len)) => {
                // SAFETY: See above.
                unsafe {
                    (*phys).paddr = paddr;
                    (*phys).len = len;
                }
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    unsafe extern "C" fn attach_c(
        dmabuf: *mut bindings::dma_buf,
        attachment: *mut bindings::dma_buf_attachment,
    ) -> c_int {
        // SAFETY: Called by the dma-buf core on one of our buffers with a valid attachment.
        let (buf, att) = unsafe { (Self::from_raw(dmabuf), &*attachment.cast::<Attachment>()) };
        match T::attach(buf, att) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    unsafe extern "C" fn map_c(
        _attachment: *mut bindings::dma_buf_attachment,
        _dir: bindings::dma_data_direction,
    ) -> *mut bindings::sg_table {
        // Scatter lists of device memory are not offered: importers that can use a buffer of
        // device memory (iommufd) reach it through the exporter's interconnect instead.
        EOPNOTSUPP.to_ptr()
    }

    unsafe extern "C" fn unmap_c(
        _attachment: *mut bindings::dma_buf_attachment,
        _sgt: *mut bindings::sg_table,
        _dir: bindings::dma_data_direction,
    ) {
        // `map_c` never succeeds: there is nothing to unmap.
    }

    unsafe extern "C" fn release_c(dmabuf: *mut bindings::dma_buf) {
        // SAFETY: Called by the dma-buf core once, when the buffer's file goes; `priv` is our
        // `Inner<T>` from a `KBox` (type invariant).
        let inner = unsafe { KBox::from_raw((*dmabuf).priv_.cast::<Inner<T>>()) };
        if let Some(reg) = &inner.registry {
            // Out of the registry before the buffer is freed: a walk holds the list's lock.
            reg.list.lock().retain(|p| *p != dmabuf);
        }
        drop(inner);
    }

    unsafe extern "C" fn mmap_c(
        dmabuf: *mut bindings::dma_buf,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: Called by the dma-buf core on one of our buffers, from `mmap()` of its file,
        // with the new VMA (bounds already checked against the buffer's size).
        let (buf, vma) = unsafe { (Self::from_raw(dmabuf), VmaNew::from_raw(vma)) };
        // SAFETY: The VMA's file is the buffer's, which owns the private data.
        match unsafe { vma.set_io_pfnmap::<Self>(core::ptr::from_ref(buf), None) } {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

#[vtable]
impl<T: Exporter> VmOperations for DmaBuf<T> {
    type OwnerModule = T::OwnerModule;
    type Data = Self;

    fn huge_fault(buf: &Self, vmf: &VmFault<'_>, order: u32) -> VmFaultResult {
        T::fault(buf, vmf, order)
    }
}

/// The reservation lock of a buffer, held.
pub struct ResvGuard<'a, T: Exporter> {
    buf: &'a DmaBuf<T>,
}

impl<T: Exporter> ResvGuard<'_, T> {
    /// Tells every importer to drop its mappings of the buffer
    /// (`dma_buf_invalidate_mappings()`); revocable importers stop using it.
    pub fn invalidate_mappings(&self) {
        // SAFETY: The buffer is valid and its reservation lock is held.
        unsafe { bindings::dma_buf_invalidate_mappings(self.buf.as_raw()) };
    }

    /// Waits for every fence of the buffer, of any usage, to signal.
    pub fn wait_idle(&self) {
        // CAST: `MAX_SCHEDULE_TIMEOUT` is `LONG_MAX`, which the C function takes as an `unsigned
        // long`.
        let forever = crate::task::MAX_SCHEDULE_TIMEOUT as usize;
        // SAFETY: The buffer and its reservation object are valid and the lock is held.
        unsafe {
            bindings::dma_resv_wait_timeout(
                (*self.buf.as_raw()).resv,
                bindings::dma_resv_usage_DMA_RESV_USAGE_BOOKKEEP,
                false,
                forever,
            )
        };
    }
}

impl<T: Exporter> Drop for ResvGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: Locked by `lock_resv`.
        unsafe { bindings::dma_resv_unlock((*self.buf.as_raw()).resv) };
    }
}

/// The live buffers of one driver instance, which it can walk.
///
/// # Invariants
///
/// Every pointer in `list` is a buffer of `T` exported with this registry whose release has not
/// finished removing it: the release takes `list`'s lock to do so, before the buffer is freed.
#[pin_data]
pub struct Registry<T: Exporter> {
    #[pin]
    list: Mutex<KVec<*mut bindings::dma_buf>>,
    _p: PhantomData<T>,
}

// SAFETY: The pointers are to buffers, usable from any thread, and are only used under the lock.
unsafe impl<T: Exporter> Send for Registry<T> {}
// SAFETY: See above.
unsafe impl<T: Exporter> Sync for Registry<T> {}

impl<T: Exporter> Registry<T> {
    /// Makes an empty registry.
    pub fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                list <- new_mutex!(KVec::new()),
                _p: PhantomData,
            }),
            GFP_KERNEL,
        )
    }

    /// Calls `f` on each buffer of the registry whose file is still open, with the registry
    /// locked (no buffer enters or leaves it meanwhile).
    pub fn for_each(&self, mut f: impl FnMut(&DmaBuf<T>)) {
        let list = self.list.lock();
        for &raw in list.iter() {
            // SAFETY: `raw` is valid until its release removes it, which needs the lock we hold
            // (type invariant); `get_file_active` fails if the file is already going.
            let file = unsafe { bindings::get_file_active(&raw mut (*raw).file) };
            if file.is_null() {
                continue;
            }
            // SAFETY: A buffer of `T` (type invariant), held by the file reference just taken.
            f(unsafe { DmaBuf::from_raw(raw) });
            // SAFETY: Taken above. Were it the last one, the release is deferred (to task work
            // or a workqueue), so it does not run under our lock.
            unsafe { bindings::fput(file) };
        }
    }

    /// Returns whether no buffer is in the registry.
    pub fn is_empty(&self) -> bool {
        self.list.lock().is_empty()
    }
}

/// The registration of exporter `T` with iommufd, which then maps its buffers for importers
/// through [`Exporter::phys`] (`IOMMU_IOAS_MAP_FILE` of a buffer's fd). Unregistered when
/// dropped.
///
/// # Invariants
///
/// `raw` is registered with iommufd from initialisation to drop.
#[cfg(CONFIG_IOMMUFD)]
#[pin_data(PinnedDrop)]
pub struct IommufdExporter<T: Exporter> {
    #[pin]
    raw: Opaque<bindings::iommufd_dmabuf_exporter>,
    _p: PhantomData<T>,
}

// SAFETY: The registration is only touched by iommufd, under its lock, and by `drop`.
#[cfg(CONFIG_IOMMUFD)]
unsafe impl<T: Exporter> Send for IommufdExporter<T> {}
// SAFETY: See above.
#[cfg(CONFIG_IOMMUFD)]
unsafe impl<T: Exporter> Sync for IommufdExporter<T> {}

#[cfg(CONFIG_IOMMUFD)]
impl<T: Exporter> IommufdExporter<T> {
    /// Registers `T`'s buffers with iommufd.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            raw <- Opaque::ffi_init(|slot: *mut bindings::iommufd_dmabuf_exporter| {
                // SAFETY: `slot` is ours to initialise, pinned; the table and the callback are
                // static and live as long as the module that registers, which unregisters
                // before it goes.
                unsafe {
                    (*slot).ops = T::OPS.as_raw();
                    (*slot).get_phys = Some(DmaBuf::<T>::phys_c);
                    bindings::iommufd_dmabuf_exporter_register(slot);
                }
            }),
            _p: PhantomData,
        })
    }
}

#[cfg(CONFIG_IOMMUFD)]
#[pinned_drop]
impl<T: Exporter> PinnedDrop for IommufdExporter<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered by `new` (type invariant).
        unsafe { bindings::iommufd_dmabuf_exporter_unregister(self.raw.get()) };
    }
}

/// Without iommufd there is nothing to register with: the registration is empty, so that a
/// driver needs no configuration test of its own.
#[cfg(not(CONFIG_IOMMUFD))]
pub struct IommufdExporter<T: Exporter> {
    _p: PhantomData<fn() -> T>,
}

#[cfg(not(CONFIG_IOMMUFD))]
impl<T: Exporter> IommufdExporter<T> {
    /// Registers nothing: iommufd is configured out.
    pub fn new() -> impl PinInit<Self> {
        // A value initialises its place by itself.
        Self { _p: PhantomData }
    }
}
