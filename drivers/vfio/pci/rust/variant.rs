// SPDX-License-Identifier: GPL-2.0

//! Variant drivers: device-specific drivers built on the vfio-pci core, what C's mlx5,
//! nvgrace-gpu or virtio variants do with the functions `vfio_pci_core.h` exports.
//!
//! A variant implements [`Variant`]: the operations it overrides (mmap, ioctls, read and write,
//! region information and extra regions, its part of open and close) and the devices it binds
//! ([`Variant::ID_TABLE`], matched only through `driver_override`). Everything else is the
//! core's: the device lifecycle, config space virtualization, interrupts, resets and hot resets,
//! power management, DMA buffer export, the `memory_lock` and the revoke path. An override may
//! hand any request on to the core through [`Core`].
//!
//! The core keeps one operations table for every device ([`crate::pci_core::VfioPciCore`], so
//! that variant devices and plain ones share device sets and hot resets) and dispatches through
//! the variant's [`VariantOps`], a `static` table of function pointers built from the trait at
//! compile time and stored in the device when it is created: the plain `vfio-pci` has
//! [`VariantOps::NONE`].
//!
//! [`Variant::ZAP_BARS_ON_REVOKE`] is part of the table, hence of the variant's type: the core
//! reads it on every revocation, and it is fixed before the device is even created. The C
//! core's `zap_bars_on_revoke` is a field a driver sets after initialising the device, which
//! races with a revocation that starts as soon as the device is registered; here there is no
//! window to race in.
//!
//! [`VariantDriver`] is the PCI driver of a variant: one registration per variant, beside
//! `vfio-pci`, in the module ([`crate::edu`] has the in-tree ones).

#![forbid(unsafe_code)]

use crate::{
    pci_core::{
        Device,
        VfioPciCore, //
    },
    VfioPci,
    VfioPciBinding, //
};
use core::marker::PhantomData;
use kernel::{
    device::{
        Bound,
        Core as CoreCtx, //
    },
    mm::virt::VmaNew,
    pci,
    prelude::*,
    uaccess::{
        UserPtr,
        UserSliceReader,
        UserSliceWriter, //
    },
    vfio, //
};

