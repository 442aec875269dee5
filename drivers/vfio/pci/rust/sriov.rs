// SPDX-License-Identifier: GPL-2.0

//! SR-IOV: enabling the VFs of a PF bound to the driver, and the VF token that a PF's user and
//! its VFs' users share (the SR-IOV parts of `vfio_pci_core.c`).
//!
//! A device's role is fixed when it is bound ([`Role`]): a PF has a token (random until its user
//! sets one, [`kernel::vfio::sriov::VfToken`]); a VF whose PF had its VFs enabled by a VFIO PCI
//! driver shares that PF's token; anything else has none. Opening a VF of a PF bound to
//! `vfio-pci` takes the token; opening the PF while one of those VFs is open takes it too, and
//! sets it when none is ([`Role::check_token`]).
//!
//! A bound PF also captures the VFs it creates, so that they bind only to `vfio-pci`
//! ([`PfSriov`]), and its VFs are enabled and disabled through `sriov_numvfs`
//! ([`PfSriov::configure`], with the module's `enable_sriov`), and disabled at unbind.
//!
//! Locks: a token's own lock is taken alone. [`PfSriov::enabled`] is taken with the PF's device
//! lock held, and is held across enabling and disabling the VFs, which probe and remove the
//! VFs' drivers; those take the registry of PFs, never this lock (a VF's own is never taken).

#![forbid(unsafe_code)]

use crate::{
    memory::MemoryWrite,
    pci_core::Device, //
};
use kernel::{
    device::{
        Bound,
        Core, //
    },
    new_mutex,
    pci::{
        self,
        passthrough::PowerState,
        sriov::VfDriverOverride, //
    },
    pm_runtime::ActiveRef,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    vfio::sriov::{
        SriovPf,
        VfToken, //
    },
};

/// The SR-IOV role of a bound device, fixed when it is bound.
pub(crate) enum Role {
    /// A PF, with its VF token (C: `vdev->vf_token`).
    Pf(Arc<VfToken>),
    /// A VF whose PF had its VFs enabled by a VFIO PCI driver, with the PF's token (C:
    /// `vdev->sriov_pf_core_dev`). The PF stays bound while the VF exists: unbinding it disables
    /// its VFs first.
    Vf(Arc<VfToken>),
    /// Neither: not an SR-IOV function, or a VF of a PF that another driver has.
    None,
}

impl Role {
    /// Finds the role of `pdev`, which is being bound (C: `vfio_pci_vf_init`).
    pub(crate) fn new(pdev: &pci::Device<Bound>) -> Result<Self> {
        Ok(if pdev.is_virtfn() {
            SriovPf::token_of_pf(pdev).map_or(Self::None, Self::Vf)
        } else if pdev.is_physfn() {
            Self::Pf(VfToken::new()?)
        } else {
            Self::None
        })
    }

    /// Returns whether the device has a VF token of its own (it is a PF).
    pub(crate) fn is_pf(&self) -> bool {
        matches!(self, Self::Pf(_))
    }

    /// Sets the VF token of a PF (`VFIO_DEVICE_FEATURE_PCI_VF_TOKEN`); `ENOTTY` for any other
    /// device.
    pub(crate) fn set_token(&self, uuid: &[u8; 16]) -> Result {
        match self {
            Self::Pf(token) => {
                token.lock().uuid = *uuid;
                Ok(())
            }
            _ => Err(ENOTTY),
        }
    }

    /// Checks the VF token given, or not, to open the device (C:
    /// `vfio_pci_core_match_token_uuid`): a VF of a PF bound to a VFIO PCI driver needs its PF's
    /// token (`EACCES` without it or with another); a PF needs its token while one of its VFs
    /// is open, and otherwise takes the one given as its new token; a token given for anything
    /// else is `EINVAL`.
    pub(crate) fn check_token(&self, pdev: &pci::Device<Bound>, uuid: Option<&[u8; 16]>) -> Result {
        match self {
            Self::Vf(token) => {
                let Some(uuid) = uuid else {
                    dev_info!(pdev.as_ref(), "VF token required to access device\n");
                    return Err(EACCES);
                };
                if token.lock().uuid != *uuid {
                    dev_info!(pdev.as_ref(), "Incorrect VF token provided for device\n");
                    return Err(EACCES);
                }
            }
            Self::Pf(token) => {
                let mut token = token.lock();
                if token.users != 0 {
                    let Some(uuid) = uuid else {
                        drop(token);
                        dev_info!(pdev.as_ref(), "VF token required to access device\n");
                        return Err(EACCES);
                    };
                    if token.uuid != *uuid {
                        drop(token);
                        dev_info!(pdev.as_ref(), "Incorrect VF token provided for device\n");
                        return Err(EACCES);
                    }
                } else if let Some(uuid) = uuid {
                    token.uuid = *uuid;
                }
            }
            Self::None if uuid.is_some() => {
                if pdev.is_virtfn() {
                    dev_info!(
                        pdev.as_ref(),
                        "VF token incorrectly provided, PF not bound to vfio-pci\n"
                    );
                } else {
                    dev_info!(
                        pdev.as_ref(),
                        "VF token incorrectly provided, not a PF or VF\n"
                    );
                }
                return Err(EINVAL);
            }
            Self::None => {}
        }
        Ok(())
    }

