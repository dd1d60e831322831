//! User rules with a regex `pattern` (`--rules DIR`), behind one shared prefilter.
//!
//! Running every user regex over every chunk would make the detector's cost grow with the
//! number of rules, and answering "anything may match" for all text would turn off the cheap
//! test that spares extractors and the scan the many cells that cannot hold a value. So each
//! regex is reduced, once at load, to a set of *required literals* — strings one of which
//! every match contains — found with `regex-syntax`'s literal extractor on the regex and on
//! the parts every match must pass through (the pieces of a concatenation, the body of a `+`,
//! each branch of an alternation). The literals of all rules go into one Aho-Corasick
//! automaton. A chunk is searched once; only rules whose literals occur run their regex, and
//! [`Patterns::may_match`] is the same search. A rule whose regex yields no usable literal
//! (`\w{20}`) runs on every chunk, and makes every text a possible match, as before.
//!
//! Each match of a rule's regex (or of its group named `value`) is then checked by the rule's
//! optional validator and scored by its base and context weights.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::literal::Extractor;
use regex_syntax::hir::{Hir, HirKind};

use super::rules::{Matcher, Rule};
use super::{Candidate, Compiled, Detector, Scoring, Value};

/// The pattern rules of a rule set and their shared prefilter.
pub(super) struct Patterns {
    /// Index among all rules of each pattern rule.
    rules: Vec<usize>,
    /// Required literals of the rules that have them.
    literals: Option<AhoCorasick>,
    /// For each literal of the automaton, the pattern rule (index into `rules`) it belongs to.
    literal_rule: Vec<usize>,
    /// Pattern rules (indexes into `rules`) without required literals: they always run.
    always: Vec<usize>,
}

impl Patterns {
    pub(super) fn new(rules: &[Rule]) -> Patterns {
        let mut p = Patterns {
            rules: Vec::new(),
            literals: None,
            literal_rule: Vec::new(),
            always: Vec::new(),
        };
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let Matcher::Pattern { regex, .. } = &r.matcher else {
                continue;
            };
            let at = p.rules.len();
            p.rules.push(i);
            match required_literals(regex.as_str()) {
                Some(lits) => {
                    p.literal_rule.extend(std::iter::repeat_n(at, lits.len()));
                    literals.extend(lits);
                }
                None => p.always.push(at),
            }
        }
        if !literals.is_empty() {
            p.literals = Some(
                AhoCorasick::new(&literals).expect("literals of user rules build an automaton"),
            );
        }
        p
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `text` could hold a match of some pattern rule: a required literal occurs, or a
    /// rule without literals is loaded.
    pub(super) fn may_match(&self, text: &[u8]) -> bool {
        !self.always.is_empty() || self.literals.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// Which pattern rules (indexes into `rules`) may match in `text`.
    fn candidates(&self, text: &[u8]) -> Vec<bool> {
        let mut hit = vec![false; self.rules.len()];
        for &r in &self.always {
            hit[r] = true;
        }
        if let Some(ac) = &self.literals {
            let mut left = hit.iter().filter(|h| !**h).count();
            for m in ac.find_overlapping_iter(text) {
                let r = self.literal_rule[m.pattern().as_usize()];
                if !hit[r] {
                    hit[r] = true;
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        hit
    }

    /// Appends the matches of the pattern rules whose prefilter hit in `text`.
    pub(super) fn scan(&self, det: &Detector, sc: &Scoring<'_>, out: &mut Vec<Candidate>) {
        if self.rules.is_empty() {
            return;
        }
        for (at, hit) in self.candidates(sc.text.as_bytes()).into_iter().enumerate() {
            if hit {
                run(det, &det.rules[self.rules[at]], sc, out);
            }
        }
    }
}

/// Strings one of which every match of `pattern` contains, or `None` when no such set is
/// known (or it would hold the empty string, which is no filter).
fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // The same syntax and defaults as the `regex` crate that compiled the rule.
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    required(&hir)
}

fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    // Prefixes of the whole expression: every match starts with one of them.
    let whole = prefixes(hir);
    let parts = match hir.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        // Every match passes through every piece: any piece's literals will do.
        HirKind::Concat(subs) => subs.iter().filter_map(required).reduce(better),
        // Every match passes through one branch: the union of the branches' literals.
        HirKind::Alternation(subs) => subs
            .iter()
            .map(required)
            .collect::<Option<Vec<_>>>()
            .map(|sets| sets.concat()),
        _ => None,
    };
    match (whole, parts) {
        (Some(a), Some(b)) => Some(better(a, b)),
        (a, b) => a.or(b),
    }
}

/// The finite, non-empty set of literals that every match of `hir` starts with.
fn prefixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new().extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.is_empty()) {
        return None;
    }
    let mut out: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The more selective of two literal sets: longer shortest literal, then fewer literals.
fn better(a: Vec<Vec<u8>>, b: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let key = |s: &Vec<Vec<u8>>| {
        let shortest = s.iter().map(Vec::len).min().unwrap_or(0);
        (shortest.min(8), std::cmp::Reverse(s.len()))
    };
    if key(&b) > key(&a) {
        b
    } else {
        a
    }
}

