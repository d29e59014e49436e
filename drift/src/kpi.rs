//! Change detection over named KPI series (containment per hour, handle time per day, …):
//! runs the configured [`crate::detectors`] over the series in window order and reports each
//! alarm with the window labels it fired at and where it estimates the change began.
//!
//! The detectors' parameters are in the series' units (Page-Hinkley's δ and λ, ADWIN's value
//! range, which is 1 for rates and shares); the caller picks them per series.

use serde::{Deserialize, Serialize};

use crate::detectors::{Adwin, AdwinParams, Alarm, Direction, PageHinkley, PageHinkleyParams};
use crate::error::DriftError;

/// Which detectors run, with their parameters; a `None` detector does not run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeriesDetectors {
    pub adwin: Option<AdwinParams>,
    pub page_hinkley: Option<PageHinkleyParams>,
}

impl Default for SeriesDetectors {
    /// Both, with their defaults (ADWIN's value range 1: fits rates and shares only).
    fn default() -> Self {
        Self {
            adwin: Some(AdwinParams::default()),
            page_hinkley: Some(PageHinkleyParams::default()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    Adwin,
    PageHinkley,
}

/// One alarm on one series. (`detectors::Alarm` is the detector's own, position-only record.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesAlarm {
    pub series: String,
    pub detector: DetectorKind,
    /// 0-based position in the series of the value that raised the alarm, its window label
    /// and value.
    pub index: u64,
    pub window: String,
    pub value: f64,
    pub direction: Direction,
    /// Estimated first position (and window) after the change.
    pub change_index: u64,
    pub change_window: String,
    /// The detector's statistic and the bound it crossed.
    pub statistic: f64,
    pub threshold: f64,
}

/// Runs the detectors over `points` = (window label, value), in window order. Non-finite values
/// take a position but feed nothing (a window without data). Alarms come by position, ADWIN
/// before Page-Hinkley at the same position.
pub fn series_alarms<L: AsRef<str>>(
    series: &str,
    points: &[(L, f64)],
    detectors: &SeriesDetectors,
) -> Result<Vec<SeriesAlarm>, DriftError> {
    let mut alarms = Vec::new();
    if let Some(params) = detectors.adwin {
        let mut adwin = Adwin::new(params)?;
        collect(series, points, DetectorKind::Adwin, |x| adwin.update(x), &mut alarms);
    }
    if let Some(params) = detectors.page_hinkley {
        let mut page_hinkley = PageHinkley::new(params)?;
        collect(
            series,
            points,
            DetectorKind::PageHinkley,
            |x| page_hinkley.update(x),
            &mut alarms,
        );
    }
    alarms.sort_by(|a, b| a.index.cmp(&b.index).then(a.detector.cmp(&b.detector)));
    Ok(alarms)
}

fn collect<L: AsRef<str>>(
    series: &str,
    points: &[(L, f64)],
    detector: DetectorKind,
    mut update: impl FnMut(f64) -> Option<Alarm>,
    alarms: &mut Vec<SeriesAlarm>,
) {
    let label = |at: u64| {
        points
            .get(at as usize)
            .map(|(window, _)| window.as_ref().to_owned())
            .unwrap_or_default()
    };
    for (window, value) in points {
        let Some(alarm) = update(*value) else { continue };
        alarms.push(SeriesAlarm {
            series: series.to_owned(),
            detector,
            index: alarm.at,
            window: window.as_ref().to_owned(),
            value: *value,
            direction: alarm.direction,
            change_index: alarm.change_at,
            change_window: label(alarm.change_at),
            statistic: alarm.statistic,
            threshold: alarm.threshold,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hourly containment around `level`, with a deterministic ±0.02 wobble.
    fn hours(levels: &[(usize, f64)]) -> Vec<(String, f64)> {
        let mut points = Vec::new();
        for (count, level) in levels {
            for _ in 0..*count {
                let i = points.len();
                let wobble = 0.02 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
                points.push((format!("2026-11-01T{:02}:{:02}", i / 60, i % 60), level + wobble));
            }
        }
        points
    }

    fn detectors() -> SeriesDetectors {
        SeriesDetectors {
            adwin: Some(AdwinParams::default()),
            page_hinkley: Some(PageHinkleyParams {
                delta: 0.01,
                lambda: 0.5,
                ..PageHinkleyParams::default()
            }),
        }
    }

    #[test]
    fn a_step_raises_both_detectors_just_after_it() {
        let points = hours(&[(120, 0.70), (120, 0.40)]);
        let alarms = series_alarms("containment_rate", &points, &detectors()).expect("valid params");
        // ADWIN's unit-range Bernstein term needs about 65 new values to cut a 0.3 drop (its
        // bound shrinks with 1/m); Page-Hinkley's sum crosses λ = 0.5 after 2 values of −0.3.
        for (kind, latest) in [(DetectorKind::Adwin, 190), (DetectorKind::PageHinkley, 125)] {
            let first = alarms.iter().find(|a| a.detector == kind).expect("fires");
            assert_eq!(first.direction, Direction::Down, "{first:?}");
            assert!((120..latest).contains(&first.index), "{first:?}");
            assert!(first.change_index.abs_diff(120) <= 3, "{first:?}");
            assert_eq!(first.window, points[first.index as usize].0);
            assert_eq!(first.change_window, points[first.change_index as usize].0);
            assert_eq!(first.value, points[first.index as usize].1);
            assert_eq!(first.series, "containment_rate");
        }
        assert!(alarms.windows(2).all(|pair| pair[0].index <= pair[1].index));
    }

    #[test]
    fn a_flat_series_raises_nothing() {
        let points = hours(&[(500, 0.70)]);
        assert_eq!(series_alarms("containment_rate", &points, &detectors()), Ok(Vec::new()));
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = SeriesDetectors {
            adwin: Some(AdwinParams {
                delta: 2.0,
                ..AdwinParams::default()
            }),
            page_hinkley: None,
        };
        assert!(series_alarms::<&str>("x", &[], &bad).is_err());
    }
}
