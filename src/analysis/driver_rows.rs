//! The answered conversations of a window for CSAT drivers, read from the lake on every
//! core (`lake_scan`): exactly what the SQL of `conversation_facts` gives for them (the
//! latest version of the facts, the latest CSAT), without a DataFusion join and window
//! function over every fact version, which took about 3 s at a million conversations.
//!
//! 1. The latest `csat_submitted` per (tenant, conversation): latest `occurred_at`, ties
//!    by greatest `event_id` (`LATEST_CSAT`), settled in a second pass over just the tied
//!    conversations so the first need not read every event id.
//! 2. Each answered conversation's latest facts version (`VERSION_RANK`: greatest
//!    `version`, then `emitted_at`); then the window on `closed_at`, and the order of the
//!    SQL (`tenant_id`, `conversation_id`), so every sum runs in the same order.

use std::collections::HashSet;
use std::path::Path;

use convolens_sinks::Table;
use datafusion::arrow::array::{Array, BooleanArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::drivers::DriverRows;
use super::lake_scan::{
    Columns, DigestMap, LakeScan, ScanError, Text, booleans, floats, integers, row_seeds, rows_equal, timestamps,
    value_at,
};
use super::latest::{LatestById, merged};
use crate::query::DRIVERS;
use crate::window::Window;

/// (tenant, conversation) as one 128-bit key: the conversation id hashed with the
/// tenant's hash as seed (`row_seeds`, once per distinct tenant of a batch).
fn conversation_key(tenant_seed: u64, conversation: &str) -> u128 {
    xxh3_128_with_seed(conversation.as_bytes(), tenant_seed)
}

/// A conversation's latest CSAT answer.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Csat {
    occurred_at: i64,
    score: Option<i64>,
    scale: Option<i64>,
    /// Another answer at the same instant differs: `event_id` decides.
    tied: bool,
}

impl Csat {
    fn csat_5(&self) -> f64 {
        match (self.score, self.scale) {
            // As `csat_5()` in SQL: doubles, so a scale of 1 gives NaN or ±inf there too.
            (Some(score), Some(scale)) => 1.0 + 4.0 * (score - 1) as f64 / (scale - 1) as f64,
            _ => f64::NAN,
        }
    }
}

fn offer_csat(held: &mut DigestMap<Csat>, key: u128, csat: Csat) {
    let entry = held.entry(key).or_insert(csat);
    if csat.occurred_at > entry.occurred_at {
        *entry = csat;
    } else if csat.occurred_at == entry.occurred_at
        && (csat.tied || (csat.score, csat.scale) != (entry.score, entry.scale))
    {
        entry.tied = true;
    }
}

const CSAT_COLUMNS: Columns<'static> = Columns {
    read: &[
        "event_type",
        "tenant_id",
        "conversation_id",
        "score",
        "scale",
        "occurred_at",
        "event_id",
    ],
    dictionary: &["event_type", "tenant_id", "conversation_id"],
};

/// Every CSAT answer of a batch: (row, conversation key, answer).
fn batch_answers(batch: &RecordBatch, mut each: impl FnMut(usize, u128, Csat)) -> Result<(), ScanError> {
    let rows = batch.num_rows();
    let is_csat = rows_equal(Text::of(batch, "event_type")?.as_ref(), rows, "csat_submitted");
    if !is_csat.contains(&true) {
        return Ok(());
    }
    let (Some(tenants), Some(conversations), Some(at)) = (
        Text::of(batch, "tenant_id")?,
        Text::of(batch, "conversation_id")?,
        timestamps(batch, "occurred_at")?,
    ) else {
        return Ok(());
    };
    let seeds = row_seeds(&tenants, rows);
    let (score, scale) = (integers(batch, "score")?, integers(batch, "scale")?);
    for i in (0..rows).filter(|&i| is_csat[i] && at.is_valid(i)) {
        let (true, Some(conversation)) = (tenants.get(i).is_some(), conversations.get(i)) else {
            continue;
        };
        let csat = Csat {
            occurred_at: at.value(i),
            score: value_at(&score, i),
            scale: value_at(&scale, i),
            tied: false,
        };
        each(i, conversation_key(seeds[i], conversation), csat);
    }
    Ok(())
}

fn latest_csat(lake: &Path) -> Result<DigestMap<Csat>, ScanError> {
    let mut columns = CSAT_COLUMNS;
    // Event ids are only read again if two answers tie.
    columns.read = &columns.read[..columns.read.len() - 1];
    let scan = LakeScan::open(&Table::Events.dir(lake), &Window::ALL, columns)?;
    let found = scan.fold(DigestMap::default, |held: &mut DigestMap<Csat>, batch| {
        batch_answers(batch, |_, key, csat| offer_csat(held, key, csat))
    })?;
    let mut latest = merged(found, offer_csat);
    let tied: HashSet<u128> = latest.iter().filter(|(_, c)| c.tied).map(|(k, _)| *k).collect();
    if !tied.is_empty() {
        let scan = LakeScan::open(&Table::Events.dir(lake), &Window::ALL, CSAT_COLUMNS)?;
        let found = scan.fold(LatestById::default, |best: &mut LatestById<Csat>, batch| {
            let Some(ids) = Text::of(batch, "event_id")? else {
                return Ok(());
            };
            batch_answers(batch, |i, key, csat| {
                if let (true, Some(id)) = (tied.contains(&key), ids.get(i)) {
                    best.offer(key, csat.occurred_at, id, csat);
                }
            })
        })?;
        let best = found.into_iter().reduce(LatestById::merge).unwrap_or_default();
        latest.extend(best.into_values());
    }
    Ok(latest)
}

