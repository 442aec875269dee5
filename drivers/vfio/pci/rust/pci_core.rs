// SPDX-License-Identifier: GPL-2.0

//! Device lifecycle and ioctls: what `vfio_pci_core.c` does in C.
//!
//! Locking, outermost first:
//!
//! 1. the VFIO core's device-set lock (held around `open_device` and `close_device`);
//! 2. [`CoreDevice::open`], the state of an open device (virtual config space, saved state);
//! 3. [`CoreDevice::memory`], the `memory_lock`: read side for BAR access, write side while
//!    memory decode is switched off or the device is reset, so that no access reaches a device
//!    that cannot answer it.

use crate::{
    config,
    intrs,
    ioeventfd,
    rdwr,
    reset, //
};
use kernel::{
    device::{
        self,
        Bound, //
    },
    devres::Devres,
    eventfd::EventFd,
    new_mutex,
    pci::{
        self,
        passthrough::{
            IoMapping,
            PowerState,
            SavedState,
            STD_NUM_BARS, //
        },
    },
    prelude::*,
    sync::{
        aref::ARef,
        new_rwsem,
        Mutex,
        RwSemaphore,
        WriteGuard, //
    },
    transmute::{
        AsBytes,
        FromBytes, //
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

const PCI_COMMAND: u16 = 0x04;
const PCI_COMMAND_INTX_DISABLE: u16 = 0x400;
const PCI_HEADER_TYPE_NORMAL: u8 = 0;
const PCI_MSIX_FLAGS: u16 = 2;
const PCI_MSIX_TABLE: u16 = 4;
const PCI_MSIX_FLAGS_QSIZE: u16 = 0x07ff;
const PCI_MSIX_TABLE_BIR: u32 = 0x7;
const PCI_MSIX_TABLE_OFFSET: u32 = 0xffff_fff8;

/// The size of the function's config space in bytes: 256 or 4096.
pub(crate) fn cfg_size(pdev: &pci::Device<Bound>) -> u16 {
    // CAST: The PCI core only reports 256 or 4096.
    pdev.cfg_size().into_raw() as u16
}

/// Options latched at probe time from the module parameters.
pub(crate) struct Options {
    /// Do not use PCI 2.3 INTx masking.
    pub(crate) nointxmask: bool,
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
    /// Whether INTx is masked through the command register (PCI 2.3).
    #[expect(
        dead_code,
        reason = "read by INTx masking, which comes with interrupts"
    )]
    pub(crate) pci_2_3: bool,
    /// The MSI-X table, if the device has MSI-X.
    pub(crate) msix: Option<MsixTable>,
}

/// What the `memory_lock` protects.
pub(crate) struct MemoryState {
    /// Each standard BAR's mapping, or why there is none: `ENODEV` (not a BAR, or the device is
    /// closed), `EBUSY` (the region is claimed by someone else), `ENOMEM` (iomap failed). The
    /// error is reported only when the BAR is used.
    pub(crate) bars: [Result<Devres<IoMapping>>; STD_NUM_BARS as usize],
    /// Whether memory decode is enabled in the virtual command register; BAR accesses fail
    /// with `EIO` while it is not.
    pub(crate) memory_enabled: bool,
    /// Whether the user asked for low power (`VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*`).
    ///
    /// The device stays in D0 (runtime power management is not implemented yet); the state is
    /// kept so that the uapi answers as the C driver's does.
    pub(crate) pm_runtime_engaged: bool,
    /// The eventfd to signal when the device leaves low power on its own.
    pub(crate) pm_wake: Option<EventFd>,
    /// Set when a user closed the device without it being reset (no function reset): the next
    /// time no member of the device set is open, the slot or bus is reset.
    pub(crate) needs_reset: bool,
}

