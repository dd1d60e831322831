//! IP addresses (`rules/ip_address.toml`): IPv4 dotted quads and IPv6 in every written form
//! (compressed, with an IPv4 tail, in brackets, followed by a port or a zone), normalised as
//! RFC 5952 writes them (`2001:db8::1`, lower case, the longest run of zeros compressed).
//!
//! An address in a private, shared (CGNAT), loopback, link-local, documentation, multicast,
//! unspecified or reserved range names no person: it carries that range as its `scope`, and the
//! rule keeps it at low. An IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::/96`) address is
//! judged by its IPv4 part.
//!
//! Trigger: digit chains, like the numbers. A dotted quad is a chain with `.` between its
//! groups. An IPv6 address holds a digit in all but contrived forms (`::`, `fe::ab`, which are
//! not found), and the chain at its first digit has a `:` or a hex letter right before or after
//! it: `fe80::1` stops the pass at `8`, and the address is read back to its start. The forward
//! pass calls this module only for such chains (three table lookups per chain), and text
//! without digits costs nothing. A region that is not an address (a time `14:30:00`) is marked
//! as looked at, so that its other chains do not call it again.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::digits::Chain;
use super::registry::{adjustments, Builtin, ChainHook, Needs, Spec, Trigger};
use super::{kind, Candidate, Detector, Scoring};

pub(super) const SPEC: Spec = Spec {
    matcher: "ip_address",
    kind: kind::IP_ADDRESS,
    trigger: Trigger::DigitChain,
    shape: "a.b.c.d (0-255, no leading zeros, no fifth group) or IPv6 in any RFC 4291 form, \
            bare, [in brackets] or with a :port",
    validator: "the address parses; its range decides the scope",
    rule_file: (
        "rules/ip_address.toml",
        include_str!("../../rules/ip_address.toml"),
    ),
    adjustments: Adjust::NAMES,
    needs: &[
        Needs {
            digits: 4,
            bytes: b".",
        },
        Needs {
            digits: 1,
            bytes: b":",
        },
    ],
    on_chain: Some(&HOOK),
};

static HOOK: ChainHook = ChainHook {
    separators: b".",
    neighbours: b":abcdefABCDEF",
    run,
};

adjustments! {
    /// The `adjust` keys of `rules/ip_address.toml`.
    pub(super) enum Adjust for Builtin::IpAddress {
        NonPublic = "non_public",
        AccessLog = "access_log",
        SmallOctets = "small_octets",
    }
}

/// The scopes of addresses that name no person.
pub(super) mod scope {
    pub(crate) const PRIVATE: &str = "private";
    pub(crate) const LOOPBACK: &str = "loopback";
    pub(crate) const LINK_LOCAL: &str = "link_local";
    pub(crate) const DOCUMENTATION: &str = "documentation";
    pub(crate) const MULTICAST: &str = "multicast";
    pub(crate) const UNSPECIFIED: &str = "unspecified";
    pub(crate) const RESERVED: &str = "reserved";
}

/// An address found in the text.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    start: usize,
    end: usize,
    value: String,
    scope: Option<&'static str>,
    /// Four single-digit octets: as likely a version, a section or an OID.
    small: bool,
}

fn run(det: &Detector, sc: &Scoring<'_>, chain: &Chain, out: &mut Vec<Candidate>) -> Option<usize> {
    let found = v6(sc, chain).or_else(|| v4(sc.text, chain))?;
    let end = found.end;
    out.push(score(det, sc, found));
    Some(end)
}

/// The longest textual IPv6 address (`ffff:…:255.255.255.255`).
const MAX_V6: usize = 45;

/// What a byte can be in the text of an IPv6 address: a hex digit or `:` ([`HEXY`]), or the
/// `.` of an IPv4 tail ([`DOT`]). One lookup per byte: the region around every log line's
/// time is read here.
const HEXY: u8 = 1;
const DOT: u8 = 2;
static V6_BYTES: [u8; 256] = {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        let x = i as u8;
        t[i] = if x.is_ascii_hexdigit() || x == b':' {
            HEXY
        } else if x == b'.' {
            DOT
        } else {
            0
        };
        i += 1;
    }
    t
};

fn hexy(x: u8) -> bool {
    V6_BYTES[usize::from(x)] == HEXY
}

/// A neighbour that makes the address part of a word or code.
fn glued(x: Option<u8>) -> bool {
    x.is_some_and(|x| x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80)
}

