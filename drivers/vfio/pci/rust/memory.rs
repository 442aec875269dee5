// SPDX-License-Identifier: GPL-2.0

//! The `memory_lock`: who may touch the device's memory space, and when.
//!
//! BAR accesses on the user's behalf (read/write, ioeventfds and, with the
//! DMABUF-backed mmap, faults) take the read side and check that memory
//! decode is on. Everything that may make BAR accesses fail or reach a device
//! that cannot answer them — memory decode off, a power state change, a
//! reset — takes the write side, and from there the one revoke path:
//! [`MemoryWriteGuard::zap_revoke_bars`] takes the user's BAR mappings away
//! (revoking the DMABUFs that back them, once they exist), and
//! [`MemoryWriteGuard::unrevoke_bars`] gives them back, which dropping a
//! revoking guard does by itself when memory decode is on again.
//!
//! The state is private to this module: the rest of the driver reaches it
//! only through the guards, so the lock cannot be taken in a way this module
//! does not know of. The write side is taken through the VFIO device
//! ([`MemoryWrite`]), which hands the guard the device, so that a revoking
//! guard can also zap the mappings a variant driver made of the device file
//! itself ([`crate::variant::Variant::ZAP_BARS_ON_REVOKE`]).
//!
//! Lock order (see [`crate::pci_core`]): the device's `open` mutex, then
//! `igate`, then this lock. Never copy to or from userspace with it held: a
//! fault on a BAR mapping takes the read side.

#![forbid(unsafe_code)]

use crate::{
    config::PmRestore,
    dmabuf::{
        BarBuf,
        Registry, //
    },
    pci_core::{
        index_to_offset,
        Device, //
    },
};
use kernel::{
    device::Bound,
    devres::Devres,
    eventfd::EventFd,
    mm::pfnmap::IoPfns,
    pci::{
        self,
        passthrough::{
            IoMapping,
            PowerState,
            STD_NUM_BARS, //
        },
    },
    pm_runtime,
    prelude::*,
    sync::{
        new_rwsem,
        ReadGuard,
        RwSemaphore,
        atomic::Atomic,
        Arc,
        WriteGuard, //
    },
    uapi,
};

/// What the `memory_lock` protects.
pub(crate) struct MemoryState {
    /// Each standard BAR's mapping, or why there is none: `ENODEV` (not a BAR, or the device is
    /// closed), `EBUSY` (the region is claimed by someone else), `ENOMEM` (iomap failed). The
    /// error is reported only when the BAR is used.
    bars: [Result<Devres<IoMapping>>; STD_NUM_BARS as usize],
    /// The memory enable bit of the user's (virtual) command register, or `true` for functions
    /// without one; with the power state, it decides whether memory decode is on.
    cmd_memory: bool,
    /// Whether the user's BAR mappings are revoked (between `zap_revoke_bars` and
    /// `unrevoke_bars`).
    revoked: bool,
    /// Whether the user asked for low power (`VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY*`); the
    /// mappings stay revoked until the user leaves it. While set, the user's reference on the
    /// device's runtime PM usage count is given back, so that the device suspends.
    pm_runtime_engaged: bool,
    /// Whether the device is runtime suspended (between the driver's runtime suspend and resume
    /// callbacks): the mappings stay revoked until it resumes.
    pm_suspended: bool,
    /// The eventfd to signal when the device leaves low power on its own.
    pm_wake: Option<EventFd>,
    /// The function's state kept across D3hot; every power state change goes through it.
    pm: PmRestore,
    /// The device's DMA buffers: those made by `mmap()` and those exported. Their `revoked`
    /// state follows `revoked`, under this lock.
    bufs: Arc<Registry>,
}

impl MemoryState {
    /// Returns whether memory decode is on as the user sees it (C: `__vfio_pci_memory_enabled`):
    /// the device is not in D3 and its virtual command register enables memory.
    ///
    /// Computed from the live power state each time, so that a reset or a power transition that
    /// brings the device back to D0 is seen without anyone having to say so.
    pub(crate) fn memory_enabled(&self, pdev: &pci::Device) -> bool {
        pdev.current_power_state() < PowerState::D3Hot as i32 && self.cmd_memory
    }

    /// Returns whether the user may reach the device's memory (C: the checks of
    /// `vfio_pci_vmf_insert_pfn`): memory decode is on and the user did not put the device in
    /// low power.
    pub(crate) fn user_access(&self, pdev: &pci::Device) -> bool {
        !self.pm_runtime_engaged && self.memory_enabled(pdev)
    }