/// The vfio-pci core's data of one device, embedded in its [`vfio::Device`].
#[pin_data]
pub(crate) struct CoreDevice {
    /// The PCI function.
    pub(crate) pdev: ARef<pci::Device>,
    /// Options latched at probe.
    options: Options,
    /// The state of an open device; `None` while closed.
    #[pin]
    pub(crate) open: Mutex<Option<OpenState>>,
    /// The `memory_lock`.
    #[pin]
    pub(crate) memory: RwSemaphore<MemoryState>,
    /// Interrupt state (C's `igate`); taken on its own, never with `open` or `memory`.
    #[pin]
    pub(crate) igate: Mutex<intrs::IrqState>,
    /// The VF token of an SR-IOV physical function (`VFIO_DEVICE_FEATURE_PCI_VF_TOKEN`), set by
    /// the PF's user; `None` until set. Taken on its own.
    #[pin]
    vf_token: Mutex<Option<[u8; 16]>>,
    /// The ioeventfds of the open device (C's `ioeventfds_lock` and list). Dropping one waits for
    /// its handlers, which take the read side of `memory`: never drop one with `memory` held.
    #[pin]
    pub(crate) ioeventfds: Mutex<KVec<ioeventfd::IoEventFd>>,
}

/// The vfio-pci core, as a VFIO device driver.
pub(crate) struct VfioPciCore;

/// A VFIO device of the vfio-pci core.
pub(crate) type Device = vfio::Device<VfioPciCore>;

impl VfioPciCore {
    /// Creates the VFIO device for `pdev`, ready to be registered: C's
    /// `vfio_pci_core_register_device` up to the registration itself.
    pub(crate) fn create(pdev: &pci::Device<Bound>, options: Options) -> Result<ARef<Device>> {
        if pdev.hdr_type() != PCI_HEADER_TYPE_NORMAL {
            return Err(EINVAL);
        }
        // VFs that already exist may be in use by the host or another user; the C driver asks
        // the user to sort that out rather than tearing them down under them.
        if pdev.num_vf() != 0 {
            dev_warn!(pdev.as_ref(), "Cannot bind to PF with SR-IOV enabled\n");
            return Err(EBUSY);
        }

        let data = try_pin_init!(CoreDevice {
            pdev: pdev.into(),
            options,
            open <- new_mutex!(None),
            memory <- new_rwsem!(MemoryState {
                bars: core::array::from_fn(|_| Err(ENODEV)),
                memory_enabled: false,
                pm_runtime_engaged: false,
                pm_wake: None,
                needs_reset: false,
            }),
            vf_token <- new_mutex!(None),
            ioeventfds <- new_mutex!(KVec::new()),
            igate <- new_mutex!(intrs::IrqState::default()),
        });
        let dev = vfio::Device::<Self>::new(pdev.as_ref(), data)?;

        // The devices that must be reset together: those of the slot, else those of the bus;
        // a function on a root bus or a VF is a set of its own.
        let set_id = if pdev.on_root_bus() || pdev.is_virtfn() {
            let this: *const Device = &*dev;
            this.cast()
        } else if let Some(slot) = pdev.slot_id().filter(|_| pdev.can_reset_slot()) {
            slot
        } else {
            pdev.bus_id()
        };
        dev.assign_device_set(set_id)?;

        // The PCI core leaves the power state unknown after boot or a previous driver; only D0
        // is reachable from there.
        if let Err(e) = pdev.set_power_state(PowerState::D0) {
            dev_dbg!(pdev.as_ref(), "cannot enter D0: {:?}\n", e);
        }
        Ok(dev)
    }