/// Runs one rule's regex over `text`.
fn run(det: &Detector, c: &Compiled, sc: &Scoring<'_>, out: &mut Vec<Candidate>) {
    let text = sc.text;
    let Matcher::Pattern { regex, validator } = &c.rule.matcher else {
        return;
    };
    let has_value_group = regex.capture_names().any(|n| n == Some("value"));
    let mut push = |start: usize, end: usize| {
        let matched = &text[start..end];
        if validator.is_some_and(|v| !v.check(matched)) {
            return;
        }
        let value = if validator.is_some() {
            matched.chars().filter(char::is_ascii_digit).collect()
        } else {
            matched.to_string()
        };
        let score = det.context_score(&c.rule, sc, start, end);
        out.push(c.candidate(c.kind, start, end, Value::from(value), score));
    };
    if has_value_group {
        for caps in regex.captures_iter(text) {
            if let Some(m) = caps.name("value") {
                push(m.start(), m.end());
            }
        }
    } else {
        for m in regex.find_iter(text) {
            push(m.start(), m.end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::RuleSet;
    use crate::detect::ChunkContext;
    use crate::synth::Rng;

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn required_literals_come_from_any_part_every_match_passes() {
        assert_eq!(lits("ansatt"), Some(vec!["ansatt".into()]));
        assert_eq!(lits(r"\bansattnr:?\s*\d{6}"), Some(vec!["ansattnr".into()]));
        // An inner literal after a class too big to enumerate.
        assert_eq!(
            lits(r"\w+@intern\.firma"),
            Some(vec!["@intern.firma".into()])
        );
        assert_eq!(lits(r"[a-z]{3}-kunde-\d+"), Some(vec!["-kunde-".into()]));
        assert_eq!(
            lits(r"(?:kunde|klient)nr \d+"),
            Some(vec!["klientnr ".into(), "kundenr ".into()])
        );
        let ci = lits("(?i)pnr").unwrap();
        assert!(ci.contains(&"PNR".to_string()) && ci.contains(&"pNr".to_string()));
        // No literal that every match must hold.
        assert_eq!(lits(r"\w{20}"), None);
        assert_eq!(lits(r"(?:abc)?\d+"), None);
        assert_eq!(lits(r"x*"), None);
    }

    const RULES: &str = r#"
[[rule]]
id = "ansatt"
pattern = '\bA(?<value>\d{6})\b'
[[rule.examples]]
text = "ansattnr A123456"
kind = "ansatt"

[[rule]]
id = "kunde"
pattern = '(?i)(?:kunde|klient)-?nr:? ?\d{5}'
[[rule.examples]]
text = "KUNDENR 12345"
kind = "kunde"

[[rule]]
id = "sak"
pattern = '\d{4}/\d{3,5}'
[[rule.examples]]
text = "saksnr 2024/1234"
kind = "sak"
"#;

    #[test]
    fn only_rules_whose_literals_occur_run_and_may_match_stays_selective() {
        let set = RuleSet::with_extra(&[("mine/r.toml", RULES)]).unwrap();
        let det = Detector::new(set);
        assert!(
            det.example_failures().is_empty(),
            "{:?}",
            det.example_failures()
        );
        let p = &det.patterns;
        assert!(p.always.is_empty(), "every rule here has literals");
        assert_eq!(p.candidates(b"Kari A123456 kom"), [true, false, false]);
        assert_eq!(p.candidates(b"Klient-nr 12345"), [false, true, false]);
        assert_eq!(p.candidates(b"sak 2024/1234"), [false, false, true]);
        // Text with none of the literals cannot match, and the built-in test decides alone.
        assert!(!det.may_match(b"Ingen verdier her, bare ord."));
        assert!(!det.may_match(b"side 12, rom 3"));
        assert!(det.may_match(b"ansatt A123456"));
        assert!(det.may_match(b"2024/12"), "the / literal");

        let always = r#"
[[rule]]
id = "lang"
pattern = '\w{20}'
[[rule.examples]]
text = "abcdefghijabcdefghij"
kind = "lang"
"#;
        let det = Detector::new(RuleSet::with_extra(&[("mine/l.toml", always)]).unwrap());
        assert!(
            det.may_match(b"no digits"),
            "a rule without literals may match anything"
        );
    }

    /// The prefilter never hides a match: with random text made of the rules' pieces, the
    /// candidates are the same as running every regex.
    #[test]
    fn the_prefilter_finds_what_running_every_rule_finds() {
        let det = Detector::new(RuleSet::with_extra(&[("mine/r.toml", RULES)]).unwrap());
        let pieces = [
            "A", "a", "123456", "12345", "1", "/", "2024", " ", "-", "nr", "NR", "kunde", "KLIENT",
            ":", "x", "\n", "ø",
        ];
        let mut rng = Rng::new(11);
        for _ in 0..3000 {
            let n = rng.below(12) as usize;
            let text: String = (0..n).map(|_| *rng.pick(&pieces)).collect();
            let mut fast = Vec::new();
            let ctx = ChunkContext::default();
            let sc = Scoring::new(&text, &ctx);
            det.patterns.scan(&det, &sc, &mut fast);
            let mut all = Vec::new();
            for &ri in &det.patterns.rules {
                run(&det, &det.rules[ri], &sc, &mut all);
            }
            assert_eq!(fast, all, "{text:?}");
            if !all.is_empty() {
                assert!(det.may_match(text.as_bytes()), "{text:?}");
            }
        }
    }
}
