//! What crosses the pipes between the scan and its worker processes.
//!
//! Frames are `[tag: u8][length: u32 LE][payload]`. Paths and blobs travel as raw bytes (a
//! path need not be UTF-8, a blob need not be text); the worker's settings and its records
//! travel as JSON, the records in exactly the shape the inventory writes plus the totals the
//! summary needs (so a record's text can go to a JSON inventory as it came: [`Reply::Text`]).
//! Nothing here is written to disk.

use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::carry::{self, Carried};
use super::Done;

/// Frame tags.
const INIT: u8 = 1;
const FILE: u8 = 2;
const BYTES: u8 = 3;
const RECORD: u8 = 4;
const FINISHED: u8 = 5;
const BLOB: u8 = 6;

/// The largest frame accepted: a blob for the CI gate can be large, a record has at most
/// `--max-findings-per-file` findings.
const MAX_FRAME: usize = 1 << 31;

/// Work for a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    /// A file on disk, by path.
    File { id: u64, path: PathBuf },
    /// Content in memory (a git blob), scanned as if it were a file called `name`.
    Bytes {
        id: u64,
        name: String,
        data: Vec<u8>,
    },
    /// A git blob too large to send, in the file `path` (a `/proc/<pid>/fd/<n>` link to a file
    /// with no name), scanned as if it were a file called `name`.
    Blob {
        id: u64,
        name: String,
        path: PathBuf,
    },
}

impl Job {
    pub(crate) fn id(&self) -> u64 {
        match self {
            Job::File { id, .. } | Job::Bytes { id, .. } | Job::Blob { id, .. } => *id,
        }
    }
}

/// From a worker: one record of a job (members before their container), or the end of a job.
#[derive(Debug)]
pub(crate) enum Reply {
    Record {
        job: u64,
        done: Box<Done>,
    },
    /// A record as the JSON inventory writes it (see [`super::Out::Text`]).
    Text(Box<Carried>),
    Finished {
        job: u64,
    },
}

fn write_frame(w: &mut dyn Write, tag: u8, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len = u32::try_from(len).map_err(|_| io::Error::other("frame too large"))?;
    w.write_all(&[tag])?;
    w.write_all(&len.to_le_bytes())?;
    for p in parts {
        w.write_all(p)?;
    }
    Ok(())
}

/// Reads one frame; `None` at a clean end of stream.
fn read_frame(r: &mut dyn Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head[..1]) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    r.read_exact(&mut head[1..])?;
    let len = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::other("frame too large"));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok(Some((head[0], payload)))
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad {what} frame"))
}

fn u64_at(p: &[u8], at: usize) -> io::Result<u64> {
    p.get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| bad("job"))
}

/// The worker's settings, sent once at start.
pub(crate) fn write_init<T: Serialize>(w: &mut dyn Write, init: &T) -> io::Result<()> {
    let json = serde_json::to_vec(init).map_err(io::Error::other)?;
    write_frame(w, INIT, &[&json])
}

pub(crate) fn read_init<T: for<'de> Deserialize<'de>>(r: &mut dyn Read) -> io::Result<T> {
    match read_frame(r)? {
        Some((INIT, p)) => serde_json::from_slice(&p).map_err(io::Error::other),
        _ => Err(bad("init")),
    }
}

pub(crate) fn write_job(w: &mut dyn Write, job: &Job) -> io::Result<()> {
    match job {
        Job::File { id, path } => {
            write_frame(w, FILE, &[&id.to_le_bytes(), path.as_os_str().as_bytes()])
        }
        Job::Bytes { id, name, data } => write_named(w, BYTES, *id, name, data),
        Job::Blob { id, name, path } => {
            write_named(w, BLOB, *id, name, path.as_os_str().as_bytes())
        }
    }
}

/// A job frame of an id, a name and the rest (`[id: u64][name length: u32][name][rest]`).
fn write_named(w: &mut dyn Write, tag: u8, id: u64, name: &str, rest: &[u8]) -> io::Result<()> {
    let name_len = u32::try_from(name.len()).map_err(|_| bad("job"))?;
    write_frame(
        w,
        tag,
        &[
            &id.to_le_bytes(),
            &name_len.to_le_bytes(),
            name.as_bytes(),
            rest,
        ],
    )
}

/// The name and the rest of a frame [`write_named`] wrote.
fn read_named(p: &[u8]) -> io::Result<(String, Vec<u8>)> {
    let n = p
        .get(8..12)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or_else(|| bad("job"))?;
    let name = p.get(12..12 + n).ok_or_else(|| bad("job"))?;
    Ok((
        String::from_utf8(name.to_vec()).map_err(|_| bad("job"))?,
        p[12 + n..].to_vec(),
    ))
}

