//! `kartlegg diff OLD NEW`.

use anyhow::Result;

use crate::cli::DiffArgs;

pub fn run(_args: DiffArgs) -> Result<u8> {
    anyhow::bail!("not yet")
}
