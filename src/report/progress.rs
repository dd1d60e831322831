//! A progress line on stderr — only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    files: u64,
    bytes: u64,
    findings: u64,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("template"),
            );
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        });
        Progress {
            bar,
            files: 0,
            bytes: 0,
            findings: 0,
        }
    }

    pub fn file(&mut self, bytes: u64, findings: u64) {
        self.files += 1;
        self.bytes += bytes;
        self.findings += findings;
        if let Some(bar) = &self.bar {
            let secs = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} files, {}, {} findings — {:.0} files/s, {}/s",
                self.files,
                HumanBytes(self.bytes),
                self.findings,
                self.files as f64 / secs,
                HumanBytes((self.bytes as f64 / secs) as u64)
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
