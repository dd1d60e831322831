//! Walking: every path under the roots becomes exactly one [`Entry`] — a file to read, or a
//! thing that is not read and why — so that nothing is silently passed over.
//!
//! The walk is our own, because what it must promise is specific:
//!
//! * **No trace.** Reading a directory updates its access time unless it was opened with
//!   `O_NOATIME`, so every directory is opened with `O_RDONLY|O_DIRECTORY|O_NOATIME|O_CLOEXEC`
//!   (without `O_NOATIME` where the kernel refuses it: only the owner may) and the walk counts
//!   both kinds for the summary ([`Counts`]).
//! * **Few system calls**, because on SMB/NFS each is a round trip. Directories are opened
//!   relative to their parent (`openat`) and read with `getdents64` into one reused buffer
//!   ([`dir`]); a regular file costs one `fstatat` relative to its directory and nothing else;
//!   directories, symlinks and special files are known from `d_type` and cost no stat (only a
//!   file system that leaves `d_type` unknown is asked). The rustix crate gives these calls
//!   without `unsafe` and reads `getdents64` directly (it is already in the build, through
//!   tempfile).
//! * **Deterministic order**: the names of a directory are visited in byte order, depth first,
//!   so two walks of one tree agree (sorted inventories, shards, diffs), in bounded memory
//!   however large the directory ([`dir`]). At most [`MAX_OPEN_DIRS`] directories stay open;
//!   a deeper ancestor is closed and opened again when the walk comes back to it: through the
//!   `..` of the directory it leaves (by the names where that is another directory), and
//!   checked to be the same directory.
//! * **One entry per path**: a symlink not followed is `Skipped`/`symlink`; a FIFO, socket or
//!   device is `Skipped`/`special_file` and never opened; a directory that cannot be read is an
//!   `Error` with the reason; with `--follow`, a link back to an ancestor (same device and inode)
//!   is an `Error`/`symlink_loop`. A root that is a file is that file's entry.
//! * **Shards** ([`Shard`]) keep the entries whose relative path (and root's position) hashes to
//!   them; every shard walks all directories, so the shards of one tree partition its entries
//!   exactly.

mod dir;
mod exclude;
pub(crate) mod raw;
mod shard;
#[cfg(test)]
mod tests;
mod watch;

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};
use rustix::io::{retry_on_intr, Errno};

pub use crate::report::escape::{display, display_bytes, unescape, UnescapeError};
pub use exclude::Exclude;
pub use shard::Shard;
pub use watch::Watch;

use dir::Listing;

/// Directories held open at once; deeper ancestors are opened again when needed, so a deep
/// tree never runs the process out of file descriptors.
pub const MAX_OPEN_DIRS: usize = 64;
/// Memory for the names of the directories being walked (all levels together: what is listed
/// of each, and the names and path of the levels themselves); a directory that does not fit is
/// read in several passes.
const LISTING_BUDGET: usize = 64 << 20;
/// The least a level gets, however much its ancestors hold.
const MIN_LISTING: usize = 256 << 10;
/// The `getdents64` buffer.
const GETDENTS_BUF: usize = 64 << 10;

