//! Walking: every path under the roots becomes exactly one [`Entry`] — a file to read, or a
//! thing that is not read and why — so that nothing is silently passed over.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

/// One path found by the walk.
#[derive(Debug)]
pub enum Entry {
    /// A regular file (or, with `--follow`, a symlink to one).
    File { path: PathBuf, meta: Metadata },
    /// Something that is not read: a symlink not followed, a FIFO, socket or device.
    Skipped {
        path: PathBuf,
        meta: Option<Metadata>,
        reason: &'static str,
        detail: String,
    },
    /// A path the walk could not read (a directory without permission, a loop...).
    Error {
        path: PathBuf,
        reason: &'static str,
        detail: String,
    },
}

/// Glob patterns for `--exclude`, matched against the path relative to its root and against
/// the file name (so `node_modules` and `*.log` both do what one expects).
#[derive(Debug, Clone)]
pub struct Exclude {
    set: GlobSet,
    /// Paths excluded exactly (our own output file and its temporary sibling).
    exact: Vec<PathBuf>,
}

impl Exclude {
    pub fn new(globs: &[String], exact: Vec<PathBuf>) -> Result<Exclude, globset::Error> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g)?);
        }
        Ok(Exclude {
            set: b.build()?,
            exact,
        })
    }

    pub fn matches(&self, root: &Path, path: &Path) -> bool {
        if self.exact.iter().any(|e| e == path) {
            return true;
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        (!rel.as_os_str().is_empty() && self.set.is_match(rel))
            || path.file_name().is_some_and(|n| self.set.is_match(n))
    }
}

pub struct Walk {
    pub follow: bool,
    pub exclude: Exclude,
}

fn special_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "unknown file type"
    }
}

impl Walk {
    /// Walks `root`, calling `emit` for every entry; returns the number of paths excluded.
    pub fn run(&self, root: &Path, emit: &mut dyn FnMut(Entry)) -> u64 {
        let excluded = std::cell::Cell::new(0u64);
        let it = WalkDir::new(root).follow_links(self.follow).into_iter();
        let mut it = it.filter_entry(|e| {
            let skip = e.depth() > 0 && self.exclude.matches(root, e.path());
            if skip {
                excluded.set(excluded.get() + 1);
            }
            !skip
        });
        loop {
            let next = match it.next() {
                None => break,
                Some(n) => n,
            };
            match next {
                Ok(e) => {
                    let ft = e.file_type();
                    if ft.is_dir() {
                        continue;
                    }
                    let path = e.path().to_path_buf();
                    let meta = match e.metadata() {
                        Ok(m) => m,
                        Err(err) => {
                            emit(Entry::Error {
                                path,
                                reason: "vanished",
                                detail: err.to_string(),
                            });
                            continue;
                        }
                    };
                    if ft.is_file() {
                        emit(Entry::File { path, meta });
                    } else if ft.is_symlink() {
                        let target = std::fs::read_link(&path)
                            .map(|t| t.display().to_string())
                            .unwrap_or_default();
                        emit(Entry::Skipped {
                            path,
                            meta: Some(meta),
                            reason: "symlink",
                            detail: format!(
                                "symbolic link to {target:?} not followed (use --follow)"
                            ),
                        });
                    } else {
                        emit(Entry::Skipped {
                            path,
                            meta: Some(meta),
                            reason: "special_file",
                            detail: format!("{} is never opened", special_kind(&ft)),
                        });
                    }
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.to_path_buf());
                    let (reason, detail) = if let Some(anc) = err.loop_ancestor() {
                        (
                            "symlink_loop",
                            format!("symbolic link loop back to {}", anc.display()),
                        )
                    } else if let Some(io) = err.io_error() {
                        let reason = match io.kind() {
                            std::io::ErrorKind::PermissionDenied => "permission_denied",
                            std::io::ErrorKind::NotFound => "vanished",
                            _ => "io_error",
                        };
                        let what = if err.depth() == 0 || path.is_dir() {
                            "directory: "
                        } else {
                            ""
                        };
                        (reason, format!("{what}{io}"))
                    } else {
                        ("io_error", err.to_string())
                    };
                    emit(Entry::Error {
                        path,
                        reason,
                        detail,
                    });
                }
            }
        }
        drop(it);
        excluded.get()
    }
}
