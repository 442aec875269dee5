// SPDX-License-Identifier: GPL-2.0

//! VFIO devices: the object a VFIO bus driver registers with the VFIO core.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)
//!
//! A [`Device`] embeds the C `struct vfio_device` and the driver's data in
//! one allocation made by the VFIO core. Its lifetime is the reference count
//! of the embedded `struct device` ([`ARef`]), independent of the binding of
//! the parent (bus) device; the [`Device`] holds its own reference to the
//! parent, so [`Device::parent`] is valid for as long as the [`Device`] is.
//!
//! [`Registration`] makes the device visible to userspace
//! (`/dev/vfio/$GROUP`, `/dev/vfio/devices/vfioN`) and, when dropped, waits
//! for every user to close it. It borrows the bound parent (`'a`), so it
//! cannot outlive the binding in safe code; and should it be leaked
//! (`mem::forget`), a device-managed action unregisters the device when the
//! parent is unbound anyway. Either way the VFIO core calls the driver's
//! [`Driver`] methods only while the parent is bound, which is why they are
//! handed the parent as a `&device::Device<Bound>`.

use crate::{
    bindings,
    device::{
        self,
        Bound, //
    },
    error::{
        from_err_ptr,
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    devres,
    mm::{
        pfnmap::VmOperations,
        virt::VmaNew, //
    },
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            AtomicFlag,
            Full, //
        },
    },
    types::Opaque,
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
};
use core::{
    ffi::CStr as FfiCStr,
    marker::PhantomData,
    mem::offset_of,
    ops::Deref,
    ptr::NonNull, //
};

/// The region information userspace asked for with `VFIO_DEVICE_GET_REGION_INFO`.
pub type RegionInfo = bindings::vfio_region_info;

