//! SQLite reading kartlegg's own reader: a read-only VFS, and the few calls the extractor needs.
//!
//! SQLite normally opens a database by its path. That would mean a copy on disk for a member
//! of an archive (left behind if the scan is killed), a second open of a file on disk without
//! `O_NOATIME` (a changed access time), and in git modes the work-tree file instead of the
//! staged blob. So each database gets a VFS of its own, registered for as long as it is open,
//! whose one file is the input's reader: the descriptor kartlegg opened, the member in memory,
//! or the unlinked temporary file a large member was taken into. SQLite asks for pages by
//! offset; nothing else is opened (journals and WAL files are refused, temporary tables live
//! in memory) and nothing is written.
//!
//! SQLite's own allocations are C mallocs that no Rust allocator limit sees, so the process
//! sets SQLite's hard heap limit ([`HEAP_LIMIT`]) and every connection a small page cache and
//! a maximum value length: a hostile database gets `SQLITE_NOMEM`/`SQLITE_TOOBIG`, never the
//! machine's memory. A progress handler checks the file's time budget inside long steps.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{self, SeekFrom};
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use rusqlite::ffi;

use crate::extract::{Clock, ReadSeek};

/// Bytes SQLite may allocate in this process, for all databases being read at once.
pub(super) const HEAP_LIMIT: i64 = 64 << 20;
/// The longest value (or SQL statement) a connection may load; longer values are read by
/// their prefix through the blob API instead (see the extractor).
pub(super) const LENGTH_LIMIT: c_int = 16 << 20;
/// Page cache of one connection, in KiB.
const CACHE_KIB: u32 = 2048;
/// Virtual-machine steps between two checks of the time budget.
const PROGRESS_EVERY: c_int = 100_000;

/// Why a call failed, as the extractor needs to know it.
#[derive(Debug)]
pub(super) enum Failure {
    /// The reader failed (the error may carry a limit).
    Io(io::Error),
    /// The time budget ran out inside SQLite.
    Time,
    /// The heap limit or the value length limit was reached.
    Memory,
    /// Anything else: a damaged or unreadable database, an unknown module... (the result code).
    Sqlite(c_int),
}

