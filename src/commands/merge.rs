//! `kartlegg merge A.json B.json ... -o all.json`: the shards of one scan as one inventory.

use anyhow::{Context, Result};

use super::NOTHING_FOUND;
use crate::cli::MergeArgs;
use crate::report::writer::Output;
use crate::review::merge;

pub(super) fn run(args: &MergeArgs) -> Result<u8> {
    let out = match &args.output {
        Some(p) => Output::open(p).with_context(|| format!("cannot write {}", p.display()))?,
        None => Output::stdout(),
    };
    let summary = merge::merge(&args.inputs, out)?;
    eprintln!(
        "kartlegg: merged {} inventories: {} files, {} findings",
        args.inputs.len(),
        summary.files_seen,
        summary.findings
    );
    Ok(NOTHING_FOUND)
}