/// The operations of a VFIO device, implemented by its driver.
///
/// Every method runs while the device is registered, so its parent is bound (see the
/// [module documentation](self)); the VFIO core serialises `open_device` and `close_device`
/// with the device set's lock.
#[vtable]
pub trait Driver: Sized + 'static {
    /// The driver's data, embedded in the [`Device`].
    type Data: Send + Sync;

    /// The driver's name, for the VFIO core (`vfio_device_ops.name`).
    const NAME: &'static CStr;

    /// The driver's operations table: a `static` of the driver's, so that its address
    /// identifies the driver (see [`SetMember::as_driver`]).
    ///
    /// ```ignore
    /// static OPS: vfio::DeviceOps<MyDriver> = vfio::DeviceOps::new();
    /// // In `impl vfio::Driver for MyDriver`:
    /// const OPS: &'static vfio::DeviceOps<Self> = &OPS;
    /// ```
    const OPS: &'static DeviceOps<Self>;

    /// Whether the device does DMA through the IOMMU of its parent: the VFIO core's iommufd
    /// "physical" bind and attach helpers are used.
    const PHYSICAL_IOMMUFD: bool = true;

    /// Called when userspace opens the device for the first time, with the lock of the
    /// device's set held (`set`).
    fn open_device(
        dev: &Device<Self>,
        parent: &device::Device<Bound>,
        set: &DeviceSet<'_>,
    ) -> Result {
        let _ = (dev, parent, set);
        Ok(())
    }

    /// Called when the last user closes the device, with the lock of the device's set held.
    fn close_device(dev: &Device<Self>, parent: &device::Device<Bound>, set: &DeviceSet<'_>) {
        let _ = (dev, parent, set);
    }

    /// `read()` on the device file at `*offset`; advances `*offset` by what was read.
    fn read(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _buf: UserSliceWriter,
        _offset: &mut i64,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write()` on the device file at `*offset`; advances `*offset` by what was written.
    fn write(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _buf: UserSliceReader,
        _offset: &mut i64,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A device ioctl the VFIO core does not handle itself.
    fn ioctl(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _cmd: u32,
        _arg: UserPtr,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills in `info` for region `info.index` (`VFIO_DEVICE_GET_REGION_INFO`); the VFIO core
    /// copies the arguments in and out and appends `caps`.
    fn region_info(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _info: &mut RegionInfo,
        _caps: &mut InfoCaps<'_>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `VFIO_DEVICE_FEATURE`: `flags` and the user buffer after the header, `argsz` long.
    fn device_feature(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _flags: u32,
        _arg: UserPtr,
        _argsz: usize,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap()` of the device file: sets up the new VMA `vma`, whose offset names a region of
    /// the device and a place in it. Without it, `mmap()` fails with `EINVAL`.
    fn mmap(_dev: &Device<Self>, _parent: &device::Device<Bound>, _vma: &VmaNew) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The alignment wanted for a new mapping of `len` bytes at page `pgoff` of the device
    /// file (a power of two, in bytes), so that it can be mapped with huge entries: the address
    /// chosen is congruent to the file offset modulo the alignment. Zero or a page for no
    /// preference. Without it, the address is chosen as for any file.
    fn mmap_alignment(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _pgoff: usize,
        _len: usize,
    ) -> usize {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The VFIO core asks the user to release the device (it is being unbound); `count` is the
    /// number of times it asked so far.
    fn request(_dev: &Device<Self>, _parent: &device::Device<Bound>, _count: u32) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Whether `name`, the string a user passed to `VFIO_GROUP_GET_DEVICE_FD`, names this device
    /// (`vfio_device_ops.match`): `Ok(false)` for no match, an error to stop the search.
    ///
    /// Without it the VFIO core compares the name with the device's.
    fn matches(_dev: &Device<Self>, _parent: &device::Device<Bound>, _name: &CStr) -> Result<bool> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Checks the token (a UUID) a user passed when opening the device, or its absence
    /// (`vfio_device_ops.match_token_uuid`).
    fn match_token(
        _dev: &Device<Self>,
        _parent: &device::Device<Bound>,
        _token: Option<&[u8; 16]>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The `struct vfio_device_ops` of driver `T`, kept in a `static` of the driver's (see
/// [`Driver::OPS`]).
pub struct DeviceOps<T: Driver>(bindings::vfio_device_ops, PhantomData<T>);

// SAFETY: The table is never written after it is built; its pointers are to `'static` data and
// functions that may be used from any thread.
unsafe impl<T: Driver> Sync for DeviceOps<T> {}

impl<T: Driver> DeviceOps<T> {
    /// Builds the operations table of `T`.
    pub const fn new() -> Self {
        Self(DeviceVTable::<T>::VTABLE, PhantomData)
    }

    fn as_raw(&'static self) -> *const bindings::vfio_device_ops {
        &self.0
    }
}

impl<T: Driver> Default for DeviceOps<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A capability chain being built for an info ioctl (`struct vfio_info_cap`).
///
/// # Invariants
///
/// `caps` points to a valid `struct vfio_info_cap` owned by the VFIO core for `'a`.
pub struct InfoCaps<'a> {
    caps: *mut bindings::vfio_info_cap,
    _p: PhantomData<&'a mut bindings::vfio_info_cap>,
}

impl InfoCaps<'_> {
    /// Appends a capability with the given `id` and `version` whose body (what follows the
    /// `struct vfio_info_cap_header`) is `body`.
    pub fn add(&mut self, id: u16, version: u16, body: &[u8]) -> Result {
        let hdr = size_of::<bindings::vfio_info_cap_header>();
        // SAFETY: `self.caps` is valid (type invariant); the VFIO core reallocates its buffer.
        let h = from_err_ptr(unsafe {
            bindings::vfio_info_cap_add(self.caps, hdr + body.len(), id, version)
        })?;
        // SAFETY: `vfio_info_cap_add` returned a header followed by `body.len()` bytes of
        // room, inside the chain's buffer, which nothing else accesses meanwhile.
        unsafe {
            core::ptr::copy_nonoverlapping(body.as_ptr(), h.cast::<u8>().add(hdr), body.len())
        };
        Ok(())
    }

    /// Appends a sparse mmap capability (`struct vfio_region_info_cap_sparse_mmap`, version 1):
    /// of the region, only the `(offset, size)` areas of `areas` may be mapped.
    pub fn add_sparse_mmap(&mut self, areas: &[(u64, u64)]) -> Result {
        type Cap = bindings::vfio_region_info_cap_sparse_mmap;
        type Area = bindings::vfio_region_sparse_mmap_area;
        let hdr = size_of::<bindings::vfio_info_cap_header>();
        // The body: the number of areas, a reserved word, then each area's offset and size.
        let fixed = size_of::<Cap>() - hdr;
        let nr = u32::try_from(areas.len()).map_err(|_| EINVAL)?;
        let mut body = KVec::with_capacity(fixed + areas.len() * size_of::<Area>(), GFP_KERNEL)?;
        body.extend_from_slice(&nr.to_ne_bytes(), GFP_KERNEL)?;
        body.extend_from_slice(&[0u8; 4], GFP_KERNEL)?;
        for &(offset, size) in areas {
            body.extend_from_slice(&offset.to_ne_bytes(), GFP_KERNEL)?;
            body.extend_from_slice(&size.to_ne_bytes(), GFP_KERNEL)?;
        }
        const { assert!(size_of::<Cap>() - size_of::<bindings::vfio_info_cap_header>() == 8) };
        const { assert!(size_of::<Area>() == 16) };
        // CAST: The capability's ID is a small constant.
        self.add(bindings::VFIO_REGION_INFO_CAP_SPARSE_MMAP as u16, 1, &body)
    }
}

/// A capability chain built by a driver for an info ioctl of its own (`struct vfio_info_cap`),
/// such as the device capabilities of `VFIO_DEVICE_GET_INFO`.
///
/// # Invariants
///
/// `caps.buf` is NULL or a `kmalloc`ed buffer of `caps.size` bytes owned by this object.
pub struct InfoCapChain {
    caps: bindings::vfio_info_cap,
}

// SAFETY: The buffer is a plain allocation owned by the object.
unsafe impl Send for InfoCapChain {}

impl InfoCapChain {
    /// An empty chain.
    pub fn new() -> Self {
        // INVARIANT: No buffer yet.
        Self {
            caps: bindings::vfio_info_cap {
                buf: core::ptr::null_mut(),
                size: 0,
            },
        }
    }

    /// Returns the chain's size in bytes.
    pub fn len(&self) -> usize {
        self.caps.size
    }

    /// Returns whether the chain holds no capability.
    pub fn is_empty(&self) -> bool {
        self.caps.size == 0
    }

    /// Appends a capability `id`, `version`, whose body (after its header) is `body`.
    pub fn add(&mut self, id: u16, version: u16, body: &[u8]) -> Result {
        InfoCaps {
            caps: &mut self.caps,
            _p: PhantomData,
        }
        .add(id, version, body)
    }

    /// Makes the `next` offsets of the chain relative to a buffer that starts `offset` bytes
    /// before it (where the chain will be copied to userspace).
    pub fn shift(&mut self, offset: usize) {
        // SAFETY: `caps` is a valid chain (type invariant); `vfio_info_cap_shift` only rewrites
        // the headers inside it.
        unsafe { bindings::vfio_info_cap_shift(&mut self.caps, offset) }
    }

    /// Returns the bytes of the chain.
    pub fn as_bytes(&self) -> &[u8] {
        if self.caps.buf.is_null() {
            return &[];
        }
        // SAFETY: `buf` holds `size` bytes owned by `self` (type invariant).
        unsafe { core::slice::from_raw_parts(self.caps.buf.cast::<u8>(), self.caps.size) }
    }
}

impl Default for InfoCapChain {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for InfoCapChain {
    fn drop(&mut self) {
        // SAFETY: `buf` is NULL or owned by `self` (type invariant); `kfree` accepts NULL.
        unsafe { bindings::kfree(self.caps.buf.cast()) }
    }
}

/// A VFIO device with driver data `T::Data`.
///
/// # Invariants
///
/// - `vdev` was allocated by `_vfio_alloc_device` with the size of `Self`, at offset 0 (the
///   VFIO core frees the whole object with `kvfree` on the last reference).
/// - Once an `ARef<Device<T>>` exists, `parent` and `data` are initialised, `vdev.ops` is
///   `T::OPS`, whose `release` drops them, and `vdev.dev_set` is assigned.
/// - `parent` is `vdev.dev`, the parent (bus) device, and holds a reference to it.
/// - `registered` is set while the device is registered with the VFIO core.
#[repr(C)]
#[pin_data]
pub struct Device<T: Driver> {
    vdev: Opaque<bindings::vfio_device>,
    parent: ARef<device::Device>,
    registered: AtomicFlag,
    #[pin]
    data: T::Data,
}

// SAFETY: The VFIO core may use and release the device from any thread; `T::Data` is
// `Send + Sync`.
unsafe impl<T: Driver> Send for Device<T> {}
// SAFETY: All shared access goes through `&T::Data`, which is `Sync`, or through the VFIO
// core's own locking.
unsafe impl<T: Driver> Sync for Device<T> {}

impl<T: Driver> Device<T> {
    /// The allocation comes from `kvzalloc`, which aligns to `ARCH_KMALLOC_MINALIGN` at least.
    const ALIGN_OK: () = assert!(core::mem::align_of::<Self>() <= bindings::ARCH_KMALLOC_MINALIGN);

    /// Allocates a VFIO device for `parent`, with its data initialised by `data`, in the device
    /// set identified by `set_id`: the devices that must be reset together (for PCI: the slot
    /// or bus). `set_id` is only compared, never dereferenced.
    ///
    /// The device is not yet visible to userspace: see [`Registration`].
    pub fn new(
        parent: &device::Device<Bound>,
        set_id: *const c_void,
        data: impl PinInit<T::Data, Error>,
    ) -> Result<ARef<Self>> {
        let () = Self::ALIGN_OK;
        // SAFETY: `ALLOC_VTABLE` is static; `parent` is a valid device; the size covers `Self`,
        // whose `vdev` is at offset 0 (`repr(C)`, first field).
        let vdev = from_err_ptr(unsafe {
            bindings::_vfio_alloc_device(
                size_of::<Self>(),
                parent.as_raw(),
                &DeviceVTable::<T>::ALLOC_VTABLE,
            )
        })?;
        let this = vdev.cast::<Self>();

        // SAFETY: `this` points to a zeroed allocation of `size_of::<Self>()` bytes that nothing
        // else uses yet; the fields written here are not initialised, so they are only written.
        unsafe {
            (&raw mut (*this).parent).write(parent.into());
            (&raw mut (*this).registered).write(AtomicFlag::new(false));
        }
        // SAFETY: As above; `data` is valid for writes and pinned: the object never moves.
        let data_slot = unsafe { &raw mut (*this).data };
        // SAFETY: `data_slot` is valid for writes and pinned.
        if let Err(e) = unsafe { pin_init::raw_try_init(data_slot, data) } {
            // SAFETY: `parent` was initialised just above and nothing else uses it.
            unsafe { core::ptr::drop_in_place(&raw mut (*this).parent) };
            // SAFETY: `vdev` holds the initial reference from `_vfio_alloc_device`; with
            // `ALLOC_VTABLE` (no `release`) the VFIO core frees the memory without touching
            // the uninitialised data.
            unsafe { bindings::put_device(&raw mut (*vdev).device) };
            return Err(e);
        }

        // SAFETY: The data is initialised; from now on `release` may drop it. Nothing else has
        // seen `vdev` yet.
        unsafe { (*vdev).ops = T::OPS.as_raw() };

        // SAFETY: `this` is non-null and holds the initial reference, which the `ARef` now owns;
        // the object is initialised but for its device set, assigned before the `ARef` escapes.
        let dev: ARef<Self> = unsafe { ARef::from_raw(NonNull::new_unchecked(this)) };
        // SAFETY: The device is valid and not registered; the VFIO core only uses `set_id` as a
        // key. On failure, dropping `dev` releases the device through `release`.
        to_result(unsafe { bindings::vfio_assign_device_set(dev.as_raw(), set_id.cast_mut()) })?;
        // INVARIANT: Allocated by `_vfio_alloc_device`, data initialised, real vtable installed,
        // device set assigned.
        Ok(dev)
    }

    /// Returns the raw `struct vfio_device`.
    pub fn as_raw(&self) -> *mut bindings::vfio_device {
        self.vdev.get()
    }

    /// Returns the parent (bus) device.
    ///
    /// Valid for as long as `self`: the device holds a reference to it (type invariant), even
    /// after unregistration, when the VFIO core lets go of its own.
    pub fn parent(&self) -> &device::Device {
        &self.parent
    }

    /// Zaps the page table entries of every mapping of the device's file between the offsets
    /// `start` and `start + len`, in every process: the next access faults.
    ///
    /// For mappings the driver made of its own file; mappings handed to a DMA buffer are the
    /// buffer's to zap.
    pub fn zap_file_mappings(&self, start: u64, len: u64) {
        let (Ok(start), Ok(len)) = (i64::try_from(start), i64::try_from(len)) else {
            return;
        };
        let mapping = self.file_mapping();
        if mapping.is_null() {
            return;
        }
        // SAFETY: The VFIO core gives every device an inode (`vdev->inode`) whose address space
        // all mappings of its files share, valid as long as the device; `unmap_mapping_range`
        // takes the locks it needs.
        unsafe { bindings::unmap_mapping_range(mapping, start, len, 1) };
    }

    /// Returns the address space that every file of the device shares (the VFIO core points
    /// each file's `f_mapping` at the device's own inode), or NULL if it has none.
    fn file_mapping(&self) -> *mut bindings::address_space {
        // SAFETY: `self` is valid; its inode, set up by `_vfio_alloc_device`, lives as long as
        // the device.
        unsafe {
            let inode = (*self.as_raw()).inode;
            if inode.is_null() {
                return core::ptr::null_mut();
            }
            (*inode).i_mapping
        }
    }

    /// Makes `vma`, a new mapping of one of this device's own files (what [`Driver::mmap`] is
    /// handed), a map of device memory filled on fault by `V`, whose handler is given this
    /// device (see [`crate::mm::pfnmap`]).
    ///
    /// Unlike a mapping handed to a DMA buffer, the VMA keeps the device's file and its offset in
    /// it: [`Device::zap_file_mappings`] over the offsets it maps zaps it, and the handler finds
    /// the file offset of a fault with [`crate::mm::pfnmap::VmFault::file_page`]. The VMA holds
    /// the file, which keeps the device open (its `close_device` runs only when the last mapping
    /// is gone) and registered, hence its parent bound, for as long as any mapping exists.
    ///
    /// `EINVAL` if `vma` does not map a file of this device, or cannot map device memory (a
    /// private mapping, see [`VmaNew::set_io_pfnmap`]).
    pub fn map_io<V: VmOperations<Data = Self>>(&self, vma: &VmaNew) -> Result {
        let file = vma.file().ok_or(EINVAL)?;
        let mapping = self.file_mapping();
        // SAFETY: `file` is valid while borrowed; `f_mapping` is set when a file is opened.
        let file_mapping = unsafe { (*file.as_ptr()).f_mapping };
        if mapping.is_null() || file_mapping != mapping {
            return Err(EINVAL);
        }
        // SAFETY: The VMA maps a file of this device: no other file has the device's address
        // space. That VMA, and every VMA split or copied from it, holds the file; an open file
        // holds a registration reference of the device, and unregistering (which comes before
        // the device can be freed) waits for all of them. So `self` outlives every such VMA.
        unsafe { vma.set_io_pfnmap::<V>(self, None) }
    }

    /// Returns whether the device was opened through its iommufd cdev (not a group).
    pub fn cdev_opened(&self) -> bool {
        // SAFETY: `self` is valid; the flag is set before any ioctl of the opening file.
        unsafe { (*self.as_raw()).cdev_opened() != 0 }
    }

    /// Returns the iommufd context the device is bound to, if it is bound to one (opened
    /// through its cdev).
    ///
    /// The binding changes only under the lock of the device set, which `set` proves is held;
    /// `None` if `set` is not the device's own set.
    pub fn iommufd_ctx<'a>(&self, set: &DeviceSet<'a>) -> Option<IommufdCtx<'a>> {
        // SAFETY: `self` is valid; `dev_set` is assigned (type invariant) and never changes.
        if !core::ptr::eq(unsafe { (*self.as_raw()).dev_set }, set.set) {
            return None;
        }
        // SAFETY: `self` is valid; its iommufd binding is stable under the set's lock. (Without
        // iommufd, a helper stands in for the stub: always NULL.)
        let ictx = unsafe { bindings::vfio_iommufd_device_ictx(self.as_raw()) };
        // INVARIANT: The context stays bound while the set's lock is held, for `'a`.
        NonNull::new(ictx).map(|ictx| IommufdCtx {
            ictx,
            _p: PhantomData,
        })
    }

    /// Locks the device set of `self` (the devices reset together) and returns a guard to look
    /// at its members.
    pub fn lock_device_set(&self) -> DeviceSetGuard<'_> {
        // SAFETY: `dev_set` was assigned before the `ARef` escaped `Device::new` (type
        // invariant) and lives as long as the device.
        let set = unsafe { (*self.as_raw()).dev_set };
        // SAFETY: `set` is valid; its mutex is initialised by the VFIO core.
        unsafe { bindings::mutex_lock(&raw mut (*set).lock) };
        // INVARIANT: Locked just above, and held until the guard is dropped.
        DeviceSetGuard {
            set: DeviceSet {
                set,
                _p: PhantomData,
            },
        }
    }

    /// Unregisters the device if it is registered: waits for every user to close it.
    fn unregister(&self) {
        if self.registered.xchg(false, Full) {
            // SAFETY: The device is registered (the flag was set), and only one caller can
            // clear the flag.
            unsafe { bindings::vfio_unregister_group_dev(self.as_raw()) };
        }
    }

    /// Returns the parent as a bound device.
    ///
    /// # Safety
    ///
    /// The parent must be bound to its driver for the lifetime of the returned reference.
    unsafe fn parent_bound(&self) -> &device::Device<Bound> {
        let dev: *const device::Device = self.parent();
        // SAFETY: The caller guarantees the parent is bound; `Device<Bound>` has the same
        // layout as `Device`.
        unsafe { &*dev.cast::<device::Device<Bound>>() }
    }

    /// # Safety
    ///
    /// `vdev` must be a device created by [`Device::<T>::new`], valid for `'a`.
    unsafe fn from_raw<'a>(vdev: *mut bindings::vfio_device) -> &'a Self {
        // SAFETY: `vdev` is at offset 0 of a `Device<T>`, by the safety requirements.
        unsafe { &*vdev.cast::<Self>() }
    }
}

