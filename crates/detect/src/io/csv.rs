//! CSV tables: numeric feature columns, plus an optional label column
//! (0/1, true/false, normal/anomaly) and an optional id column that is carried
//! through to the output. Read whole ([`read_csv`]) or in bounded batches from
//! any reader ([`CsvReader::read_batch`], for streaming from standard input).
//!
//! Every problem is an error naming the source, the data row (1-based, header
//! not counted), the line and the column; no input makes the reader panic.

use super::Table;
use crate::error::{DetectError, Result};
use crate::series::{parse_timestamp, Timestamp, TIMESTAMP_FORMATS};
use aedetect_tensor::Tensor;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The longest line a CSV source may have: 8 MiB. Longer is an error, so a
/// stream's memory stays bounded whatever it holds (a record and its field
/// table grow with the line).
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// Passes bytes through, failing once a line runs past [`MAX_LINE_BYTES`],
/// and numbers lines the way a person counts them: `\r\n`, `\r` and `\n`
/// each end one line (the csv crate counts `\n` only).
struct LineLimit<R> {
    inner: R,
    /// Bytes since the last line break.
    run: usize,
    /// Bytes passed through so far.
    offset: u64,
    /// Where line breaks begin (the `\r` of a `\r\n`), for breaks not yet
    /// passed by a lookup (bounded by what the csv reader buffers ahead of the
    /// record it returns).
    breaks: std::collections::VecDeque<u64>,
    /// Breaks already passed by a lookup.
    passed: u64,
    /// The previous byte was `\r` (so a `\n` completes the same break).
    after_cr: bool,
}

impl<R> LineLimit<R> {
    fn new(inner: R) -> Self {
        LineLimit {
            inner,
            run: 0,
            offset: 0,
            breaks: std::collections::VecDeque::new(),
            passed: 0,
            after_cr: false,
        }
    }

