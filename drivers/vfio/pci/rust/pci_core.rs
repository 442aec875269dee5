// SPDX-License-Identifier: GPL-2.0

//! Device lifecycle and ioctls: what `vfio_pci_core.c` does in C.
//!
//! Locks of a device, outermost first (a lock may be taken while holding one above it, never
//! one below it):
//!
//! 1. the VFIO core's device-set lock: held around `open_device` and `close_device`, taken for
//!    hot resets; protects [`CoreDevice::needs_reset`] and the open counts of the set;
//! 2. [`CoreDevice::open`]: the state of an open device (virtual config space, saved state);
//! 3. [`CoreDevice::igate`]: the interrupt state (C's `igate`); `VFIO_DEVICE_SET_IRQS` takes it
//!    without `open`, config writes that touch interrupts take it inside `open`;
//! 4. [`CoreDevice::ioeventfds`]: dropping an ioeventfd waits for its handler, which takes the
//!    read side of `memory_lock`, so it is never held with `memory_lock`;
//! 5. the `memory_lock` ([`crate::memory`]), reached through [`CoreDevice::memory_read`],
//!    [`MemoryWrite::memory_write`] and [`MemoryWrite::memory_write_revoke`]: read side for BAR
//!    access, write side while memory decode or the power state changes or the device is reset;
//!    revoking takes, inside it, the registry of the device's DMA buffers, a buffer's
//!    reservation lock and the page table locks ([`crate::dmabuf`]), and, for a variant that
//!    zaps its own mappings of the device file, the file's address space
//!    (`unmap_mapping_range`, [`crate::variant`]);
//! 6. the error and request eventfds ([`crate::intrs::Triggers`]): a spinlock, so that
//!    signalling never sleeps; nothing is taken inside it.

#![forbid(unsafe_code)]

