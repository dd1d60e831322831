//! A record as the worker pipe and the state carry it: a binary head with what the summary's
//! totals need, then the record's JSON text as the inventory writes it.
//!
//! A rescan reads a head for every file it reuses, and the writer one for every file a worker
//! read, so the head is made to be read fast: numbers as fixed-width little-endian integers,
//! names and lists with their lengths before them, nothing to parse but what is counted.
//! What few records have (a reason, a retention verdict, a review mark, OCR pages, the OCR
//! engine asked for) is one JSON object at its end, empty when there is none of it.
//!
//! ```text
//! u64 sum
//! u64 job (0 in the state)   u64 bytes   u8 noatime (0 unknown, 1 no, 2 yes)
//! u8 status                  u8 sized    u64 size (the evidence's, 0 when unsized)
//! u32 n, n × (name, u64)                                   counts by kind
//! u32 n, n × (u8 confidence, u64)                          findings by confidence
//! u64 synthetic              u64 personal
//! u32 n, n × (name, 0u8 u32 m m × u64 | 1u8 u32 m m × u8)  distinct values by kind
//! u32 n, n bytes of JSON                                   the rare rest
//! the record's JSON text, to the end
//! ```
//!
//! A name is a `u32` length and its UTF-8 bytes. The sum is the xxh3 of the rest of the head,
//! seeded with the text's own hash ([`record_hash`], the share of the inventory's
//! `files_digest`), so that it covers head and text and the text is hashed once, for both: a
//! record that matches it is taken as it is, its text not parsed; one that does not is
//! damaged. (A sum of the text alone let damage to the head's numbers through, into the
//! summary's totals.)

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::Done;
use crate::detect::Confidence;
use crate::extract::ocr::Pages;
use crate::report::distinct::{check_sketch, Distinct, Values};
use crate::report::review::{Retention, ReviewMark};
use crate::report::writer::record_hash;
use crate::report::{intern, ByConfidence, Figures, FileRecord, Status};

/// A carried record that cannot be read: a damaged state or pipe.
#[derive(Debug, thiserror::Error)]
#[error("damaged record ({0})")]
pub(crate) struct Damaged(&'static str);

/// A status's number in a head: its place in [`Status::ALL`].
fn status_number(s: Status) -> u8 {
    // A match, not a search of the table: a new status fails to compile until it has a number.
    match s {
        Status::Scanned => 0,
        Status::Partial => 1,
        Status::Skipped => 2,
        Status::Error => 3,
        Status::Encrypted => 4,
        Status::Unsupported => 5,
        Status::LimitExceeded => 6,
    }
}

/// A confidence's number in a head: its place in [`Confidence::ALL`].
fn confidence_number(c: Confidence) -> u8 {
    match c {
        Confidence::Low => 0,
        Confidence::Medium => 1,
        Confidence::High => 2,
    }
}

/// What few records carry, as JSON; every field left out when empty. Written from the
/// record's own fields (borrowed), read into owned ones.
#[derive(Default, Serialize, Deserialize)]
struct Rare<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retention: Option<Cow<'a, Retention>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    review: Option<ReviewMark>,
    #[serde(default, skip_serializing_if = "Pages::is_none")]
    ocr: Pages,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    engine: bool,
}

