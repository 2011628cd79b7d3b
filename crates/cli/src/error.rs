//! What the tool reports when it stops: a message and an exit status, never
//! a panic or a backtrace.

use aedetect_detect::DetectError;

#[derive(Debug)]
pub struct CliError {
    pub message: String,
    /// 1: the data, model or file system; 2: the command line; 0: nothing
    /// went wrong but there is nothing more to do (the output pipe closed).
    pub code: i32,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }

    pub fn quiet() -> Self {
        CliError {
            message: String::new(),
            code: 0,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }
}

impl From<DetectError> for CliError {
    fn from(e: DetectError) -> Self {
        CliError::failed(e.to_string())
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
