// SPDX-License-Identifier: GPL-2.0

//! The VF token: the trust a VFIO user of an SR-IOV PF and the users of its VFs share.
//!
//! A PF handed to userspace can disrupt its VFs (it hosts their SR-IOV capability, it can reset
//! them) and often sees their data; a VF user must know that its PF is a user's, not the host's.
//! So, while a PF is bound to a VFIO PCI driver that enabled its VFs, opening one of those VFs
//! takes the PF's VF token (a UUID the PF's user set), and opening the PF while one of its VFs is
//! open through VFIO takes it too ([`VfToken`], C's `struct vfio_pci_vf_token`).
//!
//! A VF finds its PF's token through the registry of PFs whose VFs a VFIO PCI driver enabled
//! ([`SriovPf`], C's `vfio_pci_sriov_pfs` list): one registry for every VFIO PCI driver, as in C,
//! since a VF may be bound to a driver other than its PF's.

use crate::{
    bindings, device, new_mutex, pci,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            ordering::{
                Acquire,
                Relaxed,
                Release, //
            },
            Atomic,
        },
        Arc,
        GlobalGuard,
        Mutex, //
    },
};

/// The VF token of a PF and how many of its VFs are open through VFIO (C's
/// `struct vfio_pci_vf_token`), shared by the PF's VFIO device and its VFs' (an [`Arc`]).
#[pin_data]
pub struct VfToken {
    #[pin]
    state: Mutex<VfTokenState>,
}

/// What [`VfToken`]'s lock protects.
pub struct VfTokenState {
    /// The token: random until the PF's user sets it.
    pub uuid: [u8; 16],
    /// How many VFs of the PF are open through a VFIO driver that checked the token.
    pub users: u32,
}

impl VfToken {
    /// Makes the token of a PF: a random UUID, which nobody knows until the PF's user sets one.
    pub fn new() -> Result<Arc<Self>> {
        let mut uuid = bindings::uuid_t::default();
        // SAFETY: `uuid` is a valid `uuid_t` to write.
        unsafe { bindings::uuid_gen(&mut uuid) };
        Arc::pin_init(
            pin_init!(Self {
                state <- new_mutex!(VfTokenState {
                    uuid: uuid.b,
                    users: 0,
                }),
            }),
            GFP_KERNEL,
        )
    }

    /// Locks the token.
    pub fn lock(&self) -> crate::sync::MutexGuard<'_, VfTokenState> {
        self.state.lock()
    }
}

/// A PF of the registry.
struct Entry {
    /// The PF ([`pci::Device::function_id`]).
    pf: usize,
    token: Arc<VfToken>,
}

crate::sync::global_lock! {
    // SAFETY: `registry` initialises it, once, before anything else uses it.
    unsafe(uninit) static SRIOV_PFS: Mutex<KVec<Entry>> = KVec::new();
}

/// Whether [`SRIOV_PFS`] is initialised: 0 no, 1 being initialised, 2 yes.
static SRIOV_PFS_READY: Atomic<u32> = Atomic::new(0);

/// Locks the registry, initialising it on first use.
fn registry() -> GlobalGuard<SRIOV_PFS> {
    if SRIOV_PFS_READY.load(Acquire) != 2 {
        if SRIOV_PFS_READY.cmpxchg(0, 1, Relaxed).is_ok() {
            // SAFETY: Only the one caller that moved the state from 0 to 1 gets here, and nobody
            // uses the lock before the state is 2.
            unsafe { SRIOV_PFS.init() };
            SRIOV_PFS_READY.store(2, Release);
        } else {
            // Another caller is initialising the lock: a few instructions.
            while SRIOV_PFS_READY.load(Acquire) != 2 {
                core::hint::spin_loop();
            }
        }
    }
    SRIOV_PFS.lock()
}

/// A PF in the registry of PFs whose VFs a VFIO PCI driver enables: from just before the driver
/// enables them until it disabled them (C: `sriov_pfs_item` on the `vfio_pci_sriov_pfs` list).
/// The VFs created meanwhile find the PF's token through it ([`SriovPf::token_of_pf`]).
///
/// Dropping it takes the PF out of the registry.
pub struct SriovPf {
    /// Keeps the PF, hence its identifier, alive while it is in the registry.
    pf: ARef<pci::Device>,
}

impl SriovPf {
    /// Enters `pf` in the registry with its `token`; `EINVAL` if it is there already (its VFs
    /// are being enabled, or are enabled).
    pub fn new(pf: &pci::Device<device::Core<'_>>, token: &Arc<VfToken>) -> Result<Self> {
        let id = pf.function_id();
        let mut pfs = registry();
        if pfs.iter().any(|e| e.pf == id) {
            return Err(EINVAL);
        }
        pfs.push(
            Entry {
                pf: id,
                token: token.clone(),
            },
            GFP_KERNEL,
        )?;
        Ok(Self { pf: pf.into() })
    }

    /// Returns the token of the PF of `vf`, if `vf` is a VF whose PF is in the registry (a VFIO
    /// PCI driver enabled it, and still has it).
    pub fn token_of_pf(vf: &pci::Device<device::Bound>) -> Option<Arc<VfToken>> {
        let pf = vf.physfn_id()?;
        registry()
            .iter()
            .find(|e| e.pf == pf)
            .map(|e| e.token.clone())
    }
}

impl Drop for SriovPf {
    fn drop(&mut self) {
        let id = self.pf.function_id();
        let mut pfs = registry();
        if let Some(i) = pfs.iter().position(|e| e.pf == id) {
            // The token goes after the lock, with the guard.
            let _ = pfs.remove(i);
        }
    }
}
