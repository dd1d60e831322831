//! Dates in content and paths: pure functions over bytes, no I/O, no allocation.
//!
//! * [`line_date`]: the timestamp of a line of text — ISO 8601 (`2024-03-05`, with or
//!   without a time and zone), Apache/nginx (`[05/Mar/2024:10:00:00 +0100]`), syslog
//!   (`Mar  5 10:00:00` at the start of the line, the year taken from the file's modification
//!   time), Norwegian (`05.03.2024`, `5.3.2024`). The first date in the line's first
//!   [`LINE_SCAN`] bytes wins, except one right after a word for birth (`født`, `f.`, `DOB`)
//!   or a version (`versjon 1.2.2024`):
//!   a birth date says when a person was born, not when the record was made.
//! * [`value_date`]: a table cell under a date column: the forms above, and the forms dumps
//!   store dates in (`20240305`, Unix seconds or milliseconds).
//! * [`path_date`]: a date or a year in a path (`kursbevis_2019.pdf`, `2021/03/`,
//!   `2021-03-15_referat.docx`); a bare year means its last day, a year and month the
//!   month's last day. The date nearest the end of the path wins.
//! * [`column_kind`] / [`date_column`]: which column of a table dates its rows (`dato`,
//!   `created_at`, `registrert`, a `DATE`/`TIMESTAMP` column), never a birth date or an
//!   expiry date.
//!
//! Only years in [`YEARS`] count: a four-digit number outside it is not taken for a year.
//! Dates are the calendar day as written; a zone offset does not move it.

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};

/// Years a date may have.
pub(crate) const YEARS: RangeInclusive<i32> = 1900..=2100;

/// Bytes from the start of a line searched for its timestamp: log timestamps lead the line.
pub(crate) const LINE_SCAN: usize = 256;

/// How strongly a date speaks for its record, when a record offers more than one (the first
/// of the strongest wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// A date value whose column or key does not say what it dates (a date cell under a
    /// header such as `Gyldig`... that is not excluded).
    Typed,
    /// A date under a name that dates the record (`dato`, `created_at`), or a message's
    /// `Date:` header.
    Named,
}

/// A record's date as a reader has it: text to parse only if dates are wanted, or a day a
/// parser has already decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When<'a> {
    Text(&'a [u8]),
    Day(NaiveDate),
}

