//! `drift_metrics`: the latest revision of each window's rows. Streaming drift writes a
//! window's rows when it settles and writes them again when a conversation it counted
//! takes a new facts version in another window (ARCHITECTURE.md, "Streaming drift"); the
//! lake keeps every revision, with its `computed_at`.

use convolens_sinks::Table;

/// The lake table of every revision, as SQL names it.
pub const DRIFT_METRICS_REVISIONS: &str = "drift_metrics_revisions";

pub fn drift_metrics() -> (&'static str, String) {
    let columns: Vec<String> = Table::DriftMetrics
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .chain(["date".to_string()])
        .collect();
    let columns = columns.join(", ");
    (
        "drift_metrics",
        format!(
            "CREATE VIEW drift_metrics AS \
             SELECT {columns} FROM ( \
                 SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, feature ORDER BY computed_at DESC) \
                     AS revision_rank \
                 FROM {DRIFT_METRICS_REVISIONS} \
             ) WHERE revision_rank = 1"
        ),
    )
}
