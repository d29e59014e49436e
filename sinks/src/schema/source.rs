//! Source-position columns shared by `events` and `dead_letters`.

use std::fmt::Write;
use std::sync::Arc;

use convolens_core::{SourcePosition, Timestamp};
use datafusion::arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use datafusion::arrow::datatypes::{DataType, Field};

use super::timestamp_type;

pub(crate) fn source_fields() -> Vec<Field> {
    vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, true),
        Field::new("source_line", DataType::Int64, true),
        Field::new("source_topic", DataType::Utf8, true),
        Field::new("source_partition", DataType::Int32, true),
        Field::new("source_offset", DataType::Int64, true),
        Field::new("received_at", timestamp_type(), false),
    ]
}

#[derive(Default)]
pub(crate) struct SourceColumns {
    source: StringBuilder,
    file: StringBuilder,
    line: Int64Builder,
    topic: StringBuilder,
    partition: Int32Builder,
    offset: Int64Builder,
    received_at: TimestampMicrosecondBuilder,
}

impl SourceColumns {
    /// Builders sized for `rows` rows of one source kind (files or Kafka).
    pub(crate) fn with_capacity(rows: usize) -> Self {
        SourceColumns {
            source: StringBuilder::with_capacity(rows, rows * 32),
            file: StringBuilder::with_capacity(rows, rows * 16),
            line: Int64Builder::with_capacity(rows),
            topic: StringBuilder::with_capacity(rows, rows * 8),
            partition: Int32Builder::with_capacity(rows),
            offset: Int64Builder::with_capacity(rows),
            received_at: TimestampMicrosecondBuilder::with_capacity(rows),
        }
    }

    pub(crate) fn append(&mut self, position: &SourcePosition, received_at: Timestamp) {
        // Formatted straight into the column's buffer: no String per row.
        let _ = write!(self.source, "{position}");
        self.source.append_value("");
        match position {
            SourcePosition::File { path, line } => {
                self.file.append_value(path.as_ref());
                self.line.append_value(i64::try_from(*line).unwrap_or(i64::MAX));
                self.topic.append_null();
                self.partition.append_null();
                self.offset.append_null();
            }
            SourcePosition::Kafka {
                topic,
                partition,
                offset,
            } => {
                self.file.append_null();
                self.line.append_null();
                self.topic.append_value(topic.as_ref());
                self.partition.append_value(*partition);
                self.offset.append_value(*offset);
            }
        }
        self.received_at.append_value(received_at.micros());
    }

    pub(crate) fn finish(mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.source.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.topic.finish()),
            Arc::new(self.partition.finish()),
            Arc::new(self.offset.finish()),
            Arc::new(self.received_at.finish().with_timezone("UTC")),
        ]
    }
}