/// One path found by the walk.
#[derive(Debug)]
pub enum Entry {
    /// A regular file (or, with `--follow`, a symlink to one: then `meta` is the target's).
    File { path: PathBuf, meta: Meta },
    /// Something that is not read: a symlink not followed, a FIFO, socket or device.
    Skipped {
        path: PathBuf,
        meta: Option<Meta>,
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

impl Entry {
    /// The path it is for.
    pub fn path(&self) -> &Path {
        match self {
            Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Error { path, .. } => {
                path
            }
        }
    }
}

/// What the walk's one `fstatat` said about a path; read it through
/// [`std::os::unix::fs::MetadataExt`], like a [`std::fs::Metadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    dev: u64,
    ino: u64,
    mode: u32,
    nlink: u64,
    uid: u32,
    gid: u32,
    rdev: u64,
    size: u64,
    blksize: u64,
    blocks: u64,
    atime: (i64, i64),
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl From<rustix::fs::Stat> for Meta {
    // The field types differ between architectures; these are the widening casts of `stat`.
    #[allow(clippy::unnecessary_cast)]
    fn from(s: rustix::fs::Stat) -> Meta {
        Meta {
            dev: s.st_dev as u64,
            ino: s.st_ino as u64,
            mode: s.st_mode as u32,
            nlink: s.st_nlink as u64,
            uid: s.st_uid as u32,
            gid: s.st_gid as u32,
            rdev: s.st_rdev as u64,
            size: s.st_size as u64,
            blksize: s.st_blksize as u64,
            blocks: s.st_blocks as u64,
            atime: (s.st_atime as i64, s.st_atime_nsec as i64),
            mtime: (s.st_mtime as i64, s.st_mtime_nsec as i64),
            ctime: (s.st_ctime as i64, s.st_ctime_nsec as i64),
        }
    }
}

impl std::os::unix::fs::MetadataExt for Meta {
    fn dev(&self) -> u64 {
        self.dev
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    fn nlink(&self) -> u64 {
        self.nlink
    }
    fn uid(&self) -> u32 {
        self.uid
    }
    fn gid(&self) -> u32 {
        self.gid
    }
    fn rdev(&self) -> u64 {
        self.rdev
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn atime(&self) -> i64 {
        self.atime.0
    }
    fn atime_nsec(&self) -> i64 {
        self.atime.1
    }
    fn mtime(&self) -> i64 {
        self.mtime.0
    }
    fn mtime_nsec(&self) -> i64 {
        self.mtime.1
    }
    fn ctime(&self) -> i64 {
        self.ctime.0
    }
    fn ctime_nsec(&self) -> i64 {
        self.ctime.1
    }
    fn blksize(&self) -> u64 {
        self.blksize
    }
    fn blocks(&self) -> u64 {
        self.blocks
    }
}

/// What a walk counted besides its entries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Paths left out by `--exclude` or by identity (in this shard).
    pub excluded: u64,
    /// Directories opened with `O_NOATIME`: their access times are kept.
    pub dirs_noatime: u64,
    /// Directories opened without it (not the owner): reading them may set their access time.
    pub dirs_plain: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.excluded += o.excluded;
        self.dirs_noatime += o.dirs_noatime;
        self.dirs_plain += o.dirs_plain;
    }
}

/// How to walk: follow symlinks or not, what to leave out, which shard to keep.
#[derive(Debug, Clone)]
pub struct Walk {
    follow: bool,
    exclude: Exclude,
    shard: Option<Shard>,
    listing_budget: usize,
    max_open: usize,
    /// False only in tests, to take the path of file systems that leave `d_type` unknown.
    trust_d_type: bool,
}

impl Walk {
    pub fn new(follow: bool, exclude: Exclude) -> Walk {
        Walk {
            follow,
            exclude,
            shard: None,
            listing_budget: LISTING_BUDGET,
            max_open: MAX_OPEN_DIRS,
            trust_d_type: true,
        }
    }

    /// Keeps only the entries of `shard` (all with `None`).
    pub fn with_shard(mut self, shard: Option<Shard>) -> Walk {
        self.shard = shard;
        self
    }

    /// Walks `root` (as a scan's only root), calling `emit` for every entry in order.
    pub fn run(&self, root: &Path, emit: &mut dyn FnMut(Entry)) -> Counts {
        self.walk(root, 0, None, emit)
    }

    /// [`Walk::run`] of the scan's `index`-th root (in walk order: it picks the shards, see
    /// [`Shard`]), telling `watch` which system call it is in, and stopping at its next step
    /// once `watch` is given up.
    pub fn run_watched(
        &self,
        root: &Path,
        index: usize,
        watch: &Watch,
        emit: &mut dyn FnMut(Entry),
    ) -> Counts {
        self.walk(root, index, Some(watch), emit)
    }

    fn walk(
        &self,
        root: &Path,
        index: usize,
        watch: Option<&Watch>,
        emit: &mut dyn FnMut(Entry),
    ) -> Counts {
        if let Some(w) = watch {
            w.set_counts(Counts::default());
        }
        let mut w = Walker::new(self, index, watch, emit);
        w.root(root);
        w.descend();
        w.counts
    }
}

/// A directory being walked. Its path is the first `len` bytes of [`Walker::path`] (every
/// directory on the stack is an ancestor of the deepest), so a level holds its own name, not
/// its whole path: the walk's memory grows with the depth, not with its square.
struct Frame {
    /// `None` when closed to stay within [`MAX_OPEN_DIRS`] (never for the root).
    fd: Option<OwnedFd>,
    /// The length of its path in [`Walker::path`].
    len: usize,
    /// The name in its parent, to open it again (empty for the root).
    name: Vec<u8>,
    /// (device, inode): loops, and the check that a directory opened again is the same.
    id: (u64, u64),
    noatime: bool,
    listing: Listing,
}

/// A path about to be visited: its name in the current directory (for the `*at` calls) and
/// its path, whose bytes from `rel` on are its path relative to the root.
struct Child<'n> {
    name: &'n CStr,
    path: Vec<u8>,
    rel: usize,
}

impl Child<'_> {
    fn path(&self) -> &Path {
        os(&self.path)
    }

