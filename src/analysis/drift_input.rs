//! The drift features of INTERFACE.md read from the lake for one window: event-level
//! features windowed by `occurred_at`, conversation-level ones (latest facts) by
//! `closed_at`, plus samples of customer texts and embeddings for the domain classifiers.

use std::collections::{BTreeMap, BinaryHeap};

use convolens_core::spec::{DRIFT_FEATURES, FeatureKind as SpecKind};
use convolens_drift::{CategoricalCounts, FeatureKind};
use datafusion::arrow::array::{Array, AsArray, ListArray};
use datafusion::arrow::datatypes::Float32Type;
use xxhash_rust::xxh3::xxh3_64;

use super::columns;
use crate::query::LakeSession;
use crate::window::Window;

/// The default features of INTERFACE.md, in its order, as the drift crate types them (the
/// list itself is the pipeline spec's, which validates per-feature settings against it).
pub fn features() -> impl Iterator<Item = (&'static str, FeatureKind)> {
    DRIFT_FEATURES.into_iter().map(|(name, kind)| {
        let kind = match kind {
            SpecKind::Numeric => FeatureKind::Numeric,
            SpecKind::Categorical => FeatureKind::Categorical,
        };
        (name, kind)
    })
}

/// Everything drift compares, for one window.
#[derive(Debug, Default)]
pub struct WindowValues {
    pub numeric: BTreeMap<&'static str, Vec<Option<f64>>>,
    pub categorical: BTreeMap<&'static str, CategoricalCounts>,
    /// A deterministic pseudo-random sample of customer message texts (by a hash of the
    /// event id, so the same window always gives the same sample).
    pub texts: Vec<String>,
    /// The same kind of sample of prediction embeddings.
    pub embeddings: Vec<Vec<f32>>,
    /// Predictions in the window and those flagged out of scope (`is_oos = true`).
    pub predictions: u64,
    pub out_of_scope: u64,
}

/// A deterministic sample of at most `cap` items: those whose id hashes lowest (xxh3), so
/// the same window always gives the same sample, whatever order the rows come in, in
/// memory bounded by the cap.
pub(crate) struct HashSample<T> {
    cap: usize,
    kept: BinaryHeap<(u64, String, Keep<T>)>,
}

/// Wraps the payload so the heap orders by hash and id only.
struct Keep<T>(T);

impl<T> PartialEq for Keep<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Keep<T> {}
impl<T> PartialOrd for Keep<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Keep<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<T> HashSample<T> {
    pub(crate) fn new(cap: usize) -> Self {
        HashSample {
            cap,
            kept: BinaryHeap::new(),
        }
    }

    pub(crate) fn would_keep(&self, id: &str) -> bool {
        self.keeps(xxh3_64(id.as_bytes()), id)
    }

    /// Whether an item of this hash and id belongs in the sample as it stands.
    fn keeps(&self, hash: u64, id: &str) -> bool {
        self.kept.len() < self.cap
            || self
                .kept
                .peek()
                .is_some_and(|(kept_hash, kept_id, _)| (hash, id) < (*kept_hash, kept_id.as_str()))
    }

    pub(crate) fn offer(&mut self, id: &str, value: T) {
        if self.cap == 0 || !self.would_keep(id) {
            return;
        }
        self.kept.push((xxh3_64(id.as_bytes()), id.to_string(), Keep(value)));
        if self.kept.len() > self.cap {
            self.kept.pop();
        }
    }

    /// Keeps, of both samples, what one sample of all their offers would have kept.
    pub(crate) fn merge(&mut self, other: HashSample<T>) {
        for (hash, id, value) in other.kept {
            if self.keeps(hash, &id) {
                self.kept.push((hash, id, value));
                if self.kept.len() > self.cap {
                    self.kept.pop();
                }
            }
        }
    }

    /// The kept values in hash order.
    pub(crate) fn into_values(self) -> Vec<T> {
        self.kept
            .into_sorted_vec()
            .into_iter()
            .map(|(_, _, Keep(v))| v)
            .collect()
    }
}

/// Row `i` of an `embedding` column as a vector (a null element reads as NaN).
pub(crate) fn embedding_at(lists: &ListArray, i: usize) -> Vec<f32> {
    lists
        .value(i)
        .as_primitive::<Float32Type>()
        .iter()
        .map(|v| v.unwrap_or(f32::NAN))
        .collect()
}

