//! From the command line's model options to the library's configs: the
//! flags become a [`ModelOptions`], which makes the config (the Python
//! package goes through the same code).

use crate::args::{LossKind, ModelArgs, ModelKind, ViewsKind};
use crate::error::CliError;
use aedetect_detect::{
    ImageShape, MemberViews, ModelConfig, ModelKind as Kind, ModelOptions, Reconstruction,
    ScalerKind, TrainConfig,
};
use clap::ValueEnum;

/// The library's model kind for `--model`: the same name on both sides
/// (the test below checks every one).
fn kind(model: ModelKind) -> Kind {
    let value = model
        .to_possible_value()
        .expect("no --model value is hidden");
    Kind::from_name(value.get_name()).expect("every --model value names a library kind")
}

/// The library's member views for `--views`: the same names on both sides.
fn views(v: ViewsKind) -> MemberViews {
    let value = v.to_possible_value().expect("no --views value is hidden");
    MemberViews::from_name(value.get_name()).expect("every --views value names library views")
}

/// The library's options for these flags.
fn options(args: &ModelArgs) -> ModelOptions {
    ModelOptions {
        kind: kind(args.model),
        hidden: args.hidden.clone(),
        dropout: args.dropout,
        loss: args.loss.map(|l| match l {
            LossKind::Mse => Reconstruction::Mse,
            LossKind::Bce => Reconstruction::Bce,
        }),
        members: args.members,
        neighbours: args.neighbours,
        views: args.views.map(views),
    }
}

/// The model config for data with `d` features (the pixels of `image`
/// when the data are images; windows of `window` rows of a series) and
/// seed `seed`; options that do not make a model are a usage error.
pub fn model_config(
    args: &ModelArgs,
    d: usize,
    image: Option<ImageShape>,
    window: Option<usize>,
    seed: u64,
) -> Result<ModelConfig, CliError> {
    options(args)
        .config(d, image, window, seed)
        .map_err(|e| CliError::usage(e.to_string()))
}

/// How features are scaled ([`ModelOptions::scaler_kind`]).
pub fn scaler_kind(args: &ModelArgs, images: bool) -> ScalerKind {
    options(args).scaler_kind(images)
}

/// The training settings ([`TrainConfig::from_options`]); values that
/// cannot train are a usage error.
pub fn train_config(args: &ModelArgs, seed: u64) -> Result<TrainConfig, CliError> {
    TrainConfig::from_options(
        args.epochs,
        args.batch,
        args.lr,
        args.robust.unwrap_or(0.0),
        seed,
    )
    .map_err(|e| CliError::usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_flag_value_is_a_library_kind() {
        let kinds: Vec<Kind> = ModelKind::value_variants()
            .iter()
            .map(|&m| kind(m))
            .collect();
        assert_eq!(kinds.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert!(kinds.contains(&k), "{k:?} has no --model value");
        }
        assert_eq!(kind(ModelKind::AeKnn), Kind::AeKnn);
    }

    #[test]
    fn every_views_flag_value_is_library_views() {
        let all: Vec<MemberViews> = ViewsKind::value_variants()
            .iter()
            .map(|&v| views(v))
            .collect();
        assert_eq!(
            all,
            vec![
                MemberViews::Same,
                MemberViews::AlternateNormalScores,
                MemberViews::NormalScores
            ]
        );
    }
}