/// What the VFS reads from, and what the extractor learns from it afterwards.
struct Source {
    reader: *mut (dyn ReadSeek + 'static),
    size: u64,
    /// The last error of the reader, for the record (SQLite only sees `SQLITE_IOERR`).
    error: Option<io::Error>,
    clock: Clock,
    timed_out: bool,
    /// Reads that ran past the end of the input (a truncated database: SQLite reads the
    /// missing part as zeros and says nothing).
    short_reads: u64,
    /// The process's default VFS, for time, sleep and randomness.
    default: *mut ffi::sqlite3_vfs,
}

impl Source {
    /// Fills `out` from `offset`; returns the bytes read (fewer only at the end).
    fn read_at(&mut self, out: &mut [u8], offset: u64) -> io::Result<usize> {
        // SAFETY: `reader` outlives the connection (see `Db`), and SQLite calls the VFS on the
        // thread that uses the connection, one call at a time.
        let reader = unsafe { &mut *self.reader };
        reader.seek(SeekFrom::Start(offset))?;
        let mut n = 0;
        while n < out.len() {
            match crate::read::read_some(reader, &mut out[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    }
}

/// The `sqlite3_file` of this VFS: SQLite allocates `szOsFile` bytes and we fill them in.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    source: *mut Source,
}

/// An open database over a reader. It borrows the reader for `'r` and closes the connection
/// (and unregisters its VFS) before that borrow ends.
pub(super) struct Db<'r> {
    raw: *mut ffi::sqlite3,
    vfs: *mut ffi::sqlite3_vfs,
    _name: CString,
    source: *mut Source,
    _reader: PhantomData<&'r mut dyn ReadSeek>,
}

/// Sets the process-wide heap limit, once.
fn init() {
    static INIT: Once = Once::new();
    // SAFETY: plain calls into SQLite's thread-safe configuration.
    INIT.call_once(|| unsafe {
        ffi::sqlite3_initialize();
        ffi::sqlite3_hard_heap_limit64(HEAP_LIMIT);
    });
}

impl<'r> Db<'r> {
    /// Opens the database the reader holds, read-only.
    pub(super) fn open(reader: &'r mut dyn ReadSeek, clock: Clock) -> Result<Db<'r>, Failure> {
        init();
        let size = reader.seek(SeekFrom::End(0)).map_err(Failure::Io)?;
        let reader: *mut (dyn ReadSeek + 'r) = reader;
        // SAFETY: only the lifetime is erased; `Db<'r>` holds the borrow and `Drop` closes the
        // connection, the only user of the pointer, before it ends.
        let reader: *mut (dyn ReadSeek + 'static) = unsafe { std::mem::transmute(reader) };
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let name = CString::new(format!(
            "kartlegg-{}",
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ))
        .expect("no NUL in the name");
        let source = Box::into_raw(Box::new(Source {
            reader,
            size,
            error: None,
            clock,
            timed_out: false,
            short_reads: 0,
            // SAFETY: a plain lookup of the default VFS.
            default: unsafe { ffi::sqlite3_vfs_find(ptr::null()) },
        }));
        let vfs = Box::into_raw(Box::new(vfs(&name, source)));
        let mut db = Db {
            raw: ptr::null_mut(),
            vfs,
            _name: name,
            source,
            _reader: PhantomData,
        };
        // SAFETY: `vfs` and the name it points to live until `Drop` unregisters it.
        let rc = unsafe { ffi::sqlite3_vfs_register(vfs, 0) };
        if rc != ffi::SQLITE_OK {
            // Not registered: `Drop` must not unregister it.
            db.vfs = ptr::null_mut();
            // SAFETY: made by `Box::into_raw` above and used by nobody else.
            drop(unsafe { Box::from_raw(vfs) });
            return Err(Failure::Sqlite(rc));
        }
        let flags =
            ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_NOMUTEX | ffi::SQLITE_OPEN_EXRESCODE;
        // SAFETY: valid C strings; `db.raw` receives the handle, closed by `Drop` even when
        // the open fails.
        let rc = unsafe {
            ffi::sqlite3_open_v2(db._name.as_ptr(), &mut db.raw, flags, db._name.as_ptr())
        };
        if rc != ffi::SQLITE_OK {
            return Err(db.failure(rc));
        }
        // SAFETY: an open handle; the progress argument is `source`, alive as long as `db`.
        unsafe {
            ffi::sqlite3_limit(db.raw, ffi::SQLITE_LIMIT_LENGTH, LENGTH_LIMIT);
            ffi::sqlite3_limit(db.raw, ffi::SQLITE_LIMIT_SQL_LENGTH, LENGTH_LIMIT);
            ffi::sqlite3_progress_handler(
                db.raw,
                PROGRESS_EVERY,
                Some(progress),
                source as *mut c_void,
            );
        }
        // `writable_schema` makes SQLite load a schema with a damaged entry instead of refusing
        // the whole database (nothing can be written: the VFS is read-only and the connection
        // query-only); the damaged table then fails alone.
        let setup = format!(
            "PRAGMA writable_schema = ON; PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
             PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;"
        );
        let setup = CString::new(setup).expect("no NUL");
        // SAFETY: an open handle and a valid statement string; no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(
                db.raw,
                setup.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(db.failure(rc));
        }
        Ok(db)
    }

    /// What a result code means, with what the VFS saw.
    pub(super) fn failure(&self, rc: c_int) -> Failure {
        // SAFETY: `source` lives as long as `self`; no SQLite call is running.
        let source = unsafe { &mut *self.source };
        match rc & 0xff {
            ffi::SQLITE_INTERRUPT if source.timed_out => Failure::Time,
            ffi::SQLITE_NOMEM | ffi::SQLITE_TOOBIG => Failure::Memory,
            ffi::SQLITE_IOERR => match source.error.take() {
                Some(e) => Failure::Io(e),
                None => Failure::Sqlite(rc),
            },
            _ => Failure::Sqlite(rc),
        }
    }

    /// SQLite's generic text for a result code (it never quotes the database).
    pub(super) fn describe(rc: c_int) -> String {
        // SAFETY: `sqlite3_errstr` returns a static NUL-terminated string for any code.
        unsafe { CStr::from_ptr(ffi::sqlite3_errstr(rc)) }
            .to_string_lossy()
            .into_owned()
    }

    /// Whether SQLite asked for bytes past the end of the input: the database is truncated.
    pub(super) fn truncated(&self) -> bool {
        // SAFETY: `source` lives as long as `self`; no SQLite call is running.
        unsafe { (*self.source).short_reads > 0 }
    }

    /// Compiles one statement (the text as bytes: names in it need not be UTF-8).
    pub(super) fn prepare(&self, sql: &[u8]) -> Result<Stmt<'_>, Failure> {
        let mut raw = ptr::null_mut();
        let len = c_int::try_from(sql.len()).map_err(|_| Failure::Memory)?;
        // SAFETY: an open handle; SQLite reads `len` bytes of `sql`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.raw,
                sql.as_ptr().cast(),
                len,
                &mut raw,
                ptr::null_mut(),
            )
        };
        let stmt = Stmt {
            raw,
            _db: PhantomData,
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.failure(rc));
        }
        if raw.is_null() {
            // An empty statement.
            return Err(Failure::Sqlite(ffi::SQLITE_MISUSE));
        }
        Ok(stmt)
    }

