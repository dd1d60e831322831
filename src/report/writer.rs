//! JSON and JSON Lines writers, and the output file that only appears when complete.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sort::{self, Entry, Sorter, Stream};
use super::{FileRecord, Report, Summary};

/// Where the inventory goes. [`Output::open`] decides by what the target is, so that writing a
/// report never damages something that is not a report:
///
/// * `-`: standard output.
/// * A new path or a regular file: written under `NAME.partial` beside it and renamed onto it
///   by [`Output::commit`] (a reader never sees a half-written inventory; a crash leaves the
///   `.partial` file with every record written so far). A replaced file keeps its permission
///   bits, so an inventory made private stays private.
/// * A character device or a FIFO (`/dev/null`, a named pipe to another program): written
///   through. Nothing is created, renamed or replaced; opening a FIFO waits for its reader.
/// * A symlink: followed, deliberately, to its final target, which is then treated as above.
///   The partial file is written beside the target and renamed onto it, so the link stays a
///   link to the same place; a dangling link's target is created.
/// * A directory, a socket or a block device: refused with an error.
pub(crate) enum Output {
    Stdout(BufWriter<io::Stdout>),
    /// A regular file written under a temporary name and renamed into place.
    Atomic {
        w: BufWriter<File>,
        partial: PathBuf,
        target: PathBuf,
        /// The identity of the regular file being replaced, if there is one.
        replaced: Option<(u64, u64)>,
        /// Bytes written since the disk was last asked to take what was written.
        unsynced: usize,
        /// Makes what was written durable while more is written ([`Behind`]).
        behind: Behind,
    },
    /// A character device or FIFO, written as it is.
    Through(BufWriter<File>),
}

const BUF: usize = 256 * 1024;

/// A file output has what it holds made durable every this many bytes, so the sync that
/// commits it waits only for the rest (an inventory of a million files is hundreds of
/// megabytes, written over minutes).
const WRITE_BEHIND: usize = 8 << 20;

/// What ends the first line of a JSON inventory: the header, then the files, one record per
/// line (the inventory reader parses that layout a line at a time).
pub(crate) const FILES_OPEN: &str = r#","files":["#;

impl Output {
    /// The temporary name used for `target` while the scan runs.
    pub(crate) fn partial_path(target: &Path) -> PathBuf {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        target.with_file_name(name)
    }

