//! From the command line's model options to the library's configs: the
//! flags become a [`ModelOptions`], which makes the config (the Python
//! package goes through the same code).

use crate::args::{LossKind, ModelArgs, ModelKind};
use crate::error::CliError;
use aedetect_detect::{
    ImageShape, ModelConfig, ModelKind as Kind, ModelOptions, Reconstruction, ScalerKind,
    TrainConfig,
};

/// The library's options for these flags.
fn options(args: &ModelArgs) -> ModelOptions {
    ModelOptions {
        kind: match args.model {
            ModelKind::Best => Kind::Best,
            ModelKind::Dense => Kind::Dense,
            ModelKind::Vae => Kind::Vae,
            ModelKind::Pca => Kind::Pca,
            ModelKind::Conv => Kind::Conv,
            ModelKind::Ensemble => Kind::Ensemble,
            ModelKind::AeKnn => Kind::AeKnn,
            ModelKind::Iforest => Kind::Iforest,
            ModelKind::Conv2d => Kind::Conv2d,
            ModelKind::Lstm => Kind::Lstm,
            ModelKind::Knn => Kind::Knn,
        },
        hidden: args.hidden.clone(),
        dropout: args.dropout,
        loss: args.loss.map(|l| match l {
            LossKind::Mse => Reconstruction::Mse,
            LossKind::Bce => Reconstruction::Bce,
        }),
        members: args.members,
        neighbours: args.neighbours,
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

/// The training settings.
pub fn train_config(args: &ModelArgs, seed: u64) -> Result<TrainConfig, CliError> {
    if args.epochs == 0 {
        return Err(CliError::usage("--epochs must be at least 1"));
    }
    if args.batch == 0 {
        return Err(CliError::usage("--batch must be at least 1"));
    }
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        return Err(CliError::usage("--lr must be a positive number"));
    }
    let robust = args.robust.unwrap_or(0.0);
    if !(0.0..0.5).contains(&robust) {
        return Err(CliError::usage("--robust must be a fraction in [0, 0.5)"));
    }
    Ok(TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch,
        lr: args.lr,
        seed,
        robust_drop: robust,
        ..TrainConfig::default()
    })
}