/// Caps of the text and embedding samples read from a window.
#[derive(Debug, Clone, Copy)]
pub struct SampleCaps {
    pub texts: usize,
    pub embeddings: usize,
}

pub async fn load_window(session: &LakeSession, window: &Window, caps: SampleCaps) -> anyhow::Result<WindowValues> {
    let mut values = WindowValues::default();
    let events = |event_type: &str, extra: &str| {
        format!(
            "FROM events WHERE event_type = '{event_type}' {extra} AND {}",
            window.sql_predicate("occurred_at", Some("date"))
        )
    };

    let mut intent = CategoricalCounts::new();
    let mut version = CategoricalCounts::new();
    let mut confidence = Vec::new();
    let sql = format!(
        "SELECT intent, model_version, confidence, is_oos {}",
        events("intent_predicted", "")
    );
    for batch in session.query(&sql).await? {
        intent.merge(&columns::category_counts(&batch, "intent")?);
        version.merge(&columns::category_counts(&batch, "model_version")?);
        confidence.extend(columns::floats(&batch, "confidence")?);
        let oos = columns::booleans(&batch, "is_oos")?;
        values.predictions += oos.len() as u64;
        values.out_of_scope += oos.iter().filter(|v| **v == Some(true)).count() as u64;
    }
    values.categorical.insert("intent", intent);
    values.categorical.insert("model_version", version);
    values.numeric.insert("confidence", confidence);

    let mut latency = Vec::new();
    for batch in session
        .query(&format!("SELECT latency_ms {}", events("tool_call", "")))
        .await?
    {
        latency.extend(columns::floats(&batch, "latency_ms")?);
    }
    values.numeric.insert("tool_latency_ms", latency);

    let mut length = Vec::new();
    let customer = "AND actor = 'customer'";
    let sql = format!(
        "SELECT CAST(character_length(text) AS DOUBLE) AS message_length {}",
        events("message", customer)
    );
    for batch in session.query(&sql).await? {
        length.extend(columns::floats(&batch, "message_length")?);
    }
    values.numeric.insert("message_length", length);

    let sql = format!(
        "SELECT event_id, text {} AND text IS NOT NULL",
        events("message", customer)
    );
    let mut texts = HashSample::new(caps.texts);
    for batch in session.query(&sql).await? {
        let ids = columns::strings(&batch, "event_id")?;
        for (id, text) in ids.into_iter().zip(columns::strings(&batch, "text")?) {
            if let (Some(id), Some(text)) = (id, text) {
                texts.offer(&id, text);
            }
        }
    }
    values.texts = texts.into_values();

    let sql = format!(
        "SELECT event_id, embedding {} AND embedding IS NOT NULL",
        events("intent_predicted", "")
    );
    let mut embeddings = HashSample::new(caps.embeddings);
    for batch in session.query(&sql).await? {
        let ids = columns::strings(&batch, "event_id")?;
        let Some(column) = batch.column_by_name("embedding") else {
            continue;
        };
        let lists = column.as_list::<i32>();
        for (i, id) in ids.into_iter().enumerate() {
            let Some(id) = id.filter(|_| !lists.is_null(i)) else {
                continue;
            };
            if embeddings.would_keep(&id) {
                embeddings.offer(&id, embedding_at(lists, i));
            }
        }
    }
    values.embeddings = embeddings.into_values();

    load_conversation_features(session, window, &mut values).await?;
    Ok(values)
}

async fn load_conversation_features(
    session: &LakeSession,
    window: &Window,
    values: &mut WindowValues,
) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT channel, handoff_reason, disposition, \
                CAST(customer_messages AS DOUBLE) AS customer_messages, bot_time_s, handle_time_s, \
                CASE WHEN kb_lookups > 0 THEN CAST(kb_misses AS DOUBLE) / CAST(kb_lookups AS DOUBLE) END \
                  AS kb_miss_rate \
         FROM conversation_facts WHERE {}",
        window.sql_predicate("closed_at", None)
    );
    let batches = session.query(&sql).await?;
    for name in ["channel", "handoff_reason", "disposition"] {
        let counts = values.categorical.entry(name).or_default();
        for batch in &batches {
            counts.merge(&columns::category_counts(batch, name)?);
        }
    }
    for name in ["customer_messages", "bot_time_s", "handle_time_s", "kb_miss_rate"] {
        let column = values.numeric.entry(name).or_default();
        for batch in &batches {
            column.extend(columns::floats(batch, name)?);
        }
    }
    Ok(())
}