use crate::{
    config,
    intrs,
    ioeventfd,
    memory::{
        MemoryLock,
        MemoryWrite, //
    },
    reset,
    variant::{
        Core,
        VariantOps, //
    },
};
use kernel::{
    device::{
        self,
        Bound, //
    },
    eventfd::EventFd,
    mm::virt::VmaNew,
    new_mutex,
    pci::{
        self,
        passthrough::{
            PowerState,
            SavedState, //
        },
    },
    pm_runtime::{
        self,
        ActiveRef, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        atomic::{
            AtomicFlag,
            Relaxed, //
        },
        Mutex,
        ReadGuard, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
    uapi,
    vfio::{
        self,
        uapi::{
            minsz,
            read_prefix,
            write_prefix, //
        },
        uapi as ioctl, //
    },
};

/// Bits of a region offset that address inside the region; the rest is the region index.
pub(crate) const OFFSET_SHIFT: u32 = 40;
/// Mask of the in-region part of a region offset.
pub(crate) const OFFSET_MASK: u64 = (1 << OFFSET_SHIFT) - 1;

/// The region offset userspace uses for region `index`.
pub(crate) const fn index_to_offset(index: u32) -> u64 {
    (index as u64) << OFFSET_SHIFT
}

// CAST: The `pci_regs.h` constants used here are small, generated as `u32`.
const PCI_COMMAND: u16 = uapi::PCI_COMMAND as u16;
const PCI_COMMAND_INTX_DISABLE: u16 = uapi::PCI_COMMAND_INTX_DISABLE as u16;
const PCI_HEADER_TYPE_NORMAL: u8 = uapi::PCI_HEADER_TYPE_NORMAL as u8;
const PCI_MSIX_FLAGS: u16 = uapi::PCI_MSIX_FLAGS as u16;
const PCI_MSIX_TABLE: u16 = uapi::PCI_MSIX_TABLE as u16;
const PCI_MSIX_FLAGS_QSIZE: u16 = uapi::PCI_MSIX_FLAGS_QSIZE as u16;
const PCI_MSIX_TABLE_BIR: u32 = uapi::PCI_MSIX_TABLE_BIR;
const PCI_MSIX_TABLE_OFFSET: u32 = uapi::PCI_MSIX_TABLE_OFFSET;
const PCI_MSI_FLAGS: u16 = uapi::PCI_MSI_FLAGS as u16;
const PCI_MSI_FLAGS_QMASK: u16 = uapi::PCI_MSI_FLAGS_QMASK as u16;

/// The size of the function's config space in bytes: 256 or 4096.
pub(crate) fn cfg_size(pdev: &pci::Device<Bound>) -> u16 {
    // CAST: The PCI core only reports 256 or 4096.
    pdev.cfg_size().into_raw() as u16
}

/// Options latched at probe time from the module parameters.
pub(crate) struct Options {
    /// Do not use PCI 2.3 INTx masking.
    pub(crate) nointxmask: bool,
    /// Keep the device in D0 while nobody has it open: no runtime suspend then, except when
    /// the user asks for low power.
    pub(crate) disable_idle_d3: bool,
}

/// Where the MSI-X table lives, which the BAR access paths keep userspace out of.
#[derive(Clone, Copy)]
pub(crate) struct MsixTable {
    /// The BAR holding the table.
    pub(crate) bar: u32,
    /// Offset of the table in that BAR.
    pub(crate) offset: u64,
    /// Size of the table in bytes.
    pub(crate) size: u64,
}

/// The state of an open device, created at `open_device` and dropped at `close_device`.
pub(crate) struct OpenState {
    /// The virtualized config space.
    pub(crate) config: config::Config,
    /// The device state saved right after the reset at open, restored at close.
    saved_state: Option<SavedState>,
    /// Whether a function reset worked at open: `VFIO_DEVICE_RESET` is offered only then.
    reset_works: bool,
    /// The open device's reference on the runtime PM usage count (none with
    /// `disable_idle_d3`, where the probe's reference is kept instead): the device stays active
    /// while open, unless the user asks for low power. Given back after the close-time reset.
    pm: Option<ActiveRef>,
}

/// The vfio-pci core's data of one device, embedded in its [`vfio::Device`].
#[pin_data]
pub(crate) struct CoreDevice {
    /// The PCI function.
    pub(crate) pdev: ARef<pci::Device>,
    /// Options latched at probe.
    options: Options,
    /// The variant driver's operations, [`VariantOps::NONE`] for the plain `vfio-pci`: fixed
    /// before the device is registered, never changed.
    pub(crate) variant: &'static VariantOps,
    /// The MSI-X table, if the device has MSI-X: read-only registers, read once at probe, so
    /// that BAR accesses need no lock to find the hole.
    pub(crate) msix: Option<MsixTable>,
    /// The state of an open device; `None` while closed.
    #[pin]
    pub(crate) open: Mutex<Option<OpenState>>,
    /// The interrupt state (C's `igate`).
    #[pin]
    pub(crate) igate: Mutex<intrs::IrqState>,
    /// The error and request eventfds, signalled without sleeping.
    #[pin]
    pub(crate) triggers: intrs::Triggers,
    /// The `memory_lock`, reached through the `memory_*` methods only. Shared with the
    /// ioeventfds, which must not hold the device itself (a reference cycle).
    memory: Arc<MemoryLock>,
    /// Set when a user closed the device without it being reset (no function reset): the next
    /// time no member of the device set is open, the slot or bus is reset. Read and written
    /// only with the device set's lock held (the methods take the locked set as proof).
    needs_reset: AtomicFlag,
    /// The SR-IOV role of the device, with the VF token of a PF or of a VF's PF, fixed at
    /// probe.
    pub(crate) sriov: crate::sriov::Role,
    /// The ioeventfds of the open device (C's `ioeventfds_lock` and list). Dropping one waits for
    /// its handlers, which take the read side of `memory_lock`: never drop one with it held.
    #[pin]
    pub(crate) ioeventfds: Mutex<KVec<ioeventfd::IoEventFd>>,
}

impl CoreDevice {
    /// Takes the read side of `memory_lock`: BAR accesses.
    pub(crate) fn memory_read(&self) -> ReadGuard<'_, crate::memory::MemoryState> {
        self.memory.read()
    }

    /// Returns the `memory_lock` itself, for those that must not hold the device (ioeventfds).
    pub(crate) fn memory_lock(&self) -> Arc<MemoryLock> {
        self.memory.clone()
    }

    /// Returns the `memory_lock`, whose write side only [`MemoryWrite`] takes.
    pub(crate) fn memory(&self) -> &MemoryLock {
        &self.memory
    }

    /// Returns whether the device was closed without a reset; `set` (its device set, locked)
    /// proves the caller may look.
    pub(crate) fn needs_reset(&self, set: &vfio::DeviceSet<'_>) -> bool {
        let _ = set;
        // Relaxed: the set's lock orders every access.
        self.needs_reset.load(Relaxed)
    }

    /// Sets or clears [`Self::needs_reset`] with the device set's lock held.
    pub(crate) fn set_needs_reset(&self, set: &vfio::DeviceSet<'_>, v: bool) {
        let _ = set;
        self.needs_reset.store(v, Relaxed);
    }
}

/// The vfio-pci core, as a VFIO device driver.
pub(crate) struct VfioPciCore;

/// A VFIO device of the vfio-pci core.
pub(crate) type Device = vfio::Device<VfioPciCore>;

static OPS: vfio::DeviceOps<VfioPciCore> = vfio::DeviceOps::new();

