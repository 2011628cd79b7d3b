//! Images through the `aedetect` binary: a folder of PNGs (MNIST digits
//! from the shared IDX file) trained on, scored with heat maps, evaluated by
//! sub-folder labels; and every bad image input as one line and exit 1.

use aedetect_detect::io::read_idx_images;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{bin, ok, run, scratch, shared_data};

fn mnist() -> PathBuf {
    shared_data("mnist")
}

/// Runs `cmd`, which must fail with `code`, and returns its one-line message.
fn refused(cmd: &mut Command, code: i32) -> String {
    let out = run(cmd);
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(code), "{cmd:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn write_gray(path: &Path, pixels: &[f32], h: u32, w: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let bytes: Vec<u8> = pixels.iter().map(|v| (v * 255.0).round() as u8).collect();
    image::GrayImage::from_raw(w, h, bytes)
        .unwrap()
        .save(path)
        .unwrap();
}

/// train/ (150 zeros), test/good (40 zeros), test/other (40 other digits).
fn digit_folders(dir: &Path) {
    let images = read_idx_images(&mnist().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let labels =
        aedetect_detect::io::read_idx_labels(&mnist().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let zeros: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] == 0)
        .take(190)
        .collect();
    let others: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] != 0)
        .take(40)
        .collect();
    for (k, &i) in zeros.iter().enumerate() {
        let sub = if k < 150 {
            "train".to_string()
        } else {
            "test/good".to_string()
        };
        write_gray(
            &dir.join(sub).join(format!("{i:05}.png")),
            images.x.row(i),
            28,
            28,
        );
    }
    for &i in &others {
        write_gray(
            &dir.join(format!("test/digit{}/{i:05}.png", labels[i])),
            images.x.row(i),
            28,
            28,
        );
    }
}

