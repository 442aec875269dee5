// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the hardware-independent parts of config space
//! virtualization: the permission tables, the merge of virtual and physical
//! bits, the capability length rules and the config space map. Built with
//! `CONFIG_VFIO_PCI_RUST_KUNIT_TEST`; they run when the module loads.

#[kernel::macros::kunit_tests(vfio_pci_rust_config)]
mod kunit {
    use super::super::{
        caplen,
        init::map_claim,
        perm::{
            self,
            bytes_mask,
            merge,
            update,
            Read,
            Write, //
        },
        regs::*,
        CAP_ID_INVALID,
    };
    use kernel::prelude::*;

    #[test]
    fn header_permissions() {
        let p = perm::cap_perm(0);
        assert_eq!(p.read, Read::Basic);
        assert_eq!(p.write, Write::Basic);
        let b = &p.bits;
        // IDs: virtual, read-only.
        assert_eq!(b.virt(0, 4), 0xffff_ffff);
        assert_eq!(b.write(0, 4), 0);
        // Command: only INTx disable is virtual, all writable; status: only the capability
        // list bit is virtual, nothing writable.
        assert_eq!(b.virt(4, 4), COMMAND_INTX_DISABLE | (STATUS_CAP_LIST << 16));
        assert_eq!(b.write(4, 4), 0xffff);
        assert_eq!(b.write(6, 2), 0);
        // Revision and class: the device's, read-only.
        assert_eq!(b.virt(8, 4), 0);
        assert_eq!(b.write(8, 4), 0);
        // Cache line size, latency timer, BIST: written through; header type read-only.
        assert_eq!(b.virt(0xc, 4), 0);
        assert_eq!(b.write(0xc, 4), 0xff00_ffff);
        // BARs and ROM BAR: virtual and writable; CardBus CIS and subsystem IDs untouched.
        for off in (0x10..0x28).step_by(4) {
            assert_eq!(b.virt(off, 4), 0xffff_ffff);
            assert_eq!(b.write(off, 4), 0xffff_ffff);
        }
        assert_eq!(b.virt(0x28, 4) | b.write(0x28, 4), 0);
        assert_eq!(b.virt(0x2c, 4) | b.write(0x2c, 4), 0);
        assert_eq!(b.virt(0x30, 4), 0xffff_ffff);
        assert_eq!(b.write(0x30, 4), 0xffff_ffff);
        // Capability pointer virtual, read-only.
        assert_eq!(b.virt(0x34, 1), 0xff);
        assert_eq!(b.write(0x34, 1), 0);
        // Interrupt line virtual and writable, pin virtual and read-only, min/max lat device's.
        assert_eq!(b.virt(0x3c, 4), 0xffff);
        assert_eq!(b.write(0x3c, 4), 0xff);
    }

