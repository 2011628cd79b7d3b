//! The command line, as clap parses it.

use aedetect_detect::series::SERIES_THRESHOLD;
use aedetect_detect::threshold::ThresholdRule;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "aedetect",
    version,
    about = "Find anomalies by learning what normal looks like: train an autoencoder on normal rows, flag the rows it cannot reconstruct.",
    after_help = "Data: CSV with a header (or --no-header), NumPy .npy (2-D) or .npz (X and y, as ADBench writes them), a folder of PNG/JPEG images (labelled by sub-folder: good/ is normal), or an IDX image file.\nRun `aedetect <command> --help` for a command's options."
)]
pub struct Cli {
    /// Worker threads for the numerical kernels (default: all cores). The
    /// same seed and thread count give the same model bit for bit.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fit the scaler and the model, set the threshold on held-out rows, save the model.
    Train(TrainArgs),
    /// Score rows with a saved model: one CSV line (id, score, flag) per input row.
    Score(ScoreArgs),
    /// Measure a detector on labelled data (normal-only training, 60/20/20 split, seeds averaged).
    Eval(EvalArgs),
    /// Show a saved model's architecture, scaler, threshold and training facts.
    Inspect(InspectArgs),
    /// Draw images from a VAE trained on images: a grid decoded from samples of its prior.
    Sample(SampleArgs),
    /// Draw the path between two images through a VAE's latent space (the line between their μ).
    Interpolate(InterpolateArgs),
}

/// How the data file is read.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Input: a .csv (header expected), .npy or .npz file; a folder of PNG
    /// or JPEG images (sub-folders good/ and others label them); or an IDX
    /// image file (MNIST's, gzip'd or not).
    #[arg(long, value_name = "FILE|DIR")]
    pub data: PathBuf,
    /// Resize every image to this size, HxW or one side for a square
    /// (default: the first image's size).
    #[arg(long, value_name = "HxW", value_parser = parse_size)]
    pub size: Option<(usize, usize)>,
    /// CSV column holding anomaly labels (0/1, true/false, normal/anomaly).
    #[arg(long, value_name = "NAME")]
    pub label_col: Option<String>,
    /// For an IDX image file: its IDX label file (MNIST's
    /// t10k-labels-idx1-ubyte.gz); with --normal-label, the images whose
    /// class is not listed are the anomalies. For `eval` of a series
    /// (--time-col): its anomaly windows, as NAB's
    /// labels/combined_windows.json or a JSON list of [start, end] timestamps.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// The classes of --labels that are normal, e.g. 0 or 1,7 (one-class
    /// MNIST: one digit normal, the other nine anomalies).
    #[arg(long, value_name = "N,…", value_delimiter = ',', requires = "labels")]
    pub normal_label: Option<Vec<u8>>,
    /// CSV column holding row ids (copied to the score output, never a feature).
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,
    /// The CSV is a time series and this column holds its timestamps
    /// (`2014-07-01 00:00:00` or RFC 3339), rows in time order: the model
    /// then scores trailing windows of rows (see --window).
    #[arg(long, value_name = "NAME")]
    pub time_col: Option<String>,
    /// Keep rows whose timestamp repeats or goes back, in file order (as
    /// NAB scores its files), instead of stopping at the first; says how
    /// many there were.
    #[arg(long, requires = "time_col")]
    pub allow_time_disorder: bool,
    /// The CSV has no header line: columns are named 0, 1, 2, … (and
    /// --label-col / --id-col take such an index).
    #[arg(long)]
    pub no_header: bool,
    /// Fill missing values (empty cells, NaN, ±inf) instead of stopping with
    /// an error. `mean`: the training rows' column mean.
    #[arg(long, value_enum, value_name = "HOW")]
    pub impute: Option<Impute>,
}

