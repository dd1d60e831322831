//! Detection: text in, candidates out. Pure — no I/O, no allocation per byte.
//!
//! # How a chunk is searched
//! One forward pass skips, 32 bytes at a time, everything that is neither an ASCII digit nor
//! `@`; realistic text is mostly letters, so most of it is never looked at twice.
//!
//! * At a digit, the pass reads a *chain*: digit groups joined by single separators (space,
//!   no-break space, `.`, `-`), such as `13.09.72 48022` or `+47 403 00 040`. A chain is matched
//!   whole against the groupings of the rules (`rules/*.toml`), and a group that stands alone
//!   between spaces is matched on its own. Runs longer than a shape never yield a shorter
//!   match, a chain glued to letters is part of a code or hash, and a chain touching a decimal
//!   comma or point is a number, not an identifier.
//! * At `@`, the pass tries an e-mail address around it ([`email`]).
//! * User rules with a `pattern` run their regex over the chunk afterwards ([`pattern`]).
//!
//! Each detector lives in a module of its own and is listed in the [`registry`] with its
//! trigger, shape, validator and typed adjustments; the Norwegian numbers, which compete for
//! the same digits, are decided together on each chain ([`digits`]).
//!
//! Each candidate is then scored: the rule's `base`, its `adjust`ments for the shape (prefix,
//! grouping, 2032 rule…), and the `weights` of the context classes found in its window or in
//! its column header ([`context`]). An 11-digit number valid as both fødselsnummer and
//! kontonummer is scored by both rules in the same context and the higher score wins.
//! Candidates at every confidence are returned; the caller decides what to keep.

pub mod context;
mod digits;
mod email;
mod identity;
mod kontonummer;
mod organisasjonsnummer;
mod pattern;
mod phone;
pub mod registry;
pub mod rules;
pub mod validate;

use serde::{Deserialize, Serialize};

use context::{ClassSet, Classes};
use registry::{Builtin, ChainHook};
use rules::{Matcher, Rule, RuleSet};
use validate::ChecksumRule;

/// How sure the detector is that a value is personal data of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// Scores of 3 and more are high, 2 medium, anything less low.
    pub fn from_score(score: i32) -> Confidence {
        match score {
            i32::MIN..=1 => Confidence::Low,
            2 => Confidence::Medium,
            _ => Confidence::High,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!("expected low, medium or high, not {s:?}")),
        }
    }
}

/// The kinds written in the output.
pub mod kind {
    pub const FODSELSNUMMER: &str = "fodselsnummer";
    pub const D_NUMMER: &str = "d_nummer";
    pub const H_NUMMER: &str = "h_nummer";
    pub const FH_NUMMER: &str = "fh_nummer";
    pub const PHONE: &str = "phone";
    pub const EMAIL: &str = "email";
    pub const KONTONUMMER: &str = "kontonummer";
    pub const ORGANISASJONSNUMMER: &str = "organisasjonsnummer";
}

/// One value the detector considered, at any confidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: &'static str,
    pub rule: &'static str,
    /// Byte span in the chunk text.
    pub start: usize,
    pub end: usize,
    /// Normalised: digits for identity and account numbers, E.164 for phones, lower-case
    /// e-mail.
    pub value: String,
    pub score: i32,
    pub confidence: Confidence,
    pub checksum: Option<ChecksumRule>,
    pub synthetic: bool,
    pub role: bool,
    pub iban: bool,
    pub recovered_leading_zero: bool,
}

/// What a column header says about the values under it, computed once per column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    pub classes: ClassSet,
    /// The header names an identity-number column: 10-digit numbers get their lost leading
    /// zero back.
    pub identity: bool,
    /// What the column's values say about it, where an extractor measured them (database
    /// tables, dumps, CSV): see `extract::table`.
    pub values: ColumnValues,
}

/// Column statistics: what the values of one column (a sample of them) say about the column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColumnValues {
    /// Not measured, or too few numbers to tell.
    #[default]
    Unknown,
    /// Nearly every 11-digit value validates as an identity number: an identity column.
    IdentityNumbers,
    /// Mostly 11-digit numbers that do not validate: ids, of which about 1 in 400 validate by
    /// chance.
    OtherNumbers,
}

