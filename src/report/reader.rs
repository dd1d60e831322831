//! Reading inventories back (for `kartlegg merge`): a JSON document or JSON Lines, streamed,
//! so an inventory of ten million files is never held in memory.
//!
//! A JSON inventory is read with serde's streaming visitor: the header's fields as values,
//! each file as a [`FileRecord`] handed on as soon as it is parsed, the summary. JSON Lines
//! (recognised by their first bytes, `{"record":`) are read line by line.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{FileRecord, Summary};

/// An inventory's header: every top-level field but `files` and `summary`.
pub type Header = Map<String, Value>;

/// The end of an inventory: its summary and when it finished.
#[derive(Debug, Clone)]
pub struct Tail {
    pub summary: Summary,
    pub finished: String,
    /// Files listed.
    pub files: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not a kartlegg inventory: {detail}")]
    Format { path: String, detail: String },
}

/// What to do with each file record; an error stops the reading.
pub type OnFile<'f> = dyn FnMut(FileRecord) -> Result<(), String> + 'f;

/// Reads the header of the inventory at `path` (and nothing after it).
pub fn header(path: &Path) -> Result<Header, ReadError> {
    read(path, None).map(|(h, _)| h)
}

/// Reads the whole inventory at `path`, giving each file record to `on_file` in the order
/// they are listed.
pub fn records(path: &Path, on_file: &mut OnFile<'_>) -> Result<(Header, Tail), ReadError> {
    let (h, tail) = read(path, Some(on_file))?;
    let tail = tail.ok_or_else(|| ReadError::Format {
        path: path.display().to_string(),
        detail: "no summary (an unfinished inventory?)".into(),
    })?;
    Ok((h, tail))
}

fn read(
    path: &Path,
    on_file: Option<&mut OnFile<'_>>,
) -> Result<(Header, Option<Tail>), ReadError> {
    let name = path.display().to_string();
    let io_err = |source| ReadError::Io {
        path: name.clone(),
        source,
    };
    let mut r = BufReader::with_capacity(1 << 20, File::open(path).map_err(io_err)?);
    let lines = r.fill_buf().map_err(io_err)?.starts_with(b"{\"record\":");
    let mut doc = Doc {
        on_file,
        header: Map::new(),
        tail: None,
        files: 0,
        stopped: false,
    };
    let result = if lines {
        doc.lines(&mut r).map_err(|e| match e {
            LineError::Io(e) => io_err(e),
            LineError::Format(detail) => ReadError::Format {
                path: name.clone(),
                detail,
            },
        })
    } else {
        let mut de = serde_json::Deserializer::from_reader(&mut r);
        let parsed = de::Deserializer::deserialize_map(&mut de, &mut doc);
        match parsed {
            // Stopped after the header, as asked.
            Err(_) if doc.stopped => Ok(()),
            Err(e) => Err(e),
            Ok(()) => de.end(),
        }
        .map_err(|e| ReadError::Format {
            path: name.clone(),
            detail: e.to_string(),
        })
    };
    result?;
    Ok((doc.header, doc.tail))
}

struct Doc<'f, 'g> {
    /// `None`: read the header only.
    on_file: Option<&'f mut OnFile<'g>>,
    header: Header,
    tail: Option<Tail>,
    files: u64,
    /// Set when reading stopped after the header on purpose.
    stopped: bool,
}

enum LineError {
    Io(io::Error),
    Format(String),
}

/// The summary object of an inventory, with its `finished` time.
fn tail(mut v: Value, files: u64) -> Result<Tail, String> {
    let finished = v
        .as_object_mut()
        .and_then(|o| o.remove("finished"))
        .and_then(|f| f.as_str().map(str::to_string))
        .ok_or("the summary has no finished time")?;
    let summary = serde_json::from_value(v).map_err(|e| format!("summary: {e}"))?;
    Ok(Tail {
        summary,
        finished,
        files,
    })
}

impl Doc<'_, '_> {
    fn file(&mut self, rec: FileRecord) -> Result<(), String> {
        self.files += 1;
        match &mut self.on_file {
            Some(f) => f(rec),
            None => Ok(()),
        }
    }

    fn lines(&mut self, r: &mut impl BufRead) -> Result<(), LineError> {
        let mut line = Vec::new();
        let mut n = 0u64;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).map_err(LineError::Io)? == 0 {
                return Ok(());
            }
            n += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let bad = |e: String| LineError::Format(format!("line {n}: {e}"));
            let mut v: Value = serde_json::from_slice(&line).map_err(|e| bad(e.to_string()))?;
            let tag = v
                .as_object_mut()
                .and_then(|o| o.remove("record"))
                .and_then(|t| t.as_str().map(str::to_string));
            match tag.as_deref() {
                Some("scan") => {
                    self.header = match v {
                        Value::Object(o) => o,
                        _ => return Err(bad("not an object".into())),
                    };
                    if self.on_file.is_none() {
                        return Ok(());
                    }
                }
                Some("file") => {
                    let rec = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
                    self.file(rec).map_err(bad)?;
                }
                Some("summary") => self.tail = Some(tail(v, self.files).map_err(bad)?),
                _ => return Err(bad("a line without a known \"record\"".into())),
            }
        }
    }
}

