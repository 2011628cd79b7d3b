//! What happens to rows before a model sees them: scaling (fitted on the
//! training normals, saved with the model), normal scores (a rank map some
//! ensemble members read), filling missing values, and the
//! Isolation Forest pre-filter for contaminated training data.

mod impute;
mod normal_scores;
mod prefilter;
mod scaler;

pub use impute::{fill_missing, finite_column_means};
pub use normal_scores::{probit, NormalScores, KNOTS as NORMAL_SCORE_KNOTS};
pub use prefilter::drop_most_isolated;
pub use scaler::{check_finite, Scaler, ScalerKind};
