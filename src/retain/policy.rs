//! The policy file: what it says, read strictly, with every problem named by file, line and
//! column; and the periods it speaks in.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::detect::rules::line_col;

/// A retention period: `Nd`, `Nw`, `Nm` (months) or `Ny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Period {
    pub n: u32,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// Longest period written: 1000 years, beyond any promise a policy makes.
const MAX_DAYS: u64 = 366_000;

impl Period {
    /// The day `self` after `d` (a month after 31 January is the end of February); `None`
    /// past the calendar's end.
    pub fn after(self, d: NaiveDate) -> Option<NaiveDate> {
        let months = |m: u32| d.checked_add_months(chrono::Months::new(m));
        match self.unit {
            Unit::Days => d.checked_add_days(chrono::Days::new(u64::from(self.n))),
            Unit::Weeks => d.checked_add_days(chrono::Days::new(u64::from(self.n) * 7)),
            Unit::Months => months(self.n),
            Unit::Years => months(self.n.checked_mul(12)?),
        }
    }

    /// Whether something dated `d` is past this period on `as_of`: its last day to be kept
    /// (`d` + period) is before `as_of`.
    pub fn over(self, d: NaiveDate, as_of: NaiveDate) -> bool {
        self.after(d).is_some_and(|until| until < as_of)
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Period, String> {
        let bad =
            || format!("bad duration {s:?}: write Nd, Nw, Nm (months) or Ny, such as 360d or 5y");
        let mut chars = s.chars();
        let unit = match chars.next_back() {
            Some('d') => Unit::Days,
            Some('w') => Unit::Weeks,
            Some('m') => Unit::Months,
            Some('y') => Unit::Years,
            _ => return Err(bad()),
        };
        let digits = chars.as_str();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u32 = digits.parse().map_err(|_| bad())?;
        let days = u64::from(n)
            * match unit {
                Unit::Days => 1,
                Unit::Weeks => 7,
                Unit::Months => 31,
                Unit::Years => 366,
            };
        if days > MAX_DAYS {
            return Err(format!("duration {s:?} is longer than 1000 years"));
        }
        Ok(Period { n, unit })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            Unit::Days => 'd',
            Unit::Weeks => 'w',
            Unit::Months => 'm',
            Unit::Years => 'y',
        };
        write!(f, "{}{u}", self.n)
    }
}

impl std::convert::From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Period, String> {
        s.parse()
    }
}

/// Where a period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum From {
    /// The file's modification time.
    #[default]
    Modified,
    /// The date of each record that holds personal data.
    Content,
    /// A date or year in the path.
    Path,
}

impl From {
    pub fn as_str(self) -> &'static str {
        match self {
            From::Modified => "modified",
            From::Content => "content",
            From::Path => "path",
        }
    }
}

/// One `[[policy]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub keep: Period,
    pub from: From,
    /// Gitignore-style globs relative to the scan root; empty: every path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The policy applies only to files holding one of these kinds; empty: any file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
}

/// A policy file as the scan uses it: what the workers need to give verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The file as given, for the inventory's header.
    #[serde(with = "crate::walk::raw::one")]
    pub file: PathBuf,
    /// `sha256:` of the file's bytes.
    pub sha256: String,
    /// The day verdicts are given for: `--as-of`, else the file's `as_of`, else today (UTC).
    pub as_of: NaiveDate,
    /// Files whose period ends within this of `as_of` are `due`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_within: Option<Period>,
    pub policies: Vec<Policy>,
}

