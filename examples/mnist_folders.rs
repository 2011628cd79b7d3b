//! Writes MNIST digits as folders of PNG images, laid out the way `aedetect`
//! reads labelled images (MVTec AD's layout):
//!
//! ```text
//! digits/train/        600 images of the normal digit (default 0)
//! digits/test/good/    200 other images of it
//! digits/test/<d>/     20 images of each other digit d: the anomalies
//! ```
//!
//! Run: `cargo run --release --example mnist_folders [-- OUT_DIR [DIGIT]]`
//! (reads `../shared/datasets/mnist`).

mod common;

use std::path::{Path, PathBuf};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "digits".into()));
    let normal: u8 = args.next().and_then(|d| d.parse().ok()).unwrap_or(0);
    let (images, labels) = common::mnist_t10k(Path::new("../shared/datasets/mnist"));
    let (h, w) = (images.shape.height as u32, images.shape.width as u32);
    let mut written = [0usize; 10];
    for (i, &label) in labels.iter().enumerate() {
        let k = written[label as usize];
        let folder = match (label == normal, k) {
            (true, 0..600) => "train".to_string(),
            (true, 600..800) => "test/good".to_string(),
            (false, 0..20) => format!("test/{label}"),
            _ => continue,
        };
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).expect("create the output folder");
        let pixels: Vec<u8> = images
            .x
            .row(i)
            .iter()
            .map(|v| (v * 255.0).round() as u8)
            .collect();
        image::GrayImage::from_raw(w, h, pixels)
            .expect("28×28 pixels")
            .save(dir.join(format!("{i:05}.png")))
            .expect("write the PNG");
        written[label as usize] += 1;
    }
    println!(
        "wrote {} training and {} test images of digit {normal} and {} of the other digits under {}",
        written[normal as usize].min(600),
        written[normal as usize].saturating_sub(600),
        written.iter().enumerate().filter(|&(d, _)| d != normal as usize).map(|(_, n)| n).sum::<usize>(),
        out.display()
    );
}
