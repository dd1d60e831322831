//! A candidate's normalised value, held inline when short.
//!
//! Nearly every value is short (11 digits, an E.164 phone, an IPv4 address), and a dense file
//! yields millions of them: one heap string each cost more than finding them. Values up to
//! [`Value::INLINE`] bytes live in the candidate itself; longer ones (e-mail addresses, user
//! pattern matches) are boxed. (`compact_str` does the same job; on the dense benchmark file it
//! took 0.43 s against this type's 0.39 s, the difference in reading the bytes back, which the
//! digest memo does for every finding.)

use std::fmt;

/// A normalised value: inline up to [`Value::INLINE`] bytes, boxed beyond.
#[derive(Clone)]
pub struct Value(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; Value::INLINE] },
    Boxed(Box<str>),
}

impl Value {
    /// Bytes held without allocating: every number (an E.164 phone has at most 16), IPv4
    /// address and short e-mail address, in 24 bytes (a `String`'s size) with the length.
    pub const INLINE: usize = 22;

    pub fn new(s: &str) -> Value {
        let b = s.as_bytes();
        if b.len() <= Self::INLINE {
            let mut buf = [0; Self::INLINE];
            buf[..b.len()].copy_from_slice(b);
            Value(Repr::Inline {
                len: b.len() as u8,
                buf,
            })
        } else {
            Value(Repr::Boxed(s.into()))
        }
    }

    /// The value from ASCII digits (as the number detectors hold them).
    #[inline]
    pub(crate) fn digits(d: &[u8]) -> Value {
        Value::digits_after("", d)
    }

    /// `prefix` (`+`, `+47`) and then ASCII digits, taken as bytes: ASCII is valid UTF-8 as
    /// it is, and the general check (a call per value) showed in profiles.
    #[inline]
    pub(crate) fn digits_after(prefix: &str, d: &[u8]) -> Value {
        let (p, len) = (prefix.as_bytes(), prefix.len() + d.len());
        assert!(p.is_ascii() && d.is_ascii(), "prefix and digits are ASCII");
        if len > Self::INLINE {
            let mut s = String::with_capacity(len);
            s.push_str(prefix);
            s.push_str(std::str::from_utf8(d).expect("ASCII"));
            return Value(Repr::Boxed(s.into()));
        }
        let mut buf = [0; Self::INLINE];
        buf[..p.len()].copy_from_slice(p);
        buf[p.len()..len].copy_from_slice(d);
        Value(Repr::Inline {
            len: len as u8,
            buf,
        })
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Boxed(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ever filled from a `&str` or ASCII, so this cannot fail; checking a few
            // bytes is worth not having the `unsafe` that would skip it (the hot paths read
            // `as_bytes`).
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).expect("filled from a str")
            }
            Repr::Boxed(s) => s,
        }
    }
}

impl std::ops::Deref for Value {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Value {}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::new(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::new(&s)
    }
}

impl From<Value> for String {
    fn from(v: Value) -> String {
        v.as_str().to_string()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_values_read_back_as_given() {
        let long = "ola.nordmann.med.et.langt.navn@eksempel.no";
        let fits = &long[..Value::INLINE];
        for s in ["", "13097248022", "+4740300040", "æøå@x.no", fits, long] {
            let v = Value::new(s);
            assert_eq!(v.as_str(), s);
            assert_eq!(v, s);
            assert_eq!(v.as_bytes(), s.as_bytes());
            assert_eq!(String::from(v.clone()), s);
            assert_eq!(format!("{v:?}"), format!("{s:?}"));
        }
        assert!(matches!(Value::new(fits).0, Repr::Inline { .. }));
        assert!(matches!(Value::new(long).0, Repr::Boxed(_)));
        assert_ne!(Value::new("1234"), Value::new("12345"));
        assert_eq!(Value::digits(b"13097248022"), "13097248022");
        assert_eq!(Value::digits(&[b'7'; 40]).as_str(), "7".repeat(40));
        assert_eq!(Value::digits_after("+47", b"40300040"), "+4740300040");
        assert_eq!(
            Value::digits_after("+", &[b'1'; 30]),
            format!("+{}", "1".repeat(30))
        );
        assert_eq!(std::mem::size_of::<Value>(), std::mem::size_of::<String>());
    }
}
