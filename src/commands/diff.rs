//! `kartlegg diff OLD NEW`: what changed between two scans of the same roots; exit 1 when new
//! personal data appeared (for a scheduled job), 0 otherwise, 2 when the inventories cannot
//! be compared.

use std::io::Write;

use anyhow::Result;

use super::{FOUND, NOTHING_FOUND};
use crate::cli::{DiffArgs, ReviewFormat};
use crate::review::diff::Diff;

pub(super) fn run(args: DiffArgs) -> Result<u8> {
    let diff = Diff::compute(&args.old, &args.new)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        ReviewFormat::Text => out.write_all(diff.text().as_bytes())?,
        ReviewFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diff)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(if diff.new_personal_data {
        FOUND
    } else {
        NOTHING_FOUND
    })
}
