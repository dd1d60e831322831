//! Masking and fingerprinting: what the inventory may say about a value without leaking it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::detect::Value;

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
    key: Vec<u8>,
    /// HMAC-SHA256 with the key already absorbed: each value then costs two SHA-256 blocks
    /// instead of four (a register export has millions of values).
    mac: Hmac<Sha256>,
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
        HashKey::from_parts(key, true)
    }

    /// The key as given (for a worker process, over its pipe), and whether it was provided.
    pub fn parts(&self) -> (&[u8], bool) {
        (&self.key, self.provided)
    }

    pub fn from_parts(key: Vec<u8>, provided: bool) -> HashKey {
        let mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        HashKey { key, mac, provided }
    }

    /// A random key for this scan only.
    pub fn random() -> HashKey {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        HashKey::from_parts(key, false)
    }

    /// Names the key without revealing it: the first 64 bits, hex, of HMAC-SHA256(key,
    /// `kartlegg key id`). Inventories made with one key carry the same id (so shards made
    /// with different keys are told apart before they are merged).
    pub fn id(&self) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"kartlegg key id");
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// A digest, under the key, of a set of texts (their order and repeats do not count):
    /// tells two declarations or searches apart without saying what they hold, to anyone
    /// without the key. `hmac-sha256:` + the first 128 bits, hex, of HMAC-SHA256 over `label`
    /// and each text with its length before it.
    pub fn set_digest<S: AsRef<str> + Ord>(
        &self,
        label: &str,
        items: impl IntoIterator<Item = S>,
    ) -> String {
        let items: std::collections::BTreeSet<S> = items.into_iter().collect();
        let mut mac = self.mac.clone();
        mac.update(label.as_bytes());
        for item in &items {
            let item = item.as_ref().as_bytes();
            mac.update(&(item.len() as u64).to_le_bytes());
            mac.update(item);
        }
        let out = mac.finalize().into_bytes();
        format!("hmac-sha256:{}", hex::encode(&out[..16]))
    }

    /// `hmac-sha256:` + the first 128 bits, hex, of HMAC-SHA256(key, kind NUL value).
    pub fn fingerprint(&self, kind: &str, value: &str) -> String {
        self.digest(kind, value).fingerprint()
    }

    /// The first 128 bits of HMAC-SHA256(key, kind NUL value): what a fingerprint writes and
    /// [`short`] reads back, made once per value.
    pub fn digest(&self, kind: &str, value: &str) -> Digest {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let out = mac.finalize().into_bytes();
        Digest(out[..16].try_into().expect("16 of 32 bytes"))
    }
}

/// Most values a finding-heavy file holds are repeats (a register's identity numbers, one
/// phone on every line): the digests of recent values are kept here, so a file of a thousand
/// numbers written a million times costs a thousand HMACs. A small cache: a value may sit in
/// one of two slots picked by a hash seeded at random (a file cannot be crafted to make its
/// values collide); a value that finds both taken replaces one of them, picked at random. (Picked
/// by the value's hash, two values that each found both their slots taken could evict each
/// other at every sighting for the rest of the file: a few dozen of the thousand values of a
/// dense file did, and their HMACs were a tenth of its time.) It starts small, so a file with
/// a few findings pays little, and grows while it misses, up to [`MEMO_MAX`] slots.
///
/// A slot holds its value inline when short ([`Value`]) and its hash, so a hit is one hash,
/// one compare of hashes and one of a few bytes, with no pointer to follow.
pub struct Memo {
    slots: Vec<Option<Slot>>,
    misses: usize,
    seed: u64,
    /// Picks the slot a value replaces.
    pick: crate::synth::Rng,
}

#[derive(Clone)]
struct Slot {
    hash: u64,
    kind: &'static str,
    value: Value,
    digest: Digest,
}