    #[test]
    fn capability_permissions() {
        // Power management: state bits and PME are not writable; PME bits virtual.
        let pm = perm::cap_perm(CAP_ID_PM);
        assert_eq!(pm.write, Write::Pm);
        assert_eq!(pm.bits.virt(1, 1), 0xff);
        assert_eq!(pm.bits.virt(PM_PMC.into(), 2), PM_CAP_PME_MASK);
        assert_eq!(pm.bits.write(PM_PMC.into(), 2), 0);
        assert_eq!(pm.bits.virt(PM_CTRL.into(), 2), 0x8100);
        assert_eq!(pm.bits.write(PM_CTRL.into(), 4), 0xffff_7efc);

        // PCI Express: device control minus phantom functions; FLR, payload, read request
        // virtual; device control 2 minus ARI.
        let exp = perm::cap_perm(CAP_ID_EXP);
        assert_eq!(exp.write, Write::Exp);
        assert_eq!(exp.bits.virt(EXP_DEVCTL.into(), 2), 0xf0e0);
        assert_eq!(exp.bits.write(EXP_DEVCTL.into(), 2), 0xfdff);
        assert_eq!(exp.bits.virt(EXP_DEVCTL2.into(), 2), 0);
        assert_eq!(exp.bits.write(EXP_DEVCTL2.into(), 2), 0xffdf);
        assert_eq!(exp.bits.write(EXP_DEVCAP.into(), 4), 0);

        // Advanced features: only the FLR bit.
        let af = perm::cap_perm(CAP_ID_AF);
        assert_eq!(af.bits.virt(4, 4), AF_CTRL_FLR);
        assert_eq!(af.bits.write(4, 4), AF_CTRL_FLR);

        // VPD: address and data virtual and writable.
        let vpd = perm::cap_perm(CAP_ID_VPD);
        assert_eq!(vpd.bits.virt(0, 4), 0xffff_ff00);
        assert_eq!(vpd.bits.write(0, 4), 0xffff_0000);
        assert_eq!(vpd.bits.virt(4, 4), 0xffff_ffff);

        // Vendor-specific: written raw; unknown and bridge-only capabilities read-only.
        assert_eq!(perm::cap_perm(CAP_ID_VNDR).write, Write::Raw);
        assert_eq!(perm::cap_perm(CAP_ID_VNDR).read, Read::Direct);
        assert_eq!(perm::cap_perm(CAP_ID_MSIX).write, Write::Drop);
        assert_eq!(perm::cap_perm(CAP_ID_SLOTID).read, Read::Direct);

        // Extended: AER and power budgeting have tables, headers virtual; vendor and DVSEC
        // raw; the rest read-only.
        let err = perm::ecap_perm(EXT_CAP_ID_ERR);
        assert_eq!(err.bits.virt(0, 4), 0xffff_ffff);
        assert_eq!(err.bits.write(0, 4), 0);
        assert_eq!(err.bits.write(ERR_UNCOR_MASK.into(), 4), 0x03ff_f031);
        assert_eq!(err.bits.write(ERR_COR_MASK.into(), 4), 0xf1c1);
        assert_eq!(err.bits.write(ERR_CAP.into(), 4), 0x140);
        let pwr = perm::ecap_perm(EXT_CAP_ID_PWR);
        assert_eq!(pwr.bits.write(PWR_DATA.into(), 4), 0xff);
        assert_eq!(perm::ecap_perm(EXT_CAP_ID_DVSEC).write, Write::Raw);
        assert_eq!(perm::ecap_perm(EXT_CAP_ID_VNDR).write, Write::Raw);
        assert_eq!(perm::ecap_perm(EXT_CAP_ID_SRIOV).write, Write::Drop);
    }

    #[test]
    fn msi_permissions() {
        // 32-bit, no masking: data at 8. Of the flags, only enable and the number of vectors
        // enabled are writable.
        let p = perm::msi_perm(0);
        assert_eq!(p.read, Read::Msi);
        assert_eq!(p.bits.virt(0, 4), 0x00ff_ff00);
        assert_eq!(p.bits.write(0, 4), 0x0071_0000);
        assert_eq!(p.bits.virt(MSI_DATA_32.into(), 2), 0xffff);
        assert_eq!(p.bits.write(MSI_MASK_32.into(), 4), 0);
        // 32-bit with masking: mask and pending bits are the device's, writable.
        let p = perm::msi_perm(MSI_FLAGS_MASKBIT);
        assert_eq!(p.bits.virt(MSI_MASK_32.into(), 4), 0);
        assert_eq!(p.bits.write(MSI_MASK_32.into(), 4), 0xffff_ffff);
        // 64-bit with masking.
        let p = perm::msi_perm(MSI_FLAGS_64BIT | MSI_FLAGS_MASKBIT);
        assert_eq!(p.bits.virt(MSI_ADDRESS_HI.into(), 4), 0xffff_ffff);
        assert_eq!(p.bits.virt(MSI_DATA_64.into(), 4), 0xffff);
        assert_eq!(p.bits.write(MSI_MASK_64.into(), 4), 0xffff_ffff);
        assert_eq!(p.bits.virt(MSI_PENDING_64.into(), 4), 0);
    }

