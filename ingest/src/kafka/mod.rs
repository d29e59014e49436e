//! Kafka: the consumer that feeds the pipelines, the producers of demo traffic and dead
//! letters, and an in-process cluster for the demo and tests.
//!
//! - [`KafkaSource`]: a group consumer polled from the runner's own thread. Rebalances
//!   call a [`PartitionHandler`] synchronously, so the runner decides where each assigned
//!   partition resumes (from its lake commit log) and commits a partition's state before
//!   it is handed to another consumer.
//! - [`KafkaSettings`]: brokers, topics, group and librdkafka properties.
//! - [`produce_lines`], [`DeadLetterProducer`]: producers that wait for delivery.
//! - [`EmbeddedCluster`]: librdkafka's mock cluster (three brokers), for `convolens demo`
//!   and tests.
//!
//! Exactly once: librdkafka never commits offsets by itself here. The lake commit log
//! records, per partition, the next offset together with the files and processor state;
//! the offsets committed to the consumer group ([`KafkaSource::commit_hint`]) only feed
//! lag dashboards.

pub mod classify;
mod cluster;
mod config;
mod context;
mod health;
mod producer;
mod source;

use std::fmt;

use convolens_core::RawRecord;
use rdkafka::config::RDKafkaLogLevel;

pub use cluster::EmbeddedCluster;
pub use config::{KafkaSettings, producer_config};
pub use producer::{DeadLetterProducer, headers as dead_letter_headers, produce_lines};
pub use source::KafkaSource;

/// One partition of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionId {
    pub topic: String,
    pub partition: i32,
}

impl PartitionId {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        PartitionId {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// The runner's side of a rebalance. Called on the thread that calls
/// [`KafkaSource::poll`], from inside that call, before any message of the affected
/// partitions is returned (assign) or after the last one was (revoke).
pub trait PartitionHandler: Send + Sync {
    /// Partitions just assigned; return for each the offset to start from (Some(next offset
    /// from our own commit log), or None = broker default / auto.offset.reset).
    fn on_assign(&self, partitions: &[PartitionId]) -> Vec<Option<i64>>;
    /// Partitions about to be revoked: the runner commits their state before this returns.
    fn on_revoke(&self, partitions: &[PartitionId]);
    /// Partitions already lost (session timed out, group error): another consumer may own
    /// them by now, so their state must be dropped, not committed over the new owner's.
    /// Defaults to [`PartitionHandler::on_revoke`] for handlers whose commits are fenced.
    fn on_lost(&self, partitions: &[PartitionId]) {
        self.on_revoke(partitions);
    }
}

/// One consumed message: its key (the conversation id, by convention) and the record
/// whose position is `SourcePosition::Kafka`. A message without payload has empty bytes,
/// which the decoder turns into a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaRecord {
    pub key: Option<Vec<u8>>,
    pub record: RawRecord,
}

/// librdkafka's log lines go to `tracing` under the `librdkafka` target, so they follow the
/// same filter as the rest of convolens instead of needing the `log` bridge.
pub(crate) fn forward_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", facility, "{message}");
        }
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => tracing::info!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}
