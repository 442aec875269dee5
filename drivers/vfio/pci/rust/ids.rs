// SPDX-License-Identifier: GPL-2.0

//! The `ids` module parameter: PCI IDs the driver binds at load without `driver_override`, as
//! dynamic IDs. What `vfio_pci_fill_ids` does in `vfio_pci.c`.
//!
//! The parameter is a comma-separated list of
//! `vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]`, each field hexadecimal; left-out
//! subsystem IDs match anything, a left-out class matches any class. An entry is read the way C's
//! `sscanf("%x:%x:%x:%x:%x:%x")` reads it: as many fields as parse, the rest ignored. Entries with
//! fewer than two fields are reported and skipped; so are those the PCI core refuses.

#![forbid(unsafe_code)]

use kernel::{
    driver,
    pci::{
        self,
        DynamicId, //
    },
    prelude::*,
    str::BStr,
    vfio, //
};

/// Parses one hexadecimal field as `%x` does: optional leading white space, an optional `0x`,
/// then hex digits (at least one). Returns the value (wrapping, as C's conversion does) and the
/// rest of the input.
fn hex_field(s: &[u8]) -> Option<(u32, &[u8])> {
    let mut s = s;
    while let [c, rest @ ..] = s {
        if !c.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    if let [b'0', b'x' | b'X', rest @ ..] = s {
        if rest.first().is_some_and(u8::is_ascii_hexdigit) {
            s = rest;
        }
    }
    let digits = s.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if digits == 0 {
        return None;
    }
    let v = s[..digits].iter().fold(0u32, |v, &c| {
        let d = char::from(c).to_digit(16).unwrap_or(0);
        v.wrapping_shl(4) | d
    });
    Some((v, &s[digits..]))
}

/// Parses an entry: the fields up to the first that does not parse (at most six), separated by
/// `:`. Returns the values and how many parsed.
fn parse_entry(entry: &[u8]) -> ([u32; 6], usize) {
    let mut fields = [0u32; 6];
    let mut n = 0;
    let mut s = entry;
    while n < fields.len() {
        if n > 0 {
            match s {
                [b':', rest @ ..] => s = rest,
                _ => break,
            }
        }
        let Some((v, rest)) = hex_field(s) else {
            break;
        };
        fields[n] = v;
        n += 1;
        s = rest;
    }
    (fields, n)
}

/// An ID as the C driver prints it: `[vendor:device[subvendor:subdevice]] class c/mask`.
struct Shown<'a>(&'a DynamicId);

impl kernel::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let id = self.0;
        write!(
            f,
            "[{:04x}:{:04x}[{:04x}:{:04x}]] class {:#08x}/{:08x}",
            id.vendor, id.device, id.subvendor, id.subdevice, id.class, id.class_mask
        )
    }
}

/// Adds a dynamic ID for every entry of `ids` to the registered driver `reg`.
pub(crate) fn fill<T: vfio::pci::Driver + 'static>(
    reg: &driver::Registration<vfio::pci::Adapter<T>>,
    ids: &[u8],
) {
    for entry in ids.split(|&c| c == b',') {
        if entry.is_empty() {
            continue;
        }
        let (f, n) = parse_entry(entry);
        if n < 2 {
            pr_warn!("invalid id string \"{}\"\n", BStr::from_bytes(entry));
            continue;
        }
        let id = DynamicId {
            vendor: f[0],
            device: f[1],
            subvendor: if n > 2 { f[2] } else { pci::DeviceId::ANY },
            subdevice: if n > 3 { f[3] } else { pci::DeviceId::ANY },
            class: if n > 4 { f[4] } else { 0 },
            class_mask: if n > 5 { f[5] } else { 0 },
        };
        match reg.add_dynid(&id) {
            Ok(()) => pr_info!("add {}\n", Shown(&id)),
            Err(e) => pr_warn!("failed to add dynamic id {} ({})\n", Shown(&id), e.to_errno()),
        }
    }
}

/// KUnit tests of the `ids` parser: C's `sscanf("%x:%x:%x:%x:%x:%x")` field by field.
#[cfg(CONFIG_VFIO_PCI_RUST_KUNIT_TEST)]
#[kernel::macros::kunit_tests(vfio_pci_rust_ids)]
mod kunit {
    use super::parse_entry;

    #[test]
    fn two_fields() {
        assert_eq!(parse_entry(b"1234:11e8"), ([0x1234, 0x11e8, 0, 0, 0, 0], 2));
    }

    #[test]
    fn six_fields() {
        let (f, n) = parse_entry(b"8086:10C9:1af4:1100:20000:ffff00");
        assert_eq!(n, 6);
        assert_eq!(f, [0x8086, 0x10c9, 0x1af4, 0x1100, 0x20000, 0xffff00]);
    }

    #[test]
    fn stops_at_the_first_bad_field() {
        assert_eq!(parse_entry(b"zzzz").1, 0);
        assert_eq!(parse_entry(b"1234").1, 1);
        assert_eq!(parse_entry(b"1234:").1, 1);
        assert_eq!(parse_entry(b"1234:11e8:").1, 2);
        assert_eq!(parse_entry(b"1234:11e8zz:1").1, 2);
        assert_eq!(parse_entry(b"1234;11e8").1, 1);
        assert_eq!(parse_entry(b"1:2:3:4:5:6:7").1, 6);
    }

    #[test]
    fn prefixes_and_spaces() {
        assert_eq!(parse_entry(b"0x1234: 0X11e8").0[..2], [0x1234, 0x11e8]);
        assert_eq!(parse_entry(b"0x:1").1, 1);
        assert_eq!(parse_entry(b"0x:1").0[0], 0);
    }
}
