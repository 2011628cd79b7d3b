//! Model files from an untrusted source: every size in the metadata is
//! compared with the tensors the file really holds before anything is
//! allocated, and every number that scoring trusts must be finite. Each case
//! below aborted the process, panicked or scored wrongly before (#16).

mod common;

use aedetect_detect::model_file::{from_bytes, to_bytes};
use aedetect_detect::{
    Conv1dAeConfig, DenseAeConfig, EnsembleConfig, IForestConfig, ModelConfig, VaeConfig,
};
use serde_json::Value;

fn file_of(model: ModelConfig) -> Vec<u8> {
    let mut det = common::seed_detector(200, 1, 1, model);
    det.threshold = Some(0.5);
    det.features = (0..20).map(|i| format!("s{i}")).collect();
    to_bytes(&det).unwrap()
}

/// The header (JSON) and the data of a safetensors file.
fn split(bytes: &[u8]) -> (Value, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    (header, bytes[8 + n..].to_vec())
}

fn join(header: &Value, data: &[u8]) -> Vec<u8> {
    let h = serde_json::to_vec(header).unwrap();
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(data);
    out
}

/// The file with metadata entry `key` set to `value`.
fn with_meta(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let (mut h, data) = split(bytes);
    h["__metadata__"][key] = Value::String(value.to_string());
    join(&h, &data)
}

/// The file with its model config edited by `edit` (on the JSON value).
fn with_config(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let (h, _) = split(bytes);
    let mut config: Value =
        serde_json::from_str(h["__metadata__"]["model"].as_str().unwrap()).unwrap();
    edit(&mut config);
    with_meta(bytes, "model", &config.to_string())
}

/// The file with value `index` of tensor `name` set to `v`.
fn with_value(bytes: &[u8], name: &str, index: usize, v: f32) -> Vec<u8> {
    let (h, mut data) = split(bytes);
    let start = h[name]["data_offsets"][0].as_u64().unwrap() as usize + 4 * index;
    data[start..start + 4].copy_from_slice(&v.to_le_bytes());
    join(&h, &data)
}

fn refused(bytes: &[u8], want: &str) {
    match from_bytes(bytes) {
        Ok(_) => panic!("accepted; expected an error containing `{want}`"),
        Err(e) => assert!(e.contains(want), "`{e}` does not say `{want}`"),
    }
}

#[test]
fn sizes_in_the_metadata_must_match_the_stored_tensors() {
    let dense = file_of(DenseAeConfig::seed_recipe().into());
    for hidden in [
        serde_json::json!([1_000_000_000u64, 2]),
        serde_json::json!([10_000_000_000_000_000_000u64, 2]),
        serde_json::json!([12, 7]),
    ] {
        let f = with_config(&dense, |c| c["hidden"] = hidden.clone());
        refused(&f, "the file holds");
    }
    let ensemble = file_of(
        EnsembleConfig {
            base: Box::new(DenseAeConfig::seed_recipe().into()),
            members: 2,
            views: Default::default(),
            combine: Default::default(),
        }
        .into(),
    );
    refused(
        &with_config(&ensemble, |c| c["members"] = serde_json::json!(1u64 << 40)),
        "the file holds",
    );
    let conv = file_of(Conv1dAeConfig::sized_to(20).into());
    refused(
        &with_config(&conv, |c| c["kernel"] = serde_json::json!(1_000_000_001u64)),
        "the file holds",
    );
    refused(
        &with_config(&conv, |c| {
            c["channels"] = serde_json::json!([1u64 << 40, 2])
        }),
        "the file holds",
    );
    let vae = file_of(VaeConfig::sized_to(20).into());
    refused(
        &with_config(&vae, |c| c["latent"] = serde_json::json!(1u64 << 50)),
        "the file holds",
    );
    let forest = file_of(
        IForestConfig {
            trees: 4,
            max_samples: 32,
            seed: 0,
        }
        .into(),
    );
    refused(
        &with_config(&forest, |c| c["trees"] = serde_json::json!(16384)),
        "the file holds",
    );
    refused(
        &with_config(&forest, |c| c["max_samples"] = serde_json::json!(65536)),
        "the file holds",
    );
}

