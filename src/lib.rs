//! kartlegg finds Norwegian personal data in files and writes a masked inventory.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! * [`walk`] — every path under the roots becomes one entry (a file, or why not);
//! * [`read`] — open without touching access times, capture the file's evidence, sniff it;
//! * [`extract`] — turn content into text chunks that know their location;
//! * [`detect`] — pure: text in, scored candidates out, driven by the rules in `rules/`;
//! * [`report`] — records, masking and fingerprints, totals, writers (the inventory, and the
//!   reviewer's HTML, CSV and XLSX reports);
//! * [`retain`] — a retention review: policies, dated records, a verdict per file;
//!
//! and [`scan`] wires them together; [`commands`] turns a command line into a scan (one module
//! per subcommand, the only layer that reads [`cli`] types). For CI, the [`source`] stage
//! yields git content instead of a walk, and [`gate`] decides what fails and writes the CI
//! outputs. [`review`] works on finished inventories: decisions, diffs between scans, finding
//! one person's values.

// Modules are the library's API where tests, benches, fuzz targets or the binary use them,
// crate-private otherwise; `unreachable_pub` keeps every `pub` honest, so dead code shows.
#![warn(unreachable_pub)]

pub mod cli;
pub mod commands;
pub(crate) mod config;
pub mod detect;
pub mod extract;
pub(crate) mod gate;
pub mod read;
pub mod report;
pub(crate) mod retain;
pub(crate) mod review;
pub mod scan;
pub(crate) mod source;
pub mod synth;
pub mod walk;

/// The current time as RFC 3339 UTC, for the inventory.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