/// The next job; `None` when the scan closed the pipe (no more work).
pub(crate) fn read_job(r: &mut dyn Read) -> io::Result<Option<Job>> {
    let Some((tag, p)) = read_frame(r)? else {
        return Ok(None);
    };
    let id = u64_at(&p, 0)?;
    Ok(Some(match tag {
        FILE => Job::File {
            id,
            path: PathBuf::from(std::ffi::OsString::from_vec(p[8..].to_vec())),
        },
        BYTES => {
            let (name, data) = read_named(&p)?;
            Job::Bytes { id, name, data }
        }
        BLOB => {
            let (name, path) = read_named(&p)?;
            Job::Blob {
                id,
                name,
                path: PathBuf::from(std::ffi::OsString::from_vec(path)),
            }
        }
        _ => return Err(bad("job")),
    }))
}

pub(crate) fn write_record(w: &mut dyn Write, job: u64, done: &Done) -> io::Result<()> {
    let json = serde_json::to_vec(&done.rec).map_err(io::Error::other)?;
    write_frame(w, RECORD, &[&carry::head(job, done, &json), &json])
}

pub(crate) fn write_finished(w: &mut dyn Write, job: u64) -> io::Result<()> {
    write_frame(w, FINISHED, &[&job.to_le_bytes()])
}

/// The next reply; `None` when the worker closed its end (it exited). With `text`, records
/// come as [`Reply::Text`].
pub(crate) fn read_reply(r: &mut dyn Read, text: bool) -> io::Result<Option<Reply>> {
    let Some((tag, p)) = read_frame(r)? else {
        return Ok(None);
    };
    Ok(Some(match tag {
        RECORD if text => Reply::Text(Box::new(carry::text(p).map_err(io::Error::other)?)),
        RECORD => {
            let (job, done) = carry::whole(&p).map_err(io::Error::other)?;
            Reply::Record {
                job,
                done: Box::new(done),
            }
        }
        FINISHED => Reply::Finished {
            job: u64_at(&p, 0)?,
        },
        _ => return Err(bad("reply")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FileRecord, Finding};

    #[test]
    fn jobs_and_records_survive_the_pipe() {
        let mut buf = Vec::new();
        let path = PathBuf::from(std::ffi::OsString::from_vec(b"dir/a\xff.txt".to_vec()));
        let jobs = [
            Job::File { id: 7, path },
            Job::Bytes {
                id: 8,
                name: "x.zip".into(),
                data: vec![0, 1, 2, 255],
            },
            Job::Blob {
                id: 9,
                name: "data/kunder.csv".into(),
                path: "/proc/1/fd/7".into(),
            },
        ];
        for j in &jobs {
            write_job(&mut buf, j).unwrap();
        }
        let mut r = &buf[..];
        for j in &jobs {
            assert_eq!(read_job(&mut r).unwrap().as_ref(), Some(j));
        }
        assert_eq!(read_job(&mut r).unwrap(), None, "end of stream");

        let mut rec = FileRecord::new("a.txt".into(), None);
        rec.findings.push(Finding {
            kind: "fodselsnummer",
            rule: "fodselsnummer",
            confidence: crate::detect::Confidence::High,
            location: crate::extract::Location {
                line: Some(3),
                ..Default::default()
            },
            masked: "130********".into(),
            fingerprint: "ab".into(),
            checksum: Some("classic"),
            synthetic: false,
            role: false,
            iban: false,
            recovered_leading_zero: false,
            scope: None,
            ocr: false,
            value: None,
            context: None,
            date: None,
        });
        rec.counts.insert("fodselsnummer", 1);
        rec.tally
            .add("fodselsnummer", crate::detect::Confidence::High, false, 42);
        let done = Done {
            rec: rec.clone(),
            bytes: 12,
            noatime: Some(true),
        };
        let mut buf = Vec::new();
        write_record(&mut buf, 7, &done).unwrap();
        write_finished(&mut buf, 7).unwrap();
        let mut r = &buf[..];
        match read_reply(&mut r, false).unwrap() {
            Some(Reply::Record { job: 7, done: back }) => {
                assert_eq!(back.rec, rec);
                assert_eq!((back.bytes, back.noatime), (12, Some(true)));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_reply(&mut r, false).unwrap(),
            Some(Reply::Finished { job: 7 })
        ));

        // As text: the record as the inventory writes it, and what the totals read of it.
        match read_reply(&mut &buf[..], true).unwrap() {
            Some(Reply::Text(c)) => {
                assert_eq!(c.json(), serde_json::to_vec(&rec).unwrap());
                assert_eq!((c.job(), c.bytes(), c.noatime()), (7, 12, Some(true)));
                assert_eq!(c.path(), rec.path);
                assert_eq!(c.figures().total, rec.total());
            }
            other => panic!("{other:?}"),
        }
    }
}
