//! Memory and progress shared between the scan and its worker processes.
//!
//! The scan maps one small page of shared memory (a `memfd`, inherited by each worker) holding
//! a slot per worker: the job it is on and since when, whether it is blocked in a read or an
//! open and since when, and the heap bytes it holds. Workers write their slot with plain
//! atomic stores — no system call per file — and the scan's watchdog reads every slot.
//!
//! # The memory budget
//! Every allocation of a worker goes through [`Counting`], which adds it to the worker's slot
//! and to the total. All workers together may hold `--max-memory` bytes of heap; each has a
//! fair share of it, and may go beyond its share while the others leave room. When the total
//! is over the budget, the worker that allocates while over its own share ends itself with
//! [`EXIT_MEMORY`]: the scan records its file as `limit_exceeded`/`memory` — after giving it
//! one more try alone, with the whole budget, while the other workers wait. So a hostile file
//! cannot take the machine, a large legitimate one still gets the whole budget, and no other
//! file is lost. Allocation failures of the allocator end the worker the same way.
//!
//! # The allocator
//! mimalloc, in every process: a rescan decodes stored records in one thread and frees them in
//! another, which with glibc's malloc made threads wait on each other's arena locks (a quarter
//! of a rescan's CPU time). Built without transparent huge pages (`no_thp`): with them each
//! purged span came back as a fresh 2 MiB page for the kernel to clear, and peak memory rose
//! by a third. [`Counting`] calls mimalloc's plain `mi_malloc` where the alignment asked for
//! is one every block has: `mimalloc::MiMalloc` asks for aligned memory every time, and
//! mimalloc 3 serves an aligned request above 1 KiB whose size class is not a power of two by
//! over-allocating, about 1,000 instructions a request (4.7 % of a small text file's
//! instructions, for its head's buffer and its record's text; served plainly, 2.2 % less).

use std::alloc::{GlobalAlloc, Layout};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// The exit code of a worker that went over the memory budget.
pub const EXIT_MEMORY: i32 = 86;

/// Workers one scan can have at once (threads are capped at 32; replacements reuse slots).
pub const MAX_SLOTS: usize = 64;

/// One worker's slot.
#[repr(C)]
pub struct Slot {
    /// The job being processed; 0 when idle.
    pub job: AtomicU64,
    /// When the job started (monotonic milliseconds).
    pub started: AtomicU64,
    /// When the read or open the worker is blocked in began (monotonic milliseconds); 0 when
    /// it is not in one.
    pub blocked_since: AtomicU64,
    /// Heap bytes the worker holds.
    pub heap: AtomicI64,
}

/// The shared page.
#[repr(C)]
pub struct Shared {
    /// Heap bytes all workers together may hold.
    pub budget: AtomicI64,
    /// Workers running (for the fair share).
    pub workers: AtomicU32,
    /// 1 + the slot of a worker that runs alone with the whole budget; 0 if none.
    pub solo: AtomicU32,
    pub total: AtomicI64,
    pub slots: [Slot; MAX_SLOTS],
}

impl Shared {
    /// What slot `i` may hold while the total is over the budget.
    fn share(&self, i: usize) -> i64 {
        let budget = self.budget.load(Ordering::Relaxed);
        if self.solo.load(Ordering::Relaxed) as usize == i + 1 {
            return budget;
        }
        budget / i64::from(self.workers.load(Ordering::Relaxed).max(1))
    }

    /// Clears a slot for a new worker, taking what an old one held off the total.
    pub fn reset(&self, i: usize) {
        let s = &self.slots[i];
        s.job.store(0, Ordering::Relaxed);
        s.started.store(0, Ordering::Relaxed);
        s.blocked_since.store(0, Ordering::Relaxed);
        let held = s.heap.swap(0, Ordering::Relaxed);
        self.total.fetch_sub(held, Ordering::Relaxed);
    }
}

/// The shared page, mapped. The scan creates it; a worker maps the one it inherited.
pub struct SharedMap {
    ptr: *mut Shared,
    fd: OwnedFd,
}

// SAFETY: the page holds only atomics.
unsafe impl Send for SharedMap {}
// SAFETY: the page holds only atomics.
unsafe impl Sync for SharedMap {}