    /// Returns whether a fault in a user mapping of the BARs that no DMA buffer backs (a
    /// variant driver's mapping of the device file) may be served now: the mappings are not
    /// revoked and the user may reach the device's memory. The DMA buffers' faults check the
    /// same through their own revoked mark.
    pub(crate) fn may_fault(&self, pdev: &pci::Device) -> bool {
        !self.revoked && self.user_access(pdev)
    }

    /// Returns whether a buffer made now starts revoked (the device's mappings are).
    pub(crate) fn revoked_for_new(&self) -> bool {
        self.revoked
    }

    /// Returns the registry of the device's buffers, for a new one.
    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.bufs
    }

    /// Returns the page frames of `bar` that userspace may map, if the BAR is claimed and
    /// mappable.
    pub(crate) fn bar_pfns(&self, bar: u32) -> Option<IoPfns> {
        self.try_bar(bar)?.pfns()
    }

    /// Returns the mapping of `bar`, or why there is none (reported only now that the BAR is
    /// used).
    pub(crate) fn bar<'a>(&'a self, pdev: &'a pci::Device<Bound>, bar: u32) -> Result<&'a IoMapping> {
        match usize::try_from(bar).ok().and_then(|i| self.bars.get(i)) {
            Some(Ok(m)) => m.access(pdev.as_ref()),
            Some(Err(e)) => Err(*e),
            None => Err(EINVAL),
        }
    }

    /// Returns the mapping of `bar` if it exists and the device is still bound, for callers
    /// that have no bound device at hand (an ioeventfd's handler).
    pub(crate) fn try_bar(&self, bar: u32) -> Option<impl core::ops::Deref<Target = IoMapping> + '_> {
        match usize::try_from(bar).ok().and_then(|i| self.bars.get(i)) {
            Some(Ok(m)) => m.try_access(),
            _ => None,
        }
    }

    /// Returns why `bar` has no mapping, if it has none.
    pub(crate) fn bar_error(&self, bar: u32) -> Option<Error> {
        match usize::try_from(bar).ok().and_then(|i| self.bars.get(i)) {
            Some(Err(e)) => Some(*e),
            Some(Ok(_)) => None,
            None => Some(EINVAL),
        }
    }
}

/// The `memory_lock` of a device, around the [`MemoryState`] it protects.
#[pin_data]
pub(crate) struct MemoryLock {
    #[pin]
    sem: RwSemaphore<MemoryState>,
    /// Faults served, by entry size: 4 KiB, 2 MiB, 1 GiB; then faults refused (`SIGBUS`).
    /// Counted without the lock, for debugfs.
    pub(crate) faults: [Atomic<u64>; 4],
}

impl MemoryLock {
    /// A lock for a closed device: no BAR mapped, memory decode off; `pm` as probed.
    pub(crate) fn new(pm: PmRestore, bufs: Arc<Registry>) -> impl PinInit<Self> {
        pin_init!(Self {
            sem <- new_rwsem!(MemoryState {
                bars: core::array::from_fn(|_| Err(ENODEV)),
                cmd_memory: false,
                revoked: false,
                pm_runtime_engaged: false,
                pm_suspended: false,
                pm_wake: None,
                pm,
                bufs,
            }),
            faults: core::array::from_fn(|_| Atomic::new(0)),
        })
    }

    /// Takes the read side: BAR accesses may go on until the guard is dropped.
    pub(crate) fn read(&self) -> ReadGuard<'_, MemoryState> {
        self.sem.read()
    }

    /// Takes the read side if that needs no waiting.
    pub(crate) fn try_read(&self) -> Option<ReadGuard<'_, MemoryState>> {
        self.sem.try_read()
    }

    /// Takes the write side, keeping the user's mappings: for changes that leave memory decode
    /// on or turn it on. `files`, if given, is the device whose own file mappings revoking zaps.
    ///
    /// Private: the rest of the driver takes the write side through [`MemoryWrite`], which
    /// passes the right `files` for the device's variant.
    fn write<'a>(
        &'a self,
        pdev: &'a pci::Device,
        files: Option<&'a Device>,
    ) -> MemoryWriteGuard<'a> {
        MemoryWriteGuard {
            guard: self.sem.write(),
            pdev,
            files,
        }
    }

    /// Takes the write side without waiting (a hot reset locks several devices: waiting for one
    /// while holding another could deadlock). Private, as [`Self::write`].
    fn try_write<'a>(
        &'a self,
        pdev: &'a pci::Device,
        files: Option<&'a Device>,
    ) -> Option<MemoryWriteGuard<'a>> {
        Some(MemoryWriteGuard {
            guard: self.sem.try_write()?,
            pdev,
            files,
        })
    }
}