/// The head of `done`, whose record's JSON text is `json`, for job `job` (0 when it has
/// none). The text follows it.
pub(crate) fn head(job: u64, done: &Done, json: &[u8]) -> Vec<u8> {
    let rec = &done.rec;
    let t = &rec.tally;
    let mut out = Vec::with_capacity(128);
    let u64 = |out: &mut Vec<u8>, n: u64| out.extend_from_slice(&n.to_le_bytes());
    // The sum's place, filled in at the end.
    u64(&mut out, 0);
    let len = |out: &mut Vec<u8>, n: usize| {
        out.extend_from_slice(&u32::try_from(n).expect("a head's list fits").to_le_bytes())
    };
    let name = |out: &mut Vec<u8>, s: &str| {
        len(out, s.len());
        out.extend_from_slice(s.as_bytes());
    };
    u64(&mut out, job);
    u64(&mut out, done.bytes);
    out.push(match done.noatime {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    out.push(status_number(rec.status));
    let size = rec.meta.as_ref().map(|m| m.size);
    out.push(u8::from(size.is_some()));
    u64(&mut out, size.unwrap_or(0));
    len(&mut out, rec.counts.len());
    for (k, n) in &rec.counts {
        name(&mut out, k);
        u64(&mut out, *n);
    }
    len(&mut out, t.by_confidence.iter().count());
    for (c, n) in t.by_confidence.iter() {
        out.push(confidence_number(c));
        u64(&mut out, n);
    }
    u64(&mut out, t.synthetic);
    u64(&mut out, t.personal);
    len(&mut out, t.distinct.len());
    for (k, d) in &t.distinct {
        name(&mut out, k);
        match d {
            Distinct::Exact(set) => {
                out.push(0);
                len(&mut out, set.len());
                set.iter().for_each(|&f| u64(&mut out, f));
            }
            Distinct::Estimate(registers) => {
                out.push(1);
                len(&mut out, registers.len());
                out.extend_from_slice(registers);
            }
        }
    }
    let rare = Rare {
        reason: rec.reason.as_deref().map(Cow::Borrowed),
        retention: rec.retention.as_ref().map(Cow::Borrowed),
        review: t.review,
        ocr: t.ocr,
        engine: t.engine,
    };
    if rare.reason.is_none()
        && rare.retention.is_none()
        && rare.review.is_none()
        && rare.ocr.is_none()
        && !rare.engine
    {
        len(&mut out, 0);
    } else {
        let json = serde_json::to_vec(&rare).expect("a head serializes");
        len(&mut out, json.len());
        out.extend_from_slice(&json);
    }
    sum_into(&mut out, record_hash(json));
    out
}

/// Writes the sum of `head`, whose text's [`record_hash`] is `text`, into its place.
fn sum_into(head: &mut [u8], text: u64) {
    let sum = xxhash_rust::xxh3::xxh3_64_with_seed(&head[SUM..], text);
    head[..SUM].copy_from_slice(&sum.to_le_bytes());
}

/// Bytes of the sum at the start of a blob.
const SUM: usize = 8;

/// Reads a head from the front of a blob.
#[derive(Clone, Copy)]
struct Reader<'a> {
    blob: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Damaged> {
        let b = self
            .at
            .checked_add(n)
            .and_then(|end| self.blob.get(self.at..end))
            .ok_or(Damaged("head cut short"))?;
        self.at += n;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, Damaged> {
        Ok(self.bytes(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, Damaged> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn len(&mut self) -> Result<usize, Damaged> {
        let n = u32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes")) as usize;
        // No list is longer than what is left of the blob: a damaged length fails here, not
        // in an allocation of gigabytes.
        if n > self.blob.len() - self.at {
            return Err(Damaged("a length beyond the record"));
        }
        Ok(n)
    }

    fn name(&mut self) -> Result<&'a str, Damaged> {
        let n = self.len()?;
        std::str::from_utf8(self.bytes(n)?).map_err(|_| Damaged("a name not UTF-8"))
    }
}

fn count<'a>(r: &mut Reader<'a>) -> Result<u64, Damaged> {
    r.u64()
}

/// A kind's distinct values: `0u8 u32 m m × u64` (fingerprints) or `1u8 u32 m m × u8` (a
/// sketch's registers).
fn values<'a>(r: &mut Reader<'a>) -> Result<Values<'a>, Damaged> {
    match r.u8()? {
        0 => {
            let n = r.len()?;
            Ok(Values::Listed(r.bytes(n * 8)?))
        }
        1 => {
            let n = r.len()?;
            let registers = r.bytes(n)?;
            check_sketch(registers).map_err(|_| Damaged("a sketch of distinct values"))?;
            Ok(Values::Registers(registers))
        }
        _ => Err(Damaged("distinct values")),
    }
}

/// A list of a head, `n` items after its length: each a name and what an item reader (such
/// as [`count`] or [`values`]) reads.
#[derive(Clone, Copy)]
struct List {
    at: usize,
    n: usize,
}

impl List {
    /// Reads a list's length and walks its items, each shown to `each`, so that a list found
    /// is one whole.
    fn read<'a, T>(
        r: &mut Reader<'a>,
        item: impl Fn(&mut Reader<'a>) -> Result<T, Damaged>,
        mut each: impl FnMut(T),
    ) -> Result<List, Damaged> {
        let n = r.len()?;
        let mut items = Items {
            r: *r,
            left: n,
            item,
        };
        let list = List { at: r.at, n };
        items.try_for_each(|i| i.map(|(_, t)| each(t)))?;
        r.at = items.r.at;
        Ok(list)
    }

    fn items<'a, T, F>(self, blob: &'a [u8], item: F) -> Items<'a, F>
    where
        F: Fn(&mut Reader<'a>) -> Result<T, Damaged>,
    {
        Items {
            r: Reader { blob, at: self.at },
            left: self.n,
            item,
        }
    }
}

/// A list's items in turn, each read by `item` after its name (a function of its own for
/// each kind of list, so that it is read inline).
#[derive(Clone)]
struct Items<'a, F> {
    r: Reader<'a>,
    left: usize,
    item: F,
}

