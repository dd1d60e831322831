//! The registry of built-in detectors: what each one is called in rule files, what makes the
//! forward pass hand it text, what shape it reads, how a value is checked, and which score
//! adjustments its rule file may set.
//!
//! A detector lives in one module of its own (`identity`, `kontonummer`, …) that declares its
//! [`Spec`] and its [`Adjustment`] enum, finds its shape and scores it; its rule file is data in
//! `rules/`. This file only lists them. Adding a detector is: its module, its rule file, a
//! variant of [`Builtin`] and its line in [`Builtin::spec`].
//!
//! Adjustments are typed: each detector names its adjustments in an enum made by
//! `adjustments!`, the rule loader maps the `adjust` keys of a rule file to that enum (an
//! unknown key is a load error at its `file:line:column`), and scoring indexes the loaded
//! values by variant, so a misspelt adjustment is a compile error rather than a silent 0.

use std::fmt;

use super::{email, identity, ip, kontonummer, organisasjonsnummer, phone};

/// What makes the single forward pass hand text to a detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An ASCII digit: the pass reads the chain of digit groups there (`digits::Chain`) and
    /// offers it to the detectors of digit chains.
    DigitChain,
    /// An `@`: the pass tries the detector around it.
    At,
    /// A required literal of a user rule's regex, found by the shared prefilter
    /// (`pattern.rs`); the regex then confirms.
    Literal,
}

/// A digit-chain detector that reads more than Norwegian digit groups (it may look around the
/// chain). The forward pass calls it only for a chain with one of `separators` between its
/// groups or one of `neighbours` right before or after it, so that other text costs no more
/// than three table lookups per chain.
#[derive(Debug)]
pub struct ChainHook {
    pub(super) separators: &'static [u8],
    pub(super) neighbours: &'static [u8],
    /// Given the chunk being scored and the chain, pushes its candidates and returns where the
    /// forward pass resumes if it took a value there (the chain's other digits are read again
    /// from that point), or `None` to leave the chain to the number shapes. It may move
    /// [`Scoring::hooks_looked`](super::Scoring) past text it has examined, so that the chains
    /// inside do not call it again.
    pub(super) run: fn(
        &super::Detector,
        &super::Scoring<'_>,
        &super::digits::Chain,
        &mut Vec<super::Candidate>,
    ) -> Option<usize>,
}

/// What a text must hold for a detector to find anything in it: at least `digits` ASCII
/// digits and, unless `bytes` is empty, one of `bytes`. [`super::Detector::may_match`] is
/// true when some detector's needs are met.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub digits: usize,
    pub bytes: &'static [u8],
}

/// A built-in detector as rule files and the forward pass see it.
#[derive(Debug)]
pub struct Spec {
    /// The `matcher` name in rule files.
    pub matcher: &'static str,
    /// The kind written in the output unless the rule says otherwise.
    pub kind: &'static str,
    pub trigger: Trigger,
    /// What it reads, in words (shown by `kartlegg rules`).
    pub shape: &'static str,
    /// How a value is checked, in words.
    pub validator: &'static str,
    /// Its rule file, compiled in: path and text.
    pub rule_file: (&'static str, &'static str),
    /// The `adjust` keys its rule file may set, in the order of its [`Adjustment`] enum.
    pub adjustments: &'static [&'static str],
    /// What a text must hold for it to find anything (any one of these).
    pub needs: &'static [Needs],
    /// For [`Trigger::DigitChain`] detectors that look beyond the chain. The Norwegian numbers
    /// (identity, account, organisation, phone) have none: they compete for the same digits and
    /// are decided together in `digits::numbers`.
    pub on_chain: Option<&'static ChainHook>,
}

/// The built-in detectors, in the order their rules are loaded, hashed and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Builtin {
    IdentityNumber,
    Kontonummer,
    Organisasjonsnummer,
    Phone,
    Email,
    IpAddress,
}

impl Builtin {
    pub const ALL: [Builtin; 6] = [
        Builtin::IdentityNumber,
        Builtin::Kontonummer,
        Builtin::Organisasjonsnummer,
        Builtin::Phone,
        Builtin::Email,
        Builtin::IpAddress,
    ];

    pub fn spec(self) -> &'static Spec {
        match self {
            Builtin::IdentityNumber => &identity::SPEC,
            Builtin::Kontonummer => &kontonummer::SPEC,
            Builtin::Organisasjonsnummer => &organisasjonsnummer::SPEC,
            Builtin::Phone => &phone::SPEC,
            Builtin::Email => &email::SPEC,
            Builtin::IpAddress => &ip::SPEC,
        }
    }

    /// The detector a rule file names in `matcher`.
    pub fn parse(matcher: &str) -> Option<Builtin> {
        Self::ALL.into_iter().find(|b| b.spec().matcher == matcher)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec().matcher)
    }
}

/// The adjustments of one detector: an enum whose variants index the values a rule file set.
pub trait Adjustment: Copy {
    /// The detector whose rule the adjustments belong to.
    const BUILTIN: Builtin;
    fn index(self) -> usize;
}

/// Declares a detector's adjustment enum with the `adjust` key of each variant, in one place:
/// `adjustments! { pub(super) enum Adjust for Builtin::Phone { Plus47 = "plus47", } }`.
/// The key list becomes `Adjust::NAMES`, which the detector's [`Spec`] hands to the loader.
macro_rules! adjustments {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $builtin:path {
            $( $(#[$vmeta:meta])* $variant:ident = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The `adjust` keys of the rule file, in variant order.
            $vis const NAMES: &'static [&'static str] = &[$($key),*];
        }

        impl $crate::detect::registry::Adjustment for $name {
            const BUILTIN: $crate::detect::registry::Builtin = $builtin;
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}
pub(super) use adjustments;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_back_and_has_a_rule_file_that_uses_it() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::parse(b.spec().matcher), Some(b));
            assert_eq!(Builtin::ALL[b.index()], b);
            let (path, text) = b.spec().rule_file;
            assert!(
                text.contains(&format!("matcher = \"{}\"", b.spec().matcher)),
                "{path} does not use the matcher {b}"
            );
        }
    }
}
