use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kartlegg::cli::Cli::parse();
    match kartlegg::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("kartlegg: {e:#}");
            ExitCode::from(2)
        }
    }
}
