//! Names that records hold as `&'static str` (kinds, rules, checksum rules) are made static
//! again when a record is read back: each distinct name is allocated once per process, and
//! there are only as many as there are rules.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

pub(crate) fn name(s: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(&n) = names.get(s) {
        return n;
    }
    let n: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.insert(n);
    n
}

pub(crate) fn str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    Ok(name(&String::deserialize(d)?))
}

pub(crate) fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| name(&s)))
}

pub(crate) fn map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<&'static str, u64>, D::Error> {
    Ok(BTreeMap::<String, u64>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| (name(&k), v))
        .collect())
}

pub(crate) fn name_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<HashMap<&'static str, V>, D::Error> {
    Ok(HashMap::<String, V>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| (name(&k), v))
        .collect())
}
