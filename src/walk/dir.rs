//! One directory's names in byte order, in bounded memory.
//!
//! Names are read with `getdents64` into one reused buffer and copied into an arena (each name
//! NUL-terminated, so it can be handed to `openat`/`fstatat` as it is), with an index that is
//! sorted once the directory has been read. A directory too big for the byte budget (millions
//! of files in one folder happen on file servers) is read in several passes: when the arena is
//! full, the smallest half of what it holds is kept and every later name above the largest kept
//! one is dropped, so each pass ends with the smallest names not yet visited, exactly, and the
//! next pass reads the directory again for the names after them. Memory stays within the budget
//! whatever the directory's size; the order stays exact.

use std::ffi::CStr;
use std::io;
use std::mem::{size_of, MaybeUninit};

use rustix::fd::AsFd;
use rustix::fs::{FileType, RawDir, SeekFrom};

/// A name in the arena: where it is, and what `getdents` said about it.
#[derive(Debug, Clone, Copy)]
struct Ent {
    off: u32,
    /// Length without the NUL.
    len: u32,
    ino: u64,
    kind: FileType,
    /// The name's first eight bytes, big-endian, zeros after a shorter name: names that
    /// differ there (most names of a directory) sort by it without a comparison of bytes.
    head: u64,
}

/// One entry as handed out: the name (NUL-terminated), its `d_type` (`Unknown` when the file
/// system does not fill it in) and its `d_ino`.
pub(super) struct Name<'a> {
    pub name: &'a CStr,
    pub kind: FileType,
    pub ino: u64,
}

/// The sorted names of one pass over a directory.
#[derive(Debug, Default)]
pub(super) struct Listing {
    names: Vec<u8>,
    ents: Vec<Ent>,
    next: usize,
    /// When names after this one were left for a later pass.
    resume_after: Option<Vec<u8>>,
}

impl Listing {
    /// Memory held, for the walk's budget.
    pub(super) fn bytes(&self) -> usize {
        self.names.capacity() + self.ents.capacity() * size_of::<Ent>()
    }

    /// The next name in byte order, if this pass has more.
    pub(super) fn next(&mut self) -> Option<Name<'_>> {
        let e = *self.ents.get(self.next)?;
        self.next += 1;
        let bytes = &self.names[e.off as usize..=(e.off + e.len) as usize];
        Some(Name {
            name: CStr::from_bytes_with_nul(bytes).expect("one NUL, at the end"),
            kind: e.kind,
            ino: e.ino,
        })
    }

    /// Once this pass is exhausted: the name after which the directory must be read again.
    pub(super) fn resume_after(&self) -> Option<&[u8]> {
        self.resume_after.as_deref()
    }

    fn name<'a>(names: &'a [u8], e: &Ent) -> &'a [u8] {
        &names[e.off as usize..(e.off + e.len) as usize]
    }

    fn push(&mut self, name: &[u8], kind: FileType, ino: u64) {
        let off = u32::try_from(self.names.len()).expect("the budget keeps the arena small");
        self.names.extend_from_slice(name);
        self.names.push(0);
        let mut head = [0u8; 8];
        let n = name.len().min(8);
        head[..n].copy_from_slice(&name[..n]);
        self.ents.push(Ent {
            off,
            len: name.len() as u32,
            ino,
            kind,
            head: u64::from_be_bytes(head),
        });
    }

    fn sort(&mut self) {
        let names = &self.names;
        // Names hold no NUL, so the padded heads order as the names do, and names with equal
        // heads are told apart by their bytes (a thousand-file directory's sort was a walk's
        // largest cost after the kernel's).
        self.ents.sort_unstable_by(|a, b| {
            a.head
                .cmp(&b.head)
                .then_with(|| Self::name(names, a).cmp(Self::name(names, b)))
        });
        // A name seen twice (the directory changed while it was read) is visited once.
        self.ents
            .dedup_by(|a, b| Self::name(names, a) == Self::name(names, b));
    }

    /// Keeps the smallest half of the names and returns the largest kept one: names above it
    /// wait for the next pass.
    fn keep_smallest_half(&mut self) -> Vec<u8> {
        self.sort();
        let keep = (self.ents.len() / 2).max(1);
        let mut names = Vec::with_capacity(self.names.len() / 2 + 1);
        let mut ents = Vec::with_capacity(keep);
        for e in &self.ents[..keep] {
            let off = names.len() as u32;
            names.extend_from_slice(&self.names[e.off as usize..=(e.off + e.len) as usize]);
            ents.push(Ent { off, ..*e });
        }
        self.names = names;
        self.ents = ents;
        let last = self.ents.last().expect("at least one kept");
        Self::name(&self.names, last).to_vec()
    }
}

