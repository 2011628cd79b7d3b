//! `aedetect score`: one output line per input row — the row's id (with
//! --id-col), its score and its 0/1 flag (score > the model's threshold).
//!
//! CSV input is streamed in batches of [`BATCH_ROWS`], so memory stays
//! bounded however long the input is; with `--data -` rows come from standard
//! input and with `--out -` (the default) go to standard output, so the
//! command can run as a filter on shards of a larger data set.

use crate::args::{Impute, ScoreArgs};
use crate::cmd::check_output_folder;
use crate::error::CliError;
use aedetect_detect::data::csv::{CsvReader, CsvSpec};
use aedetect_detect::data::impute::fill_missing;
use aedetect_detect::data::{read_table, FileKind};
use aedetect_detect::io::AtomicFile;
use aedetect_detect::{model_file, DetectError, Detector, ScalerKind};
use aedetect_tensor::Tensor;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Rows read, scored and written at a time.
pub const BATCH_ROWS: usize = 4096;

pub fn run(args: &ScoreArgs) -> Result<(), CliError> {
    let out_path = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    check_output_folder(&out_path, "--out")?;
    let mut det = model_file::load(&args.model)?;
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
    };
    let mut out = Output::open(&out_path)?;
    let header = (!args.no_header).then(|| {
        let mut h = String::new();
        if args.id_col.is_some() {
            h.push_str("id,");
        }
        h.push_str("score");
        if det.threshold.is_some() {
            h.push_str(",flag");
        }
        h
    });
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
            det.score_into(&table.x, &mut scores)?;
            if let Some(h) = header {
                writeln!(out, "{h}")?;
            }
            write_rows(&mut out, None, &scores, det.threshold)?;
            Ok(())
        }
    })();
    written?;
    out.finish()
}

fn score_csv<R: Read>(
    input: R,
    source: &Path,
    spec: &CsvSpec,
    header: Option<&str>,
    det: &mut Detector,
    fill: Option<&[f32]>,
    out: &mut Output,
) -> Result<(), CliError> {
    let mut reader = CsvReader::new(input, source, spec)?;
    if let Some(h) = header {
        writeln!(out, "{h}")?;
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
            e => e.into(),
        })?;
        let ids = spec.id_col.as_ref().map(|_| ids.as_slice());
        write_rows(out, ids, &scores, det.threshold)?;
    }
    Ok(())
}

fn write_rows(
    out: &mut Output,
    ids: Option<&[String]>,
    scores: &[f32],
    threshold: Option<f32>,
) -> Result<(), CliError> {
    for (i, s) in scores.iter().enumerate() {
        if let Some(ids) = ids {
            write_id(out, &ids[i])?;
        }
        match threshold {
            Some(t) => writeln!(out, "{s},{}", u8::from(*s > t))?,
            None => writeln!(out, "{s}")?,
        }
    }
    Ok(())
}

/// An id as a CSV field: quoted when it holds a comma, quote or line break.
fn write_id(out: &mut Output, id: &str) -> std::io::Result<()> {
    if id.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\",", id.replace('"', "\"\""))
    } else {
        write!(out, "{id},")
    }
}

/// Standard output, or a file that appears only once complete.
enum Output {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    File(AtomicFile),
}

impl Output {
    fn open(path: &Path) -> Result<Self, CliError> {
        Ok(if path.as_os_str() == "-" {
            Output::Stdout(BufWriter::with_capacity(1 << 16, std::io::stdout().lock()))
        } else {
            Output::File(AtomicFile::create(path)?)
        })
    }

    fn finish(self) -> Result<(), CliError> {
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
