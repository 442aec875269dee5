// SPDX-License-Identifier: GPL-2.0

//! `VFIO_DEVICE_SET_IRQS` and the error and request eventfds: the part of
//! `vfio_pci_intrs.c` that needs no interrupt vectors.
//!
//! The error (ERR) and device-request (REQ) "interrupts" are eventfds the
//! driver signals itself. INTx, MSI and MSI-X delivery is not implemented
//! yet: the requests that would enable them fail with `ENOTTY`; everything
//! else (validation, and what the C driver does while no interrupt is
//! enabled) answers as the C driver does.

#![forbid(unsafe_code)]

use crate::pci_core::Device;
use kernel::{
    eventfd::EventFd,
    new_spinlock,
    pci,
    prelude::*,
    sync::SpinLock,
    uapi, //
};

/// The interrupt state of a device, behind [`crate::pci_core::CoreDevice::igate`] (C's `igate`).
///
/// `VFIO_DEVICE_SET_IRQS` takes `igate` alone; config space writes that touch interrupts (the
/// INTx disable bit, the MSI flags) take it inside the `open` mutex. Vector setup will take the
/// `memory_lock` inside it (MSI-X needs memory decode on while its table is programmed).
///
/// The fields config space virtualization reads and writes ([`crate::config`]) are public to
/// the crate.
#[derive(Default)]
pub(crate) struct IrqState {
    /// Whether INTx is masked through the command register (PCI 2.3); latched at open.
    pub(crate) pci_2_3: bool,
    /// Whether INTx delivery is enabled (C: `irq_type == VFIO_PCI_INTX_IRQ_INDEX`).
    pub(crate) intx_enabled: bool,
    /// Whether MSI delivery is enabled (C: `irq_type == VFIO_PCI_MSI_IRQ_INDEX`).
    pub(crate) msi_enabled: bool,
    /// The log2 of the number of MSI vectors enabled (C: `msi_qmax`).
    pub(crate) msi_qmax: u32,
    /// The virtual INTx disable bit of the command register, as last acted upon (C:
    /// `virq_disabled`).
    pub(crate) virq_disabled: bool,
}

impl IrqState {
    /// Sets the state up for a device being opened.
    pub(crate) fn open(&mut self, pci_2_3: bool) {
        *self = Self {
            pci_2_3,
            ..Self::default()
        };
    }

    /// Tears down every interrupt of a device being closed (C: `vfio_pci_set_irqs_ioctl` with
    /// `DATA_NONE | ACTION_TRIGGER` and no vectors, first thing in `vfio_pci_core_disable`).
    ///
    /// No interrupt type can be enabled yet: nothing to tear down beyond the state.
    pub(crate) fn close(&mut self, pdev: &pci::Device<kernel::device::Bound>) {
        let _ = pdev;
        *self = Self::default();
    }
}

/// The eventfds the driver signals itself: errors (ERR) and device requests (REQ).
///
/// Behind a spinlock of their own, not `igate`: signalling happens from the PCI error handler
/// and from the VFIO core's unbind path, which must never wait for a `VFIO_DEVICE_SET_IRQS` in
/// progress (C 7.3 uses RCU for the same reason). The lock is held only to signal or to swap an
/// eventfd; a replaced eventfd is released after it is dropped.
#[pin_data]
pub(crate) struct Triggers {
    #[pin]
    inner: SpinLock<TriggerSlots>,
}

/// The two eventfds of [`Triggers`].
#[derive(Default)]
struct TriggerSlots {
    /// Signalled when the device reports an uncorrectable error.
    err: Option<EventFd>,
    /// Signalled when the driver asks the user to release the device (unbind).
    req: Option<EventFd>,
}

/// Which of the [`Triggers`].
#[derive(Clone, Copy)]
pub(crate) enum Trigger {
    /// The error eventfd (`VFIO_PCI_ERR_IRQ_INDEX`).
    Err,
    /// The request eventfd (`VFIO_PCI_REQ_IRQ_INDEX`).
    Req,
}

impl Triggers {
    /// No eventfds.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock!(TriggerSlots::default()),
        })
    }

    /// Puts `efd` in the slot of `which`; the old one is released outside the lock.
    fn replace(&self, which: Trigger, efd: Option<EventFd>) {
        let old = {
            let mut slots = self.inner.lock();
            let slot = match which {
                Trigger::Err => &mut slots.err,
                Trigger::Req => &mut slots.req,
            };
            core::mem::replace(slot, efd)
        };
        drop(old);
    }

    /// Signals the eventfd of `which`; returns whether there is one.
    pub(crate) fn signal(&self, which: Trigger) -> bool {
        let slots = self.inner.lock();
        let slot = match which {
            Trigger::Err => &slots.err,
            Trigger::Req => &slots.req,
        };
        match slot {
            Some(efd) => {
                efd.signal();
                true
            }
            None => false,
        }
    }

    /// Returns whether `which` has an eventfd.
    fn is_set(&self, which: Trigger) -> bool {
        let slots = self.inner.lock();
        match which {
            Trigger::Err => slots.err.is_some(),
            Trigger::Req => slots.req.is_some(),
        }
    }

    /// Drops both eventfds: the device is closed.
    pub(crate) fn release(&self) {
        self.replace(Trigger::Err, None);
        self.replace(Trigger::Req, None);
    }
}

