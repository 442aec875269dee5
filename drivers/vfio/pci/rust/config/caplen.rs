// SPDX-License-Identifier: GPL-2.0

//! How long each capability is, and which ones the user does not see.
//!
//! A length of [`HIDDEN`] removes the capability from the chain the user
//! walks; [`VARIABLE`] means the length depends on the device's registers,
//! computed by the pure functions below from the values read (the reads
//! themselves are in the parent module).

use super::regs::*;

/// The capability is left out of the user's chain.
pub(crate) const HIDDEN: u16 = 0;
/// The length depends on the capability's registers.
pub(crate) const VARIABLE: u16 = 0xff;

/// Fixed lengths of the standard capabilities, by ID (0 is the standard header).
const CAP_LENGTH: [u16; CAP_ID_MAX as usize + 1] = {
    let mut t = [HIDDEN; CAP_ID_MAX as usize + 1];
    t[0] = STD_HEADER_SIZEOF;
    t[CAP_ID_PM as usize] = PM_SIZEOF;
    t[CAP_ID_AGP as usize] = AGP_SIZEOF;
    t[CAP_ID_VPD as usize] = CAP_VPD_SIZEOF;
    // Slot identification, CompactPCI hot swap and central resource control, debug port,
    // SHPC, bridge subsystem IDs, AGP 8x, secure device: bridges, not yet supported or of no
    // use to a user; hidden.
    t[CAP_ID_MSI as usize] = VARIABLE;
    t[CAP_ID_PCIX as usize] = VARIABLE;
    t[CAP_ID_HT as usize] = VARIABLE;
    t[CAP_ID_VNDR as usize] = VARIABLE;
    t[CAP_ID_EXP as usize] = VARIABLE;
    t[CAP_ID_MSIX as usize] = CAP_MSIX_SIZEOF;
    t[CAP_ID_SATA as usize] = VARIABLE;
    t[CAP_ID_AF as usize] = CAP_AF_SIZEOF;
    t
};

/// Fixed lengths of the extended capabilities, by ID.
const EXT_CAP_LENGTH: [u16; EXT_CAP_ID_MAX as usize + 1] = {
    let mut t = [HIDDEN; EXT_CAP_ID_MAX as usize + 1];
    // AER: up to the root port registers, which endpoints do not have.
    t[EXT_CAP_ID_ERR as usize] = ERR_ROOT_COMMAND;
    t[EXT_CAP_ID_VC as usize] = VARIABLE;
    t[EXT_CAP_ID_DSN as usize] = EXT_CAP_DSN_SIZEOF;
    t[EXT_CAP_ID_PWR as usize] = EXT_CAP_PWR_SIZEOF;
    // Root complex link declaration, internal link control, event collector and register
    // block: root ports only; hidden.
    t[EXT_CAP_ID_MFVC as usize] = VARIABLE;
    t[EXT_CAP_ID_VC9 as usize] = VARIABLE;
    t[EXT_CAP_ID_VNDR as usize] = VARIABLE;
    // Access control services: obsolete (CAC) or variable (ACS).
    t[EXT_CAP_ID_ACS as usize] = VARIABLE;
    t[EXT_CAP_ID_ARI as usize] = EXT_CAP_ARI_SIZEOF;
    t[EXT_CAP_ID_ATS as usize] = EXT_CAP_ATS_SIZEOF;
    t[EXT_CAP_ID_SRIOV as usize] = EXT_CAP_SRIOV_SIZEOF;
    // MR-IOV: not yet.
    t[EXT_CAP_ID_MCAST as usize] = EXT_CAP_MCAST_ENDPOINT_SIZEOF;
    t[EXT_CAP_ID_PRI as usize] = EXT_CAP_PRI_SIZEOF;
    // AMD's 0x14: not yet.
    t[EXT_CAP_ID_REBAR as usize] = VARIABLE;
    t[EXT_CAP_ID_DPA as usize] = VARIABLE;
    t[EXT_CAP_ID_TPH as usize] = VARIABLE;
    t[EXT_CAP_ID_LTR as usize] = EXT_CAP_LTR_SIZEOF;
    // Secondary PCIe, PMUX, PASID: not yet.
    t[EXT_CAP_ID_DVSEC as usize] = VARIABLE;
    t
};

/// The table length of standard capability `id`: [`HIDDEN`], [`VARIABLE`] or a length. ID 0
/// (a null capability, which would clash with the header's map entry) and IDs beyond the
/// table are hidden.
pub(crate) fn cap_length(id: u8) -> u16 {
    if id == 0 {
        return HIDDEN;
    }
    CAP_LENGTH.get(usize::from(id)).copied().unwrap_or(HIDDEN)
}

/// The table length of extended capability `id`: [`HIDDEN`], [`VARIABLE`] or a length.
pub(crate) fn ext_cap_length(id: u16) -> u16 {
    EXT_CAP_LENGTH
        .get(usize::from(id))
        .copied()
        .unwrap_or(HIDDEN)
}