/// The key of the device set `pdev` belongs to: the devices that must be reset together (those
/// of its slot if the slot can be reset, else those of its bus; a function on a root bus or a
/// VF is a set of its own).
///
/// The key is the address of the slot, bus or function with its lowest bit set. The VFIO core
/// keeps one namespace of keys for all drivers, and the C vfio-pci core keys its sets by the
/// very same slot and bus addresses (unmodified). Were the keys equal, a C variant driver
/// (mlx5, nvgrace, virtio, ...) loaded beside this module would share a set with Rust devices
/// and treat them as `struct vfio_pci_core_device` (their `memory_lock`, `needs_reset`): memory
/// corruption. The addresses are at least 2-aligned, so the odd keys of this driver are never
/// anyone's plain address, and stay distinct from one another. A mixed slot or bus (a Rust and
/// a C device behind one reset) then spans two sets, and each driver's hot reset refuses it, as
/// both require every function the reset reaches to be in their own set.
fn device_set_key(pdev: &pci::Device<Bound>) -> *const c_void {
    let base: *const c_void = if pdev.on_root_bus() || pdev.is_virtfn() {
        let this: &device::Device<Bound> = pdev.as_ref();
        core::ptr::from_ref(this).cast()
    } else if let Some(slot) = pdev.slot_id().filter(|_| pdev.can_reset_slot()) {
        slot
    } else {
        pdev.bus_id()
    };
    base.wrapping_byte_add(1)
}

impl VfioPciCore {
    /// Creates the VFIO device for `pdev`, ready to be registered: C's
    /// `vfio_pci_core_register_device` up to the registration itself.
    ///
    /// `variant` is the variant driver's operations ([`VariantOps::NONE`] for the plain
    /// `vfio-pci`), part of the device from its creation on.
    pub(crate) fn create(
        pdev: &pci::Device<Bound>,
        options: Options,
        variant: &'static VariantOps,
    ) -> Result<ARef<Device>> {
        if pdev.hdr_type() != PCI_HEADER_TYPE_NORMAL {
            return Err(EINVAL);
        }
        // VFs that already exist may be in use by the host or another user; the C driver asks
        // the user to sort that out rather than tearing them down under them.
        if pdev.num_vf() != 0 {
            dev_warn!(pdev.as_ref(), "Cannot bind to PF with SR-IOV enabled\n");
            return Err(EBUSY);
        }

        // Config space answers in any power state but D3cold, which a bound device is not in.
        let msix = Self::msix_table(pdev);
        let sriov = crate::sriov::Role::new(pdev)?;
        let memory = Arc::pin_init(
            MemoryLock::new(config::PmRestore::new(pdev), crate::dmabuf::Registry::new()?),
            GFP_KERNEL,
        )?;
        let data = try_pin_init!(CoreDevice {
            pdev: pdev.into(),
            options,
            variant,
            msix,
            open <- new_mutex!(None),
            igate <- new_mutex!(intrs::IrqState::default()),
            triggers <- intrs::Triggers::new(),
            memory,
            needs_reset: AtomicFlag::new(false),
            sriov,
            ioeventfds <- new_mutex!(KVec::new()),
        });
        let dev = vfio::Device::<Self>::new(pdev.as_ref(), device_set_key(pdev), data)?;

        // The PCI core leaves the power state unknown after boot or a previous driver; only D0
        // is reachable from there.
        if let Err(e) = dev.memory_write().set_power_state(pdev, PowerState::D0) {
            dev_dbg!(pdev.as_ref(), "cannot enter D0: {:?}\n", e);
        }
        Ok(dev)
    }

    /// Enables the device for a user: C's `vfio_pci_core_enable`.
    fn enable(dev: &Device, pdev: &pci::Device<Bound>) -> Result<OpenState> {
        // Wake the device from idle D3, and keep it awake while open. Dropped on any error below.
        let pm = if dev.options.disable_idle_d3 {
            None
        } else {
            Some(ActiveRef::get(pdev.as_ref())?)
        };
        // The saved state must not include bus mastering.
        pdev.clear_master();
        pdev.enable_device()?;

        let reset_works = match pdev.try_reset_function() {
            // The device lock is contended: fail the open rather than hand out an unreset device.
            Err(e) if e == EAGAIN => {
                pdev.disable_device();
                return Err(e);
            }
            r => r.is_ok(),
        };
        pdev.save_state();
        let saved_state = pdev.store_saved_state();
        if saved_state.is_none() {
            dev_dbg!(pdev.as_ref(), "couldn't store saved state\n");
        }

        // Devices whose INTx is known to be broken get none: the pin reads as zero and INTx
        // stays disabled on the host.
        let nointx = !dev.options.nointxmask && Self::broken_intx(pdev);
        if nointx {
            dev_info!(pdev.as_ref(), "Masking broken INTx support\n");
            pdev.intx(false);
        }
        let pci_2_3 = !dev.options.nointxmask && !nointx && pdev.intx_mask_supported();
        if pci_2_3 {
            if let Ok(cmd) = pdev.user_read_config::<u16>(PCI_COMMAND) {
                if cmd & PCI_COMMAND_INTX_DISABLE != 0 {
                    let _ =
                        pdev.user_write_config::<u16>(PCI_COMMAND, cmd & !PCI_COMMAND_INTX_DISABLE);
                }
            }
        }

        let config = match config::Config::new(pdev, nointx) {
            Ok(c) => c,
            Err(e) => {
                drop(saved_state);
                pdev.disable_device();
                return Err(e);
            }
        };
        dev.igate.lock().open(pci_2_3, nointx);

        {
            let mut mem = dev.memory_write();
            mem.map_bars(pdev);
            mem.set_cmd_memory(config.cmd_memory());
        }
        Ok(OpenState {
            config,
            saved_state,
            reset_works,
            pm,
        })
    }

