//! Training progress on standard error: a bar with epoch, loss and ETA on a
//! terminal; plain lines when asked for on a pipe; otherwise nothing.

use aedetect_detect::train::EpochReport;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub enum Progress {
    Bar(ProgressBar),
    Lines(String),
    Off,
}

impl Progress {
    /// `steps` epochs in all (several models: their epochs summed); `forced`
    /// prints lines even when standard error is not a terminal.
    pub fn new(label: &str, steps: usize, forced: bool) -> Self {
        if std::io::stderr().is_terminal() {
            let bar =
                ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] epoch {pos}/{len}  loss {msg}  {elapsed} elapsed, ETA {eta}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            Progress::Bar(bar)
        } else if forced {
            Progress::Lines(label.to_string())
        } else {
            Progress::Off
        }
    }

    /// Called after each epoch.
    pub fn epoch(&mut self, r: &EpochReport) {
        let loss = match r.val_loss {
            Some(v) => format!("{:.5} (validation {v:.5})", r.train_loss),
            None => format!("{:.5}", r.train_loss),
        };
        match self {
            Progress::Bar(b) => {
                b.inc(1);
                b.set_message(loss);
            }
            Progress::Lines(label) => {
                eprintln!("{label}: epoch {}/{} loss {loss}", r.epoch, r.epochs)
            }
            Progress::Off => {}
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}
