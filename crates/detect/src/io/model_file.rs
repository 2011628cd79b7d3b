//! Saved models: one `.safetensors` file (readable by the `safetensors`
//! Python package and by PyTorch) holding every weight as an f32 tensor, the
//! scaler as two tensors, and in its metadata the format version, the model
//! config (JSON), the scaler kind, the threshold and training facts.
//!
//! Tensor names: `model.NNN.<weight|bias>` in the model's parameter order
//! (NNN counts parameters from 000), `scaler.offset`, `scaler.factor`.
//! Files are written atomically; loading checks everything and reports what
//! is wrong, never panics.

use super::write_atomic;
use crate::detector::Detector;
use crate::error::{DetectError, Result};
use crate::model::ModelConfig;
use crate::preprocess::{Scaler, ScalerKind};
use crate::series::SeriesSpec;
use crate::train::TrainReport;
use aedetect_tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::Path;

pub const FORMAT: &str = "aedetect-model";
pub const FORMAT_VERSION: u32 = 1;
/// Metadata keys holding [`Detector::info`] entries.
pub const INFO_PREFIX: &str = "info.";

fn kind_name(k: ScalerKind) -> &'static str {
    match k {
        ScalerKind::Standard => "standard",
        ScalerKind::MinMax => "min_max",
        ScalerKind::Identity => "identity",
    }
}

fn kind_from(s: &str) -> Option<ScalerKind> {
    Some(match s {
        "standard" => ScalerKind::Standard,
        "min_max" => ScalerKind::MinMax,
        "identity" => ScalerKind::Identity,
        _ => return None,
    })
}

