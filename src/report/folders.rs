//! Folder roll-ups: each file's figures added to its folder and every folder above it, so a
//! reviewer sees where the personal data sits before looking at single files. Folders are the
//! path's parts up to the last `/`; a container's members sit in a folder named after it
//! (`arkiv.zip!`). Memory grows with the number of folders, not files.

use std::collections::HashMap;

use super::FileRecord;

/// One folder and what is in it, all levels below included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Folder {
    /// The folder above, if any.
    pub parent: Option<u32>,
    /// The last part of the folder's path (`""` for the file system root).
    pub name: String,
    pub files: u64,
    pub with_findings: u64,
    pub findings: u64,
    /// Files whose retention verdict is `overdue`.
    pub overdue: u64,
    /// Files not read completely.
    pub unscanned: u64,
    pub bytes: u64,
}

/// The figures of one file, as they are added up.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileFigures {
    pub findings: u64,
    pub overdue: bool,
    pub unscanned: bool,
    pub bytes: u64,
}

impl FileFigures {
    pub(crate) fn of(rec: &FileRecord) -> FileFigures {
        FileFigures {
            findings: rec.total(),
            overdue: rec
                .retention
                .as_ref()
                .is_some_and(|r| r.verdict == "overdue"),
            unscanned: rec.status.unscanned(),
            bytes: rec.meta.as_ref().map_or(0, |m| m.size),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Folders {
    index: HashMap<String, u32>,
    pub nodes: Vec<Folder>,
}

impl Folders {
    /// The folder `dir` (its path), created with the folders above it when new.
    pub(crate) fn intern(&mut self, dir: &str) -> u32 {
        if let Some(&i) = self.index.get(dir) {
            return i;
        }
        let (parent, name) = match dir.rfind('/') {
            Some(i) => (Some(self.intern(&dir[..i])), &dir[i + 1..]),
            None => (None, dir),
        };
        let i = self.nodes.len() as u32;
        self.nodes.push(Folder {
            parent,
            name: name.to_string(),
            ..Folder::default()
        });
        self.index.insert(dir.to_string(), i);
        i
    }

    /// Adds a file's figures to folder `dir` and every folder above it.
    pub(crate) fn add(&mut self, dir: u32, f: FileFigures) {
        let mut at = Some(dir);
        while let Some(i) = at {
            let n = &mut self.nodes[i as usize];
            n.files += 1;
            n.with_findings += u64::from(f.findings > 0);
            n.findings += f.findings;
            n.overdue += u64::from(f.overdue);
            n.unscanned += u64::from(f.unscanned);
            n.bytes += f.bytes;
            at = n.parent;
        }
    }

    /// The full path of folder `i` (as written in the inventory).
    pub(crate) fn path(&self, i: u32) -> String {
        let mut parts = Vec::new();
        let mut at = Some(i);
        while let Some(j) = at {
            let n = &self.nodes[j as usize];
            parts.push(n.name.as_str());
            at = n.parent;
        }
        parts.reverse();
        let p = parts.join("/");
        if p.is_empty() {
            "/".into()
        } else {
            p
        }
    }
}

/// Retention figures of one policy: files, overdue files, overdue findings, bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct PolicyFigures {
    /// Files under no policy, named by their verdict (`no_policy`), not a policy's id: the
    /// reports translate the verdict's name, never an id (a policy may be called `keep`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_verdict: bool,
    pub files: u64,
    pub overdue: u64,
    pub due: u64,
    pub findings_overdue: u64,
    pub bytes: u64,
}

/// Retention figures by policy (`no_policy` for files with findings and no policy), from the
/// records' `retention` objects.
#[derive(Debug, Default)]
pub(crate) struct Policies(pub std::collections::BTreeMap<String, PolicyFigures>);

impl Policies {
    pub(crate) fn add(&mut self, rec: &FileRecord) {
        let Some(r) = &rec.retention else { return };
        let id = r.policy.clone().unwrap_or_else(|| r.verdict.clone());
        let p = self.0.entry(id).or_default();
        p.by_verdict |= r.policy.is_none();
        p.files += 1;
        p.overdue += u64::from(r.verdict == "overdue");
        p.due += u64::from(r.verdict == "due");
        p.findings_overdue += r.findings_overdue.unwrap_or(0);
        p.bytes += rec.meta.as_ref().map_or(0, |m| m.size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_roll_up_to_every_folder_above() {
        let mut f = Folders::default();
        let kurs = f.intern("/srv/share/kurs");
        let zip = f.intern("/srv/share/arkiv.zip!");
        let fig = |n, b| FileFigures {
            findings: n,
            bytes: b,
            ..Default::default()
        };
        f.add(kurs, fig(3, 10));
        f.add(kurs, fig(0, 5));
        f.add(zip, fig(2, 1));
        let share = f.intern("/srv/share");
        assert_eq!(f.nodes[share as usize].files, 3);
        assert_eq!(f.nodes[share as usize].with_findings, 2);
        assert_eq!(f.nodes[share as usize].findings, 5);
        assert_eq!(f.nodes[share as usize].bytes, 16);
        assert_eq!(f.nodes[kurs as usize].findings, 3);
        assert_eq!(f.path(zip), "/srv/share/arkiv.zip!");
        let root = f.intern("");
        assert_eq!(f.path(root), "/");
        let rel = f.intern("tests/fixtures");
        assert_eq!(f.path(rel), "tests/fixtures");
        let tests = f.intern("tests");
        assert_eq!(f.nodes[tests as usize].parent, None);
    }
}
