//! Reading an inventory back, streamed: a JSON document (`{schema_version, tool, scan,
//! files: [...], summary}`) or JSON Lines (a `scan` line, `file` lines, a `summary` line), told
//! apart by the first line. Records reach the caller one at a time, so an inventory of a
//! million files never sits in memory; only the header (small) is kept.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor as SerdeVisitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::report::writer::FILES_OPEN;
use crate::report::{FileRecord, Summary};

/// The inventory's header: `schema_version`, `tool` and `scan`, as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    pub raw: Map<String, Value>,
}

/// How the inventory's fingerprints were keyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A random key of that scan only: fingerprints mean nothing outside it.
    Random,
    /// A key the operator kept; `id` identifies it when the inventory records one.
    Provided { id: Option<String> },
}

/// The value of `raw` (a header) at `path`, null where there is none.
pub(crate) fn field<'v>(raw: &'v Map<String, Value>, path: &[&str]) -> &'v Value {
    path.iter()
        .fold(None, |v: Option<&Value>, p| match v {
            None => raw.get(*p),
            Some(v) => v.get(*p),
        })
        .unwrap_or(&Value::Null)
}

/// A root as two scans are compared by it (see [`Header::compared_roots`]).
pub(crate) fn compared_root(mut r: String) -> String {
    if r.len() > 1 && r.ends_with('/') && !r.ends_with("//") {
        r.pop();
    }
    r
}

impl Header {
    /// Refuses a header that is not a kartlegg inventory's (another tool's JSON, a SARIF
    /// file): before anything reads its fields, so no reader reports what they lack instead.
    fn check(&self) -> Result<()> {
        let tool = self.raw.get("tool").and_then(|t| t.get("name"));
        if tool.and_then(Value::as_str) != Some("kartlegg")
            || !self.raw.get("schema_version").is_some_and(Value::is_string)
        {
            bail!("not a kartlegg inventory (its header lacks tool.name \"kartlegg\" or schema_version)");
        }
        Ok(())
    }

    /// The scan's roots, as written.
    pub(crate) fn roots(&self) -> Vec<String> {
        self.scan()["roots"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The roots as two scans are compared by them: without one trailing `/`, since `t1/`
    /// names its files `t1/a.txt` as `t1` does (`t1//` writes `t1//a.txt`, and keeps both);
    /// sorted, since the walk takes them in order whatever order they were given in.
    pub(crate) fn compared_roots(&self) -> Vec<String> {
        let mut roots: Vec<String> = self.roots().into_iter().map(compared_root).collect();
        roots.sort();
        roots
    }

    /// The header's value at `path` (`["scan", "roots_digest"]`), null where there is none.
    pub(crate) fn field(&self, path: &[&str]) -> &Value {
        field(&self.raw, path)
    }

    fn scan(&self) -> &Value {
        self.raw.get("scan").unwrap_or(&Value::Null)
    }

    /// `I/N` when the inventory is shard I of N of its scan (`--shard`).
    pub(crate) fn shard(&self) -> Option<String> {
        let s = &self.scan()["shard"];
        Some(format!("{}/{}", s["index"].as_u64()?, s["count"].as_u64()?))
    }

    pub(crate) fn started(&self) -> Option<&str> {
        self.scan()["started"].as_str()
    }

    /// Whether the scan put raw values in the findings (`--reveal`).
    pub(crate) fn reveal(&self) -> bool {
        self.scan()["options"]["reveal"].as_bool().unwrap_or(false)
    }

    pub(crate) fn key(&self) -> KeyKind {
        let fp = &self.scan()["fingerprints"];
        match fp["key"].as_str() {
            // A key kept in a --state file is as stable as a given one.
            Some("provided" | "kept in the state") => KeyKind::Provided {
                id: fp["key_id"].as_str().map(str::to_string),
            },
            _ => KeyKind::Random,
        }
    }

    /// The header as one JSON object.
    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.raw.clone())
    }
}

