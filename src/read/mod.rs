//! Reading: opening files without touching their access times, and the evidence about each
//! file (size, times, owner, mode) as found *before* reading.

pub mod sniff;

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use rustix::fs::{AtFlags, OFlags, CWD};
use rustix::io::retry_on_intr;
use serde::{Deserialize, Serialize};

use crate::walk::Meta;

/// The owner of a file: the numeric id always, the name when the system knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub uid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// File evidence for the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    pub size: u64,
    pub modified: String,
    pub changed: String,
    pub accessed: String,
    pub owner: Owner,
    pub gid: u32,
    /// Permission bits in octal, such as `0640`.
    pub mode: String,
}

/// A file time as the evidence gives it: RFC 3339 in whole seconds, UTC
/// (`2026-12-03T05:58:00Z`), or nothing when it is beyond chrono's range.
fn rfc3339(secs: i64, nanos: i64) -> String {
    let mut out = Vec::with_capacity(20);
    write_rfc3339(&mut out, secs, nanos);
    String::from_utf8(out).expect("RFC 3339 is ASCII")
}

/// [`rfc3339`] appended to `out`. Every file has three times and a rescan writes them for
/// every file it reuses, so the calendar date, which is chrono's, is remembered per thread for
/// a few days (a share's times cluster on few days); the time of day is plain arithmetic.
fn write_rfc3339(out: &mut Vec<u8>, secs: i64, nanos: i64) {
    const DAY: i64 = 86_400;
    const SLOTS: usize = 16;
    thread_local! {
        /// Days since 1970 and their dates (`YYYY-MM-DD`), direct-mapped by day.
        static DATES: std::cell::RefCell<[(i64, [u8; 10]); SLOTS]> =
            const { std::cell::RefCell::new([(i64::MIN, [0; 10]); SLOTS]) };
    }
    let (day, of_day) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let slot = day.rem_euclid(SLOTS as i64) as usize;
    let date = DATES.with_borrow(|d| (d[slot].0 == day).then_some(d[slot].1));
    let Some(date) = date else {
        let Some(t) = DateTime::<Utc>::from_timestamp(secs, nanos.clamp(0, 999_999_999) as u32)
        else {
            return;
        };
        let text = t.to_rfc3339_opts(SecondsFormat::Secs, true);
        // Only four-digit years have the date's ten bytes.
        if let Some(date) = text.as_bytes().get(..10).filter(|_| text.len() == 20) {
            DATES.with_borrow_mut(|d| d[slot] = (day, date.try_into().expect("ten bytes")));
        }
        out.extend_from_slice(text.as_bytes());
        return;
    };
    let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    out.extend_from_slice(&date);
    out.push(b'T');
    out.extend_from_slice(&two(of_day / 3600));
    out.push(b':');
    out.extend_from_slice(&two(of_day / 60 % 60));
    out.push(b':');
    out.extend_from_slice(&two(of_day % 60));
    out.push(b'Z');
}

impl FileMeta {
    pub fn from_metadata(m: &impl MetadataExt) -> FileMeta {
        FileMeta {
            size: m.size(),
            modified: rfc3339(m.mtime(), m.mtime_nsec()),
            changed: rfc3339(m.ctime(), m.ctime_nsec()),
            accessed: rfc3339(m.atime(), m.atime_nsec()),
            owner: Owner {
                uid: m.uid(),
                name: user_name(m.uid()),
            },
            gid: m.gid(),
            mode: String::from_utf8(mode_text(m.mode()).to_vec()).expect("octal digits"),
        }
    }