impl<T: Driver> Deref for Device<T> {
    type Target = T::Data;

    fn deref(&self) -> &T::Data {
        &self.data
    }
}

// SAFETY: The reference count is that of the embedded `struct device`; the VFIO core frees the
// object (after `release`) when it reaches zero.
unsafe impl<T: Driver> AlwaysRefCounted for Device<T> {
    fn inc_ref(&self) {
        // SAFETY: The existence of `&self` means the count is non-zero.
        unsafe { bindings::get_device(&raw mut (*self.as_raw()).device) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns one reference.
        unsafe { bindings::put_device(&raw mut (*obj.as_ref().as_raw()).device) };
    }
}

/// A registered VFIO device: userspace can open it until this is dropped.
///
/// Dropping it unregisters the device, which waits until every user has closed it (the VFIO
/// core asks them through [`Driver::request`]). It borrows the bound parent for `'a`, so safe
/// code cannot keep it past the parent's unbinding; should it be leaked, a device-managed action
/// of the parent unregisters the device at unbind.
///
/// # Invariants
///
/// `dev` was registered with `vfio_register_group_dev`, its parent is bound for `'a`, and
/// `dev.registered` tells whether it is still registered.
pub struct Registration<'a, T: Driver> {
    dev: ARef<Device<T>>,
    _parent: PhantomData<&'a device::Device<Bound>>,
}