    /// The device was opened (C: `vfio_pci_core_finish_enable`): a VF of a PF bound to a VFIO
    /// PCI driver counts as a user of the PF's token.
    pub(crate) fn opened(&self) {
        if let Self::Vf(token) = self {
            token.lock().users += 1;
        }
    }

    /// The device is being closed (C: `vfio_pci_core_close_device`): undoes [`Self::opened`].
    pub(crate) fn closed(&self) {
        if let Self::Vf(token) = self {
            let mut token = token.lock();
            token.users = token.users.saturating_sub(1);
        }
    }
}

/// VFs enabled through the driver: from `sriov_numvfs` written until it is written 0 again or
/// the PF is unbound.
struct Enabled {
    /// The PF in the registry of PFs whose VFs a VFIO PCI driver enabled, where its VFs find its
    /// token.
    _pf: SriovPf,
    /// The PF stays active while it has VFs: a VF must not be in a higher power state than its
    /// PF.
    _pm: ActiveRef,
}

/// What a bound PF keeps for SR-IOV, beside its VFIO device: dropped at unbind, after the VFs
/// were disabled ([`Self::configure`] with 0).
#[pin_data]
pub(crate) struct PfSriov {
    /// Gives the VFs the PF creates `vfio-pci` as their `driver_override` (C:
    /// `vfio_pci_bus_notifier`); `None` for anything but a PF.
    capture: Option<Pin<KBox<VfDriverOverride>>>,
    /// The enabled VFs' state; taken with the PF's device lock held.
    #[pin]
    enabled: Mutex<Option<Enabled>>,
}

impl PfSriov {
    /// Starts capturing the VFs of `pdev` if it is a PF (C: the notifier part of
    /// `vfio_pci_vf_init`).
    pub(crate) fn new(pdev: &pci::Device<Bound>) -> Result<impl PinInit<Self, Error>> {
        let capture = if pdev.is_physfn() {
            Some(KBox::pin_init(VfDriverOverride::new(pdev), GFP_KERNEL)?)
        } else {
            None
        };
        Ok(try_pin_init!(Self {
            capture,
            enabled <- new_mutex!(None),
        }))
    }

    /// Enables `nr_virtfn` VFs of the PF, or disables them if 0 (C:
    /// `vfio_pci_core_sriov_configure`); returns how many are enabled. `dev` is the PF's VFIO
    /// device.
    ///
    /// `EINVAL` if VFs are being enabled or enabled already (the PCI core refuses that itself
    /// with `EBUSY`), or if the device is not a PF.
    pub(crate) fn configure(
        &self,
        dev: &Device,
        pdev: &pci::Device<Core<'_>>,
        nr_virtfn: u16,
    ) -> Result<u16> {
        // Only a PF has VFs. Nothing to take for anything else: a VF unbound while its PF
        // disables its VFs must not take its own lock, of the class of the PF's, held there.
        if self.capture.is_none() {
            return if nr_virtfn == 0 { Ok(0) } else { Err(EINVAL) };
        }
        let mut enabled = self.enabled.lock();
        if nr_virtfn == 0 {
            if let Some(e) = enabled.take() {
                pdev.disable_sriov();
                // C does not wait for `memory_lock` here; the flag only makes power state
                // changes fail, and none is pending that would mind.
                dev.memory_write().set_sriov_active(false);
                drop(e);
            }
            return Ok(0);
        }
        if enabled.is_some() {
            return Err(EINVAL);
        }
        let crate::sriov::Role::Pf(token) = &dev.sriov else {
            return Err(EINVAL);
        };
        let pf = SriovPf::new(pdev, token)?;
        // The PF must be in D0 before its VFs exist, and stay there: resumed from idle D3hot
        // here, and, under `memory_lock` so that a user's write of the PM control register
        // cannot race, moved out of a D3hot the user put it in.
        let bound: &pci::Device<Bound> = pdev;
        let pm = ActiveRef::get(bound.as_ref())?;
        {
            let mut mem = dev.memory_write();
            let _ = mem.set_power_state(pdev, PowerState::D0);
            mem.set_sriov_active(true);
        }
        if let Err(e) = pdev.enable_sriov(nr_virtfn) {
            dev.memory_write().set_sriov_active(false);
            return Err(e);
        }
        *enabled = Some(Enabled { _pf: pf, _pm: pm });
        Ok(nr_virtfn)
    }
}
