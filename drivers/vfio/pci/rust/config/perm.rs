// SPDX-License-Identifier: GPL-2.0

//! Permission tables: for every bit of a capability, whether the user sees
//! (and changes) a virtual copy of it or the device's own bit, and whether a
//! write may change it at all.
//!
//! A bit is always readable. A virtualized bit is read from, and written to,
//! the virtual config space only; a bit that is neither virtualized nor
//! writable reads through to the device and ignores writes. The tables are
//! byte arrays in config space order (little-endian), built at compile time
//! and rounded up to whole dwords, so that an access never needs to check
//! whether it runs past the end of a capability.
//!
//! Besides its bits, each kind of region has a read and a write handler
//! ([`Read`], [`Write`]): most use the default merge of virtual and
//! physical bits, a few add side effects (BAR sizing, power state changes,
//! function level reset, VPD access, MSI flags).

use super::regs::*;

/// A bit mask covering a whole register of any width.
const ALL: u32 = 0xffff_ffff;
/// No bit of the register.
const NONE: u32 = 0;

/// Virtual and writable bits of one region, per byte, little-endian.
pub(crate) struct PermBits {
    /// Bits read from and written to the virtual config space.
    pub(crate) virt: &'static [u8],
    /// Bits a user write may change.
    pub(crate) write: &'static [u8],
}

impl PermBits {
    /// A region without permission bits (its handlers do not use them).
    pub(crate) const NONE: PermBits = PermBits {
        virt: &[],
        write: &[],
    };

    /// Returns the `n` bytes of `table` at `off` as a little-endian value; bytes past the end
    /// of the table count as zero (readable, not virtualized, not writable).
    fn get(table: &[u8], off: usize, n: usize) -> u32 {
        // Every access but one that runs past the end of the table: whole-slice reads, with no
        // per-byte bounds check (this runs several times per config access).
        match (n, table.get(off..off.saturating_add(n))) {
            (4, Some(&[a, b, c, d])) => return u32::from_le_bytes([a, b, c, d]),
            (2, Some(&[a, b])) => return u16::from_le_bytes([a, b]).into(),
            (1, Some(&[a])) => return a.into(),
            _ => {}
        }
        let mut v = 0u32;
        for i in (0..n.min(4)).rev() {
            v = (v << 8) | u32::from(table.get(off + i).copied().unwrap_or(0));
        }
        v
    }

    /// The virtualized bits of the `n` bytes at `off` in the region.
    pub(crate) fn virt(&self, off: usize, n: usize) -> u32 {
        Self::get(self.virt, off, n)
    }

    /// The writable bits of the `n` bytes at `off` in the region.
    pub(crate) fn write(&self, off: usize, n: usize) -> u32 {
        Self::get(self.write, off, n)
    }
}

/// A permission table under construction: `N` bytes, all readable, none writable or virtual.
pub(crate) struct Table<const N: usize> {
    virt: [u8; N],
    write: [u8; N],
}

impl<const N: usize> Table<N> {
    /// An empty table.
    const fn new() -> Self {
        Self {
            virt: [0; N],
            write: [0; N],
        }
    }

    /// Sets the bits of the `n` bytes at `off` (config space is little-endian).
    const fn set(mut self, off: u16, n: usize, virt: u32, write: u32) -> Self {
        // CAST: Lossless, and `From` is not usable in a const fn.
        let off = off as usize;
        let mut i = 0;
        while i < n {
            // CAST: The byte `i` of each mask, taken on purpose.
            self.virt[off + i] = (virt >> (8 * i)) as u8;
            self.write[off + i] = (write >> (8 * i)) as u8;
            i += 1;
        }
        self
    }

    /// Sets a byte.
    const fn b(self, off: u16, virt: u32, write: u32) -> Self {
        self.set(off, 1, virt, write)
    }

    /// Sets a word.
    const fn w(self, off: u16, virt: u32, write: u32) -> Self {
        self.set(off, 2, virt, write)
    }