    /// [`FileMeta::from_metadata`] as a record's JSON text holds it, flattened (its fields as
    /// serde writes them, without braces), appended to `out` with no `FileMeta` made on the
    /// way: a rescan writes this for every file it reuses, to compare with what was stored.
    pub fn write_fields(m: &impl MetadataExt, out: &mut Vec<u8>) {
        let mut n = itoa::Buffer::new();
        let time = |out: &mut Vec<u8>, key: &[u8], secs, nanos| {
            out.extend_from_slice(key);
            write_rfc3339(out, secs, nanos);
            out.push(b'"');
        };
        out.extend_from_slice(br#""size":"#);
        out.extend_from_slice(n.format(m.size()).as_bytes());
        time(out, br#","modified":""#, m.mtime(), m.mtime_nsec());
        time(out, br#","changed":""#, m.ctime(), m.ctime_nsec());
        time(out, br#","accessed":""#, m.atime(), m.atime_nsec());
        out.extend_from_slice(br#","owner":{"uid":"#);
        out.extend_from_slice(n.format(m.uid()).as_bytes());
        with_user_name(m.uid(), |name| {
            if let Some(name) = name {
                out.extend_from_slice(br#","name":"#);
                serde_json::to_writer(&mut *out, name).expect("a name serializes");
            }
        });
        out.extend_from_slice(br#"},"gid":"#);
        out.extend_from_slice(n.format(m.gid()).as_bytes());
        out.extend_from_slice(br#","mode":""#);
        out.extend(mode_text(m.mode()));
        out.push(b'"');
    }
}

/// A file's permission bits as the inventory writes them, `{:04o}` of their twelve bits: four
/// octal digits, without the formatting machinery (every record has them).
fn mode_text(mode: u32) -> [u8; 4] {
    [9, 6, 3, 0].map(|shift| b'0' + ((mode >> shift) & 7) as u8)
}

/// A content hash as the inventory writes it: 32 hex digits, `{:032x}`.
pub fn content_hash_text(hash: u128) -> String {
    hex::encode(hash.to_be_bytes())
}

/// What identifies a file's content version: a change to any of these during the read means
/// the file changed under us.
pub fn version(m: &impl MetadataExt) -> (u64, i64, i64, i64, i64) {
    (
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    )
}

/// User names by uid, looked up once each.
fn user_name(uid: u32) -> Option<String> {
    with_user_name(uid, |name| name.map(str::to_owned))
}

/// `f` of the name of user `uid`, without a copy of it.
fn with_user_name<R>(uid: u32, f: impl FnOnce(Option<&str>) -> R) -> R {
    thread_local! {
        /// The thread's last answer: a share's files have few owners, and the shared cache's
        /// lock, taken for every file by every thread, was a hundredth of a rescan's time.
        static LAST: std::cell::RefCell<Option<(u32, Option<String>)>> = const {
            std::cell::RefCell::new(None)
        };
    }
    LAST.with_borrow_mut(|last| {
        if last.as_ref().is_none_or(|(u, _)| *u != uid) {
            *last = Some((uid, shared_user_name(uid)));
        }
        f(last.as_ref().and_then(|(_, name)| name.as_deref()))
    })
}

/// [`user_name`] from the cache all threads share.
fn shared_user_name(uid: u32) -> Option<String> {
    static CACHE: OnceLock<Mutex<HashMap<u32, Option<String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(name) = cache.lock().expect("user cache").get(&uid) {
        return name.clone();
    }
    let name = lookup_user(uid);
    cache.lock().expect("user cache").insert(uid, name.clone());
    name
}

fn lookup_user(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pwd` and `buf`, both alive and sized as passed;
    // `result` is null or points at `pwd`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points at a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

/// The inventory reason for an I/O error.
pub fn io_reason(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission_denied",
        io::ErrorKind::NotFound => "vanished",
        _ if e.raw_os_error() == Some(libc::ELOOP) => "symlink",
        _ => "io_error",
    }
}

/// Milliseconds on the system's coarse monotonic clock: the same in every process, ticking
/// every few milliseconds, and read in a fifth of the time of the fine one (5 against 24 ns
/// here). A file's time budget and the watch over blocked calls read it several times per
/// file, and count in seconds.
pub fn now_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes into `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// Where a worker process marks that it is blocked in a read or an open, and since when (see
/// `scan::memory`): set once when the process becomes a worker.
static BLOCKED_SINCE: OnceLock<Marker> = OnceLock::new();

struct Marker {
    since: &'static AtomicU64,
    now: fn() -> u64,
}

/// Makes [`Blocking`] guards write to `since` (milliseconds from `now`, 0 when not blocked).
pub fn watch_blocking(since: &'static AtomicU64, now: fn() -> u64) {
    let _ = BLOCKED_SINCE.set(Marker { since, now });
}

/// Marks the process blocked in a read, an open or a stat until dropped, so the scan's
/// watchdog can tell a dead network share (a call that never returns) from a slow parser.
pub struct Blocking(Option<&'static AtomicU64>);

impl Blocking {
    pub fn enter() -> Blocking {
        Blocking(BLOCKED_SINCE.get().map(|m| {
            m.since.store((m.now)(), Ordering::Relaxed);
            m.since
        }))
    }
}

impl Drop for Blocking {
    fn drop(&mut self) {
        if let Some(m) = self.0 {
            m.store(0, Ordering::Relaxed);
        }
    }
}

/// The metadata of an opened file, marked [`Blocking`]: on a dead share `fstat` hangs like a
/// read.
pub fn fstat(file: &File) -> io::Result<std::fs::Metadata> {
    let _b = Blocking::enter();
    file.metadata()
}

/// The metadata of `path` itself (not a symlink's target), marked [`Blocking`]; the path may
/// be longer than `PATH_MAX`, as for [`open`].
pub fn lstat(path: &Path) -> io::Result<Meta> {
    let _b = Blocking::enter();
    let path = c_path(path)?;
    crate::walk::at_any_length(CWD, &path, |at, name| {
        retry_on_intr(|| rustix::fs::statat(at, name, AtFlags::SYMLINK_NOFOLLOW))
    })
    .map(Meta::from)
}

/// An opened file as extractors read it: every read is marked [`Blocking`], and the bytes
/// are hashed as they go by, so the file's content hash costs no extra read for formats read
/// from start to end, and one pass over the unread rest for those that seek.
pub struct Watched {
    pub file: File,
    pos: u64,
    hasher: Option<Box<xxhash_rust::xxh3::Xxh3>>,
    /// Bytes `0..hashed` are in the hash.
    hashed: u64,
}

impl Watched {
    /// `secret`: the key of the content hash (see [`content_secret`]); none, no hash.
    pub fn new(file: File, secret: Option<[u8; 192]>) -> Watched {
        Watched {
            file,
            pos: 0,
            hasher: secret.map(|s| Box::new(xxhash_rust::xxh3::Xxh3::with_secret(s))),
            hashed: 0,
        }
    }

    /// The content hash (hex) of the file's first `size` bytes (its size when opened),
    /// reading what the extractor left unread; `None` without a key, or when the file ends
    /// early. A file that changed while read is marked so by the scan.
    pub fn content_hash(&mut self, size: u64) -> Option<String> {
        self.hasher.as_ref()?;
        if self.hashed < size {
            if self.pos != self.hashed {
                io::Seek::seek(self, io::SeekFrom::Start(self.hashed)).ok()?;
            }
            let mut buf = vec![0u8; (size - self.hashed).min(64 << 10) as usize];
            while self.hashed < size {
                let want = buf.len().min((size - self.hashed) as usize);
                match read_some(self, &mut buf[..want]) {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        }
        Some(content_hash_text(self.hasher.as_ref()?.digest128()))
    }
}

impl io::Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let _b = Blocking::enter();
            self.file.read(buf)?
        };
        if let Some(h) = &mut self.hasher {
            // Only bytes that continue the hashed prefix count: a second pass over the start
            // (after a seek back) adds nothing.
            let end = self.pos + n as u64;
            if self.pos <= self.hashed && self.hashed < end {
                h.update(&buf[(self.hashed - self.pos) as usize..n]);
                self.hashed = end;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for Watched {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(pos)?;
        Ok(self.pos)
    }
}

/// The 192-byte secret of the content hash, derived from the fingerprint key: content
/// hashes then compare across scans made with the same key, and nobody without the key can
/// test a guess of a small file's content against one.
pub fn content_secret(key: &[u8]) -> [u8; 192] {
    use hmac::{Hmac, Mac};
    let mut out = [0u8; 192];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
        mac.update(b"kartlegg content hash");
        mac.update(&[i as u8]);
        chunk.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// Bytes read by every reader in this process so far, for the live progress line (a large
/// file would otherwise show no progress until it is done).
pub static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// `Read::read`, tried again when a signal interrupts it (the streaming readers' one read).
pub fn read_some(r: &mut (impl io::Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Ok(n) => {
                BYTES_READ.fetch_add(n as u64, Ordering::Relaxed);
                return Ok(n);
            }
            other => return other,
        }
    }
}

/// Reads up to `n` bytes from the start (fewer only at the end of the input).
pub fn read_head(r: &mut dyn io::Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    io::Read::read_to_end(&mut io::Read::take(r, n as u64), &mut head)?;
    BYTES_READ.fetch_add(head.len() as u64, Ordering::Relaxed);
    Ok(head)
}

/// A thread's buffer for the heads of the files it reads, lent for one file at a time. It
/// keeps its room and its bytes from one file to the next, so a small file's head is read
/// into memory that is neither allocated nor zeroed for it (4 % of a small text file's
/// instructions went to that). Given back to the thread when dropped.
pub struct HeadBuffer(Vec<u8>);

thread_local! {
    static HEADS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl HeadBuffer {
    pub fn lent() -> HeadBuffer {
        HeadBuffer(HEADS.take())
    }

    /// Reads the head of a file whose size is known: up to `n` bytes, stopping at `size`
    /// without asking for the end of file again — one read for a small file instead of two.
    /// (A file that grows meanwhile is caught by the scan's check of its size after reading.)
    pub fn read_file_head(
        &mut self,
        r: &mut dyn io::Read,
        n: usize,
        size: u64,
    ) -> io::Result<&[u8]> {
        let want = n.min(usize::try_from(size).unwrap_or(n));
        // Only room never used before is zeroed; what an earlier head left is read over.
        if self.0.len() < want {
            self.0.resize(want, 0);
        }
        let mut got = 0;
        while got < want {
            match read_some(r, &mut self.0[got..want])? {
                0 => break,
                k => got += k,
            }
        }
        Ok(&self.0[..got])
    }
}

impl Drop for HeadBuffer {
    fn drop(&mut self) {
        HEADS.set(std::mem::take(&mut self.0));
    }
}

/// An opened file and whether its access time is protected.
pub struct Opened {
    pub file: File,
    /// Opened with `O_NOATIME`: reading does not update the access time.
    pub noatime: bool,
}

/// Opens for reading with `O_NOATIME` where permitted (the owner or CAP_FOWNER), and falls
/// back to a plain open where not. Never opens for writing; a symlink is not followed.
pub fn open(path: &Path) -> io::Result<Opened> {
    open_with(path, OFlags::NOFOLLOW)
}

/// Like [`open`], but follows a symlink at the last component (for `--follow`).
pub fn open_following(path: &Path) -> io::Result<Opened> {
    open_with(path, OFlags::empty())
}

/// [`open`] with `flags` added. The path may be longer than `PATH_MAX`: the walk reaches such
/// files (see [`crate::walk::at_any_length`]).
fn open_with(path: &Path, flags: OFlags) -> io::Result<Opened> {
    let _b = Blocking::enter();
    let path = c_path(path)?;
    let (fd, noatime) = crate::walk::open_noatime(CWD, &path, flags | OFlags::NONBLOCK)?;
    Ok(Opened {
        file: File::from(fd),
        noatime,
    })
}

/// A path for the system calls; one holding a NUL byte is an error, as `std` makes it.
fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "file name contained an unexpected NUL byte",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metadata as a test makes it up.
    struct Made {
        mode: u32,
        uid: u32,
        size: u64,
        times: [(i64, i64); 3],
    }

    impl MetadataExt for Made {
        fn dev(&self) -> u64 {
            0
        }
        fn ino(&self) -> u64 {
            0
        }
        fn mode(&self) -> u32 {
            self.mode
        }
        fn nlink(&self) -> u64 {
            1
        }
        fn uid(&self) -> u32 {
            self.uid
        }
        fn gid(&self) -> u32 {
            self.uid.wrapping_add(7)
        }
        fn rdev(&self) -> u64 {
            0
        }
        fn size(&self) -> u64 {
            self.size
        }
        fn atime(&self) -> i64 {
            self.times[0].0
        }
        fn atime_nsec(&self) -> i64 {
            self.times[0].1
        }
        fn mtime(&self) -> i64 {
            self.times[1].0
        }
        fn mtime_nsec(&self) -> i64 {
            self.times[1].1
        }
        fn ctime(&self) -> i64 {
            self.times[2].0
        }
        fn ctime_nsec(&self) -> i64 {
            self.times[2].1
        }
        fn blksize(&self) -> u64 {
            4096
        }
        fn blocks(&self) -> u64 {
            0
        }
    }

    /// A reader that hands out its bytes a few at a time.
    struct Dribble<'a>(&'a [u8]);

    impl io::Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(3);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A lent head buffer gives each file its own bytes only: none of a longer head read
    /// before it, none past the size or the end of the input, and it comes back to the thread
    /// with its room.
    #[test]
    fn a_lent_head_buffer_holds_each_files_bytes_only() {
        let long = b"0123456789abcdefghij".repeat(3);
        let mut lent = HeadBuffer::lent();
        assert_eq!(
            lent.read_file_head(&mut Dribble(&long), 40, 60).unwrap(),
            &long[..40]
        );
        assert_eq!(
            lent.read_file_head(&mut Dribble(b"kort"), 40, 4).unwrap(),
            b"kort"
        );
        assert_eq!(
            lent.read_file_head(&mut Dribble(b"lengre"), 40, 3).unwrap(),
            b"len"
        );
        // A file that shrank after its size was taken ends where its bytes end.
        assert_eq!(
            lent.read_file_head(&mut Dribble(b"ab"), 40, 9).unwrap(),
            b"ab"
        );
        assert_eq!(lent.read_file_head(&mut Dribble(b""), 40, 0).unwrap(), b"");
        drop(lent);
        let again = HeadBuffer::lent();
        assert!(again.0.capacity() >= 40, "the room comes back");
        let other = HeadBuffer::lent();
        assert_eq!(other.0.capacity(), 0, "one buffer is lent once");
    }

    #[test]
    fn file_times_are_chronos_rfc3339_whether_their_day_was_seen_or_not() {
        let chrono = |secs: i64, nanos: i64| {
            DateTime::<Utc>::from_timestamp(secs, nanos.clamp(0, 999_999_999) as u32)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        let mut rng = crate::synth::Rng::new(3);
        let mut times = vec![
            (0, 0),
            (-1, 999_999_999),
            (-86_400, 0),
            (86_399, -5),
            (253_402_300_799, 0), // 9999-12-31T23:59:59Z
            (253_402_300_800, 0), // the year 10000
            (-62_167_219_200, 0), // 0000-01-01T00:00:00Z
            (-62_167_219_201, 0), // the year -1
            (i64::MIN, 0),
            (i64::MAX, 7),
        ];
        // Days far apart and times within one day, so that slots are filled, hit and
        // taken over.
        for _ in 0..2000 {
            let day = rng.below(40_000) as i64 - 20_000;
            let of_day = rng.below(86_400) as i64;
            times.push((day * 86_400 + of_day, rng.below(1_000_000_000) as i64));
        }
        for _ in 0..3 {
            for &(secs, nanos) in &times {
                assert_eq!(rfc3339(secs, nanos), chrono(secs, nanos), "{secs} {nanos}");
            }
        }
    }

    /// The name a thread remembers is the one of the uid asked, whichever it asked before.
    #[test]
    fn user_names_asked_in_turn_are_each_their_own() {
        for uid in [0, 4_000_000_123, 0, 0, 4_000_000_123, 4_000_000_123, 0] {
            assert_eq!(user_name(uid), lookup_user(uid), "{uid}");
        }
        assert_eq!(user_name(0).as_deref(), Some("root"));
    }

    #[test]
    fn evidence_written_as_text_is_what_serde_writes() {
        let check = |m: &dyn Fn() -> Made| {
            let serde = serde_json::to_vec(&FileMeta::from_metadata(&m())).unwrap();
            let mut text = b"{".to_vec();
            FileMeta::write_fields(&m(), &mut text);
            text.push(b'}');
            assert_eq!(
                String::from_utf8(text).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        };
        // Root, whom every system names; a uid no system names; modes with the set-id and
        // sticky bits and a file type above them; times before 1970, with nanoseconds, and
        // out of chrono's range.
        for uid in [0, 4_000_000_123] {
            for mode in [0o100_644, 0o104_755, 0o041_777, 0, 0o7777] {
                for times in [
                    [(1_700_000_000, 5), (0, 999_999_999), (-1, 1)],
                    [(-62_000_000_000, 0), (i64::MAX, 0), (253_402_300_799, 0)],
                ] {
                    check(&|| Made {
                        mode,
                        uid,
                        size: u64::from(uid) * 3,
                        times,
                    });
                }
            }
        }
    }

    #[test]
    fn modes_and_content_hashes_are_written_as_their_formats_write_them() {
        // The set-id and sticky bits stay, the file type above them goes.
        for mode in [0o100_644, 0o104_755, 0o041_777, 0, 0o7777, 0o170_001] {
            let text = mode_text(mode);
            assert_eq!(text.as_slice(), format!("{:04o}", mode & 0o7777).as_bytes());
        }
        // Leading zeros are written: always 32 digits.
        for hash in [
            0,
            1,
            0xabc << 64,
            u128::MAX,
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        ] {
            assert_eq!(content_hash_text(hash), format!("{hash:032x}"));
        }
    }

    #[test]
    fn reading_keeps_the_access_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hei").unwrap();
        // An access time far in the past, so any update by the read would show.
        let old = libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        };
        let times = [
            old,
            libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            },
        ];
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid path and two timespecs, as utimensat requires.
        assert_eq!(
            unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) },
            0
        );
        let mut o = open(&p).unwrap();
        assert!(o.noatime, "the owner may use O_NOATIME");
        let mut s = String::new();
        io::Read::read_to_string(&mut o.file, &mut s).unwrap();
        let after = std::fs::metadata(&p).unwrap();
        assert_eq!(after.atime(), 1_000_000_000);
        let meta = FileMeta::from_metadata(&after);
        assert_eq!(meta.accessed, "2001-09-09T01:46:40Z");
        assert_eq!(meta.size, 3);
    }
}
