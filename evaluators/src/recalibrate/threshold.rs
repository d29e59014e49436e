//! The recommended handoff threshold of METRICS §4.

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
}
