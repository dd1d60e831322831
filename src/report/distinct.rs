//! Counting distinct values in bounded memory.
//!
//! A value is counted by its fingerprint (the first 64 bits of a keyed HMAC, so uniformly
//! random). Up to [`EXACT`] values a set keeps each fingerprint and the count is exact; beyond
//! that it turns into a HyperLogLog sketch of 2^[`PRECISION`] one-byte registers (16 KiB,
//! standard error about 0.8 %), so a file with millions of different phone numbers, or a scan
//! of millions of files, counts them without holding them.
//!
//! An inventory's summary keeps each kind's set or sketch (`distinct_sketch`), so that
//! `kartlegg merge` counts the union of its shards' values as one scan would have, whatever
//! the files listed.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// Values counted exactly, at most.
pub(crate) const EXACT: usize = 4096;

/// Bits of a fingerprint that pick a register.
const PRECISION: u32 = 14;
const REGISTERS: usize = 1 << PRECISION;

/// Distinct values to be merged ([`Distinct::merge`]): a [`Distinct`], or one as a carried
/// record holds it ([`crate::scan::carry`]), read where it lies.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    Of(&'a Distinct),
    /// Fingerprints, each 8 bytes little-endian.
    Listed(&'a [u8]),
    /// A sketch's registers.
    Registers(&'a [u8]),
}

impl<'a> From<&'a Distinct> for Values<'a> {
    fn from(d: &'a Distinct) -> Values<'a> {
        Values::Of(d)
    }
}

impl From<Values<'_>> for Distinct {
    /// Distinct values of their own: a set of these, or a copy of the sketch.
    fn from(v: Values<'_>) -> Distinct {
        let mut d = Distinct::default();
        d.merge(v);
        d
    }
}

/// Distinct fingerprints: a set while small, a sketch beyond [`EXACT`].
///
/// Written as `{"exact": HEX}`, the fingerprints sorted, 16 hex digits each, or as
/// `{"registers": HEX}`, the sketch's registers, two hex digits each.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Written")]
pub enum Distinct {
    Exact(HashSet<u64, BuildHasherDefault<Spread>>),
    Estimate(Vec<u8>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashSet::default())
    }
}

/// Fingerprints are keyed hashes, already uniformly spread and not to be chosen by whoever
/// wrote the file: hashing them again (SipHash) would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here; any other input is folded in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Serialize for Distinct {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match self {
            Distinct::Exact(set) => {
                let mut all: Vec<u64> = set.iter().copied().collect();
                all.sort_unstable();
                let mut text = String::with_capacity(all.len() * 16);
                for f in all {
                    let _ = write!(text, "{f:016x}");
                }
                map.serialize_entry("exact", &text)?;
            }
            Distinct::Estimate(registers) => {
                map.serialize_entry("registers", &hex::encode(registers))?
            }
        }
        map.end()
    }
}

/// A [`Distinct`] as written, before it is checked.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Written {
    Exact(String),
    Registers(String),
}

impl TryFrom<Written> for Distinct {
    type Error = String;

    fn try_from(w: Written) -> Result<Distinct, String> {
        match w {
            Written::Exact(text) => {
                let bytes = hex::decode(&text).map_err(|e| format!("distinct values: {e}"))?;
                if bytes.len() % 8 != 0 {
                    return Err("distinct values: not whole fingerprints".into());
                }
                let mut d = Distinct::default();
                for f in bytes.chunks_exact(8) {
                    d.insert(u64::from_be_bytes(f.try_into().expect("8 bytes")));
                }
                Ok(d)
            }
            Written::Registers(text) => {
                let registers = hex::decode(&text).map_err(|e| format!("distinct sketch: {e}"))?;
                check_sketch(&registers).map_err(|e| format!("distinct sketch: {e}"))?;
                Ok(Distinct::Estimate(registers))
            }
        }
    }
}

/// Refuses registers that no sketch has: too many or too few, or one out of range.
pub(crate) fn check_sketch(registers: &[u8]) -> Result<(), String> {
    if registers.len() != REGISTERS {
        return Err(format!("{} registers, not {REGISTERS}", registers.len()));
    }
    if registers.iter().any(|&r| u32::from(r) > 64 - PRECISION + 1) {
        return Err("a register out of range".into());
    }
    Ok(())
}

impl Distinct {
    pub fn insert(&mut self, fingerprint: u64) {
        match self {
            Distinct::Exact(set) => {
                set.insert(fingerprint);
                if set.len() > EXACT {
                    let mut registers = vec![0u8; REGISTERS];
                    for &f in set.iter() {
                        observe(&mut registers, f);
                    }
                    *self = Distinct::Estimate(registers);
                }
            }
            Distinct::Estimate(registers) => observe(registers, fingerprint),
        }
    }

