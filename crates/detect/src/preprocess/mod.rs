//! What happens to rows before a model sees them: scaling (fitted on the
//! training normals, saved with the model), filling missing values, and the
//! Isolation Forest pre-filter for contaminated training data.

mod impute;
mod prefilter;
mod scaler;

pub use impute::{fill_missing, finite_column_means};
pub use prefilter::drop_most_isolated;
pub use scaler::{check_finite, Scaler, ScalerKind};
