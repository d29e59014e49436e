//! Confidence calibration views of METRICS §4: `calibration_pairs` (each prediction with
//! its latest label), `calibration_bins` (reliability bins) and `calibration` (n, accuracy,
//! mean confidence, ECE, MCE, ACE, Brier) per (`day`, `model`, `model_version`).
//!
//! The same numbers come from `convolens calibrate`, which feeds the pairs of this view to
//! `convolens_evaluators::calibration::evaluate`; a test keeps the two equal.
//!
//! Where order matters (the adaptive bins sort by confidence stably, so equal confidences
//! keep their order), pairs are in arrival order: by `received_at`, then source position
//! (file and line, or partition and offset). That is the order the events were read in,
//! the order METRICS' reference implementation keeps.

use convolens_evaluators::calibration::bin_sql_expr;

/// Reliability bins of the views (METRICS §4 default); `convolens calibrate --bins` picks others.
pub const DEFAULT_BINS: usize = 10;

/// Arrival order of predictions (see the module docs).
const ARRIVAL_ORDER: &str = "received_at, source_file, source_line, source_partition, source_offset";

/// A prediction joined with the latest label (`day` is the `events` partition, the UTC
/// date of the prediction, so filters on it skip whole days) whose `prediction_event_id` is its
/// `event_id` (latest by `occurred_at`, then `event_id`). Labels match on the event id
/// alone, as METRICS §4 defines the pair: a labelling tool need not repeat the tenant.
fn pairs_view() -> String {
    let bin = bin_sql_expr("p.confidence", DEFAULT_BINS);
    format!(
        r#"
CREATE VIEW calibration_pairs AS
WITH labels AS (
    SELECT prediction_event_id, true_intent FROM (
        SELECT prediction_event_id, true_intent,
               ROW_NUMBER() OVER (PARTITION BY prediction_event_id
                                  ORDER BY occurred_at DESC, event_id DESC) AS label_rank
        FROM events
        WHERE event_type = 'intent_labeled'
    ) WHERE label_rank = 1
)
SELECT
    p.date AS day,
    p.tenant_id, p.conversation_id,
    p.event_id AS prediction_event_id,
    p.occurred_at AS predicted_at,
    p.model, p.model_version,
    p.intent, l.true_intent,
    p.confidence,
    p.intent = l.true_intent AS correct,
    {bin} AS bin,
    p.received_at, p.source_file, p.source_line, p.source_partition, p.source_offset
FROM events p
JOIN labels l ON l.prediction_event_id = p.event_id
WHERE p.event_type = 'intent_predicted'
"#
    )
}

fn bins_view() -> String {
    format!(
        r#"
CREATE VIEW calibration_bins AS
SELECT day, model, model_version, bin,
       CAST(bin - 1 AS DOUBLE) / {b}.0 AS lower,
       CAST(bin AS DOUBLE) / {b}.0 AS upper,
       COUNT(*) AS count,
       AVG(confidence) AS mean_confidence,
       AVG(CASE WHEN correct THEN 1.0 ELSE 0.0 END) AS accuracy
FROM calibration_pairs
GROUP BY day, model, model_version, bin
"#,
        b = DEFAULT_BINS
    )
}

/// ECE and MCE from the bins; ACE from `array_split`-style groups: with n pairs and B
/// groups, the first n mod B groups hold ⌊n/B⌋ + 1 pairs and the rest ⌊n/B⌋.
fn calibration_view() -> String {
    format!(
        r#"
CREATE VIEW calibration AS
WITH keyed AS (
    SELECT day, model, model_version, confidence,
           CASE WHEN correct THEN 1.0 ELSE 0.0 END AS hit,
           -- BIGINT on both sides, so the group arithmetic below is integer division.
           CAST(ROW_NUMBER() OVER (PARTITION BY day, model, model_version
                                   ORDER BY confidence, {ARRIVAL_ORDER}) AS BIGINT) - 1 AS position,
           COUNT(*) OVER (PARTITION BY day, model, model_version) AS total
    FROM calibration_pairs
),
adaptive AS (
    SELECT day, model, model_version, total,
           CASE WHEN position < (total % {b}) * (total / {b} + 1)
                THEN position / (total / {b} + 1)
                ELSE (total % {b}) + (position - (total % {b}) * (total / {b} + 1)) / (total / {b})
           END AS grp,
           confidence, hit
    FROM keyed
),
adaptive_groups AS (
    SELECT day, model, model_version, grp, MAX(total) AS total,
           COUNT(*) AS count, AVG(confidence) AS mean_confidence, AVG(hit) AS accuracy
    FROM adaptive
    GROUP BY day, model, model_version, grp
),
ace AS (
    SELECT day, model, model_version,
           SUM(CAST(count AS DOUBLE) / CAST(total AS DOUBLE) * abs(accuracy - mean_confidence)) AS ace
    FROM adaptive_groups
    GROUP BY day, model, model_version
),
bin_gaps AS (
    SELECT b.day, b.model, b.model_version, b.count, abs(b.accuracy - b.mean_confidence) AS gap,
           SUM(b.count) OVER (PARTITION BY b.day, b.model, b.model_version) AS total
    FROM calibration_bins b
),
ece AS (
    SELECT day, model, model_version,
           SUM(CAST(count AS DOUBLE) / CAST(total AS DOUBLE) * gap) AS ece,
           MAX(gap) AS mce
    FROM bin_gaps
    GROUP BY day, model, model_version
),
overall AS (
    SELECT day, model, model_version,
           COUNT(*) AS n,
           AVG(CASE WHEN correct THEN 1.0 ELSE 0.0 END) AS accuracy,
           AVG(confidence) AS mean_confidence,
           AVG((confidence - CASE WHEN correct THEN 1.0 ELSE 0.0 END)
               * (confidence - CASE WHEN correct THEN 1.0 ELSE 0.0 END)) AS brier
    FROM calibration_pairs
    GROUP BY day, model, model_version
)
SELECT o.day, o.model, o.model_version, o.n, o.accuracy, o.mean_confidence,
       e.ece, e.mce, a.ace, o.brier
FROM overall o
JOIN ece e ON e.day = o.day AND (e.model IS NOT DISTINCT FROM o.model)
          AND (e.model_version IS NOT DISTINCT FROM o.model_version)
JOIN ace a ON a.day = o.day AND (a.model IS NOT DISTINCT FROM o.model)
          AND (a.model_version IS NOT DISTINCT FROM o.model_version)
"#,
        b = DEFAULT_BINS
    )
}

pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("calibration_pairs", pairs_view()),
        ("calibration_bins", bins_view()),
        ("calibration", calibration_view()),
    ]
}