/// What the reader hands out, in inventory order. The header comes first (before the first
/// record, or at the end for an inventory without records); `summary` is not called when the
/// inventory has none (an interrupted scan).
pub(crate) trait Visitor {
    fn header(&mut self, header: &Header) -> Result<()>;
    fn file(&mut self, rec: FileRecord) -> Result<()>;
    /// The summary, and when the scan finished.
    fn summary(&mut self, summary: Summary, finished: Option<String>) -> Result<()>;
}

/// A summary as written (with its `finished` time) read into its type.
fn summary_of(v: &Value) -> Result<(Summary, Option<String>)> {
    let finished = v["finished"].as_str().map(str::to_string);
    Ok((Summary::deserialize(v)?, finished))
}

/// Reads the inventory at `path` (`-` for standard input) into `v`.
pub(crate) fn read(path: &Path, v: &mut dyn Visitor) -> Result<()> {
    let input: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?)
    };
    read_named(input, path, v)
}

/// Reads the inventory `input`, called `path` in errors, into `v`.
pub(crate) fn read_named(input: impl Read + Send, path: &Path, v: &mut dyn Visitor) -> Result<()> {
    read_from(BufReader::with_capacity(1 << 20, input), v)
        .with_context(|| format!("cannot read the inventory {}", path.display()))
}

/// Reads only the header of the inventory `input`, called `path` in errors.
pub(crate) fn header(input: impl Read + Send, path: &Path) -> Result<Header> {
    struct Only(Option<Header>);
    impl Visitor for Only {
        fn header(&mut self, h: &Header) -> Result<()> {
            self.0 = Some(h.clone());
            Err(anyhow!(Stop))
        }
        fn file(&mut self, _: FileRecord) -> Result<()> {
            Ok(())
        }
        fn summary(&mut self, _: Summary, _: Option<String>) -> Result<()> {
            Ok(())
        }
    }
    let mut only = Only(None);
    match read_named(input, path, &mut only) {
        Err(e) if e.chain().any(|c| c.is::<Stop>()) || only.0.is_some() => {}
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    only.0
        .ok_or_else(|| anyhow!("{} has no inventory header", path.display()))
}

/// The signal a visitor gives to stop reading early.
#[derive(Debug)]
struct Stop;
impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped")
    }
}
impl std::error::Error for Stop {}

/// A visitor behind [`Header::check`].
struct Checked<'a>(&'a mut dyn Visitor);

impl Visitor for Checked<'_> {
    fn header(&mut self, header: &Header) -> Result<()> {
        header.check()?;
        self.0.header(header)
    }
    fn file(&mut self, rec: FileRecord) -> Result<()> {
        self.0.file(rec)
    }
    fn summary(&mut self, summary: Summary, finished: Option<String>) -> Result<()> {
        self.0.summary(summary, finished)
    }
}

pub(crate) fn read_from(mut r: impl BufRead + Send, v: &mut dyn Visitor) -> Result<()> {
    let v = &mut Checked(v);
    let mut first = String::new();
    r.read_line(&mut first)?;
    if first.trim().is_empty() {
        bail!("empty inventory");
    }
    match serde_json::from_str::<Value>(&first) {
        Ok(Value::Object(o)) if o.contains_key("record") => {
            if o["record"] != "scan" {
                bail!("line 1: expected the scan header (\"record\": \"scan\")");
            }
            let raw = o.into_iter().filter(|(k, _)| k != "record").collect();
            read_lines(Header { raw }, Layout::Tagged, r, v)
        }
        _ if is_document_head(&first) => {
            let head = first.trim_end();
            let head = format!("{}}}", &head[..head.len() - FILES_OPEN.len()]);
            let raw = serde_json::from_str(&head)
                .map_err(|e| anyhow!("not a kartlegg inventory: {e}"))?;
            read_lines(Header { raw }, Layout::Document, r, v)
        }
        _ => read_document(io::Cursor::new(first.into_bytes()).chain(r), v),
    }
}