    fn rel(&self) -> &[u8] {
        &self.path[self.rel..]
    }

    /// The path, for its entry.
    fn into_path(self) -> PathBuf {
        PathBuf::from(OsString::from_vec(self.path))
    }
}

struct Walker<'w> {
    walk: &'w Walk,
    /// The root's position among the scan's roots (for the shards).
    root: usize,
    watch: Option<&'w Watch>,
    emit: &'w mut dyn FnMut(Entry),
    counts: Counts,
    stack: Vec<Frame>,
    /// The path of the directory on top of the stack (the root as given, then `/NAME` a
    /// level), which the paths of all frames are prefixes of.
    path: Vec<u8>,
    /// Where a path below the root begins to be relative to it, in [`Walker::path`].
    rel: usize,
    /// Frames whose `fd` is open.
    open: usize,
    buf: Vec<MaybeUninit<u8>>,
    scratch: Vec<u8>,
    /// The most [`Walker::held`] was when a listing was read.
    #[cfg(test)]
    peak: usize,
    /// Names resolved to open closed directories again.
    #[cfg(test)]
    reopened_by_names: usize,
}

fn os(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// Whether a name is joined to `path` with a `/`: not after one, as `Path::join`.
fn needs_slash(path: &[u8]) -> bool {
    !path.is_empty() && !path.ends_with(b"/")
}

/// The inventory reason for an error of the walk.
fn reason(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission_denied",
        io::ErrorKind::NotFound => "vanished",
        _ => "io_error",
    }
}

fn special_kind(ft: FileType) -> &'static str {
    match ft {
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
        FileType::BlockDevice => "block device",
        FileType::CharacterDevice => "character device",
        _ => "unknown file type",
    }
}

/// Opens a directory for reading, with `O_NOATIME` where permitted. Returns whether it was.
/// `name` may be a path of any length (a closed ancestor is opened again by the names from the
/// nearest open one).
fn open_dir(at: BorrowedFd<'_>, name: &CStr, follow: bool) -> io::Result<(OwnedFd, bool)> {
    let mut flags = OFlags::DIRECTORY;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    open_noatime(at, name, flags)
}

/// Whether `path` is on a network or cluster file system, where every read waits for a
/// round trip: NFS, SMB/CIFS, FUSE (sshfs, rclone, s3fs), Ceph, AFS, 9P and the like. `false`
/// where that cannot be told.
pub fn on_network_fs(path: &Path) -> bool {
    // The magic's type differs between architectures; every magic fits in 32 bits.
    #[allow(clippy::unnecessary_cast)]
    rustix::fs::statfs(path).is_ok_and(|s| network_magic(s.f_type as u32))
}