    /// Enables the device for a user: C's `vfio_pci_core_enable`.
    fn enable(dev: &Device, pdev: &pci::Device<Bound>) -> Result<OpenState> {
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
            if let Ok(cmd) = pdev.user_read_config_u16(PCI_COMMAND) {
                if cmd & PCI_COMMAND_INTX_DISABLE != 0 {
                    let _ =
                        pdev.user_write_config_u16(PCI_COMMAND, cmd & !PCI_COMMAND_INTX_DISABLE);
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

        let msix = Self::msix_table(pdev);
        Self::map_bars(dev, pdev);
        dev.memory.write().memory_enabled = config.memory_enabled(pdev);
        Ok(OpenState {
            config,
            saved_state,
            reset_works,
            pci_2_3,
            msix,
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
        let flags = pdev.user_read_config_u16(pos + PCI_MSIX_FLAGS).ok()?;
        let table = pdev.user_read_config_u32(pos + PCI_MSIX_TABLE).ok()?;
        Some(MsixTable {
            bar: table & PCI_MSIX_TABLE_BIR,
            offset: (table & PCI_MSIX_TABLE_OFFSET).into(),
            size: (u64::from(flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16,
        })
    }

    /// Requests and maps every BAR; a failure is kept per BAR and reported when it is used.
    fn map_bars(dev: &Device, pdev: &pci::Device<Bound>) {
        let mut mem = dev.memory.write();
        for (i, slot) in (0..STD_NUM_BARS).zip(mem.bars.iter_mut()) {
            *slot = if pdev.non_mappable_bars() {
                Err(ENODEV)
            } else {
                pdev.map_bar(i, c"vfio").inspect_err(|e| {
                    if *e != ENODEV {
                        dev_dbg!(pdev.as_ref(), "BAR {}: cannot map: {:?}\n", i, e);
                    }
                })
            };
        }
    }

    /// Disables the device after its last user: C's `vfio_pci_core_disable`.
    fn disable(dev: &Device, pdev: &pci::Device<Bound>, state: OpenState) {
        let _ = pdev.set_power_state(PowerState::D0);
        // Stop the device from further DMA.
        pdev.clear_master();

        let OpenState {
            config,
            saved_state,
            reset_works,
            ..
        } = state;
        drop(config);
        // The ioeventfds write to the BARs: detach them before the BARs go.
        dev.ioeventfds.lock().clear();
        {
            let mut mem = dev.memory.write();
            for bar in mem.bars.iter_mut() {
                *bar = Err(ENODEV);
            }
            mem.memory_enabled = false;
            mem.pm_runtime_engaged = false;
            mem.pm_wake = None;
            mem.needs_reset = true;
        }

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
        let _ = pdev.user_write_config_u16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
        if reset_works {
            // Not the "try" reset: it would save and restore around the reset, overwriting the
            // state just loaded.
            if pdev.reset_function_trylock().is_ok() {
                dev.memory.write().needs_reset = false;
            }
        }
        pdev.restore_state();
        pdev.disable_device();
    }

    /// Takes the write side of `memory_lock`: no BAR access can happen until it is dropped.
    pub(crate) fn memory_write(dev: &Device) -> WriteGuard<'_, MemoryState> {
        dev.memory.write()
    }

    fn open_state<'a>(open: &'a mut Option<OpenState>) -> Result<&'a mut OpenState> {
        open.as_mut().ok_or(EINVAL)
    }
}

/// Returns an all-zero uapi struct.
///
/// (The uapi crate's `Default` implementations are not exported to modules.)
pub(crate) fn zeroed<T: FromBytes>() -> T {
    const ZEROS: [u8; 64] = [0; 64];
    build_assert!(core::mem::size_of::<T>() <= 64);
    // PANIC: The size is at most 64 (checked at build time), so the copy cannot fail.
    T::from_bytes_copy(&ZEROS[..core::mem::size_of::<T>()]).unwrap_or_else(|| unreachable!())
}

/// Reads the first `minsz` bytes of a uapi struct from userspace; the rest stays zero.
pub(crate) fn read_prefix<T: FromBytes + AsBytes>(arg: UserPtr, minsz: usize) -> Result<T> {
    let mut v: T = zeroed();
    let bytes = v.as_bytes_mut();
    let n = minsz.min(bytes.len());
    UserSlice::new(arg, n)
        .reader()
        .read_slice(&mut bytes[..n])?;
    Ok(v)
}

/// Writes the first `minsz` bytes of a uapi struct back to userspace.
pub(crate) fn write_prefix<T: AsBytes>(arg: UserPtr, v: &T, minsz: usize) -> Result {
    let bytes = v.as_bytes();
    let n = minsz.min(bytes.len());
    UserSlice::new(arg, n).writer().write_slice(&bytes[..n])
}

/// `offsetofend(T, field)` for the uapi structs, by the field's name.
macro_rules! offset_end {
    ($t:ty, $f:ident) => {{
        let base = ::core::mem::offset_of!($t, $f);
        let v: $t = $crate::core::zeroed();
        base + ::core::mem::size_of_val(&v.$f)
    }};
}
pub(crate) use offset_end;

impl VfioPciCore {
    fn ioctl_get_info(dev: &Device, arg: UserPtr) -> Result<isize> {
        let minsz = offset_end!(uapi::vfio_device_info, num_irqs);
        let mut info: uapi::vfio_device_info = read_prefix(arg, minsz)?;
        if (info.argsz as usize) < minsz {
            return Err(EINVAL);
        }
        let reset_works = Self::open_state(&mut dev.open.lock())?.reset_works;
        info.flags = uapi::VFIO_DEVICE_FLAGS_PCI;
        if reset_works {
            info.flags |= uapi::VFIO_DEVICE_FLAGS_RESET;
        }
        info.num_regions = uapi::VFIO_PCI_NUM_REGIONS;
        info.num_irqs = uapi::VFIO_PCI_NUM_IRQS;
        write_prefix(arg, &info, minsz)?;
        Ok(0)
    }

    fn ioctl_get_irq_info(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = offset_end!(uapi::vfio_irq_info, count);
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
        const PCI_MSI_FLAGS: u16 = 2;
        const PCI_MSI_FLAGS_QMASK: u16 = 0x000e;
        const PCI_MSIX_FLAGS_QSIZE: u16 = 0x07ff;
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
                let flags = pdev.user_read_config_u16(pos + PCI_MSI_FLAGS).unwrap_or(0);
                1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1)
            }
            uapi::VFIO_PCI_MSIX_IRQ_INDEX => {
                let pos = u16::from(pdev.msix_cap());
                if pos == 0 {
                    return Ok(0);
                }
                let flags = pdev.user_read_config_u16(pos + PCI_MSIX_FLAGS).unwrap_or(0);
                u32::from(flags & PCI_MSIX_FLAGS_QSIZE) + 1
            }
            uapi::VFIO_PCI_ERR_IRQ_INDEX | uapi::VFIO_PCI_REQ_IRQ_INDEX => 1,
            _ => 0,
        })
    }

    fn ioctl_set_irqs(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = offset_end!(uapi::vfio_irq_set, count);
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
        let mut irqs = dev.igate.lock();
        intrs::set_irqs(
            pdev, &mut irqs, hdr.flags, hdr.index, hdr.start, hdr.count, &data,
        )?;
        Ok(0)
    }

    /// `VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*`: C's `vfio_pci_runtime_pm_entry`.
    fn pm_entry(dev: &Device, wake: Option<EventFd>) -> Result {
        let mut mem = dev.memory.write();
        if mem.pm_runtime_engaged {
            return Err(EINVAL);
        }
        mem.pm_runtime_engaged = true;
        mem.pm_wake = wake;
        Ok(())
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
                if check_feature(flags, argsz, SET, 4)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                let mut fd = [0u8; 4];
                UserSlice::new(arg, 4).reader().read_slice(&mut fd)?;
                let fd = i32::from_ne_bytes(fd);
                if fd < 0 {
                    return Err(EINVAL);
                }
                Self::pm_entry(dev, Some(EventFd::from_fd(fd)?))?;
            }
            uapi::VFIO_DEVICE_FEATURE_LOW_POWER_EXIT => {
                if check_feature(flags, argsz, SET, 0)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                let mut mem = dev.memory.write();
                mem.pm_runtime_engaged = false;
                mem.pm_wake = None;
            }
            uapi::VFIO_DEVICE_FEATURE_PCI_VF_TOKEN => {
                // Only physical functions have a VF token.
                if !pdev.is_physfn() {
                    return Err(ENOTTY);
                }
                // No GET: it would hand out the token of the previous user.
                if check_feature(flags, argsz, SET, 16)? == FeatureCheck::Probed {
                    return Ok(0);
                }
                let mut uuid = [0u8; 16];
                UserSlice::new(arg, 16).reader().read_slice(&mut uuid)?;
                *dev.vf_token.lock() = Some(uuid);
            }
            // DMA_BUF export comes with the DMABUF-backed BAR mapping.
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn ioctl_ioeventfd(dev: &Device, pdev: &pci::Device<Bound>, arg: UserPtr) -> Result<isize> {
        let minsz = offset_end!(uapi::vfio_device_ioeventfd, fd);
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
        let msix = Self::open_state(&mut dev.open.lock())?.msix;
        // CAST: A single bit of the 4-bit size mask: 1, 2, 4 or 8.
        ioeventfd::set(dev, pdev, msix, e.offset, e.data, count as u8, e.fd)?;
        Ok(0)
    }

    fn ioctl_reset(dev: &Device, pdev: &pci::Device<Bound>) -> Result<isize> {
        let reset_works = Self::open_state(&mut dev.open.lock())?.reset_works;
        if !reset_works {
            return Err(EINVAL);
        }
        // Order: take the lock (no BAR access from now on), enter D0 (a reset from D3 would lose
        // the config space of NoSoftRst- devices), reset, let accesses in again.
        let _mem = Self::memory_write(dev);
        let _ = pdev.set_power_state(PowerState::D0);
        pdev.try_reset_function()?;
        Ok(0)
    }
}

