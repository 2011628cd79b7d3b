//! From the command line's model options to the library's configs.

use crate::args::{ModelArgs, ModelKind};
use crate::error::CliError;
use aedetect_detect::conv_ae::ConvAeConfig;
use aedetect_detect::ensemble::EnsembleConfig;
use aedetect_detect::iforest::IForestConfig;
use aedetect_detect::pca::PcaConfig;
use aedetect_detect::vae::VaeConfig;
use aedetect_detect::{AeConfig, ModelConfig, TrainConfig};

/// The model config for data with `d` features and seed `seed`.
pub fn model_config(args: &ModelArgs, d: usize, seed: u64) -> Result<ModelConfig, CliError> {
    let dense = || {
        let mut c = AeConfig::sized_to(d);
        if let Some(h) = &args.hidden {
            c.hidden = h.clone();
        }
        if let Some(p) = args.dropout {
            c.dropout = p;
        }
        c
    };
    let config = match args.model {
        ModelKind::Best => {
            if args.hidden.is_some() || args.dropout.is_some() || args.members.is_some() {
                return Err(CliError::usage(
                    "--hidden, --dropout and --members shape a chosen model; pick one with --model dense|vae|conv|ensemble",
                ));
            }
            ModelConfig::recommended(d)
        }
        ModelKind::Dense => ModelConfig::Dense(dense()),
        ModelKind::Ensemble => ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(match (&args.hidden, args.dropout) {
                (None, None) => AeConfig::wide(),
                _ => dense(),
            })),
            members: args.members.unwrap_or(5),
        }),
        ModelKind::Vae => {
            let mut c = VaeConfig::sized_to(d);
            if let Some(h) = &args.hidden {
                let (latent, hidden) = h
                    .split_last()
                    .ok_or_else(|| CliError::usage("--hidden needs at least one width"))?;
                c.hidden = hidden.to_vec();
                c.latent = *latent;
            }
            ModelConfig::Vae(c)
        }
        ModelKind::Pca => ModelConfig::Pca(PcaConfig::default()),
        ModelKind::Iforest => ModelConfig::Iforest(IForestConfig::default()),
        ModelKind::Conv => {
            let mut c = ConvAeConfig::sized_to(d);
            if let Some(h) = &args.hidden {
                c.channels = h.clone();
            }
            ModelConfig::Conv(c)
        }
    };
    if matches!(args.model, ModelKind::Pca | ModelKind::Iforest)
        && (args.hidden.is_some() || args.dropout.is_some())
    {
        return Err(CliError::usage(
            "--hidden and --dropout shape neural models; --model pca and iforest take neither",
        ));
    }
    if args.members.is_some() && args.model != ModelKind::Ensemble {
        return Err(CliError::usage("--members applies to --model ensemble"));
    }
    Ok(config.with_seed(seed))
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
