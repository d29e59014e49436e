//! The latest label of every prediction (METRICS §4: the latest `intent_labeled` per
//! `prediction_event_id` wins), read from `events` on all cores into a hash table keyed by
//! the 128-bit xxh3 digest of `prediction_event_id`.
//!
//! The table is split into shards by the digest's top bits, one per core, so the shards
//! are built in parallel and probed read-only by every core afterwards (`label_table`). Ties on
//! `occurred_at` (same instant, different intents) are settled by `event_id` in a second
//! pass over just those ids, so the table need not keep label ids.

use std::collections::HashSet;
use std::sync::Mutex;

use datafusion::arrow::array::{Array, RecordBatch};
use xxhash_rust::xxh3::xxh3_128;

use super::label_table::{Label, LabelTable};
use super::lake_scan::{Columns, Interner, LakeScan, Text, intern_rows, rows_equal, timestamps};
use super::latest::LatestById;
use super::pairs::PairsError;
use crate::window::Window;

/// The true intent of the latest label of every labelled prediction, by digest of its id.
pub struct Labels {
    shards: Vec<LabelTable>,
}

fn shard_of(digest: u128, shards: usize) -> usize {
    // The top bits: the tables place by the low 64, so a shard's digests still spread.
    ((digest >> 96) as usize) % shards
}

/// How many probes have their cache misses in flight at once: about what a core can
/// track (10–12 line fill buffers), with slack for the hits among them.
const TOUCH_GROUP: usize = 16;

/// Each item's table, its cache misses overlapped a group at a time (see
/// [`LabelTable::touch`]).
fn each_touched<T>(tables: &[LabelTable], items: &[T], digest: impl Fn(&T) -> u128, mut each: impl FnMut(&T)) {
    for group in items.chunks(TOUCH_GROUP) {
        let touched = group.iter().fold(0, |acc, item| {
            let d = digest(item);
            acc ^ tables[shard_of(d, tables.len())].touch(d)
        });
        std::hint::black_box(touched);
        group.iter().for_each(&mut each);
    }
}

impl Labels {
    /// The interned true intent of the prediction with this id digest, if labelled.
    pub fn find(&self, digest: u128) -> Option<u32> {
        self.shards[shard_of(digest, self.shards.len())].find(digest)
    }

    /// [`Labels::find`] of each digest, into `found`.
    pub fn find_each(&self, digests: &[u128], found: &mut Vec<Option<u32>>) {
        found.clear();
        each_touched(&self.shards, digests, |&d| d, |&d| found.push(self.find(d)));
    }

    /// How many predictions have a label.
    pub fn len(&self) -> usize {
        self.shards.iter().map(LabelTable::len).sum()
    }
}

const LABEL_COLUMNS: Columns<'static> = Columns {
    read: &["event_type", "prediction_event_id", "true_intent", "occurred_at"],
    dictionary: &["event_type", "true_intent"],
};

/// Labels in chunks, per shard: chunks never move once full, so collecting ten million
/// labels copies none of them, and the shard builders know their sizes exactly.
type Chunks = Vec<Vec<Label>>;
const CHUNK: usize = 1 << 16;

fn shard_count() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Every label's (digest, time, interned intent), per row, from one batch.
fn batch_labels(
    batch: &RecordBatch,
    intents: &Mutex<Interner>,
    mut each: impl FnMut(usize, Label),
) -> Result<(), PairsError> {
    let rows = batch.num_rows();
    let is_label = rows_equal(Text::of(batch, "event_type")?.as_ref(), rows, "intent_labeled");
    let Some(ids) = Text::of(batch, "prediction_event_id")? else {
        return Ok(());
    };
    let Some(at) = timestamps(batch, "occurred_at")? else {
        return Ok(());
    };
    let truths = intern_rows(Text::of(batch, "true_intent")?.as_ref(), rows, intents);
    for i in 0..rows {
        let (true, Some(id), Some(true_intent), true) = (is_label[i], ids.get(i), truths[i], at.is_valid(i)) else {
            continue;
        };
        let label = Label {
            digest: xxh3_128(id.as_bytes()),
            occurred_at: at.value(i),
            true_intent,
        };
        each(i, label);
    }
    Ok(())
}

