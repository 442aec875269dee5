// SPDX-License-Identifier: GPL-2.0

//! Config space register offsets, sizes and bits, from
//! [`include/uapi/linux/pci_regs.h`](srctree/include/uapi/linux/pci_regs.h).
//!
//! Named as in C without the `PCI_` prefix. Offsets and sizes are `u16` (config space is at
//! most 4 KiB), capability IDs `u8` (`u16` for extended ones), bit masks `u32`.

// A table of the spec's names: not every one is used, and listing them all keeps it easy to check.
#![allow(dead_code)]

/// `PCI_STD_HEADER_SIZEOF`.
pub(crate) const STD_HEADER_SIZEOF: u16 = 0x40;
/// `PCI_CFG_SPACE_SIZE`.
pub(crate) const CFG_SPACE_SIZE: u16 = 0x100;
/// `PCI_CAP_ID_MAX`.
pub(crate) const CAP_ID_MAX: u8 = 0x14;
/// `PCI_EXT_CAP_ID_MAX`.
pub(crate) const EXT_CAP_ID_MAX: u16 = 0x31;
/// `PCI_PM_SIZEOF`.
pub(crate) const PM_SIZEOF: u16 = 8;
/// `PCI_AGP_SIZEOF`.
pub(crate) const AGP_SIZEOF: u16 = 0xc;
/// `PCI_CAP_VPD_SIZEOF`.
pub(crate) const CAP_VPD_SIZEOF: u16 = 8;
/// `PCI_CAP_MSIX_SIZEOF`.
pub(crate) const CAP_MSIX_SIZEOF: u16 = 0xc;
/// `PCI_CAP_AF_SIZEOF`.
pub(crate) const CAP_AF_SIZEOF: u16 = 6;
/// `PCI_EXT_CAP_DSN_SIZEOF`.
pub(crate) const EXT_CAP_DSN_SIZEOF: u16 = 0xc;
/// `PCI_EXT_CAP_PWR_SIZEOF`.
pub(crate) const EXT_CAP_PWR_SIZEOF: u16 = 0x10;
/// `PCI_EXT_CAP_ARI_SIZEOF`.
pub(crate) const EXT_CAP_ARI_SIZEOF: u16 = 8;
/// `PCI_EXT_CAP_ATS_SIZEOF`.
pub(crate) const EXT_CAP_ATS_SIZEOF: u16 = 8;
/// `PCI_EXT_CAP_SRIOV_SIZEOF`.
pub(crate) const EXT_CAP_SRIOV_SIZEOF: u16 = 0x40;
/// `PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF`.
pub(crate) const EXT_CAP_MCAST_ENDPOINT_SIZEOF: u16 = 0x28;
/// `PCI_EXT_CAP_PRI_SIZEOF`.
pub(crate) const EXT_CAP_PRI_SIZEOF: u16 = 0x10;
/// `PCI_EXT_CAP_LTR_SIZEOF`.
pub(crate) const EXT_CAP_LTR_SIZEOF: u16 = 8;
/// `PCI_ERR_ROOT_COMMAND`.
pub(crate) const ERR_ROOT_COMMAND: u16 = 0x2c;
/// `PCI_CAP_PCIX_SIZEOF_V0`.
pub(crate) const CAP_PCIX_SIZEOF_V0: u16 = 8;
/// `PCI_CAP_PCIX_SIZEOF_V2`.
pub(crate) const CAP_PCIX_SIZEOF_V2: u16 = 0x18;
/// `PCI_CAP_EXP_ENDPOINT_SIZEOF_V1`.
pub(crate) const CAP_EXP_ENDPOINT_SIZEOF_V1: u16 = 0x14;
/// `PCI_CAP_EXP_ENDPOINT_SIZEOF_V2`.
pub(crate) const CAP_EXP_ENDPOINT_SIZEOF_V2: u16 = 0x34;
/// `PCI_CAP_SIZEOF`.
pub(crate) const CAP_SIZEOF: u16 = 4;
/// `PCI_CAP_VC_BASE_SIZEOF`.
pub(crate) const CAP_VC_BASE_SIZEOF: u16 = 0x10;
/// `PCI_CAP_VC_PER_VC_SIZEOF`.
pub(crate) const CAP_VC_PER_VC_SIZEOF: u16 = 0xc;
/// `PCI_CAP_ID_PM`.
pub(crate) const CAP_ID_PM: u8 = 1;
/// `PCI_CAP_ID_AGP`.
pub(crate) const CAP_ID_AGP: u8 = 2;
/// `PCI_CAP_ID_VPD`.
pub(crate) const CAP_ID_VPD: u8 = 3;
/// `PCI_CAP_ID_SLOTID`.
pub(crate) const CAP_ID_SLOTID: u8 = 4;
/// `PCI_CAP_ID_MSI`.
pub(crate) const CAP_ID_MSI: u8 = 5;
/// `PCI_CAP_ID_CHSWP`.
pub(crate) const CAP_ID_CHSWP: u8 = 6;
/// `PCI_CAP_ID_PCIX`.
pub(crate) const CAP_ID_PCIX: u8 = 7;
/// `PCI_CAP_ID_HT`.
pub(crate) const CAP_ID_HT: u8 = 8;
/// `PCI_CAP_ID_VNDR`.
pub(crate) const CAP_ID_VNDR: u8 = 9;
/// `PCI_CAP_ID_DBG`.
pub(crate) const CAP_ID_DBG: u8 = 0xa;
/// `PCI_CAP_ID_CCRC`.
pub(crate) const CAP_ID_CCRC: u8 = 0xb;
/// `PCI_CAP_ID_SHPC`.
pub(crate) const CAP_ID_SHPC: u8 = 0xc;
/// `PCI_CAP_ID_SSVID`.
pub(crate) const CAP_ID_SSVID: u8 = 0xd;
/// `PCI_CAP_ID_AGP3`.
pub(crate) const CAP_ID_AGP3: u8 = 0xe;
/// `PCI_CAP_ID_SECDEV`.
pub(crate) const CAP_ID_SECDEV: u8 = 0xf;
/// `PCI_CAP_ID_EXP`.
pub(crate) const CAP_ID_EXP: u8 = 0x10;
/// `PCI_CAP_ID_MSIX`.
pub(crate) const CAP_ID_MSIX: u8 = 0x11;
/// `PCI_CAP_ID_SATA`.
pub(crate) const CAP_ID_SATA: u8 = 0x12;
/// `PCI_CAP_ID_AF`.
pub(crate) const CAP_ID_AF: u8 = 0x13;
/// `PCI_EXT_CAP_ID_ERR`.
pub(crate) const EXT_CAP_ID_ERR: u16 = 1;
/// `PCI_EXT_CAP_ID_VC`.
pub(crate) const EXT_CAP_ID_VC: u16 = 2;
/// `PCI_EXT_CAP_ID_DSN`.
pub(crate) const EXT_CAP_ID_DSN: u16 = 3;
/// `PCI_EXT_CAP_ID_PWR`.
pub(crate) const EXT_CAP_ID_PWR: u16 = 4;
/// `PCI_EXT_CAP_ID_RCLD`.
pub(crate) const EXT_CAP_ID_RCLD: u16 = 5;
/// `PCI_EXT_CAP_ID_RCILC`.
pub(crate) const EXT_CAP_ID_RCILC: u16 = 6;
/// `PCI_EXT_CAP_ID_RCEC`.
pub(crate) const EXT_CAP_ID_RCEC: u16 = 7;
/// `PCI_EXT_CAP_ID_MFVC`.
pub(crate) const EXT_CAP_ID_MFVC: u16 = 8;
/// `PCI_EXT_CAP_ID_VC9`.
pub(crate) const EXT_CAP_ID_VC9: u16 = 9;
/// `PCI_EXT_CAP_ID_RCRB`.
pub(crate) const EXT_CAP_ID_RCRB: u16 = 0xa;
/// `PCI_EXT_CAP_ID_VNDR`.
pub(crate) const EXT_CAP_ID_VNDR: u16 = 0xb;
/// `PCI_EXT_CAP_ID_CAC`.
pub(crate) const EXT_CAP_ID_CAC: u16 = 0xc;
/// `PCI_EXT_CAP_ID_ACS`.
pub(crate) const EXT_CAP_ID_ACS: u16 = 0xd;
/// `PCI_EXT_CAP_ID_ARI`.
pub(crate) const EXT_CAP_ID_ARI: u16 = 0xe;
/// `PCI_EXT_CAP_ID_ATS`.
pub(crate) const EXT_CAP_ID_ATS: u16 = 0xf;
/// `PCI_EXT_CAP_ID_SRIOV`.
pub(crate) const EXT_CAP_ID_SRIOV: u16 = 0x10;
/// `PCI_EXT_CAP_ID_MRIOV`.
pub(crate) const EXT_CAP_ID_MRIOV: u16 = 0x11;
/// `PCI_EXT_CAP_ID_MCAST`.
pub(crate) const EXT_CAP_ID_MCAST: u16 = 0x12;
/// `PCI_EXT_CAP_ID_PRI`.
pub(crate) const EXT_CAP_ID_PRI: u16 = 0x13;
/// `PCI_EXT_CAP_ID_AMD_XXX`.
pub(crate) const EXT_CAP_ID_AMD_XXX: u16 = 0x14;
/// `PCI_EXT_CAP_ID_REBAR`.
pub(crate) const EXT_CAP_ID_REBAR: u16 = 0x15;
/// `PCI_EXT_CAP_ID_DPA`.
pub(crate) const EXT_CAP_ID_DPA: u16 = 0x16;
/// `PCI_EXT_CAP_ID_TPH`.
pub(crate) const EXT_CAP_ID_TPH: u16 = 0x17;
/// `PCI_EXT_CAP_ID_LTR`.
pub(crate) const EXT_CAP_ID_LTR: u16 = 0x18;
/// `PCI_EXT_CAP_ID_SECPCI`.
pub(crate) const EXT_CAP_ID_SECPCI: u16 = 0x19;
/// `PCI_EXT_CAP_ID_PMUX`.
pub(crate) const EXT_CAP_ID_PMUX: u16 = 0x1a;
/// `PCI_EXT_CAP_ID_PASID`.
pub(crate) const EXT_CAP_ID_PASID: u16 = 0x1b;
/// `PCI_EXT_CAP_ID_DVSEC`.
pub(crate) const EXT_CAP_ID_DVSEC: u16 = 0x23;
/// `PCI_VENDOR_ID`.
pub(crate) const VENDOR_ID: u16 = 0;
/// `PCI_DEVICE_ID`.
pub(crate) const DEVICE_ID: u16 = 2;
/// `PCI_COMMAND`.
pub(crate) const COMMAND: u16 = 4;
/// `PCI_STATUS`.
pub(crate) const STATUS: u16 = 6;
/// `PCI_CACHE_LINE_SIZE`.
pub(crate) const CACHE_LINE_SIZE: u16 = 0xc;
/// `PCI_LATENCY_TIMER`.
pub(crate) const LATENCY_TIMER: u16 = 0xd;
/// `PCI_BIST`.
pub(crate) const BIST: u16 = 0xf;
/// `PCI_BASE_ADDRESS_0`.
pub(crate) const BASE_ADDRESS_0: u16 = 0x10;
/// `PCI_BASE_ADDRESS_1`.
pub(crate) const BASE_ADDRESS_1: u16 = 0x14;
/// `PCI_BASE_ADDRESS_2`.
pub(crate) const BASE_ADDRESS_2: u16 = 0x18;
/// `PCI_BASE_ADDRESS_3`.
pub(crate) const BASE_ADDRESS_3: u16 = 0x1c;
/// `PCI_BASE_ADDRESS_4`.
pub(crate) const BASE_ADDRESS_4: u16 = 0x20;
/// `PCI_BASE_ADDRESS_5`.
pub(crate) const BASE_ADDRESS_5: u16 = 0x24;
/// `PCI_ROM_ADDRESS`.
pub(crate) const ROM_ADDRESS: u16 = 0x30;
/// `PCI_CAPABILITY_LIST`.
pub(crate) const CAPABILITY_LIST: u16 = 0x34;
/// `PCI_INTERRUPT_LINE`.
pub(crate) const INTERRUPT_LINE: u16 = 0x3c;
/// `PCI_INTERRUPT_PIN`.
pub(crate) const INTERRUPT_PIN: u16 = 0x3d;
/// `PCI_COMMAND_IO`.
pub(crate) const COMMAND_IO: u32 = 1;
/// `PCI_COMMAND_MEMORY`.
pub(crate) const COMMAND_MEMORY: u32 = 2;
/// `PCI_COMMAND_MASTER`.
pub(crate) const COMMAND_MASTER: u32 = 4;
/// `PCI_COMMAND_INTX_DISABLE`.
pub(crate) const COMMAND_INTX_DISABLE: u32 = 0x400;
/// `PCI_STATUS_CAP_LIST`.
pub(crate) const STATUS_CAP_LIST: u32 = 0x10;
/// `PCI_ROM_ADDRESS_ENABLE`.
pub(crate) const ROM_ADDRESS_ENABLE: u32 = 1;
/// `PCI_BASE_ADDRESS_SPACE_IO`.
pub(crate) const BASE_ADDRESS_SPACE_IO: u32 = 1;
/// `PCI_BASE_ADDRESS_SPACE_MEMORY`.
pub(crate) const BASE_ADDRESS_SPACE_MEMORY: u32 = 0;
/// `PCI_BASE_ADDRESS_MEM_PREFETCH`.
pub(crate) const BASE_ADDRESS_MEM_PREFETCH: u32 = 8;
/// `PCI_BASE_ADDRESS_MEM_TYPE_64`.
pub(crate) const BASE_ADDRESS_MEM_TYPE_64: u32 = 4;
/// `PCI_CAP_LIST_ID`.
pub(crate) const CAP_LIST_ID: u16 = 0;
/// `PCI_CAP_LIST_NEXT`.
pub(crate) const CAP_LIST_NEXT: u16 = 1;
/// `PCI_CAP_FLAGS`.
pub(crate) const CAP_FLAGS: u16 = 2;
/// `PCI_PM_PMC`.
pub(crate) const PM_PMC: u16 = 2;
/// `PCI_PM_CTRL`.
pub(crate) const PM_CTRL: u16 = 4;
/// `PCI_PM_CAP_PME_MASK`.
pub(crate) const PM_CAP_PME_MASK: u32 = 0xf800;
/// `PCI_PM_CTRL_PME_ENABLE`.
pub(crate) const PM_CTRL_PME_ENABLE: u32 = 0x100;
/// `PCI_PM_CTRL_PME_STATUS`.
pub(crate) const PM_CTRL_PME_STATUS: u32 = 0x8000;
/// `PCI_PM_CTRL_STATE_MASK`.
pub(crate) const PM_CTRL_STATE_MASK: u32 = 3;
/// `PCI_VPD_ADDR`.
pub(crate) const VPD_ADDR: u16 = 2;
/// `PCI_VPD_DATA`.
pub(crate) const VPD_DATA: u16 = 4;
/// `PCI_VPD_ADDR_F`.
pub(crate) const VPD_ADDR_F: u32 = 0x8000;
/// `PCI_X_CMD`.
pub(crate) const X_CMD: u16 = 2;
/// `PCI_X_ECC_CSR`.
pub(crate) const X_ECC_CSR: u16 = 8;
/// `PCI_EXP_FLAGS`.
pub(crate) const EXP_FLAGS: u16 = 2;
/// `PCI_EXP_FLAGS_VERS`.
pub(crate) const EXP_FLAGS_VERS: u32 = 0xf;
/// `PCI_EXP_FLAGS_TYPE`.
pub(crate) const EXP_FLAGS_TYPE: u32 = 0xf0;
/// `PCI_EXP_TYPE_RC_END`.
pub(crate) const EXP_TYPE_RC_END: u32 = 9;
/// `PCI_EXP_DEVCAP`.
pub(crate) const EXP_DEVCAP: u16 = 4;
/// `PCI_EXP_DEVCAP_FLR`.
pub(crate) const EXP_DEVCAP_FLR: u32 = 0x1000_0000;
/// `PCI_EXP_DEVCTL`.
pub(crate) const EXP_DEVCTL: u16 = 8;
/// `PCI_EXP_DEVCTL_BCR_FLR`.
pub(crate) const EXP_DEVCTL_BCR_FLR: u32 = 0x8000;
/// `PCI_EXP_DEVCTL_PAYLOAD`.
pub(crate) const EXP_DEVCTL_PAYLOAD: u32 = 0xe0;
/// `PCI_EXP_DEVCTL_READRQ`.
pub(crate) const EXP_DEVCTL_READRQ: u32 = 0x7000;
/// `PCI_EXP_DEVCTL_PHANTOM`.
pub(crate) const EXP_DEVCTL_PHANTOM: u32 = 0x200;
/// `PCI_EXP_DEVCTL2`.
pub(crate) const EXP_DEVCTL2: u16 = 0x28;
/// `PCI_EXP_DEVCTL2_ARI`.
pub(crate) const EXP_DEVCTL2_ARI: u32 = 0x20;
/// `PCI_AF_CAP`.
pub(crate) const AF_CAP: u16 = 3;
/// `PCI_AF_CTRL`.
pub(crate) const AF_CTRL: u16 = 4;
/// `PCI_AF_CTRL_FLR`.
pub(crate) const AF_CTRL_FLR: u32 = 1;
/// `PCI_AF_CAP_FLR`.
pub(crate) const AF_CAP_FLR: u32 = 2;
/// `PCI_AF_CAP_TP`.
pub(crate) const AF_CAP_TP: u32 = 1;
/// `PCI_ERR_UNC_UND`.
pub(crate) const ERR_UNC_UND: u32 = 1;
/// `PCI_ERR_UNC_DLP`.
pub(crate) const ERR_UNC_DLP: u32 = 0x10;
/// `PCI_ERR_UNC_SURPDN`.
pub(crate) const ERR_UNC_SURPDN: u32 = 0x20;
/// `PCI_ERR_UNC_POISON_TLP`.
pub(crate) const ERR_UNC_POISON_TLP: u32 = 0x1000;
/// `PCI_ERR_UNC_FCP`.
pub(crate) const ERR_UNC_FCP: u32 = 0x2000;
/// `PCI_ERR_UNC_COMP_TIME`.
pub(crate) const ERR_UNC_COMP_TIME: u32 = 0x4000;
/// `PCI_ERR_UNC_COMP_ABORT`.
pub(crate) const ERR_UNC_COMP_ABORT: u32 = 0x8000;
/// `PCI_ERR_UNC_UNX_COMP`.
pub(crate) const ERR_UNC_UNX_COMP: u32 = 0x0001_0000;
/// `PCI_ERR_UNC_RX_OVER`.
pub(crate) const ERR_UNC_RX_OVER: u32 = 0x0002_0000;
/// `PCI_ERR_UNC_MALF_TLP`.
pub(crate) const ERR_UNC_MALF_TLP: u32 = 0x0004_0000;
/// `PCI_ERR_UNC_ECRC`.
pub(crate) const ERR_UNC_ECRC: u32 = 0x0008_0000;
/// `PCI_ERR_UNC_UNSUP`.
pub(crate) const ERR_UNC_UNSUP: u32 = 0x0010_0000;
/// `PCI_ERR_UNC_ACSV`.
pub(crate) const ERR_UNC_ACSV: u32 = 0x0020_0000;
/// `PCI_ERR_UNC_INTN`.
pub(crate) const ERR_UNC_INTN: u32 = 0x0040_0000;
/// `PCI_ERR_UNC_MCBTLP`.
pub(crate) const ERR_UNC_MCBTLP: u32 = 0x0080_0000;
/// `PCI_ERR_UNC_ATOMEG`.
pub(crate) const ERR_UNC_ATOMEG: u32 = 0x0100_0000;
/// `PCI_ERR_UNC_TLPPRE`.
pub(crate) const ERR_UNC_TLPPRE: u32 = 0x0200_0000;
/// `PCI_ERR_UNCOR_STATUS`.
pub(crate) const ERR_UNCOR_STATUS: u16 = 4;
/// `PCI_ERR_UNCOR_MASK`.
pub(crate) const ERR_UNCOR_MASK: u16 = 8;
/// `PCI_ERR_UNCOR_SEVER`.
pub(crate) const ERR_UNCOR_SEVER: u16 = 0xc;
/// `PCI_ERR_COR_STATUS`.
pub(crate) const ERR_COR_STATUS: u16 = 0x10;
/// `PCI_ERR_COR_MASK`.
pub(crate) const ERR_COR_MASK: u16 = 0x14;
/// `PCI_ERR_CAP`.
pub(crate) const ERR_CAP: u16 = 0x18;
/// `PCI_ERR_COR_RCVR`.
pub(crate) const ERR_COR_RCVR: u32 = 1;
/// `PCI_ERR_COR_BAD_TLP`.
pub(crate) const ERR_COR_BAD_TLP: u32 = 0x40;
/// `PCI_ERR_COR_BAD_DLLP`.
pub(crate) const ERR_COR_BAD_DLLP: u32 = 0x80;
/// `PCI_ERR_COR_REP_ROLL`.
pub(crate) const ERR_COR_REP_ROLL: u32 = 0x100;
/// `PCI_ERR_COR_REP_TIMER`.
pub(crate) const ERR_COR_REP_TIMER: u32 = 0x1000;
/// `PCI_ERR_COR_ADV_NFAT`.
pub(crate) const ERR_COR_ADV_NFAT: u32 = 0x2000;
/// `PCI_ERR_COR_INTERNAL`.
pub(crate) const ERR_COR_INTERNAL: u32 = 0x4000;
/// `PCI_ERR_COR_LOG_OVER`.
pub(crate) const ERR_COR_LOG_OVER: u32 = 0x8000;
/// `PCI_ERR_CAP_ECRC_GENE`.
pub(crate) const ERR_CAP_ECRC_GENE: u32 = 0x40;
/// `PCI_ERR_CAP_ECRC_CHKE`.
pub(crate) const ERR_CAP_ECRC_CHKE: u32 = 0x100;
/// `PCI_PWR_DATA`.
pub(crate) const PWR_DATA: u16 = 8;
/// `PCI_MSI_FLAGS`.
pub(crate) const MSI_FLAGS: u16 = 2;
/// `PCI_MSI_FLAGS_QMASK`.
pub(crate) const MSI_FLAGS_QMASK: u32 = 0xe;
/// `PCI_MSI_FLAGS_QSIZE`.
pub(crate) const MSI_FLAGS_QSIZE: u32 = 0x70;
/// `PCI_MSI_FLAGS_ENABLE`.
pub(crate) const MSI_FLAGS_ENABLE: u32 = 1;
/// `PCI_MSI_FLAGS_64BIT`.
pub(crate) const MSI_FLAGS_64BIT: u32 = 0x80;
/// `PCI_MSI_FLAGS_MASKBIT`.
pub(crate) const MSI_FLAGS_MASKBIT: u32 = 0x100;
/// `PCI_MSI_ADDRESS_LO`.
pub(crate) const MSI_ADDRESS_LO: u16 = 4;
/// `PCI_MSI_ADDRESS_HI`.
pub(crate) const MSI_ADDRESS_HI: u16 = 8;
/// `PCI_MSI_DATA_32`.
pub(crate) const MSI_DATA_32: u16 = 8;
/// `PCI_MSI_DATA_64`.
pub(crate) const MSI_DATA_64: u16 = 0xc;
/// `PCI_MSI_MASK_32`.
pub(crate) const MSI_MASK_32: u16 = 0xc;
/// `PCI_MSI_MASK_64`.
pub(crate) const MSI_MASK_64: u16 = 0x10;
/// `PCI_MSI_PENDING_32`.
pub(crate) const MSI_PENDING_32: u16 = 0x10;
/// `PCI_MSI_PENDING_64`.
pub(crate) const MSI_PENDING_64: u16 = 0x14;
/// `PCI_VC_PORT_CAP1`.
pub(crate) const VC_PORT_CAP1: u16 = 4;
/// `PCI_VC_PORT_CAP2`.
pub(crate) const VC_PORT_CAP2: u16 = 8;
/// `PCI_VC_CAP1_EVCC`.
pub(crate) const VC_CAP1_EVCC: u32 = 7;
/// `PCI_VC_CAP2_128_PHASE`.
pub(crate) const VC_CAP2_128_PHASE: u32 = 8;
/// `PCI_VC_CAP2_64_PHASE`.
pub(crate) const VC_CAP2_64_PHASE: u32 = 4;
/// `PCI_VC_CAP2_32_PHASE`.
pub(crate) const VC_CAP2_32_PHASE: u32 = 2;
/// `HT_3BIT_CAP_MASK`.
pub(crate) const HT_3BIT_CAP_MASK: u32 = 0xe0;
/// `HT_CAP_SIZEOF_SHORT`.
pub(crate) const HT_CAP_SIZEOF_SHORT: u16 = 0x18;
/// `HT_CAP_SIZEOF_LONG`.
pub(crate) const HT_CAP_SIZEOF_LONG: u16 = 0x1c;
/// `PCI_SATA_REGS`.
pub(crate) const SATA_REGS: u16 = 4;
/// `PCI_SATA_REGS_MASK`.
pub(crate) const SATA_REGS_MASK: u32 = 0xf;
/// `PCI_SATA_REGS_INLINE`.
pub(crate) const SATA_REGS_INLINE: u32 = 0xf;
/// `PCI_SATA_SIZEOF_LONG`.
pub(crate) const SATA_SIZEOF_LONG: u16 = 0x10;
/// `PCI_SATA_SIZEOF_SHORT`.
pub(crate) const SATA_SIZEOF_SHORT: u16 = 8;
/// `PCI_VNDR_HEADER`.
pub(crate) const VNDR_HEADER: u16 = 4;
/// `PCI_ACS_CAP`.
pub(crate) const ACS_CAP: u16 = 4;
/// `PCI_ACS_EC`.
pub(crate) const ACS_EC: u32 = 0x20;
/// `PCI_ACS_EGRESS_BITS`.
pub(crate) const ACS_EGRESS_BITS: u16 = 5;
/// `PCI_REBAR_CTRL`.
pub(crate) const REBAR_CTRL: u16 = 8;
/// `PCI_REBAR_CTRL_NBAR_MASK`.
pub(crate) const REBAR_CTRL_NBAR_MASK: u32 = 0xe0;
/// `PCI_REBAR_CTRL_NBAR_SHIFT`.
pub(crate) const REBAR_CTRL_NBAR_SHIFT: u32 = 5;
/// `PCI_DPA_CAP`.
pub(crate) const DPA_CAP: u16 = 4;
/// `PCI_DPA_CAP_SUBSTATE_MASK`.
pub(crate) const DPA_CAP_SUBSTATE_MASK: u32 = 0x1f;
/// `PCI_DPA_BASE_SIZEOF`.
pub(crate) const DPA_BASE_SIZEOF: u16 = 0x10;
/// `PCI_TPH_CAP`.
pub(crate) const TPH_CAP: u16 = 4;
/// `PCI_TPH_CAP_LOC_MASK`.
pub(crate) const TPH_CAP_LOC_MASK: u32 = 0x600;
/// `PCI_TPH_LOC_CAP`.
pub(crate) const TPH_LOC_CAP: u32 = 0x200;
/// `PCI_TPH_CAP_ST_MASK`.
pub(crate) const TPH_CAP_ST_MASK: u32 = 0x07ff_0000;
/// `PCI_TPH_CAP_ST_SHIFT`.
pub(crate) const TPH_CAP_ST_SHIFT: u32 = 0x10;
/// `PCI_TPH_BASE_SIZEOF`.
pub(crate) const TPH_BASE_SIZEOF: u16 = 0xc;
/// `PCI_DVSEC_HEADER1`.
pub(crate) const DVSEC_HEADER1: u16 = 4;
