//! `kartlegg man`: manual pages (roff) made from the command-line definition: the main page,
//! and with `-o DIR` one page per subcommand (`kartlegg-scan.1`, `kartlegg-baseline-add.1`...).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::CommandFactory;

use super::NOTHING_FOUND;
use crate::cli::{Cli, ManArgs};

pub(super) fn run(args: ManArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    cmd.build();
    if let Some(dir) = &args.output {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut n = 0;
        write_pages(&cmd, "kartlegg", dir, &mut n)?;
        eprintln!("kartlegg: wrote {n} manual pages to {}", dir.display());
        return Ok(NOTHING_FOUND);
    }
    let page = match &args.subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) if !sub.is_hide_set() => sub.clone().name(format!("kartlegg-{name}")),
            _ => bail!("no subcommand {name:?}"),
        },
    };
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(page).render(&mut out)?;
    out.flush()?;
    Ok(NOTHING_FOUND)
}

/// `cmd`'s page as `name.1`, then its visible subcommands' pages as `name-sub.1`.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path, n: &mut usize) -> Result<()> {
    let page = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))?;
    *n += 1;
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, n)?;
    }
    Ok(())
}
