//! JSON and JSON Lines writers, and the output file that only appears when complete.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{FileRecord, Report, Summary};

/// Where the inventory goes: standard output, or a file written under a `.partial` name and
/// renamed into place when the scan ends (a reader never sees a half-written inventory; a
/// crash leaves the `.partial` file with every record written so far).
pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    File {
        w: BufWriter<File>,
        partial: PathBuf,
        target: PathBuf,
    },
}

impl Output {
    /// The temporary name used for `target` while the scan runs.
    pub fn partial_path(target: &Path) -> PathBuf {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        target.with_file_name(name)
    }

    pub fn file(target: &Path) -> io::Result<Output> {
        let partial = Self::partial_path(target);
        let f = File::create(&partial)?;
        Ok(Output::File {
            w: BufWriter::with_capacity(256 * 1024, f),
            partial,
            target: target.to_path_buf(),
        })
    }

    pub fn stdout() -> Output {
        Output::Stdout(BufWriter::new(io::stdout()))
    }

    /// Flushes, and for a file, syncs and renames it into place.
    pub fn commit(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { w, partial, target } => {
                w.flush()?;
                w.get_ref().sync_all()?;
                std::fs::rename(partial, target)
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { w, .. } => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { w, .. } => w.flush(),
        }
    }
}

fn json_err(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
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

/// One JSON document: `{schema_version, tool, scan, files: [...], summary}`, streamed.
pub struct JsonReport {
    out: Output,
    first: bool,
}

impl JsonReport {
    /// Writes the opening of the document with `header` (an object) spliced in.
    pub fn new(mut out: Output, header: &serde_json::Value) -> io::Result<JsonReport> {
        let head = serde_json::to_string(header).map_err(json_err)?;
        let head = head.strip_suffix('}').unwrap_or(&head);
        out.write_all(head.as_bytes())?;
        out.write_all(b",\"files\":[")?;
        Ok(JsonReport { out, first: true })
    }
}

impl Report for JsonReport {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, rec).map_err(json_err)
    }

    fn finish(&mut self, summary: &Summary, finished: &str) -> io::Result<()> {
        self.out.write_all(b"\n],\"summary\":")?;
        serde_json::to_writer(&mut self.out, &Finished { finished, summary }).map_err(json_err)?;
        self.out.write_all(b"}\n")?;
        self.out.commit()
    }
}

/// JSON Lines: a `scan` line, one `file` line per file (flushed as written), a `summary` line;
/// each line says which in its `record` field.
pub struct JsonlReport {
    out: Output,
}

impl JsonlReport {
    pub fn new(mut out: Output, header: &serde_json::Value) -> io::Result<JsonlReport> {
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
        Ok(JsonlReport { out })
    }
}

impl Report for JsonlReport {
    fn file(&mut self, rec: &FileRecord) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &Tagged {
                tag: "file",
                inner: rec,
            },
        )
        .map_err(json_err)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary, finished: &str) -> io::Result<()> {
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
