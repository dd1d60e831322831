//! From a parsed command line to a finished command and an exit code: one module per
//! subcommand. This is the only layer that reads [`crate::cli`] types; the stages below get
//! plain options.

mod completions;
mod diff;
mod gate;
mod locate;
mod man;
mod merge;
mod report;
mod rules;
mod scan;

use anyhow::{bail, Result};

use crate::cli::{BaselineAction, Cli, Command};
use crate::detect::rules::RuleSet;
use crate::detect::Detector;

/// Exit codes.
pub const NOTHING_FOUND: u8 = 0;
pub const FOUND: u8 = 1;
pub const FAILED: u8 = 2;

/// An error as one line: its message, then each cause the message does not already say.
/// Errors here often end their message with their source's (`cannot scan X: <io error>`), and
/// the chain would print it twice. Errors quote what the operator gave (paths, globs, values
/// in a settings file), which can hold personal data: the line is masked as names are.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    masked(&line)
}

/// `text` with personal values masked by the built-in rules, for what goes to stderr.
pub(crate) fn masked(text: &str) -> String {
    match RuleSet::load(None) {
        Ok(set) => crate::scan::mask_names(&Detector::new(set), text),
        // The built-in rules are compiled in and proven by tests: this cannot happen, and a
        // message with its digits hidden is still a message.
        Err(_) => text
            .chars()
            .map(|c| if c.is_ascii_digit() { '*' } else { c })
            .collect(),
    }
}

pub fn run(cli: Cli) -> Result<u8> {
    quiet_panics();
    match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Rules(args) => rules::run(args),
        Command::Baseline(args) => match args.action {
            BaselineAction::Add(a) => gate::baseline_add(&a),
            BaselineAction::Update(a) => gate::baseline_update(&a),
        },
        Command::InstallHook(args) => gate::install_hook(&args),
        Command::Report(args) => report::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Locate(args) => locate::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Merge(args) => merge::run(&args),
        Command::Worker => {
            crate::scan::worker::main()?;
            Ok(NOTHING_FOUND)
        }
    }
}

/// A panic inside a parser is caught and recorded per file (`parser_panic`); its message may
/// quote document text, so only the code location is printed.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown location".into());
        eprintln!(
            "kartlegg: internal error at {at} (message withheld: it may quote file contents)"
        );
    }));
}

/// The kinds findings can have: the rules' kinds and the identity-number variants.
pub(crate) fn known_kinds(det: &Detector) -> Vec<&str> {
    let mut kinds: Vec<&str> = det.rules().map(|r| r.kind.as_str()).collect();
    kinds.extend(crate::config::IDENTITY_KINDS);
    kinds
}

/// Loads the rule set and, for user rules, proves their examples.
pub(crate) fn detector(dir: Option<&std::path::Path>) -> Result<Detector> {
    let set = RuleSet::load(dir).map_err(anyhow::Error::msg)?;
    let det = Detector::new(set);
    if dir.is_some() {
        let failures = det.example_failures();
        if !failures.is_empty() {
            bail!("rule examples do not hold:\n  {}", failures.join("\n  "));
        }
    }
    Ok(det)
}

#[cfg(test)]
mod error_tests {
    use super::error_line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot scan {path}: {source}")]
    struct Root {
        path: &'static str,
        source: std::io::Error,
    }

    #[test]
    fn a_cause_the_message_already_says_is_said_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(Root {
            path: "/x",
            source: io(),
        });
        assert_eq!(error_line(&e), "cannot scan /x: no such file");
        // A context that does not say its cause keeps it.
        let e = anyhow::Error::new(io()).context("cannot write out.json");
        assert_eq!(error_line(&e), "cannot write out.json: no such file");
    }
}
