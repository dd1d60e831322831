//! The CI gate's line outputs: one line per failing finding, plain (`--format text-lines`) or
//! as GitHub Actions workflow commands (`--format github`). Both show the mask only.

use std::io::{self, Write};

use super::target::Target;
use super::{baseline, Hit, Source, Verdict, ALLOW_MARKER};
use crate::extract::{Column, Location};

/// What to do about a failing finding.
pub(crate) fn advice() -> String {
    format!(
        "remove it, or record a reviewed exception in {}",
        baseline::FILE_NAME
    )
}

/// `path:line:column` when the finding has a line, else the path and what locates it inside
/// (sheet, cell, page...).
pub(crate) fn place(hit: &Hit) -> String {
    let l = &hit.finding.location;
    match (l.line, super::char_column(l)) {
        (Some(line), Some(c)) => format!("{}:{line}:{c}", hit.path),
        (Some(line), None) => format!("{}:{line}", hit.path),
        _ => match inner_place(l) {
            Some(p) => format!("{} ({p})", hit.path),
            None => hit.path.clone(),
        },
    }
}

/// The parts of a location other than line and column, such as `sheet Kunder, cell B14`.
pub(crate) fn inner_place(l: &Location) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = l.page {
        parts.push(format!("page {p}"));
    }
    if let Some(s) = &l.sheet {
        parts.push(format!("sheet {s}"));
    }
    if let Some(c) = &l.cell {
        parts.push(format!("cell {c}"));
    }
    if let Some(t) = &l.table {
        parts.push(format!("table {t}"));
    }
    if let Some(m) = l.message {
        parts.push(format!("message {m}"));
    }
    if let Some(p) = &l.part {
        parts.push(format!("part {p}"));
    }
    if let Some(j) = &l.json_path {
        parts.push(j.clone());
    }
    if let Some(r) = l.row {
        parts.push(format!("row {r}"));
    }
    match &l.column {
        Some(Column::Name(c)) => parts.push(format!("column {c}")),
        Some(Column::Number(c)) if super::char_column(l).is_none() => {
            parts.push(format!("column {c}"))
        }
        _ => {}
    }
    if let Some(o) = l.offset {
        parts.push(format!("offset {o}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `fodselsnummer (high) 130********`, plus where inside the file when a line is not all
/// (`in part word/document.xml`), plus the introducing commit in history scans.
pub(crate) fn what(hit: &Hit) -> String {
    let f = &hit.finding;
    let mut s = format!("{} ({}) {}", f.kind, f.confidence.as_str(), f.masked);
    // With a line, `place` shows only line and column: say where inside (a slide, a part).
    if let (Some(_), Some(inner)) = (f.location.line, inner_place(&f.location)) {
        s.push_str(&format!(" in {inner}"));
    }
    if let Some(c) = &hit.commit {
        s.push_str(&format!(" added in {}", &c[..c.len().min(12)]));
    }
    s
}

/// At most this many targets in the `baseline add` command that the advice prints.
const MAX_TARGETS: usize = 10;

/// What a blocked developer can do, with the exact command for the baseline: printed after
/// the findings when some fail.
/// `carried` are the run's options that decide what fails and where the baseline is, as
/// shell words: the command must find the same findings failing, and write the baseline the
/// run reads.
pub(crate) fn ways_out(hits: &[Hit], source: &Source, carried: &[String]) -> String {
    let failing: Vec<&Hit> = hits.iter().filter(|h| h.verdict == Verdict::Fail).collect();
    let mut targets: Vec<String> = failing.iter().map(|h| Target::of(h).shell_arg()).collect();
    targets.dedup();
    let mut cmd = String::from("kartlegg baseline add");
    if let Some(flag) = source.cli_flag() {
        cmd.push(' ');
        cmd.push_str(&flag);
    }
    for word in carried {
        cmd.push(' ');
        cmd.push_str(word);
    }
    if targets.len() <= MAX_TARGETS {
        cmd.push(' ');
        cmd.push_str(&targets.join(" "));
    }
    cmd.push_str(" --reason \"<why it is acceptable>\"");
    let all = if targets.len() > MAX_TARGETS {
        " (without targets: every finding that fails)"
    } else {
        ""
    };
    format!(
        "kartlegg: {n} finding(s) fail. Three ways out, for each:\n  \
         1. remove the value (test data: use a synthetic number, month + 80, see docs/identifiers.md);\n  \
         2. or allow it where it is, in a comment on its line or the line above: {ALLOW_MARKER} <why> (not possible in JSON: use 3);\n  \
         3. or record a reviewed exception{all}:\n       \
         {cmd}\n     \
         and commit {baseline} with your change.\n",
        n = failing.len(),
        baseline = baseline::FILE_NAME,
    )
}

/// `s` on one line: control characters (a newline in a file name) as `\xHH`. Under GitHub
/// Actions a line of output that starts with `::` is a workflow command.
pub(crate) fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// One line per failing finding.
pub(crate) fn write_text(out: &mut dyn Write, hits: &[Hit]) -> io::Result<()> {
    for h in hits.iter().filter(|h| h.verdict == Verdict::Fail) {
        writeln!(out, "{}: {} — {}", place(h), what(h), advice())?;
    }
    Ok(())
}

/// One `::error` workflow command per failing finding; GitHub shows them on the diff.
pub(crate) fn write_github(out: &mut dyn Write, hits: &[Hit]) -> io::Result<()> {
    for h in hits.iter().filter(|h| h.verdict == Verdict::Fail) {
        let l = &h.finding.location;
        let mut props = format!("file={}", property(&h.file));
        // Only a line of the file itself: GitHub shows the annotation on it.
        if let Some(line) = h.file_line() {
            props.push_str(&format!(",line={line}"));
            if let Some(c) = super::char_column(l) {
                props.push_str(&format!(",col={c}"));
            }
        }
        props.push_str(&format!(
            ",title={}",
            property(&format!("kartlegg: {}", h.finding.kind))
        ));
        writeln!(
            out,
            "::error {props}::{}",
            data(&format!("{}: {} — {}", place(h), what(h), advice()))
        )?;
    }
    Ok(())
}

/// Escapes a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(data("x: y, 50%"), "x: y, 50%25");
    }
}
