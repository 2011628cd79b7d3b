//! One file per subcommand.

pub mod eval;
pub mod inspect;
pub mod score;
pub mod train;

use crate::error::CliError;
use std::path::Path;

/// Fails before any work is done when an output's folder does not exist.
pub fn check_output_folder(path: &Path, what: &str) -> Result<(), CliError> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::failed(format!(
            "{what} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}