impl When<'_> {
    pub fn day(self) -> Option<NaiveDate> {
        match self {
            When::Text(t) => value_date(t),
            When::Day(d) => YEARS.contains(&d.year()).then_some(d),
        }
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// 1-based month of a three-letter English abbreviation, any case.
fn month_abbr(b: &[u8]) -> Option<u32> {
    let l = [
        b.first()?.to_ascii_lowercase(),
        b.get(1)?.to_ascii_lowercase(),
        b.get(2)?.to_ascii_lowercase(),
    ];
    MONTHS.iter().position(|m| **m == l).map(|i| i as u32 + 1)
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    if !YEARS.contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The number in `b[at..at + len]` if those are all digits.
fn num(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let s = b.get(at..at + len)?;
    let mut n = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn digit_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// A 1-2 digit number at `at`: its value and length.
fn short(b: &[u8], at: usize) -> Option<(u32, usize)> {
    match (digit_at(b, at), digit_at(b, at + 1), digit_at(b, at + 2)) {
        (true, true, false) => Some((num(b, at, 2)?, 2)),
        (true, false, _) => Some((num(b, at, 1)?, 1)),
        _ => None,
    }
}

/// A date starting at `b[s]`, the first digit of a run of `run` digits (the byte before it
/// is not a digit): `YYYY-MM-DD`, `DD.MM.YYYY`, `DD/Mon/YYYY`; with the offset after it.
fn date_at(b: &[u8], s: usize, run: usize) -> Option<(NaiveDate, usize)> {
    match run {
        4 if b.get(s + 4) == Some(&b'-') && b.get(s + 7) == Some(&b'-') => {
            // ISO: a time, a zone, a space or the end may follow; never another digit.
            if digit_at(b, s + 10) {
                return None;
            }
            let d = ymd(num(b, s, 4)? as i32, num(b, s + 5, 2)?, num(b, s + 8, 2)?)?;
            Some((d, s + 10))
        }
        1 | 2 => {
            let day = num(b, s, run)?;
            match b.get(s + run) {
                Some(b'.') => {
                    let (month, ml) = short(b, s + run + 1)?;
                    let y = s + run + 1 + ml;
                    if b.get(y) != Some(&b'.') || digit_at(b, y + 5) {
                        return None;
                    }
                    Some((ymd(num(b, y + 1, 4)? as i32, month, day)?, y + 5))
                }
                Some(b'/') if b.get(s + run + 4) == Some(&b'/') => {
                    let month = month_abbr(&b[s + run + 1..])?;
                    let y = s + run + 5;
                    if digit_at(b, y + 4) {
                        return None;
                    }
                    Some((ymd(num(b, y, 4)? as i32, month, day)?, y + 4))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether the text just before `at` names a birth (`født 05.03.1980`, `f. 5.3.1980`,
/// `DOB: 1980-03-05`, `fødselsdato 05.03.1980`, `født den 5.3.1980`) or a version
/// (`versjon 1.2.2024`): such a date does not say when the record was made.
fn after_excluding_word(b: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(20);
    let mut lower = [0u8; 20];
    let before = &mut lower[..at - from];
    for (o, &c) in before.iter_mut().zip(&b[from..at]) {
        *o = c.to_ascii_lowercase();
    }
    let trim = |t: &[u8]| -> usize {
        t.iter()
            .rposition(|c| !matches!(c, b' ' | b':' | b'\t' | b'=' | b'('))
            .map_or(0, |i| i + 1)
    };
    let mut end = trim(before);
    if before[..end].ends_with(b" den") {
        end = trim(&before[..end - 4]);
    }
    let before = &before[..end];
    const WORDS: [&[u8]; 13] = [
        b"versjon",
        b"version",
        b"v",
        "født".as_bytes(),
        "fødd".as_bytes(),
        b"f.",
        b"dob",
        b"born",
        b"birth",
        b"birthdate",
        "fødselsdato".as_bytes(),
        b"fdato",
        b"f.dato",
    ];
    WORDS.iter().any(|w| {
        before.ends_with(w)
            && before
                .len()
                .checked_sub(w.len() + 1)
                .is_none_or(|i| !before[i].is_ascii_alphanumeric())
    })
}

/// A syslog timestamp (`Mar  5 10:00:00`) at the start of `b`, in the year of `modified`
/// (or the year before, for a line dated after the file was last written: logs rotate
/// yearly at most).
fn syslog(b: &[u8], modified: NaiveDate) -> Option<NaiveDate> {
    let month = month_abbr(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let at = if b.get(4) == Some(&b' ') { 5 } else { 4 };
    let (day, dl) = short(b, at)?;
    let t = at + dl;
    if b.get(t) != Some(&b' ') || b.get(t + 3) != Some(&b':') || !digit_at(b, t + 1) {
        return None;
    }
    let this = ymd(modified.year(), month, day);
    match this {
        Some(d) if d > modified + chrono::Days::new(1) => ymd(modified.year() - 1, month, day),
        // 29 February of a year that is not a leap year: the year before is not either.
        None => None,
        d => d,
    }
}

/// The date of one line of text (see the module documentation); `modified` is the file's
/// modification date, for syslog lines that carry no year.
pub(crate) fn line_date(line: &[u8], modified: Option<NaiveDate>) -> Option<NaiveDate> {
    let b = &line[..line.len().min(LINE_SCAN)];
    if let Some(m) = modified {
        if let Some(d) = syslog(b, m) {
            return Some(d);
        }
    }
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if let Some((d, _)) = date_at(b, s, i - s) {
            if !after_excluding_word(b, s) {
                return Some(d);
            }
        }
    }
    None
}

/// `YYYYMMDD`.
fn compact(b: &[u8]) -> Option<NaiveDate> {
    ymd(num(b, 0, 4)? as i32, num(b, 4, 2)?, num(b, 6, 2)?)
}

/// The day `YYYY-MM-DD` that `b` starts with, any year: the date of a timestamp this tool
/// wrote itself (a file's modification time), read once per file, so not through a parser
/// of formats.
pub(crate) fn iso_day(b: &[u8]) -> Option<NaiveDate> {
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    NaiveDate::from_ymd_opt(num(b, 0, 4)? as i32, num(b, 5, 2)?, num(b, 8, 2)?)
}

/// The date in a table cell under a date column: `YYYYMMDD`, Unix seconds (10 digits) or
/// milliseconds (13 digits), else a date as [`line_date`] finds it.
pub(crate) fn value_date(v: &[u8]) -> Option<NaiveDate> {
    let t = v.trim_ascii();
    if !t.is_empty() && t.iter().all(u8::is_ascii_digit) {
        return match t.len() {
            8 => compact(t),
            10 | 13 => {
                let n: i64 = std::str::from_utf8(t).ok()?.parse().ok()?;
                let secs = if t.len() == 13 { n / 1000 } else { n };
                let d = chrono::DateTime::from_timestamp(secs, 0)?.date_naive();
                YEARS.contains(&d.year()).then_some(d)
            }
            _ => None,
        };
    }
    line_date(t, None)
}

/// The date a path gives (see the module documentation): the one that starts last.
pub(crate) fn path_date(path: &str) -> Option<NaiveDate> {
    let b = path.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let d = match i - s {
            8 => compact(&b[s..i]),
            4 => year_in_path(b, s),
            1 | 2 => date_at(b, s, i - s).map(|(d, end)| {
                // The year is part of this date, not a date of its own.
                i = end;
                d
            }),
            _ => None,
        };
        if d.is_some() {
            found = d;
        }
    }
    found
}

/// `YYYY` at `s` in a path, with what follows: `-MM-DD` (any of `-_./` between), `/MM/`
/// (the month's last day), or nothing more (the year's last day).
fn year_in_path(b: &[u8], s: usize) -> Option<NaiveDate> {
    let y = num(b, s, 4)? as i32;
    if !YEARS.contains(&y) {
        return None;
    }
    let sep = |i: usize| matches!(b.get(i), Some(b'-' | b'_' | b'.' | b'/'));
    if sep(s + 4) && digit_at(b, s + 5) && digit_at(b, s + 6) && !digit_at(b, s + 7) {
        let m = num(b, s + 5, 2)?;
        if sep(s + 7) && digit_at(b, s + 8) && digit_at(b, s + 9) && !digit_at(b, s + 10) {
            if let Some(d) = ymd(y, m, num(b, s + 8, 2)?) {
                return Some(d);
            }
        }
        if (1..=12).contains(&m) {
            let next = if m == 12 {
                ymd(y + 1, 1, 1)
            } else {
                ymd(y, m + 1, 1)
            };
            return next.and_then(|d| d.pred_opt()).or_else(|| ymd(y, 12, 31));
        }
    }
    ymd(y, 12, 31)
}

/// The day of a spreadsheet's date serial number (the 1900 date system of Excel and
/// LibreOffice: day 1 is 1900-01-01, and day 60 is the 29 February 1900 that never was). Only
/// serials of 1910-2100 count: a smaller number under a date header is more likely a year
/// (2024) or a count than a date.
pub(crate) fn excel_serial(v: f64) -> Option<NaiveDate> {
    if !(3654.0..73_051.0).contains(&v) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(v.trunc() as u64))
}

/// What a column's name says about its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ColumnKind {
    /// It dates the record: `dato`, `kursdato`, `created_at`, `registrert`, `timestamp`.
    Record,
    /// It holds dates that are not the record's: a birth date, an expiry date.
    Excluded,
    /// Nothing either way.
    Other,
}

/// What a column (or header, or key) name says about the dates under it.
pub(crate) fn column_kind(name: &str) -> ColumnKind {
    // Every column name of every table comes here: one pass for all the words, not a
    // substring search per word (which was most of a small CSV file's table set-up).
    static EXCLUDED: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new([
                "fødsel", "fodsel", "foedsel", "født", "fodt", "birth", "dob", "fdato", "utløp",
                "utlop", "expir", "gyldig", "frist", "valid", "due",
            ])
            .expect("fixed words")
        });
    let n = name.to_lowercase();
    if EXCLUDED.is_match(&n) {
        return ColumnKind::Excluded;
    }
    let words = n.split(|c: char| !c.is_alphanumeric());
    const NAMES: [&str; 12] = [
        "created",
        "opprettet",
        "registrert",
        "innsendt",
        "mottatt",
        "logget",
        "timestamp",
        "tidspunkt",
        "datetime",
        "time",
        "sendt",
        "ts",
    ];
    for w in words {
        if w.ends_with("dato") || w.ends_with("date") || NAMES.contains(&w) {
            return ColumnKind::Record;
        }
    }
    // camelCase: createdAt, logDate.
    if name.contains("createdAt") || name.ends_with("Date") || name.ends_with("Dato") {
        return ColumnKind::Record;
    }
    ColumnKind::Other
}

/// The column that dates a table's rows: the first whose name dates the record, else the
/// first declared `DATE`/`TIMESTAMP` (`typed`) whose name does not exclude it.
pub(crate) fn date_column(names: &[String], typed: &[bool]) -> Option<usize> {
    let kinds: Vec<ColumnKind> = names.iter().map(|n| column_kind(n)).collect();
    kinds
        .iter()
        .position(|&k| k == ColumnKind::Record)
        .or_else(|| {
            (0..typed.len()).find(|&i| typed[i] && kinds.get(i) != Some(&ColumnKind::Excluded))
        })
}

/// Whether an SQL type name declares dates (`DATE`, `DATETIME`, `TIMESTAMP`, `timestamptz`,
/// `timestamp(6) with time zone`).
pub(crate) fn is_date_type(t: &str) -> bool {
    let t = t.trim_start().to_ascii_lowercase();
    t.starts_with("date") || t.starts_with("timestamp")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn iso_day_reads_what_chrono_reads() {
        for t in [
            "2026-12-04T09:47:00Z",
            "1969-12-31T23:59:59.5Z",
            "0001-01-01",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-1-01T00:00:00Z",
            "2026/12/04",
            "+2026-12-04",
            "2026-12-0",
            "",
        ] {
            let chrono = t.get(..10).and_then(|s| s.parse::<NaiveDate>().ok());
            assert_eq!(iso_day(t.as_bytes()), chrono, "{t}");
        }
    }

    #[test]
    fn log_lines_in_every_form() {
        let m = d("2024-06-30");
        for (line, want) in [
            (
                "2024-03-05T10:00:00+01:00 login ola@example.com",
                "2024-03-05",
            ),
            (
                "2024-03-05 10:00:00,123 INFO user=13097248022",
                "2024-03-05",
            ),
            (
                "203.0.113.9 - - [05/Mar/2024:10:00:00 +0100] \"GET /?e=a@b.no HTTP/1.1\" 200",
                "2024-03-05",
            ),
            (
                "Mar  5 10:00:00 host sshd[1]: Accepted for kari",
                "2024-03-05",
            ),
            ("Dec 31 23:59:59 host cron: tidligere år", "2023-12-31"),
            ("05.03.2024: Ola ringte 91234567", "2024-03-05"),
            ("Møte 5.3.2024 med kari@example.com", "2024-03-05"),
            (
                "<34>1 2024-03-05T10:00:00.003Z host app - - msg",
                "2024-03-05",
            ),
        ] {
            assert_eq!(line_date(line.as_bytes(), m), d(want), "{line}");
        }
    }

    #[test]
    fn what_is_not_a_line_date() {
        for line in [
            "Ola Nordmann 13097248022 ringte",
            "versjon 1.2.2024 er ute",
            "v 12345-06-07",
            "20240305",
            "1.2.3.4 - - [5/Foo/2024:10:00:00]",
            "2024-13-05 ugyldig måned",
            "1850-01-01 for tidlig",
            "2024-03-051",
        ] {
            assert_eq!(line_date(line.as_bytes(), None), None, "{line}");
        }
        // A syslog line needs the file's date for its year.
        assert_eq!(line_date(b"Mar  5 10:00:00 host x", None), None);
    }

    #[test]
    fn birth_dates_do_not_date_a_line() {
        for line in [
            "Ola, født 13.09.1972, 13097248022",
            "f. 13.09.1972 13097248022",
            "DOB: 1972-09-13, ssn",
            "fødselsdato 13.09.1972",
        ] {
            assert_eq!(line_date(line.as_bytes(), None), None, "{line}");
        }
        assert_eq!(
            line_date("05.03.2024 Ola, født 13.09.1972".as_bytes(), None),
            d("2024-03-05")
        );
        assert_eq!(
            line_date("Ola, født 13.09.1972, kurs 05.03.2024".as_bytes(), None),
            d("2024-03-05"),
            "the next date in the line is the record's"
        );
    }

    #[test]
    fn table_values() {
        assert_eq!(value_date(b"2024-03-05"), d("2024-03-05"));
        assert_eq!(value_date(b" 2024-03-05 10:00:00+01 "), d("2024-03-05"));
        assert_eq!(value_date(b"05.03.2024"), d("2024-03-05"));
        assert_eq!(value_date(b"20240305"), d("2024-03-05"));
        assert_eq!(value_date(b"1709629200"), d("2024-03-05"));
        assert_eq!(value_date(b"1709629200000"), d("2024-03-05"));
        assert_eq!(value_date(b"13097248022"), None);
        assert_eq!(value_date(b""), None);
        assert_eq!(value_date(b"NULL"), None);
    }

    #[test]
    fn paths() {
        for (p, want) in [
            ("kurs/kursbevis_2019.pdf", Some("2019-12-31")),
            ("kurs/2021/03/referat.docx", Some("2021-03-31")),
            ("kurs/2021/02/", Some("2021-02-28")),
            ("2021-03-15_referat.docx", Some("2021-03-15")),
            ("arkiv/2019/kursbevis_2021-03-15.pdf", Some("2021-03-15")),
            ("arkiv/2021/03/15/logg.txt", Some("2021-03-15")),
            ("møter/referat 15.03.2021.docx", Some("2021-03-15")),
            ("eksport_20210315.csv", Some("2021-03-15")),
            ("a.zip!/2018/x.txt", Some("2018-12-31")),
            ("kurs/deltakere.xlsx", None),
            ("kurs/13097248022.pdf", None),
            ("rom 1234/liste.txt", None),
            ("2021-13/x", Some("2021-12-31")),
        ] {
            assert_eq!(path_date(p), want.and_then(d), "{p}");
        }
    }

    #[test]
    fn spreadsheet_serials() {
        assert_eq!(excel_serial(38504.0), d("2005-06-01"));
        assert_eq!(excel_serial(45352.5), d("2024-03-01"));
        assert_eq!(excel_serial(3654.0), d("1910-01-01"));
        assert_eq!(excel_serial(2024.0), None, "a year, not 1905-07-16");
        assert_eq!(excel_serial(80_000.0), None);
        assert_eq!(excel_serial(f64::NAN), None);
    }

    #[test]
    fn date_columns() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            date_column(&names(&["fnr", "fodselsdato", "kursdato"]), &[]),
            Some(2)
        );
        assert_eq!(date_column(&names(&["id", "created_at"]), &[]), Some(1));
        assert_eq!(date_column(&names(&["id", "registrert"]), &[]), Some(1));
        assert_eq!(
            date_column(
                &names(&["fnr", "birth_date", "gyldig_til", "x"]),
                &[false, true, true, true]
            ),
            Some(3)
        );
        assert_eq!(
            date_column(&names(&["fnr", "født"]), &[false, true]),
            None,
            "a birth date never dates the row"
        );
        assert_eq!(date_column(&names(&["createdAt"]), &[]), Some(0));
        assert!(is_date_type("TIMESTAMP(6) WITH TIME ZONE"));
        assert!(is_date_type("datetime"));
        assert!(!is_date_type("varchar(10)"));
    }
}
