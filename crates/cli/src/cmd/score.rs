//! `aedetect score`: one output line per input row — the row's id (with
//! --id-col), its score and its 0/1 flag (score > the model's threshold; with
//! --drift-window, a rolling threshold, written as a third column).
//!
//! CSV input is streamed in batches of [`BATCH_ROWS`], so memory stays
//! bounded however long the input is; with `--data -` rows come from standard
//! input and with `--out -` (the default) go to standard output, so the
//! command can run as a filter on shards of a larger data set.

use crate::args::{Impute, ScoreArgs};
use crate::cmd::{check_output, series, Dash};
use crate::error::CliError;
use crate::input;
use aedetect_detect::eval::{heatmap, pixel_errors};
use aedetect_detect::io::AtomicFile;
use aedetect_detect::io::{read_table, FileKind};
use aedetect_detect::io::{write_png, Table};
use aedetect_detect::io::{CsvReader, CsvSpec};
use aedetect_detect::preprocess::fill_missing;
use aedetect_detect::threshold::{RollingThreshold, ThresholdRule};
use aedetect_detect::ImageShape;
use aedetect_detect::{model_file, DetectError, Detector, ScalerKind};
use aedetect_tensor::Tensor;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Rows read, scored and written at a time.
pub const BATCH_ROWS: usize = 4096;

pub fn run(args: &ScoreArgs) -> Result<(), CliError> {
    let out_path = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    check_output(&out_path, "--out", Dash::Stdout, &[&args.data, &args.model])?;
    let mut det = model_file::load(&args.model)?;
    if det.series.is_some() {
        return series::score(args, &out_path, &mut det);
    }
    if args.nab {
        return Err(CliError::usage(format!(
            "{}: --nab writes NAB's results for a series model (trained with --time-col)",
            args.model.display()
        )));
    }
    if input::is_images(&args.data) {
        return score_images(args, &out_path, &mut det);
    }
    if args.heatmaps.is_some() {
        return Err(CliError::usage(
            "--heatmaps draws images: pass --data with a folder of images or an IDX file",
        ));
    }
    let fill = match args.impute {
        None => None,
        Some(Impute::Mean) if det.scaler.kind == ScalerKind::Standard => {
            Some(det.scaler.offset.clone())
        }
        Some(Impute::Mean) => {
            return Err(CliError::failed(format!(
            "{}: --impute mean needs the training means, which only a standard-scaled model keeps",
            args.model.display()
        )))
        }
    };
    let spec = CsvSpec {
        header: !args.no_header,
        label_col: None,
        id_col: args.id_col.clone(),
        features: (!det.features.is_empty()).then(|| det.features.clone()),
        keep_missing: fill.is_some(),
        ..CsvSpec::default()
    };
    let flags = Flagging::new(args, &det)?;
    let header = (!args.no_header).then(|| {
        let mut h = String::new();
        if args.id_col.is_some() {
            h.push_str("id,");
        }
        h.push_str("score");
        h.push_str(flags.header());
        h
    });
    let mut out = Rows {
        out: Output::open(&out_path)?,
        flags,
    };
    let header = header.as_deref();
    let written = (|| {
        if args.data.as_os_str() == "-" {
            let stdin = std::io::stdin().lock();
            score_csv(
                stdin,
                Path::new("<stdin>"),
                &spec,
                header,
                &mut det,
                fill.as_deref(),
                &mut out,
            )
        } else if FileKind::of(&args.data)? == FileKind::Csv {
            let file = std::fs::File::open(&args.data).map_err(|source| DetectError::Io {
                path: args.data.clone(),
                source,
            })?;
            let reader = std::io::BufReader::with_capacity(1 << 16, file);
            score_csv(
                reader,
                &args.data,
                &spec,
                header,
                &mut det,
                fill.as_deref(),
                &mut out,
            )
        } else {
            if args.id_col.is_some() {
                return Err(CliError::usage("--id-col applies to CSV input"));
            }
            let spec = CsvSpec {
                features: Some(vec![String::new(); det.scaler.features()]),
                ..spec.clone()
            };
            let mut table = read_table(&args.data, &spec)?;
            if let Some(f) = fill.as_deref() {
                fill_missing(&mut table.x, f);
            }
            let mut scores = Vec::new();
            det.score_into(&table.x, &mut scores).map_err(|e| match e {
                DetectError::Overflow { row, score } => CliError::failed(format!(
                    "{}: row {}: its values overflow once scaled or inside the model (score {score}); the row cannot be scored",
                    args.data.display(),
                    row + 1
                )),
                e => e.into(),
            })?;
            if let Some(h) = header {
                writeln!(out.out, "{h}")?;
            }
            out.write(None, &scores)?;
            Ok(())
        }
    })();
    written?;
    out.out.finish()
}