impl<'a, T, F> Iterator for Items<'a, F>
where
    F: Fn(&mut Reader<'a>) -> Result<T, Damaged>,
{
    type Item = Result<(&'a str, T), Damaged>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        Some(
            self.r
                .name()
                .and_then(|name| Ok((name, (self.item)(&mut self.r)?))),
        )
    }
}

/// A head as read where it lies: its numbers, and where its lists and its text are.
struct Head {
    job: u64,
    bytes: u64,
    noatime: Option<bool>,
    status: Status,
    size: Option<u64>,
    counts: List,
    /// The counts summed.
    total: u64,
    by_confidence: ByConfidence,
    synthetic: u64,
    personal: u64,
    distinct: List,
    /// The rare rest, when there is any.
    rare: Option<Box<Rare<'static>>>,
    /// Where the record's JSON text starts.
    text: usize,
    /// The text's [`record_hash`].
    text_hash: u64,
}

/// Reads the head of `blob`, every list walked, and checks the blob against its sum.
fn read_head(blob: &[u8]) -> Result<Head, Damaged> {
    let mut r = Reader { blob, at: 0 };
    let sum = r.u64()?;
    let job = r.u64()?;
    let bytes = r.u64()?;
    let noatime = match r.u8()? {
        0 => None,
        1 => Some(false),
        2 => Some(true),
        _ => return Err(Damaged("noatime")),
    };
    let status = *Status::ALL
        .get(usize::from(r.u8()?))
        .ok_or(Damaged("status"))?;
    let sized = r.u8()? != 0;
    let size = r.u64()?;
    let mut total = 0u64;
    let counts = List::read(&mut r, count, |n| total = total.wrapping_add(n))?;
    let mut by_confidence = ByConfidence::default();
    for _ in 0..r.len()? {
        let c = *Confidence::ALL
            .get(usize::from(r.u8()?))
            .ok_or(Damaged("confidence"))?;
        by_confidence.add(c, r.u64()?);
    }
    let synthetic = r.u64()?;
    let personal = r.u64()?;
    let distinct = List::read(&mut r, values, drop)?;
    let rare_len = r.len()?;
    let rare = r.bytes(rare_len)?;
    // Checked before the rare rest is parsed: what is parsed is what was written.
    let text_hash = record_hash(&blob[r.at..]);
    if xxhash_rust::xxh3::xxh3_64_with_seed(&blob[SUM..r.at], text_hash) != sum {
        return Err(Damaged("the record does not match its sum"));
    }
    let rare = match rare {
        [] => None,
        rare => Some(Box::new(
            serde_json::from_slice(rare).map_err(|_| Damaged("rare fields"))?,
        )),
    };
    Ok(Head {
        job,
        bytes,
        noatime,
        status,
        size: sized.then_some(size),
        counts,
        total,
        by_confidence,
        synthetic,
        personal,
        distinct,
        rare,
        text: r.at,
        text_hash,
    })
}

impl Head {
    fn figures<'a>(
        &'a self,
        blob: &'a [u8],
    ) -> Figures<
        'a,
        impl Iterator<Item = (&'a str, u64)>,
        impl Iterator<Item = (&'a str, Values<'a>)>,
    > {
        let rare = self.rare.as_deref();
        Figures {
            status: self.status,
            reason: rare.and_then(|r| r.reason.as_deref()),
            size: self.size,
            // Walked whole when the head was read: nothing fails here.
            counts: self.counts.items(blob, count).map_while(Result::ok),
            total: self.total,
            by_confidence: self.by_confidence,
            synthetic: self.synthetic,
            personal: self.personal,
            distinct: self.distinct.items(blob, values).map_while(Result::ok),
            review: rare.and_then(|r| r.review),
            ocr: rare.map_or_else(Pages::default, |r| r.ocr),
            engine: rare.is_some_and(|r| r.engine),
            retention: rare.and_then(|r| r.retention.as_deref()),
        }
    }

    /// The record whose text is in `blob`, decoded whole, with its tally from the head.
    fn done(&self, blob: &[u8]) -> Result<Done, Damaged> {
        let mut rec: FileRecord = serde_json::from_slice(&blob[self.text..])
            .map_err(|_| Damaged("the text is not a record"))?;
        let f = self.figures(blob);
        let t = &mut rec.tally;
        t.by_confidence = f.by_confidence;
        t.synthetic = f.synthetic;
        t.personal = f.personal;
        t.review = f.review;
        t.ocr = f.ocr;
        t.engine = f.engine;
        for (kind, v) in f.distinct {
            t.distinct.insert(intern::name(kind), v.into());
        }
        Ok(Done {
            rec,
            bytes: self.bytes,
            noatime: self.noatime,
        })
    }
}

