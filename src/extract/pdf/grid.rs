//! Tables on a page, rebuilt from where the glyphs stand.
//!
//! A PDF has no tables, only strings placed on the page; read line by line, a table's cells
//! run together (`130972-48022 0047` / `92345678`) and a value that wraps inside its narrow
//! cell (`kari.nordma` / `nn@example.no`) is cut in two. So a page's spans are kept
//! ([`PageSpans`], at most [`MAX_SPANS`] spans and [`MAX_TEXT`] bytes: beyond that the page
//! is read line by line as before, in bounded memory) and looked at whole when it ends:
//!
//! * Spans on one baseline make a line; within a line, a gap wider than [`CELL_GAP`] ems
//!   separates pieces. Lines close together with at least two pieces each are a candidate.
//! * Its columns start where pieces start at the same x on at least two lines (a tolerance of
//!   [`ALIGN`] points). Every piece of a table's lines starts at a column and ends before the
//!   next (a line of prose across the columns ends the table), and a third of its lines have
//!   several pieces (prose with a few marks in its margin is no table). Ruling lines are not
//!   needed: alignment is what a reader sees.
//! * Rows: lines whose baselines are closer than the table's usual row distance are the
//!   wrapped lines of one row (cell padding makes rows stand further apart than lines).
//! * A cell's lines are joined with a space, or with nothing where the break is inside an
//!   e-mail address or after a hyphen ([`join_wrapped`]).
//!
//! The page's text is then what it was, except that each table becomes one line per row,
//! its cells apart (a tab between them), and each data cell a chunk of its own with its
//! column's header as context, as office tables and spreadsheets give it (`Fnr`, `Mobil`,
//! `E-post`). A page without a table reads exactly as the line flow reads it.

use super::content::{Span, Spans};
use super::layout::{self, Flow, Joint};
use crate::detect::{Detector, Header};

/// Spans kept per page for the table pass.
pub(crate) const MAX_SPANS: usize = 100_000;
/// Bytes of text kept per page for the table pass.
pub(crate) const MAX_TEXT: usize = 1 << 20;
/// A gap between two spans on a line wider than this many ems separates two pieces (cells
/// are padded apart; words are a third of an em apart).
const CELL_GAP: f32 = 0.5;
/// Points within which piece starts count as aligned.
const ALIGN: f32 = 2.0;
/// Columns a table may have: more aligned starts than this are not a table a person reads.
const MAX_COLUMNS: usize = 64;
/// Baselines further apart than this many ems are not in the same table.
const MAX_LINE_GAP: f32 = 4.0;
/// Baselines further apart than this many times the closest pair of a table start a row.
const ROW_BREAK: f32 = 1.3;

/// A span kept for the page's layout: its text in the page's buffer, where it stands.
#[derive(Debug, Clone, Copy)]
struct Kept {
    text: (u32, u32),
    start: (f32, f32),
    end: (f32, f32),
    dir: (f32, f32),
    size: f32,
}

impl Kept {
    fn horizontal(&self) -> bool {
        self.dir.0 > 0.999 && self.end.0 >= self.start.0
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Span(u32),
    Block,
}

/// The spans of one page, kept for the table pass and handed to the line flow after it.
pub(crate) struct PageSpans<'f, 'w, 's> {
    flow: &'f mut Flow<'w, 's>,
    det: &'f Detector,
    carried: &'f mut Carried,
    text: String,
    kept: Vec<Kept>,
    events: Vec<Event>,
    /// Over the caps: spans go straight to the flow.
    direct: bool,
}

impl<'f, 'w, 's> PageSpans<'f, 'w, 's> {
    /// A page's spans on their way to `flow`; `carried` is the headers of the last table
    /// of the pages before.
    pub(crate) fn new(
        flow: &'f mut Flow<'w, 's>,
        det: &'f Detector,
        carried: &'f mut Carried,
    ) -> Self {
        PageSpans {
            flow,
            det,
            carried,
            text: String::new(),
            kept: Vec::new(),
            events: Vec::new(),
            direct: false,
        }
    }