/// Unregisters a device at the latest when its parent is unbound, should its [`Registration`]
/// have been leaked.
struct Backstop<T: Driver>(ARef<Device<T>>);

impl<T: Driver> Drop for Backstop<T> {
    fn drop(&mut self) {
        self.0.unregister();
    }
}

impl<'a, T: Driver> Registration<'a, T> {
    /// Registers `dev` with the VFIO core, through its IOMMU group and the iommufd cdev.
    ///
    /// `parent` must be the device's parent.
    pub fn new(dev: ARef<Device<T>>, parent: &'a device::Device<Bound>) -> Result<Self> {
        if !core::ptr::eq(dev.parent(), &**parent) {
            return Err(EINVAL);
        }
        // The backstop goes first: once registered, the device must be unregistered by unbind
        // whatever happens to the registration.
        devres::register(parent, Backstop(dev.clone()), GFP_KERNEL)?;
        // SAFETY: `dev` is a fully initialised VFIO device, not registered yet.
        to_result(unsafe { bindings::vfio_register_group_dev(dev.as_raw()) })?;
        dev.registered.store(true, crate::sync::atomic::Release);
        // INVARIANT: Registered just above; `parent` is bound for `'a`.
        Ok(Self {
            dev,
            _parent: PhantomData,
        })
    }