    /// Returns whether the device's INTx is known not to work (C: `vfio_pci_nointx`).
    fn broken_intx(pdev: &pci::Device<Bound>) -> bool {
        if pdev.vendor_id().as_raw() != 0x8086 {
            return false;
        }
        // The i40e family (XL710, X710, XXV710) and the X550.
        matches!(
            pdev.device_id(),
            0x1572 | 0x1574 | 0x1580..=0x1581 | 0x1583..=0x158b | 0x37d0..=0x37d2 | 0x1563
        )
    }

    /// Reads where the MSI-X table is, if the device has one.
    fn msix_table(pdev: &pci::Device<Bound>) -> Option<MsixTable> {
        let pos = u16::from(pdev.msix_cap());
        if pos == 0 {
            return None;
        }
        let flags = pdev.user_read_config::<u16>(pos + PCI_MSIX_FLAGS).ok()?;
        let table = pdev.user_read_config::<u32>(pos + PCI_MSIX_TABLE).ok()?;
        Some(MsixTable {
            bar: table & PCI_MSIX_TABLE_BIR,
            offset: (table & PCI_MSIX_TABLE_OFFSET).into(),
            size: (u64::from(flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16,
        })
    }

    /// Disables the device after its last user: C's `vfio_pci_core_disable`, with the device
    /// set's lock held (`set`).
    fn disable(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        set: &vfio::DeviceSet<'_>,
        state: OpenState,
    ) {
        // The user may leave the device in low power, runtime suspended or not: take the
        // user's reference on the usage count back, and resume the device if it is suspended.
        dev.memory_write().pm_exit();
        if let Err(e) = pm_runtime::resume(pdev.as_ref()) {
            dev_dbg!(pdev.as_ref(), "cannot resume at close: {:?}\n", e);
        }
        // D0, with the state the function lost in D3hot (C: `vfio_pci_set_power_state`): the
        // function reset below may be a PM reset, which fails from D3hot.
        let _ = dev.memory_write().set_power_state(pdev, PowerState::D0);
        // Stop the device from further DMA.
        pdev.clear_master();
        // Interrupts first: nothing may fire into the user's eventfds from here on.
        intrs::close(dev, pdev, &mut dev.igate.lock());

        let OpenState {
            config,
            saved_state,
            reset_works,
            pm: _,
        } = state;
        drop(config);
        // The ioeventfds write to the BARs: detach them before the BARs go.
        dev.ioeventfds.lock().clear();
        dev.memory_write().close();
        dev.set_needs_reset(set, true);

        // Restore the state saved at open, and reset the device in it if we can: resetting
        // with the current state beats nothing, saving and restoring without a reset does not.
        let loaded = match saved_state {
            Some(s) => pdev.load_saved_state(s).is_ok(),
            None => false,
        };
        if !loaded {
            dev_info!(pdev.as_ref(), "couldn't reload saved state\n");
            if !reset_works {
                pdev.disable_device();
                return;
            }
            pdev.save_state();
        }

        // Quiet INTx and MSI during the reset, as `pci_reset_function` does.
        let _ = pdev.user_write_config::<u16>(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
        // Not the "try" reset: it would save and restore around the reset, overwriting the state
        // just loaded.
        if reset_works && pdev.reset_function_trylock().is_ok() {
            dev.set_needs_reset(set, false);
        }
        pdev.restore_state();
        pdev.disable_device();
    }

    /// Closes the device for the core (C: `vfio_pci_core_close_device`): disables it, resets
    /// the set if that is due, and lets the user's eventfds go.
    fn close_core(dev: &Device, pdev: &pci::Device<Bound>, set: &vfio::DeviceSet<'_>) {
        dev.sriov.closed();
        let mut state = dev.open.lock().take();
        // Held until the set had its chance of a reset: the device may suspend after that.
        let pm = state.as_mut().and_then(|s| s.pm.take());
        if let Some(state) = state {
            Self::disable(dev, pdev, set, state);
        }
        reset::try_reset_closed_set(pdev, set);
        dev.triggers.release();
        drop(pm);
    }

    /// The device ioctls of the core (C: `vfio_pci_core_ioctl`); `ENOTTY` for any other.
    pub(crate) fn core_ioctl(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        cmd: u32,
        arg: UserPtr,
    ) -> Result<isize> {
        match cmd {
            ioctl::DEVICE_GET_INFO => Self::ioctl_get_info(dev, pdev, arg),
            ioctl::DEVICE_GET_IRQ_INFO => Self::ioctl_get_irq_info(dev, pdev, arg),
            ioctl::DEVICE_SET_IRQS => Self::ioctl_set_irqs(dev, pdev, arg),
            ioctl::DEVICE_RESET => Self::ioctl_reset(dev, pdev),
            ioctl::DEVICE_IOEVENTFD => Self::ioctl_ioeventfd(dev, pdev, arg),
            ioctl::DEVICE_GET_PCI_HOT_RESET_INFO => reset::ioctl_get_info(dev, pdev, arg),
            ioctl::DEVICE_PCI_HOT_RESET => reset::ioctl_hot_reset(dev, pdev, arg),
            _ => Err(ENOTTY),
        }
    }

    fn open_state<'a>(open: &'a mut Option<OpenState>) -> Result<&'a mut OpenState> {
        open.as_mut().ok_or(EINVAL)
    }
}

impl VfioPciCore {
    /// `VFIO_DEVICE_GET_INFO`: C's `vfio_pci_ioctl_get_info`.
    fn ioctl_get_info(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        const INFO_SIZE: usize = core::mem::size_of::<uapi::vfio_device_info>();
        let minsz = minsz!(uapi::vfio_device_info, num_irqs);
        let mut info: uapi::vfio_device_info = read_prefix(arg, minsz)?;
        let argsz = info.argsz as usize;
        if argsz < minsz {
            return Err(EINVAL);
        }
        // What is copied back: as much of the struct as the user has room for, so that fields
        // newer than `num_irqs` (`cap_offset`) are written too.
        let outsz = argsz.min(INFO_SIZE);
        let reset_works = Self::open_state(&mut dev.open.lock())?.reset_works;
        info.flags = uapi::VFIO_DEVICE_FLAGS_PCI;
        if reset_works {
            info.flags |= uapi::VFIO_DEVICE_FLAGS_RESET;
        }
        info.num_regions = uapi::VFIO_PCI_NUM_REGIONS + dev.variant.extra_regions;
        info.num_irqs = uapi::VFIO_PCI_NUM_IRQS;

        let mut caps = vfio::InfoCapChain::new();
        Self::atomic_cap(pdev, &mut caps)?;
        if !caps.is_empty() {
            info.flags |= uapi::VFIO_DEVICE_FLAGS_CAPS;
            let total = INFO_SIZE + caps.len();
            if argsz < total {
                // Not enough room: say how much is needed, and no chain.
                info.argsz = total.try_into()?;
                info.cap_offset = 0;
            } else {
                caps.shift(INFO_SIZE);
                UserSlice::new(arg.wrapping_byte_add(INFO_SIZE), caps.len())
                    .writer()
                    .write_slice(caps.as_bytes())?;
                // CAST: The size of a small uapi struct.
                info.cap_offset = INFO_SIZE as u32;
            }
        }
        write_prefix(arg, &info, outsz)?;
        Ok(0)
    }