    /// The page has ended: its tables are found, and its text handed to the flow.
    pub(crate) fn finish(mut self) {
        if self.direct {
            return;
        }
        let tables = find_tables(&self.text, &self.kept);
        let mut table_of = vec![usize::MAX; self.kept.len()];
        for (t, table) in tables.iter().enumerate() {
            for &i in &table.spans {
                table_of[i] = t;
            }
        }
        let mut done = vec![false; tables.len()];
        for ev in std::mem::take(&mut self.events) {
            match ev {
                Event::Block => self.flow.block(),
                Event::Span(i) => match table_of[i as usize] {
                    usize::MAX => self.flow.span(&span_of(&self.text, &self.kept[i as usize])),
                    t if !done[t] => {
                        done[t] = true;
                        self.table(&tables[t]);
                    }
                    _ => {}
                },
            }
        }
    }

    /// Hands a table to the flow. A table without a header row laid out in the columns of
    /// the last table that had one (on this page or before: a table continued on the next
    /// page) takes that table's headers.
    fn table(&mut self, grid: &Grid) {
        let same = |c: &Vec<f32>| {
            c.len() == grid.cols.len()
                && c.iter()
                    .zip(&grid.cols)
                    .all(|(a, b)| (a - b).abs() <= ALIGN)
        };
        let inherited = self
            .carried
            .as_ref()
            .filter(|(c, _)| same(c))
            .map(|(_, h)| h.as_slice());
        let headers = self.flow.table(&grid.rows, self.det, inherited);
        *self.carried = (!headers.is_empty()).then(|| (grid.cols.clone(), headers));
    }

    /// Over a cap: what was kept goes to the flow, and so will the rest of the page.
    fn go_direct(&mut self) {
        self.direct = true;
        for ev in std::mem::take(&mut self.events) {
            match ev {
                Event::Block => self.flow.block(),
                Event::Span(i) => self.flow.span(&span_of(&self.text, &self.kept[i as usize])),
            }
        }
        self.kept = Vec::new();
        self.text = String::new();
    }
}

impl Spans for PageSpans<'_, '_, '_> {
    fn span(&mut self, s: &Span<'_>) {
        if !self.direct
            && (self.kept.len() >= MAX_SPANS || self.text.len() + s.text.len() > MAX_TEXT)
        {
            self.go_direct();
        }
        if self.direct {
            self.flow.span(s);
            return;
        }
        let from = self.text.len() as u32;
        self.text.push_str(s.text);
        self.events.push(Event::Span(self.kept.len() as u32));
        self.kept.push(Kept {
            text: (from, self.text.len() as u32),
            start: s.start,
            end: s.end,
            dir: s.dir,
            size: s.size,
        });
    }

    fn block(&mut self) {
        if self.direct {
            self.flow.block();
        } else {
            self.events.push(Event::Block);
        }
    }
}

/// The column starts and headers of the last table with a header row, for the tables after
/// it that have none.
pub(crate) type Carried = Option<(Vec<f32>, Vec<(usize, Header)>)>;

/// A table found on a page: its spans, column starts, and rows of cells.
#[derive(Debug)]
pub(crate) struct Grid {
    spans: Vec<usize>,
    cols: Vec<f32>,
    pub(crate) rows: Vec<Vec<Cell>>,
}

/// A cell that holds text: its column and its text, wrapped lines joined.
pub(crate) type Cell = (usize, String);

/// Spans on one baseline, left to right, and the pieces they make.
#[derive(Debug)]
struct Line {
    y: f32,
    size: f32,
    spans: Vec<usize>,
    /// `(x0, x1)` of each piece.
    pieces: Vec<(f32, f32)>,
}

/// The tables among a page's spans.
fn find_tables(text: &str, kept: &[Kept]) -> Vec<Grid> {
    let lines = lines(text, kept);
    let mut out = Vec::new();
    let mut from = 0;
    while from < lines.len() {
        let to = candidate_end(&lines, from);
        tables_in(text, kept, &lines[from..to], &mut out);
        from = to;
    }
    out
}

