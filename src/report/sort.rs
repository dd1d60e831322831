//! Sorting records in bounded memory, however many there are.
//!
//! Entries — a sort key and the bytes to write — are held in memory up to a budget, then
//! sorted and written as a run to an unlinked temporary file (`tempfile::tempfile()`:
//! `O_TMPFILE` where the file system has it; it has no name and vanishes on any exit, a kill
//! included). The runs are merged
//! k ways at the end; beyond [`FAN_IN`] runs, the oldest are merged into one first, so the
//! open files and read buffers stay bounded too. The runs hold what the report holds (masked
//! records), on the disk of `$TMPDIR`, about the size of the report.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// Bytes of entries held in memory before a run is written.
pub(crate) const DEFAULT_BUDGET: usize = 32 << 20;

/// Runs merged at once; more are merged in steps.
pub(crate) const FAN_IN: usize = 64;

/// The read buffer of each run being merged.
const RUN_BUF: usize = 64 << 10;

/// An entry as the sorter gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub key: &'a [u8],
    pub data: &'a [u8],
}

/// What receives the sorted entries.
pub(crate) type Visit<'v> = dyn FnMut(Entry<'_>) -> io::Result<()> + 'v;

/// One entry in memory: where its key and data are in the arena.
#[derive(Clone, Copy)]
struct Slot {
    at: usize,
    key: u32,
    data: u32,
}

/// Sorts entries by (key, data).
pub(crate) struct Sorter {
    budget: usize,
    arena: Vec<u8>,
    slots: Vec<Slot>,
    runs: Vec<File>,
}

/// An entry held whole: read back from a run, held in a [`Stream`], or a record line of
/// `kartlegg merge`. Ordered as the sorter orders entries, then by the run it came from.
#[derive(PartialEq, Eq)]
pub(crate) struct Head {
    pub key: Vec<u8>,
    pub data: Vec<u8>,
    /// The run it was read from, or the input (`kartlegg merge`'s lines); 0 where there are
    /// none.
    pub run: usize,
}

impl Ord for Head {
    fn cmp(&self, o: &Head) -> Ordering {
        (&self.key, &self.data, self.run).cmp(&(&o.key, &o.data, o.run))
    }
}

impl Head {
    pub(crate) fn entry(&self) -> Entry<'_> {
        Entry {
            key: &self.key,
            data: &self.data,
        }
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Head) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

fn too_large() -> io::Error {
    io::Error::other("a record of 4 GiB or more cannot be sorted")
}

fn write_entry(w: &mut impl Write, key: &[u8], data: &[u8]) -> io::Result<()> {
    let key_len = u32::try_from(key.len()).map_err(|_| too_large())?;
    let data_len = u32::try_from(data.len()).map_err(|_| too_large())?;
    w.write_all(&key_len.to_le_bytes())?;
    w.write_all(&data_len.to_le_bytes())?;
    w.write_all(key)?;
    w.write_all(data)
}

/// The next entry of a run; `None` at its end.
fn read_entry(r: &mut impl Read, run: usize) -> io::Result<Option<Head>> {
    let mut head = [0u8; 8];
    match r.read_exact(&mut head) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let n = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().expect("4 bytes"));
    let mut key = vec![0; n(0) as usize];
    r.read_exact(&mut key)?;
    let mut data = vec![0; n(4) as usize];
    r.read_exact(&mut data)?;
    Ok(Some(Head { key, data, run }))
}

/// Merges `runs` in order, giving each entry to `out`.
fn merge(runs: Vec<File>, out: &mut Visit<'_>) -> io::Result<()> {
    let mut readers: Vec<BufReader<File>> = runs
        .into_iter()
        .map(|f| BufReader::with_capacity(RUN_BUF, f))
        .collect();
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(h) = read_entry(r, i)? {
            heap.push(Reverse(h));
        }
    }
    while let Some(Reverse(h)) = heap.pop() {
        out(h.entry())?;
        if let Some(next) = read_entry(&mut readers[h.run], h.run)? {
            heap.push(Reverse(next));
        }
    }
    Ok(())
}