/// Scores a folder (or IDX file) of images with a model trained on images:
/// one line `path,score,flag` per image, and with --heatmaps a picture per
/// flagged image.
fn score_images(args: &ScoreArgs, out_path: &Path, det: &mut Detector) -> Result<(), CliError> {
    if args.id_col.is_some() || args.impute.is_some() {
        return Err(CliError::usage(
            "--id-col and --impute apply to tables; images are named by their paths",
        ));
    }
    let shape = input::model_image_shape(det, &args.model)?;
    if let Some(dir) = &args.heatmaps {
        if det.threshold.is_none() {
            return Err(CliError::usage(format!(
                "{}: the model has no threshold, so no image is flagged for --heatmaps",
                args.model.display()
            )));
        }
        if same_place(dir, &args.data) {
            return Err(CliError::usage(format!(
                "--heatmaps {} is the input folder; name another folder",
                dir.display()
            )));
        }
    }
    let (table, _) = input::read_images(&args.data, Some(shape), None)?;
    let mut scores = Vec::new();
    det.score_into(&table.x, &mut scores)?;
    let flags = Flagging::new(args, det)?;
    let mut out = Rows {
        out: Output::open(out_path)?,
        flags,
    };
    if !args.no_header {
        writeln!(out.out, "path,score{}", out.flags.header())?;
    }
    out.write(table.ids.as_deref(), &scores)?;
    if let Some(dir) = &args.heatmaps {
        let threshold = det.threshold.unwrap_or(f32::INFINITY);
        write_heatmaps(dir, det, &table, shape, &scores, threshold)?;
    }
    out.out.finish()
}

/// Whether two paths name the same existing folder.
fn same_place(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// One heat map per image scoring above `threshold`, in `dir` under the
/// image's own path with the extension `.png`; every map is painted on one
/// scale (the largest pixel error among them), so they compare.
fn write_heatmaps(
    dir: &Path,
    det: &mut Detector,
    table: &Table,
    shape: ImageShape,
    scores: &[f32],
    threshold: f32,
) -> Result<(), CliError> {
    let flagged: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i] > threshold)
        .collect();
    let images = table.x.select_rows(&flagged);
    let recon = det.reconstruct(&images)?.ok_or_else(|| {
        CliError::usage(format!(
            "--heatmaps needs a model that reconstructs its input; {} does not",
            det.model.describe()
        ))
    })?;
    let scale = (0..flagged.len())
        .flat_map(|i| pixel_errors(images.row(i), recon.row(i), shape))
        .fold(0.0f32, f32::max);
    let ids = table.ids.as_deref().unwrap_or_default();
    for (k, &i) in flagged.iter().enumerate() {
        let name = Path::new(&ids[i]).with_extension("png");
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::failed(format!("--heatmaps {}: {e}", parent.display())))?;
        }
        write_png(&path, &heatmap(images.row(k), recon.row(k), shape, scale))?;
    }
    eprintln!(
        "aedetect: {} heat map(s) of flagged images written to {} (full colour at a pixel error of {scale:.3})",
        flagged.len(),
        dir.display()
    );
    Ok(())
}

fn score_csv<R: Read>(
    input: R,
    source: &Path,
    spec: &CsvSpec,
    header: Option<&str>,
    det: &mut Detector,
    fill: Option<&[f32]>,
    out: &mut Rows,
) -> Result<(), CliError> {
    let mut reader = CsvReader::new(input, source, spec)?;
    if let Some(h) = header {
        writeln!(out.out, "{h}")?;
    }
    let (mut x, mut labels, mut ids, mut scores) =
        (Tensor::default(), Vec::new(), Vec::new(), Vec::new());
    loop {
        let first_row = reader.rows_read() + 1;
        let n = reader.read_batch(BATCH_ROWS, &mut x, &mut labels, &mut ids)?;
        if n == 0 {
            break;
        }
        if let Some(f) = fill {
            fill_missing(&mut x, f);
        }
        det.score_into(&x, &mut scores).map_err(|e| match e {
            DetectError::WidthMismatch { got, want } => CliError::failed(format!(
                "{}: rows have {got} feature columns, but the model expects {want}",
                source.display()
            )),
            DetectError::NotFinite { row, col, value } => CliError::failed(format!(
                "{}: row {}, column {}: value {value} is not finite",
                source.display(),
                first_row + row,
                col + 1
            )),
            DetectError::Overflow { row, score } => CliError::failed(format!(
                "{}: row {}: its values overflow once scaled or inside the model (score {score}); the row cannot be scored",
                source.display(),
                first_row + row
            )),
            e => e.into(),
        })?;
        let ids = spec.id_col.as_ref().map(|_| ids.as_slice());
        out.write(ids, &scores)?;
    }
    Ok(())
}

/// How rows are flagged: not at all (a model without a threshold), against
/// the model's fixed threshold, or against a rolling one (--drift-window).
pub(crate) enum Flagging {
    Off,
    Fixed(f32),
    Rolling {
        window: RollingThreshold,
        fixed: f32,
    },
}

