//! From a user's few model options (a kind, and optionally widths, dropout,
//! loss, members, neighbours) to a full [`ModelConfig`] and its scaler.
//!
//! The command line (`--model`, `--hidden`, …) and the Python package
//! (`AutoEncoder(hidden=…)`, …) both go through here, so one set of options
//! makes the same model from either, and a bad combination gets the same
//! message.

use super::{
    AeKnnConfig, CodedAeConfig, Combine, Conv1dAeConfig, Conv2dAeConfig, DenseAeConfig,
    EnsembleConfig, IForestConfig, KnnConfig, LstmAeConfig, MemberViews, ModelConfig, PcaConfig,
    Reconstruction, VaeConfig,
};
use crate::error::{DetectError, Result};
use crate::preprocess::ScalerKind;
use crate::ImageShape;

/// The model kinds a user picks from, by the names the command line and
/// the Python package use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// The detector that does best across data sets
    /// ([`ModelConfig::recommended`], and its image and series versions).
    Best,
    Dense,
    Vae,
    Pca,
    /// The 1-D convolutional autoencoder.
    Conv,
    Ensemble,
    AeKnn,
    Iforest,
    Conv2d,
    Lstm,
    Knn,
}

impl ModelKind {
    pub const ALL: [ModelKind; 11] = [
        ModelKind::Best,
        ModelKind::Dense,
        ModelKind::Vae,
        ModelKind::Pca,
        ModelKind::Conv,
        ModelKind::Ensemble,
        ModelKind::AeKnn,
        ModelKind::Iforest,
        ModelKind::Conv2d,
        ModelKind::Lstm,
        ModelKind::Knn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Best => "best",
            ModelKind::Dense => "dense",
            ModelKind::Vae => "vae",
            ModelKind::Pca => "pca",
            ModelKind::Conv => "conv",
            ModelKind::Ensemble => "ensemble",
            ModelKind::AeKnn => "ae-knn",
            ModelKind::Iforest => "iforest",
            ModelKind::Conv2d => "conv2d",
            ModelKind::Lstm => "lstm",
            ModelKind::Knn => "knn",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the kind is a network (shaped by widths and dropout) rather
    /// than a closed-form or classical model.
    fn is_network(self) -> bool {
        !matches!(self, ModelKind::Pca | ModelKind::Iforest | ModelKind::Knn)
    }
}

/// A user's model options; `None` leaves the kind's default.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOptions {
    pub kind: ModelKind,
    /// Layer widths; what they mean depends on the kind (see
    /// [`ModelOptions::config`]).
    pub hidden: Option<Vec<usize>>,
    pub dropout: Option<f32>,
    pub loss: Option<Reconstruction>,
    /// Ensemble members.
    pub members: Option<usize>,
    /// k of the kNN distance.
    pub neighbours: Option<usize>,
    /// What an ensemble's members read (the ensemble, and the best model
    /// where it is one).
    pub views: Option<MemberViews>,
}

impl ModelOptions {
    /// The kind's defaults.
    pub fn new(kind: ModelKind) -> Self {
        ModelOptions {
            kind,
            hidden: None,
            dropout: None,
            loss: None,
            members: None,
            neighbours: None,
            views: None,
        }
    }

    /// The loss a network trains with: as asked, else BCE on logits for
    /// the image autoencoder and the image VAE (pixels in [0, 1]), else
    /// squared error.
    pub fn reconstruction(&self, image: bool) -> Reconstruction {
        match self.loss {
            Some(r) => r,
            None if self.kind == ModelKind::Conv2d => Reconstruction::Bce,
            None if self.kind == ModelKind::Vae && image => Reconstruction::Bce,
            None => Reconstruction::Mse,
        }
    }

    /// How features are scaled: pixels are left in [0, 1] as read (an
    /// image model's picture of its reconstruction is then in pixel units,
    /// and a constant background pixel is not blown up); BCE compares
    /// outputs with targets in [0, 1], so other data get min-max scaling
    /// for it; everything else standardises.
    pub fn scaler_kind(&self, image: bool) -> ScalerKind {
        match self.loss {
            _ if image => ScalerKind::Identity,
            Some(Reconstruction::Bce) => ScalerKind::MinMax,
            _ => ScalerKind::Standard,
        }
    }