/// Reads the names of the directory open as `fd` that sort after `after` (all of them if
/// `None`), as many of the smallest as fit in `budget` bytes, through `buf`. An error ends the
/// listing; what was read before it is returned with it.
pub(super) fn read(
    fd: impl AsFd,
    after: Option<&[u8]>,
    budget: usize,
    buf: &mut [MaybeUninit<u8>],
    progress: &mut dyn FnMut(),
) -> (Listing, Option<io::Error>) {
    let mut l = Listing::default();
    if after.is_some() {
        if let Err(e) = rustix::fs::seek(&fd, SeekFrom::Start(0)) {
            return (l, Some(e.into()));
        }
    }
    let mut cut: Option<Vec<u8>> = None;
    let mut dir = RawDir::new(fd, buf);
    let err = loop {
        let e = match dir.next() {
            None => break None,
            Some(Err(e)) => break Some(io::Error::from(e)),
            Some(Ok(e)) => e,
        };
        progress();
        let name = e.file_name().to_bytes();
        let skip = name == b"."
            || name == b".."
            || after.is_some_and(|a| name <= a)
            || cut.as_deref().is_some_and(|c| name > c);
        if skip {
            continue;
        }
        l.push(name, e.file_type(), e.ino());
        if l.bytes() > budget && l.ents.len() > 1 {
            cut = Some(l.keep_smallest_half());
        }
    };
    l.sort();
    l.resume_after = if err.is_none() { cut } else { None };
    (l, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_names(dir: &std::path::Path, budget: usize) -> (Vec<Vec<u8>>, usize) {
        let fd = std::fs::File::open(dir).unwrap();
        let mut buf = vec![MaybeUninit::uninit(); 4096];
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        let mut passes = 0;
        loop {
            let (mut l, err) = read(&fd, after.as_deref(), budget, &mut buf, &mut || {});
            assert!(err.is_none());
            assert!(l.bytes() <= budget.max(256) * 2, "{} bytes", l.bytes());
            passes += 1;
            while let Some(n) = l.next() {
                out.push(n.name.to_bytes().to_vec());
            }
            match l.resume_after() {
                Some(a) => after = Some(a.to_vec()),
                None => return (out, passes),
            }
        }
    }

    #[test]
    fn names_come_in_byte_order_in_one_pass_or_many() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected: Vec<Vec<u8>> = (0..1500u32)
            .map(|i| format!("f{:x}-{}", i.wrapping_mul(2_654_435_761), i % 7).into_bytes())
            .collect();
        expected.push("Å".into());
        expected.push(b"B".to_vec());
        expected.push(b"a".to_vec());
        // Names that are each other's prefixes, within and beyond the eight bytes a name is
        // first sorted by.
        for n in [
            "f",
            "f1",
            "f1234567",
            "f12345678",
            "f123456789",
            "f12345670",
            "ff\u{e5}",
        ] {
            expected.push(n.into());
        }
        for n in &expected {
            std::fs::write(dir.path().join(std::str::from_utf8(n).unwrap()), "").unwrap();
        }
        expected.sort();
        let (one, passes) = all_names(dir.path(), 1 << 20);
        assert_eq!((one.len(), passes), (expected.len(), 1));
        assert_eq!(one, expected);
        // A budget of a few KiB: many passes, the same names in the same order.
        let (many, passes) = all_names(dir.path(), 4096);
        assert!(passes > 10, "{passes} passes");
        assert_eq!(many, expected);
        // A budget smaller than one name still makes progress, one name per pass.
        let (tiny, passes) = all_names(dir.path(), 1);
        assert_eq!(passes, expected.len());
        assert_eq!(tiny, expected);
    }
}
