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
//! * A timestamp (`2024-08-09 07:04:07.090`) is passed by whole when nothing beside it joins
//!   it to another number: its chains hold no shape (`timestamp.rs`).
//! * At `@`, the pass tries an e-mail address around it (`email.rs`).
//! * User rules with a `pattern` run their regex over the chunk afterwards, behind one literal prefilter
//!   (`pattern.rs`).
//!
//! Each detector lives in a module of its own and is listed in the [`registry`] with its
//! trigger, shape, validator and typed adjustments; the Norwegian numbers, which compete for
//! the same digits, are decided together on each chain (`digits.rs`).
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
mod ip;
mod kontonummer;
pub(crate) mod names;
mod organisasjonsnummer;
mod pattern;
mod phone;
pub(crate) mod registry;
pub(crate) mod rules;
mod timestamp;
pub(crate) mod validate;
mod value;

use serde::{Deserialize, Serialize};

use context::{ClassSet, Classes};
use registry::Builtin;
use rules::{Matcher, Rule, RuleSet};
use validate::ChecksumRule;
pub use value::Value;

/// How sure the detector is that a value is personal data of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// Every confidence, low to high: each at its place as a number (`c as usize`).
    pub const ALL: [Confidence; 3] = [Confidence::Low, Confidence::Medium, Confidence::High];

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
    pub const IP_ADDRESS: &str = "ip_address";
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
    pub value: Value,
    pub score: i32,
    pub confidence: Confidence,
    pub checksum: Option<ChecksumRule>,
    pub synthetic: bool,
    pub role: bool,
    pub iban: bool,
    pub recovered_leading_zero: bool,
    /// The range of an IP address that names no person (`private`, `loopback`,
    /// `link_local`, `documentation`, `multicast`, `unspecified`, `reserved`); `None` for a
    /// public address and for every other kind.
    pub scope: Option<&'static str>,
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkContext {
    /// The header of the column that the whole chunk sits in (a cell, a table column).
    pub header: Option<Header>,
    /// The chunk is text runs pulled out of a binary file (git packs, executables): an e-mail
    /// address or a phone number there is not high on its own, only with context words.
    pub binary_runs: bool,
}

impl ChunkContext {
    fn header(&self) -> Header {
        self.header.unwrap_or_default()
    }
}

/// A chunk as its values are scored: the text, the extractor's context, and for a chunk dense
/// with values the class words found in it once ([`context::WordIndex`]).
pub struct Scoring<'a> {
    text: &'a str,
    ctx: &'a ChunkContext,
    words: Option<context::WordIndex>,
    /// The end of the text that chain hooks have examined: chains that start before it do
    /// not call them again.
    hooks_looked: std::cell::Cell<usize>,
}

impl<'a> Scoring<'a> {
    fn new(text: &'a str, ctx: &'a ChunkContext) -> Scoring<'a> {
        Scoring {
            text,
            ctx,
            words: None,
            hooks_looked: std::cell::Cell::new(0),
        }
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
        value: Value,
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
            scope: None,
        }
    }
}