/// The `statfs` magic numbers of network and cluster file systems (Linux's `magic.h` and the
/// file systems' own headers).
fn network_magic(magic: u32) -> bool {
    const NETWORK: [u32; 15] = [
        0x0000_6969, // NFS
        0x0000_517B, // SMB
        0xFF53_4D42, // CIFS
        0xFE53_4D42, // SMB2 and SMB3
        0x6573_5546, // FUSE
        0x00C3_6400, // Ceph
        0x5346_414F, // AFS
        0x6B41_4653, // kAFS
        0x0102_1997, // 9P
        0x7375_7245, // Coda
        0x0BD0_0BD0, // Lustre
        0x4750_4653, // GPFS
        0x0116_1970, // GFS2
        0x7461_636F, // OCFS2
        0x0000_564C, // NCP
    ];
    NETWORK.contains(&magic)
}

/// Opens `path` (relative to `at`, of any length) read-only with `flags`, and `O_NOATIME`
/// where permitted (the owner or CAP_FOWNER), a plain open where not: whether it was. Never
/// for writing: the scan changes no file and no access time it can keep.
pub(crate) fn open_noatime(
    at: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
) -> io::Result<(OwnedFd, bool)> {
    let flags = flags | OFlags::RDONLY | OFlags::CLOEXEC;
    let open = |flags| {
        at_any_length(at, path, |at, name| {
            retry_on_intr(|| rustix::fs::openat(at, name, flags, Mode::empty()))
        })
    };
    match open(flags | OFlags::NOATIME) {
        Ok(fd) => Ok((fd, true)),
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Ok((open(flags)?, false)),
        Err(e) => Err(e),
    }
}

/// The longest path the kernel takes whole, without its NUL (`PATH_MAX` is 4096 with it).
const PATH_MAX: usize = libc::PATH_MAX as usize - 1;

