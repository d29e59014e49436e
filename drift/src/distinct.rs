//! Turning a batch of raw values into ascending distinct values with their counts: the first
//! and dominant cost of every numeric comparison (a million rows a side in production).
//!
//! Two paths, chosen by the data as it arrives, with the same result:
//! - while the batch has few distinct values (message counts, whole milliseconds, 0.1 s
//!   durations), they are counted in a small hash table and only the distinct values are
//!   sorted: one pass over the rows, no row-sized buffer;
//! - past [`MAX_COUNTED`] distinct values the counts spill into a buffer of every value and
//!   that buffer is sorted.
//!
//! Values are handled as [`order_key`]s, integers that sort like `f64::total_cmp`: sorting
//! `u64` needs no comparator and is measurably faster than sorting `f64` by `total_cmp`. (An
//! LSD radix sort, from the `radsort` crate or hand-written, was slower than either on the
//! production machine: its scatter passes over the 8 MB buffer are memory-bound.) Equal
//! values are grouped with `==` after sorting, as before this module existed, so −0.0 and
//! 0.0 fold into one point that keeps the first of them in that order (−0.0).

use crate::sample::WeightedValue;

/// Distinct values counted in the hash table before it spills to sorting: 65 536 slots of 16
/// bytes at most half full keep the table (1 MiB) inside the L2 cache of the production
/// machine (2 MiB a core). Measured there: a feature with 26 000 distinct values in a million
/// rows takes 8 ms with this limit and 19 ms with half of it (which spills to sorting).
const MAX_COUNTED: usize = 1 << 15;

/// Most slots the table starts with: it grows as distinct values arrive, so that a feature
/// with a handful of values probes a table that stays in the L1 cache.
const START_SLOTS: usize = 256;

/// Marks an empty slot: the order key of a NaN, which never reaches the table.
const EMPTY: u64 = u64::MAX;

/// Maps `value` to an integer with the order of `f64::total_cmp`: set the sign bit of a
/// positive value, flip all bits of a negative one.
pub(crate) fn order_key(value: f64) -> u64 {
    let bits = value.to_bits();
    let negative = ((bits as i64) >> 63) as u64;
    bits ^ (negative | (1 << 63))
}

/// Inverse of [`order_key`].
pub(crate) fn from_order_key(key: u64) -> f64 {
    let was_negative = (key >> 63) == 0;
    let mask = if was_negative { u64::MAX } else { 1 << 63 };
    f64::from_bits(key ^ mask)
}

/// A batch of finite values, collected with [`DistinctBuilder`].
#[derive(Debug)]
pub(crate) enum Distinct {
    /// Few distinct values: already ascending, equal values grouped.
    Counted(Vec<WeightedValue>),
    /// Every value's order key, ascending (with repeats).
    Sorted(Vec<u64>),
}

impl Distinct {
    /// Number of values in the batch (the sum of the weights).
    pub(crate) fn count(&self) -> u64 {
        match self {
            Distinct::Counted(points) => crate::sum::count_total(points.iter().map(|point| point.weight)),
            Distinct::Sorted(keys) => keys.len() as u64,
        }
    }

    /// Whether the batch holds more than `cap` distinct values.
    pub(crate) fn exceeds(&self, cap: usize) -> bool {
        match self {
            Distinct::Counted(points) => points.len() > cap,
            // Cheap tests first: the number of keys bounds the number of distinct values.
            Distinct::Sorted(keys) => keys.len() > cap && runs(keys).nth(cap).is_some(),
        }
    }

    /// The ascending distinct values with their counts.
    pub(crate) fn into_points(self) -> Vec<WeightedValue> {
        match self {
            Distinct::Counted(points) => points,
            Distinct::Sorted(keys) => runs(&keys).collect(),
        }
    }
}

/// Groups sorted order keys into distinct values with their counts, lazily (so that a
/// compaction can consume them without a buffer of every distinct value).
pub(crate) fn runs(keys: &[u64]) -> impl Iterator<Item = WeightedValue> + '_ {
    let mut rest = keys;
    std::iter::from_fn(move || {
        let (first, tail) = rest.split_first()?;
        let value = from_order_key(*first);
        // `==` rather than comparing keys, to fold −0.0 into 0.0 (see the module docs).
        let same = tail.iter().take_while(|key| from_order_key(**key) == value).count();
        rest = &tail[same..];
        Some(WeightedValue {
            value,
            weight: same as u64 + 1,
        })
    })
}

/// Collects finite values into a [`Distinct`] batch; see the module docs for the two paths.
#[derive(Debug)]
pub(crate) struct DistinctBuilder {
    /// The counting table while there is one; `None` once spilled.
    table: Option<CountTable>,
    keys: Vec<u64>,
    /// Rows expected in the batch: the size of the buffer when the table spills.
    expected: usize,
}

impl DistinctBuilder {
    /// A builder for about `expected` values (a hint, used to size the spill buffer).
    pub(crate) fn new(expected: usize) -> Self {
        Self {
            table: Some(CountTable::new(expected)),
            keys: Vec::new(),
            expected,
        }
    }

    /// Adds one value, which the caller has checked to be finite.
    #[inline]
    pub(crate) fn push(&mut self, value: f64) {
        let key = order_key(value);
        match &mut self.table {
            Some(table) => {
                if !table.add(key) {
                    self.spill(key);
                }
            }
            None => self.keys.push(key),
        }
    }

    /// Moves the counted values into the key buffer and continues there.
    #[cold]
    fn spill(&mut self, key: u64) {
        let Some(table) = self.table.take() else { return };
        self.keys.reserve(self.expected.max(table.total));
        for (counted, count) in table.slots.into_iter().filter(|(counted, _)| *counted != EMPTY) {
            self.keys.extend(std::iter::repeat_n(counted, count as usize));
        }
        self.keys.push(key);
    }

