//! `.kartlegg.toml`: the settings a repository commits beside its code (or a scan is given with
//! `--config FILE`).
//!
//! A git mode reads `.kartlegg.toml` at the repository root by itself: the file is reviewed and
//! versioned like the code it governs. An inventory scan (`kartlegg scan PATH`) reads one only
//! when told to with `--config`, never from the scanned tree: whoever owns the data being
//! mapped must not be able to hide it by planting a config file.
//!
//! The keys (every one documented in `docs/config.md`):
//!
//! * `fail_on` — the confidence at which findings fail a git mode, one level for every kind
//!   (`fail_on = "high"`) or a table per kind with an optional `default`;
//! * `exclude` — path patterns left out (gitignore syntax in git modes, as `--exclude`);
//! * `rules` — a directory of extra rule files, relative to the config file (as `--rules`);
//! * `[synthetic]` — what this repository's test data declares synthetic: `dolly` (month + 40
//!   numbers are NAV Dolly test identities), `ranges` of identity numbers, known test `values`
//!   and `fingerprints`. Synthetic findings are reported with `synthetic: true` and pass.
//!
//! Values on the command line win over the file. A key the program does not know is an error
//! naming the file, line and key: a misspelt `fail_on` must not silently weaken a gate.
//! Parsing is pure; [`Config::load`] is the only function here that reads a file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::detect::rules::line_col;
use crate::detect::{kind, Confidence};
use crate::report::mask::HashKey;

/// The file a git mode looks for at the repository root.
pub(crate) const FILE_NAME: &str = ".kartlegg.toml";

/// The identity-number kinds: what fails at medium by default in git modes.
pub(crate) const IDENTITY_KINDS: [&str; 4] = [
    kind::FODSELSNUMMER,
    kind::D_NUMMER,
    kind::H_NUMMER,
    kind::FH_NUMMER,
];

/// A problem in a config file, located: the same error as a rule file's.
pub(crate) use crate::detect::rules::RuleError as ConfigError;

/// The settings of one config file, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Config {
    /// The file they came from.
    pub file: PathBuf,
    /// `fail_on`, when the file sets it.
    pub fail_on: Option<FailOn>,
    pub exclude: Vec<String>,
    /// The extra rules directory, resolved against the file's directory.
    pub rules: Option<PathBuf>,
    pub synthetic: Synthetic,
    /// Where each kind named in `fail_on` stands, to report kinds no rule produces.
    kinds_at: Vec<(String, usize, usize)>,
}

/// The confidence at which a finding fails, per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailOn {
    /// For kinds not listed.
    pub default: Confidence,
    pub kinds: BTreeMap<String, Confidence>,
}

impl FailOn {
    /// One level for every kind (`--fail-on`).
    pub(crate) fn uniform(level: Confidence) -> FailOn {
        FailOn {
            default: level,
            kinds: BTreeMap::new(),
        }
    }

    /// The git modes' default: identity numbers fail from medium, everything else from high.
    /// A valid identity number at medium has passed both control digits and the date check
    /// but lacks a key word nearby — in code and test data that is how they are written
    /// (`"13097248022"` in a list, a constructor argument); the figures behind this choice
    /// are in BENCHMARKS.md ("Gate on code").
    pub(crate) fn git_default() -> FailOn {
        FailOn {
            default: Confidence::High,
            kinds: IDENTITY_KINDS
                .iter()
                .map(|k| (k.to_string(), Confidence::Medium))
                .collect(),
        }
    }

    pub(crate) fn level(&self, kind: &str) -> Confidence {
        self.kinds.get(kind).copied().unwrap_or(self.default)
    }

    /// The lowest level of any kind: findings from there up must be reported to decide.
    pub(crate) fn lowest(&self) -> Confidence {
        self.kinds
            .values()
            .copied()
            .fold(self.default, Confidence::min)
    }
}

impl fmt::Display for FailOn {
    /// `high`, or `medium for d_nummer, fodselsnummer; high otherwise`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut by_level: BTreeMap<Confidence, Vec<&str>> = BTreeMap::new();
        for (k, &c) in &self.kinds {
            if c != self.default {
                by_level.entry(c).or_default().push(k);
            }
        }
        for (c, kinds) in &by_level {
            write!(f, "{} for {}; ", c.as_str(), kinds.join(", "))?;
        }
        if by_level.is_empty() {
            write!(f, "{}", self.default.as_str())
        } else {
            write!(f, "{} otherwise", self.default.as_str())
        }
    }
}