    /// Adds every value of `other`.
    pub fn merge<'a>(&mut self, other: impl Into<Values<'a>>) {
        match other.into() {
            Values::Of(Distinct::Exact(set)) => set.iter().for_each(|&f| self.insert(f)),
            Values::Listed(list) => list
                .chunks_exact(8)
                .for_each(|f| self.insert(u64::from_le_bytes(f.try_into().expect("8 bytes")))),
            Values::Of(Distinct::Estimate(theirs)) => self.merge(Values::Registers(theirs)),
            Values::Registers(theirs) => {
                if let Distinct::Exact(set) = self {
                    let mut registers = theirs.to_vec();
                    for &f in set.iter() {
                        observe(&mut registers, f);
                    }
                    *self = Distinct::Estimate(registers);
                } else if let Distinct::Estimate(mine) = self {
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        *m = (*m).max(*t);
                    }
                }
            }
        }
    }

    /// The count: exact while it can be, estimated beyond.
    pub fn len(&self) -> u64 {
        match self {
            Distinct::Exact(set) => set.len() as u64,
            Distinct::Estimate(registers) => estimate(registers),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Records one fingerprint in the registers: the register its first bits pick keeps the
/// longest run of leading zeros seen in the rest.
fn observe(registers: &mut [u8], fingerprint: u64) {
    let index = (fingerprint >> (64 - PRECISION)) as usize;
    let rest = fingerprint << PRECISION;
    let rank = (rest.leading_zeros().min(64 - PRECISION) + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// The HyperLogLog estimate, with linear counting while many registers are still empty.
fn estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    // 2^-r, made from its exponent bits (r is at most 51): `powi` showed in a merge's profile.
    let sum: f64 = registers
        .iter()
        .map(|&r| f64::from_bits((1023 - u64::from(r)) << 52))
        .sum();
    let raw = alpha * m * m / sum;
    let empty = registers.iter().filter(|&&r| r == 0).count();
    let e = if raw <= 2.5 * m && empty > 0 {
        m * (m / empty as f64).ln()
    } else {
        raw
    };
    e.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: stand-in fingerprints, uniformly spread as the real ones are.
    fn fingerprints(seed: u64, n: usize) -> impl Iterator<Item = u64> {
        let mut x = seed;
        std::iter::repeat_with(move || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .take(n)
    }

    #[test]
    fn exact_while_small() {
        let mut d = Distinct::default();
        for f in fingerprints(1, EXACT) {
            d.insert(f);
            d.insert(f);
        }
        assert_eq!(d.len(), EXACT as u64);
        assert!(matches!(d, Distinct::Exact(_)));
    }

    #[test]
    fn estimated_within_a_few_percent_in_bounded_memory() {
        for n in [5_000usize, 50_000, 1_000_000] {
            let mut d = Distinct::default();
            for f in fingerprints(n as u64, n) {
                d.insert(f);
            }
            let got = d.len() as f64;
            assert!(
                (got - n as f64).abs() / (n as f64) < 0.03,
                "{n} distinct estimated as {got}"
            );
            assert!(matches!(&d, Distinct::Estimate(r) if r.len() == REGISTERS));
        }
    }

    #[test]
    fn merging_counts_the_union() {
        let (mut a, mut b) = (Distinct::default(), Distinct::default());
        for f in fingerprints(7, 30_000) {
            a.insert(f);
        }
        for f in fingerprints(7, 30_000).skip(10_000) {
            b.insert(f);
        }
        for f in fingerprints(8, 100) {
            b.insert(f);
        }
        a.merge(&b);
        let got = a.len() as f64;
        assert!((got - 30_100.0).abs() / 30_100.0 < 0.03, "{got}");
        let mut small = Distinct::default();
        small.merge(&Distinct::Exact([1, 2, 3].into_iter().collect()));
        small.merge(&Distinct::Exact([3, 4].into_iter().collect()));
        assert_eq!(small.len(), 4);
    }

    #[test]
    fn written_and_read_back_it_is_the_same_set_or_sketch() {
        for n in [0, 1, 3, EXACT, EXACT + 1, 20_000] {
            let mut d = Distinct::default();
            for f in fingerprints(n as u64 + 5, n) {
                d.insert(f);
            }
            let text = serde_json::to_string(&d).unwrap();
            let back: Distinct = serde_json::from_str(&text).unwrap();
            assert_eq!(back, d, "{n}");
            // The same set is written the same whatever order its values came in.
            let mut reversed = Distinct::default();
            let all: Vec<u64> = fingerprints(n as u64 + 5, n).collect();
            all.iter().rev().for_each(|&f| reversed.insert(f));
            assert_eq!(serde_json::to_string(&reversed).unwrap(), text, "{n}");
        }
        let one = Distinct::Exact([0x1e7b_b6fb_7576_b026].into_iter().collect());
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            r#"{"exact":"1e7bb6fb7576b026"}"#
        );
    }

    #[test]
    fn a_damaged_set_or_sketch_is_refused() {
        let refused = |json: &str, says: &str| {
            let e = serde_json::from_str::<Distinct>(json)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{json}: {e}");
        };
        refused(r#"{"exact":"1e7bb6fb7576b0"}"#, "not whole fingerprints");
        refused(r#"{"exact":"+e7bb6fb7576b026"}"#, "distinct values");
        refused(r#"{"registers":"00"}"#, "1 registers, not 16384");
        let mut registers = "00".repeat(REGISTERS);
        registers.replace_range(..2, "34");
        refused(&format!(r#"{{"registers":"{registers}"}}"#), "out of range");
        registers.replace_range(..2, "33");
        assert!(
            serde_json::from_str::<Distinct>(&format!(r#"{{"registers":"{registers}"}}"#)).is_ok()
        );
        refused(r#"{"exact":"","registers":""}"#, "");
        refused(r#"{"sketch":""}"#, "unknown variant");
    }
}