    pub(crate) fn finish(self) -> Distinct {
        match self.table {
            Some(table) => {
                let mut counted: Vec<(u64, u64)> = table.slots.into_iter().filter(|(key, _)| *key != EMPTY).collect();
                counted.sort_unstable_by_key(|(key, _)| *key);
                let mut points: Vec<WeightedValue> = Vec::with_capacity(counted.len());
                for (key, count) in counted {
                    let value = from_order_key(key);
                    match points.last_mut() {
                        // −0.0 and 0.0 fold, as in `runs`.
                        Some(last) if last.value == value => last.weight = last.weight.saturating_add(count),
                        _ => points.push(WeightedValue { value, weight: count }),
                    }
                }
                Distinct::Counted(points)
            }
            None => {
                let mut keys = self.keys;
                keys.sort_unstable();
                Distinct::Sorted(keys)
            }
        }
    }
}

/// Open addressing with linear probing over (key, count) slots, kept at most half full.
#[derive(Debug)]
struct CountTable {
    slots: Vec<(u64, u64)>,
    /// log2 of the number of slots.
    bits: u32,
    distinct: usize,
    /// Values added (for sizing the spill buffer).
    total: usize,
}

impl CountTable {
    fn new(expected: usize) -> Self {
        // Twice the expected values, so a small batch never grows the table.
        let slots = expected.saturating_mul(2).clamp(16, START_SLOTS).next_power_of_two();
        Self {
            slots: vec![(EMPTY, 0); slots],
            bits: slots.trailing_zeros(),
            distinct: 0,
            total: 0,
        }
    }

    /// Counts `key`; `false` (and nothing counted) when it would be distinct value number
    /// [`MAX_COUNTED`] + 1.
    #[inline]
    fn add(&mut self, key: u64) -> bool {
        let mask = self.slots.len() - 1;
        let mut index = self.slot_of(key);
        loop {
            let slot = &mut self.slots[index];
            if slot.0 == key {
                slot.1 += 1;
                self.total += 1;
                return true;
            }
            if slot.0 == EMPTY {
                if self.distinct == MAX_COUNTED {
                    return false;
                }
                *slot = (key, 1);
                self.distinct += 1;
                self.total += 1;
                if self.distinct * 2 > self.slots.len() {
                    self.grow();
                }
                return true;
            }
            index = (index + 1) & mask;
        }
    }

    /// Fibonacci hashing on a key folded onto itself: values with few significant bits
    /// (whole numbers) differ only in their high bits, which the fold brings down.
    fn slot_of(&self, key: u64) -> usize {
        ((key ^ (key >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    fn grow(&mut self) {
        let doubled = vec![(EMPTY, 0); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.bits += 1;
        let mask = self.slots.len() - 1;
        for (key, count) in old.into_iter().filter(|(key, _)| *key != EMPTY) {
            let mut index = self.slot_of(key);
            while self.slots[index].0 != EMPTY {
                index = (index + 1) & mask;
            }
            self.slots[index] = (key, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points_of(values: &[f64]) -> Vec<(u64, u64)> {
        let mut builder = DistinctBuilder::new(values.len());
        for value in values {
            builder.push(*value);
        }
        builder
            .finish()
            .into_points()
            .iter()
            .map(|point| (point.value.to_bits(), point.weight))
            .collect()
    }

    /// What the samples did before this module: sort by `total_cmp`, group with `==`.
    fn by_total_cmp(values: &[f64]) -> Vec<(u64, u64)> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut points: Vec<(f64, u64)> = Vec::new();
        for value in sorted {
            match points.last_mut() {
                Some(last) if last.0 == value => last.1 += 1,
                _ => points.push((value, 1)),
            }
        }
        points
            .into_iter()
            .map(|(value, weight)| (value.to_bits(), weight))
            .collect()
    }

    #[test]
    fn order_keys_sort_like_total_cmp_and_round_trip() {
        let values = [
            f64::MIN,
            -1.5,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            1.0,
            f64::MAX,
            f64::NEG_INFINITY,
            f64::INFINITY,
        ];
        for a in values {
            assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
            for b in values {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn both_paths_equal_sorting_by_total_cmp() {
        // Few distinct values (counted), then many (spilled), then distinct values that only
        // appear after most rows were counted; signed zeros throughout.
        let few: Vec<f64> = (0..10_000).map(|i| [0.0, -0.0, 2.5, -7.0, 1e300][i % 5]).collect();
        let many: Vec<f64> = (0..50_000).map(|i| f64::from((i * 7919) % 40_000) - 0.0).collect();
        let mut late: Vec<f64> = (0..30_000).map(|i| f64::from(i % 3)).collect();
        late.extend((0..20_000).map(|i| -f64::from(i) * 0.5));
        late.push(-0.0);
        for values in [&few[..], &many, &late, &[], &[-0.0], &[0.0, -0.0, 0.0]] {
            assert_eq!(points_of(values), by_total_cmp(values), "{} values", values.len());
        }
    }

    #[test]
    fn exceeds_counts_distinct_values_not_rows() {
        let mut builder = DistinctBuilder::new(0);
        for i in 0..(3 * MAX_COUNTED) {
            builder.push((i % (MAX_COUNTED + 10)) as f64);
        }
        let batch = builder.finish();
        assert!(matches!(batch, Distinct::Sorted(_)));
        assert_eq!(batch.count(), 3 * MAX_COUNTED as u64);
        assert!(batch.exceeds(MAX_COUNTED + 9));
        assert!(!batch.exceeds(MAX_COUNTED + 10));
    }
}