/// The detector: rules and classes compiled once, shared by all threads.
pub struct Detector {
    rules: Vec<Compiled>,
    /// The rule of each built-in detector, by [`Builtin::index`].
    builtin: [usize; Builtin::ALL.len()],
    /// Hooks of digit-chain detectors that look beyond the chain, in registry order.
    chain_hooks: Hooks,
    /// What text must hold for some detector to find anything.
    needs: NeedsTest,
    patterns: pattern::Patterns,
    classes: Classes,
    person_class: Option<usize>,
    hash: String,
    /// Unique in the process: what remembers results of this detector tells it from others.
    id: u64,
    /// Whether timestamps are passed by whole ([`timestamp`]); off only in the test that
    /// proves passing them changes nothing.
    pass_timestamps: bool,
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
        let chain_hooks = Hooks::new(Builtin::ALL.iter().filter_map(|b| b.spec().on_chain));
        let needs = NeedsTest::new(Builtin::ALL.iter().flat_map(|b| b.spec().needs));
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
            needs,
            patterns,
            classes,
            person_class,
            hash: set.hash,
            id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            pass_timestamps: true,
        }
    }

    /// A number no other detector of this process has: results of [`Detector::scan`] kept
    /// for later are kept with it (the same text and context give the same candidates only
    /// under the same rules).
    pub fn id(&self) -> u64 {
        self.id
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
    /// the many cells and fields that cannot. Every built-in detector declares what a text must
    /// hold for it (`Spec::needs`: 8 digits for the Norwegian numbers, an `@` for e-mail…);
    /// user rules with a regex `pattern` need one of their required literals.
    pub fn may_match(&self, text: &[u8]) -> bool {
        // A text that is one timestamp and nothing else (a date column's cell) meets the needs
        // by its digits, but the scan would pass it by whole.
        (self.needs.met(text)
            && !(self.pass_timestamps && timestamp::end(text, 0) == Some(text.len())))
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
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.scan_with(text, ctx, out, &mut scratch),
            Err(_) => self.scan_with(text, ctx, out, &mut Scratch::default()),
        })
    }

    fn scan_with(
        &self,
        text: &str,
        ctx: &ChunkContext,
        out: &mut Vec<Candidate>,
        scratch: &mut Scratch,
    ) {
        let first = out.len();
        let bytes = text.as_bytes();
        let mut sc = Scoring::new(text, ctx);
        let Scratch {
            raws,
            elevens,
            sparse,
        } = scratch;
        raws.clear();
        elevens.clear();
        let mut i = 0;
        while i < bytes.len() {
            i = next_interesting(bytes, i);
            if i >= bytes.len() {
                break;
            }
            if bytes[i] == b'@' {
                match email::at(text, i, self.rule(Builtin::Email)) {
                    Some(m) => {
                        out.push(email::score(self, &sc, m));
                        i = m.end;
                    }
                    None => i += 1,
                }
                continue;
            }
            // A log line's timestamp holds nothing either, and costs more than the rest.
            if let Some(end) = self
                .pass_timestamps
                .then(|| timestamp::end(bytes, i))
                .flatten()
            {
                i = end;
                continue;
            }
            // A short lone run that no hook looks at holds nothing: passed by unread.
            if let Some(end) = digits::Chain::short_alone(bytes, i) {
                if !self.chain_hooks.neighbours_call(bytes, i, end) {
                    i = end;
                    continue;
                }
            }
            let chain = digits::Chain::parse(bytes, i);
            if let Some(resume) = self.chain_hooks.run(self, &sc, &chain, out) {
                i = resume.max(chain.start + 1);
                continue;
            }
            if chain.may_hold_shape() {
                digits::numbers(self, text, &chain, ctx, raws, elevens);
            }
            i = chain.end;
        }
        // Windows of values this close overlap: find the chunk's class words once.
        if raws.len() >= DENSE_MIN_VALUES && raws.len() * DENSE_BYTES_PER_VALUE >= text.len() {
            sc.words = self.classes.word_index(text);
        }
        let density = identity::Elevens::new(elevens, sparse);
        for raw in raws.iter() {
            if let Some(c) = self.score_raw(&sc, raw, &density) {
                out.push(c);
            }
        }
        self.patterns.scan(self, &sc, out);
        // No two candidates of one rule share a span, so this order is total and an unstable
        // sort gives it without allocating (a stable one takes a buffer half the size of the
        // candidates, which in a dense chunk is megabytes).
        out[first..]
            .sort_unstable_by(|a, b| (a.start, a.end, a.rule).cmp(&(b.start, b.end, b.rule)));
        scratch.trim();
    }

    /// Context classes of a value: its column header, and the words in its windows. Windows
    /// stay on the value's own line — the lines around belong to other values — except that a
    /// value that starts its line also sees the line above (a label over a value, as forms and
    /// PDFs put it).
    fn classes(&self, sc: &Scoring<'_>, start: usize, end: usize, rule: &Rule) -> ClassSet {
        // Line ends are looked for only within the windows: a line longer than a window (a
        // table of millions of numbers on one line) must not be searched whole for each value.
        let b = sc.text.as_bytes();
        let lo = start.saturating_sub(rule.window_before);
        let hi = (end + rule.window_after).min(b.len());
        if sc.words.as_ref().is_some_and(|w| !w.any_within(lo, hi)) {
            // No class word anywhere near: only the header speaks.
            return sc.ctx.header().classes;
        }
        let from = match memchr::memrchr(b'\n', &b[lo..start]) {
            Some(p) if b[lo + p + 1..start].iter().all(u8::is_ascii_whitespace) => {
                memchr::memrchr(b'\n', &b[lo..lo + p]).map_or(lo, |q| lo + q + 1)
            }
            Some(p) => lo + p + 1,
            // The line starts at or before the window's start.
            None => lo,
        };
        let to = memchr::memchr(b'\n', &b[end..hi]).map_or(hi, |p| end + p);
        self.classes
            .classes_near(
                sc.text,
                sc.words.as_ref(),
                start,
                end,
                start - from,
                to - end,
            )
            .union(sc.ctx.header().classes)
    }

    /// The sum of the rule's weights of `classes`, by their set bits: a value with no class
    /// word near (most values of a dense file) costs one test.
    fn weigh(rule: &Rule, classes: ClassSet) -> i32 {
        let mut bits = classes.0;
        let mut sum = 0;
        while bits != 0 {
            sum += rule
                .weights
                .get(bits.trailing_zeros() as usize)
                .unwrap_or(&0);
            bits &= bits - 1;
        }
        sum
    }

    /// A rule's base score plus the weights of the context classes around `start..end`: what
    /// every detector's score starts from.
    fn context_score(&self, rule: &Rule, sc: &Scoring<'_>, start: usize, end: usize) -> i32 {
        rule.base + Self::weigh(rule, self.classes(sc, start, end, rule))
    }

    /// A number's candidate, placeholders (`12345678901`, `99999999`) held at low.
    fn score_raw(
        &self,
        sc: &Scoring<'_>,
        raw: &digits::Raw,
        elevens: &identity::Elevens<'_>,
    ) -> Option<Candidate> {
        let mut c = self.score_shape(sc, raw, elevens)?;
        let value = c.value.as_bytes();
        if validate::placeholder(value.strip_prefix(b"+47").unwrap_or(value)) {
            c.confidence = c.confidence.min(Confidence::Low);
        }
        Some(c)
    }

    fn score_shape(
        &self,
        sc: &Scoring<'_>,
        raw: &digits::Raw,
        elevens: &identity::Elevens<'_>,
    ) -> Option<Candidate> {
        use digits::Shape;
        let (start, end) = (raw.start, raw.end);
        match &raw.shape {
            Shape::Eleven {
                nth,
                digits,
                id,
                konto,
                konto_grouped,
                recovered_leading_zero,
            } => {
                let v = identity::Eleven {
                    nth: *nth,
                    start,
                    end,
                    digits,
                    id: *id,
                    konto: *konto,
                    konto_grouped: *konto_grouped,
                    recovered_leading_zero: *recovered_leading_zero,
                };
                identity::score(self, sc, &v, elevens)
            }
            Shape::Iban { account } => Some(kontonummer::score_iban(self, sc, start, end, account)),
            Shape::Org { digits } => Some(organisasjonsnummer::score(self, sc, start, end, digits)),
            Shape::Phone { e164, evidence } => {
                Some(phone::score(self, sc, start, end, e164, evidence))
            }
        }
    }
}