/// A digest from a [`Memo`], and whether the memo had to make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memoised {
    pub digest: Digest,
    /// The value was not remembered: this is its first sighting since it entered the memo
    /// (every remembered value was once new). What counts distinct values needs to see only
    /// these.
    pub new: bool,
}

/// Slots of a [`Memo`] at first and at most (about 70 bytes each).
const MEMO_MIN: usize = 64;
const MEMO_MAX: usize = 8192;

impl Default for Memo {
    fn default() -> Self {
        let seed = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8);
        Memo {
            slots: Vec::new(),
            misses: 0,
            seed,
            pick: crate::synth::Rng::new(seed),
        }
    }
}

impl Memo {
    /// The digest of `value` under `key`, made at most once while remembered.
    pub fn digest(&mut self, key: &HashKey, kind: &'static str, value: &Value) -> Memoised {
        let n = self.slots.len();
        if n == 0 || (self.misses > 2 * n && n < MEMO_MAX) {
            self.slots = vec![None; (2 * n).max(MEMO_MIN)];
            debug_assert!(self.slots.len().is_power_of_two());
            self.misses = 0;
        }
        let n = self.slots.len();
        let h = xxh3_64_with_seed(value.as_bytes(), self.seed ^ kind.len() as u64);
        // `n` is a power of two: a mask, not a division, picks the slots.
        let ways = [h as usize & (n - 1), (h >> 32) as usize & (n - 1)];
        for &i in &ways {
            if let Some(s) = &self.slots[i] {
                // Kinds are a handful of static names: the same one is nearly always the
                // same pointer.
                let same_kind = std::ptr::eq(s.kind, kind) || s.kind == kind;
                if s.hash == h && same_kind && s.value.as_bytes() == value.as_bytes() {
                    return Memoised {
                        digest: s.digest,
                        new: false,
                    };
                }
            }
        }
        self.misses += 1;
        let digest = key.digest(kind, value.as_str());
        let i = if self.slots[ways[0]].is_none() {
            ways[0]
        } else if self.slots[ways[1]].is_none() {
            ways[1]
        } else {
            ways[(self.pick.next_u64() >> 63) as usize]
        };
        self.slots[i] = Some(Slot {
            hash: h,
            kind,
            value: value.clone(),
            digest,
        });
        Memoised { digest, new: true }
    }
}

/// A value's keyed hash before it is written: the scan counts every finding by its [`short`]
/// form and writes the (slower) fingerprint text only for the findings it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest([u8; 16]);

impl Digest {
    pub fn fingerprint(&self) -> String {
        // Written into its bytes: through `format!` and a second string for the hex, a
        // fingerprint took about twice the instructions, and every listed finding writes one.
        let mut text = *b"hmac-sha256:00000000000000000000000000000000";
        hex::encode_to_slice(self.0, &mut text[12..]).expect("32 hex digits hold 16 bytes");
        String::from_utf8(text.to_vec()).expect("ASCII")
    }

    /// The same number as [`short`] of [`Digest::fingerprint`].
    pub fn short(&self) -> u64 {
        u64::from_be_bytes(self.0[..8].try_into().expect("8 of 16 bytes"))
    }
}

/// The first 64 bits of a fingerprint, for counting distinct values.
pub fn short(fingerprint: &str) -> u64 {
    short_bytes(fingerprint.as_bytes())
}

