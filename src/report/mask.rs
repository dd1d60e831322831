//! Masking and fingerprinting: what the inventory may say about a value without leaking it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Shows at most a third of the characters: the start of numbers; the first letter of an
/// address's local part and its top-level domain.
pub fn mask(kind: &str, value: &str) -> String {
    let n = value.chars().count();
    let keep = n / 3;
    if kind == crate::detect::kind::EMAIL {
        if let Some((local, domain)) = value.split_once('@') {
            let tld = domain.rsplit('.').next().unwrap_or("");
            let first: String = local.chars().take(1).collect();
            let shown = first.chars().count() + 1 + tld.chars().count() + 1;
            if shown <= keep {
                return format!("{first}***@***.{tld}");
            }
            return format!("{first}***@***");
        }
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < keep { c } else { '*' })
        .collect()
}

/// The key of the keyed hash.
#[derive(Clone)]
pub struct HashKey {
    /// HMAC-SHA256 with the key already absorbed: each value then costs two SHA-256 blocks
    /// instead of four.
    mac: Hmac<Sha256>,
    /// Seeded from the key, for [`HashKey::distinct`].
    distinct: foldhash::quality::FixedState,
    /// True when the operator gave the key: fingerprints then correlate across scans.
    pub provided: bool,
}

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashKey")
            .field("provided", &self.provided)
            .finish_non_exhaustive()
    }
}

impl HashKey {
    pub fn provided(key: Vec<u8>) -> HashKey {
        HashKey::new(&key, true)
    }

    fn new(key: &[u8], provided: bool) -> HashKey {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        let mut seed = mac.clone();
        seed.update(b"kartlegg distinct values");
        let seed = seed.finalize().into_bytes();
        HashKey {
            mac,
            distinct: foldhash::quality::FixedState::with_seed(u64::from_le_bytes(
                seed[..8].try_into().expect("8 of 32 bytes"),
            )),
            provided,
        }
    }

    /// A random key for this scan only.
    pub fn random() -> HashKey {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        HashKey::new(&key, false)
    }

    /// `hmac-sha256:` + the first 128 bits, hex, of HMAC-SHA256(key, kind NUL value).
    pub fn fingerprint(&self, kind: &str, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let out = mac.finalize().into_bytes();
        format!("hmac-sha256:{}", hex::encode(&out[..16]))
    }

    /// A 64-bit hash of kind and value, seeded from the key, for counting distinct values in
    /// memory (it is never written). Equal values give equal numbers, as fingerprints do, for
    /// a fraction of an HMAC: every finding is counted, but only the listed ones need a
    /// fingerprint (a register export has millions of values).
    pub fn distinct(&self, kind: &str, value: &str) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = self.distinct.build_hasher();
        h.write(kind.as_bytes());
        h.write_u8(0);
        h.write(value.as_bytes());
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_at_most_a_third() {
        assert_eq!(mask("fodselsnummer", "03851598730"), "038********");
        assert_eq!(mask("phone", "+4740300040"), "+47********");
        assert_eq!(mask("email", "ola.nordmann@firma.no"), "o***@***.no");
        assert_eq!(mask("email", "a@b.no"), "a***@***");
        for (kind, v) in [
            ("fodselsnummer", "03851598730"),
            ("email", "ola.nordmann@firma.no"),
            ("email", "kari@blåbær.no"),
        ] {
            let m = mask(kind, v);
            let shown = m.chars().filter(|&c| c != '*').count();
            assert!(shown * 3 <= v.chars().count(), "{m} shows too much of {v}");
        }
    }

    #[test]
    fn fingerprints_are_keyed() {
        let a = HashKey::provided(b"k1".to_vec());
        let b = HashKey::provided(b"k2".to_vec());
        assert_eq!(
            a.fingerprint("phone", "+4740300040"),
            a.fingerprint("phone", "+4740300040")
        );
        assert_ne!(
            a.fingerprint("phone", "+4740300040"),
            b.fingerprint("phone", "+4740300040")
        );
        assert_ne!(a.fingerprint("phone", "x"), a.fingerprint("email", "x"));
        assert!(a.fingerprint("phone", "x").starts_with("hmac-sha256:"));
        assert_eq!(a.fingerprint("phone", "x").len(), "hmac-sha256:".len() + 32);
        // Distinct-value hashes: equal for equal values under one key, different otherwise.
        let a2 = HashKey::provided(b"k1".to_vec());
        assert_eq!(
            a.distinct("phone", "+4740300040"),
            a2.distinct("phone", "+4740300040")
        );
        assert_ne!(
            a.distinct("phone", "+4740300040"),
            b.distinct("phone", "+4740300040")
        );
        assert_ne!(a.distinct("phone", "x"), a.distinct("email", "x"));
        assert_ne!(a.distinct("phone", "x"), a.distinct("phone", "y"));
        // The key absorbed once and reused gives the HMAC of a fresh key, value after value.
        for v in ["+4740300040", "13097248022", ""] {
            let mut fresh = Hmac::<Sha256>::new_from_slice(b"k1").unwrap();
            fresh.update(format!("phone\0{v}").as_bytes());
            let want = hex::encode(&fresh.finalize().into_bytes()[..16]);
            assert_eq!(a.fingerprint("phone", v), format!("hmac-sha256:{want}"));
        }
        assert!(
            !format!("{a:?}").contains("107"),
            "the key is never printed"
        );
    }
}
