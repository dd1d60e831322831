//! E-mail addresses around an `@` (`rules/email.toml`).
//!
//! A practical grammar, not RFC 5322: a local part of letters (Unicode included), digits and
//! `._%+-`; a domain of at least two labels of letters, digits and `-`, the last one (the TLD)
//! a real top-level domain (`rules/tlds.txt`, from the Public Suffix List, IDN TLDs in both
//! forms) or a reserved name of the rule's `example_domains` (`.test`, `example.com`…, reported
//! at low). So `logo@2x.png`, `pkg@1.2.3-beta.rc` and `root@server01` are no addresses, nor is
//! an `@` with nothing before it (`@types/node`), a version after the `@` (`lodash@4.17.21`),
//! the user of a URL (`ssh://git@host/…`) or of an SSH remote (`git@github.com:org/repo`).

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
        BinaryRuns = "binary_runs",
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

/// The real top-level domains, lower case, IDN ones in both forms (`rules/tlds.txt`).
fn real_tld(tld: &str) -> bool {
    static TLDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            include_str!("../../rules/tlds.txt")
                .lines()
                .filter(|l| !l.starts_with('#'))
                .flat_map(str::split_whitespace)
                .collect()
        });
    TLDS.contains(tld)
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
    if local.is_empty()
        || local.ends_with('.')
        || local.contains("..")
        || text[..start].ends_with("://")
    {
        return None; // no local part, or the user of a URL (`ssh://git@host/…`)
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
    let after = text[end..].chars().nth(1);
    if text[end..].starts_with('@')
        || (text[end..].starts_with(':') && after.is_some_and(|c| !c.is_whitespace()))
    {
        return None; // a chain of `@`, or an SSH remote `git@github.com:org/repo`
    }
    // A file named after an address (`kari@firma.no.pdf`) holds the address before its
    // extension: a last label that is a file extension is tried once without.
    let domain = &text[at + 1..end];
    if let Some((rest, ext)) = domain.rsplit_once('.') {
        if rest.contains('.') && rule.not_tlds.contains(&ext.to_lowercase()) {
            if let Some(m) = address(text, start, at, at + 1 + rest.len(), rule) {
                return Some(m);
            }
        }
    }
    address(text, start, at, end, rule)
}

/// The address `text[start..end]` with its `@` at `at`, if its domain makes it one.
fn address(text: &str, start: usize, at: usize, end: usize, rule: &Rule) -> Option<Match> {
    let local = &text[start..at];
    let domain = &text[at + 1..end];
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
    // A package version (`pkg@1.2.3`, `@scope/pkg@2.0.0-rc.1`): its first labels are numbers.
    if domain
        .split('.')
        .take(2)
        .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let tld_lower = tld.to_lowercase();
    let domain_lower = domain.to_lowercase();
    let example_domain = rule
        .example_domains
        .iter()
        .any(|d| is_within(&domain_lower, d));
    if !(real_tld(&tld_lower) || example_domain) || rule.not_tlds.contains(&tld_lower) {
        return None;
    }
    let local_lower = local.to_lowercase();
    let role_part = local_lower.split('+').next().unwrap_or("");
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
    // E-mail words are evidence only in text runs from binary files: elsewhere an address is
    // high on its own, and the window is not searched (only the column header speaks).
    let classes = if sc.ctx.binary_runs {
        det.classes(sc, m.start, m.end, r)
    } else {
        sc.ctx.header().classes
    };
    let mut score = r.base + Detector::weigh(r, classes);
    if sc.ctx.binary_runs && Detector::weigh(r, classes) <= 0 {
        score += r.adjustment(Adjust::BinaryRuns);
    }
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
        sc.text[m.start..m.end].to_lowercase().into(),
        score,
    );
    cand.role = m.role;
    cand
}