/// An IPv6 address around the chain, if the chain has the neighbours of one.
fn v6(sc: &Scoring<'_>, chain: &Chain) -> Option<Found> {
    let text = sc.text;
    let b = text.as_bytes();
    let before = chain.start.checked_sub(1).map(|p| b[p]);
    if !(before.is_some_and(hexy) || b.get(chain.end).is_some_and(|&x| hexy(x))) {
        return None;
    }
    // The region of hex digits and colons around the chain (and dots, for an IPv4 tail). When
    // only the end of the chain touches it, it starts in the chain's last group (a log line's
    // `2024-03-20 14:30:00`: the time is examined once, and its chains do not call again).
    let at = if before.is_some_and(hexy) {
        chain.start
    } else {
        let mut p = chain.end;
        while p > chain.start && b[p - 1].is_ascii_digit() {
            p -= 1;
        }
        p
    };
    let mut s = at;
    while s > 0 && at - s < MAX_V6 && hexy(b[s - 1]) {
        s -= 1;
    }
    let mut e = at;
    while e < b.len() && e - s < MAX_V6 + 2 && V6_BYTES[usize::from(b[e])] != 0 {
        e += 1;
    }
    sc.hooks_looked.set(e);
    // A sentence's full stop, and a label's colon before the address or a colon after it.
    while e > s && b[e - 1] == b'.' {
        e -= 1;
    }
    if b[s..e].starts_with(b":") && !b[s..e].starts_with(b"::") {
        s += 1;
    }
    if b[s..e].ends_with(b":") && !b[s..e].ends_with(b"::") {
        e -= 1;
    }
    // Letters or digits right against it: part of a word or code (`deadbeef:…x`); a label
    // before its colon (`addr:…`) is not.
    let left = s.checked_sub(1).map(|p| b[p]);
    if (left != Some(b':') && glued(left)) || glued(b.get(e).copied()) {
        return None;
    }
    let r = &text[s..e];
    let colons = r.bytes().filter(|&x| x == b':').count();
    if colons < 2 {
        return None;
    }
    // A pair of bytes compared in place: `str::contains` sets up a substring search, which on
    // these few bytes (a log line's time, once per line) cost more than the rest of the test.
    let compressed = r.as_bytes().windows(2).any(|w| w == b"::");
    // Eight groups need seven colons (six before an IPv4 tail); fewer only with `::`.
    if !compressed && colons < 6 {
        return None;
    }
    // Eight groups of two hex digits: a MAC or EUI-64, not an address as people write one.
    if !compressed && colons == 7 && r.split(':').all(|g| g.len() == 2) {
        return None;
    }
    let addr: Ipv6Addr = r.parse().ok()?;
    Some(Found {
        start: s,
        end: e,
        value: addr.to_string(),
        scope: scope_v6(addr),
        small: false,
    })
}

/// A dotted quad in the chain: four groups of 0-255 joined by `.`, at the chain's start or
/// after a space, with no fifth group joined by `.`.
fn v4(text: &str, chain: &Chain) -> Option<Found> {
    let b = text.as_bytes();
    let seps = chain.seps();
    let octet = |(s, e): (usize, usize)| -> Option<u8> {
        let d = &b[s..e];
        if d.is_empty() || d.len() > 3 || (d.len() > 1 && d[0] == b'0') {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    for k in 0..chain.n.saturating_sub(3) {
        let dotted = seps[k..k + 3] == *b"...";
        let fifth = seps.get(k + 3) == Some(&b'.');
        if !dotted || fifth || (k > 0 && seps[k - 1] != b' ') {
            continue;
        }
        let (start, end) = (chain.groups[k].0, chain.groups[k + 3].1);
        let left = start.checked_sub(1).map(|p| b[p]);
        let right = b.get(end).copied();
        if (k == 0 && (glued(left) || left == Some(b'.')))
            || glued(right)
            || (right == Some(b'/') && b.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            // Part of a word or code, or a network (`10.0.0.0/8`) rather than an address.
            continue;
        }
        let mut o = [0u8; 4];
        for (i, g) in chain.groups[k..k + 4].iter().enumerate() {
            o[i] = octet(*g)?;
        }
        let addr = Ipv4Addr::from(o);
        return Some(Found {
            start,
            end,
            value: addr.to_string(),
            scope: scope_v4(addr),
            small: o.iter().all(|&x| x < 10),
        });
    }
    None
}

/// The scope of an IPv4 address that names no person (RFC 6890 and its successors).
fn scope_v4(a: Ipv4Addr) -> Option<&'static str> {
    use scope::*;
    Some(match a.octets() {
        [0, 0, 0, 0] => UNSPECIFIED,
        [0, ..] => RESERVED,
        [10, ..] | [192, 168, ..] => PRIVATE,
        [172, x, ..] if (16..32).contains(&x) => PRIVATE,
        // Shared address space (carrier-grade NAT): the customer behind it is not known.
        [100, x, ..] if (64..128).contains(&x) => PRIVATE,
        [127, ..] => LOOPBACK,
        [169, 254, ..] => LINK_LOCAL,
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => DOCUMENTATION,
        [224..=239, ..] => MULTICAST,
        // IETF protocol assignments, benchmarking, future use and broadcast.
        [192, 0, 0, _] | [198, 18 | 19, ..] | [240..=255, ..] => RESERVED,
        _ => return None,
    })
}

/// The scope of an IPv6 address that names no person (RFC 4291, 6890, 9637).
fn scope_v6(a: Ipv6Addr) -> Option<&'static str> {
    use scope::*;
    let s = a.segments();
    if a.is_unspecified() {
        return Some(UNSPECIFIED);
    }
    if a.is_loopback() {
        return Some(LOOPBACK);
    }
    // IPv4-mapped and NAT64 (64:ff9b::/96): the IPv4 address inside decides.
    if s[..6] == [0, 0, 0, 0, 0, 0xffff] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return scope_v4(Ipv4Addr::new(a, b, c, d));
    }
    Some(match s {
        [x, ..] if x & 0xffc0 == 0xfe80 => LINK_LOCAL,
        [x, ..] if x & 0xfe00 == 0xfc00 => PRIVATE,
        [x, ..] if x & 0xff00 == 0xff00 => MULTICAST,
        [0x2001, 0x0db8, ..] => DOCUMENTATION,
        [x, ..] if x & 0xfff0 == 0x3ff0 => DOCUMENTATION,
        // Site-local (deprecated), discard-only, benchmarking, and the rest of ::/8
        // (IPv4-compatible and unassigned).
        [x, ..] if x & 0xffc0 == 0xfec0 => RESERVED,
        [0x0100, 0, 0, 0, ..] | [0x2001, 0x0002, 0, ..] => RESERVED,
        [x, ..] if x < 0x0100 => RESERVED,
        _ => return None,
    })
}

