// SPDX-License-Identifier: GPL-2.0

//! Building the virtual config space when the device is opened (C: `vfio_config_init`,
//! `vfio_cap_init`, `vfio_ecap_init` and the capability length helpers).

use super::{
    caplen,
    perm,
    regs::*,
    Config,
    CAP_ID_BASIC,
    CAP_ID_INVALID, //
};
use kernel::{
    device::Bound,
    pci::{
        self,
        passthrough::IRQ_NOTCONNECTED, //
    },
    prelude::*,
};

/// VFs known to report a non-zero interrupt pin, against the SR-IOV spec: not worth a warning.
const KNOWN_BOGUS_VF_INTX_PIN: &[(u16, u16)] = &[(0x8086, 0x270c)];

/// Assigns the `len` bytes at `pos` of the config space `map` to region `id`, calling
/// `conflict(position, previous entry)` for each byte another region already had; returns where
/// the assigned bytes end.
///
/// A capability may claim to run past the end of config space (a standard capability near the
/// end of a 256-byte space, say): only the bytes inside it are assigned. (C's `vfio_cap_init`
/// writes the whole length into its map, past the end of a 256-byte one.)
pub(super) fn map_claim(
    map: &mut [u8],
    id: u8,
    pos: u16,
    len: u16,
    mut conflict: impl FnMut(u16, u8),
) -> u16 {
    let end = pos.saturating_add(len);
    let mut p = pos;
    while p < end {
        let Some(m) = map.get_mut(usize::from(p)) else {
            break;
        };
        if *m != CAP_ID_INVALID {
            conflict(p, *m);
        }
        *m = id;
        p += 1;
    }
    p
}

impl Config {
    /// Builds the virtual config space of `pdev`, freshly enabled and reset, when a user opens
    /// it (C: `vfio_config_init`). `nointx` hides INTx from the user.
    pub(crate) fn new(pdev: &pci::Device<Bound>, nointx: bool) -> Result<Self> {
        let size = crate::pci_core::cfg_size(pdev);
        let n = usize::from(size);
        let mut map = KVec::from_elem(CAP_ID_INVALID, n, GFP_KERNEL_ACCOUNT)?;
        for b in map.iter_mut().take(usize::from(STD_HEADER_SIZEOF)) {
            *b = CAP_ID_BASIC;
        }
        let vconfig = KVec::from_elem(0u8, n, GFP_KERNEL_ACCOUNT)?;
        let mut c = Config {
            size,
            vconfig,
            map,
            rbar: [0; 7],
            bardirty: true,
            extended_caps: false,
            msi_perm: None,
            nointx,
        };
        c.fill(pdev, 0, STD_HEADER_SIZEOF)?;

        // The BARs the host programmed, to put back after a reset we did not see.
        for (i, off) in (BASE_ADDRESS_0..=BASE_ADDRESS_5).step_by(4).enumerate() {
            c.rbar[i] = c.vget(off, 4);
        }
        c.rbar[6] = c.vget(ROM_ADDRESS, 4);

        if pdev.is_virtfn() {
            c.vset(VENDOR_ID, 2, pdev.vendor_id().as_raw().into());
            c.vset(DEVICE_ID, 2, pdev.device_id().into());
            // The SR-IOV spec has VFs hardwire the pin to zero; the user cannot tell a VF from
            // a PF, so replace what a buggy VF reports.
            let pin = c.vget(INTERRUPT_PIN, 1);
            let id = (pdev.vendor_id().as_raw(), pdev.device_id());
            if pin != 0 && !KNOWN_BOGUS_VF_INTX_PIN.contains(&id) {
                dev_warn!(
                    pdev.as_ref(),
                    "Hardware bug: VF reports bogus INTx pin {}\n",
                    pin
                );
            }
            c.vset(INTERRUPT_PIN, 1, 0);
        }
        if pdev.no_command_memory() {
            // Such functions have no memory enable bit, so enabling the device left it clear;
            // show it set, as on any other enabled function.
            let cmd = c.vget(COMMAND, 2) | COMMAND_MEMORY;
            c.vset(COMMAND, 2, cmd);
        }
        if nointx || pdev.irq() == 0 || pdev.irq() == IRQ_NOTCONNECTED {
            c.vset(INTERRUPT_PIN, 1, 0);
        }

        c.cap_init(pdev)?;
        c.ecap_init(pdev)?;
        Ok(c)
    }

    /// Copies `len` bytes of the device's config space at `pos` into the virtual one, in the
    /// largest aligned accesses possible (C: `vfio_fill_vconfig_bytes`).
    fn fill(&mut self, pdev: &pci::Device<Bound>, mut pos: u16, len: u16) -> Result {
        let end = pos.saturating_add(len).min(self.size);
        while pos < end {
            let left = end - pos;
            let n = if left >= 4 && pos % 4 == 0 {
                4
            } else if left >= 2 && pos % 2 == 0 {
                2
            } else {
                1
            };
            let v = Self::phys_read(pdev, pos, n)?;
            self.vset(pos, n, v);
            // CAST: `n` is 1, 2 or 4.
            pos += n as u16;
        }
        Ok(())
    }

