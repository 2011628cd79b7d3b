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

/// The library's value for a flag's value: the same name on both sides
/// (the tests below check every `--model` and `--views` value).
fn by_name<F: ValueEnum, T>(flag: F, from_name: fn(&str) -> Option<T>) -> T {
    let value = flag.to_possible_value().expect("no flag value is hidden");
    from_name(value.get_name()).expect("every flag value names a library value")
}

/// The library's model kind for `--model`.
fn kind(model: ModelKind) -> Kind {
    by_name(model, Kind::from_name)
}

/// The library's member views for `--views`.
fn views(v: ViewsKind) -> MemberViews {
    by_name(v, MemberViews::from_name)
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

/// The model config for windows of `window` rows of a series (`d` values
/// each), with or without calendar features.
pub fn series_model_config(
    args: &ModelArgs,
    d: usize,
    window: usize,
    calendar: bool,
    seed: u64,
) -> Result<ModelConfig, CliError> {
    options(args)
        .config_for_series(d, window, calendar, seed)
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