/// One answered conversation's facts version.
#[derive(Debug, Clone)]
struct Fact {
    version: i64,
    emitted_at: i64,
    tenant: String,
    conversation: String,
    closed_at: Option<i64>,
    first_intent: Option<String>,
    drivers: Vec<f64>,
}

fn offer_fact(held: &mut DigestMap<Fact>, key: u128, fact: Fact) {
    let later = held
        .get(&key)
        .is_none_or(|h| (fact.version, fact.emitted_at) > (h.version, h.emitted_at));
    if later {
        held.insert(key, fact);
    }
}

/// A driver's column in a batch, read as `DRIVERS` computes it: flags are 1 or 0 (null
/// is 0, as `CASE WHEN x THEN 1.0 ELSE 0.0`), numbers are doubles (null is NaN).
enum DriverColumn {
    Flag(Option<BooleanArray>),
    Number(Option<Float64Array>),
}

/// Each driver's name and whether it is a flag, by the lake schema's type, so that a
/// column a row group lacks (all null) still reads as its type says.
fn driver_kinds() -> Vec<(&'static str, bool)> {
    let schema = Table::Conversations.schema();
    DRIVERS
        .iter()
        .map(|(name, _)| {
            let flag = schema
                .field_with_name(name)
                .is_ok_and(|f| f.data_type() == &DataType::Boolean);
            (*name, flag)
        })
        .collect()
}

impl DriverColumn {
    fn of(batch: &RecordBatch, (name, flag): (&'static str, bool)) -> Result<Self, ScanError> {
        Ok(if flag {
            DriverColumn::Flag(booleans(batch, name)?)
        } else {
            DriverColumn::Number(floats(batch, name)?)
        })
    }

    fn value(&self, i: usize) -> f64 {
        match self {
            DriverColumn::Flag(flags) => {
                let set = flags.as_ref().is_some_and(|f| f.is_valid(i) && f.value(i));
                if set { 1.0 } else { 0.0 }
            }
            DriverColumn::Number(values) => value_at(values, i).unwrap_or(f64::NAN),
        }
    }
}

/// The answered conversations of `window` (by `closed_at`), one row per conversation in
/// (`tenant_id`, `conversation_id`) order.
pub fn load(lake: &Path, window: &Window) -> Result<DriverRows, ScanError> {
    let csat = latest_csat(lake)?;
    let mut read = vec![
        "tenant_id",
        "conversation_id",
        "version",
        "emitted_at",
        "closed_at",
        "first_intent",
    ];
    read.extend(DRIVERS.iter().map(|(name, _)| *name));
    let columns = Columns {
        read: &read,
        dictionary: &["tenant_id", "first_intent"],
    };
    let kinds = driver_kinds();
    let scan = LakeScan::open(&Table::Conversations.dir(lake), &Window::ALL, columns)?;
    let found = scan.fold(DigestMap::default, |held: &mut DigestMap<Fact>, batch| {
        let rows = batch.num_rows();
        let (Some(tenants), Some(conversations), Some(versions), Some(emitted)) = (
            Text::of(batch, "tenant_id")?,
            Text::of(batch, "conversation_id")?,
            integers(batch, "version")?,
            timestamps(batch, "emitted_at")?,
        ) else {
            return Ok(());
        };
        let closed = timestamps(batch, "closed_at")?;
        let intents = Text::of(batch, "first_intent")?;
        let seeds = row_seeds(&tenants, rows);
        // Read only for batches with an answered conversation.
        let mut drivers: Option<Vec<DriverColumn>> = None;
        for (i, &seed) in seeds.iter().enumerate() {
            let (Some(tenant), Some(conversation)) = (tenants.get(i), conversations.get(i)) else {
                continue;
            };
            let key = conversation_key(seed, conversation);
            if !csat.contains_key(&key) || !versions.is_valid(i) || !emitted.is_valid(i) {
                continue;
            }
            let (version, emitted_at) = (versions.value(i), emitted.value(i));
            if held
                .get(&key)
                .is_some_and(|h| (version, emitted_at) <= (h.version, h.emitted_at))
            {
                continue;
            }
            if drivers.is_none() {
                let columns: Result<Vec<_>, _> = kinds.iter().map(|&kind| DriverColumn::of(batch, kind)).collect();
                drivers = Some(columns?);
            }
            let columns = drivers.as_ref().expect("read above");
            held.insert(
                key,
                Fact {
                    version,
                    emitted_at,
                    tenant: tenant.to_string(),
                    conversation: conversation.to_string(),
                    closed_at: value_at(&closed, i),
                    first_intent: intents.as_ref().and_then(|t| t.get(i)).map(str::to_string),
                    drivers: columns.iter().map(|c| c.value(i)).collect(),
                },
            );
        }
        Ok::<_, ScanError>(())
    })?;
    // As the SQL's `closed_at` terms: with a bound, a fact without `closed_at` is out.
    let micros = window.micros();
    let inside = |at: Option<i64>| *window == Window::ALL || at.is_some_and(|at| micros.contains(&at));
    let mut answered: Vec<(Fact, f64)> = merged(found, offer_fact)
        .into_iter()
        .filter(|(_, fact)| inside(fact.closed_at))
        .map(|(key, fact)| {
            let csat_5 = csat[&key].csat_5();
            (fact, csat_5)
        })
        .collect();
    answered.sort_by(|(a, _), (b, _)| (&a.tenant, &a.conversation).cmp(&(&b.tenant, &b.conversation)));
    let mut rows = DriverRows {
        drivers: vec![Vec::with_capacity(answered.len()); DRIVERS.len()],
        ..DriverRows::default()
    };
    for (fact, csat_5) in answered {
        rows.csat_5.push(csat_5);
        for (column, value) in rows.drivers.iter_mut().zip(fact.drivers) {
            column.push(value);
        }
        rows.first_intent.push(fact.first_intent);
    }
    Ok(rows)
}