/// Whether `first`, an inventory's first line, opens a JSON document in our writer's layout
/// (the header, then `"files":[`; one record per line follows).
pub(crate) fn is_document_head(first: &str) -> bool {
    first.trim_end().ends_with(FILES_OPEN)
}

/// The two layouts read a line at a time (anything else is streamed by [`read_document`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// JSON Lines: a `scan` line, `file` lines, a `summary` line, each tagged `record`.
    Tagged,
    /// A JSON document as our writer lays it out: the header and `"files":[` on the first
    /// line, one record per line, then `],"summary":…}`. Parsing each record from its own
    /// line is several times faster than one stream through the document (whose reader
    /// tracks lines and columns byte by byte), and lets the lines be parsed in parallel.
    Document,
}

/// One line, parsed.
enum Line {
    File(Box<FileRecord>),
    Summary(Box<Summary>, Option<String>),
    /// The end of a document that has no summary.
    End,
    Blank,
}

fn parse_line(layout: Layout, n: usize, line: &str) -> Result<Line> {
    if line.trim().is_empty() {
        return Ok(Line::Blank);
    }
    if layout == Layout::Document {
        return parse_document_line(n, line);
    }
    // Records are the bulk: read them straight into their type.
    if line.contains("\"record\":\"file\"") {
        let rec = serde_json::from_str::<FileRecord>(line)
            .with_context(|| format!("line {n}: not a file record"))?;
        return Ok(Line::File(Box::new(rec)));
    }
    let o: Value =
        serde_json::from_str(line).with_context(|| format!("line {n}: not JSON (truncated?)"))?;
    match o["record"].as_str() {
        Some("summary") => {
            let (s, finished) = summary_of(&o).with_context(|| format!("line {n}: summary"))?;
            Ok(Line::Summary(Box::new(s), finished))
        }
        Some("file") => Ok(Line::File(Box::new(
            FileRecord::deserialize(&o).with_context(|| format!("line {n}: not a file record"))?,
        ))),
        other => bail!("line {n}: unknown record {other:?}"),
    }
}

/// A line of our writer's document: a record (with the comma after it), or `],"summary":…}`.
fn parse_document_line(n: usize, line: &str) -> Result<Line> {
    let l = line.trim_end();
    if l.starts_with(']') {
        return Ok(match document_end(n, l)? {
            Some((s, finished)) => Line::Summary(Box::new(s), finished),
            None => Line::End,
        });
    }
    let rec = serde_json::from_str::<FileRecord>(l.strip_suffix(',').unwrap_or(l))
        .with_context(|| format!("line {n}: not a file record"))?;
    Ok(Line::File(Box::new(rec)))
}

/// The last line of our writer's document, `],"summary":…}` (`line`, line number `n`): its
/// summary and finished time, or `None` for a document without a summary.
pub(crate) fn document_end(n: usize, line: &str) -> Result<Option<(Summary, Option<String>)>> {
    let tail = line.trim_end().strip_prefix(']').unwrap_or(line);
    let end: Value = serde_json::from_str(&format!("{{{}", tail.trim_start_matches(',')))
        .with_context(|| format!("line {n}: not the end of an inventory"))?;
    end.get("summary")
        .map(|val| summary_of(val).with_context(|| format!("line {n}: summary")))
        .transpose()
}

/// Lines parsed a batch at a time on every core, in a thread of their own, while the visitor
/// takes the previous batch: parsing is most of the work of a report.
const BATCH: usize = 2048;

/// Bytes of lines a batch holds at most besides: records with thousands of findings each are
/// hundreds of kilobytes, and four batches of them (read, parsed, queued, used) held
/// hundreds of megabytes.
const BATCH_BYTES: usize = 2 << 20;

