//! Change detectors on the fixed-seed KPI series of `make_reference.py`: alarm for alarm
//! against river's Page-Hinkley and a Python transcription of ADWIN, and the behaviour any
//! detector must have: silent on a stationary series, firing after a step and never before.

use convolens_drift::detectors::{Adwin, AdwinParams, Alarm, PageHinkley, PageHinkleyParams};

use crate::fixture::{DetectorCase, Mismatches, expected};

fn run(series: &[f64], mut update: impl FnMut(f64) -> Option<Alarm>) -> Vec<Alarm> {
    series.iter().filter_map(|x| update(*x)).collect()
}

/// Stationary series never fire; a series with a step fires nothing before the step and at
/// least once after it.
fn check_behaviour<P>(case: &DetectorCase<P>, alarms: &[Alarm], mismatches: &mut Mismatches) {
    match case.change_at {
        None => mismatches.equal(&format!("{} alarms on a stationary series", case.name), alarms.len(), 0),
        Some(change_at) => {
            let early: Vec<u64> = alarms.iter().map(|a| a.at).filter(|at| *at < change_at).collect();
            mismatches.equal(
                &format!("{} alarms before the change at {change_at}", case.name),
                early,
                Vec::new(),
            );
            mismatches.check(&format!("{}: no alarm after the change", case.name), !alarms.is_empty());
        }
    }
}

#[test]
fn page_hinkley_matches_river_alarm_for_alarm() {
    let mut mismatches = Mismatches::default();
    for case in &expected().page_hinkley {
        let Ok(mut detector) = PageHinkley::new(case.params) else {
            mismatches.check(&format!("{}: parameters refused", case.name), false);
            continue;
        };
        let alarms = run(&case.series, |x| detector.update(x));
        let ours: Vec<_> = alarms.iter().map(|a| (a.at, a.direction)).collect();
        let python: Vec<_> = case.alarms.iter().map(|a| (a.at, a.direction)).collect();
        mismatches.equal(&format!("{} alarms vs transcription", case.name), &ours, &python);
        for (alarm, want) in alarms.iter().zip(&case.alarms) {
            let what = format!("{} statistic at {}", case.name, alarm.at);
            mismatches.within(&what, Some(alarm.statistic), Some(want.statistic), 1e-9, 0.0);
        }
        if let Some(river) = &case.river_alarms_at {
            let at: Vec<u64> = alarms.iter().map(|a| a.at).collect();
            mismatches.equal(&format!("{} alarms vs river", case.name), &at, river);
        }
        check_behaviour(case, &alarms, &mut mismatches);
    }
    mismatches.assert_none();
}

#[test]
fn adwin_matches_the_python_transcription() {
    let mut mismatches = Mismatches::default();
    for case in &expected().adwin {
        let Ok(mut detector) = Adwin::new(case.params) else {
            mismatches.check(&format!("{}: parameters refused", case.name), false);
            continue;
        };
        let alarms = run(&case.series, |x| detector.update(x));
        let ours: Vec<_> = alarms.iter().map(|a| (a.at, Some(a.change_at), a.direction)).collect();
        let python: Vec<_> = case.alarms.iter().map(|a| (a.at, a.change_at, a.direction)).collect();
        mismatches.equal(&format!("{} alarms", case.name), &ours, &python);
        for (alarm, want) in alarms.iter().zip(&case.alarms) {
            // The transcription sums with math.fsum, so the bounds agree to rounding only.
            let what = format!("{} at {}", case.name, alarm.at);
            mismatches.within(
                &format!("{what} gap"),
                Some(alarm.statistic),
                Some(want.statistic),
                1e-9,
                0.0,
            );
            mismatches.within(
                &format!("{what} ε_cut"),
                Some(alarm.threshold),
                want.threshold,
                1e-9,
                0.0,
            );
        }
        check_behaviour(case, &alarms, &mut mismatches);
    }
    mismatches.assert_none();
}

/// The estimated change point of the first alarm after a step lies close to the true step.
#[test]
fn change_points_are_estimated_near_the_step() {
    let mut mismatches = Mismatches::default();
    for case in expected().adwin.iter().filter(|case| case.change_at.is_some()) {
        let (Ok(mut detector), Some(change_at)) = (Adwin::new(case.params), case.change_at) else {
            continue;
        };
        if let Some(first) = run(&case.series, |x| detector.update(x)).first() {
            let off = first.change_at.abs_diff(change_at);
            mismatches.check(
                &format!(
                    "ADWIN {}: change estimated at {}, true {change_at}",
                    case.name, first.change_at
                ),
                off <= 5,
            );
        }
    }
    for case in expected().page_hinkley.iter().filter(|case| case.change_at.is_some()) {
        let (Ok(mut detector), Some(change_at)) = (PageHinkley::new(case.params), case.change_at) else {
            continue;
        };
        if let Some(first) = run(&case.series, |x| detector.update(x)).first() {
            let off = first.change_at.abs_diff(change_at);
            mismatches.check(
                &format!(
                    "PH {}: change estimated at {}, true {change_at}",
                    case.name, first.change_at
                ),
                off <= 10,
            );
        }
    }
    mismatches.assert_none();
}

proptest::proptest! {
    /// Any series, NaN, infinities and extreme magnitudes included: no panic, and every alarm
    /// points inside the series with its change no later than itself.
    #[test]
    fn detectors_take_any_series(series in proptest::collection::vec(proptest::num::f64::ANY, 0..400)) {
        let mut page_hinkley = PageHinkley::new(PageHinkleyParams { lambda: 1.0, min_instances: 5, ..PageHinkleyParams::default() })
            .expect("valid params");
        let mut adwin = Adwin::new(AdwinParams { max_window: 100, ..AdwinParams::default() }).expect("valid params");
        for alarms in [run(&series, |x| page_hinkley.update(x)), run(&series, |x| adwin.update(x))] {
            proptest::prop_assert!(alarms.windows(2).all(|pair| pair[0].at < pair[1].at));
            proptest::prop_assert!(alarms.iter().all(|a| a.change_at <= a.at && a.at < series.len() as u64));
        }
    }
}
