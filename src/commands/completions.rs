//! `kartlegg completions SHELL`: a completion script for bash, zsh, fish, PowerShell (or
//! elvish), made from the command-line definition itself, so it never goes stale.

use anyhow::Result;
use clap::CommandFactory;

use super::NOTHING_FOUND;
use crate::cli::{Cli, CompletionsArgs};

pub(super) fn run(args: CompletionsArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "kartlegg", &mut out);
    Ok(NOTHING_FOUND)
}