/// The x where a span's text starts (past leading spaces, estimated by character count).
fn x0(text: &str, k: &Kept) -> f32 {
    let t = &text[k.text.0 as usize..k.text.1 as usize];
    let lead = t.chars().take_while(|c| c.is_whitespace()).count();
    if lead == 0 {
        return k.start.0;
    }
    let n = t.chars().count().max(1);
    k.start.0 + (k.end.0 - k.start.0) * lead as f32 / n as f32
}

/// Horizontal spans grouped into lines, top to bottom, each split into pieces.
fn lines(text: &str, kept: &[Kept]) -> Vec<Line> {
    let mut order: Vec<usize> = (0..kept.len())
        .filter(|&i| kept[i].horizontal() && !text_of(text, &kept[i]).trim().is_empty())
        .collect();
    order.sort_by(|&a, &b| {
        kept[b]
            .start
            .1
            .total_cmp(&kept[a].start.1)
            .then(kept[a].start.0.total_cmp(&kept[b].start.0))
    });
    let mut lines: Vec<Line> = Vec::new();
    for i in order {
        let k = &kept[i];
        match lines.last_mut() {
            Some(l) if (l.y - k.start.1).abs() <= 0.3 * l.size.max(k.size) => {
                l.spans.push(i);
                l.size = l.size.max(k.size);
            }
            _ => lines.push(Line {
                y: k.start.1,
                size: k.size,
                spans: vec![i],
                pieces: Vec::new(),
            }),
        }
    }
    for l in &mut lines {
        let mut by_x: Vec<(f32, usize)> =
            l.spans.iter().map(|&i| (x0(text, &kept[i]), i)).collect();
        by_x.sort_by(|a, b| a.0.total_cmp(&b.0));
        l.spans = by_x.iter().map(|p| p.1).collect();
        for &i in &l.spans {
            // The gap counts from where the span starts: a leading space is a word space.
            let k = &kept[i];
            match l.pieces.last_mut() {
                Some(p) if k.start.0 - p.1 <= CELL_GAP * l.size => p.1 = p.1.max(k.end.0),
                _ => l.pieces.push((x0(text, k), k.end.0)),
            }
        }
    }
    lines
}

fn text_of<'t>(text: &'t str, k: &Kept) -> &'t str {
    &text[k.text.0 as usize..k.text.1 as usize]
}

/// The end of the run of lines from `from` that stand close enough to be one table.
fn candidate_end(lines: &[Line], from: usize) -> usize {
    let mut to = from + 1;
    while to < lines.len() {
        let gap = lines[to - 1].y - lines[to].y;
        if gap > MAX_LINE_GAP * lines[to - 1].size.max(lines[to].size) {
            break;
        }
        to += 1;
    }
    to
}

/// Column starts: piece starts shared by at least two lines with several pieces (starts on
/// one line only are strays: a wide word gap in prose), if there are two to [`MAX_COLUMNS`].
fn columns(lines: &[Line]) -> Option<Vec<f32>> {
    // (x, line) of every piece start on lines of several pieces, left to right.
    let mut starts: Vec<(f32, usize)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.pieces.len() >= 2)
        .flat_map(|(n, l)| l.pieces.iter().map(move |p| (p.0, n)))
        .collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Clusters of starts within ALIGN of their first, kept when two lines support them.
    let mut cols: Vec<f32> = Vec::new();
    let mut i = 0;
    while i < starts.len() {
        let first = starts[i].0;
        let j = i + starts[i..].partition_point(|s| s.0 - first <= ALIGN);
        let line = starts[i].1;
        if starts[i..j].iter().any(|s| s.1 != line) {
            cols.push(first);
        }
        i = j;
    }
    (2..=MAX_COLUMNS).contains(&cols.len()).then_some(cols)
}

/// The column a piece or span starting at `x` is in.
fn column_of(cols: &[f32], x: f32) -> usize {
    cols.partition_point(|&c| c <= x + ALIGN).saturating_sub(1)
}

