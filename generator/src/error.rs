//! The one error type of this crate.

/// Why a generator could not be built or its output not written.
#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    /// A [`crate::GeneratorConfig`] field is outside what the generator can honour.
    #[error("invalid generator config: `{field}` {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The embedded Banking77 data could not be read (a build defect, never user input).
    #[error("embedded Banking77 data is malformed: {0}")]
    Corpus(String),
    /// Writing NDJSON to the output failed.
    #[error("writing generated NDJSON failed: {0}")]
    Write(#[from] std::io::Error),
}

impl GeneratorError {
    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        GeneratorError::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}