    /// Sets a dword.
    const fn d(self, off: u16, virt: u32, write: u32) -> Self {
        self.set(off, 4, virt, write)
    }

    /// The table's bits.
    pub(crate) const fn bits(&'static self) -> PermBits {
        PermBits {
            virt: &self.virt,
            write: &self.write,
        }
    }
}

/// Rounds a table size up to whole dwords.
const fn dwords(n: u16) -> usize {
    // CAST: Lossless, and `From` is not usable in a const fn.
    (n as usize).next_multiple_of(4)
}

/// The standard header (C: `init_pci_cap_basic_perm`).
static BASIC: Table<{ dwords(STD_HEADER_SIZEOF) }> = Table::new()
    // SR-IOV VFs read all ones here: the IDs come from the PF's view, see `Config::new`.
    .w(VENDOR_ID, ALL, NONE)
    .w(DEVICE_ID, ALL, NONE)
    // INTx disable is ours: the interrupt code uses it, and it can be emulated on devices
    // without PCI 2.3 masking.
    .w(COMMAND, COMMAND_INTX_DISABLE, ALL)
    // The capability list bit follows the capabilities we show.
    .w(STATUS, STATUS_CAP_LIST, NONE)
    // Harmless to write through.
    .b(CACHE_LINE_SIZE, NONE, ALL)
    .b(LATENCY_TIMER, NONE, ALL)
    .b(BIST, NONE, ALL)
    // The user sizes and programs virtual BARs; the real ones belong to the host.
    .d(BASE_ADDRESS_0, ALL, ALL)
    .d(BASE_ADDRESS_1, ALL, ALL)
    .d(BASE_ADDRESS_2, ALL, ALL)
    .d(BASE_ADDRESS_3, ALL, ALL)
    .d(BASE_ADDRESS_4, ALL, ALL)
    .d(BASE_ADDRESS_5, ALL, ALL)
    .d(ROM_ADDRESS, ALL, ALL)
    // The head of the capability chain, so that capabilities can be skipped.
    .b(CAPABILITY_LIST, ALL, NONE)
    // Only software uses the line register: keep a private copy.
    .b(INTERRUPT_LINE, ALL, ALL)
    // The pin reads as zero when INTx is hidden.
    .b(INTERRUPT_PIN, ALL, NONE);

