// SPDX-License-Identifier: GPL-2.0

//! The VFIO uapi: ioctl numbers and byte-level access to the argument structs.
//!
//! C header: [`include/uapi/linux/vfio.h`](srctree/include/uapi/linux/vfio.h)
//!
//! The structs themselves are generated into [`crate::uapi`]; this module adds
//! what Rust code needs to copy them to and from userspace ([`FromBytes`] and
//! [`AsBytes`]) and the ioctl numbers, which C defines with function-like
//! macros that bindgen cannot translate.

use crate::{
    ioctl::_IO,
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uapi,
};

const TYPE: u32 = b';' as u32;
const BASE: u32 = 100;

/// `VFIO_DEVICE_GET_INFO`.
pub const DEVICE_GET_INFO: u32 = _IO(TYPE, BASE + 7);
/// `VFIO_DEVICE_GET_REGION_INFO`.
pub const DEVICE_GET_REGION_INFO: u32 = _IO(TYPE, BASE + 8);
/// `VFIO_DEVICE_GET_IRQ_INFO`.
pub const DEVICE_GET_IRQ_INFO: u32 = _IO(TYPE, BASE + 9);
/// `VFIO_DEVICE_SET_IRQS`.
pub const DEVICE_SET_IRQS: u32 = _IO(TYPE, BASE + 10);
/// `VFIO_DEVICE_RESET`.
pub const DEVICE_RESET: u32 = _IO(TYPE, BASE + 11);
/// `VFIO_DEVICE_GET_PCI_HOT_RESET_INFO`.
pub const DEVICE_GET_PCI_HOT_RESET_INFO: u32 = _IO(TYPE, BASE + 12);
/// `VFIO_DEVICE_PCI_HOT_RESET`.
pub const DEVICE_PCI_HOT_RESET: u32 = _IO(TYPE, BASE + 13);
/// `VFIO_DEVICE_IOEVENTFD`.
pub const DEVICE_IOEVENTFD: u32 = _IO(TYPE, BASE + 16);
/// `VFIO_DEVICE_FEATURE`.
pub const DEVICE_FEATURE: u32 = _IO(TYPE, BASE + 17);

macro_rules! plain_uapi_structs {
    ($($t:ident),* $(,)?) => {
        $(
            // SAFETY: A uapi struct of integers (and, at most, a zero-sized flexible array
            // member): every bit pattern is valid.
            unsafe impl FromBytes for uapi::$t {}
            // SAFETY: A uapi struct laid out without padding (the uapi rules require explicit
            // padding fields), so every byte is initialised.
            unsafe impl AsBytes for uapi::$t {}
        )*
    };
}

plain_uapi_structs!(
    vfio_device_info,
    vfio_region_info,
    vfio_irq_info,
    vfio_irq_set,
    vfio_pci_dependent_device,
    vfio_pci_hot_reset_info,
    vfio_pci_hot_reset,
    vfio_device_ioeventfd,
    vfio_device_feature,
    vfio_info_cap_header,
    vfio_region_info_cap_type,
    vfio_device_info_cap_pci_atomic_comp,
    vfio_device_low_power_entry_with_wakeup,
    vfio_device_feature_dma_buf,
    vfio_region_dma_range,
);

/// Validates the header of `VFIO_DEVICE_SET_IRQS` against a device with `num_irqs`
/// interrupts of type `hdr.index` and `max_irq_type` types (`vfio_set_irqs_validate_and_prepare`).
///
/// Returns how many bytes of data follow the header. Fails with `EINVAL` as the VFIO core does.
pub fn irq_set_validate(
    hdr: &mut uapi::vfio_irq_set,
    num_irqs: u32,
    max_irq_type: u32,
) -> crate::error::Result<usize> {
    let mut size = 0usize;
    let num = i32::try_from(num_irqs)?;
    let max = i32::try_from(max_irq_type)?;
    let hdr: *mut uapi::vfio_irq_set = hdr;
    // SAFETY: `uapi::vfio_irq_set` and `bindings::vfio_irq_set` are both generated from
    // `struct vfio_irq_set` and have the same layout; `hdr` and `size` are valid for the call,
    // which only reads the header (not the flexible array).
    crate::error::to_result(unsafe {
        crate::bindings::vfio_set_irqs_validate_and_prepare(hdr.cast(), num, max, &mut size)
    })?;
    Ok(size)
}

/// What [`check_feature`] decided.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FeatureCheck {
    /// `VFIO_DEVICE_FEATURE_PROBE`: the feature is supported, nothing more to do.
    Probed,
    /// A `GET` or `SET` with enough argument space: carry it out.
    Proceed,
}

