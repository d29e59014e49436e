//! The lake on a local directory:
//!
//! ```text
//! LAKE/events/date=2026-11-02/<run>-<seq>.parquet
//! LAKE/conversations/date=…/…    LAKE/dead_letters/date=…/…
//! LAKE/_tmp/                      files being written (never read by queries)
//! ```
//!
//! Invariant: a file under a table directory is complete. Files are written under `_tmp/`,
//! flushed and synced, then renamed into their partition, which is atomic on one
//! filesystem. With [`Publish::Staged`] the rename is left to a commit log
//! ([`crate::commit::CommitLog`]), which publishes the files together with the input
//! offsets they cover.

mod table_writer;
mod writer;

use std::path::{Path, PathBuf};

use convolens_core::Timestamp;
use datafusion::arrow::datatypes::SchemaRef;

pub(crate) use table_writer::parse_tmp_file_name;
pub use table_writer::{Publish, StagedFile, TableWriter, WrittenFile};
pub use writer::{LakeWriter, LakeWriterStats};

use crate::schema;

/// The lake's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Events,
    Conversations,
    DeadLetters,
    /// Drift per window and feature, written by `convolens drift update`.
    DriftMetrics,
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::Events,
        Table::Conversations,
        Table::DeadLetters,
        Table::DriftMetrics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Events => "events",
            Table::Conversations => "conversations",
            Table::DeadLetters => "dead_letters",
            Table::DriftMetrics => "drift_metrics",
        }
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Events => schema::events_schema(),
            Table::Conversations => schema::conversations_schema(),
            Table::DeadLetters => schema::dead_letters_schema(),
            Table::DriftMetrics => schema::drift_metrics_schema(),
        }
    }

    /// Columns whose values are (nearly) all distinct. Parquet dictionary-encodes every
    /// column by default; for these the dictionary only costs hashing every value before
    /// the writer gives up on it, so they are written plain from the start.
    pub fn distinct_valued_columns(self) -> &'static [&'static str] {
        match self {
            // Not `text`: bot and agent messages repeat their templates, and the dictionary
            // keeps that column at about half its plain size on generated traffic.
            Table::Events => &["event_id", "occurred_at", "source", "source_line", "received_at"],
            Table::Conversations => &["conversation_id", "emitted_at", "started_at", "ended_at", "closed_at"],
            Table::DeadLetters => &["raw", "raw_text", "source", "source_line", "received_at"],
            Table::DriftMetrics => &[],
        }
    }

    /// Columns of free text or raw bytes, written without min/max statistics: a text's
    /// min/max never prunes a row group, each would copy up to a whole message into the
    /// file footer, and comparing every value cost the writer 6 % of its time (perf,
    /// BENCHMARKS.md).
    pub fn free_text_columns(self) -> &'static [&'static str] {
        match self {
            Table::Events => &["text", "query", "comment", "extra"],
            Table::Conversations | Table::DriftMetrics => &[],
            Table::DeadLetters => &["raw", "raw_text"],
        }
    }

    pub fn dir(self, lake: &Path) -> PathBuf {
        lake.join(self.name())
    }
}

/// Name of the directory of in-progress (and, for the Kafka path, staged) files.
pub const TMP_DIR_NAME: &str = "_tmp";

/// Directory of in-progress files.
pub fn tmp_dir(lake: &Path) -> PathBuf {
    lake.join(TMP_DIR_NAME)
}

/// `date=YYYY-MM-DD` of an epoch day.
pub fn partition_dir_name(epoch_day: i32) -> String {
    let day = Timestamp::from_micros(i64::from(epoch_day) * 86_400 * 1_000_000);
    format!("date={}", day.date_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A misspelled name would silently leave that column dictionary-encoded, or with
    /// statistics.
    #[test]
    fn tuned_columns_exist_in_their_tables() {
        for table in Table::ALL {
            let schema = table.schema();
            for column in table.distinct_valued_columns().iter().chain(table.free_text_columns()) {
                assert!(
                    schema.field_with_name(column).is_ok(),
                    "{} has no column {column}",
                    table.name()
                );
            }
        }
    }
}
