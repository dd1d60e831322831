//! Synthetic identifiers for tests, benchmarks and fixtures.
//!
//! Nothing here is a real person's number by intent: callers choose the synthetic month offset
//! (+80) for anything that is committed, and use the real-format generators only at test or
//! benchmark time, from a seeded generator.

use crate::detect::validate;

/// A tiny deterministic generator (SplitMix64): reproducible across platforms and versions,
/// which `rand`'s algorithms do not promise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn push2(s: &mut Vec<u8>, v: u32) {
    s.push(b'0' + (v / 10) as u8);
    s.push(b'0' + (v % 10) as u8);
}

/// Appends both check digits to 9 digits; `None` when a check digit would be 10.
fn with_check_digits(mut d: Vec<u8>, rule_2032: bool) -> Option<String> {
    const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let s1: u32 = W1
        .iter()
        .zip(&d)
        .map(|(w, b)| w * u32::from(b - b'0'))
        .sum();
    // Classic: r1 == 0; 2032: r1 == 1 (one of the values only the new rule allows).
    let target = u32::from(rule_2032);
    let k1 = (22 + target - s1 % 11) % 11;
    if k1 == 10 {
        return None;
    }
    d.push(b'0' + k1 as u8);
    let s2: u32 = W2
        .iter()
        .zip(&d)
        .map(|(w, b)| w * u32::from(b - b'0'))
        .sum();
    let k2 = (11 - s2 % 11) % 11;
    if k2 == 10 {
        return None;
    }
    d.push(b'0' + k2 as u8);
    String::from_utf8(d).ok()
}

/// Options for [`identity_number`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IdSpec {
    /// D-number: day + 40.
    pub d_number: bool,
    /// H-number: month + 40.
    pub h_number: bool,
    /// Synthetic: month + 80.
    pub synthetic: bool,
    /// Valid only under the 2032 rule.
    pub rule_2032: bool,
}

/// A valid identity number drawn from `rng`.
pub fn identity_number(rng: &mut Rng, spec: IdSpec) -> String {
    loop {
        let month = 1 + rng.below(12) as u32;
        let yy = rng.below(100) as u32;
        let day = 1 + rng.below(28) as u32;
        let mut d = Vec::with_capacity(11);
        push2(&mut d, day + if spec.d_number { 40 } else { 0 });
        let m_off = if spec.synthetic {
            80
        } else if spec.h_number {
            40
        } else {
            0
        };
        push2(&mut d, month + m_off);
        push2(&mut d, yy);
        let ind = rng.below(1000) as u32;
        d.push(b'0' + (ind / 100) as u8);
        push2(&mut d, ind % 100);
        if let Some(s) = with_check_digits(d, spec.rule_2032) {
            debug_assert!(validate::identity_number(s.as_bytes()).is_some(), "{s}");
            return s;
        }
    }
}

/// A valid FH-number drawn from `rng`.
pub fn fh_number(rng: &mut Rng) -> String {
    loop {
        let mut d = vec![b'8' + rng.below(2) as u8];
        for _ in 0..8 {
            d.push(b'0' + rng.below(10) as u8);
        }
        if let Some(s) = with_check_digits(d, false) {
            return s;
        }
    }
}

/// A valid kontonummer drawn from `rng`.
pub fn kontonummer(rng: &mut Rng) -> String {
    loop {
        let mut d: Vec<u8> = (0..10).map(|_| b'0' + rng.below(10) as u8).collect();
        const W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        let s: u32 = W.iter().zip(&d).map(|(w, b)| w * u32::from(b - b'0')).sum();
        let k = (11 - s % 11) % 11;
        if k == 10 {
            continue;
        }
        d.push(b'0' + k as u8);
        return String::from_utf8(d).expect("digits");
    }
}

/// A Norwegian mobile number (8 digits, starting 4 or 9).
pub fn mobile(rng: &mut Rng) -> String {
    let first = if rng.below(2) == 0 { '4' } else { '9' };
    format!("{first}{:07}", rng.below(10_000_000))
}

/// Eleven digits that fail the identity checksum.
pub fn invalid_identity_number(rng: &mut Rng) -> String {
    loop {
        let s: String = (0..11)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if validate::id_checksum(s.as_bytes()).is_none() {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_validate_as_asked() {
        let mut rng = Rng::new(7);
        for _ in 0..500 {
            let spec = IdSpec {
                d_number: rng.below(2) == 0,
                synthetic: rng.below(2) == 0,
                rule_2032: rng.below(2) == 0,
                h_number: false,
            };
            let s = identity_number(&mut rng, spec);
            let id = validate::identity_number(s.as_bytes()).unwrap();
            assert_eq!(id.synthetic.is_some(), spec.synthetic, "{s}");
            assert_eq!(
                id.variant == validate::IdVariant::DNummer,
                spec.d_number,
                "{s}"
            );
            assert_eq!(
                id.rule == validate::ChecksumRule::Rule2032,
                spec.rule_2032,
                "{s}"
            );
            assert!(validate::kontonummer(kontonummer(&mut rng).as_bytes()));
            assert!(validate::identity_number(fh_number(&mut rng).as_bytes()).is_some());
            assert!(
                validate::identity_number(invalid_identity_number(&mut rng).as_bytes()).is_none()
            );
        }
    }
}
