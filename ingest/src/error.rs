//! Errors of the sources.

use std::time::Duration;

use convolens_core::ErrorClass;
use rdkafka::error::KafkaError;

use crate::kafka::classify::{KafkaErrorKind, kind_of};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot open input {path}: {source}")]
    Open { path: String, source: std::io::Error },
    #[error("reading {path} near line {line}: {source}")]
    Read {
        path: String,
        line: u64,
        source: std::io::Error,
    },
    /// The Kafka settings cannot work (bad property, topic name with a NUL byte, …).
    #[error("invalid Kafka settings: {detail}")]
    KafkaConfig { detail: String },
    /// A Kafka client call failed; `during` names the call. Whether it is worth retrying
    /// depends on the librdkafka error code (see [`IngestError::class`]).
    #[error("Kafka {during} failed: {source}")]
    Kafka { during: &'static str, source: KafkaError },
    /// No broker answered for longer than the retry budget.
    #[error("no Kafka broker of {brokers} reachable for {:.0} s", .unreachable_for.as_secs_f64())]
    BrokerUnreachable { brokers: String, unreachable_for: Duration },
    /// Messages the producer could not deliver, even after librdkafka's own retries.
    #[error("{failed} message(s) to Kafka topic {topic} not delivered: {first_error}")]
    Undelivered {
        topic: String,
        failed: u64,
        first_error: String,
    },
    /// The in-process mock cluster could not be created or changed.
    #[error("embedded Kafka cluster: {detail}")]
    EmbeddedCluster { detail: String },
}

impl IngestError {
    /// What the run loop should do: transient broker trouble is retried (the runner's retry
    /// budget turns a long outage into [`IngestError::BrokerUnreachable`]); everything
    /// else is a configuration or environment problem that stops the run.
    pub fn class(&self) -> ErrorClass {
        match self {
            IngestError::Kafka { source, .. } => match kind_of(source) {
                KafkaErrorKind::Transport | KafkaErrorKind::Transient => ErrorClass::Retry,
                KafkaErrorKind::Fatal => ErrorClass::Stop,
            },
            // Not delivered now, but nothing was committed for them either: replaying from
            // the last commit produces them again.
            IngestError::Undelivered { .. } => ErrorClass::Retry,
            IngestError::Open { .. }
            | IngestError::Read { .. }
            | IngestError::KafkaConfig { .. }
            | IngestError::BrokerUnreachable { .. }
            | IngestError::EmbeddedCluster { .. } => ErrorClass::Stop,
        }
    }

    /// True for failures of the environment rather than of the user's input or
    /// configuration (CLI exit code 2 instead of 1).
    pub fn is_environment(&self) -> bool {
        match self {
            IngestError::BrokerUnreachable { .. } | IngestError::Undelivered { .. } => true,
            IngestError::Kafka { source, .. } => kind_of(source) != KafkaErrorKind::Fatal,
            IngestError::Read { .. } | IngestError::EmbeddedCluster { .. } => true,
            IngestError::Open { .. } | IngestError::KafkaConfig { .. } => false,
        }
    }
}
