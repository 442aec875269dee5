// SPDX-License-Identifier: GPL-2.0

//! VFIO: giving devices to userspace.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)
//!
//! This module holds the abstractions a VFIO bus driver written in Rust
//! needs: for now the PCI driver glue ([`pci`]) that binds devices the way
//! the C `vfio-pci` driver does, only through `driver_override`.

pub mod pci;
