//! Rules as data: loading the TOML rule files into a checked [`RuleSet`].
//!
//! The built-in files in `rules/` are compiled into the binary; `--rules DIR` adds the `*.toml`
//! files of a directory. A file may define context `classes` and `rule`s. A rule either names a
//! built-in `matcher` (the shapes and validators that live in code) or gives a `pattern` regex
//! with an optional named `validator`. Everything a rule can get wrong is reported as
//! `file:line:column: problem`, so a user can fix a rule file without reading our source.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::registry::{Adjustment, Builtin};
use super::validate::Named;
use super::Confidence;

/// The context classes, compiled in; the built-in detectors' rule files come from the
/// [`registry`](super::registry).
const CONTEXT_FILE: (&str, &str) = (
    "rules/context.toml",
    include_str!("../../rules/context.toml"),
);

/// The built-in rule files: the classes, then each built-in detector's file in registry order.
/// Their order is the order of evaluation and hashing.
pub(crate) fn builtin_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    std::iter::once(CONTEXT_FILE).chain(Builtin::ALL.iter().map(|b| b.spec().rule_file))
}

/// A problem in a rule file or a configuration file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for RuleError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    classes: BTreeMap<Spanned<String>, ClassDef>,
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassDef {
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: Spanned<String>,
    kind: Option<Spanned<String>>,
    #[serde(default)]
    description: String,
    matcher: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    validator: Option<Spanned<String>>,
    #[serde(default = "default_base")]
    base: i32,
    max_confidence: Option<Confidence>,
    #[serde(default = "default_before")]
    window_before: usize,
    #[serde(default = "default_after")]
    window_after: usize,
    #[serde(default)]
    groupings: Vec<Spanned<String>>,
    #[serde(default)]
    weights: BTreeMap<Spanned<String>, i32>,
    #[serde(default)]
    adjust: BTreeMap<Spanned<String>, i32>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    not_tlds: Vec<String>,
    #[serde(default)]
    example_domains: Vec<String>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    counter_examples: Vec<CounterExample>,
}

fn default_base() -> i32 {
    2
}
fn default_before() -> usize {
    80
}
fn default_after() -> usize {
    40
}

/// A text the rule must find something in, and what.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub text: String,
    pub kind: String,
    pub confidence: Option<Confidence>,
    pub value: Option<String>,
    pub synthetic: Option<bool>,
    pub role: Option<bool>,
    pub iban: Option<bool>,
    pub checksum: Option<String>,
    pub scope: Option<String>,
    /// Scan the text as a text run pulled out of a binary file ([`super::ChunkContext`]).
    #[serde(default)]
    pub binary_runs: bool,
    #[serde(default)]
    pub note: String,
}

/// A text in which the rule must report nothing at the default confidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterExample {
    pub text: String,
    #[serde(default)]
    pub binary_runs: bool,
    #[serde(default)]
    pub note: String,
}

/// A digit grouping such as `2.2.2 5`: group lengths and the separators between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub lens: Vec<u8>,
    /// Separator bytes between groups (`b' '` also accepts a no-break space).
    pub seps: Vec<u8>,
}

impl Grouping {
    fn parse(s: &str) -> Result<Grouping, String> {
        let mut lens = Vec::new();
        let mut seps = Vec::new();
        let mut num = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            if num.is_empty() || !matches!(c, ' ' | '.' | '-') {
                return Err(format!(
                    "grouping {s:?}: expected digit counts separated by one of ' ', '.', '-'"
                ));
            }
            lens.push(
                num.parse::<u8>()
                    .map_err(|_| format!("grouping {s:?}: bad count"))?,
            );
            num.clear();
            seps.push(c as u8);
        }
        if num.is_empty() {
            return Err(format!("grouping {s:?}: must end with a digit count"));
        }
        lens.push(
            num.parse::<u8>()
                .map_err(|_| format!("grouping {s:?}: bad count"))?,
        );
        Ok(Grouping { lens, seps })
    }

    pub fn total(&self) -> usize {
        self.lens.iter().map(|&l| l as usize).sum()
    }
}

