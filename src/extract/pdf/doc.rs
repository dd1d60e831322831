//! A PDF file as lazily loaded objects: cross-reference sections, recovery, object streams,
//! stream data, decryption.
//!
//! Nothing is loaded before it is asked for. The cross-reference chain is read from
//! `startxref` through every `/Prev` and `/XRefStm` (each section once, so a `/Prev` loop
//! ends); when it is missing or points to the wrong place, the file is scanned for
//! `N G obj` headers and trailers instead, as pdf.js and poppler do. Objects are parsed on
//! first use and cached; an object that is asked for while it is being loaded (an object
//! stream whose `/Length` lives in itself, a `/Length` that refers to itself) is a cycle and
//! reads as `null` instead of recursing, and chains of references are followed a bounded
//! number of hops. A stream's data is found by its `/Length` when `endstream` follows there,
//! and by searching for `endstream` otherwise (counted: the file says its length is wrong).
//!
//! Small files are held in memory; larger ones are read through a small block cache, so a
//! PDF of any size costs a bounded amount of memory: streams are decoded as they are read
//! ([`super::filter`]), and what must be held whole (object streams, cross-reference
//! streams, CMaps) is held within [`MAX_DECODED`] bytes.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read};
use std::ops::Deref;
use std::rc::Rc;

use super::crypt::{Crypt, Locked};
use super::filter::{self, Bounded, Filter, Predictor, Unreadable};
use super::lex::{Lexer, Token};
use super::object::{Dict, Id, Object, Parser, Stream};
use crate::extract::{Clock, ExtractError, Input, LimitHit, ReadSeek};

/// Files up to this size are read into memory; larger ones through the block cache.
const IN_MEMORY: u64 = 16 << 20;
/// Bytes one object (not its stream data) may span.
const MAX_OBJECT_BYTES: u64 = 16 << 20;
/// Bytes a stream decoded whole may take (object streams, cross-reference streams, CMaps,
/// metadata).
pub(super) const MAX_DECODED: u64 = 16 << 20;
/// Decoded object streams kept at once, in bytes.
const OBJSTM_CACHE: usize = 8 << 20;
/// Memory parsed objects may keep, roughly (see [`Object::weight`]).
const OBJECT_CACHE: usize = 8 << 20;
/// Objects a cross-reference may list (entries cost memory; no real PDF comes close).
pub(super) const MAX_OBJECTS: usize = 2_000_000;
/// References followed from one to the next before giving up.
const MAX_HOPS: usize = 32;
/// Objects being loaded inside each other (a stream's /Length inside an object stream...).
const MAX_NESTED_LOADS: usize = 32;

/// A stream `/Length` this many bytes off its `endstream` is a slip, not damage.
const SLIP: u64 = 4;

const BLOCK: u64 = 64 * 1024;
const BLOCKS: usize = 32;

/// Where an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    At(u64),
    In(u32, u32),
}

enum Source<'i> {
    Mem(Vec<u8>),
    File {
        r: &'i mut dyn ReadSeek,
        blocks: HashMap<u64, Box<[u8]>>,
        order: VecDeque<u64>,
    },
}

impl Source<'_> {
    fn read_at(&mut self, at: u64, len: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Mem(data) => {
                let start = at.min(data.len() as u64) as usize;
                let n = buf.len().min(data.len() - start);
                buf[..n].copy_from_slice(&data[start..start + n]);
                Ok(n)
            }
            Source::File { r, blocks, order } => {
                if at >= len {
                    return Ok(0);
                }
                let b = at / BLOCK;
                if !blocks.contains_key(&b) {
                    let start = b * BLOCK;
                    let mut data = vec![0u8; (len - start).min(BLOCK) as usize];
                    r.seek(io::SeekFrom::Start(start))?;
                    r.read_exact(&mut data)?;
                    if order.len() >= BLOCKS {
                        if let Some(old) = order.pop_front() {
                            blocks.remove(&old);
                        }
                    }
                    order.push_back(b);
                    blocks.insert(b, data.into_boxed_slice());
                }
                let data = &blocks[&b];
                let off = (at - b * BLOCK) as usize;
                let n = buf.len().min(data.len() - off);
                buf[..n].copy_from_slice(&data[off..off + n]);
                Ok(n)
            }
        }
    }
}

/// Bytes `pos..end` of the file, as a reader.
pub(super) struct Range<'d, 'i> {
    src: &'d RefCell<Source<'i>>,
    pos: u64,
    end: u64,
    len: u64,
}

