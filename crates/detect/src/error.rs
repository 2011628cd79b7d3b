//! The error type of the detection crate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("no data: {0}")]
    Empty(String),
    #[error("row {row}, column {col}: value {value} is not finite")]
    NotFinite { row: usize, col: usize, value: f32 },
    #[error("row {row}: its values overflow once scaled or inside the model (score {score}); the row cannot be scored")]
    Overflow { row: usize, score: f32 },
    #[error("training diverged: the loss became {loss} in epoch {epoch} (a smaller learning rate may help)")]
    Diverged { epoch: usize, loss: f32 },
    #[error("data has {got} columns but the model expects {want}")]
    WidthMismatch { got: usize, want: usize },
    #[error("invalid setting: {0}")]
    Config(String),
    #[error("{}: not a valid aedetect model file: {reason}", path.display())]
    ModelFile { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, DetectError>;
