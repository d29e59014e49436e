//! Labelled predictions (METRICS §4 pairs) read straight from `events`, for
//! `convolens calibrate` at lake scale.
//!
//! The `calibration_pairs` view says the same in SQL, but DataFusion plans the latest
//! label per prediction as a window function, i.e. a sort of every label by a string key,
//! then sorts the pairs again for arrival order: at ten million predictions that is tens
//! of seconds and well over a gigabyte. Here the latest label of each prediction goes
//! into a table keyed by the xxh3-128 digest of `prediction_event_id`, holding 96 bits of
//! it and the interned true intent (`pair_labels`, `label_table`: a false match among 10⁷
//! ids has probability about 10⁻¹⁵); predictions stream past it and become 32-byte rows.
//! Both passes read the Parquet files on every core, each core folding the row groups it
//! decoded (`lake_scan`). Tests keep the command's numbers equal to the views' (day by day on
//! generated traffic, and on relabels and same-instant label ties).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use convolens_sinks::Table;
use datafusion::arrow::array::{Array, RecordBatch};
use xxhash_rust::xxh3::xxh3_128;

use super::calibration::ModelKey;
use super::lake_scan::{
    Columns, Interner, LakeScan, ScanError, Text, floats, integers, intern_rows, rows_equal, timestamps, value_at,
};
use super::pair_labels::{self, Labels};
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
    #[error("more than 65,536 (model, model_version) pairs among the predictions")]
    TooManyModels,
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("allocating the label table: {0}")]
    Memory(std::io::Error),
}

const PREDICTION_COLUMNS: Columns<'static> = Columns {
    read: &[
        "event_id",
        "event_type",
        "model",
        "model_version",
        "intent",
        "confidence",
        "occurred_at",
        "received_at",
        "source_file",
        "source_line",
        "source_partition",
        "source_offset",
    ],
    dictionary: &["event_type", "model", "model_version", "intent", "source_file"],
};

/// Strings shared by the scan's workers; each takes a lock once per batch.
#[derive(Default)]
struct SharedIds {
    intents: Mutex<Interner>,
    /// Model names and versions.
    models: Mutex<Interner>,
    files: Mutex<Interner>,
    /// (model id, version id) to key index, handed out in order of appearance.
    keys: Mutex<HashMap<(u32, Option<u32>), u16>>,
}

impl SharedIds {
    fn key(&self, model: u32, version: Option<u32>) -> Result<u16, PairsError> {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let next = u16::try_from(keys.len()).map_err(|_| PairsError::TooManyModels)?;
        Ok(*keys.entry((model, version)).or_insert(next))
    }
}

/// One scan worker's share: its spans by key index (rows go straight to the shared vector).
#[derive(Default)]
struct Worker {
    spans: Vec<Option<Span>>,
    keys: HashMap<(u32, Option<u32>), u16>,
    batch: Vec<PairRow>,
    /// Rows of the current batch that are predictions in the window, their ids' digests
    /// and the labels found for them.
    candidates: Vec<usize>,
    digests: Vec<u128>,
    found: Vec<Option<u32>>,
}

impl Worker {
    fn widen(&mut self, key: u16, at: i64) {
        let key = usize::from(key);
        if self.spans.len() <= key {
            self.spans.resize(key + 1, None);
        }
        let span = &mut self.spans[key];
        *span = Some(match *span {
            Some(s) => Span {
                first: s.first.min(at),
                last: s.last.max(at),
            },
            None => Span { first: at, last: at },
        });
    }
}