/// A problem in a policy file, where it is (`file:line:column: message`; line 0 for the file
/// as a whole, which is then written `file: message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) struct PolicyError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        if self.line == 0 {
            write!(f, "{file}: {}", self.message)
        } else {
            write!(f, "{file}:{}:{}: {}", self.line, self.column, self.message)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    as_of: Option<Spanned<toml::Value>>,
    due_within: Option<Spanned<String>>,
    #[serde(default)]
    policy: Vec<PolicyDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDef {
    id: Spanned<String>,
    title: Option<String>,
    keep: Spanned<String>,
    from: Option<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    kinds: Vec<Spanned<String>>,
    action: Option<String>,
    legal_basis: Option<String>,
}

/// Reads the policy file at `path`; `as_of` (from `--as-of`) overrides the file's, and
/// `today` is the default.
pub(crate) fn load(
    path: &Path,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Config, PolicyError> {
    let bytes = std::fs::read(path).map_err(|e| PolicyError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the policy file: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
        located(path, &text, at, "not UTF-8 text".into())
    })?;
    parse(path, &text, as_of, today)
}

fn located(file: &Path, text: &str, offset: usize, message: String) -> PolicyError {
    let (line, column) = line_col(text, offset);
    PolicyError {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Parses a policy file's text (`file` names it in errors).
pub(crate) fn parse(
    file: &Path,
    text: &str,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Config, PolicyError> {
    let at = |offset: usize, message: String| located(file, text, offset, message);
    let def: FileDef = toml::from_str(text).map_err(|e| {
        at(
            e.span().map_or(0, |s| s.start),
            e.message().trim_end().to_string(),
        )
    })?;
    let file_as_of = match &def.as_of {
        None => None,
        Some(v) => Some(date_value(v).ok_or_else(|| {
            at(
                v.span().start,
                "as_of must be a date, such as \"2026-12-01\"".into(),
            )
        })?),
    };
    let due_within = match &def.due_within {
        None => None,
        Some(s) => Some(s.get_ref().parse().map_err(|e| at(s.span().start, e))?),
    };
    let mut policies: Vec<Policy> = Vec::new();
    let mut first_at: Vec<usize> = Vec::new();
    for p in def.policy {
        let id = p.id.get_ref().trim();
        if id.is_empty() {
            return Err(at(p.id.span().start, "the policy id is empty".into()));
        }
        if let Some(i) = policies.iter().position(|q| q.id == id) {
            let (line, _) = line_col(text, first_at[i]);
            return Err(at(
                p.id.span().start,
                format!("duplicate policy id {id:?} (first on line {line})"),
            ));
        }
        let keep = p
            .keep
            .get_ref()
            .parse()
            .map_err(|e| at(p.keep.span().start, e))?;
        let from = match &p.from {
            None => From::Modified,
            Some(f) => match f.get_ref().as_str() {
                "modified" => From::Modified,
                "content" => From::Content,
                "path" => From::Path,
                other => {
                    return Err(at(
                        f.span().start,
                        format!("from must be modified, content or path, not {other:?}"),
                    ))
                }
            },
        };
        for g in &p.paths {
            super::paths::check(g.get_ref()).map_err(|e| at(g.span().start, e))?;
        }
        for k in &p.kinds {
            let ok = !k.get_ref().is_empty()
                && k.get_ref()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(at(
                    k.span().start,
                    format!(
                        "{:?} is not a kind (kinds are names such as fodselsnummer or email)",
                        k.get_ref()
                    ),
                ));
            }
        }
        first_at.push(p.id.span().start);
        policies.push(Policy {
            id: id.to_string(),
            title: p.title,
            keep,
            from,
            paths: p.paths.into_iter().map(Spanned::into_inner).collect(),
            kinds: p.kinds.into_iter().map(Spanned::into_inner).collect(),
            action: p.action,
            legal_basis: p.legal_basis,
        });
    }
    Ok(Config {
        file: file.to_path_buf(),
        sha256: format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes()))),
        as_of: as_of.or(file_as_of).unwrap_or(today),
        due_within,
        policies,
    })
}

