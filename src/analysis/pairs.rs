//! Labelled predictions (METRICS §4 pairs) read straight from `events`, for
//! `convolens calibrate` at lake scale.
//!
//! The `calibration_pairs` view says the same in SQL, but DataFusion plans the latest
//! label per prediction as a window function, i.e. a sort of every label by a string key,
//! then sorts the pairs again for arrival order: at ten million predictions that is tens
//! of seconds and well over a gigabyte. Here the labels go into a hash table keyed by the
//! 128-bit xxh3 digest of `prediction_event_id` (as de-duplication keys event ids: a
//! collision among 10⁷ ids has probability below 10⁻²⁴), holding for each only the
//! latest label's time and interned intent; predictions stream past it and become
//! 40-byte rows. Tests keep the command's numbers equal to the views' (day by day on
//! generated traffic, and on relabels and same-instant label ties).

use std::collections::{HashMap, HashSet};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use futures::StreamExt;
use hashbrown::HashTable;
use xxhash_rust::xxh3::xxh3_128;

use super::calibration::ModelKey;
use crate::query::LakeSession;
use crate::window::Window;

/// One labelled prediction in 32 bytes (ten million of them fit beside the label table in
/// well under a GiB): strings are interned in [`LabelledPairs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairRow {
    pub confidence: f64,
    /// When the prediction was received, UTC microseconds (arrival order, first key).
    pub received_at: i64,
    /// Source position packed in arrival order (see [`pack_source`]).
    pub source: u64,
    /// Index into [`LabelledPairs::intents`] of the predicted intent.
    pub intent: u32,
    /// Index into [`LabelledPairs::keys`].
    pub key: u16,
    pub correct: bool,
}

/// First and last prediction time (UTC microseconds) of a model version's pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: i64,
    pub last: i64,
}

/// The labelled predictions of a window.
#[derive(Debug, Default)]
pub struct LabelledPairs {
    /// (model, model_version) in ascending order, so a key index orders as its key.
    pub keys: Vec<ModelKey>,
    /// Prediction times of each key's pairs, by key index.
    pub spans: Vec<Span>,
    pub intents: Vec<String>,
    pub rows: Vec<PairRow>,
}

impl LabelledPairs {
    /// Arrival order (`query::ARRIVAL_ORDER`): received, then source position.
    pub fn sort_by_arrival(&mut self) {
        parallel_sort(&mut self.rows, |r| (r.received_at, r.source, 0));
    }

    /// By confidence, ties in arrival order: what the stable sort of the adaptive ECE
    /// would make of arrival order, so evaluating rows in this order gives the same bins
    /// and groups (and already-sorted input costs that sort one pass).
    pub fn sort_by_confidence(&mut self) {
        parallel_sort(&mut self.rows, |r| {
            (ordered_bits(r.confidence), r.received_at, r.source)
        });
    }
}

/// An f64 as a u64 that orders as `f64::total_cmp`.
fn ordered_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// Sorts on both cores without a second buffer: partition around the median key (in
/// place, linear), then sort each side on its own thread. Keys are unique in practice
/// (arrival positions are), so an unstable sort orders exactly as a stable one would.
fn parallel_sort<K: Ord + Copy + Send>(rows: &mut [PairRow], key: impl Fn(&PairRow) -> K + Sync) {
    if rows.len() < 100_000 {
        rows.sort_unstable_by_key(|r| key(r));
        return;
    }
    let middle = rows.len() / 2;
    rows.select_nth_unstable_by_key(middle, |r| key(r));
    let (left, right) = rows.split_at_mut(middle);
    std::thread::scope(|scope| {
        scope.spawn(|| left.sort_unstable_by_key(|r| key(r)));
        right.sort_unstable_by_key(|r| key(r));
    });
}