    /// Adds the `VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP` capability if the function can complete
    /// atomic operations routed to it from the root port (C: `vfio_pci_info_atomic_cap`).
    fn atomic_cap(pdev: &pci::Device<Bound>, caps: &mut vfio::InfoCapChain) -> Result {
        let atomic = pdev.atomic_ops_to_root();
        let mut flags = 0u32;
        if atomic.comp32 {
            flags |= uapi::VFIO_PCI_ATOMIC_COMP32;
        }
        if atomic.comp64 {
            flags |= uapi::VFIO_PCI_ATOMIC_COMP64;
        }
        if atomic.comp128 {
            flags |= uapi::VFIO_PCI_ATOMIC_COMP128;
        }
        if flags == 0 {
            return Ok(());
        }
        // `struct vfio_device_info_cap_pci_atomic_comp` after its header: flags, reserved.
        let mut body = [0u8; 8];
        body[..4].copy_from_slice(&flags.to_ne_bytes());
        // CAST: A small uapi constant.
        caps.add(uapi::VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP as u16, 1, &body)
    }

    fn ioctl_get_irq_info(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = minsz!(uapi::vfio_irq_info, count);
        let mut info: uapi::vfio_irq_info = read_prefix(arg, minsz)?;
        if (info.argsz as usize) < minsz || info.index >= uapi::VFIO_PCI_NUM_IRQS {
            return Err(EINVAL);
        }
        info.flags = uapi::VFIO_IRQ_INFO_EVENTFD;
        info.count = Self::irq_count(dev, pdev, info.index)?;
        if info.index == uapi::VFIO_PCI_INTX_IRQ_INDEX {
            info.flags |= uapi::VFIO_IRQ_INFO_MASKABLE | uapi::VFIO_IRQ_INFO_AUTOMASKED;
        } else if info.index != uapi::VFIO_PCI_MSIX_IRQ_INDEX || !pdev.msix_can_alloc_dyn() {
            info.flags |= uapi::VFIO_IRQ_INFO_NORESIZE;
        }
        write_prefix(arg, &info, minsz)?;
        Ok(0)
    }

