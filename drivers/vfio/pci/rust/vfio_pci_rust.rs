// SPDX-License-Identifier: GPL-2.0

//! The vfio-pci core and the `vfio-pci` driver, in Rust.
//!
//! A drop-in for the C driver of [`drivers/vfio/pci/vfio_pci.c`] and the core
//! of [`drivers/vfio/pci/vfio_pci_core.c`]: it registers the PCI driver
//! `vfio-pci`, which binds a device only when userspace names it in the
//! device's `driver_override`, and registers each bound device with the VFIO
//! core so that userspace can open it through its IOMMU group or the iommufd
//! cdev.
//!
//! The files mirror the C split: [`pci_core`] (device lifecycle and ioctls),
//! [`config`] (config space virtualization), [`rdwr`] (BAR and ROM access),
//! [`memory`] (the `memory_lock` and the revoke path), [`dmabuf`] (BAR mmap
//! through DMA buffers, and their revocation), [`intrs`] (interrupts),
//! [`reset`] (hot reset), [`ioeventfd`], [`vga`] (the VGA region and arbiter
//! client), [`rom`] (the platform's ROM copy), [`ids`] (the `ids` parameter),
//! [`sriov`] (the VFs of a PF and their VF token), [`variant`] (the trait of
//! variant drivers) and [`edu`] (an in-tree variant for QEMU's `edu` device).
//!
//! Variant drivers live in this module, beside `vfio-pci`, rather than in
//! modules of their own: in 7.3 a Rust module is one crate and only the
//! `kernel` crate is shared between modules, so a separate variant module
//! could not link against the core. Each variant registers a PCI driver of
//! its own (`vfio-pci-edu`, `vfio-pci-edu-nozap`), bound through
//! `driver_override` only, like C's variant drivers.
//!
//! The driver has no `unsafe` code: everything unsafe lives in the kernel
//! crate's abstractions. Each module says so with `#![forbid(unsafe_code)]`;
//! the crate root cannot, as the `module!` macro expands to unsafe glue in it.
//!
//! [`drivers/vfio/pci/vfio_pci.c`]: srctree/drivers/vfio/pci/vfio_pci.c
//! [`drivers/vfio/pci/vfio_pci_core.c`]: srctree/drivers/vfio/pci/vfio_pci_core.c

use kernel::{
    debugfs,
    device::{
        Bound,
        Core, //
    },
    driver,
    pci,
    prelude::*,
    str::CString,
    vfio, //
};

mod config;
mod dmabuf;
mod edu;
mod ids;
mod intrs;
mod ioeventfd;
mod memory;
mod pci_core;
mod rdwr;
mod reset;
mod rom;
mod sriov;
mod variant;
mod vga;

module! {
    type: VfioPciModule,
    name: "vfio_pci_rust",
    authors: ["rvfio developers"],
    description: "VFIO PCI - User Level meta-driver (Rust)",
    license: "GPL v2",
    imports_ns: ["DMA_BUF", "IOMMUFD"],
    params: {
        ids: string {
            default: c"",
            description: "Initial PCI IDs to add to the vfio driver, format is \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\" and multiple comma separated entries can be specified",
        },
        nointxmask: bool {
            default: false,
            description: "Disable support for PCI 2.3 style INTx masking.  If this resolves problems for specific devices, report lspci -vvvxxx to linux-pci@vger.kernel.org so the device can be fixed automatically via the broken_intx_masking flag.",
        },
        disable_vga: bool {
            default: false,
            description: "Disable VGA resource access through vfio-pci",
        },
        disable_idle_d3: bool {
            default: false,
            description: "Disable using the PCI D3 low power state for idle, unused devices",
        },
        enable_sriov: bool {
            default: false,
            description: "Enable support for SR-IOV configuration.  Enabling SR-IOV on a PF typically requires support of the userspace PF driver, enabling VFs without such support may result in non-functional VFs or PF.",
        },
        disable_denylist: bool {
            default: false,
            description: "Disable use of device denylist. Disabling the denylist allows binding to devices with known errata that may lead to exploitable stability or security issues when accessed by untrusted users.",
        },
    },
}

/// The name of the PCI driver: part of the uapi (`driver_override`, sysfs), hence the C driver's.
const DRIVER_NAME: &CStr = c"vfio-pci";

/// Devices the driver refuses unless `disable_denylist` is set: functions with known errata
/// that make them unsafe to hand to an untrusted user (the C driver's list).
const DENYLIST: &[(u16, u16)] = &[
    // Intel QuickAssist C3xxx, C62x and DH895xCC, physical and virtual functions.
    (0x8086, 0x19e2),
    (0x8086, 0x19e3),
    (0x8086, 0x37c8),
    (0x8086, 0x37c9),
    (0x8086, 0x0435),
    (0x8086, 0x0443),
    // Intel DSA and IAX of Sapphire Rapids.
    (0x8086, 0x0b25),
    (0x8086, 0x0cfe),
];

/// The plain `vfio-pci` driver: the core with no device-specific behaviour.
struct VfioPci;

