use std::process::ExitCode;

use clap::Parser;

/// Counts every allocation of a worker process against the scan's memory budget (see
/// `kartlegg::scan::memory`); in any other process it only forwards to mimalloc.
#[global_allocator]
static ALLOC: kartlegg::scan::memory::Counting = kartlegg::scan::memory::Counting;

fn main() -> ExitCode {
    let cli = kartlegg::cli::Cli::parse();
    match kartlegg::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("kartlegg: {}", kartlegg::commands::error_line(&e));
            ExitCode::from(2)
        }
    }
}
