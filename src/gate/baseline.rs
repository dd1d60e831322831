//! The baseline: reviewed exceptions, committed to the repository as `.kartlegg-baseline.json`.
//!
//! An entry names a value by its fingerprint (HMAC-SHA256 of kind and normalised value, the
//! same fingerprint the inventory carries) together with the path it sits in, so an exception
//! follows the value when lines move, and a *new* number on an excepted line still fails. The
//! file holds no raw values and no masks.
//!
//! The HMAC key is stored in the file itself: a random key per repository. That makes the
//! fingerprints stable across runs and machines (developers' hooks and CI agree without a
//! shared secret) and unlinkable between repositories. It does not make them secret from
//! someone who has the file: identity numbers are few enough to try them all. Whoever can read
//! the baseline can read the repository, which is where the excepted value is anyway.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::report::mask::HashKey;

/// The file name looked for at the repository root.
pub(crate) const FILE_NAME: &str = ".kartlegg-baseline.json";

const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Baseline {
    pub version: u32,
    /// Hex of the HMAC key of this repository's fingerprints.
    pub key: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub fingerprint: String,
    pub kind: String,
    pub path: String,
    pub reviewer: String,
    pub reason: String,
    /// When the exception was recorded (YYYY-MM-DD).
    pub date: NaiveDate,
    /// From this day on the entry no longer suppresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
}

impl Entry {
    pub(crate) fn expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|e| e <= today)
    }
}

impl Baseline {
    /// A new, empty baseline with a fresh random key.
    pub(crate) fn new() -> Baseline {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Baseline {
            version: VERSION,
            key: hex::encode(key),
            entries: Vec::new(),
        }
    }

    pub(crate) fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the baseline {}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid baseline", path.display()))?;
        if b.version != VERSION {
            bail!(
                "{}: baseline version {} is not supported (expected {VERSION})",
                path.display(),
                b.version
            );
        }
        if hex::decode(&b.key).map_or(true, |k| k.len() < 16) {
            bail!(
                "{}: the key must be at least 16 bytes of hex",
                path.display()
            );
        }
        Ok(b)
    }

    /// Writes the file atomically, entries sorted so diffs stay small.
    pub(crate) fn save(&mut self, path: &Path) -> Result<()> {
        // Of entries for one value (baselines put together), the one that lasts longest is
        // kept: it sorts first.
        let lasts = |e: &Entry| std::cmp::Reverse(e.expires.unwrap_or(chrono::NaiveDate::MAX));
        self.entries.sort_by(|a, b| {
            (&a.path, &a.kind, &a.fingerprint, lasts(a)).cmp(&(
                &b.path,
                &b.kind,
                &b.fingerprint,
                lasts(b),
            ))
        });
        self.entries
            .dedup_by(|a, b| a.path == b.path && a.fingerprint == b.fingerprint);
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        // A new baseline may be named in a directory of its own (`--baseline ci/...`).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
        }
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    pub(crate) fn key(&self) -> HashKey {
        HashKey::provided(hex::decode(&self.key).expect("checked on load"))
    }

    /// Every entry for a value in a path: one, unless baselines were put together by hand
    /// (then one that has not expired is the one that counts, and none of them is stale).
    pub(crate) fn find_all<'a>(
        &'a self,
        path: &'a str,
        fingerprint: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.path == path && e.fingerprint == fingerprint)
            .map(|(i, _)| i)
    }

    /// Entries not in `used`: they match nothing any more.
    pub(crate) fn stale<'a>(
        &'a self,
        used: &'a HashSet<usize>,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, e)| e)
    }
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut b = Baseline::new();
        let e = Entry {
            fingerprint: b.key().fingerprint("fodselsnummer", "13097248022"),
            kind: "fodselsnummer".into(),
            path: "a.csv".into(),
            reviewer: "kari".into(),
            reason: "public test vector".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            expires: NaiveDate::from_ymd_opt(2026, 6, 1),
        };
        b.entries.push(e.clone());
        b.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("13097248022"), "no raw values");
        let back = Baseline::load(&path).unwrap();
        assert_eq!(back.entries, vec![e.clone()]);
        assert_eq!(back.find_all("a.csv", &e.fingerprint).next(), Some(0));
        assert_eq!(back.find_all("b.csv", &e.fingerprint).next(), None);
        assert!(!e.expired(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()));
        assert!(e.expired(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()));

        // Two entries for the value (baselines put together): the one that lasts is kept.
        let mut b = back;
        let lasting = Entry {
            expires: None,
            reviewer: "ola".into(),
            ..e.clone()
        };
        b.entries.push(lasting.clone());
        b.save(&path).unwrap();
        assert_eq!(Baseline::load(&path).unwrap().entries, vec![lasting]);
    }
}