/// Binds `pdev` to the core with the operations of `variant`: creates the VFIO device, joins the
/// VGA arbiter if it is a VGA device, adds its debugfs view and registers it with the VFIO core.
/// For `vfio-pci` and the variant drivers alike.
fn bind<'bound>(
    pdev: &'bound pci::Device<Core<'_>>,
    variant: &'static variant::VariantOps,
) -> Result<impl PinInit<VfioPciBinding<'bound>, Error> + 'bound> {
    let options = pci_core::Options {
        nointxmask: module_parameters::nointxmask.value(),
        disable_idle_d3: !<VfioPci as vfio::pci::Driver>::idle_suspend(),
    };
    let dev = pci_core::VfioPciCore::create(pdev, options, variant)?;
    let sriov = sriov::PfSriov::new(pdev)?;
    let vga = vga::VgaBinding::new(pdev)?;
    let name = CString::try_from_fmt(fmt!("vfio-pci-rust-{}", pdev.as_ref().name()))?;
    let dir = debugfs::Dir::new(&name);
    let view = dmabuf::DebugView(dev.memory_lock());
    let file = KBox::pin_init(dir.read_only_file(c"mappings", view), GFP_KERNEL)?;
    let registration = vfio::Registration::new(dev, pdev.as_ref())?;
    Ok(try_pin_init!(VfioPciBinding {
        sriov <- sriov,
        _debugfs_file: file,
        _debugfs_dir: dir,
        registration,
        _vga: vga,
    }))
}

/// What the PCI driver keeps for a bound device: its registration with the VFIO core, which
/// borrows the bound device.
///
/// Dropping it (at unbind) unregisters the VFIO device, which waits for every user to close it.
#[pin_data]
struct VfioPciBinding<'bound> {
    /// `vfio-pci-rust-<device>/mappings` in debugfs: faults by entry size and the DMA buffers
    /// (see [`dmabuf::DebugView`]). Removed before the directory.
    _debugfs_file: Pin<KBox<debugfs::File<dmabuf::DebugView>>>,
    _debugfs_dir: debugfs::Dir,
    registration: vfio::Registration<'bound, pci_core::VfioPciCore>,
    /// Dropped after the registration: a VGA device leaves the arbiter once no user has it.
    _vga: vga::VgaBinding,
    /// A PF's capture of its VFs and the VFs it has enabled (disabled at unbind, before the
    /// registration goes); dropped after the registration, as C unregisters its bus notifier
    /// after the VFIO device.
    #[pin]
    sriov: sriov::PfSriov,
}

#[vtable]
impl vfio::pci::Driver for VfioPci {
    type Data<'bound> = VfioPciBinding<'bound>;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let id = (pdev.vendor_id().as_raw(), pdev.device_id());
            if DENYLIST.contains(&id) {
                if !module_parameters::disable_denylist.value() {
                    dev_warn!(
                        pdev,
                        "{:04x}:{:04x} exists in vfio-pci device denylist, driver probing disallowed.\n",
                        id.0,
                        id.1
                    );
                    return Err(EINVAL);
                }
                dev_warn!(
                    pdev,
                    "device denylist disabled - allowing device {:04x}:{:04x}.\n",
                    id.0,
                    id.1
                );
            }
            bind(pdev, &variant::VariantOps::NONE)
        })
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, data: Pin<&Self::Data<'bound>>) {
        // The VFs go first: their removal waits for their users, who may depend on the PF.
        let _ = data.sriov.configure(data.registration.device(), pdev, 0);
    }

    fn sriov_configure<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        data: Pin<&Self::Data<'bound>>,
        nr_virtfn: u16,
    ) -> Result<u16> {
        if !module_parameters::enable_sriov.value() {
            return Err(ENOENT);
        }
        data.sriov.configure(data.registration.device(), pdev, nr_virtfn)
    }

    fn error_detected<'bound>(
        _pdev: &'bound pci::Device<Core<'_>>,
        data: Pin<&Self::Data<'bound>>,
        _state: pci::ChannelState,
    ) -> pci::ErsResult {
        intrs::error_detected(data.registration.device())
    }

    fn idle_suspend() -> bool {
        !module_parameters::disable_idle_d3.value()
    }

    fn runtime_suspend(pdev: &pci::Device<Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        pci_core::VfioPciCore::runtime_suspend(data.registration.device(), pdev);
        Ok(())
    }

    fn runtime_resume(_pdev: &pci::Device<Bound>, data: Pin<&Self::Data<'_>>) -> Result {
        pci_core::VfioPciCore::runtime_resume(data.registration.device());
        Ok(())
    }
}

/// The module: the `vfio-pci` PCI driver, and the PCI drivers of the in-tree variants.
#[pin_data]
struct VfioPciModule {
    #[pin]
    driver: driver::Registration<vfio::pci::Adapter<VfioPci>>,
    /// `vfio-pci-edu`: QEMU's `edu` with its own mapping of BAR0, zapped on revocation.
    #[pin]
    _edu: driver::Registration<vfio::pci::Adapter<variant::VariantDriver<edu::Edu>>>,
    /// `vfio-pci-edu-nozap`: the same, opted out of the zap.
    #[pin]
    _edu_nozap: driver::Registration<vfio::pci::Adapter<variant::VariantDriver<edu::EduNoZap>>>,
    /// iommufd maps exported buffers of BAR memory through it. Registered before the driver
    /// and unregistered after it (fields drop in order).
    #[pin]
    _iommufd: kernel::dma_buf::IommufdExporter<dmabuf::BarBuf>,
}

impl kernel::InPlaceModule for VfioPciModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            Ok(try_pin_init!(Self {
                _iommufd <- kernel::dma_buf::IommufdExporter::new(),
                driver <- driver::Registration::new(DRIVER_NAME, module),
                _: {
                    ids::fill(&*driver, module_parameters::ids.value().as_bytes());
                },
                _edu <- driver::Registration::new(edu::DRIVER_NAME, module),
                _edu_nozap <- driver::Registration::new(edu::NOZAP_DRIVER_NAME, module),
            }))
        })
    }
}