    /// The output for `-o target` (see the type's documentation for what each kind gets).
    pub(crate) fn open(target: &Path) -> io::Result<Output> {
        if target == Path::new("-") {
            return Ok(Output::stdout());
        }
        let target = final_target(target)?;
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let Some(meta) = meta else {
            return Output::atomic(target, None);
        };
        let ft = meta.file_type();
        if ft.is_file() {
            return Output::atomic(target, Some(&meta));
        }
        if ft.is_char_device() || ft.is_fifo() {
            return Output::through(&target);
        }
        let refused = if ft.is_dir() {
            "a directory; give a file name for the report"
        } else if ft.is_block_device() {
            "a block device; a report is never written onto a disk"
        } else {
            "a socket; write to a regular file, a character device, a FIFO or - (standard output)"
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is {refused}", target.display()),
        ))
    }

    fn atomic(target: PathBuf, replaced: Option<&std::fs::Metadata>) -> io::Result<Output> {
        let partial = Self::partial_path(&target);
        let f = create_partial(&partial)?;
        if let Some(m) = replaced {
            f.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        }
        Ok(Output::Atomic {
            w: BufWriter::with_capacity(BUF, f),
            partial,
            target,
            replaced: replaced.map(|m| (m.dev(), m.ino())),
            unsynced: 0,
            behind: Behind::default(),
        })
    }

    fn through(target: &Path) -> io::Result<Output> {
        let f = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY)
            .open(target)?;
        // It was a device or FIFO when looked at; make sure it still is what was opened.
        let ft = f.metadata()?.file_type();
        if !(ft.is_char_device() || ft.is_fifo()) {
            return Err(io::Error::other(format!(
                "{} changed while it was opened",
                target.display()
            )));
        }
        Ok(Output::Through(BufWriter::with_capacity(BUF, f)))
    }

    /// Whether `path` is the partial file of the report for `-o target`: a file there is
    /// taken for a stale partial and removed when the report starts.
    pub(crate) fn is_partial_of(target: &Path, path: &Path) -> bool {
        Self::partial_of(target).is_some_and(|p| Self::lands_on(&p, path))
    }

    /// Where the report for `-o target` is made before it is renamed into place; none for
    /// standard output, a device or a FIFO (written through).
    pub(crate) fn partial_of(target: &Path) -> Option<PathBuf> {
        if target == Path::new("-") {
            return None;
        }
        let t = final_target(target).ok()?;
        match std::fs::symlink_metadata(&t) {
            Ok(m) if !m.is_file() => None,
            _ => Some(Self::partial_path(&t)),
        }
    }

    pub(crate) fn stdout() -> Output {
        Output::Stdout(BufWriter::new(io::stdout()))
    }

    /// Whether the report for `-o target` (`-` for standard output) would be written onto
    /// the file at `path`, however either is spelt: the same (device, inode) where both exist,
    /// else the same name in the same directory once symlinks are followed, as
    /// [`Output::open`] follows them.
    pub(crate) fn lands_on(target: &Path, path: &Path) -> bool {
        let id = |m: &std::fs::Metadata| (m.dev(), m.ino());
        let at = std::fs::metadata(path);
        if target == Path::new("-") {
            return matches!((stdout_file(), at), (Some(o), Ok(p)) if id(&o) == id(&p));
        }
        let Ok(target) = final_target(target) else {
            return false;
        };
        match (std::fs::metadata(&target), at) {
            (Ok(t), Ok(p)) => id(&t) == id(&p),
            (Err(_), Err(_)) => {
                let place = |p: &Path| -> Option<PathBuf> {
                    let p = final_target(p).ok()?;
                    let dir = match p.parent() {
                        Some(d) if !d.as_os_str().is_empty() => d,
                        _ => Path::new("."),
                    };
                    Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
                };
                place(&target).is_some_and(|t| Some(t) == place(path))
            }
            _ => false,
        }
    }

    /// The (device, inode) of every file this output writes or replaces, for the walk to
    /// leave out: a report must never scan itself, however its path is spelt.
    pub(crate) fn identities(&self) -> Vec<(u64, u64)> {
        let id = |m: std::fs::Metadata| (m.dev(), m.ino());
        match self {
            // Standard output redirected to a file in the scanned tree is that file.
            Output::Stdout(_) => stdout_file().map(id).into_iter().collect(),
            Output::Atomic { w, replaced, .. } => {
                let mut ids: Vec<_> = w.get_ref().metadata().map(id).into_iter().collect();
                ids.extend(*replaced);
                ids
            }
            Output::Through(w) => w.get_ref().metadata().map(id).into_iter().collect(),
        }
    }

    /// Flushes, and for a file, syncs and renames it into place.
    pub(crate) fn commit(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            // No sync: a FIFO or device has nothing to sync (fsync fails on a FIFO).
            Output::Through(w) => w.flush(),
            Output::Atomic {
                w,
                partial,
                target,
                behind,
                ..
            } => {
                w.flush()?;
                behind.finish()?;
                w.get_ref().sync_all()?;
                std::fs::rename(partial, target)
            }
        }
    }

    /// Whether [`Output::position`] and [`Output::split_off`] can: the output is a file.
    pub(crate) fn rewritable(&self) -> bool {
        matches!(self, Output::Atomic { .. })
    }

    /// How many bytes were written so far (flushing them).
    pub(crate) fn position(&mut self) -> io::Result<u64> {
        match self {
            Output::Atomic { w, .. } => w.stream_position(),
            _ => Err(io::Error::other("only a file's position is known")),
        }
    }

    /// Cuts what was written after byte `at` off the file, which goes on from there; returns
    /// it, in an unlinked temporary file, to be read from its start.
    pub(crate) fn split_off(&mut self, at: u64) -> io::Result<File> {
        let Output::Atomic { w, .. } = self else {
            return Err(io::Error::other("only a file can be cut"));
        };
        w.flush()?;
        let f = w.get_mut();
        let end = f.seek(io::SeekFrom::End(0))?;
        f.seek(io::SeekFrom::Start(at))?;
        let mut tail = tempfile::tempfile()?;
        io::copy(&mut (&*f).take(end.saturating_sub(at)), &mut tail)?;
        f.set_len(at)?;
        f.seek(io::SeekFrom::Start(at))?;
        tail.rewind()?;
        Ok(tail)
    }

    /// Gives up on the output: a file's `.partial` is removed and nothing is put in place.
    pub(crate) fn discard(self) -> io::Result<()> {
        match self {
            Output::Atomic {
                w,
                partial,
                mut behind,
                ..
            } => {
                let _ = behind.finish();
                drop(w);
                std::fs::remove_file(partial)
            }
            Output::Stdout(_) | Output::Through(_) => Ok(()),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::Atomic { w, .. } | Output::Through(w) => w,
        }
    }
}

