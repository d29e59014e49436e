//! Confidence calibration of an intent model (METRICS §4): reliability bins, ECE, MCE,
//! adaptive ECE and Brier score over (confidence, correct) pairs, for one set of pairs
//! ([`evaluate`]) or for each group of a result at once ([`evaluate_grouped`]).

mod binning;
mod grouped;

use serde::{Deserialize, Serialize};

use crate::EvaluatorError;

pub use binning::{BIN_SQL_EXPR, bin_edge, bin_of, bin_sql_expr};
pub use grouped::{GroupedReports, evaluate_grouped};

/// The METRICS default number of bins.
pub const DEFAULT_BINS: usize = 10;

/// One labelled prediction: its confidence and whether the predicted intent was the true one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub confidence: f64,
    pub correct: bool,
}

impl Pair {
    pub fn new(confidence: f64, correct: bool) -> Self {
        Pair { confidence, correct }
    }
}

/// One non-empty reliability bin: pairs with confidence in (`lower`, `upper`] (bin 1 also
/// holds 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// 1-based.
    pub bin: usize,
    pub count: usize,
    pub mean_confidence: f64,
    pub accuracy: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Calibration of one set of pairs. Every statistic is `None` when there are no pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub n: usize,
    pub accuracy: Option<f64>,
    pub mean_confidence: Option<f64>,
    /// Σₖ (nₖ/N)·|accuracyₖ − mean_confidenceₖ| over the bins.
    pub ece: Option<f64>,
    /// maxₖ |accuracyₖ − mean_confidenceₖ| over the non-empty bins.
    pub mce: Option<f64>,
    /// The ECE formula over B equal-count groups of the pairs sorted by confidence.
    pub ace: Option<f64>,
    /// Mean of (c − correct)².
    pub brier: Option<f64>,
    /// Non-empty bins only, in bin order.
    pub bins: Vec<Bin>,
}

/// Running sums of one bin or group.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: usize,
    confidence_sum: f64,
    correct: usize,
}

impl Tally {
    fn add(&mut self, pair: &Pair) {
        self.count += 1;
        self.confidence_sum += pair.confidence;
        self.correct += usize::from(pair.correct);
    }

    fn mean_confidence(&self) -> f64 {
        self.confidence_sum / self.count as f64
    }

    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.count as f64
    }

    fn gap(&self) -> f64 {
        (self.accuracy() - self.mean_confidence()).abs()
    }
}

/// (ECE, MCE) over tallies; empty tallies carry no weight and no gap.
fn weighted_gaps<'a>(tallies: impl IntoIterator<Item = &'a Tally>, n: usize) -> (f64, f64) {
    let mut ece = 0.0;
    let mut mce: f64 = 0.0;
    for tally in tallies.into_iter().filter(|t| t.count > 0) {
        let gap = tally.gap();
        ece += tally.count as f64 / n as f64 * gap;
        mce = mce.max(gap);
    }
    (ece, mce)
}

/// Checks that every confidence is a number in [0, 1], as EVENTS.md guarantees for landed
/// predictions; anything else would make every statistic meaningless.
pub(crate) fn validate(pairs: &[Pair]) -> Result<(), EvaluatorError> {
    match pairs.iter().position(|p| !(0.0..=1.0).contains(&p.confidence)) {
        Some(index) => Err(EvaluatorError::ConfidenceOutOfRange {
            index,
            value: pairs[index].confidence,
        }),
        None => Ok(()),
    }
}

/// Adaptive ECE: sort by confidence (stable, so equal confidences keep their input order),
/// split into `bins` groups whose sizes differ by at most one, larger groups first (numpy
/// `array_split`), and apply the ECE formula to the groups.
fn adaptive_ece(pairs: &[Pair], bins: usize) -> f64 {
    let mut sorted: Vec<&Pair> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.confidence.total_cmp(&b.confidence));
    let base = pairs.len() / bins;
    let larger = pairs.len() % bins;
    let mut groups = Vec::with_capacity(bins);
    let mut rest = sorted.as_slice();
    for group in 0..bins {
        let size = base + usize::from(group < larger);
        let (head, tail) = rest.split_at(size.min(rest.len()));
        let mut tally = Tally::default();
        head.iter().for_each(|p| tally.add(p));
        groups.push(tally);
        rest = tail;
    }
    weighted_gaps(&groups, pairs.len()).0
}

