//! `dead_letters`: one row per invalid input, with its raw bytes.

use std::sync::{Arc, LazyLock};

use convolens_core::DeadLetter;
use datafusion::arrow::array::{ArrayRef, BinaryBuilder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::source::{SourceColumns, source_fields};
use crate::SinkError;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields = vec![
        Field::new("raw", DataType::Binary, false),
        // Lossy UTF-8 of `raw`, for people reading the table in SQL.
        Field::new("raw_text", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, false),
    ];
    fields.extend(source_fields());
    Arc::new(Schema::new(fields))
});

pub fn dead_letters_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

pub fn dead_letters_batch<'a>(rows: impl IntoIterator<Item = &'a DeadLetter>) -> Result<RecordBatch, SinkError> {
    let mut raw = BinaryBuilder::new();
    let mut raw_text = StringBuilder::new();
    let mut reason = StringBuilder::new();
    let mut detail = StringBuilder::new();
    let mut source = SourceColumns::default();
    for row in rows {
        raw.append_value(&row.raw);
        raw_text.append_value(String::from_utf8_lossy(&row.raw));
        reason.append_value(row.reason.code());
        detail.append_value(row.reason.to_string());
        source.append(&row.position, row.received_at);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(raw.finish()),
        Arc::new(raw_text.finish()),
        Arc::new(reason.finish()),
        Arc::new(detail.finish()),
    ];
    columns.extend(source.finish());
    RecordBatch::try_new(dead_letters_schema(), columns).map_err(|source| SinkError::Arrow {
        table: "dead_letters",
        source,
    })
}