/// Syncs a file on a thread of its own as it grows (a file output; the state's log). A sync
/// takes time in proportion to what it makes durable, on a virtual disk even when the data
/// was already handed to the device (`sync_file_range`, which this replaced): synced in
/// pieces while the scan goes on, the 59 MB inventory of a rescan was committed in 1 ms
/// instead of 60-140 ms. The thread is started at the first piece; a piece asked for while
/// one is being synced goes with the next.
#[derive(Default)]
pub(crate) struct Behind {
    ask: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Behind {
    pub(crate) fn ask(&mut self, f: &File) {
        if self.thread.is_none() {
            // Without a second descriptor, the final sync does it all.
            let Ok(f) = f.try_clone() else { return };
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            let spawned = std::thread::Builder::new()
                .name("kartlegg-sync".into())
                .spawn(move || {
                    for () in rx {
                        f.sync_data()?;
                    }
                    Ok(())
                });
            let Ok(thread) = spawned else { return };
            (self.ask, self.thread) = (Some(tx), Some(thread));
        }
        if let Some(tx) = &self.ask {
            let _ = tx.try_send(());
        }
    }

    /// Waits for the sync under way. Its error is the output's: the kernel reports a failed
    /// write-back to one sync only, which may have been this thread's.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.ask = None;
        match self.thread.take().map(|t| t.join()) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(io::Error::other("the report's sync thread panicked")),
        }
    }
}

/// What standard output is, if it is redirected to a regular file.
fn stdout_file() -> Option<std::fs::Metadata> {
    let fd = io::stdout().as_fd().try_clone_to_owned();
    let m = fd.and_then(|fd| File::from(fd).metadata());
    m.ok().filter(|m| m.is_file())
}

/// Where a chain of symlinks ends (the path itself if it is not a link); relative link
/// targets are taken from the link's directory, as the kernel does.
fn final_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // The kernel's own limit on links followed in one lookup.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = p.parent().map_or_else(|| to.clone(), |dir| dir.join(&to));
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

/// Creates the partial file, never through a symlink or onto anything but a stale partial
/// (a regular file left by an interrupted run, which is replaced).
fn create_partial(p: &Path) -> io::Result<File> {
    // O_CREAT|O_EXCL: fails on any existing name, a symlink included.
    // Readable too: a streamed report may read back what it wrote (`Output::split_off`).
    let create = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(p)
    };
    match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if !std::fs::symlink_metadata(p)?.file_type().is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a regular file", p.display()),
                ));
            }
            std::fs::remove_file(p)?;
            create()
        }
        r => r,
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Output::Atomic {
            w,
            unsynced,
            behind,
            ..
        } = self
        {
            let n = w.write(buf)?;
            *unsynced += n;
            if *unsynced >= WRITE_BEHIND {
                *unsynced = 0;
                behind.ask(w.get_ref());
            }
            return Ok(n);
        }
        self.writer().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

