//! Calibration of several groups of one result at once (per `model`/`model_version`, per
//! day, …), as the CLI reports them: one pass over the rows, groups in a deterministic
//! order, an overall report, and errors that point at the caller's row.

use std::collections::BTreeMap;

use crate::EvaluatorError;

use super::{CalibrationReport, Pair, evaluate, validate};

/// Reports of every group present and of all rows together.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedReports<K> {
    /// All rows, whatever their group.
    pub overall: CalibrationReport,
    /// One report per key that occurs, in ascending key order.
    pub groups: Vec<(K, CalibrationReport)>,
}

/// [`evaluate`] of all rows and of each group of rows with the same key.
///
/// Within a group the pairs keep their input order, so the adaptive ECE (whose stable sort
/// orders equal confidences by input position) is the same as calling [`evaluate`] on that
/// group's pairs in input order. A confidence outside [0, 1] is reported with its position
/// among all `rows`, not within its group. Errors on `bins = 0` as [`evaluate`] does.
pub fn evaluate_grouped<K: Ord>(
    rows: impl IntoIterator<Item = (K, Pair)>,
    bins: usize,
) -> Result<GroupedReports<K>, EvaluatorError> {
    // Checked first, as `evaluate` does, so the same input gives the same error.
    if bins == 0 {
        return Err(EvaluatorError::ZeroBins);
    }
    let mut all = Vec::new();
    let mut by_key: BTreeMap<K, Vec<Pair>> = BTreeMap::new();
    for (key, pair) in rows {
        all.push(pair);
        by_key.entry(key).or_default().push(pair);
    }
    // Validated once over every row, so the index in the error is the caller's.
    validate(&all)?;
    let overall = evaluate(&all, bins)?;
    drop(all);
    let groups = by_key
        .into_iter()
        .map(|(key, pairs)| Ok((key, evaluate(&pairs, bins)?)))
        .collect::<Result<_, EvaluatorError>>()?;
    Ok(GroupedReports { overall, groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(&'static str, Pair)> {
        // Equal confidences with different outcomes inside a group: ACE depends on their order.
        vec![
            ("router/v2", Pair::new(0.7, true)),
            ("router/v1", Pair::new(0.3, false)),
            ("router/v2", Pair::new(0.7, false)),
            ("router/v1", Pair::new(0.95, true)),
            ("router/v2", Pair::new(0.2, false)),
            ("router/v1", Pair::new(0.3, true)),
        ]
    }

    #[test]
    fn groups_equal_separate_evaluations_in_key_order() {
        let rows = rows();
        let got = evaluate_grouped(rows.iter().copied(), 3).unwrap();
        let keys: Vec<&str> = got.groups.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["router/v1", "router/v2"]);
        for (key, report) in &got.groups {
            let own: Vec<Pair> = rows.iter().filter(|(k, _)| k == key).map(|(_, p)| *p).collect();
            assert_eq!(report, &evaluate(&own, 3).unwrap(), "{key}");
        }
        let all: Vec<Pair> = rows.iter().map(|(_, p)| *p).collect();
        assert_eq!(got.overall, evaluate(&all, 3).unwrap());
        assert_eq!(got.overall.n, 6);
    }

    #[test]
    fn empty_and_invalid_input() {
        let empty = evaluate_grouped(Vec::<(u8, Pair)>::new(), 10).unwrap();
        assert_eq!((empty.overall.n, empty.groups.len()), (0, 0));
        let mut rows = rows();
        rows.push(("router/v1", Pair::new(1.5, true)));
        assert_eq!(
            evaluate_grouped(rows.iter().copied(), 10),
            Err(EvaluatorError::ConfidenceOutOfRange { index: 6, value: 1.5 })
        );
        assert_eq!(evaluate_grouped(rows.into_iter(), 0), Err(EvaluatorError::ZeroBins));
    }
}
