// SPDX-License-Identifier: GPL-2.0

//! PCI error recovery: the states of a device's channel and a driver's answers.
//!
//! C header: [`include/linux/pci.h`](srctree/include/linux/pci.h)
//!
//! When a device reports an error (PCIe AER, DPC, EEH), the PCI core walks the
//! devices below the port that saw it and asks each driver what it wants done
//! (`struct pci_error_handlers`, see
//! [`Documentation/PCI/pci-error-recovery.rst`](srctree/Documentation/PCI/pci-error-recovery.rst)):
//! the driver gets the state of the device's channel ([`ChannelState`]) and answers with an
//! [`ErsResult`]. The answers of all drivers are merged: the most demanding one wins.

use crate::bindings;

/// The state of the channel between a device and the CPU when an error is reported (C's
/// `pci_channel_state_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// I/O still works: the error was non-fatal (`pci_channel_io_normal`).
    Normal,
    /// I/O to the device is blocked until it is reset: the error was fatal
    /// (`pci_channel_io_frozen`).
    Frozen,
    /// The device is gone for good (`pci_channel_io_perm_failure`).
    PermFailure,
}

impl ChannelState {
    /// Converts the C value; `None` for a value the PCI core does not define.
    pub fn from_raw(raw: bindings::pci_channel_state_t) -> Option<Self> {
        match raw {
            bindings::pci_channel_io_normal => Some(Self::Normal),
            bindings::pci_channel_io_frozen => Some(Self::Frozen),
            bindings::pci_channel_io_perm_failure => Some(Self::PermFailure),
            _ => None,
        }
    }
}

/// What a driver wants the PCI core to do about a reported error (C's `pci_ers_result_t`).
///
/// ```
/// use kernel::pci::ErsResult;
///
/// assert_eq!(ErsResult::CanRecover.into_raw(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErsResult {
    /// No opinion (`PCI_ERS_RESULT_NONE`).
    None,
    /// The driver can recover without a reset (`PCI_ERS_RESULT_CAN_RECOVER`).
    CanRecover,
    /// The device must be reset (`PCI_ERS_RESULT_NEED_RESET`).
    NeedReset,
    /// The device cannot be recovered (`PCI_ERS_RESULT_DISCONNECT`).
    Disconnect,
    /// The device is working again (`PCI_ERS_RESULT_RECOVERED`).
    Recovered,
}

impl ErsResult {
    /// The C value.
    pub const fn into_raw(self) -> bindings::pci_ers_result_t {
        match self {
            Self::None => bindings::pci_ers_result_PCI_ERS_RESULT_NONE,
            Self::CanRecover => bindings::pci_ers_result_PCI_ERS_RESULT_CAN_RECOVER,
            Self::NeedReset => bindings::pci_ers_result_PCI_ERS_RESULT_NEED_RESET,
            Self::Disconnect => bindings::pci_ers_result_PCI_ERS_RESULT_DISCONNECT,
            Self::Recovered => bindings::pci_ers_result_PCI_ERS_RESULT_RECOVERED,
        }
    }
}
