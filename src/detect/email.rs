//! E-mail addresses around an `@` (`rules/email.toml`).
//!
//! A practical grammar, not RFC 5322: a local part of letters (Unicode included), digits and
//! `._%+-`; a domain of at least two labels of letters, digits and `-`, the last one (the TLD)
//! letters only or an `xn--` label. The rule's `not_tlds` turn `logo@2x.png` away, and an `@`
//! with nothing before it (`@types/node`) is no address.

use super::registry::{adjustments, Builtin, Needs, Spec, Trigger};
use super::rules::Rule;
use super::{kind, Candidate, Detector, Scoring};

pub(super) const SPEC: Spec = Spec {
    matcher: "email",
    kind: kind::EMAIL,
    trigger: Trigger::At,
    shape: "local@domain.tld around an @, Unicode letters and IDN domains included",
    validator: "at least two domain labels, a TLD of letters or xn--, not a file extension",
    rule_file: ("rules/email.toml", include_str!("../../rules/email.toml")),
    adjustments: Adjust::NAMES,
    needs: &[Needs {
        digits: 0,
        bytes: b"@",
    }],
    on_chain: None,
};

adjustments! {
    /// The `adjust` keys of `rules/email.toml`.
    pub(super) enum Adjust for Builtin::Email {
        Role = "role",
        ExampleDomain = "example_domain",
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Match {
    pub start: usize,
    pub end: usize,
    pub role: bool,
    pub example_domain: bool,
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '.' | '_' | '%' | '+' | '-')
        || (!c.is_ascii() && c.is_alphabetic())
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-') || (!c.is_ascii() && c.is_alphanumeric())
}

/// The address around the `@` at byte `at`, if there is one.
pub(super) fn at(text: &str, at: usize, rule: &Rule) -> Option<Match> {
    // Local part: back from the `@`, at most 64 characters.
    let mut start = at;
    for (n, (i, c)) in text[..at].char_indices().rev().enumerate() {
        if n == 64 || !local_char(c) {
            break;
        }
        start = i;
    }
    while text[start..at].starts_with('.') {
        start += 1;
    }
    let local = &text[start..at];
    if local.is_empty() || local.ends_with('.') || local.contains("..") {
        return None;
    }
    // Domain: forward from the `@`, at most 253 characters, without a trailing `.` or `-`.
    let mut end = at + 1;
    for (n, (i, c)) in text[at + 1..].char_indices().enumerate() {
        if n == 253 || !domain_char(c) {
            break;
        }
        end = at + 1 + i + c.len_utf8();
    }
    while end > at + 1 && text[..end].ends_with(['.', '-']) {
        end -= 1;
    }
    let domain = &text[at + 1..end];
    if text[end..].starts_with('@') {
        return None;
    }
    let mut labels = domain.split('.');
    let tld = labels.next_back()?;
    let mut count = 1;
    for label in labels.chain(std::iter::once(tld)) {
        if label.is_empty() || label.starts_with('-') || label.ends_with('-') || label.len() > 63 {
            return None;
        }
        count += 1;
    }
    if count < 3 {
        return None; // count started at 1 and counted the TLD again: at least two labels
    }
    let tld_lower = tld.to_lowercase();
    let tld_ok = tld_lower.starts_with("xn--")
        || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if !tld_ok || rule.not_tlds.contains(&tld_lower) {
        return None;
    }
    let local_lower = local.to_lowercase();
    let role_part = local_lower.split('+').next().unwrap_or("");
    let domain_lower = domain.to_lowercase();
    let example_domain = rule
        .example_domains
        .iter()
        .any(|d| is_within(&domain_lower, d));
    Some(Match {
        start,
        end,
        role: rule.roles.contains(role_part),
        example_domain,
    })
}

/// Whether `domain` is `parent` or one of its subdomains.
pub(super) fn is_within(domain: &str, parent: &str) -> bool {
    domain
        .strip_suffix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// Scores an address found by [`at`].
pub(super) fn score(det: &Detector, sc: &Scoring<'_>, m: Match) -> Candidate {
    let c = det.compiled(Builtin::Email);
    let r = &c.rule;
    let mut score = det.context_score(r, sc, m.start, m.end);
    if m.example_domain {
        score += r.adjustment(Adjust::ExampleDomain);
    }
    if m.role {
        score += r.adjustment(Adjust::Role);
    }
    let mut cand = c.candidate(
        c.kind,
        m.start,
        m.end,
        sc.text[m.start..m.end].to_lowercase(),
        score,
    );
    cand.role = m.role;
    cand
}