fn json_err(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

/// A record's share of [`files_digest`]: the xxh3 of its JSON text as the JSON document lists
/// it (a JSON Lines file line is that text with `"record":"file",` after its `{`).
pub(crate) fn record_hash(json: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(json)
}

/// `summary.files_digest`: the sum (mod 2^64) of the records' [`record_hash`]es, in hex. A
/// sum, so that it does not depend on the order the records are listed in (JSON Lines in the
/// order files were done, a JSON document sorted, a merge sorted again), and so that a merge
/// makes its own from its inputs' without reading their records twice.
pub(crate) fn files_digest(sum: u64) -> String {
    format!("xxh3-sum:{sum:016x}")
}

/// `summary` with the `files_digest` of the records written.
fn digested(summary: &Summary, sum: u64) -> Summary {
    Summary {
        files_digest: Some(files_digest(sum)),
        ..summary.clone()
    }
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    /// `scan`, `file` or `summary` (not `type`: a file record has a `type` of its own).
    #[serde(rename = "record")]
    tag: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

#[derive(Serialize)]
struct Finished<'a> {
    finished: &'a str,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// One JSON document: `{schema_version, tool, scan, files: [...], summary}`, its files sorted
/// by path ([`super::order`]) in bounded memory: all at the end ([`Sorter`]), or, for a scan
/// written to a file, as they come ([`Stream`]).
pub(crate) struct JsonReport {
    out: Output,
    header: serde_json::Value,
    order: Option<Order>,
    key: Vec<u8>,
    /// Of a streamed document whose late files were merged: the bytes kept as written.
    kept: Option<u64>,
    /// The records' [`record_hash`]es taken so far, summed.
    digest: u64,
}

/// How a [`JsonReport`] puts its files in order.
enum Order {
    /// Sorted when the report is finished; nothing is written before.
    Sorted(Sorter),
    /// Written while they come, after the header.
    Streamed(Streaming),
}

/// A document written while its files come ([`Stream`]).
struct Streaming {
    stream: Stream,
    /// Once a file is written.
    listed: bool,
    marks: Marks,
}

/// Where the files written begin, about every `every` bytes (the first always), with the key
/// of the file there: when files come late, the document is written again only from the last
/// mark before them.
struct Marks {
    at: Vec<(Vec<u8>, u64)>,
    every: usize,
    since: usize,
}

impl Marks {
    /// Writes file `e` to the document, marking where it begins if it is time to.
    fn write(&mut self, doc: &mut Document<'_>, e: Entry<'_>) -> io::Result<()> {
        if self.at.is_empty() || self.since >= self.every {
            self.at.push((e.key.to_vec(), doc.out.position()?));
            self.since = 0;
        }
        self.since += e.data.len() + 2;
        doc.record(e.data)
    }
}

impl JsonReport {
    /// A document with `header` (an object) spliced in before its files, written when it is
    /// finished.
    pub(crate) fn new(out: Output, header: &serde_json::Value) -> io::Result<JsonReport> {
        Ok(JsonReport {
            out,
            header: header.clone(),
            order: Some(Order::Sorted(Sorter::new(sort::DEFAULT_BUDGET))),
            key: Vec::new(),
            kept: None,
            digest: 0,
        })
    }

    /// A scan's document: to a file, its files are written while they come, nearly in order
    /// ([`Stream`]); to standard output or a FIFO, which cannot be read back for the files
    /// that come late, when it is finished.
    pub(crate) fn streamed(out: Output, header: &serde_json::Value) -> io::Result<JsonReport> {
        JsonReport::streamed_in(out, header, sort::STREAM_WINDOW)
    }

    /// [`JsonReport::streamed`], holding back `window` bytes of files.
    fn streamed_in(
        mut out: Output,
        header: &serde_json::Value,
        window: usize,
    ) -> io::Result<JsonReport> {
        if !out.rewritable() {
            return JsonReport::new(out, header);
        }
        Document::begin(&mut out, header)?;
        Ok(JsonReport {
            out,
            header: header.clone(),
            order: Some(Order::Streamed(Streaming {
                stream: Stream::new(window),
                listed: false,
                marks: Marks {
                    at: Vec::new(),
                    every: window,
                    since: 0,
                },
            })),
            key: Vec::new(),
            kept: None,
            digest: 0,
        })
    }

    /// Takes a record already written as JSON, whose [`record_hash`] is `hash`.
    pub(crate) fn json(&mut self, path: &str, json: Vec<u8>, hash: u64) -> io::Result<()> {
        // Each record comes here once, however often a streamed document writes it.
        self.digest = self.digest.wrapping_add(hash);
        match self.order.as_mut().ok_or_else(finished)? {
            Order::Sorted(sorter) => {
                self.key.clear();
                super::order::key_into(path, &mut self.key);
                sorter.push(&self.key, &json)
            }
            Order::Streamed(Streaming {
                stream,
                listed,
                marks,
            }) => {
                let mut doc = Document {
                    out: &mut self.out,
                    first: !*listed,
                };
                // The stream holds the key and the text as they are: no copy of either.
                let mut key = Vec::with_capacity(path.len() + 8);
                super::order::key_into(path, &mut key);
                let pushed = stream.push(key, json, &mut |e| marks.write(&mut doc, e));
                *listed = !doc.first;
                pushed
            }
        }
    }

    /// Writes the sorted files, then the summary.
    fn finish_sorted(
        &mut self,
        sorter: Sorter,
        summary: &Summary,
        finished_at: &str,
    ) -> io::Result<()> {
        let mut doc = Document::begin(&mut self.out, &self.header)?;
        sorter.finish(&mut |e| doc.record(e.data))?;
        doc.end(summary, finished_at)
    }

    /// Writes the files held back, then the summary.
    fn finish_streamed(
        &mut self,
        streaming: Streaming,
        summary: &Summary,
        finished_at: &str,
    ) -> io::Result<()> {
        let Streaming {
            stream,
            listed,
            mut marks,
        } = streaming;
        let mut doc = Document {
            out: &mut self.out,
            first: !listed,
        };
        let Some((late, least)) = stream.finish(&mut |e| marks.write(&mut doc, e))? else {
            return doc.end(summary, finished_at);
        };
        // Some files came after greater ones were written. What was written is in order: from
        // the last mark before the least of them, it is cut off, read back and merged with the
        // rest.
        let marks = &marks.at;
        let i = marks
            .partition_point(|(key, _)| key.as_slice() < least.as_slice())
            .saturating_sub(1);
        // A file comes late only after one was written, which was marked.
        let (_, at) = *marks
            .get(i)
            .ok_or_else(|| io::Error::other("no file was written"))?;
        self.kept = Some(at);
        let mut before = Written::new(self.out.split_off(at)?)?;
        let mut doc = Document {
            out: &mut self.out,
            first: i == 0,
        };
        late.finish(&mut |e| {
            before.until(Some(e), &mut |line| doc.record(line))?;
            doc.record(e.data)
        })?;
        before.until(None, &mut |line| doc.record(line))?;
        doc.end(summary, finished_at)
    }

    /// Gives up: the output file is not put in place.
    pub(crate) fn discard(self) -> io::Result<()> {
        self.out.discard()
    }
}

/// Files of a streamed document as they were written ([`Document`]'s layout), read back in
/// order.
struct Written {
    r: BufReader<File>,
    /// The record read last, and its path's order key; `None` past the last.
    line: Option<(Vec<u8>, Vec<u8>)>,
}

impl Written {
    /// The files of `file`, cut off a document where a file's separator begins
    /// ([`Output::split_off`]).
    fn new(file: File) -> io::Result<Written> {
        let mut r = BufReader::with_capacity(BUF, file);
        // The separator before the first file: a newline, after a comma but for the first.
        r.read_until(b'\n', &mut Vec::new())?;
        let mut w = Written { r, line: None };
        w.next()?;
        Ok(w)
    }

    fn next(&mut self) -> io::Result<()> {
        let (mut data, mut key) = self.line.take().unwrap_or_default();
        data.clear();
        if self.r.read_until(b'\n', &mut data)? == 0 {
            return Ok(());
        }
        // Every record but the last is followed by a comma and a newline.
        if data.last() == Some(&b'\n') {
            data.pop();
        }
        if data.last() == Some(&b',') {
            data.pop();
        }
        key.clear();
        let (path, _) = super::order::leading_path(&data)
            .ok_or_else(|| io::Error::other("the report being written cannot be read back"))?;
        super::order::key_into(&path, &mut key);
        self.line = Some((data, key));
        Ok(())
    }

    /// Gives `out` the records that come before `e` (all that are left, for `None`). Equal
    /// records are the same bytes, so which goes first does not matter.
    fn until(
        &mut self,
        e: Option<Entry<'_>>,
        out: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        while let Some((data, key)) = &self.line {
            if e.is_some_and(|e| (e.key, e.data) < (key.as_slice(), data.as_slice())) {
                break;
            }
            out(data)?;
            self.next()?;
        }
        Ok(())
    }
}

/// The JSON document's layout, written in order: the header and [`FILES_OPEN`] on the first
/// line, one record per line (records already in inventory order), the summary. Committed to
/// the output at its end.
pub(crate) struct Document<'o> {
    out: &'o mut Output,
    first: bool,
}

impl<'o> Document<'o> {
    /// Writes the header (an object) and opens the list of files.
    pub(crate) fn begin(out: &'o mut Output, header: &serde_json::Value) -> io::Result<Self> {
        let head = serde_json::to_string(header).map_err(json_err)?;
        let head = head.strip_suffix('}').unwrap_or(&head);
        out.write_all(head.as_bytes())?;
        out.write_all(FILES_OPEN.as_bytes())?;
        Ok(Document { out, first: true })
    }

    /// Writes the next record, given as its JSON text.
    pub(crate) fn record(&mut self, json: &[u8]) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        self.out.write_all(json)
    }

    /// Writes more of the record begun last (given in parts by `kartlegg merge`).
    pub(crate) fn more(&mut self, json: &[u8]) -> io::Result<()> {
        self.out.write_all(json)
    }

    /// Closes the list, writes the summary and commits the output.
    pub(crate) fn end(self, summary: &Summary, finished: &str) -> io::Result<()> {
        let finished = Finished { finished, summary };
        self.out.write_all(b"\n],\"summary\":")?;
        serde_json::to_writer(&mut *self.out, &finished).map_err(json_err)?;
        self.out.write_all(b"}\n")?;
        self.out.commit()
    }
}