    #[test]
    fn merge_rules() {
        assert_eq!(bytes_mask(1), 0xff);
        assert_eq!(bytes_mask(2), 0xffff);
        assert_eq!(bytes_mask(4), 0xffff_ffff);
        // Virtual bits come from the virtual copy, the others from the device.
        assert_eq!(merge(0x1234_5678, 0xabcd_ef01, 0xffff_0000), 0xabcd_5678);
        assert_eq!(merge(0x0000_0507, 0x0000_0400, 0x0400), 0x0507);
        assert_eq!(merge(0x0000_0107, 0x0000_0000, 0x0400), 0x0107);
        // A write changes only the bits it may.
        assert_eq!(update(0x0000_0106, 0x0000_0401, 0x0000_ffff), 0x0401);
        assert_eq!(update(0xffff_ffff, 0, 0x0000_0f00), 0xffff_f0ff);
        assert_eq!(update(0x12, 0xff, 0), 0x12);
        // Command register write: INTx disable to the virtual copy, the rest to the device.
        let p = perm::cap_perm(0);
        let (virt, write) = (p.bits.virt(4, 2), p.bits.write(4, 2));
        assert_eq!(update(0, 0x0407, write & virt), 0x0400);
        assert_eq!(update(0x0100, 0x0407, write & !virt), 0x0007);
    }

    #[test]
    fn capability_lengths() {
        // Fixed lengths, hidden and variable ones.
        assert_eq!(caplen::cap_length(0), caplen::HIDDEN);
        assert_eq!(caplen::cap_length(CAP_ID_PM), 8);
        assert_eq!(caplen::cap_length(CAP_ID_MSIX), 12);
        assert_eq!(caplen::cap_length(CAP_ID_AF), 6);
        assert_eq!(caplen::cap_length(CAP_ID_SLOTID), caplen::HIDDEN);
        assert_eq!(caplen::cap_length(CAP_ID_DBG), caplen::HIDDEN);
        assert_eq!(caplen::cap_length(CAP_ID_EXP), caplen::VARIABLE);
        assert_eq!(caplen::cap_length(CAP_ID_MAX + 1), caplen::HIDDEN);
        assert_eq!(caplen::ext_cap_length(EXT_CAP_ID_ERR), 0x2c);
        assert_eq!(caplen::ext_cap_length(EXT_CAP_ID_SRIOV), 0x40);
        assert_eq!(caplen::ext_cap_length(EXT_CAP_ID_PASID), caplen::HIDDEN);
        assert_eq!(caplen::ext_cap_length(EXT_CAP_ID_DVSEC), caplen::VARIABLE);
        assert_eq!(caplen::ext_cap_length(EXT_CAP_ID_MAX + 1), caplen::HIDDEN);

        // MSI: 10, 14, 20 or 24 bytes.
        assert_eq!(caplen::msi_len(0), 10);
        assert_eq!(caplen::msi_len(MSI_FLAGS_64BIT), 14);
        assert_eq!(caplen::msi_len(MSI_FLAGS_MASKBIT), 20);
        assert_eq!(caplen::msi_len(MSI_FLAGS_64BIT | MSI_FLAGS_MASKBIT), 24);
        // PCI Express: by version, shorter for root complex integrated endpoints.
        assert_eq!(caplen::exp_len(0x0001), 0x14);
        assert_eq!(caplen::exp_len(0x0002), 0x34);
        assert_eq!(caplen::exp_len(0x0091), 0xc);
        assert_eq!(caplen::exp_len(0x0092), 0x2c);
        // PCI-X: version 0 short.
        assert_eq!(caplen::pcix_len(0), 8);
        assert_eq!(caplen::pcix_len(0x1000), 24);
        // HyperTransport and SATA.
        assert_eq!(caplen::ht_len(0x20), 24);
        assert_eq!(caplen::ht_len(0x00), 28);
        assert_eq!(caplen::sata_len(0xf), 16);
        assert_eq!(caplen::sata_len(0x1), 8);
        // Virtual channels: base, per VC, arbitration table.
        assert_eq!(caplen::vc_len(0, 0), 0x10 + 0xc);
        assert_eq!(caplen::vc_len(1, 0), 0x10 + 2 * 0xc);
        assert_eq!(caplen::vc_len(0, VC_CAP2_32_PHASE), 0x20 + 16);
        assert_eq!(
            caplen::vc_len(0, VC_CAP2_128_PHASE | VC_CAP2_32_PHASE),
            0x20 + 64
        );
        // ACS: 8 bytes, plus the egress control vector.
        assert_eq!(caplen::acs_len(0, 0xff), 8);
        assert_eq!(caplen::acs_len(0x20, 0), 8 + 32);
        assert_eq!(caplen::acs_len(0x20, 1), 8 + 4);
        assert_eq!(caplen::acs_len(0x20, 33), 8 + 8);
        // Resizable BAR, DPA, TPH.
        assert_eq!(caplen::rebar_len(0x20), 12);
        assert_eq!(caplen::rebar_len(0xc0), 52);
        assert_eq!(caplen::dpa_len(3), 0x10 + 4);
        assert_eq!(caplen::tph_len(0), 0xc);
        assert_eq!(caplen::tph_len(0x0003_0200), 0xc + 3 * 2 + 2);
        assert_eq!(caplen::tph_len(0x0003_0400), 0xc);
        // Header fields.
        assert_eq!(caplen::header_len(0x0140_0001), 0x14);
        assert_eq!(caplen::ext_cap_id(0x1401_0023), 0x23);
        assert_eq!(caplen::ext_cap_next(0x1401_0023), 0x140);
    }