#[vtable]
impl vfio::Driver for VfioPciCore {
    type Data = CoreDevice;
    const NAME: &'static CStr = c"vfio-pci";

    fn open_device(
        dev: &Device,
        parent: &device::Device<Bound>,
        _set: &vfio::DeviceSet<'_>,
    ) -> Result {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        let mut open = dev.open.lock();
        if open.is_some() {
            return Err(EBUSY);
        }
        *open = Some(Self::enable(dev, pdev)?);
        Ok(())
    }

    fn close_device(dev: &Device, parent: &device::Device<Bound>, set: &vfio::DeviceSet<'_>) {
        let Ok(pdev) = <&pci::Device<Bound>>::try_from(parent) else {
            return;
        };
        let state = dev.open.lock().take();
        if let Some(state) = state {
            Self::disable(dev, pdev, state);
        }
        reset::try_reset_closed_set(pdev, set);
        dev.igate.lock().release();
    }

    fn read(
        dev: &Device,
        parent: &device::Device<Bound>,
        buf: UserSliceWriter,
        offset: &mut i64,
    ) -> Result<usize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        rdwr::read(dev, pdev, buf, offset)
    }

    fn write(
        dev: &Device,
        parent: &device::Device<Bound>,
        buf: UserSliceReader,
        offset: &mut i64,
    ) -> Result<usize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        rdwr::write(dev, pdev, buf, offset)
    }

    fn ioctl(
        dev: &Device,
        parent: &device::Device<Bound>,
        cmd: u32,
        arg: UserPtr,
    ) -> Result<isize> {
        let pdev: &pci::Device<Bound> = parent.try_into()?;
        match cmd {
            ioctl::DEVICE_GET_INFO => Self::ioctl_get_info(dev, arg),
            ioctl::DEVICE_GET_IRQ_INFO => Self::ioctl_get_irq_info(dev, pdev, arg),
            ioctl::DEVICE_SET_IRQS => Self::ioctl_set_irqs(dev, pdev, arg),
            ioctl::DEVICE_RESET => Self::ioctl_reset(dev, pdev),
            ioctl::DEVICE_IOEVENTFD => Self::ioctl_ioeventfd(dev, pdev, arg),
            ioctl::DEVICE_GET_PCI_HOT_RESET_INFO => reset::ioctl_get_info(dev, pdev, arg),
            ioctl::DEVICE_PCI_HOT_RESET => reset::ioctl_hot_reset(dev, pdev, arg),
            _ => Err(ENOTTY),
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
        rdwr::region_info(dev, pdev, info, caps)
    }
}
