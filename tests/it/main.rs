//! kartlegg's integration tests: one binary, one harness ([`harness`]), a module per area.
//! Every test runs the real `kartlegg` binary; every JSON inventory a test reads is checked
//! against the published schema first. Numbers are public test vectors or synthetic (see
//! `docs/identifiers.md`).

mod browser;
mod harness;

mod archives;
mod atime;
mod cli;
mod completions;
mod decisions;
mod diff;
mod dumps;
mod fuzz_regressions;
mod gate;
mod gate_code;
mod gate_config;
mod gate_robust;
mod gate_structured;
mod gate_ux;
mod isolation;
mod kubernetes;
mod locate;
mod matrix;
mod names;
mod ocr;
mod office_archive_mail;
mod office_hostile;
mod office_tables;
mod office_truth;
mod order;
mod pdf_hostile;
mod pdf_tables;
mod render;
mod report;
mod retention;
mod shards;
mod sheets_pdf;
mod snapshots;
mod sqlite_files;
mod state;
mod structured;