/// What a rule matches with.
#[derive(Debug, Clone)]
pub enum Matcher {
    Builtin(Builtin),
    Pattern {
        regex: regex::Regex,
        validator: Option<Named>,
    },
}

/// A loaded, checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    /// The kind written in the output (for identity numbers, the variant decides).
    pub kind: String,
    pub description: String,
    pub matcher: Matcher,
    pub base: i32,
    pub max_confidence: Confidence,
    pub window_before: usize,
    pub window_after: usize,
    pub groupings: Vec<Grouping>,
    /// Bit `n` set when `groupings` lists one group of `n` digits: what a group standing
    /// alone is tested against, once per number of a dense file.
    alone: u64,
    /// Weight per class index.
    pub weights: Vec<i32>,
    /// The `adjust` values of a built-in detector's rule, indexed by its [`Adjustment`] enum
    /// (0 where the file sets none).
    adjust: Vec<i32>,
    pub roles: BTreeSet<String>,
    pub not_tlds: BTreeSet<String>,
    pub example_domains: BTreeSet<String>,
    pub examples: Vec<Example>,
    pub counter_examples: Vec<CounterExample>,
    pub file: PathBuf,
}

impl Rule {
    /// The value the rule file gave the adjustment `a` (0 if none).
    pub fn adjustment<A: Adjustment>(&self, a: A) -> i32 {
        debug_assert!(
            matches!(self.matcher, Matcher::Builtin(b) if b == A::BUILTIN),
            "rule {:?} is not the rule of {}",
            self.id,
            A::BUILTIN
        );
        self.adjust.get(a.index()).copied().unwrap_or(0)
    }

    /// Whether the rule lists one group of `len` digits among its groupings.
    pub fn lists_alone(&self, len: usize) -> bool {
        len < 64 && self.alone & (1 << len) != 0
    }
}

/// All rules and classes, checked, plus the hash that identifies the set in an inventory.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub classes: Vec<(String, Vec<String>)>,
    pub rules: Vec<Rule>,
    /// `sha256:` of every rule file's name and contents, in load order.
    pub hash: String,
}

