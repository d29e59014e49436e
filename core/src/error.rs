//! Errors of the core crate and the classification every crate's errors map onto.

use std::fmt;

/// What the run loop should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient (broker down, disk briefly full): try again with backoff.
    Retry,
    /// The input is bad, the pipeline is fine: dead-letter the record and go on.
    DeadLetter,
    /// Configuration or invariant broken: stop and report.
    Stop,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Retry => "retry",
            ErrorClass::DeadLetter => "dead-letter",
            ErrorClass::Stop => "stop",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("cannot read config {path}: {source}")]
    ConfigRead { path: String, source: std::io::Error },
    #[error("{0}")]
    Config(#[from] crate::spec::ConfigErrors),
}

impl CoreError {
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Stop
    }
}
