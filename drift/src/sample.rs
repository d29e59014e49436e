//! A sorted, weighted sample of one side of a numeric feature: what KS, Wasserstein, the
//! reference's standard deviation and its quantile edges are computed from.
//!
//! Values are kept as distinct values with their multiplicities, so features with few
//! distinct values (message counts, whole milliseconds) stay exact at any volume. Only when
//! the number of *distinct* values exceeds the cap (default 200 000) is the sample compacted,
//! deterministically: neighbouring values are grouped into runs holding at most about
//! 4/cap of the mass and each run is replaced by its weighted median. From then on the sample
//! is marked approximate: the empirical CDF of a run moves by at most the run's mass, so KS
//! shifts by about 4/cap per compaction and Wasserstein by about that share of the runs'
//! spread; bin counts (hence PSI and JS) move by up to a run's mass per edge, because a run
//! straddling an edge lands wholly on one side. With cap = 1000 on 20 000 normal values the
//! reference tests see KS off by 4e-4, Wasserstein by 0.1 %, PSI by 2 %. Below the cap every
//! statistic is exact.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

use crate::bins;
use crate::distinct::{Distinct, DistinctBuilder, runs};
use crate::error::DriftError;
use crate::histogram::NumericHistogram;
use crate::sum::{count_total, pairwise_sum_of};

/// Distinct values kept before compaction starts; exact below this.
pub const DEFAULT_SAMPLE_CAP: usize = 200_000;

/// Smallest cap accepted; compaction halves the sample, which needs room to halve into.
pub const MIN_SAMPLE_CAP: usize = 16;

/// A value and how many observations it stands for. Serialised as `[value, weight]` because a
/// profile can hold hundreds of thousands of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "(f64, u64)", into = "(f64, u64)")]
pub struct WeightedValue {
    pub value: f64,
    pub weight: u64,
}

impl From<(f64, u64)> for WeightedValue {
    fn from((value, weight): (f64, u64)) -> Self {
        Self { value, weight }
    }
}

impl From<WeightedValue> for (f64, u64) {
    fn from(point: WeightedValue) -> Self {
        (point.value, point.weight)
    }
}

/// Finite values, ascending, distinct, with positive weights summing to `count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SampleFields", deny_unknown_fields)]
pub struct EmpiricalSample {
    points: Vec<WeightedValue>,
    count: u64,
    cap: usize,
    exact: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleFields {
    points: Vec<WeightedValue>,
    count: u64,
    cap: usize,
    exact: bool,
}

impl TryFrom<SampleFields> for EmpiricalSample {
    type Error = DriftError;

    fn try_from(fields: SampleFields) -> Result<Self, Self::Error> {
        let invalid = |reason: String| Err(DriftError::InvalidSample { reason });
        if fields.cap < MIN_SAMPLE_CAP || fields.points.len() > fields.cap {
            return invalid(format!("{} points for cap {}", fields.points.len(), fields.cap));
        }
        let mut total: u64 = 0;
        for (i, point) in fields.points.iter().enumerate() {
            let ascending = i == 0 || fields.points[i - 1].value < point.value;
            if !point.value.is_finite() || point.weight == 0 || !ascending {
                return invalid(format!(
                    "point {i} ({}, {}) breaks the order or is empty",
                    point.value, point.weight
                ));
            }
            total = total.saturating_add(point.weight);
        }
        if total != fields.count {
            return invalid(format!("weights add up to {total}, count says {}", fields.count));
        }
        Ok(Self {
            points: fields.points,
            count: fields.count,
            cap: fields.cap,
            exact: fields.exact,
        })
    }
}

impl Default for EmpiricalSample {
    fn default() -> Self {
        Self::new(DEFAULT_SAMPLE_CAP)
    }
}

impl EmpiricalSample {
    /// An empty sample keeping up to `cap` distinct values exactly (at least [`MIN_SAMPLE_CAP`]).
    pub fn new(cap: usize) -> Self {
        Self {
            points: Vec::new(),
            count: 0,
            cap: cap.max(MIN_SAMPLE_CAP),
            exact: true,
        }
    }