    #[test]
    fn map_past_the_end() {
        // A 256-byte config space (with room behind it, to see stray writes) whose last
        // capability, at 0xf0, claims 0x34 bytes: only the bytes up to the end are assigned.
        let mut buf = [CAP_ID_INVALID; 0x110];
        let mut conflicts = 0;
        let end = map_claim(&mut buf[..0x100], CAP_ID_EXP, 0xf0, 0x34, |_, _| {
            conflicts += 1
        });
        assert_eq!(end, 0x100);
        assert_eq!(conflicts, 0);
        assert!(buf[0xf0..0x100].iter().all(|&b| b == CAP_ID_EXP));
        assert!(buf[0x100..].iter().all(|&b| b == CAP_ID_INVALID));
        assert!(buf[..0xf0].iter().all(|&b| b == CAP_ID_INVALID));

        // An overlapping capability is reported byte by byte and takes the bytes over.
        let mut at = KVec::new();
        let end = map_claim(&mut buf[..0x100], CAP_ID_PM, 0xe8, 8 + 4, |p, was| {
            let _ = at.push((p, was), GFP_KERNEL);
        });
        assert_eq!(end, 0xf4);
        assert_eq!(at.len(), 4);
        assert_eq!(at.first(), Some(&(0xf0, CAP_ID_EXP)));
        assert_eq!(buf[0xf3], CAP_ID_PM);
        assert_eq!(buf[0xf4], CAP_ID_EXP);

        // Lengths and positions at the limits of `u16` neither wrap nor write.
        let end = map_claim(&mut buf[..0x100], CAP_ID_PM, 0xfff0, 0xffff, |_, _| {});
        assert_eq!(end, 0xfff0);
        assert!(buf[0x100..].iter().all(|&b| b == CAP_ID_INVALID));
        let end = map_claim(&mut buf[..0x100], CAP_ID_MSI, 0xfc, 0xffff, |_, _| {});
        assert_eq!(end, 0x100);
    }
}
