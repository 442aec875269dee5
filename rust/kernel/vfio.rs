// SPDX-License-Identifier: GPL-2.0

//! VFIO: giving devices to userspace.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)
//!
//! The abstractions a VFIO bus driver written in Rust needs:
//!
//! - [`device`]: the VFIO device, its operations and its registration with
//!   the VFIO core (`/dev/vfio/$GROUP` and `/dev/vfio/devices/vfioN`);
//! - [`pci`]: the PCI driver glue that binds devices the way the C
//!   `vfio-pci` driver does, only through `driver_override`;
//! - [`sriov`]: the VF token a PF's user shares with its VFs' users;
//! - [`uapi`]: ioctl numbers and user copies of the uapi structs;
//! - [`virqfd`]: handlers run when an eventfd is signalled.

pub mod device;
pub mod pci;
pub mod sriov;
pub mod uapi;
pub mod virqfd;

pub use device::{
    file_is_group,
    Device,
    DeviceSet,
    DeviceOps,
    DeviceSetGuard,
    Driver,
    InfoCapChain,
    InfoCaps,
    IommufdCtx,
    RegionInfo,
    Registration,
    SetMember, //
};
