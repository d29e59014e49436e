//! Counts of a numeric feature in bins frozen from the reference: the streaming state of PSI
//! and Jensen–Shannon for numeric features. Windows merge by adding counts.

use serde::{Deserialize, Serialize};

use crate::error::DriftError;
use crate::sample::WeightedValue;
use crate::sum::count_total;

/// Counts per right-closed bin (−∞, e₁], (e₁, e₂], …, (e_{B−1}, +∞), plus the nulls.
///
/// `counts.len() == edges.len() + 1` always holds; deserialisation checks it and the edges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HistogramFields", deny_unknown_fields)]
pub struct NumericHistogram {
    edges: Vec<f64>,
    counts: Vec<u64>,
    nulls: u64,
}

/// The serialised form, checked before it becomes a [`NumericHistogram`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistogramFields {
    edges: Vec<f64>,
    counts: Vec<u64>,
    nulls: u64,
}

impl TryFrom<HistogramFields> for NumericHistogram {
    type Error = DriftError;

    fn try_from(fields: HistogramFields) -> Result<Self, Self::Error> {
        check_edges(&fields.edges)?;
        if fields.counts.len() != fields.edges.len() + 1 {
            return Err(DriftError::CountsLength {
                edges: fields.edges.len(),
                counts: fields.counts.len(),
            });
        }
        Ok(Self {
            edges: fields.edges,
            counts: fields.counts,
            nulls: fields.nulls,
        })
    }
}

fn check_edges(edges: &[f64]) -> Result<(), DriftError> {
    for (position, edge) in edges.iter().enumerate() {
        let increasing = position == 0 || edges[position - 1] < *edge;
        if !edge.is_finite() || !increasing {
            return Err(DriftError::InvalidEdges { position, found: *edge });
        }
    }
    Ok(())
}

impl NumericHistogram {
    /// An empty histogram on `edges`, which must be finite and strictly increasing (as
    /// [`crate::bins::quantile_edges`] returns them).
    pub fn new(edges: Vec<f64>) -> Result<Self, DriftError> {
        check_edges(&edges)?;
        let counts = vec![0; edges.len() + 1];
        Ok(Self {
            edges,
            counts,
            nulls: 0,
        })
    }

    /// Counts one observation. `None` and non-finite values are nulls: they are reported as a
    /// null share and kept out of the bins (METRICS §5).
    pub fn add(&mut self, value: Option<f64>) {
        self.add_weighted(value, 1);
    }

    /// Counts `weight` observations of the same value at once.
    pub fn add_weighted(&mut self, value: Option<f64>, weight: u64) {
        match value.filter(|v| v.is_finite()) {
            Some(v) => {
                let bin = self.bin_of(v);
                if let Some(count) = self.counts.get_mut(bin) {
                    *count = count.saturating_add(weight);
                }
            }
            None => self.nulls = self.nulls.saturating_add(weight),
        }
    }

    /// Counts ascending finite points (a sample's) with one binary search per edge instead of
    /// one per point; the counts equal adding each point with [`Self::add_weighted`].
    pub(crate) fn add_ascending(&mut self, points: &[WeightedValue]) {
        let mut rest = points;
        for (bin, count) in self.counts.iter_mut().enumerate() {
            // The points up to and including the bin's closing edge (all for the last bin).
            let inside = match self.edges.get(bin) {
                Some(edge) => rest.partition_point(|point| point.value <= *edge),
                None => rest.len(),
            };
            let (here, after) = rest.split_at(inside);
            *count = count.saturating_add(count_total(here.iter().map(|point| point.weight)));
            rest = after;
        }
    }

    /// Index of the bin holding `value`: the first edge not below it, so a value equal to an
    /// edge falls in the bin that edge closes.
    pub fn bin_of(&self, value: f64) -> usize {
        self.edges.partition_point(|edge| *edge < value)
    }