/// The file's bytes for `det`.
pub fn to_bytes(det: &Detector) -> Result<Vec<u8>> {
    let mut names = Vec::new();
    let mut tensors: Vec<(Vec<usize>, Vec<u8>)> = Vec::new();
    let mut i = 0;
    det.model.visit_params(&mut |p| {
        names.push(format!("model.{i:03}.{}", p.name));
        tensors.push((p.value.shape().to_vec(), p.value.as_bytes().to_vec()));
        i += 1;
    });
    for (name, v) in [
        ("scaler.offset", &det.scaler.offset),
        ("scaler.factor", &det.scaler.factor),
    ] {
        names.push(name.to_string());
        tensors.push((vec![v.len()], le_bytes(v)));
    }
    let views = names
        .iter()
        .zip(&tensors)
        .map(|(n, (shape, bytes))| {
            TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (n.clone(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| DetectError::Config(format!("cannot serialise the model: {e}")))?;
    let config = det.model.config();
    let mut meta = HashMap::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("format_version".into(), FORMAT_VERSION.to_string());
    meta.insert(
        "model".into(),
        serde_json::to_string(&config).expect("config serialises"),
    );
    meta.insert("inputs".into(), det.model.inputs().to_string());
    meta.insert("scaler".into(), kind_name(det.scaler.kind).into());
    meta.insert("score".into(), det.model.score_kind().into());
    meta.insert(
        "threshold".into(),
        det.threshold.map_or("none".into(), |t| format!("{t:e}")),
    );
    meta.insert("best_epoch".into(), det.report.best_epoch.to_string());
    if let Some(l) = det.report.train_losses.last() {
        meta.insert("final_train_loss".into(), format!("{l:e}"));
    }
    meta.insert("description".into(), det.model.describe());
    if !det.features.is_empty() {
        meta.insert(
            "features".into(),
            serde_json::to_string(&det.features).expect("strings serialise"),
        );
    }
    if let Some(series) = &det.series {
        meta.insert(
            "series".into(),
            serde_json::to_string(series).expect("series spec serialises"),
        );
    }
    for (k, v) in &det.info {
        meta.insert(format!("{INFO_PREFIX}{k}"), v.clone());
    }
    let bytes = safetensors::serialize(views, Some(meta))
        .map_err(|e| DetectError::Config(format!("cannot serialise the model: {e}")))?;
    Ok(sorted_header(bytes))
}

/// The same file with its JSON header's keys in sorted order (serde_json's
/// maps are ordered), so that the same detector always gives the same bytes
/// — `safetensors` takes the metadata as a `HashMap`, whose order varies from
/// run to run. The header is padded with spaces to a multiple of 8 bytes, as
/// safetensors writes it, so the data stays aligned.
fn sorted_header(bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8-byte length")) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + n]).expect("safetensors wrote JSON");
    let mut text = serde_json::to_vec(&header).expect("JSON serialises");
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

/// f32 values as little-endian bytes, safetensors' byte order.
fn le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Saves `det` to `path` atomically (an existing file is replaced only once
/// the new one is completely written).
pub fn save(det: &Detector, path: &Path) -> Result<()> {
    write_atomic(path, &to_bytes(det)?)
}

/// Loads a detector saved by [`save`].
pub fn load(path: &Path) -> Result<Detector> {
    let bytes = std::fs::read(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes).map_err(|reason| DetectError::ModelFile {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parses a model file's bytes; the error says what is wrong.
pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Detector, String> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| format!("unreadable safetensors header ({e})"))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("corrupt or truncated ({e})"))?;
    let meta = header
        .metadata()
        .as_ref()
        .ok_or("no metadata: not written by aedetect")?;
    let get = |k: &str| {
        meta.get(k)
            .map(String::as_str)
            .ok_or(format!("metadata has no `{k}`"))
    };
    if get("format")? != FORMAT {
        return Err(format!(
            "format is `{}`, expected `{FORMAT}`",
            get("format")?
        ));
    }
    let version: u32 = get("format_version")?
        .parse()
        .map_err(|_| "bad format_version".to_string())?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}; this build reads version {FORMAT_VERSION}"
        ));
    }
    let config: ModelConfig =
        serde_json::from_str(get("model")?).map_err(|e| format!("bad model config ({e})"))?;
    let inputs: usize = get("inputs")?
        .parse()
        .map_err(|_| "bad `inputs`".to_string())?;
    let kind = kind_from(get("scaler")?).ok_or("unknown scaler kind")?;
    let threshold = match get("threshold")? {
        "none" => None,
        t => match t.parse::<f32>() {
            Ok(v) if v.is_finite() => Some(v),
            Ok(v) => return Err(format!("threshold {t} is not a finite f32 ({v})")),
            Err(_) => return Err(format!("bad threshold `{t}`")),
        },
    };
    let read = |name: &str| -> std::result::Result<Tensor, String> {
        let v = st
            .tensor(name)
            .map_err(|_| format!("missing tensor `{name}`"))?;
        if v.dtype() != Dtype::F32 {
            return Err(format!("tensor `{name}` is {:?}, expected F32", v.dtype()));
        }
        let data: Vec<f32> = v
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(Tensor::from_vec(v.shape(), data))
    };
    let offset = read("scaler.offset")?.into_vec();
    let factor = read("scaler.factor")?.into_vec();
    if offset.len() != inputs || factor.len() != inputs {
        return Err(format!(
            "scaler has {} / {} columns, model has {inputs} inputs",
            offset.len(),
            factor.len()
        ));
    }
    if let Some(j) = offset.iter().chain(&factor).position(|v| !v.is_finite()) {
        let (which, col) = if j < inputs {
            ("offset", j)
        } else {
            ("factor", j - inputs)
        };
        return Err(format!("scaler {which} of column {col} is not finite"));
    }
    // Every size in the config must agree with the values the file holds
    // (safetensors has checked those against its bytes) before anything the
    // config asks for is allocated.
    let stored: usize = st
        .tensors()
        .iter()
        .filter(|(name, _)| name.starts_with("model."))
        .map(|(_, v)| v.shape().iter().product::<usize>())
        .sum();
    match config.parameter_count(inputs) {
        Some(n) if n == stored => {}
        n => {
            return Err(format!(
                "the model config describes {} parameter values, the file holds {stored}",
                n.map_or("more than 2⁶⁴".to_string(), |n| n.to_string())
            ))
        }
    }
    let mut model = config
        .build(inputs)
        .map_err(|e| format!("bad model config ({e})"))?;
    let mut i = 0;
    let mut err = None;
    model.visit_params_mut(&mut |p| {
        if err.is_some() {
            return;
        }
        let name = format!("model.{i:03}.{}", p.name);
        i += 1;
        match read(&name) {
            Ok(t) if t.shape() == p.value.shape() => p.value.assign(&t),
            Ok(t) => {
                err = Some(format!(
                    "tensor `{name}` has shape {:?}, the architecture needs {:?}",
                    t.shape(),
                    p.value.shape()
                ))
            }
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mut at = 0;
    model.visit_params(&mut |p| {
        if err.is_none() && p.value.data().iter().any(|v| !v.is_finite()) {
            err = Some(format!(
                "tensor `model.{at:03}.{}` holds a value that is not finite",
                p.name
            ));
        }
        at += 1;
    });
    if let Some(e) = err {
        return Err(e);
    }
    model.check()?;
    let expected = i + 2;
    if st.len() != expected {
        return Err(format!(
            "{} tensors in the file, the architecture has {expected}",
            st.len()
        ));
    }
    let report = TrainReport {
        best_epoch: meta
            .get("best_epoch")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        ..TrainReport::default()
    };
    let mut det = Detector::from_parts(
        Scaler {
            kind,
            offset,
            factor,
        },
        model,
        threshold,
        report,
    );
    if let Some(s) = meta.get("series") {
        let spec: SeriesSpec =
            serde_json::from_str(s).map_err(|e| format!("bad `series` ({e})"))?;
        spec.check(inputs)
            .map_err(|e| format!("bad `series`: {e}"))?;
        det.series = Some(spec);
    }
    if let Some(f) = meta.get("features") {
        det.features = serde_json::from_str(f).map_err(|e| format!("bad `features` ({e})"))?;
        if det.features.len() != inputs {
            return Err(format!(
                "{} feature names for {inputs} inputs",
                det.features.len()
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = det.features.iter().find(|f| !seen.insert(f.as_str())) {
            return Err(format!(
                "feature name `{}` appears more than once",
                dup.escape_debug()
            ));
        }
    }
    det.info = meta
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(INFO_PREFIX)?.to_string(), v.clone())))
        .collect();
    Ok(det)
}
