//! Data files that lie or are careless (#16): an `.npz` is inflated only as
//! far as its arrays declare, members never needed are never read, labels
//! must be labels, and CSV columns are unique.

use aedetect_detect::io::{read_csv_from, read_npz, CsvSpec};
use std::io::Write;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aedetect-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A `.npy` header (version 1) for `shape` of `descr`.
fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b
}

fn f8(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Writes an `.npz` whose members are (name, header + body, extra zero bytes
/// appended after the body), deflated.
fn npz(path: &Path, members: &[(&str, Vec<u8>, usize)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes, extra) in members {
        zip.start_file(format!("{name}.npy"), opts).unwrap();
        zip.write_all(bytes).unwrap();
        let zeros = vec![0u8; 1 << 20];
        let mut left = *extra;
        while left > 0 {
            let n = left.min(zeros.len());
            zip.write_all(&zeros[..n]).unwrap();
            left -= n;
        }
    }
    zip.finish().unwrap();
}

fn x_member() -> Vec<u8> {
    let mut b = npy_header("<f8", "(4, 2)");
    b.extend(f8(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]));
    b
}

fn y_member(shape: &str, values: &[f64]) -> Vec<u8> {
    let mut b = npy_header("<f8", shape);
    b.extend(f8(values));
    b
}

#[test]
fn a_member_that_inflates_past_its_shape_is_refused() {
    let dir = scratch("bomb");
    let p = dir.join("bomb.npz");
    // X declares 4 × 2 values, then 256 MiB of zeros follow (a few hundred KB
    // deflated): reading stops one byte past the declared end.
    npz(&p, &[("X", x_member(), 256 << 20)]);
    let e = read_npz(&p, false).unwrap_err().to_string();
    assert!(e.contains("member X") && e.contains("bytes"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn members_never_needed_are_never_read() {
    let dir = scratch("unused");
    let p = dir.join("extra.npz");
    // A member that is not even an array, and a large one: both ignored.
    npz(
        &p,
        &[
            ("X", x_member(), 0),
            ("notes", b"not an array at all".to_vec(), 0),
            ("big", npy_header("<f8", "(1000000, 100)"), 64 << 20),
        ],
    );
    let t = read_npz(&p, false).unwrap();
    assert_eq!(t.x.shape(), &[4, 2]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_shape_beyond_the_memory_budget_is_refused_before_reading() {
    let dir = scratch("budget");
    let p = dir.join("huge.npz");
    npz(&p, &[("X", npy_header("<f8", "(100000, 100000)"), 0)]);
    let e = read_npz(&p, false).unwrap_err().to_string();
    assert!(e.contains("more than the limit"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn labels_must_be_zero_or_one_and_one_per_row() {
    let dir = scratch("labels");
    let p = dir.join("y.npz");
    for (shape, values, want) in [
        (
            "(4,)",
            vec![0.0, 1.0, f64::NAN, 0.0],
            "y row 3: NaN is not a label",
        ),
        (
            "(4,)",
            vec![0.0, 2.0, 1.0, 0.0],
            "y row 2: 2 is not a label",
        ),
        ("(2, 2)", vec![0.0, 1.0, 1.0, 0.0], "y has shape [2, 2]"),
        ("(3,)", vec![0.0, 1.0, 1.0], "y has 3 values for 4 rows"),
    ] {
        npz(
            &p,
            &[("X", x_member(), 0), ("y", y_member(shape, &values), 0)],
        );
        let e = read_npz(&p, false).unwrap_err().to_string();
        assert!(e.contains(want), "{e} (expected {want})");
    }
    npz(
        &p,
        &[
            ("X", x_member(), 0),
            ("y", y_member("(4, 1)", &[0.0, 1.0, 1.0, 0.0]), 0),
        ],
    );
    assert_eq!(
        read_npz(&p, false).unwrap().labels.unwrap(),
        [false, true, true, false]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_column_names_must_be_unique() {
    let spec = CsvSpec {
        header: true,
        ..CsvSpec::default()
    };
    let e = read_csv_from("a,a,b\n1,2,3\n".as_bytes(), Path::new("t.csv"), &spec)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("column `a` appears twice (columns 1 and 2)"),
        "{e}"
    );
    // Terminal escape codes in a name are shown escaped, never raw.
    let e = read_csv_from(
        "\u{1b}[31mx,\u{1b}[31mx\n1,2\n".as_bytes(),
        Path::new("t.csv"),
        &spec,
    )
    .unwrap_err()
    .to_string();
    assert!(!e.contains('\u{1b}') && e.contains("\\u{1b}"), "{e}");
}

#[test]
fn one_column_cannot_be_both_label_and_id() {
    let spec = CsvSpec {
        header: true,
        label_col: Some("k".into()),
        id_col: Some("k".into()),
        ..CsvSpec::default()
    };
    let e = read_csv_from("k,a\n1,2\n".as_bytes(), Path::new("t.csv"), &spec)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--label-col and --id-col name the same column"),
        "{e}"
    );
}

#[test]
fn a_line_past_the_limit_is_an_error_not_a_memory_spike() {
    use aedetect_detect::io::MAX_LINE_BYTES;
    let spec = CsvSpec {
        header: true,
        ..CsvSpec::default()
    };
    // A line of commas (the worst case for a CSV parser's field table) and
    // one long field, both just past the limit.
    for long in [
        ",".repeat(MAX_LINE_BYTES + 1),
        "7".repeat(MAX_LINE_BYTES + 1),
    ] {
        let text = format!("a,b\n1,2\n{long}\n3,4\n");
        let e = read_csv_from(text.as_bytes(), Path::new("t.csv"), &spec)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("after row 1") && e.contains("longer than"),
            "{e}"
        );
    }
    // A line exactly at the limit is fine (CRLF and CR breaks count as breaks).
    let at = format!("a\r\n0.{}1\r\n", "0".repeat(MAX_LINE_BYTES - 3));
    let t = read_csv_from(at.as_bytes(), Path::new("t.csv"), &spec).unwrap();
    assert_eq!(t.x.shape(), &[1, 1]);
}

#[test]
fn messages_show_fields_short_and_never_impute_broken_text() {
    let spec = CsvSpec {
        header: true,
        ..CsvSpec::default()
    };
    let long = format!("a\n{}x\n", "9".repeat(20 << 20));
    let e = read_csv_from(long.as_bytes(), Path::new("t.csv"), &spec)
        .unwrap_err()
        .to_string();
    assert!(
        e.len() < 300 && e.contains("bytes)"),
        "{} bytes: {}",
        e.len(),
        &e[..200.min(e.len())]
    );
    let imputing = CsvSpec {
        keep_missing: true,
        ..spec.clone()
    };
    let bad = b"a,b\n1,2\n3,\xff\xfe\n";
    let e = read_csv_from(&bad[..], Path::new("t.csv"), &imputing)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 2, column `b`") && e.contains("not UTF-8"),
        "{e}"
    );
    let labels = CsvSpec {
        label_col: Some("y".into()),
        ..spec
    };
    let e = read_csv_from("a,y\n1,2\n".as_bytes(), Path::new("t.csv"), &labels)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"2\" is not a label"), "{e}");
}

/// Errors name the line a person counts, whatever ends the lines: `\n`,
/// `\r\n` or a lone `\r`, with empty lines and quoted line breaks between.
#[test]
fn line_numbers_follow_every_line_ending() {
    let spec = CsvSpec {
        header: true,
        ..CsvSpec::default()
    };
    for (text, line) in [
        ("a,b\n1,2\n3,x\n", 3),
        ("a,b\r\n1,2\r\n3,x\r\n", 3),
        ("a,b\r1,2\r3,x\r", 3),
        ("a,b\n1,2\n\n\"q\nq\",3\n", 4),
        ("a,b\r\n1,2\r\n\r\n4,5\r\n\"q\r\nq\",3\r\n", 5),
        ("a,b\r\n\"1\r\n\",2\r\n3,x\r\n", 4),
    ] {
        let e = read_csv_from(text.as_bytes(), Path::new("t.csv"), &spec)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("line {line}:")), "{text:?}: {e}");
    }
}
