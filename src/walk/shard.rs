//! Shards: one scan split over N machines, each walking the whole tree but keeping only its
//! share of the entries.
//!
//! An entry belongs to shard `(key(rel) + root) % count`, where `rel` is its path relative to
//! its root as bytes (empty for a root's own entry), `key` the first 8 bytes (big-endian) of its
//! SHA-256 and `root` the position of its root among the scan's roots in their walk order
//! (0 for a single root). The key depends on nothing but the path: not on the walk order, the
//! machine, the Rust version or the process (unlike `DefaultHasher`), so N machines walking one
//! share agree on who takes what, and SHA-256 spreads any set of names evenly (FNV-1a's low
//! bits follow the low bits of the input bytes, so `count = 4` would split on two bits of each
//! byte). The root's position turns the shards of equal relative paths under many roots
//! (`/home/*`, each with its `.bashrc`; file roots, all of them `""`) round, so they spread
//! as evenly as distinct paths instead of all landing in one shard; merge requires the same
//! roots of every shard, so every shard counts positions alike.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: want I/N with N ≥ 1 and 0 ≤ I < N"
            ));
        }
        Ok(Shard { index, count })
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether the entry at `rel` (its path relative to its root) under the scan's `root`-th
    /// root is this shard's.
    pub fn contains(&self, root: usize, rel: &[u8]) -> bool {
        let n = u64::from(self.count);
        (key(rel) % n + root as u64 % n) % n == u64::from(self.index)
    }
}

/// The stable hash of a relative path that shards are cut by.
pub(super) fn key(rel: &[u8]) -> u64 {
    let digest = Sha256::digest(rel);
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// `I/N`, as on the command line.
impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("shard {s:?}: want I/N such as 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        // A number too large is told so, not taken for a form misread.
        let too_large = || format!("shard {s:?}: at most {} shards", u32::MAX);
        let number = |t: &str| {
            t.trim().parse::<u32>().map_err(|e| match e.kind() {
                std::num::IntErrorKind::PosOverflow => too_large(),
                _ => bad(),
            })
        };
        Shard::new(number(i)?, number(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100,000 relative paths shaped like a file server's: deep, similar, numbered.
    fn paths() -> Vec<Vec<u8>> {
        (0..100_000u32)
            .map(|i| {
                format!("Avdeling {}/Saker/{:04}/vedlegg_{}.pdf", i % 7, i / 100, i).into_bytes()
            })
            .collect()
    }

    #[test]
    fn shards_are_disjoint_complete_and_balanced() {
        let paths = paths();
        let keys: Vec<u64> = paths.iter().map(|p| key(p)).collect();
        for count in [2u32, 3, 4, 7, 16, 64] {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            // Through the public test, on every 25th path (SHA-256 is slow in debug builds).
            for p in paths.iter().step_by(25) {
                let owners = shards.iter().filter(|s| s.contains(0, p)).count();
                assert_eq!(owners, 1, "{count} shards: {p:?} in {owners}");
            }
            let mut sizes = vec![0usize; count as usize];
            for k in &keys {
                sizes[(k % u64::from(count)) as usize] += 1;
            }
            let mean = paths.len() as f64 / f64::from(count);
            for (i, n) in sizes.iter().enumerate() {
                let off = (*n as f64 - mean).abs() / mean;
                // With 64 shards a shard holds ~1,560 paths: 3 standard deviations is ~7.5%.
                let tolerance = if count <= 16 { 0.03 } else { 0.08 };
                assert!(
                    off < tolerance,
                    "{count} shards: shard {i} has {n} (mean {mean})"
                );
            }
        }
    }

    #[test]
    fn equal_paths_under_many_roots_spread_over_the_shards() {
        // 100 roots of the same 8 names (`/home/*`), and 100 file roots (whose paths relative
        // to themselves are all empty): each shard gets its even share, and each entry one
        // shard.
        let names: [&[u8]; 9] = [
            b".bashrc",
            b".profile",
            b"notes.txt",
            b"todo.txt",
            b"Documents/cv.txt",
            b"Documents/brev.txt",
            b"Documents/a.txt",
            b"Documents/b.txt",
            b"",
        ];
        for count in [2u32, 3, 4, 7] {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            for name in names {
                let mut sizes = vec![0u32; count as usize];
                for root in 0..100 {
                    let owners: Vec<_> = shards.iter().filter(|s| s.contains(root, name)).collect();
                    assert_eq!(owners.len(), 1, "{count} shards, root {root}: {name:?}");
                    sizes[owners[0].index() as usize] += 1;
                }
                let (lo, hi) = (100 / count, 100_u32.div_ceil(count));
                assert!(
                    sizes.iter().all(|n| (lo..=hi).contains(n)),
                    "{count} shards, {name:?}: {sizes:?}"
                );
            }
        }
        // One root keeps the partition by path alone.
        let four = Shard::new((key(b"a/b.txt") % 4) as u32, 4);
        assert!(four.unwrap().contains(0, b"a/b.txt"));
    }

    #[test]
    fn the_key_is_sha256_and_so_the_same_everywhere() {
        // printf '%s' 'a/b.txt' | sha256sum  →  starts with these 16 hex digits.
        let expected = u64::from_str_radix(&sha256_prefix_of("a/b.txt"), 16).unwrap();
        assert_eq!(key(b"a/b.txt"), expected);
        assert_ne!(key(b"a/b.txt"), key(b"a/b.txu"));
    }

    /// The first 16 hex digits of `sha256sum`, from the system tool, so the test pins the
    /// definition to an implementation outside this crate.
    fn sha256_prefix_of(s: &str) -> String {
        use std::io::Write;
        let mut child = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sha256sum (coreutils)");
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()[..16].to_string()
    }

    #[test]
    fn parsing() {
        assert_eq!("1/4".parse::<Shard>().unwrap(), Shard::new(1, 4).unwrap());
        assert_eq!(Shard::new(3, 8).unwrap().to_string(), "3/8");
        for bad in ["4/4", "0/0", "1", "a/2", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
        }
        // A number too large is told as such, not as a form misread.
        assert_eq!(
            "1/4294967296".parse::<Shard>().unwrap_err(),
            "shard \"1/4294967296\": at most 4294967295 shards"
        );
        assert_eq!(
            "1/99999999999999999999".parse::<Shard>().unwrap_err(),
            "shard \"1/99999999999999999999\": at most 4294967295 shards"
        );
        let one = Shard::new(0, 1).unwrap();
        assert!(one.contains(0, b"") && one.contains(9, b"anything"));
    }
}