impl Flagging {
    pub(crate) fn new(args: &ScoreArgs, det: &Detector) -> Result<Self, CliError> {
        let Some(fixed) = det.threshold else {
            if args.drift_window.is_some() {
                return Err(CliError::usage(format!(
                    "{}: the model has no threshold to start --drift-window from",
                    args.model.display()
                )));
            }
            return Ok(Flagging::Off);
        };
        let Some(n) = args.drift_window else {
            return Ok(Flagging::Fixed(fixed));
        };
        let rule = det
            .info
            .get("threshold_rule")
            .map(|r| r.parse::<ThresholdRule>());
        let q = match (args.drift_percentile, rule) {
            (Some(q), _) => q,
            (None, Some(Ok(ThresholdRule::Percentile(q)))) => q,
            (None, rule) => {
                let rule = match rule {
                    Some(Ok(r)) => r.to_string(),
                    _ => "not recorded".into(),
                };
                return Err(CliError::usage(format!(
                    "{}: the model's threshold rule is {rule}, not a percentile: give --drift-percentile",
                    args.model.display()
                )));
            }
        };
        Ok(Flagging::Rolling {
            window: RollingThreshold::new(n as usize, q),
            fixed,
        })
    }

    /// The output columns after `score`.
    pub(crate) fn header(&self) -> &'static str {
        match self {
            Flagging::Off => "",
            Flagging::Fixed(_) => ",flag",
            Flagging::Rolling { .. } => ",flag,threshold",
        }
    }

    /// The same columns for a row without a score (a series row before its
    /// first full window): flag 0, and no threshold.
    pub(crate) fn write_unscored(&self, out: &mut Output) -> std::io::Result<()> {
        match self {
            Flagging::Off => writeln!(out),
            Flagging::Fixed(_) => writeln!(out, ",0"),
            Flagging::Rolling { .. } => writeln!(out, ",0,"),
        }
    }

    /// Writes the columns after `score` for one row, ending the line.
    pub(crate) fn write(&mut self, out: &mut Output, score: f32) -> std::io::Result<()> {
        self.write_gated(out, score, &mut |past| past)
    }

    /// As [`write`](Self::write), the flag decided by `gate` from whether
    /// the score is past the threshold (a series row: a peak, and no alarm
    /// silencing it); the rolling threshold sees every score either way.
    pub(crate) fn write_gated(
        &mut self,
        out: &mut Output,
        score: f32,
        gate: &mut dyn FnMut(bool) -> bool,
    ) -> std::io::Result<()> {
        match self.judge(score, gate) {
            None => writeln!(out),
            Some((flag, None)) => writeln!(out, ",{}", u8::from(flag)),
            Some((flag, Some(t))) => writeln!(out, ",{},{t}", u8::from(flag)),
        }
    }

    /// Whether a row scoring `score` is flagged (by `gate`, as in
    /// [`write_gated`](Self::write_gated)), and the rolling threshold it was
    /// judged against; `None` without a threshold.
    pub(crate) fn judge(
        &mut self,
        score: f32,
        gate: &mut dyn FnMut(bool) -> bool,
    ) -> Option<(bool, Option<f32>)> {
        match self {
            Flagging::Off => None,
            Flagging::Fixed(t) => Some((gate(score > *t), None)),
            Flagging::Rolling { window, fixed } => {
                let t = window.current(*fixed);
                let flagged = window.flag(score, *fixed);
                Some((gate(flagged), Some(t)))
            }
        }
    }
}

/// The output lines and how their flags are decided.
struct Rows {
    out: Output,
    flags: Flagging,
}

impl Rows {
    /// One line per score: the id (when given), the score and its flags.
    fn write(&mut self, ids: Option<&[String]>, scores: &[f32]) -> Result<(), CliError> {
        for (i, s) in scores.iter().enumerate() {
            if let Some(ids) = ids {
                write_id(&mut self.out, &ids[i])?;
            }
            write!(self.out, "{s}")?;
            self.flags.write(&mut self.out, *s)?;
        }
        Ok(())
    }
}

/// An id as the first field of a CSV line (`csv_field`), then its comma.
pub(crate) fn write_id(out: &mut Output, id: &str) -> std::io::Result<()> {
    write!(out, "{},", csv_field(id))
}

/// Text as a CSV field: quoted when it holds a comma, quote or line break.
pub(crate) fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Standard output, or a file that appears only once complete.
pub(crate) enum Output {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    File(AtomicFile),
}

impl Output {
    pub(crate) fn open(path: &Path) -> Result<Self, CliError> {
        Ok(if path.as_os_str() == "-" {
            Output::Stdout(BufWriter::with_capacity(1 << 16, std::io::stdout().lock()))
        } else {
            Output::File(AtomicFile::create(path)?)
        })
    }

    pub(crate) fn finish(self) -> Result<(), CliError> {
        match self {
            Output::Stdout(mut w) => Ok(w.flush()?),
            Output::File(f) => Ok(f.commit()?),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(f) => f.flush(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader of our output has gone (e.g. `| head`): stop quietly.
            return CliError::quiet();
        }
        CliError::failed(format!("writing the scores: {e}"))
    }
}
