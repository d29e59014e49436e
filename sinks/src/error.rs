//! Errors of the lake sink. Disk errors are environment errors (retry or exit 2); a schema
//! mismatch is a bug (stop).
//!
//! Commit-log errors of the class [`ErrorClass::Retry`] ([`SinkError::CommitConflict`],
//! [`SinkError::StagedFileMissing`]) are not retried by calling `commit` again: the runner
//! re-initialises the partition (drops its processor and writer, aborts the staged files,
//! runs [`CommitLog::recover`](crate::commit::CommitLog::recover) and re-reads from the
//! recovered offset), because another process may have moved the partition on.

use std::path::PathBuf;

use convolens_core::ErrorClass;
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::errors::ParquetError;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("lake I/O at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("building the {table} batch: {source}")]
    Arrow { table: &'static str, source: ArrowError },
    #[error("writing parquet file {path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
    /// Another process published commit `seq` of this partition first (two owners of one
    /// partition during a rebalance, or a zombie).
    #[error("commit {seq} in {log} was published by another process first")]
    CommitConflict { log: PathBuf, seq: u64 },
    /// A staged file vanished before its commit point, typically deleted as an orphan by the
    /// recovery of a process that took the partition over.
    #[error("staged file {path} is gone before its commit")]
    StagedFileMissing { path: PathBuf },
    /// Publishing a staged file would replace a file already in the lake: a file prefix was
    /// reused by two writers.
    #[error("{path} already exists; a writer's file prefix was reused")]
    FinalFileExists { path: PathBuf },
    /// A manifest or state file cannot be trusted (unparsable, checksum mismatch, refers to
    /// files that exist nowhere). Never guessed around: the offsets and the lake would drift.
    #[error("commit log damaged at {path}: {reason}")]
    CommitLogCorrupt { path: PathBuf, reason: String },
    /// A name, path or argument the commit log cannot use.
    #[error("commit log: invalid {what} {value:?}: {reason}")]
    InvalidCommitInput {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    /// The previous commit stopped part-way; `recover` must complete it first.
    #[error("the previous commit in {log} did not finish; recover the partition first")]
    CommitUnfinished { log: PathBuf },
}

impl SinkError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SinkError {
        let path = path.into();
        move |source| SinkError::Io { path, source }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            SinkError::Io { .. }
            | SinkError::Parquet { .. }
            | SinkError::CommitConflict { .. }
            | SinkError::StagedFileMissing { .. } => ErrorClass::Retry,
            SinkError::Arrow { .. }
            | SinkError::FinalFileExists { .. }
            | SinkError::CommitLogCorrupt { .. }
            | SinkError::InvalidCommitInput { .. }
            | SinkError::CommitUnfinished { .. } => ErrorClass::Stop,
        }
    }
}