    /// Reads up to `max` bytes of the value in `table.column` of row `rowid` into `buf`
    /// through the incremental blob API, which never loads the whole value. Returns the
    /// value's full length.
    pub(super) fn read_prefix(
        &self,
        table: &CStr,
        column: &CStr,
        rowid: i64,
        max: usize,
        buf: &mut Vec<u8>,
    ) -> Result<usize, Failure> {
        let mut blob = ptr::null_mut();
        // SAFETY: an open handle and valid C strings; `blob` is closed below.
        let rc = unsafe {
            ffi::sqlite3_blob_open(
                self.raw,
                c"main".as_ptr(),
                table.as_ptr(),
                column.as_ptr(),
                rowid,
                0,
                &mut blob,
            )
        };
        if rc != ffi::SQLITE_OK {
            // SAFETY: closing a null or half-opened handle is allowed.
            unsafe { ffi::sqlite3_blob_close(blob) };
            return Err(self.failure(rc));
        }
        // SAFETY: an open blob handle.
        let total = unsafe { ffi::sqlite3_blob_bytes(blob) }.max(0) as usize;
        let n = total.min(max);
        buf.clear();
        buf.resize(n, 0);
        // SAFETY: `buf` has `n` bytes; `n` is within the blob.
        let rc = unsafe { ffi::sqlite3_blob_read(blob, buf.as_mut_ptr().cast(), n as c_int, 0) };
        // SAFETY: an open blob handle, closed once.
        unsafe { ffi::sqlite3_blob_close(blob) };
        if rc != ffi::SQLITE_OK {
            return Err(self.failure(rc));
        }
        Ok(total)
    }
}

impl Drop for Db<'_> {
    fn drop(&mut self) {
        // SAFETY: every statement borrows `self` and is finalized by now; the VFS is
        // unregistered after its last user, the connection, is closed; both boxes were made by
        // `Box::into_raw` in `open`.
        unsafe {
            ffi::sqlite3_close(self.raw);
            if !self.vfs.is_null() {
                ffi::sqlite3_vfs_unregister(self.vfs);
                drop(Box::from_raw(self.vfs));
            }
            drop(Box::from_raw(self.source));
        }
    }
}

/// A value of the current row, valid until the next step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'s> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'s [u8]),
    Blob(&'s [u8]),
}

/// A prepared statement of a [`Db`].
pub(super) struct Stmt<'d> {
    raw: *mut ffi::sqlite3_stmt,
    _db: PhantomData<&'d ()>,
}

impl Stmt<'_> {
    /// Steps to the next row: `Ok(true)` with a row, `Ok(false)` when done; the error is the
    /// result code (see [`Db::failure`]).
    pub(super) fn step(&mut self) -> Result<bool, c_int> {
        // SAFETY: a prepared statement.
        match unsafe { ffi::sqlite3_step(self.raw) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            rc => Err(rc),
        }
    }

    pub(super) fn column_count(&self) -> usize {
        // SAFETY: a prepared statement.
        unsafe { ffi::sqlite3_column_count(self.raw) }.max(0) as usize
    }

    /// A result column's name as SQLite stores it (not necessarily UTF-8), if it has one.
    pub(super) fn column_name(&self, i: usize) -> Option<&[u8]> {
        // SAFETY: a prepared statement; the name lives as long as the statement.
        let p = unsafe { ffi::sqlite3_column_name(self.raw, i as c_int) };
        // SAFETY: non-null names are NUL-terminated.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
    }

    /// Column `i` of the current row.
    pub(super) fn value(&self, i: usize) -> Value<'_> {
        let i = i as c_int;
        // SAFETY: a statement on a row; text and blob pointers are valid for the byte count
        // SQLite gives (asked for after the pointer, as its documentation requires) until the
        // next step, which needs `&mut self`.
        unsafe {
            match ffi::sqlite3_column_type(self.raw, i) {
                ffi::SQLITE_INTEGER => Value::Integer(ffi::sqlite3_column_int64(self.raw, i)),
                ffi::SQLITE_FLOAT => Value::Real(ffi::sqlite3_column_double(self.raw, i)),
                ffi::SQLITE_TEXT => {
                    let p = ffi::sqlite3_column_text(self.raw, i);
                    let n = ffi::sqlite3_column_bytes(self.raw, i).max(0) as usize;
                    if p.is_null() {
                        Value::Null
                    } else {
                        Value::Text(std::slice::from_raw_parts(p, n))
                    }
                }
                ffi::SQLITE_BLOB => {
                    let p = ffi::sqlite3_column_blob(self.raw, i).cast::<u8>();
                    let n = ffi::sqlite3_column_bytes(self.raw, i).max(0) as usize;
                    if p.is_null() {
                        Value::Blob(&[])
                    } else {
                        Value::Blob(std::slice::from_raw_parts(p, n))
                    }
                }
                _ => Value::Null,
            }
        }
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once; finalizing null is a no-op.
        unsafe { ffi::sqlite3_finalize(self.raw) };
    }
}

