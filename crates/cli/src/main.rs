//! `aedetect`: anomaly detection on a user's own files, from the command line.
//!
//! ```text
//! aedetect train   --data FILE --out MODEL.safetensors   fit + calibrate + save
//! aedetect score   --model MODEL --data FILE|-           one line per row: score, flag
//! aedetect eval    --data FILE.npz                       the held-out protocol, a table or JSON
//! aedetect inspect MODEL                                 what a model file holds
//! aedetect sample      --model VAE --out grid.png        images drawn from a VAE's prior
//! aedetect interpolate --model VAE --from A --to B --out path.png   the line between two images
//! ```
//!
//! Errors are one line on standard error and a non-zero exit status (1 for
//! data, model and file problems, 2 for the command line) — never a panic.
#![forbid(unsafe_code)]

mod args;
mod cmd;
mod error;
mod input;
mod model_choice;
mod progress;

use args::{Cli, Command};
use clap::Parser;
use error::CliError;

fn main() {
    // Ctrl-C or SIGTERM mid-write: remove the unfinished temporary files
    // (the destination itself is untouched until a write completes), then
    // exit as a process killed by SIGINT would.
    let _ = ctrlc::set_handler(|| {
        aedetect_detect::io::remove_unfinished();
        std::process::exit(130);
    });
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        if e.code != 0 {
            eprintln!("aedetect: error: {}", e.message);
        }
        std::process::exit(e.code);
    }
}

fn run(cli: &Cli) -> Result<(), CliError> {
    if let Some(n) = cli.threads {
        if n == 0 {
            return Err(CliError::usage("--threads must be at least 1"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| CliError::failed(format!("cannot start {n} threads: {e}")))?;
    }
    match &cli.command {
        Command::Train(a) => cmd::train::run(a),
        Command::Score(a) => cmd::score::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Sample(a) => cmd::sample::run(a),
        Command::Interpolate(a) => cmd::interpolate::run(a),
    }
}
