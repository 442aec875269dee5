// SPDX-License-Identifier: GPL-2.0

//! Power state changes on the user's behalf (C: `vfio_pci_set_power_state`).
//!
//! A function that does not advertise `NoSoftRst` in its power management
//! control register goes through an internal reset on its way from D3hot
//! back to D0, and loses its config space. Its state is therefore saved when
//! it enters D3hot and restored when it comes back to D0, whether the user
//! asked for D0 through the PM capability or the driver brings it there
//! before a reset or at close.

use super::regs::{
    CAP_ID_PM,
    PM_CTRL,
    PM_CTRL_NO_SOFT_RESET, //
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::{
            PowerState,
            SavedState, //
        },
    },
    prelude::*,
};

/// The power management state of a function: what it needs to get its state back after D3hot
/// (C: the `needs_pm_restore` and `pm_save` fields of `struct vfio_pci_core_device`).
///
/// Lives in [`crate::memory::MemoryState`], under the write side of `memory_lock`: every power
/// state change holds it, as BAR accesses must not reach a function in D3hot.
pub(crate) struct PmRestore {
    /// The function loses its state on D3hot to D0 (`NoSoftRst` clear), read at probe.
    needs_restore: bool,
    /// The state saved when the function last entered D3hot, until it is back in D0.
    saved: Option<SavedState>,
    /// The function is a PF with VFs enabled (C: `sriov_active`): it stays in D0, as a VF must
    /// not be in a higher power state than its PF.
    sriov_active: bool,
}

impl PmRestore {
    /// Reads whether `pdev` keeps its state across D3hot (C: `vfio_pci_probe_power_state`). A
    /// function without the power management capability never changes power state.
    pub(crate) fn new(pdev: &pci::Device<Bound>) -> Self {
        let needs_restore = pdev.find_capability(CAP_ID_PM).is_some_and(|pm| {
            pdev.user_read_config::<u16>(u16::from(pm) + PM_CTRL)
                .is_ok_and(|ctrl| u32::from(ctrl) & PM_CTRL_NO_SOFT_RESET == 0)
        });
        Self {
            needs_restore,
            saved: None,
            sriov_active: false,
        }
    }

    /// Says whether the function has VFs enabled; while it has, it stays in D0.
    pub(crate) fn set_sriov_active(&mut self, on: bool) {
        self.sriov_active = on;
    }

    /// Moves `pdev` to `state`, saving its state on the way into D3hot and restoring it on the
    /// way back to D0 if it needs that (C: `vfio_pci_set_power_state`).
    ///
    /// Called with the write side of `memory_lock` held, after revoking the user's BAR
    /// mappings, by the PM capability write handler and, with [`PowerState::D0`], before any
    /// reset (`VFIO_DEVICE_RESET`, hot reset) and at close: a reset from D3hot would lose the
    /// saved state, and `pci_pm_reset` needs D0.
    pub(crate) fn set_power_state(
        &mut self,
        pdev: &pci::Device<Bound>,
        state: PowerState,
    ) -> Result {
        if self.sriov_active && state != PowerState::D0 {
            return Err(EBUSY);
        }
        let d3hot = PowerState::D3Hot as i32;
        let current = pdev.current_power_state();
        let save = self.needs_restore && current < d3hot && state == PowerState::D3Hot;
        let restore = self.needs_restore && current >= d3hot && state == PowerState::D0;
        if save {
            pdev.save_state();
        }
        pdev.set_power_state(state)?;
        // A quirk may keep the function out of D3hot: then there is nothing to keep.
        if save && pdev.current_power_state() >= d3hot {
            // The function may have come back to D0 without us since the last save: that
            // state is stale, and replaced.
            self.saved = pdev.store_saved_state();
        } else if restore {
            // With nothing saved (the allocation failed), what the PCI core last saved.
            if let Some(saved) = self.saved.take() {
                let _ = pdev.load_saved_state(saved);
            }
            pdev.restore_state();
        }
        Ok(())
    }
}