/// A carried record kept as it came, for a JSON inventory that writes its text as it is: its
/// sum checked and its head read where it lies, nothing decoded into a record. What the
/// totals read of it are its [`Carried::figures`].
pub struct Carried {
    blob: Vec<u8>,
    head: Head,
    /// Its path, where the text has it without escapes; undone otherwise.
    path: Result<Range<usize>, String>,
    /// Where, in its text, the closing quote of its path is.
    path_end: usize,
}

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never its text: a record's text is masked, but its path may name a person.
        f.debug_struct("Carried")
            .field("job", &self.head.job)
            .field("len", &self.blob.len())
            .finish()
    }
}

/// Reads a carried record as the JSON inventory takes it ([`Carried`]).
pub(crate) fn text(blob: Vec<u8>) -> Result<Carried, Damaged> {
    let head = read_head(&blob)?;
    let (path, path_end) = crate::report::order::leading_path(&blob[head.text..])
        .ok_or(Damaged("the text has no path"))?;
    let path = match path {
        Cow::Borrowed(p) => {
            let from = p.as_ptr() as usize - blob.as_ptr() as usize;
            Ok(from..from + p.len())
        }
        Cow::Owned(p) => Err(p),
    };
    Ok(Carried {
        blob,
        head,
        path,
        path_end,
    })
}

impl Carried {
    /// Its job (0 in a state).
    pub fn job(&self) -> u64 {
        self.head.job
    }

    /// Bytes read for it ([`Done::bytes`]).
    pub fn bytes(&self) -> u64 {
        self.head.bytes
    }

    /// [`Done::noatime`].
    pub fn noatime(&self) -> Option<bool> {
        self.head.noatime
    }

    /// It has evidence (a file's times, owner and mode).
    pub(crate) fn has_evidence(&self) -> bool {
        self.head.size.is_some()
    }

    /// What the summary's totals read of it.
    pub fn figures(
        &self,
    ) -> Figures<'_, impl Iterator<Item = (&str, u64)>, impl Iterator<Item = (&str, Values<'_>)>>
    {
        self.head.figures(&self.blob)
    }

    /// Its path.
    pub fn path(&self) -> &str {
        match &self.path {
            // Checked to be UTF-8 when it was found.
            Ok(at) => std::str::from_utf8(&self.blob[at.clone()]).unwrap_or_default(),
            Err(undone) => undone,
        }
    }

    /// Its JSON text.
    pub fn json(&self) -> &[u8] {
        &self.blob[self.head.text..]
    }

    /// Where, in its text, the closing quote of its path is.
    pub(crate) fn path_end(&self) -> usize {
        self.path_end
    }

    /// Puts `with` in place of `at` of its text, after its path; its text's hash and its
    /// sum are made again.
    pub(crate) fn splice(&mut self, at: Range<usize>, with: &[u8]) {
        debug_assert!(at.start > self.path_end);
        let t = self.head.text;
        self.blob
            .splice(t + at.start..t + at.end, with.iter().copied());
        self.head.text_hash = record_hash(&self.blob[t..]);
        sum_into(&mut self.blob[..t], self.head.text_hash);
    }

    /// Its JSON text, its head cut off in place, and the text's [`record_hash`].
    pub(crate) fn into_json(self) -> (Vec<u8>, u64) {
        let at = self.head.text..self.blob.len();
        (cut(self.blob, at), self.head.text_hash)
    }

    /// It as a state keeps it: as it came, with no job, summed again.
    pub(crate) fn stored(&self) -> Vec<u8> {
        let mut blob = self.blob.clone();
        blob[SUM..SUM + 8].fill(0);
        sum_into(&mut blob[..self.head.text], self.head.text_hash);
        blob
    }

    /// The record decoded whole.
    pub(crate) fn into_done(self) -> Result<Done, Damaged> {
        self.head.done(&self.blob)
    }
}