struct Source {
    path: PathBuf,
    text: String,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        Self::load(None)
    }

    /// The built-in rules plus every `*.toml` in `dir` (sorted by name).
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, RuleError> {
        let mut sources: Vec<Source> = builtin_files()
            .map(|(p, t)| Source {
                path: PathBuf::from(p),
                text: t.to_string(),
            })
            .collect();
        if let Some(dir) = dir {
            let err = |message: String| RuleError {
                file: dir.to_path_buf(),
                line: 0,
                column: 0,
                message,
            };
            let entries = std::fs::read_dir(dir)
                .map_err(|e| err(format!("cannot read rule directory: {e}")))?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            if paths.is_empty() {
                return Err(err("no *.toml rule files in this directory".into()));
            }
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|e| RuleError {
                    file: path.clone(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read rule file: {e}"),
                })?;
                sources.push(Source { path, text });
            }
        }
        Self::from_sources(&sources)
    }

    /// Loads rules from in-memory `(path, text)` pairs after the built-ins (for tests).
    pub fn with_extra(extra: &[(&str, &str)]) -> Result<RuleSet, RuleError> {
        let source = |(p, t): (&str, &str)| Source {
            path: PathBuf::from(p),
            text: t.to_string(),
        };
        let sources: Vec<Source> = builtin_files()
            .map(source)
            .chain(extra.iter().copied().map(source))
            .collect();
        Self::from_sources(&sources)
    }

    fn from_sources(sources: &[Source]) -> Result<RuleSet, RuleError> {
        let mut hasher = Sha256::new();
        let mut parsed = Vec::new();
        for src in sources {
            hasher.update(src.path.to_string_lossy().as_bytes());
            hasher.update([0]);
            hasher.update(src.text.as_bytes());
            hasher.update([0]);
            let def: FileDef = toml::from_str(&src.text).map_err(|e| {
                let (line, column) = e
                    .span()
                    .map(|s| line_col(&src.text, s.start))
                    .unwrap_or((1, 1));
                RuleError {
                    file: src.path.clone(),
                    line,
                    column,
                    message: e.message().to_string(),
                }
            })?;
            parsed.push((src, def));
        }

        // Classes first: rules of any file may weigh classes of any file.
        let mut classes: Vec<(String, Vec<String>)> = Vec::new();
        for (src, def) in &parsed {
            for (name, class) in &def.classes {
                let at = |msg: String| located(src, name.span().start, msg);
                if classes.iter().any(|(n, _)| n == name.get_ref()) {
                    return Err(at(format!("class {:?} is defined twice", name.get_ref())));
                }
                if classes.len() == super::context::MAX_CLASSES {
                    return Err(at(format!(
                        "more than {} classes",
                        super::context::MAX_CLASSES
                    )));
                }
                if class.words.iter().any(|w| w.trim().is_empty()) {
                    return Err(at(format!("class {:?} has an empty word", name.get_ref())));
                }
                classes.push((name.get_ref().clone(), class.words.clone()));
            }
        }

        let mut rules: Vec<Rule> = Vec::new();
        for (src, def) in parsed {
            for r in def.rule {
                rules.push(check_rule(src, r, &classes, &rules)?);
            }
        }
        for b in Builtin::ALL {
            if !rules
                .iter()
                .any(|r| matches!(r.matcher, Matcher::Builtin(m) if m == b))
            {
                return Err(RuleError {
                    file: PathBuf::from("rules"),
                    line: 0,
                    column: 0,
                    message: format!("no rule uses the built-in matcher {:?}", b.spec().matcher),
                });
            }
        }
        Ok(RuleSet {
            classes,
            rules,
            hash: format!("sha256:{}", hex::encode(hasher.finalize())),
        })
    }

    pub fn builtin_rule(&self, b: Builtin) -> &Rule {
        self.rules
            .iter()
            .find(|r| matches!(r.matcher, Matcher::Builtin(m) if m == b))
            .expect("every built-in matcher has a rule (checked at load)")
    }
}

/// The 1-based line and character column of byte `offset` of `text` (for errors in files
/// people write: rule files, policy files).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn located(src: &Source, offset: usize, message: String) -> RuleError {
    let (line, column) = line_col(&src.text, offset);
    RuleError {
        file: src.path.clone(),
        line,
        column,
        message,
    }
}

