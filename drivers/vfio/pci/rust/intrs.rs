// SPDX-License-Identifier: GPL-2.0

//! `VFIO_DEVICE_SET_IRQS` and the error and request eventfds: the part of
//! `vfio_pci_intrs.c` that needs no interrupt vectors.
//!
//! The error (ERR) and device-request (REQ) "interrupts" are eventfds the
//! driver signals itself. INTx, MSI and MSI-X delivery is not implemented
//! yet: the requests that would enable them fail with `ENOTTY`; everything
//! else (validation, and what the C driver does while no interrupt is
//! enabled) answers as the C driver does.

use crate::core::Device;
use kernel::{
    eventfd::EventFd,
    pci,
    prelude::*,
    uapi, //
};

/// The interrupt state of a device, behind [`crate::core::CoreDevice::igate`].
///
/// Config space virtualization reads and writes the INTx and MSI fields below with `igate`
/// taken inside `open` (lock order: `open`, `igate`, `memory_lock`; see [`crate::config`]).
#[derive(Default)]
pub(crate) struct IrqState {
    /// Signalled when the device reports an uncorrectable error.
    err_trigger: Option<EventFd>,
    /// Signalled when the driver asks the user to release the device (unbind).
    req_trigger: Option<EventFd>,
    /// Whether INTx is masked through the command register (PCI 2.3); set at open.
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
    /// Drops the error and request eventfds: the device is closed.
    pub(crate) fn release(&mut self) {
        self.err_trigger = None;
        self.req_trigger = None;
    }
}

/// C's `vfio_pci_set_ctx_trigger_single`: set, clear or fire a single eventfd.
fn set_ctx_trigger_single(
    slot: &mut Option<EventFd>,
    count: u32,
    flags: u32,
    data: &[u8],
) -> Result {
    if flags & uapi::VFIO_IRQ_SET_DATA_NONE != 0 {
        // DATA_NONE (and DATA_BOOL) allow loopback testing.
        let Some(efd) = slot.as_ref() else {
            return Err(EINVAL);
        };
        if count != 0 {
            efd.signal();
        } else {
            *slot = None;
        }
        Ok(())
    } else if flags & uapi::VFIO_IRQ_SET_DATA_BOOL != 0 {
        if count == 0 {
            return Err(EINVAL);
        }
        if data.first().is_some_and(|&b| b != 0) {
            if let Some(efd) = slot.as_ref() {
                efd.signal();
            }
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
                *slot = None;
                Ok(())
            }
            fd if fd >= 0 => {
                *slot = Some(EventFd::from_fd(fd)?);
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
pub(crate) fn set_irqs(
    pdev: &pci::Device<kernel::device::Bound>,
    irqs: &mut IrqState,
    flags: u32,
    index: u32,
    start: u32,
    count: u32,
    data: &[u8],
) -> Result {
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
            set_ctx_trigger_single(&mut irqs.err_trigger, count, flags, data)
        }
        uapi::VFIO_PCI_REQ_IRQ_INDEX if trigger => {
            if start != 0 || count > 1 {
                return Err(EINVAL);
            }
            set_ctx_trigger_single(&mut irqs.req_trigger, count, flags, data)
        }
        _ => Err(ENOTTY),
    }
}

/// The VFIO core asks the user to release the device: C's `vfio_pci_core_request`.
pub(crate) fn request(dev: &Device, pdev: &pci::Device<kernel::device::Bound>, count: u32) {
    let irqs = dev.igate.lock();
    if let Some(efd) = irqs.req_trigger.as_ref() {
        if count % 10 == 0 {
            dev_notice!(
                pdev.as_ref(),
                "Relaying device request to user (#{})\n",
                count
            );
        }
        efd.signal();
    } else if count == 0 {
        dev_warn!(
            pdev.as_ref(),
            "No device request channel registered, blocked until released by user\n"
        );
    }
}