/// Context that comes with a chunk from its extractor.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkContext {
    /// The header of the column that the whole chunk sits in (a cell, a table column).
    pub header: Option<Header>,
}

impl ChunkContext {
    fn header(&self) -> Header {
        self.header.unwrap_or_default()
    }
}

/// Rule parameters with their kind and id names made `'static` (rules live for the process).
struct Compiled {
    rule: Rule,
    id: &'static str,
    kind: &'static str,
}

impl Compiled {
    /// A candidate of this rule, its confidence from `score` within the rule's cap.
    fn candidate(
        &self,
        kind: &'static str,
        start: usize,
        end: usize,
        value: String,
        score: i32,
    ) -> Candidate {
        Candidate {
            kind,
            rule: self.id,
            start,
            end,
            value,
            score,
            confidence: Confidence::from_score(score).min(self.rule.max_confidence),
            checksum: None,
            synthetic: false,
            role: false,
            iban: false,
            recovered_leading_zero: false,
        }
    }
}

/// The detector: rules and classes compiled once, shared by all threads.
pub struct Detector {
    rules: Vec<Compiled>,
    /// The rule of each built-in detector, by [`Builtin::index`].
    builtin: [usize; Builtin::ALL.len()],
    /// Hooks of digit-chain detectors that look beyond the chain, in registry order.
    chain_hooks: Vec<ChainHook>,
    patterns: pattern::Patterns,
    classes: Classes,
    person_class: Option<usize>,
    hash: String,
}

/// The kind names as `'static` strings: the built-in ones as they are, user kinds leaked (a
/// handful of short strings, once per process).
fn leak(s: &str) -> &'static str {
    let builtin = Builtin::ALL.iter().map(|b| b.spec().kind);
    let variants = [kind::D_NUMMER, kind::H_NUMMER, kind::FH_NUMMER];
    match builtin.chain(variants).find(|k| *k == s) {
        Some(k) => k,
        None => Box::leak(s.to_string().into_boxed_str()),
    }
}

impl Detector {
    pub fn new(set: RuleSet) -> Detector {
        let classes = Classes::new(&set.classes);
        let builtin = Builtin::ALL.map(|b| {
            set.rules
                .iter()
                .position(|r| matches!(r.matcher, Matcher::Builtin(x) if x == b))
                .expect("every built-in detector has a rule (checked at load)")
        });
        let chain_hooks = Builtin::ALL
            .iter()
            .filter_map(|b| b.spec().on_chain)
            .collect();
        let patterns = pattern::Patterns::new(&set.rules);
        let person_class = classes.index("person");
        let rules = set
            .rules
            .into_iter()
            .map(|rule| Compiled {
                id: leak(&rule.id),
                kind: leak(&rule.kind),
                rule,
            })
            .collect();
        Detector {
            rules,
            builtin,
            chain_hooks,
            patterns,
            classes,
            person_class,
            hash: set.hash,
        }
    }

    fn compiled(&self, b: Builtin) -> &Compiled {
        &self.rules[self.builtin[b.index()]]
    }

    fn rule(&self, b: Builtin) -> &Rule {
        &self.compiled(b).rule
    }