    /// How many interrupts of type `index` the device has: C's `vfio_pci_get_irq_count`.
    fn irq_count(dev: &Device, pdev: &pci::Device<Bound>, index: u32) -> Result<u32> {
        Ok(match index {
            // The virtual pin: zero when INTx is hidden from the user.
            uapi::VFIO_PCI_INTX_IRQ_INDEX => {
                let pin = Self::open_state(&mut dev.open.lock())?.config.intx_pin();
                u32::from(pin != 0)
            }
            uapi::VFIO_PCI_MSI_IRQ_INDEX => {
                let pos = u16::from(pdev.msi_cap());
                if pos == 0 {
                    return Ok(0);
                }
                let flags = pdev.user_read_config::<u16>(pos + PCI_MSI_FLAGS).unwrap_or(0);
                1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1)
            }
            uapi::VFIO_PCI_MSIX_IRQ_INDEX => {
                let pos = u16::from(pdev.msix_cap());
                if pos == 0 {
                    return Ok(0);
                }
                let flags = pdev.user_read_config::<u16>(pos + PCI_MSIX_FLAGS).unwrap_or(0);
                u32::from(flags & PCI_MSIX_FLAGS_QSIZE) + 1
            }
            uapi::VFIO_PCI_ERR_IRQ_INDEX | uapi::VFIO_PCI_REQ_IRQ_INDEX => 1,
            _ => 0,
        })
    }

    fn ioctl_set_irqs(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = minsz!(uapi::vfio_irq_set, count);
        let mut hdr: uapi::vfio_irq_set = read_prefix(arg, minsz)?;
        let max = Self::irq_count(dev, pdev, hdr.index)?;
        let size = vfio::uapi::irq_set_validate(&mut hdr, max, uapi::VFIO_PCI_NUM_IRQS)?;
        let mut data = KVec::new();
        if size > 0 {
            data.resize(size, 0u8, GFP_KERNEL)?;
            UserSlice::new(arg.wrapping_byte_add(minsz), size)
                .reader()
                .read_slice(&mut data)?;
        }
        // `igate` alone (then `memory_lock` inside, when vectors are set up): never `open`.
        let mut irqs = dev.igate.lock();
        intrs::set_irqs(
            dev, pdev, &mut irqs, hdr.flags, hdr.index, hdr.start, hdr.count, &data,
        )
    }

    /// `VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*`: C's `vfio_pci_runtime_pm_entry`, through the
    /// revoke path: the user's mappings stay revoked until low power is left. The device is
    /// runtime suspended (into D3hot) once the VFIO core gives back its reference of the ioctl.
    fn pm_entry(dev: &Device, wake: Option<EventFd>) -> Result {
        dev.memory_write_revoke().pm_entry(wake)
    }

    /// The PM core is about to suspend the device (C: `vfio_pci_core_runtime_suspend`): nobody
    /// holds a reference on its usage count, so it is closed, or open with the user in low
    /// power. Revokes the mappings, as every power transition does.
    ///
    /// Then masks INTx, if enabled and unmasked, until the device resumes: `igate` after the
    /// `memory_lock` is released, never inside it.
    pub(crate) fn runtime_suspend(dev: &Device, pdev: &pci::Device<Bound>) {
        dev.memory_write().runtime_suspend(pdev);
        dev.igate.lock().runtime_suspend();
    }

    /// The PCI core resumed the device (C: `vfio_pci_core_runtime_resume`): signals the wakeup
    /// eventfd of a user in low power, and gives the mappings back once they may be used.
    /// INTx masked at suspend is unmasked.
    pub(crate) fn runtime_resume(dev: &Device) {
        dev.memory_write().runtime_resumed();
        dev.igate.lock().runtime_resume();
    }