/// The write side of `memory_lock`, taken through the VFIO device whose lock it is, so that the
/// guard knows the device's file mappings (see the [module documentation](self)).
pub(crate) trait MemoryWrite {
    /// Takes the write side, keeping the user's mappings: for changes that leave memory decode
    /// on or turn it on.
    fn memory_write(&self) -> MemoryWriteGuard<'_>;

    /// Takes the write side without waiting (a hot reset locks several devices: waiting for one
    /// while holding another could deadlock).
    fn memory_try_write(&self) -> Option<MemoryWriteGuard<'_>>;

    /// Takes the write side and revokes the user's BAR mappings (C:
    /// `vfio_pci_zap_and_down_write_memory_lock`): for anything that may turn memory decode off,
    /// change the power state or reset the device. The mappings come back when the guard is
    /// dropped, if memory decode is on by then.
    fn memory_write_revoke(&self) -> MemoryWriteGuard<'_> {
        let mut guard = self.memory_write();
        guard.zap_revoke_bars();
        guard
    }
}

impl MemoryWrite for Device {
    fn memory_write(&self) -> MemoryWriteGuard<'_> {
        self.memory().write(&self.pdev, file_zap(self))
    }

    fn memory_try_write(&self) -> Option<MemoryWriteGuard<'_>> {
        self.memory().try_write(&self.pdev, file_zap(self))
    }
}

/// Returns the device whose own file mappings revoking zaps besides its DMA buffers: `dev` if
/// its variant asks for it (the flag is a constant of the variant's type), else `None`.
fn file_zap(dev: &Device) -> Option<&Device> {
    dev.variant.zap_bars_on_revoke.then_some(dev)
}

/// The write side of a device's `memory_lock`: proof that no BAR access is in flight.
///
/// Tied to its device (`pdev`), so it can only act on the state it locks. When dropped, mappings
/// revoked under it are given back if memory decode is on, the user is not in low power and the
/// device is not runtime suspended.
pub(crate) struct MemoryWriteGuard<'a> {
    guard: WriteGuard<'a, MemoryState>,
    pdev: &'a pci::Device,
    /// The VFIO device whose own file mappings (made by a variant driver's `mmap`) are zapped
    /// with the BARs' DMA buffers, if its variant asks for it; `None` otherwise.
    files: Option<&'a Device>,
}

