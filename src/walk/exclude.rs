//! `--exclude` globs, and files excluded by identity.
//!
//! The inventory being written must never be scanned, but comparing path strings misses it as
//! soon as the same file is named two ways (`./inv.json` against `inv.json`, a symlinked
//! directory, a bind mount). A file's identity, (device, inode), names it whatever the path,
//! so the output file and its `.partial` sibling are excluded by identity; a hard link to them
//! elsewhere is the same file and is excluded too.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Glob patterns matched against the path relative to its root and against the file name (so
/// `node_modules` and `*.log` both do what one expects), and (device, inode) pairs.
#[derive(Debug, Clone)]
pub struct Exclude {
    set: GlobSet,
    ids: Vec<(u64, u64)>,
}

impl Exclude {
    pub fn new(globs: &[String], ids: Vec<(u64, u64)>) -> Result<Exclude, globset::Error> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g)?);
        }
        Ok(Exclude {
            set: b.build()?,
            ids,
        })
    }

    /// Whether the globs exclude the path `rel` (relative to its root) whose last component
    /// is `name`.
    pub fn matches(&self, rel: &Path, name: &Path) -> bool {
        !self.set.is_empty()
            && ((!rel.as_os_str().is_empty() && self.set.is_match(rel)) || self.set.is_match(name))
    }

    /// Whether the file with this identity is excluded.
    pub fn is_excluded_id(&self, dev: u64, ino: u64) -> bool {
        self.ids.contains(&(dev, ino))
    }

    /// Whether some excluded identity has this inode number (a hint from `d_ino`, before a
    /// stat gives the device).
    pub(super) fn may_exclude_ino(&self, ino: u64) -> bool {
        self.ids.iter().any(|&(_, i)| i == ino)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_the_relative_path_or_the_name() {
        let ex = Exclude::new(
            &["node_modules".into(), "*.log".into(), "a/b/*.tmp".into()],
            vec![],
        )
        .unwrap();
        let m = |rel: &str| {
            let rel = Path::new(rel);
            ex.matches(rel, Path::new(rel.file_name().unwrap()))
        };
        assert!(m("x/node_modules"));
        assert!(m("node_modules"));
        assert!(m("deep/er/app.log"));
        assert!(m("a/b/c.tmp"));
        assert!(!m("x/a/b/c.tmp"));
        assert!(!m("node_modules2"));
        assert!(!m("app.log.txt"));
        let none = Exclude::new(&[], vec![(1, 2)]).unwrap();
        assert!(!none.matches(Path::new("a"), Path::new("a")));
        assert!(none.is_excluded_id(1, 2) && !none.is_excluded_id(2, 2));
        assert!(none.may_exclude_ino(2) && !none.may_exclude_ino(1));
    }
}