/// The pairs of one batch of events, appended to `worker.batch`.
fn batch_pairs(
    batch: &RecordBatch,
    labels: &Labels,
    ids: &SharedIds,
    window: &Range<i64>,
    worker: &mut Worker,
) -> Result<(), PairsError> {
    let rows = batch.num_rows();
    let is_prediction = rows_equal(Text::of(batch, "event_type")?.as_ref(), rows, "intent_predicted");
    let (Some(event_ids), Some(confidence), Some(occurred)) = (
        Text::of(batch, "event_id")?,
        floats(batch, "confidence")?,
        timestamps(batch, "occurred_at")?,
    ) else {
        return Ok(());
    };
    let received = timestamps(batch, "received_at")?;
    let models = intern_rows(Text::of(batch, "model")?.as_ref(), rows, &ids.models);
    let versions = intern_rows(Text::of(batch, "model_version")?.as_ref(), rows, &ids.models);
    let intents = intern_rows(Text::of(batch, "intent")?.as_ref(), rows, &ids.intents);
    let files = intern_rows(Text::of(batch, "source_file")?.as_ref(), rows, &ids.files);
    let (line, partition, offset) = (
        integers(batch, "source_line")?,
        integers(batch, "source_partition")?,
        integers(batch, "source_offset")?,
    );
    worker.candidates.clear();
    worker.digests.clear();
    for i in 0..rows {
        let (true, Some(_), Some(_), Some(id), true) = (
            is_prediction[i] && confidence.is_valid(i) && occurred.is_valid(i),
            models[i],
            intents[i],
            event_ids.get(i),
            window.contains(&occurred.value(i)),
        ) else {
            continue;
        };
        worker.candidates.push(i);
        worker.digests.push(xxh3_128(id.as_bytes()));
    }
    labels.find_each(&worker.digests, &mut worker.found);
    let (candidates, found) = (
        std::mem::take(&mut worker.candidates),
        std::mem::take(&mut worker.found),
    );
    for (&i, &found) in candidates.iter().zip(&found) {
        let (Some(true_intent), Some(model), Some(intent)) = (found, models[i], intents[i]) else {
            continue;
        };
        let key = match worker.keys.get(&(model, versions[i])) {
            Some(&key) => key,
            None => {
                let key = ids.key(model, versions[i])?;
                worker.keys.insert((model, versions[i]), key);
                key
            }
        };
        worker.widen(key, occurred.value(i));
        worker.batch.push(PairRow {
            confidence: confidence.value(i),
            received_at: value_at(&received, i).unwrap_or(i64::MAX),
            // The file's intern id for now; replaced by its rank once all are known.
            source: pack_source(
                files[i],
                value_at(&line, i).unwrap_or(0),
                value_at(&partition, i).unwrap_or(0) as i32,
                value_at(&offset, i).unwrap_or(0),
            ),
            key,
            intent,
            correct: intent == true_intent,
        });
    }
    (worker.candidates, worker.found) = (candidates, found);
    Ok(())
}

/// The labelled predictions whose prediction time is inside `window`, in no particular
/// order (see [`LabelledPairs::sort_by_arrival`] and [`LabelledPairs::sort_by_confidence`]).
pub fn load(lake: &Path, window: &Window) -> Result<LabelledPairs, PairsError> {
    let events_dir = Table::Events.dir(lake);
    let ids = SharedIds::default();
    let labels = pair_labels::load(&events_dir, &ids.intents)?;
    // At most one pair per labelled prediction: an upper bound that costs no scan.
    let rows = Mutex::new(Vec::with_capacity(labels.len()));
    let micros = window.micros();
    let scan = LakeScan::open(&events_dir, window, PREDICTION_COLUMNS)?;
    let workers = scan.fold(Worker::default, |worker: &mut Worker, batch| {
        batch_pairs(batch, &labels, &ids, &micros, worker)?;
        rows.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(worker.batch.drain(..));
        Ok::<_, PairsError>(())
    })?;
    drop(labels);
    let mut rows = rows.into_inner().unwrap_or_else(PoisonError::into_inner);
    let mut spans: Vec<Option<Span>> = Vec::new();
    for worker in workers {
        spans.resize(spans.len().max(worker.spans.len()), None);
        for (held, span) in spans.iter_mut().zip(worker.spans) {
            *held = match (*held, span) {
                (Some(a), Some(b)) => Some(Span {
                    first: a.first.min(b.first),
                    last: a.last.max(b.last),
                }),
                (a, b) => a.or(b),
            };
        }
    }
    // Every key was handed out for a row, whose worker widened its span.
    let spans: Vec<Span> = spans.into_iter().flatten().collect();
    let models = ids.models.into_inner().unwrap_or_else(PoisonError::into_inner).values;
    let keys = ids
        .keys
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|((model, version), key)| {
            let text = |id: u32| models[id as usize].clone();
            ((text(model), version.map(text)), key)
        })
        .collect();
    let (keys, spans) = sorted_keys(keys, spans, &mut rows);
    let files = ids.files.into_inner().unwrap_or_else(PoisonError::into_inner).values;
    rank_files(&files, &mut rows);
    Ok(LabelledPairs {
        keys,
        spans,
        intents: ids.intents.into_inner().unwrap_or_else(PoisonError::into_inner).values,
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
