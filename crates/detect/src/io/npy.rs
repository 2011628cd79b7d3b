//! The NumPy `.npy` format (versions 1–3): a magic string, a header length, a
//! Python-literal header `{'descr': '<f8', 'fortran_order': False, 'shape': (n, d), }`,
//! then the raw array. Accepted dtypes: f8, f4, i8, i4, i2, i1, u8, u4, u2, u1
//! and booleans, either byte order; C or Fortran order. Values become f32.

use super::{check_finite_in, index_names, Table};
use crate::error::{DetectError, Result};
use aedetect_tensor::Tensor;
use std::path::Path;

/// A parsed array: its shape and values in row-major (C) order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// The most values one array may declare, unless `AEDETECT_MAX_VALUES`
/// says otherwise: 2³⁰ (4 GiB once read as f32). A header declaring more is
/// refused before anything is read or allocated.
pub const DEFAULT_MAX_VALUES: usize = 1 << 30;

/// The array-size budget: `AEDETECT_MAX_VALUES` if set to a number, else
/// [`DEFAULT_MAX_VALUES`].
pub fn max_values() -> usize {
    std::env::var("AEDETECT_MAX_VALUES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_VALUES)
}

/// The longest header accepted (NumPy writes under 100 bytes).
const MAX_HEADER: usize = 1 << 16;

/// What a `.npy` header declares.
pub(crate) struct Header {
    descr: String,
    fortran: bool,
    shape: Vec<usize>,
    count: usize,
    /// Where the values start.
    body: usize,
    /// Bytes per value.
    width: usize,
}

impl Header {
    /// The file's whole length as the header declares it.
    pub(crate) fn total_len(&self) -> usize {
        self.body + self.count * self.width
    }
}

/// Where the header text of a `.npy` starting with `prefix` lies: from
/// after the fixed prefix (10 bytes in version 1, 12 after) to the start of
/// the values; `prefix` needs only the fixed part.
pub(crate) fn header_span(prefix: &[u8]) -> std::result::Result<(usize, usize), String> {
    if prefix.len() < 10 || &prefix[..6] != MAGIC {
        return Err("not a .npy file (bad magic)".into());
    }
    let (len, start) = match prefix[6] {
        1 => (u16::from_le_bytes([prefix[8], prefix[9]]) as usize, 10),
        2 | 3 => {
            if prefix.len() < 12 {
                return Err("truncated .npy header".into());
            }
            let len = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
            (len as usize, 12)
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    if len > MAX_HEADER {
        return Err(format!("header of {len} bytes is longer than {MAX_HEADER}"));
    }
    Ok((start, start + len))
}

/// Parses the header at the start of `bytes` and checks the array it
/// declares against [`max_values`].
pub(crate) fn header(bytes: &[u8]) -> std::result::Result<Header, String> {
    let (start, body) = header_span(bytes)?;
    let text = bytes.get(start..body).ok_or("truncated .npy header")?;
    let text = std::str::from_utf8(text).map_err(|_| "header is not text")?;
    let descr = field(text, "descr").ok_or("header has no 'descr'")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"').to_string();
    let fortran = field(text, "fortran_order").ok_or("header has no 'fortran_order'")? == "True";
    let shape = parse_shape(text)?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("shape overflows")?;
    let limit = max_values();
    if count > limit {
        return Err(format!(
            "shape {shape:?} declares {count} values, more than the limit of {limit} (AEDETECT_MAX_VALUES raises it)"
        ));
    }
    let (_, _, width) = dtype(&descr)?;
    Ok(Header {
        descr,
        fortran,
        shape,
        count,
        body,
        width,
    })
}

/// Parses `.npy` bytes; the error says what is wrong.
pub fn parse(bytes: &[u8]) -> std::result::Result<NpyArray, String> {
    let h = header(bytes)?;
    let data = decode(&h.descr, &bytes[h.body..], h.count)?;
    if h.fortran && h.shape.len() > 2 {
        return Err("Fortran-order arrays above 2-D are not supported".into());
    }
    let data = if h.fortran && h.shape.len() == 2 {
        fortran_to_c(&data, h.shape[0], h.shape[1])
    } else {
        data
    };
    Ok(NpyArray {
        shape: h.shape,
        data,
    })
}

/// Reads a 2-D `.npy` file (rows × features) into a [`Table`]; non-finite
/// values are an error naming the row and column unless `keep_missing`.
pub fn read_matrix(path: &Path, keep_missing: bool) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let a = parse(&bytes).map_err(bad)?;
    let x = matrix(a).map_err(|r| bad(format!("the array {r}")))?;
    if !keep_missing {
        check_finite_in(path, &x)?;
    }
    Ok(Table {
        features: index_names(x.row_len()),
        x,
        labels: None,
        ids: None,
    })
}

/// A non-empty 2-D array as a tensor; the error completes "the array …".
pub(crate) fn matrix(a: NpyArray) -> std::result::Result<Tensor, String> {
    if a.shape.len() != 2 {
        return Err(format!(
            "has shape {:?}, expected 2-D (rows, features)",
            a.shape
        ));
    }
    if a.shape[0] == 0 || a.shape[1] == 0 {
        return Err(format!("is empty (shape {:?})", a.shape));
    }
    Ok(Tensor::from_vec(&a.shape, a.data))
}

/// The raw text of `'key': value` in the header dict.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

fn parse_shape(header: &str) -> std::result::Result<Vec<usize>, String> {
    let s = field(header, "shape").ok_or("header has no 'shape'")?;
    let inner = s.trim_start_matches('(').trim_end_matches(')');
    inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<usize>().map_err(|_| format!("bad shape {s}")))
        .collect()
}

/// (big-endian, kind letter, bytes per value) of a dtype string like `<f8`.
fn dtype(descr: &str) -> std::result::Result<(bool, &str, usize), String> {
    if !descr.is_ascii() {
        return Err(format!("unsupported dtype '{descr}'"));
    }
    let (order, kind) = descr.split_at(1.min(descr.len()));
    let big = match order {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return Err(format!("unsupported dtype '{descr}'")),
    };
    let width: usize = kind
        .get(1..)
        .and_then(|w| w.parse().ok())
        .ok_or(format!("unsupported dtype '{descr}'"))?;
    if ![1, 2, 4, 8].contains(&width) || kind.is_empty() {
        return Err(format!("unsupported dtype '{descr}'"));
    }
    Ok((big, kind, width))
}

fn decode(descr: &str, body: &[u8], count: usize) -> std::result::Result<Vec<f32>, String> {
    let (big, kind, width) = dtype(descr)?;
    let needed = count.checked_mul(width).ok_or("array too large")?;
    if body.len() < needed {
        return Err(format!(
            "truncated: {count} values of '{descr}' need {needed} bytes, the file has {}",
            body.len()
        ));
    }
    let mut out = Vec::with_capacity(count);
    for c in body[..needed].chunks_exact(width) {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(c);
        if big {
            b[..width].reverse();
        }
        let v = match (&kind[..1], width) {
            ("f", 8) => f64::from_le_bytes(b) as f32,
            ("f", 4) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            ("i", 8) => i64::from_le_bytes(b) as f32,
            ("i", 4) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            ("i", 2) => i16::from_le_bytes([b[0], b[1]]) as f32,
            ("i", 1) => b[0] as i8 as f32,
            ("u", 8) => u64::from_le_bytes(b) as f32,
            ("u", 4) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32,
            ("u", 2) => u16::from_le_bytes([b[0], b[1]]) as f32,
            ("u", 1) | ("b", 1) => b[0] as f32,
            _ => return Err(format!("unsupported dtype '{descr}'")),
        };
        out.push(v);
    }
    Ok(out)
}

/// Column-major rows×cols values to row-major.
fn fortran_to_c(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for j in 0..cols {
        for i in 0..rows {
            out[i * cols + j] = v[j * rows + i];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, body: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn dtypes_and_orders() {
        let body: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let c = parse(&npy("<f8", false, "(2, 3)", &body)).unwrap();
        assert_eq!(c.shape, vec![2, 3]);
        assert_eq!(c.data, vec![1., 2., 3., 4., 5., 6.]);
        let f = parse(&npy("<f8", true, "(2, 3)", &body)).unwrap();
        assert_eq!(f.data, vec![1., 3., 5., 2., 4., 6.]);
        let i16s: Vec<u8> = [-2i16, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(
            parse(&npy("<i2", false, "(2,)", &i16s)).unwrap().data,
            vec![-2., 7.]
        );
        assert_eq!(
            parse(&npy("|u1", false, "(3,)", &[0, 1, 255]))
                .unwrap()
                .data,
            vec![0., 1., 255.]
        );
        let be: Vec<u8> = 258i32.to_be_bytes().to_vec();
        assert_eq!(
            parse(&npy(">i4", false, "(1,)", &be)).unwrap().data,
            vec![258.]
        );
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(parse(b"hello").unwrap_err().contains("magic"));
        let e = parse(&npy("<f8", false, "(2, 3)", &[0u8; 40])).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        assert!(parse(&npy("<c16", false, "(1,)", &[0u8; 16]))
            .unwrap_err()
            .contains("dtype"));
        let good = npy("<f4", false, "(2,)", &[0u8; 8]);
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
    }
}