    /// True when user rules with a regex `pattern` are loaded: then text without digits or `@`
    /// may still hold a match, and extractors must not skip it.
    pub fn has_patterns(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// Whether `text` could hold anything the rules find: a cheap test that spares the scan of
    /// the many cells and fields that cannot. Every built-in shape needs an `@` or at least
    /// [`digits::MIN_DIGITS`] digits; user rules with a regex `pattern` may match anywhere.
    pub fn may_match(&self, text: &[u8]) -> bool {
        // Digits first: in a text window the eighth digit comes early and ends the test.
        text.iter()
            .filter(|b| b.is_ascii_digit())
            .nth(digits::MIN_DIGITS - 1)
            .is_some()
            || memchr::memchr(b'@', text).is_some()
            || self.patterns.may_match(text)
    }

    /// The built-in rules only.
    pub fn builtin() -> Detector {
        Detector::new(RuleSet::builtin().expect("built-in rules are valid"))
    }

    /// `sha256:` of the rule files in use.
    pub fn rules_hash(&self) -> &str {
        &self.hash
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// Precomputes what a column header says, once per column.
    pub fn header(&self, name: &str) -> Header {
        let classes = self.classes.classes_in(name);
        Header {
            classes,
            identity: self.person_class.is_some_and(|p| classes.contains(p)),
            values: ColumnValues::Unknown,
        }
    }

    /// All candidates in `text`, sorted by start, at every confidence.
    pub fn scan(&self, text: &str, ctx: &ChunkContext, out: &mut Vec<Candidate>) {
        let first = out.len();
        let bytes = text.as_bytes();
        let mut raws: Vec<digits::Raw> = Vec::new();
        let mut elevens: Vec<(usize, bool)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            i = next_interesting(bytes, i);
            if i >= bytes.len() {
                break;
            }
            if bytes[i] == b'@' {
                match email::at(text, i, self.rule(Builtin::Email)) {
                    Some(m) => {
                        out.push(email::score(self, text, m, ctx));
                        i = m.end;
                    }
                    None => i += 1,
                }
                continue;
            }
            let chain = digits::Chain::parse(bytes, i);
            let hooked = self
                .chain_hooks
                .iter()
                .find_map(|hook| hook(self, text, (chain.start, chain.end), ctx, out));
            if let Some(resume) = hooked {
                i = resume.max(chain.end);
                continue;
            }
            if chain.may_hold_shape() {
                digits::numbers(self, text, &chain, ctx, &mut raws, &mut elevens);
            }
            i = chain.end;
        }
        for raw in &raws {
            if let Some(c) = self.score_raw(text, raw, ctx, &elevens) {
                out.push(c);
            }
        }
        self.patterns.scan(self, text, ctx, out);
        out[first..].sort_by_key(|c| (c.start, c.end));
    }

    /// Context classes of a value: its column header, and the words in its windows. Windows
    /// stay on the value's own line — the lines around belong to other values — except that a
    /// value that starts its line also sees the line above (a label over a value, as forms and
    /// PDFs put it).
    fn classes(
        &self,
        text: &str,
        start: usize,
        end: usize,
        rule: &Rule,
        ctx: &ChunkContext,
    ) -> ClassSet {
        let b = text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &b[..start]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &b[end..]).map_or(b.len(), |p| end + p);
        let leads_line = b[line_start..start].iter().all(u8::is_ascii_whitespace);
        let from = if leads_line && line_start > 0 {
            memchr::memrchr(b'\n', &b[..line_start - 1]).map_or(0, |p| p + 1)
        } else {
            line_start
        };
        let before = rule.window_before.min(start - from);
        let after = rule.window_after.min(line_end - end);
        self.classes
            .classes_near(text, start, end, before, after)
            .union(ctx.header().classes)
    }

    fn weigh(rule: &Rule, classes: ClassSet) -> i32 {
        rule.weights
            .iter()
            .enumerate()
            .filter(|(i, _)| classes.contains(*i))
            .map(|(_, w)| w)
            .sum()
    }

    /// A rule's base score plus the weights of the context classes around `start..end`: what
    /// every detector's score starts from.
    fn context_score(
        &self,
        rule: &Rule,
        text: &str,
        start: usize,
        end: usize,
        ctx: &ChunkContext,
    ) -> i32 {
        rule.base + Self::weigh(rule, self.classes(text, start, end, rule, ctx))
    }

    fn score_raw(
        &self,
        text: &str,
        raw: &digits::Raw,
        ctx: &ChunkContext,
        elevens: &[(usize, bool)],
    ) -> Option<Candidate> {
        use digits::Shape;
        let (start, end) = (raw.start, raw.end);
        match &raw.shape {
            Shape::Eleven {
                digits,
                id,
                konto,
                konto_grouped,
                recovered_leading_zero,
            } => {
                let v = identity::Eleven {
                    start,
                    end,
                    digits,
                    id: *id,
                    konto: *konto,
                    konto_grouped: *konto_grouped,
                    recovered_leading_zero: *recovered_leading_zero,
                };
                identity::score(self, text, &v, ctx, elevens)
            }
            Shape::Iban { account } => Some(kontonummer::score_iban(
                self, text, start, end, account, ctx,
            )),
            Shape::Org { digits } => Some(organisasjonsnummer::score(
                self, text, start, end, digits, ctx,
            )),
            Shape::Phone { e164, evidence } => {
                Some(phone::score(self, text, start, end, e164, evidence, ctx))
            }
        }
    }
}