/// The calibration report of `pairs` with `bins` equal-width bins (METRICS §4).
///
/// Errors on `bins = 0` and on a confidence that is not a number in [0, 1].
pub fn evaluate(pairs: &[Pair], bins: usize) -> Result<CalibrationReport, EvaluatorError> {
    if bins == 0 {
        return Err(EvaluatorError::ZeroBins);
    }
    validate(pairs)?;
    let n = pairs.len();
    if n == 0 {
        return Ok(CalibrationReport {
            n,
            accuracy: None,
            mean_confidence: None,
            ece: None,
            mce: None,
            ace: None,
            brier: None,
            bins: Vec::new(),
        });
    }

    let mut tallies = vec![Tally::default(); bins];
    let mut overall = Tally::default();
    let mut squared_error = 0.0;
    for pair in pairs {
        // bin_of is in 1..=bins, so the index is in range; `get_mut` keeps that local.
        if let Some(tally) = tallies.get_mut(bin_of(pair.confidence, bins) - 1) {
            tally.add(pair);
        }
        overall.add(pair);
        squared_error += (pair.confidence - f64::from(u8::from(pair.correct))).powi(2);
    }
    let (ece, mce) = weighted_gaps(&tallies, n);
    let report_bins = tallies
        .iter()
        .enumerate()
        .filter(|(_, tally)| tally.count > 0)
        .map(|(index, tally)| Bin {
            bin: index + 1,
            count: tally.count,
            mean_confidence: tally.mean_confidence(),
            accuracy: tally.accuracy(),
            lower: bin_edge(index, bins),
            upper: bin_edge(index + 1, bins),
        })
        .collect();

    Ok(CalibrationReport {
        n,
        accuracy: Some(overall.accuracy()),
        mean_confidence: Some(overall.mean_confidence()),
        ece: Some(ece),
        mce: Some(mce),
        ace: Some(adaptive_ece(pairs, bins)),
        brier: Some(squared_error / n as f64),
        bins: report_bins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: bins of 10, pairs (0.25, ✓), (0.25, ✗), (0.95, ✓), (0.3, ✗).
    /// Bin 3: confidences 0.25, 0.25, 0.3 → mean 0.8/3, accuracy 1/3; bin 10: 0.95, 1.
    #[test]
    fn small_example_by_hand() {
        let pairs = [
            Pair::new(0.25, true),
            Pair::new(0.25, false),
            Pair::new(0.95, true),
            Pair::new(0.3, false),
        ];
        let report = evaluate(&pairs, 10).unwrap();
        let gap3 = (1.0_f64 / 3.0 - 0.8 / 3.0).abs();
        let gap10 = 0.05;
        assert_eq!(
            report.bins.iter().map(|b| (b.bin, b.count)).collect::<Vec<_>>(),
            [(3, 3), (10, 1)]
        );
        assert!((report.ece.unwrap() - (0.75 * gap3 + 0.25 * gap10)).abs() < 1e-15);
        assert!((report.mce.unwrap() - gap3.max(gap10)).abs() < 1e-15);
        // ACE groups of one pair each after sorting: 0.25✓, 0.25✗, 0.3✗, 0.95✓ (+6 empty).
        let ace = (0.75 + 0.25 + 0.3 + 0.05) / 4.0;
        assert!((report.ace.unwrap() - ace).abs() < 1e-15);
        let brier = (0.75_f64.powi(2) + 0.25_f64.powi(2) + 0.05_f64.powi(2) + 0.3_f64.powi(2)) / 4.0;
        assert!((report.brier.unwrap() - brier).abs() < 1e-15);
        assert_eq!(report.bins[0].lower, 0.2);
        assert_eq!(report.bins[0].upper, 0.3);
    }

    #[test]
    fn rejects_what_it_cannot_measure() {
        assert_eq!(evaluate(&[], 0), Err(EvaluatorError::ZeroBins));
        for bad in [f64::NAN, -0.1, 1.0000001, f64::INFINITY] {
            let pairs = [Pair::new(0.5, true), Pair::new(bad, false)];
            assert!(matches!(
                evaluate(&pairs, 10),
                Err(EvaluatorError::ConfidenceOutOfRange { index: 1, .. })
            ));
        }
    }

    #[test]
    fn empty_input_is_all_nulls() {
        let report = evaluate(&[], 10).unwrap();
        assert_eq!(report.n, 0);
        assert!(report.ece.is_none() && report.ace.is_none() && report.brier.is_none() && report.bins.is_empty());
    }
}