    /// Returns the registered device.
    pub fn device(&self) -> &ARef<Device<T>> {
        &self.dev
    }
}

impl<T: Driver> Drop for Registration<'_, T> {
    fn drop(&mut self) {
        // Waits for all users.
        self.dev.unregister();
    }
}

/// The VFIO core's iommufd helper `$f` for a driver whose device does DMA through its parent's
/// IOMMU, or `None`.
#[cfg(CONFIG_IOMMUFD)]
macro_rules! physical_iommufd {
    ($t:ty, $f:ident) => {
        if <$t>::PHYSICAL_IOMMUFD {
            Some(bindings::$f)
        } else {
            None
        }
    };
}

/// Without iommufd the helpers are NULL (macros in C): always `None`.
#[cfg(not(CONFIG_IOMMUFD))]
macro_rules! physical_iommufd {
    ($t:ty, $f:ident) => {
        None
    };
}

/// The `struct vfio_device_ops` of a [`Driver`], with its trampolines.
struct DeviceVTable<T: Driver>(PhantomData<T>);

impl<T: Driver> DeviceVTable<T> {
    /// The driver's name as the C string pointer the ops table holds.
    ///
    /// `CStr::as_char_ptr` is not `const`; the plain pointer is what C reads.
    #[allow(clippy::disallowed_methods)]
    const NAME_PTR: *mut c_char = FfiCStr::as_ptr(T::NAME).cast_mut().cast();

    /// Used between allocation and the initialisation of the data: nothing to release.
    const ALLOC_VTABLE: bindings::vfio_device_ops = bindings::vfio_device_ops {
        name: Self::NAME_PTR,
        ..pin_init::zeroed()
    };