/// A new run: an unlinked temporary file, written through `fill`, ready to be read.
fn new_run(fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<File> {
    let mut w = BufWriter::with_capacity(RUN_BUF, tempfile::tempfile()?);
    fill(&mut w)?;
    let mut f = w.into_inner().map_err(|e| e.into_error())?;
    f.rewind()?;
    Ok(f)
}

impl Sorter {
    pub(crate) fn new(budget: usize) -> Sorter {
        Sorter {
            budget: budget.max(1),
            arena: Vec::new(),
            slots: Vec::new(),
            runs: Vec::new(),
        }
    }

    fn held(&self) -> usize {
        self.arena.len() + self.slots.len() * std::mem::size_of::<Slot>()
    }

    pub(crate) fn push(&mut self, key: &[u8], data: &[u8]) -> io::Result<()> {
        let size = key.len() + data.len() + std::mem::size_of::<Slot>();
        if !self.slots.is_empty() && self.held() + size > self.budget {
            self.spill()?;
        }
        if self.arena.capacity() == 0 {
            // Reserved once: the arena never grows by copying itself.
            self.arena.reserve_exact(self.budget.max(size));
        }
        let slot = Slot {
            at: self.arena.len(),
            key: u32::try_from(key.len()).map_err(|_| too_large())?,
            data: u32::try_from(data.len()).map_err(|_| too_large())?,
        };
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(data);
        self.slots.push(slot);
        Ok(())
    }

    fn parts(&self, s: &Slot) -> (&[u8], &[u8]) {
        let key_end = s.at + s.key as usize;
        (
            &self.arena[s.at..key_end],
            &self.arena[key_end..key_end + s.data as usize],
        )
    }

    fn sort_memory(&mut self) {
        let mut slots = std::mem::take(&mut self.slots);
        slots.sort_unstable_by(|a, b| {
            let (ka, da) = self.parts(a);
            let (kb, db) = self.parts(b);
            (ka, da).cmp(&(kb, db))
        });
        self.slots = slots;
    }

    /// Writes what is in memory as a sorted run; merges the oldest runs beyond [`FAN_IN`].
    fn spill(&mut self) -> io::Result<()> {
        self.sort_memory();
        let run = new_run(|w| {
            for s in &self.slots {
                let (k, d) = self.parts(s);
                write_entry(w, k, d)?;
            }
            Ok(())
        })?;
        self.runs.push(run);
        self.slots.clear();
        self.arena.clear();
        if self.runs.len() >= FAN_IN {
            let oldest: Vec<File> = self.runs.drain(..FAN_IN).collect();
            let merged = new_run(|w| merge(oldest, &mut |e| write_entry(w, e.key, e.data)))?;
            self.runs.insert(0, merged);
        }
        Ok(())
    }

    /// Gives every entry to `out`, in order.
    pub(crate) fn finish(mut self, out: &mut Visit<'_>) -> io::Result<()> {
        if self.runs.is_empty() {
            self.sort_memory();
            for s in &self.slots {
                let (key, data) = self.parts(s);
                out(Entry { key, data })?;
            }
            return Ok(());
        }
        if !self.slots.is_empty() {
            self.spill()?;
        }
        // Memory of the arena is not needed while merging.
        self.arena = Vec::new();
        merge(std::mem::take(&mut self.runs), out)
    }
}

/// Runs of entries in order a [`Stream`] keeps, at most (see [`Stream::push`]).
const RUNS: usize = 4;

/// Bytes of entries a [`Stream`] holds back before it hands the least on.
pub(crate) const STREAM_WINDOW: usize = 8 << 20;

/// Entries that arrive nearly in order, handed on in order as they come. A scan's records
/// do: the walk visits files in the report's order, and only the files being read at once
/// finish out of it. The stream holds back a window of entries and hands on the least
/// whenever the window is full, so a report is written while the scan runs, not sorted
/// after it. An entry less than one already handed on (a file read for longer than the
/// window took to fill, names masked out of order) is kept aside, in a [`Sorter`], for the
/// caller to merge with what was handed on ([`Stream::finish`]).
pub(crate) struct Stream {
    window: usize,
    held: usize,
    /// Entries that came in order, each at least the one before in its run: nearly all of
    /// them. Records come from a few threads at once, each thread's in order, so a few runs
    /// take them; holding and handing one on costs a comparison per run, where the heap
    /// costs a path of them.
    runs: Vec<VecDeque<Head>>,
    /// The others held back.
    heap: BinaryHeap<Reverse<Head>>,
    /// The last entry handed on: every entry held back is at least it.
    last: Option<Head>,
    late: Option<Sorter>,
    /// The least key of those kept aside.
    least_late: Option<Vec<u8>>,
}

/// The memory an entry holds: its buffers are taken as they came, spare room included.
fn size(h: &Head) -> usize {
    h.key.capacity() + h.data.capacity() + std::mem::size_of::<Head>()
}

impl Stream {
    pub(crate) fn new(window: usize) -> Stream {
        Stream {
            window,
            held: 0,
            runs: Vec::new(),
            heap: BinaryHeap::new(),
            last: None,
            late: None,
            least_late: None,
        }
    }

    /// Takes an entry; hands on to `out` what the window no longer holds.
    pub(crate) fn push(
        &mut self,
        key: Vec<u8>,
        data: Vec<u8>,
        out: &mut Visit<'_>,
    ) -> io::Result<()> {
        let h = Head { key, data, run: 0 };
        if self.last.as_ref().is_some_and(|last| h < *last) {
            let late = self.late.get_or_insert_with(|| Sorter::new(DEFAULT_BUDGET));
            late.push(&h.key, &h.data)?;
            if self
                .least_late
                .as_deref()
                .is_none_or(|least| *h.key < *least)
            {
                self.least_late = Some(h.key);
            }
            return Ok(());
        }
        self.held += size(&h);
        let run = self
            .runs
            .iter()
            .position(|r| r.back().is_none_or(|b| *b <= h));
        match run {
            Some(i) => self.runs[i].push_back(h),
            None if self.runs.len() < RUNS => self.runs.push(VecDeque::from([h])),
            None => self.heap.push(Reverse(h)),
        }
        while self.held > self.window {
            let Some(least) = self.pop() else {
                break;
            };
            self.held -= size(&least);
            out(least.entry())?;
            self.last = Some(least);
        }
        Ok(())
    }

    /// The least entry held back.
    fn pop(&mut self) -> Option<Head> {
        let least_run = (0..self.runs.len())
            .filter(|&i| !self.runs[i].is_empty())
            .min_by(|&a, &b| self.runs[a][0].cmp(&self.runs[b][0]));
        let from_run = match (least_run, self.heap.peek()) {
            (Some(i), Some(Reverse(h))) => self.runs[i][0] <= *h,
            (r, _) => r.is_some(),
        };
        match least_run {
            Some(i) if from_run => self.runs[i].pop_front(),
            _ => self.heap.pop().map(|Reverse(h)| h),
        }
    }

    /// Hands on the entries held back, in order, if every entry came in time; otherwise hands
    /// on nothing and returns every entry not yet handed on, sorted, for the caller to merge
    /// with those that were, and the least key of those that came late (what was handed on
    /// before an entry of a lesser key needs no merging).
    pub(crate) fn finish(mut self, out: &mut Visit<'_>) -> io::Result<Option<(Sorter, Vec<u8>)>> {
        match self.late.take() {
            None => {
                while let Some(h) = self.pop() {
                    out(h.entry())?;
                }
                Ok(None)
            }
            Some(mut late) => {
                let held = self.heap.into_iter().map(|Reverse(h)| h);
                for h in self.runs.into_iter().flatten().chain(held) {
                    late.push(&h.key, &h.data)?;
                }
                Ok(Some((late, self.least_late.unwrap_or_default())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn sorted_by(budget: usize, items: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut s = Sorter::new(budget);
        for (k, d) in items {
            s.push(k, d).unwrap();
        }
        let mut out = Vec::new();
        s.finish(&mut |e| {
            out.push((e.key.to_vec(), e.data.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn in_memory_and_through_many_runs_the_order_is_the_same() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let items: Vec<(Vec<u8>, Vec<u8>)> = (0..20_000)
            .map(|_| {
                let key: Vec<u8> = (0..rng.gen_range(0..6))
                    .map(|_| rng.gen_range(0..4))
                    .collect();
                let data: Vec<u8> = (0..rng.gen_range(0..40)).map(|_| rng.gen()).collect();
                (key, data)
            })
            .collect();
        let mut expected = items.clone();
        expected.sort();
        assert_eq!(sorted_by(64 << 20, &items), expected, "in memory");
        // A budget of about 100 entries: ~200 runs, merged in steps of FAN_IN.
        assert_eq!(sorted_by(100 * 50, &items), expected, "through runs");
        // An entry larger than the budget is a run of its own.
        let big = vec![(b"b".to_vec(), vec![7; 10_000]), (b"a".to_vec(), vec![1])];
        assert_eq!(sorted_by(100, &big), vec![big[1].clone(), big[0].clone()]);
        assert!(sorted_by(100, &[]).is_empty());
    }
}