/// Sorts as `ORDER BY source_file, source_line, source_partition, source_offset` with
/// nulls last: file rows (by file name rank, then line) before Kafka rows (by partition,
/// then offset). 20 bits of rank or partition and 43 of line or offset.
fn pack_source(file_rank: Option<u32>, line: i64, partition: i32, offset: i64) -> u64 {
    const POSITION_BITS: u32 = 43;
    let position_mask = (1u64 << POSITION_BITS) - 1;
    match file_rank {
        Some(rank) => (u64::from(rank) << POSITION_BITS) | (line.max(0) as u64 & position_mask),
        None => {
            (1 << 63) | ((partition.max(0) as u64 & 0xF_FFFF) << POSITION_BITS) | (offset.max(0) as u64 & position_mask)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PairsError {
    #[error("events column `{column}` cannot be read as {wanted}: {source}")]
    Column {
        column: &'static str,
        wanted: &'static str,
        source: datafusion::arrow::error::ArrowError,
    },
    #[error("events column `{column}` is {found}, not text")]
    Type { column: &'static str, found: DataType },
    #[error("more than 65,536 (model, model_version) pairs among the predictions")]
    TooManyModels,
    #[error("events has no column `{0}`")]
    Missing(&'static str),
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    #[error("reading events: {0}")]
    Read(#[from] datafusion::error::DataFusionError),
}

/// A column of `batch` as type `to`; what the scan asked for, so a failure is a bug in
/// the lake schema, reported rather than unwrapped.
fn column(
    batch: &RecordBatch,
    name: &'static str,
    to: &DataType,
    wanted: &'static str,
) -> Result<datafusion::arrow::array::ArrayRef, PairsError> {
    let array = batch.column_by_name(name).ok_or(PairsError::Missing(name))?;
    cast(array, to).map_err(|source| PairsError::Column {
        column: name,
        wanted,
        source,
    })
}

/// A text column as the engine produced it (Utf8 or Utf8View), read in place: casting
/// ten million ids from one to the other would copy every byte for nothing.
enum Text<'a> {
    Utf8(&'a datafusion::arrow::array::StringArray),
    View(&'a datafusion::arrow::array::StringViewArray),
}

impl<'a> Text<'a> {
    fn of(batch: &'a RecordBatch, name: &'static str) -> Result<Self, PairsError> {
        let array = batch.column_by_name(name).ok_or(PairsError::Missing(name))?;
        match array.data_type() {
            DataType::Utf8View => Ok(Text::View(array.as_string_view())),
            DataType::Utf8 => Ok(Text::Utf8(array.as_string::<i32>())),
            other => Err(PairsError::Type {
                column: name,
                found: other.clone(),
            }),
        }
    }

    fn value(&self, i: usize) -> &'a str {
        match self {
            Text::Utf8(array) => array.value(i),
            Text::View(array) => array.value(i),
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        let null = match self {
            Text::Utf8(array) => array.is_null(i),
            Text::View(array) => array.is_null(i),
        };
        (!null).then(|| self.value(i))
    }
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Strings to dense indices (intents, file names: few distinct values, looked up once
/// per row, so the hash is xxh3 rather than the slower SipHash of std maps).
#[derive(Default)]
struct Interner {
    index: HashTable<u32>,
    values: Vec<String>,
}

impl Interner {
    fn intern(&mut self, value: &str) -> u32 {
        let hash = xxhash_rust::xxh3::xxh3_64(value.as_bytes());
        let values = &mut self.values;
        if let Some(&id) = self.index.find(hash, |&id| values[id as usize] == value) {
            return id;
        }
        let id = values.len() as u32;
        values.push(value.to_string());
        self.index.insert_unique(hash, id, |&id| {
            xxhash_rust::xxh3::xxh3_64(values[id as usize].as_bytes())
        });
        id
    }
}

/// The latest label of one prediction.
struct Label {
    digest: u128,
    occurred_at: i64,
    true_intent: u32,
}

/// Latest label per prediction id; ties on `occurred_at` are settled by `event_id` in a
/// second pass over just those ids, so the table need not keep label ids.
#[derive(Default)]
struct Labels {
    entries: Vec<Label>,
    table: HashTable<u32>,
    tied: HashSet<u128>,
}

impl Labels {
    fn find(&self, digest: u128) -> Option<&Label> {
        self.table
            .find(digest as u64, |&i| self.entries[i as usize].digest == digest)
            .map(|&i| &self.entries[i as usize])
    }

    fn offer(&mut self, digest: u128, occurred_at: i64, true_intent: u32) {
        let entries = &mut self.entries;
        match self
            .table
            .find(digest as u64, |&i| entries[i as usize].digest == digest)
        {
            Some(&i) => {
                let label = &mut entries[i as usize];
                if occurred_at > label.occurred_at {
                    label.occurred_at = occurred_at;
                    label.true_intent = true_intent;
                    self.tied.remove(&digest);
                } else if occurred_at == label.occurred_at && true_intent != label.true_intent {
                    self.tied.insert(digest);
                }
            }
            None => {
                let i = entries.len() as u32;
                entries.push(Label {
                    digest,
                    occurred_at,
                    true_intent,
                });
                self.table
                    .insert_unique(digest as u64, i, |&j| entries[j as usize].digest as u64);
            }
        }
    }
}

const LABELS_SQL: &str = "SELECT prediction_event_id, true_intent, occurred_at FROM events \
     WHERE event_type = 'intent_labeled' AND prediction_event_id IS NOT NULL AND true_intent IS NOT NULL";

async fn count(session: &LakeSession, sql: &str) -> Result<usize, PairsError> {
    let batches = session.query(sql).await?;
    let total = batches
        .first()
        .map(|b| column(b, "n", &DataType::Int64, "a count"))
        .transpose()?
        .map(|a| a.as_primitive::<Int64Type>().value(0))
        .unwrap_or(0);
    Ok(usize::try_from(total).unwrap_or(0))
}

async fn load_labels(session: &LakeSession, intents: &mut Interner) -> Result<Labels, PairsError> {
    // Sized up front: growing by doubling would hold up to twice the table at the end.
    let expected = count(
        session,
        "SELECT COUNT(*) AS n FROM events WHERE event_type = 'intent_labeled'",
    )
    .await?;
    let mut labels = Labels {
        entries: Vec::with_capacity(expected),
        table: HashTable::with_capacity(expected),
        tied: HashSet::new(),
    };
    let mut stream = session.stream(LABELS_SQL).await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let ids = Text::of(&batch, "prediction_event_id")?;
        let truths = Text::of(&batch, "true_intent")?;
        let at = column(&batch, "occurred_at", &utc_micros(), "a timestamp")?;
        let at = at.as_primitive::<TimestampMicrosecondType>();
        for i in 0..batch.num_rows() {
            let truth = intents.intern(truths.value(i));
            labels.offer(xxh3_128(ids.value(i).as_bytes()), at.value(i), truth);
        }
    }
    if !labels.tied.is_empty() {
        settle_ties(session, &mut labels, intents).await?;
    }
    Ok(labels)
}

/// Labels of one prediction at the same instant with different intents: the greatest
/// `event_id` wins (METRICS' "latest", as the view orders it).
async fn settle_ties(session: &LakeSession, labels: &mut Labels, intents: &mut Interner) -> Result<(), PairsError> {
    let mut best: HashMap<u128, (i64, String, u32)> = HashMap::new();
    let sql = LABELS_SQL.replace("SELECT prediction_event_id,", "SELECT event_id, prediction_event_id,");
    let mut stream = session.stream(&sql).await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let events = Text::of(&batch, "event_id")?;
        let ids = Text::of(&batch, "prediction_event_id")?;
        let truths = Text::of(&batch, "true_intent")?;
        let at = column(&batch, "occurred_at", &utc_micros(), "a timestamp")?;
        let at = at.as_primitive::<TimestampMicrosecondType>();
        for i in 0..batch.num_rows() {
            let digest = xxh3_128(ids.value(i).as_bytes());
            if !labels.tied.contains(&digest) {
                continue;
            }
            let candidate = (at.value(i), events.value(i));
            let better = best.get(&digest).is_none_or(|(t, e, _)| candidate > (*t, e.as_str()));
            if better {
                let truth = intents.intern(truths.value(i));
                best.insert(digest, (candidate.0, candidate.1.to_string(), truth));
            }
        }
    }
    for (digest, (_, _, truth)) in best {
        if let Some(&i) = labels
            .table
            .find(digest as u64, |&i| labels.entries[i as usize].digest == digest)
        {
            labels.entries[i as usize].true_intent = truth;
        }
    }
    Ok(())
}

/// The labelled predictions whose prediction time is inside `window`, in no particular
/// order (see [`LabelledPairs::sort_by_arrival`] and [`LabelledPairs::sort_by_confidence`]).
pub async fn load(session: &LakeSession, window: &Window) -> Result<LabelledPairs, PairsError> {
    let mut intents = Interner::default();
    let labels = load_labels(session, &mut intents).await?;
    let predicate = format!(
        "event_type = 'intent_predicted' AND confidence IS NOT NULL AND model IS NOT NULL \
         AND intent IS NOT NULL AND {}",
        window.sql_predicate("occurred_at", Some("date"))
    );
    let sql = format!(
        "SELECT event_id, model, model_version, intent, confidence, occurred_at, received_at, \
         source_file, source_line, source_partition, source_offset FROM events WHERE {predicate}"
    );
    // At most one pair per labelled prediction: an upper bound that costs no scan.
    let mut rows = Vec::with_capacity(labels.entries.len());
    let mut keys: HashMap<(String, Option<String>), u16> = HashMap::new();
    // By key index in order of appearance, which is the order `keys` hands out indices in.
    let mut spans: Vec<Span> = Vec::new();
    let mut files = Interner::default();
    let mut stream = session.stream(&sql).await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let (ids, models, versions, predicted, files_col) = (
            Text::of(&batch, "event_id")?,
            Text::of(&batch, "model")?,
            Text::of(&batch, "model_version")?,
            Text::of(&batch, "intent")?,
            Text::of(&batch, "source_file")?,
        );
        let confidence = column(&batch, "confidence", &DataType::Float64, "a number")?;
        let occurred = column(&batch, "occurred_at", &utc_micros(), "a timestamp")?;
        let received = column(&batch, "received_at", &utc_micros(), "a timestamp")?;
        let line = column(&batch, "source_line", &DataType::Int64, "an integer")?;
        let partition = column(&batch, "source_partition", &DataType::Int64, "an integer")?;
        let offset = column(&batch, "source_offset", &DataType::Int64, "an integer")?;
        let confidence = confidence.as_primitive::<Float64Type>();
        let (occurred, received) = (
            occurred.as_primitive::<TimestampMicrosecondType>(),
            received.as_primitive::<TimestampMicrosecondType>(),
        );
        let (line, partition, offset) = (
            line.as_primitive::<Int64Type>(),
            partition.as_primitive::<Int64Type>(),
            offset.as_primitive::<Int64Type>(),
        );
        // Batches mostly hold one model version; remember the last key to skip the lookup.
        let mut last_key: Option<(usize, u16)> = None;
        for i in 0..batch.num_rows() {
            let Some(label) = labels.find(xxh3_128(ids.value(i).as_bytes())) else {
                continue;
            };
            let version = versions.get(i);
            let key = match last_key {
                Some((row, key)) if models.value(row) == models.value(i) && versions.get(row) == version => key,
                _ => {
                    let wanted = (models.value(i).to_string(), version.map(str::to_string));
                    let next = u16::try_from(keys.len()).map_err(|_| PairsError::TooManyModels)?;
                    *keys.entry(wanted).or_insert(next)
                }
            };
            last_key = Some((i, key));
            let at = occurred.value(i);
            match spans.get_mut(usize::from(key)) {
                Some(span) => {
                    *span = Span {
                        first: span.first.min(at),
                        last: span.last.max(at),
                    }
                }
                None => spans.push(Span { first: at, last: at }),
            }
            let intent = intents.intern(predicted.value(i));
            let file = files_col.get(i).map(|name| files.intern(name));
            rows.push(PairRow {
                confidence: confidence.value(i),
                received_at: if received.is_null(i) {
                    i64::MAX
                } else {
                    received.value(i)
                },
                // The file's intern id for now; replaced by its rank below.
                source: pack_source(file, line.value(i), partition.value(i) as i32, offset.value(i)),
                key,
                intent,
                correct: intent == label.true_intent,
            });
        }
    }
    drop(labels);
    let (keys, spans) = sorted_keys(keys, spans, &mut rows);
    rank_files(&files.values, &mut rows);
    Ok(LabelledPairs {
        keys,
        spans,
        intents: intents.values,
        rows,
    })
}

/// Renumbers keys (and their spans) so that their indices order as the keys do.
fn sorted_keys(
    keys: HashMap<(String, Option<String>), u16>,
    spans: Vec<Span>,
    rows: &mut [PairRow],
) -> (Vec<ModelKey>, Vec<Span>) {
    let mut by_key: Vec<(ModelKey, u16)> = keys
        .into_iter()
        .map(|((model, model_version), id)| (ModelKey { model, model_version }, id))
        .collect();
    by_key.sort();
    let mut renumber = vec![0u16; by_key.len()];
    for (rank, (_, id)) in by_key.iter().enumerate() {
        // At most u16::MAX + 1 keys were handed out, so ranks fit.
        renumber[usize::from(*id)] = rank as u16;
    }
    for row in rows.iter_mut() {
        row.key = renumber[usize::from(row.key)];
    }
    let spans = by_key.iter().map(|(_, id)| spans[usize::from(*id)]).collect();
    (by_key.into_iter().map(|(key, _)| key).collect(), spans)
}

/// Replaces file intern ids inside packed sources by the rank of the file name.
fn rank_files(files: &[String], rows: &mut [PairRow]) {
    if files.len() < 2 {
        return;
    }
    let mut order: Vec<u32> = (0..files.len() as u32).collect();
    order.sort_by(|a, b| files[*a as usize].cmp(&files[*b as usize]));
    let mut rank = vec![0u64; files.len()];
    for (r, id) in order.iter().enumerate() {
        rank[*id as usize] = r as u64;
    }
    const POSITION_BITS: u32 = 43;
    for row in rows.iter_mut().filter(|r| r.source >> 63 == 0) {
        let id = (row.source >> POSITION_BITS) as usize;
        let position = row.source & ((1 << POSITION_BITS) - 1);
        row.source = (rank[id] << POSITION_BITS) | position;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_sources_order_files_before_kafka_and_by_position() {
        let file = |rank, line| pack_source(Some(rank), line, 0, 0);
        let kafka = |partition, offset| pack_source(None, 0, partition, offset);
        let mut got = vec![
            kafka(1, 5),
            file(1, 2),
            kafka(0, 9),
            file(0, 7),
            file(1, 1),
            kafka(1, 4),
        ];
        got.sort();
        assert_eq!(
            got,
            vec![
                file(0, 7),
                file(1, 1),
                file(1, 2),
                kafka(0, 9),
                kafka(1, 4),
                kafka(1, 5)
            ]
        );
    }

    #[test]
    fn ordered_bits_follow_total_order() {
        let values = [-1.0, -0.0, 0.0, 0.1, 0.3, 0.30000000000000004, 1.0];
        for pair in values.windows(2) {
            assert!(ordered_bits(pair[0]) < ordered_bits(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn parallel_sort_equals_a_plain_sort() {
        let mut rows: Vec<PairRow> = (0..250_000u64)
            .map(|i| PairRow {
                confidence: ((i * 7919) % 1000) as f64 / 1000.0,
                received_at: ((i * 104_729) % 5000) as i64,
                source: i,
                key: 0,
                intent: 0,
                correct: i % 3 == 0,
            })
            .collect();
        let mut expected = rows.clone();
        expected.sort_by_key(|r| (ordered_bits(r.confidence), r.received_at, r.source));
        parallel_sort(&mut rows, |r| (ordered_bits(r.confidence), r.received_at, r.source));
        assert_eq!(rows, expected);
    }
}