/// An address that starts its line and is followed by ` - `, as web servers log a request.
fn access_log(text: &str, f: &Found) -> bool {
    let b = text.as_bytes();
    let line_start = b[..f.start]
        .iter()
        .rposition(|&x| x == b'\n')
        .map_or(0, |p| p + 1);
    b[line_start..f.start].iter().all(u8::is_ascii_whitespace) && b[f.end..].starts_with(b" - ")
}

fn score(det: &Detector, sc: &Scoring<'_>, f: Found) -> Candidate {
    let c = det.compiled(Builtin::IpAddress);
    let r = &c.rule;
    let mut s = det.context_score(r, sc, f.start, f.end);
    if f.scope.is_some() {
        s += r.adjustment(Adjust::NonPublic);
    }
    if f.small {
        s += r.adjustment(Adjust::SmallOctets);
    }
    if access_log(sc.text, &f) {
        s += r.adjustment(Adjust::AccessLog);
    }
    let mut cand = c.candidate(c.kind, f.start, f.end, f.value.into(), s);
    cand.scope = f.scope;
    cand
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_of_ipv4_ranges() {
        use scope::*;
        for (a, want) in [
            ("0.0.0.0", Some(UNSPECIFIED)),
            ("0.1.2.3", Some(RESERVED)),
            ("10.20.30.40", Some(PRIVATE)),
            ("172.16.0.1", Some(PRIVATE)),
            ("172.31.255.255", Some(PRIVATE)),
            ("172.32.0.1", None),
            ("192.168.1.1", Some(PRIVATE)),
            ("100.64.0.1", Some(PRIVATE)),
            ("100.127.255.254", Some(PRIVATE)),
            ("100.128.0.1", None),
            ("127.0.0.1", Some(LOOPBACK)),
            ("169.254.10.20", Some(LINK_LOCAL)),
            ("192.0.2.55", Some(DOCUMENTATION)),
            ("198.51.100.7", Some(DOCUMENTATION)),
            ("203.0.113.99", Some(DOCUMENTATION)),
            ("224.0.0.251", Some(MULTICAST)),
            ("239.255.255.250", Some(MULTICAST)),
            ("192.0.0.8", Some(RESERVED)),
            ("198.18.0.1", Some(RESERVED)),
            ("198.19.255.1", Some(RESERVED)),
            ("198.20.0.1", None),
            ("240.0.0.1", Some(RESERVED)),
            ("255.255.255.255", Some(RESERVED)),
            ("185.15.59.224", None),
            ("8.8.8.8", None),
        ] {
            assert_eq!(scope_v4(a.parse().unwrap()), want, "{a}");
        }
    }

    #[test]
    fn scopes_of_ipv6_ranges() {
        use scope::*;
        for (a, want) in [
            ("::", Some(UNSPECIFIED)),
            ("::1", Some(LOOPBACK)),
            ("fe80::1", Some(LINK_LOCAL)),
            ("febf::1", Some(LINK_LOCAL)),
            ("fc00::1", Some(PRIVATE)),
            ("fd12:3456:789a::1", Some(PRIVATE)),
            ("ff02::1", Some(MULTICAST)),
            ("2001:db8::1", Some(DOCUMENTATION)),
            ("3fff:1::1", Some(DOCUMENTATION)),
            ("::ffff:10.0.0.1", Some(PRIVATE)),
            ("::ffff:185.15.59.224", None),
            ("64:ff9b::192.0.2.33", Some(DOCUMENTATION)),
            ("fec0::1", Some(RESERVED)),
            ("100::1", Some(RESERVED)),
            ("2001:2::1", Some(RESERVED)),
            ("::13.1.68.3", Some(RESERVED)),
            ("2001:4860:4860::8888", None),
            ("2a02:c7f:1234::1", None),
        ] {
            assert_eq!(scope_v6(a.parse().unwrap()), want, "{a}");
        }
    }
}