/// Checks the flags and size of a `VFIO_DEVICE_FEATURE` request against the operations
/// (`VFIO_DEVICE_FEATURE_GET`/`SET`) a feature supports and its minimum payload size, as C's
/// `vfio_check_feature` does.
///
/// # Examples
///
/// ```
/// use kernel::{
///     prelude::*,
///     uapi,
///     vfio::uapi::{
///         check_feature,
///         FeatureCheck, //
///     },
/// };
///
/// const SET: u32 = uapi::VFIO_DEVICE_FEATURE_SET;
/// const GET: u32 = uapi::VFIO_DEVICE_FEATURE_GET;
/// const PROBE: u32 = uapi::VFIO_DEVICE_FEATURE_PROBE;
///
/// // A probe only says whether the operation is supported.
/// assert_eq!(check_feature(PROBE | SET, 0, SET, 8), Ok(FeatureCheck::Probed));
/// // A SET with room for its payload goes ahead.
/// assert_eq!(check_feature(SET, 8, SET, 8), Ok(FeatureCheck::Proceed));
/// // Too short, an operation the feature does not have, or no operation at all.
/// assert_eq!(check_feature(SET, 4, SET, 8), Err(EINVAL));
/// assert_eq!(check_feature(GET, 8, SET, 8), Err(EINVAL));
/// assert_eq!(check_feature(0, 8, SET, 8), Err(EINVAL));
/// ```
pub fn check_feature(
    flags: u32,
    argsz: usize,
    supported_ops: u32,
    minsz: usize,
) -> crate::error::Result<FeatureCheck> {
    use crate::error::code::EINVAL;
    let get_set = uapi::VFIO_DEVICE_FEATURE_GET | uapi::VFIO_DEVICE_FEATURE_SET;
    if flags & get_set & !supported_ops != 0 {
        return Err(EINVAL);
    }
    if flags & uapi::VFIO_DEVICE_FEATURE_PROBE != 0 {
        return Ok(FeatureCheck::Probed);
    }
    // Without PROBE, one of GET or SET must be asked for.
    if flags & get_set == 0 || argsz < minsz {
        return Err(EINVAL);
    }
    Ok(FeatureCheck::Proceed)
}

/// Returns an all-zero uapi struct.
///
/// # Examples
///
/// ```
/// use kernel::{uapi, vfio::uapi::zeroed};
///
/// let info: uapi::vfio_device_info = zeroed();
/// assert_eq!((info.argsz, info.flags, info.cap_offset), (0, 0, 0));
/// ```
pub fn zeroed<T: FromBytes>() -> T {
    // SAFETY: `T: FromBytes`: every bit pattern, all zeros included, is a valid `T`.
    unsafe { core::mem::zeroed() }
}

/// Reads the first `minsz` bytes of a uapi struct from userspace (the part every version of the
/// uapi has); the rest stays zero, as C's `copy_from_user(&s, arg, minsz)` into a zeroed `s`.
pub fn read_prefix<T: FromBytes + AsBytes>(
    arg: crate::uaccess::UserPtr,
    minsz: usize,
) -> crate::error::Result<T> {
    let mut v: T = zeroed();
    let bytes = v.as_bytes_mut();
    let n = minsz.min(bytes.len());
    crate::uaccess::UserSlice::new(arg, n)
        .reader()
        .read_slice(&mut bytes[..n])?;
    Ok(v)
}

/// Writes the first `minsz` bytes of a uapi struct back to userspace.
pub fn write_prefix<T: AsBytes>(
    arg: crate::uaccess::UserPtr,
    v: &T,
    minsz: usize,
) -> crate::error::Result {
    let bytes = v.as_bytes();
    let n = minsz.min(bytes.len());
    crate::uaccess::UserSlice::new(arg, n)
        .writer()
        .write_slice(&bytes[..n])
}

/// `offsetofend(T, field)` for a uapi struct: the size of the part of `T` up to and including
/// `field`, the `minsz` of the VFIO ioctls.
///
/// # Examples
///
/// ```
/// use kernel::{uapi, vfio::uapi::minsz};
///
/// assert_eq!(minsz!(uapi::vfio_device_info, num_irqs), 16);
/// ```
#[macro_export]
macro_rules! vfio_uapi_minsz {
    ($t:ty, $f:ident) => {{
        let v: $t = $crate::vfio::uapi::zeroed();
        ::core::mem::offset_of!($t, $f) + ::core::mem::size_of_val(&v.$f)
    }};
}
pub use vfio_uapi_minsz as minsz;
