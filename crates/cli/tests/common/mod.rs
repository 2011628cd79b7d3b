//! What the binary's test files share: running it and where data lives.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aedetect"))
}

/// `../shared/datasets/<rel>` (or under `$AEDETECT_SHARED`).
pub fn shared_data(rel: &str) -> PathBuf {
    let shared = match std::env::var_os("AEDETECT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let p = shared.join("datasets").join(rel);
    assert!(p.exists(), "missing shared data {}", p.display());
    p
}

/// A fresh scratch folder per test.
pub fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aedetect-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

/// Runs `cmd`, which must succeed; its standard output.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
