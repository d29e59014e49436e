//! Arrow schemas of the lake tables and row → batch builders.
//!
//! Types are chosen for every Parquet reader: UTC microsecond timestamps, signed integers
//! (Spark has no unsigned types), booleans and float64, never numbers as strings.

mod conversations;
mod dead_letters;
mod drift_metrics;
mod events;
mod source;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};

pub use conversations::{conversations_batch, conversations_schema};
pub use dead_letters::{dead_letters_batch, dead_letters_schema};
pub use drift_metrics::{DriftMetricRow, drift_metrics_batch, drift_metrics_schema};
pub use events::{LandedEvent, events_batch, events_schema};

/// The lake's timestamp type: microseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
}