/// The chain hooks of the built-in detectors, and which bytes call them.
struct Hooks {
    hooks: Vec<&'static registry::ChainHook>,
    /// Bytes that call some hook as a separator inside a chain, or as its neighbour.
    separator: [bool; 256],
    neighbour: [bool; 256],
}

impl Hooks {
    fn new(hooks: impl Iterator<Item = &'static registry::ChainHook>) -> Hooks {
        let mut h = Hooks {
            hooks: hooks.collect(),
            separator: [false; 256],
            neighbour: [false; 256],
        };
        for hook in &h.hooks {
            for &b in hook.separators {
                h.separator[usize::from(b)] = true;
            }
            for &b in hook.neighbours {
                h.neighbour[usize::from(b)] = true;
            }
        }
        h
    }

    /// Runs the hooks on `chain` if its separators or neighbours call them; where the forward
    /// pass resumes if one took a value.
    fn run(
        &self,
        det: &Detector,
        sc: &Scoring<'_>,
        chain: &digits::Chain,
        out: &mut Vec<Candidate>,
    ) -> Option<usize> {
        if self.hooks.is_empty() || chain.start < sc.hooks_looked.get() {
            return None;
        }
        let b = sc.text.as_bytes();
        let called = self.neighbours_call(b, chain.start, chain.end)
            || chain.seps().iter().any(|&x| self.separator[usize::from(x)]);
        if !called {
            return None;
        }
        self.hooks.iter().find_map(|h| (h.run)(det, sc, chain, out))
    }