/// The index of the next ASCII digit or `@` at or after `i`.
///
/// Whole 32-byte blocks are tested with branch-free compares that the compiler turns into SIMD;
/// a block that holds something, and the tail, are then searched eight bytes at a time with
/// [`interesting`] rather than byte by byte: logs and exports have a digit every few bytes, and
/// the byte loop was the detector's hottest code on them.
#[inline]
fn next_interesting(b: &[u8], mut i: usize) -> usize {
    const BLOCK: usize = 32;
    while i + BLOCK <= b.len() {
        let block: &[u8; BLOCK] = b[i..i + BLOCK].try_into().expect("block length");
        let mut hit = false;
        for &x in block {
            hit |= (x.wrapping_sub(b'0') < 10) | (x == b'@');
        }
        if hit {
            break;
        }
        i += BLOCK;
    }
    while i + 8 <= b.len() {
        let word = u64::from_le_bytes(b[i..i + 8].try_into().expect("word length"));
        let m = interesting(word);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !(b[i].is_ascii_digit() || b[i] == b'@') {
        i += 1;
    }
    i
}

/// The high bit of each byte of `w` (little-endian) that is an ASCII digit or `@`, by the
/// classic SWAR "has less than" test. Only the lowest set byte is exact: a borrow out of a
/// matching byte can mark bytes above it, which [`next_interesting`] never looks at.
#[inline]
fn interesting(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let d = w ^ (ONES * u64::from(b'0')); // digits become 0..=9
    let digit = d.wrapping_sub(ONES * 10) & !d & HIGH;
    let a = w ^ (ONES * u64::from(b'@')); // `@` becomes 0
    let at = a.wrapping_sub(ONES) & !a & HIGH;
    digit | at
}

#[cfg(test)]
mod tests;

impl Detector {
    /// Runs every rule's examples and counter-examples; one line per failure. Tests prove the
    /// built-in rules with it, and user rules are checked with it when they are loaded.
    pub fn example_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for c in &self.rules {
            let r = &c.rule;
            let at = format!("{}: rule {:?}", r.file.display(), r.id);
            for ex in &r.examples {
                let mut out = Vec::new();
                self.scan(&ex.text, &ChunkContext::default(), &mut out);
                let ok = out.iter().any(|cand| {
                    cand.rule == c.id
                        && cand.kind == ex.kind
                        && ex.confidence.is_none_or(|x| x == cand.confidence)
                        && ex.value.as_ref().is_none_or(|v| *v == cand.value)
                        && ex.synthetic.is_none_or(|x| x == cand.synthetic)
                        && ex.role.is_none_or(|x| x == cand.role)
                        && ex.iban.is_none_or(|x| x == cand.iban)
                        && ex
                            .checksum
                            .as_deref()
                            .is_none_or(|x| Some(x) == cand.checksum.map(|c| c.as_str()))
                });
                if !ok {
                    let got: Vec<String> = out
                        .iter()
                        .map(|c| {
                            format!(
                                "{}/{} {} score {}",
                                c.rule,
                                c.kind,
                                c.confidence.as_str(),
                                c.score
                            )
                        })
                        .collect();
                    failures.push(format!(
                        "{at}: example {:?} expects {} {}; found [{}]",
                        ex.text,
                        ex.kind,
                        ex.confidence.map_or("", |c| c.as_str()),
                        got.join(", ")
                    ));
                }
            }
            for ce in &r.counter_examples {
                let mut out = Vec::new();
                self.scan(&ce.text, &ChunkContext::default(), &mut out);
                if let Some(bad) = out
                    .iter()
                    .find(|cand| cand.rule == c.id && cand.confidence >= Confidence::Medium)
                {
                    failures.push(format!(
                        "{at}: counter-example {:?} must report nothing, but found {} at {} confidence",
                        ce.text,
                        bad.kind,
                        bad.confidence.as_str()
                    ));
                }
            }
        }
        failures
    }
}
