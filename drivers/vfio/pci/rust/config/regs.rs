// SPDX-License-Identifier: GPL-2.0

//! Config space register offsets, sizes and bits, from the generated
//! [`include/uapi/linux/pci_regs.h`](srctree/include/uapi/linux/pci_regs.h) bindings.
//!
//! Named as in C without the `PCI_` prefix, and typed as this driver uses them: offsets and
//! sizes are `u16` (config space is at most 4 KiB), capability IDs `u8` (`u16` for extended
//! ones), bit masks `u32` (as generated). The conversions are checked at compile time.

use kernel::uapi;

/// A generated offset, size or extended capability ID, as the `u16` it fits in.
const fn to_u16(v: u32) -> u16 {
    // Evaluated at compile time only (every use is a constant): a failure does not build.
    assert!(v <= 0xffff);
    // CAST: Checked above.
    v as u16
}

/// A generated standard capability ID, as the byte it is in config space.
const fn to_u8(v: u32) -> u8 {
    // Evaluated at compile time only (every use is a constant): a failure does not build.
    assert!(v <= 0xff);
    // CAST: Checked above.
    v as u8
}

/// `PCI_STD_HEADER_SIZEOF`.
pub(crate) const STD_HEADER_SIZEOF: u16 = to_u16(uapi::PCI_STD_HEADER_SIZEOF);
/// `PCI_CFG_SPACE_SIZE`.
pub(crate) const CFG_SPACE_SIZE: u16 = to_u16(uapi::PCI_CFG_SPACE_SIZE);
/// `PCI_CAP_ID_MAX`.
pub(crate) const CAP_ID_MAX: u8 = to_u8(uapi::PCI_CAP_ID_MAX);
/// `PCI_EXT_CAP_ID_MAX`.
pub(crate) const EXT_CAP_ID_MAX: u16 = to_u16(uapi::PCI_EXT_CAP_ID_MAX);
/// `PCI_PM_SIZEOF`.
pub(crate) const PM_SIZEOF: u16 = to_u16(uapi::PCI_PM_SIZEOF);
/// `PCI_AGP_SIZEOF`.
pub(crate) const AGP_SIZEOF: u16 = to_u16(uapi::PCI_AGP_SIZEOF);
/// `PCI_CAP_VPD_SIZEOF`.
pub(crate) const CAP_VPD_SIZEOF: u16 = to_u16(uapi::PCI_CAP_VPD_SIZEOF);
/// `PCI_CAP_MSIX_SIZEOF`.
pub(crate) const CAP_MSIX_SIZEOF: u16 = to_u16(uapi::PCI_CAP_MSIX_SIZEOF);
/// `PCI_CAP_AF_SIZEOF`.
pub(crate) const CAP_AF_SIZEOF: u16 = to_u16(uapi::PCI_CAP_AF_SIZEOF);
/// `PCI_EXT_CAP_DSN_SIZEOF`.
pub(crate) const EXT_CAP_DSN_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_DSN_SIZEOF);
/// `PCI_EXT_CAP_PWR_SIZEOF`.
pub(crate) const EXT_CAP_PWR_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_PWR_SIZEOF);
/// `PCI_EXT_CAP_ARI_SIZEOF`.
pub(crate) const EXT_CAP_ARI_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_ARI_SIZEOF);
/// `PCI_EXT_CAP_ATS_SIZEOF`.
pub(crate) const EXT_CAP_ATS_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_ATS_SIZEOF);
/// `PCI_EXT_CAP_SRIOV_SIZEOF`.
pub(crate) const EXT_CAP_SRIOV_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_SRIOV_SIZEOF);
/// `PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF`.
pub(crate) const EXT_CAP_MCAST_ENDPOINT_SIZEOF: u16 =
    to_u16(uapi::PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF);