    /// Whether the bytes around the chain at `start..end` call some hook.
    #[inline]
    fn neighbours_call(&self, b: &[u8], start: usize, end: usize) -> bool {
        let calls = |x: &u8| self.neighbour[usize::from(*x)];
        !self.hooks.is_empty()
            && (start.checked_sub(1).is_some_and(|p| calls(&b[p])) || b.get(end).is_some_and(calls))
    }
}

/// The built-in detectors' [`registry::Needs`], tested in one pass over a text.
///
/// Each byte adds its entry of [`NeedsTest::tally`] to a block's tally: 1 in the lowest byte
/// for a digit, 1 in byte `k + 1` for the `k`th byte some needs names. A block is 64 bytes,
/// so no count carries into the next field, and one addition a byte counts all the needs ask
/// about (the test runs on every table cell; a byte loop with two counts and a table was a
/// fifth of a CSV export's scan).
struct NeedsTest {
    /// Per needs: digits, and the tally fields of the bytes of which one must occur (0: none).
    needs: Vec<(usize, u64)>,
    tally: [u64; 256],
    /// Each byte the needs name, in every byte of a word, and its tally field.
    named: Vec<(u64, u64)>,
    /// The fewest digits some needs without bytes asks for, and some needs with bytes: below
    /// both (or below the first, no byte seen) none is met, and the needs are not gone through
    /// (most table cells, where this is most of the test).
    fewest: usize,
    fewest_with_bytes: usize,
}

impl NeedsTest {
    /// Bytes the needs may name: one tally field each, after the digits'.
    const MAX_BYTES: usize = 7;
    const DIGITS: u64 = 0xFF;

    fn new<'a>(needs: impl Iterator<Item = &'a registry::Needs>) -> NeedsTest {
        let mut t = NeedsTest {
            needs: Vec::new(),
            tally: [0; 256],
            named: Vec::new(),
            fewest: usize::MAX,
            fewest_with_bytes: usize::MAX,
        };
        for d in b'0'..=b'9' {
            t.tally[usize::from(d)] = 1;
        }
        let mut next = 0;
        for n in needs {
            let mut fields = 0;
            for &b in n.bytes {
                if t.tally[usize::from(b)] == 0 {
                    assert!(
                        next < Self::MAX_BYTES,
                        "at most {} distinct bytes, no digit, in the detectors' needs",
                        Self::MAX_BYTES
                    );
                    assert_ne!(b, 0, "a NUL in the needs' bytes");
                    next += 1;
                    t.tally[usize::from(b)] = 1 << (8 * next);
                    t.named
                        .push((SWAR_ONES * u64::from(b), t.tally[usize::from(b)]));
                }
                fields |= t.tally[usize::from(b)] * Self::DIGITS;
            }
            assert_eq!(fields & Self::DIGITS, 0, "a digit in the needs' bytes");
            t.needs.push((n.digits, fields));
            let fewest = match fields {
                0 => &mut t.fewest,
                _ => &mut t.fewest_with_bytes,
            };
            *fewest = (*fewest).min(n.digits);
        }
        t
    }

    /// Whether some needs are met. Decided every 64 bytes, so that a long text that meets them
    /// early (a window with digits) ends the test early.
    fn met(&self, text: &[u8]) -> bool {
        if text.len() <= 16 {
            return self.met_short(text);
        }
        let (mut digits, mut seen) = (0, 0u64);
        for block in text.chunks(64) {
            let tally = block
                .iter()
                .fold(0u64, |sum, &x| sum + self.tally[usize::from(x)]);
            digits += (tally & Self::DIGITS) as usize;
            seen |= tally & !Self::DIGITS;
            if self.decide(digits, seen) {
                return true;
            }
        }
        false
    }

    /// [`NeedsTest::met`] for a text of at most 16 bytes (most table cells), read as two words
    /// and counted without a branch per byte: the byte loop's exit, which moves with every
    /// cell's length, was mispredicted at nearly every cell.
    fn met_short(&self, text: &[u8]) -> bool {
        let (digits, seen) = short_tally(text, &self.named);
        self.decide(digits, seen)
    }

    /// Whether `digits` digits and the named bytes `seen` (tally fields) meet some needs.
    #[inline]
    fn decide(&self, digits: usize, seen: u64) -> bool {
        if digits < self.fewest && (seen == 0 || digits < self.fewest_with_bytes) {
            return false;
        }
        self.needs
            .iter()
            .any(|&(d, fields)| digits >= d && (fields == 0 || seen & fields != 0))
    }
}