fn read_lines(
    header: Header,
    layout: Layout,
    r: impl BufRead + Send,
    v: &mut dyn Visitor,
) -> Result<()> {
    use rayon::prelude::*;
    v.header(&header)?;
    std::thread::scope(|s| {
        let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<Line>>>(2);
        s.spawn(move || {
            let mut lines = r.lines();
            let mut n = 1;
            loop {
                let mut batch = Vec::with_capacity(BATCH);
                let mut bytes = 0;
                while batch.len() < BATCH && bytes < BATCH_BYTES {
                    let Some(line) = lines.next() else { break };
                    n += 1;
                    match line {
                        Ok(l) => {
                            bytes += l.len();
                            batch.push((n, l))
                        }
                        Err(e) => {
                            let _ = tx.send(Err(anyhow!("line {n}: {e}")));
                            return;
                        }
                    }
                }
                if batch.is_empty() {
                    return;
                }
                let parsed: Result<Vec<Line>> = batch
                    .par_iter()
                    .map(|(n, l)| parse_line(layout, *n, l))
                    .collect();
                let failed = parsed.is_err();
                if tx.send(parsed).is_err() || failed {
                    return;
                }
            }
        });
        // A document ends with its `]` line; JSON Lines end where the lines do.
        let mut ended = layout == Layout::Tagged;
        for batch in rx {
            for line in batch? {
                if ended && layout == Layout::Document && !matches!(line, Line::Blank) {
                    bail!("not a kartlegg inventory: text after its end");
                }
                match line {
                    Line::File(rec) => v.file(*rec)?,
                    Line::Summary(s, finished) => {
                        ended = true;
                        v.summary(*s, finished)?
                    }
                    Line::End => ended = true,
                    Line::Blank => {}
                }
            }
        }
        if !ended {
            bail!("not a kartlegg inventory: it ends inside its list of files");
        }
        Ok(())
    })
}

/// The error a visitor returned inside serde, carried out again.
struct Failed(Option<anyhow::Error>);

fn read_document(r: impl Read, v: &mut dyn Visitor) -> Result<()> {
    let mut failed = Failed(None);
    let mut de = serde_json::Deserializer::from_reader(r);
    let res = Doc {
        v,
        failed: &mut failed,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some(e) = failed.0 {
        return Err(e);
    }
    res.map_err(|e| anyhow!("not a kartlegg inventory: {e}"))
}

struct Doc<'a> {
    v: &'a mut dyn Visitor,
    failed: &'a mut Failed,
}

impl<'de> DeserializeSeed<'de> for Doc<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl Doc<'_> {
    fn fail<E: de::Error>(&mut self, e: anyhow::Error) -> E {
        self.failed.0 = Some(e);
        E::custom("stopped")
    }
}

impl<'de> SerdeVisitor<'de> for Doc<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a kartlegg inventory object")
    }

    /// The header goes out before the first record. Our own writer puts `files` after the
    /// header; a document whose keys were reordered (sorted by a tool) has its records spilled
    /// to a temporary file until the header is complete, so memory stays flat either way. The
    /// summary goes out after the records, wherever it stood.
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut header = Header::default();
        let mut header_sent = false;
        let mut spill: Option<io::BufWriter<File>> = None;
        let mut summary: Option<Value> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "files" if header_sent || header.raw.contains_key("scan") => {
                    if !header_sent {
                        header_sent = true;
                        if let Err(e) = self.v.header(&header) {
                            return Err(self.fail(e));
                        }
                    }
                    map.next_value_seed(Files {
                        v: &mut *self.v,
                        failed: &mut *self.failed,
                    })?
                }
                "files" => {
                    let file = tempfile::tempfile().map_err(de::Error::custom)?;
                    let mut w = io::BufWriter::new(file);
                    map.next_value_seed(Spill(&mut w))?;
                    spill = Some(w);
                }
                "summary" => summary = Some(map.next_value()?),
                _ => {
                    let val: Value = map.next_value()?;
                    header.raw.insert(key, val);
                }
            }
        }
        let rest = || -> Result<()> {
            if !header_sent {
                self.v.header(&header)?;
            }
            if let Some(w) = spill {
                let mut file = w.into_inner().map_err(|e| e.into_error())?;
                io::Seek::rewind(&mut file)?;
                for line in BufReader::new(file).lines() {
                    self.v.file(serde_json::from_str(&line?)?)?;
                }
            }
            if let Some(val) = &summary {
                let (s, finished) = summary_of(val)?;
                self.v.summary(s, finished)?;
            }
            Ok(())
        };
        match rest() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }
}

