//! convolens-ingest: where raw records come from.
//!
//! - [`ndjson`]: NDJSON files, plain, `.gz` or `.zst`, or standard input (`-`), read line
//!   by line with bounded memory per line ([`ndjson::NdjsonReader`]).
//! - [`kafka`]: the group consumer ([`kafka::KafkaSource`]) whose rebalances call the
//!   runner's [`kafka::PartitionHandler`], producers for demo traffic and dead letters, and
//!   an embedded mock cluster ([`kafka::EmbeddedCluster`]).
//!
//! Sources only frame records and note their position; decoding and validation are
//! `convolens-transforms`' job, so both the file and the Kafka path share them.

pub mod error;
pub mod kafka;
pub mod ndjson;

pub use error::IngestError;