/// `PCI_EXT_CAP_PRI_SIZEOF`.
pub(crate) const EXT_CAP_PRI_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_PRI_SIZEOF);
/// `PCI_EXT_CAP_LTR_SIZEOF`.
pub(crate) const EXT_CAP_LTR_SIZEOF: u16 = to_u16(uapi::PCI_EXT_CAP_LTR_SIZEOF);
/// `PCI_ERR_ROOT_COMMAND`.
pub(crate) const ERR_ROOT_COMMAND: u16 = to_u16(uapi::PCI_ERR_ROOT_COMMAND);
/// `PCI_CAP_PCIX_SIZEOF_V0`.
pub(crate) const CAP_PCIX_SIZEOF_V0: u16 = to_u16(uapi::PCI_CAP_PCIX_SIZEOF_V0);
/// `PCI_CAP_PCIX_SIZEOF_V2`.
pub(crate) const CAP_PCIX_SIZEOF_V2: u16 = to_u16(uapi::PCI_CAP_PCIX_SIZEOF_V2);
/// `PCI_CAP_EXP_ENDPOINT_SIZEOF_V1`.
pub(crate) const CAP_EXP_ENDPOINT_SIZEOF_V1: u16 = to_u16(uapi::PCI_CAP_EXP_ENDPOINT_SIZEOF_V1);
/// `PCI_CAP_EXP_ENDPOINT_SIZEOF_V2`.
pub(crate) const CAP_EXP_ENDPOINT_SIZEOF_V2: u16 = to_u16(uapi::PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
/// `PCI_CAP_SIZEOF`.
pub(crate) const CAP_SIZEOF: u16 = to_u16(uapi::PCI_CAP_SIZEOF);
/// `PCI_CAP_VC_BASE_SIZEOF`.
pub(crate) const CAP_VC_BASE_SIZEOF: u16 = to_u16(uapi::PCI_CAP_VC_BASE_SIZEOF);
/// `PCI_CAP_VC_PER_VC_SIZEOF`.
pub(crate) const CAP_VC_PER_VC_SIZEOF: u16 = to_u16(uapi::PCI_CAP_VC_PER_VC_SIZEOF);
/// `PCI_CAP_ID_PM`.
pub(crate) const CAP_ID_PM: u8 = to_u8(uapi::PCI_CAP_ID_PM);
/// `PCI_CAP_ID_AGP`.
pub(crate) const CAP_ID_AGP: u8 = to_u8(uapi::PCI_CAP_ID_AGP);
/// `PCI_CAP_ID_VPD`.
pub(crate) const CAP_ID_VPD: u8 = to_u8(uapi::PCI_CAP_ID_VPD);
/// `PCI_CAP_ID_SLOTID` (only the tests name it).
#[cfg(CONFIG_VFIO_PCI_RUST_KUNIT_TEST)]
pub(crate) const CAP_ID_SLOTID: u8 = to_u8(uapi::PCI_CAP_ID_SLOTID);
/// `PCI_CAP_ID_MSI`.
pub(crate) const CAP_ID_MSI: u8 = to_u8(uapi::PCI_CAP_ID_MSI);
/// `PCI_CAP_ID_PCIX`.
pub(crate) const CAP_ID_PCIX: u8 = to_u8(uapi::PCI_CAP_ID_PCIX);
/// `PCI_CAP_ID_HT`.
pub(crate) const CAP_ID_HT: u8 = to_u8(uapi::PCI_CAP_ID_HT);
/// `PCI_CAP_ID_VNDR`.
pub(crate) const CAP_ID_VNDR: u8 = to_u8(uapi::PCI_CAP_ID_VNDR);
/// `PCI_CAP_ID_DBG` (only the tests name it).
#[cfg(CONFIG_VFIO_PCI_RUST_KUNIT_TEST)]
pub(crate) const CAP_ID_DBG: u8 = to_u8(uapi::PCI_CAP_ID_DBG);
/// `PCI_CAP_ID_EXP`.
pub(crate) const CAP_ID_EXP: u8 = to_u8(uapi::PCI_CAP_ID_EXP);
/// `PCI_CAP_ID_MSIX`.
pub(crate) const CAP_ID_MSIX: u8 = to_u8(uapi::PCI_CAP_ID_MSIX);
/// `PCI_CAP_ID_SATA`.
pub(crate) const CAP_ID_SATA: u8 = to_u8(uapi::PCI_CAP_ID_SATA);
/// `PCI_CAP_ID_AF`.
pub(crate) const CAP_ID_AF: u8 = to_u8(uapi::PCI_CAP_ID_AF);
/// `PCI_EXT_CAP_ID_ERR`.
pub(crate) const EXT_CAP_ID_ERR: u16 = to_u16(uapi::PCI_EXT_CAP_ID_ERR);
/// `PCI_EXT_CAP_ID_VC`.
pub(crate) const EXT_CAP_ID_VC: u16 = to_u16(uapi::PCI_EXT_CAP_ID_VC);
/// `PCI_EXT_CAP_ID_DSN`.
pub(crate) const EXT_CAP_ID_DSN: u16 = to_u16(uapi::PCI_EXT_CAP_ID_DSN);
/// `PCI_EXT_CAP_ID_PWR`.
pub(crate) const EXT_CAP_ID_PWR: u16 = to_u16(uapi::PCI_EXT_CAP_ID_PWR);
/// `PCI_EXT_CAP_ID_MFVC`.
pub(crate) const EXT_CAP_ID_MFVC: u16 = to_u16(uapi::PCI_EXT_CAP_ID_MFVC);
/// `PCI_EXT_CAP_ID_VC9`.
pub(crate) const EXT_CAP_ID_VC9: u16 = to_u16(uapi::PCI_EXT_CAP_ID_VC9);
/// `PCI_EXT_CAP_ID_VNDR`.
pub(crate) const EXT_CAP_ID_VNDR: u16 = to_u16(uapi::PCI_EXT_CAP_ID_VNDR);
/// `PCI_EXT_CAP_ID_ACS`.
pub(crate) const EXT_CAP_ID_ACS: u16 = to_u16(uapi::PCI_EXT_CAP_ID_ACS);
/// `PCI_EXT_CAP_ID_ARI`.
pub(crate) const EXT_CAP_ID_ARI: u16 = to_u16(uapi::PCI_EXT_CAP_ID_ARI);
/// `PCI_EXT_CAP_ID_ATS`.
pub(crate) const EXT_CAP_ID_ATS: u16 = to_u16(uapi::PCI_EXT_CAP_ID_ATS);
/// `PCI_EXT_CAP_ID_SRIOV`.
pub(crate) const EXT_CAP_ID_SRIOV: u16 = to_u16(uapi::PCI_EXT_CAP_ID_SRIOV);
/// `PCI_EXT_CAP_ID_MCAST`.
pub(crate) const EXT_CAP_ID_MCAST: u16 = to_u16(uapi::PCI_EXT_CAP_ID_MCAST);
/// `PCI_EXT_CAP_ID_PRI`.
pub(crate) const EXT_CAP_ID_PRI: u16 = to_u16(uapi::PCI_EXT_CAP_ID_PRI);
/// `PCI_EXT_CAP_ID_REBAR`.
pub(crate) const EXT_CAP_ID_REBAR: u16 = to_u16(uapi::PCI_EXT_CAP_ID_REBAR);
/// `PCI_EXT_CAP_ID_DPA`.
pub(crate) const EXT_CAP_ID_DPA: u16 = to_u16(uapi::PCI_EXT_CAP_ID_DPA);
/// `PCI_EXT_CAP_ID_TPH`.
pub(crate) const EXT_CAP_ID_TPH: u16 = to_u16(uapi::PCI_EXT_CAP_ID_TPH);
/// `PCI_EXT_CAP_ID_LTR`.
pub(crate) const EXT_CAP_ID_LTR: u16 = to_u16(uapi::PCI_EXT_CAP_ID_LTR);
/// `PCI_EXT_CAP_ID_PASID` (only the tests name it).
#[cfg(CONFIG_VFIO_PCI_RUST_KUNIT_TEST)]
pub(crate) const EXT_CAP_ID_PASID: u16 = to_u16(uapi::PCI_EXT_CAP_ID_PASID);
/// `PCI_EXT_CAP_ID_DVSEC`.
pub(crate) const EXT_CAP_ID_DVSEC: u16 = to_u16(uapi::PCI_EXT_CAP_ID_DVSEC);
/// `PCI_VENDOR_ID`.
pub(crate) const VENDOR_ID: u16 = to_u16(uapi::PCI_VENDOR_ID);
/// `PCI_DEVICE_ID`.
pub(crate) const DEVICE_ID: u16 = to_u16(uapi::PCI_DEVICE_ID);
/// `PCI_COMMAND`.
pub(crate) const COMMAND: u16 = to_u16(uapi::PCI_COMMAND);
/// `PCI_STATUS`.
pub(crate) const STATUS: u16 = to_u16(uapi::PCI_STATUS);
/// `PCI_CACHE_LINE_SIZE`.
pub(crate) const CACHE_LINE_SIZE: u16 = to_u16(uapi::PCI_CACHE_LINE_SIZE);
/// `PCI_LATENCY_TIMER`.
pub(crate) const LATENCY_TIMER: u16 = to_u16(uapi::PCI_LATENCY_TIMER);
/// `PCI_BIST`.
pub(crate) const BIST: u16 = to_u16(uapi::PCI_BIST);
/// `PCI_BASE_ADDRESS_0`.
pub(crate) const BASE_ADDRESS_0: u16 = to_u16(uapi::PCI_BASE_ADDRESS_0);
/// `PCI_BASE_ADDRESS_1`.
pub(crate) const BASE_ADDRESS_1: u16 = to_u16(uapi::PCI_BASE_ADDRESS_1);
/// `PCI_BASE_ADDRESS_2`.
pub(crate) const BASE_ADDRESS_2: u16 = to_u16(uapi::PCI_BASE_ADDRESS_2);
/// `PCI_BASE_ADDRESS_3`.
pub(crate) const BASE_ADDRESS_3: u16 = to_u16(uapi::PCI_BASE_ADDRESS_3);
/// `PCI_BASE_ADDRESS_4`.
pub(crate) const BASE_ADDRESS_4: u16 = to_u16(uapi::PCI_BASE_ADDRESS_4);
/// `PCI_BASE_ADDRESS_5`.
pub(crate) const BASE_ADDRESS_5: u16 = to_u16(uapi::PCI_BASE_ADDRESS_5);
/// `PCI_ROM_ADDRESS`.
pub(crate) const ROM_ADDRESS: u16 = to_u16(uapi::PCI_ROM_ADDRESS);
/// `PCI_CAPABILITY_LIST`.
pub(crate) const CAPABILITY_LIST: u16 = to_u16(uapi::PCI_CAPABILITY_LIST);
/// `PCI_INTERRUPT_LINE`.
pub(crate) const INTERRUPT_LINE: u16 = to_u16(uapi::PCI_INTERRUPT_LINE);
/// `PCI_INTERRUPT_PIN`.
pub(crate) const INTERRUPT_PIN: u16 = to_u16(uapi::PCI_INTERRUPT_PIN);
/// `PCI_COMMAND_IO`.
pub(crate) const COMMAND_IO: u32 = uapi::PCI_COMMAND_IO;
/// `PCI_COMMAND_MEMORY`.
pub(crate) const COMMAND_MEMORY: u32 = uapi::PCI_COMMAND_MEMORY;
/// `PCI_COMMAND_INTX_DISABLE`.
pub(crate) const COMMAND_INTX_DISABLE: u32 = uapi::PCI_COMMAND_INTX_DISABLE;
/// `PCI_STATUS_CAP_LIST`.
pub(crate) const STATUS_CAP_LIST: u32 = uapi::PCI_STATUS_CAP_LIST;
/// `PCI_ROM_ADDRESS_ENABLE`.
pub(crate) const ROM_ADDRESS_ENABLE: u32 = uapi::PCI_ROM_ADDRESS_ENABLE;
/// `PCI_BASE_ADDRESS_SPACE_IO`.
pub(crate) const BASE_ADDRESS_SPACE_IO: u32 = uapi::PCI_BASE_ADDRESS_SPACE_IO;
/// `PCI_BASE_ADDRESS_SPACE_MEMORY`.
pub(crate) const BASE_ADDRESS_SPACE_MEMORY: u32 = uapi::PCI_BASE_ADDRESS_SPACE_MEMORY;
/// `PCI_BASE_ADDRESS_MEM_PREFETCH`.
pub(crate) const BASE_ADDRESS_MEM_PREFETCH: u32 = uapi::PCI_BASE_ADDRESS_MEM_PREFETCH;
/// `PCI_BASE_ADDRESS_MEM_TYPE_64`.
pub(crate) const BASE_ADDRESS_MEM_TYPE_64: u32 = uapi::PCI_BASE_ADDRESS_MEM_TYPE_64;
/// `PCI_CAP_LIST_ID`.
pub(crate) const CAP_LIST_ID: u16 = to_u16(uapi::PCI_CAP_LIST_ID);
/// `PCI_CAP_LIST_NEXT`.
pub(crate) const CAP_LIST_NEXT: u16 = to_u16(uapi::PCI_CAP_LIST_NEXT);
/// `PCI_CAP_FLAGS`.
pub(crate) const CAP_FLAGS: u16 = to_u16(uapi::PCI_CAP_FLAGS);
/// `PCI_PM_PMC`.
pub(crate) const PM_PMC: u16 = to_u16(uapi::PCI_PM_PMC);
/// `PCI_PM_CTRL`.
pub(crate) const PM_CTRL: u16 = to_u16(uapi::PCI_PM_CTRL);
/// `PCI_PM_CAP_PME_MASK`.
pub(crate) const PM_CAP_PME_MASK: u32 = uapi::PCI_PM_CAP_PME_MASK;
/// `PCI_PM_CTRL_PME_ENABLE`.
pub(crate) const PM_CTRL_PME_ENABLE: u32 = uapi::PCI_PM_CTRL_PME_ENABLE;
/// `PCI_PM_CTRL_PME_STATUS`.
pub(crate) const PM_CTRL_PME_STATUS: u32 = uapi::PCI_PM_CTRL_PME_STATUS;
/// `PCI_PM_CTRL_STATE_MASK`.
pub(crate) const PM_CTRL_STATE_MASK: u32 = uapi::PCI_PM_CTRL_STATE_MASK;
/// `PCI_PM_CTRL_NO_SOFT_RESET`.
pub(crate) const PM_CTRL_NO_SOFT_RESET: u32 = uapi::PCI_PM_CTRL_NO_SOFT_RESET;
/// `PCI_VPD_ADDR`.
pub(crate) const VPD_ADDR: u16 = to_u16(uapi::PCI_VPD_ADDR);
/// `PCI_VPD_DATA`.
pub(crate) const VPD_DATA: u16 = to_u16(uapi::PCI_VPD_DATA);
/// `PCI_VPD_ADDR_F`.
pub(crate) const VPD_ADDR_F: u32 = uapi::PCI_VPD_ADDR_F;
/// `PCI_X_CMD`.
pub(crate) const X_CMD: u16 = to_u16(uapi::PCI_X_CMD);
/// `PCI_X_ECC_CSR`.
pub(crate) const X_ECC_CSR: u16 = to_u16(uapi::PCI_X_ECC_CSR);
/// `PCI_EXP_FLAGS`.
pub(crate) const EXP_FLAGS: u16 = to_u16(uapi::PCI_EXP_FLAGS);
/// `PCI_EXP_FLAGS_VERS`.
pub(crate) const EXP_FLAGS_VERS: u32 = uapi::PCI_EXP_FLAGS_VERS;
/// `PCI_EXP_FLAGS_TYPE`.
pub(crate) const EXP_FLAGS_TYPE: u32 = uapi::PCI_EXP_FLAGS_TYPE;
/// `PCI_EXP_TYPE_RC_END`.
pub(crate) const EXP_TYPE_RC_END: u32 = uapi::PCI_EXP_TYPE_RC_END;
/// `PCI_EXP_DEVCAP`.
pub(crate) const EXP_DEVCAP: u16 = to_u16(uapi::PCI_EXP_DEVCAP);
/// `PCI_EXP_DEVCAP_FLR`.
pub(crate) const EXP_DEVCAP_FLR: u32 = uapi::PCI_EXP_DEVCAP_FLR;
/// `PCI_EXP_DEVCTL`.
pub(crate) const EXP_DEVCTL: u16 = to_u16(uapi::PCI_EXP_DEVCTL);
/// `PCI_EXP_DEVCTL_BCR_FLR`.
pub(crate) const EXP_DEVCTL_BCR_FLR: u32 = uapi::PCI_EXP_DEVCTL_BCR_FLR;
/// `PCI_EXP_DEVCTL_PAYLOAD`.
pub(crate) const EXP_DEVCTL_PAYLOAD: u32 = uapi::PCI_EXP_DEVCTL_PAYLOAD;
/// `PCI_EXP_DEVCTL_READRQ`.
pub(crate) const EXP_DEVCTL_READRQ: u32 = uapi::PCI_EXP_DEVCTL_READRQ;
/// `PCI_EXP_DEVCTL_PHANTOM`.
pub(crate) const EXP_DEVCTL_PHANTOM: u32 = uapi::PCI_EXP_DEVCTL_PHANTOM;
/// `PCI_EXP_DEVCTL2`.
pub(crate) const EXP_DEVCTL2: u16 = to_u16(uapi::PCI_EXP_DEVCTL2);
/// `PCI_EXP_DEVCTL2_ARI`.
pub(crate) const EXP_DEVCTL2_ARI: u32 = uapi::PCI_EXP_DEVCTL2_ARI;
/// `PCI_AF_CAP`.
pub(crate) const AF_CAP: u16 = to_u16(uapi::PCI_AF_CAP);
/// `PCI_AF_CTRL`.
pub(crate) const AF_CTRL: u16 = to_u16(uapi::PCI_AF_CTRL);
/// `PCI_AF_CTRL_FLR`.
pub(crate) const AF_CTRL_FLR: u32 = uapi::PCI_AF_CTRL_FLR;
/// `PCI_AF_CAP_FLR`.
pub(crate) const AF_CAP_FLR: u32 = uapi::PCI_AF_CAP_FLR;
/// `PCI_AF_CAP_TP`.
pub(crate) const AF_CAP_TP: u32 = uapi::PCI_AF_CAP_TP;
/// `PCI_ERR_UNC_UND`.
pub(crate) const ERR_UNC_UND: u32 = uapi::PCI_ERR_UNC_UND;
/// `PCI_ERR_UNC_DLP`.
pub(crate) const ERR_UNC_DLP: u32 = uapi::PCI_ERR_UNC_DLP;
/// `PCI_ERR_UNC_SURPDN`.
pub(crate) const ERR_UNC_SURPDN: u32 = uapi::PCI_ERR_UNC_SURPDN;
/// `PCI_ERR_UNC_POISON_TLP`.
pub(crate) const ERR_UNC_POISON_TLP: u32 = uapi::PCI_ERR_UNC_POISON_TLP;
/// `PCI_ERR_UNC_FCP`.
pub(crate) const ERR_UNC_FCP: u32 = uapi::PCI_ERR_UNC_FCP;
/// `PCI_ERR_UNC_COMP_TIME`.
pub(crate) const ERR_UNC_COMP_TIME: u32 = uapi::PCI_ERR_UNC_COMP_TIME;
/// `PCI_ERR_UNC_COMP_ABORT`.
pub(crate) const ERR_UNC_COMP_ABORT: u32 = uapi::PCI_ERR_UNC_COMP_ABORT;
/// `PCI_ERR_UNC_UNX_COMP`.
pub(crate) const ERR_UNC_UNX_COMP: u32 = uapi::PCI_ERR_UNC_UNX_COMP;
/// `PCI_ERR_UNC_RX_OVER`.
pub(crate) const ERR_UNC_RX_OVER: u32 = uapi::PCI_ERR_UNC_RX_OVER;
/// `PCI_ERR_UNC_MALF_TLP`.
pub(crate) const ERR_UNC_MALF_TLP: u32 = uapi::PCI_ERR_UNC_MALF_TLP;
/// `PCI_ERR_UNC_ECRC`.
pub(crate) const ERR_UNC_ECRC: u32 = uapi::PCI_ERR_UNC_ECRC;
/// `PCI_ERR_UNC_UNSUP`.
pub(crate) const ERR_UNC_UNSUP: u32 = uapi::PCI_ERR_UNC_UNSUP;
/// `PCI_ERR_UNC_ACSV`.
pub(crate) const ERR_UNC_ACSV: u32 = uapi::PCI_ERR_UNC_ACSV;
/// `PCI_ERR_UNC_INTN`.
pub(crate) const ERR_UNC_INTN: u32 = uapi::PCI_ERR_UNC_INTN;
/// `PCI_ERR_UNC_MCBTLP`.
pub(crate) const ERR_UNC_MCBTLP: u32 = uapi::PCI_ERR_UNC_MCBTLP;
/// `PCI_ERR_UNC_ATOMEG`.
pub(crate) const ERR_UNC_ATOMEG: u32 = uapi::PCI_ERR_UNC_ATOMEG;
/// `PCI_ERR_UNC_TLPPRE`.
pub(crate) const ERR_UNC_TLPPRE: u32 = uapi::PCI_ERR_UNC_TLPPRE;
/// `PCI_ERR_UNCOR_STATUS`.
pub(crate) const ERR_UNCOR_STATUS: u16 = to_u16(uapi::PCI_ERR_UNCOR_STATUS);
/// `PCI_ERR_UNCOR_MASK`.
pub(crate) const ERR_UNCOR_MASK: u16 = to_u16(uapi::PCI_ERR_UNCOR_MASK);
/// `PCI_ERR_UNCOR_SEVER`.
pub(crate) const ERR_UNCOR_SEVER: u16 = to_u16(uapi::PCI_ERR_UNCOR_SEVER);
/// `PCI_ERR_COR_STATUS`.
pub(crate) const ERR_COR_STATUS: u16 = to_u16(uapi::PCI_ERR_COR_STATUS);
/// `PCI_ERR_COR_MASK`.
pub(crate) const ERR_COR_MASK: u16 = to_u16(uapi::PCI_ERR_COR_MASK);
/// `PCI_ERR_CAP`.
pub(crate) const ERR_CAP: u16 = to_u16(uapi::PCI_ERR_CAP);
/// `PCI_ERR_COR_RCVR`.
pub(crate) const ERR_COR_RCVR: u32 = uapi::PCI_ERR_COR_RCVR;
/// `PCI_ERR_COR_BAD_TLP`.
pub(crate) const ERR_COR_BAD_TLP: u32 = uapi::PCI_ERR_COR_BAD_TLP;
/// `PCI_ERR_COR_BAD_DLLP`.
pub(crate) const ERR_COR_BAD_DLLP: u32 = uapi::PCI_ERR_COR_BAD_DLLP;
/// `PCI_ERR_COR_REP_ROLL`.
pub(crate) const ERR_COR_REP_ROLL: u32 = uapi::PCI_ERR_COR_REP_ROLL;
/// `PCI_ERR_COR_REP_TIMER`.
pub(crate) const ERR_COR_REP_TIMER: u32 = uapi::PCI_ERR_COR_REP_TIMER;
/// `PCI_ERR_COR_ADV_NFAT`.
pub(crate) const ERR_COR_ADV_NFAT: u32 = uapi::PCI_ERR_COR_ADV_NFAT;
/// `PCI_ERR_COR_INTERNAL`.
pub(crate) const ERR_COR_INTERNAL: u32 = uapi::PCI_ERR_COR_INTERNAL;
/// `PCI_ERR_COR_LOG_OVER`.
pub(crate) const ERR_COR_LOG_OVER: u32 = uapi::PCI_ERR_COR_LOG_OVER;
/// `PCI_ERR_CAP_ECRC_GENE`.
pub(crate) const ERR_CAP_ECRC_GENE: u32 = uapi::PCI_ERR_CAP_ECRC_GENE;
/// `PCI_ERR_CAP_ECRC_CHKE`.
pub(crate) const ERR_CAP_ECRC_CHKE: u32 = uapi::PCI_ERR_CAP_ECRC_CHKE;
/// `PCI_PWR_DATA`.
pub(crate) const PWR_DATA: u16 = to_u16(uapi::PCI_PWR_DATA);
/// `PCI_MSI_FLAGS`.
pub(crate) const MSI_FLAGS: u16 = to_u16(uapi::PCI_MSI_FLAGS);
/// `PCI_MSI_FLAGS_QSIZE`.
pub(crate) const MSI_FLAGS_QSIZE: u32 = uapi::PCI_MSI_FLAGS_QSIZE;
/// `PCI_MSI_FLAGS_ENABLE`.
pub(crate) const MSI_FLAGS_ENABLE: u32 = uapi::PCI_MSI_FLAGS_ENABLE;
/// `PCI_MSI_FLAGS_64BIT`.
pub(crate) const MSI_FLAGS_64BIT: u32 = uapi::PCI_MSI_FLAGS_64BIT;
/// `PCI_MSI_FLAGS_MASKBIT`.
pub(crate) const MSI_FLAGS_MASKBIT: u32 = uapi::PCI_MSI_FLAGS_MASKBIT;
/// `PCI_MSI_ADDRESS_LO`.
pub(crate) const MSI_ADDRESS_LO: u16 = to_u16(uapi::PCI_MSI_ADDRESS_LO);
/// `PCI_MSI_ADDRESS_HI`.
pub(crate) const MSI_ADDRESS_HI: u16 = to_u16(uapi::PCI_MSI_ADDRESS_HI);
/// `PCI_MSI_DATA_32`.
pub(crate) const MSI_DATA_32: u16 = to_u16(uapi::PCI_MSI_DATA_32);
/// `PCI_MSI_DATA_64`.
pub(crate) const MSI_DATA_64: u16 = to_u16(uapi::PCI_MSI_DATA_64);
/// `PCI_MSI_MASK_32`.
pub(crate) const MSI_MASK_32: u16 = to_u16(uapi::PCI_MSI_MASK_32);
/// `PCI_MSI_MASK_64`.
pub(crate) const MSI_MASK_64: u16 = to_u16(uapi::PCI_MSI_MASK_64);
/// `PCI_MSI_PENDING_32`.
pub(crate) const MSI_PENDING_32: u16 = to_u16(uapi::PCI_MSI_PENDING_32);
/// `PCI_MSI_PENDING_64`.
pub(crate) const MSI_PENDING_64: u16 = to_u16(uapi::PCI_MSI_PENDING_64);
/// `PCI_VC_PORT_CAP1`.
pub(crate) const VC_PORT_CAP1: u16 = to_u16(uapi::PCI_VC_PORT_CAP1);
/// `PCI_VC_PORT_CAP2`.
pub(crate) const VC_PORT_CAP2: u16 = to_u16(uapi::PCI_VC_PORT_CAP2);
/// `PCI_VC_CAP1_EVCC`.
pub(crate) const VC_CAP1_EVCC: u32 = uapi::PCI_VC_CAP1_EVCC;
/// `PCI_VC_CAP2_128_PHASE`.
pub(crate) const VC_CAP2_128_PHASE: u32 = uapi::PCI_VC_CAP2_128_PHASE;
/// `PCI_VC_CAP2_64_PHASE`.
pub(crate) const VC_CAP2_64_PHASE: u32 = uapi::PCI_VC_CAP2_64_PHASE;
/// `PCI_VC_CAP2_32_PHASE`.
pub(crate) const VC_CAP2_32_PHASE: u32 = uapi::PCI_VC_CAP2_32_PHASE;
/// `HT_3BIT_CAP_MASK`.
pub(crate) const HT_3BIT_CAP_MASK: u32 = uapi::HT_3BIT_CAP_MASK;
/// `HT_CAP_SIZEOF_SHORT`.
pub(crate) const HT_CAP_SIZEOF_SHORT: u16 = to_u16(uapi::HT_CAP_SIZEOF_SHORT);
/// `HT_CAP_SIZEOF_LONG`.
pub(crate) const HT_CAP_SIZEOF_LONG: u16 = to_u16(uapi::HT_CAP_SIZEOF_LONG);
/// `PCI_SATA_REGS`.
pub(crate) const SATA_REGS: u16 = to_u16(uapi::PCI_SATA_REGS);
/// `PCI_SATA_REGS_MASK`.
pub(crate) const SATA_REGS_MASK: u32 = uapi::PCI_SATA_REGS_MASK;
/// `PCI_SATA_REGS_INLINE`.
pub(crate) const SATA_REGS_INLINE: u32 = uapi::PCI_SATA_REGS_INLINE;
/// `PCI_SATA_SIZEOF_LONG`.
pub(crate) const SATA_SIZEOF_LONG: u16 = to_u16(uapi::PCI_SATA_SIZEOF_LONG);
/// `PCI_SATA_SIZEOF_SHORT`.
pub(crate) const SATA_SIZEOF_SHORT: u16 = to_u16(uapi::PCI_SATA_SIZEOF_SHORT);
/// `PCI_VNDR_HEADER`.
pub(crate) const VNDR_HEADER: u16 = to_u16(uapi::PCI_VNDR_HEADER);
/// `PCI_ACS_CAP`.
pub(crate) const ACS_CAP: u16 = to_u16(uapi::PCI_ACS_CAP);
/// `PCI_ACS_EC`.
pub(crate) const ACS_EC: u32 = uapi::PCI_ACS_EC;
/// `PCI_ACS_EGRESS_BITS`.
pub(crate) const ACS_EGRESS_BITS: u16 = to_u16(uapi::PCI_ACS_EGRESS_BITS);
/// `PCI_REBAR_CTRL`.
pub(crate) const REBAR_CTRL: u16 = to_u16(uapi::PCI_REBAR_CTRL);
/// `PCI_REBAR_CTRL_NBAR_MASK`.
pub(crate) const REBAR_CTRL_NBAR_MASK: u32 = uapi::PCI_REBAR_CTRL_NBAR_MASK;
/// `PCI_REBAR_CTRL_NBAR_SHIFT`.
pub(crate) const REBAR_CTRL_NBAR_SHIFT: u32 = uapi::PCI_REBAR_CTRL_NBAR_SHIFT;
/// `PCI_DPA_CAP`.
pub(crate) const DPA_CAP: u16 = to_u16(uapi::PCI_DPA_CAP);
/// `PCI_DPA_CAP_SUBSTATE_MASK`.
pub(crate) const DPA_CAP_SUBSTATE_MASK: u32 = uapi::PCI_DPA_CAP_SUBSTATE_MASK;
/// `PCI_DPA_BASE_SIZEOF`.
pub(crate) const DPA_BASE_SIZEOF: u16 = to_u16(uapi::PCI_DPA_BASE_SIZEOF);
/// `PCI_TPH_CAP`.
pub(crate) const TPH_CAP: u16 = to_u16(uapi::PCI_TPH_CAP);
/// `PCI_TPH_CAP_LOC_MASK`.
pub(crate) const TPH_CAP_LOC_MASK: u32 = uapi::PCI_TPH_CAP_LOC_MASK;
/// `PCI_TPH_LOC_CAP`.
pub(crate) const TPH_LOC_CAP: u32 = uapi::PCI_TPH_LOC_CAP;
/// `PCI_TPH_CAP_ST_MASK`.
pub(crate) const TPH_CAP_ST_MASK: u32 = uapi::PCI_TPH_CAP_ST_MASK;
/// `PCI_TPH_CAP_ST_SHIFT`.
pub(crate) const TPH_CAP_ST_SHIFT: u32 = uapi::PCI_TPH_CAP_ST_SHIFT;
/// `PCI_TPH_BASE_SIZEOF`.
pub(crate) const TPH_BASE_SIZEOF: u16 = to_u16(uapi::PCI_TPH_BASE_SIZEOF);
/// `PCI_DVSEC_HEADER1`.
pub(crate) const DVSEC_HEADER1: u16 = to_u16(uapi::PCI_DVSEC_HEADER1);