    /// Adds another window's counts. Both must be frozen on the same edges.
    pub fn merge(&mut self, other: &NumericHistogram) -> Result<(), DriftError> {
        if self.edges != other.edges {
            return Err(DriftError::EdgesMismatch {
                left: self.edges.len(),
                right: other.edges.len(),
            });
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.nulls = self.nulls.saturating_add(other.nulls);
        Ok(())
    }

    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    pub fn nulls(&self) -> u64 {
        self.nulls
    }

    /// Observations in the bins (nulls excluded).
    pub fn non_null(&self) -> u64 {
        count_total(self.counts.iter().copied())
    }

    /// Share of the non-null observations per bin; `None` when there are none.
    pub fn shares(&self) -> Option<Vec<f64>> {
        shares_of(&self.counts)
    }
}

/// count / total per bin, in the same division numpy performs (`counts / counts.sum()`).
pub(crate) fn shares_of(counts: &[u64]) -> Option<Vec<f64>> {
    let total = count_total(counts.iter().copied());
    (total > 0).then(|| counts.iter().map(|count| *count as f64 / total as f64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_right_closed_with_open_outer_bins() {
        let mut histogram = NumericHistogram::new(vec![1.0, 2.0, 3.0]).expect("valid edges");
        for v in [f64::MIN, 0.5, 1.0, 1.0000001, 2.0, 2.5, 3.0, 3.0000001, f64::MAX] {
            histogram.add(Some(v));
        }
        // (−∞,1]: MIN, 0.5, 1.0 | (1,2]: 1.0000001, 2.0 | (2,3]: 2.5, 3.0 | (3,∞): 3.0000001, MAX
        assert_eq!(histogram.counts(), &[3, 2, 2, 2]);
        assert_eq!(histogram.nulls(), 0);
    }

    #[test]
    fn nulls_and_non_finite_values_are_counted_apart() {
        let mut histogram = NumericHistogram::new(vec![0.0]).expect("valid edges");
        for v in [
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(-1.0),
        ] {
            histogram.add(v);
        }
        assert_eq!(histogram.counts(), &[1, 0]);
        assert_eq!(histogram.nulls(), 4);
        assert_eq!(histogram.shares(), Some(vec![1.0, 0.0]));
    }

    #[test]
    fn counting_ascending_points_equals_adding_them_one_by_one() {
        let points: Vec<WeightedValue> = [-3.0, 0.5, 1.0, 1.5, 2.0, 2.0000001, 3.0, 9.0]
            .iter()
            .zip(1..)
            .map(|(value, weight)| WeightedValue { value: *value, weight })
            .collect();
        for edges in [
            vec![],
            vec![1.0],
            vec![1.0, 2.0, 3.0],
            vec![-5.0, 10.0],
            vec![9.0, 10.0],
        ] {
            let mut one_by_one = NumericHistogram::new(edges.clone()).expect("valid edges");
            points
                .iter()
                .for_each(|point| one_by_one.add_weighted(Some(point.value), point.weight));
            let mut at_once = NumericHistogram::new(edges.clone()).expect("valid edges");
            at_once.add_ascending(&points);
            assert_eq!(at_once, one_by_one, "{edges:?}");
        }
    }

    #[test]
    fn no_edges_is_one_bin() {
        let mut histogram = NumericHistogram::new(Vec::new()).expect("valid edges");
        histogram.add(Some(-5.0));
        histogram.add(Some(5.0));
        assert_eq!(histogram.counts(), &[2]);
    }

    #[test]
    fn rejects_unsorted_duplicate_or_non_finite_edges() {
        for (edges, position) in [
            (vec![1.0, 1.0], 1),
            (vec![2.0, 1.0], 1),
            (vec![f64::NAN], 0),
            (vec![0.0, f64::INFINITY], 1),
        ] {
            match NumericHistogram::new(edges) {
                Err(DriftError::InvalidEdges { position: found, .. }) => assert_eq!(found, position),
                other => panic!("expected InvalidEdges, got {other:?}"),
            }
        }
    }

    #[test]
    fn merging_needs_the_same_edges() {
        let mut left = NumericHistogram::new(vec![1.0]).expect("valid edges");
        let right = NumericHistogram::new(vec![2.0]).expect("valid edges");
        assert!(matches!(left.merge(&right), Err(DriftError::EdgesMismatch { .. })));
    }

    #[test]
    fn deserialisation_checks_the_shape() {
        let parse = serde_json::from_str::<NumericHistogram>;
        let ok = parse(r#"{"edges":[1.0],"counts":[2,3],"nulls":1}"#).expect("valid histogram");
        assert_eq!(ok.non_null(), 5);
        assert!(parse(r#"{"edges":[1.0],"counts":[2],"nulls":1}"#).is_err());
        assert!(parse(r#"{"edges":[2.0,1.0],"counts":[0,0,0],"nulls":0}"#).is_err());
    }
}
