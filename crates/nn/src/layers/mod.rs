//! Layers, one per file, each with its forward and backward side by side.

mod activation;
mod conv1d;
mod conv2d;
mod conv_transpose2d;
mod dropout;
mod linear;
mod lstm;
mod reshape;
mod sequential;
mod steps;
mod time_distributed;

pub use activation::{LeakyRelu, Relu, Sigmoid, Tanh};
pub use conv1d::Conv1d;
pub use conv2d::Conv2d;
pub use conv_transpose2d::ConvTranspose2d;
pub use dropout::Dropout;
pub use linear::Linear;
pub use lstm::Lstm;
pub use reshape::Reshape;
pub use sequential::Sequential;
pub use steps::{LastStep, RepeatSteps};
pub use time_distributed::TimeDistributed;