    /// The model config for data with `d` features (the pixels of `image`
    /// when the data are images; windows of `window` rows of a series),
    /// with seed `seed`. Every option that does not apply to the kind, and
    /// every shape that does not make a model, is an error
    /// ([`DetectError::Config`]) before anything large is allocated.
    ///
    /// `hidden` means: the encoder widths for dense, ensemble and ae-knn
    /// (mirrored for the decoder); the dense widths then the latent size
    /// for vae; the channels for conv; the channels then the latent size
    /// for conv2d; the LSTM units then the code width for lstm.
    pub fn config(
        &self,
        d: usize,
        image: Option<ImageShape>,
        window: Option<usize>,
        seed: u64,
    ) -> Result<ModelConfig> {
        self.config_with(d, image, window.map(|w| (w, false)), seed)
    }

    /// As [`config`](Self::config) for windows of `window` rows of a series,
    /// whose steps carry calendar features where `calendar` holds (the best
    /// model for a series depends on it).
    pub fn config_for_series(
        &self,
        d: usize,
        window: usize,
        calendar: bool,
        seed: u64,
    ) -> Result<ModelConfig> {
        self.config_with(d, None, Some((window, calendar)), seed)
    }

    fn config_with(
        &self,
        d: usize,
        image: Option<ImageShape>,
        series: Option<(usize, bool)>,
        seed: u64,
    ) -> Result<ModelConfig> {
        let window = series.map(|(w, _)| w);
        self.check_applies()?;
        let reconstruction = self.reconstruction(image.is_some());
        // `c` with the options that shape a dense autoencoder applied.
        let shaped = |mut c: DenseAeConfig| {
            if let Some(h) = &self.hidden {
                c.hidden = h.clone();
            }
            if let Some(p) = self.dropout {
                c.dropout = p;
            }
            c.reconstruction = reconstruction;
            c
        };
        let config = match self.kind {
            ModelKind::Best => {
                let best = match (image, series) {
                    (Some(shape), _) => ModelConfig::recommended_for_images(shape),
                    (None, Some((w, calendar))) => ModelConfig::recommended_for_series(w, calendar),
                    (None, None) => ModelConfig::recommended(d),
                };
                let best = match (best, self.views) {
                    (ModelConfig::Ensemble(e), Some(views)) => {
                        ModelConfig::Ensemble(EnsembleConfig { views, ..e })
                    }
                    (_, Some(_)) => {
                        return Err(config_error(
                            "views shape an ensemble's members; the best model for a series is one autoencoder",
                        ))
                    }
                    (best, None) => best,
                };
                match self.loss {
                    Some(_) => with_reconstruction(best, reconstruction),
                    None => best,
                }
            }
            ModelKind::Conv2d => {
                let shape = image.ok_or_else(|| {
                    config_error("the conv2d model reads images: give it a folder of PNG/JPEG images, an IDX file, or rows of pixels with their image shape")
                })?;
                let mut c = Conv2dAeConfig {
                    reconstruction,
                    ..Conv2dAeConfig::reference(shape)
                };
                if let Some(h) = &self.hidden {
                    let (latent, channels) = h
                        .split_last()
                        .filter(|(_, c)| !c.is_empty())
                        .ok_or_else(|| {
                            config_error("hidden widths for conv2d: the channels, then the latent size (e.g. 16,32,32)")
                        })?;
                    c.channels = channels.to_vec();
                    c.latent = *latent;
                }
                if let Some(p) = self.dropout {
                    c.dropout = p;
                }
                ModelConfig::Conv2d(c)
            }
            ModelKind::Dense => ModelConfig::Dense(shaped(DenseAeConfig::sized_to(d))),
            ModelKind::Ensemble => ModelConfig::Ensemble(EnsembleConfig {
                base: Box::new(ModelConfig::Dense(match (&self.hidden, self.dropout) {
                    (None, None) => DenseAeConfig {
                        reconstruction,
                        ..DenseAeConfig::wide()
                    },
                    _ => shaped(DenseAeConfig::sized_to(d)),
                })),
                members: self.members.unwrap_or(5),
                views: self.views.unwrap_or(MemberViews::Same),
                combine: Combine::Standardised,
            }),
            ModelKind::Vae => {
                // Images get the convolutional VAE (its dense widths and
                // latent size are what `hidden` sets); rows a dense one.
                let mut c = match image {
                    Some(shape) => VaeConfig::images(shape),
                    None => VaeConfig::sized_to(d),
                };
                c.reconstruction = reconstruction;
                if let Some(h) = &self.hidden {
                    let (latent, hidden) = h
                        .split_last()
                        .ok_or_else(|| config_error("hidden widths need at least one width"))?;
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
                k: self.neighbours.unwrap_or(5),
                ..KnnConfig::default()
            }),
            ModelKind::Lstm => {
                let steps = window.ok_or_else(|| {
                    config_error(
                        "the lstm model reads windows of a time series: name its time column (and window)",
                    )
                })?;
                let mut c = LstmAeConfig::for_steps(steps);
                if let Some(h) = &self.hidden {
                    match h.as_slice() {
                        [hidden, latent] => (c.hidden, c.latent) = (*hidden, *latent),
                        _ => {
                            return Err(config_error(
                                "hidden widths for lstm: the LSTM units, then the code width (e.g. 32,8)",
                            ))
                        }
                    }
                }
                ModelConfig::Lstm(c)
            }
            ModelKind::Conv => {
                let mut c = Conv1dAeConfig::sized_to(d);
                if let Some(h) = &self.hidden {
                    c.channels = h.clone();
                }
                c.reconstruction = reconstruction;
                ModelConfig::Conv1d(c)
            }
        };
        let config = config.with_seed(seed);
        // Every shape the options name is checked here: the size first
        // (before anything is allocated), then by building the model.
        config
            .check_size(d)
            .and_then(|()| config.build(d).map(drop))
            .map_err(|e| {
                let why = match e {
                    DetectError::Config(m) => m,
                    e => e.to_string(),
                };
                config_error(format!("the model options do not make a model: {why}"))
            })?;
        Ok(config)
    }