/// What a repository declares synthetic, applied where findings are made (in the worker), so
/// the inventory, its counts and the gate agree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synthetic {
    /// Month + 40 numbers (`h_nummer`) are NAV Dolly test identities.
    pub dolly: bool,
    /// Inclusive ranges of 11-digit identity numbers.
    pub ranges: Vec<(String, String)>,
    /// Known test values, normalised (see [`normalise_value`]).
    pub values: Vec<String>,
    /// Known test values by fingerprint (under the baseline's key).
    pub fingerprints: Vec<String>,
}

impl Synthetic {
    pub fn is_empty(&self) -> bool {
        *self == Synthetic::default()
    }

    /// What is declared, as a digest under `key` (see [`HashKey::set_digest`]): a state's
    /// records and a merge's shards must agree on it, and it says nothing of the values.
    pub fn digest(&self, key: &HashKey) -> String {
        let dolly = self.dolly.then(|| "dolly".to_string());
        let ranges = self
            .ranges
            .iter()
            .map(|(lo, hi)| format!("range {lo} {hi}"));
        let values = self.values.iter().map(|v| format!("value {v}"));
        let prints = self.fingerprints.iter().map(|f| format!("fingerprint {f}"));
        key.set_digest(
            "synthetic",
            dolly.into_iter().chain(ranges).chain(values).chain(prints),
        )
    }

    /// Whether a finding of `kind`, with its normalised `value` and `fingerprint` (made only
    /// when fingerprints are listed), is declared synthetic.
    pub fn covers(&self, kind: &str, value: &str, fingerprint: impl FnOnce() -> String) -> bool {
        if self.is_empty() {
            return false;
        }
        let identity = IDENTITY_KINDS.contains(&kind);
        (self.dolly && kind == kind::H_NUMMER)
            || (identity
                && self.ranges.iter().any(|(lo, hi)| {
                    value.len() == lo.len() && lo.as_str() <= value && value <= hi.as_str()
                }))
            || self.values.iter().any(|v| {
                v == value || (kind == kind::PHONE && value.strip_prefix("+47") == Some(v))
            })
            || (!self.fingerprints.is_empty() && {
                let fingerprint = fingerprint();
                self.fingerprints.contains(&fingerprint)
            })
    }
}

/// A value as written in the config, in the form findings carry: e-mail addresses in lower
/// case, numbers without spaces, dots and dashes (`130972 48022` is `13097248022`).
pub(crate) fn normalise_value(v: &str) -> String {
    let v = v.trim();
    if v.contains('@') {
        v.to_lowercase()
    } else {
        v.chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
            .collect()
    }
}