/// Power management (C: `init_pci_cap_pm_perm`).
static PM: Table<{ dwords(PM_SIZEOF) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    // The user cannot receive PME: hide the PME support bits (cleared at open).
    .w(PM_PMC, PM_CAP_PME_MASK, NONE)
    // The power state is changed by us on the user's behalf (see the write handler), so the
    // state bits are not writable; PME enable and status are virtual (cleared at open).
    .d(
        PM_CTRL,
        PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS,
        !(PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS | PM_CTRL_STATE_MASK),
    );

/// Vital product data (C: `init_pci_cap_vpd_perm`): address and data are virtual, the write
/// handler moves the data with `pci_read_vpd`/`pci_write_vpd`.
static VPD: Table<{ dwords(CAP_VPD_SIZEOF) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .w(VPD_ADDR, ALL, ALL)
    .d(VPD_DATA, ALL, ALL);

/// PCI-X (C: `init_pci_cap_pcix_perm`), sized for version 2 (version 0 uses 8 bytes of it).
static PCIX: Table<{ dwords(CAP_PCIX_SIZEOF_V2) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .w(X_CMD, NONE, ALL)
    .d(X_ECC_CSR, NONE, ALL);

/// PCI Express (C: `init_pci_cap_exp_perm`), sized for the largest endpoint layout.
///
/// Device control is writable except phantom functions (which would confuse the IOMMU); the
/// payload size is virtual (it must match the rest of the fabric), FLR and the read request
/// size are virtual and acted upon by the write handler. The ARI forwarding bit of device
/// control 2 is the host's.
static EXP: Table<{ dwords(CAP_EXP_ENDPOINT_SIZEOF_V2) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .w(
        EXP_DEVCTL,
        EXP_DEVCTL_BCR_FLR | EXP_DEVCTL_PAYLOAD | EXP_DEVCTL_READRQ,
        !EXP_DEVCTL_PHANTOM,
    )
    .w(EXP_DEVCTL2, NONE, !EXP_DEVCTL2_ARI);

/// Advanced features (C: `init_pci_cap_af_perm`): only the virtual FLR bit.
static AF: Table<{ dwords(CAP_AF_SIZEOF) }> =
    Table::new()
        .b(CAP_LIST_NEXT, ALL, NONE)
        .b(AF_CTRL, AF_CTRL_FLR, AF_CTRL_FLR);

/// The uncorrectable error bits of AER a user may set, mask or clear.
const ERR_UNC_WRITABLE: u32 = ERR_UNC_UND
    | ERR_UNC_DLP
    | ERR_UNC_SURPDN
    | ERR_UNC_POISON_TLP
    | ERR_UNC_FCP
    | ERR_UNC_COMP_TIME
    | ERR_UNC_COMP_ABORT
    | ERR_UNC_UNX_COMP
    | ERR_UNC_RX_OVER
    | ERR_UNC_MALF_TLP
    | ERR_UNC_ECRC
    | ERR_UNC_UNSUP
    | ERR_UNC_ACSV
    | ERR_UNC_INTN
    | ERR_UNC_MCBTLP
    | ERR_UNC_ATOMEG
    | ERR_UNC_TLPPRE;

/// The correctable error bits of AER a user may mask or clear.
const ERR_COR_WRITABLE: u32 = ERR_COR_RCVR
    | ERR_COR_BAD_TLP
    | ERR_COR_BAD_DLLP
    | ERR_COR_REP_ROLL
    | ERR_COR_REP_TIMER
    | ERR_COR_ADV_NFAT
    | ERR_COR_INTERNAL
    | ERR_COR_LOG_OVER;

/// Advanced error reporting (C: `init_pci_ext_cap_err_perm`). The header dword of every
/// extended capability is virtual: it holds the next pointer.
static ERR: Table<{ dwords(ERR_ROOT_COMMAND) }> = Table::new()
    .d(0, ALL, NONE)
    .d(ERR_UNCOR_STATUS, NONE, ERR_UNC_WRITABLE)
    .d(ERR_UNCOR_MASK, NONE, ERR_UNC_WRITABLE)
    .d(ERR_UNCOR_SEVER, NONE, ERR_UNC_WRITABLE)
    .d(ERR_COR_STATUS, NONE, ERR_COR_WRITABLE)
    .d(ERR_COR_MASK, NONE, ERR_COR_WRITABLE)
    .d(ERR_CAP, NONE, ERR_CAP_ECRC_GENE | ERR_CAP_ECRC_CHKE);

/// Power budgeting (C: `init_pci_ext_cap_pwr_perm`): the data select register only.
static PWR: Table<{ dwords(EXT_CAP_PWR_SIZEOF) }> =
    Table::new().d(0, ALL, NONE).b(PWR_DATA, NONE, ALL);

/// The largest MSI capability: 64-bit addresses and per-vector masking.
const MSI_MAX: u16 = 24;

/// The MSI flags a user may write: the enable bit and the number of vectors enabled, both
/// acted upon by the write handler. Multiple Message Capable and 64-bit address capable are
/// read-only, as the spec has them (C makes the whole low byte writable, so that a value
/// written there reads back).
const MSI_FLAGS_WRITABLE: u32 = MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE;

/// MSI with 32-bit addresses (C: `init_pci_cap_msi_perm`). Address and data are virtual (the
/// host programs the real ones), the flags' low byte is virtual, see [`MSI_FLAGS_WRITABLE`];
/// its high byte is the device's, read-only.
static MSI_32: Table<{ dwords(MSI_MAX) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .b(MSI_FLAGS, ALL, MSI_FLAGS_WRITABLE)
    .d(MSI_ADDRESS_LO, ALL, ALL)
    .w(MSI_DATA_32, ALL, ALL);

/// MSI with 32-bit addresses and masking: mask and pending bits go to the device.
static MSI_32_MASK: Table<{ dwords(MSI_MAX) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .b(MSI_FLAGS, ALL, MSI_FLAGS_WRITABLE)
    .d(MSI_ADDRESS_LO, ALL, ALL)
    .w(MSI_DATA_32, ALL, ALL)
    .d(MSI_MASK_32, NONE, ALL)
    .d(MSI_PENDING_32, NONE, ALL);

/// MSI with 64-bit addresses.
static MSI_64: Table<{ dwords(MSI_MAX) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .b(MSI_FLAGS, ALL, MSI_FLAGS_WRITABLE)
    .d(MSI_ADDRESS_LO, ALL, ALL)
    .d(MSI_ADDRESS_HI, ALL, ALL)
    .w(MSI_DATA_64, ALL, ALL);

/// MSI with 64-bit addresses and masking.
static MSI_64_MASK: Table<{ dwords(MSI_MAX) }> = Table::new()
    .b(CAP_LIST_NEXT, ALL, NONE)
    .b(MSI_FLAGS, ALL, MSI_FLAGS_WRITABLE)
    .d(MSI_ADDRESS_LO, ALL, ALL)
    .d(MSI_ADDRESS_HI, ALL, ALL)
    .w(MSI_DATA_64, ALL, ALL)
    .d(MSI_MASK_64, NONE, ALL)
    .d(MSI_PENDING_64, NONE, ALL);

/// How a region is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Read {
    /// Merge virtual and physical bits (C: `vfio_default_config_read`).
    Default,
    /// The header: BAR sizing first, then the default (C: `vfio_basic_config_read`).
    Basic,
    /// MSI: the default, see the handler (C: `vfio_msi_config_read`).
    Msi,
    /// The device's bits, except the capability ID and next pointer (C:
    /// `vfio_direct_config_read`).
    Direct,
    /// The device's bits (C: `vfio_raw_config_read`).
    Raw,
    /// The virtual config space only (C: `vfio_virt_config_read`).
    Virt,
}

/// How a region is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Write {
    /// Writes are dropped (C: no `writefn`).
    Drop,
    /// Writable bits go to the virtual config space or the device (C:
    /// `vfio_default_config_write`).
    Default,
    /// The header: command register, BARs, INTx disable (C: `vfio_basic_config_write`).
    Basic,
    /// Power management: power state changes (C: `vfio_pm_config_write`).
    Pm,
    /// Vital product data (C: `vfio_vpd_config_write`).
    Vpd,
    /// PCI Express: FLR and read request size (C: `vfio_exp_config_write`).
    Exp,
    /// Advanced features: FLR (C: `vfio_af_config_write`).
    Af,
    /// MSI flags (C: `vfio_msi_config_write`).
    Msi,
    /// Straight to the device (C: `vfio_raw_config_write`).
    Raw,
    /// To the virtual config space only (C: `vfio_virt_config_write`).
    Virt,
}

/// The permissions of one kind of region.
pub(crate) struct Perm {
    /// Virtual and writable bits, for the handlers that use them.
    pub(crate) bits: PermBits,
    /// The read handler.
    pub(crate) read: Read,
    /// The write handler.
    pub(crate) write: Write,
}

impl Perm {
    const fn new(bits: PermBits, read: Read, write: Write) -> Self {
        Self { bits, read, write }
    }
}

/// The header.
static PERM_BASIC: Perm = Perm::new(BASIC.bits(), Read::Basic, Write::Basic);
/// Power management.
static PERM_PM: Perm = Perm::new(PM.bits(), Read::Default, Write::Pm);
/// Vital product data.
static PERM_VPD: Perm = Perm::new(VPD.bits(), Read::Default, Write::Vpd);
/// PCI-X.
static PERM_PCIX: Perm = Perm::new(PCIX.bits(), Read::Default, Write::Default);
/// PCI Express.
static PERM_EXP: Perm = Perm::new(EXP.bits(), Read::Default, Write::Exp);
/// Advanced features.
static PERM_AF: Perm = Perm::new(AF.bits(), Read::Default, Write::Af);
/// MSI, by address size and masking.
static PERM_MSI: [Perm; 4] = [
    Perm::new(MSI_32.bits(), Read::Msi, Write::Msi),
    Perm::new(MSI_32_MASK.bits(), Read::Msi, Write::Msi),
    Perm::new(MSI_64.bits(), Read::Msi, Write::Msi),
    Perm::new(MSI_64_MASK.bits(), Read::Msi, Write::Msi),
];
/// Advanced error reporting.
static PERM_ERR: Perm = Perm::new(ERR.bits(), Read::Default, Write::Default);
/// Power budgeting.
static PERM_PWR: Perm = Perm::new(PWR.bits(), Read::Default, Write::Default);
/// Vendor-specific capabilities: the device's, read and written as they are, but for the
/// chain pointers.
static PERM_VENDOR: Perm = Perm::new(PermBits::NONE, Read::Direct, Write::Raw);
/// Every other capability: read-only, chain pointers virtual (C: `direct_ro_perms`).
pub(crate) static PERM_DIRECT_RO: Perm = Perm::new(PermBits::NONE, Read::Direct, Write::Drop);
/// Bytes outside any capability: raw access, as some devices keep registers in the gaps (C:
/// `unassigned_perms`); like BARs, this relies on the device's isolation.
pub(crate) static PERM_UNASSIGNED: Perm = Perm::new(PermBits::NONE, Read::Raw, Write::Raw);
/// Bytes a variant driver emulates entirely (C: `virt_perms`).
pub(crate) static PERM_VIRT: Perm = Perm::new(PermBits::NONE, Read::Virt, Write::Virt);

/// The permissions of standard capability `id` (0 is the header); MSI has its own, see
/// [`msi_perm`].
pub(crate) fn cap_perm(id: u8) -> &'static Perm {
    match id {
        0 => &PERM_BASIC,
        CAP_ID_PM => &PERM_PM,
        CAP_ID_VPD => &PERM_VPD,
        CAP_ID_PCIX => &PERM_PCIX,
        CAP_ID_VNDR => &PERM_VENDOR,
        CAP_ID_EXP => &PERM_EXP,
        CAP_ID_AF => &PERM_AF,
        _ => &PERM_DIRECT_RO,
    }
}

/// The permissions of extended capability `id`.
pub(crate) fn ecap_perm(id: u16) -> &'static Perm {
    match id {
        EXT_CAP_ID_ERR => &PERM_ERR,
        EXT_CAP_ID_PWR => &PERM_PWR,
        EXT_CAP_ID_VNDR | EXT_CAP_ID_DVSEC => &PERM_VENDOR,
        _ => &PERM_DIRECT_RO,
    }
}

/// The permissions of an MSI capability with message control `flags`.
pub(crate) fn msi_perm(flags: u32) -> &'static Perm {
    let i = match (flags & MSI_FLAGS_64BIT != 0, flags & MSI_FLAGS_MASKBIT != 0) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    };
    &PERM_MSI[i]
}

/// All ones in the low `n` bytes.
pub(crate) fn bytes_mask(n: usize) -> u32 {
    match n {
        0 => 0,
        1 => 0xff,
        2 => 0xffff,
        3 => 0x00ff_ffff,
        _ => ALL,
    }
}

/// What a read returns: the virtual bits from `vval`, the others from `phys`.
pub(crate) fn merge(phys: u32, vval: u32, virt: u32) -> u32 {
    (phys & !virt) | (vval & virt)
}

/// What a register holds after a write of `val` that may change the bits of `mask` only.
pub(crate) fn update(old: u32, val: u32, mask: u32) -> u32 {
    (old & !mask) | (val & mask)
}
