//! One side (reference or current) of a numeric feature, mergeable across windows: the
//! non-null values as an [`EmpiricalSample`] and the count of nulls. A pinned reference is
//! stored as one of these; a streaming window accumulates one and merges it into the next.

use serde::{Deserialize, Serialize};

use crate::distinct::DistinctBuilder;
use crate::sample::{DEFAULT_SAMPLE_CAP, EmpiricalSample};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericProfile {
    sample: EmpiricalSample,
    nulls: u64,
}

impl NumericProfile {
    /// An empty profile whose sample stays exact up to `cap` distinct values.
    pub fn new(cap: usize) -> Self {
        Self {
            sample: EmpiricalSample::new(cap),
            nulls: 0,
        }
    }

    /// A profile of `values` with the default cap (exact up to 200 000 distinct values).
    pub fn from_values(values: &[Option<f64>]) -> Self {
        Self::from_values_with_cap(values, DEFAULT_SAMPLE_CAP)
    }

    pub fn from_values_with_cap(values: &[Option<f64>], cap: usize) -> Self {
        let mut profile = Self::new(cap);
        profile.extend(values.iter().copied());
        profile
    }

    /// Adds a batch. `None` and non-finite values are nulls (reported, kept out of the
    /// statistics, METRICS §5).
    pub fn extend(&mut self, values: impl IntoIterator<Item = Option<f64>>) {
        let values = values.into_iter();
        let mut nulls: u64 = 0;
        // Straight into the sample's batch: no intermediate vector of the finite values.
        let mut batch = DistinctBuilder::new(values.size_hint().0);
        for value in values {
            match value.filter(|v| v.is_finite()) {
                Some(v) => batch.push(v),
                None => nulls += 1,
            }
        }
        self.nulls = self.nulls.saturating_add(nulls);
        self.sample.extend_distinct(batch.finish());
    }

    pub fn add(&mut self, value: Option<f64>) {
        self.extend([value]);
    }

    pub fn merge(&mut self, other: &NumericProfile) {
        self.sample.merge(&other.sample);
        self.nulls = self.nulls.saturating_add(other.nulls);
    }

    pub fn sample(&self) -> &EmpiricalSample {
        &self.sample
    }

    pub fn nulls(&self) -> u64 {
        self.nulls
    }

    pub fn non_null(&self) -> u64 {
        self.sample.len()
    }

    /// All rows, nulls included.
    pub fn total(&self) -> u64 {
        self.non_null().saturating_add(self.nulls)
    }

    /// nulls / rows; `None` without rows.
    pub fn null_share(&self) -> Option<f64> {
        share(self.nulls, self.total())
    }
}

pub(crate) fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nulls_and_non_finite_values_apart() {
        let profile = NumericProfile::from_values(&[Some(1.0), None, Some(f64::NAN), Some(2.0), Some(f64::INFINITY)]);
        assert_eq!(profile.non_null(), 2);
        assert_eq!(profile.nulls(), 3);
        assert_eq!(profile.null_share(), Some(0.6));
        assert_eq!(NumericProfile::default().null_share(), None);
    }

    #[test]
    fn merge_equals_the_profile_of_the_concatenation() {
        let (a, b) = ([Some(1.0), None, Some(3.0)], [Some(3.0), Some(0.5), None, None]);
        let mut merged = NumericProfile::from_values(&a);
        merged.merge(&NumericProfile::from_values(&b));
        let all: Vec<Option<f64>> = a.iter().chain(&b).copied().collect();
        assert_eq!(merged, NumericProfile::from_values(&all));
    }
}
