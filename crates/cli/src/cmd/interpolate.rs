//! `aedetect interpolate`: the straight line between two images' latent
//! means μ, decoded by a VAE trained on images, drawn as one strip framed
//! by the two images themselves.

use crate::args::InterpolateArgs;
use crate::cmd::{check_output, Dash};
use crate::error::CliError;
use crate::input;
use aedetect_detect::eval::image_grid;
use aedetect_detect::io::{read_image, write_png};
use aedetect_detect::model_file;
use aedetect_tensor::Tensor;

pub fn run(args: &InterpolateArgs) -> Result<(), CliError> {
    check_output(
        &args.out,
        "--out",
        Dash::Refused,
        &[&args.model, &args.from, &args.to],
    )?;
    let mut det = model_file::load(&args.model)?;
    let shape = input::model_image_shape(&det, &args.model)?;
    let (from, from_resized) = read_image(&args.from, shape)?;
    let (to, to_resized) = read_image(&args.to, shape)?;
    if from_resized || to_resized {
        eprintln!(
            "aedetect: resized to the model's {}×{}",
            shape.height, shape.width
        );
    }
    let steps = args.steps as usize;
    let path = det
        .interpolate(&from, &to, steps)
        .map_err(|e| CliError::failed(format!("{}: {e}", args.model.display())))?;
    let d = from.len();
    let mut strip = Vec::with_capacity((steps + 2) * d);
    strip.extend_from_slice(&from);
    strip.extend_from_slice(path.data());
    strip.extend_from_slice(&to);
    let strip = Tensor::from_vec(&[steps + 2, d], strip);
    write_png(&args.out, &image_grid(&[&strip], shape, steps + 2))?;
    eprintln!(
        "aedetect: {steps} images from {} to {} written to {} (framed by the two images)",
        args.from.display(),
        args.to.display(),
        args.out.display()
    );
    Ok(())
}