    /// Assigns `len` bytes at `pos` to capability `id` in the map, warning about overlaps, and
    /// fills the virtual config space with them. Clamped to config space, see [`map_claim`].
    fn claim(
        &mut self,
        pdev: &pci::Device<Bound>,
        id: u8,
        pos: u16,
        len: u16,
        ext: bool,
    ) -> Result {
        map_claim(&mut self.map, id, pos, len, |p, was| {
            let what = if ext { "ecap" } else { "cap" };
            dev_warn!(
                pdev.as_ref(),
                "PCI config conflict @{:#x}, was {} {:#x} now {} {:#x}\n",
                p,
                what,
                was,
                what,
                id
            );
        });
        self.fill(pdev, pos, len)
    }

    /// Returns whether extended config space holds anything (C: the `extended_caps` test done
    /// while sizing the PCI Express and PCI-X 2 capabilities).
    fn probe_extended(&mut self, pdev: &pci::Device<Bound>) {
        if self.size > CFG_SPACE_SIZE {
            self.extended_caps = pdev
                .user_read_config::<u32>(CFG_SPACE_SIZE)
                .is_ok_and(|d| d != 0);
        }
    }

    /// The length of the variable-length standard capability `cap` at `pos` (C:
    /// `vfio_cap_len`); 0 hides it.
    fn cap_len(&mut self, pdev: &pci::Device<Bound>, cap: u8, pos: u16) -> Result<u16> {
        Ok(match cap {
            CAP_ID_MSI => {
                let flags = u32::from(pdev.user_read_config::<u16>(pos + MSI_FLAGS)?);
                // The first MSI capability decides the layout, as in C.
                if self.msi_perm.is_none() {
                    self.msi_perm = Some(perm::msi_perm(flags));
                }
                caplen::msi_len(flags)
            }
            CAP_ID_PCIX => {
                let cmd = u32::from(pdev.user_read_config::<u16>(pos + X_CMD)?);
                let len = caplen::pcix_len(cmd);
                if len == CAP_PCIX_SIZEOF_V2 {
                    self.probe_extended(pdev);
                }
                len
            }
            // The length follows the next pointer.
            CAP_ID_VNDR => pdev.user_read_config::<u8>(pos + CAP_FLAGS)?.into(),
            CAP_ID_EXP => {
                self.probe_extended(pdev);
                caplen::exp_len(pdev.user_read_config::<u16>(pos + EXP_FLAGS)?.into())
            }
            CAP_ID_HT => caplen::ht_len(pdev.user_read_config::<u8>(pos + 3)?),
            CAP_ID_SATA => caplen::sata_len(pdev.user_read_config::<u8>(pos + SATA_REGS)?),
            _ => {
                dev_warn!(
                    pdev.as_ref(),
                    "vfio_cap_len: unknown length for PCI cap {:#x}@{:#x}\n",
                    cap,
                    pos
                );
                0
            }
        })
    }

    /// The length of the variable-length extended capability `ecap` at `epos` (C:
    /// `vfio_ext_cap_len`); 0 hides it.
    fn ext_cap_len(pdev: &pci::Device<Bound>, ecap: u16, epos: u16) -> Result<u16> {
        let rd8 = |off: u16| pdev.user_read_config::<u8>(epos + off);
        let rd32 = |off: u16| pdev.user_read_config::<u32>(epos + off);
        Ok(match ecap {
            EXT_CAP_ID_VNDR => caplen::header_len(rd32(VNDR_HEADER)?),
            EXT_CAP_ID_VC | EXT_CAP_ID_VC9 | EXT_CAP_ID_MFVC => {
                let cap1 = rd32(VC_PORT_CAP1)?;
                let cap2 = rd32(VC_PORT_CAP2)?;
                caplen::vc_len(cap1, cap2)
            }
            EXT_CAP_ID_ACS => {
                let cap = rd8(ACS_CAP)?;
                let egress = if u32::from(cap) & ACS_EC != 0 {
                    rd8(ACS_EGRESS_BITS)?
                } else {
                    0
                };
                caplen::acs_len(cap, egress)
            }
            EXT_CAP_ID_REBAR => caplen::rebar_len(rd8(REBAR_CTRL)?),
            EXT_CAP_ID_DPA => caplen::dpa_len(rd8(DPA_CAP)?),
            EXT_CAP_ID_TPH => caplen::tph_len(rd32(TPH_CAP)?),
            EXT_CAP_ID_DVSEC => caplen::header_len(rd32(DVSEC_HEADER1)?),
            _ => {
                dev_warn!(
                    pdev.as_ref(),
                    "vfio_ext_cap_len: unknown length for PCI ecap {:#x}@{:#x}\n",
                    ecap,
                    epos
                );
                0
            }
        })
    }