/// A carried record decoded whole, with its job.
pub(crate) fn whole(blob: &[u8]) -> Result<(u64, Done), Damaged> {
    let h = read_head(blob)?;
    Ok((h.job, h.done(blob)?))
}

/// `blob` cut to the part of it `at`, in place: a record's text out of its carried blob with
/// no copy made.
pub(crate) fn cut(mut blob: Vec<u8>, at: Range<usize>) -> Vec<u8> {
    blob.truncate(at.end);
    blob.drain(..at.start);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::FileMeta;
    use crate::report::ReviewState;

    #[test]
    fn numbers_of_statuses_and_confidences_are_their_places_in_the_tables() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(usize::from(status_number(*s)), i, "{s:?}");
        }
        for (i, c) in Confidence::ALL.iter().enumerate() {
            assert_eq!(usize::from(confidence_number(*c)), i, "{c:?}");
        }
    }

    /// A record with every part a head carries, and its evidence.
    fn full() -> Done {
        let meta = FileMeta {
            size: 1234,
            modified: "2026-01-02T03:04:05Z".into(),
            changed: "2026-01-02T03:04:05Z".into(),
            accessed: "2026-01-03T03:04:05Z".into(),
            owner: crate::read::Owner {
                uid: 1000,
                name: Some("kari".into()),
            },
            gid: 1000,
            mode: "0640".into(),
        };
        let mut rec = FileRecord::new("/r/a \"b\".txt".into(), Some(meta));
        rec.status = Status::Partial;
        rec.reason = Some(r#"x,"rec":{"path":"y"}"#.into());
        rec.counts.insert("email", 2);
        rec.counts.insert("fodselsnummer", 1);
        rec.tally.add("email", Confidence::Medium, false, 7);
        rec.tally.add("email", Confidence::High, true, 8);
        rec.tally.add("fodselsnummer", Confidence::High, false, 9);
        // A kind with more distinct values than a set holds: a sketch.
        for f in 0..100_000u64 {
            rec.tally
                .distinct_value("ip_address", f.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        assert!(matches!(
            rec.tally.distinct["ip_address"],
            Distinct::Estimate(_)
        ));
        rec.tally.review = Some(ReviewMark {
            state: ReviewState::Stale,
            by_size_and_modified: true,
        });
        rec.tally.ocr = Pages { read: 3, unread: 1 };
        rec.tally.engine = true;
        rec.retention = Some(Retention {
            policy: Some("kurs".into()),
            verdict: "overdue".into(),
            overdue_days: Some(40),
            ..serde_json::from_str(r#"{"verdict":"keep"}"#).unwrap()
        });
        Done {
            rec,
            bytes: 99,
            noatime: Some(false),
        }
    }

    fn blob(job: u64, done: &Done) -> Vec<u8> {
        let json = serde_json::to_vec(&done.rec).unwrap();
        [head(job, done, &json), json].concat()
    }

    #[test]
    fn every_part_of_the_head_comes_back() {
        let plain = Done {
            rec: FileRecord::new("/r/plain.txt".into(), None),
            bytes: 0,
            noatime: None,
        };
        for (job, done) in [(7, full()), (0, plain)] {
            let stored = blob(0, &done);
            let blob = blob(job, &done);
            let (j, whole) = whole(&blob).unwrap();
            assert_eq!(j, job);
            assert_eq!(whole.rec, done.rec, "decoded whole, tally and all");
            assert_eq!((whole.bytes, whole.noatime), (done.bytes, done.noatime));
            assert_eq!(whole.rec.tally, done.rec.tally);

            let mut c = text(blob.clone()).unwrap();
            assert_eq!(c.job(), job);
            assert_eq!((c.bytes(), c.noatime()), (done.bytes, done.noatime));
            assert_eq!(c.path(), done.rec.path);
            assert_eq!(c.has_evidence(), done.rec.meta.is_some());
            let json = serde_json::to_vec(&done.rec).unwrap();
            assert_eq!(c.json(), json);
            let path = serde_json::to_string(&done.rec.path).unwrap();
            assert_eq!(
                c.json()[..=c.path_end()],
                *format!(r#"{{"path":{path}"#).as_bytes()
            );
            assert_eq!(
                read_back(c.figures()),
                read_back(done.rec.figures()),
                "what the totals read, from the head as from the record"
            );
            assert_eq!(c.stored(), stored, "as a state stores it");
            assert_eq!(
                text(blob.clone()).unwrap().into_json(),
                (json.clone(), record_hash(&json))
            );
            // Its text changed after its path, as a reused file's evidence is: its hash and
            // sum follow.
            let end = c.path_end();
            c.splice(end + 1..end + 2, b", ");
            assert_eq!(c.path(), done.rec.path);
            assert_eq!(text(c.stored()).unwrap().json(), c.json(), "summed again");
            let (changed, hash) = c.into_json();
            assert_eq!(hash, record_hash(&changed));
            assert_eq!(changed[..=end], json[..=end]);
            assert_eq!(changed[end + 1..end + 3], *b", ");
            assert_eq!(changed[end + 3..], json[end + 2..]);
        }
    }

    /// Everything a [`Figures`] holds, owned, to compare.
    #[allow(clippy::type_complexity)]
    fn read_back<'a>(
        f: Figures<
            'a,
            impl Iterator<Item = (&'a str, u64)>,
            impl Iterator<Item = (&'a str, Values<'a>)>,
        >,
    ) -> (
        String,
        Vec<(String, u64)>,
        Vec<(String, Distinct)>,
        Option<Retention>,
        u64,
    ) {
        let total = f.total;
        let counts: Vec<_> = f.counts.map(|(k, n)| (k.to_string(), n)).collect();
        assert_eq!(total, counts.iter().map(|(_, n)| n).sum::<u64>());
        let mut distinct: Vec<_> = f
            .distinct
            .map(|(k, v)| (k.to_string(), Distinct::from(v)))
            .collect();
        distinct.sort_by(|a, b| a.0.cmp(&b.0));
        let rest = format!(
            "{:?} {:?} {:?} {:?} {} {} {:?} {:?} {}",
            f.status,
            f.reason,
            f.size,
            f.by_confidence,
            f.synthetic,
            f.personal,
            f.review,
            f.ocr,
            f.engine
        );
        (rest, counts, distinct, f.retention.cloned(), total)
    }

    #[test]
    fn a_damaged_record_is_an_error_never_a_panic() {
        let blob = blob(3, &full());
        let json = serde_json::to_vec(&full().rec).unwrap();
        let text_at = blob.len() - json.len();
        // Cut short anywhere in the head.
        for n in 0..text_at {
            assert!(text(blob[..n].to_vec()).is_err(), "cut at {n}");
            assert!(whole(&blob[..n]).is_err(), "cut at {n}");
        }
        // Any byte changed, in the head's numbers as in the text: it no longer matches its
        // sum, if it is read as far as that. (The sum once covered the text alone: a changed
        // count of bytes read or of distinct values went into the totals unnoticed.)
        for i in 0..blob.len() {
            let mut damaged = blob.clone();
            damaged[i] ^= 0x40;
            let err = text(damaged.clone()).map(|_| ()).unwrap_err().to_string();
            if i >= text_at || i < SUM {
                assert_eq!(
                    err, "damaged record (the record does not match its sum)",
                    "byte {i}"
                );
            }
            assert!(whole(&damaged).is_err(), "byte {i}");
        }
        // Damage that matches its sum all the same (made so here) is still caught where the
        // head is read: a length that claims more than is there, refused before anything is
        // allocated; out-of-range numbers of a status and of noatime.
        let resummed = |mut b: Vec<u8>| {
            let (head, text) = b.split_at_mut(text_at);
            sum_into(head, record_hash(text));
            b
        };
        let mut long = blob.clone();
        let counts_at = SUM + 8 + 8 + 1 + 1 + 1 + 8;
        long[counts_at..counts_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            text(resummed(long)).map(|_| ()).unwrap_err().to_string(),
            "damaged record (a length beyond the record)"
        );
        let mut status = blob.clone();
        status[SUM + 8 + 8 + 1] = 7;
        assert!(text(resummed(status)).is_err());
        let mut noatime = blob;
        noatime[SUM + 16] = 3;
        assert!(whole(&resummed(noatime)).is_err());

        // A sketch of distinct values that no sketch has (its sum made to match): refused
        // when the head is read, not merged into the totals by half.
        let mut short = full();
        let mut registers = vec![0u8; 16];
        registers[0] = 1;
        short.rec.tally.distinct = [("ip_address", Distinct::Estimate(registers))]
            .into_iter()
            .collect();
        assert_eq!(
            text(blob_of(&short)).map(|_| ()).unwrap_err().to_string(),
            "damaged record (a sketch of distinct values)"
        );
    }

    fn blob_of(done: &Done) -> Vec<u8> {
        blob(3, done)
    }
}