#[test]
fn numbers_scoring_trusts_must_be_finite() {
    let good = file_of(DenseAeConfig::seed_recipe().into());
    assert!(from_bytes(&good).is_ok());
    for t in ["NaN", "inf", "-inf", "1e39"] {
        refused(&with_meta(&good, "threshold", t), "not a finite");
    }
    refused(
        &with_value(&good, "scaler.factor", 3, f32::NAN),
        "scaler factor of column 3",
    );
    refused(
        &with_value(&good, "scaler.offset", 0, f32::INFINITY),
        "scaler offset of column 0",
    );
    refused(
        &with_value(&good, "model.002.weight", 5, f32::NAN),
        "model.002.weight",
    );
}

/// The maps of normal scores must be what fitting makes: knots in order,
/// ranks inside (0, 1) in order, positive slopes.
#[test]
fn normal_score_maps_must_be_in_order() {
    let good = every_kind()[6].clone();
    assert!(from_bytes(&good).is_ok());
    let (h, _) = split(&good);
    let named = |suffix: &str| -> Vec<String> {
        let mut names: Vec<String> = h
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.ends_with(suffix))
            .cloned()
            .collect();
        names.sort();
        names
    };
    // One map of rows (member 2's), then one of scores per member.
    let knots = named("normal_scores.knots");
    assert_eq!(knots.len(), 3, "{knots:?}");
    for name in &knots {
        refused(&with_value(&good, name, 3, 1e30), "knots of column 0");
    }
    for name in named("normal_scores.ranks") {
        refused(&with_value(&good, &name, 0, 1.5), "ranks must be in order");
        refused(&with_value(&good, &name, 7, 0.0), "ranks must be in order");
    }
    for name in named("normal_scores.slopes") {
        refused(
            &with_value(&good, &name, 0, -1.0),
            "slopes must be positive",
        );
    }
}

#[test]
fn feature_names_must_be_unique() {
    let good = file_of(DenseAeConfig::seed_recipe().into());
    let mut names: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
    names[7] = "s3".into();
    let f = with_meta(&good, "features", &serde_json::to_string(&names).unwrap());
    refused(&f, "`s3` appears more than once");
}

/// Paths to every number in a JSON value (object keys and array indices).
fn number_paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Number(_) => out.push(at.clone()),
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                number_paths(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(i.to_string());
                number_paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn set_at(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for p in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(p).unwrap(),
            Value::Array(a) => &mut a[p.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    *cur = new;
}

/// One valid file of every model kind.
fn every_kind() -> &'static [Vec<u8>] {
    static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        vec![
            file_of(DenseAeConfig::seed_recipe().into()),
            file_of(Conv1dAeConfig::sized_to(20).into()),
            file_of(VaeConfig::sized_to(20).into()),
            file_of(aedetect_detect::PcaConfig::default().into()),
            file_of(
                IForestConfig {
                    trees: 3,
                    max_samples: 16,
                    seed: 0,
                }
                .into(),
            ),
            file_of(
                EnsembleConfig {
                    base: Box::new(DenseAeConfig::seed_recipe().into()),
                    members: 2,
                    views: Default::default(),
                    combine: Default::default(),
                }
                .into(),
            ),
            // The tabular default's shape: maps of normal scores for a
            // member's rows and for every member's scores.
            file_of(
                EnsembleConfig {
                    base: Box::new(DenseAeConfig::seed_recipe().into()),
                    members: 2,
                    views: aedetect_detect::MemberViews::AlternateNormalScores,
                    combine: aedetect_detect::Combine::NormalScores,
                }
                .into(),
            ),
        ]
    })
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any number of any kind's stored config set to any value — huge ones
    /// included — gives an error or a model, never an abort or a panic; so
    /// does any `inputs`.
    #[test]
    fn any_number_in_a_stored_config_is_safe(
        kind in 0usize..7,
        pick in any::<prop::sample::Index>(),
        value in prop_oneof![
            any::<u64>(),
            0u64..64,
            (1u64 << 20)..(1u64 << 40),
            Just(u64::MAX),
        ],
        inputs in prop::option::of(prop_oneof![any::<u64>(), 0u64..64]),
    ) {
        let good = &every_kind()[kind];
        let (h, _) = split(good);
        let mut config: Value =
            serde_json::from_str(h["__metadata__"]["model"].as_str().unwrap()).unwrap();
        let mut paths = Vec::new();
        number_paths(&config, &mut Vec::new(), &mut paths);
        let path = pick.get(&paths).clone();
        set_at(&mut config, &path, Value::from(value));
        let mut f = with_meta(good, "model", &config.to_string());
        if let Some(n) = inputs {
            f = with_meta(&f, "inputs", &n.to_string());
        }
        let _ = from_bytes(&f);
    }
}
