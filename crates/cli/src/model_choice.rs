//! From the command line's model options to the library's configs.

use crate::args::{LossKind, ModelArgs, ModelKind};
use crate::error::CliError;
use aedetect_detect::model::CodedAeConfig;
use aedetect_detect::{
    AeKnnConfig, Conv1dAeConfig, Conv2dAeConfig, DenseAeConfig, EnsembleConfig, IForestConfig,
    ImageShape, KnnConfig, LstmAeConfig, ModelConfig, PcaConfig, Reconstruction, ScalerKind,
    TrainConfig, VaeConfig,
};

/// The model config for data with `d` features (the pixels of `image`
/// when the data are images; windows of `window` rows of a series) and
/// seed `seed`.
pub fn model_config(
    args: &ModelArgs,
    d: usize,
    image: Option<ImageShape>,
    window: Option<usize>,
    seed: u64,
) -> Result<ModelConfig, CliError> {
    let reconstruction = match args.loss {
        Some(LossKind::Bce) => Reconstruction::Bce,
        // Pixels in [0, 1]: the image autoencoder and the image VAE
        // default to BCE on logits.
        None if args.model == ModelKind::Conv2d => Reconstruction::Bce,
        None if args.model == ModelKind::Vae && image.is_some() => Reconstruction::Bce,
        _ => Reconstruction::Mse,
    };
    if reconstruction == Reconstruction::Bce
        && matches!(
            args.model,
            ModelKind::Pca | ModelKind::Iforest | ModelKind::Knn | ModelKind::Lstm
        )
    {
        return Err(CliError::usage(
            "--loss bce applies to --model best, dense, ensemble, vae, conv and conv2d",
        ));
    }
    // `base` with the options that shape a dense autoencoder applied.
    let shaped = |mut c: DenseAeConfig| {
        if let Some(h) = &args.hidden {
            c.hidden = h.clone();
        }
        if let Some(p) = args.dropout {
            c.dropout = p;
        }
        c.reconstruction = reconstruction;
        c
    };
    let config = match args.model {
        ModelKind::Best => {
            if args.hidden.is_some() || args.dropout.is_some() || args.members.is_some() {
                return Err(CliError::usage(
                    "--hidden, --dropout and --members shape a chosen model; pick one with --model dense|vae|conv|ensemble",
                ));
            }
            let best = match (image, window) {
                (Some(shape), _) => ModelConfig::recommended_for_images(shape),
                (None, Some(w)) => ModelConfig::recommended_for_series(w, d / w),
                (None, None) => ModelConfig::recommended(d),
            };
            match args.loss {
                Some(_) => with_reconstruction(best, reconstruction),
                None => best,
            }
        }
        ModelKind::Conv2d => {
            let shape = image.ok_or_else(|| {
                CliError::usage(
                    "--model conv2d reads images: pass --data with a folder of PNG/JPEG images or an IDX file",
                )
            })?;
            let mut c = Conv2dAeConfig {
                reconstruction,
                ..Conv2dAeConfig::reference(shape)
            };
            if let Some(h) = &args.hidden {
                let (latent, channels) = h.split_last().filter(|(_, c)| !c.is_empty()).ok_or_else(|| {
                    CliError::usage("--hidden for conv2d: the channels, then the latent size (e.g. 16,32,32)")
                })?;
                c.channels = channels.to_vec();
                c.latent = *latent;
            }
            if let Some(p) = args.dropout {
                c.dropout = p;
            }
            ModelConfig::Conv2d(c)
        }
        ModelKind::Dense => ModelConfig::Dense(shaped(DenseAeConfig::sized_to(d))),
        ModelKind::Ensemble => ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(match (&args.hidden, args.dropout) {
                (None, None) => DenseAeConfig {
                    reconstruction,
                    ..DenseAeConfig::wide()
                },
                _ => shaped(DenseAeConfig::sized_to(d)),
            })),
            members: args.members.unwrap_or(5),
        }),
        ModelKind::Vae => {
            // Images get the convolutional VAE (its dense widths and latent
            // size are what --hidden sets); rows a dense one.
            let mut c = match image {
                Some(shape) => VaeConfig::images(shape),
                None => VaeConfig::sized_to(d),
            };
            c.reconstruction = reconstruction;
            if let Some(h) = &args.hidden {
                let (latent, hidden) = h
                    .split_last()
                    .ok_or_else(|| CliError::usage("--hidden needs at least one width"))?;
                c.hidden = hidden.to_vec();
                c.latent = *latent;
            }
            ModelConfig::Vae(c)
        }
        ModelKind::AeKnn => {
            let wide = AeKnnConfig::wide();
            ModelConfig::AeKnn(AeKnnConfig {
                ae: match &wide.ae {
                    CodedAeConfig::Dense(c) => shaped(c.clone()).into(),
                    other => other.clone(),
                },
                ..wide
            })
        }
        ModelKind::Pca => ModelConfig::Pca(PcaConfig::default()),
        ModelKind::Iforest => ModelConfig::Iforest(IForestConfig::default()),
        ModelKind::Knn => ModelConfig::Knn(KnnConfig {
            k: args.neighbours.unwrap_or(5),
            ..KnnConfig::default()
        }),
        ModelKind::Lstm => {
            let steps = window.ok_or_else(|| {
                CliError::usage(
                    "--model lstm reads windows of a time series: pass --time-col (and --window)",
                )
            })?;
            let mut c = LstmAeConfig::for_steps(steps);
            if let Some(h) = &args.hidden {
                match h.as_slice() {
                    [hidden, latent] => (c.hidden, c.latent) = (*hidden, *latent),
                    _ => {
                        return Err(CliError::usage(
                            "--hidden for lstm: the LSTM units, then the code width (e.g. 32,8)",
                        ))
                    }
                }
            }
            ModelConfig::Lstm(c)
        }
        ModelKind::Conv => {
            let mut c = Conv1dAeConfig::sized_to(d);
            if let Some(h) = &args.hidden {
                c.channels = h.clone();
            }
            c.reconstruction = reconstruction;
            ModelConfig::Conv1d(c)
        }
    };
    if matches!(
        args.model,
        ModelKind::Pca | ModelKind::Iforest | ModelKind::Knn
    ) && (args.hidden.is_some() || args.dropout.is_some())
    {
        return Err(CliError::usage(
            "--hidden and --dropout shape neural models; --model pca, iforest and knn take neither",
        ));
    }
    if args.neighbours.is_some() && args.model != ModelKind::Knn {
        return Err(CliError::usage("--neighbours applies to --model knn"));
    }
    if args.members.is_some() && args.model != ModelKind::Ensemble {
        return Err(CliError::usage("--members applies to --model ensemble"));
    }
    if args.dropout.is_some()
        && matches!(
            args.model,
            ModelKind::Vae | ModelKind::Conv | ModelKind::Lstm
        )
    {
        return Err(CliError::usage(
            "--dropout applies to --model dense, ensemble, ae-knn and conv2d (the VAE and the conv and LSTM autoencoders have none)",
        ));
    }
    let config = config.with_seed(seed);
    // Every shape the options name is checked here, as a usage error: the
    // size first (before anything is allocated), then by building the model.
    config
        .check_size(d)
        .and_then(|()| config.build(d).map(drop))
        .map_err(|e| CliError::usage(format!("the model options do not make a model: {e}")))?;
    Ok(config)
}

