//! The recommended handoff threshold of METRICS §4, overall and per predicted intent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The handoff threshold of one predicted intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentThreshold {
    pub intent: String,
    /// Pairs predicted as this intent that the threshold was chosen on.
    pub n: usize,
    /// As [`threshold_for_accuracy`] over those pairs alone; null when no cut reaches the
    /// target for this intent (hand every prediction of it off), which is not the same as
    /// the intent being absent from the list (too little support: the global threshold).
    pub threshold: Option<f64>,
}

/// [`threshold_for_accuracy`] per intent, for the intents with at least `min_support` pairs
/// (0 is taken as 1), sorted by intent. `scored` holds (predicted intent, calibrated
/// confidence, correct); an intent below the support gets no entry at all, because a
/// threshold chosen on a handful of pairs would mostly follow their noise.
pub fn thresholds_by_intent<'a>(
    scored: impl IntoIterator<Item = (&'a str, f64, bool)>,
    target: f64,
    min_support: usize,
) -> Vec<IntentThreshold> {
    let mut by_intent: BTreeMap<&str, Vec<(f64, bool)>> = BTreeMap::new();
    for (intent, calibrated, correct) in scored {
        by_intent.entry(intent).or_default().push((calibrated, correct));
    }
    by_intent
        .into_iter()
        .filter(|(_, pairs)| pairs.len() >= min_support.max(1))
        .map(|(intent, pairs)| IntentThreshold {
            intent: intent.to_string(),
            n: pairs.len(),
            threshold: threshold_for_accuracy(&pairs, target),
        })
        .collect()
}

/// The smallest calibrated confidence t such that the accuracy over the pairs with
/// calibrated confidence ≥ t is at least `target`, or `None` if no t reaches it.
///
/// Candidates are the observed calibrated values: any t between two of them selects the
/// same pairs as the next observed value above it, so the smallest t that is actually
/// attained is always an observed one. The accuracy need not be monotone in t (a confident
/// wrong answer can sink the top), so every candidate is checked. Pairs whose calibrated
/// value is not finite are ignored.
pub fn threshold_for_accuracy(calibrated: &[(f64, bool)], target: f64) -> Option<f64> {
    let mut sorted: Vec<(f64, bool)> = calibrated.iter().copied().filter(|(c, _)| c.is_finite()).collect();
    // Highest first, so each prefix is "calibrated ≥ t".
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = None;
    let (mut count, mut correct) = (0_usize, 0_usize);
    let mut index = 0;
    while let Some(&(t, _)) = sorted.get(index) {
        // Take every pair equal to t: ties are in or out together.
        while let Some(&(value, is_correct)) = sorted.get(index) {
            if value != t {
                break;
            }
            count += 1;
            correct += usize::from(is_correct);
            index += 1;
        }
        if correct as f64 / count as f64 >= target {
            best = Some(t);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_lowest_qualifying_cut() {
        // ≥ 0.9: 1/1; ≥ 0.8: 2/2; ≥ 0.7: 2/3; ≥ 0.6: 3/4.
        let data = [(0.9, true), (0.8, true), (0.7, false), (0.6, true)];
        assert_eq!(threshold_for_accuracy(&data, 0.75), Some(0.6));
        assert_eq!(threshold_for_accuracy(&data, 0.8), Some(0.8));
        assert_eq!(threshold_for_accuracy(&data, 1.0), Some(0.8));
        assert_eq!(threshold_for_accuracy(&[(0.9, false)], 0.5), None);
        assert_eq!(threshold_for_accuracy(&[], 0.5), None);
        assert_eq!(threshold_for_accuracy(&[(f64::NAN, true), (0.4, true)], 0.9), Some(0.4));
        assert_eq!(threshold_for_accuracy(&data, f64::NAN), None);
    }

    #[test]
    fn per_intent_support_and_order() {
        let scored = [
            ("b", 0.9, true),
            ("a", 0.9, false),
            ("b", 0.6, false),
            ("c", 0.7, true),
            ("a", 0.8, false),
        ];
        let got = thresholds_by_intent(scored, 0.5, 2);
        let want = [
            IntentThreshold {
                intent: "a".into(),
                n: 2,
                threshold: None,
            },
            IntentThreshold {
                intent: "b".into(),
                n: 2,
                threshold: Some(0.6),
            },
        ];
        assert_eq!(got, want);
        assert_eq!(thresholds_by_intent(scored, 0.5, 0).len(), 3);
        assert!(thresholds_by_intent(scored, 0.5, 3).is_empty());
    }
}