    const VTABLE: bindings::vfio_device_ops = bindings::vfio_device_ops {
        name: Self::NAME_PTR,
        release: Some(Self::release),
        bind_iommufd: physical_iommufd!(T, vfio_iommufd_physical_bind),
        unbind_iommufd: physical_iommufd!(T, vfio_iommufd_physical_unbind),
        attach_ioas: physical_iommufd!(T, vfio_iommufd_physical_attach_ioas),
        detach_ioas: physical_iommufd!(T, vfio_iommufd_physical_detach_ioas),
        pasid_attach_ioas: physical_iommufd!(T, vfio_iommufd_physical_pasid_attach_ioas),
        pasid_detach_ioas: physical_iommufd!(T, vfio_iommufd_physical_pasid_detach_ioas),
        open_device: Some(Self::open_device),
        close_device: Some(Self::close_device),
        read: if T::HAS_READ { Some(Self::read) } else { None },
        write: if T::HAS_WRITE {
            Some(Self::write)
        } else {
            None
        },
        ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            None
        },
        get_region_info_caps: if T::HAS_REGION_INFO {
            Some(Self::region_info)
        } else {
            None
        },
        device_feature: if T::HAS_DEVICE_FEATURE {
            Some(Self::device_feature)
        } else {
            None
        },
        mmap: if T::HAS_MMAP {
            Some(Self::mmap)
        } else {
            None
        },
        get_unmapped_area: if T::HAS_MMAP_ALIGNMENT {
            Some(Self::get_unmapped_area)
        } else {
            None
        },
        request: if T::HAS_REQUEST {
            Some(Self::request)
        } else {
            None
        },
        match_: if T::HAS_MATCHES {
            Some(Self::match_)
        } else {
            None
        },
        match_token_uuid: if T::HAS_MATCH_TOKEN {
            Some(Self::match_token_uuid)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the VFIO core with the last reference to a device created by
    /// [`Device::<T>::new`] gone.
    unsafe extern "C" fn release(vdev: *mut bindings::vfio_device) {
        let this = vdev.cast::<Device<T>>();
        // SAFETY: The data and the parent reference were initialised (the real vtable is only
        // installed after that) and no reference to the device is left; the core frees the
        // memory after this returns.
        unsafe {
            core::ptr::drop_in_place(&raw mut (*this).data);
            core::ptr::drop_in_place(&raw mut (*this).parent);
        }
    }

    /// # Safety
    ///
    /// Called by the VFIO core on a registered device of this driver (so its parent is bound).
    unsafe fn both<'a>(
        vdev: *mut bindings::vfio_device,
    ) -> (&'a Device<T>, &'a device::Device<Bound>) {
        // SAFETY: By the safety requirements, `vdev` is one of ours and registered, hence valid
        // and its parent bound for the duration of the callback.
        unsafe {
            let dev = Device::<T>::from_raw(vdev);
            (dev, dev.parent_bound())
        }
    }

