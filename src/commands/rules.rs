//! `kartlegg rules`: list the rules and prove their examples.

use std::io::Write;

use anyhow::Result;

use super::{FAILED, NOTHING_FOUND};
use crate::cli::RulesArgs;
use crate::detect::rules::{Matcher, RuleSet};
use crate::detect::Detector;

/// `kartlegg rules`: the rules in use, and whether their examples hold.
pub(super) fn run(args: RulesArgs) -> Result<u8> {
    let det = Detector::new(RuleSet::load(args.rules.as_deref()).map_err(anyhow::Error::msg)?);
    let mut out = std::io::stdout().lock();
    writeln!(out, "rules {}", det.rules_hash())?;
    for r in det.rules() {
        let how = match &r.matcher {
            Matcher::Builtin(m) => format!("built-in {m}"),
            Matcher::Pattern { regex, validator } => match validator {
                Some(v) => format!("pattern {:?} + {v:?}", regex.as_str()),
                None => format!("pattern {:?}", regex.as_str()),
            },
        };
        writeln!(
            out,
            "{:<22} {:<20} {} examples, {} counter-examples  {}  ({})",
            r.id,
            r.kind,
            r.examples.len(),
            r.counter_examples.len(),
            how,
            r.file.display()
        )?;
    }
    let failures = det.example_failures();
    for f in &failures {
        writeln!(out, "FAIL {f}")?;
    }
    Ok(if failures.is_empty() {
        NOTHING_FOUND
    } else {
        FAILED
    })
}
