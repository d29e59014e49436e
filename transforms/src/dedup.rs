//! De-duplication by `event_id` with memory bounded by event time.
//!
//! Delivery upstream is at least once (EVENTS.md), so the same `event_id` may arrive many
//! times, minutes or hours apart. Remembering every id forever would grow without bound;
//! remembering them for a fixed number of events would make the answer depend on traffic.
//! Instead an id is remembered while its event's `occurred_at` is within `dedup_horizon`
//! of the watermark, and anything older is refused as too late to check.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use convolens_core::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ids are grouped into buckets of this much event time, so that eviction pops whole
/// buckets instead of keeping one tree node per distinct timestamp.
const BUCKET_MICROS: i64 = 1_000_000;

/// What to do with an event, as far as uniqueness goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupVerdict {
    /// First arrival of this `event_id`: it is now remembered.
    New,
    /// The id was seen before; the first arrival wins and this copy changes nothing.
    Duplicate,
    /// `occurred_at` is older than the horizon behind the watermark: its id may already be
    /// forgotten, so uniqueness cannot be checked. The caller dead-letters it.
    TooLate,
}

/// Remembers the `event_id`s of recent events.
///
/// Guarantee: de-duplication is exact for every event whose `occurred_at` is within
/// `dedup_horizon` of the watermark W, i.e. `occurred_at >= W - dedup_horizon`: such an
/// event is [`DedupVerdict::Duplicate`] if and only if an event with the same id was
/// [`DedupVerdict::New`] before (ids are compared by their 128-bit xxh3 hash; a collision
/// is not a practical concern). An event with `occurred_at < W - dedup_horizon` is
/// [`DedupVerdict::TooLate`], whether or not its id is still remembered, so the verdict
/// never depends on when eviction happened to run. Nothing is dropped silently.
///
/// Memory: an id is forgotten once the watermark has passed its `occurred_at` by
/// `dedup_horizon` (rounded up to a one-second bucket). Eviction costs O(evicted).
#[derive(Debug, Clone)]
pub struct Deduplicator {
    dedup_horizon: Duration,
    seen: HashSet<u128>,
    /// Bucket (floor of `occurred_at` in seconds) → ids first seen with an `occurred_at`
    /// in it; the eviction order.
    buckets: BTreeMap<i64, Vec<u128>>,
}

impl Deduplicator {
    pub fn new(dedup_horizon: Duration) -> Self {
        Deduplicator {
            dedup_horizon,
            seen: HashSet::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// Classifies an event and, if it is [`DedupVerdict::New`], remembers its id.
    /// `watermark` is the current watermark (`None` before any event: nothing is too late).
    pub fn check(&mut self, event_id: &str, occurred_at: Timestamp, watermark: Option<Timestamp>) -> DedupVerdict {
        if watermark.is_some_and(|w| occurred_at < self.cutoff(w)) {
            return DedupVerdict::TooLate;
        }
        let id = id_hash(event_id);
        if !self.seen.insert(id) {
            return DedupVerdict::Duplicate;
        }
        self.buckets.entry(bucket_of(occurred_at)).or_default().push(id);
        DedupVerdict::New
    }

    /// Whether an id is currently remembered.
    pub fn contains(&self, event_id: &str) -> bool {
        self.seen.contains(&id_hash(event_id))
    }

    /// Forgets the ids that can no longer be asked about at this watermark (every event
    /// that could carry them would be too late). Returns how many were forgotten.
    pub fn advance(&mut self, watermark: Timestamp) -> usize {
        // A bucket may go once all of it is older than the cutoff: its end is at or before it.
        let first_kept_bucket = bucket_of(self.cutoff(watermark));
        let mut evicted = 0;
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() >= first_kept_bucket {
                break;
            }
            for id in entry.remove() {
                self.seen.remove(&id);
                evicted += 1;
            }
        }
        evicted
    }

    /// Number of ids remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    pub fn dedup_horizon(&self) -> Duration {
        self.dedup_horizon
    }

    fn cutoff(&self, watermark: Timestamp) -> Timestamp {
        watermark.saturating_sub(self.dedup_horizon)
    }
}

fn id_hash(event_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(event_id.as_bytes())
}

fn bucket_of(at: Timestamp) -> i64 {
    at.micros().div_euclid(BUCKET_MICROS)
}

/// The checkpoint form: the buckets alone, since the id set is rebuilt from them. Ids are
/// written as two u64 halves so that any JSON reader keeps them exact.
#[derive(Serialize, Deserialize)]
struct DedupCheckpoint {
    dedup_horizon: Duration,
    buckets: Vec<(i64, Vec<[u64; 2]>)>,
}

fn split(id: u128) -> [u64; 2] {
    [(id >> 64) as u64, id as u64]
}

fn join([high, low]: [u64; 2]) -> u128 {
    (u128::from(high) << 64) | u128::from(low)
}