    /// The 1-based line of the record the csv reader places at byte `at`;
    /// lookups must not go backwards. The reader may place a record at the
    /// break before it (after `\r` of a `\r\n`, or on a skipped empty line), so
    /// a break that begins at `at` counts as passed.
    fn line_at(&mut self, at: u64) -> u64 {
        while self.breaks.front().is_some_and(|&b| b <= at) {
            self.breaks.pop_front();
            self.passed += 1;
        }
        1 + self.passed
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            match b {
                // The \n of a \r\n: the same break.
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.breaks.push_back(self.offset + i as u64);
                    self.run = 0;
                    self.after_cr = b == b'\r';
                }
                _ if self.run == MAX_LINE_BYTES => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a line is longer than {MAX_LINE_BYTES} bytes"),
                    ));
                }
                _ => {
                    self.run += 1;
                    self.after_cr = false;
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A field as an error message shows it: at most 40 characters, escaped.
fn shown(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    if text.chars().count() <= 40 {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(40).collect();
        format!("{head:?}… ({} bytes)", field.len())
    }
}

/// Which columns mean what.
#[derive(Clone, Debug, Default)]
pub struct CsvSpec {
    /// The first line names the columns. Without a header, columns are
    /// named by their 0-based index ("0", "1", …).
    pub header: bool,
    /// Column holding anomaly labels, by name (or index without a header).
    pub label_col: Option<String>,
    /// Column holding row ids, copied to the output, never a feature.
    pub id_col: Option<String>,
    /// Column holding timestamps (a series): read by
    /// [`parse_timestamp`], never a feature; rows must be in strictly
    /// increasing time order (see [`CsvReader::times`]).
    pub time_col: Option<String>,
    /// Keep rows whose timestamp repeats or goes back in file order
    /// (counted by [`CsvReader::time_disorders`]) instead of reporting them
    /// as errors: NAB's own files have such rows, and NAB scores in file order.
    pub allow_time_disorder: bool,
    /// The feature columns a model was trained on, in order. `None`: every
    /// column except the label and id columns.
    pub features: Option<Vec<String>>,
    /// Keep empty, NaN and infinite cells as NaN (for imputation) instead of
    /// reporting them as errors.
    pub keep_missing: bool,
}

/// Where each wanted field sits in a record.
#[derive(Clone, Debug)]
struct Layout {
    fields: usize,
    features: Vec<usize>,
    names: Vec<String>,
    label: Option<usize>,
    id: Option<usize>,
    time: Option<usize>,
}

/// A CSV source read row by row into reusable buffers.
pub struct CsvReader<R: Read> {
    source: PathBuf,
    reader: csv::Reader<LineLimit<R>>,
    spec: CsvSpec,
    record: csv::ByteRecord,
    layout: Option<Layout>,
    /// The first record when it had to be read early (no header: it fixes the width).
    pending: bool,
    rows: usize,
    /// The time column's stamps of the last batch, and their text as written.
    times: Vec<Timestamp>,
    time_texts: Vec<String>,
    /// The last row's stamp and line, which the next row must follow.
    last_time: Option<(i64, u64)>,
    /// Rows kept whose stamp did not follow the one before, and the first's line.
    disorders: (usize, u64),
}

impl<R: Read> CsvReader<R> {
    /// Opens a CSV stream; `source` names it in errors (a path, or `<stdin>`).
    pub fn new(input: R, source: impl Into<PathBuf>, spec: &CsvSpec) -> Result<Self> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(None)
            .from_reader(LineLimit::new(input));
        let mut me = CsvReader {
            source: source.into(),
            reader,
            spec: spec.clone(),
            record: csv::ByteRecord::new(),
            layout: None,
            pending: false,
            rows: 0,
            times: Vec::new(),
            time_texts: Vec::new(),
            last_time: None,
            disorders: (0, 0),
        };
        if !me.next_record()? {
            return Err(me.error(0, "the file is empty".into()));
        }
        let names: Vec<String> = if spec.header {
            me.record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect()
        } else {
            me.pending = true;
            (0..me.record.len()).map(|i| i.to_string()).collect()
        };
        me.layout = Some(me.resolve(&names)?);
        Ok(me)
    }

    fn error(&self, line: u64, reason: String) -> DetectError {
        let reason = if line > 0 {
            format!("line {line}: {reason}")
        } else {
            reason
        };
        DetectError::Format {
            path: self.source.clone(),
            reason,
        }
    }

    fn next_record(&mut self) -> Result<bool> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| DetectError::Format {
                path: self.source.clone(),
                reason: format!("unreadable CSV after row {} ({e})", self.rows),
            })
    }

    fn resolve(&self, names: &[String]) -> Result<Layout> {
        // Columns are matched by name: two of one name would make a model
        // read the first twice, silently.
        if self.spec.header {
            for (j, n) in names.iter().enumerate() {
                if let Some(k) = names[..j].iter().position(|m| m == n) {
                    return Err(self.error(
                        0,
                        format!(
                            "column `{}` appears twice (columns {} and {}); column names must be unique",
                            n.escape_debug(),
                            k + 1,
                            j + 1
                        ),
                    ));
                }
            }
        }
        let find = |what: &str, col: &str| -> Result<usize> {
            if let Some(i) = names.iter().position(|n| n == col) {
                return Ok(i);
            }
            Err(self.error(
                0,
                format!(
                    "no {what} column `{}`; the columns are: {}",
                    col.escape_debug(),
                    names
                        .iter()
                        .map(|n| n.escape_debug().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        };
        let label = self
            .spec
            .label_col
            .as_deref()
            .map(|c| find("label", c))
            .transpose()?;
        let id = self
            .spec
            .id_col
            .as_deref()
            .map(|c| find("id", c))
            .transpose()?;
        let time = self
            .spec
            .time_col
            .as_deref()
            .map(|c| find("time", c))
            .transpose()?;
        if label.is_some() && label == id {
            return Err(self.error(0, "--label-col and --id-col name the same column".into()));
        }
        if time.is_some() && (time == label || time == id) {
            return Err(self.error(
                0,
                "--time-col names the same column as --label-col or --id-col".into(),
            ));
        }
        let features: Vec<usize> = match &self.spec.features {
            Some(wanted) if self.spec.header => wanted
                .iter()
                .map(|w| {
                    names.iter().position(|n| n == w).ok_or_else(|| {
                        self.error(
                            0,
                            format!("the model was trained on column `{w}`, which this file lacks"),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            _ => (0..names.len())
                .filter(|&i| Some(i) != label && Some(i) != id && Some(i) != time)
                .collect(),
        };
        if let Some(wanted) = &self.spec.features {
            if !self.spec.header && features.len() != wanted.len() {
                return Err(self.error(
                    0,
                    format!(
                        "{} feature columns, but the model expects {}",
                        features.len(),
                        wanted.len()
                    ),
                ));
            }
        }
        if features.is_empty() {
            return Err(self.error(0, "no feature columns".into()));
        }
        Ok(Layout {
            fields: names.len(),
            names: features.iter().map(|&i| names[i].clone()).collect(),
            features,
            label,
            id,
            time,
        })
    }

    /// The feature columns' names, in the order they fill a row.
    pub fn feature_names(&self) -> &[String] {
        &self.layout.as_ref().expect("layout resolved in new").names
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// The last batch's timestamps (empty without a time column), one per
    /// row, each later than the one before, across batches too.
    pub fn times(&self) -> &[Timestamp] {
        &self.times
    }

    /// How many rows so far had a timestamp not after the previous row's
    /// (kept, with [`CsvSpec::allow_time_disorder`]), and the first one's line.
    pub fn time_disorders(&self) -> (usize, u64) {
        self.disorders
    }

    /// The last batch's time column as written.
    pub fn time_texts(&self) -> &[String] {
        &self.time_texts
    }

    /// Reads up to `max_rows` rows, replacing the contents of `x` (rows ×
    /// features), `labels` (when a label column is set) and `ids` (when an id
    /// column is set). Returns the number of rows read; 0 at the end.
    pub fn read_batch(
        &mut self,
        max_rows: usize,
        x: &mut Tensor,
        labels: &mut Vec<bool>,
        ids: &mut Vec<String>,
    ) -> Result<usize> {
        let layout = self.layout.take().expect("layout resolved in new");
        let result = self.read_batch_with(&layout, max_rows, x, labels, ids);
        self.layout = Some(layout);
        result
    }

    fn read_batch_with(
        &mut self,
        layout: &Layout,
        max_rows: usize,
        x: &mut Tensor,
        labels: &mut Vec<bool>,
        ids: &mut Vec<String>,
    ) -> Result<usize> {
        let width = layout.features.len();
        let mut data = std::mem::take(x).into_vec();
        data.clear();
        labels.clear();
        ids.clear();
        self.times.clear();
        self.time_texts.clear();
        let mut n = 0;
        let result = (|| {
            while n < max_rows {
                if self.pending {
                    self.pending = false;
                } else if !self.next_record()? {
                    break;
                }
                self.rows += 1;
                let at = self.record.position().map_or(0, |p| p.byte());
                let line = self.reader.get_mut().line_at(at);
                let row = self.rows;
                if self.record.len() != layout.fields {
                    // A lone empty line at the end of a file is not a row.
                    if self.record.len() == 1 && self.record[0].is_empty() {
                        self.rows -= 1;
                        continue;
                    }
                    return Err(self.error(
                        line,
                        format!(
                            "row {row} has {} fields, expected {}",
                            self.record.len(),
                            layout.fields
                        ),
                    ));
                }
                for (k, &i) in layout.features.iter().enumerate() {
                    let v = self.number(&self.record[i], row, line, &layout.names[k])?;
                    data.push(v);
                }
                if let Some(i) = layout.label {
                    labels.push(self.label(&self.record[i], row, line)?);
                }
                if let Some(i) = layout.id {
                    ids.push(String::from_utf8_lossy(&self.record[i]).into_owned());
                }
                if let Some(i) = layout.time {
                    self.timestamp(i, row, line)?;
                }
                n += 1;
            }
            Ok(())
        })();
        // A row that failed half way leaves no partial values behind.
        data.truncate(n * width);
        self.times.truncate(n);
        self.time_texts.truncate(n);
        *x = Tensor::from_vec(&[n, width], data);
        result.map(|()| n)
    }

    fn number(&self, field: &[u8], row: usize, line: u64, col: &str) -> Result<f32> {
        let Ok(text) = std::str::from_utf8(field) else {
            // Not a missing value: imputing it would hide a broken file.
            return Err(self.error(
                line,
                format!(
                    "row {row}, column `{}`: {} is not UTF-8 text",
                    col.escape_debug(),
                    shown(field)
                ),
            ));
        };
        let missing = |what: &str| {
            self.error(
                line,
                format!(
                    "row {row}, column `{}`: {what} (use --impute mean to fill missing values)",
                    col.escape_debug()
                ),
            )
        };
        if text.is_empty() {
            return if self.spec.keep_missing {
                Ok(f32::NAN)
            } else {
                Err(missing("empty cell"))
            };
        }
        match text.parse::<f32>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(v) if self.spec.keep_missing => Ok(if v.is_nan() { v } else { f32::NAN }),
            Ok(v) => Err(missing(&format!("value {v} is not finite"))),
            Err(_) if row == 1 => Err(self.error(
                line,
                format!(
                    "column `{}` is not numeric (row 1 holds {}); name it with --id-col or --label-col, or remove it",
                    col.escape_debug(),
                    shown(field)
                ),
            )),
            Err(_) => Err(self.error(
                line,
                format!(
                    "row {row}, column `{}`: {} is not a number",
                    col.escape_debug(),
                    shown(field)
                ),
            )),
        }
    }

    /// Reads field `i` of the current record as the row's timestamp and
    /// checks that it comes after the previous row's.
    fn timestamp(&mut self, i: usize, row: usize, line: u64) -> Result<()> {
        let col = self.spec.time_col.as_deref().unwrap_or_default();
        let field = &self.record[i];
        let text = std::str::from_utf8(field).unwrap_or("");
        let Some(t) = parse_timestamp(text) else {
            return Err(self.error(
                line,
                format!(
                    "row {row}, column `{}`: {} is not a timestamp (expected {TIMESTAMP_FORMATS})",
                    col.escape_debug(),
                    shown(field)
                ),
            ));
        };
        if let Some((before, before_line)) = self.last_time {
            if t.micros <= before && self.spec.allow_time_disorder {
                if self.disorders.0 == 0 {
                    self.disorders.1 = line;
                }
                self.disorders.0 += 1;
            } else if t.micros <= before {
                let what = if t.micros == before {
                    "repeats the previous row's timestamp"
                } else {
                    "is earlier than the previous row's timestamp"
                };
                return Err(self.error(
                    line,
                    format!(
                        "row {row}, column `{}`: {} {what} (line {before_line}); a series needs its rows in time order, each timestamp once (or --allow-time-disorder to keep file order)",
                        col.escape_debug(),
                        shown(field)
                    ),
                ));
            }
        }
        self.last_time = Some((t.micros, line));
        self.times.push(t);
        self.time_texts.push(text.trim().to_string());
        Ok(())
    }

    fn label(&self, field: &[u8], row: usize, line: u64) -> Result<bool> {
        let text = std::str::from_utf8(field)
            .unwrap_or("")
            .to_ascii_lowercase();
        match text.as_str() {
            "true" | "yes" | "anomaly" | "outlier" => return Ok(true),
            "false" | "no" | "normal" | "inlier" => return Ok(false),
            _ => {}
        }
        match text.parse::<f64>() {
            Ok(0.0) => Ok(false),
            Ok(1.0) => Ok(true),
            _ => Err(self.error(
                line,
                format!(
                    "row {row}, label column: {} is not a label (expected 0/1, true/false or normal/anomaly)",
                    shown(field)
                ),
            )),
        }
    }
}

/// Reads a whole CSV file into a [`Table`].
pub fn read_csv(path: &Path, spec: &CsvSpec) -> Result<Table> {
    let file = std::fs::File::open(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_csv_from(std::io::BufReader::new(file), path, spec)
}

/// Reads a whole CSV stream into a [`Table`]; `source` names it in errors.
pub fn read_csv_from<R: Read>(input: R, source: &Path, spec: &CsvSpec) -> Result<Table> {
    let mut reader = CsvReader::new(input, source, spec)?;
    let mut x = Tensor::default();
    let mut labels = Vec::new();
    let mut ids = Vec::new();
    let n = reader.read_batch(usize::MAX, &mut x, &mut labels, &mut ids)?;
    if n == 0 {
        return Err(DetectError::Format {
            path: source.to_path_buf(),
            reason: "no data rows (only a header)".into(),
        });
    }
    Ok(Table {
        x,
        labels: spec.label_col.as_ref().map(|_| labels),
        ids: spec.id_col.as_ref().map(|_| ids),
        features: reader.feature_names().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, spec: &CsvSpec) -> Result<Table> {
        read_csv_from(text.as_bytes(), Path::new("t.csv"), spec)
    }

    fn header() -> CsvSpec {
        CsvSpec {
            header: true,
            ..CsvSpec::default()
        }
    }

    #[test]
    fn features_labels_and_ids() {
        let spec = CsvSpec {
            label_col: Some("y".into()),
            id_col: Some("id".into()),
            ..header()
        };
        let t = read("id,a,y,b\nr1,1.5,0,2\nr2, -3 ,anomaly,4e1\n\n", &spec).unwrap();
        assert_eq!(t.features, ["a", "b"]);
        assert_eq!(t.x.shape(), &[2, 2]);
        assert_eq!(t.x.data(), &[1.5, 2.0, -3.0, 40.0]);
        assert_eq!(t.labels.unwrap(), [false, true]);
        assert_eq!(t.ids.unwrap(), ["r1", "r2"]);
    }

    #[test]
    fn model_columns_selected_by_name_and_headerless_width_checked() {
        let spec = CsvSpec {
            features: Some(vec!["b".into(), "a".into()]),
            ..header()
        };
        let t = read("a,b,c\n1,2,3\n", &spec).unwrap();
        assert_eq!(t.x.data(), &[2.0, 1.0]);
        let e = read("a,c\n1,3\n", &spec).unwrap_err().to_string();
        assert!(e.contains("trained on column `b`"), "{e}");
        let spec = CsvSpec {
            features: Some(vec!["0".into(), "1".into()]),
            ..CsvSpec::default()
        };
        assert_eq!(read("1,2\n3,4\n", &spec).unwrap().x.rows(), 2);
        let e = read("1,2,3\n", &spec).unwrap_err().to_string();
        assert!(
            e.contains("3 feature columns, but the model expects 2"),
            "{e}"
        );
    }

    #[test]
    fn bad_input_names_row_line_and_column() {
        let cases = [
            ("", "empty"),
            ("a,b\n", "no data rows"),
            ("a,b\n1,2\n3\n", "line 3: row 2 has 1 fields, expected 2"),
            (
                "a,b\n1,2\n3,x\n",
                "row 2, column `b`: \"x\" is not a number",
            ),
            ("a,b\nfoo,2\n", "column `a` is not numeric"),
            ("a,b\n1,NaN\n", "row 1, column `b`: value NaN is not finite"),
            ("a,b\n1,inf\n", "not finite"),
            ("a,b\n1,\n", "row 1, column `b`: empty cell"),
        ];
        for (text, want) in cases {
            let e = read(text, &header()).unwrap_err().to_string();
            assert!(e.starts_with("t.csv"), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
        let spec = CsvSpec {
            label_col: Some("y".into()),
            ..header()
        };
        let e = read("a,y\n1,maybe\n", &spec).unwrap_err().to_string();
        assert!(e.contains("not a label"), "{e}");
        let e = read("a,b\n1,2\n", &spec).unwrap_err().to_string();
        assert!(
            e.contains("no label column `y`; the columns are: a, b"),
            "{e}"
        );
    }

    #[test]
    fn missing_values_kept_when_asked_and_batches_stream() {
        let spec = CsvSpec {
            keep_missing: true,
            ..header()
        };
        let t = read("a,b\n1,\n,inf\n", &spec).unwrap();
        assert!(t.x.data()[1].is_nan() && t.x.data()[2].is_nan() && t.x.data()[3].is_nan());
        let text = "a\n1\n2\n3\n4\n5\n";
        let mut r = CsvReader::new(text.as_bytes(), "s", &header()).unwrap();
        let (mut x, mut l, mut ids) = (Tensor::default(), Vec::new(), Vec::new());
        let mut seen = Vec::new();
        while r.read_batch(2, &mut x, &mut l, &mut ids).unwrap() > 0 {
            seen.push(x.data().to_vec());
        }
        assert_eq!(seen, [vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0]]);
    }
}
