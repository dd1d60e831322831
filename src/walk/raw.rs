//! Paths as their bytes in serde: a path on a share need not be UTF-8, and serde writes a
//! `PathBuf` only as a string (it fails on any other). For what crosses the worker pipe
//! (`#[serde(with = "crate::walk::raw::...")]`), never for what a user reads.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

fn path(b: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(b))
}

/// One path.
pub(crate) mod one {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
        bytes(p).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Vec::<u8>::deserialize(d).map(path)
    }
}

/// A path or none.
pub(crate) mod maybe {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_some(bytes(p)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<Vec<u8>>::deserialize(d)?.map(path))
    }
}

/// A list of paths.
pub(crate) mod many {
    use super::*;
    use serde::ser::SerializeSeq;

    pub(crate) fn serialize<S: Serializer>(ps: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(ps.len()))?;
        for p in ps {
            seq.serialize_element(bytes(p))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(Vec::<Vec<u8>>::deserialize(d)?
            .into_iter()
            .map(path)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Paths {
        #[serde(with = "one")]
        a: PathBuf,
        #[serde(with = "maybe")]
        b: Option<PathBuf>,
        #[serde(with = "maybe")]
        c: Option<PathBuf>,
        #[serde(with = "many")]
        d: Vec<PathBuf>,
    }

    #[test]
    fn paths_that_are_not_utf8_cross_as_they_are() {
        let latin1 = path(b"/srv/l\xf8nn/\xe6\xf8\xe5.txt".to_vec());
        let p = Paths {
            a: latin1.clone(),
            b: Some(latin1.clone()),
            c: None,
            d: vec![latin1, PathBuf::from("/srv/lønn")],
        };
        let json = serde_json::to_vec(&p).unwrap();
        assert_eq!(serde_json::from_slice::<Paths>(&json).unwrap(), p);
    }
}
