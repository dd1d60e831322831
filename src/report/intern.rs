//! Names that records hold as `&'static str` (kinds, rules, checksum rules) are made static
//! again when a record is read back: each distinct name is allocated once per process, and
//! there are only as many as there are rules. A rescan reads back every stored record, so a
//! name is looked up without allocating, in its thread's own set first.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock};

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

pub(crate) fn name(s: &str) -> &'static str {
    thread_local! {
        /// Hashed as the tallies' maps are ([`super::Fast`]: names also come from inventories
        /// given to `merge`): a rescan looks up a few names per record it reuses, and
        /// SipHash's rounds were most of a lookup.
        static SEEN: RefCell<HashSet<&'static str, super::Fast>> = RefCell::default();
    }
    if let Some(n) = SEEN.with_borrow(|seen| seen.get(s).copied()) {
        return n;
    }
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let n = {
        let mut names = NAMES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match names.get(s) {
            Some(&n) => n,
            None => {
                let n: &'static str = Box::leak(s.to_string().into_boxed_str());
                names.insert(n);
                n
            }
        }
    };
    SEEN.with_borrow_mut(|seen| seen.insert(n));
    n
}

/// A name as read: made static straight from the text, with no string in between.
struct Name(&'static str);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name")
            }
            fn visit_str<E>(self, s: &str) -> Result<Name, E> {
                Ok(Name(name(s)))
            }
        }
        d.deserialize_str(Text)
    }
}

pub(crate) fn str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    Ok(Name::deserialize(d)?.0)
}

pub(crate) fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<Name>::deserialize(d)?.map(|n| n.0))
}

/// A map keyed by names, filled as it is read.
struct Names<V, M>(PhantomData<(V, M)>);

impl<'de, V, M> Visitor<'de> for Names<V, M>
where
    V: Deserialize<'de>,
    M: Default + Extend<(&'static str, V)>,
{
    type Value = M;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of names")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<M, A::Error> {
        let mut m = M::default();
        while let Some((Name(k), v)) = a.next_entry::<Name, V>()? {
            m.extend([(k, v)]);
        }
        Ok(m)
    }
}

pub(crate) fn map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<&'static str, u64>, D::Error> {
    d.deserialize_map(Names(PhantomData))
}
