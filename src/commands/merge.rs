//! `kartlegg merge A.json B.json ... -o all.json`: the shards of one scan as one inventory.

use anyhow::{bail, Context, Result};

use super::NOTHING_FOUND;
use crate::cli::MergeArgs;
use crate::report::writer::Output;
use crate::review::merge;

pub(super) fn run(args: &MergeArgs) -> Result<u8> {
    if let Some(p) = &args.output {
        if let Some(i) = args.inputs.iter().find(|i| Output::is_partial_of(p, i)) {
            bail!(
                "the input {} is where the merged inventory is written while it is made: rename it, or give -o another name",
                i.display()
            );
        }
    }
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
