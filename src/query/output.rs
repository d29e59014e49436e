//! Query results as a table, JSON (one array of row objects) or CSV.
//!
//! JSON and CSV render dates as `YYYY-MM-DD` and timestamps as RFC 3339 UTC with
//! microseconds, as INTERFACE.md promises, whatever the column's time zone.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

pub fn write_batches(batches: &[RecordBatch], format: OutputFormat, out: &mut impl Write) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => writeln!(out, "{}", pretty_format_batches(batches)?)?,
        OutputFormat::Json => {
            let rows: Vec<Value> = batches.iter().flat_map(batch_rows).collect();
            serde_json::to_writer(&mut *out, &rows)?;
            writeln!(out)?;
        }
        OutputFormat::Csv => write_csv(batches, out)?,
    }
    Ok(())
}

fn batch_rows(batch: &RecordBatch) -> Vec<Value> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut object = Map::new();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                object.insert(field.name().clone(), json_value(column.as_ref(), row));
            }
            Value::Object(object)
        })
        .collect()
}

fn timestamp_micros_to_string(micros: i64) -> Value {
    match DateTime::<Utc>::from_timestamp_micros(micros) {
        Some(dt) => Value::String(dt.to_rfc3339_opts(SecondsFormat::Micros, true)),
        None => Value::Null,
    }
}

fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// One cell as JSON: numbers stay numbers, lists and structs nest, and anything exotic
/// falls back to Arrow's display string.
fn json_value(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Float32 => float(f64::from(array.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Value::String(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::String(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Value::String(array.as_string_view().value(row).to_string()),
        DataType::Date32 => array
            .as_primitive::<Date32Type>()
            .value_as_date(row)
            .map_or(Value::Null, |d| Value::String(d.format("%Y-%m-%d").to_string())),
        DataType::Date64 => array
            .as_primitive::<Date64Type>()
            .value_as_date(row)
            .map_or(Value::Null, |d| Value::String(d.format("%Y-%m-%d").to_string())),
        DataType::Timestamp(unit, _) => {
            let micros = match unit {
                TimeUnit::Second => array
                    .as_primitive::<TimestampSecondType>()
                    .value(row)
                    .saturating_mul(1_000_000),
                TimeUnit::Millisecond => array
                    .as_primitive::<TimestampMillisecondType>()
                    .value(row)
                    .saturating_mul(1000),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => array
                    .as_primitive::<TimestampNanosecondType>()
                    .value(row)
                    .div_euclid(1000),
            };
            timestamp_micros_to_string(micros)
        }
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            Value::Array((0..values.len()).map(|i| json_value(values.as_ref(), i)).collect())
        }
        DataType::Struct(fields) => {
            let strukt = array.as_struct();
            let mut object = Map::new();
            for (field, column) in fields.iter().zip(strukt.columns()) {
                object.insert(field.name().clone(), json_value(column.as_ref(), row));
            }
            Value::Object(object)
        }
        _ => display_string(array, row).map_or(Value::Null, Value::String),
    }
}

fn display_string(array: &dyn Array, row: usize) -> Option<String> {
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default()).ok()?;
    Some(formatter.value(row).to_string())
}

fn csv_field(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn write_csv(batches: &[RecordBatch], out: &mut impl Write) -> anyhow::Result<()> {
    let Some(first) = batches.first() else { return Ok(()) };
    let schema = first.schema();
    let header: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| csv_field(&Value::String(f.name().clone())))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    for batch in batches {
        for row in batch_rows(batch) {
            if let Value::Object(object) = row {
                let cells: Vec<String> = object.values().map(csv_field).collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
    }
    Ok(())
}