    /// Walks the standard capability chain: maps and copies the capabilities the user sees,
    /// unlinks the others from the virtual chain (C: `vfio_cap_init`).
    fn cap_init(&mut self, pdev: &pci::Device<Bound>) -> Result {
        let status = u32::from(pdev.user_read_config::<u16>(STATUS)?);
        if status & STATUS_CAP_LIST == 0 {
            return Ok(());
        }
        let mut pos = pdev.user_read_config::<u8>(CAPABILITY_LIST)?;
        // Where the pointer to the current capability lives, to unlink it.
        let mut prev = CAPABILITY_LIST;
        let mut caps = 0;
        // Capabilities are dword aligned: this many fit after the header.
        let mut loops = (CFG_SPACE_SIZE - STD_HEADER_SIZEOF) / CAP_SIZEOF;
        while pos != 0 && loops > 0 {
            loops -= 1;
            let p = u16::from(pos);
            let cap = pdev.user_read_config::<u8>(p)?;
            let next = pdev.user_read_config::<u8>(p + CAP_LIST_NEXT)?;

            let mut len = caplen::cap_length(cap);
            if len == caplen::VARIABLE {
                len = self.cap_len(pdev, cap, p)?;
            }
            if len == 0 {
                dev_dbg!(
                    pdev.as_ref(),
                    "vfio_cap_init: hiding cap {:#x}@{:#x}\n",
                    cap,
                    pos
                );
                self.vset(prev, 1, next.into());
                pos = next;
                continue;
            }

            self.claim(pdev, cap, p, len, false)?;
            if cap == CAP_ID_PM {
                // The user cannot handle PME: no PME support, enable or status to see.
                let pmc = self.vget(p + PM_PMC, 2) & !PM_CAP_PME_MASK;
                self.vset(p + PM_PMC, 2, pmc);
                let ctrl = self.vget(p + PM_CTRL, 2) & !(PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS);
                self.vset(p + PM_CTRL, 2, ctrl);
            }
            prev = p + CAP_LIST_NEXT;
            pos = next;
            caps += 1;
        }
        if caps == 0 {
            let status = self.vget(STATUS, 2) & !STATUS_CAP_LIST;
            self.vset(STATUS, 2, status);
        }
        Ok(())
    }

    /// Walks the extended capability chain, like [`Config::cap_init`]; a hidden capability at
    /// the head of the chain stays as a placeholder without ID (C: `vfio_ecap_init`).
    fn ecap_init(&mut self, pdev: &pci::Device<Bound>) -> Result {
        if !self.extended_caps {
            return Ok(());
        }
        let mut epos = CFG_SPACE_SIZE;
        let mut loops = (self.size - CFG_SPACE_SIZE) / CAP_SIZEOF;
        let mut prev: Option<u16> = None;
        let mut ecaps = 0;
        while loops > 0 && epos >= CFG_SPACE_SIZE {
            loops -= 1;
            let header = pdev.user_read_config::<u32>(epos)?;
            let ecap = caplen::ext_cap_id(header);
            let mut hidden = false;

            let mut len = caplen::ext_cap_length(ecap);
            if len == caplen::VARIABLE {
                len = Self::ext_cap_len(pdev, ecap, epos)?;
            }
            if len == 0 {
                dev_dbg!(
                    pdev.as_ref(),
                    "vfio_ecap_init: hiding ecap {:#x}@{:#x}\n",
                    ecap,
                    epos
                );
                if let Some(prev) = prev {
                    // Point the previous capability past this one.
                    epos = caplen::ext_cap_next(header);
                    let h = (self.vget(prev, 4) & !(0xffc << 20)) | (u32::from(epos) << 20);
                    self.vset(prev, 4, h);
                    continue;
                }
                // The head of the chain cannot be unlinked: keep its header, without the ID
                // (see `Config::direct_read`).
                len = CAP_SIZEOF;
                hidden = true;
            }

            // The map has a byte per position: extended IDs are far below 0xfe, and the low
            // byte is what C keeps too.
            // CAST: The low byte of the ID, on purpose.
            self.claim(pdev, ecap as u8, epos, len, true)?;
            if hidden {
                let h = self.vget(epos, 4) & (0xffc << 20);
                self.vset(epos, 4, h);
            } else {
                ecaps += 1;
            }
            prev = Some(epos);
            epos = caplen::ext_cap_next(header);
        }
        if ecaps == 0 {
            self.vset(CFG_SPACE_SIZE, 4, 0);
        }
        Ok(())
    }
}