    /// Refuses options that do not apply to the kind.
    fn check_applies(&self) -> Result<()> {
        let kind = self.kind;
        if self.loss == Some(Reconstruction::Bce)
            && matches!(
                kind,
                ModelKind::Pca | ModelKind::Iforest | ModelKind::Knn | ModelKind::Lstm
            )
        {
            return Err(config_error(
                "the BCE loss applies to the best, dense, ensemble, vae, conv and conv2d models",
            ));
        }
        if kind == ModelKind::Best
            && (self.hidden.is_some() || self.dropout.is_some() || self.members.is_some())
        {
            return Err(config_error(
                "hidden widths, dropout and members shape a chosen model; pick one: dense, vae, conv or ensemble",
            ));
        }
        if !kind.is_network() && (self.hidden.is_some() || self.dropout.is_some()) {
            return Err(config_error(
                "hidden widths and dropout shape neural models; pca, iforest and knn take neither",
            ));
        }
        if self.neighbours.is_some() && kind != ModelKind::Knn {
            return Err(config_error("neighbours applies to the knn model"));
        }
        if self.members.is_some() && kind != ModelKind::Ensemble {
            return Err(config_error("members applies to the ensemble model"));
        }
        if self.views.is_some() && !matches!(kind, ModelKind::Ensemble | ModelKind::Best) {
            return Err(config_error(
                "views applies to the best and ensemble models",
            ));
        }
        if self.dropout.is_some()
            && matches!(kind, ModelKind::Vae | ModelKind::Conv | ModelKind::Lstm)
        {
            return Err(config_error(
                "dropout applies to the dense, ensemble, ae-knn and conv2d models (the VAE and the conv and LSTM autoencoders have none)",
            ));
        }
        Ok(())
    }
}

