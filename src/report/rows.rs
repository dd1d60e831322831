//! What the reviewer's reports (HTML, CSV, XLSX) say about a record, computed once here so
//! they say the same: a location in its own terms, the kinds that get a column of their own,
//! the highest confidence, folder and name, and times as numbers.

use chrono::{DateTime, NaiveDate, Utc};

use super::lang::Lang;
use super::{FileRecord, Finding};
use crate::detect::{kind, Confidence};
use crate::extract::{Column, Location};

/// Kinds with a column of their own in the spreadsheets (others share "other kinds").
pub(crate) const KINDS: &[&str] = &[
    kind::FODSELSNUMMER,
    kind::D_NUMMER,
    kind::H_NUMMER,
    kind::FH_NUMMER,
    kind::PHONE,
    kind::EMAIL,
    kind::KONTONUMMER,
    "ip_address",
    kind::ORGANISASJONSNUMMER,
];

/// The kinds of `rec` that have no column of their own: `kind=n, kind=n`.
pub(crate) fn other_kinds(rec: &FileRecord) -> String {
    let v: Vec<String> = rec
        .counts
        .iter()
        .filter(|(k, _)| !KINDS.contains(k))
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    v.join(", ")
}

/// The highest confidence among the listed findings.
pub(crate) fn max_confidence(rec: &FileRecord) -> Option<Confidence> {
    rec.findings.iter().map(|f| f.confidence).max()
}

/// A path's folder and name: `a/b/c.txt` is (`a/b`, `c.txt`); a member `x.zip!/d/e.txt` is
/// (`x.zip!/d`, `e.txt`); a name without a folder is (None, name). Joined again with `/`
/// they give the path back exactly.
pub(crate) fn split_path(path: &str) -> (Option<&str>, &str) {
    match path.rfind('/') {
        Some(i) => (Some(&path[..i]), &path[i + 1..]),
        None => (None, path),
    }
}

/// An RFC 3339 time as seconds since 1970.
pub(crate) fn epoch(rfc3339: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp())
}

/// An RFC 3339 time as UTC, for spreadsheets.
pub(crate) fn utc(rfc3339: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A `YYYY-MM-DD` date.
pub(crate) fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Where a finding sits, in the terms of its format: `side 3, linje 12`, `Ansatte!B7`,
/// `public.deltakere.fnr, rad 7`, `$.a[3].b`, `melding 2, body, linje 3`, `byte 1200`.
pub(crate) fn location(loc: &Location, lang: Lang) -> String {
    let mut parts: Vec<String> = Vec::new();
    let word = |k: &str, n: &dyn std::fmt::Display| format!("{} {n}", lang.t(k));
    if let Some(m) = loc.message {
        parts.push(word("loc_message", &m));
    }
    if let Some(p) = loc.page {
        parts.push(word("loc_page", &p));
    }
    if let Some(part) = &loc.part {
        parts.push(part.clone());
    }
    match (&loc.sheet, &loc.cell) {
        (Some(s), Some(c)) => parts.push(format!("{s}!{c}")),
        (Some(s), None) => parts.push(s.clone()),
        (None, Some(c)) => parts.push(c.clone()),
        (None, None) => {}
    }
    if loc.hidden {
        parts.push(format!("({})", lang.t("loc_hidden")));
    }
    if let Some(p) = &loc.json_path {
        parts.push(p.clone());
    }
    // A table column is named with its table (`table.column`); a text column is a number
    // that goes with the line.
    match (&loc.table, &loc.column) {
        (Some(t), Some(c)) => parts.push(format!("{t}.{}", column(c))),
        (Some(t), None) => parts.push(t.clone()),
        (None, Some(Column::Name(c))) => parts.push(format!("{} «{c}»", lang.t("loc_column"))),
        _ => {}
    }
    if let Some(r) = loc.row {
        parts.push(word("loc_row", &r));
    }
    if let Some(l) = loc.line {
        parts.push(word("loc_line", &l));
    }
    if let (Some(Column::Number(c)), None) = (&loc.column, &loc.table) {
        parts.push(word("loc_column", c));
    }
    if let Some(o) = loc.offset {
        parts.push(word("loc_offset", &o));
    }
    parts.join(", ")
}

fn column(c: &Column) -> String {
    match c {
        Column::Number(n) => n.to_string(),
        Column::Name(s) => s.clone(),
    }
}

/// A finding's flags in words: synthetic, role address, IBAN, leading zero restored.
pub(crate) fn flags(f: &Finding, lang: Lang) -> String {
    let mut v = Vec::new();
    if f.synthetic {
        v.push(lang.t("flag_synthetic"));
    }
    if f.role {
        v.push(lang.t("flag_role"));
    }
    if f.iban {
        v.push(lang.t("flag_iban"));
    }
    if f.recovered_leading_zero {
        v.push(lang.t("flag_recovered"));
    }
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_in_their_own_terms() {
        let l = |json: &str| location(&serde_json::from_str(json).unwrap(), Lang::Nb);
        assert_eq!(
            l(r#"{"page":3,"line":12,"column":40}"#),
            "side 3, linje 12, kolonne 40"
        );
        assert_eq!(l(r#"{"sheet":"Ansatte","cell":"B7"}"#), "Ansatte!B7");
        assert_eq!(
            l(r#"{"sheet":"Skjult","cell":"A1","hidden":true}"#),
            "Skjult!A1, (skjult ark)"
        );
        assert_eq!(
            l(r#"{"table":"public.deltakere","column":"fnr","row":7}"#),
            "public.deltakere.fnr, rad 7"
        );
        assert_eq!(l(r#"{"column":"Mobil","row":3}"#), "kolonne «Mobil», rad 3");
        assert_eq!(l(r#"{"json_path":"$.a[3].b","row":2}"#), "$.a[3].b, rad 2");
        assert_eq!(
            l(r#"{"message":2,"part":"body","line":3,"column":16}"#),
            "melding 2, body, linje 3, kolonne 16"
        );
        assert_eq!(l(r#"{"offset":1200}"#), "byte 1200");
        let en = location(
            &serde_json::from_str(r#"{"part":"footer1","line":1,"column":10}"#).unwrap(),
            Lang::En,
        );
        assert_eq!(en, "footer1, line 1, column 10");
    }

    #[test]
    fn paths_split_and_join_back() {
        for p in [
            "/srv/a.txt",
            "a.txt",
            "/a",
            "x/y.zip!/d/e.txt",
            "y.zip!/e.txt",
        ] {
            let (dir, name) = split_path(p);
            let back = match dir {
                Some(d) => format!("{d}/{name}"),
                None => name.to_string(),
            };
            assert_eq!(back, p);
        }
        assert_eq!(split_path("/a"), (Some(""), "a"));
        assert_eq!(split_path("y.zip!/e.txt"), (Some("y.zip!"), "e.txt"));
    }
}