impl MemoryWriteGuard<'_> {
    /// Returns whether memory decode is on, as [`MemoryState::memory_enabled`].
    pub(crate) fn memory_enabled(&self) -> bool {
        self.guard.memory_enabled(self.pdev)
    }

    /// Sets the mirror of the virtual command register's memory enable bit.
    pub(crate) fn set_cmd_memory(&mut self, on: bool) {
        self.guard.cmd_memory = on || self.pdev.no_command_memory();
    }

    /// Moves the function to `state`, saving its state on the way into D3hot and restoring it
    /// on the way back to D0 if it loses it (C: `vfio_pci_set_power_state`, see [`PmRestore`]).
    ///
    /// `pdev` is the function this guard locks. Every power state change of an opened or
    /// probed function goes through here: the PM control register's write handler
    /// ([`crate::config::Config::set_power_state`]), and D0 before a function or hot reset and
    /// at close.
    pub(crate) fn set_power_state(
        &mut self,
        pdev: &pci::Device<Bound>,
        state: PowerState,
    ) -> Result {
        self.guard.pm.set_power_state(pdev, state)
    }

    /// Says whether the function is a PF with VFs enabled, which keeps it in D0 (see
    /// [`PmRestore::set_sriov_active`]).
    pub(crate) fn set_sriov_active(&mut self, on: bool) {
        self.guard.pm.set_sriov_active(on);
    }

    /// Takes every user mapping of the device's BARs away: revokes the DMABUFs behind them
    /// (mmap-made and exported) and zaps their page table entries, so that the next access
    /// faults and waits for, or is refused by, the state this guard leaves behind. For a variant
    /// with [`crate::variant::Variant::ZAP_BARS_ON_REVOKE`], the mappings of the device file
    /// itself over the BAR regions (BAR0 up to the ROM, as C zaps them) go too.
    ///
    /// Needs the write side: a fault in progress holds the read side, so none can install a
    /// mapping of the old state after this returns.
    pub(crate) fn zap_revoke_bars(&mut self) {
        self.guard.revoked = true;
        self.set_bufs_revoked(true);
        if let Some(dev) = self.files {
            let start = index_to_offset(uapi::VFIO_PCI_BAR0_REGION_INDEX);
            let end = index_to_offset(uapi::VFIO_PCI_ROM_REGION_INDEX);
            dev.zap_file_mappings(start, end - start);
        }
    }

    /// Gives the user's mappings back (the DMABUFs fault in again). Only with memory decode on.
    pub(crate) fn unrevoke_bars(&mut self) {
        if self.memory_enabled() {
            self.guard.revoked = false;
            self.set_bufs_revoked(false);
        }
    }

    /// Revokes every buffer of the device, or gives them back.
    fn set_bufs_revoked(&self, revoke: bool) {
        let bufs = self.guard.bufs.clone();
        bufs.for_each(|buf| BarBuf::set_revoked(buf, revoke, self));
    }

    /// Maps every BAR for an opened device; a failure is kept per BAR and reported when that
    /// BAR is used.
    pub(crate) fn map_bars(&mut self, pdev: &pci::Device<Bound>) {
        for (i, slot) in (0..STD_NUM_BARS).zip(self.guard.bars.iter_mut()) {
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

    /// Forgets everything of the open device: unmaps the BARs, turns memory decode off for the
    /// user, leaves low power.
    pub(crate) fn close(&mut self) {
        self.zap_revoke_bars();
        // Exported buffers outlive the open device: they stay revoked for good.
        let bufs = self.guard.bufs.clone();
        bufs.for_each(|buf| BarBuf::detach(buf, self));
        for bar in self.guard.bars.iter_mut() {
            *bar = Err(ENODEV);
        }
        self.guard.cmd_memory = false;
        self.pm_exit();
    }

    /// Enters low power on the user's request (C: `vfio_pci_runtime_pm_entry`): the mappings
    /// stay revoked until [`Self::pm_exit`]. `EINVAL` if already there.
    ///
    /// Gives back the user's reference on the runtime PM usage count without an idle check: the
    /// VFIO core holds one more around the ioctl that asks for this, and the device suspends
    /// when that one goes.
    pub(crate) fn pm_entry(&mut self, wake: Option<EventFd>) -> Result {
        if self.guard.pm_runtime_engaged {
            return Err(EINVAL);
        }
        self.zap_revoke_bars();
        self.guard.pm_runtime_engaged = true;
        self.guard.pm_wake = wake;
        pm_runtime::put_noidle(self.pdev.as_ref());
        Ok(())
    }

    /// Leaves low power if the user is there, taking the user's reference on the usage count
    /// back; the mappings come back when the guard is dropped. The device is active, or about
    /// to be resumed by the caller: this does not resume it.
    pub(crate) fn pm_exit(&mut self) {
        if self.guard.pm_runtime_engaged {
            self.guard.pm_runtime_engaged = false;
            pm_runtime::get_noresume(self.pdev.as_ref());
            self.guard.pm_wake = None;
        }
    }

    /// The device is about to be runtime suspended (the driver's callback, with the write side
    /// held): takes the mappings away until [`Self::runtime_resumed`].
    ///
    /// Order: the device is brought to D0 first, so that the PCI core saves the state the user
    /// left it in (and a function without soft reset keeps it), then the mappings are revoked;
    /// the PCI core moves the device to D3hot after the callback.
    pub(crate) fn runtime_suspend(&mut self, pdev: &pci::Device<Bound>) {
        if let Err(e) = self.set_power_state(pdev, PowerState::D0) {
            dev_dbg!(pdev.as_ref(), "runtime suspend: cannot enter D0: {:?}\n", e);
        }
        self.zap_revoke_bars();
        self.guard.pm_suspended = true;
    }

    /// The device was runtime resumed (the PCI core brought it back to D0 and restored its
    /// state). A user in low power with a wakeup eventfd is told, and leaves low power (C:
    /// `vfio_pci_core_runtime_resume`); the mappings come back when the guard is dropped, if
    /// the user is not in low power any more.
    pub(crate) fn runtime_resumed(&mut self) {
        self.guard.pm_suspended = false;
        if let Some(wake) = self.guard.pm_wake.take() {
            wake.signal();
            self.pm_exit();
        }
    }
}

impl core::ops::Deref for MemoryWriteGuard<'_> {
    type Target = MemoryState;

    fn deref(&self) -> &MemoryState {
        &self.guard
    }
}

impl Drop for MemoryWriteGuard<'_> {
    fn drop(&mut self) {
        if self.guard.revoked && !self.guard.pm_runtime_engaged && !self.guard.pm_suspended {
            self.unrevoke_bars();
        }
    }
}