/// Whether every piece of `l` starts at a column and ends before the next one (the last
/// column ends at `right`): a line of prose runs across columns, or starts between them.
fn fits(cols: &[f32], right: f32, l: &Line) -> bool {
    l.pieces.iter().all(|&(a, b)| {
        let c = column_of(cols, a);
        let end = cols.get(c + 1).copied().unwrap_or(right);
        (a - cols[c]).abs() <= ALIGN && b <= end + ALIGN
    })
}

/// The tables among `lines` (a run close together): runs of lines that fit the columns,
/// with at least two lines of several pieces (and a third of all); single-piece lines at
/// either end only when
/// they stand as close as a wrapped line (a cell's other lines, not a heading).
fn tables_in(text: &str, kept: &[Kept], lines: &[Line], out: &mut Vec<Grid>) {
    let Some(cols) = columns(lines) else { return };
    // The last column ends where its widest piece on a line of several pieces ends.
    let last_col = cols[cols.len() - 1];
    let right = lines
        .iter()
        .filter(|l| l.pieces.len() >= 2)
        .flat_map(|l| l.pieces.iter())
        .filter(|p| (p.0 - last_col).abs() <= ALIGN)
        .fold(last_col, |r, p| r.max(p.1));
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j < lines.len() && fits(&cols, right, &lines[j]) {
            j += 1;
        }
        let run = &lines[i..j];
        i = j.max(i + 1);
        let multi = |l: &Line| l.pieces.len() >= 2;
        let (Some(first), Some(last)) = (run.iter().position(multi), run.iter().rposition(multi))
        else {
            continue;
        };
        if first == last {
            continue;
        }
        let mut from = first;
        while from > 0 && close(&run[from - 1], &run[from]) {
            from -= 1;
        }
        let mut to = last + 1;
        while to < run.len() && close(&run[to - 1], &run[to]) {
            to += 1;
        }
        let run = &run[from..to];
        // At least a third of a table's lines hold several cells (the rest are wrapped
        // lines); a page of prose with numbers in its margin is no table.
        let multi_lines = run.iter().filter(|l| multi(l)).count();
        if multi_lines * 3 < run.len() {
            continue;
        }
        out.push(Grid {
            spans: run.iter().flat_map(|l| l.spans.iter().copied()).collect(),
            cols: cols.clone(),
            rows: rows(run, &cols)
                .into_iter()
                .map(|row| cells(text, kept, &cols, row))
                .collect(),
        });
    }
}

/// Lines one wrapped line apart (at most 1.5 times the larger size).
fn close(a: &Line, b: &Line) -> bool {
    a.y - b.y <= 1.5 * a.size.max(b.size) + ALIGN
}

/// The table's lines split into rows: a row starts where the baseline distance exceeds the
/// closest one by [`ROW_BREAK`]; when all are alike, every line is a row. Three or more lines
/// that close together which all have text in the first column are rows set as tightly as
/// wrapped lines (under a header row set further apart): one row each.
fn rows<'l>(lines: &'l [Line], cols: &[f32]) -> Vec<&'l [Line]> {
    let gaps: Vec<f32> = lines.windows(2).map(|w| w[0].y - w[1].y).collect();
    let min = gaps.iter().copied().fold(f32::INFINITY, f32::min);
    let max = gaps.iter().copied().fold(0.0, f32::max);
    let uniform = max <= min * ROW_BREAK;
    let mut segments = Vec::new();
    let mut start = 0;
    for (i, g) in gaps.iter().enumerate() {
        if uniform || *g > min * ROW_BREAK {
            segments.push(&lines[start..=i]);
            start = i + 1;
        }
    }
    segments.push(&lines[start..]);
    let leads = |l: &Line| l.pieces.first().is_some_and(|p| column_of(cols, p.0) == 0);
    let mut out = Vec::new();
    for seg in segments {
        if seg.len() >= 3 && seg.iter().all(leads) {
            out.extend(seg.chunks(1));
        } else {
            out.push(seg);
        }
    }
    out
}