/// A byte of 1 in every byte of a word: `SWAR_ONES * b` is `b` in each.
pub(crate) const SWAR_ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const SWAR_LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
const SWAR_HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// The top bit of each byte of `x` that is zero, exactly (no carry crosses a byte): with
/// `x = word ^ SWAR_ONES * b`, the bytes of `word` that are `b`.
#[inline]
pub(crate) fn zero_bits(x: u64) -> u64 {
    !(((x & SWAR_LOW7) + SWAR_LOW7) | x | SWAR_LOW7)
}

/// The top bit of each byte of `x` that is an ASCII digit: its low seven bits at least `0`
/// and below `:` (sums that carry into no other byte), its top bit clear.
#[inline]
fn digit_bits(x: u64) -> u64 {
    let low = x & SWAR_LOW7;
    let from_zero = low + SWAR_ONES * u64::from(0x80 - b'0');
    let from_colon = low + SWAR_ONES * u64::from(0x80 - b':');
    from_zero & !from_colon & !x & SWAR_HIGH
}

/// The digits in two words, and the tally fields of the `named` bytes (each in every byte of
/// a word, with its field) that occur in them. The bytes are never NUL, so the zero bytes
/// that pad a short text match none.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn short_tally_swar(lo: u64, hi: u64, named: &[(u64, u64)]) -> (usize, u64) {
    let digits = ((digit_bits(lo) >> 7) + (digit_bits(hi) >> 7)).wrapping_mul(SWAR_ONES) >> 56;
    let mut seen = 0;
    for &(splat, field) in named {
        if zero_bits(lo ^ splat) | zero_bits(hi ^ splat) != 0 {
            seen |= field;
        }
    }
    (digits as usize, seen)
}

/// [`short_tally_swar`] in one 16-byte register: a compare per named byte where the words
/// took ten operations each (the named bytes' test was two fifths of a CSV cell's test).
/// SSE2 is part of every x86-64 processor.
#[cfg(target_arch = "x86_64")]
fn short_tally_sse2(lo: u64, hi: u64, named: &[(u64, u64)]) -> (usize, u64) {
    use std::arch::x86_64::*;
    // SAFETY: these intrinsics need SSE2 and nothing else, and every x86-64 processor has it
    // (the target enables it). They read no memory.
    unsafe {
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        // Digits become 0..=9 and stay themselves under a minimum with 9; the rest wrap above.
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digit = _mm_and_si128(
            _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
            _mm_set1_epi8(1),
        );
        // Sums of absolute differences from zero: each half's ones, in its low bits.
        let sums = _mm_sad_epu8(digit, _mm_setzero_si128());
        let digits = _mm_cvtsi128_si64(_mm_add_epi64(sums, _mm_unpackhi_epi64(sums, sums)));
        let mut seen = 0;
        for &(splat, field) in named {
            if _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi64x(splat as i64))) != 0 {
                seen |= field;
            }
        }
        (digits as usize, seen)
    }
}

/// The digits of a text of at most 16 bytes and the tally fields of the `named` bytes in it,
/// in a register where the processor has one (SSE2), else in two words.
#[inline]
fn short_tally(t: &[u8], named: &[(u64, u64)]) -> (usize, u64) {
    let (lo, hi) = short_words(t);
    #[cfg(target_arch = "x86_64")]
    return short_tally_sse2(lo, hi, named);
    #[cfg(not(target_arch = "x86_64"))]
    return short_tally_swar(lo, hi, named);
}

/// The ASCII digits of a text of at most 16 bytes: a table's sample asks it of every value.
pub(crate) fn short_digits(t: &[u8]) -> usize {
    short_tally(t, &[]).0
}

