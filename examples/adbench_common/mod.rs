//! What the ADBench examples share: their arguments and the data files.

use aedetect::detect::model::KnnConfig;
use aedetect::detect::AeKnnConfig;
use std::path::PathBuf;

/// The default's member until session 23 (what `AeKnnConfig::wide` was):
/// at least 5,000 steps with no cap, every training code kept. The columns
/// measured with it keep their numbers.
pub fn member_until_session_23() -> AeKnnConfig {
    AeKnnConfig {
        knn: KnnConfig::default(),
        min_steps: 5000,
        max_steps: 0,
        ..AeKnnConfig::wide()
    }
}

/// `[DIR ...] [--only NAME,NAME] [--seeds N]`: the `.npz` files of the
/// folders (default: the shared sets), in the order of their numbers; the
/// column names asked for (none: all); seeds 0 to N − 1 (default 3).
pub struct Args {
    pub files: Vec<PathBuf>,
    pub only: Vec<String>,
    pub seeds: Vec<u64>,
}

impl Args {
    /// Reads the program's arguments; a folder that cannot be listed stops
    /// the program with one line naming it.
    pub fn from_env(program: &str) -> Args {
        let mut dirs = Vec::new();
        let mut only: Vec<String> = Vec::new();
        let mut seed_count = 3u64;
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if a == "--only" {
                let list = args.next().unwrap_or_default();
                only.extend(list.split(',').map(str::to_string));
            } else if a == "--seeds" {
                seed_count = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
            } else {
                dirs.push(PathBuf::from(a));
            }
        }
        if dirs.is_empty() {
            dirs.push(PathBuf::from("../shared/datasets/adbench"));
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for dir in &dirs {
            match std::fs::read_dir(dir) {
                Ok(d) => files.extend(
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "npz")),
                ),
                Err(e) => {
                    eprintln!("{program}: {}: {e}", dir.display());
                    std::process::exit(1);
                }
            }
        }
        files.sort_by_key(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.split('_').next().and_then(|n| n.parse::<u32>().ok())
        });
        Args {
            files,
            only,
            seeds: (0..seed_count).collect(),
        }
    }

    /// Whether the column `name` was asked for.
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }
}
