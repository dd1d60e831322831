//! A progress line on stderr — only when stderr is a terminal.
//!
//! Files and findings are counted as records arrive; bytes are read live from
//! [`read::BYTES_READ`] at every tick, so a single huge file shows progress too.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::read;

pub struct Progress {
    bar: Option<ProgressBar>,
    files: u64,
    findings: u64,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let start = read::BYTES_READ.load(Ordering::Relaxed);
            let live = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let bytes = read::BYTES_READ.load(Ordering::Relaxed) - start;
                let secs = state.elapsed().as_secs_f64().max(0.001);
                let _ = write!(
                    w,
                    "{} read, {}/s",
                    HumanBytes(bytes),
                    HumanBytes((bytes as f64 / secs) as u64)
                );
            };
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}, {live}")
                    .expect("template")
                    .with_key("live", live),
            );
            bar.set_message("0 files, 0 findings");
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        });
        Progress {
            bar,
            files: 0,
            findings: 0,
        }
    }

    pub fn file(&mut self, findings: u64) {
        self.files += 1;
        self.findings += findings;
        if let Some(bar) = &self.bar {
            let secs = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} files ({:.0}/s), {} findings",
                self.files,
                self.files as f64 / secs,
                self.findings,
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
