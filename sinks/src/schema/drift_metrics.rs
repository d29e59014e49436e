//! `drift_metrics`: one row per (window, feature) of drift against the pipeline's
//! reference, and one row per (window, KPI series) with the series' value and any
//! detector alarm. Written by `convolens drift update`, one batch per completed window.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::timestamp_type;
use crate::SinkError;

/// One row of `drift_metrics`. `kind` is `numeric`, `categorical`, `text`, `embedding` or
/// `series`; the statistics that do not apply to a kind are null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftMetricRow {
    /// Window start and end, microseconds since the epoch (UTC), half-open.
    pub window_start: i64,
    pub window_end: i64,
    /// The reference, `FROM..TO` or `profile:NAME`.
    pub reference: String,
    pub feature: String,
    pub kind: String,
    pub n_ref: Option<i64>,
    pub n_cur: Option<i64>,
    pub null_share_ref: Option<f64>,
    pub null_share_cur: Option<f64>,
    pub psi: Option<f64>,
    pub js: Option<f64>,
    pub ks: Option<f64>,
    pub ks_p: Option<f64>,
    pub wasserstein: Option<f64>,
    pub wasserstein_norm: Option<f64>,
    /// Domain-classifier ROC AUC for `text` and `embedding`.
    pub auc: Option<f64>,
    /// Categories absent from the reference, comma-separated.
    pub unseen: Option<String>,
    /// The series' value in this window (`series` rows).
    pub value: Option<f64>,
    pub method: Option<String>,
    pub threshold: Option<f64>,
    /// `drift`, `no_drift`, `insufficient_data`; for `series`, `alarm` or `no_alarm`.
    pub verdict: String,
    /// Detectors that raised an alarm at this window, comma-separated (`series` rows).
    pub alarms: Option<String>,
    pub computed_at: i64,
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let f64f = |name: &str| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("window_start", timestamp_type(), false),
        Field::new("window_end", timestamp_type(), false),
        Field::new("reference", DataType::Utf8, false),
        Field::new("feature", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("n_ref", DataType::Int64, true),
        Field::new("n_cur", DataType::Int64, true),
        f64f("null_share_ref"),
        f64f("null_share_cur"),
        f64f("psi"),
        f64f("js"),
        f64f("ks"),
        f64f("ks_p"),
        f64f("wasserstein"),
        f64f("wasserstein_norm"),
        f64f("auc"),
        Field::new("unseen", DataType::Utf8, true),
        f64f("value"),
        Field::new("method", DataType::Utf8, true),
        f64f("threshold"),
        Field::new("verdict", DataType::Utf8, false),
        Field::new("alarms", DataType::Utf8, true),
        Field::new("computed_at", timestamp_type(), false),
    ]))
});

pub fn drift_metrics_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

pub fn drift_metrics_batch(rows: &[DriftMetricRow]) -> Result<RecordBatch, SinkError> {
    let timestamps = |get: fn(&DriftMetricRow) -> i64| -> ArrayRef {
        let mut builder = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        rows.iter().for_each(|r| builder.append_value(get(r)));
        Arc::new(builder.finish())
    };
    let strings = |get: fn(&DriftMetricRow) -> Option<&str>| -> ArrayRef {
        let mut builder = StringBuilder::new();
        rows.iter().for_each(|r| builder.append_option(get(r)));
        Arc::new(builder.finish())
    };
    let floats = |get: fn(&DriftMetricRow) -> Option<f64>| -> ArrayRef {
        let mut builder = Float64Builder::new();
        rows.iter().for_each(|r| builder.append_option(get(r)));
        Arc::new(builder.finish())
    };
    let integers = |get: fn(&DriftMetricRow) -> Option<i64>| -> ArrayRef {
        let mut builder = Int64Builder::new();
        rows.iter().for_each(|r| builder.append_option(get(r)));
        Arc::new(builder.finish())
    };
    let columns: Vec<ArrayRef> = vec![
        timestamps(|r| r.window_start),
        timestamps(|r| r.window_end),
        strings(|r| Some(r.reference.as_str())),
        strings(|r| Some(r.feature.as_str())),
        strings(|r| Some(r.kind.as_str())),
        integers(|r| r.n_ref),
        integers(|r| r.n_cur),
        floats(|r| r.null_share_ref),
        floats(|r| r.null_share_cur),
        floats(|r| r.psi),
        floats(|r| r.js),
        floats(|r| r.ks),
        floats(|r| r.ks_p),
        floats(|r| r.wasserstein),
        floats(|r| r.wasserstein_norm),
        floats(|r| r.auc),
        strings(|r| r.unseen.as_deref()),
        floats(|r| r.value),
        strings(|r| r.method.as_deref()),
        floats(|r| r.threshold),
        strings(|r| Some(r.verdict.as_str())),
        strings(|r| r.alarms.as_deref()),
        timestamps(|r| r.computed_at),
    ];
    RecordBatch::try_new(drift_metrics_schema(), columns).map_err(|source| SinkError::Arrow {
        table: "drift_metrics",
        source,
    })
}