impl Serialize for Deduplicator {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let buckets = self
            .buckets
            .iter()
            .map(|(bucket, ids)| (*bucket, ids.iter().map(|id| split(*id)).collect()));
        DedupCheckpoint {
            dedup_horizon: self.dedup_horizon,
            buckets: buckets.collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Deduplicator {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let checkpoint = DedupCheckpoint::deserialize(deserializer)?;
        let mut dedup = Deduplicator::new(checkpoint.dedup_horizon);
        for (bucket, ids) in checkpoint.buckets {
            let ids: Vec<u128> = ids.into_iter().map(join).collect();
            dedup.seen.extend(ids.iter().copied());
            dedup.buckets.entry(bucket).or_default().extend(ids);
        }
        Ok(dedup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at_secs(secs: i64) -> Timestamp {
        Timestamp::from_micros(secs * 1_000_000)
    }

    #[test]
    fn first_arrival_wins_and_later_copies_are_duplicates() {
        let mut dedup = Deduplicator::new(HOUR);
        assert_eq!(dedup.check("a", at_secs(100), None), DedupVerdict::New);
        assert_eq!(
            dedup.check("a", at_secs(100), Some(at_secs(50))),
            DedupVerdict::Duplicate
        );
        assert_eq!(dedup.check("b", at_secs(100), Some(at_secs(50))), DedupVerdict::New);
        assert_eq!(dedup.len(), 2);
    }

    #[test]
    fn too_late_is_decided_by_occurred_at_alone() {
        let mut dedup = Deduplicator::new(HOUR);
        let watermark = at_secs(10_000);
        // Exactly at the cutoff is still checkable; one microsecond older is not.
        let cutoff = at_secs(10_000 - 3600);
        assert_eq!(dedup.check("x", cutoff, Some(watermark)), DedupVerdict::New);
        let older = Timestamp::from_micros(cutoff.micros() - 1);
        assert_eq!(dedup.check("y", older, Some(watermark)), DedupVerdict::TooLate);
        assert!(!dedup.contains("y"), "a too-late event must not be remembered");
        // Even a remembered id is too late once its copy is older than the cutoff.
        assert_eq!(dedup.check("x", older, Some(watermark)), DedupVerdict::TooLate);
    }

    #[test]
    fn eviction_forgets_only_ids_behind_the_horizon() {
        let mut dedup = Deduplicator::new(HOUR);
        dedup.check("old", at_secs(1_000), None);
        dedup.check("edge", at_secs(2_000), None);
        dedup.check("new", at_secs(5_000), None);
        // Cutoff 2_000 s: "old" is behind it, "edge" is exactly at it and must stay.
        assert_eq!(dedup.advance(at_secs(2_000 + 3600)), 1);
        assert!(!dedup.contains("old"));
        assert!(dedup.contains("edge"));
        assert!(dedup.contains("new"));
        assert_eq!(dedup.advance(at_secs(2_001 + 3600)), 1);
        assert!(!dedup.contains("edge"));
        assert_eq!(dedup.len(), 1);
        assert_eq!(dedup.buckets.len(), 1);
    }

    #[test]
    fn extreme_timestamps_do_not_panic() {
        let mut dedup = Deduplicator::new(Duration::MAX);
        // The cutoff saturates: at W = MIN nothing is too late.
        assert_eq!(
            dedup.check("a", Timestamp::MIN, Some(Timestamp::MIN)),
            DedupVerdict::New
        );
        assert_eq!(
            dedup.check("b", Timestamp::MAX, Some(Timestamp::MAX)),
            DedupVerdict::New
        );
        // At W = MAX the cutoff is MAX - i64::MAX micros = 0, so "a" goes and "b" stays.
        assert_eq!(dedup.advance(Timestamp::MAX), 1);
        assert!(dedup.contains("b"));
        let mut dedup = Deduplicator::new(Duration::ZERO);
        dedup.check("a", Timestamp::MIN, None);
        dedup.check("b", Timestamp::MAX, None);
        assert_eq!(dedup.advance(Timestamp::MAX), 1);
        assert!(dedup.contains("b"));
    }

    #[test]
    fn checkpoint_round_trip_keeps_every_id() {
        let mut dedup = Deduplicator::new(HOUR);
        for i in 0..50 {
            dedup.check(&format!("id-{i}"), at_secs(i * 7), None);
        }
        let json = serde_json::to_string(&dedup).expect("serialises");
        let mut restored: Deduplicator = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(restored.len(), 50);
        assert_eq!(restored.dedup_horizon(), HOUR);
        for i in 0..50 {
            assert!(restored.contains(&format!("id-{i}")));
        }
        // Buckets came back too: eviction still works after a restore.
        assert_eq!(restored.advance(at_secs(3600 + 7 * 10)), 10);
        assert_eq!(restored.check("id-49", at_secs(49 * 7), None), DedupVerdict::Duplicate);
    }
}
