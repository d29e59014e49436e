//! Errors of the transforms crate (invalid input is not an error here: it is an
//! [`convolens_core::InvalidReason`] and becomes a dead letter).

#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("redaction pattern `{name}` does not compile: {source}")]
    BadPattern { name: String, source: regex::Error },
}

impl TransformError {
    pub fn class(&self) -> convolens_core::ErrorClass {
        convolens_core::ErrorClass::Stop
    }
}
