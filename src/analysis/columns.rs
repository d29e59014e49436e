//! Typed access to the columns of query results, whatever physical Arrow type the engine
//! chose (Utf8 or Utf8View, Int32 or Int64, …): each column is cast to the one type its
//! caller wants, so readers do not break when DataFusion changes a default.

use convolens_drift::CategoricalCounts;
use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, TimeUnit, TimestampMicrosecondType};

#[derive(Debug, thiserror::Error)]
pub enum ColumnError {
    #[error("query result has no column `{0}`")]
    Missing(String),
    #[error("column `{column}` cannot be read as {wanted}: {source}")]
    Cast {
        column: String,
        wanted: &'static str,
        source: datafusion::arrow::error::ArrowError,
    },
}

fn column_as(batch: &RecordBatch, name: &str, to: &DataType, wanted: &'static str) -> Result<ArrayRef, ColumnError> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| ColumnError::Missing(name.to_string()))?;
    cast(column, to).map_err(|source| ColumnError::Cast {
        column: name.to_string(),
        wanted,
        source,
    })
}

pub fn strings(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, ColumnError> {
    let array = column_as(batch, name, &DataType::Utf8, "text")?;
    Ok(array.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect())
}

/// Counts of a text column's values, read in place (no string copied per row).
pub fn category_counts(batch: &RecordBatch, name: &str) -> Result<CategoricalCounts, ColumnError> {
    let array = column_as(batch, name, &DataType::Utf8, "text")?;
    Ok(CategoricalCounts::from_names(array.as_string::<i32>().iter()))
}

pub fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>, ColumnError> {
    let array = column_as(batch, name, &DataType::Float64, "a number")?;
    Ok(array.as_primitive::<Float64Type>().iter().collect())
}

pub fn booleans(batch: &RecordBatch, name: &str) -> Result<Vec<Option<bool>>, ColumnError> {
    let array = column_as(batch, name, &DataType::Boolean, "a boolean")?;
    Ok(array.as_boolean().iter().collect())
}

/// Microseconds since the epoch, UTC.
pub fn timestamps(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>, ColumnError> {
    let to = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let array = column_as(batch, name, &to, "a timestamp")?;
    Ok(array.as_primitive::<TimestampMicrosecondType>().iter().collect())
}