/// The length of an MSI capability with message control `flags`: 10 bytes, plus 4 for 64-bit
/// addresses, plus 10 for the mask and pending bits.
pub(crate) fn msi_len(flags: u32) -> u16 {
    let mut len = 10;
    if flags & MSI_FLAGS_64BIT != 0 {
        len += 4;
    }
    if flags & MSI_FLAGS_MASKBIT != 0 {
        len += 10;
    }
    len
}

/// The length of a PCI-X capability with command register `cmd`: version 0 is short.
pub(crate) fn pcix_len(cmd: u32) -> u16 {
    if (cmd >> 12) & 3 != 0 {
        CAP_PCIX_SIZEOF_V2
    } else {
        CAP_PCIX_SIZEOF_V0
    }
}

/// The length of a PCI Express capability with capabilities register `flags`: by version, and
/// without the link registers for root complex integrated endpoints.
pub(crate) fn exp_len(flags: u32) -> u16 {
    let rc_end = (flags & EXP_FLAGS_TYPE) >> 4 == EXP_TYPE_RC_END;
    match (flags & EXP_FLAGS_VERS == 1, rc_end) {
        (true, true) => 0xc,
        (true, false) => CAP_EXP_ENDPOINT_SIZEOF_V1,
        (false, true) => 0x2c,
        (false, false) => CAP_EXP_ENDPOINT_SIZEOF_V2,
    }
}

/// The length of a HyperTransport capability whose byte 3 is `b`.
pub(crate) fn ht_len(b: u8) -> u16 {
    if u32::from(b) & HT_3BIT_CAP_MASK != 0 {
        HT_CAP_SIZEOF_SHORT
    } else {
        HT_CAP_SIZEOF_LONG
    }
}

/// The length of a SATA capability whose register `SATA_REGS` is `b`.
pub(crate) fn sata_len(b: u8) -> u16 {
    if u32::from(b) & SATA_REGS_MASK == SATA_REGS_INLINE {
        SATA_SIZEOF_LONG
    } else {
        SATA_SIZEOF_SHORT
    }
}

/// The length of a virtual channel capability (VC, VC9, MFVC) from its port capability
/// registers 1 and 2. Arbitration tables are never writable, so only their size matters.
pub(crate) fn vc_len(cap1: u32, cap2: u32) -> u16 {
    let evcc = cap1 & VC_CAP1_EVCC;
    let phases = if cap2 & VC_CAP2_128_PHASE != 0 {
        128
    } else if cap2 & VC_CAP2_64_PHASE != 0 {
        64
    } else if cap2 & VC_CAP2_32_PHASE != 0 {
        32
    } else {
        0
    };
    let vc_arb = phases * 4;
    // CAST: `evcc` is 3 bits wide.
    let mut len = CAP_VC_BASE_SIZEOF + (1 + evcc as u16) * CAP_VC_PER_VC_SIZEOF;
    if vc_arb != 0 {
        len = len.next_multiple_of(16) + vc_arb / 8;
    }
    len
}

/// The length of an ACS capability from its capability byte and egress control vector size.
pub(crate) fn acs_len(cap: u8, egress_bits: u8) -> u16 {
    if u32::from(cap) & ACS_EC == 0 {
        return 8;
    }
    let bits = if egress_bits != 0 {
        u16::from(egress_bits).next_multiple_of(32)
    } else {
        256
    };
    8 + bits / 8
}

/// The length of a resizable BAR capability from the low byte of its first control register.
pub(crate) fn rebar_len(ctrl: u8) -> u16 {
    // CAST: The BAR count field is 3 bits wide.
    let nbars = ((u32::from(ctrl) & REBAR_CTRL_NBAR_MASK) >> REBAR_CTRL_NBAR_SHIFT) as u16;
    4 + nbars * 8
}

/// The length of a dynamic power allocation capability from its capability byte.
pub(crate) fn dpa_len(cap: u8) -> u16 {
    // CAST: The substate field is 5 bits wide.
    DPA_BASE_SIZEOF + (u32::from(cap) & DPA_CAP_SUBSTATE_MASK) as u16 + 1
}

/// The length of a TPH requester capability from its capability register: the steering tag
/// table counts only when it lives in the capability.
pub(crate) fn tph_len(cap: u32) -> u16 {
    if cap & TPH_CAP_LOC_MASK != TPH_LOC_CAP {
        return TPH_BASE_SIZEOF;
    }
    // CAST: The table size field is 11 bits wide.
    let sts = ((cap & TPH_CAP_ST_MASK) >> TPH_CAP_ST_SHIFT) as u16;
    TPH_BASE_SIZEOF + sts * 2 + 2
}

/// The length field of a vendor-specific or DVSEC header register (bits 31:20).
pub(crate) fn header_len(header: u32) -> u16 {
    // CAST: 12 bits.
    ((header >> 20) & 0xfff) as u16
}

/// The ID field of an extended capability header.
pub(crate) fn ext_cap_id(header: u32) -> u16 {
    // CAST: The low 16 bits, on purpose.
    header as u16
}

/// The next pointer of an extended capability header.
pub(crate) fn ext_cap_next(header: u32) -> u16 {
    // CAST: 12 bits.
    ((header >> 20) & 0xffc) as u16
}