impl SharedMap {
    /// A new zeroed page, to be inherited by workers (its descriptor is not close-on-exec).
    pub fn create(budget: u64, workers: u32) -> io::Result<SharedMap> {
        // SAFETY: a NUL-terminated name and no flags (the fd must survive exec).
        let fd = unsafe { libc::memfd_create(c"kartlegg-shared".as_ptr(), 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let size = std::mem::size_of::<Shared>() as libc::off_t;
        // SAFETY: a valid descriptor and size.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let map = Self::map(fd)?;
        map.get()
            .budget
            .store(budget.min(i64::MAX as u64) as i64, Ordering::Relaxed);
        map.get().workers.store(workers, Ordering::Relaxed);
        Ok(map)
    }

    /// Maps the page inherited as descriptor `fd` (in a worker).
    pub fn open(fd: RawFd) -> io::Result<SharedMap> {
        // SAFETY: the scan passed this descriptor to us and nothing else owns it here.
        Self::map(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    fn map(fd: OwnedFd) -> io::Result<SharedMap> {
        // SAFETY: maps the whole object shared, read-write; checked for failure below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                std::mem::size_of::<Shared>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(SharedMap {
            ptr: ptr.cast(),
            fd,
        })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn get(&self) -> &Shared {
        // SAFETY: mapped for the life of `self`; all fields are atomics.
        unsafe { &*self.ptr }
    }

    /// Makes this process a worker in `slot`: from now on its allocations count against the
    /// budget. The mapping must live as long as the process, so it is leaked.
    pub fn account_as(self, slot: usize) {
        SLOT.store(slot, Ordering::Relaxed);
        ACCOUNT.store(self.ptr, Ordering::Release);
        // SAFETY: the mapping is leaked below, so the slot lives as long as the process.
        let shared: &'static Shared = unsafe { &*self.ptr };
        crate::read::watch_blocking(&shared.slots[slot].blocked_since, now_ms);
        std::mem::forget(self);
    }
}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: unmaps what `map` mapped.
        unsafe { libc::munmap(self.ptr.cast(), std::mem::size_of::<Shared>()) };
    }
}

pub use crate::read::now_ms;

static ACCOUNT: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());
static SLOT: AtomicUsize = AtomicUsize::new(0);

/// This process's slot, if it is a worker.
pub fn my_slot() -> Option<&'static Slot> {
    let p = ACCOUNT.load(Ordering::Acquire);
    // SAFETY: set once by `account_as` to a mapping that is never unmapped.
    (!p.is_null()).then(|| unsafe { &(*p).slots[SLOT.load(Ordering::Relaxed)] })
}

/// Ends the worker: over the budget. Writes with `write(2)` and exits with `_exit`, because
/// the allocator is the caller and must not allocate again.
fn out_of_budget() -> ! {
    const MSG: &[u8] =
        b"kartlegg worker: over the memory budget; the file is recorded as limit_exceeded/memory\n";
    // SAFETY: writes a static buffer to stderr, then ends the process without unwinding.
    unsafe {
        libc::write(2, MSG.as_ptr().cast(), MSG.len());
        libc::_exit(EXIT_MEMORY)
    }
}

/// Bytes a thread allocates or frees before it adds them to the shared counts. Every worker
/// adds to one shared total: a locked add on a line all workers write, at every allocation,
/// was a twentieth of a small file's work. In steps the counts lag by at most this much per
/// thread, which the budget (tens of MiB) does not notice; a larger allocation is counted,
/// and checked against the budget, at once.
const STEP: i64 = 32 << 10;

thread_local! {
    /// This thread's bytes not yet in the shared counts.
    static PENDING: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

#[inline]
fn account(delta: i64) {
    let p = ACCOUNT.load(Ordering::Relaxed);
    if p.is_null() {
        return;
    }
    // A thread being torn down has no pending count left: its bytes are counted directly.
    let delta = PENDING
        .try_with(|pending| {
            let sum = pending.get() + delta;
            if sum.abs() < STEP {
                pending.set(sum);
                0
            } else {
                pending.set(0);
                sum
            }
        })
        .unwrap_or(delta);
    if delta == 0 {
        return;
    }
    // SAFETY: set once by `account_as` to a mapping that is never unmapped.
    let shared = unsafe { &*p };
    let i = SLOT.load(Ordering::Relaxed);
    let mine = shared.slots[i].heap.fetch_add(delta, Ordering::Relaxed) + delta;
    let total = shared.total.fetch_add(delta, Ordering::Relaxed) + delta;
    if delta > 0 && total > shared.budget.load(Ordering::Relaxed) && mine > shared.share(i) {
        out_of_budget();
    }
}

/// mimalloc, counting every byte of a worker against the shared budget (see the
/// module docs). In a process that is not a worker it only forwards.
pub struct Counting;

/// Every mimalloc block of 16 bytes or more is aligned to 16 bytes, and a smaller one to its
/// size class, a multiple of 8 (as the C library's `malloc` is).
const PLAIN_ALIGN: usize = 16;

/// A request `mi_malloc` serves as asked (as `std::alloc::System` decides for `malloc`).
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: forwards to mimalloc: `mi_malloc`, `mi_zalloc` and `mi_realloc` only for an alignment
// every block of that size has ([`plain`]), `MiMalloc`'s aligned calls otherwise; `mi_free`
// frees either. The accounting touches only atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe {
            if plain(layout.align(), layout.size()) {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        };
        self.after_alloc(p, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe {
            if plain(layout.align(), layout.size()) {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        };
        self.after_alloc(p, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        account(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract is passed on.
        let p = unsafe {
            if plain(layout.align(), new_size) {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mimalloc::MiMalloc.realloc(ptr, layout, new_size)
            }
        };
        if p.is_null() {
            if !ACCOUNT.load(Ordering::Relaxed).is_null() {
                out_of_budget();
            }
            return p;
        }
        account(new_size as i64 - layout.size() as i64);
        p
    }
}

impl Counting {
    #[inline]
    fn after_alloc(&self, p: *mut u8, size: usize) -> *mut u8 {
        if p.is_null() {
            if !ACCOUNT.load(Ordering::Relaxed).is_null() {
                out_of_budget();
            }
            return p;
        }
        account(size as i64);
        p
    }
}