/// How a time series (--time-col) becomes windows, and its normal stretch.
#[derive(Args, Debug, Clone)]
pub struct SeriesArgs {
    /// Rows per trailing window: the score at a row reads that row and the
    /// W − 1 before it, never a later one.
    #[arg(long, value_name = "W", requires = "time_col", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub window: Option<u32>,
    /// Add hour-of-day and day-of-week (sin/cos of the timestamp) to every
    /// row, so the same value can be normal at 9:00 and anomalous at 3:00.
    /// The best model does so by itself when the normal stretch spans two
    /// weeks or more (and is then the 1-D conv autoencoder).
    #[arg(long, requires = "time_col", conflicts_with = "no_calendar")]
    pub calendar: bool,
    /// No calendar features, however long the normal stretch.
    #[arg(long, requires = "time_col")]
    pub no_calendar: bool,
    /// The smoothed score is the trailing mean of the last K window errors
    /// (fewer false alarms from single noisy windows; 1 = none).
    #[arg(long, value_name = "K", requires = "time_col", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub smooth: Option<u32>,
    /// The fraction of rows at the start of the series taken as normal and
    /// trained on (a fifth of its windows, held out in blocks across it,
    /// set the threshold). Default 0.15, NAB's probationary period.
    #[arg(long, value_name = "F", requires = "time_col", conflicts_with = "train_rows", value_parser = parse_fraction)]
    pub train_fraction: Option<f64>,
    /// As --train-fraction, as a number of rows.
    #[arg(long, value_name = "N", requires = "time_col")]
    pub train_rows: Option<usize>,
    /// A row alarms only when its smoothed score climbs above the highest
    /// of the R rows before it, and an alarm silences the rows after it
    /// while the score stays past the threshold, R at most: one alarm per
    /// excursion, another when it crosses again or climbs to a new high
    /// past R rows. Default W + K − 1 (the rows one event lifts the
    /// smoothed score for); 0 flags every row above the threshold (that
    /// stands out from the recent rows: --recent-rows).
    #[arg(long, value_name = "R", requires = "time_col", value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub cooldown: Option<u32>,
    /// An alarm's smoothed score must also be over 1.05 times the 98.5th
    /// percentile of the last N rows' (once 100 are scored): a part of the
    /// day or week the normal stretch never held scores past the threshold
    /// each time it comes, and alarms only until it is usual, as a detector
    /// learning online would stop. Default 4096, at most 1048576 (each row
    /// moves up to N kept scores); 0 ranks nothing (every peak past the
    /// threshold alarms).
    #[arg(long, value_name = "N", requires = "time_col", value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    pub recent_rows: Option<u32>,
    /// A step between two rows longer than F times the normal stretch's
    /// usual longest step (its 99th percentile) is a gap: no window spans
    /// it, and the W − 1 rows after it have no score, as at the start of
    /// the series (a window stitched across a week's hole scores high for
    /// the stitching). 4 suits holes that are outages of the recording;
    /// default 0, windows span every step, since a hole can be the event
    /// itself (a system down).
    #[arg(long, value_name = "F", requires = "time_col", value_parser = parse_gap_factor)]
    pub gap_factor: Option<f64>,
}

