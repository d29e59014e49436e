//! Where an input record came from, kept with every event and dead letter.

use std::fmt;
use std::sync::Arc;

use crate::time::Timestamp;

/// The source position of one input record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourcePosition {
    /// A line of an NDJSON file (1-based); `-` is standard input.
    File { path: Arc<str>, line: u64 },
    /// A Kafka message.
    Kafka {
        topic: Arc<str>,
        partition: i32,
        offset: i64,
    },
}

impl SourcePosition {
    pub fn file(path: &Arc<str>, line: u64) -> Self {
        SourcePosition::File {
            path: Arc::clone(path),
            line,
        }
    }
}

impl fmt::Display for SourcePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourcePosition::File { path, line } => write!(f, "{path}:{line}"),
            SourcePosition::Kafka {
                topic,
                partition,
                offset,
            } => write!(f, "{topic}/{partition}@{offset}"),
        }
    }
}

/// One undecoded input record: the bytes as received and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub bytes: Vec<u8>,
    pub position: SourcePosition,
    /// Processing time at which the record was read.
    pub received_at: Timestamp,
}