impl Config {
    /// Reads and checks a config file.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the config file: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses a config file's text; `path` names it in errors and anchors `rules`.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError {
                file: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(offset, e.message().trim().to_string())
        })?;
        let level = |s: &str, offset: usize| s.parse::<Confidence>().map_err(|m| at(offset, m));
        let mut kinds_at = Vec::new();
        let fail_on = match raw.fail_on.map(|f| (f.span().start, f.into_inner())) {
            None => None,
            Some((offset, RawFailOn::Level(l))) => Some(FailOn::uniform(level(&l, offset)?)),
            Some((_, RawFailOn::Kinds(entries))) => {
                let mut f = FailOn::git_default();
                let mut listed = BTreeMap::new();
                for (k, v) in &entries {
                    let c = level(v.get_ref(), v.span().start)?;
                    if k.get_ref() == "default" {
                        f.default = c;
                    } else {
                        let (line, column) = line_col(text, k.span().start);
                        kinds_at.push((k.get_ref().clone(), line, column));
                        listed.insert(k.get_ref().clone(), c);
                    }
                }
                // A `default` replaces the built-in levels of the kinds the table leaves out.
                if entries.iter().any(|(k, _)| k.get_ref() == "default") {
                    f.kinds.clear();
                }
                f.kinds.extend(listed);
                Some(f)
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let rules = raw.rules.map(|r| dir.join(r.get_ref()));
        let s = raw.synthetic;
        let mut ranges = Vec::new();
        for r in &s.ranges {
            let (lo, hi) = (
                normalise_value(&r.get_ref().0),
                normalise_value(&r.get_ref().1),
            );
            let eleven = |v: &str| v.len() == 11 && v.bytes().all(|b| b.is_ascii_digit());
            if !eleven(&lo) || !eleven(&hi) || lo > hi {
                return Err(at(
                    r.span().start,
                    "a synthetic range is [\"FIRST\", \"LAST\"]: two 11-digit numbers, the first not above the last".into(),
                ));
            }
            ranges.push((lo, hi));
        }
        let mut fingerprints = Vec::new();
        for f in &s.fingerprints {
            let ok = f
                .get_ref()
                .strip_prefix("hmac-sha256:")
                .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                return Err(at(
                    f.span().start,
                    "a fingerprint is `hmac-sha256:` and 32 hex digits, as the baseline and the inventory write them".into(),
                ));
            }
            fingerprints.push(f.get_ref().to_ascii_lowercase());
        }
        Ok(Config {
            file: path.to_path_buf(),
            fail_on,
            exclude: raw.exclude,
            rules,
            synthetic: Synthetic {
                dolly: s.dolly,
                ranges,
                values: s.values.iter().map(|v| normalise_value(v)).collect(),
                fingerprints,
            },
            kinds_at,
        })
    }

    /// Checks that every kind `fail_on` names is one the rules produce.
    pub(crate) fn check_kinds<'k>(
        &self,
        known: impl IntoIterator<Item = &'k str> + Clone,
    ) -> Result<(), ConfigError> {
        for (k, line, column) in &self.kinds_at {
            if !known.clone().into_iter().any(|n| n == k) {
                let mut names: Vec<&str> = known.clone().into_iter().collect();
                names.sort_unstable();
                names.dedup();
                return Err(ConfigError {
                    file: self.file.clone(),
                    line: *line,
                    column: *column,
                    message: format!(
                        "unknown kind `{k}` in fail_on (known: default, {})",
                        names.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    fail_on: Option<Spanned<RawFailOn>>,
    #[serde(default)]
    exclude: Vec<String>,
    rules: Option<Spanned<String>>,
    #[serde(default)]
    synthetic: RawSynthetic,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSynthetic {
    #[serde(default)]
    dolly: bool,
    #[serde(default)]
    ranges: Vec<Spanned<(String, String)>>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    fingerprints: Vec<Spanned<String>>,
}

/// `fail_on = "high"` or `[fail_on]` with a level per kind, keys located for errors.
enum RawFailOn {
    Level(String),
    Kinds(Vec<(Spanned<String>, Spanned<String>)>),
}

impl<'de> Deserialize<'de> for RawFailOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFailOn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a level (\"low\", \"medium\", \"high\") or a table of levels per kind")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFailOn, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    out.push((k, map.next_value::<Spanned<String>>()?));
                }
                Ok(RawFailOn::Kinds(out))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawFailOn, E> {
                Ok(RawFailOn::Level(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("repo/.kartlegg.toml"), text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn every_key_parses() {
        let c = parse(
            r#"
fail_on = "medium"
exclude = ["fixtures/big/**", "*.snap"]
rules = "kartlegg-rules"

[synthetic]
dolly = true
ranges = [["01010100000", "01010199999"]]
values = ["130972 48022", "Test@Example.COM", "+47 923 45 678"]
fingerprints = ["hmac-sha256:1E7BB6FB7576B02620DB8C98673C1210"]
"#,
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(FailOn::uniform(Confidence::Medium)));
        assert_eq!(c.exclude, ["fixtures/big/**", "*.snap"]);
        assert_eq!(c.rules, Some(PathBuf::from("repo/kartlegg-rules")));
        let s = &c.synthetic;
        assert!(s.dolly);
        assert_eq!(s.ranges, [("01010100000".into(), "01010199999".into())]);
        assert_eq!(s.values, ["13097248022", "test@example.com", "+4792345678"]);
        assert_eq!(
            s.fingerprints,
            ["hmac-sha256:1e7bb6fb7576b02620db8c98673c1210"]
        );
    }

    #[test]
    fn fail_on_per_kind_keeps_the_other_defaults_unless_a_default_is_given() {
        let c = parse("[fail_on]\nphone = \"medium\"\n").unwrap();
        let f = c.fail_on.unwrap();
        assert_eq!(f.level("phone"), Confidence::Medium);
        assert_eq!(f.level("fodselsnummer"), Confidence::Medium);
        assert_eq!(f.level("email"), Confidence::High);
        let c = parse("[fail_on]\ndefault = \"low\"\nemail = \"high\"\n").unwrap();
        let f = c.fail_on.unwrap();
        assert_eq!(
            (f.level("fodselsnummer"), f.level("email"), f.lowest()),
            (Confidence::Low, Confidence::High, Confidence::Low)
        );
        assert_eq!(f.to_string(), "high for email; low otherwise");
        assert_eq!(
            FailOn::git_default().to_string(),
            "medium for d_nummer, fh_nummer, fodselsnummer, h_nummer; high otherwise"
        );
        assert_eq!(FailOn::uniform(Confidence::High).to_string(), "high");
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        assert!(
            err("exclude = []\nfail_onn = \"high\"\n")
                .starts_with("repo/.kartlegg.toml:2:1: unknown field `fail_onn`"),
            "{}",
            err("exclude = []\nfail_onn = \"high\"\n")
        );
        let e = err("[synthetic]\ndoly = true\n");
        assert!(
            e.starts_with("repo/.kartlegg.toml:2:1: unknown field `doly`"),
            "{e}"
        );
        let e = err("fail_on = \"hihg\"\n");
        assert!(
            e.starts_with("repo/.kartlegg.toml:1:11: expected low, medium or high"),
            "{e}"
        );
        let e = err("[fail_on]\nphone = \"hihg\"\n");
        assert!(e.starts_with("repo/.kartlegg.toml:2:9:"), "{e}");
        let e = err("[synthetic]\nranges = [[\"1309724802\", \"13097248022\"]]\n");
        assert!(
            e.starts_with("repo/.kartlegg.toml:2:11: a synthetic range"),
            "{e}"
        );
        let e = err("[synthetic]\nfingerprints = [\"abc\"]\n");
        assert!(
            e.starts_with("repo/.kartlegg.toml:2:17: a fingerprint"),
            "{e}"
        );
        let e = err("fail_on = 3\n");
        assert!(e.starts_with("repo/.kartlegg.toml:1:11:"), "{e}");
        let c = parse("[fail_on]\ndefault = \"high\"\n\nfoedselsnummer = \"low\"\n").unwrap();
        let e = c
            .check_kinds(["fodselsnummer", "phone"])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "repo/.kartlegg.toml:4:1: unknown kind `foedselsnummer` in fail_on (known: default, fodselsnummer, phone)"
        );
        assert!(c.check_kinds(["foedselsnummer"]).is_ok());
    }

    #[test]
    fn synthetic_declarations_cover_their_values_only() {
        let c = parse(
            r#"[synthetic]
dolly = true
ranges = [["01010100000", "01010199999"]]
values = ["92345678", "ola@nav.no"]
fingerprints = ["hmac-sha256:00000000000000000000000000000001"]
"#,
        )
        .unwrap();
        let s = &c.synthetic;
        assert!(s.covers("h_nummer", "13497248022", || "x".into()));
        assert!(!s.covers("fodselsnummer", "13097248022", || "x".into()));
        assert!(s.covers("fodselsnummer", "01010112345", || "x".into()));
        assert!(s.covers("d_nummer", "01010199999", || "x".into()));
        assert!(!s.covers("fodselsnummer", "01010200000", || "x".into()));
        assert!(
            !s.covers("kontonummer", "01010112345", || "x".into()),
            "ranges are identity numbers"
        );
        assert!(s.covers("phone", "+4792345678", || "x".into()));
        assert!(!s.covers("phone", "+4692345678", || "x".into()));
        assert!(s.covers("email", "ola@nav.no", || "x".into()));
        assert!(s.covers("phone", "+4700000000", || {
            "hmac-sha256:00000000000000000000000000000001".into()
        }));
        assert!(!Synthetic::default().covers("h_nummer", "13497248022", || "x".into()));
    }
}