    fn feature(
        dev: &Device,
        pdev: &pci::Device<Bound>,
        flags: u32,
        arg: UserPtr,
        argsz: usize,
    ) -> Result<isize> {
        use vfio::uapi::{
            check_feature,
            FeatureCheck, //
        };
        const SET: u32 = uapi::VFIO_DEVICE_FEATURE_SET;
        match flags & uapi::VFIO_DEVICE_FEATURE_MASK {
            uapi::VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY => {
                if check_feature(flags, argsz, SET, 0)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                Self::pm_entry(dev, None)?;
            }
            uapi::VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP => {
                // The whole `struct vfio_device_low_power_entry_with_wakeup`, reserved field
                // included, as C asks.
                let size = core::mem::size_of::<uapi::vfio_device_low_power_entry_with_wakeup>();
                if check_feature(flags, argsz, SET, size)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                let entry: uapi::vfio_device_low_power_entry_with_wakeup = read_prefix(arg, size)?;
                if entry.wakeup_eventfd < 0 {
                    return Err(EINVAL);
                }
                Self::pm_entry(dev, Some(EventFd::from_fd(entry.wakeup_eventfd)?))?;
            }
            uapi::VFIO_DEVICE_FEATURE_LOW_POWER_EXIT => {
                if check_feature(flags, argsz, SET, 0)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                // The device is active (the VFIO core resumed it for the ioctl); if the user gave
                // a wakeup eventfd, the resume itself already left low power. The mappings come
                // back as the guard goes, if memory decode is on.
                dev.memory_write().pm_exit();
            }
            uapi::VFIO_DEVICE_FEATURE_PCI_VF_TOKEN => {
                // Only physical functions have a VF token.
                if !dev.sriov.is_pf() {
                    return Err(ENOTTY);
                }
                // No GET: it would hand out the token of the previous user.
                if check_feature(flags, argsz, SET, 16)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                let mut uuid = [0u8; 16];
                UserSlice::new(arg, 16).reader().read_slice(&mut uuid)?;
                dev.sriov.set_token(&uuid)?;
            }
            uapi::VFIO_DEVICE_FEATURE_DMA_BUF => {
                return crate::dmabuf::export(dev, pdev, flags, arg, argsz);
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn ioctl_ioeventfd(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = minsz!(uapi::vfio_device_ioeventfd, fd);
        let e: uapi::vfio_device_ioeventfd = read_prefix(arg, minsz)?;
        if (e.argsz as usize) < minsz {
            return Err(EINVAL);
        }
        if e.flags & !uapi::VFIO_DEVICE_IOEVENTFD_SIZE_MASK != 0 {
            return Err(EINVAL);
        }
        let count = e.flags & uapi::VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
        if count.count_ones() != 1 || e.fd < -1 {
            return Err(EINVAL);
        }
        // CAST: A single bit of the 4-bit size mask: 1, 2, 4 or 8.
        ioeventfd::set(dev, pdev, dev.msix, e.offset, e.data, count as u8, e.fd)?;
        Ok(0)
    }

    /// `VFIO_DEVICE_RESET`: a function reset, through the revoke path.
    fn ioctl_reset(dev: &Device, pdev: &pci::Device<Bound>) -> Result<isize> {
        let mut open = dev.open.lock();
        let state = Self::open_state(&mut open)?;
        if !state.reset_works {
            return Err(EINVAL);
        }
        // Order, and why:
        // 1. the write side of `memory_lock`: no BAR access from here on;
        // 2. D0, restoring what the device lost in D3hot: a reset from D3 would lose the config
        //    space of NoSoftRst- devices, and DMA must see the device as the user left it
        //    before the mappings go (D0 before revocation);
        // 3. revoke and zap the user's mappings;
        // 4. reset (which saves and restores the config space around it);
        // 5. unrevoke as the guard goes, if memory decode is on.
        let mut mem = dev.memory_write();
        state.config.set_power_state(pdev, &mut mem, PowerState::D0);
        mem.zap_revoke_bars();
        pdev.try_reset_function()?;
        Ok(0)
    }

    /// Parses what follows a device name in `VFIO_GROUP_GET_DEVICE_FD`: spaces, and at most
    /// one `vf_token=<uuid>`. `Ok(None)` if no token, `EINVAL` for anything else.
    fn parse_name_options(mut rest: &[u8]) -> Result<Option<[u8; 16]>> {
        const VF_TOKEN: &[u8] = b"vf_token=";
        const UUID_LEN: usize = 36;
        let mut token = None;
        while let Some((&c, tail)) = rest.split_first() {
            if c == b' ' {
                rest = tail;
                continue;
            }
            match rest.strip_prefix(VF_TOKEN) {
                Some(uuid) if token.is_none() => {
                    let text = uuid.get(..UUID_LEN).ok_or(EINVAL)?;
                    token = Some(parse_uuid(text)?);
                    rest = &uuid[UUID_LEN..];
                }
                // An unknown option, or a second token.
                _ => return Err(EINVAL),
            }
        }
        Ok(token)
    }

    /// Checks a VF token given (or not) when the device is opened: C's
    /// `vfio_pci_core_match_token_uuid` (see [`crate::sriov::Role::check_token`]).
    fn check_vf_token(dev: &Device, pdev: &pci::Device<Bound>, token: Option<&[u8; 16]>) -> Result {
        dev.sriov.check_token(pdev, token)
    }
}

/// Parses a UUID in its 36-character text form (`uuid_parse`): hex digits, with hyphens at 8,
/// 13, 18 and 23; the bytes in text order.
fn parse_uuid(text: &[u8]) -> Result<[u8; 16]> {
    fn hex(c: u8) -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(EINVAL),
        }
    }
    if text.len() != 36 {
        return Err(EINVAL);
    }
    let mut out = [0u8; 16];
    let mut digits = text
        .iter()
        .enumerate()
        .filter(|&(i, _)| !matches!(i, 8 | 13 | 18 | 23))
        .map(|(_, &c)| c);
    for &i in &[8usize, 13, 18, 23] {
        if text[i] != b'-' {
            return Err(EINVAL);
        }
    }
    for b in out.iter_mut() {
        let hi = hex(digits.next().ok_or(EINVAL)?)?;
        let lo = hex(digits.next().ok_or(EINVAL)?)?;
        *b = (hi << 4) | lo;
    }
    Ok(out)
}

#[vtable]
impl vfio::Driver for VfioPciCore {
    type Data = CoreDevice;
    const NAME: &'static CStr = c"vfio-pci";
    const OPS: &'static vfio::DeviceOps<Self> = &OPS;