fn finished() -> io::Error {
    io::Error::other("the report is already finished")
}

impl Report for JsonReport {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        let json = serde_json::to_vec(rec).map_err(json_err)?;
        let hash = record_hash(&json);
        self.json(&rec.path, json, hash)
    }

    fn finish(&mut self, summary: &Summary, finished_at: &str) -> io::Result<()> {
        let summary = &digested(summary, self.digest);
        match self.order.take().ok_or_else(finished)? {
            Order::Streamed(streaming) => self.finish_streamed(streaming, summary, finished_at),
            Order::Sorted(sorter) => self.finish_sorted(sorter, summary, finished_at),
        }
    }

    fn takes_json(&self) -> bool {
        true
    }

    fn file_json(&mut self, path: &str, json: Vec<u8>, hash: u64) -> io::Result<()> {
        self.json(path, json, hash)
    }
}

/// JSON Lines: a `scan` line, one `file` line per file (flushed as written), a `summary` line;
/// each line says which in its `record` field.
pub(crate) struct JsonlReport {
    out: Output,
    /// The records' [`record_hash`]es, summed.
    digest: u64,
}

impl JsonlReport {
    pub(crate) fn new(mut out: Output, header: &serde_json::Value) -> io::Result<JsonlReport> {
        serde_json::to_writer(
            &mut out,
            &Tagged {
                tag: "scan",
                inner: header,
            },
        )
        .map_err(json_err)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(JsonlReport { out, digest: 0 })
    }
}