/// `config` with every dense autoencoder in it set to `reconstruction`.
fn with_reconstruction(config: ModelConfig, reconstruction: Reconstruction) -> ModelConfig {
    match config {
        ModelConfig::Dense(c) => ModelConfig::Dense(DenseAeConfig {
            reconstruction,
            ..c
        }),
        ModelConfig::Conv2d(c) => ModelConfig::Conv2d(Conv2dAeConfig {
            reconstruction,
            ..c
        }),
        ModelConfig::AeKnn(mut c) => {
            c.ae.set_reconstruction(reconstruction);
            ModelConfig::AeKnn(c)
        }
        ModelConfig::Ensemble(e) => ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(with_reconstruction(*e.base, reconstruction)),
            ..e
        }),
        other => other,
    }
}

/// How features are scaled: pixels are left in [0, 1] as read (an image
/// model's picture of its reconstruction is then in pixel units, and a
/// constant background pixel is not blown up); BCE compares outputs with
/// targets in [0, 1], so other data get min-max scaling for it; everything
/// else standardises.
pub fn scaler_kind(args: &ModelArgs, images: bool) -> ScalerKind {
    match args.loss {
        _ if images => ScalerKind::Identity,
        Some(LossKind::Bce) => ScalerKind::MinMax,
        _ => ScalerKind::Standard,
    }
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