/// Records written to a temporary file, one JSON line each, until they can be handed out.
struct Spill<'a>(&'a mut io::BufWriter<File>);

impl<'de> DeserializeSeed<'de> for Spill<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> SerdeVisitor<'de> for Spill<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of file records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use std::io::Write;
        while let Some(rec) = seq.next_element::<FileRecord>()? {
            serde_json::to_writer(&mut *self.0, &rec).map_err(de::Error::custom)?;
            self.0.write_all(b"\n").map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

struct Files<'a> {
    v: &'a mut dyn Visitor,
    failed: &'a mut Failed,
}

impl<'de> DeserializeSeed<'de> for Files<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> SerdeVisitor<'de> for Files<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of file records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(rec) = seq.next_element::<FileRecord>()? {
            if let Err(e) = self.v.file(rec) {
                self.failed.0 = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        header: Option<Header>,
        paths: Vec<String>,
        summary: Option<Summary>,
        finished: Option<String>,
    }

    impl Visitor for Collect {
        fn header(&mut self, h: &Header) -> Result<()> {
            assert!(self.header.is_none(), "one header");
            assert!(self.paths.is_empty(), "the header comes first");
            self.header = Some(h.clone());
            Ok(())
        }
        fn file(&mut self, rec: FileRecord) -> Result<()> {
            self.paths.push(rec.path);
            Ok(())
        }
        fn summary(&mut self, s: Summary, finished: Option<String>) -> Result<()> {
            self.summary = Some(s);
            self.finished = finished;
            Ok(())
        }
    }

    const REC_A: &str = r#"{"path":"/r/a.txt","type":"text","status":"scanned","counts":{"phone":1},"findings":[{"kind":"phone","rule":"phone","confidence":"high","location":{"line":1,"column":1},"masked":"+47********","fingerprint":"hmac-sha256:00112233445566778899aabbccddeeff"}]}"#;
    const REC_B: &str = r#"{"path":"/r/b.png","size":3,"modified":"2020-01-01T00:00:00Z","changed":"2020-01-01T00:00:00Z","accessed":"2020-01-01T00:00:00Z","owner":{"uid":0},"gid":0,"mode":"0644","type":"png","status":"skipped","reason":"media","counts":{},"findings":[]}"#;

    fn read_str(s: &str) -> Result<Collect> {
        let mut c = Collect::default();
        read_from(s.as_bytes(), &mut c)?;
        Ok(c)
    }

    #[test]
    fn a_json_document_streams_its_records() {
        let doc = format!(
            "{{\"schema_version\":\"1.0\",\"tool\":{{\"name\":\"kartlegg\"}},\"scan\":{{\"roots\":[\"/r\"],\"fingerprints\":{{\"key\":\"provided\",\"key_id\":\"x\"}}}},\"files\":[\n{REC_A},\n{REC_B}\n],\"summary\":{{\"finished\":\"2026-01-01T00:00:00Z\",\"files_seen\":2,\"findings\":1}}}}\n"
        );
        let c = read_str(&doc).unwrap();
        let h = c.header.unwrap();
        assert_eq!(h.roots(), ["/r"]);
        assert_eq!(
            h.key(),
            KeyKind::Provided {
                id: Some("x".into())
            }
        );
        assert_eq!(c.paths, ["/r/a.txt", "/r/b.png"]);
        assert_eq!(c.summary.unwrap().files_seen, 2);
        assert_eq!(c.finished.as_deref(), Some("2026-01-01T00:00:00Z"));
        // Our writer's layout is read a line at a time; the same document on one line goes
        // through the streaming parser, and reads the same.
        let one_line = doc.replace('\n', "");
        let d = read_str(&one_line).unwrap();
        assert_eq!(d.header.unwrap().raw, h.raw);
        assert_eq!(d.paths, c.paths);
        assert_eq!(d.finished, c.finished);
        // Cut inside a record, or before the end of the list: an error, never a short list.
        let e = read_str(&doc[..doc.find(REC_B).unwrap() + 20])
            .err()
            .unwrap();
        assert!(format!("{e:#}").contains("line 3"), "{e:#}");
        let e = read_str(&doc[..doc.find("\n],").unwrap() + 1])
            .err()
            .unwrap();
        assert!(format!("{e:#}").contains("ends inside"), "{e:#}");
        let e = read_str(&format!("{doc}{REC_A}\n")).err().unwrap();
        assert!(format!("{e:#}").contains("after its end"), "{e:#}");
    }

    #[test]
    fn a_document_with_sorted_keys_is_read_the_same() {
        let v: Value = serde_json::from_str(&format!(
            "{{\"schema_version\":\"1.0\",\"tool\":{{\"name\":\"kartlegg\"}},\"scan\":{{\"roots\":[\"/r\"],\"options\":{{\"reveal\":true}}}},\"files\":[{REC_A},{REC_B}],\"summary\":{{\"files_seen\":2}}}}"
        ))
        .unwrap();
        // serde_json's maps are sorted: files, scan, schema_version, summary, tool.
        let c = read_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert!(
            c.header.unwrap().reveal(),
            "the header is complete before the records"
        );
        assert_eq!(c.paths, ["/r/a.txt", "/r/b.png"]);
        assert_eq!(c.summary.unwrap().files_seen, 2);
    }

    #[test]
    fn json_lines_stream_and_a_missing_summary_is_no_error() {
        let tag = |s: &str| s.replacen('{', "{\"record\":\"file\",", 1);
        let lines = format!(
            "{{\"record\":\"scan\",\"schema_version\":\"1.0\",\"tool\":{{\"name\":\"kartlegg\"}},\"scan\":{{\"roots\":[\"/r\"],\"fingerprints\":{{\"key\":\"random per scan\"}}}}}}\n{}\n{}\n",
            tag(REC_A),
            tag(REC_B)
        );
        let c = read_str(&lines).unwrap();
        assert_eq!(c.header.unwrap().key(), KeyKind::Random);
        assert_eq!(c.paths.len(), 2);
        assert!(c.summary.is_none());
        // A truncated last line is an error that names the line.
        let cut = &lines[..lines.len() - 20];
        let e = read_str(cut).err().unwrap();
        assert!(format!("{e:#}").contains("line 3"), "{e:#}");
    }

    #[test]
    fn what_is_not_an_inventory_is_refused() {
        assert!(read_str("").is_err());
        assert!(read_str("[1,2,3]\n").is_err());
        assert!(read_str("{\"files\": [{\"path\": 3}]}").is_err());
        // Well-formed JSON of another kind: refused as such before anything reads its fields.
        for other in [
            "{\"hello\":\"world\"}\n",
            "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[]}\n",
            "{\"record\":\"scan\",\"scan\":{\"roots\":[\"/r\"]}}\n",
            "{\"schema_version\":\"1.0\",\"tool\":{\"name\":\"other\"},\"scan\":{},\"files\":[\n],\"summary\":{}}\n",
        ] {
            let e = read_str(other).err().expect(other);
            assert!(format!("{e:#}").contains("not a kartlegg inventory"), "{e:#}");
        }
    }
}