impl Report for JsonlReport {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        // The record as the JSON document lists it, tagged: its share of the digest is the
        // same in either format.
        let json = serde_json::to_vec(rec).map_err(json_err)?;
        self.digest = self.digest.wrapping_add(record_hash(&json));
        let fields = json
            .strip_prefix(b"{")
            .filter(|f| f.len() > 1)
            .ok_or_else(|| io::Error::other("a record is an object with fields"))?;
        self.out.write_all(br#"{"record":"file","#)?;
        self.out.write_all(fields)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary, finished: &str) -> io::Result<()> {
        let summary = &digested(summary, self.digest);
        let f = Finished { finished, summary };
        serde_json::to_writer(
            &mut self.out,
            &Tagged {
                tag: "summary",
                inner: &f,
            },
        )
        .map_err(json_err)?;
        self.out.write_all(b"\n")?;
        self.out.commit()
    }
}

#[cfg(test)]
mod tests {
    //! Each kind of `-o` target, made in a scratch directory (devices with mknod: the tests
    //! run as root in CI; the system's /dev is never touched).
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    fn mknod(path: &Path, kind: libc::mode_t, dev: libc::dev_t) {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mknod reads nothing else.
        let rc = unsafe { libc::mknod(c.as_ptr(), kind | 0o666, dev) };
        assert_eq!(
            rc,
            0,
            "mknod {}: {}",
            path.display(),
            io::Error::last_os_error()
        );
    }

    fn write_report(target: &Path, text: &str) -> io::Result<()> {
        let mut out = Output::open(target)?;
        out.write_all(text.as_bytes())?;
        out.commit()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_or_regular_file_is_replaced_atomically_keeping_its_mode() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("inv.json");
        let mut out = Output::open(&p).unwrap();
        out.write_all(b"first").unwrap();
        assert!(
            !p.exists(),
            "nothing at the target until the report is complete"
        );
        assert_eq!(names(t.path()), ["inv.json.partial"]);
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "first");

        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let old = std::fs::metadata(&p).unwrap();
        let out = Output::open(&p).unwrap();
        let ids = out.identities();
        assert!(
            ids.contains(&(old.dev(), old.ino())),
            "the replaced file is never scanned"
        );
        let partial = std::fs::metadata(t.path().join("inv.json.partial")).unwrap();
        assert!(ids.contains(&(partial.dev(), partial.ino())));
        drop(out);
        write_report(&p, "second").unwrap();
        let new = std::fs::metadata(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        assert_ne!(new.ino(), old.ino(), "renamed over, not written in place");
        assert_eq!(new.mode() & 0o7777, 0o600, "a private report stays private");
        assert_eq!(names(t.path()), ["inv.json"]);
    }

    #[test]
    fn a_sync_that_fails_behind_the_writing_fails_the_commit() {
        // A pipe cannot be synced (EINVAL): the sync thread's error must come back.
        let (_read, write) = std::io::pipe().unwrap();
        let f = File::from(std::os::fd::OwnedFd::from(write));
        let mut behind = Behind::default();
        behind.ask(&f);
        behind.ask(&f);
        let e = behind.finish().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
        // Nothing asked of it, it has nothing to wait for.
        assert!(Behind::default().finish().is_ok());
    }