fn config_error(msg: impl Into<String>) -> DetectError {
    DetectError::Config(msg.into())
}

/// `config` with every autoencoder in it set to `reconstruction`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_reads_back() {
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::from_name(k.name()), Some(k));
        }
        assert_eq!(ModelKind::from_name("Dense"), None);
    }

    #[test]
    fn options_that_do_not_apply_are_refused() {
        let with = |kind, f: fn(&mut ModelOptions)| {
            let mut o = ModelOptions::new(kind);
            f(&mut o);
            o.config(8, None, None, 0)
        };
        assert!(with(ModelKind::Pca, |o| o.hidden = Some(vec![4])).is_err());
        assert!(with(ModelKind::Dense, |o| o.neighbours = Some(3)).is_err());
        assert!(with(ModelKind::Best, |o| o.dropout = Some(0.1)).is_err());
        assert!(with(ModelKind::Vae, |o| o.dropout = Some(0.1)).is_err());
        assert!(with(ModelKind::Knn, |o| o.loss = Some(Reconstruction::Bce)).is_err());
        assert!(
            with(ModelKind::Conv2d, |_| {}).is_err(),
            "conv2d needs an image shape"
        );
        assert!(
            with(ModelKind::Lstm, |_| {}).is_err(),
            "lstm needs a window"
        );
        assert!(with(ModelKind::Dense, |o| o.hidden = Some(vec![0])).is_err());
        // …and the ones that do, make the model they describe.
        let c = with(ModelKind::Knn, |o| o.neighbours = Some(3)).unwrap();
        assert!(matches!(c, ModelConfig::Knn(KnnConfig { k: 3, .. })));
        let c = with(ModelKind::Dense, |o| o.hidden = Some(vec![6, 3])).unwrap();
        assert!(matches!(&c, ModelConfig::Dense(d) if d.hidden == [6, 3]));
        assert_eq!(c.seed(), 0);
    }

    /// Views shape an ensemble: the ensemble's (same by default) and the
    /// best model's for rows (alternate by default); nothing else takes them.
    #[test]
    fn views_choose_what_an_ensembles_members_read() {
        let views_of = |kind, views| {
            let mut o = ModelOptions::new(kind);
            o.views = views;
            match o.config(8, None, None, 0) {
                Ok(ModelConfig::Ensemble(e)) => Ok(e.views),
                Ok(other) => panic!("{kind:?} made {other:?}"),
                Err(e) => Err(e),
            }
        };
        use MemberViews::*;
        assert_eq!(
            views_of(ModelKind::Best, None).unwrap(),
            AlternateNormalScores
        );
        assert_eq!(views_of(ModelKind::Best, Some(Same)).unwrap(), Same);
        assert_eq!(views_of(ModelKind::Ensemble, None).unwrap(), Same);
        assert_eq!(
            views_of(ModelKind::Ensemble, Some(NormalScores)).unwrap(),
            NormalScores
        );
        let mut o = ModelOptions::new(ModelKind::Knn);
        o.views = Some(Same);
        assert!(o.config(8, None, None, 0).is_err());
        let mut o = ModelOptions::new(ModelKind::Best);
        o.views = Some(Same);
        assert!(
            o.config(8, None, Some(16), 0).is_err(),
            "a series' best model is no ensemble"
        );
    }

    #[test]
    fn bce_scales_to_unit_range_and_images_stay_as_read() {
        let mut o = ModelOptions::new(ModelKind::Dense);
        assert_eq!(o.scaler_kind(false), ScalerKind::Standard);
        assert_eq!(o.scaler_kind(true), ScalerKind::Identity);
        o.loss = Some(Reconstruction::Bce);
        assert_eq!(o.scaler_kind(false), ScalerKind::MinMax);
        assert_eq!(
            ModelOptions::new(ModelKind::Conv2d).reconstruction(true),
            Reconstruction::Bce
        );
    }
}