// ------------------------------------------------------------------------------------------
// The VFS: one file (the main database), read-only.

/// The VFS of one database, named `name`, reading `source`.
fn vfs(name: &CStr, source: *mut Source) -> ffi::sqlite3_vfs {
    ffi::sqlite3_vfs {
        iVersion: 2,
        szOsFile: std::mem::size_of::<File>() as c_int,
        mxPathname: 512,
        pNext: ptr::null_mut(),
        zName: name.as_ptr(),
        pAppData: source.cast(),
        xOpen: Some(x_open),
        xDelete: Some(x_delete),
        xAccess: Some(x_access),
        xFullPathname: Some(x_full_pathname),
        xDlOpen: Some(x_dl_open),
        xDlError: Some(x_dl_error),
        xDlSym: Some(x_dl_sym),
        xDlClose: Some(x_dl_close),
        xRandomness: Some(x_randomness),
        xSleep: Some(x_sleep),
        xCurrentTime: Some(x_current_time),
        xGetLastError: Some(x_get_last_error),
        xCurrentTimeInt64: Some(x_current_time_int64),
        xSetSystemCall: None,
        xGetSystemCall: None,
        xNextSystemCall: None,
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_lock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The source behind a VFS.
///
/// # Safety
/// `vfs` must be one made by [`vfs`], registered by a live [`Db`].
unsafe fn source_of<'a>(vfs: *mut ffi::sqlite3_vfs) -> &'a mut Source {
    // SAFETY: per the contract, `pAppData` is the live `Source` of that `Db`.
    unsafe { &mut *(*vfs).pAppData.cast::<Source>() }
}

/// Opens the main database only: a journal, WAL or temporary file is refused (nothing beside
/// the input is ever opened, so nothing can be written or left behind).
unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    _name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let file = file.cast::<File>();
    // SAFETY: SQLite hands `szOsFile` writable bytes; `pMethods` must be null on failure.
    unsafe {
        (*file).base.pMethods = ptr::null();
        if flags & ffi::SQLITE_OPEN_MAIN_DB == 0 {
            return ffi::SQLITE_CANTOPEN;
        }
        (*file).source = std::ptr::from_mut(source_of(vfs));
        (*file).base.pMethods = &METHODS;
        if !out_flags.is_null() {
            *out_flags = ffi::SQLITE_OPEN_READONLY | ffi::SQLITE_OPEN_MAIN_DB;
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_delete(_: *mut ffi::sqlite3_vfs, _: *const c_char, _: c_int) -> c_int {
    ffi::SQLITE_IOERR_DELETE
}

/// No other file exists (so SQLite looks for no journal or WAL).
unsafe extern "C" fn x_access(
    _: *mut ffi::sqlite3_vfs,
    _: *const c_char,
    _: c_int,
    out: *mut c_int,
) -> c_int {
    // SAFETY: SQLite passes a writable int.
    unsafe { *out = 0 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_full_pathname(
    _: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    // SAFETY: `name` is NUL-terminated and `out` has `n` bytes.
    unsafe {
        let name = CStr::from_ptr(name).to_bytes_with_nul();
        if name.len() > n.max(0) as usize {
            return ffi::SQLITE_CANTOPEN;
        }
        ptr::copy_nonoverlapping(name.as_ptr().cast(), out, name.len());
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_dl_open(_: *mut ffi::sqlite3_vfs, _: *const c_char) -> *mut c_void {
    ptr::null_mut()
}

unsafe extern "C" fn x_dl_error(_: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) {
    if n > 0 {
        // SAFETY: `out` has `n` bytes.
        unsafe { *out = 0 };
    }
}

#[allow(clippy::type_complexity)]
unsafe extern "C" fn x_dl_sym(
    _: *mut ffi::sqlite3_vfs,
    _: *mut c_void,
    _: *const c_char,
) -> Option<unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char)> {
    None
}

unsafe extern "C" fn x_dl_close(_: *mut ffi::sqlite3_vfs, _: *mut c_void) {}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    // SAFETY: delegated to the default VFS with SQLite's own arguments.
    unsafe {
        let d = source_of(vfs).default;
        match (*d).xRandomness {
            Some(f) => f(d, n, out),
            None => 0,
        }
    }
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, us: c_int) -> c_int {
    // SAFETY: as above.
    unsafe {
        let d = source_of(vfs).default;
        match (*d).xSleep {
            Some(f) => f(d, us),
            None => 0,
        }
    }
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    // SAFETY: as above.
    unsafe {
        let d = source_of(vfs).default;
        match (*d).xCurrentTime {
            Some(f) => f(d, out),
            None => ffi::SQLITE_ERROR,
        }
    }
}

unsafe extern "C" fn x_current_time_int64(vfs: *mut ffi::sqlite3_vfs, out: *mut i64) -> c_int {
    // SAFETY: as above; the default VFS of a Unix build is of version 3.
    unsafe {
        let d = source_of(vfs).default;
        match (*d).xCurrentTimeInt64 {
            Some(f) if (*d).iVersion >= 2 => f(d, out),
            _ => ffi::SQLITE_ERROR,
        }
    }
}

unsafe extern "C" fn x_get_last_error(_: *mut ffi::sqlite3_vfs, _: c_int, _: *mut c_char) -> c_int {
    0
}

/// The source of an open file.
///
/// # Safety
/// `file` must have been opened by [`x_open`] of a live [`Db`].
unsafe fn file_source<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Source {
    // SAFETY: per the contract.
    unsafe { &mut *(*file.cast::<File>()).source }
}

unsafe extern "C" fn x_close(_: *mut ffi::sqlite3_file) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: an open file; SQLite hands `amt` writable bytes.
    let (source, out) = unsafe {
        (
            file_source(file),
            std::slice::from_raw_parts_mut(buf.cast::<u8>(), amt.max(0) as usize),
        )
    };
    let Ok(offset) = u64::try_from(offset) else {
        return ffi::SQLITE_IOERR_READ;
    };
    // A panic must not unwind into C.
    let read =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| source.read_at(out, offset)));
    match read {
        Ok(Ok(n)) if n == out.len() => ffi::SQLITE_OK,
        Ok(Ok(n)) => {
            // SQLite requires the rest of a short read to be zeros.
            out[n..].fill(0);
            source.short_reads += 1;
            ffi::SQLITE_IOERR_SHORT_READ
        }
        Ok(Err(e)) => {
            source.error = Some(e);
            ffi::SQLITE_IOERR_READ
        }
        Err(_) => {
            source.error = Some(io::Error::other("the reader panicked"));
            ffi::SQLITE_IOERR_READ
        }
    }
}

unsafe extern "C" fn x_write(
    _: *mut ffi::sqlite3_file,
    _: *const c_void,
    _: c_int,
    _: i64,
) -> c_int {
    ffi::SQLITE_READONLY
}

unsafe extern "C" fn x_truncate(_: *mut ffi::sqlite3_file, _: i64) -> c_int {
    ffi::SQLITE_READONLY
}

unsafe extern "C" fn x_sync(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    // SAFETY: an open file and a writable int.
    unsafe { *out = file_source(file).size.min(i64::MAX as u64) as i64 };
    ffi::SQLITE_OK
}

/// Nothing else writes this input while it is read: locks always succeed.
unsafe extern "C" fn x_lock(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_check_reserved_lock(_: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    // SAFETY: a writable int.
    unsafe { *out = 0 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_control(_: *mut ffi::sqlite3_file, _: c_int, _: *mut c_void) -> c_int {
    ffi::SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(_: *mut ffi::sqlite3_file) -> c_int {
    4096
}

/// Immutable: SQLite then takes no locks, looks for no hot journal and opens no WAL.
unsafe extern "C" fn x_device_characteristics(_: *mut ffi::sqlite3_file) -> c_int {
    ffi::SQLITE_IOCAP_IMMUTABLE
}

/// Interrupts a statement once the file's time budget is spent.
unsafe extern "C" fn progress(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Source` of the connection running this handler.
    let source = unsafe { &mut *arg.cast::<Source>() };
    if source.clock.check().is_err() {
        source.timed_out = true;
        return 1;
    }
    0
}
