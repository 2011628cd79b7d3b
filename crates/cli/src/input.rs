//! Reading the user's data into a table: a file of rows (CSV, .npy, .npz)
//! with the column options applied, or images (a folder of PNG/JPEG, an IDX
//! file) as rows of pixels with their shape.

use crate::args::DataArgs;
use crate::error::CliError;
use aedetect_detect::io::{
    index_names, is_idx_name, read_idx_images, read_idx_labels, read_image_folder, read_table,
    CsvSpec, ImageSpec, Table,
};
use aedetect_detect::{Detector, ImageShape};
use std::path::Path;

/// The data as a table, and the shape of its rows when they are images.
pub struct Input {
    pub table: Table,
    pub image: Option<ImageShape>,
}

/// The CSV column roles from the command line.
pub fn spec(args: &DataArgs) -> CsvSpec {
    CsvSpec {
        header: !args.no_header,
        label_col: args.label_col.clone(),
        id_col: args.id_col.clone(),
        features: None,
        keep_missing: args.impute.is_some(),
        time_col: args.time_col.clone(),
        allow_time_disorder: args.allow_time_disorder,
    }
}

/// Whether `path` holds images: a folder, or an IDX file.
pub fn is_images(path: &Path) -> bool {
    path.is_dir() || is_idx_name(path)
}

/// Reads the whole input. Labels come from `--label-col` (CSV), `y` (.npz)
/// or sub-folder names (a folder of images).
pub fn read(args: &DataArgs) -> Result<Input, CliError> {
    if args.data.as_os_str() == "-" {
        return Err(CliError::usage(
            "training and evaluation read a file, not standard input (pass --data FILE)",
        ));
    }
    if !args.data.exists() {
        return Err(CliError::failed(format!(
            "{}: no such file or folder",
            args.data.display()
        )));
    }
    if is_images(&args.data) {
        if args.label_col.is_some() || args.id_col.is_some() || args.no_header {
            return Err(CliError::usage(
                "--label-col, --id-col and --no-header apply to CSV files; images are labelled by sub-folder (good/ is normal)",
            ));
        }
        let (mut table, image) = read_images(&args.data, None, args.size)?;
        match (&args.labels, &args.normal_label) {
            (Some(path), Some(normal)) => {
                table.labels = Some(class_labels(&args.data, path, normal, table.x.rows())?)
            }
            (Some(_), None) => {
                return Err(CliError::usage(
                    "--labels for IDX images needs --normal-label: the classes that are normal, e.g. --normal-label 0",
                ))
            }
            _ => {}
        }
        return Ok(Input {
            table,
            image: Some(image),
        });
    }
    if args.size.is_some() {
        return Err(CliError::usage(
            "--size applies to images (a folder of PNG/JPEG files)",
        ));
    }
    if args.labels.is_some() {
        return Err(CliError::usage(
            "--labels and --normal-label label an IDX image file (or, with --time-col, a series' anomaly windows); a CSV takes --label-col, an .npz its y",
        ));
    }
    Ok(Input {
        table: read_table(&args.data, &spec(args))?,
        image: None,
    })
}

/// Anomaly labels of the `n` images of the IDX file `images` from the IDX
/// label file `path`: an image is an anomaly when its class is not in
/// `normal`.
fn class_labels(
    images: &Path,
    path: &Path,
    normal: &[u8],
    n: usize,
) -> Result<Vec<bool>, CliError> {
    if !is_idx_name(images) {
        return Err(CliError::usage(
            "--labels labels an IDX image file; a folder of images is labelled by its sub-folders (good/ is normal)",
        ));
    }
    let classes = read_idx_labels(path)?;
    if classes.len() != n {
        return Err(CliError::failed(format!(
            "{}: {} labels for the {n} images of {}",
            path.display(),
            classes.len(),
            images.display()
        )));
    }
    let labels: Vec<bool> = classes.iter().map(|c| !normal.contains(c)).collect();
    let anomalies = labels.iter().filter(|&&a| a).count();
    if anomalies == 0 || anomalies == n {
        return Err(CliError::failed(format!(
            "{}: with normal classes {normal:?}, {} of the {n} images are normal; both kinds are needed",
            path.display(),
            n - anomalies
        )));
    }
    Ok(labels)
}

/// Reads images from a folder or an IDX file as a table whose ids are the
/// images' paths below the folder (or their index in the IDX file). `want`
/// is a model's image shape: its channels are required and its size is what
/// images of another size are resized to; `size` (--size) does the same
/// without a model. Says once on standard error how many were resized.
pub fn read_images(
    path: &Path,
    want: Option<ImageShape>,
    size: Option<(usize, usize)>,
) -> Result<(Table, ImageShape), CliError> {
    let size = want.map(|s| (s.height, s.width)).or(size);
    let (table, shape, resized) = if path.is_dir() {
        let spec = ImageSpec {
            size,
            channels: want.map(|s| s.channels),
            ..ImageSpec::default()
        };
        let set = read_image_folder(path, &spec)?;
        let d = set.x.row_len();
        let table = Table {
            x: set.x,
            labels: set.labels,
            ids: Some(set.names),
            features: index_names(d),
        };
        (table, set.shape, set.resized)
    } else {
        let idx = read_idx_images(path)?;
        if let Some(w) = want.filter(|w| *w != idx.shape) {
            return Err(CliError::failed(format!(
                "{}: its images are {}, the model's are {w}",
                path.display(),
                idx.shape
            )));
        }
        if size.is_some_and(|s| s != (idx.shape.height, idx.shape.width)) {
            return Err(CliError::usage(
                "--size resizes folders of images; an IDX file is read at its own size",
            ));
        }
        let (n, d) = (idx.x.rows(), idx.x.row_len());
        let table = Table {
            x: idx.x,
            labels: None,
            ids: Some((0..n).map(|i| i.to_string()).collect()),
            features: index_names(d),
        };
        (table, idx.shape, 0)
    };
    if resized > 0 {
        eprintln!(
            "aedetect: {resized} of {} images had another size and were resized to {}×{}",
            table.x.rows(),
            shape.height,
            shape.width
        );
    }
    Ok((table, shape))
}

/// The shape of the images a model was trained on (kept in its file by
/// `aedetect train`); an error naming the model file if it was trained on rows.
pub fn model_image_shape(det: &Detector, model: &Path) -> Result<ImageShape, CliError> {
    det.info
        .get("image")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            CliError::failed(format!(
                "{}: this model was trained on rows of {} features, not on images",
                model.display(),
                det.scaler.features()
            ))
        })
}