/// [`short`] of a fingerprint's bytes: the 16 hex digits after its last `:`, or 0 when there
/// are not 16 there.
pub fn short_bytes(fingerprint: &[u8]) -> u64 {
    let hex = memchr::memrchr(b':', fingerprint).map_or(fingerprint, |i| &fingerprint[i + 1..]);
    let Some(digits) = hex.get(..16) else {
        return 0;
    };
    let value = digits.iter().try_fold(0u64, |n, &b| {
        Some(n << 4 | u64::from(char::from(b).to_digit(16)?))
    });
    value.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_gives_each_value_its_own_digest() {
        let key = HashKey::provided(b"memo test key".to_vec());
        let mut memo = Memo::default();
        // More distinct values than the memo holds, each seen twice, of two kinds: every
        // answer is the value's own digest, remembered or not.
        for round in 0..2 {
            for n in 0..(2 * MEMO_MAX as u64) {
                let v = Value::from(format!("{:011}", n * 7919));
                for kind in ["fodselsnummer", "kontonummer"] {
                    let m = memo.digest(&key, kind, &v);
                    assert_eq!(m.digest, key.digest(kind, &v), "round {round}, {kind} {n}");
                    if round == 0 {
                        assert!(m.new, "first sighting of {kind} {n}");
                    }
                }
            }
        }
        assert!(memo.slots.len() <= MEMO_MAX);
        // A value asked for again at once is remembered: not new, the same digest.
        let mut memo = Memo::default();
        let v = Value::new("+4740300040");
        let first = memo.digest(&key, "phone", &v);
        let again = memo.digest(&key, "phone", &v);
        assert!(first.new && !again.new);
        assert_eq!(first.digest, again.digest);
        assert!(memo.digest(&key, "email", &v).new, "kinds apart");
    }

    /// A thousand values seen over and over, as in a dense file: once the memo has grown and
    /// settled, they are all remembered, whatever the seed (with the slot to replace picked by
    /// the value's hash, a few percent of the values kept evicting each other).
    #[test]
    fn memo_settles_on_a_thousand_repeated_values() {
        let key = HashKey::provided(b"memo test key".to_vec());
        let values: Vec<Value> = (0..1000u64)
            .map(|n| Value::from(format!("{:011}", n * 7919)))
            .collect();
        for seed in 1..=4u64 {
            let mut memo = Memo {
                slots: Vec::new(),
                misses: 0,
                seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                pick: crate::synth::Rng::new(seed),
            };
            let mut rng = crate::synth::Rng::new(seed);
            let mut sightings = |n: usize| {
                (0..n)
                    .filter(|_| {
                        let v = &values[rng.below(1000) as usize];
                        memo.digest(&key, "fodselsnummer", v).new
                    })
                    .count()
            };
            sightings(300_000);
            let late = sightings(100_000);
            assert!(
                late <= 500,
                "seed {seed}: {late} of 100,000 sightings missed"
            );
        }
    }

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
        assert_eq!(a.id(), HashKey::provided(b"k1".to_vec()).id());
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        assert!(
            !format!("{a:?}").contains("107"),
            "the key is never printed"
        );
        // The key absorbed once and reused gives the HMAC of a fresh key, value after value;
        // a digest's short form is the one read back from its fingerprint.
        for v in ["+4740300040", "13097248022", ""] {
            let mut fresh = Hmac::<Sha256>::new_from_slice(b"k1").unwrap();
            fresh.update(format!("phone\0{v}").as_bytes());
            let want = hex::encode(&fresh.finalize().into_bytes()[..16]);
            assert_eq!(a.fingerprint("phone", v), format!("hmac-sha256:{want}"));
            let d = a.digest("phone", v);
            assert_eq!(d.short(), short(&d.fingerprint()));
        }
    }

    #[test]
    fn a_short_fingerprint_is_its_first_16_hex_digits_or_0() {
        assert_eq!(short("hmac-sha256:00000000000000ff1234"), 0xff);
        assert_eq!(short("x:y:0123456789abcdefAB"), 0x0123_4567_89ab_cdef);
        assert_eq!(short("FEDCBA9876543210"), 0xfedc_ba98_7654_3210);
        // Too few digits, or something other than a hex digit among the 16: nothing to count.
        assert_eq!(short("hmac-sha256:0123456789abcde"), 0);
        assert_eq!(short("hmac-sha256:0123456789abcdeg"), 0);
        assert_eq!(short("hmac-sha256:+123456789abcdef"), 0);
        assert_eq!(short("hmac-sha256:0123456789abcd\u{e6}"), 0);
    }
}