/// A text of at most 16 bytes as two little-endian words, every byte once, the rest zero:
/// the first and last 8 (or 4) bytes read whole, the second without what the first has.
#[inline]
fn short_words(t: &[u8]) -> (u64, u64) {
    let n = t.len();
    debug_assert!(n <= 16);
    let le8 = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let le4 = |b: &[u8]| u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes")));
    match n {
        8..=16 => {
            // The last word's first 16 - n bytes are the first word's last.
            let keep = u64::MAX.checked_shl(8 * (16 - n) as u32).unwrap_or(0);
            (le8(&t[..8]), le8(&t[n - 8..]) & keep)
        }
        4..=7 => {
            let keep = u64::from(u32::MAX.checked_shl(8 * (8 - n) as u32).unwrap_or(0));
            (le4(&t[..4]) | (le4(&t[n - 4..]) & keep) << 32, 0)
        }
        _ => {
            let b = |i: usize| u64::from(t.get(i).copied().unwrap_or(0));
            (b(0) | b(1) << 8 | b(2) << 16, 0)
        }
    }
}

/// Buffers of one scan, kept per thread between scans: a chunk dense with values needs
/// megabytes of them, and allocating and freeing them for each chunk showed in profiles.
///
/// It matters for the allocator too: glibc merges its free lists of small blocks (the values
/// of the last chunk's candidates) whenever a large block is asked for, and the small blocks
/// then come back the slow way.
#[derive(Default)]
struct Scratch {
    raws: Vec<digits::Raw>,
    elevens: Vec<(usize, bool)>,
    sparse: Vec<bool>,
}

impl Scratch {
    /// Values kept room for between scans (a 256 KiB window holds at most about 22,000).
    const KEEP: usize = 32 * 1024;

    /// Gives back the room a huge chunk took, so that each thread keeps a few megabytes at most.
    fn trim(&mut self) {
        self.raws.clear();
        self.elevens.clear();
        self.sparse.clear();
        self.raws.shrink_to(Self::KEEP);
        self.elevens.shrink_to(Self::KEEP);
        self.sparse.shrink_to(Self::KEEP);
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// A chunk with at least this many number values, one per this many bytes or closer, is
/// dense: its class words are found once ([`context::WordIndex`]) rather than in each value's
/// windows (about 120 bytes each).
const DENSE_MIN_VALUES: usize = 64;
const DENSE_BYTES_PER_VALUE: usize = 128;

/// The index of the next ASCII digit or `@` at or after `i`.
///
/// On x86-64, 16 bytes at a time in an SSE2 register, whose mask of matches gives the first
/// one's place at once. Elsewhere, whole 32-byte blocks are tested with branch-free compares
/// that the compiler turns into SIMD, and a block that holds something is searched eight bytes
/// at a time with [`interesting`]. The tail is searched by words, then bytes. (Logs and exports
/// have a digit every few bytes: the byte loop was the detector's hottest code on them, and
/// finding the byte in a block that held one was most of what was left.)
#[inline]
fn next_interesting(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = b.get(i..i + 16) {
        let m = interesting_sse2(block.try_into().expect("16 bytes"));
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
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

/// One bit per byte of `block` that is an ASCII digit or `@`, the first byte's lowest.
#[cfg(target_arch = "x86_64")]
#[inline]
fn interesting_sse2(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 processor (the target enables it), and the load
    // reads the 16 bytes `block` holds.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        // Digits become 0..=9 and stay themselves under a minimum with 9.
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        let at = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'@' as i8));
        _mm_movemask_epi8(_mm_or_si128(digit, at)) as u32
    }
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
mod code_corpus;
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
                let ctx = ChunkContext {
                    binary_runs: ex.binary_runs,
                    ..ChunkContext::default()
                };
                self.scan(&ex.text, &ctx, &mut out);
                let ok = out.iter().any(|cand| {
                    cand.rule == c.id
                        && cand.kind == ex.kind
                        && ex.confidence.is_none_or(|x| x == cand.confidence)
                        && ex.value.as_ref().is_none_or(|v| cand.value == *v)
                        && ex.synthetic.is_none_or(|x| x == cand.synthetic)
                        && ex.role.is_none_or(|x| x == cand.role)
                        && ex.iban.is_none_or(|x| x == cand.iban)
                        && ex.scope.as_deref().is_none_or(|x| Some(x) == cand.scope)
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
                let ctx = ChunkContext {
                    binary_runs: ce.binary_runs,
                    ..ChunkContext::default()
                };
                self.scan(&ce.text, &ctx, &mut out);
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
