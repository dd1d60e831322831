//! User rules with a regex `pattern` (`--rules DIR`).
//!
//! Each match of a rule's regex (or of its group named `value`) is checked by the rule's
//! optional validator and scored by its base and context weights.

use super::rules::{Matcher, Rule};
use super::{Candidate, ChunkContext, Compiled, Detector};

/// The pattern rules of a rule set, by their index among all rules.
pub(super) struct Patterns {
    rules: Vec<usize>,
}

impl Patterns {
    pub fn new(rules: &[Rule]) -> Patterns {
        let rules = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.matcher, Matcher::Pattern { .. }))
            .map(|(i, _)| i)
            .collect();
        Patterns { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `text` could hold a match of some pattern rule.
    pub fn may_match(&self, _text: &[u8]) -> bool {
        !self.rules.is_empty()
    }

    /// Appends the matches of every pattern rule in `text`.
    pub fn scan(&self, det: &Detector, text: &str, ctx: &ChunkContext, out: &mut Vec<Candidate>) {
        for &ri in &self.rules {
            run(det, &det.rules[ri], text, ctx, out);
        }
    }
}

/// Runs one rule's regex over `text`.
fn run(det: &Detector, c: &Compiled, text: &str, ctx: &ChunkContext, out: &mut Vec<Candidate>) {
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
        let score = det.context_score(&c.rule, text, start, end, ctx);
        out.push(c.candidate(c.kind, start, end, value, score));
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
