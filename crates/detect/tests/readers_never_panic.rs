//! Property tests: no input makes a reader panic. The CSV reader, the `.npy`
//! parser, the `.npz` reader and the model-file loader get arbitrary bytes
//! and damaged copies of valid files; each must return Ok or an error.

use aedetect_detect::io::parse_npy;
use aedetect_detect::io::read_npz;
use aedetect_detect::io::{read_csv_from, CsvSpec};
use aedetect_detect::model_file::{from_bytes, to_bytes};
use aedetect_detect::series::read_series_from;
use aedetect_detect::DenseAeConfig;
use proptest::prelude::*;

mod common;
use std::path::Path;
use std::sync::OnceLock;

/// Bytes drawn mostly from CSV's own alphabet, so the reader gets deep.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"0123456789,,,\n\n\r\"-+.eEnaNifINF xy\t\xff\xc3".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 0..200)
}

fn spec(header: bool, label: bool, id: bool, features: Option<usize>) -> CsvSpec {
    CsvSpec {
        header,
        label_col: label.then(|| if header { "y".into() } else { "1".into() }),
        id_col: id.then(|| "0".into()),
        features: features.map(|n| (0..n).map(|i| i.to_string()).collect()),
        keep_missing: false,
        ..CsvSpec::default()
    }
}

/// Lines that look like a series: timestamps (some broken), values.
fn series_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = (
        prop::sample::select(vec![
            "2014-07-01 00:00:00",
            "2014-07-01 00:05:00",
            "2014-07-01T00:10:00Z",
            "2014-07-01 00:10:00.5",
            "2014-13-01 00:00:00",
            "2014-07-01",
            "",
            "\u{ff}",
        ]),
        "[0-9.,eE-]{0,6}",
    )
        .prop_map(|(t, v)| format!("{t},{v}\n"));
    prop::collection::vec(line, 0..12)
        .prop_map(|lines| format!("timestamp,value\n{}", lines.concat()).into_bytes())
}

fn valid_model() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut det = common::seed_detector(200, 1, 2, DenseAeConfig::seed_recipe());
        det.threshold = Some(0.5);
        det.features = (0..20).map(|i| format!("s{i}")).collect();
        to_bytes(&det).unwrap()
    })
}

fn valid_npy() -> Vec<u8> {
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    for v in [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

/// Applies (position, new byte) edits and an optional truncation.
fn damage(good: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut b = good.to_vec();
    for &(pos, byte) in edits {
        let n = b.len();
        b[pos % n] = byte;
    }
    if let Some(c) = cut {
        b.truncate(c % (good.len() + 1));
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_reader_never_panics(
        bytes in csv_bytes(),
        header: bool,
        label: bool,
        id: bool,
        features in prop::option::of(0usize..4),
    ) {
        let _ = read_csv_from(&bytes[..], Path::new("fuzz.csv"), &spec(header, label, id, features));
    }

    #[test]
    fn series_reader_never_panics(bytes in series_bytes(), disorder: bool) {
        let spec = CsvSpec {
            header: true,
            time_col: Some("timestamp".into()),
            allow_time_disorder: disorder,
            ..CsvSpec::default()
        };
        let _ = read_series_from(&bytes[..], Path::new("fuzz.csv"), &spec);
    }

    #[test]
    fn npy_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_npy(&bytes);
        let mut prefixed = b"\x93NUMPY\x01\x00".to_vec();
        prefixed.extend_from_slice(&bytes);
        let _ = parse_npy(&prefixed);
    }

    #[test]
    fn npy_parser_survives_damaged_files(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<usize>()),
        header in "[ -~]{0,80}",
    ) {
        let _ = parse_npy(&damage(&valid_npy(), &edits, cut));
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&[0u8; 32]);
        let _ = parse_npy(&b);
    }

    #[test]
    fn model_loader_never_panics(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<usize>()),
    ) {
        let _ = from_bytes(&damage(valid_model(), &edits, cut));
    }
}

proptest! {
    // Each case writes a file: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn npz_reader_never_panics(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in prop::option::of(any::<usize>()),
    ) {
        static GOOD: OnceLock<Vec<u8>> = OnceLock::new();
        let good = GOOD.get_or_init(|| {
            let wbc = common::shared_dir().join("datasets/adbench/42_WBC.npz");
            std::fs::read(wbc).expect("shared WBC file")
        });
        let path = std::env::temp_dir().join(format!("aedetect-fuzz-{}.npz", std::process::id()));
        std::fs::write(&path, damage(good, &edits, cut)).unwrap();
        let _ = read_npz(&path, false);
        let _ = std::fs::remove_file(&path);
    }
}