    pub fn from_values(values: &[f64], cap: usize) -> Self {
        let mut sample = Self::new(cap);
        sample.extend(values.iter().copied());
        sample
    }

    /// Adds a batch. Non-finite values are skipped (callers count them as nulls). Sorting the
    /// batch and merging it in costs O(b log b + distinct values), so feed whole batches rather
    /// than single values where you can.
    pub fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        let values = values.into_iter();
        let mut batch = DistinctBuilder::new(values.size_hint().0);
        values.filter(|v| v.is_finite()).for_each(|v| batch.push(v));
        self.extend_distinct(batch.finish());
    }

    /// Adds a batch of finite values already grouped by [`DistinctBuilder`].
    pub(crate) fn extend_distinct(&mut self, batch: Distinct) {
        let added = batch.count();
        if added == 0 {
            return;
        }
        self.count = self.count.saturating_add(added);
        if self.points.is_empty()
            && let Distinct::Sorted(keys) = &batch
            && batch.exceeds(self.cap)
        {
            // A first batch too large to keep: compact it straight from the sorted values,
            // without first materialising every distinct value (16 MB for a million).
            self.points = compact(runs(keys), self.count, self.cap);
            self.exact = false;
        } else if self.points.is_empty() {
            self.points = batch.into_points();
        } else {
            self.points = merge_runs(&self.points, &batch.into_points());
        }
        self.compact_if_needed();
    }

    pub fn add(&mut self, value: f64) {
        self.extend([value]);
    }

    /// Adds another window's sample (the cap stays this sample's).
    pub fn merge(&mut self, other: &EmpiricalSample) {
        if other.points.is_empty() {
            return;
        }
        self.count = self.count.saturating_add(other.count);
        self.exact &= other.exact;
        if self.points.is_empty() && other.points.len() > self.cap {
            // What merging into nothing and then compacting gives, without the copy.
            self.points = compact(other.points.iter().copied(), self.count, self.cap);
            self.exact = false;
        } else {
            self.points = merge_runs(&self.points, &other.points);
        }
        self.compact_if_needed();
    }

    /// Number of observations (the sum of the weights).
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether every observation is still held at its own value (no compaction happened).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn points(&self) -> &[WeightedValue] {
        &self.points
    }

    /// Edges at this sample's quantiles, as [`bins::quantile_edges`] would give on the
    /// expanded values.
    pub fn quantile_edges(&self, bins: usize) -> Vec<f64> {
        let ranks = Ranks::new(&self.points);
        bins::edges_from_sorted(self.count, bins, |index| ranks.value_at(index))
    }

    /// Population standard deviation (numpy's default `std`, ddof = 0); `None` when empty.
    pub fn std_pop(&self) -> Option<f64> {
        weighted_std_pop(&self.points)
    }

    /// Mean, summed in numpy's pairwise order over the distinct values; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        weighted_mean(&self.points)
    }

    /// numpy's linear quantile at `q` in [0, 1]; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let ranks = Ranks::new(&self.points);
        bins::linear_quantile(self.count, q, |index| ranks.value_at(index))
    }

    pub fn min(&self) -> Option<f64> {
        self.points.first().map(|point| point.value)
    }

    pub fn max(&self) -> Option<f64> {
        self.points.last().map(|point| point.value)
    }

    /// The same observations under another cap, compacted if they exceed it (a reference
    /// profile stores its sample smaller than the exact one it computed its edges from).
    pub fn with_cap(&self, cap: usize) -> EmpiricalSample {
        let mut capped = EmpiricalSample::new(cap);
        capped.merge(self);
        capped
    }

    /// Counts of this sample in the bins of `edges`.
    pub fn histogram(&self, edges: Vec<f64>) -> Result<NumericHistogram, DriftError> {
        let mut histogram = NumericHistogram::new(edges)?;
        histogram.add_ascending(&self.points);
        Ok(histogram)
    }

    fn compact_if_needed(&mut self) {
        while self.points.len() > self.cap {
            let before = self.points.len();
            self.points = compact(self.points.iter().copied(), self.count, self.cap);
            self.exact = false;
            if self.points.len() >= before {
                // Cannot happen for cap ≥ MIN_SAMPLE_CAP (see `compact`); never loop forever.
                break;
            }
        }
    }
}