/// `call(at, path)` for a path of any length. A path the kernel refuses as too long
/// (`ENAMETOOLONG`: the walk reaches files deeper than `PATH_MAX`, working relative to its
/// directories) is taken in pieces cut at `/`, each short enough, each opened `O_PATH`
/// relative to the one before (symbolic links in them followed, as the whole path's lookup
/// would), and `call` made on its last component relative to the last piece.
pub(crate) fn at_any_length<T>(
    at: BorrowedFd<'_>,
    path: &CStr,
    call: impl Fn(BorrowedFd<'_>, &CStr) -> rustix::io::Result<T>,
) -> io::Result<T> {
    let too_long = || io::Error::from_raw_os_error(libc::ENAMETOOLONG);
    match call(at, path) {
        Err(Errno::NAMETOOLONG) => {}
        r => return r.map_err(io::Error::from),
    }
    let bytes = path.to_bytes();
    let Some(slash) = bytes.iter().rposition(|&b| b == b'/') else {
        return Err(too_long());
    };
    let (mut dirs, last) = bytes.split_at(slash + 1);
    let mut dir: Option<OwnedFd> = None;
    while !dirs.is_empty() {
        let end = if dirs.len() <= PATH_MAX {
            dirs.len()
        } else {
            // A piece ends after a `/`; a name longer than PATH_MAX has no such cut.
            let cut = dirs[..PATH_MAX].iter().rposition(|&b| b == b'/');
            cut.ok_or_else(too_long)? + 1
        };
        let piece = CString::new(&dirs[..end]).expect("a CStr's bytes hold no NUL");
        let from = dir.as_ref().map_or(at, |d| d.as_fd());
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        dir = Some(retry_on_intr(|| {
            rustix::fs::openat(from, &piece, flags, Mode::empty())
        })?);
        dirs = &dirs[end..];
    }
    let last = CString::new(last).expect("a CStr's bytes hold no NUL");
    let from = dir.as_ref().map_or(at, |d| d.as_fd());
    call(from, &last).map_err(io::Error::from)
}

fn identity(fd: &OwnedFd) -> io::Result<(u64, u64)> {
    let m = Meta::from(rustix::fs::fstat(fd)?);
    Ok((m.dev, m.ino))
}

impl<'w> Walker<'w> {
    fn new(
        walk: &'w Walk,
        root: usize,
        watch: Option<&'w Watch>,
        emit: &'w mut dyn FnMut(Entry),
    ) -> Walker<'w> {
        Walker {
            walk,
            root,
            watch,
            emit,
            counts: Counts::default(),
            stack: Vec::new(),
            path: Vec::new(),
            rel: 0,
            open: 0,
            buf: vec![MaybeUninit::uninit(); GETDENTS_BUF],
            scratch: Vec::new(),
            #[cfg(test)]
            peak: 0,
            #[cfg(test)]
            reopened_by_names: 0,
        }
    }

    /// The memory held for the names of the open levels: their listings, their own names and
    /// the path they make up.
    fn held(&self) -> usize {
        let levels: usize = (self.stack.iter())
            .map(|f| f.listing.bytes() + f.name.capacity())
            .sum();
        levels + self.path.capacity()
    }
    /// The directory the next `*at` call is relative to: the current one, or the working
    /// directory for a root.
    fn at(&self) -> BorrowedFd<'_> {
        match self.stack.last() {
            Some(f) => {
                f.fd.as_ref()
                    .expect("the current directory is open")
                    .as_fd()
            }
            None => CWD,
        }
    }

    fn ours(&self, rel: &[u8]) -> bool {
        self.walk.shard.is_none_or(|s| s.contains(self.root, rel))
    }

    /// Makes the system calls of `call`, on `path`, under the watch if there is one.
    fn watched<T>(&self, path: &Path, rel: &[u8], call: impl FnOnce() -> T) -> T {
        let Some(w) = self.watch else {
            return call();
        };
        w.begin(path, self.ours(rel));
        let r = call();
        w.end();
        r
    }

    /// Changes the counts, and what the watch keeps of them.
    fn count(&mut self, change: impl FnOnce(&mut Counts)) {
        change(&mut self.counts);
        if let Some(w) = self.watch {
            w.set_counts(self.counts);
        }
    }

    fn emit(&mut self, rel: &[u8], entry: Entry) {
        if self.ours(rel) {
            (self.emit)(entry);
        }
    }

    /// Emits the entry `entry` makes of `c`'s path, if it is this shard's.
    fn emit_child(&mut self, c: Child<'_>, entry: impl FnOnce(PathBuf) -> Entry) {
        if self.ours(c.rel()) {
            (self.emit)(entry(c.into_path()));
        }
    }

    /// The path of directory `i` of the stack.
    fn frame_path(&self, i: usize) -> &Path {
        os(&self.path[..self.stack[i].len])
    }

    /// The path of directory `i` of the stack relative to the root (empty for the root).
    fn frame_rel(&self, i: usize) -> &[u8] {
        let len = self.stack[i].len;
        &self.path[self.rel.min(len)..len]
    }

    /// Leaves the directory on top of the stack (closed already, or closed here).
    fn drop_top(&mut self) {
        self.stack.pop();
        self.path.truncate(self.stack.last().map_or(0, |f| f.len));
    }

    fn error(&mut self, path: PathBuf, rel: &[u8], reason: &'static str, detail: String) {
        self.emit(
            rel,
            Entry::Error {
                path,
                reason,
                detail,
            },
        );
    }

    fn root(&mut self, root: &Path) {
        // A root is named by its path as given; relative to itself its path is empty.
        let key: &[u8] = b"";
        let Ok(name) = CString::new(root.as_os_str().as_bytes()) else {
            let detail = "the path holds a NUL byte".to_string();
            return self.error(root.to_path_buf(), key, "io_error", detail);
        };
        let opened = self.watched(root, key, || {
            open_dir(CWD, &name, true).map(|(fd, noatime)| (identity(&fd), fd, noatime))
        });
        let path = root.as_os_str().as_bytes();
        match opened {
            Ok((Ok(id), fd, noatime)) => {
                self.path = path.to_vec();
                self.rel = path.len() + usize::from(needs_slash(path));
                self.push(fd, noatime, id, Vec::new())
            }
            Ok((Err(e), _, _)) => self.error(root.to_path_buf(), key, reason(&e), e.to_string()),
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                let child = Child {
                    name: &name,
                    path: path.to_vec(),
                    rel: path.len(),
                };
                self.stat_then(child, true);
            }
            Err(e) => self.error(root.to_path_buf(), key, reason(&e), e.to_string()),
        }
    }

    /// Visits the entries of the directories on the stack until it is empty.
    fn descend(&mut self) {
        loop {
            if self.watch.is_some_and(Watch::given_up) {
                self.stack.clear();
                return;
            }
            let Some(top) = self.stack.last_mut() else {
                return;
            };
            if let Some(n) = top.listing.next() {
                let (kind, ino) = (n.kind, n.ino);
                let mut name = std::mem::take(&mut self.scratch);
                name.clear();
                name.extend_from_slice(n.name.to_bytes_with_nul());
                if self.reopen_top() {
                    let name = CStr::from_bytes_with_nul(&name).expect("copied with its NUL");
                    self.visit(name, kind, ino);
                }
                self.scratch = name;
            } else if let Some(after) = top.listing.resume_after().map(<[u8]>::to_vec) {
                if self.reopen_top() {
                    self.read_listing(Some(&after));
                }
            } else {
                self.pop();
            }
        }
    }

    /// One name of the current directory: decided by its `d_type` where that is enough,
    /// else by one `fstatat`. A regular file outside this shard costs nothing.
    fn visit(&mut self, name: &CStr, kind: FileType, ino: u64) {
        // The one allocation of a name visited: its path, which its entry takes over.
        let mut path = Vec::with_capacity(self.path.len() + 1 + name.to_bytes().len());
        path.extend_from_slice(&self.path);
        if needs_slash(&path) {
            path.push(b'/');
        }
        path.extend_from_slice(name.to_bytes());
        let child = Child {
            name,
            path,
            rel: self.rel,
        };
        if self
            .walk
            .exclude
            .matches(os(child.rel()), os(name.to_bytes()))
        {
            if self.ours(child.rel()) {
                self.count(|c| c.excluded += 1);
            }
            return;
        }
        let kind = if self.walk.trust_d_type {
            kind
        } else {
            FileType::Unknown
        };
        match kind {
            FileType::Directory => self.enter(child, false),
            FileType::Symlink if self.walk.follow => self.stat_then(child, true),
            FileType::Symlink => self.link(child, None),
            FileType::RegularFile if !self.ours(child.rel()) => {}
            FileType::RegularFile | FileType::Unknown => self.stat_then(child, false),
            // A special file is only stat'ed when it might be excluded by identity.
            _ if self.walk.exclude.may_exclude_ino(ino) => self.stat_then(child, false),
            special => self.emit_child(child, |path| Entry::Skipped {
                path,
                meta: None,
                reason: "special_file",
                detail: format!("{} is never opened", special_kind(special)),
            }),
        }
    }

    /// Stats `child` (following a symlink if `follow`) and goes on by what it is.
    fn stat_then(&mut self, c: Child<'_>, follow: bool) {
        let flags = if follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let stat = self.watched(c.path(), c.rel(), || {
            retry_on_intr(|| rustix::fs::statat(self.at(), c.name, flags))
        });
        match stat {
            Ok(st) => self.by_stat(c, Meta::from(st), follow),
            Err(e) => self.stat_failed(c, e.into(), follow),
        }
    }

    fn by_stat(&mut self, c: Child<'_>, meta: Meta, followed: bool) {
        let ft = FileType::from_raw_mode(meta.mode);
        match ft {
            FileType::Directory => return self.enter(c, followed),
            FileType::Symlink if self.walk.follow => return self.stat_then(c, true),
            FileType::Symlink => return self.link(c, Some(meta)),
            _ if !self.ours(c.rel()) => return,
            _ => {}
        }
        if self.walk.exclude.is_excluded_id(meta.dev, meta.ino) {
            self.count(|c| c.excluded += 1);
            return;
        }
        self.emit_child(c, |path| {
            if ft == FileType::RegularFile {
                Entry::File { path, meta }
            } else {
                Entry::Skipped {
                    path,
                    meta: Some(meta),
                    reason: "special_file",
                    detail: format!("{} is never opened", special_kind(ft)),
                }
            }
        });
    }

    fn stat_failed(&mut self, c: Child<'_>, e: io::Error, followed: bool) {
        self.emit_child(c, |path| match e.raw_os_error() {
            Some(libc::ENOENT) if followed => Entry::Skipped {
                path,
                meta: None,
                reason: "symlink",
                detail: "dangling symbolic link: its target does not exist".into(),
            },
            Some(libc::ELOOP) if followed => Entry::Error {
                path,
                reason: "symlink_loop",
                detail: "symbolic link loop (too many levels of links)".into(),
            },
            _ => Entry::Error {
                path,
                reason: reason(&e),
                detail: e.to_string(),
            },
        });
    }

    /// A symlink that is not followed.
    fn link(&mut self, c: Child<'_>, meta: Option<Meta>) {
        self.emit_child(c, |path| Entry::Skipped {
            path,
            meta,
            reason: "symlink",
            detail: "symbolic link not followed (use --follow)".into(),
        });
    }

    /// Opens a directory and makes it the current one (unless it is an ancestor: a loop).
    fn enter(&mut self, c: Child<'_>, followed: bool) {
        let opened = self.watched(c.path(), c.rel(), || {
            open_dir(self.at(), c.name, followed)
                .and_then(|(fd, noatime)| Ok((identity(&fd)?, fd, noatime)))
        });
        let (id, fd, noatime) = match opened {
            Ok(o) => o,
            Err(e) => {
                let detail = format!("directory: {e}");
                return self.emit_child(c, |path| Entry::Error {
                    path,
                    reason: reason(&e),
                    detail,
                });
            }
        };
        if let Some(anc) = self.stack.iter().position(|f| f.id == id) {
            let (reason, how) = if followed {
                ("symlink_loop", "symbolic link loop")
            } else {
                ("directory_loop", "directory loop (a bind mount?)")
            };
            let detail = format!("{how} back to {}", display(self.frame_path(anc)));
            return self.emit_child(c, |path| Entry::Error {
                path,
                reason,
                detail,
            });
        }
        let name = c.name.to_bytes().to_vec();
        // The current path grows by the name: the parent's is its prefix.
        self.path = c.path;
        self.push(fd, noatime, id, name);
    }

    /// Makes the directory at [`Walker::path`] the current one.
    fn push(&mut self, fd: OwnedFd, noatime: bool, id: (u64, u64), name: Vec<u8>) {
        self.count(|c| {
            if noatime {
                c.dirs_noatime += 1;
            } else {
                c.dirs_plain += 1;
            }
        });
        self.stack.push(Frame {
            fd: Some(fd),
            len: self.path.len(),
            name,
            id,
            noatime,
            listing: Listing::default(),
        });
        self.open += 1;
        if self.open > self.walk.max_open {
            // Close the outermost open ancestor but the root (it anchors reopening) and the
            // directory just entered.
            let last = self.stack.len() - 1;
            if let Some(i) = (1..last).find(|&i| self.stack[i].fd.is_some()) {
                let fd = self.stack[i].fd.take();
                self.open -= 1;
                self.close(i, fd);
            }
        }
        self.read_listing(None);
    }

    fn pop(&mut self) {
        let top = self.stack.len() - 1;
        let fd = self.stack[top].fd.take();
        if fd.is_some() {
            self.open -= 1;
        }
        // A closed parent is opened again through this directory's `..` while it is still
        // open, and checked to be the same directory, as fts(3) does: by its names from the
        // nearest open ancestor (the root, in a chain), a chain 5,000 deep took 16 s, every
        // level resolving every name above it. Where `..` is another directory (this one was
        // moved, or reached through a followed link) the names are tried when needed.
        if let (Some(child), Some(parent)) = (&fd, top.checked_sub(1)) {
            if self.stack[parent].fd.is_none() {
                let opened = self.watched(self.frame_path(parent), self.frame_rel(parent), || {
                    let (fd, noatime) = open_dir(child.as_fd(), c"..", true).ok()?;
                    let same = identity(&fd).ok()? == self.stack[parent].id;
                    same.then_some((fd, noatime))
                });
                if let Some((fd, noatime)) = opened {
                    self.reopened(parent, fd, noatime);
                }
            }
        }
        self.close(top, fd);
        self.drop_top();
    }

    /// Closes the descriptor of directory `i` of the stack, watched: on SMB a close is a
    /// round trip to the server too.
    fn close(&self, i: usize, fd: Option<OwnedFd>) {
        if let Some(fd) = fd {
            self.watched(self.frame_path(i), self.frame_rel(i), move || drop(fd));
        }
    }

    /// Reads (the next pass of) the current directory's names.
    fn read_listing(&mut self, after: Option<&[u8]>) {
        let held = self.held();
        #[cfg(test)]
        {
            self.peak = self.peak.max(held);
        }
        let total = self.walk.listing_budget;
        let budget = total.saturating_sub(held).max(MIN_LISTING.min(total));
        let watch = self.watch;
        let i = self.stack.len() - 1;
        if let Some(w) = watch {
            w.begin(self.frame_path(i), self.ours(self.frame_rel(i)));
        }
        let top = &mut self.stack[i];
        let fd = top.fd.as_ref().expect("the current directory is open");
        // A call per pass, made anew by each name read: a large directory on a slow share
        // that keeps answering is never given up, one `getdents` that never returns is.
        let progress = &mut || {
            if let Some(w) = watch {
                w.progress();
            }
        };
        let (listing, err) = dir::read(fd, after, budget, &mut self.buf, progress);
        if let Some(w) = watch {
            w.end();
        }
        top.listing = listing;
        if let Some(e) = err {
            let (path, rel) = (self.frame_path(i).to_path_buf(), self.frame_rel(i).to_vec());
            self.error(path, &rel, reason(&e), format!("directory listing: {e}"));
        }
    }

    /// Directory `i` of the stack, closed before, is open again as `fd`.
    fn reopened(&mut self, i: usize, fd: OwnedFd, noatime: bool) {
        if self.stack[i].noatime && !noatime {
            self.count(|c| {
                c.dirs_noatime -= 1;
                c.dirs_plain += 1;
            });
        }
        let f = &mut self.stack[i];
        f.noatime &= noatime;
        f.fd = Some(fd);
        self.open += 1;
    }

    /// Opens the current directory again if it was closed; false (after an error entry, with
    /// the directory left) if it cannot be, or is no longer the same directory.
    fn reopen_top(&mut self) -> bool {
        let top = self.stack.len() - 1;
        if self.stack[top].fd.is_some() {
            return true;
        }
        let base = (0..top)
            .rev()
            .find(|&i| self.stack[i].fd.is_some())
            .expect("the root stays open");
        #[cfg(test)]
        {
            self.reopened_by_names += top - base;
        }
        let rel: Vec<&[u8]> = self.stack[base + 1..].iter().map(|f| &f.name[..]).collect();
        let name = CString::new(rel.join(&b'/')).expect("names hold no NUL");
        let at = self.stack[base].fd.as_ref().expect("open").as_fd();
        let opened = self.watched(self.frame_path(top), self.frame_rel(top), || {
            open_dir(at, &name, true).and_then(|(fd, noatime)| {
                let id = identity(&fd)?;
                Ok((id == self.stack[top].id).then_some((fd, noatime)))
            })
        });
        let detail = match opened {
            Ok(Some((fd, noatime))) => {
                self.reopened(top, fd, noatime);
                return true;
            }
            Ok(None) => "replaced by another directory during the walk".to_string(),
            Err(e) => format!("could not be opened again: {e}"),
        };
        let (path, rel) = (
            self.frame_path(top).to_path_buf(),
            self.frame_rel(top).to_vec(),
        );
        self.drop_top();
        self.error(
            path,
            &rel,
            "changed_during_scan",
            format!("directory {detail}"),
        );
        false
    }
}