/// The cells of one row that hold text, left to right.
fn cells(text: &str, kept: &[Kept], cols: &[f32], row: &[Line]) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::new();
    for line in row {
        // This line's part of each cell, spans joined as the line flow joins them.
        let mut parts: Vec<(usize, String, Kept)> = Vec::new();
        for &i in &line.spans {
            let k = kept[i];
            let col = column_of(cols, x0(text, &k));
            match parts.iter_mut().find(|p| p.0 == col) {
                Some((_, part, prev)) => {
                    if layout::joint(prev.end, prev.dir, prev.size, &span_of(text, &k))
                        != Joint::Glued
                    {
                        layout::space(part);
                    }
                    push_text(part, text_of(text, &k));
                    *prev = k;
                }
                None => {
                    let mut part = String::new();
                    push_text(&mut part, text_of(text, &k));
                    parts.push((col, part, k));
                }
            }
        }
        for (col, part, _) in parts {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match out.iter_mut().find(|c| c.0 == col) {
                Some((_, cell)) => join_wrapped(cell, part),
                None => out.push((col, part.to_string())),
            }
        }
    }
    out.sort_by_key(|c| c.0);
    out
}

/// Appends a span's text; line breaks inside a string are spaces, as in the line flow.
fn push_text(out: &mut String, s: &str) {
    out.extend(
        s.chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
    );
}

fn span_of<'t>(text: &'t str, k: &Kept) -> Span<'t> {
    Span {
        text: text_of(text, k),
        start: k.start,
        end: k.end,
        dir: k.dir,
        size: k.size,
    }
}

/// Appends a cell's next line: with nothing between where the break is inside an e-mail
/// address or after a hyphen (`kari.nord-` / `mann@example.no`, `kari.nordma` /
/// `nn@example.no`, `per.hansen@example.c` / `om`), else with a space. A lowercase word
/// alone on a line next to an address is taken as part of it.
pub(crate) fn join_wrapped(cell: &mut String, next: &str) {
    if cell.is_empty() {
        cell.push_str(next);
        return;
    }
    let single = !cell.contains(' ');
    let before = cell.rsplit(' ').next().unwrap_or("");
    let mut words = next.split(' ');
    let after = words.next().unwrap_or("");
    let alone = words.next().is_none();
    let lower = after.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit());
    let local = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_lowercase() || c.is_ascii_digit() || "._%+-".contains(c))
    };
    let tight = before.ends_with(['-', '@', '.', '_', '/'])
        || after.starts_with(['@', '.'])
        || (before.contains('@') && lower && (alone || open_domain(before)))
        || (after.contains('@') && single && local(before));
    if !tight {
        cell.push(' ');
    }
    cell.push_str(next);
}

