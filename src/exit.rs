//! Exit codes of INTERFACE.md: 1 for the user's errors (bad input, config or SQL), 2 for
//! the environment's (broker unreachable past its retry budget, disk).

use convolens_core::ErrorClass;
use convolens_ingest::IngestError;
use convolens_sinks::SinkError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitKind {
    UserError = 1,
    EnvironmentError = 2,
}

/// An error the command has already classified.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Classified {
    pub kind: ExitKind,
    pub message: String,
}

pub fn environment(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        kind: ExitKind::EnvironmentError,
        message: message.into(),
    })
}

pub fn classify(error: &anyhow::Error) -> ExitKind {
    for cause in error.chain() {
        if let Some(classified) = cause.downcast_ref::<Classified>() {
            return classified.kind;
        }
        if let Some(sink) = cause.downcast_ref::<SinkError>() {
            return match sink.class() {
                ErrorClass::Retry => ExitKind::EnvironmentError,
                _ => ExitKind::UserError,
            };
        }
        if let Some(IngestError::Read { .. }) = cause.downcast_ref::<IngestError>() {
            return ExitKind::EnvironmentError;
        }
    }
    ExitKind::UserError
}

/// The error and its causes on one line, as INTERFACE.md asks for.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string().replace('\n', "; ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