fn check_rule(
    src: &Source,
    r: RuleDef,
    classes: &[(String, Vec<String>)],
    earlier: &[Rule],
) -> Result<Rule, RuleError> {
    let at = |offset: usize, msg: String| located(src, offset, msg);
    let id = r.id.get_ref().clone();
    let id_at = r.id.span().start;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(at(
            id_at,
            format!("rule id {id:?} must be letters, digits, '_' or '-'"),
        ));
    }
    if earlier.iter().any(|e| e.id == id) {
        return Err(at(id_at, format!("rule id {id:?} is used twice")));
    }
    let (matcher, adjust_names): (Matcher, &[&str]) = match (&r.matcher, &r.pattern) {
        (Some(m), None) => {
            let Some(b) = Builtin::parse(m.get_ref()) else {
                let known: Vec<_> = Builtin::ALL.iter().map(|b| b.spec().matcher).collect();
                return Err(at(
                    m.span().start,
                    format!(
                        "unknown matcher {:?} (built-in matchers: {})",
                        m.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            if earlier
                .iter()
                .any(|e| matches!(e.matcher, Matcher::Builtin(x) if x == b))
            {
                return Err(at(
                    m.span().start,
                    format!("matcher {:?} is already used by another rule", m.get_ref()),
                ));
            }
            (Matcher::Builtin(b), b.spec().adjustments)
        }
        (None, Some(p)) => {
            let regex = regex::Regex::new(p.get_ref()).map_err(|e| {
                at(
                    p.span().start,
                    format!(
                        "pattern does not compile: {}",
                        e.to_string().replace('\n', " ")
                    ),
                )
            })?;
            let validator = match &r.validator {
                None => None,
                Some(v) => Some(Named::parse(v.get_ref()).ok_or_else(|| {
                    let known: Vec<_> = Named::ALL.iter().map(|(n, _)| *n).collect();
                    at(
                        v.span().start,
                        format!(
                            "unknown validator {:?} (known: {})",
                            v.get_ref(),
                            known.join(", ")
                        ),
                    )
                })?),
            };
            (Matcher::Pattern { regex, validator }, &[])
        }
        (Some(m), Some(_)) => {
            return Err(at(
                m.span().start,
                "a rule has either `matcher` or `pattern`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(at(
                id_at,
                "a rule needs a `pattern` (or a built-in `matcher`)".into(),
            ))
        }
    };
    if let (Matcher::Builtin(_), Some(v)) = (&matcher, &r.validator) {
        return Err(at(
            v.span().start,
            "`validator` goes with `pattern`, not with a built-in matcher".into(),
        ));
    }
    let kind = match (&r.kind, &matcher) {
        (Some(k), _) => {
            if k.get_ref().is_empty()
                || !k
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(at(
                    k.span().start,
                    format!("kind {:?} must be letters, digits or '_'", k.get_ref()),
                ));
            }
            k.get_ref().clone()
        }
        (None, Matcher::Builtin(b)) => b.spec().kind.to_string(),
        (None, _) => id.clone(),
    };
    let mut groupings = Vec::new();
    for g in &r.groupings {
        groupings.push(Grouping::parse(g.get_ref()).map_err(|m| at(g.span().start, m))?);
    }
    let mut weights = vec![0; classes.len()];
    for (name, w) in &r.weights {
        let Some(i) = classes.iter().position(|(n, _)| n == name.get_ref()) else {
            let known: Vec<_> = classes.iter().map(|(n, _)| n.as_str()).collect();
            return Err(at(
                name.span().start,
                format!(
                    "unknown class {:?} in weights (classes: {})",
                    name.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        weights[i] = *w;
    }
    let mut adjust = vec![0; adjust_names.len()];
    for (name, v) in &r.adjust {
        let Some(i) = adjust_names.iter().position(|n| n == name.get_ref()) else {
            return Err(at(
                name.span().start,
                format!(
                    "unknown adjustment {:?} for this matcher (known: {})",
                    name.get_ref(),
                    if adjust_names.is_empty() {
                        "none".to_string()
                    } else {
                        adjust_names.join(", ")
                    }
                ),
            ));
        };
        adjust[i] = *v;
    }
    let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<BTreeSet<_>>();
    let alone = groupings
        .iter()
        .filter(|g| g.lens.len() == 1 && g.lens[0] < 64)
        .fold(0, |bits, g| bits | 1u64 << g.lens[0]);
    Ok(Rule {
        id,
        kind,
        description: r.description,
        matcher,
        base: r.base,
        max_confidence: r.max_confidence.unwrap_or(Confidence::High),
        window_before: r.window_before.min(1024),
        window_after: r.window_after.min(1024),
        groupings,
        alone,
        weights,
        adjust,
        roles: lower(&r.roles),
        not_tlds: lower(&r.not_tlds),
        example_domains: lower(&r.example_domains),
        examples: r.examples,
        counter_examples: r.counter_examples,
        file: src.path.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().expect("built-in rules are valid");
        assert!(set.hash.starts_with("sha256:"));
        assert_eq!(set.builtin_rule(Builtin::Phone).id, "phone");
        assert!(
            set.rules.iter().all(|r| !r.examples.is_empty()),
            "every rule has examples"
        );
    }

    fn err(text: &str) -> String {
        RuleSet::with_extra(&[("mine/bad.toml", text)])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_rules_name_file_line_and_problem() {
        let e = err("[[rule]]\nid = \"x\"\npattern = \"(\"\n");
        assert!(
            e.starts_with("mine/bad.toml:3:11: pattern does not compile: regex parse error:"),
            "{e}"
        );
        assert!(e.contains("unclosed group"), "{e}");
        assert!(
            err("[[rule]]\nid = \"x\"\npattern = \"a\"\nvalidator = \"mod12\"\n")
                .starts_with("mine/bad.toml:4:13: unknown validator \"mod12\"")
        );
        assert!(
            err("[[rule]]\nid = \"x\"\npattern = \"a\"\n[rule.weights]\nnope = 1\n")
                .starts_with("mine/bad.toml:5:1: unknown class \"nope\"")
        );
        assert!(err("[[rule]]\nid = \"phone\"\npattern = \"a\"\n").contains("used twice"));
        assert!(err("[[rule]]\nid = \"x\"\n")
            .starts_with("mine/bad.toml:2:6: a rule needs a `pattern`"));
        assert!(err("[[rule]\n").starts_with("mine/bad.toml:1:"));
        assert!(err("[[rule]]\nid = \"x\"\npattern = \"a\"\ncolour = 1\n")
            .contains("unknown field `colour`"));
    }

    /// The built-in files with one file's text edited.
    fn builtins_with(path: &str, from: &str, to: &str) -> Result<RuleSet, RuleError> {
        let sources: Vec<Source> = builtin_files()
            .map(|(p, t)| Source {
                path: PathBuf::from(p),
                text: if p == path {
                    assert!(t.contains(from), "{path} has no {from:?}");
                    t.replacen(from, to, 1)
                } else {
                    t.to_string()
                },
            })
            .collect();
        RuleSet::from_sources(&sources)
    }

    #[test]
    fn adjustments_are_typed_and_unknown_keys_are_located() {
        use super::super::phone::Adjust;
        let set = RuleSet::builtin().unwrap();
        let phone = set.builtin_rule(Builtin::Phone);
        assert_eq!(phone.adjustment(Adjust::Plus47), 3);
        assert_eq!(phone.adjustment(Adjust::LooksLikeDate), -2);
        let set = builtins_with("rules/phone.toml", "plus47 = 3", "plus47 = 5").unwrap();
        assert_eq!(
            set.builtin_rule(Builtin::Phone).adjustment(Adjust::Plus47),
            5
        );
        let unset = builtins_with("rules/phone.toml", "plus47 = 3", "").unwrap();
        assert_eq!(
            unset
                .builtin_rule(Builtin::Phone)
                .adjustment(Adjust::Plus47),
            0
        );
        let e = builtins_with("rules/phone.toml", "plus47 = 3", "plus74 = 3")
            .unwrap_err()
            .to_string();
        let line = include_str!("../../rules/phone.toml")
            .lines()
            .position(|l| l.starts_with("plus47 = 3"))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!(
                "rules/phone.toml:{line}:1: unknown adjustment \"plus74\" for this matcher (known: plus47, grouped,"
            )),
            "{e}"
        );
        assert!(
            err("[[rule]]\nid = \"x\"\npattern = \"a\"\n[rule.adjust]\nrole = 1\n").starts_with(
                "mine/bad.toml:5:1: unknown adjustment \"role\" for this matcher (known: none)"
            )
        );
    }

    #[test]
    fn groupings_parse() {
        let g = Grouping::parse("2.2.2 5").unwrap();
        assert_eq!(g.lens, vec![2, 2, 2, 5]);
        assert_eq!(g.seps, b".. ".to_vec());
        assert_eq!(g.total(), 11);
        assert!(Grouping::parse("2/2").is_err());
        assert!(Grouping::parse("2 ").is_err());
    }

    /// The one-group lengths kept as bits say what the groupings say.
    #[test]
    fn lone_groups_as_bits_are_the_groupings() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.builtin_rule(Builtin::IdentityNumber).lists_alone(11));
        for r in &set.rules {
            for len in 0..80 {
                let listed = r
                    .groupings
                    .iter()
                    .any(|g| g.lens.len() == 1 && usize::from(g.lens[0]) == len);
                assert_eq!(r.lists_alone(len), listed, "rule {} length {len}", r.id);
            }
        }
    }
}
