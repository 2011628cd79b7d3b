//! Folders of images: what is read (layout, channels, sizes, labels) and
//! what is refused (every refusal names the file).

use aedetect_detect::io::{read_image, read_image_folder, write_png, ImageSpec, Rgb8};
use aedetect_detect::ImageShape;
use std::path::Path;

mod common;

fn fresh(name: &str) -> common::Scratch {
    common::Scratch::new(&format!("images-{name}"))
}

/// A w×h picture whose pixel (x, y) has the colour `f(x, y)`.
fn picture(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Rgb8 {
    let mut p = Rgb8::filled(w, h, [0; 3]);
    for y in 0..h {
        for x in 0..w {
            p.put(x, y, f(x, y));
        }
    }
    p
}

fn gray_png(path: &Path, w: usize, h: usize, v: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut bytes = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut bytes);
    let px: Vec<u8> = (0..w * h).map(|i| v.wrapping_add(i as u8)).collect();
    image::ImageEncoder::write_image(enc, &px, w as u32, h as u32, image::ExtendedColorType::L8)
        .unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn grayscale_folder_with_labels_from_sub_folders() {
    let dir = fresh("gray");
    gray_png(&dir.join("good/b.png"), 4, 3, 10);
    gray_png(&dir.join("good/a.png"), 4, 3, 20);
    gray_png(&dir.join("scratch/c.png"), 8, 6, 30);
    let set = read_image_folder(&dir, &ImageSpec::default()).unwrap();
    assert_eq!(set.shape, ImageShape::new(1, 3, 4));
    assert_eq!(set.names, ["good/a.png", "good/b.png", "scratch/c.png"]);
    assert_eq!(set.labels, Some(vec![false, false, true]));
    assert_eq!(set.resized, 1);
    assert_eq!(set.x.shape(), &[3, 12]);
    // Row-major pixels scaled to [0, 1].
    assert_eq!(set.x.row(0)[..2], [20.0 / 255.0, 21.0 / 255.0]);
    assert!(set.x.data().iter().all(|v| (0.0..=1.0).contains(v)));

    // --size resizes everything; no labels when an image is loose in the folder.
    gray_png(&dir.join("loose.png"), 4, 3, 0);
    let spec = ImageSpec {
        size: Some((5, 7)),
        ..ImageSpec::default()
    };
    let set = read_image_folder(&dir, &spec).unwrap();
    assert_eq!(
        (set.shape, set.resized, set.labels),
        (ImageShape::new(1, 5, 7), 4, None)
    );
}

#[test]
fn rgb_images_are_three_planes_and_jpeg_reads() {
    let dir = fresh("rgb");
    let p = picture(3, 2, |x, y| [(x * 80) as u8, (y * 200) as u8, 255]);
    write_png(&dir.join("a.png"), &p).unwrap();
    let set = read_image_folder(&dir, &ImageSpec::default()).unwrap();
    assert_eq!(set.shape, ImageShape::new(3, 2, 3));
    let row = set.x.row(0);
    // Channel-major: red plane, green plane, blue plane.
    assert_eq!(row[..3], [0.0, 80.0 / 255.0, 160.0 / 255.0]);
    assert_eq!(row[6 + 3], 200.0 / 255.0);
    assert!(row[12..].iter().all(|&v| v == 1.0));

    let mut jpeg = Vec::new();
    let smooth = picture(16, 16, |x, y| [(x * 16) as u8, (y * 16) as u8, 128]);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode(&smooth.data, 16, 16, image::ExtendedColorType::Rgb8)
        .unwrap();
    std::fs::write(dir.join("b.JPG"), jpeg).unwrap();
    let set = read_image_folder(
        &dir,
        &ImageSpec {
            size: Some((2, 3)),
            ..ImageSpec::default()
        },
    )
    .unwrap();
    assert_eq!((set.x.rows(), set.resized), (2, 1));
    let (row, resized) = read_image(&dir.join("b.JPG"), ImageShape::new(3, 16, 16)).unwrap();
    assert!(!resized);
    assert!(
        (row[16 * 16 * 2] - 128.0 / 255.0).abs() < 0.03,
        "{}",
        row[512]
    );
}

#[test]
fn bad_folders_and_files_are_one_error_naming_the_file() {
    let refusal =
        |dir: &Path, spec: ImageSpec| read_image_folder(dir, &spec).unwrap_err().to_string();

    let empty = fresh("empty");
    std::fs::write(empty.join(".DS_Store"), b"x").unwrap();
    let e = refusal(&empty, ImageSpec::default());
    assert!(
        e.contains("no PNG or JPEG images") && e.contains("empty"),
        "{e}"
    );

    let other = fresh("other");
    gray_png(&other.join("a.png"), 4, 4, 0);
    std::fs::write(other.join("notes.txt"), b"hello").unwrap();
    let e = refusal(&other, ImageSpec::default());
    assert!(
        e.contains("notes.txt") && e.contains("not a PNG or JPEG"),
        "{e}"
    );

    let fake = fresh("fake");
    gray_png(&fake.join("a.png"), 4, 4, 0);
    std::fs::write(fake.join("b.png"), b"this is not an image at all").unwrap();
    let e = refusal(&fake, ImageSpec::default());
    assert!(e.contains("b.png") && e.contains("cannot decode"), "{e}");

    let cut = fresh("truncated");
    gray_png(&cut.join("a.png"), 8, 8, 0);
    let whole = std::fs::read(cut.join("a.png")).unwrap();
    std::fs::write(cut.join("b.png"), &whole[..whole.len() - 20]).unwrap();
    let e = refusal(&cut, ImageSpec::default());
    assert!(e.contains("b.png") && e.contains("cannot decode"), "{e}");

    let mixed = fresh("mixed");
    gray_png(&mixed.join("a.png"), 2, 2, 0);
    write_png(&mixed.join("b.png"), &picture(2, 2, |_, _| [255, 0, 0])).unwrap();
    let e = refusal(&mixed, ImageSpec::default());
    assert!(
        e.contains("b.png") && e.contains("RGB") && e.contains("grayscale"),
        "{e}"
    );
    // A grayscale model given RGB images.
    let rgb_only = fresh("rgb-only");
    write_png(&rgb_only.join("b.png"), &picture(2, 2, |_, _| [255, 0, 0])).unwrap();
    let spec = ImageSpec {
        channels: Some(1),
        ..ImageSpec::default()
    };
    assert!(refusal(&rgb_only, spec).contains("RGB"));
    // A set too large to hold says what to do.
    let spec = ImageSpec {
        max_values: 5,
        ..ImageSpec::default()
    };
    assert!(refusal(&mixed, spec).contains("--size"));
}