fn parse_gap_factor(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f == 0.0 || (1.0..=1e6).contains(&f) => Ok(f),
        _ => Err(format!(
            "`{text}` is not a factor from 1 to 1000000, or 0 (no gaps)"
        )),
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impute {
    Mean,
}

/// Which detector and how to train it.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Detector. `best` (the default) is the one that does best across the
    /// ADBench data sets (see RESULTS.md).
    #[arg(long, value_enum, default_value_t = ModelKind::Best)]
    pub model: ModelKind,
    /// Encoder widths after the input, ending with the bottleneck (or the
    /// VAE's latent size), e.g. 12,6. Default: sized to the data.
    #[arg(long, value_delimiter = ',', value_name = "W1,W2,…")]
    pub hidden: Option<Vec<usize>>,
    /// Dropout after each encoder activation (dense autoencoders).
    #[arg(long, value_name = "P")]
    pub dropout: Option<f32>,
    /// Reconstruction loss and score: mse (the default), or bce (binary
    /// cross-entropy on output logits, for data in [0, 1] such as pixels;
    /// the features of a table are then min-max scaled instead of
    /// standardised; the default of --model conv2d). Autoencoders only.
    #[arg(long, value_enum)]
    pub loss: Option<LossKind>,
    /// Members of a seed ensemble (with --model ensemble; default 5).
    #[arg(long, value_name = "N")]
    pub members: Option<usize>,
    /// What an ensemble's members read (with --model best or ensemble):
    /// same (every member the standardised rows; --model ensemble's
    /// default), alternate (every second member each feature's normal score
    /// among the training rows; --model best's default for tables), or
    /// normal-scores (every member).
    #[arg(long, value_enum, value_name = "VIEWS")]
    pub views: Option<ViewsKind>,
    /// Neighbours a kNN score looks at (with --model knn; default 5).
    #[arg(long, visible_alias = "neighbors", value_name = "K")]
    pub neighbours: Option<usize>,
    /// Passes over the training rows (--model best for tables trains each
    /// member for its own budget of 2,500 steps instead).
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f32,
    /// Robust training for contaminated data: drop this fraction of each
    /// batch's highest-error rows from the loss (e.g. 0.05).
    #[arg(long, value_name = "FRACTION")]
    pub robust: Option<f32>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewsKind {
    Same,
    Alternate,
    NormalScores,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    Mse,
    Bce,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// The best detector across data sets (currently: four wide dropout
    /// autoencoders, each trained for 2,500 steps whatever --epochs says and
    /// scored by reconstruction error + the kNN distance of its code, the
    /// second and fourth reading normal scores, scores averaged by rank; for
    /// images
    /// their convolutional version; for a series the LSTM autoencoder;
    /// RESULTS.md).
    Best,
    /// Dense ReLU autoencoder.
    Dense,
    /// Variational autoencoder, scored by the μ-decode's reconstruction
    /// error. On images: convolutions (32, 64) in front of its dense layers,
    /// BCE, and `aedetect sample` / `interpolate` draw from it; --hidden
    /// sets the dense widths then the latent size (default 256,16).
    Vae,
    /// PCA reconstruction error (closed form).
    Pca,
    /// 1-D convolutional autoencoder over each row's features (time-series
    /// windows, ordered features); --hidden sets its channels.
    Conv,
    /// Seed ensemble of dense autoencoders (standardised mean score).
    Ensemble,
    /// One wide dropout autoencoder scored by reconstruction error + the
    /// distance of its code to the 5th nearest training code (one member of
    /// `best`); --hidden and --dropout shape it.
    AeKnn,
    /// Isolation Forest (100 trees of 256 rows): the non-autoencoder baseline.
    Iforest,
    /// 2-D convolutional autoencoder for images (stride-2 Conv2d encoder,
    /// linear bottleneck, ConvTranspose2d decoder); --hidden sets its
    /// channels then its latent size (default 16,32,32).
    Conv2d,
    /// LSTM autoencoder for time series (--time-col): an encoder LSTM's last
    /// state, a linear code, a decoder LSTM fed that code at every step;
    /// --hidden sets the LSTM units then the code width (default 32,8).
    Lstm,
    /// Distance to the k-th nearest training row (--neighbours, default 5):
    /// the strongest classical baseline. The model file holds the training
    /// rows (a seeded subsample of 65,536 beyond that).
    Knn,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub series: SeriesArgs,
    /// The file holds normal rows only: train on 80 %, set the threshold on
    /// the other 20 %. Without it and without labels, the data are taken as
    /// possibly contaminated and training is robust (drops the worst 5 %).
    #[arg(long)]
    pub normal_only: bool,
    /// Threshold rule on the calibration rows: p99 (the default), p95, pNN,
    /// mean+3std, max+Kspread (the largest calibration score + K·(largest −
    /// median); the default for a series: max+2spread, K widened up to 4×
    /// where fewer than 8·W windows are held out), or f1 (best F1;
    /// needs labels).
    #[arg(long, value_parser = parse_rule)]
    pub threshold: Option<ThresholdRule>,
    /// Seed for the split, the weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the model (.safetensors); replaced only once complete.
    #[arg(long, value_name = "MODEL")]
    pub out: PathBuf,
    /// Progress lines on standard error even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// A model written by `aedetect train`.
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Rows to score (.csv, .npy, .npz), - for CSV on standard input, or
    /// images (a folder, an IDX file) for a model trained on images.
    #[arg(long, value_name = "FILE|DIR|-")]
    pub data: PathBuf,
    /// For images: also write, for each flagged image, a PNG of the image,
    /// its reconstruction and its per-pixel error laid over it, into this
    /// folder (created if missing), named after the image.
    #[arg(long, value_name = "DIR")]
    pub heatmaps: Option<PathBuf>,
    /// Output CSV (score, flag), or - for standard output (the default).
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,
    /// CSV column holding row ids, written as the first output column.
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,
    /// A series: keep rows whose timestamp repeats or goes back, in file
    /// order, instead of stopping at the first.
    #[arg(long)]
    pub allow_time_disorder: bool,
    /// Neither the input nor the output has a header line (shards of a
    /// larger file: concatenated outputs equal one run's).
    #[arg(long)]
    pub no_header: bool,
    /// Fill missing values with the model's training means.
    #[arg(long, value_enum, value_name = "HOW")]
    pub impute: Option<Impute>,
    /// Drift: once N rows have been judged normal, flag against the
    /// percentile of the last N scores instead of the model's fixed
    /// threshold (written as a third column, `threshold`). At most 10,000,000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub drift_window: Option<u32>,
    /// The percentile of the window (default: the model's own rule, e.g. 99
    /// for a p99 threshold).
    #[arg(long, value_name = "Q", requires = "drift_window", value_parser = parse_percent)]
    pub drift_percentile: Option<f64>,
    /// A series: write NAB's results format instead, for NAB's own scorer:
    /// `timestamp,value,anomaly_score`, the anomaly score being each
    /// alarm's strength (the level of the larger of its window's error and
    /// its smoothed score: above ½) and 0 elsewhere. NAB's threshold sweep
    /// then finds these alarms at every threshold up to ½ and drops the
    /// weakest above it; the `level` column would flag every row of an
    /// excursion.
    #[arg(long, conflicts_with = "no_header")]
    pub nab: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub series: SeriesArgs,
    /// Seeds of the repeated split-train-test runs, averaged.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    pub seeds: Vec<u64>,
    /// Threshold rule on the calibration split (the protocol's is p99; a
    /// series' default is max+2spread on its normal stretch).
    #[arg(long, value_parser = parse_rule)]
    pub threshold: Option<ThresholdRule>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the first seed's test-score histogram (normals vs anomalies,
    /// threshold line) as SVG; for a series, the series, its smoothed
    /// score, the threshold, the labelled windows and the alarms.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Progress lines on standard error even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A model written by `aedetect train`.
    pub model: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A VAE trained on images (`aedetect train --model vae --data DIR`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// How many images to draw (at most 10,000).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub n: u32,
    /// Seed of the latent draws: the same seed draws the same images.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Images per row of the grid (default: the square root of --n, rounded up).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub columns: Option<u32>,
    /// Where to write the grid (.png); replaced only once complete.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct InterpolateArgs {
    /// A VAE trained on images (`aedetect train --model vae --data DIR`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// The image the path starts at (PNG or JPEG; resized to the model's size).
    #[arg(long, value_name = "IMAGE")]
    pub from: PathBuf,
    /// The image the path ends at.
    #[arg(long, value_name = "IMAGE")]
    pub to: PathBuf,
    /// Images decoded along the line, both ends included (2 to 1,000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=1_000))]
    pub steps: u32,
    /// Where to write the strip (.png): the two images framing the decoded path.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
}

/// `28x28`, `28×28` or `28`.
fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let side = |v: &str| match v.trim().parse::<usize>() {
        Ok(n) if (1..=aedetect_detect::io::MAX_SIDE as usize).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}` is not an image size: HxW with sides from 1 to {}",
            aedetect_detect::io::MAX_SIDE
        )),
    };
    match s.split_once(['x', 'X', '×']) {
        Some((h, w)) => Ok((side(h)?, side(w)?)),
        None => side(s).map(|n| (n, n)),
    }
}

fn parse_rule(s: &str) -> Result<ThresholdRule, String> {
    s.parse()
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err(format!("`{s}` is not a fraction in (0, 1)")),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(q) if (0.0..=100.0).contains(&q) => Ok(q),
        _ => Err(format!("`{s}` is not a percentile in [0, 100]")),
    }
}

/// The threshold rule: the one named, else p99 for rows and
/// [`SERIES_THRESHOLD`] for a series (--time-col).
fn rule_or_default(named: Option<ThresholdRule>, data: &DataArgs) -> ThresholdRule {
    named.unwrap_or(if data.time_col.is_some() {
        SERIES_THRESHOLD
    } else {
        ThresholdRule::Percentile(99.0)
    })
}

impl TrainArgs {
    pub fn rule(&self) -> ThresholdRule {
        rule_or_default(self.threshold, &self.data)
    }
}

impl EvalArgs {
    pub fn rule(&self) -> ThresholdRule {
        rule_or_default(self.threshold, &self.data)
    }
}