    /// # Safety
    ///
    /// See [`Self::both`].
    unsafe extern "C" fn open_device(vdev: *mut bindings::vfio_device) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // INVARIANT: The VFIO core holds the set's lock around `open_device`.
        let set = DeviceSet {
            // SAFETY: `vdev` is valid; its set was assigned before registration.
            set: unsafe { (*vdev).dev_set },
            _p: PhantomData,
        };
        from_result(|| T::open_device(dev, parent, &set).map(|()| 0))
    }

    /// # Safety
    ///
    /// See [`Self::both`].
    unsafe extern "C" fn close_device(vdev: *mut bindings::vfio_device) {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // INVARIANT: The VFIO core holds the set's lock around `close_device`.
        let set = DeviceSet {
            // SAFETY: `vdev` is valid; its set was assigned before registration.
            set: unsafe { (*vdev).dev_set },
            _p: PhantomData,
        };
        T::close_device(dev, parent, &set)
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `buf` is a user pointer, `ppos` valid.
    unsafe extern "C" fn read(
        vdev: *mut bindings::vfio_device,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        let user = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
        // SAFETY: The VFIO core passes the file position, valid during the call.
        let pos = unsafe { &mut *ppos };
        match T::read(dev, parent, user, pos) {
            // CAST: At most `count`, which came from a `ssize_t`-bounded `read()` length.
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `buf` is a user pointer, `ppos` valid.
    unsafe extern "C" fn write(
        vdev: *mut bindings::vfio_device,
        buf: *const c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        let user = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
        // SAFETY: The VFIO core passes the file position, valid during the call.
        let pos = unsafe { &mut *ppos };
        match T::write(dev, parent, user, pos) {
            // CAST: At most `count`, which came from a `ssize_t`-bounded `write()` length.
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// See [`Self::both`].
    unsafe extern "C" fn ioctl(
        vdev: *mut bindings::vfio_device,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // CAST: `unsigned long` and `usize` have the same size in the kernel.
        let arg = UserPtr::from_addr(arg as usize);
        match T::ioctl(dev, parent, cmd, arg) {
            // CAST: `isize` and `long` have the same size in the kernel.
            Ok(n) => n as c_long,
            // CAST: Widening an errno.
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `info` and `caps` valid for the call.
    unsafe extern "C" fn region_info(
        vdev: *mut bindings::vfio_device,
        info: *mut bindings::vfio_region_info,
        caps: *mut bindings::vfio_info_cap,
    ) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // SAFETY: The VFIO core passes its own copy of the arguments, valid during the call.
        let info = unsafe { &mut *info };
        // INVARIANT: `caps` is the core's chain, valid during the call.
        let mut caps = InfoCaps {
            caps,
            _p: PhantomData,
        };
        from_result(|| T::region_info(dev, parent, info, &mut caps).map(|()| 0))
    }

    /// # Safety
    ///
    /// See [`Self::both`].
    unsafe extern "C" fn device_feature(
        vdev: *mut bindings::vfio_device,
        flags: u32,
        arg: *mut c_void,
        argsz: usize,
    ) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        from_result(|| {
            let n = T::device_feature(dev, parent, flags, UserPtr::from_ptr(arg), argsz)?;
            c_int::try_from(n).map_err(|_| EINVAL)
        })
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `vma` is a new VMA being set up by `mmap()` of the device's file.
    unsafe extern "C" fn mmap(
        vdev: *mut bindings::vfio_device,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // SAFETY: The VFIO core passes the VMA its `mmap` file operation got, under setup.
        let vma = unsafe { VmaNew::from_raw(vma) };
        from_result(|| T::mmap(dev, parent, vma).map(|()| 0))
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `file` is the device file being mapped, by the current process.
    unsafe extern "C" fn get_unmapped_area(
        vdev: *mut bindings::vfio_device,
        file: *mut bindings::file,
        addr: c_ulong,
        len: c_ulong,
        pgoff: c_ulong,
        flags: c_ulong,
    ) -> c_ulong {
        // SAFETY: The VFIO core calls `mm_get_unmapped_area` with its own arguments.
        let plain = || unsafe { bindings::mm_get_unmapped_area(file, addr, len, pgoff, flags) };
        // A fixed address is not ours to choose.
        // CAST: Widening a flag bit.
        if flags & bindings::MAP_FIXED as c_ulong != 0 {
            return plain();
        }
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // CAST: `unsigned long` is `usize` in the kernel.
        let size = T::mmap_alignment(dev, parent, pgoff as usize, len as usize) as c_ulong;
        if size <= bindings::PAGE_SIZE as c_ulong || !size.is_power_of_two() {
            return plain();
        }
        // Ask for `size` more than needed, then move up to the first address congruent to the
        // file offset modulo `size`: the mapping stays inside what was found. The file offset
        // is what must line up: with the region's frames aligned to `size` at the same offset,
        // huge entries fit.
        let Some(off) = pgoff.checked_shl(bindings::PAGE_SHIFT) else {
            return plain();
        };
        let (Some(padded), Some(_)) = (len.checked_add(size), off.checked_add(len + size)) else {
            return plain();
        };
        // SAFETY: As for `plain`, with a longer length.
        let ret = unsafe { bindings::mm_get_unmapped_area(file, addr, padded, pgoff, flags) };
        // An error (a small negative value): perhaps only the padding does not fit.
        // CAST: Widening.
        if ret > c_ulong::MAX - bindings::MAX_ERRNO as c_ulong {
            return plain();
        }
        // The hint was free: the user asked for that address.
        if ret == addr {
            return ret;
        }
        ret + (off.wrapping_sub(ret) & (size - 1))
    }

    /// # Safety
    ///
    /// See [`Self::both`].
    unsafe extern "C" fn request(vdev: *mut bindings::vfio_device, count: c_uint) {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        T::request(dev, parent, count)
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `buf` is a NUL-terminated string valid for the call.
    unsafe extern "C" fn match_(vdev: *mut bindings::vfio_device, buf: *mut c_char) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // SAFETY: The VFIO core passes the user's string, NUL-terminated, valid for the call.
        let name = unsafe { CStr::from_char_ptr(buf) };
        match T::matches(dev, parent, name) {
            Ok(m) => m.into(),
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// See [`Self::both`]; `uuid` is NULL or a valid `uuid_t` for the call.
    unsafe extern "C" fn match_token_uuid(
        vdev: *mut bindings::vfio_device,
        uuid: *const bindings::uuid_t,
    ) -> c_int {
        // SAFETY: Called by the VFIO core on one of our registered devices.
        let (dev, parent) = unsafe { Self::both(vdev) };
        // SAFETY: `uuid_t` is 16 bytes without padding; the pointer is valid if not NULL.
        let token = unsafe { uuid.cast::<[u8; 16]>().as_ref() };
        from_result(|| T::match_token(dev, parent, token).map(|()| 0))
    }
}

// Keep the layout assumption next to the code that relies on it.
const _: () = assert!(offset_of!(Device<NoDriver>, vdev) == 0);

/// A driver used only to check the layout of [`Device`] at compile time.
struct NoDriver;

static NO_DRIVER_OPS: DeviceOps<NoDriver> = DeviceOps::new();

#[vtable]
impl Driver for NoDriver {
    type Data = ();
    const NAME: &'static CStr = c"none";
    const OPS: &'static DeviceOps<Self> = &NO_DRIVER_OPS;
}

/// An iommufd context a device is bound to (`struct iommufd_ctx`), borrowed from the device.
///
/// # Invariants
///
/// `ictx` is a valid context for `'a`.
#[derive(Clone, Copy)]
pub struct IommufdCtx<'a> {
    ictx: NonNull<bindings::iommufd_ctx>,
    _p: PhantomData<&'a ()>,
}

/// A device set whose lock is held: its members can be looked at.
///
/// Handed to [`Driver::open_device`] and [`Driver::close_device`] (the VFIO core holds the lock
/// around them) and reached through a [`DeviceSetGuard`] elsewhere.
///
/// # Invariants
///
/// `set` is a valid `struct vfio_device_set` whose mutex is held for `'a`.
pub struct DeviceSet<'a> {
    set: *mut bindings::vfio_device_set,
    _p: PhantomData<&'a ()>,
}

impl DeviceSet<'_> {
    /// Returns the member of the set that `dev` is the parent of, if any.
    pub fn find(&self, dev: &device::Device) -> Option<SetMember<'_>> {
        // SAFETY: The set's lock is held (type invariant), as the function requires.
        let vdev = unsafe { bindings::vfio_find_device_in_devset(self.set, dev.as_raw()) };
        // INVARIANT: A member of the locked set stays in it while the lock is held.
        NonNull::new(vdev).map(|vdev| SetMember {
            vdev,
            _p: PhantomData,
        })
    }

    /// Returns the members of the set.
    pub fn members(&self) -> impl Iterator<Item = SetMember<'_>> + '_ {
        // SAFETY: `set` is valid (type invariant).
        let head = unsafe { &raw mut (*self.set).device_list };
        // SAFETY: The list is stable while the set's lock is held.
        let mut node = unsafe { (*head).next };
        core::iter::from_fn(move || {
            if node == head {
                return None;
            }
            let off = offset_of!(bindings::vfio_device, dev_set_list);
            // SAFETY: Every node of `device_list` is the `dev_set_list` of a `vfio_device`.
            let vdev = unsafe { node.cast::<u8>().sub(off).cast::<bindings::vfio_device>() };
            // SAFETY: `node` is a valid list node while the lock is held.
            node = unsafe { (*node).next };
            // INVARIANT: A member of the locked set.
            NonNull::new(vdev).map(|vdev| SetMember {
                vdev,
                _p: PhantomData,
            })
        })
    }

    /// Returns how many members of the set are open.
    pub fn open_count(&self) -> u32 {
        // SAFETY: `set` is valid and locked (type invariant).
        unsafe { bindings::vfio_device_set_open_count(self.set) }
    }
}

/// The lock of a device set, taken by [`Device::lock_device_set`]; released when dropped.
///
/// # Invariants
///
/// The mutex of `set.set` was locked by this guard.
pub struct DeviceSetGuard<'a> {
    set: DeviceSet<'a>,
}

impl<'a> Deref for DeviceSetGuard<'a> {
    type Target = DeviceSet<'a>;

    fn deref(&self) -> &DeviceSet<'a> {
        &self.set
    }
}

impl Drop for DeviceSetGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The lock was taken by this guard (type invariant).
        unsafe { bindings::mutex_unlock(&raw mut (*self.set.set).lock) };
    }
}

