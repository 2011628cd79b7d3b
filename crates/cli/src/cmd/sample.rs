//! `aedetect sample`: what a VAE trained on images has learned "normal" to
//! look like — a grid of images decoded from z ~ N(0, I). The same seed
//! draws the same grid.

use crate::args::SampleArgs;
use crate::cmd::{check_output, Dash};
use crate::error::CliError;
use crate::input;
use aedetect_detect::eval::image_grid;
use aedetect_detect::io::write_png;
use aedetect_detect::model_file;

pub fn run(args: &SampleArgs) -> Result<(), CliError> {
    check_output(&args.out, "--out", Dash::Refused, &[&args.model])?;
    let mut det = model_file::load(&args.model)?;
    let shape = input::model_image_shape(&det, &args.model)?;
    let n = args.n as usize;
    let images = det
        .sample(n, args.seed)
        .map_err(|e| CliError::failed(format!("{}: {e}", args.model.display())))?;
    let columns = args.columns.map_or_else(
        || n.isqrt() + usize::from(n.isqrt().pow(2) < n),
        |c| c as usize,
    );
    write_png(&args.out, &image_grid(&[&images], shape, columns))?;
    eprintln!(
        "aedetect: {n} images drawn from the prior (seed {}) written to {}",
        args.seed,
        args.out.display()
    );
    Ok(())
}