    fn open_device(
        dev: &Device,
        parent: &device::Device<Bound>,
        set: &vfio::DeviceSet<'_>,
    ) -> Result {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        {
            let mut open = dev.open.lock();
            if open.is_some() {
                return Err(EBUSY);
            }
            *open = Some(Self::enable(dev, pdev)?);
        }
        // A VF of a PF bound to vfio-pci is a user of the PF's VF token from here on.
        dev.sriov.opened();
        // The variant's part comes once the core's is done, with no lock of the core held: it
        // may use the core as a user would.
        if let Some(open_device) = dev.variant.open_device {
            if let Err(e) = open_device(dev, pdev) {
                Self::close_core(dev, pdev, set);
                return Err(e);
            }
        }
        Ok(())
    }

    fn close_device(dev: &Device, parent: &device::Device<Bound>, set: &vfio::DeviceSet<'_>) {
        let Ok(pdev) = <&pci::Device<Bound>>::try_from(parent) else {
            return;
        };
        // The variant's part first, on a device still enabled.
        if let Some(close_device) = dev.variant.close_device {
            close_device(dev, pdev);
        }
        Self::close_core(dev, pdev, set);
    }

    fn read(
        dev: &Device,
        parent: &device::Device<Bound>,
        buf: UserSliceWriter,
        offset: &mut i64,
    ) -> Result<usize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match dev.variant.read {
            Some(read) => read(dev, pdev, buf, offset),
            None => Core::read(dev, pdev, buf, offset),
        }
    }

    fn write(
        dev: &Device,
        parent: &device::Device<Bound>,
        buf: UserSliceReader,
        offset: &mut i64,
    ) -> Result<usize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match dev.variant.write {
            Some(write) => write(dev, pdev, buf, offset),
            None => Core::write(dev, pdev, buf, offset),
        }
    }

    fn ioctl(
        dev: &Device,
        parent: &device::Device<Bound>,
        cmd: u32,
        arg: UserPtr,
    ) -> Result<isize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match dev.variant.ioctl {
            Some(ioctl) => ioctl(dev, pdev, cmd, arg),
            None => Core::ioctl(dev, pdev, cmd, arg),
        }
    }

    fn device_feature(
        dev: &Device,
        parent: &device::Device<Bound>,
        flags: u32,
        arg: UserPtr,
        argsz: usize,
    ) -> Result<isize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        Self::feature(dev, pdev, flags, arg, argsz)
    }

    fn mmap(dev: &Device, parent: &device::Device<Bound>, vma: &VmaNew) -> Result {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match dev.variant.mmap {
            Some(mmap) => mmap(dev, pdev, vma),
            None => Core::mmap(dev, pdev, vma),
        }
    }

    fn mmap_alignment(
        dev: &Device,
        parent: &device::Device<Bound>,
        pgoff: usize,
        len: usize,
    ) -> usize {
        let Ok(pdev) = <&pci::Device<Bound>>::try_from(parent) else {
            return 0;
        };
        crate::dmabuf::mmap_alignment(dev, pdev, pgoff, len)
    }

    fn request(dev: &Device, parent: &device::Device<Bound>, count: u32) {
        if let Ok(pdev) = <&pci::Device<Bound>>::try_from(parent) {
            intrs::request(dev, pdev, count);
        }
    }

    fn region_info(
        dev: &Device,
        parent: &device::Device<Bound>,
        info: &mut vfio::RegionInfo,
        caps: &mut vfio::InfoCaps<'_>,
    ) -> Result {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match dev.variant.region_info {
            Some(region_info) => region_info(dev, pdev, info, caps),
            None => Core::region_info(dev, pdev, info, caps),
        }
    }

    fn matches(dev: &Device, parent: &device::Device<Bound>, name: &CStr) -> Result<bool> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        let own = parent.name().to_bytes();
        let Some(rest) = name.to_bytes().strip_prefix(own) else {
            return Ok(false);
        };
        // Anything but a space right after the name is another device's name.
        if rest.first().is_some_and(|&c| c != b' ') {
            return Ok(false);
        }
        let token = Self::parse_name_options(rest)?;
        Self::check_vf_token(dev, pdev, token.as_ref())?;
        Ok(true)
    }

    fn match_token(
        dev: &Device,
        parent: &device::Device<Bound>,
        token: Option<&[u8; 16]>,
    ) -> Result {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        Self::check_vf_token(dev, pdev, token)
    }
}