/// A member of a locked device set.
///
/// # Invariants
///
/// `vdev` is a valid `struct vfio_device` in the set, for `'a` (the lock's lifetime).
#[derive(Clone, Copy)]
pub struct SetMember<'a> {
    vdev: NonNull<bindings::vfio_device>,
    _p: PhantomData<&'a ()>,
}

impl<'a> SetMember<'a> {
    /// Returns the member as a [`Device`] of driver `T`, if it is one.
    ///
    /// The driver is recognised by its operations table, a `static` ([`Driver::OPS`]): its
    /// address is unique, which a `const` promoted to a static is not guaranteed to be.
    pub fn as_driver<T: Driver>(&self) -> Option<&'a Device<T>> {
        // SAFETY: `vdev` is valid (type invariant).
        let ops = unsafe { (*self.vdev.as_ptr()).ops };
        if !core::ptr::eq(ops, T::OPS.as_raw()) {
            return None;
        }
        // SAFETY: Its ops are `T::OPS`, which only `Device::<T>::new` installs; valid for `'a`.
        Some(unsafe { &*self.vdev.as_ptr().cast::<Device<T>>() })
    }

    /// Returns the member's parent as a bound device, if the member is open.
    ///
    /// An open member stays registered, hence its parent bound, until it is closed, which
    /// needs the set's lock, held for `'a`.
    pub fn bound_parent(&self) -> Option<&'a device::Device<Bound>> {
        if self.open_count() == 0 {
            return None;
        }
        // SAFETY: `vdev` is valid (type invariant) and its `dev` is its parent, which it holds
        // a reference to while registered.
        let dev = unsafe { device::Device::from_raw((*self.vdev.as_ptr()).dev) };
        let dev: *const device::Device = dev;
        // SAFETY: The member is open, so bound for `'a` (see above); `Device<Bound>` has the
        // same layout as `Device`.
        Some(unsafe { &*dev.cast::<device::Device<Bound>>() })
    }

    /// Returns how many users have the member open.
    pub fn open_count(&self) -> u32 {
        // SAFETY: `vdev` is valid; `open_count` changes only under the set's lock, which is held.
        unsafe { (*self.vdev.as_ptr()).open_count }
    }

    /// Returns the member's ID in `ictx` (`vfio_iommufd_get_dev_id`): `Ok(id)` if it is bound
    /// there, `Err(ENOENT)` if it is not bound but its IOMMU group is owned by `ictx`.
    pub fn iommufd_dev_id(&self, ictx: IommufdCtx<'_>) -> Result<u32> {
        // SAFETY: `vdev` and `ictx` are valid (type invariants).
        let id =
            unsafe { bindings::vfio_iommufd_get_dev_id(self.vdev.as_ptr(), ictx.ictx.as_ptr()) };
        crate::error::to_result(id.min(0))?;
        id.try_into().map_err(|_| EINVAL)
    }

    /// Returns whether the member belongs to the VFIO group open as `file`.
    pub fn in_group_file(&self, file: &crate::fs::file::LocalFile) -> bool {
        // SAFETY: `file` and `vdev` are valid.
        unsafe { bindings::vfio_file_has_dev(file.as_ptr(), self.vdev.as_ptr()) }
    }
}

/// Returns whether `file` is a VFIO group file (`/dev/vfio/$GROUP`).
pub fn file_is_group(file: &crate::fs::file::LocalFile) -> bool {
    // SAFETY: `file` is a valid file.
    unsafe { bindings::vfio_file_is_group(file.as_ptr()) }
}