/// Reads every label of the lake (labels count whenever they arrive, so no window).
pub fn load(events_dir: &std::path::Path, intents: &Mutex<Interner>) -> Result<Labels, PairsError> {
    let scan = LakeScan::open(events_dir, &Window::ALL, LABEL_COLUMNS)?;
    let shard_count = shard_count();
    let collected = scan.fold(
        || vec![Chunks::new(); shard_count],
        |chunks: &mut Vec<Chunks>, batch| {
            batch_labels(batch, intents, |_, label| {
                let shard = &mut chunks[shard_of(label.digest, shard_count)];
                if shard.last().is_none_or(|c| c.len() == CHUNK) {
                    shard.push(Vec::with_capacity(CHUNK));
                }
                shard.last_mut().expect("a chunk was just pushed").push(label);
            })
        },
    )?;
    let mut shards = build_shards(collected, shard_count)?;
    let tied: HashSet<u128> = shards.iter().flat_map(|s| s.tied.iter().copied()).collect();
    if !tied.is_empty() {
        settle_ties(events_dir, &mut shards, &tied, intents)?;
    }
    shards.iter_mut().for_each(LabelTable::freeze);
    Ok(Labels { shards })
}

/// `f` of each item, each on its own thread.
fn in_parallel<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.into_iter().map(|item| scope.spawn(move || f(item))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// Builds shard `s` from every worker's chunks for `s`, one thread per shard, freeing
/// each chunk once offered.
fn build_shards(collected: Vec<Vec<Chunks>>, shards: usize) -> Result<Vec<LabelTable>, PairsError> {
    let mut per_shard: Vec<Vec<Vec<Label>>> = (0..shards).map(|_| Vec::new()).collect();
    for worker in collected {
        for (s, chunks) in worker.into_iter().enumerate() {
            per_shard[s].extend(chunks);
        }
    }
    in_parallel(per_shard, |chunks| {
        let mut table = LabelTable::with_capacity(chunks.iter().map(Vec::len).sum()).map_err(PairsError::Memory)?;
        for chunk in chunks {
            for group in chunk.chunks(TOUCH_GROUP) {
                let touched = group.iter().fold(0, |acc, label| acc ^ table.touch(label.digest));
                std::hint::black_box(touched);
                group.iter().for_each(|&label| table.offer(label));
            }
        }
        Ok(table)
    })
    .into_iter()
    .collect()
}

/// Labels of one prediction at the same instant with different intents: the greatest
/// `event_id` wins (METRICS' "latest", as the `calibration_pairs` view orders it).
fn settle_ties(
    events_dir: &std::path::Path,
    shards: &mut [LabelTable],
    tied: &HashSet<u128>,
    intents: &Mutex<Interner>,
) -> Result<(), PairsError> {
    const COLUMNS: Columns<'static> = Columns {
        read: &[
            "event_id",
            "event_type",
            "prediction_event_id",
            "true_intent",
            "occurred_at",
        ],
        dictionary: &["event_type", "true_intent"],
    };
    let scan = LakeScan::open(events_dir, &Window::ALL, COLUMNS)?;
    let found = scan.fold(LatestById::default, |best: &mut LatestById<u32>, batch| {
        let Some(event_ids) = Text::of(batch, "event_id")? else {
            return Ok(());
        };
        batch_labels(batch, intents, |i, label| {
            if let (true, Some(event_id)) = (tied.contains(&label.digest), event_ids.get(i)) {
                best.offer(label.digest, label.occurred_at, event_id, label.true_intent);
            }
        })
    })?;
    let best = found.into_iter().reduce(LatestById::merge).unwrap_or_default();
    for (digest, true_intent) in best.into_values() {
        let count = shards.len();
        shards[shard_of(digest, count)].set_intent(digest, true_intent);
    }
    Ok(())
}