impl<'de> Visitor<'de> for &mut Doc<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kartlegg inventory (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // kartlegg writes the header first; another writer's order costs a pass over
                // the files.
                "files" if self.on_file.is_none() => {
                    if ["schema_version", "tool", "scan"]
                        .iter()
                        .all(|k| self.header.contains_key(*k))
                    {
                        self.stopped = true;
                        return Err(de::Error::custom("stopped after the header"));
                    }
                    map.next_value::<de::IgnoredAny>()?;
                }
                "files" => map.next_value_seed(Files(&mut *self))?,
                "summary" => {
                    let v: Value = map.next_value()?;
                    self.tail = Some(tail(v, self.files).map_err(de::Error::custom)?);
                }
                _ => {
                    let v: Value = map.next_value()?;
                    self.header.insert(key, v);
                }
            }
        }
        Ok(())
    }
}

/// The `files` array, one record at a time.
struct Files<'d, 'f, 'g>(&'d mut Doc<'f, 'g>);

impl<'de> DeserializeSeed<'de> for Files<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Files<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of file records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(rec) = seq.next_element::<FileRecord>()? {
            self.0.file(rec).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an inventory written from `bytes`.
    fn read_bytes(bytes: &[u8], on_file: &mut OnFile<'_>) -> Result<(Header, Tail), ReadError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("inv");
        std::fs::write(&p, bytes).unwrap();
        records(&p, on_file)
    }

    const DOC: &str = r#"{"scan":{"roots":["/r"]},"schema_version":"1.0","tool":{"name":"kartlegg"},"files":[
{"path":"/r/a","type":"text","status":"scanned","counts":{},"findings":[]},
{"path":"/r/b","type":"text","status":"scanned","counts":{},"findings":[]}
],"summary":{"finished":"2026-01-01T00:00:00.000Z","files_seen":2,"files_scanned":2,"files_partial":0,"files_skipped":0,"files_errored":0,"files_encrypted":0,"files_unsupported":0,"files_limit_exceeded":0,"files_excluded":0,"files_with_findings":0,"unscanned_by_reason":{},"bytes_read":2,"findings":0,"findings_by_kind":{},"findings_by_confidence":{},"distinct_by_kind":{},"synthetic":0,"atime":{"preserved":true,"noatime_opens":2,"plain_opens":0,"dirs_noatime":1,"dirs_plain":0}}}
"#;

    #[test]
    fn a_json_document_streams_its_files() {
        let mut paths = Vec::new();
        let (h, tail) = read_bytes(DOC.as_bytes(), &mut |r| {
            paths.push(r.path);
            Ok(())
        })
        .unwrap();
        assert_eq!(paths, ["/r/a", "/r/b"]);
        assert_eq!(h["scan"]["roots"][0], "/r");
        assert!(!h.contains_key("files") && !h.contains_key("summary"));
        assert_eq!((tail.files, tail.summary.files_seen), (2, 2));
        assert_eq!(tail.finished, "2026-01-01T00:00:00.000Z");
    }

    #[test]
    fn json_lines_read_the_same() {
        let v: Value = serde_json::from_str(DOC).unwrap();
        let mut text = String::new();
        let mut head = v.as_object().unwrap().clone();
        head.remove("files");
        head.remove("summary");
        let line = |tag: &str, o: &Value| {
            let mut m = Map::new();
            m.insert("record".into(), tag.into());
            m.extend(o.as_object().unwrap().clone());
            serde_json::to_string(&m).unwrap() + "\n"
        };
        text += &line("scan", &Value::Object(head));
        for f in v["files"].as_array().unwrap() {
            text += &line("file", f);
        }
        text += &line("summary", &v["summary"]);
        let mut n = 0;
        let (h, tail) = read_bytes(text.as_bytes(), &mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!((n, tail.files), (2, 2));
        assert_eq!(h["tool"]["name"], "kartlegg");
    }

    #[test]
    fn a_cut_or_foreign_document_is_an_error_not_a_short_inventory() {
        let cut = &DOC[..DOC.find("],\"summary\"").unwrap()];
        let e = read_bytes(cut.as_bytes(), &mut |_| Ok(())).unwrap_err();
        assert!(matches!(e, ReadError::Format { .. }), "{e}");
        let e = read_bytes(b"[1,2]", &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("not a kartlegg inventory"), "{e}");
        // The callback can refuse a record.
        let e = read_bytes(DOC.as_bytes(), &mut |_| Err("no".into())).unwrap_err();
        assert!(e.to_string().contains("no"), "{e}");
    }
}
