//! `kartlegg locate`.

use anyhow::Result;

use crate::cli::LocateArgs;

pub fn run(_args: LocateArgs) -> Result<u8> {
    anyhow::bail!("not yet")
}
