//! Everything that crosses the file system: data readers (CSV, NumPy
//! `.npy`, `.npz` as ADBench writes them), model files, and atomic output.
//! Every problem is an error naming the file and what is wrong, with the row
//! and column where there is one; no input makes a reader panic, and nothing
//! a user had is overwritten by a half-written file.
//!
//! * `table.rs` — [`Table`], [`read_table`] (picks the reader by extension);
//! * `csv.rs` — [`CsvReader`] (whole or streamed in batches), [`CsvSpec`];
//! * `npy.rs`, `npz.rs` — NumPy arrays and archives;
//! * `image_folder.rs` — a folder of PNG/JPEG images as rows of pixels,
//!   labels from sub-folder names; `idx.rs` — MNIST's IDX files;
//! * `png.rs` — pictures out ([`Rgb8`], [`write_png`]);
//! * [`model_file`] — a detector as one `.safetensors` file;
//! * `atomic.rs` — [`AtomicFile`], [`write_atomic`].

mod atomic;
mod csv;
mod idx;
mod image_folder;
pub mod model_file;
mod nab_labels;
mod npy;
mod npz;
mod png;
mod table;

pub use atomic::{check_destination, remove_unfinished, write_atomic, AtomicFile};
pub use csv::{read_csv, read_csv_from, CsvReader, CsvSpec, MAX_LINE_BYTES};
pub use idx::{is_idx_name, read_idx_images, read_idx_labels, IdxImages};
pub use image_folder::{
    is_image_name, list_images, read_image, read_image_folder, ImageSet, ImageSpec, MAX_SIDE,
    NORMAL_FOLDERS,
};
pub use nab_labels::read_nab_windows;
pub use npy::{
    max_values, parse as parse_npy, read_matrix as read_npy, NpyArray, DEFAULT_MAX_VALUES,
};
pub use npz::{read_dataset, read_members as read_npz_members, read_table as read_npz};
pub use png::{write_png, Rgb8};
pub(crate) use table::check_finite_in;
pub use table::{index_names, read_table, FileKind, Table};
