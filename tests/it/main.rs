//! kartlegg's integration tests: one binary, one harness ([`harness`]), a module per area.
//! Every test runs the real `kartlegg` binary; every JSON inventory a test reads is checked
//! against the published schema first. Numbers are public test vectors or synthetic (see
//! `docs/identifiers.md`).

mod harness;

mod archives;
mod cli;
mod dumps;
mod gate;
mod isolation;
mod matrix;
mod names;
mod ocr;
mod office_archive_mail;
mod render;
mod sheets_pdf;
mod sqlite_files;