/// C's `vfio_pci_set_ctx_trigger_single`: set, clear or fire a single eventfd.
fn set_ctx_trigger_single(
    triggers: &Triggers,
    which: Trigger,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result {
    if flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0 {
        // DATA_NONE (and DATA_BOOL) allow loopback testing.
        if !triggers.is_set(which) {
            return Err(EINVAL);
        }
        if count != 0 {
            triggers.signal(which);
        } else {
            triggers.replace(which, None);
        }
        Ok(())
    } else if flags & uapi::VFIO_IRQ_SET_DATA_BOOL != 0 {
        if count == 0 {
            return Err(EINVAL);
        }
        if data.first().is_some_and(|&b| b != 0) {
            triggers.signal(which);
        }
        Ok(())
    } else if flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0 {
        if count == 0 {
            return Err(EINVAL);
        }
        let fd = data
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_ne_bytes)
            .ok_or(EINVAL)?;
        match fd {
            -1 => {
                triggers.replace(which, None);
                Ok(())
            }
            fd if fd >= 0 => {
                triggers.replace(which, Some(EventFd::from_fd(fd)?));
                Ok(())
            }
            _ => Err(EINVAL),
        }
    } else {
        Err(EINVAL)
    }
}

/// Carries out a validated `VFIO_DEVICE_SET_IRQS`: C's `vfio_pci_set_irqs_ioctl`.
///
/// No interrupt type is ever enabled yet, so the INTx, MSI and MSI-X paths take the C driver's
/// "nothing enabled" branches, and enabling fails with `ENOTTY`.
#[expect(clippy::too_many_arguments, reason = "the fields of `struct vfio_irq_set`")]
pub(crate) fn set_irqs(
    dev: &Device,
    pdev: &pci::Device<kernel::device::Bound>,
    irqs: &mut IrqState,
    flags: u32,
    index: u32,
    start: u32,
    count: u32,
    data: &[u8],
) -> Result {
    // Nothing of the interrupt state is in use until vectors can be enabled.
    let _ = irqs;
    let action = flags & uapi::VFIO_IRQ_SET_ACTION_TYPE_MASK;
    let trigger = action == uapi::VFIO_IRQ_SET_ACTION_TRIGGER;
    let eventfd = flags & uapi::VFIO_IRQ_SET_DATA_EVENTFD != 0;
    match index {
        uapi::VFIO_PCI_INTX_IRQ_INDEX => match action {
            // Masking needs INTx enabled.
            uapi::VFIO_IRQ_SET_ACTION_MASK | uapi::VFIO_IRQ_SET_ACTION_UNMASK => Err(EINVAL),
            _ if trigger && eventfd => {
                let fd = data
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(i32::from_ne_bytes)
                    .ok_or(EINVAL)?;
                // Check the eventfd as the C driver does before enabling.
                let _trigger = if fd >= 0 {
                    Some(EventFd::from_fd(fd)?)
                } else {
                    None
                };
                if pdev.irq() == 0 {
                    return Err(ENODEV);
                }
                Err(ENOTTY)
            }
            _ if trigger => Err(EINVAL),
            _ => Err(ENOTTY),
        },
        uapi::VFIO_PCI_MSI_IRQ_INDEX | uapi::VFIO_PCI_MSIX_IRQ_INDEX => match action {
            _ if trigger && eventfd => Err(ENOTTY),
            _ if trigger => Err(EINVAL),
            // Masking MSI/MSI-X vectors is not offered (by the C driver either).
            _ => Err(ENOTTY),
        },
        uapi::VFIO_PCI_ERR_IRQ_INDEX if trigger => {
            if start != 0 || count > 1 {
                return Err(EINVAL);
            }
            set_ctx_trigger_single(&dev.triggers, Trigger::Err, count, flags, data)
        }
        uapi::VFIO_PCI_REQ_IRQ_INDEX if trigger => {
            if start != 0 || count > 1 {
                return Err(EINVAL);
            }
            set_ctx_trigger_single(&dev.triggers, Trigger::Req, count, flags, data)
        }
        _ => Err(ENOTTY),
    }
}

/// The VFIO core asks the user to release the device: C's `vfio_pci_core_request`.
///
/// Never waits for `igate`: unbind must not depend on a `VFIO_DEVICE_SET_IRQS` in progress.
pub(crate) fn request(dev: &Device, pdev: &pci::Device<kernel::device::Bound>, count: u32) {
    if dev.triggers.signal(Trigger::Req) {
        if count % 10 == 0 {
            dev_notice!(
                pdev.as_ref(),
                "Relaying device request to user (#{})\n",
                count
            );
        }
    } else if count == 0 {
        dev_warn!(
            pdev.as_ref(),
            "No device request channel registered, blocked until released by user\n"
        );
    }
}
