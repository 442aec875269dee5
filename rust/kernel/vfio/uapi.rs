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
);