impl Read for Range<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .src
            .borrow_mut()
            .read_at(self.pos, self.len, &mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A decoded object stream.
struct ObjStm {
    data: Vec<u8>,
    first: usize,
    /// (object number, offset after `first`).
    index: Vec<(u32, usize)>,
}

/// The cross-reference sections read from `startxref` on.
struct Chain {
    entries: HashMap<u32, Entry>,
    trailer: Option<Dict>,
    /// Every section in the chain could be read.
    whole: bool,
}

/// What went wrong while reading, counted for the file's status.
#[derive(Debug, Default, Clone)]
pub(super) struct Damage {
    /// Streams whose `/Length` was wrong, read up to their `endstream` keyword.
    pub streams_recovered: u32,
    /// The cross-reference was rebuilt by scanning the file.
    pub xref_rebuilt: bool,
    /// References that led back to an object being loaded.
    pub cycles: u32,
    /// Streams that decode to more than they may take in memory ([`MAX_DECODED`] bytes).
    pub too_large: u32,
}

/// An object borrowed from its container or loaded (shared) from the file.
pub(super) enum Got<'a> {
    Here(&'a Object),
    Loaded(Rc<Object>),
}

impl Deref for Got<'_> {
    type Target = Object;
    fn deref(&self) -> &Object {
        match self {
            Got::Here(o) => o,
            Got::Loaded(o) => o,
        }
    }
}

static NULL: Object = Object::Null;

/// Why a stream could not be had.
#[derive(Debug)]
pub(super) enum StreamError {
    /// An image codec or an unknown filter.
    Unreadable,
    /// Decoded, it is over the byte budget.
    TooLarge,
    /// Its data is damaged.
    Damaged,
}

pub(super) struct Doc<'i> {
    src: RefCell<Source<'i>>,
    len: u64,
    xref: RefCell<HashMap<u32, Entry>>,
    pub trailer: Dict,
    crypt: Option<Crypt>,
    cache: RefCell<HashMap<Id, Rc<Object>>>,
    cache_weight: Cell<usize>,
    objstms: RefCell<HashMap<u32, Rc<ObjStm>>>,
    objstm_bytes: Cell<usize>,
    loading: RefCell<Vec<Id>>,
    /// The scan for objects has been done (it is done at most once).
    scanned: Cell<bool>,
    pub damage: RefCell<Damage>,
    pub clock: Clock,
}

/// Why a document cannot be opened.
pub(super) enum OpenError {
    /// Not a PDF anyone could read: no objects, no trailer, no catalog.
    Corrupt(String),
    Locked(Locked),
    Stop(ExtractError),
}

impl From<ExtractError> for OpenError {
    fn from(e: ExtractError) -> Self {
        OpenError::Stop(e)
    }
}

impl From<LimitHit> for OpenError {
    fn from(e: LimitHit) -> Self {
        OpenError::Stop(e.into())
    }
}

