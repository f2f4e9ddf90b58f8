//! A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Counts replayed dialogues; hidden when stderr is not a terminal.
pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(total: usize) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} dialogues {msg}")
        {
            bar.set_style(style);
        }
        Progress(bar)
    }

    /// One more dialogue done; `failed` counts the failures so far.
    pub fn tick(&self, failed: usize) {
        self.0.inc(1);
        if failed > 0 {
            self.0.set_message(format!("({failed} en échec)"));
        }
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