/// `as_of` as a TOML string (`"2026-12-01"`) or a TOML date (`2026-12-01`).
fn date_value(v: &Spanned<toml::Value>) -> Option<NaiveDate> {
    match v.get_ref() {
        toml::Value::String(s) => s.parse().ok(),
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
    .filter(|d: &NaiveDate| crate::retain::dates::YEARS.contains(&d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2025-01-01".parse().unwrap()
    }

    fn err(text: &str) -> String {
        parse(Path::new("p.toml"), text, None, today())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn periods_read_and_add_by_the_calendar() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(p("5y").after(d("2019-03-01")), Some(d("2024-03-01")));
        assert_eq!(p("360d").after(d("2024-01-01")), Some(d("2024-12-26")));
        assert_eq!(p("2w").after(d("2024-02-20")), Some(d("2024-03-05")));
        assert_eq!(p("1m").after(d("2024-01-31")), Some(d("2024-02-29")));
        assert_eq!(p("1y").after(d("2024-02-29")), Some(d("2025-02-28")));
        assert_eq!(p("6m").to_string(), "6m");
        for bad in [
            "", "5", "y", "5 y", "5Y", "-5y", "5yy", "1.5y", "99999y", "5å",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_full_file_reads() {
        let c = parse(
            Path::new("p.toml"),
            r#"
as_of = "2026-12-01"
due_within = "90d"

[[policy]]
id = "kurs"
title = "Kurs"
keep = "5y"
from = "path"
paths = ["kurs/**", "**/*deltaker*"]
kinds = ["fodselsnummer", "email"]
action = "delete"
legal_basis = "Bokføringsloven § 13"

[[policy]]
id = "logg"
keep = "360d"
from = "content"
"#,
            None,
            today(),
        )
        .unwrap();
        assert_eq!(c.as_of, "2026-12-01".parse::<NaiveDate>().unwrap());
        assert_eq!(c.due_within.unwrap().to_string(), "90d");
        assert_eq!(c.policies.len(), 2);
        assert_eq!(c.policies[0].from, From::Path);
        assert_eq!(c.policies[1].from, From::Content);
        assert_eq!(c.policies[1].paths, Vec::<String>::new());
        assert!(c.sha256.starts_with("sha256:") && c.sha256.len() == 71);
        // --as-of wins over the file; a TOML date works as well as a string.
        let over = "2030-01-01".parse().unwrap();
        let c = parse(Path::new("p"), "as_of = 2026-12-01\n", Some(over), today()).unwrap();
        assert_eq!(c.as_of, over);
        let c = parse(Path::new("p"), "as_of = 2026-12-01\n", None, today()).unwrap();
        assert_eq!(c.as_of.to_string(), "2026-12-01");
        let c = parse(Path::new("p"), "", None, today()).unwrap();
        assert_eq!(c.as_of, today());
    }

    #[test]
    fn every_problem_is_named_where_it_is() {
        let one = "[[policy]]\nid = \"a\"\nkeep = \"5y\"\n";
        assert_eq!(
            err(&format!("{one}kepe = \"1y\"\n")),
            "p.toml:4:1: unknown field `kepe`, expected one of `id`, `title`, `keep`, `from`, `paths`, `kinds`, `action`, `legal_basis`"
        );
        assert_eq!(
            err("[[policy]]\nid = \"a\"\nkeep = \"5 years\"\n"),
            "p.toml:3:8: bad duration \"5 years\": write Nd, Nw, Nm (months) or Ny, such as 360d or 5y"
        );
        assert_eq!(
            err(&format!("{one}paths = [\"ok/**\", \"kurs/[a\"]\n")),
            "p.toml:4:19: bad glob \"kurs/[a\": unclosed character class; missing ']'"
        );
        assert_eq!(
            err(&format!("{one}\n[[policy]]\nid = \"a\"\nkeep = \"1y\"\n")),
            "p.toml:6:6: duplicate policy id \"a\" (first on line 2)"
        );
        assert_eq!(
            err(&format!("{one}from = \"created\"\n")),
            "p.toml:4:8: from must be modified, content or path, not \"created\""
        );
        assert_eq!(
            err("due_within = \"3 months\"\n"),
            "p.toml:1:14: bad duration \"3 months\": write Nd, Nw, Nm (months) or Ny, such as 360d or 5y"
        );
        assert_eq!(
            err("as_of = \"1.12.2026\"\n"),
            "p.toml:1:9: as_of must be a date, such as \"2026-12-01\""
        );
        assert!(err("[[policy]]\nkeep = \"5y\"\n").starts_with("p.toml:1:1: missing field `id`"));
        assert!(err("[[policy]\n").starts_with("p.toml:1:"));
        assert!(err("polcy = 1\n").starts_with("p.toml:1:1: unknown field `polcy`"));
        assert_eq!(
            err(&format!("{one}kinds = [\"e-mail\"]\n")),
            "p.toml:4:10: \"e-mail\" is not a kind (kinds are names such as fodselsnummer or email)"
        );
    }
}
