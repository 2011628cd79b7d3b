//! One file per subcommand.

pub mod eval;
pub mod eval_series;
pub mod inspect;
pub mod interpolate;
pub mod sample;
pub mod score;
pub mod series;
pub mod train;

use crate::error::CliError;
use std::path::Path;

/// Where an output may go.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    /// `-` means standard output.
    Stdout,
    /// `-` is refused (a model file or a plot is not written to a pipe).
    Refused,
}

/// Fails before any work is done when an output cannot be written (see
/// `detect::io::check_destination`: a missing folder, a read-only file, …),
/// is `-` where that means nothing, or is the same file as one of the
/// command's inputs (which it would destroy).
pub fn check_output(path: &Path, what: &str, dash: Dash, inputs: &[&Path]) -> Result<(), CliError> {
    if path.as_os_str() == "-" {
        return match dash {
            Dash::Stdout => Ok(()),
            Dash::Refused => Err(CliError::usage(format!(
                "{what} - : this output is a file; name one"
            ))),
        };
    }
    if let Some(input) = inputs.iter().find(|i| same_file(path, i)) {
        return Err(CliError::usage(format!(
            "{what} {} is the input {}; writing it would destroy the input",
            path.display(),
            input.display()
        )));
    }
    // The checks the output file itself will make, before any work.
    aedetect_detect::io::check_destination(path)
        .map_err(|e| CliError::failed(format!("{what} {e}")))?;
    Ok(())
}

/// Whether two paths name one existing file (through links, `..`, hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}