/// Population standard deviation of weighted points, summing in numpy's pairwise order.
pub(crate) fn weighted_std_pop(points: &[WeightedValue]) -> Option<f64> {
    let mean = weighted_mean(points)?;
    let n = count_total(points.iter().map(|point| point.weight)) as f64;
    let squares = pairwise_sum_of(points, |point| {
        let deviation = point.value - mean;
        point.weight as f64 * (deviation * deviation)
    });
    Some((squares / n).sqrt())
}

/// Weighted mean, summing in numpy's pairwise order; `None` without weight.
pub(crate) fn weighted_mean(points: &[WeightedValue]) -> Option<f64> {
    let count = count_total(points.iter().map(|point| point.weight));
    if count == 0 {
        return None;
    }
    Some(pairwise_sum_of(points, |point| point.weight as f64 * point.value) / count as f64)
}

/// Finite values sorted ascending and grouped into distinct values with their counts
/// (`==` also folds −0.0 into 0.0, which no statistic here can tell apart).
pub(crate) fn sorted_runs(values: impl IntoIterator<Item = f64>) -> Vec<WeightedValue> {
    let mut sample = EmpiricalSample::new(usize::MAX);
    sample.extend(values);
    sample.points
}

/// The observations of ascending weighted points by rank, read in (mostly) ascending order:
/// quantiles ask for a handful of ranks, and a cursor that walks forward answers them in one
/// pass without a cumulative-weight array the size of the sample.
struct Ranks<'a> {
    points: &'a [WeightedValue],
    /// The point the cursor is on, and the weight of the points before it.
    cursor: Cell<(usize, u64)>,
}

impl<'a> Ranks<'a> {
    fn new(points: &'a [WeightedValue]) -> Self {
        Self {
            points,
            cursor: Cell::new((0, 0)),
        }
    }

    /// The 0-based `index`-th smallest observation: the first point whose cumulative weight
    /// exceeds it.
    fn value_at(&self, index: u64) -> Option<f64> {
        let (mut position, mut before) = self.cursor.get();
        if index < before {
            (position, before) = (0, 0);
        }
        while let Some(point) = self.points.get(position) {
            let through = before.saturating_add(point.weight);
            if through > index {
                break;
            }
            (position, before) = (position + 1, through);
        }
        self.cursor.set((position, before));
        self.points.get(position).map(|point| point.value)
    }
}

/// Union of two ascending runs; equal values add their weights.
pub(crate) fn merge_runs(left: &[WeightedValue], right: &[WeightedValue]) -> Vec<WeightedValue> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (left.get(i), right.get(j)) {
        if a.value < b.value {
            merged.push(*a);
            i += 1;
        } else if b.value < a.value {
            merged.push(*b);
            j += 1;
        } else {
            merged.push(WeightedValue {
                value: a.value,
                weight: a.weight.saturating_add(b.weight),
            });
            i += 1;
            j += 1;
        }
    }
    merged.extend_from_slice(left.get(i..).unwrap_or_default());
    merged.extend_from_slice(right.get(j..).unwrap_or_default());
    merged
}