#[test]
fn a_folder_of_pngs_to_scores_heat_maps_and_an_evaluation() {
    let dir = scratch("flow");
    digit_folders(&dir);
    let model = dir.join("conv.safetensors");
    let out = ok(bin()
        .args([
            "train",
            "--model",
            "conv2d",
            "--epochs",
            "3",
            "--normal-only",
            "--data",
        ])
        .arg(dir.join("train"))
        .arg("--out")
        .arg(&model));
    assert!(out.contains("on 120 images of 1×28×28"), "{out}");
    let info = ok(bin().arg("inspect").arg(&model));
    assert!(
        info.contains("image              1×28×28") && info.contains("score        bce"),
        "{info}"
    );

    let scores = dir.join("scores.csv");
    let heat = dir.join("heat");
    ok(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(dir.join("test"))
        .arg("--out")
        .arg(&scores)
        .arg("--heatmaps")
        .arg(&heat));
    let text = std::fs::read_to_string(&scores).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "path,score,flag");
    assert_eq!(lines.len(), 1 + 80);
    assert!(lines[1].starts_with("digit"), "{}", lines[1]);
    let flagged: Vec<&str> = lines[1..]
        .iter()
        .filter(|l| l.ends_with(",1"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(!flagged.is_empty(), "some of 40 other digits are flagged");
    for path in &flagged {
        let png = heat.join(Path::new(path).with_extension("png"));
        let pic = image::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert_eq!(pic.width(), 3 * 252 + 4, "three panels of 28 × 9 pixels");
    }
    // The same images from the IDX file: one line per image.
    let idx = ok(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(mnist().join("t10k-images-idx3-ubyte.gz")));
    assert_eq!(idx.lines().count(), 1 + 10_000);

    let eval = ok(bin()
        .args([
            "eval", "--model", "conv2d", "--epochs", "2", "--seeds", "0", "--data",
        ])
        .arg(dir.join("test")));
    assert!(eval.contains("ROC-AUC"), "{eval}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_image_inputs_are_one_line_and_exit_1() {
    let dir = scratch("bad");
    let good = dir.join("good");
    for i in 0..12 {
        let px: Vec<f32> = (0..64)
            .map(|p| ((p * (i + 1)) % 17) as f32 / 16.0)
            .collect();
        write_gray(&good.join(format!("{i}.png")), &px, 8, 8);
    }
    let model = dir.join("m.safetensors");
    ok(bin()
        .args([
            "train",
            "--model",
            "conv2d",
            "--hidden",
            "4,3",
            "--epochs",
            "1",
            "--normal-only",
            "--data",
        ])
        .arg(&good)
        .arg("--out")
        .arg(&model));
    let score = |data: &Path| {
        let mut c = bin();
        c.args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(data);
        c
    };

    let corrupt = dir.join("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::copy(good.join("0.png"), corrupt.join("a.png")).unwrap();
    let bytes = std::fs::read(good.join("1.png")).unwrap();
    std::fs::write(corrupt.join("b.png"), &bytes[..bytes.len() / 2]).unwrap();
    let e = refused(&mut score(&corrupt), 1);
    assert!(e.contains("b.png") && e.contains("cannot decode"), "{e}");

    let text = dir.join("text");
    std::fs::create_dir_all(&text).unwrap();
    std::fs::write(text.join("notes.md"), "hello").unwrap();
    let e = refused(&mut score(&text), 1);
    assert!(
        e.contains("notes.md") && e.contains("not a PNG or JPEG"),
        "{e}"
    );

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = refused(&mut score(&empty), 1);
    assert!(e.contains("no PNG or JPEG images"), "{e}");

    let rgb = dir.join("rgb");
    std::fs::create_dir_all(&rgb).unwrap();
    image::RgbImage::from_pixel(8, 8, image::Rgb([200, 10, 10]))
        .save(rgb.join("red.png"))
        .unwrap();
    let e = refused(&mut score(&rgb), 1);
    assert!(e.contains("red.png") && e.contains("RGB"), "{e}");

    // Another size is resized, and said once.
    let big = dir.join("big");
    write_gray(&big.join("x.png"), &vec![0.5; 16 * 12], 16, 12);
    write_gray(&big.join("y.png"), &vec![0.5; 16 * 12], 16, 12);
    let out = run(&mut score(&big));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success()
            && err.contains("2 of 2 images had another size and were resized to 8×8"),
        "{err}"
    );

    // A table model is not an image model, and images are not tables.
    let csv = dir.join("rows.csv");
    std::fs::write(
        &csv,
        "a,b\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n",
    )
    .unwrap();
    let table_model = dir.join("t.safetensors");
    ok(bin()
        .args(["train", "--model", "pca", "--normal-only", "--data"])
        .arg(&csv)
        .arg("--out")
        .arg(&table_model));
    let e = refused(
        bin()
            .args(["score", "--model"])
            .arg(&table_model)
            .arg("--data")
            .arg(&good),
        1,
    );
    assert!(e.contains("not on images"), "{e}");
    let e = refused(
        bin()
            .args(["train", "--model", "conv2d", "--data"])
            .arg(&csv)
            .arg("--out")
            .arg(dir.join("x.safetensors")),
        2,
    );
    assert!(e.contains("conv2d model reads images"), "{e}");
    let e = refused(score(&csv).arg("--heatmaps").arg(dir.join("h")), 2);
    assert!(e.contains("--heatmaps"), "{e}");
    let e = refused(score(&good).arg("--heatmaps").arg(&good), 2);
    assert!(e.contains("input folder"), "{e}");
    assert!(!model.with_extension("tmp").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A VAE trained on a folder of digits draws: `sample` writes a grid that
/// the seed fixes, `interpolate` a strip between two images; models that
/// cannot draw and bad arguments are refused in one line.
#[test]
fn a_vae_samples_and_interpolates() {
    let dir = scratch("vae");
    digit_folders(&dir);
    let model = dir.join("vae.safetensors");
    let out = ok(bin()
        .args([
            "train", "--model", "vae", "--hidden", "32,4", "--epochs", "2",
        ])
        .args(["--normal-only", "--data"])
        .arg(dir.join("train"))
        .arg("--out")
        .arg(&model));
    assert!(
        out.contains("Conv2d(1 → 32") && out.contains("[μ, log σ²] 4"),
        "{out}"
    );

    let sample = |seed: &str, name: &str| {
        let png = dir.join(name);
        ok(bin()
            .args(["sample", "--n", "9", "--seed", seed, "--model"])
            .arg(&model)
            .arg("--out")
            .arg(&png));
        let pic = image::open(&png).unwrap().to_rgb8();
        // 3 × 3 cells of 28 × 2 pixels and a 1-pixel gap.
        assert_eq!((pic.width(), pic.height()), (3 * 57 + 1, 3 * 57 + 1));
        pic.into_raw()
    };
    let a = sample("5", "a.png");
    assert_eq!(a, sample("5", "b.png"), "the same seed draws the same grid");
    assert_ne!(a, sample("6", "c.png"));

    let good = dir.join("test/good");
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(&good)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pngs.sort();
    let strip = dir.join("path.png");
    ok(bin()
        .args(["interpolate", "--steps", "4", "--model"])
        .arg(&model)
        .arg("--from")
        .arg(&pngs[0])
        .arg("--to")
        .arg(&pngs[1])
        .arg("--out")
        .arg(&strip));
    let pic = image::open(&strip).unwrap();
    assert_eq!((pic.width(), pic.height()), (6 * 57 + 1, 57 + 1));

    // A model without a latent space, a model of rows, a missing image,
    // the model as the output, no images at all.
    let conv = dir.join("conv.safetensors");
    ok(bin()
        .args([
            "train",
            "--model",
            "conv2d",
            "--epochs",
            "1",
            "--normal-only",
            "--data",
        ])
        .arg(dir.join("train"))
        .arg("--out")
        .arg(&conv));
    let err = refused(
        bin()
            .args(["sample", "--model"])
            .arg(&conv)
            .arg("--out")
            .arg(dir.join("x.png")),
        1,
    );
    assert!(
        err.contains("conv.safetensors") && err.contains("VAE"),
        "{err}"
    );
    let csv = dir.join("rows.csv");
    let rows: String = (0..40).map(|i| format!("{},{}\n", i % 7, i % 5)).collect();
    std::fs::write(&csv, format!("a,b\n{rows}")).unwrap();
    let table = dir.join("table.safetensors");
    ok(bin()
        .args([
            "train",
            "--model",
            "vae",
            "--epochs",
            "1",
            "--normal-only",
            "--data",
        ])
        .arg(&csv)
        .arg("--out")
        .arg(&table));
    let err = refused(
        bin()
            .args(["sample", "--model"])
            .arg(&table)
            .arg("--out")
            .arg(dir.join("x.png")),
        1,
    );
    assert!(err.contains("not on images"), "{err}");
    let err = refused(
        bin()
            .args(["interpolate", "--model"])
            .arg(&model)
            .arg("--from")
            .arg(dir.join("missing.png"))
            .arg("--to")
            .arg(&pngs[1])
            .arg("--out")
            .arg(dir.join("x.png")),
        1,
    );
    assert!(err.contains("missing.png"), "{err}");
    let err = refused(
        bin()
            .args(["sample", "--model"])
            .arg(&model)
            .arg("--out")
            .arg(&model),
        2,
    );
    assert!(err.contains("destroy"), "{err}");
    let zero = run(bin()
        .args(["sample", "--n", "0", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(dir.join("x.png")));
    assert_eq!(zero.status.code(), Some(2), "clap refuses --n 0");
    assert!(!dir.join("x.png").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An IDX image file is labelled by its IDX label file and the normal
/// classes: one-class MNIST from one command; mismatched or misplaced
/// labels are refused.
#[test]
fn idx_images_take_class_labels() {
    let images = mnist().join("t10k-images-idx3-ubyte.gz");
    let labels = mnist().join("t10k-labels-idx1-ubyte.gz");
    let out = ok(bin()
        .args([
            "eval",
            "--model",
            "pca",
            "--seeds",
            "0",
            "--normal-label",
            "1",
            "--data",
        ])
        .arg(&images)
        .arg("--labels")
        .arg(&labels));
    assert!(
        out.contains("10000 rows, 784 features, 8865 anomalies"),
        "{out}"
    );
    assert!(out.contains("ROC-AUC"), "{out}");

    let err = refused(bin().args(["eval", "--data"]).arg(&images), 2);
    assert!(
        err.contains("--labels") && err.contains("--normal-label"),
        "{err}"
    );
    let dir = scratch("idx-labels");
    let short = dir.join("three-labels.idx");
    let mut bytes = vec![0, 0, 8, 1, 0, 0, 0, 3];
    bytes.extend([0, 1, 2]);
    std::fs::write(&short, bytes).unwrap();
    let err = refused(
        bin()
            .args(["eval", "--normal-label", "0", "--data"])
            .arg(&images)
            .arg("--labels")
            .arg(&short),
        1,
    );
    assert!(
        err.contains("three-labels.idx: 3 labels for the 10000 images"),
        "{err}"
    );
    let err = refused(
        bin()
            .args(["eval", "--normal-label", "0,1,2,3,4,5,6,7,8,9", "--data"])
            .arg(&images)
            .arg("--labels")
            .arg(&labels),
        1,
    );
    assert!(err.contains("both kinds are needed"), "{err}");
    let csv = dir.join("rows.csv");
    std::fs::write(&csv, "a,b\n1,2\n3,4\n").unwrap();
    let err = refused(
        bin()
            .args(["eval", "--normal-label", "0", "--data"])
            .arg(&csv)
            .arg("--labels")
            .arg(&labels),
        2,
    );
    assert!(err.contains("--label-col"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