impl<'i> Doc<'i> {
    /// Opens the PDF of `input`.
    pub(super) fn open(input: &'i mut Input<'_>) -> Result<Doc<'i>, OpenError> {
        let clock = input.clock;
        let small = input.size.is_some_and(|s| s <= IN_MEMORY) || input.head_is_all();
        let (src, len) = if small {
            let data = input.read_all()?;
            let n = data.len() as u64;
            (Source::Mem(data), n)
        } else {
            let r = input.seekable()?;
            let len = r.seek(io::SeekFrom::End(0)).map_err(ExtractError::from)?;
            crate::read::BYTES_READ.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
            (
                Source::File {
                    r,
                    blocks: HashMap::new(),
                    order: VecDeque::new(),
                },
                len,
            )
        };
        let mut doc = Doc {
            src: RefCell::new(src),
            len,
            xref: RefCell::new(HashMap::new()),
            trailer: Dict::default(),
            crypt: None,
            cache: RefCell::new(HashMap::new()),
            cache_weight: Cell::new(0),
            objstms: RefCell::new(HashMap::new()),
            objstm_bytes: Cell::new(0),
            loading: RefCell::new(Vec::new()),
            scanned: Cell::new(false),
            damage: RefCell::new(Damage::default()),
            clock,
        };
        match doc.startxref().and_then(|at| doc.read_xref_chain(at)) {
            Some(chain) => {
                *doc.xref.borrow_mut() = chain.entries;
                doc.trailer = chain.trailer.unwrap_or_default();
                if !chain.whole {
                    doc.rebuild()?;
                }
            }
            None => doc.rebuild()?,
        }
        if doc.catalog().is_none() {
            doc.rebuild()?;
            let candidates = doc.trailer_candidates()?;
            doc.trailer = doc.pick_trailer(candidates);
        }
        if doc.catalog().is_none() {
            return Err(OpenError::Corrupt(if doc.xref.borrow().is_empty() {
                "damaged PDF: no objects found".into()
            } else {
                "damaged PDF: no document catalog found".into()
            }));
        }
        doc.unlock()?;
        Ok(doc)
    }

    /// Sets up decryption if the file is encrypted.
    fn unlock(&mut self) -> Result<(), OpenError> {
        let Some(enc) = self.trailer.get(b"Encrypt").cloned() else {
            return Ok(());
        };
        let enc = self.resolve(&enc);
        let Some(dict) = enc.as_dict() else {
            return Ok(());
        };
        // The handler's values are read as they are (strings in it are not encrypted).
        let mut direct = Dict::default();
        for (k, v) in &dict.0 {
            let mut v = self.resolve(v).clone();
            // The crypt filters (`/CF << /StdCF 8 0 R >>`) one level further.
            if let Object::Dict(d) = &mut v {
                for (_, inner) in &mut d.0 {
                    *inner = self.resolve(inner).clone();
                }
            }
            direct.0.push((k.clone(), v));
        }
        let id0 = self
            .trailer
            .get(b"ID")
            .map(|o| self.resolve(o).clone())
            .and_then(|o| o.as_array()?.first()?.as_str().map(<[u8]>::to_vec))
            .unwrap_or_default();
        let crypt = Crypt::open(&direct, &id0).map_err(OpenError::Locked)?;
        self.crypt = Some(crypt);
        // Objects loaded before the key was known were not decrypted.
        self.cache.borrow_mut().clear();
        self.cache_weight.set(0);
        self.objstms.borrow_mut().clear();
        Ok(())
    }

    /// The document's bytes, when it was read whole into memory (a small file, or a member
    /// of an archive, which cannot be read twice).
    pub(super) fn into_bytes(self) -> Option<Vec<u8>> {
        match self.src.into_inner() {
            Source::Mem(data) => Some(data),
            Source::File { .. } => None,
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// The catalog (`/Root`), if it is a dictionary.
    pub(super) fn catalog(&self) -> Option<Rc<Object>> {
        let root = self.trailer.get(b"Root")?.clone();
        let got = self.resolve(&root);
        got.as_dict()?;
        Some(match got {
            Got::Loaded(rc) => rc,
            Got::Here(o) => Rc::new(o.clone()),
        })
    }

    pub(super) fn range(&self, start: u64, end: u64) -> Range<'_, 'i> {
        Range {
            src: &self.src,
            pos: start,
            end: end.min(self.len),
            len: self.len,
        }
    }

    /// The object `id` (null if it does not exist or cannot be read).
    pub(super) fn get(&self, id: Id) -> Rc<Object> {
        if let Some(o) = self.cache.borrow().get(&id) {
            return o.clone();
        }
        {
            let mut loading = self.loading.borrow_mut();
            if loading.contains(&id) || loading.len() >= MAX_NESTED_LOADS {
                self.damage.borrow_mut().cycles += 1;
                return Rc::new(Object::Null);
            }
            loading.push(id);
        }
        let obj = self.load(id);
        self.loading.borrow_mut().pop();
        let weight = obj.weight();
        let obj = Rc::new(obj);
        let mut cache = self.cache.borrow_mut();
        if self.cache_weight.get() + weight > OBJECT_CACHE {
            cache.clear();
            self.cache_weight.set(0);
        }
        self.cache_weight.set(self.cache_weight.get() + weight);
        cache.insert(id, obj.clone());
        obj
    }

    /// `o`, with references followed.
    pub(super) fn resolve<'a>(&self, o: &'a Object) -> Got<'a> {
        let mut got = Got::Here(o);
        for _ in 0..MAX_HOPS {
            let Object::Ref(id) = *got else {
                return got;
            };
            got = Got::Loaded(self.get(id));
        }
        self.damage.borrow_mut().cycles += 1;
        Got::Here(&NULL)
    }

    /// `dict[key]`, with references followed.
    pub(super) fn get_in<'a>(&self, dict: &'a Dict, key: &[u8]) -> Got<'a> {
        match dict.get(key) {
            Some(o) => self.resolve(o),
            None => Got::Here(&NULL),
        }
    }

    fn load(&self, id: Id) -> Object {
        for attempt in 0..2 {
            let entry = self.xref.borrow().get(&id.0).copied();
            let found = match entry {
                Some(Entry::At(off)) => self
                    .parse_at(off)
                    .filter(|(got, _)| got.0 == id.0)
                    .map(|(_, o)| self.decrypt(o, id)),
                Some(Entry::In(stm, idx)) => self.in_objstm(id.0, stm, idx),
                None => None,
            };
            match found {
                Some(o) => return o,
                // The entry is missing or points to the wrong place: look for the object by
                // scanning the file, once per document.
                None if attempt == 0 && !self.scanned.get() => {
                    if self.rebuild().is_err() {
                        return Object::Null;
                    }
                }
                None => return Object::Null,
            }
        }
        Object::Null
    }

    /// Decrypts the strings of object `id`.
    fn decrypt(&self, mut o: Object, id: Id) -> Object {
        if let Some(c) = &self.crypt {
            decrypt_strings(c, id, &mut o, 0);
        }
        o
    }

    /// Parses `N G obj ... [stream]` at `off`.
    fn parse_at(&self, off: u64) -> Option<(Id, Object)> {
        let mut p = Parser::new(self.range(off, off.saturating_add(MAX_OBJECT_BYTES)), true);
        let (Token::Int(n), Token::Int(g)) = (p.token(), p.token()) else {
            return None;
        };
        if !matches!(p.token(), Token::Keyword(k) if k.is(b"obj")) {
            return None;
        }
        let id = Id(u32::try_from(n).ok()?, u16::try_from(g).unwrap_or(0));
        let obj = match p.object() {
            Ok(o) => o,
            // `N G obj endobj`: an empty object.
            Err(_) => Object::Null,
        };
        match p.token() {
            Token::Keyword(k) if k.is(b"stream") => {
                let Object::Dict(dict) = obj else {
                    return Some((id, Object::Null));
                };
                p.lx.skip_stream_eol();
                let start = off + p.lx.offset();
                let (len, recovered) = self.stream_extent(&dict, start);
                Some((
                    id,
                    Object::Stream(Box::new(Stream {
                        dict,
                        start,
                        len,
                        id,
                        recovered,
                    })),
                ))
            }
            _ => Some((id, obj)),
        }
    }

    /// The length of stream data starting at `start`: the declared `/Length` if `endstream`
    /// follows it, else up to the `endstream` keyword (true: recovered).
    fn stream_extent(&self, dict: &Dict, start: u64) -> (u64, bool) {
        let declared = self.get_in(dict, b"Length").as_int();
        if let Some(n) = declared.and_then(|n| u64::try_from(n).ok()) {
            if start.saturating_add(n) <= self.len && self.endstream_at(start + n) {
                return (n, false);
            }
        }
        let end = self
            .find(b"endstream", start)
            .or_else(|| self.find(b"endobj", start))
            .unwrap_or(self.len);
        // The end of line before `endstream` is not data.
        let mut tail = [0u8; 2];
        let from = end.saturating_sub(2).max(start);
        let n = self.range(from, end).read(&mut tail).unwrap_or(0);
        let eol = match &tail[..n] {
            [b'\r', b'\n'] => 2,
            [.., b'\n'] | [.., b'\r'] => 1,
            _ => 0,
        };
        let len = end.saturating_sub(eol).saturating_sub(start);
        // A length a few bytes off (an end of line counted or not, common in real files) is
        // a writer's slip, not damage.
        let slip = declared.is_some_and(|d| d.abs_diff(len as i64) <= SLIP);
        (len, !slip)
    }

    fn endstream_at(&self, at: u64) -> bool {
        let mut buf = [0u8; 64];
        let mut r = self.range(at, at + 64);
        let mut n = 0;
        while n < buf.len() {
            match r.read(&mut buf[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let s = &buf[..n];
        let skip = s.iter().take_while(|b| super::lex::is_white(**b)).count();
        s[skip..].starts_with(b"endstream")
    }

    /// The offset of the first `pat` at or after `from`.
    fn find(&self, pat: &[u8], from: u64) -> Option<u64> {
        let finder = memchr::memmem::Finder::new(pat);
        let mut at = from;
        let mut buf = vec![0u8; 256 * 1024];
        while at < self.len {
            if self.clock.check().is_err() {
                return None;
            }
            let mut r = self.range(at, at + buf.len() as u64);
            let mut n = 0;
            while n < buf.len() {
                match r.read(&mut buf[n..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            if n == 0 {
                return None;
            }
            if let Some(i) = finder.find(&buf[..n]) {
                return Some(at + i as u64);
            }
            if at + (n as u64) >= self.len {
                return None;
            }
            at += (n - pat.len() + 1) as u64;
        }
        None
    }

    fn in_objstm(&self, num: u32, stm: u32, idx: u32) -> Option<Object> {
        let s = self.objstm(stm)?;
        let at = match s.index.get(idx as usize) {
            Some(&(n, at)) if n == num => at,
            _ => s.index.iter().find(|(n, _)| *n == num)?.1,
        };
        let data = s.data.get(s.first + at..)?;
        let mut p = Parser::new(data, true);
        p.object().ok()
    }

    fn objstm(&self, num: u32) -> Option<Rc<ObjStm>> {
        if let Some(s) = self.objstms.borrow().get(&num) {
            return Some(s.clone());
        }
        let obj = self.get(Id(num, 0));
        let stream = obj.as_stream()?;
        let data = self.decode_whole(stream, MAX_DECODED).ok()?;
        let n = self.get_in(&stream.dict, b"N").as_int().unwrap_or(0).max(0) as usize;
        let first = self
            .get_in(&stream.dict, b"First")
            .as_int()
            .unwrap_or(0)
            .max(0) as usize;
        let mut lx = Lexer::new(data.get(..first.min(data.len()))?);
        let mut index = Vec::new();
        while index.len() < n.min(data.len()) {
            match (lx.next(), lx.next()) {
                (Token::Int(o), Token::Int(at)) if o >= 0 && at >= 0 => {
                    index.push((o as u32, at as usize))
                }
                _ => break,
            }
        }
        let s = Rc::new(ObjStm { data, first, index });
        let mut all = self.objstms.borrow_mut();
        let bytes = self.objstm_bytes.get() + s.data.len();
        if bytes > OBJSTM_CACHE {
            all.clear();
            self.objstm_bytes.set(s.data.len());
        } else {
            self.objstm_bytes.set(bytes);
        }
        all.insert(num, s.clone());
        Some(s)
    }

    /// The stream's raw data (decrypted), as a reader.
    fn raw<'d>(&'d self, s: &Stream) -> Box<dyn Read + 'd> {
        let r: Box<dyn Read + 'd> = Box::new(self.range(s.start, s.start.saturating_add(s.len)));
        match &self.crypt {
            Some(c) if c.applies_to(&s.dict) => c.stream(s.id, r),
            _ => r,
        }
    }

    /// The filters of a stream, with their predictors.
    fn filters(&self, dict: &Dict) -> Vec<(Filter, Option<Predictor>)> {
        let names: Vec<Object> = match &*self.get_in(dict, b"Filter") {
            Object::Array(a) => a.iter().map(|o| self.resolve(o).clone()).collect(),
            Object::Name(n) => vec![Object::Name(n.clone())],
            _ => Vec::new(),
        };
        let parms: Vec<Object> = match &*self.get_in(dict, b"DecodeParms") {
            Object::Array(a) => a.iter().map(|o| self.resolve(o).clone()).collect(),
            o @ Object::Dict(_) => vec![o.clone()],
            _ => Vec::new(),
        };
        names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let p = parms.get(i).and_then(Object::as_dict);
                let int = |k: &[u8], d: i64| p.and_then(|p| p.int(k)).unwrap_or(d);
                let early = int(b"EarlyChange", 1) != 0;
                let pred = Predictor {
                    predictor: int(b"Predictor", 1).clamp(0, 100) as u32,
                    colors: int(b"Colors", 1).clamp(1, 32) as u32,
                    bits: int(b"BitsPerComponent", 8).clamp(1, 16) as u32,
                    columns: int(b"Columns", 1).clamp(1, 1 << 20) as u32,
                };
                Some((Filter::from_name(n.as_name()?, early), Some(pred)))
            })
            .collect()
    }

    /// The stream's decoded data, as it is read. A recovered stream (wrong `/Length`) is
    /// counted in [`Damage`].
    pub(super) fn decoded<'d>(&'d self, s: &Stream) -> Result<Box<dyn Read + 'd>, StreamError> {
        let filters = self.filters(&s.dict);
        let r = filter::decode(self.raw(s), &filters)
            .map_err(|_: Unreadable| StreamError::Unreadable)?;
        if s.recovered {
            self.damage.borrow_mut().streams_recovered += 1;
        }
        Ok(r)
    }

    /// The first `n` bytes of the stream's decoded data (a font program's clear-text head).
    pub(super) fn decode_head(&self, s: &Stream, n: u64) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let _ = self.decoded(s).ok()?.take(n).read_to_end(&mut out);
        Some(out)
    }

    /// The stream's decoded data, whole, within `max` bytes.
    pub(super) fn decode_whole(&self, s: &Stream, max: u64) -> Result<Vec<u8>, StreamError> {
        let mut r = self.decoded(s)?;
        match filter::read_bounded(&mut r, max) {
            Ok(mut data) => {
                data.shrink_to_fit();
                Ok(data)
            }
            Err(Bounded::TooLarge) => {
                self.damage.borrow_mut().too_large += 1;
                Err(StreamError::TooLarge)
            }
            Err(Bounded::Damaged) => Err(StreamError::Damaged),
        }
    }

    /// The offset in `startxref`, searched for near the end of the file.
    fn startxref(&self) -> Option<u64> {
        let from = self.len.saturating_sub(4096);
        let mut tail = Vec::new();
        self.range(from, self.len).read_to_end(&mut tail).ok()?;
        let at = memchr::memmem::rfind(&tail, b"startxref")?;
        let mut lx = Lexer::new(&tail[at + 9..]);
        match lx.next() {
            Token::Int(n) if n >= 0 && (n as u64) < self.len => Some(n as u64),
            _ => None,
        }
    }

    /// Every cross-reference section from `start` on, newest first (an entry in a newer
    /// section wins), and the newest trailer.
    fn read_xref_chain(&self, start: u64) -> Option<Chain> {
        let mut chain = Chain {
            entries: HashMap::new(),
            trailer: None,
            whole: true,
        };
        let mut seen = HashSet::new();
        let mut todo = vec![start];
        while let Some(at) = todo.pop() {
            if !seen.insert(at) || seen.len() > 1024 || self.clock.check().is_err() {
                continue;
            }
            let Some((section, dict)) = self.xref_section(at) else {
                // A broken link: what was read stands, and the file is scanned as well.
                chain.whole = false;
                continue;
            };
            for (n, e) in section {
                if chain.entries.len() >= MAX_OBJECTS {
                    break;
                }
                chain.entries.entry(n).or_insert(e);
            }
            if let Some(prev) = dict.int(b"Prev").and_then(|p| u64::try_from(p).ok()) {
                todo.push(prev);
            }
            // A hybrid file's stream section comes before the older sections.
            if let Some(stm) = dict.int(b"XRefStm").and_then(|p| u64::try_from(p).ok()) {
                todo.push(stm);
            }
            match &mut chain.trailer {
                None => chain.trailer = Some(dict),
                Some(t) => {
                    for (k, v) in dict.0 {
                        if t.get(&k).is_none() && k != b"Prev" && k != b"XRefStm" {
                            t.0.push((k, v));
                        }
                    }
                }
            }
        }
        (chain.trailer.is_some() || !chain.entries.is_empty()).then_some(chain)
    }

    /// One section: a table (`xref` ... `trailer`) or a cross-reference stream.
    fn xref_section(&self, at: u64) -> Option<(Vec<(u32, Entry)>, Dict)> {
        let mut p = Parser::new(self.range(at, self.len), true);
        match p.token() {
            Token::Keyword(k) if k.is(b"xref") => self.xref_table(&mut p),
            Token::Int(_) => {
                let (_, obj) = self.parse_at(at)?;
                let s = obj.as_stream()?;
                s.dict.is_type(b"XRef").then_some(())?;
                let entries = self.xref_stream(s)?;
                Some((entries, s.dict.clone()))
            }
            _ => None,
        }
    }

    fn xref_table<R: Read>(&self, p: &mut Parser<R>) -> Option<(Vec<(u32, Entry)>, Dict)> {
        let mut out = Vec::new();
        loop {
            let (start, count) = match p.token() {
                Token::Int(s) => match p.token() {
                    Token::Int(c) => (s, c),
                    _ => return None,
                },
                Token::Keyword(k) if k.is(b"trailer") => break,
                _ => return None,
            };
            let mut num = start;
            for i in 0..count.max(0) {
                let (Token::Int(off), Token::Int(gen), Token::Keyword(kind)) =
                    (p.token(), p.token(), p.token())
                else {
                    return None;
                };
                // A common mistake: the first section starts at 1 but lists object 0.
                if i == 0 && start == 1 && kind.is(b"f") && gen == 65535 {
                    num = 0;
                }
                if kind.is(b"n") && off > 0 && out.len() < MAX_OBJECTS {
                    if let Ok(n) = u32::try_from(num) {
                        out.push((n, Entry::At(off as u64)));
                    }
                }
                num += 1;
            }
        }
        match p.object() {
            Ok(Object::Dict(d)) => Some((out, d)),
            _ => None,
        }
    }

    fn xref_stream(&self, s: &Stream) -> Option<Vec<(u32, Entry)>> {
        let data = self.decode_whole(s, MAX_DECODED).ok()?;
        let w: Vec<usize> = s
            .dict
            .get(b"W")?
            .as_array()?
            .iter()
            .map(|o| o.as_int().unwrap_or(0).clamp(0, 8) as usize)
            .collect();
        if w.len() < 3 {
            return None;
        }
        let size = s.dict.int(b"Size").unwrap_or(0).max(0);
        let index: Vec<i64> = match s.dict.get(b"Index").and_then(Object::as_array) {
            Some(a) => a.iter().filter_map(Object::as_int).collect(),
            None => vec![0, size],
        };
        let row = w[0] + w[1] + w[2];
        if row == 0 {
            return None;
        }
        let field = |b: &[u8]| b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x));
        let mut rows = data.chunks_exact(row);
        let mut out = Vec::new();
        for pair in index.chunks(2) {
            let [first, count] = pair else { break };
            for k in 0..(*count).max(0) {
                let Some(r) = rows.next() else {
                    return Some(out);
                };
                let t = if w[0] == 0 { 1 } else { field(&r[..w[0]]) };
                let a = field(&r[w[0]..w[0] + w[1]]);
                let b = field(&r[w[0] + w[1]..]);
                let Ok(n) = u32::try_from(first + k) else {
                    continue;
                };
                match t {
                    1 if a > 0 => out.push((n, Entry::At(a))),
                    2 => out.push((n, Entry::In(a as u32, b as u32))),
                    _ => {}
                }
                if out.len() >= MAX_OBJECTS {
                    return Some(out);
                }
            }
        }
        Some(out)
    }

    /// Rebuilds the cross-reference by scanning the file for `N G obj` (a later definition
    /// wins), then registers the members of object streams not defined directly. Done once.
    fn rebuild(&self) -> Result<(), LimitHit> {
        if self.scanned.replace(true) {
            return Ok(());
        }
        self.damage.borrow_mut().xref_rebuilt = true;
        let mut found: HashMap<u32, Entry> = HashMap::new();
        let finder = memchr::memmem::Finder::new(b"obj");
        let mut buf = vec![0u8; 1 << 20];
        // Bytes kept from the previous block: `1234567 65535 ` before `obj`.
        const KEEP: usize = 48;
        let mut at = 0u64;
        while at < self.len {
            self.clock.check()?;
            let mut r = self.range(at, at + buf.len() as u64);
            let mut n = 0;
            while n < buf.len() {
                match r.read(&mut buf[n..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            if n == 0 {
                break;
            }
            let last = at + n as u64 >= self.len;
            let chunk = &buf[..n];
            for i in finder.find_iter(chunk) {
                // Leave a match too near the end to the next block (it has the look-ahead).
                if !last && i + 4 > n {
                    continue;
                }
                // The previous block saw this one.
                if at > 0 && i + 4 <= KEEP {
                    continue;
                }
                if let Some((num, start)) = object_header(chunk, i) {
                    if found.len() < MAX_OBJECTS || found.contains_key(&num) {
                        found.insert(num, Entry::At(at + start as u64));
                    }
                }
            }
            if last {
                break;
            }
            at += (n - KEEP) as u64;
        }
        {
            let mut x = self.xref.borrow_mut();
            // What the broken table said stays where the scan found nothing.
            for (n, e) in found {
                x.insert(n, e);
            }
        }
        self.cache.borrow_mut().clear();
        self.cache_weight.set(0);
        // Members of object streams, where no direct definition exists.
        let stms: Vec<u32> = {
            let x = self.xref.borrow();
            let mut v: Vec<u32> = x
                .iter()
                .filter(|(_, e)| matches!(e, Entry::At(_)))
                .map(|(n, _)| *n)
                .collect();
            v.sort_unstable();
            v
        };
        for n in stms {
            self.clock.check()?;
            let Some(Entry::At(off)) = self.xref.borrow().get(&n).copied() else {
                continue;
            };
            let is_objstm = self
                .parse_at(off)
                .is_some_and(|(_, o)| o.as_stream().is_some_and(|s| s.dict.is_type(b"ObjStm")));
            if !is_objstm {
                continue;
            }
            if let Some(s) = self.objstm(n) {
                let mut x = self.xref.borrow_mut();
                for (i, &(m, _)) in s.index.iter().enumerate() {
                    if x.len() >= MAX_OBJECTS {
                        break;
                    }
                    x.entry(m).or_insert(Entry::In(n, i as u32));
                }
            }
        }
        Ok(())
    }

    /// Trailers found by scanning: `trailer` dictionaries and cross-reference streams, in
    /// file order.
    fn trailer_candidates(&self) -> Result<Vec<Dict>, LimitHit> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(t) = self.find(b"trailer", at) {
            self.clock.check()?;
            let mut p = Parser::new(self.range(t + 7, t + 7 + MAX_OBJECT_BYTES), true);
            if let Ok(Object::Dict(d)) = p.object() {
                out.push((t, d));
            }
            at = t + 7;
        }
        let offsets: Vec<u64> = self
            .xref
            .borrow()
            .values()
            .filter_map(|e| match e {
                Entry::At(o) => Some(*o),
                _ => None,
            })
            .collect();
        for off in offsets {
            self.clock.check()?;
            if let Some((_, Object::Stream(s))) = self.parse_at(off) {
                if s.dict.is_type(b"XRef") {
                    out.push((off, s.dict));
                }
            }
        }
        out.sort_by_key(|(at, _)| *at);
        Ok(out.into_iter().map(|(_, d)| d).collect())
    }

    /// The last trailer whose `/Root` is a dictionary; else the trailers' keys (newest
    /// first) around the first catalog object found.
    fn pick_trailer(&mut self, candidates: Vec<Dict>) -> Dict {
        let mut base = std::mem::take(&mut self.trailer);
        for t in candidates.into_iter().rev() {
            self.trailer = t;
            if self.catalog().is_some() {
                return std::mem::take(&mut self.trailer);
            }
            for (k, v) in std::mem::take(&mut self.trailer).0 {
                if base.get(&k).is_none() {
                    base.0.push((k, v));
                }
            }
        }
        let mut nums: Vec<u32> = self.xref.borrow().keys().copied().collect();
        nums.sort_unstable();
        for n in nums {
            if self.clock.check().is_err() {
                break;
            }
            let o = self.get(Id(n, 0));
            if o.as_dict().is_some_and(|d| d.is_type(b"Catalog")) {
                base.0.retain(|(k, _)| k != b"Root");
                base.0.push((b"Root".to_vec(), Object::Ref(Id(n, 0))));
                break;
            }
        }
        base
    }

    /// Every object that is a page (`/Type /Page`), in object order: for files whose page
    /// tree is broken.
    pub(super) fn loose_pages(&self) -> Vec<Id> {
        let mut nums: Vec<u32> = self.xref.borrow().keys().copied().collect();
        nums.sort_unstable();
        let mut out = Vec::new();
        for n in nums {
            if self.clock.check().is_err() {
                break;
            }
            let id = Id(n, 0);
            if self.get(id).as_dict().is_some_and(|d| d.is_type(b"Page")) {
                out.push(id);
            }
        }
        out
    }
}

/// Whether `obj` at `i` in `chunk` ends an object header `N G obj`: returns N and the
/// offset of N.
fn object_header(chunk: &[u8], i: usize) -> Option<(u32, usize)> {
    // `obj` must stand alone (not `endobj`, not `objstm`).
    if chunk
        .get(i + 3)
        .is_some_and(|&b| !super::lex::is_white(b) && !super::lex::is_delim(b))
    {
        return None;
    }
    let mut j = i;
    let back_digits = |j: &mut usize| -> Option<usize> {
        let end = *j;
        while *j > 0 && chunk[*j - 1].is_ascii_digit() && end - *j < 10 {
            *j -= 1;
        }
        (end > *j).then_some(end)
    };
    let back_space = |j: &mut usize| -> bool {
        let end = *j;
        while *j > 0 && super::lex::is_white(chunk[*j - 1]) {
            *j -= 1;
        }
        end > *j
    };
    back_space(&mut j);
    back_digits(&mut j)?;
    if !back_space(&mut j) {
        return None;
    }
    let end = back_digits(&mut j)?;
    if j > 0 && !super::lex::is_white(chunk[j - 1]) && !super::lex::is_delim(chunk[j - 1]) {
        return None;
    }
    let n: u32 = std::str::from_utf8(&chunk[j..end]).ok()?.parse().ok()?;
    Some((n, j))
}

fn decrypt_strings(c: &Crypt, id: Id, o: &mut Object, depth: usize) {
    match o {
        Object::Str(s) => *s = c.string(id, s),
        Object::Array(a) if depth < 128 => {
            for v in a {
                decrypt_strings(c, id, v, depth + 1);
            }
        }
        Object::Dict(d) if depth < 128 => {
            for (_, v) in &mut d.0 {
                decrypt_strings(c, id, v, depth + 1);
            }
        }
        Object::Stream(s) if depth < 128 => {
            for (_, v) in &mut s.dict.0 {
                decrypt_strings(c, id, v, depth + 1);
            }
        }
        _ => {}
    }
}