/// Groups neighbouring points greedily into runs of total weight at most
/// budget = ⌈4·count/cap⌉ (a heavier single value stays alone, exact) and keeps each run's
/// weighted median. Any two consecutive runs weigh more than the budget together, so at most
/// 2·count/budget + 1 ≤ cap/2 + 1 runs remain. Takes the points as an iterator so that a
/// large batch can be compacted as it is grouped (see [`EmpiricalSample::extend_distinct`]).
fn compact(points: impl IntoIterator<Item = WeightedValue>, count: u64, cap: usize) -> Vec<WeightedValue> {
    let budget = count.saturating_mul(4).div_ceil(cap as u64).max(1);
    let mut compacted = Vec::with_capacity(cap / 2 + 2);
    // The current run; it holds at most `budget` points, since every weight is at least one.
    let mut run: Vec<WeightedValue> = Vec::new();
    let mut run_weight: u64 = 0;
    for point in points {
        if !run.is_empty() && run_weight.saturating_add(point.weight) > budget {
            compacted.extend(weighted_median(&run, run_weight));
            run.clear();
            run_weight = 0;
        }
        run.push(point);
        run_weight = run_weight.saturating_add(point.weight);
    }
    compacted.extend(weighted_median(&run, run_weight));
    compacted
}

/// The run's value at half its weight, carrying the run's whole weight. An existing value
/// rather than a mean: no arithmetic that could overflow, and order is preserved trivially.
fn weighted_median(run: &[WeightedValue], run_weight: u64) -> Option<WeightedValue> {
    let mut seen: u64 = 0;
    for point in run {
        seen = seen.saturating_add(point.weight);
        if seen.saturating_mul(2) >= run_weight {
            return Some(WeightedValue {
                value: point.value,
                weight: run_weight,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(sample: &EmpiricalSample) -> Vec<f64> {
        sample
            .points()
            .iter()
            .flat_map(|p| std::iter::repeat_n(p.value, p.weight as usize))
            .collect()
    }

    #[test]
    fn keeps_distinct_values_with_counts() {
        let sample = EmpiricalSample::from_values(&[3.0, 1.0, 3.0, f64::NAN, 2.0, 3.0, -0.0, 0.0], 100);
        let points: Vec<(f64, u64)> = sample.points().iter().map(|p| (p.value, p.weight)).collect();
        assert_eq!(points, vec![(0.0, 2), (1.0, 1), (2.0, 1), (3.0, 3)]);
        assert_eq!(sample.len(), 7);
        assert!(sample.is_exact());
    }

    #[test]
    fn merge_equals_building_from_the_concatenation() {
        let (a, b) = ([5.0, 1.0, 2.0, 2.0], [2.0, 7.0, 1.0]);
        let mut merged = EmpiricalSample::from_values(&a, 100);
        merged.merge(&EmpiricalSample::from_values(&b, 100));
        let all: Vec<f64> = a.iter().chain(&b).copied().collect();
        assert_eq!(merged, EmpiricalSample::from_values(&all, 100));
    }

    #[test]
    fn compaction_bounds_the_size_and_keeps_the_count_and_order() {
        let values: Vec<f64> = (0..10_000).map(|i| ((i * 7919) % 10_000) as f64 / 3.0).collect();
        let sample = EmpiricalSample::from_values(&values, 64);
        assert!(!sample.is_exact());
        assert!(sample.points().len() <= 64);
        assert_eq!(sample.len(), 10_000);
        assert!(sample.points().windows(2).all(|w| w[0].value < w[1].value));
        // Uniform on [0, 3333.3]: the compacted median stays within a run's width of the truth.
        let median = sample.quantile_edges(2)[0];
        assert!((median - 1666.5).abs() < 3333.3 * 4.0 / 64.0, "median {median}");
    }

    #[test]
    fn a_heavy_value_survives_compaction_exactly() {
        let mut values: Vec<f64> = (0..1000).map(f64::from).collect();
        values.extend(std::iter::repeat_n(500.0, 5000));
        let sample = EmpiricalSample::from_values(&values, 16);
        let heavy = sample.points().iter().find(|p| p.value == 500.0).expect("500 kept");
        assert!(heavy.weight >= 5000);
    }

    #[test]
    fn quantile_edges_match_the_expanded_values() {
        let values = [4.0, 1.0, 1.0, 1.0, 9.0, 2.5, 2.5, 7.0, 1.0, 3.0, 8.0];
        let sample = EmpiricalSample::from_values(&values, 100);
        for bins in 1..=12 {
            assert_eq!(
                sample.quantile_edges(bins),
                bins::quantile_edges(&expanded(&sample), bins),
                "B = {bins}"
            );
            assert_eq!(
                sample.quantile_edges(bins),
                bins::quantile_edges(&values, bins),
                "B = {bins}"
            );
        }
    }

    #[test]
    fn a_large_first_batch_is_compacted_as_if_its_points_were_listed_first() {
        // 60 000 distinct values (past the counting table, so the batch is sorted and compacted
        // as it is grouped), each but the last three times.
        let values: Vec<f64> = (0..180_000)
            .map(|i| f64::from((i * 7919) % 60_001) * 0.5 - 100.0)
            .collect();
        let exact = EmpiricalSample::from_values(&values, usize::MAX);
        assert_eq!(exact.points().len(), 60_001);
        for cap in [16, 1000, 59_999] {
            let mut expected = compact(exact.points().iter().copied(), exact.len(), cap);
            while expected.len() > cap {
                expected = compact(expected.iter().copied(), exact.len(), cap);
            }
            let capped = EmpiricalSample::from_values(&values, cap);
            assert_eq!(capped.points(), expected.as_slice(), "cap {cap}");
            assert_eq!(exact.with_cap(cap), capped, "cap {cap}");
            assert!(!capped.is_exact());
        }
    }

    #[test]
    fn ranks_answer_in_any_order() {
        let sample = EmpiricalSample::from_values(&[4.0, 1.0, 1.0, 1.0, 9.0, 2.5, 2.5, 7.0], 100);
        let values = expanded(&sample);
        let ranks = Ranks::new(sample.points());
        for index in [5, 0, 7, 7, 2, 3, 1, 6, 4, 8, 0] {
            assert_eq!(
                ranks.value_at(index),
                values.get(index as usize).copied(),
                "rank {index}"
            );
        }
    }

    #[test]
    fn std_pop_of_a_known_sample() {
        // Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population variance 4.
        let sample = EmpiricalSample::from_values(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 100);
        assert_eq!(sample.std_pop(), Some(2.0));
        assert_eq!(EmpiricalSample::new(100).std_pop(), None);
    }

    #[test]
    fn summary_statistics_of_a_known_sample() {
        // Sorted: 1 1 2 3 3 3 10; numpy: mean 23/7, median 3, quantile(0.25) = 1.5.
        let sample = EmpiricalSample::from_values(&[3.0, 1.0, 10.0, 3.0, 2.0, 1.0, 3.0], 100);
        assert_eq!(sample.mean(), Some(23.0 / 7.0));
        assert_eq!(sample.quantile(0.5), Some(3.0));
        assert_eq!(sample.quantile(0.25), Some(1.5));
        assert_eq!((sample.min(), sample.max()), (Some(1.0), Some(10.0)));
        let empty = EmpiricalSample::new(100);
        assert_eq!((empty.mean(), empty.quantile(0.5), empty.min()), (None, None, None));
    }

    #[test]
    fn with_cap_keeps_an_exact_sample_and_compacts_a_large_one() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let exact = EmpiricalSample::from_values(&values, 5000);
        assert_eq!(exact.with_cap(2000), EmpiricalSample::from_values(&values, 2000));
        let small = exact.with_cap(64);
        assert!(!small.is_exact() && small.points().len() <= 64 && small.len() == 1000);
    }

    #[test]
    fn deserialisation_rejects_broken_invariants() {
        let parse = serde_json::from_str::<EmpiricalSample>;
        let good = r#"{"points":[[1.0,2],[3.0,1]],"count":3,"cap":16,"exact":true}"#;
        assert_eq!(parse(good).expect("valid").len(), 3);
        for bad in [
            r#"{"points":[[3.0,2],[1.0,1]],"count":3,"cap":16,"exact":true}"#,
            r#"{"points":[[1.0,2],[3.0,1]],"count":4,"cap":16,"exact":true}"#,
            r#"{"points":[[1.0,0]],"count":0,"cap":16,"exact":true}"#,
            r#"{"points":[],"count":0,"cap":2,"exact":true}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