    #[test]
    fn a_file_asked_to_the_disk_as_it_grows_holds_every_byte_written() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("inv.json");
        let mut out = Output::open(&p).unwrap();
        let mut want = Vec::new();
        let mut rng = crate::synth::Rng::new(5);
        // Pieces of every size, past the write-behind mark twice.
        while want.len() < 2 * WRITE_BEHIND + 12_345 {
            let n = (rng.next_u64() % 600_000) as usize;
            let piece: Vec<u8> = (0..n).map(|i| (i as u8) ^ (want.len() as u8)).collect();
            out.write_all(&piece).unwrap();
            want.extend_from_slice(&piece);
        }
        assert_eq!(out.position().unwrap(), want.len() as u64);
        out.commit().unwrap();
        assert!(std::fs::read(&p).unwrap() == want);
    }

    #[test]
    fn a_character_device_is_written_through_and_stays_a_device() {
        let t = tempfile::tempdir().unwrap();
        let null = t.path().join("null");
        mknod(&null, libc::S_IFCHR, libc::makedev(1, 3));
        write_report(&null, "{}").unwrap();
        let m = std::fs::symlink_metadata(&null).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), libc::makedev(1, 3));
        assert_eq!(names(t.path()), ["null"], "no partial file, no rename");
        // Through a symlink to it, the same.
        symlink(&null, t.path().join("lenke")).unwrap();
        write_report(&t.path().join("lenke"), "{}").unwrap();
        assert!(std::fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn a_fifo_is_written_through_to_its_reader() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("rør");
        mknod(&fifo, libc::S_IFIFO, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_report(&fifo, "{\"files\":[]}").unwrap();
        assert_eq!(reader.join().unwrap(), "{\"files\":[]}");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        assert_eq!(names(t.path()), ["rør"]);
    }

    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("ekte")).unwrap();
        std::fs::write(t.path().join("ekte/inv.json"), "old").unwrap();
        // A chain: lenke.json -> mellom.json -> ekte/inv.json (relative to each link).
        symlink("ekte/inv.json", t.path().join("mellom.json")).unwrap();
        symlink("mellom.json", t.path().join("lenke.json")).unwrap();
        let link = t.path().join("lenke.json");
        let mut out = Output::open(&link).unwrap();
        out.write_all(b"new").unwrap();
        assert_eq!(
            names(&t.path().join("ekte")),
            ["inv.json", "inv.json.partial"]
        );
        out.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("mellom.json"));
        assert_eq!(
            std::fs::read_to_string(t.path().join("ekte/inv.json")).unwrap(),
            "new"
        );
        assert_eq!(names(t.path()), ["ekte", "lenke.json", "mellom.json"]);
        // A dangling link: its target is created.
        symlink("ny.json", t.path().join("dingler")).unwrap();
        write_report(&t.path().join("dingler"), "x").unwrap();
        assert_eq!(
            std::fs::read_to_string(t.path().join("ny.json")).unwrap(),
            "x"
        );
        // A loop of links is an error, not a hang.
        symlink("løkke2", t.path().join("løkke1")).unwrap();
        symlink("løkke1", t.path().join("løkke2")).unwrap();
        let e = Output::open(&t.path().join("løkke1")).err().unwrap();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
    }

    #[test]
    fn directories_sockets_and_block_devices_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let disk = t.path().join("disk");
        mknod(&disk, libc::S_IFBLK, libc::makedev(7, 0));
        let _sock = std::os::unix::net::UnixListener::bind(t.path().join("sock")).unwrap();
        std::fs::create_dir(t.path().join("mappe")).unwrap();
        for (name, says) in [
            ("mappe", "is a directory"),
            ("sock", "is a socket"),
            ("disk", "is a block device"),
        ] {
            let e = Output::open(&t.path().join(name)).err().unwrap();
            assert!(e.to_string().contains(says), "{name}: {e}");
        }
        assert_eq!(
            names(t.path()),
            ["disk", "mappe", "sock"],
            "nothing created"
        );
        assert!(std::fs::symlink_metadata(&disk)
            .unwrap()
            .file_type()
            .is_block_device());
    }

    #[test]
    fn a_partial_name_taken_by_something_else_is_never_written_through() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("andres.txt"), "not yours").unwrap();
        symlink("andres.txt", t.path().join("inv.json.partial")).unwrap();
        let e = Output::open(&t.path().join("inv.json")).err().unwrap();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let theirs = std::fs::read_to_string(t.path().join("andres.txt")).unwrap();
        assert_eq!(theirs, "not yours");
        // A stale partial (a regular file from an interrupted run) is replaced.
        std::fs::remove_file(t.path().join("inv.json.partial")).unwrap();
        std::fs::write(t.path().join("inv.json.partial"), "stale").unwrap();
        write_report(&t.path().join("inv.json"), "fresh").unwrap();
        assert_eq!(
            std::fs::read_to_string(t.path().join("inv.json")).unwrap(),
            "fresh"
        );
    }

    #[test]
    fn a_dash_is_standard_output() {
        assert!(matches!(
            Output::open(Path::new("-")).unwrap(),
            Output::Stdout(_)
        ));
    }

    /// Records of one scan as (path, JSON text), with names that sort around `/`.
    fn records(n: usize, rng: &mut impl rand::Rng) -> Vec<(String, String)> {
        let names = ["a", "a b", "a-", "a.", "a.txt", "b", "\u{e6}"];
        let mut paths: Vec<String> = (0..n)
            .map(|i| {
                let a = names[rng.gen_range(0..names.len())];
                let b = names[rng.gen_range(0..names.len())];
                format!("/r/{a}/{b}/f{i}")
            })
            .collect();
        paths.sort_by(|a, b| crate::report::order::cmp(a, b));
        paths
            .into_iter()
            .map(|p| {
                // A record's text starts with its path, as serde writes a record.
                let json = format!(
                    r#"{{"path":{},"type":"text","findings":[]}}"#,
                    serde_json::json!(p)
                );
                (p, json)
            })
            .collect()
    }

    /// The document `report` writes of `recs`, given in that order, and the bytes of it kept
    /// as first written when files came late.
    fn document(
        mut report: JsonReport,
        recs: &[(String, String)],
        target: &Path,
    ) -> (Vec<u8>, Option<u64>) {
        for (p, json) in recs {
            let json = json.as_bytes().to_vec();
            let hash = record_hash(&json);
            report.file_json(p, json, hash).unwrap();
        }
        report
            .finish(&Summary::default(), "2026-12-02T00:00:00Z")
            .unwrap();
        (std::fs::read(target).unwrap(), report.kept)
    }

    #[test]
    fn a_streamed_report_is_the_sorted_one_whatever_order_its_files_come_in() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let dir = tempfile::tempdir().unwrap();
        let header = serde_json::json!({"schema_version": 1});
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let sorted = records(3000, &mut rng);
        let target = dir.path().join("sorted.json");
        let (expected, _) = document(
            JsonReport::new(Output::open(&target).unwrap(), &header).unwrap(),
            &sorted,
            &target,
        );
        // In order; each moved a few places (files read at once); a few very late (a file
        // read for long, a masked name); in any order at all.
        let mut near = sorted.clone();
        for w in near.chunks_mut(7) {
            w.shuffle(&mut rng);
        }
        let mut late = near.clone();
        for _ in 0..5 {
            let i = rng.gen_range(late.len() / 2..late.len() * 3 / 4);
            let r = late.remove(i);
            late.push(r);
        }
        let mut any = sorted.clone();
        any.shuffle(&mut rng);
        // A window of about 20 records.
        let window = 20 * (sorted[0].1.len() + 100);
        for (name, order) in [
            ("sorted", &sorted),
            ("near", &near),
            ("late", &late),
            ("any", &any),
        ] {
            let target = dir.path().join(format!("{name}.streamed.json"));
            let report =
                JsonReport::streamed_in(Output::open(&target).unwrap(), &header, window).unwrap();
            assert!(matches!(report.order, Some(Order::Streamed { .. })));
            let (got, kept) = document(report, order, &target);
            assert!(got == expected, "{name}: the streamed document differs");
            // Files that came late have the document written again only from before them.
            let whole = expected.len() as u64;
            match name {
                "sorted" | "near" => assert_eq!(kept, None, "{name}"),
                "late" => assert!(kept.is_some_and(|k| k > whole / 3 && k < whole), "{kept:?}"),
                _ => assert!(kept.is_some(), "{name}"),
            }
        }
        // Nothing is left beside the report, and a report to a FIFO or standard output is
        // sorted at its end.
        let mut left = names(dir.path());
        left.sort();
        assert!(left.iter().all(|n| !n.ends_with(".partial")), "{left:?}");
        let report = JsonReport::streamed_in(Output::stdout(), &header, window).unwrap();
        assert!(matches!(report.order, Some(Order::Sorted(_))));
    }
}