/// Whether the domain after the `@` in `word` is unfinished: no dot, or a one-letter end.
fn open_domain(word: &str) -> bool {
    let domain = word.rsplit('@').next().unwrap_or("");
    domain
        .rsplit_once('.')
        .is_none_or(|(_, tld)| tld.chars().count() < 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_join_inside_addresses_and_after_hyphens() {
        let join = |a: &str, b: &str| {
            let mut s = a.to_string();
            join_wrapped(&mut s, b);
            s
        };
        assert_eq!(
            join("kari.nord-", "mann@example.no"),
            "kari.nord-mann@example.no"
        );
        assert_eq!(
            join("kari.nordmann@", "example.no"),
            "kari.nordmann@example.no"
        );
        assert_eq!(join("kari.nordma", "nn@exampl"), "kari.nordmann@exampl");
        assert_eq!(join("per.hansen@example.c", "om"), "per.hansen@example.com");
        assert_eq!(join("0047", "92345678"), "0047 92345678");
        assert_eq!(join("Kari", "Nordmann"), "Kari Nordmann");
        // A line of words after an address is text, not the address's end.
        assert_eq!(join("lise.berg@e", "xample.org"), "lise.berg@example.org");
        // A line of words after an address is text, not the address's end; a word before
        // an address on the line below is not its start.
        assert_eq!(
            join("skriv til kari@example.no", "eller ring"),
            "skriv til kari@example.no eller ring"
        );
        assert_eq!(
            join("Kontakt", "kari@example.no"),
            "Kontakt kari@example.no"
        );
        assert_eq!(join("ring 0047", "92345678"), "ring 0047 92345678");
    }
}

#[cfg(test)]
mod page_tests {
    use super::super::build::text_pdf;
    use crate::extract::testing::run;

    /// The page text chunks of a PDF, with their header flag.
    fn chunks(name: &str, data: &[u8]) -> Vec<(String, bool)> {
        let (r, t) = run(name, data, super::super::extract);
        r.unwrap();
        t.chunks
            .into_iter()
            .filter(|c| c.0.page.is_some())
            .map(|c| (c.1, c.2))
            .collect()
    }

    /// The page text chunks of a fixture in tests/fixtures/pdf-tables.
    fn page_text(name: &str) -> Vec<(String, bool)> {
        let path = format!(
            "{}/tests/fixtures/pdf-tables/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        chunks(name, &std::fs::read(path).unwrap())
    }

    /// Helvetica 10 pt strings at `(x, y)`.
    fn page(strings: &[(f32, f32, &str)]) -> Vec<u8> {
        let mut c = String::new();
        for (x, y, s) in strings {
            c.push_str(&format!("BT /F1 10 Tf {x} {y} Td ({s}) Tj ET\n"));
        }
        c.into_bytes()
    }

    /// Two rows of two cells, an identity number and a phone 0.7 em apart, no header row.
    const ROWS: [(f32, f32, &str); 4] = [
        (72.0, 700.0, "13097248022"),
        (140.0, 700.0, "0047 92345678"),
        (72.0, 686.0, "20036914700"),
        (140.0, 686.0, "\\(+47\\) 403 00 040"),
    ];

    fn text(chunks: &[(String, bool)]) -> String {
        chunks.iter().map(|c| c.0.as_str()).collect()
    }

    #[test]
    fn cells_of_a_table_without_headers_stay_apart() {
        let c = chunks("t.pdf", &text_pdf(&[&page(&ROWS)]));
        assert_eq!(
            text(&c),
            "13097248022\t0047 92345678\n20036914700\t(+47) 403 00 040\n"
        );
        assert!(
            c.iter().all(|c| !c.1),
            "no header, no header context: {c:?}"
        );
        // One row alone is no table: two strings on a line, a space apart, as before.
        let c = chunks("t.pdf", &text_pdf(&[&page(&ROWS[..2])]));
        assert_eq!(text(&c), "13097248022 0047 92345678");
    }

    #[test]
    fn a_table_continued_on_the_next_page_keeps_its_headers() {
        let mut first = vec![(72.0, 714.0, "Fnr"), (140.0, 714.0, "Mobil")];
        first.extend_from_slice(&ROWS);
        // Page 2: the same columns without a header row; page 3: other columns.
        let moved: Vec<(f32, f32, &str)> = ROWS.iter().map(|r| (r.0 + 30.0, r.1, r.2)).collect();
        let pdf = text_pdf(&[&page(&first), &page(&ROWS), &page(&moved)]);
        let c = chunks("t.pdf", &pdf);
        let flags: Vec<bool> = c
            .iter()
            .filter(|c| c.0.contains("20036914700"))
            .map(|c| c.1)
            .collect();
        assert_eq!(flags, [true, true, false], "{c:?}");
    }

    #[test]
    fn rows_set_tightly_under_a_header_set_apart_are_rows() {
        let mut strings = vec![(72.0, 720.0, "Fnr"), (140.0, 720.0, "Mobil")];
        for (i, (fnr, phone)) in [
            ("13097248022", "92345678"),
            ("20036914700", "40300040"),
            ("29020073150", "41234567"),
        ]
        .into_iter()
        .enumerate()
        {
            let y = 700.0 - 12.0 * i as f32;
            strings.extend([(72.0, y, fnr), (140.0, y, phone)]);
        }
        let c = chunks("t.pdf", &text_pdf(&[&page(&strings)]));
        assert_eq!(
            text(&c),
            "Fnr\tMobil\n13097248022\t92345678\n20036914700\t40300040\n29020073150\t41234567\n"
        );
    }

    #[test]
    fn prose_with_a_few_marks_in_its_margin_is_no_table() {
        let prose = "Dette er vanlig tekst i et avsnitt";
        let mut strings = Vec::new();
        let mut want = Vec::new();
        for i in 0..10 {
            let y = 700.0 - 14.0 * i as f32;
            if i == 2 || i == 6 {
                strings.push((60.0, y, "1"));
                want.push(format!("1 {prose}"));
            } else {
                want.push(prose.to_string());
            }
            strings.push((100.0, y, prose));
        }
        let c = chunks("t.pdf", &text_pdf(&[&page(&strings)]));
        assert_eq!(text(&c), want.join("\n"));
    }

    #[test]
    fn a_first_row_of_sentences_names_no_columns() {
        let strings = [
            (72.0, 714.0, "Her er en lang setning om noe annet"),
            (300.0, 714.0, "Fnr"),
            (72.0, 700.0, "Kari"),
            (300.0, 700.0, "13097248022"),
        ];
        let c = chunks("t.pdf", &text_pdf(&[&page(&strings)]));
        assert!(text(&c).contains("\nKari\t13097248022"), "a table: {c:?}");
        assert!(c.iter().all(|c| !c.1), "no header context: {c:?}");
    }

    #[test]
    fn a_page_over_the_span_cap_reads_line_by_line() {
        let mut content = page(&ROWS);
        content.extend_from_slice(b"BT /F1 10 Tf 72 600 Td ");
        for _ in 0..super::MAX_SPANS {
            content.extend_from_slice(b"(a) Tj ");
        }
        content.extend_from_slice(b"ET");
        let c = chunks("t.pdf", &text_pdf(&[&content]));
        assert!(
            text(&c).starts_with("13097248022 0047 92345678\n20036914700 (+47) 403 00 040\naaaa"),
            "{:?}",
            &text(&c)[..80]
        );
    }

    #[test]
    fn more_aligned_starts_than_a_table_has_columns_are_no_table() {
        let mut strings = Vec::new();
        for y in [700.0, 686.0] {
            for i in 0..=super::MAX_COLUMNS {
                strings.push((20.0 + i as f32 * 12.0, y, "1"));
            }
        }
        let c = chunks("t.pdf", &text_pdf(&[&page(&strings)]));
        let line = vec!["1"; super::MAX_COLUMNS + 1].join(" ");
        assert_eq!(text(&c), format!("{line}\n{line}"));
    }

    #[test]
    fn cells_of_a_wrapping_table_are_chunks_of_their_own() {
        for name in ["tables.pdf", "reportlab.pdf"] {
            let chunks = page_text(name);
            // The prose before the table reads as before, then the header row on one line.
            assert!(
                chunks[0]
                    .0
                    .starts_with("Kontaktliste for prosjektet. Spørsmål om listen går til"),
                "{name}: {chunks:?}"
            );
            assert!(
                chunks[0]
                    .0
                    .ends_with("\nNavn\tFnr\tMobil\tTelefon\tE-post\n"),
                "{name}: {chunks:?}"
            );
            let cells: Vec<(&str, bool)> =
                chunks[1..6].iter().map(|(t, h)| (t.as_str(), *h)).collect();
            assert_eq!(
                cells,
                [
                    ("Kari Nordmann", false),
                    ("\t130972-48022", true),
                    ("\t0047 92345678", false),
                    ("\t(+47) 403 00 040", false),
                    ("\tkari.nordmann@example.no", false),
                ],
                "{name}"
            );
            let last = &chunks.last().unwrap().0;
            assert!(
                last.starts_with("\nListen oppdateres hver måned"),
                "{name}: {last:?}"
            );
        }
    }
}