/// A variant driver: what it overrides of the vfio-pci core, for the devices it binds.
///
/// Every method is called on an open device (with its parent bound, `pdev`); those left out are
/// the core's. An override that handles only part of a request hands the rest to [`Core`], the
/// way C variants call `vfio_pci_core_ioctl()` and friends.
#[vtable]
pub(crate) trait Variant: 'static {
    /// The devices the variant binds, each only when its `driver_override` names the variant's
    /// driver ([`vfio::pci::id_array`]).
    const ID_TABLE: vfio::pci::IdTable;

    /// Whether revoking the user's BAR mappings (memory decode off, power state changes, resets)
    /// also zaps the mappings of the device file itself over the BAR regions, which only a
    /// variant's [`Variant::mmap`] makes (the core's own mappings are DMA buffers, revoked
    /// anyway). On by default for a variant that overrides `mmap`: a variant that maps device
    /// memory through the device file must not leave it reachable while memory decode is off or
    /// the device is being reset. A variant whose `mmap` hands out DMA buffer mappings only (or
    /// that knows its mappings are safe to keep) may set it to `false`.
    ///
    /// A constant: it is fixed before the device is created, so that no revocation can see it
    /// change (see the [module documentation](self)).
    const ZAP_BARS_ON_REVOKE: bool = Self::HAS_MMAP;

    /// Regions the variant adds after the core's (`VFIO_PCI_NUM_REGIONS` and on), reported by
    /// `VFIO_DEVICE_GET_INFO`; the variant describes them in [`Variant::region_info`] and serves
    /// them in its read, write or mmap.
    const EXTRA_REGIONS: u32 = 0;

    /// The variant's part of opening the device, after the core enabled it; an error closes it
    /// again. No lock of the core is held.
    fn open_device(_dev: &Device, _pdev: &pci::Device<Bound>) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The variant's part of closing the device, before the core disables it.
    fn close_device(_dev: &Device, _pdev: &pci::Device<Bound>) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `read()` on the device file at `*offset` (see [`Core::read`]).
    fn read(
        _dev: &Device,
        _pdev: &pci::Device<Bound>,
        _buf: UserSliceWriter,
        _offset: &mut i64,
    ) -> Result<usize> {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `write()` on the device file at `*offset` (see [`Core::write`]).
    fn write(
        _dev: &Device,
        _pdev: &pci::Device<Bound>,
        _buf: UserSliceReader,
        _offset: &mut i64,
    ) -> Result<usize> {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// A device ioctl (see [`Core::ioctl`]).
    fn ioctl(_dev: &Device, _pdev: &pci::Device<Bound>, _cmd: u32, _arg: UserPtr) -> Result<isize> {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `mmap()` of the device file (see [`Core::mmap`]). A variant that maps device memory
    /// itself does so with [`vfio::Device::map_io`], and keeps [`Variant::ZAP_BARS_ON_REVOKE`].
    fn mmap(_dev: &Device, _pdev: &pci::Device<Bound>, _vma: &VmaNew) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `VFIO_DEVICE_GET_REGION_INFO` for region `info.index` (see [`Core::region_info`]).
    fn region_info(
        _dev: &Device,
        _pdev: &pci::Device<Bound>,
        _info: &mut vfio::RegionInfo,
        _caps: &mut vfio::InfoCaps<'_>,
    ) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The variant's part of open.
type OpenFn = fn(&Device, &pci::Device<Bound>) -> Result;
/// The variant's part of close.
type CloseFn = fn(&Device, &pci::Device<Bound>);
/// `read()`.
type ReadFn = fn(&Device, &pci::Device<Bound>, UserSliceWriter, &mut i64) -> Result<usize>;
/// `write()`.
type WriteFn = fn(&Device, &pci::Device<Bound>, UserSliceReader, &mut i64) -> Result<usize>;
/// A device ioctl.
type IoctlFn = fn(&Device, &pci::Device<Bound>, u32, UserPtr) -> Result<isize>;
/// `mmap()`.
type MmapFn = fn(&Device, &pci::Device<Bound>, &VmaNew) -> Result;
/// `VFIO_DEVICE_GET_REGION_INFO`.
type RegionInfoFn =
    fn(&Device, &pci::Device<Bound>, &mut vfio::RegionInfo, &mut vfio::InfoCaps<'_>) -> Result;

/// What the core dispatches to for a variant: the overridden operations (`None` for the core's
/// own) and the variant's constants. Built at compile time by [`VariantOps::of`], kept in a
/// `static`, stored in the device when it is created and never changed.
pub(crate) struct VariantOps {
    /// [`Variant::ZAP_BARS_ON_REVOKE`].
    pub(crate) zap_bars_on_revoke: bool,
    /// [`Variant::EXTRA_REGIONS`].
    pub(crate) extra_regions: u32,
    /// [`Variant::open_device`].
    pub(crate) open_device: Option<OpenFn>,
    /// [`Variant::close_device`].
    pub(crate) close_device: Option<CloseFn>,
    /// [`Variant::read`].
    pub(crate) read: Option<ReadFn>,
    /// [`Variant::write`].
    pub(crate) write: Option<WriteFn>,
    /// [`Variant::ioctl`].
    pub(crate) ioctl: Option<IoctlFn>,
    /// [`Variant::mmap`].
    pub(crate) mmap: Option<MmapFn>,
    /// [`Variant::region_info`].
    pub(crate) region_info: Option<RegionInfoFn>,
}

impl VariantOps {
    /// The plain `vfio-pci`: the core's operations only, nothing of its own to zap.
    pub(crate) const NONE: Self = Self {
        zap_bars_on_revoke: false,
        extra_regions: 0,
        open_device: None,
        close_device: None,
        read: None,
        write: None,
        ioctl: None,
        mmap: None,
        region_info: None,
    };

    /// Returns the table of variant `V`.
    pub(crate) const fn of<V: Variant>() -> &'static Self {
        Table::<V>::OPS
    }
}

/// The `static` [`VariantOps`] of variant `V`.
struct Table<V>(PhantomData<V>);

impl<V: Variant> Table<V> {
    const OPS: &'static VariantOps = &VariantOps {
        zap_bars_on_revoke: V::ZAP_BARS_ON_REVOKE,
        extra_regions: {
            // Extra regions need describing.
            assert!(V::EXTRA_REGIONS == 0 || V::HAS_REGION_INFO);
            V::EXTRA_REGIONS
        },
        open_device: if V::HAS_OPEN_DEVICE {
            Some(V::open_device)
        } else {
            None
        },
        close_device: if V::HAS_CLOSE_DEVICE {
            Some(V::close_device)
        } else {
            None
        },
        read: if V::HAS_READ { Some(V::read) } else { None },
        write: if V::HAS_WRITE { Some(V::write) } else { None },
        ioctl: if V::HAS_IOCTL { Some(V::ioctl) } else { None },
        mmap: if V::HAS_MMAP { Some(V::mmap) } else { None },
        region_info: if V::HAS_REGION_INFO {
            Some(V::region_info)
        } else {
            None
        },
    };
}

/// The core's own operations, for a variant's overrides to hand requests on to (C's
/// `vfio_pci_core_read()`, `vfio_pci_core_ioctl()`, ...).
pub(crate) struct Core;

impl Core {
    /// `read()` of the config space, a BAR, the ROM or the VGA region (C:
    /// `vfio_pci_core_read`).
    pub(crate) fn read(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        buf: UserSliceWriter,
        offset: &mut i64,
    ) -> Result<usize> {
        crate::rdwr::read(dev, pdev, buf, offset)
    }

    /// `write()` of the config space, a BAR or the VGA region (C: `vfio_pci_core_write`).
    pub(crate) fn write(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        buf: UserSliceReader,
        offset: &mut i64,
    ) -> Result<usize> {
        crate::rdwr::write(dev, pdev, buf, offset)
    }

    /// The device ioctls of the core (C: `vfio_pci_core_ioctl`): `GET_INFO` (which counts
    /// [`Variant::EXTRA_REGIONS`]), IRQs, resets, ioeventfds; `ENOTTY` for others.
    pub(crate) fn ioctl(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        cmd: u32,
        arg: UserPtr,
    ) -> Result<isize> {
        VfioPciCore::core_ioctl(dev, pdev, cmd, arg)
    }

    /// `mmap()` of a BAR, through a DMA buffer (C: `vfio_pci_core_mmap`).
    pub(crate) fn mmap(dev: &Device, pdev: &pci::Device<Bound>, vma: &VmaNew) -> Result {
        crate::dmabuf::mmap(dev, pdev, vma)
    }

    /// Region information of the core's regions; `EINVAL` for others (C:
    /// `vfio_pci_ioctl_get_region_info`).
    pub(crate) fn region_info(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        info: &mut vfio::RegionInfo,
        caps: &mut vfio::InfoCaps<'_>,
    ) -> Result {
        crate::rdwr::region_info(dev, pdev, info, caps)
    }
}

/// The PCI driver of variant `V`: binds the devices of [`Variant::ID_TABLE`] (through
/// `driver_override` only) to the core with `V`'s operations, with the core's module parameters
/// and runtime power management, as the plain `vfio-pci` does.
pub(crate) struct VariantDriver<V>(PhantomData<V>);

#[vtable]
impl<V: Variant> vfio::pci::Driver for VariantDriver<V> {
    type Data<'bound> = VfioPciBinding<'bound>;
    const ID_TABLE: vfio::pci::IdTable = V::ID_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<CoreCtx<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || crate::bind(pdev, VariantOps::of::<V>()))
    }

    /// As the plain driver, as C's variant drivers use `vfio_pci_core_aer_err_detected`.
    fn error_detected<'bound>(
        pdev: &'bound pci::Device<CoreCtx<'_>>,
        data: Pin<&Self::Data<'bound>>,
        state: pci::ChannelState,
    ) -> pci::ErsResult {
        <VfioPci as vfio::pci::Driver>::error_detected(pdev, data, state)
    }

    fn idle_suspend() -> bool {
        <VfioPci as vfio::pci::Driver>::idle_suspend()
    }

    fn runtime_suspend(pdev: &pci::Device<Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        <VfioPci as vfio::pci::Driver>::runtime_suspend(pdev, data)
    }

    fn runtime_resume(pdev: &pci::Device<Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        <VfioPci as vfio::pci::Driver>::runtime_resume(pdev, data)
    }
}
